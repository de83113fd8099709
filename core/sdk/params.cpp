#include "ransim/params.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "ransim/error.hpp"

namespace ransim {

std::string type_name(ParamType t) {
  switch (t) {
    case ParamType::Real: return "a real number";
    case ParamType::Integer: return "an integer";
    case ParamType::Boolean: return "a boolean";
    case ParamType::String: return "a string";
  }
  return "?";
}

std::string to_string(const Value& v) {
  std::ostringstream s;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) s << (x ? "true" : "false");
        else if constexpr (std::is_same_v<T, std::string>) s << '"' << x << '"';
        else s << x;
      },
      v);
  return s.str();
}

static std::string number(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

std::string ParamSpec::expectation() const {
  if (!choices.empty()) {
    std::string out = "one of";
    for (std::size_t i = 0; i < choices.size(); ++i) out += (i ? " | \"" : " \"") + choices[i] + "\"";
    return out;
  }
  std::string out = type_name(type);
  if (type == ParamType::Real || type == ParamType::Integer) {
    const bool lo = std::isfinite(min), hi = std::isfinite(max);
    if (lo && hi && !min_exclusive) out += " in [" + number(min) + ", " + number(max) + "]";
    else if (lo && hi) out += " in (" + number(min) + ", " + number(max) + "]";
    else if (lo) out += (min_exclusive ? " > " : " >= ") + number(min);
    else if (hi) out += " <= " + number(max);
    if (!unit.empty() && unit != "1") out += " (" + unit + ")";
  }
  return out;
}

std::optional<std::string> ParamSpec::check(const Value& v) const {
  double x = 0;
  switch (type) {
    case ParamType::Real:
      if (auto* d = std::get_if<double>(&v)) x = *d;
      else if (auto* i = std::get_if<std::int64_t>(&v)) x = static_cast<double>(*i);
      else return "wrong type";
      if (!std::isfinite(x)) return "not a finite number";
      break;
    case ParamType::Integer:
      if (auto* i = std::get_if<std::int64_t>(&v)) x = static_cast<double>(*i);
      else return "wrong type";
      break;
    case ParamType::Boolean:
      return std::holds_alternative<bool>(v) ? std::nullopt : std::optional<std::string>("wrong type");
    case ParamType::String: {
      auto* s = std::get_if<std::string>(&v);
      if (!s) return "wrong type";
      if (choices.empty()) return std::nullopt;
      for (auto& c : choices)
        if (c == *s) return std::nullopt;
      return "not an admissible choice";
    }
  }
  if (x < min || x > max || (min_exclusive && x == min)) return "out of range";
  return std::nullopt;
}

const Value& Params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("ransim: no parameter '" + name + "'");
  return it->second;
}

double as_real(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

double Params::real(const std::string& name) const { return as_real(get(name)); }
std::int64_t Params::integer(const std::string& name) const { return std::get<std::int64_t>(get(name)); }
bool Params::boolean(const std::string& name) const { return std::get<bool>(get(name)); }
const std::string& Params::string(const std::string& name) const { return std::get<std::string>(get(name)); }

Params defaults(const std::vector<ParamSpec>& specs) {
  Params p;
  for (auto& s : specs) p.set(s.name, s.default_value);
  return p;
}

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

namespace param {

Builder::Builder(std::string name, ParamType type, Value default_value) {
  spec_.name = std::move(name);
  spec_.type = type;
  spec_.default_value = std::move(default_value);
  // Built, then moved: assigning the literal trips a false -Wrestrict in GCC 12 (bug 105329).
  spec_.unit = std::string(type == ParamType::Real || type == ParamType::Integer ? "1" : "");
}

Builder& Builder::unit(std::string unit) {
  spec_.unit = std::move(unit);
  return *this;
}

Builder& Builder::describe(std::string text) {
  spec_.description = std::move(text);
  return *this;
}

Builder& Builder::set_default(Value v) {
  // A real written as 1 or an integer written as 1e8 is meant as the parameter's type.
  if (spec_.type == ParamType::Real && std::holds_alternative<std::int64_t>(v)) v = as_real(v);
  if (spec_.type == ParamType::Integer && std::holds_alternative<double>(v))
    v = static_cast<std::int64_t>(std::get<double>(v));
  spec_.default_value = std::move(v);
  return *this;
}

Builder& Builder::range(double lo, double hi) {
  spec_.min = lo;
  spec_.max = hi;
  spec_.min_exclusive = false;
  return *this;
}

Builder& Builder::at_least(double lo) {
  spec_.min = lo;
  spec_.min_exclusive = false;
  return *this;
}

Builder& Builder::greater_than(double lo) {
  spec_.min = lo;
  spec_.min_exclusive = true;
  return *this;
}

Builder& Builder::at_most(double hi) {
  spec_.max = hi;
  return *this;
}

Builder::operator ParamSpec() const {
  if (auto why = spec_.check(spec_.default_value))
    throw std::logic_error("ransim: the default " + ransim::to_string(spec_.default_value) +
                           " of parameter '" + spec_.name + "' is " + *why + " (expected " +
                           spec_.expectation() + ")");
  return spec_;
}

Builder real(std::string name) { return {std::move(name), ParamType::Real, 0.0}; }
Builder integer(std::string name) { return {std::move(name), ParamType::Integer, std::int64_t{0}}; }
Builder boolean(std::string name) { return {std::move(name), ParamType::Boolean, false}; }
Builder string(std::string name) { return {std::move(name), ParamType::String, std::string()}; }

Builder choice(std::string name, std::vector<std::string> choices) {
  Builder b(std::move(name), ParamType::String, choices.empty() ? std::string() : choices.front());
  b.spec_.choices = std::move(choices);
  return b;
}

}  // namespace param

}  // namespace ransim
