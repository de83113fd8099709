#pragma once
// The part of a recording that lets anyone rebuild the run: the scenario, seed, version,
// integrator and every weight, under /general and /network (docs/file-format.md).
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

class Recorder;

void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net);

// A live parameter edit as applied: from input token `token` on (time token * T).
struct ParameterEdit {
  std::size_t token = 0;
  double time = 0;
  std::string population, key;
  Value value;
};
// /general/parameter_edits: every edit so far (rewritten whole; edits are rare).
void write_parameter_edits(Recorder& rec, const std::vector<ParameterEdit>& edits);
// A value as TOML that reads back to the same value (reals with 17 significant digits).
std::string toml_value(const Value& v);

}  // namespace ransim
