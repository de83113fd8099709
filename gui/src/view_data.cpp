#include "view_data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ransim::gui {

void FrameHistory::reset(std::uint64_t session) {
  frames_.clear();
  session_ = session;
  appended_ = 0;
  ++generation_;
}

bool FrameHistory::append(FramePtr f) {
  if (!f || f->session != session_) return false;
  frames_.push_back(std::move(f));
  ++appended_;
  while (frames_.size() > capacity_) frames_.pop_front();
  return true;
}

std::size_t FrameHistory::append(const std::vector<FramePtr>& frames) {
  std::size_t n = 0;
  for (auto& f : frames) n += append(f) ? 1 : 0;
  return n;
}

void FrameHistory::set_capacity(std::size_t n) {
  capacity_ = n ? n : 1;
  while (frames_.size() > capacity_) frames_.pop_front();
}

Series trace(const FrameHistory& h, std::size_t pop, std::size_t var, const std::string& variable) {
  Series s;
  s.reserve(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) {
    const Frame& f = h[i];
    if (pop >= f.pops.size()) continue;
    const auto& x = f.pops[pop].values(variable);
    if (var < x.size()) s.emplace_back(static_cast<double>(f.token), x[var]);
  }
  return s;
}

namespace {
Series readout_trace(const FrameHistory& h, std::size_t o, bool prediction) {
  Series s;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const Frame& f = h[i];
    const auto& v = prediction ? f.prediction : f.target;
    if (o < v.size()) s.emplace_back(static_cast<double>(f.token), v[o]);
  }
  return s;
}
}  // namespace

Series target_trace(const FrameHistory& h, std::size_t o) { return readout_trace(h, o, false); }
Series prediction_trace(const FrameHistory& h, std::size_t o) { return readout_trace(h, o, true); }

Matrix state_history(const FrameHistory& h, std::size_t pop, std::size_t rows, std::size_t cols,
                     const std::string& variable) {
  Matrix m(rows, cols);
  const std::size_t n = std::min(cols, h.size());
  for (std::size_t j = 0; j < n; ++j) {
    const Frame& f = h[h.size() - n + j];
    if (pop >= f.pops.size()) continue;
    const auto& x = f.pops[pop].values(variable);
    const std::size_t c = cols - n + j;
    for (std::size_t r = 0; r < rows && r < x.size(); ++r) m.at(r, c) = x[r];
  }
  return m;
}

Matrix map_history(const FrameHistory& h, std::size_t pop, const std::string& variable, std::size_t unit,
                   std::size_t per_unit, std::size_t cols) {
  Matrix m(per_unit, cols);
  const std::size_t n = std::min(cols, h.size());
  for (std::size_t j = 0; j < n; ++j) {
    const Frame& f = h[h.size() - n + j];
    if (pop >= f.pops.size()) continue;
    const auto& a = f.pops[pop].values(variable);
    if (a.size() < (unit + 1) * per_unit) continue;
    const std::size_t c = cols - n + j;
    for (std::size_t r = 0; r < per_unit; ++r) m.at(r, c) = a[unit * per_unit + r];
  }
  return m;
}

Matrix current_map(const Frame& f, std::size_t pop, const std::string& variable, std::size_t units,
                   std::size_t per_unit) {
  Matrix m(units, per_unit);
  if (pop >= f.pops.size()) return m;
  const auto& a = f.pops[pop].values(variable);
  if (a.size() < units * per_unit) return m;
  std::copy(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(units * per_unit), m.v.begin());
  return m;
}

std::vector<std::size_t> most_variable(const FrameHistory& h, std::size_t pop, std::size_t n,
                                       const std::string& variable) {
  std::vector<double> sum, sum2;
  std::size_t count = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (pop >= h[i].pops.size()) continue;
    const auto& x = h[i].pops[pop].values(variable);
    if (sum.empty()) {
      sum.assign(x.size(), 0.0);
      sum2.assign(x.size(), 0.0);
    }
    if (x.size() != sum.size()) continue;
    for (std::size_t v = 0; v < x.size(); ++v)
      if (std::isfinite(x[v])) {
        sum[v] += x[v];
        sum2[v] += x[v] * x[v];
      }
    ++count;
  }
  std::vector<std::size_t> idx(sum.size());
  for (std::size_t v = 0; v < idx.size(); ++v) idx[v] = v;
  if (count == 0) {
    idx.resize(std::min(n, idx.size()));
    return idx;
  }
  const double c = static_cast<double>(count);
  auto var = [&](std::size_t v) { return sum2[v] / c - (sum[v] / c) * (sum[v] / c); };
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return var(a) > var(b); });
  idx.resize(std::min(n, idx.size()));
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::size_t most_peaked_unit(const Frame& f, std::size_t pop, const std::string& variable, std::size_t units,
                             std::size_t per_unit) {
  if (pop >= f.pops.size()) return 0;
  const auto& a = f.pops[pop].values(variable);
  std::size_t best = 0;
  double top = -std::numeric_limits<double>::infinity();
  for (std::size_t u = 0; u < units && (u + 1) * per_unit <= a.size(); ++u)
    for (std::size_t j = 0; j < per_unit; ++j)
      if (a[u * per_unit + j] > top) {
        top = a[u * per_unit + j];
        best = u;
      }
  return best;
}

std::pair<double, double> finite_range(const Matrix& m) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double x : m.v)
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  return lo <= hi ? std::make_pair(lo, hi) : std::make_pair(0.0, 0.0);
}

std::pair<double, double> finite_range(const Series& s) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (auto& [t, x] : s)
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  return lo <= hi ? std::make_pair(lo, hi) : std::make_pair(0.0, 0.0);
}

NiceRange nice_range(double lo, double hi, int ticks) {
  NiceRange r;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return r;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    lo -= 0.5;
    hi += 0.5;
  }
  ticks = std::max(ticks, 2);
  const double raw = (hi - lo) / (ticks - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-9)) {
      step = m * mag;
      break;
    }
  r.step = step;
  r.lo = std::floor(lo / step + 1e-9) * step;
  r.hi = std::ceil(hi / step - 1e-9) * step;
  r.ticks = static_cast<int>(std::lround((r.hi - r.lo) / step)) + 1;
  // Decimals: enough for the step (2.5 needs one more than 2).
  int d = static_cast<int>(std::max(0.0, -std::floor(std::log10(step) + 1e-9)));
  if (std::abs(step / std::pow(10.0, -d) - std::round(step / std::pow(10.0, -d))) > 1e-6) ++d;
  r.decimals = std::min(d, 10);
  return r;
}

void RunningNrmse::add(double y, double yhat) {
  ++n_;
  const double d = y - mean_;
  mean_ += d / static_cast<double>(n_);
  m2_ += d * (y - mean_);
  sse_ += (y - yhat) * (y - yhat);
}

double RunningNrmse::value() const {
  if (n_ < 2 || m2_ <= 0) return std::nan("");
  return std::sqrt(sse_ / static_cast<double>(n_)) / std::sqrt(m2_ / static_cast<double>(n_));
}

}  // namespace ransim::gui
