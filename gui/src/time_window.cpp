#include "time_window.hpp"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSlider>
#include <QToolButton>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "token_history.hpp"
#include "views.hpp"

namespace ransim::gui {

std::pair<double, double> TimeWindow::visible(double first, double last) const {
  last = std::max(last, first);
  if (!zoomed_) return {first, last};
  const double width = std::min(hi_ - lo_, last - first);
  if (follow_) return {last - width, last};
  // The history moved on (its oldest tokens dropped) or is shorter: slide the range inside it.
  const double lo = std::clamp(lo_, first, last - width);
  return {lo, lo + width};
}

void TimeWindow::showRange(double lo, double hi, double first, double last) {
  const double width = hi - lo;
  if (width >= last - first) {
    showWholeRun();
    return;
  }
  lo = std::clamp(lo, first, last - width);
  zoomed_ = true;
  lo_ = lo;
  hi_ = lo + width;
  follow_ = hi_ >= last - 0.5;
  emit changed();
}

void TimeWindow::zoom(double factor, double about, double first, double last) {
  if (!(factor > 0) || last <= first) return;
  const auto [lo, hi] = visible(first, last);
  const double width = std::max(kMinTokens, (hi - lo) * factor);
  about = std::clamp(about, lo, hi);
  const double share = hi > lo ? (about - lo) / (hi - lo) : 0.5;
  showRange(about - share * width, about - share * width + width, first, last);
}

void TimeWindow::pan(double tokens, double first, double last) {
  if (!zoomed_ || last <= first) return;
  const auto [lo, hi] = visible(first, last);
  showRange(lo + tokens, hi + tokens, first, last);
}

void TimeWindow::showWholeRun() {
  const bool was = zoomed_;
  zoomed_ = follow_ = false;
  if (was) emit changed();
}

void TimeWindow::setCursor(std::optional<std::size_t> token) {
  if (token == cursor_) return;
  cursor_ = token;
  emit changed();
}

void TimeWindow::reset() {
  zoomed_ = follow_ = false;
  cursor_.reset();
}

// ---------------------------------------------------------------------------- mouse

TimeMouse::TimeMouse(TimeWindow* w, QWidget* target, TokenAt token_at, Span span)
    : QObject(target), w_(w), token_at_(std::move(token_at)), span_(std::move(span)) {
  target->installEventFilter(this);
}

bool TimeMouse::eventFilter(QObject* o, QEvent* e) {
  const QEvent::Type type = e->type();
  if (type != QEvent::Wheel && type != QEvent::MouseButtonPress && type != QEvent::MouseMove &&
      type != QEvent::MouseButtonRelease && type != QEvent::MouseButtonDblClick)
    return QObject::eventFilter(o, e);  // (also while the window and its history are torn down)
  const auto [first, last] = span_();
  switch (type) {
    case QEvent::Wheel: {
      auto* we = static_cast<QWheelEvent*>(e);
      const double steps = we->angleDelta().y() / 120.0;
      if (steps == 0) return false;
      if (we->modifiers() & Qt::ShiftModifier) {
        const auto [lo, hi] = w_->visible(first, last);
        w_->pan(-0.1 * steps * (hi - lo), first, last);
      } else {
        w_->zoom(std::pow(0.8, steps), token_at_(we->position().x()), first, last);
      }
      return true;
    }
    case QEvent::MouseButtonPress: {
      auto* me = static_cast<QMouseEvent*>(e);
      if (me->button() != Qt::LeftButton || !w_->zoomed()) return false;
      drag_token_ = token_at_(me->position().x());
      return true;
    }
    case QEvent::MouseMove: {
      if (!drag_token_) return false;
      // Keeps the token grabbed under the pointer.
      w_->pan(*drag_token_ - token_at_(static_cast<QMouseEvent*>(e)->position().x()), first, last);
      return true;
    }
    case QEvent::MouseButtonRelease:
      if (!drag_token_) return false;
      drag_token_.reset();
      return true;
    case QEvent::MouseButtonDblClick: w_->showWholeRun(); return true;
    default: return QObject::eventFilter(o, e);
  }
}

// ---------------------------------------------------------------------------- bar

TimeBar::TimeBar(TimeWindow* w, QWidget* parent) : QWidget(parent), w_(w) {
  setObjectName("time-bar");
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setObjectName("time-slider");
  slider_->setToolTip(
      tr("The token shown by the maps' \"now\", the network graph and the markers; "
         "the run goes on meanwhile"));
  label_ = new QLabel;
  label_->setMinimumWidth(label_->fontMetrics().horizontalAdvance(QStringLiteral(" token 0000000 ")));
  auto button = [this](const QString& text, const QString& tip) {
    auto* b = new QToolButton;
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
  };
  live_ = button(tr("Live"), tr("Show the newest token"));
  zoomIn_ = button(tr("+"), tr("Zoom in on time (wheel over a time view)"));
  zoomOut_ = button(tr("-"), tr("Zoom out on time"));
  whole_ = button(tr("Whole run"), tr("Show the whole history (double-click a time view)"));
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(4, 0, 4, 0);
  row->addWidget(new QLabel(tr("Time")));
  row->addWidget(slider_, 1);
  row->addWidget(label_);
  row->addWidget(live_);
  row->addWidget(zoomIn_);
  row->addWidget(zoomOut_);
  row->addWidget(whole_);
  connect(slider_, &QSlider::valueChanged, this, [this](int v) {
    // The newest token is "live": the slider then follows the run.
    w_->setCursor(v >= static_cast<int>(last_) ? std::nullopt : std::optional<std::size_t>(v));
    updateLabel();
  });
  connect(live_, &QToolButton::clicked, this, [this] {
    w_->setCursor(std::nullopt);
    QSignalBlocker b(slider_);
    slider_->setValue(slider_->maximum());
    updateLabel();
  });
  // About the cursor, else about the newest token (so that the zoomed range follows the run).
  auto zoom = [this](double factor) {
    const double about = w_->cursor() ? static_cast<double>(*w_->cursor()) : last_;
    w_->zoom(factor, about, first_, last_);
  };
  connect(zoomIn_, &QToolButton::clicked, this, [zoom] { zoom(0.5); });
  connect(zoomOut_, &QToolButton::clicked, this, [zoom] { zoom(2.0); });
  connect(whole_, &QToolButton::clicked, w_, &TimeWindow::showWholeRun);
  updateLabel();
}

void TimeBar::sync(const TokenHistory& t) {
  first_ = static_cast<double>(t.first_token());
  last_ = static_cast<double>(t.last_token());
  QSignalBlocker b(slider_);
  slider_->setRange(static_cast<int>(first_), static_cast<int>(last_));
  const auto c = w_->cursor();
  slider_->setValue(c ? static_cast<int>(*c) : static_cast<int>(last_));
  updateLabel();
}

void TimeBar::updateLabel() {
  const auto c = w_->cursor();
  label_->setText(c ? tr(" token %1 ").arg(*c) : tr(" token %1 (live) ").arg(static_cast<qulonglong>(last_)));
  live_->setEnabled(c.has_value());
}

}  // namespace ransim::gui

// ---------------------------------------------------------------------------- View's window

namespace ransim::gui {

void View::setTimeWindow(TimeWindow* w) {
  tw_ = w;
  if (QWidget* surface = timeSurface(); surface && w)
    new TimeMouse(
        w, surface, [this](double x) { return tokenAt(x); }, [this] { return heldTokens(); });
}

std::pair<double, double> View::heldTokens() const {
  if (t_ && !t_->empty())
    return {static_cast<double>(t_->first_token()), static_cast<double>(t_->last_token())};
  if (h_ && !h_->empty())
    return {static_cast<double>((*h_)[0].token), static_cast<double>(h_->latest()->token)};
  return {0, 0};
}

std::pair<double, double> View::shownTokens(double first, double last) const {
  return tw_ ? tw_->visible(first, last) : std::make_pair(first, std::max(first, last));
}

std::optional<std::size_t> View::cursorToken() const { return tw_ ? tw_->cursor() : std::nullopt; }

}  // namespace ransim::gui
