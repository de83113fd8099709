#pragma once
// What many test files need: the bundled plugins loaded once, temporary files, numbers
// written back exactly into TOML, relative deviations, a task's parameters, and the small
// leaky reservoir most run-level tests start from.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/params.hpp"
#include "ransim/registry.hpp"
#include "tasks/tasks.hpp"

namespace ransim::test {

#ifdef RANSIM_PLUGIN_DIR
// The plugins of this build, loaded once into the global registry (as the CLI does).
inline void load_plugins() {
  static const bool loaded = [] {
    static PluginLoader loader;
    loader.load_all({RANSIM_PLUGIN_DIR}, Registry::global());
    return true;
  }();
  (void)loaded;
}
#endif

// A folder of the running test's own: TempDir()/ransim_<suite>.<test>_<pid>, created on first
// use. ctest runs tests (and other build trees run theirs) in parallel processes: no two
// of them may share a file.
inline std::string test_dir() {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "no_test";
  std::replace(name.begin(), name.end(), '/', '_');  // parameterised names
  const auto dir = std::filesystem::path(testing::TempDir()) /
                   ("ransim_" + name + "_" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A path in the running test's own temporary folder.
inline std::string tmp_path(const std::string& name) {
  return (std::filesystem::path(test_dir()) / name).string();
}

inline std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The message of the InputError that f throws, or "(no error)".
inline std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// 17 significant digits: the TOML literal reads back as the same double.
inline std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

// max |a - b| / max |b| (max |a - b| when b is all zeros); infinite when a is not finite.
inline double rel_dev(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!std::isfinite(a[i])) return std::numeric_limits<double>::infinity();
    diff = std::max(diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

// A task's default parameters with some set.
inline Params task_params(const std::string& kind, const std::vector<std::pair<std::string, Value>>& set) {
  Params p = defaults(find_task(kind)->params);
  for (auto& [k, v] : set) p.set(k, v);
  return p;
}

// The index of the largest of n values (a one-hot symbol or class).
inline std::size_t argmax(const double* v, std::size_t n) {
  return static_cast<std::size_t>(std::max_element(v, v + n) - v);
}

// A leaky reservoir (recurrent spectral radius 0.9, dense input) on a stream task: the
// scenario that run-, session-, CLI- and recording-level tests share.
struct SmallReservoir {
  std::string task = "narma10";
  std::size_t warmup = 10, train = 300, test = 100, size = 30;
  std::string simulation;  // lines of [simulation], if any
  std::string population;  // extra lines of [population.res]
};

inline std::string small_reservoir(const SmallReservoir& r = {}) {
  std::string s;
  if (!r.simulation.empty()) s += "[simulation]\n" + r.simulation;
  s += "[task]\nkind = \"" + r.task + "\"\nwarmup = " + std::to_string(r.warmup) +
       "\ntrain = " + std::to_string(r.train) + "\ntest = " + std::to_string(r.test) +
       "\n[population.res]\nkind = \"leaky\"\nsize = " + std::to_string(r.size) + "\n" + r.population +
       "[[projection]]\nfrom = \"res\"\nto = \"res\"\nspectral_radius = 0.9\n"
       "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n";
  return s;
}

// A line of /proc/self/status in bytes: "VmHWM" (peak resident memory, reset by writing 5 to
// /proc/self/clear_refs) or "VmRSS" (now).
inline std::size_t proc_status_bytes(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoul(line.substr(key.size() + 1)) * 1024;
  return 0;
}

}  // namespace ransim::test
