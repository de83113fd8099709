#pragma once
// What the chart views share (views.cpp, analysis views): colours, styling, axes and ranges.
// Threading: GUI thread.
#include <QColor>
#include <QString>

#include <cstddef>
#include <utility>

class QChart;
class QChartView;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace ransim::gui {

// Tableau 10: distinct on white, colour-blind friendly enough for a handful of traces.
QColor trace_color(std::size_t i);
void style_chart(QChart* c);
QValueAxis* make_axis(const QString& title);
// Sets an axis to a nice range (exact: to [lo, hi], ticks still round); no-op when unchanged
// (every change makes Qt Charts recompute every attached series' geometry, the GUI's largest cost).
void set_axis(QValueAxis* a, double lo, double hi, bool exact = false);
// A range for the values with a small margin; at least `min_span` wide.
std::pair<double, double> padded(std::pair<double, double> r, double min_span);

// A path in a plane (phase and PCA views): a line in `colour` and a marker dot on two axes.
struct PathChart {
  QChart* chart;
  QChartView* view;
  QValueAxis *ax, *ay;
  QLineSeries* line;
  QScatterSeries* marker;
};
PathChart make_path_chart(const QString& x, const QString& y, const QColor& colour);

}  // namespace ransim::gui
