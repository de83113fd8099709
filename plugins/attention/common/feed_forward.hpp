#pragma once
// The feed-forward of a cortex unit (cortex_qkv, feed_forward = true): D -> 4D -> D with
// biases, r = W_2 f(W_1 o + b_1) + b_2, f = relu or gelu, per unit (or one shared set).
#include <cmath>
#include <cstddef>
#include <map>
#include <string>

#include <armadillo>

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
};

}  // namespace ransim::attn
