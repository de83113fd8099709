#pragma once
// Shared helpers of the GUI test suites.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>
#include <string>
#include <vector>

#include "app.hpp"
#include "frame.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/registry.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"

namespace gui_test {

inline const std::string kQuickstart = RANSIM_SOURCE_DIR "/scenarios/quickstart.toml";
inline const std::string kMixed = RANSIM_TEST_DIR "/fixtures/mixed.toml";

// quickstart.toml made small: 60 units, 20 + 100 + 60 tokens.
inline std::vector<std::string> small_sets() {
  return {"population.res.size=60", "task.warmup=20", "task.train=100", "task.test=60"};
}

inline ransim::Scenario small_scenario() { return ransim::load_scenario(kQuickstart, small_sets()); }

inline QStringList qsets(const std::vector<std::string>& s) {
  QStringList out;
  for (auto& x : s) out << QString::fromStdString(x);
  return out;
}

// A network of one leaky population of `units` scalar units (the time views' tests).
inline ransim::gui::NetworkDesc one_population(std::size_t units, std::uint64_t session = 9) {
  ransim::gui::NetworkDesc n;
  n.session = session;
  ransim::gui::PopulationDesc p{"res", "leaky", units, 1, {}, {}};
  p.variables = {{"state", "1", "", {units}}};
  n.populations = {p};
  return n;
}

// The attention plugins of this build tree, when they are built; false otherwise.
inline bool attention_plugins() {
  static const bool ok = [] {
    qputenv("RANSIM_PLUGIN_PATH", RANSIM_PLUGIN_BUILD_DIR);
    ransim::gui::load_plugins({});
    auto& r = ransim::Registry::global();
    return r.find("cortex_qkv") && r.find("hippocampus_memory");
  }();
  return ok;
}

// The full state of a session after `steps` tokens, with optional edits before token k.
inline std::vector<double> reference_state(const ransim::Scenario& sc, std::size_t steps) {
  ransim::Session s(sc);
  for (std::size_t k = 0; k < steps; ++k) s.step();
  return {s.simulator().state().begin(), s.simulator().state().end()};
}

// The state in a frame (lane 0 of every population, concatenated = the state with 1 lane).
inline std::vector<double> frame_state(const ransim::gui::Frame& f) {
  std::vector<double> x;
  for (auto& p : f.pops) x.insert(x.end(), p.state.begin(), p.state.end());
  return x;
}

}  // namespace gui_test
