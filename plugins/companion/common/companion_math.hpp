#pragma once
// The math shared by the companion-model plugins (docs/companion.md):
//
//   aaren, softmax_attention      one fixed query per unit over a stream of (key, value);
//   gated_linear, linear_attention the gated linear RNN that implements linear self-attention,
//                                  and the attention itself.
//
// Written once here and included by the four plugins (and by tests/plugins/companion/test_companion.cpp,
// which checks the gated-linear builder directly):
//
//   - parameter declarations (queries, linear-attention weights, the token period);
//   - weights: random queries and W_Q, W_K, W_V drawn from named streams, so that two
//     populations with the same stream name get the same numbers, or read from HDF5
//     (ransim/weights.hpp);
//   - build_gated_linear: (lambda, G_in, X_in, G_out, X_out, D) from (W_Q, W_K, W_V);
//   - TokenStep: the token-time update as an ODE that every integrator solves exactly.
//
// The token-time convention. A discrete map h_{k+1} = F(h_k, x_k) (x_k the input held over
// token k) is simulated as
//
//     dh/dt = (F(h_k, x_k) - h_k) / T     on [k T, (k+1) T),
//
// with h_k and x_k taken at the tick k T (on_tick computes F there). Euler with dt = T
// evaluates the right-hand side only at the tick, so this is the convention
// dh/dt = (F(h, x) - h) / T, and one step gives h + T (F - h) / T = F exactly (to round-off).
// Because the right-hand side is constant over the token, rk4, dopri5 and Euler with any
// dt = T / n integrate it exactly too: the token-time models are exact under every integrator,
// and between ticks the state moves on the straight line from h_k to h_{k+1}.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/error.hpp>
#include <ransim/population.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

namespace ransim::companion {

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

inline std::vector<ParamSpec> weight_file_specs(const std::string& datasets) {
  return {
      param::string("weights_file")
          .describe("HDF5 file with the weights (" + datasets + "); empty: random weights"),
      param::string("weights_group")
          .defaults_to("/")
          .describe("group of weights_file holding the datasets, e.g. /network/populations/NAME to reuse the "
                    "weights of a ransim recording"),
  };
}

// aaren and softmax_attention: U units, one query each, over (key, value) streams.
inline std::vector<ParamSpec> query_specs() {
  std::vector<ParamSpec> s = {
      param::integer("units").range(1, 1e7).defaults_to(4).describe("number of units U (one query each)"),
      param::integer("dim").range(1, 4096).defaults_to(4).describe(
          "key and value dimension d; unit u reads 2d input slots: key (first d), value (last d)"),
      param::real("query_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("random queries q_u ~ N(0, 1/d) * query_scale"),
      param::string("query_stream")
          .defaults_to("query")
          .describe("random queries are drawn from the stream \"query.<query_stream>\" of the scenario seed: "
                    "populations with the same stream, units and dim have the same queries"),
      param::real("forget").unit("1/s").at_least(0).describe(
          "forgetting rate gamma: token i's score counts as s_i - gamma (age of token i)"),
  };
  for (auto& w : weight_file_specs("dataset \"queries\" [U, d]")) s.push_back(w);
  return s;
}

// gated_linear and linear_attention: W_Q, W_K, W_V (d x d).
inline std::vector<ParamSpec> lsa_specs() {
  std::vector<ParamSpec> s = {
      param::integer("dim").range(1, 256).defaults_to(3).describe("token dimension d (input slots)"),
      param::real("wq_scale").at_least(0).defaults_to(1.0).describe("W_Q entries ~ N(0, wq_scale^2 / d)"),
      param::real("wk_scale").at_least(0).defaults_to(1.0).describe("W_K entries ~ N(0, wk_scale^2 / d)"),
      param::real("wv_scale").at_least(0).defaults_to(1.0).describe("W_V entries ~ N(0, wv_scale^2 / d)"),
      param::string("weights_stream")
          .defaults_to("lsa")
          .describe("W_Q, W_K, W_V are drawn from the stream \"lsa.<weights_stream>\" of the scenario seed: "
                    "populations with the same stream, dim and scales have the same matrices"),
  };
  for (auto& w : weight_file_specs("datasets W_Q, W_K, W_V [d, d]")) s.push_back(w);
  return s;
}

// ---------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------

// The queries of aaren / softmax_attention: U x d, row u = q_u, N(0, 1/d) * query_scale drawn
// from make_rng(seed, "query." + query_stream), row by row; or dataset "queries" [U, d].
inline arma::mat queries(const PopulationContext& c) {
  const auto U = static_cast<std::size_t>(c.params.integer("units"));
  const auto d = static_cast<std::size_t>(c.params.integer("dim"));
  const WeightFile wf(c);
  if (wf.used()) return wf.load_matrix("queries", U, d);
  Rng rng = make_rng(c.seed, "query." + c.params.string("query_stream"));
  return random_matrix(rng, U, d, c.params.real("query_scale") / std::sqrt(static_cast<double>(d)));
}

struct LsaWeights {
  arma::mat WQ, WK, WV;  // d x d
};

// W_Q, W_K, W_V from make_rng(seed, "lsa." + weights_stream), in that order, each row by row
// with entries N(0, scale^2 / d); or datasets W_Q, W_K, W_V [d, d].
inline LsaWeights lsa_weights(const PopulationContext& c) {
  const auto d = static_cast<std::size_t>(c.params.integer("dim"));
  const WeightFile wf(c);
  if (wf.used())
    return {wf.load_matrix("W_Q", d, d), wf.load_matrix("W_K", d, d), wf.load_matrix("W_V", d, d)};
  Rng rng = make_rng(c.seed, "lsa." + c.params.string("weights_stream"));
  const double sd = 1.0 / std::sqrt(static_cast<double>(d));
  LsaWeights w;
  w.WQ = random_matrix(rng, d, d, c.params.real("wq_scale") * sd);
  w.WK = random_matrix(rng, d, d, c.params.real("wk_scale") * sd);
  w.WV = random_matrix(rng, d, d, c.params.real("wv_scale") * sd);
  return w;
}

// ---------------------------------------------------------------------------------------
// The gated linear RNN that implements linear self-attention
// ---------------------------------------------------------------------------------------

// n neurons, m output products, token dimension d, x~ = [x; 1]:
//   h <- lambda % h + (G_in x~) % (X_in x~)        lambda [n], G_in, X_in [n, d+1]
//   y  = D ((G_out h) % (X_out h))                 G_out, X_out [m, n], D [d, m]
struct GatedLinear {
  arma::vec lambda;
  arma::mat G_in, X_in, G_out, X_out, D;
  std::size_t neurons() const { return lambda.n_elem; }
};

enum class GatedForm { Full, Compressed };

// The weights that make the gated RNN compute y_t = sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t).
//
// full (d^2 + d neurons): memory neuron (i, j) = i*d + j, lambda = 1, accumulates
// (W_V x)_i (W_K x)_j, so it holds M_t(i, j), M_t = sum_s v_s k_s^T; query neuron d^2 + j,
// lambda = 0, holds (W_Q x_t)_j (its X_in row is the constant 1 of x~). Product (i, j) is
// M_t(i, j) q_j and D sums over j: y_i = sum_j M_t(i, j) q_j.
//
// compressed (d(d+1)/2 + d neurons): memory neuron (a, b), a <= b (numbered row by row),
// lambda = 1, accumulates x_a x_b, so it holds S_t(a, b), S_t = sum_s x_s x_s^T (symmetric);
// query neuron j, lambda = 0, holds p_j = (W_K^T W_Q x_t)_j. Product (a, b) (all d^2 pairs)
// is S_t(min, max) p_b, and D = W_V applied over a: y = W_V S_t W_K^T W_Q x_t, the same sum.
inline GatedLinear build_gated_linear(const arma::mat& WQ, const arma::mat& WK, const arma::mat& WV,
                                      GatedForm form) {
  const std::size_t d = WQ.n_rows;
  if (WQ.n_cols != d || WK.n_rows != d || WK.n_cols != d || WV.n_rows != d || WV.n_cols != d)
    throw InputError("build_gated_linear: W_Q, W_K, W_V must be d x d matrices");
  const std::size_t memory = form == GatedForm::Full ? d * d : d * (d + 1) / 2, n = memory + d, m = d * d;
  GatedLinear g;
  g.lambda.zeros(n);
  g.lambda.head(memory).ones();
  g.G_in.zeros(n, d + 1);
  g.X_in.zeros(n, d + 1);
  g.G_out.zeros(m, n);
  g.X_out.zeros(m, n);
  g.D.zeros(d, m);
  if (form == GatedForm::Full) {
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        g.G_in.row(i * d + j).head(d) = WV.row(i);
        g.X_in.row(i * d + j).head(d) = WK.row(j);
        g.G_out(i * d + j, i * d + j) = 1.0;
        g.X_out(i * d + j, memory + j) = 1.0;
        g.D(i, i * d + j) = 1.0;
      }
    for (std::size_t j = 0; j < d; ++j) {
      g.G_in.row(memory + j).head(d) = WQ.row(j);
      g.X_in(memory + j, d) = 1.0;
    }
  } else {
    std::vector<std::size_t> index(d * d);  // neuron of the pair (a, b), either order
    std::size_t next = 0;
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = a; b < d; ++b) {
        index[a * d + b] = index[b * d + a] = next;
        g.G_in(next, a) = 1.0;
        g.X_in(next, b) = 1.0;
        ++next;
      }
    const arma::mat P = WK.t() * WQ;  // p = W_K^T W_Q x
    for (std::size_t j = 0; j < d; ++j) {
      g.G_in.row(memory + j).head(d) = P.row(j);
      g.X_in(memory + j, d) = 1.0;
    }
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = 0; b < d; ++b) {
        g.G_out(a * d + b, index[a * d + b]) = 1.0;
        g.X_out(a * d + b, memory + b) = 1.0;
        for (std::size_t i = 0; i < d; ++i) g.D(i, a * d + b) = WV(i, a);
      }
  }
  return g;
}

// ---------------------------------------------------------------------------------------
// Token-time updates
// ---------------------------------------------------------------------------------------

// The increments (F(h_k, x_k) - h_k) / T of a token-time population, set at each tick and
// returned by derivative() until the next one, plus the ticks seen. T is the simulation's
// token period (PopulationContext::token_period).
class TokenStep {
 public:
  explicit TokenStep(double token_period) : T_(token_period) {}

  double period() const { return T_; }
  std::size_t ticks() const { return ticks_; }

  void resize(std::size_t values) { inc_.assign(values, 0.0); }
  double* increments() { return inc_.data(); }
  const double* increments() const { return inc_.data(); }

  // At the tick, after the increments are set.
  void tick() { ++ticks_; }
  // A new run (initial_state): no token seen.
  void restart() const { ticks_ = 0; }

  // dxdt = the increments.
  void fill(Block dxdt) const {
    std::copy(inc_.begin(), inc_.begin() + static_cast<std::ptrdiff_t>(dxdt.size()), dxdt.data);
  }

 private:
  double T_;
  std::vector<double> inc_;
  // Reset by initial_state() (const), which the engine calls from one thread at a time.
  mutable std::size_t ticks_ = 0;
};

// Values stored variable-major with lanes fastest ([vars][lanes]) to lane-major ([lanes][vars]),
// appended to out: how recordables are sampled.
inline void append_lane_major(const double* values, std::size_t vars, std::size_t lanes,
                              std::vector<double>& out) {
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t v = 0; v < vars; ++v) out.push_back(values[v * lanes + b]);
}

}  // namespace ransim::companion
