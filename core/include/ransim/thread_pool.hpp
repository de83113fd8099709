#pragma once
// A tiny fork-join pool for the hot loops. A step of a 1000-unit reservoir takes tens of
// microseconds, so workers spin briefly between jobs instead of sleeping on a condition
// variable (whose wake-up alone costs several microseconds), then block.
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace ransim {

class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  // Calls f(begin, end) on disjoint ranges covering [0, n), one per thread, and returns when
  // all are done. Runs inline when n < min_per_thread * 2 or the pool has one thread.
  void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f,
                    std::size_t min_per_thread = 1);

 private:
  void worker(std::size_t index);

  std::vector<std::thread> workers_;
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t job_n_ = 0;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace ransim
