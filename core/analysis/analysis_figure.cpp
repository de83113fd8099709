// The figure of `ransim analyze`: line plots drawn by the comparison charts' code
// (study/sweep_chart.hpp), one panel per measure the recording has data for.
#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/report.hpp"
#include "study/chart_draw.hpp"  // detail::number
#include "study/sweep_chart.hpp"

namespace ransim::analysis {

namespace {

constexpr std::size_t kMaxPoints = 400;     // a series over time is drawn as at most this many bin means
constexpr std::size_t kMaxComponents = 20;  // principal components shown
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> ticks(const std::vector<double>& x) {
  std::vector<std::string> out;
  for (const double v : x) out.push_back(detail::number(v));
  return out;
}

// A panel with one row per series over x, NaN where a series has no value.
LinePanel panel(const std::string& title, const std::string& x_label, const std::string& metric,
                const std::vector<double>& x) {
  LinePanel p;
  p.title = title, p.x_label = x_label, p.metric = metric;
  p.x_ticks = ticks(x);
  p.linear_x = true;
  return p;
}

void add_series(LinePanel& p, const std::string& name, const std::vector<double>& y) {
  p.series.push_back(name);
  std::vector<double> row(p.x_ticks.size(), kNaN);
  std::copy_n(y.begin(), std::min(y.size(), row.size()), row.begin());
  p.mean.push_back(row);
  p.stddev.push_back(std::vector<double>(p.x_ticks.size(), 0.0));
}

// Bin means of a series over samples, so a long run is drawn with kMaxPoints points.
std::vector<double> binned(const arma::vec& v, std::size_t bins) {
  std::vector<double> out(bins, 0.0);
  const std::size_t n = v.n_elem;
  for (std::size_t b = 0; b < bins; ++b) {
    const std::size_t lo = b * n / bins, hi = std::max(lo + 1, (b + 1) * n / bins);
    out[b] = arma::mean(v.subvec(lo, hi - 1));
  }
  return out;
}

// The token of each bin's first sample.
std::vector<double> bin_tokens(const RecordingAnalysis& r, std::size_t n, std::size_t bins) {
  std::vector<double> x;
  for (std::size_t b = 0; b < bins; ++b) x.push_back(static_cast<double>(r.first_token) + b * n / bins);
  return x;
}

// Entropy or slot usage over time, one series per population that has it.
template <class Get>
void time_panel(std::vector<LinePanel>& panels, const RecordingAnalysis& r, const std::string& title,
                const std::string& metric, const Get& get) {
  std::size_t n = 0;
  for (const auto& p : r.populations)
    if (const arma::vec* v = get(p)) n = std::max<std::size_t>(n, v->n_elem);
  if (n == 0) return;
  const std::size_t bins = std::min(n, kMaxPoints);
  LinePanel time = panel(title, "input token", metric, bin_tokens(r, n, bins));
  time.markers = false;
  for (const auto& p : r.populations)
    if (const arma::vec* v = get(p); v && v->n_elem == n) add_series(time, p.name, binned(*v, bins));
  panels.push_back(time);
}

}  // namespace

bool write_analysis_figure(const RecordingAnalysis& r, const std::string& png, const std::string& svg) {
  std::vector<LinePanel> panels;
  if (r.memory.available) {
    std::vector<double> delays;
    for (std::size_t d = 1; d <= r.memory.r2.n_elem; ++d) delays.push_back(static_cast<double>(d));
    LinePanel m = panel("memory curve", "delay d (tokens)", "r^2 of the output for u[k - d]", delays);
    add_series(m, "readout", arma::conv_to<std::vector<double>>::from(r.memory.r2));
    m.markers = delays.size() <= 60;
    panels.push_back(m);
  }
  std::size_t components = 0, bins = 0;
  for (const auto& p : r.populations) {
    components =
        std::max<std::size_t>(components, std::min<std::size_t>(kMaxComponents, p.pca.explained.n_elem));
    bins = std::max<std::size_t>(bins, p.spectrum.power.n_elem);
  }
  if (components > 0) {
    std::vector<double> x;
    for (std::size_t c = 1; c <= components; ++c) x.push_back(static_cast<double>(c));
    LinePanel pc = panel("PCA of the state", "principal component", "cumulative share of the variance", x);
    for (const auto& p : r.populations)
      if (!p.pca.explained.is_empty())
        add_series(pc, p.name, arma::conv_to<std::vector<double>>::from(arma::cumsum(p.pca.explained)));
    panels.push_back(pc);
  }
  if (bins > 1) {
    const Spectrum* widest = nullptr;
    for (const auto& p : r.populations)
      if (p.spectrum.power.n_elem == bins) widest = &p.spectrum;
    LinePanel sp = panel("power spectrum of the state", "frequency (Hz)", "power / Hz, mean over variables",
                         arma::conv_to<std::vector<double>>::from(widest->frequency.subvec(1, bins - 1)));
    sp.log_y = true;
    sp.markers = false;
    for (const auto& p : r.populations)
      if (p.spectrum.power.n_elem == bins)
        add_series(sp, p.name,
                   arma::conv_to<std::vector<double>>::from(p.spectrum.power.subvec(1, bins - 1)));
    panels.push_back(sp);
  }
  time_panel(panels, r, "attention entropy", "entropy / log(rows attended), mean over units",
             [](const PopulationSection& p) { return p.entropy.available ? &p.entropy.over_time : nullptr; });
  time_panel(panels, r, "memory slots active", "share of slots active, mean over units",
             [](const PopulationSection& p) { return p.slots.available ? &p.slots.over_time : nullptr; });
  if (panels.empty()) return false;
  write_line_plots(panels, "Analysis of " + r.file, png, svg);
  return true;
}

}  // namespace ransim::analysis
