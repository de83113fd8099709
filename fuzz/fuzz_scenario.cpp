// libFuzzer target: the scenario parser with `--set` overrides (parse_scenario). The input is
// a scenario's TOML text, optionally followed by a line "#--set" and one override per line
// (fuzz_support.hpp). Bad input must end in an InputError; anything else (another exception,
// a crash, a sanitizer report, a hang) is a bug. The bundled plugins are loaded once, as the
// CLI does, so their parameter specifications are fuzzed too.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "scenario/scenario.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static ransim::PluginLoader loader;
  loader.load_all({RANSIM_PLUGIN_DIR}, ransim::Registry::global());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ransim::fuzz::split_sets(data, size);
  try {
    const ransim::Scenario sc = ransim::parse_scenario(input.text, "fuzz.toml", input.sets);
    (void)sc;
  } catch (const ransim::InputError&) {
  }
  return 0;
}
