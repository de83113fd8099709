#pragma once
// The scenario editor (issue 22, part 6; docs/gui.md, "Scenario editor"): the TOML of the
// scenario that runs, editable. Apply parses the text (with the scenario's --set overrides)
// and rebuilds the Session; a parse or scenario error highlights the line and column the
// InputError names and shows its message, and the previous Session keeps running. Save
// writes the text to a file and asks before replacing one that exists.
#include <QString>
#include <QWidget>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace ransim {
struct Scenario;
}

namespace ransim::gui {

class SimulationController;

// "file:line:col: ..." of an InputError: line and column (1-based), or {0, 0} when the
// message names none.
struct TextLocation {
  int line = 0, column = 0;
};
TextLocation error_location(const QString& message);

class ScenarioEditor : public QWidget {
  Q_OBJECT

 public:
  explicit ScenarioEditor(SimulationController* ctrl, QWidget* parent = nullptr);

  // Shows the scenario's text, unless the text being edited has changes not applied yet.
  void showScenario(const Scenario& sc);
  // Parses the text and rebuilds the Session; false (error shown and highlighted, the running
  // Session untouched) when the text does not give a valid scenario.
  bool apply();
  // Writes the text to `path`; a file that exists is replaced only when confirmOverwrite says so.
  bool saveTo(const QString& path);
  bool save();  // asks for a file (savePathChooser), then saveTo

  QPlainTextEdit* editor() const { return editor_; }
  QString errorMessage() const { return error_; }
  TextLocation errorLocation() const { return location_; }
  QString path() const { return path_; }
  // Dialog replacements (tests): the save path (empty: cancel) and the overwrite question.
  void setSavePathChooser(std::function<QString(const QString&)> f) { choosePath_ = std::move(f); }
  void setConfirmOverwrite(std::function<bool(const QString&)> f) { confirm_ = std::move(f); }

 signals:
  void applied(const QString& path);
  void applyFailed(const QString& message);
  void saved(const QString& path);

 private:
  void showError(const QString& message);
  SimulationController* ctrl_;
  QPlainTextEdit* editor_;
  QLabel* status_;
  QPushButton *apply_, *save_;
  QString path_, error_;
  TextLocation location_;
  std::function<QString(const QString&)> choosePath_;
  std::function<bool(const QString&)> confirm_;
};

}  // namespace ransim::gui
