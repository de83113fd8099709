#pragma once
// The readout panel (issue 22, part 4; docs/gui.md, "Readout panel"): the ridge (a value, or
// chosen on the validation tokens as readout.ridge = "auto" does), the token windows
// (warm-up, train, validation, test) and Retrain. Retrain applies them as `--set` overrides
// to the scenario that runs (the scenario parser validates them, so a bad value is refused
// with the key and why), rebuilds the Session and runs it to its end: the dynamics are
// seeded, so the states are those of the first run and the readout is fitted on the new
// windows exactly as `ransim run --set ...` fits it. The RLS / FORCE learning switch is the
// readout view's (ReadoutView::learningToggled).
#include <QWidget>

#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ransim {
struct Scenario;
}

namespace ransim::gui {

class SimulationController;

class ReadoutPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ReadoutPanel(SimulationController* ctrl, QWidget* parent = nullptr);

  // The fields take the scenario's readout and task settings (called when a Session is built).
  void showScenario(const Scenario& sc);
  // The overrides the fields stand for ("readout.ridge=...", "task.train=...", ...).
  std::vector<std::string> overrides() const;
  // The scenario that runs, with overrides() replacing its earlier overrides of the same keys;
  // throws InputError (the key and why) for values the scenario refuses.
  Scenario retrainedScenario() const;
  // Rebuilds the Session with overrides() and runs it to the end; false (and refused()) when
  // there is no scenario or the scenario refuses a value.
  bool retrain();

  QComboBox* ridgeMode() const { return ridgeMode_; }  // 0: the value, 1: chosen on validation
  QLineEdit* ridgeValue() const { return ridgeValue_; }
  QSpinBox* warmup() const { return warmup_; }
  QSpinBox* train() const { return train_; }
  QSpinBox* validation() const { return validation_; }
  QSpinBox* test() const { return test_; }
  QPushButton* retrainButton() const { return retrain_; }

 signals:
  void retrainStarted(const QString& overrides);
  void refused(const QString& why);

 private:
  void updateEnabled();
  SimulationController* ctrl_;
  QComboBox* ridgeMode_;
  QLineEdit* ridgeValue_;
  QSpinBox *warmup_, *train_, *validation_, *test_;
  QPushButton* retrain_;
  QLabel* note_;
  bool ridge_ = true;  // the scenario's readout is a ridge (rls / force have no lambda)
};

}  // namespace ransim::gui
