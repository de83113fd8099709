#include "chart_util.hpp"

#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include "view_data.hpp"

namespace ransim::gui {

QColor trace_color(std::size_t i) {
  static const QColor c[] = {QColor(31, 119, 180),  QColor(255, 127, 14),  QColor(44, 160, 44),
                             QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
                             QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                             QColor(23, 190, 207)};
  return c[i % 10];
}

void style_chart(QChart* c) {
  c->setMargins(QMargins(4, 4, 4, 4));
  c->setBackgroundRoundness(0);
  c->legend()->setAlignment(Qt::AlignRight);
  c->legend()->setFont(QFont(c->legend()->font().family(), 8));
  c->setAnimationOptions(QChart::NoAnimation);
}

QValueAxis* make_axis(const QString& title) {
  auto* a = new QValueAxis;
  a->setTitleText(title);
  QFont f = a->titleFont();
  f.setPointSize(8);
  f.setBold(false);
  a->setTitleFont(f);
  QFont l = a->labelsFont();
  l.setPointSize(8);
  a->setLabelsFont(l);
  a->setLabelFormat("%.4g");
  return a;
}

void set_axis(QValueAxis* a, double lo, double hi, bool exact) {
  NiceRange r = nice_range(lo, hi, 5);
  if (exact) {
    r.lo = lo;
    r.hi = hi;
  }
  if (a->min() == r.lo && a->max() == r.hi && a->tickInterval() == r.step) return;
  // Ticks at exact multiples of the step from 0 (no "-0.0" from rounding).
  a->setTickType(QValueAxis::TicksDynamic);
  a->setTickAnchor(0.0);
  a->setTickInterval(r.step);
  a->setLabelFormat(QStringLiteral("%.%1f").arg(r.decimals));
  a->setRange(r.lo, r.hi);
}

std::pair<double, double> padded(std::pair<double, double> r, double min_span) {
  double lo = r.first, hi = r.second;
  if (hi - lo < min_span) {
    const double mid = 0.5 * (lo + hi);
    lo = mid - 0.5 * min_span;
    hi = mid + 0.5 * min_span;
  }
  const double pad = 0.06 * (hi - lo);
  return {lo - pad, hi + pad};
}

PathChart make_path_chart(const QString& x, const QString& y, const QColor& colour) {
  PathChart c;
  c.chart = new QChart;
  style_chart(c.chart);
  c.chart->legend()->hide();
  c.ax = make_axis(x);
  c.ay = make_axis(y);
  c.chart->addAxis(c.ax, Qt::AlignBottom);
  c.chart->addAxis(c.ay, Qt::AlignLeft);
  c.line = new QLineSeries;
  QPen pen(colour);
  pen.setCosmetic(true);
  c.line->setPen(pen);
  c.marker = new QScatterSeries;
  c.marker->setMarkerSize(9);
  c.marker->setColor(trace_color(3));
  for (QXYSeries* s : std::initializer_list<QXYSeries*>{c.line, c.marker}) {
    c.chart->addSeries(s);
    s->attachAxis(c.ax);
    s->attachAxis(c.ay);
  }
  c.view = new QChartView(c.chart);
  c.view->setRenderHint(QPainter::Antialiasing, true);
  return c;
}

}  // namespace ransim::gui
