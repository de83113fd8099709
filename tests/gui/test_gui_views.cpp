// The views render the data they are given; the main window opens scenarios, shows errors,
// replays recordings and can be grabbed to a PNG.
#include <QAbstractItemModelTester>
#include <QDockWidget>
#include <QFile>
#include <QGraphicsEllipseItem>
#include <QGraphicsScene>
#include <QSettings>
#include <QSlider>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <set>

#include "colormap.hpp"
#include "describe.hpp"
#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "parameter_model.hpp"
#include "ransim/thread_pool.hpp"
#include "simulation_controller.hpp"
#include "unit_list_model.hpp"
#include "views.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

NetworkDesc net_with_maps() {
  NetworkDesc n;
  n.session = 5;
  n.input_dim = 1;
  n.target_dim = 1;
  n.has_readout = true;
  n.readout_from = 4;
  PopulationDesc c{"cortex", "cortex_qkv", 6, 2, {}, {}};
  c.variables = {{"state", "1", "", {6, 2}}, {"attention", "1", "", {6, 4}}};
  PopulationDesc h{"hippo", "hippocampus_memory", 5, 2, {}, {}};
  h.variables = {{"state", "1", "", {5, 2}}, {"memory", "1", "", {5, 3}}};
  PopulationDesc l{"res", "leaky", 30, 1, {}, {}};
  l.variables = {{"state", "1", "", {30}}};
  n.populations = {c, h, l};
  n.projections = {{"in", "sparse", {"input"}, "res", 30},
                   {"rec", "sparse", {"res"}, "res", 90},
                   {"a", "sparse", {"res"}, "cortex", 12},
                   {"b", "sparse", {"cortex"}, "hippo", 10}};
  return n;
}

// Frames with a travelling wave over the units and sharp attention on one lag.
void fill(FrameHistory& h, const NetworkDesc& n, std::size_t frames) {
  h.reset(n.session);
  for (std::size_t k = 1; k <= frames; ++k) {
    Frame f;
    f.session = n.session;
    f.token = k;
    f.pops.resize(n.populations.size());
    for (std::size_t p = 0; p < n.populations.size(); ++p) {
      auto& st = f.pops[p].state;
      for (std::size_t v = 0; v < n.populations[p].state_size(); ++v)
        st.push_back(std::sin(0.2 * static_cast<double>(k) + 0.5 * static_cast<double>(v)));
    }
    auto& attention = f.pops[0].series["attention"];
    attention.assign(6 * 4, 0.0);
    for (std::size_t u = 0; u < 6; ++u) attention[u * 4 + (k + u) % 4] = 1.0;
    f.pops[1].series["memory"].assign(5 * 3, 0.25);
    f.target = {std::sin(0.1 * static_cast<double>(k))};
    if (k > 4) f.prediction = {std::sin(0.1 * static_cast<double>(k)) + 0.05};
    f.nrmse = 0.123;
    f.nrmse_tokens = k - 4;
    h.append(std::make_shared<const Frame>(std::move(f)));
  }
}

// A model the GUI has never heard of: it declares, in its layout, a derived "glow" [units]
// for a heatmap and an "echo" [units, 3] for a map. The views must offer both.
class GlowUnit : public Population {
 public:
  explicit GlowUnit(std::size_t n) : n_(n) {}
  std::size_t state_size() const override { return n_; }
  std::size_t input_size() const override { return n_; }
  std::size_t units() const override { return n_; }
  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double, ThreadPool&) const override {
    for (std::size_t i = 0; i < x.size(); ++i) dxdt.data[i] = drive.data[i] - x.data[i];
  }
  std::vector<Recordable> recordables() const override {
    auto r = Population::recordables();
    r.push_back({.name = "glow", .unit = "1", .description = "2 x", .shape = {n_}});
    r.push_back({.name = "echo", .unit = "1", .description = "x (j + 1)", .shape = {n_, 3}});
    return r;
  }
  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name == "state") return Population::sample(name, x, drive, out);
    for (std::size_t b = 0; b < x.lanes; ++b)
      for (std::size_t v = 0; v < n_; ++v) {
        if (name == "glow") out.push_back(2 * x(v, b));
        else
          for (int j = 0; j < 3; ++j) out.push_back(x(v, b) * (j + 1));
      }
  }

 private:
  std::size_t n_;
};

void register_glow_unit() {
  if (Registry::global().find("glow_unit")) return;
  PopulationInfo info;
  info.kind = "glow_unit";
  info.description = "GUI test model: dx/dt = drive - x";
  info.params = {param::integer("size").range(1, 1000).defaults_to(4).describe("number of units")};
  info.layout.derived = {{.name = "glow", .description = "2 x", .display = {.view = ViewKind::Heatmap}},
                         {.name = "echo",
                          .axes = {"units", "copies"},
                          .description = "x (j + 1)",
                          .display = {.view = ViewKind::Map}}};
  info.colour = "#123456";
  info.create = [](const PopulationContext& c) {
    return std::make_unique<GlowUnit>(static_cast<std::size_t>(c.params.integer("size")));
  };
  Registry::global().add(std::move(info));
}

// How many distinct colours an image has (a blank widget has one or two).
std::size_t colours(const QImage& img) {
  std::set<QRgb> c;
  for (int y = 0; y < img.height(); y += 2)
    for (int x = 0; x < img.width(); x += 2) c.insert(img.pixel(x, y));
  return c.size();
}

bool has_colour(const QImage& img, QColor want, int tol = 12) {
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const QColor c = img.pixelColor(x, y);
      if (std::abs(c.red() - want.red()) <= tol && std::abs(c.green() - want.green()) <= tol &&
          std::abs(c.blue() - want.blue()) <= tol)
        return true;
    }
  return false;
}

void show(QWidget& w, QSize size = {600, 400}) {
  w.resize(size);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
}

// Shows the window, opens the scenario, steps it `tokens` tokens and pulls the frames; false if
// any of it fails or times out.
bool open_and_step(MainWindow& w, const QString& scenario, int tokens) {
  show(w, {1400, 900});
  QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
  if (!w.openScenario(scenario) || !ready.wait(5000)) return false;
  QSignalSpy steps(w.controller(), &SimulationController::stepsDone);
  w.controller()->step(tokens);
  if (!steps.wait(5000)) return false;
  w.pullFrames();
  return true;
}

}  // namespace

class TestGuiViews : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ransim-test");
    QCoreApplication::setApplicationName("ransim-gui-test");
    QSettings().clear();
  }

  void heatmapWidgetDrawsItsImage() {
    HeatmapWidget w;
    show(w);
    const QImage blank = w.grab().toImage();
    QVERIFY(!has_colour(blank, QColor(color_of(Palette::Sequential, 1, 0, 1)), 2));  // placeholder text only
    Matrix m(4, 8, 0.0);
    for (std::size_t c = 0; c < 8; ++c) m.at(c % 4, c) = 1.0;
    w.setImage(render(m, 0, 1, Palette::Sequential));
    w.setRange(0, 1, Palette::Sequential);
    w.setTitle("test");
    const QImage img = w.grab().toImage();
    QVERIFY(has_colour(img, QColor(color_of(Palette::Sequential, 1, 0, 1)), 2));  // yellow cells
    QVERIFY(has_colour(img, QColor(color_of(Palette::Sequential, 0, 0, 1)), 2));  // dark cells
  }

  void tracesView() {
    const NetworkDesc n = net_with_maps();
    FrameHistory h(200);
    fill(h, n, 120);
    TracesView v;
    v.attach(&h);
    v.setNetwork(&n);
    QAbstractItemModelTester tester(v.units(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    v.selectPopulation(2);
    QCOMPARE(v.units()->rowCount(), 30);
    QCOMPARE(v.units()->checked().size(), std::size_t(5));
    v.refresh();
    show(v, {700, 400});
    const auto series = v.chart()->series();
    QCOMPARE(series.size(), 5);
    auto* s0 = qobject_cast<QLineSeries*>(series[0]);
    QCOMPARE(s0->count(), 120);
    QCOMPARE(s0->at(10).x(), 11.0);
    QCOMPARE(s0->at(10).y(), std::sin(0.2 * 11));
    v.units()->setChecked(7, true);
    QCOMPARE(v.chart()->series().size(), 6);
    const QImage img = v.grab().toImage();
    QVERIFY(has_colour(img, QColor(31, 119, 180), 30));  // the first trace's blue
    QVERIFY(colours(img) > 50);
  }

  // Without a token history (frames only) the heatmap shows one column per frame, newest at
  // the right.
  void activityHeatmapFromFrames() {
    const NetworkDesc n = net_with_maps();
    FrameHistory h(300);
    fill(h, n, 50);
    ActivityHeatmapView v;
    v.attach(&h);
    v.setNetwork(&n);
    v.resize(600, 300);
    v.selectPopulation(2);
    v.refresh();
    QCOMPARE(v.shown().rows, std::size_t(30));
    QCOMPARE(v.shown().cols, std::size_t(50));
    QCOMPARE(v.tokenRange().first, std::size_t(1));
    QCOMPARE(v.tokenRange().second, std::size_t(50));
    // The rightmost column is the newest frame.
    const QImage b = v.heatmap()->image();
    const int x = b.width() - 1;
    QCOMPARE(b.pixel(x, 3), color_of(Palette::Diverging, std::sin(0.2 * 50 + 1.5), -1, 1));
    for (std::size_t k = 51; k <= 60; ++k) {
      Frame f = *h.latest();
      f.token = k;
      f.pops[2].state.assign(30, -1.0);
      h.append(std::make_shared<const Frame>(f));
    }
    v.refresh();
    QCOMPARE(v.shown().cols, std::size_t(60));
    const QImage c = v.heatmap()->image();
    QCOMPARE(c.pixel(c.width() - 1, 3), color_of(Palette::Diverging, -1, -1, 1));
    QCOMPARE(c.pixel(c.width() - 11, 3), color_of(Palette::Diverging, std::sin(0.2 * 50 + 1.5), -1, 1));
    show(v);
    const QImage img = v.grab().toImage();
    QVERIFY(colours(img) > 30);
    QVERIFY(has_colour(img, QColor(color_of(Palette::Diverging, -1, -1, 1)), 3));
  }

  void attentionAndMemoryMaps() {
    const NetworkDesc n = net_with_maps();
    FrameHistory h(100);
    fill(h, n, 40);
    MapView att("attention"), mem("memory");
    for (MapView* v : {&att, &mem}) {
      v->attach(&h);
      v->setNetwork(&n);
      QVERIFY(v->applicable());
    }
    att.selectUnit(2);
    att.refresh();
    // Unit 2's map over time: one hot lag per frame, (k + 2) % 4.
    const QImage& hist = att.history()->image();
    QCOMPARE(hist.height(), 4);
    const int x = hist.width() - 1;  // the newest frame, k = 40
    QCOMPARE(hist.pixel(x, (40 + 2) % 4), color_of(Palette::Sequential, 1, 0, 1));
    QCOMPARE(hist.pixel(x, (41 + 2) % 4), color_of(Palette::Sequential, 0, 0, 1));
    QCOMPARE(att.current()->image().size(), QSize(4, 6));  // units x context
    mem.refresh();
    QCOMPARE(mem.current()->image().size(), QSize(3, 5));  // units x slots
    show(att);
    QVERIFY(has_colour(att.grab().toImage(), QColor(color_of(Palette::Sequential, 1, 0, 1)), 3));
    // A network without attention says so.
    NetworkDesc leaky = n;
    leaky.populations.erase(leaky.populations.begin(), leaky.populations.begin() + 2);
    att.setNetwork(&leaky);
    QVERIFY(!att.applicable());
    QVERIFY(att.history()->image().isNull());
  }

  void readoutView() {
    const NetworkDesc n = net_with_maps();
    FrameHistory h(100);
    fill(h, n, 60);
    ReadoutView v;
    v.attach(&h);
    v.setNetwork(&n);
    v.refresh();
    QVERIFY(v.summary().contains("0.1230"));
    QVERIFY(v.summary().contains("56 test tokens"));
    show(v);
    const QImage img = v.grab().toImage();
    QVERIFY(has_colour(img, QColor(230, 120, 20), 30));  // the output's orange
  }

  void networkGraph() {
    const NetworkDesc n = net_with_maps();
    NetworkView v;
    v.setNetwork(&n);
    std::set<QRgb> fills;
    int nodes = 0;
    for (QGraphicsItem* it : v.scene()->items())
      if (auto* e = qgraphicsitem_cast<QGraphicsEllipseItem*>(it))
        if (e->rect().width() > 20) {  // not the legend dots
          ++nodes;
          fills.insert(e->brush().color().rgb());
        }
    QCOMPARE(nodes, 4);  // input + 3 populations
    for (std::size_t p = 0; p < 3; ++p) QVERIFY(fills.count(NetworkView::kindColor(n, p).rgb()));
    const QColor leaky(QString::fromStdString(Registry::global().find("leaky")->colour));
    QCOMPARE(NetworkView::kindColor(n, 2), leaky);
    show(v);
    const QImage img = v.grab().toImage();
    QVERIFY(has_colour(img, NetworkView::kindColor(n, 2), 6));  // leaky
    QVERIFY(has_colour(img, NetworkView::kindColor(n, 0), 6));  // cortex
  }

  void mainWindowRunsAndGrabs() {
    MainWindow w;
    show(w, {1400, 900});
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(w.openScenario(QString::fromStdString(gui_test::kQuickstart),
                           gui_test::qsets(gui_test::small_sets())));
    QVERIFY(ready.wait(5000));
    QVERIFY(w.errorText().isEmpty());
    QVERIFY(w.recentFiles().first().endsWith("quickstart.toml"));
    QVERIFY(MainWindow::bundledScenarios().join(" ").contains("quickstart.toml"));
    QSignalSpy steps(w.controller(), &SimulationController::stepsDone);
    w.controller()->step(50);
    QVERIFY(steps.wait(5000));
    w.pullFrames();
    QCOMPARE(w.history().latest()->token, std::size_t(50));
    QCOMPARE(w.parameters()->rowCount(), 5);  // leaky: size, tau, activation, bias_scale, initial_state
    QTemporaryDir dir;
    const QString png = dir.filePath("window.png");
    const QImage img = w.grab().toImage();
    QVERIFY(img.save(png));
    QVERIFY(QFile(png).size() > 10000);
    QVERIFY(colours(img) > 200);
    QVERIFY(has_colour(img, QColor(QString::fromStdString(Registry::global().find("leaky")->colour)), 6));
  }

  void badScenarioShowsWhereAndWhy() {
    QTemporaryDir dir;
    const QString path = dir.filePath("bad.toml");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("seed = 1\n[task]\nkind = \"narma10\"\n[population.res]\nkind = \"leaky\"\nsize = -4\n");
    f.close();
    MainWindow w;
    QVERIFY(!w.openScenario(path));
    const QString e = w.errorText();
    QVERIFY2(e.contains(path + ":6:"), qPrintable(e));  // file:line:col
    QVERIFY2(e.contains("size"), qPrintable(e));
    QVERIFY(!w.openScenario(dir.filePath("missing.toml")));
    QVERIFY(w.errorText().contains("missing.toml"));
    QVERIFY(!w.openRecording(path));  // not HDF5
    QVERIFY(w.errorText().contains("not an HDF5 file"));
    QVERIFY(w.logText().contains("error:"));
    // An episode task is for `ransim run` / `ransim compare`: refused with the reason.
    QVERIFY(!w.openScenario(QString(RANSIM_SOURCE_DIR "/scenarios/in_context_regression.toml")));
    QVERIFY2(w.errorText().contains("runs in episodes"), qPrintable(w.errorText()));
    w.clearError();
    QVERIFY(w.errorText().isEmpty());
  }

  void badPluginIsReported() {
    QTemporaryDir dir;
    QFile f(dir.filePath("broken.so"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a shared library");
    f.close();
    // (The other plugins of the search path may fail too, e.g. stale ones in a build tree.)
    const QStringList errors = load_plugins({dir.path()}).filter("broken.so");
    QCOMPARE(errors.size(), 1);
    QVERIFY(errors[0].contains("cannot load"));
    QVERIFY(errors[0].contains(dir.path()));  // the directories searched
    MainWindow w;
    w.showError(errors[0]);
    QVERIFY(w.errorText().contains("broken.so"));
  }

  void replayInTheSameViews() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("replay.h5").toStdString();
    {
      Session s(gui_test::small_scenario(), SessionOptions{path, "test"});
      while (s.step()) {
      }
      s.finish();
    }
    MainWindow w;
    show(w, {1200, 800});
    QVERIFY(w.openRecording(QString::fromStdString(path)));
    QVERIFY(w.replaying());
    QCOMPARE(w.timeSlider()->maximum(), 179);
    QCOMPARE(w.history().latest()->token, std::size_t(180));
    w.timeSlider()->setValue(99);  // scrub
    QCOMPARE(w.history().latest()->token, std::size_t(100));
    QCOMPARE(w.history().size(), std::size_t(100));
    QVERIFY(
        !(w.parameters()->flags(w.parameters()->index(1, ParameterModel::ValueColumn)) & Qt::ItemIsEditable));
    const QImage img = w.grab().toImage();
    QVERIFY(colours(img) > 200);
    w.closeRecording();
    QVERIFY(!w.replaying());
  }

  void mixedNetworkShowsMaps() {
    if (!gui_test::attention_plugins()) QSKIP("the attention plugins are not built in this tree");
    MainWindow w;
    show(w, {1400, 900});
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(w.openScenario(QString::fromStdString(gui_test::kMixed)));
    QVERIFY(ready.wait(5000));
    QVERIFY(w.dock("dock-map-attention")->isVisible());
    QVERIFY(w.dock("dock-map-memory")->isVisible());
    // On screen above the readout, not tabs behind it (a dock split off a tabbed one would be).
    QCoreApplication::processEvents();
    for (const char* name : {"dock-map-attention", "dock-map-memory", "dock-readout"})
      QVERIFY2(!w.dock(name)->visibleRegion().isEmpty(), name);
    QVERIFY(w.tabifiedDockWidgets(w.dock("dock-map-attention")).isEmpty());
    QVERIFY(w.dock("dock-map-memory")->geometry().bottom() < w.dock("dock-readout")->geometry().top());
    QSignalSpy steps(w.controller(), &SimulationController::stepsDone);
    w.controller()->step(40);
    QVERIFY(steps.wait(5000));
    w.pullFrames();
    QVERIFY(!w.map("attention")->current()->image().isNull());
    QVERIFY(!w.map("memory")->current()->image().isNull());
    QVERIFY(colours(w.map("attention")->grab().toImage()) > 20);
    // The attention regime: each cortex unit's attention entropy, one heatmap row per unit.
    QVERIFY(w.heatmap()->selectVariable("cortex", "attention_entropy"));
    w.heatmap()->refresh();
    QCOMPARE(w.heatmap()->shown().rows, std::size_t(24));
    QCOMPARE(w.heatmap()->tokenRange().second, w.history().latest()->token);
  }
  // With heads the attention map holds every head's weights side by side: [units, heads x rows].
  void attentionHeadsShareOneMap() {
    if (!gui_test::attention_plugins()) QSKIP("the attention plugins are not built in this tree");
    QFile in(QString::fromStdString(gui_test::kMixed));
    QVERIFY(in.open(QIODevice::ReadOnly));
    QString text = QString::fromUtf8(in.readAll());
    QVERIFY(text.contains("context = 8\n"));
    text.replace("context = 8\n", "context = 8\nheads = 2\n");
    QTemporaryDir dir;
    const QString path = dir.filePath("heads.toml");
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(text.toUtf8());
    out.close();
    MainWindow w;
    QVERIFY(open_and_step(w, path, 20));
    w.map("attention")->refresh();
    QCOMPARE(w.map("attention")->current()->image().size(), QSize(16, 24));  // 2 heads x 8 rows, 24 units
  }
  // The bundled Echo State Transformer scenario opens, steps and draws what the model declares:
  // its two attention maps and the leak rates as a heatmap.
  void echoStateTransformerShowsItsViews() {
    if (!gui_test::attention_plugins() || !Registry::global().find("echo_state_transformer"))
      QSKIP("the attention plugins are not built in this tree");
    MainWindow w;
    QVERIFY(open_and_step(w, RANSIM_SOURCE_DIR "/scenarios/est_mackey_glass.toml", 20));
    QVERIFY(w.dock("dock-map-previous_attention")->isVisible());
    QVERIFY(w.dock("dock-map-current_attention")->isVisible());
    QVERIFY(!w.map("previous_attention")->current()->image().isNull());
    QVERIFY(!w.map("current_attention")->current()->image().isNull());
    QVERIFY(w.heatmap()->selectVariable("est", "leak_rate"));
    w.heatmap()->refresh();
    QCOMPARE(w.heatmap()->tokenRange().second, w.history().latest()->token);
  }
  // Views come from what a model declares: no GUI code names "glow", "echo" or "glow_unit".
  void declaredVariablesGetTheirViews() {
    register_glow_unit();
    QTemporaryDir dir;
    const QString path = dir.filePath("glow.toml");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        "seed = 1\n[task]\nkind = \"narma10\"\nwarmup = 10\ntrain = 50\ntest = 20\n"
        "[population.g]\nkind = \"glow_unit\"\nsize = 5\n"
        "[[projection]]\nfrom = \"input\"\nto = \"g\"\ndensity = 1.0\n");
    f.close();
    MainWindow w;
    QVERIFY(open_and_step(w, path, 30));
    // The frames carry both declared variables, sampled from the model.
    const FramePtr last = w.history().latest();
    QCOMPARE(last->pops[0].values("glow").size(), std::size_t(5));
    QCOMPARE(last->pops[0].values("glow")[3], 2 * last->pops[0].state[3]);
    QCOMPARE(last->pops[0].values("echo").size(), std::size_t(5 * 3));
    // The heatmap lists "glow" after the states and draws it, one row per unit.
    QVERIFY(w.heatmap()->selectVariable("g", "glow"));
    w.heatmap()->refresh();
    QCOMPARE(w.heatmap()->shown().rows, std::size_t(5));
    QCOMPARE(w.heatmap()->tokenRange().second, w.history().latest()->token);
    QVERIFY(!w.heatmap()->heatmap()->image().isNull());
    QVERIFY(!w.heatmap()->selectVariable("g", "echo"));  // a map, not a heatmap
    // "echo" gets a map view of its own, its axes named as declared.
    QVERIFY(w.map("echo"));
    QVERIFY(w.dock("dock-map-echo")->isVisible());
    w.map("echo")->refresh();
    QCOMPARE(w.map("echo")->current()->image().size(), QSize(3, 5));  // units x copies
    // The node takes the kind's declared colour.
    QVERIFY(has_colour(w.graph()->grab().toImage(), QColor("#123456"), 6));
  }

  void undeclaredKindsTakeTheFallbackPalette() {
    NetworkDesc n = net_with_maps();
    n.populations[0].kind = "never_registered_a";
    n.populations[1].kind = "never_registered_b";
    n.populations.push_back(n.populations[0]);  // the same kind: the same colour
    n.populations.back().name = "again";
    const auto colours = population_colours(n);
    QCOMPARE(colours[0], fallback_palette()[0]);
    QCOMPARE(colours[1], fallback_palette()[1]);
    QCOMPARE(colours[3], colours[0]);
    QCOMPARE(colours[2], Registry::global().find("leaky")->colour);
    // Without a declaration the shape decides: [units, n] is a map, [units] a heatmap.
    QCOMPARE(view_of(n.populations[0], n.populations[0].variables[1]), ViewKind::Map);
    QCOMPARE(view_of(n.populations[0], n.populations[0].variables[0]), ViewKind::Auto);  // the state
    VariableDesc flat{"gate", "1", "", {6}};
    QCOMPARE(view_of(n.populations[0], flat), ViewKind::Heatmap);
    flat.view = ViewKind::Hidden;
    QVERIFY(!sampled_into_frames(n.populations[0], flat));
  }
};

QTEST_MAIN(TestGuiViews)
#include "test_gui_views.moc"
