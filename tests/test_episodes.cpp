// Task suite, episode runner and comparisons (docs/tasks.md, docs/compare.md).
//
// Expected numbers come from closed forms (a delay line's memory capacity, the metrics of
// hand-made outputs), from the task definitions themselves (where a symbol or marker must
// be), from an independent fine-step integration (Lorenz), or from the same computation
// done another way (one lane versus many, streaming versus one-shot ridge).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "study/compare.hpp"
#include "ransim/error.hpp"
#include "tasks/metrics.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::EpisodeBatch;
using ransim::Split;
using testing::HasSubstr;

ransim::Params task_params(const std::string& kind, const std::vector<std::pair<std::string, ransim::Value>>& set) {
  ransim::Params p = ransim::defaults(ransim::find_task(kind)->params);
  for (auto& [k, v] : set) p.set(k, v);
  return p;
}

std::size_t argmax(const double* v, std::size_t n) { return static_cast<std::size_t>(std::max_element(v, v + n) - v); }

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

// ---------------------------------------------------------------------------------------
// Stream tasks
// ---------------------------------------------------------------------------------------

TEST(Lorenz, ConvergesAtFourthOrderToAFineStepReference) {
  // An independent RK4 loop at h = 0.0005 is the reference (its own error is 20^4 times
  // smaller than at h = 0.01); the library's series at h = 0.02 and 0.01 must approach it with
  // the error ratio of a fourth-order method, 2^4 = 16, over t = 0.02 .. 2.
  std::vector<double> ref;
  double v[3] = {1.0, 1.0, 1.0};
  const double h = 0.0005;
  auto f = [&](const double* s, double* d) {
    d[0] = 10.0 * (s[1] - s[0]);
    d[1] = s[0] * (28.0 - s[2]) - s[1];
    d[2] = s[0] * s[1] - 8.0 / 3.0 * s[2];
  };
  for (int step = 1; step <= 4000; ++step) {
    double k[4][3], t[3];
    f(v, k[0]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h / 2 * k[0][c];
    f(t, k[1]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h / 2 * k[1][c];
    f(t, k[2]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h * k[2][c];
    f(t, k[3]);
    for (int c = 0; c < 3; ++c) v[c] += h / 6 * (k[0][c] + 2 * k[1][c] + 2 * k[2][c] + k[3][c]);
    if (step % 40 == 0) ref.insert(ref.end(), v, v + 3);
  }
  auto max_error = [&](double step) {
    ransim::Lorenz lz;
    lz.transient = 0;
    lz.h = step;
    const std::vector<double> a = lz.series(100, {1.0, 1.0, 1.0});
    double e = 0;
    for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - ref[i]));
    return e;
  };
  const double coarse = max_error(0.02), fine = max_error(0.01);
  EXPECT_GT(coarse / fine, 12.0) << "errors " << coarse << ", " << fine;
  EXPECT_LT(coarse / fine, 20.0);
}

TEST(MemoryCapacity, TargetsAreTheDelayedInputs) {
  auto task = ransim::find_task("memory_capacity")->create(task_params("memory_capacity", {{"max_delay", std::int64_t{0}}}));
  task->set_state_size(7);  // max_delay 0: twice the state size
  ransim::Rng rng(3);
  const ransim::Sequences s = task->generate(2, rng);
  ASSERT_EQ(s.target_dim, 14u);
  for (std::size_t k = 20; k < s.steps; k += 97)
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t d = 1; d <= 14; ++d) EXPECT_EQ(s.target_at(k, b)[d - 1], s.input_at(k - d, b)[0]);
}

TEST(MemoryCapacity, LinearDelayLineReachesTheClosedForm) {
  // Unit i of an identity-activation leaky population with a = dt / tau = 1, fed by ordered
  // routing from [input, itself], holds u[k - i] after token k: a delay line of N units. It
  // recalls delays 1..N-1 exactly (r^2 = 1 each), so MC = N - 1 plus, for each of the
  // D - N + 1 delays it cannot hold, the squared sample correlation of a fixed readout with an
  // independent target, whose expectation is 1 / T_test. We allow 5 times that.
  const std::size_t N = 20, D = 40, T_test = 2000;
  const ransim::Scenario sc = ransim::parse_scenario(R"(
seed = 4
[task]
kind = "memory_capacity"
max_delay = 40
warmup = 50
train = 2000
test = 2000
[population.line]
kind = "leaky"
size = 20
tau = 1.0
activation = "identity"
[[projection]]
from = ["input", "line"]
to = "line"
kind = "identity"
map = "ordered"
[readout]
ridge = 1e-12
)", "<delay line>");
  const ransim::RunResult r = ransim::run(sc);
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  const double mc = r.metrics.at("memory_capacity_test");
  EXPECT_GT(mc, static_cast<double>(N - 1) - 1e-6);
  EXPECT_LT(mc, static_cast<double>(N - 1) + 5.0 * static_cast<double>(D - N + 1) / T_test);
}

TEST(DelayedRecall, TargetIsTheSymbolDelayTokensEarlier) {
  auto task = ransim::find_task("delayed_recall")->create(task_params("delayed_recall", {{"delay", std::int64_t{3}}}));
  ransim::Rng rng(5);
  const ransim::Sequences s = task->generate(1, rng);
  ASSERT_EQ(s.input_dim, 8u);
  for (std::size_t k = 3; k < s.steps; ++k)
    EXPECT_EQ(argmax(s.target_at(k, 0), 8), argmax(s.input_at(k - 3, 0), 8)) << "token " << k;
}

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
  auto task = ransim::find_task("in_context_regression")->create_episodes(task_params("in_context_regression", {}));
  const EpisodeBatch all = task->episodes(Split::Train, 0, 10, 9), one = task->episodes(Split::Train, 7, 1, 9);
  const std::size_t I = task->input_dim;
  for (std::size_t k = 0; k < task->length; ++k)
    for (std::size_t i = 0; i < I; ++i) EXPECT_EQ(one.input[k * I + i], all.input[(k * 10 + 7) * I + i]);
  EXPECT_EQ(one.target[0], all.target[7]);
}

TEST(EpisodeTasks, InContextRegressionTargetIsTheQueryOfTheEpisodesLinearMap) {
  // y_i = w.x_i for the context: the least-squares w from the first d + 1 >= d pairs recovers w
  // (noise 0), and w.x_q must be the target.
  auto task = ransim::find_task("in_context_regression")->create_episodes(task_params("in_context_regression", {}));
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
  auto task = ransim::find_task("fashion_mnist")->create_episodes(
      task_params("fashion_mnist", {{"snapshots", std::int64_t{7}}}));
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
  EXPECT_THROW(ransim::find_task("fashion_mnist")->create_episodes(
                   task_params("fashion_mnist", {{"data_dir", std::string("/nonexistent")}})),
               ransim::InputError);
}

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

TEST(EpisodeRunner, RecordsReadoutAndStatus) {
  const std::string file = testing::TempDir() + "/ransim_copy.h5";
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
  const std::string file = testing::TempDir() + "/ransim_diverged.h5";
  ransim::RunOptions opts;
  opts.out = file;
  const ransim::RunResult r = ransim::run(ransim::parse_scenario(text, "<diverge>"), opts);
  EXPECT_EQ(r.status, ransim::RunStatus::Diverged);
  EXPECT_THAT(r.message, AllOf(HasSubstr("population 'res'"), HasSubstr("in training episode 0..3")));
  EXPECT_TRUE(r.metrics.empty());
  EXPECT_TRUE(std::filesystem::exists(file));  // finished with the status "diverged"
}

// ---------------------------------------------------------------------------------------
// ransim compare
// ---------------------------------------------------------------------------------------

const char* kCompare = R"(description = "two leaky sizes"
seeds = [1, 2]
[budget]
state = 40
tolerance = 0.1
[quick]
seeds = [5]
tasks = ["narma"]
[task.narma]
kind = "narma10"
warmup = 20
train = 300
test = 100
quick = { train = 200 }
[task.recall]
kind = "copy"
symbols = 2
delay = 2
train = 200
test = 50
set = ["simulation.lanes=16"]
[model.small]
population.res = { kind = "leaky", size = 38, tau = 2.0 }
[[model.small.projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[model.small.projection]]
from = "input"
to = "res"
density = 1.0
[model.big]
population.res = { kind = "leaky", size = 42, tau = 2.0 }
[[model.big.projection]]
from = "input"
to = "res"
density = 1.0
)";

std::string write_config(const std::string& text) {
  const std::string path = testing::TempDir() + "/ransim_compare_" + std::to_string(std::hash<std::string>{}(text)) + ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(Compare, RunsEveryModelTaskAndSeedInFileOrder) {
  const auto cfg = ransim::load_compare(write_config(kCompare), false);
  EXPECT_EQ(cfg.models, (std::vector<std::string>{"small", "big"}));
  EXPECT_EQ(cfg.tasks, (std::vector<std::string>{"narma", "recall"}));
  ASSERT_EQ(cfg.runs.size(), 8u);
  EXPECT_EQ(cfg.runs[0].scenario.seed, 1u);
  EXPECT_EQ(cfg.runs[3].scenario.task_kind, "copy");
  EXPECT_EQ(cfg.runs[3].scenario.lanes, 16u);  // the task's `set`
  const auto r = ransim::run_compare(cfg);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].task, "narma");
  EXPECT_EQ(r.rows[0].metric, "nrmse_test");
  EXPECT_EQ(r.rows[2].metric, "accuracy_test");
  EXPECT_TRUE(r.rows[2].higher_is_better);
  EXPECT_EQ(r.rows[0].completed, 2u);
  EXPECT_EQ(r.rows[0].state_size, 38u);
  // mean and sample std over the two seeds, from the runs themselves.
  const double a = r.outcomes[0].result.metrics.at("nrmse_test"), b = r.outcomes[1].result.metrics.at("nrmse_test");
  EXPECT_DOUBLE_EQ(r.rows[0].mean, (a + b) / 2);
  EXPECT_NEAR(r.rows[0].std, std::abs(a - b) / std::sqrt(2.0), 1e-15);
}

TEST(Compare, QuickSubsetAndOutputSchema) {
  const auto cfg = ransim::load_compare(write_config(kCompare), true);
  ASSERT_EQ(cfg.runs.size(), 2u);
  EXPECT_EQ(cfg.runs[0].seed, 5u);
  EXPECT_EQ(cfg.runs[0].scenario.task.integer("train"), 200);  // the task's quick values
  const auto r = ransim::run_compare(cfg);
  const std::string prefix = testing::TempDir() + "/ransim_cmp";
  const auto written = ransim::write_compare_outputs(cfg, r, prefix);
  EXPECT_EQ(written.size(), 6u);
  for (auto& f : written) EXPECT_TRUE(std::filesystem::exists(f)) << f;
  std::istringstream csv(ransim::compare_csv(r));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "task,metric,higher_is_better,model,mean,std,completed,runs,state_size,fixed_weights,"
                    "readout_weights,wall_seconds");
  std::getline(csv, line);
  EXPECT_THAT(line, testing::StartsWith("narma,nrmse_test,false,small,"));
  const std::string json = ransim::compare_json(cfg, r);
  for (const char* key : {"\"rows\"", "\"runs\"", "\"mean\"", "\"std\"", "\"seed\": 5", "\"quick\": true"})
    EXPECT_THAT(json, HasSubstr(key));
  EXPECT_THAT(ransim::compare_markdown(cfg, r), HasSubstr("| narma | nrmse_test ↓ | small |"));
}

TEST(Compare, SameSeedsGiveTheSameTable) {
  const auto cfg = ransim::load_compare(write_config(kCompare), true);
  const auto a = ransim::run_compare(cfg), b = ransim::run_compare(cfg);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].mean, b.rows[i].mean);
    EXPECT_EQ(a.rows[i].std, b.rows[i].std);
  }
}

TEST(Compare, BadConfigsSayWhereAndWhat) {
  auto error = [](const std::string& text) {
    try {
      ransim::load_compare(write_config(text), false);
    } catch (const ransim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string bad = kCompare;
  bad.replace(bad.find("size = 42"), 9, "size = 60");
  EXPECT_THAT(error(bad), AllOf(HasSubstr(".toml:32:1:"), HasSubstr("model 'big' has 60 state variables"),
                                HasSubstr("budget is 40")));
  bad = kCompare;
  bad.replace(bad.find("train = 300"), 11, "trian = 300");
  EXPECT_THAT(error(bad), AllOf(HasSubstr(".toml:12:1:"), HasSubstr("unknown key 'task.trian'"),
                                HasSubstr("its [task] is [task.narma]")));
  bad = kCompare;
  bad.replace(bad.find("seeds = [1, 2]"), 14, "seeds = []");
  EXPECT_THAT(error(bad), HasSubstr("seeds: expected a non-empty array"));
  bad = kCompare;
  bad.replace(bad.find("[model.small]"), 13, "[model.small]\nbogus = 1");
  EXPECT_THAT(error(bad), HasSubstr("unknown key 'model.small.bogus'"));
  EXPECT_THAT(error("seeds = [1]\n[task.a]\nkind = \"narma10\"\n"), HasSubstr("no [model.NAME] table"));
}

}  // namespace
