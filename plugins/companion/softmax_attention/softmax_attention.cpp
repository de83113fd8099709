// softmax_attention: the reference the aaren population is checked against. Unit u holds the
// same query as aaren (same parameters, same stream) and keeps the whole history of the
// (score, value) pairs pushed at the token ticks; after token k its output is the direct
// softmax over that history,
//
//   y = sum_{i<=k} e^{s_i - gamma T (k-i) - m} v_i / sum_{i<=k} e^{s_i - gamma T (k-i) - m},
//   m = max_i (s_i - gamma T (k-i)),   s_i = q_u . key_i / sqrt(d),
//
// O(k d) per unit and token, memory growing with the run (README.md).
#include <ransim/plugin.hpp>

#include "common/companion_math.hpp"

namespace {

using namespace ransim;
namespace cm = ransim::companion;

class SoftmaxAttention : public Population {
 public:
  explicit SoftmaxAttention(const PopulationContext& c)
      : U_(static_cast<std::size_t>(c.params.integer("units"))),
        d_(static_cast<std::size_t>(c.params.integer("dim"))),
        gamma_(c.params.real("forget")),
        step_(c.token_period),
        Q_(cm::queries(c)) {}

  std::size_t state_size() const override { return U_ * d_; }
  std::size_t input_size() const override { return U_ * 2 * d_; }
  std::size_t units() const override { return U_; }
  std::size_t unit_dim() const override { return d_; }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    step_.resize(state_size() * lanes);
    y_.assign(state_size() * lanes, 0.0);
  }

  void initial_state(Block x) const override {
    std::fill(x.data, x.data + x.size(), 0.0);
    step_.restart();
    history_.clear();
  }

  bool uses_ticks() const override { return true; }

  void on_tick(ConstBlock x, ConstBlock drive) override {
    const std::size_t L = x.lanes, E = d_ + 1, per_tick = U_ * L * E;
    const double sqrt_d = std::sqrt(static_cast<double>(d_));
    // Push this token: entry [tick][u][lane] = (s, v_1..v_d).
    const std::size_t k = history_.size() / per_tick;  // index of this token
    history_.resize(history_.size() + per_tick);
    double* now = history_.data() + k * per_tick;
    for (std::size_t u = 0; u < U_; ++u)
      for (std::size_t b = 0; b < L; ++b) {
        double* e = now + (u * L + b) * E;
        double s = 0.0;
        for (std::size_t j = 0; j < d_; ++j) s += Q_(u, j) * drive(u * 2 * d_ + j, b);
        e[0] = s / sqrt_d;
        for (std::size_t j = 0; j < d_; ++j) e[1 + j] = drive(u * 2 * d_ + d_ + j, b);
      }
    // The direct softmax over tokens 0..k, each (unit, lane) on its own.
    const double T = step_.period(), decay = gamma_ * T;
    std::vector<double> num(d_);
    double* inc = step_.increments();
    for (std::size_t u = 0; u < U_; ++u)
      for (std::size_t b = 0; b < L; ++b) {
        auto score = [&](std::size_t i) {
          return history_[i * per_tick + (u * L + b) * E] - decay * static_cast<double>(k - i);
        };
        double m = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i <= k; ++i) m = std::max(m, score(i));
        double den = 0.0;
        std::fill(num.begin(), num.end(), 0.0);
        for (std::size_t i = 0; i <= k; ++i) {
          const double w = std::exp(score(i) - m);
          const double* v = history_.data() + i * per_tick + (u * L + b) * E + 1;
          den += w;
          for (std::size_t j = 0; j < d_; ++j) num[j] += w * v[j];
        }
        for (std::size_t j = 0; j < d_; ++j) {
          const std::size_t var = u * d_ + j;
          y_[var * L + b] = num[j] / den;
          inc[var * L + b] = (y_[var * L + b] - x(var, b)) / T;
        }
      }
    step_.tick();
  }

  void derivative(ConstBlock /*x*/, ConstBlock /*drive*/, Block dxdt, double /*t*/,
                  ThreadPool& /*pool*/) const override {
    step_.fill(dxdt);
  }

  std::vector<Recordable> recordables() const override {
    return {
        {"state",
         "1",
         "the output relaxed token by token: equals `output` at every tick up to round-off",
         {U_, d_}},
        {"output",
         "1",
         "direct softmax attention over every (key, value) so far, computed at the last tick",
         {U_, d_}},
    };
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name == "state") return Population::sample(name, x, drive, out);
    if (name != "output") throw std::logic_error("softmax_attention: no recordable '" + name + "'");
    cm::append_lane_major(y_.data(), state_size(), x.lanes, out);
  }

  std::map<std::string, arma::mat> weights() const override { return {{"queries", Q_}}; }

 private:
  std::size_t U_, d_;
  double gamma_;
  cm::TokenStep step_;
  arma::mat Q_;
  std::vector<double> y_;                // [U*d][lanes]: the output at the last tick
  mutable std::vector<double> history_;  // [tick][U][lanes][1 + d]; cleared by initial_state
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "softmax_attention";
  info.description =
      "reference for aaren: per unit a fixed query over the whole history of (key, value) routed "
      "to it, direct softmax attention computed at every token (O(t) per token, memory grows)";
  info.params = cm::query_specs();
  info.create = [](const PopulationContext& c) { return std::make_unique<SoftmaxAttention>(c); };
  info.memory_bytes = [](const Params& p, std::size_t lanes, std::size_t tokens) {  // the history grows
    const double U = static_cast<double>(p.integer("units")), d = static_cast<double>(p.integer("dim"));
    return 8.0 * U * static_cast<double>(lanes) * ((d + 1) * static_cast<double>(tokens) + 14 * d);
  };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
