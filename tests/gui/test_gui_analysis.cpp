// Issue 22, part 2: the phase plot, the PCA view and the activity on the network graph.
// Expected numbers: the tracks the tests write (phase), core/analysis's pca on the same
// samples and the closed form "a projection's variance is its component's eigenvalue" (PCA),
// the RMS of known rows (graph); the unit cells' colours from the viridis control points the
// sequential scale states (colormap.hpp), interpolated here on their own.
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSceneHoverEvent>
#include <QGraphicsSimpleTextItem>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>

#include <cmath>

#include "colormap.hpp"
#include "graph_layout.hpp"
#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "pca_view.hpp"  // and analysis/measures.hpp
#include "phase_view.hpp"
#include "simulation_controller.hpp"
#include "time_window.hpp"
#include "token_history.hpp"
#include "views.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

NetworkDesc two_populations() {
  NetworkDesc n;
  n.session = 4;
  n.input_dim = 1;
  PopulationDesc a{"a", "leaky", 3, 1, {}, {}};
  a.variables = {{"state", "1", "", {3}}};
  PopulationDesc b{"b", "leaky", 2, 1, {}, {}};
  b.variables = {{"state", "1", "", {2}}};
  n.populations = {a, b};
  n.projections = {{"ab", "sparse", {"a"}, "b", 6}};
  return n;
}

// Population a: a tilted ellipse in 3 entries (so that PCA has a known shape); b: k and -k.
std::vector<double> row_a(std::size_t k) {
  const double t = 0.05 * static_cast<double>(k);
  return {3 * std::cos(t), 3 * std::cos(t) + std::sin(t), 0.1 * std::sin(3 * t)};
}

void fill(TokenHistory& h, const NetworkDesc& n, std::size_t tokens, std::size_t b_every = 1) {
  h.reset(n.session, values_per_token(n));
  TokenChunk c;
  c.session = n.session;
  c.tracks.push_back({0, "state", 3, {}, {}});
  c.tracks.push_back({1, "state", 2, {}, {}});
  for (std::size_t k = 0; k < tokens; ++k) {
    c.tracks[0].add(k, row_a(k).data());
    const double b[2] = {static_cast<double>(k), -static_cast<double>(k)};
    if (k % b_every == 0) c.tracks[1].add(k, b);
  }
  h.append(c);
}

// The sequential scale on [0, 1]: the viridis control points, linear between them, looked up
// at the nearest of 256 levels (what a colour scale of 256 entries shows).
QRgb viridis(double v) {
  struct Stop {
    double t;
    double r, g, b;
  };
  const Stop stops[] = {{0.0, 68, 1, 84},     {0.13, 72, 36, 117},  {0.25, 65, 68, 135},
                        {0.38, 53, 95, 141},  {0.5, 42, 120, 142},  {0.63, 33, 145, 140},
                        {0.75, 53, 183, 121}, {0.88, 144, 215, 67}, {1.0, 253, 231, 37}};
  const double t = std::round(std::clamp(v, 0.0, 1.0) * 255.0) / 255.0;
  std::size_t j = 1;
  while (j + 1 < std::size(stops) && stops[j].t < t) ++j;
  const Stop &a = stops[j - 1], &b = stops[j];
  const double u = (t - a.t) / (b.t - a.t);
  auto mix = [u](double x, double y) { return static_cast<int>(std::lround(x + (y - x) * u)); };
  return qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

// A hover over a point of a cells item (item coordinates: one unit per cell); its tooltip then.
QString hover(QGraphicsPixmapItem* item, QPointF at) {
  QGraphicsSceneHoverEvent e(QEvent::GraphicsSceneHoverMove);
  e.setPos(at);
  e.setScenePos(item->mapToScene(at));
  item->scene()->sendEvent(item, &e);
  return item->toolTip();
}

}  // namespace

class TestGuiAnalysis : public QObject {
  Q_OBJECT

 private slots:
  // The path pairs the values of the tokens both tracks hold, in token order; entry -1 is the
  // mean of the entries.
  void phasePathFromKnownTracks() {
    const NetworkDesc n = two_populations();
    TokenHistory h;
    fill(h, n, 100, 3);  // b only on every third token
    const Track& a = *h.find(0, "state");
    const Track& b = *h.find(1, "state");
    const PhasePath p = phase_path(a, 1, b, -1, 10, 40);
    QCOMPARE(p.tokens.size(), std::size_t(10));  // 12, 15, ..., 39
    for (std::size_t i = 0; i < p.tokens.size(); ++i) {
      const std::size_t k = 12 + 3 * i;
      QCOMPARE(p.tokens[i], static_cast<double>(k));
      QCOMPARE(p.x[i], row_a(k)[1]);
      QCOMPARE(p.y[i], 0.0);  // the mean of k and -k
    }
    const PhasePath q = phase_path(a, 0, a, 2, 0, 99);
    QCOMPARE(q.tokens.size(), std::size_t(100));
    QCOMPARE(q.y[57], row_a(57)[2]);
    const PhasePath t = thinned(q, 30);  // every 4th, and the newest point
    QCOMPARE(t.tokens.front(), 0.0);
    QCOMPARE(t.tokens[1], 4.0);
    QCOMPARE(t.tokens.back(), 99.0);
    QVERIFY(t.tokens.size() <= 30);
  }

  // The view draws that path over the shown tokens and marks the time slider's token.
  void phaseViewDrawsThePathAndTheCursor() {
    const NetworkDesc n = two_populations();
    TokenHistory h;
    fill(h, n, 200);
    FrameHistory frames;
    frames.reset(n.session);
    TimeWindow w;
    PhaseView v;
    v.attach(&frames, &h);
    v.setTimeWindow(&w);
    v.setNetwork(&n);
    QCOMPARE(v.choices().size(), std::size_t(2));  // a · state, b · state (no readout)
    v.choose({0, "state", 0}, {1, "state", 1});
    QCOMPARE(v.series()->count(), 200);
    QCOMPARE(v.series()->at(150), QPointF(row_a(150)[0], -150.0));
    QCOMPARE(v.marker()->at(0), QPointF(row_a(199)[0], -199.0));  // the newest
    w.showRange(50, 90, 0, 199);
    w.setCursor(70);
    v.refresh();
    QCOMPARE(v.series()->count(), 41);
    QCOMPARE(v.series()->at(0).y(), -50.0);
    QCOMPARE(v.marker()->at(0), QPointF(row_a(70)[0], -70.0));
    QVERIFY(v.csv().startsWith("token,"));
  }

  // The explained variance is core/analysis's pca of the same samples; each coordinate's
  // variance over the samples is its component's eigenvalue; the components are orthonormal.
  void pcaEqualsCoreAnalysis() {
    const NetworkDesc n = two_populations();
    TokenHistory h;
    fill(h, n, 300);
    const Track& a = *h.find(0, "state");
    const PcaTrajectory p = pca_trajectory(a, 0, 299, 4000);
    arma::mat samples(300, 3);
    for (std::size_t k = 0; k < 300; ++k) samples.row(k) = arma::rowvec(row_a(k));
    const analysis::Pca ref = analysis::pca(samples);
    QCOMPARE(p.samples.n_rows, arma::uword(300));
    QCOMPARE(p.coords.n_cols, arma::uword(3));
    for (arma::uword c = 0; c < 3; ++c) {
      QVERIFY(std::abs(p.pca.explained[c] - ref.explained[c]) < 1e-12);
      QVERIFY(std::abs(arma::var(p.coords.col(c)) - ref.variance[c]) < 1e-9 * (1 + ref.variance[0]));
    }
    QVERIFY(arma::norm(p.pca.components.t() * p.pca.components - arma::eye(3, 3)) < 1e-12);
    // More tokens than max_samples: every k-th row is fitted, every row projected.
    const PcaTrajectory thin = pca_trajectory(a, 0, 299, 100);
    QCOMPARE(thin.samples.n_rows, arma::uword(100));  // k = 3
    QCOMPARE(thin.samples(1, 0), row_a(3)[0]);
    QCOMPARE(thin.tokens.size(), std::size_t(300));
    // 3-D turn: azimuth 90 sends (1, 0, 0) to depth and (0, 1, 0) to -x; elevation 0 keeps c.
    const auto [x, y] = turn(0, 1, 2, 90, 0);
    QVERIFY(std::abs(x + 1) < 1e-15 && std::abs(y - 2) < 1e-15);
  }

  void pcaViewShowsTheExplainedVariance() {
    const NetworkDesc n = two_populations();
    TokenHistory h;
    fill(h, n, 300);
    FrameHistory frames;
    frames.reset(n.session);
    PcaView v;
    v.attach(&frames, &h);
    v.setNetwork(&n);
    v.refresh();
    arma::mat samples(300, 3);
    for (std::size_t k = 0; k < 300; ++k) samples.row(k) = arma::rowvec(row_a(k));
    const analysis::Pca ref = analysis::pca(samples);
    const QString text = v.summary();
    QVERIFY2(text.contains(QString("PC1 %1 %").arg(100 * ref.explained[0], 0, 'f', 1)), qPrintable(text));
    QVERIFY2(text.contains(QString("PC2 %1 %").arg(100 * ref.explained[1], 0, 'f', 1)), qPrintable(text));
    QCOMPARE(v.series()->count(), 300);
    QVERIFY(std::abs(v.series()->at(10).x() - v.trajectory().coords(10, 0)) < 1e-12);
    v.setThreeD(true);
    v.setView(90, 0);
    QVERIFY(std::abs(v.series()->at(10).x() + v.trajectory().coords(10, 1)) < 1e-12);
    QVERIFY(std::abs(v.series()->at(10).y() - v.trajectory().coords(10, 2)) < 1e-12);
  }

  // Activity on the graph: each population's RMS state at the token, its fill the colour
  // scale's colour of that value, the scale stated.
  void graphActivityFollowsTheToken() {
    const NetworkDesc n = two_populations();
    TokenHistory h;
    fill(h, n, 50);
    std::size_t shown = 0;
    const auto act = rms_activity(n, h, 20, &shown);
    QCOMPARE(shown, std::size_t(20));
    const auto r = row_a(20);
    QVERIFY(std::abs(act[0] - std::sqrt((r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) / 3)) < 1e-15);
    QCOMPARE(act[1], 20.0);  // sqrt((20^2 + 20^2) / 2)
    FrameHistory frames;
    frames.reset(n.session);
    TimeWindow w;
    NetworkView v;
    v.attach(&frames, &h);
    v.setTimeWindow(&w);
    v.setNetwork(&n);
    QCOMPARE(v.activity()[1], 49.0);  // the newest token
    w.setCursor(20);
    v.refresh();
    QCOMPARE(v.activity()[1], 20.0);
    const ColourRange& range = v.activityRange();
    QCOMPARE(range.lo(), 0.0);
    QCOMPARE(range.hi(), 64.0);  // grown to the power of two above 49, never shrinking
    QCOMPARE(v.nodeFill(1).rgb(), color_of(range.palette(), 20.0, 0, 64));
    QVERIFY(v.scaleText().contains("token 20"));
    QVERIFY(v.scaleText().contains("64"));
  }

  // The units on the graph (NetView style): each cell is its unit's RMS over its state values
  // in the colour of the stated scale; a population too large for its node shows its first
  // units and says how many; hovering a cell names the unit and its value.
  void graphUnitCellsFollowTheColourScale() {
    NetworkDesc n;
    n.session = 9;
    n.input_dim = 1;
    PopulationDesc vec{"vec", "leaky", 5, 2, {}, {}};
    vec.variables = {{"state", "1", "", {5, 2}}};
    PopulationDesc big{"big", "leaky", 3000, 1, {}, {}};
    big.variables = {{"state", "1", "", {3000}}};
    n.populations = {vec, big};
    TokenHistory h;
    h.reset(n.session, values_per_token(n));
    TokenChunk c;
    c.session = n.session;
    c.tracks.push_back({0, "state", 10, {}, {}});
    c.tracks.push_back({1, "state", 3000, {}, {}});
    // Unit RMS at token 0: 0, sqrt(0.5), 1, 0.3, 0.5; at token 1 the first unit is 1.
    const double vec0[10] = {0, 0, 0.6, 0.8, 1, 1, 0.3, -0.3, 0.1, 0.7};
    const double vec1[10] = {1, -1, 0.6, 0.8, 1, 1, 0.3, -0.3, 0.1, 0.7};
    const double expected0[5] = {0, std::sqrt(0.5), 1, 0.3, 0.5};
    std::vector<double> big0(3000);
    for (std::size_t u = 0; u < big0.size(); ++u)
      big0[u] = (u % 2 ? -1.0 : 1.0) * static_cast<double>(u % 100) / 100;
    c.tracks[0].add(0, vec0);
    c.tracks[1].add(0, big0.data());
    h.append(c);
    FrameHistory frames;
    frames.reset(n.session);
    NetworkView v;
    v.attach(&frames, &h);
    v.setNetwork(&n);
    // Every value lies in [0, 1]: the scale is 0 .. 1, sequential.
    QCOMPARE(v.activityRange().lo(), 0.0);
    QCOMPARE(v.activityRange().hi(), 1.0);
    // vec: 5 units in a 3 x 2 grid, the sixth cell empty.
    const CellGrid& g = v.cellGrid(0);
    QCOMPARE(g.shown, std::size_t(5));
    QCOMPARE(g.cols, std::size_t(3));
    QCOMPARE(g.rows, std::size_t(2));
    QImage cells = v.unitCells(0);
    QCOMPARE(cells.size(), QSize(3, 2));
    for (std::size_t u = 0; u < 5; ++u) {
      QVERIFY(std::abs(v.unitActivity(0)[u] - expected0[u]) < 1e-15);
      const QRgb got = cells.pixel(static_cast<int>(u % 3), static_cast<int>(u / 3));
      QVERIFY2(
          got == viridis(expected0[u]),
          qPrintable(QString("unit %1: %2 != %3").arg(u).arg(got, 0, 16).arg(viridis(expected0[u]), 0, 16)));
    }
    QCOMPARE(cells.pixel(0, 0), qRgb(68, 1, 84));     // 0: the scale's low end
    QCOMPARE(cells.pixel(2, 0), qRgb(253, 231, 37));  // 1: its high end
    QCOMPARE(qAlpha(cells.pixel(2, 1)), 0);           // no sixth unit
    // big: at most (0.9 sqrt(2) r / 4)^2 cells of 4 scene units in the node of radius 90.
    QCOMPARE(node_radius(3000), 90.0);
    const auto per_side = static_cast<std::size_t>(std::floor(0.9 * std::sqrt(2.0) * 90 / 4));
    QCOMPARE(v.cellGrid(1).shown, per_side * per_side);
    QCOMPARE(v.cellGrid(1).cols, per_side);
    const QString shown = QString("(%1 of 3,000 shown)").arg(per_side * per_side);
    bool said = false;
    for (QGraphicsItem* it : v.scene()->items())
      if (auto* t = qgraphicsitem_cast<QGraphicsSimpleTextItem*>(it))
        said = said || t->text().contains(shown);
    QVERIFY2(said, qPrintable(shown));
    const std::size_t last = per_side * per_side - 1;
    cells = v.unitCells(1);
    QCOMPARE(cells.pixel(static_cast<int>(last % per_side), static_cast<int>(last / per_side)),
             viridis(static_cast<double>(last % 100) / 100));
    // Hovering names the unit under the pointer and its value.
    QString tip = hover(v.cellsItem(0), {1.5, 0.5});
    QVERIFY2(tip.contains("vec unit 1:") && tip.contains("0.707") && tip.contains("token 0"),
             qPrintable(tip));
    QVERIFY(tip.contains("RMS of its 2 state values"));
    tip = hover(v.cellsItem(1), {per_side - 0.5, per_side - 0.5});
    QVERIFY2(tip.contains(QString("big unit %1:").arg(last)), qPrintable(tip));
    QVERIFY(hover(v.cellsItem(0), {2.5, 1.5}).isEmpty());  // the empty cell
    // The cells follow the tokens.
    TokenChunk next;
    next.session = n.session;
    next.tracks.push_back({0, "state", 10, {}, {}});
    next.tracks[0].add(1, vec1);
    h.append(next);
    v.refresh();
    QCOMPARE(v.unitCells(0).pixel(0, 0), viridis(1.0));
    QVERIFY(hover(v.cellsItem(0), {0.5, 0.5}).contains("token 1"));
  }
};

QTEST_MAIN(TestGuiAnalysis)
#include "test_gui_analysis.moc"
