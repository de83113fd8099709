// Training through the general attention path (plugins/attention/common/attention_backward.hpp):
// the standardised scores' vector-Jacobian product against central finite differences of the
// kernel that runs (standardise_lanes), and a short `ransim train` of cortex units with two
// heads, biases and standardised scores whose validation loss falls (docs/training.md: each
// epoch is gradient steps on the training windows, the validation loss is measured after it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "common/attention_backward.hpp"
#include "common/kernels.hpp"
#include "ransim/rng.hpp"
#include "support/test_support.hpp"

namespace ransim {
namespace {

// L(s) = g' . standardise(s): its gradient by standardise_vjp and by central differences.
double standardise_vjp_error(const std::vector<double>& s, double beta) {
  const std::size_t n = s.size();
  Rng rng = make_rng(11, "standardise_vjp");
  std::vector<double> cotangent(n), tmp(2);
  for (double& v : cotangent) v = normal(rng);
  const auto loss = [&](std::vector<double> x) {
    attn::standardise_lanes(x.data(), n, 1, beta, tmp.data());
    double l = 0;
    for (std::size_t r = 0; r < n; ++r) l += cotangent[r] * x[r];
    return l;
  };
  std::vector<double> g = cotangent;
  attn::standardise_vjp(s.data(), g.data(), n, beta);
  double worst = 0, scale = 0;
  std::vector<double> fd(n);
  for (std::size_t r = 0; r < n; ++r) {
    const double h = 1e-6 * std::max(1.0, std::abs(s[r]));
    std::vector<double> plus = s, minus = s;
    plus[r] += h;
    minus[r] -= h;
    fd[r] = (loss(plus) - loss(minus)) / (2 * h);
    scale = std::max(scale, std::abs(fd[r]));
  }
  for (std::size_t r = 0; r < n; ++r)
    worst = std::max(worst, std::abs(g[r] - fd[r]) / std::max(std::abs(fd[r]), 1e-3 * scale));
  return worst;
}

TEST(StandardiseVjp, MatchesFiniteDifferences) {
  EXPECT_LT(standardise_vjp_error({0.3, -1.2, 2.0, 0.7, -0.4}, 2.0), 1e-6);
  EXPECT_LT(standardise_vjp_error({5.0, 5.5, 4.2}, 0.5), 1e-6);            // a large mean
  EXPECT_LT(standardise_vjp_error({-0.01, 0.02, 0.005, 0.0}, 1.0), 1e-6);  // a small spread
}

// Two rows are standardised to -beta and beta whatever their scores: the gradient is 0 but for
// the 1e-12 floor of sd (exactly what runs).
TEST(StandardiseVjp, TwoRowsHaveNoGradient) {
  std::vector<double> g = {0.7, -1.1};
  attn::standardise_vjp(std::vector<double>{0.4, -0.9}.data(), g.data(), 2, 2.0);
  EXPECT_LT(std::abs(g[0]) + std::abs(g[1]), 1e-9);
}

// The numbers of the JSON list `"key": [a, b, ...]` in text.
std::vector<double> json_list(const std::string& text, const std::string& key) {
  const std::size_t at = text.find("\"" + key + "\": [");
  if (at == std::string::npos) return {};
  std::istringstream in(text.substr(text.find('[', at) + 1));
  std::vector<double> v;
  double x = 0;
  char sep = ',';
  while (sep == ',' && in >> x >> sep) v.push_back(x);
  return v;
}

TEST(TrainAttention, HeadsBiasesStandardisedScoresLowerTheValidationLoss) {
  const std::string scenario =
      "seed = 3\n[simulation]\nintegrator = \"euler\"\n"
      "[task]\nkind = \"narma10\"\nwarmup = 20\ntrain = 300\ntest = 100\n"
      "[population.cortex]\nkind = \"cortex_qkv\"\nunits = 6\ndim = 4\ncontext = 4\nheads = 2\nbias = true\n"
      "scores = \"standardised\"\ntau = 2.0\n"
      "[[projection]]\nname = \"input\"\nfrom = \"input\"\nto = \"cortex\"\ndensity = 1.0\n"
      "[train]\ntrainable = [\"cortex\", \"input\"]\nepochs = 5\nwindow = 10\nbatch = 4\nlr = 0.01\n"
      "patience = 0\n";
  const std::string path = test::write_file(test::tmp_path("heads_bias_standardised.toml"), scenario);
  const std::string out = test::tmp_path("heads_bias_standardised.h5");
  const std::string stdout_path = test::tmp_path("heads_bias_standardised.json");
  const std::string cli = std::string(RANSIM_CLI) + " train " + path + " --out " + out +
                          " --overwrite --quiet --json > " + stdout_path;
  ASSERT_EQ(std::system(cli.c_str()), 0) << cli;
  std::ifstream in(stdout_path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_NE(text.find("\"trainable\": 504"), std::string::npos)  // W 4 x 6 x 4 x 4, b 4 x 6 x 4, input 24
      << text;
  const std::vector<double> validation = json_list(text, "loss_validation");
  ASSERT_EQ(validation.size(), 5u) << text;
  EXPECT_LT(validation.back(), validation.front()) << text;
}

}  // namespace
}  // namespace ransim
