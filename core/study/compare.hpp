#pragma once
// `ransim compare` (docs/compare.md): model variants x tasks x seeds at a stated budget, from
// one TOML config. Every run's scenario is assembled and validated before the first run
// starts, so a typo in the last model fails at once.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "run/run.hpp"
#include "run/sizes.hpp"
#include "scenario/scenario.hpp"

namespace ransim {

// One swept key's value in a run (docs/compare.md, "Sweeps"): the dotted scenario key and the
// value as TOML text.
struct SweepValue {
  std::string key, value;
  bool derived = false;  // computed from the other keys (not an axis of the sweep)
  bool operator==(const SweepValue&) const = default;
};

struct CompareRun {
  std::string model, task;
  std::uint64_t seed = 0;
  std::vector<SweepValue> point;  // the sweep's values of this run; empty without a sweep
  std::size_t point_index = 0;    // its index among its model's points (or its trial)
  // Its trial of a hyper-parameter search (search.hpp), whose values are `point`; -1: none.
  long trial = -1;
  Scenario scenario;
  RunSizes sizes;  // state, trained weights and the seed's parameter count, known before it runs
  // "model/task/seed_N" plus "/key=value" per swept key: names the run in every output and
  // across processes (shards, resume).
  std::string id() const;
};

// [budget] (docs/compare.md, "Budgets"): each quantity a target (+- tolerance) or a range.
struct BudgetLimit {
  const char* key = "";     // as the config spells it
  const char* what = "";    // as messages say it
  double min = 0, max = 0;  // inclusive; max = 0: unchecked
};

struct Budget {
  BudgetLimit state{"state", "state variables per lane"};
  BudgetLimit fixed{"fixed", "fixed weights"};
  BudgetLimit trained{"trained", "trained weights"};
  BudgetLimit parameters{"parameters", "parameters by the seed's formula"};
  bool skip = false;  // outside = "skip": a run outside the budget is left out, not an error
};

struct CompareConfig {
  std::string path, description;
  bool quick = false;
  std::vector<std::string> models, tasks;  // in file order (after --quick's selection)
  std::vector<std::uint64_t> seeds;
  Budget budget;
  // Runs left out because they are outside the budget (budget.outside = "skip"): id and why.
  std::vector<std::string> skipped;
  std::vector<CompareRun> runs;  // model-major, then task, then seed
};

// Reads and checks a config; `sets` (dotted keys of a scenario, e.g. "readout.ridge=1e-6")
// apply to every run. Throws InputError naming file:line:col.
CompareConfig load_compare(const std::string& path, bool quick, const std::vector<std::string>& sets = {});

// `ransim run SCENARIO --sweep FILE`: one scenario over the points of FILE's [sweep] table
// (and its optional `seeds`; default: the scenario's seed), as a comparison of one model (the
// scenario's name) on its task. Throws InputError.
CompareConfig load_scenario_sweep(const std::string& scenario, const std::string& sweep_path,
                                  const std::vector<std::string>& sets = {});

struct CompareOutcome {
  const CompareRun* run = nullptr;
  RunResult result;
};

// One run; a run that cannot be done at all (e.g. a data file that cannot be read) comes back
// with status Failed and the message.
CompareOutcome run_one(const CompareRun& run, const std::atomic<int>* stop = nullptr);

// One row per (model, sweep point, task): the task's main metric over seeds.
struct CompareRow {
  std::string model, task, metric;
  std::vector<SweepValue> point;
  bool higher_is_better = false;
  double mean = 0, std = 0;  // over the seeds that completed (NaN if none)
  std::size_t completed = 0, runs = 0;
  std::size_t state_size = 0, fixed_weights = 0, readout_weights = 0;
  std::size_t seed_parameters = 0;  // RunSizes::seed_parameters (0: no attention units)
  // A searched model's row is its winning trial's (best mean validation metric): `point` holds
  // the winner's values, `trials` how many trials were compared (0: no search).
  std::size_t trials = 0;
  double wall_seconds = 0;  // mean per run
  // The attention regime: the mean over completed seeds of the run's attention_entropy_*
  // metrics (averaged over its attention populations); NaN for a model without attention.
  double attention_entropy = NAN;
  // Readout selection (readout.ridge = "auto" or a list): the mean over completed seeds of the
  // validation score (<metric>_validation; NaN without a validation split) and the range of
  // the chosen lambdas (NaN with a fixed lambda).
  double validation = NAN;
  double ridge_min = NAN, ridge_max = NAN;
};

struct CompareResult {
  std::vector<CompareOutcome> outcomes;
  std::vector<CompareRow> rows;  // task-major, models in config order
};

// The rows of the outcomes done so far (in any order, any subset of cfg.runs).
std::vector<CompareRow> summarise(const CompareConfig& cfg, const std::vector<CompareOutcome>& outcomes);

// Runs everything in order; `on_run` is called after each run. A run that fails (diverged,
// saturated, a RunError) is recorded with its status and the comparison goes on.
CompareResult run_compare(const CompareConfig& cfg, const std::atomic<int>* stop = nullptr,
                          const std::function<void(const CompareOutcome&, std::size_t index)>& on_run = {});

std::string compare_markdown(const CompareConfig& cfg, const CompareResult& r);
std::string compare_csv(const CompareConfig& cfg, const CompareResult& r);
std::string compare_json(const CompareConfig& cfg, const CompareResult& r);
// PREFIX.md, .csv, .json, .h5 (every run: scenario, metrics, sizes, status) and the figures
// (compare_figures.hpp). Returns the paths written.
std::vector<std::string> write_compare_outputs(const CompareConfig& cfg, const CompareResult& r,
                                               const std::string& prefix);

}  // namespace ransim
