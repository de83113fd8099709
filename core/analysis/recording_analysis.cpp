// Reads a recording (docs/file-format.md) through io/hdf5_file.hpp and applies the measures of
// analysis/measures.hpp to it; every path comes from io/layout.hpp.
#include "analysis/recording_analysis.hpp"

#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>

#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "ransim/error.hpp"
#include "scenario/scenario.hpp"

namespace ransim::analysis {

namespace {

// Beyond these sizes a section is skipped with a note rather than holding the machine.
constexpr std::size_t kMaxValues = std::size_t{1} << 27;  // 1 GiB of doubles per variable read
constexpr std::size_t kMaxPcaVariables = 4096;            // an eigendecomposition of 4096^2
constexpr std::size_t kMinSpectrumSamples = 8;

std::size_t product(const std::vector<std::size_t>& shape, std::size_t from) {
  std::size_t n = 1;
  for (std::size_t i = from; i < shape.size(); ++i) n *= shape[i];
  return n;
}

// A [samples, lanes, ...] series as a matrix with one row per (sample, lane), sample-major,
// and the trailing axes flattened into columns (the recording's own order).
arma::mat rows_of(const Array& a) {
  const std::size_t cols = product(a.shape, 2), rows = cols ? a.values.size() / cols : 0;
  arma::mat transposed(cols, rows);
  if (rows) std::memcpy(transposed.memptr(), a.values.data(), rows * cols * sizeof(double));
  return transposed.t();
}

std::optional<double> scalar(const Hdf5File& f, const std::string& path) {
  if (!f.shape(path)) return std::nullopt;
  const Array a = f.array(path);
  if (a.values.size() != 1) return std::nullopt;
  return a.values[0];
}

// The series at `group`, or nullopt with `why` set when it is missing, empty or too large.
std::optional<Array> series(const Hdf5File& f, const std::string& group, std::string& why) {
  const auto shape = f.shape(layout::series_data(group));
  if (!shape) {
    why = group + " is not in the file";
    return std::nullopt;
  }
  if (shape->size() < 3 || product(*shape, 0) == 0) {
    why = group + " holds no samples";
    return std::nullopt;
  }
  if (product(*shape, 0) > kMaxValues) {
    why = group + " holds " + std::to_string(product(*shape, 0)) +
          " values, more than this analysis reads (" + std::to_string(kMaxValues) + ")";
    return std::nullopt;
  }
  return f.array(layout::series_data(group));
}

// The input token of a series' first sample: states, targets and outputs are sampled at
// (k + 1) T after input token k.
std::int64_t first_token(const Hdf5File& f, const std::string& group, double token_period) {
  const auto t0 = scalar(f, layout::series_starting_time(group));
  return t0 ? static_cast<std::int64_t>(std::llround(*t0 / token_period)) - 1 : 0;
}

void analyze_memory_curve(const Hdf5File& f, const std::string& task, double T, MemoryCurveSection& m) {
  namespace a = layout::analysis;
  if (task.empty() && !f.shape(a::metric("memory_capacity_test"))) {
    m.note = "the memory curve is read from a memory_capacity run, and this run's task is unknown";
    return;
  }
  if (!task.empty() && task != "memory_capacity") {
    m.note =
        "the memory curve is read from a memory_capacity run (targets u[k-d] for d = 1..D); this run's "
        "task is " +
        task + ": run it again with --set task.kind=memory_capacity";
    return;
  }
  std::string why;
  std::optional<Array> y = series(f, layout::acquisition::kTarget, why), yhat;
  if (y) yhat = series(f, a::kReadoutOutput, why);
  const auto test = f.integers_attribute(a::kSplit, a::kTest);
  if (!y || !yhat || !test || test->size() != 2) {
    m.note = "no readout output and test split to correlate with the targets (" +
             (why.empty() ? std::string(a::kSplit) + " has no test range" : why) +
             "; a complete run writes them)";
    return;
  }
  const std::int64_t y0 = first_token(f, layout::acquisition::kTarget, T);
  const std::int64_t o0 = first_token(f, a::kReadoutOutput, T);
  const std::size_t lanes = y->shape[1], D = product(y->shape, 2);
  m.first = std::max({(*test)[0], y0, o0});
  m.end = std::min({(*test)[1], y0 + static_cast<std::int64_t>(y->shape[0]),
                    o0 + static_cast<std::int64_t>(yhat->shape[0])});
  if (product(yhat->shape, 2) != D || yhat->shape[1] != lanes || m.end - m.first < 2) {
    m.note = "the targets and the readout output do not cover the test tokens together";
    return;
  }
  // Rows (token, lane) over the test tokens, as the session scores them.
  const arma::mat all_y = rows_of(*y), all_o = rows_of(*yhat);
  const auto rows = [&](const arma::mat& all, std::int64_t first) {
    return all.rows(static_cast<arma::uword>((m.first - first) * static_cast<std::int64_t>(lanes)),
                    static_cast<arma::uword>((m.end - first) * static_cast<std::int64_t>(lanes) - 1));
  };
  m.r2 = memory_curve(rows(all_y, y0), rows(all_o, o0));
  for (const double v : m.r2) m.sum += v;
  if (const auto stored = scalar(f, a::metric("memory_capacity_test"))) m.stored = *stored;
  m.available = true;
}

void analyze_entropy(const Hdf5File& f, const std::string& pop, EntropySection& e) {
  namespace p = layout::processing;
  std::string why;
  std::optional<Array> a;
  if (f.shape(layout::series_data(p::variable(pop, "attention_entropy")))) {
    e.source = "attention_entropy";
    a = series(f, p::variable(pop, e.source), why);
  } else if (f.shape(layout::series_data(p::variable(pop, "attention")))) {
    e.source = "attention";
    a = series(f, p::variable(pop, e.source), why);
  } else {
    e.note = "no attention maps recorded";
    return;
  }
  if (!a) {
    e.note = why;
    return;
  }
  const std::size_t samples = a->shape[0], lanes = a->shape[1], units = a->shape.size() > 2 ? a->shape[2] : 1;
  arma::vec values;  // one per (sample, lane, unit)
  if (e.source == "attention_entropy") {
    values = arma::vec(a->values);
  } else {
    const auto heads = scalar(f, layout::network::population_member(pop, "heads"));
    const std::size_t groups = heads && *heads >= 1 ? static_cast<std::size_t>(*heads) : 1;
    const std::size_t width = product(a->shape, 3);
    arma::mat transposed(width, samples * lanes * units);
    std::memcpy(transposed.memptr(), a->values.data(), a->values.size() * sizeof(double));
    values = normalised_entropy(transposed.t(), groups);
  }
  const arma::mat by_unit = arma::reshape(values, units, samples * lanes);  // column (sample, lane)
  e.per_unit = arma::mean(by_unit, 1);
  const arma::rowvec per_column = arma::mean(by_unit, 0);
  e.over_time = arma::mean(arma::reshape(per_column, lanes, samples), 0).t();
  e.available = true;
}

void analyze_slots(const Hdf5File& f, const std::string& pop, double threshold, SlotSection& s) {
  const std::string group = layout::processing::variable(pop, "memory");
  if (!f.shape(layout::series_data(group))) {
    s.note = "no memory activations recorded";
    return;
  }
  std::string why;
  const auto a = series(f, group, why);
  if (!a || a->shape.size() != 4) {
    s.note = a ? group + " is not [samples, lanes, units, slots]" : why;
    return;
  }
  const std::size_t samples = a->shape[0], lanes = a->shape[1];
  s.units = a->shape[2], s.slots = a->shape[3];
  s.over_time.zeros(samples);
  for (std::size_t u = 0; u < s.units; ++u) {
    arma::mat m(samples * lanes, s.slots);  // rows (sample, lane)
    for (std::size_t r = 0; r < samples * lanes; ++r)
      for (std::size_t j = 0; j < s.slots; ++j) m(r, j) = a->values[(r * s.units + u) * s.slots + j];
    const SlotUsage usage = slot_usage(m, threshold);
    s.dead += usage.dead;
    s.mean_share += usage.mean_share / static_cast<double>(s.units);
    s.over_time +=
        arma::mean(arma::reshape(usage.sample_share, lanes, samples), 0).t() / static_cast<double>(s.units);
  }
  s.available = true;
}

PopulationSection analyze_population(const Hdf5File& f, const std::string& pop, double T,
                                     const AnalyzeOptions& o) {
  PopulationSection p;
  p.name = pop;
  p.kind = f.string_attribute(layout::network::population(pop), layout::kKind).value_or("?");
  std::string why;
  if (const auto state = series(f, layout::processing::variable(pop, "state"), why)) {
    p.variables = product(state->shape, 2);
    const arma::mat x = rows_of(*state);
    p.state.available = true;
    if (p.variables <= kMaxPcaVariables) p.pca = pca(x);
    else
      p.state.note = "PCA skipped: " + std::to_string(p.variables) + " variables (at most " +
                     std::to_string(kMaxPcaVariables) + ")";
    const std::size_t samples = state->shape[0], lanes = state->shape[1];
    if (samples >= kMinSpectrumSamples) {
      // One signal per (lane, variable): rows (sample, lane) regrouped as [samples, lanes * variables].
      arma::mat signals(samples, lanes * p.variables);
      for (std::size_t b = 0; b < lanes; ++b)
        signals.cols(b * p.variables, (b + 1) * p.variables - 1) =
            x.rows(arma::regspace<arma::uvec>(b, lanes, samples * lanes - 1));
      p.spectrum = power_spectrum(signals, 1.0 / T);
    }
  } else {
    p.state.note = why;
  }
  analyze_entropy(f, pop, p.entropy);
  analyze_slots(f, pop, o.slot_threshold, p.slots);
  return p;
}

}  // namespace

RecordingAnalysis analyze_recording(const AnalyzeOptions& o) {
  const Hdf5File f(o.file);
  RecordingAnalysis r;
  r.file = o.file;
  if (!f.string_attribute(layout::kRoot, layout::kFormat))
    throw InputError(o.file + ": not a ransim recording (no root attribute '" + layout::kFormat + "')");
  if (f.exists("/runs"))
    throw InputError(o.file + ": a comparison's file (ransim compare); analyze takes one run's recording");
  r.status = f.string_attribute(layout::kRoot, layout::kStatus).value_or("?");
  r.complete = f.integer_attribute(layout::kRoot, layout::kComplete).value_or(0) == 1;
  r.token_period = scalar(f, layout::general::kTokenPeriod).value_or(1.0);
  r.lanes = static_cast<std::size_t>(scalar(f, layout::general::kLanes).value_or(1.0));
  r.scenario_path = f.string_dataset(layout::general::kScenarioPath).value_or("");
  if (const auto edits = f.shape(layout::general::kEditToken); edits && !edits->empty())
    r.edits = (*edits)[0];

  // The scenario as run: its task, and the network for the Lyapunov exponent.
  std::optional<Scenario> sc;
  std::string scenario_error;
  if (const auto text = f.string_dataset(layout::general::kScenario)) {
    std::vector<std::string> sets;
    std::istringstream lines(f.string_dataset(layout::general::kOverrides).value_or(""));
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) sets.push_back(line);
    try {
      sc = parse_scenario(*text, r.scenario_path.empty() ? o.file : r.scenario_path, sets);
      r.task = sc->task_kind;
    } catch (const InputError& e) {
      scenario_error = std::string("the recorded scenario does not load here: ") + e.what();
    }
  } else {
    scenario_error = "the file holds no scenario (/general/scenario)";
  }

  analyze_memory_curve(f, r.task, r.token_period, r.memory);
  for (const std::string& pop : f.children(layout::processing::kGroup)) {
    r.populations.push_back(analyze_population(f, pop, r.token_period, o));
    const std::string state = layout::processing::variable(pop, "state");
    if (r.populations.back().state.available && r.samples == 0) {
      r.samples = f.shape(layout::series_data(state))->at(0);
      r.first_token = first_token(f, state, r.token_period);
    }
  }

  if (!o.lyapunov) {
    r.lyapunov.note = "not measured (ransim analyze --lyapunov rebuilds the network and measures it)";
  } else if (!sc) {
    r.lyapunov.note = scenario_error;
  } else {
    try {
      r.lyapunov_exponent = largest_lyapunov(*sc, o.lyapunov_options);
      r.lyapunov.available = true;
      if (r.edits) r.lyapunov.note = "measured on the scenario as loaded, before the run's parameter edits";
    } catch (const InputError& e) {
      r.lyapunov.note = e.what();
    }
  }
  return r;
}

}  // namespace ransim::analysis
