#pragma once
// The feed-forward of a cortex unit (cortex_qkv, feed_forward = true): D -> 4D -> D with
// biases, r = W_2 f(W_1 o + b_1) + b_2, f = relu or gelu, per unit (or one shared set).
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/differentiable.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

#include "common/kernels.hpp"
#include "common/matrix_set.hpp"

namespace ransim::attn {

class FeedForward {
 public:
  // Drawn in the order W_1, b_1, W_2, b_2 (matrices row-major, unit by unit): W_1 entries
  // ~ N(0, ff_in_scale^2 / D), W_2 entries ~ N(0, ff_out_scale^2 / (4 D)) (fan-in scaled),
  // biases ~ U(-bias_scale, bias_scale) with `bias = true`, else 0 (and not recorded).
  FeedForward(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng, const WeightFile& wf)
      : D_(D), F_(4 * D), gelu_(c.params.string("activation") == "gelu"), bias_(c.params.boolean("bias")) {
    const std::size_t blocks = c.params.boolean("shared_weights") ? 1 : U;
    const double s = bias_ ? c.params.real("bias_scale") : 0.0;
    w1_ = weight_matrices(wf, rng, "W_1", "W_1 (4 dim x dim)", blocks, F_, D,
                          c.params.real("ff_in_scale") / std::sqrt(static_cast<double>(D)));
    b1_ = bias_ ? bias_vectors(wf, rng, "b_1", blocks, F_, s)
                : BiasSet{blocks, F_, std::vector<double>(blocks * F_)};
    w2_ = weight_matrices(wf, rng, "W_2", "W_2 (dim x 4 dim)", blocks, D, F_,
                          c.params.real("ff_out_scale") / std::sqrt(static_cast<double>(F_)));
    b2_ = bias_ ? bias_vectors(wf, rng, "b_2", blocks, D, s)
                : BiasSet{blocks, D, std::vector<double>(blocks * D)};
  }

  // Doubles of scratch apply() needs for L lanes (the hidden layer).
  std::size_t scratch_size(std::size_t L) const { return F_ * L; }
  double work() const { return 2.0 * F_ * D_ + 10.0 * F_; }

  // Unit u: out (D x L) += W_2 f(W_1 o + b_1) + b_2 (the residual: out may be o itself). Not
  // inlined into the flattened unit() of cortex_qkv, whose default path stays small.
  [[gnu::noinline]] void apply(std::size_t u, const double* o, double* out, double* hidden,
                               std::size_t L) const {
    matmul_lanes(w1_.block(u), F_, D_, o, hidden, L, false);
    const double* b1 = b1_.block(u);
    for (std::size_t j = 0; j < F_; ++j) {
      double* hj = hidden + j * L;
      for (std::size_t b = 0; b < L; ++b) {
        const double x = hj[b] + b1[j];
        hj[b] = gelu_ ? gelu(x) : (x > 0 ? x : 0.0);
      }
    }
    add_bias_lanes(out, b2_.block(u), D_, L);
    matmul_lanes(w2_.block(u), D_, F_, hidden, out, L, true);
  }

  // Training: W_1, W_2 (and b_1, b_2 with biases) as recorded, copied out on the first call;
  // weights_changed() copies them back.
  std::vector<TrainableWeight> trainable_weights() {
    if (trained_.empty()) {
      std::map<std::string, arma::mat> w;
      add_weights(w);
      for (const char* name : {"W_1", "W_2", "b_1", "b_2"})
        if (w.count(name)) trained_.push_back(w.at(name));
    }
    std::vector<TrainableWeight> out = {{"W_1", &trained_[0]}, {"W_2", &trained_[1]}};
    if (bias_) out.insert(out.end(), {{"b_1", &trained_[2]}, {"b_2", &trained_[3]}});
    return out;
  }
  void weights_changed() {
    MatrixSet* sets[2] = {&w1_, &w2_};
    for (std::size_t i = 0; i < 2; ++i) {
      MatrixSet& m = *sets[i];
      for (std::size_t b = 0; b < m.blocks; ++b)
        for (std::size_t c = 0; c < m.cols; ++c)
          for (std::size_t r = 0; r < m.rows; ++r)
            m.cm[(b * m.cols + c) * m.rows + r] = trained_[i](b * m.rows + r, c);
    }
    if (!bias_) return;
    BiasSet* biases[2] = {&b1_, &b2_};
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t b = 0; b < biases[i]->blocks; ++b)
        for (std::size_t j = 0; j < biases[i]->n; ++j)
          biases[i]->values[b * biases[i]->n + j] = trained_[2 + i](b, j);
  }

  // Backward of apply() for unit u at o (D x L): given g_out (D x L), the cotangent of
  // out = o + W_2 f(W_1 o + b_1) + b_2, adds into g_o (D x L; the residual passes g_out on)
  // and, from g_weights[first], the gradients of W_1, W_2 (and b_1, b_2), summed over lanes:
  //   g_hidden = W_2^T g_out, g_pre = f'(pre) % g_hidden, g_o += g_out + W_1^T g_pre,
  //   G_2 += g_out f(pre)^T, G_1 += g_pre o^T, g_b2 += g_out, g_b1 += g_pre.
  void apply_vjp(std::size_t u, const double* o, const double* g_out, double* g_o, WeightGradients& g_weights,
                 std::size_t first, std::size_t L) const {
    const std::size_t blk = w1_.blocks == 1 ? 0 : u;
    const double* w1 = w1_.block(u);  // W_1(j, d) at w1[d * F + j]
    const double* w2 = w2_.block(u);  // W_2(d, j) at w2[j * D + d]
    const double* b1 = b1_.block(u);
    arma::mat &g_w1 = g_weights[first], &g_w2 = g_weights[first + 1];
    std::vector<double> g_pre(F_);
    for (std::size_t l = 0; l < L; ++l) {
      for (std::size_t j = 0; j < F_; ++j) {
        double pre = b1[j], g_hidden = 0;
        for (std::size_t d = 0; d < D_; ++d) {
          pre += w1[d * F_ + j] * o[d * L + l];
          g_hidden += w2[j * D_ + d] * g_out[d * L + l];
        }
        const double hidden = gelu_ ? gelu(pre) : (pre > 0 ? pre : 0.0);
        for (std::size_t d = 0; d < D_; ++d) g_w2(blk * D_ + d, j) += g_out[d * L + l] * hidden;
        g_pre[j] = g_hidden * (gelu_ ? gelu_derivative(pre) : (pre > 0 ? 1.0 : 0.0));
        for (std::size_t d = 0; d < D_; ++d) g_w1(blk * F_ + j, d) += g_pre[j] * o[d * L + l];
      }
      for (std::size_t d = 0; d < D_; ++d) {
        double acc = g_out[d * L + l];
        for (std::size_t j = 0; j < F_; ++j) acc += w1[d * F_ + j] * g_pre[j];
        g_o[d * L + l] += acc;
      }
      if (!bias_) continue;
      for (std::size_t j = 0; j < F_; ++j) g_weights[first + 2](blk, j) += g_pre[j];
      for (std::size_t d = 0; d < D_; ++d) g_weights[first + 3](blk, d) += g_out[d * L + l];
    }
  }

  void add_weights(std::map<std::string, arma::mat>& w) const {
    w["W_1"] = w1_.stacked();
    w["W_2"] = w2_.stacked();
    if (!bias_) return;
    w["b_1"] = b1_.stacked();
    w["b_2"] = b2_.stacked();
  }

 private:
  std::size_t D_, F_;
  bool gelu_, bias_;
  MatrixSet w1_, w2_;  // 4D x D, D x 4D per block
  BiasSet b1_, b2_;
  std::vector<arma::mat> trained_;  // the trainable copies (trainable_weights())
};

}  // namespace ransim::attn
