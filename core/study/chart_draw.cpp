// Shared drawing helpers (chart_draw.hpp). Text uses cairo's toy API: the labels are short
// ASCII strings, and it keeps the dependency to cairo alone (no pango).
#include "study/chart_draw.hpp"

#include <cairo-svg.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "ransim/error.hpp"

namespace ransim::detail {

unsigned palette(std::size_t i) {
  // Yellow is faint on white, so it comes last.
  constexpr unsigned kPalette[] = {0x0072B2, 0xE69F00, 0x009E73, 0xD55E00,
                                   0xCC79A7, 0x56B4E9, 0x000000, 0xF0E442};
  return kPalette[i % std::size(kPalette)];
}

Scratch::Scratch()
    : surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1), cairo_surface_destroy),
      cr(cairo_create(surface.get()), cairo_destroy) {}

void set_rgb(cairo_t* cr, unsigned rgb) {
  cairo_set_source_rgb(cr, (rgb >> 16 & 255) / 255.0, (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0);
}
void set_font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}
double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}
void text(cairo_t* cr, const std::string& s, double x, double y, double align, double size, unsigned rgb,
          bool bold) {
  set_font(cr, size, bold);
  set_rgb(cr, rgb);
  cairo_move_to(cr, x - align * text_width(cr, s), y);
  cairo_show_text(cr, s.c_str());
}
void vertical_text(cairo_t* cr, const std::string& s, double x, double y, double size, unsigned rgb) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, s, 0, 0, 0.5, size, rgb);
  cairo_restore(cr);
}
void line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
}

double fitting_size(cairo_t* cr, const std::string& s, double size, double max_w, bool bold) {
  set_font(cr, size, bold);
  const double w = text_width(cr, s);
  return w <= max_w ? size : std::max(7.0, size * max_w / w);
}
std::pair<double, std::size_t> slot_labels(cairo_t* cr, const std::vector<std::string>& labels, double slot) {
  set_font(cr, 11);
  double widest = 0;
  for (const std::string& s : labels) widest = std::max(widest, text_width(cr, s));
  const double size = widest > slot * 0.9 ? std::max(7.0, 11 * slot * 0.9 / widest) : 11;
  const double at_size = widest * size / 11;
  return {size, static_cast<std::size_t>(std::max(1.0, std::ceil(at_size / (slot * 0.9))))};
}

std::string format(const char* fmt, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}
std::string number(double v, double zero) {
  std::string s = format("%g", std::fabs(v) <= zero ? 0.0 : v);
  const std::size_t e = s.find('e');
  return e == std::string::npos ? s : s.substr(0, e + 1) + std::to_string(std::stoi(s.substr(e + 1)));
}
std::string value_label(double v) {
  const double r = std::stod(format("%.3g", v));
  return std::fabs(r) >= 1e3 && std::fabs(r) < 1e6 ? format("%.0f", r) : number(r);
}

double Axis::units(double v) const { return log ? std::log10(v) : v; }
double Axis::value(double u) const { return log ? std::pow(10.0, u) : u; }
std::string Axis::label(double u) const { return log ? number(value(u)) : number(u, (hi - lo) * 1e-9); }

namespace {
// The axis from a * step to b * step with a tick every step.
Axis ticked(double a, double b, double step, bool log) {
  Axis axis{a * step, b * step, log, {}};
  for (double k = a; k <= b; ++k) axis.ticks.push_back(k * step);
  return axis;
}
}  // namespace

Axis linear_axis(double lo, double hi) {
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

Axis log_axis(double lo, double hi) {
  // One decade (nrmse 0.1-1 is common) would have only 2 labels: add 2x and 5x. Wider axes
  // get a label every decade, or every 2nd, 3rd... one, so there are at most 6.
  if (hi - lo == 1) return {lo, hi, true, {lo, lo + std::log10(2.0), lo + std::log10(5.0), hi}};
  for (double step = std::ceil((hi - lo) / 5);; ++step) {
    const double a = std::floor(lo / step), b = std::ceil(hi / step);
    if (b - a <= 5) return ticked(a, b, step, true);
  }
}

void draw_y_axis(cairo_t* cr, const Rect& plot, const Axis& axis) {
  // Lines on half pixels so 1 px lines stay sharp in the PNG.
  cairo_set_line_width(cr, 1);
  for (const double u : axis.ticks) {
    const double y = std::round(axis.y(plot, u)) + 0.5;
    set_rgb(cr, 0xDDDDDD);
    line(cr, plot.x, y, plot.x + plot.w, y);
    cairo_stroke(cr);
    text(cr, axis.label(u), plot.x - 6, y + 4, 1, 11, 0x333333);
  }
  set_rgb(cr, 0x333333);
  const double x0 = std::round(plot.x) + 0.5;
  line(cr, x0, plot.y, x0, plot.y + plot.h);
  cairo_stroke(cr);
}

std::vector<Rect> legend_layout(const std::vector<std::string>& names, double& bottom) {
  Scratch cr;
  set_font(cr.get(), 13);
  std::vector<Rect> swatches(names.size());
  std::vector<double> entry(names.size());
  for (std::size_t m = 0; m < names.size(); ++m)
    entry[m] = kSwatch + 6 + text_width(cr.get(), names[m]) + kLegendGap;
  double y = kTitleH, row_w = 0;
  std::vector<std::size_t> row;
  auto flush = [&] {
    double x = (kWidth - (row_w - kLegendGap)) / 2;
    for (std::size_t m : row) swatches[m] = {x, y + 6, kSwatch, kSwatch}, x += entry[m];
    row.clear(), row_w = 0, y += kLegendRowH;
  };
  for (std::size_t m = 0; m < names.size(); ++m) {
    if (!row.empty() && row_w + entry[m] - kLegendGap > kWidth - 2 * kMargin) flush();
    row.push_back(m), row_w += entry[m];
  }
  if (!row.empty()) flush();
  bottom = y;
  return swatches;
}

void draw_legend(cairo_t* cr, const std::vector<std::string>& names, const std::vector<Rect>& swatches) {
  for (std::size_t m = 0; m < names.size(); ++m) {
    const Rect& s = swatches[m];
    set_rgb(cr, palette(m));
    cairo_rectangle(cr, s.x, s.y, s.w, s.h);
    cairo_fill(cr);
    text(cr, names[m], s.x + s.w + 6, s.y + s.h - 2, 0, 13, 0x222222);
  }
}

std::vector<Rect> panel_grid(std::size_t n, double width, double top, double panel_w, double panel_h) {
  const std::size_t cols = std::min(kMaxCols, n);
  const double left = (width - cols * panel_w) / 2;
  std::vector<Rect> boxes;
  for (std::size_t i = 0; i < n; ++i)
    boxes.push_back({left + (i % cols) * panel_w, top + (i / cols) * panel_h, panel_w, panel_h});
  return boxes;
}

void render_figure(int width, int height, const std::function<void(cairo_t*)>& draw,
                   const std::string& png_path, const std::string& svg_path) {
  auto check = [](cairo_status_t status, const std::string& path) {
    if (status != CAIRO_STATUS_SUCCESS)
      throw RunError("cannot write chart '" + path + "': " + cairo_status_to_string(status));
  };
  if (!png_path.empty()) {
    Surface s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height), cairo_surface_destroy);
    Context cr(cairo_create(s.get()), cairo_destroy);
    draw(cr.get());
    check(cairo_status(cr.get()), png_path);
    check(cairo_surface_write_to_png(s.get(), png_path.c_str()), png_path);
  }
  if (!svg_path.empty()) {
    // The SVG surface opens the file at once (an unwritable path shows in its status) and
    // writes it out on finish, so check both. Units px, not cairo's default pt, so a browser
    // shows it at the PNG's size.
    Surface s(cairo_svg_surface_create(svg_path.c_str(), width, height), cairo_surface_destroy);
    check(cairo_surface_status(s.get()), svg_path);
    cairo_svg_surface_set_document_unit(s.get(), CAIRO_SVG_UNIT_PX);
    {
      Context cr(cairo_create(s.get()), cairo_destroy);
      draw(cr.get());
      check(cairo_status(cr.get()), svg_path);
    }
    cairo_surface_finish(s.get());
    check(cairo_surface_status(s.get()), svg_path);
  }
}

}  // namespace ransim::detail
