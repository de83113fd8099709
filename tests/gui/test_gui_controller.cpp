// SimulationController: signals, step N = run N (bitwise), parameter edits at step
// boundaries, reset, errors, recording, pacing and frame decimation.
#include <QElapsedTimer>

#include <algorithm>
#include <cmath>

#include "gui_test_util.hpp"
#include "recording.hpp"
#include "simulation_controller.hpp"

using namespace ransim;
using namespace ransim::gui;
using State = SimulationController::State;

namespace {

// Builds the scenario and waits for the session.
bool ready(SimulationController& c, const Scenario& sc) {
  QSignalSpy spy(&c, &SimulationController::sessionReady);
  c.setScenario(sc);
  return spy.wait(5000) && c.network() && c.state() == State::Paused;
}

// step(n) and wait until the batch is done.
bool step(SimulationController& c, std::size_t n) {
  QSignalSpy spy(&c, &SimulationController::stepsDone);
  c.step(n);
  return spy.wait(5000);
}

std::vector<double> latest_state(SimulationController& c) {
  return gui_test::frame_state(*c.frames().latest());
}

}  // namespace

class TestGuiController : public QObject {
  Q_OBJECT

 private slots:
  // With a validation part the readout is fitted after it: the prediction counts from there.
  void readoutCountsFromAfterTheValidationPart() {
    SimulationController c;
    auto sets = gui_test::small_sets();
    sets.push_back("task.validation=30");
    QVERIFY(ready(c, ransim::load_scenario(gui_test::kQuickstart, sets)));
    QCOMPARE(c.network()->readout_from, std::size_t(150));  // warm-up 20 + train 100 + validation 30
    QCOMPARE(c.network()->total_tokens, std::size_t(210));
  }

  void signalsOfARun() {
    SimulationController c;
    QCOMPARE(c.state(), State::Empty);
    QSignalSpy states(&c, &SimulationController::stateChanged);
    QVERIFY(ready(c, gui_test::small_scenario()));
    QCOMPARE(states.first()[0].value<State>(), State::Building);
    QCOMPARE(states.last()[0].value<State>(), State::Paused);
    const auto net = c.network();
    QCOMPARE(net->populations.size(), std::size_t(1));
    QCOMPARE(net->populations[0].units, std::size_t(60));
    QCOMPARE(net->total_tokens, std::size_t(180));
    QCOMPARE(net->readout_from, std::size_t(120));
    QVERIFY(net->has_readout);
    // The first frame is the initial state, published with the session.
    QTRY_VERIFY_WITH_TIMEOUT(c.frames().latest() != nullptr, 2000);
    QCOMPARE(c.frames().latest()->token, std::size_t(0));
    QCOMPARE(c.frames().latest()->session, net->session);

    QVERIFY(step(c, 3));
    QCOMPARE(c.token(), std::size_t(3));
    QCOMPARE(c.frames().latest()->token, std::size_t(3));  // the batch's last state is published

    QSignalSpy finished(&c, &SimulationController::finished);
    QSignalSpy progress(&c, &SimulationController::progress);
    c.run();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished[0][0].toString(), QString("complete"));
    QVERIFY(finished[0][2].toString().contains("nrmse_test="));
    QCOMPARE(c.state(), State::Done);
    QCOMPARE(c.token(), std::size_t(180));
    QVERIFY(progress.count() >= 1);
    QCOMPARE(progress.last()[0].toULongLong(), 180ull);
    // The running NRMSE at the end is the run's nrmse_test.
    const FramePtr last = c.frames().latest();
    QCOMPARE(last->token, std::size_t(180));
    QCOMPARE(last->nrmse_tokens, std::size_t(60));
    double metric = 0;
    for (const QString& line : finished[0][2].toString().split('\n'))
      if (line.startsWith("nrmse_test=")) metric = line.mid(11).toDouble();
    QVERIFY(std::abs(last->nrmse - metric) < 1e-4 * metric);  // metrics text has 6 digits
    QCOMPARE(last->prediction.size(), std::size_t(1));
    // Stepping a finished run does nothing but answer.
    QVERIFY(step(c, 1));
    QCOMPARE(c.token(), std::size_t(180));
  }

  void stepNEqualsRunN() {
    const Scenario sc = gui_test::small_scenario();
    // Run, pause somewhere: K tokens.
    SimulationController a;
    QVERIFY(ready(a, sc));
    a.setSpeed(200);  // slow enough to pause mid-run
    a.run();
    QTest::qWait(150);
    a.pause();
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), State::Paused, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(a.frames().latest()->token == a.token(), 3000);
    const std::size_t K = a.token();
    QVERIFY2(K > 3 && K < 180, qPrintable(QString::number(K)));
    const std::vector<double> run_state = latest_state(a);

    // The same K tokens by steps of uneven sizes.
    SimulationController b;
    QVERIFY(ready(b, sc));
    std::size_t done = 0;
    for (std::size_t n : {std::size_t(1), std::size_t(2), K / 2}) {
      if (done + n > K) break;
      QVERIFY(step(b, n));
      done += n;
    }
    QVERIFY(step(b, K - done));
    QCOMPARE(b.token(), K);
    QVERIFY(latest_state(b) == run_state);                   // bitwise
    QVERIFY(run_state == gui_test::reference_state(sc, K));  // = the headless loop
  }

  void parameterEditsLandAtStepBoundaries() {
    const Scenario sc = gui_test::small_scenario();
    SimulationController c;
    QVERIFY(ready(c, sc));
    QVERIFY(step(c, 10));
    const std::vector<double> before = latest_state(c);

    QSignalSpy result(&c, &SimulationController::parameterResult);
    c.setParameter("res", "tau", Value(0.5));
    QVERIFY(result.wait(3000));
    QCOMPARE(result[0][2].toBool(), true);
    QCOMPARE(result[0][4].toULongLong(), 10ull);
    // Nothing happens until the next step.
    QTest::qWait(50);
    QCOMPARE(c.token(), std::size_t(10));
    QVERIFY(latest_state(c) == before);
    QVERIFY(step(c, 5));

    ransim::Session ref(sc);
    for (int k = 0; k < 10; ++k) ref.step();
    ref.set_parameter("res", "tau", Value(0.5));
    for (int k = 0; k < 5; ++k) ref.step();
    QVERIFY(std::ranges::equal(latest_state(c), ref.simulator().state()));
    QVERIFY(latest_state(c) != gui_test::reference_state(sc, 15));

    // Refused edits say why.
    c.setParameter("res", "tau", Value(-1.0));
    QVERIFY(result.wait(3000));
    QCOMPARE(result.last()[2].toBool(), false);
    QVERIFY(result.last()[3].toString().contains("expected a real number > 0"));
    c.setParameter("res", "size", Value(std::int64_t{10}));
    QVERIFY(result.wait(3000));
    QCOMPARE(result.last()[2].toBool(), false);
    QVERIFY(result.last()[3].toString().contains("cannot change during a run"));
    c.setParameter("nope", "tau", Value(1.0));
    QVERIFY(result.wait(3000));
    QVERIFY(result.last()[3].toString().contains("no population named 'nope'"));
  }

  void parameterEditWhileRunning() {
    const Scenario sc = gui_test::small_scenario();
    SimulationController c;
    QVERIFY(ready(c, sc));
    c.setSpeed(300);
    c.run();
    QTRY_VERIFY_WITH_TIMEOUT(c.token() > 5, 3000);
    QSignalSpy result(&c, &SimulationController::parameterResult);
    c.setParameter("res", "tau", Value(0.7));
    QVERIFY(result.wait(3000));
    QVERIFY(result[0][2].toBool());
    const std::size_t k = result[0][4].toULongLong();
    QTest::qWait(50);
    c.pause();
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), State::Paused, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(c.frames().latest()->token == c.token(), 3000);
    const std::size_t K = c.token();
    QVERIFY(K >= k && K < 180);
    ransim::Session ref(sc);
    for (std::size_t i = 0; i < k; ++i) ref.step();
    ref.set_parameter("res", "tau", Value(0.7));
    for (std::size_t i = k; i < K; ++i) ref.step();
    QVERIFY(std::ranges::equal(latest_state(c), ref.simulator().state()));
  }

  void resetRebuildsTheSession() {
    const Scenario sc = gui_test::small_scenario();
    SimulationController c;
    QVERIFY(ready(c, sc));
    const auto first = c.network()->session;
    const std::vector<double> x0 = latest_state(c);
    QVERIFY(step(c, 20));
    QSignalSpy spy(&c, &SimulationController::sessionReady);
    c.reset();
    QVERIFY(spy.wait(5000));
    QVERIFY(c.network()->session != first);
    QCOMPARE(c.token(), std::size_t(0));
    QTRY_VERIFY_WITH_TIMEOUT(c.frames().latest()->session == c.network()->session, 2000);
    QVERIFY(latest_state(c) == x0);
  }

  void sessionErrorsAreReported() {
    // A scenario that parses but cannot be built (far too much memory).
    const Scenario sc = load_scenario(gui_test::kQuickstart, {"population.res.size=100000000"});
    SimulationController c;
    QSignalSpy errors(&c, &SimulationController::errorOccurred);
    c.setScenario(sc);
    QVERIFY(errors.wait(5000));
    QVERIFY(errors[0][0].toString().contains("memory"));
    QCOMPARE(c.state(), State::Failed);
    QVERIFY(!c.network());
    c.run();  // harmless
    c.step(3);
    QTest::qWait(20);
    QCOMPARE(c.state(), State::Failed);
  }

  void recordingToggle() {
    QTemporaryDir dir;
    const QString path = dir.filePath("gui.h5");
    SimulationController c;
    QVERIFY(ready(c, gui_test::small_scenario()));
    QVERIFY(step(c, 4));
    QSignalSpy rec(&c, &SimulationController::recordingChanged);
    c.startRecording(path);
    QVERIFY(rec.wait(3000));
    QCOMPARE(rec[0][0].toBool(), true);
    QVERIFY(c.recording());
    QVERIFY(step(c, 12));
    const std::vector<double> x = latest_state(c);
    c.stopRecording();
    QVERIFY(rec.wait(3000));
    QCOMPARE(rec.last()[0].toBool(), false);
    const Recording r(path.toStdString());
    QCOMPARE(r.first_token(), std::size_t(5));
    QCOMPARE(r.size(), std::size_t(12));
    QVERIFY(gui_test::frame_state(r.frame(11)) == x);
    // A path that cannot be written is an error, not a crash.
    c.startRecording(dir.filePath("no/such/dir/x.h5"));
    QSignalSpy errors(&c, &SimulationController::errorOccurred);
    QVERIFY(errors.wait(3000));
    QVERIFY(!c.recording());
  }

  void realTimePacing() {
    // token_period = 1 s at x500: 500 tokens per second of wall time, not more.
    SimulationController c;
    QVERIFY(ready(c, load_scenario(gui_test::kQuickstart, {"population.res.size=20", "task.test=5000"})));
    c.setSpeed(500);
    QElapsedTimer t;
    t.start();
    c.run();
    QTest::qWait(300);
    c.pause();
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), State::Paused, 3000);
    const double expected = 500.0 * static_cast<double>(t.elapsed()) / 1000.0;
    QVERIFY2(static_cast<double>(c.token()) <= expected + 5, qPrintable(QString::number(c.token())));
    QVERIFY2(static_cast<double>(c.token()) >= 0.3 * expected, qPrintable(QString::number(c.token())));
  }

  void framesAreDecimated() {
    SimulationController c;
    QVERIFY(ready(c, load_scenario(gui_test::kQuickstart, {"population.res.size=20", "task.test=200000"})));
    c.setFrameRate(20);
    const std::uint64_t before = c.frames().last_seq();
    c.run();
    QTest::qWait(400);
    c.pause();
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), State::Paused, 3000);
    const std::uint64_t frames = c.frames().last_seq() - before;
    QVERIFY2(c.token() > 200, qPrintable(QString::number(c.token())));
    QVERIFY2(frames <= 14, qPrintable(QString::number(frames)));  // ~8 at 20 Hz, + pause
    // Every token when asked.
    c.setFrameRate(0);
    const std::uint64_t s0 = c.frames().last_seq();
    QVERIFY(step(c, 50));
    QCOMPARE(c.frames().last_seq() - s0, std::uint64_t(50));
  }

  void attentionMapsInFrames() {
    if (!gui_test::attention_plugins()) QSKIP("the attention plugins are not built in this tree");
    SimulationController c;
    QVERIFY(ready(c, load_scenario(gui_test::kMixed)));
    QVERIFY(step(c, 12));
    const FramePtr f = c.frames().latest();
    const auto& net = *c.network();
    const int cx = net.find("cortex"), hc = net.find("hippo");
    QVERIFY(cx >= 0 && hc >= 0);
    QCOMPARE(f->pops[static_cast<std::size_t>(cx)].series.at("attention").size(), std::size_t(24 * 8));
    QCOMPARE(f->pops[static_cast<std::size_t>(hc)].series.at("memory").size(), std::size_t(16 * 10));
    // Each unit's attention weights sum to 1 once its window is full.
    double sum = 0;
    const auto& attention = f->pops[static_cast<std::size_t>(cx)].series.at("attention");
    for (std::size_t j = 0; j < 8; ++j) sum += attention[j];
    QVERIFY(std::abs(sum - 1.0) < 1e-12);
    // Maps are sampled without disturbing the run.
    QVERIFY(latest_state(c) == gui_test::reference_state(load_scenario(gui_test::kMixed), 12));
  }
};

QTEST_MAIN(TestGuiController)
#include "test_gui_controller.moc"
