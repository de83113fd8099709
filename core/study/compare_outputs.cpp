#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "io/json.hpp"
#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "ransim/error.hpp"
#include "study/compare.hpp"
#include "study/compare_figures.hpp"
#include "study/sweep.hpp"

// The outputs of `ransim compare`: the table as markdown, CSV and JSON, every run in HDF5, and
// the figures (compare_figures.cpp).
namespace ransim {
namespace {

std::string fmt(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The lambdas chosen over the seeds: one value, or the range; "-" for a fixed lambda.
std::string ridge_cell(const CompareRow& row) {
  if (std::isnan(row.ridge_min)) return "-";
  char buf[64];
  if (row.ridge_min == row.ridge_max) std::snprintf(buf, sizeof buf, "%.2g", row.ridge_min);
  else std::snprintf(buf, sizeof buf, "%.2g..%.2g", row.ridge_min, row.ridge_max);
  return buf;
}

// Every swept key of the comparison, in the order they first appear.
std::vector<std::string> swept_keys(const CompareConfig& cfg) {
  std::vector<std::string> keys;
  for (auto& run : cfg.runs)
    for (auto& v : run.point)
      if (std::find(keys.begin(), keys.end(), v.key) == keys.end()) keys.push_back(v.key);
  return keys;
}

// The row's value of a swept key as shown ("" when its model does not sweep it).
std::string point_value(const std::vector<SweepValue>& point, const std::string& key) {
  for (auto& v : point)
    if (v.key == key) return shown(v.value);
  return "";
}

// For the markdown table: long reals (a search's draws) to 4 significant digits; the CSV and
// JSON keep every digit.
std::string point_cell(const std::vector<SweepValue>& point, const std::string& key) {
  const std::string v = point_value(point, key);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.size() <= 8 || *end != '\0' || v.find_first_of(".eE") == std::string::npos) return v;
  return fmt(x);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// {"key": value, ...}: numbers and booleans as they are, everything else a JSON string.
std::string point_json(const std::vector<SweepValue>& point) {
  std::string out = "{";
  for (std::size_t i = 0; i < point.size(); ++i) {
    const std::string& v = point[i].value;
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    const bool plain = v == "true" || v == "false" || (!v.empty() && *end == '\0' && std::isfinite(x));
    std::ostringstream item;  // (GCC 12 warns of a false -Wrestrict on "literal" + string here)
    item << (i ? ", " : "") << '"' << json_escape(point[i].key) << "\": ";
    if (plain) item << v;
    else item << '"' << json_escape(shown(v)) << '"';
    out += item.str();
  }
  return out + "}";
}

}  // namespace

std::string compare_markdown(const CompareConfig& cfg, const CompareResult& r) {
  std::ostringstream out;
  const auto keys = swept_keys(cfg);
  out << "| task | metric | model | ";
  for (auto& k : keys) out << k << " | ";
  out << "mean ± std | validation | ridge chosen | seeds | state | fixed weights | "
         "trained weights | parameters (seed) | attention entropy | wall s |\n|---|---|---|";
  for (std::size_t i = 0; i < keys.size(); ++i) out << "---|";
  out << "---|---|---|---|---|---|---|---|---|---|\n";
  for (auto& task : cfg.tasks) {
    // The best mean of the task in bold.
    const CompareRow* best = nullptr;
    for (auto& row : r.rows)
      if (row.task == task && std::isfinite(row.mean) &&
          (!best || (row.higher_is_better ? row.mean > best->mean : row.mean < best->mean)))
        best = &row;
    for (auto& row : r.rows) {
      if (row.task != task) continue;
      const std::string cell = fmt(row.mean) + " ± " + fmt(row.std);
      out << "| " << row.task << " | " << row.metric << (row.higher_is_better ? " ↑" : " ↓") << " | "
          << row.model << (row.trials ? " (best of " + std::to_string(row.trials) + " trials)" : "") << " | ";
      for (auto& k : keys) out << point_cell(row.point, k) << " | ";
      out << (&row == best ? "**" + cell + "**" : cell) << " | "
          << (std::isfinite(row.validation) ? fmt(row.validation) : "-") << " | " << ridge_cell(row) << " | "
          << row.completed << "/" << row.runs << " | " << row.state_size << " | " << row.fixed_weights
          << " | " << row.readout_weights << " | "
          << (row.seed_parameters ? std::to_string(row.seed_parameters) : "-") << " | "
          << (std::isfinite(row.attention_entropy) ? fmt(row.attention_entropy) : "-") << " | "
          << fmt(row.wall_seconds) << " |\n";
    }
  }
  for (auto& o : r.outcomes)
    if (o.result.status != RunStatus::Complete)
      out << "\n"
          << o.run->id() << ": " << o.result.status
          << (o.result.message.empty() ? "" : " — " + o.result.message) << "\n";
  if (!cfg.skipped.empty()) {
    out << "\nLeft out, outside the budget:\n";
    for (auto& s : cfg.skipped) out << "- " << s << "\n";
  }
  return out.str();
}

std::string compare_csv(const CompareConfig& cfg, const CompareResult& r) {
  std::ostringstream out;
  const auto keys = swept_keys(cfg);
  out << "task,metric,higher_is_better,model,";
  for (auto& k : keys) out << csv_field(k) << ",";
  out << "mean,std,completed,runs,state_size,fixed_weights,readout_"
         "weights,seed_parameters,attention_entropy,validation,ridge_min,ridge_max,trials,wall_seconds\n";
  for (auto& row : r.rows) {
    out << row.task << "," << row.metric << "," << (row.higher_is_better ? "true" : "false") << ","
        << row.model << ",";
    for (auto& k : keys) out << csv_field(point_value(row.point, k)) << ",";
    out << json_number(row.mean) << "," << json_number(row.std) << "," << row.completed << "," << row.runs
        << "," << row.state_size << "," << row.fixed_weights << "," << row.readout_weights << ","
        << row.seed_parameters << "," << json_number(row.attention_entropy) << ","
        << json_number(row.validation) << "," << json_number(row.ridge_min) << ","
        << json_number(row.ridge_max) << "," << row.trials << "," << json_number(row.wall_seconds) << "\n";
  }
  return out.str();
}

std::string compare_json(const CompareConfig& cfg, const CompareResult& r) {
  std::ostringstream out;
  out << "{\"config\": \"" << json_escape(cfg.path) << "\", \"description\": \""
      << json_escape(cfg.description) << "\", \"quick\": " << (cfg.quick ? "true" : "false")
      << ", \"seeds\": [";
  for (std::size_t i = 0; i < cfg.seeds.size(); ++i) out << (i ? ", " : "") << cfg.seeds[i];
  out << "], \"skipped\": [";
  for (std::size_t i = 0; i < cfg.skipped.size(); ++i)
    out << (i ? ", " : "") << "\"" << json_escape(cfg.skipped[i]) << "\"";
  out << "],\n \"rows\": [";
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    out << (i ? ",\n  " : "\n  ") << "{\"task\": \"" << json_escape(row.task) << "\", \"model\": \""
        << json_escape(row.model) << "\", \"sweep\": " << point_json(row.point) << ", \"metric\": \""
        << row.metric << "\", \"higher_is_better\": " << (row.higher_is_better ? "true" : "false")
        << ", \"mean\": " << json_number(row.mean) << ", \"std\": " << json_number(row.std)
        << ", \"completed\": " << row.completed << ", \"runs\": " << row.runs
        << ", \"state_size\": " << row.state_size << ", \"fixed_weights\": " << row.fixed_weights
        << ", \"readout_weights\": " << row.readout_weights
        << ", \"seed_parameters\": " << row.seed_parameters
        << ", \"attention_entropy\": " << json_number(row.attention_entropy)
        << ", \"validation\": " << json_number(row.validation)
        << ", \"ridge_min\": " << json_number(row.ridge_min)
        << ", \"ridge_max\": " << json_number(row.ridge_max) << ", \"trials\": " << row.trials
        << ", \"wall_seconds\": " << json_number(row.wall_seconds) << "}";
  }
  out << "],\n \"runs\": [";
  for (std::size_t i = 0; i < r.outcomes.size(); ++i) {
    const auto& o = r.outcomes[i];
    out << (i ? ",\n  " : "\n  ") << "{\"model\": \"" << json_escape(o.run->model) << "\", \"task\": \""
        << json_escape(o.run->task) << "\", \"seed\": " << o.run->seed
        << ", \"sweep\": " << point_json(o.run->point) << ", \"status\": \"" << to_string(o.result.status)
        << "\", \"message\": \"" << json_escape(o.result.message)
        << "\", \"wall_seconds\": " << json_number(o.result.wall_seconds) << ", \"metrics\": {";
    bool first = true;
    for (auto& [k, v] : o.result.metrics) {
      out << (first ? "" : ", ") << "\"" << json_escape(k) << "\": " << json_number(v);
      first = false;
    }
    out << "}}";
  }
  out << "]}\n";
  return out.str();
}

namespace {

// PREFIX.h5: every run's scenario, status, sizes and metrics (docs/file-format.md).
void write_compare_recording(const CompareConfig& cfg, const CompareResult& r, const std::string& path) {
  namespace c = layout::comparison;
  Recorder rec(RecorderOptions{path, 2.0, 4});
  rec.write_string(c::kConfig, cfg.path);
  rec.write_string(c::kDescription, cfg.description);
  rec.write_integer(c::kQuick, cfg.quick);
  for (auto& o : r.outcomes) {
    const std::string g = c::run(o.run->model, o.run->task, o.run->seed,
                                 o.run->point.empty() ? "" : c::point(o.run->point_index)) +
                          "/";
    for (auto& v : o.run->point) rec.write_string(g + c::kRunSweep + "/" + v.key, v.value);
    rec.write_string(g + c::kRunScenario, o.run->scenario.text);
    rec.write_string(g + c::kRunStatus, to_string(o.result.status));
    rec.write_string(g + c::kRunMessage, o.result.message);
    rec.write_integer(g + c::kRunStateSize, static_cast<std::int64_t>(o.result.state_size));
    rec.write_integer(g + c::kRunFixedWeights, static_cast<std::int64_t>(o.result.fixed_weights));
    rec.write_integer(g + c::kRunReadoutWeights, static_cast<std::int64_t>(o.result.readout_weights));
    rec.write_scalar(g + c::kRunWallSeconds, o.result.wall_seconds);
    for (auto& [k, v] : o.result.metrics) rec.write_scalar(g + c::kRunMetrics + "/" + k, v);
  }
  const bool all = r.outcomes.size() == cfg.runs.size() &&
                   std::none_of(r.outcomes.begin(), r.outcomes.end(), [](const CompareOutcome& o) {
                     return o.result.status == RunStatus::Interrupted;
                   });
  rec.finish(all ? RunStatus::Complete : RunStatus::Interrupted);
}

}  // namespace

std::vector<std::string> write_compare_outputs(const CompareConfig& cfg, const CompareResult& r,
                                               const std::string& prefix) {
  std::vector<std::string> written;
  auto text_file = [&](const std::string& ext, const std::string& body) {
    const std::string p = prefix + ext;
    std::ofstream f(p, std::ios::binary);
    if (!(f << body)) throw RunError(p + ": cannot write (" + std::strerror(errno) + ")");
    written.push_back(p);
  };
  text_file(".md", compare_markdown(cfg, r));
  text_file(".csv", compare_csv(cfg, r));
  text_file(".json", compare_json(cfg, r));

  write_compare_recording(cfg, r, prefix + ".h5");
  written.push_back(prefix + ".h5");

  for (auto& f : write_compare_figures(cfg, r, prefix)) written.push_back(f);
  return written;
}

}  // namespace ransim
