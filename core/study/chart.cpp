// Comparison chart (chart.hpp). draw_chart is the only drawing code; write_chart runs it once
// on an image surface (PNG) and once on an SVG surface. Text uses cairo's toy API: the labels
// are short ASCII strings, and it keeps the dependency to cairo alone (no pango).
#include "study/chart.hpp"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ransim/error.hpp"

namespace ransim {
namespace detail {
namespace {

// Geometry in px. 1200 wide keeps three panels per row readable; the plot insets leave room
// for tick labels (left), value labels above the tallest bar (top) and model names (bottom).
constexpr double kWidth = 1200, kMargin = 20, kTitleH = 50, kLegendRowH = 26, kPanelH = 340;
constexpr double kPlotLeft = 64, kPlotRight = 16, kPlotTop = 66, kPlotBottom = 30;
constexpr double kSwatch = 14, kLegendGap = 24;
constexpr std::size_t kMaxCols = 3;

// Okabe-Ito (colour-blind safe), strongest first; yellow is faint on white so it comes last.
constexpr unsigned kPalette[] = {0x0072B2, 0xE69F00, 0x009E73, 0xD55E00,
                                 0xCC79A7, 0x56B4E9, 0x000000, 0xF0E442};

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void set_rgb(cairo_t* cr, unsigned rgb) {
  cairo_set_source_rgb(cr, (rgb >> 16 & 255) / 255.0, (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0);
}
void set_font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}
double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}
// Baseline at y; align 0 puts the text right of x, 0.5 centres it on x, 1 ends it at x.
void text(cairo_t* cr, const std::string& s, double x, double y, double align, double size,
          unsigned rgb = 0x000000, bool bold = false) {
  set_font(cr, size, bold);
  set_rgb(cr, rgb);
  cairo_move_to(cr, x - align * text_width(cr, s), y);
  cairo_show_text(cr, s.c_str());
}
void line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
}
std::string format(const char* fmt, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}
// printf's %g, with exponents written short (2e-5, not 2e-05) and no "-0" or 5.55e-17 on a
// linear tick that should be 0 (the caller passes what counts as zero).
std::string number(double v, double zero = 0) {
  std::string s = format("%g", std::fabs(v) <= zero ? 0.0 : v);
  const std::size_t e = s.find('e');
  return e == std::string::npos ? s : s.substr(0, e + 1) + std::to_string(std::stoi(s.substr(e + 1)));
}
// A bar's value to 3 significant digits, in plain digits up to 999999 (1230, not 1.23e3).
std::string value_label(double v) {
  const double r = std::stod(format("%.3g", v));
  return std::fabs(r) >= 1e3 && std::fabs(r) < 1e6 ? format("%.0f", r) : number(r);
}

bool has_value(const ChartPanel& p, std::size_t m) {
  return std::isfinite(p.mean[m]) && (!p.log_scale || p.mean[m] > 0);
}
double spread(const ChartPanel& p, std::size_t m) {
  return std::isfinite(p.stddev[m]) ? std::fabs(p.stddev[m]) : 0.0;
}

// A panel's y axis from lo to hi with labelled ticks, in axis units (log10 for log panels).
struct Axis {
  double lo, hi;
  bool log;
  std::vector<double> ticks;
  double units(double v) const { return log ? std::log10(v) : v; }
  double y(const Rect& plot, double u) const { return plot.y + plot.h * (hi - u) / (hi - lo); }
  double base() const { return log ? lo : 0.0; }  // where bars start
};
// The axis from a * step to b * step with a tick every step.
Axis ticked(double a, double b, double step, bool log) {
  Axis axis{a * step, b * step, log, {}};
  for (double k = a; k <= b; ++k) axis.ticks.push_back(k * step);
  return axis;
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
    // One decade (nrmse 0.1-1 is common) would have only 2 labels: add 2x and 5x. Wider axes
    // get a label every decade, or every 2nd, 3rd... one, so there are at most 6.
    if (hi - lo == 1) return {lo, hi, true, {lo, lo + std::log10(2.0), lo + std::log10(5.0), hi}};
    for (double step = std::ceil((hi - lo) / 5);; ++step) {
      const double a = std::floor(lo / step), b = std::ceil(hi / step);
      if (b - a <= 5) return ticked(a, b, step, true);
    }
  }
  // From 0 unless a mean is negative. An error bar of a positive mean that reaches below 0 is
  // clipped at 0 rather than stretching the axis of a non-negative metric (and vice versa).
  for (std::size_t m = 0; m < p.mean.size(); ++m) {
    if (!has_value(p, m)) continue;
    if (p.mean[m] < 0) lo = std::min(lo, p.mean[m] - spread(p, m));
    else hi = std::max(hi, p.mean[m] + spread(p, m));
  }
  if (hi - lo <= 0) hi = 1;  // all zero or all n/a: any range shows that
  // The smallest of 1, 2, 5 x 10^k that needs at most 5 intervals. The ladder grows at most
  // 2.5x per rung, so this also leaves at least 3 intervals: 4-6 labels. The 1e-9 keeps
  // round-off (0.3 / 0.1 = 3.0000000000000004) from adding an empty interval.
  const double decade = std::pow(10.0, std::floor(std::log10((hi - lo) / 5)));
  for (double scale = decade;; scale *= 10) {
    for (double nice : {1.0, 2.0, 5.0}) {
      const double step = nice * scale;
      const double a = std::floor(lo / step + 1e-9), b = std::ceil(hi / step - 1e-9);
      if (b - a <= 5) return ticked(a, b, step, false);
    }
  }
}

void draw_panel(cairo_t* cr, const Chart& c, const ChartLayout& L, std::size_t i) {
  const ChartPanel& p = c.panels[i];
  const Rect &box = L.panels[i], &plot = L.plots[i];
  const Axis a = make_axis(p);
  const double slot = plot.w / c.models.size(), centre = box.x + box.w / 2;

  text(cr, p.title, centre, box.y + 22, 0.5, 15, 0x000000, true);
  text(cr, p.metric, centre, box.y + 40, 0.5, 12, 0x555555);

  // Grid lines and tick labels; lines on half pixels so 1 px lines stay sharp in the PNG.
  cairo_set_line_width(cr, 1);
  for (const double u : a.ticks) {
    const double y = std::round(a.y(plot, u)) + 0.5;
    set_rgb(cr, 0xDDDDDD);
    line(cr, plot.x, y, plot.x + plot.w, y);
    cairo_stroke(cr);
    const std::string label = a.log ? number(std::pow(10.0, u)) : number(u, (a.hi - a.lo) * 1e-9);
    text(cr, label, plot.x - 6, y + 4, 1, 11, 0x333333);
  }
  // Axis lines: the left edge, and the line bars grow from (0, or the bottom of a log axis).
  set_rgb(cr, 0x333333);
  const double x0 = std::round(plot.x) + 0.5, base_y = std::round(a.y(plot, a.base())) + 0.5;
  line(cr, x0, plot.y, x0, plot.y + plot.h);
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
    set_rgb(cr, kPalette[m % std::size(kPalette)]);
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
  for (std::size_t m = 0; m < c.models.size(); ++m) {
    const Rect& s = L.swatches[m];
    set_rgb(cr, kPalette[m % std::size(kPalette)]);
    cairo_rectangle(cr, s.x, s.y, s.w, s.h);
    cairo_fill(cr);
    text(cr, c.models[m], s.x + s.w + 6, s.y + s.h - 2, 0, 13, 0x222222);
  }
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
  // Text widths decide the legend's rows, so measure with the same toy font on a scratch surface.
  Surface scratch(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1), cairo_surface_destroy);
  Context cr(cairo_create(scratch.get()), cairo_destroy);

  // Legend under the title: entries left to right, wrapped into centred rows.
  set_font(cr.get(), 13);
  L.swatches.resize(c.models.size());
  std::vector<double> entry(c.models.size());
  for (std::size_t m = 0; m < c.models.size(); ++m)
    entry[m] = kSwatch + 6 + text_width(cr.get(), c.models[m]) + kLegendGap;
  double y = kTitleH, row_w = 0;
  std::vector<std::size_t> row;
  auto flush = [&] {
    double x = (kWidth - (row_w - kLegendGap)) / 2;
    for (std::size_t m : row) L.swatches[m] = {x, y + 6, kSwatch, kSwatch}, x += entry[m];
    row.clear(), row_w = 0, y += kLegendRowH;
  };
  for (std::size_t m = 0; m < c.models.size(); ++m) {
    if (!row.empty() && row_w + entry[m] - kLegendGap > kWidth - 2 * kMargin) flush();
    row.push_back(m), row_w += entry[m];
  }
  flush();

  const std::size_t cols = std::min(kMaxCols, c.panels.size());
  const std::size_t rows = (c.panels.size() + cols - 1) / cols;
  const double panel_w = (kWidth - 2 * kMargin) / cols, top = y + 8;
  for (std::size_t i = 0; i < c.panels.size(); ++i) {
    const Rect box{kMargin + (i % cols) * panel_w, top + (i / cols) * kPanelH, panel_w, kPanelH};
    L.panels.push_back(box);
    L.plots.push_back({box.x + kPlotLeft, box.y + kPlotTop, box.w - kPlotLeft - kPlotRight,
                       box.h - kPlotTop - kPlotBottom});
  }
  L.height = static_cast<int>(std::ceil(top + rows * kPanelH + kMargin));

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
  auto check = [](cairo_status_t status, const std::string& path) {
    if (status != CAIRO_STATUS_SUCCESS)
      throw RunError("cannot write chart '" + path + "': " + cairo_status_to_string(status));
  };
  if (!png_path.empty()) {
    detail::Surface s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, L.width, L.height),
                      cairo_surface_destroy);
    detail::Context cr(cairo_create(s.get()), cairo_destroy);
    detail::draw_chart(cr.get(), chart, L);
    check(cairo_status(cr.get()), png_path);
    check(cairo_surface_write_to_png(s.get(), png_path.c_str()), png_path);
  }
  if (!svg_path.empty()) {
    // The SVG surface opens the file at once (an unwritable path shows in its status) and
    // writes it out on finish, so check both. Units px, not cairo's default pt, so a browser
    // shows it at the PNG's size.
    detail::Surface s(cairo_svg_surface_create(svg_path.c_str(), L.width, L.height), cairo_surface_destroy);
    check(cairo_surface_status(s.get()), svg_path);
    cairo_svg_surface_set_document_unit(s.get(), CAIRO_SVG_UNIT_PX);
    {
      detail::Context cr(cairo_create(s.get()), cairo_destroy);
      detail::draw_chart(cr.get(), chart, L);
      check(cairo_status(cr.get()), svg_path);
    }
    cairo_surface_finish(s.get());
    check(cairo_surface_status(s.get()), svg_path);
  }
}

}  // namespace ransim
