// Online readouts: recursive least squares against its closed form, the scenario keys of
// readout.kind = "rls" | "force", and the session learning token by token.
#include <gtest/gtest.h>

#include <cmath>

#include "io/layout.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "readout/online.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

using namespace ransim;
using ransim::test::input_error;

namespace {

double rel(const arma::mat& a, const arma::mat& b) { return arma::abs(a - b).max() / arma::abs(b).max(); }

// Closed form of RLS after updates t = 1..n with blocks A_t = [X_t 1] (samples as rows):
// W = (lambda^n alpha I + sum_t lambda^(n-t) A_t^T A_t)^-1 sum_t lambda^(n-t) A_t^T Y_t.
arma::mat batch_solution(const std::vector<arma::mat>& xs, const std::vector<arma::mat>& ys, double lambda,
                         double alpha) {
  const std::size_t n = xs.size(), f = xs[0].n_cols + 1;
  arma::mat lhs = std::pow(lambda, static_cast<double>(n)) * alpha * arma::eye(f, f);
  arma::mat rhs(f, ys[0].n_cols, arma::fill::zeros);
  for (std::size_t t = 0; t < n; ++t) {
    const arma::mat a = arma::join_rows(xs[t], arma::ones(xs[t].n_rows));
    const double weight = std::pow(lambda, static_cast<double>(n - 1 - t));
    lhs += weight * a.t() * a;
    rhs += weight * a.t() * ys[t];
  }
  return arma::solve(lhs, rhs);
}

struct Blocks {
  std::vector<arma::mat> xs, ys;
};

Blocks random_blocks(std::size_t updates, std::size_t lanes, std::size_t features, std::size_t outputs) {
  arma::arma_rng::set_seed(7);
  Blocks b;
  const arma::mat w_true = arma::randn(features, outputs);
  for (std::size_t t = 0; t < updates; ++t) {
    b.xs.push_back(arma::randn(lanes, features));
    b.ys.push_back(b.xs.back() * w_true + 0.3 * arma::randn(lanes, outputs) + 0.5);
  }
  return b;
}

arma::mat run_rls(const Blocks& b, double lambda, double alpha) {
  RecursiveLeastSquares rls(b.xs[0].n_cols, b.ys[0].n_cols, lambda, alpha);
  for (std::size_t t = 0; t < b.xs.size(); ++t) rls.update(b.xs[t].t(), b.ys[t].t());
  EXPECT_EQ(rls.updates(), b.xs.size());
  return rls.weights();
}

TEST(RecursiveLeastSquares, WithoutForgettingIsTheAlphaRegularisedBatchSolution) {
  // (A^T A + alpha I) W = A^T Y over every sample of every update, the bias column included.
  const Blocks b = random_blocks(60, 3, 8, 2);
  for (double alpha : {1e-2, 1.0, 30.0})
    EXPECT_LT(rel(run_rls(b, 1.0, alpha), batch_solution(b.xs, b.ys, 1.0, alpha)), 1e-8) << alpha;
}

TEST(RecursiveLeastSquares, ForgettingWeighsOldUpdatesByPowersOfLambda) {
  const Blocks b = random_blocks(80, 2, 6, 1);
  for (double lambda : {0.99, 0.9})
    EXPECT_LT(rel(run_rls(b, lambda, 0.5), batch_solution(b.xs, b.ys, lambda, 0.5)), 1e-8) << lambda;
}

TEST(RecursiveLeastSquares, OneUpdatePerLaneEqualsOneBlockWithoutForgetting) {
  // The block update of the lanes of one token equals the lanes one after another (lambda = 1).
  const Blocks b = random_blocks(20, 4, 5, 1);
  RecursiveLeastSquares rows(5, 1, 1.0, 1.0);
  for (std::size_t t = 0; t < b.xs.size(); ++t)
    for (arma::uword r = 0; r < b.xs[t].n_rows; ++r) rows.update(b.xs[t].row(r).t(), b.ys[t].row(r).t());
  EXPECT_LT(rel(rows.weights(), run_rls(b, 1.0, 1.0)), 1e-10);
  EXPECT_LT(
      rel(rows.predict(b.xs[0].t()), rows.weights().rows(0, 4).t() * b.xs[0].t() + rows.weights()(5, 0)),
      1e-14);
}

// The shared small reservoir: 20 leaky units (tau = 2), NARMA-10, 20 + 150 + 50 tokens.
std::string reservoir(const std::string& simulation = "") {
  return ransim::test::small_reservoir({"narma10", 20, 150, 50, 20, simulation, "tau = 2.0\n"});
}

TEST(OnlineScenario, KeysAreCheckedWithClearMessages) {
  auto error = [](const std::string& readout) {
    return input_error([&] { parse_scenario(reservoir() + "[readout]\n" + readout, "s.toml"); });
  };
  EXPECT_NE(
      error("kind = \"rls\"\nforgetting = 0")
          .find("s.toml:20:14: readout.forgetting: expected a real number in (0, 1], found the integer 0"),
      std::string::npos)
      << error("kind = \"rls\"\nforgetting = 0");
  EXPECT_NE(error("kind = \"rls\"\nforgetting = 1.5").find("in (0, 1], found the number 1.5"),
            std::string::npos);
  EXPECT_NE(error("kind = \"force\"")
                .find("s.toml:19:8: readout.kind: \"force\" feeds the readout's output back "
                      "into a population: set readout.feedback_to"),
            std::string::npos)
      << error("kind = \"force\"");
  EXPECT_NE(error("kind = \"force\"\nfeedback_to = \"nope\"").find("no population named 'nope'"),
            std::string::npos);
  EXPECT_NE(error("feedback_to = \"res\"").find("applies to kind = \"force\" only"), std::string::npos);
  EXPECT_NE(error("kind = \"rls\"\nridge = \"auto\"").find("readout.ridge: a list or \"auto\""),
            std::string::npos);
  EXPECT_NE(error("kind = \"lms\"").find("readout.kind: expected one of"), std::string::npos);
  EXPECT_EQ(error("kind = \"force\"\nfeedback_to = \"res\""), "(no error)");
  const std::string episodes = input_error([] {
    parse_scenario("[task]\nkind = \"copy\"\n[population.res]\nkind = \"leaky\"\n[readout]\nkind = \"rls\"\n",
                   "e.toml");
  });
  EXPECT_NE(episodes.find("learns token by token on stream tasks"), std::string::npos) << episodes;
}

// The session's rls readout, recorded, against the closed form on the recorded states: every
// training token (all lanes) of update t = learn_every * i from the start of training.
void expect_session_matches_closed_form(std::size_t learn_every) {
  const std::string out = ransim::test::tmp_path("rls.h5");
  const Scenario sc = parse_scenario(
      reservoir("lanes = 2\n") +
          "[readout]\nkind = \"rls\"\nalpha = 0.1\nlearn_every = " + std::to_string(learn_every) + "\n",
      "s.toml");
  {
    SessionOptions opts;
    opts.out = out;
    Session s(sc, opts);
    while (s.step()) {
    }
    s.finish();
    EXPECT_EQ(s.status(), RunStatus::Complete);
    EXPECT_TRUE(s.readout_trained());
  }
  const Array states =
      read_hdf5_array(out, layout::series_data(layout::processing::variable("res", "state")));
  const Array targets = read_hdf5_array(out, layout::series_data(layout::acquisition::kTarget));
  const Array weights = read_hdf5_array(out, layout::network::kReadoutWeights);
  const std::size_t lanes = 2, units = 20;
  ASSERT_EQ(states.shape, (std::vector<std::size_t>{220, lanes, units}));
  std::vector<arma::mat> xs, ys;
  for (std::size_t k = 20; k < 170; k += learn_every) {
    arma::mat x(lanes, units), y(lanes, 1);
    for (std::size_t b = 0; b < lanes; ++b) {
      for (std::size_t v = 0; v < units; ++v) x(b, v) = states.values[(k * lanes + b) * units + v];
      y(b, 0) = targets.values[k * lanes + b];
    }
    xs.push_back(x);
    ys.push_back(y);
  }
  const arma::mat w(weights.values);
  EXPECT_LT(rel(w, batch_solution(xs, ys, 1.0, 0.1)), 1e-8) << learn_every;
}

TEST(OnlineSession, RlsWeightsAreTheBatchSolutionOfTheTrainingTokens) {
  expect_session_matches_closed_form(1);
  expect_session_matches_closed_form(3);
}

TEST(OnlineSession, LearningSwitchedOffKeepsTheWeights) {
  const Scenario sc = parse_scenario(reservoir() + "[readout]\nkind = \"rls\"\n", "s.toml");
  Session s(sc);
  for (int k = 0; k < 60; ++k) s.step();
  EXPECT_TRUE(s.learning());
  const OnlineReadout& online = *s.online_readout();
  EXPECT_EQ(online.rls().updates(), 60u - 20u);  // tokens 20..59 of training so far
  s.set_learning(false);
  EXPECT_FALSE(s.learning());
  EXPECT_TRUE(online.learning());  // until the next step
  const arma::mat w = online.rls().weights();
  for (int k = 0; k < 30; ++k) s.step();  // tokens 60..89: training tokens, learning off
  EXPECT_EQ(online.rls().updates(), 40u);
  EXPECT_TRUE(arma::approx_equal(online.rls().weights(), w, "absdiff", 0.0));
  s.set_learning(true);
  while (s.step()) {
  }
  EXPECT_EQ(online.rls().updates(), 40u + (170u - 90u));  // on again until the end of training
  s.finish();
  EXPECT_EQ(s.status(), RunStatus::Complete);
  const Scenario ridge = parse_scenario(reservoir(), "s.toml");
  Session r(ridge);
  EXPECT_NE(input_error([&] { r.set_learning(false); }).find("is fitted once"), std::string::npos);
}

// The Done-when line: FORCE learns the sum of sines and, learning off, keeps producing
// it: test NRMSE <= 0.1 over 1000 free-running tokens (scenarios/force_sines.toml).
TEST(OnlineSession, ForceGeneratesTheSumOfSinesWithLearningOff) {
  Session s(load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/force_sines.toml"));
  const std::size_t in = s.sequences().input_dim, train_end = s.protocol().warmup + s.protocol().train;
  ASSERT_EQ(s.protocol().test, 1000u);
  double max_feedback_gap = 0;
  while (s.step()) {
    // What the network gets over the next token is the readout's own output, not the target.
    const double z = (*s.prediction())[0];
    max_feedback_gap = std::max(max_feedback_gap, std::abs(s.input()[in] - z));
    if (s.token() == train_end) {
      EXPECT_NE(z, s.sequences().target_at(s.token() - 1, 0)[0]);
    }
  }
  EXPECT_EQ(max_feedback_gap, 0.0);
  EXPECT_EQ(s.online_readout()->rls().updates(), s.protocol().train / 2);  // learn_every = 2
  s.finish();
  ASSERT_EQ(s.status(), RunStatus::Complete);
  EXPECT_LE(s.metrics().at("nrmse_test"), 0.1);
  // Without the learned W the output stays 0 and the test NRMSE is 1 (RMS / std of a zero-mean target).
  Session still(
      load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/force_sines.toml", {"task.train=10"}));
  still.set_learning(false);
  while (still.step()) {
  }
  still.finish();
  EXPECT_GT(still.metrics().at("nrmse_test"), 0.9);
}

}  // namespace
