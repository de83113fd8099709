#include "train/token_tape.hpp"

#include <algorithm>
#include <cmath>

#include "ransim/error.hpp"

namespace ransim {

TokenTape::TokenTape(Simulator& sim, TrainableNetwork& net) : sim_(sim), net_(net) {
  if (sim.settings().method == Method::Dopri5)
    throw InputError(
        "simulation.method = \"dopri5\" cannot be trained: its adaptive steps are not differentiated; use "
        "\"euler\" or \"rk4\" (fixed steps, differentiated exactly as they run)");
}

void TokenTape::forward(const double* u) {
  Network& net = net_.network();
  const std::size_t lanes = net.lanes();
  Token r;
  r.x.assign(sim_.state().begin(), sim_.state().end());
  r.tick.resize(net_.tick_state_size() * lanes);
  net_.save_tick_state(r.tick.data());
  r.u.assign(u, u + net.input_size() * lanes);
  r.t0 = sim_.time();
  if (!sim_.step_token(u)) throw RunError("training: the simulation was stopped during a token");
  tick_now_.resize(r.tick.size());
  net_.save_tick_state(tick_now_.data());
  tape_.push_back(std::move(r));
}

void TokenTape::restore_tick_state() { net_.load_tick_state(tick_now_.data()); }

void TokenTape::derivative(const double* x, double* dxdt, double t, const double* u) {
  net_.network().derivative(x, dxdt, t, u);
}

namespace {
void axpy(std::vector<double>& y, double a, const std::vector<double>& x) {
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += a * x[i];
}
}  // namespace

void TokenTape::backward(std::vector<double>& g_x, std::vector<double>& g_tick) {
  if (tape_.empty()) throw std::logic_error("TokenTape::backward: no token recorded");
  Token r = std::move(tape_.back());
  tape_.pop_back();
  Network& net = net_.network();
  const std::size_t n = r.x.size();
  const IntegratorSettings& s = sim_.settings();
  const auto steps = static_cast<std::size_t>(std::llround(s.token_period / s.dt));
  const double h = s.token_period / static_cast<double>(steps);
  const bool rk4 = s.method == Method::Rk4;

  // The token again, as the Simulator ran it: the tick, then the steps, keeping every point
  // at which dx/dt was evaluated (Euler: one per step; RK4: four).
  net_.load_tick_state(r.tick.data());
  net.tick(r.x.data(), r.u.data());
  const std::size_t stages = rk4 ? 4 : 1;
  std::vector<std::vector<double>> points(steps * stages, std::vector<double>(n));
  std::vector<double> y = r.x, k(n), sum(n);
  for (std::size_t i = 0; i < steps; ++i) {
    const double t = r.t0 + static_cast<double>(i) * h;
    std::vector<double>* p = &points[i * stages];
    p[0] = y;
    derivative(y.data(), k.data(), t, r.u.data());
    if (!rk4) {
      axpy(y, h, k);
      continue;
    }
    sum = k;  // k1 + 2 k2 + 2 k3 + k4
    const double offsets[3] = {h / 2, h / 2, h};
    for (std::size_t st = 1; st < 4; ++st) {
      p[st] = y;
      axpy(p[st], offsets[st - 1], k);
      derivative(p[st].data(), k.data(), t + offsets[st - 1], r.u.data());
      axpy(sum, st == 3 ? 1.0 : 2.0, k);
    }
    axpy(y, h / 6, sum);
  }

  // Reverse: each step y' = y + h phi(y) hands g(y') back to g(y) = g(y') + (d phi/dy)^T h g(y').
  std::vector<double> g_stage(n), g_point(n), g_k(n);
  for (std::size_t i = steps; i-- > 0;) {
    const std::vector<double>* p = &points[i * stages];
    if (!rk4) {
      for (std::size_t j = 0; j < n; ++j) g_stage[j] = h * g_x[j];
      net_.derivative_vjp(p[0].data(), r.u.data(), g_stage.data(), g_x.data(), g_tick.data());
      continue;
    }
    // k_s is read by y' with weight h w_s and by the next stage's point with weight h c_s.
    const double weights[4] = {h / 6, h / 3, h / 3, h / 6};
    const double feeds[4] = {h / 2, h / 2, h, 0};  // point s+1 = y + feeds[s] k_s
    std::vector<double> g_y = g_x;
    std::fill(g_point.begin(), g_point.end(), 0.0);  // g of point s+1, from the stage after
    for (std::size_t st = 4; st-- > 0;) {
      for (std::size_t j = 0; j < n; ++j) g_k[j] = weights[st] * g_x[j] + feeds[st] * g_point[j];
      std::fill(g_stage.begin(), g_stage.end(), 0.0);
      net_.derivative_vjp(p[st].data(), r.u.data(), g_k.data(), g_stage.data(), g_tick.data());
      axpy(g_y, 1.0, g_stage);  // every point is y plus a multiple of a k
      g_point = g_stage;
    }
    g_x = std::move(g_y);
  }

  // The tick: its state before the tick, and the cotangent of the state after it.
  net_.load_tick_state(r.tick.data());
  if (!g_tick.empty()) {
    std::vector<double> g_before(g_tick.size(), 0.0);
    net_.tick_vjp(r.x.data(), r.u.data(), g_tick.data(), g_x.data(), g_before.data());
    g_tick = std::move(g_before);
  }
}

}  // namespace ransim
