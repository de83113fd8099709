#pragma once
// Random hyper-parameter search of `ransim compare` (docs/compare.md, "Search"): per model,
//
//   [model.leaky.search]
//   trials = 20                                              # or [search] trials, for every model
//   "population.res.tau" = { min = 1.0, max = 10.0, scale = "log" }
//   "projection.0.spectral_radius" = { min = 0.5, max = 1.2 }
//   "population.res.kind" = ["leaky", "leaky"]               # a choice
//
// Each trial is one draw of every key (seeded by the search seed, the model and the trial
// index, so every task sees the same trials). A trial runs on every seed; the winner per task
// is the trial with the best mean validation metric; its test score is the one reported.
#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario_table.hpp"
#include "study/compare.hpp"

namespace ransim {

struct SearchRange {
  std::string key, where;              // dotted scenario key; file:line:col
  std::uint32_t line = 0, column = 0;  // for file order
  double min = 0, max = 0;             // for a range
  bool log = false, integer = false;
  std::vector<std::string> choices;  // TOML texts, for a choice (then no range)
};

struct Search {
  std::size_t trials = 0;  // 0: no search
  std::uint64_t seed = 1;
  std::vector<SearchRange> keys;  // in file order
};

// The [search] table of the config (trials and seed only) and a model's own
// [model.NAME.search], which may override them. Throws InputError naming file:line:col.
Search read_search(const std::string& path, const toml::table& table, const std::string& name, Search base);

// Trial t's values: one per key.
std::vector<SweepValue> draw_trial(const Search& search, const std::string& model, std::size_t trial);

}  // namespace ransim
