#pragma once
// `ransim train` (docs/training.md): the part after the command line is parsed.
#include <atomic>
#include <string>

#include "scenario/scenario.hpp"

namespace ransim {

struct TrainCommandOptions {
  bool json = false, quiet = false, resume = false;
};

// Trains, writes `out` (and its checkpoints), scores untrained and trained; returns the exit code.
int train_command(const Scenario& sc, const std::string& out, const TrainCommandOptions& o,
                  const std::string& command_line, const std::atomic<int>* stop);

}  // namespace ransim
