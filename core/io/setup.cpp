#include "io/setup.hpp"

#include <cstdio>
#include <variant>
#include <vector>

#include "io/layout.hpp"
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

void write_general(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net) {
  namespace g = layout::general;
  rec.write_string(g::kScenario, sc.text);
  std::string overrides;
  for (auto& s : sc.overrides) overrides += s + "\n";
  rec.write_string(g::kOverrides, overrides);
  rec.write_string(g::kScenarioPath, sc.path);
  rec.write_integer(g::kSeed, static_cast<std::int64_t>(sc.seed));
  rec.write_string(g::kVersion, RANSIM_VERSION);
  rec.write_string(g::kCommandLine, command_line);
  rec.write_string(g::kMethod, method_name(sc.integrator.method));
  rec.write_scalar(g::kDt, sc.integrator.dt);
  rec.write_scalar(g::kTokenPeriod, sc.integrator.token_period);
  rec.write_scalar(g::kAbsTol, sc.integrator.abs_tol);
  rec.write_scalar(g::kRelTol, sc.integrator.rel_tol);
  rec.write_integer(g::kLanes, static_cast<std::int64_t>(net.lanes()));
}

}  // namespace

std::string toml_value(const Value& v) {
  if (const double* x = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *x);
    std::string s = buf;  // TOML needs a dot or an exponent in a real (inf and nan as printed)
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
  }
  return to_string(v);
}

void write_parameter_edits(Recorder& rec, const std::vector<ParameterEdit>& edits) {
  namespace g = layout::general;
  std::vector<std::int64_t> tokens;
  std::vector<double> times;
  std::vector<std::string> populations, keys, values;
  for (const auto& e : edits) {
    tokens.push_back(static_cast<std::int64_t>(e.token));
    times.push_back(e.time);
    populations.push_back(e.population);
    keys.push_back(e.key);
    values.push_back(toml_value(e.value));
  }
  rec.write_integers(g::kEditToken, tokens);
  rec.write_vector(g::kEditTime, times, "seconds", "when the edit applies: token * token_period");
  rec.write_strings(g::kEditPopulation, populations);
  rec.write_strings(g::kEditKey, keys);
  rec.write_strings(g::kEditValue, values);
}

void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net) {
  namespace nw = layout::network;
  write_general(rec, sc, command_line, net);
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const auto& p = net.populations()[i];
    for (auto& [name, v] : sc.populations[i].params.values())
      write_value(rec, nw::population_member(p.name, name), v);
    for (auto& [name, m] : p.model->weights()) {
      const std::string path = nw::population_member(p.name, name);
      if (m.n_cols == 1) rec.write_vector(path, arma::conv_to<std::vector<double>>::from(m));
      else rec.write_matrix(path, m);
    }
    rec.set_attribute(nw::population(p.name), layout::kKind, p.kind);
    rec.write_integer(nw::state_offset(p.name), static_cast<std::int64_t>(p.offset));
  }
  for (auto& proj : net.projections()) {
    const std::string g = nw::projection(proj->name);
    const std::string& target = net.populations()[proj->target].name;
    std::string sources;
    for (auto& [src, m] : proj->matrices()) {
      rec.write_csr(nw::projection_weights(proj->name, src.name), m,
                    "weights into " + target + " from " + src.name);
      sources += (sources.empty() ? "" : " ") + src.name;
    }
    rec.set_attribute(g, nw::kSource, sources);
    rec.set_attribute(g, nw::kTarget, target);
    rec.set_attribute(g, layout::kKind, proj->kind());
  }
}

}  // namespace ransim
