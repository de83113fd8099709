#pragma once
// GradientCheck: a network's gradient by backpropagation through the simulated dynamics
// (core/train) against central finite differences, for tests/train/test_gradients*.cpp.
//
// The loss of a check is linear in the states it visits, L = sum_k c_k . x_{k+1}, with fixed
// random cotangents c_k, after K tokens from the initial state: its gradient with respect to
// every trainable value comes from TokenTape (backward through the tick and every Euler or RK4
// stage) and from (L(theta + h e_i) - L(theta - h e_i)) / 2h, whose error is O(h^2) ~ 1e-12
// relative at h = 1e-5 for these smooth maps; the checks ask for 1e-6 (the bound).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/rng.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "train/token_tape.hpp"
#include "train/trainable_network.hpp"

namespace ransim::test {

struct Check {
  std::string scenario;                // TOML
  std::vector<std::string> trainable;  // train.trainable
  std::size_t tokens = 6, input_dim = 2;
  // Non-empty: L = sum_k c_k . r_k over this recordable r of the first population (its
  // Differentiable::sample_vjp) instead of the whole state.
  std::string recordable = {};
  // Relative finite-difference step: smaller for maps whose third derivatives are large (O(h^2) error).
  double step = 1e-5;
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
    per_token_ = net_->state_size() * lanes;
    for (const Recordable& r : net_->populations()[0].model->recordables())
      if (!c.recordable.empty() && r.name == c.recordable) per_token_ = r.size() * lanes;
    cotangents_.resize(c.tokens * per_token_);
    for (auto& v : cotangents_) v = normal(rng);
  }

  TrainableNetwork& network() { return *tn_; }

  double loss(const std::vector<double>& theta, std::vector<double>* gradient = nullptr) {
    tn_->set_values(theta);
    sim_->reset();
    TokenTape tape(*sim_, *tn_);
    const std::size_t n = net_->state_size() * net_->lanes(), u = c_.input_dim * net_->lanes();
    std::vector<std::vector<double>> g_state(c_.tokens, std::vector<double>(n, 0.0));  // dL/d(state after k)
    if (gradient) tn_->zero_gradient();
    double l = 0;
    for (std::size_t k = 0; k < c_.tokens; ++k) {
      tape.forward(&inputs_[k * u]);
      const double *c = &cotangents_[k * per_token_], *x = sim_->state().data();
      if (c_.recordable.empty()) {
        for (std::size_t i = 0; i < n; ++i) l += c[i] * x[i];
        std::copy(c, c + n, g_state[k].begin());
        continue;
      }
      std::vector<double> r;
      net_->populations()[0].model->sample(c_.recordable, net_->block(x, 0), net_->drive(0), r);
      for (std::size_t i = 0; i < per_token_; ++i) l += c[i] * r[i];
      if (gradient) tn_->sample_vjp(0, c_.recordable, x, &inputs_[k * u], c, g_state[k].data());
    }
    if (!gradient) return l;
    std::vector<double> g_x(n, 0.0), g_tick(tn_->tick_state_size() * net_->lanes(), 0.0);
    for (std::size_t k = c_.tokens; k-- > 0;) {
      for (std::size_t i = 0; i < n; ++i) g_x[i] += g_state[k][i];
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
      const double h = c_.step * std::max(1.0, std::abs(theta[i]));
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
  std::size_t per_token_ = 0;  // cotangents per token: the state's or the recordable's, times lanes
  std::vector<double> inputs_, cotangents_;
};

}  // namespace ransim::test
