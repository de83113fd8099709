#include "study/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "ransim/error.hpp"
#include "run/resources.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario_table.hpp"
#include "study/search.hpp"
#include "study/sweep.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

namespace {

[[noreturn]] void fail(const std::string& path, const toml::node& n, const std::string& what) {
  throw InputError(toml_where(path, n) + ": " + what);
}

const toml::table& table(const std::string& path, const toml::node& n, const std::string& key) {
  if (!n.is_table()) fail(path, n, key + ": expected a table");
  return *n.as_table();
}

std::vector<std::string> strings(const std::string& path, const toml::node& n, const std::string& key) {
  std::vector<std::string> out;
  const toml::array* a = n.as_array();
  if (!a) fail(path, n, key + ": expected an array of strings");
  for (auto& e : *a) {
    if (!e.is_string()) fail(path, e, key + ": expected an array of strings");
    out.emplace_back(*e.as_string());
  }
  return out;
}

std::vector<std::uint64_t> seeds(const std::string& path, const toml::node& n, const std::string& key) {
  std::vector<std::uint64_t> out;
  const toml::array* a = n.as_array();
  if (!a || a->empty()) fail(path, n, key + ": expected a non-empty array of integers >= 0");
  for (auto& e : *a) {
    if (!e.is_integer() || e.as_integer()->get() < 0) fail(path, e, key + ": expected integers >= 0");
    out.push_back(static_cast<std::uint64_t>(e.as_integer()->get()));
  }
  return out;
}

void check_keys(const std::string& path, const toml::table& t, const std::string& key,
                const std::set<std::string>& known) {
  for (auto&& [k, node] : t)
    if (!known.count(std::string(k.str()))) {
      std::string list;
      for (auto& s : known) list += (list.empty() ? "" : ", ") + s;
      throw InputError(toml_where(path, node) + ": unknown key '" + (key.empty() ? "" : key + ".") +
                       std::string(k.str()) + "' (known here: " + list + ")");
    }
}

// Moves the nodes of `from` into `to`, replacing keys present in both (nodes keep their
// file:line:col when moved, not when copied).
void merge_into(toml::table& to, toml::table&& from) {
  // The key is captured by value: clang before 16 cannot capture a structured binding.
  for (auto&& [k, node] : from)
    node.visit([&to, key = k.str()](auto&& n) { to.insert_or_assign(key, std::move(n)); });
}

const char* const kModelKeys[] = {"description", "simulation", "population", "projection",
                                  "readout",     "record",     "sweep",      "search"};

// The steps of load_compare.

// Each limit: a number N (N +- tolerance) or a table { min = a, max = b } (either optional).
void read_budget(const std::string& path, const toml::table& root, CompareConfig& cfg) {
  auto* b = root.get("budget");
  if (!b) return;
  const toml::table& t = table(path, *b, "budget");
  check_keys(path, t, "budget", {"state", "fixed", "trained", "parameters", "tolerance", "outside"});
  double tolerance = 0.05;
  if (auto* s = t.get("tolerance")) {
    const auto v = s->value<double>();
    if (!v || !(*v >= 0 && *v < 1))  // NaN too
      fail(path, *s, "budget.tolerance: expected a number in [0, 1)");
    tolerance = *v;
  }
  if (auto* s = t.get("outside")) {
    const auto v = s->value<std::string>();
    if (!v || (*v != "error" && *v != "skip"))
      fail(path, *s, "budget.outside: expected \"error\" or \"skip\"");
    cfg.budget.skip = *v == "skip";
  }
  Budget& budget = cfg.budget;
  for (BudgetLimit* limit : {&budget.state, &budget.fixed, &budget.trained, &budget.parameters}) {
    const toml::node* n = t.get(limit->key);
    if (!n) continue;
    const std::string key = std::string("budget.") + limit->key;
    auto positive = [&](const toml::node& v, const std::string& name) {
      const auto x = v.value<double>();
      if (!x || !(*x >= 1)) fail(path, v, name + ": expected a number >= 1");
      return *x;
    };
    if (auto* range = n->as_table()) {
      check_keys(path, *range, key, {"min", "max"});
      limit->min = range->get("min") ? positive(*range->get("min"), key + ".min") : 0;
      limit->max = range->get("max") ? positive(*range->get("max"), key + ".max") : HUGE_VAL;
      if (limit->min > limit->max) fail(path, *n, key + ": min is above max");
    } else {
      const double target = positive(*n, key);
      limit->min = target * (1 - tolerance);
      limit->max = target * (1 + tolerance);
    }
  }
}

// Task and model names in file order (a TOML table iterates by key).
void read_names(const std::string& path, const toml::table& root, CompareConfig& cfg) {
  for (const char* section : {"task", "model"}) {
    if (!root.get(section)) throw InputError(path + ": no [" + section + ".NAME] table");
    std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::string>> order;
    for (auto&& [k, node] : table(path, *root.get(section), section)) {
      table(path, node, std::string(section) + "." + std::string(k.str()));
      order.push_back({{k.source().begin.line, k.source().begin.column}, std::string(k.str())});
    }
    std::sort(order.begin(), order.end());
    for (auto& [pos, name] : order) (std::string(section) == "task" ? cfg.tasks : cfg.models).push_back(name);
  }
}

// --quick: the [quick] table's subset of seeds, tasks and models.
void apply_quick(const std::string& path, const toml::table& root, CompareConfig& cfg) {
  const toml::node* q = root.get("quick");
  if (!q) throw InputError(path + ": --quick needs a [quick] table (seeds, tasks, models)");
  const toml::table& t = table(path, *q, "quick");
  check_keys(path, t, "quick", {"seeds", "tasks", "models"});
  if (auto* s = t.get("seeds")) cfg.seeds = seeds(path, *s, "quick.seeds");
  for (auto [key, list] : {std::pair{"tasks", &cfg.tasks}, std::pair{"models", &cfg.models}})
    if (auto* s = t.get(key)) {
      const auto chosen = strings(path, *s, std::string("quick.") + key);
      for (auto& c : chosen)
        if (std::find(list->begin(), list->end(), c) == list->end())
          fail(path, *s,
               std::string("quick.") + key + ": there is no [" +
                   std::string(key).substr(0, std::string(key).size() - 1) + "." + c + "] in this file");
      *list = chosen;
    }
}

// One run's scenario: the model's tables, the task's table (with its quick values under
// --quick) and the seed. Parsing the file afresh per run lets the nodes move, keeping their
// locations for error messages.
CompareRun make_run(const std::string& path, const std::string& text, bool quick, const std::string& model,
                    const std::string& task, std::uint64_t seed, const std::vector<std::string>& sets,
                    const std::vector<SweepValue>& point) {
  toml::table fresh = parse_toml(text, path);
  toml::table& m = *fresh.get("model")->as_table()->get(model)->as_table();
  toml::table& t = *fresh.get("task")->as_table()->get(task)->as_table();
  check_keys(path, m, "model." + model, {std::begin(kModelKeys), std::end(kModelKeys)});
  std::vector<std::string> run_sets;
  if (auto* s = t.get("set")) run_sets = strings(path, *s, "task." + task + ".set");
  if (auto* q = t.get("quick")) {
    for (auto&& [k, node] : table(path, *q, "task." + task + ".quick"))
      if (k.str() == "quick" || k.str() == "set")
        fail(path, node,
             "task." + task + ".quick." + std::string(k.str()) +
                 ": a quick table holds the task's own keys (train, test, ...), not another '" +
                 std::string(k.str()) + "' (docs/compare.md)");
    // Moved out first: merging it into t replaces t's "quick", the table being read.
    toml::table q_values = std::move(*q->as_table());
    t.erase("quick");
    if (quick) merge_into(t, std::move(q_values));
  }
  t.erase("set");
  m.erase("sweep");
  m.erase("search");
  if (!t.contains("kind")) t.insert("kind", task);
  toml::table sc;
  merge_into(sc, std::move(m));
  sc.insert_or_assign("task", std::move(t));
  sc.insert_or_assign("seed", static_cast<std::int64_t>(seed));
  std::ostringstream printed;
  run_sets.insert(run_sets.end(), sets.begin(), sets.end());
  for (auto& v : point) run_sets.push_back(v.key + "=" + v.value);  // last: the run is labelled with it
  printed << "# " << path << ": model " << model << ", task " << task << ", seed " << seed;
  for (auto& set : run_sets) printed << " --set " << set;
  printed << "\n" << toml::toml_formatter(sc);
  CompareRun run;
  run.model = model;
  run.task = task;
  run.seed = seed;
  run.point = point;
  try {
    run.scenario = scenario_from_table(std::move(sc), printed.str(), path, run_sets);
  } catch (const InputError& e) {  // the scenario's keys, said as the config spells them
    std::string swept;
    for (auto& v : point) swept += (swept.empty() ? ", sweep point " : ", ") + v.key + " = " + v.value;
    throw InputError(std::string(e.what()) + " (in the run of model '" + model + "' on task '" + task + "'" +
                     swept + ": its [task] is [task." + task + "], its other tables are under [model." +
                     model + "])");
  }
  return run;
}

// Why a run is outside the budget ("" when it is inside).
std::string outside_budget(const Budget& budget, const RunSizes& sizes) {
  const std::pair<const BudgetLimit*, std::size_t> checks[] = {{&budget.state, sizes.state},
                                                               {&budget.fixed, sizes.fixed_weights},
                                                               {&budget.trained, sizes.trained_weights},
                                                               {&budget.parameters, sizes.seed_parameters}};
  for (auto [limit, value] : checks) {
    if (limit->max == 0) continue;
    const double v = static_cast<double>(value);
    if (v < limit->min || v > limit->max) {
      char range[96];
      if (std::isinf(limit->max)) std::snprintf(range, sizeof range, "at least %.6g", std::ceil(limit->min));
      else std::snprintf(range, sizeof range, "%.6g to %.6g", std::ceil(limit->min), std::floor(limit->max));
      return "it has " + std::to_string(value) + " " + limit->what + "; the budget (budget." + limit->key +
             ") allows " + range;
    }
  }
  return "";
}

// The run's sizes, and whether it is within the budget: a run outside is an input error naming
// the model, or left out (outside = "skip").
bool within_budget(const std::string& path, const toml::table& root, CompareConfig& cfg, CompareRun& run) {
  check_memory(run.scenario, /*bounded=*/true);  // before any population is built; run() runs bounded
  const Budget& b = cfg.budget;
  run.sizes = run_sizes(run.scenario, b.fixed.max != 0);
  const std::string why = outside_budget(b, run.sizes);
  if (why.empty()) return true;
  std::string name = run.model + "/" + run.task;  // the run's id without its seed
  for (auto& v : run.point) name += "/" + v.key + "=" + v.value;
  if (b.skip) {
    cfg.skipped.push_back(name + ": " + why);
    return false;
  }
  fail(path, *root.get("model")->as_table()->get(run.model),
       "model '" + run.model + "' on task '" + run.task + "'" + (run.point.empty() ? "" : " (" + name + ")") +
           ": " + why);
}

}  // namespace

namespace {

std::string read_config(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": is a directory, not a " + what + " (expected a .toml file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the " + what + " (" + std::strerror(errno) + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A model's points: its sweep's (the common [sweep] with its own), or its search's trials.
struct ModelPoints {
  std::vector<std::vector<SweepValue>> points;
  bool searched = false;
};

ModelPoints model_points(const std::string& path, const toml::table& m, const std::string& model,
                         const Sweep& common, const Search& common_search) {
  Sweep sweep = common;
  if (auto* sw = m.get("sweep")) {
    const toml::table& own = table(path, *sw, "model." + model + ".sweep");
    sweep = merge_sweeps(common, read_sweep(path, own, "model." + model + ".sweep"), own.contains("mode"));
  }
  const toml::node* se = m.get("search");
  if (!se) return {expand(sweep), false};
  const std::string name = "model." + model + ".search";
  const Search search = read_search(path, table(path, *se, name), name, common_search);
  if (search.keys.empty())
    fail(path, *se, name + ": no key to search (e.g. \"population.res.tau\" = { min = 1, max = 10 })");
  if (search.trials == 0) fail(path, *se, name + ": how many trials? (trials = N here or in [search])");
  if (!sweep.keys.empty()) fail(path, *se, name + ": a model is either swept or searched, not both");
  ModelPoints mp{{}, true};
  for (std::size_t t = 0; t < search.trials; ++t) mp.points.push_back(draw_trial(search, model, t));
  return mp;
}

}  // namespace

CompareConfig load_scenario_sweep(const std::string& scenario, const std::string& sweep_path,
                                  const std::vector<std::string>& sets) {
  const std::string text = read_config(sweep_path, "sweep file");
  const toml::table root = parse_toml(text, sweep_path);
  check_keys(sweep_path, root, "", {"sweep", "seeds"});
  if (!root.get("sweep")) throw InputError(sweep_path + ": no [sweep] table (docs/compare.md, \"Sweeps\")");
  const auto points = expand(read_sweep(sweep_path, table(sweep_path, *root.get("sweep"), "sweep"), "sweep"));
  const Scenario base = load_scenario(scenario, sets);
  CompareConfig cfg;
  cfg.path = scenario;
  cfg.description = base.description;
  cfg.models = {std::filesystem::path(scenario).stem().string()};
  cfg.tasks = {base.task_kind};
  cfg.seeds = root.get("seeds") ? seeds(sweep_path, *root.get("seeds"), "seeds")
                                : std::vector<std::uint64_t>{base.seed};
  for (std::size_t k = 0; k < points.size(); ++k)
    for (auto seed : cfg.seeds) {
      CompareRun run;
      run.model = cfg.models[0];
      run.task = cfg.tasks[0];
      run.seed = seed;
      run.point = points[k];
      run.point_index = k;
      std::vector<std::string> run_sets = sets;
      run_sets.push_back("seed=" + std::to_string(seed));
      for (auto& v : run.point) run_sets.push_back(v.key + "=" + v.value);
      try {
        run.scenario = load_scenario(scenario, run_sets);
      } catch (const InputError& e) {
        throw InputError(std::string(e.what()) + " (sweep point of " + sweep_path + ": " + run.id() + ")");
      }
      check_memory(run.scenario, /*bounded=*/true);
      run.sizes = run_sizes(run.scenario, false);
      cfg.runs.push_back(std::move(run));
    }
  return cfg;
}

CompareConfig load_compare(const std::string& path, bool quick, const std::vector<std::string>& sets) {
  const std::string text = read_config(path, "comparison config");
  const toml::table root = parse_toml(text, path);
  check_keys(path, root, "", {"description", "seeds", "budget", "quick", "sweep", "search", "task", "model"});

  CompareConfig cfg;
  cfg.path = path;
  cfg.quick = quick;
  if (auto* d = root.get("description")) cfg.description = d->value_or(std::string());
  if (!root.get("seeds")) throw InputError(path + ": missing 'seeds' (e.g. seeds = [1, 2, 3])");
  cfg.seeds = seeds(path, *root.get("seeds"), "seeds");
  read_budget(path, root, cfg);
  read_names(path, root, cfg);
  if (quick) apply_quick(path, root, cfg);
  Sweep common;
  if (auto* sw = root.get("sweep")) common = read_sweep(path, table(path, *sw, "sweep"), "sweep");
  Search common_search;
  if (auto* se = root.get("search")) {
    const toml::table& t = table(path, *se, "search");
    check_keys(path, t, "search", {"trials", "seed"});  // ranges belong to a model
    common_search = read_search(path, t, "search", {});
  }
  for (auto& model : cfg.models) {
    const toml::table& m = *root.get("model")->as_table()->get(model)->as_table();
    const ModelPoints mp = model_points(path, m, model, common, common_search);
    for (std::size_t k = 0; k < mp.points.size(); ++k)
      for (auto& task : cfg.tasks) {
        // The sizes of the point on the task, from its first seed's scenario (seeds change
        // weights, not sizes).
        std::optional<RunSizes> sizes;
        for (auto seed : cfg.seeds) {
          CompareRun run = make_run(path, text, quick, model, task, seed, sets, mp.points[k]);
          run.point_index = k;
          if (mp.searched) {
            run.trial = static_cast<long>(k);
            if (!run.scenario.task.has("validation") || run.scenario.task.integer("validation") == 0)
              fail(path, *m.get("search"),
                   "model." + model + ".search: the search chooses on the validation split, but task '" +
                       task + "' has none (set validation in [task." + task + "])");
          }
          if (!sizes) {
            if (!within_budget(path, root, cfg, run)) break;
            sizes = run.sizes;
          }
          run.sizes = *sizes;
          cfg.runs.push_back(std::move(run));
        }
      }
  }
  return cfg;
}

namespace {

// The mean of a run's attention_entropy_<population> metrics, if it has any.
std::optional<double> mean_attention_entropy(const std::map<std::string, double>& metrics) {
  double sum = 0;
  std::size_t n = 0;
  for (auto& [name, v] : metrics)
    if (name.rfind("attention_entropy_", 0) == 0) {
      sum += v;
      ++n;
    }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

}  // namespace

std::string CompareRun::id() const {
  std::string id = model + "/" + task + "/seed_" + std::to_string(seed);
  if (trial >= 0) id += "/trial_" + std::to_string(trial);
  for (auto& v : point) id += "/" + v.key + "=" + v.value;
  return id;
}

CompareOutcome run_one(const CompareRun& run, const std::atomic<int>* stop) {
  // BLAS on one thread: a multi-threaded BLAS sums in another order, and a run's numbers must
  // not depend on how the runs are spread (one process, shards, MPI ranks bound to a core).
  const SingleThreadedBlas blas;
  CompareOutcome o{&run, {}};
  RunOptions opts;
  opts.stop = stop;
  try {
    o.result = ransim::run(run.scenario, opts);
  } catch (const std::exception& e) {  // e.g. a data file that cannot be read: the other runs go on
    o.result.status = RunStatus::Failed;
    o.result.message = e.what();
  }
  return o;
}

namespace {

// The row of one (model, point, task) from its completed runs.
CompareRow summarise_row(const std::vector<const CompareOutcome*>& outcomes) {
  CompareRow row;
  row.model = outcomes.front()->run->model;
  row.task = outcomes.front()->run->task;
  row.point = outcomes.front()->run->point;
  std::vector<double> values;
  double entropy_sum = 0, validation_sum = 0;
  std::size_t entropy_runs = 0, validation_runs = 0;
  for (const CompareOutcome* o : outcomes) {
    ++row.runs;
    row.state_size = o->result.state_size;
    row.fixed_weights = o->result.fixed_weights;
    row.readout_weights = std::max(row.readout_weights, o->result.readout_weights);
    row.seed_parameters = o->run->sizes.seed_parameters;
    row.wall_seconds += o->result.wall_seconds;
    row.metric = std::string(metric_name(o->result.metric)) + "_test";
    row.higher_is_better = higher_is_better(o->result.metric);
    auto it = o->result.metrics.find(row.metric);
    if (o->result.status != RunStatus::Complete || it == o->result.metrics.end()) continue;
    values.push_back(it->second);
    if (const auto h = mean_attention_entropy(o->result.metrics)) {
      entropy_sum += *h;
      ++entropy_runs;
    }
    const std::string base = std::string(metric_name(o->result.metric));
    if (auto v = o->result.metrics.find(base + "_validation"); v != o->result.metrics.end()) {
      validation_sum += v->second;
      ++validation_runs;
    }
    if (auto l = o->result.metrics.find("ridge_selected"); l != o->result.metrics.end()) {
      row.ridge_min = std::isnan(row.ridge_min) ? l->second : std::min(row.ridge_min, l->second);
      row.ridge_max = std::isnan(row.ridge_max) ? l->second : std::max(row.ridge_max, l->second);
    }
  }
  if (entropy_runs) row.attention_entropy = entropy_sum / static_cast<double>(entropy_runs);
  if (validation_runs) row.validation = validation_sum / static_cast<double>(validation_runs);
  row.completed = values.size();
  row.wall_seconds /= static_cast<double>(row.runs);
  double mean = 0, var = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  for (double v : values) var += (v - mean) * (v - mean);
  row.mean = values.empty() ? NAN : mean;
  row.std = values.size() > 1 ? std::sqrt(var / static_cast<double>(values.size() - 1)) : 0.0;
  return row;
}

}  // namespace

namespace {

// A searched model's winner among its trials' rows: the best mean validation metric (a trial
// without one never wins); the rows' test scores play no part.
CompareRow winning_trial(std::vector<CompareRow> trials) {
  const CompareRow* best = nullptr;
  for (auto& row : trials) {
    if (!std::isfinite(row.validation)) continue;
    if (!best ||
        (row.higher_is_better ? row.validation > best->validation : row.validation < best->validation))
      best = &row;
  }
  CompareRow out = best ? *best : trials.front();
  if (!best) out.mean = out.std = NAN, out.completed = 0;  // no trial could be judged
  out.trials = trials.size();
  return out;
}

}  // namespace

std::vector<CompareRow> summarise(const CompareConfig& cfg, const std::vector<CompareOutcome>& outcomes) {
  // Rows task-major, then models and their sweep points in config order.
  std::vector<CompareRow> rows;
  for (auto& task : cfg.tasks)
    for (auto& model : cfg.models) {
      std::vector<std::pair<std::vector<SweepValue>, long>> points;  // (values, trial)
      for (auto& run : cfg.runs)
        if (run.model == model && run.task == task &&
            std::find(points.begin(), points.end(), std::pair(run.point, run.trial)) == points.end())
          points.push_back({run.point, run.trial});
      std::vector<CompareRow> trials;
      for (auto& [point, trial] : points) {
        std::vector<const CompareOutcome*> done;
        for (auto& o : outcomes)
          if (o.run->model == model && o.run->task == task && o.run->point == point && o.run->trial == trial)
            done.push_back(&o);
        if (done.empty()) continue;
        if (trial >= 0) trials.push_back(summarise_row(done));
        else rows.push_back(summarise_row(done));
      }
      if (!trials.empty()) rows.push_back(winning_trial(std::move(trials)));
    }
  return rows;
}

CompareResult run_compare(const CompareConfig& cfg, const std::atomic<int>* stop,
                          const std::function<void(const CompareOutcome&, std::size_t)>& on_run) {
  CompareResult r;
  for (std::size_t i = 0; i < cfg.runs.size(); ++i) {
    if (stop && stop->load()) break;
    r.outcomes.push_back(run_one(cfg.runs[i], stop));
    if (on_run) on_run(r.outcomes.back(), i);
  }
  r.rows = summarise(cfg, r.outcomes);
  return r;
}

}  // namespace ransim
