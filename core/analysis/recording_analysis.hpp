#pragma once
// The analysis of one recording (`ransim analyze FILE.h5`, docs/analysis.md): the memory curve
// of a memory_capacity run, and for each population the PCA and power spectrum of its state,
// the attention entropy of attention units and the slot usage of key-value memories; the
// largest Lyapunov exponent of the network rebuilt from the recorded scenario when asked.
// A section the recording cannot serve is marked unavailable with the reason, never an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <armadillo>

#include "analysis/lyapunov.hpp"
#include "analysis/measures.hpp"

namespace ransim::analysis {

struct AnalyzeOptions {
  std::string file;       // the recording
  std::string prefix;     // outputs PREFIX.md, .json, .png, .svg
  bool json = false;      // print the JSON rather than the markdown
  bool quiet = false;     // print nothing (the files are written all the same)
  bool lyapunov = false;  // rebuild the network and measure the exponent
  LyapunovOptions lyapunov_options;
  double slot_threshold = kDefaultSlotThreshold;
  std::vector<std::string> plugin_dirs;
};

// What a section found, or why it could not: available = false and `note` says why.
struct Availability {
  bool available = false;
  std::string note;
};

struct MemoryCurveSection : Availability {
  arma::vec r2;                      // per delay d = 1..D
  double sum = 0;                    // = memory capacity over the test tokens
  double stored = arma::datum::nan;  // /analysis/metrics/memory_capacity_test, if present
  std::int64_t first = 0, end = 0;   // the test tokens [first, end)
};

struct EntropySection : Availability {
  std::string source;   // the variable it comes from: attention_entropy or attention
  arma::vec over_time;  // per sample: the mean over units and lanes
  arma::vec per_unit;   // per unit: the mean over samples and lanes
};

struct SlotSection : Availability {
  std::size_t units = 0, slots = 0;
  double mean_share = 0;  // the mean share of slots active (all units, lanes, samples)
  std::size_t dead = 0;   // dead slots over all units (a unit's slot active in no sample of any lane)
  arma::vec over_time;    // per sample: the share of slots active, mean over units and lanes
};

struct PopulationSection {
  std::string name, kind;
  std::size_t variables = 0;  // state values per lane
  Availability state;         // whether the state was recorded (PCA and spectrum need it)
  Pca pca;
  Spectrum spectrum;
  EntropySection entropy;
  SlotSection slots;
};

struct RecordingAnalysis {
  std::string file, status, scenario_path, task;
  bool complete = false;
  double token_period = 1;
  std::size_t lanes = 1, samples = 0;  // samples of the state series
  std::int64_t first_token = 0;        // the input token of the first sample
  std::size_t edits = 0;               // /general/parameter_edits rows
  MemoryCurveSection memory;
  std::vector<PopulationSection> populations;
  Availability lyapunov;
  double lyapunov_exponent = arma::datum::nan;
};

// Reads and analyses the recording; InputError if the file is not a ransim recording.
RecordingAnalysis analyze_recording(const AnalyzeOptions& options);

}  // namespace ransim::analysis
