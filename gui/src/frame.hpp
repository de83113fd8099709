#pragma once
// What the front end knows about a run: a description of the network (fixed for a session
// or a recording) and frames, the decimated snapshots the simulation publishes (or a
// recording replays). Plain data, no Qt: the views' data classes and the tests use them.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ransim/display.hpp"
#include "ransim/params.hpp"

namespace ransim::gui {

// A recordable variable of a population, shaped per lane ([units] or [units, n]), with how
// the model says to show it (Auto where it says nothing: see view_of in describe.hpp).
struct VariableDesc {
  std::string name, unit, description;
  std::vector<std::size_t> shape;
  ViewKind view = ViewKind::Auto;
  std::string colour = {};             // "#rrggbb" of its lines, empty: the traces' palette
  std::vector<std::string> axes = {};  // declared axis names, e.g. {"units", "slots"}; may be empty
  std::size_t size() const {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  // Values per unit (the second axis), 1 for [units].
  std::size_t per_unit() const { return shape.size() > 1 ? shape[1] : 1; }
};

struct ParamDesc {
  ParamSpec spec;
  Value value;
  bool live = false;  // may change while the simulation runs (Session::set_parameter)
};

struct PopulationDesc {
  std::string name, kind;
  std::size_t units = 0, dim = 1;  // state variables = units * dim
  std::vector<VariableDesc> variables;
  std::vector<ParamDesc> params;
  std::string colour = {};  // the kind's declared "#rrggbb", empty: none declared
  std::size_t state_size() const { return units * dim; }
  const VariableDesc* variable(const std::string& name) const;
  bool has(const std::string& name) const { return variable(name) != nullptr; }
};

struct ProjectionDesc {
  std::string name, kind;         // kind: "sparse" | "identity"
  std::vector<std::string> from;  // "input" or population names
  std::string to;
  std::size_t nnz = 0;  // weights (0 when unknown)
};

struct NetworkDesc {
  std::uint64_t session = 0;  // which session (or recording) the frames belong to
  std::string source;         // scenario or recording path
  std::string description;
  double token_period = 1.0;  // s
  std::size_t total_tokens = 0;
  std::size_t lanes = 1, input_dim = 0, target_dim = 0;
  bool has_readout = false;
  std::size_t readout_from = 0;  // first token whose prediction counts (warm-up + train + validation)
  std::string readout_kind = "ridge";  // "rls" | "force": learns token by token (a learning switch)
  std::pair<std::size_t, std::size_t> learn_tokens{0, 0};  // the training tokens [first, end)
  std::vector<PopulationDesc> populations;
  std::vector<ProjectionDesc> projections;

  // Index of a population, or -1.
  int find(const std::string& name) const;
};

// One population's part of a frame, lane 0 only (the views show the first lane).
struct PopulationFrame {
  std::vector<double> state;  // units * dim
  // The other variables sampled into this frame, by name (absent or empty: not sampled).
  std::map<std::string, std::vector<double>> series;
  // The values of `variable` ("state" or a sampled one); empty when not in this frame.
  const std::vector<double>& values(const std::string& variable) const {
    static const std::vector<double> none;
    if (variable == "state") return state;
    auto it = series.find(variable);
    return it == series.end() ? none : it->second;
  }
};

struct Frame {
  std::uint64_t seq = 0;      // publication number, 1, 2, ... (set by FrameRing)
  std::uint64_t session = 0;  // NetworkDesc::session of the network it shows
  std::size_t token = 0;      // tokens done; the state is the one at time token * T
  double time = 0;            // s
  std::vector<PopulationFrame> pops;
  std::vector<double> input;       // the input presented at the last token (lane 0)
  std::vector<double> target;      // the target for this state (lane 0), empty without readout
  std::vector<double> prediction;  // the readout's output (lane 0), empty until it is trained
  double nrmse = std::nan("");     // running NRMSE since the readout was trained (all lanes)
  std::size_t nrmse_tokens = 0;    // tokens it is computed over
};

using FramePtr = std::shared_ptr<const Frame>;

}  // namespace ransim::gui
