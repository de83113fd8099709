#pragma once
// Colour scales and matrix-to-image rendering for the heatmap views (QtGui only, no widgets).
#include <QImage>

#include <vector>

#include "view_data.hpp"

namespace ransim::gui {

enum class Palette {
  Diverging,   // blue - white - red, for signed activity
  Sequential,  // dark blue - green - yellow (viridis-like), for weights in [0, 1]
};

// Colour of v on [lo, hi] (clamped); NaN gives the "no data" grey.
QRgb color_of(Palette p, double v, double lo, double hi);
QRgb no_data_color();

// One pixel per entry: width = cols, height = rows (row 0 at the top).
QImage render(const Matrix& m, double lo, double hi, Palette p);
// A vertical colour bar, `height` pixels tall (hi at the top).
QImage color_bar(Palette p, int width, int height);

// A colour range that holds for a run and only grows, so colours keep their meaning while
// it runs. Unit: [0, 1] on the sequential palette while every value seen lies in [0, 1]
// (attention weights, gates); a value above 1 grows it to [0, 2^k]; a negative one makes it
// symmetric [-2^k, 2^k] on the diverging palette. Symmetric: [-2^k, 2^k] from the first
// values (at least 1/64), growing the same way (signed activity).
class ColourRange {
 public:
  enum class Start { Unit, Symmetric };
  explicit ColourRange(Start s = Start::Unit) : start_(s) { reset(); }
  void reset();
  // Takes in the finite values of m; true when the range changed.
  bool update(const Matrix& m);
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  Palette palette() const { return palette_; }

 private:
  Start start_;
  bool seen_ = false;
  double lo_ = 0, hi_ = 1;
  Palette palette_ = Palette::Sequential;
};

// Units x time heatmap that scrolls: new columns enter at the right, one per frame. Only
// the new columns are coloured; the range only grows (then everything is recoloured).
class ScrollingHeatmap {
 public:
  // lo == hi: the range is taken from the first values pushed (symmetric, a power of two).
  void reset(std::size_t rows, std::size_t width, double lo, double hi);
  // Appends columns (each `rows` values); extends the range if a value falls outside it
  // and `grow` is set. Returns true when the range changed.
  bool push(const std::vector<const std::vector<double>*>& columns, bool grow = true);
  const QImage& image() const { return img_; }
  std::size_t rows() const { return rows_; }
  std::size_t width() const { return width_; }
  std::size_t filled() const { return filled_; }  // columns with data (<= width)
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  Palette palette = Palette::Diverging;

 private:
  void recolor();
  std::size_t rows_ = 0, width_ = 0, filled_ = 0;
  double lo_ = -1, hi_ = 1;
  QImage img_;
  std::vector<std::vector<double>> cols_;  // the values shown (ring), to recolour
  std::size_t head_ = 0;                   // next ring slot
};

}  // namespace ransim::gui
