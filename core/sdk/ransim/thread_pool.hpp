#pragma once
// A tiny fork-join pool for the hot loops. A step of a 1000-unit reservoir takes tens of
// microseconds, so workers spin briefly between jobs instead of sleeping on a condition
// variable (whose wake-up alone costs several microseconds), then block.
#include <atomic>
#include <cstddef>
#include <cstdint>
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

  // Calls f(begin, end) once per thread on one contiguous share of [0, n) each, with no chunks
  // to claim: a fork and a join are all the threads exchange, which matters for loops of a few
  // microseconds. The shares follow the threads' speeds: a loop with `measure` set times each
  // thread's share (and how late it started) and moves the boundaries so that all finish
  // together; a core that runs slower, or a thread that wakes late, then gets fewer items.
  // The pool keeps one split per n, so loops over the same n (a product's rows, then the same
  // units' activation and state update) give each thread the same items, which stay in its
  // core's cache. Runs inline when n < min_per_thread * 2 or the pool has one thread.
  template <class F>
  void parallel_for_shares(std::size_t n, F&& f, bool measure, std::size_t min_per_thread = 1) {
    using Fn = std::remove_reference_t<F>;
    run_shares(
        n, [](void* ctx, std::size_t b, std::size_t e) { (*static_cast<Fn*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&f)), measure, min_per_thread);
  }
  // The boundaries parallel_for_shares uses for n now: size() + 1 values from 0 to n.
  std::vector<std::size_t> shares(std::size_t n);

 private:
  using Job = void (*)(void*, std::size_t, std::size_t);
  void run(std::size_t n, Job job, void* ctx, std::size_t min_per_thread);
  void run_shares(std::size_t n, Job job, void* ctx, bool measure, std::size_t min_per_thread);
  bool take(std::size_t thread, std::uint64_t generation);
  void run_share(std::size_t thread, std::uint64_t generation, bool by_caller);
  std::uint64_t publish(bool shares);  // starts a loop: the workers see its generation
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
  // With parallel_for_shares, also the thread's share, the generation of the last loop whose
  // share was taken (by the thread, or by the caller) and done, and when it started and ended
  // (steady_clock nanoseconds).
  struct alignas(64) Claimed {
    std::atomic<std::size_t> n{0};
    std::atomic<std::uint64_t> taken{0}, done{0};
    std::size_t begin = 0, end = 0;
    std::int64_t started = 0, finished = 0;
  };
  std::vector<Claimed> claimed_;
  // The split of parallel_for_shares for one n: each thread's items per nanosecond and how
  // late it starts, smoothed over the measured loops, and the boundaries they give.
  struct Split {
    std::size_t n = 0;
    std::vector<double> rate, delay;
    std::vector<std::size_t> bounds;
  };
  std::vector<Split> splits_;
  std::size_t next_split_ = 0;  // the entry replaced when splits_ is full
  Split& split_for(std::size_t n);
  void measured(Split& split, std::int64_t forked);
  std::atomic<bool> stop_{false};
};

}  // namespace ransim
