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
#include <QTabBar>
#include <QTableView>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

#include "chart_util.hpp"
#include "describe.hpp"
#include "graph_layout.hpp"
#include "parameter_model.hpp"
#include "time_window.hpp"
#include "unit_list_model.hpp"

namespace ransim::gui {

namespace {

QString num(double v, int prec = 3) { return QString::number(v, 'g', prec); }

QList<QPointF> points(const Series& s) {
  QList<QPointF> p;
  p.reserve(static_cast<qsizetype>(s.size()));
  for (auto& [t, v] : s) p.append(QPointF(t, std::isfinite(v) ? v : 0.0));
  return p;
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

const QString kNoNetwork = noNetworkText();

// The x range a chart draws over the shown tokens [t0, t1]: round numbers for the whole run,
// exactly the window when zoomed (rounding would undo a small zoom step).
std::pair<double, double> chart_x(double t0, double t1, bool zoomed) {
  t1 = std::max(t1, t0 + 1);
  if (zoomed) return {t0, t1};
  const NiceRange r = nice_range(t0, t1);
  return {r.lo, r.hi};
}

// The token under x of a heatmap that shows tokens [first, last], one column per token or
// per equal share of them.
double heatmap_token_at(const HeatmapWidget* w, std::size_t first, std::size_t last, double x) {
  const QRect plot = w->plotRect();
  if (plot.width() <= 0) return static_cast<double>(first);
  const double share = (x - plot.left()) / plot.width();
  return static_cast<double>(first) + share * static_cast<double>(last + 1 - first);
}

// A [units, per_unit] track's row of the last token <= `token`, as units x per_unit (NaN
// before its first token).
Matrix row_map(const Track& t, std::size_t token, std::size_t units, std::size_t per) {
  Matrix m(units, per);
  const std::size_t i = t.lower_bound(token + 1);
  if (i == 0 || t.width() < units * per) return m;
  std::copy(t.row(i - 1), t.row(i - 1) + units * per, m.v.begin());
  return m;
}

// The token under viewport x of a chart view.
double chart_token_at(const QChartView* v, QChart* c, double x) {
  return c->mapToValue(c->mapFromScene(v->mapToScene(QPoint(static_cast<int>(x), 0)))).x();
}

}  // namespace

// ---------------------------------------------------------------------------- tab titles

namespace {
void keep_whole(QTabBar* b) {
  b->setElideMode(Qt::ElideNone);
  b->setUsesScrollButtons(true);
}

class WholeTabTitles : public QObject {
 public:
  using QObject::QObject;

 protected:
  bool eventFilter(QObject* o, QEvent* e) override {
    if (e->type() == QEvent::ChildPolished)
      if (auto* b = qobject_cast<QTabBar*>(static_cast<QChildEvent*>(e)->child())) keep_whole(b);
    return QObject::eventFilter(o, e);
  }
};
}  // namespace

void keepTabTitlesWhole(QWidget* window) {
  for (QTabBar* b : window->findChildren<QTabBar*>()) keep_whole(b);
  window->installEventFilter(new WholeTabTitles(window));
}

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

QFont HeatmapWidget::titleFont() const {
  QFont bold = font();
  bold.setPointSizeF(std::max(7.0, font().pointSizeF() - 1.5));
  bold.setBold(true);
  return bold;
}

// Wrapped at word boundaries, or anywhere when one word is wider than the plot (a narrow
// dock): the title is never cut.
int HeatmapWidget::titleFlags(int width) const {
  const QFontMetrics fm(titleFont());
  const int words = Qt::AlignLeft | Qt::TextWordWrap;
  return fm.boundingRect(QRect(0, 0, width, 10000), words, title_).width() <= width
             ? words
             : Qt::AlignLeft | Qt::TextWrapAnywhere;
}

QRect HeatmapWidget::titleRect(int width) const {
  if (title_.isEmpty()) return {};
  return QFontMetrics(titleFont()).boundingRect(QRect(0, 0, width, 10000), titleFlags(width), title_);
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
  // The title wraps onto as many lines as it needs: nothing of it is cut (issue 22, D12).
  const int title_width = std::max(10, width() - left - right);
  const QRect title_box = titleRect(title_width);
  const int top = title_.isEmpty() ? 6 : title_box.height() + 6;
  const int bottom = 2 * lh + 8;
  const QRect plot(left, top, title_width, std::max(10, height() - top - bottom));
  plot_ = plot;

  p.setFont(small);
  p.setPen(pal.color(QPalette::Text));
  if (!title_.isEmpty()) {
    p.setFont(titleFont());
    p.drawText(title_box.translated(left, 2), titleFlags(title_width), title_);
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

QWidget* TracesView::timeSurface() const { return view_->viewport(); }
double TracesView::tokenAt(double x) const { return chart_token_at(view_, chart_, x); }

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
  const auto held = token_span(track, h_);
  const auto [t0, t1] = shownTokens(held.first, held.second);
  const bool zoomed = tw_ && tw_->zoomed();
  const auto rx = chart_x(t0, t1, zoomed);
  const Columns cols = chart_columns(chart_, rx.first, rx.second);
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
  const bool moved =
      ax_->min() != rx.first || ax_->max() != rx.second || ay_->min() != ry.lo || ay_->max() != ry.hi;
  if (moved)
    for (auto* s : series_) s->clear();
  set_axis(ax_, t0, std::max(t1, t0 + 1), zoomed);
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

QWidget* ActivityHeatmapView::timeSurface() const { return map_; }
double ActivityHeatmapView::tokenAt(double x) const { return heatmap_token_at(map_, first_, last_, x); }

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
    const auto [lo, hi] = shownTokens(static_cast<double>(track->token(0)),
                                      static_cast<double>(track->token(track->size() - 1)));
    first_ = static_cast<std::size_t>(std::llround(lo));
    last_ = static_cast<std::size_t>(std::llround(hi));
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

QWidget* MapView::timeSurface() const { return hist_; }
double MapView::tokenAt(double x) const { return heatmap_token_at(hist_, hist_first_, hist_last_, x); }

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
    const auto [lo, hi] = shownTokens(static_cast<double>(track->token(0)),
                                      static_cast<double>(track->token(track->size() - 1)));
    first = static_cast<std::size_t>(std::llround(lo));
    last = static_cast<std::size_t>(std::llround(hi));
    hist_m_ = binned(*track, unit * per, per, columns_for(*track, first, last, max_cols));
  } else {
    const std::size_t n = std::min<std::size_t>(h_->size(), max_cols);
    first = n ? (*h_)[h_->size() - n].token : 0;
    last = h_->empty() ? 0 : h_->latest()->token;
    hist_m_ = map_history(*h_, pop, variable_, unit, per, std::max<std::size_t>(n, 1));
  }
  hist_first_ = first;
  hist_last_ = last;
  // "Now": the time slider's token, else the newest frame.
  const std::optional<std::size_t> at = cursorToken();
  now_m_ = at && track   ? row_map(*track, *at, units, per)
           : h_->empty() ? Matrix(units, per)
                         : current_map(*h_->latest(), pop, variable_, units, per);
  range_.update(hist_m_);
  const Matrix& now = now_m_;
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
  now_->setTitle(at ? tr("%1 %2 at token %3").arg(name, what).arg(*at) : tr("%1 %2 now").arg(name, what));
  now_->setXAxis(entry, "0", QString::number(per ? per - 1 : 0));
  now_->setYAxis(rows, "0", QString::number(units ? units - 1 : 0));
}

// ---------------------------------------------------------------------------- readout

ReadoutView::ReadoutView(QWidget* parent) : View(parent) {
  learn_ = new QCheckBox(tr("Learning"));
  learn_->setObjectName("readout-learning");
  learn_->setToolTip(
      tr("Online readout (rls, force): update W on the training tokens; off: W stays, and "
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

QWidget* ReadoutView::timeSurface() const { return view_->viewport(); }
double ReadoutView::tokenAt(double x) const { return chart_token_at(view_, chart_, x); }

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
  const auto held = token_span(tt, h_);
  const auto [t0, t1] = shownTokens(held.first, held.second);
  const bool zoomed = tw_ && tw_->zoomed();
  const auto rx = chart_x(t0, t1, zoomed);
  const Columns cols = chart_columns(chart_, rx.first, rx.second);
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
  set_axis(ax_, t0, std::max(t1, t0 + 1), zoomed);
  set_axis(ay_, pr.first, pr.second);
  target_->replace(points(t));
  pred_->replace(points(y));
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
