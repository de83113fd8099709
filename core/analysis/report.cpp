#include "analysis/report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/json.hpp"
#include "ransim/error.hpp"

namespace ransim::analysis {

namespace {

constexpr const char* kFlags =
    "--out PREFIX, --json, --quiet, --lyapunov, --lyapunov-tokens N, --lyapunov-settle N, --slot-threshold "
    "X, "
    "--plugin-dir DIR";

std::size_t parse_count(const std::string& flag, const std::string& text, std::size_t min) {
  std::size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || v < static_cast<long long>(min) || v > 100000000)
    throw InputError("analyze " + flag + " " + text + ": expected a whole number from " +
                     std::to_string(min) + " to 100000000");
  return static_cast<std::size_t>(v);
}

double parse_share(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || !(v >= 0 && v < 1))
    throw InputError("analyze " + flag + " " + text + ": expected a number in [0, 1)");
  return v;
}

std::string fixed(double v, int digits = 4) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The frequency of the largest power above 0 Hz (the mean is removed, so 0 Hz holds little).
double peak_frequency(const Spectrum& s) {
  if (s.power.n_elem < 2) return arma::datum::nan;
  return s.frequency[1 + s.power.subvec(1, s.power.n_elem - 1).index_max()];
}

std::string json_array(const arma::vec& v) {
  std::string out = "[";
  for (arma::uword i = 0; i < v.n_elem; ++i) out += (i ? ", " : "") + json_number(v[i]);
  return out + "]";
}

std::string json_section(const Availability& a) {
  return "\"available\": " + std::string(a.available ? "true" : "false") + ", \"note\": \"" +
         json_escape(a.note) + "\"";
}

void write_text(const std::string& path, const std::string& body) {
  std::ofstream out(path, std::ios::binary);
  out << body;
  out.flush();
  if (!out) throw RunError(path + ": cannot write (" + std::strerror(errno) + ")");
}

// One table row per population: its cells from `cells` where `section` is available, else the
// reason followed by `empty` cells.
template <class Section, class Cells>
void rows(std::ostringstream& md, const RecordingAnalysis& r, Section PopulationSection::*section,
          const std::string& empty, const Cells& cells) {
  for (const auto& p : r.populations) {
    const Availability& a = p.*section;
    md << "| " << p.name << " | " << (a.available ? cells(p) + " |" : a.note + empty) << "\n";
  }
}

void markdown_populations(std::ostringstream& md, const RecordingAnalysis& r) {
  md << "\n## Activity of each population\n\nPCA of the state over all recorded tokens and lanes; power "
        "spectrum of each state variable (Welch, Hann window), averaged over variables and lanes.\n\n"
     << "| population | kind | variables | PC1 share | components for 90 % | participation ratio | "
        "spectral peak (Hz) |\n|---|---|---|---|---|---|---|\n";
  for (const auto& p : r.populations) {
    md << "| " << p.name << " | " << p.kind << " | " << p.variables << " | ";
    if (!p.state.available || p.pca.explained.is_empty()) {
      md << "n/a | n/a | n/a | " << fixed(peak_frequency(p.spectrum)) << " |"
         << (p.state.note.empty() ? "" : " " + p.state.note) << "\n";
      continue;
    }
    md << fixed(p.pca.explained[0], 3) << " | " << p.pca.components_for(0.9) << " | "
       << fixed(p.pca.participation_ratio, 2) << " | " << fixed(peak_frequency(p.spectrum)) << " |\n";
  }
  md << "\n## Attention entropy\n\nPer unit, the entropy of its attention weights over log(rows attended) "
        "(1: uniform, near 0: one row).\n\n| population | from | mean | lowest unit | highest unit |\n"
        "|---|---|---|---|---|\n";
  rows(md, r, &PopulationSection::entropy, " | | | |", [](const PopulationSection& p) {
    return p.entropy.source + " | " + fixed(arma::mean(p.entropy.per_unit)) + " | " +
           fixed(p.entropy.per_unit.min()) + " | " + fixed(p.entropy.per_unit.max());
  });
  md << "\n## Memory slots\n\nA slot is active in a sample when its activation exceeds a share of the unit's "
        "largest one in that sample; a dead slot is never active.\n\n| population | units x slots | share "
        "active | dead slots |\n|---|---|---|---|\n";
  rows(md, r, &PopulationSection::slots, " | | |", [](const PopulationSection& p) {
    return std::to_string(p.slots.units) + " x " + std::to_string(p.slots.slots) + " | " +
           fixed(p.slots.mean_share, 3) + " | " + std::to_string(p.slots.dead) + " of " +
           std::to_string(p.slots.units * p.slots.slots);
  });
}

}  // namespace

AnalyzeOptions parse_analyze_options(const std::vector<std::string>& args) {
  AnalyzeOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
        throw InputError("analyze " + a + ": missing value");
      return args[++i];
    };
    if (a == "--out") o.prefix = value();
    else if (a == "--json") o.json = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--lyapunov") o.lyapunov = true;
    else if (a == "--lyapunov-tokens")
      o.lyapunov_options.tokens = parse_count(a, value(), 1), o.lyapunov = true;
    else if (a == "--lyapunov-settle")
      o.lyapunov_options.settle = parse_count(a, value(), 0), o.lyapunov = true;
    else if (a == "--slot-threshold") o.slot_threshold = parse_share(a, value());
    else if (a == "--plugin-dir") o.plugin_dirs.push_back(value());
    else if (a.rfind("--", 0) == 0)
      throw InputError("analyze: unknown option '" + a + "' (known: " + kFlags + ")");
    else if (o.file.empty()) o.file = a;
    else throw InputError("analyze: one recording at a time ('" + o.file + "' and '" + a + "' given)");
  }
  if (o.file.empty()) throw InputError("analyze: no recording given (ransim analyze FILE.h5)");
  if (o.prefix.empty()) {
    std::filesystem::path stem = std::filesystem::path(o.file).filename();
    if (stem.extension() == ".h5") stem.replace_extension();
    o.prefix = stem.string() + "_analysis";
  }
  return o;
}

std::string analysis_markdown(const RecordingAnalysis& r, const std::string& figure) {
  std::ostringstream md;
  md << "# Analysis of " << r.file << "\n\n| | |\n|---|---|\n| status | " << r.status
     << (r.complete ? "" : " (incomplete: series end where the run stopped)") << " |\n| task | "
     << (r.task.empty() ? "unknown" : r.task) << " |\n| scenario | " << r.scenario_path << " |\n| samples | "
     << r.samples << " tokens from token " << r.first_token << ", " << r.lanes << " lane"
     << (r.lanes == 1 ? "" : "s") << ", token period " << r.token_period << " s |\n| parameter edits | "
     << r.edits << " |\n";

  md << "\n## Memory curve\n\n";
  if (!r.memory.available) {
    md << r.memory.note << "\n";
  } else {
    md << "r^2(d) of the readout's output for delay d with u[k - d] over the test tokens [" << r.memory.first
       << ", " << r.memory.end << "); their sum is the memory capacity: " << fixed(r.memory.sum)
       << " (the run's memory_capacity_test: " << fixed(r.memory.stored)
       << ").\n\n| delay | r^2 |\n|---|---|\n";
    for (arma::uword d = 0; d < r.memory.r2.n_elem; ++d)
      md << "| " << d + 1 << " | " << fixed(r.memory.r2[d]) << " |\n";
  }
  markdown_populations(md, r);
  md << "\n## Largest Lyapunov exponent\n\n";
  if (r.lyapunov.available)
    md << fixed(r.lyapunov_exponent) << " per token: nearby states "
       << (r.lyapunov_exponent < 0 ? "converge (echo states)" : "separate (no echo states)") << "."
       << (r.lyapunov.note.empty() ? "" : " Note: " + r.lyapunov.note + ".") << "\n";
  else md << r.lyapunov.note << "\n";
  if (!figure.empty()) md << "\n## Figure\n\n![analysis](" << figure << ")\n";
  return md.str();
}

std::string analysis_json(const RecordingAnalysis& r, const std::vector<std::string>& written) {
  std::ostringstream js;
  js << "{\"file\": \"" << json_escape(r.file) << "\", \"status\": \"" << json_escape(r.status)
     << "\", \"complete\": " << (r.complete ? "true" : "false") << ", \"task\": \"" << json_escape(r.task)
     << "\", \"scenario\": \"" << json_escape(r.scenario_path)
     << "\", \"token_period\": " << json_number(r.token_period) << ", \"lanes\": " << r.lanes
     << ", \"samples\": " << r.samples << ", \"first_token\": " << r.first_token
     << ", \"parameter_edits\": " << r.edits << ",\n \"memory_curve\": {" << json_section(r.memory)
     << ", \"r2\": " << json_array(r.memory.r2) << ", \"sum\": " << json_number(r.memory.sum)
     << ", \"memory_capacity_test\": " << json_number(r.memory.stored) << ", \"test\": [" << r.memory.first
     << ", " << r.memory.end << "]},\n \"populations\": [";
  for (std::size_t i = 0; i < r.populations.size(); ++i) {
    const auto& p = r.populations[i];
    js << (i ? ",\n  " : "\n  ") << "{\"name\": \"" << json_escape(p.name) << "\", \"kind\": \""
       << json_escape(p.kind) << "\", \"variables\": " << p.variables << ", \"state\": {"
       << json_section(p.state) << "}, \"pca\": {\"variance\": " << json_array(p.pca.variance)
       << ", \"explained\": " << json_array(p.pca.explained)
       << ", \"participation_ratio\": " << json_number(p.pca.participation_ratio)
       << "}, \"spectrum\": {\"frequency\": " << json_array(p.spectrum.frequency)
       << ", \"power\": " << json_array(p.spectrum.power) << "}, \"attention_entropy\": {"
       << json_section(p.entropy) << ", \"source\": \"" << p.entropy.source
       << "\", \"per_unit\": " << json_array(p.entropy.per_unit)
       << ", \"over_time\": " << json_array(p.entropy.over_time) << "}, \"memory_slots\": {"
       << json_section(p.slots) << ", \"units\": " << p.slots.units << ", \"slots\": " << p.slots.slots
       << ", \"share_active\": " << json_number(p.slots.mean_share) << ", \"dead\": " << p.slots.dead
       << ", \"over_time\": " << json_array(p.slots.over_time) << "}}";
  }
  js << "],\n \"lyapunov\": {" << json_section(r.lyapunov)
     << ", \"exponent\": " << json_number(r.lyapunov_exponent) << "},\n \"written\": [";
  for (std::size_t i = 0; i < written.size(); ++i)
    js << (i ? ", " : "") << "\"" << json_escape(written[i]) << "\"";
  js << "]}\n";
  return js.str();
}

std::string run_analyze(const AnalyzeOptions& o) {
  const RecordingAnalysis r = analyze_recording(o);
  std::vector<std::string> written{o.prefix + ".md", o.prefix + ".json"};
  const bool figure = write_analysis_figure(r, o.prefix + ".png", o.prefix + ".svg");
  if (figure) written.insert(written.end(), {o.prefix + ".png", o.prefix + ".svg"});
  const std::string png = figure ? std::filesystem::path(o.prefix + ".png").filename().string() : "";
  const std::string md = analysis_markdown(r, png), js = analysis_json(r, written);
  write_text(o.prefix + ".md", md);
  write_text(o.prefix + ".json", js);
  return o.quiet ? "" : o.json ? js : md;
}

}  // namespace ransim::analysis
