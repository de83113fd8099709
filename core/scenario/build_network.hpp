#pragma once
// From a validated Scenario to a Network: populations from the registry, projections drawn
// from their own random streams.
#include <memory>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

// Builds the network a scenario describes, for inputs of `input_size` values per token.
std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size);

}  // namespace ransim
