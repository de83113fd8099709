#include "analysis/lyapunov.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/error.hpp"
#include "ransim/rng.hpp"
#include "scenario/build_network.hpp"
#include "tasks/tasks.hpp"

namespace ransim::analysis {

double largest_lyapunov(double* a, double* b, std::size_t n, const std::function<void(std::size_t)>& step,
                        const LyapunovOptions& o) {
  if (o.tokens == 0) throw InputError("Lyapunov exponent: at least one token must be measured");
  for (std::size_t k = 0; k < o.settle; ++k) step(k);
  const double d0 = o.separation;
  Rng rng = make_rng(o.seed, "perturbation");
  std::vector<double> direction(n);
  double norm = 0;
  for (auto& v : direction) {
    v = normal(rng);
    norm += v * v;
  }
  for (std::size_t i = 0; i < n; ++i) b[i] = a[i] + d0 * direction[i] / std::sqrt(norm);
  double sum = 0;
  for (std::size_t k = o.settle; k < o.settle + o.tokens; ++k) {
    step(k);
    double d = 0;
    for (std::size_t i = 0; i < n; ++i) d += (b[i] - a[i]) * (b[i] - a[i]);
    d = std::sqrt(d);
    if (d == 0) return -std::numeric_limits<double>::infinity();
    sum += std::log(d / d0);
    for (std::size_t i = 0; i < n; ++i) b[i] = a[i] + (b[i] - a[i]) * d0 / d;
  }
  return sum / static_cast<double>(o.tokens);
}

double largest_lyapunov(const Scenario& scenario, const LyapunovOptions& options) {
  Scenario sc = scenario;
  sc.lanes = 1;  // one sequence: the input of lane 0
  const TaskInfo* info = find_task(sc.task_kind);
  if (info->episodic())
    throw InputError(sc.path + ": task '" + sc.task_kind +
                     "' runs in episodes; the Lyapunov exponent is measured under a stream task's input");
  const auto task = info->create(sc.task);
  Rng rng = make_rng(sc.seed, "task");
  const Sequences seq = task->generate(1, rng);
  auto net_a = build_network(sc, seq.input_dim), net_b = build_network(sc, seq.input_dim);
  Simulator a(*net_a, sc.integrator), b(*net_b, sc.integrator);
  std::vector<double> u(seq.input_dim);
  auto step = [&](std::size_t k) {
    for (std::size_t i = 0; i < seq.input_dim; ++i) u[i] = seq.input_at(k % seq.steps, 0)[i];
    a.step_token(u.data());
    b.step_token(u.data());
  };
  return largest_lyapunov(a.state().data(), b.state().data(), a.state().size(), step, options);
}

double largest_lyapunov(const arma::mat& map, const LyapunovOptions& options) {
  if (map.n_rows != map.n_cols || map.is_empty())
    throw InputError("Lyapunov exponent of a linear map: the map must be square, not " +
                     std::to_string(map.n_rows) + " x " + std::to_string(map.n_cols));
  arma::vec a(map.n_rows, arma::fill::zeros), b(map.n_rows, arma::fill::zeros), next;
  auto step = [&](std::size_t) {
    next = map * a;
    a = next;  // the same memory: the pointers given to largest_lyapunov stay valid
    next = map * b;
    b = next;
  };
  return largest_lyapunov(a.memptr(), b.memptr(), a.n_elem, step, options);
}

}  // namespace ransim::analysis
