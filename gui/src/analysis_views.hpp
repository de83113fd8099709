#pragma once
// Analysis views (issue 22, part 2): attention entropy over time. The entropy of each unit's
// map row, normalised by log(entries) (1: uniform, 0: all weight on one entry), averaged over
// the units, for every token the history holds a sample of.
// Threading: GUI thread.
#include <string>
#include <utility>
#include <vector>

#include "views.hpp"

class QComboBox;
class QChart;
class QLineSeries;
class QValueAxis;

namespace ransim::gui {

// Per row of `t` (a [units, per_unit] variable): the mean over units of the normalised entropy
// of the unit's row (each row scaled to sum 1; rows without positive weight are skipped).
Series normalised_entropy(const Track& t, std::size_t per_unit);

class EntropyView : public View {
  Q_OBJECT

 public:
  explicit EntropyView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  QString csv() const override;
  QString svg() override;
  QLineSeries* series() const { return series_; }
  // The (population, variable) pairs listed: every variable shown as a map.
  const std::vector<std::pair<int, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<int, std::string>> entries_;
  QComboBox* pick_;
  QChart* chart_;
  QValueAxis *ax_, *ay_;
  QLineSeries* series_;
};

}  // namespace ransim::gui
