// cortex_qkv: the QKV attention unit of docs/science.md ("cortex"). Equations, parameters,
// recordables and the discrete-time form are in README.md; the shared pieces (weights, kernels,
// the window, the population frame) are in ../common/.
//
//   time mode:  Z = [z(t_{k-c+1}); ...; z(t_{k-1}); z(t)],  q = W_q z(t)
//   units mode: Z = [h_{j_1}; ...; h_{j_k}; z(t)] (current states of k presynaptic units, then
//               the unit's own live input, so that the unit is driven even from h = 0), q = W_q z
//   K = Z W_k^T, V = Z W_v^T, a = softmax(K q / (sqrt(D) T)), o = W_o V^T a
//   (heads = h: per head on D/h values, concatenated, then W_o; bias = true: b_q, b_k, b_v, b_o)
//   r = o, or with feed_forward = true r = o + W_2 f(W_1 o + b_1) + b_2
//   phi = tanh(r), tau dh/dt = -h + phi
#include <algorithm>
#include <optional>
#include <string>

#include <ransim/differentiable.hpp>
#include <ransim/plugin.hpp>

#include "common/attention.hpp"
#include "common/declared_variables.hpp"
#include "common/feed_forward.hpp"
#include "common/memory_estimate.hpp"
#include "common/param_specs.hpp"
#include "common/presynaptic.hpp"
#include "common/unit_population.hpp"

namespace {

using namespace ransim;

class CortexQkv : public attn::UnitPopulation, public Differentiable {
 public:
  explicit CortexQkv(const PopulationContext& c)
      : UnitPopulation(c),
        name_(c.name),
        units_mode_(c.params.string("context_mode") == "units"),
        c_(static_cast<std::size_t>(c.params.integer("context"))),
        k_(static_cast<std::size_t>(c.params.integer("k"))),
        att_(c, U_, D_, rng_, wf_),  // W_q, W_k, W_v, W_o; then the presynaptic units
        presyn_(units_mode_ ? attn::presynaptic_units(c.name, wf_, rng_, U_, k_)
                            : std::vector<std::uint32_t>{}) {
    if (c.params.boolean("feed_forward")) ff_.emplace(c, U_, D_, rng_, wf_);  // after the presynaptic units
  }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    if (!units_mode_) window_.reset(c_, D_, U_ * D_, lanes);
    allocate_scratch(kernel_scratch(lanes) + att_.heads() * rows() * lanes, rows());
  }
  void restart() const override { window_.restart(); }
  bool uses_ticks() const override { return !units_mode_; }
  void on_tick(ConstBlock /*x*/, ConstBlock drive) override { window_.push(drive.data); }

  // r per unit, into dxdt; for_units then relaxes: dxdt = (tanh(r) - h) / tau.
  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double /*t*/, ThreadPool& pool) const override {
    const std::size_t L = x.lanes, n = units_mode_ ? k_ + 1 : window_.past() + 1;
    const double work = att_.work(n) + (ff_ ? ff_->work() : 0.0);
    for_units(x, dxdt, pool, work, [&](std::size_t u, double* scratch, const double** rows) {
      double* a = scratch + kernel_scratch(L);
      unit(u, x, drive, dxdt.data + u * D_ * L, a, scratch, rows);
    });
  }

  std::vector<Recordable> recordables() const override {
    return {
        state_recordable(),
        {"attention",
         "1",
         std::string(units_mode_ ? "attention weights a over the k presynaptic units (in the order of the "
                                   "weight 'presynaptic') and, last, the unit's own input; rows sum to 1"
                                 : "attention weights a over the working memory, oldest to newest (the "
                                   "last is the live input); rows not yet filled are 0; rows sum to 1") +
             (att_.heads() > 1 ? "; head i's rows at columns i*rows .. (i+1)*rows - 1" : ""),
         {U_, att_.heads() * rows()},
         true},
        entropy_recordable()};
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name != "attention" && name != "attention_entropy") return Population::sample(name, x, drive, out);
    const std::size_t L = x.lanes;
    std::vector<double> scratch(kernel_scratch(L)), r(D_ * L), a(att_.heads() * rows() * L);
    std::vector<const double*> Z(rows());
    const auto weights = [&](std::size_t u) {
      const std::size_t n = unit(u, x, drive, r.data(), a.data(), scratch.data(), Z.data());
      return std::pair{static_cast<const double*>(a.data()), n};
    };
    if (name == "attention") sample_rows(rows(), L, weights, out, att_.heads());
    else sample_entropy(L, weights, out, att_.heads());
  }

  // tau, the sharpness and the softmax temperature may change during a run.
  std::vector<std::string> live_parameters() const override { return {"tau", "sharpness", "temperature"}; }
  void set_live_parameter(const std::string& name, const Value& v) override {
    if (!att_.set_live_parameter(name, v)) UnitPopulation::set_live_parameter(name, v);
  }

  std::map<std::string, arma::mat> weights() const override {
    std::map<std::string, arma::mat> w;
    add_x0(w);
    att_.add_weights(w);
    if (units_mode_) w["presynaptic"] = attn::presynaptic_matrix(presyn_, U_, k_);
    if (ff_) ff_->add_weights(w);
    return w;
  }

  // Training (ransim/differentiable.hpp): W_q, W_k, W_v, W_o (then b_q, b_k, b_v, b_o with
  // bias = true, then the feed-forward's W_1, W_2); in context_mode "time" the
  // working memory is the tick state (TokenWindow::save: the last c samples and the tick count).
  Differentiable* differentiable() override { return this; }
  std::vector<TrainableWeight> trainable_weights() override {
    refuse_untrainable();
    std::vector<TrainableWeight> w = att_.trainable_weights();
    if (ff_)
      for (const TrainableWeight& t : ff_->trainable_weights()) w.push_back(t);
    return w;
  }
  void weights_changed() override {
    att_.weights_changed();
    if (ff_) ff_->weights_changed();
  }
  std::size_t tick_state_size() const override { return units_mode_ ? 0 : window_.state_vars(); }
  void save_tick_state(Block out) const override { window_.save(out.data); }
  void load_tick_state(ConstBlock in) override { window_.load(in.data); }

  // Per unit: r = W_o V^T a (+ the feed-forward) again, back through the relaxation and the
  // feed-forward, then the attention into the live input (query and newest row), the past rows
  // (the tick state, or the presynaptic units' states) and the weights.
  void derivative_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_dxdt, Block g_x, Block g_drive,
                      Block g_tick, WeightGradients& g_weights) const override {
    refuse_untrainable();
    const std::size_t L = x.lanes, slab = D_ * L;
    std::vector<double> scratch(kernel_scratch(L)), a(att_.heads() * rows() * L), r(slab), g_r(slab), o(slab),
        g_o(slab);
    std::vector<const double*> Z(rows());
    std::vector<double*> g_rows(rows());
    for (std::size_t u = 0; u < U_; ++u) {
      const std::size_t n = unit(u, x, drive, r.data(), a.data(), scratch.data(), Z.data(), o.data());
      relax_vjp(r.data(), g_dxdt.data + u * slab, g_x.data + u * slab, g_r.data(), slab);
      if (ff_) {  // g_o = g_r through the residual and the feed-forward; its weights follow W_o
        std::fill(g_o.begin(), g_o.end(), 0.0);
        ff_->apply_vjp(u, o.data(), g_r.data(), g_o.data(), g_weights, att_.trainable_count(), L);
        g_r.swap(g_o);
      }
      for (std::size_t i = 0; i + 1 < n; ++i)
        g_rows[i] =
            units_mode_ ? g_x.data + presyn_[u * k_ + i] * slab : window_.past_cotangent(g_tick.data, u, i);
      double* g_z = g_drive.data + u * slab;
      g_rows[n - 1] = g_z;  // the live input is the newest row
      att_.attend_vjp(u, drive.data + u * slab, Z.data(), n, g_r.data(), g_z, g_rows.data(), g_weights, 0, L);
    }
  }

  void tick_vjp(ConstBlock, ConstBlock, ConstBlock g_after, Block, Block g_drive, Block g_before,
                WeightGradients&) const override {
    window_.push_vjp(g_after.data, g_drive.data, g_before.data);
  }

 private:
  // Every option has a backward pass; a new one without would be named here.
  void refuse_untrainable() const { att_.require_backward("cortex_qkv", name_); }

  std::size_t rows() const { return units_mode_ ? k_ + 1 : c_; }
  // Scratch of the attention, then the feed-forward's hidden layer.
  std::size_t kernel_scratch(std::size_t L) const {
    return att_.scratch_size(L) + (ff_ ? ff_->scratch_size(L) : 0);
  }

  // Unit u: r (D x L) = W_o V^T a (+ the feed-forward) and the attention weights a (heads x n x
  // L) over its n rows Z (D x L slabs, oldest first: the window, or the presynaptic states then
  // the unit's own input). Returns n. With `o` (training), also o before the feed-forward. Flattened (every
  // kernel inlined here): left to itself GCC calls the blocks of dots_lanes out of line, and the token is
  // measurably slower (bench BM_CortexToken).
  [[gnu::flatten]] std::size_t unit(std::size_t u, ConstBlock x, ConstBlock drive, double* r, double* a,
                                    double* scratch, const double** Z, double* o = nullptr) const {
    const std::size_t L = x.lanes, slab = D_ * L;
    const double* z = drive.data + u * slab;
    std::size_t n = k_ + 1;
    if (units_mode_) {
      for (std::size_t j = 0; j < k_; ++j) Z[j] = x.data + presyn_[u * k_ + j] * slab;
      Z[k_] = z;
    } else {
      n = window_.rows(u, z, Z);
    }
    att_.attend(u, z, Z, n, r, a, scratch, L);  // r = o = W_o V^T a
    if (o && ff_) std::copy(r, r + slab, o);
    if (ff_) ff_->apply(u, r, r, scratch + att_.scratch_size(L), L);  // r = o + FF(o)
    return n;
  }

  std::string name_;
  bool units_mode_;
  std::size_t c_, k_;
  attn::Attention att_;
  std::vector<std::uint32_t> presyn_;  // U x k
  std::optional<attn::FeedForward> ff_;
  attn::TokenWindow window_;
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "cortex_qkv";
  info.description =
      "QKV attention units (cortex): phi = tanh(W_o V^T softmax(K q / (sqrt(D) T))) over a working "
      "memory of the last c token samples of the input (or the states of k presynaptic units), "
      "tau dh/dt = -h + phi; options: heads, biases, a feed-forward D -> 4D -> D";
  info.params =
      attn::concat(attn::concat(attn::unit_specs(), attn::attention_specs()), attn::cortex_unit_specs());
  info.params.push_back(
      param::choice("context_mode", {"time", "units"})
          .describe("keys and values from the last c token samples of the unit's input (time) or from the "
                    "current states of k presynaptic units plus the unit's own input (units)"));
  info.params.push_back(param::integer("k").range(1, 1e7).defaults_to(4).describe(
      "presynaptic units per unit in context_mode \"units\" (<= units)"));
  info.colour = attn::kCortexColour;
  info.layout = {.state = {attn::unit_state()},
                 .derived = {attn::attention_map(), attn::attention_entropy()}};
  info.create = [](const PopulationContext& c) { return std::make_unique<CortexQkv>(c); };
  info.memory_bytes = [](const Params& p, std::size_t L, std::size_t) {
    return attn::attention_memory_bytes(p, L, true, false);
  };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
