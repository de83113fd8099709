#include "engine/simulator.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <tuple>
#include <utility>

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

namespace {
// odeint's vector operations (x += h dx/dt, the Runge-Kutta sums) on the network's pool. The
// pool cuts a range into the same per-thread shares in every loop, so each thread updates
// the state of the units whose derivative it computed, in its own core's cache: with 64
// lanes on two threads a serial update spent most of its time fetching the other core's half
// of dx/dt (docs/performance.md). The operations are elementwise: any split gives the same
// bits. Operations not listed here (and the error norm) stay serial in range_algebra.
struct PoolAlgebra : odeint::range_algebra {
  ThreadPool* pool = nullptr;

  // op(s1[i], ..., sn[i]) for every i; the arguments are the states, then op. odeint writes
  // s1. The other core has read those lines of x (every thread reads all of x in the sparse
  // product), and a store waits until that core has dropped its copy: asking for the lines
  // some way ahead (a prefetch for writing) overlaps those waits. Two threads, 64 lanes,
  // N = 1000: the update took ~40 us a step without it, ~10 us with it.
  template <class... A> void each(A&... a) const {
    auto args = std::tie(a...);
    constexpr std::size_t states = sizeof...(A) - 1, ahead = 256;  // values: 32 lines
    auto& op = std::get<states>(args);
    const auto range = [&](std::size_t b, std::size_t e) {
      const auto* out = std::get<0>(args).data();
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        for (std::size_t i = b; i < e; i += ahead) {  // blocks, so the inner loop vectorises
          const std::size_t end = std::min(i + ahead, e);
          for (std::size_t p = end; p < std::min(end + ahead, e); p += 8)  // 8 values: a line
            __builtin_prefetch(out + p, 1);
          for (std::size_t j = i; j < end; ++j) op(std::get<I>(args)[j]...);
        }
      }
      (std::make_index_sequence<states>{});
    };
    const std::size_t n = std::get<0>(args).size();
    if (pool) pool->parallel_for(n, range, 4096);  // values per thread worth a synchronisation
    else range(0, n);                              // odeint default-constructs an algebra in a few places
  }
  template <class... A> void for_each1(A&&... a) const { each(a...); }
  template <class... A> void for_each2(A&&... a) const { each(a...); }
  template <class... A> void for_each3(A&&... a) const { each(a...); }
  template <class... A> void for_each4(A&&... a) const { each(a...); }
  template <class... A> void for_each5(A&&... a) const { each(a...); }
  template <class... A> void for_each6(A&&... a) const { each(a...); }
  template <class... A> void for_each7(A&&... a) const { each(a...); }
  template <class... A> void for_each8(A&&... a) const { each(a...); }
};

using Ops = odeint::default_operations;
template <template <class...> class Stepper>
using OnPool = Stepper<State, double, State, double, PoolAlgebra, Ops>;
}  // namespace

struct Simulator::Steppers {
  OnPool<odeint::euler> euler;
  OnPool<odeint::runge_kutta4> rk4;
  odeint::dense_output_runge_kutta<odeint::controlled_runge_kutta<OnPool<odeint::runge_kutta_dopri5>>> dopri5;
  Steppers(const IntegratorSettings& s, const PoolAlgebra& algebra)
      : euler(algebra),
        rk4(algebra),
        dopri5(odeint::make_dense_output(s.abs_tol, s.rel_tol, OnPool<odeint::runge_kutta_dopri5>(algebra))) {
  }
};

Simulator::Simulator(Network& net, IntegratorSettings s)
    : net_(net), s_(s), steppers_(std::make_shared<Steppers>(s, PoolAlgebra{{}, &net.pool()})) {
  if (!(s_.token_period > 0) || !(s_.dt > 0)) throw InputError("token_period and dt must be > 0");
  if (s_.method != Method::Dopri5) {
    const double n = std::round(s_.token_period / s_.dt);
    if (!(n <= kMaxStepsPerToken))
      throw InputError("token_period / dt = " + to_string(Value{s_.token_period / s_.dt}) +
                       " integrator steps per token (at most 1e8 are allowed)");
    if (n < 1 || std::abs(n * s_.dt - s_.token_period) > 1e-9 * s_.token_period)
      throw InputError("token_period (" + to_string(Value{s_.token_period}) +  // %g: 1e-300 is not 0.000000
                       " s) must be a whole multiple of dt (" + to_string(Value{s_.dt}) + " s)");
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

bool Simulator::step_token(const double* u) {
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
        if (stop_requested()) return false;
        const double t = t0 + static_cast<double>(i) * h;  // no drift from summing h
        if (s_.method == Method::Euler) steppers_->euler.do_step(system, x_, t, h);
        else steppers_->rk4.do_step(system, x_, t, h);
        ++steps_;
      }
      break;
    }
    case Method::Dopri5:
      if (!integrate_adaptive(t0, t1)) return false;
      break;
  }
  ++k_;
  t_ = t1;
  return true;
}

// odeint's integrate_adaptive for the dense-output stepper, step by step, so that the stop
// flag is read between steps and a token that never ends is caught. The input jumps at every
// tick, so the stepper restarts each token.
bool Simulator::integrate_adaptive(double t0, double t1) {
  auto system = [this](const State& x, State& dxdt, double t) {
    net_.derivative(x.data(), dxdt.data(), t, u_.data());
  };
  auto& st = steppers_->dopri5;
  st.initialize(x_, t0, std::min(s_.dt, s_.token_period));
  std::size_t taken = 0;
  // As odeint's integrate_adaptive: step while the end is not reached (up to rounding).
  while (odeint::detail::less_with_sign(st.current_time(), t1, st.current_time_step())) {
    if (stop_requested()) return false;
    if (taken == s_.max_adaptive_steps)
      throw RunError("dopri5 took " + std::to_string(taken) + " steps in token " + std::to_string(k_) +
                     " (t = " + std::to_string(st.current_time()) + " s, step " +
                     std::to_string(st.current_time_step()) +
                     " s) without reaching its end: the system is too stiff or diverging for the "
                     "tolerances (simulation.abs_tol, simulation.rel_tol)");
    // Never step past the tick (the input switches there).
    if (odeint::detail::less_with_sign(t1, static_cast<double>(st.current_time() + st.current_time_step()),
                                       st.current_time_step()))
      st.initialize(st.current_state(), st.current_time(), t1 - st.current_time());
    st.do_step(system);
    ++taken;
    ++steps_;
  }
  x_ = st.current_state();
  return true;
}

}  // namespace ransim
