// Session: the token loop shared by `ransim run` and the GUI.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <thread>

#include "io/layout.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "readout/ridge.hpp"
#include "run/resources.hpp"
#include "run/run.hpp"
#include "run/session.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

const std::string kScenario = R"(
[simulation]
integrator = "rk4"
dt = 0.5
[task]
kind = "narma10"
warmup = 10
train = 100
test = 40
[population.res]
kind = "leaky"
size = 20
tau = 2.0
[[projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[projection]]
from = "input"
to = "res"
density = 1.0
)";

TEST(Session, SteppingEqualsRunningAndGivesTheSameMetrics) {
  const Scenario sc = parse_scenario(kScenario, "s.toml");
  Session a(sc), b(sc);
  while (a.step()) {
  }
  for (int i = 0; i < 60; ++i) b.step();  // pause here, then go on
  while (b.step()) {
  }
  EXPECT_EQ(a.simulator().state(), b.simulator().state());  // bitwise
  a.finish();
  b.finish();
  const RunResult r = run(sc);
  EXPECT_EQ(a.status(), ransim::RunStatus::Complete);
  EXPECT_EQ(a.metrics().at("nrmse_test"), r.metrics.at("nrmse_test"));
  EXPECT_EQ(b.metrics().at("nrmse_test"), r.metrics.at("nrmse_test"));
  EXPECT_FALSE(a.step());  // nothing after the end
}

TEST(Session, LiveParameterLandsAtTheNextStepBoundaryOnly) {
  const Scenario sc = parse_scenario(kScenario, "s.toml");
  Session a(sc), b(sc);
  for (int i = 0; i < 20; ++i) {
    a.step();
    b.step();
  }
  a.set_parameter("res", "tau", 0.5);
  EXPECT_EQ(a.simulator().state(), b.simulator().state());  // queued, not applied
  a.step();
  b.step();
  EXPECT_NE(a.simulator().state(), b.simulator().state());
}

TEST(Session, InvalidLiveEditsAreRefusedWithAMessage) {
  Session s(parse_scenario(kScenario, "s.toml"));
  try {
    s.set_parameter("res", "tau", -1.0);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("res.tau: expected a real number > 0 (s), found -1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(s.set_parameter("res", "size", std::int64_t{3}), InputError);  // not live
  EXPECT_THROW(s.set_parameter("nope", "tau", 1.0), InputError);
}

TEST(Session, PredictionAvailableOnceTrained) {
  Session s(parse_scenario(kScenario, "s.toml"));
  for (int i = 0; i < 109; ++i) s.step();
  EXPECT_FALSE(s.readout_trained());
  s.step();  // token 110 = warmup + train
  EXPECT_TRUE(s.readout_trained());
  ASSERT_TRUE(s.prediction().has_value());
  EXPECT_EQ(s.prediction()->size(), 1u);
}

// The seconds `run` takes with the stop flag raised `after` into it.
double seconds_to_stop(const Scenario& sc, std::chrono::milliseconds after, RunResult& out) {
  std::atomic<int> stop{0};
  RunOptions opts;
  opts.stop = &stop;
  std::thread raiser([&] {
    std::this_thread::sleep_for(after);
    stop = 15;
  });
  const auto start = std::chrono::steady_clock::now();
  out = run(sc, opts);
  raiser.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Issue 23: with simulation.dt = 1e-7 (1e7 steps per token) a run was still going 5 s after
// SIGTERM: the flag was read between tokens only. It is read before every integrator step.
// Unstopped, this run would take minutes; the bound of 5 s leaves room for a busy machine.
TEST(Session, StopFlagEndsARunInsideALongFixedStepToken) {
  const Scenario sc =
      parse_scenario(kScenario, "s.toml", {"simulation.integrator=euler", "simulation.dt=1e-7"});
  RunResult r;
  EXPECT_LT(seconds_to_stop(sc, std::chrono::milliseconds(200), r), 5.0);
  EXPECT_EQ(r.status, RunStatus::Interrupted);
  EXPECT_NE(r.message.find("interrupted by signal 15"), std::string::npos) << r.message;
}

// Issue 23: forget = 1e300 in the Aaren scenario (dopri5) ran over 10 minutes at 100 % CPU and
// ignored SIGTERM: adaptive stepping reads the flag before every step too.
TEST(Session, StopFlagEndsAStiffAdaptiveRun) {
  test::load_plugins();
  const Scenario sc =
      load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/aaren_is_softmax_attention.toml",
                    {"population.continuous.forget=1e300"});
  RunResult r;
  EXPECT_LT(seconds_to_stop(sc, std::chrono::milliseconds(300), r), 5.0);
  EXPECT_TRUE(r.status == RunStatus::Interrupted || r.status == RunStatus::Failed) << to_string(r.status);
  EXPECT_FALSE(r.message.empty());
}

// Issue 23: the memory check missed episode tasks (in_context_regression with test = 1e9 grew
// until the out-of-memory error) and plugin populations (cortex units = 1e7, hippocampus
// slots = 1e6, softmax attention over a context of 1e5 tokens). Every population is asked
// (PopulationInfo::memory_bytes), and the estimates are at least what the data take:
// the closed forms below count only the largest array of each.
TEST(Resources, MemoryCheckAsksEveryPopulationAndTheEpisodeTask) {
  test::load_plugins();
  const std::string icl = "[task]\nkind = \"in_context_regression\"\n";
  auto scenario = [&](const std::string& task, const std::string& population) {
    return parse_scenario(task + "[population.p]\n" + population, "s.toml");
  };
  // The test outputs and targets: 1e9 episodes x 1 point x 1 value x 2 matrices x 8 bytes.
  const Scenario many = scenario(icl + "test = 1000000000\n", "kind = \"leaky\"\nsize = 10\n");
  EXPECT_GE(estimate_memory(many), 2 * 8 * 1e9);
  // Cortex: four D x D matrices per unit, 1e7 units of D = 8.
  const Scenario cortex = scenario(icl, "kind = \"cortex_qkv\"\nunits = 10000000\n");
  EXPECT_GE(estimate_memory(cortex), 4 * 64 * 8 * 1e7);
  // Hippocampus: keys and values (S x D each) per unit, 16 units, S = 1e6, D = 8.
  const Scenario hippo = scenario(icl, "kind = \"hippocampus_memory\"\nslots = 1000000\n");
  EXPECT_GE(estimate_memory(hippo), 16 * 2 * 1e6 * 8 * 8);
  // Softmax attention keeps every token: U x lanes x (d + 1) values x (context + 1) tokens.
  const Scenario history =
      scenario(icl + "context = 100000\n", "kind = \"softmax_attention\"\nunits = 4\ndim = 4\n");
  EXPECT_GE(estimate_memory(history), 4 * 1 * 5 * 100001 * 8.0);
  // Echo State Transformer: two R x R matrices per memory unit, M = 4 units of R = 1e5 neurons.
  const Scenario est =
      scenario(icl, "kind = \"echo_state_transformer\"\nmemory_dim = 100000\n");
  EXPECT_GE(estimate_memory(est), 4 * 2 * 1e10 * 8);
  // A scenario no machine holds is refused before anything is built.
  const Scenario huge = scenario(icl, "kind = \"cortex_qkv\"\nunits = 10000000\ndim = 4096\n");
  try {
    check_memory(huge);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s.toml: this scenario needs about "), std::string::npos)
        << e.what();
  }
  // A model without memory_bytes (leaky) is estimated from its size: 12 copies of 8 bytes per value.
  EXPECT_EQ(population_memory_bytes(many.populations[0], 3, 100), 8.0 * 12 * 10 * 3);
}

// ---------------------------------------------------------------------------------------
// The validation split and readout.ridge = "auto" / [..] (docs/tasks.md, docs/scenarios.md)
// ---------------------------------------------------------------------------------------

RunResult run_with(const std::vector<std::string>& sets, const std::string& out = "") {
  RunOptions opts;
  opts.out = out;
  return run(parse_scenario(kScenario, "s.toml", sets), opts);
}

// Tokens: warmup 10, train 100, validation 30, test 40. The same run with no validation and
// 30 test tokens has the same first 140 tokens (NARMA-10 is drawn token after token) and the
// same fit: its test is exactly this run's validation part. So the validation tokens come
// after the training ones, the fit does not see them, and they are scored with its W.
TEST(ReadoutSelection, ValidationTokensLieBetweenTrainAndTestAndStayOutOfTheFit) {
  const Scenario sc = parse_scenario(kScenario, "s.toml", {"task.validation=30"});
  Session s(sc);
  EXPECT_EQ(s.protocol().fit_at(), 140u);
  EXPECT_EQ(s.total(), 180u);
  for (int i = 0; i < 139; ++i) s.step();
  EXPECT_FALSE(s.readout_trained());  // not after train: after the validation tokens
  s.step();
  EXPECT_TRUE(s.readout_trained());
  const RunResult with = run_with({"task.validation=30"});
  const RunResult without = run_with({"task.test=30"});
  ASSERT_EQ(with.status, RunStatus::Complete) << with.message;
  EXPECT_EQ(with.tokens, 180u);
  EXPECT_EQ(with.metrics.at("nrmse_train"), without.metrics.at("nrmse_train"));
  EXPECT_EQ(with.metrics.at("nrmse_validation"), without.metrics.at("nrmse_test"));
  EXPECT_NE(with.metrics.at("nrmse_test"), without.metrics.at("nrmse_test"));
  EXPECT_EQ(without.metrics.count("nrmse_validation"), 0u);
  EXPECT_EQ(with.metrics.count("ridge_selected"), 0u);  // a fixed lambda: nothing selected
}

// The selection reads no test token: test targets of NaN and 1e300 leave the chosen lambda
// and the validation score bitwise where they were (and spoil the test score, which shows the
// poison was there). The test reaches into the generated data: a Session generates its task
// in the constructor and nothing else changes the test targets alone.
TEST(ReadoutSelection, TheSelectionNeverReadsTheTestTargets) {
  const Scenario sc = parse_scenario(kScenario, "s.toml", {"task.validation=30", "readout.ridge=auto"});
  auto selected = [&](double poison) {
    Session s(sc);
    auto& seq = const_cast<Sequences&>(s.sequences());
    for (std::size_t k = s.protocol().fit_at(); k < seq.steps; ++k)
      seq.target[k] = k % 2 ? poison : std::nan("");
    while (s.step()) {
    }
    s.finish();
    return s.metrics();
  };
  const auto clean = selected(0.5), poisoned = selected(1e300);
  ASSERT_EQ(clean.count("ridge_selected"), 1u);
  EXPECT_EQ(clean.at("ridge_selected"), poisoned.at("ridge_selected"));
  EXPECT_EQ(clean.at("nrmse_validation"), poisoned.at("nrmse_validation"));
  EXPECT_TRUE(std::isnan(poisoned.at("nrmse_test")));
  const auto& grid = ridge_auto_grid();
  EXPECT_NE(std::find(grid.begin(), grid.end(), clean.at("ridge_selected")), grid.end());
}

// A list of one candidate fits with that lambda: the same run as the plain number. A list
// chooses by the validation score, recorded for every candidate in /analysis/ridge_selection.
TEST(ReadoutSelection, AListChoosesTheBestValidationScoreAndIsRecorded) {
  const RunResult fixed = run_with({"task.validation=30", "readout.ridge=1e-3"});
  const RunResult one = run_with({"task.validation=30", "readout.ridge=[1e-3]"});
  EXPECT_EQ(one.metrics.at("nrmse_test"), fixed.metrics.at("nrmse_test"));
  EXPECT_EQ(one.metrics.at("ridge_selected"), 1e-3);
  const std::vector<double> candidates = {1e-9, 1e-3, 10.0, 1e4};
  std::vector<double> validation;  // each candidate as its own run with a fixed lambda
  for (double lambda : candidates) {
    std::ostringstream set;
    set << "readout.ridge=" << std::setprecision(17) << lambda;
    validation.push_back(run_with({"task.validation=30", set.str()}).metrics.at("nrmse_validation"));
  }
  const std::size_t at =
      static_cast<std::size_t>(std::min_element(validation.begin(), validation.end()) - validation.begin());
  const double best = candidates[at];
  EXPECT_NE(at, 0u);  // not simply the smallest lambda
  const std::string file = test::tmp_path("selection.h5");
  const RunResult chosen = run_with({"task.validation=30", "readout.ridge=[1e-9, 1e-3, 10.0, 1e4]"}, file);
  EXPECT_EQ(chosen.metrics.at("ridge_selected"), best);
  const Array lambdas = read_hdf5_array(file, layout::analysis::kRidgeCandidates);
  const Array scores = read_hdf5_array(file, layout::analysis::kRidgeScores);
  EXPECT_EQ(lambdas.values, candidates);
  ASSERT_EQ(scores.values.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(scores.values[i], validation[i], 1e-9 * validation[i]);
  EXPECT_EQ(read_hdf5_array(file, layout::analysis::metric("ridge_selected")).values.at(0), best);
}

// Bad values name the key and say what is expected.
TEST(ReadoutSelection, BadValuesGiveErrorsNamingTheKey) {
  auto error = [](const std::vector<std::string>& sets) {
    try {
      run(parse_scenario(kScenario, "s.toml", sets));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  std::string e = error({"readout.ridge=foo"});
  EXPECT_TRUE(has(e, "readout.ridge") && has(e, "\"auto\"") && has(e, "foo")) << e;
  e = error({"readout.ridge=[]"});
  EXPECT_TRUE(has(e, "readout.ridge") && has(e, "empty array")) << e;
  e = error({"readout.ridge=[1e-3, -1.0]"});
  EXPECT_TRUE(has(e, "readout.ridge") && has(e, ">= 0") && has(e, "-1")) << e;
  e = error({"readout.ridge=-1"});
  EXPECT_TRUE(has(e, "readout.ridge") && has(e, ">= 0")) << e;
  e = error({"readout.ridge=auto"});  // no validation part to choose on
  EXPECT_TRUE(has(e, "s.toml") && has(e, "readout.ridge") && has(e, "task.validation = 0")) << e;
  e = error({"task.validation=-5"});
  EXPECT_TRUE(has(e, "task.validation")) << e;
}

}  // namespace
