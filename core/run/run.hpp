#pragma once
// One scenario run from start to finish: build the network, generate the task, simulate
// token by token, train the ridge readout, evaluate, record. Used by `ransim run` and the GUI.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/network.hpp"
#include "run/status.hpp"
#include "scenario/scenario.hpp"
#include "tasks/metrics.hpp"

namespace ransim {

struct Progress {
  std::size_t token = 0, total = 0;
  std::size_t steps = 0;  // integrator steps so far
  double elapsed = 0;     // s of wall time
};

struct RunOptions {
  std::string out;                         // HDF5 path; empty: the scenario's record.file (may be empty)
  std::string command_line;                // stored in the recording
  const std::atomic<int>* stop = nullptr;  // non-zero (a signal number) asks the run to stop
  std::function<void(const Progress&)> progress;  // called about every 0.2 s
};

struct RunResult {
  RunStatus status = RunStatus::Complete;
  std::string message;  // why it did not complete
  std::map<std::string, double> metrics;
  // The task's; metrics holds <name>_test (and _train, _validation when the task has a
  // validation split, and ridge_selected, the lambda chosen when readout.ridge is "auto" or a list).
  Metric metric = Metric::Nrmse;
  std::size_t tokens = 0, steps = 0, state_size = 0, lanes = 1;
  std::size_t fixed_weights = 0;    // projection and population weights (not trained)
  std::size_t readout_weights = 0;  // trained: (features + 1) x outputs
  double wall_seconds = 0;
  std::string out;  // the recording written, if any
};

RunResult run(const Scenario& sc, const RunOptions& opts = {});

}  // namespace ransim
