#pragma once
// Building a NetworkDesc from a live Session (the recording reader builds one from a file).
#include "frame.hpp"
#include "run/session.hpp"

namespace ransim::gui {

// Populations (units, variables, parameters with their specs and current values, which
// ones are live), projections, the token clock and the readout protocol.
// Threading: call it on the thread that owns the Session.
NetworkDesc describe(const Session& s);

}  // namespace ransim::gui
