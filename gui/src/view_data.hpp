#pragma once
// The data behind the views, without widgets: the GUI-side history of frames and the
// arrays each view draws (traces, heatmaps, maps, readout). Everything here is plain C++
// and unit-tested; the widgets only turn these arrays into pixels.
//
// Threading: GUI thread (these objects are not shared with the simulation thread; frames
// are immutable and arrive through FrameRing).
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "frame.hpp"

namespace ransim::gui {

// Row-major matrix of doubles (NaN = no data).
struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> v;
  Matrix() = default;
  Matrix(std::size_t r, std::size_t c, double fill = std::nan("")) : rows(r), cols(c), v(r * c, fill) {}
  double& at(std::size_t r, std::size_t c) { return v[r * cols + c]; }
  double at(std::size_t r, std::size_t c) const { return v[r * cols + c]; }
  bool empty() const { return v.empty(); }
};

using Series = std::vector<std::pair<double, double>>;  // (token, value)

// The last `capacity` frames of one session or recording, oldest first.
class FrameHistory {
 public:
  explicit FrameHistory(std::size_t capacity = 600) : capacity_(capacity ? capacity : 1) {}
  // Starts over for another network (frames of other sessions are ignored from now on).
  void reset(std::uint64_t session);
  // Appends frames of the current session (others are skipped). Returns how many were kept.
  std::size_t append(const std::vector<FramePtr>& frames);
  bool append(FramePtr f);
  void set_capacity(std::size_t n);
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return frames_.size(); }
  bool empty() const { return frames_.empty(); }
  const Frame& operator[](std::size_t i) const { return *frames_[i]; }
  FramePtr latest() const { return frames_.empty() ? nullptr : frames_.back(); }
  std::uint64_t session() const { return session_; }
  // Counts appended frames since reset (views use it to take only what is new).
  std::uint64_t appended() const { return appended_; }
  // Bumped by every reset (views then rebuild instead of appending).
  std::uint64_t generation() const { return generation_; }

 private:
  std::deque<FramePtr> frames_;
  std::size_t capacity_;
  std::uint64_t session_ = 0, appended_ = 0, generation_ = 0;
};

// Entry `var` of variable `variable` (the state unless said) of population `pop` over the
// history, as (token, value).
Series trace(const FrameHistory& h, std::size_t pop, std::size_t var, const std::string& variable = "state");
// Target / prediction of readout output `o` over the history (frames without one skipped).
Series target_trace(const FrameHistory& h, std::size_t o);
Series prediction_trace(const FrameHistory& h, std::size_t o);
// A variable of a population (the state unless said) over the last `cols` frames: rows =
// its entries, cols = frames (oldest left; missing frames NaN).
Matrix state_history(const FrameHistory& h, std::size_t pop, std::size_t rows, std::size_t cols,
                     const std::string& variable = "state");
// One unit's row of a [units, per_unit] variable (e.g. the weights over lags of a window,
// or memory slots) over the last `cols` frames: rows = per_unit (row 0 = its first entry),
// cols = frames.
Matrix map_history(const FrameHistory& h, std::size_t pop, const std::string& variable, std::size_t unit,
                   std::size_t per_unit, std::size_t cols);
// The population's current map of `variable` (from one frame): rows = units, cols = per_unit.
Matrix current_map(const Frame& f, std::size_t pop, const std::string& variable, std::size_t units,
                   std::size_t per_unit);
// The n entries of a variable (the state unless said) of `pop` that vary most over the
// history (largest variance), in increasing index order.
std::vector<std::size_t> most_variable(const FrameHistory& h, std::size_t pop, std::size_t n,
                                       const std::string& variable = "state");
// The unit whose row of `variable` has the largest single entry in frame f.
std::size_t most_peaked_unit(const Frame& f, std::size_t pop, const std::string& variable, std::size_t units,
                             std::size_t per_unit);
// Min and max of the finite values (0, 0 when none).
std::pair<double, double> finite_range(const Matrix& m);
std::pair<double, double> finite_range(const Series& s);

// An axis range on round numbers covering [lo, hi]: ticks at multiples of step (1, 2, 2.5
// or 5 times a power of ten), about `ticks` of them, and the decimals their labels need.
struct NiceRange {
  double lo = 0, hi = 1, step = 0.25;
  int ticks = 5, decimals = 2;
};
NiceRange nice_range(double lo, double hi, int ticks = 5);

// Running NRMSE = sqrt(mean (y - yhat)^2) / std(y) (population std), updated one value at
// a time with Welford's algorithm; the same quantity as ransim::nrmse over the same values.
class RunningNrmse {
 public:
  void add(double y, double yhat);
  double value() const;  // NaN until two values with some spread
  std::size_t count() const { return n_; }
  void reset() { *this = RunningNrmse(); }

 private:
  std::size_t n_ = 0;
  double mean_ = 0, m2_ = 0, sse_ = 0;
};

}  // namespace ransim::gui
