#include "graph_layout.hpp"

#include <algorithm>
#include <cmath>

#include "describe.hpp"

namespace ransim::gui {

double node_radius(std::size_t units) {
  // Area proportional to units, within readable bounds.
  return std::clamp(12.0 + 2.2 * std::sqrt(static_cast<double>(units)), 16.0, 90.0);
}

GraphLayout layout_graph(const NetworkDesc& net) {
  GraphLayout g;
  GraphNode in;
  in.name = "input";
  in.kind = "input";
  in.input = true;
  in.units = net.input_dim;
  in.r = 16;
  g.nodes.push_back(in);
  const std::size_t n = net.populations.size();
  double rmax = 0;
  for (auto& p : net.populations) rmax = std::max(rmax, node_radius(p.units));
  // Circle big enough for the nodes to sit apart.
  const double pi = 3.14159265358979323846;
  const double circle = n <= 1 ? 0 : std::max(110.0, (2.6 * rmax * static_cast<double>(n)) / (2 * pi));
  const std::vector<std::string> colours = population_colours(net);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = net.populations[i];
    GraphNode node;
    node.name = p.name;
    node.kind = p.kind;
    node.units = p.units;
    node.colour = colours[i];
    node.r = node_radius(p.units);
    const double a = n <= 1 ? 0 : pi + 2 * pi * static_cast<double>(i) / static_cast<double>(n);
    node.x = circle * std::cos(a) * -1.0;
    node.y = circle * std::sin(a);
    g.nodes.push_back(node);
  }
  double left = 0;
  for (std::size_t i = 1; i < g.nodes.size(); ++i) left = std::min(left, g.nodes[i].x - g.nodes[i].r);
  g.nodes[0].x = left - 120;
  g.nodes[0].y = 0;

  auto index = [&](const std::string& name) -> long {
    if (name == "input") return 0;
    const int p = net.find(name);
    return p < 0 ? -1 : p + 1;
  };
  for (auto& proj : net.projections) {
    const long to = index(proj.to);
    if (to < 0) continue;
    for (auto& src : proj.from) {
      const long from = index(src);
      if (from < 0) continue;
      auto it = std::find_if(g.edges.begin(), g.edges.end(), [&](const GraphEdge& e) {
        return e.from == static_cast<std::size_t>(from) && e.to == static_cast<std::size_t>(to);
      });
      if (it != g.edges.end()) {
        it->label += ", " + proj.name;
        it->nnz += proj.nnz;
        continue;
      }
      GraphEdge e;
      e.from = static_cast<std::size_t>(from);
      e.to = static_cast<std::size_t>(to);
      e.label = proj.name;
      e.nnz = proj.nnz;
      e.self = from == to;
      g.edges.push_back(e);
    }
  }
  return g;
}

namespace {
double rms(const double* v, std::size_t n) {
  if (n == 0) return std::nan("");
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += v[i] * v[i];
  return std::sqrt(sum / static_cast<double>(n));
}

// Population p's state row at the last token <= token (the newest without one); nullptr when
// it has none. *at is the row's token.
const double* state_row(const TokenHistory& t, std::size_t p, std::optional<std::size_t> token,
                        std::size_t* width, std::size_t* at) {
  const Track* track = t.find(static_cast<int>(p), "state");
  if (!track || track->empty()) return nullptr;
  const std::size_t i = token ? track->lower_bound(*token + 1) : track->size();
  if (i == 0) return nullptr;
  *width = track->width();
  *at = track->token(i - 1);
  return track->row(i - 1);
}

}  // namespace

std::vector<double> rms_activity(const NetworkDesc& net, const TokenHistory& t,
                                 std::optional<std::size_t> token, std::size_t* shown) {
  std::vector<double> out(net.populations.size(), std::nan(""));
  if (shown) *shown = 0;
  for (std::size_t p = 0; p < out.size(); ++p) {
    std::size_t width = 0, at = 0;
    const double* row = state_row(t, p, token, &width, &at);
    if (!row) continue;
    out[p] = rms(row, width);
    if (shown) *shown = std::max(*shown, at);
  }
  return out;
}

std::vector<double> rms_activity(const NetworkDesc& net, const Frame& f) {
  std::vector<double> out(net.populations.size(), std::nan(""));
  for (std::size_t p = 0; p < out.size() && p < f.pops.size(); ++p)
    if (!f.pops[p].state.empty()) out[p] = rms(f.pops[p].state.data(), f.pops[p].state.size());
  return out;
}

std::vector<double> unit_rms(const double* state, std::size_t units, std::size_t dim) {
  std::vector<double> out(units);
  for (std::size_t u = 0; u < units; ++u) out[u] = rms(state + u * dim, dim);
  return out;
}

std::vector<std::vector<double>> unit_activity(const NetworkDesc& net, const TokenHistory& t,
                                               std::optional<std::size_t> token) {
  std::vector<std::vector<double>> out(net.populations.size());
  for (std::size_t p = 0; p < out.size(); ++p) {
    const PopulationDesc& pop = net.populations[p];
    std::size_t width = 0, at = 0;
    const double* row = state_row(t, p, token, &width, &at);
    if (row && width == pop.state_size() && pop.dim > 0) out[p] = unit_rms(row, pop.units, pop.dim);
  }
  return out;
}

std::vector<std::vector<double>> unit_activity(const NetworkDesc& net, const Frame& f) {
  std::vector<std::vector<double>> out(net.populations.size());
  for (std::size_t p = 0; p < out.size() && p < f.pops.size(); ++p) {
    const PopulationDesc& pop = net.populations[p];
    if (pop.dim > 0 && f.pops[p].state.size() == pop.state_size())
      out[p] = unit_rms(f.pops[p].state.data(), pop.units, pop.dim);
  }
  return out;
}

CellGrid cell_grid(std::size_t units, double radius) {
  CellGrid g;
  // The inscribed square, a little inside the ring the node's outline draws.
  g.side = 0.9 * std::sqrt(2.0) * radius;
  const auto fit = static_cast<std::size_t>(std::floor(g.side / CellGrid::kMinCell));
  g.shown = std::min(units, fit * fit);
  if (g.shown == 0) return g;
  g.cols = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(g.shown))));
  g.rows = (g.shown + g.cols - 1) / g.cols;
  g.cell = g.side / static_cast<double>(g.cols);
  return g;
}

}  // namespace ransim::gui
