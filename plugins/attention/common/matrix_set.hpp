#pragma once
// Per-unit weight matrices of the attention models: MatrixSet holds one matrix per unit (or
// one shared by all), column-major for the kernels, and weight_matrices draws or loads one;
// BiasSet holds one bias vector per unit (or one shared).
#include <cstddef>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

namespace ransim::attn {

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
  // The per-block transpose times scale: W_b^T, column-major (the rows of W_b become columns,
  // so that a run of rows of W_b is a contiguous block of columns).
  MatrixSet transposed(double scale = 1.0) const {
    MatrixSet t{blocks, cols, rows, std::vector<double>(cm.size())};
    for (std::size_t b = 0; b < blocks; ++b)
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
          t.cm[b * rows * cols + i * cols + j] = scale * cm[b * rows * cols + j * rows + i];
    return t;
  }
  // Rows first .. first+n-1 of every block, as a MatrixSet of n x cols blocks.
  MatrixSet row_range(std::size_t first, std::size_t n) const {
    MatrixSet s{blocks, n, cols, std::vector<double>(blocks * n * cols)};
    for (std::size_t b = 0; b < blocks; ++b)
      for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t i = 0; i < n; ++i)
          s.cm[b * n * cols + j * n + i] = cm[b * rows * cols + j * rows + first + i];
    return s;
  }
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

// How a stacked weight's shape is described in errors: "one shared 3 x 3 W_q", or "W_q of 5
// units, stacked 3 x 3 per unit". `label` names the matrix (and may say its axes).
inline std::string per_what(std::size_t blocks, std::size_t rows, std::size_t cols,
                            const std::string& label) {
  return blocks == 1 ? "one shared " + std::to_string(rows) + " x " + std::to_string(cols) + " " + label
                     : label + " of " + std::to_string(blocks) + " units, stacked " + std::to_string(rows) +
                           " x " + std::to_string(cols) + " per unit";
}

// A stacked weight: `blocks` matrices of rows x cols with entries ~ N(0, sd^2) drawn from rng
// in row-major order, or dataset `name` of the weights file.
inline MatrixSet weight_matrices(const WeightFile& wf, Rng& rng, const std::string& name,
                                 const std::string& label, std::size_t blocks, std::size_t rows,
                                 std::size_t cols, double sd) {
  const std::vector<double> rm =
      wf.used() ? wf.load_stacked(name, blocks, rows, cols, per_what(blocks, rows, cols, label))
                : random_normal(rng, blocks * rows * cols, sd);
  return MatrixSet::from_row_major(blocks, rows, cols, rm);
}

// `blocks` bias vectors of n values (one per unit, or a single one shared by all units).
struct BiasSet {
  std::size_t blocks = 0, n = 0;
  std::vector<double> values;  // block b's vector at values[b * n]

  const double* block(std::size_t u) const { return values.data() + (blocks == 1 ? 0 : u) * n; }
  // [blocks, n]: row b holds block b's vector (the recorded layout).
  arma::mat stacked() const {
    arma::mat m(blocks, n);
    for (std::size_t b = 0; b < blocks; ++b)
      for (std::size_t i = 0; i < n; ++i) m(b, i) = values[b * n + i];
    return m;
  }
};

// A bias: `blocks` vectors of n values ~ U(-scale, scale) drawn from rng in order, or dataset
// `name` of the weights file, [blocks, n].
inline BiasSet bias_vectors(const WeightFile& wf, Rng& rng, const std::string& name, std::size_t blocks,
                            std::size_t n, double scale) {
  BiasSet b{blocks, n, {}};
  if (wf.used()) {
    const std::string values = std::to_string(n) + " values";
    b.values =
        wf.load_stacked(name, blocks, 1, n,
                        blocks == 1 ? "one shared row of " + values : "one row of " + values + " per unit");
  } else {
    b.values.resize(blocks * n);
    for (auto& v : b.values) v = uniform(rng, -scale, scale);
  }
  return b;
}

// out (n x L) += bias (n values), the same in every lane.
inline void add_bias_lanes(double* out, const double* bias, std::size_t n, std::size_t L) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < L; ++b) out[i * L + b] += bias[i];
}

}  // namespace ransim::attn
