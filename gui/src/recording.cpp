#include "recording.hpp"

#include <hdf5.h>

#include <cmath>
#include <sstream>

#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "ransim/registry.hpp"
#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"
#include "view_data.hpp"

namespace ransim::gui {

namespace {

// Closes an HDF5 identifier on scope exit.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id(hid_t id, Closer c) : id_(id), close_(c) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

bool exists(hid_t f, const std::string& path) {
  // Walk one link at a time: H5Lexists fails when an intermediate group is missing.
  std::string prefix;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    if (H5Lexists(f, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = end + 1;
  }
  return true;
}

std::vector<std::string> children(hid_t f, const std::string& group) {
  std::vector<std::string> out;
  if (!exists(f, group)) return out;
  H5Id g(H5Gopen2(f, group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) return out;
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) return out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) continue;
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(n));
    out.push_back(name);
  }
  return out;
}

std::string read_string_attr(hid_t f, const std::string& obj, const std::string& attr) {
  if (!exists(f, obj) || H5Aexists_by_name(f, obj.c_str(), attr.c_str(), H5P_DEFAULT) <= 0) return "";
  H5Id a(H5Aopen_by_name(f, obj.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.ok()) return "";
  H5Id t(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(t.get()) != H5T_STRING) return "";
  if (H5Tis_variable_str(t.get()) > 0) {
    H5Id mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt.get(), H5T_VARIABLE);
    H5Tset_cset(mt.get(), H5Tget_cset(t.get()));
    char* buf = nullptr;
    if (H5Aread(a.get(), mt.get(), &buf) < 0 || !buf) return "";
    std::string s(buf);
    H5free_memory(buf);
    return s;
  }
  const std::size_t n = H5Tget_size(t.get());
  std::string s(n, '\0');
  if (H5Aread(a.get(), t.get(), s.data()) < 0) return "";
  return s.substr(0, s.find('\0'));
}

long long read_int_attr(hid_t f, const std::string& obj, const std::string& attr, long long fallback) {
  if (!exists(f, obj) || H5Aexists_by_name(f, obj.c_str(), attr.c_str(), H5P_DEFAULT) <= 0) return fallback;
  H5Id a(H5Aopen_by_name(f, obj.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  long long v = fallback;
  if (!a.ok() || H5Aread(a.get(), H5T_NATIVE_LLONG, &v) < 0) return fallback;
  return v;
}

std::string read_string_dataset(hid_t f, const std::string& path) {
  if (!exists(f, path)) return "";
  H5Id d(H5Dopen2(f, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.ok()) return "";
  H5Id t(H5Dget_type(d.get()), H5Tclose);
  if (H5Tget_class(t.get()) != H5T_STRING) return "";
  if (H5Tis_variable_str(t.get()) > 0) {
    H5Id mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt.get(), H5T_VARIABLE);
    H5Tset_cset(mt.get(), H5Tget_cset(t.get()));
    char* buf = nullptr;
    if (H5Dread(d.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &buf) < 0 || !buf) return "";
    std::string s(buf);
    H5free_memory(buf);
    return s;
  }
  const std::size_t n = H5Tget_size(t.get());
  std::string s(n, '\0');
  if (H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data()) < 0) return "";
  return s.substr(0, s.find('\0'));
}

std::size_t dataset_size(hid_t f, const std::string& path) {
  if (!exists(f, path)) return 0;
  H5Id d(H5Dopen2(f, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.ok()) return 0;
  H5Id s(H5Dget_space(d.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(s.get());
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

double read_scalar(const std::string& file, const std::string& path, double fallback) {
  try {
    const Array a = read_hdf5_array(file, path);
    return a.values.empty() ? fallback : a.values[0];
  } catch (const InputError&) {
    return fallback;
  }
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

Recording::Series Recording::read_series(const std::string& group, bool input_axis) const {
  Series s;
  Array a = read_hdf5_array(path_, group + "/data");
  if (a.shape.size() < 2)
    throw InputError(path_ + ": " + group + "/data: expected [samples, lanes, ...], found rank " +
                     std::to_string(a.shape.size()));
  s.count = a.shape[0];
  s.lanes = a.shape[1];
  s.per = 1;
  for (std::size_t i = 2; i < a.shape.size(); ++i) s.per *= a.shape[i];
  const double t0 = read_scalar(path_, group + "/starting_time", 0.0);
  const double k0 = std::round(t0 / net_.token_period);
  s.first = static_cast<std::size_t>(std::max(0.0, k0)) + (input_axis ? 1 : 0);
  s.values = std::move(a.values);
  return s;
}

Recording::Recording(const std::string& path, std::uint64_t session) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path + ": not an HDF5 file (or it cannot be read)");
  H5Id f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.ok()) throw InputError(path + ": cannot open the file (unreadable, or locked by a running ransim)");
  if (read_string_attr(f.get(), "/", "ransim_format").empty())
    throw InputError(path + ": not a ransim recording (no root attribute 'ransim_format')");
  status_ = read_string_attr(f.get(), "/", "status");
  complete_ = read_int_attr(f.get(), "/", "complete", 0) == 1;

  net_.session = session;
  net_.source = path;
  net_.token_period = read_scalar(path, "/general/integrator/token_period", 1.0);
  if (!(net_.token_period > 0)) net_.token_period = 1.0;
  net_.lanes = static_cast<std::size_t>(read_scalar(path, "/general/lanes", 1.0));

  // The scenario, when it still parses (its models registered), gives the parameters and
  // the readout protocol.
  const std::string text = read_string_dataset(f.get(), "/general/scenario");
  const std::string scenario_path = read_string_dataset(f.get(), "/general/scenario_path");
  std::vector<std::string> overrides = split(read_string_dataset(f.get(), "/general/overrides"), '\n');
  Scenario sc;
  bool parsed = false;
  if (!text.empty()) {
    try {
      sc = parse_scenario(text, scenario_path.empty() ? path : scenario_path, overrides);
      parsed = true;
      net_.description = sc.description;
      if (const TaskInfo* t = find_task(sc.task_kind); t && !t->episodic()) {  // episode runs have no time protocol
        const auto task = t->create(sc.task);
        net_.readout_from = task->protocol.warmup + task->protocol.train;
      }
    } catch (const std::exception& e) {
      notes_.push_back(std::string("the stored scenario does not parse here (") + e.what() +
                       "); parameters and the readout protocol are not shown");
    }
  }

  // Populations and their recorded variables.
  for (const std::string& pop : children(f.get(), "/processing")) {
    PopulationDesc p;
    p.name = pop;
    p.kind = read_string_attr(f.get(), "/network/populations/" + pop, "kind");
    for (const std::string& var : children(f.get(), "/processing/" + pop)) {
      const std::string g = "/processing/" + pop + "/" + var;
      if (!exists(f.get(), g + "/data")) continue;
      VariableDesc v;
      v.name = var;
      v.unit = read_string_attr(f.get(), g, "unit");
      v.description = read_string_attr(f.get(), g, "description");
      p.variables.push_back(v);
    }
    if (!p.has("state")) continue;
    if (parsed) {
      for (auto& decl : sc.populations)
        if (decl.name == pop)
          if (const PopulationInfo* info = Registry::global().find(decl.kind))
            for (auto& spec : info->params)
              p.params.push_back({spec, decl.params.has(spec.name) ? decl.params.get(spec.name) : spec.default_value,
                                  false});
    }
    net_.populations.push_back(std::move(p));
  }
  if (net_.populations.empty()) throw InputError(path + ": the recording holds no population states (/processing)");

  for (auto& p : net_.populations) {
    const std::string g = "/processing/" + p.name;
    state_.push_back(read_series(g + "/state", false));
    attention_.push_back(p.has("attention") ? read_series(g + "/attention", false) : Series{});
    memory_.push_back(p.has("memory") ? read_series(g + "/memory", false) : Series{});
  }
  // Shapes from the state data, [samples, lanes, units(, dim)]; maps are [units, n].
  for (std::size_t i = 0; i < net_.populations.size(); ++i) {
    auto& p = net_.populations[i];
    std::size_t units = 0, dim = 1;
    {
      H5Id d(H5Dopen2(f.get(), ("/processing/" + p.name + "/state/data").c_str(), H5P_DEFAULT), H5Dclose);
      H5Id s(H5Dget_space(d.get()), H5Sclose);
      const int rank = H5Sget_simple_extent_ndims(s.get());
      std::vector<hsize_t> ext(static_cast<std::size_t>(std::max(rank, 0)));
      if (rank > 0) H5Sget_simple_extent_dims(s.get(), ext.data(), nullptr);
      units = rank >= 3 ? static_cast<std::size_t>(ext[2]) : 0;
      dim = rank >= 4 ? static_cast<std::size_t>(ext[3]) : 1;
    }
    p.units = units;
    p.dim = dim;
    for (auto& v : p.variables) {
      if (v.name == "state") v.shape = dim > 1 ? std::vector<std::size_t>{units, dim} : std::vector<std::size_t>{units};
      else if (v.name == "attention" && units > 0) v.shape = {units, attention_[i].per / units};
      else if (v.name == "memory" && units > 0) v.shape = {units, memory_[i].per / units};
    }
  }

  // Projections (for the network graph).
  for (const std::string& name : children(f.get(), "/network/projections")) {
    const std::string g = "/network/projections/" + name;
    ProjectionDesc pd;
    pd.name = name;
    pd.kind = read_string_attr(f.get(), g, "kind");
    pd.from = split(read_string_attr(f.get(), g, "source"), ' ');
    pd.to = read_string_attr(f.get(), g, "target");
    for (auto& src : pd.from) pd.nnz += dataset_size(f.get(), g + "/weights_from_" + src + "/data");
    net_.projections.push_back(std::move(pd));
  }

  if (exists(f.get(), "/acquisition/input/data")) input_ = read_series("/acquisition/input", true);
  if (exists(f.get(), "/acquisition/target/data")) target_ = read_series("/acquisition/target", false);
  if (exists(f.get(), "/analysis/readout/output/data")) output_ = read_series("/analysis/readout/output", false);
  net_.input_dim = input_.per;
  net_.target_dim = target_.per;
  net_.has_readout = target_.count > 0;

  first_ = state_[0].first;
  count_ = state_[0].count;
  for (auto& s : state_) count_ = std::min(count_, s.first == first_ ? s.count : 0);
  net_.total_tokens = first_ + count_;

  // Running NRMSE of the readout output over all lanes, from the end of training.
  nrmse_.assign(count_, std::nan(""));
  nrmse_n_.assign(count_, 0);
  if (output_.count > 0 && target_.count > 0) {
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
  if (!complete_)
    notes_.push_back("the recording is incomplete (status '" + status_ + "'): it ends where the run stopped");
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
    take(attention_[p], f.pops[p].attention);
    take(memory_[p], f.pops[p].memory);
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
