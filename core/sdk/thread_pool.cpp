#include "ransim/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <system_error>

#include "ransim/error.hpp"

namespace ransim {

namespace {
// A few microseconds of atomic loads (docs/performance.md): longer than a typical gap
// between two parallel loops of a step, far shorter than a scheduler time slice.
constexpr int kSpinsBeforeYield = 20000;
// parallel_for_shares: how long the caller waits (~1.5 us) for a worker to take its share
// before taking it itself.
constexpr int kSpinsBeforeTaking = 5000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// parallel_for_shares: splits kept (distinct n), the weight of a new measurement in the smoothed
// speeds, and the smallest share a thread keeps (of an equal share), so that it is still timed.
constexpr std::size_t kMaxSplits = 16;
constexpr double kNewWeight = 0.25;
constexpr double kMinShare = 0.125;
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
  publish(false);
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
  publish(false);
  run_chunks(0);
  // On a busy machine a worker may be descheduled: after a short spin (~6 us: 20000 loads),
  // give the core away instead of burning the time slice the worker needs. A yield is a
  // system call, slow on a VM, so the spin outlasts the usual wait for the last chunk.
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin)
    if (spin > kSpinsBeforeYield) std::this_thread::yield();
}

ThreadPool::Split& ThreadPool::split_for(std::size_t n) {
  for (auto& s : splits_)
    if (s.n == n) return s;
  Split fresh;
  fresh.n = n;
  fresh.rate.assign(size(), 0.0);
  fresh.delay.assign(size(), 0.0);
  for (std::size_t t = 0; t <= size(); ++t) fresh.bounds.push_back(n * t / size());
  if (splits_.size() < kMaxSplits) return splits_.emplace_back(std::move(fresh));
  Split& replaced = splits_[next_split_++ % kMaxSplits];
  replaced = std::move(fresh);
  return replaced;
}

std::vector<std::size_t> ThreadPool::shares(std::size_t n) { return split_for(n).bounds; }

// Thread t, started `delay` ns after the fork and running `rate` items a ns, ends at
// delay + items / rate; all end together at T when items_t = rate_t (T - delay_t) and they sum
// to n. Boundaries fall on multiples of 8 items (a cache line of doubles, so that two threads
// never write one line) when n allows.
void ThreadPool::measured(Split& split, std::int64_t forked) {
  const std::size_t threads = size(), n = split.n;
  double rates = 0, weighted_delays = 0;
  for (std::size_t t = 0; t < threads; ++t) {
    const Claimed& c = claimed_[t];
    const double items = static_cast<double>(c.end - c.begin);
    const double took = static_cast<double>(std::max<std::int64_t>(c.finished - c.started, 1));
    const double late = std::clamp(static_cast<double>(c.started - forked), 0.0, 1e5);
    if (c.finished < c.started) {  // not started when the caller was done: late by at least that
      split.delay[t] = (1 - kNewWeight) * split.delay[t] + kNewWeight * late;
    } else if (items > 0) {
      const double rate = items / took;
      split.rate[t] = split.rate[t] > 0 ? (1 - kNewWeight) * split.rate[t] + kNewWeight * rate : rate;
      split.delay[t] = (1 - kNewWeight) * split.delay[t] + kNewWeight * late;
    }
    rates += split.rate[t];
    weighted_delays += split.rate[t] * split.delay[t];
  }
  if (!(rates > 0)) return;
  const double end = (static_cast<double>(n) + weighted_delays) / rates;
  const double least = kMinShare * static_cast<double>(n) / static_cast<double>(threads);
  const std::size_t align = n >= 64 * threads ? 8 : 1;
  std::vector<double> items(threads);
  double total = 0;
  for (std::size_t t = 0; t < threads; ++t)
    total += items[t] = std::max(least, split.rate[t] * (end - split.delay[t]));
  double sum = 0;
  for (std::size_t t = 1; t < threads; ++t) {
    sum += items[t - 1];
    const auto at = static_cast<std::size_t>(std::llround(sum / total * static_cast<double>(n)));
    split.bounds[t] = std::clamp(at / align * align, split.bounds[t - 1], n);
  }
}

// A thread's share of a parallel_for_shares loop in generation g: taken by that thread, or by
// the calling thread when it finds the share not yet taken after its own (a worker that has not
// woken, e.g. on a machine busy with other jobs, then delays nothing). The share's slot records
// when it started and ended; a share taken by the caller ends "before" it starts.
bool ThreadPool::take(std::size_t thread, std::uint64_t g) {
  Claimed& c = claimed_[thread];
  for (std::uint64_t t = c.taken.load(std::memory_order_acquire); t < g;)
    if (c.taken.compare_exchange_weak(t, g, std::memory_order_acq_rel)) return true;
  return false;
}

void ThreadPool::run_share(std::size_t thread, std::uint64_t g, bool by_caller) {
  Claimed& c = claimed_[thread];
  c.started = now_ns();
  if (c.begin < c.end) job_(ctx_, c.begin, c.end);
  c.finished = by_caller ? c.started - 1 : now_ns();
  c.done.store(g, std::memory_order_release);
}

void ThreadPool::run_shares(std::size_t n, Job job, void* ctx, bool measure, std::size_t min_per_thread) {
  if (workers_.empty() || n < 2 * std::max<std::size_t>(min_per_thread, 1)) {
    if (n) job(ctx, 0, n);
    return;
  }
  Split& split = split_for(n);
  for (std::size_t t = 0; t < size(); ++t) {
    claimed_[t].begin = split.bounds[t];
    claimed_[t].end = split.bounds[t + 1];
  }
  job_ = job;
  ctx_ = ctx;
  job_n_ = n;
  const std::int64_t forked = now_ns();
  const std::uint64_t g = publish(true);
  run_share(0, g, false);
  for (std::size_t t = 1; t < size(); ++t) {
    Claimed& c = claimed_[t];
    // A worker normally takes its share within a microsecond: waiting that long keeps its
    // items in its cache, where running a short share here would fetch them all.
    for (int spin = 0; c.taken.load(std::memory_order_acquire) < g && spin < kSpinsBeforeTaking; ++spin) {
    }
    if (take(t, g)) {
      run_share(t, g, true);
      continue;
    }
    for (int spin = 0; c.done.load(std::memory_order_acquire) != g; ++spin)
      if (spin > kSpinsBeforeYield) std::this_thread::yield();
  }
  if (measure) measured(split, forked);
}

// Generations count forks in steps of two; the low bit says whether the loop is one of shares.
std::uint64_t ThreadPool::publish(bool shares) {
  const std::uint64_t g = (generation_.load(std::memory_order_relaxed) | 1) + 1 + (shares ? 1 : 0);
  generation_.store(g, std::memory_order_release);
  generation_.notify_all();
  return g;
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
    if (g & 1) {
      if (take(thread, g)) run_share(thread, g, false);  // else the caller ran it: nothing to report
      continue;
    }
    run_chunks(thread);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace ransim
