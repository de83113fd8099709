#pragma once
// The part of a recording that lets anyone rebuild the run: the scenario, seed, version,
// integrator and every weight, under /general and /network (docs/file-format.md).
#include <string>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

class Recorder;

void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net);

}  // namespace ransim
