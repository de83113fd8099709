// Projection tests: random sparse matrices, spectral radius, the sparse product over lanes,
// identity routing.
//
// Expected numbers come from dense references computed here (LAPACK eigenvalues through
// arma::eig_gen, naive dense matrix products with plain loops, a naive gather), from
// binomial statistics (nnz of a Bernoulli(density) matrix), or from the definitions
// (fan_in distinct columns, one source per routed slot).
#include <gtest/gtest.h>

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/error.hpp"
#include "ransim/lanes.hpp"
#include "ransim/rng.hpp"
#include "ransim/thread_pool.hpp"

namespace {

using ransim::Csr;
using ransim::SparseSpec;
using ransim::WeightDistribution;

// Dense copy of a CSR matrix with plain loops (independent of Csr::to_arma).
arma::mat dense(const Csr& c) {
  arma::mat d(c.rows, c.cols, arma::fill::zeros);
  for (std::size_t i = 0; i < c.rows; ++i)
    for (std::size_t k = c.row_ptr[i]; k < c.row_ptr[i + 1]; ++k) d(i, c.col[k]) += c.val[k];
  return d;
}

// Structural invariants of a CSR matrix (gtest failures when broken).
void expect_well_formed(const Csr& c) {
  ASSERT_EQ(c.row_ptr.size(), c.rows + 1);
  ASSERT_EQ(c.row_ptr.front(), 0u);
  ASSERT_EQ(c.row_ptr.back(), c.nnz());
  ASSERT_EQ(c.col.size(), c.nnz());
  for (std::size_t i = 0; i < c.rows; ++i) {
    ASSERT_LE(c.row_ptr[i], c.row_ptr[i + 1]);
    for (std::size_t k = c.row_ptr[i]; k < c.row_ptr[i + 1]; ++k) {
      ASSERT_LT(c.col[k], c.cols);
      if (k > c.row_ptr[i]) {
        ASSERT_LT(c.col[k - 1], c.col[k]) << "row " << i;  // sorted, distinct
      }
    }
  }
}

double dense_spectral_radius(const arma::mat& m) {
  arma::cx_vec ev;
  const bool ok = arma::eig_gen(ev, m);
  EXPECT_TRUE(ok);
  return arma::max(arma::abs(ev));
}

// ---------------------------------------------------------------------------------------
// 5. Spectral radius of generated matrices.
// ---------------------------------------------------------------------------------------

void check_spectral_radius(std::size_t n, WeightDistribution dist, double request) {
  SparseSpec s;
  s.rows = s.cols = n;
  s.density = 0.1;
  s.distribution = dist;
  s.spectral_radius = request;
  ransim::Rng rng = ransim::make_rng(99, "spectral");
  const Csr w = ransim::random_sparse(s, rng);
  expect_well_formed(w);
  // Reference: all eigenvalues of the dense matrix (LAPACK dgeev).
  const double rho = dense_spectral_radius(dense(w));
  EXPECT_NEAR(rho / request, 1.0, 0.01) << "n " << n;
}

TEST(SpectralRadius, N300NormalWithinOnePercent) {
  check_spectral_radius(300, WeightDistribution::Normal, 1.25);
}
TEST(SpectralRadius, N300UniformWithinOnePercent) {
  check_spectral_radius(300, WeightDistribution::Uniform, 0.9);
}
TEST(SpectralRadius, N1000NormalWithinOnePercent) {
  check_spectral_radius(1000, WeightDistribution::Normal, 1.25);
}
TEST(SpectralRadius, N1000UniformWithinOnePercent) {
  check_spectral_radius(1000, WeightDistribution::Uniform, 0.9);
}

TEST(SpectralRadius, KnownSpectra) {
  // Block-diagonal 2x2 blocks [[a, -b], [b, a]] have eigenvalues a +- ib, |lambda| =
  // sqrt(a^2 + b^2) <= sqrt(0.8^2 + 0.4^2) < 0.9; the last block is diag(-1.7, 0), so the
  // spectral radius is 1.7 by construction. n = 50 takes the dense path, n = 400 the ARPACK
  // path (n > 200).
  for (std::size_t n : {50u, 400u}) {
    arma::mat m(n, n, arma::fill::zeros);
    for (std::size_t i = 0; i + 3 < n; i += 2) {
      const double a = 0.3 + 0.5 * std::sin(0.1 * static_cast<double>(i));
      const double b = 0.4 * std::cos(0.37 * static_cast<double>(i));
      m(i, i) = a, m(i, i + 1) = -b, m(i + 1, i) = b, m(i + 1, i + 1) = a;
    }
    m(n - 2, n - 2) = -1.7;
    const Csr c = Csr::from_arma(arma::sp_mat(m));
    EXPECT_NEAR(ransim::spectral_radius(c), 1.7, 1e-8) << "n " << n;
    EXPECT_NEAR(dense_spectral_radius(m), 1.7, 1e-12) << "n " << n;
  }
}

TEST(SpectralRadius, EstimatorFindsTheLargestModulus) {
  // ransim::spectral_radius promises the largest |eigenvalue|. Its ARPACK path (n > 200) asks
  // for the 6 eigenvalues of largest magnitude at tol 1e-10, so a correct answer agrees with
  // LAPACK's dense eigenvalues to ~1e-9; the bound here is 1e-6.
  // These draws (N x N, density 0.1, normal weights, make_rng(seed, "spectral")) were found
  // by scanning seeds 0..19 at N = 800 and 1000: in 3 of the 40 draws ARPACK returns six
  // converged eigenvalues that miss the largest one (the spectrum of a random matrix fills a
  // disc, many eigenvalues lie near its rim). N = 800 seed 11 (below) is 8.2e-3 off, seed 15
  // 2.3e-3; the matrix of N1000NormalWithinOnePercent (seed 99) is 5.8e-3 off, so that test
  // passes with only a 0.4% margin. One draw is checked to keep the test short.
  struct Draw {
    std::size_t n;
    std::uint64_t seed;
  };
  for (Draw d : {Draw{800, 11}}) {
    SparseSpec s;
    s.rows = s.cols = d.n;
    s.density = 0.1;
    ransim::Rng rng = ransim::make_rng(d.seed, "spectral");
    const Csr w = ransim::random_sparse(s, rng);
    const double rho = dense_spectral_radius(dense(w));
    EXPECT_NEAR(ransim::spectral_radius(w) / rho, 1.0, 1e-6)
        << "n " << d.n << " seed " << d.seed << ": LAPACK radius " << rho;
  }
}

// ---------------------------------------------------------------------------------------
// 6. fan_in, density, scale, seeds.
// ---------------------------------------------------------------------------------------

TEST(RandomSparse, FanInGivesExactlyFanInDistinctSortedColumns) {
  for (std::size_t fan_in : {1u, 7u, 40u, 60u}) {
    SparseSpec s;
    s.rows = 200;
    s.cols = 60;
    s.fan_in = fan_in;
    s.density = 0.5;  // ignored when fan_in > 0
    ransim::Rng rng = ransim::make_rng(1, "fan_in");
    const Csr c = ransim::random_sparse(s, rng);
    expect_well_formed(c);  // sorted and distinct within each row
    EXPECT_EQ(c.nnz(), s.rows * fan_in);
    for (std::size_t i = 0; i < s.rows; ++i)
      ASSERT_EQ(c.row_ptr[i + 1] - c.row_ptr[i], fan_in) << "row " << i;
  }
  // The columns are a uniform random subset: over 2000 rows with fan_in 5 of 50, each column
  // is hit Binomial(2000, 0.1) times (mean 200, sd 13.4); all within 5 sd.
  SparseSpec s;
  s.rows = 2000;
  s.cols = 50;
  s.fan_in = 5;
  ransim::Rng rng = ransim::make_rng(2, "fan_in");
  const Csr c = ransim::random_sparse(s, rng);
  std::vector<int> hits(s.cols, 0);
  for (auto j : c.col) ++hits[j];
  const double sd = std::sqrt(2000 * 0.1 * 0.9);
  for (std::size_t j = 0; j < s.cols; ++j) EXPECT_NEAR(hits[j], 200.0, 5 * sd) << "column " << j;
}

TEST(RandomSparse, FanInLargerThanSourceIsAnError) {
  SparseSpec s;
  s.rows = 3;
  s.cols = 4;
  s.fan_in = 5;
  ransim::Rng rng = ransim::make_rng(1, "x");
  EXPECT_THROW(ransim::random_sparse(s, rng), ransim::InputError);
}

TEST(RandomSparse, DensityGivesBinomialNnz) {
  // Each entry is present independently with probability p: nnz ~ Binomial(rows cols, p),
  // mean p rows cols, sd sqrt(rows cols p (1-p)).
  struct Case {
    std::size_t rows, cols;
    double p;
  };
  for (Case k : {Case{300, 300, 0.1}, Case{500, 80, 0.02}, Case{100, 1000, 0.5}, Case{50, 7, 0.3}}) {
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      SparseSpec s;
      s.rows = k.rows;
      s.cols = k.cols;
      s.density = k.p;
      ransim::Rng rng = ransim::make_rng(seed, "density");
      const Csr c = ransim::random_sparse(s, rng);
      expect_well_formed(c);
      const double n = static_cast<double>(k.rows * k.cols);
      const double mean = k.p * n, sd = std::sqrt(n * k.p * (1 - k.p));
      EXPECT_NEAR(static_cast<double>(c.nnz()), mean, 5 * sd)
          << k.rows << "x" << k.cols << " p " << k.p << " seed " << seed;
    }
  }
  // Density 1 is a full matrix.
  SparseSpec s;
  s.rows = 13;
  s.cols = 17;
  s.density = 1.0;
  ransim::Rng rng = ransim::make_rng(0, "full");
  EXPECT_EQ(ransim::random_sparse(s, rng).nnz(), std::size_t{13 * 17});
}

TEST(RandomSparse, DensityIsUniformOverColumns) {
  // The geometric-skip sampler must not favour the first or last columns: over 4000 rows of
  // 40 columns at p = 0.1 each column is hit Binomial(4000, 0.1) times (mean 400, sd 19).
  SparseSpec s;
  s.rows = 4000;
  s.cols = 40;
  s.density = 0.1;
  ransim::Rng rng = ransim::make_rng(5, "columns");
  const Csr c = ransim::random_sparse(s, rng);
  std::vector<int> hits(s.cols, 0);
  for (auto j : c.col) ++hits[j];
  const double sd = std::sqrt(4000 * 0.1 * 0.9);
  for (std::size_t j = 0; j < s.cols; ++j) EXPECT_NEAR(hits[j], 400.0, 5 * sd) << "column " << j;
}

TEST(RandomSparse, WeightDistributionsHaveTheirMoments) {
  // normal N(0,1): mean 0, var 1; uniform U(-1,1): mean 0, var 1/3; bernoulli +-1: |w| = 1.
  // Sample means are checked to 5 standard errors (sd / sqrt(nnz)).
  for (auto [dist, var] :
       {std::pair{WeightDistribution::Normal, 1.0}, std::pair{WeightDistribution::Uniform, 1.0 / 3.0},
        std::pair{WeightDistribution::Bernoulli, 1.0}}) {
    SparseSpec s;
    s.rows = s.cols = 400;
    s.density = 0.25;
    s.distribution = dist;
    ransim::Rng rng = ransim::make_rng(3, "moments");
    const Csr c = ransim::random_sparse(s, rng);
    const double n = static_cast<double>(c.nnz());
    double m1 = 0, m2 = 0;
    for (double v : c.val) m1 += v, m2 += v * v;
    m1 /= n;
    m2 /= n;
    EXPECT_NEAR(m1, 0.0, 5 * std::sqrt(var / n));
    // var of v^2: normal 2, uniform 4/45, bernoulli 0.
    const double var2 = dist == WeightDistribution::Normal    ? 2.0
                        : dist == WeightDistribution::Uniform ? 4.0 / 45.0
                                                              : 0.0;
    EXPECT_NEAR(m2, var, 5 * std::sqrt(var2 / n) + 1e-12);
    if (dist == WeightDistribution::Uniform) {
      for (double v : c.val) ASSERT_TRUE(v >= -1.0 && v < 1.0);
    }
    if (dist == WeightDistribution::Bernoulli) {
      for (double v : c.val) ASSERT_TRUE(v == 1.0 || v == -1.0);
    }
  }
}

TEST(RandomSparse, ScaleMultipliesAllWeights) {
  // Same stream, scale 1 vs scale 2.5: identical structure, every weight times 2.5
  // (v * 2.5 is one correctly rounded product, so equality is exact).
  for (double radius : {0.0, 1.1}) {
    SparseSpec s;
    s.rows = s.cols = 120;
    s.density = 0.2;
    s.spectral_radius = radius;
    ransim::Rng r1 = ransim::make_rng(8, "scale");
    const Csr a = ransim::random_sparse(s, r1);
    s.scale = 2.5;
    ransim::Rng r2 = ransim::make_rng(8, "scale");
    const Csr b = ransim::random_sparse(s, r2);
    ASSERT_EQ(a.row_ptr, b.row_ptr);
    ASSERT_EQ(a.col, b.col);
    for (std::size_t k = 0; k < a.nnz(); ++k) ASSERT_EQ(b.val[k], a.val[k] * 2.5);
    // Applied after the spectral rescaling: the radius becomes radius * scale.
    if (radius > 0) {
      EXPECT_NEAR(dense_spectral_radius(dense(b)), 1.1 * 2.5, 1e-8);
    }
  }
}

TEST(RandomSparse, SameSeedSameMatrixDifferentSeedDifferent) {
  SparseSpec s;
  s.rows = 80;
  s.cols = 90;
  s.density = 0.15;
  auto draw = [&](std::uint64_t seed, const char* stream) {
    ransim::Rng r = ransim::make_rng(seed, stream);
    return ransim::random_sparse(s, r);
  };
  const Csr a = draw(4, "projection.res_to_res"), b = draw(4, "projection.res_to_res");
  EXPECT_EQ(a.row_ptr, b.row_ptr);
  EXPECT_EQ(a.col, b.col);
  EXPECT_EQ(a.val, b.val);
  const Csr c = draw(5, "projection.res_to_res"), d = draw(4, "projection.input_to_res");
  EXPECT_NE(a.val, c.val);
  EXPECT_NE(a.col, c.col);
  EXPECT_NE(a.val, d.val);
}

TEST(Csr, ToArmaAndFromArmaRoundTrip) {
  // to_arma must place every (row, col, val) where the plain-loop dense copy puts it.
  SparseSpec s;
  s.rows = 37;
  s.cols = 53;
  s.density = 0.2;
  ransim::Rng rng = ransim::make_rng(6, "arma");
  const Csr c = ransim::random_sparse(s, rng);
  const arma::sp_mat m = c.to_arma();
  ASSERT_EQ(m.n_rows, c.rows);
  ASSERT_EQ(m.n_cols, c.cols);
  EXPECT_EQ(arma::abs(arma::mat(m) - dense(c)).max(), 0.0);
  const Csr back = Csr::from_arma(m);
  EXPECT_EQ(back.row_ptr, c.row_ptr);
  EXPECT_EQ(back.col, c.col);
  EXPECT_EQ(back.val, c.val);
}

// ---------------------------------------------------------------------------------------
// 7. CsrProduct against a naive dense product.
// ---------------------------------------------------------------------------------------

// A matrix with rows of very different lengths, every fifth row empty (but not the middle
// row, where two threads split the work), a run of empty rows at the end; built by hand,
// independent of random_sparse.
Csr ragged_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> val(-1.0, 1.0);
  Csr c;
  c.rows = rows;
  c.cols = cols;
  c.row_ptr.push_back(0);
  std::vector<std::uint32_t> all(cols);
  for (std::size_t j = 0; j < cols; ++j) all[j] = static_cast<std::uint32_t>(j);
  for (std::size_t i = 0; i < rows; ++i) {
    std::size_t len = (i % 5 == 3 || i + 30 >= rows) ? 0 : 1 + gen() % 120;
    len = std::min(len, cols);
    std::shuffle(all.begin(), all.end(), gen);
    std::vector<std::uint32_t> pick(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(len));
    std::sort(pick.begin(), pick.end());
    for (auto j : pick) {
      c.col.push_back(j);
      c.val.push_back(val(gen));
    }
    c.row_ptr.push_back(static_cast<std::uint32_t>(c.val.size()));
  }
  return c;
}

// The products under test: the L1 size of this machine, a 1 KiB cache, so that every lane
// count above one runs in narrow panels of columns, and a cache so large that none does.
struct CacheCase {
  const char* name;
  std::size_t bytes;
};
const CacheCase kCaches[] = {{"this machine's L1", ransim::CsrProduct::l1_data_cache_bytes()},
                             {"1 KiB", 1024},
                             {"no panels", std::size_t{1} << 40}};

// check(product, pool, lanes) for every cache size, one and two threads, and each lane count
// in turn on one product: its panels follow the lanes.
template <class Check>
void for_each_product(const Csr& a, ransim::Precision precision,
                      std::initializer_list<std::size_t> lane_counts, Check check) {
  for (const CacheCase& cache : kCaches)
    for (std::size_t threads : {1u, 2u}) {
      ransim::ThreadPool pool(threads);
      ransim::CsrProduct product(a, precision, cache.bytes);
      for (std::size_t lanes : lane_counts) {
        SCOPED_TRACE(std::string(cache.name) + ", threads " + std::to_string(threads) + ", lanes " +
                     std::to_string(lanes));
        check(product, pool, lanes);
      }
    }
}

TEST(CsrProduct, PanelsWhenXIsWellBeyondTheCache) {
  // A panel's x fits in 7/8 of the cache given, or is wide enough for pieces of rows of ~16
  // nonzeros (16 x 100 x 500 / nnz columns, ~235 here: many empty rows), but holds at most 4/3 of
  // the cache; no panels while x fits in 4/3 of it.
  const Csr a = ragged_matrix(100, 500, 41);
  const std::size_t sixteen_nonzeros = 16 * 100 * 500 / a.nnz();
  ASSERT_GT(sixteen_nonzeros, 128u);  // so that 4/3 of the cache bounds the widths below
  const ransim::CsrProduct small(a, ransim::Precision::Double, 1536);  // panels of 2048 bytes
  EXPECT_EQ(small.panel_width(1), 0u);                                 // one lane never
  EXPECT_EQ(small.panel_width(3), 64u);  // 2048 / (3 lanes padded to 4 x 8 bytes)
  // A panel holds the widest lane block: 300 lanes padded to 304, the last block 64 + 48.
  EXPECT_EQ(small.panel_width(300), 2u);  // 2048 / (112 x 8)
  const ransim::CsrProduct single(a, ransim::Precision::Single, 1536);
  EXPECT_EQ(single.panel_width(3), 128u);  // 2048 / (3 lanes padded to 4 x 4 bytes)
  const ransim::CsrProduct l1(a, ransim::Precision::Double, 48 * 1024);
  EXPECT_EQ(l1.panel_width(64), 128u);  // x: 500 x 512 bytes, beyond 64 KiB: 64 KiB / 512
  EXPECT_EQ(l1.panel_width(32), std::min<std::size_t>(sixteen_nonzeros, 256u));  // beyond 64 KiB
  EXPECT_EQ(l1.panel_width(16), 0u);  // x: 500 x 128 bytes, within 64 KiB
  // 1000 x 1000 at density 0.1 (~100 nonzeros a row, 16 nonzeros in ~160 columns), 16 lanes:
  // 42 KiB (7/8 of 48 KiB) of x a panel, 336 columns of 128 bytes.
  ransim::SparseSpec spec;
  spec.rows = spec.cols = 1000;
  ransim::Rng rng = ransim::make_rng(3, "panels");
  const ransim::CsrProduct dense_rows(ransim::random_sparse(spec, rng), ransim::Precision::Double, 48 * 1024);
  EXPECT_EQ(dense_rows.panel_width(16), 336u);
  EXPECT_EQ(dense_rows.panel_width(8), 0u);  // x: 1000 x 64 bytes, within 64 KiB
}

TEST(CsrProduct, MatchesNaiveDenseProduct) {
  // Reference: y_ref(i, b) = y0(i, b) + sum_j A(i, j) x(j, b), dense plain loops.
  // The library sums in another order; the tolerance is 1e-13 of sum_j |A(i,j)| |x(j,b)|.
  // 127 lanes = 64 + 32 + 16 + 8 + 7: every chunk width of the lane kernel and the rest.
  const std::size_t rows = 2000, cols = 500;
  const Csr a = ragged_matrix(rows, cols, 42);
  expect_well_formed(a);
  const arma::mat ad = dense(a);
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for_each_product(a, ransim::Precision::Double, {1, 3, 40, 64, 127, 3},
                   [&](ransim::CsrProduct& product, ransim::ThreadPool& pool, std::size_t lanes) {
                     std::vector<double> x(cols * lanes), y(rows * lanes);
                     for (auto& v : x) v = dist(gen);
                     for (auto& v : y) v = dist(gen);  // the product is added onto y, not stored
                     std::vector<double> ref = y, mag(rows * lanes, 0.0);
                     for (std::size_t i = 0; i < rows; ++i)
                       for (std::size_t j = 0; j < cols; ++j)
                         if (ad(i, j) != 0.0)
                           for (std::size_t b = 0; b < lanes; ++b) {
                             ref[i * lanes + b] += ad(i, j) * x[j * lanes + b];
                             mag[i * lanes + b] += std::abs(ad(i, j) * x[j * lanes + b]);
                           }
                     product.multiply_add(ransim::ConstBlock{x.data(), cols, lanes},
                                          ransim::Block{y.data(), rows, lanes}, pool);
                     for (std::size_t i = 0; i < rows; ++i)
                       for (std::size_t b = 0; b < lanes; ++b)
                         ASSERT_NEAR(y[i * lanes + b], ref[i * lanes + b], 1e-13 * (1.0 + mag[i * lanes + b]))
                             << "row " << i << " lane " << b;
                   });
}

TEST(CsrProduct, TwoThreadsBitwiseEqualOneThread) {
  // Rows are split between threads, each row summed by the same code: no difference at all.
  // 2000 rows of ~48 nonzeros: the split threshold 20000 / ((nnz/row + 1) lanes) + 1 rows per
  // thread is exceeded for every lane count used here.
  const Csr a = ragged_matrix(2000, 500, 43);
  ransim::ThreadPool one(1), two(2);
  std::mt19937_64 gen(8);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (const CacheCase& cache : kCaches) {
    ransim::CsrProduct product(a, ransim::Precision::Double, cache.bytes);
    for (std::size_t lanes : {1u, 3u, 64u}) {
      std::vector<double> x(500 * lanes), y1(2000 * lanes), y2;
      for (auto& v : x) v = dist(gen);
      for (auto& v : y1) v = dist(gen);
      y2 = y1;
      product.multiply_add({x.data(), 500, lanes}, {y1.data(), 2000, lanes}, one);
      product.multiply_add({x.data(), 500, lanes}, {y2.data(), 2000, lanes}, two);
      EXPECT_EQ(y1, y2) << cache.name << ", lanes " << lanes;
    }
  }
}

TEST(CsrProduct, SinglePrecisionWithinTheFloatSummationBound) {
  // Reference: y0 + sum_j fl(A(i, j)) fl(x(j, b)), in double with plain loops from the
  // float-rounded inputs. Summing n products in float, in any order, errs by at most
  // gamma_n = n u / (1 - n u) times sum_j |A(i,j) x(j,b)|, u = 2^-24 (Higham, Accuracy and
  // Stability of Numerical Algorithms, 2nd ed., eq. 3.5); the final add to double y rounds
  // once more. In panels a row is summed piece by piece, each piece added onto y: a sum of
  // fewer float terms, within the same bound.
  const std::size_t rows = 2000, cols = 500;
  const Csr a = ragged_matrix(rows, cols, 44);
  std::mt19937_64 gen(9);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const double u = std::ldexp(1.0, -24);
  for_each_product(a, ransim::Precision::Single, {1, 3, 8, 40, 64, 127},
                   [&](ransim::CsrProduct& product, ransim::ThreadPool& pool, std::size_t lanes) {
                     std::vector<double> x(cols * lanes), y(rows * lanes);
                     for (auto& v : x) v = dist(gen);
                     for (auto& v : y) v = dist(gen);
                     std::vector<double> ref = y, mag(rows * lanes, 0.0);
                     std::vector<std::size_t> terms(rows);
                     for (std::size_t i = 0; i < rows; ++i) {
                       terms[i] = a.row_ptr[i + 1] - a.row_ptr[i];
                       for (std::size_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
                         for (std::size_t b = 0; b < lanes; ++b) {
                           const double p = double(float(a.val[k])) * double(float(x[a.col[k] * lanes + b]));
                           ref[i * lanes + b] += p;
                           mag[i * lanes + b] += std::abs(p);
                         }
                     }
                     product.multiply_add(ransim::ConstBlock{x.data(), cols, lanes},
                                          ransim::Block{y.data(), rows, lanes}, pool);
                     double worst = 0;  // deviation / bound
                     for (std::size_t i = 0; i < rows; ++i) {
                       const double n = static_cast<double>(terms[i]);
                       const double gamma = n * u / (1.0 - n * u);
                       for (std::size_t b = 0; b < lanes; ++b) {
                         const double r = ref[i * lanes + b];
                         const double bound = gamma * mag[i * lanes + b] + 1e-15 * std::abs(r);
                         ASSERT_LE(std::abs(y[i * lanes + b] - r), bound) << "row " << i << " lane " << b;
                         if (bound > 0) worst = std::max(worst, std::abs(y[i * lanes + b] - r) / bound);
                       }
                     }
                     EXPECT_GT(worst, 1e-3);  // float sums: double ones would sit ~1e-10 of the bound
                   });
}

TEST(SparseProjection, SinglePrecisionRecordsTheRoundedWeightsItUses) {
  ransim::Rng rng = ransim::make_rng(5, "single");
  SparseSpec spec;
  spec.rows = spec.cols = 300;
  const Csr w = ransim::random_sparse(spec, rng);
  const ransim::SourceRef src{"res", false, 0, 300};
  const ransim::SparseProjection dbl(src, w), sgl(src, w, ransim::Precision::Single);
  const Csr d = dbl.matrices()[0].second, s = sgl.matrices()[0].second;  // what is recorded
  EXPECT_EQ(d.val, w.val);
  ASSERT_EQ(s.col, w.col);
  ASSERT_EQ(s.row_ptr, w.row_ptr);
  std::size_t changed = 0;
  for (std::size_t k = 0; k < w.nnz(); ++k) {
    EXPECT_EQ(s.val[k], double(float(w.val[k])));
    changed += s.val[k] != w.val[k];
  }
  EXPECT_GT(changed, w.nnz() / 2);  // normal draws are almost never floats already
}

TEST(CsrProduct, EmptyMatrixLeavesYUnchanged) {
  Csr a;
  a.rows = 5;
  a.cols = 3;
  a.row_ptr.assign(6, 0);
  ransim::ThreadPool pool(2);
  std::vector<double> x = {1, 2, 3, 4, 5, 6}, y = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> y0 = y;
  for (std::size_t cache : {std::size_t{8}, std::size_t{1} << 20}) {  // panels or not
    ransim::CsrProduct product(a, ransim::Precision::Double, cache);
    product.multiply_add({x.data(), 3, 2}, {y.data(), 5, 2}, pool);
    EXPECT_EQ(y, y0);
  }
}

// ---------------------------------------------------------------------------------------
// 8. Identity routing.
// ---------------------------------------------------------------------------------------

std::vector<ransim::SourceRef> routing_sources() {
  // The input (3 values) and two populations at offsets 0 and 5 of a 12-variable state.
  return {{"input", true, 0, 3}, {"a", false, 0, 5}, {"b", false, 5, 7}};
}

// Hits of each source value: hits[source][value].
std::vector<std::vector<int>> routing_hits(const std::vector<ransim::RoutingProjection::Route>& routes,
                                           const std::vector<ransim::SourceRef>& sources) {
  std::vector<std::vector<int>> hits;
  for (auto& s : sources) hits.emplace_back(s.size, 0);
  for (auto& r : routes) {
    EXPECT_LT(r.source, sources.size());
    if (r.source >= sources.size() || r.var >= sources[r.source].size) {
      ADD_FAILURE() << "route to a value that does not exist";
      continue;
    }
    ++hits[r.source][r.var];
  }
  return hits;
}

TEST(Routing, EnoughValuesUseEachAtMostOnceSharedBySize) {
  // 15 values for 10 slots: by size the quotas are 2, 3.33, 4.67 -> 2, 3, 5 by largest
  // remainder, each a choice of distinct values.
  const auto sources = routing_sources();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    ransim::Rng rng = ransim::make_rng(seed, "routing");
    const auto routes = ransim::random_routing(10, sources, rng);
    ASSERT_EQ(routes.size(), 10u);
    const auto hits = routing_hits(routes, sources);
    const std::vector<int> expected = {2, 3, 5};
    for (std::size_t s = 0; s < sources.size(); ++s) {
      int used = 0;
      for (int h : hits[s]) {
        EXPECT_LE(h, 1) << sources[s].name << ", seed " << seed;
        used += h;
      }
      EXPECT_EQ(used, expected[s]) << sources[s].name << ", seed " << seed;
    }
  }
}

TEST(Routing, FewerValuesAreAllUsedAsEvenlyAsPossible) {
  // 15 values for 40 slots: quotas 8, 13.33, 18.67 -> 8, 13, 19; within a source of n values
  // and k slots each value is used floor(k / n) or ceil(k / n) times.
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(5, "routing");
  const auto hits = routing_hits(ransim::random_routing(40, sources, rng), sources);
  const std::vector<int> expected = {8, 13, 19};
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const int n = static_cast<int>(sources[s].size), lo = expected[s] / n;
    int used = 0;
    for (int h : hits[s]) {
      EXPECT_TRUE(h == lo || h == lo + 1) << sources[s].name << ": " << h;
      used += h;
    }
    EXPECT_EQ(used, expected[s]) << sources[s].name;
  }
}

TEST(Routing, ShareSplitsTheSlotsAndEverySourceGetsOne) {
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(6, "routing");
  // share 1 : 1 : 2 of 8 slots -> 2, 2, 4.
  auto hits = routing_hits(ransim::random_routing(8, sources, rng, {1, 1, 2}), sources);
  const std::vector<int> expected = {2, 2, 4};
  for (std::size_t s = 0; s < sources.size(); ++s) {
    int used = 0;
    for (int h : hits[s]) used += h;
    EXPECT_EQ(used, expected[s]) << sources[s].name;
  }
  // A tiny share still reaches one slot: quotas 0.03, 0.03, 2.94 -> 1, 1, 1.
  hits = routing_hits(ransim::random_routing(3, sources, rng, {0.01, 0.01, 0.98}), sources);
  for (std::size_t s = 0; s < sources.size(); ++s) {
    int used = 0;
    for (int h : hits[s]) used += h;
    EXPECT_EQ(used, 1) << sources[s].name;
  }
}

TEST(Routing, TooFewSlotsNameTheSourceLeftOut) {
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(7, "routing");
  try {
    ransim::random_routing(2, sources, rng);
    ADD_FAILURE() << "no error";
  } catch (const ransim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("2 slots for 3 sources: source 'b' would reach none"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ransim::random_routing(8, sources, rng, {1, 2}), ransim::InputError);
}

TEST(Routing, IndependentMapDrawsEachSlotOnItsOwn) {
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(3, "routing");
  const std::size_t slots = 15000;
  const auto routes = ransim::independent_routing(slots, sources, rng);
  ASSERT_EQ(routes.size(), slots);
  // Each of the 15 source values is equally likely: Binomial(15000, 1/15) hits each,
  // mean 1000, sd 30.6; all within 5 sd, and every one is valid.
  const auto hits = routing_hits(routes, sources);
  const double sd = std::sqrt(15000.0 * (1.0 / 15) * (14.0 / 15));
  for (std::size_t s = 0; s < sources.size(); ++s)
    for (std::size_t v = 0; v < sources[s].size; ++v)
      EXPECT_NEAR(hits[s][v], 1000.0, 5 * sd) << sources[s].name << "[" << v << "]";

  std::vector<ransim::SourceRef> none = {{"input", true, 0, 0}};
  EXPECT_THROW(ransim::independent_routing(4, none, rng), ransim::InputError);
  EXPECT_THROW(ransim::random_routing(4, none, rng), ransim::InputError);
}

TEST(Routing, ApplyIsAGatherTimesGain) {
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(4, "routing");
  const std::size_t slots = 40, lanes = 3;
  const double gain = -0.75;
  auto routes = ransim::random_routing(slots, sources, rng);
  const ransim::RoutingProjection proj(sources, routes, gain);
  EXPECT_EQ(proj.kind(), "identity");

  std::mt19937_64 gen(9);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> input(3 * lanes), state(12 * lanes), drive(slots * lanes);
  for (auto& v : input) v = dist(gen);
  for (auto& v : state) v = dist(gen);
  for (auto& v : drive) v = dist(gen);
  // Naive gather: slot i, lane b += gain * (value routed to i in lane b).
  std::vector<double> ref = drive;
  for (std::size_t i = 0; i < slots; ++i) {
    const auto& s = sources[routes[i].source];
    for (std::size_t b = 0; b < lanes; ++b) {
      const double v =
          s.is_input ? input[routes[i].var * lanes + b] : state[(s.offset + routes[i].var) * lanes + b];
      ref[i * lanes + b] += gain * v;
    }
  }
  ransim::ThreadPool pool(1);
  proj.apply({input.data(), 3, lanes}, {state.data(), 12, lanes}, {drive.data(), slots, lanes}, pool);
  EXPECT_EQ(drive, ref);  // one product and one sum per entry, as in the reference
}

TEST(Routing, MatricesHaveOneNonzeroPerRowOverall) {
  const auto sources = routing_sources();
  ransim::Rng rng = ransim::make_rng(5, "routing");
  const std::size_t slots = 64;
  const double gain = 1.5;
  const auto routes = ransim::random_routing(slots, sources, rng);
  const ransim::RoutingProjection proj(sources, routes, gain);
  const auto mats = proj.matrices();
  ASSERT_EQ(mats.size(), sources.size());
  std::vector<int> per_row(slots, 0);
  for (std::size_t s = 0; s < mats.size(); ++s) {
    const auto& [src, c] = mats[s];
    EXPECT_EQ(src.name, sources[s].name);
    EXPECT_EQ(c.rows, slots);
    EXPECT_EQ(c.cols, sources[s].size);
    expect_well_formed(c);
    for (std::size_t i = 0; i < slots; ++i)
      for (std::size_t k = c.row_ptr[i]; k < c.row_ptr[i + 1]; ++k) {
        ++per_row[i];
        EXPECT_EQ(routes[i].source, s);
        EXPECT_EQ(c.col[k], routes[i].var);
        EXPECT_EQ(c.val[k], gain);
      }
  }
  for (std::size_t i = 0; i < slots; ++i) EXPECT_EQ(per_row[i], 1) << "row " << i;
}

}  // namespace
