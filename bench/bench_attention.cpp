// One token of the attention populations, with the achieved FLOP/s next to dgemm measured in
// the same run (docs/performance.md). Run: build/bin/ransim_bench_attention
//
// FLOPs are counted for the operations the implementation performs (plugins/*/README.md):
//   cortex (time mode), per unit and lane: scores Z (W_k^T W_q z): 2D^2 + 2cD; weighted sum of
//     rows Z^T a: 2cD; output (W_o W_v)(.): 2D^2  ->  4D^2 + 4cD  (softmax and tanh not counted)
//   hippocampus, per unit and lane: slot scores K z: 2SD; read sum_s m_s v_s: 2SD  ->  4SD
//   attention_block: both  ->  4D^2 + 4cD + 4SD
// Both are tiny matrix products per unit (D = 8), so the comparison with a large dgemm shows
// how close these small, latency-bound products come to the machine's peak; BM_CortexOfDgemm
// measures the two alternately in one run and reports their ratio.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

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

// One population driven token by token (the tick, then one derivative evaluation), U = 64
// units of D = 8, random state and drive, on its own pool of `threads`.
struct TokenRig {
  TokenRig(const std::string& kind, const std::vector<std::pair<std::string, Value>>& extra,
           std::size_t lanes, std::size_t threads)
      : pool(threads) {
    const PopulationInfo& info = model(kind);
    Params p = defaults(info.params);
    p.set("units", std::int64_t{64});
    p.set("dim", std::int64_t{8});
    for (auto& [k, v] : extra) p.set(k, v);
    pop = info.create(PopulationContext{"p", p, 1});
    pop->set_lanes(lanes);
    x.resize(pop->state_size() * lanes);
    drive.resize(pop->input_size() * lanes);
    dxdt.resize(x.size());
    Rng rng = make_rng(1, "bench");
    for (auto& v : x) v = uniform(rng, -0.5, 0.5);
    for (auto& v : drive) v = uniform(rng, -1, 1);
    xb = {x.data(), pop->state_size(), lanes};
    db = {drive.data(), pop->input_size(), lanes};
    out = {dxdt.data(), pop->state_size(), lanes};
    for (int i = 0; i < 16; ++i) tick();  // fill the working memory
  }
  void tick() {
    if (pop->uses_ticks()) pop->on_tick(xb, db);
  }
  void token() {
    tick();
    pop->derivative(xb, db, out, 0.0, pool);
    benchmark::DoNotOptimize(dxdt.data());
  }

  ThreadPool pool;
  std::unique_ptr<Population> pop;
  LaneVector<double> x, drive, dxdt;  // cache-line aligned, as the engine's buffers are
  ConstBlock xb, db;
  Block out;
};

// FLOPs per unit and lane (the header's formulas), D = 8, c = 8, S = 32.
constexpr double kCortexFlops = 4 * 8 * 8 + 4 * 8 * 8, kMemoryFlops = 4 * 32 * 8;
const std::vector<std::pair<std::string, Value>> kCortexParams = {{"context", std::int64_t{8}}};

void token(benchmark::State& state, const std::string& kind, std::vector<std::pair<std::string, Value>> extra,
           double flops_per_unit_lane) {
  const std::size_t lanes = static_cast<std::size_t>(state.range(0));
  TokenRig rig(kind, extra, lanes, static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) rig.token();
  const double flops = flops_per_unit_lane * 64.0 * static_cast<double>(lanes);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["per_lane"] = benchmark::Counter(static_cast<double>(state.iterations() * lanes),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_CortexToken(benchmark::State& state) { token(state, "cortex_qkv", kCortexParams, kCortexFlops); }
BENCHMARK(BM_CortexToken)
    ->ArgNames({"lanes", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_HippocampusToken(benchmark::State& state) {
  token(state, "hippocampus_memory", {{"slots", std::int64_t{32}}}, kMemoryFlops);
}
BENCHMARK(BM_HippocampusToken)
    ->ArgNames({"lanes", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// attention_block: the cortex read, then the key-value memory on its output.
void BM_AttentionBlockToken(benchmark::State& state) {
  token(state, "attention_block", {{"context", std::int64_t{8}}, {"slots", std::int64_t{32}}},
        kCortexFlops + kMemoryFlops);
}
BENCHMARK(BM_AttentionBlockToken)
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

// The machine's dense reference: OpenBLAS dgemm through Armadillo, on `threads` threads.
struct DgemmRig {
  DgemmRig(arma::uword n, int threads) : a(n, n), b(n, n), c(n, n) {
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set(threads);
    arma::arma_rng::set_seed(1);
    a.randu();
    b.randu();
  }
  void multiply() {
    c = a * b;
    benchmark::DoNotOptimize(c.memptr());
  }
  double flops() const { return 2.0 * static_cast<double>(a.n_rows * a.n_rows * a.n_rows); }
  arma::mat a, b, c;
};

void BM_Dgemm(benchmark::State& state) {
  DgemmRig rig(static_cast<arma::uword>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) rig.multiply();
  state.counters["FLOPS"] = benchmark::Counter(rig.flops(), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Dgemm)
    ->ArgNames({"n", "threads"})
    ->Args({512, 1})
    ->Args({512, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// The cortex token against dgemm (n = 512) in one run, on the same number of threads: each
// iteration is a round of ~5 ms of tokens then one dgemm (~5 ms), each timed on its own, so
// that both see the same phase of a shared machine. Counters: the medians over the rounds of
// each FLOP rate and of the per-round ratio (`of_dgemm`, the figure issue targets quote).
void BM_CortexOfDgemm(benchmark::State& state) {
  const std::size_t lanes = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<std::size_t>(state.range(1));
  TokenRig cortex("cortex_qkv", kCortexParams, lanes, threads);
  DgemmRig dgemm(512, static_cast<int>(threads));
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  const double token_flops = kCortexFlops * 64.0 * static_cast<double>(lanes);
  const std::size_t tokens = std::max<std::size_t>(1, 5e-3 * 10e9 / token_flops);  // ~5 ms at 10 GFLOP/s
  std::vector<double> cortex_rate, dgemm_rate, ratio;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < tokens; ++i) cortex.token();
    const auto t1 = Clock::now();
    dgemm.multiply();
    const auto t2 = Clock::now();
    cortex_rate.push_back(token_flops * static_cast<double>(tokens) / seconds(t1 - t0));
    dgemm_rate.push_back(dgemm.flops() / seconds(t2 - t1));
    ratio.push_back(cortex_rate.back() / dgemm_rate.back());
    state.SetIterationTime(seconds(t2 - t0));
  }
  state.counters["cortex_FLOPS"] = median(cortex_rate);
  state.counters["dgemm_FLOPS"] = median(dgemm_rate);
  state.counters["of_dgemm"] = median(ratio);
}
BENCHMARK(BM_CortexOfDgemm)
    ->ArgNames({"lanes", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->UseManualTime()
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond);

}  // namespace
