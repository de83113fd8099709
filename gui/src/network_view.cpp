#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSceneHoverEvent>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsView>
#include <QLocale>
#include <QPainterPath>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "colormap.hpp"
#include "describe.hpp"
#include "graph_layout.hpp"
#include "views.hpp"

namespace ransim::gui {

namespace {
const QString kNoNetwork = noNetworkText();
}  // namespace

// ---------------------------------------------------------------------------- network graph

// A population's unit cells: one pixel per unit, scaled to the cell size; the tooltip follows
// the cell under the pointer.
class UnitCellsItem : public QGraphicsPixmapItem {
 public:
  UnitCellsItem(const NetworkView* view, std::size_t pop) : view_(view), pop_(pop) {
    setAcceptHoverEvents(true);
    setTransformationMode(Qt::FastTransformation);  // crisp cells, no blending of neighbours
  }

 protected:
  void hoverMoveEvent(QGraphicsSceneHoverEvent* e) override {
    // Item coordinates are the pixmap's pixels: one per cell.
    const CellGrid& g = view_->cellGrid(pop_);
    const double x = e->pos().x(), y = e->pos().y();
    const auto col = static_cast<std::size_t>(std::max(0.0, x));
    const auto row = static_cast<std::size_t>(std::max(0.0, y));
    const std::size_t unit = row * g.cols + col;
    setToolTip(x >= 0 && y >= 0 && col < g.cols && unit < g.shown ? view_->cellTip(pop_, unit) : QString());
    QGraphicsPixmapItem::hoverMoveEvent(e);
  }

 private:
  const NetworkView* view_;
  std::size_t pop_;
};

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
  nodes_.clear();
  cells_.clear();
  grids_.clear();
  units_.clear();
  bar_ = nullptr;
  scale_ = nullptr;
  activity_.clear();
  gen_ = ~0ull;
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
    // The kind's colour rings the node; the fill is the activity (refresh), the kind's until then.
    auto* el =
        scene_->addEllipse(n.x - n.r, n.y - n.r, 2 * n.r, 2 * n.r, QPen(c, n.input ? 2 : 4), QBrush(c));
    el->setToolTip(QStringLiteral("%1 (%2): %3 %4")
                       .arg(QString::fromStdString(n.name), QString::fromStdString(n.kind),
                            thousands(n.units), n.input ? "dimensions" : "units"));
    if (!n.input) {
      nodes_.push_back(el);
      addCells(n);
    }
    // The input's name inside it when it fits; a population's below it (its cells are inside).
    // Then kind and size.
    auto* name = scene_->addSimpleText(QString::fromStdString(n.name), bold);
    const QRectF nb = name->boundingRect();
    const bool inside = n.input && nb.width() < 1.7 * n.r && nb.height() < 1.6 * n.r;
    name->setBrush(inside ? QBrush(Qt::white) : palette().brush(QPalette::Text));
    name->setPos(n.x - nb.width() / 2, inside ? n.y - nb.height() / 2 : n.y + n.r + 2);
    name->setZValue(2);
    QString info = n.input
                       ? QStringLiteral("%1 dim").arg(n.units)
                       : QStringLiteral("%1 · %2").arg(QString::fromStdString(n.kind), thousands(n.units));
    if (!n.input && grids_.back().shown < n.units)
      info += tr(" (%1 of %2 shown)").arg(thousands(grids_.back().shown), thousands(n.units));
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
  addScale(used.left(), y + 20);
  fit();
  refresh();
}

void NetworkView::addCells(const GraphNode& n) {
  const std::size_t pop = grids_.size();
  const CellGrid g = cell_grid(n.units, n.r);
  grids_.push_back(g);
  cells_.push_back(nullptr);
  if (g.shown == 0) return;
  // Centred on the node; rows below the last full one stay empty (transparent).
  const double x0 = n.x - g.side / 2;
  const double y0 = n.y - g.cell * static_cast<double>(g.rows) / 2;
  auto* item = new UnitCellsItem(this, pop);
  item->setPos(x0, y0);
  item->setScale(g.cell);
  item->setZValue(1.5);
  scene_->addItem(item);
  cells_.back() = item;
  // Thin lines around the cells, drawn once: the cells change, the grid does not. Cells per
  // row and rows per column never grow along the grid, so a line spans the row (column) before it.
  auto in_row = [&](std::size_t r) -> std::size_t {
    return r < g.rows ? std::min(g.cols, g.shown - r * g.cols) : 0;
  };
  auto in_col = [&](std::size_t c) -> std::size_t {
    return c < g.cols ? g.shown / g.cols + (c < g.shown % g.cols ? 1 : 0) : 0;
  };
  QPainterPath grid;
  for (std::size_t r = 0; r <= g.rows; ++r) {
    const double y = y0 + g.cell * static_cast<double>(r);
    grid.moveTo(x0, y);
    grid.lineTo(x0 + g.cell * static_cast<double>(in_row(r == 0 ? 0 : r - 1)), y);
  }
  for (std::size_t c = 0; c <= g.cols; ++c) {
    const double x = x0 + g.cell * static_cast<double>(c);
    grid.moveTo(x, y0);
    grid.lineTo(x, y0 + g.cell * static_cast<double>(in_col(c == 0 ? 0 : c - 1)));
  }
  auto* lines = scene_->addPath(grid, QPen(QColor(0, 0, 0, 70), 0));
  lines->setZValue(1.6);
  lines->setAcceptHoverEvents(false);
}

void NetworkView::addScale(double x, double y) {
  bar_ = scene_->addPixmap(QPixmap::fromImage(color_bar(range_.palette(), 10, 90)));
  bar_->setTransform(QTransform().translate(x + 90, y + 2).rotate(90));  // low on the left
  QFont small = font();
  small.setPointSizeF(std::max(7.0, font().pointSizeF() - 1));
  scale_ = scene_->addSimpleText(QString(), small);
  scale_->setBrush(palette().color(QPalette::Text));
  scale_->setPos(x + 96, y);
  // Room for the text while the view is fitted (refresh() sets the real one).
  scale_->setText(tr("RMS state at token 000000, 0 .. 1\nfill: population, cells: its units; outline: kind"));
}

QString NetworkView::scaleText() const {
  if (activity_.empty()) return {};
  return tr("RMS state at token %1, %2 .. %3\nfill: population, cells: its units; outline: kind")
      .arg(activity_token_)
      .arg(range_.lo(), 0, 'g', 3)
      .arg(range_.hi(), 0, 'g', 3);
}

const std::vector<double>& NetworkView::unitActivity(std::size_t pop) const {
  static const std::vector<double> none;
  return pop < units_.size() ? units_[pop] : none;
}

QGraphicsPixmapItem* NetworkView::cellsItem(std::size_t pop) const {
  return pop < cells_.size() ? cells_[pop] : nullptr;
}

QImage NetworkView::unitCells(std::size_t pop) const {
  const QGraphicsPixmapItem* item = cellsItem(pop);
  return item ? item->pixmap().toImage() : QImage();
}

QString NetworkView::cellTip(std::size_t pop, std::size_t unit) const {
  if (!net_ || pop >= net_->populations.size()) return {};
  const PopulationDesc& p = net_->populations[pop];
  const std::vector<double>& values = unitActivity(pop);
  const QString what = p.dim > 1 ? tr("RMS of its %1 state values").arg(p.dim) : tr("RMS state (|state|)");
  const QString value = unit < values.size() ? QString::number(values[unit], 'g', 3) : tr("none yet");
  return tr("%1 unit %2: %3 %4 at token %5")
      .arg(QString::fromStdString(p.name))
      .arg(unit)
      .arg(what, value)
      .arg(activity_token_);
}

void NetworkView::paintCells() {
  for (std::size_t p = 0; p < cells_.size(); ++p) {
    if (!cells_[p]) continue;
    const CellGrid& g = grids_[p];
    QImage img(static_cast<int>(g.cols), static_cast<int>(g.rows), QImage::Format_ARGB32);
    img.fill(Qt::transparent);
    const std::vector<double>& values = unitActivity(p);
    for (std::size_t u = 0; u < g.shown; ++u) {
      const double v = u < values.size() ? values[u] : std::nan("");
      img.setPixel(static_cast<int>(u % g.cols), static_cast<int>(u / g.cols),
                   color_of(range_.palette(), v, range_.lo(), range_.hi()));
    }
    cells_[p]->setPixmap(QPixmap::fromImage(img));
  }
}

QColor NetworkView::nodeFill(std::size_t pop) const {
  if (pop >= activity_.size()) return {};
  return QColor::fromRgb(color_of(range_.palette(), activity_[pop], range_.lo(), range_.hi()));
}

void NetworkView::refresh() {
  if (!net_ || nodes_.size() != net_->populations.size() || !scale_) return;
  if (h_ && gen_ != h_->generation()) {
    range_.reset();  // one scale per run, only growing, so that colours keep their meaning
    gen_ = h_->generation();
  }
  const std::optional<std::size_t> at = cursorToken();
  if (t_ && !t_->empty()) {
    activity_ = rms_activity(*net_, *t_, at, &activity_token_);
    units_ = unit_activity(*net_, *t_, at);
  } else if (h_ && !h_->empty()) {
    activity_ = rms_activity(*net_, *h_->latest());
    units_ = unit_activity(*net_, *h_->latest());
    activity_token_ = h_->latest()->token;
  } else {
    activity_.clear();
    units_.clear();
    scale_->setText(QString());
    return;
  }
  // One scale for the populations and their units (a unit's RMS may exceed its population's).
  Matrix m(1, activity_.size());
  m.v = activity_;
  for (const std::vector<double>& u : units_) m.v.insert(m.v.end(), u.begin(), u.end());
  m.cols = m.v.size();
  range_.update(m);
  for (std::size_t p = 0; p < nodes_.size(); ++p) {
    nodes_[p]->setBrush(nodeFill(p));
    nodes_[p]->setToolTip(
        nodes_[p]->toolTip().section(QStringLiteral(" - "), 0, 0) +
        tr(" - RMS state %1 at token %2").arg(activity_[p], 0, 'g', 3).arg(activity_token_));
  }
  paintCells();
  bar_->setPixmap(QPixmap::fromImage(color_bar(range_.palette(), 10, 90)));
  scale_->setText(scaleText());
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

}  // namespace ransim::gui
