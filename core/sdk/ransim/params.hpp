#pragma once
// Parameter specifications shared by the scenario parser, `ransim info` and the GUI:
// one declaration per parameter gives its type, unit, default and admissible range.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ransim {

using Value = std::variant<double, std::int64_t, bool, std::string>;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

enum class ParamType { Real, Integer, Boolean, String };

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Real;
  Value default_value = 0.0;
  std::string unit;  // "s", "1" (dimensionless), "" for non-numbers
  std::string description;
  double min = -std::numeric_limits<double>::infinity();  // inclusive bounds for numbers
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;             // e.g. tau > 0
  std::vector<std::string> choices = {};  // admissible strings, if any

  // Human-readable expectation, e.g. "a real number > 0 (s)" or one of "a" | "b".
  std::string expectation() const;
  // Why `v` is not admissible, or nothing when it is (integers are accepted as reals).
  std::optional<std::string> check(const Value& v) const;
};

// Named builders of ParamSpec, read without a comment:
//
//   param::real("tau").unit("s").greater_than(0).defaults_to(1.0).describe("time constant")
//   param::integer("size").range(1, 1e8).defaults_to(100).describe("number of units")
//   param::choice("activation", {"tanh", "identity"}).describe("activation f")  // first is default
//   param::boolean("clip").describe("...")     param::string("path").describe("...")
//
// A builder converts to ParamSpec wherever one is expected, so a list may mix builders and
// the older positional form. The conversion throws std::logic_error when the default is not
// admissible: a model's own declaration is checked when it registers.
namespace param {

class Builder {
 public:
  Builder(std::string name, ParamType type, Value default_value);
  Builder& unit(std::string unit);
  Builder& describe(std::string text);
  // The default; numbers are stored as the parameter's type (1 becomes 1.0 for a real).
  Builder& defaults_to(double v) { return set_default(v); }
  Builder& defaults_to(int v) { return set_default(std::int64_t{v}); }
  Builder& defaults_to(std::int64_t v) { return set_default(v); }
  Builder& defaults_to(bool v) { return set_default(v); }
  Builder& defaults_to(const char* v) { return set_default(std::string(v)); }
  Builder& defaults_to(std::string v) { return set_default(std::move(v)); }
  // Bounds for numbers, inclusive unless said otherwise.
  Builder& range(double lo, double hi);
  Builder& at_least(double lo);
  Builder& greater_than(double lo);  // exclusive: e.g. a time constant
  Builder& at_most(double hi);
  operator ParamSpec() const;  // NOLINT(google-explicit-constructor): lists of specs read as lists
  ParamSpec spec() const { return *this; }

 private:
  friend Builder choice(std::string name, std::vector<std::string> choices);
  Builder& set_default(Value v);
  ParamSpec spec_;
};

Builder real(std::string name);
Builder integer(std::string name);
Builder boolean(std::string name);
Builder string(std::string name);
// A string among `choices`; the first is the default unless defaults_to() says otherwise.
Builder choice(std::string name, std::vector<std::string> choices);

}  // namespace param

std::string type_name(ParamType t);
// A number as double, whether it was written as an integer or a real.
double as_real(const Value& v);
std::string to_string(const Value& v);

// Validated values of one model instance, looked up by name (missing ones take defaults
// at validation time, so every spec'd name is present).
class Params {
 public:
  double real(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::string& string(const std::string& name) const;
  const Value& get(const std::string& name) const;
  void set(const std::string& name, Value v) { values_[name] = std::move(v); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const std::map<std::string, Value>& values() const { return values_; }

 private:
  std::map<std::string, Value> values_;
};

// Defaults for every spec.
Params defaults(const std::vector<ParamSpec>& specs);
const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name);

}  // namespace ransim
