#include "study/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "ransim/error.hpp"

namespace ransim {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string toml_real(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  // Shortest text that reads back the same double.
  for (int digits = 1; digits < 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) {
      s = buf;
      break;
    }
  }
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stays a TOML float
  return s;
}

std::string toml_scalar(const std::string& path, const toml::node& n, const std::string& key) {
  if (auto v = n.as_integer()) return std::to_string(v->get());
  if (auto v = n.as_floating_point()) return toml_real(v->get());
  if (auto v = n.as_boolean()) return v->get() ? "true" : "false";
  if (auto v = n.as_string()) return quoted(v->get());
  throw InputError(toml_where(path, n) + ": " + key + ": values must be numbers, strings or booleans");
}

namespace {

// Recursive descent over: expr = term {(+|-) term}; term = factor {(*|/) factor};
// factor = number | key | (expr) | -factor.
class Expression {
 public:
  Expression(const std::string& text, const std::vector<SweepValue>& point, const std::string& where)
      : s_(text), point_(point), where_(where) {}

  std::string value() {
    const Number n = expr();
    skip_space();
    if (i_ != s_.size()) fail("unexpected '" + s_.substr(i_) + "'");
    if (!std::isfinite(n.v)) fail("the result is not a finite number");
    if (n.integral && n.v == std::round(n.v) && std::fabs(n.v) < 9e15)
      return std::to_string(static_cast<long long>(n.v));
    return toml_real(n.v);
  }

 private:
  struct Number {
    double v = 0;
    bool integral = true;
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where_ + ": derived value '" + s_ + "': " + what +
                     " (expected arithmetic of numbers and swept keys: + - * / and parentheses)");
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  Number expr() {
    Number a = term();
    for (;;) {
      if (eat('+')) a = combine(a, term(), '+');
      else if (eat('-')) a = combine(a, term(), '-');
      else return a;
    }
  }
  Number term() {
    Number a = factor();
    for (;;) {
      if (eat('*')) a = combine(a, factor(), '*');
      else if (eat('/')) a = combine(a, factor(), '/');
      else return a;
    }
  }
  static Number combine(Number a, Number b, char op) {
    Number r{0, a.integral && b.integral};
    switch (op) {
      case '+': r.v = a.v + b.v; break;
      case '-': r.v = a.v - b.v; break;
      case '*': r.v = a.v * b.v; break;
      default: r.v = a.v / b.v; r.integral = r.integral && r.v == std::round(r.v);
    }
    return r;
  }
  Number factor() {
    if (++depth_ > 64) fail("nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    skip_space();
    if (eat('-')) {
      Number n = factor();
      n.v = -n.v;
      return n;
    }
    if (eat('(')) {
      Number n = expr();
      if (!eat(')')) fail("missing ')'");
      return n;
    }
    if (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.'))
      return number();
    if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) return key();
    fail(i_ < s_.size() ? "unexpected '" + s_.substr(i_, 1) + "'" : "it ends too early");
  }
  Number number() {
    const char* begin = s_.c_str() + i_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    const std::string text(begin, static_cast<std::size_t>(end - begin));
    i_ += text.size();
    return {v, text.find_first_of(".eE") == std::string::npos};
  }
  Number key() {
    const std::size_t start = i_;
    while (i_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.'))
      ++i_;
    const std::string name = s_.substr(start, i_ - start);
    for (auto& v : point_)
      if (v.key == name) {
        const char* begin = v.value.c_str();
        char* end = nullptr;
        const double x = std::strtod(begin, &end);
        if (end == begin || *end != '\0') fail("'" + name + "' is " + v.value + ", not a number");
        return {x, v.value.find_first_of(".eEn") == std::string::npos};
      }
    std::string known;
    for (auto& v : point_) known += (known.empty() ? "" : ", ") + v.key;
    fail("'" + name + "' is not a swept key (swept here: " + (known.empty() ? std::string("none") : known) +
         ")");
  }

  const std::string& s_;
  const std::vector<SweepValue>& point_;
  const std::string& where_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string evaluate(const std::string& expression, const std::vector<SweepValue>& point,
                     const std::string& where) {
  return Expression(expression, point, where).value();
}

std::string shown(const std::string& v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return v;
}

Sweep read_sweep(const std::string& path, const toml::table& table, const std::string& name) {
  Sweep sweep;
  std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, SweepKey>> keys;
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    if (key == "mode") {
      const auto mode = node.value<std::string>();
      if (!mode || (*mode != "grid" && *mode != "zip"))
        throw InputError(toml_where(path, node) + ": " + name + ".mode: expected \"grid\" or \"zip\"");
      sweep.zip = *mode == "zip";
      continue;
    }
    SweepKey sk{key, {}, {}, toml_where(path, node)};
    if (auto s = node.as_string()) {
      sk.expression = s->get();
    } else if (auto a = node.as_array()) {
      if (a->empty())
        throw InputError(sk.where + ": " + name + ".\"" + key + "\": expected at least one value");
      for (auto& e : *a) sk.values.push_back(toml_scalar(path, e, name + ".\"" + key + "\""));
    } else {
      throw InputError(sk.where + ": " + name + ".\"" + key +
                       "\": expected an array of values, or a string computing the value from other "
                       "swept keys (e.g. \"32 - population.cortex.units\")");
    }
    keys.push_back({{k.source().begin.line, k.source().begin.column}, std::move(sk)});
  }
  std::stable_sort(keys.begin(), keys.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [pos, sk] : keys) sweep.keys.push_back(std::move(sk));
  return sweep;
}

Sweep merge_sweeps(const Sweep& base, const Sweep& over, bool over_names_mode) {
  Sweep out = base;
  if (over_names_mode) out.zip = over.zip;
  for (auto& k : over.keys) {
    auto it =
        std::find_if(out.keys.begin(), out.keys.end(), [&](const SweepKey& b) { return b.key == k.key; });
    if (it != out.keys.end()) *it = k;
    else out.keys.push_back(k);
  }
  return out;
}

std::vector<std::vector<SweepValue>> expand(const Sweep& sweep) {
  std::vector<const SweepKey*> swept;
  for (auto& k : sweep.keys)
    if (k.expression.empty()) swept.push_back(&k);
  // Value indices per swept key, per point.
  if (!sweep.zip) {  // refused before anything is allocated for it
    double points = 1;
    for (auto* k : swept) points *= static_cast<double>(k->values.size());
    char count[32];
    std::snprintf(count, sizeof count, "%.0f", points);
    if (points > kMaxSweepPoints)
      throw InputError(swept.front()->where + ": the sweep's grid has " + count + " points, more than " +
                       std::to_string(kMaxSweepPoints) + " (mode = \"zip\" pairs values instead)");
  }
  std::vector<std::vector<std::size_t>> choices;
  if (sweep.zip) {
    const std::size_t n = swept.empty() ? 1 : swept.front()->values.size();
    for (auto* k : swept)
      if (k->values.size() != n)
        throw InputError(k->where + ": sweep key '" + k->key + "' has " + std::to_string(k->values.size()) +
                         " values, '" + swept.front()->key + "' has " + std::to_string(n) +
                         ": zipped keys (mode = \"zip\") need the same number");
    for (std::size_t i = 0; i < n; ++i) choices.push_back(std::vector<std::size_t>(swept.size(), i));
  } else {
    std::vector<std::size_t> idx(swept.size(), 0);
    for (;;) {
      choices.push_back(idx);
      std::size_t d = swept.size();
      while (d > 0 && ++idx[d - 1] == swept[d - 1]->values.size()) idx[--d] = 0;
      if (d == 0) break;
    }
  }
  // Derived keys see every swept key and the derived keys before them; the point keeps file order.
  std::vector<std::vector<SweepValue>> points;
  for (auto& choice : choices) {
    std::vector<SweepValue> known;
    for (std::size_t s = 0; s < swept.size(); ++s)
      known.push_back({swept[s]->key, swept[s]->values[choice[s]], false});
    for (auto& k : sweep.keys)
      if (!k.expression.empty()) known.push_back({k.key, evaluate(k.expression, known, k.where), true});
    std::vector<SweepValue> point;
    for (auto& k : sweep.keys)
      point.push_back(
          *std::find_if(known.begin(), known.end(), [&](const SweepValue& v) { return v.key == k.key; }));
    points.push_back(std::move(point));
  }
  return points;
}

}  // namespace ransim
