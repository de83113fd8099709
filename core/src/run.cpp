#include "ransim/run.hpp"

#include <chrono>
#include <sstream>
#include <optional>
#include <cmath>
#include <thread>
#include <unistd.h>

#include "ransim/error.hpp"
#include "ransim/recorder.hpp"
#include "ransim/registry.hpp"
#include "ransim/ridge.hpp"
#include "ransim/simulator.hpp"
#include "ransim/tasks.hpp"

#ifndef RANSIM_VERSION
#define RANSIM_VERSION "0.0.0"
#endif

namespace ransim {

namespace {

double declared_size(const PopulationDecl& p) {
  double n = p.params.has("size") ? static_cast<double>(p.params.integer("size")) : 1.0;
  if (p.params.has("dim")) n *= static_cast<double>(p.params.integer("dim"));
  return n;
}

WeightDistribution distribution(const std::string& s) {
  if (s == "uniform") return WeightDistribution::Uniform;
  if (s == "bernoulli") return WeightDistribution::Bernoulli;
  return WeightDistribution::Normal;
}

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

}  // namespace

double estimate_memory(const Scenario& sc) {
  const TaskInfo* task = find_task(sc.task_kind);
  const Protocol pr = task->create(sc.task)->protocol;
  const double lanes = static_cast<double>(sc.lanes), steps = static_cast<double>(pr.total());
  double state = 0;
  std::map<std::string, double> size;
  for (auto& p : sc.populations) state += size[p.name] = declared_size(p);
  size["input"] = 1;
  double weights = 0;
  for (auto& pj : sc.projections) {
    const double rows = size[pj.to];
    if (pj.kind == "sparse") {
      const double cols = size[pj.from[0]];
      const double fan = static_cast<double>(pj.params.integer("fan_in"));
      weights += 12.0 * (fan > 0 ? rows * fan : pj.params.real("density") * rows * cols);
    } else {
      weights += 8.0 * rows;
    }
  }
  const double features = state + 1;
  return 8.0 * state * lanes * 12          // state, stepper stages, drive
         + weights
         + 8.0 * 4 * steps * lanes         // task input and target (with copies)
         + 8.0 * steps * lanes * features  // readout features
         + 8.0 * features * features * 3;  // normal equations
}

std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size) {
  const std::size_t threads = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  auto net = std::make_unique<Network>(input_size, sc.lanes, threads);
  for (auto& p : sc.populations) {
    const PopulationInfo* info = Registry::global().find(p.kind);
    PopulationContext ctx{p.name, p.params, sc.seed};
    net->add_population(p.name, p.kind, info->create(ctx));
  }
  for (auto& pj : sc.projections) {
    Rng rng = make_rng(sc.seed, "projection." + pj.name);
    const std::size_t target = net->find(pj.to);
    const std::size_t rows = net->populations()[target].model->input_size();
    std::unique_ptr<Projection> proj;
    if (pj.kind == "sparse") {
      const SourceRef src = net->source(pj.from[0]);
      SparseSpec spec;
      spec.rows = rows;
      spec.cols = src.size;
      spec.density = pj.params.real("density");
      spec.fan_in = static_cast<std::size_t>(pj.params.integer("fan_in"));
      spec.distribution = distribution(pj.params.string("distribution"));
      spec.spectral_radius = pj.params.real("spectral_radius");
      spec.scale = pj.params.real("scale");
      if (spec.spectral_radius > 0 && (src.is_input || spec.rows != spec.cols))
        throw InputError(sc.path + ": projection '" + pj.name +
                         "': spectral_radius applies to square recurrent projections only");
      if (static_cast<double>(spec.rows) * static_cast<double>(spec.fan_in ? spec.fan_in : spec.cols * spec.density) > 4e9)
        throw InputError(sc.path + ": projection '" + pj.name + "' has more than 4e9 weights");
      try {
        proj = std::make_unique<SparseProjection>(src, random_sparse(spec, rng));
      } catch (const InputError& e) {
        throw InputError(sc.path + ": projection '" + pj.name + "': " + e.what());
      }
    } else {
      std::vector<SourceRef> sources;
      for (auto& f : pj.from) sources.push_back(net->source(f));
      auto routes = pj.params.string("map") == "ordered" ? ordered_routing(rows, sources)
                                                          : random_routing(rows, sources, rng);
      proj = std::make_unique<RoutingProjection>(sources, std::move(routes), pj.params.real("scale"));
    }
    proj->name = pj.name;
    proj->target = target;
    net->add_projection(std::move(proj));
  }
  return net;
}

namespace {

struct RecordedVariable {
  std::size_t pop;
  std::string name;
  Recorder::SeriesId id;
};

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

void write_setup(Recorder& rec, const Scenario& sc, const RunOptions& opts, const Network& net) {
  rec.write_string("/general/scenario", sc.text);
  std::string overrides;
  for (auto& s : sc.overrides) overrides += s + "\n";
  rec.write_string("/general/overrides", overrides);
  rec.write_string("/general/scenario_path", sc.path);
  rec.write_integer("/general/seed", static_cast<std::int64_t>(sc.seed));
  rec.write_string("/general/ransim_version", RANSIM_VERSION);
  rec.write_string("/general/command_line", opts.command_line);
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

// max |a - b| and max |b| of two recordables over a run.
struct Comparison {
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
class HealthCheck {
 public:
  static constexpr double kPinned = 1e-9;        // |x| >= level * (1 - kPinned)
  static constexpr double kFraction = 0.9;       // of a population's units
  static constexpr std::size_t kTokens = 100;    // consecutive tokens

  explicit HealthCheck(std::size_t populations) : streak_(populations, 0) {}

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

 private:
  std::vector<std::size_t> streak_;
};

}  // namespace

RunResult run(const Scenario& sc, const RunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  const double need = estimate_memory(sc);
  const double have = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (need > 0.8 * have)
    throw InputError(sc.path + ": this scenario needs about " + human_bytes(need) +
                     " of memory (population sizes, projection densities, lanes, task length) "
                     "but the machine has " + human_bytes(have));

  const TaskInfo* task_info = find_task(sc.task_kind);
  const std::unique_ptr<Task> task = task_info->create(sc.task);
  const Protocol pr = task->protocol;
  Rng task_rng = make_rng(sc.seed, "task");
  const Sequences seq = task->generate(sc.lanes, task_rng);

  auto net = build_network(sc, seq.input_dim);
  Simulator sim(*net, sc.integrator);
  const std::size_t lanes = sc.lanes, T = seq.steps;

  // Readout features: the chosen populations' states (and the input, if asked).
  std::vector<std::size_t> feature_pops;
  for (std::size_t i = 0; i < net->populations().size(); ++i)
    if (sc.readout_from.empty() ||
        std::find(sc.readout_from.begin(), sc.readout_from.end(), net->populations()[i].name) != sc.readout_from.end())
      feature_pops.push_back(i);
  // Tasks without a target (random_sequence) train no readout.
  const bool has_readout = seq.target_dim > 0 && pr.train > 0;
  if (!has_readout) feature_pops.clear();
  const bool with_input = has_readout && sc.readout.boolean("include_input");
  std::size_t F = with_input ? seq.input_dim : 0;
  for (auto i : feature_pops) F += net->populations()[i].model->state_size();
  arma::mat features(F, T * lanes);  // one column per (token, lane)

  RunResult res;
  res.state_size = net->state_size();
  res.lanes = lanes;
  res.out = opts.out.empty() ? sc.record.string("file") : opts.out;

  std::unique_ptr<Recorder> rec;
  std::vector<RecordedVariable> recorded;
  bool any_needs_drive = false;
  Recorder::SeriesId input_id = 0, target_id = 0;
  const double Ttok = sc.integrator.token_period;
  if (!res.out.empty()) {
    rec = std::make_unique<Recorder>(RecorderOptions{res.out, sc.record.real("flush_interval"),
                                                     static_cast<int>(sc.record.integer("compression"))});
    write_setup(*rec, sc, opts, *net);
    input_id = rec->add_series("/acquisition/input", {lanes, seq.input_dim}, "1",
                               "input sample k, held on [k T, (k+1) T)", 0.0, 1.0 / Ttok);
    if (has_readout)
      target_id = rec->add_series("/acquisition/target", {lanes, seq.target_dim}, "1",
                                  "target for the state after input sample k", Ttok, 1.0 / Ttok);
    for (std::size_t i = 0; i < net->populations().size(); ++i) {
      const auto& p = net->populations()[i];
      for (auto& r : p.model->recordables()) {
        const std::string full = p.name + "." + r.name;
        if (!sc.record_variables.empty() &&
            std::find(sc.record_variables.begin(), sc.record_variables.end(), p.name) == sc.record_variables.end() &&
            std::find(sc.record_variables.begin(), sc.record_variables.end(), full) == sc.record_variables.end())
          continue;
        std::vector<std::size_t> shape{lanes};
        shape.insert(shape.end(), r.shape.begin(), r.shape.end());
        any_needs_drive = any_needs_drive || r.needs_drive;
        recorded.push_back({i, r.name, rec->add_series("/processing/" + p.name + "/" + r.name, shape, r.unit,
                                                       r.description + " (" + p.kind + ")", Ttok, 1.0 / Ttok)});
      }
    }
    rec->flush();
  }

  // From here on a failure still closes the recording, marked "failed", and keeps its data.
  try {
  const std::size_t fit_at = pr.warmup + pr.train;  // W is trained after this many tokens
  arma::mat w;
  std::vector<double> u(seq.input_dim * lanes), sample, prediction(seq.target_dim * lanes);
  const std::vector<double>& x = sim.state();
  double last_report = 0;

  auto features_of = [&](std::size_t k, std::size_t b) { return features.col(k * lanes + b); };
  auto predict = [&](std::size_t k) {
    for (std::size_t b = 0; b < lanes; ++b) {
      const arma::rowvec y = features_of(k, b).t() * w.rows(0, F - 1) + w.row(F);
      for (std::size_t o = 0; o < seq.target_dim; ++o) prediction[o * lanes + b] = y[o];
    }
  };
  auto fit = [&](std::size_t upto) {
    arma::mat X = features.cols(pr.warmup * lanes, upto * lanes - 1).t();
    arma::mat Y(X.n_rows, seq.target_dim);
    for (std::size_t k = pr.warmup; k < upto; ++k)
      for (std::size_t b = 0; b < lanes; ++b)
        for (std::size_t o = 0; o < seq.target_dim; ++o)
          Y((k - pr.warmup) * lanes + b, o) = seq.target_at(k, b)[o];
    w = ridge_fit(X, Y, sc.readout.real("ridge"));
  };

  // [[compare]]: resolve the two recordables of each pair now, so a typo fails before the run.
  std::vector<Comparison> compares;
  bool compare_needs_drive = false;
  for (auto& c : sc.compares) {
    compares.push_back(Comparison::resolve(c, *net, sc.path));
    compare_needs_drive = compare_needs_drive || compares.back().needs_drive;
  }

  HealthCheck health(net->populations().size());
  std::size_t k = 0;
  for (; k < T; ++k) {
    if (opts.stop && opts.stop->load()) {
      res.status = "interrupted";
      res.message = "interrupted by signal " + std::to_string(opts.stop->load()) + " after " +
                    std::to_string(k) + " of " + std::to_string(T) + " tokens (t = " +
                    num(sim.time()) + " s)";
      break;
    }
    const bool closed_loop = pr.free_run && k >= fit_at;
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < seq.input_dim; ++i)
        u[i * lanes + b] = closed_loop ? prediction[i * lanes + b] : seq.input_at(k, b)[i];
    sim.step_token(u.data());

    if (auto stop = health.check(*net, x.data(), sim.time(), k)) {
      res.status = stop->first;
      res.message = stop->second;
      break;
    }

    for (std::size_t b = 0; b < lanes; ++b) {
      auto col = features_of(k, b);
      std::size_t f = 0;
      for (auto i : feature_pops) {
        const ConstBlock blk = net->block(x.data(), i);
        for (std::size_t v = 0; v < blk.vars; ++v) col[f++] = blk(v, b);
      }
      if (with_input)
        for (std::size_t i = 0; i < seq.input_dim; ++i) col[f++] = u[i * lanes + b];
    }
    if (rec) {
      sample.clear();
      for (std::size_t b = 0; b < lanes; ++b)
        for (std::size_t i = 0; i < seq.input_dim; ++i) sample.push_back(u[i * lanes + b]);
      rec->append(input_id, sample.data());
      if (has_readout) rec->append(target_id, seq.target_at(k, 0));
      if (any_needs_drive) net->compute_drive(x.data(), u.data());
      for (auto& r : recorded) {
        sample.clear();
        net->populations()[r.pop].model->sample(r.name, net->block(x.data(), r.pop), net->drive(r.pop), sample);
        rec->append(r.id, sample.data());
      }
      rec->maybe_flush();
    }
    if (!compares.empty()) {
      if (compare_needs_drive) net->compute_drive(x.data(), u.data());
      for (auto& c : compares) c.update(*net, x.data());
    }
    if (has_readout && k + 1 == fit_at) fit(fit_at);
    if (has_readout && pr.free_run && k + 1 >= fit_at) predict(k);

    if (opts.progress && elapsed() - last_report > 0.2) {
      last_report = elapsed();
      opts.progress({k + 1, T, sim.steps(), last_report});
    }
  }
  res.tokens = k;
  res.steps = sim.steps();
  if (opts.progress) opts.progress({k, T, sim.steps(), elapsed()});

  for (auto& c : compares) {
    res.metrics["max_abs_dev_" + c.name] = c.max_diff;
    res.metrics["max_rel_dev_" + c.name] = c.max_diff / c.max_b;
    if (rec) rec->write_scalar("/analysis/metrics/max_rel_dev_" + c.name, c.max_diff / c.max_b);
  }
  if (res.status == "complete" && has_readout) {
    const arma::mat X = features.t();
    const arma::mat Yhat = ridge_predict(w, X);  // rows (token, lane)
    auto segment = [&](std::size_t k0, std::size_t k1, const char* name) {
      arma::mat y(( k1 - k0) * lanes, seq.target_dim), yh(y.n_rows, seq.target_dim);
      for (std::size_t kk = k0; kk < k1; ++kk)
        for (std::size_t b = 0; b < lanes; ++b)
          for (std::size_t o = 0; o < seq.target_dim; ++o) {
            y((kk - k0) * lanes + b, o) = seq.target_at(kk, b)[o];
            yh((kk - k0) * lanes + b, o) = Yhat(kk * lanes + b, o);
          }
      res.metrics[name] = nrmse(y, yh);
    };
    segment(pr.warmup, fit_at, "nrmse_train");
    segment(fit_at, T, "nrmse_test");
    if (rec) {
      const auto id = rec->add_series("/analysis/readout/output", {lanes, seq.target_dim}, "1",
                                      "readout output [x 1] W for the state after each token", Ttok, 1.0 / Ttok);
      for (std::size_t kk = 0; kk < T; ++kk) {
        sample.clear();
        for (std::size_t b = 0; b < lanes; ++b)
          for (std::size_t o = 0; o < seq.target_dim; ++o) sample.push_back(Yhat(kk * lanes + b, o));
        rec->append(id, sample.data());
      }
      rec->write_matrix("/network/readout/weights", w, "1", "[features + 1, outputs]; the last row is the bias");
      rec->set_attribute("/network/readout", "ridge", sc.readout.real("ridge"));
      std::string names;
      for (auto i : feature_pops) names += net->populations()[i].name + ".state ";
      if (with_input) names += "input";
      rec->write_string("/network/readout/features", names);
      for (auto& [m, v] : res.metrics) rec->write_scalar("/analysis/metrics/" + m, v);
    }
  }
  res.wall_seconds = elapsed();
  if (rec) rec->finish(res.status);
  } catch (...) {
    if (rec) {
      try {
        rec->finish("failed");
      } catch (...) {
      }
    }
    throw;
  }
  return res;
}

}  // namespace ransim
