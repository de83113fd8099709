#pragma once
// Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW, Loshchilov & Hutter 2019) and
// clipping of the whole gradient's norm, over one flat parameter vector (docs/training.md).
#include <cmath>
#include <cstddef>
#include <vector>

namespace ransim {

struct AdamSettings {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0, clip = 1.0;
};

class Adam {
 public:
  Adam(std::size_t size, AdamSettings s) : s_(s), m_(size, 0.0), v_(size, 0.0) {}

  // One step: g is clipped to norm s.clip (if > 0), then
  //   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
  //   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + lr wd p.
  // Returns the gradient's norm before clipping.
  double step(std::vector<double>& p, std::vector<double> g) {
    double norm = 0;
    for (double x : g) norm += x * x;
    norm = std::sqrt(norm);
    if (s_.clip > 0 && norm > s_.clip)
      for (double& x : g) x *= s_.clip / norm;
    ++t_;
    const double c1 = 1.0 - std::pow(s_.beta1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(s_.beta2, static_cast<double>(t_));
    for (std::size_t i = 0; i < p.size(); ++i) {
      m_[i] = s_.beta1 * m_[i] + (1 - s_.beta1) * g[i];
      v_[i] = s_.beta2 * v_[i] + (1 - s_.beta2) * g[i] * g[i];
      p[i] -= s_.lr * ((m_[i] / c1) / (std::sqrt(v_[i] / c2) + s_.epsilon) + s_.weight_decay * p[i]);
    }
    return norm;
  }

  // The moments and the step count, for checkpoints.
  std::vector<double>& first_moment() { return m_; }
  std::vector<double>& second_moment() { return v_; }
  std::size_t& steps() { return t_; }

 private:
  AdamSettings s_;
  std::vector<double> m_, v_;
  std::size_t t_ = 0;
};

}  // namespace ransim
