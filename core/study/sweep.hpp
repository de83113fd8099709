#pragma once
// Sweeps (docs/compare.md, "Sweeps"): a [sweep] table of scenario keys and their values,
// combined as a grid or zipped, with derived values computed from the others, e.g.
//
//   [sweep]
//   "population.cortex.units" = [2, 4, 8]
//   "population.hippocampus.units" = "32 - population.cortex.units"
//
// Each combination is a point: one value per key, applied to a run like --set key=value.
#include <string>
#include <vector>

#include "scenario/scenario_table.hpp"
#include "study/compare.hpp"

namespace ransim {

struct SweepKey {
  std::string key;                  // dotted scenario key
  std::vector<std::string> values;  // TOML texts, for a swept key
  std::string expression;           // for a derived key (values empty)
  std::string where;                // file:line:col, for messages
};

struct Sweep {
  bool zip = false;            // mode = "zip": the i-th values of every key together; else the grid
  std::vector<SweepKey> keys;  // in file order
};

// Reads a [sweep] table (`name` is how the file spells it, for messages). Throws InputError.
Sweep read_sweep(const std::string& path, const toml::table& table, const std::string& name);

// `over`'s keys replace or join `base`'s; its mode wins when it names one.
Sweep merge_sweeps(const Sweep& base, const Sweep& over, bool over_names_mode);

// A grid of more points than this is refused (a typo in a long list would otherwise ask for
// billions of runs).
inline constexpr std::size_t kMaxSweepPoints = 1000000;

// Every point in order (the first key varies slowest); one empty point for an empty sweep.
// Throws InputError for zipped keys of different lengths, or a derived value that cannot be
// computed.
std::vector<std::vector<SweepValue>> expand(const Sweep& sweep);

// The value of a derived key's arithmetic (+ - * / parentheses, numbers, and keys of `point`
// that hold numbers), as TOML text: an integer when every operand is one and the result is
// whole. Throws InputError naming `where`.
std::string evaluate(const std::string& expression, const std::vector<SweepValue>& point,
                     const std::string& where);

// A scalar TOML node (number, string, boolean) as TOML text; anything else is an InputError
// naming the node and `key`.
std::string toml_scalar(const std::string& path, const toml::node& n, const std::string& key);
// The shortest text that reads back as the same double, and reads as a TOML float.
std::string toml_real(double v);

// A value as shown in tables: strings without their quotes.
std::string shown(const std::string& toml_value);

}  // namespace ransim
