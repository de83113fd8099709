// In-context linear regression (task in_context_regression, core/tasks/episodic_tasks.cpp) and
// one step of gradient descent as linear self-attention (von Oswald et al. 2023), run as the
// gated linear RNN of plugins/companion/common/companion_math.hpp.
//
// Episode: w ~ N(0, I_d); context tokens z_i = (x_i, y_i), x_i ~ N(0, I_d), y_i = w.x_i (+ noise),
// i = 1..N; query token (x_q, 0); target y_q = w.x_q. One step of GD from w0 = 0 with rate eta
// on L = 1/2 sum_i (y_i - w.x_i)^2 predicts yhat = eta s, s = sum_i y_i x_i.x_q.
//
// Where the expected numbers come from:
//  - gd_prediction: eta s as a plain loop over the episode's tokens (nothing from the builder);
//  - the closed forms eta* = 1 / (N + d + 1 + sigma^2) and L* = d (d + 1 + sigma^2) /
//    (N + d + 1 + sigma^2), derived from Gaussian moments in the comment above
//    StepSize.ClosedFormMatchesMonteCarlo.
// Relative deviations are max |a - b| / max |b| over all values compared, as in [[compare]].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "companion/common/companion_math.hpp"
#include "naive/gated_linear.hpp"
#include "ransim/params.hpp"
#include "tasks/tasks.hpp"

using namespace ransim;

namespace {

namespace cm = ransim::companion;

// Episodes [0, count) of a split, with their shape.
struct Episodes {
  std::size_t d, N, count;
  EpisodeBatch b;
  // Token k (0..N; N is the query) of episode e: d + 1 values.
  const double* token(std::size_t k, std::size_t e) const {
    return b.input.data() + (k * count + e) * (d + 1);
  }
  double target(std::size_t e) const { return b.target[e]; }
};

Episodes episodes(std::size_t d, std::size_t N, std::size_t count, Split split, std::uint64_t seed,
                  double noise = 0.0) {
  const TaskInfo* info = find_task("in_context_regression");
  EXPECT_NE(info, nullptr);
  Params p = defaults(info->params);
  p.set("dim", static_cast<std::int64_t>(d));
  p.set("context", static_cast<std::int64_t>(N));
  p.set("noise", noise);
  const auto task = info->create_episodes(p);
  EXPECT_EQ(task->length, N + 1);
  EXPECT_EQ(task->input_dim, d + 1);
  return {d, N, count, task->episodes(split, 0, count, seed)};
}

// s = sum_{i<N} y_i x_i.x_q, written from the definition.
double gd_sum(const Episodes& ep, std::size_t e) {
  const double* q = ep.token(ep.N, e);
  double s = 0;
  for (std::size_t i = 0; i < ep.N; ++i) {
    const double* z = ep.token(i, e);
    double xq = 0;
    for (std::size_t j = 0; j < ep.d; ++j) xq += z[j] * q[j];
    s += z[ep.d] * xq;
  }
  return s;
}

// The gated RNN (naive::gated, plain loops over the builder's matrices) over the episode's
// tokens; its output after the last one, the query.
std::vector<double> gated_at_query(const cm::GatedLinear& g, const Episodes& ep, std::size_t e) {
  const std::size_t D = ep.d + 1;
  std::vector<double> z;
  for (std::size_t k = 0; k <= ep.N; ++k) z.insert(z.end(), ep.token(k, e), ep.token(k, e) + D);
  const std::vector<double> y = naive::gated(g, z, D);
  return std::vector<double>(y.end() - static_cast<std::ptrdiff_t>(D), y.end());
}

// W_K = W_Q = diag(1, ..., 1, 0), W_V = eta e_{d+1} e_{d+1}^T ((d+1) x (d+1)).
cm::GatedLinear gd_rnn(std::size_t d, double eta, cm::GatedForm form) {
  arma::mat WQ = arma::eye(d + 1, d + 1), WV(d + 1, d + 1, arma::fill::zeros);
  WQ(d, d) = 0;
  WV(d, d) = eta;
  return cm::build_gated_linear(WQ, WQ, WV, form);
}

struct Sample {  // mean and standard error of the mean of n values
  double mean, se;
};
Sample sample(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double m = 0, ss = 0;
  for (double x : v) m += x;
  m /= n;
  for (double x : v) ss += (x - m) * (x - m);
  return {m, std::sqrt(ss / (n - 1) / n)};
}

}  // namespace

// The gated RNN built from (W_Q, W_K, W_V) above gives, at the query, the one-step GD
// prediction eta sum_i y_i x_i.x_q in its last output and exactly 0 in the others; both forms,
// d = 1..6, N = 1, 5, 16, on episodes from the task generator (noise-free and noisy).
TEST(InContextGd, GatedRnnIsOneGdStep) {
  for (std::size_t d = 1; d <= 6; ++d)
    for (std::size_t N : {1, 5, 16})
      for (double noise : {0.0, 0.3}) {
        const Episodes ep = episodes(d, N, 40, Split::Train, 11 + d, noise);
        const double eta = 1.0 / (static_cast<double>(N + d) + 1.0);
        std::vector<double> ref(ep.count);
        for (std::size_t e = 0; e < ep.count; ++e) ref[e] = eta * gd_sum(ep, e);
        for (auto form : {cm::GatedForm::Full, cm::GatedForm::Compressed}) {
          const bool full = form == cm::GatedForm::Full;
          const std::size_t D = d + 1;
          const cm::GatedLinear g = gd_rnn(d, eta, form);
          ASSERT_EQ(g.neurons(), (full ? D * D : D * (D + 1) / 2) + D);
          double diff = 0, scale = 0;
          for (std::size_t e = 0; e < ep.count; ++e) {
            const std::vector<double> y = gated_at_query(g, ep, e);
            for (std::size_t i = 0; i < d; ++i) EXPECT_EQ(y[i], 0.0) << "output " << i;
            ASSERT_TRUE(std::isfinite(y[d]));
            diff = std::max(diff, std::abs(y[d] - ref[e]));
            scale = std::max(scale, std::abs(ref[e]));
          }
          ASSERT_GT(scale, 0.0);
          EXPECT_LE(diff / scale, 1e-12)
              << "d = " << d << ", N = " << N << ", noise = " << noise << (full ? ", full" : ", compressed");
        }
      }
}

// The optimal step size. With s = sum_i y_i x_i.x_q, y_i = w.x_i + eps_i (eps_i ~ N(0, sigma^2)),
// y_q = w.x_q, and x_i, x_q, w ~ N(0, I_d) independent:
//
//   E[y_q^2] = E|w|^2 = d.
//   E[s y_q] = sum_i E[(w.x_i + eps_i)(x_i.x_q)(w.x_q)]; given w, x_q, E[x_i x_i^T] = I gives
//              E[(w.x_i)(x_i.x_q)] = w.x_q, and eps_i has mean 0, so each term is
//              E[(w.x_q)^2] = d:  E[s y_q] = N d.
//   E[s^2]   = sum_{i,j} E[y_i y_j (x_i.x_q)(x_j.x_q)].
//              i != j: given w, x_q the two factors are independent with mean w.x_q each:
//                      E[(w.x_q)^2] = d, N (N - 1) terms.
//              i = j:  E[(w.x)^2 (x.x_q)^2] + sigma^2 E[(x.x_q)^2]. Isserlis, for fixed a, b:
//                      E[(a.x)^2 (b.x)^2] = |a|^2 |b|^2 + 2 (a.b)^2, so with a = w, b = x_q
//                      E = E[|w|^2] E[|x_q|^2] + 2 E[(w.x_q)^2] = d^2 + 2 d; the noise adds
//                      sigma^2 E|x_q|^2 = sigma^2 d. N terms.
//              E[s^2] = N (N - 1) d + N (d^2 + 2 d + sigma^2 d) = N d (N + d + 1 + sigma^2).
//   E[(y_q - eta s)^2] = d - 2 eta N d + eta^2 N d (N + d + 1 + sigma^2) is minimal at
//   eta* = E[s y_q] / E[s^2] = 1 / (N + d + 1 + sigma^2), where it is
//   L* = d - (N d)^2 / E[s^2] = d (d + 1 + sigma^2) / (N + d + 1 + sigma^2).
//
// Monte Carlo over 20000 episodes of the task generator: the sample means of y_q^2, s y_q and
// s^2, the loss at eta* and the least-squares step eta^ = sum s y_q / sum s^2 must each lie
// within 4 standard errors of the closed form. The standard errors come from the same sample
// (the CLT: sd / sqrt(n); for the ratio eta^, the delta method: sd(s y_q - eta^ s^2) /
// (sqrt(n) mean(s^2))). For normal errors 4 se is exceeded with probability 6e-5; the seed is
// fixed, so the test is deterministic.
TEST(InContextGd, OptimalStepSizeClosedFormMatchesMonteCarlo) {
  struct Case {
    std::size_t d, N;
    double noise;
  };
  for (const Case c : {Case{4, 16, 0.0}, Case{2, 5, 0.0}, Case{8, 32, 0.0}, Case{4, 16, 0.5}}) {
    const std::size_t n = 20000;
    const Episodes ep = episodes(c.d, c.N, n, Split::Train, 3, c.noise);
    const double d = static_cast<double>(c.d), N = static_cast<double>(c.N), v = c.noise * c.noise;
    const double eta_star = 1.0 / (N + d + 1 + v), loss_star = d * (d + 1 + v) / (N + d + 1 + v);
    std::vector<double> s(n), yy(n), sy(n), ss(n), loss(n), resid(n);
    for (std::size_t e = 0; e < n; ++e) {
      s[e] = gd_sum(ep, e);
      const double y = ep.target(e);
      yy[e] = y * y;
      sy[e] = s[e] * y;
      ss[e] = s[e] * s[e];
      loss[e] = (y - eta_star * s[e]) * (y - eta_star * s[e]);
    }
    const Sample Eyy = sample(yy), Esy = sample(sy), Ess = sample(ss), L = sample(loss);
    const double eta_hat = Esy.mean / Ess.mean;
    for (std::size_t e = 0; e < n; ++e) resid[e] = sy[e] - eta_hat * ss[e];
    const double eta_se = sample(resid).se / Ess.mean;
    std::printf(
        "d = %zu, N = %zu, noise = %g: E[y^2] %.4f +- %.4f (%.0f), E[s y] %.2f +- %.2f (%.0f), "
        "E[s^2] %.1f +- %.1f (%.0f), eta^ %.5f +- %.5f (eta* %.5f; 1/(N+d), 1/(N+d+2) off by %.1f, "
        "%.1f se), loss(eta*) %.4f +- %.4f (L* %.4f)\n",
        c.d, c.N, c.noise, Eyy.mean, Eyy.se, d, Esy.mean, Esy.se, N * d, Ess.mean, Ess.se,
        N * d * (N + d + 1 + v), eta_hat, eta_se, eta_star, std::abs(eta_hat - 1 / (N + d + v)) / eta_se,
        std::abs(eta_hat - 1 / (N + d + 2 + v)) / eta_se, L.mean, L.se, loss_star);
    const double k = 4;
    EXPECT_NEAR(Eyy.mean, d, k * Eyy.se);
    EXPECT_NEAR(Esy.mean, N * d, k * Esy.se);
    EXPECT_NEAR(Ess.mean, N * d * (N + d + 1 + v), k * Ess.se);
    EXPECT_NEAR(eta_hat, eta_star, k * eta_se);
    EXPECT_NEAR(L.mean, loss_star, k * L.se);
    // eta* is the minimiser: the sample loss is no lower at 0.8 eta* or 1.25 eta*.
    for (double f : {0.8, 1.25}) {
      double l = 0;
      for (std::size_t e = 0; e < n; ++e) l += std::pow(ep.target(e) - f * eta_star * s[e], 2);
      EXPECT_GT(l / static_cast<double>(n), L.mean) << "eta = " << f << " eta*";
    }
  }
}
