// Scenarios from Python: a path to a TOML file, the TOML text itself, or a dict with the same
// tables (written out as TOML, so it is validated exactly like a file); overrides as `--set`.
#include <toml++/toml.h>

#include <filesystem>
#include <sstream>

#include "ransim/error.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

std::string type_name(py::handle value) { return py::str(py::type::of(value).attr("__name__")); }

// A Python value as a TOML node: bool, int, float, str, list/tuple of values, dict of tables.
// numpy scalars count as ints and floats. `key` names the value in errors.
std::unique_ptr<toml::node> to_toml(py::handle value, const std::string& key) {
  if (py::isinstance<py::bool_>(value)) return std::make_unique<toml::value<bool>>(value.cast<bool>());
  const bool text = py::isinstance<py::str>(value);
  if (py::isinstance<py::int_>(value) ||
      (!text && !py::isinstance<py::float_>(value) && py::hasattr(value, "__index__")))
    return std::make_unique<toml::value<std::int64_t>>(value.attr("__index__")().cast<std::int64_t>());
  if (!text && (py::isinstance<py::float_>(value) || py::hasattr(value, "__float__")))
    return std::make_unique<toml::value<double>>(value.attr("__float__")().cast<double>());
  if (py::isinstance<py::str>(value))
    return std::make_unique<toml::value<std::string>>(value.cast<std::string>());
  if (py::isinstance<py::dict>(value)) {
    auto table = std::make_unique<toml::table>();
    for (auto [k, v] : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k))
        throw InputError(key + ": a table's keys must be strings, found a " + type_name(k));
      const std::string name = k.cast<std::string>();
      auto node = to_toml(v, key.empty() ? name : key + "." + name);
      table->insert(name, std::move(*node));
    }
    return table;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    auto array = std::make_unique<toml::array>();
    std::size_t i = 0;
    for (auto item : value) array->push_back(std::move(*to_toml(item, key + "." + std::to_string(i++))));
    return array;
  }
  throw InputError(key + ": expected a bool, number, string, list or dict, found a " + type_name(value));
}

std::string toml_text(const toml::node& node) {
  std::ostringstream os;
  node.visit([&](auto& n) { os << n; });
  return os.str();
}

}  // namespace

std::vector<std::string> set_strings(py::handle sets) {
  std::vector<std::string> out;
  if (sets.is_none()) return out;
  if (!py::isinstance<py::dict>(sets))
    throw InputError("set: expected a dict of dotted keys to values, found a " + type_name(sets));
  for (auto [k, v] : sets.cast<py::dict>()) {
    const std::string key = py::str(k);
    out.push_back(key + "=" + toml_text(*to_toml(v, key)));
  }
  return out;
}

Scenario scenario_from(py::handle scenario, py::handle sets) {
  const std::vector<std::string> overrides = set_strings(sets);
  if (py::isinstance<py::dict>(scenario)) {
    const auto table = to_toml(scenario, "");
    return parse_scenario(toml_text(*table), "<dict>", overrides);
  }
  if (py::isinstance<py::str>(scenario) || py::hasattr(scenario, "__fspath__")) {
    const std::string text = py::str(py::module_::import("os").attr("fspath")(scenario));
    // TOML text has a line break or an '=' ; a path has neither (a file name with '=' is read
    // as a path when it exists).
    std::error_code ec;
    const bool is_text = !py::hasattr(scenario, "__fspath__") &&
                         text.find_first_of("\n=") != std::string::npos && !std::filesystem::exists(text, ec);
    if (is_text) return parse_scenario(text, "<string>", overrides);
    return load_scenario(text, overrides);
  }
  throw InputError("scenario: expected a path, TOML text or a dict, found a " + type_name(scenario));
}

}  // namespace ransim::python
