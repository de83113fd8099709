#include "ransim/registry.hpp"

#include "ransim/error.hpp"

namespace ransim {

Registry& Registry::global() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: plugins may hold factories until exit
    register_builtin_models(*reg);
    return reg;
  }();
  return *r;
}

void Registry::add(PopulationInfo info) {
  if (const auto* old = find(info.kind))
    throw InputError("population model '" + info.kind + "' from " + info.origin +
                     " is already registered by " + old->origin);
  models_.push_back(std::move(info));
}

const PopulationInfo* Registry::find(const std::string& kind) const {
  for (auto& m : models_)
    if (m.kind == kind) return &m;
  return nullptr;
}

Display declared_display(const PopulationInfo* info, const Recordable& r) {
  Display d = r.display;
  const VariableSpec* decl = info ? info->layout.find(r.name) : nullptr;
  if (!decl) return d;
  if (d.view == ViewKind::Auto) d.view = decl->display.view;
  if (d.colour.empty()) d.colour = decl->display.colour;
  return d;
}

std::string Registry::kinds() const {
  std::string out;
  for (auto& m : models_) out += (out.empty() ? "" : ", ") + m.kind;
  return out;
}

}  // namespace ransim
