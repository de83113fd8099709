#include "study_panels.hpp"

#include <QDockWidget>
#include <QStatusBar>

#include "compare_panel.hpp"
#include "main_window.hpp"
#include "readout_panel.hpp"
#include "scenario_editor.hpp"
#include "simulation_controller.hpp"

namespace ransim::gui {

namespace {

QDockWidget* make_dock(MainWindow& w, const QString& title, const QString& name, QWidget* content) {
  auto* d = new QDockWidget(title, &w);
  d->setObjectName(name);
  d->setWidget(content);
  d->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                 QDockWidget::DockWidgetFloatable);
  return d;
}

void tab_behind(MainWindow& w, const QString& front, QDockWidget* d) {
  QDockWidget* f = w.dock(front);
  if (f) {
    w.tabifyDockWidget(f, d);
    f->raise();
  } else {
    w.addDockWidget(Qt::RightDockWidgetArea, d);
  }
}

}  // namespace

void install_study_panels(MainWindow& w) {
  SimulationController* ctrl = w.controller();
  auto* readout = new ReadoutPanel(ctrl);
  auto* compare = new ComparePanel(ctrl);
  auto* editor = new ScenarioEditor(ctrl);
  tab_behind(w, "dock-parameters",
             make_dock(w, QObject::tr("Readout settings"), "dock-readout-panel", readout));
  tab_behind(w, "dock-parameters",
             make_dock(w, QObject::tr("Scenario editor"), "dock-scenario-editor", editor));
  tab_behind(w, "dock-heatmap", make_dock(w, QObject::tr("Compare"), "dock-compare", compare));

  QObject::connect(ctrl, &SimulationController::sessionReady, readout, [ctrl, readout, editor] {
    if (!ctrl->scenario()) return;
    readout->showScenario(*ctrl->scenario());
    editor->showScenario(*ctrl->scenario());
  });
  auto log = [&w](const QString& text) {
    w.log(text);
    w.statusBar()->showMessage(text, 10000);
  };
  QObject::connect(readout, &ReadoutPanel::refused, &w, log);
  QObject::connect(readout, &ReadoutPanel::retrainStarted, &w, [&w](const QString& sets) {
    w.log(QObject::tr("retraining: rebuilt with %1, running to the end").arg(sets));
  });
  QObject::connect(editor, &ScenarioEditor::applied, &w, [&w](const QString& path) {
    w.clearError();
    w.log(QObject::tr("scenario editor: applied the edited %1, rebuilding").arg(path));
  });
  QObject::connect(editor, &ScenarioEditor::applyFailed, &w, [&w](const QString& why) {
    w.log(QObject::tr("scenario editor: not applied (the network runs on): %1").arg(why));
  });
  QObject::connect(editor, &ScenarioEditor::saved, &w,
                   [&w](const QString& path) { w.log(QObject::tr("scenario saved to %1").arg(path)); });
  QObject::connect(compare, &ComparePanel::message, &w, [&w](const QString& text) { w.log(text); });
}

ReadoutPanel* readout_panel(const MainWindow& w) { return w.findChild<ReadoutPanel*>(); }
ComparePanel* compare_panel(const MainWindow& w) { return w.findChild<ComparePanel*>(); }
ScenarioEditor* scenario_editor(const MainWindow& w) { return w.findChild<ScenarioEditor*>(); }

bool offer_compare_panel(MainWindow& w, const QString& path) {
  ComparePanel* panel = compare_panel(w);
  if (!panel || !panel->loadConfig(path)) return false;
  if (QDockWidget* d = w.dock("dock-compare")) {
    d->show();
    d->raise();
  }
  w.log(QObject::tr("%1 is a compare config: opened in the Compare panel (Run starts it)").arg(path));
  return true;
}

}  // namespace ransim::gui
