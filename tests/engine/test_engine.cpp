// Engine tests: the Simulator integrating Networks built from scenario text.
//
// Every expected number below comes from one of
//  - a closed form (linear leaky units: exponential decay / relaxation),
//  - an independent naive implementation with plain loops (the discrete leaky ESN update of
//    tests/naive/leaky_esn.hpp, the same network run lane by lane),
//  - another integrator of ransim at a much finer accuracy (rk4 vs dopri5), whose own
//    error is bounded in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>
#include <chrono>
#include <thread>

#include "engine/health.hpp"
#include "engine/huge_pages.hpp"
#include "engine/network.hpp"
#include "engine/projection.hpp"
#include "engine/simulator.hpp"
#include "naive/leaky_esn.hpp"
#include "ransim/error.hpp"
#include "ransim/thread_pool.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

namespace {

using ransim::test::num;

struct Built {
  ransim::Scenario sc;
  std::unique_ptr<ransim::Network> net;
};

Built build(const std::string& text, std::size_t input_size) {
  Built b;
  b.sc = ransim::parse_scenario(text, "<test>");
  b.net = ransim::build_network(b.sc, input_size);
  return b;
}

std::string simulation_table(const std::string& method, double dt, double token_period, double tol = 1e-8,
                             std::size_t lanes = 1, std::size_t threads = 1) {
  return "[simulation]\nintegrator = \"" + method + "\"\ndt = " + num(dt) +
         "\ntoken_period = " + num(token_period) + "\nabs_tol = " + num(tol) + "\nrel_tol = " + num(tol) +
         "\nlanes = " + std::to_string(lanes) + "\nthreads = " + std::to_string(threads) + "\n";
}

// ---------------------------------------------------------------------------------------
// 1. Linear units: tau dx/dt = -x (no projections, identity activation, zero bias).
// ---------------------------------------------------------------------------------------

constexpr double kDecayTau = 0.5;  // s: t = 1 s is two time constants

std::string decay_scenario(const std::string& method, double dt, double token_period, double tol = 1e-8) {
  return simulation_table(method, dt, token_period, tol) +
         "[task]\nkind = \"narma10\"\n"
         "[population.p]\nkind = \"leaky\"\nsize = 4\ntau = " +
         num(kDecayTau) + "\nactivation = \"identity\"\ninitial_state = 1.0\n";
}

// Runs the free decay to t = 1 s and returns max_i |x_i(1) - x0_i exp(-1 / tau)|.
// Closed form: tau dx/dt = -x  =>  x(t) = x0 exp(-t / tau).
double decay_error_at_1s(const std::string& method, double dt, double token_period, double tol = 1e-8) {
  Built b = build(decay_scenario(method, dt, token_period, tol), 1);
  const arma::mat x0 = b.net->populations()[0].model->weights().at("x0");
  ransim::Simulator sim(*b.net, b.sc.integrator);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(sim.state()[i], x0(i));  // x(0) = "x0"
  const std::size_t tokens = static_cast<std::size_t>(std::lround(1.0 / token_period));
  const double u = 0.0;
  for (std::size_t k = 0; k < tokens; ++k) sim.step_token(&u);
  EXPECT_NEAR(sim.time(), 1.0, 1e-12);
  double err = 0;
  for (std::size_t i = 0; i < 4; ++i)
    err = std::max(err, std::abs(sim.state()[i] - x0(i) * std::exp(-1.0 / kDecayTau)));
  return err;
}

TEST(LinearDecay, EulerIsFirstOrder) {
  // Euler on a linear decay: x_n = (1 - h/tau)^n x0, global error ~ x0 e^{-t/tau} t h /
  // (2 tau^2), i.e. O(h): halving dt halves the error (ratio -> 2 as h -> 0; for the
  // largest h/tau = 0.1 used here the next term moves it by < 5%).
  struct Combo {
    double token_period, dt;
  };
  for (Combo c : {Combo{0.1, 0.01}, Combo{0.05, 0.05}, Combo{0.25, 0.025}, Combo{0.5, 0.05}}) {
    const double e1 = decay_error_at_1s("euler", c.dt, c.token_period);
    const double e2 = decay_error_at_1s("euler", c.dt / 2, c.token_period);
    SCOPED_TRACE("token_period " + num(c.token_period) + " dt " + num(c.dt));
    EXPECT_GT(e1, 1e-4);  // the error is truncation, far above round-off
    EXPECT_GE(e1 / e2, 1.8);
    EXPECT_LE(e1 / e2, 2.2);
  }
}

TEST(LinearDecay, Rk4IsFourthOrder) {
  // RK4 amplification factor per step is the degree-4 Taylor polynomial of e^z, z = -h/tau,
  // so the global error is ~ n z^5/120 ~ O(h^4): halving dt divides it by ~16 (the next
  // term raises the ratio by ~4 z; observed 16.5-16.7 for h/tau <= 0.1, 17.4 at 0.2).
  struct Combo {
    double token_period, dt;
  };
  for (Combo c : {Combo{0.1, 0.05}, Combo{0.25, 0.05}, Combo{0.2, 0.04}, Combo{0.5, 0.025}}) {
    const double e1 = decay_error_at_1s("rk4", c.dt, c.token_period);
    const double e2 = decay_error_at_1s("rk4", c.dt / 2, c.token_period);
    SCOPED_TRACE("token_period " + num(c.token_period) + " dt " + num(c.dt));
    EXPECT_GT(e2, 1e-11);  // still far above round-off (~1e-16)
    EXPECT_GE(e1 / e2, 14.0);
    EXPECT_LE(e1 / e2, 18.0);
  }
}

TEST(LinearDecay, Dopri5MeetsTightTolerance) {
  // Closed form x0 exp(-t/tau) at every token tick; with abs = rel tol 1e-10 over 20 tokens
  // the accumulated error must stay well under 1e-8 (observed 1.8e-11; 4e-10 at tol 1e-8).
  Built b = build(decay_scenario("dopri5", 0.01, 0.1, 1e-10), 1);
  const arma::mat x0 = b.net->populations()[0].model->weights().at("x0");
  ransim::Simulator sim(*b.net, b.sc.integrator);
  const double u = 0.0;
  for (std::size_t k = 1; k <= 20; ++k) {
    sim.step_token(&u);
    const double t = 0.1 * static_cast<double>(k);
    for (std::size_t i = 0; i < 4; ++i)
      ASSERT_NEAR(sim.state()[i], x0(i) * std::exp(-t / kDecayTau), 1e-8) << "token " << k;
  }
  EXPECT_GT(std::abs(x0(0)) + std::abs(x0(1)) + std::abs(x0(2)) + std::abs(x0(3)), 0.1);
}

// A linear unit fed by the input through an identity routing projection with gain w:
//   tau dx/dt = -x + w u   =>   x(t) = w u + (x(t0) - w u) exp(-(t - t0) / tau)
// for u held constant on [t0, t].
std::string driven_scenario(const std::string& method, double dt, double tol, double w) {
  return simulation_table(method, dt, 0.1, tol) +
         "[task]\nkind = \"narma10\"\n"
         "[population.p]\nkind = \"leaky\"\nsize = 3\ntau = " +
         num(kDecayTau) +
         "\nactivation = \"identity\"\ninitial_state = 1.0\n"
         "[[projection]]\nfrom = \"input\"\nto = \"p\"\nkind = \"identity\"\nscale = " +
         num(w) + "\n";
}

TEST(LinearDecay, ConstantInputRelaxesToWu) {
  const double w = 0.7, u = 0.8;
  for (const std::string method : {"dopri5", "rk4"}) {
    SCOPED_TRACE(method);
    // rk4 at dt = 0.005: global error ~ (dt/tau)^4 / 120 ~ 1e-10, below the 1e-8 bound.
    Built b = build(driven_scenario(method, 0.005, 1e-10, w), 1);
    const arma::mat x0 = b.net->populations()[0].model->weights().at("x0");
    ransim::Simulator sim(*b.net, b.sc.integrator);
    for (std::size_t k = 1; k <= 30; ++k) {
      sim.step_token(&u);
      const double t = 0.1 * static_cast<double>(k);
      for (std::size_t i = 0; i < 3; ++i)
        ASSERT_NEAR(sim.state()[i], w * u + (x0(i) - w * u) * std::exp(-t / kDecayTau), 1e-8)
            << "token " << k << " unit " << i;
    }
  }
}

TEST(LinearDecay, PiecewiseConstantInputIsHeldPerToken) {
  // Sample k of the input is held on [k T, (k+1) T): per token the closed form above maps
  // x(kT) to x((k+1)T) = w u_k + (x(kT) - w u_k) exp(-T / tau).
  const double w = -1.3, T = 0.1;
  Built b = build(driven_scenario("dopri5", 0.01, 1e-10, w), 1);
  const arma::mat x0 = b.net->populations()[0].model->weights().at("x0");
  ransim::Simulator sim(*b.net, b.sc.integrator);
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> ref(x0.begin(), x0.end());
  for (std::size_t k = 0; k < 40; ++k) {
    const double u = dist(gen);
    sim.step_token(&u);
    for (std::size_t i = 0; i < 3; ++i) {
      ref[i] = w * u + (ref[i] - w * u) * std::exp(-T / kDecayTau);
      ASSERT_NEAR(sim.state()[i], ref[i], 1e-8) << "token " << k << " unit " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------
// 2. Euler with dt = token period is the discrete leaky ESN.
// ---------------------------------------------------------------------------------------

using Dense = naive::LeakyEsn;

// The network's weights as the naive model's dense arrays, read from the CSR arrays with
// plain loops.
Dense dense_weights(const ransim::Network& net, std::size_t input_size) {
  Dense d;
  const auto& pop = net.populations().at(0);
  d.n = pop.model->state_size();
  d.m = input_size;
  d.w.assign(d.n * d.n, 0.0);
  d.w_in.assign(d.n * d.m, 0.0);
  const auto wts = pop.model->weights();
  const arma::mat& b = wts.at("bias");
  const arma::mat& x0 = wts.at("x0");
  for (std::size_t i = 0; i < d.n; ++i) {
    d.bias.push_back(b(i));
    d.x0.push_back(x0(i));
  }
  for (const auto& proj : net.projections()) {
    for (const auto& [src, c] : proj->matrices()) {
      for (std::size_t i = 0; i < c.rows; ++i)
        for (std::size_t k = c.row_ptr[i]; k < c.row_ptr[i + 1]; ++k) {
          if (src.is_input) d.w_in[i * d.m + c.col[k]] += c.val[k];
          else d.w[i * d.n + src.offset + c.col[k]] += c.val[k];
        }
    }
  }
  return d;
}

constexpr double kEsnDt = 0.5, kEsnTau = 0.5 / 0.3;  // leak a = dt / tau = 0.3

std::string esn_scenario(const std::string& method, double dt, double token_period, double tau, std::size_t n,
                         std::size_t lanes, std::size_t threads, double tol = 1e-8,
                         const std::string& precision = "double") {
  return "seed = 7\n" + simulation_table(method, dt, token_period, tol, lanes, threads) +
         "[task]\nkind = \"narma10\"\n"
         "[population.res]\nkind = \"leaky\"\nsize = " +
         std::to_string(n) + "\ntau = " + num(tau) +
         "\nactivation = \"tanh\"\nbias_scale = 0.2\ninitial_state = 0.5\n"
         "[[projection]]\nfrom = \"res\"\nto = \"res\"\ndensity = 0.1\n"
         "distribution = \"normal\"\nspectral_radius = 0.9\nprecision = \"" +
         precision +
         "\"\n"
         "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n"
         "distribution = \"uniform\"\nscale = 0.8\nprecision = \"" +
         precision + "\"\n";
}

// Returns the largest deviation from the reference.
double euler_esn_deviation(std::size_t lanes, std::size_t threads, const std::string& precision) {
  const std::size_t n = 50, m = 2, tokens = 300;
  Built b = build(esn_scenario("euler", kEsnDt, kEsnDt, kEsnTau, n, lanes, threads, 1e-8, precision), m);
  const Dense d = dense_weights(*b.net, m);
  ransim::Simulator sim(*b.net, b.sc.integrator);
  EXPECT_EQ(sim.state().size(), n * lanes);

  // Independent reference: x[k+1] = (1-a) x[k] + a tanh(W x[k] + W_in u[k] + b), per lane.
  const double a = kEsnDt / kEsnTau;
  std::vector<std::vector<double>> x(lanes, d.x0);
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> u(m * lanes);  // lanes fastest
  double max_diff = 0, max_abs = 0;
  for (std::size_t k = 0; k < tokens; ++k) {
    for (auto& v : u) v = dist(gen);
    sim.step_token(u.data());
    for (std::size_t l = 0; l < lanes; ++l) {
      x[l] = d.step(x[l], u.data() + l, lanes, a);
      for (std::size_t i = 0; i < n; ++i) {
        max_diff = std::max(max_diff, std::abs(sim.state()[i * lanes + l] - x[l][i]));
        max_abs = std::max(max_abs, std::abs(x[l][i]));
      }
    }
  }
  EXPECT_GT(max_abs, 0.1);  // the reservoir is active, not decayed to nothing
  return max_diff;
}

// Observed 4.4e-16: only the rounding of x + h (f - x) / tau.
TEST(EulerEsn, EqualsDiscreteLeakyEsnOneLane) { EXPECT_LE(euler_esn_deviation(1, 1, "double"), 1e-12); }

TEST(EulerEsn, EqualsDiscreteLeakyEsnFourLanesTwoThreads) {
  EXPECT_LE(euler_esn_deviation(4, 2, "double"), 1e-12);
}

TEST(EulerEsn, SinglePrecisionProductsStayWithinFloatRoundoff) {
  // The reference runs in double with the recorded weights, which single precision rounded to
  // float. What is left is rounding x to float and summing <= 52 terms in float each token:
  // <= 52 * 2^-24 |W||x| ~ 3e-6 a token at worst, damped by the leak and the spectral radius
  // 0.9; rounding errors of random sign sum far below that. Observed 4-6e-8 (1, 3 and 64
  // lanes); above 1e-9 shows that the products did run in float.
  for (std::size_t lanes : {1u, 3u, 64u}) {
    SCOPED_TRACE("lanes " + std::to_string(lanes));
    const double dev = euler_esn_deviation(lanes, 2, "single");
    EXPECT_LE(dev, 1e-6);
    EXPECT_GT(dev, 1e-9);
  }
}

TEST(EulerEsn, InitialStateIsX0InEveryLane) {
  Built b = build(esn_scenario("euler", kEsnDt, kEsnDt, kEsnTau, 50, 4, 1), 2);
  const Dense d = dense_weights(*b.net, 2);
  ransim::Simulator sim(*b.net, b.sc.integrator);
  for (std::size_t i = 0; i < 50; ++i)
    for (std::size_t l = 0; l < 4; ++l) ASSERT_EQ(sim.state()[i * 4 + l], d.x0[i]);
  // initial_state = 0.5: x0 ~ U(-0.5, 0.5), not all zero
  double s = 0;
  for (double v : d.x0) {
    EXPECT_LE(std::abs(v), 0.5);
    s += std::abs(v);
  }
  EXPECT_GT(s, 1.0);
}

// ---------------------------------------------------------------------------------------
// 3. rk4 (fine step) against dopri5 (tight tolerance) on a nonlinear tanh reservoir.
// ---------------------------------------------------------------------------------------

std::vector<std::vector<double>> run_tokens(const std::string& text, std::size_t m,
                                            const std::vector<double>& inputs, std::size_t tokens) {
  Built b = build(text, m);
  ransim::Simulator sim(*b.net, b.sc.integrator);
  const std::size_t per = inputs.size() / tokens;
  std::vector<std::vector<double>> out;
  for (std::size_t k = 0; k < tokens; ++k) {
    sim.step_token(inputs.data() + k * per);
    out.emplace_back(sim.state().begin(), sim.state().end());
  }
  return out;
}

double max_diff(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  double d = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    for (std::size_t i = 0; i < a[k].size(); ++i) d = std::max(d, std::abs(a[k][i] - b[k][i]));
  return d;
}

TEST(Health, NamesTheFirstNonFiniteUnitAndLane) {
  // Two leaky populations of 5 units, 3 lanes; a NaN at population b, unit 3, lane 2, and an
  // infinity later in the same unit. The check scans in state order, so it names unit 3, lane 2.
  Built net = build(
      "[task]\nkind = \"narma10\"\n[simulation]\nlanes = 3\n"
      "[population.a]\nkind = \"leaky\"\nsize = 5\n"
      "[population.b]\nkind = \"leaky\"\nsize = 5\n",
      1);
  std::vector<double> x(10 * 3, 0.2);
  ransim::Health health(2);
  EXPECT_FALSE(health.check(*net.net, x.data(), 0.0, 0));
  x[(5 + 3) * 3 + 2] = std::nan("");
  x[(5 + 4) * 3 + 0] = std::numeric_limits<double>::infinity();
  const auto bad = health.check(*net.net, x.data(), 1.5, 7);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->first, "diverged");
  EXPECT_NE(bad->second.find("population 'b', unit 3, lane 2, at t = 1.5 s (token 7)"), std::string::npos)
      << bad->second;
}

TEST(Health, SaturatedAfterKTokensOfNinetyPercentPinnedUnits) {
  // A unit is pinned when every variable in every lane sits at +-1 (tanh's bound) within
  // kPinned; a population is saturated after kTokens consecutive checks with >= 90% pinned.
  Built net = build(
      "[task]\nkind = \"narma10\"\n[simulation]\nlanes = 2\n"
      "[population.a]\nkind = \"leaky\"\nsize = 10\n",
      1);
  std::vector<double> x(10 * 2, 1.0);
  x[0] = -1.0;         // unit 0 pinned at -1
  x[2 * 9 + 1] = 0.5;  // unit 9 not pinned (one lane off the bound): 9 of 10 pinned
  ransim::Health health(1);
  for (std::size_t k = 1; k < ransim::Health::kTokens; ++k)
    ASSERT_FALSE(health.check(*net.net, x.data(), 0.0, k));
  const auto sat = health.check(*net.net, x.data(), 0.0, ransim::Health::kTokens);
  ASSERT_TRUE(sat);
  EXPECT_EQ(sat->first, "saturated");
  EXPECT_NE(sat->second.find("9 of 10 units (first: unit 0)"), std::string::npos) << sat->second;
  // 8 of 10 pinned is below 90%: the streak ends.
  x[2 * 8] = 0.0;
  EXPECT_FALSE(health.check(*net.net, x.data(), 0.0, 0));
}

TEST(Integrators, Rk4FineAgreesWithDopri5Tight) {
  // Same reservoir (same seed, so same weights), tau = 1 s, token period 1 s, 60 tokens of
  // random input. rk4's own error is measured by Richardson: |rk4(h) - rk4(h/2)| ~ 15/16 of
  // rk4(h)'s error, and must be < 1e-9 for the comparison to be meaningful.
  const std::size_t n = 50, m = 2, tokens = 60;
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> u(m * tokens);
  for (auto& v : u) v = dist(gen);
  const auto rk4 = run_tokens(esn_scenario("rk4", 0.01, 1.0, 1.0, n, 1, 1), m, u, tokens);
  const auto rk4h = run_tokens(esn_scenario("rk4", 0.005, 1.0, 1.0, n, 1, 1), m, u, tokens);
  const auto dp = run_tokens(esn_scenario("dopri5", 0.1, 1.0, 1.0, n, 1, 1, 1e-12), m, u, tokens);
  // Observed: |rk4(0.01) - rk4(0.005)| = 2.1e-10, so rk4(0.005) is within ~1.4e-11 of the
  // exact flow; |rk4(0.005) - dopri5(1e-12)| = 1.4e-11. The bound 1e-9 leaves a 70x margin.
  const double richardson = max_diff(rk4, rk4h);
  EXPECT_LT(richardson, 1e-9);
  EXPECT_LT(max_diff(rk4h, dp), 1e-9);
  // Non-trivial dynamics: the trajectory moves by O(0.1) between tokens.
  EXPECT_GT(max_diff(std::vector<std::vector<double>>(rk4.begin(), rk4.end() - 1),
                     std::vector<std::vector<double>>(rk4.begin() + 1, rk4.end())),
            0.1);
}

// ---------------------------------------------------------------------------------------
// 4. Lanes and threads.
// ---------------------------------------------------------------------------------------

TEST(Lanes, SixtyFourLanesEqualSixtyFourSingleRuns) {
  // rk4 with two substeps per token, N = 120. The 64-lane run sums the sparse products in
  // a different order (per-nonzero axpy over lanes vs per-row dot products), so the lanes
  // agree with the independent single-lane runs to round-off, not bitwise (observed 3e-16).
  const std::size_t n = 120, m = 2, lanes = 64, tokens = 40;
  std::mt19937_64 gen(17);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> u(m * lanes * tokens);  // token-major, then lanes fastest
  for (auto& v : u) v = dist(gen);
  const auto multi = run_tokens(esn_scenario("rk4", 0.5, 1.0, 2.0, n, lanes, 1), m, u, tokens);
  double worst = 0, spread = 0;
  for (std::size_t l = 0; l < lanes; ++l) {
    std::vector<double> ul(m * tokens);
    for (std::size_t k = 0; k < tokens; ++k)
      for (std::size_t j = 0; j < m; ++j) ul[k * m + j] = u[(k * m + j) * lanes + l];
    const auto single = run_tokens(esn_scenario("rk4", 0.5, 1.0, 2.0, n, 1, 1), m, ul, tokens);
    for (std::size_t k = 0; k < tokens; ++k)
      for (std::size_t i = 0; i < n; ++i) {
        worst = std::max(worst, std::abs(multi[k][i * lanes + l] - single[k][i]));
        spread = std::max(spread, std::abs(multi[k][i * lanes + l] - multi[k][i * lanes]));
      }
  }
  EXPECT_LE(worst, 1e-12);
  EXPECT_GT(spread, 0.1);  // the lanes really carry different trajectories
}

TEST(Lanes, StateAndDriveStartOnACacheLine) {
  // block.hpp's LineAllocator: with 64 lanes every variable's lanes then start a 64-byte
  // line, so no vector load straddles two (from malloc's 16-byte alignment the 64-lane
  // product ran 1.5x slower). Many sizes, since malloc's alignment depends on the size.
  for (std::size_t n : {50u, 300u, 1000u}) {
    Built b = build(esn_scenario("euler", kEsnDt, kEsnDt, kEsnTau, n, 64, 1), 2);
    ransim::Simulator sim(*b.net, b.sc.integrator);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sim.state().data()) % 64, 0u) << n;
    for (const auto& p : b.net->populations())
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.drive.data()) % 64, 0u) << n;
  }
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  // Each thread first takes the chunks of its own share, then what is left of the others'.
  // Whoever claims a chunk, the chunks must tile [0, n): counted here per index. Sizes
  // around the chunk count (2 per thread) and jobs repeated, so that stale claim counters
  // of an earlier job would show.
  for (std::size_t threads : {1u, 2u, 3u, 4u}) {
    ransim::ThreadPool pool(threads);
    for (int repeat = 0; repeat < 50; ++repeat)
      for (std::size_t n : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 9u, 100u, 1001u}) {
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, [&](std::size_t b, std::size_t e) {
          ASSERT_LE(b, e);
          ASSERT_LE(e, n);
          for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[i].load(), 1) << threads << " threads, n " << n << ", index " << i;
      }
  }
}

TEST(Memory, PreferHugePagesBacksTheRangeWithHugePages) {
  // Where the kernel gives transparent huge pages on request (THP mode "madvise", Debian's
  // default, or "always"), an advised 16 MiB buffer, once written, must hold 2 MiB pages:
  // its mapping in /proc/self/smaps then counts AnonHugePages. In "madvise" mode, without
  // the advice it counts none.
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(thp, mode);
  if (mode.empty() || mode.find("[never]") != std::string::npos)
    GTEST_SKIP() << "no transparent huge pages on this system";
  const std::size_t bytes = std::size_t{16} << 20;
  std::unique_ptr<char[]> buffer(new char[bytes]);  // not yet written
  ransim::prefer_huge_pages(buffer.get(), bytes);
  std::memset(buffer.get(), 1, bytes);
  // The advice splits the buffer's mapping at the 2 MiB boundaries: sum over every mapping
  // that overlaps the buffer.
  const auto at = reinterpret_cast<std::uintptr_t>(buffer.get());
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool overlaps = false;
  int mappings = 0;
  long huge_kb = 0;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      overlaps = lo < at + bytes && at < hi;
      mappings += overlaps;
    } else if (overlaps && line.rfind("AnonHugePages:", 0) == 0) {
      huge_kb += std::stol(line.substr(std::string("AnonHugePages:").size()));
    }
  }
  ASSERT_GT(mappings, 0) << "the buffer's mapping is not in /proc/self/smaps";
  EXPECT_GE(huge_kb, 2048) << "THP mode: " << mode;
}

TEST(Lanes, TwoThreadsBitwiseEqualOneThread) {
  // With 64 lanes and N = 400 the thread pool really splits the work: the leaky derivative
  // splits when N >= 2 (4096/64 + 1) = 130 and the sparse product when
  // N >= 2 (20000 / ((nnz/row + 1) 64) + 1). Each row and unit is computed by the same
  // code whichever thread runs it, so the states must be bitwise equal.
  // Few tokens: on a loaded machine every parallel_for can cost a scheduler time slice.
  const std::size_t n = 400, m = 2, lanes = 64, tokens = 8;
  std::mt19937_64 gen(23);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> u(m * lanes * tokens);
  for (auto& v : u) v = dist(gen);
  // The integrators' vector operations run on the pool too (simulator.cpp), once the state
  // has 2 x 4096 values: here 25 600.
  for (const std::string method : {"euler", "rk4", "dopri5"}) {
    SCOPED_TRACE(method);
    const auto one = run_tokens(esn_scenario(method, 0.5, 1.0, 2.0, n, lanes, 1), m, u, tokens);
    const auto two = run_tokens(esn_scenario(method, 0.5, 1.0, 2.0, n, lanes, 2), m, u, tokens);
    ASSERT_EQ(one.size(), two.size());
    for (std::size_t k = 0; k < tokens; ++k) ASSERT_EQ(one[k], two[k]) << "token " << k;
  }
}

// Issue 23: the stop flag was read only between tokens, so a token of 1e7 steps (dt = 1e-7)
// or an adaptive token that never ends ignored SIGTERM. It is read before every step.
TEST(Simulator, StopFlagStopsInsideAToken) {
  for (const std::string method : {"euler", "rk4", "dopri5"}) {
    Built b = build(decay_scenario(method, 1e-3, 1.0), 1);
    ransim::Simulator sim(*b.net, b.sc.integrator);
    std::atomic<int> stop{0};
    sim.set_stop_flag(&stop);
    const double u = 0.0;
    ASSERT_TRUE(sim.step_token(&u)) << method;  // flag down: the token completes
    const std::size_t steps = sim.steps();
    EXPECT_GE(steps, method == "dopri5" ? 1u : 1000u);
    const std::vector<double> before(sim.state().begin(), sim.state().end());
    stop = 15;
    EXPECT_FALSE(sim.step_token(&u)) << method;  // raised: not one more step
    EXPECT_EQ(sim.steps(), steps) << method;
    EXPECT_EQ(sim.tokens(), 1u) << method;
    EXPECT_EQ(sim.time(), 1.0) << method;
    EXPECT_EQ(std::vector<double>(sim.state().begin(), sim.state().end()), before) << method;
  }
}

// A flag raised while a long fixed-step token runs stops it after the step in progress:
// 1e7 Euler steps of dt = 1e-7 would take seconds, the stop comes after far fewer.
TEST(Simulator, StopFlagRaisedMidTokenStopsWithinASteps) {
  Built b = build(decay_scenario("euler", 1e-7, 1.0), 1);
  ransim::Simulator sim(*b.net, b.sc.integrator);
  std::atomic<int> stop{0};
  sim.set_stop_flag(&stop);
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = 15;
  });
  const double u = 0.0;
  EXPECT_FALSE(sim.step_token(&u));
  raiser.join();
  EXPECT_GT(sim.steps(), 0u);
  EXPECT_LT(sim.steps(), 10'000'000u);
  EXPECT_EQ(sim.tokens(), 0u);
}

// dopri5 on a system too stiff for its tolerances: the step guard ends the token with a
// RunError naming the token and the step size instead of running for ever (issue 23:
// forget = 1e300 ran over 10 minutes). tau = 1e-12 s over a token of 1 s needs ~1e12 steps.
TEST(Simulator, AdaptiveStepGuardFailsAStiffToken) {
  Built b = build(simulation_table("dopri5", 0.1, 1.0, 1e-12) +
                      "[task]\nkind = \"narma10\"\n[population.p]\nkind = \"leaky\"\nsize = 4\ntau = 1e-12\n"
                      "initial_state = 1.0\n",
                  1);
  ransim::IntegratorSettings s = b.sc.integrator;
  s.max_adaptive_steps = 2000;
  ransim::Simulator sim(*b.net, s);
  const double u = 1.0;
  try {
    sim.step_token(&u);
    ADD_FAILURE() << "no error after " << sim.steps() << " steps";
  } catch (const ransim::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("dopri5 took 2000 steps in token 0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(sim.steps(), 2000u);
}

// Issue 23: simulation.threads = 1024 under an address-space limit aborted in the pool's
// constructor (std::terminate). Thread creation failing is a RunError, the threads already
// started joined.
TEST(ThreadPool, ThreadsThatCannotStartAreARunError) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve address space: an address-space limit cannot be set";
#else
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_AS, &saved), 0);
  // Room for a few 8 MiB thread stacks, not for 1024 of them.
  const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGE_SIZE)) + (64u << 20);
  if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < limit) GTEST_SKIP() << "already limited";
  rlimit low = saved;
  low.rlim_cur = limit;
  ASSERT_EQ(setrlimit(RLIMIT_AS, &low), 0);
  std::string message;
  try {
    ransim::ThreadPool pool(1024);
  } catch (const ransim::RunError& e) {
    message = e.what();
  }
  ASSERT_EQ(setrlimit(RLIMIT_AS, &saved), 0);
  EXPECT_NE(message.find("cannot start thread "), std::string::npos) << message;
  EXPECT_NE(message.find(" of 1024: "), std::string::npos) << message;
  EXPECT_NE(message.find("lower simulation.threads"), std::string::npos) << message;
  ransim::ThreadPool fine(2);  // and the process goes on
  std::atomic<std::size_t> sum{0};
  fine.parallel_for(100, [&](std::size_t b, std::size_t e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 100u);
#endif
}

}  // namespace
