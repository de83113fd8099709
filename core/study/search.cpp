#include "study/search.hpp"

#include <algorithm>
#include <cmath>

#include "ransim/error.hpp"
#include "ransim/rng.hpp"
#include "study/sweep.hpp"

namespace ransim {

namespace {

std::uint64_t non_negative(const std::string& path, const toml::node& n, const std::string& key,
                           std::int64_t lo) {
  if (!n.is_integer() || n.as_integer()->get() < lo)
    throw InputError(toml_where(path, n) + ": " + key + ": expected an integer >= " + std::to_string(lo));
  return static_cast<std::uint64_t>(n.as_integer()->get());
}

SearchRange read_range(const std::string& path, const std::string& key, const toml::node& node,
                       const std::string& name) {
  SearchRange r;
  r.key = key;
  r.where = toml_where(path, node);
  r.line = node.source().begin.line;
  r.column = node.source().begin.column;
  const std::string blame = r.where + ": " + name + ".\"" + key + "\"";
  if (auto* a = node.as_array()) {
    if (a->empty()) throw InputError(blame + ": expected at least one choice");
    for (auto& e : *a) r.choices.push_back(toml_scalar(path, e, name + ".\"" + key + "\""));
    return r;
  }
  const toml::table* t = node.as_table();
  if (!t)
    throw InputError(blame +
                     ": expected a range { min = a, max = b, scale = \"linear\" | \"log\", integer = "
                     "false } or an array of choices");
  for (auto&& [k, v] : *t)
    if (k.str() != "min" && k.str() != "max" && k.str() != "scale" && k.str() != "integer")
      throw InputError(toml_where(path, v) + ": " + name + ".\"" + key + "\": unknown key '" +
                       std::string(k.str()) + "' (known here: min, max, scale, integer)");
  const auto lo = (*t)["min"].value<double>(), hi = (*t)["max"].value<double>();
  if (!lo || !hi || !std::isfinite(*lo) || !std::isfinite(*hi) || !(*lo <= *hi))
    throw InputError(blame + ": expected finite numbers min <= max");
  r.min = *lo;
  r.max = *hi;
  if (auto* s = t->get("scale")) {
    const auto v = s->value<std::string>();
    if (!v || (*v != "linear" && *v != "log"))
      throw InputError(toml_where(path, *s) + ": " + name + ".\"" + key +
                       "\".scale: expected \"linear\" or \"log\"");
    r.log = *v == "log";
  }
  if (r.log && !(r.min > 0)) throw InputError(blame + ": a log scale needs min > 0");
  if (auto* i = t->get("integer")) {
    if (!i->is_boolean())
      throw InputError(toml_where(path, *i) + ": " + name + ".\"" + key +
                       "\".integer: expected true or false");
    r.integer = i->as_boolean()->get();
    if (r.integer && std::ceil(r.min) > std::floor(r.max))
      throw InputError(blame + ": no integer between min and max");
  } else {
    // Whole bounds written as integers (min = 2, max = 64) draw integers.
    r.integer = (*t)["min"].is_integer() && (*t)["max"].is_integer();
  }
  return r;
}

}  // namespace

Search read_search(const std::string& path, const toml::table& table, const std::string& name, Search base) {
  Search s = base;
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    if (key == "trials") {
      s.trials = non_negative(path, node, name + ".trials", 1);
      if (s.trials > kMaxSweepPoints)
        throw InputError(toml_where(path, node) + ": " + name + ".trials: at most " +
                         std::to_string(kMaxSweepPoints));
    } else if (key == "seed") s.seed = non_negative(path, node, name + ".seed", 0);
    else s.keys.push_back(read_range(path, key, node, name));
  }
  std::stable_sort(s.keys.begin(), s.keys.end(), [](const SearchRange& a, const SearchRange& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return s;
}

std::vector<SweepValue> draw_trial(const Search& search, const std::string& model, std::size_t trial) {
  Rng rng = make_rng(search.seed, "search." + model + "." + std::to_string(trial));
  std::vector<SweepValue> values;
  for (auto& k : search.keys) {
    if (!k.choices.empty()) {
      const auto i = static_cast<std::size_t>(uniform(rng) * static_cast<double>(k.choices.size()));
      values.push_back({k.key, k.choices[std::min(i, k.choices.size() - 1)], false});
      continue;
    }
    double lo = k.min, hi = k.max;
    if (k.integer) {  // every integer in [min, max] equally likely (on the chosen scale)
      lo = std::ceil(lo) - 0.5;
      hi = std::floor(hi) + 0.5;
    }
    const double u = uniform(rng);
    const double x = k.log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
    if (k.integer) {
      const double n = std::clamp(std::round(x), std::ceil(k.min), std::floor(k.max));
      values.push_back({k.key, std::to_string(static_cast<long long>(n)), false});
    } else {
      values.push_back({k.key, toml_real(x), false});
    }
  }
  return values;
}

}  // namespace ransim
