#pragma once
// The figures of a `ransim compare` sweep: heat maps of a metric over two swept keys, with
// iso-parameter contours (as in the recurrent attention network poster's units x dim sweep),
// and line plots of a metric against one swept key. Drawn like the bar chart (chart.hpp): one
// drawing routine rendered by cairo to a PNG and to an SVG (1 px in the PNG = 1 SVG unit).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "study/chart.hpp"  // detail::Rect

namespace ransim {

// One metric over two swept keys, for one model x task. Cells are evenly spaced (the swept
// values are categorical), the first x value on the left, the first y value at the bottom.
struct HeatMapPanel {
  std::string title;                          // e.g. "figure_a: memory_capacity"
  std::string x_label, y_label;               // the swept keys, e.g. "population.blocks.units"
  std::vector<std::string> x_ticks, y_ticks;  // the swept values as written
  std::vector<double> value;       // y-major: value[iy * x_ticks.size() + ix]; NaN = no result ("n/a")
  std::string metric;              // colour-bar label, e.g. "memory capacity (higher is better)"
  bool higher_is_better = true;    // the best cell is outlined
  std::vector<double> parameters;  // same shape: parameter count per cell (empty: no contours)
  std::vector<double> iso_levels;  // contour levels (empty: ~4 round numbers spanning the data)
};

// Writes the heat maps, up to 3 per row, to png_path and svg_path (either may be empty to
// skip). Throws std::invalid_argument if there are no panels or a panel's sizes do not match
// (a caller's bug), ransim::RunError naming the path if a file cannot be written.
void write_heat_maps(const std::vector<HeatMapPanel>& panels, const std::string& title,
                     const std::string& png_path, const std::string& svg_path);

// A metric against one swept key, one line per model with error bars of +- std over seeds.
struct LinePanel {
  std::string title, x_label, metric;
  // The swept values as written: at their numeric positions if all are numbers (a log axis if
  // all are > 0 and they span more than a decade), else evenly spaced.
  std::vector<std::string> x_ticks;
  std::vector<std::string> series;                // one per model; same name, same colour
  std::vector<std::vector<double>> mean, stddev;  // [series][x]; NaN = missing (line broken)
  bool log_y = false;  // for error metrics spanning decades; values <= 0 are then missing
  bool linear_x = false;  // a linear x axis even when the values span decades (time, delays)
  bool markers = true;    // a dot at each point (off for long series drawn as curves)
};

// Writes the line plots, up to 3 per row, with one legend of all series; errors as
// write_heat_maps.
void write_line_plots(const std::vector<LinePanel>& panels, const std::string& title,
                      const std::string& png_path, const std::string& svg_path);

namespace detail {

// --- heat maps: geometry and the pieces a test can check against closed forms ---

struct HeatMapLayout {
  int width = 0, height = 0;
  std::vector<Rect> panels;       // one box per panel
  std::vector<Rect> plots;        // per panel, the cell grid
  std::vector<Rect> colour_bars;  // per panel
};
// Throws std::invalid_argument as write_heat_maps does.
HeatMapLayout heat_map_layout(const std::vector<HeatMapPanel>& panels, const std::string& title);
Rect cell_rect(const HeatMapPanel& panel, const Rect& plot, std::size_t ix, std::size_t iy);

// The perceptually uniform colour map: t in [0, 1] (clamped) to 0xRRGGBB, dark purple through
// blue and green to yellow, lightness rising evenly (OKLab lightness, viridis-like).
unsigned colour_map(double t);
// The value range the panel's colours span: {min, max} of its finite values ({0, 1} if none).
std::pair<double, double> colour_range(const HeatMapPanel& panel);
// The index of the best finite cell (ties: the first), or value.size() if there is none.
std::size_t best_cell(const HeatMapPanel& panel);

// A piece of an iso-parameter contour in grid units: x = ix and y = iy at cell (ix, iy)'s
// centre. Marching squares on the cell centres, interpolated in log(parameters).
struct ContourSegment {
  double level, x0, y0, x1, y1;
};
std::vector<double> contour_levels(const HeatMapPanel& panel);  // iso_levels, or chosen ones
std::vector<ContourSegment> contour_segments(const HeatMapPanel& panel);
std::string level_label(double level);  // 10000 -> "10k", 2.5e6 -> "2.5M"

// --- line plots ---

struct LinePlotLayout {
  int width = 0, height = 0;
  std::vector<Rect> panels, plots;
  std::vector<std::string> series;  // all panels' series, in order of first appearance
  std::vector<Rect> swatches;       // per series, in the legend
};
LinePlotLayout line_plot_layout(const std::vector<LinePanel>& panels);
// Where point (series s, x index i) of panel p is drawn; {NaN, NaN} if it is missing.
struct Point {
  double x, y;
};
Point line_point(const std::vector<LinePanel>& panels, const LinePlotLayout& layout, std::size_t p,
                 std::size_t s, std::size_t i);

}  // namespace detail
}  // namespace ransim
