// ThreadPool::parallel_for_shares: one contiguous share per thread, sized by the threads' measured
// speeds, taken by the calling thread when a worker has not started it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/thread_pool.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"

namespace {

// Runs one loop of n items on `pool` and checks that every index ran exactly once, in one call
// per thread at most, and that the pool's boundaries for n tile [0, n).
void expect_each_index_once(ransim::ThreadPool& pool, std::size_t n, bool measure) {
  std::vector<std::atomic<int>> hits(n);
  std::atomic<std::size_t> calls{0};
  const auto count = [&](std::size_t b, std::size_t e) {
    ASSERT_LT(b, e);
    ASSERT_LE(e, n);
    calls.fetch_add(1);
    for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
  };
  pool.parallel_for_shares(n, count, measure);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n " << n << ", index " << i;
  EXPECT_LE(calls.load(), pool.size());
  const std::vector<std::size_t> bounds = pool.shares(n);
  ASSERT_EQ(bounds.size(), pool.size() + 1);
  EXPECT_EQ(bounds.front(), 0u);
  EXPECT_EQ(bounds.back(), n);
  EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
}

// Repeated, measured and not, so that a share left over from an earlier loop (or taken twice,
// by its thread and by the caller) would show.
TEST(ThreadPoolShares, CoverEveryIndexExactlyOnceInOneRangePerThread) {
  const std::size_t sizes[] = {0, 1, 2, 3, 7, 8, 64, 100, 1000, 1001};
  for (std::size_t threads = 1; threads <= 4; ++threads) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    ransim::ThreadPool pool(threads);
    for (int loop = 0; loop < 100; ++loop) expect_each_index_once(pool, sizes[loop % 10], loop % 3 == 0);
  }
}

// Below two shares' worth of items the loop runs on the calling thread, in one call.
TEST(ThreadPoolShares, FewItemsRunInlineInOneCall) {
  ransim::ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  pool.parallel_for_shares(
      511,
      [&](std::size_t b, std::size_t e) {
        ++calls;
        EXPECT_EQ(b, 0u);
        EXPECT_EQ(e, 511u);
        EXPECT_EQ(std::this_thread::get_id(), caller);
      },
      true, 256);
  EXPECT_EQ(calls, 1);
}

// An item costs the worker four times what it costs the caller (a slower core): after some
// measured loops the caller's share must have grown well past half. Balanced finish times give
// the caller 4/5 of the items (less the worker's start-up delay's share); 0.6 leaves room for
// a noisy machine, and an equal split (what the pool starts with) fails it.
TEST(ThreadPoolShares, FasterThreadGetsMoreItems) {
  ransim::ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  const auto spin_for = [](std::chrono::nanoseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  const std::size_t n = 400;
  EXPECT_EQ(pool.shares(n)[1], n / 2);  // before any measurement: equal shares
  for (int loop = 0; loop < 60; ++loop)
    pool.parallel_for_shares(
        n,
        [&](std::size_t b, std::size_t e) {
          const auto per_item = std::chrono::nanoseconds(std::this_thread::get_id() == caller ? 100 : 400);
          spin_for(per_item * static_cast<long>(e - b));
        },
        true);
  EXPECT_GT(pool.shares(n)[1], n * 6 / 10);
}

// Three pools of three threads at once, more threads than the machine's cores: workers are
// often descheduled, and their callers then take their shares. Every item still runs once
// (the total), and no loop waits forever on a share that nobody runs.
TEST(ThreadPoolShares, MoreThreadsThanCoresStillFinish) {
  std::vector<std::thread> callers;
  std::atomic<long> total{0};
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      ransim::ThreadPool pool(3);
      for (int loop = 0; loop < 200; ++loop)
        pool.parallel_for_shares(
            3000, [&](std::size_t b, std::size_t e) { total.fetch_add(static_cast<long>(e - b)); }, true);
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 3L * 200 * 3000);
}

// One lane, N = 1000 at density 0.1: the recurrent product splits its rows over the threads in
// shares that move with the measured speeds from token to token; each row is summed by the same
// kernel whichever thread runs it, so the states on one and two threads must be bitwise equal.
std::vector<double> one_lane_states(std::size_t threads, std::size_t tokens) {
  const std::string text =
      "seed = 3\n[simulation]\nintegrator = \"euler\"\nlanes = 1\nthreads = " + std::to_string(threads) +
      "\n[task]\nkind = \"narma10\"\n[population.res]\nkind = \"leaky\"\nsize = 1000\n"
      "tau = 3.0\n[[projection]]\nfrom = \"res\"\nto = \"res\"\ndensity = 0.1\n"
      "spectral_radius = 0.9\n[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n";
  const ransim::Scenario sc = ransim::parse_scenario(text, "<one lane>");
  auto net = ransim::build_network(sc, 1);
  ransim::Simulator sim(*net, sc.integrator);
  std::vector<double> states;
  for (std::size_t k = 0; k < tokens; ++k) {
    const double u = 0.5 * static_cast<double>(k % 7) - 1.0;
    sim.step_token(&u);
    states.insert(states.end(), sim.state().begin(), sim.state().end());
  }
  return states;
}

TEST(ThreadPoolShares, OneLaneLeakyStepsBitwiseEqualOnOneAndTwoThreads) {
  const std::vector<double> one = one_lane_states(1, 200), two = one_lane_states(2, 200);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i)
    ASSERT_EQ(one[i], two[i]) << "token " << i / 1000 << ", unit " << i % 1000;
}

}  // namespace
