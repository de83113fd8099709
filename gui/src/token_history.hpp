#pragma once
// Every token of the shown variables, not only the decimated frames: the simulation thread
// collects lane 0 of each shown variable after every token into TokenChunks and hands them
// over through a TokenChannel (never dropped); the GUI keeps them in a TokenHistory, bounded
// by kTokenBudgetValues values (docs/gui.md), and the time views draw from it, binned to
// their pixel columns. Plain C++, no Qt.
//
// Threading: TokenChannel may be used from any thread; TokenChunk is built on one thread
// and immutable once pushed; TokenHistory belongs to the GUI thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "frame.hpp"
#include "view_data.hpp"

namespace ransim::gui {

// The readout's series are tracks of this pseudo population.
inline constexpr int kReadoutTrack = -1;

// Rows of one variable, one per token: (population, variable) names it; the readout's are
// (kReadoutTrack, "target") and (kReadoutTrack, "prediction").
struct TrackRows {
  int pop = 0;
  std::string variable;
  std::size_t width = 0;
  std::vector<std::size_t> tokens;  // tokens done, one per row
  std::vector<double> values;       // tokens.size() x width, row-major
  void add(std::size_t token, const double* row) {
    tokens.push_back(token);
    values.insert(values.end(), row, row + width);
  }
};

struct TokenChunk {
  std::uint64_t session = 0;
  std::vector<TrackRows> tracks;
  bool empty() const;
};
using TokenChunkPtr = std::shared_ptr<const TokenChunk>;

// The hand-over of chunks: the producer appends, the consumer takes everything. Nothing is
// dropped here; the GUI's TokenHistory is what is bounded.
class TokenChannel {
 public:
  void push(TokenChunkPtr c);
  std::vector<TokenChunkPtr> take();
  void clear();

 private:
  std::mutex m_;
  std::vector<TokenChunkPtr> chunks_;
};

// One variable's last `capacity` rows (a ring), oldest first.
class Track {
 public:
  Track(int pop, std::string variable, std::size_t width, std::size_t capacity);
  void push(std::size_t token, const double* row);
  int pop() const { return pop_; }
  const std::string& variable() const { return variable_; }
  std::size_t width() const { return width_; }
  std::size_t size() const { return count_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return count_ == 0; }
  std::size_t token(std::size_t i) const { return tokens_[slot(i)]; }
  const double* row(std::size_t i) const { return values_.data() + slot(i) * width_; }
  double value(std::size_t i, std::size_t entry) const { return row(i)[entry]; }
  // Index of the first row with token >= t (size() when none).
  std::size_t lower_bound(std::size_t t) const;

 private:
  std::size_t slot(std::size_t i) const { return (head_ + i) % capacity_; }
  int pop_;
  std::string variable_;
  std::size_t width_, capacity_;
  std::size_t head_ = 0, count_ = 0;  // oldest row's slot, rows held
  std::vector<std::size_t> tokens_;
  std::vector<double> values_;
};

// The whole history is bounded by this many values (8 bytes each: 256 MiB), shared out
// among the tracks in proportion to their width, and by kMaxTokens tokens.
inline constexpr std::size_t kTokenBudgetValues = std::size_t(1) << 25;
inline constexpr std::size_t kMaxTokens = 1000000;

class TokenHistory {
 public:
  // Starts over for a network: `values_per_token` (the widths of every track it will
  // hold) sets how many tokens fit: min(kMaxTokens, kTokenBudgetValues / values_per_token).
  void reset(std::uint64_t session, std::size_t values_per_token);
  std::size_t token_capacity() const { return capacity_; }
  std::uint64_t session() const { return session_; }
  // Adds the rows of a chunk of this session (others are ignored). Returns rows added.
  std::size_t append(const TokenChunk& c);
  // Adds one row per variable present in a frame (replay; frames of other sessions ignored).
  bool append(const Frame& f);
  const Track* find(int pop, const std::string& variable) const;
  // Token range held over every track ([0, 0] when empty).
  std::size_t first_token() const;
  std::size_t last_token() const;
  bool empty() const;
  std::uint64_t generation() const { return generation_; }  // bumped by reset()
  std::uint64_t appended() const { return appended_; }      // rows added since reset()

 private:
  Track& track(int pop, const std::string& variable, std::size_t width);
  std::deque<Track> tracks_;
  std::uint64_t session_ = 0, generation_ = 0, appended_ = 0;
  std::size_t capacity_ = 1;
};

// Everything the worker publishes for a population (the state and each sampled variable)
// and the readout: the values a token adds to the history (TokenHistory::reset).
std::size_t values_per_token(const NetworkDesc& net);

// Pixel columns over the token axis [x0, x1], drawn across `pixels` pixels that start
// `offset` pixels into the first column (a plot area rarely starts on a whole pixel):
// token t falls in column floor(offset + (t - x0) * pixels / (x1 - x0)). A chart passes its
// axis range and plot area, so these are its device pixel columns; a heatmap passes
// [t0, t1 + 1] and offset 0, so each column covers the same number of tokens.
struct Columns {
  double x0 = 0, x1 = 1;
  std::size_t columns = 1;
  double offset = 0, pixels = 1;
  static Columns even(double x0, double x1, std::size_t columns);  // offset 0, pixels = columns
  std::size_t of(double token) const;
  double centre(std::size_t c) const;  // the token axis at the middle of column c
};

// Entry `entry` of a track over [x0, x1] as (token, value) points: every token when there
// are no more than columns, else the envelope: per non-empty column its minimum and maximum,
// at the column's centre, in the order they occur (so the line joins columns as the data
// does). Non-finite values are skipped.
std::vector<std::pair<double, double>> envelope(const Track& t, std::size_t entry, const Columns& cols);
// A track's entries [first, first + rows) over [x0, x1] binned to columns: rows x columns,
// each cell the mean of the tokens in that column; a column without tokens repeats the one
// before it (NaN before the first token).
Matrix binned(const Track& t, std::size_t first, std::size_t rows, const Columns& cols);
// Columns over [t0, t1 + 1]: min(tokens held in [t0, t1], max_columns) of them, so one
// column per token when they fit.
Columns columns_for(const Track& t, std::size_t t0, std::size_t t1, std::size_t max_columns);

}  // namespace ransim::gui
