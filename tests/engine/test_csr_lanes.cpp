// CsrProduct over the lane counts of the lane sweep (bench/bench_lanes.cpp), multiples of the
// vector width and not, against a naive product: plain loops over a dense copy of the matrix.
// Then each one-lane kernel this CPU runs (engine/csr_one_lane.hpp), with 16- and 32-bit
// column indices, against a plain loop over the nonzeros, and against each other.
//
// Tolerances: in double, 1e-13 of sum_j |A(i,j) x(j,b)| (the library sums in another order);
// in single, the float summation bound gamma_n = n u / (1 - n u) of the same sum, u = 2^-24
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5). The one-lane
// kernels sum in the same order: with FMA in the build they agree to the bit; without it the
// insert kernel rounds each product and the gather kernels (compiled with FMA) do not, and
// they are held to the bounds above only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/csr_product.hpp"
#include "ransim/lanes.hpp"
#include "ransim/thread_pool.hpp"

namespace {

using ransim::Csr;

const std::size_t kLaneCounts[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 63, 64, 65, 127, 128, 129, 256};

// Rows of 0 to longest nonzeros in random columns (every seventh row empty), drawn with the
// standard library, independent of random_sparse.
Csr random_rows(std::size_t rows, std::size_t cols, std::uint64_t seed, std::size_t longest = 60) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> val(-1.0, 1.0);
  Csr c;
  c.rows = rows;
  c.cols = cols;
  c.row_ptr.push_back(0);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t len = i % 7 == 2 ? 0 : gen() % (longest + 1);
    std::vector<bool> taken(cols, false);
    for (std::size_t k = 0; k < len; ++k) taken[gen() % cols] = true;
    for (std::size_t j = 0; j < cols; ++j)
      if (taken[j]) {
        c.col.push_back(static_cast<std::uint32_t>(j));
        c.val.push_back(val(gen));
      }
    c.row_ptr.push_back(static_cast<std::uint32_t>(c.val.size()));
  }
  return c;
}

// The inputs rounded as the product rounds them: not at all in double, to float in single.
double rounded(double v, ransim::Precision p) {
  return p == ransim::Precision::Single ? double(static_cast<float>(v)) : v;
}

// y0 + A x and sum |A x| per (row, lane), with plain loops over a dense copy of A.
struct Reference {
  std::vector<double> y, magnitude;
  std::vector<std::size_t> terms;  // nonzeros per row
};
Reference naive_product(const Csr& a, const std::vector<double>& x, const std::vector<double>& y0,
                        std::size_t lanes, ransim::Precision p) {
  std::vector<double> dense(a.rows * a.cols, 0.0);
  Reference r{y0, std::vector<double>(a.rows * lanes, 0.0), std::vector<std::size_t>(a.rows, 0)};
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) dense[i * a.cols + a.col[k]] = a.val[k];
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j) {
      const double w = rounded(dense[i * a.cols + j], p);
      if (w == 0.0) continue;
      ++r.terms[i];
      for (std::size_t b = 0; b < lanes; ++b) {
        const double term = w * rounded(x[j * lanes + b], p);
        r.y[i * lanes + b] += term;
        r.magnitude[i * lanes + b] += std::abs(term);
      }
    }
  return r;
}

void check_lane_sweep(ransim::Precision precision, std::size_t longest_row = 60) {
  const std::size_t rows = 700, cols = 400, guard = 24;
  const Csr a = random_rows(rows, cols, 51, longest_row);
  std::mt19937_64 gen(52);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const double u = std::ldexp(1.0, -24);
  // This machine's L1; a 2 KiB cache, so that many lanes run in narrow panels and in lane
  // blocks; and a cache so large that no lane count uses panels.
  for (std::size_t cache :
       {ransim::CsrProduct::l1_data_cache_bytes(), std::size_t{2048}, std::size_t{1} << 40})
    for (std::size_t threads : {1u, 2u}) {
      ransim::ThreadPool pool(threads);
      ransim::CsrProduct product(a, precision, cache);
      for (std::size_t lanes : kLaneCounts) {
        SCOPED_TRACE("cache " + std::to_string(cache) + ", threads " + std::to_string(threads) + ", lanes " +
                     std::to_string(lanes));
        ransim::LaneVector<double> x(cols * lanes), y(rows * lanes + guard);
        for (auto& v : x) v = dist(gen);
        for (auto& v : y) v = dist(gen);  // the product is added onto y; the guard stays as it is
        const std::vector<double> x_copy(x.begin(), x.end()), y0(y.begin(), y.end());
        const Reference ref = naive_product(a, x_copy, y0, lanes, precision);
        product.multiply_add({x.data(), cols, lanes}, {y.data(), rows, lanes}, pool);
        for (std::size_t i = 0; i < rows; ++i)
          for (std::size_t b = 0; b < lanes; ++b) {
            const std::size_t at = i * lanes + b;
            const double n = static_cast<double>(ref.terms[i]);
            const double bound =
                precision == ransim::Precision::Double
                    ? 1e-13 * (1.0 + ref.magnitude[at])
                    : n * u / (1.0 - n * u) * ref.magnitude[at] + 1e-15 * std::abs(ref.y[at]);
            ASSERT_LE(std::abs(y[at] - ref.y[at]), bound) << "row " << i << " lane " << b;
          }
        for (std::size_t g = rows * lanes; g < y.size(); ++g) ASSERT_EQ(y[g], y0[g]) << "past the block";
        EXPECT_EQ(std::vector<double>(x.begin(), x.end()), x_copy);  // x is read, never written
      }
    }
}

TEST(CsrLanes, DoubleMatchesNaiveProductAtEveryLaneCount) { check_lane_sweep(ransim::Precision::Double); }
TEST(CsrLanes, SingleWithinTheFloatSummationBoundAtEveryLaneCount) {
  check_lane_sweep(ransim::Precision::Single);
}
// Rows of at most one nonzero (a one-dimensional input's projection) take their own loop.
TEST(CsrLanes, RowsOfOneNonzeroMatchNaiveProductAtEveryLaneCount) {
  check_lane_sweep(ransim::Precision::Double, 1);
  check_lane_sweep(ransim::Precision::Single, 1);
}

TEST(CsrLanes, TwoThreadsBitwiseEqualOneThreadAtOddLaneCounts) {
  // Rows are split between threads, lanes are not: each (row, lane) is summed by the same code.
  // The second matrix has rows of at most one nonzero, which take their own loop.
  const Csr matrices[] = {random_rows(2000, 300, 53), random_rows(2000, 300, 55, 1)};
  ransim::ThreadPool one(1), two(2);
  std::mt19937_64 gen(54);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (const Csr& a : matrices)
    for (std::size_t cache : {std::size_t{2048}, std::size_t{1} << 40})
      for (ransim::Precision p : {ransim::Precision::Double, ransim::Precision::Single}) {
        ransim::CsrProduct product(a, p, cache);
        for (std::size_t lanes : {2u, 3u, 7u, 9u, 65u, 129u}) {
          ransim::LaneVector<double> x(300 * lanes), y1(2000 * lanes), y2;
          for (auto& v : x) v = dist(gen);
          for (auto& v : y1) v = dist(gen);
          y2 = y1;
          product.multiply_add({x.data(), 300, lanes}, {y1.data(), 2000, lanes}, one);
          product.multiply_add({x.data(), 300, lanes}, {y2.data(), 2000, lanes}, two);
          EXPECT_TRUE(y1 == y2) << "cache " << cache << ", lanes " << lanes;
        }
      }
}

// y0 + A x for one lane and sum |A x| per row, a plain loop over the nonzeros in double.
Reference naive_one_lane(const Csr& a, const std::vector<double>& x, const std::vector<double>& y0,
                         ransim::Precision p) {
  Reference r{y0, std::vector<double>(a.rows, 0.0), std::vector<std::size_t>(a.rows, 0)};
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
      const double term = rounded(a.val[k], p) * rounded(x[a.col[k]], p);
      r.y[i] += term;
      r.magnitude[i] += std::abs(term);
      ++r.terms[i];
    }
  return r;
}

std::vector<ransim::OneLaneKernel> supported_kernels() {
  std::vector<ransim::OneLaneKernel> out;
  for (auto k : {ransim::OneLaneKernel::Insert, ransim::OneLaneKernel::InsertPacked,
                 ransim::OneLaneKernel::Gather256, ransim::OneLaneKernel::Gather512})
    if (ransim::CsrProduct::supported(k)) out.push_back(k);
  return out;
}

// 400 columns take 16-bit indices, 70 000 keep 32-bit ones.
TEST(CsrLanes, EveryOneLaneKernelMatchesNaiveProductAndTheOthers) {
  EXPECT_TRUE(ransim::CsrProduct::supported(ransim::OneLaneKernel::Insert));
  EXPECT_TRUE(ransim::CsrProduct::supported(ransim::OneLaneKernel::InsertPacked));
  std::mt19937_64 gen(55);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const double u = std::ldexp(1.0, -24);
  for (std::size_t cols : {std::size_t{400}, std::size_t{70000}})
    for (ransim::Precision p : {ransim::Precision::Double, ransim::Precision::Single}) {
      const Csr a = random_rows(500, cols, 56 + cols);
      std::vector<double> x(cols), y0(a.rows);
      for (auto& v : x) v = dist(gen);
      for (auto& v : y0) v = dist(gen);
      const Reference ref = naive_one_lane(a, x, y0, p);
      std::vector<std::vector<double>> results;
      for (ransim::OneLaneKernel kernel : supported_kernels())
        for (std::size_t threads : {1u, 2u}) {
          SCOPED_TRACE(std::string(ransim::kernel_name(kernel)) + ", " + std::to_string(cols) + " columns, " +
                       (p == ransim::Precision::Double ? "double" : "single") + ", threads " +
                       std::to_string(threads));
          ransim::ThreadPool pool(threads);
          ransim::CsrProduct product(a, p);
          product.use_one_lane_kernel(kernel);
          std::vector<double> y = y0;
          product.multiply_add({x.data(), cols, 1}, {y.data(), a.rows, 1}, pool);
          for (std::size_t i = 0; i < a.rows; ++i) {
            const double n = static_cast<double>(ref.terms[i]);
            const double bound = p == ransim::Precision::Double
                                     ? 1e-13 * (1.0 + ref.magnitude[i])
                                     : n * u / (1.0 - n * u) * ref.magnitude[i] + 1e-15 * std::abs(ref.y[i]);
            ASSERT_LE(std::abs(y[i] - ref.y[i]), bound) << "row " << i;
          }
          results.push_back(y);
        }
#ifdef __FMA__
      for (const auto& y : results) EXPECT_TRUE(y == results.front()) << "kernels disagree in their bits";
#endif
    }
}

TEST(CsrLanes, TheChosenOneLaneKernelRunsHereAndOthersAreRefused) {
  for (ransim::Precision p : {ransim::Precision::Double, ransim::Precision::Single})
    EXPECT_TRUE(ransim::CsrProduct::supported(ransim::CsrProduct::one_lane_kernel(p)));
  EXPECT_NE(ransim::CsrProduct::one_lane_kernel_report().find("16-bit"), std::string::npos);
  ransim::CsrProduct product(random_rows(10, 10, 57));
  for (auto k : {ransim::OneLaneKernel::Gather256, ransim::OneLaneKernel::Gather512})
    if (!ransim::CsrProduct::supported(k)) {
      EXPECT_THROW(product.use_one_lane_kernel(k), std::invalid_argument);
    }
  EXPECT_STREQ(ransim::kernel_name(ransim::OneLaneKernel::Gather512), "gather512");
  EXPECT_STREQ(ransim::kernel_name(ransim::OneLaneKernel::InsertPacked), "insert_packed");
}

}  // namespace
