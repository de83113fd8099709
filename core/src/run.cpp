#include "ransim/run.hpp"

#include <chrono>
#include <thread>
#include <unistd.h>

#include "ransim/error.hpp"
#include "ransim/recorder.hpp"
#include "ransim/registry.hpp"
#include "ransim/session.hpp"
#include "ransim/tasks.hpp"
#include "run_internal.hpp"

#ifndef RANSIM_VERSION
#define RANSIM_VERSION "0.0.0"
#endif

// OpenBLAS's thread control, when OpenBLAS is the BLAS in the process (weak: absent otherwise).
extern "C" {
int openblas_get_num_threads() __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace ransim {

SingleThreadedBlas::SingleThreadedBlas() {
  if (openblas_get_num_threads && openblas_set_num_threads) {
    saved_ = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

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

}  // namespace

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

double estimate_memory(const Scenario& sc) {
  const TaskInfo* task = find_task(sc.task_kind);
  const double lanes = static_cast<double>(sc.lanes);
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
  if (task->episodic()) {  // a network per thread, a few waves of features, the normal equations
    const auto ep = task->create_episodes(sc.task);
    const double copies = sc.threads ? static_cast<double>(sc.threads) : std::thread::hardware_concurrency();
    const double features = (state + static_cast<double>(ep->input_dim)) * static_cast<double>(ep->points[0].size()) + 1;
    const double samples = lanes * static_cast<double>(ep->points.size());
    return copies * (8.0 * state * lanes * 12 + weights) + 8.0 * features * features * 3 +
           8.0 * features * (std::max(512.0, samples) + 8 * copies * samples);
  }
  const double steps = static_cast<double>(task->create(sc.task)->protocol.total());
  const double features = state + 1;
  return 8.0 * state * lanes * 12          // state, stepper stages, drive
         + weights
         + 8.0 * 4 * steps * lanes         // task input and target (with copies)
         + 8.0 * steps * lanes * features  // readout features
         + 8.0 * features * features * 3;  // normal equations
}

std::size_t fixed_weights(const Network& net) {
  std::size_t n = 0;
  for (auto& proj : net.projections())
    for (auto& [src, m] : proj->matrices()) n += m.nnz();
  for (auto& p : net.populations())
    for (auto& [name, m] : p.model->weights()) n += m.n_elem;
  return n;
}

void check_memory(const Scenario& sc) {
  const double need = estimate_memory(sc);
  const double have = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  auto gib = [](double b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024.0 * 1024.0));
    return std::string(buf);
  };
  if (need > 0.8 * have)
    throw InputError(sc.path + ": this scenario needs about " + gib(need) +
                     " of memory (population sizes, projection densities, lanes, task length) "
                     "but the machine has " + gib(have));
}

std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size) {
  const std::size_t threads = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  auto net = std::make_unique<Network>(input_size, sc.lanes, threads);
  for (auto& p : sc.populations) {
    const PopulationInfo* info = Registry::global().find(p.kind);
    PopulationContext ctx{p.name, p.params, sc.seed, sc.integrator.token_period};
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
        const Precision precision =
            pj.params.string("precision") == "single" ? Precision::Single : Precision::Double;
        proj = std::make_unique<SparseProjection>(src, random_sparse(spec, rng), precision);
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

RunResult run(const Scenario& sc, const RunOptions& opts) {
  if (find_task(sc.task_kind)->episodic()) return run_episodes(sc, opts);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  Session s(sc, SessionOptions{opts.out, opts.command_line});
  RunResult res;
  res.state_size = s.network().state_size();
  res.fixed_weights = fixed_weights(s.network());
  res.lanes = sc.lanes;
  res.out = s.recording_path();
  double last_report = 0;
  try {
    while (!s.done()) {
      if (opts.stop && opts.stop->load()) {
        s.stop("interrupted", "interrupted by signal " + std::to_string(opts.stop->load()) + " after " +
                                  std::to_string(s.token()) + " of " + std::to_string(s.total()) + " tokens (t = " +
                                  std::to_string(s.simulator().time()) + " s)");
        break;
      }
      s.step();
      if (opts.progress && elapsed() - last_report > 0.2) {
        last_report = elapsed();
        opts.progress({s.token(), s.total(), s.simulator().steps(), last_report});
      }
    }
    if (opts.progress) opts.progress({s.token(), s.total(), s.simulator().steps(), elapsed()});
    s.finish();
  } catch (...) {
    s.stop("failed", "");  // the destructor then closes the recording, marked failed
    throw;
  }
  res.status = s.status();
  res.message = s.message();
  res.metrics = s.metrics();
  res.readout_weights = s.readout_weights();
  res.metric = s.metric();
  res.tokens = s.token();
  res.steps = s.simulator().steps();
  res.wall_seconds = elapsed();
  return res;
}

}  // namespace ransim
