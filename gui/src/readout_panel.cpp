#include "readout_panel.hpp"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

#include "ransim/error.hpp"
#include "scenario/scenario.hpp"
#include "simulation_controller.hpp"
#include "study/sweep.hpp"

namespace ransim::gui {

namespace {

QSpinBox* token_box(const QString& tip) {
  auto* b = new QSpinBox;
  b->setRange(0, 1000000000);
  b->setSuffix(" tokens");
  b->setToolTip(tip);
  return b;
}

std::string key_of(const std::string& set) { return set.substr(0, set.find('=')); }

}  // namespace

ReadoutPanel::ReadoutPanel(SimulationController* ctrl, QWidget* parent) : QWidget(parent), ctrl_(ctrl) {
  setObjectName("readout-panel");
  ridgeMode_ = new QComboBox;
  ridgeMode_->addItems({tr("value"), tr("chosen on validation")});
  ridgeMode_->setToolTip(
      tr("readout.ridge: a lambda, or \"auto\" (the lambda of 1e-10..1e2 that scores best on "
         "the validation tokens)"));
  ridgeValue_ = new QLineEdit;
  ridgeValue_->setToolTip(tr("the ridge penalty lambda (>= 0)"));
  warmup_ = token_box(tr("task.warmup: tokens before training (not fitted)"));
  train_ = token_box(tr("task.train: tokens the readout is fitted on"));
  validation_ = token_box(tr("task.validation: tokens after training that choose the ridge"));
  test_ = token_box(tr("task.test: tokens scored as <metric>_test"));
  retrain_ = new QPushButton(tr("Retrain"));
  retrain_->setToolTip(tr("rebuild with these settings and run to the end (the same seed: the same states)"));
  note_ = new QLabel;
  note_->setWordWrap(true);

  auto* form = new QFormLayout;
  form->addRow(tr("Ridge"), ridgeMode_);
  form->addRow(tr("Lambda"), ridgeValue_);
  form->addRow(tr("Warm-up"), warmup_);
  form->addRow(tr("Train"), train_);
  form->addRow(tr("Validation"), validation_);
  form->addRow(tr("Test"), test_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(retrain_);
  layout->addWidget(note_);
  layout->addStretch();

  connect(ridgeMode_, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); });
  connect(retrain_, &QPushButton::clicked, this, [this] { retrain(); });
  connect(ctrl_, &SimulationController::stateChanged, this, [this] { updateEnabled(); });
  updateEnabled();
}

void ReadoutPanel::updateEnabled() {
  const bool any = ctrl_->hasScenario();
  for (QWidget* w :
       std::initializer_list<QWidget*>{ridgeMode_, warmup_, train_, validation_, test_, retrain_})
    w->setEnabled(any);
  ridgeMode_->setEnabled(any && ridge_);
  ridgeValue_->setEnabled(any && ridge_ && ridgeMode_->currentIndex() == 0);
}

void ReadoutPanel::showScenario(const Scenario& sc) {
  auto tokens = [&](QSpinBox* box, const char* key) {
    box->setVisible(sc.task.has(key));
    if (sc.task.has(key)) box->setValue(static_cast<int>(sc.task.integer(key)));
  };
  tokens(warmup_, "warmup");
  tokens(train_, "train");
  tokens(validation_, "validation");
  tokens(test_, "test");
  const std::string kind = sc.readout.has("kind") ? sc.readout.string("kind") : "ridge";
  ridge_ = kind == "ridge";
  ridgeMode_->setCurrentIndex(sc.readout_ridge_candidates.empty() ? 0 : 1);
  ridgeValue_->setText(QString::number(sc.readout.real("ridge"), 'g', QLocale::FloatingPointShortest));
  note_->setText(ridge_
                     ? QString()
                     : tr("readout.kind = \"%1\" learns online: use the Learning switch of the readout view")
                           .arg(QString::fromStdString(kind)));
  updateEnabled();
}

std::vector<std::string> ReadoutPanel::overrides() const {
  std::vector<std::string> out;
  if (ridge_) {
    if (ridgeMode_->currentIndex() == 1) {
      out.push_back("readout.ridge=\"auto\"");
    } else {
      bool ok = false;
      const double lambda = ridgeValue_->text().trimmed().toDouble(&ok);
      if (!ok)
        throw InputError("readout.ridge: expected a number, found '" + ridgeValue_->text().toStdString() +
                         "'");
      out.push_back("readout.ridge=" + toml_real(lambda));
    }
  }
  auto tokens = [&](const QSpinBox* box, const char* key) {
    if (!box->isHidden()) out.push_back(std::string("task.") + key + "=" + std::to_string(box->value()));
  };
  tokens(warmup_, "warmup");
  tokens(train_, "train");
  tokens(validation_, "validation");
  tokens(test_, "test");
  return out;
}

Scenario ReadoutPanel::retrainedScenario() const {
  const Scenario* sc = ctrl_->scenario();
  if (!sc) throw InputError("retrain: no scenario is open");
  const std::vector<std::string> mine = overrides();
  std::vector<std::string> sets;
  for (const std::string& s : sc->overrides)
    if (std::none_of(mine.begin(), mine.end(), [&](const std::string& m) { return key_of(m) == key_of(s); }))
      sets.push_back(s);
  sets.insert(sets.end(), mine.begin(), mine.end());
  return parse_scenario(sc->text, sc->path, sets);
}

bool ReadoutPanel::retrain() {
  Scenario sc;
  std::string text;
  try {
    sc = retrainedScenario();
    for (const std::string& s : overrides()) text += (text.empty() ? "" : " ") + s;
  } catch (const std::exception& e) {
    emit refused(tr("retrain refused: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  ctrl_->setScenario(sc);
  ctrl_->run();
  emit retrainStarted(QString::fromStdString(text));
  return true;
}

}  // namespace ransim::gui
