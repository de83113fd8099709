// Random hyper-parameter search in `ransim compare` (docs/compare.md, "Search"): the draws,
// the choice of the winner on the validation metric alone, and the errors of a bad search.
//
// Expected values come from the definitions: draws lie in their declared ranges (integers
// when asked), the same (seed, model, trial) gives the same draw, and the winner is the
// trial whose mean validation metric is best, computed here from the outcomes themselves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "study/compare.hpp"
#include "study/search.hpp"
#include "support/test_support.hpp"

namespace {

using ransim::test::input_error;
using testing::HasSubstr;

ransim::Search search_of(const std::string& text) {
  const toml::table t = ransim::parse_toml(text, "search.toml");
  return ransim::read_search("search.toml", *t.get("search")->as_table(), "search", {});
}

TEST(Search, DrawsLieInTheirRangesAndRepeatWithTheSeed) {
  const auto s = search_of(R"([search]
trials = 200
"a.tau" = { min = 0.5, max = 50.0, scale = "log" }
"a.size" = { min = 2, max = 5 }
"a.kind" = ["x", "y"]
)");
  ASSERT_EQ(s.keys.size(), 3u);
  std::set<std::string> sizes, kinds;
  std::size_t below_5 = 0;  // log-uniform on [0.5, 50]: P(tau < 5) = 1/2
  for (std::size_t t = 0; t < s.trials; ++t) {
    const auto v = ransim::draw_trial(s, "m", t);
    const double tau = std::stod(v[0].value);
    EXPECT_GE(tau, 0.5);
    EXPECT_LE(tau, 50.0);
    below_5 += tau < 5;
    sizes.insert(v[1].value);
    kinds.insert(v[2].value);
    EXPECT_EQ(v, ransim::draw_trial(s, "m", t));  // the same trial, the same values
  }
  EXPECT_NEAR(static_cast<double>(below_5) / 200, 0.5, 0.12);     // 3.4 binomial standard deviations
  EXPECT_EQ(sizes, (std::set<std::string>{"2", "3", "4", "5"}));  // integer bounds: integers, all reached
  EXPECT_EQ(kinds, (std::set<std::string>{"\"x\"", "\"y\""}));
  EXPECT_NE(ransim::draw_trial(s, "m", 0), ransim::draw_trial(s, "other", 0));  // each model its own stream
}

TEST(Search, BadRangesSayWhereAndWhat) {
  EXPECT_THAT(input_error([] { search_of("[search]\n\"a\" = { min = 3, max = 1 }\n"); }),
              HasSubstr("search.toml:2:7: search.\"a\": expected finite numbers min <= max"));
  EXPECT_THAT(input_error([] { search_of("[search]\n\"a\" = { min = 0, max = 1, scale = \"log\" }\n"); }),
              HasSubstr("a log scale needs min > 0"));
  EXPECT_THAT(input_error([] { search_of("[search]\n\"a\" = { min = 0.2, max = 0.8, integer = true }\n"); }),
              HasSubstr("no integer between min and max"));
  EXPECT_THAT(input_error([] { search_of("[search]\n\"a\" = { min = 0, max = 1, step = 2 }\n"); }),
              HasSubstr("unknown key 'step'"));
  EXPECT_THAT(input_error([] { search_of("[search]\n\"a\" = 3\n"); }), HasSubstr("expected a range"));
  EXPECT_THAT(input_error([] { search_of("[search]\ntrials = 0\n"); }),
              HasSubstr("search.trials: expected an integer >= 1"));
}

// The winner is chosen on the validation metric: here the test scores favour the other
// trial (a poisoned test split would), and the winner does not move.
TEST(Search, TheWinnerIsChosenOnValidationNeverOnTest) {
  ransim::CompareConfig cfg;
  cfg.models = {"m"};
  cfg.tasks = {"t"};
  cfg.seeds = {1};
  for (long trial : {0, 1}) {
    ransim::CompareRun run;
    run.model = "m";
    run.task = "t";
    run.seed = 1;
    run.trial = trial;
    run.point = {{"a.tau", trial == 0 ? "1.0" : "2.0", false}};
    cfg.runs.push_back(run);
  }
  auto outcome = [&](std::size_t i, double validation, double test) {
    ransim::CompareOutcome o{&cfg.runs[i], {}};
    o.result.metric = ransim::Metric::Nrmse;
    o.result.metrics = {{"nrmse_validation", validation}, {"nrmse_test", test}};
    return o;
  };
  const auto rows = ransim::summarise(cfg, {outcome(0, 0.2, 0.9), outcome(1, 0.3, 0.01)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].trials, 2u);
  EXPECT_EQ(rows[0].point[0].value, "1.0");  // lower validation nrmse
  EXPECT_DOUBLE_EQ(rows[0].mean, 0.9);       // its test score, reported as it is
}

std::string write_config(const std::string& name, const std::string& text) {
  return ransim::test::write_file(ransim::test::tmp_path(name), text);
}

const char* kSearched = R"(seeds = [1, 2]
[search]
trials = 3
seed = 5
[task.narma]
kind = "narma10"
warmup = 20
train = 200
validation = 60
test = 50
[model.leaky]
population.res = { kind = "leaky", size = 20, tau = 2.0 }
[model.leaky.search]
"population.res.tau" = { min = 1.0, max = 8.0, scale = "log" }
[[model.leaky.projection]]
from = "input"
to = "res"
density = 1.0
)";

TEST(Search, ACompareConfigReportsTheWinnersTestScoreAndValues) {
  const auto cfg = ransim::load_compare(write_config("searched.toml", kSearched), false);
  ASSERT_EQ(cfg.runs.size(), 6u);  // 3 trials x 2 seeds
  EXPECT_EQ(cfg.runs[2].trial, 1);
  EXPECT_EQ(cfg.runs[2].id().substr(0, 25), "leaky/narma/seed_1/trial_");
  const auto r = ransim::run_compare(cfg);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].trials, 3u);
  // The winner from the outcomes: the lowest mean validation nrmse over the two seeds.
  double best = HUGE_VAL;
  std::size_t winner = 0;
  for (std::size_t t = 0; t < 3; ++t) {
    const double v = (r.outcomes[2 * t].result.metrics.at("nrmse_validation") +
                      r.outcomes[2 * t + 1].result.metrics.at("nrmse_validation")) /
                     2;
    if (v < best) best = v, winner = t;
  }
  EXPECT_EQ(r.rows[0].point, cfg.runs[2 * winner].point);
  EXPECT_DOUBLE_EQ(r.rows[0].validation, best);
  EXPECT_DOUBLE_EQ(r.rows[0].mean, (r.outcomes[2 * winner].result.metrics.at("nrmse_test") +
                                    r.outcomes[2 * winner + 1].result.metrics.at("nrmse_test")) /
                                       2);
  EXPECT_THAT(ransim::compare_markdown(cfg, r), HasSubstr("| leaky (best of 3 trials) | "));
}

TEST(Search, ASearchNeedsAValidationSplitAndNoSweep) {
  std::string text = kSearched;
  text.replace(text.find("validation = 60\n"), 16, "");
  EXPECT_THAT(input_error([&] { ransim::load_compare(write_config("noval.toml", text), false); }),
              HasSubstr("the search chooses on the validation split, but task 'narma' has none"));
  text = std::string(kSearched) + "[model.leaky.sweep]\n\"population.res.size\" = [10, 20]\n";
  EXPECT_THAT(input_error([&] { ransim::load_compare(write_config("both.toml", text), false); }),
              HasSubstr("a model is either swept or searched, not both"));
  text = std::string(kSearched);
  text.replace(text.find("trials = 3\n"), 11, "");
  EXPECT_THAT(input_error([&] { ransim::load_compare(write_config("notrials.toml", text), false); }),
              HasSubstr("model.leaky.search: how many trials?"));
}

}  // namespace
