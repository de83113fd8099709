#pragma once
// The figures of `ransim compare` (docs/compare.md, "Figures"):
// - without a sweep, the bar chart PREFIX.png / .svg: one panel per task, one bar per model;
// - a model swept over two or more keys: heat maps PREFIX_heatmap.png / .svg, one panel per
//   model and task over its first two swept keys (one per value of any further key), with
//   iso-parameter contours of the seed's parameter count;
// - models swept over one key: line plots PREFIX_lines.png / .svg, one panel per task and
//   key, one line per model, error bars over seeds.
#include <string>
#include <vector>

#include "study/compare.hpp"

namespace ransim {

// Returns the paths written.
std::vector<std::string> write_compare_figures(const CompareConfig& cfg, const CompareResult& r,
                                               const std::string& prefix);

}  // namespace ransim
