#pragma once
// The kernels of the attention models, on lanes-fastest slabs: products with per-unit
// matrices (matmul_lanes), sums of products over rows (dots_lanes, combine_rows), softmax with
// the maximum subtracted (softmax_lanes), scores standardised over the rows (standardise_lanes), gelu and the
// relaxation tau dh/dt = -h + tanh(r).
//
// Layout: a block holds variable v of lane b at data[v * L + b] (ransim/lanes.hpp). Unit u's
// D values are variables u*D .. u*D+D-1, so unit u owns the contiguous D x L slab starting at
// data + u*D*L, with lanes fastest; every kernel below works on such slabs, so one lane and
// many lanes share the code and the inner loops run over contiguous lanes. Groups of eight
// lanes are ransim::simd::Double8 vectors.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include <ransim/simd.hpp>
#include <ransim/vector_math.hpp>

namespace ransim::attn {

namespace detail {
// Eight lanes in one value (ransim/simd.hpp).
using simd::Double8;
using simd::load;
using simd::store;

// 8 NV lanes and RB rows at a time, accumulators in registers (each load of in(j, :) serves RB
// rows): out(i, :) (+)= sum_j W(i, j) in(j, :) for rows i0 .. i0+RB-1.
template <std::size_t NV, std::size_t RB>
inline void matmul_block(const double* w, std::size_t rows, std::size_t i0, std::size_t cols,
                         const double* in, double* out, std::size_t L, bool accumulate) {
  Double8 acc[RB][NV];
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) {
      acc[r][v] = Double8{};
      if (accumulate) load(acc[r][v], out + (i0 + r) * L + 8 * v);
    }
  for (std::size_t j = 0; j < cols; ++j) {
    Double8 x[NV];
    for (std::size_t v = 0; v < NV; ++v) load(x[v], in + j * L + 8 * v);
    const double* wj = w + j * rows + i0;
    for (std::size_t r = 0; r < RB; ++r)
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] += wj[r] * x[v];
  }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) store(out + (i0 + r) * L + 8 * v, acc[r][v]);
}

// One lane at a time (the tail of a lane count that is not a multiple of 8).
inline void matmul_lane(const double* w, std::size_t rows, std::size_t cols, const double* in, double* out,
                        std::size_t L, bool accumulate) {
  for (std::size_t i = 0; i < rows; ++i) {
    double acc = accumulate ? out[i * L] : 0.0;
    for (std::size_t j = 0; j < cols; ++j) acc += w[j * rows + i] * in[j * L];
    out[i * L] = acc;
  }
}

// One lane, 8 NV rows at a time (accumulators in registers): out[i] (+)= sum_j W(i, j) x[j]
// for 8 NV rows of a column-major W with leading dimension ld. The sum over j is split into
// four interleaved partial sums (j mod 4), so that the adds do not wait on each other.
template <std::size_t NV>
inline void matvec_rows(const double* w, std::size_t ld, std::size_t cols, const double* x, double* out,
                        bool accumulate) {
  Double8 acc[4][NV] = {};
  std::size_t j = 0;
  for (; j + 4 <= cols; j += 4)
    for (std::size_t p = 0; p < 4; ++p)
      for (std::size_t v = 0; v < NV; ++v) {
        Double8 wv;
        load(wv, w + (j + p) * ld + 8 * v);
        acc[p][v] += x[j + p] * wv;
      }
  for (; j < cols; ++j)
    for (std::size_t v = 0; v < NV; ++v) {
      Double8 wv;
      load(wv, w + j * ld + 8 * v);
      acc[0][v] += x[j] * wv;
    }
  for (std::size_t v = 0; v < NV; ++v) {
    Double8 sum = (acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]);
    if (accumulate) {
      Double8 o;
      load(o, out + 8 * v);
      sum += o;
    }
    store(out + 8 * v, sum);
  }
}

// One lane, one row.
inline void matvec_row(const double* w, std::size_t ld, std::size_t cols, const double* x, double* out,
                       bool accumulate) {
  double acc = 0;
  for (std::size_t j = 0; j < cols; ++j) acc += w[j * ld] * x[j];
  *out = accumulate ? *out + acc : acc;
}

// 8 NV lanes, RB outputs at a time: out(i)[b] = sum_j x(j)[b] * y(j, i)[b] (j = 0 .. n-1 in
// order) for i = i0 .. i0+RB-1; x(j) is shared by the RB outputs, so it is loaded once per j.
template <std::size_t NV, std::size_t RB, class X, class Y, class Out>
inline void dots_block(std::size_t n, std::size_t i0, const X& x, const Y& y, const Out& out,
                       std::size_t b0) {
  Double8 acc[RB][NV] = {};
  for (std::size_t j = 0; j < n; ++j) {
    Double8 xv[NV];
    for (std::size_t v = 0; v < NV; ++v) load(xv[v], x(j) + b0 + 8 * v);
    for (std::size_t r = 0; r < RB; ++r) {
      const double* yj = y(j, i0 + r) + b0;
      for (std::size_t v = 0; v < NV; ++v) {
        Double8 yv;
        load(yv, yj + 8 * v);
        acc[r][v] += xv[v] * yv;
      }
    }
  }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) store(out(i0 + r) + b0 + 8 * v, acc[r][v]);
}

template <std::size_t NV, class X, class Y, class Out>
inline void dots_chunk(std::size_t n, std::size_t m, const X& x, const Y& y, const Out& out, std::size_t b0) {
  std::size_t i = 0;
  for (; i + 4 <= m; i += 4) dots_block<NV, 4>(n, i, x, y, out, b0);
  for (; i < m; ++i) dots_block<NV, 1>(n, i, x, y, out, b0);
}

// One lane: out(i)[b0] = sum_j x(j)[b0] * y(j, i)[b0].
template <class X, class Y, class Out>
inline void dots_lane(std::size_t n, std::size_t m, const X& x, const Y& y, const Out& out, std::size_t b0) {
  for (std::size_t i = 0; i < m; ++i) {
    double acc = 0;
    for (std::size_t j = 0; j < n; ++j) acc += x(j)[b0] * y(j, i)[b0];
    out(i)[b0] = acc;
  }
}
}  // namespace detail

// out (rows x L) = W in, or out += W in when `accumulate`; W is rows x cols stored column-major
// (W(i, j) at w[j * rows + i]), in is cols x L. Accumulators stay in registers (no
// store-to-load chains). Many lanes sum over j in order; one lane splits the sum (see
// matvec_rows), so the two agree to round-off, not bitwise. `in` and `out` must not overlap.
inline void matmul_lanes(const double* w, std::size_t rows, std::size_t cols, const double* in, double* out,
                         std::size_t L, bool accumulate) {
  if (L == 1) {
    std::size_t i = 0;
    for (; i + 32 <= rows; i += 32) detail::matvec_rows<4>(w + i, rows, cols, in, out + i, accumulate);
    for (; i + 8 <= rows; i += 8) detail::matvec_rows<1>(w + i, rows, cols, in, out + i, accumulate);
    for (; i < rows; ++i) detail::matvec_row(w + i, rows, cols, in, out + i, accumulate);
    return;
  }
  auto chunk = [&]<std::size_t NV>(std::size_t b0) {
    std::size_t i = 0;
    for (; i + 4 <= rows; i += 4)
      detail::matmul_block<NV, 4>(w, rows, i, cols, in + b0, out + b0, L, accumulate);
    for (; i < rows; ++i) detail::matmul_block<NV, 1>(w, rows, i, cols, in + b0, out + b0, L, accumulate);
  };
  std::size_t b0 = 0;
  for (; b0 + 16 <= L; b0 += 16) chunk.template operator()<2>(b0);
  for (; b0 + 8 <= L; b0 += 8) chunk.template operator()<1>(b0);
  for (; b0 < L; ++b0) detail::matmul_lane(w, rows, cols, in + b0, out + b0, L, accumulate);
}

// m sums of products over the L lanes: out(i)[b] = sum_{j < n} x(j)[b] * y(j, i)[b] for
// i < m, summed in order of j; x(j), y(j, i) and out(i) return pointers to L-lane rows.
template <class X, class Y, class Out>
inline void dots_lanes(std::size_t n, std::size_t m, const X& x, const Y& y, const Out& out, std::size_t L) {
  std::size_t b0 = 0;
  for (; b0 + 16 <= L; b0 += 16) detail::dots_chunk<2>(n, m, x, y, out, b0);
  for (; b0 + 8 <= L; b0 += 8) detail::dots_chunk<1>(n, m, x, y, out, b0);
  for (; b0 < L; ++b0) detail::dots_lane(n, m, x, y, out, b0);
}

// One lane: out[d] = sum_r a[r] rows[r][d] (r in order), 8 values of d at a time in registers.
inline void combine_rows(const double* const* rows, const double* a, std::size_t n, std::size_t D,
                         double* out) {
  std::size_t d = 0;
  for (; d + 8 <= D; d += 8) {
    simd::Double8 acc{};
    for (std::size_t r = 0; r < n; ++r) {
      simd::Double8 row;
      simd::load(row, rows[r] + d);
      acc += a[r] * row;
    }
    simd::store(out + d, acc);
  }
  for (; d < D; ++d) {
    double acc = 0;
    for (std::size_t r = 0; r < n; ++r) acc += a[r] * rows[r][d];
    out[d] = acc;
  }
}

// s is n x L (row r, lane b at s[r * L + b]). For each lane: s[., b] <- softmax over the n
// rows, computed as exp(s - max) / sum exp(s - max) so that no score overflows. exp goes
// through exp_values (ransim/vector_math.hpp: 8 values a call with AVX-512, within 4 ulp).
// tmp holds 2 L doubles. n >= 1.
inline void softmax_lanes(double* s, std::size_t n, std::size_t L, double* tmp) {
  if (L == 1) {  // the rows are contiguous: one vectorised loop per pass
    double m = s[0];
    for (std::size_t r = 1; r < n; ++r) m = std::max(m, s[r]);
    for (std::size_t r = 0; r < n; ++r) s[r] -= m;
    exp_values(s, n);
    double sum = 0;
    for (std::size_t r = 0; r < n; ++r) sum += s[r];
    for (std::size_t r = 0; r < n; ++r) s[r] /= sum;
    return;
  }
  double* m = tmp;
  double* sum = tmp + L;
  std::copy(s, s + L, m);
  for (std::size_t r = 1; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) m[b] = std::max(m[b], s[r * L + b]);
  std::fill(sum, sum + L, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    double* sr = s + r * L;
    for (std::size_t b = 0; b < L; ++b) sr[b] -= m[b];
    exp_values(sr, L);
    for (std::size_t b = 0; b < L; ++b) sum[b] += sr[b];
  }
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) s[r * L + b] /= sum[b];
}

// s is n x L. For each lane: s[., b] <- beta (s[., b] - mean) / sd over the n rows, so that the
// scores have standard deviation beta whatever the scale of the rows (the "standardised" scores
// of the attention units). sd has a floor of 1e-6 of the scores' RMS: rows equal up to
// rounding stay equal instead of rounding noise being blown up to O(1). tmp holds 2 L doubles.
inline void standardise_lanes(double* s, std::size_t n, std::size_t L, double beta, double* tmp) {
  double* mean = tmp;
  double* var = tmp + L;  // then the factor beta / sd
  std::fill(mean, mean + 2 * L, 0.0);
  const double inv_n = 1.0 / static_cast<double>(n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) mean[b] += s[r * L + b];
  for (std::size_t b = 0; b < L; ++b) mean[b] *= inv_n;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) {
      const double d = s[r * L + b] - mean[b];
      var[b] += d * d;
    }
  for (std::size_t b = 0; b < L; ++b) {
    const double v = var[b] * inv_n, floor2 = 1e-12 * (v + mean[b] * mean[b]);
    var[b] = beta / std::sqrt(v + floor2 + 1e-300);  // the factor applied below
  }
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) s[r * L + b] = (s[r * L + b] - mean[b]) * var[b];
}

// The exact (erf) form: gelu(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
inline double gelu(double x) { return 0.5 * x * (1.0 + ::erf(x * 0.70710678118654752440)); }
// Its derivative Phi(x) + x phi(x) (the normal CDF and density), for the backward passes.
inline double gelu_derivative(double x) {
  return 0.5 * (1.0 + ::erf(x * 0.70710678118654752440)) +
         x * std::exp(-0.5 * x * x) * 0.39894228040143267794;
}

// dxdt[i] = (tanh(r[i]) - x[i]) / tau for n contiguous values, r read from dxdt itself;
// tanh by tanh_values (ransim/vector_math.hpp), a block at a time so that it stays in L1.
inline void relax_tanh(const double* x, double* dxdt, std::size_t n, double inv_tau) {
  constexpr std::size_t kBlock = 512;
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - i0);
    double* d = dxdt + i0;
    const double* xi = x + i0;
    tanh_values(d, len);
    for (std::size_t i = 0; i < len; ++i) d[i] = (d[i] - xi[i]) * inv_tau;
  }
}

}  // namespace ransim::attn
