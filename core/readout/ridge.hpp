#pragma once
// Ridge regression readout (docs/science.md): W = argmin |[X 1] W - Y|^2 + lambda |W_x|^2.
// The bias (last row of W) is not regularised. Statistics accumulate block by block, so
// the states of a long run never need to be held at once.
#include <armadillo>
#include <vector>

#include "tasks/metrics.hpp"

namespace ransim {

// readout.ridge = "auto": lambda = 10^(-10 + k / 2), k = 0..24, from 1e-10 to 1e2.
const std::vector<double>& ridge_auto_grid();

// The lambda a grid chose on the validation samples, and every candidate's score there.
struct RidgeSelection {
  double lambda = 0;
  double score = 0;                        // the task's metric on the validation samples at lambda
  std::vector<double> candidates, scores;  // in the order given; NaN where a fit failed
};

class RidgeAccumulator {
 public:
  RidgeAccumulator(std::size_t features, std::size_t outputs);
  // readout.statistics = "single": each block's X^T X is computed in float (half the bytes,
  // twice the vector width) and added into the double statistics, which the solve reads as
  // before. Costs a float copy of each block and an F x F float scratch.
  void set_single_precision(bool single);

 private:
  bool single_ = false;
  arma::fvec x_single_;     // the block's samples in float
  arma::fmat gram_single_;  // the block's X^T X in float, upper triangle

 public:
  // X: samples x features, Y: samples x outputs. With threads > 1, a large X^T X update
  // runs on two threads (BLAS itself held to one).
  void add(const arma::mat& x, const arma::mat& y, std::size_t threads = 1);
  // The same with one column per sample (features x samples, outputs x samples).
  void add_columns(const arma::mat& xt, const arma::mat& yt, std::size_t threads = 1);
  // From this many features on, X^T X is updated in two parts (ridge.cpp).
  static constexpr std::size_t kSplitFeatures = 1024;
  // (features + 1) x outputs; the last row is the bias. Throws RunError without samples.
  arma::mat solve(double lambda) const;
  std::size_t samples() const { return n_; }
  // Scores every candidate lambda by `metric` on validation samples (one per column:
  // xt_val features x samples, yt_val outputs x samples) and returns the best; ties go to the
  // larger lambda. One eigendecomposition of the centred X^T X serves all candidates.
  // Throws RunError without samples or when no candidate gives a finite score.
  RidgeSelection select(const std::vector<double>& candidates, const arma::mat& xt_val,
                        const arma::mat& yt_val, Metric metric) const;
  // The same scored on another accumulator's validation statistics (a stream too long to
  // keep its validation samples): metric Mse or Nrmse only.
  RidgeSelection select(const std::vector<double>& candidates, const RidgeAccumulator& validation,
                        Metric metric) const;
  // Mse or Nrmse (std::logic_error for another metric) of the predictions [X 1] w on the
  // accumulated samples, from the statistics alone: the residual sum of squares is
  // sum y^2 - 2 w.[X 1]^T Y + w.[X 1]^T [X 1] w, exact up to rounding relative to sum y^2.
  // NaN without samples.
  double score(Metric metric, const arma::mat& w) const;

 private:
  // X^T X += the samples' products, read in place: a transposed copy of a large X costs a
  // fresh allocation, and paging one in can be slower than the product (docs/performance.md).
  void add_gram(const double* x, std::size_t samples, bool samples_in_columns, std::size_t threads);
  struct Reduced;  // the centred problem reduced to tridiagonal form, for every candidate lambda
  Reduced reduce() const;

  arma::mat gram_;   // X^T X, upper triangle
  arma::vec sum_;    // X^T 1
  arma::mat xty_;    // [X 1]^T Y
  arma::rowvec yy_;  // sum of y^2 per output
  std::size_t n_ = 0;
};

arma::mat ridge_fit(const arma::mat& x, const arma::mat& y, double lambda);
// [X 1] W. X (samples x features) may be any Armadillo expression, such as xt.t() for
// features x samples, which BLAS then reads transposed, without a copy.
template <class T> arma::mat ridge_predict(const arma::mat& w, const arma::Base<double, T>& x) {
  arma::mat out = x.get_ref() * w.rows(0, w.n_rows - 2);
  out.each_row() += w.row(w.n_rows - 1);
  return out;
}

}  // namespace ransim
