// Backward passes of the attention units (plugins/attention) against central finite
// differences (GradientCheck, tests/support/gradient_check.hpp: relative error <= 1e-6, the
// issue's bound), on small random networks with two or more lanes, Euler and RK4.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"

namespace ransim {
namespace {

using test::Check;
using test::GradientCheck;

// A hippocampus_memory population driven by a dense input projection and a sparse recurrent one.
std::string hippocampus_network(const std::string& simulation, const std::string& options) {
  return "[simulation]\n" + simulation +
         "lanes = 2\n[task]\nkind = \"narma10\"\n"
         "[population.hip]\nkind = \"hippocampus_memory\"\nunits = 3\ndim = 2\nslots = 4\ntau = 2.0\n"
         "bias_scale = 0.3\nvalue_scale = 1.5\nkey_scale = 1.5\ninitial_state = 0.3\n" +
         options +
         "[[projection]]\nname = \"in_hip\"\nfrom = \"input\"\nto = \"hip\"\ndensity = 1.0\n"
         "[[projection]]\nname = \"hip_hip\"\nfrom = \"hip\"\nto = \"hip\"\ndensity = 0.6\nscale = 0.8\n";
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
  test::load_plugins();
  GradientCheck check({hippocampus_network("integrator = \"rk4\"\ndt = 0.5\n", "activation = \"gelu\"\n"),
                       kHippocampusTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
}

TEST(HippocampusGradient, SoftmaxEulerSubstepsMatchFiniteDifferences) {
  test::load_plugins();
  GradientCheck check(
      {hippocampus_network("integrator = \"euler\"\ndt = 0.25\n", "activation = \"softmax\"\n"),
       kHippocampusTrainable});
  EXPECT_LT(check.worst_relative_error(), 1e-6);
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

}  // namespace
}  // namespace ransim
