// Companion models (docs/companion.md): Aaren (attention as an RNN) as a library
// (companion/common/aaren_scan.hpp) and as populations (aaren, softmax_attention), and the
// gated linear RNN that implements linear self-attention (gated_linear, linear_attention).
//
// Where the expected numbers come from:
//  - naive_softmax / naive_softmax_row / naive_aaren (tests/naive/softmax_attention.hpp): softmax
//    attention from its definition, o_t = sum_{i<=t} e^{s_i - m_t} v_i / sum_{i<=t} e^{s_i - m_t},
//    in long double (naive_aaren with forgetting);
//  - naive_lsa (tests/naive/linear_attention.hpp): linear self-attention from its definition,
//    y_t = sum_{s<=t} v_s (k_s . q_t), in long double;
//  - naive::gated (tests/naive/gated_linear.hpp): the gated RNN h <- lambda h + (G_in x~)(X_in x~),
//    y = D((G_out h)(X_out h)), as plain loops over the matrices the builder returns;
//  - the closed form of the continuous Aaren over one token with held input: e^{lse} grows to
//    e^{lse - gamma T} + e^{s}, and e^{lse} o by e^{s} v;
//  - the token form as the limit of the continuous form (dopri5 at shrinking tolerances).
// Relative deviations are max |a - b| / max |b| over all values compared, as in [[compare]].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "companion/common/aaren_scan.hpp"
#include "companion/common/companion_math.hpp"
#include "engine/network.hpp"
#include "engine/simulator.hpp"
#include "io/recorder.hpp"
#include "naive/gated_linear.hpp"
#include "naive/linear_attention.hpp"
#include "naive/softmax_attention.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "ransim/registry.hpp"
#include "ransim/rng.hpp"
#include "ransim/thread_pool.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

using Vec = std::vector<double>;
namespace cm = ransim::companion;
using naive::naive_aaren;
using naive::naive_lsa;
using naive::naive_softmax;
using naive::naive_softmax_row;
using naive::SoftmaxRef;
using ransim::test::load_plugins;
using ransim::test::num;
using ransim::test::rel_dev;
using ransim::test::tmp_path;  // names start with companion_, apart from other suites' files

Vec randn(Rng& rng, std::size_t n, double sd = 1.0) {
  Vec v(n);
  for (auto& x : v) x = sd * normal(rng);
  return v;
}

// ---------------------------------------------------------------------------------------
// 1. The library: recurrence, scan and direct softmax agree
// ---------------------------------------------------------------------------------------

struct Methods {
  Vec seq, gated, scan1, scan2, scan3, pool2, direct;
};

Methods all_methods(const Vec& s, const Vec& v, std::size_t d) {
  const std::size_t n = s.size() * d;
  Methods r{Vec(n), Vec(n), Vec(n), Vec(n), Vec(n), Vec(n), Vec(n)};
  aaren_sequential(s, v, d, r.seq);
  aaren_gated(s, v, d, r.gated);
  aaren_scan(s, v, d, r.scan1, 1);
  aaren_scan(s, v, d, r.scan2, 2);
  aaren_scan(s, v, d, r.scan3, 3);
  ThreadPool pool(2);
  aaren_scan(s, v, d, r.pool2, pool);
  softmax_attention_direct(s, v, d, r.direct);
  return r;
}

void expect_all_match(const Vec& s, const Vec& v, std::size_t d, double tol, const std::string& what) {
  const Methods r = all_methods(s, v, d);
  const Vec ref = naive_softmax(s, v, d);
  EXPECT_LE(rel_dev(r.seq, ref), tol) << what << ": sequential";
  EXPECT_LE(rel_dev(r.gated, ref), tol) << what << ": gated";
  EXPECT_LE(rel_dev(r.scan1, ref), tol) << what << ": scan, 1 thread";
  EXPECT_LE(rel_dev(r.scan2, ref), tol) << what << ": scan, 2 threads";
  EXPECT_LE(rel_dev(r.scan3, ref), tol) << what << ": scan, 3 threads";
  EXPECT_LE(rel_dev(r.pool2, ref), tol) << what << ": scan, pool of 2";
  EXPECT_LE(rel_dev(r.direct, ref), tol) << what << ": direct";
}

TEST(AarenLibrary, RecurrenceScanAndDirectMatchNaiveSoftmax) {
  Rng rng = make_rng(1, "test.aaren");
  for (std::size_t d : {1, 5, 16}) {
    const std::size_t T = 1300;  // two scan blocks (1024 + 276)
    expect_all_match(randn(rng, T, 3.0), randn(rng, T * d), d, 1e-12, "d = " + std::to_string(d));
  }
}

// Scores near +-1e3: e^{1000} overflows a double, so any method that exponentiates a score
// without subtracting a running maximum would return inf or nan here.
TEST(AarenLibrary, ScoresNearPlusMinus1e3DoNotOverflow) {
  Rng rng = make_rng(2, "test.aaren");
  const std::size_t T = 1100, d = 3;  // two scan blocks (1024 + 76)
  std::vector<std::pair<std::string, Vec>> cases;
  Vec up(T), down(T), alternating(T), flat(T, 1000.0), uniform_big(T);
  for (std::size_t t = 0; t < T; ++t) {
    up[t] = -1000.0 + 2000.0 * static_cast<double>(t) / T;  // a new maximum at every token
    down[t] = -up[t];
    alternating[t] = t % 2 ? 1000.0 : -1000.0;
    uniform_big[t] = uniform(rng, -1000.0, 1000.0);
  }
  // Close scores near 1e3, so that many tokens share the softmax mass.
  Vec near(T);
  for (auto& x : near) x = 1000.0 + uniform(rng, -3.0, 3.0);
  cases = {{"increasing", up}, {"decreasing", down},           {"alternating", alternating},
           {"all 1e3", flat},  {"uniform +-1e3", uniform_big}, {"1e3 +- 3", near}};
  for (auto& [name, s] : cases) {
    const Vec v = randn(rng, T * d);
    const Methods r = all_methods(s, v, d);
    for (const Vec* o : {&r.seq, &r.gated, &r.scan2, &r.scan3, &r.direct})
      for (double x : *o) ASSERT_TRUE(std::isfinite(x)) << name;
    expect_all_match(s, v, d, 1e-12, name);
  }
}

TEST(AarenLibrary, ScanWithOneTwoThreeThreadsAgree) {
  Rng rng = make_rng(3, "test.aaren");
  ThreadPool pool3(3);
  for (std::size_t T : {0, 1, 2, 3, 7, 1023, 1024, 1025, 2049, 5000}) {
    const std::size_t d = 4;
    const Vec s = randn(rng, T, 2.0), v = randn(rng, T * d);
    Vec seq(T * d), one(T * d), two(T * d), three(T * d), pooled(T * d);
    aaren_sequential(s, v, d, seq);
    aaren_scan(s, v, d, one, 1);
    aaren_scan(s, v, d, two, 2);
    aaren_scan(s, v, d, three, 3);
    aaren_scan(s, v, d, pooled, pool3);
    // The blocks depend on T alone: any number of threads gives bitwise the same result.
    EXPECT_EQ(two, one) << "T = " << T;
    EXPECT_EQ(three, one) << "T = " << T;
    EXPECT_EQ(pooled, one) << "T = " << T;
    EXPECT_LE(rel_dev(one, seq), 1e-12) << "T = " << T;
  }
}

// T = 1e5: the direct O(T^2) reference is too slow here, so the scan is compared with the
// recurrence at every t, and both with the naive softmax at a few t (each O(t)).
TEST(AarenLibrary, LongSequenceOf1e5Tokens) {
  Rng rng = make_rng(4, "test.aaren");
  const std::size_t T = 100000, d = 4;
  const Vec s = randn(rng, T, 3.0), v = randn(rng, T * d);
  Vec seq(T * d), scan2(T * d), scan3(T * d), gated(T * d);
  aaren_sequential(s, v, d, seq);
  aaren_scan(s, v, d, scan2, 2);
  aaren_scan(s, v, d, scan3, 3);
  aaren_gated(s, v, d, gated);
  EXPECT_LE(rel_dev(scan2, seq), 1e-12);
  EXPECT_LE(rel_dev(scan3, seq), 1e-12);
  EXPECT_LE(rel_dev(gated, seq), 1e-12);
  for (std::size_t t : {0, 1, 999, 31415, 50000, 77777, 99999}) {
    const Vec ref = naive_softmax_row(s, v, d, t);
    Vec at(d);
    softmax_attention_at(s, v, d, t, at);
    auto row = [&](const Vec& o) { return Vec(o.begin() + t * d, o.begin() + (t + 1) * d); };
    EXPECT_LE(rel_dev(row(seq), ref), 1e-12) << "t = " << t;
    EXPECT_LE(rel_dev(row(scan2), ref), 1e-12) << "t = " << t;
    EXPECT_LE(rel_dev(at, ref), 1e-12) << "t = " << t;
  }
}

// The scan's operator is associative with the empty part as identity (checked on parts of
// very different maxima); folding tokens with it gives the recurrence's output.
TEST(AarenLibrary, OperatorIsAssociativeWithIdentity) {
  Rng rng = make_rng(5, "test.aaren");
  const std::size_t d = 3;
  auto part = [&](double s) { return aaren_token(s, randn(rng, d)); };
  const AarenPart a = aaren_combine(part(-700), part(2)), b = part(5), c = aaren_combine(part(690), part(-3));
  const AarenPart l = aaren_combine(aaren_combine(a, b), c), r = aaren_combine(a, aaren_combine(b, c));
  EXPECT_EQ(l.m, r.m);
  EXPECT_NEAR(l.u, r.u, 1e-15 * r.u);
  EXPECT_LE(rel_dev(l.w, r.w), 1e-14);
  const AarenPart e = aaren_identity(d), ae = aaren_combine(a, e), ea = aaren_combine(e, a);
  EXPECT_EQ(ae.m, a.m);
  EXPECT_EQ(ae.w, a.w);
  EXPECT_EQ(ea.u, a.u);

  const std::size_t T = 50;
  const Vec s = randn(rng, T, 4.0), v = randn(rng, T * d);
  Vec seq(T * d);
  aaren_sequential(s, v, d, seq);
  AarenPart acc = aaren_identity(d);
  for (std::size_t t = 0; t < T; ++t) {
    acc = aaren_combine(acc, aaren_token(s[t], std::span<const double>(v).subspan(t * d, d)));
    Vec o(d);
    for (std::size_t j = 0; j < d; ++j) o[j] = acc.w[j] / acc.u;
    EXPECT_LE(rel_dev(o, Vec(seq.begin() + t * d, seq.begin() + (t + 1) * d)), 1e-14) << t;
  }
}

TEST(AarenLibrary, WrongSizesAreRejected) {
  Vec s(3), v(6), out(5);
  EXPECT_THROW(aaren_sequential(s, v, 2, out), std::invalid_argument);
  EXPECT_THROW(aaren_scan(s, v, 2, out, 2), std::invalid_argument);
  EXPECT_THROW(softmax_attention_direct(s, v, 0, out), std::invalid_argument);
  Vec row(2);
  EXPECT_THROW(softmax_attention_at(s, v, 2, 3, row), std::invalid_argument);
  EXPECT_EQ(logaddexp(-INFINITY, 2.0), 2.0);
  EXPECT_NEAR(logaddexp(1000.0, 1000.0), 1000.0 + std::log(2.0), 1e-12);
}

// ---------------------------------------------------------------------------------------
// 2. The gated linear RNN builder
// ---------------------------------------------------------------------------------------

TEST(GatedLinearBuilder, ImplementsLinearSelfAttentionForD1To6) {
  Rng rng = make_rng(6, "test.gated");
  for (std::size_t d = 1; d <= 6; ++d) {
    const double sd = 1.0 / std::sqrt(static_cast<double>(d));
    const arma::mat WQ = random_matrix(rng, d, d, sd), WK = random_matrix(rng, d, d, sd),
                    WV = random_matrix(rng, d, d, sd);
    const Vec x = randn(rng, 60 * d);
    const Vec ref = naive_lsa(WQ, WK, WV, x, d);
    for (auto form : {cm::GatedForm::Full, cm::GatedForm::Compressed}) {
      const bool full = form == cm::GatedForm::Full;
      const cm::GatedLinear g = cm::build_gated_linear(WQ, WK, WV, form);
      const std::size_t memory = full ? d * d : d * (d + 1) / 2;
      ASSERT_EQ(g.neurons(), memory + d);
      for (std::size_t r = 0; r < g.neurons(); ++r) EXPECT_EQ(g.lambda(r), r < memory ? 1.0 : 0.0);
      EXPECT_LE(rel_dev(naive::gated(g, x, d), ref), 1e-12)
          << "d = " << d << (full ? " full" : " compressed");
    }
  }
}

// ---------------------------------------------------------------------------------------
// 3. The populations, through the engine
// ---------------------------------------------------------------------------------------

std::string simulation(const std::string& method, double dt, double T, std::size_t lanes = 1,
                       double tol = 1e-10) {
  return "[simulation]\nintegrator = \"" + method + "\"\ndt = " + num(dt) + "\ntoken_period = " + num(T) +
         "\nabs_tol = " + num(tol) + "\nrel_tol = " + num(tol) + "\nlanes = " + std::to_string(lanes) + "\n";
}

// A network fed from the input by ordered identity projections, stepped token by token.
struct Harness {
  Scenario sc;
  std::unique_ptr<Network> net;
  std::unique_ptr<Simulator> sim;
  std::size_t input_dim, lanes;

  Harness(const std::string& sim_table, const std::string& populations, std::size_t input_dim_)
      : input_dim(input_dim_) {
    load_plugins();
    std::string text = sim_table + "[task]\nkind = \"random_sequence\"\ndim = " + std::to_string(input_dim) +
                       "\n" + populations;
    std::istringstream names(populations);
    for (std::string line; std::getline(names, line);)
      if (line.rfind("[population.", 0) == 0) {
        const std::string name = line.substr(12, line.size() - 13);
        text += "[[projection]]\nfrom = \"input\"\nto = \"" + name +
                "\"\nkind = \"identity\"\nmap = \"ordered\"\n";
      }
    sc = parse_scenario(text, "<test>");
    lanes = sc.lanes;
    net = build_network(sc, input_dim);
    sim = std::make_unique<Simulator>(*net, sc.integrator);
  }
  std::size_t pop(const std::string& name) const { return net->find(name); }
  // u is lane-major ([lanes][input_dim]), as the tasks generate it.
  void step(const Vec& u) {
    Vec lf(u.size());
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < input_dim; ++i) lf[i * lanes + b] = u[b * input_dim + i];
    sim->step_token(lf.data());
  }
  Vec sample(const std::string& name, const std::string& var) const {
    Vec out;
    const std::size_t i = pop(name);
    const double* x = sim->state().data();
    net->populations()[i].model->sample(var, net->block(x, i), net->drive(i), out);
    return out;
  }
  arma::mat weight(const std::string& name, const std::string& w) const {
    return net->populations()[pop(name)].model->weights().at(w);
  }
};

// The populations take T from the simulation; the argument documents the call sites.
std::string lsa_population(const std::string& name, const std::string& kind, std::size_t d, double /*T*/,
                           const std::string& extra = "") {
  return "[population." + name + "]\nkind = \"" + kind + "\"\ndim = " + std::to_string(d) + "\n" + extra;
}

// gated_linear (both forms) and linear_attention against the naive sum, for d = 1..6, two
// lanes with different inputs, under Euler with dt = T and, because the token-time update is
// constant over a token, under rk4 and dopri5 too.
void check_gated_populations(const std::string& method, double dt) {
  const double T = 0.3;
  const std::size_t lanes = 2, tokens = 40;
  for (std::size_t d = 1; d <= 6; ++d) {
    Harness h(simulation(method, dt, T, lanes),
              lsa_population("full", "gated_linear", d, T, "form = \"full\"\n") +
                  lsa_population("compressed", "gated_linear", d, T, "form = \"compressed\"\n") +
                  lsa_population("attention", "linear_attention", d, T),
              d);
    const arma::mat WQ = h.weight("attention", "W_Q"), WK = h.weight("attention", "W_K"),
                    WV = h.weight("attention", "W_V");
    for (auto* p : {"full", "compressed"}) {  // one stream, one set of matrices
      EXPECT_TRUE(arma::approx_equal(h.weight(p, "W_Q"), WQ, "absdiff", 0.0));
      EXPECT_TRUE(arma::approx_equal(h.weight(p, "W_V"), WV, "absdiff", 0.0));
    }
    Rng rng = make_rng(d, "test.gated.population");
    std::vector<Vec> x(lanes);
    Vec got[3][2];  // population, lane
    const char* pops[3] = {"full", "compressed", "attention"};
    for (std::size_t k = 0; k < tokens; ++k) {
      const Vec u = randn(rng, lanes * d);
      for (std::size_t b = 0; b < lanes; ++b)
        x[b].insert(x[b].end(), u.begin() + b * d, u.begin() + (b + 1) * d);
      h.step(u);
      for (int p = 0; p < 3; ++p) {
        const Vec y = h.sample(pops[p], "output");  // [lanes][1][d]
        for (std::size_t b = 0; b < lanes; ++b)
          got[p][b].insert(got[p][b].end(), y.begin() + b * d, y.begin() + (b + 1) * d);
      }
    }
    for (std::size_t b = 0; b < lanes; ++b) {
      const Vec ref = naive_lsa(WQ, WK, WV, x[b], d);
      for (int p = 0; p < 3; ++p)
        EXPECT_LE(rel_dev(got[p][b], ref), 1e-12)
            << method << " d = " << d << " " << pops[p] << " lane " << b;
    }
    // linear_attention's state reaches its output at every tick.
    EXPECT_LE(rel_dev(h.sample("attention", "state"), h.sample("attention", "output")), 1e-14);
  }
}

TEST(CompanionPopulations, GatedLinearIsLinearAttentionUnderEuler) { check_gated_populations("euler", 0.3); }
TEST(CompanionPopulations, GatedLinearIsLinearAttentionUnderRk4AndDopri5) {
  check_gated_populations("rk4", 0.1);
  check_gated_populations("dopri5", 0.3);
}

// The populations take T from the simulation; the argument documents the call sites.
std::string query_population(const std::string& name, const std::string& kind, std::size_t U, std::size_t d,
                             double /*T*/, const std::string& extra = "") {
  return "[population." + name + "]\nkind = \"" + kind + "\"\nunits = " + std::to_string(U) +
         "\ndim = " + std::to_string(d) + "\nquery_scale = 2.5\n" + extra;
}

// aaren (token form) and softmax_attention against the naive softmax, with and without
// forgetting, three lanes, under Euler with dt = T and under rk4.
TEST(CompanionPopulations, AarenTokenFormAndSoftmaxAttentionMatchNaiveSoftmax) {
  const std::size_t U = 3, d = 4, lanes = 3, tokens = 60;
  const double T = 0.5;
  for (double gamma : {0.0, 0.3})
    for (const std::string& method : {std::string("euler"), std::string("rk4")}) {
      const std::string forget = "forget = " + num(gamma) + "\n";
      Harness h(simulation(method, method == "euler" ? T : T / 4, T, lanes),
                query_population("a", "aaren", U, d, T, forget) +
                    query_population("ref", "softmax_attention", U, d, T, forget),
                U * 2 * d);
      const arma::mat Q = h.weight("a", "queries");
      EXPECT_TRUE(arma::approx_equal(h.weight("ref", "queries"), Q, "absdiff", 0.0));
      Rng rng = make_rng(9, "test.aaren.population");
      std::vector<Vec> inputs;
      Vec out_a, out_ref, lse, gate, state_ref;
      for (std::size_t k = 0; k < tokens; ++k) {
        inputs.push_back(randn(rng, lanes * U * 2 * d));
        h.step(inputs.back());
        for (auto [v, pop, var] : {std::tuple{&out_a, "a", "output"},
                                   {&out_ref, "ref", "output"},
                                   {&lse, "a", "lse"},
                                   {&gate, "a", "gate"},
                                   {&state_ref, "ref", "state"}}) {
          const Vec s = h.sample(pop, var);
          v->insert(v->end(), s.begin(), s.end());
        }
      }
      const SoftmaxRef ref = naive_aaren(Q, inputs, lanes, U, d, gamma * T);
      const std::string what = method + ", forget = " + num(gamma);
      EXPECT_LE(rel_dev(out_a, ref.output), 1e-12) << what;
      EXPECT_LE(rel_dev(out_ref, ref.output), 1e-12) << what;
      EXPECT_LE(rel_dev(state_ref, ref.output), 1e-12) << what;
      EXPECT_LE(rel_dev(lse, ref.lse), 1e-12) << what;
      EXPECT_LE(rel_dev(gate, ref.gate), 1e-12) << what;
    }
}

// Two populations named differently draw their queries from the same stream.
TEST(CompanionPopulations, QueriesComeFromTheStreamNotTheName) {
  Harness h(simulation("euler", 1, 1),
            query_population("x", "aaren", 5, 3, 1) + query_population("y", "softmax_attention", 5, 3, 1) +
                query_population("z", "aaren", 5, 3, 1, "query_stream = \"other\"\n"),
            30);
  const arma::mat qx = h.weight("x", "queries");
  EXPECT_EQ(qx.n_rows, 5u);
  EXPECT_EQ(qx.n_cols, 3u);
  EXPECT_TRUE(arma::approx_equal(h.weight("y", "queries"), qx, "absdiff", 0.0));
  EXPECT_FALSE(arma::approx_equal(h.weight("z", "queries"), qx, "absdiff", 1e-3));
  // N(0, 1/d) * query_scale, drawn row by row from make_rng(seed, "query.query").
  Rng rng = make_rng(h.sc.seed, "query.query");
  for (std::size_t u = 0; u < 5; ++u)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(qx(u, j), 2.5 / std::sqrt(3.0) * normal(rng));
}

// The continuous form over one token with held input, against its closed form: with
// Z = e^{lse}, dZ/dt = e^{s} c - gamma Z and d(Z o)/dt = e^{s} v c - gamma Z o, c = 1/(T phi),
// so Z grows to Z e^{-gamma T} + e^{s} and Z o to Z o e^{-gamma T} + e^{s} v.
TEST(CompanionPopulations, ContinuousAarenOverOneTokenMatchesTheClosedForm) {
  const std::size_t d = 3;
  for (double gamma : {0.0, 0.7}) {
    Harness h(
        simulation("dopri5", 0.1, 1.0, 1, 1e-13),
        query_population("c", "aaren", 1, d, 1.0, "form = \"continuous\"\nforget = " + num(gamma) + "\n"),
        2 * d);
    const arma::mat Q = h.weight("c", "queries");
    Rng rng = make_rng(10, "test.aaren.closed");
    Vec lse_prev, o_prev;
    for (int k = 0; k < 6; ++k) {
      const Vec u = randn(rng, 2 * d);
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += Q(0, j) * u[j];
      s /= std::sqrt(static_cast<double>(d));
      h.step(u);
      const Vec lse = h.sample("c", "lse"), o = h.sample("c", "output");
      if (k == 0) {  // from the empty state: lse = s, o = v
        EXPECT_NEAR(lse[0], s, 1e-14);
        for (std::size_t j = 0; j < d; ++j) EXPECT_NEAR(o[j], u[d + j], 1e-14);
      } else {
        const double Z0 = std::exp(lse_prev[0] - gamma), Z = Z0 + std::exp(s);
        EXPECT_NEAR(std::exp(lse[0]), Z, 1e-10 * Z) << "k = " << k << ", forget = " << gamma;
        for (std::size_t j = 0; j < d; ++j)
          EXPECT_NEAR(o[j], (Z0 * o_prev[j] + std::exp(s) * u[d + j]) / Z, 1e-10) << "k = " << k;
      }
      lse_prev = lse;
      o_prev = o;
    }
  }
}

// The continuous form under dopri5 approaches the token form (exact under dopri5) as the
// tolerance shrinks; the observed order is printed (deviation ~ tol^p).
TEST(CompanionPopulations, ContinuousAarenApproachesTheTokenFormAsToleranceShrinks) {
  const std::size_t U = 4, d = 4, tokens = 40;
  std::vector<double> tols = {1e-4, 1e-6, 1e-8, 1e-10, 1e-12}, devs;
  for (double tol : tols) {
    Harness h(simulation("dopri5", 0.1, 1.0, 1, tol),
              query_population("tok", "aaren", U, d, 1.0, "forget = 0.1\n") +
                  query_population("ct", "aaren", U, d, 1.0, "form = \"continuous\"\nforget = 0.1\n"),
              U * 2 * d);
    Rng rng = make_rng(12, "test.aaren.tolerance");
    Vec a, b;
    for (std::size_t k = 0; k < tokens; ++k) {
      h.step(randn(rng, U * 2 * d));
      const Vec x = h.sample("ct", "output"), y = h.sample("tok", "output");
      a.insert(a.end(), x.begin(), x.end());
      b.insert(b.end(), y.begin(), y.end());
    }
    devs.push_back(rel_dev(a, b));
  }
  std::ostringstream report;
  report << "dopri5 tol -> max rel dev (continuous vs token):";
  for (std::size_t i = 0; i < tols.size(); ++i) report << "  " << tols[i] << ": " << devs[i];
  const double order = std::log(devs.front() / devs.back()) / std::log(tols.front() / tols.back());
  report << "; observed order p = " << order;
  std::cout << report.str() << "\n";
  RecordProperty("observed_order", num(order));
  for (std::size_t i = 1; i < tols.size(); ++i) EXPECT_LT(devs[i], devs[i - 1]) << report.str();
  EXPECT_LE(devs.back(), 1e-10) << report.str();
  EXPECT_GT(order, 0.7) << report.str();
}

// Simulator::reset() starts a new run: the histories and the empty state are restored.
TEST(CompanionPopulations, ResetStartsAnEmptyHistory) {
  Harness h(simulation("euler", 1, 1),
            query_population("a", "aaren", 2, 2, 1) + query_population("r", "softmax_attention", 2, 2, 1) +
                lsa_population("g", "gated_linear", 2, 1) + lsa_population("l", "linear_attention", 2, 1),
            8);
  Rng rng = make_rng(13, "test.reset");
  std::vector<Vec> inputs;
  for (int k = 0; k < 5; ++k) inputs.push_back(randn(rng, 8));
  auto run = [&] {
    Vec out;
    for (auto& u : inputs) {
      h.step(u);
      for (auto* p : {"a", "r", "g", "l"}) {
        const Vec y = h.sample(p, "output");
        out.insert(out.end(), y.begin(), y.end());
      }
    }
    return out;
  };
  const Vec first = run();
  h.sim->reset();
  EXPECT_EQ(run(), first);
}

// Weights from HDF5: queries [U, d] and W_Q, W_K, W_V [d, d] (written here with the recorder).
TEST(CompanionPopulations, WeightsFromAnHdf5File) {
  const std::string file = tmp_path("companion_weights.h5");
  Rng rng = make_rng(14, "test.weights");
  const arma::mat Q = random_matrix(rng, 3, 2, 1.0), WQ = random_matrix(rng, 2, 2, 1.0),
                  WK = random_matrix(rng, 2, 2, 1.0), WV = random_matrix(rng, 2, 2, 1.0);
  {
    Recorder rec({file});
    rec.write_matrix("/w/queries", Q);
    rec.write_matrix("/w/W_Q", WQ);
    rec.write_matrix("/w/W_K", WK);
    rec.write_matrix("/w/W_V", WV);
    rec.finish(ransim::RunStatus::Complete);
  }
  const std::string from_file = "weights_file = \"" + file + "\"\nweights_group = \"/w\"\n";
  Harness h(simulation("euler", 1, 1),
            query_population("a", "aaren", 3, 2, 1, from_file) +
                lsa_population("g", "gated_linear", 2, 1, from_file),
            12);
  EXPECT_TRUE(arma::approx_equal(h.weight("a", "queries"), Q, "absdiff", 0.0));
  EXPECT_TRUE(arma::approx_equal(h.weight("g", "W_Q"), WQ, "absdiff", 0.0));
  EXPECT_TRUE(arma::approx_equal(h.weight("g", "W_K"), WK, "absdiff", 0.0));
  EXPECT_TRUE(arma::approx_equal(h.weight("g", "W_V"), WV, "absdiff", 0.0));
  try {  // 3 x 2 queries where 4 x 2 are needed
    Harness bad(simulation("euler", 1, 1), query_population("a", "aaren", 4, 2, 1, from_file), 16);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset '/w/queries': expected shape [4, 2], found [3, 2]"),
              std::string::npos)
        << e.what();
  }
}

// ---------------------------------------------------------------------------------------
// 4. The bundled scenarios
// ---------------------------------------------------------------------------------------

TEST(CompanionScenarios, GatedRnnIsAttention) {
  load_plugins();
  const std::string out = tmp_path("companion_gated.h5");
  const Scenario sc =
      load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/gated_rnn_is_attention.toml");
  RunOptions opts;
  opts.out = out;
  const RunResult r = run(sc, opts);
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  EXPECT_LE(r.metrics.at("max_rel_dev_full"), 1e-10);
  EXPECT_LE(r.metrics.at("max_rel_dev_compressed"), 1e-10);
  for (auto* p : {"full", "compressed", "attention"}) {
    const Array a = read_hdf5_array(out, std::string("/processing/") + p + "/output/data");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{200, 1, 1, 3})) << p;
  }
  EXPECT_EQ(read_hdf5_array(out, "/processing/full/state/data").shape,
            (std::vector<std::size_t>{200, 1, 12}));
  EXPECT_EQ(read_hdf5_array(out, "/processing/compressed/state/data").shape,
            (std::vector<std::size_t>{200, 1, 9}));
  EXPECT_EQ(read_hdf5_array(out, "/network/populations/full/G_out").shape, (std::vector<std::size_t>{9, 12}));
}

TEST(CompanionScenarios, AarenIsSoftmaxAttention) {
  load_plugins();
  const RunResult r =
      run(load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/aaren_is_softmax_attention.toml"));
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  EXPECT_LE(r.metrics.at("max_rel_dev_token"), 1e-10);
  EXPECT_LE(r.metrics.at("max_rel_dev_continuous"), 1e-10);
}

}  // namespace
