#pragma once
// The compare panel (issue 22, part 5; docs/gui.md, "Compare panel"): runs a compare config
// (docs/compare.md) or a sweep of one key of the open scenario with the study code of
// `ransim compare` (load_compare / load_scenario_sweep, run_compare, write_compare_outputs)
// on a thread of its own, with progress and cancel; shows the table (the CSV's columns) and
// the figures it writes, and overlays the readout output of chosen rows against the target.
//
// Outputs are written into a hidden staging folder next to PREFIX and moved into place only
// when every run is done: a cancelled comparison leaves no file behind, never a partial set
// that looks complete.
#include <QString>
#include <QStringList>
#include <QWidget>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTabWidget;
class QTemporaryDir;

namespace ransim {
struct CompareConfig;
struct CompareResult;
struct Scenario;
}  // namespace ransim

namespace ransim::gui {

class SimulationController;

// The readout output of one run against its target over its test tokens (lane 0, output 0).
struct RunTrace {
  QString name;
  std::vector<double> tokens, output, target;
};
// Runs the scenario and returns its trace; throws InputError for an episode task (no stream
// of tokens to draw).
RunTrace run_trace(const Scenario& sc, const QString& name, const std::atomic<int>* stop);

// Fields of one CSV line (RFC 4180 quoting, as compare_csv writes).
QStringList csv_fields(const QString& line);

class ComparePanel : public QWidget {
  Q_OBJECT

 public:
  explicit ComparePanel(SimulationController* ctrl, QWidget* parent = nullptr);
  ~ComparePanel() override;  // cancels and joins a running comparison

  // Loads a compare config (checks every run's scenario); false with the message shown.
  bool loadConfig(const QString& path, bool quick = false);
  // A sweep of `key` over `values` (a TOML array, e.g. "[50, 100]") of the open scenario.
  bool loadSweep(const QString& key, const QString& values);
  // Starts the loaded comparison; outputs go to PREFIX.* (outputPrefix()).
  bool start();
  void cancel();
  bool running() const { return worker_.joinable() && !finished_; }
  // Overlays the traces of the table's selected rows (their first seed), computed on the
  // panel's thread; tracesReady follows.
  bool overlaySelected();

  QString outputPrefix() const;
  void setOutputPrefix(const QString& prefix);
  QStringList written() const { return written_; }  // files of the last finished comparison
  QString statusText() const;
  QTableWidget* table() const { return table_; }
  QTabWidget* figures() const { return figures_; }
  const std::vector<RunTrace>& traces() const { return traces_; }
  std::size_t runCount() const;

 signals:
  void progressed(int done, int total);
  void finished(bool cancelled, const QString& message);
  void tracesReady();
  void message(const QString& text);

 private:
  void buildUi();
  void join();
  void showTable(const QString& csv);
  void showFigures(const QStringList& files);
  void showTraces();
  void done(std::shared_ptr<CompareResult> r, QStringList files, QString error, bool cancelled);

  SimulationController* ctrl_;
  std::shared_ptr<CompareConfig> cfg_;
  std::shared_ptr<CompareResult> result_;
  std::unique_ptr<QTemporaryDir> sweepDir_;
  std::thread worker_;
  std::atomic<int> stop_{0};
  bool finished_ = true;
  QStringList written_;
  std::vector<RunTrace> traces_;

  QLineEdit *configPath_, *sweepKey_, *sweepValues_, *prefix_;
  QPushButton *loadConfig_, *loadSweep_, *start_, *cancel_, *overlay_;
  QProgressBar* progress_;
  QLabel* status_;
  QTableWidget* table_;
  QTabWidget* figures_;
  QWidget* chart_;
};

}  // namespace ransim::gui
