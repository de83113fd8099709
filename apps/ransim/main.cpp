// ransim: the command line. Exit codes: 0 ok, 1 the run failed, 2 bad input.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "io/json.hpp"
#include "io/recorder.hpp"
#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "compare_ranks.hpp"
#include "study/compare.hpp"
#include "study/scale_out.hpp"
#include "train_command.hpp"
#include "analysis/report.hpp"
#include "engine/csr_product.hpp"
#include "tasks/tasks.hpp"

using namespace ransim;

namespace {

constexpr const char* kUsage = R"(usage:
  ransim run SCENARIO [--out FILE.h5 [--overwrite]] [--set key=value]... [--seed N] [--json]
                     [--quiet] [--plugin-dir DIR]...
  ransim run SCENARIO --sweep FILE [--out PREFIX] [--set key=value]... [--json] [--quiet]
  ransim compare CONFIG [--quick] [--out PREFIX] [--set key=value]... [--json] [--quiet]
                        [--resume] [--shard I/K] [--plugin-dir DIR]...
  ransim merge CONFIG JOURNAL... [--out PREFIX] [--json] [--quiet] [--plugin-dir DIR]...
  ransim train SCENARIO [--out FILE.h5 [--overwrite]] [--resume] [--set key=value]... [--json]
                       [--quiet] [--plugin-dir DIR]...
  ransim analyze FILE.h5 [--out PREFIX] [--json] [--quiet] [--lyapunov] [--lyapunov-tokens N]
                        [--lyapunov-settle N] [--slot-threshold X] [--plugin-dir DIR]...
  ransim info [--plugin-dir DIR]...
  ransim --help | --version

run     simulate a scenario, train its readout, print the metrics (stdout); a progress bar
        goes to stderr. --set overrides any scenario value (e.g. --set population.res.tau=0.5,
        --set projection.0.scale=0.8); --seed N is --set seed=N. The recording is written
        to FILE.h5.part (readable while it grows) and renamed to FILE.h5 when the run ends;
        an existing FILE.h5 is replaced only with --overwrite, and never an input.
        --sweep FILE runs the scenario at every point of FILE's [sweep] table (and its
        `seeds`) and writes the outputs of `compare` (PREFIX: the scenario's name + _sweep).
compare run model variants x tasks x seeds from a comparison config (docs/compare.md); print
        a markdown table (mean +- std of each task's metric, sizes, wall time) on stdout and
        write PREFIX.md, .csv, .json, .h5 and the chart PREFIX.png / .svg (PREFIX: the
        config's name without .toml, in the current directory). --quick runs the config's
        [quick] subset; --set applies to every run; --json prints the JSON instead.
        Each run is appended to the journal PREFIX.runs.toml as it ends; --resume continues
        a comparison from its journal (an earlier journal is otherwise kept as
        PREFIX.runs.toml.~N~). --shard I/K runs only the runs whose index modulo K is I and
        writes PREFIX.shard-I-of-K.runs.toml; `mpirun -np K ransim compare` spreads the runs
        over K ranks (docs/compare.md, "Scale-out").
train   train the units named in the scenario's [train] table with a linear readout, by
        backpropagation through the simulated dynamics (docs/training.md); write the trained
        network to FILE.h5 (default: the scenario's name + _trained.h5; a checkpoint after each
        epoch in FILE.checkpoint.h5, which --resume goes on from), then score the scenario
        untrained and trained (network.weights_file = FILE.h5) as `run` would.
merge   the outputs of `compare` from the journals of its shards (same CONFIG); runs in no
        journal are named and the exit code is 1.
analyze a recording: memory curve, PCA, power spectrum, attention entropy, memory-slot
        usage, and with --lyapunov the largest Lyapunov exponent of the network rebuilt from
        the recorded scenario (docs/analysis.md); writes PREFIX.md, .json, .png, .svg (PREFIX:
        FILE without .h5 + _analysis) and prints the report (--json: the JSON).
info    list integrators, population models, tasks and plugins with their parameters.

plugins are loaded from --plugin-dir, then RANSIM_PLUGIN_PATH (colon-separated), then
<ransim>/../lib/ransim/plugins; of two plugins with the same model, the first found wins
(a warning names both).

exit codes: 0 ok, 1 the run failed (diverged, interrupted, I/O), 2 bad input
(docs/robustness.md)
)";

std::atomic<int> g_stop{0};
PluginLoader g_plugins;

void load_plugins(const std::vector<std::string>& dirs) {
  for (auto& d : dirs) {  // a directory asked for by name must be there
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec))
      throw InputError("--plugin-dir " + d + ": " +
                       (std::filesystem::exists(d, ec) ? "not a directory" : "no such directory"));
  }
  g_plugins.load_all(PluginLoader::search_path(dirs), Registry::global());
  for (auto& w : g_plugins.warnings()) std::cerr << "ransim: warning: " << w << "\n";
}

// Everything printed on stdout reached it (a full disk, a closed pipe): else the results are
// lost, which is a failed run.
int check_stdout() {
  errno = 0;
  std::cout.flush();
  if (std::cout && std::fflush(stdout) == 0 && !std::ferror(stdout)) return 0;
  std::cerr << "ransim: cannot write the results to standard output: "
            << (errno ? std::strerror(errno) : "write error") << "\n";
  return 1;
}

// The run's input files: the scenario, each population's *_file parameters, and the folder
// of task.data_dir. A recording must never replace one of them.
void refuse_input_as_output(const Scenario& sc, const std::string& out, const std::string& flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (out.empty() || !fs::exists(out, ec)) return;
  auto same = [&](const std::string& input) { return !input.empty() && fs::equivalent(out, input, ec); };
  auto refuse = [&](const std::string& what) {
    throw InputError(flag + " " + out + ": is " + what + " (a recording never replaces an input)");
  };
  if (same(sc.path)) refuse("the scenario file");
  for (auto& p : sc.populations)
    for (auto& [name, v] : p.params.values())
      if (name.size() > 5 && name.substr(name.size() - 5) == "_file" &&
          std::holds_alternative<std::string>(v) && same(std::get<std::string>(v)))
        refuse("population." + p.name + "." + name);
  if (sc.task.has("data_dir")) {
    const fs::path parent = fs::path(out).parent_path();
    const fs::path folder = parent.empty() ? fs::path(".") : parent;
    if (fs::equivalent(folder, sc.task.string("data_dir"), ec))
      refuse("in task.data_dir, the data set's folder");
  }
}

void on_signal(int sig) {
  g_stop.store(sig);
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

void progress_bar(const Progress& p) {
  const double frac = p.total ? static_cast<double>(p.token) / static_cast<double>(p.total) : 1.0;
  const int width = 30, filled = static_cast<int>(frac * width);
  const double rate = p.elapsed > 0 ? static_cast<double>(p.steps) / p.elapsed : 0.0;
  const double eta = frac > 0 ? p.elapsed * (1.0 - frac) / frac : 0.0;
  std::fprintf(stderr, "\r[%s%s] %3.0f%% %zu/%zu tokens  %.3g steps/s  ETA %.0f s ",
               std::string(filled, '=').c_str(), std::string(width - filled, ' ').c_str(), 100 * frac,
               p.token, p.total, rate, eta);
  std::fflush(stderr);
}

// The options `run` and `compare` share. --seed is run's (a comparison names its seeds),
// --quick is compare's.
struct CommandOptions {
  std::string path, out;
  std::vector<std::string> sets, plugin_dirs;
  bool json = false, quiet = false, quick = false, overwrite = false, resume = false;
  Shard shard;  // compare's --shard
  std::string sweep;  // run's --sweep FILE
};

CommandOptions parse_options(const std::vector<std::string>& args, const std::string& command,
                             const std::string& file) {
  const bool compare = command == "compare";
  CommandOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw InputError("option " + a + " needs a value");
      return args[++i];
    };
    if (a == "--out" || a == "-o") o.out = value();
    else if (a == "--set") o.sets.push_back(value());
    else if (a.rfind("--set=", 0) == 0) o.sets.push_back(a.substr(6));
    else if (a == "--seed" && !compare) {
      const std::string v = value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
        throw InputError("--seed: expected a non-negative integer, found '" + v + "'");
      o.sets.push_back("seed=" + v);
    } else if (a == "--quick" && compare) o.quick = true;
    else if (a == "--resume" && (compare || command == "train")) o.resume = true;
    else if (a == "--shard" && compare) o.shard = parse_shard(value());
    else if (a == "--overwrite" && !compare) o.overwrite = true;
    else if (a == "--sweep" && command == "run") o.sweep = value();
    else if (a == "--plugin-dir") o.plugin_dirs.push_back(value());
    else if (a == "--json") o.json = true;
    else if (a == "--quiet" || a == "-q") o.quiet = true;
    else if (!a.empty() && a[0] == '-') throw InputError("unknown option '" + a + "' (see ransim --help)");
    else if (o.path.empty()) o.path = a;
    else throw InputError("unexpected argument '" + a + "' (one " + file + " file per " + command + ")");
  }
  if (o.path.empty()) throw InputError(command + ": missing the " + file + " file (see ransim --help)");
  load_plugins(o.plugin_dirs);
  return o;
}

int cmd_run_sweep(const CommandOptions& o);

int cmd_train(const std::vector<std::string>& args, const std::string& command_line) {
  const CommandOptions o = parse_options(args, "train", "SCENARIO");
  const Scenario sc = load_scenario(o.path, o.sets);
  std::string out = o.out;
  if (out.empty()) {
    out = o.path.substr(o.path.find_last_of('/') + 1);
    if (out.size() > 5 && out.substr(out.size() - 5) == ".toml") out.resize(out.size() - 5);
    out += "_trained.h5";
  }
  refuse_input_as_output(sc, out, "--out");
  if (!o.resume) check_recording_target(out, o.overwrite);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const int code = train_command(sc, out, {.json = o.json, .quiet = o.quiet, .resume = o.resume}, command_line,
                                 &g_stop);
  return check_stdout() != 0 ? 1 : code;
}

int cmd_run(const std::vector<std::string>& args, const std::string& command_line) {
  const CommandOptions o = parse_options(args, "run", "SCENARIO");
  if (!o.sweep.empty()) return cmd_run_sweep(o);
  const std::string& path = o.path;
  const bool json = o.json, quiet = o.quiet;

  const Scenario sc = load_scenario(path, o.sets);
  RunOptions opts;
  opts.out = o.out;
  // The checks the recorder would make, before anything runs, with --overwrite honoured.
  const std::string out = o.out.empty() ? sc.record.string("file") : o.out;
  refuse_input_as_output(sc, out, o.out.empty() ? "record.file" : "--out");
  if (!out.empty()) check_recording_target(out, o.overwrite);
  opts.command_line = command_line;
  opts.stop = &g_stop;
  const bool bar = !quiet && isatty(STDERR_FILENO);
  if (bar) opts.progress = progress_bar;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const RunResult r = run(sc, opts);
  if (bar) std::fprintf(stderr, "\n");

  const double tps = r.wall_seconds > 0 ? static_cast<double>(r.tokens) / r.wall_seconds : 0;
  if (json) {
    std::cout << "{\"scenario\": \"" << json_escape(path) << "\", \"status\": \"" << r.status
              << "\", \"message\": \"" << json_escape(r.message) << "\", \"seed\": " << sc.seed
              << ", \"tokens\": " << r.tokens << ", \"lanes\": " << r.lanes
              << ", \"state_size\": " << r.state_size << ", \"integrator_steps\": " << r.steps
              << ", \"wall_seconds\": " << json_number(r.wall_seconds) << ", \"recording\": "
              << (r.out.empty() ? std::string("null")
                                : std::string(1, '"').append(json_escape(r.out)).append(1, '"'))
              << ", \"metrics\": {";
    bool first = true;
    for (auto& [k, v] : r.metrics) {
      std::cout << (first ? "" : ", ") << "\"" << k << "\": " << json_number(v);
      first = false;
    }
    std::cout << "}}\n";
  } else {
    std::cout << "scenario    " << path << "\n"
              << "status      " << r.status << (r.message.empty() ? "" : ": " + r.message) << "\n"
              << "tokens      " << r.tokens << " (lanes " << r.lanes << ", state size " << r.state_size
              << ")\n"
              << "integrator  " << method_name(sc.integrator.method) << ", " << r.steps << " steps\n"
              << "wall time   " << std::setprecision(3) << r.wall_seconds << " s (" << std::setprecision(4)
              << tps << " tokens/s)\n";
    std::size_t width = 12;
    for (auto& [k, v] : r.metrics) width = std::max(width, k.size() + 2);
    for (auto& [k, v] : r.metrics)
      std::cout << std::left << std::setw(static_cast<int>(width)) << k << std::setprecision(4) << v << "\n";
    if (!r.out.empty())
      std::cout << "recording   " << r.out << (r.status == RunStatus::Complete ? "" : " (incomplete)")
                << "\n";
  }
  if (check_stdout() != 0) return 1;
  if (r.status != RunStatus::Complete) {
    std::cerr << "ransim: " << r.message;
    if (!r.out.empty()) std::cerr << "; recording kept in " << r.out;
    std::cerr << "\n";
    return 1;
  }
  return 0;
}

// PREFIX: --out, or the config's name without .toml in the current directory. Its folder must
// take files before hours of runs are spent.
std::string output_prefix(const std::string& config, const std::string& out) {
  std::string prefix = out;
  if (prefix.empty()) {
    prefix = config.substr(config.find_last_of('/') + 1);
    if (prefix.size() > 5 && prefix.substr(prefix.size() - 5) == ".toml") prefix.resize(prefix.size() - 5);
  }
  const std::string folder =
      prefix.find('/') == std::string::npos ? "." : prefix.substr(0, prefix.rfind('/') + 1);
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw InputError("--out " + prefix + ": no folder '" + folder + "'");
  if (access(folder.c_str(), W_OK) != 0)
    throw InputError("--out " + prefix + ": cannot write in '" + folder + "': " + std::strerror(errno));
  return prefix;
}

// One line per run on stderr: "[3/12] model x task, seed 1: complete, nrmse_test 0.1 (2.1 s)".
void report_run(const CompareOutcome& o, std::size_t done, std::size_t total, int rank, int ranks) {
  std::fprintf(stderr, "[%zu/%zu] %s x %s, seed %llu: %s", done, total, o.run->model.c_str(),
               o.run->task.c_str(), static_cast<unsigned long long>(o.run->seed), to_string(o.result.status));
  for (auto& [k, v] : o.result.metrics)
    if (k.size() > 5 && k.substr(k.size() - 5) == "_test") std::fprintf(stderr, ", %s %.4g", k.c_str(), v);
  std::fprintf(stderr, " (%.1f s", o.result.wall_seconds);
  if (ranks > 1) std::fprintf(stderr, ", rank %d", rank);
  std::fprintf(stderr, ")\n");
}

// The outputs (unless `table_only`) and the table on stdout; the exit code of the comparison:
// a run that diverged or saturated is a result (its row says so); `expected` runs not all done,
// or one that could not be done at all, fail.
int finish_compare(const CompareConfig& cfg, const CompareResult& r, const std::string& prefix,
                   const CommandOptions& o, std::size_t expected, bool table_only) {
  std::vector<std::string> written;
  if (!table_only) written = write_compare_outputs(cfg, r, prefix);
  std::cout << (o.json ? compare_json(cfg, r) : compare_markdown(cfg, r));
  if (check_stdout() != 0) return 1;
  if (!o.quiet && !written.empty()) {
    std::fprintf(stderr, "wrote");
    for (auto& w : written) std::fprintf(stderr, " %s", w.c_str());
    std::fprintf(stderr, "\n");
  }
  std::size_t done = 0;
  for (auto& out : r.outcomes) done += out.result.status != RunStatus::Interrupted;
  if (done < expected || g_stop.load()) {
    std::cerr << "ransim: interrupted after " << done << " of " << expected << " runs\n";
    return 1;
  }
  for (auto& out : r.outcomes)
    if (out.result.status == RunStatus::Failed) {
      std::cerr << "ransim: " << out.run->model << " x " << out.run->task << " failed: " << out.result.message
                << "\n";
      return 1;
    }
  return 0;
}

// MPI_Finalize however cmd_compare ends.
struct RanksGuard {
  Ranks ranks;
  ~RanksGuard() { leave_ranks(ranks); }
};

int g_rank = 0;  // under mpirun: only rank 0 prints an input error every rank meets

// `ransim run SCENARIO --sweep FILE`: the scenario over FILE's [sweep], written as a
// comparison (PREFIX: the scenario's name + "_sweep", or --out).
int cmd_run_sweep(const CommandOptions& o) {
  if (o.overwrite)
    throw InputError("--overwrite: not with --sweep (a sweep writes comparison outputs, not one recording)");
  std::string base = o.path.substr(o.path.find_last_of('/') + 1);
  if (base.size() > 5 && base.substr(base.size() - 5) == ".toml") base.resize(base.size() - 5);
  const std::string prefix = output_prefix(base + "_sweep", o.out);
  const CompareConfig cfg = load_scenario_sweep(o.path, o.sweep, o.sets);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const CompareResult r = run_compare(cfg, &g_stop, [&](const CompareOutcome& out, std::size_t i) {
    if (!o.quiet) report_run(out, i + 1, cfg.runs.size(), 0, 1);
  });
  return finish_compare(cfg, r, prefix, o, cfg.runs.size(), false);
}

int cmd_compare(const std::vector<std::string>& args) {
  const CommandOptions o = parse_options(args, "compare", "CONFIG");
  const std::string prefix = output_prefix(o.path, o.out);
  const RanksGuard guard{join_ranks()};
  const Ranks& ranks = guard.ranks;
  g_rank = ranks.rank;
  if (ranks.size > 1 && o.shard.count > 1)
    throw InputError("--shard " + std::to_string(o.shard.index) + "/" + std::to_string(o.shard.count) +
                     ": not under mpirun, whose ranks share the runs already");
  const CompareConfig cfg = load_compare(o.path, o.quick, o.sets);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Rank 0's journal; the other ranks learn whether it opened (a foreign journal is refused).
  std::unique_ptr<CompareJournal> journal;
  std::exception_ptr error;
  if (ranks.rank == 0) try {
      journal = std::make_unique<CompareJournal>(cfg, prefix, o.shard, o.resume, o.sets);
    } catch (...) {
      error = std::current_exception();
    }
  if (!share_outcome_of_root(ranks, !error)) {
    if (error) std::rethrow_exception(error);
    return 2;  // rank 0 says why
  }
  if (ranks.rank == 0 && !o.quiet) {
    if (!journal->moved_aside().empty())
      std::fprintf(stderr, "ransim: the earlier journal is kept as %s (--resume would have continued it)\n",
                   journal->moved_aside().c_str());
    if (o.resume)
      std::fprintf(stderr, "ransim: %zu of %zu runs taken from %s, %zu to run\n", journal->resumed(),
                   journal->shard_size(), journal->path().c_str(), journal->pending().size());
  }
  run_over_ranks(ranks, cfg, journal.get(), &g_stop,
                 [&](const CompareOutcome& out, std::size_t done, std::size_t total, int rank) {
                   if (!o.quiet) report_run(out, done, total, rank, ranks.size);
                 });
  if (ranks.rank != 0) return 0;
  const bool shard = o.shard.count > 1;  // a shard's outputs come from `ransim merge`
  const int code = finish_compare(cfg, journal->result(), prefix, o, journal->shard_size(), shard);
  if (shard && !o.quiet)
    std::fprintf(stderr, "ransim: shard %zu/%zu: its runs are in %s (ransim merge %s JOURNAL... writes the "
                 "outputs)\n", o.shard.index, o.shard.count, journal->path().c_str(), o.path.c_str());
  return code;
}

int cmd_merge(const std::vector<std::string>& args) {
  // `ransim merge CONFIG JOURNAL...`: the options of compare that concern the outputs.
  std::vector<std::string> rest, journals;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool positional = args[i].empty() || args[i][0] != '-';
    if (positional && rest.empty()) rest.push_back(args[i]);
    else if (positional) journals.push_back(args[i]);
    else if (args[i] == "--quick" || args[i] == "--set" || args[i].rfind("--set=", 0) == 0 ||
             args[i] == "--resume" || args[i] == "--shard")
      throw InputError("merge: " + args[i] +
                       " is not an option of merge (the journals say how their runs were made)");
    else {
      rest.push_back(args[i]);
      if (args[i] == "--out" || args[i] == "-o" || args[i] == "--plugin-dir")
        if (i + 1 < args.size()) rest.push_back(args[++i]);
    }
  }
  if (journals.empty()) throw InputError("merge: no journal given (ransim merge CONFIG JOURNAL...)");
  const CommandOptions o = parse_options(rest, "merge", "CONFIG");
  const std::string prefix = output_prefix(o.path, o.out);
  std::vector<Journal> read;
  for (auto& j : journals) read.push_back(read_journal(j));
  // The config as the shards ran it: --quick and --set from the first journal, and every
  // journal checked against it.
  const CompareConfig cfg = load_compare(o.path, read.front().quick, read.front().sets);
  for (auto& j : read) check_journal(j, cfg);
  const Gathered g = gather_journals(cfg, read);
  if (!g.missing.empty()) {
    std::cerr << "ransim: merge: " << g.missing.size() << " of " << cfg.runs.size()
              << " runs are in none of the journals:";
    for (std::size_t k = 0; k < g.missing.size() && k < 20; ++k)
      std::cerr << " " << cfg.runs[g.missing[k]].id();
    std::cerr << (g.missing.size() > 20 ? " ..." : "") << "\n";
  }
  const int code = finish_compare(cfg, g.result, prefix, o, g.result.outcomes.size(), false);
  return g.missing.empty() ? code : 1;
}

void print_specs(const std::vector<ParamSpec>& specs, const std::string& indent) {
  for (auto& s : specs)
    std::cout << indent << std::left << std::setw(16) << s.name << " default " << std::setw(10)
              << to_string(s.default_value) << " " << s.expectation() << "\n"
              << indent << std::string(17, ' ') << s.description << "\n";
}

// A model's declared state and derived variables, e.g. "derived memory [units, slots] (map)".
void print_layout(const ModelLayout& layout, const std::string& indent) {
  auto print = [&](const char* what, const VariableSpec& v) {
    std::cout << indent << what << " " << v.name << " [";
    for (std::size_t i = 0; i < v.axes.size(); ++i) std::cout << (i ? ", " : "") << v.axes[i];
    std::cout << "]";
    if (v.display.view != ViewKind::Auto) std::cout << " (" << to_string(v.display.view) << ")";
    std::cout << (v.description.empty() ? "" : ": " + v.description) << "\n";
  };
  for (auto& v : layout.state) print("state", v);
  for (auto& v : layout.derived) print("derived", v);
}

int cmd_analyze(const std::vector<std::string>& args) {
  const analysis::AnalyzeOptions o = analysis::parse_analyze_options(args);
  load_plugins(o.plugin_dirs);  // the recorded scenario names its models
  std::cout << analysis::run_analyze(o);
  return check_stdout();
}

int cmd_info(const std::vector<std::string>& args) {
  std::vector<std::string> plugin_dirs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--plugin-dir" && i + 1 < args.size()) plugin_dirs.push_back(args[++i]);
    else throw InputError("info: unexpected argument '" + args[i] + "'");
  }
  load_plugins(plugin_dirs);
  std::cout << "ransim " << RANSIM_VERSION_STRING << "\n\nintegrators: euler, rk4 (fixed dt), dopri5 "
            << "(adaptive, dense output; abs_tol, rel_tol)\n\npopulation models:\n";
  for (auto& m : Registry::global().all()) {
    std::cout << "  " << m.kind << " (" << m.origin << "): " << m.description << "\n";
    print_specs(m.params, "    ");
    print_layout(m.layout, "    ");
  }
  std::cout << "\nprojections ([[projection]] from, to, kind, name):\n  sparse:\n";
  print_specs(sparse_projection_specs(), "    ");
  std::cout << "  identity (each target slot receives exactly one source value):\n";
  print_specs(identity_projection_specs(), "    ");
  std::cout << "\ntasks:\n";
  for (auto& t : tasks()) {
    std::cout << "  " << t.kind << ": " << t.description << "\n";
    print_specs(t.params, "    ");
  }
  std::cout << "\n[simulation]:\n";
  print_specs(simulation_specs(), "    ");
  std::cout << "[readout] (also: from = [populations]):\n";
  print_specs(readout_specs(), "    ");
  std::cout << "[record] (also: variables = [\"pop\" | \"pop.variable\"]):\n";
  print_specs(record_specs(), "    ");
  std::cout << "[network]:\n    weights_file     a recording of `ransim train` whose trained weights are loaded\n"
            << "[train] (ransim train; also: trainable = [\"POP\" | \"POP.WEIGHT\" | projection]):\n";
  print_specs(train_specs(), "    ");
  std::cout << "\nplugins (searched: ";
  const auto dirs = PluginLoader::search_path(plugin_dirs);
  for (std::size_t i = 0; i < dirs.size(); ++i) std::cout << (i ? ", " : "") << dirs[i];
  std::cout << "):\n";
  if (g_plugins.loaded().empty()) std::cout << "  none loaded\n";
  for (auto& p : g_plugins.loaded()) {
    std::cout << "  " << p.path << ":";
    for (auto& m : p.models) std::cout << " " << m;
    std::cout << "\n";
  }
  std::cout << "\nsparse product, one lane: " << CsrProduct::one_lane_kernel_report() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command_line;
  for (int i = 0; i < argc; ++i) {
    if (i) command_line += ' ';
    command_line += argv[i];
  }
  try {
    if (args.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version") {
      std::cout << "ransim " << RANSIM_VERSION_STRING << "\n";
      return 0;
    }
    if (cmd == "run") return cmd_run(args, command_line);
    if (cmd == "info") return cmd_info(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "merge") return cmd_merge(args);
    if (cmd == "analyze") return cmd_analyze(args);
    if (cmd == "train") return cmd_train(args, command_line);
    throw InputError("unknown command '" + cmd +
                     "' (expected run | compare | train | merge | analyze | info; see ransim --help)");
  } catch (const InputError& e) {
    if (g_rank == 0) std::cerr << "ransim: error: " << e.what() << "\n";
    return 2;
  } catch (const RunError& e) {
    std::cerr << "ransim: run failed: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "ransim: run failed: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ransim: run failed: " << e.what() << "\n";
    return 1;
  }
}
