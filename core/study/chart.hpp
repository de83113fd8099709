#pragma once
// The bar chart that `ransim compare` writes: one drawing routine rendered by cairo to a PNG
// and to an SVG, so both files always show the same picture (1 px in the PNG = 1 SVG unit).
#include <cstddef>
#include <string>
#include <vector>

namespace ransim {

// A comparison of models on tasks: one panel per task (metrics differ in scale), one bar per
// model with an error bar of +- std over seeds.
struct ChartPanel {
  std::string title;           // e.g. "mackey_glass"
  std::string metric;          // e.g. "nrmse_test (lower is better)"
  std::vector<double> mean;    // one per model; NaN = no result (drawn as "n/a")
  std::vector<double> stddev;  // one per model (0 if one seed)
  bool log_scale = false;      // for error metrics spanning decades (nrmse): log10 axis;
                               // values <= 0 cannot be shown there and are drawn as "n/a"
};

struct Chart {
  std::string title;
  std::vector<std::string> models;  // bar labels / legend, one colour each
  std::vector<ChartPanel> panels;
};

// Writes the chart to png_path and svg_path (either may be empty to skip). Throws
// std::invalid_argument if the chart has no models or no panels, or a panel does not have one
// mean and one stddev per model (a caller's bug, not a run failure); throws ransim::RunError
// naming the path if a file cannot be written.
void write_chart(const Chart& chart, const std::string& png_path, const std::string& svg_path);

namespace detail {

// Pixel geometry shared by the renderer and the tests (so a test can find a bar on the PNG).
struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

struct ChartLayout {
  int width = 0, height = 0;   // whole image
  std::vector<Rect> panels;    // one box per panel, in a grid of up to 3 per row
  std::vector<Rect> plots;     // per panel, the area inside its axes
  std::vector<Rect> swatches;  // per model, its colour square in the legend
  bool bar_labels = false;     // model names fit under the bars (else only the legend names them)
};

// Throws std::invalid_argument as write_chart does.
ChartLayout chart_layout(const Chart& chart);

// The filled part of model m's bar in panel p (without the error bar); all zero for "n/a".
Rect bar_rect(const Chart& chart, const ChartLayout& layout, std::size_t panel, std::size_t model);

}  // namespace detail
}  // namespace ransim
