#include "describe.hpp"

#include <algorithm>

#include "ransim/registry.hpp"

namespace ransim::gui {

namespace {

const PopulationInfo* info_of(const PopulationDesc& p) { return Registry::global().find(p.kind); }

bool is_state(const PopulationDesc& p, const VariableDesc& v) {
  return !p.variables.empty() && &p.variables.front() == &v;
}

}  // namespace

ViewKind view_of(const PopulationDesc& p, const VariableDesc& v) {
  if (is_state(p, v) || v.name == "state") return ViewKind::Auto;
  if (v.view != ViewKind::Auto) return v.view;
  if (const PopulationInfo* info = info_of(p))
    if (const VariableSpec* decl = info->layout.find(v.name); decl && decl->display.view != ViewKind::Auto)
      return decl->display.view;
  return v.shape.size() >= 2 ? ViewKind::Map : ViewKind::Heatmap;
}

bool sampled_into_frames(const PopulationDesc& p, const VariableDesc& v) {
  return !is_state(p, v) && v.name != "state" && view_of(p, v) != ViewKind::Hidden;
}

std::vector<std::string> axes_of(const PopulationDesc& p, const VariableDesc& v) {
  if (!v.axes.empty()) return v.axes;
  if (const PopulationInfo* info = info_of(p))
    if (const VariableSpec* decl = info->layout.find(v.name)) return decl->axes;
  return {};
}

const std::vector<std::string>& fallback_palette() {
  // Muted, distinct colours that read on white and under white labels.
  static const std::vector<std::string> colours = {"#4c72b0", "#dd8452", "#8172b3", "#c44e52",
                                                   "#937860", "#da8bc3", "#64b5cd", "#ccb974"};
  return colours;
}

std::vector<std::string> population_colours(const NetworkDesc& net) {
  std::vector<std::string> out, undeclared;
  for (auto& p : net.populations) {
    std::string c = p.colour;
    if (c.empty())
      if (const PopulationInfo* info = info_of(p)) c = info->colour;
    if (c.empty()) {
      auto it = std::find(undeclared.begin(), undeclared.end(), p.kind);
      const auto k = static_cast<std::size_t>(it - undeclared.begin());
      if (it == undeclared.end()) undeclared.push_back(p.kind);
      c = fallback_palette()[k % fallback_palette().size()];
    }
    out.push_back(std::move(c));
  }
  return out;
}

const VariableDesc* PopulationDesc::variable(const std::string& n) const {
  for (auto& v : variables)
    if (v.name == n) return &v;
  return nullptr;
}

int NetworkDesc::find(const std::string& name) const {
  for (std::size_t i = 0; i < populations.size(); ++i)
    if (populations[i].name == name) return static_cast<int>(i);
  return -1;
}

NetworkDesc describe(const Session& s) {
  NetworkDesc d;
  const Scenario& sc = s.scenario();
  const Network& net = s.network();
  d.source = sc.path;
  d.description = sc.description;
  d.token_period = sc.integrator.token_period;
  d.total_tokens = s.total();
  d.lanes = net.lanes();
  d.input_dim = s.sequences().input_dim;
  d.target_dim = s.sequences().target_dim;
  d.has_readout = d.target_dim > 0 && s.protocol().train > 0;
  d.readout_from = s.protocol().fit_at();
  d.readout_kind = readout_kind_name(s.readout_kind());
  d.learn_tokens = {s.protocol().warmup, s.protocol().warmup + s.protocol().train};
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const PopulationSlot& slot = net.populations()[i];
    PopulationDesc p;
    p.name = slot.name;
    p.kind = slot.kind;
    p.units = slot.model->units();
    p.dim = slot.model->unit_dim();
    const PopulationInfo* info = Registry::global().find(slot.kind);
    if (info) p.colour = info->colour;
    for (auto& r : slot.model->recordables()) {
      const Display shown = declared_display(info, r);
      const VariableSpec* decl = info ? info->layout.find(r.name) : nullptr;
      p.variables.push_back({r.name, r.unit, r.description, r.shape, shown.view, shown.colour,
                             decl ? decl->axes : std::vector<std::string>{}});
    }
    const auto live = slot.model->live_parameters();
    const Params* values = nullptr;
    for (auto& decl : sc.populations)
      if (decl.name == slot.name) values = &decl.params;
    if (info)
      for (auto& spec : info->params) {
        ParamDesc pd;
        pd.spec = spec;
        pd.value = values && values->has(spec.name) ? values->get(spec.name) : spec.default_value;
        pd.live = std::find(live.begin(), live.end(), spec.name) != live.end();
        p.params.push_back(std::move(pd));
      }
    d.populations.push_back(std::move(p));
  }
  for (auto& proj : net.projections()) {
    ProjectionDesc pd;
    pd.name = proj->name;
    pd.kind = proj->kind();
    pd.to = net.populations()[proj->target].name;
    for (auto& [src, m] : proj->matrices()) {
      pd.from.push_back(src.name);
      pd.nnz += m.nnz();
    }
    d.projections.push_back(std::move(pd));
  }
  return d;
}

}  // namespace ransim::gui
