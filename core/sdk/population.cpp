#include "ransim/population.hpp"

#include <algorithm>
#include <stdexcept>

namespace ransim {

std::string to_string(ViewKind v) {
  switch (v) {
    case ViewKind::Auto: return "auto";
    case ViewKind::Hidden: return "hidden";
    case ViewKind::Trace: return "trace";
    case ViewKind::Heatmap: return "heatmap";
    case ViewKind::Map: return "map";
  }
  return "?";
}

const VariableSpec* ModelLayout::find(const std::string& name) const {
  for (const auto* list : {&state, &derived})
    for (auto& v : *list)
      if (v.name == name) return &v;
  return nullptr;
}

void Population::initial_state(Block x) const { std::fill(x.data, x.data + x.size(), 0.0); }

std::vector<Recordable> Population::recordables() const {
  std::vector<std::size_t> shape{units()};
  if (unit_dim() > 1) shape.push_back(unit_dim());
  return {{"state", "1", "unit state h (dimensionless activity)", shape}};
}

void Population::sample(const std::string& name, ConstBlock x, ConstBlock /*drive*/,
                        std::vector<double>& out) const {
  if (name != "state") throw std::logic_error("ransim: no recordable '" + name + "'");
  // Lanes-fastest state to lane-major samples.
  for (std::size_t b = 0; b < x.lanes; ++b)
    for (std::size_t v = 0; v < x.vars; ++v) out.push_back(x(v, b));
}

void Population::set_live_parameter(const std::string& name, const Value&) {
  throw std::logic_error("ransim: parameter '" + name + "' cannot change during a run");
}

}  // namespace ransim
