#include "phase_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

#include "chart_util.hpp"
#include "describe.hpp"
#include "view_export.hpp"

namespace ransim::gui {

namespace {

// Entry e of row i, or the mean of the row's entries for e = -1.
double value_of(const Track& t, std::size_t i, int e) {
  if (e >= 0) return t.value(i, static_cast<std::size_t>(e));
  const double* r = t.row(i);
  double s = 0;
  for (std::size_t j = 0; j < t.width(); ++j) s += r[j];
  return s / static_cast<double>(t.width());
}

}  // namespace

PhasePath phase_path(const Track& xt, int xe, const Track& yt, int ye, double lo, double hi) {
  PhasePath p;
  if (xe >= static_cast<int>(xt.width()) || ye >= static_cast<int>(yt.width()) || hi < lo) return p;
  const std::size_t first = static_cast<std::size_t>(std::ceil(std::max(0.0, lo)));
  std::size_t i = xt.lower_bound(first), j = yt.lower_bound(first);
  // Both tracks in token order: walk them together, keeping the tokens they share.
  while (i < xt.size() && j < yt.size()) {
    const std::size_t a = xt.token(i), b = yt.token(j);
    if (static_cast<double>(std::min(a, b)) > hi) break;
    if (a < b) {
      ++i;
    } else if (b < a) {
      ++j;
    } else {
      const double x = value_of(xt, i, xe), y = value_of(yt, j, ye);
      if (std::isfinite(x) && std::isfinite(y)) {
        p.tokens.push_back(static_cast<double>(a));
        p.x.push_back(x);
        p.y.push_back(y);
      }
      ++i;
      ++j;
    }
  }
  return p;
}

PhasePath thinned(const PhasePath& p, std::size_t max_points) {
  const std::size_t n = p.tokens.size();
  if (n <= max_points || max_points < 2) return p;
  const std::size_t k = (n + max_points - 1) / max_points;
  PhasePath out;
  for (std::size_t i = 0; i < n; i += k) {
    if (i + k >= n) i = n - 1;  // the newest point ends the path
    out.tokens.push_back(p.tokens[i]);
    out.x.push_back(p.x[i]);
    out.y.push_back(p.y[i]);
  }
  return out;
}

PhaseView::PhaseView(QWidget* parent) : View(parent) {
  xbox_ = new QComboBox;
  ybox_ = new QComboBox;
  xentry_ = new QSpinBox;
  yentry_ = new QSpinBox;
  for (QSpinBox* s : {xentry_, yentry_}) {
    s->setRange(-1, 0);
    s->setSpecialValueText(tr("mean"));  // -1: the mean of every entry
    s->setToolTip(tr("Entry (unit, or unit.component) of the variable; \"mean\": the mean of all of them"));
  }
  label_ = new QLabel;
  plot_ = make_path_chart("x", "y", trace_color(0));
  auto* pick = new QHBoxLayout;
  pick->addWidget(new QLabel(tr("x")));
  pick->addWidget(xbox_, 1);
  pick->addWidget(xentry_);
  pick->addWidget(new QLabel(tr("y")));
  pick->addWidget(ybox_, 1);
  pick->addWidget(yentry_);
  auto* col = new QVBoxLayout(this);
  col->setContentsMargins(2, 2, 2, 2);
  col->addLayout(pick);
  col->addWidget(label_);
  col->addWidget(plot_.view, 1);
  for (QComboBox* b : {xbox_, ybox_})
    connect(b, &QComboBox::currentIndexChanged, this, [this](int) { entriesChanged(); });
  for (QSpinBox* s : {xentry_, yentry_})
    connect(s, &QSpinBox::valueChanged, this, [this](int) { refresh(); });
  setNetwork(nullptr);
}

void PhaseView::setNetwork(const NetworkDesc* net) {
  net_ = net;
  choices_.clear();
  QSignalBlocker bx(xbox_), by(ybox_);
  xbox_->clear();
  ybox_->clear();
  if (net) {
    for (std::size_t p = 0; p < net->populations.size(); ++p) {
      const PopulationDesc& pd = net->populations[p];
      choices_.push_back({{static_cast<int>(p), "state", 0}, pd.state_size()});
      for (const VariableDesc& v : pd.variables)
        if (v.name != "state" && sampled_into_frames(pd, v))
          choices_.push_back({{static_cast<int>(p), v.name, 0}, v.size()});
    }
    if (net->has_readout)
      for (const char* name : {"target", "prediction"})
        choices_.push_back({{kReadoutTrack, name, 0}, net->target_dim});
  }
  for (auto& [v, n] : choices_) {
    xbox_->addItem(name(v));
    ybox_->addItem(name(v));
  }
  // Two entries of the first population: its state's first two units.
  if (!choices_.empty()) {
    xbox_->setCurrentIndex(0);
    ybox_->setCurrentIndex(0);
  }
  label_->setText(net ? QString() : noNetworkText());
  {
    QSignalBlocker sx(xentry_), sy(yentry_);
    entriesChanged();
    xentry_->setValue(0);
    yentry_->setValue(choices_.empty() || choices_[0].second < 2 ? 0 : 1);
  }
  path_ = {};
  plot_.line->clear();
  plot_.marker->clear();
}

QString PhaseView::name(const PhaseVariable& v) const {
  const QString var = QString::fromStdString(v.variable);
  if (v.pop == kReadoutTrack) return tr("readout · %1").arg(var);
  if (!net_ || v.pop < 0 || static_cast<std::size_t>(v.pop) >= net_->populations.size()) return var;
  return QString::fromStdString(net_->populations[static_cast<std::size_t>(v.pop)].name) + " · " + var;
}

void PhaseView::entriesChanged() {
  for (auto [box, entry] : {std::pair{xbox_, xentry_}, std::pair{ybox_, yentry_}}) {
    const int i = box->currentIndex();
    const std::size_t n = i >= 0 && static_cast<std::size_t>(i) < choices_.size()
                              ? choices_[static_cast<std::size_t>(i)].second
                              : 1;
    entry->setRange(-1, static_cast<int>(std::max<std::size_t>(n, 1)) - 1);
  }
  refresh();
}

PhaseVariable PhaseView::chosen(const QComboBox* box, const QSpinBox* entry) const {
  const int i = box->currentIndex();
  if (i < 0 || static_cast<std::size_t>(i) >= choices_.size()) return {};
  PhaseVariable v = choices_[static_cast<std::size_t>(i)].first;
  v.entry = entry->value();
  return v;
}
PhaseVariable PhaseView::xVariable() const { return chosen(xbox_, xentry_); }
PhaseVariable PhaseView::yVariable() const { return chosen(ybox_, yentry_); }

void PhaseView::choose(const PhaseVariable& x, const PhaseVariable& y) {
  auto index = [this](const PhaseVariable& v) {
    for (std::size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i].first.pop == v.pop && choices_[i].first.variable == v.variable)
        return static_cast<int>(i);
    return -1;
  };
  QSignalBlocker sx(xentry_), sy(yentry_);
  xbox_->setCurrentIndex(index(x));
  ybox_->setCurrentIndex(index(y));
  xentry_->setValue(x.entry);
  yentry_->setValue(y.entry);
  refresh();
}

void PhaseView::refresh() {
  const PhaseVariable xv = xVariable(), yv = yVariable();
  const Track* xt = t_ && net_ ? t_->find(xv.pop, xv.variable) : nullptr;
  const Track* yt = t_ && net_ ? t_->find(yv.pop, yv.variable) : nullptr;
  if (!xt || !yt) {
    path_ = {};
    plot_.line->clear();
    plot_.marker->clear();
    if (net_) label_->setText(tr("No tokens of these variables yet."));
    return;
  }
  const auto [first, last] = heldTokens();
  const auto [lo, hi] = shownTokens(first, last);
  path_ = thinned(phase_path(*xt, xv.entry, *yt, yv.entry, lo, hi), kMaxPoints);
  if (path_.tokens.empty()) {
    plot_.line->clear();
    plot_.marker->clear();
    label_->setText(tr("These variables share no token in the range shown."));
    return;
  }
  QList<QPointF> pts;
  pts.reserve(static_cast<qsizetype>(path_.x.size()));
  for (std::size_t i = 0; i < path_.x.size(); ++i) pts.append(QPointF(path_.x[i], path_.y[i]));
  const auto xr = padded(
      {*std::min_element(path_.x.begin(), path_.x.end()), *std::max_element(path_.x.begin(), path_.x.end())},
      1e-3);
  const auto yr = padded(
      {*std::min_element(path_.y.begin(), path_.y.end()), *std::max_element(path_.y.begin(), path_.y.end())},
      1e-3);
  plot_.line->clear();
  plot_.marker->clear();
  set_axis(plot_.ax, xr.first, xr.second);
  set_axis(plot_.ay, yr.first, yr.second);
  auto entry = [](const PhaseVariable& v) { return v.entry < 0 ? tr("mean") : QString::number(v.entry); };
  plot_.ax->setTitleText(name(xv) + " [" + entry(xv) + "]");
  plot_.ay->setTitleText(name(yv) + " [" + entry(yv) + "]");
  plot_.line->replace(pts);
  // The time slider's token (the last one at or before it), else the newest.
  const std::optional<std::size_t> at = cursorToken();
  std::size_t k = path_.tokens.size() - 1;
  if (at) {
    const auto it = std::upper_bound(path_.tokens.begin(), path_.tokens.end(), static_cast<double>(*at));
    k = it == path_.tokens.begin() ? 0 : static_cast<std::size_t>(it - path_.tokens.begin()) - 1;
  }
  if (!path_.tokens.empty()) plot_.marker->append(path_.x[k], path_.y[k]);
  label_->setText(tr("%1 tokens, %2 to %3; marked: token %4")
                      .arg(path_.tokens.size())
                      .arg(path_.tokens.front())
                      .arg(path_.tokens.back())
                      .arg(path_.tokens[k]));
}

QString PhaseView::csv() const {
  QString out = QStringLiteral("token,%1,%2\n").arg(plot_.ax->titleText(), plot_.ay->titleText());
  for (std::size_t i = 0; i < path_.tokens.size(); ++i)
    out += QStringLiteral("%1,%2,%3\n")
               .arg(path_.tokens[i])
               .arg(path_.x[i], 0, 'g', 17)
               .arg(path_.y[i], 0, 'g', 17);
  return out;
}

QString PhaseView::svg() {
  Series s;
  for (std::size_t i = 0; i < path_.x.size(); ++i) s.emplace_back(path_.x[i], path_.y[i]);
  return chart_svg(tr("Phase plot"), plot_.ax->titleText(), plot_.ay->titleText(),
                   {{tr("path"), trace_color(0), s}}, plot_.ax->min(), plot_.ax->max(), plot_.ay->min(),
                   plot_.ay->max());
}

}  // namespace ransim::gui
