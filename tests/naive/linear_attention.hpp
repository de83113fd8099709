#pragma once
// Linear self-attention written from its definition, y_t = sum_{s<=t} v_s (k_s . q_t), in
// long double: the independent reference for the gated linear RNN (the builder, and the
// gated_linear and linear_attention populations) in tests/plugins/companion/test_companion.cpp.
#include <armadillo>

#include <cstddef>
#include <vector>

namespace naive {

using Vec = std::vector<double>;

// y_t = sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t) for a sequence x (T x d, row-major).
inline Vec naive_lsa(const arma::mat& WQ, const arma::mat& WK, const arma::mat& WV, const Vec& x,
                     std::size_t d) {
  const std::size_t T = x.size() / d;
  auto apply = [&](const arma::mat& W, std::size_t t) {
    std::vector<long double> r(d, 0.0L);
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = 0; j < d; ++j) r[i] += static_cast<long double>(W(i, j)) * x[t * d + j];
    return r;
  };
  Vec y;
  for (std::size_t t = 0; t < T; ++t) {
    const auto q = apply(WQ, t);
    std::vector<long double> acc(d, 0.0L);
    for (std::size_t s = 0; s <= t; ++s) {
      const auto k = apply(WK, s), v = apply(WV, s);
      long double kq = 0;
      for (std::size_t j = 0; j < d; ++j) kq += k[j] * q[j];
      for (std::size_t i = 0; i < d; ++i) acc[i] += v[i] * kq;
    }
    for (std::size_t i = 0; i < d; ++i) y.push_back(static_cast<double>(acc[i]));
  }
  return y;
}

}  // namespace naive
