// Batched episodes (docs/performance.md): row-wise sequential Fashion-MNIST through a leaky
// reservoir of N = 1000 units (density 0.1), the readout on the final state. One episode per
// lane, B lanes in lockstep, whole batches per thread, against one sequence at a time; the
// sparse products in double and in single precision (single:1).
//
// Each iteration runs the task twice, with few and with many training episodes, and reports
// the time difference per extra episode: the marginal cost of an episode (simulation,
// feature capture, ridge statistics) without the set-up both runs share (reading the data,
// building the network, the spectral radius, solving the readout).
//   build/bin/ransim_bench_episodes
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "run/run.hpp"
#include "scenario/scenario.hpp"

using namespace ransim;

namespace {

double seconds(const Scenario& sc) {
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run(sc);
  if (r.status != ransim::RunStatus::Complete) throw std::runtime_error(r.message);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Scenario scenario(long lanes, long threads, long train, bool single) {
  const std::string precision = single ? "single" : "double";
  return parse_scenario(R"(
[simulation]
integrator = "euler"
lanes = )" + std::to_string(lanes) +
                            "\nthreads = " + std::to_string(threads) + R"(
[task]
kind = "fashion_mnist"
mode = "rows"
test = 64
train = )" + std::to_string(train) +
                            R"(
[population.res]
kind = "leaky"
size = 1000
tau = 2.0
[[projection]]
from = "res"
to = "res"
density = 0.1
spectral_radius = 0.9
precision = ")" + precision +
                            R"("
[[projection]]
from = "input"
to = "res"
density = 1.0
scale = 0.3
precision = ")" + precision +
                            R"("
[readout]
ridge = 1e-2
)",
                        "<bench_episodes>");
}

void BM_FashionMnistEpisodes(benchmark::State& state) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    state.SkipWithError("dataset-fashion-mnist is not installed");
    return;
  }
  const long lanes = state.range(0), threads = state.range(1);
  const bool single = state.range(2) != 0;
  const long base = 2 * lanes * threads, extra = lanes == 1 ? 256 : 64 * lanes * threads;
  const Scenario few = scenario(lanes, threads, base, single),
                 many = scenario(lanes, threads, base + extra, single);
  seconds(few);  // reads the data once (cached for the process)
  for (auto _ : state) state.SetIterationTime(seconds(many) - seconds(few));
  state.SetItemsProcessed(state.iterations() * extra);  // items_per_second: episodes per second
}
BENCHMARK(BM_FashionMnistEpisodes)
    ->ArgNames({"lanes", "threads", "single"})
    ->ArgsProduct({{1, 16, 64}, {1}, {0, 1}})
    ->ArgsProduct({{16, 32, 64, 128}, {2}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
