// example_unit: the template for a population-model plugin. Copy this folder, rename it,
// and replace the model. It is a complete, working model on purpose:
//
//   tau dx/dt = -x + gain * drive          (a linear relaxation toward the summed input)
//
// What a model must provide (see ransim/population.hpp for the full contract):
//   - state_size(): variables per lane, the model's block of the global state;
//   - input_size(): input slots per lane, into which projections sum ("drive");
//   - units() / unit_dim(): how the state is shaped for recording ([units] or [units, dim]);
//   - derivative(): dx/dt for a block of lanes. Blocks are lanes-fastest: variable v of
//     lane b is at data[v * lanes + b] (ConstBlock::operator()(v, b)).
// Optional: initial_state(), uses_ticks()/on_tick() (token-clock events), recordables()
// and sample() (extra variables to record), weights() (saved with every recording).
#include <ransim/plugin.hpp>
#include <ransim/thread_pool.hpp>

namespace {

class ExampleUnit : public ransim::Population {
 public:
  explicit ExampleUnit(const ransim::PopulationContext& c)
      : n_(static_cast<std::size_t>(c.params.integer("size"))),
        inv_tau_(1.0 / c.params.real("tau")),
        gain_(c.params.real("gain")) {}

  std::size_t state_size() const override { return n_; }
  std::size_t input_size() const override { return n_; }
  std::size_t units() const override { return n_; }

  void derivative(ransim::ConstBlock x, ransim::ConstBlock drive, ransim::Block dxdt, double /*t*/,
                  ransim::ThreadPool& /*pool*/) const override {
    // The whole block is contiguous, so one flat loop covers every unit and lane.
    for (std::size_t i = 0; i < x.size(); ++i)
      dxdt.data[i] = (gain_ * drive.data[i] - x.data[i]) * inv_tau_;
  }

 private:
  std::size_t n_;
  double inv_tau_, gain_;
};

void register_models(ransim::Registry& r) {
  ransim::PopulationInfo info;
  info.kind = "example_unit";
  info.description = "template plugin: linear relaxation tau dx/dt = -x + gain * drive";
  // Parameters: name, type, default, unit, description, min, max, min exclusive.
  info.params = {
      {"size", ransim::ParamType::Integer, std::int64_t{10}, "1", "number of units", 1, 1e8},
      {"tau", ransim::ParamType::Real, 1.0, "s", "time constant", 0, ransim::kInf, true},
      {"gain", ransim::ParamType::Real, 1.0, "1", "input gain"},
  };
  info.create = [](const ransim::PopulationContext& c) { return std::make_unique<ExampleUnit>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
