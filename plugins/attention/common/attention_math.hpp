#pragma once
// The math shared by the attention population plugins (cortex_qkv, hippocampus_memory,
// attention_block), written once here and included by all three:
//
//   - parameter declarations common to the models (unit shape, attention, memory);
//   - products over lanes-fastest blocks (matmul_lanes), softmax with the maximum
//     subtracted (softmax_lanes), gelu, the relaxation tau dh/dt = -h + tanh(r);
//   - random matrices (N(0, scale^2 / D) entries, drawn in a documented order) and weight
//     loading from HDF5 with shape checks (WeightFile);
//   - the attention read (Attention), the token-clock working memory (TokenWindow) and the
//     key-value memory read (KeyValueMemory);
//   - UnitPopulation: the common frame of a population of U units with D values each.
//
// Layout: a block holds variable v of lane b at data[v * L + b] (ransim/block.hpp). Unit u's
// D values are variables u*D .. u*D+D-1, so unit u owns the contiguous D x L slab starting at
// data + u*D*L, with lanes fastest; every kernel below works on such slabs, so one lane and
// many lanes share the code and the inner loops run over contiguous lanes.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <ransim/error.hpp>
#include "ransim/hdf5_read.hpp"
#include <ransim/population.hpp>
#include <ransim/registry.hpp>
#include <ransim/thread_pool.hpp>
#include <ransim/vector_math.hpp>

namespace ransim::attn {

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

// Every model: the unit shape, the time constant, where weights come from.
inline std::vector<ParamSpec> unit_specs() {
  return {
      {"units", ParamType::Integer, std::int64_t{16}, "1", "number of units U", 1, 1e7},
      {"dim", ParamType::Integer, std::int64_t{8}, "1", "values per unit D (the token dimension)", 1, 4096},
      {"tau", ParamType::Real, 1.0, "s", "time constant: tau dh/dt = -h + phi (leak a = dt / tau)", 0, kInf, true},
      {"shared_weights", ParamType::Boolean, false, "",
       "one set of matrices for the whole population instead of one per unit"},
      {"weights_file", ParamType::String, std::string(""), "",
       "HDF5 file holding the weights, one dataset per weight named as in the recording "
       "(see the model's README); empty: random weights"},
      {"weights_group", ParamType::String, std::string("/"), "",
       "group of weights_file holding the datasets, e.g. /network/populations/NAME to reuse "
       "the weights of a ransim recording"},
      {"initial_state", ParamType::Real, 0.0, "1",
       "initial state h(0) ~ U(-s, s) per value, the same in every lane (recorded as x0; read "
       "from weights_file when one is given); 0: h(0) = 0",
       0, kInf},
  };
}

// Cortex attention (cortex_qkv, attention_block).
inline std::vector<ParamSpec> attention_specs() {
  return {
      {"context", ParamType::Integer, std::int64_t{8}, "1",
       "working-memory rows c: the last c-1 token-tick samples of z plus the live z", 1, 4096},
      {"temperature", ParamType::Real, 1.0, "1", "softmax temperature: a = softmax(K q / (sqrt(D) T))",
       0, kInf, true},
      {"wq_scale", ParamType::Real, 1.0, "1", "query matrix W_q entries ~ N(0, s^2 / D)", 0, kInf},
      {"wk_scale", ParamType::Real, 1.0, "1", "key matrix W_k entries ~ N(0, s^2 / D)", 0, kInf},
      {"wv_scale", ParamType::Real, 1.0, "1", "value matrix W_v entries ~ N(0, s^2 / D)", 0, kInf},
      {"wo_scale", ParamType::Real, 0.15, "1",
       "output matrix W_o entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
       "recurrent projection contracting: echo state property)",
       0, kInf},
  };
}

// Key-value memory (hippocampus_memory, attention_block).
inline std::vector<ParamSpec> memory_specs() {
  return {
      {"slots", ParamType::Integer, std::int64_t{32}, "1", "memory slots S (keys k_s, values v_s)", 1, 1e6},
      {"activation", ParamType::String, std::string("relu"), "",
       "slot activation f: m_s = f(k_s . z + b_s); softmax is taken over the slots", 0, 0, false,
       {"relu", "gelu", "softmax"}},
      {"key_scale", ParamType::Real, 1.0, "1", "memory keys k_s entries ~ N(0, s^2 / D)", 0, kInf},
      {"value_scale", ParamType::Real, 0.25, "1",
       "memory values v_s entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
       "recurrent projection contracting: echo state property)",
       0, kInf},
      {"bias_scale", ParamType::Real, 0.0, "1", "memory biases b_s ~ U(-s, s)", 0, kInf},
      {"shared_store", ParamType::Boolean, false, "",
       "one memory store (keys, values, biases) for the whole population instead of one per unit"},
  };
}

inline std::vector<ParamSpec> concat(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---------------------------------------------------------------------------------------
// Kernels on lanes-fastest slabs
// ---------------------------------------------------------------------------------------

namespace detail {
// Eight lanes in one value (GCC/Clang vector extension: one AVX-512 register, two AVX2 ones).
// Spelling the lane vectors out keeps the compiler from vectorising along the wrong loop.
using v8d = double __attribute__((vector_size(64)));
// (Passed by reference: a 64-byte vector by value would change the ABI on machines without
// AVX-512, which GCC warns about.)
inline void load8(v8d& v, const double* p) { std::memcpy(&v, p, sizeof v); }
inline void store8(double* p, const v8d& v) { std::memcpy(p, &v, sizeof v); }

// 8 NV lanes and RB rows at a time, accumulators in registers (each load of in(j, :) serves RB
// rows): out(i, :) (+)= sum_j W(i, j) in(j, :) for rows i0 .. i0+RB-1.
template <std::size_t NV, std::size_t RB>
inline void matmul_block(const double* w, std::size_t rows, std::size_t i0, std::size_t cols,
                         const double* in, double* out, std::size_t L, bool accumulate) {
  v8d acc[RB][NV];
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) {
      acc[r][v] = v8d{};
      if (accumulate) load8(acc[r][v], out + (i0 + r) * L + 8 * v);
    }
  for (std::size_t j = 0; j < cols; ++j) {
    v8d x[NV];
    for (std::size_t v = 0; v < NV; ++v) load8(x[v], in + j * L + 8 * v);
    const double* wj = w + j * rows + i0;
    for (std::size_t r = 0; r < RB; ++r)
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] += wj[r] * x[v];
  }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) store8(out + (i0 + r) * L + 8 * v, acc[r][v]);
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
  v8d acc[4][NV] = {};
  std::size_t j = 0;
  for (; j + 4 <= cols; j += 4)
    for (std::size_t p = 0; p < 4; ++p)
      for (std::size_t v = 0; v < NV; ++v) {
        v8d wv;
        load8(wv, w + (j + p) * ld + 8 * v);
        acc[p][v] += x[j + p] * wv;
      }
  for (; j < cols; ++j)
    for (std::size_t v = 0; v < NV; ++v) {
      v8d wv;
      load8(wv, w + j * ld + 8 * v);
      acc[0][v] += x[j] * wv;
    }
  for (std::size_t v = 0; v < NV; ++v) {
    v8d sum = (acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]);
    if (accumulate) {
      v8d o;
      load8(o, out + 8 * v);
      sum += o;
    }
    store8(out + 8 * v, sum);
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
inline void dots_block(std::size_t n, std::size_t i0, const X& x, const Y& y, const Out& out, std::size_t b0) {
  v8d acc[RB][NV] = {};
  for (std::size_t j = 0; j < n; ++j) {
    v8d xv[NV];
    for (std::size_t v = 0; v < NV; ++v) load8(xv[v], x(j) + b0 + 8 * v);
    for (std::size_t r = 0; r < RB; ++r) {
      const double* yj = y(j, i0 + r) + b0;
      for (std::size_t v = 0; v < NV; ++v) {
        v8d yv;
        load8(yv, yj + 8 * v);
        acc[r][v] += xv[v] * yv;
      }
    }
  }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t v = 0; v < NV; ++v) store8(out(i0 + r) + b0 + 8 * v, acc[r][v]);
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
inline void matmul_lanes(const double* w, std::size_t rows, std::size_t cols, const double* in,
                         double* out, std::size_t L, bool accumulate) {
  if (L == 1) {
    std::size_t i = 0;
    for (; i + 32 <= rows; i += 32) detail::matvec_rows<4>(w + i, rows, cols, in, out + i, accumulate);
    for (; i + 8 <= rows; i += 8) detail::matvec_rows<1>(w + i, rows, cols, in, out + i, accumulate);
    for (; i < rows; ++i) detail::matvec_row(w + i, rows, cols, in, out + i, accumulate);
    return;
  }
  auto chunk = [&]<std::size_t NV>(std::size_t b0) {
    std::size_t i = 0;
    for (; i + 4 <= rows; i += 4) detail::matmul_block<NV, 4>(w, rows, i, cols, in + b0, out + b0, L, accumulate);
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
inline void combine_rows(const double* const* rows, const double* a, std::size_t n, std::size_t D, double* out) {
  std::size_t d = 0;
  for (; d + 8 <= D; d += 8) {
    detail::v8d acc{};
    for (std::size_t r = 0; r < n; ++r) {
      detail::v8d row;
      detail::load8(row, rows[r] + d);
      acc += a[r] * row;
    }
    detail::store8(out + d, acc);
  }
  for (; d < D; ++d) {
    double acc = 0;
    for (std::size_t r = 0; r < n; ++r) acc += a[r] * rows[r][d];
    out[d] = acc;
  }
}

// s is n x L (row r, lane b at s[r * L + b]). For each lane: s[., b] <- softmax over the n
// rows, computed as exp(s - max) / sum exp(s - max) so that no score overflows.
// tmp holds 2 L doubles. n >= 1.
inline void softmax_lanes(double* s, std::size_t n, std::size_t L, double* tmp) {
  if (L == 1) {  // the rows are contiguous: one vectorised loop per pass
    double m = s[0];
    for (std::size_t r = 1; r < n; ++r) m = std::max(m, s[r]);
    for (std::size_t r = 0; r < n; ++r) s[r] = ::exp(s[r] - m);
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
    for (std::size_t b = 0; b < L; ++b) sr[b] = ::exp(sr[b] - m[b]);
    for (std::size_t b = 0; b < L; ++b) sum[b] += sr[b];
  }
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t b = 0; b < L; ++b) s[r * L + b] /= sum[b];
}

// The exact (erf) form: gelu(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
inline double gelu(double x) { return 0.5 * x * (1.0 + ::erf(x * 0.70710678118654752440)); }

// dxdt[i] = (tanh(r[i]) - x[i]) / tau for n contiguous values, r read from dxdt itself.
inline void relax_tanh(const double* x, double* dxdt, std::size_t n, double inv_tau) {
  for (std::size_t i = 0; i < n; ++i) dxdt[i] = (tanh_by_expm1(dxdt[i]) - x[i]) * inv_tau;
}

// ---------------------------------------------------------------------------------------
// Weights: random drawing, HDF5 loading, storage
// ---------------------------------------------------------------------------------------

// n values ~ N(0, sd^2) from the population's stream (Box-Muller, ransim::normal).
inline std::vector<double> random_normal(Rng& rng, std::size_t n, double sd) {
  std::vector<double> v(n);
  for (auto& x : v) x = sd * normal(rng);
  return v;
}

inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// The weights_file / weights_group parameters: datasets <group>/<name>, checked for shape and
// finiteness. Errors: InputError "population 'P': weights_file: FILE: dataset 'D': reason".
class WeightFile {
 public:
  explicit WeightFile(const PopulationContext& c)
      : pop_(c.name), file_(c.params.string("weights_file")), group_(c.params.string("weights_group")) {}
  bool used() const { return !file_.empty(); }

  std::string dataset(const std::string& name) const {
    std::string g = group_;
    while (!g.empty() && g.back() == '/') g.pop_back();
    return g + "/" + name;
  }

  [[noreturn]] void fail(const std::string& name, const std::string& reason) const {
    throw InputError("population '" + pop_ + "': weights_file: " + file_ + ": dataset '" +
                     dataset(name) + "': " + reason);
  }

  // `blocks` matrices of rows x cols, stacked: accepted as [blocks*rows, cols] (how ransim
  // records them), [blocks, rows, cols], or [blocks*rows] when cols == 1. Row-major values.
  std::vector<double> load(const std::string& name, std::size_t blocks, std::size_t rows,
                           std::size_t cols, const std::string& what) const {
    Array a;
    try {
      a = read_hdf5_array(file_, dataset(name));
    } catch (const InputError& e) {
      throw InputError("population '" + pop_ + "': weights_file: " + e.what());
    }
    const std::vector<std::size_t> flat{blocks * rows, cols}, stacked{blocks, rows, cols};
    const bool ok = a.shape == flat || a.shape == stacked ||
                    (cols == 1 && a.shape == std::vector<std::size_t>{blocks * rows});
    if (!ok)
      fail(name, "expected shape " + shape_text(flat) + " or " + shape_text(stacked) + " (" + what +
                     "), found " + shape_text(a.shape));
    for (std::size_t i = 0; i < a.values.size(); ++i)
      if (!std::isfinite(a.values[i]))
        fail(name, "value " + std::to_string(i) + " is not finite (" + std::to_string(a.values[i]) + ")");
    return std::move(a.values);
  }

 private:
  std::string pop_, file_, group_;
};

// `blocks` matrices of rows x cols (one per unit, or a single one shared by all units), each
// stored column-major for the kernels: W_b(i, j) at cm[b*rows*cols + j*rows + i].
struct MatrixSet {
  std::size_t blocks = 0, rows = 0, cols = 0;
  std::vector<double> cm;

  static MatrixSet from_row_major(std::size_t blocks, std::size_t rows, std::size_t cols,
                                  const std::vector<double>& rm) {
    MatrixSet m{blocks, rows, cols, std::vector<double>(rm.size())};
    for (std::size_t b = 0; b < blocks; ++b)
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
          m.cm[b * rows * cols + j * rows + i] = rm[b * rows * cols + i * cols + j];
    return m;
  }
  // Unit u's matrix (the shared one when there is a single block).
  const double* block(std::size_t u) const { return cm.data() + (blocks == 1 ? 0 : u) * rows * cols; }
  arma::mat matrix(std::size_t b) const { return arma::mat(cm.data() + b * rows * cols, rows, cols); }
  // [blocks*rows, cols]: row b*rows + i holds row i of matrix b (the recorded layout).
  arma::mat stacked() const {
    arma::mat s(blocks * rows, cols);
    for (std::size_t b = 0; b < blocks; ++b) s.rows(b * rows, (b + 1) * rows - 1) = matrix(b);
    return s;
  }
  // The per-block product scale op(A_b) B_b, op(A) = A^T or A, with plain loops in a fixed
  // order (no BLAS: the same bits on every machine, and no BLAS threads woken at construction).
  static MatrixSet product(const MatrixSet& a, bool transpose_a, const MatrixSet& b, double scale = 1.0) {
    const std::size_t n = transpose_a ? a.cols : a.rows, inner = transpose_a ? a.rows : a.cols;
    MatrixSet out{a.blocks, n, b.cols, std::vector<double>(a.blocks * n * b.cols)};
    for (std::size_t k = 0; k < a.blocks; ++k) {
      const double* A = a.cm.data() + k * a.rows * a.cols;
      const double* B = b.cm.data() + k * b.rows * b.cols;
      double* C = out.cm.data() + k * n * b.cols;
      for (std::size_t j = 0; j < b.cols; ++j)
        for (std::size_t i = 0; i < n; ++i) {
          double acc = 0;
          for (std::size_t l = 0; l < inner; ++l)
            acc += (transpose_a ? A[i * a.rows + l] : A[l * a.rows + i]) * B[j * b.rows + l];
          C[j * n + i] = scale * acc;
        }
    }
    return out;
  }
};

// A stacked weight: drawn ~ N(0, (scale^2 / D)) or loaded from the weights file.
inline MatrixSet weight_matrices(const WeightFile& wf, Rng& rng, const std::string& name,
                                 std::size_t blocks, std::size_t rows, std::size_t cols, double sd,
                                 const std::string& what) {
  std::vector<double> rm = wf.used() ? wf.load(name, blocks, rows, cols, what)
                                     : random_normal(rng, blocks * rows * cols, sd);
  return MatrixSet::from_row_major(blocks, rows, cols, rm);
}

inline std::string per_what(std::size_t blocks, std::size_t rows, std::size_t cols, const std::string& name) {
  return blocks == 1 ? "one shared " + std::to_string(rows) + " x " + std::to_string(cols) + " " + name
                     : name + " of " + std::to_string(blocks) + " units, stacked " + std::to_string(rows) +
                           " x " + std::to_string(cols) + " per unit";
}

// ---------------------------------------------------------------------------------------
// Cortex attention
// ---------------------------------------------------------------------------------------

// q = W_q z, K = Z W_k^T, V = Z W_v^T, a = softmax(K q / (sqrt(D) T)), o = W_o V^T a, for the
// rows Z of a window. Computed as s_r = Z_r . (W_k^T W_q z) and o = (W_o W_v)(sum_r a_r Z_r),
// with both products formed once: 2 D^2 + 2 n D multiply-adds per unit and lane instead of
// (2 + 2 n) D^2 + 2 n D; equal to the plain formula up to rounding.
class Attention {
 public:
  Attention(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng, const WeightFile& wf)
      : D_(D) {
    const std::size_t blocks = c.params.boolean("shared_weights") ? 1 : U;
    const double sd = 1.0 / std::sqrt(static_cast<double>(D));
    wq_ = weight_matrices(wf, rng, "W_q", blocks, D, D, sd * c.params.real("wq_scale"), per_what(blocks, D, D, "W_q"));
    wk_ = weight_matrices(wf, rng, "W_k", blocks, D, D, sd * c.params.real("wk_scale"), per_what(blocks, D, D, "W_k"));
    wv_ = weight_matrices(wf, rng, "W_v", blocks, D, D, sd * c.params.real("wv_scale"), per_what(blocks, D, D, "W_v"));
    wo_ = weight_matrices(wf, rng, "W_o", blocks, D, D, sd * c.params.real("wo_scale"), per_what(blocks, D, D, "W_o"));
    wov_ = MatrixSet::product(wo_, false, wv_);  // W_o W_v
    set_temperature(c.params.real("temperature"));
  }

  // W_k^T W_q / (sqrt(D) T): the softmax scale is folded into the query product.
  void set_temperature(double T) {
    wkq_ = MatrixSet::product(wk_, true, wq_, 1.0 / (std::sqrt(static_cast<double>(D_)) * T));
  }

  // Doubles of scratch attend() needs for L lanes.
  std::size_t scratch_size(std::size_t L) const { return 2 * D_ * L + 2 * L; }
  // Multiply-adds per unit and lane for n rows (to decide on threads).
  double work(std::size_t n) const { return 2.0 * D_ * D_ + 2.0 * n * D_ + 20.0 * n; }

  // Unit u: query from z (D x L), keys and values from the n rows (each D x L, oldest first).
  // Writes o (D x L) and the attention weights a (n x L).
  void attend(std::size_t u, const double* z, const double* const* rows, std::size_t n, double* o,
              double* a, double* scratch, std::size_t L) const {
    double* qk = scratch;            // W_k^T W_q z / (sqrt(D) T)   (D x L)
    double* zbar = scratch + D_ * L; // sum_r a_r Z_r (D x L)
    double* tmp = zbar + D_ * L;     // 2 L
    matmul_lanes(wkq_.block(u), D_, D_, z, qk, L, false);
    if (L == 1) {  // the same sums in the same order, along the contiguous rows
      for (std::size_t r = 0; r < n; ++r) {
        const double* row = rows[r];
        double acc = 0;
        for (std::size_t d = 0; d < D_; ++d) acc += qk[d] * row[d];
        a[r] = acc;
      }
      softmax_lanes(a, n, 1, tmp);
      combine_rows(rows, a, n, D_, zbar);
      matmul_lanes(wov_.block(u), D_, D_, zbar, o, 1, false);
      return;
    }
    // s_r = Z_r . qk, per lane
    dots_lanes(
        D_, n, [&](std::size_t d) { return qk + d * L; }, [&](std::size_t d, std::size_t r) { return rows[r] + d * L; },
        [&](std::size_t r) { return a + r * L; }, L);
    softmax_lanes(a, n, L, tmp);
    // zbar_d = sum_r a_r Z_r[d], per lane
    dots_lanes(
        n, D_, [&](std::size_t r) { return a + r * L; }, [&](std::size_t r, std::size_t d) { return rows[r] + d * L; },
        [&](std::size_t d) { return zbar + d * L; }, L);
    matmul_lanes(wov_.block(u), D_, D_, zbar, o, L, false);
  }

  void add_weights(std::map<std::string, arma::mat>& w) const {
    w["W_q"] = wq_.stacked();
    w["W_k"] = wk_.stacked();
    w["W_v"] = wv_.stacked();
    w["W_o"] = wo_.stacked();
  }

 private:
  std::size_t D_;
  MatrixSet wq_, wk_, wv_, wo_, wkq_, wov_;
};

// ---------------------------------------------------------------------------------------
// Working memory on the token clock
// ---------------------------------------------------------------------------------------

// The last c samples of the drive taken at token ticks, in a ring of c slots of U*D*L values
// (the sample of tick j lives in slot j mod c, so a tick copies one slab and moves nothing).
// During token k (after tick k) the past rows are the samples of ticks k-1, ..., k-c+1 that
// exist; the sample of tick k joins them at tick k+1. The newest row is the live z(t).
class TokenWindow {
 public:
  void reset(std::size_t c, std::size_t D, std::size_t vars, std::size_t L) {
    c_ = c;
    slab_ = D * L;
    size_ = vars * L;
    ring_.assign(c * size_, 0.0);
    past_.clear();
    past_.reserve(c);
    ticks_ = 0;
  }
  void push(const double* drive) {
    std::copy(drive, drive + size_, ring_.begin() + static_cast<std::ptrdiff_t>((ticks_ % c_) * size_));
    ++ticks_;
    // The past rows of the coming token, oldest first: ticks k-p .. k-1 (k = ticks_ - 1).
    past_.clear();
    const std::size_t k = ticks_ - 1, p = past();
    for (std::size_t j = p; j >= 1; --j) past_.push_back(ring_.data() + ((k - j) % c_) * size_);
  }
  // A new run: no tick seen (called from initial_state(), which is const in the interface;
  // the engine calls a population from one thread at a time).
  void restart() const {
    ticks_ = 0;
    past_.clear();
  }
  std::size_t ticks() const { return ticks_; }
  // Past rows available now: min(k, c-1) during token k; 0 before the first tick.
  std::size_t past() const { return ticks_ == 0 ? 0 : std::min(ticks_ - 1, c_ - 1); }
  // Unit u's rows, oldest first: past() past samples, then the live z. Returns their number.
  std::size_t rows(std::size_t u, const double* z, const double** out) const {
    for (const double* slot : past_) *out++ = slot + u * slab_;
    *out = z;
    return past_.size() + 1;
  }

 private:
  std::size_t c_ = 1, slab_ = 0, size_ = 0;
  mutable std::size_t ticks_ = 0;
  LaneVector<double> ring_;
  mutable std::vector<const double*> past_;  // the past rows' slots, oldest first
};

// ---------------------------------------------------------------------------------------
// Key-value memory
// ---------------------------------------------------------------------------------------

enum class Activation { Relu, Gelu, Softmax };

// m_s = f(k_s . y + b_s), read = sum_s m_s v_s, per unit (or one shared store).
class KeyValueMemory {
 public:
  KeyValueMemory(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng,
                 const WeightFile& wf, bool shared)
      : D_(D), S_(static_cast<std::size_t>(c.params.integer("slots"))) {
    const std::string& f = c.params.string("activation");
    act_ = f == "relu" ? Activation::Relu : f == "gelu" ? Activation::Gelu : Activation::Softmax;
    blocks_ = shared ? 1 : U;
    const double sd = 1.0 / std::sqrt(static_cast<double>(D));
    keys_ = weight_matrices(wf, rng, "memory_keys", blocks_, S_, D, sd * c.params.real("key_scale"),
                            per_what(blocks_, S_, D, "memory_keys (slots x dim)"));
    // Values are read as V^T m: keep V^T (D x S) column-major, i.e. V row-major.
    const std::vector<double> v =
        wf.used() ? wf.load("memory_values", blocks_, S_, D, per_what(blocks_, S_, D, "memory_values (slots x dim)"))
                  : random_normal(rng, blocks_ * S_ * D, sd * c.params.real("value_scale"));
    values_t_ = MatrixSet{blocks_, D, S_, v};
    if (wf.used()) {
      bias_ = wf.load("memory_bias", blocks_, 1, S_, blocks_ == 1 ? "one shared row of " + std::to_string(S_) + " biases"
                                                                   : "one row of " + std::to_string(S_) + " biases per unit");
    } else {
      const double s = c.params.real("bias_scale");
      bias_.resize(blocks_ * S_);
      for (auto& b : bias_) b = uniform(rng, -s, s);
    }
  }

  std::size_t slots() const { return S_; }
  std::size_t scratch_size(std::size_t L) const { return 2 * L; }
  double work() const { return 4.0 * S_ * D_ + 20.0 * S_; }

  // Unit u: m (S x L) = f(K y + b); out (D x L) = V^T m, or out += V^T m when `accumulate`.
  // y (D x L) must not overlap m; out may alias y (y is read before out is written).
  void read(std::size_t u, const double* y, double* out, bool accumulate, double* m, double* scratch,
            std::size_t L) const {
    matmul_lanes(keys_.block(u), S_, D_, y, m, L, false);
    const double* b = bias_.data() + (blocks_ == 1 ? 0 : u) * S_;
    if (L == 1)
      for (std::size_t s = 0; s < S_; ++s) m[s] += b[s];
    else
      for (std::size_t s = 0; s < S_; ++s)
        for (std::size_t l = 0; l < L; ++l) m[s * L + l] += b[s];
    const std::size_t n = S_ * L;
    switch (act_) {
      case Activation::Relu:
        for (std::size_t i = 0; i < n; ++i) m[i] = m[i] > 0 ? m[i] : 0.0;
        break;
      case Activation::Gelu:
        for (std::size_t i = 0; i < n; ++i) m[i] = gelu(m[i]);
        break;
      case Activation::Softmax:
        softmax_lanes(m, S_, L, scratch);
        break;
    }
    matmul_lanes(values_t_.block(u), D_, S_, m, out, L, accumulate);
  }

  void add_weights(std::map<std::string, arma::mat>& w) const {
    w["memory_keys"] = keys_.stacked();
    arma::mat v(blocks_ * S_, D_);  // V_b is the transpose of the stored V_b^T
    for (std::size_t b = 0; b < blocks_; ++b) v.rows(b * S_, (b + 1) * S_ - 1) = values_t_.matrix(b).t();
    w["memory_values"] = v;
    arma::mat bias(blocks_, S_);
    for (std::size_t b = 0; b < blocks_; ++b)
      for (std::size_t s = 0; s < S_; ++s) bias(b, s) = bias_[b * S_ + s];
    w["memory_bias"] = bias;
  }

 private:
  std::size_t D_, S_, blocks_ = 1;
  Activation act_ = Activation::Relu;
  MatrixSet keys_;      // S x D per block
  MatrixSet values_t_;  // D x S per block (V^T)
  std::vector<double> bias_;  // S per block
};

// ---------------------------------------------------------------------------------------
// The common frame: U units of D values, tau dh/dt = -h + tanh(r)
// ---------------------------------------------------------------------------------------

class UnitPopulation : public Population {
 public:
  // Weights are drawn by the derived model from rng_ (stream "population.NAME"); the initial
  // state from its own stream, so that loading weights does not change it.
  explicit UnitPopulation(const PopulationContext& c)
      : U_(static_cast<std::size_t>(c.params.integer("units"))),
        D_(static_cast<std::size_t>(c.params.integer("dim"))),
        inv_tau_(1.0 / c.params.real("tau")),
        rng_(make_rng(c.seed, "population." + c.name)),
        wf_(c),
        x0_(U_ * D_, 0.0) {
    const double s = c.params.real("initial_state");
    if (s > 0) {
      if (wf_.used()) {
        x0_ = wf_.load("x0", U_, 1, D_, "the initial state, one row of dim values per unit");
      } else {
        Rng r = make_rng(c.seed, "population." + c.name + ".initial_state");
        for (auto& v : x0_) v = uniform(r, -s, s);
      }
      random_x0_ = true;
    }
  }

  std::size_t state_size() const override { return U_ * D_; }
  std::size_t input_size() const override { return U_ * D_; }
  std::size_t units() const override { return U_; }
  std::size_t unit_dim() const override { return D_; }
  double saturation_level() const override { return 1.0; }

  // tau may change during a run (the engine applies it between steps).
  std::vector<std::string> live_parameters() const override { return {"tau"}; }
  void set_live_parameter(const std::string& name, const Value& v) override {
    if (name != "tau") return Population::set_live_parameter(name, v);
    inv_tau_ = 1.0 / as_real(v);
  }

  // h(0), and a new run for models with a history (Simulator::reset() comes here).
  void initial_state(Block x) const override {
    for (std::size_t v = 0; v < x.vars; ++v)
      for (std::size_t b = 0; b < x.lanes; ++b) x(v, b) = x0_[v];
    restart();
  }

 protected:
  // Forget the history of the previous run (working-memory windows).
  virtual void restart() const {}

  // The initial state as a weight [U, D], when it is not 0.
  void add_x0(std::map<std::string, arma::mat>& w) const {
    if (!random_x0_) return;
    arma::mat x0(U_, D_);
    for (std::size_t u = 0; u < U_; ++u)
      for (std::size_t d = 0; d < D_; ++d) x0(u, d) = x0_[u * D_ + d];
    w["x0"] = x0;
  }

  // Per-unit scratch of `per_unit` doubles and `ptrs` row pointers, allocated once here so
  // that derivative() allocates nothing. Concurrent unit ranges use the slots of their first
  // unit, which are distinct.
  void allocate_scratch(std::size_t per_unit, std::size_t ptrs) {
    per_unit_ = per_unit;
    ptrs_per_unit_ = ptrs;
    scratch_.assign(U_ * per_unit, 0.0);
    ptrs_.assign(U_ * ptrs, nullptr);
  }

  // Calls body(u, scratch, ptrs) for every unit u, which leaves r (D x L) in unit u's slab of
  // dxdt; then dxdt = (tanh(r) - h) / tau. Units are split over the pool when a thread's share
  // is worth the synchronisation (work = multiply-adds per unit and lane).
  template <class Body>
  void for_units(ConstBlock x, Block dxdt, ThreadPool& pool, double work, const Body& body) const {
    struct Job {
      const UnitPopulation* self;
      ConstBlock x;
      Block dxdt;
      const Body* body;
    } job{this, x, dxdt, &body};
    const std::size_t L = x.lanes;
    const double per_unit = std::max(1.0, work * static_cast<double>(L));
    const std::size_t min_units = static_cast<std::size_t>(std::ceil(kWorkPerThread / per_unit));
    // One pointer captured: the job is cheap to pass to the pool.
    pool.parallel_for(
        U_,
        [j = &job](std::size_t u0, std::size_t u1) {
          const UnitPopulation& p = *j->self;
          const std::size_t slab = p.D_ * j->x.lanes;
          double* s = p.scratch_.data() + u0 * p.per_unit_;
          const double** ptrs = p.ptrs_.data() + u0 * p.ptrs_per_unit_;
          for (std::size_t u = u0; u < u1; ++u) (*j->body)(u, s, ptrs);
          relax_tanh(j->x.data + u0 * slab, j->dxdt.data + u0 * slab, (u1 - u0) * slab, p.inv_tau_);
        },
        std::max<std::size_t>(min_units, 1));
  }

  // Lane-major samples [lanes, U, n] from a per-unit buffer vals[u][r][lane] (n x L per unit).
  static void append_lane_major(const std::vector<double>& vals, std::size_t U, std::size_t n,
                                std::size_t L, std::vector<double>& out) {
    for (std::size_t b = 0; b < L; ++b)
      for (std::size_t u = 0; u < U; ++u)
        for (std::size_t r = 0; r < n; ++r) out.push_back(vals[(u * n + r) * L + b]);
  }

  Recordable state_recordable() const {
    return {"state", "1", "unit state h (dimensionless activity, in (-1, 1))", {U_, D_}};
  }

  static constexpr double kWorkPerThread = 20000;  // multiply-adds: ~5 us, >> a fork-join
  std::size_t U_, D_;
  double inv_tau_;
  Rng rng_;
  WeightFile wf_;
  std::vector<double> x0_;
  bool random_x0_ = false;
  std::size_t per_unit_ = 0, ptrs_per_unit_ = 0;
  mutable LaneVector<double> scratch_;
  mutable std::vector<const double*> ptrs_;
};

}  // namespace ransim::attn
