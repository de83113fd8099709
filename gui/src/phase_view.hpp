#pragma once
// The phase plot (issue 22, part 2): any recorded variable against another over the tokens
// shown, from the token history: an entry (a unit, or a component of a vector unit) of a
// population's state, of a variable it samples or of the readout, or the mean over all its
// entries. The time slider's token is marked.
// Threading: GUI thread.
#include <string>
#include <vector>

#include "chart_util.hpp"
#include "views.hpp"

class QComboBox;
class QLabel;
class QLineSeries;
class QScatterSeries;
class QSpinBox;

namespace ransim::gui {

// One axis of a phase plot: entry `entry` of track (pop, variable); -1: the mean of its entries.
struct PhaseVariable {
  int pop = 0;  // kReadoutTrack for the readout's target and output
  std::string variable = "state";
  int entry = 0;
};

// The path: at each token in [lo, hi] held by both tracks, in token order, x and y.
struct PhasePath {
  std::vector<double> tokens, x, y;
};
PhasePath phase_path(const Track& xt, int xe, const Track& yt, int ye, double lo, double hi);
// Every k-th point so that at most `max_points` are left (k = ceil(size / max_points)); the
// last point is always kept.
PhasePath thinned(const PhasePath& p, std::size_t max_points);

class PhaseView : public View {
  Q_OBJECT

 public:
  explicit PhaseView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  QString csv() const override;
  QString svg() override;
  // The variables offered (each with its number of entries), and the two chosen.
  const std::vector<std::pair<PhaseVariable, std::size_t>>& choices() const { return choices_; }
  void choose(const PhaseVariable& x, const PhaseVariable& y);
  PhaseVariable xVariable() const;
  PhaseVariable yVariable() const;
  const PhasePath& path() const { return path_; }  // as drawn
  QLineSeries* series() const { return plot_.line; }
  QScatterSeries* marker() const { return plot_.marker; }
  static constexpr std::size_t kMaxPoints = 20000;

 private:
  PhaseVariable chosen(const QComboBox* box, const QSpinBox* entry) const;
  void entriesChanged();
  QString name(const PhaseVariable& v) const;
  std::vector<std::pair<PhaseVariable, std::size_t>> choices_;
  QComboBox *xbox_, *ybox_;
  QSpinBox *xentry_, *yentry_;
  QLabel* label_;
  PathChart plot_{};  // chart_util.hpp
  PhasePath path_;
};

}  // namespace ransim::gui
