// `ransim compare` as a library (docs/compare.md): the configuration, the runs, the table and
// its outputs, and the errors of a bad configuration.
//
// Expected numbers come from the runs themselves (mean and sample standard deviation over
// seeds) and from the configuration text (line numbers of errors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "study/compare.hpp"
#include "support/test_support.hpp"

namespace {

using testing::HasSubstr;

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

// In the test's own folder (tests run in parallel processes; several share a text).
std::string write_config(const std::string& text) {
  const std::string path =
      ransim::test::tmp_path("compare_" + std::to_string(std::hash<std::string>{}(text)) + ".toml");
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
  const double a = r.outcomes[0].result.metrics.at("nrmse_test"),
               b = r.outcomes[1].result.metrics.at("nrmse_test");
  EXPECT_DOUBLE_EQ(r.rows[0].mean, (a + b) / 2);
  EXPECT_NEAR(r.rows[0].std, std::abs(a - b) / std::sqrt(2.0), 1e-15);
}

TEST(Compare, QuickSubsetAndOutputSchema) {
  const auto cfg = ransim::load_compare(write_config(kCompare), true);
  ASSERT_EQ(cfg.runs.size(), 2u);
  EXPECT_EQ(cfg.runs[0].seed, 5u);
  EXPECT_EQ(cfg.runs[0].scenario.task.integer("train"), 200);  // the task's quick values
  const auto r = ransim::run_compare(cfg);
  const std::string prefix = ransim::test::tmp_path("cmp");
  const auto written = ransim::write_compare_outputs(cfg, r, prefix);
  EXPECT_EQ(written.size(), 6u);
  for (auto& f : written) EXPECT_TRUE(std::filesystem::exists(f)) << f;
  std::istringstream csv(ransim::compare_csv(cfg, r));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header,
            "task,metric,higher_is_better,model,mean,std,completed,runs,state_size,fixed_weights,"
            "readout_weights,seed_parameters,attention_entropy,validation,ridge_min,ridge_max,trials,wall_seconds");
  std::getline(csv, line);
  EXPECT_THAT(line, testing::StartsWith("narma,nrmse_test,false,small,"));
  const std::string json = ransim::compare_json(cfg, r);
  for (const char* key : {"\"rows\"", "\"runs\"", "\"mean\"", "\"std\"", "\"seed\": 5", "\"quick\": true"})
    EXPECT_THAT(json, HasSubstr(key));
  EXPECT_THAT(ransim::compare_markdown(cfg, r), HasSubstr("| narma | nrmse_test ↓ | small |"));
}

// The attention regime of each model: the mean over seeds of its runs' attention_entropy_*
// metrics, in a stream task and an episode task; "-" for a model without attention.
TEST(Compare, ReportsTheAttentionEntropyOfAttentionModels) {
  ransim::test::load_plugins();
  const auto cfg = ransim::load_compare(write_config(R"(seeds = [1, 2]
[task.narma]
kind = "narma10"
warmup = 20
train = 200
test = 50
[task.recall]
kind = "copy"
symbols = 2
delay = 2
train = 100
test = 20
set = ["simulation.lanes=8"]
[model.cortex]
population.c = { kind = "cortex_qkv", units = 6, dim = 4, context = 4, scores = "standardised" }
[[model.cortex.projection]]
from = "input"
to = "c"
density = 1.0
[[model.cortex.projection]]
from = "c"
to = "c"
kind = "identity"
[model.leaky]
population.res = { kind = "leaky", size = 24 }
[[model.leaky.projection]]
from = "input"
to = "res"
density = 1.0
)"),
                                        false);
  const auto r = ransim::run_compare(cfg);
  ASSERT_EQ(r.rows.size(), 4u);
  for (const auto& row : r.rows) {
    if (row.model == "leaky") {
      EXPECT_TRUE(std::isnan(row.attention_entropy)) << row.task;
      continue;
    }
    double mean = 0;
    for (auto& o : r.outcomes)
      if (o.run->model == row.model && o.run->task == row.task) mean += o.result.metrics.at("attention_entropy_c") / 2;
    EXPECT_DOUBLE_EQ(row.attention_entropy, mean) << row.task;
    EXPECT_GT(row.attention_entropy, 0.0);
    EXPECT_LT(row.attention_entropy, 1.0);  // sharpness 2: selective, not uniform
  }
  const std::string table = ransim::compare_markdown(cfg, r);
  EXPECT_THAT(table, HasSubstr("attention entropy"));
  EXPECT_THAT(table, testing::ContainsRegex("\\| narma \\| nrmse_test ↓ \\| leaky \\|.*\\| - \\| [0-9.e-]+ \\|"));
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
  EXPECT_THAT(error(bad), AllOf(HasSubstr(".toml:32:1:"), HasSubstr("model 'big' on task 'narma': it has 60 state "
                                                                    "variables per lane; the budget (budget.state) "
                                                                    "allows 36 to 44")));
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

// The InputError of loading `text` (quick or not); "no error" when there is none.
std::string load_error(const std::string& text, bool quick) {
  try {
    ransim::load_compare(write_config(text), quick);
  } catch (const ransim::InputError& e) {
    return e.what();
  }
  return "no error";
}

// Issue 23: `quick = { train = 100, quick = { train = 1 } }` inserted into the table being
// iterated (heap-use-after-free, SIGSEGV). A quick table inside a quick table is refused.
TEST(Compare, QuickInsideQuickIsRefusedNamingTheKey) {
  std::string bad = kCompare;
  bad.replace(bad.find("quick = { train = 200 }"), 23, "quick = { train = 100, quick = { train = 1 } }");
  for (bool quick : {true, false})
    EXPECT_THAT(
        load_error(bad, quick),
        AllOf(HasSubstr(".toml:14:32: task.narma.quick.quick: a quick table holds the task's own keys"),
              HasSubstr("not another 'quick'")));
  bad = kCompare;
  bad.replace(bad.find("quick = { train = 200 }"), 23, "quick = { train = 100, set = [\"seed=1\"] }");
  EXPECT_THAT(load_error(bad, true), HasSubstr("task.narma.quick.set: a quick table"));
}

// Issue 23: budget.tolerance = nan was accepted, and then no budget was enforced.
TEST(Compare, NanBudgetToleranceIsRefused) {
  std::string bad = kCompare;
  bad.replace(bad.find("tolerance = 0.1"), 15, "tolerance = nan");
  EXPECT_THAT(load_error(bad, false),
              AllOf(HasSubstr(".toml:5:13:"), HasSubstr("budget.tolerance: expected a number in [0, 1)")));
}

// Issue 23: an over-budget model was refused only after its network was built (149 s for
// a large one). The budget is checked from the populations alone: a projection that could
// not even be built (spectral_radius on a non-square projection) never is.
TEST(Compare, OverBudgetModelIsRefusedBeforeItsProjectionsAreBuilt) {
  std::string bad = kCompare;
  bad.replace(bad.find("size = 42"), 9, "size = 60");
  bad += "spectral_radius = 0.9\n";  // on the input projection of model big: not square
  EXPECT_THAT(load_error(bad, false),
              HasSubstr("model 'big' on task 'narma': it has 60 state variables per lane"));
}

// Issue 23: a directory given as the config.
TEST(Compare, ADirectoryIsNotAConfig) {
  const std::string dir = ransim::test::test_dir();
  EXPECT_THAT(
      [&] {
        try {
          ransim::load_compare(dir, false);
        } catch (const ransim::InputError& e) {
          return std::string(e.what());
        }
        return std::string("no error");
      }(),
      HasSubstr(": is a directory, not a comparison config"));
}

// Readout selection in the table: the validation score is the mean of the runs'
// <metric>_validation, the chosen lambdas their range; "-" where a model fixes lambda.
TEST(Compare, ReportsTheValidationScoreAndTheChosenRidge) {
  const auto cfg = ransim::load_compare(write_config(R"(seeds = [1, 2]
[task.narma]
kind = "narma10"
warmup = 20
train = 200
validation = 60
test = 50
[model.auto]
population.res = { kind = "leaky", size = 24 }
readout = { ridge = "auto" }
[[model.auto.projection]]
from = "input"
to = "res"
density = 1.0
[model.fixed]
population.res = { kind = "leaky", size = 24 }
readout = { ridge = 1e-8 }
[[model.fixed.projection]]
from = "input"
to = "res"
density = 1.0
)"),
                                        false);
  const auto r = ransim::run_compare(cfg);
  ASSERT_EQ(r.rows.size(), 2u);
  double mean = 0, lo = INFINITY, hi = 0;
  for (auto& o : r.outcomes)
    if (o.run->model == "auto") {
      mean += o.result.metrics.at("nrmse_validation") / 2;
      lo = std::min(lo, o.result.metrics.at("ridge_selected"));
      hi = std::max(hi, o.result.metrics.at("ridge_selected"));
    }
  EXPECT_DOUBLE_EQ(r.rows[0].validation, mean);
  EXPECT_EQ(r.rows[0].ridge_min, lo);
  EXPECT_EQ(r.rows[0].ridge_max, hi);
  EXPECT_TRUE(std::isnan(r.rows[1].ridge_min));
  EXPECT_TRUE(std::isfinite(r.rows[1].validation));  // a fixed lambda is still scored on validation
  const std::string table = ransim::compare_markdown(cfg, r);
  EXPECT_THAT(table, HasSubstr("| validation | ridge chosen |"));
  EXPECT_THAT(table, testing::ContainsRegex(
                         "\\| narma \\| nrmse_test ↓ \\| fixed \\| [^|]+ \\| [0-9.e-]+ \\| - \\|"));
  EXPECT_THAT(ransim::compare_json(cfg, r), HasSubstr("\"ridge_min\": "));
}

}  // namespace
