#pragma once
// How a front end shows a model's variables and kinds, as the model declares it
// (ransim/population.hpp, ransim/registry.hpp; the GUI's use is in docs/gui.md).
#include <string>

namespace ransim {

// As line traces of chosen entries, as a scrolling entries x time heatmap, or as a map (one
// unit's row over time beside the population's current [units, n] matrix). Auto lets the
// front end choose from the shape; Hidden keeps a variable out of the views.
enum class ViewKind { Auto, Hidden, Trace, Heatmap, Map };
std::string to_string(ViewKind v);  // "auto" | "hidden" | "trace" | "heatmap" | "map"

struct Display {
  ViewKind view = ViewKind::Auto;
  std::string colour = {};  // "#rrggbb"; empty: the front end's palette
};

}  // namespace ransim
