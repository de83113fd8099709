// The attention population plugins: cortex_qkv, hippocampus_memory, attention_block
// (plugins/*/README.md), and read_hdf5_array, which loads their weights.
//
// Where the expected numbers come from:
//  - NAIVE: an independent implementation with plain loops over std::vector
//    (tests/naive/attention_units.hpp),
//    straight from the README equations (q = W_q z, K = Z W_k^T, V = Z W_v^T, softmax,
//    W_o V^T a, the memory sum), with its own working-memory bookkeeping (a list of every tick
//    sample), its own drive (dense copies of the projections' weights) and its own Euler and
//    RK4 steps. The plugins compute the attention in a factored order (W_k^T W_q, W_o W_v), so
//    agreement is to round-off: 1e-12 on values of magnitude <= 1.
//  - DISCRETE: the documented discrete-time update h[k+1] = (1-a) h[k] + a phi(Z_k), a = T/tau,
//    as its own loop (Euler with dt = T must give it).
//  - IDENTITY: the same network twice (weights reloaded from HDF5, another thread count, an
//    input that differs only in the future): results must be bitwise equal.
//  - PROPERTIES: attention rows sum to 1; masked rows are exactly 0; contraction (echo state).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "common/kernels.hpp"
#include "engine/network.hpp"
#include "engine/simulator.hpp"
#include "io/recorder.hpp"
#include "naive/attention_units.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "ransim/registry.hpp"
#include "run/run.hpp"
#include "run/session.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;  // row-major: Mat[i][j]

using naive::naive_dhdt;
using naive::naive_memory;
using naive::naive_r;
using naive::NaiveLane;
using naive::RefModel;
using naive::RefNet;
using naive::slice;
using naive::UnitOut;
using ransim::test::load_plugins;
using ransim::test::num;
using ransim::test::tmp_path;  // names start with attn_, apart from other suites' files

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

struct Config {
  std::string name, kind, params;  // params: extra TOML lines of [population.p]
  std::uint64_t seed = 3;
  std::string unit_params = "units = 5\ndim = 3\ntau = 1.5\n";
};

const std::string kDim4 = "units = 5\ndim = 4\ntau = 1.5\n";

// Every model, per-unit and shared weights, every activation, both context modes.
const std::vector<Config>& configs() {
  static const std::vector<Config> c = {
      {"cortex_time", "cortex_qkv", "context = 4\n"},
      {"cortex_time_shared", "cortex_qkv", "context = 3\nshared_weights = true\ntemperature = 0.7\n"},
      // Units mode, started away from 0 with a strong output.
      {"cortex_units", "cortex_qkv",
       "context_mode = \"units\"\nk = 3\ninitial_state = 0.9\nwo_scale = 3.0\nwv_scale = 2.0\n"},
      {"cortex_units_shared", "cortex_qkv",
       "context_mode = \"units\"\nk = 5\nshared_weights = true\ninitial_state = 0.9\nwo_scale = "
       "3.0\nwv_scale = 2.0\n",
       6},  // seed 6: W_o W_v has an eigenvalue > 1 (with seed 3 all decay, and so does h)
      {"hippo_relu", "hippocampus_memory", "slots = 6\nbias_scale = 0.3\n"},
      {"hippo_gelu_shared", "hippocampus_memory",
       "slots = 6\nactivation = \"gelu\"\nshared_store = true\nbias_scale = 0.3\n"},
      {"hippo_softmax", "hippocampus_memory",
       "slots = 7\nactivation = \"softmax\"\nvalue_scale = 2.0\ninitial_state = 0.5\n"},
      {"block", "attention_block", "context = 4\nslots = 6\nbias_scale = 0.2\ninitial_state = 0.5\n"},
      {"block_shared_softmax", "attention_block",
       "context = 3\nslots = 5\nshared_weights = true\nshared_store = true\nactivation = \"softmax\"\n"},
      {"block_gelu", "attention_block", "context = 2\nslots = 4\nactivation = \"gelu\"\nwo_scale = 1.5\n"},
      // The options of the seed's unit: standardised scores (fused path), heads, biases, the
      // feed-forward (each head alone), in both context modes and in the block.
      {"cortex_standardised", "cortex_qkv", "context = 4\nscores = \"standardised\"\nsharpness = 3.0\n"},
      {"cortex_units_standardised", "cortex_qkv",
       "context_mode = \"units\"\nk = 3\ninitial_state = 0.9\nwo_scale = 2.0\nscores = \"standardised\"\n"},
      {"block_standardised", "attention_block",
       "context = 3\nslots = 4\nscores = \"standardised\"\nsharpness = 2.5\nwo_scale = 1.0\n"},
      // Relative-position biases: fused path, heads with units mode, a shared block.
      {"cortex_position", "cortex_qkv", "context = 4\nposition_bias = 1.5\n"},
      {"cortex_units_position_heads", "cortex_qkv",
       "context_mode = \"units\"\nk = 3\nheads = 2\nposition_bias = 2.0\nscores = \"standardised\"\n"
       "initial_state = 0.9\nwo_scale = 2.0\n",
       3, kDim4},
      {"block_position_shared", "attention_block",
       "context = 3\nslots = 4\nshared_weights = true\nposition_bias = 1.0\n"},
      {"cortex_heads", "cortex_qkv", "context = 5\nheads = 3\ntemperature = 0.5\nwq_scale = 2.0\n", 3,
       "units = 5\ndim = 6\ntau = 1.5\n"},
      {"cortex_heads_bias_ff", "cortex_qkv",
       "context = 4\nheads = 2\nbias = true\nbias_scale = 0.4\nfeed_forward = true\nff_out_scale = 1.0\n"
       "scores = \"standardised\"\n",
       3, kDim4},
      {"cortex_bias_ff_shared", "cortex_qkv",
       "context = 3\nshared_weights = true\nbias = true\nbias_scale = 0.5\nfeed_forward = true\n"
       "activation = \"gelu\"\nff_out_scale = 1.5\n"},
      {"cortex_units_full", "cortex_qkv",
       "context_mode = \"units\"\nk = 3\nheads = 2\nbias = true\nfeed_forward = true\ninitial_state = 0.9\n"
       "wo_scale = 1.5\nscores = \"standardised\"\nsharpness = 1.5\n",
       3, kDim4},
      {"block_heads_standardised", "attention_block",
       "context = 4\nslots = 5\nheads = 2\nscores = \"standardised\"\nbias_scale = 0.2\nwo_scale = 1.0\n", 3,
       kDim4},
  };
  return c;
}

struct ScenarioSpec {
  std::string kind, params;
  std::string method = "rk4";
  double dt = 0.25, token_period = 1.0;
  std::size_t lanes = 1, threads = 1;
  bool recurrent = true;
  std::string recurrent_params = "density = 0.3\nscale = 0.5\n";
  std::uint64_t seed = 3;
  std::string pop = "p";  // the population's name (its random stream)
  std::string unit_params = "units = 5\ndim = 3\ntau = 1.5\n";
};

std::string scenario_text(const ScenarioSpec& s) {
  std::string t = "seed = " + std::to_string(s.seed) + "\n[simulation]\nintegrator = \"" + s.method +
                  "\"\ndt = " + num(s.dt) + "\ntoken_period = " + num(s.token_period) +
                  "\nlanes = " + std::to_string(s.lanes) + "\nthreads = " + std::to_string(s.threads) +
                  "\n[task]\nkind = \"narma10\"\nwarmup = 10\ntrain = 40\ntest = 20\n"
                  "[population." +
                  s.pop + "]\nkind = \"" + s.kind + "\"\n" + s.unit_params + s.params +
                  "[[projection]]\nname = \"in\"\nfrom = \"input\"\nto = \"" + s.pop + "\"\ndensity = 1.0\n";
  // Named projections: their random streams do not depend on the population's name.
  if (s.recurrent)
    t += "[[projection]]\nname = \"rec\"\nfrom = \"" + s.pop + "\"\nto = \"" + s.pop + "\"\n" +
         s.recurrent_params;
  return t;
}

struct Built {
  Scenario sc;
  std::unique_ptr<Network> net;
};

ScenarioSpec spec_of(const Config& c) {
  ScenarioSpec s{c.kind, c.params};
  s.seed = c.seed;
  s.unit_params = c.unit_params;
  return s;
}

Built build(const ScenarioSpec& s, std::size_t input_size) {
  load_plugins();
  Built b;
  b.sc = parse_scenario(scenario_text(s), "<test>");
  b.net = build_network(b.sc, input_size);
  return b;
}

// Inputs u[k] (input_size x lanes, lanes fastest), different in every lane.
std::vector<Vec> make_inputs(std::size_t tokens, std::size_t input_size, std::size_t lanes, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<Vec> u(tokens, Vec(input_size * lanes));
  for (auto& v : u)
    for (auto& x : v) x = d(g);
  return u;
}

// ---------------------------------------------------------------------------------------
// NAIVE reference (tests/naive/attention_units.hpp), fed with the plugins' own weights
// ---------------------------------------------------------------------------------------

// Rows [block*rows, (block+1)*rows) of a recorded [blocks*rows, cols] weight.
Mat block_of(const arma::mat& w, std::size_t block, std::size_t rows) {
  Mat m(rows, Vec(w.n_cols));
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < w.n_cols; ++j) m[i][j] = w(block * rows + i, j);
  return m;
}

RefModel reference(const Population& p, const std::string& kind, const Params& params) {
  RefModel m;
  m.kind = kind;
  m.U = static_cast<std::size_t>(params.integer("units"));
  m.D = static_cast<std::size_t>(params.integer("dim"));
  m.tau = params.real("tau");
  const auto w = p.weights();
  auto per_unit = [&](const std::string& name, std::size_t rows, std::vector<Mat>& out) {
    const arma::mat& a = w.at(name);
    const std::size_t blocks = a.n_rows / rows;
    EXPECT_TRUE(blocks == 1 || blocks == m.U) << name;
    for (std::size_t u = 0; u < m.U; ++u) out.push_back(block_of(a, blocks == 1 ? 0 : u, rows));
  };
  // A bias [blocks, n]: one row per unit or one shared (absent: 0).
  auto biases = [&](const std::string& name, std::vector<Vec>& out) {
    if (!w.count(name)) return;
    const arma::mat& b = w.at(name);
    for (std::size_t u = 0; u < m.U; ++u) out.push_back(block_of(b, b.n_rows == 1 ? 0 : u, 1)[0]);
  };
  if (m.attention()) {
    m.c = static_cast<std::size_t>(params.integer("context"));
    m.temperature = params.real("temperature");
    m.heads = static_cast<std::size_t>(params.integer("heads"));
    m.standardised = params.string("scores") == "standardised";
    m.sharpness = params.real("sharpness");
    per_unit("W_q", m.D, m.Wq);
    per_unit("W_k", m.D, m.Wk);
    per_unit("W_v", m.D, m.Wv);
    per_unit("W_o", m.D, m.Wo);
    for (const char* b : {"b_q", "b_k", "b_v", "b_o"})
      EXPECT_EQ(w.count(b), kind == "cortex_qkv" && params.boolean("bias") ? 1u : 0u) << b;
    biases("b_q", m.bq);
    biases("b_k", m.bk);
    biases("b_v", m.bv);
    biases("b_o", m.bo);
    if (w.count("position_bias")) per_unit("position_bias", m.heads, m.position);
    EXPECT_EQ(w.count("position_bias"), params.real("position_bias") > 0 ? 1u : 0u);
    if (kind == "cortex_qkv" && params.boolean("feed_forward")) {
      m.feed_forward = true;
      m.ff_activation = params.string("activation");
      per_unit("W_1", 4 * m.D, m.W1);
      per_unit("W_2", m.D, m.W2);
      biases("b_1", m.b1);
      biases("b_2", m.b2);
    }
    if (kind == "cortex_qkv" && params.string("context_mode") == "units") {
      m.units_mode = true;
      m.k = static_cast<std::size_t>(params.integer("k"));
      const arma::mat& pre = w.at("presynaptic");
      for (std::size_t u = 0; u < m.U; ++u) {
        m.pre.emplace_back();
        for (std::size_t r = 0; r < m.k; ++r) m.pre[u].push_back(static_cast<std::size_t>(pre(u, r)));
      }
    }
  }
  if (m.memory()) {
    m.S = static_cast<std::size_t>(params.integer("slots"));
    m.activation = params.string("activation");
    per_unit("memory_keys", m.S, m.Km);
    per_unit("memory_values", m.S, m.Vm);
    const arma::mat& b = w.at("memory_bias");
    for (std::size_t u = 0; u < m.U; ++u) m.bm.push_back(block_of(b, b.n_rows == 1 ? 0 : u, 1)[0]);
  }
  return m;
}

Mat dense(const Projection& p) {
  const arma::mat a(p.matrices()[0].second.to_arma());
  Mat m(a.n_rows, Vec(a.n_cols));
  for (std::size_t i = 0; i < a.n_rows; ++i)
    for (std::size_t j = 0; j < a.n_cols; ++j) m[i][j] = a(i, j);
  return m;
}

RefNet reference(const Built& b) {
  RefNet r;
  const auto& pop = b.net->populations()[0];
  r.m = reference(*pop.model, pop.kind, b.sc.populations[0].params);
  r.w_in = dense(*b.net->projections()[0]);
  if (b.net->projections().size() > 1) r.w_rec = dense(*b.net->projections()[1]);
  return r;
}

Vec lane_of(std::span<const double> x, std::size_t lanes, std::size_t b) {
  Vec v(x.size() / lanes);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = x[i * lanes + b];
  return v;
}

double max_abs_diff(std::span<const double> a, std::span<const double> b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// Recordable `name` of population 0 for the current state (the drive recomputed first, as
// ransim::run does), lane-major [lanes, U, n].
Vec sample(Network& net, const Simulator& sim, const Vec& u, const std::string& name) {
  net.compute_drive(sim.state().data(), u.data());
  Vec out;
  net.populations()[0].model->sample(name, net.block(sim.state().data(), 0), net.drive(0), out);
  return out;
}

constexpr double kTol = 1e-12;
constexpr std::size_t kInputs = 2;

// ---------------------------------------------------------------------------------------
// dx/dt for a given state, drive and window (the population on its own)
// ---------------------------------------------------------------------------------------

std::unique_ptr<Population> create(const std::string& kind, const std::string& name,
                                   const std::map<std::string, Value>& values, std::uint64_t seed = 5) {
  load_plugins();
  const PopulationInfo* info = Registry::global().find(kind);
  if (!info) throw std::runtime_error("model not loaded: " + kind);
  Params p = defaults(info->params);
  for (auto& [k, v] : values) {
    const ParamSpec* spec = find_spec(info->params, k);
    if (!spec) throw std::runtime_error("no parameter " + k);
    if (auto why = spec->check(v)) throw std::runtime_error(k + ": " + *why);
    p.set(k, v);
  }
  return info->create(PopulationContext{name, p, seed});
}

// The Config's TOML lines as parameter values (the few types used above).
std::map<std::string, Value> values_of(const Config& c) {
  std::map<std::string, Value> v;
  std::istringstream in(c.unit_params + c.params);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    const std::string key = line.substr(0, eq), val = line.substr(eq + 3);
    if (val == "true" || val == "false") v[key] = val == "true";
    else if (val[0] == '"') v[key] = val.substr(1, val.size() - 2);
    else if (val.find('.') != std::string::npos) v[key] = std::stod(val);
    else v[key] = std::int64_t{std::stoll(val)};
  }
  return v;
}

TEST(Attention, DerivativeMatchesNaiveForGivenStateDriveAndWindow) {
  std::mt19937_64 g(11);
  std::uniform_real_distribution<double> d(-1.5, 1.5);
  ThreadPool pool(1);
  for (const Config& c : configs()) {
    for (std::size_t lanes : {1u, 3u}) {
      for (std::size_t ticks : {0u, 1u, 2u, 7u}) {  // empty, partial, full and wrapped windows
        SCOPED_TRACE(c.name + " lanes " + std::to_string(lanes) + " ticks " + std::to_string(ticks));
        const auto values = values_of(c);
        auto pop = create(c.kind, "p", values);
        pop->set_lanes(lanes);
        Params params = defaults(Registry::global().find(c.kind)->params);
        for (auto& [k, v] : values) params.set(k, v);
        const RefModel m = reference(*pop, c.kind, params);
        const std::size_t N = pop->state_size();
        ASSERT_EQ(N, m.U * m.D);
        ASSERT_EQ(pop->input_size(), N);
        Vec x(N * lanes), drive(N * lanes), dxdt(N * lanes);
        std::vector<Vec> samples;  // tick drives, lanes fastest
        for (std::size_t t = 0; t < ticks; ++t) {
          samples.emplace_back(N * lanes);
          for (auto& v : samples.back()) v = d(g);
          if (pop->uses_ticks())
            pop->on_tick(ConstBlock{x.data(), N, lanes}, ConstBlock{samples.back().data(), N, lanes});
        }
        for (auto& v : x) v = d(g) / 1.5;
        for (auto& v : drive) v = d(g);
        pop->derivative(ConstBlock{x.data(), N, lanes}, ConstBlock{drive.data(), N, lanes},
                        Block{dxdt.data(), N, lanes}, 0.0, pool);
        for (std::size_t b = 0; b < lanes; ++b) {
          // The live row is `drive`; the samples of the ticks before the last are past rows.
          std::vector<Vec> past;
          for (std::size_t t = 0; t + 1 < samples.size(); ++t) past.push_back(lane_of(samples[t], lanes, b));
          const Vec expect = naive_dhdt(m, lane_of(x, lanes, b), lane_of(drive, lanes, b), past);
          EXPECT_LT(max_abs_diff(lane_of(dxdt, lanes, b), expect), kTol) << "lane " << b;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Trajectories in a network: rk4 with 4 steps per token, euler with 2
// ---------------------------------------------------------------------------------------

void check_trajectory(const Config& c, std::size_t lanes, const std::string& method, double dt) {
  SCOPED_TRACE(c.name + " " + method + " lanes " + std::to_string(lanes));
  ScenarioSpec s = spec_of(c);
  s.method = method;
  s.dt = dt;
  s.lanes = lanes;
  Built b = build(s, kInputs);
  const RefNet ref = reference(b);
  Simulator sim(*b.net, b.sc.integrator);
  const std::size_t tokens = 50, substeps = static_cast<std::size_t>(std::lround(1.0 / dt));
  const auto u = make_inputs(tokens, kInputs, lanes, 17);
  std::vector<NaiveLane> naive;
  for (std::size_t l = 0; l < lanes; ++l) naive.push_back({ref, lane_of(sim.state(), lanes, l), {}});
  double worst = 0;
  for (std::size_t k = 0; k < tokens; ++k) {
    sim.step_token(u[k].data());
    const Vec att = ref.m.attention() ? sample(*b.net, sim, u[k], "attention") : Vec{};
    const Vec mem = ref.m.memory() ? sample(*b.net, sim, u[k], "memory") : Vec{};
    for (std::size_t l = 0; l < lanes; ++l) {
      const Vec ul = lane_of(u[k], lanes, l);
      naive[l].token(ul, method, substeps, 1.0);
      worst = std::max(worst, max_abs_diff(lane_of(sim.state(), lanes, l), naive[l].h));
      for (std::size_t unit = 0; unit < ref.m.U; ++unit) {
        const UnitOut o = naive[l].unit_after(unit, ul);
        if (ref.m.attention()) {
          const std::size_t R = ref.m.att_rows() * ref.m.heads;
          const Vec got = slice(att, (l * ref.m.U + unit) * R, R);
          worst = std::max(worst, max_abs_diff(got, o.attention));
          double sum = 0;
          for (double a : got) sum += a;
          EXPECT_NEAR(sum, static_cast<double>(ref.m.heads), 1e-14);  // each head's rows sum to 1
        }
        if (ref.m.memory())
          worst =
              std::max(worst, max_abs_diff(slice(mem, (l * ref.m.U + unit) * ref.m.S, ref.m.S), o.memory));
      }
    }
  }
  EXPECT_LT(worst, kTol);
  testing::Test::RecordProperty(c.name + "_" + method + "_lanes" + std::to_string(lanes), num(worst));
  // The comparison is not vacuous: the states moved well away from 0.
  double size = 0;
  for (double v : sim.state()) size = std::max(size, std::abs(v));
  EXPECT_GT(size, 0.05);
}

TEST(Attention, TrajectoriesMatchNaiveRk4) {
  for (const Config& c : configs())
    for (std::size_t lanes : {1u, 3u}) check_trajectory(c, lanes, "rk4", 0.25);
}

TEST(Attention, TrajectoriesMatchNaiveEuler) {
  for (const Config& c : configs())
    for (std::size_t lanes : {1u, 3u}) check_trajectory(c, lanes, "euler", 0.5);
}

// ---------------------------------------------------------------------------------------
// Causality, masking, the tick rule
// ---------------------------------------------------------------------------------------

TEST(Attention, NoLookAheadAndMaskedRowsBeforeTheWindowFills) {
  for (const Config& c : configs()) {
    if (c.kind == "hippocampus_memory") continue;
    SCOPED_TRACE(c.name);
    ScenarioSpec s = spec_of(c);
    s.lanes = 2;
    Built b1 = build(s, kInputs), b2 = build(s, kInputs);
    Simulator s1(*b1.net, b1.sc.integrator), s2(*b2.net, b2.sc.integrator);
    const std::size_t tokens = 30, change = 12;
    auto u1 = make_inputs(tokens, kInputs, 2, 5), u2 = u1;
    for (std::size_t k = change; k < tokens; ++k)
      for (auto& v : u2[k]) v = -v + 0.3;  // a different future
    const RefModel m = reference(b1).m;
    const std::size_t R = m.att_rows();
    for (std::size_t k = 0; k < tokens; ++k) {
      s1.step_token(u1[k].data());
      s2.step_token(u2[k].data());
      const Vec a1 = sample(*b1.net, s1, u1[k], "attention"), a2 = sample(*b2.net, s2, u2[k], "attention");
      if (k < change) {  // bitwise: nothing computed so far may depend on the future input
        EXPECT_EQ(s1.state(), s2.state()) << "token " << k;
        EXPECT_EQ(a1, a2) << "token " << k;
      } else if (k == change + 1) {
        EXPECT_NE(s1.state(), s2.state());
      }
      // After token k, min(k, c-1) past rows exist (+ the live one); the rest are exactly 0.
      const std::size_t valid = m.units_mode ? R : std::min(k, m.c - 1) + 1;
      for (std::size_t row = 0; row < a1.size() / R; ++row) {
        double sum = 0;
        for (std::size_t r = 0; r < R; ++r) {
          const double a = a1[row * R + r];
          sum += a;
          if (r < R - valid) EXPECT_EQ(a, 0.0) << "token " << k << " row " << r;
          else EXPECT_GT(a, 0.0) << "token " << k << " row " << r;
        }
        EXPECT_NEAR(sum, 1.0, 1e-14);
      }
    }
  }
}

TEST(Attention, WindowPushesExactlyAtTicks) {
  // rk4, 8 steps per token: the past rows must be the drive at the ticks (NAIVE keeps every
  // tick sample). The same naive network whose windows hold the drive at the end of each
  // token instead (close to what a push at a late intermediate step would give) is far off,
  // so the comparison can tell the two apart.
  for (const std::string kind : {"cortex_qkv", "attention_block"}) {
    SCOPED_TRACE(kind);
    ScenarioSpec s{kind, "context = 4\nslots = 5\n"};
    if (kind == "cortex_qkv") s.params = "context = 4\n";
    s.dt = 0.125;
    Built b = build(s, kInputs);
    const RefNet ref = reference(b);
    Simulator sim(*b.net, b.sc.integrator);
    const auto u = make_inputs(30, kInputs, 1, 23);
    NaiveLane good{ref, Vec(sim.state().begin(), sim.state().end()), {}}, wrong = good;
    double err_good = 0, err_wrong = 0;
    for (std::size_t k = 0; k < u.size(); ++k) {
      sim.step_token(u[k].data());
      good.token(u[k], "rk4", 8, 1.0);
      wrong.token(u[k], "rk4", 8, 1.0, true);
      err_good = std::max(err_good, max_abs_diff(sim.state(), good.h));
      err_wrong = std::max(err_wrong, max_abs_diff(sim.state(), wrong.h));
    }
    EXPECT_LT(err_good, kTol);
    EXPECT_GT(err_wrong, 1e-3);
  }
}

// ---------------------------------------------------------------------------------------
// DISCRETE: Euler with dt = T is the documented discrete-time update
// ---------------------------------------------------------------------------------------

TEST(Attention, EulerWithTokenPeriodIsTheDiscreteUpdate) {
  for (const Config& c : configs()) {
    SCOPED_TRACE(c.name);
    ScenarioSpec s = spec_of(c);
    s.method = "euler";
    s.dt = 0.5;
    s.token_period = 0.5;  // a = T / tau = 0.5 / 1.5
    s.lanes = 2;
    Built b = build(s, kInputs);
    const RefNet ref = reference(b);
    const RefModel& m = ref.m;
    const auto u = make_inputs(40, kInputs, 2, 29);
    Simulator sim(*b.net, b.sc.integrator);
    const Vec x0(sim.state().begin(), sim.state().end());
    std::vector<std::vector<double>> states;
    for (auto& uk : u) {
      sim.step_token(uk.data());
      states.emplace_back(sim.state().begin(), sim.state().end());
    }
    const double a = 0.5 / m.tau;
    for (std::size_t l = 0; l < 2; ++l) {
      // h[k+1] = (1-a) h[k] + a tanh(r_k);  r_k from z_k = W_in u_k + W_rec h_k and the window
      // Z_k = [z_{k-c+1}; ...; z_k] (time mode) or [h_k[j]...; z_k] (units mode).
      Vec h = lane_of(x0, 2, l);
      std::vector<Vec> zs;
      double worst = 0;
      for (std::size_t k = 0; k < u.size(); ++k) {
        zs.push_back(ref.drive(h, lane_of(u[k], 2, l)));
        Vec next(h.size());
        for (std::size_t i = 0; i < m.U; ++i) {
          Mat Z;
          if (m.units_mode) {
            for (std::size_t j : m.pre[i]) Z.push_back(slice(h, j * m.D, m.D));
            Z.push_back(slice(zs[k], i * m.D, m.D));  // the unit's own input, last
          } else
            for (std::size_t j = k + 1 - std::min(k + 1, m.c); j <= k; ++j)
              Z.push_back(slice(zs[j], i * m.D, m.D));
          const Vec z = slice(zs[k], i * m.D, m.D);
          Vec r, mem;
          UnitOut recorded;
          if (m.attention()) r = naive_r(m, i, z, Z, recorded);
          else r = naive_memory(m, i, z, mem);
          for (std::size_t d = 0; d < m.D; ++d)
            next[i * m.D + d] = (1 - a) * h[i * m.D + d] + a * std::tanh(r[d]);
        }
        h = next;
        worst = std::max(worst, max_abs_diff(lane_of(states[k], 2, l), h));
      }
      EXPECT_LT(worst, kTol) << "lane " << l;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Weights through HDF5
// ---------------------------------------------------------------------------------------

// Writes one dataset with the HDF5 C API (file created if missing).
void h5_write(const std::string& file, const std::string& name, const std::vector<hsize_t>& dims,
              const Vec& values) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = std::filesystem::exists(file) ? H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)
                                          : H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(f, name.c_str(), H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(d, 0) << name;
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(d);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(f);
}

// Row-major values of an arma matrix.
Vec row_major(const arma::mat& m) {
  const arma::mat t = m.t();
  return Vec(t.begin(), t.end());
}

std::vector<double> run_tokens(Built& b, std::size_t tokens, unsigned seed) {
  Simulator sim(*b.net, b.sc.integrator);
  const auto u = make_inputs(tokens, kInputs, b.sc.lanes, seed);
  for (auto& uk : u) sim.step_token(uk.data());
  return {sim.state().begin(), sim.state().end()};
}

TEST(Attention, WeightsRoundTripThroughHdf5) {
  for (const Config& c : configs()) {
    for (bool three_d : {false, true}) {
      SCOPED_TRACE(c.name + (three_d ? " [blocks, rows, cols]" : " [blocks*rows, cols]"));
      ScenarioSpec s = spec_of(c);
      s.lanes = 2;
      Built a = build(s, kInputs);
      const std::string file = tmp_path("attn_" + c.name + (three_d ? "_3d.h5" : ".h5"));
      std::filesystem::remove(file);
      const auto w = a.net->populations()[0].model->weights();
      if (!three_d) {
        // As a recording stores them: Recorder::write_matrix, shape [rows, cols].
        Recorder rec(RecorderOptions{file});
        for (auto& [name, m] : w) rec.write_matrix("/weights/" + name, m);
        rec.finish(ransim::RunStatus::Complete);
      } else {
        // Stacked per-unit matrices as [blocks, rows, cols] (as h5py users would write them).
        const Params& p = a.sc.populations[0].params;
        for (auto& [name, m] : w) {
          const auto dim = static_cast<hsize_t>(p.integer("dim"));
          const hsize_t rows = name == "presynaptic" || name == "memory_bias" || name == "x0" ? 1
                               : name.rfind("b_", 0) == 0                                     ? 1
                               : name == "W_1"                                                ? 4 * dim
                               : name == "position_bias" ? static_cast<hsize_t>(p.integer("heads"))
                               : name.rfind("memory_", 0) == 0 ? static_cast<hsize_t>(p.integer("slots"))
                                                               : dim;
          h5_write(file, "/weights/" + name, {m.n_rows / rows, rows, m.n_cols}, row_major(m));
        }
      }
      // Another population name: other random weights, unless they are loaded.
      ScenarioSpec other = s;
      other.pop = "q";
      ScenarioSpec loaded = other;
      loaded.params += "weights_file = \"" + file + "\"\nweights_group = \"/weights\"\n";
      Built b = build(loaded, kInputs), o = build(other, kInputs);
      const auto w2 = b.net->populations()[0].model->weights();
      ASSERT_EQ(w.size(), w2.size());
      for (auto& [name, m] : w) EXPECT_TRUE(arma::approx_equal(m, w2.at(name), "absdiff", 0.0)) << name;
      const auto xa = run_tokens(a, 30, 3);
      EXPECT_EQ(xa, run_tokens(b, 30, 3));  // bitwise
      EXPECT_NE(xa, run_tokens(o, 30, 3));
    }
  }
}

TEST(Attention, WeightsLoadFromARansimRecording) {
  // A whole run records its weights under /network/populations/NAME; a second scenario can
  // take them from there (D = 1: ransim records single-column matrices as vectors).
  load_plugins();
  for (const std::string dim : {"1", "3"}) {
    SCOPED_TRACE("dim " + dim);
    ScenarioSpec s{"attention_block", "context = 3\nslots = 4\n"};
    s.unit_params = "units = 4\ndim = " + dim + "\n";
    const std::string file = tmp_path("attn_recording_d" + dim + ".h5");
    std::filesystem::remove(file);
    Scenario sc = parse_scenario(scenario_text(s), "<test>");
    RunOptions opts;
    opts.out = file;
    const RunResult r = run(sc, opts);
    ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
    ScenarioSpec s2 = s;
    s2.params += "weights_file = \"" + file + "\"\nweights_group = \"/network/populations/p\"\n";
    Built a = build(s, 1), b = build(s2, 1);
    const auto w1 = a.net->populations()[0].model->weights(), w2 = b.net->populations()[0].model->weights();
    for (auto& [name, m] : w1) EXPECT_TRUE(arma::approx_equal(m, w2.at(name), "absdiff", 0.0)) << name;
  }
}

std::string build_error(const ScenarioSpec& s) {
  try {
    build(s, kInputs);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Attention, BadWeightsFileNamesFileAndDataset) {
  const std::string good = tmp_path("attn_bad_weights.h5");
  std::filesystem::remove(good);
  h5_write(good, "W_q", {15, 3}, Vec(45, 0.1));
  h5_write(good, "W_k", {3, 3}, Vec(9, 0.1));  // per-unit weights expected: wrong shape
  h5_write(good, "W_v", {5, 3, 3}, Vec(45, 0.1));
  Vec with_nan(45, 0.1);
  with_nan[7] = std::nan("");
  h5_write(good, "W_o", {15, 3}, with_nan);

  ScenarioSpec s{"cortex_qkv", ""};
  const std::string missing = tmp_path("attn_no_such_file.h5");
  s.params = "weights_file = \"" + missing + "\"\n";
  std::string msg = build_error(s);
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("dataset '/W_q'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("population 'p'"), std::string::npos) << msg;

  s.params = "weights_file = \"" + good + "\"\n";
  msg = build_error(s);  // W_q fine, W_k has the shared shape
  EXPECT_NE(msg.find(good + ": dataset '/W_k': expected shape [15, 3] or [5, 3, 3]"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("found [3, 3]"), std::string::npos) << msg;

  s.params = "weights_file = \"" + good + "\"\nshared_weights = true\n";
  msg = build_error(s);  // now W_q has the per-unit shape
  EXPECT_NE(msg.find(good + ": dataset '/W_q': expected shape [3, 3] or [1, 3, 3]"), std::string::npos)
      << msg;

  s.params = "weights_file = \"" + good + "\"\nweights_group = \"/nested\"\n";
  msg = build_error(s);
  EXPECT_NE(msg.find(good + ": dataset '/nested/W_q': no such dataset"), std::string::npos) << msg;

  // A missing dataset next to good ones, and a non-finite value.
  const std::string partial = tmp_path("attn_partial_weights.h5");
  std::filesystem::remove(partial);
  for (const char* n : {"W_q", "W_k", "W_v"}) h5_write(partial, n, {15, 3}, Vec(45, 0.1));
  s.params = "weights_file = \"" + partial + "\"\n";
  msg = build_error(s);
  EXPECT_NE(msg.find(partial + ": dataset '/W_o': no such dataset in the file"), std::string::npos) << msg;
  h5_write(partial, "W_o", {15, 3}, with_nan);
  msg = build_error(s);
  EXPECT_NE(msg.find(partial + ": dataset '/W_o': value 7 is not finite"), std::string::npos) << msg;

  // Units mode: presynaptic indices must be units.
  const std::string ok = tmp_path("attn_ok_weights.h5");
  std::filesystem::remove(ok);
  for (const char* n : {"W_q", "W_k", "W_v", "W_o"}) h5_write(ok, n, {15, 3}, Vec(45, 0.1));
  h5_write(ok, "presynaptic", {5, 2}, {0, 1, 2, 3, 4, 5, 0, 1, 2, 3});
  s.params = "weights_file = \"" + ok + "\"\ncontext_mode = \"units\"\nk = 2\n";
  msg = build_error(s);
  EXPECT_NE(msg.find(ok + ": dataset '/presynaptic': value 5 (5.000000) is not a unit index in [0, 5)"),
            std::string::npos)
      << msg;

  // Memory datasets are named in messages too.
  ScenarioSpec h{"hippocampus_memory", "slots = 4\nweights_file = \"" + ok + "\"\n"};
  msg = build_error(h);
  EXPECT_NE(msg.find(ok + ": dataset '/memory_keys': no such dataset"), std::string::npos) << msg;
}

TEST(Attention, ReadHdf5ArrayErrorsAndConversions) {
  const std::string file = tmp_path("attn_read_array.h5");
  std::filesystem::remove(file);
  h5_write(file, "/g/m", {2, 3}, {1, 2, 3, 4, 5, 6});
  {
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t n = 3;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    const int ints[3] = {7, -8, 9};
    hid_t d = H5Dcreate2(f, "ints", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints);
    H5Dclose(d);
    H5Sclose(space);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 5);
    hid_t scalar = H5Screate(H5S_SCALAR);
    d = H5Dcreate2(f, "text", str, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, "hello");
    H5Dclose(d);
    H5Sclose(scalar);
    H5Tclose(str);
    H5Fclose(f);
  }
  const Array m = read_hdf5_array(file, "/g/m");
  EXPECT_EQ(m.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(m.values, (Vec{1, 2, 3, 4, 5, 6}));
  const Array i = read_hdf5_array(file, "ints");
  EXPECT_EQ(i.shape, (std::vector<std::size_t>{3}));
  EXPECT_EQ(i.values, (Vec{7, -8, 9}));

  auto error = [&](const std::string& f, const std::string& d) -> std::string {
    try {
      read_hdf5_array(f, d);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(file, "text"),
            file + ": dataset 'text': expected numbers (integer or floating point), found strings");
  EXPECT_EQ(error(file, "/g/none"), file + ": dataset '/g/none': no such dataset in the file");
  EXPECT_EQ(error(file, "/h/m"), file + ": dataset '/h/m': no such dataset in the file (no group '/h')");
  EXPECT_EQ(error(file, "g"), file + ": dataset 'g': is not a dataset (a group or a named type)");
  EXPECT_EQ(error("/nonexistent/x.h5", "a"),
            "/nonexistent/x.h5: dataset 'a': cannot open the file: no such file");
  const std::string text = tmp_path("attn_not_hdf5.h5");
  std::ofstream(text) << "plain text";
  EXPECT_EQ(error(text, "a"), text + ": dataset 'a': cannot open the file: not an HDF5 file");
}

// ---------------------------------------------------------------------------------------
// Echo state property with default parameters
// ---------------------------------------------------------------------------------------

TEST(Attention, EchoStatePropertyWithDefaults) {
  // Two initial states, the same input: the distance between the trajectories must shrink by
  // >= 1e3. Default unit parameters (only the shape is set), a recurrent sparse projection with
  // the scenario defaults (density 0.1, N(0, 1) weights, scale 1), rk4 with dt = T / 2.
  // "full": the seed's whole unit (2 heads, biases, the feed-forward) at its default scales.
  for (const std::string kind :
       {"cortex_qkv", "cortex_qkv units", "cortex_qkv full", "hippocampus_memory", "attention_block"}) {
    SCOPED_TRACE(kind);
    const bool units = kind == "cortex_qkv units", full = kind == "cortex_qkv full";
    ScenarioSpec s{units || full ? "cortex_qkv" : kind, units ? "context_mode = \"units\"\n"
                                                        : full
                                                            ? "heads = 2\nbias = true\nfeed_forward = true\n"
                                                            : ""};
    s.unit_params = "units = 16\ndim = 4\n";
    s.recurrent_params = "";
    s.dt = 0.5;
    // Two networks (each population keeps its own working memory).
    Built b1 = build(s, 1), b2 = build(s, 1);
    Simulator a(*b1.net, b1.sc.integrator), c(*b2.net, b2.sc.integrator);
    std::mt19937_64 g(3);
    std::uniform_real_distribution<double> d(-1, 1);
    for (auto& v : c.state()) v = d(g);
    const auto u = make_inputs(400, 1, 1, 41);
    auto dist = [&] {
      double s2 = 0;
      for (std::size_t i = 0; i < a.state().size(); ++i) s2 += std::pow(a.state()[i] - c.state()[i], 2);
      return std::sqrt(s2);
    };
    const double d0 = dist();
    for (auto& uk : u) {
      a.step_token(uk.data());
      c.step_token(uk.data());
    }
    EXPECT_GT(d0, 1.0);
    EXPECT_LT(dist(), d0 * 1e-3) << "from " << d0;
  }
}

// ---------------------------------------------------------------------------------------
// Odds and ends
// ---------------------------------------------------------------------------------------

TEST(Attention, ThreadCountDoesNotChangeResults) {
  // Benchmark-sized populations, so that the units are split over the threads.
  for (const std::string kind : {"cortex_qkv", "hippocampus_memory", "attention_block"}) {
    SCOPED_TRACE(kind);
    ScenarioSpec s{kind, ""};
    s.unit_params = "units = 64\ndim = 8\n";
    s.lanes = 64;
    s.method = "euler";
    s.dt = 1.0;
    Built one = build(s, kInputs);
    s.threads = 2;
    Built two = build(s, kInputs);
    EXPECT_EQ(run_tokens(one, 5, 8), run_tokens(two, 5, 8));
  }
}

TEST(Attention, LaneOfABatchEqualsASingleLaneRun) {
  for (const Config& c : configs()) {
    SCOPED_TRACE(c.name);
    ScenarioSpec s = spec_of(c);
    s.lanes = 3;
    Built three = build(s, kInputs);
    s.lanes = 1;
    Built one = build(s, kInputs);
    const auto u3 = make_inputs(20, kInputs, 3, 12);
    Simulator s3(*three.net, three.sc.integrator), s1(*one.net, one.sc.integrator);
    for (auto& uk : u3) {
      s3.step_token(uk.data());
      const Vec u1 = lane_of(uk, 3, 2);
      s1.step_token(u1.data());
    }
    EXPECT_LT(max_abs_diff(lane_of(s3.state(), 3, 2), s1.state()), 1e-14);
  }
}

TEST(Attention, TanhByExpm1MatchesStdTanh) {
  // relax_tanh with x = 0 and tau = 1 leaves tanh(r) in dxdt, through the same vector expm1 as
  // in the plugins (this file is compiled with -fno-math-errno, as they are). Reference:
  // glibc's scalar tanh. |r| from 1e-300 to 1e3 in steps of 10^0.001, both signs, then the
  // special values. Observed at most 4.2 ulp (4.6e-16 relative; more than 1 ulp for 0.6% of
  // the values); libmvec's vector tanh, which this replaces, measured 3.8 ulp on the same
  // values (more than 1 ulp for 1.6%) and is documented at 4.
  std::vector<double> r;
  for (double k = -300; k <= 3; k += 0.001) r.insert(r.end(), {std::pow(10.0, k), -std::pow(10.0, k)});
  const double inf = std::numeric_limits<double>::infinity();
  r.insert(r.end(), {0.0, -0.0, 4.9e-324, -4.9e-324, 18.0, 19.1, 20.0, 400.0, inf, -inf});
  std::vector<double> t = r, zero(r.size(), 0.0);
  attn::relax_tanh(zero.data(), t.data(), t.size(), 1.0);
  double worst = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double ref = std::tanh(r[i]);
    ASSERT_EQ(std::signbit(t[i]), std::signbit(ref)) << r[i];
    if (ref == 0) {
      EXPECT_EQ(t[i], 0.0) << r[i];
      continue;
    }
    worst = std::max(worst, std::abs(t[i] - ref) / std::abs(ref));
  }
  EXPECT_LE(worst, 6 * std::numeric_limits<double>::epsilon() / 2) << "6 ulp";
  std::printf("[ measured ] largest relative error %.3g (%.2f ulp)\n", worst,
              worst / (std::numeric_limits<double>::epsilon() / 2));
  std::vector<double> nan = {std::nan("")}, z = {0.0};
  attn::relax_tanh(z.data(), nan.data(), 1, 1.0);
  EXPECT_TRUE(std::isnan(nan[0]));  // divergence stays visible to the health check
}

TEST(Attention, SoftmaxSubtractsTheMaximum) {
  // Scores of +-1000 overflow exp() without the max subtraction.
  Vec s = {1000, 999, -1000, 1000, 999, -1000};  // 3 rows x 2 lanes: lane 0 = (1000, -1000, 999)
  Vec tmp(4);
  attn::softmax_lanes(s.data(), 3, 2, tmp.data());
  const double e = std::exp(-1.0);
  EXPECT_NEAR(s[0], 1 / (1 + e), 1e-15);
  EXPECT_EQ(s[2], 0.0);
  EXPECT_NEAR(s[4], e / (1 + e), 1e-15);
  EXPECT_NEAR(s[1], e / (1 + e), 1e-15);  // lane 1 = (999, 1000, -1000)
  EXPECT_NEAR(s[3], 1 / (1 + e), 1e-15);
  EXPECT_EQ(s[5], 0.0);
  Vec one = {-1000, 1000, 1000};
  attn::softmax_lanes(one.data(), 3, 1, tmp.data());
  EXPECT_EQ(one[0], 0.0);
  EXPECT_DOUBLE_EQ(one[1], 0.5);
  // A tiny temperature (scores ~1e6) still gives finite, bounded states.
  ScenarioSpec sp{"attention_block", "temperature = 1e-6\n"};
  Built b = build(sp, kInputs);
  const auto x = run_tokens(b, 10, 4);
  for (double v : x) EXPECT_TRUE(std::isfinite(v) && std::abs(v) <= 1.0);
}

TEST(Attention, ParameterErrors) {
  ScenarioSpec s{"cortex_qkv", "context_mode = \"units\"\nk = 6\n"};
  EXPECT_NE(build_error(s).find("population 'p': k (6) must be <= units (5)"), std::string::npos)
      << build_error(s);
  s.params = "k = 6\n";  // k only matters in units mode
  EXPECT_EQ(build_error(s), "");
  load_plugins();
  const std::string msg = [] {
    try {
      parse_scenario(scenario_text({"hippocampus_memory", "activation = \"tanh\"\n"}), "s.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_NE(msg.find("expected one of \"relu\" | \"gelu\" | \"softmax\""), std::string::npos) << msg;
  // Heads split dim: they must divide it (dim = 3 here).
  for (const std::string kind : {"cortex_qkv", "attention_block"}) {
    s = {kind, "heads = 2\n"};
    EXPECT_NE(build_error(s).find("population 'p': heads (2) must divide dim (3)"), std::string::npos)
        << build_error(s);
    s.params = "heads = 3\n";
    EXPECT_EQ(build_error(s), "");
  }
}

// standardise_lanes against closed forms. Two rows (x, y): the mean is (x + y) / 2 and the
// standard deviation |x - y| / 2, so the standardised scores are +-beta and the weights
// softmax(+-beta) = 1 / (1 + exp(-+2 beta)), whatever x and y. Three rows (m - d, m, m + d):
// sd = d sqrt(2/3), scores beta (-1, 0, 1) / sqrt(2/3). Rows equal in a lane stay equal
// (the floor of 1e-6 of the RMS: no division by 0), so the weights are uniform.
TEST(Attention, StandardisedScoresClosedForm) {
  const double beta = 1.7;
  Vec two = {0.3, -1e-9, 5.0, 1e8 + 1, 7.0, 1e-9, -2.0, 1e8};  // 2 rows x 4 lanes
  Vec tmp(8);
  attn::standardise_lanes(two.data(), 2, 4, beta, tmp.data());
  const double high = 1 / (1 + std::exp(-2 * beta)), low = 1 - high;
  for (std::size_t b = 0; b < 3; ++b) {
    const double sign = b == 2 ? 1.0 : -1.0;  // lanes 0 and 1: the first row is the smaller
    EXPECT_NEAR(two[b], sign * beta, 1e-9) << b;
    EXPECT_NEAR(two[4 + b], -sign * beta, 1e-9) << b;
  }
  // Lane 3: the deviations (+-0.5) are below the floor 1e-6 RMS (= 100): sd^2 = 0.25 + 1e-12 RMS^2.
  const double rms2 = (std::pow(1e8 + 1, 2) + 1e16) / 2, sd = std::sqrt(0.25 + 1e-12 * rms2);
  EXPECT_NEAR(two[3], beta * 0.5 / sd, 1e-9);
  EXPECT_NEAR(two[7], -beta * 0.5 / sd, 1e-9);
  attn::softmax_lanes(two.data(), 2, 4, tmp.data());
  EXPECT_NEAR(two[0], low, 1e-9);
  EXPECT_NEAR(two[1], low, 1e-9);
  EXPECT_NEAR(two[2], high, 1e-9);
  EXPECT_NEAR(two[4], high, 1e-9);
  // Three rows around 2: the floor shifts sd by a relative 1e-12 RMS^2 / var / 2 = 3e-10.
  Vec three = {2.0 - 0.1, 2.0, 2.0 + 0.1};
  attn::standardise_lanes(three.data(), 3, 1, beta, tmp.data());
  const double var = 0.02 / 3, sd3 = std::sqrt(var + 1e-12 * (4.0 + var));
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_NEAR(three[r], beta * 0.1 * (static_cast<double>(r) - 1.0) / sd3, 1e-13) << r;
    EXPECT_NEAR(three[r], beta * (static_cast<double>(r) - 1.0) / std::sqrt(2.0 / 3.0), 1e-9) << r;
  }
  Vec equal = {0.5, 0.0, 0.5, 0.0};  // 2 rows x 2 lanes, both lanes constant (one of them all 0)
  attn::standardise_lanes(equal.data(), 2, 2, beta, tmp.data());
  for (double v : equal) EXPECT_EQ(v, 0.0);
  attn::softmax_lanes(equal.data(), 2, 2, tmp.data());
  for (double v : equal) EXPECT_EQ(v, 0.5);
}

TEST(Attention, RecordablesAndWeightShapes) {
  struct Case {
    Config c;
    std::map<std::string, std::vector<std::size_t>> recordables;
    std::map<std::string, std::pair<std::size_t, std::size_t>> weights;
  };
  const std::vector<Case> cases = {
      {{"", "cortex_qkv", "context = 4\n"},
       {{"state", {5, 3}}, {"attention", {5, 4}}, {"attention_entropy", {5}}},
       {{"W_q", {15, 3}}, {"W_k", {15, 3}}, {"W_v", {15, 3}}, {"W_o", {15, 3}}}},
      {{"", "cortex_qkv", "context_mode = \"units\"\nk = 2\nshared_weights = true\n"},
       {{"state", {5, 3}}, {"attention", {5, 3}}, {"attention_entropy", {5}}},  // k presynaptic + own input
       {{"W_q", {3, 3}}, {"W_k", {3, 3}}, {"W_v", {3, 3}}, {"W_o", {3, 3}}, {"presynaptic", {5, 2}}}},
      {{"", "hippocampus_memory", "slots = 6\n"},
       {{"state", {5, 3}}, {"memory", {5, 6}}},
       {{"memory_keys", {30, 3}}, {"memory_values", {30, 3}}, {"memory_bias", {5, 6}}}},
      {{"", "hippocampus_memory", "slots = 6\nshared_store = true\ninitial_state = 0.5\n"},
       {{"state", {5, 3}}, {"memory", {5, 6}}},
       {{"memory_keys", {6, 3}}, {"memory_values", {6, 3}}, {"memory_bias", {1, 6}}, {"x0", {5, 3}}}},
      {{"", "attention_block", "context = 2\nslots = 6\nshared_weights = true\n"},
       {{"state", {5, 3}}, {"attention", {5, 2}}, {"memory", {5, 6}}, {"attention_entropy", {5}}},
       {{"W_q", {3, 3}},
        {"W_k", {3, 3}},
        {"W_v", {3, 3}},
        {"W_o", {3, 3}},
        {"memory_keys", {30, 3}},
        {"memory_values", {30, 3}},
        {"memory_bias", {5, 6}}}},
      // Two heads: [U, heads * rows]; biases [U, D]; the feed-forward D -> 4D -> D.
      {{"", "cortex_qkv", "context = 3\nheads = 2\nbias = true\nfeed_forward = true\n", 3, kDim4},
       {{"state", {5, 4}}, {"attention", {5, 6}}, {"attention_entropy", {5}}},
       {{"W_q", {20, 4}},
        {"W_k", {20, 4}},
        {"W_v", {20, 4}},
        {"W_o", {20, 4}},
        {"b_q", {5, 4}},
        {"b_k", {5, 4}},
        {"b_v", {5, 4}},
        {"b_o", {5, 4}},
        {"W_1", {80, 4}},
        {"b_1", {5, 16}},
        {"W_2", {20, 16}},
        {"b_2", {5, 4}}}},
      {{"", "cortex_qkv", "feed_forward = true\nshared_weights = true\n"},  // no biases: none recorded
       {{"state", {5, 3}}, {"attention", {5, 8}}, {"attention_entropy", {5}}},
       {{"W_q", {3, 3}},
        {"W_k", {3, 3}},
        {"W_v", {3, 3}},
        {"W_o", {3, 3}},
        {"W_1", {12, 3}},
        {"W_2", {3, 12}}}},
      {{"", "attention_block", "context = 3\nslots = 2\nheads = 4\n", 3, kDim4},
       {{"state", {5, 4}}, {"attention", {5, 12}}, {"memory", {5, 2}}, {"attention_entropy", {5}}},
       {{"W_q", {20, 4}},
        {"W_k", {20, 4}},
        {"W_v", {20, 4}},
        {"W_o", {20, 4}},
        {"memory_keys", {10, 4}},
        {"memory_values", {10, 4}},
        {"memory_bias", {5, 2}}}},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.c.kind + " " + cs.c.params);
    auto pop = create(cs.c.kind, "p", values_of(cs.c));
    EXPECT_EQ(pop->saturation_level(), 1.0);
    const auto rec = pop->recordables();
    ASSERT_EQ(rec.size(), cs.recordables.size());
    EXPECT_EQ(rec[0].name, "state");
    for (auto& r : rec) {
      EXPECT_EQ(r.shape, cs.recordables.at(r.name)) << r.name;
      EXPECT_EQ(r.needs_drive, r.name != "state") << r.name;
    }
    const auto w = pop->weights();
    ASSERT_EQ(w.size(), cs.weights.size());
    for (auto& [name, shape] : cs.weights) {
      EXPECT_EQ(w.at(name).n_rows, shape.first) << name;
      EXPECT_EQ(w.at(name).n_cols, shape.second) << name;
    }
  }
  // Presynaptic units are distinct per unit.
  auto pop = create("cortex_qkv", "p",
                    {{"units", std::int64_t{6}},
                     {"dim", std::int64_t{2}},
                     {"context_mode", std::string("units")},
                     {"k", std::int64_t{6}}});
  const arma::mat pre = pop->weights().at("presynaptic");
  for (std::size_t u = 0; u < 6; ++u) {
    arma::rowvec r = arma::sort(pre.row(u));
    for (std::size_t j = 0; j < 6; ++j) EXPECT_EQ(r[j], static_cast<double>(j));
  }
}

// The attention entropy recordable against its definition, computed here from the recorded
// attention weights: -sum_r a_r log a_r / log(rows attended), per unit and lane, the mean over
// the heads; the rows attended are the filled ones (time mode: min(tokens + 1, c); units
// mode: k + 1).
TEST(Attention, EntropyIsTheNormalisedEntropyOfTheWeights) {
  for (const Config& c : configs()) {
    if (c.kind == "hippocampus_memory") continue;
    SCOPED_TRACE(c.name);
    ScenarioSpec spec = spec_of(c);
    spec.lanes = 3;
    Built b = build(spec, kInputs);
    Simulator sim(*b.net, b.sc.integrator);
    const auto inputs = make_inputs(6, kInputs, spec.lanes, 11);
    const std::size_t U = 5, heads = static_cast<std::size_t>(b.sc.populations[0].params.integer("heads"));
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      sim.step_token(inputs[k].data());
      const Vec a = sample(*b.net, sim, inputs[k], "attention");
      const Vec h = sample(*b.net, sim, inputs[k], "attention_entropy");
      ASSERT_EQ(h.size(), spec.lanes * U);
      const std::size_t n = a.size() / (spec.lanes * U * heads);  // rows per unit and head
      for (std::size_t lane = 0; lane < spec.lanes; ++lane)
        for (std::size_t u = 0; u < U; ++u) {
          double expected = 0;
          for (std::size_t head = 0; head < heads; ++head) {
            const double* row = &a[((lane * U + u) * heads + head) * n];
            std::size_t filled = 0;
            double e = 0;
            for (std::size_t r = 0; r < n; ++r)
              if (row[r] > 0) {
                ++filled;
                e -= row[r] * std::log(row[r]);
              }
            if (filled >= 2)
              expected += e / std::log(static_cast<double>(filled)) / static_cast<double>(heads);
          }
          EXPECT_NEAR(h[lane * U + u], expected, 1e-12)
              << "token " << k << ", lane " << lane << ", unit " << u;
          EXPECT_GE(h[lane * U + u], 0.0);
          EXPECT_LE(h[lane * U + u], 1.0 + 1e-12);
        }
    }
  }
}

// Every run with an attention population reports its regime: attention_entropy_<pop> is the
// mean of the recordable over every 8th token from the end of warm-up (here recomputed by
// stepping a Session and sampling the same tokens).
TEST(Attention, RunsReportTheMeanAttentionEntropy) {
  ScenarioSpec spec = spec_of(configs()[0]);
  Built b = build(spec, 1);
  const RunResult r = run(b.sc);
  ASSERT_EQ(r.status, RunStatus::Complete);
  ASSERT_TRUE(r.metrics.count("attention_entropy_p"));
  Session s(b.sc);
  double sum = 0;
  std::size_t count = 0;
  const std::size_t warmup = 10;  // scenario_text's task
  while (s.step())
    if (s.token() - 1 >= warmup && (s.token() - 1 - warmup) % 8 == 0)
      for (double h : s.sample(0, "attention_entropy")) {
        sum += h;
        ++count;
      }
  EXPECT_GT(count, 0u);
  EXPECT_NEAR(r.metrics.at("attention_entropy_p"), sum / static_cast<double>(count), 1e-12);
  // A population without attention reports none.
  EXPECT_FALSE(run(parse_scenario(scenario_text({"hippocampus_memory", "slots = 4\n"}), "<test>"))
                   .metrics.count("attention_entropy_p"));
}

TEST(Attention, LiveParametersEqualAFreshPopulation) {
  // tau (all models), temperature and sharpness (attention) change between steps: the
  // derivative must then equal that of a population created with the new values (same name,
  // same weights), and differ from the one before the change (the edit takes effect).
  // Temperature acts on the scaled scores, sharpness on the standardised ones.
  std::mt19937_64 g(19);
  std::uniform_real_distribution<double> d(-1, 1);
  ThreadPool pool(1);
  for (const std::string kind : {"cortex_qkv", "hippocampus_memory", "attention_block"}) {
    const bool attention = kind != "hippocampus_memory";
    for (const std::string scores : {"scaled", "standardised"}) {
      if (!attention && scores != "scaled") continue;
      SCOPED_TRACE(kind + " " + scores);
      std::map<std::string, Value> v{{"units", std::int64_t{4}}, {"dim", std::int64_t{4}}, {"tau", 1.5}};
      if (attention) {
        v["scores"] = scores;
        v["heads"] = std::int64_t{scores == "scaled" ? 1 : 2};
      }
      auto live = create(kind, "p", v), before = create(kind, "p", v);
      const auto names = live->live_parameters();
      EXPECT_EQ(names, attention ? std::vector<std::string>({"tau", "sharpness", "temperature"})
                                 : std::vector<std::string>({"tau"}));
      const std::string edited = !attention ? "tau" : scores == "scaled" ? "temperature" : "sharpness";
      live->set_live_parameter(edited, 0.4);
      v[edited] = 0.4;
      if (edited != "tau") {
        live->set_live_parameter("tau", 0.7);
        v["tau"] = 0.7;
      }
      auto fresh = create(kind, "p", v);
      const std::size_t N = live->state_size(), L = 2;
      for (auto* p : {live.get(), fresh.get(), before.get()}) p->set_lanes(L);
      Vec x(N * L), z(N * L), f1(N * L), f2(N * L), f0(N * L);
      for (int t = 0; t < 3; ++t) {
        for (auto& e : z) e = d(g);
        if (attention)
          for (auto* p : {live.get(), fresh.get(), before.get()})
            p->on_tick({x.data(), N, L}, {z.data(), N, L});
      }
      for (auto& e : x) e = d(g);
      live->derivative({x.data(), N, L}, {z.data(), N, L}, {f1.data(), N, L}, 0, pool);
      fresh->derivative({x.data(), N, L}, {z.data(), N, L}, {f2.data(), N, L}, 0, pool);
      before->derivative({x.data(), N, L}, {z.data(), N, L}, {f0.data(), N, L}, 0, pool);
      EXPECT_EQ(f1, f2);
      if (attention) {  // the edit itself changed the derivative (tau alone would too)
        before->set_live_parameter("tau", 0.7);
        before->derivative({x.data(), N, L}, {z.data(), N, L}, {f0.data(), N, L}, 0, pool);
      }
      EXPECT_GT(max_abs_diff(f1, f0), 1e-6);
      EXPECT_THROW(live->set_live_parameter(attention ? "context" : "slots", std::int64_t{2}),
                   std::logic_error);
    }
  }
}

TEST(Attention, SimulatorResetStartsAnEmptyWindow) {
  // IDENTITY: after Simulator::reset() the same inputs give bitwise the same trajectory.
  for (const Config& c : configs()) {
    SCOPED_TRACE(c.name);
    ScenarioSpec s = spec_of(c);
    s.lanes = 2;
    Built b = build(s, kInputs);
    Simulator sim(*b.net, b.sc.integrator);
    const auto u = make_inputs(12, kInputs, 2, 31);
    auto run = [&] {
      std::vector<double> all;
      for (auto& uk : u) {
        sim.step_token(uk.data());
        all.insert(all.end(), sim.state().begin(), sim.state().end());
      }
      return all;
    };
    const auto first = run();
    sim.reset();
    EXPECT_EQ(run(), first);
  }
}

TEST(Attention, CliListsTheModels) {
  const std::string cmd = std::string(RANSIM_CLI) + " info 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  for (const char* kind : {"cortex_qkv (", "hippocampus_memory (", "attention_block ("})
    EXPECT_NE(out.find(kind), std::string::npos) << kind << "\n" << out;
}

}  // namespace
