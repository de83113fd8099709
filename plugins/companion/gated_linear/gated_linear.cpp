// gated_linear: a diagonal linear RNN with multiplicative input and output gating (docs/science.md),
//
//   h <- lambda % h + (G_in x~) % (X_in x~),    y = D ((G_out h) % (X_out h)),    x~ = [x; 1],
//
// with the weights built from (W_Q, W_K, W_V) so that y_t is exactly the linear self-attention
// sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t): d^2 memory neurons (lambda = 1) plus d query
// neurons (lambda = 0) in form "full", d(d+1)/2 + d in form "compressed". The construction is
// companion::build_gated_linear (../common/companion_math.hpp); README.md has the equations.
// `init = "random"` draws every weight instead: a student that training may turn into the
// construction (scenarios/train_teacher_student.toml).
#include <ransim/differentiable.hpp>
#include <ransim/plugin.hpp>

#include "common/companion_math.hpp"

namespace {

using namespace ransim;
namespace cm = ransim::companion;

// A student's weights, from make_rng(seed, "population." + name) in this order: lambda
// uniform in [lambda_min, lambda_max]; G_in, X_in [n, d+1]; G_out, X_out [m, n]; D [d, m],
// each row by row with entries N(0, init_scale^2 / fan_in) (fan_in: d + 1, n, m).
cm::GatedLinear random_gated_linear(const PopulationContext& c, std::size_t d) {
  const auto count = [&](const char* key, std::size_t otherwise) {
    const auto v = static_cast<std::size_t>(c.params.integer(key));
    return v ? v : otherwise;
  };
  const std::size_t n = count("neurons", d * d + d), m = count("products", d * d);
  const double lo = c.params.real("lambda_min"), hi = c.params.real("lambda_max"),
               s = c.params.real("init_scale");
  if (lo > hi)
    throw InputError("gated_linear '" + c.name + "': lambda_min " + std::to_string(lo) +
                     " is above lambda_max " + std::to_string(hi));
  Rng rng = make_rng(c.seed, "population." + c.name);
  const auto sd = [&](std::size_t fan_in) { return s / std::sqrt(static_cast<double>(fan_in)); };
  cm::GatedLinear g;
  g.lambda.set_size(n);
  for (auto& l : g.lambda) l = uniform(rng, lo, hi);
  g.G_in = random_matrix(rng, n, d + 1, sd(d + 1));
  g.X_in = random_matrix(rng, n, d + 1, sd(d + 1));
  g.G_out = random_matrix(rng, m, n, sd(n));
  g.X_out = random_matrix(rng, m, n, sd(n));
  g.D = random_matrix(rng, d, m, sd(m));
  return g;
}

cm::GatedLinear initial_weights(const PopulationContext& c, const cm::LsaWeights& w, std::size_t d) {
  if (c.params.string("init") == "random") return random_gated_linear(c, d);
  return cm::build_gated_linear(
      w.WQ, w.WK, w.WV, c.params.string("form") == "full" ? cm::GatedForm::Full : cm::GatedForm::Compressed);
}

class GatedLinearRnn : public Population, public Differentiable {
 public:
  explicit GatedLinearRnn(const PopulationContext& c)
      : d_(static_cast<std::size_t>(c.params.integer("dim"))),
        random_(c.params.string("init") == "random"),
        step_(c.token_period),
        w_(random_ ? cm::LsaWeights{} : cm::lsa_weights(c)),
        g_(initial_weights(c, w_, d_)),
        lambda_minus_1_((g_.lambda - 1.0).t()) {}

  std::size_t state_size() const override { return g_.neurons(); }
  std::size_t input_size() const override { return d_; }
  std::size_t units() const override { return g_.neurons(); }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    step_.resize(state_size() * lanes);
  }

  void initial_state(Block x) const override {
    std::fill(x.data, x.data + x.size(), 0.0);
    step_.restart();
  }

  bool uses_ticks() const override { return true; }

  // Increments ((lambda - 1) % h + (G_in x~) % (X_in x~)) / T: the update h' - h written
  // without the difference, so lambda = 1 neurons add exactly the gated input.
  void on_tick(ConstBlock x, ConstBlock drive) override {
    const std::size_t L = x.lanes, n = g_.neurons();
    arma::mat xt(L, d_ + 1);  // rows: lanes; x~ = [x; 1]
    xt.head_cols(d_) = mat_view(drive);
    xt.col(d_).ones();
    const arma::mat gated = (xt * g_.G_in.t()) % (xt * g_.X_in.t());  // L x n
    arma::mat inc(step_.increments(), L, n, false, true);
    inc = (mat_view(x).each_row() % lambda_minus_1_ + gated) / step_.period();
    step_.tick();
  }

  void derivative(ConstBlock /*x*/, ConstBlock /*drive*/, Block dxdt, double /*t*/,
                  ThreadPool& /*pool*/) const override {
    step_.fill(dxdt);
  }

  std::vector<Recordable> recordables() const override {
    auto r = Population::recordables();
    r[0].description = random_
                           ? "neuron states h"
                           : "neuron states h: memory neurons (lambda = 1) first, then the d query neurons";
    r.push_back({"output", "1", "y = D ((G_out h) % (X_out h)): the linear self-attention output", {1, d_}});
    return r;
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name == "state") return Population::sample(name, x, drive, out);
    if (name != "output") throw std::logic_error("gated_linear: no recordable '" + name + "'");
    const arma::mat h = mat_view(x);                                           // L x n
    const arma::mat y = ((h * g_.G_out.t()) % (h * g_.X_out.t())) * g_.D.t();  // L x d
    for (std::size_t b = 0; b < x.lanes; ++b)
      for (std::size_t i = 0; i < d_; ++i) out.push_back(y(b, i));
  }

  std::map<std::string, arma::mat> weights() const override {
    std::map<std::string, arma::mat> all = {{"lambda", g_.lambda}, {"G_in", g_.G_in},   {"X_in", g_.X_in},
                                            {"G_out", g_.G_out},   {"X_out", g_.X_out}, {"D", g_.D}};
    if (!random_) all.insert({{"W_Q", w_.WQ}, {"W_K", w_.WK}, {"W_V", w_.WV}});  // what built them
    return all;
  }

  // Training (ransim/differentiable.hpp): every weight. The held increments are the tick
  // state: derivative() returns them, on_tick() sets them. The output gating and D reach a
  // loss through `output` (sample_vjp).
  Differentiable* differentiable() override { return this; }
  std::vector<TrainableWeight> trainable_weights() override {
    return {{"lambda", &g_.lambda}, {"G_in", &g_.G_in},   {"X_in", &g_.X_in},
            {"G_out", &g_.G_out},   {"X_out", &g_.X_out}, {"D", &g_.D}};
  }
  void weights_changed() override { lambda_minus_1_ = (g_.lambda - 1.0).t(); }
  std::size_t tick_state_size() const override { return g_.neurons(); }
  void save_tick_state(Block out) const override {
    std::copy(step_.increments(), step_.increments() + out.size(), out.data);
  }
  void load_tick_state(ConstBlock in) override {
    std::copy(in.data, in.data + in.size(), step_.increments());
  }

  void derivative_vjp(ConstBlock, ConstBlock, ConstBlock g_dxdt, Block, Block, Block g_tick,
                      WeightGradients&) const override {
    for (std::size_t i = 0; i < g_dxdt.size(); ++i) g_tick.data[i] += g_dxdt.data[i];
  }

  // inc = (h % (lambda - 1) + A % B) / T with A = x~ G_in^T, B = x~ X_in^T (lanes as rows).
  void tick_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_after, Block g_x, Block g_drive, Block,
                WeightGradients& g_weights) const override {
    const std::size_t L = x.lanes;
    arma::mat xt(L, d_ + 1);
    xt.head_cols(d_) = mat_view(drive);
    xt.col(d_).ones();
    const arma::mat g = mat_view(g_after) / step_.period();
    const arma::mat a = xt * g_.G_in.t(), b = xt * g_.X_in.t();
    arma::mat gx = mat_view(g_x);
    gx += g.each_row() % lambda_minus_1_;
    g_weights[0] += arma::sum(g % mat_view(x), 0).t();
    const arma::mat g_a = g % b, g_b = g % a;
    g_weights[1] += g_a.t() * xt;
    g_weights[2] += g_b.t() * xt;
    arma::mat gd = mat_view(g_drive);
    const arma::mat g_xt = g_a * g_.G_in + g_b * g_.X_in;
    gd += g_xt.head_cols(d_);
  }

  bool has_sample_vjp(const std::string& name) const override { return name == "output"; }
  // y = P D^T with P = A % B, A = H G_out^T, B = H X_out^T (lanes as rows of H, Y, g_Y).
  void sample_vjp(const std::string& name, ConstBlock x, ConstBlock, const double* g_out, Block g_x, Block,
                  WeightGradients& g_weights) const override {
    if (name != "output") throw std::logic_error("gated_linear: no backward pass for '" + name + "'");
    const arma::mat h = mat_view(x);
    const arma::mat g_y = arma::mat(const_cast<double*>(g_out), d_, x.lanes, false, true).t();  // lane-major
    const arma::mat a = h * g_.G_out.t(), b = h * g_.X_out.t();
    g_weights[5] += g_y.t() * (a % b);
    const arma::mat g_p = g_y * g_.D, g_a = g_p % b, g_b = g_p % a;
    g_weights[3] += g_a.t() * h;
    g_weights[4] += g_b.t() * h;
    arma::mat gx = mat_view(g_x);
    gx += g_a * g_.G_out + g_b * g_.X_out;
  }

 private:
  std::size_t d_;
  bool random_;
  cm::TokenStep step_;
  cm::LsaWeights w_;
  cm::GatedLinear g_;
  arma::rowvec lambda_minus_1_;
};

// The random student (init = "random"); the construction ignores these.
std::vector<ParamSpec> student_specs() {
  return {
      param::choice("init", {"construction", "random"})
          .describe(
              "construction: the weights that implement linear self-attention from W_Q, W_K, W_V (form); "
              "random: every weight drawn from the stream \"population.NAME\" (a student to train)"),
      param::integer("neurons").range(0, 1e5).describe("random: recurrent neurons n (0: d^2 + d)"),
      param::integer("products").range(0, 1e5).describe("random: output gating width m (0: d^2)"),
      param::real("lambda_min").range(0, 1).describe("random: lambda ~ U(lambda_min, lambda_max)"),
      param::real("lambda_max")
          .range(0, 1)
          .defaults_to(1.0)
          .describe("random: lambda ~ U(lambda_min, lambda_max)"),
      param::real("init_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("random: gate and readout entries N(0, init_scale^2 / fan_in), fan_in = d + 1, n, m"),
  };
}

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "gated_linear";
  info.description =
      "gated linear RNN h <- lambda h + (G_in x~)(X_in x~), y = D((G_out h)(X_out h)), x~ = [x; 1], "
      "built from W_Q, W_K, W_V to implement causal linear self-attention exactly";
  info.params = cm::lsa_specs();
  for (auto& p : info.params)
    if (p.name == "dim") {
      p.max = 32;  // the construction matrices are dense, O(d^4) values
      p.description += " (<= 32: the construction matrices are dense, G_out is d^2 x (d^2 + d))";
    }
  info.params.insert(info.params.begin() + 1,
                     param::choice("form", {"full", "compressed"})
                         .describe("full: d^2 memory neurons (lambda = 1) storing sum_s v_s k_s^T, plus d "
                                   "query neurons (lambda = 0); compressed: d(d+1)/2 memory neurons storing "
                                   "the symmetric sum_s x_s x_s^T, plus d query neurons"));
  for (auto& p : student_specs()) info.params.push_back(std::move(p));
  info.create = [](const PopulationContext& c) { return std::make_unique<GatedLinearRnn>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
