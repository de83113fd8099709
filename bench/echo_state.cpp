// Measures the echo-state property of a scenario's reservoir as a function of one gain: the
// largest Lyapunov exponent per token (analysis/lyapunov.hpp, the estimate `ransim analyze
// --lyapunov` reports; 300 tokens to settle, 500 measured). lambda < 0: nearby states converge
// (echo states); lambda > 0: they separate.
//
//   ransim_echo_state SCENARIO KEY V1 V2 ... [--set k=v]...
//   e.g. ransim_echo_state scenarios/ran_figure_c.toml population.cortex.wo_scale 0.25 0.5 1 2
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/lyapunov.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "scenario/scenario.hpp"

using namespace ransim;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SCENARIO KEY V1 [V2...] [--set k=v]...\n", argv[0]);
    return 2;
  }
  try {
    PluginLoader loader;
    loader.load_all(PluginLoader::search_path(), Registry::global());
    const std::string path = argv[1], key = argv[2];
    std::vector<std::string> values, sets;
    for (int i = 3; i < argc; ++i) {
      if (std::string(argv[i]) == "--set" && i + 1 < argc) sets.push_back(argv[++i]);
      else values.push_back(argv[i]);
    }
    std::printf("| %s | lambda per token | echo states |\n|---|---|---|\n", key.c_str());
    for (auto& v : values) {
      auto s = sets;
      s.push_back(key + "=" + v);
      const double l = analysis::largest_lyapunov(load_scenario(path, s));
      std::printf("| %s | %.4f | %s |\n", v.c_str(), l, l < 0 ? "yes" : "no");
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
