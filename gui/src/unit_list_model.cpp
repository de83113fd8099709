#include "unit_list_model.hpp"

namespace ransim::gui {

UnitListModel::UnitListModel(QObject* parent) : QAbstractListModel(parent) {}

void UnitListModel::setPopulation(const NetworkDesc* net, int pop) {
  beginResetModel();
  if (net && pop >= 0 && static_cast<std::size_t>(pop) < net->populations.size()) {
    pop_ = pop;
    const auto& p = net->populations[static_cast<std::size_t>(pop)];
    dim_ = p.dim ? p.dim : 1;
    checked_.assign(p.state_size(), 0);
  } else {
    pop_ = -1;
    dim_ = 1;
    checked_.clear();
  }
  endResetModel();
  emit selectionChanged();
}

QString UnitListModel::label(std::size_t var, std::size_t dim) {
  if (dim <= 1) return QStringLiteral("unit %1").arg(var);
  return QStringLiteral("unit %1.%2").arg(var / dim).arg(var % dim);
}

int UnitListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(checked_.size());
}

QVariant UnitListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto row = static_cast<std::size_t>(index.row());
  switch (role) {
    case Qt::DisplayRole: return label(row, dim_);
    case Qt::CheckStateRole: return checked_[row] ? Qt::Checked : Qt::Unchecked;
    case Qt::UserRole: return static_cast<qulonglong>(row);
    default: return {};
  }
}

bool UnitListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::CheckStateRole ||
      !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return false;
  const char on = value.toInt() == Qt::Checked ? 1 : 0;
  auto& c = checked_[static_cast<std::size_t>(index.row())];
  if (c == on) return true;
  c = on;
  emit dataChanged(index, index, {Qt::CheckStateRole});
  emit selectionChanged();
  return true;
}

Qt::ItemFlags UnitListModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable | Qt::ItemNeverHasChildren;
}

std::vector<std::size_t> UnitListModel::checked() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < checked_.size(); ++i)
    if (checked_[i]) out.push_back(i);
  return out;
}

void UnitListModel::setChecked(std::size_t var, bool on) {
  if (var >= checked_.size()) return;
  setData(index(static_cast<int>(var)), on ? Qt::Checked : Qt::Unchecked, Qt::CheckStateRole);
}

void UnitListModel::checkFirst(std::size_t n) {
  for (std::size_t i = 0; i < checked_.size(); ++i) checked_[i] = i < n ? 1 : 0;
  if (!checked_.empty())
    emit dataChanged(index(0), index(static_cast<int>(checked_.size()) - 1), {Qt::CheckStateRole});
  emit selectionChanged();
}

void UnitListModel::checkOnly(const std::vector<std::size_t>& vars) {
  std::fill(checked_.begin(), checked_.end(), 0);
  for (auto v : vars)
    if (v < checked_.size()) checked_[v] = 1;
  if (!checked_.empty())
    emit dataChanged(index(0), index(static_cast<int>(checked_.size()) - 1), {Qt::CheckStateRole});
  emit selectionChanged();
}

}  // namespace ransim::gui
