#pragma once
// Where the network graph puts its nodes: the input on the left, populations on a circle,
// node areas proportional to units, each in its kind's colour. Pure geometry, no Qt.
#include <string>
#include <vector>

#include "frame.hpp"

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

}  // namespace ransim::gui
