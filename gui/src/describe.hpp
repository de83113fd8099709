#pragma once
// Building a NetworkDesc from a live Session (the recording reader builds one from a file),
// and reading what the models declare about how they are shown: the views of their
// variables and the colours of their kinds. The GUI knows no model by name: what is not
// declared follows from the shapes, and colours from a fixed palette.
#include "frame.hpp"
#include "run/session.hpp"

namespace ransim::gui {

// Populations (units, variables, parameters with their specs and current values, which
// ones are live), projections, the token clock and the readout protocol.
// Threading: call it on the thread that owns the Session.
NetworkDesc describe(const Session& s);

// The view a variable of population p appears in. The state (the first variable) is the
// state views' own and answers Auto; another variable gives what its description says,
// else what its model's registered layout declares, else Map for [units, n] and Heatmap
// for [units]. Hidden keeps it out of every view (and out of the frames).
ViewKind view_of(const PopulationDesc& p, const VariableDesc& v);
// Whether frames carry v: every variable but the state that some view shows.
bool sampled_into_frames(const PopulationDesc& p, const VariableDesc& v);
// The variable's axis names: its own, else its model's declared ones, else none.
std::vector<std::string> axes_of(const PopulationDesc& p, const VariableDesc& v);
// The colour ("#rrggbb") of each population, in order: its declared colour, else its kind's
// registered one, else the next colour of fallback_palette() per kind that declares none.
std::vector<std::string> population_colours(const NetworkDesc& net);
// The fixed colours given, in order, to kinds that declare none.
const std::vector<std::string>& fallback_palette();

}  // namespace ransim::gui
