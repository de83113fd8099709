#pragma once
// UnitPopulation: the common frame of the attention models, U units of D values each with
//
//   tau dh/dt = -h + tanh(r),
//
// r computed per unit by the model. It holds the shape, tau, the population's random stream
// and weights file, the initial state, per-unit scratch, and runs the units over the thread
// pool with the relaxation fused in (for_units).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/lanes.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/thread_pool.hpp>
#include <ransim/weights.hpp>

#include "common/kernels.hpp"

namespace ransim::attn {

class UnitPopulation : public Population {
 public:
  // Weights are drawn by the derived model from rng_ (stream "population.NAME"); the initial
  // state from its own stream, so that loading weights does not change it.
  explicit UnitPopulation(const PopulationContext& c)
      : U_(static_cast<std::size_t>(c.params.integer("units"))),
        D_(static_cast<std::size_t>(c.params.integer("dim"))),
        inv_tau_(1.0 / c.params.real("tau")),
        rng_(make_rng(c.seed, "population." + c.name)),
        wf_(c),
        x0_(U_ * D_, 0.0) {
    const double s = c.params.real("initial_state");
    if (s > 0) {
      if (wf_.used()) {
        x0_ = wf_.load_stacked("x0", U_, 1, D_, "the initial state, one row of dim values per unit");
      } else {
        Rng r = make_rng(c.seed, "population." + c.name + ".initial_state");
        for (auto& v : x0_) v = uniform(r, -s, s);
      }
      random_x0_ = true;
    }
  }

  std::size_t state_size() const override { return U_ * D_; }
  std::size_t input_size() const override { return U_ * D_; }
  std::size_t units() const override { return U_; }
  std::size_t unit_dim() const override { return D_; }
  double saturation_level() const override { return 1.0; }

  // tau may change during a run (the engine applies it between steps).
  std::vector<std::string> live_parameters() const override { return {"tau"}; }
  void set_live_parameter(const std::string& name, const Value& v) override {
    if (name != "tau") return Population::set_live_parameter(name, v);
    inv_tau_ = 1.0 / as_real(v);
  }

  // h(0), and a new run for models with a history (Simulator::reset() comes here).
  void initial_state(Block x) const override {
    for (std::size_t v = 0; v < x.vars; ++v)
      for (std::size_t b = 0; b < x.lanes; ++b) x(v, b) = x0_[v];
    restart();
  }

 protected:
  // Forget the history of the previous run (working-memory windows).
  virtual void restart() const {}

  // The initial state as a weight [U, D], when it is not 0.
  void add_x0(std::map<std::string, arma::mat>& w) const {
    if (!random_x0_) return;
    arma::mat x0(U_, D_);
    for (std::size_t u = 0; u < U_; ++u)
      for (std::size_t d = 0; d < D_; ++d) x0(u, d) = x0_[u * D_ + d];
    w["x0"] = x0;
  }

  // Per-unit scratch of `per_unit` doubles and `ptrs` row pointers, allocated once here so
  // that derivative() allocates nothing. Concurrent unit ranges use the slots of their first
  // unit, which are distinct.
  void allocate_scratch(std::size_t per_unit, std::size_t ptrs) {
    per_unit_ = per_unit;
    ptrs_per_unit_ = ptrs;
    scratch_.assign(U_ * per_unit, 0.0);
    ptrs_.assign(U_ * ptrs, nullptr);
  }

  // Calls body(u, scratch, ptrs) for every unit u, which leaves r (D x L) in unit u's slab of
  // dxdt; then dxdt = (tanh(r) - h) / tau. Units are split over the pool when a thread's share
  // is worth the synchronisation (work = multiply-adds per unit and lane).
  template <class Body>
  void for_units(ConstBlock x, Block dxdt, ThreadPool& pool, double work, const Body& body) const {
    struct Job {
      const UnitPopulation* self;
      ConstBlock x;
      Block dxdt;
      const Body* body;
    } job{this, x, dxdt, &body};
    const std::size_t L = x.lanes;
    const double per_unit = std::max(1.0, work * static_cast<double>(L));
    const std::size_t min_units = static_cast<std::size_t>(std::ceil(kWorkPerThread / per_unit));
    // One pointer captured: the job is cheap to pass to the pool.
    pool.parallel_for(
        U_,
        [j = &job](std::size_t u0, std::size_t u1) {
          const UnitPopulation& p = *j->self;
          const std::size_t slab = p.D_ * j->x.lanes;
          double* s = p.scratch_.data() + u0 * p.per_unit_;
          const double** ptrs = p.ptrs_.data() + u0 * p.ptrs_per_unit_;
          for (std::size_t u = u0; u < u1; ++u) (*j->body)(u, s, ptrs);
          relax_tanh(j->x.data + u0 * slab, j->dxdt.data + u0 * slab, (u1 - u0) * slab, p.inv_tau_);
        },
        std::max<std::size_t>(min_units, 1));
  }

  // Backward of the relaxation dxdt = (tanh(r) - h) / tau for n contiguous values of a unit:
  // g_h -= g / tau, and g_r = g (1 - tanh(r)^2) / tau (overwritten).
  void relax_vjp(const double* r, const double* g, double* g_h, double* g_r, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      const double t = tanh_by_expm1(r[i]);
      g_h[i] -= g[i] * inv_tau_;
      g_r[i] = g[i] * (1.0 - t * t) * inv_tau_;
    }
  }

  // Lane-major samples [lanes, U, n] from a per-unit buffer vals[u][r][lane] (n x L per unit).
  static void append_lane_major(const std::vector<double>& vals, std::size_t U, std::size_t n, std::size_t L,
                                std::vector<double>& out) {
    for (std::size_t b = 0; b < L; ++b)
      for (std::size_t u = 0; u < U; ++u)
        for (std::size_t r = 0; r < n; ++r) out.push_back(vals[(u * n + r) * L + b]);
  }

  // Lane-major samples [lanes, U, groups * n] of a per-unit quantity in `groups` groups of n
  // rows (the heads of the attention): unit_rows(u) computes unit u's and returns {first,
  // count}, its last `count` rows of each group (group g's count x L block, lanes fastest, at
  // first + g count L); the first n - count rows of a group (not yet filled) are recorded as 0.
  template <class UnitRows>
  void sample_rows(std::size_t n, std::size_t L, const UnitRows& unit_rows, std::vector<double>& out,
                   std::size_t groups = 1) const {
    std::vector<double> vals(U_ * groups * n * L, 0.0);
    for (std::size_t u = 0; u < U_; ++u) {
      const auto [first, count] = unit_rows(u);
      for (std::size_t g = 0; g < groups; ++g) {
        const auto to = static_cast<std::ptrdiff_t>(((u * groups + g) * n + n - count) * L);
        std::copy(first + g * count * L, first + (g + 1) * count * L, vals.begin() + to);
      }
    }
    append_lane_major(vals, U_, groups * n, L, out);
  }

  // Lane-major samples [lanes, U] of each unit's attention entropy over the log of the rows
  // it attends: 1 for uniform weights (the window as a moving average), near 0 when one row
  // dominates; 0 while a single row is filled. With several heads (`groups`), the mean of the
  // heads' entropies. unit_rows as for sample_rows.
  template <class UnitRows>
  void sample_entropy(std::size_t L, const UnitRows& unit_rows, std::vector<double>& out,
                      std::size_t groups = 1) const {
    std::vector<double> vals(U_ * L, 0.0);
    for (std::size_t u = 0; u < U_; ++u) {
      const auto [a, count] = unit_rows(u);
      if (count < 2) continue;
      const double norm = 1.0 / (std::log(static_cast<double>(count)) * static_cast<double>(groups));
      for (std::size_t g = 0; g < groups; ++g)
        for (std::size_t b = 0; b < L; ++b) {
          double h = 0;
          for (std::size_t r = 0; r < count; ++r) {
            const double p = a[(g * count + r) * L + b];
            if (p > 0) h -= p * std::log(p);
          }
          vals[u * L + b] += h * norm;
        }
    }
    append_lane_major(vals, U_, 1, L, out);
  }

  Recordable entropy_recordable() const {
    return {"attention_entropy",
            "1",
            "entropy of each unit's attention weights divided by log(rows attended) (the mean over "
            "heads): 1 uniform (a moving average of the window), near 0 one row; 0 while one row is "
            "filled",
            {U_},
            true};
  }

  Recordable state_recordable() const {
    return {"state", "1", "unit state h (dimensionless activity, in (-1, 1))", {U_, D_}};
  }

  static constexpr double kWorkPerThread = 20000;  // multiply-adds: ~5 us, >> a fork-join
  std::size_t U_, D_;
  double inv_tau_;
  Rng rng_;
  WeightFile wf_;
  std::vector<double> x0_;
  bool random_x0_ = false;
  std::size_t per_unit_ = 0, ptrs_per_unit_ = 0;
  mutable LaneVector<double> scratch_;
  mutable std::vector<const double*> ptrs_;
};

}  // namespace ransim::attn
