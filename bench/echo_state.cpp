// Measures the echo-state property of a scenario's reservoir as a function of one gain:
// the largest Lyapunov exponent per token, from the divergence of two copies of the network
// driven by the same input, one started 1e-8 away (renormalised every token, Benettin's
// method). lambda < 0: nearby states converge (echo states); lambda > 0: they separate.
//
//   ransim_echo_state SCENARIO KEY V1 V2 ... [--set k=v]...
//   e.g. ransim_echo_state scenarios/ran_figure_c.toml population.cortex.wo_scale 0.25 0.5 1 2
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"

using namespace ransim;

static double lyapunov(const Scenario& sc, std::size_t tokens, std::size_t skip) {
  const auto task = find_task(sc.task_kind)->create(sc.task);
  Rng rng = make_rng(sc.seed, "task");
  const Sequences seq = task->generate(1, rng);
  auto net_a = build_network(sc, seq.input_dim), net_b = build_network(sc, seq.input_dim);
  Simulator a(*net_a, sc.integrator), b(*net_b, sc.integrator);
  std::vector<double> u(seq.input_dim);
  auto step = [&](std::size_t k) {
    for (std::size_t i = 0; i < seq.input_dim; ++i) u[i] = seq.input_at(k % seq.steps, 0)[i];
    a.step_token(u.data());
    b.step_token(u.data());
  };
  for (std::size_t k = 0; k < skip; ++k) step(k);  // onto the driven attractor
  const double d0 = 1e-8;
  Rng prng = make_rng(1, "perturbation");
  auto& xb = b.state();
  const auto& xa = a.state();
  std::vector<double> dir(xa.size());
  double norm = 0;
  for (auto& v : dir) {
    v = normal(prng);
    norm += v * v;
  }
  for (std::size_t i = 0; i < xb.size(); ++i) xb[i] = xa[i] + d0 * dir[i] / std::sqrt(norm);
  double sum = 0;
  for (std::size_t k = skip; k < skip + tokens; ++k) {
    step(k);
    double d = 0;
    for (std::size_t i = 0; i < xa.size(); ++i) d += (xb[i] - xa[i]) * (xb[i] - xa[i]);
    d = std::sqrt(d);
    if (d == 0) return -INFINITY;
    sum += std::log(d / d0);
    for (std::size_t i = 0; i < xb.size(); ++i) xb[i] = xa[i] + (xb[i] - xa[i]) * d0 / d;
  }
  return sum / static_cast<double>(tokens);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SCENARIO KEY V1 [V2...] [--set k=v]...\n", argv[0]);
    return 2;
  }
  try {
    PluginLoader loader;
    loader.load_all(PluginLoader::search_path(), Registry::global());
    const std::string path = argv[1], key = argv[2];
    std::vector<std::string> values, sets;
    for (int i = 3; i < argc; ++i) {
      if (std::string(argv[i]) == "--set" && i + 1 < argc) sets.push_back(argv[++i]);
      else values.push_back(argv[i]);
    }
    std::printf("| %s | lambda per token | echo states |\n|---|---|---|\n", key.c_str());
    for (auto& v : values) {
      auto s = sets;
      s.push_back(key + "=" + v);
      const double l = lyapunov(load_scenario(path, s), 500, 300);
      std::printf("| %s | %.4f | %s |\n", v.c_str(), l, l < 0 ? "yes" : "no");
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
