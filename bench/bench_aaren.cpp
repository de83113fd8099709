// Many-to-many softmax attention of one query over T tokens of d = 16 values
// (companion/common/aaren_scan.hpp):
// the sequential recurrence vs the parallel prefix scan (1 and 2 threads; threads created per
// call, and a persistent 2-thread pool) vs the direct O(T^2) reference, T = 1e3, 1e4, 1e5.
// Wall-clock time (UseRealTime) for all, so the threaded variants are measured like the others.
//
//   build/bin/ransim_bench_aaren --benchmark_min_time=0.2 --benchmark_repetitions=5
//                                --benchmark_report_aggregates_only=true
//
// The direct reference at T = 1e5 runs a single iteration once (about 6 s), whatever the
// repetitions; docs/companion.md has the table of one run and the ratios taken from it.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "companion/common/aaren_scan.hpp"
#include "ransim/rng.hpp"
#include "ransim/thread_pool.hpp"

namespace {

constexpr std::size_t kD = 16;

struct Data {
  std::vector<double> s, v, out;
  explicit Data(std::size_t T) : s(T), v(T * kD), out(T * kD) {
    ransim::Rng rng = ransim::make_rng(1, "bench_aaren");
    for (auto& x : s) x = 2.0 * ransim::normal(rng);  // scores with a spread of a few units
    for (auto& x : v) x = ransim::normal(rng);
  }
};

void finish(benchmark::State& st, std::size_t T) {
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * T));
  st.counters["T"] = static_cast<double>(T);
}

void BM_Sequential(benchmark::State& st) {
  const auto T = static_cast<std::size_t>(st.range(0));
  Data d(T);
  for (auto _ : st) {
    ransim::aaren_sequential(d.s, d.v, kD, d.out);
    benchmark::DoNotOptimize(d.out.data());
  }
  finish(st, T);
}

void BM_Scan(benchmark::State& st) {
  const auto T = static_cast<std::size_t>(st.range(0));
  const auto threads = static_cast<std::size_t>(st.range(1));
  Data d(T);
  for (auto _ : st) {
    ransim::aaren_scan(d.s, d.v, kD, d.out, threads);
    benchmark::DoNotOptimize(d.out.data());
  }
  finish(st, T);
  st.counters["threads"] = static_cast<double>(threads);
}

void BM_ScanPool2(benchmark::State& st) {
  const auto T = static_cast<std::size_t>(st.range(0));
  Data d(T);
  ransim::ThreadPool pool(2);
  for (auto _ : st) {
    ransim::aaren_scan(d.s, d.v, kD, d.out, pool);
    benchmark::DoNotOptimize(d.out.data());
  }
  finish(st, T);
}

void BM_Direct(benchmark::State& st) {
  const auto T = static_cast<std::size_t>(st.range(0));
  Data d(T);
  for (auto _ : st) {
    ransim::softmax_attention_direct(d.s, d.v, kD, d.out);
    benchmark::DoNotOptimize(d.out.data());
  }
  finish(st, T);
}

BENCHMARK(BM_Sequential)->Arg(1000)->Arg(10000)->Arg(100000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Scan)
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({10000, 1})
    ->Args({10000, 2})
    ->Args({100000, 1})
    ->Args({100000, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScanPool2)->Arg(1000)->Arg(10000)->Arg(100000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Direct)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Direct)->Arg(100000)->Iterations(1)->Repetitions(1)->UseRealTime()->Unit(
    benchmark::kMicrosecond);

}  // namespace
