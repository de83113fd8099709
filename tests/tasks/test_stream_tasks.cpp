// Stream task generators (docs/tasks.md): Mackey-Glass, NARMA-10, Lorenz, memory capacity,
// delayed recall.
//
// Expected numbers come from independent naive implementations written here (a fine-step
// Mackey-Glass integrator, the NARMA-10 recurrence, a fine-step RK4 Lorenz loop), from the
// task definitions themselves (targets are the delayed inputs), and from the closed form of
// a delay line's memory capacity.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "ransim/params.hpp"
#include "ransim/rng.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::test::argmax;
using ransim::test::task_params;

// ---------------------------------------------------------------------------------------
// Mackey-Glass against a fine-step naive integrator.
// ---------------------------------------------------------------------------------------

// Independent reference: dx/dt = beta x(t-tau) / (1 + x(t-tau)^n) - gamma x(t), constant
// history x0 on [-tau, 0], classic RK4 at step h with the delayed value at half steps
// linearly interpolated (second-order, fine at h = 5e-4). Returns x(1), x(2), ..., x(count).
std::vector<double> mackey_glass_reference(double h, std::size_t count) {
  const double tau = 17, beta = 0.2, gamma = 0.1, n = 10, x0 = 1.2;
  const std::size_t d = static_cast<std::size_t>(std::lround(tau / h));
  const std::size_t every = static_cast<std::size_t>(std::lround(1.0 / h));
  std::vector<double> x(d + 1, x0);  // x[i] = x(i h - tau)
  auto f = [&](double xv, double xd) { return beta * xd / (1 + std::pow(xd, n)) - gamma * xv; };
  std::vector<double> out;
  for (std::size_t i = 1; out.size() < count; ++i) {
    const std::size_t now = x.size() - 1, j = now - d;
    const double xv = x[now], xd0 = x[j], xd2 = x[j + 1], xd1 = 0.5 * (xd0 + xd2);
    const double k1 = f(xv, xd0);
    const double k2 = f(xv + 0.5 * h * k1, xd1);
    const double k3 = f(xv + 0.5 * h * k2, xd1);
    const double k4 = f(xv + h * k3, xd2);
    x.push_back(xv + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4));
    if (i % every == 0) out.push_back(x.back());
  }
  return out;
}

double max_error(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) e = std::max(e, std::abs(a[k] - b[k]));
  return e;
}

TEST(MackeyGlass, MatchesFineStepReference) {
  // Reference accuracy: |ref(1e-3) - ref(5e-4)| = 1.6e-8 over these 300 time units, so
  // ref(5e-4) is within ~1e-8 of the exact solution.
  // Observed ransim error at h = 0.1: 7.6e-8 (max over samples 1..300); the bound 2e-7 is
  // that plus the reference's own error, with a margin.
  // Order: RK4 with cubic interpolation of the delayed value, one-sided at the history's kink
  // at t = 0. Self-convergence over h = 0.1, 0.05, 0.025: at x(300) successive differences
  // shrink by 16 (2.4e-8, 1.5e-9, 9.4e-11); the maximum over all samples shrinks by 8,
  // third order, because x'' also jumps (at t = tau) and the interpolation crosses that
  // jump. The test asserts > 6. (Before the t = 0 kink was handled the ratio was 4.)
  const std::size_t count = 300;
  const std::vector<double> ref = mackey_glass_reference(5e-4, count);
  ransim::MackeyGlass mg;
  mg.transient = 0;
  mg.h = 0.1;
  const std::vector<double> s1 = mg.series(count);
  mg.h = 0.05;
  const std::vector<double> s2 = mg.series(count);
  mg.h = 0.025;
  const std::vector<double> s3 = mg.series(count);
  ASSERT_EQ(s1.size(), count);
  ASSERT_EQ(s2.size(), count);
  EXPECT_LT(max_error(s1, ref), 2e-7);
  EXPECT_GT(max_error(s1, s2) / max_error(s2, s3), 6.0);
  // The samples are x(1), x(2), ...: shifted by one sample they disagree by O(0.1).
  EXPECT_GT(max_error(std::vector<double>(s1.begin(), s1.end() - 1),
                      std::vector<double>(ref.begin() + 1, ref.end())),
            1e-2);
  // The series is non-trivial (chaotic regime, roughly 0.4 .. 1.3 on the attractor).
  const auto [lo, hi] = std::minmax_element(s1.begin(), s1.end());
  EXPECT_LT(*lo, 0.6);
  EXPECT_GT(*hi, 1.2);
}

TEST(MackeyGlass, TransientDropsLeadingSamples) {
  // With transient T (a multiple of sample_every) the series is the transient-free series
  // without its first T / sample_every samples: the same arithmetic, so exactly equal.
  ransim::MackeyGlass mg;
  mg.transient = 0;
  const std::vector<double> full = mg.series(150);
  mg.transient = 100;
  const std::vector<double> tail = mg.series(50);
  ASSERT_EQ(tail.size(), 50u);
  for (std::size_t k = 0; k < 50; ++k) EXPECT_EQ(tail[k], full[k + 100]) << "sample " << k;
}

TEST(MackeyGlass, StepMustDivideTau) {
  ransim::MackeyGlass mg;
  mg.h = 0.3;  // 17 / 0.3 is not whole
  EXPECT_THROW(mg.series(10), ransim::InputError);
}

TEST(MackeyGlass, TaskLayoutInputAndHorizonTarget) {
  // Lane 0 of the task uses the unperturbed history: input[k] = x(k+1) and
  // target[k] = input[k + horizon] with normalize = "none" (Sequences layout [k][lane][dim]).
  const ransim::TaskInfo* info = ransim::find_task("mackey_glass");
  ASSERT_NE(info, nullptr);
  ransim::Params p = ransim::defaults(info->params);
  p.set("normalize", std::string("none"));
  p.set("horizon", std::int64_t{3});
  p.set("transient", 0.0);
  p.set("warmup", std::int64_t{10});
  p.set("train", std::int64_t{40});
  p.set("test", std::int64_t{30});
  const auto task = info->create(p);
  ransim::Rng rng = ransim::make_rng(1, "task");
  const std::size_t lanes = 2;
  const ransim::Sequences s = task->generate(lanes, rng);
  ASSERT_EQ(s.steps, 80u);
  ASSERT_EQ(s.input.size(), 80u * lanes);
  ransim::MackeyGlass mg;
  mg.transient = 0;
  const std::vector<double> x = mg.series(83);
  for (std::size_t k = 0; k < s.steps; ++k) {
    EXPECT_EQ(*s.input_at(k, 0), x[k]);
    EXPECT_EQ(*s.target_at(k, 0), x[k + 3]);
    if (k + 3 < s.steps) {
      EXPECT_EQ(*s.target_at(k, 1), *s.input_at(k + 3, 1));
    }
  }
  EXPECT_NE(*s.input_at(60, 1), *s.input_at(60, 0));  // lane 1: another initial history
}

// ---------------------------------------------------------------------------------------
// NARMA-10.
// ---------------------------------------------------------------------------------------

// The NARMA-10 recurrence (Atiya & Parlos 2000) with y[k] the target for input u[k]:
//   y[k] = 0.3 y[k-1] + 0.05 y[k-1] sum_{i<10} y[k-1-i] + 1.5 u[k-9] u[k] + 0.1.
void expect_narma10(const std::vector<double>& u, const std::vector<double>& y) {
  ASSERT_EQ(u.size(), y.size());
  for (double v : u) ASSERT_TRUE(v >= 0.0 && v <= 0.5) << v;
  for (std::size_t k = 10; k < y.size(); ++k) {
    double s = 0;
    for (std::size_t i = 0; i < 10; ++i) s += y[k - 1 - i];
    const double expect = 0.3 * y[k - 1] + 0.05 * y[k - 1] * s + 1.5 * u[k - 9] * u[k] + 0.1;
    ASSERT_NEAR(y[k], expect, 1e-12) << "k " << k;
  }
}

TEST(Narma10, SatisfiesRecurrence) {
  ransim::Rng rng = ransim::make_rng(42, "task");
  const auto [u, y] = ransim::narma10(2000, rng);
  ASSERT_EQ(u.size(), 2000u);
  expect_narma10(u, y);
  // u ~ U(0, 0.5): mean 0.25, sd 0.144; over 2000 draws the mean is within 5 * 0.0032.
  double mean = 0;
  for (double v : u) mean += v / 2000.0;
  EXPECT_NEAR(mean, 0.25, 0.017);
  // The input matters: y[k] - 0.1 - (AR part) = 1.5 u[k-9] u[k] is not constant.
  const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
  EXPECT_GT(*hi - *lo, 0.1);
}

TEST(Narma10, TaskLanesAreIndependentNarmaSequences) {
  const ransim::TaskInfo* info = ransim::find_task("narma10");
  ASSERT_NE(info, nullptr);
  ransim::Params p = ransim::defaults(info->params);
  p.set("warmup", std::int64_t{20});
  p.set("train", std::int64_t{200});
  p.set("test", std::int64_t{100});
  const auto task = info->create(p);
  ransim::Rng rng = ransim::make_rng(3, "task");
  const std::size_t lanes = 3;
  const ransim::Sequences s = task->generate(lanes, rng);
  ASSERT_EQ(s.steps, 320u);
  for (std::size_t b = 0; b < lanes; ++b) {
    std::vector<double> u, y;
    for (std::size_t k = 0; k < s.steps; ++k) {
      u.push_back(*s.input_at(k, b));
      y.push_back(*s.target_at(k, b));
    }
    SCOPED_TRACE("lane " + std::to_string(b));
    expect_narma10(u, y);
  }
  EXPECT_NE(*s.input_at(5, 0), *s.input_at(5, 1));
}

// ---------------------------------------------------------------------------------------
// Lorenz, memory capacity, delayed recall
// ---------------------------------------------------------------------------------------

TEST(Lorenz, ConvergesAtFourthOrderToAFineStepReference) {
  // An independent RK4 loop at h = 0.0005 is the reference (its own error is 20^4 times
  // smaller than at h = 0.01); the library's series at h = 0.02 and 0.01 must approach it with
  // the error ratio of a fourth-order method, 2^4 = 16, over t = 0.02 .. 2.
  std::vector<double> ref;
  double v[3] = {1.0, 1.0, 1.0};
  const double h = 0.0005;
  auto f = [&](const double* s, double* d) {
    d[0] = 10.0 * (s[1] - s[0]);
    d[1] = s[0] * (28.0 - s[2]) - s[1];
    d[2] = s[0] * s[1] - 8.0 / 3.0 * s[2];
  };
  for (int step = 1; step <= 4000; ++step) {
    double k[4][3], t[3];
    f(v, k[0]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h / 2 * k[0][c];
    f(t, k[1]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h / 2 * k[1][c];
    f(t, k[2]);
    for (int c = 0; c < 3; ++c) t[c] = v[c] + h * k[2][c];
    f(t, k[3]);
    for (int c = 0; c < 3; ++c) v[c] += h / 6 * (k[0][c] + 2 * k[1][c] + 2 * k[2][c] + k[3][c]);
    if (step % 40 == 0) ref.insert(ref.end(), v, v + 3);
  }
  auto max_error = [&](double step) {
    ransim::Lorenz lz;
    lz.transient = 0;
    lz.h = step;
    const std::vector<double> a = lz.series(100, {1.0, 1.0, 1.0});
    double e = 0;
    for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - ref[i]));
    return e;
  };
  const double coarse = max_error(0.02), fine = max_error(0.01);
  EXPECT_GT(coarse / fine, 12.0) << "errors " << coarse << ", " << fine;
  EXPECT_LT(coarse / fine, 20.0);
}

TEST(MemoryCapacity, TargetsAreTheDelayedInputs) {
  auto task = ransim::find_task("memory_capacity")
                  ->create(task_params("memory_capacity", {{"max_delay", std::int64_t{0}}}));
  task->set_state_size(7);  // max_delay 0: twice the state size
  ransim::Rng rng(3);
  const ransim::Sequences s = task->generate(2, rng);
  ASSERT_EQ(s.target_dim, 14u);
  for (std::size_t k = 20; k < s.steps; k += 97)
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t d = 1; d <= 14; ++d) EXPECT_EQ(s.target_at(k, b)[d - 1], s.input_at(k - d, b)[0]);
}

TEST(MemoryCapacity, LinearDelayLineReachesTheClosedForm) {
  // Unit i of an identity-activation leaky population with a = dt / tau = 1, fed by ordered
  // routing from [input, itself], holds u[k - i] after token k: a delay line of N units. It
  // recalls delays 1..N-1 exactly (r^2 = 1 each), so MC = N - 1 plus, for each of the
  // D - N + 1 delays it cannot hold, the squared sample correlation of a fixed readout with an
  // independent target, whose expectation is 1 / T_test. We allow 5 times that.
  const std::size_t N = 20, D = 40, T_test = 2000;
  const ransim::Scenario sc = ransim::parse_scenario(R"(
seed = 4
[task]
kind = "memory_capacity"
max_delay = 40
warmup = 50
train = 2000
test = 2000
[population.line]
kind = "leaky"
size = 20
tau = 1.0
activation = "identity"
[[projection]]
from = ["input", "line"]
to = "line"
kind = "identity"
map = "ordered"
[readout]
ridge = 1e-12
)",
                                                     "<delay line>");
  const ransim::RunResult r = ransim::run(sc);
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  const double mc = r.metrics.at("memory_capacity_test");
  EXPECT_GT(mc, static_cast<double>(N - 1) - 1e-6);
  EXPECT_LT(mc, static_cast<double>(N - 1) + 5.0 * static_cast<double>(D - N + 1) / T_test);
}

TEST(DelayedRecall, TargetIsTheSymbolDelayTokensEarlier) {
  auto task = ransim::find_task("delayed_recall")
                  ->create(task_params("delayed_recall", {{"delay", std::int64_t{3}}}));
  ransim::Rng rng(5);
  const ransim::Sequences s = task->generate(1, rng);
  ASSERT_EQ(s.input_dim, 8u);
  for (std::size_t k = 3; k < s.steps; ++k)
    EXPECT_EQ(argmax(s.target_at(k, 0), 8), argmax(s.input_at(k - 3, 0), 8)) << "token " << k;
}

// task.validation: tokens between train and test, added to the sequence (train and test keep
// their length); 0 by default, so the protocol and the data are what they were without it.
TEST(Protocol, ValidationTokensAreExtraAndDefaultToNone) {
  const ransim::TaskInfo* info = ransim::find_task("narma10");
  const auto plain = info->create(task_params("narma10", {}));
  EXPECT_EQ(plain->protocol.validation, 0u);
  EXPECT_EQ(plain->protocol.fit_at(), plain->protocol.warmup + plain->protocol.train);
  const auto with = info->create(task_params("narma10", {{"validation", std::int64_t{300}}}));
  EXPECT_EQ(with->protocol.train, plain->protocol.train);
  EXPECT_EQ(with->protocol.test, plain->protocol.test);
  EXPECT_EQ(with->protocol.fit_at(), plain->protocol.fit_at() + 300);
  EXPECT_EQ(with->protocol.total(), plain->protocol.total() + 300);
  ransim::Rng a = ransim::make_rng(4, "task"), b = ransim::make_rng(4, "task");
  const auto sa = plain->generate(1, a), sb = with->generate(1, b);
  ASSERT_EQ(sb.steps, sa.steps + 300);
  for (std::size_t k = 0; k < sa.steps; ++k)
    ASSERT_EQ(sa.target[k], sb.target[k]) << k;  // drawn token by token
}

}  // namespace
