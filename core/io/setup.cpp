#include "io/setup.hpp"

#include <variant>

#include "io/recorder.hpp"

#ifndef RANSIM_VERSION
#define RANSIM_VERSION "0.0.0"
#endif

namespace ransim {

namespace {

void write_value(Recorder& rec, const std::string& path, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) rec.write_scalar(path, x);
        else if constexpr (std::is_same_v<T, std::string>) rec.write_string(path, x);
        else rec.write_integer(path, static_cast<std::int64_t>(x));
      },
      v);
}

}  // namespace

void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net) {
  rec.write_string("/general/scenario", sc.text);
  std::string overrides;
  for (auto& s : sc.overrides) overrides += s + "\n";
  rec.write_string("/general/overrides", overrides);
  rec.write_string("/general/scenario_path", sc.path);
  rec.write_integer("/general/seed", static_cast<std::int64_t>(sc.seed));
  rec.write_string("/general/ransim_version", RANSIM_VERSION);
  rec.write_string("/general/command_line", command_line);
  rec.write_string("/general/integrator/method", method_name(sc.integrator.method));
  rec.write_scalar("/general/integrator/dt", sc.integrator.dt);
  rec.write_scalar("/general/integrator/token_period", sc.integrator.token_period);
  rec.write_scalar("/general/integrator/abs_tol", sc.integrator.abs_tol);
  rec.write_scalar("/general/integrator/rel_tol", sc.integrator.rel_tol);
  rec.write_integer("/general/lanes", static_cast<std::int64_t>(net.lanes()));
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const auto& p = net.populations()[i];
    const std::string g = "/network/populations/" + p.name;
    for (auto& [name, v] : sc.populations[i].params.values()) write_value(rec, g + "/" + name, v);
    for (auto& [name, m] : p.model->weights()) {
      if (m.n_cols == 1) rec.write_vector(g + "/" + name, arma::conv_to<std::vector<double>>::from(m));
      else rec.write_matrix(g + "/" + name, m);
    }
    rec.set_attribute(g, "kind", p.kind);
    rec.write_integer(g + "/state_offset", static_cast<std::int64_t>(p.offset));
  }
  for (auto& proj : net.projections()) {
    const std::string g = "/network/projections/" + proj->name;
    std::string sources;
    for (auto& [src, m] : proj->matrices()) {
      rec.write_csr(g + "/weights_from_" + src.name, m,
                    "weights into " + net.populations()[proj->target].name + " from " + src.name);
      sources += (sources.empty() ? "" : " ") + src.name;
    }
    rec.set_attribute(g, "source", sources);
    rec.set_attribute(g, "target", net.populations()[proj->target].name);
    rec.set_attribute(g, "kind", proj->kind());
  }
}

}  // namespace ransim
