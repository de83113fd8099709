#pragma once
// Scenarios: one TOML file describing a whole run (docs/scenarios.md).
// Every key is checked against a specification; errors name file:line:col (or the --set
// flag), the key, what was expected and what was found.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/simulator.hpp"
#include "ransim/params.hpp"

namespace ransim {

struct PopulationDecl {
  std::string name, kind;
  Params params;
};

struct ProjectionDecl {
  std::string name;               // "from_to_to" unless given
  std::vector<std::string> from;  // "input" or population names (several for identity)
  std::string to;
  std::string kind;  // "sparse" | "identity"
  Params params;
  std::vector<double> share;  // identity routing: the sources' shares of the slots (empty: by size)
};

// Two recorded variables that should agree (e.g. a construction and the model it implements);
// the run reports max |a - b| / max |b| over all tokens and lanes as `max_rel_dev_<name>`.
struct CompareDecl {
  std::string name;
  std::string a, b;  // "population.variable"
};

struct Scenario {
  std::string path;                    // as given ("<string>" for text)
  std::string text;                    // the file, verbatim
  std::vector<std::string> overrides;  // --set key=value, in order
  std::string description;
  std::uint64_t seed = 42;
  IntegratorSettings integrator;
  std::size_t lanes = 1;
  std::size_t threads = 1;
  std::string task_kind;
  Params task;
  std::vector<PopulationDecl> populations;
  std::vector<ProjectionDecl> projections;
  Params readout;                             // ridge, include_input
  // readout.ridge = "auto" or [a, b, ...]: the lambdas chosen from on the validation split;
  // empty: readout.ridge is the lambda.
  std::vector<double> readout_ridge_candidates;
  std::vector<std::string> readout_from;      // population names; empty: all
  Params record;                              // file, flush_interval, compression
  std::vector<std::string> record_variables;  // "pop" or "pop.variable"; empty: all
  std::vector<CompareDecl> compares;
  // [network] weights_file: trained weights loaded over the drawn ones (docs/training.md).
  std::string weights_file;
  // [train]: what `ransim train` trains and how (train_specs()); `trainable` names the weights.
  Params train;
  std::vector<std::string> train_trainable;
};

// Reads and validates a scenario. `sets` are "dotted.key=value" overrides applied before
// validation (the value is TOML; a bare word is taken as a string). Throws InputError.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets = {});
Scenario parse_scenario(const std::string& text, const std::string& path,
                        const std::vector<std::string>& sets = {});

// The specifications of the fixed sections, for `ransim info` and docs.
const std::vector<ParamSpec>& simulation_specs();
const std::vector<ParamSpec>& readout_specs();
const std::vector<ParamSpec>& record_specs();
const std::vector<ParamSpec>& train_specs();
const std::vector<ParamSpec>& sparse_projection_specs();
const std::vector<ParamSpec>& identity_projection_specs();

}  // namespace ransim
