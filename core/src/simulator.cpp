#include "ransim/simulator.hpp"

#include <boost/numeric/odeint.hpp>
#include <cmath>

#include "ransim/error.hpp"

namespace ransim {

namespace odeint = boost::numeric::odeint;
using State = LaneVector<double>;

Method parse_method(const std::string& name) {
  if (name == "euler") return Method::Euler;
  if (name == "rk4") return Method::Rk4;
  if (name == "dopri5") return Method::Dopri5;
  throw InputError("unknown integrator '" + name + "' (expected euler | rk4 | dopri5)");
}

std::string method_name(Method m) {
  switch (m) {
    case Method::Euler: return "euler";
    case Method::Rk4: return "rk4";
    case Method::Dopri5: return "dopri5";
  }
  return "?";
}

struct Simulator::Steppers {
  odeint::euler<State> euler;
  odeint::runge_kutta4<State> rk4;
  odeint::dense_output_runge_kutta<odeint::controlled_runge_kutta<odeint::runge_kutta_dopri5<State>>>
      dopri5;
  explicit Steppers(const IntegratorSettings& s)
      : dopri5(odeint::make_dense_output(s.abs_tol, s.rel_tol, odeint::runge_kutta_dopri5<State>())) {}
};

Simulator::Simulator(Network& net, IntegratorSettings s)
    : net_(net), s_(s), steppers_(std::make_shared<Steppers>(s)) {
  if (!(s_.token_period > 0) || !(s_.dt > 0))
    throw InputError("token_period and dt must be > 0");
  if (s_.method != Method::Dopri5) {
    const double n = std::round(s_.token_period / s_.dt);
    if (n < 1 || std::abs(n * s_.dt - s_.token_period) > 1e-9 * s_.token_period)
      throw InputError("token_period (" + std::to_string(s_.token_period) +
                       " s) must be a whole multiple of dt (" + std::to_string(s_.dt) + " s)");
    substeps_ = static_cast<std::size_t>(n);
  }
  reset();
}

void Simulator::reset() {
  x_.assign(net_.state_size() * net_.lanes(), 0.0);
  u_.assign(net_.input_size() * net_.lanes(), 0.0);
  net_.initial_state(x_.data());
  t_ = 0;
  k_ = 0;
  steps_ = 0;
}

void Simulator::step_token(const double* u) {
  std::copy(u, u + u_.size(), u_.begin());
  net_.tick(x_.data(), u_.data());
  auto system = [this](const State& x, State& dxdt, double t) {
    net_.derivative(x.data(), dxdt.data(), t, u_.data());
  };
  const double t0 = static_cast<double>(k_) * s_.token_period;
  const double t1 = static_cast<double>(k_ + 1) * s_.token_period;
  switch (s_.method) {
    case Method::Euler:
    case Method::Rk4: {
      const double h = s_.token_period / static_cast<double>(substeps_);
      for (std::size_t i = 0; i < substeps_; ++i) {
        const double t = t0 + static_cast<double>(i) * h;  // no drift from summing h
        if (s_.method == Method::Euler) steppers_->euler.do_step(system, x_, t, h);
        else steppers_->rk4.do_step(system, x_, t, h);
      }
      steps_ += substeps_;
      break;
    }
    case Method::Dopri5:
      // The input jumps at every tick, so the dense-output stepper restarts each token.
      steps_ += odeint::integrate_adaptive(steppers_->dopri5, system, x_, t0, t1,
                                           std::min(s_.dt, s_.token_period));
      break;
  }
  ++k_;
  t_ = t1;
}

}  // namespace ransim
