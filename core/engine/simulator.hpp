#pragma once
// Integrates a Network between token ticks with Boost.Odeint (docs/science.md).
// Sample k of the input is held on [k T, (k+1) T); at each tick the input switches and the
// populations' tick hooks run. Euler with dt = T reproduces the discrete-time update.
#include <atomic>
#include <string>
#include <vector>

#include "engine/network.hpp"

namespace ransim {

enum class Method { Euler, Rk4, Dopri5 };
Method parse_method(const std::string& name);  // throws InputError
std::string method_name(Method m);

// Fixed-step integrators: token_period / dt above this is refused as bad input; dopri5: a
// token that takes more adaptive steps than this fails the run (a stiff or exploding system).
inline constexpr double kMaxStepsPerToken = 1e8;
inline constexpr std::size_t kMaxAdaptiveStepsPerToken = 10'000'000;

struct IntegratorSettings {
  Method method = Method::Euler;
  double dt = 1.0;            // s: fixed step (euler, rk4), first trial step (dopri5)
  double token_period = 1.0;  // s
  double abs_tol = 1e-8;      // dopri5
  double rel_tol = 1e-8;      // dopri5
  std::size_t max_adaptive_steps = kMaxAdaptiveStepsPerToken;  // dopri5, per token
};

class Simulator {
 public:
  Simulator(Network& net, IntegratorSettings s);

  // Present input sample u (input_size x lanes, lanes fastest) for the next token and
  // integrate over one token period. The state after the call is the state at the next tick.
  // Returns false when the stop flag was raised during the token: the token is then left
  // unfinished (time() and tokens() unchanged, the state somewhere inside the token). Throws
  // RunError when dopri5 needs more than kMaxAdaptiveStepsPerToken steps for one token.
  bool step_token(const double* u);
  // A flag (non-zero: stop, e.g. the number of a caught signal) read before every integrator
  // step, so that a long token stops within one step; null: never stop.
  void set_stop_flag(const std::atomic<int>* stop) { stop_ = stop; }

  double time() const { return t_; }
  std::size_t tokens() const { return k_; }
  const LaneVector<double>& state() const { return x_; }
  LaneVector<double>& state() { return x_; }
  const IntegratorSettings& settings() const { return s_; }
  std::size_t steps() const { return steps_; }  // integrator steps taken (all tokens)
  void reset();

 private:
  Network& net_;
  IntegratorSettings s_;
  LaneVector<double> x_;
  LaneVector<double> u_;
  std::size_t substeps_ = 1;  // fixed-step methods: steps per token
  double t_ = 0;
  std::size_t k_ = 0;
  std::size_t steps_ = 0;
  const std::atomic<int>* stop_ = nullptr;
  bool stop_requested() const { return stop_ && stop_->load(std::memory_order_relaxed) != 0; }
  bool integrate_adaptive(double t0, double t1);
  struct Steppers;
  std::shared_ptr<Steppers> steppers_;
};

}  // namespace ransim
