#pragma once
// Scenario parsing from an already parsed TOML table, for `ransim compare`, which assembles
// each run's scenario from parts of its config file (nodes keep their file:line:col).
#include <toml++/toml.h>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace ransim {

// Where a node stands, for messages: "path:line:col" ("path" for a node made in memory).
inline std::string toml_where(const std::string& path, const toml::node& n) {
  const auto& b = n.source().begin;
  return b.line ? path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) : path;
}

// toml::parse with errors as InputError "path:line:col: what".
toml::table parse_toml(const std::string& text, const std::string& path);

// `text` is what the recording stores as the scenario.
Scenario scenario_from_table(toml::table root, const std::string& text, const std::string& path,
                             const std::vector<std::string>& sets = {});

}  // namespace ransim
