#pragma once
// Where the network graph puts its nodes: the input on the left, populations on a circle,
// node areas proportional to units, each in its kind's colour; and the activity drawn on
// the nodes. Pure geometry and arithmetic, no Qt.
#include <optional>
#include <string>
#include <vector>

#include "frame.hpp"
#include "token_history.hpp"

namespace ransim::gui {

struct GraphNode {
  std::string name, kind;
  std::size_t units = 0;
  std::string colour;  // "#rrggbb" (population_colours in describe.hpp); empty for the input
  bool input = false;
  double x = 0, y = 0, r = 0;  // centre and radius in scene units
};

struct GraphEdge {
  std::size_t from = 0, to = 0;  // node indices
  std::string label;             // projection name(s)
  std::size_t nnz = 0;
  bool self = false;  // recurrent projection (from == to)
};

struct GraphLayout {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
};

double node_radius(std::size_t units);
GraphLayout layout_graph(const NetworkDesc& net);

// The activity drawn on the graph: per population, the root mean square of its state values
// (lane 0) at the last token <= `token` the history holds (the newest without a token); NaN
// for a population without one. *shown is set to the token used (0 when none).
std::vector<double> rms_activity(const NetworkDesc& net, const TokenHistory& t,
                                 std::optional<std::size_t> token, std::size_t* shown = nullptr);
// The same from one frame (a view without a token history).
std::vector<double> rms_activity(const NetworkDesc& net, const Frame& f);

}  // namespace ransim::gui
