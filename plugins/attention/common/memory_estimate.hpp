#pragma once
// What an attention-family population takes (PopulationInfo::memory_bytes), from its
// parameters alone, so that the run's memory check can refuse a model too large to build.
#include <cstddef>

#include <ransim/params.hpp>

namespace ransim::attn {

// U units of D values: state, integrator stages and drive per lane; with `attention` the
// four D x D matrices per unit (or one shared set), the working memory of c rows and the
// scratch per lane, and the presynaptic lists (k per unit); with `memory` the key-value store
// of S slots (keys, values, biases) per unit or shared, and the activations per lane.
inline double attention_memory_bytes(const Params& p, std::size_t lanes, bool attention, bool memory) {
  const double U = static_cast<double>(p.integer("units")), D = static_cast<double>(p.integer("dim"));
  const double L = static_cast<double>(lanes), matrices = p.boolean("shared_weights") ? 1.0 : U;
  double values = 12 * U * D * L;
  if (attention) {
    const double c = static_cast<double>(p.integer("context"));
    values += matrices * 4 * D * D + U * (c * D + c + 4 * D) * L;
    if (p.has("k")) values += U * static_cast<double>(p.integer("k")) / 2;  // 4-byte indices
  }
  if (memory) {
    const double S = static_cast<double>(p.integer("slots"));
    const double stores = p.boolean("shared_store") || p.boolean("shared_weights") ? 1.0 : U;
    values += stores * S * (2 * D + 1) + U * S * L;
  }
  return 8 * values;
}

}  // namespace ransim::attn
