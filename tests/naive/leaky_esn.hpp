#pragma once
// The discrete leaky echo state network with dense weights, as plain loops:
//   x[k+1] = (1 - a) x[k] + a tanh(W x[k] + W_in u[k] + b),  a = dt / tau.
// The independent reference for the built-in leaky model under Euler with dt equal to the
// token period (tests/engine/test_engine.cpp), which must give exactly this update.
#include <cmath>
#include <cstddef>
#include <vector>

namespace naive {

struct LeakyEsn {
  std::size_t n = 0, m = 0;               // units, inputs
  std::vector<double> w, w_in, bias, x0;  // w: n x n, w_in: n x m, row-major

  // One token from state x; input j is u[j * stride] (stride = lanes for the engine's layout).
  std::vector<double> step(const std::vector<double>& x, const double* u, std::size_t stride,
                           double a) const {
    std::vector<double> next(n);
    for (std::size_t i = 0; i < n; ++i) {
      double z = bias[i];
      for (std::size_t j = 0; j < n; ++j) z += w[i * n + j] * x[j];
      for (std::size_t j = 0; j < m; ++j) z += w_in[i * m + j] * u[j * stride];
      next[i] = (1.0 - a) * x[i] + a * std::tanh(z);
    }
    return next;
  }
};

}  // namespace naive
