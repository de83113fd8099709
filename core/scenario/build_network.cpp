#include "scenario/build_network.hpp"

#include <thread>

#include "ransim/error.hpp"
#include "ransim/registry.hpp"

namespace ransim {

namespace {

WeightDistribution distribution(const std::string& s) {
  if (s == "uniform") return WeightDistribution::Uniform;
  if (s == "bernoulli") return WeightDistribution::Bernoulli;
  return WeightDistribution::Normal;
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

std::unique_ptr<Network> build_network(const Scenario& sc, std::size_t input_size) {
  const std::size_t threads = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  auto net = std::make_unique<Network>(input_size, sc.lanes, threads);
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
      const SourceRef src = net->source(pj.from[0]);
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
      for (auto& f : pj.from) sources.push_back(net->source(f));
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
  return net;
}

}  // namespace ransim
