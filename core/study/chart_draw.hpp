#pragma once
// Drawing helpers shared by the figures of `ransim compare` (chart.cpp: bars; sweep_chart.cpp:
// heat maps and line plots), so they all use the same fonts, colours, axes, legend and files.
// Internal to core: it exposes cairo, which the public chart headers do not.
#include <cairo.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "study/chart.hpp"  // detail::Rect

namespace ransim::detail {

// Geometry in px. 1200 wide keeps three panels per row readable.
constexpr double kWidth = 1200, kMargin = 20, kTitleH = 50, kLegendRowH = 26;
constexpr double kSwatch = 14, kLegendGap = 24;
constexpr std::size_t kMaxCols = 3;

// Colour i of the Okabe-Ito palette (colour-blind safe), strongest first, cycling.
unsigned palette(std::size_t i);

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

// A 1x1 surface to measure text with the same toy font as the drawing (layouts need widths).
struct Scratch {
  Scratch();
  cairo_t* get() const { return cr.get(); }
  Surface surface;
  Context cr;
};

void set_rgb(cairo_t* cr, unsigned rgb);
void set_font(cairo_t* cr, double size, bool bold = false);
double text_width(cairo_t* cr, const std::string& s);
// Baseline at y; align 0 puts the text right of x, 0.5 centres it on x, 1 ends it at x.
void text(cairo_t* cr, const std::string& s, double x, double y, double align, double size,
          unsigned rgb = 0x000000, bool bold = false);
// Text read bottom to top, centred on y, its baseline at x (y-axis labels).
void vertical_text(cairo_t* cr, const std::string& s, double x, double y, double size, unsigned rgb);
void line(cairo_t* cr, double x0, double y0, double x1, double y1);
// The font size <= size at which s fits in max_w (at least 7).
double fitting_size(cairo_t* cr, const std::string& s, double size, double max_w, bool bold = false);
// Labels under n evenly spaced slots of width slot: a font size (11 or less), and the stride
// (every stride-th label is shown) at which they do not overlap.
std::pair<double, std::size_t> slot_labels(cairo_t* cr, const std::vector<std::string>& labels, double slot);

std::string format(const char* fmt, double v);
// printf's %g, with exponents written short (2e-5, not 2e-05) and no "-0" or 5.55e-17 on a
// linear tick that should be 0 (the caller passes what counts as zero).
std::string number(double v, double zero = 0);
// A value to 3 significant digits, in plain digits up to 999999 (1230, not 1.23e3).
std::string value_label(double v);

// An axis from lo to hi with labelled ticks, in axis units (log10 of the value for log axes).
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  double units(double v) const;
  double value(double u) const;
  double fraction(double u) const { return (u - lo) / (hi - lo); }
  double y(const Rect& plot, double u) const { return plot.y + plot.h * (1 - fraction(u)); }
  double x(const Rect& plot, double u) const { return plot.x + plot.w * fraction(u); }
  double base() const { return log ? lo : 0.0; }  // where bars start
  std::string label(double u) const;              // the tick label at u
};
// A linear axis covering [lo, hi], hi > lo, on 1, 2, 5 x 10^k ticks (4-6 labels).
Axis linear_axis(double lo, double hi);
// A log axis over whole decades 10^lo .. 10^hi (integers, hi > lo), at most 6 labels.
Axis log_axis(double lo, double hi);

// Y-axis grid lines with tick labels left of the plot, and the plot's left edge.
void draw_y_axis(cairo_t* cr, const Rect& plot, const Axis& axis);

// The legend under the figure title: one swatch per name, left to right, wrapped into
// centred rows. Returns the swatches; `bottom` gets the y below the last row.
std::vector<Rect> legend_layout(const std::vector<std::string>& names, double& bottom);
void draw_legend(cairo_t* cr, const std::vector<std::string>& names, const std::vector<Rect>& swatches);

// n panel boxes of panel_w x panel_h from y = top, up to kMaxCols per row, centred in width.
std::vector<Rect> panel_grid(std::size_t n, double width, double top, double panel_w, double panel_h);

// Runs draw once on an image surface written to png_path and once on an SVG surface written
// to svg_path (either may be empty to skip). Throws RunError naming a path it cannot write.
void render_figure(int width, int height, const std::function<void(cairo_t*)>& draw,
                   const std::string& png_path, const std::string& svg_path);

}  // namespace ransim::detail
