#include "main_window.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTextCursor>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>

#include <cmath>
#include <memory>

#include "analysis_views.hpp"
#include "describe.hpp"
#include "parameter_model.hpp"
#include "pca_view.hpp"
#include "phase_view.hpp"
#include "ransim/error.hpp"
#include "recording.hpp"
#include "scenario/scenario.hpp"
#include "scenario_files.hpp"
#include "simulation_controller.hpp"
#include "study_panels.hpp"
#include "tasks/tasks.hpp"
#include "time_window.hpp"
#include "views.hpp"

#ifndef RANSIM_SOURCE_DIR
#define RANSIM_SOURCE_DIR ""
#endif

namespace ransim::gui {

namespace {

QIcon recordIcon() {
  QPixmap pm(32, 32);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(QPen(QColor(150, 30, 20), 2));
  p.setBrush(QColor(215, 50, 35));
  p.drawEllipse(QRectF(6, 6, 20, 20));
  return QIcon(pm);
}

QString tokens_per_second(double r) {
  if (r <= 0) return QString();
  return QLocale(QLocale::English).toString(r, 'f', r < 100 ? 1 : 0) + " tokens/s";
}
}  // namespace

MainWindow::MainWindow(QWidget* parent, bool persistent)
    : QMainWindow(parent), history_(600), persist_(persistent) {
  setWindowTitle("ransim");
  setObjectName("ransim-main-window");
  setDockNestingEnabled(true);
  ctrl_ = new SimulationController(this);

  // A hidden central widget: the views are all docks and share the whole window.
  auto* central = new QWidget;
  setCentralWidget(central);
  central->hide();

  buildDocks();
  install_study_panels(*this);  // readout settings, compare, scenario editor (before the View menu)
  // The panels tabbed behind Parameters take the left column's height: give the network graph
  // (its unit cells) its share back once they are laid out, unless a saved layout is restored.
  if (!persistent || !QSettings().contains("window/state"))
    QTimer::singleShot(0, this, [this] {
      resizeDocks({dock("dock-network"), dock("dock-parameters"), dock("dock-messages")}, {400, 330, 160},
                  Qt::Vertical);
    });
  buildActions();

  stateLabel_ = new QLabel;
  tokenLabel_ = new QLabel;
  rateLabel_ = new QLabel;
  recLabel_ = new QLabel;
  statusBar()->addWidget(stateLabel_);
  statusBar()->addWidget(tokenLabel_);
  statusBar()->addWidget(rateLabel_);
  statusBar()->addPermanentWidget(recLabel_);

  connect(ctrl_, &SimulationController::sessionReady, this, [this] {
    setNetwork(ctrl_->network());
    if (!pending_recent_.isEmpty()) addRecent(std::exchange(pending_recent_, QString()));
    log(tr("built %1: %2 population%3, %4 tokens")
            .arg(QString::fromStdString(net_->source))
            .arg(net_->populations.size())
            .arg(net_->populations.size() == 1 ? "" : "s")
            .arg(net_->total_tokens));
  });
  connect(ctrl_, &SimulationController::stateChanged, this, [this](SimulationController::State st) {
    updateControls();
    updateStatus();
    if (st == SimulationController::State::Failed) {  // the Session was not built: nothing to show
      pending_recent_.clear();
      setNetwork(nullptr);
    }
    params_->setEditable(
        !replaying() && st != SimulationController::State::Done,
        replaying() ? tr("a recording is replayed") : tr("the run has ended (Reset to run again)"));
    // Paused, done or stopped: the whole history at once (the views may have skipped frames).
    if (st != SimulationController::State::Running) {
      next_refresh_ms_ = 0;
      pullFrames();
    }
  });
  connect(ctrl_, &SimulationController::progress, this, [this](qulonglong, qulonglong, double r) {
    rate_ = r;
    updateStatus();
  });
  connect(ctrl_, &SimulationController::errorOccurred, this, [this](const QString& m) { showError(m); });
  connect(ctrl_, &SimulationController::finished, this,
          [this](const QString& status, const QString& message, const QString& metrics) {
            QString text = tr("run ended: %1").arg(status);
            if (!message.isEmpty()) text += " - " + message;
            if (!metrics.trimmed().isEmpty()) text += "\n" + metrics.trimmed();
            log(text);
            if (status != "complete") showError(tr("The run stopped (%1): %2").arg(status, message));
            pullFrames();
          });
  connect(ctrl_, &SimulationController::parameterResult, this,
          [this](const QString& pop, const QString& name, bool ok, const QString& msg, qulonglong token) {
            params_->setResult(pop, name, ok, msg, token);
            const QString text = ok ? tr("%1.%2 changed after token %3").arg(pop, name).arg(token)
                                    : tr("%1.%2 refused: %3").arg(pop, name, msg);
            log(text);
            if (!ok) statusBar()->showMessage(text, 10000);
          });
  connect(ctrl_, &SimulationController::recordingChanged, this, [this](bool on, const QString& path) {
    QSignalBlocker b(record_);
    record_->setChecked(on);
    recLabel_->setText(
        on ? tr("<span style='color:#c0392b'>&#9679; recording</span> %1").arg(QFileInfo(path).fileName())
           : QString());
    if (on) log(tr("recording to %1").arg(path));
    else if (!path.isEmpty()) log(tr("recording stopped: %1").arg(path));
  });
  connect(params_, &ParameterModel::editRefused, this, [this](const QString& why) {
    log(why);
    statusBar()->showMessage(why, 10000);
  });
  connect(
      params_, &ParameterModel::editRequested, this,
      [this](const QString& pop, const QString& name, const Value& v) { ctrl_->setParameter(pop, name, v); });
  connect(readout_, &ReadoutView::learningToggled, ctrl_, &SimulationController::setLearning);
  connect(ctrl_, &SimulationController::learningResult, this,
          [this](bool on, bool ok, const QString& msg, qulonglong token) {
            if (!ok) readout_->setLearning(!on);  // the box shows what the session does
            const QString text =
                ok ? tr("readout learning %1 after token %2").arg(on ? tr("on") : tr("off")).arg(token)
                   : tr("readout learning refused: %1").arg(msg);
            log(text);
            if (!ok) statusBar()->showMessage(text, 10000);
          });

  timer_ = new QTimer(this);
  timer_->setInterval(33);  // ~30 Hz: the screen rate the views need, no more
  connect(timer_, &QTimer::timeout, this, &MainWindow::pullFrames);
  timer_->start();

  for (auto& [d, v] : docks_) v->attach(&history_, &tokens_);
  setNetwork(nullptr);
  updateControls();
  updateStatus();
  resize(1500, 950);
  if (persist_) restoreSettings();
}

MainWindow::~MainWindow() = default;

QDockWidget* MainWindow::dock(const QString& name) const { return findChild<QDockWidget*>(name); }

void MainWindow::buildDocks() {
  traces_ = new TracesView;
  heatmap_ = new ActivityHeatmapView;
  readout_ = new ReadoutView;
  graph_ = new NetworkView;
  params_ = new ParameterModel(this);
  panel_ = new ParameterPanel(params_);
  messages_ = new QPlainTextEdit;
  messages_->setReadOnly(true);
  messages_->setMaximumBlockCount(2000);
  // At the newest entry, Messages stays there when its height or content changes (a resized
  // dock, the banner); scrolled up by the user, it stays where it was put.
  {
    QScrollBar* bar = messages_->verticalScrollBar();
    auto at_end = std::make_shared<bool>(true);
    connect(bar, &QScrollBar::valueChanged, this, [bar, at_end](int v) { *at_end = v >= bar->maximum(); });
    connect(bar, &QScrollBar::rangeChanged, this, [bar, at_end](int, int max) {
      if (*at_end) bar->setValue(max);
    });
  }

  auto make = [this](const QString& title, const QString& name, QWidget* w) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    d->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                   QDockWidget::DockWidgetFloatable);
    return d;
  };
  QDockWidget* dNet = make(tr("Network"), "dock-network", graph_);
  QDockWidget* dPar = make(tr("Parameters"), "dock-parameters", panel_);
  QDockWidget* dTr = make(tr("Activity traces"), "dock-traces", traces_);
  QDockWidget* dHm = make(tr("Activity heatmap"), "dock-heatmap", heatmap_);
  QDockWidget* dRo = make(tr("Readout"), "dock-readout", readout_);
  QDockWidget* dMsg = make(tr("Messages"), "dock-messages", messages_);
  entropy_ = new EntropyView;
  QDockWidget* dEnt = make(tr("Attention entropy"), "dock-entropy", entropy_);
  phase_ = new PhaseView;
  QDockWidget* dPh = make(tr("Phase plot"), "dock-phase", phase_);
  pca_ = new PcaView;
  QDockWidget* dPca = make(tr("PCA"), "dock-pca", pca_);
  docks_ = {{dTr, traces_},   {dHm, heatmap_}, {dRo, readout_}, {dNet, graph_},
            {dEnt, entropy_}, {dPh, phase_},   {dPca, pca_}};
  readoutDock_ = dRo;
  // Zoom / pan on time and the time slider, shared by every view (time_window.hpp).
  timeWindow_ = new TimeWindow(this);
  timeBar_ = new TimeBar(timeWindow_);
  auto* timeTools = new QToolBar(tr("Time"));
  timeTools->setObjectName("toolbar-time");
  timeTools->addWidget(timeBar_);
  addToolBar(Qt::BottomToolBarArea, timeTools);
  for (auto& [d, v] : docks_) v->setTimeWindow(timeWindow_);
  connect(timeWindow_, &TimeWindow::changed, this, &MainWindow::refreshViews);
  keepTabTitlesWhole(this);

  // Left column: network and parameters; middle: traces over the heatmap; right: the map
  // views the networks declare (added by addMapViews) over the readout; messages under the
  // left column.
  addDockWidget(Qt::LeftDockWidgetArea, dNet);
  splitDockWidget(dNet, dTr, Qt::Horizontal);
  splitDockWidget(dTr, dRo, Qt::Horizontal);
  splitDockWidget(dNet, dPar, Qt::Vertical);
  splitDockWidget(dPar, dMsg, Qt::Vertical);
  splitDockWidget(dTr, dHm, Qt::Vertical);
  resizeDocks({dNet, dTr, dRo}, {430, 620, 470}, Qt::Horizontal);
  resizeDocks({dNet, dPar, dMsg}, {330, 330, 160}, Qt::Vertical);
  resizeDocks({dTr, dHm}, {420, 420}, Qt::Vertical);
  tabifyDockWidget(dRo, dEnt);  // behind the readout until chosen
  tabifyDockWidget(dRo, dPh);
  tabifyDockWidget(dRo, dPca);
  dRo->raise();
  for (auto& [d, v] : docks_) watchVisibility(d, v);
}

void MainWindow::watchVisibility(QDockWidget* d, View* v) {
  connect(d, &QDockWidget::visibilityChanged, this, [v](bool on) {
    if (on) v->refresh();
  });
}

MapView* MainWindow::map(const std::string& variable) const {
  for (MapView* m : maps_)
    if (m->variable() == variable) return m;
  return nullptr;
}

// One map view per variable name that some population shows as a map, made the first time
// a network has it and kept (hidden when a later network has none): docks are not rebuilt.
void MainWindow::addMapViews(const NetworkDesc& net) {
  // A dock split off one that is tabbed becomes another tab (QMainWindow::splitDockWidget): the
  // views tabbed behind the readout leave while the maps are put above it, and come back.
  struct Tabbed {
    QDockWidget* dock;
    bool hidden;
  };
  std::vector<Tabbed> tabbed;
  for (QDockWidget* d : tabifiedDockWidgets(readoutDock_)) tabbed.push_back({d, d->isHidden()});
  const bool needs_maps = std::any_of(net.populations.begin(), net.populations.end(), [&](auto& p) {
    return std::any_of(p.variables.begin(), p.variables.end(),
                       [&](auto& v) { return view_of(p, v) == ViewKind::Map && !map(v.name); });
  });
  if (needs_maps)
    for (const Tabbed& t : tabbed) removeDockWidget(t.dock);
  bool added = false;
  for (const PopulationDesc& p : net.populations)
    for (const VariableDesc& v : p.variables) {
      if (view_of(p, v) != ViewKind::Map || map(v.name)) continue;
      auto* view = new MapView(v.name);
      auto* d = new QDockWidget(tr("Map: %1").arg(QString::fromStdString(v.name)), this);
      d->setObjectName(QString::fromStdString("dock-map-" + v.name));
      d->setWidget(view);
      d->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                     QDockWidget::DockWidgetFloatable);
      // Maps stack in the right column above the readout.
      if (maps_.empty()) {
        splitDockWidget(readoutDock_, d, Qt::Vertical);
        splitDockWidget(d, readoutDock_, Qt::Vertical);
      } else {
        const QString above = QString::fromStdString("dock-map-" + maps_.back()->variable());
        splitDockWidget(dock(above), d, Qt::Vertical);
      }
      view->attach(&history_, &tokens_);
      view->setTimeWindow(timeWindow_);
      docks_.emplace_back(d, view);
      maps_.push_back(view);
      watchVisibility(d, view);
      viewMenu_->addAction(d->toggleViewAction());
      added = true;
    }
  if (!added) return;
  for (const Tabbed& t : tabbed) {
    tabifyDockWidget(readoutDock_, t.dock);
    t.dock->setVisible(!t.hidden);
  }
  readoutDock_->raise();
  // The right column: the maps share it with the readout, each about as tall as the readout.
  QList<QDockWidget*> column;
  QList<int> heights;
  for (MapView* m : maps_) {
    column.append(dock(QString::fromStdString("dock-map-" + m->variable())));
    heights.append(300);
  }
  column.append(readoutDock_);
  heights.append(300);
  // After the new docks are laid out: sizes given before that are ignored.
  QTimer::singleShot(0, this, [this, column, heights] { resizeDocks(column, heights, Qt::Vertical); });
}

void MainWindow::buildActions() {
  QStyle* st = style();
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(st->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open scenario..."));
  open->setShortcut(QKeySequence::Open);
  connect(open, &QAction::triggered, this, [this] {
    QString dir = scenario_path_.isEmpty()
                      ? (scenarioDirs().isEmpty() ? QDir::currentPath() : scenarioDirs().first())
                      : QFileInfo(scenario_path_).absolutePath();
    const QString f =
        QFileDialog::getOpenFileName(this, tr("Open scenario"), dir, tr("Scenarios (*.toml);;All files (*)"));
    if (!f.isEmpty()) openScenario(f);
  });
  QAction* openRec = file->addAction(tr("Open &recording..."));
  openRec->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
  connect(openRec, &QAction::triggered, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Open recording"), QDir::currentPath(),
                                                   tr("Recordings (*.h5 *.hdf5);;All files (*)"));
    if (!f.isEmpty()) openRecording(f);
  });
  recentMenu_ = file->addMenu(tr("Recent files"));
  bundledMenu_ = file->addMenu(tr("Bundled scenarios"));
  file->addSeparator();
  QAction* shot = file->addAction(tr("Save &screenshot..."));
  connect(shot, &QAction::triggered, this, &MainWindow::saveScreenshotDialog);
  QAction* exp = file->addAction(tr("&Export view..."));
  exp->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  connect(exp, &QAction::triggered, this, &MainWindow::exportViewDialog);
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"));
  quit->setShortcut(QKeySequence::Quit);
  connect(quit, &QAction::triggered, this, &QWidget::close);
  updateRecentMenu();
  updateBundledMenu();

  QMenu* sim = menuBar()->addMenu(tr("&Simulation"));
  run_ = sim->addAction(st->standardIcon(QStyle::SP_MediaPlay), tr("&Run"));
  run_->setShortcut(Qt::Key_F5);
  pause_ = sim->addAction(st->standardIcon(QStyle::SP_MediaPause), tr("&Pause"));
  pause_->setShortcut(Qt::Key_F6);
  step_ = sim->addAction(st->standardIcon(QStyle::SP_MediaSeekForward), tr("&Step one token"));
  step_->setShortcut(Qt::Key_F10);
  stepN_ = sim->addAction(st->standardIcon(QStyle::SP_MediaSkipForward), tr("Step &N tokens"));
  stepN_->setShortcut(Qt::Key_F11);
  reset_ = sim->addAction(st->standardIcon(QStyle::SP_BrowserReload), tr("R&eset"));
  reset_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  sim->addSeparator();
  record_ = sim->addAction(recordIcon(), tr("Record to &HDF5"));
  record_->setCheckable(true);
  record_->setShortcut(Qt::Key_F8);
  record_->setIconText(tr("Record"));
  connect(run_, &QAction::triggered, ctrl_, &SimulationController::run);
  connect(pause_, &QAction::triggered, ctrl_, &SimulationController::pause);
  connect(step_, &QAction::triggered, this, [this] { ctrl_->step(1); });
  connect(stepN_, &QAction::triggered, this,
          [this] { ctrl_->step(static_cast<std::size_t>(stepCount_->value())); });
  connect(reset_, &QAction::triggered, this, [this] {
    if (replaying()) closeRecording();
    ctrl_->reset();
  });
  connect(record_, &QAction::toggled, this, &MainWindow::chooseRecording);

  viewMenu_ = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* d : findChildren<QDockWidget*>()) viewMenu_->addAction(d->toggleViewAction());
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  connect(help->addAction(tr("&Keyboard shortcuts")), &QAction::triggered, this, [this] {
    QMessageBox box(QMessageBox::NoIcon, tr("Keyboard shortcuts"), shortcutsText(), QMessageBox::Close, this);
    box.setTextFormat(Qt::RichText);
    box.exec();
  });
  connect(help->addAction(tr("&About ransim-gui")), &QAction::triggered, this, [this] {
    QMessageBox::about(this, tr("About ransim-gui"),
                       tr("<b>ransim-gui</b><br>The Qt front end of ransim, a continuous-time simulator of "
                          "recurrent attention networks.<br>See docs/gui.md."));
  });

  QToolBar* tb = addToolBar(tr("Controls"));
  controls_ = tb;
  tb->setObjectName("toolbar-controls");
  tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  tb->addAction(open);
  tb->addSeparator();
  tb->addAction(run_);
  tb->addAction(pause_);
  tb->addAction(step_);
  tb->addAction(stepN_);
  stepCount_ = new QSpinBox;
  stepCount_->setRange(1, 100000000);
  stepCount_->setValue(100);
  stepCount_->setToolTip(tr("N for Step N tokens"));
  stepCount_->setSuffix(tr(" tokens"));
  tb->addWidget(stepCount_);
  tb->addAction(reset_);
  tb->addSeparator();
  tb->addWidget(new QLabel(tr(" Speed ")));
  speed_ = new QComboBox;
  speed_->addItem(tr("as fast as possible"), 0.0);
  for (double f : {0.1, 1.0, 10.0, 100.0, 1000.0})
    speed_->addItem(f == 1.0 ? tr("real time (x1)") : tr("x%1 real time").arg(f), f);
  speed_->setToolTip(tr("Simulated seconds per wall-clock second (relative to the token period)"));
  connect(speed_, &QComboBox::currentIndexChanged, this,
          [this](int i) { ctrl_->setSpeed(speed_->itemData(i).toDouble()); });
  tb->addWidget(speed_);
  tb->addSeparator();
  tb->addAction(record_);
  if (auto* b = qobject_cast<QToolButton*>(tb->widgetForAction(record_))) b->setCheckable(true);
  // Icons alone for the actions whose icon says it, so that the bar fits 1024 pixels (D11);
  // every tooltip names the action and its shortcut (D13).
  for (QAction* a : {open, step_, stepN_, reset_})
    if (auto* b = qobject_cast<QToolButton*>(tb->widgetForAction(a)))
      b->setToolButtonStyle(Qt::ToolButtonIconOnly);
  for (QMenu* m : {file, sim})
    for (QAction* a : m->actions())
      if (!a->isSeparator() && !a->menu()) {
        QString text = a->text().remove('&').remove("...");
        if (!a->shortcut().isEmpty())
          text += QStringLiteral(" (%1)").arg(a->shortcut().toString(QKeySequence::NativeText));
        a->setToolTip(text);
      }
  stepCount_->setToolTip(
      tr("N for Step N tokens (%1)").arg(stepN_->shortcut().toString(QKeySequence::NativeText)));
  speed_->setItemText(0, tr("max speed"));
  speed_->setToolTip(
      tr("Speed: simulated seconds per wall-clock second (relative to the token period); "
         "max speed: as fast as possible"));

  // Replay bar: a slider over the recorded tokens.
  replayBar_ = new QToolBar(tr("Replay"));
  replayBar_->setObjectName("toolbar-replay");
  addToolBarBreak();
  addToolBar(replayBar_);
  replayLabel_ = new QLabel;
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setMinimumWidth(400);
  replayBar_->addWidget(new QLabel(tr(" Replay ")));
  replayBar_->addWidget(slider_);
  replayBar_->addWidget(replayLabel_);
  closeReplay_ = replayBar_->addAction(tr("Back to live"));
  connect(closeReplay_, &QAction::triggered, this, &MainWindow::closeRecording);
  connect(slider_, &QSlider::valueChanged, this, &MainWindow::seek);
  replayBar_->hide();

  // Error banner: the text of the last error, until dismissed.
  errorBar_ = new QToolBar(tr("Errors"));
  errorBar_->setObjectName("toolbar-errors");
  errorBar_->setMovable(false);
  addToolBarBreak();
  addToolBar(errorBar_);
  errorLabel_ = new QLabel;
  errorLabel_->setWordWrap(true);
  errorLabel_->setTextFormat(Qt::PlainText);
  errorLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  errorLabel_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  errorLabel_->setStyleSheet(
      "QLabel { background: #fdecea; color: #8a1c12; border: 1px solid #e6a39a; "
      "padding: 6px; font-family: monospace; }");
  errorBar_->addWidget(errorLabel_);
  connect(errorBar_->addAction(st->standardIcon(QStyle::SP_DialogCloseButton), tr("Dismiss")),
          &QAction::triggered, this, &MainWindow::clearError);
  errorBar_->hide();
}

bool MainWindow::openScenario(const QString& path, const QStringList& sets) {
  std::vector<std::string> s;
  for (const QString& x : sets) s.push_back(x.toStdString());
  // A file that fails to open leaves nothing behind: the old network is closed, so that
  // what the views show is never mistaken for the file just asked for (D16).
  auto fail = [this](const QString& why) {
    if (replaying()) closeRecording();
    ctrl_->close();
    scenario_path_.clear();
    setNetwork(nullptr);
    setWindowTitle(tr("ransim"));
    showError(why);
    return false;
  };
  if (looks_binary(path.toStdString()))
    return fail(tr("%1: not a TOML scenario (the file holds binary data)").arg(path));
  Scenario sc;
  try {
    sc = load_scenario(path.toStdString(), s);
  } catch (const std::exception& e) {
    const ScenarioFileInfo info = classify_scenario_file(path.toStdString());
    if (info.kind == ScenarioFileKind::Compare && offer_compare_panel(*this, path))
      return fail(QString::fromStdString(info.message) + tr("; it is open in the Compare panel"));
    return fail(QString::fromStdString(info.kind == ScenarioFileKind::Compare ? info.message : e.what()));
  }
  if (find_task(sc.task_kind)->episodic()) {
    return fail(tr("%1: task '%2' runs in episodes; `ransim run` and `ransim compare` run it, the GUI steps "
                   "stream tasks (docs/tasks.md)")
                    .arg(path, QString::fromStdString(sc.task_kind)));
  }
  if (replaying()) closeRecording();
  clearError();
  sets_ = sets;
  scenario_path_ = path;
  pending_recent_ = path;  // enters Recent files once its Session is built
  setWindowTitle(tr("ransim - %1").arg(QFileInfo(path).fileName()));
  log(tr("opened %1").arg(path));
  ctrl_->setScenario(sc);
  return true;
}

bool MainWindow::openRecording(const QString& path) {
  std::unique_ptr<Recording> rec;
  try {
    rec = std::make_unique<Recording>(path.toStdString(), ++replay_session_);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
  if (rec->size() == 0) {
    showError(tr("%1: the recording holds no samples").arg(path));
    return false;
  }
  ctrl_->pause();
  clearError();
  for (auto& n : rec->notes()) log(QString::fromStdString(n));
  recording_ = std::move(rec);
  addRecent(path);
  setWindowTitle(tr("ransim - replay %1").arg(QFileInfo(path).fileName()));
  log(tr("replaying %1: %2 tokens (%3)")
          .arg(path)
          .arg(recording_->size())
          .arg(QString::fromStdString(recording_->complete() ? "complete" : recording_->status())));
  setNetwork(std::make_shared<const NetworkDesc>(recording_->network()));
  replayBar_->show();
  {
    QSignalBlocker b(slider_);
    slider_->setRange(0, static_cast<int>(recording_->size()) - 1);
    slider_->setValue(static_cast<int>(recording_->size()) - 1);
  }
  seek(slider_->value());
  updateControls();
  return true;
}

void MainWindow::closeRecording() {
  if (!recording_) return;
  recording_.reset();
  replayBar_->hide();
  setWindowTitle(scenario_path_.isEmpty() ? tr("ransim")
                                          : tr("ransim - %1").arg(QFileInfo(scenario_path_).fileName()));
  setNetwork(ctrl_->network());
  updateControls();
}

void MainWindow::seek(int index) {
  if (!recording_ || index < 0 || static_cast<std::size_t>(index) >= recording_->size()) return;
  const NetworkDesc& net = recording_->network();
  history_.reset(net.session);
  tokens_.reset(net.session, values_per_token(net));
  const std::size_t end = static_cast<std::size_t>(index) + 1;
  const std::size_t begin = end > history_.capacity() ? end - history_.capacity() : 0;
  const std::size_t first = end > tokens_.token_capacity() ? end - tokens_.token_capacity() : 0;
  for (std::size_t i = first; i < end; ++i) {
    auto f = std::make_shared<const Frame>(recording_->frame(i));
    tokens_.append(*f);
    if (i >= begin) history_.append(std::move(f));
  }
  const FramePtr f = history_.latest();
  replayLabel_->setText(tr(" token %1 of %2 (t = %3 s) ")
                            .arg(f->token)
                            .arg(recording_->first_token() + recording_->size() - 1)
                            .arg(f->time));
  refreshViews();
  updateStatus();
}

void MainWindow::setNetwork(std::shared_ptr<const NetworkDesc> net) {
  net_ = std::move(net);
  const NetworkDesc* n = net_.get();
  history_.reset(n ? n->session : 0);
  tokens_.reset(n ? n->session : 0, n ? values_per_token(*n) : 1);
  if (n) addMapViews(*n);
  timeWindow_->reset();
  for (auto& [d, v] : docks_) v->setNetwork(n);
  params_->setNetwork(n);
  params_->setEditable(!replaying(), tr("a recording is replayed"));
  // Show the map views only when the network has such populations.
  if (n) {
    for (MapView* m : maps_)
      dock(QString::fromStdString("dock-map-" + m->variable()))->setVisible(m->applicable());
    dock("dock-readout")->setVisible(true);
  }
  if (n && !replaying()) {
    takeTokenChunks();
    const auto frames = ctrl_->frames().since(0);
    history_.append(frames);
    if (!frames.empty()) last_seq_ = std::max(last_seq_, frames.back()->seq);
  }
  refreshViews();
  updateStatus();
}

void MainWindow::pullFrames() {
  if (replaying()) return;
  // Token rows first: each chunk is in the channel before the frame showing its last token.
  takeTokenChunks();
  const auto frames = ctrl_->frames().since(last_seq_);
  if (!frames.empty()) {
    last_seq_ = frames.back()->seq;
    if (history_.append(frames) > 0) stale_ = true;
  }
  if (!stale_) return;
  // While running, the views take at most about a twentieth of the time, so that on a shared
  // machine the simulation keeps its pace; paused or done, everything is drawn at once.
  const bool running = ctrl_->state() == SimulationController::State::Running;
  if (running && QDateTime::currentMSecsSinceEpoch() < next_refresh_ms_) return;
  QElapsedTimer t;
  t.start();
  refreshViews();
  updateStatus();
  stale_ = false;
  next_refresh_ms_ = QDateTime::currentMSecsSinceEpoch() + 19 * t.elapsed();
}

void MainWindow::takeTokenChunks() {
  // Chunks of a session whose sessionReady has not arrived yet wait for it (its first rows
  // are published before the signal).
  std::vector<TokenChunkPtr> chunks = std::exchange(early_chunks_, {});
  for (auto& c : ctrl_->tokens().take()) chunks.push_back(std::move(c));
  for (auto& c : chunks) {
    if (c->session == tokens_.session()) tokens_.append(*c);
    else if (c->session > tokens_.session() && !replaying()) early_chunks_.push_back(std::move(c));
  }
}

void MainWindow::refreshViews() {
  for (auto& [d, v] : docks_)
    if (d->isVisible() || !isVisible()) v->refresh();
  timeBar_->sync(tokens_);
}

int MainWindow::refreshInterval() const { return timer_->interval(); }
void MainWindow::setRefreshInterval(int ms) { timer_->setInterval(ms); }

void MainWindow::updateControls() {
  using S = SimulationController::State;
  const S s = ctrl_->state();
  const bool live = !replaying();
  const bool ready = live && (s == S::Paused || s == S::Running);
  run_->setEnabled(ready && s != S::Running);
  pause_->setEnabled(live && s == S::Running);
  step_->setEnabled(ready);
  stepN_->setEnabled(ready);
  reset_->setEnabled(ctrl_->hasScenario());
  record_->setEnabled(live && (s == S::Paused || s == S::Running));
}

void MainWindow::updateStatus() {
  if (replaying()) {
    stateLabel_->setText(tr("replay"));
    rateLabel_->clear();
    const FramePtr f = history_.latest();
    tokenLabel_->setText(f ? tr("token %1").arg(f->token) : QString());
    return;
  }
  stateLabel_->setText(QString::fromUtf8(state_name(ctrl_->state())));
  if (net_) {
    tokenLabel_->setText(tr("token %1 / %2  (t = %3 s)")
                             .arg(ctrl_->token())
                             .arg(net_->total_tokens)
                             .arg(static_cast<double>(ctrl_->token()) * net_->token_period));
  } else {
    tokenLabel_->clear();
  }
  rateLabel_->setText(ctrl_->state() == SimulationController::State::Running ? tokens_per_second(rate_)
                                                                             : QString());
}

void MainWindow::showError(const QString& text) {
  // One error at a time: the banner shows the current one, Messages keeps them all.
  errorLabel_->setText(text);
  errorBar_->show();
  log(tr("error: %1").arg(text));
  statusBar()->showMessage(text.section('\n', 0, 0), 10000);
}

void MainWindow::clearError() {
  errorLabel_->clear();
  errorBar_->hide();
}

QString MainWindow::errorText() const { return errorBar_->isHidden() ? QString() : errorLabel_->text(); }

void MainWindow::log(const QString& text) {
  messages_->appendPlainText(QTime::currentTime().toString("HH:mm:ss  ") + text);
  // Follow the newest entry, also when the banner or a resize changed the panel's height.
  messages_->moveCursor(QTextCursor::End);
  messages_->ensureCursorVisible();
  if (QScrollBar* bar = messages_->verticalScrollBar()) bar->setValue(bar->maximum());
}

QString MainWindow::logText() const { return messages_->toPlainText(); }

}  // namespace ransim::gui
