#include "app.hpp"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QStyleFactory>
#include <QTimer>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "compare_panel.hpp"
#include "main_window.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"
#include "simulation_controller.hpp"
#include "study_panels.hpp"
#include "unit_list_model.hpp"
#include "views.hpp"

namespace ransim::gui {

QString usage() {
  return QStringLiteral(
      "usage: ransim-gui [SCENARIO.toml | RECORDING.h5] [--set key=value]... [--plugin-dir DIR]...\n"
      "       ransim-gui --screenshot OUT.png [--tokens N] [--size WxH] SCENARIO [--set ...]\n"
      "       ransim-gui --benchmark N [--repeat R] SCENARIO [--set ...]\n"
      "\n"
      "  --set key=value   override a scenario value (as ransim run --set)\n"
      "  --plugin-dir DIR  load plugins from DIR first (then RANSIM_PLUGIN_PATH, then\n"
      "                    <ransim>/../lib/ransim/plugins)\n"
      "  --screenshot OUT  run N tokens (--tokens, default 300), show the views, save the\n"
      "                    main window as a PNG and exit\n"
      "  --size WxH        window size for --screenshot (default 1600x1000)\n"
      "  --benchmark N     time N tokens headless (Session::step in a loop) and N tokens\n"
      "                    through the GUI's controller with every view live; print both\n"
      "  --repeat R        benchmark repetitions (default 3; the best of each is reported)\n"
      "  --frame-rate HZ   frames published per second at most (default 60; 0: every token)\n"
      "  --raise DOCK      --screenshot: bring a dock to the front (its object name, e.g.\n"
      "                    dock-readout-panel, dock-scenario-editor, dock-compare)\n"
      "  --compare CONFIG  --screenshot: run a compare config in the Compare panel first\n");
}

std::optional<QString> parse_options(const QStringList& args, Options& o) {
  for (int i = 0; i < args.size(); ++i) {
    const QString& a = args[i];
    auto value = [&]() -> std::optional<QString> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    auto need = [&](const char* what) { return QStringLiteral("option %1 needs %2").arg(a, what); };
    auto number = [&](const QString& v, long long lo, long long hi, long long& out) {
      bool ok = false;
      out = v.toLongLong(&ok);
      return ok && out >= lo && out <= hi;
    };
    long long n = 0;
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--set") {
      auto v = value();
      if (!v) return need("key=value");
      o.sets << *v;
    } else if (a.startsWith("--set=")) {
      o.sets << a.mid(6);
    } else if (a == "--plugin-dir") {
      auto v = value();
      if (!v) return need("a directory");
      o.plugin_dirs << *v;
    } else if (a == "--screenshot") {
      auto v = value();
      if (!v) return need("a file name");
      o.screenshot = *v;
    } else if (a == "--tokens") {
      auto v = value();
      if (!v || !number(*v, 0, 1LL << 40, n)) return QStringLiteral("--tokens: expected a whole number >= 0");
      o.tokens = static_cast<std::size_t>(n);
    } else if (a == "--benchmark") {
      auto v = value();
      if (!v || !number(*v, 1, 1LL << 40, n))
        return QStringLiteral("--benchmark: expected a whole number >= 1");
      o.benchmark = static_cast<std::size_t>(n);
    } else if (a == "--repeat") {
      auto v = value();
      if (!v || !number(*v, 1, 1000, n))
        return QStringLiteral("--repeat: expected a whole number in [1, 1000]");
      o.repeat = static_cast<int>(n);
    } else if (a == "--size") {
      auto v = value();
      const QStringList wh = v ? v->split('x') : QStringList();
      long long w = 0, h = 0;
      if (wh.size() != 2 || !number(wh[0], 200, 10000, w) || !number(wh[1], 200, 10000, h))
        return QStringLiteral("--size: expected WIDTHxHEIGHT, e.g. 1600x1000");
      o.width = static_cast<int>(w);
      o.height = static_cast<int>(h);
    } else if (a == "--frame-rate") {
      auto v = value();
      bool ok = false;
      const double hz = v ? v->toDouble(&ok) : 0;
      if (!ok || hz < 0) return QStringLiteral("--frame-rate: expected a number >= 0");
      o.frame_rate = hz;
    } else if (a == "--raise" || a == "--compare") {
      auto v = value();
      if (!v) return need(a == "--raise" ? "a dock name" : "a compare config");
      if (a == "--raise") o.raise << *v;
      else o.compare = *v;
    } else if (a.startsWith('-') && a.size() > 1) {
      return QStringLiteral("unknown option '%1' (see ransim-gui --help)").arg(a);
    } else if (o.file.isEmpty()) {
      o.file = a;
    } else {
      return QStringLiteral("unexpected argument '%1' (one scenario or recording at a time)").arg(a);
    }
  }
  if ((!o.screenshot.isEmpty() || o.benchmark) && o.file.isEmpty())
    return QStringLiteral("--screenshot and --benchmark need a SCENARIO");
  return std::nullopt;
}

QStringList load_plugins(const QStringList& explicit_dirs) {
  static PluginLoader loader;  // plugins stay loaded for the life of the process
  std::vector<std::string> dirs_in;
  for (const QString& d : explicit_dirs) dirs_in.push_back(d.toStdString());
  const std::vector<std::string> dirs = PluginLoader::search_path(dirs_in);
  QStringList errors;
  namespace fs = std::filesystem;
  std::vector<std::string> seen;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      const std::string canon = fs::weakly_canonical(f, ec).string();
      if (std::find(seen.begin(), seen.end(), canon) != seen.end()) continue;
      seen.push_back(canon);
      try {
        loader.load(f.string(), Registry::global(), dirs);
      } catch (const std::exception& e) {
        errors << QString::fromStdString(e.what());
      }
    }
  }
  return errors;
}

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs the event loop until `signal` of the controller fires, it reports an error (a session
// that cannot be built), or `ms` pass. True if the signal fired.
template <class Signal> bool wait_for(SimulationController* obj, Signal signal, int ms) {
  QEventLoop loop;
  bool fired = false;
  auto c = QObject::connect(obj, signal, &loop, [&] {
    fired = true;
    loop.quit();
  });
  auto e = QObject::connect(obj, &SimulationController::errorOccurred, &loop, &QEventLoop::quit);
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
  QObject::disconnect(c);
  QObject::disconnect(e);
  return fired;
}

// --compare and --raise: the compare panel's run and the docks in front, for screenshots.
bool raise_panels(MainWindow& w, const Options& o) {
  if (!o.compare.isEmpty()) {
    ComparePanel* panel = compare_panel(w);
    if (!panel->loadConfig(o.compare)) return false;
    panel->setOutputPrefix(QDir(QDir::tempPath()).filePath("ransim-gui-screenshot-compare"));
    if (!panel->start()) return false;
    QEventLoop loop;
    QObject::connect(panel, &ComparePanel::finished, &loop, &QEventLoop::quit);
    loop.exec();
  }
  for (const QString& name : o.raise) {
    QDockWidget* d = w.dock(name);
    if (!d) {
      w.showError(QStringLiteral("--raise: no dock named '%1'").arg(name));
      return false;
    }
    d->show();
    d->raise();
  }
  return true;
}

int screenshot_mode(const Options& o, const QStringList& plugin_errors) {
  MainWindow w(nullptr, false);  // the default layout and speed, whatever the user saved
  w.resize(o.width, o.height);
  w.controller()->setFrameRate(o.frame_rate >= 0 ? o.frame_rate : 0);
  w.show();
  if (!plugin_errors.isEmpty()) w.showError(plugin_errors.join("\n"));
  int code = 0;
  if (o.file.endsWith(".h5") || o.file.endsWith(".hdf5")) {
    code = w.openRecording(o.file) ? 0 : 2;
  } else if (!w.openScenario(o.file, o.sets)) {
    code = 2;
  } else {
    SimulationController* c = w.controller();
    if (!wait_for(c, &SimulationController::sessionReady, 600000) || !c->network()) {
      code = 2;
    } else {
      c->step(o.tokens);
      if (o.tokens > 0) wait_for(c, &SimulationController::stepsDone, 3600000);
      // The most active units and the most peaked map rows say more than unit 0.
      w.pullFrames();
      w.traces()->checkMostActive(5);
      for (MapView* m : w.maps()) m->selectMostPeaked();
    }
  }
  if (!raise_panels(w, o)) code = 2;
  for (int i = 0; i < 5; ++i) {
    QCoreApplication::processEvents();
    w.refreshViews();
  }
  QApplication::processEvents();
  const QImage img = w.grab().toImage();
  if (!img.save(o.screenshot)) {
    std::fprintf(stderr, "ransim-gui: error: could not write %s\n", qPrintable(o.screenshot));
    return 1;
  }
  std::fprintf(stderr, "ransim-gui: wrote %s (%dx%d)%s\n", qPrintable(o.screenshot), img.width(),
               img.height(),
               w.errorText().isEmpty() ? "" : qPrintable(" with an error shown: " + w.errorText()));
  return code;
}

int benchmark_mode(const Options& o, const QStringList& plugin_errors) {
  for (const QString& e : plugin_errors) std::fprintf(stderr, "ransim-gui: plugin: %s\n", qPrintable(e));
  std::vector<std::string> sets;
  for (const QString& s : o.sets) sets.push_back(s.toStdString());
  Scenario sc;
  try {
    sc = load_scenario(o.file.toStdString(), sets);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ransim-gui: error: %s\n", e.what());
    return 2;
  }
  const std::size_t n = o.benchmark;
  std::vector<double> headless, gui, gui_cpu, worker;

  MainWindow w(nullptr, false);
  w.resize(o.width, o.height);
  if (o.frame_rate >= 0) w.controller()->setFrameRate(o.frame_rate);
  w.show();
  std::size_t state_size = 0;
  for (int r = 0; r < o.repeat; ++r) {
    // Headless: the loop `ransim run` runs, without the construction and the readout fit.
    {
      Session s(sc);
      state_size = s.network().state_size();
      if (s.total() < n) {
        std::fprintf(stderr, "ransim-gui: error: the scenario has %zu tokens, fewer than --benchmark %zu\n",
                     s.total(), n);
        return 2;
      }
      const auto t0 = std::chrono::steady_clock::now();
      for (std::size_t k = 0; k < n; ++k) s.step();
      headless.push_back(static_cast<double>(n) /
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    // The same tokens through the controller, with every view refreshing.
    SimulationController* c = w.controller();
    w.openScenario(o.file, o.sets);
    if (!wait_for(c, &SimulationController::sessionReady, 600000) || !c->network()) {
      std::fprintf(stderr, "ransim-gui: error: %s\n", qPrintable(w.errorText()));
      return 2;
    }
    w.traces()->units()->checkFirst(8);
    QElapsedTimer t;
    const double cpu0 = thread_cpu_seconds();
    t.start();
    c->step(n);
    wait_for(c, &SimulationController::stepsDone, 3600000);
    const double wall = static_cast<double>(t.nsecsElapsed()) * 1e-9;
    gui.push_back(static_cast<double>(n) / wall);
    worker.push_back(static_cast<double>(n) / c->lastBatchSeconds());
    gui_cpu.push_back((thread_cpu_seconds() - cpu0) / wall);
    std::fprintf(
        stderr,
        "  repetition %d: headless %.0f tokens/s, gui %.0f tokens/s, simulation thread %.0f tokens/s "
        "(GUI thread busy %.0f %%)\n",
        r + 1, headless.back(), gui.back(), worker.back(), 100 * gui_cpu.back());
  }
  const double h = *std::max_element(headless.begin(), headless.end());
  const double g = *std::max_element(gui.begin(), gui.end());
  std::printf("scenario   %s (state size %zu, %zu tokens, %d repetitions, best of each)\n",
              qPrintable(o.file), state_size, n, o.repeat);
  std::printf("headless   %.0f tokens/s\n", h);
  std::printf("gui        %.0f tokens/s (frames at most %g Hz, views refreshed at %d Hz)\n", g,
              w.controller()->frameRate(), 1000 / std::max(1, w.refreshInterval()));
  const double sim = *std::max_element(worker.begin(), worker.end());
  std::printf(
      "simulation %.0f tokens/s on its thread (step(N) command to its last token, no signal latency)\n", sim);
  std::printf("ratio      %.1f %% (gui / headless); %.1f %% (simulation thread / headless)\n", 100.0 * g / h,
              100.0 * sim / h);
  std::printf(
      "GUI thread busy %.0f %% of one core while the simulation ran (median)\n", 100 * [&] {
        std::sort(gui_cpu.begin(), gui_cpu.end());
        return gui_cpu[gui_cpu.size() / 2];
      }());
  return 0;
}

}  // namespace

int run_app(int argc, char** argv) {
  // --help works without a display.
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", qPrintable(usage()));
      return 0;
    }
  QApplication app(argc, argv);
  QApplication::setOrganizationName("ransim");
  QApplication::setApplicationName("ransim-gui");
  QApplication::setStyle(QStyleFactory::create("Fusion"));

  Options o;
  QStringList args = QApplication::arguments();
  args.removeFirst();
  if (auto err = parse_options(args, o)) {
    std::fprintf(stderr, "ransim-gui: error: %s\n%s", qPrintable(*err), qPrintable(usage()));
    return 2;
  }
  if (o.help) {
    std::printf("%s", qPrintable(usage()));
    return 0;
  }
  const QStringList plugin_errors = load_plugins(o.plugin_dirs);
  if (!o.screenshot.isEmpty()) return screenshot_mode(o, plugin_errors);
  if (o.benchmark) return benchmark_mode(o, plugin_errors);

  MainWindow w;
  if (o.frame_rate >= 0) w.controller()->setFrameRate(o.frame_rate);
  w.show();
  if (!plugin_errors.isEmpty()) w.showError(plugin_errors.join("\n"));
  if (!o.file.isEmpty()) {
    if (o.file.endsWith(".h5") || o.file.endsWith(".hdf5")) w.openRecording(o.file);
    else w.openScenario(o.file, o.sets);
  }
  return app.exec();
}

}  // namespace ransim::gui
