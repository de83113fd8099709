#include "scenario_editor.hpp"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTextBlock>
#include <QVBoxLayout>

#include "scenario/scenario.hpp"
#include "simulation_controller.hpp"

namespace ransim::gui {

TextLocation error_location(const QString& message) {
  static const QRegularExpression at(":(\\d+):(\\d+)(:|\\b)");
  const QRegularExpressionMatch m = at.match(message);
  if (!m.hasMatch()) return {};
  return {m.captured(1).toInt(), m.captured(2).toInt()};
}

ScenarioEditor::ScenarioEditor(SimulationController* ctrl, QWidget* parent) : QWidget(parent), ctrl_(ctrl) {
  setObjectName("scenario-editor");
  editor_ = new QPlainTextEdit;
  editor_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  editor_->setLineWrapMode(QPlainTextEdit::NoWrap);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  apply_ = new QPushButton(tr("Apply"));
  apply_->setToolTip(tr("parse this text and rebuild the network (Ctrl+Return)"));
  apply_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
  save_ = new QPushButton(tr("Save as..."));
  save_->setToolTip(tr("write this text to a file (asks before replacing one)"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(apply_);
  buttons->addWidget(save_);
  buttons->addStretch();
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(editor_, 1);
  layout->addWidget(status_);
  layout->addLayout(buttons);
  connect(apply_, &QPushButton::clicked, this, [this] { apply(); });
  connect(save_, &QPushButton::clicked, this, [this] { save(); });
  // An edit clears the highlight of the last error (its place may have moved).
  connect(editor_, &QPlainTextEdit::textChanged, this, [this] { editor_->setExtraSelections({}); });
}

void ScenarioEditor::showScenario(const Scenario& sc) {
  if (editor_->document()->isModified() && QString::fromStdString(sc.path) == path_) return;
  path_ = QString::fromStdString(sc.path);
  editor_->setPlainText(QString::fromStdString(sc.text));
  editor_->document()->setModified(false);
  error_.clear();
  location_ = {};
  status_->setText(tr("%1 (Apply rebuilds the network from this text)").arg(path_));
}

bool ScenarioEditor::apply() {
  const Scenario* running = ctrl_->scenario();
  if (!running) {
    showError(tr("no scenario is open: File > Open scenario first"));
    return false;
  }
  Scenario sc;
  try {
    sc = parse_scenario(editor_->toPlainText().toStdString(), running->path, running->overrides);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
  error_.clear();
  location_ = {};
  editor_->setExtraSelections({});
  editor_->document()->setModified(false);
  status_->setStyleSheet({});
  status_->setText(tr("applied: the network is rebuilt from this text"));
  ctrl_->setScenario(sc);
  emit applied(path_);
  return true;
}

void ScenarioEditor::showError(const QString& message) {
  error_ = message;
  location_ = error_location(message);
  status_->setStyleSheet("QLabel { color: #8a1c12; }");
  status_->setText(message);
  QList<QTextEdit::ExtraSelection> marks;
  const QTextBlock block = editor_->document()->findBlockByNumber(location_.line - 1);
  if (location_.line > 0 && block.isValid()) {
    QTextEdit::ExtraSelection line;
    line.format.setBackground(QColor(253, 236, 234));
    line.format.setProperty(QTextFormat::FullWidthSelection, true);
    line.cursor = QTextCursor(block);
    marks.append(line);
    QTextEdit::ExtraSelection at;
    at.format.setBackground(QColor(230, 120, 105));
    at.cursor = QTextCursor(block);
    at.cursor.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor,
                           std::clamp(location_.column - 1, 0, std::max(0, block.length() - 2)));
    at.cursor.movePosition(QTextCursor::Right, QTextCursor::KeepAnchor);
    marks.append(at);
    editor_->setTextCursor(at.cursor);
    editor_->centerCursor();
  }
  editor_->setExtraSelections(marks);
  emit applyFailed(message);
}

bool ScenarioEditor::saveTo(const QString& path) {
  if (path.isEmpty()) return false;
  if (QFileInfo::exists(path)) {
    const bool replace =
        confirm_ ? confirm_(path)
                 : QMessageBox::question(this, tr("Replace file?"), tr("%1 exists. Replace it?").arg(path)) ==
                       QMessageBox::Yes;
    if (!replace) return false;
  }
  QFile f(path);
  const QByteArray bytes = editor_->toPlainText().toUtf8();
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
    showError(tr("%1: cannot write: %2").arg(path, f.errorString()));
    return false;
  }
  f.close();
  emit saved(path);
  return true;
}

bool ScenarioEditor::save() {
  const QString suggested = path_.isEmpty() || path_ == "<string>" ? QString("scenario.toml") : path_;
  const QString path = choosePath_ ? choosePath_(suggested)
                                   : QFileDialog::getSaveFileName(this, tr("Save scenario"), suggested,
                                                                  tr("TOML scenarios (*.toml)"), nullptr,
                                                                  QFileDialog::DontConfirmOverwrite);
  return saveTo(path);
}

}  // namespace ransim::gui
