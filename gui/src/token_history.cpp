#include "token_history.hpp"

#include <algorithm>
#include <cmath>

#include "describe.hpp"

namespace ransim::gui {

bool TokenChunk::empty() const {
  return std::all_of(tracks.begin(), tracks.end(), [](const TrackRows& t) { return t.tokens.empty(); });
}

void TokenChannel::push(TokenChunkPtr c) {
  std::lock_guard<std::mutex> lock(m_);
  chunks_.push_back(std::move(c));
}

std::vector<TokenChunkPtr> TokenChannel::take() {
  std::lock_guard<std::mutex> lock(m_);
  return std::exchange(chunks_, {});
}

void TokenChannel::clear() {
  std::lock_guard<std::mutex> lock(m_);
  chunks_.clear();
}

Track::Track(int pop, std::string variable, std::size_t width, std::size_t capacity)
    : pop_(pop),
      variable_(std::move(variable)),
      width_(width),
      capacity_(std::max<std::size_t>(capacity, 1)) {}

void Track::push(std::size_t token, const double* row) {
  // Grow until full (memory only as tokens arrive), then overwrite the oldest row.
  if (count_ < capacity_) {
    if (tokens_.size() <= count_) {
      const std::size_t n = std::min(capacity_, std::max<std::size_t>(64, 2 * tokens_.size()));
      tokens_.resize(n);
      values_.resize(n * width_);
    }
    tokens_[count_] = token;
    std::copy(row, row + width_, values_.begin() + static_cast<std::ptrdiff_t>(count_ * width_));
    ++count_;
    return;
  }
  tokens_[head_] = token;
  std::copy(row, row + width_, values_.begin() + static_cast<std::ptrdiff_t>(head_ * width_));
  head_ = (head_ + 1) % capacity_;
}

std::size_t Track::lower_bound(std::size_t t) const {
  std::size_t lo = 0, hi = count_;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (token(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

void TokenHistory::reset(std::uint64_t session, std::size_t values) {
  tracks_.clear();
  session_ = session;
  appended_ = 0;
  ++generation_;
  capacity_ =
      std::max<std::size_t>(1, std::min(kMaxTokens, kTokenBudgetValues / std::max<std::size_t>(values, 1)));
}

Track& TokenHistory::track(int pop, const std::string& variable, std::size_t width) {
  for (Track& t : tracks_)
    if (t.pop() == pop && t.variable() == variable && t.width() == width) return t;
  return tracks_.emplace_back(pop, variable, width, capacity_);
}

std::size_t TokenHistory::append(const TokenChunk& c) {
  if (c.session != session_) return 0;
  std::size_t rows = 0;
  for (const TrackRows& r : c.tracks) {
    if (r.tokens.empty() || r.width == 0) continue;
    Track& t = track(r.pop, r.variable, r.width);
    for (std::size_t i = 0; i < r.tokens.size(); ++i) t.push(r.tokens[i], r.values.data() + i * r.width);
    rows = std::max(rows, r.tokens.size());
  }
  appended_ += rows;
  return rows;
}

bool TokenHistory::append(const Frame& f) {
  if (f.session != session_) return false;
  auto add = [&](int pop, const std::string& name, const std::vector<double>& v) {
    if (!v.empty()) track(pop, name, v.size()).push(f.token, v.data());
  };
  for (std::size_t p = 0; p < f.pops.size(); ++p) {
    add(static_cast<int>(p), "state", f.pops[p].state);
    for (auto& [name, v] : f.pops[p].series) add(static_cast<int>(p), name, v);
  }
  add(kReadoutTrack, "target", f.target);
  add(kReadoutTrack, "prediction", f.prediction);
  ++appended_;
  return true;
}

const Track* TokenHistory::find(int pop, const std::string& variable) const {
  for (const Track& t : tracks_)
    if (t.pop() == pop && t.variable() == variable) return &t;
  return nullptr;
}

bool TokenHistory::empty() const {
  return std::all_of(tracks_.begin(), tracks_.end(), [](const Track& t) { return t.empty(); });
}

std::size_t TokenHistory::first_token() const {
  std::size_t lo = SIZE_MAX;
  for (const Track& t : tracks_)
    if (!t.empty()) lo = std::min(lo, t.token(0));
  return lo == SIZE_MAX ? 0 : lo;
}

std::size_t TokenHistory::last_token() const {
  std::size_t hi = 0;
  for (const Track& t : tracks_)
    if (!t.empty()) hi = std::max(hi, t.token(t.size() - 1));
  return hi;
}

std::size_t values_per_token(const NetworkDesc& net) {
  std::size_t n = 2 * net.target_dim;
  for (const PopulationDesc& p : net.populations) {
    n += p.state_size();
    for (const VariableDesc& v : p.variables)
      if (sampled_into_frames(p, v)) n += v.size();
  }
  return std::max<std::size_t>(n, 1);
}

Columns Columns::even(double x0, double x1, std::size_t columns) {
  Columns c;
  c.x0 = x0;
  c.x1 = x1;
  c.columns = std::max<std::size_t>(columns, 1);
  c.pixels = static_cast<double>(c.columns);
  return c;
}

std::size_t Columns::of(double token) const {
  const double c = std::floor(offset + (token - x0) * pixels / (x1 - x0));
  return static_cast<std::size_t>(std::clamp(c, 0.0, static_cast<double>(columns - 1)));
}

double Columns::centre(std::size_t c) const {
  return x0 + (static_cast<double>(c) + 0.5 - offset) * (x1 - x0) / pixels;
}

Columns columns_for(const Track& t, std::size_t t0, std::size_t t1, std::size_t max_columns) {
  t1 = std::max(t1, t0);
  const std::size_t n = t.lower_bound(t1 + 1) - t.lower_bound(t0);
  return Columns::even(static_cast<double>(t0), static_cast<double>(t1 + 1),
                       std::clamp<std::size_t>(n, 1, std::max<std::size_t>(max_columns, 1)));
}

namespace {
// Rows of the track with x0 <= token <= x1.
std::pair<std::size_t, std::size_t> rows_in(const Track& t, const Columns& cols) {
  const std::size_t first = static_cast<std::size_t>(std::ceil(std::max(0.0, cols.x0)));
  const double last = std::floor(cols.x1);
  if (last < 0) return {0, 0};
  return {t.lower_bound(first), t.lower_bound(static_cast<std::size_t>(last) + 1)};
}
}  // namespace

std::vector<std::pair<double, double>> envelope(const Track& t, std::size_t entry, const Columns& cols) {
  std::vector<std::pair<double, double>> out;
  if (entry >= t.width()) return out;
  const auto [begin, end] = rows_in(t, cols);
  if (end <= begin) return out;
  if (end - begin <= cols.columns) {
    out.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i)
      if (std::isfinite(t.value(i, entry)))
        out.emplace_back(static_cast<double>(t.token(i)), t.value(i, entry));
    return out;
  }
  out.reserve(2 * cols.columns);
  for (std::size_t i = begin; i < end;) {
    const std::size_t c = cols.of(static_cast<double>(t.token(i)));
    std::size_t lo_at = end, hi_at = end;
    for (; i < end && cols.of(static_cast<double>(t.token(i))) == c; ++i) {
      const double v = t.value(i, entry);
      if (!std::isfinite(v)) continue;
      if (lo_at == end || v < t.value(lo_at, entry)) lo_at = i;
      if (hi_at == end || v > t.value(hi_at, entry)) hi_at = i;
    }
    if (lo_at == end) continue;
    const double x = cols.centre(c);
    out.emplace_back(x, t.value(std::min(lo_at, hi_at), entry));
    if (lo_at != hi_at) out.emplace_back(x, t.value(std::max(lo_at, hi_at), entry));
  }
  return out;
}

Matrix binned(const Track& t, std::size_t first, std::size_t rows, const Columns& cols) {
  const std::size_t have = std::min(rows, t.width() > first ? t.width() - first : 0);
  // Sums column by column (each token adds to one column), then transposed into the matrix.
  std::vector<double> sum(cols.columns * have, 0.0);
  std::vector<std::size_t> count(cols.columns, 0);
  const auto [begin, end] = rows_in(t, cols);
  for (std::size_t i = begin; i < end; ++i) {
    const std::size_t c = cols.of(static_cast<double>(t.token(i)));
    const double* row = t.row(i) + first;
    double* acc = sum.data() + c * have;
    for (std::size_t r = 0; r < have; ++r) acc[r] += row[r];
    ++count[c];
  }
  // A column without a token of its own (a variable sampled less often than every token)
  // shows the last one before it.
  Matrix m(rows, cols.columns);
  std::size_t last = cols.columns;
  for (std::size_t c = 0; c < cols.columns; ++c) {
    if (!count[c]) {
      if (last < cols.columns)
        for (std::size_t r = 0; r < have; ++r) m.at(r, c) = m.at(r, last);
      continue;
    }
    last = c;
    const double inv = 1.0 / static_cast<double>(count[c]);
    for (std::size_t r = 0; r < have; ++r) m.at(r, c) = sum[c * have + r] * inv;
  }
  return m;
}

}  // namespace ransim::gui
