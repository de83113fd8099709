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

#include <ransim/error.hpp>
#include <ransim/lanes.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

#include "common/kernels.hpp"
#include "common/matrix_set.hpp"

namespace ransim::attn {

// Multi-head attention of one unit over the n rows Z (n x D) of a window, with h heads of
// D / h values (head i: rows i*D/h .. (i+1)*D/h - 1 of W_q, W_k, W_v, i.e. W_q^i, W_k^i, W_v^i):
//
//   q_i = W_q^i z + b_q^i,  K_i = Z W_k^iT + b_k^i,  V_i = Z W_v^iT + b_v^i
//   a_i = softmax(K_i q_i / (sqrt(D/h) T))            (scores "scaled", the transformer's)
//       = softmax(beta standardise(K_i q_i))          (scores "standardised": over the rows,
//                                                      mean 0 and standard deviation beta)
//   o   = W_o [V_1^T a_1; ...; V_h^T a_h] + b_o
//
// (biases only with `bias = true`). One head without biases (the default) takes the fused
// path: s_r = Z_r . (W_k^T W_q z) and o = (W_o W_v)(sum_r a_r Z_r), with both products formed
// once: 2 D^2 + 2 n D multiply-adds per unit and lane instead of (2 + 2 n) D^2 + 2 n D; equal to
// the plain formula up to rounding. Otherwise each head goes q_i, W_k^iT q_i, its scores,
// sum_r a_r,i Z_r, W_v^i of that: 4 D^2 + 2 h n D (fusing per head would cost 2 h D^2).
//
// The steps work on unit u's D x L slabs; rows[r] points to row r of Z (D x L), oldest first.
// The weights a are h x n x L: head i's n x L block at a + i n L.
class Attention {
 public:
  Attention(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng, const WeightFile& wf)
      : D_(D), H_(heads_of(c, D)), Dh_(D / H_) {
    const std::size_t blocks = c.params.boolean("shared_weights") ? 1 : U;
    const double sd = 1.0 / std::sqrt(static_cast<double>(D));
    auto draw = [&](const char* name, const char* scale) {
      return weight_matrices(wf, rng, name, name, blocks, D, D, sd * c.params.real(scale));
    };
    wq_ = draw("W_q", "wq_scale");
    wk_ = draw("W_k", "wk_scale");
    wv_ = draw("W_v", "wv_scale");
    wo_ = draw("W_o", "wo_scale");
    bias_ = c.params.has("bias") && c.params.boolean("bias");
    if (bias_) {
      const double s = c.params.real("bias_scale");
      bq_ = bias_vectors(wf, rng, "b_q", blocks, D, s);
      bk_ = bias_vectors(wf, rng, "b_k", blocks, D, s);
      bv_ = bias_vectors(wf, rng, "b_v", blocks, D, s);
      bo_ = bias_vectors(wf, rng, "b_o", blocks, D, s);
    }
    fused_ = H_ == 1 && !bias_;
    if (fused_) {
      wov_ = MatrixSet::product(wo_, false, wv_);  // W_o W_v
    } else {
      for (std::size_t i = 0; i < H_; ++i) wv_heads_.push_back(wv_.row_range(i * Dh_, Dh_));
    }
    standardised_ = c.params.string("scores") == "standardised";
    sharpness_ = c.params.real("sharpness");
    set_temperature(c.params.real("temperature"));
  }

  std::size_t heads() const { return H_; }

  void set_sharpness(double beta) { sharpness_ = beta; }

  // The softmax scale 1 / (sqrt(D/h) T) folded into the keys' side: W_k^T W_q (fused) or W_k^T.
  void set_temperature(double T) {
    scale_ = 1.0 / (std::sqrt(static_cast<double>(Dh_)) * T);
    if (fused_) wkq_ = MatrixSet::product(wk_, true, wq_, scale_);
    else wkt_ = wk_.transposed(scale_);
  }

  // Doubles of scratch attend() needs for L lanes.
  std::size_t scratch_size(std::size_t L) const { return fused_ ? 2 * D_ * L + 2 * L : 4 * D_ * L + 3 * L; }
  // Multiply-adds per unit and lane for n rows (to decide on threads).
  double work(std::size_t n) const {
    const double D = static_cast<double>(D_), rows = static_cast<double>(n * H_);
    return (fused_ ? 2.0 : 4.0) * D * D + 2.0 * rows * D + 20.0 * rows;
  }

  // Fused path: qk (D x L) = W_k^T q / (sqrt(D) T) with q = W_q z: the keys' side of the scores.
  void query(std::size_t u, const double* z, double* qk, std::size_t L) const {
    matmul_lanes(wkq_.block(u), D_, D_, z, qk, L, false);
  }

  // s_r = Z_r . qk for the n rows: s is n x L.
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

  // Scores s (n x L) to weights: standardised over the rows when asked, then the softmax.
  // tmp holds 2 L doubles.
  void normalise(double* s, std::size_t n, double* tmp, std::size_t L) const {
    if (standardised_) standardise_lanes(s, n, L, sharpness_, tmp);
    softmax_lanes(s, n, L, tmp);
  }

  // Fused path: a (n x L) = the attention weights over the n rows, from qk (query()).
  void weights(const double* qk, const double* const* rows, std::size_t n, double* a, double* tmp,
               std::size_t L) const {
    scores(qk, rows, n, a, L);
    normalise(a, n, tmp, L);
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

  // Fused path: o (D x L) = W_o V^T a = (W_o W_v) zbar.
  void output(std::size_t u, const double* zbar, double* o, std::size_t L) const {
    matmul_lanes(wov_.block(u), D_, D_, zbar, o, L, false);
  }

  // Unit u, query from z (D x L): writes o (D x L) and the attention weights a (h x n x L).
  void attend(std::size_t u, const double* z, const double* const* rows, std::size_t n, double* o, double* a,
              double* scratch, std::size_t L) const {
    if (!fused_) return attend_heads(u, z, rows, n, o, a, scratch, L);
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
    if (!bias_) return;
    w["b_q"] = bq_.stacked();
    w["b_k"] = bk_.stacked();
    w["b_v"] = bv_.stacked();
    w["b_o"] = bo_.stacked();
  }

 private:
  // The parameter "heads" (1 for models without it); it must divide D.
  static std::size_t heads_of(const PopulationContext& c, std::size_t D) {
    if (!c.params.has("heads")) return 1;
    const auto h = static_cast<std::size_t>(c.params.integer("heads"));
    if (D % h != 0)
      throw InputError("population '" + c.name + "': heads (" + std::to_string(h) + ") must divide dim (" +
                       std::to_string(D) + "): each head takes dim / heads values");
    return h;
  }

  // Heads or biases: each head on its own (see the class comment). Scratch: q, W_k^iT q_i,
  // sum_r a_r,i Z_r and the heads' reads (D x L each), then 3 L. Not inlined: the callers
  // flatten the default (fused) path, which stays as small as it was without the options.
  [[gnu::noinline]] void attend_heads(std::size_t u, const double* z, const double* const* rows,
                                      std::size_t n, double* o, double* a, double* scratch,
                                      std::size_t L) const {
    double* q = scratch;
    double* qk = q + D_ * L;
    double* zbar = qk + D_ * L;
    double* read = zbar + D_ * L;
    double* tmp = read + D_ * L;  // 2 L, then L for b_k^i . q_i
    double* key_bias = tmp + 2 * L;
    matmul_lanes(wq_.block(u), D_, D_, z, q, L, false);
    if (bias_) add_bias_lanes(q, bq_.block(u), D_, L);
    for (std::size_t i = 0; i < H_; ++i) {
      const double* qi = q + i * Dh_ * L;
      double* ai = a + i * n * L;
      matmul_lanes(wkt_.block(u) + i * Dh_ * D_, D_, Dh_, qi, qk, L, false);  // W_k^iT q_i, scaled
      scores(qk, rows, n, ai, L);
      if (bias_) {  // + b_k^i . q_i, the same for every row (it cancels in the softmax)
        const double* bk = bk_.block(u) + i * Dh_;
        std::fill(key_bias, key_bias + L, 0.0);
        for (std::size_t j = 0; j < Dh_; ++j)
          for (std::size_t b = 0; b < L; ++b) key_bias[b] += bk[j] * qi[j * L + b];
        for (std::size_t r = 0; r < n; ++r)
          for (std::size_t b = 0; b < L; ++b) ai[r * L + b] += scale_ * key_bias[b];
      }
      normalise(ai, n, tmp, L);
      weighted_rows(ai, rows, n, zbar, L);
      matmul_lanes(wv_heads_[i].block(u), Dh_, D_, zbar, read + i * Dh_ * L, L, false);  // V_i^T a_i
    }
    if (bias_) add_bias_lanes(read, bv_.block(u), D_, L);  // the weights sum to 1: + b_v^i
    matmul_lanes(wo_.block(u), D_, D_, read, o, L, false);
    if (bias_) add_bias_lanes(o, bo_.block(u), D_, L);
  }

  std::size_t D_, H_, Dh_;
  bool bias_ = false, fused_ = true, standardised_ = false;
  double sharpness_ = 1, scale_ = 1;
  MatrixSet wq_, wk_, wv_, wo_;
  MatrixSet wkq_, wov_;              // fused: W_k^T W_q (scaled), W_o W_v
  MatrixSet wkt_;                    // per head: W_k^T (scaled)
  std::vector<MatrixSet> wv_heads_;  // per head: W_v^i (D/h x D)
  BiasSet bq_, bk_, bv_, bo_;
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
