#pragma once
// `ransim train`: a scenario's units and a linear readout trained together by truncated
// backpropagation through the simulated dynamics, Adam, early stopping on validation data
// (docs/training.md).
//
// Data: stream tasks. Epoch e runs `train.batches` mini-batches, each `train.batch` fresh
// sequences of the task (drawn from the stream (train.seed, e) for the first, (train.seed, e,
// i) for mini-batch i > 0, one sequence per lane) through warm-up, then through the task's
// training tokens in windows of `train.window` tokens, one gradient step per window, the state
// carried from window to window. The readout reads states or recordables (readout.from). The validation loss
// is measured after each epoch on the training tokens of one more batch drawn from (train.seed) and never
// trained on; the epoch with the lowest validation loss is kept. The scenario's own data (its seed's task
// stream, whose test tokens `ransim run` scores) are not used here at all.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <armadillo>

#include "scenario/scenario.hpp"

namespace ransim {

struct TrainProgress {
  std::size_t epoch = 0, epochs = 0;  // epoch counts from 1
  double train_loss = 0, validation_loss = 0;
  bool best = false;  // the lowest validation loss so far
};

// Everything needed to go on from the end of an epoch (and what a finished training returns).
struct TrainState {
  std::vector<std::string> trainable;  // the network's trained weights, flat order (TrainableNetwork)
  std::vector<double> values;          // their current values
  arma::mat readout;                   // outputs x (features + 1), the last column the bias
  std::vector<double> adam_m, adam_v;  // Adam's moments over [values, readout]
  std::size_t adam_steps = 0;
  std::vector<double> train_loss, validation_loss;  // per epoch done
  std::vector<double> best_values;
  arma::mat best_readout;
  std::size_t best_epoch = 0;  // 1-based; 0: none yet
  // The validation targets' variance over tokens and lanes, averaged over outputs: an mse
  // validation loss divided by it is the loss relative to the targets' (set by run()).
  double validation_target_variance = 0;
};

enum class TrainEnd { Epochs, EarlyStopping, Interrupted };
std::string to_string(TrainEnd end);

class Trainer {
 public:
  // Builds the batch network and checks that it can be trained (InputError otherwise).
  explicit Trainer(const Scenario& sc);
  ~Trainer();

  // Runs the remaining epochs from `state` (empty: from the scenario's weights); after each,
  // calls `progress` and `checkpoint`. A raised stop flag ends after the current window.
  TrainEnd run(TrainState& state, const std::function<void(const TrainProgress&)>& progress,
               const std::function<void(const TrainState&)>& checkpoint, const std::atomic<int>* stop);

  // The network as trained so far (its weights are the state's best values after run()).
  const class Network& network() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ransim
