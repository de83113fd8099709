#pragma once
// What the engine benchmarks (bench_engine.cpp) and the lane sweep (bench_lanes.cpp) share: the
// leaky reservoir they step, its recurrent matrix, and the loops that time a step and a product.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/thread_pool.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"

namespace ransim::bench {

// A leaky reservoir of n units, recurrent density 0.1 at spectral radius 0.9, dense input,
// Euler with dt = T; both sparse products in double or single precision.
inline Scenario leaky_scenario(long n, long lanes, long threads, bool single) {
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

// An n x n random sparse matrix at density 0.1, as the leaky step's recurrent weights.
inline Csr recurrent_matrix(std::size_t n) {
  Rng rng = make_rng(1, "bench");
  SparseSpec spec;
  spec.rows = spec.cols = n;
  spec.density = 0.1;
  return random_sparse(spec, rng);
}

// per_seq_step: the time of one iteration divided by the lanes, one lane advanced by one step.
inline void per_sequence_step(benchmark::State& state, long lanes) {
  state.counters["per_seq_step"] =
      benchmark::Counter(static_cast<double>(state.iterations() * lanes),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One token of the scenario's network per iteration, all lanes driven by u = 0.3.
inline void time_steps(benchmark::State& state, const Scenario& sc) {
  auto net = build_network(sc, 1);
  Simulator sim(*net, sc.integrator);
  std::vector<double> u(sc.lanes, 0.3);
  sim.step_token(u.data());  // outside the timing: the first product times the one-lane kernels
  for (auto _ : state) {
    sim.step_token(u.data());
    benchmark::DoNotOptimize(sim.state().data());
  }
  per_sequence_step(state, static_cast<long>(sc.lanes));
}

// y += A x per iteration, x of n rows and `lanes` lanes at 0.5; `before` runs ahead of each
// product, inside the timing. The first product runs outside it: the start-up choice of the
// one-lane kernel, the panels of many lanes.
template <class Before>
void time_products(benchmark::State& state, CsrProduct& product, std::size_t lanes, ThreadPool& pool,
                   Before before) {
  const std::size_t rows = product.matrix().rows, cols = product.matrix().cols;
  LaneVector<double> x(cols * lanes, 0.5), y(rows * lanes);  // aligned, as the engine's blocks
  product.multiply_add({x.data(), cols, lanes}, {y.data(), rows, lanes}, pool);
  for (auto _ : state) {
    before(x);
    product.multiply_add({x.data(), cols, lanes}, {y.data(), rows, lanes}, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  per_sequence_step(state, static_cast<long>(lanes));
}
inline void time_products(benchmark::State& state, CsrProduct& product, std::size_t lanes, ThreadPool& pool) {
  time_products(state, product, lanes, pool, [](LaneVector<double>&) {});
}

}  // namespace ransim::bench
