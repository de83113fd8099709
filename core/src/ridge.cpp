// Armadillo would print a warning for every near-singular system; a tiny ridge makes those
// common and harmless (the approximate solution is what we want), so only errors are shown.
#define ARMA_WARN_LEVEL 1
#include "ransim/ridge.hpp"

#include <cmath>

#include "ransim/error.hpp"

namespace ransim {

RidgeAccumulator::RidgeAccumulator(std::size_t features, std::size_t outputs)
    : xtx_(features + 1, features + 1, arma::fill::zeros),
      xty_(features + 1, outputs, arma::fill::zeros) {}

void RidgeAccumulator::add_columns(const arma::mat& xt, const arma::mat& yt) {
  if (xt.n_cols != yt.n_cols || xt.n_rows + 1 != xtx_.n_rows || yt.n_rows != xty_.n_cols)
    throw std::logic_error("RidgeAccumulator::add: shape mismatch");
  const std::size_t f = xt.n_rows;
  xtx_.submat(0, 0, f - 1, f - 1) += xt * xt.t();
  const arma::vec rowsum = arma::sum(xt, 1);
  xtx_.submat(f, 0, f, f - 1) += rowsum.t();
  xtx_.submat(0, f, f - 1, f) += rowsum;
  xtx_(f, f) += static_cast<double>(xt.n_cols);
  xty_.rows(0, f - 1) += xt * yt.t();
  xty_.row(f) += arma::sum(yt, 1).t();
  n_ += xt.n_cols;
}

arma::mat RidgeAccumulator::solve(double lambda) const {
  if (n_ == 0) throw RunError("ridge readout: no training samples");
  arma::mat a = xtx_;
  for (arma::uword i = 0; i + 1 < a.n_rows; ++i) a(i, i) += lambda;  // the bias is not regularised
  arma::mat w;
  if (!arma::solve(w, a, xty_, arma::solve_opts::likely_sympd))
    throw RunError("ridge readout: the normal equations are singular (raise readout.ridge)");
  return w;
}

arma::mat ridge_fit(const arma::mat& x, const arma::mat& y, double lambda) {
  RidgeAccumulator acc(x.n_cols, y.n_cols);
  acc.add(x, y);
  return acc.solve(lambda);
}

arma::mat ridge_predict(const arma::mat& w, const arma::mat& x) {
  arma::mat out = x * w.rows(0, w.n_rows - 2);
  out.each_row() += w.row(w.n_rows - 1);
  return out;
}

}  // namespace ransim
