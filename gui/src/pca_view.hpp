#pragma once
// The PCA view (issue 22, part 2): a population's state trajectory over the tokens shown,
// projected on its leading principal components (core/analysis's pca), in 2-D or as a 3-D
// projection turned by two sliders, with each component's share of the variance.
// Threading: GUI thread.
#include <QElapsedTimer>

#include <armadillo>
#include <cstdint>
#include <vector>

// Qt's `signals` keyword macro would rewrite a parameter name of measures.hpp.
#pragma push_macro("signals")
#undef signals
#include "analysis/measures.hpp"
#pragma pop_macro("signals")
#include "chart_util.hpp"
#include "views.hpp"

class QComboBox;
class QLabel;
class QLineSeries;
class QScatterSeries;
class QSlider;

namespace ransim::gui {

// The rows of a track with tokens in [lo, hi] (every k-th when there are more than
// max_samples, k = ceil(rows / max_samples)), their PCA, and every such row's coordinates on
// the leading min(3, entries) components (centred by the samples' mean).
struct PcaTrajectory {
  analysis::Pca pca;
  arma::mat samples;           // samples x entries: what the PCA was given
  std::vector<double> tokens;  // the rows projected
  arma::mat coords;            // tokens x components
};
PcaTrajectory pca_trajectory(const Track& t, double lo, double hi, std::size_t max_samples);
// Orthographic view of 3-D points turned by azimuth (about the third axis) then elevation,
// in degrees: (x, y) on the screen.
std::pair<double, double> turn(double a, double b, double c, double azimuth_deg, double elevation_deg);

class PcaView : public View {
  Q_OBJECT

 public:
  explicit PcaView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  QString csv() const override;
  QString svg() override;
  void selectPopulation(int pop);
  void setThreeD(bool on);
  void setView(int azimuth_deg, int elevation_deg);
  const PcaTrajectory& trajectory() const { return data_; }
  QString summary() const;
  QLineSeries* series() const { return plot_.line; }
  // The fit uses at most this many tokens; while running it is redone at most every 20x the
  // time it took (the view then shows the last fit's projection of the new tokens).
  static constexpr std::size_t kMaxSamples = 4000;
  static constexpr std::size_t kMaxPoints = 20000;  // drawn (every k-th token beyond)

 private:
  void draw();
  QComboBox *pop_, *dims_;
  QSlider *azimuth_, *elevation_;
  QLabel* label_;
  PathChart plot_{};  // chart_util.hpp
  PcaTrajectory data_;
  std::vector<double> fit_key_;  // what the shown fit was made of (population, range, rows)
  QElapsedTimer since_fit_;
  qint64 fit_ms_ = 0;
  bool pending_ = false;  // a refit is scheduled
};

}  // namespace ransim::gui
