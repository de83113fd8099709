// write_chart (core/include/ransim/chart.hpp): the PNG and SVG files are written with the
// layout's size, the bars are really drawn in their models' colours where the layout says, and
// failures are reported as documented.
#include <cairo.h>
#include <gtest/gtest.h>

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
#include "study/chart.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using ransim::Chart;
using ransim::ChartPanel;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The first three Okabe-Ito colours, in the order chart.cpp documents.
constexpr std::uint32_t kColours[] = {0x0072B2, 0xE69F00, 0x009E73};

// 3 models x 4 panels: plain, log scale (spanning decades, one value <= 0), one NaN, negative.
Chart sample_chart() {
  Chart c;
  c.title = "ransim compare: sample";
  c.models = {"esn", "attention_block", "ridge_only"};
  c.panels = {
      {"mackey_glass", "nrmse_test (lower is better)", {0.12, 0.08, 0.31}, {0.01, 0.02, 0.0}},
      {"narma10", "nrmse_test (log)", {2e-3, 0.45, 0.0}, {1e-3, 0.1, 0.0}, true},
      {"memory_capacity", "MC (higher is better)", {18.2, kNaN, 9.5}, {1.1, 0.0, 0.7}},
      {"copy_task", "score", {-0.4, 0.25, 0.0}, {0.1, 0.05, 0.0}},
  };
  return c;
}

// A fresh directory per test, removed afterwards.
class ChartTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ransim::test::test_dir(); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

// RGB of pixel (x, y) of an ARGB32 or RGB24 image (opaque: premultiplication changes nothing).
std::uint32_t rgb_at(cairo_surface_t* img, double x, double y) {
  const unsigned char* data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<int>(y) * stride);
  return row[static_cast<int>(x)] & 0xFFFFFF;
}

}  // namespace

TEST_F(ChartTest, PngHasSignatureAndLayoutSize) {
  const Chart c = sample_chart();
  const fs::path png = dir_ / "chart.png";
  ransim::write_chart(c, png.string(), "");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_FALSE(fs::exists(dir_ / "chart.svg"));  // empty path: skipped
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  const auto layout = ransim::detail::chart_layout(c);
  EXPECT_EQ(layout.width, 1200);
  EXPECT_EQ(be32(bytes, 16), static_cast<std::uint32_t>(layout.width));
  EXPECT_EQ(be32(bytes, 20), static_cast<std::uint32_t>(layout.height));
  // 4 panels, 3 per row: two rows of panels below the title and legend.
  EXPECT_GT(layout.height, 2 * 300);
  EXPECT_LT(layout.height, 1000);
}

TEST_F(ChartTest, SvgIsXmlWithSvgElement) {
  const fs::path svg = dir_ / "chart.svg";
  ransim::write_chart(sample_chart(), "", svg.string());
  ASSERT_TRUE(fs::exists(svg));
  EXPECT_FALSE(fs::exists(dir_ / "chart.png"));
  const std::string text = slurp(svg);
  EXPECT_EQ(text.rfind("<?xml", 0), 0u);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("width=\"1200"), std::string::npos);
}

TEST_F(ChartTest, BarsAreDrawnInModelColoursInsideTheirPlots) {
  const Chart c = sample_chart();
  const fs::path png = dir_ / "chart.png";
  ransim::write_chart(c, png.string(), (dir_ / "chart.svg").string());
  const auto layout = ransim::detail::chart_layout(c);
  cairo_surface_t* img = cairo_image_surface_create_from_png(png.string().c_str());
  ASSERT_EQ(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
  // Cairo stores an opaque image as an RGB PNG, which loads back as RGB24: the same 32-bit
  // pixels as ARGB32 with the top byte unused.
  const cairo_format_t format = cairo_image_surface_get_format(img);
  ASSERT_TRUE(format == CAIRO_FORMAT_ARGB32 || format == CAIRO_FORMAT_RGB24) << format;
  cairo_surface_flush(img);

  // The first bar, sampled a quarter in from its left edge (the error bar runs down its middle).
  const auto first = ransim::detail::bar_rect(c, layout, 0, 0);
  ASSERT_GT(first.h, 4);
  EXPECT_EQ(rgb_at(img, first.x + first.w / 4, first.y + first.h / 2), kColours[0]);

  int checked = 0;
  for (std::size_t p = 0; p < c.panels.size(); ++p) {
    const auto& plot = layout.plots[p];
    for (std::size_t m = 0; m < c.models.size(); ++m) {
      const auto r = ransim::detail::bar_rect(c, layout, p, m);
      if (r.w == 0) continue;
      EXPECT_GE(r.x, plot.x);
      EXPECT_LE(r.x + r.w, plot.x + plot.w + 1e-9);
      EXPECT_GE(r.y, plot.y - 1e-9) << "panel " << p << " model " << m;
      EXPECT_LE(r.y + r.h, plot.y + plot.h + 1e-9) << "panel " << p << " model " << m;
      if (r.h < 4) continue;  // too thin to sample away from antialiased edges
      EXPECT_EQ(rgb_at(img, r.x + r.w / 4, r.y + r.h / 2), kColours[m]) << "panel " << p << " model " << m;
      ++checked;
    }
  }
  EXPECT_GE(checked, 7);
  cairo_surface_destroy(img);
}

TEST_F(ChartTest, MissingAndUnplottableValuesHaveNoBar) {
  const Chart c = sample_chart();
  const auto layout = ransim::detail::chart_layout(c);
  EXPECT_EQ(ransim::detail::bar_rect(c, layout, 2, 1).w, 0);    // NaN
  EXPECT_EQ(ransim::detail::bar_rect(c, layout, 1, 2).w, 0);    // 0 on a log axis
  EXPECT_GT(ransim::detail::bar_rect(c, layout, 1, 0).h, 0);    // 2e-3 on the same log axis
  const auto zero = ransim::detail::bar_rect(c, layout, 3, 2);  // 0 on a linear axis: a value
  EXPECT_GT(zero.w, 0);
  EXPECT_EQ(zero.h, 0);
  // The negative bar hangs below the zero line, where the positive one starts.
  const auto neg = ransim::detail::bar_rect(c, layout, 3, 0), pos = ransim::detail::bar_rect(c, layout, 3, 1);
  EXPECT_NEAR(neg.y, pos.y + pos.h, 1e-9);
}

TEST_F(ChartTest, DegenerateChartsStillRender) {
  Chart c;
  c.title = "edge cases";
  c.models = {"a", "b"};
  c.panels = {{"zeros", "m", {0.0, 0.0}, {0.0, 0.0}},
              {"all n/a", "m", {kNaN, kNaN}, {kNaN, kNaN}},
              {"log, none positive", "m", {0.0, -1.0}, {0.0, 0.0}, true},
              {"log, one decade", "m", {10.0, 10.0}, {0.0, 0.0}, true}};
  EXPECT_NO_THROW(ransim::write_chart(c, (dir_ / "e.png").string(), (dir_ / "e.svg").string()));
  EXPECT_TRUE(fs::exists(dir_ / "e.png"));
  // Many models: the legend wraps to more rows and the image grows to hold them.
  Chart many = c;
  many.models.assign(12, "a_rather_long_model_name");
  for (auto& p : many.panels) p.mean.assign(12, 1.0), p.stddev.assign(12, 0.1);
  const auto small = ransim::detail::chart_layout(c), big = ransim::detail::chart_layout(many);
  EXPECT_GT(big.height, small.height);
  EXPECT_FALSE(big.bar_labels);
  for (const auto& s : big.swatches) EXPECT_LE(s.x + s.w, big.width);
  EXPECT_NO_THROW(ransim::write_chart(many, (dir_ / "m.png").string(), ""));
}

TEST_F(ChartTest, UnwritablePathThrowsRunErrorNamingIt) {
  const std::string png = "/nonexistent/dir/x.png", svg = "/nonexistent/dir/x.svg";
  for (const auto& [p, s] : {std::pair{png, std::string()}, std::pair{std::string(), svg}}) {
    const std::string& path = p.empty() ? s : p;
    try {
      ransim::write_chart(sample_chart(), p, s);
      ADD_FAILURE() << "no exception for " << path;
    } catch (const ransim::RunError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST_F(ChartTest, MalformedChartThrowsInvalidArgument) {
  Chart c = sample_chart();
  c.models.clear();
  EXPECT_THROW(ransim::write_chart(c, "", ""), std::invalid_argument);
  c = sample_chart();
  c.panels.clear();
  EXPECT_THROW(ransim::write_chart(c, "", ""), std::invalid_argument);
  c = sample_chart();
  c.panels[1].stddev.pop_back();
  EXPECT_THROW(ransim::write_chart(c, (dir_ / "x.png").string(), ""), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir_ / "x.png"));
}
