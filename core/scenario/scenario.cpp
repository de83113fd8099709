#include "scenario/scenario.hpp"

#include <toml++/toml.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "readout/ridge.hpp"
#include "scenario/scenario_table.hpp"
#include "scenario/toml_nesting.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

namespace {

// Locations: a node from the file says file:line:col; one from --set says which flag.
struct Context {
  std::string path;
  std::map<std::string, std::string> set_flags;  // dotted key -> "--set k=v"

  std::string where(const toml::node& n, const std::string& key) const { return where(n.source(), key); }
  std::string where(const toml::source_region& src, const std::string& key) const {
    auto it = set_flags.find(key);
    if (it != set_flags.end()) return it->second;
    if (src.begin.line == 0) {  // made by a --set below this key (a table it created)
      for (auto& [set_key, flag] : set_flags)
        if (set_key.rfind(key + ".", 0) == 0) return flag;
      return path;
    }
    return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& what) const {
    throw InputError(where(n, key) + ": " + shorten(key) + ": " + what);
  }
};

std::string found(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "the string \"" + shorten(n.as_string()->get()) + "\"";
    case toml::node_type::integer: return "the integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: {
      std::ostringstream s;
      s << n.as_floating_point()->get();
      return "the number " + s.str();
    }
    case toml::node_type::boolean: return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date or time";
  }
}

std::string join_key(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

std::string known_keys(const std::vector<ParamSpec>& specs, const std::vector<std::string>& extra) {
  std::string out;
  for (auto& e : extra) out += (out.empty() ? "" : ", ") + e;
  for (auto& s : specs) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

// Values of a table checked against specs; keys in `extra` are the caller's to read.
Params read_params(const Context& cx, const toml::table& t, const std::vector<ParamSpec>& specs,
                   const std::string& prefix, const std::vector<std::string>& extra = {}) {
  Params p = defaults(specs);
  for (auto&& [k, node] : t) {
    const std::string key = join_key(prefix, k.str());
    if (std::find(extra.begin(), extra.end(), std::string(k.str())) != extra.end()) continue;
    const ParamSpec* spec = find_spec(specs, std::string(k.str()));
    if (!spec)
      throw InputError(cx.where(k.source(), key) + ": unknown key '" + shorten(key) +
                       "' (known here: " + known_keys(specs, extra) + ")");
    Value v;
    switch (node.type()) {
      case toml::node_type::integer: v = node.as_integer()->get(); break;
      case toml::node_type::floating_point: v = node.as_floating_point()->get(); break;
      case toml::node_type::boolean: v = node.as_boolean()->get(); break;
      case toml::node_type::string: v = std::string(*node.as_string()); break;
      default: cx.fail(node, key, "expected " + spec->expectation() + ", found " + found(node));
    }
    if (auto why = spec->check(v))
      cx.fail(node, key, "expected " + spec->expectation() + ", found " + found(node));
    p.set(spec->name, v);
  }
  return p;
}

const toml::table& table_at(const Context& cx, const toml::table& root, const std::string& key) {
  const toml::node* n = root.get(key);
  if (!n->is_table()) cx.fail(*n, key, "expected a table, found " + found(*n));
  return *n->as_table();
}

std::vector<std::string> string_list(const Context& cx, const toml::node& n, const std::string& key,
                                     bool allow_single) {
  std::vector<std::string> out;
  if (allow_single && n.is_string()) return {std::string(*n.as_string())};
  const toml::array* a = n.as_array();
  if (!a)
    cx.fail(n, key,
            std::string("expected ") + (allow_single ? "a string or " : "") + "an array of strings, found " +
                found(n));
  for (auto& e : *a) {
    if (!e.is_string()) cx.fail(e, key, "expected an array of strings, found an element " + found(e));
    out.emplace_back(*e.as_string());
  }
  return out;
}

// `count` positive numbers (integers or reals).
std::vector<double> share_list(const Context& cx, const toml::node& n, const std::string& key,
                               std::size_t count) {
  const toml::array* a = n.as_array();
  if (!a || a->size() != count)
    cx.fail(n, key,
            "expected an array of " + std::to_string(count) +
                " numbers > 0, one per source in 'from', found " + found(n));
  std::vector<double> out;
  for (auto& e : *a) {
    const auto v = e.value<double>();
    if (!v || !(*v > 0) || !std::isfinite(*v)) cx.fail(e, key, "expected a number > 0, found " + found(e));
    out.push_back(*v);
  }
  return out;
}

std::string read_string(const Context& cx, const toml::table& t, const std::string& k, const std::string& key,
                        const toml::node& owner) {
  const toml::node* n = t.get(k);
  if (!n) cx.fail(owner, key, "missing required key '" + k + "'");
  if (!n->is_string()) cx.fail(*n, join_key(key, k), "expected a string, found " + found(*n));
  return std::string(*n->as_string());
}

const std::regex& name_pattern() {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return re;
}

// Applies "a.b.c=value": parses value as TOML (bare words become strings) and stores it,
// creating tables as needed; "projection.0.scale" indexes an array of tables.
void apply_set(toml::table& root, const std::string& flag, Context& cx) {
  const auto eq = flag.find('=');
  if (eq == std::string::npos || eq == 0) throw InputError("--set " + shorten(flag) + ": expected key=value");
  const std::string key = flag.substr(0, eq), text = flag.substr(eq + 1);
  const std::string blame = "--set " + shorten(flag);
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {  // "a..b", ".a" and "a." have an empty part
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (parts.back().empty())
      throw InputError(blame +
                       ": the key has an empty part (expected dotted names, e.g. population.res.tau)");
    if (parts.size() > kMaxTomlNesting)
      throw InputError(blame + ": a key of more than " + std::to_string(kMaxTomlNesting) +
                       " parts (the nesting limit of ransim's TOML reader)");
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  check_toml_nesting(text, blame, false);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", text}};  // a bare word
  }
  toml::node* cur = &root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (auto* t = cur->as_table()) {
      if (!t->contains(parts[i])) t->insert(parts[i], toml::table{});
      cur = t->get(parts[i]);
    } else if (auto* a = cur->as_array()) {
      char* end = nullptr;
      const long idx = std::strtol(parts[i].c_str(), &end, 10);
      if (*end || idx < 0 || static_cast<std::size_t>(idx) >= a->size())
        throw InputError(blame + ": '" + parts[i] + "' is not an index of the array (0.." +
                         std::to_string(a->size() ? a->size() - 1 : 0) + ")");
      cur = a->get(static_cast<std::size_t>(idx));
    }
    if (!cur->is_table() && !cur->is_array()) throw InputError(blame + ": '" + parts[i] + "' is not a table");
  }
  auto* t = cur->as_table();
  if (!t) throw InputError(blame + ": the last key must name a table entry");
  parsed.get("v")->visit([&](auto&& node) { t->insert_or_assign(parts.back(), std::move(node)); });
  cx.set_flags[key] = blame;
}

// The steps of scenario_from_table, one per top-level part of the file.

bool has_population(const Scenario& sc, const std::string& name) {
  return std::any_of(sc.populations.begin(), sc.populations.end(),
                     [&](const PopulationDecl& p) { return p.name == name; });
}

const toml::table& optional_table(const Context& cx, const toml::table& root, const std::string& key) {
  static const toml::table empty;
  return root.contains(key) ? table_at(cx, root, key) : empty;
}

void read_top_level(Context& cx, const toml::table& root, Scenario& sc) {
  const std::vector<std::string> sections = {"description", "seed",    "simulation", "task",   "population",
                                             "projection",  "readout", "record",     "compare", "network", "train"};
  for (auto&& [k, node] : root)
    if (std::find(sections.begin(), sections.end(), std::string(k.str())) == sections.end()) {
      std::string known;
      for (auto& s : sections) known += (known.empty() ? "" : ", ") + s;
      throw InputError(cx.where(k.source(), std::string(k.str())) + ": unknown key '" + shorten(k.str()) +
                       "' (known at the top level: " + known + ")");
    }

  if (const toml::node* n = root.get("description")) {
    if (!n->is_string()) cx.fail(*n, "description", "expected a string, found " + found(*n));
    sc.description = std::string(*n->as_string());
  }
  if (const toml::node* n = root.get("seed")) {
    if (!n->is_integer() || n->as_integer()->get() < 0)
      cx.fail(*n, "seed", "expected an integer >= 0, found " + found(*n));
    sc.seed = static_cast<std::uint64_t>(n->as_integer()->get());
  }
}

void read_simulation(Context& cx, const toml::table& root, Scenario& sc) {
  const Params sim =
      read_params(cx, optional_table(cx, root, "simulation"), simulation_specs(), "simulation");
  sc.integrator.method = parse_method(sim.string("integrator"));
  sc.integrator.dt = sim.real("dt");
  sc.integrator.token_period = sim.real("token_period");
  sc.integrator.abs_tol = sim.real("abs_tol");
  sc.integrator.rel_tol = sim.real("rel_tol");
  sc.lanes = static_cast<std::size_t>(sim.integer("lanes"));
  sc.threads = static_cast<std::size_t>(sim.integer("threads"));
  if (sc.integrator.method != Method::Dopri5) {
    auto g = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", v);
      return std::string(buf);
    };
    const double T = sc.integrator.token_period, dt = sc.integrator.dt, r = T / dt;
    const toml::node* n = root.get("simulation");
    if (!(r <= kMaxStepsPerToken))  // before the rounding test: 1e308 / 1 is "whole" too
      cx.fail(n ? *n : root, "simulation.token_period",
              "token_period / dt = " + g(T) + " s / " + g(dt) + " s = " + g(r) +
                  " integrator steps per token; at most " + g(kMaxStepsPerToken) +
                  " are allowed (a token this long would not finish)");
    if (std::abs(r - std::round(r)) > 1e-9 * r || std::round(r) < 1)
      cx.fail(n ? *n : root, "simulation.dt",
              "token_period (" + g(T) + " s) must be a whole multiple of dt (" + g(dt) +
                  " s) for fixed-step integrators");
  }
}

void read_task(Context& cx, const toml::table& root, Scenario& sc) {
  if (!root.contains("task")) throw InputError(sc.path + ": missing the [task] table");
  const toml::table& t = table_at(cx, root, "task");
  sc.task_kind = read_string(cx, t, "kind", "task", *root.get("task"));
  const TaskInfo* info = find_task(sc.task_kind);
  if (!info) {
    std::string known;
    for (auto& ti : tasks()) known += (known.empty() ? "" : ", ") + ti.kind;
    cx.fail(*t.get("kind"), "task.kind",
            "unknown task '" + shorten(sc.task_kind) + "' (known: " + known + ")");
  }
  sc.task = read_params(cx, t, info->params, "task", {"kind"});
}

// Populations, in file order (a TOML table iterates by key; ones added by --set come last):
// the order of the state vector, the readout's features and the recording.
void read_populations(Context& cx, const toml::table& root, Scenario& sc) {
  if (!root.contains("population")) throw InputError(sc.path + ": no [population.NAME] table");
  const toml::table& pops = table_at(cx, root, "population");
  std::vector<std::pair<const toml::key*, const toml::node*>> ordered;
  for (auto&& [k, node] : pops) ordered.push_back({&k, &node});
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    auto pos = [](const toml::key* k) {
      const auto& p = k->source().begin;
      return p.line ? std::make_pair(p.line, p.column) : std::make_pair(~0u, ~0u);
    };
    return pos(a.first) < pos(b.first);
  });
  for (auto [kp, np] : ordered) {
    const toml::key& k = *kp;
    const toml::node& node = *np;
    const std::string name(k.str()), key = "population." + name;
    if (!std::regex_match(name, name_pattern()) || name == "input")
      cx.fail(node, key, "population names are identifiers other than 'input'");
    if (!node.is_table()) cx.fail(node, key, "expected a table, found " + found(node));
    const toml::table& t = *node.as_table();
    PopulationDecl d{name, read_string(cx, t, "kind", key, node), {}};
    const PopulationInfo* info = Registry::global().find(d.kind);
    if (!info)
      cx.fail(
          *t.get("kind"), key + ".kind",
          "unknown population model '" + shorten(d.kind) + "' (known: " + Registry::global().kinds() + ")");
    d.params = read_params(cx, t, info->params, key, {"kind"});
    sc.populations.push_back(std::move(d));
  }
}

void read_projections(Context& cx, const toml::table& root, Scenario& sc) {
  if (const toml::node* n = root.get("projection")) {
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables())
      cx.fail(*n, "projection", "expected an array of tables ([[projection]]), found " + found(*n));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& pn = *arr->get(i);
      const toml::table& t = *pn.as_table();
      const std::string key = "projection." + std::to_string(i);
      ProjectionDecl d;
      const toml::node* from = t.get("from");
      if (!from) cx.fail(pn, key, "missing required key 'from'");
      d.from = string_list(cx, *from, key + ".from", true);
      if (d.from.empty()) cx.fail(*from, key + ".from", "expected at least one source, found an empty array");
      d.to = read_string(cx, t, "to", key, pn);
      d.kind = t.contains("kind") ? read_string(cx, t, "kind", key, pn) : "sparse";
      if (d.kind != "sparse" && d.kind != "identity")
        cx.fail(*t.get("kind"), key + ".kind",
                "expected one of \"sparse\" | \"identity\", found the string \"" + d.kind + "\"");
      for (auto& f : d.from)
        if (f != "input" && !has_population(sc, f))
          cx.fail(*from, key + ".from", "no population named '" + shorten(f) + "'");
      if (!has_population(sc, d.to))
        cx.fail(*t.get("to"), key + ".to", "no population named '" + shorten(d.to) + "'");
      if (d.kind == "sparse" && d.from.size() != 1)
        cx.fail(*from, key + ".from", "a sparse projection has exactly one source");
      d.name = t.contains("name") ? read_string(cx, t, "name", key, pn) : "";
      if (d.name.empty()) {
        for (auto& f : d.from) d.name += (d.name.empty() ? "" : "+") + f;
        d.name += "_to_" + d.to;
      }
      d.params = read_params(
          cx, t, d.kind == "sparse" ? sparse_projection_specs() : identity_projection_specs(), key,
          d.kind == "sparse" ? std::vector<std::string>{"from", "to", "kind", "name"}
                             : std::vector<std::string>{"from", "to", "kind", "name", "share"});
      if (const toml::node* share = t.get("share"); share && d.kind == "identity")
        d.share = share_list(cx, *share, key + ".share", d.from.size());
      sc.projections.push_back(std::move(d));
    }
  }
}

std::vector<double> ridge_candidates(const Context& cx, const toml::node& n) {
  const std::string key = "readout.ridge";
  if (n.is_string()) {
    if (n.as_string()->get() != "auto")
      cx.fail(n, key, "expected a number >= 0, \"auto\" or an array of numbers >= 0, found " + found(n));
    return ridge_auto_grid();
  }
  const toml::array& a = *n.as_array();
  if (a.empty()) cx.fail(n, key, "expected at least one candidate lambda, found an empty array");
  std::vector<double> out;
  for (auto& e : a) {
    const auto v = e.value<double>();
    if (!e.is_number() || !v || !(*v >= 0) || !std::isfinite(*v))
      cx.fail(e, key, "expected an array of numbers >= 0, found an element " + found(e));
    out.push_back(*v);
  }
  return out;
}

// readout.kind = "rls" | "force": the keys that go with each kind (docs/scenarios.md).
void check_online_readout(const Context& cx, const toml::table& t, const Scenario& sc) {
  const std::string& kind = sc.readout.string("kind");
  const toml::node& where = t.get("kind") ? *t.get("kind") : static_cast<const toml::node&>(t);
  if (sc.readout.string("statistics") == "single" && !find_task(sc.task_kind)->episodic())
    cx.fail(*t.get("statistics"), "readout.statistics",
            "\"single\" applies to episode tasks; task '" + sc.task_kind + "' is a stream (leave it out)");
  if (kind != "ridge" && !sc.readout_ridge_candidates.empty())
    cx.fail(*t.get("ridge"), "readout.ridge",
            "a list or \"auto\" chooses the ridge of kind = \"ridge\"; kind = \"" + kind +
                "\" learns online (its penalty is readout.alpha)");
  if (kind != "ridge" && find_task(sc.task_kind)->episodic())
    cx.fail(where, "readout.kind",
            "\"" + kind + "\" learns token by token on stream tasks; task '" + sc.task_kind +
                "' runs in episodes (use kind = \"ridge\")");
  const std::string& to = sc.readout.string("feedback_to");
  if (kind == "force" && to.empty())
    cx.fail(where, "readout.kind",
            "\"force\" feeds the readout's output back into a population: set readout.feedback_to");
  if (!to.empty() && kind != "force")
    cx.fail(*t.get("feedback_to"), "readout.feedback_to",
            "applies to kind = \"force\" only (kind is \"" + kind + "\")");
  if (!to.empty() && !has_population(sc, to))
    cx.fail(*t.get("feedback_to"), "readout.feedback_to", "no population named '" + shorten(to) + "'");
}

void read_readout(Context& cx, const toml::table& root, Scenario& sc) {
  const toml::table& t = optional_table(cx, root, "readout");
  // readout.ridge = "auto" or [a, b, ...]: candidates chosen on the task's validation split.
  const toml::node* ridge = t.get("ridge");
  const bool candidates = ridge && (ridge->is_string() || ridge->is_array());
  const std::vector<std::string> extra =
      candidates ? std::vector<std::string>{"from", "ridge"} : std::vector<std::string>{"from"};
  sc.readout = read_params(cx, t, readout_specs(), "readout", extra);
  if (candidates) sc.readout_ridge_candidates = ridge_candidates(cx, *ridge);
  if (const toml::node* f = t.get("from")) {
    sc.readout_from = string_list(cx, *f, "readout.from", false);
    if (sc.readout_from.empty())
      cx.fail(*f, "readout.from",
              "expected at least one population name, found an empty array (leave readout.from out to "
              "read out every population)");
    for (auto& p : sc.readout_from)  // "POP" or "POP.RECORDABLE" (checked against the model when built)
      if (!has_population(sc, p) && !has_population(sc, p.substr(0, p.find('.'))))
        cx.fail(*f, "readout.from", "no population named '" + shorten(p) + "'");
  }
  check_online_readout(cx, t, sc);
}

// [network] weights_file and [train] (docs/training.md).
void read_training(Context& cx, const toml::table& root, Scenario& sc) {
  static const std::vector<ParamSpec> network = {
      param::string("weights_file").describe("HDF5 recording of `ransim train` whose trained weights replace "
                                             "the drawn ones")};
  sc.weights_file = read_params(cx, optional_table(cx, root, "network"), network, "network").string("weights_file");
  const toml::table& t = optional_table(cx, root, "train");
  sc.train = read_params(cx, t, train_specs(), "train", {"trainable"});
  if (const toml::node* n = t.get("trainable")) sc.train_trainable = string_list(cx, *n, "train.trainable", false);
}

void read_record(Context& cx, const toml::table& root, Scenario& sc) {
  const toml::table& t = optional_table(cx, root, "record");
  sc.record = read_params(cx, t, record_specs(), "record", {"variables"});
  if (const toml::node* v = t.get("variables")) {
    sc.record_variables = string_list(cx, *v, "record.variables", false);
    for (auto& name : sc.record_variables)
      if (!has_population(sc, name.substr(0, name.find('.'))))
        cx.fail(*v, "record.variables",
                "'" + shorten(name) + "' names no population (use \"pop\" or \"pop.variable\")");
  }
}

void read_compares(Context& cx, const toml::table& root, Scenario& sc) {
  if (const toml::node* n = root.get("compare")) {
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables())
      cx.fail(*n, "compare", "expected an array of tables ([[compare]]), found " + found(*n));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& cn = *arr->get(i);
      const toml::table& t = *cn.as_table();
      const std::string key = "compare." + std::to_string(i);
      for (auto&& [k, node] : t)
        if (k.str() != "name" && k.str() != "a" && k.str() != "b")
          throw InputError(cx.where(k.source(), key + "." + std::string(k.str())) + ": unknown key '" +
                           shorten(key) + "." + std::string(k.str()) + "' (known here: name, a, b)");
      CompareDecl d{t.contains("name") ? read_string(cx, t, "name", key, cn) : "",
                    read_string(cx, t, "a", key, cn), read_string(cx, t, "b", key, cn)};
      for (const std::string* v : {&d.a, &d.b}) {
        const auto dot = v->find('.');
        if (dot == std::string::npos || !has_population(sc, v->substr(0, dot)))
          cx.fail(*t.get(v == &d.a ? "a" : "b"), key,
                  "'" + shorten(*v) + "' is not \"population.variable\" of a population here");
      }
      if (d.name.empty()) d.name = std::to_string(i);
      sc.compares.push_back(std::move(d));
    }
  }
}

}  // namespace

toml::table parse_toml(const std::string& text, const std::string& path) {
  check_toml_nesting(text, path);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(path + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
}

Scenario parse_scenario(const std::string& text, const std::string& path,
                        const std::vector<std::string>& sets) {
  return scenario_from_table(parse_toml(text, path), text, path, sets);
}

Scenario scenario_from_table(toml::table root, const std::string& text, const std::string& path,
                             const std::vector<std::string>& sets) {
  Scenario sc;
  sc.path = path;
  sc.text = text;
  sc.overrides = sets;
  Context cx{path, {}};
  for (auto& s : sets) apply_set(root, s, cx);
  read_top_level(cx, root, sc);
  read_simulation(cx, root, sc);
  read_task(cx, root, sc);
  read_populations(cx, root, sc);
  read_projections(cx, root, sc);
  read_readout(cx, root, sc);
  read_record(cx, root, sc);
  read_training(cx, root, sc);
  read_compares(cx, root, sc);
  return sc;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": is a directory, not a scenario file (expected a .toml file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the scenario file (" + std::strerror(errno) + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), path, sets);
}

}  // namespace ransim
