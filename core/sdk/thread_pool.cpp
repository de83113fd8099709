#include "ransim/thread_pool.hpp"

#include <algorithm>
#include <string>
#include <system_error>

#include "ransim/error.hpp"

namespace ransim {

namespace {
// A few microseconds of atomic loads (docs/performance.md): longer than a typical gap
// between two parallel loops of a step, far shorter than a scheduler time slice.
constexpr int kSpinsBeforeYield = 20000;
}  // namespace

ThreadPool::ThreadPool(std::size_t threads) : claimed_(std::max<std::size_t>(threads, 1)) {
  workers_.reserve(claimed_.size() - 1);
  try {
    for (std::size_t t = 1; t < claimed_.size(); ++t) workers_.emplace_back([this, t] { worker(t); });
  } catch (const std::system_error& e) {  // a process or memory limit: no std::terminate
    const std::size_t started = workers_.size();
    stop_workers();
    throw RunError("cannot start thread " + std::to_string(started + 2) + " of " +
                   std::to_string(claimed_.size()) + ": " + e.what() +
                   " (lower simulation.threads, or raise the process or memory limit)");
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

// The range is cut into kChunksPerThread chunks per thread, and each thread first works
// through its own share: the same thread then handles the same units in every loop over
// them (drive, product rows, activation, integrator update), so that their data stay in that
// core's cache instead of crossing to the other core each step. A thread done with its share
// takes what is left of the others': a thread on a slower or busier core simply does less.
// Which thread computes a chunk never changes its result.
void ThreadPool::run_chunks(std::size_t thread) {
  const std::size_t threads = size(), parts = kChunksPerThread * threads;
  for (std::size_t o = 0; o < threads; ++o) {
    const std::size_t owner = (thread + o) % threads;
    for (std::size_t i = claimed_[owner].n.fetch_add(1, std::memory_order_relaxed); i < kChunksPerThread;
         i = claimed_[owner].n.fetch_add(1, std::memory_order_relaxed)) {
      const std::size_t part = owner * kChunksPerThread + i;
      const std::size_t begin = job_n_ * part / parts, end = job_n_ * (part + 1) / parts;
      if (begin < end) job_(ctx_, begin, end);
    }
  }
}

void ThreadPool::run(std::size_t n, Job job, void* ctx, std::size_t min_per_thread) {
  if (workers_.empty() || n < 2 * std::max<std::size_t>(min_per_thread, 1)) {
    if (n) job(ctx, 0, n);
    return;
  }
  job_ = job;
  ctx_ = ctx;
  job_n_ = n;
  for (auto& c : claimed_) c.n.store(0, std::memory_order_relaxed);
  pending_.store(workers_.size(), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  run_chunks(0);
  // On a busy machine a worker may be descheduled: after a short spin (~6 us: 20000 loads),
  // give the core away instead of burning the time slice the worker needs. A yield is a
  // system call, slow on a VM, so the spin outlasts the usual wait for the last chunk.
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin)
    if (spin > kSpinsBeforeYield) std::this_thread::yield();
}

void ThreadPool::worker(std::size_t thread) {
  std::uint64_t seen = 0;
  for (;;) {
    // Spin for a while (jobs come every few microseconds during a run; the first ~6 us
    // without yielding, so that the serial part of a step does not find the worker inside a
    // system call), then sleep.
    std::uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpinsBeforeYield + 50000; ++spin) {
      if (spin > kSpinsBeforeYield) std::this_thread::yield();
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = g;
    if (stop_.load()) return;
    run_chunks(thread);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace ransim
