#pragma once
// Export of one view (issue 22, part 3): PNG (the widget as drawn), SVG (lines as vector
// paths, heatmaps as an embedded image with vector axes and labels) and CSV (the numbers
// drawn: the points of each line, or the matrix of a heatmap with its token per column).
// No Qt SVG module is needed: the SVG is written here.
// Threading: GUI thread.
#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>

#include <vector>

#include "view_data.hpp"

namespace ransim::gui {

// A line of a chart: its name, colour and (x, y) points.
struct ExportLine {
  QString name;
  QColor colour;
  Series points;
};

// A chart as SVG: the lines over [x0, x1] x [y0, y1], with a frame, the ranges and a legend.
QString chart_svg(const QString& title, const QString& xlabel, const QString& ylabel,
                  const std::vector<ExportLine>& lines, double x0, double x1, double y0, double y1);
// A heatmap image as SVG (the image embedded as PNG, stretched without smoothing) with labels.
QString image_svg(const QString& title, const QImage& img, const QString& xlabel, const QString& left,
                  const QString& right, const QString& ylabel);
// Lines as CSV: "x,<name1>,<name2>,..." with one row per distinct x (empty where a line has
// no point there; an envelope column has two rows, min and max, in drawing order).
QString lines_csv(const QString& xname, const std::vector<ExportLine>& lines);
// A matrix as CSV: "row,<col 0 label>,..." then one row per matrix row.
QString matrix_csv(const Matrix& m, const QStringList& column_labels, const QString& row_name);
// Writes text to a file; false with *error set when it cannot.
bool write_text(const QString& path, const QString& text, QString* error);

}  // namespace ransim::gui
