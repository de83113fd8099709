// Gradients through the simulated dynamics (core/train) against central finite differences
// (GradientCheck, tests/support/gradient_check.hpp), and the trainer's pieces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/error.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"
#include "train/adam.hpp"
#include "train/token_tape.hpp"
#include "train/trainable_network.hpp"

namespace ransim {
namespace {

using test::Check;
using test::GradientCheck;

// Two leaky populations, recurrent and between each other, a sparse input and identity routing.
std::string leaky_network(const std::string& simulation, const std::string& activation) {
  return "[simulation]\n" + simulation +
         "lanes = 3\n[task]\nkind = \"narma10\"\n"
         "[population.a]\nkind = \"leaky\"\nsize = 7\ntau = 2.0\nbias_scale = 0.3\ninitial_state = 0.2\n"
         "activation = \"" +
         activation +
         "\"\n"
         "[population.b]\nkind = \"leaky\"\nsize = 4\ntau = 1.5\nbias_scale = 0.2\nactivation = \"" +
         activation +
         "\"\n"
         "[[projection]]\nname = \"in_a\"\nfrom = \"input\"\nto = \"a\"\ndensity = 1.0\n"
         "[[projection]]\nname = \"a_a\"\nfrom = \"a\"\nto = \"a\"\ndensity = 0.5\nspectral_radius = 0.9\n"
         "[[projection]]\nname = \"a_b\"\nfrom = \"a\"\nto = \"b\"\ndensity = 0.6\nscale = 0.8\n"
         "[[projection]]\nname = \"b_a\"\nfrom = [\"b\"]\nto = \"a\"\nkind = \"identity\"\nscale = 0.5\n";
}

const std::vector<std::string> kLeakyTrainable = {"a", "b.bias", "in_a", "a_a", "a_b"};

// Euler with one and four steps per token, RK4 with two, over the four activations.
TEST(LeakyGradient, EveryIntegratorAndActivationMatchesFiniteDifferences) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"integrator = \"euler\"\n", "tanh"},         {"integrator = \"euler\"\ndt = 0.25\n", "sigmoid"},
      {"integrator = \"rk4\"\ndt = 0.5\n", "tanh"}, {"integrator = \"rk4\"\n", "identity"},
      {"integrator = \"rk4\"\n", "relu"},
  };
  for (auto& [simulation, activation] : cases) {
    SCOPED_TRACE(simulation + activation);
    GradientCheck check({leaky_network(simulation, activation), kLeakyTrainable});
    EXPECT_LT(check.worst_relative_error(), 1e-6);
  }
}

// A gated linear RNN (its update happens at the tick and is held over the token: the tick
// state) between an identity-routed input and a leaky population that feeds it back.
std::string gated_network(const std::string& simulation) {
  return "[simulation]\n" + simulation +
         "lanes = 2\n[task]\nkind = \"narma10\"\n"
         "[population.g]\nkind = \"gated_linear\"\ndim = 2\nwq_scale = 0.7\nwk_scale = 0.7\nwv_scale = 0.7\n"
         "[population.r]\nkind = \"leaky\"\nsize = 5\nbias_scale = 0.1\n"
         "[[projection]]\nfrom = [\"input\"]\nto = \"g\"\nkind = \"identity\"\n"
         "[[projection]]\nname = \"g_r\"\nfrom = \"g\"\nto = \"r\"\ndensity = 1.0\nscale = 0.3\n"
         "[[projection]]\nname = \"r_g\"\nfrom = \"r\"\nto = \"g\"\ndensity = 1.0\nscale = 0.3\n";
}

TEST(GatedLinearGradient, TickStateMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check({gated_network("integrator = \"euler\"\n"), {"g", "r", "g_r", "r_g"}, 5});
  EXPECT_EQ(check.network().names(), (std::vector<std::string>{"g.lambda", "g.G_in", "g.X_in", "g.G_out",
                                                               "g.X_out", "g.D", "r.bias", "g_r", "r_g"}));
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(GatedLinearGradient, Rk4SubstepsMatchFiniteDifferences) {
  test::load_plugins();
  GradientCheck check({gated_network("integrator = \"rk4\"\ndt = 0.5\n"), {"g", "r_g"}, 5});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(TrainableNetwork, NamesWhatItSelectsAndRefusesTheRest) {
  GradientCheck check({leaky_network("", "tanh"), {"a.bias", "a_b"}});
  EXPECT_EQ(check.network().names(), (std::vector<std::string>{"a.bias", "a_b"}));
  EXPECT_EQ(check.network().sizes()[0], 7u);
  const std::string msg = test::input_error([] { GradientCheck({leaky_network("", "tanh"), {"b_a"}}); });
  EXPECT_NE(msg.find("train.trainable: 'b_a' is not a trainable weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(trainable: a.bias, b.bias, in_a, a_a, a_b"), std::string::npos) << msg;
}

TEST(TokenTape, RefusesAdaptiveSteps) {
  const std::string msg = test::input_error([] {
    GradientCheck check({leaky_network("integrator = \"dopri5\"\n", "tanh"), {"a"}});
    check.loss(check.network().values());
  });
  EXPECT_NE(msg.find("\"dopri5\" cannot be trained"), std::string::npos) << msg;
}

TEST(Adam, FirstStepMovesEachValueByTheLearningRate) {
  // After one step from zero moments, m^ = g and v^ = g^2 (bias-corrected), so each value
  // moves by lr g / (|g| + eps): lr times the sign of g, to within eps / |g|.
  Adam adam(3, {.lr = 0.1, .clip = 0});
  std::vector<double> p = {1.0, -2.0, 0.5};
  adam.step(p, {4.0, -0.5, 1e-3});
  EXPECT_NEAR(p[0], 0.9, 1e-8);
  EXPECT_NEAR(p[1], -1.9, 1e-7);
  EXPECT_NEAR(p[2], 0.4, 1e-5);
}

TEST(Adam, ClipsTheWholeGradientToItsNorm) {
  // With the gradient rescaled to norm 1 the first step is still lr sign(g); the returned
  // norm is the one before clipping: |(3, 4)| = 5.
  Adam adam(2, {.lr = 0.1, .clip = 1.0});
  std::vector<double> p = {0.0, 0.0};
  EXPECT_DOUBLE_EQ(adam.step(p, {3.0, 4.0}), 5.0);
  EXPECT_NEAR(p[0], -0.1, 1e-7);
}

}  // namespace
}  // namespace ransim
