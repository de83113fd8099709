// The window layout of single-precision one-lane products (engine/csr_window.hpp): the layout
// holds every nonzero once; the portable and the AVX-512 kernel agree to the bit, on one and two
// threads; both are within the float summation bound of a plain loop over the nonzeros,
// gamma_n = n u / (1 - n u) of sum |a x|, u = 2^-24 (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 3.5); a lane without a nonzero in a window takes nothing from it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include <armadillo>

#include "engine/csr_product.hpp"
#include "engine/csr_window.hpp"
#include "ransim/thread_pool.hpp"

namespace {

using ransim::Csr;
using ransim::OneLaneKernel;
using ransim::one_lane::Windows;

// Each entry a nonzero with probability `density` (Armadillo's sprandu, values moved to [-1, 1)),
// as in a reservoir's recurrent matrix.
Csr bernoulli_rows(std::size_t rows, std::size_t cols, double density, arma::arma_rng::seed_type seed) {
  arma::arma_rng::set_seed(seed);
  arma::sp_mat m = arma::sprandu<arma::sp_mat>(rows, cols, density);
  m.for_each([](arma::sp_mat::elem_type& v) { v = 2 * v - 1; });
  return Csr::from_arma(m);
}

std::vector<OneLaneKernel> window_kernels() {
  std::vector<OneLaneKernel> out{OneLaneKernel::Window};
  if (ransim::CsrProduct::supported(OneLaneKernel::Window512)) out.push_back(OneLaneKernel::Window512);
  return out;
}

TEST(CsrWindow, LayoutHoldsEveryNonzeroOnceInWindowsOf32Columns) {
  const Csr a = bernoulli_rows(77, 300, 0.15, 1);  // 77 rows: the last slice is not full
  const std::vector<float> w(a.val.begin(), a.val.end());
  const Windows win(a.rows, a.row_ptr.data(), a.col.data(), w.data());
  std::map<std::pair<std::size_t, std::size_t>, float> seen;
  for (std::size_t s = 0; s < win.slices(); ++s) {
    EXPECT_EQ((win.slice_step[s + 1] - win.slice_step[s]) % Windows::kUnroll, 0u);
    for (std::size_t t = win.slice_step[s]; t < win.slice_step[s + 1]; ++t)
      for (std::size_t l = 0; l < Windows::kLanes; ++l) {
        const std::size_t i = t * Windows::kLanes + l;
        if (!(win.lanes[t] >> l & 1u)) {
          EXPECT_EQ(win.val[i], 0.0f);
          continue;
        }
        ASSERT_LT(win.offset[i], Windows::kWidth);
        const auto key = std::make_pair(s * Windows::kLanes + l, std::size_t{win.base[t]} + win.offset[i]);
        EXPECT_EQ(seen.count(key), 0u) << "a nonzero twice";
        seen[key] = win.val[i];
      }
  }
  ASSERT_EQ(seen.size(), a.nnz());
  for (std::size_t r = 0; r < a.rows; ++r)
    for (std::size_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k)
      EXPECT_EQ(seen.at({r, std::size_t{a.col[k]}}), w[k]);
}

TEST(CsrWindow, KernelsAgreeToTheBitAndWithinTheFloatSummationBound) {
  std::mt19937_64 gen(2);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const double u = std::ldexp(1.0, -24);
  for (const Csr& a : {bernoulli_rows(500, 400, 0.1, 3), bernoulli_rows(1000, 1000, 0.1, 4),
                       bernoulli_rows(13, 40, 0.5, 5), bernoulli_rows(90, 3000, 0.1, 6)}) {
    const std::vector<float> w(a.val.begin(), a.val.end());
    const Windows win(a.rows, a.row_ptr.data(), a.col.data(), w.data());
    ASSERT_TRUE(win.worthwhile(a.nnz()))
        << a.rows << " rows: " << win.val.size() << " slots, " << a.nnz() << " nonzeros";
    std::vector<double> x(a.cols), y0(a.rows);
    for (auto& v : x) v = dist(gen);
    for (auto& v : y0) v = dist(gen);
    std::vector<std::vector<double>> results;
    for (OneLaneKernel kernel : window_kernels())
      for (std::size_t threads : {1u, 2u}) {
        SCOPED_TRACE(std::string(ransim::kernel_name(kernel)) + ", " + std::to_string(a.rows) +
                     " rows, threads " + std::to_string(threads));
        ransim::ThreadPool pool(threads);
        ransim::CsrProduct product(a, ransim::Precision::Single);
        product.use_one_lane_kernel(kernel);
        std::vector<double> y = y0;
        product.multiply_add({x.data(), a.cols, 1}, {y.data(), a.rows, 1}, pool);
        for (std::size_t i = 0; i < a.rows; ++i) {
          double exact = y0[i], magnitude = 0;
          for (std::size_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
            const double term =
                double(static_cast<float>(a.val[k])) * double(static_cast<float>(x[a.col[k]]));
            exact += term;
            magnitude += std::abs(term);
          }
          const double n = static_cast<double>(a.row_ptr[i + 1] - a.row_ptr[i]) + 1;  // + the add onto y
          ASSERT_LE(std::abs(y[i] - exact), n * u / (1 - n * u) * magnitude + 1e-15 * std::abs(exact))
              << "row " << i;
        }
        results.push_back(y);
      }
    for (const auto& y : results)
      EXPECT_TRUE(y == results.front()) << "window kernels disagree in their bits";
  }
}

TEST(CsrWindow, LanesWithoutANonzeroInAWindowTakeNothingFromIt) {
  // Row 0 uses column 5 only; row 1 uses column 6, in the same windows: an inf in x at column 6
  // must not reach row 0 (a zero weight times inf would be NaN).
  Csr a;
  a.rows = 2;
  a.cols = 8;
  a.row_ptr = {0, 1, 2};
  a.col = {5, 6};
  a.val = {0.5, 2.0};
  std::vector<double> x(8, 1.0);
  x[6] = std::numeric_limits<double>::infinity();
  for (OneLaneKernel kernel : window_kernels()) {
    ransim::ThreadPool pool(1);
    ransim::CsrProduct product(a, ransim::Precision::Single);
    product.use_one_lane_kernel(kernel);
    std::vector<double> y(2, 0.0);
    product.multiply_add({x.data(), a.cols, 1}, {y.data(), a.rows, 1}, pool);
    EXPECT_EQ(y[0], 0.5) << ransim::kernel_name(kernel);
    EXPECT_TRUE(std::isinf(y[1])) << ransim::kernel_name(kernel);
  }
}

TEST(CsrWindow, ScatteredColumnsKeepTheRowKernels) {
  // Sixteen rows of one nonzero, 100 columns apart: sixteen steps of one lane each, 16 lane slots
  // a nonzero; the product runs insert_packed instead, to the same bits.
  Csr a;
  a.rows = 16;
  a.cols = 1600;
  for (std::size_t r = 0; r <= 16; ++r) a.row_ptr.push_back(static_cast<std::uint32_t>(r));
  for (std::uint32_t r = 0; r < 16; ++r) {
    a.col.push_back(100 * r);
    a.val.push_back(0.25 + r);
  }
  const std::vector<float> w(a.val.begin(), a.val.end());
  EXPECT_FALSE(Windows(a.rows, a.row_ptr.data(), a.col.data(), w.data()).worthwhile(a.nnz()));
  std::vector<double> x(a.cols);
  for (std::size_t j = 0; j < a.cols; ++j) x[j] = 0.001 * static_cast<double>(j) - 0.3;
  ransim::ThreadPool pool(1);
  std::vector<std::vector<double>> results;
  for (OneLaneKernel kernel : {OneLaneKernel::Window, OneLaneKernel::InsertPacked}) {
    ransim::CsrProduct product(a, ransim::Precision::Single);
    product.use_one_lane_kernel(kernel);
    std::vector<double> y(a.rows, 1.0);
    product.multiply_add({x.data(), a.cols, 1}, {y.data(), a.rows, 1}, pool);
    results.push_back(y);
  }
  EXPECT_TRUE(results[0] == results[1]);
}

TEST(CsrWindow, SinglePrecisionOnly) {
  ransim::CsrProduct product(bernoulli_rows(10, 10, 0.5, 6));
  EXPECT_THROW(product.use_one_lane_kernel(OneLaneKernel::Window), std::invalid_argument);
  EXPECT_STREQ(ransim::kernel_name(OneLaneKernel::Window512), "window512");
  EXPECT_NE(ransim::CsrProduct::one_lane_kernel(ransim::Precision::Double), OneLaneKernel::Window);
  EXPECT_NE(ransim::CsrProduct::one_lane_kernel(ransim::Precision::Double), OneLaneKernel::Window512);
}

}  // namespace
