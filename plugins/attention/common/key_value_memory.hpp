#pragma once
// The key-value memory of hippocampus_memory and attention_block: S slots of keys k_s, values
// v_s and biases b_s per unit (or one store shared by all), read as
// m_s = f(k_s . y + b_s), read = sum_s m_s v_s; and the backward pass of the read, with the keys,
// values and biases as trainable weights (ransim/differentiable.hpp).
#include <algorithm>
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

  // Training: the store as the recorded matrices (memory_keys, memory_values, memory_bias),
  // copied out on the first call; the trainer changes them, weights_changed() copies them back.
  std::vector<TrainableWeight> trainable_weights() {
    if (trained_.empty()) {
      std::map<std::string, arma::mat> w;
      add_weights(w);
      for (const char* name : {"memory_keys", "memory_values", "memory_bias"}) trained_.push_back(w.at(name));
    }
    return {{"memory_keys", &trained_[0]}, {"memory_values", &trained_[1]}, {"memory_bias", &trained_[2]}};
  }
  void weights_changed() {
    const arma::mat &k = trained_[0], &v = trained_[1], &b = trained_[2];
    for (std::size_t blk = 0; blk < blocks_; ++blk)
      for (std::size_t s = 0; s < S_; ++s) {
        for (std::size_t d = 0; d < D_; ++d) {
          keys_.cm[(blk * D_ + d) * S_ + s] = k(blk * S_ + s, d);
          values_t_.cm[(blk * S_ + s) * D_ + d] = v(blk * S_ + s, d);
        }
        bias_[blk * S_ + s] = b(blk, s);
      }
  }

  // Backward of read() for unit u at input y (D x L): given g_read (D x L), the cotangent of
  // the read, adds into g_y (D x L) and, from g_weights[first], the gradients of memory_keys,
  // memory_values and memory_bias (as trainable_weights() lists them, summed over lanes).
  void read_vjp(std::size_t u, const double* y, const double* g_read, double* g_y, WeightGradients& g_weights,
                std::size_t first, std::size_t L) const {
    const std::size_t blk = blocks_ == 1 ? 0 : u;
    const double* K = keys_.block(u);       // k_s[d] at K[d * S + s]
    const double* Vt = values_t_.block(u);  // v_s[d] at Vt[s * D + d]
    const double* bias = bias_.data() + blk * S_;
    // Raw column-major pointers: arma's operator() checks the bounds at every access.
    const std::size_t rows = g_weights[first].n_rows, bias_rows = g_weights[first + 2].n_rows;
    double* g_keys = g_weights[first].memptr() + blk * S_;  // (s, d) at [s + d * rows]
    double* g_values = g_weights[first + 1].memptr() + blk * S_;
    double* g_bias = g_weights[first + 2].memptr() + blk;  // (s) at [s * bias_rows]
    std::vector<double> pre(S_), m(S_), g_m(S_);
    for (std::size_t l = 0; l < L; ++l) {
      for (std::size_t s = 0; s < S_; ++s) {
        double acc = 0;
        for (std::size_t d = 0; d < D_; ++d) acc += K[d * S_ + s] * y[d * L + l];
        pre[s] = acc + bias[s];
      }
      activate(pre, m);
      for (std::size_t s = 0; s < S_; ++s) {  // read = sum_s m_s v_s
        double acc = 0;
        for (std::size_t d = 0; d < D_; ++d) {
          acc += Vt[s * D_ + d] * g_read[d * L + l];
          g_values[s + d * rows] += m[s] * g_read[d * L + l];
        }
        g_m[s] = acc;
      }
      activation_vjp(pre, m, g_m);  // g_m becomes the cotangent of pre
      for (std::size_t s = 0; s < S_; ++s) {
        g_bias[s * bias_rows] += g_m[s];
        for (std::size_t d = 0; d < D_; ++d) {
          g_keys[s + d * rows] += g_m[s] * y[d * L + l];
          g_y[d * L + l] += K[d * S_ + s] * g_m[s];
        }
      }
    }
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
  // m = f(pre) for one lane (the backward pass's plain loops; read() has the lane kernels).
  void activate(const std::vector<double>& pre, std::vector<double>& m) const {
    if (act_ == Activation::Softmax) {
      const double top = *std::max_element(pre.begin(), pre.end());
      double sum = 0;
      for (std::size_t s = 0; s < S_; ++s) sum += m[s] = std::exp(pre[s] - top);
      for (auto& v : m) v /= sum;
      return;
    }
    for (std::size_t s = 0; s < S_; ++s)
      m[s] = act_ == Activation::Relu ? std::max(pre[s], 0.0) : gelu(pre[s]);
  }
  // g (the cotangent of m) becomes that of pre: relu' = [pre > 0]; gelu' = Phi + pre phi (the
  // normal CDF and density); softmax: m % (g - m . g).
  void activation_vjp(const std::vector<double>& pre, const std::vector<double>& m,
                      std::vector<double>& g) const {
    if (act_ == Activation::Softmax) {
      double dot = 0;
      for (std::size_t s = 0; s < S_; ++s) dot += m[s] * g[s];
      for (std::size_t s = 0; s < S_; ++s) g[s] = m[s] * (g[s] - dot);
      return;
    }
    for (std::size_t s = 0; s < S_; ++s) {
      const double x = pre[s];
      g[s] *= act_ == Activation::Relu ? (x > 0 ? 1.0 : 0.0) : gelu_derivative(x);
    }
  }

  std::size_t D_, S_, blocks_ = 1;
  Activation act_ = Activation::Relu;
  MatrixSet keys_;                  // S x D per block
  MatrixSet values_t_;              // D x S per block (V^T)
  std::vector<double> bias_;        // S per block
  std::vector<arma::mat> trained_;  // the trainable copies (trainable_weights())
};

}  // namespace ransim::attn
