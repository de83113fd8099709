#include "colormap.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace ransim::gui {

namespace {

struct Stop {
  double t;
  int r, g, b;
};

std::array<QRgb, 256> make_lut(const std::vector<Stop>& stops) {
  std::array<QRgb, 256> lut{};
  for (int i = 0; i < 256; ++i) {
    const double t = i / 255.0;
    std::size_t j = 1;
    while (j + 1 < stops.size() && stops[j].t < t) ++j;
    const Stop& a = stops[j - 1];
    const Stop& b = stops[j];
    const double u = b.t > a.t ? std::clamp((t - a.t) / (b.t - a.t), 0.0, 1.0) : 0.0;
    auto mix = [u](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * u)); };
    lut[static_cast<std::size_t>(i)] = qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
  }
  return lut;
}

const std::array<QRgb, 256>& lut(Palette p) {
  // Diverging: ColorBrewer RdBu (reversed: negative blue, positive red).
  static const auto diverging = make_lut({{0.0, 5, 48, 97},
                                          {0.15, 33, 102, 172},
                                          {0.3, 67, 147, 195},
                                          {0.42, 146, 197, 222},
                                          {0.5, 247, 247, 247},
                                          {0.58, 244, 165, 130},
                                          {0.7, 214, 96, 77},
                                          {0.85, 178, 24, 43},
                                          {1.0, 103, 0, 31}});
  // Sequential: viridis control points.
  static const auto sequential = make_lut({{0.0, 68, 1, 84},
                                           {0.13, 72, 36, 117},
                                           {0.25, 65, 68, 135},
                                           {0.38, 53, 95, 141},
                                           {0.5, 42, 120, 142},
                                           {0.63, 33, 145, 140},
                                           {0.75, 53, 183, 121},
                                           {0.88, 144, 215, 67},
                                           {1.0, 253, 231, 37}});
  return p == Palette::Diverging ? diverging : sequential;
}

inline QRgb lookup(const std::array<QRgb, 256>& l, double v, double lo, double hi) {
  if (!std::isfinite(v)) return no_data_color();
  const double span = hi > lo ? hi - lo : 1.0;
  const double t = std::clamp((v - lo) / span, 0.0, 1.0);
  return l[static_cast<std::size_t>(t * 255.0 + 0.5)];
}

}  // namespace

QRgb no_data_color() { return qRgb(200, 200, 200); }

QRgb color_of(Palette p, double v, double lo, double hi) { return lookup(lut(p), v, lo, hi); }

QImage render(const Matrix& m, double lo, double hi, Palette p) {
  if (m.rows == 0 || m.cols == 0) return {};
  QImage img(static_cast<int>(m.cols), static_cast<int>(m.rows), QImage::Format_RGB32);
  const auto& l = lut(p);
  for (std::size_t r = 0; r < m.rows; ++r) {
    auto* line = reinterpret_cast<QRgb*>(img.scanLine(static_cast<int>(r)));
    for (std::size_t c = 0; c < m.cols; ++c) line[c] = lookup(l, m.at(r, c), lo, hi);
  }
  return img;
}

QImage color_bar(Palette p, int width, int height) {
  QImage img(std::max(width, 1), std::max(height, 1), QImage::Format_RGB32);
  const auto& l = lut(p);
  for (int y = 0; y < img.height(); ++y) {
    const double t = img.height() > 1 ? 1.0 - static_cast<double>(y) / (img.height() - 1) : 1.0;
    const QRgb c = l[static_cast<std::size_t>(t * 255.0 + 0.5)];
    auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
    std::fill(line, line + img.width(), c);
  }
  return img;
}

void ScrollingHeatmap::reset(std::size_t rows, std::size_t width, double lo, double hi) {
  rows_ = rows;
  width_ = std::max<std::size_t>(width, 1);
  filled_ = 0;
  head_ = 0;
  lo_ = lo;
  hi_ = hi;
  cols_.assign(width_, {});
  img_ = rows_ ? QImage(static_cast<int>(width_), static_cast<int>(rows_), QImage::Format_RGB32) : QImage();
  if (!img_.isNull()) img_.fill(no_data_color());
}

bool ScrollingHeatmap::push(const std::vector<const std::vector<double>*>& columns, bool grow) {
  if (rows_ == 0 || columns.empty()) return false;
  bool changed = false;
  if (lo_ == hi_) {  // automatic range: from the first values, at least 1/64
    double m = 1.0 / 64;
    for (auto* c : columns)
      for (double v : *c)
        if (std::isfinite(v)) m = std::max(m, std::abs(v));
    hi_ = std::pow(2.0, std::ceil(std::log2(m)));
    lo_ = -hi_;
    changed = true;
  }
  if (grow)
    for (auto* c : columns)
      for (std::size_t r = 0; r < rows_ && r < c->size(); ++r) {
        const double v = (*c)[r];
        if (!std::isfinite(v)) continue;
        // Grow to a round symmetric range for signed data, upwards for non-negative data.
        if (v > hi_ || v < lo_) {
          const double m = std::max(std::abs(v), std::max(std::abs(lo_), std::abs(hi_)));
          const double mag = std::pow(2.0, std::ceil(std::log2(m)));
          if (lo_ < 0) lo_ = -mag;
          hi_ = mag;
          if (v < 0 && lo_ >= 0) lo_ = -mag;
          changed = true;
        }
      }
  for (auto* c : columns) {
    cols_[head_] = *c;
    cols_[head_].resize(rows_, std::nan(""));
    head_ = (head_ + 1) % width_;
    filled_ = std::min(filled_ + 1, width_);
  }
  if (changed || columns.size() >= width_) {
    recolor();
    return changed;
  }
  // Scroll left by n and colour the n new columns at the right.
  const std::size_t n = columns.size();
  const auto& l = lut(palette);
  for (std::size_t r = 0; r < rows_; ++r) {
    auto* line = reinterpret_cast<QRgb*>(img_.scanLine(static_cast<int>(r)));
    std::memmove(line, line + n, (width_ - n) * sizeof(QRgb));
    for (std::size_t j = 0; j < n; ++j) {
      const auto& c = cols_[(head_ + width_ - n + j) % width_];
      line[width_ - n + j] = lookup(l, c[r], lo_, hi_);
    }
  }
  return changed;
}

void ScrollingHeatmap::recolor() {
  const auto& l = lut(palette);
  for (std::size_t r = 0; r < rows_; ++r) {
    auto* line = reinterpret_cast<QRgb*>(img_.scanLine(static_cast<int>(r)));
    for (std::size_t x = 0; x < width_; ++x) {
      // Column x shows ring slot head_ + x (oldest first); unfilled ones are grey.
      const std::size_t age = width_ - x;  // 1 = newest
      if (age > filled_) {
        line[x] = no_data_color();
        continue;
      }
      const auto& c = cols_[(head_ + width_ - age) % width_];
      line[x] = lookup(l, c[r], lo_, hi_);
    }
  }
}

void ColourRange::reset() {
  seen_ = false;
  lo_ = start_ == Start::Unit ? 0.0 : -1.0;
  hi_ = 1;
  palette_ = start_ == Start::Unit ? Palette::Sequential : Palette::Diverging;
}

bool ColourRange::update(const Matrix& m) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : m.v)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (lo > hi) return false;
  const double old_lo = lo_, old_hi = hi_;
  auto pow2 = [](double x) { return std::pow(2.0, std::ceil(std::log2(std::max(x, 1.0 / 64)))); };
  if (start_ == Start::Symmetric && !seen_) {
    hi_ = pow2(std::max(std::abs(lo), std::abs(hi)));
    lo_ = -hi_;
  }
  seen_ = true;
  if (lo < lo_ || hi > hi_) {
    if (lo < 0 || lo_ < 0) {  // signed: symmetric, diverging
      hi_ = pow2(std::max({std::abs(lo), std::abs(hi), std::abs(lo_), hi_}));
      lo_ = -hi_;
      palette_ = Palette::Diverging;
    } else {
      hi_ = pow2(std::max(hi, hi_));
    }
  }
  return lo_ != old_lo || hi_ != old_hi;
}

}  // namespace ransim::gui
