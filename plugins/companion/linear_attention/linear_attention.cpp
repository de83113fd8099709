// linear_attention: causal linear self-attention, computed directly, the reference for
// gated_linear. With k_s = W_K x_s, v_s = W_V x_s kept for every token s pushed at the ticks,
// the output after token t is
//
//   y_t = sum_{s<=t} v_s (k_s . q_t),   q_t = W_Q x_t,
//
// O(t d) per token, memory growing with the run (README.md).
#include <ransim/plugin.hpp>

#include "common/companion_math.hpp"

namespace {

using namespace ransim;
namespace cm = ransim::companion;

class LinearAttention : public Population {
 public:
  explicit LinearAttention(const PopulationContext& c)
      : d_(static_cast<std::size_t>(c.params.integer("dim"))),
        step_(c.token_period),
        w_(cm::lsa_weights(c)) {}

  std::size_t state_size() const override { return d_; }
  std::size_t input_size() const override { return d_; }
  std::size_t units() const override { return 1; }
  std::size_t unit_dim() const override { return d_; }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    step_.resize(d_ * lanes);
    y_.assign(d_ * lanes, 0.0);
  }

  void initial_state(Block x) const override {
    std::fill(x.data, x.data + x.size(), 0.0);
    step_.restart();
    history_.clear();
  }

  bool uses_ticks() const override { return true; }

  void on_tick(ConstBlock x, ConstBlock drive) override {
    const std::size_t L = x.lanes, per_tick = L * 2 * d_;
    const std::size_t t = history_.size() / per_tick;  // index of this token
    history_.resize(history_.size() + per_tick);
    double* now = history_.data() + t * per_tick;
    std::vector<double> q(d_);
    const double T = step_.period();
    double* inc = step_.increments();
    for (std::size_t b = 0; b < L; ++b) {
      // Entry [tick][lane] = (k, v) of this token.
      double* k = now + b * 2 * d_;
      double* v = k + d_;
      for (std::size_t i = 0; i < d_; ++i) {
        double kq = 0, kk = 0, kv = 0;
        for (std::size_t j = 0; j < d_; ++j) {
          const double xj = drive(j, b);
          kq += w_.WQ(i, j) * xj;
          kk += w_.WK(i, j) * xj;
          kv += w_.WV(i, j) * xj;
        }
        q[i] = kq;
        k[i] = kk;
        v[i] = kv;
      }
      // y = sum_s v_s (k_s . q), s = 0..t.
      for (std::size_t i = 0; i < d_; ++i) y_[i * L + b] = 0.0;
      for (std::size_t s = 0; s <= t; ++s) {
        const double* ks = history_.data() + s * per_tick + b * 2 * d_;
        const double* vs = ks + d_;
        double a = 0;
        for (std::size_t j = 0; j < d_; ++j) a += ks[j] * q[j];
        for (std::size_t i = 0; i < d_; ++i) y_[i * L + b] += vs[i] * a;
      }
      for (std::size_t i = 0; i < d_; ++i) inc[i * L + b] = (y_[i * L + b] - x(i, b)) / T;
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
         {1, d_}},
        {"output",
         "1",
         "linear self-attention y_t = sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t), computed "
         "directly at the last tick",
         {1, d_}},
    };
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name == "state") return Population::sample(name, x, drive, out);
    if (name != "output") throw std::logic_error("linear_attention: no recordable '" + name + "'");
    cm::append_lane_major(y_.data(), d_, x.lanes, out);
  }

  std::map<std::string, arma::mat> weights() const override {
    return {{"W_Q", w_.WQ}, {"W_K", w_.WK}, {"W_V", w_.WV}};
  }

 private:
  std::size_t d_;
  cm::TokenStep step_;
  cm::LsaWeights w_;
  std::vector<double> y_;                // [d][lanes]: the output at the last tick
  mutable std::vector<double> history_;  // [tick][lanes][k (d), v (d)]; cleared by initial_state
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "linear_attention";
  info.description =
      "reference for gated_linear: causal linear self-attention y_t = sum_{s<=t} (W_V x_s)(W_K x_s)^T "
      "(W_Q x_t) computed directly from the stored history (O(t) per token, memory grows)";
  info.params = cm::lsa_specs();
  info.create = [](const PopulationContext& c) { return std::make_unique<LinearAttention>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
