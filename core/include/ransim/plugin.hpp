#pragma once
// Population models in shared libraries, loaded at run time (DESIGN.md 2.3).
//
// A plugin defines one registration function and exports it with RANSIM_PLUGIN:
//
//   void register_models(ransim::Registry& r) { r.add({...}); }
//   RANSIM_PLUGIN(register_models)
//
// The loader checks the plugin's ABI version before calling anything else in it.
#include <string>
#include <vector>

#include "ransim/registry.hpp"

// Bumped whenever Population, PopulationInfo, Registry or the types they use change
// layout or meaning: a plugin built against another version is refused, not run.
#define RANSIM_PLUGIN_ABI_VERSION 1

#define RANSIM_PLUGIN(register_function)                                               \
  extern "C" __attribute__((visibility("default"))) int ransim_plugin_abi_version() {  \
    return RANSIM_PLUGIN_ABI_VERSION;                                                  \
  }                                                                                    \
  extern "C" __attribute__((visibility("default"))) void ransim_plugin_register(      \
      ransim::Registry& registry) {                                                    \
    register_function(registry);                                                       \
  }

namespace ransim {

struct LoadedPlugin {
  std::string path;
  std::vector<std::string> models;  // kinds it registered
};

class PluginLoader {
 public:
  // Directories searched, in order: `explicit_dirs` (--plugin-dir), the colon-separated
  // RANSIM_PLUGIN_PATH, then the default directory (default_plugin_dir()).
  static std::vector<std::string> search_path(const std::vector<std::string>& explicit_dirs = {});

  // Loads every *.so file in the directories (missing directories are skipped) into `r`.
  // Throws InputError naming the file, the reason and the directories searched.
  void load_all(const std::vector<std::string>& dirs, Registry& r);
  // Loads one plugin file. `searched` is only used in error messages.
  void load(const std::string& path, Registry& r, const std::vector<std::string>& searched = {});

  const std::vector<LoadedPlugin>& loaded() const { return loaded_; }

 private:
  std::vector<LoadedPlugin> loaded_;
};

// <directory of the running executable>/../lib/ransim/plugins: the plugins built with
// ransim, in the build tree and after `cmake --install` alike.
std::string default_plugin_dir();

}  // namespace ransim
