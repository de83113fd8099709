#pragma once
// What an attention-family population takes (PopulationInfo::memory_bytes), from its
// parameters alone, so that the run's memory check can refuse a model too large to build.
#include <cstddef>

#include <ransim/params.hpp>

namespace ransim::attn {

// U units of D values: state, integrator stages and drive per lane; with `attention` the
// four D x D matrices per unit (or one shared set) and their two fused products, the biases
// and the feed-forward (D x 4D twice) when asked for, the working memory of c rows, the
// weights of h heads over them and the scratch per lane, and the presynaptic lists (k per
// unit); with `memory` the key-value store of S slots (keys, values, biases) per unit or
// shared, and the activations per lane.
inline double attention_memory_bytes(const Params& p, std::size_t lanes, bool attention, bool memory) {
  const double U = static_cast<double>(p.integer("units")), D = static_cast<double>(p.integer("dim"));
  const double L = static_cast<double>(lanes), matrices = p.boolean("shared_weights") ? 1.0 : U;
  double values = 12 * U * D * L;
  if (attention) {
    const double c = static_cast<double>(p.integer("context"));
    const double h = p.has("heads") ? static_cast<double>(p.integer("heads")) : 1.0;
    const bool ff = p.has("feed_forward") && p.boolean("feed_forward");
    const bool bias = p.has("bias") && p.boolean("bias");
    values += matrices * (6 * D * D + (ff ? 8 * D * D : 0) + (bias ? 4 * D + (ff ? 5 * D : 0) : 0));
    values += U * (c * D + h * c + 4 * D + (ff ? 5 * D : 0)) * L;
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
