// Heat maps of a sweep (sweep_chart.hpp); the line plots are in line_plot.cpp. draw_heat_maps is
// the only drawing code, run once per file by render_figure (chart_draw.hpp).
#include "study/sweep_chart.hpp"

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "study/chart_draw.hpp"

namespace ransim {
namespace detail {
namespace {

// A panel: title and best-cell line on top, the cell grid, swept values and key below; the
// y key and values on the left, the colour bar with its ticks and label on the right.
constexpr double kPanelW = 400, kPanelH = 350, kLeft = 72, kRight = 92, kTop = 56, kBottom = 54;
constexpr double kBarGap = 12, kBarW = 14;
constexpr unsigned kMissing = 0xE4E4E4, kHatch = 0xB8B8B8, kBestOutline = 0xD55E00;

double to_srgb(double c) { return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1 / 2.4) - 0.055; }

// OKLab (Ottosson 2020) to linear sRGB; false if outside the sRGB gamut.
bool oklab_to_linear_srgb(double L, double a, double b, std::array<double, 3>& rgb) {
  const double l = std::pow(L + 0.3963377774 * a + 0.2158037573 * b, 3);
  const double m = std::pow(L - 0.1055613458 * a - 0.0638541728 * b, 3);
  const double s = std::pow(L - 0.0894841775 * a - 1.2914855480 * b, 3);
  rgb = {4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
         -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
         -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s};
  return std::all_of(rgb.begin(), rgb.end(), [](double c) { return c >= -1e-9 && c <= 1 + 1e-9; });
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

void validate(const HeatMapPanel& p) {
  const std::size_t cells = p.x_ticks.size() * p.y_ticks.size();
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("heat map panel '" + p.title + "': " + what);
  };
  if (cells == 0) fail("needs at least one x and one y value");
  if (p.value.size() != cells)
    fail("has " + std::to_string(p.value.size()) + " values for " + std::to_string(p.x_ticks.size()) + " x " +
         std::to_string(p.y_ticks.size()) + " cells");
  if (!p.parameters.empty() && p.parameters.size() != cells)
    fail("has " + std::to_string(p.parameters.size()) + " parameter counts for " + std::to_string(cells) +
         " cells");
  for (const double level : p.iso_levels)
    if (!finite_positive(level)) fail("iso level " + number(level) + " is not a positive number");
}

void draw_cell(cairo_t* cr, const Rect& r, double v, std::pair<double, double> range) {
  set_font(cr, 10);
  if (!std::isfinite(v)) {
    set_rgb(cr, kMissing);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_fill_preserve(cr);
    // Diagonal hatching, clipped to the cell, so a missing result cannot pass for a colour.
    cairo_save(cr);
    cairo_clip(cr);
    set_rgb(cr, kHatch);
    cairo_set_line_width(cr, 1);
    for (double d = -r.h; d < r.w; d += 7) line(cr, r.x + d, r.y + r.h, r.x + d + r.h, r.y);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (text_width(cr, "n/a") <= r.w - 4 && r.h >= 14)
      text(cr, "n/a", r.x + r.w / 2, r.y + r.h / 2 + 4, 0.5, 10, 0x666666);
    return;
  }
  const double t = range.second > range.first ? (v - range.first) / (range.second - range.first) : 0.5;
  set_rgb(cr, colour_map(t));
  // Half a pixel wider than the cell so neighbours meet without a hairline of background.
  cairo_rectangle(cr, r.x, r.y, r.w + 0.5, r.h + 0.5);
  cairo_fill(cr);
  const std::string label = value_label(v);
  if (text_width(cr, label) <= r.w - 4 && r.h >= 14)
    text(cr, label, r.x + r.w / 2, r.y + r.h / 2 + 4, 0.5, 10, t < 0.5 ? 0xFFFFFF : 0x000000);
}

// Where value ix, iy (grid units, cell centres at integers) is on the plot.
std::pair<double, double> grid_to_px(const HeatMapPanel& p, const Rect& plot, double gx, double gy) {
  const double cw = plot.w / p.x_ticks.size(), ch = plot.h / p.y_ticks.size();
  return {plot.x + (gx + 0.5) * cw, plot.y + plot.h - (gy + 0.5) * ch};
}

void draw_contours(cairo_t* cr, const HeatMapPanel& p, const Rect& plot) {
  const std::vector<ContourSegment> segments = contour_segments(p);
  if (segments.empty()) return;
  cairo_save(cr);
  cairo_rectangle(cr, plot.x, plot.y, plot.w, plot.h);
  cairo_clip(cr);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  // A dark halo under a white line: visible on both ends of the colour map.
  for (const auto& [width, rgb, alpha] :
       {std::tuple{4.0, 0x000000u, 0.55}, std::tuple{2.0, 0xFFFFFFu, 1.0}}) {
    for (const ContourSegment& s : segments) {
      const auto [x0, y0] = grid_to_px(p, plot, s.x0, s.y0);
      const auto [x1, y1] = grid_to_px(p, plot, s.x1, s.y1);
      line(cr, x0, y0, x1, y1);
    }
    cairo_set_source_rgba(cr, (rgb >> 16 & 255) / 255.0, (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0,
                          alpha);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
  }
  // Each level labelled once, in a white box. Where the contour crosses a column of cell
  // centres halfway between two rows, the label sits between those cells' printed values;
  // among such places, the one nearest the middle of the grid.
  const double cx = (p.x_ticks.size() - 1) / 2.0, cy = (p.y_ticks.size() - 1) / 2.0;
  for (const double level : contour_levels(p)) {
    double best = std::numeric_limits<double>::infinity(), gx = 0, gy = 0;
    for (const ContourSegment& s : segments) {
      if (s.level != level) continue;
      for (const auto& [x, y] : {std::pair{s.x0, s.y0}, std::pair{s.x1, s.y1}}) {
        const bool on_column = x == std::round(x) && y != std::round(y);
        const double off_middle = on_column ? std::fabs(y - std::floor(y) - 0.5) : 1;
        const double score = off_middle + 0.05 * std::hypot(x - cx, y - cy);
        if (score < best) best = score, gx = x, gy = y;
      }
    }
    if (!std::isfinite(best)) continue;
    const auto [x, y] = grid_to_px(p, plot, gx, gy);
    const std::string label = level_label(level);
    set_font(cr, 10);
    const double w = text_width(cr, label) + 6;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x - w / 2, y - 7, w, 14);
    cairo_fill(cr);
    text(cr, label, x, y + 4, 0.5, 10, 0x222222);
  }
  cairo_restore(cr);
}

void draw_colour_bar(cairo_t* cr, const HeatMapPanel& p, const Rect& bar) {
  // Thin horizontal bands, one per pixel row, top = highest value.
  for (int row = 0; row < static_cast<int>(std::ceil(bar.h)); ++row) {
    set_rgb(cr, colour_map(1 - (row + 0.5) / bar.h));
    cairo_rectangle(cr, bar.x, bar.y + row, bar.w, std::min(1.0, bar.h - row) + 0.5);
    cairo_fill(cr);
  }
  set_rgb(cr, 0x333333);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, std::round(bar.x) + 0.5, std::round(bar.y) + 0.5, std::round(bar.w), std::round(bar.h));
  cairo_stroke(cr);
  // Round ticks inside the data's range; one value alone (every cell colour_map(0.5)) is
  // labelled at the middle.
  const auto [lo, hi] = colour_range(p);
  std::vector<std::pair<double, std::string>> ticks;
  if (hi > lo) {
    const Axis axis = linear_axis(lo, hi);
    for (const double u : axis.ticks)
      if (u >= lo - (hi - lo) * 1e-9 && u <= hi + (hi - lo) * 1e-9)
        ticks.push_back({bar.y + bar.h * (hi - u) / (hi - lo), axis.label(u)});
  } else {
    ticks.push_back({bar.y + bar.h / 2, value_label(lo)});
  }
  for (const auto& [y, label] : ticks) {
    set_rgb(cr, 0x333333);
    line(cr, bar.x + bar.w, y, bar.x + bar.w + 4, y);
    cairo_stroke(cr);
    text(cr, label, bar.x + bar.w + 6, y + 4, 0, 10, 0x333333);
  }
  const double size = fitting_size(cr, p.metric, 11, bar.h + 40);
  vertical_text(cr, p.metric, bar.x + kRight - kBarGap - 6, bar.y + bar.h / 2, size, 0x333333);
}

void draw_heat_map(cairo_t* cr, const HeatMapPanel& p, const Rect& box, const Rect& plot, const Rect& bar) {
  const std::size_t nx = p.x_ticks.size(), ny = p.y_ticks.size();
  const double centre = box.x + box.w / 2;
  text(cr, p.title, centre, box.y + 20, 0.5, fitting_size(cr, p.title, 15, box.w - 10, true), 0, true);
  const std::size_t best = best_cell(p);
  if (best < p.value.size())
    text(cr,
         std::string(p.higher_is_better ? "highest " : "lowest ") + value_label(p.value[best]) + " at " +
             p.x_ticks[best % nx] + " x " + p.y_ticks[best / nx] + " (outlined)",
         centre, box.y + 38, 0.5, 11, 0x555555);

  const auto range = colour_range(p);
  for (std::size_t iy = 0; iy < ny; ++iy)
    for (std::size_t ix = 0; ix < nx; ++ix)
      draw_cell(cr, cell_rect(p, plot, ix, iy), p.value[iy * nx + ix], range);
  draw_contours(cr, p, plot);
  if (best < p.value.size()) {
    const Rect r = cell_rect(p, plot, best % nx, best / nx);
    set_rgb(cr, kBestOutline);
    cairo_set_line_width(cr, 3);
    cairo_rectangle(cr, r.x + 1.5, r.y + 1.5, r.w - 3, r.h - 3);
    cairo_stroke(cr);
  }

  // Swept values under and left of their cells; the keys beyond them.
  const auto [x_size, x_stride] = slot_labels(cr, p.x_ticks, plot.w / nx);
  for (std::size_t ix = 0; ix < nx; ix += x_stride)
    text(cr, p.x_ticks[ix], plot.x + (ix + 0.5) * plot.w / nx, plot.y + plot.h + 16, 0.5, x_size, 0x333333);
  text(cr, p.x_label, plot.x + plot.w / 2, plot.y + plot.h + 38, 0.5,
       fitting_size(cr, p.x_label, 12, box.w - 10), 0x222222);
  const double y_slot = plot.h / ny;
  set_font(cr, 11);
  for (std::size_t iy = 0; iy < ny; iy += y_slot >= 13 ? 1 : static_cast<std::size_t>(std::ceil(13 / y_slot)))
    text(cr, p.y_ticks[iy], plot.x - 6, plot.y + plot.h - (iy + 0.5) * y_slot + 4, 1,
         fitting_size(cr, p.y_ticks[iy], 11, kLeft - 30), 0x333333);
  vertical_text(cr, p.y_label, box.x + 16, plot.y + plot.h / 2, fitting_size(cr, p.y_label, 12, plot.h + 40),
                0x222222);
  draw_colour_bar(cr, p, bar);
}

}  // namespace

unsigned colour_map(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  // Lightness rises evenly from dark to light while the hue turns from purple (300 deg) through
  // blue and teal to yellow (105 deg), as in viridis. The wanted chroma is reduced until the
  // colour is inside sRGB (bisection), which keeps lightness, the perceptual ordering, exact.
  const double L = 0.27 + 0.66 * t, hue = (300 - 195 * t) * M_PI / 180;
  double ok = 0, out = 0.13 + 0.05 * t;
  std::array<double, 3> rgb{};
  if (!oklab_to_linear_srgb(L, out * std::cos(hue), out * std::sin(hue), rgb)) {
    for (int i = 0; i < 30; ++i) {
      const double c = (ok + out) / 2;
      (oklab_to_linear_srgb(L, c * std::cos(hue), c * std::sin(hue), rgb) ? ok : out) = c;
    }
    oklab_to_linear_srgb(L, ok * std::cos(hue), ok * std::sin(hue), rgb);
  }
  unsigned packed = 0;
  for (const double c : rgb)
    packed = packed << 8 | static_cast<unsigned>(std::lround(255 * to_srgb(std::clamp(c, 0.0, 1.0))));
  return packed;
}

std::string level_label(double level) {
  for (const auto& [scale, suffix] : {std::pair{1e9, "G"}, std::pair{1e6, "M"}, std::pair{1e3, "k"}})
    if (std::fabs(level) >= scale) return number(std::stod(format("%.3g", level / scale))) + suffix;
  return number(std::stod(format("%.3g", level)));
}

std::vector<double> contour_levels(const HeatMapPanel& p) {
  if (p.parameters.empty() || !p.iso_levels.empty()) return p.iso_levels;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const double v : p.parameters)
    if (finite_positive(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(hi > lo)) return {};
  // Round numbers strictly inside the data: powers of ten if they give at least 3 levels, else
  // finer mantissas; more than 5 are thinned to 4 evenly spaced in log.
  std::vector<double> levels;
  for (const std::vector<double>& mantissas :
       {std::vector{1.0}, std::vector{1.0, 3.0}, std::vector{1.0, 2.0, 5.0},
        std::vector{1.0, 1.5, 2.0, 3.0, 5.0, 7.0}}) {
    levels.clear();
    for (double decade = std::pow(10.0, std::floor(std::log10(lo))); decade <= hi; decade *= 10)
      for (const double m : mantissas)
        if (m * decade > lo && m * decade < hi) levels.push_back(m * decade);
    if (levels.size() >= 3) break;
  }
  if (levels.size() <= 5) return levels;
  std::vector<double> thinned;
  for (int k = 0; k < 4; ++k) {
    const std::size_t i = static_cast<std::size_t>(std::lround((levels.size() - 1) * (k + 0.5) / 4));
    if (thinned.empty() || thinned.back() != levels[i]) thinned.push_back(levels[i]);
  }
  return thinned;
}

std::vector<ContourSegment> contour_segments(const HeatMapPanel& p) {
  validate(p);
  std::vector<ContourSegment> out;
  if (p.parameters.empty()) return out;
  const std::size_t nx = p.x_ticks.size(), ny = p.y_ticks.size();
  // Parameter counts grow geometrically with the swept sizes: interpolate in their logarithm.
  auto log_p = [&](std::size_t ix, std::size_t iy) {
    const double v = p.parameters[iy * nx + ix];
    return finite_positive(v) ? std::log(v) : std::numeric_limits<double>::quiet_NaN();
  };
  for (const double level : contour_levels(p)) {
    const double target = std::log(level);
    for (std::size_t iy = 0; iy + 1 < ny; ++iy)
      for (std::size_t ix = 0; ix + 1 < nx; ++ix) {
        // Corners counter-clockwise from bottom left; edge k runs from corner k to corner k+1.
        const double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
        double v[4];
        for (int k = 0; k < 4; ++k)
          v[k] = log_p(ix + static_cast<std::size_t>(cx[k]), iy + static_cast<std::size_t>(cy[k]));
        if (!std::all_of(v, v + 4, [](double x) { return std::isfinite(x); })) continue;
        std::vector<std::array<double, 2>> cross;  // crossing points, in edge order
        for (int k = 0; k < 4; ++k) {
          const int n = (k + 1) % 4;
          if ((v[k] >= target) == (v[n] >= target)) continue;
          const double t = (target - v[k]) / (v[n] - v[k]);
          cross.push_back({ix + cx[k] + t * (cx[n] - cx[k]), iy + cy[k] + t * (cy[n] - cy[k])});
        }
        auto add = [&](std::size_t a, std::size_t b) {
          out.push_back({level, cross[a][0], cross[a][1], cross[b][0], cross[b][1]});
        };
        if (cross.size() == 2) add(0, 1);
        if (cross.size() == 4) {
          // A saddle: the mean of the corners decides whether corner 0's side joins corner 2's.
          // Corner 0 above with the centre: the contour cuts off corners 1 and 3 (edges 0,1 / 2,3).
          const bool centre_above = (v[0] + v[1] + v[2] + v[3]) / 4 >= target;
          if (centre_above == (v[0] >= target)) add(0, 1), add(2, 3);
          else add(3, 0), add(1, 2);
        }
      }
  }
  return out;
}

std::pair<double, double> colour_range(const HeatMapPanel& p) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const double v : p.value)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  return lo <= hi ? std::pair{lo, hi} : std::pair{0.0, 1.0};
}

std::size_t best_cell(const HeatMapPanel& p) {
  std::size_t best = p.value.size();
  for (std::size_t i = 0; i < p.value.size(); ++i)
    if (std::isfinite(p.value[i]) &&
        (best == p.value.size() ||
         (p.higher_is_better ? p.value[i] > p.value[best] : p.value[i] < p.value[best])))
      best = i;
  return best;
}

Rect cell_rect(const HeatMapPanel& p, const Rect& plot, std::size_t ix, std::size_t iy) {
  const double cw = plot.w / p.x_ticks.size(), ch = plot.h / p.y_ticks.size();
  return {plot.x + ix * cw, plot.y + plot.h - (iy + 1) * ch, cw, ch};
}

HeatMapLayout heat_map_layout(const std::vector<HeatMapPanel>& panels, const std::string& title) {
  if (panels.empty()) throw std::invalid_argument("heat maps '" + title + "' need at least one panel");
  for (const HeatMapPanel& p : panels) validate(p);
  Scratch cr;
  set_font(cr.get(), 20, true);
  const std::size_t cols = std::min(kMaxCols, panels.size()), rows = (panels.size() + cols - 1) / cols;
  HeatMapLayout L;
  const double width = std::max(cols * kPanelW, text_width(cr.get(), title)) + 2 * kMargin;
  L.width = static_cast<int>(std::ceil(width));
  L.height = static_cast<int>(std::ceil(kTitleH + rows * kPanelH + kMargin));
  L.panels = panel_grid(panels.size(), width, kTitleH, kPanelW, kPanelH);
  for (const Rect& box : L.panels) {
    const Rect plot{box.x + kLeft, box.y + kTop, box.w - kLeft - kRight, box.h - kTop - kBottom};
    L.plots.push_back(plot);
    L.colour_bars.push_back({plot.x + plot.w + kBarGap, plot.y, kBarW, plot.h});
  }
  return L;
}

}  // namespace detail

void write_heat_maps(const std::vector<HeatMapPanel>& panels, const std::string& title,
                     const std::string& png_path, const std::string& svg_path) {
  const detail::HeatMapLayout L = detail::heat_map_layout(panels, title);
  auto draw = [&](cairo_t* cr) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    detail::text(cr, title, L.width / 2.0, 32, 0.5, 20, 0x000000, true);
    for (std::size_t i = 0; i < panels.size(); ++i)
      detail::draw_heat_map(cr, panels[i], L.panels[i], L.plots[i], L.colour_bars[i]);
  };
  detail::render_figure(L.width, L.height, draw, png_path, svg_path);
}

}  // namespace ransim
