// aaren: attention as an RNN (docs/science.md). Unit u holds a fixed query q_u and attends over
// the stream of (key, value) pairs routed to its 2d input slots, with O(1) state per unit:
//
//   s = q_u . k / sqrt(d)
//   token form:       lse' = logaddexp(lse - gamma T, s),  g = e^{s - lse'},  o' = o + g (v - o)
//   continuous form:  d lse/dt = r - gamma,  do/dt = r (v - o),  r = e^{s - lse} / (T phi(gamma T))
//
// so that o after token k is the softmax average of v_0..v_k with weights e^{s_i - gamma T (k-i)}
// (README.md has the equations, the empty start, and why both forms agree at every tick).
#include <ransim/plugin.hpp>

#include "common/companion_math.hpp"

namespace {

using namespace ransim;
namespace cm = ransim::companion;

// phi(x) = (1 - e^{-x}) / x, phi(0) = 1: the share of a token's deposit that survives the
// forgetting during its own period, in the continuous form.
double phi(double x) { return x > 0 ? -std::expm1(-x) / x : 1.0; }

double logaddexp(double a, double b) {
  if (a < b) std::swap(a, b);
  return a + std::log1p(std::exp(b - a));
}

class Aaren : public Population {
 public:
  explicit Aaren(const PopulationContext& c)
      : U_(static_cast<std::size_t>(c.params.integer("units"))),
        d_(static_cast<std::size_t>(c.params.integer("dim"))),
        continuous_(c.params.string("form") == "continuous"),
        gamma_(c.params.real("forget")),
        step_(c.token_period),
        Q_(cm::queries(c)) {
    const double T = step_.period();
    decay_ = gamma_ * T;
    rate_ = 1.0 / (T * phi(decay_));
    // Q_ scaled once by 1 / sqrt(d): s = (q / sqrt(d)) . k.
    Qs_ = Q_ / std::sqrt(static_cast<double>(d_));
  }

  std::size_t state_size() const override { return U_ * (d_ + 1); }
  std::size_t input_size() const override { return U_ * 2 * d_; }
  std::size_t units() const override { return U_; }
  std::size_t unit_dim() const override { return d_ + 1; }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    step_.resize(state_size() * lanes);
    score_.assign(U_ * lanes, 0.0);
    scratch_.assign(lanes, 0.0);
  }

  // The empty state, stored as lse = 0, o = 0: the first token of a run replaces it.
  void initial_state(Block x) const override {
    std::fill(x.data, x.data + x.size(), 0.0);
    step_.restart();
  }

  bool uses_ticks() const override { return true; }

  void on_tick(ConstBlock x, ConstBlock drive) override {
    const std::size_t L = x.lanes, W = d_ + 1;
    const bool first = step_.ticks() == 0;
    const double invT = 1.0 / step_.period();
    double* inc = step_.increments();
    for (std::size_t u = 0; u < U_; ++u) {
      scores(u, drive, score_.data() + u * L);
      for (std::size_t b = 0; b < L; ++b) {
        const double s = score_[u * L + b], lse = x(u * W, b);
        // lse' - lse = logaddexp(-gamma T, s - lse), computed as a difference-free increment.
        const double dl = first ? s - lse : logaddexp(-decay_, s - lse);
        const double g = first ? 1.0 : std::exp(s - lse - dl);
        inc[(u * W) * L + b] = dl * invT;
        for (std::size_t j = 0; j < d_; ++j) {
          const double v = drive(u * 2 * d_ + d_ + j, b), o = x(u * W + 1 + j, b);
          inc[(u * W + 1 + j) * L + b] = g * (v - o) * invT;
        }
      }
    }
    first_token_ = first;
    step_.tick();
  }

  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double /*t*/,
                  ThreadPool& /*pool*/) const override {
    // Token form, and the first token of the continuous form (from the empty state, where
    // the ODE is singular): the increments set at the tick.
    if (!continuous_ || first_token_) return step_.fill(dxdt);
    const std::size_t L = x.lanes, W = d_ + 1;
    double* s = scratch_.data();
    for (std::size_t u = 0; u < U_; ++u) {
      scores(u, drive, s);
      for (std::size_t b = 0; b < L; ++b) {
        const double r = std::exp(s[b] - x(u * W, b)) * rate_;
        dxdt(u * W, b) = r - gamma_;
        for (std::size_t j = 0; j < d_; ++j)
          dxdt(u * W + 1 + j, b) = r * (drive(u * 2 * d_ + d_ + j, b) - x(u * W + 1 + j, b));
      }
    }
  }

  std::vector<Recordable> recordables() const override {
    return {
        {"state",
         "1",
         "per unit [lse, o_1..o_d]: log of the (forgetting-weighted) softmax mass and the "
         "attention output",
         {U_, d_ + 1}},
        {"output", "1", "attention output o = softmax-weighted average of the values so far", {U_, d_}},
        {"gate",
         "1",
         "g = e^{s - lse}: the last token's share of the softmax mass (the leak of o at "
         "the last update)",
         {U_}},
        {"lse", "1", "log-sum-exp of the scores so far (with forgetting: of s_i - gamma * age)", {U_}},
    };
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    const std::size_t L = x.lanes, W = d_ + 1;
    if (name == "state") return Population::sample(name, x, drive, out);
    for (std::size_t b = 0; b < L; ++b)
      for (std::size_t u = 0; u < U_; ++u) {
        if (name == "output")
          for (std::size_t j = 0; j < d_; ++j) out.push_back(x(u * W + 1 + j, b));
        else if (name == "gate") out.push_back(std::exp(score_[u * L + b] - x(u * W, b)));
        else if (name == "lse") out.push_back(x(u * W, b));
        else throw std::logic_error("aaren: no recordable '" + name + "'");
      }
  }

  std::map<std::string, arma::mat> weights() const override { return {{"queries", Q_}}; }

 private:
  // s[b] = q_u . key / sqrt(d) for every lane.
  void scores(std::size_t u, ConstBlock drive, double* s) const {
    const std::size_t L = drive.lanes;
    std::fill(s, s + L, 0.0);
    for (std::size_t j = 0; j < d_; ++j) {
      const double q = Qs_(u, j);
      const double* k = drive.var(u * 2 * d_ + j);
      for (std::size_t b = 0; b < L; ++b) s[b] += q * k[b];
    }
  }

  std::size_t U_, d_;
  bool continuous_;
  double gamma_, decay_ = 0, rate_ = 1;
  cm::TokenStep step_;
  arma::mat Q_, Qs_;
  std::vector<double> score_;            // [U][lanes]: the score of the last token
  mutable std::vector<double> scratch_;  // [lanes]: scores inside derivative()
  bool first_token_ = false;
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "aaren";
  info.description =
      "attention as an RNN: per unit a fixed query q over the stream of (key, value) routed to it; "
      "o = softmax-weighted average of the values so far, updated with O(1) state "
      "(lse, o): o <- o + e^{s - lse'} (v - o), in token time or continuous time";
  info.params = cm::query_specs();
  info.params.insert(
      info.params.begin() + 2,
      param::choice("form", {"token", "continuous"})
          .describe("token: the discrete recurrence, exact under every integrator; continuous: d lse/dt = r "
                    "- gamma, do/dt = r (v - o), r = e^{s - lse} / (T phi(gamma T)), phi(x) = (1 - e^{-x}) / "
                    "x (r = e^{s - lse} / T without forgetting); for rk4 and dopri5"));
  info.layout.derived = {{.name = "gate", .display = {.view = ViewKind::Heatmap}},
                         {.name = "lse", .display = {.view = ViewKind::Hidden}}};
  info.create = [](const PopulationContext& c) { return std::make_unique<Aaren>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
