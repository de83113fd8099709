#pragma once
// The parameter panel's model: every parameter of every population, built from the
// models' ParamSpecs (name, unit, range, description) and the scenario's values. Live
// parameters are editable; an edit is parsed against the spec here, then handed on with
// editRequested() (the controller validates it again in the Session and answers through
// setResult(), which fills the Status column next to the field).
// Threading: GUI thread.
#include <QAbstractTableModel>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "frame.hpp"

namespace ransim::gui {

// Text to a Value of the spec's type, or why not ("expected ..., found ...").
std::variant<Value, std::string> parse_value(const ParamSpec& spec, const std::string& text);
// "(0, inf)", "[1, 1e+08]", "tanh | identity", "true | false".
std::string range_text(const ParamSpec& spec);

class ParameterModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Population, Parameter, ValueColumn, Unit, Range, Status, ColumnCount };

  explicit ParameterModel(QObject* parent = nullptr);

  void setNetwork(const NetworkDesc* net);  // nullptr: empty
  // Whether live parameters can be edited (false while replaying a recording or once the
  // run has ended); `why` is the reason an edit is refused while they cannot.
  void setEditable(bool on, const QString& why = {});
  bool editable() const { return editable_; }
  // The controller's answer to an edit.
  void setResult(const QString& population, const QString& name, bool accepted, const QString& message,
                 qulonglong token);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  int findRow(const QString& population, const QString& name) const;

 signals:
  void editRequested(const QString& population, const QString& name, const ransim::Value& value);
  // An edit refused here (a value that does not parse or is out of range, or no edits now).
  void editRefused(const QString& message);

 private:
  struct Row {
    std::string population;
    ParamDesc param;
    std::optional<Value> pending;  // sent, not yet answered
    QString status;
    bool error = false;
  };
  std::vector<Row> rows_;
  bool editable_ = true;
  QString not_editable_why_;
};

}  // namespace ransim::gui
