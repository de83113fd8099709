// write_heat_maps and write_line_plots (core/study/sweep_chart.hpp): files of the layout's size,
// cells in the colour map's colours (checked against an independent sRGB -> OKLab conversion),
// missing cells and the best cell marked, contours where the closed form puts them, line plot
// points where their values put them, and errors as documented.
#include <cairo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "study/sweep_chart.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using ransim::HeatMapPanel;
using ransim::LinePanel;
namespace detail = ransim::detail;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 6 x 4 cells, value = ix + 10 iy (so every cell differs), cell (1, 2) missing, no contours.
HeatMapPanel plain_heat_map() {
  HeatMapPanel p;
  p.title = "figure_a: memory_capacity";
  p.x_label = "population.blocks.units";
  p.y_label = "population.blocks.dim";
  p.x_ticks = {"2", "4", "8", "16", "32", "64"};
  p.y_ticks = {"2", "4", "8", "16"};
  p.metric = "memory capacity (higher is better)";
  for (int iy = 0; iy < 4; ++iy)
    for (int ix = 0; ix < 6; ++ix) p.value.push_back(ix + 10.0 * iy);
  p.value[2 * 6 + 1] = kNaN;
  return p;
}

// The same grid with parameter counts P = 1000 * 2^ix * 4^iy: log P is linear in the grid
// coordinates, so an iso-P contour is the straight line ix ln 2 + iy ln 4 = ln(P / 1000).
HeatMapPanel contour_heat_map() {
  HeatMapPanel p = plain_heat_map();
  for (int iy = 0; iy < 4; ++iy)
    for (int ix = 0; ix < 6; ++ix) p.parameters.push_back(1000 * std::pow(2.0, ix) * std::pow(4.0, iy));
  return p;
}

LinePanel sample_line_panel() {
  LinePanel p;
  p.title = "memory_capacity";
  p.x_label = "population.blocks.units";
  p.metric = "memory capacity";
  p.x_ticks = {"1", "2", "4"};
  p.series = {"attention", "esn"};
  p.mean = {{10, 20, 40}, {5, kNaN, 15}};
  p.stddev = {{1, 2, 3}, {0, 0, 0}};
  return p;
}

class SweepChartTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ransim::test::test_dir(); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

void expect_png_of_size(const std::string& file, int width, int height) {
  const std::string bytes = slurp(file);
  ASSERT_GT(bytes.size(), 24u) << file;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(bytes, 16), static_cast<std::uint32_t>(width));
  EXPECT_EQ(be32(bytes, 20), static_cast<std::uint32_t>(height));
}

void expect_svg_of_width(const std::string& file, int width) {
  const std::string text = slurp(file);
  EXPECT_EQ(text.rfind("<?xml", 0), 0u);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("width=\"" + std::to_string(width)), std::string::npos);
  EXPECT_NE(text.find("</svg>"), std::string::npos);  // finished, not truncated
}

// A PNG read back with cairo; rgb(x, y) of an opaque image (RGB24 or ARGB32 alike).
class Image {
 public:
  explicit Image(const std::string& file) : img_(cairo_image_surface_create_from_png(file.c_str())) {
    cairo_surface_flush(img_);
  }
  ~Image() { cairo_surface_destroy(img_); }
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;
  bool ok() const { return cairo_surface_status(img_) == CAIRO_STATUS_SUCCESS; }
  std::uint32_t rgb(double x, double y) const {
    const unsigned char* data = cairo_image_surface_get_data(img_);
    const int stride = cairo_image_surface_get_stride(img_);
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<int>(y) * stride);
    return row[static_cast<int>(x)] & 0xFFFFFF;
  }

 private:
  cairo_surface_t* img_;
};

bool is_grey(std::uint32_t rgb) {
  return (rgb >> 16 & 255) == (rgb >> 8 & 255) && (rgb >> 8 & 255) == (rgb & 255);
}

// OKLab lightness of an sRGB colour, by the forward transform (Ottosson 2020; the drawing
// code uses the inverse), so the colour map is checked by an independent path.
double oklab_lightness(std::uint32_t rgb) {
  double c[3];
  for (int k = 0; k < 3; ++k) {
    const double s = (rgb >> (16 - 8 * k) & 255) / 255.0;
    c[k] = s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  }
  const double l = 0.4122214708 * c[0] + 0.5363325363 * c[1] + 0.0514459929 * c[2];
  const double m = 0.2119034982 * c[0] + 0.6806995451 * c[1] + 0.1073969566 * c[2];
  const double s = 0.0883024619 * c[0] + 0.2817188376 * c[1] + 0.6299787005 * c[2];
  return 0.2104542553 * std::cbrt(l) + 0.7936177850 * std::cbrt(m) - 0.0040720468 * std::cbrt(s);
}

}  // namespace

TEST(ColourMap, LightnessRisesEvenlyFromPurpleToYellow) {
  // Perceptually uniform: equal steps of t are equal steps of lightness (to 8-bit rounding).
  for (int k = 0; k <= 20; ++k) {
    const double t = k / 20.0;
    EXPECT_NEAR(oklab_lightness(detail::colour_map(t)), 0.27 + 0.66 * t, 0.006) << "t = " << t;
  }
  const std::uint32_t dark = detail::colour_map(0), light = detail::colour_map(1);
  EXPECT_GT(dark & 255, dark >> 8 & 255);          // purple: more blue than green
  EXPECT_GT(dark >> 16 & 255, dark >> 8 & 255);    // and more red than green
  EXPECT_GT(light >> 8 & 255, 3 * (light & 255));  // yellow: little blue
  EXPECT_GT(light >> 16 & 255, 3 * (light & 255));
  EXPECT_EQ(detail::colour_map(-3), dark);  // clamped
  EXPECT_EQ(detail::colour_map(kNaN), dark);
}

TEST_F(SweepChartTest, HeatMapFilesHaveTheLayoutSize) {
  const std::vector<HeatMapPanel> panels(4, contour_heat_map());
  ransim::write_heat_maps(panels, "sweep", path("h.png"), path("h.svg"));
  const auto L = detail::heat_map_layout(panels, "sweep");
  // 4 panels, 3 per row: two rows.
  EXPECT_EQ(L.panels.size(), 4u);
  EXPECT_GT(L.panels[3].y, L.panels[0].y + L.panels[0].h - 1e-9);
  expect_png_of_size(path("h.png"), L.width, L.height);
  expect_svg_of_width(path("h.svg"), L.width);
}

TEST_F(SweepChartTest, CellsHaveTheColourMapsColourOfTheirValue) {
  const HeatMapPanel p = plain_heat_map();
  ransim::write_heat_maps({p}, "colours", path("c.png"), "");
  const auto L = detail::heat_map_layout({p}, "colours");
  const Image img(path("c.png"));
  ASSERT_TRUE(img.ok());
  // Values 0 .. 35 over the whole map: a cell of value v is colour_map(v / 35). Sampled a
  // quarter in from the corner, away from the value printed in the middle.
  int checked = 0;
  for (std::size_t iy = 0; iy < 4; ++iy)
    for (std::size_t ix = 0; ix < 6; ++ix) {
      const double v = p.value[iy * 6 + ix];
      if (!std::isfinite(v) || p.value[iy * 6 + ix] == 35) continue;  // 35 is outlined as best
      const auto r = detail::cell_rect(p, L.plots[0], ix, iy);
      EXPECT_EQ(img.rgb(r.x + r.w / 4, r.y + r.h / 4), detail::colour_map(v / 35)) << ix << ", " << iy;
      ++checked;
    }
  EXPECT_EQ(checked, 22);
}

TEST_F(SweepChartTest, MissingCellIsGreyAndBestCellIsOutlined) {
  HeatMapPanel p = plain_heat_map();
  ransim::write_heat_maps({p}, "marks", path("m.png"), "");
  const auto L = detail::heat_map_layout({p}, "marks");
  const Image img(path("m.png"));
  const auto missing = detail::cell_rect(p, L.plots[0], 1, 2);
  for (const double f : {0.2, 0.3, 0.7})
    EXPECT_TRUE(is_grey(img.rgb(missing.x + f * missing.w, missing.y + f * missing.h)))
        << std::hex << img.rgb(missing.x + f * missing.w, missing.y + f * missing.h);
  EXPECT_FALSE(is_grey(img.rgb(missing.x + missing.w * 1.25, missing.y + missing.h / 4)));  // neighbour

  // The best cell (value 35, top right) has an outline 3 px wide inside its edge; a cell that
  // is not best has its plain colour there.
  ASSERT_EQ(detail::best_cell(p), 23u);
  const auto best = detail::cell_rect(p, L.plots[0], 5, 3), other = detail::cell_rect(p, L.plots[0], 4, 3);
  EXPECT_EQ(img.rgb(best.x + best.w / 4, best.y + 1.5), 0xD55E00u);
  EXPECT_EQ(img.rgb(best.x + 1.5, best.y + best.h * 0.75), 0xD55E00u);
  EXPECT_EQ(img.rgb(other.x + other.w / 4, other.y + 1.5), detail::colour_map(34.0 / 35));

  p.higher_is_better = false;
  EXPECT_EQ(detail::best_cell(p), 0u);
  p.value.assign(p.value.size(), kNaN);
  EXPECT_EQ(detail::best_cell(p), p.value.size());
  EXPECT_NO_THROW(ransim::write_heat_maps({p}, "all missing", path("n.png"), ""));
}

TEST_F(SweepChartTest, ContoursLieOnTheClosedFormIsoParameterLine) {
  HeatMapPanel p = contour_heat_map();
  // P spans 1000 .. 1000 * 2^5 * 4^3 = 2.048e6: the chosen levels are the powers of ten inside.
  EXPECT_EQ(detail::contour_levels(p), (std::vector<double>{1e4, 1e5, 1e6}));
  p.iso_levels = {1e4};
  const auto segments = detail::contour_segments(p);
  ASSERT_FALSE(segments.empty());
  // Every end point on the line x ln 2 + y ln 4 = ln 10 (log interpolation is exact here).
  for (const auto& s : segments) {
    EXPECT_EQ(s.level, 1e4);
    EXPECT_NEAR(s.x0 * std::log(2.0) + s.y0 * std::log(4.0), std::log(10.0), 1e-12);
    EXPECT_NEAR(s.x1 * std::log(2.0) + s.y1 * std::log(4.0), std::log(10.0), 1e-12);
  }
  // On the bottom row it passes between cells 3 (P = 8000) and 4 (16000), at 3 + log2(10000 / 8000).
  const double expected_x = 3 + std::log2(1.25);
  const bool found = std::any_of(segments.begin(), segments.end(), [&](const auto& s) {
    return (std::fabs(s.y0) < 1e-12 && std::fabs(s.x0 - expected_x) < 1e-12) ||
           (std::fabs(s.y1) < 1e-12 && std::fabs(s.x1 - expected_x) < 1e-12);
  });
  EXPECT_TRUE(found);
  // One segment per grid square the line x + 2 y = log2(10) crosses, from (3.32, 0) to (0, 1.66):
  // squares (3, 0), (2, 0), (1, 0) below y = 1 and (1, 1), (0, 1) above.
  EXPECT_EQ(segments.size(), 5u);

  EXPECT_EQ(detail::level_label(1e4), "10k");
  EXPECT_EQ(detail::level_label(2.5e6), "2.5M");
  EXPECT_EQ(detail::level_label(500), "500");

  // On the PNG the contour is a white line over the dark cell (3, 0) (value 3 of 0 .. 35).
  p.iso_levels = {};
  ransim::write_heat_maps({p}, "contours", path("k.png"), path("k.svg"));
  const auto L = detail::heat_map_layout({p}, "contours");
  const auto& plot = L.plots[0];
  const double x = plot.x + (expected_x + 0.5) * plot.w / 6, y = plot.y + plot.h - 0.5 * plot.h / 4;
  const Image img(path("k.png"));
  const std::uint32_t on_line = img.rgb(x, y);
  for (int shift : {16, 8, 0}) EXPECT_GT(on_line >> shift & 255, 200u) << std::hex << on_line;
  EXPECT_LT(oklab_lightness(detail::colour_map(3.0 / 35)), 0.4);
}

TEST_F(SweepChartTest, DegenerateHeatMapsStillRender) {
  HeatMapPanel one;
  one.title = "one cell";
  one.x_ticks = {"8"}, one.y_ticks = {"4"};
  one.value = {2.5};
  one.parameters = {1000};  // no square of four cells: no contour
  EXPECT_TRUE(detail::contour_segments(one).empty());
  HeatMapPanel flat = plain_heat_map();
  flat.value.assign(flat.value.size(), 7.0);  // one value: every cell the middle colour
  flat.parameters.assign(flat.value.size(), 500.0);
  EXPECT_TRUE(detail::contour_levels(flat).empty());
  HeatMapPanel outside = contour_heat_map();
  outside.iso_levels = {10, 1e9};  // beyond the data: no segments
  EXPECT_TRUE(detail::contour_segments(outside).empty());
  ransim::write_heat_maps({one, flat, outside}, "edge cases", path("d.png"), path("d.svg"));
  const auto L = detail::heat_map_layout({one, flat, outside}, "edge cases");
  const Image img(path("d.png"));
  const auto r = detail::cell_rect(flat, L.plots[1], 0, 0);
  EXPECT_EQ(img.rgb(r.x + r.w / 4, r.y + r.h / 4), detail::colour_map(0.5));
}

TEST(Contours, SaddleGivesTwoSeparateSegments) {
  HeatMapPanel p;
  p.title = "saddle";
  p.x_ticks = {"a", "b"}, p.y_ticks = {"c", "d"};
  p.value = {1, 2, 3, 4};
  p.parameters = {1, 100, 100, 1};  // the high corners diagonal to each other
  p.iso_levels = {5};               // below the centre (geometric mean 10): the high corners join
  const auto s = detail::contour_segments(p);
  ASSERT_EQ(s.size(), 2u);
  // Each segment cuts off one low corner, (0, 0) or (1, 1): its ends are on that corner's edges.
  for (const auto& seg : s) {
    const bool near_origin = seg.x0 + seg.y0 < 1 && seg.x1 + seg.y1 < 1;
    const bool near_top = seg.x0 + seg.y0 > 1 && seg.x1 + seg.y1 > 1;
    EXPECT_TRUE(near_origin || near_top) << seg.x0 << "," << seg.y0 << " " << seg.x1 << "," << seg.y1;
  }
}

TEST_F(SweepChartTest, LinePointsSitWhereTheirValuesPutThem) {
  std::vector<LinePanel> panels{sample_line_panel()};
  LinePanel log_x = sample_line_panel();
  log_x.x_ticks = {"1", "10", "100"};
  log_x.log_y = true;
  log_x.mean = {{1e-3, 1e-2, 1e-1}, {1e-2, 0.0, 0.3}};  // 0 cannot be shown on a log axis
  LinePanel categorical = sample_line_panel();
  categorical.x_ticks = {"relu", "tanh", "id"};
  panels.push_back(log_x);
  panels.push_back(categorical);
  ransim::write_line_plots(panels, "lines", path("l.png"), path("l.svg"));
  const auto L = detail::line_plot_layout(panels);
  expect_png_of_size(path("l.png"), L.width, L.height);
  expect_svg_of_width(path("l.svg"), L.width);
  auto pt = [&](std::size_t p, std::size_t s, std::size_t i) {
    return detail::line_point(panels, L, p, s, i);
  };

  // Linear x (1, 2, 4 span less than a decade) and y: positions proportional to the values.
  EXPECT_NEAR((pt(0, 0, 1).x - pt(0, 0, 0).x) / (pt(0, 0, 2).x - pt(0, 0, 0).x), 1.0 / 3, 1e-12);
  EXPECT_NEAR((pt(0, 0, 1).y - pt(0, 0, 0).y) / (pt(0, 0, 2).y - pt(0, 0, 0).y), 1.0 / 3, 1e-12);
  EXPECT_LT(pt(0, 0, 2).y, pt(0, 0, 0).y);  // higher value, higher on the image
  EXPECT_TRUE(std::isnan(pt(0, 1, 1).x));   // missing
  // Log x and log y: decades equally spaced.
  EXPECT_NEAR(pt(1, 0, 1).x - pt(1, 0, 0).x, pt(1, 0, 2).x - pt(1, 0, 1).x, 1e-9);
  EXPECT_NEAR(pt(1, 0, 1).y - pt(1, 0, 0).y, pt(1, 0, 2).y - pt(1, 0, 1).y, 1e-9);
  EXPECT_TRUE(std::isnan(pt(1, 1, 1).y));
  // Categorical: the middles of equal slots.
  const auto& plot = L.plots[2];
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(pt(2, 0, i).x, plot.x + plot.w * (i + 0.5) / 3, 1e-9);

  // Every point inside its plot, drawn in its series' colour (Okabe-Ito blue, orange).
  const Image img(path("l.png"));
  const std::uint32_t colours[] = {0x0072B2, 0xE69F00};
  int checked = 0;
  for (std::size_t p = 0; p < panels.size(); ++p)
    for (std::size_t s = 0; s < 2; ++s)
      for (std::size_t i = 0; i < 3; ++i) {
        const auto q = pt(p, s, i);
        if (std::isnan(q.x)) continue;
        const auto& r = L.plots[p];
        EXPECT_TRUE(q.x >= r.x && q.x <= r.x + r.w && q.y >= r.y && q.y <= r.y + r.h) << p << s << i;
        EXPECT_EQ(img.rgb(q.x, q.y), colours[s]) << "panel " << p << " series " << s << " x " << i;
        ++checked;
      }
  EXPECT_EQ(checked, 15);  // 18 points, 3 missing
}

TEST_F(SweepChartTest, SeriesKeepTheirColourAcrossPanels) {
  LinePanel a = sample_line_panel(), b = sample_line_panel();
  b.series = {"esn", "attention"};  // the other order
  std::swap(b.mean[0], b.mean[1]);
  std::swap(b.stddev[0], b.stddev[1]);
  const auto L = detail::line_plot_layout({a, b});
  EXPECT_EQ(L.series, (std::vector<std::string>{"attention", "esn"}));
  ransim::write_line_plots({a, b}, "order", path("o.png"), "");
  const Image img(path("o.png"));
  const auto q = detail::line_point({a, b}, L, 1, 1, 0);  // "attention" in panel b
  EXPECT_EQ(img.rgb(q.x, q.y), 0x0072B2u);
}

TEST_F(SweepChartTest, MalformedInputIsRefusedBeforeAnyFile) {
  auto refused = [&](const std::vector<HeatMapPanel>& h) {
    EXPECT_THROW(ransim::write_heat_maps(h, "t", path("x.png"), path("x.svg")), std::invalid_argument);
  };
  refused({});
  HeatMapPanel h = plain_heat_map();
  h.value.pop_back();
  refused({h});
  h = contour_heat_map();
  h.parameters.pop_back();
  refused({h});
  h = contour_heat_map();
  h.iso_levels = {1e4, -1};
  refused({h});
  h = plain_heat_map();
  h.y_ticks.clear();
  refused({h});

  auto refused_lines = [&](const std::vector<LinePanel>& l) {
    EXPECT_THROW(ransim::write_line_plots(l, "t", path("x.png"), path("x.svg")), std::invalid_argument);
  };
  refused_lines({});
  LinePanel l = sample_line_panel();
  l.mean.pop_back();
  refused_lines({l});
  l = sample_line_panel();
  l.stddev[1].push_back(0);
  refused_lines({l});
  l = sample_line_panel();
  l.x_ticks.clear();
  refused_lines({l});
  EXPECT_FALSE(fs::exists(path("x.png")));
  EXPECT_FALSE(fs::exists(path("x.svg")));
}

TEST_F(SweepChartTest, UnwritablePathThrowsRunErrorNamingIt) {
  const std::string png = "/nonexistent/dir/x.png", svg = "/nonexistent/dir/x.svg";
  for (const auto& [p, s] : {std::pair{png, std::string()}, std::pair{std::string(), svg}}) {
    const std::string& where = p.empty() ? s : p;
    try {
      ransim::write_heat_maps({plain_heat_map()}, "t", p, s);
      ADD_FAILURE() << "no exception for " << where;
    } catch (const ransim::RunError& e) {
      EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
    }
    try {
      ransim::write_line_plots({sample_line_panel()}, "t", p, s);
      ADD_FAILURE() << "no exception for " << where;
    } catch (const ransim::RunError& e) {
      EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
    }
  }
}
