// libFuzzer target: the comparison config parser (load_compare), which assembles and
// validates every run's scenario. The input is written to a file (load_compare reads a
// path); it may end with a line "#--set" and overrides, one per line, applied to every run
// (fuzz_support.hpp). An input whose first line is "#quick" is read as with --quick.
// Bad input must end in an InputError; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_support.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "study/compare.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static ransim::PluginLoader loader;
  loader.load_all({RANSIM_PLUGIN_DIR}, ransim::Registry::global());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ransim::fuzz::split_sets(data, size);
  const bool quick = input.text.rfind("#quick\n", 0) == 0;
  const std::string path = ransim::fuzz::write_input(
      "compare.toml", reinterpret_cast<const std::uint8_t*>(input.text.data()), input.text.size());
  try {
    const ransim::CompareConfig cfg = ransim::load_compare(path, quick, input.sets);
    (void)cfg;
  } catch (const ransim::InputError&) {
  }
  return 0;
}
