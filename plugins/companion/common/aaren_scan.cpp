// Attention as an RNN: the recurrence, the parallel prefix scan and the direct O(T^2)
// reference (see aaren_scan.hpp for the equations).
//
// Cost per token, d values: the recurrence takes one exp and ~3d flops in a loop-carried
// chain; the scan adds a block reduction, one exp and d flops per token, vectorised across
// tokens; the direct reference takes one exp and d flops per (t, i <= t) pair, in tiles that
// keep its accumulators in registers.
#include "companion/common/aaren_scan.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "ransim/simd.hpp"
#include "ransim/thread_pool.hpp"
#include "ransim/vector_math.hpp"

namespace ransim {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Eight doubles (ransim/simd.hpp).
using V8 = simd::Double8;

std::size_t check_sizes(std::span<const double> s, std::span<const double> v, std::size_t d,
                        std::span<double> out, const char* who) {
  const std::size_t T = s.size();
  if (d == 0 || v.size() != T * d || out.size() != T * d)
    throw std::invalid_argument(std::string(who) + ": expected d > 0 and v, out of T*d = " +
                                std::to_string(T) + "*" + std::to_string(d) + " values, found v " +
                                std::to_string(v.size()) + ", out " + std::to_string(out.size()));
  return T;
}

// The scan element (m, u, w) of a range of tokens: u = sum e^{s_i - m}, w = sum e^{s_i - m} v_i,
// m the range's maximum score; the empty range is m = -inf, u = 0, w = 0.
struct Part {
  double m = kNegInf, u = 0.0;
  std::vector<double> w;
  explicit Part(std::size_t d) : w(d, 0.0) {}
};

// p := p + q (the associative operator). Empty parts are the identity.
void combine_into(Part& p, const Part& q) {
  if (q.u == 0.0) return;
  if (p.u == 0.0) {
    p = q;
    return;
  }
  const double m = std::max(p.m, q.m), ep = std::exp(p.m - m), eq = std::exp(q.m - m);
  p.u = p.u * ep + q.u * eq;
  for (std::size_t j = 0; j < p.w.size(); ++j) p.w[j] = p.w[j] * ep + q.w[j] * eq;
  p.m = m;
}

// The running-max recurrence over n tokens, starting from the state p (the empty part for
// the sequence's start, the prefix of the earlier tokens in the scan), writing the outputs
// o_t = w_t / u_t.
void recurrence(const double* s, const double* v, std::size_t d, std::size_t n, double* out, Part p) {
  double* __restrict wp = p.w.data();
  double m = p.m, u = p.u;
  for (std::size_t t = 0; t < n; ++t) {
    const double st = s[t];
    const double* __restrict vt = v + t * d;
    double* __restrict ot = out + t * d;
    if (st > m) {  // new maximum: rescale the old sums (e^{-inf} = 0 for the first token)
      const double r = std::exp(m - st);
      u = u * r + 1.0;
      for (std::size_t j = 0; j < d; ++j) wp[j] = wp[j] * r + vt[j];
      m = st;
    } else {
      const double e = std::exp(st - m);
      u += e;
      for (std::size_t j = 0; j < d; ++j) wp[j] += e * vt[j];
    }
    const double inv = 1.0 / u;
    for (std::size_t j = 0; j < d; ++j) ot[j] = wp[j] * inv;
  }
}

// The total (m, u, w) of n tokens, without the outputs: the maximum first, then the sums,
// every exponential computed in vectorised chunks, no loop-carried dependency but the
// accumulators (four tokens in flight).
Part reduce(const double* s, const double* v, std::size_t d, std::size_t n) {
  Part p(d);
  if (n == 0) return p;
  constexpr std::size_t C = 256;
  V8 mx = V8{} + kNegInf;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    V8 x;
    simd::load(x, s + i);
    mx = x > mx ? x : mx;
  }
  double m = kNegInf;
  for (std::size_t l = 0; l < 8; ++l) m = std::max(m, mx[l]);
  for (; i < n; ++i) m = std::max(m, s[i]);
  p.m = m;
  alignas(64) double e[C];
  V8 usum = {};
  for (std::size_t i0 = 0; i0 < n; i0 += C) {
    const std::size_t c = std::min(C, n - i0);
    for (std::size_t k = 0; k < c; ++k) e[k] = std::exp(s[i0 + k] - m);
    for (std::size_t k = c; k < (c + 7) / 8 * 8; ++k) e[k] = 0.0;  // pad to whole vectors
    for (std::size_t k = 0; k < c; k += 8) {
      V8 x;
      simd::load(x, e + k);
      usum += x;
    }
    const double* vi = v + i0 * d;
    std::size_t j0 = 0;
    for (; j0 + 8 <= d; j0 += 8) {  // 8 columns at a time, four tokens in flight
      V8 a[4] = {};
      std::size_t k = 0;
      for (; k + 4 <= c; k += 4)
        for (std::size_t r = 0; r < 4; ++r) {
          V8 x;
          simd::load(x, vi + (k + r) * d + j0);
          a[r] += e[k + r] * x;
        }
      for (; k < c; ++k) {
        V8 x;
        simd::load(x, vi + k * d + j0);
        a[0] += e[k] * x;
      }
      V8 w;
      simd::load(w, p.w.data() + j0);
      w += (a[0] + a[1]) + (a[2] + a[3]);
      simd::store(p.w.data() + j0, w);
    }
    for (std::size_t k = 0; k < c && j0 < d; ++k)  // the last d % 8 columns
      for (std::size_t j = j0; j < d; ++j) p.w[j] += e[k] * vi[k * d + j];
  }
  p.u = 0.0;
  for (std::size_t l = 0; l < 8; ++l) p.u += usum[l];
  return p;
}

// Waits for a flag another worker sets soon: spins, then yields (on an oversubscribed
// machine the worker that will set it may need this core). Never sleeps: waking a sleeping
// thread costs far more (up to hundreds of microseconds on some virtual machines) than a
// block takes.
void wait_for(const std::atomic<bool>& flag) {
  for (unsigned spin = 0; !flag.load(std::memory_order_acquire); ++spin) {
    if (spin > 4096) std::this_thread::yield();
#if defined(__x86_64__)
    else __builtin_ia32_pause();
#endif
  }
}

// The block scan. The tokens are cut into blocks of kBlock (the last one shorter), fixed by T
// alone, so the result does not depend on the number of threads (bitwise). Workers claim
// blocks in increasing order from a counter (a slower core simply claims fewer). For its
// block b a worker
//   1. reduces the block to its total (m, u, w) (vectorised, no outputs written);
//   2. waits for the inclusive prefix of blocks 0..b-1 (published by block b-1's worker right
//      after its own step 1, so the wait is about one reduction), and publishes block b's
//      inclusive prefix = that prefix + the total: the scan of the block totals;
//   3. scans the block with the recurrence, starting from the exclusive prefix.
// The block's values are read twice while they are in cache, so the memory traffic is the
// recurrence's. Per token this is the recurrence plus a reduction: one thread is a little
// slower than aaren_sequential, two equal cores are up to ~1.7x faster. (A scan-then-fix-up
// order, every block scanned from empty and then combined with its prefix, costs a second
// pass over the outputs and measured slower here: docs/companion.md.)
class BlockScan {
 public:
  static constexpr std::size_t kBlock = 1024;

  BlockScan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out)
      : s_(s.data()),
        v_(v.data()),
        out_(out.data()),
        d_(d),
        T_(s.size()),
        K_((T_ + kBlock - 1) / kBlock),
        inclusive_(K_, Part(d)),
        ready_(new std::atomic<bool>[K_]) {
    for (std::size_t b = 0; b < K_; ++b) ready_[b].store(false, std::memory_order_relaxed);
  }
  std::size_t blocks() const { return K_; }

  // Everything one worker does; workers call it concurrently, or one worker alone.
  void work() {
    for (std::size_t b = next_.fetch_add(1); b < K_; b = next_.fetch_add(1)) {
      const std::size_t lo = begin(b), n = begin(b + 1) - lo;
      const bool last = b + 1 == K_;
      Part total = last ? Part(d_) : reduce(s_ + lo, v_ + lo * d_, d_, n);
      if (b > 0) wait_for(ready_[b - 1]);
      const Part exclusive = b > 0 ? inclusive_[b - 1] : Part(d_);
      if (!last) {
        inclusive_[b] = exclusive;
        combine_into(inclusive_[b], total);
        ready_[b].store(true, std::memory_order_release);
      }
      recurrence(s_ + lo, v_ + lo * d_, d_, n, out_ + lo * d_, exclusive);
    }
  }

 private:
  std::size_t begin(std::size_t b) const { return std::min(T_, b * kBlock); }

  const double* s_;
  const double* v_;
  double* out_;
  std::size_t d_, T_, K_;
  std::vector<Part> inclusive_;
  std::unique_ptr<std::atomic<bool>[]> ready_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace

double logaddexp(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kNegInf) return a;
  return a + std::log1p(std::exp(b - a));
}

AarenPart aaren_identity(std::size_t d) { return {kNegInf, 0.0, std::vector<double>(d, 0.0)}; }

AarenPart aaren_token(double s, std::span<const double> v) {
  return {s, 1.0, std::vector<double>(v.begin(), v.end())};
}

AarenPart aaren_combine(const AarenPart& a, const AarenPart& b) {
  if (a.w.size() != b.w.size()) throw std::invalid_argument("aaren_combine: parts of different dimension");
  if (a.u == 0.0) return b;  // the identity (m = -inf): avoids -inf - -inf
  if (b.u == 0.0) return a;
  const double m = std::max(a.m, b.m);
  const double ea = std::exp(a.m - m), eb = std::exp(b.m - m);
  AarenPart r{m, a.u * ea + b.u * eb, std::vector<double>(a.w.size())};
  for (std::size_t j = 0; j < r.w.size(); ++j) r.w[j] = a.w[j] * ea + b.w[j] * eb;
  return r;
}

void aaren_sequential(std::span<const double> s, std::span<const double> v, std::size_t d,
                      std::span<double> out) {
  const std::size_t T = check_sizes(s, v, d, out, "aaren_sequential");
  recurrence(s.data(), v.data(), d, T, out.data(), Part(d));
}

void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out,
                std::size_t threads) {
  check_sizes(s, v, d, out, "aaren_scan");
  BlockScan scan(s, v, d, out);
  const std::size_t P = std::min(std::max<std::size_t>(threads, 1), scan.blocks());
  std::vector<std::jthread> helpers;
  for (std::size_t i = 1; i < P; ++i) helpers.emplace_back([&] { scan.work(); });
  scan.work();
}

void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out,
                ThreadPool& pool) {
  check_sizes(s, v, d, out, "aaren_scan");
  BlockScan scan(s, v, d, out);
  const std::size_t P = std::min(pool.size(), scan.blocks());
  if (P <= 1) return scan.work();
  pool.parallel_for(P, [&](std::size_t, std::size_t) { scan.work(); });
}

void aaren_gated(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out) {
  const std::size_t T = check_sizes(s, v, d, out, "aaren_gated");
  std::vector<double> o(d, 0.0);
  double lse = kNegInf;
  for (std::size_t t = 0; t < T; ++t) {
    lse = logaddexp(lse, s[t]);
    const double g = std::exp(s[t] - lse);
    for (std::size_t j = 0; j < d; ++j) {
      o[j] += g * (v[t * d + j] - o[j]);
      out[t * d + j] = o[j];
    }
  }
}

void softmax_attention_direct(std::span<const double> s, std::span<const double> v, std::size_t d,
                              std::span<double> out) {
  const std::size_t T = check_sizes(s, v, d, out, "softmax_attention_direct");
  // m_t = max(s_1..s_t): the stabilising maximum of row t (the same number as a loop over
  // i <= t would find; max is exact).
  std::vector<double> pm(T);
  double m = kNegInf;
  for (std::size_t t = 0; t < T; ++t) pm[t] = m = std::max(m, s[t]);
  // Rows in tiles of B: each pass over the tokens i serves B rows (v_i is read once per tile).
  // Row t's sum runs over i = 0..t in order, with weights e^{s_i - m_t} <= 1. The weights of
  // C tokens are computed first in one flat loop (vectorised exp), then accumulated.
  constexpr std::size_t B = 8, C = 128, J = 8;
  std::vector<double> num(B * d), x(C * B);
  double den[B], mt[B];
  for (std::size_t t0 = 0; t0 < T; t0 += B) {
    const std::size_t nb = std::min(B, T - t0), n = t0 + nb;
    for (std::size_t k = 0; k < B; ++k) mt[k] = k < nb ? pm[t0 + k] : std::numeric_limits<double>::infinity();
    std::fill(num.begin(), num.end(), 0.0);
    std::fill(den, den + B, 0.0);
    for (std::size_t i0 = 0; i0 < n; i0 += C) {
      const std::size_t c = std::min(C, n - i0);
      double* __restrict w = x.data();
      for (std::size_t ii = 0; ii < c; ++ii) {
        const double si = s[i0 + ii];
        for (std::size_t k = 0; k < B; ++k) w[ii * B + k] = si - mt[k];
      }
      // Exponent -inf (weight 0) masks i > t on the diagonal tile (mt = +inf already masks
      // the padding rows).
      for (std::size_t i = std::max(i0, t0); i < i0 + c; ++i)
        for (std::size_t k = 0; k < i - t0; ++k) w[(i - i0) * B + k] = kNegInf;
      for (std::size_t q = 0; q < c * B; ++q) w[q] = std::exp(w[q]);
      double dacc[B] = {};
      for (std::size_t ii = 0; ii < c; ++ii)
        for (std::size_t k = 0; k < B; ++k) dacc[k] += w[ii * B + k];
      for (std::size_t k = 0; k < B; ++k) den[k] += dacc[k];
      // num[k][j] += sum_ii w[ii][k] v[ii][j]: columns in panels of J, a B x J block of
      // accumulators kept in registers over the chunk.
      std::size_t j0 = 0;
      for (; j0 + J <= d; j0 += J) {
        V8 acc[B];
        for (std::size_t k = 0; k < B; ++k) simd::load(acc[k], &num[k * d + j0]);
        for (std::size_t ii = 0; ii < c; ++ii) {
          V8 vi;
          simd::load(vi, v.data() + (i0 + ii) * d + j0);
          for (std::size_t k = 0; k < B; ++k) acc[k] += w[ii * B + k] * vi;
        }
        for (std::size_t k = 0; k < B; ++k) simd::store(&num[k * d + j0], acc[k]);
      }
      for (std::size_t ii = 0; ii < c && j0 < d; ++ii) {  // the last d % J columns
        const double* __restrict vi = v.data() + (i0 + ii) * d;
        for (std::size_t k = 0; k < B; ++k)
          for (std::size_t j = j0; j < d; ++j) num[k * d + j] += w[ii * B + k] * vi[j];
      }
    }
    for (std::size_t k = 0; k < nb; ++k)
      for (std::size_t j = 0; j < d; ++j) out[(t0 + k) * d + j] = num[k * d + j] / den[k];
  }
}

void softmax_attention_at(std::span<const double> s, std::span<const double> v, std::size_t d, std::size_t t,
                          std::span<double> out) {
  if (t >= s.size() || v.size() != s.size() * d || out.size() != d)
    throw std::invalid_argument("softmax_attention_at: t out of range or wrong sizes");
  double m = kNegInf;
  for (std::size_t i = 0; i <= t; ++i) m = std::max(m, s[i]);
  double den = 0.0;
  std::fill(out.begin(), out.end(), 0.0);
  for (std::size_t i = 0; i <= t; ++i) {
    const double w = std::exp(s[i] - m);
    den += w;
    for (std::size_t j = 0; j < d; ++j) out[j] += w * v[i * d + j];
  }
  for (std::size_t j = 0; j < d; ++j) out[j] /= den;
}

}  // namespace ransim
