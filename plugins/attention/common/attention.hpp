#pragma once
// Cortex attention over a window of rows (cortex_qkv, attention_block): the weights and the
// read (Attention), and the working memory on the token clock (TokenWindow).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/lanes.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

#include "common/kernels.hpp"
#include "common/matrix_set.hpp"

namespace ransim::attn {

// q = W_q z, K = Z W_k^T, V = Z W_v^T, o = W_o V^T a, for the rows Z of a window, with the
// attention weights a = softmax(K q / (sqrt(D) T)) (scores "scaled", the transformer's) or
// a = softmax(beta standardise(K q)) (scores "standardised": over the rows, mean 0 and standard
// deviation beta, the sharpness). Computed as s_r = Z_r . (W_k^T W_q z) and o = (W_o W_v)(sum_r a_r Z_r),
// with both products formed once: 2 D^2 + 2 n D multiply-adds per unit and lane instead of
// (2 + 2 n) D^2 + 2 n D; equal to the plain formula up to rounding.
//
// The steps work on unit u's D x L slabs; rows[r] points to row r of Z (D x L), oldest first.
class Attention {
 public:
  Attention(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng, const WeightFile& wf)
      : D_(D) {
    const std::size_t blocks = c.params.boolean("shared_weights") ? 1 : U;
    const double sd = 1.0 / std::sqrt(static_cast<double>(D));
    auto draw = [&](const char* name, const char* scale) {
      return weight_matrices(wf, rng, name, name, blocks, D, D, sd * c.params.real(scale));
    };
    wq_ = draw("W_q", "wq_scale");
    wk_ = draw("W_k", "wk_scale");
    wv_ = draw("W_v", "wv_scale");
    wo_ = draw("W_o", "wo_scale");
    wov_ = MatrixSet::product(wo_, false, wv_);  // W_o W_v
    standardised_ = c.params.string("scores") == "standardised";
    sharpness_ = c.params.real("sharpness");
    set_temperature(c.params.real("temperature"));
  }

  void set_sharpness(double beta) { sharpness_ = beta; }

  // W_k^T W_q / (sqrt(D) T): the softmax scale is folded into the query product.
  void set_temperature(double T) {
    wkq_ = MatrixSet::product(wk_, true, wq_, 1.0 / (std::sqrt(static_cast<double>(D_)) * T));
  }

  // Doubles of scratch attend() needs for L lanes.
  std::size_t scratch_size(std::size_t L) const { return 2 * D_ * L + 2 * L; }
  // Multiply-adds per unit and lane for n rows (to decide on threads).
  double work(std::size_t n) const { return 2.0 * D_ * D_ + 2.0 * n * D_ + 20.0 * n; }

  // qk (D x L) = W_k^T q / (sqrt(D) T) with q = W_q z: the keys' side of the scores.
  void query(std::size_t u, const double* z, double* qk, std::size_t L) const {
    matmul_lanes(wkq_.block(u), D_, D_, z, qk, L, false);
  }

  // s_r = K_r . q / (sqrt(D) T) = Z_r . qk for the n rows: s is n x L.
  void scores(const double* qk, const double* const* rows, std::size_t n, double* s, std::size_t L) const {
    if (L == 1) {  // the same sums in the same order, along the contiguous rows
      for (std::size_t r = 0; r < n; ++r) {
        double acc = 0;
        for (std::size_t d = 0; d < D_; ++d) acc += qk[d] * rows[r][d];
        s[r] = acc;
      }
      return;
    }
    dots_lanes(
        D_, n, [&](std::size_t d) { return qk + d * L; },
        [&](std::size_t d, std::size_t r) { return rows[r] + d * L; },
        [&](std::size_t r) { return s + r * L; }, L);
  }

  // a (n x L) = the attention weights over the n rows, from qk (the query side, query()).
  // tmp holds 2 L doubles.
  void weights(const double* qk, const double* const* rows, std::size_t n, double* a, double* tmp,
               std::size_t L) const {
    scores(qk, rows, n, a, L);
    if (standardised_) standardise_lanes(a, n, L, sharpness_, tmp);
    softmax_lanes(a, n, L, tmp);
  }

  // zbar (D x L) = Z^T a = sum_r a_r Z_r: the rows weighted by attention, before W_v.
  void weighted_rows(const double* a, const double* const* rows, std::size_t n, double* zbar,
                     std::size_t L) const {
    if (L == 1) return combine_rows(rows, a, n, D_, zbar);
    dots_lanes(
        n, D_, [&](std::size_t r) { return a + r * L; },
        [&](std::size_t r, std::size_t d) { return rows[r] + d * L; },
        [&](std::size_t d) { return zbar + d * L; }, L);
  }

  // o (D x L) = W_o V^T a = (W_o W_v) zbar.
  void output(std::size_t u, const double* zbar, double* o, std::size_t L) const {
    matmul_lanes(wov_.block(u), D_, D_, zbar, o, L, false);
  }

  // All four steps for unit u, query from z (D x L): writes o (D x L) and the attention
  // weights a (n x L).
  void attend(std::size_t u, const double* z, const double* const* rows, std::size_t n, double* o, double* a,
              double* scratch, std::size_t L) const {
    double* qk = scratch;             // D x L
    double* zbar = scratch + D_ * L;  // D x L
    double* tmp = zbar + D_ * L;      // 2 L
    query(u, z, qk, L);
    weights(qk, rows, n, a, tmp, L);
    weighted_rows(a, rows, n, zbar, L);
    output(u, zbar, o, L);
  }

  void add_weights(std::map<std::string, arma::mat>& w) const {
    w["W_q"] = wq_.stacked();
    w["W_k"] = wk_.stacked();
    w["W_v"] = wv_.stacked();
    w["W_o"] = wo_.stacked();
  }

 private:
  std::size_t D_;
  bool standardised_ = false;
  double sharpness_ = 1;
  MatrixSet wq_, wk_, wv_, wo_, wkq_, wov_;
};

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

}  // namespace ransim::attn
