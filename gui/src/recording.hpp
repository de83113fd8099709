#pragma once
// Replay: a recording written by `ransim run --out` or the GUI's Record toggle
// (docs/file-format.md), read whole into memory and served as frames, one per recorded
// token, in the same shape the live simulation publishes. The file is read through core's
// HDF5 reader at the paths io/layout.hpp names.
// Threading: build and use on one thread (the GUI thread).
#include <string>
#include <vector>

#include "frame.hpp"
#include "scenario/scenario.hpp"

namespace ransim {
class Hdf5File;
}

namespace ransim::gui {

class Recording {
 public:
  // Reads the file; throws InputError naming the file and what is missing or wrong.
  // `session` tags the frames (FrameHistory keeps frames of one session).
  explicit Recording(const std::string& path, std::uint64_t session = 0);

  const NetworkDesc& network() const { return net_; }
  const std::string& path() const { return path_; }
  bool complete() const { return complete_; }
  const std::string& status() const { return status_; }
  // Recorded states: tokens done first_token() .. first_token() + size() - 1.
  std::size_t size() const { return count_; }
  std::size_t first_token() const { return first_; }
  // The frame after token first_token() + i.
  Frame frame(std::size_t i) const;
  // Notes about what could not be reconstructed (e.g. the scenario did not parse).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  struct Series {
    std::size_t first = 0;           // tokens done at sample 0
    std::size_t count = 0;           // samples
    std::size_t lanes = 1, per = 0;  // values per lane
    std::vector<double> values;
    const double* lane0(std::size_t token) const;  // nullptr outside the series
  };
  // The steps of reading a file, in order.
  void read_root(const Hdf5File& f);
  bool read_scenario(const Hdf5File& f, Scenario& sc);  // false if absent or unparsable
  void read_populations(const Hdf5File& f, const Scenario* sc);
  void read_states(const Hdf5File& f);
  void read_projections(const Hdf5File& f);
  void read_readout_series(const Hdf5File& f);
  void compute_running_nrmse();
  Series read_series(const Hdf5File& f, const std::string& group, bool input_axis) const;

  std::string path_, status_;
  bool complete_ = false;
  NetworkDesc net_;
  std::size_t first_ = 0, count_ = 0;
  std::vector<Series> state_, attention_, memory_;  // per population (empty series if absent)
  Series input_, target_, output_;
  std::vector<double> nrmse_;  // running NRMSE per token done (NaN before)
  std::vector<std::size_t> nrmse_n_;
  std::vector<std::string> notes_;
};

}  // namespace ransim::gui
