// Engine benchmarks (docs/performance.md). Run: build/bin/ransim_bench
//   --benchmark_filter=Leaky   the leaky reservoir step, N x lanes x threads
//   --benchmark_filter=Csr     the sparse product alone: a plain loop and the engine's
//   --benchmark_filter=OneLane each one-lane kernel (insert, insert_packed, gather256, gather512),
//                              and the one-lane product on one and two threads
//   --benchmark_filter=Ridge   the ridge fit
#include <benchmark/benchmark.h>

#include "engine/projection.hpp"
#include "ransim/thread_pool.hpp"
#include "readout/ridge.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"

using namespace ransim;

namespace {

// A leaky reservoir of n units, recurrent density 0.1, dense input, Euler with dt = T; the
// sparse products in double or single precision.
Scenario leaky_scenario(long n, long lanes, long threads, bool single) {
  const std::string precision = single ? "single" : "double";
  const std::string text = R"(
[simulation]
integrator = "euler"
lanes = )" + std::to_string(lanes) +
                           "\nthreads = " + std::to_string(threads) + R"(
[task]
kind = "narma10"
[population.res]
kind = "leaky"
size = )" + std::to_string(n) +
                           R"(
tau = 3.0
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
precision = ")" + precision +
                           R"("
)";
  return parse_scenario(text, "<bench>");
}

void BM_LeakyStep(benchmark::State& state) {
  const long n = state.range(0), lanes = state.range(1), threads = state.range(2);
  const Scenario sc = leaky_scenario(n, lanes, threads, state.range(3) != 0);
  auto net = build_network(sc, 1);
  Simulator sim(*net, sc.integrator);
  std::vector<double> u(static_cast<std::size_t>(lanes), 0.3);
  sim.step_token(u.data());  // outside the timing: the first product times the one-lane kernels
  for (auto _ : state) {
    sim.step_token(u.data());
    benchmark::DoNotOptimize(sim.state().data());
  }
  // Seconds per sequence-step: the cost of advancing one lane by one step.
  state.counters["per_seq_step"] =
      benchmark::Counter(static_cast<double>(state.iterations() * lanes),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LeakyStep)
    ->ArgNames({"N", "lanes", "threads", "single"})
    ->ArgsProduct({{100, 1000, 2000}, {1, 64}, {1, 2}, {0}})
    ->ArgsProduct({{1000}, {1, 64}, {1, 2}, {1}})
    ->Args({2000, 1, 1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// An n x n random sparse matrix at density 0.1, as the leaky step's recurrent weights.
Csr bench_matrix(std::size_t n) {
  Rng rng = make_rng(1, "bench");
  SparseSpec spec;
  spec.rows = spec.cols = n;
  spec.density = 0.1;
  return random_sparse(spec, rng);
}

// The baseline the issue names: one plain scalar sparse product (one accumulator per row).
void BM_PlainScalarCsr(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Csr w = bench_matrix(n);
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
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::size_t lanes = static_cast<std::size_t>(state.range(1));
  CsrProduct product(bench_matrix(n), state.range(2) ? Precision::Single : Precision::Double);
  LaneVector<double> x(n * lanes, 0.5), y(n * lanes);  // aligned, as the engine's blocks
  ThreadPool pool(1);
  product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);  // the start-up timing, panels
  for (auto _ : state) {
    product.multiply_add({x.data(), n, lanes}, {y.data(), n, lanes}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
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
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  CsrProduct product(bench_matrix(n), state.range(2) ? Precision::Single : Precision::Double);
  LaneVector<double> x(n, 0.5), y(n);
  ThreadPool pool(static_cast<std::size_t>(state.range(1)));
  product.multiply_add({x.data(), n, 1}, {y.data(), n, 1}, pool);  // outside the timing: the start-up choice
  for (auto _ : state) {
    for (auto& v : x) v = 0.5 * v + 0.25;  // stays at 0.5, written
    product.multiply_add({x.data(), n, 1}, {y.data(), n, 1}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
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
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const auto kernel = static_cast<OneLaneKernel>(state.range(1));
  if (!CsrProduct::supported(kernel)) {
    state.SkipWithError("this CPU lacks the kernel's instructions");
    return;
  }
  CsrProduct product(bench_matrix(n), state.range(2) ? Precision::Single : Precision::Double);
  product.use_one_lane_kernel(kernel);
  LaneVector<double> x(n, 0.5), y(n);
  ThreadPool pool(1);
  product.multiply_add({x.data(), n, 1}, {y.data(), n, 1}, pool);  // outside the timing: the layouts
  for (auto _ : state) {
    product.multiply_add({x.data(), n, 1}, {y.data(), n, 1}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
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
