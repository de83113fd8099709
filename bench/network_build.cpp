// Not a Google Benchmark: the time from start to the first steps of a scenario's network, for
// large networks (docs/performance.md, "Building a network"). Measure the whole process:
//   /usr/bin/time -v build/bin/ransim_network_build SCENARIO [TOKENS] [--set key=value]...
// It loads the scenario, builds its network (one input value per lane), steps TOKENS tokens
// (default 10) with input 0.3, and prints the seconds each part took and the nonzeros built.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"

using namespace ransim;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ransim_network_build SCENARIO [TOKENS] [--set key=value]...\n");
    return 2;
  }
  std::size_t tokens = 10;
  std::vector<std::string> sets;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--set" && i + 1 < argc) sets.push_back(argv[++i]);
    else tokens = static_cast<std::size_t>(std::stoul(arg));
  }
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  const auto t0 = Clock::now();
  const Scenario sc = load_scenario(argv[1], sets);
  auto net = build_network(sc, 1);
  const auto t1 = Clock::now();
  Simulator sim(*net, sc.integrator);
  std::vector<double> u(sc.lanes, 0.3);
  sim.step_token(u.data());
  const auto t2 = Clock::now();
  for (std::size_t k = 1; k < tokens; ++k) sim.step_token(u.data());
  const auto t3 = Clock::now();
  std::size_t nonzeros = 0;
  for (const auto& p : net->projections())  // without matrices(), which copies them
    if (const auto* sparse = dynamic_cast<const SparseProjection*>(p.get()))
      nonzeros += sparse->weights().nnz();
  std::printf("nonzeros %zu\nbuild_s %.3f\nfirst_step_s %.3f\nper_step_s %.4g\n", nonzeros, seconds(t0, t1),
              seconds(t1, t2), tokens > 1 ? seconds(t2, t3) / static_cast<double>(tokens - 1) : 0.0);
  return 0;
} catch (const InputError& e) {
  std::fprintf(stderr, "ransim_network_build: %s\n", e.what());
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ransim_network_build: %s\n", e.what());
  return 1;
}
