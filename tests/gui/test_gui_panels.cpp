// Issue 22, parts 4-6: the readout settings (Retrain = `ransim run --set ...`), the compare
// panel (the study code of `ransim compare` on its own thread: table, figures, overlay,
// cancel), and the scenario editor (errors located and highlighted, the old network kept,
// no silent overwrite). Expected numbers come from ransim::run / run_one on the same settings.
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBlock>

#include <fstream>
#include <map>

#include "compare_panel.hpp"
#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "readout_panel.hpp"
#include "run/run.hpp"
#include "scenario_editor.hpp"
#include "simulation_controller.hpp"
#include "study/compare.hpp"
#include "study_panels.hpp"
#include "tasks/metrics.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

// "name=value" lines of the finished signal.
std::map<std::string, double> parse_metrics(const QString& text) {
  std::map<std::string, double> out;
  for (const QString& line : text.split('\n', Qt::SkipEmptyParts)) {
    const auto kv = line.split('=');
    if (kv.size() == 2) out[kv[0].toStdString()] = kv[1].toDouble();
  }
  return out;
}

bool open_small(MainWindow& w) {
  QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
  return w.openScenario(QString::fromStdString(gui_test::kQuickstart),
                        gui_test::qsets(gui_test::small_sets())) &&
         ready.wait(10000);
}

// The run's metrics after a retrain (the controller's finished signal).
std::map<std::string, double> retrain(ReadoutPanel& panel, SimulationController& c) {
  QSignalSpy finished(&c, &SimulationController::finished);
  if (!panel.retrain() || !finished.wait(20000)) return {};
  return parse_metrics(finished.last()[2].toString());
}

// A small compare config: two leaky reservoirs on a short NARMA-10.
const QString kConfig = RANSIM_TEST_DIR "/fixtures/compare_small.toml";

int column(const QTableWidget& t, const QString& name) {
  for (int c = 0; c < t.columnCount(); ++c)
    if (t.horizontalHeaderItem(c)->text() == name) return c;
  return -1;
}

}  // namespace

class TestGuiPanels : public QObject {
  Q_OBJECT

 private slots:
  // Part 4: Retrain with a ridge and windows gives the metrics `ransim run --set` gives.
  void retrainMatchesRun() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ReadoutPanel* panel = readout_panel(w);
    QVERIFY(panel);
    QCOMPARE(panel->train()->value(), 100);  // the fields show the scenario (small_sets)
    QCOMPARE(panel->test()->value(), 60);
    panel->ridgeMode()->setCurrentIndex(0);
    panel->ridgeValue()->setText("0.001");
    panel->train()->setValue(80);
    panel->test()->setValue(50);
    const auto got = retrain(*panel, *w.controller());
    std::vector<std::string> sets = gui_test::small_sets();
    for (auto s :
         {"readout.ridge=0.001", "task.warmup=20", "task.train=80", "task.validation=0", "task.test=50"})
      sets.push_back(s);
    const RunResult want = run(load_scenario(gui_test::kQuickstart, sets));
    QCOMPARE(w.network()->total_tokens, std::size_t(150));
    for (const char* m : {"nrmse_train", "nrmse_test"}) {
      QVERIFY2(got.count(m), m);
      QVERIFY2(std::abs(got.at(m) - want.metrics.at(m)) <= 1e-5 * std::abs(want.metrics.at(m)), m);
    }
    // Chosen on validation: the same lambda as readout.ridge = "auto".
    panel->ridgeMode()->setCurrentIndex(1);
    QVERIFY(!panel->ridgeValue()->isEnabled());
    panel->validation()->setValue(30);
    const auto chosen = retrain(*panel, *w.controller());
    sets.push_back("readout.ridge=\"auto\"");
    sets.push_back("task.validation=30");
    const RunResult auto_run = run(load_scenario(gui_test::kQuickstart, sets));
    QVERIFY(chosen.count("ridge_selected"));
    QCOMPARE(chosen.at("ridge_selected"), auto_run.metrics.at("ridge_selected"));
    QVERIFY(std::abs(chosen.at("nrmse_test") - auto_run.metrics.at("nrmse_test")) <=
            1e-5 * auto_run.metrics.at("nrmse_test"));
  }

  // Part 4: a value the scenario refuses is refused with the key, and nothing is rebuilt.
  void retrainRefusesBadValues() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ReadoutPanel* panel = readout_panel(w);
    const auto net = w.network();
    QSignalSpy refused(panel, &ReadoutPanel::refused);
    panel->ridgeMode()->setCurrentIndex(0);
    panel->ridgeValue()->setText("-1");
    QVERIFY(!panel->retrain());
    QCOMPARE(refused.size(), 1);
    QVERIFY2(refused[0][0].toString().contains("readout.ridge"), qPrintable(refused[0][0].toString()));
    panel->ridgeValue()->setText("lots");
    QVERIFY(!panel->retrain());
    QVERIFY(refused[1][0].toString().contains("expected a number"));
    QCOMPARE(w.network(), net);
    QVERIFY(w.logText().contains("retrain refused"));
  }

  // Part 6: an error is located (line and column of the InputError) and highlighted, and the
  // running network stays; a good edit is applied and rebuilds.
  void editorLocatesErrorsAndKeepsTheNetwork() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ScenarioEditor* ed = scenario_editor(w);
    QVERIFY(ed);
    const QString original = ed->editor()->toPlainText();
    QVERIFY(original.contains("tau = 1.0"));
    const auto net = w.network();
    const std::string text_before = w.controller()->scenario()->text;

    // A value out of range: the scenario names the line and column of the value.
    QString bad = original;
    bad.replace("tau = 1.0", "tau = -1.0");
    ed->editor()->setPlainText(bad);
    QVERIFY(!ed->apply());
    const int line = bad.left(bad.indexOf("tau = -1.0")).count('\n') + 1;
    QCOMPARE(ed->errorLocation().line, line);
    QVERIFY(ed->errorMessage().contains("tau"));
    QCOMPARE(ed->editor()->textCursor().blockNumber(), line - 1);
    QCOMPARE(ed->editor()->extraSelections().size(), 2);
    QCOMPARE(ed->editor()->extraSelections()[0].cursor.blockNumber(), line - 1);
    QCOMPARE(w.network(), net);
    QCOMPARE(w.controller()->scenario()->text, text_before);
    QVERIFY(w.logText().contains("not applied"));

    // A TOML syntax error: located too (toml++'s line and column).
    QString broken = original;
    broken.replace("tau = 1.0", "tau = = 1.0");
    ed->editor()->setPlainText(broken);
    QVERIFY(!ed->apply());
    QCOMPARE(ed->errorLocation().line, line);
    QVERIFY(ed->errorLocation().column > 0);
    QCOMPARE(w.network(), net);

    // Applied: the Session is rebuilt from the edited text (the --set overrides kept).
    QString good = original;
    good.replace("tau = 1.0", "tau = 0.5");
    ed->editor()->setPlainText(good);
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    QVERIFY(ed->apply());
    QVERIFY(ready.wait(10000));
    QCOMPARE(QString::fromStdString(w.controller()->scenario()->text), good);
    QCOMPARE(w.controller()->scenario()->populations[0].params.real("tau"), 0.5);
    QCOMPARE(w.network()->populations[0].units, std::size_t(60));
    QVERIFY(w.network() != net);
  }

  void errorLocationParsing() {
    QCOMPARE(error_location("a/b.toml:12:7: population.res.tau: expected >= 0").line, 12);
    QCOMPARE(error_location("a/b.toml:12:7: population.res.tau: expected >= 0").column, 7);
    QCOMPARE(error_location("no place named").line, 0);
  }

  // Part 6: saving asks before replacing a file; refused, the file is untouched.
  void saveAsksBeforeOverwriting() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ScenarioEditor* ed = scenario_editor(w);
    QTemporaryDir dir;
    const QString old = dir.filePath("old.toml");
    std::ofstream(old.toStdString()) << "old text\n";
    QStringList asked;
    bool answer = false;
    ed->setConfirmOverwrite([&](const QString& p) {
      asked << p;
      return answer;
    });
    QVERIFY(!ed->saveTo(old));
    QCOMPARE(asked, QStringList{old});
    QFile f(old);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("old text\n"));
    f.close();
    answer = true;
    QVERIFY(ed->saveTo(old));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()), ed->editor()->toPlainText());
    f.close();
    const QString fresh = dir.filePath("new.toml");
    ed->setSavePathChooser([&](const QString&) { return fresh; });
    QVERIFY(ed->save());
    QCOMPARE(asked.size(), 2);  // a new file is not asked about
    QVERIFY(QFileInfo::exists(fresh));
  }

  // Part 5: a sweep of one key of the open scenario: the table holds run_one's metric per
  // point, the outputs and figures are written, and the overlay's traces score that metric.
  void sweepTableFiguresAndOverlay() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ComparePanel* panel = compare_panel(w);
    QVERIFY(panel);
    QVERIFY(!panel->loadSweep("readout.ridge", "[1e-6, \"x\"]"));  // refused: the key's error
    QVERIFY2(panel->statusText().contains("readout.ridge"), qPrintable(panel->statusText()));
    QVERIFY(panel->loadSweep("readout.ridge", "[1e-6, 1e-2]"));
    QCOMPARE(panel->runCount(), std::size_t(2));
    QTemporaryDir dir;
    panel->setOutputPrefix(dir.filePath("out/sweep"));
    QSignalSpy finished(panel, &ComparePanel::finished);
    QSignalSpy progressed(panel, &ComparePanel::progressed);
    QVERIFY(panel->start());
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished[0][0].toBool(), false);
    QCOMPARE(progressed.size(), 2);
    QTableWidget* t = panel->table();
    QCOMPARE(t->rowCount(), 2);
    const int mean = column(*t, "mean"), ridge = column(*t, "readout.ridge");
    QVERIFY(mean >= 0 && ridge >= 0);
    std::vector<double> want;
    for (const char* lambda : {"1e-6", "1e-2"}) {
      std::vector<std::string> sets = gui_test::small_sets();
      sets.push_back(std::string("readout.ridge=") + lambda);
      want.push_back(run(load_scenario(gui_test::kQuickstart, sets)).metrics.at("nrmse_test"));
    }
    for (int r = 0; r < 2; ++r)
      QVERIFY(std::abs(t->item(r, mean)->text().toDouble() - want[r]) <= 1e-9 * want[r]);
    const QStringList files = QDir(dir.filePath("out")).entryList(QDir::Files | QDir::Hidden);
    for (const char* f :
         {"sweep.csv", "sweep.md", "sweep.json", "sweep.h5", "sweep_lines.png", "sweep_lines.svg"})
      QVERIFY2(files.contains(f), qPrintable(files.join(" ")));
    QCOMPARE(QDir(dir.filePath("out")).entryList(QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot).size(), 0);
    QVERIFY(panel->figures()->count() >= 2);  // the overlay tab and the line plot

    // The overlay of both rows: each trace scores its row's nrmse_test.
    t->selectAll();
    QSignalSpy traces(panel, &ComparePanel::tracesReady);
    QVERIFY(panel->overlaySelected());
    QVERIFY(traces.wait(30000));
    QCOMPARE(panel->traces().size(), std::size_t(2));
    for (std::size_t r = 0; r < 2; ++r) {
      const RunTrace& tr = panel->traces()[r];
      QCOMPARE(tr.tokens.size(), std::size_t(60));  // the test tokens
      const arma::mat y(tr.target), yhat(tr.output);
      QVERIFY(std::abs(nrmse(y, yhat) - want[r]) <= 1e-9 * want[r]);
    }
  }

  // Part 5: cancelled, nothing is written (no partial outputs that look complete).
  void cancelWritesNothing() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ComparePanel* panel = compare_panel(w);
    QVERIFY(panel->loadSweep("population.res.size", "[60, 70, 80, 90, 100, 110]"));
    QTemporaryDir dir;
    panel->setOutputPrefix(dir.filePath("sizes"));
    QSignalSpy finished(panel, &ComparePanel::finished);
    QVERIFY(panel->start());
    panel->cancel();
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished[0][0].toBool(), true);
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList());
    QVERIFY(panel->written().isEmpty());
    QVERIFY(panel->statusText().contains("nothing written"));
  }

  // Part 5: File > Open of a compare config offers it in the compare panel, which runs it.
  void compareConfigOpensInThePanel() {
    MainWindow w(nullptr, false);
    QTemporaryDir dir;
    const QString cfg = kConfig;
    QVERIFY(!w.openScenario(cfg));
    QVERIFY2(w.errorText().contains("Compare panel"), qPrintable(w.errorText()));
    ComparePanel* panel = compare_panel(w);
    QCOMPARE(panel->runCount(), std::size_t(2));
    QVERIFY(!w.dock("dock-compare")->isHidden());
    panel->setOutputPrefix(dir.filePath("two"));
    QSignalSpy finished(panel, &ComparePanel::finished);
    QVERIFY(panel->start());
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished[0][0].toBool(), false);
    QCOMPARE(panel->table()->rowCount(), 2);
    const CompareConfig config = load_compare(cfg.toStdString(), false);
    const int mean = column(*panel->table(), "mean");
    for (int r = 0; r < 2; ++r) {
      const double want = run_one(config.runs[r]).result.metrics.at("nrmse_test");
      QVERIFY(std::abs(panel->table()->item(r, mean)->text().toDouble() - want) <= 1e-9 * want);
    }
    QVERIFY(panel->written().contains(dir.filePath("two.png")));
  }
};

QTEST_MAIN(TestGuiPanels)
#include "test_gui_panels.moc"
