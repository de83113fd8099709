#pragma once
// Backpropagation through time over tokens as the Simulator runs them (docs/training.md).
// forward() steps the Simulator one token and keeps what the backward pass needs: the state
// and the tick state before the token, and the input. backward() redoes that token's tick and
// fixed steps (Euler or classic RK4, with the Simulator's step times) and runs them in reverse,
// so the gradient is exact for the discrete map that ran. Adaptive dopri5 is refused.
#include <vector>

#include "engine/simulator.hpp"
#include "train/trainable_network.hpp"

namespace ransim {

class TokenTape {
 public:
  // Throws InputError for an integrator that cannot be differentiated (dopri5).
  TokenTape(Simulator& sim, TrainableNetwork& net);

  // One token from the Simulator's state with input u (input_size x lanes), recorded.
  void forward(const double* u);
  std::size_t tokens() const { return tape_.size(); }
  // Backward through the last recorded token, which is then dropped: g_x (the cotangent of the
  // state after it, global state x lanes) becomes the cotangent of the state before it; g_tick
  // likewise for the tick state. Adds into the parameters' gradient.
  void backward(std::vector<double>& g_x, std::vector<double>& g_tick);
  // Drops the record (truncation); the Simulator keeps its state.
  void clear() { tape_.clear(); }
  // After backward() has consumed tokens, puts back the tick state the Simulator ran on.
  void restore_tick_state();

 private:
  struct Token {
    std::vector<double> x, tick, u;  // before the token
    double t0 = 0;
  };
  void derivative(const double* x, double* dxdt, double t, const double* u);

  Simulator& sim_;
  TrainableNetwork& net_;
  std::vector<Token> tape_;
  std::vector<double> tick_now_;  // the tick state after the last forward token
  std::vector<double> dxdt_;
};

}  // namespace ransim
