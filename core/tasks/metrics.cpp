#include "tasks/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace ransim {

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::Nrmse: return "nrmse";
    case Metric::MemoryCapacity: return "memory_capacity";
    case Metric::Accuracy: return "accuracy";
    case Metric::Mse: return "mse";
    case Metric::ErrorRate: return "error_rate";
    case Metric::LabelError: return "label_error";
  }
  return "?";
}

bool higher_is_better(Metric m) { return m == Metric::MemoryCapacity || m == Metric::Accuracy; }

double nrmse(const arma::mat& y, const arma::mat& yhat) {
  const arma::vec a = arma::vectorise(y), b = arma::vectorise(yhat);
  const double sd = arma::stddev(a, 1);
  const double rmse = std::sqrt(arma::mean(arma::square(a - b)));
  return rmse / sd;
}

double nrmse_from_sums(double sse, double sum_y, double sum_yy, double n) {
  const double mean = sum_y / n;
  return std::sqrt(sse / n) / std::sqrt(std::max(0.0, sum_yy / n - mean * mean));
}

arma::vec squared_correlations(const arma::mat& y, const arma::mat& yhat) {
  // Jaeger (2001): r^2(d) = cov(u(k-d), yhat_d)^2 / (var u var yhat_d).
  arma::vec r2(y.n_cols, arma::fill::zeros);
  for (arma::uword d = 0; d < y.n_cols; ++d) {
    const arma::vec a = y.col(d) - arma::mean(y.col(d)), b = yhat.col(d) - arma::mean(yhat.col(d));
    const double den = arma::dot(a, a) * arma::dot(b, b);
    if (den > 0) r2[d] = arma::dot(a, b) * arma::dot(a, b) / den;
  }
  return r2;
}

double score(Metric m, const arma::mat& y, const arma::mat& yhat) {
  switch (m) {
    case Metric::Nrmse: return nrmse(y, yhat);
    case Metric::Mse: return arma::mean(arma::vectorise(arma::square(y - yhat)));
    case Metric::Accuracy: {
      const arma::uvec a = arma::index_max(y, 1), b = arma::index_max(yhat, 1);
      return static_cast<double>(arma::accu(a == b)) / static_cast<double>(y.n_rows);
    }
    case Metric::ErrorRate: return 1.0 - score(Metric::Accuracy, y, yhat);
    case Metric::LabelError: {
      // STREAM's multi-label score thresholds sigmoid(logit) at 0.5; a least-squares readout
      // fitted to 0/1 targets has its midpoint at 0.5 instead.
      const arma::umat wrong = (yhat >= 0.5) != (y >= 0.5);
      return static_cast<double>(arma::accu(wrong)) / static_cast<double>(y.n_elem);
    }
    case Metric::MemoryCapacity: {
      double mc = 0;
      for (const double r2 : squared_correlations(y, yhat)) mc += r2;
      return mc;
    }
  }
  return NAN;
}

}  // namespace ransim
