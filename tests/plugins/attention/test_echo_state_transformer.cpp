// echo_state_transformer (plugins/attention/echo_state_transformer) through the engine.
//
// Where the expected numbers come from:
//  - naive::est_step (tests/naive/echo_state_transformer.hpp): the authors' forward pass
//    (libs/EST.py, inference mode) as plain loops over tensors in their shapes, fed with the
//    weights the population records;
//  - the initialisations of libs/EST.py (Memory.__init__, ESTLayer._define_model): W scaled to
//    spectral radius 1 with max(1, floor(0.2 R)) nonzeros per column, W_in a 0/1 mask with
//    max(1, floor(0.2 D)) ones per column, biases in {0, 1}, sr and the leak vectors in [0, 1),
//    kaiming_uniform(a = sqrt 5) bounds 1/sqrt(fan_in), RMSNorm gains 1.
// Relative deviations are max |a - b| / max |b| over all values compared, as in [[compare]].
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/simulator.hpp"
#include "io/recorder.hpp"
#include "naive/echo_state_transformer.hpp"
#include "ransim/error.hpp"
#include "ransim/rng.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

using Vec = std::vector<double>;
using ransim::test::load_plugins;
using ransim::test::num;
using ransim::test::rel_dev;
using ransim::test::tmp_path;  // file names start with est_

struct Net {
  Scenario sc;
  std::unique_ptr<Network> net;
  std::unique_ptr<Simulator> sim;
  std::size_t inputs, lanes;

  // One echo_state_transformer population "est" fed from the input in order.
  Net(const std::string& population, std::size_t inputs_, std::size_t lanes_,
      const std::string& integrator = "euler", double dt = 1.0, std::uint64_t seed = 3)
      : inputs(inputs_), lanes(lanes_) {
    load_plugins();
    const std::string text =
        "seed = " + std::to_string(seed) + "\n[simulation]\nintegrator = \"" + integrator +
        "\"\ndt = " + num(dt) + "\ntoken_period = 1.0\nlanes = " + std::to_string(lanes) +
        "\n[task]\nkind = \"random_sequence\"\ndim = " + std::to_string(inputs) +
        "\n[population.est]\nkind = \"echo_state_transformer\"\ninput_dim = " + std::to_string(inputs) +
        "\n" + population +
        "[[projection]]\nfrom = \"input\"\nto = \"est\"\nkind = \"identity\"\nmap = \"ordered\"\n";
    sc = parse_scenario(text, "<test>");
    net = build_network(sc, inputs);
    sim = std::make_unique<Simulator>(*net, sc.integrator);
  }
  void step(const Vec& u) {  // u lane-major [lanes][inputs]
    Vec lf(u.size());
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < inputs; ++i) lf[i * lanes + b] = u[b * inputs + i];
    sim->step_token(lf.data());
  }
  Vec sample(const std::string& var) const {
    Vec out;
    const std::size_t i = net->find("est");
    const double* x = sim->state().data();
    net->populations()[i].model->sample(var, net->block(x, i), net->drive(i), out);
    return out;
  }
  std::map<std::string, arma::mat> weights() const {
    return net->populations()[net->find("est")].model->weights();
  }
};

Vec row_major(const arma::mat& m, std::size_t first_row = 0, std::size_t rows = 0) {
  if (rows == 0) rows = m.n_rows;
  Vec v;
  for (std::size_t i = first_row; i < first_row + rows; ++i)
    for (std::size_t j = 0; j < m.n_cols; ++j) v.push_back(m(i, j));
  return v;
}

// The recorded weights (stacked over layers, row-major = the authors' [L][M][...] order) in
// the naive reference's shapes.
naive::EstWeights naive_weights(const std::map<std::string, arma::mat>& w, std::size_t L, std::size_t M,
                                std::size_t R, std::size_t D) {
  naive::EstWeights n;
  n.I = w.at("fc_in").n_rows, n.M = M, n.R = R, n.D = D;
  n.fc_in = row_major(w.at("fc_in"));
  auto slice = [&](const char* name, std::size_t l) {  // layer l's rows of a stacked weight
    const arma::mat& m = w.at(name);
    return row_major(m, l * m.n_rows / L, m.n_rows / L);
  };
  for (std::size_t l = 0; l < L; ++l) {
    naive::EstLayerWeights y;
    y.W = slice("W", l), y.Win = slice("Win", l), y.bias = slice("bias", l), y.Wout = slice("Wout", l);
    y.sr = slice("sr", l), y.alr = slice("adaptive_lr", l), y.temperature = slice("temperature", l)[0];
    y.Wq = slice("Wq", l), y.Wk = slice("Wk", l), y.Wv = slice("Wv", l);
    y.SWq = slice("SWq", l), y.SWk = slice("SWk", l), y.SWv = slice("SWv", l);
    y.norm1 = slice("norm1", l), y.norm2 = slice("norm2", l), y.norm3 = slice("norm3", l);
    y.Wreduce = slice("Wreduce", l), y.Wreduce_bias = slice("Wreduce_bias", l);
    y.ff_in = slice("ff_in", l), y.ff_in_bias = slice("ff_in_bias", l);
    y.ff_out = slice("ff_out", l), y.ff_out_bias = slice("ff_out_bias", l);
    n.layers.push_back(y);
  }
  return n;
}

struct Case {
  std::size_t inputs, layers, M, R, D, lanes, tokens;
  std::string integrator;
  double dt;
};

// Every recordable of every lane after every token, against the naive loops.
void expect_agreement(const Case& c, const std::string& extra = "") {
  std::ostringstream p;
  p << "layers = " << c.layers << "\nmemory_units = " << c.M << "\nmemory_dim = " << c.R
    << "\nattention_dim = " << c.D << "\noutput_dim = 2\n"
    << extra;
  Net net(p.str(), c.inputs, c.lanes, c.integrator, c.dt);
  const auto w = net.weights();
  const naive::EstWeights ref = naive_weights(w, c.layers, c.M, c.R, c.D);
  std::vector<std::vector<std::vector<Vec>>> S(
      c.lanes, std::vector<std::vector<Vec>>(c.layers, std::vector<Vec>(c.M, Vec(c.R, 0.0))));
  Rng rng = make_rng(11, "test.est");
  double worst = 0;
  for (std::size_t t = 0; t < c.tokens; ++t) {
    Vec u(c.lanes * c.inputs);
    for (auto& v : u) v = normal(rng);
    net.step(u);
    Vec state, leak, prev, cur, out, pred;
    for (std::size_t b = 0; b < c.lanes; ++b) {
      const naive::EstToken tok =
          naive::est_step(ref, S[b], Vec(u.begin() + b * c.inputs, u.begin() + (b + 1) * c.inputs));
      for (auto& layer : S[b])
        for (auto& unit : layer) state.insert(state.end(), unit.begin(), unit.end());
      leak.insert(leak.end(), tok.leak.begin(), tok.leak.end());
      prev.insert(prev.end(), tok.previous_weights.begin(), tok.previous_weights.end());
      cur.insert(cur.end(), tok.current_weights.begin(), tok.current_weights.end());
      out.insert(out.end(), tok.out.begin(), tok.out.end());
      for (std::size_t o = 0; o < 2; ++o) {
        double y = 0;
        for (std::size_t i = 0; i < c.D; ++i) y += tok.out[i] * w.at("fc_out")(i, o);
        pred.push_back(y);
      }
    }
    const std::pair<const char*, const Vec*> checks[] = {
        {"state", &state},           {"leak_rate", &leak}, {"previous_attention", &prev},
        {"current_attention", &cur}, {"output", &out},     {"prediction", &pred}};
    for (const auto& [name, expected] : checks) {
      const double dev = rel_dev(net.sample(name), *expected);
      worst = std::max(worst, dev);
      ASSERT_LE(dev, 1e-12) << name << " at token " << t;
    }
  }
  testing::Test::RecordProperty("worst_rel_dev", num(worst));
}

TEST(EchoStateTransformer, AgreesWithThePapersEquationsDefaultsThreeLanes) {
  expect_agreement({1, 1, 4, 100, 3, 3, 300, "euler", 1.0});
}

TEST(EchoStateTransformer, AgreesWithThePapersEquationsTwoLayersFourLanes) {
  expect_agreement({2, 2, 3, 12, 4, 4, 200, "euler", 1.0},
                   "spectral_radius_min = 0.9\nbias_probability = 0.3\n");
}

// The update is held constant over the token, so rk4 with dt = T / 4 gives it too.
TEST(EchoStateTransformer, AgreesUnderRk4) { expect_agreement({3, 1, 2, 10, 2, 2, 100, "rk4", 0.25}); }

TEST(EchoStateTransformer, ReservoirModeHasThePapersInitialisations) {
  const std::size_t M = 4, R = 50, D = 3;
  Net net("memory_dim = 50\n", 1, 1);
  const auto w = net.weights();
  const auto per_column = static_cast<arma::uword>(std::floor(0.2 * R));  // 10
  for (std::size_t m = 0; m < M; ++m) {
    const arma::mat W = w.at("W").rows(m * R, (m + 1) * R - 1);
    arma::cx_vec ev;
    ASSERT_TRUE(arma::eig_gen(ev, W));
    EXPECT_NEAR(arma::max(arma::abs(ev)), 1.0, 1e-10) << "unit " << m;
    for (arma::uword j = 0; j < R; ++j) EXPECT_EQ(arma::accu(W.col(j) != 0.0), per_column);
    const arma::mat Win = w.at("Win").rows(m * D, (m + 1) * D - 1);
    for (arma::uword j = 0; j < R; ++j) EXPECT_EQ(arma::accu(Win.col(j)), 1.0);  // max(1, floor(0.6)) ones
  }
  EXPECT_TRUE(arma::all(arma::vectorise((w.at("bias") == 0.0) + (w.at("bias") == 1.0)) == 1));
  EXPECT_TRUE(w.at("sr").min() >= 0.0 && w.at("sr").max() < 1.0);
  EXPECT_TRUE(w.at("adaptive_lr").min() >= 0.0 && w.at("adaptive_lr").max() < 1.0);
  EXPECT_LE(arma::abs(w.at("Wq")).max(), 1.0 / D);  // fan_in D * D of an [M, D, D] tensor
  EXPECT_LE(arma::abs(w.at("SWk")).max(), 1.0 / std::sqrt(D));
  EXPECT_LE(arma::abs(w.at("ff_out")).max(), 1.0 / std::sqrt(4.0 * D));
  EXPECT_TRUE(arma::all(arma::vectorise(w.at("norm2")) == 1.0));
  EXPECT_EQ(w.at("temperature")(0, 0), 1.0);
  EXPECT_EQ(w.count("fc_out"), 0u);
}

// Every weight written to HDF5 and read back by another population (another seed): the same
// weights, bitwise the same run.
TEST(EchoStateTransformer, WeightsFileRoundTrip) {
  const std::string shape =
      "layers = 2\nmemory_units = 3\nmemory_dim = 8\nattention_dim = 2\noutput_dim = 1\n";
  Net a(shape, 2, 2);
  const std::string file = tmp_path("est_weights.h5");
  {
    Recorder rec({file});
    for (const auto& [name, m] : a.weights()) rec.write_matrix("/w/" + name, m);
    rec.finish(RunStatus::Complete);
  }
  Net b(shape + "weights_file = \"" + file + "\"\nweights_group = \"/w\"\n", 2, 2, "euler", 1.0, 99);
  for (const auto& [name, m] : a.weights())
    EXPECT_TRUE(arma::approx_equal(b.weights().at(name), m, "absdiff", 0.0)) << name;
  Rng rng = make_rng(5, "test.est.file");
  for (int t = 0; t < 50; ++t) {
    Vec u(4);
    for (auto& v : u) v = normal(rng);
    a.step(u);
    b.step(u);
    ASSERT_EQ(a.sample("state"), b.sample("state")) << "token " << t;
    ASSERT_EQ(a.sample("prediction"), b.sample("prediction")) << "token " << t;
  }
  // A file made for 3 units read with 4: the error names the population, file, dataset, shapes.
  try {
    Net bad("memory_units = 4\nmemory_dim = 8\nattention_dim = 2\nweights_file = \"" + file +
                "\"\nweights_group = \"/w\"\n",
            2, 1);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("population 'est'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dataset '/w/W': expected shape [32, 8]"), std::string::npos) << msg;
  }
}

void expect_input_error(const std::string& population, const std::string& words) {
  try {
    Net n(population, 1, 1);
    FAIL() << "no error for " << population;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(EchoStateTransformer, BadParametersGiveClearErrors) {
  expect_input_error("spectral_radius_min = 1.5\nspectral_radius_max = 1.0\n",
                     "population 'est': spectral_radius_min (1.500000) is greater than spectral_radius_max");
  expect_input_error("memory_connectivity = 0\n", "memory_connectivity");
  expect_input_error("memory_units = 0\n", "memory_units");
  expect_input_error("leak_temperature = -1\n", "leak_temperature");
  expect_input_error("weights_file = \"" + tmp_path("est_missing.h5") + "\"\n", "est_missing.h5");
}

}  // namespace
