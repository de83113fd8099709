#pragma once
// The optional part of a population model that lets ransim train it (docs/training.md):
// vector-Jacobian products of what the engine calls during a token, so that gradients flow
// back through the simulated dynamics exactly as they ran (every Euler or RK4 stage).
//
// A model that can be trained returns itself from Population::differentiable(); one that
// does not can still be simulated, and `ransim train` names it when asked to train through it.
//
// Conventions: every gradient output is ADDED to (+=), never overwritten, so that the trainer
// can sum the contributions of stages, tokens and lanes. Blocks are lanes fastest, like the
// state. Weight gradients are summed over lanes.
#include <stdexcept>
#include <string>
#include <vector>

#include <armadillo>

#include "ransim/lanes.hpp"

namespace ransim {

// A weight the trainer may change: the population's own matrix, which it updates in place
// (then calls weights_changed()). `name` is the key used in recordings and `trainable = [..]`.
struct TrainableWeight {
  std::string name;
  arma::mat* value = nullptr;
};

// Gradients of the trainable weights, one matrix per TrainableWeight, in the same order and
// shapes as trainable_weights() lists them.
using WeightGradients = std::vector<arma::mat>;

class Differentiable {
 public:
  virtual ~Differentiable() = default;

  // Every weight the model can train (a scenario's `train.trainable` picks among them).
  virtual std::vector<TrainableWeight> trainable_weights() = 0;
  // The trainer changed weights in place: rebuild anything derived from them.
  virtual void weights_changed() {}

  // State outside the integrated block that derivative() reads and on_tick() writes (a token
  // window, held increments), per lane: the trainer saves it before each tick and restores it
  // to differentiate that token. 0: the model keeps nothing between calls.
  virtual std::size_t tick_state_size() const { return 0; }
  virtual void save_tick_state(Block /*out*/) const {}
  virtual void load_tick_state(ConstBlock /*in*/) {}

  // Of derivative(x, drive) with the tick state as loaded: given g_dxdt, the cotangent of
  // dx/dt, add its products into g_x (state), g_drive (input slots), g_tick (tick state) and
  // g_weights (summed over lanes).
  virtual void derivative_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_dxdt, Block g_x, Block g_drive,
                              Block g_tick, WeightGradients& g_weights) const = 0;
  // Of on_tick(x, drive), with the tick state before the tick loaded: given g_after, the
  // cotangent of the tick state after the tick, add into g_x, g_drive, g_before (the tick
  // state before the tick) and g_weights. Only called when the model uses ticks.
  virtual void tick_vjp(ConstBlock /*x*/, ConstBlock /*drive*/, ConstBlock /*g_after*/, Block /*g_x*/,
                        Block /*g_drive*/, Block /*g_before*/, WeightGradients& /*g_weights*/) const {}

  // Recordables a loss may read (a readout `from = "POP.RECORDABLE"`): the ones sample_vjp
  // differentiates. "state" needs none (the trainer reads the state itself).
  virtual bool has_sample_vjp(const std::string& /*name*/) const { return false; }
  // Of sample(name, x, drive): given g_out, the cotangent of what sample() appends (lane-major,
  // [lanes, shape...]), add into g_x, g_drive and g_weights. Only called for names that
  // has_sample_vjp() accepts.
  virtual void sample_vjp(const std::string& name, ConstBlock /*x*/, ConstBlock /*drive*/,
                          const double* /*g_out*/, Block /*g_x*/, Block /*g_drive*/,
                          WeightGradients& /*g_weights*/) const {
    throw std::logic_error("Differentiable::sample_vjp: no backward pass for the recordable '" + name + "'");
  }
};

}  // namespace ransim
