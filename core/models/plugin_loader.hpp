#pragma once
// Finds and loads population-model plugins (shared libraries) into a Registry. The plugin
// side of the contract (RANSIM_PLUGIN, the ABI version) is in the SDK's ransim/plugin.hpp.
#include <string>
#include <vector>

#include "ransim/plugin.hpp"

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
