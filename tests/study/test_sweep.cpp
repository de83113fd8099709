// Sweeps in `ransim compare` (docs/compare.md, "Sweeps"): expansion as a grid or zipped,
// derived values, the swept columns of the outputs, and the errors of a bad sweep.
//
// Expected points are written out by hand from the definitions (grid: every combination,
// the first key slowest; zip: the i-th values together); derived values are the arithmetic
// done by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "study/compare.hpp"
#include "study/sweep.hpp"
#include "support/test_support.hpp"

namespace {

using ransim::SweepValue;
using ransim::test::input_error;
using testing::HasSubstr;

ransim::Sweep sweep_of(const std::string& text) {
  const toml::table t = ransim::parse_toml(text, "sweep.toml");
  return ransim::read_sweep("sweep.toml", *t.get("sweep")->as_table(), "sweep");
}

TEST(Sweep, GridIsEveryCombinationFirstKeySlowest) {
  const auto points = ransim::expand(sweep_of(R"([sweep]
"a.units" = [1, 2, 3]
"a.scores" = ["scaled", "standardised"]
)"));
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0], (std::vector<SweepValue>{{"a.units", "1"}, {"a.scores", "\"scaled\""}}));
  EXPECT_EQ(points[1], (std::vector<SweepValue>{{"a.units", "1"}, {"a.scores", "\"standardised\""}}));
  EXPECT_EQ(points[5], (std::vector<SweepValue>{{"a.units", "3"}, {"a.scores", "\"standardised\""}}));
}

TEST(Sweep, ZipTakesTheIthValuesTogether) {
  const auto points = ransim::expand(sweep_of(R"([sweep]
mode = "zip"
"a.units" = [2, 4]
"a.dim" = [16, 8]
)"));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1], (std::vector<SweepValue>{{"a.units", "4"}, {"a.dim", "8"}}));
}

TEST(Sweep, DerivedValuesSplitAFixedTotal) {
  // Listed before the key it uses: derived values see every swept key.
  const auto points = ransim::expand(sweep_of(R"([sweep]
"h.units" = "32 - c.units"
"c.units" = [8, 24]
"h.tau" = "(c.units + 2) / 4"
)"));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0], (std::vector<SweepValue>{
                           {"h.units", "24", true}, {"c.units", "8", false}, {"h.tau", "2.5", true}}));
  EXPECT_EQ(points[1], (std::vector<SweepValue>{
                           {"h.units", "8", true}, {"c.units", "24", false}, {"h.tau", "6.5", true}}));
}

TEST(Sweep, ArithmeticKeepsIntegersWholeAndFloatsFloat) {
  const std::vector<SweepValue> p{{"u", "6"}, {"x", "0.5"}};
  EXPECT_EQ(ransim::evaluate("u / 2", p, "here"), "3");
  EXPECT_EQ(ransim::evaluate("u / 4", p, "here"), "1.5");
  EXPECT_EQ(ransim::evaluate("2 * x", p, "here"), "1.0");  // a float stays a TOML float
  EXPECT_EQ(ransim::evaluate("-(u - 10) * 2", p, "here"), "8");
  EXPECT_EQ(ransim::evaluate("1e-3 * u", p, "here"), "0.006");
}

TEST(Sweep, BadSweepsSayWhereAndWhat) {
  EXPECT_THAT(input_error([] { sweep_of("[sweep]\nmode = \"diagonal\"\n"); }),
              HasSubstr("sweep.toml:2:8: sweep.mode: expected \"grid\" or \"zip\""));
  EXPECT_THAT(input_error([] { sweep_of("[sweep]\n\"a.units\" = []\n"); }),
              HasSubstr("expected at least one value"));
  EXPECT_THAT(input_error([] { sweep_of("[sweep]\n\"a.units\" = 3\n"); }),
              HasSubstr("expected an array of values"));
  EXPECT_THAT(input_error([] { sweep_of("[sweep]\n\"a.units\" = [[1]]\n"); }),
              HasSubstr("values must be numbers, strings or booleans"));
  EXPECT_THAT(
      input_error([] { ransim::expand(sweep_of("[sweep]\nmode = \"zip\"\n\"a\" = [1, 2]\n\"b\" = [1]\n")); }),
      HasSubstr("'b' has 1 values, 'a' has 2"));
  EXPECT_THAT(
      input_error([] { ransim::expand(sweep_of("[sweep]\n\"a\" = [1]\n\"b\" = \"32 - c.units\"\n")); }),
      HasSubstr("sweep.toml:3:7: derived value '32 - c.units': 'c.units' is not a swept key"));
  EXPECT_THAT(input_error([] { ransim::expand(sweep_of("[sweep]\n\"a\" = [\"x\"]\n\"b\" = \"a + 1\"\n")); }),
              HasSubstr("'a' is \"x\", not a number"));
  EXPECT_THAT(input_error([] { ransim::expand(sweep_of("[sweep]\n\"a\" = [1]\n\"b\" = \"(a + 1\"\n")); }),
              HasSubstr("missing ')'"));
  // 10^7 grid points: refused before they are made.
  std::string ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
  EXPECT_THAT(input_error([&] {
                ransim::expand(sweep_of("[sweep]\na = " + ten + "\nb = " + ten + "\nc = " + ten + "\nd = " +
                                        ten + "\ne = " + ten + "\nf = " + ten + "\ng = " + ten + "\n"));
              }),
              HasSubstr("sweep.toml:2:5: the sweep's grid has 10000000 points, more than 1000000"));
  EXPECT_THAT(input_error([] { ransim::expand(sweep_of("[sweep]\n\"a\" = [0]\n\"b\" = \"1 / a\"\n")); }),
              HasSubstr("not a finite number"));
}

std::string write_config(const std::string& name, const std::string& text) {
  return ransim::test::write_file(ransim::test::tmp_path(name), text);
}

const char* kTask = R"(seeds = [1, 2]
[task.narma]
kind = "narma10"
warmup = 20
train = 200
test = 50
)";

TEST(Sweep, ACommonKeyAModelLacksIsAnErrorNamingThePoint) {
  const std::string text = std::string(kTask) + R"([sweep]
"population.res.size" = [20, 30]
[model.split]
population.a = { kind = "leaky", size = 10, tau = 2.0 }
[[model.split.projection]]
from = "input"
to = "a"
density = 1.0
)";
  EXPECT_THAT(input_error([&] { ransim::load_compare(write_config("common.toml", text), false); }),
              HasSubstr("in the run of model 'split' on task 'narma', sweep point population.res.size = 20"));
}

TEST(Sweep, ACompareConfigRunsEveryPointWithItsValuesAsColumns) {
  const std::string cfg_text = std::string(kTask) + R"([model.leaky]
population.res = { kind = "leaky", size = 10, tau = 2.0 }
sweep = { "population.res.size" = [20, 30] }
[[model.leaky.projection]]
from = "input"
to = "res"
density = 1.0
[model.split]
population.a = { kind = "leaky", size = 10, tau = 2.0 }
population.b = { kind = "leaky", size = 10, tau = 2.0 }
[[model.split.projection]]
from = "input"
to = "a"
density = 1.0
[model.split.sweep]
mode = "zip"
"population.a.size" = [4, 12]
"population.b.size" = "16 - population.a.size"
)";
  const auto cfg = ransim::load_compare(write_config("swept.toml", cfg_text), false);
  ASSERT_EQ(cfg.runs.size(), 8u);  // 2 points x 2 seeds per model
  EXPECT_EQ(cfg.runs[2].point, (std::vector<SweepValue>{{"population.res.size", "30"}}));
  EXPECT_EQ(cfg.runs[2].point_index, 1u);
  EXPECT_EQ(cfg.runs[2].scenario.populations[0].params.integer("size"), 30);
  EXPECT_EQ(cfg.runs[6].scenario.populations[1].params.integer("size"), 4);  // 16 - 12
  EXPECT_EQ(cfg.runs[6].id(), "split/narma/seed_1/population.a.size=12/population.b.size=4");
  const auto r = ransim::run_compare(cfg);
  ASSERT_EQ(r.rows.size(), 4u);  // one per model and point
  EXPECT_EQ(r.rows[1].state_size, 30u);
  EXPECT_EQ(r.rows[3].state_size, 16u);
  std::istringstream csv(ransim::compare_csv(cfg, r));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_THAT(header,
              testing::StartsWith("task,metric,higher_is_better,model,population.res.size,population.a.size,"
                                  "population.b.size,mean,"));
  std::getline(csv, line);
  EXPECT_THAT(line, testing::StartsWith("narma,nrmse_test,false,leaky,20,,,"));
  for (int i = 0; i < 3; ++i) std::getline(csv, line);
  EXPECT_THAT(line, testing::StartsWith("narma,nrmse_test,false,split,,12,4,"));
  EXPECT_THAT(ransim::compare_json(cfg, r),
              HasSubstr("\"sweep\": {\"population.a.size\": 12, \"population.b.size\": 4}"));
  EXPECT_THAT(ransim::compare_markdown(cfg, r), HasSubstr("| narma | nrmse_test ↓ | split |  | 12 | 4 | "));
}

// The seed's parameter count, P = 11 D^2 U + U D O + 8 D U + O, worked by hand for U = 8,
// D = 4, O = 1 (NARMA-10 has one output): 11*16*8 + 8*4*8 + 32 + 1 = 1408 + 256 + 33 = 1697.
// The trained readout is (32 state values + 1) x 1 = 33.
const char* kCortexSweep = R"(seeds = [1]
[task.narma]
kind = "narma10"
warmup = 20
train = 200
test = 50
[model.cortex]
population.c = { kind = "cortex_qkv", units = 8, dim = 4, context = 4 }
sweep = { "population.c.units" = [2, 4, 8] }
[[model.cortex.projection]]
from = "input"
to = "c"
density = 1.0
)";

TEST(Budget, TheSeedsParameterCountOnAWorkedExample) {
  ransim::test::load_plugins();
  const auto cfg = ransim::load_compare(write_config("worked.toml", kCortexSweep), false);
  ASSERT_EQ(cfg.runs.size(), 3u);
  EXPECT_EQ(cfg.runs[2].sizes.state, 32u);
  EXPECT_EQ(cfg.runs[2].sizes.trained_weights, 33u);
  EXPECT_EQ(cfg.runs[2].sizes.seed_parameters, 1697u);
  EXPECT_EQ(cfg.runs[1].sizes.seed_parameters, 11u * 16 * 4 + 8 * 4 * 4 + 17);  // U = 4: 849
  const auto r = ransim::run_compare(cfg);
  EXPECT_EQ(r.rows[2].seed_parameters, 1697u);
  EXPECT_EQ(r.rows[2].readout_weights, 33u);  // what the run trained agrees with run_sizes
}

TEST(Budget, OutsideSkipKeepsThePointsWithinIt) {
  ransim::test::load_plugins();
  const auto cfg = ransim::load_compare(
      write_config("skip.toml",
                   std::string(kCortexSweep) + "[budget]\nparameters = { max = 1000 }\noutside = \"skip\"\n"),
      false);
  ASSERT_EQ(cfg.runs.size(), 2u);  // U = 2 (449) and U = 4 (849); U = 8 (1697) left out
  ASSERT_EQ(cfg.skipped.size(), 1u);
  EXPECT_THAT(cfg.skipped[0],
              HasSubstr("cortex/narma/population.c.units=8: it has 1697 parameters by the seed's "
                        "formula; the budget (budget.parameters) allows 0 to 1000"));
  const auto r = ransim::run_compare(cfg);
  EXPECT_THAT(ransim::compare_markdown(cfg, r), HasSubstr("Left out, outside the budget:"));
  EXPECT_THAT(ransim::compare_json(cfg, r), HasSubstr("\"skipped\": [\"cortex/narma/population.c.units=8"));
}

TEST(Budget, ARunOutsideIsAnInputErrorByDefault) {
  ransim::test::load_plugins();
  EXPECT_THAT(
      input_error([] {
        ransim::load_compare(
            write_config("error.toml", std::string(kCortexSweep) + "[budget]\ntrained = { min = 20 }\n"),
            false);
      }),
      HasSubstr("error.toml:7:1: model 'cortex' on task 'narma' (cortex/narma/population.c.units=2): it has "
                "9 trained weights; the budget (budget.trained) allows at least 20"));
  EXPECT_THAT(input_error([] {
                ransim::load_compare(
                    write_config("range.toml",
                                 std::string(kCortexSweep) + "[budget]\nfixed = { min = 5, max = 2 }\n"),
                    false);
              }),
              HasSubstr("budget.fixed: min is above max"));
}

}  // namespace
