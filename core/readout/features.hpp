#pragma once
// What the readout sees: the chosen populations' states (scenario `readout.from`; empty: all),
// in network order, then the input if `readout.include_input` is set. One selection serves
// the token-by-token session and the episode runner, and names the blocks in the recording
// (/network/readout/features).
#include <cstddef>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

class FeatureSelection {
 public:
  FeatureSelection() = default;  // no features
  FeatureSelection(const Scenario& sc, const Network& net, std::size_t input_dim);

  // Features per lane and snapshot.
  std::size_t size() const { return size_; }
  const std::vector<std::size_t>& populations() const { return populations_; }
  bool with_input() const { return with_input_; }
  // The blocks in order, separated by single spaces, e.g. "res.state input".
  std::string names(const Network& net) const;

  // Writes lane `lane`'s features of global state `x` and input `u` (input_dim x lanes, lanes
  // fastest) to `out`; returns the end of what it wrote.
  double* copy(const Network& net, const double* x, const double* u, std::size_t lane, double* out) const {
    for (auto i : populations_) {
      const ConstBlock blk = net.block(x, i);
      for (std::size_t v = 0; v < blk.vars; ++v) *out++ = blk(v, lane);
    }
    if (with_input_)
      for (std::size_t i = 0; i < input_dim_; ++i) *out++ = u[i * net.lanes() + lane];
    return out;
  }

 private:
  std::vector<std::size_t> populations_;
  bool with_input_ = false;
  std::size_t input_dim_ = 0, size_ = 0;
};

}  // namespace ransim
