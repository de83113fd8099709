#include "run/sizes.hpp"

#include "engine/network.hpp"
#include "ransim/registry.hpp"
#include "readout/features.hpp"
#include "scenario/build_network.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

namespace {

// The kinds whose units are the seed's attention unit.
bool seed_attention_unit(const std::string& kind) {
  return kind == "cortex_qkv" || kind == "attention_block";
}

}  // namespace

RunSizes run_sizes(const Scenario& sc, bool with_fixed_weights) {
  // The task's shapes: input and output dimensions, and how many tokens one readout sample
  // concatenates (episode tasks read several snapshots).
  const TaskInfo* info = find_task(sc.task_kind);
  std::size_t input_dim = 0, outputs = 0, snapshots = 1;
  bool trains = true;
  if (info->episodic()) {
    const auto task = info->create_episodes(sc.task);
    input_dim = task->input_dim;
    outputs = task->target_dim;
    snapshots = task->points.empty() ? 0 : task->points.front().size();
  } else {
    const auto task = info->create(sc.task);
    input_dim = task->input_dim;
    task->set_state_size(network_state_size(sc));
    Rng rng = make_rng(sc.seed, "task");
    outputs = task->generate(1, rng).target_dim;  // one lane: the shapes, not the data, matter here
    trains = task->protocol.train > 0;
  }

  RunSizes sizes;
  std::unique_ptr<Network> net;
  if (with_fixed_weights) {
    net = build_network(sc, input_dim);
    sizes.fixed_weights = fixed_weights(*net);
  } else {  // the populations alone: no projection is drawn
    net = std::make_unique<Network>(input_dim, 1, 1);
    for (auto& p : sc.populations) {
      PopulationContext ctx{p.name, p.params, sc.seed, sc.integrator.token_period};
      net->add_population(p.name, p.kind, Registry::global().find(p.kind)->create(ctx));
    }
  }
  sizes.state = net->state_size();
  if (outputs > 0 && trains)
    sizes.trained_weights = (FeatureSelection(sc, *net, input_dim).size() * snapshots + 1) * outputs;
  std::size_t attention = 0;
  for (auto& p : sc.populations)
    if (seed_attention_unit(p.kind))
      attention += seed_unit_parameters(static_cast<std::size_t>(p.params.integer("units")),
                                        static_cast<std::size_t>(p.params.integer("dim")));
  if (attention) sizes.seed_parameters = attention + sizes.trained_weights;
  return sizes;
}

}  // namespace ransim
