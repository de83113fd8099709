// Attention as an RNN: the recurrence, the parallel prefix scan and the direct O(T^2)
// reference (see ransim/aaren.hpp for the equations).
//
// Cost per token, d values: the recurrence and the block scan take one exp and ~3d flops; the
// scan's fix-up takes one exp and 2d flops, vectorised across tokens (no loop-carried
// dependency); the direct reference takes one exp and d flops per (t, i <= t) pair.
#include "ransim/aaren.hpp"

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "ransim/thread_pool.hpp"

#if defined(__x86_64__) && defined(__GLIBC__)
// glibc's libmvec has a vector exp (<= 4 ulp); declaring it lets the compiler vectorise the
// fix-up and direct-reference loops (as core/populations/leaky.cpp does for tanh). `const`
// says the calls have no side effect (we never read errno), without which GCC keeps them
// scalar; glibc only declares the vector variants under -ffast-math.
extern "C" __attribute__((simd("notinbranch"), const)) double exp(double) noexcept;
#endif

namespace ransim {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Eight doubles (GCC/Clang vector extension; one AVX-512 register, two AVX2 ones).
typedef double V8 __attribute__((vector_size(64)));

std::size_t check_sizes(std::span<const double> s, std::span<const double> v, std::size_t d,
                        std::span<double> out, const char* who) {
  const std::size_t T = s.size();
  if (d == 0 || v.size() != T * d || out.size() != T * d)
    throw std::invalid_argument(std::string(who) + ": expected d > 0 and v, out of T*d = " +
                                std::to_string(T) + "*" + std::to_string(d) + " values, found v " +
                                std::to_string(v.size()) + ", out " + std::to_string(out.size()));
  return T;
}

// The running-max recurrence over n tokens from the empty state. Writes the normalised
// outputs o_t = w_t / u_t and, when asked, the running max m_t and sum u_t (for the fix-up).
void recurrence(const double* s, const double* v, std::size_t d, std::size_t n, double* out,
                double* ms, double* us) {
  std::vector<double> w(d, 0.0);
  double* __restrict wp = w.data();
  double m = kNegInf, u = 0.0;
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
    if (ms) {
      ms[t] = m;
      us[t] = u;
    }
  }
}

// A scan element in normalised form: (m, u, o = w / u).
struct Normalised {
  double m = kNegInf, u = 0.0;
  std::vector<double> o;
};

// a := a + b (the associative operator), in normalised form. Empty parts (u = 0) are the
// identity.
void combine_into(Normalised& a, double m, double u, const double* o, std::size_t d) {
  if (u == 0.0) return;
  if (a.u == 0.0) {
    a.m = m;
    a.u = u;
    a.o.assign(o, o + d);
    return;
  }
  const double mm = std::max(a.m, m);
  const double wa = a.u * std::exp(a.m - mm), wb = u * std::exp(m - mm);
  const double beta = wb / (wa + wb);
  for (std::size_t j = 0; j < d; ++j) a.o[j] += beta * (o[j] - a.o[j]);
  a.m = mm;
  a.u = wa + wb;
}

// The block scan, written once for both ways of running P workers.
class BlockScan {
 public:
  BlockScan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out,
            std::size_t P)
      : s_(s.data()), v_(v.data()), out_(out.data()), d_(d), T_(s.size()), P_(P) {
    thread_local std::vector<double> scratch;  // reused across calls: no page faults per call
    if (scratch.size() < 2 * T_) scratch.resize(2 * T_);
    ms_ = scratch.data();
    us_ = scratch.data() + T_;
    totals_.resize(P_ * (d_ + 2));
  }
  std::size_t begin(std::size_t b) const { return T_ * b / P_; }

  // Phase 1 for worker b: scan block b from the empty state; keep its total.
  void local(std::size_t b) {
    const std::size_t lo = begin(b), hi = begin(b + 1);
    recurrence(s_ + lo, v_ + lo * d_, d_, hi - lo, out_ + lo * d_, ms_ + lo, us_ + lo);
    double* tot = totals_.data() + b * (d_ + 2);
    tot[0] = ms_[hi - 1];
    tot[1] = us_[hi - 1];
    std::copy(out_ + (hi - 1) * d_, out_ + hi * d_, tot + 2);
  }

  // Phase 2 and 3 for worker i (after every worker's phase 1): the exclusive scan of the block
  // totals (redundantly in every worker: P combines), then worker i's share of the fix-up of
  // blocks 1..P-1, split evenly over all workers.
  void fixup(std::size_t i) const {
    const std::size_t n0 = begin(1), F = T_ - n0;
    const std::size_t lo = n0 + F * i / P_, hi = n0 + F * (i + 1) / P_;
    if (lo >= hi) return;
    Normalised prefix;
    std::size_t b = 0;  // prefix = totals of blocks 0..b-1
    for (std::size_t t = lo; t < hi;) {
      while (begin(b + 1) <= t) {
        const double* tot = totals_.data() + b * (d_ + 2);
        combine_into(prefix, tot[0], tot[1], tot + 2, d_);
        ++b;
      }
      const std::size_t end = std::min(hi, begin(b + 1));  // within block b
      apply(prefix, t, end);
      t = end;
    }
  }

 private:
  // out_t = prefix + local_t for t in [lo, hi): o = O + beta (o_t - O).
  void apply(const Normalised& p, std::size_t lo, std::size_t hi) const {
    constexpr std::size_t kChunk = 64;
    double beta[kChunk];
    const double M = p.m, U = p.u;
    const double* O = p.o.data();
    for (std::size_t t0 = lo; t0 < hi; t0 += kChunk) {
      const std::size_t n = std::min(kChunk, hi - t0);
      const double* __restrict ms = ms_ + t0;
      const double* __restrict us = us_ + t0;
      for (std::size_t k = 0; k < n; ++k) {  // vectorised, exp included
        const double dl = M - ms[k];
        const double e = std::exp(-std::abs(dl));
        const double a = dl > 0 ? U : U * e;
        const double c = dl > 0 ? us[k] * e : us[k];
        beta[k] = c / (a + c);
      }
      for (std::size_t k = 0; k < n; ++k) {
        double* __restrict o = out_ + (t0 + k) * d_;
        const double bk = beta[k];
        for (std::size_t j = 0; j < d_; ++j) o[j] = O[j] + bk * (o[j] - O[j]);
      }
    }
  }

  const double* s_;
  const double* v_;
  double* out_;
  std::size_t d_, T_, P_;
  double* ms_ = nullptr;
  double* us_ = nullptr;
  std::vector<double> totals_;
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
  recurrence(s.data(), v.data(), d, T, out.data(), nullptr, nullptr);
}

void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d,
                std::span<double> out, std::size_t threads) {
  const std::size_t T = check_sizes(s, v, d, out, "aaren_scan");
  const std::size_t P = std::min(std::max<std::size_t>(threads, 1), T);
  if (P <= 1) {
    if (T) recurrence(s.data(), v.data(), d, T, out.data(), nullptr, nullptr);
    return;
  }
  BlockScan scan(s, v, d, out, P);
  std::barrier sync(static_cast<std::ptrdiff_t>(P));
  auto work = [&](std::size_t i) {
    scan.local(i);
    sync.arrive_and_wait();
    scan.fixup(i);
  };
  std::vector<std::jthread> helpers;
  helpers.reserve(P - 1);
  for (std::size_t i = 1; i < P; ++i) helpers.emplace_back(work, i);
  work(0);
}

void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d,
                std::span<double> out, ThreadPool& pool) {
  const std::size_t T = check_sizes(s, v, d, out, "aaren_scan");
  const std::size_t P = std::min(pool.size(), T);
  if (P <= 1) {
    if (T) recurrence(s.data(), v.data(), d, T, out.data(), nullptr, nullptr);
    return;
  }
  BlockScan scan(s, v, d, out, P);
  std::barrier sync(static_cast<std::ptrdiff_t>(P));
  // With n = P <= pool.size() every index runs on its own thread, concurrently: the barrier
  // inside the job is safe.
  pool.parallel_for(P, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      scan.local(i);
      sync.arrive_and_wait();
      scan.fixup(i);
    }
  });
}

void aaren_gated(std::span<const double> s, std::span<const double> v, std::size_t d,
                 std::span<double> out) {
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
        for (std::size_t k = 0; k < B; ++k) std::memcpy(&acc[k], &num[k * d + j0], sizeof(V8));
        for (std::size_t ii = 0; ii < c; ++ii) {
          V8 vi;
          std::memcpy(&vi, v.data() + (i0 + ii) * d + j0, sizeof(V8));
          for (std::size_t k = 0; k < B; ++k) acc[k] += w[ii * B + k] * vi;
        }
        for (std::size_t k = 0; k < B; ++k) std::memcpy(&num[k * d + j0], &acc[k], sizeof(V8));
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

void softmax_attention_at(std::span<const double> s, std::span<const double> v, std::size_t d,
                          std::size_t t, std::span<double> out) {
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
