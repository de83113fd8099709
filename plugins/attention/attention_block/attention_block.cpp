// attention_block: the undivided transformer block as one unit (docs/science.md): cortex
// attention over the token-clock working memory, then the key-value memory on the result with
// a residual, then tanh. Equations, parameters, recordables and the discrete-time form are in
// README.md; the attention (Attention, TokenWindow) is shared with cortex_qkv and the memory
// (KeyValueMemory) with hippocampus_memory, in ../common/.
//
//   o   = W_o V^T a,  a = softmax(K q / (sqrt(D) T))   (as cortex_qkv, context_mode "time";
//                                                       heads = h: per head, concatenated)
//   r   = o + sum_s f(k_s . o + b_s) v_s
//   phi = tanh(r),    tau dh/dt = -h + phi
#include <algorithm>
#include <string>
#include <vector>

#include <ransim/differentiable.hpp>
#include <ransim/plugin.hpp>

#include "common/attention.hpp"
#include "common/declared_variables.hpp"
#include "common/key_value_memory.hpp"
#include "common/memory_estimate.hpp"
#include "common/param_specs.hpp"
#include "common/unit_population.hpp"

namespace {

using namespace ransim;
using attn::UnitPopulation;

class AttentionBlock : public UnitPopulation, public Differentiable {
 public:
  explicit AttentionBlock(const PopulationContext& c)
      : UnitPopulation(c),
        name_(c.name),
        c_(static_cast<std::size_t>(c.params.integer("context"))),
        att_(c, U_, D_, rng_, wf_),
        mem_(c, U_, D_, rng_, wf_, c.params.boolean("shared_store")) {}

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    window_.reset(c_, D_, U_ * D_, lanes);
    allocate_scratch(std::max(att_.scratch_size(lanes), mem_.scratch_size(lanes)) +
                         (att_.heads() * c_ + mem_.slots()) * lanes,
                     c_);
  }

  void restart() const override { window_.restart(); }

  bool uses_ticks() const override { return true; }
  void on_tick(ConstBlock /*x*/, ConstBlock drive) override { window_.push(drive.data); }

  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double /*t*/, ThreadPool& pool) const override {
    const std::size_t L = x.lanes;
    const double work = att_.work(window_.past() + 1) + mem_.work();
    for_units(x, dxdt, pool, work, [&](std::size_t u, double* scratch, const double** ptrs) {
      unit(u, drive, dxdt.data + u * D_ * L, scratch, ptrs, L);
    });
  }

  std::vector<Recordable> recordables() const override {
    return {state_recordable(),
            {"attention",
             "1",
             std::string("attention weights a over the working memory, oldest to newest (the last is the "
                         "live input); rows not yet filled are 0; rows sum to 1") +
                 (att_.heads() > 1 ? "; head i's rows at columns i*context .. (i+1)*context - 1" : ""),
             {U_, att_.heads() * c_},
             true},
            {"memory",
             "1",
             "memory activations m_s = f(k_s . o + b_s) per slot (which memories fire)",
             {U_, mem_.slots()},
             true},
            entropy_recordable()};
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    const bool entropy = name == "attention_entropy";
    if (name != "attention" && name != "memory" && !entropy) return Population::sample(name, x, drive, out);
    const std::size_t L = x.lanes, S = mem_.slots();
    const bool attention = name != "memory";
    const std::size_t kernel = std::max(att_.scratch_size(L), mem_.scratch_size(L));
    std::vector<double> r(D_ * L), scratch(kernel + (att_.heads() * c_ + S) * L);
    std::vector<const double*> ptrs(c_);
    const auto rows_of = [&](std::size_t u) {
      const std::size_t used = unit(u, drive, r.data(), scratch.data(), ptrs.data(), L);
      const double* a = scratch.data() + kernel;  // then the memory activations m
      return attention ? std::pair{a, used} : std::pair{a + att_.heads() * c_ * L, S};
    };
    if (entropy) sample_entropy(L, rows_of, out, att_.heads());
    else if (attention) sample_rows(c_, L, rows_of, out, att_.heads());
    else sample_rows(S, L, rows_of, out);
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
    mem_.add_weights(w);
    return w;
  }

  // Training (ransim/differentiable.hpp): W_q, W_k, W_v, W_o (then b_q, b_k, b_v, b_o with
  // bias = true), then the store's keys, values and biases; the working memory is the tick
  // state, as in cortex_qkv.
  Differentiable* differentiable() override { return this; }
  std::vector<TrainableWeight> trainable_weights() override {
    att_.require_backward("attention_block", name_);
    auto w = att_.trainable_weights();
    for (auto& m : mem_.trainable_weights()) w.push_back(m);
    return w;
  }
  void weights_changed() override {
    att_.weights_changed();
    mem_.weights_changed();
  }
  std::size_t tick_state_size() const override { return window_.state_vars(); }
  void save_tick_state(Block out) const override { window_.save(out.data); }
  void load_tick_state(ConstBlock in) override { window_.load(in.data); }

  // Per unit: o (the attention read) again; back through the relaxation, the memory read on o
  // with its residual (g_o = g_r + the read's cotangent of its input), then the attention.
  void derivative_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_dxdt, Block g_x, Block g_drive,
                      Block g_tick, WeightGradients& g_weights) const override {
    att_.require_backward("attention_block", name_);
    const std::size_t L = x.lanes, slab = D_ * L;
    std::vector<double> scratch(std::max(att_.scratch_size(L), mem_.scratch_size(L))),
        a(att_.heads() * c_ * L), m(mem_.slots() * L), o(slab), r(slab), g_r(slab);
    std::vector<const double*> Z(c_);
    std::vector<double*> g_rows(c_);
    for (std::size_t u = 0; u < U_; ++u) {
      const double* z = drive.data + u * slab;
      const std::size_t n = window_.rows(u, z, Z.data());
      att_.attend(u, z, Z.data(), n, o.data(), a.data(), scratch.data(), L);
      r = o;
      mem_.read(u, o.data(), r.data(), true, m.data(), scratch.data(), L);
      relax_vjp(r.data(), g_dxdt.data + u * slab, g_x.data + u * slab, g_r.data(), slab);
      std::vector<double> g_o = g_r;
      mem_.read_vjp(u, o.data(), g_r.data(), g_o.data(), g_weights, att_.trainable_count(), L);
      for (std::size_t i = 0; i + 1 < n; ++i) g_rows[i] = window_.past_cotangent(g_tick.data, u, i);
      double* g_z = g_drive.data + u * slab;
      g_rows[n - 1] = g_z;
      att_.attend_vjp(u, z, Z.data(), n, g_o.data(), g_z, g_rows.data(), g_weights, 0, L);
    }
  }

  void tick_vjp(ConstBlock, ConstBlock, ConstBlock g_after, Block, Block g_drive, Block g_before,
                WeightGradients&) const override {
    window_.push_vjp(g_after.data, g_drive.data, g_before.data);
  }

 private:
  // Unit u: r (D x L) = o + V^T f(K o + b) with o the attention read. Scratch layout: kernel
  // scratch, then the attention weights (heads x c x L), then the memory activations (S x L).
  // Returns the number of window rows used. Flattened, as cortex_qkv's unit(): every kernel
  // inlined here.
  [[gnu::flatten]] std::size_t unit(std::size_t u, ConstBlock drive, double* r, double* scratch,
                                    const double** ptrs, std::size_t L) const {
    const std::size_t slab = D_ * L;
    double* a = scratch + std::max(att_.scratch_size(L), mem_.scratch_size(L));
    double* m = a + att_.heads() * c_ * L;
    const std::size_t used = window_.rows(u, drive.data + u * slab, ptrs);
    att_.attend(u, drive.data + u * slab, ptrs, used, r, a, scratch, L);
    mem_.read(u, r, r, true, m, scratch, L);  // r = o + sum_s m_s v_s
    return used;
  }

  std::string name_;
  std::size_t c_;
  attn::Attention att_;
  attn::KeyValueMemory mem_;
  attn::TokenWindow window_;
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "attention_block";
  info.description =
      "transformer block as one unit: o = W_o V^T softmax(K q / (sqrt(D) T)) over the token working "
      "memory, r = o + sum_s f(k_s . o + b_s) v_s, tau dh/dt = -h + tanh(r)";
  info.params = attn::concat(attn::concat(attn::unit_specs(), attn::attention_specs()), attn::memory_specs());
  for (auto& p : info.params)
    if (p.name == "shared_weights")
      p.description =
          "one set of attention matrices (W_q, W_k, W_v, W_o) for the whole population "
          "instead of one per unit (the memory store: shared_store)";
  info.colour = attn::kCortexColour;
  info.layout = {.state = {attn::unit_state()},
                 .derived = {attn::attention_map(), attn::memory_map(), attn::attention_entropy()}};
  info.create = [](const PopulationContext& c) { return std::make_unique<AttentionBlock>(c); };
  info.memory_bytes = [](const Params& p, std::size_t L, std::size_t) {
    return attn::attention_memory_bytes(p, L, true, true);
  };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
