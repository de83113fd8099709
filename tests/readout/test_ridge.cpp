// The readout's ridge regression (one-shot and accumulated in blocks).
//
// Expected numbers come from closed forms derived in the comments (one-feature ridge with an
// unpenalised bias), from centred normal equations solved by Armadillo, or from exactly
// representable linear maps.
#include <gtest/gtest.h>

#include <armadillo>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "ransim/error.hpp"
#include "readout/ridge.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// Ridge regression.
// ---------------------------------------------------------------------------------------

TEST(Ridge, OneFeatureClosedForm) {
  // Minimise L(w, b) = sum_i (y_i - w x_i - b)^2 + lambda w^2 (bias not penalised).
  //   dL/db = 0:  sum_i (y_i - w x_i - b) = 0            =>  b = ybar - w xbar.
  //   dL/dw = 0:  sum_i x_i (y_i - w x_i - b) = lambda w.
  // Substituting b: sum_i x_i ((y_i - ybar) - w (x_i - xbar)) = lambda w, and since
  // sum_i xbar (y_i - ybar) = 0 = sum_i xbar (x_i - xbar) this is Sxy - w Sxx = lambda w with
  // the centred sums Sxy = sum (x_i - xbar)(y_i - ybar), Sxx = sum (x_i - xbar)^2:
  //   w = Sxy / (Sxx + lambda),  b = ybar - w xbar.
  const std::vector<double> xs = {0.5, 1.5, -2.0, 3.0, 4.25, -1.0, 2.2};
  const std::vector<double> ys = {1.0, 2.5, -3.0, 4.0, 7.0, 0.5, 1.1};
  const double n = static_cast<double>(xs.size());
  double xbar = 0, ybar = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) xbar += xs[i] / n, ybar += ys[i] / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    sxx += (xs[i] - xbar) * (xs[i] - xbar);
    sxy += (xs[i] - xbar) * (ys[i] - ybar);
  }
  const arma::mat x = arma::mat(xs), y = arma::mat(ys);  // 7 x 1 each
  for (double lambda : {0.0, 0.7, 25.0}) {
    const arma::mat w = ransim::ridge_fit(x, y, lambda);
    ASSERT_EQ(w.n_rows, 2u);
    ASSERT_EQ(w.n_cols, 1u);
    const double w_ref = sxy / (sxx + lambda), b_ref = ybar - w_ref * xbar;
    EXPECT_NEAR(w(0, 0), w_ref, 1e-12) << "lambda " << lambda;
    EXPECT_NEAR(w(1, 0), b_ref, 1e-12) << "lambda " << lambda;  // bias is the last row
  }
}

TEST(Ridge, ZeroLambdaRecoversExactLinearMap) {
  // Y = X A + 1 c exactly (no noise): least squares with lambda = 0 returns [A; c].
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  arma::mat x(60, 4), a(4, 2);
  for (auto& v : x) v = d(gen);
  for (auto& v : a) v = d(gen);
  const arma::rowvec c = {0.75, -2.5};
  arma::mat y = x * a;
  y.each_row() += c;
  const arma::mat w = ransim::ridge_fit(x, y, 0.0);
  ASSERT_EQ(w.n_rows, 5u);
  ASSERT_EQ(w.n_cols, 2u);
  EXPECT_LT(arma::abs(w.rows(0, 3) - a).max(), 1e-10);
  EXPECT_LT(arma::abs(w.row(4) - c).max(), 1e-10);
  // ridge_predict is [X 1] W: against plain loops.
  const arma::mat p = ransim::ridge_predict(w, x);
  for (std::size_t i = 0; i < 60; ++i)
    for (std::size_t o = 0; o < 2; ++o) {
      double s = w(4, o);
      for (std::size_t j = 0; j < 4; ++j) s += x(i, j) * w(j, o);
      ASSERT_NEAR(p(i, o), s, 1e-12);
      ASSERT_NEAR(p(i, o), y(i, o), 1e-9);
    }
}

TEST(Ridge, MatchesCentredNormalEquations) {
  // With an unpenalised bias the general solution is W_x = (Xc^T Xc + lambda I)^-1 Xc^T Yc
  // on centred data, b = ybar - xbar W_x (the one-feature derivation above, in matrix form).
  std::mt19937_64 gen(2);
  std::normal_distribution<double> d(0.0, 1.0);
  arma::mat x(80, 5), y(80, 3);
  for (auto& v : x) v = d(gen) + 2.0;  // far from centred, so a wrong bias would show
  for (auto& v : y) v = d(gen) - 1.0;
  const double lambda = 3.0;
  const arma::rowvec xbar = arma::mean(x, 0), ybar = arma::mean(y, 0);
  const arma::mat xc = x.each_row() - xbar, yc = y.each_row() - ybar;
  const arma::mat wx = arma::solve(xc.t() * xc + lambda * arma::eye(5, 5), xc.t() * yc);
  const arma::rowvec b = ybar - xbar * wx;
  const arma::mat w = ransim::ridge_fit(x, y, lambda);
  EXPECT_LT(arma::abs(w.rows(0, 4) - wx).max(), 1e-10);
  EXPECT_LT(arma::abs(w.row(5) - b).max(), 1e-10);
}

TEST(Ridge, BlockAccumulationEqualsOneShot) {
  // X^T X and X^T Y are sums over samples, so adding blocks of rows gives the same
  // statistics up to the order of summation (round-off).
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  arma::mat x(100, 6), y(100, 2);
  for (auto& v : x) v = d(gen);
  for (auto& v : y) v = d(gen);
  const double lambda = 1e-3;
  const arma::mat one = ransim::ridge_fit(x, y, lambda);
  ransim::RidgeAccumulator acc(6, 2);
  std::size_t r = 0;
  for (std::size_t len : {7u, 13u, 1u, 39u, 40u}) {
    acc.add(x.rows(r, r + len - 1), y.rows(r, r + len - 1));
    r += len;
  }
  ASSERT_EQ(r, 100u);
  EXPECT_EQ(acc.samples(), 100u);
  EXPECT_LT(arma::abs(acc.solve(lambda) - one).max(), 1e-12);
}

TEST(Ridge, ManyFeaturesSplitUpdateMatchesCentredNormalEquations) {
  // From kSplitFeatures on, X^T X is updated in two parts (two threads when given). Reference:
  // the centred normal equations of MatchesCentredNormalEquations, with the products formed by
  // Armadillo. One thread and two must give the same bits: the same BLAS calls either way.
  // Samples as rows (add) and as columns (add_columns) reach BLAS with different strides and
  // transposes; both are checked.
  const std::size_t f = ransim::RidgeAccumulator::kSplitFeatures + 77, n = 300;
  std::mt19937_64 gen(4);
  std::normal_distribution<double> d(0.0, 1.0);
  arma::mat x(n, f), y(n, 2);
  for (auto& v : x) v = d(gen) + 0.5;
  for (auto& v : y) v = d(gen);
  const double lambda = 2.0;
  const arma::rowvec xbar = arma::mean(x, 0), ybar = arma::mean(y, 0);
  const arma::mat xc = x.each_row() - xbar, yc = y.each_row() - ybar;
  const arma::mat wx = arma::solve(xc.t() * xc + lambda * arma::eye(f, f), xc.t() * yc);
  for (bool columns : {true, false}) {
    SCOPED_TRACE(columns ? "add_columns" : "add");
    arma::mat w[2];
    for (std::size_t threads : {1u, 2u}) {
      ransim::RidgeAccumulator acc(f, 2);
      for (std::size_t r = 0; r < n; r += 100) {  // blocks, as the episode runner adds them
        if (columns) acc.add_columns(x.rows(r, r + 99).t(), y.rows(r, r + 99).t(), threads);
        else acc.add(x.rows(r, r + 99), y.rows(r, r + 99), threads);
      }
      w[threads - 1] = acc.solve(lambda);
    }
    EXPECT_LT(arma::abs(w[0].rows(0, f - 1) - wx).max(), 1e-10 * arma::abs(wx).max());
    EXPECT_LT(arma::abs(w[0].row(f) - (ybar - xbar * wx)).max(), 1e-10);
    EXPECT_TRUE(arma::approx_equal(w[0], w[1], "absdiff", 0.0));
  }
}

TEST(Ridge, BiasIsNotShrunk) {
  // lambda -> infinity: w = Sxy / (Sxx + lambda) -> 0 while b = ybar - w xbar -> ybar.
  // Were the bias penalised, b would go to 0 as well.
  std::mt19937_64 gen(4);
  std::normal_distribution<double> d(0.0, 1.0);
  arma::mat x(50, 3), y(50, 1);
  for (auto& v : x) v = d(gen) + 1.0;
  for (std::size_t i = 0; i < 50; ++i) y(i, 0) = 3.7 + x(i, 0) - 0.5 * x(i, 2) + 0.1 * d(gen);
  const arma::mat w = ransim::ridge_fit(x, y, 1e12);
  // |w| <= |Xc^T yc| / lambda ~ 1e2 / 1e12.
  EXPECT_LT(arma::abs(w.rows(0, 2)).max(), 1e-9);
  EXPECT_NEAR(w(3, 0), arma::mean(y.col(0)), 1e-8);
  EXPECT_GT(std::abs(arma::mean(y.col(0))), 1.0);
}

TEST(Ridge, ErrorsWithoutSamplesOrOnShapeMismatch) {
  ransim::RidgeAccumulator acc(3, 1);
  EXPECT_THROW(acc.solve(1.0), ransim::RunError);
  EXPECT_THROW(acc.add(arma::mat(5, 2, arma::fill::ones), arma::mat(5, 1, arma::fill::ones)),
               std::logic_error);
  EXPECT_THROW(acc.add(arma::mat(5, 3, arma::fill::ones), arma::mat(4, 1, arma::fill::ones)),
               std::logic_error);
  EXPECT_THROW(acc.add_columns(arma::mat(3, 5, arma::fill::ones), arma::mat(1, 4, arma::fill::ones)),
               std::logic_error);
}

// ---------------------------------------------------------------------------------------
// Choosing lambda on validation samples.
// ---------------------------------------------------------------------------------------

// The validation score of one separate fit per lambda: the (features + 1) normal equations with
// the bias unpenalised, built and solved here by arma::solve (not through RidgeAccumulator).
double naive_validation_score(const arma::mat& x, const arma::mat& y, const arma::mat& xv,
                              const arma::mat& yv, double lambda, ransim::Metric metric) {
  arma::mat xa = arma::join_horiz(x, arma::ones(x.n_rows, 1));
  arma::mat a = xa.t() * xa;
  for (arma::uword i = 0; i < x.n_cols; ++i) a(i, i) += lambda;
  const arma::mat w = arma::solve(a, xa.t() * y);
  const arma::mat yhat = arma::join_horiz(xv, arma::ones(xv.n_rows, 1)) * w;
  return ransim::score(metric, yv, yhat);
}

struct SelectionData {
  arma::mat x, y, xv, yv;
};

// Noisy linear targets of correlated features, so that the validation score has an interior
// optimum over lambda.
void check_selection_against_naive_fits(std::size_t outputs);

SelectionData selection_data(std::size_t train, std::size_t validation, std::size_t features,
                             std::size_t outputs, double noise) {
  std::mt19937_64 gen(7);
  std::normal_distribution<double> nd(0.0, 1.0);
  arma::mat mix(features, features), a(features, outputs);
  for (auto& v : mix) v = nd(gen);
  for (auto& v : a) v = nd(gen);
  auto draw = [&](std::size_t n, arma::mat& x, arma::mat& y) {
    x.set_size(n, features);
    for (auto& v : x) v = nd(gen);
    x = x * mix + 0.5;  // correlated, not centred
    y.set_size(n, outputs);
    for (auto& v : y) v = noise * nd(gen);
    y += x * a + 1.5;
  };
  SelectionData d;
  draw(train, d.x, d.y);
  draw(validation, d.xv, d.yv);
  return d;
}

void check_selection_against_naive_fits(std::size_t outputs) {
  SCOPED_TRACE(std::to_string(outputs) + " outputs");
  const SelectionData d = selection_data(60, 40, 20, outputs, 3.0);
  ransim::RidgeAccumulator acc(20, outputs);
  acc.add(d.x.rows(0, 24), d.y.rows(0, 24));  // in two blocks, as a run adds them
  acc.add(d.x.rows(25, 59), d.y.rows(25, 59));
  const std::vector<double>& grid = ransim::ridge_auto_grid();
  for (ransim::Metric metric : {ransim::Metric::Nrmse, ransim::Metric::Mse, ransim::Metric::MemoryCapacity}) {
    const ransim::RidgeSelection sel = acc.select(grid, d.xv.t(), d.yv.t(), metric);
    ASSERT_EQ(sel.scores.size(), grid.size());
    std::vector<double> naive;
    for (double lambda : grid) naive.push_back(naive_validation_score(d.x, d.y, d.xv, d.yv, lambda, metric));
    std::size_t best = 0;
    for (std::size_t i = 0; i < grid.size(); ++i) {
      EXPECT_NEAR(sel.scores[i], naive[i], 1e-10 * std::abs(naive[i]))
          << ransim::metric_name(metric) << " " << grid[i];
      if (ransim::higher_is_better(metric) ? naive[i] > naive[best] : naive[i] < naive[best]) best = i;
    }
    EXPECT_EQ(sel.lambda, grid[best]) << ransim::metric_name(metric);
    EXPECT_EQ(sel.score, sel.scores[best]);
    // Not at the end of the grid: the noise makes a real choice of it.
    EXPECT_GT(best, 0u);
    EXPECT_LT(best, grid.size() - 1);
  }
}

// One output scores each candidate's weights on the samples; three (x 25 candidates > 40
// samples) rotate the samples once instead (ridge.cpp): both against the naive fits.
TEST(RidgeSelection, EveryCandidateScoresAsASeparateFitDoes) {
  for (std::size_t outputs : {1u, 3u}) check_selection_against_naive_fits(outputs);
}

TEST(RidgeSelection, TiesGoToTheLargerLambdaAndTheGridIsTheDocumentedOne) {
  const std::vector<double>& grid = ransim::ridge_auto_grid();
  ASSERT_EQ(grid.size(), 25u);
  EXPECT_DOUBLE_EQ(grid.front(), 1e-10);
  EXPECT_DOUBLE_EQ(grid.back(), 1e2);
  EXPECT_NEAR(grid[1] / grid[0], std::sqrt(10.0), 1e-12);
  // Two well separated classes: every small lambda classifies all validation samples.
  arma::mat x(40, 2), y(40, 2, arma::fill::zeros);
  for (arma::uword i = 0; i < 40; ++i) {
    const bool one = i % 2;
    x(i, 0) = (one ? 3.0 : -3.0) + 0.01 * static_cast<double>(i);
    x(i, 1) = 0.1 * static_cast<double>(i % 5);
    y(i, one ? 1 : 0) = 1;
  }
  ransim::RidgeAccumulator acc(2, 2);
  acc.add(x.rows(0, 29), y.rows(0, 29));
  const auto sel =
      acc.select({1e-6, 1e-3, 1e-4}, x.rows(30, 39).t(), y.rows(30, 39).t(), ransim::Metric::Accuracy);
  EXPECT_EQ(sel.score, 1.0);
  EXPECT_EQ(sel.lambda, 1e-3);
}

TEST(RidgeSelection, ErrorsWithoutValidationSamplesOrFiniteScores) {
  const SelectionData d = selection_data(30, 10, 4, 1, 0.1);
  ransim::RidgeAccumulator empty(4, 1);
  EXPECT_THROW(empty.select({1.0}, d.xv.t(), d.yv.t(), ransim::Metric::Nrmse), ransim::RunError);
  ransim::RidgeAccumulator acc(4, 1);
  acc.add(d.x, d.y);
  EXPECT_THROW(acc.select({1.0}, arma::mat(4, 0), arma::mat(1, 0), ransim::Metric::Nrmse), ransim::RunError);
  EXPECT_THROW(acc.select({1.0}, arma::mat(3, 5), arma::mat(1, 5), ransim::Metric::Nrmse), std::logic_error);
  arma::mat bad = d.xv.t();
  bad(0, 0) = NAN;  // a diverged validation state: no finite score
  EXPECT_THROW(acc.select({1e-3, 1.0}, bad, d.yv.t(), ransim::Metric::Nrmse), ransim::RunError);
}

}  // namespace
