// The GUI's pure logic: frame ring, history and the arrays the views draw, running NRMSE,
// parameter parsing, item models, graph layout, colour maps, options, the recording reader.
#include <QAbstractItemModelTester>
#include <QImage>

#include <armadillo>
#include <atomic>
#include <random>
#include <thread>

#include "colormap.hpp"
#include "describe.hpp"
#include "frame_ring.hpp"
#include "graph_layout.hpp"
#include "gui_test_util.hpp"
#include "parameter_model.hpp"
#include "ransim/error.hpp"
#include "readout/ridge.hpp"
#include "recording.hpp"
#include "unit_list_model.hpp"
#include "view_data.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

Frame make_frame(std::uint64_t session, std::size_t token, std::size_t units, double offset) {
  Frame f;
  f.session = session;
  f.token = token;
  f.pops.resize(1);
  for (std::size_t u = 0; u < units; ++u) f.pops[0].state.push_back(offset + static_cast<double>(u));
  return f;
}

NetworkDesc small_net() {
  NetworkDesc n;
  n.session = 1;
  n.input_dim = 1;
  PopulationDesc c{"cx", "cortex_qkv", 3, 2, {}, {}};
  c.variables = {{"state", "1", "", {3, 2}}, {"attention", "1", "", {3, 4}}};
  PopulationDesc h{"hc", "hippocampus_memory", 2, 2, {}, {}};
  h.variables = {{"state", "1", "", {2, 2}}, {"memory", "1", "", {2, 5}}};
  PopulationDesc l{"res", "leaky", 10, 1, {}, {}};
  l.variables = {{"state", "1", "", {10}}};
  ParamSpec tau = param::real("tau").unit("s").greater_than(0).defaults_to(1.0).describe("time constant");
  ParamSpec size = param::integer("size").range(1, 1e8).defaults_to(10).describe("units");
  l.params = {{size, std::int64_t{10}, false}, {tau, 2.0, true}};
  n.populations = {c, h, l};
  n.projections = {{"in", "sparse", {"input"}, "cx", 6},
                   {"rec", "sparse", {"res"}, "res", 20},
                   {"cx->hc", "sparse", {"cx"}, "hc", 8},
                   {"route", "identity", {"res", "hc"}, "cx", 6}};
  return n;
}

}  // namespace

class TestGuiLogic : public QObject {
  Q_OBJECT

 private slots:
  void ringKeepsOrderAndDropsOldest() {
    FrameRing ring(4);
    QCOMPARE(ring.latest(), FramePtr());
    for (std::size_t k = 1; k <= 6; ++k) QCOMPARE(ring.push(make_frame(1, k, 2, 0)), std::uint64_t(k));
    std::uint64_t dropped = 0;
    auto all = ring.since(0, &dropped);
    QCOMPARE(all.size(), std::size_t(4));
    QCOMPARE(dropped, std::uint64_t(2));
    QCOMPARE(all.front()->token, std::size_t(3));
    QCOMPARE(all.back()->seq, std::uint64_t(6));
    auto tail = ring.since(5, &dropped);
    QCOMPARE(tail.size(), std::size_t(1));
    QCOMPARE(dropped, std::uint64_t(0));
    QVERIFY(ring.since(6).empty());
    QCOMPARE(ring.latest()->token, std::size_t(6));
    ring.clear();
    QVERIFY(ring.since(0).empty());
    QCOMPARE(ring.push(make_frame(1, 7, 2, 0)), std::uint64_t(7));
  }

  void ringProducerNeverWaitsForConsumer() {
    // One producer, one consumer: every pulled frame is in order, none twice.
    FrameRing ring(64);
    std::atomic<bool> done{false};
    std::thread producer([&] {
      for (std::size_t k = 1; k <= 20000; ++k) ring.push(make_frame(1, k, 4, 0));
      done = true;
    });
    std::uint64_t last = 0, got = 0, lost = 0;
    while (!done || ring.last_seq() > last) {
      std::uint64_t d = 0;
      for (auto& f : ring.since(last, &d)) {
        QVERIFY(f->seq > last);
        QCOMPARE(f->token, std::size_t(f->seq));
        last = f->seq;
        ++got;
      }
      lost += d;
    }
    producer.join();
    QCOMPARE(last, std::uint64_t(20000));
    QCOMPARE(got + lost, std::uint64_t(20000));
  }

  void historyFiltersSessionsAndKeepsCapacity() {
    FrameHistory h(3);
    h.reset(7);
    const auto g = h.generation();
    QVERIFY(!h.append(std::make_shared<const Frame>(make_frame(6, 1, 2, 0))));
    for (std::size_t k = 1; k <= 5; ++k)
      QVERIFY(h.append(std::make_shared<const Frame>(make_frame(7, k, 2, 0))));
    QCOMPARE(h.size(), std::size_t(3));
    QCOMPARE(h[0].token, std::size_t(3));
    QCOMPARE(h.appended(), std::uint64_t(5));
    h.reset(8);
    QVERIFY(h.generation() != g);
    QVERIFY(h.empty());
  }

  void viewArrays() {
    FrameHistory h(10);
    h.reset(1);
    for (std::size_t k = 1; k <= 4; ++k) {
      Frame f = make_frame(1, k * 10, 3, static_cast<double>(k));
      f.pops[0].series["attention"] = {0.1 * k, 0.2, 0.3, 0.4, 0.5, 0.6};  // 3 units x 2
      f.target = {static_cast<double>(k)};
      if (k > 2) f.prediction = {static_cast<double>(k) + 0.5};
      h.append(std::make_shared<const Frame>(f));
    }
    const Series t = trace(h, 0, 2);
    QCOMPARE(t.size(), std::size_t(4));
    QCOMPARE(t[1].first, 20.0);
    QCOMPARE(t[1].second, 2.0 + 2.0);
    QCOMPARE(target_trace(h, 0).size(), std::size_t(4));
    QCOMPARE(prediction_trace(h, 0).size(), std::size_t(2));
    QVERIFY(trace(h, 5, 0).empty());  // no such population: nothing, no crash

    const Matrix m = state_history(h, 0, 3, 6);  // 2 empty columns on the left
    QCOMPARE(m.rows, std::size_t(3));
    QVERIFY(std::isnan(m.at(0, 0)));
    QCOMPARE(m.at(1, 2), 1.0 + 1.0);
    QCOMPARE(m.at(2, 5), 4.0 + 2.0);

    const Matrix a = map_history(h, 0, "attention", 0, 2, 4);
    QCOMPARE(a.at(0, 3), 0.4);
    QCOMPARE(a.at(1, 0), 0.2);
    const Matrix c = current_map(*h.latest(), 0, "attention", 3, 2);
    QCOMPARE(c.at(2, 1), 0.6);
    const Matrix none = current_map(*h.latest(), 0, "memory", 3, 2);
    QVERIFY(std::isnan(none.at(0, 0)));
    QCOMPARE(finite_range(m), std::make_pair(1.0, 6.0));

    // Variable 1 varies most, then 2; unit 0's attention has the peak 0.4 in the last frame.
    FrameHistory v(10);
    v.reset(1);
    for (std::size_t k = 0; k < 6; ++k) {
      Frame f = make_frame(1, k, 3, 0);
      f.pops[0].state = {1.0, k % 2 ? 3.0 : -3.0, static_cast<double>(k % 2)};
      v.append(std::make_shared<const Frame>(f));
    }
    QCOMPARE(most_variable(v, 0, 2), (std::vector<std::size_t>{1, 2}));
    QCOMPARE(most_variable(v, 0, 9).size(), std::size_t(3));
    QCOMPARE(most_peaked_unit(*h.latest(), 0, "attention", 3, 2), std::size_t(2));  // 0.6
  }

  void niceRanges() {
    NiceRange r = nice_range(0.013, 0.87);
    QCOMPARE(r.step, 0.25);
    QCOMPARE(r.lo, 0.0);
    QCOMPARE(r.hi, 1.0);
    QCOMPARE(r.ticks, 5);
    QCOMPARE(r.decimals, 2);
    r = nice_range(1, 600);
    QCOMPARE(r.step, 200.0);
    QCOMPARE(r.lo, 0.0);
    QCOMPARE(r.hi, 600.0);
    QCOMPARE(r.decimals, 0);
    r = nice_range(-0.26, 0.13);
    QCOMPARE(r.step, 0.1);
    QCOMPARE(r.lo, -0.3);
    QVERIFY(std::abs(r.hi - 0.2) < 1e-12);
    QCOMPARE(r.decimals, 1);
    r = nice_range(2, 2);  // degenerate: widened
    QVERIFY(r.lo < 2 && r.hi > 2);
  }

  void runningNrmseMatchesTheRunMetric() {
    // The same values through ransim::nrmse (the metric `ransim run` reports).
    std::mt19937_64 g(3);
    std::normal_distribution<double> d(0.4, 0.2);
    arma::mat y(500, 2), yh(500, 2);
    RunningNrmse r;
    for (arma::uword i = 0; i < y.n_rows; ++i)
      for (arma::uword o = 0; o < 2; ++o) {
        y(i, o) = d(g);
        yh(i, o) = y(i, o) + 0.1 * d(g);
        r.add(y(i, o), yh(i, o));
      }
    QCOMPARE(r.count(), std::size_t(1000));
    QVERIFY(std::abs(r.value() - ransim::nrmse(y, yh)) < 1e-12 * ransim::nrmse(y, yh));
    RunningNrmse empty;
    QVERIFY(std::isnan(empty.value()));
  }

  void parseValuesAgainstSpecs() {
    const ParamSpec tau = param::real("tau").unit("s").greater_than(0).defaults_to(1.0);
    QCOMPARE(std::get<double>(std::get<Value>(parse_value(tau, " 0.5 "))), 0.5);
    auto bad = parse_value(tau, "-1");
    QVERIFY(std::holds_alternative<std::string>(bad));
    QVERIFY(QString::fromStdString(std::get<std::string>(bad)).contains("expected a real number > 0"));
    QVERIFY(std::holds_alternative<std::string>(parse_value(tau, "abc")));
    QVERIFY(std::holds_alternative<std::string>(parse_value(tau, "")));
    const ParamSpec n = param::integer("size").range(1, 100).defaults_to(1);
    QCOMPARE(std::get<std::int64_t>(std::get<Value>(parse_value(n, "42"))), std::int64_t(42));
    QVERIFY(std::holds_alternative<std::string>(parse_value(n, "4.5")));
    QVERIFY(std::holds_alternative<std::string>(parse_value(n, "101")));
    const ParamSpec act = param::choice("activation", {"tanh", "relu"});
    QVERIFY(std::holds_alternative<Value>(parse_value(act, "relu")));
    QVERIFY(std::holds_alternative<std::string>(parse_value(act, "sin")));
    QCOMPARE(QString::fromStdString(range_text(tau)), QString("(0, inf)"));
    QCOMPARE(QString::fromStdString(range_text(n)), QString("[1, 100]"));
    QCOMPARE(QString::fromStdString(range_text(act)), QString("tanh | relu"));
  }

  void unitListModel() {
    const NetworkDesc net = small_net();
    UnitListModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setPopulation(&net, 0);
    QCOMPARE(m.rowCount(), 6);
    QCOMPARE(m.data(m.index(3)).toString(), QString("unit 1.1"));
    QSignalSpy spy(&m, &UnitListModel::selectionChanged);
    QVERIFY(m.setData(m.index(4), Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(m.checked(), std::vector<std::size_t>{4});
    m.checkFirst(2);
    QCOMPARE(m.checked(), (std::vector<std::size_t>{0, 1}));
    m.setPopulation(&net, 2);
    QCOMPARE(m.rowCount(), 10);
    QCOMPARE(m.data(m.index(9)).toString(), QString("unit 9"));
    QVERIFY(m.checked().empty());
    m.setPopulation(nullptr, -1);
    QCOMPARE(m.rowCount(), 0);
  }

  void parameterModel() {
    const NetworkDesc net = small_net();
    ParameterModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setNetwork(&net);
    QCOMPARE(m.rowCount(), 2);
    const int size = m.findRow("res", "size"), tau = m.findRow("res", "tau");
    QVERIFY(size >= 0 && tau >= 0);
    QCOMPARE(m.data(m.index(tau, ParameterModel::Unit)).toString(), QString("s"));
    QCOMPARE(m.data(m.index(tau, ParameterModel::Range)).toString(), QString("(0, inf)"));
    QVERIFY(!(m.flags(m.index(size, ParameterModel::ValueColumn)) & Qt::ItemIsEditable));
    QVERIFY(m.flags(m.index(tau, ParameterModel::ValueColumn)) & Qt::ItemIsEditable);

    QSignalSpy edits(&m, &ParameterModel::editRequested);
    // A bad value is refused here, with the reason next to the field.
    QVERIFY(!m.setData(m.index(tau, ParameterModel::ValueColumn), "-3"));
    QCOMPARE(edits.count(), 0);
    QVERIFY(m.data(m.index(tau, ParameterModel::Status)).toString().contains("expected a real number > 0"));
    // A good one is handed on, pending until the controller answers.
    QVERIFY(m.setData(m.index(tau, ParameterModel::ValueColumn), "0.5"));
    QCOMPARE(edits.count(), 1);
    QCOMPARE(std::get<double>(edits[0][2].value<Value>()), 0.5);
    QCOMPARE(m.data(m.index(tau, ParameterModel::Status)).toString(), QString("pending"));
    m.setResult("res", "tau", false, "res.tau: refused by the session", 12);
    QCOMPARE(m.data(m.index(tau, ParameterModel::Status)).toString(),
             QString("res.tau: refused by the session"));
    QCOMPARE(m.data(m.index(tau, ParameterModel::ValueColumn)).toString(), QString("2"));
    QVERIFY(m.setData(m.index(tau, ParameterModel::ValueColumn), "0.25"));
    m.setResult("res", "tau", true, QString(), 12);
    QCOMPARE(m.data(m.index(tau, ParameterModel::ValueColumn)).toString(), QString("0.25"));
    QVERIFY(m.data(m.index(tau, ParameterModel::Status)).toString().contains("12"));
    m.setEditable(false);
    QVERIFY(!(m.flags(m.index(tau, ParameterModel::ValueColumn)) & Qt::ItemIsEditable));
  }

  void graphLayout() {
    const NetworkDesc net = small_net();
    const GraphLayout g = layout_graph(net);
    QCOMPARE(g.nodes.size(), std::size_t(4));  // input + 3
    QVERIFY(g.nodes[0].input);
    // Colours from what the kinds declare (leaky: its own), else the fallback palette in
    // order of the kinds that declare none; never from the kinds' names.
    QCOMPARE(g.nodes[3].colour, Registry::global().find("leaky")->colour);
    const auto& fallback = fallback_palette();
    for (std::size_t i = 1; i <= 2; ++i)
      if (!Registry::global().find(g.nodes[i].kind)) QCOMPARE(g.nodes[i].colour, fallback[i - 1]);
    QVERIFY(g.nodes[1].colour != g.nodes[2].colour);
    QVERIFY(node_radius(1000) > node_radius(100));
    // in, rec (self), cx->hc, route from res and from hc: 5 arrows.
    QCOMPARE(g.edges.size(), std::size_t(5));
    QCOMPARE(std::count_if(g.edges.begin(), g.edges.end(), [](const GraphEdge& e) { return e.self; }), 1L);
    // Nodes do not overlap, and the input is left of everything.
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
      for (std::size_t j = i + 1; j < g.nodes.size(); ++j)
        QVERIFY(std::hypot(g.nodes[i].x - g.nodes[j].x, g.nodes[i].y - g.nodes[j].y) >
                g.nodes[i].r + g.nodes[j].r);
    for (std::size_t i = 1; i < g.nodes.size(); ++i) QVERIFY(g.nodes[0].x < g.nodes[i].x);
  }

  void colours() {
    Matrix m(2, 3, 0.0);
    m.at(0, 0) = -1;
    m.at(1, 2) = 1;
    m.at(0, 2) = std::nan("");
    const QImage img = render(m, -1, 1, Palette::Diverging);
    QCOMPARE(img.size(), QSize(3, 2));
    QCOMPARE(img.pixel(0, 0), color_of(Palette::Diverging, -1, -1, 1));
    QCOMPARE(img.pixel(2, 1), color_of(Palette::Diverging, 1, -1, 1));
    QCOMPARE(img.pixel(2, 0), no_data_color());
    QVERIFY(qBlue(img.pixel(0, 0)) > qRed(img.pixel(0, 0)));  // negative: blue
    QVERIFY(qRed(img.pixel(2, 1)) > qBlue(img.pixel(2, 1)));  // positive: red
    QCOMPARE(color_of(Palette::Sequential, 5, 0, 1), color_of(Palette::Sequential, 1, 0, 1));  // clamped
  }

  void scrollingHeatmap() {
    ScrollingHeatmap s;
    s.reset(2, 4, -1, 1);
    const std::vector<double> a{-1, 1}, b{0.5, -0.5};
    s.push({&a});
    QCOMPARE(s.filled(), std::size_t(1));
    QCOMPARE(s.image().pixel(3, 0), color_of(Palette::Diverging, -1, -1, 1));
    QCOMPARE(s.image().pixel(0, 0), no_data_color());
    s.push({&b, &a});
    // Newest at the right: a, then b, then a.
    QCOMPARE(s.image().pixel(1, 1), color_of(Palette::Diverging, 1, -1, 1));
    QCOMPARE(s.image().pixel(2, 0), color_of(Palette::Diverging, 0.5, -1, 1));
    QCOMPARE(s.image().pixel(3, 1), color_of(Palette::Diverging, 1, -1, 1));
    // A value outside the range grows it (to a power of two) and recolours.
    const std::vector<double> big{3, 0};
    QVERIFY(s.push({&big}));
    QCOMPARE(s.hi(), 4.0);
    QCOMPARE(s.lo(), -4.0);
    QCOMPARE(s.image().pixel(3, 0), color_of(Palette::Diverging, 3, -4, 4));
    QCOMPARE(s.image().pixel(2, 1), color_of(Palette::Diverging, 1, -4, 4));
    // Automatic range: from the first values.
    ScrollingHeatmap automatic;
    automatic.reset(2, 3, 0, 0);
    const std::vector<double> small{0.3, -0.2};
    automatic.push({&small});
    QCOMPARE(automatic.hi(), 0.5);
    QCOMPARE(automatic.lo(), -0.5);
    QCOMPARE(automatic.image().pixel(2, 0), color_of(Palette::Diverging, 0.3, -0.5, 0.5));
  }

  void options() {
    Options o;
    QVERIFY(!parse_options(
        {"s.toml", "--set", "a=1", "--screenshot", "x.png", "--tokens", "50", "--size", "800x600"}, o));
    QCOMPARE(o.file, QString("s.toml"));
    QCOMPARE(o.sets, QStringList{"a=1"});
    QCOMPARE(o.tokens, std::size_t(50));
    QCOMPARE(o.width, 800);
    Options p;
    QVERIFY(parse_options({"--bogus"}, p)->contains("unknown option"));
    Options q;
    QVERIFY(parse_options({"--screenshot", "x.png"}, q)->contains("need a SCENARIO"));
    Options r;
    QVERIFY(parse_options({"--tokens", "many", "s.toml"}, r)->contains("--tokens"));
  }

  void recordingReplaysWhatWasRecorded() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.h5").toStdString();
    const Scenario sc = gui_test::small_scenario();
    std::vector<std::vector<double>> states;
    {
      Session s(sc);
      for (int k = 0; k < 5; ++k) s.step();
      s.start_recording(path);  // mid-run: series start at token 5
      while (s.step()) states.emplace_back(s.simulator().state().begin(), s.simulator().state().end());
      s.finish();
    }
    const Recording rec(path, 99);
    QVERIFY(rec.complete());
    QCOMPARE(rec.first_token(), std::size_t(6));
    QCOMPARE(rec.size(), states.size());
    const NetworkDesc& n = rec.network();
    QCOMPARE(n.populations.size(), std::size_t(1));
    QCOMPARE(n.populations[0].name, std::string("res"));
    QCOMPARE(n.populations[0].kind, std::string("leaky"));
    QCOMPARE(n.populations[0].units, std::size_t(60));
    QCOMPARE(n.readout_from, std::size_t(120));
    QCOMPARE(n.projections.size(), std::size_t(2));
    QCOMPARE(n.token_period, 1.0);
    QVERIFY(!n.populations[0].params.empty());
    for (std::size_t i : {std::size_t(0), std::size_t(17), states.size() - 1}) {
      const Frame f = rec.frame(i);
      QCOMPARE(f.session, std::uint64_t(99));
      QCOMPARE(f.token, 6 + i);
      QVERIFY(f.pops[0].state == states[i]);  // bitwise
      QCOMPARE(f.target.size(), std::size_t(1));
      QCOMPARE(f.input.size(), std::size_t(1));
    }
    // The output exists for complete runs; the running NRMSE starts after training.
    QCOMPARE(rec.frame(0).prediction.size(), std::size_t(1));
    QVERIFY(std::isnan(rec.frame(100).nrmse));
    QVERIFY(std::isfinite(rec.frame(states.size() - 1).nrmse));
    QVERIFY_THROWS_EXCEPTION(InputError, Recording(dir.filePath("missing.h5").toStdString()));
  }
};

QTEST_MAIN(TestGuiLogic)
#include "test_gui_logic.moc"
