#include "analysis_views.hpp"

#include <QComboBox>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <cmath>

#include "describe.hpp"
#include "view_export.hpp"

namespace ransim::gui {

Series normalised_entropy(const Track& t, std::size_t per_unit) {
  Series out;
  if (per_unit < 2 || t.width() < per_unit) return out;
  const std::size_t units = t.width() / per_unit;
  const double norm = std::log(static_cast<double>(per_unit));
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double* row = t.row(i);
    double total = 0;
    std::size_t counted = 0;
    for (std::size_t u = 0; u < units; ++u) {
      const double* a = row + u * per_unit;
      double s = 0;
      for (std::size_t j = 0; j < per_unit; ++j) s += a[j] > 0 ? a[j] : 0;
      if (!(s > 0)) continue;
      double h = 0;
      for (std::size_t j = 0; j < per_unit; ++j)
        if (a[j] > 0) h -= a[j] / s * std::log(a[j] / s);
      total += h / norm;
      ++counted;
    }
    if (counted) out.emplace_back(static_cast<double>(t.token(i)), total / static_cast<double>(counted));
  }
  return out;
}

EntropyView::EntropyView(QWidget* parent) : View(parent) {
  pick_ = new QComboBox;
  chart_ = new QChart;
  chart_->setMargins(QMargins(4, 4, 4, 4));
  chart_->legend()->hide();
  ax_ = new QValueAxis;
  ax_->setTitleText(tr("token"));
  ay_ = new QValueAxis;
  ay_->setTitleText(tr("entropy / log(entries)"));
  ay_->setRange(0, 1);
  chart_->addAxis(ax_, Qt::AlignBottom);
  chart_->addAxis(ay_, Qt::AlignLeft);
  series_ = new QLineSeries;
  QPen pen(QColor(31, 119, 180));
  pen.setCosmetic(true);
  series_->setPen(pen);
  series_->setName(tr("mean normalised entropy"));
  chart_->addSeries(series_);
  series_->attachAxis(ax_);
  series_->attachAxis(ay_);
  auto* view = new QChartView(chart_);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addWidget(pick_);
  col->addWidget(view, 1);
  connect(pick_, &QComboBox::currentIndexChanged, this, [this](int) { refresh(); });
}

void EntropyView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  entries_.clear();
  QSignalBlocker block(pick_);
  pick_->clear();
  if (net)
    for (std::size_t p = 0; p < net->populations.size(); ++p)
      for (const VariableDesc& v : net->populations[p].variables)
        if (view_of(net->populations[p], v) == ViewKind::Map) {
          entries_.push_back({static_cast<int>(p), v.name});
          pick_->addItem(QString::fromStdString(net->populations[p].name + " · " + v.name));
        }
  series_->clear();
}

void EntropyView::refresh() {
  const int i = pick_->currentIndex();
  if (!net_ || !t_ || i < 0 || static_cast<std::size_t>(i) >= entries_.size()) {
    series_->clear();
    return;
  }
  const auto& [pop, name] = entries_[static_cast<std::size_t>(i)];
  const VariableDesc* var = net_->populations[static_cast<std::size_t>(pop)].variable(name);
  const Track* t = t_->find(pop, name);
  const Series s = t && var ? normalised_entropy(*t, var->per_unit()) : Series();
  QList<QPointF> pts;
  for (auto& [x, y] : s) pts.append(QPointF(x, y));
  series_->clear();
  const NiceRange r = nice_range(s.empty() ? 0.0 : s.front().first,
                                 s.empty() ? 1.0 : std::max(s.back().first, s.front().first + 1));
  ax_->setRange(r.lo, r.hi);
  series_->replace(pts);
}

QString EntropyView::csv() const {
  Series s;
  for (const QPointF& p : series_->points()) s.emplace_back(p.x(), p.y());
  return lines_csv("token", {{pick_->currentText(), series_->pen().color(), s}});
}

QString EntropyView::svg() {
  Series s;
  for (const QPointF& p : series_->points()) s.emplace_back(p.x(), p.y());
  return chart_svg(tr("Attention entropy: %1").arg(pick_->currentText()), tr("token"), ay_->titleText(),
                   {{pick_->currentText(), series_->pen().color(), s}}, ax_->min(), ax_->max(), 0, 1);
}

}  // namespace ransim::gui
