// The model plugins, loaded when the module is imported: RANSIM_PLUGIN_PATH, then the plugins
// bundled with the module (found relative to the module file, in the build tree and once
// installed), as the command line finds them relative to itself. load_plugins() adds more.
#include <dlfcn.h>

#include <filesystem>
#include <sstream>

#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

namespace fs = std::filesystem;

PluginLoader& loader() {
  static PluginLoader* l = new PluginLoader;  // never freed: registered models point into it
  return *l;
}

// The directory holding this module's shared library.
fs::path module_dir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&module_dir), &info) || !info.dli_fname) return {};
  return fs::absolute(info.dli_fname).parent_path();
}

// RANSIM_PLUGIN_PATH, then the bundled plugins next to the module. The command line's default
// (relative to the running executable) would be the Python interpreter's: left out.
std::vector<std::string> search_path() {
  std::vector<std::string> dirs = PluginLoader::search_path();
  if (!dirs.empty() && dirs.back() == default_plugin_dir()) dirs.pop_back();
  const fs::path here = module_dir();
  std::stringstream relative(RANSIM_PLUGINS_FROM_MODULE);
  for (std::string rel; std::getline(relative, rel, ':');) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(here / rel, ec);
    if (!ec && fs::is_directory(dir, ec)) {
      dirs.push_back(dir.string());
      break;  // the build tree's or the installed copy, never both
    }
  }
  return dirs;
}

void warn_about(std::size_t first) {
  const auto& warnings = loader().warnings();
  for (std::size_t i = first; i < warnings.size(); ++i)
    PyErr_WarnEx(PyExc_RuntimeWarning, warnings[i].c_str(), 1);
}

py::list loaded_plugins() {
  py::list out;
  for (auto& p : loader().loaded())
    out.append(py::dict(py::arg("path") = p.path, py::arg("models") = p.models));
  return out;
}

}  // namespace

void bind_plugins(py::module_& m) {
  const std::size_t before = loader().warnings().size();
  loader().load_all(search_path(), Registry::global());
  warn_about(before);

  m.def(
      "load_plugins",
      [](const std::string& dir) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
          throw InputError("load_plugins: " + dir + ": " +
                           (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
        const std::size_t first = loader().warnings().size();
        loader().load_all({dir}, Registry::global());
        warn_about(first);
      },
      py::arg("directory"),
      "Loads every plugin (*.so) of a directory, as ransim's --plugin-dir does; a model that another "
      "plugin already registered is skipped with a RuntimeWarning naming both files.");
  m.def("plugins", &loaded_plugins, "The plugins loaded so far: a list of {'path', 'models'}.");
  m.def(
      "models",
      [] {
        std::vector<std::string> kinds;
        for (auto& info : Registry::global().all()) kinds.push_back(info.kind);
        return kinds;
      },
      "The population models available (built-in and from plugins).");
}

}  // namespace ransim::python
