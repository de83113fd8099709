#pragma once
// The key-value memory of hippocampus_memory and attention_block: S slots of keys k_s, values
// v_s and biases b_s per unit (or one store shared by all), read as
// m_s = f(k_s . y + b_s), read = sum_s m_s v_s.
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

#include "common/kernels.hpp"
#include "common/matrix_set.hpp"

namespace ransim::attn {

enum class Activation { Relu, Gelu, Softmax };

// m_s = f(k_s . y + b_s), read = sum_s m_s v_s, per unit (or one shared store).
class KeyValueMemory {
 public:
  KeyValueMemory(const PopulationContext& c, std::size_t U, std::size_t D, Rng& rng, const WeightFile& wf,
                 bool shared)
      : D_(D), S_(static_cast<std::size_t>(c.params.integer("slots"))) {
    const std::string& f = c.params.string("activation");
    act_ = f == "relu" ? Activation::Relu : f == "gelu" ? Activation::Gelu : Activation::Softmax;
    blocks_ = shared ? 1 : U;
    const double sd = 1.0 / std::sqrt(static_cast<double>(D));
    keys_ = weight_matrices(wf, rng, "memory_keys", "memory_keys (slots x dim)", blocks_, S_, D,
                            sd * c.params.real("key_scale"));
    // Values are read as V^T m: keep V^T (D x S) column-major, i.e. V row-major.
    const std::vector<double> v =
        wf.used() ? wf.load_stacked("memory_values", blocks_, S_, D,
                                    per_what(blocks_, S_, D, "memory_values (slots x dim)"))
                  : random_normal(rng, blocks_ * S_ * D, sd * c.params.real("value_scale"));
    values_t_ = MatrixSet{blocks_, D, S_, v};
    if (wf.used()) {
      const std::string biases = std::to_string(S_) + " biases";
      const std::string what =
          blocks_ == 1 ? "one shared row of " + biases : "one row of " + biases + " per unit";
      bias_ = wf.load_stacked("memory_bias", blocks_, 1, S_, what);
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
      case Activation::Softmax: softmax_lanes(m, S_, L, scratch); break;
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
  MatrixSet keys_;            // S x D per block
  MatrixSet values_t_;        // D x S per block (V^T)
  std::vector<double> bias_;  // S per block
};

}  // namespace ransim::attn
