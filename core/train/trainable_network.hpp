#pragma once
// A Network seen by a trainer (docs/training.md): its trainable parameters as one flat vector,
// and the vector-Jacobian products of the two things the engine does in a token, the tick and
// dx/dt, assembled from the populations' backward passes (ransim/differentiable.hpp) and the
// projections' (Projection::apply_vjp).
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "ransim/differentiable.hpp"

namespace ransim {

class TrainableNetwork {
 public:
  // `trainable` names what trains: "POP.WEIGHT" (one weight of a population), "POP" (all of
  // its trainable weights) or a sparse projection's name (its nonzero values; the sparsity is
  // kept). Every population must have a backward pass, since gradients flow through all of
  // them. Throws InputError naming an unknown or untrainable entry, or a population whose model
  // cannot be trained through.
  TrainableNetwork(Network& net, const std::vector<std::string>& trainable);

  Network& network() { return net_; }
  // The selected parameters: names ("res.bias", "res_to_res") and sizes, in the flat order.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::size_t>& sizes() const { return sizes_; }
  std::size_t size() const { return total_; }
  std::vector<double> values() const;
  // Installs new values (the models rebuild what derives from them).
  void set_values(const std::vector<double>& values);

  // The populations' tick state (Differentiable::tick_state_size), per lane, in network order.
  std::size_t tick_state_size() const { return tick_total_; }
  void save_tick_state(double* out) const;  // tick_state_size() x lanes
  void load_tick_state(const double* in);

  // Gradient accumulators of the selected parameters, flat; zeroed by zero_gradient().
  void zero_gradient();
  std::vector<double> gradient() const;

  // Backward pass of Network::derivative at state x and input u (the tick state as loaded):
  // adds into g_x (global state), g_tick and the parameters' gradient.
  void derivative_vjp(const double* x, const double* u, const double* g_dxdt, double* g_x, double* g_tick);
  // Backward pass of Network::tick at (x, u), with the tick state before the tick loaded:
  // g_after (tick state after) -> adds into g_x, g_before and the parameters' gradient.
  void tick_vjp(const double* x, const double* u, const double* g_after, double* g_x, double* g_before);
  // Backward pass of population `pop`'s recordable `name` (Differentiable::sample_vjp) at state x
  // and input u: g_out (lane-major, as sample() writes it) -> adds into g_x and the parameters'
  // gradient. Throws InputError when the model has no backward pass for that recordable.
  void sample_vjp(std::size_t pop, const std::string& name, const double* x, const double* u,
                  const double* g_out, double* g_x);
  // InputError unless sample_vjp can run for (pop, name); `what` names the asker in the message.
  void require_sample_vjp(std::size_t pop, const std::string& name, const std::string& what) const;

 private:
  struct PopulationPart {
    Differentiable* model = nullptr;
    std::vector<TrainableWeight> weights;
    WeightGradients gradients;
    std::vector<bool> selected;
    std::size_t tick_offset = 0, tick_size = 0;
  };
  struct ProjectionPart {
    bool selected = false;
    std::vector<double> gradient;
  };
  // Drive cotangents back through the projections into g_x (and selected projections' values).
  void projections_vjp(const double* x, const double* u, double* g_x);

  Network& net_;
  std::vector<PopulationPart> pops_;
  std::vector<ProjectionPart> projs_;
  std::vector<LaneVector<double>> g_drive_;  // per population: input_size x lanes
  std::vector<std::string> names_;
  std::vector<std::size_t> sizes_;
  std::size_t total_ = 0, tick_total_ = 0;
};

// The weights a user may replace by name, whatever the other populations' models: "POP.WEIGHT"
// for a population's trainable weight, a sparse projection's name for its matrix (its zeros
// must stay zeros: the sparsity is fixed).
std::vector<std::string> settable_weights(Network& net);
// Replaces one of them; throws InputError naming the weight, the expected shape or the entry
// outside the sparsity. Takes effect from the next derivative or tick.
void set_weight(Network& net, const std::string& name, const arma::mat& value);

}  // namespace ransim
