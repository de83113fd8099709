#pragma once
// A tiny fork-join pool for the hot loops. A step of a 1000-unit reservoir takes tens of
// microseconds, so workers spin briefly between jobs instead of sleeping on a condition
// variable (whose wake-up alone costs several microseconds), then block.
#include <atomic>
#include <cstddef>
#include <thread>
#include <type_traits>
#include <vector>

namespace ransim {

class ThreadPool {
 public:
  // Throws RunError (after joining the threads it did start) when a thread cannot be created.
  explicit ThreadPool(std::size_t threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  // Calls f(begin, end) on disjoint ranges covering [0, n), spread over the threads, and
  // returns when all are done. Runs inline when n < min_per_thread * 2 or the pool has one thread.
  // f is passed by reference, never copied or allocated (this is called every step).
  template <class F> void parallel_for(std::size_t n, F&& f, std::size_t min_per_thread = 1) {
    using Fn = std::remove_reference_t<F>;
    run(
        n, [](void* ctx, std::size_t b, std::size_t e) { (*static_cast<Fn*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&f)), min_per_thread);
  }

 private:
  using Job = void (*)(void*, std::size_t, std::size_t);
  void run(std::size_t n, Job job, void* ctx, std::size_t min_per_thread);
  void worker(std::size_t thread);
  void run_chunks(std::size_t thread);
  void stop_workers();
  // Two: every claim moves a cache line between cores. Against four, medians of 6-10
  // alternating runs: one-lane N = 1000 leaky step 24.2-26.1 against 26.0-28.0 us, cortex
  // and hippocampus tokens no slower (docs/performance.md).
  static constexpr std::size_t kChunksPerThread = 2;

  std::vector<std::thread> workers_;
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t job_n_ = 0;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> pending_{0};
  // Chunks claimed so far of each thread's own share, one cache line each (thread_pool.cpp).
  struct alignas(64) Claimed {
    std::atomic<std::size_t> n{0};
  };
  std::vector<Claimed> claimed_;
  std::atomic<bool> stop_{false};
};

}  // namespace ransim
