#include "scenario/build_network.hpp"

#include <thread>

#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "train/train_file.hpp"

namespace ransim {

namespace {

WeightDistribution distribution(const std::string& s) {
  if (s == "uniform") return WeightDistribution::Uniform;
  if (s == "bernoulli") return WeightDistribution::Bernoulli;
  return WeightDistribution::Normal;
}

// FORCE: the readout's output (the held input's last values) into readout.feedback_to.
void add_feedback(Network& net, const Scenario& sc, std::size_t input_size, std::size_t feedback_size) {
  Rng rng = make_rng(sc.seed, "projection.feedback");
  const std::size_t target = net.find(sc.readout.string("feedback_to"));
  SparseSpec spec;
  spec.rows = net.populations()[target].model->input_size();
  spec.cols = feedback_size;
  spec.density = sc.readout.real("feedback_density");
  spec.distribution = WeightDistribution::Uniform;
  spec.scale = sc.readout.real("feedback_scale");
  auto proj = std::make_unique<SparseProjection>(SourceRef{"feedback", true, input_size, feedback_size},
                                                 random_sparse(spec, rng));
  proj->name = "feedback";
  proj->target = target;
  net.add_projection(std::move(proj));
}

}  // namespace

std::size_t network_state_size(const Scenario& sc) {
  std::size_t total = 0;
  for (auto& p : sc.populations) {
    PopulationContext ctx{p.name, p.params, sc.seed, sc.integrator.token_period};
    total += Registry::global().find(p.kind)->create(ctx)->state_size();
  }
  return total;
}

std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size,
                                       std::size_t feedback_size) {
  const std::size_t threads = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  if (sc.readout.string("kind") != "force") feedback_size = 0;
  auto net = std::make_unique<Network>(input_size + feedback_size, sc.lanes, threads);
  auto source = [&](const std::string& name) {  // "input" is the task's values, not the feedback
    SourceRef s = net->source(name);
    if (s.is_input) s.size = input_size;
    return s;
  };
  for (auto& p : sc.populations) {
    const PopulationInfo* info = Registry::global().find(p.kind);
    PopulationContext ctx{p.name, p.params, sc.seed, sc.integrator.token_period};
    net->add_population(p.name, p.kind, info->create(ctx));
  }
  for (auto& pj : sc.projections) {
    Rng rng = make_rng(sc.seed, "projection." + pj.name);
    const std::size_t target = net->find(pj.to);
    const std::size_t rows = net->populations()[target].model->input_size();
    std::unique_ptr<Projection> proj;
    if (pj.kind == "sparse") {
      const SourceRef src = source(pj.from[0]);
      SparseSpec spec;
      spec.rows = rows;
      spec.cols = src.size;
      spec.density = pj.params.real("density");
      spec.fan_in = static_cast<std::size_t>(pj.params.integer("fan_in"));
      spec.distribution = distribution(pj.params.string("distribution"));
      spec.spectral_radius = pj.params.real("spectral_radius");
      spec.scale = pj.params.real("scale");
      if (spec.spectral_radius > 0 && (src.is_input || spec.rows != spec.cols))
        throw InputError(sc.path + ": projection '" + pj.name +
                         "': spectral_radius applies to square recurrent projections only");
      if (static_cast<double>(spec.rows) *
              static_cast<double>(spec.fan_in ? spec.fan_in : spec.cols * spec.density) >
          4e9)
        throw InputError(sc.path + ": projection '" + pj.name + "' has more than 4e9 weights");
      try {
        const Precision precision =
            pj.params.string("precision") == "single" ? Precision::Single : Precision::Double;
        proj = std::make_unique<SparseProjection>(src, random_sparse(spec, rng), precision);
      } catch (const InputError& e) {
        throw InputError(sc.path + ": projection '" + pj.name + "': " + e.what());
      }
    } else {
      std::vector<SourceRef> sources;
      for (auto& f : pj.from) sources.push_back(source(f));
      const std::string& map = pj.params.string("map");
      std::vector<RoutingProjection::Route> routes;
      try {
        routes = map == "ordered"       ? ordered_routing(rows, sources)
                 : map == "independent" ? independent_routing(rows, sources, rng)
                                        : random_routing(rows, sources, rng, pj.share);
      } catch (const InputError& e) {
        throw InputError(sc.path + ": projection." + std::to_string(&pj - sc.projections.data()) + " ('" +
                         pj.name + "' into '" + pj.to + "'): " + e.what());
      }
      proj = std::make_unique<RoutingProjection>(sources, std::move(routes), pj.params.real("scale"));
    }
    proj->name = pj.name;
    proj->target = target;
    net->add_projection(std::move(proj));
  }
  if (feedback_size > 0) add_feedback(*net, sc, input_size, feedback_size);
  if (!sc.weights_file.empty()) load_trained_weights(*net, sc.weights_file);
  return net;
}

}  // namespace ransim
