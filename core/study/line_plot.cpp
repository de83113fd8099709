// Line plots of a sweep (sweep_chart.hpp). draw_panel is the only drawing code, run once per
// file by render_figure (chart_draw.hpp).
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "study/chart_draw.hpp"
#include "study/sweep_chart.hpp"

namespace ransim {
namespace detail {
namespace {

// The plot insets leave room for tick labels (left), title and metric (top), swept values
// and key (bottom).
constexpr double kPanelH = 340, kPlotLeft = 64, kPlotRight = 20, kPlotTop = 56, kPlotBottom = 48;
constexpr double kMarker = 3.5;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void validate(const LinePanel& p) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("line plot panel '" + p.title + "': " + what);
  };
  if (p.x_ticks.empty() || p.series.empty()) fail("needs at least one x value and one series");
  if (p.mean.size() != p.series.size() || p.stddev.size() != p.series.size())
    fail("needs one mean and one stddev row per series (" + std::to_string(p.series.size()) + ")");
  for (std::size_t s = 0; s < p.series.size(); ++s)
    if (p.mean[s].size() != p.x_ticks.size() || p.stddev[s].size() != p.x_ticks.size())
      fail("series '" + p.series[s] + "' needs one mean and one stddev per x value (" +
           std::to_string(p.x_ticks.size()) + ")");
}

// The x axis: the swept values at their numeric positions (in axis units, log10 on a log
// axis) or, if any is not a number, at the middle of evenly spaced slots.
struct XAxis {
  bool numeric = true, log = false;
  std::vector<double> at;  // axis units per x value
  double lo = 0, hi = 1;
  double x(const Rect& plot, double u) const { return plot.x + plot.w * (u - lo) / (hi - lo); }
};

XAxis x_axis(const LinePanel& p) {
  XAxis a;
  std::vector<double> v;
  for (const std::string& t : p.x_ticks) {
    char* end = nullptr;
    const double d = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || !std::isfinite(d)) a.numeric = false;
    v.push_back(d);
  }
  if (!a.numeric) {
    for (std::size_t i = 0; i < v.size(); ++i) a.at.push_back(i + 0.5);
    a.hi = static_cast<double>(v.size());
    return a;
  }
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  a.log = !p.linear_x && *mn > 0 && *mx > 10 * *mn;
  for (const double d : v) a.at.push_back(a.log ? std::log10(d) : d);
  const auto [lo, hi] = std::minmax_element(a.at.begin(), a.at.end());
  // 5 % of the span on each side, so the end points and their error bars are off the edges.
  const double pad = *hi > *lo ? (*hi - *lo) * 0.05 : (*lo != 0 ? std::fabs(*lo) * 0.5 : 1);
  a.lo = *lo - pad, a.hi = *hi + pad;
  return a;
}

bool has_point(const LinePanel& p, std::size_t s, std::size_t i) {
  return std::isfinite(p.mean[s][i]) && (!p.log_y || p.mean[s][i] > 0);
}
double spread(const LinePanel& p, std::size_t s, std::size_t i) {
  return std::isfinite(p.stddev[s][i]) ? std::fabs(p.stddev[s][i]) : 0.0;
}

// The y axis covering every point with its error bar (the part of it above 0 on a log axis).
Axis y_axis(const LinePanel& p) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::size_t s = 0; s < p.series.size(); ++s)
    for (std::size_t i = 0; i < p.x_ticks.size(); ++i) {
      if (!has_point(p, s, i)) continue;
      const double m = p.mean[s][i], e = spread(p, s, i);
      lo = std::min(lo, p.log_y && m - e <= 0 ? m : m - e);
      hi = std::max(hi, m + e);
    }
  if (p.log_y) {
    if (!(lo <= hi)) return log_axis(0, 1);
    const double a = std::floor(std::log10(lo)), b = std::ceil(std::log10(hi));
    return log_axis(a, b > a ? b : a + 1);
  }
  if (!(lo <= hi)) return linear_axis(0, 1);
  if (hi == lo) lo -= lo != 0 ? std::fabs(lo) * 0.5 : 1, hi += hi != 0 ? std::fabs(hi) * 0.5 : 1;
  return linear_axis(lo, hi);
}

// Swept values as written where they are, if they do not overlap at that size; else the
// axis's own round ticks.
void draw_x_labels(cairo_t* cr, const LinePanel& p, const XAxis& a, const Rect& plot) {
  const double y = plot.y + plot.h + 16;
  if (!a.numeric) {
    const auto [size, stride] = slot_labels(cr, p.x_ticks, plot.w / p.x_ticks.size());
    for (std::size_t i = 0; i < p.x_ticks.size(); i += stride)
      text(cr, p.x_ticks[i], a.x(plot, a.at[i]), y, 0.5, size, 0x333333);
    return;
  }
  set_font(cr, 11);
  std::vector<std::pair<double, std::string>> labels;
  for (std::size_t i = 0; i < p.x_ticks.size(); ++i) labels.push_back({a.x(plot, a.at[i]), p.x_ticks[i]});
  std::sort(labels.begin(), labels.end());
  bool fit = true;
  for (std::size_t i = 0; i + 1 < labels.size(); ++i)
    fit = fit && (text_width(cr, labels[i].second) + text_width(cr, labels[i + 1].second)) / 2 + 6 <=
                     labels[i + 1].first - labels[i].first;
  if (!fit) {
    const Axis round = a.log ? log_axis(std::floor(a.lo), std::ceil(a.hi)) : linear_axis(a.lo, a.hi);
    labels.clear();
    for (const double u : round.ticks)
      if (u >= a.lo && u <= a.hi) labels.push_back({a.x(plot, u), round.label(u)});
  }
  set_rgb(cr, 0x333333);
  cairo_set_line_width(cr, 1);
  for (const auto& [x, label] : labels) {
    line(cr, x, plot.y + plot.h, x, plot.y + plot.h + 4);
    cairo_stroke(cr);
    text(cr, label, x, y, 0.5, 11, 0x333333);
  }
}

void draw_series(cairo_t* cr, const LinePanel& p, std::size_t s, unsigned rgb, const XAxis& xa,
                 const Axis& ya, const Rect& plot) {
  set_rgb(cr, rgb);
  cairo_set_line_width(cr, 1.2);
  for (std::size_t i = 0; i < p.x_ticks.size(); ++i) {  // error bars, clipped to the plot
    const double m = p.mean[s][i], e = spread(p, s, i);
    if (!has_point(p, s, i) || e == 0) continue;
    const double x = xa.x(plot, xa.at[i]);
    const double top = std::max(plot.y, ya.y(plot, ya.units(m + e)));
    const double bottom =
        ya.log && m - e <= 0 ? plot.y + plot.h : std::min(plot.y + plot.h, ya.y(plot, ya.units(m - e)));
    line(cr, x, top, x, bottom);
    line(cr, x - 4, top, x + 4, top);
    line(cr, x - 4, bottom, x + 4, bottom);
  }
  cairo_stroke(cr);
  cairo_set_line_width(cr, 2);
  bool open = false;  // a missing point breaks the line
  for (std::size_t i = 0; i < p.x_ticks.size(); ++i) {
    if (!has_point(p, s, i)) {
      open = false;
      continue;
    }
    const double x = xa.x(plot, xa.at[i]), y = ya.y(plot, ya.units(p.mean[s][i]));
    open ? cairo_line_to(cr, x, y) : cairo_move_to(cr, x, y);
    open = true;
  }
  cairo_stroke(cr);
  for (std::size_t i = 0; p.markers && i < p.x_ticks.size(); ++i) {
    if (!has_point(p, s, i)) continue;
    cairo_new_sub_path(cr);
    cairo_arc(cr, xa.x(plot, xa.at[i]), ya.y(plot, ya.units(p.mean[s][i])), kMarker, 0, 2 * M_PI);
  }
  cairo_fill(cr);
}

void draw_panel(cairo_t* cr, const LinePanel& p, const LinePlotLayout& L, std::size_t i) {
  const Rect &box = L.panels[i], &plot = L.plots[i];
  const double centre = box.x + box.w / 2;
  text(cr, p.title, centre, box.y + 22, 0.5, fitting_size(cr, p.title, 15, box.w - 10, true), 0, true);
  text(cr, p.metric, centre, box.y + 40, 0.5, fitting_size(cr, p.metric, 12, box.w - 10), 0x555555);
  const XAxis xa = x_axis(p);
  const Axis ya = y_axis(p);
  draw_y_axis(cr, plot, ya);
  set_rgb(cr, 0x333333);
  const double y0 = std::round(plot.y + plot.h) + 0.5;
  line(cr, plot.x, y0, plot.x + plot.w, y0);
  cairo_stroke(cr);
  draw_x_labels(cr, p, xa, plot);
  text(cr, p.x_label, plot.x + plot.w / 2, plot.y + plot.h + 36, 0.5,
       fitting_size(cr, p.x_label, 12, box.w - 10), 0x222222);
  cairo_save(cr);
  cairo_rectangle(cr, plot.x, plot.y - kMarker, plot.w, plot.h + 2 * kMarker);
  cairo_clip(cr);
  for (std::size_t s = 0; s < p.series.size(); ++s) {
    const auto at = std::find(L.series.begin(), L.series.end(), p.series[s]) - L.series.begin();
    draw_series(cr, p, s, palette(static_cast<std::size_t>(at)), xa, ya, plot);
  }
  cairo_restore(cr);
}

}  // namespace

LinePlotLayout line_plot_layout(const std::vector<LinePanel>& panels) {
  if (panels.empty()) throw std::invalid_argument("line plots need at least one panel");
  LinePlotLayout L;
  for (const LinePanel& p : panels) {
    validate(p);
    for (const std::string& name : p.series)
      if (std::find(L.series.begin(), L.series.end(), name) == L.series.end()) L.series.push_back(name);
  }
  L.width = static_cast<int>(kWidth);
  double legend_bottom = 0;
  L.swatches = legend_layout(L.series, legend_bottom);
  const std::size_t cols = std::min(kMaxCols, panels.size()), rows = (panels.size() + cols - 1) / cols;
  const double top = legend_bottom + 8;
  L.panels = panel_grid(panels.size(), kWidth, top, (kWidth - 2 * kMargin) / cols, kPanelH);
  for (const Rect& box : L.panels)
    L.plots.push_back({box.x + kPlotLeft, box.y + kPlotTop, box.w - kPlotLeft - kPlotRight,
                       box.h - kPlotTop - kPlotBottom});
  L.height = static_cast<int>(std::ceil(top + rows * kPanelH + kMargin));
  return L;
}

Point line_point(const std::vector<LinePanel>& panels, const LinePlotLayout& L, std::size_t p, std::size_t s,
                 std::size_t i) {
  const LinePanel& panel = panels.at(p);
  if (!has_point(panel, s, i)) return {kNaN, kNaN};
  const Rect& plot = L.plots.at(p);
  const XAxis xa = x_axis(panel);
  const Axis ya = y_axis(panel);
  return {xa.x(plot, xa.at.at(i)), ya.y(plot, ya.units(panel.mean.at(s).at(i)))};
}

}  // namespace detail

void write_line_plots(const std::vector<LinePanel>& panels, const std::string& title,
                      const std::string& png_path, const std::string& svg_path) {
  const detail::LinePlotLayout L = detail::line_plot_layout(panels);
  auto draw = [&](cairo_t* cr) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    detail::text(cr, title, L.width / 2.0, 32, 0.5, 20, 0x000000, true);
    detail::draw_legend(cr, L.series, L.swatches);
    for (std::size_t i = 0; i < panels.size(); ++i) detail::draw_panel(cr, panels[i], L, i);
  };
  detail::render_figure(L.width, L.height, draw, png_path, svg_path);
}

}  // namespace ransim
