// ThreadPool::parallel_for_shares: one contiguous share per thread, sized by the threads' measured
// speeds, taken by the calling thread when a worker has not started it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "ransim/thread_pool.hpp"

namespace {

// Every index exactly once, in one call per thread at most, with the boundaries the pool reports;
// repeated, measured and not, so that a share left over from an earlier loop (or taken twice, by
// its thread and by the caller) would show.
TEST(ThreadPoolShares, CoverEveryIndexExactlyOnceInOneRangePerThread) {
  for (std::size_t threads : {1u, 2u, 3u, 4u}) {
    ransim::ThreadPool pool(threads);
    for (int repeat = 0; repeat < 50; ++repeat)
      for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 8u, 64u, 100u, 1000u, 1001u}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<std::size_t> calls{0};
        pool.parallel_for_shares(
            n,
            [&](std::size_t b, std::size_t e) {
              ASSERT_LT(b, e);
              ASSERT_LE(e, n);
              calls.fetch_add(1);
              for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
            },
            repeat % 2 == 0);
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[i].load(), 1) << threads << " threads, n " << n << ", index " << i;
        EXPECT_LE(calls.load(), threads);
        const std::vector<std::size_t> bounds = pool.shares(n);
        ASSERT_EQ(bounds.size(), threads + 1);
        EXPECT_EQ(bounds.front(), 0u);
        EXPECT_EQ(bounds.back(), n);
        for (std::size_t t = 0; t < threads; ++t) EXPECT_LE(bounds[t], bounds[t + 1]);
      }
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

}  // namespace
