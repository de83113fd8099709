// Export of the views (issue 22, part 3): each view's CSV and SVG, and View::exportTo.
#include <QFileInfo>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "view_export.hpp"
#include "views.hpp"

namespace ransim::gui {

namespace {

std::vector<ExportLine> lines_of(const std::vector<QLineSeries*>& series) {
  std::vector<ExportLine> out;
  for (QLineSeries* s : series) {
    ExportLine l{s->name(), s->pen().color(), {}};
    for (const QPointF& p : s->points()) l.points.emplace_back(p.x(), p.y());
    out.push_back(std::move(l));
  }
  return out;
}

QString chart_to_svg(QChart* c, const std::vector<QLineSeries*>& series, const QString& title) {
  auto* ax = qobject_cast<QValueAxis*>(c->axes(Qt::Horizontal).value(0));
  auto* ay = qobject_cast<QValueAxis*>(c->axes(Qt::Vertical).value(0));
  if (!ax || !ay) return {};
  return chart_svg(title, ax->titleText(), ay->titleText(), lines_of(series), ax->min(), ax->max(), ay->min(),
                   ay->max());
}

// The token at the centre of each column of a matrix spanning tokens [first, last].
QStringList column_tokens(const Matrix& m, std::size_t first, std::size_t last) {
  QStringList out;
  const Columns c = Columns::even(static_cast<double>(first), static_cast<double>(last + 1), m.cols);
  for (std::size_t i = 0; i < m.cols; ++i) out << QString::number(c.centre(i) - 0.5, 'g', 10);
  return out;
}

}  // namespace

bool View::exportTo(const QString& path, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "png") {
    if (grab().save(path, "PNG")) return true;
    if (error) *error = path + ": could not write the PNG";
    return false;
  }
  if (suffix == "svg") return write_text(path, svg(), error);
  if (suffix == "csv") return write_text(path, csv(), error);
  if (error) *error = path + ": unknown format '" + suffix + "' (expected .png, .svg or .csv)";
  return false;
}

QString View::svg() {
  return image_svg(windowTitle(), grab().toImage(), QString(), QString(), QString(), QString());
}

QString TracesView::csv() const { return lines_csv("token", lines_of(series_)); }
QString TracesView::svg() { return chart_to_svg(chart_, series_, tr("Activity traces")); }

QString ReadoutView::csv() const { return lines_csv("token", lines_of({target_, pred_})); }
QString ReadoutView::svg() { return chart_to_svg(chart_, {target_, pred_}, tr("Readout")); }

QString ActivityHeatmapView::csv() const {
  return matrix_csv(shown_m_, column_tokens(shown_m_, first_, last_), "entry \\ token");
}
QString ActivityHeatmapView::svg() {
  return image_svg(heatmap()->toolTip().isEmpty() ? tr("Activity heatmap") : heatmap()->toolTip(),
                   heatmap()->image(), tr("token"), QString::number(first_), QString::number(last_),
                   tr("entry"));
}

QString MapView::csv() const {
  return matrix_csv(hist_m_, column_tokens(hist_m_, hist_first_, hist_last_), "entry \\ token");
}
QString MapView::svg() {
  return image_svg(QString::fromStdString(variable_), hist_->image(), tr("token"),
                   QString::number(hist_first_), QString::number(hist_last_), tr("entry"));
}

QString NetworkView::csv() const {
  QString s = "kind,name,model,size,from,to\n";
  if (!net_) return s;
  for (const PopulationDesc& p : net_->populations)
    s += QStringLiteral("population,%1,%2,%3,,\n")
             .arg(QString::fromStdString(p.name), QString::fromStdString(p.kind))
             .arg(p.units);
  for (const ProjectionDesc& p : net_->projections) {
    QStringList from;
    for (auto& f : p.from) from << QString::fromStdString(f);
    s += QStringLiteral("projection,%1,%2,%3,%4,%5\n")
             .arg(QString::fromStdString(p.name), QString::fromStdString(p.kind))
             .arg(p.nnz)
             .arg(from.join(' '), QString::fromStdString(p.to));
  }
  return s;
}

}  // namespace ransim::gui
