#pragma once
// Causal softmax attention written from its definition,
//   o_t = sum_{i<=t} e^{s_i - m_t} v_i / sum_{i<=t} e^{s_i - m_t},  m_t = max_{i<=t} s_i,
// in long double, with and without forgetting: the independent reference for Aaren (the
// library's recurrence, scan and direct forms, and the aaren and softmax_attention
// populations) in tests/plugins/companion/test_companion.cpp.
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace naive {

using Vec = std::vector<double>;

// Row t of softmax attention, in long double.
inline Vec naive_softmax_row(const Vec& s, const Vec& v, std::size_t d, std::size_t t) {
  long double m = s[0];
  for (std::size_t i = 0; i <= t; ++i) m = std::max<long double>(m, s[i]);
  long double den = 0;
  std::vector<long double> num(d, 0.0L);
  for (std::size_t i = 0; i <= t; ++i) {
    const long double w = std::exp(static_cast<long double>(s[i]) - m);
    den += w;
    for (std::size_t j = 0; j < d; ++j) num[j] += w * v[i * d + j];
  }
  Vec o(d);
  for (std::size_t j = 0; j < d; ++j) o[j] = static_cast<double>(num[j] / den);
  return o;
}

inline Vec naive_softmax(const Vec& s, const Vec& v, std::size_t d) {
  Vec o;
  for (std::size_t t = 0; t < s.size(); ++t) {
    const Vec r = naive_softmax_row(s, v, d, t);
    o.insert(o.end(), r.begin(), r.end());
  }
  return o;
}

// The naive softmax over the stream each aaren unit saw, with forgetting: after token k the
// weight of token i is e^{s_i - gamma T (k - i)}. Returns outputs [k][lane][unit][d] and lse.
struct SoftmaxRef {
  Vec output, lse, gate;
};
inline SoftmaxRef naive_aaren(const arma::mat& Q, const std::vector<Vec>& inputs /* [k] lane-major */,
                              std::size_t lanes, std::size_t U, std::size_t d, double gamma_T) {
  SoftmaxRef r;
  const std::size_t in = U * 2 * d;
  for (std::size_t k = 0; k < inputs.size(); ++k)
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t u = 0; u < U; ++u) {
        std::vector<long double> s(k + 1);
        for (std::size_t i = 0; i <= k; ++i) {
          long double qk = 0;
          for (std::size_t j = 0; j < d; ++j)
            qk += static_cast<long double>(Q(u, j)) * inputs[i][b * in + u * 2 * d + j];
          s[i] = qk / std::sqrt(static_cast<long double>(d)) - gamma_T * static_cast<long double>(k - i);
        }
        const long double m = *std::max_element(s.begin(), s.end());
        long double den = 0;
        std::vector<long double> num(d, 0.0L);
        for (std::size_t i = 0; i <= k; ++i) {
          const long double w = std::exp(s[i] - m);
          den += w;
          for (std::size_t j = 0; j < d; ++j) num[j] += w * inputs[i][b * in + u * 2 * d + d + j];
        }
        for (std::size_t j = 0; j < d; ++j) r.output.push_back(static_cast<double>(num[j] / den));
        const long double lse = m + std::log(den);
        r.lse.push_back(static_cast<double>(lse));
        r.gate.push_back(static_cast<double>(std::exp(s[k] - lse)));
      }
  return r;
}

}  // namespace naive
