#pragma once
// The units of one population as a checkable list (which traces to draw).
// Threading: GUI thread.
#include <QAbstractListModel>

#include <vector>

#include "frame.hpp"

namespace ransim::gui {

class UnitListModel : public QAbstractListModel {
  Q_OBJECT

 public:
  explicit UnitListModel(QObject* parent = nullptr);

  // Lists the state variables of population `pop` of `net` ("unit 3", or "unit 3.1" for
  // vector units); clears the selection. pop < 0: empty.
  void setPopulation(const NetworkDesc* net, int pop);
  int population() const { return pop_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

  // Checked state variables, in list order.
  std::vector<std::size_t> checked() const;
  void setChecked(std::size_t var, bool on);
  // Checks the first n variables (and unchecks the rest).
  void checkFirst(std::size_t n);
  // Checks exactly these variables.
  void checkOnly(const std::vector<std::size_t>& vars);
  static QString label(std::size_t var, std::size_t dim);

 signals:
  void selectionChanged();

 private:
  int pop_ = -1;
  std::size_t dim_ = 1;
  std::vector<char> checked_;
};

}  // namespace ransim::gui
