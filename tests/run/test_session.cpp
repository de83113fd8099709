// Session: the token loop shared by `ransim run` and the GUI.
#include <gtest/gtest.h>

#include "ransim/error.hpp"
#include "run/run.hpp"
#include "run/session.hpp"

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

}  // namespace
