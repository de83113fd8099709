// The metrics a run reports (docs/tasks.md): NRMSE, accuracy, MSE, memory capacity.
//
// Expected numbers come from hand computations on small made-up outputs, derived in the
// comments.
#include <gtest/gtest.h>

#include <armadillo>
#include <cmath>

#include "tasks/metrics.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// NRMSE.
// ---------------------------------------------------------------------------------------

TEST(Nrmse, HandComputedValues) {
  // y = (0, 2, 4, 6): mean 3, deviations (-3, -1, 1, 3), population variance
  // (9 + 1 + 1 + 9) / 4 = 5, std sqrt(5) (normalised by N, as arma::stddev(., 1)).
  const arma::vec y = {0, 2, 4, 6};
  // Residuals (1, -1, 1, -1): RMSE 1, so NRMSE = 1 / sqrt(5).
  EXPECT_NEAR(ransim::nrmse(y, y + arma::vec{1, -1, 1, -1}), 1.0 / std::sqrt(5.0), 1e-15);
  // Perfect prediction: 0. Predicting the mean: RMSE = std, NRMSE = 1.
  EXPECT_EQ(ransim::nrmse(y, y), 0.0);
  EXPECT_NEAR(ransim::nrmse(y, arma::vec(4, arma::fill::value(3.0))), 1.0, 1e-15);
  // Residuals (2, 0, 0, 0): RMSE sqrt(4 / 4) = 1 again.
  EXPECT_NEAR(ransim::nrmse(y, y + arma::vec{2, 0, 0, 0}), 1.0 / std::sqrt(5.0), 1e-15);
  // Over all entries of a matrix: the same eight numbers in a 4 x 2 layout
  // y = [0 2 4 6; 1 1 1 1]^T: mean 16/8 = 2, squared deviations 4 0 4 16 1 1 1 1, sum 28
  // -> var 28/8 = 3.5; residuals all 0.5 -> RMSE 0.5, NRMSE 0.5 / sqrt(3.5).
  const arma::mat ym = arma::join_rows(y, arma::vec(4, arma::fill::ones));
  EXPECT_NEAR(ransim::nrmse(ym, ym + 0.5), 0.5 / std::sqrt(3.5), 1e-15);
}

TEST(Nrmse, FromSumsIsTheSameAsFromSamples) {
  // y = (0, 2, 4, 6), residuals (1, -1, 1, -1), as above: sse 4, sum y 12, sum y^2 56, n 4
  // -> sqrt(4 / 4) / sqrt(56 / 4 - 3^2) = 1 / sqrt(5).
  const arma::vec y = {0, 2, 4, 6};
  EXPECT_NEAR(ransim::nrmse_from_sums(4, 12, 56, 4), 1.0 / std::sqrt(5.0), 1e-15);
  EXPECT_NEAR(ransim::nrmse_from_sums(4, 12, 56, 4), ransim::nrmse(y, y + arma::vec{1, -1, 1, -1}), 1e-15);
  // Shifted targets (the bounded session sums y minus its first value): y + 10 = (10, 12, 14,
  // 16) has sum 52 and sum of squares 696, and the same variance: 696 / 4 - 13^2 = 5.
  EXPECT_NEAR(ransim::nrmse_from_sums(4, 52, 696, 4), 1.0 / std::sqrt(5.0), 1e-13);
  // Constant targets y = (2, 2, 2), sse 1: no variance (12 / 3 - 2^2 = 0), so the error is
  // infinite, never the square root of a negative rounding residue.
  EXPECT_TRUE(std::isinf(ransim::nrmse_from_sums(1, 6, 12, 3)));
}

// ---------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------

TEST(Metrics, AccuracyMseAndMemoryCapacityOfHandMadeOutputs) {
  // Accuracy: rows 0 and 2 pick the target's class, row 1 does not: 2/3.
  const arma::mat y = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const arma::mat yhat = {{0.9, 0.1, 0}, {0.6, 0.3, 0.1}, {0, 0.2, 0.7}};
  EXPECT_DOUBLE_EQ(ransim::score(ransim::Metric::Accuracy, y, yhat), 2.0 / 3.0);
  // MSE: mean of the 9 squared differences, summed by hand: (0.01+0.01+0.36+0.49+0.01+0.04+0.09) / 9.
  EXPECT_NEAR(ransim::score(ransim::Metric::Mse, y, yhat), 1.01 / 9.0, 1e-15);
  // Memory capacity: an exact output has r^2 = 1 per column; an affine one too; a
  // constant output has no correlation and adds 0. Total 2.
  arma::mat t(50, 3, arma::fill::randn), o = t;
  o.col(1) = 3.0 * t.col(1) + 1.0;
  o.col(2).fill(0.5);
  EXPECT_NEAR(ransim::score(ransim::Metric::MemoryCapacity, t, o), 2.0, 1e-12);
}

}  // namespace
