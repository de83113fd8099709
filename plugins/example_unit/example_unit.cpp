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
//
// The registration at the end declares the model's layout: its parameters, its state and
// the variables it derives (here the relaxation target gain * drive), with how the GUI
// shows them. The model reads its parameters once, into a typed struct.
#include <ransim/plugin.hpp>
#include <ransim/thread_pool.hpp>

namespace {

// The parameters, read once from the validated values (the specs are in register_models).
struct Parameters {
  std::size_t size;
  double tau;   // s
  double gain;  // 1

  explicit Parameters(const ransim::Params& p)
      : size(static_cast<std::size_t>(p.integer("size"))), tau(p.real("tau")), gain(p.real("gain")) {}
};

class ExampleUnit : public ransim::Population {
 public:
  explicit ExampleUnit(const ransim::PopulationContext& c) : p_(c.params), inv_tau_(1.0 / p_.tau) {}

  std::size_t state_size() const override { return p_.size; }
  std::size_t input_size() const override { return p_.size; }
  std::size_t units() const override { return p_.size; }

  void derivative(ransim::ConstBlock x, ransim::ConstBlock drive, ransim::Block dxdt, double /*t*/,
                  ransim::ThreadPool& /*pool*/) const override {
    // The whole block is contiguous, so one flat loop covers every unit and lane.
    for (std::size_t i = 0; i < x.size(); ++i)
      dxdt.data[i] = (p_.gain * drive.data[i] - x.data[i]) * inv_tau_;
  }

  // The state (from the base class), then the derived variable the layout declares.
  std::vector<ransim::Recordable> recordables() const override {
    auto r = Population::recordables();
    r.push_back({.name = "target",
                 .unit = "1",
                 .description = "relaxation target gain * drive (where the state is heading)",
                 .shape = {p_.size},
                 .needs_drive = true});
    return r;
  }

  void sample(const std::string& name, ransim::ConstBlock x, ransim::ConstBlock drive,
              std::vector<double>& out) const override {
    if (name != "target") return Population::sample(name, x, drive, out);
    for (std::size_t b = 0; b < drive.lanes; ++b)  // lane-major, as recordings store it
      for (std::size_t v = 0; v < drive.vars; ++v) out.push_back(p_.gain * drive(v, b));
  }

 private:
  Parameters p_;
  double inv_tau_;
};

void register_models(ransim::Registry& r) {
  namespace param = ransim::param;
  ransim::PopulationInfo info;
  info.kind = "example_unit";
  info.description = "template plugin: linear relaxation tau dx/dt = -x + gain * drive";
  info.params = {
      param::integer("size").range(1, 1e8).defaults_to(10).describe("number of units"),
      param::real("tau").unit("s").greater_than(0).defaults_to(1.0).describe("time constant"),
      param::real("gain").defaults_to(1.0).describe("input gain"),
  };
  // The layout: state integrated by the engine, variables derived from it and the drive.
  info.layout.state = {{.name = "state", .axes = {"units"}, .description = "unit state x"}};
  info.layout.derived = {{.name = "target",
                          .axes = {"units"},
                          .description = "relaxation target gain * drive",
                          .display = {.view = ransim::ViewKind::Heatmap}}};
  info.colour = "#8c613c";  // brown in the GUI's network graph
  info.create = [](const ransim::PopulationContext& c) { return std::make_unique<ExampleUnit>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
