#pragma once
// Cortex attention over a window of rows (cortex_qkv, attention_block): the weights and the
// read (Attention), and the working memory on the token clock (TokenWindow).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/differentiable.hpp>
#include <ransim/error.hpp>
#include <ransim/lanes.hpp>
#include <ransim/params.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

#include "common/attention_backward.hpp"
#include "common/kernels.hpp"
#include "common/matrix_set.hpp"

namespace ransim::attn {

// Multi-head attention of one unit over the n rows Z (n x D) of a window, with h heads of
// D / h values (head i: rows i*D/h .. (i+1)*D/h - 1 of W_q, W_k, W_v, i.e. W_q^i, W_k^i, W_v^i):
//
//   q_i = W_q^i z + b_q^i,  K_i = Z W_k^iT + b_k^i,  V_i = Z W_v^iT + b_v^i
//   a_i = softmax(K_i q_i / (sqrt(D/h) T) + p_i)      (scores "scaled", the transformer's)
//       = softmax(beta standardise(K_i q_i) + p_i)    (scores "standardised": over the rows,
//                                                      mean 0 and standard deviation beta)
//   o   = W_o [V_1^T a_1; ...; V_h^T a_h] + b_o
//
// (biases only with `bias = true`; p_i, the unit's fixed relative-position biases of head i,
// p_i(r) for the row r tokens older than the newest, only with `position_bias` > 0). One head without biases
// (the default) takes the fused path: s_r = Z_r . (W_k^T W_q z) and o = (W_o W_v)(sum_r a_r Z_r), with both
// products formed once: 2 D^2 + 2 n D multiply-adds per unit and lane instead of (2 + 2 n) D^2 + 2 n D; equal
// to the plain formula up to rounding. Otherwise each head goes q_i, W_k^iT q_i, its scores, sum_r a_r,i Z_r,
// W_v^i of that: 4 D^2 + 2 h n D (fusing per head would cost 2 h D^2).
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
    standardised_ = c.params.string("scores") == "standardised";
    if (fused_) wov_ = MatrixSet::product(wo_, false, wv_);  // W_o W_v
    if (general()) split_values();
    position_ = position_biases(c, wf, blocks);
    sharpness_ = c.params.real("sharpness");
    set_temperature(c.params.real("temperature"));
  }

  std::size_t heads() const { return H_; }

  void set_sharpness(double beta) { sharpness_ = beta; }

  // The sharpness and the softmax temperature may change during a run: the models list them
  // among their live parameters and pass them here. False for any other name.
  bool set_live_parameter(const std::string& name, const Value& v) {
    if (name == "temperature") set_temperature(as_real(v));
    else if (name == "sharpness") set_sharpness(as_real(v));
    else return false;
    return true;
  }

  // The softmax scale 1 / (sqrt(D/h) T) folded into the keys' side: W_k^T W_q (fused) or W_k^T.
  void set_temperature(double T) {
    scale_ = 1.0 / (std::sqrt(static_cast<double>(Dh_)) * T);
    if (fused_) wkq_ = MatrixSet::product(wk_, true, wq_, scale_);
    if (general()) wkt_ = wk_.transposed(scale_);
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

  // Unit u's scores s (n x L) of head `head` to weights: standardised over the rows when asked,
  // plus the position biases, then the softmax. tmp holds 2 L doubles.
  void normalise(std::size_t u, std::size_t head, double* s, std::size_t n, double* tmp,
                 std::size_t L) const {
    if (standardised_) standardise_lanes(s, n, L, sharpness_, tmp);
    if (!position_.empty()) {  // p(age) for the row age tokens older than the newest (row n - 1)
      const double* p = position_.data() + ((wq_.blocks == 1 ? 0 : u) * H_ + head) * position_rows_;
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t b = 0; b < L; ++b) s[r * L + b] += p[n - 1 - r];
    }
    softmax_lanes(s, n, L, tmp);
  }

  // Fused path: a (n x L) = the attention weights over the n rows, from qk (query()).
  void weights(std::size_t u, const double* qk, const double* const* rows, std::size_t n, double* a,
               double* tmp, std::size_t L) const {
    scores(qk, rows, n, a, L);
    normalise(u, 0, a, n, tmp, L);
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
    weights(u, qk, rows, n, a, tmp, L);
    weighted_rows(a, rows, n, zbar, L);
    output(u, zbar, o, L);
  }

  // Training: W_q, W_k, W_v, W_o as recorded ([blocks*D, D]), then with biases b_q, b_k, b_v,
  // b_o ([blocks, D]), copied out on the first call; weights_changed() copies them back and
  // rebuilds the products. The model's own weights follow them, from trainable_count().
  std::vector<TrainableWeight> trainable_weights() {
    if (trained_.empty()) {
      for (const MatrixSet* m : {&wq_, &wk_, &wv_, &wo_}) trained_.push_back(m->stacked());
      if (bias_)
        for (const BiasSet* b : {&bq_, &bk_, &bv_, &bo_}) trained_.push_back(b->stacked());
      if (fused_ && standardised_) {  // trained through the general path: its products too
        wkt_ = wk_.transposed(scale_);
        split_values();
      }
    }
    static const char* const names[8] = {"W_q", "W_k", "W_v", "W_o", "b_q", "b_k", "b_v", "b_o"};
    std::vector<TrainableWeight> w;
    for (std::size_t i = 0; i < trained_.size(); ++i) w.push_back({names[i], &trained_[i]});
    return w;
  }
  std::size_t trainable_count() const { return bias_ ? 8 : 4; }
  void weights_changed() {
    MatrixSet* sets[4] = {&wq_, &wk_, &wv_, &wo_};
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t b = 0; b < sets[i]->blocks; ++b)
        for (std::size_t c = 0; c < D_; ++c)
          for (std::size_t r = 0; r < D_; ++r)
            sets[i]->cm[(b * D_ + c) * D_ + r] = trained_[i](b * D_ + r, c);
    BiasSet* biases[4] = {&bq_, &bk_, &bv_, &bo_};
    for (std::size_t i = 4; i < trained_.size(); ++i)
      for (std::size_t b = 0; b < biases[i - 4]->blocks; ++b)
        for (std::size_t j = 0; j < D_; ++j) biases[i - 4]->values[b * D_ + j] = trained_[i](b, j);
    if (fused_) {
      wov_ = MatrixSet::product(wo_, false, wv_);
      wkq_ = MatrixSet::product(wk_, true, wq_, scale_);
    }
    if (general()) {
      wkt_ = wk_.transposed(scale_);
      split_values();
    }
  }
  // Training asks for a backward pass: every attention option has one; a model whose own
  // option `other` has none names it here (InputError).
  void require_backward(const std::string& kind, const std::string& population,
                        const std::string& other = "") const {
    if (!other.empty())
      throw InputError(kind + ": " + other + " has no backward pass yet (population '" + population +
                       "'; docs/training.md lists what trains)");
  }

  // Backward of attend() for unit u: given g_o (D x L),
  // adds into g_z (the query's input z, D x L), g_rows[r] (D x L, the cotangent of row r; the
  // live row's may be g_z itself) and, from g_weights[first], the gradients of W_q, W_k, W_v,
  // W_o. With qk = W_kq z (W_kq = W_k^T W_q / sqrt(D) T), s_r = Z_r . qk, a = softmax(s),
  // zbar = sum_r a_r Z_r and o = W_ov zbar (W_ov = W_o W_v), per lane:
  //   g_zbar = W_ov^T g_o, g_a_r = Z_r . g_zbar, g_s = a % (g_a - a . g_a),
  //   g_Z_r += a_r g_zbar + g_s_r qk, g_qk = sum_r g_s_r Z_r, g_z += W_kq^T g_qk,
  // and the products' gradients G_ov = sum g_o zbar^T, G_kq = sum g_qk z^T go to the factors.
  // That is the fused path (one head, no biases, scaled scores); the others: heads_vjp.
  void attend_vjp(std::size_t u, const double* z, const double* const* rows, std::size_t n, const double* g_o,
                  double* g_z, double* const* g_rows, WeightGradients& g_weights, std::size_t first,
                  std::size_t L) const {
    if (!fused_ || standardised_)
      return attend_heads_vjp(u, z, rows, n, g_o, g_z, g_rows, g_weights, first, L);
    std::vector<double> qk(D_ * L), a(n * L), zbar(D_ * L), tmp(2 * L), g_zbar(D_), g_a(n), g_qk(D_);
    query(u, z, qk.data(), L);
    weights(u, qk.data(), rows, n, a.data(), tmp.data(), L);
    weighted_rows(a.data(), rows, n, zbar.data(), L);
    const double* wov = wov_.block(u);  // W_ov(i, j) at wov[j * D + i]
    const double* wkq = wkq_.block(u);
    arma::mat g_ov(D_, D_, arma::fill::zeros), g_kq(D_, D_, arma::fill::zeros);
    for (std::size_t l = 0; l < L; ++l) {
      for (std::size_t j = 0; j < D_; ++j) {
        double acc = 0;
        for (std::size_t i = 0; i < D_; ++i) {
          acc += wov[j * D_ + i] * g_o[i * L + l];
          g_ov(i, j) += g_o[i * L + l] * zbar[j * L + l];
        }
        g_zbar[j] = acc;
      }
      double dot = 0;
      for (std::size_t r = 0; r < n; ++r) {
        double acc = 0;
        for (std::size_t d = 0; d < D_; ++d) acc += rows[r][d * L + l] * g_zbar[d];
        g_a[r] = acc;
        dot += a[r * L + l] * acc;
      }
      std::fill(g_qk.begin(), g_qk.end(), 0.0);
      for (std::size_t r = 0; r < n; ++r) {
        const double ar = a[r * L + l], g_s = ar * (g_a[r] - dot);
        for (std::size_t d = 0; d < D_; ++d) {
          g_rows[r][d * L + l] += ar * g_zbar[d] + g_s * qk[d * L + l];
          g_qk[d] += g_s * rows[r][d * L + l];
        }
      }
      for (std::size_t j = 0; j < D_; ++j) {
        double acc = 0;
        for (std::size_t i = 0; i < D_; ++i) {
          acc += wkq[j * D_ + i] * g_qk[i];
          g_kq(i, j) += g_qk[i] * z[j * L + l];
        }
        g_z[j * L + l] += acc;
      }
    }
    // W_ov = W_o W_v: G_ov W_v^T, W_o^T G_ov. W_kq = scale W_k^T W_q: scale W_q G_kq^T, scale W_k G_kq.
    const std::size_t b = wq_.blocks == 1 ? 0 : u;
    const arma::span block(b * D_, b * D_ + D_ - 1);
    const arma::mat wq = wq_.matrix(b), wk = wk_.matrix(b), wv = wv_.matrix(b), wo = wo_.matrix(b);
    g_weights[first].rows(block) += scale_ * wk * g_kq;
    g_weights[first + 1].rows(block) += scale_ * wq * g_kq.t();
    g_weights[first + 2].rows(block) += wo.t() * g_ov;
    g_weights[first + 3].rows(block) += g_ov * wv.t();
  }

  void add_weights(std::map<std::string, arma::mat>& w) const {
    w["W_q"] = wq_.stacked();
    w["W_k"] = wk_.stacked();
    w["W_v"] = wv_.stacked();
    w["W_o"] = wo_.stacked();
    if (!position_.empty())
      w["position_bias"] = arma::mat(position_.data(), position_rows_, wq_.blocks * H_).t();
    if (!bias_) return;
    w["b_q"] = bq_.stacked();
    w["b_k"] = bk_.stacked();
    w["b_v"] = bv_.stacked();
    w["b_o"] = bo_.stacked();
  }

 private:
  // With `position_bias` = sigma > 0: per block (unit, or one shared), head and row age, a fixed
  // logit N(0, sigma^2) drawn from the population's own stream (so that the other weights are
  // the same as without them), or the weight "position_bias" ([blocks * heads, rows], column j for
  // the row j tokens older than the newest) of weights_file. Row-major blocks x heads x rows.
  std::vector<double> position_biases(const PopulationContext& c, const WeightFile& wf, std::size_t blocks) {
    const double sigma = c.params.has("position_bias") ? c.params.real("position_bias") : 0.0;
    if (sigma == 0) return {};
    const bool units = c.params.has("context_mode") && c.params.string("context_mode") == "units";
    position_rows_ =
        static_cast<std::size_t>(units ? c.params.integer("k") + 1 : c.params.integer("context"));
    if (wf.used())
      return wf.load_stacked(
          "position_bias", blocks, H_, position_rows_,
          "per unit and head, the biases of the " + std::to_string(position_rows_) + " rows by age");
    Rng rng = make_rng(c.seed, "population." + c.name + ".position_bias");
    return random_normal(rng, blocks * H_ * position_rows_, sigma);
  }

  // The parameter "heads" (1 for models without it); it must divide D.
  static std::size_t heads_of(const PopulationContext& c, std::size_t D) {
    if (!c.params.has("heads")) return 1;
    const auto h = static_cast<std::size_t>(c.params.integer("heads"));
    if (D % h != 0)
      throw InputError("population '" + c.name + "': heads (" + std::to_string(h) + ") must divide dim (" +
                       std::to_string(D) + "): each head takes dim / heads values");
    return h;
  }

  // The general path's products are built: heads or biases (its forward), or, once training
  // asked for the weights, standardised scores (the fused forward, differentiated through the
  // general one: equal up to rounding).
  bool general() const { return !fused_ || (standardised_ && !trained_.empty()); }
  void split_values() {
    wv_heads_.clear();
    for (std::size_t i = 0; i < H_; ++i) wv_heads_.push_back(wv_.row_range(i * Dh_, Dh_));
  }

  // attend_vjp of the general path: attend_heads again with its tape, then heads_vjp
  // (attention_backward.hpp); the unit's gradients go to its block (the shared one: summed).
  void attend_heads_vjp(std::size_t u, const double* z, const double* const* rows, std::size_t n,
                        const double* g_o, double* g_z, double* const* g_rows, WeightGradients& g_weights,
                        std::size_t first, std::size_t L) const {
    if (!general()) throw std::logic_error("Attention: the backward pass before trainable_weights()");
    HeadsTape tape(D_, H_, n, L);
    std::vector<double> o(D_ * L), a(H_ * n * L), scratch(4 * D_ * L + 3 * L);
    attend_heads(u, z, rows, n, o.data(), a.data(), scratch.data(), L, &tape);
    const HeadsWeights w{
        wq_.block(u), wk_.block(u), wv_.block(u), wo_.block(u), bias_ ? bk_.block(u) : nullptr,
        D_,           H_,           scale_,       sharpness_,   standardised_};
    HeadsGradients g(D_);
    heads_vjp(w, tape, a.data(), z, rows, n, g_o, g_z, g_rows, g, L);
    const std::size_t b = wq_.blocks == 1 ? 0 : u;
    const arma::span block(b * D_, b * D_ + D_ - 1);
    g_weights[first].rows(block) += g.wq;
    g_weights[first + 1].rows(block) += g.wk;
    g_weights[first + 2].rows(block) += g.wv;
    g_weights[first + 3].rows(block) += g.wo;
    if (!bias_) return;
    g_weights[first + 4].row(b) += g.bq.t();
    g_weights[first + 5].row(b) += g.bk.t();
    g_weights[first + 6].row(b) += g.bv.t();
    g_weights[first + 7].row(b) += g.bo.t();
  }

  // Heads or biases: each head on its own (see the class comment). Scratch: q, W_k^iT q_i,
  // sum_r a_r,i Z_r and the heads' reads (D x L each), then 3 L. Not inlined: the callers
  // flatten the default (fused) path, which stays as small as it was without the options.
  // With a tape (training), q, W_k^iT q_i, the scores, sum_r a_r,i Z_r and the read go there.
  [[gnu::noinline]] void attend_heads(std::size_t u, const double* z, const double* const* rows,
                                      std::size_t n, double* o, double* a, double* scratch, std::size_t L,
                                      HeadsTape* tape = nullptr) const {
    double* q = tape ? tape->q.data() : scratch;
    double* qk = scratch + D_ * L;
    double* zbar = qk + D_ * L;
    double* read = tape ? tape->read.data() : zbar + D_ * L;
    double* tmp = scratch + 4 * D_ * L;  // 2 L, then L for b_k^i . q_i
    double* key_bias = tmp + 2 * L;
    matmul_lanes(wq_.block(u), D_, D_, z, q, L, false);
    if (bias_) add_bias_lanes(q, bq_.block(u), D_, L);
    for (std::size_t i = 0; i < H_; ++i) {
      const double* qi = q + i * Dh_ * L;
      double* ai = a + i * n * L;
      if (tape) {
        qk = tape->qk.data() + i * D_ * L;
        zbar = tape->zbar.data() + i * D_ * L;
      }
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
      if (tape) std::copy_n(ai, n * L, tape->scores.data() + i * n * L);
      normalise(u, i, ai, n, tmp, L);
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
  std::vector<double> position_;  // blocks x heads x rows (position_biases()); empty: none
  std::size_t position_rows_ = 0;
  MatrixSet wq_, wk_, wv_, wo_;
  MatrixSet wkq_, wov_;              // fused: W_k^T W_q (scaled), W_o W_v
  MatrixSet wkt_;                    // per head: W_k^T (scaled)
  std::vector<MatrixSet> wv_heads_;  // per head: W_v^i (D/h x D)
  BiasSet bq_, bk_, bv_, bo_;
  std::vector<arma::mat> trained_;  // the trainable copies (trainable_weights())
};

// The last c samples of the drive taken at token ticks, in a ring of c slots of U*D*L values
// (the sample of tick j lives in slot j mod c, so a tick copies one slab and moves nothing).
// During token k (after tick k) the past rows are the samples of ticks k-1, ..., k-c+1 that
// exist; the sample of tick k joins them at tick k+1. The newest row is the live z(t).
class TokenWindow {
 public:
  void reset(std::size_t c, std::size_t D, std::size_t vars, std::size_t L) {
    c_ = c;
    L_ = L;
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
    find_past();
  }

  // The window as the tick state of training (ransim/differentiable.hpp), state_vars() x L:
  // the samples of the last c ticks, oldest first (zero for ticks not yet seen), each vars x L,
  // then the number of ticks seen (in every lane). A tick drops the oldest row and appends the
  // drive; a token reads the rows saved_row(0 .. past()-1).
  std::size_t state_vars() const { return c_ * (size_ / L_) + 1; }
  void save(double* out) const {
    for (std::size_t j = 0; j < c_; ++j) {
      double* row = out + j * size_;
      if (ticks_ + j < c_) std::fill(row, row + size_, 0.0);
      else std::copy_n(ring_.data() + ((ticks_ + j - c_) % c_) * size_, size_, row);
    }
    std::fill(out + c_ * size_, out + c_ * size_ + L_, static_cast<double>(ticks_));
  }
  void load(const double* in) {
    ticks_ = static_cast<std::size_t>(in[c_ * size_]);
    for (std::size_t j = 0; j < c_; ++j)
      if (ticks_ + j >= c_)
        std::copy_n(in + j * size_, size_, ring_.data() + ((ticks_ + j - c_) % c_) * size_);
    find_past();
  }
  // Unit u's slab in the cotangent of the saved state (g_state, as save() orders it) of past row
  // i of the current token, oldest first.
  double* past_cotangent(double* g_state, std::size_t u, std::size_t i) const {
    return g_state + (c_ - 1 - past() + i) * size_ + u * slab_;
  }
  // Backward of push(): row j after the tick is row j + 1 before it, the newest row the drive.
  void push_vjp(const double* g_after, double* g_drive, double* g_before) const {
    for (std::size_t i = 0; i + size_ < c_ * size_; ++i) g_before[i + size_] += g_after[i];
    for (std::size_t i = 0; i < size_; ++i) g_drive[i] += g_after[(c_ - 1) * size_ + i];
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
  // The past rows of the coming token, oldest first: ticks k-p .. k-1 (k = ticks_ - 1).
  void find_past() {
    past_.clear();
    if (ticks_ == 0) return;
    const std::size_t k = ticks_ - 1, p = past();
    for (std::size_t j = p; j >= 1; --j) past_.push_back(ring_.data() + ((k - j) % c_) * size_);
  }

  std::size_t c_ = 1, slab_ = 0, size_ = 0, L_ = 1;
  mutable std::size_t ticks_ = 0;
  LaneVector<double> ring_;
  mutable std::vector<const double*> past_;  // the past rows' slots, oldest first
};

}  // namespace ransim::attn
