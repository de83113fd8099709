#include "pca_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

#include "chart_util.hpp"
#include "view_export.hpp"

namespace ransim::gui {

PcaTrajectory pca_trajectory(const Track& t, double lo, double hi, std::size_t max_samples) {
  PcaTrajectory out;
  if (t.empty() || hi < lo || t.width() == 0) return out;
  const std::size_t begin = t.lower_bound(static_cast<std::size_t>(std::ceil(std::max(0.0, lo))));
  const std::size_t end = t.lower_bound(static_cast<std::size_t>(std::floor(std::max(0.0, hi))) + 1);
  if (end <= begin) return out;
  const std::size_t n = end - begin, step = (n + max_samples - 1) / std::max<std::size_t>(max_samples, 1);
  const std::size_t rows = (n + step - 1) / step, width = t.width();
  out.samples.set_size(rows, width);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < width; ++j) out.samples(r, j) = t.value(begin + r * step, j);
  out.pca = analysis::pca(out.samples, true);
  const std::size_t comps = std::min<std::size_t>(3, width);
  const arma::rowvec mean = arma::mean(out.samples, 0);
  const arma::mat basis = out.pca.components.cols(0, comps - 1);
  arma::mat all(n, width);
  for (std::size_t i = 0; i < n; ++i) {
    out.tokens.push_back(static_cast<double>(t.token(begin + i)));
    for (std::size_t j = 0; j < width; ++j) all(i, j) = t.value(begin + i, j);
  }
  all.each_row() -= mean;
  out.coords = all * basis;
  return out;
}

std::pair<double, double> turn(double a, double b, double c, double azimuth_deg, double elevation_deg) {
  const double az = azimuth_deg * M_PI / 180, el = elevation_deg * M_PI / 180;
  // About the third axis, then tilted towards the viewer.
  const double x = a * std::cos(az) - b * std::sin(az), depth = a * std::sin(az) + b * std::cos(az);
  return {x, c * std::cos(el) + depth * std::sin(el)};
}

PcaView::PcaView(QWidget* parent) : View(parent) {
  pop_ = new QComboBox;
  dims_ = new QComboBox;
  dims_->addItems({tr("2-D: PC1, PC2"), tr("3-D: PC1-PC3, turned")});
  azimuth_ = new QSlider(Qt::Horizontal);
  azimuth_->setRange(-180, 180);
  azimuth_->setValue(30);
  azimuth_->setToolTip(tr("Turn about PC3 (degrees)"));
  elevation_ = new QSlider(Qt::Horizontal);
  elevation_->setRange(-90, 90);
  elevation_->setValue(20);
  elevation_->setToolTip(tr("Tilt (degrees)"));
  label_ = new QLabel;
  label_->setWordWrap(true);
  plot_ = make_path_chart("PC1", "PC2", trace_color(4));
  auto* top = new QHBoxLayout;
  top->addWidget(pop_, 1);
  top->addWidget(dims_);
  auto* turn_row = new QHBoxLayout;
  turn_row->addWidget(new QLabel(tr("turn")));
  turn_row->addWidget(azimuth_);
  turn_row->addWidget(new QLabel(tr("tilt")));
  turn_row->addWidget(elevation_);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addLayout(top);
  col->addLayout(turn_row);
  col->addWidget(label_);
  col->addWidget(plot_.view, 1);
  connect(pop_, &QComboBox::currentIndexChanged, this, [this](int) { refresh(); });
  connect(dims_, &QComboBox::currentIndexChanged, this, [this](int i) {
    azimuth_->setEnabled(i == 1);
    elevation_->setEnabled(i == 1);
    draw();
  });
  for (QSlider* s : {azimuth_, elevation_}) connect(s, &QSlider::valueChanged, this, [this](int) { draw(); });
  azimuth_->setEnabled(false);
  elevation_->setEnabled(false);
  setNetwork(nullptr);
}

void PcaView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  QSignalBlocker b(pop_);
  pop_->clear();
  if (net)
    for (auto& p : net->populations) pop_->addItem(QString::fromStdString(p.name + " · state"));
  data_ = {};
  fit_key_.clear();
  since_fit_.invalidate();
  plot_.line->clear();
  plot_.marker->clear();
  label_->setText(net ? QString() : noNetworkText());
}

void PcaView::selectPopulation(int pop) { pop_->setCurrentIndex(pop); }
void PcaView::setThreeD(bool on) { dims_->setCurrentIndex(on ? 1 : 0); }
void PcaView::setView(int azimuth_deg, int elevation_deg) {
  QSignalBlocker a(azimuth_), e(elevation_);
  azimuth_->setValue(azimuth_deg);
  elevation_->setValue(elevation_deg);
  draw();
}

void PcaView::refresh() {
  const int pop = pop_->currentIndex();
  const Track* t = net_ && t_ && pop >= 0 ? t_->find(pop, "state") : nullptr;
  if (!t || t->empty()) return;
  const auto [first, last] = heldTokens();
  const auto [lo, hi] = shownTokens(first, last);
  const std::vector<double> key = {static_cast<double>(pop), lo, hi, static_cast<double>(t->size()),
                                   static_cast<double>(t_->generation())};
  if (key != fit_key_) {
    // An eigendecomposition of entries^2: while tokens stream in, at most 1/20 of the time.
    const qint64 wait = since_fit_.isValid() ? 20 * fit_ms_ - since_fit_.elapsed() : 0;
    if (wait > 0) {
      if (!pending_) {
        pending_ = true;
        QTimer::singleShot(static_cast<int>(wait), this, [this] {
          pending_ = false;
          refresh();
        });
      }
    } else {
      QElapsedTimer clock;
      clock.start();
      data_ = pca_trajectory(*t, lo, hi, kMaxSamples);
      fit_ms_ = clock.elapsed();
      since_fit_.start();
      fit_key_ = key;
    }
  }
  draw();
}

QString PcaView::summary() const {
  const arma::vec& e = data_.pca.explained;
  if (e.n_elem == 0) return {};
  QStringList parts;
  for (std::size_t k = 0; k < std::min<std::size_t>(3, e.n_elem); ++k)
    parts << tr("PC%1 %2 %").arg(k + 1).arg(100 * e[k], 0, 'f', 1);
  return tr("%1 of the variance; participation ratio %2; %3 tokens (%4 to %5), fit on %6")
      .arg(parts.join(", "))
      .arg(data_.pca.participation_ratio, 0, 'f', 2)
      .arg(data_.tokens.size())
      .arg(data_.tokens.front())
      .arg(data_.tokens.back())
      .arg(data_.samples.n_rows);
}

void PcaView::draw() {
  plot_.line->clear();
  plot_.marker->clear();
  if (data_.tokens.empty()) return;
  const bool three = dims_->currentIndex() == 1 && data_.coords.n_cols >= 3;
  const std::size_t n = data_.tokens.size(), step = (n + kMaxPoints - 1) / kMaxPoints;
  auto point = [&](std::size_t i) {
    const double a = data_.coords(i, 0), b = data_.coords.n_cols > 1 ? data_.coords(i, 1) : 0.0;
    if (!three) return QPointF(a, b);
    const auto [x, y] = turn(a, b, data_.coords(i, 2), azimuth_->value(), elevation_->value());
    return QPointF(x, y);
  };
  QList<QPointF> pts;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (std::size_t i = 0; i < n; i += step) {
    const QPointF p = point(i + step < n ? i : n - 1);  // the newest point ends the path
    pts.append(p);
    xlo = std::min(xlo, p.x());
    xhi = std::max(xhi, p.x());
    ylo = std::min(ylo, p.y());
    yhi = std::max(yhi, p.y());
  }
  const auto xr = padded({xlo, xhi}, 1e-6), yr = padded({ylo, yhi}, 1e-6);
  set_axis(plot_.ax, xr.first, xr.second);
  set_axis(plot_.ay, yr.first, yr.second);
  const arma::vec& e = data_.pca.explained;
  if (three) {
    plot_.ax->setTitleText(
        tr("PC1-PC3 turned %1°, tilted %2°").arg(azimuth_->value()).arg(elevation_->value()));
    plot_.ay->setTitleText(QString());
  } else {
    plot_.ax->setTitleText(tr("PC1 (%1 %)").arg(100 * e[0], 0, 'f', 1));
    plot_.ay->setTitleText(e.n_elem > 1 ? tr("PC2 (%1 %)").arg(100 * e[1], 0, 'f', 1) : tr("PC2 (none)"));
  }
  plot_.line->replace(pts);
  // The time slider's token (the last one at or before it), else the newest.
  std::size_t k = n - 1;
  if (const std::optional<std::size_t> at = cursorToken()) {
    const auto it = std::upper_bound(data_.tokens.begin(), data_.tokens.end(), static_cast<double>(*at));
    k = it == data_.tokens.begin() ? 0 : static_cast<std::size_t>(it - data_.tokens.begin()) - 1;
  }
  plot_.marker->append(point(k));
  label_->setText(summary());
}

QString PcaView::csv() const {
  QString out = QStringLiteral("token");
  for (std::size_t c = 0; c < data_.coords.n_cols; ++c) out += QStringLiteral(",pc%1").arg(c + 1);
  out += '\n';
  for (std::size_t i = 0; i < data_.tokens.size(); ++i) {
    out += QString::number(data_.tokens[i]);
    for (std::size_t c = 0; c < data_.coords.n_cols; ++c)
      out += ',' + QString::number(data_.coords(i, c), 'g', 17);
    out += '\n';
  }
  return out;
}

QString PcaView::svg() {
  Series s;
  for (const QPointF& p : plot_.line->points()) s.emplace_back(p.x(), p.y());
  return chart_svg(tr("PCA: %1").arg(pop_->currentText()), plot_.ax->titleText(), plot_.ay->titleText(),
                   {{pop_->currentText(), trace_color(4), s}}, plot_.ax->min(), plot_.ax->max(),
                   plot_.ay->min(), plot_.ay->max());
}

}  // namespace ransim::gui
