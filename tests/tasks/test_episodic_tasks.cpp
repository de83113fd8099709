// Episodic task generators (docs/tasks.md): copy, selective copy, in-context regression,
// row-wise Fashion-MNIST.
//
// Expected numbers come from the task definitions themselves (where a symbol or marker must
// be), from least squares on an episode's context (in-context regression), from the published
// data (the first Fashion-MNIST test labels), or from the same episode drawn another way
// (alone versus inside a batch).
#include <gtest/gtest.h>

#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "support/test_support.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::EpisodeBatch;
using ransim::Split;
using ransim::test::argmax;
using ransim::test::task_params;

// ---------------------------------------------------------------------------------------
// Episode tasks
// ---------------------------------------------------------------------------------------

TEST(EpisodeTasks, CopyLayout) {
  // symbols L = 3, delay 4: tokens 0..2 symbols, 3..6 blank, 7 go, 8..9 blank; readout points
  // at tokens 7, 8, 9 recall symbols 0, 1, 2. Channels: 0..7 symbols, 8 blank, 9 go.
  auto task = ransim::find_task("copy")->create_episodes(
      task_params("copy", {{"symbols", std::int64_t{3}}, {"delay", std::int64_t{4}}}));
  ASSERT_EQ(task->length, 10u);
  ASSERT_EQ(task->points.size(), 3u);
  const EpisodeBatch b = task->episodes(Split::Train, 0, 5, 1);
  for (std::size_t e = 0; e < 5; ++e) {
    auto in = [&](std::size_t k) { return argmax(&b.input[(k * 5 + e) * 10], 10); };
    for (std::size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(task->points[j], std::vector<std::size_t>{7 + j});
      EXPECT_LT(in(j), 8u);
      EXPECT_EQ(argmax(&b.target[(j * 5 + e) * 8], 8), in(j));
    }
    for (std::size_t k : {3, 4, 5, 6, 8, 9}) EXPECT_EQ(in(k), 8u);
    EXPECT_EQ(in(7), 9u);
  }
}

TEST(EpisodeTasks, SelectiveCopyRecallsScatteredSymbolsInOrder) {
  auto task = ransim::find_task("selective_copy")->create_episodes(task_params("selective_copy", {}));
  const std::size_t span = 16, L = 4, C = 10;
  ASSERT_EQ(task->length, span + L);
  const EpisodeBatch b = task->episodes(Split::Test, 10, 20, 2);
  for (std::size_t e = 0; e < 20; ++e) {
    std::vector<std::size_t> seen;
    for (std::size_t k = 0; k < span; ++k) {
      const std::size_t c = argmax(&b.input[(k * 20 + e) * C], C);
      if (c < 8) seen.push_back(c);
    }
    ASSERT_EQ(seen.size(), L);
    EXPECT_EQ(argmax(&b.input[(span * 20 + e) * C], C), 9u);  // go
    for (std::size_t j = 0; j < L; ++j) EXPECT_EQ(argmax(&b.target[(j * 20 + e) * 8], 8), seen[j]);
  }
}

TEST(EpisodeTasks, EpisodesDoNotDependOnTheBatch) {
  // Episode 7 drawn alone equals episode 7 drawn inside a batch of 0..9.
  auto task =
      ransim::find_task("in_context_regression")->create_episodes(task_params("in_context_regression", {}));
  const EpisodeBatch all = task->episodes(Split::Train, 0, 10, 9),
                     one = task->episodes(Split::Train, 7, 1, 9);
  const std::size_t I = task->input_dim;
  for (std::size_t k = 0; k < task->length; ++k)
    for (std::size_t i = 0; i < I; ++i) EXPECT_EQ(one.input[k * I + i], all.input[(k * 10 + 7) * I + i]);
  EXPECT_EQ(one.target[0], all.target[7]);
}

TEST(EpisodeTasks, InContextRegressionTargetIsTheQueryOfTheEpisodesLinearMap) {
  // y_i = w.x_i for the context: the least-squares w from the first d + 1 >= d pairs recovers w
  // (noise 0), and w.x_q must be the target.
  auto task =
      ransim::find_task("in_context_regression")->create_episodes(task_params("in_context_regression", {}));
  const std::size_t d = 4, N = 16, I = d + 1;
  const EpisodeBatch b = task->episodes(Split::Test, 0, 3, 1);
  for (std::size_t e = 0; e < 3; ++e) {
    arma::mat X(N, d);
    arma::vec y(N);
    for (std::size_t k = 0; k < N; ++k) {
      for (std::size_t i = 0; i < d; ++i) X(k, i) = b.input[(k * 3 + e) * I + i];
      y(k) = b.input[(k * 3 + e) * I + d];
    }
    const arma::vec w = arma::solve(X, y);
    double yq = 0;
    for (std::size_t i = 0; i < d; ++i) yq += w(i) * b.input[(N * 3 + e) * I + i];
    EXPECT_EQ(b.input[(N * 3 + e) * I + d], 0.0);  // the query carries no y
    EXPECT_NEAR(b.target[e], yq, 1e-10);
  }
}

TEST(EpisodeTasks, FashionMnistRowsAndSnapshots) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto task = ransim::find_task("fashion_mnist")
                  ->create_episodes(task_params("fashion_mnist", {{"snapshots", std::int64_t{7}}}));
  EXPECT_EQ(task->length, 28u);
  EXPECT_EQ(task->input_dim, 28u);
  EXPECT_EQ(task->points, (std::vector<std::vector<std::size_t>>{{3, 7, 11, 15, 19, 23, 27}}));
  const EpisodeBatch b = task->episodes(Split::Test, 0, 2, 0);
  for (double v : b.input) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // The first two t10k labels are 9 (ankle boot) and 2 (pullover) in the published data.
  EXPECT_EQ(argmax(&b.target[0], 10), 9u);
  EXPECT_EQ(argmax(&b.target[10], 10), 2u);
  EXPECT_THROW(
      ransim::find_task("fashion_mnist")
          ->create_episodes(task_params("fashion_mnist", {{"data_dir", std::string("/nonexistent")}})),
      ransim::InputError);
}

// task.validation episodes are the last training episodes: fewer are fitted, and there must
// be at least one left.
TEST(EpisodeSplit, ValidationIsHeldOutOfTrainAndMustLeaveSome) {
  const ransim::TaskInfo* info = ransim::find_task("copy");
  const auto task = info->create_episodes(
      ransim::test::task_params("copy", {{"train", std::int64_t{100}}, {"validation", std::int64_t{30}}}));
  EXPECT_EQ(task->train, 100u);
  EXPECT_EQ(task->validation, 30u);
  EXPECT_EQ(task->fit_episodes(), 70u);
  try {
    info->create_episodes(
        ransim::test::task_params("copy", {{"train", std::int64_t{100}}, {"validation", std::int64_t{100}}}));
    ADD_FAILURE() << "no error";
  } catch (const ransim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("task.validation (100 episodes) must be less than task.train (100)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
