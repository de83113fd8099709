#include "views.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsView>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

#include "describe.hpp"
#include "graph_layout.hpp"
#include "parameter_model.hpp"
#include "unit_list_model.hpp"

namespace ransim::gui {

namespace {

QString num(double v, int prec = 3) { return QString::number(v, 'g', prec); }

// Tableau 10: distinct on white, colour-blind friendly enough for a handful of traces.
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

// Sets an axis to a nice range; no-op when unchanged (every change makes Qt Charts
// recompute every attached series' geometry, the GUI's largest cost).
void set_axis(QValueAxis* a, double lo, double hi) {
  const NiceRange r = nice_range(lo, hi, 5);
  if (a->min() == r.lo && a->max() == r.hi && a->tickInterval() == r.step) return;
  // Ticks at exact multiples of the step from 0 (no "-0.0" from rounding).
  a->setTickType(QValueAxis::TicksDynamic);
  a->setTickAnchor(0.0);
  a->setTickInterval(r.step);
  a->setLabelFormat(QStringLiteral("%.%1f").arg(r.decimals));
  a->setRange(r.lo, r.hi);
}

QList<QPointF> points(const Series& s) {
  QList<QPointF> p;
  p.reserve(static_cast<qsizetype>(s.size()));
  for (auto& [t, v] : s) p.append(QPointF(t, std::isfinite(v) ? v : 0.0));
  return p;
}

// A y range for the values with a small margin; at least `min_span` wide.
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

// The device pixel columns of a chart's plot area over the x range [lo, hi] (600 even
// columns before it is laid out).
Columns chart_columns(const QChart* c, double lo, double hi) {
  hi = std::max(hi, lo + 1e-9);
  const QRectF area = c->plotArea();
  if (area.width() < 8) return Columns::even(lo, hi, 600);
  Columns k;
  k.x0 = lo;
  k.x1 = hi;
  k.offset = area.left() - std::floor(area.left());
  k.pixels = area.width();
  k.columns = static_cast<std::size_t>(std::floor(k.offset + k.pixels)) + 1;
  return k;
}

// The token range of a track, or of the frames when there is none.
std::pair<double, double> token_span(const Track* t, const FrameHistory* h) {
  if (t && !t->empty())
    return {static_cast<double>(t->token(0)), static_cast<double>(t->token(t->size() - 1))};
  if (h && !h->empty()) return {static_cast<double>((*h)[0].token), static_cast<double>(h->latest()->token)};
  return {0, 1};
}

const QString kNoNetwork = QStringLiteral("Open a scenario (File > Open) or a recording to see it here.");

}  // namespace

// ---------------------------------------------------------------------------- heatmap

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void HeatmapWidget::setImage(const QImage& img) {
  img_ = img;
  update();
}
void HeatmapWidget::setRange(double lo, double hi, Palette p) {
  lo_ = lo;
  hi_ = hi;
  palette_ = p;
  update();
}
void HeatmapWidget::setTitle(const QString& t) {
  title_ = t;
  update();
}
void HeatmapWidget::setXAxis(const QString& label, const QString& left, const QString& right) {
  xl_ = label;
  xa_ = left;
  xb_ = right;
  update();
}
void HeatmapWidget::setYAxis(const QString& label, const QString& top, const QString& bottom) {
  yl_ = label;
  ya_ = top;
  yb_ = bottom;
  update();
}
void HeatmapWidget::setPlaceholder(const QString& text) {
  placeholder_ = text;
  update();
}

void HeatmapWidget::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QPalette pal = palette();
  p.fillRect(rect(), pal.color(QPalette::Base));
  QFont small = font();
  small.setPointSizeF(std::max(7.0, font().pointSizeF() - 1.5));
  const QFontMetrics fm(small);
  const int lh = fm.height();
  if (img_.isNull()) {
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
               placeholder_.isEmpty() ? kNoNetwork : placeholder_);
    return;
  }
  const int left = lh + std::max(fm.horizontalAdvance(ya_), fm.horizontalAdvance(yb_)) + 10;
  const int right = 16 + 12 +
                    std::max({fm.horizontalAdvance(num(hi_)), fm.horizontalAdvance(num(lo_)),
                              fm.horizontalAdvance(num(0.5 * (lo_ + hi_)))}) +
                    8;
  const int top = title_.isEmpty() ? 6 : lh + 8;
  const int bottom = 2 * lh + 8;
  const QRect plot(left, top, std::max(10, width() - left - right), std::max(10, height() - top - bottom));

  p.setFont(small);
  p.setPen(pal.color(QPalette::Text));
  if (!title_.isEmpty()) {
    QFont bold = small;
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(left, 2, plot.width(), lh + 4), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(title_, Qt::ElideRight, plot.width()));
    p.setFont(small);
  }
  // Downscaling many rows into few pixels: smooth, so that no unit disappears entirely.
  const bool smooth = img_.height() > plot.height() || img_.width() > plot.width();
  p.setRenderHint(QPainter::SmoothPixmapTransform, smooth);
  p.drawImage(plot, img_);
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  p.setPen(QPen(pal.color(QPalette::Mid), 1));
  p.drawRect(plot.adjusted(0, 0, -1, -1));

  p.setPen(pal.color(QPalette::Text));
  const int xt = plot.bottom() + 3;
  p.drawText(QRect(plot.left(), xt, plot.width(), lh), Qt::AlignLeft | Qt::AlignTop, xa_);
  p.drawText(QRect(plot.left(), xt, plot.width(), lh), Qt::AlignRight | Qt::AlignTop, xb_);
  p.drawText(QRect(plot.left(), xt + lh, plot.width(), lh), Qt::AlignHCenter | Qt::AlignTop, xl_);
  p.drawText(QRect(0, plot.top(), left - 4, lh), Qt::AlignRight | Qt::AlignTop, ya_);
  p.drawText(QRect(0, plot.bottom() - lh, left - 4, lh), Qt::AlignRight | Qt::AlignBottom, yb_);
  p.save();
  p.translate(2, plot.center().y());
  p.rotate(-90);
  p.drawText(QRect(-plot.height() / 2, 0, plot.height(), lh), Qt::AlignCenter, yl_);
  p.restore();

  // Colour bar with its scale.
  const QRect bar(plot.right() + 12, plot.top(), 12, plot.height());
  p.drawImage(bar, color_bar(palette_, bar.width(), bar.height()));
  p.setPen(QPen(pal.color(QPalette::Mid), 1));
  p.drawRect(bar.adjusted(0, 0, -1, -1));
  p.setPen(pal.color(QPalette::Text));
  const int tx = bar.right() + 4;
  p.drawText(QRect(tx, bar.top() - 2, right, lh), Qt::AlignLeft | Qt::AlignTop, num(hi_));
  p.drawText(QRect(tx, bar.center().y() - lh / 2, right, lh), Qt::AlignLeft | Qt::AlignVCenter,
             num(0.5 * (lo_ + hi_)));
  p.drawText(QRect(tx, bar.bottom() - lh + 2, right, lh), Qt::AlignLeft | Qt::AlignBottom, num(lo_));
}

// ---------------------------------------------------------------------------- traces

TracesView::TracesView(QWidget* parent) : View(parent) {
  pop_ = new QComboBox;
  model_ = new UnitListModel(this);
  list_ = new QListView;
  list_->setModel(model_);
  list_->setUniformItemSizes(true);
  list_->setMaximumWidth(130);
  chart_ = new QChart;
  style_chart(chart_);
  ax_ = make_axis("token");
  ay_ = make_axis("state");
  chart_->addAxis(ax_, Qt::AlignBottom);
  chart_->addAxis(ay_, Qt::AlignLeft);
  view_ = new QChartView(chart_);
  view_->setRenderHint(QPainter::Antialiasing, true);

  auto* active = new QPushButton(tr("Most active"));
  active->setToolTip(tr("Show the 5 units that vary most over the history shown"));
  connect(active, &QPushButton::clicked, this, [this] { checkMostActive(5); });
  auto* side = new QVBoxLayout;
  side->setContentsMargins(0, 0, 0, 0);
  side->addWidget(pop_);
  side->addWidget(list_, 1);
  side->addWidget(active);
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(2, 2, 2, 2);
  row->addLayout(side);
  row->addWidget(view_, 1);

  connect(pop_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!net_) return;
    model_->setPopulation(net_, i);
    model_->checkFirst(5);
  });
  connect(model_, &UnitListModel::selectionChanged, this, [this] {
    rebuildSeries();
    refresh();
  });
}

void TracesView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  QSignalBlocker block(pop_);
  pop_->clear();
  if (net)
    for (auto& p : net->populations) pop_->addItem(QString::fromStdString(p.name));
  model_->setPopulation(net, net && !net->populations.empty() ? 0 : -1);
  model_->checkFirst(5);
}

void TracesView::selectPopulation(int pop) { pop_->setCurrentIndex(pop); }

void TracesView::checkMostActive(std::size_t n) {
  const int pop = model_->population();
  if (!h_ || pop < 0) return;
  model_->checkOnly(most_variable(*h_, static_cast<std::size_t>(pop), n));
}
int TracesView::population() const { return model_->population(); }

void TracesView::rebuildSeries() {
  for (auto* s : series_) {
    chart_->removeSeries(s);
    delete s;
  }
  series_.clear();
  vars_ = model_->checked();
  if (vars_.size() > kMaxSeries) vars_.resize(kMaxSeries);
  const std::size_t dim = net_ && model_->population() >= 0
                              ? net_->populations[static_cast<std::size_t>(model_->population())].dim
                              : 1;
  for (std::size_t i = 0; i < vars_.size(); ++i) {
    auto* s = new QLineSeries;
    s->setName(UnitListModel::label(vars_[i], dim));
    QPen pen(trace_color(i));
    pen.setWidthF(1.0);
    pen.setCosmetic(true);  // the fast stroker: thick pens cost more than the simulation
    s->setPen(pen);
    chart_->addSeries(s);
    s->attachAxis(ax_);
    s->attachAxis(ay_);
    series_.push_back(s);
  }
  chart_->legend()->setVisible(!series_.empty());
}

void TracesView::refresh() {
  const int pop = model_->population();
  if (!h_ || pop < 0) {
    for (auto* s : series_) s->clear();
    return;
  }
  // Every token from the token history, as the pixels' min/max envelope; the frames when
  // there is none. Data first, then the axes, then the points: one geometry update per series.
  const Track* track = t_ ? t_->find(pop, "state") : nullptr;
  const auto [t0, t1] = token_span(track, h_);
  const NiceRange rx = nice_range(t0, std::max(t1, t0 + 1));
  const Columns cols = chart_columns(chart_, rx.lo, rx.hi);
  double lo = INFINITY, hi = -INFINITY;
  std::vector<Series> data(series_.size());
  for (std::size_t i = 0; i < series_.size(); ++i) {
    data[i] = track ? envelope(*track, vars_[i], cols) : trace(*h_, static_cast<std::size_t>(pop), vars_[i]);
    const auto r = finite_range(data[i]);
    if (!data[i].empty()) {
      lo = std::min(lo, r.first);
      hi = std::max(hi, r.second);
    }
  }
  const auto y = lo <= hi ? padded({lo, hi}, 0.1) : std::make_pair(-1.0, 1.0);
  const NiceRange ry = nice_range(y.first, y.second);
  const bool moved = ax_->min() != rx.lo || ax_->max() != rx.hi || ay_->min() != ry.lo || ay_->max() != ry.hi;
  if (moved)
    for (auto* s : series_) s->clear();
  set_axis(ax_, t0, std::max(t1, t0 + 1));
  set_axis(ay_, y.first, y.second);
  for (std::size_t i = 0; i < series_.size(); ++i) series_[i]->replace(points(data[i]));
}

// ---------------------------------------------------------------------------- activity heatmap

ActivityHeatmapView::ActivityHeatmapView(QWidget* parent) : View(parent) {
  pop_ = new QComboBox;
  map_ = new HeatmapWidget;
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Population")));
  top->addWidget(pop_, 1);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addLayout(top);
  col->addWidget(map_, 1);
  connect(pop_, &QComboBox::currentIndexChanged, this, [this](int) {
    gen_ = ~0ull;
    refresh();
  });
}

void ActivityHeatmapView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  entries_.clear();
  QSignalBlocker block(pop_);
  pop_->clear();
  // Every population's state first (entry i is population i), then the variables that
  // their models declare for a heatmap.
  if (net) {
    for (std::size_t i = 0; i < net->populations.size(); ++i) {
      entries_.push_back({static_cast<int>(i), "state"});
      pop_->addItem(QString::fromStdString(net->populations[i].name));
    }
    // (The traces view lists states only: until it lists more, trace variables are here too.)
    for (std::size_t i = 0; i < net->populations.size(); ++i)
      for (auto& v : net->populations[i].variables)
        if (const ViewKind k = view_of(net->populations[i], v);
            k == ViewKind::Heatmap || k == ViewKind::Trace) {
          entries_.push_back({static_cast<int>(i), v.name});
          pop_->addItem(QString::fromStdString(net->populations[i].name + " · " + v.name));
        }
  }
  gen_ = ~0ull;
  shown_ = -1;
  shown_m_ = Matrix();
  map_->setImage({});
  map_->setPlaceholder(net ? QString() : kNoNetwork);
}

void ActivityHeatmapView::selectPopulation(int pop) { pop_->setCurrentIndex(pop); }

bool ActivityHeatmapView::selectVariable(const std::string& population, const std::string& variable) {
  for (std::size_t e = 0; e < entries_.size(); ++e)
    if (net_->populations[static_cast<std::size_t>(entries_[e].first)].name == population &&
        entries_[e].second == variable) {
      pop_->setCurrentIndex(static_cast<int>(e));
      return true;
    }
  return false;
}

std::size_t ActivityHeatmapView::entryRows(int entry) const {
  const auto& [pop, name] = entries_[static_cast<std::size_t>(entry)];
  const auto& pd = net_->populations[static_cast<std::size_t>(pop)];
  if (name == "state") return pd.state_size();
  const VariableDesc* v = pd.variable(name);
  return v ? v->size() : 0;
}

void ActivityHeatmapView::refresh() {
  const int entry = pop_->currentIndex();
  if (!h_ || !net_ || entry < 0 || static_cast<std::size_t>(entry) >= entries_.size()) return;
  if (gen_ != h_->generation() || shown_ != entry) {
    range_.reset();  // a new run or another variable: a new colour range
    gen_ = h_->generation();
    shown_ = entry;
  }
  const auto& [pop, name] = entries_[static_cast<std::size_t>(entry)];
  const std::size_t rows = entryRows(entry);
  // The whole history across the width: one column per token, or the mean of the tokens
  // that share a pixel column.
  const Track* track = t_ ? t_->find(pop, name) : nullptr;
  const std::size_t max_cols = static_cast<std::size_t>(std::clamp(map_->width() - 70, 64, 4096));
  if (track && !track->empty()) {
    first_ = track->token(0);
    last_ = track->token(track->size() - 1);
    shown_m_ = binned(*track, 0, rows, columns_for(*track, first_, last_, max_cols));
  } else {
    const std::size_t n = std::min<std::size_t>(h_->size(), max_cols);
    first_ = n ? (*h_)[h_->size() - n].token : 0;
    last_ = h_->empty() ? 0 : h_->latest()->token;
    shown_m_ = state_history(*h_, static_cast<std::size_t>(pop), rows, std::max<std::size_t>(n, 1), name);
  }
  range_.update(shown_m_);
  const auto& pd = net_->populations[static_cast<std::size_t>(pop)];
  const VariableDesc* var = pd.variable(name);
  const std::size_t per = name == "state" ? pd.dim : var ? var->per_unit() : 1;
  map_->setImage(rows ? gui::render(shown_m_, range_.lo(), range_.hi(), range_.palette()) : QImage());
  map_->setRange(range_.lo(), range_.hi(), range_.palette());
  map_->setTitle(QStringLiteral("%1 (%2): %3, %4 x time")
                     .arg(QString::fromStdString(pd.name), QString::fromStdString(pd.kind),
                          QString::fromStdString(name), per > 1 ? "unit values" : "units"));
  if (var) map_->setToolTip(QString::fromStdString(var->description));
  const std::size_t tokens = last_ >= first_ ? last_ - first_ + 1 : 0;
  map_->setXAxis(shown_m_.cols < tokens
                     ? tr("token (each column: the mean of %1 tokens)")
                           .arg(QString::number(
                               static_cast<double>(tokens) / static_cast<double>(shown_m_.cols), 'g', 3))
                     : tr("token"),
                 QString::number(first_), QString::number(last_));
  map_->setYAxis(per > 1 ? tr("unit.value") : tr("unit"), "0", QString::number(rows ? rows - 1 : 0));
}

// ---------------------------------------------------------------------------- maps

MapView::MapView(std::string variable, QWidget* parent) : View(parent), variable_(std::move(variable)) {
  pop_ = new QComboBox;
  unit_ = new QSpinBox;
  unit_->setRange(0, 0);
  hist_ = new HeatmapWidget;
  now_ = new HeatmapWidget;
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Population")));
  top->addWidget(pop_, 1);
  top->addWidget(new QLabel(tr("Unit")));
  top->addWidget(unit_);
  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(hist_);
  split->addWidget(now_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addLayout(top);
  col->addWidget(split, 1);
  connect(pop_, &QComboBox::currentIndexChanged, this, [this](int) { populationChanged(); });
  connect(unit_, &QSpinBox::valueChanged, this, [this](int) { refresh(); });
  setNetwork(nullptr);
}

void MapView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  pops_.clear();
  QSignalBlocker block(pop_);
  pop_->clear();
  if (net)
    for (std::size_t i = 0; i < net->populations.size(); ++i) {
      const PopulationDesc& p = net->populations[i];
      if (const VariableDesc* v = p.variable(variable_); v && view_of(p, *v) == ViewKind::Map) {
        pops_.push_back(static_cast<int>(i));
        pop_->addItem(QString::fromStdString(p.name));
      }
    }
  const QString none =
      !net ? kNoNetwork
           : tr("No population of this network shows '%1' as a map.").arg(QString::fromStdString(variable_));
  hist_->setImage({});
  now_->setImage({});
  hist_->setPlaceholder(none);
  now_->setPlaceholder(pops_.empty() ? none : QString());
  populationChanged();
}

void MapView::selectUnit(int unit) { unit_->setValue(unit); }

void MapView::selectMostPeaked() {
  const int i = pop_->currentIndex();
  if (!h_ || h_->empty() || !net_ || i < 0 || static_cast<std::size_t>(i) >= pops_.size()) return;
  const std::size_t pop = static_cast<std::size_t>(pops_[static_cast<std::size_t>(i)]);
  const VariableDesc* var = net_->populations[pop].variable(variable_);
  if (!var || var->shape.empty()) return;
  const std::size_t unit = most_peaked_unit(*h_->latest(), pop, variable_, var->shape[0], var->per_unit());
  selectUnit(static_cast<int>(unit));
}

void MapView::populationChanged() {
  const int i = pop_->currentIndex();
  if (!net_ || i < 0 || static_cast<std::size_t>(i) >= pops_.size()) return;
  const auto& pd = net_->populations[static_cast<std::size_t>(pops_[static_cast<std::size_t>(i)])];
  const VariableDesc* var = pd.variable(variable_);
  const std::size_t units = var && !var->shape.empty() ? var->shape[0] : pd.units;
  unit_->setRange(0, static_cast<int>(std::max<std::size_t>(units, 1) - 1));
  refresh();
}

void MapView::refresh() {
  const int i = pop_->currentIndex();
  if (!h_ || !net_ || i < 0 || static_cast<std::size_t>(i) >= pops_.size()) return;
  if (gen_ != h_->generation()) {
    range_.reset();  // one colour range per run
    gen_ = h_->generation();
  }
  const std::size_t pop = static_cast<std::size_t>(pops_[static_cast<std::size_t>(i)]);
  const auto& pd = net_->populations[pop];
  const VariableDesc* var = pd.variable(variable_);
  if (!var) return;
  const std::size_t units = var->shape.empty() ? 0 : var->shape[0], per = var->per_unit();
  const std::size_t unit =
      std::min<std::size_t>(static_cast<std::size_t>(unit_->value()), units ? units - 1 : 0);
  const std::size_t max_cols = static_cast<std::size_t>(std::clamp(hist_->width() - 70, 64, 4096));
  const Track* track = t_ ? t_->find(static_cast<int>(pop), variable_) : nullptr;
  std::size_t first = 0, last = 0;
  if (track && !track->empty()) {
    first = track->token(0);
    last = track->token(track->size() - 1);
    hist_m_ = binned(*track, unit * per, per, columns_for(*track, first, last, max_cols));
  } else {
    const std::size_t n = std::min<std::size_t>(h_->size(), max_cols);
    first = n ? (*h_)[h_->size() - n].token : 0;
    last = h_->empty() ? 0 : h_->latest()->token;
    hist_m_ = map_history(*h_, pop, variable_, unit, per, std::max<std::size_t>(n, 1));
  }
  hist_first_ = first;
  hist_last_ = last;
  const Matrix now =
      h_->empty() ? Matrix(units, per) : current_map(*h_->latest(), pop, variable_, units, per);
  range_.update(hist_m_);
  range_.update(now);
  const double lo = range_.lo(), hi = range_.hi();
  const Palette pal = range_.palette();
  // The axes by the names the model declares ({"units", "slots"}), else plain "entry".
  const auto axes = axes_of(pd, *var);
  const QString entry = axes.size() > 1 ? QString::fromStdString(axes[1]) : tr("entry");
  const QString rows = axes.size() > 0 ? QString::fromStdString(axes[0]) : tr("unit");
  const QString name = QString::fromStdString(pd.name), what = QString::fromStdString(variable_);
  hist_->setImage(gui::render(hist_m_, lo, hi, pal));
  hist_->setRange(lo, hi, pal);
  hist_->setTitle(tr("%1 %2 of unit %3 over time").arg(name, what).arg(unit));
  hist_->setToolTip(QString::fromStdString(var->description));
  hist_->setXAxis(tr("token"), QString::number(first), QString::number(last));
  hist_->setYAxis(entry, "0", QString::number(per ? per - 1 : 0));
  now_->setImage(gui::render(now, lo, hi, pal));
  now_->setRange(lo, hi, pal);
  now_->setTitle(tr("%1 %2 now").arg(name, what));
  now_->setXAxis(entry, "0", QString::number(per ? per - 1 : 0));
  now_->setYAxis(rows, "0", QString::number(units ? units - 1 : 0));
}

// ---------------------------------------------------------------------------- readout

ReadoutView::ReadoutView(QWidget* parent) : View(parent) {
  learn_ = new QCheckBox(tr("Learning"));
  learn_->setObjectName("readout-learning");
  learn_->setToolTip(tr("Online readout (rls, force): update W on the training tokens; off: W stays, and "
                        "FORCE runs free on its own output"));
  learn_->setChecked(true);
  connect(learn_, &QCheckBox::toggled, this, &ReadoutView::learningToggled);
  out_ = new QComboBox;
  label_ = new QLabel;
  label_->setWordWrap(true);
  label_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  chart_ = new QChart;
  style_chart(chart_);
  chart_->legend()->setAlignment(Qt::AlignTop);
  ax_ = make_axis("token");
  ay_ = make_axis("output");
  chart_->addAxis(ax_, Qt::AlignBottom);
  chart_->addAxis(ay_, Qt::AlignLeft);
  target_ = new QLineSeries;
  target_->setName(tr("target"));
  QPen tp(QColor(60, 60, 60));
  tp.setWidthF(1.0);
  tp.setCosmetic(true);
  target_->setPen(tp);
  pred_ = new QLineSeries;
  pred_->setName(tr("readout output"));
  QPen pp(QColor(230, 120, 20));
  pp.setWidthF(1.0);
  pp.setCosmetic(true);
  pred_->setPen(pp);
  for (auto* s : {target_, pred_}) {
    chart_->addSeries(s);
    s->attachAxis(ax_);
    s->attachAxis(ay_);
  }
  view_ = new QChartView(chart_);
  view_->setRenderHint(QPainter::Antialiasing, true);
  auto* top = new QHBoxLayout;
  top->addWidget(label_, 1);
  top->addWidget(learn_);
  top->addWidget(out_);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addLayout(top);
  col->addWidget(view_, 1);
  connect(out_, &QComboBox::currentIndexChanged, this, [this](int) { refresh(); });
  setNetwork(nullptr);
}

void ReadoutView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  QSignalBlocker block(out_);
  out_->clear();
  if (net)
    for (std::size_t o = 0; o < net->target_dim; ++o) out_->addItem(tr("output %1").arg(o));
  out_->setVisible(net && net->target_dim > 1);
  learn_->setVisible(net && net->has_readout && net->readout_kind != "ridge");
  setLearning(true);
  view_->setVisible(net && net->has_readout);
  target_->clear();
  pred_->clear();
  label_->setText(summary());
}

QString ReadoutView::summary() const {
  if (!net_) return kNoNetwork;
  if (!net_->has_readout) return tr("This scenario has no readout (its task has no target).");
  const FramePtr f = h_ ? h_->latest() : nullptr;
  if (f && std::isfinite(f->nrmse))
    return tr("<b>running NRMSE %1</b> over %2 test tokens (tokens &ge; %3, all lanes)")
        .arg(QString::number(f->nrmse, 'f', 4))
        .arg(f->nrmse_tokens)
        .arg(net_->readout_from);
  if (f && !f->prediction.empty() && net_->readout_kind != "ridge")
    return tr("%1 readout: learns on tokens %2 to %3 while Learning is on; the NRMSE counts from token %4")
        .arg(QString::fromStdString(net_->readout_kind))
        .arg(net_->learn_tokens.first)
        .arg(net_->learn_tokens.second - 1)
        .arg(net_->readout_from);
  if (f && !f->prediction.empty())
    return tr("readout trained; the NRMSE counts from token %1").arg(net_->readout_from);
  return tr("The readout is trained after token %1 (warm-up + training); until then only the target is "
            "shown.")
      .arg(net_->readout_from);
}

void ReadoutView::setLearning(bool on) {
  QSignalBlocker block(learn_);
  learn_->setChecked(on);
}

void ReadoutView::refresh() {
  label_->setText(summary());
  if (!h_ || !net_ || !net_->has_readout) return;
  const std::size_t o = static_cast<std::size_t>(std::max(0, out_->currentIndex()));
  const Track* tt = t_ ? t_->find(kReadoutTrack, "target") : nullptr;
  const Track* pt = t_ ? t_->find(kReadoutTrack, "prediction") : nullptr;
  const auto [t0, t1] = token_span(tt, h_);
  const NiceRange rx = nice_range(t0, std::max(t1, t0 + 1));
  const Columns cols = chart_columns(chart_, rx.lo, rx.hi);
  const Series t = tt ? envelope(*tt, o, cols) : target_trace(*h_, o);
  const Series y = pt ? envelope(*pt, o, cols) : tt ? Series() : prediction_trace(*h_, o);
  auto r = finite_range(t);
  if (!y.empty()) {
    const auto ry = finite_range(y);
    r = {std::min(r.first, ry.first), std::max(r.second, ry.second)};
  }
  const auto pr = padded(r, 0.1);
  target_->clear();
  pred_->clear();
  set_axis(ax_, t0, std::max(t1, t0 + 1));
  set_axis(ay_, pr.first, pr.second);
  target_->replace(points(t));
  pred_->replace(points(y));
}

// ---------------------------------------------------------------------------- network graph

QColor NetworkView::kindColor(const NetworkDesc& net, std::size_t pop) {
  const auto colours = population_colours(net);
  return pop < colours.size() ? QColor(QString::fromStdString(colours[pop])) : QColor(Qt::gray);
}

NetworkView::NetworkView(QWidget* parent) : View(parent) {
  scene_ = new QGraphicsScene(this);
  gv_ = new QGraphicsView(scene_);
  gv_->setRenderHint(QPainter::Antialiasing, true);
  gv_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  gv_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  gv_->setFrameShape(QFrame::NoFrame);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(0, 0, 0, 0);
  col->addWidget(gv_);
  setNetwork(nullptr);
}

namespace {

void arrow_head(QPainterPath& path, QPointF tip, QPointF from, double size) {
  const QPointF d = tip - from;
  const double len = std::hypot(d.x(), d.y());
  if (len < 1e-9) return;
  const QPointF u = d / len, n(-u.y(), u.x());
  path.moveTo(tip);
  path.lineTo(tip - u * size + n * size * 0.45);
  path.lineTo(tip - u * size - n * size * 0.45);
  path.closeSubpath();
}

QString thousands(std::size_t n) { return QLocale(QLocale::English).toString(static_cast<qulonglong>(n)); }

}  // namespace

void NetworkView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  scene_->clear();
  if (!net) {
    auto* t = scene_->addSimpleText(kNoNetwork);
    t->setBrush(palette().color(QPalette::PlaceholderText));
    fit();
    return;
  }
  const GraphLayout g = layout_graph(*net);
  const QColor line(90, 90, 90);
  QFont bold = font();
  bold.setBold(true);
  QFont small = font();
  small.setPointSizeF(std::max(7.0, font().pointSizeF() - 1));

  auto has_reverse = [&](const GraphEdge& e) {
    return std::any_of(g.edges.begin(), g.edges.end(),
                       [&](const GraphEdge& o) { return o.from == e.to && o.to == e.from; });
  };
  for (const GraphEdge& e : g.edges) {
    const GraphNode& a = g.nodes[e.from];
    const GraphNode& b = g.nodes[e.to];
    QPainterPath path, head;
    if (e.self) {
      // A loop above the node.
      const double lr = std::max(12.0, 0.45 * b.r);
      const QPointF c(b.x, b.y - b.r - lr * 0.55);
      const QRectF box(c.x() - lr, c.y() - lr, 2 * lr, 2 * lr);
      path.arcMoveTo(box, -60);
      path.arcTo(box, -60, 300);
      const QPointF end = path.currentPosition();
      QPainterPath tmp;
      tmp.arcMoveTo(box, -75);
      arrow_head(head, end, tmp.currentPosition(), 10);
    } else {
      const QPointF pa(a.x, a.y), pb(b.x, b.y);
      const QPointF d = pb - pa;
      const double len = std::hypot(d.x(), d.y());
      const QPointF u = d / std::max(len, 1e-9), n(-u.y(), u.x());
      const double bend = has_reverse(e) ? 28.0 : 0.0;
      const QPointF ctrl = (pa + pb) / 2 + n * bend;
      auto toward = [](QPointF from, QPointF to, double r) {
        const QPointF v = to - from;
        const double l = std::hypot(v.x(), v.y());
        return from + v / std::max(l, 1e-9) * r;
      };
      const QPointF s = toward(pa, ctrl, a.r + 2), t = toward(pb, ctrl, b.r + 3);
      path.moveTo(s);
      path.quadTo(ctrl, t);
      arrow_head(head, t, ctrl, 11);
    }
    auto* pi = scene_->addPath(path, QPen(line, 1.6));
    pi->setToolTip(QString::fromStdString(e.label) + QStringLiteral(": %1 weights").arg(thousands(e.nnz)));
    scene_->addPath(head, QPen(line, 1), QBrush(line));
  }
  for (const GraphNode& n : g.nodes) {
    const QColor c = n.input ? QColor(150, 150, 150) : QColor(QString::fromStdString(n.colour));
    auto* el = scene_->addEllipse(n.x - n.r, n.y - n.r, 2 * n.r, 2 * n.r, QPen(c.darker(140), 2), QBrush(c));
    el->setToolTip(QStringLiteral("%1 (%2): %3 %4")
                       .arg(QString::fromStdString(n.name), QString::fromStdString(n.kind),
                            thousands(n.units), n.input ? "dimensions" : "units"));
    // The name inside the node when it fits, else below it; then kind and size.
    auto* name = scene_->addSimpleText(QString::fromStdString(n.name), bold);
    const QRectF nb = name->boundingRect();
    const bool inside = nb.width() < 1.7 * n.r && nb.height() < 1.6 * n.r;
    name->setBrush(inside ? QBrush(Qt::white) : palette().brush(QPalette::Text));
    name->setPos(n.x - nb.width() / 2, inside ? n.y - nb.height() / 2 : n.y + n.r + 2);
    name->setZValue(2);
    const QString info =
        n.input ? QStringLiteral("%1 dim").arg(n.units)
                : QStringLiteral("%1 · %2").arg(QString::fromStdString(n.kind), thousands(n.units));
    auto* sub = scene_->addSimpleText(info, small);
    sub->setBrush(palette().color(QPalette::Text));
    sub->setPos(n.x - sub->boundingRect().width() / 2, n.y + n.r + 3 + (inside ? 0 : nb.height()));
    sub->setZValue(2);
    // A translucent backing keeps labels readable where arrows pass under them.
    for (QGraphicsSimpleTextItem* t : {sub, inside ? nullptr : name}) {
      if (!t) continue;
      auto* bg = scene_->addRect(t->sceneBoundingRect().adjusted(-2, 0, 2, 0), Qt::NoPen,
                                 QColor(255, 255, 255, 200));
      bg->setZValue(1);
    }
  }
  // Legend.
  const QRectF used = scene_->itemsBoundingRect();
  double x = used.left(), y = used.bottom() + 14;
  // Legend: each kind once, in its colour, then the input.
  std::vector<std::pair<QString, QColor>> legend;
  for (std::size_t i = 1; i < g.nodes.size(); ++i) {
    const QString kind = QString::fromStdString(g.nodes[i].kind);
    if (std::none_of(legend.begin(), legend.end(), [&](auto& e) { return e.first == kind; }))
      legend.emplace_back(kind, QColor(QString::fromStdString(g.nodes[i].colour)));
  }
  legend.emplace_back(tr("input"), QColor(150, 150, 150));
  for (auto& [text, color] : legend) {
    scene_->addEllipse(x, y + 2, 10, 10, QPen(color.darker(140)), QBrush(color));
    auto* t = scene_->addSimpleText(text, small);
    t->setBrush(palette().color(QPalette::Text));
    t->setPos(x + 14, y);
    x += 14 + t->boundingRect().width() + 14;
  }
  fit();
}

void NetworkView::fit() {
  const QRectF r = scene_->itemsBoundingRect().adjusted(-12, -12, 12, 12);
  scene_->setSceneRect(r);
  gv_->fitInView(r, Qt::KeepAspectRatio);
  // Small networks are not blown up: text stays near its normal size.
  if (gv_->transform().m11() > 1.2) {
    gv_->resetTransform();
    gv_->scale(1.2, 1.2);
    gv_->centerOn(r.center());
  }
}

void NetworkView::resizeEvent(QResizeEvent* e) {
  View::resizeEvent(e);
  fit();
}

// ---------------------------------------------------------------------------- parameters

ParameterPanel::ParameterPanel(ParameterModel* model, QWidget* parent) : QWidget(parent) {
  table_ = new QTableView;
  table_->setModel(model);
  table_->verticalHeader()->hide();
  table_->setAlternatingRowColors(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                          QAbstractItemView::AnyKeyPressed);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  hint_ =
      new QLabel(tr("Live parameters (bold) can be edited while the simulation runs: "
                    "double-click the value. Edits apply at the next step boundary."));
  hint_->setWordWrap(true);
  QFont f = hint_->font();
  f.setPointSizeF(std::max(7.0, f.pointSizeF() - 1));
  hint_->setFont(f);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addWidget(table_, 1);
  col->addWidget(hint_);
  connect(model, &QAbstractItemModel::modelReset, this, &ParameterPanel::fitColumns);
}

void ParameterPanel::fitColumns() {
  for (int c = 0; c < ParameterModel::Status; ++c) table_->resizeColumnToContents(c);
}

}  // namespace ransim::gui
