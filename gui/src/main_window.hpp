#pragma once
// The main window: menus, the control toolbar, the dockable views, the error banner and
// the status bar, over one SimulationController (live) or one Recording (replay).
// Threading: GUI thread. Frames are pulled from the controller's FrameRing by a timer
// (refreshInterval(), ~30 Hz); the simulation never waits for the window.
#include <QMainWindow>
#include <QStringList>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frame.hpp"
#include "token_history.hpp"
#include "view_data.hpp"

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QSlider;
class QSpinBox;
class QTimer;
class QToolBar;

namespace ransim::gui {

class SimulationController;
class Recording;
class TracesView;
class ActivityHeatmapView;
class MapView;
class ReadoutView;
class EntropyView;
class NetworkView;
class PhaseView;
class PcaView;
class TimeBar;
class TimeWindow;
class ParameterModel;
class ParameterPanel;
class View;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // persistent: restore the settings below at start and save them on close.
  explicit MainWindow(QWidget* parent = nullptr, bool persistent = true);
  // Window geometry, dock layout, speed and step count: restored at start, saved on close
  // (QSettings). The --screenshot and --benchmark modes neither read nor write them.
  void restoreSettings();
  void saveSettings() const;
  // The default folder of files the GUI writes (recordings, screenshots, exports): a
  // "ransim" folder in the user's documents, never the source tree.
  static QString userDataDir();
  // The shortcut list of Help > Keyboard shortcuts (HTML table).
  QString shortcutsText() const;
  // Replaces the Record file dialog (tests): given the suggested path, returns the chosen
  // one, empty to cancel.
  void setRecordPathChooser(std::function<QString(const QString&)> f) { record_chooser_ = std::move(f); }
  QAction* recordAction() const { return record_; }
  QToolBar* controlsBar() const { return controls_; }
  QComboBox* speedBox() const { return speed_; }
  QSpinBox* stepCountBox() const { return stepCount_; }
  QMenu* bundledMenu() const { return bundledMenu_; }
  ~MainWindow() override;

  // Loads and validates the scenario here (errors are shown in the window and false is
  // returned), then builds its Session on the simulation thread.
  bool openScenario(const QString& path, const QStringList& sets = {});
  // Replays a recording in the same views; the time slider scrubs through it.
  bool openRecording(const QString& path);
  void closeRecording();  // back to the live simulation
  bool replaying() const { return recording_ != nullptr; }
  void seek(int index);  // replay: show the history up to recorded frame `index`

  void showError(const QString& text);
  void clearError();
  QString errorText() const;
  void log(const QString& text);
  QString logText() const;

  // Pulls new frames and refreshes the visible views (the timer calls it).
  void pullFrames();
  void refreshViews();
  int refreshInterval() const;
  void setRefreshInterval(int ms);

  SimulationController* controller() const { return ctrl_; }
  FrameHistory& history() { return history_; }
  const TokenHistory& tokenHistory() const { return tokens_; }
  TracesView* traces() const { return traces_; }
  ActivityHeatmapView* heatmap() const { return heatmap_; }
  // The map view of a variable (e.g. "attention"), made when a network first shows it as a
  // map; nullptr until then.
  MapView* map(const std::string& variable) const;
  const std::vector<MapView*>& maps() const { return maps_; }
  ReadoutView* readout() const { return readout_; }
  EntropyView* entropy() const { return entropy_; }
  PhaseView* phase() const { return phase_; }
  PcaView* pca() const { return pca_; }
  // Zoom / pan on time and the time slider over the history the views share.
  TimeWindow* timeWindow() const { return timeWindow_; }
  TimeBar* timeBar() const { return timeBar_; }
  NetworkView* graph() const { return graph_; }
  ParameterModel* parameters() const { return params_; }
  QDockWidget* dock(const QString& objectName) const;
  QSlider* timeSlider() const { return slider_; }
  std::shared_ptr<const NetworkDesc> network() const { return net_; }

  // Bundled scenarios: <exe>/../../scenarios (build tree), <exe>/../share/ransim/scenarios
  // (installed), RANSIM_SOURCE_DIR/scenarios (compile-time fallback).
  static QStringList scenarioDirs();
  static QStringList bundledScenarios();
  QStringList recentFiles() const;

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  void buildActions();
  void buildDocks();
  void addMapViews(const NetworkDesc& net);
  void watchVisibility(QDockWidget* d, View* v);
  void addRecent(const QString& path);
  void updateRecentMenu();
  void updateBundledMenu();
  void setNetwork(std::shared_ptr<const NetworkDesc> net);
  void takeTokenChunks();
  void updateControls();
  void updateStatus();
  void chooseRecording(bool on);
  void saveScreenshotDialog();
  void exportViewDialog();

  SimulationController* ctrl_;
  FrameHistory history_;
  TokenHistory tokens_;
  qint64 next_refresh_ms_ = 0;
  bool stale_ = false;
  std::vector<TokenChunkPtr>
      early_chunks_;  // of a session not shown yet (takeTokenChunks)  // frames arrived that the views have
                      // not drawn yet  // while running, the views refresh no earlier (refreshViews)
  std::shared_ptr<const NetworkDesc> net_;
  std::unique_ptr<Recording> recording_;
  std::uint64_t last_seq_ = 0, replay_session_ = 1ull << 62;
  QTimer* timer_;
  QStringList sets_;
  QString scenario_path_;
  QString pending_recent_;
  bool persist_ = true;
  std::function<QString(const QString&)> record_chooser_;
  QToolBar* controls_ = nullptr;  // the scenario whose Session is being built

  TracesView* traces_;
  ActivityHeatmapView* heatmap_;
  std::vector<MapView*> maps_;
  QDockWidget* readoutDock_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  ReadoutView* readout_;
  EntropyView* entropy_ = nullptr;
  PhaseView* phase_ = nullptr;
  PcaView* pca_ = nullptr;
  TimeWindow* timeWindow_ = nullptr;
  TimeBar* timeBar_ = nullptr;
  NetworkView* graph_;
  ParameterModel* params_;
  ParameterPanel* panel_;
  QPlainTextEdit* messages_;
  std::vector<std::pair<QDockWidget*, View*>> docks_;

  QAction *run_, *pause_, *step_, *stepN_, *reset_, *record_, *closeReplay_;
  QSpinBox* stepCount_;
  QComboBox* speed_;
  QMenu *recentMenu_, *bundledMenu_;
  QToolBar *errorBar_, *replayBar_;
  QLabel *errorLabel_, *stateLabel_, *tokenLabel_, *rateLabel_, *recLabel_, *replayLabel_;
  QSlider* slider_;
  double rate_ = 0;
};

}  // namespace ransim::gui
