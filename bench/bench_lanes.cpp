// The lane sweep (docs/performance.md, "Lane counts"): the cost per sequence-step of the leaky
// step and of the sparse product alone, for lane counts that are and are not a multiple of the
// vector width. Run: build/bin/ransim_bench_lanes
//   --benchmark_filter=LaneSweepStep      the whole leaky step, N = 1000, one thread, double
//   --benchmark_filter=LaneSweepProduct   the recurrent sparse product alone (CsrProduct)
//   --benchmark_filter=LaneProductInL1    the product with x in L1: what the kernel costs
//                                         without a cache miss (the floor of LaneSweepProduct)
// per_seq_step is the time of one step divided by the lanes: one lane advanced by one step.
#include <benchmark/benchmark.h>

#include <vector>

#include "leaky_bench.hpp"

using namespace ransim;
using namespace ransim::bench;

namespace {

const std::vector<long> kLaneCounts = {1, 2, 3, 4, 7, 8, 9, 16, 63, 64, 65, 128, 256};

// BM_LeakyStep of bench_engine.cpp, on one thread.
void BM_LaneSweepStep(benchmark::State& state) {
  time_steps(state, leaky_scenario(state.range(0), state.range(1), 1, state.range(2) != 0));
}

void BM_LaneSweepProduct(benchmark::State& state) {
  CsrProduct product(recurrent_matrix(static_cast<std::size_t>(state.range(0))),
                     state.range(2) ? Precision::Single : Precision::Double);
  ThreadPool pool(1);
  time_products(state, product, static_cast<std::size_t>(state.range(1)), pool);
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
  ThreadPool pool(1);
  time_products(state, product, lanes, pool);
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
