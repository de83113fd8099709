#include "parameter_model.hpp"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ransim::gui {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\n\r");
  return s.substr(b, e - b + 1);
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::variant<Value, std::string> parse_value(const ParamSpec& spec, const std::string& raw) {
  const std::string text = trim(raw);
  auto fail = [&] { return "expected " + spec.expectation() + ", found '" + text + "'"; };
  Value v;
  switch (spec.type) {
    case ParamType::Real: {
      if (text.empty()) return fail();
      errno = 0;
      char* end = nullptr;
      const double d = std::strtod(text.c_str(), &end);
      if (errno == ERANGE || end != text.c_str() + text.size() || !std::isfinite(d)) return fail();
      v = d;
      break;
    }
    case ParamType::Integer: {
      if (text.empty()) return fail();
      errno = 0;
      char* end = nullptr;
      const long long i = std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE || end != text.c_str() + text.size()) return fail();
      v = static_cast<std::int64_t>(i);
      break;
    }
    case ParamType::Boolean:
      if (text == "true" || text == "1") v = true;
      else if (text == "false" || text == "0") v = false;
      else return fail();
      break;
    case ParamType::String: v = text; break;
  }
  if (auto why = spec.check(v)) return "expected " + spec.expectation() + ", found " + to_string(v);
  return v;
}

std::string range_text(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Boolean: return "true | false";
    case ParamType::String: {
      std::string s;
      for (auto& c : spec.choices) s += (s.empty() ? "" : " | ") + c;
      return s.empty() ? "text" : s;
    }
    default:
      return std::string(spec.min_exclusive || std::isinf(spec.min) ? "(" : "[") + number(spec.min) + ", " +
             number(spec.max) + (std::isinf(spec.max) ? ")" : "]");
  }
}

ParameterModel::ParameterModel(QObject* parent) : QAbstractTableModel(parent) {}

void ParameterModel::setNetwork(const NetworkDesc* net) {
  beginResetModel();
  rows_.clear();
  if (net)
    for (auto& p : net->populations)
      for (auto& param : p.params) rows_.push_back({p.name, param, std::nullopt, QString(), false});
  endResetModel();
}

void ParameterModel::setEditable(bool on, const QString& why) {
  not_editable_why_ = why;
  if (on == editable_) return;
  beginResetModel();
  editable_ = on;
  endResetModel();
}

int ParameterModel::findRow(const QString& population, const QString& name) const {
  const std::string p = population.toStdString(), n = name.toStdString();
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].population == p && rows_[i].param.spec.name == n) return static_cast<int>(i);
  return -1;
}

void ParameterModel::setResult(const QString& population, const QString& name, bool accepted,
                               const QString& message, qulonglong token) {
  const int r = findRow(population, name);
  if (r < 0) return;
  Row& row = rows_[static_cast<std::size_t>(r)];
  if (accepted) {
    if (row.pending) row.param.value = *row.pending;
    row.status = QStringLiteral("applied after token %1").arg(token);
    row.error = false;
  } else {
    row.status = message;
    row.error = true;
  }
  row.pending.reset();
  emit dataChanged(index(r, 0), index(r, ColumnCount - 1));
}

int ParameterModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ParameterModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ParameterModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const Row& row = rows_[static_cast<std::size_t>(index.row())];
  const ParamSpec& s = row.param.spec;
  if (role == Qt::DisplayRole || role == Qt::EditRole) {
    switch (index.column()) {
      case Population: return QString::fromStdString(row.population);
      case Parameter: return QString::fromStdString(s.name);
      case ValueColumn:
        return QString::fromStdString(to_string(row.pending ? *row.pending : row.param.value));
      case Unit: return QString::fromStdString(s.unit);
      case Range: return QString::fromStdString(range_text(s));
      case Status:
        if (row.pending) return QStringLiteral("pending");
        if (!row.status.isEmpty()) return row.status;
        return row.param.live ? QStringLiteral("live") : QString();
    }
    return {};
  }
  if (role == Qt::ToolTipRole) {
    QString tip = QString::fromStdString(s.name + ": " + s.description + "\nexpected " + s.expectation());
    tip += row.param.live ? "\nlive: editable while the simulation runs"
                          : "\nfixed once the network is built (edit the scenario or use --set)";
    if (row.error) tip += "\n\n" + row.status;
    return tip;
  }
  if (role == Qt::ForegroundRole) {
    if (index.column() == Status && row.error) return QBrush(QColor(190, 20, 20));
    if (!row.param.live || !editable_) return QBrush(QColor(110, 110, 110));
    return {};
  }
  if (role == Qt::FontRole && index.column() == ValueColumn && row.param.live && editable_) {
    QFont f;
    f.setBold(true);
    return f;
  }
  return {};
}

bool ParameterModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || index.column() != ValueColumn ||
      !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return false;
  Row& row = rows_[static_cast<std::size_t>(index.row())];
  if (!row.param.live) return false;
  const QString name = QString::fromStdString(row.population + "." + row.param.spec.name);
  if (!editable_) {
    emit editRefused(tr("%1 not changed: %2").arg(name, not_editable_why_));
    return false;
  }
  auto parsed = parse_value(row.param.spec, value.toString().toStdString());
  if (auto* why = std::get_if<std::string>(&parsed)) {
    row.status = name + ": " + QString::fromStdString(*why);
    row.error = true;
    emit dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
    emit editRefused(tr("%1 refused: %2").arg(name, QString::fromStdString(*why)));
    return false;
  }
  row.pending = std::get<Value>(parsed);
  row.error = false;
  row.status.clear();
  emit dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
  emit editRequested(QString::fromStdString(row.population), QString::fromStdString(row.param.spec.name),
                     *row.pending);
  return true;
}

Qt::ItemFlags ParameterModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
  const Row& row = rows_[static_cast<std::size_t>(index.row())];
  if (index.column() == ValueColumn && row.param.live && editable_) f |= Qt::ItemIsEditable;
  return f;
}

QVariant ParameterModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Population: return QStringLiteral("Population");
    case Parameter: return QStringLiteral("Parameter");
    case ValueColumn: return QStringLiteral("Value");
    case Unit: return QStringLiteral("Unit");
    case Range: return QStringLiteral("Range");
    case Status: return QStringLiteral("Status");
  }
  return {};
}

}  // namespace ransim::gui
