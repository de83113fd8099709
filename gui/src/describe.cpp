#include "describe.hpp"

#include <algorithm>

#include "ransim/registry.hpp"

namespace ransim::gui {

Region region_of(const std::string& kind) {
  if (kind == "cortex_qkv" || kind == "attention_block") return Region::Cortex;
  if (kind == "hippocampus_memory") return Region::Hippocampus;
  if (kind == "leaky") return Region::Leaky;
  return Region::Other;
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
  d.readout_from = s.protocol().warmup + s.protocol().train;
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const PopulationSlot& slot = net.populations()[i];
    PopulationDesc p;
    p.name = slot.name;
    p.kind = slot.kind;
    p.units = slot.model->units();
    p.dim = slot.model->unit_dim();
    for (auto& r : slot.model->recordables()) p.variables.push_back({r.name, r.unit, r.description, r.shape});
    const auto live = slot.model->live_parameters();
    const PopulationInfo* info = Registry::global().find(slot.kind);
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
