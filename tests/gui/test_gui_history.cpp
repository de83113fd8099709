// Issue 22, D1 / D2 / D14: the time views draw every token, not the decimated frames. The
// token history is bounded; the traces hold the true minimum and maximum of every pixel
// column (expected values from the recorded tokens, computed here); the heatmap and the
// maps cover the whole run; the attention colour scale stays 0..1; the screenshot of
// scenarios/ran_figure_c.toml at the default frame rate has no grey columns.
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <cmath>
#include <map>

#include "analysis_views.hpp"
#include "colormap.hpp"
#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "simulation_controller.hpp"
#include "token_history.hpp"
#include "unit_list_model.hpp"
#include "views.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

// A smooth signal with a one-token spike every 97 tokens: decimation by frames or by taking
// one token per pixel misses the spikes; the envelope must not.
double signal(std::size_t k, std::size_t v) {
  const double x = std::sin(0.013 * static_cast<double>(k) + static_cast<double>(v));
  return k % 97 == 0 ? x + 3.0 * (v % 2 ? -1 : 1) : x;
}

// Tokens 0..n-1 of `units` entries as the worker sends them, in chunks of 37 tokens.
void fill(TokenHistory& t, const NetworkDesc& n, std::size_t tokens) {
  const std::size_t units = n.populations[0].units;
  t.reset(n.session, values_per_token(n));
  for (std::size_t k0 = 0; k0 < tokens; k0 += 37) {
    TokenChunk c;
    c.session = n.session;
    c.tracks.push_back({0, "state", units, {}, {}});
    std::vector<double> row(units);
    for (std::size_t k = k0; k < std::min(tokens, k0 + 37); ++k) {
      for (std::size_t v = 0; v < units; ++v) row[v] = signal(k, v);
      c.tracks[0].add(k, row.data());
    }
    t.append(c);
  }
}

bool has_nan_column(const Matrix& m) {
  for (std::size_t c = 0; c < m.cols; ++c) {
    bool any = false;
    for (std::size_t r = 0; r < m.rows; ++r) any = any || std::isfinite(m.at(r, c));
    if (!any) return true;
  }
  return false;
}

}  // namespace

class TestGuiHistory : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void trackKeepsTheLastTokens() {
    Track t(0, "state", 2, 5);
    for (std::size_t k = 0; k < 8; ++k) {
      const double row[2] = {double(k), -double(k)};
      t.push(k, row);
    }
    QCOMPARE(t.size(), std::size_t(5));
    QCOMPARE(t.token(0), std::size_t(3));  // 0..2 dropped, oldest first
    QCOMPARE(t.value(4, 1), -7.0);
    QCOMPARE(t.lower_bound(6), std::size_t(3));
    QCOMPARE(t.lower_bound(100), std::size_t(5));
  }

  void historyIsBoundedByTheBudget() {
    // values_per_token counts the state of every population, every sampled variable and the
    // readout's target and prediction: 30 + 2 * 1 here.
    NetworkDesc n = gui_test::one_population(30);
    n.has_readout = true;
    n.target_dim = 1;
    QCOMPARE(values_per_token(n), std::size_t(32));
    TokenHistory h;
    h.reset(1, values_per_token(n));
    QCOMPARE(h.token_capacity(), std::min(kMaxTokens, kTokenBudgetValues / 32));
    h.reset(1, kTokenBudgetValues / 10);
    QCOMPARE(h.token_capacity(), std::size_t(10));
    // Chunks of another session are not taken.
    TokenChunk c;
    c.session = 2;
    c.tracks.push_back({0, "state", 1, {0}, {1.0}});
    QCOMPARE(h.append(c), std::size_t(0));
    QVERIFY(h.empty());
  }

  // The Done-when of issue 22: per pixel column of the plot, the series' lowest and highest
  // points are the lowest and highest recorded values of the tokens in that column.
  void tracesHoldTheMinAndMaxOfEveryPixelColumn() {
    const NetworkDesc n = gui_test::one_population(4);
    TokenHistory tokens;
    fill(tokens, n, 3100);
    FrameHistory frames;
    frames.reset(n.session);
    TracesView v;
    v.attach(&frames, &tokens);
    v.setNetwork(&n);
    v.units()->checkOnly({0, 1, 3});
    v.resize(700, 400);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    v.refresh();
    QCoreApplication::processEvents();
    v.refresh();  // the plot area is laid out now
    QChart* chart = v.chart();
    const QRectF area = chart->plotArea();
    auto* ax = qobject_cast<QValueAxis*>(chart->axes(Qt::Horizontal).first());
    QVERIFY(area.width() > 300);
    QCOMPARE(ax->min(), 0.0);
    QVERIFY(ax->max() >= 3099.0);
    // The device pixel column of an x value: Qt Charts maps x linearly onto the plot area.
    const double left = std::floor(area.left()), frac = area.left() - left;
    auto column = [&](double x) {
      return static_cast<long>(std::floor(frac + (x - ax->min()) * area.width() / (ax->max() - ax->min())));
    };
    QCOMPARE(v.series().size(), std::size_t(3));
    for (std::size_t s = 0; s < 3; ++s) {
      const std::size_t entry = v.shownEntries()[s];
      std::map<long, std::pair<double, double>> expected, drawn;
      for (std::size_t k = 0; k < 3100; ++k) {
        const double y = signal(k, entry);
        auto [it, fresh] = expected.try_emplace(column(static_cast<double>(k)), y, y);
        it->second = {std::min(it->second.first, y), std::max(it->second.second, y)};
      }
      const auto pts = v.series()[s]->points();
      QVERIFY2(pts.size() <= 2 * static_cast<qsizetype>(area.width()) + 4, "more points than pixels");
      for (const QPointF& p : pts) {
        // Where Qt puts the point agrees with the column formula (within the pixel).
        QVERIFY(std::abs(chart->mapToPosition(p, v.series()[s]).x() - (left + column(p.x()) + 0.5)) < 1.0);
        auto [it, fresh] = drawn.try_emplace(column(p.x()), p.y(), p.y());
        it->second = {std::min(it->second.first, p.y()), std::max(it->second.second, p.y())};
      }
      QCOMPARE(drawn.size(), expected.size());
      for (auto& [c, mm] : expected) {
        QVERIFY2(drawn.count(c), qPrintable(QString("column %1 has no point").arg(c)));
        QCOMPARE(drawn[c].first, mm.first);
        QCOMPARE(drawn[c].second, mm.second);
      }
    }
  }

  // Fewer tokens than pixels: every token is a point, at its token.
  void fewTokensAreDrawnAsThey() {
    const NetworkDesc n = gui_test::one_population(2);
    TokenHistory tokens;
    fill(tokens, n, 50);
    const Track* t = tokens.find(0, "state");
    QVERIFY(t);
    const auto pts = envelope(*t, 1, Columns::even(0, 50, 600));
    QCOMPARE(pts.size(), std::size_t(50));
    QCOMPARE(pts[20].first, 20.0);
    QCOMPARE(pts[20].second, signal(20, 1));
  }

  // The heatmap spans the whole history (no grey) with the token axis labelled by its ends
  // (D2), each column the mean of its tokens.
  void heatmapCoversTheHistory() {
    const NetworkDesc n = gui_test::one_population(4);
    TokenHistory tokens;
    fill(tokens, n, 3100);
    FrameHistory frames;
    frames.reset(n.session);
    ActivityHeatmapView v;
    v.attach(&frames, &tokens);
    v.setNetwork(&n);
    v.resize(600, 300);
    v.refresh();
    const Matrix& m = v.shown();
    QCOMPARE(m.rows, std::size_t(4));
    QVERIFY(m.cols >= 64 && m.cols < 3100);
    QVERIFY(!has_nan_column(m));
    QCOMPARE(v.tokenRange().first, std::size_t(0));
    QCOMPARE(v.tokenRange().second, std::size_t(3099));
    // Column 0 holds tokens 0 .. 3100 / cols: their mean, computed from the signal here.
    const std::size_t per = static_cast<std::size_t>(std::ceil(3100.0 / static_cast<double>(m.cols)));
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t k = 0; k < 3100 && k * m.cols / 3100 == 0; ++k, ++count) sum += signal(k, 2);
    QVERIFY(count == per || count + 1 == per);
    QVERIFY(std::abs(m.at(2, 0) - sum / static_cast<double>(count)) < 1e-12);
  }

  // D14: maps of values in [0, 1] keep the 0..1 scale whatever the values do; the first
  // value above 1 grows it to a power of two, and it never shrinks during a run.
  void attentionScaleIsFixed() {
    ColourRange r(ColourRange::Start::Unit);
    Matrix m(1, 2);
    m.v = {0.0, 0.14};
    QVERIFY(!r.update(m));
    QCOMPARE(r.lo(), 0.0);
    QCOMPARE(r.hi(), 1.0);
    m.v = {0.5, 1.0};
    r.update(m);
    QCOMPARE(r.hi(), 1.0);
    m.v = {0.01, 0.02};
    r.update(m);
    QCOMPARE(r.hi(), 1.0);
    QVERIFY(r.palette() == Palette::Sequential);
    m.v = {0.0, 2.5};
    QVERIFY(r.update(m));
    QCOMPARE(r.hi(), 4.0);
    m.v = {-0.5, 0.1};
    QVERIFY(r.update(m));
    QCOMPARE(r.lo(), -4.0);
    QVERIFY(r.palette() == Palette::Diverging);
    ColourRange s(ColourRange::Start::Symmetric);
    m.v = {-0.3, 0.2};
    s.update(m);
    QCOMPARE(s.hi(), 0.5);
    QCOMPARE(s.lo(), -0.5);
  }

  // A whole run at the default frame rate (60 Hz, the GUI's default) through the controller:
  // every token reaches the token history, the heatmap has no grey column, and the state
  // the history holds at a token is the state a headless Session has there.
  void wholeRunAtDefaultSpeed() {
    QTemporaryDir dir;
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(w.openScenario(QString::fromStdString(gui_test::kQuickstart),
                           gui_test::qsets(gui_test::small_sets())));
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ready.wait(20000));
    QCOMPARE(w.controller()->frameRate(), 60.0);
    QSignalSpy done(w.controller(), &SimulationController::finished);
    w.controller()->run();
    QVERIFY(done.wait(30000));
    QTRY_COMPARE_WITH_TIMEOUT(w.tokenHistory().last_token(), std::size_t(180), 5000);
    QTest::qWait(100);
    w.pullFrames();
    const Track* t = w.tokenHistory().find(0, "state");
    QVERIFY(t);
    QCOMPARE(t->size(), std::size_t(181));  // tokens 0..180, none missing
    for (std::size_t i = 0; i < t->size(); ++i) QCOMPARE(t->token(i), i);
    const auto ref = gui_test::reference_state(gui_test::small_scenario(), 77);
    for (std::size_t v = 0; v < ref.size(); ++v) QCOMPARE(t->value(77, v), ref[v]);
    QVERIFY(!has_nan_column(w.heatmap()->shown()));
    QCOMPARE(w.heatmap()->tokenRange().first, std::size_t(0));
    QCOMPARE(w.heatmap()->tokenRange().second, std::size_t(180));
    // The readout's target: every token from 1 on.
    const Track* target = w.tokenHistory().find(kReadoutTrack, "target");
    QVERIFY(target);
    QCOMPARE(target->size(), std::size_t(180));
  }

  // Part 2: attention entropy over time, against closed forms: a uniform row over 4 entries
  // has normalised entropy 1, a one-hot row 0, half and half on 2 of 4 entries log 2 / log 4.
  void attentionEntropyClosedForms() {
    Track t(0, "attention", 2 * 4, 10);
    const double uniform_onehot[8] = {0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0};  // mean (1 + 0) / 2
    const double halves[8] = {0.5, 0.5, 0, 0, 0, 0, 2, 2};  // unnormalised rows are scaled to 1
    t.push(3, uniform_onehot);
    t.push(4, halves);
    const Series e = normalised_entropy(t, 4);
    QCOMPARE(e.size(), std::size_t(2));
    QCOMPARE(e[0].first, 3.0);
    QVERIFY(std::abs(e[0].second - 0.5) < 1e-15);
    QVERIFY(std::abs(e[1].second - std::log(2.0) / std::log(4.0)) < 1e-15);
    if (!gui_test::attention_plugins()) return;
    // In the window, on the mixed fixture: the entropy view lists the attention map and plots
    // values in [0, 1] for the tokens sampled.
    MainWindow w(nullptr, false);
    QVERIFY(w.openScenario(QString::fromStdString(gui_test::kMixed)));
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ready.wait(30000));
    QSignalSpy steps(w.controller(), &SimulationController::stepsDone);
    w.controller()->step(60);
    QVERIFY(steps.wait(30000));
    w.pullFrames();
    w.entropy()->refresh();
    QVERIFY(!w.entropy()->entries().empty());
    QVERIFY(w.entropy()->series()->count() > 0);
    for (const QPointF& p : w.entropy()->series()->points()) QVERIFY(p.y() >= 0 && p.y() <= 1 + 1e-12);
  }

  // The Done-when run: scenarios/ran_figure_c.toml, all 3100 tokens at the default frame rate
  // (60 Hz, as `ransim-gui --screenshot out.png --frame-rate 60 --tokens 3100` runs it): every
  // time view covers the whole run, with no grey column (skipped without the attention plugins).
  void ranFigureCWholeRun() {
    if (!gui_test::attention_plugins()) QSKIP("the attention plugins are not built");
    MainWindow w(nullptr, false);
    w.resize(1600, 1000);
    w.show();
    QVERIFY(w.openScenario(RANSIM_SOURCE_DIR "/scenarios/ran_figure_c.toml"));
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ready.wait(30000));
    QSignalSpy done(w.controller(), &SimulationController::finished);
    w.controller()->run();
    QVERIFY(done.wait(60000));
    QTRY_COMPARE_WITH_TIMEOUT(w.tokenHistory().last_token(), std::size_t(3100), 5000);
    w.pullFrames();
    w.refreshViews();
    const Track* state = w.tokenHistory().find(0, "state");
    QVERIFY(state);
    QCOMPARE(state->size(), std::size_t(3101));
    QCOMPARE(w.heatmap()->tokenRange().first, std::size_t(0));
    QCOMPARE(w.heatmap()->tokenRange().second, std::size_t(3100));
    QVERIFY(!has_nan_column(w.heatmap()->shown()));
    for (const char* var : {"attention", "memory"}) {
      MapView* m = w.map(var);
      QVERIFY(m);
      QVERIFY2(!m->shownHistory().empty(), var);
      QVERIFY2(!has_nan_column(m->shownHistory()), var);
      QVERIFY(m->range().hi() >= 1.0);
    }
    QCOMPARE(w.map("attention")->range().lo(), 0.0);  // softmax weights: the fixed 0..1 scale
    QCOMPARE(w.map("attention")->range().hi(), 1.0);
    // The traces' x axis reaches the last token; their points never exceed 2 per pixel column.
    const auto& series = w.traces()->series();
    QVERIFY(!series.empty());
    QVERIFY(series[0]->count() <= 2 * static_cast<int>(w.traces()->chart()->plotArea().width()) + 4);
    QVERIFY(series[0]->at(series[0]->count() - 1).x() > 3090);
  }
};

QTEST_MAIN(TestGuiHistory)
#include "test_gui_history.moc"
