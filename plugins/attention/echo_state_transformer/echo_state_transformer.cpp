// echo_state_transformer: the Echo State Transformer layer (Bendi-Ouis & Hinaut, arXiv
// 2507.02917; the authors' code is libs/EST.py of Naowak/Echo-State-Transformer), M memory
// units of R leaky reservoir neurons per layer. Per token and layer (README.md has the
// equations and the weights):
//
//   previous-state attention: one query per unit from the input e, keys and values from the
//   units' previous outputs S_j W_out_j; u_m = RMSNorm(attn_m + e)
//   adaptive leak: a = softmax over units of (u_m . w_lr_m) / temperature
//   reservoir: S_m <- (1 - a_m) S_m + a_m tanh(u_m W_in_m + S_m sr_m W_m + b_m)
//   current-state self-attention across units on O_m = S_m W_out_m, RMSNorm, then the
//   reduction and feed-forward whose output feeds the next layer (and fc_out).
//
// A token-time model (docs/architecture.md, "Discrete maps as ODEs"): on_tick computes the
// new reservoir states and holds (S' - S) / T over the token, so every integrator gives the
// discrete update. The state is the reservoir states; what follows from the new state alone
// (the self-attention, the layer output) is computed from the state when sampled, what the
// update used (the previous-state attention, the leak rates) is kept from the tick.
#include <algorithm>
#include <cmath>
#include <ransim/plugin.hpp>

#include "est_weights.hpp"

namespace {

using namespace ransim;
using est::Layer;

constexpr double kRmsEps = 1e-8;  // torch.nn.RMSNorm(eps = 1e-8) in the authors' layer

// x / sqrt(mean(x^2) + eps) * gain, row by row (one row per lane).
arma::mat rms_norm(const arma::mat& x, const arma::rowvec& gain) {
  arma::mat y = x;
  for (arma::uword b = 0; b < x.n_rows; ++b)
    y.row(b) = x.row(b) / std::sqrt(arma::mean(arma::square(x.row(b))) + kRmsEps) % gain;
  return y;
}

// Softmax of each row, after subtracting its maximum.
arma::mat softmax_rows(arma::mat s) {
  for (arma::uword b = 0; b < s.n_rows; ++b) {
    s.row(b) = arma::exp(s.row(b) - s.row(b).max());
    s.row(b) /= arma::accu(s.row(b));
  }
  return s;
}

arma::mat gelu(arma::mat x) {  // the exact GELU, torch.nn.GELU()
  x.transform([](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
  return x;
}

// Single-query attention of lanes x D queries over keys/values lists (lanes x D each):
// the weights (lanes x keys) and the attended values (lanes x D).
arma::mat attend(const arma::mat& q, const std::vector<arma::mat>& k, const std::vector<arma::mat>& v,
                 arma::mat& weights) {
  arma::mat scores(q.n_rows, k.size());
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.n_cols));
  for (std::size_t j = 0; j < k.size(); ++j) scores.col(j) = arma::sum(q % k[j], 1) * scale;
  weights = softmax_rows(scores);
  arma::mat out(q.n_rows, q.n_cols, arma::fill::zeros);
  for (std::size_t j = 0; j < v.size(); ++j) out += v[j].each_col() % weights.col(j);
  return out;
}

struct Stage {                       // what the output stage of one layer derives, lanes first
  std::vector<arma::mat> outputs;    // O_m = S_m W_out_m, lanes x D
  std::vector<arma::mat> attention;  // per query unit m: lanes x M weights over the units
  arma::mat out;                     // the layer output, lanes x D
};

class EchoStateTransformer : public Population {
 public:
  explicit EchoStateTransformer(const PopulationContext& c) : name_(c.name), T_(c.token_period) {
    const auto n = [&](const char* p) { return static_cast<std::size_t>(c.params.integer(p)); };
    s_ = {n("input_dim"),  n("layers"),        n("memory_units"),
          n("memory_dim"), n("attention_dim"), n("output_dim")};
    est::Init init{c.params.real("memory_connectivity"), c.params.real("bias_probability"),
                   c.params.real("input_scaling"),       c.params.real("spectral_radius_min"),
                   c.params.real("spectral_radius_max"), c.params.real("leak_temperature")};
    if (init.sr_min > init.sr_max)
      throw InputError("population '" + name_ + "': spectral_radius_min (" + std::to_string(init.sr_min) +
                       ") is greater than spectral_radius_max (" + std::to_string(init.sr_max) + ")");
    const WeightFile wf(c);
    if (wf.used()) {
      w_ = est::load(wf, s_);
    } else {
      Rng rng = make_rng(c.seed, "population." + c.name);
      w_ = est::draw(rng, s_, init);
    }
    est::finish(w_);
  }

  std::size_t state_size() const override { return s_.layers * s_.units * s_.neurons; }
  std::size_t input_size() const override { return s_.inputs; }
  std::size_t units() const override { return s_.layers * s_.units; }
  std::size_t unit_dim() const override { return s_.neurons; }
  double saturation_level() const override { return 1.0; }  // tanh reservoir neurons

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    increments_.assign(state_size() * lanes, 0.0);
    leak_.assign(units() * lanes, 0.0);
    previous_attention_.assign(units() * s_.units * lanes, 0.0);
  }

  void initial_state(Block x) const override {
    std::fill(x.data, x.data + x.size(), 0.0);
    std::fill(leak_.begin(), leak_.end(), 0.0);
    std::fill(previous_attention_.begin(), previous_attention_.end(), 0.0);
  }

  bool uses_ticks() const override { return true; }

  // The new states of every layer (layer l > 0 reads layer l-1's output at the same token),
  // held as increments (S' - S) / T.
  void on_tick(ConstBlock x, ConstBlock drive) override {
    const std::size_t L = x.lanes, M = s_.units, R = s_.neurons;
    const arma::mat X = mat_view(x);
    arma::mat increments(increments_.data(), L, state_size(), false, true);
    arma::mat e = mat_view(drive) * w_.fc_in;  // the token embedding, lanes x D
    for (std::size_t l = 0; l < s_.layers; ++l) {
      const std::vector<arma::mat> S = unit_states(X, l), next = update(l, S, e);
      for (std::size_t m = 0; m < M; ++m)
        increments.cols((l * M + m) * R, (l * M + m + 1) * R - 1) = (next[m] - S[m]) / T_;
      if (l + 1 < s_.layers) e = output_stage(l, next).out;
    }
  }

  void derivative(ConstBlock /*x*/, ConstBlock /*drive*/, Block dxdt, double /*t*/,
                  ThreadPool& /*pool*/) const override {
    std::copy(increments_.begin(), increments_.begin() + static_cast<std::ptrdiff_t>(dxdt.size()), dxdt.data);
  }

  std::vector<Recordable> recordables() const override {
    const std::size_t U = units(), M = s_.units, D = s_.dim;
    std::vector<Recordable> r = {
        {"state", "1", "reservoir states S, row l M + m: unit m of layer l", {U, s_.neurons}},
        {"leak_rate", "1", "adaptive leak rates a_m (softmax across the units of a layer), this token", {U}},
        {"previous_attention",
         "1",
         "previous-state attention: row l M + m, unit m's query over the M previous unit outputs",
         {U, M}},
        {"current_attention",
         "1",
         "self-attention across the units' new outputs: row l M + m, query m",
         {U, M}},
        {"memory_output", "1", "unit outputs O_m = S_m W_out_m of the new states", {U, D}},
        {"output", "1", "the last layer's output (what feeds fc_out)", {1, D}},
    };
    if (s_.outputs > 0)
      r.push_back({"prediction", "1", "output fc_out: the authors' model output", {1, s_.outputs}});
    return r;
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name == "state") return Population::sample(name, x, drive, out);
    if (name == "leak_rate") return append(leak_, units(), x.lanes, out);
    if (name == "previous_attention") return append(previous_attention_, units() * s_.units, x.lanes, out);
    const arma::mat X = mat_view(x);
    std::vector<Stage> stages;
    for (std::size_t l = 0; l < s_.layers; ++l) stages.push_back(output_stage(l, unit_states(X, l)));
    const std::size_t L = x.lanes, M = s_.units;
    for (std::size_t b = 0; b < L; ++b) {
      if (name == "current_attention" || name == "memory_output") {
        for (const Stage& st : stages)
          for (std::size_t m = 0; m < M; ++m) {
            const arma::mat& row = name == "current_attention" ? st.attention[m] : st.outputs[m];
            for (arma::uword j = 0; j < row.n_cols; ++j) out.push_back(row(b, j));
          }
      } else if (name == "output" || name == "prediction") {
        const arma::mat y = name == "output" ? stages.back().out : arma::mat(stages.back().out * w_.fc_out);
        for (arma::uword j = 0; j < y.n_cols; ++j) out.push_back(y(b, j));
      } else {
        throw std::logic_error("echo_state_transformer: no recordable '" + name + "'");
      }
    }
  }

  std::map<std::string, arma::mat> weights() const override { return est::recorded(w_); }

 private:
  std::vector<arma::mat> unit_states(const arma::mat& X, std::size_t l) const {
    std::vector<arma::mat> S;
    const std::size_t M = s_.units, R = s_.neurons;
    for (std::size_t m = 0; m < M; ++m) S.push_back(X.cols((l * M + m) * R, (l * M + m + 1) * R - 1));
    return S;
  }

  // One layer's reservoir update from its previous states S (lanes x R per unit) and input
  // e (lanes x D); keeps the attention weights and leak rates for the recordables.
  std::vector<arma::mat> update(std::size_t l, const std::vector<arma::mat>& S, const arma::mat& e) {
    const Layer& w = w_.layers[l];
    const std::size_t L = e.n_rows, M = s_.units;
    std::vector<arma::mat> previous(M), u(M), keys(M), values(M);
    for (std::size_t j = 0; j < M; ++j) previous[j] = S[j] * w.Wout[j];
    arma::mat z(L, M), weights;
    for (std::size_t m = 0; m < M; ++m) {
      for (std::size_t j = 0; j < M; ++j) keys[j] = previous[j] * w.Wk[m], values[j] = previous[j] * w.Wv[m];
      u[m] = rms_norm(attend(e * w.Wq[m], keys, values, weights) + e, w.norm1);
      z.col(m) = u[m] * w.adaptive_lr.row(m).t() / w.temperature;
      for (std::size_t b = 0; b < L; ++b)
        for (std::size_t j = 0; j < M; ++j)
          previous_attention_[(b * units() + l * M + m) * M + j] = weights(b, j);
    }
    const arma::mat leak = softmax_rows(z);
    std::vector<arma::mat> next(M);
    for (std::size_t m = 0; m < M; ++m) {
      arma::mat pre = u[m] * w.Win[m] + S[m] * w.W_eff[m];
      pre.each_row() += w.bias.row(m);
      next[m] = S[m].each_col() % (1.0 - leak.col(m)) + arma::tanh(pre).eval().each_col() % leak.col(m);
      for (std::size_t b = 0; b < L; ++b) leak_[b * units() + l * M + m] = leak(b, m);
    }
    return next;
  }

  // What follows from a layer's new states alone: self-attention across the units, RMSNorm,
  // the reduction and the feed-forward, the layer output.
  Stage output_stage(std::size_t l, const std::vector<arma::mat>& S) const {
    const Layer& w = w_.layers[l];
    const std::size_t M = s_.units, D = s_.dim;
    Stage st;
    std::vector<arma::mat> keys(M), values(M);
    for (std::size_t j = 0; j < M; ++j) {
      st.outputs.push_back(S[j] * w.Wout[j]);
      keys[j] = st.outputs[j] * w.SWk;
      values[j] = st.outputs[j] * w.SWv;
    }
    arma::mat flat(S[0].n_rows, M * D);
    for (std::size_t m = 0; m < M; ++m) {
      arma::mat weights;
      const arma::mat a = attend(st.outputs[m] * w.SWq, keys, values, weights);
      flat.cols(m * D, (m + 1) * D - 1) = rms_norm(a + st.outputs[m], w.norm2);
      st.attention.push_back(weights);
    }
    arma::mat reduced = flat * w.Wreduce.t();
    reduced.each_row() += w.Wreduce_bias;
    arma::mat hidden = reduced * w.ff_in.t();
    hidden.each_row() += w.ff_in_bias;
    arma::mat y = gelu(hidden) * w.ff_out.t();
    y.each_row() += w.ff_out_bias;
    st.out = rms_norm(y + reduced, w.norm3);
    return st;
  }

  static void append(const std::vector<double>& lane_major, std::size_t per_lane, std::size_t lanes,
                     std::vector<double>& out) {
    out.insert(out.end(), lane_major.begin(),
               lane_major.begin() + static_cast<std::ptrdiff_t>(per_lane * lanes));
  }

  std::string name_;
  double T_;
  est::Shape s_;
  est::Weights w_;
  std::vector<double> increments_;  // (S' - S) / T, lanes fastest, set at each tick
  // Kept from the last tick, lane-major; cleared by initial_state (const, as the engine calls it).
  mutable std::vector<double> leak_, previous_attention_;
};

std::vector<ParamSpec> specs() {
  return {
      param::integer("input_dim")
          .range(1, 4096)
          .defaults_to(1)
          .describe("input slots I: the token embedding is e = x fc_in (fc_in I x D)"),
      param::integer("layers").range(1, 64).defaults_to(1).describe(
          "EST layers L; layer l > 0 takes layer l-1's output as its input"),
      param::integer("memory_units").range(1, 4096).defaults_to(4).describe("memory units M per layer"),
      param::integer("memory_dim")
          .range(1, 100000)
          .defaults_to(100)
          .describe("reservoir neurons R per memory unit"),
      param::integer("attention_dim").range(1, 4096).defaults_to(3).describe("attention dimension D"),
      param::integer("output_dim")
          .range(0, 4096)
          .describe("columns O of fc_out (recordable 'prediction' = output fc_out); 0: no fc_out"),
      param::real("memory_connectivity")
          .greater_than(0)
          .at_most(1)
          .defaults_to(0.2)
          .describe("reservoir mode: max(1, floor(c n)) nonzeros per column of W (n = R) and W_in (n = D)"),
      param::real("bias_probability")
          .range(0, 1)
          .defaults_to(0.5)
          .describe("reservoir mode: each reservoir bias is 1 with this probability, else 0"),
      param::real("input_scaling")
          .at_least(0)
          .defaults_to(1.0)
          .describe("reservoir mode: value of the nonzeros of W_in (the authors' code uses 1)"),
      param::real("spectral_radius_min")
          .at_least(0)
          .describe("reservoir mode: sr_m ~ U(min, max) per unit scales W_m, whose spectral radius is 1"),
      param::real("spectral_radius_max")
          .at_least(0)
          .defaults_to(1.0)
          .describe("reservoir mode: upper end of sr_m (equal to the minimum: every unit has that radius)"),
      param::real("leak_temperature")
          .greater_than(0)
          .defaults_to(1.0)
          .describe("reservoir mode: temperature of the leak-rate softmax across units"),
      param::string("weights_file")
          .describe(
              "HDF5 file with every weight (README.md; scripts/est_from_pytorch.py converts the authors' "
              "state dict); empty: random weights with the authors' initialisations"),
      param::string("weights_group")
          .defaults_to("/")
          .describe(
              "group of weights_file holding the datasets, e.g. /network/populations/NAME of a recording"),
  };
}

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "echo_state_transformer";
  info.description =
      "Echo State Transformer layers (arXiv 2507.02917): M reservoir memory units, attention on their "
      "previous outputs with one query per unit, adaptive leak rates (softmax across units), "
      "self-attention across the units' new outputs and RMSNorm";
  info.params = specs();
  info.colour = "#55a868";
  info.layout = {
      .state = {{.name = "state", .axes = {"units", "neurons"}, .description = "reservoir states"}},
      .derived = {
          {.name = "leak_rate",
           .description = "adaptive leak rates (softmax across units)",
           .display = {.view = ViewKind::Heatmap}},
          {.name = "previous_attention",
           .axes = {"units", "units"},
           .description = "attention on the previous unit outputs, one query per unit",
           .display = {.view = ViewKind::Map}},
          {.name = "current_attention",
           .axes = {"units", "units"},
           .description = "self-attention across the new unit outputs",
           .display = {.view = ViewKind::Map}},
          {.name = "memory_output", .axes = {"units", "dim"}, .description = "unit outputs S_m W_out_m"},
          {.name = "output",
           .axes = {"units", "dim"},
           .description = "layer output",
           .display = {.view = ViewKind::Trace}},
          {.name = "prediction",
           .axes = {"units", "outputs"},
           .description = "output fc_out",
           .display = {.view = ViewKind::Trace}}}};
  // For the run's memory check: per layer M reservoirs of R x R twice (W and sr W) with their
  // D x R input and output maps and D x D attention matrices, the layer's shared matrices, an
  // R x R eigenproblem while drawing; per lane the states with the integrator's copies and the
  // attention maps.
  info.memory_bytes = [](const Params& p, std::size_t lanes, std::size_t) {
    const auto get = [&](const char* k) { return static_cast<double>(p.integer(k)); };
    const double Ly = get("layers"), M = get("memory_units"), R = get("memory_dim"), D = get("attention_dim");
    const double fixed = Ly * (M * (2 * R * R + 2 * D * R + 3 * D * D + R + D) + M * D * D + 11 * D * D) +
                         get("input_dim") * D + D * get("output_dim") + 4 * R * R;
    const double per_lane = Ly * (12 * M * R + 2 * M * M + 4 * M * D);
    return 8 * (fixed + per_lane * static_cast<double>(lanes));
  };
  info.create = [](const PopulationContext& c) { return std::make_unique<EchoStateTransformer>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
