// One token of the attention populations, with the achieved FLOP/s next to dgemm measured in
// the same run (docs/performance.md). Run: build/bin/ransim_bench_attention
//
// FLOPs are counted for the operations the implementation performs (plugins/*/README.md):
//   cortex (time mode), per unit and lane: scores Z (W_k^T W_q z): 2D^2 + 2cD; weighted sum of
//     rows Z^T a: 2cD; output (W_o W_v)(.): 2D^2  ->  4D^2 + 4cD  (softmax and tanh not counted)
//   hippocampus, per unit and lane: slot scores K z: 2SD; read sum_s m_s v_s: 2SD  ->  4SD
// Both are tiny matrix products per unit (D = 8), so the comparison with a large dgemm shows
// how close these small, latency-bound products come to the machine's peak.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include "common/kernels.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/registry.hpp"
#include "ransim/thread_pool.hpp"

using namespace ransim;

namespace {

const PopulationInfo& model(const std::string& kind) {
  static PluginLoader* loader = [] {
    auto* l = new PluginLoader;
    l->load_all(PluginLoader::search_path(), Registry::global());
    return l;
  }();
  (void)loader;
  const PopulationInfo* info = Registry::global().find(kind);
  if (!info) throw std::runtime_error("plugin model '" + kind + "' not found (build the plugins)");
  return *info;
}

void token(benchmark::State& state, const std::string& kind, std::vector<std::pair<std::string, Value>> extra,
           double flops_per_unit_lane) {
  const std::size_t lanes = static_cast<std::size_t>(state.range(0));
  const std::size_t threads = static_cast<std::size_t>(state.range(1));
  const PopulationInfo& info = model(kind);
  Params p = defaults(info.params);
  p.set("units", std::int64_t{64});
  p.set("dim", std::int64_t{8});
  for (auto& [k, v] : extra) p.set(k, v);
  auto pop = info.create(PopulationContext{"p", p, 1});
  pop->set_lanes(lanes);
  const std::size_t n = pop->state_size() * lanes, m = pop->input_size() * lanes;
  std::vector<double> x(n), drive(m), dxdt(n);
  Rng rng = make_rng(1, "bench");
  for (auto& v : x) v = uniform(rng, -0.5, 0.5);
  for (auto& v : drive) v = uniform(rng, -1, 1);
  ThreadPool pool(threads);
  const ConstBlock xb{x.data(), pop->state_size(), lanes}, db{drive.data(), pop->input_size(), lanes};
  const Block out{dxdt.data(), pop->state_size(), lanes};
  for (int i = 0; i < 16; ++i)  // fill the working memory
    if (pop->uses_ticks()) pop->on_tick(xb, db);
  for (auto _ : state) {
    if (pop->uses_ticks()) pop->on_tick(xb, db);
    pop->derivative(xb, db, out, 0.0, pool);
    benchmark::DoNotOptimize(dxdt.data());
  }
  const double flops = flops_per_unit_lane * 64.0 * static_cast<double>(lanes);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["per_lane"] = benchmark::Counter(static_cast<double>(state.iterations() * lanes),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_CortexToken(benchmark::State& state) {
  const double D = 8, c = 8;
  token(state, "cortex_qkv", {{"context", std::int64_t{8}}}, 4 * D * D + 4 * c * D);
}
BENCHMARK(BM_CortexToken)
    ->ArgNames({"lanes", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_HippocampusToken(benchmark::State& state) {
  const double D = 8, S = 32;
  token(state, "hippocampus_memory", {{"slots", std::int64_t{32}}}, 4 * S * D);
}
BENCHMARK(BM_HippocampusToken)
    ->ArgNames({"lanes", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Where a cortex token goes (64 lanes, D = 8, c = 8, U = 64): each pass of Attention::attend
// and the relaxation over all 64 units, with the same kernels (common/kernels.hpp).
// The window rows come from a ring of c x U slabs of D x 64 lanes (2 MiB, more than L2), as
// in the population, or (rows_in_l1:1) every unit reads the same rows, which stay in L1.
void BM_CortexPasses(benchmark::State& state) {
  enum Pass { kQuery, kScores, kSoftmax, kWeightedSum, kRelax };
  static const char* const names[] = {"W_k^T W_q z", "scores", "softmax", "weighted rows", "tanh relax"};
  const auto pass = static_cast<Pass>(state.range(0));
  const bool in_l1 = state.range(1) != 0;
  std::size_t D = 8, c = 8, U = 64, L = 64;
  benchmark::DoNotOptimize(D);  // run-time sizes, as in the population (and no false
  benchmark::DoNotOptimize(c);  // -Waggressive-loop-optimizations on the tail loops)
  const std::size_t slab = D * L;
  // Cache-line aligned, as the population's buffers are.
  LaneVector<double> w(D * D, 0.1), z(U * slab, 0.3), qk(slab, 0.2), a(c * L, 1.0 / c), out(U * slab, 0.1),
      ring(c * U * slab), tmp(2 * L);
  Rng rng = make_rng(1, "bench");
  for (auto& v : ring) v = uniform(rng, -1, 1);
  std::vector<const double*> rows(c);
  auto unit_rows = [&](std::size_t u) {
    for (std::size_t r = 0; r < c; ++r) rows[r] = ring.data() + (r * U + (in_l1 ? 0 : u)) * slab;
  };
  for (auto _ : state) {
    for (std::size_t u = 0; u < U; ++u) {
      unit_rows(u);
      switch (pass) {
        case kQuery: attn::matmul_lanes(w.data(), D, D, z.data() + u * slab, qk.data(), L, false); break;
        case kScores:
          attn::dots_lanes(
              D, c, [&](std::size_t d) { return qk.data() + d * L; },
              [&](std::size_t d, std::size_t r) { return rows[r] + d * L; },
              [&](std::size_t r) { return a.data() + r * L; }, L);
          break;
        case kSoftmax: attn::softmax_lanes(a.data(), c, L, tmp.data()); break;
        case kWeightedSum:
          attn::dots_lanes(
              c, D, [&](std::size_t r) { return a.data() + r * L; },
              [&](std::size_t r, std::size_t d) { return rows[r] + d * L; },
              [&](std::size_t d) { return qk.data() + d * L; }, L);
          break;
        case kRelax: attn::relax_tanh(z.data() + u * slab, out.data() + u * slab, slab, 0.5); break;
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(qk.data());
  }
  state.SetLabel(names[pass]);
}
BENCHMARK(BM_CortexPasses)
    ->ArgNames({"pass", "rows_in_l1"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({2, 0})
    ->Args({3, 0})
    ->Args({3, 1})
    ->Args({4, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The machine's dense reference: OpenBLAS dgemm through Armadillo, on 1 and 2 threads.
void BM_Dgemm(benchmark::State& state) {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(static_cast<int>(state.range(1)));
  const arma::uword n = static_cast<arma::uword>(state.range(0));
  arma::arma_rng::set_seed(1);
  const arma::mat a(n, n, arma::fill::randu), b(n, n, arma::fill::randu);
  arma::mat c(n, n);
  for (auto _ : state) {
    c = a * b;
    benchmark::DoNotOptimize(c.memptr());
  }
  state.counters["FLOPS"] =
      benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Dgemm)
    ->ArgNames({"n", "threads"})
    ->Args({512, 1})
    ->Args({512, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
