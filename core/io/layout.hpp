#pragma once
// The recording format's layout (docs/file-format.md): every group, dataset and attribute
// name of a ransim HDF5 file is spelled here and nowhere else in the code. The writers
// (write_setup, the session, the episode runner, compare) and the readers (the GUI's replay)
// ask this header for paths, so a change to the format is a change to this file.
#include <cstdint>
#include <string>

namespace ransim::layout {

// Format version, root attribute kFormat.
inline constexpr const char* kFormatVersion = "1";

// Attributes of the root group "/".
inline constexpr const char* kRoot = "/";
inline constexpr const char* kComplete = "complete";  // int32, 1 only for a complete run
inline constexpr const char* kStatus = "status";      // str, run/status.hpp's names
inline constexpr const char* kFormat = "ransim_format";

// Attributes shared by many objects.
inline constexpr const char* kUnit = "unit";
inline constexpr const char* kDescription = "description";
inline constexpr const char* kKind = "kind";

// A TimeSeries group's members and their attributes (NWB's names).
inline constexpr const char* kData = "data";
inline constexpr const char* kStartingTime = "starting_time";
inline constexpr const char* kRate = "rate";
inline constexpr const char* kConversion = "conversion";
inline constexpr const char* kResolution = "resolution";
inline constexpr const char* kSeconds = "seconds";
inline std::string series_data(const std::string& group) { return group + "/" + kData; }
inline std::string series_starting_time(const std::string& group) { return group + "/" + kStartingTime; }

// A CSR group's members (scipy.sparse order) and anndata's markers.
inline constexpr const char* kCsrData = "data";
inline constexpr const char* kCsrIndices = "indices";
inline constexpr const char* kCsrIndptr = "indptr";
inline constexpr const char* kCsrShape = "shape";
inline constexpr const char* kEncodingType = "encoding-type";
inline constexpr const char* kEncodingVersion = "encoding-version";

// /general: what rebuilds the run.
namespace general {
inline constexpr const char* kScenario = "/general/scenario";
inline constexpr const char* kOverrides = "/general/overrides";
inline constexpr const char* kScenarioPath = "/general/scenario_path";
inline constexpr const char* kSeed = "/general/seed";
inline constexpr const char* kVersion = "/general/ransim_version";
inline constexpr const char* kCommandLine = "/general/command_line";
inline constexpr const char* kLanes = "/general/lanes";
inline constexpr const char* kMethod = "/general/integrator/method";
inline constexpr const char* kDt = "/general/integrator/dt";
inline constexpr const char* kTokenPeriod = "/general/integrator/token_period";
inline constexpr const char* kAbsTol = "/general/integrator/abs_tol";
inline constexpr const char* kRelTol = "/general/integrator/rel_tol";
// Live parameter edits (Session::set_parameter, the GUI), one row per edit in the order applied,
// since the run's first token: the token it applies from, its time (token * T), the population,
// the parameter and the new value as TOML. Zero rows when nothing was edited.
inline constexpr const char* kEdits = "/general/parameter_edits";
inline constexpr const char* kEditToken = "/general/parameter_edits/token";
inline constexpr const char* kEditTime = "/general/parameter_edits/time";
inline constexpr const char* kEditPopulation = "/general/parameter_edits/population";
inline constexpr const char* kEditKey = "/general/parameter_edits/key";
inline constexpr const char* kEditValue = "/general/parameter_edits/value";
}  // namespace general

// /train: what `ransim train` did (docs/training.md). The trained weights themselves are the
// network's, under /network, where every recording keeps them.
namespace train {
inline constexpr const char* kTrain = "/train";
inline constexpr const char* kTrainable = "/train/trainable";  // str: the trained weights' names, space-separated
inline constexpr const char* kTrainLoss = "/train/loss_train";            // [epochs]
inline constexpr const char* kValidationLoss = "/train/loss_validation";  // [epochs]
// [1]: the validation targets' variance (mean over outputs), so that loss / variance is relative
inline constexpr const char* kValidationTargetVariance = "/train/validation_target_variance";
inline constexpr const char* kReadout = "/train/readout";  // [outputs, features + 1], the trained readout
inline constexpr const char* kBestEpoch = "/train/best_epoch";
inline constexpr const char* kEnd = "/train/end";  // str: epochs | early stopping | interrupted
// A checkpoint (PREFIX.checkpoint.h5) adds the current values, as opposed to the best ones,
// and Adam's state, so that a training goes on where it stopped.
inline constexpr const char* kValues = "/train/checkpoint/values";
inline constexpr const char* kCurrentReadout = "/train/checkpoint/readout";
inline constexpr const char* kBestValues = "/train/checkpoint/best_values";
inline constexpr const char* kAdamFirst = "/train/checkpoint/adam_m";
inline constexpr const char* kAdamSecond = "/train/checkpoint/adam_v";
inline constexpr const char* kAdamSteps = "/train/checkpoint/adam_steps";
}  // namespace train

// /network: populations, projections, readout.
namespace network {
inline constexpr const char* kPopulations = "/network/populations";
inline constexpr const char* kProjections = "/network/projections";
inline std::string population(const std::string& name) { return std::string(kPopulations) + "/" + name; }
// A parameter or a fixed weight of a population, e.g. /network/populations/res/tau.
inline std::string population_member(const std::string& pop, const std::string& member) {
  return population(pop) + "/" + member;
}
inline std::string state_offset(const std::string& pop) { return population_member(pop, "state_offset"); }
inline std::string projection(const std::string& name) { return std::string(kProjections) + "/" + name; }
inline std::string projection_weights(const std::string& name, const std::string& source) {
  return projection(name) + "/weights_from_" + source;
}
// Projection attributes: space-separated sources, the target population, the kind.
inline constexpr const char* kSource = "source";
inline constexpr const char* kTarget = "target";

inline constexpr const char* kReadout = "/network/readout";
inline constexpr const char* kReadoutWeights = "/network/readout/weights";
inline constexpr const char* kReadoutFeatures = "/network/readout/features";
inline constexpr const char* kRidge = "ridge";  // attribute of kReadout
// Attributes of kReadout for readout.kind = "rls" | "force" (kKind names the kind): the
// forgetting factor, P's initial I / alpha, the tokens between updates, the updates made.
inline constexpr const char* kForgetting = "forgetting";
inline constexpr const char* kAlpha = "alpha";
inline constexpr const char* kLearnEvery = "learn_every";
inline constexpr const char* kUpdates = "updates";
}  // namespace network

// /acquisition: what the network was given and asked for.
namespace acquisition {
inline constexpr const char* kInput = "/acquisition/input";
inline constexpr const char* kTarget = "/acquisition/target";
}  // namespace acquisition

// /processing: recorded variables, one TimeSeries per (population, variable).
namespace processing {
inline constexpr const char* kGroup = "/processing";
inline std::string population(const std::string& pop) { return std::string(kGroup) + "/" + pop; }
inline std::string variable(const std::string& pop, const std::string& var) {
  return population(pop) + "/" + var;
}
}  // namespace processing

// /analysis: the readout's output, the scores and the split they were computed on.
namespace analysis {
inline constexpr const char* kReadoutOutput = "/analysis/readout/output";
inline constexpr const char* kTestOutput = "/analysis/readout/test_output";
inline constexpr const char* kTestTarget = "/analysis/readout/test_target";
inline constexpr const char* kMetrics = "/analysis/metrics";
inline std::string metric(const std::string& name) { return std::string(kMetrics) + "/" + name; }
// Group whose attributes give each segment as [first, end) in kSplitUnit ("token" or
// "episode"): warmup, train, validation (when a task has one) and test.
inline constexpr const char* kSplit = "/analysis/split";
inline constexpr const char* kSplitUnit = "unit";
inline constexpr const char* kWarmup = "warmup";
inline constexpr const char* kTrain = "train";
inline constexpr const char* kValidation = "validation";
inline constexpr const char* kTest = "test";
// readout.ridge = "auto" or [..]: every candidate lambda and its score on the validation split
// (the task's metric; NaN where the fit failed); the chosen lambda is the metric
// ridge_selected and the attribute kRidge of /network/readout.
inline constexpr const char* kRidgeSelection = "/analysis/ridge_selection";
inline constexpr const char* kRidgeCandidates = "/analysis/ridge_selection/lambda";
inline constexpr const char* kRidgeScores = "/analysis/ridge_selection/validation_score";
}  // namespace analysis

// `ransim compare`'s PREFIX.h5: the config, then one group per run.
namespace comparison {
inline constexpr const char* kConfig = "/general/config";
inline constexpr const char* kDescription = "/general/description";
inline constexpr const char* kQuick = "/general/quick";
// A run of a sweep sits under its model's point: /runs/<model>/point_<k>/<task>/seed_<n>.
inline std::string run(const std::string& model, const std::string& task, std::uint64_t seed,
                       const std::string& point = "") {
  return "/runs/" + model + (point.empty() ? "" : "/" + point) + "/" + task + "/seed_" + std::to_string(seed);
}
inline std::string point(std::size_t index) { return "point_" + std::to_string(index); }
inline constexpr const char* kRunSweep = "sweep";  // one string per swept key: its value
// Members of a run's group (kMetrics holds one scalar per metric).
inline constexpr const char* kRunScenario = "scenario";
inline constexpr const char* kRunStatus = "status";
inline constexpr const char* kRunMessage = "message";
inline constexpr const char* kRunStateSize = "state_size";
inline constexpr const char* kRunFixedWeights = "fixed_weights";
inline constexpr const char* kRunReadoutWeights = "readout_weights";
inline constexpr const char* kRunWallSeconds = "wall_seconds";
inline constexpr const char* kRunMetrics = "metrics";
}  // namespace comparison

}  // namespace ransim::layout
