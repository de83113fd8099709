// The lane sweep (docs/performance.md, "Lane counts"): the cost per sequence-step of the leaky
// step and of the sparse product alone, for lane counts that are and are not a multiple of the
// vector width. Run: build/bin/ransim_bench_lanes
//   --benchmark_filter=LaneSweepStep      the whole leaky step, N = 1000, one thread, double
//   --benchmark_filter=LaneSweepProduct   the recurrent sparse product alone (CsrProduct)
//   --benchmark_filter=LaneProductInL1    the product with x in L1: what the kernel costs
//                                         without a cache miss (the floor of LaneSweepProduct)
// per_seq_step is the time of one step divided by the lanes: one lane advanced by one step.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/thread_pool.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"

using namespace ransim;

namespace {

const std::vector<long> kLaneCounts = {1, 2, 3, 4, 7, 8, 9, 16, 63, 64, 65, 128, 256};

// As BM_LeakyStep (bench_engine.cpp): a leaky reservoir of n units, recurrent density 0.1,
// dense input, Euler with dt = T.
Scenario sweep_scenario(long n, long lanes, bool single) {
  const std::string precision = single ? "single" : "double";
  const std::string text = "[simulation]\nintegrator = \"euler\"\nlanes = " + std::to_string(lanes) +
                           "\nthreads = 1\n[task]\nkind = \"narma10\"\n[population.res]\nkind = \"leaky\"\n"
                           "size = " +
                           std::to_string(n) +
                           "\ntau = 3.0\n[[projection]]\nfrom = \"res\"\nto = \"res\"\ndensity = 0.1\n"
                           "spectral_radius = 0.9\nprecision = \"" +
                           precision +
                           "\"\n[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n"
                           "precision = \"" +
                           precision + "\"\n";
  return parse_scenario(text, "<bench_lanes>");
}

void per_sequence_step(benchmark::State& state, long lanes) {
  state.counters["per_seq_step"] =
      benchmark::Counter(static_cast<double>(state.iterations() * lanes),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_LaneSweepStep(benchmark::State& state) {
  const long n = state.range(0), lanes = state.range(1);
  const Scenario sc = sweep_scenario(n, lanes, state.range(2) != 0);
  auto net = build_network(sc, 1);
  Simulator sim(*net, sc.integrator);
  std::vector<double> u(static_cast<std::size_t>(lanes), 0.3);
  sim.step_token(u.data());  // outside the timing: the first product times the one-lane kernels
  for (auto _ : state) {
    sim.step_token(u.data());
    benchmark::DoNotOptimize(sim.state().data());
  }
  per_sequence_step(state, lanes);
}

void BM_LaneSweepProduct(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::size_t lanes = static_cast<std::size_t>(state.range(1));
  Rng rng = make_rng(1, "bench");
  SparseSpec spec;
  spec.rows = spec.cols = n;
  spec.density = 0.1;
  CsrProduct product(random_sparse(spec, rng), state.range(2) ? Precision::Single : Precision::Double);
  LaneVector<double> x(n * lanes, 0.5), y(n * lanes);  // aligned, as the engine's blocks
  ThreadPool pool(1);
  product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);  // the start-up timing, panels
  for (auto _ : state) {
    product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  per_sequence_step(state, static_cast<long>(lanes));
}

// As BM_LaneSweepProduct (1000 x 1000, 100 nonzeros a row), but every nonzero in the first 128
// columns: the rows of x that are read (8 KB with 8 lanes in double, 16 KB with 16) stay in L1,
// so this is the cost of the kernel's loads and arithmetic alone (docs/performance.md, "Lane
// counts": what bounds the product).
void BM_LaneProductInL1(benchmark::State& state) {
  const std::size_t n = 1000, lanes = static_cast<std::size_t>(state.range(0));
  Rng rng = make_rng(1, "bench");
  SparseSpec spec;
  spec.rows = n;
  spec.cols = 128;
  spec.fan_in = 100;
  Csr a = random_sparse(spec, rng);
  a.cols = n;  // the same product shape as the sweep's; columns 128.. hold no nonzero
  CsrProduct product(std::move(a));
  LaneVector<double> x(n * lanes, 0.5), y(n * lanes);
  ThreadPool pool(1);
  product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);
  for (auto _ : state) {
    product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  per_sequence_step(state, static_cast<long>(lanes));
}

void sweep_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "lanes", "single"});
  for (long single : {0, 1})
    for (long lanes : kLaneCounts) b->Args({1000, lanes, single});
}

}  // namespace

BENCHMARK(BM_LaneSweepStep)->Apply(sweep_args)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LaneSweepProduct)->Apply(sweep_args)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LaneProductInL1)
    ->ArgName("lanes")
    ->Arg(1)
    ->Arg(8)
    ->Arg(16)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
