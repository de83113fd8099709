#pragma once
// One registry of population factories for built-in models and plugins alike.
// Names are unique: registering a name twice is an error that names both origins.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ransim/params.hpp"
#include "ransim/population.hpp"

namespace ransim {

struct PopulationInfo {
  std::string kind;  // the name scenarios use: kind = "leaky"
  std::string description;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Population>(const PopulationContext&)> create;
  std::string origin = "built-in";  // or the plugin file it came from
  // Optional declarations (plugins written before them still register as they were):
  ModelLayout layout = {};  // state and derived variables, with how the GUI shows them
  std::string colour = {};  // "#rrggbb" of the kind in the GUI's network graph; empty: a palette's
  // Bytes one instance takes with these parameters for `lanes` lanes over sequences of
  // `tokens` tokens (weights, state, windows, histories), asked before anything is built so
  // that a run that cannot fit is refused. Empty: estimated from the integer parameters
  // "size" or "units" times "dim" (core/run/resources.cpp).
  std::function<double(const Params& params, std::size_t lanes, std::size_t tokens)> memory_bytes = {};
};

// How a recordable of a model is shown: the instance's own display where it says more than
// Auto, else the model's declared layout, else Auto (the GUI then decides from the shape).
Display declared_display(const PopulationInfo* info, const Recordable& r);

class Registry {
 public:
  // The process-wide registry, with the built-in models registered.
  static Registry& global();

  void add(PopulationInfo info);  // throws InputError on a duplicate kind
  const PopulationInfo* find(const std::string& kind) const;
  const std::vector<PopulationInfo>& all() const { return models_; }
  std::string kinds() const;  // "a, b, c" for messages

 private:
  std::vector<PopulationInfo> models_;
};

void register_builtin_models(Registry& r);

}  // namespace ransim
