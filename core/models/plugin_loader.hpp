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

  // Loads every *.so file in the directories (missing directories are skipped; callers check
  // the ones a user named) into `r`. Throws InputError naming the file, the reason and the
  // directories searched, or naming a directory that exists but cannot be read. A plugin
  // that registers a model another plugin already registered (a second copy further along
  // the search path) is skipped whole: the first one found wins, and warnings() names both.
  void load_all(const std::vector<std::string>& dirs, Registry& r);
  // Loads one plugin file. `searched` is only used in error messages. A model name that is
  // already registered, or a registration that throws, is an InputError naming the file.
  void load(const std::string& path, Registry& r, const std::vector<std::string>& searched = {});

  const std::vector<LoadedPlugin>& loaded() const { return loaded_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // load(); with `skip_duplicates`, a plugin whose model another plugin registered is
  // skipped with a warning instead of refused.
  void load_file(const std::string& path, Registry& r, const std::vector<std::string>& searched,
                 bool skip_duplicates);

  std::vector<LoadedPlugin> loaded_;
  std::vector<std::string> warnings_;
};

// <directory of the running executable>/../lib/ransim/plugins: the plugins built with
// ransim, in the build tree and after `cmake --install` alike.
std::string default_plugin_dir();

}  // namespace ransim
