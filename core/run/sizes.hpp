#pragma once
// What a run costs and trains, known before it runs (budgets of `ransim compare`,
// docs/compare.md "Budgets").
#include <cstddef>

#include "scenario/scenario.hpp"

namespace ransim {

struct RunSizes {
  std::size_t state = 0;            // state variables per lane
  std::size_t fixed_weights = 0;    // projection and population weights (only if asked for)
  std::size_t trained_weights = 0;  // the ridge readout: (features + 1) x outputs
  // The recurrent attention network's parameter count when its units are trained, as the seed
  // counts it: P = 11 D^2 U + 8 D U per population of attention units (cortex_qkv,
  // attention_block: Q, K, V and the D -> 4D -> D feed-forward, with biases) plus the trained
  // readout (U D O + O when the readout reads those units alone). 0 without attention units.
  std::size_t seed_parameters = 0;
};

// Builds the populations (and the projections when `with_fixed_weights`) and asks the task
// its shapes; simulates nothing. Throws InputError as a run would.
RunSizes run_sizes(const Scenario& sc, bool with_fixed_weights);

// The attention part of seed_parameters: 11 D^2 U + 8 D U.
inline std::size_t seed_unit_parameters(std::size_t units, std::size_t dim) {
  return 11 * dim * dim * units + 8 * dim * units;
}

}  // namespace ransim
