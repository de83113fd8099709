// hippocampus_memory: the feed-forward key-value memory unit of docs/science.md ("hippocampus").
// Equations, parameters, recordables and the discrete-time form are in README.md; the memory
// itself (KeyValueMemory) is shared with attention_block in ../common/key_value_memory.hpp.
//
//   m_s = f(k_s . z + b_s)   (f = relu | gelu | softmax over the S slots)
//   phi = tanh(sum_s m_s v_s),   tau dh/dt = -h + phi
#include <ransim/differentiable.hpp>
#include <ransim/plugin.hpp>

#include "common/declared_variables.hpp"
#include "common/key_value_memory.hpp"
#include "common/memory_estimate.hpp"
#include "common/param_specs.hpp"
#include "common/unit_population.hpp"

namespace {

using namespace ransim;
using attn::UnitPopulation;

class HippocampusMemory : public UnitPopulation, public Differentiable {
 public:
  explicit HippocampusMemory(const PopulationContext& c)
      : UnitPopulation(c),
        mem_(c, U_, D_, rng_, wf_, c.params.boolean("shared_store") || c.params.boolean("shared_weights")) {}

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    allocate_scratch(mem_.scratch_size(lanes) + mem_.slots() * lanes, 0);
  }

  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double /*t*/, ThreadPool& pool) const override {
    const std::size_t L = x.lanes, slab = D_ * L;
    for_units(x, dxdt, pool, mem_.work(), [&](std::size_t u, double* scratch, const double**) {
      double* m = scratch + mem_.scratch_size(L);
      mem_.read(u, drive.data + u * slab, dxdt.data + u * slab, false, m, scratch, L);
    });
  }

  std::vector<Recordable> recordables() const override {
    return {state_recordable(),
            {"memory",
             "1",
             "memory activations m_s = f(k_s . z + b_s) per slot (which memories fire)",
             {U_, mem_.slots()},
             true}};
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name != "memory") return Population::sample(name, x, drive, out);
    const std::size_t L = x.lanes, slab = D_ * L, S = mem_.slots();
    std::vector<double> scratch(mem_.scratch_size(L)), r(slab), m(S * L);
    sample_rows(
        S, L,
        [&](std::size_t u) {
          mem_.read(u, drive.data + u * slab, r.data(), false, m.data(), scratch.data(), L);
          return std::pair{m.data(), S};
        },
        out);
  }

  std::map<std::string, arma::mat> weights() const override {
    std::map<std::string, arma::mat> w;
    add_x0(w);
    mem_.add_weights(w);
    return w;
  }

  // Training (ransim/differentiable.hpp): the store's keys, values and biases; no tick state.
  Differentiable* differentiable() override { return this; }
  std::vector<TrainableWeight> trainable_weights() override { return mem_.trainable_weights(); }
  void weights_changed() override { mem_.weights_changed(); }

  // Per unit: r = sum_s f(k_s . z + b_s) v_s again, then back through the relaxation and the read.
  void derivative_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_dxdt, Block g_x, Block g_drive, Block,
                      WeightGradients& g_weights) const override {
    const std::size_t L = x.lanes, slab = D_ * L;
    std::vector<double> scratch(mem_.scratch_size(L)), m(mem_.slots() * L), r(slab), g_r(slab);
    for (std::size_t u = 0; u < U_; ++u) {
      const double* z = drive.data + u * slab;
      mem_.read(u, z, r.data(), false, m.data(), scratch.data(), L);
      relax_vjp(r.data(), g_dxdt.data + u * slab, g_x.data + u * slab, g_r.data(), slab);
      mem_.read_vjp(u, z, g_r.data(), g_drive.data + u * slab, g_weights, 0, L);
    }
  }

 private:
  attn::KeyValueMemory mem_;
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "hippocampus_memory";
  info.description =
      "feed-forward key-value memory units (hippocampus): m_s = f(k_s . z + b_s), "
      "phi = tanh(sum_s m_s v_s), tau dh/dt = -h + phi";
  info.params = attn::concat(attn::unit_specs(), attn::memory_specs());
  for (auto& p : info.params)
    if (p.name == "shared_weights")
      p.description = "same as shared_store (the store is shared when either is true)";
  info.colour = attn::kHippocampusColour;
  info.layout = {.state = {attn::unit_state()}, .derived = {attn::memory_map()}};
  info.create = [](const PopulationContext& c) { return std::make_unique<HippocampusMemory>(c); };
  info.memory_bytes = [](const Params& p, std::size_t L, std::size_t) {
    return attn::attention_memory_bytes(p, L, false, true);
  };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
