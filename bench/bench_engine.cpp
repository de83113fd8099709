// Engine benchmarks (docs/performance.md). Run: build/bin/ransim_bench
//   --benchmark_filter=Leaky   the leaky reservoir step, N x lanes x threads
//   --benchmark_filter=Csr     the sparse product alone: a plain loop and the engine's
//   --benchmark_filter=OneLane each one-lane kernel (insert, insert_packed, gather256, gather512),
//                              and the one-lane product on one and two threads
//   --benchmark_filter=Ridge   the ridge fit
#include <benchmark/benchmark.h>

#include "leaky_bench.hpp"
#include "readout/ridge.hpp"

using namespace ransim;
using namespace ransim::bench;

namespace {

void BM_LeakyStep(benchmark::State& state) {
  time_steps(state, leaky_scenario(state.range(0), state.range(1), state.range(2), state.range(3) != 0));
}
BENCHMARK(BM_LeakyStep)
    ->ArgNames({"N", "lanes", "threads", "single"})
    ->ArgsProduct({{100, 1000, 2000}, {1, 64}, {1, 2}, {0}})
    ->ArgsProduct({{1000}, {1, 64}, {1, 2}, {1}})
    ->Args({2000, 1, 1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The baseline the issue names: one plain scalar sparse product (one accumulator per row).
void BM_PlainScalarCsr(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Csr w = recurrent_matrix(n);
  std::vector<double> x(n, 0.5), y(n);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      for (std::uint32_t k = w.row_ptr[i]; k < w.row_ptr[i + 1]; ++k) s += w.val[k] * x[w.col[k]];
      y[i] = s;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_PlainScalarCsr)->Arg(1000)->Unit(benchmark::kMicrosecond);

// The engine's sparse product alone (CsrProduct, one thread) on the same matrix, with lanes of
// x: the part of a leaky step that the lane kernels decide.
void BM_CsrProduct(benchmark::State& state) {
  CsrProduct product(recurrent_matrix(static_cast<std::size_t>(state.range(0))),
                     state.range(2) ? Precision::Single : Precision::Double);
  ThreadPool pool(1);
  time_products(state, product, static_cast<std::size_t>(state.range(1)), pool);
}
BENCHMARK(BM_CsrProduct)
    ->ArgNames({"N", "lanes", "single"})
    ->ArgsProduct({{1000}, {1, 64}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// The one-lane product alone on one and two threads, x rewritten by the calling thread before
// each product as the state update does in a step (so that on two threads the worker reads x
// from the other core's cache). Beside BM_LeakyStep at the same N and threads, it splits a step
// into the product (with its fork, join and x crossing cores) and the rest (activation, update).
void BM_OneLaneProductThreads(benchmark::State& state) {
  CsrProduct product(recurrent_matrix(static_cast<std::size_t>(state.range(0))),
                     state.range(2) ? Precision::Single : Precision::Double);
  ThreadPool pool(static_cast<std::size_t>(state.range(1)));
  time_products(state, product, 1, pool, [](LaneVector<double>& x) {
    for (auto& v : x) v = 0.5 * v + 0.25;  // stays at 0.5, written
  });
}
BENCHMARK(BM_OneLaneProductThreads)
    ->ArgNames({"N", "threads", "single"})
    ->ArgsProduct({{1000, 2000}, {1, 2}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Each one-lane kernel on the same matrices (kernel 0 insert, 1 insert_packed, 2 gather256,
// 3 gather512: the times CsrProduct's start-up choice compares; in single precision also 4 window
// and 5 window512), at the sizes of BM_LeakyStep; insert_packed in double also at 600 and 1400
// units, to tell a kernel bound by the matrix's bytes (beyond L2, the time per nonzero grows)
// from one bound by its own loads (it does not).
void BM_OneLaneKernel(benchmark::State& state) {
  const auto kernel = static_cast<OneLaneKernel>(state.range(1));
  if (!CsrProduct::supported(kernel)) {
    state.SkipWithError("this CPU lacks the kernel's instructions");
    return;
  }
  CsrProduct product(recurrent_matrix(static_cast<std::size_t>(state.range(0))),
                     state.range(2) ? Precision::Single : Precision::Double);
  product.use_one_lane_kernel(kernel);
  ThreadPool pool(1);
  time_products(state, product, 1, pool);
  state.SetLabel(kernel_name(kernel));
  state.counters["per_nonzero"] =
      benchmark::Counter(static_cast<double>(state.iterations() * product.matrix().nnz()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_OneLaneKernel)
    ->ArgNames({"N", "kernel", "single"})
    ->ArgsProduct({{1000, 2000}, {0, 1, 2, 3}, {0, 1}})
    ->ArgsProduct({{1000, 2000}, {4, 5}, {1}})
    ->ArgsProduct({{600, 1400}, {1}, {0}})
    ->Unit(benchmark::kMicrosecond);

void BM_RidgeFit(benchmark::State& state) {
  const arma::uword samples = static_cast<arma::uword>(state.range(0));
  const arma::uword features = static_cast<arma::uword>(state.range(1));
  arma::arma_rng::set_seed(1);
  const arma::mat x(samples, features, arma::fill::randn), y(samples, 1, arma::fill::randn);
  for (auto _ : state) benchmark::DoNotOptimize(ridge_fit(x, y, 1e-6).memptr());
}
BENCHMARK(BM_RidgeFit)
    ->ArgNames({"samples", "features"})
    ->Args({2000, 300})
    ->Args({10000, 1000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
