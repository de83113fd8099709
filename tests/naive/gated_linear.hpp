#pragma once
// The gated linear RNN h <- lambda h + (G_in x~)(X_in x~), x~ = [x; 1], with output
// y = D((G_out h)(X_out h)), as plain loops over the builder's matrices: the independent
// reference for the gated_linear builder (tests/plugins/companion/test_companion.cpp) and for
// in-context regression (tests/tasks/test_in_context.cpp).
#include <cstddef>
#include <vector>

#include "companion/common/companion_math.hpp"

namespace naive {

// x: T tokens of d values, one after another; returns T outputs of d values.
inline std::vector<double> gated(const ransim::companion::GatedLinear& g, const std::vector<double>& x,
                                 std::size_t d) {
  const std::size_t T = x.size() / d, n = g.neurons(), m = g.G_out.n_rows;
  std::vector<double> h(n, 0.0), xt(d + 1), y;
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t j = 0; j < d; ++j) xt[j] = x[t * d + j];
    xt[d] = 1.0;
    for (std::size_t r = 0; r < n; ++r) {
      double a = 0, b = 0;
      for (std::size_t j = 0; j <= d; ++j) {
        a += g.G_in(r, j) * xt[j];
        b += g.X_in(r, j) * xt[j];
      }
      h[r] = g.lambda(r) * h[r] + a * b;
    }
    std::vector<double> p(m);
    for (std::size_t r = 0; r < m; ++r) {
      double a = 0, b = 0;
      for (std::size_t c = 0; c < n; ++c) {
        a += g.G_out(r, c) * h[c];
        b += g.X_out(r, c) * h[c];
      }
      p[r] = a * b;
    }
    for (std::size_t i = 0; i < d; ++i) {
      double yi = 0;
      for (std::size_t r = 0; r < m; ++r) yi += g.D(i, r) * p[r];
      y.push_back(yi);
    }
  }
  return y;
}

}  // namespace naive
