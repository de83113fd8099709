#include "models/plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ransim/error.hpp"

namespace ransim {

namespace fs = std::filesystem;

std::string default_plugin_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (exe.parent_path().parent_path() / "lib" / "ransim" / "plugins").string();
}

std::vector<std::string> PluginLoader::search_path(const std::vector<std::string>& explicit_dirs) {
  std::vector<std::string> dirs = explicit_dirs;
  if (const char* env = std::getenv("RANSIM_PLUGIN_PATH")) {
    std::stringstream ss(env);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  const std::string def = default_plugin_dir();
  if (!def.empty()) dirs.push_back(def);
  return dirs;
}

static std::string joined(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return "(none)";
  std::string out;
  for (auto& d : dirs) out += (out.empty() ? "" : ", ") + d;
  return out;
}

void PluginLoader::load(const std::string& path, Registry& r, const std::vector<std::string>& searched) {
  load_file(path, r, searched, false);
}

void PluginLoader::load_file(const std::string& path, Registry& r, const std::vector<std::string>& searched,
                             bool skip_duplicates) {
  const std::string where = "plugin '" + path + "': ";
  const std::string tail = searched.empty() ? "" : " (directories searched: " + joined(searched) + ")";
  // RTLD_LOCAL keeps plugins' symbols apart; libransim itself is shared with the host.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw InputError(where + "cannot load: " + dlerror() + tail);
  using AbiFn = int (*)();
  using RegisterFn = void (*)(Registry&);
  auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "ransim_plugin_abi_version"));
  auto reg = reinterpret_cast<RegisterFn>(dlsym(handle, "ransim_plugin_register"));
  if (!abi || !reg) {
    dlclose(handle);
    throw InputError(where + "not a ransim plugin: missing symbol " +
                     std::string(abi ? "ransim_plugin_register" : "ransim_plugin_abi_version") +
                     " (define it with RANSIM_PLUGIN(...) from ransim/plugin.hpp)" + tail);
  }
  if (const int v = abi(); v != RANSIM_PLUGIN_ABI_VERSION) {
    dlclose(handle);
    throw InputError(where + "built for plugin ABI " + std::to_string(v) + ", but this ransim has ABI " +
                     std::to_string(RANSIM_PLUGIN_ABI_VERSION) + "; rebuild it against this version" + tail);
  }
  // Register into a scratch registry first and check every name, so that a plugin with a
  // duplicate name adds nothing at all.
  Registry scratch;
  try {
    reg(scratch);
  } catch (const std::exception& e) {
    throw InputError(where + "its registration failed: " + e.what());
  } catch (...) {
    throw InputError(where + "its registration failed (a non-standard exception)");
  }
  for (auto& info : scratch.all())
    if (const auto* old = r.find(info.kind)) {
      // Another plugin file registered it first: a second copy on the search path (the handle
      // stays open, as for any plugin: its code may still be referenced).
      if (skip_duplicates && old->origin != "built-in") {
        warnings_.push_back(where + "skipped: population model '" + info.kind +
                            "' is already registered by " + old->origin +
                            " (the first plugin on the search path wins)");
        return;
      }
      throw InputError(where + "population model '" + info.kind + "' is already registered by " +
                       old->origin + tail);
    }
  LoadedPlugin rec{path, {}};
  for (auto info : scratch.all()) {
    info.origin = path;
    rec.models.push_back(info.kind);
    r.add(std::move(info));
  }
  loaded_.push_back(std::move(rec));  // the handle stays open for the life of the process
}

void PluginLoader::load_all(const std::vector<std::string>& dirs, Registry& r) {
  for (auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    std::vector<fs::path> files;
    fs::directory_iterator it(d, ec);
    if (ec) throw InputError("plugin directory '" + d + "': cannot read it: " + ec.message());
    for (auto& e : it)
      if (e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());  // a stable order, whatever the file system's
    for (auto& f : files) {
      const std::string canon = fs::weakly_canonical(f, ec).string();
      if (std::any_of(loaded_.begin(), loaded_.end(), [&](const LoadedPlugin& p) {
            return fs::weakly_canonical(p.path, ec).string() == canon;
          }))
        continue;  // the same file reached through two directories
      load_file(f.string(), r, dirs, true);
    }
  }
}

}  // namespace ransim
