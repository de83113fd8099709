#pragma once
// What part of the history the views show (issue 22, part 1): the token range of the time
// views (zoom and pan; the whole run unless zoomed) and the token of the views of one moment
// (the maps' "now", the activity on the network graph, the markers of the phase and PCA
// views; the latest token unless the time slider picked one). One TimeWindow is shared by
// every view of a window; the TimeBar is its slider and buttons.
// Threading: GUI thread.
#include <QObject>
#include <QWidget>

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

class QLabel;
class QSlider;
class QToolButton;

namespace ransim::gui {

class TokenHistory;

class TimeWindow : public QObject {
  Q_OBJECT

 public:
  explicit TimeWindow(QObject* parent = nullptr) : QObject(parent) {}
  // The token range shown of a history that holds [first, last]: all of it unless zoomed.
  // A zoomed window whose right end was the newest token keeps its width and follows the run.
  std::pair<double, double> visible(double first, double last) const;
  bool zoomed() const { return zoomed_; }
  // Scales the shown width by `factor` (< 1 zooms in) keeping the token `about` in place;
  // at least kMinTokens wide; as wide as the history (or wider) is the whole run again.
  void zoom(double factor, double about, double first, double last);
  // Moves the shown range by `tokens` (positive: later), inside the history.
  void pan(double tokens, double first, double last);
  void showWholeRun();
  // Shows [lo, hi] of a history [first, last] (moved inside it; the whole run when as wide).
  void showRange(double lo, double hi, double first, double last);
  // The token of the views of one moment; nullopt: the newest (live).
  std::optional<std::size_t> cursor() const { return cursor_; }
  void setCursor(std::optional<std::size_t> token);
  // Forgets zoom and cursor (a new network or recording).
  void reset();
  static constexpr double kMinTokens = 8;

 signals:
  void changed();

 private:
  bool zoomed_ = false, follow_ = false;
  double lo_ = 0, hi_ = 1;
  std::optional<std::size_t> cursor_;
};

// Mouse control of a TimeWindow over a plot: the wheel zooms about the token under the
// pointer, Shift+wheel or a left-button drag pans, a double click shows the whole run.
// `token_at(x)` maps a widget x coordinate to a token; `span()` gives the history [first, last].
class TimeMouse : public QObject {
  Q_OBJECT

 public:
  using TokenAt = std::function<double(double x)>;
  using Span = std::function<std::pair<double, double>()>;
  TimeMouse(TimeWindow* w, QWidget* target, TokenAt token_at, Span span);

 protected:
  bool eventFilter(QObject* o, QEvent* e) override;

 private:
  TimeWindow* w_;
  TokenAt token_at_;
  Span span_;
  std::optional<double> drag_token_;
};

// The time slider over the live history (or a replay's) and the zoom buttons. Moving the
// slider sets the cursor (the run goes on meanwhile); Live goes back to the newest token.
class TimeBar : public QWidget {
  Q_OBJECT

 public:
  explicit TimeBar(TimeWindow* w, QWidget* parent = nullptr);
  // Takes the history's token range (called after each refresh of the views).
  void sync(const TokenHistory& t);
  QSlider* slider() const { return slider_; }
  QToolButton* liveButton() const { return live_; }
  QToolButton* wholeRunButton() const { return whole_; }

 private:
  void updateLabel();
  TimeWindow* w_;
  QSlider* slider_;
  QLabel* label_;
  QToolButton *live_, *zoomIn_, *zoomOut_, *whole_;
  double first_ = 0, last_ = 0;
};

}  // namespace ransim::gui
