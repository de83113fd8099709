// The cheap spectral radii of engine/projection.hpp: Arnoldi's estimate and the circular law,
// and the rescaling random_sparse does with them beyond kExactRadiusUpTo units.
//
// Expected numbers: closed forms (a scaled permutation of 3-cycles has every eigenvalue on
// the circle of radius s; a block-diagonal matrix whose blocks' eigenvalues are known), and
// LAPACK's dense eigenvalues (arma::eig_gen) as the independent reference for random matrices.
#include <gtest/gtest.h>

#include <armadillo>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/rng.hpp"

namespace {

using ransim::Csr;
using ransim::SparseSpec;
using ransim::WeightDistribution;

double lapack_radius(const Csr& w) {
  arma::mat d(w.rows, w.cols, arma::fill::zeros);
  for (std::size_t i = 0; i < w.rows; ++i)
    for (std::size_t k = w.row_ptr[i]; k < w.row_ptr[i + 1]; ++k) d(i, w.col[k]) = w.val[k];
  arma::cx_vec ev;
  EXPECT_TRUE(arma::eig_gen(ev, d));
  return arma::max(arma::abs(ev));
}

TEST(SpectralEstimate, ScaledPermutationOfThreeCyclesIsExactAfterThreeSteps) {
  // P maps i -> the next index of its 3-cycle; (sP)^3 = s^3 I, so every Krylov space has at
  // most 3 dimensions (Arnoldi ends with an invariant space) and every eigenvalue is s times a
  // cube root of unity: radius s.
  const std::size_t n = 600;
  const double s = 1.3;
  Csr w;
  w.rows = w.cols = n;
  w.row_ptr.push_back(0);
  for (std::size_t i = 0; i < n; ++i) {
    w.col.push_back(static_cast<std::uint32_t>(i % 3 == 2 ? i - 2 : i + 1));
    w.val.push_back(s);
    w.row_ptr.push_back(static_cast<std::uint32_t>(w.val.size()));
  }
  const ransim::SpectralEstimate e = ransim::arnoldi_spectral_radius(w, 1e-2, 300);
  EXPECT_NEAR(e.radius, s, 1e-12);
  EXPECT_EQ(e.residual, 0.0);
  EXPECT_LE(e.steps, 3u);
}

TEST(SpectralEstimate, ArnoldiFindsAnIsolatedLargestEigenvalue) {
  // Rotation-scaling blocks [[a, -b], [b, a]] (eigenvalues a +- ib, |lambda| < 0.9) and one
  // block diag(-1.7, 0.2): the radius is 1.7. The matrix is normal, so the residual r of the
  // Ritz pair puts an eigenvalue within r |theta| of theta (Bauer-Fike).
  const std::size_t n = 3000;
  arma::sp_mat m(n, n);
  for (std::size_t i = 0; i + 3 < n; i += 2) {
    const double a = 0.3 + 0.5 * std::sin(0.1 * static_cast<double>(i));
    const double b = 0.4 * std::cos(0.37 * static_cast<double>(i));
    m(i, i) = a, m(i, i + 1) = -b, m(i + 1, i) = b, m(i + 1, i + 1) = a;
  }
  m(n - 2, n - 2) = -1.7;
  m(n - 1, n - 1) = 0.2;
  const Csr w = Csr::from_arma(m);
  const ransim::SpectralEstimate e = ransim::arnoldi_spectral_radius(w, 1e-2, 300);
  ASSERT_LE(e.residual, 1e-2);
  EXPECT_NEAR(e.radius, 1.7, 1.7 * e.residual + 1e-12);
  EXPECT_NEAR(ransim::random_matrix_spectral_radius(w), 1.7, 1.7e-2);  // short rows: Arnoldi's path
}

TEST(SpectralEstimate, ArnoldiOnARandomMatrixWithinItsResidual) {
  // A random matrix (density 0.1, normal weights): once the residual is 1e-2, the estimate
  // lies within 1% of LAPACK's largest |eigenvalue|.
  SparseSpec spec;
  spec.rows = spec.cols = 500;
  ransim::Rng rng = ransim::make_rng(3, "spectral_estimate");
  const Csr w = ransim::random_sparse(spec, rng);
  const ransim::SpectralEstimate e = ransim::arnoldi_spectral_radius(w, 1e-2, 300);
  ASSERT_LE(e.residual, 1e-2) << e.steps << " steps";
  EXPECT_NEAR(e.radius / lapack_radius(w), 1.0, 1e-2);
}

// random_sparse with spectral_radius = 1 beyond kExactRadiusUpTo units: LAPACK's radius of the
// rescaled matrix is 1 within kCircularLawTolerance.
void check_circular_law(std::size_t n, double density, WeightDistribution distribution, std::uint64_t seed) {
  ASSERT_GT(n, ransim::kExactRadiusUpTo);
  SparseSpec spec;
  spec.rows = spec.cols = n;
  spec.density = density;
  spec.distribution = distribution;
  spec.spectral_radius = 1.0;
  ransim::Rng rng = ransim::make_rng(seed, "spectral_estimate");
  const Csr w = ransim::random_sparse(spec, rng);
  ASSERT_GE(w.nnz(), ransim::kCircularLawRowNonzeros * n);  // the circular law's path
  EXPECT_NEAR(lapack_radius(w), 1.0, ransim::kCircularLawTolerance)
      << "n " << n << " density " << density << " seed " << seed;
}

TEST(SpectralEstimate, CircularLawRescalesNormalWeightsWithinTolerance) {
  check_circular_law(2100, 0.1, WeightDistribution::Normal, 1);
}

TEST(SpectralEstimate, SlowCircularLawRescalesEveryDistributionWithinTolerance) {
  for (std::uint64_t seed : {2u, 3u}) {
    check_circular_law(2500, 0.1, WeightDistribution::Uniform, seed);
    check_circular_law(2500, 0.1, WeightDistribution::Bernoulli, seed);
    check_circular_law(2500, 0.07, WeightDistribution::Normal, seed);
  }
}

TEST(SpectralEstimate, SlowShortRowsTakeArnoldiNotTheCircularLaw) {
  // 20 nonzeros a row are too few for the circular law (kCircularLawRowNonzeros): the radius
  // then comes from Arnoldi (or the exact radius), within 1% of LAPACK's.
  SparseSpec spec;
  spec.rows = spec.cols = 2200;
  spec.fan_in = 20;
  ransim::Rng rng = ransim::make_rng(4, "spectral_estimate");
  const Csr w = ransim::random_sparse(spec, rng);
  EXPECT_NEAR(ransim::random_matrix_spectral_radius(w) / lapack_radius(w), 1.0, 1e-2);
}

TEST(SpectralEstimate, UpToTheThresholdTheRadiusIsExact) {
  // Networks up to kExactRadiusUpTo units keep the weights they had: the exact radius.
  SparseSpec spec;
  spec.rows = spec.cols = 400;
  ransim::Rng rng = ransim::make_rng(5, "spectral_estimate");
  const Csr w = ransim::random_sparse(spec, rng);
  EXPECT_EQ(ransim::random_matrix_spectral_radius(w), ransim::spectral_radius(w));
}

}  // namespace
