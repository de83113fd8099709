#include "recording.hpp"

#include <cmath>
#include <sstream>

#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "tasks/tasks.hpp"
#include "view_data.hpp"

namespace ransim::gui {

namespace {

double read_scalar(const Hdf5File& f, const std::string& path, double fallback) {
  if (!f.exists(path)) return fallback;
  try {
    const Array a = f.array(path);
    return a.values.empty() ? fallback : a.values[0];
  } catch (const InputError&) {
    return fallback;
  }
}

std::string string_attribute(const Hdf5File& f, const std::string& object, const std::string& name) {
  return f.string_attribute(object, name).value_or("");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);)
    if (!x.empty()) out.push_back(x);
  return out;
}

}  // namespace

const double* Recording::Series::lane0(std::size_t token) const {
  if (count == 0 || token < first || token - first >= count) return nullptr;
  return values.data() + (token - first) * lanes * per;
}

Recording::Series Recording::read_series(const Hdf5File& f, const std::string& group, bool input_axis) const {
  Series s;
  const std::string data = layout::series_data(group);
  Array a = f.array(data);
  if (a.shape.size() < 2)
    throw InputError(path_ + ": " + data + ": expected [samples, lanes, ...], found rank " +
                     std::to_string(a.shape.size()));
  s.count = a.shape[0];
  s.lanes = a.shape[1];
  s.per = 1;
  for (std::size_t i = 2; i < a.shape.size(); ++i) s.per *= a.shape[i];
  const double t0 = read_scalar(f, layout::series_starting_time(group), 0.0);
  const double k0 = std::round(t0 / net_.token_period);
  s.first = static_cast<std::size_t>(std::max(0.0, k0)) + (input_axis ? 1 : 0);
  s.values = std::move(a.values);
  return s;
}

Recording::Recording(const std::string& path, std::uint64_t session) : path_(path) {
  const Hdf5File f(path);
  read_root(f);
  net_.session = session;
  net_.source = path;
  net_.token_period = read_scalar(f, layout::general::kTokenPeriod, 1.0);
  if (!(net_.token_period > 0)) net_.token_period = 1.0;
  net_.lanes = static_cast<std::size_t>(read_scalar(f, layout::general::kLanes, 1.0));

  Scenario sc;
  const bool parsed = read_scenario(f, sc);
  read_populations(f, parsed ? &sc : nullptr);
  read_states(f);
  read_projections(f);
  read_readout_series(f);

  first_ = state_[0].first;
  count_ = state_[0].count;
  for (auto& s : state_) count_ = std::min(count_, s.first == first_ ? s.count : 0);
  net_.total_tokens = first_ + count_;
  compute_running_nrmse();
  if (!complete_)
    notes_.push_back("the recording is incomplete (status '" + status_ + "'): it ends where the run stopped");
}

void Recording::read_root(const Hdf5File& f) {
  if (!f.string_attribute(layout::kRoot, layout::kFormat))
    throw InputError(path_ + ": not a ransim recording (no root attribute '" + layout::kFormat + "')");
  status_ = string_attribute(f, layout::kRoot, layout::kStatus);
  complete_ = f.integer_attribute(layout::kRoot, layout::kComplete).value_or(0) == 1;
}

// The scenario, when it still parses (its models registered), gives the parameters and the
// readout protocol.
bool Recording::read_scenario(const Hdf5File& f, Scenario& sc) {
  namespace g = layout::general;
  const std::string text = f.string_dataset(g::kScenario).value_or("");
  if (text.empty()) return false;
  const std::string scenario_path = f.string_dataset(g::kScenarioPath).value_or("");
  const std::vector<std::string> overrides = split(f.string_dataset(g::kOverrides).value_or(""), '\n');
  try {
    sc = parse_scenario(text, scenario_path.empty() ? path_ : scenario_path, overrides);
    net_.description = sc.description;
    // Episode runs have no time protocol.
    if (const TaskInfo* t = find_task(sc.task_kind); t && !t->episodic()) {
      const auto task = t->create(sc.task);
      net_.readout_from = task->protocol.fit_at();
    }
    return true;
  } catch (const std::exception& e) {
    notes_.push_back(std::string("the stored scenario does not parse here (") + e.what() +
                     "); parameters and the readout protocol are not shown");
    return false;
  }
}

// Populations and their recorded variables; those without a recorded state are skipped.
void Recording::read_populations(const Hdf5File& f, const Scenario* sc) {
  for (const std::string& pop : f.children(layout::processing::kGroup)) {
    PopulationDesc p;
    p.name = pop;
    p.kind = string_attribute(f, layout::network::population(pop), layout::kKind);
    for (const std::string& var : f.children(layout::processing::population(pop))) {
      const std::string g = layout::processing::variable(pop, var);
      if (!f.exists(layout::series_data(g))) continue;
      VariableDesc v;
      v.name = var;
      v.unit = string_attribute(f, g, layout::kUnit);
      v.description = string_attribute(f, g, layout::kDescription);
      p.variables.push_back(v);
    }
    if (!p.has("state")) continue;
    if (sc)
      for (auto& decl : sc->populations)
        if (decl.name == pop)
          if (const PopulationInfo* info = Registry::global().find(decl.kind))
            for (auto& spec : info->params) {
              const bool set = decl.params.has(spec.name);
              p.params.push_back({spec, set ? decl.params.get(spec.name) : spec.default_value, false});
            }
    net_.populations.push_back(std::move(p));
  }
  if (net_.populations.empty())
    throw InputError(path_ + ": the recording holds no population states (" + layout::processing::kGroup +
                     ")");
}

// The recorded series of each population, and the shapes from the state data,
// [samples, lanes, units(, dim)]; maps are [units, n].
void Recording::read_states(const Hdf5File& f) {
  for (auto& p : net_.populations) {
    auto series = [&](const char* var) {
      return p.has(var) ? read_series(f, layout::processing::variable(p.name, var), false) : Series{};
    };
    state_.push_back(series("state"));
    attention_.push_back(series("attention"));
    memory_.push_back(series("memory"));
  }
  for (std::size_t i = 0; i < net_.populations.size(); ++i) {
    auto& p = net_.populations[i];
    const auto ext = f.shape(layout::series_data(layout::processing::variable(p.name, "state")))
                         .value_or(std::vector<std::size_t>{});
    const std::size_t units = ext.size() >= 3 ? ext[2] : 0, dim = ext.size() >= 4 ? ext[3] : 1;
    p.units = units;
    p.dim = dim;
    for (auto& v : p.variables) {
      if (v.name == "state")
        v.shape = dim > 1 ? std::vector<std::size_t>{units, dim} : std::vector<std::size_t>{units};
      else if (v.name == "attention" && units > 0) v.shape = {units, attention_[i].per / units};
      else if (v.name == "memory" && units > 0) v.shape = {units, memory_[i].per / units};
    }
  }
}

// Projections, for the network graph.
void Recording::read_projections(const Hdf5File& f) {
  namespace nw = layout::network;
  for (const std::string& name : f.children(nw::kProjections)) {
    const std::string g = nw::projection(name);
    ProjectionDesc pd;
    pd.name = name;
    pd.kind = string_attribute(f, g, layout::kKind);
    pd.from = split(string_attribute(f, g, nw::kSource), ' ');
    pd.to = string_attribute(f, g, nw::kTarget);
    for (auto& src : pd.from)
      if (auto shape = f.shape(nw::projection_weights(name, src) + "/" + layout::kCsrData)) {
        std::size_t n = 1;
        for (auto d : *shape) n *= d;
        pd.nnz += n;
      }
    net_.projections.push_back(std::move(pd));
  }
}

// Input, target and the readout's output, where the file has them.
void Recording::read_readout_series(const Hdf5File& f) {
  auto optional = [&](const char* group, bool input_axis) {
    return f.exists(layout::series_data(group)) ? read_series(f, group, input_axis) : Series{};
  };
  input_ = optional(layout::acquisition::kInput, true);
  target_ = optional(layout::acquisition::kTarget, false);
  output_ = optional(layout::analysis::kReadoutOutput, false);
  net_.input_dim = input_.per;
  net_.target_dim = target_.per;
  net_.has_readout = target_.count > 0;
}

// Running NRMSE of the readout output over all lanes, from the end of training.
void Recording::compute_running_nrmse() {
  nrmse_.assign(count_, std::nan(""));
  nrmse_n_.assign(count_, 0);
  if (output_.count == 0 || target_.count == 0) return;
  RunningNrmse r;
  for (std::size_t i = 0; i < count_; ++i) {
    const std::size_t k = first_ + i;
    const double* y = target_.lane0(k);
    const double* yh = output_.lane0(k);
    if (y && yh && k >= 1 && k - 1 >= net_.readout_from)
      for (std::size_t j = 0; j < target_.lanes * target_.per && j < output_.lanes * output_.per; ++j)
        r.add(y[j], yh[j]);
    nrmse_[i] = r.value();
    nrmse_n_[i] = r.count() / std::max<std::size_t>(1, target_.lanes * std::max<std::size_t>(1, target_.per));
  }
}

Frame Recording::frame(std::size_t i) const {
  Frame f;
  f.session = net_.session;
  f.token = first_ + i;
  f.time = static_cast<double>(f.token) * net_.token_period;
  f.seq = i + 1;
  f.pops.resize(net_.populations.size());
  auto take = [&](const Series& s, std::vector<double>& out) {
    if (const double* v = s.lane0(f.token)) out.assign(v, v + s.per);
  };
  for (std::size_t p = 0; p < net_.populations.size(); ++p) {
    take(state_[p], f.pops[p].state);
    take(attention_[p], f.pops[p].series["attention"]);
    take(memory_[p], f.pops[p].series["memory"]);
  }
  take(input_, f.input);
  take(target_, f.target);
  take(output_, f.prediction);
  if (i < nrmse_.size()) {
    f.nrmse = nrmse_[i];
    f.nrmse_tokens = nrmse_n_[i];
  }
  return f;
}

}  // namespace ransim::gui
