// MainWindow: files and settings (the scenario folders, bundled and recent files, recording,
// screenshots and view export, QSettings, the shortcut list). The rest is in main_window.cpp.
#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>

#include "main_window.hpp"
#include "scenario_files.hpp"
#include "simulation_controller.hpp"
#include "study_panels.hpp"
#include "views.hpp"

#ifndef RANSIM_SOURCE_DIR
#define RANSIM_SOURCE_DIR ""
#endif

namespace ransim::gui {

namespace {
constexpr int kMaxRecent = 8;
}  // namespace

QStringList MainWindow::scenarioDirs() {
  QStringList out;
  const QDir app(QCoreApplication::applicationDirPath());
  const QStringList candidates = {
      app.absoluteFilePath("../../scenarios"), app.absoluteFilePath("../share/ransim/scenarios"),
      QString::fromUtf8(RANSIM_SOURCE_DIR).isEmpty() ? QString()
                                                     : QString::fromUtf8(RANSIM_SOURCE_DIR) + "/scenarios"};
  for (const QString& c : candidates) {
    if (c.isEmpty()) continue;
    const QFileInfo fi(c);
    if (!fi.isDir()) continue;
    const QString canon = fi.canonicalFilePath();
    if (!out.contains(canon)) out << canon;
  }
  return out;
}

QStringList MainWindow::bundledScenarios() {
  QStringList out;
  for (const QString& d : scenarioDirs())
    for (const QFileInfo& f : QDir(d).entryInfoList({"*.toml"}, QDir::Files, QDir::Name))
      out << f.absoluteFilePath();
  return out;
}

QStringList MainWindow::recentFiles() const { return QSettings().value("recentFiles").toStringList(); }

void MainWindow::addRecent(const QString& path) {
  const QString abs = QFileInfo(path).absoluteFilePath();
  QStringList r = recentFiles();
  r.removeAll(abs);
  r.prepend(abs);
  while (r.size() > kMaxRecent) r.removeLast();
  QSettings().setValue("recentFiles", r);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  const QStringList r = recentFiles();
  for (const QString& f : r) {
    QAction* a = recentMenu_->addAction(QFileInfo(f).fileName());
    a->setToolTip(f);
    a->setStatusTip(f);
    connect(a, &QAction::triggered, this, [this, f] {
      if (f.endsWith(".h5") || f.endsWith(".hdf5")) openRecording(f);
      else openScenario(f);
    });
  }
  if (r.isEmpty()) recentMenu_->addAction(tr("(none)"))->setEnabled(false);
  else {
    recentMenu_->addSeparator();
    connect(recentMenu_->addAction(tr("Clear")), &QAction::triggered, this, [this] {
      QSettings().remove("recentFiles");
      updateRecentMenu();
    });
  }
}

void MainWindow::updateBundledMenu() {
  bundledMenu_->clear();
  const QStringList files = bundledScenarios();
  // Scenarios the GUI runs first; then, marked, what it cannot run (D5).
  std::vector<std::pair<QString, ScenarioFileInfo>> other;
  for (const QString& f : files) {
    ScenarioFileInfo info = classify_scenario_file(f.toStdString());
    if (info.kind != ScenarioFileKind::Runnable) {
      other.emplace_back(f, std::move(info));
      continue;
    }
    QAction* a = bundledMenu_->addAction(QFileInfo(f).completeBaseName());
    a->setStatusTip(f);
    a->setToolTip(f);
    connect(a, &QAction::triggered, this, [this, f] { openScenario(f); });
  }
  if (!other.empty()) bundledMenu_->addSection(tr("Not runnable here"));
  for (auto& [f, info] : other) {
    const QString why = info.kind == ScenarioFileKind::Compare    ? tr("compare config: ransim compare")
                        : info.kind == ScenarioFileKind::Episodes ? tr("episode task: ransim run")
                                                                  : tr("does not load");
    QAction* a = bundledMenu_->addAction(tr("%1  (%2)").arg(QFileInfo(f).completeBaseName(), why));
    a->setStatusTip(QString::fromStdString(info.message));
    a->setToolTip(QString::fromStdString(info.message));
    a->setData(static_cast<int>(info.kind));
    connect(a, &QAction::triggered, this,
            [this, f, kind = info.kind, msg = QString::fromStdString(info.message)] {
              if (kind != ScenarioFileKind::Compare || !offer_compare_panel(*this, f)) showError(msg);
            });
  }
  if (files.isEmpty()) bundledMenu_->addAction(tr("(no scenarios directory found)"))->setEnabled(false);
}

void MainWindow::chooseRecording(bool on) {
  if (!on) {
    ctrl_->stopRecording();
    return;
  }
  // The run pauses while the file is chosen, so that the recording starts at the token at
  // which Record was pressed (D10); it goes on afterwards.
  const bool was_running = ctrl_->state() == SimulationController::State::Running;
  if (was_running) ctrl_->pause();
  QString def = QFileInfo(scenario_path_).completeBaseName();
  if (def.isEmpty()) def = "run";
  def += "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss") + ".h5";
  const QString dir = QSettings().value("recordDir", userDataDir()).toString();
  const QString suggested = QDir(dir).filePath(def);
  const QString f = record_chooser_ ? record_chooser_(suggested)
                                    : QFileDialog::getSaveFileName(this, tr("Record to HDF5"), suggested,
                                                                   tr("HDF5 recordings (*.h5)"));
  if (f.isEmpty()) {
    QSignalBlocker b(record_);
    record_->setChecked(false);
  } else {
    QSettings().setValue("recordDir", QFileInfo(f).absolutePath());
    ctrl_->startRecording(f);
  }
  if (was_running) ctrl_->run();
}

QString MainWindow::userDataDir() {
  const QString docs = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  const QString base = docs.isEmpty() ? QDir::homePath() : docs;
  return QDir(base).filePath("ransim");
}

QString MainWindow::shortcutsText() const {
  QString t = "<table>";
  for (QAction* a : findChildren<QAction*>())
    if (!a->shortcut().isEmpty())
      t += QStringLiteral("<tr><td><b>%1</b></td><td>&nbsp;&nbsp;%2</td></tr>")
               .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                    a->text().remove('&').remove("...").toHtmlEscaped());
  return t + "</table>";
}

void MainWindow::restoreSettings() {
  QSettings st;
  if (st.contains("window/geometry")) restoreGeometry(st.value("window/geometry").toByteArray());
  if (st.contains("window/state")) restoreState(st.value("window/state").toByteArray());
  const int speed = st.value("speed", 0).toInt();
  if (speed >= 0 && speed < speed_->count()) speed_->setCurrentIndex(speed);
  stepCount_->setValue(st.value("stepCount", stepCount_->value()).toInt());
}

void MainWindow::saveSettings() const {
  QSettings st;
  st.setValue("window/geometry", saveGeometry());
  st.setValue("window/state", saveState());
  st.setValue("speed", speed_->currentIndex());
  st.setValue("stepCount", stepCount_->value());
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (persist_) saveSettings();
  QMainWindow::closeEvent(e);
}

void MainWindow::saveScreenshotDialog() {
  const QString f = QFileDialog::getSaveFileName(
      this, tr("Save screenshot"), QDir(userDataDir()).filePath("ransim-gui.png"), tr("PNG images (*.png)"));
  if (!f.isEmpty() && !grab().save(f)) showError(tr("could not write %1").arg(f));
}

void MainWindow::exportViewDialog() {
  QStringList names;
  std::vector<View*> views;
  for (auto& [d, v] : docks_)
    if (d->isVisible()) {
      names << d->windowTitle();
      views.push_back(v);
    }
  if (views.empty()) return;
  bool ok = false;
  const QString pick = QInputDialog::getItem(this, tr("Export view"), tr("View"), names, 0, false, &ok);
  if (!ok) return;
  View* v = views[static_cast<std::size_t>(names.indexOf(pick))];
  QDir().mkpath(userDataDir());
  const QString def =
      QDir(userDataDir()).filePath(QString(pick).replace(QRegularExpression("[^A-Za-z0-9]+"), "_"));
  QString filter = tr("PNG image (*.png)");
  const QString f =
      QFileDialog::getSaveFileName(this, tr("Export %1").arg(pick), def + ".png",
                                   tr("PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)"), &filter);
  if (f.isEmpty()) return;
  QString error;
  if (v->exportTo(f, &error)) log(tr("exported %1 to %2").arg(pick, f));
  else showError(error);
}

}  // namespace ransim::gui
