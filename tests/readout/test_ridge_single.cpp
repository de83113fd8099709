// Ridge statistics in single precision (RidgeAccumulator::set_single_precision, the episode
// runner's readout.statistics = "single"): each block's X^T X summed in float, added into the
// double statistics.
//
// Where the expected numbers come from: the normal equations [X 1]^T [X 1] + lambda I formed
// in double by Armadillo, and the first-order perturbation bound of a linear solve:
// (A + E) w' = b gives |w' - w| <= |E|_2 |w'| / lambda_min(A). E is the float error of the
// blocks' sums: per entry at most (k + 2) u sum_s |x_si x_sj| (k products summed in float, u =
// 2^-24, plus rounding X to float), which bounds |E|_2 <= |E|_F.
#include <gtest/gtest.h>

#include <random>

#include "ransim/error.hpp"
#include "readout/ridge.hpp"
#include "scenario/scenario.hpp"

namespace {

// w from blocks of x's rows, in double or single statistics.
arma::mat fit(const arma::mat& x, const arma::mat& y, std::size_t block, bool single, std::size_t threads,
              double lambda) {
  ransim::RidgeAccumulator acc(x.n_cols, y.n_cols);
  acc.set_single_precision(single);
  for (std::size_t r = 0; r < x.n_rows; r += block)
    acc.add_columns(x.rows(r, r + block - 1).t(), y.rows(r, r + block - 1).t(), threads);
  return acc.solve(lambda);
}

TEST(RidgeSingle, WithinTheFloatErrorBoundOfTheDoubleSolution) {
  const std::size_t f = 300, n = 1600, block = 400;
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  arma::mat x(n, f), y(n, 3);
  for (auto& v : x) v = 0.8 * d(gen) + 0.1;  // tanh-like states
  for (auto& v : y) v = d(gen);
  const double lambda = 10.0;
  const arma::mat ws = fit(x, y, block, true, 1, lambda), wd = fit(x, y, block, false, 1, lambda);

  // The bound: E per entry, summed over the blocks; A as the solve forms it.
  const double u = std::ldexp(1.0, -24);
  const arma::mat ax = arma::abs(x);
  arma::mat e_max(f, f, arma::fill::zeros);
  for (std::size_t r = 0; r < n; r += block) {
    const arma::mat a = ax.rows(r, r + block - 1);
    e_max += static_cast<double>(block + 2) * u * (a.t() * a);
  }
  arma::mat a(f + 1, f + 1);
  a.submat(0, 0, f - 1, f - 1) = x.t() * x + lambda * arma::eye(f, f);
  a.submat(0, f, f - 1, f) = arma::sum(x, 0).t();
  a.submat(f, 0, f, f - 1) = arma::sum(x, 0);
  a(f, f) = static_cast<double>(n);
  const double lambda_min = arma::eig_sym(a).min();
  ASSERT_GT(lambda_min, 0.0);
  const double bound = arma::norm(e_max, "fro") / lambda_min;
  for (arma::uword o = 0; o < 3; ++o) {
    SCOPED_TRACE(o);
    const double diff = arma::norm(ws.col(o) - wd.col(o)) / arma::norm(ws.col(o));
    EXPECT_LE(diff, bound);
    EXPECT_GT(diff, 1e-12);  // float sums do differ from double ones: the option is in effect
    std::printf("[ measured ] output %u: relative change %.3g, bound %.3g\n", static_cast<unsigned>(o), diff,
                bound);
  }
}

TEST(RidgeSingle, SplitUpdateSameBitsOnTwoThreadsAndNearDouble) {
  // Beyond kSplitFeatures the update runs in two parts (two threads when given), in float as
  // in double. The same BLAS calls either way: the same bits. Against double: the relative
  // change of each block's sums is ~sqrt(block) u ~ 1e-6, times the conditioning (lambda_min
  // ~ lambda = 10 against entries ~ n / 3): well under 1e-3 (measured: ~1e-6).
  const std::size_t f = ransim::RidgeAccumulator::kSplitFeatures + 13, n = 1200, block = 400;
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  arma::mat x(n, f), y(n, 2);
  for (auto& v : x) v = 0.8 * d(gen) + 0.1;
  for (auto& v : y) v = d(gen);
  const arma::mat one = fit(x, y, block, true, 1, 10.0), two = fit(x, y, block, true, 2, 10.0);
  EXPECT_TRUE(arma::approx_equal(one, two, "absdiff", 0.0));
  const arma::mat wd = fit(x, y, block, false, 1, 10.0);
  const double diff = arma::abs(one - wd).max() / arma::abs(wd).max();
  EXPECT_LT(diff, 1e-3);
  EXPECT_GT(diff, 1e-12);
  std::printf("[ measured ] split update: relative change %.3g\n", diff);
}

TEST(RidgeSingle, FewFeaturesTakeTheOnePartUpdate) {
  // Below kSplitFeatures one syrk per block; the bound as above with a looser constant check:
  // an exact linear map is recovered to float accuracy, not double.
  const std::size_t f = 40, n = 3000;
  std::mt19937_64 gen(6);
  std::normal_distribution<double> d(0.0, 1.0);
  arma::mat x(n, f);
  for (auto& v : x) v = d(gen);
  arma::mat w_true(f, 2);
  for (auto& v : w_true) v = d(gen);
  const arma::mat y = x * w_true;
  ransim::RidgeAccumulator acc(f, 2);
  acc.set_single_precision(true);
  for (std::size_t r = 0; r < n; r += 500) acc.add(x.rows(r, r + 499), y.rows(r, r + 499));
  const arma::mat w = acc.solve(0.0);
  // X^T X ~ n I here (well conditioned): the relative error stays near sqrt(block) u ~ 1e-6;
  // a double sum would reach ~1e-13 (Ridge.ZeroLambdaRecoversExactLinearMap).
  const double err = arma::abs(w.rows(0, f - 1) - w_true).max() / arma::abs(w_true).max();
  EXPECT_LT(err, 1e-4);
  EXPECT_GT(err, 1e-10);
}

}  // namespace

namespace {

// readout.statistics: "double" or "single"; "single" only where the episode runner reads it.
std::string parse_error(const std::string& task_and_readout) {
  const std::string text =
      "[population.res]\nkind = \"leaky\"\nsize = 10\n[[projection]]\nfrom = \"input\"\nto = \"res\"\n" +
      task_and_readout;
  try {
    ransim::parse_scenario(text, "s.toml");
  } catch (const ransim::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RidgeSingle, StatisticsKeyIsCheckedWhereItIsRead) {
  EXPECT_EQ(parse_error("[task]\nkind = \"fashion_mnist\"\n[readout]\nstatistics = \"single\"\n"), "");
  const std::string stream = parse_error("[task]\nkind = \"narma10\"\n[readout]\nstatistics = \"single\"\n");
  EXPECT_NE(stream.find("s.toml:10:14"), std::string::npos) << stream;  // the value's line and column
  EXPECT_NE(stream.find("applies to episode tasks"), std::string::npos) << stream;
  EXPECT_NE(parse_error("[task]\nkind = \"narma10\"\n[readout]\nstatistics = \"half\"\n")
                .find("\"double\" | \"single\""),
            std::string::npos);
}

}  // namespace
