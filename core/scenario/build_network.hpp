#pragma once
// From a validated Scenario to a Network: populations from the registry, projections drawn
// from their own random streams.
#include <memory>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

// Builds the network a scenario describes, for inputs of `input_size` values per token.
std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size);

// The network's state variables per lane (Network::state_size()), from the populations alone:
// no projection is drawn (a budget check before a comparison runs).
std::size_t network_state_size(const Scenario& sc);

}  // namespace ransim
