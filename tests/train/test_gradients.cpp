// Gradients through the simulated dynamics (core/train) against central finite differences.
//
// The loss of a check is linear in the states it visits, L = sum_k c_k . x_{k+1}, with fixed
// random cotangents c_k, after K tokens from the initial state: its gradient with respect to
// every trainable value comes from TokenTape (backward through the tick and every Euler or RK4
// stage) and from (L(theta + h e_i) - L(theta - h e_i)) / 2h, whose error is O(h^2) ~ 1e-12
// relative at h = 1e-5 for these smooth maps; the checks ask for 1e-6 (the bound).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/error.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "train/adam.hpp"
#include "train/token_tape.hpp"
#include "train/trainable_network.hpp"

namespace ransim {
namespace {

struct Check {
  std::string scenario;                // TOML
  std::vector<std::string> trainable;  // train.trainable
  std::size_t tokens = 6, input_dim = 2;
};

// L(theta) and, when `gradient` is given, dL/dtheta by backpropagation.
class GradientCheck {
 public:
  explicit GradientCheck(const Check& c) : c_(c), sc_(parse_scenario(c.scenario, "<check>")) {
    net_ = build_network(sc_, c.input_dim);
    tn_ = std::make_unique<TrainableNetwork>(*net_, c.trainable);
    sim_ = std::make_unique<Simulator>(*net_, sc_.integrator);
    Rng rng = make_rng(7, "gradient_check");
    const std::size_t lanes = net_->lanes();
    inputs_.resize(c.tokens * c.input_dim * lanes);
    for (auto& v : inputs_) v = uniform(rng, -1, 1);
    cotangents_.resize(c.tokens * net_->state_size() * lanes);
    for (auto& v : cotangents_) v = normal(rng);
  }

  TrainableNetwork& network() { return *tn_; }

  double loss(const std::vector<double>& theta, std::vector<double>* gradient = nullptr) {
    tn_->set_values(theta);
    sim_->reset();
    TokenTape tape(*sim_, *tn_);
    const std::size_t n = net_->state_size() * net_->lanes(), u = c_.input_dim * net_->lanes();
    double l = 0;
    for (std::size_t k = 0; k < c_.tokens; ++k) {
      tape.forward(&inputs_[k * u]);
      for (std::size_t i = 0; i < n; ++i) l += cotangents_[k * n + i] * sim_->state()[i];
    }
    if (!gradient) return l;
    tn_->zero_gradient();
    std::vector<double> g_x(n, 0.0), g_tick(tn_->tick_state_size() * net_->lanes(), 0.0);
    for (std::size_t k = c_.tokens; k-- > 0;) {
      for (std::size_t i = 0; i < n; ++i) g_x[i] += cotangents_[k * n + i];
      tape.backward(g_x, g_tick);
    }
    *gradient = tn_->gradient();
    return l;
  }

  // max over parameters of |analytic - numeric| / max(|numeric|, 1e-3 * max |numeric|)
  double worst_relative_error() {
    const double worst = compare_with_finite_differences();
    std::printf("worst relative error over %zu values: %.3g\n", tn_->size(), worst);
    return worst;
  }

 private:
  double compare_with_finite_differences() {
    const std::vector<double> theta = tn_->values();
    std::vector<double> g;
    loss(theta, &g);
    std::vector<double> fd(theta.size());
    double scale = 0;
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double h = 1e-5 * std::max(1.0, std::abs(theta[i]));
      std::vector<double> plus = theta, minus = theta;
      plus[i] += h;
      minus[i] -= h;
      fd[i] = (loss(plus) - loss(minus)) / (2 * h);
      scale = std::max(scale, std::abs(fd[i]));
    }
    double worst = 0;
    for (std::size_t i = 0; i < theta.size(); ++i)
      worst = std::max(worst, std::abs(g[i] - fd[i]) / std::max(std::abs(fd[i]), 1e-3 * scale));
    return worst;
  }

  Check c_;
  Scenario sc_;
  std::unique_ptr<Network> net_;
  std::unique_ptr<TrainableNetwork> tn_;
  std::unique_ptr<Simulator> sim_;
  std::vector<double> inputs_, cotangents_;
};

// Two leaky populations, recurrent and between each other, a sparse input and identity routing.
std::string leaky_network(const std::string& simulation, const std::string& activation) {
  return "[simulation]\n" + simulation + "lanes = 3\n[task]\nkind = \"narma10\"\n"
         "[population.a]\nkind = \"leaky\"\nsize = 7\ntau = 2.0\nbias_scale = 0.3\ninitial_state = 0.2\n"
         "activation = \"" + activation + "\"\n"
         "[population.b]\nkind = \"leaky\"\nsize = 4\ntau = 1.5\nbias_scale = 0.2\nactivation = \"" + activation +
         "\"\n"
         "[[projection]]\nname = \"in_a\"\nfrom = \"input\"\nto = \"a\"\ndensity = 1.0\n"
         "[[projection]]\nname = \"a_a\"\nfrom = \"a\"\nto = \"a\"\ndensity = 0.5\nspectral_radius = 0.9\n"
         "[[projection]]\nname = \"a_b\"\nfrom = \"a\"\nto = \"b\"\ndensity = 0.6\nscale = 0.8\n"
         "[[projection]]\nname = \"b_a\"\nfrom = [\"b\"]\nto = \"a\"\nkind = \"identity\"\nscale = 0.5\n";
}

const std::vector<std::string> kLeakyTrainable = {"a", "b.bias", "in_a", "a_a", "a_b"};

TEST(LeakyGradient, EulerOneStepPerTokenMatchesFiniteDifferences) {
  GradientCheck check({leaky_network("integrator = \"euler\"\n", "tanh"), kLeakyTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(LeakyGradient, EulerSubstepsMatchFiniteDifferences) {
  GradientCheck check({leaky_network("integrator = \"euler\"\ndt = 0.25\n", "sigmoid"), kLeakyTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(LeakyGradient, Rk4MatchesFiniteDifferences) {
  GradientCheck check({leaky_network("integrator = \"rk4\"\ndt = 0.5\n", "tanh"), kLeakyTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(LeakyGradient, IdentityActivationMatchesFiniteDifferences) {
  GradientCheck check({leaky_network("integrator = \"rk4\"\n", "identity"), kLeakyTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

// A gated linear RNN (its update happens at the tick and is held over the token: the tick
// state) between an identity-routed input and a leaky population that feeds it back.
std::string gated_network(const std::string& simulation) {
  return "[simulation]\n" + simulation + "lanes = 2\n[task]\nkind = \"narma10\"\n"
         "[population.g]\nkind = \"gated_linear\"\ndim = 2\nwq_scale = 0.7\nwk_scale = 0.7\nwv_scale = 0.7\n"
         "[population.r]\nkind = \"leaky\"\nsize = 5\nbias_scale = 0.1\n"
         "[[projection]]\nfrom = [\"input\"]\nto = \"g\"\nkind = \"identity\"\n"
         "[[projection]]\nname = \"g_r\"\nfrom = \"g\"\nto = \"r\"\ndensity = 1.0\nscale = 0.3\n"
         "[[projection]]\nname = \"r_g\"\nfrom = \"r\"\nto = \"g\"\ndensity = 1.0\nscale = 0.3\n";
}

TEST(GatedLinearGradient, TickStateMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check({gated_network("integrator = \"euler\"\n"), {"g", "r", "g_r", "r_g"}, 5});
  EXPECT_EQ(check.network().names(), (std::vector<std::string>{"g.lambda", "g.G_in", "g.X_in", "r.bias", "g_r",
                                                               "r_g"}));
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
  const std::string msg = test::input_error(
      [] {
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
