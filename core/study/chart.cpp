// Comparison chart (chart.hpp). draw_chart is the only drawing code; write_chart runs it once
// on an image surface (PNG) and once on an SVG surface (render_figure, chart_draw.hpp).
#include "study/chart.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "study/chart_draw.hpp"

namespace ransim {
namespace detail {
namespace {

// The plot insets leave room for tick labels (left), value labels above the tallest bar (top)
// and model names (bottom).
constexpr double kPanelH = 340, kPlotLeft = 64, kPlotRight = 16, kPlotTop = 66, kPlotBottom = 30;

bool has_value(const ChartPanel& p, std::size_t m) {
  return std::isfinite(p.mean[m]) && (!p.log_scale || p.mean[m] > 0);
}
double spread(const ChartPanel& p, std::size_t m) {
  return std::isfinite(p.stddev[m]) ? std::fabs(p.stddev[m]) : 0.0;
}

Axis make_axis(const ChartPanel& p) {
  double lo = 0, hi = 0;
  if (p.log_scale) {
    bool any = false;
    for (std::size_t m = 0; m < p.mean.size(); ++m) {
      if (!has_value(p, m)) continue;
      const double mean = p.mean[m], s = spread(p, m);
      const double bottom = std::floor(std::log10(mean - s > 0 ? mean - s : mean));
      const double top = std::ceil(std::log10(mean + s));
      lo = any ? std::min(lo, bottom) : bottom;
      hi = any ? std::max(hi, top) : top;
      any = true;
    }
    if (hi <= lo) hi = lo + 1;  // nothing to show, or one exact power of ten
    return log_axis(lo, hi);
  }
  // From 0 unless a mean is negative. An error bar of a positive mean that reaches below 0 is
  // clipped at 0 rather than stretching the axis of a non-negative metric (and vice versa).
  for (std::size_t m = 0; m < p.mean.size(); ++m) {
    if (!has_value(p, m)) continue;
    if (p.mean[m] < 0) lo = std::min(lo, p.mean[m] - spread(p, m));
    else hi = std::max(hi, p.mean[m] + spread(p, m));
  }
  if (hi - lo <= 0) hi = 1;  // all zero or all n/a: any range shows that
  return linear_axis(lo, hi);
}

void draw_panel(cairo_t* cr, const Chart& c, const ChartLayout& L, std::size_t i) {
  const ChartPanel& p = c.panels[i];
  const Rect &box = L.panels[i], &plot = L.plots[i];
  const Axis a = make_axis(p);
  const double slot = plot.w / c.models.size(), centre = box.x + box.w / 2;

  text(cr, p.title, centre, box.y + 22, 0.5, 15, 0x000000, true);
  text(cr, p.metric, centre, box.y + 40, 0.5, 12, 0x555555);

  draw_y_axis(cr, plot, a);
  // The line the bars grow from (0, or the bottom of a log axis).
  set_rgb(cr, 0x333333);
  const double base_y = std::round(a.y(plot, a.base())) + 0.5;
  line(cr, plot.x, base_y, plot.x + plot.w, base_y);
  cairo_stroke(cr);

  // Values above the bars, all in one size: shrunk to fit the slots if there are many models.
  set_font(cr, 11);
  double widest = 0;
  for (std::size_t m = 0; m < c.models.size(); ++m)
    if (has_value(p, m)) widest = std::max(widest, text_width(cr, value_label(p.mean[m])));
  const double value_size = widest > slot * 0.95 ? std::max(7.0, 11 * slot * 0.95 / widest) : 11;

  for (std::size_t m = 0; m < c.models.size(); ++m) {
    const double mid = plot.x + slot * (m + 0.5);
    if (!has_value(p, m)) {
      text(cr, "n/a", mid, base_y - 5, 0.5, 11, 0x888888);
      continue;
    }
    const Rect r = bar_rect(c, L, i, m);
    set_rgb(cr, palette(m));
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_fill(cr);

    // Error bar, clipped to the plot (a log axis has no 0; see make_axis for linear).
    const double mean = p.mean[m], s = spread(p, m);
    double label_y = r.y;
    if (s > 0) {
      const double lo_u = a.log && mean - s <= 0 ? a.lo : a.units(mean - s);
      const double top = std::max(plot.y, a.y(plot, a.units(mean + s)));
      const double bottom = std::min(plot.y + plot.h, a.y(plot, lo_u)), cap = r.w * 0.15;
      set_rgb(cr, 0x333333);
      cairo_set_line_width(cr, 1.5);
      line(cr, mid, top, mid, bottom);
      line(cr, mid - cap, top, mid + cap, top);
      line(cr, mid - cap, bottom, mid + cap, bottom);
      cairo_stroke(cr);
      label_y = std::min(label_y, top);
    }
    text(cr, value_label(mean), mid, label_y - 5, 0.5, value_size);
  }
  for (std::size_t m = 0; L.bar_labels && m < c.models.size(); ++m)
    text(cr, c.models[m], plot.x + slot * (m + 0.5), plot.y + plot.h + 18, 0.5, 12, 0x333333);
}

void draw_chart(cairo_t* cr, const Chart& c, const ChartLayout& L) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  text(cr, c.title, L.width / 2.0, 32, 0.5, 20, 0x000000, true);
  draw_legend(cr, c.models, L.swatches);
  for (std::size_t i = 0; i < c.panels.size(); ++i) draw_panel(cr, c, L, i);
}

}  // namespace

ChartLayout chart_layout(const Chart& c) {
  if (c.models.empty() || c.panels.empty())
    throw std::invalid_argument("chart '" + c.title + "' needs at least one model and one panel");
  for (const ChartPanel& p : c.panels)
    if (p.mean.size() != c.models.size() || p.stddev.size() != c.models.size())
      throw std::invalid_argument("chart panel '" + p.title +
                                  "' needs one mean and one stddev "
                                  "per model (" +
                                  std::to_string(c.models.size()) + ")");
  ChartLayout L;
  L.width = static_cast<int>(kWidth);
  double legend_bottom = 0;
  L.swatches = legend_layout(c.models, legend_bottom);

  const std::size_t cols = std::min(kMaxCols, c.panels.size());
  const std::size_t rows = (c.panels.size() + cols - 1) / cols;
  const double top = legend_bottom + 8;
  L.panels = panel_grid(c.panels.size(), kWidth, top, (kWidth - 2 * kMargin) / cols, kPanelH);
  for (const Rect& box : L.panels)
    L.plots.push_back({box.x + kPlotLeft, box.y + kPlotTop, box.w - kPlotLeft - kPlotRight,
                       box.h - kPlotTop - kPlotBottom});
  L.height = static_cast<int>(std::ceil(top + rows * kPanelH + kMargin));

  Scratch cr;
  set_font(cr.get(), 12);
  const double slot = L.plots[0].w / c.models.size();
  L.bar_labels = std::all_of(c.models.begin(), c.models.end(), [&](const std::string& name) {
    return text_width(cr.get(), name) <= slot * 0.95;
  });
  return L;
}

Rect bar_rect(const Chart& c, const ChartLayout& L, std::size_t panel, std::size_t model) {
  const ChartPanel& p = c.panels.at(panel);
  if (!has_value(p, model)) return {};
  const Rect& plot = L.plots.at(panel);
  const Axis a = make_axis(p);
  const double slot = plot.w / c.models.size();
  const double y0 = a.y(plot, a.base()), y1 = a.y(plot, a.units(p.mean[model]));
  return {plot.x + slot * (model + 0.15), std::min(y0, y1), slot * 0.7, std::fabs(y1 - y0)};
}

}  // namespace detail

void write_chart(const Chart& chart, const std::string& png_path, const std::string& svg_path) {
  const detail::ChartLayout L = detail::chart_layout(chart);
  detail::render_figure(
      L.width, L.height, [&](cairo_t* cr) { detail::draw_chart(cr, chart, L); }, png_path, svg_path);
}

}  // namespace ransim
