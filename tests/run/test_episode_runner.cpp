// The episode runner (docs/tasks.md): episodic tasks run in lanes and threads, recorded, and
// stopped with a named population when they diverge.
//
// Expected numbers come from the same computation done another way (one lane versus many,
// one thread versus several) and from a reservoir that must diverge (spectral radius 1e3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

namespace {

using testing::HasSubstr;

// ---------------------------------------------------------------------------------------
// The episode runner
// ---------------------------------------------------------------------------------------

const char* kCopyScenario = R"(
seed = 2
[simulation]
lanes = LANES
threads = THREADS
[task]
kind = "copy"
symbols = 2
delay = 3
train = 300
test = 100
[population.res]
kind = "leaky"
size = 60
tau = 1.5
[[projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[projection]]
from = "input"
to = "res"
density = 1.0
[readout]
ridge = 1e-6
)";

ransim::RunResult run_copy(int lanes, int threads = 1, const std::string& out = "") {
  std::string text = kCopyScenario;
  text.replace(text.find("LANES"), 5, std::to_string(lanes));
  text.replace(text.find("THREADS"), 7, std::to_string(threads));
  ransim::RunOptions opts;
  opts.out = out;
  return ransim::run(ransim::parse_scenario(text, "<copy>"), opts);
}

TEST(EpisodeRunner, LanesAndThreadsDoNotChangeTheResult) {
  // One episode per lane from the same initial state: 1, 7 (not a divisor of 300) and 64
  // lanes see the same features; only the summation order of the ridge statistics differs.
  // Threads run whole batches that are consumed in order: bitwise the same result.
  const ransim::RunResult one = run_copy(1), seven = run_copy(7), many = run_copy(64);
  const ransim::RunResult seven2 = run_copy(7, 2), seven3 = run_copy(7, 3);
  EXPECT_EQ(seven.metrics.at("accuracy_test"), seven2.metrics.at("accuracy_test"));
  EXPECT_EQ(seven.metrics.at("accuracy_test"), seven3.metrics.at("accuracy_test"));
  ASSERT_EQ(one.status, ransim::RunStatus::Complete) << one.message;
  EXPECT_EQ(one.tokens, 400u * 7u);
  EXPECT_DOUBLE_EQ(one.metrics.at("accuracy_test"), seven.metrics.at("accuracy_test"));
  EXPECT_DOUBLE_EQ(one.metrics.at("accuracy_test"), many.metrics.at("accuracy_test"));
  // A leaky reservoir recalls 2 symbols after 3 blanks far above chance (1/8).
  EXPECT_GT(one.metrics.at("accuracy_test"), 0.5);
  EXPECT_EQ(one.readout_weights, (60u + 1u) * 8u);
}

// Episode runs report the attention regime as sessions do (attention_entropy_<population>):
// the mean over the episodes' sampled tokens, so the lane count, which only groups the
// episodes, changes it by rounding at most. Its range and definition are checked on sessions
// (tests/plugins/attention).
TEST(EpisodeRunner, ReportsTheAttentionEntropy) {
  ransim::test::load_plugins();
  auto entropy = [](int lanes) {
    std::string text = R"(
seed = 3
[simulation]
lanes = LANES
[task]
kind = "copy"
symbols = 2
delay = 3
train = 40
test = 10
[population.c]
kind = "cortex_qkv"
units = 5
dim = 4
context = 4
scores = "standardised"
[[projection]]
from = "input"
to = "c"
density = 1.0
[[projection]]
from = "c"
to = "c"
kind = "identity"
)";
    text.replace(text.find("LANES"), 5, std::to_string(lanes));
    const auto r = ransim::run(ransim::parse_scenario(text, "<attention copy>"), {});
    EXPECT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
    return r.metrics.at("attention_entropy_c");
  };
  const double one = entropy(1), many = entropy(8);
  EXPECT_GT(one, 0.0);
  EXPECT_LT(one, 1.0);
  EXPECT_NEAR(many, one, 1e-12);
}

TEST(EpisodeRunner, RecordsReadoutAndStatus) {
  const std::string file = ransim::test::tmp_path("copy.h5");
  const ransim::RunResult r = run_copy(16, 1, file);
  ASSERT_EQ(r.status, ransim::RunStatus::Complete);
  EXPECT_EQ(r.out, file);
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(EpisodeRunner, DivergenceNamesThePopulationAndTheEpisodes) {
  // A linear reservoir with spectral radius 1e3 grows about a thousandfold per token: an
  // episode of 204 tokens (delay 200) overflows within the first batch.
  std::string text = kCopyScenario;
  text.replace(text.find("LANES"), 5, "4");
  text.replace(text.find("THREADS"), 7, "2");
  text.replace(text.find("tau = 1.5"), 9, "tau = 1.0\nactivation = \"identity\"");
  text.replace(text.find("spectral_radius = 0.9"), 21, "spectral_radius = 1000.0");
  text.replace(text.find("delay = 3"), 9, "delay = 200");
  const std::string file = ransim::test::tmp_path("diverged.h5");
  ransim::RunOptions opts;
  opts.out = file;
  const ransim::RunResult r = ransim::run(ransim::parse_scenario(text, "<diverge>"), opts);
  EXPECT_EQ(r.status, ransim::RunStatus::Diverged);
  EXPECT_THAT(r.message, AllOf(HasSubstr("population 'res'"), HasSubstr("in training episode 0..3")));
  EXPECT_TRUE(r.metrics.empty());
  EXPECT_TRUE(std::filesystem::exists(file));  // finished with the status "diverged"
}

// ---------------------------------------------------------------------------------------
// Validation episodes: the last task.validation training episodes, held out of the fit
// ---------------------------------------------------------------------------------------

ransim::RunResult run_copy_with(const std::vector<std::string>& sets, int lanes = 7) {
  std::string text = kCopyScenario;
  text.replace(text.find("LANES"), 5, std::to_string(lanes));
  text.replace(text.find("THREADS"), 7, "1");
  return ransim::run(ransim::parse_scenario(text, "<copy>", sets), {});
}

// Train 300 with 60 held out fits on episodes 0..239: the same readout as train = 240 with
// none held out (the same test score, bitwise), and the validation score is that readout's
// accuracy on training episodes 240..299. Episodes derive from (seed, split, index) alone.
TEST(EpisodeRunner, ValidationEpisodesAreHeldOutOfTheFit) {
  const auto held = run_copy_with({"task.validation=60", "readout.ridge=[1e-6]"});
  const auto fewer = run_copy_with({"task.train=240"});
  ASSERT_EQ(held.status, ransim::RunStatus::Complete) << held.message;
  EXPECT_EQ(held.tokens, 400u * 7u);  // every episode simulated once
  EXPECT_EQ(held.metrics.at("accuracy_test"), fewer.metrics.at("accuracy_test"));
  EXPECT_EQ(held.metrics.at("ridge_selected"), 1e-6);
  // The validation score is an accuracy over 60 episodes x 2 points; lanes only group them.
  const double v = held.metrics.at("accuracy_validation");
  EXPECT_GT(v, 0.3);
  EXPECT_LE(v, 1.0);
  EXPECT_EQ(
      run_copy_with({"task.validation=60", "readout.ridge=[1e-6]"}, 64).metrics.at("accuracy_validation"), v);
}

// The chosen lambda and the validation score depend on the training and validation episodes
// only: another test split (its size, so its episodes) leaves them bitwise unchanged.
TEST(EpisodeRunner, TheSelectionDoesNotDependOnTheTestSplit) {
  const auto a = run_copy_with({"task.validation=60", "readout.ridge=auto"});
  const auto b = run_copy_with({"task.validation=60", "readout.ridge=auto", "task.test=13"});
  ASSERT_EQ(a.status, ransim::RunStatus::Complete) << a.message;
  EXPECT_EQ(a.metrics.at("ridge_selected"), b.metrics.at("ridge_selected"));
  EXPECT_EQ(a.metrics.at("accuracy_validation"), b.metrics.at("accuracy_validation"));
}

TEST(EpisodeRunner, ValidationTooLargeOrMissingIsNamed) {
  auto error = [](const std::vector<std::string>& sets) {
    try {
      run_copy_with(sets);
    } catch (const ransim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error({"task.validation=300"}),
              AllOf(HasSubstr("task.validation (300 episodes)"), HasSubstr("less than task.train (300)")));
  EXPECT_THAT(error({"readout.ridge=auto"}),
              AllOf(HasSubstr("<copy>: readout.ridge"), HasSubstr("task.validation = 0")));
}

}  // namespace
