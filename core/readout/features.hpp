#pragma once
// What the readout sees: the chosen populations' states or recordables (scenario
// `readout.from`: "POP" for a population's state, "POP.RECORDABLE" for one of its recordables,
// e.g. "student.output"; empty: every population's state), in network order (a population's
// entries in the order given), then the input if `readout.include_input` is set. One selection
// serves the token-by-token session, the episode runner and the trainer, and names the blocks
// in the recording (/network/readout/features).
#include <cstddef>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

class FeatureSelection {
 public:
  // One block of features: a population's state, or a recordable computed by Population::sample.
  struct Entry {
    std::size_t population = 0;
    std::string recordable;  // "state": the state itself
    std::size_t size = 0;    // per lane
    bool state() const { return recordable == "state"; }
  };

  FeatureSelection() = default;  // no features
  // Throws InputError naming a readout.from entry whose recordable does not exist or reads the
  // drive (which the readout does not compute).
  FeatureSelection(const Scenario& sc, const Network& net, std::size_t input_dim);

  // Features per lane and snapshot.
  std::size_t size() const { return size_; }
  const std::vector<Entry>& entries() const { return entries_; }
  bool with_input() const { return with_input_; }
  // The blocks in order, separated by single spaces, e.g. "res.state student.output input".
  std::string names(const Network& net) const;

  // Writes lane `lane`'s features of global state `x` and input `u` (input_dim x lanes, lanes
  // fastest) to `out`; returns the end of what it wrote. A recordable is sampled for every
  // lane at each call; copy_all() samples it once for all lanes.
  double* copy(const Network& net, const double* x, const double* u, std::size_t lane, double* out) const;
  // Every lane's features: column b of `out` (size() x lanes, column-major) is lane b's.
  void copy_all(const Network& net, const double* x, const double* u, double* out) const;

 private:
  std::vector<Entry> entries_;
  bool with_input_ = false;
  std::size_t input_dim_ = 0, size_ = 0;
  mutable std::vector<double> sampled_;  // scratch of copy()
};

}  // namespace ransim
