// In-context linear regression (task in_context_regression): test MSE of several predictors
// on the same 1000 test episodes (seed 1, Split::Test), for d = 4, N = 16 and d = 8, N = 32.
// Not a timing benchmark: a measurement, printed as markdown tables.
//
//   zero            predict 0; E[y_q^2] = d
//   GD, eta*        one GD step from w = 0: eta* sum_i y_i x_i.x_q, eta* = 1 / (N + d + 1)
//                   (tests/tasks/test_in_context.cpp derives it); loss d (d + 1) / (N + d + 1)
//   GD, eta fitted  the same with eta fitted by least squares on the 4000 training episodes
//   gated RNN       the gated linear RNN built by companion::build_gated_linear from
//                   W_K = W_Q = diag(1..1, 0), W_V = eta* e_{d+1} e_{d+1}^T (linear
//                   self-attention = the GD step), run token by token
//   least squares   per episode w^ = (X^T X + 1e-10 I)^-1 X^T y, prediction w^.x_q
//   reservoir       scenarios/in_context_regression.toml (leaky ESN, 400 tanh units, ridge
//                   readout) through ransim::run, trained on
//                   4000 and on 20000 episodes
//
//   ransim_in_context
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../plugins/companion/common/companion_math.hpp"
#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"

using namespace ransim;
namespace cm = ransim::companion;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Episodes {
  std::size_t d, N, count;
  EpisodeBatch b;
  const double* token(std::size_t k, std::size_t e) const {
    return b.input.data() + (k * count + e) * (d + 1);
  }
};

// s = sum_i y_i x_i.x_q for every episode.
std::vector<double> gd_sums(const Episodes& ep) {
  std::vector<double> s(ep.count, 0.0);
  for (std::size_t e = 0; e < ep.count; ++e)
    for (std::size_t i = 0; i < ep.N; ++i) {
      double xq = 0;
      for (std::size_t j = 0; j < ep.d; ++j) xq += ep.token(i, e)[j] * ep.token(ep.N, e)[j];
      s[e] += ep.token(i, e)[ep.d] * xq;
    }
  return s;
}

// The last output of the gated RNN after the query: h <- lambda h + (G_in z~)(X_in z~),
// y = D((G_out h)(X_out h)).
double gated_at_query(const cm::GatedLinear& g, const Episodes& ep, std::size_t e) {
  const arma::uword D = ep.d + 1;
  arma::vec h(g.neurons(), arma::fill::zeros), z(D + 1, arma::fill::ones);
  for (std::size_t k = 0; k <= ep.N; ++k) {
    for (arma::uword j = 0; j < D; ++j) z(j) = ep.token(k, e)[j];
    h = g.lambda % h + (g.G_in * z) % (g.X_in * z);
  }
  const arma::vec y = g.D * ((g.G_out * h) % (g.X_out * h));
  return y(ep.d);
}

// scenarios/in_context_regression.toml, for d, N and the episode counts of this table.
Scenario reservoir_scenario(std::size_t d, std::size_t N, std::size_t train, std::size_t test) {
  return load_scenario(RANSIM_SOURCE_DIR "/scenarios/in_context_regression.toml",
                       {"task.dim=" + std::to_string(d), "task.context=" + std::to_string(N),
                        "task.train=" + std::to_string(train), "task.test=" + std::to_string(test)});
}

void measure(std::size_t d, std::size_t N) {
  const std::size_t n_train = 4000, n_test = 1000;
  const TaskInfo* info = find_task("in_context_regression");
  Params p = defaults(info->params);
  p.set("dim", static_cast<std::int64_t>(d));
  p.set("context", static_cast<std::int64_t>(N));
  const auto task = info->create_episodes(p);
  const Episodes train{d, N, n_train, task->episodes(Split::Train, 0, n_train, 1)};
  const Episodes test{d, N, n_test, task->episodes(Split::Test, 0, n_test, 1)};
  const std::vector<double>& y = test.b.target;
  auto mse = [&](auto predict) {
    double sum = 0;
    for (std::size_t e = 0; e < n_test; ++e) sum += std::pow(y[e] - predict(e), 2);
    return sum / static_cast<double>(n_test);
  };
  const double dd = static_cast<double>(d), NN = static_cast<double>(N), eta_star = 1.0 / (NN + dd + 1);

  std::printf("\n### d = %zu, N = %zu (%zu test episodes, seed 1)\n\n", d, N, n_test);
  std::printf("| predictor | test MSE | theory (expectation) | wall time |\n|---|---|---|---|\n");
  auto row = [](const char* name, double m, const std::string& theory, double secs) {
    char t[32];
    if (secs >= 1) std::snprintf(t, sizeof t, "%.2f s", secs);
    else std::snprintf(t, sizeof t, "%.3f ms", 1e3 * secs);
    std::printf("| %s | %.4g | %s | %s |\n", name, m, theory.c_str(), t);
  };
  auto t0 = std::chrono::steady_clock::now();
  row("predict 0", mse([](std::size_t) { return 0.0; }), std::to_string(d), seconds_since(t0));

  t0 = std::chrono::steady_clock::now();
  const std::vector<double> s = gd_sums(test);
  char theory[64];
  std::snprintf(theory, sizeof theory, "%.4g", dd * (dd + 1) / (NN + dd + 1));
  row("1 GD step, eta* = 1/(N+d+1)", mse([&](std::size_t e) { return eta_star * s[e]; }), theory,
      seconds_since(t0));

  t0 = std::chrono::steady_clock::now();
  const std::vector<double> s_train = gd_sums(train);
  double sy = 0, ss = 0;
  for (std::size_t e = 0; e < n_train; ++e) {
    sy += s_train[e] * train.b.target[e];
    ss += s_train[e] * s_train[e];
  }
  const double eta_fit = sy / ss;
  const double m_fit = mse([&](std::size_t e) { return eta_fit * s[e]; });
  char name[96];
  std::snprintf(name, sizeof name, "1 GD step, eta fitted on %zu episodes (%.5f vs eta* %.5f)", n_train,
                eta_fit, eta_star);
  row(name, m_fit, "", seconds_since(t0));

  std::vector<double> dev;
  arma::mat WQ = arma::eye(d + 1, d + 1), WV(d + 1, d + 1, arma::fill::zeros);
  WQ(d, d) = 0;
  WV(d, d) = eta_star;
  for (auto form : {cm::GatedForm::Full, cm::GatedForm::Compressed}) {
    t0 = std::chrono::steady_clock::now();
    const cm::GatedLinear g = cm::build_gated_linear(WQ, WQ, WV, form);
    std::vector<double> out(n_test);
    double max_dev = 0;
    for (std::size_t e = 0; e < n_test; ++e) {
      out[e] = gated_at_query(g, test, e);
      max_dev = std::max(max_dev, std::abs(out[e] - eta_star * s[e]));
    }
    const bool full = form == cm::GatedForm::Full;
    std::snprintf(name, sizeof name, "gated RNN, %s (%zu neurons)", full ? "full" : "compressed",
                  g.neurons());
    row(name, mse([&](std::size_t e) { return out[e]; }), theory, seconds_since(t0));
    dev.push_back(max_dev);
  }

  t0 = std::chrono::steady_clock::now();
  const double m_ls = mse([&](std::size_t e) {
    arma::mat X(N, d);
    arma::vec yc(N), xq(d);
    for (std::size_t i = 0; i < N; ++i) {
      for (std::size_t j = 0; j < d; ++j) X(i, j) = test.token(i, e)[j];
      yc(i) = test.token(i, e)[d];
    }
    for (std::size_t j = 0; j < d; ++j) xq(j) = test.token(N, e)[j];
    const arma::vec w = arma::solve(X.t() * X + 1e-10 * arma::eye(d, d), X.t() * yc);
    return arma::dot(w, xq);
  });
  row("least squares per episode (ridge 1e-10)", m_ls, N >= d ? "0" : "", seconds_since(t0));

  for (std::size_t n : {n_train, std::size_t{20000}}) {
    const Scenario sc = reservoir_scenario(d, N, n, n_test);
    const RunResult r = run(sc);
    if (r.status != RunStatus::Complete)
      throw RunError("reservoir run: " + std::string(to_string(r.status)) + ": " + r.message);
    std::snprintf(name, sizeof name, "leaky ESN 400 + ridge readout, %zu training episodes", n);
    row(name, r.metrics.at("mse_test"), "", r.wall_seconds);
  }
  double max_gd = 0;
  for (double v : s) max_gd = std::max(max_gd, eta_star * std::abs(v));
  std::printf("\nmax |gated RNN - GD step| at the query: full %.3g, compressed %.3g (max |GD step| %.3g)\n",
              dev[0], dev[1], max_gd);
}

}  // namespace

int main() {
  try {
    measure(4, 16);
    measure(8, 32);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
