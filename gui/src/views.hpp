#pragma once
// The dockable views. Each is a thin shell: the arrays come from view_data.hpp /
// graph_layout.hpp / colormap.hpp, the widget only lays them out and draws them.
// Threading: GUI thread. Views read the FrameHistory they are attached to; refresh() is
// called by the main window's pull timer (at most ~30 Hz) when new frames arrived.
#include <QWidget>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "colormap.hpp"
#include "frame.hpp"
#include "graph_layout.hpp"
#include "token_history.hpp"
#include "view_data.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QListView;
class QSpinBox;
class QTableView;
class QGraphicsEllipseItem;
class QGraphicsPixmapItem;
class QGraphicsScene;
class QGraphicsSimpleTextItem;
class QGraphicsView;
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace ransim::gui {

class UnitListModel;
class ParameterModel;
class TimeWindow;

// An image with axes, a title and a colour bar. Draws whatever it is given.
class HeatmapWidget : public QWidget {
  Q_OBJECT

 public:
  explicit HeatmapWidget(QWidget* parent = nullptr);
  void setImage(const QImage& img);
  void setRange(double lo, double hi, Palette p);
  void setTitle(const QString& t);
  void setXAxis(const QString& label, const QString& left, const QString& right);
  void setYAxis(const QString& label, const QString& top, const QString& bottom);
  void setPlaceholder(const QString& text);
  const QImage& image() const { return img_; }
  const QString& title() const { return title_; }
  // Where the image was last drawn, and the title's box (wrapped to `width`) in its font.
  QRect plotRect() const { return plot_; }
  QFont titleFont() const;
  QRect titleRect(int width) const;
  int titleFlags(int width) const;
  QSize sizeHint() const override { return {360, 220}; }
  QSize minimumSizeHint() const override { return {160, 110}; }

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  QImage img_;
  QRect plot_;
  double lo_ = 0, hi_ = 1;
  Palette palette_ = Palette::Sequential;
  QString title_, xl_, xa_, xb_, yl_, ya_, yb_, placeholder_;
};

// Tabs of tabbed docks keep their whole titles (issue 22, D12): the window's tab bars, now and
// later, neither elide nor squeeze a title; they scroll when too many.
void keepTabTitlesWhole(QWidget* window);

inline QString noNetworkText() {
  return QStringLiteral("Open a scenario (File > Open) or a recording to see it here.");
}

// Base of the frame views.
class View : public QWidget {
  Q_OBJECT

 public:
  explicit View(QWidget* parent = nullptr) : QWidget(parent) {}
  // The frames (current maps, latest values) and every token of the shown variables (the
  // time views; without it they draw the frames).
  void attach(const FrameHistory* h, const TokenHistory* t = nullptr) {
    h_ = h;
    t_ = t;
  }
  // The network changed (nullptr: none). The history is reset by the caller.
  virtual void setNetwork(const NetworkDesc* net) = 0;
  // New frames in the history (or a new history after a reset).
  virtual void refresh() = 0;
  // Writes what the view shows to `path`: .png (as drawn), .svg or .csv (the numbers drawn;
  // views_export.cpp). False with *error set on an unknown suffix or a file not written.
  bool exportTo(const QString& path, QString* error = nullptr);
  virtual QString csv() const = 0;
  virtual QString svg();  // default: the widget as drawn, embedded in an SVG
  // The zoom / pan and the time slider shared by the views (time_window.hpp); without one a
  // view shows the whole history and the newest token. Views over time take the mouse too.
  void setTimeWindow(TimeWindow* w);

 protected:
  // The widget that takes the wheel and drags of the time window, and the token at its x.
  virtual QWidget* timeSurface() const { return nullptr; }
  virtual double tokenAt(double) const { return 0; }
  // The tokens held ([first, last] of the token history, else of the frames).
  std::pair<double, double> heldTokens() const;
  // The part of [first, last] shown, and the token of the views of one moment (the newest
  // unless the time slider picked one).
  std::pair<double, double> shownTokens(double first, double last) const;
  std::optional<std::size_t> cursorToken() const;
  const FrameHistory* h_ = nullptr;
  const TokenHistory* t_ = nullptr;
  const NetworkDesc* net_ = nullptr;
  TimeWindow* tw_ = nullptr;
};

// Activity traces of chosen units (Qt Charts), picked from a checkable list.
class TracesView : public View {
  Q_OBJECT

 public:
  explicit TracesView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  UnitListModel* units() const { return model_; }
  void selectPopulation(int pop);
  int population() const;
  // Checks the n units that vary most over the history shown.
  void checkMostActive(std::size_t n = 5);
  QString csv() const override;
  QString svg() override;
  QChart* chart() const { return chart_; }
  const std::vector<QLineSeries*>& series() const { return series_; }
  const std::vector<std::size_t>& shownEntries() const { return vars_; }
  static constexpr std::size_t kMaxSeries = 16;

 protected:
  QWidget* timeSurface() const override;
  double tokenAt(double x) const override;

 private:
  void rebuildSeries();
  QComboBox* pop_;
  QListView* list_;
  UnitListModel* model_;
  QChartView* view_;
  QChart* chart_;
  QValueAxis *ax_, *ay_;
  std::vector<QLineSeries*> series_;
  std::vector<std::size_t> vars_;
};

// Entries x time heatmap, scrolling left as frames arrive: of a population's state, or of
// any variable its model declares for a heatmap (ViewKind::Heatmap).
class ActivityHeatmapView : public View {
  Q_OBJECT

 public:
  explicit ActivityHeatmapView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  void selectPopulation(int pop);  // its state
  // Shows `variable` of `population`; false when this view does not list it.
  bool selectVariable(const std::string& population, const std::string& variable);
  QString csv() const override;
  QString svg() override;
  // What the view lists, in order: (population index, variable name).
  const std::vector<std::pair<int, std::string>>& entries() const { return entries_; }
  HeatmapWidget* heatmap() const { return map_; }
  // What is drawn: entries x columns (each the mean of its tokens), over tokens [first, last].
  const Matrix& shown() const { return shown_m_; }
  std::pair<std::size_t, std::size_t> tokenRange() const { return {first_, last_}; }
  const ColourRange& range() const { return range_; }

 protected:
  QWidget* timeSurface() const override;
  double tokenAt(double x) const override;

 private:
  std::size_t entryRows(int entry) const;
  std::vector<std::pair<int, std::string>> entries_;
  QComboBox* pop_;
  HeatmapWidget* map_;
  ColourRange range_{ColourRange::Start::Symmetric};
  Matrix shown_m_;
  std::size_t first_ = 0, last_ = 0;
  std::uint64_t gen_ = ~0ull;
  int shown_ = -1;
};

// A [units, n] variable that models declare as a map (ViewKind::Map), e.g. attention
// weights or memory-slot activations: the chosen unit's row over time, and the
// population's current map (units x n). One view per variable name.
class MapView : public View {
  Q_OBJECT

 public:
  explicit MapView(std::string variable, QWidget* parent = nullptr);
  const std::string& variable() const { return variable_; }
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  bool applicable() const { return !pops_.empty(); }
  void selectUnit(int unit);
  // Selects the unit with the most peaked map in the latest frame.
  void selectMostPeaked();
  QString csv() const override;
  QString svg() override;
  HeatmapWidget* history() const { return hist_; }
  HeatmapWidget* current() const { return now_; }
  const ColourRange& range() const { return range_; }
  const Matrix& shownHistory() const { return hist_m_; }
  const Matrix& shownNow() const { return now_m_; }  // the current map (or at the slider's token)
  std::pair<std::size_t, std::size_t> tokenRange() const { return {hist_first_, hist_last_}; }

 protected:
  QWidget* timeSurface() const override;
  double tokenAt(double x) const override;

 private:
  void populationChanged();
  ColourRange range_{ColourRange::Start::Unit};
  Matrix hist_m_, now_m_;
  std::size_t hist_first_ = 0, hist_last_ = 0;  // tokens hist_m_ spans
  std::uint64_t gen_ = ~0ull;
  std::string variable_;
  QComboBox* pop_;
  QSpinBox* unit_;
  HeatmapWidget *hist_, *now_;
  std::vector<int> pops_;  // network populations that have the map
};

// Readout output against its target, with the running NRMSE.
class ReadoutView : public View {
  Q_OBJECT

 public:
  explicit ReadoutView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  QString summary() const;
  QString csv() const override;
  QString svg() override;
  QChart* chart() const { return chart_; }
  QLineSeries* targetSeries() const { return target_; }
  QLineSeries* predictionSeries() const { return pred_; }
  // Online readouts: the "learning" switch, shown for readout.kind = "rls" | "force".
  QCheckBox* learningBox() const { return learn_; }
  void setLearning(bool on);  // shows the state the session took, without emitting

 protected:
  QWidget* timeSurface() const override;
  double tokenAt(double x) const override;

 signals:
  void learningToggled(bool on);  // the user switched learning on or off

 private:
  QCheckBox* learn_;
  QComboBox* out_;
  QLabel* label_;
  QChartView* view_;
  QChart* chart_;
  QValueAxis *ax_, *ay_;
  QLineSeries *target_, *pred_;
};

class UnitCellsItem;

// Populations as nodes (area ~ units, outline = the kind's declared colour), projections as
// arrows; each node filled by its activity (network_view.cpp): the RMS of its state at the
// time slider's token, on a colour scale stated under the graph; inside it a grid of cells,
// one per unit (the first CellGrid::shown), each the RMS of that unit's state values on the
// same scale (NetView style); hovering a cell names the unit and its value.
class NetworkView : public View {
  Q_OBJECT

 public:
  explicit NetworkView(QWidget* parent = nullptr);
  void setNetwork(const NetworkDesc* net) override;
  void refresh() override;
  QString csv() const override;  // the populations and projections
  QGraphicsScene* scene() const { return scene_; }
  // The colour of population `pop` of `net` (population_colours in describe.hpp).
  static QColor kindColor(const NetworkDesc& net, std::size_t pop);
  // What refresh() drew: per population its RMS activity, its fill, the scale and its text.
  const std::vector<double>& activity() const { return activity_; }
  QColor nodeFill(std::size_t pop) const;
  const ColourRange& activityRange() const { return range_; }
  QString scaleText() const;
  // Per population: its units' RMS activity, the grid of cells drawn (none for the input), the
  // cells as drawn (one pixel per cell, row by row; transparent past the last unit shown), and
  // a unit's tooltip; the item that shows a population's cells (nullptr: none).
  const std::vector<double>& unitActivity(std::size_t pop) const;
  const CellGrid& cellGrid(std::size_t pop) const { return grids_.at(pop); }
  QImage unitCells(std::size_t pop) const;
  QString cellTip(std::size_t pop, std::size_t unit) const;
  QGraphicsPixmapItem* cellsItem(std::size_t pop) const;

 protected:
  void resizeEvent(QResizeEvent* e) override;

 private:
  void fit();
  void addScale(double x, double y);
  void addCells(const GraphNode& n);
  void paintCells();
  QGraphicsScene* scene_;
  QGraphicsView* gv_;
  std::vector<QGraphicsEllipseItem*> nodes_;  // per population
  std::vector<UnitCellsItem*> cells_;         // per population, nullptr when no cell fits
  std::vector<CellGrid> grids_;               // per population
  QGraphicsPixmapItem* bar_ = nullptr;
  QGraphicsSimpleTextItem* scale_ = nullptr;
  std::vector<double> activity_;
  std::vector<std::vector<double>> units_;  // per population, per unit
  std::size_t activity_token_ = 0;
  ColourRange range_{ColourRange::Start::Unit};
  std::uint64_t gen_ = ~0ull;
};

// Parameters of every population from the models' ParamSpecs; live ones editable.
class ParameterPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParameterPanel(ParameterModel* model, QWidget* parent = nullptr);
  QTableView* table() const { return table_; }
  void fitColumns();

 private:
  QTableView* table_;
  QLabel* hint_;
};

}  // namespace ransim::gui
