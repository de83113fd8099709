#pragma once
// The interface every population model implements, built-in or plugin (docs/architecture.md).
//
// Threading: the engine calls one population from one thread at a time; a population may
// split its own work with the ThreadPool it is given.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ransim/display.hpp"
#include "ransim/lanes.hpp"
#include "ransim/params.hpp"
#include "ransim/rng.hpp"

namespace ransim {

class ThreadPool;
class Differentiable;

// A variable that can be recorded, per lane shaped [units] or [units, dim].
struct Recordable {
  std::string name;
  std::string unit;
  std::string description;
  std::vector<std::size_t> shape;
  bool needs_drive = false;  // sample() reads the drive: the engine computes it first
  Display display = {};      // overrides the model's declared layout for this instance
  std::size_t size() const {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

// One variable of a model's declared layout, known before any instance exists: its shape
// per lane is named by axes ("units", "dim", "context", "slots"), to which an instance's
// recordables() give sizes. Declared with designated initialisers, e.g.
//   {.name = "memory", .axes = {"units", "slots"}, .description = "...",
//    .display = {.view = ViewKind::Map}}
struct VariableSpec {
  std::string name = {};
  std::vector<std::string> axes = {"units"};
  std::string unit = "1";
  std::string description = {};
  Display display = {};
};

// What a model is made of, in the spirit of NEST's Parameters_ / State_ / Variables_
// split: its parameters (PopulationInfo::params), the state it integrates (its block of
// the global state, in order) and the variables it derives from state and drive when they
// are sampled (the recordables beyond "state"). Optional: an empty layout means a state
// shaped [units] and nothing else declared.
struct ModelLayout {
  std::vector<VariableSpec> state = {};
  std::vector<VariableSpec> derived = {};
  const VariableSpec* find(const std::string& name) const;  // state first, then derived
};

class Population {
 public:
  virtual ~Population() = default;

  // Variables per lane: the population's block of the global state. Other populations
  // see this state through projections.
  virtual std::size_t state_size() const = 0;
  // Input slots per lane: the drive that projections sum into.
  virtual std::size_t input_size() const = 0;
  // Units and values per unit (state_size() == units() * unit_dim() for most models).
  virtual std::size_t units() const = 0;
  virtual std::size_t unit_dim() const { return 1; }

  // Prepare per-lane buffers (windows, scratch) for `lanes` lanes. Called before any step.
  virtual void set_lanes(std::size_t lanes) { lanes_ = lanes; }
  std::size_t lanes() const { return lanes_; }

  virtual void initial_state(Block x) const;
  // tau dx/dt = ...: fill dxdt for the block x given the summed input drive.
  virtual void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double t, ThreadPool& pool) const = 0;
  // At each token tick, after the input switched (working-memory windows push here).
  // Only called when uses_ticks() is true: the engine then computes the drive at the tick.
  virtual bool uses_ticks() const { return false; }
  virtual void on_tick(ConstBlock /*x*/, ConstBlock /*drive*/) {}

  // Recordable variables; the first is always "state".
  virtual std::vector<Recordable> recordables() const;
  // Append the values of a recordable for all lanes, lane-major ([lanes, shape...]).
  virtual void sample(const std::string& name, ConstBlock x, ConstBlock drive,
                      std::vector<double>& out) const;
  // Fixed weights (biases, unit matrices), saved with every recording.
  virtual std::map<std::string, arma::mat> weights() const { return {}; }
  // Parameters that may change while a simulation runs, applied by the engine between
  // steps (never mid-step) after validation against the model's specs (docs/architecture.md).
  virtual std::vector<std::string> live_parameters() const { return {}; }
  virtual void set_live_parameter(const std::string& name, const Value& value);

  // Bound of |state| for saturating units (tanh: 1), 0 when unbounded. The run stops with
  // a message when most of a population sits at the bound for a long stretch.
  virtual double saturation_level() const { return 0.0; }

  // The model's backward passes (ransim/differentiable.hpp), or null: it cannot be trained.
  virtual Differentiable* differentiable() { return nullptr; }

 protected:
  std::size_t lanes_ = 1;
};

// What a factory receives.
struct PopulationContext {
  std::string name;           // instance name in the scenario
  Params params;              // validated against the model's specs
  std::uint64_t seed;         // scenario seed; use make_rng(seed, "population." + name)
  double token_period = 1.0;  // s, the simulation's T (token-time models need it)
};

}  // namespace ransim
