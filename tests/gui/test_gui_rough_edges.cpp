// Issue 22, D3-D16: the rough edges a new user met. Each test names the item it checks.
// Settings go to a folder of this test's own (QSettings::setPath), never the user's.
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QToolBar>

#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "parameter_model.hpp"
#include "recording.hpp"
#include "scenario_files.hpp"
#include "simulation_controller.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

QTemporaryDir& settings_dir() {
  static QTemporaryDir d;
  return d;
}

QString write_file(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
  const QString path = dir.filePath(name);
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}

bool open_small(MainWindow& w) {
  if (!w.openScenario(QString::fromStdString(gui_test::kQuickstart), gui_test::qsets(gui_test::small_sets())))
    return false;
  QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
  return ready.wait(20000);
}

}  // namespace

class TestGuiRoughEdges : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ransim-test");
    QCoreApplication::setApplicationName("ransim-gui-rough-edges");
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings_dir().path());
    QSettings().clear();
  }

  // D3: the banner holds the current error only; Messages keeps every one.
  // D4: Messages shows its newest entry, banner or not.
  void oneErrorInTheBannerAllInMessages() {
    MainWindow w(nullptr, false);
    w.resize(1024, 700);
    w.show();
    for (int i = 0; i < 12; ++i) w.showError(QString("error number %1\nsecond line").arg(i));
    QCOMPARE(w.errorText(), QString("error number 11\nsecond line"));
    for (int i = 0; i < 12; ++i) QVERIFY(w.logText().contains(QString("error number %1").arg(i)));
    for (int i = 0; i < 200; ++i) w.log(QString("entry %1").arg(i));
    QCoreApplication::processEvents();
    auto* messages = w.dock("dock-messages")->findChild<QPlainTextEdit*>();
    QVERIFY(messages);
    QVERIFY(messages->verticalScrollBar()->maximum() > 0);
    QCOMPARE(messages->verticalScrollBar()->value(), messages->verticalScrollBar()->maximum());
    w.showError("one more");
    QCoreApplication::processEvents();
    QCOMPARE(messages->verticalScrollBar()->value(), messages->verticalScrollBar()->maximum());
  }

  // D5: the bundled menu lists the runnable scenarios first and marks the others.
  void bundledFilesToldApart() {
    const std::string dir = RANSIM_SOURCE_DIR "/scenarios/";
    QCOMPARE(classify_scenario_file(dir + "quickstart.toml").kind, ScenarioFileKind::Runnable);
    const auto cmp = classify_scenario_file(dir + "compare_stream.toml");
    QCOMPARE(cmp.kind, ScenarioFileKind::Compare);
    QVERIFY(cmp.message.find("ransim compare") != std::string::npos);
    QCOMPARE(classify_scenario_file(dir + "in_context_regression.toml").kind, ScenarioFileKind::Episodes);
    MainWindow w(nullptr, false);
    bool section = false, marked_compare = false;
    for (QAction* a : w.bundledMenu()->actions()) {
      if (a->isSeparator()) section = true;
      if (a->text().startsWith("compare_stream")) {
        QVERIFY(section);  // after the runnable ones
        QVERIFY(a->text().contains("compare config"));
        marked_compare = true;
      }
      if (a->text() == "quickstart") QVERIFY(!section);
    }
    QVERIFY(marked_compare);
    // Opening a compare config says what it is, not "unknown key".
    QVERIFY(!w.openScenario(QString::fromStdString(dir + "compare_stream.toml")));
    QVERIFY2(w.errorText().contains("compare config"), qPrintable(w.errorText()));
  }

  // D6: a binary file is "not a TOML scenario".
  void binaryFileIsNotToml() {
    QTemporaryDir dir;
    const QString bin = write_file(dir, "x.toml",
                                   QByteArray("\x7f"
                                              "ELF\x02\x01\x01\0\0\0",
                                              10));
    const QString utf8 = write_file(dir, "y.toml", "description = \"caf\xc3\xa9\"\n");
    QVERIFY(looks_binary(bin.toStdString()));
    QVERIFY(!looks_binary(utf8.toStdString()));
    MainWindow w(nullptr, false);
    QVERIFY(!w.openScenario(bin));
    QVERIFY2(w.errorText().contains("not a TOML scenario"), qPrintable(w.errorText()));
  }

  // D7: a refused edit's reason is in Messages. D8: once the run has ended, edits are refused.
  void refusedEditsAreReported() {
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    ParameterModel* m = w.parameters();
    const int row = m->findRow("res", "tau");
    QVERIFY(row >= 0);
    QVERIFY(!m->setData(m->index(row, ParameterModel::ValueColumn), "-3"));
    QVERIFY2(w.logText().contains("res.tau refused"), qPrintable(w.logText()));
    QSignalSpy done(w.controller(), &SimulationController::finished);
    w.controller()->run();
    QVERIFY(done.wait(30000));
    QTRY_VERIFY(!m->editable());
    QVERIFY(!(m->flags(m->index(row, ParameterModel::ValueColumn)) & Qt::ItemIsEditable));
    QVERIFY(!m->setData(m->index(row, ParameterModel::ValueColumn), "0.5"));
    QVERIFY2(w.logText().contains("run has ended"), qPrintable(w.logText()));
    // The controller refuses too (an edit that was under way when the run ended).
    QSignalSpy result(w.controller(), &SimulationController::parameterResult);
    w.controller()->setParameter("res", "tau", Value(0.5));
    QVERIFY(result.wait(5000));
    QCOMPARE(result.at(0).at(2).toBool(), false);
    QVERIFY(result.at(0).at(3).toString().contains("run has ended"));
  }

  // D9: window size, speed and step count persist; a file that fails stays out of Recent.
  void settingsPersist() {
    QSettings().clear();
    {
      MainWindow w;
      w.resize(1100, 760);
      w.show();
      w.speedBox()->setCurrentIndex(2);
      w.stepCountBox()->setValue(37);
      w.dock("dock-readout")->hide();
      w.close();  // saves
    }
    {
      MainWindow w;
      QCOMPARE(w.speedBox()->currentIndex(), 2);
      QCOMPARE(w.controller()->speed(), w.speedBox()->itemData(2).toDouble());
      QCOMPARE(w.stepCountBox()->value(), 37);
      QCOMPARE(w.size(), QSize(1100, 760));
      QVERIFY(w.dock("dock-readout")->isHidden());
      // A scenario whose Session cannot be built does not enter Recent files.
      QVERIFY(
          w.openScenario(QString::fromStdString(gui_test::kQuickstart), {"population.res.size=100000000"}));
      QSignalSpy err(w.controller(), &SimulationController::errorOccurred);
      QVERIFY(err.wait(30000));
      QVERIFY(w.recentFiles().isEmpty());
      QVERIFY(open_small(w));
      QCOMPARE(w.recentFiles().size(), 1);
    }
    QSettings().clear();
  }

  // D10: Record pauses the run while the file is chosen: the recording starts at the token
  // at which it was pressed; stopping it is said in Messages. D15: a recording cut by Reset
  // is "partial".
  void recordingStartsWhereClicked() {
    QTemporaryDir dir;
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    w.speedBox()->setCurrentIndex(w.speedBox()->findData(100.0));  // 100 tokens/s: a run to catch
    w.controller()->run();
    QTRY_VERIFY(w.controller()->token() > 20);
    std::size_t during = 0;
    const QString path = dir.filePath("clicked.h5");
    w.setRecordPathChooser([&](const QString& suggested) {
      // While the dialog is open the run stands still.
      QTest::qWait(100);
      during = w.controller()->token();
      QTest::qWait(150);
      if (w.controller()->token() != during) return QString();
      (void)suggested;
      return path;
    });
    w.recordAction()->trigger();
    QVERIFY(w.controller()->recording() ||
            QTest::qWaitFor([&] { return w.controller()->recording(); }, 5000));
    QVERIFY(during > 20);
    QTRY_VERIFY(w.controller()->token() > during + 5);  // it goes on
    w.recordAction()->trigger();                        // stop
    QTRY_VERIFY(w.logText().contains("recording stopped"));
    {
      Recording r(path.toStdString());
      // Started after token `during`: its first recorded state is the one after the next
      // token (as test_gui_logic's mid-run recording: start after 5, first state 6).
      QCOMPARE(r.first_token(), during + 1);
      QCOMPARE(QString::fromStdString(r.status()), QString("partial"));
    }
    // Reset while recording: partial too.
    const QString path2 = dir.filePath("reset.h5");
    w.setRecordPathChooser([&](const QString&) { return path2; });
    w.recordAction()->trigger();
    QTRY_VERIFY(w.controller()->recording());
    QSignalSpy ready(w.controller(), &SimulationController::sessionReady);
    w.controller()->reset();
    QVERIFY(ready.wait(20000));
    Recording r2(path2.toStdString());
    QCOMPARE(QString::fromStdString(r2.status()), QString("partial"));
  }

  // D16: after a failed open the old network is gone and Reset does not bring it back.
  void failedOpenClearsTheNetwork() {
    QTemporaryDir dir;
    MainWindow w(nullptr, false);
    QVERIFY(open_small(w));
    QVERIFY(w.network());
    QVERIFY(!w.openScenario(write_file(dir, "bad.toml", "seed = \n")));
    QVERIFY(!w.network());
    QVERIFY(!w.controller()->hasScenario());
    QCOMPARE(w.controller()->state(), SimulationController::State::Empty);
  }

  // D11: at 1024x700 every control is on the toolbar (none in the overflow).
  // D13: tooltips name the shortcut; Record has one; Help lists them.
  void toolbarFitsAndShortcutsAreShown() {
    MainWindow w(nullptr, false);
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QToolBar* tb = w.controlsBar();
    for (QAction* a : tb->actions()) {
      if (a->isSeparator()) continue;
      QWidget* b = tb->widgetForAction(a);
      QVERIFY2(b && b->isVisible(), qPrintable(a->text() + " is not visible"));
      QVERIFY2(tb->rect().contains(b->geometry()), qPrintable(a->text() + " is cut"));
    }
    QVERIFY(!w.recordAction()->shortcut().isEmpty());
    QVERIFY(w.recordAction()->toolTip().contains(
        w.recordAction()->shortcut().toString(QKeySequence::NativeText)));
    const QString list = w.shortcutsText();
    for (const char* key : {"F5", "F6", "F8", "F10", "F11", "Ctrl+R", "Ctrl+O"})
      QVERIFY2(list.contains(key), key);
  }
};

QTEST_MAIN(TestGuiRoughEdges)
#include "test_gui_rough_edges.moc"
