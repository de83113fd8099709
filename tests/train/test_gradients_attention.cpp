// Backward passes of the attention units (plugins/attention) against central finite
// differences (GradientCheck, tests/support/gradient_check.hpp: relative error <= 1e-6, the
// issue's bound), on small random networks with two or more lanes, Euler and RK4.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ransim/error.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"

namespace ransim {
namespace {

using test::Check;
using test::GradientCheck;

// The worst relative error of a check, with this build's plugins loaded.
double worst_error(const Check& c) {
  test::load_plugins();
  return GradientCheck(c).worst_relative_error();
}

// Population NAME (its TOML keys `body`) driven by a dense input projection "in_NAME" and a
// sparse recurrent one "NAME_NAME", on `lanes` lanes.
std::string driven_population(const std::string& simulation, std::size_t lanes, const std::string& name,
                              const std::string& body) {
  return "[simulation]\n" + simulation + "lanes = " + std::to_string(lanes) +
         "\n[task]\nkind = \"narma10\"\n" + "[population." + name + "]\n" + body +
         "[[projection]]\nname = \"in_" + name + "\"\nfrom = \"input\"\nto = \"" + name +
         "\"\ndensity = 1.0\n[[projection]]\nname = \"" + name + "_" + name + "\"\nfrom = \"" + name +
         "\"\nto = \"" + name + "\"\ndensity = 0.6\nscale = 0.8\n";
}

// A hippocampus_memory population driven by a dense input projection and a sparse recurrent one.
std::string hippocampus_network(const std::string& simulation, const std::string& options) {
  return driven_population(simulation, 2, "hip",
                           "kind = \"hippocampus_memory\"\nunits = 3\ndim = 2\nslots = 4\ntau = 2.0\n"
                           "bias_scale = 0.3\nvalue_scale = 1.5\nkey_scale = 1.5\ninitial_state = 0.3\n" +
                               options);
}

const std::vector<std::string> kHippocampusTrainable = {"hip", "in_hip", "hip_hip"};

TEST(HippocampusGradient, ReluEulerMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check(
      {hippocampus_network("integrator = \"euler\"\n", "activation = \"relu\"\n"), kHippocampusTrainable});
  EXPECT_EQ(check.network().names(), (std::vector<std::string>{"hip.memory_keys", "hip.memory_values",
                                                               "hip.memory_bias", "in_hip", "hip_hip"}));
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(HippocampusGradient, GeluRk4MatchesFiniteDifferences) {
  EXPECT_LT(worst_error({hippocampus_network("integrator = \"rk4\"\ndt = 0.5\n", "activation = \"gelu\"\n"),
                         kHippocampusTrainable}),
            1e-6);
}

TEST(HippocampusGradient, SoftmaxEulerSubstepsMatchFiniteDifferences) {
  EXPECT_LT(
      worst_error({hippocampus_network("integrator = \"euler\"\ndt = 0.25\n", "activation = \"softmax\"\n"),
                   kHippocampusTrainable}),
      1e-6);
}

TEST(HippocampusGradient, SharedStoreRk4MatchesFiniteDifferences) {
  // One store for all units: each weight's gradient sums the units' contributions.
  test::load_plugins();
  GradientCheck check(
      {hippocampus_network("integrator = \"rk4\"\n", "activation = \"softmax\"\nshared_store = true\n"),
       {"hip"}});
  EXPECT_EQ(check.network().sizes()[0], 4u * 2u);  // [S, D]
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

// A cortex_qkv population (window of c = 3 token samples, or k presynaptic units) driven by a
// dense input projection and a sparse recurrent one; 7 tokens, so the window fills and wraps.
// (With wq_scale = wk_scale = 2 and Euler the finite differences' own O(h^2) error reaches
// 6e-7: it falls 100x at h / 10, so the scales here are 1.5.)
std::string cortex_network(const std::string& simulation, const std::string& options, std::size_t dim = 2,
                           const std::string& scale = "1.5") {
  return driven_population(simulation, 3, "ctx",
                           "kind = \"cortex_qkv\"\nunits = 3\ndim = " + std::to_string(dim) +
                               "\ncontext = 3\ntau = 1.5\nwq_scale = " + scale + "\nwk_scale = " + scale +
                               "\nwv_scale = " + scale + "\nwo_scale = " + scale + "\ninitial_state = 0.3\n" +
                               options);
}

const std::vector<std::string> kCortexTrainable = {"ctx", "in_ctx", "ctx_ctx"};

TEST(CortexGradient, WindowEulerMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check({cortex_network("integrator = \"euler\"\n", ""), kCortexTrainable, 7});
  EXPECT_EQ(check.network().names(),
            (std::vector<std::string>{"ctx.W_q", "ctx.W_k", "ctx.W_v", "ctx.W_o", "in_ctx", "ctx_ctx"}));
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(CortexGradient, WindowRk4SubstepsMatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\ndt = 0.5\n", ""), kCortexTrainable, 7}), 1e-6);
}

TEST(CortexGradient, SharedWeightsAndTemperatureMatchFiniteDifferences) {
  test::load_plugins();
  GradientCheck check(
      {cortex_network("integrator = \"euler\"\ndt = 0.5\n", "shared_weights = true\ntemperature = 0.5\n"),
       kCortexTrainable, 5});
  EXPECT_EQ(check.network().sizes()[0], 4u);  // one shared 2 x 2 W_q
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(CortexGradient, PresynapticUnitsRk4MatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\n", "context_mode = \"units\"\nk = 2\n"),
                         kCortexTrainable, 5}),
            1e-6);
}

// Relative-position biases are fixed logits on the scores: the weights' gradients must still
// match (a window that wraps, so every row age is used; units mode too).
TEST(CortexGradient, PositionBiasesMatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\ndt = 0.5\n", "position_bias = 2.0\n"),
                         kCortexTrainable, 7}),
            1e-6);
  EXPECT_LT(worst_error({cortex_network("integrator = \"euler\"\n",
                                        "context_mode = \"units\"\nk = 2\nposition_bias = 2.0\n"),
                         kCortexTrainable, 5}),
            1e-6);
}

// Figure C in small: cortex and hippocampus units with identity routing between them (as in
// scenarios/ran_figure_c.toml), rk4 with two steps per token, everything trained.
TEST(CortexGradient, FigureCInSmallMatchesFiniteDifferences) {
  test::load_plugins();
  const std::string scenario =
      "[simulation]\nintegrator = \"rk4\"\ndt = 0.5\nlanes = 2\n[task]\nkind = \"narma10\"\n"
      "[population.cortex]\nkind = \"cortex_qkv\"\nunits = 2\ndim = 2\ncontext = 3\ntau = 3.0\n"
      "wq_scale = 2.0\nwk_scale = 2.0\nwo_scale = 1.5\n"
      "[population.hippocampus]\nkind = \"hippocampus_memory\"\nunits = 2\ndim = 2\nslots = 3\ntau = 3.0\n"
      "bias_scale = 0.2\nvalue_scale = 1.5\n"
      "[[projection]]\nname = \"in_cortex\"\nfrom = \"input\"\nto = \"cortex\"\ndensity = 1.0\n"
      "[[projection]]\nfrom = [\"cortex\", \"hippocampus\"]\nto = \"cortex\"\nkind = \"identity\"\nscale = "
      "2.0\n"
      "[[projection]]\nfrom = [\"cortex\", \"input\"]\nto = \"hippocampus\"\nkind = \"identity\"\nscale = "
      "2.0\n";
  EXPECT_LT(worst_error({scenario, {"cortex", "hippocampus", "in_cortex"}, 6}), 1e-6);
}

// The feed-forward D -> 4D -> D with its residual: W_1 and W_2 train after the attention's weights.
TEST(CortexGradient, FeedForwardReluEulerMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check(
      {cortex_network("integrator = \"euler\"\n", "feed_forward = true\nactivation = \"relu\"\n"),
       kCortexTrainable, 7});
  EXPECT_EQ(check.network().names(), (std::vector<std::string>{"ctx.W_q", "ctx.W_k", "ctx.W_v", "ctx.W_o",
                                                               "ctx.W_1", "ctx.W_2", "in_ctx", "ctx_ctx"}));
  EXPECT_EQ(check.network().sizes()[4], 3u * 8u * 2u);  // [units * 4 dim, dim]
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(CortexGradient, FeedForwardGeluRk4SharedWeightsMatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\ndt = 0.5\n",
                                        "feed_forward = true\nactivation = \"gelu\"\nshared_weights = true\n"
                                        "ff_in_scale = 1.5\nff_out_scale = 1.5\n"),
                         kCortexTrainable, 6}),
            1e-6);
}

// The general attention path (attention_backward.hpp): several heads, biases, standardised
// scores; every expected gradient is the finite differences' (GradientCheck). With dim = 4 the
// scales are 1.0: at 1.5 the finite differences' own O(h^2) error reached 1e-5 (100x more at
// h = 1e-4, under 4e-7 at h = 1e-6, so not the backward pass's).
TEST(CortexGradient, HeadsMatchFiniteDifferences) {
  EXPECT_LT(
      worst_error({cortex_network("integrator = \"euler\"\n", "heads = 2\n", 4, "1.0"), kCortexTrainable, 7}),
      1e-6);
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\ndt = 0.5\n", "heads = 4\n", 4, "1.0"),
                         kCortexTrainable, 6}),
            1e-6);
}

// bias = true: b_q, b_k, b_v, b_o train after W_o ([units, dim] each), the feed-forward after them.
TEST(CortexGradient, BiasesTrainAndMatchFiniteDifferences) {
  test::load_plugins();
  GradientCheck one(
      {cortex_network("integrator = \"euler\"\n", "bias = true\nbias_scale = 0.5\n"), kCortexTrainable, 7});
  EXPECT_EQ(one.network().names(),
            (std::vector<std::string>{"ctx.W_q", "ctx.W_k", "ctx.W_v", "ctx.W_o", "ctx.b_q", "ctx.b_k",
                                      "ctx.b_v", "ctx.b_o", "in_ctx", "ctx_ctx"}));
  EXPECT_EQ(one.network().sizes()[4], 3u * 2u);  // [units, dim]
  EXPECT_LT(one.worst_relative_error(), 1e-6);
  GradientCheck two(
      {cortex_network("integrator = \"rk4\"\ndt = 0.5\n",
                      "bias = true\nbias_scale = 0.5\nheads = 2\nfeed_forward = true\n", 4, "1.0"),
       kCortexTrainable, 6});
  EXPECT_EQ(std::vector<std::string>(two.network().names().begin() + 8, two.network().names().begin() + 12),
            (std::vector<std::string>{"ctx.W_1", "ctx.W_2", "ctx.b_1", "ctx.b_2"}));
  EXPECT_LT(two.worst_relative_error(), 1e-6);
}

// Standardised scores (mean 0, sd beta over the rows): their own vector-Jacobian product. Where
// the rows' scores lie close, 1/sd makes the third derivatives large: the finite differences'
// O(h^2) error reached 4e-5 at h = 1e-5 (1e-3 at h = 1e-4), so h = 1e-6 here.
Check standardised(const std::string& simulation, const std::string& options, std::size_t tokens) {
  return {.scenario = cortex_network(simulation, "scores = \"standardised\"\nheads = 2\n" + options, 4),
          .trainable = kCortexTrainable,
          .tokens = tokens,
          .step = 1e-6};
}

TEST(CortexGradient, StandardisedScoresMatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"euler\"\n", "scores = \"standardised\"\n"),
                         kCortexTrainable, 7}),
            1e-6);
  EXPECT_LT(worst_error(standardised("integrator = \"rk4\"\ndt = 0.5\n", "sharpness = 1.5\n", 6)), 1e-6);
  EXPECT_LT(worst_error(standardised("integrator = \"euler\"\n", "position_bias = 1.0\n", 7)), 1e-6);
}

TEST(CortexGradient, HeadsWithPresynapticUnitsOrSharedWeightsMatchFiniteDifferences) {
  EXPECT_LT(worst_error({cortex_network("integrator = \"rk4\"\n",
                                        "context_mode = \"units\"\nk = 2\nheads = 2\n", 4, "1.0"),
                         kCortexTrainable, 5}),
            1e-6);
  test::load_plugins();
  GradientCheck shared(
      {cortex_network("integrator = \"euler\"\n",
                      "shared_weights = true\nheads = 2\nbias = true\ntemperature = 0.7\n", 4, "1.0"),
       kCortexTrainable, 6});
  EXPECT_EQ(shared.network().sizes()[4], 4u);  // one shared b_q
  EXPECT_LT(shared.worst_relative_error(), 1e-6);
}

// An attention_block population (the cortex attention over a window of c = 3, then the
// key-value memory with its residual) with a dense input and a sparse recurrent projection.
std::string block_network(const std::string& simulation, const std::string& options, std::size_t dim = 2,
                          const std::string& scale = "1.5") {
  return driven_population(simulation, 2, "blk",
                           "kind = \"attention_block\"\nunits = 2\ndim = " + std::to_string(dim) +
                               "\ncontext = 3\nslots = 3\ntau = 1.5\nwq_scale = " + scale +
                               "\nwk_scale = " + scale + "\nvalue_scale = 1.0\nbias_scale = 0.3\n" + options);
}

TEST(AttentionBlockGradient, ReluEulerMatchesFiniteDifferences) {
  test::load_plugins();
  GradientCheck check({block_network("integrator = \"euler\"\n", "activation = \"relu\"\n"),
                       {"blk", "in_blk", "blk_blk"},
                       7});
  EXPECT_EQ(check.network().names(),
            (std::vector<std::string>{"blk.W_q", "blk.W_k", "blk.W_v", "blk.W_o", "blk.memory_keys",
                                      "blk.memory_values", "blk.memory_bias", "in_blk", "blk_blk"}));
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(AttentionBlockGradient, SoftmaxRk4MatchesFiniteDifferences) {
  EXPECT_LT(worst_error({block_network("integrator = \"rk4\"\ndt = 0.5\n", "activation = \"softmax\"\n"),
                         {"blk", "in_blk", "blk_blk"},
                         7}),
            1e-6);
}

// Heads and standardised scores with position biases (attention_block has no `bias` option).
TEST(AttentionBlockGradient, HeadsBiasesStandardisedMatchFiniteDifferences) {
  test::load_plugins();
  GradientCheck check(
      {.scenario = block_network("integrator = \"rk4\"\ndt = 0.5\n",
                                 "activation = \"relu\"\nheads = 2\nscores = \"standardised\"\n"
                                 "position_bias = 1.0\n",
                                 4),
       .trainable = {"blk", "in_blk", "blk_blk"},
       .tokens = 7,
       .step = 1e-6});  // as the standardised checks above
  EXPECT_EQ(check.network().names()[4], "blk.memory_keys");
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

}  // namespace
}  // namespace ransim
