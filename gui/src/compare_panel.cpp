#include "compare_panel.hpp"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <filesystem>

#include "main_window.hpp"
#include "ransim/error.hpp"
#include "run/session.hpp"
#include "simulation_controller.hpp"
#include "study/compare.hpp"
#include "tasks/tasks.hpp"

namespace ransim::gui {

namespace {
constexpr int kFigureWidth = 640;  // pixels a figure is shown at
}  // namespace

QStringList csv_fields(const QString& line) {
  QStringList out;
  QString field;
  bool quoted = false;
  for (int i = 0; i < line.size(); ++i) {
    const QChar c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') field += c, ++i;
    else if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) out << std::exchange(field, QString());
    else field += c;
  }
  out << field;
  return out;
}

RunTrace run_trace(const Scenario& sc, const QString& name, const std::atomic<int>* stop) {
  if (find_task(sc.task_kind)->episodic())
    throw InputError(name.toStdString() + ": task '" + sc.task_kind + "' runs in episodes: no trace to draw");
  Session s(sc);
  RunTrace t{name, {}, {}, {}};
  const std::size_t from = s.protocol().fit_at();
  while (s.step()) {
    if (stop && stop->load()) break;
    const std::size_t k = s.token() - 1;  // the token just done
    if (k < from) continue;
    const auto y = s.prediction();
    if (!y) continue;
    t.tokens.push_back(static_cast<double>(k));
    t.output.push_back((*y)[0]);  // output 0 of lane 0 (outputs x lanes, lanes fastest)
    t.target.push_back(s.sequences().target_at(k, 0)[0]);
  }
  return t;
}

ComparePanel::ComparePanel(SimulationController* ctrl, QWidget* parent) : QWidget(parent), ctrl_(ctrl) {
  setObjectName("compare-panel");
  buildUi();
}

ComparePanel::~ComparePanel() {
  stop_.store(1);
  join();
}

void ComparePanel::join() {
  if (worker_.joinable()) worker_.join();
}

void ComparePanel::buildUi() {
  configPath_ = new QLineEdit;
  configPath_->setPlaceholderText(tr("a compare config (docs/compare.md)"));
  loadConfig_ = new QPushButton(tr("Open config..."));
  sweepKey_ = new QLineEdit;
  sweepKey_->setPlaceholderText(tr("a key of the open scenario, e.g. population.res.size"));
  sweepValues_ = new QLineEdit;
  sweepValues_->setPlaceholderText(tr("its values, a TOML array, e.g. [50, 100, 200]"));
  loadSweep_ = new QPushButton(tr("Sweep"));
  prefix_ = new QLineEdit;
  prefix_->setToolTip(tr("outputs: PREFIX.md, .csv, .json, .h5 and the figures"));
  start_ = new QPushButton(tr("Run"));
  cancel_ = new QPushButton(tr("Cancel"));
  overlay_ = new QPushButton(tr("Overlay chosen rows"));
  overlay_->setToolTip(
      tr("run the selected rows' first seed again and draw their readout output on the test "
         "tokens against the target"));
  progress_ = new QProgressBar;
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  table_ = new QTableWidget;
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  figures_ = new QTabWidget;
  auto* view = new QChartView;
  view->setRenderHint(QPainter::Antialiasing, false);
  chart_ = view;
  figures_->addTab(chart_, tr("Overlay"));

  auto* config = new QHBoxLayout;
  config->addWidget(configPath_, 1);
  config->addWidget(loadConfig_);
  auto* sweep = new QHBoxLayout;
  sweep->addWidget(sweepKey_, 1);
  sweep->addWidget(sweepValues_, 1);
  sweep->addWidget(loadSweep_);
  auto* form = new QFormLayout;
  form->addRow(tr("Config"), config);
  form->addRow(tr("Sweep"), sweep);
  form->addRow(tr("Outputs"), prefix_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(start_);
  buttons->addWidget(cancel_);
  buttons->addWidget(progress_, 1);
  buttons->addWidget(overlay_);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(figures_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(status_);
  layout->addWidget(split, 1);
  split->setSizes({120, 380});

  connect(loadConfig_, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Open compare config"), configPath_->text(),
                                                   tr("Compare configs (*.toml)"));
    if (!f.isEmpty()) loadConfig(f);
  });
  connect(loadSweep_, &QPushButton::clicked, this,
          [this] { loadSweep(sweepKey_->text(), sweepValues_->text()); });
  connect(start_, &QPushButton::clicked, this, [this] { start(); });
  connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
  connect(overlay_, &QPushButton::clicked, this, [this] { overlaySelected(); });
  connect(this, &ComparePanel::progressed, progress_, [this](int done, int total) {
    progress_->setValue(done);
    status_->setText(tr("%1 of %2 runs done").arg(done).arg(total));
  });
  cancel_->setEnabled(false);
  start_->setEnabled(false);
  overlay_->setEnabled(false);
}

QString ComparePanel::outputPrefix() const { return prefix_->text(); }
void ComparePanel::setOutputPrefix(const QString& prefix) { prefix_->setText(prefix); }
QString ComparePanel::statusText() const { return status_->text(); }
std::size_t ComparePanel::runCount() const { return cfg_ ? cfg_->runs.size() : 0; }

bool ComparePanel::loadConfig(const QString& path, bool quick) {
  if (running()) return false;
  try {
    cfg_ = std::make_shared<CompareConfig>(load_compare(path.toStdString(), quick));
  } catch (const std::exception& e) {
    cfg_.reset();
    status_->setText(QString::fromStdString(e.what()));
    start_->setEnabled(false);
    emit message(status_->text());
    return false;
  }
  configPath_->setText(path);
  setOutputPrefix(QDir(MainWindow::userDataDir()).filePath("compare/" + QFileInfo(path).completeBaseName()));
  status_->setText(tr("%1: %2 runs (%3 models x %4 tasks x %5 seeds); Run starts them")
                       .arg(path)
                       .arg(cfg_->runs.size())
                       .arg(cfg_->models.size())
                       .arg(cfg_->tasks.size())
                       .arg(cfg_->seeds.size()));
  start_->setEnabled(true);
  emit message(status_->text());
  return true;
}

bool ComparePanel::loadSweep(const QString& key, const QString& values) {
  if (running()) return false;
  const Scenario* sc = ctrl_->scenario();
  auto fail = [this](const QString& why) {
    cfg_.reset();
    status_->setText(why);
    start_->setEnabled(false);
    emit message(why);
    return false;
  };
  if (!sc) return fail(tr("sweep: no scenario is open"));
  if (key.trimmed().isEmpty()) return fail(tr("sweep: name a scenario key"));
  // The sweep is a [sweep] table as `ransim run --sweep FILE` reads it.
  sweepDir_ = std::make_unique<QTemporaryDir>();
  const QString file = sweepDir_->filePath("sweep.toml");
  QFile f(file);
  if (!f.open(QIODevice::WriteOnly)) return fail(tr("sweep: cannot write %1").arg(file));
  f.write(QString("[sweep]\n\"%1\" = %2\n").arg(key.trimmed(), values.trimmed()).toUtf8());
  f.close();
  try {
    cfg_ = std::make_shared<CompareConfig>(load_scenario_sweep(sc->path, file.toStdString(), sc->overrides));
  } catch (const std::exception& e) {
    return fail(tr("sweep of %1 over %2: %3").arg(key, values, QString::fromStdString(e.what())));
  }
  const QString name = QFileInfo(QString::fromStdString(sc->path)).completeBaseName() + "_sweep";
  setOutputPrefix(QDir(MainWindow::userDataDir()).filePath("compare/" + name));
  status_->setText(
      tr("sweep of %1 over %2: %3 runs; Run starts them").arg(key, values).arg(cfg_->runs.size()));
  start_->setEnabled(true);
  emit message(status_->text());
  return true;
}

bool ComparePanel::start() {
  if (!cfg_ || running()) return false;
  join();
  const QFileInfo prefix(outputPrefix());
  if (!QDir().mkpath(prefix.absolutePath())) {
    status_->setText(tr("%1: cannot make the folder").arg(prefix.absolutePath()));
    return false;
  }
  stop_.store(0);
  finished_ = false;
  written_.clear();
  progress_->setRange(0, static_cast<int>(cfg_->runs.size()));
  progress_->setValue(0);
  start_->setEnabled(false);
  cancel_->setEnabled(true);
  status_->setText(tr("running %1 runs...").arg(cfg_->runs.size()));
  const std::string folder = prefix.absolutePath().toStdString(), name = prefix.fileName().toStdString();
  worker_ = std::thread([this, cfg = cfg_, folder, name] {
    auto r = std::make_shared<CompareResult>();
    QStringList files;
    QString error;
    const std::filesystem::path staging = std::filesystem::path(folder) / ("." + name + ".partial");
    try {
      *r = run_compare(*cfg, &stop_, [this, total = cfg->runs.size()](const CompareOutcome&, std::size_t i) {
        QMetaObject::invokeMethod(this, [this, i, total] { emit progressed(int(i + 1), int(total)); });
      });
      if (!stop_.load()) {
        std::filesystem::remove_all(staging);
        std::filesystem::create_directories(staging);
        const auto staged = write_compare_outputs(*cfg, *r, (staging / name).string());
        // Moved into place only once all are written; cancel is not heard from here on.
        for (const std::string& s : staged) {
          const auto to = std::filesystem::path(folder) / std::filesystem::path(s).filename();
          std::filesystem::rename(s, to);
          files << QString::fromStdString(to.string());
        }
      }
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    std::error_code ec;
    std::filesystem::remove_all(staging, ec);
    const bool cancelled = stop_.load() != 0 && files.isEmpty();
    QMetaObject::invokeMethod(this, [this, r, files, error, cancelled] { done(r, files, error, cancelled); });
  });
  return true;
}

void ComparePanel::cancel() {
  stop_.store(1);
  status_->setText(tr("cancelling after the current run..."));
}

void ComparePanel::done(std::shared_ptr<CompareResult> r, QStringList files, QString error, bool cancelled) {
  join();
  finished_ = true;
  start_->setEnabled(cfg_ != nullptr);
  cancel_->setEnabled(false);
  if (cancelled) r->rows = summarise(*cfg_, r->outcomes);  // the rows of the runs done
  result_ = r;
  written_ = files;
  showTable(QString::fromStdString(compare_csv(*cfg_, *r)));
  showFigures(files);
  overlay_->setEnabled(!r->rows.empty());
  const QString text = !error.isEmpty() ? tr("comparison failed: %1").arg(error)
                       : cancelled
                           ? tr("cancelled after %1 of %2 runs; nothing written")
                                 .arg(r->outcomes.size())
                                 .arg(cfg_->runs.size())
                           : tr("done: %1 runs; wrote %2").arg(r->outcomes.size()).arg(files.join(", "));
  status_->setText(text);
  emit message(text);
  emit finished(cancelled, text);
}

void ComparePanel::showTable(const QString& csv) {
  const QStringList lines = csv.split('\n', Qt::SkipEmptyParts);
  table_->clear();
  table_->setRowCount(lines.isEmpty() ? 0 : lines.size() - 1);
  const QStringList head = lines.isEmpty() ? QStringList() : csv_fields(lines[0]);
  table_->setColumnCount(head.size());
  table_->setHorizontalHeaderLabels(head);
  for (int i = 1; i < lines.size(); ++i) {
    const QStringList f = csv_fields(lines[i]);
    for (int c = 0; c < f.size() && c < head.size(); ++c)
      table_->setItem(i - 1, c, new QTableWidgetItem(f[c]));
  }
  table_->resizeColumnsToContents();
}

void ComparePanel::showFigures(const QStringList& files) {
  while (figures_->count() > 1) {
    QWidget* w = figures_->widget(1);
    figures_->removeTab(1);
    delete w;
  }
  for (const QString& f : files) {
    if (!f.endsWith(".png")) continue;  // each figure is also written as .svg beside it
    auto* label = new QLabel;
    const QPixmap figure(f);  // scaled to the panel's width; the file has every pixel
    label->setPixmap(figure.width() > kFigureWidth
                         ? figure.scaledToWidth(kFigureWidth, Qt::SmoothTransformation)
                         : figure);
    label->setToolTip(f + tr(" (and %1.svg)").arg(f.chopped(4)));
    auto* scroll = new QScrollArea;
    scroll->setWidget(label);
    figures_->addTab(scroll, QFileInfo(f).fileName());
  }
  if (figures_->count() > 1) figures_->setCurrentIndex(1);
}

bool ComparePanel::overlaySelected() {
  if (!result_ || !cfg_ || running()) return false;
  join();
  std::vector<const CompareRun*> chosen;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
    const std::size_t row = static_cast<std::size_t>(index.row());
    if (row >= result_->rows.size()) continue;
    const CompareRow& r = result_->rows[row];
    for (const CompareRun& run : cfg_->runs)
      if (run.model == r.model && run.task == r.task && run.point == r.point) {
        chosen.push_back(&run);
        break;
      }
  }
  if (chosen.empty()) {
    status_->setText(tr("overlay: select rows of the table first"));
    return false;
  }
  stop_.store(0);
  finished_ = false;
  overlay_->setEnabled(false);
  cancel_->setEnabled(true);
  status_->setText(tr("overlay: running %1 runs again...").arg(chosen.size()));
  worker_ = std::thread([this, cfg = cfg_, chosen] {
    auto traces = std::make_shared<std::vector<RunTrace>>();
    QString error;
    try {
      for (const CompareRun* run : chosen) {
        if (stop_.load()) break;
        traces->push_back(run_trace(run->scenario, QString::fromStdString(run->id()), &stop_));
      }
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(this, [this, traces, error] {
      join();
      finished_ = true;
      cancel_->setEnabled(false);
      overlay_->setEnabled(true);
      if (!error.isEmpty()) {
        status_->setText(tr("overlay: %1").arg(error));
        emit message(status_->text());
        return;
      }
      traces_ = std::move(*traces);
      showTraces();
      status_->setText(tr("overlay: %1 runs").arg(traces_.size()));
      emit tracesReady();
    });
  });
  return true;
}

void ComparePanel::showTraces() {
  auto* chart = new QChart;
  chart->setTitle(tr("readout output on the test tokens (output 0, lane 0)"));
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setTitleText(tr("token"));
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  double lo = 0, hi = 1, t0 = 0, t1 = 1;
  bool first = true;
  auto add = [&](const QString& name, const std::vector<double>& t, const std::vector<double>& v,
                 QColor colour) {
    QList<QPointF> points;
    for (std::size_t i = 0; i < t.size(); ++i) {
      points.append({t[i], v[i]});
      if (first) lo = hi = v[i], t0 = t1 = t[i], first = false;
      lo = std::min(lo, v[i]), hi = std::max(hi, v[i]), t0 = std::min(t0, t[i]), t1 = std::max(t1, t[i]);
    }
    auto* s = new QLineSeries;
    s->setName(name);
    s->replace(points);
    QPen pen(colour);
    pen.setCosmetic(true);
    pen.setWidth(1);
    s->setPen(pen);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
  };
  static const QColor palette[] = {QColor(31, 119, 180), QColor(255, 127, 14),  QColor(44, 160, 44),
                                   QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75)};
  if (!traces_.empty()) add(tr("target"), traces_[0].tokens, traces_[0].target, Qt::black);
  for (std::size_t i = 0; i < traces_.size(); ++i)
    add(traces_[i].name, traces_[i].tokens, traces_[i].output, palette[i % std::size(palette)]);
  x->setRange(t0, t1 > t0 ? t1 : t0 + 1);
  y->setRange(lo, hi > lo ? hi : lo + 1);
  auto* view = static_cast<QChartView*>(chart_);
  QChart* old = view->chart();
  view->setChart(chart);
  delete old;
  figures_->setCurrentIndex(0);
}

}  // namespace ransim::gui
