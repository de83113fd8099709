#pragma once
// From a validated Scenario to a Network: populations from the registry, projections drawn
// from their own random streams.
#include <memory>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

// Builds the network a scenario describes, for inputs of `input_size` values per token.
// With readout.kind = "force", `feedback_size` more values follow the input: the readout's
// output, projected into readout.feedback_to by the projection "feedback" (source "feedback",
// weights U(-1, 1) * feedback_scale at feedback_density, drawn from "projection.feedback").
std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size,
                                       std::size_t feedback_size = 0);

// The network's state variables per lane (Network::state_size()), from the populations alone:
// no projection is drawn (a budget check before a comparison runs).
std::size_t network_state_size(const Scenario& sc);

}  // namespace ransim
