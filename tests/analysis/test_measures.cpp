// The measures of core/analysis on matrices whose answers are known in closed form.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/lyapunov.hpp"
#include "analysis/measures.hpp"
#include "ransim/error.hpp"
#include "tasks/metrics.hpp"

using namespace ransim;
using namespace ransim::analysis;

namespace {

// A random orthogonal matrix (Q of a QR decomposition), fixed by the seed.
arma::mat orthogonal(arma::uword n, int seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat q, r;
  arma::qr(q, r, arma::mat(n, n, arma::fill::randn));
  return q;
}

}  // namespace

TEST(MemoryCurve, SquaredCorrelationPerDelay) {
  // Column 0: an exact affine copy (r^2 = 1). Column 1: the target plus an orthogonal signal of
  // the same norm, both of mean 0: r^2 = (a.a)^2 / (a.a (a.a + b.b)) = 16 / (4 * 8) = 0.5.
  // Column 2: a constant output has no variance: 0.
  const arma::mat target = {{1, 1, 1}, {-1, -1, -1}, {1, 1, 1}, {-1, -1, -1}};
  const arma::mat output = {{-2 + 3, 1 + 1, 7}, {2 + 3, -1 + 1, 7}, {-2 + 3, 1 - 1, 7}, {2 + 3, -1 - 1, 7}};
  const arma::vec r2 = memory_curve(target, output);
  ASSERT_EQ(r2.n_elem, 3u);
  EXPECT_NEAR(r2[0], 1.0, 1e-15);
  EXPECT_NEAR(r2[1], 0.5, 1e-15);
  EXPECT_EQ(r2[2], 0.0);
  // The memory capacity metric is the sum of the same curve.
  EXPECT_EQ(score(Metric::MemoryCapacity, target, output), r2[0] + r2[1] + r2[2]);
  EXPECT_THROW(memory_curve(target, output.cols(0, 1)), InputError);
}

TEST(NormalisedEntropy, ClosedForms) {
  const double p = 0.2;
  const arma::mat w = {
      {0.25, 0.25, 0.25, 0.25},  // uniform: 1
      {0, 0, 1, 0},              // one row: 0
      {0.5, 0.5, 0, 0},          // two rows filled, uniform over them: 1
      {p, 1 - p, 0, 0},          // two rows: H(p) / log 2
      {2, 2, 2, 2},              // weights scaled to sum 1 first: 1
  };
  const arma::vec h = normalised_entropy(w);
  EXPECT_NEAR(h[0], 1.0, 1e-15);
  EXPECT_EQ(h[1], 0.0);
  EXPECT_NEAR(h[2], 1.0, 1e-15);
  EXPECT_NEAR(h[3], -(p * std::log(p) + (1 - p) * std::log(1 - p)) / std::log(2.0), 1e-15);
  EXPECT_NEAR(h[4], 1.0, 1e-15);
  // Two heads side by side, uniform and one-hot: the mean of 1 and 0.
  const arma::mat heads = {{0.5, 0.5, 1, 0}};
  EXPECT_NEAR(normalised_entropy(heads, 2)[0], 0.5, 1e-15);
  EXPECT_THROW(normalised_entropy(heads, 3), InputError);
}

TEST(SlotUsage, ActiveDeadAndThreshold) {
  // Slot 0 is the largest everywhere; slot 1 is active above 1 % of it in samples 0 and 2;
  // slot 2 is never active (0, or below 1 %); sample 3 has no positive activation at all.
  const arma::mat m = {{1.0, 0.5, 0.0}, {2.0, 0.01, 0.019}, {1.0, 0.02, 0.005}, {0.0, -1.0, 0.0}};
  const SlotUsage u = slot_usage(m, 0.01);
  EXPECT_EQ(u.dead, 1u);
  EXPECT_NEAR(u.slot_share[0], 3.0 / 4, 1e-15);
  EXPECT_NEAR(u.slot_share[1], 2.0 / 4, 1e-15);
  EXPECT_EQ(u.slot_share[2], 0.0);
  const arma::vec expected = {2.0 / 3, 1.0 / 3, 2.0 / 3, 0.0};
  EXPECT_LT(arma::abs(u.sample_share - expected).max(), 1e-15);
  EXPECT_NEAR(u.mean_share, (2.0 / 3 + 1.0 / 3 + 2.0 / 3) / 4, 1e-15);
  // With threshold 0 every positive activation counts: slot 2 is alive in sample 1.
  EXPECT_EQ(slot_usage(m, 0.0).dead, 0u);
}

TEST(Pca, KnownCovariance) {
  // Samples whose sample covariance is exactly Q diag(4, 1, 0.25) Q^T: Z has centred orthonormal
  // columns scaled by sqrt(n - 1), so Z^T Z / (n - 1) = I.
  const arma::uword n = 500;
  arma::arma_rng::set_seed(3);
  arma::mat z = arma::randn(n, 3);
  z.each_row() -= arma::mean(z, 0);
  arma::mat q, r;
  arma::qr_econ(q, r, z);
  const arma::vec lambda = {4, 1, 0.25};
  const arma::mat x = q * std::sqrt(n - 1.0) * arma::diagmat(arma::sqrt(lambda)) * orthogonal(3, 5).t();
  const Pca p = pca(x);
  EXPECT_LT(arma::abs(p.variance - lambda).max(), 1e-12);
  EXPECT_LT(arma::abs(p.explained - lambda / 5.25).max(), 1e-12);
  EXPECT_NEAR(p.participation_ratio, 5.25 * 5.25 / (16 + 1 + 0.0625), 1e-12);
  EXPECT_EQ(p.components_for(0.75), 1u);  // 4 / 5.25 = 0.76
  EXPECT_EQ(p.components_for(0.9), 2u);   // 5 / 5.25 = 0.95
  // Equal variance in d directions spans all d: participation ratio d.
  EXPECT_NEAR(pca(q * std::sqrt(n - 1.0)).participation_ratio, 3.0, 1e-12);
}

TEST(PowerSpectrum, SineOnABin) {
  // A sine of amplitude A at bin 32 of 256-sample segments: the peak is at 32 * rate / 256,
  // and by Parseval the density summed times the bin width is A^2 / 2 (exactly, with a
  // periodic Hann window, for a sine on a bin above 2).
  const double rate = 10, A = 2, f0 = 32 * rate / 256;
  arma::mat x(2048, 2);
  for (arma::uword k = 0; k < x.n_rows; ++k) {
    x(k, 0) = A * std::sin(2 * M_PI * f0 * k / rate + 0.3) + 5;  // an offset: the mean is removed
    x(k, 1) = A * std::cos(2 * M_PI * f0 * k / rate);
  }
  const Spectrum s = power_spectrum(x, rate, 256);
  ASSERT_EQ(s.power.n_elem, 129u);
  EXPECT_DOUBLE_EQ(s.frequency[s.power.index_max()], f0);
  EXPECT_NEAR(arma::accu(s.power) * rate / 256, A * A / 2, 1e-9);
  EXPECT_LT(s.power[0], 1e-20);
  EXPECT_THROW(power_spectrum(x, rate, 4096), InputError);
}

TEST(Lyapunov, LinearMaps) {
  // A scaled rotation stretches every vector by exactly its scale: log(0.8) at every token.
  const double c = std::cos(0.7), s = std::sin(0.7);
  const arma::mat rotation = 0.8 * arma::mat{{c, -s}, {s, c}};
  EXPECT_NEAR(largest_lyapunov(rotation), std::log(0.8), 1e-12);
  // A symmetric map: log of its spectral radius. The estimate's error is log|c1| / tokens
  // (c1: the start's share of the top eigenvector), below 1e-3 over 5000 tokens.
  const arma::mat q = orthogonal(3, 7);
  const arma::mat symmetric = q * arma::diagmat(arma::vec{0.9, 0.5, -0.3}) * q.t();
  LyapunovOptions o;
  o.tokens = 5000;
  EXPECT_NEAR(largest_lyapunov(symmetric, o), std::log(0.9), 1e-3);
  // Expanding maps give positive exponents.
  EXPECT_NEAR(largest_lyapunov(arma::mat(1, 1, arma::fill::value(1.5))), std::log(1.5), 1e-12);
  EXPECT_THROW(largest_lyapunov(arma::mat(2, 3, arma::fill::zeros)), InputError);
}
