// Readout (ridge regression, NRMSE) and task generator tests.
//
// Expected numbers come from closed forms derived in the comments (one-feature ridge with an
// unpenalised bias, hand-computed NRMSE), from independent naive implementations written
// here (a fine-step Mackey-Glass integrator, the NARMA-10 recurrence, centred normal
// equations), or from exactly representable linear maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "ransim/params.hpp"
#include "readout/ridge.hpp"
#include "ransim/rng.hpp"
#include "tasks/tasks.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// 9. Ridge regression.
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
// 10. NRMSE.
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

// ---------------------------------------------------------------------------------------
// 11. Mackey-Glass against a fine-step naive integrator.
// ---------------------------------------------------------------------------------------

// Independent reference: dx/dt = beta x(t-tau) / (1 + x(t-tau)^n) - gamma x(t), constant
// history x0 on [-tau, 0], classic RK4 at step h with the delayed value at half steps
// linearly interpolated (second-order, fine at h = 5e-4). Returns x(1), x(2), ..., x(count).
std::vector<double> mackey_glass_reference(double h, std::size_t count) {
  const double tau = 17, beta = 0.2, gamma = 0.1, n = 10, x0 = 1.2;
  const std::size_t d = static_cast<std::size_t>(std::lround(tau / h));
  const std::size_t every = static_cast<std::size_t>(std::lround(1.0 / h));
  std::vector<double> x(d + 1, x0);  // x[i] = x(i h - tau)
  auto f = [&](double xv, double xd) { return beta * xd / (1 + std::pow(xd, n)) - gamma * xv; };
  std::vector<double> out;
  for (std::size_t i = 1; out.size() < count; ++i) {
    const std::size_t now = x.size() - 1, j = now - d;
    const double xv = x[now], xd0 = x[j], xd2 = x[j + 1], xd1 = 0.5 * (xd0 + xd2);
    const double k1 = f(xv, xd0);
    const double k2 = f(xv + 0.5 * h * k1, xd1);
    const double k3 = f(xv + 0.5 * h * k2, xd1);
    const double k4 = f(xv + h * k3, xd2);
    x.push_back(xv + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4));
    if (i % every == 0) out.push_back(x.back());
  }
  return out;
}

double max_error(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k)
    e = std::max(e, std::abs(a[k] - b[k]));
  return e;
}

TEST(MackeyGlass, MatchesFineStepReference) {
  // Reference accuracy: |ref(1e-3) - ref(5e-4)| = 1.6e-8 over these 300 time units, so
  // ref(5e-4) is within ~1e-8 of the exact solution.
  // Observed ransim error at h = 0.1: 7.6e-8 (max over samples 1..300); the bound 2e-7 is
  // that plus the reference's own error, with a margin.
  // Order: RK4 with cubic interpolation of the delayed value, one-sided at the history's kink
  // at t = 0. Self-convergence over h = 0.1, 0.05, 0.025: at x(300) successive differences
  // shrink by 16 (2.4e-8, 1.5e-9, 9.4e-11); the maximum over all samples shrinks by 8,
  // third order, because x'' also jumps (at t = tau) and the interpolation crosses that
  // jump. The test asserts > 6. (Before the t = 0 kink was handled the ratio was 4.)
  const std::size_t count = 300;
  const std::vector<double> ref = mackey_glass_reference(5e-4, count);
  ransim::MackeyGlass mg;
  mg.transient = 0;
  mg.h = 0.1;
  const std::vector<double> s1 = mg.series(count);
  mg.h = 0.05;
  const std::vector<double> s2 = mg.series(count);
  mg.h = 0.025;
  const std::vector<double> s3 = mg.series(count);
  ASSERT_EQ(s1.size(), count);
  ASSERT_EQ(s2.size(), count);
  EXPECT_LT(max_error(s1, ref), 2e-7);
  EXPECT_GT(max_error(s1, s2) / max_error(s2, s3), 6.0);
  // The samples are x(1), x(2), ...: shifted by one sample they disagree by O(0.1).
  EXPECT_GT(max_error(std::vector<double>(s1.begin(), s1.end() - 1),
                      std::vector<double>(ref.begin() + 1, ref.end())),
            1e-2);
  // The series is non-trivial (chaotic regime, roughly 0.4 .. 1.3 on the attractor).
  const auto [lo, hi] = std::minmax_element(s1.begin(), s1.end());
  EXPECT_LT(*lo, 0.6);
  EXPECT_GT(*hi, 1.2);
}

TEST(MackeyGlass, TransientDropsLeadingSamples) {
  // With transient T (a multiple of sample_every) the series is the transient-free series
  // without its first T / sample_every samples: the same arithmetic, so exactly equal.
  ransim::MackeyGlass mg;
  mg.transient = 0;
  const std::vector<double> full = mg.series(150);
  mg.transient = 100;
  const std::vector<double> tail = mg.series(50);
  ASSERT_EQ(tail.size(), 50u);
  for (std::size_t k = 0; k < 50; ++k) EXPECT_EQ(tail[k], full[k + 100]) << "sample " << k;
}

TEST(MackeyGlass, StepMustDivideTau) {
  ransim::MackeyGlass mg;
  mg.h = 0.3;  // 17 / 0.3 is not whole
  EXPECT_THROW(mg.series(10), ransim::InputError);
}

TEST(MackeyGlass, TaskLayoutInputAndHorizonTarget) {
  // Lane 0 of the task uses the unperturbed history: input[k] = x(k+1) and
  // target[k] = input[k + horizon] with normalize = "none" (Sequences layout [k][lane][dim]).
  const ransim::TaskInfo* info = ransim::find_task("mackey_glass");
  ASSERT_NE(info, nullptr);
  ransim::Params p = ransim::defaults(info->params);
  p.set("normalize", std::string("none"));
  p.set("horizon", std::int64_t{3});
  p.set("transient", 0.0);
  p.set("warmup", std::int64_t{10});
  p.set("train", std::int64_t{40});
  p.set("test", std::int64_t{30});
  const auto task = info->create(p);
  ransim::Rng rng = ransim::make_rng(1, "task");
  const std::size_t lanes = 2;
  const ransim::Sequences s = task->generate(lanes, rng);
  ASSERT_EQ(s.steps, 80u);
  ASSERT_EQ(s.input.size(), 80u * lanes);
  ransim::MackeyGlass mg;
  mg.transient = 0;
  const std::vector<double> x = mg.series(83);
  for (std::size_t k = 0; k < s.steps; ++k) {
    EXPECT_EQ(*s.input_at(k, 0), x[k]);
    EXPECT_EQ(*s.target_at(k, 0), x[k + 3]);
    if (k + 3 < s.steps) {
      EXPECT_EQ(*s.target_at(k, 1), *s.input_at(k + 3, 1));
    }
  }
  EXPECT_NE(*s.input_at(60, 1), *s.input_at(60, 0));  // lane 1: another initial history
}

// ---------------------------------------------------------------------------------------
// 12. NARMA-10.
// ---------------------------------------------------------------------------------------

// The NARMA-10 recurrence (Atiya & Parlos 2000) with y[k] the target for input u[k]:
//   y[k] = 0.3 y[k-1] + 0.05 y[k-1] sum_{i<10} y[k-1-i] + 1.5 u[k-9] u[k] + 0.1.
void expect_narma10(const std::vector<double>& u, const std::vector<double>& y) {
  ASSERT_EQ(u.size(), y.size());
  for (double v : u) ASSERT_TRUE(v >= 0.0 && v <= 0.5) << v;
  for (std::size_t k = 10; k < y.size(); ++k) {
    double s = 0;
    for (std::size_t i = 0; i < 10; ++i) s += y[k - 1 - i];
    const double expect = 0.3 * y[k - 1] + 0.05 * y[k - 1] * s + 1.5 * u[k - 9] * u[k] + 0.1;
    ASSERT_NEAR(y[k], expect, 1e-12) << "k " << k;
  }
}

TEST(Narma10, SatisfiesRecurrence) {
  ransim::Rng rng = ransim::make_rng(42, "task");
  const auto [u, y] = ransim::narma10(2000, rng);
  ASSERT_EQ(u.size(), 2000u);
  expect_narma10(u, y);
  // u ~ U(0, 0.5): mean 0.25, sd 0.144; over 2000 draws the mean is within 5 * 0.0032.
  double mean = 0;
  for (double v : u) mean += v / 2000.0;
  EXPECT_NEAR(mean, 0.25, 0.017);
  // The input matters: y[k] - 0.1 - (AR part) = 1.5 u[k-9] u[k] is not constant.
  const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
  EXPECT_GT(*hi - *lo, 0.1);
}

TEST(Narma10, TaskLanesAreIndependentNarmaSequences) {
  const ransim::TaskInfo* info = ransim::find_task("narma10");
  ASSERT_NE(info, nullptr);
  ransim::Params p = ransim::defaults(info->params);
  p.set("warmup", std::int64_t{20});
  p.set("train", std::int64_t{200});
  p.set("test", std::int64_t{100});
  const auto task = info->create(p);
  ransim::Rng rng = ransim::make_rng(3, "task");
  const std::size_t lanes = 3;
  const ransim::Sequences s = task->generate(lanes, rng);
  ASSERT_EQ(s.steps, 320u);
  for (std::size_t b = 0; b < lanes; ++b) {
    std::vector<double> u, y;
    for (std::size_t k = 0; k < s.steps; ++k) {
      u.push_back(*s.input_at(k, b));
      y.push_back(*s.target_at(k, b));
    }
    SCOPED_TRACE("lane " + std::to_string(b));
    expect_narma10(u, y);
  }
  EXPECT_NE(*s.input_at(5, 0), *s.input_at(5, 1));
}

}  // namespace
