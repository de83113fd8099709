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

// The activity of the graph's units (NetView style): per population, per unit, the root mean
// square of the unit's `dim` state values (lane 0; state entry u * dim + d is unit u's value d),
// at the same token as rms_activity; empty for a population without one.
std::vector<std::vector<double>> unit_activity(const NetworkDesc& net, const TokenHistory& t,
                                               std::optional<std::size_t> token);
std::vector<std::vector<double>> unit_activity(const NetworkDesc& net, const Frame& f);
// The RMS over each unit's `dim` values of `state` (units * dim values).
std::vector<double> unit_rms(const double* state, std::size_t units, std::size_t dim);

// The grid of unit cells inside a node of radius r: square cells of side `cell` filling the
// inscribed square, row by row, units 0 .. shown - 1. A cell is at least kMinCell wide: a
// population with more units than fit shows the first `shown` of them.
struct CellGrid {
  std::size_t shown = 0, cols = 0, rows = 0;
  double cell = 0, side = 0;  // side: the inscribed square's, centred on the node
  static constexpr double kMinCell = 4.0;
};
CellGrid cell_grid(std::size_t units, double radius);

}  // namespace ransim::gui
