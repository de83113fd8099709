// The readout's learning switch (online readouts, readout.kind = "rls" | "force"): the
// checkbox of the readout view reaches the Session through the controller, applied between
// steps like a live parameter; switched off, W stays and FORCE runs on its own output.
#include <QCheckBox>

#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "simulation_controller.hpp"
#include "views.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

const std::string kForce = RANSIM_SOURCE_DIR "/scenarios/force_sines.toml";

// force_sines.toml made small: 100 units, 20 + 200 + 50 tokens.
std::vector<std::string> small_force() {
  return {"population.res.size=100", "task.warmup=20", "task.train=200", "task.test=50"};
}

bool step(SimulationController& c, std::size_t n) {
  QSignalSpy spy(&c, &SimulationController::stepsDone);
  c.step(n);
  return spy.wait(10000);
}

// The readout's output (lane 0) in the latest frame.
double output(SimulationController& c) { return c.frames().latest()->prediction.at(0); }

}  // namespace

class TestGuiLearning : public QObject {
  Q_OBJECT

 private slots:
  void toggleInTheWindowReachesTheSession() {
    MainWindow w(nullptr, false);
    QVERIFY(w.openScenario(QString::fromStdString(kForce), gui_test::qsets(small_force())));
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ready.wait(10000));
    QCOMPARE(w.controller()->network()->readout_kind, std::string("force"));
    QCheckBox* box = w.readout()->learningBox();
    QVERIFY(!box->isHidden());
    QVERIFY(box->isChecked());
    QVERIFY(step(*w.controller(), 50));

    // Off in the middle of training: the same run as a Session switched off after token 50.
    QSignalSpy result(w.controller(), &SimulationController::learningResult);
    box->click();
    QVERIFY(result.wait(5000));
    QCOMPARE(result[0][0].toBool(), false);  // off
    QCOMPARE(result[0][1].toBool(), true);   // accepted
    QCOMPARE(result[0][3].toULongLong(), 50ull);
    QVERIFY(!box->isChecked());
    QVERIFY(step(*w.controller(), 100));
    Session ref(load_scenario(kForce, small_force()));
    for (int k = 0; k < 50; ++k) ref.step();
    ref.set_learning(false);
    for (int k = 0; k < 100; ++k) ref.step();
    QCOMPARE(ref.online_readout()->rls().updates(), std::size_t(15));  // tokens 20, 22, ..., 48
    QCOMPARE(output(*w.controller()), (*ref.prediction())[0]);
    // Learning on from the start gives another output: the switch did something.
    Session on(load_scenario(kForce, small_force()));
    for (int k = 0; k < 150; ++k) on.step();
    QVERIFY((*on.prediction())[0] != output(*w.controller()));

    // On again.
    box->click();
    QVERIFY(result.wait(5000));
    QCOMPARE(result.last()[0].toBool(), true);
    QCOMPARE(result.last()[1].toBool(), true);
    QVERIFY(box->isChecked());
  }

  void ridgeReadoutHasNoSwitch() {
    MainWindow w(nullptr, false);
    QVERIFY(w.openScenario(QString::fromStdString(gui_test::kQuickstart),
                           gui_test::qsets(gui_test::small_sets())));
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ready.wait(10000));
    QVERIFY(w.readout()->learningBox()->isHidden());
    // Asked anyway (the controller's API), the session refuses with why.
    QSignalSpy result(w.controller(), &SimulationController::learningResult);
    w.controller()->setLearning(false);
    QVERIFY(result.wait(5000));
    QCOMPARE(result[0][1].toBool(), false);
    QVERIFY(result[0][2].toString().contains("is fitted once"));
  }
};

QTEST_MAIN(TestGuiLearning)
#include "test_gui_learning.moc"
