#pragma once
// Episode tasks: episodes run B at a time (one per lane) from the initial state, on a copy
// of the network per thread, their features streamed into the ridge statistics in order.
#include "run/run.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

RunResult run_episodes(const Scenario& sc, const RunOptions& opts);

}  // namespace ransim
