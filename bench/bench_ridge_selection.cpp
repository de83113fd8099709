// Choosing the ridge on validation samples (docs/performance.md, "Ridge selection"): one fit
// with a given lambda against readout.ridge = "auto", the 25 lambdas of the log grid scored on
// validation samples (a quarter as many as the training samples), then the fit with the
// chosen one. Both include the accumulation of X^T X, as a run does; the grid adds one
// eigendecomposition of X^T X and one product per candidate.
//   build/bin/ransim_bench_ridge_selection
#include <benchmark/benchmark.h>

#include "readout/ridge.hpp"

using namespace ransim;

namespace {

struct Data {
  arma::mat xt, yt, xt_val, yt_val;  // one sample per column, as sessions and episode runs add them
};

Data data(const benchmark::State& state) {
  const arma::uword samples = static_cast<arma::uword>(state.range(0));
  const arma::uword features = static_cast<arma::uword>(state.range(1));
  arma::arma_rng::set_seed(1);
  Data d;
  d.xt.randn(features, samples);
  d.yt.randn(1, samples);
  d.xt_val.randn(features, samples / 4);
  d.yt_val.randn(1, samples / 4);
  return d;
}

void BM_RidgeOneFit(benchmark::State& state) {
  const Data d = data(state);
  for (auto _ : state) {
    RidgeAccumulator acc(d.xt.n_rows, 1);
    acc.add_columns(d.xt, d.yt);
    benchmark::DoNotOptimize(acc.solve(1e-6).memptr());
  }
}

void BM_RidgeAutoGrid(benchmark::State& state) {
  const Data d = data(state);
  for (auto _ : state) {
    RidgeAccumulator acc(d.xt.n_rows, 1);
    acc.add_columns(d.xt, d.yt);
    const RidgeSelection sel = acc.select(ridge_auto_grid(), d.xt_val, d.yt_val, Metric::Nrmse);
    benchmark::DoNotOptimize(acc.solve(sel.lambda).memptr());
  }
}

// Training samples x features: a short run of a small reservoir, the bundled figure sizes,
// a long run of a large one.
#define RIDGE_SIZES                       \
  ArgNames({"samples", "features"})       \
      ->Args({2000, 100})                 \
      ->Args({2000, 300})                 \
      ->Args({10000, 300})                \
      ->Args({10000, 1000})               \
      ->Unit(benchmark::kMillisecond)

BENCHMARK(BM_RidgeOneFit)->RIDGE_SIZES;
BENCHMARK(BM_RidgeAutoGrid)->RIDGE_SIZES;

}  // namespace

BENCHMARK_MAIN();
