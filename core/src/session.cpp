#include "ransim/session.hpp"

#include <cmath>
#include <sstream>
#include <unistd.h>

#include "ransim/error.hpp"
#include "ransim/recorder.hpp"
#include "ransim/registry.hpp"
#include "ransim/ridge.hpp"
#include "ransim/run.hpp"

#ifndef RANSIM_VERSION
#define RANSIM_VERSION "0.0.0"
#endif

namespace ransim {

namespace {

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string human_bytes(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

void write_value(Recorder& rec, const std::string& path, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) rec.write_scalar(path, x);
        else if constexpr (std::is_same_v<T, std::string>) rec.write_string(path, x);
        else rec.write_integer(path, static_cast<std::int64_t>(x));
      },
      v);
}

void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net) {
  rec.write_string("/general/scenario", sc.text);
  std::string overrides;
  for (auto& s : sc.overrides) overrides += s + "\n";
  rec.write_string("/general/overrides", overrides);
  rec.write_string("/general/scenario_path", sc.path);
  rec.write_integer("/general/seed", static_cast<std::int64_t>(sc.seed));
  rec.write_string("/general/ransim_version", RANSIM_VERSION);
  rec.write_string("/general/command_line", command_line);
  rec.write_string("/general/integrator/method", method_name(sc.integrator.method));
  rec.write_scalar("/general/integrator/dt", sc.integrator.dt);
  rec.write_scalar("/general/integrator/token_period", sc.integrator.token_period);
  rec.write_scalar("/general/integrator/abs_tol", sc.integrator.abs_tol);
  rec.write_scalar("/general/integrator/rel_tol", sc.integrator.rel_tol);
  rec.write_integer("/general/lanes", static_cast<std::int64_t>(net.lanes()));
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const auto& p = net.populations()[i];
    const std::string g = "/network/populations/" + p.name;
    for (auto& [name, v] : sc.populations[i].params.values()) write_value(rec, g + "/" + name, v);
    for (auto& [name, m] : p.model->weights()) {
      if (m.n_cols == 1) rec.write_vector(g + "/" + name, arma::conv_to<std::vector<double>>::from(m));
      else rec.write_matrix(g + "/" + name, m);
    }
    rec.set_attribute(g, "kind", p.kind);
    rec.write_integer(g + "/state_offset", static_cast<std::int64_t>(p.offset));
  }
  for (auto& proj : net.projections()) {
    const std::string g = "/network/projections/" + proj->name;
    std::string sources;
    for (auto& [src, m] : proj->matrices()) {
      rec.write_csr(g + "/weights_from_" + src.name, m,
                    "weights into " + net.populations()[proj->target].name + " from " + src.name);
      sources += (sources.empty() ? "" : " ") + src.name;
    }
    rec.set_attribute(g, "source", sources);
    rec.set_attribute(g, "target", net.populations()[proj->target].name);
    rec.set_attribute(g, "kind", proj->kind());
  }
}

}  // namespace

struct Session::Recorded {
  std::size_t pop;
  std::string name;
  std::size_t id;
};

// max |a - b| and max |b| of two recordables over a run.
struct Session::Comparison {
  std::string name;
  std::size_t pop_a = 0, pop_b = 0;
  std::string var_a, var_b;
  bool needs_drive = false;
  double max_diff = 0, max_b = 0;
  std::vector<double> a, b;

  static Comparison resolve(const CompareDecl& d, const Network& net, const std::string& path) {
    Comparison c;
    c.name = d.name;
    std::size_t sizes[2] = {0, 0};
    for (int side = 0; side < 2; ++side) {
      const std::string& full = side == 0 ? d.a : d.b;
      const std::string pop = full.substr(0, full.find('.')), var = full.substr(full.find('.') + 1);
      const std::size_t p = net.find(pop);
      bool found = false;
      for (auto& r : net.populations()[p].model->recordables())
        if (r.name == var) {
          found = true;
          sizes[side] = r.size();
          c.needs_drive = c.needs_drive || r.needs_drive;
        }
      if (!found)
        throw InputError(path + ": compare '" + d.name + "': population '" + pop + "' records no variable '" + var + "'");
      (side == 0 ? c.pop_a : c.pop_b) = p;
      (side == 0 ? c.var_a : c.var_b) = var;
    }
    if (sizes[0] != sizes[1])
      throw InputError(path + ": compare '" + d.name + "': '" + d.a + "' has " + std::to_string(sizes[0]) +
                       " values per lane but '" + d.b + "' has " + std::to_string(sizes[1]));
    return c;
  }

  void update(const Network& net, const double* x) {
    a.clear();
    b.clear();
    net.populations()[pop_a].model->sample(var_a, net.block(x, pop_a), net.drive(pop_a), a);
    net.populations()[pop_b].model->sample(var_b, net.block(x, pop_b), net.drive(pop_b), b);
    for (std::size_t i = 0; i < a.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(a[i] - b[i]));
      max_b = std::max(max_b, std::abs(b[i]));
    }
  }
};

// Stops a run whose state has left the useful regime: any non-finite value (diverged), or
// a population with most of its units pinned at their bound for many tokens (saturated).
struct Session::Health {
  static constexpr double kPinned = 1e-9;        // |x| >= level * (1 - kPinned)
  static constexpr double kFraction = 0.9;       // of a population's units
  static constexpr std::size_t kTokens = 100;    // consecutive tokens

  explicit Health(std::size_t populations) : streak_(populations, 0) {}

  std::optional<std::pair<std::string, std::string>> check(const Network& net, const double* x,
                                                           double t, std::size_t token) {
    const std::size_t lanes = net.lanes();
    for (std::size_t p = 0; p < net.populations().size(); ++p) {
      const auto& pop = net.populations()[p];
      const ConstBlock blk = net.block(x, p);
      const double bound = pop.model->saturation_level() * (1.0 - kPinned);
      const std::size_t dim = pop.model->unit_dim(), units = pop.model->units();
      std::size_t pinned = 0, first_pinned = units;
      for (std::size_t u = 0; u < units; ++u) {
        bool unit_pinned = bound > 0;
        for (std::size_t v = u * dim; v < (u + 1) * dim; ++v)
          for (std::size_t b = 0; b < lanes; ++b) {
            const double value = blk(v, b);
            if (!std::isfinite(value))
              return std::make_pair(std::string("diverged"),
                                    "the state diverged (non-finite) in population '" + pop.name + "', unit " +
                                        std::to_string(u) + ", lane " + std::to_string(b) + ", at t = " +
                                        num(t) + " s (token " + std::to_string(token) + ")");
            unit_pinned = unit_pinned && std::abs(value) >= bound;
          }
        if (unit_pinned && pinned++ == 0) first_pinned = u;
      }
      streak_[p] = bound > 0 && static_cast<double>(pinned) >= kFraction * static_cast<double>(units)
                       ? streak_[p] + 1 : 0;
      if (streak_[p] >= kTokens)
        return std::make_pair(std::string("saturated"),
                              "population '" + pop.name + "' is saturated: " + std::to_string(pinned) + " of " +
                                  std::to_string(units) + " units (first: unit " + std::to_string(first_pinned) +
                                  ") have sat at +-" + num(pop.model->saturation_level()) + " for " +
                                  std::to_string(kTokens) + " tokens, at t = " + num(t) + " s (token " +
                                  std::to_string(token) + "); reduce the input scale, biases or recurrent gain");
    }
    return std::nullopt;
  }

  std::vector<std::size_t> streak_;
};


Session::Session(const Scenario& sc, const SessionOptions& opts) : sc_(sc), opts_(opts) {
  const double need = estimate_memory(sc_);
  const double have = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (need > 0.8 * have)
    throw InputError(sc_.path + ": this scenario needs about " + human_bytes(need) +
                     " of memory (population sizes, projection densities, lanes, task length) "
                     "but the machine has " + human_bytes(have));

  const std::unique_ptr<Task> task = find_task(sc_.task_kind)->create(sc_.task);
  protocol_ = task->protocol;
  Rng task_rng = make_rng(sc_.seed, "task");
  seq_ = task->generate(sc_.lanes, task_rng);
  net_ = build_network(sc_, seq_.input_dim);
  sim_ = std::make_unique<Simulator>(*net_, sc_.integrator);
  const std::size_t lanes = sc_.lanes;
  u_.assign(seq_.input_dim * lanes, 0.0);
  prediction_.assign(seq_.target_dim * lanes, 0.0);

  // Readout features: the chosen populations' states (and the input, if asked). Tasks
  // without a target (random_sequence) train no readout.
  has_readout_ = seq_.target_dim > 0 && protocol_.train > 0;
  if (has_readout_)
    for (std::size_t i = 0; i < net_->populations().size(); ++i)
      if (sc_.readout_from.empty() || std::find(sc_.readout_from.begin(), sc_.readout_from.end(),
                                                net_->populations()[i].name) != sc_.readout_from.end())
        feature_pops_.push_back(i);
  with_input_ = has_readout_ && sc_.readout.boolean("include_input");
  std::size_t features = with_input_ ? seq_.input_dim : 0;
  for (auto i : feature_pops_) features += net_->populations()[i].model->state_size();
  features_.set_size(features, has_readout_ ? seq_.steps * lanes : 0);

  // [[compare]]: resolve both recordables of each pair now, so a typo fails before the run.
  for (auto& c : sc_.compares) {
    compares_.push_back(Comparison::resolve(c, *net_, sc_.path));
    compare_needs_drive_ = compare_needs_drive_ || compares_.back().needs_drive;
  }
  health_ = std::make_unique<Health>(net_->populations().size());

  const std::string out = opts_.out.empty() ? sc_.record.string("file") : opts_.out;
  if (!out.empty()) start_recording(out);
}

Session::~Session() {
  try {
    finish();
  } catch (...) {  // a destructor never throws; finish() already tried its best
  }
}

void Session::start_recording(const std::string& path) {
  if (rec_) stop_recording();
  const double T = sc_.integrator.token_period;
  const std::size_t lanes = sc_.lanes;
  auto rec = std::make_unique<Recorder>(RecorderOptions{path, sc_.record.real("flush_interval"),
                                                        static_cast<int>(sc_.record.integer("compression"))});
  write_setup(*rec, sc_, opts_.command_line, *net_);
  // Samples from now on: input k is held from k T, the state after it is at (k+1) T.
  const double t0 = static_cast<double>(k_) * T;
  input_id_ = rec->add_series("/acquisition/input", {lanes, seq_.input_dim}, "1",
                              "input sample k, held on [k T, (k+1) T)", t0, 1.0 / T);
  if (has_readout_)
    target_id_ = rec->add_series("/acquisition/target", {lanes, seq_.target_dim}, "1",
                                 "target for the state after input sample k", t0 + T, 1.0 / T);
  recorded_.clear();
  any_needs_drive_ = false;
  for (std::size_t i = 0; i < net_->populations().size(); ++i) {
    const auto& p = net_->populations()[i];
    for (auto& r : p.model->recordables()) {
      const auto& vars = sc_.record_variables;
      if (!vars.empty() && std::find(vars.begin(), vars.end(), p.name) == vars.end() &&
          std::find(vars.begin(), vars.end(), p.name + "." + r.name) == vars.end())
        continue;
      std::vector<std::size_t> shape{lanes};
      shape.insert(shape.end(), r.shape.begin(), r.shape.end());
      any_needs_drive_ = any_needs_drive_ || r.needs_drive;
      recorded_.push_back({i, r.name, rec->add_series("/processing/" + p.name + "/" + r.name, shape, r.unit,
                                                      r.description + " (" + p.kind + ")", t0 + T, 1.0 / T)});
    }
  }
  rec->flush();
  rec_ = std::move(rec);
  out_ = path;
  first_recorded_ = k_;
}

void Session::stop_recording() {
  if (!rec_) return;
  rec_->finish(done() ? (status_ == "running" ? "complete" : status_) : "partial");
  rec_.reset();
}

void Session::set_parameter(const std::string& population, const std::string& name, const Value& value) {
  const std::size_t p = net_->find(population);
  if (p == static_cast<std::size_t>(-1)) throw InputError("no population named '" + population + "'");
  const auto& slot = net_->populations()[p];
  const auto live = slot.model->live_parameters();
  if (std::find(live.begin(), live.end(), name) == live.end())
    throw InputError(population + "." + name + " cannot change during a run");
  const ParamSpec* spec = find_spec(Registry::global().find(slot.kind)->params, name);
  if (!spec) throw InputError(population + "." + name + ": no such parameter");
  if (auto why = spec->check(value))
    throw InputError(population + "." + name + ": expected " + spec->expectation() + ", found " + to_string(value));
  pending_.push_back({p, {name, value}});
}

void Session::stop(const std::string& status, const std::string& message) {
  if (status_ != "running") return;
  status_ = status;
  message_ = message;
}

bool Session::step() {
  if (done()) return false;
  // Parameter edits land here, between steps.
  for (auto& [p, edit] : pending_) {
    net_->populations()[p].model->set_live_parameter(edit.first, edit.second);
    for (auto& decl : sc_.populations)
      if (decl.name == net_->populations()[p].name) decl.params.set(edit.first, edit.second);
  }
  pending_.clear();

  const std::size_t lanes = sc_.lanes, k = k_;
  const std::size_t fit_at = protocol_.warmup + protocol_.train;  // W is trained after this many tokens
  const bool closed_loop = has_readout_ && protocol_.free_run && k >= fit_at;
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t i = 0; i < seq_.input_dim; ++i)
      u_[i * lanes + b] = closed_loop ? prediction_[i * lanes + b] : seq_.input_at(k, b)[i];
  sim_->step_token(u_.data());

  const std::vector<double>& x = sim_->state();
  if (auto stop = health_->check(*net_, x.data(), sim_->time(), k)) {
    status_ = stop->first;
    message_ = stop->second;
    return false;
  }
  ++k_;

  if (has_readout_) {
    for (std::size_t b = 0; b < lanes; ++b) {
      auto col = features_.col(k * lanes + b);
      std::size_t f = 0;
      for (auto i : feature_pops_) {
        const ConstBlock blk = net_->block(x.data(), i);
        for (std::size_t v = 0; v < blk.vars; ++v) col[f++] = blk(v, b);
      }
      if (with_input_)
        for (std::size_t i = 0; i < seq_.input_dim; ++i) col[f++] = u_[i * lanes + b];
    }
  }
  if (rec_) record_token();
  if (!compares_.empty()) {
    if (compare_needs_drive_) net_->compute_drive(x.data(), u_.data());
    for (auto& c : compares_) c.update(*net_, x.data());
  }
  if (has_readout_ && k + 1 == fit_at) fit();
  if (has_readout_ && protocol_.free_run && k + 1 >= fit_at) prediction();  // the next input
  if (k_ == seq_.steps) status_ = "complete";
  return true;
}

void Session::record_token() {
  const std::size_t lanes = sc_.lanes;
  const std::vector<double>& x = sim_->state();
  sample_.clear();
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t i = 0; i < seq_.input_dim; ++i) sample_.push_back(u_[i * lanes + b]);
  rec_->append(input_id_, sample_.data());
  if (has_readout_) rec_->append(target_id_, seq_.target_at(k_ - 1, 0));
  if (any_needs_drive_) net_->compute_drive(x.data(), u_.data());
  for (auto& r : recorded_) {
    sample_.clear();
    net_->populations()[r.pop].model->sample(r.name, net_->block(x.data(), r.pop), net_->drive(r.pop), sample_);
    rec_->append(r.id, sample_.data());
  }
  rec_->maybe_flush();
}

std::vector<double> Session::sample(std::size_t population, const std::string& variable) {
  const std::vector<double>& x = sim_->state();
  net_->compute_drive(x.data(), u_.data());
  std::vector<double> out;
  net_->populations()[population].model->sample(variable, net_->block(x.data(), population),
                                                net_->drive(population), out);
  return out;
}

void Session::fit() {
  const std::size_t lanes = sc_.lanes, fit_at = protocol_.warmup + protocol_.train;
  arma::mat X = features_.cols(protocol_.warmup * lanes, fit_at * lanes - 1).t();
  arma::mat Y(X.n_rows, seq_.target_dim);
  for (std::size_t k = protocol_.warmup; k < fit_at; ++k)
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t o = 0; o < seq_.target_dim; ++o)
        Y((k - protocol_.warmup) * lanes + b, o) = seq_.target_at(k, b)[o];
  w_ = ridge_fit(X, Y, sc_.readout.real("ridge"));
}

std::optional<std::vector<double>> Session::prediction() {
  if (w_.empty() || k_ == 0) return std::nullopt;
  const std::size_t lanes = sc_.lanes, F = features_.n_rows;
  for (std::size_t b = 0; b < lanes; ++b) {
    const arma::rowvec y = features_.col((k_ - 1) * lanes + b).t() * w_.rows(0, F - 1) + w_.row(F);
    for (std::size_t o = 0; o < seq_.target_dim; ++o) prediction_[o * lanes + b] = y[o];
  }
  return prediction_;
}

void Session::finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& c : compares_) {
    metrics_["max_abs_dev_" + c.name] = c.max_diff;
    metrics_["max_rel_dev_" + c.name] = c.max_diff / c.max_b;
  }
  const std::size_t lanes = sc_.lanes, T = seq_.steps;
  if (status_ == "complete" && has_readout_) {
    const arma::mat Yhat = ridge_predict(w_, features_.t());  // rows (token, lane)
    auto segment = [&](std::size_t k0, std::size_t k1, const char* name) {
      arma::mat y((k1 - k0) * lanes, seq_.target_dim), yh(y.n_rows, seq_.target_dim);
      for (std::size_t k = k0; k < k1; ++k)
        for (std::size_t b = 0; b < lanes; ++b)
          for (std::size_t o = 0; o < seq_.target_dim; ++o) {
            y((k - k0) * lanes + b, o) = seq_.target_at(k, b)[o];
            yh((k - k0) * lanes + b, o) = Yhat(k * lanes + b, o);
          }
      metrics_[name] = nrmse(y, yh);
    };
    const std::size_t fit_at = protocol_.warmup + protocol_.train;
    segment(protocol_.warmup, fit_at, "nrmse_train");
    segment(fit_at, T, "nrmse_test");
    if (rec_) {
      const double Ttok = sc_.integrator.token_period;
      const auto id = rec_->add_series("/analysis/readout/output", {lanes, seq_.target_dim}, "1",
                                       "readout output [x 1] W for the state after each token",
                                       static_cast<double>(first_recorded_ + 1) * Ttok, 1.0 / Ttok);
      for (std::size_t k = first_recorded_; k < T; ++k) {
        sample_.clear();
        for (std::size_t b = 0; b < lanes; ++b)
          for (std::size_t o = 0; o < seq_.target_dim; ++o) sample_.push_back(Yhat(k * lanes + b, o));
        rec_->append(id, sample_.data());
      }
      rec_->write_matrix("/network/readout/weights", w_, "1", "[features + 1, outputs]; the last row is the bias");
      rec_->set_attribute("/network/readout", "ridge", sc_.readout.real("ridge"));
      std::string names;
      for (auto i : feature_pops_) names += net_->populations()[i].name + ".state ";
      if (with_input_) names += "input";
      rec_->write_string("/network/readout/features", names);
    }
  }
  if (rec_) {
    for (auto& [m, v] : metrics_) rec_->write_scalar("/analysis/metrics/" + m, v);
    rec_->finish(status_ == "running" ? "failed" : status_);
    rec_.reset();
  }
}

}  // namespace ransim
