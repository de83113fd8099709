#pragma once
// The window layout of a single-precision one-lane product (CsrProduct, engine/csr_product.hpp)
// and its two kernels. Included by csr_product.cpp only.
//
// The row kernels (csr_one_lane.hpp) fetch x one nonzero at a time: a load and an insert per
// nonzero, which bounds them on CPUs whose gathers are slow. Here sixteen rows (a slice) run
// side by side, one per lane of a 16-float vector, and x is fetched a window at a time: each
// step of a slice covers the 32 columns from `base` (the smallest next column of its rows), every
// row whose next nonzero lies there takes it, and one permute picks each lane's x from the two
// 16-float vectors of the window. A row with no nonzero in the window sits the step out (its lane
// is masked off, so an inf or NaN elsewhere in x does not reach it). On random matrices a step
// fills ~70 % of its lanes; a matrix whose steps would fill fewer than half (scattered columns)
// keeps the row kernels (worthwhile()).
//
// The order, the same in both kernels: the nonzeros of row r in column order, the one taken in
// step t of its slice fused (fma) into accumulator t mod 4; then (a0 + a1) + (a2 + a3) in float,
// added to the double y. Steps are padded to a multiple of four with empty ones.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RANSIM_HAVE_WINDOW512 1
#endif

namespace ransim::one_lane {

struct Windows {
  static constexpr std::size_t kLanes = 16;  // rows of a slice: floats in a 64-byte vector
  static constexpr std::size_t kWidth = 32;  // columns of a window: two such vectors of x
  static constexpr std::size_t kUnroll = 4;  // accumulators, so that the sums do not wait on each other

  std::size_t rows = 0;
  std::vector<std::uint32_t> slice_step{0};  // slices + 1: the first step of each slice
  std::vector<std::uint32_t> base;           // per step: the first column of its window
  std::vector<std::uint16_t> lanes;          // per step: the lanes that take a nonzero
  std::vector<std::uint8_t> offset;          // per step and lane: column - base
  std::vector<float> val;                    // per step and lane: the weight (0 where none)

  // From CSR rows (row_ptr, col sorted within each row, weights already in float).
  Windows(std::size_t rows_, const std::uint32_t* row_ptr, const std::uint32_t* col, const float* weight)
      : rows(rows_) {
    for (std::size_t r0 = 0; r0 < rows; r0 += kLanes) {
      std::size_t next[kLanes], end[kLanes];
      for (std::size_t l = 0; l < kLanes; ++l) {
        next[l] = r0 + l < rows ? row_ptr[r0 + l] : 0;
        end[l] = r0 + l < rows ? row_ptr[r0 + l + 1] : 0;
      }
      for (;;) {
        std::uint32_t first = UINT32_MAX;
        for (std::size_t l = 0; l < kLanes; ++l)
          if (next[l] < end[l]) first = std::min(first, col[next[l]]);
        if (first == UINT32_MAX) break;
        std::uint16_t taken = 0;
        for (std::size_t l = 0; l < kLanes; ++l) {
          const bool take = next[l] < end[l] && col[next[l]] - first < kWidth;
          offset.push_back(take ? static_cast<std::uint8_t>(col[next[l]] - first) : 0);
          val.push_back(take ? weight[next[l]] : 0.0f);
          if (take) taken = static_cast<std::uint16_t>(taken | 1u << l), ++next[l];
        }
        base.push_back(first);
        lanes.push_back(taken);
      }
      while ((base.size() - slice_step.back()) % kUnroll) {
        base.push_back(0);
        lanes.push_back(0);
        offset.insert(offset.end(), kLanes, 0);
        val.insert(val.end(), kLanes, 0.0f);
      }
      slice_step.push_back(static_cast<std::uint32_t>(base.size()));
    }
  }
  std::size_t slices() const { return slice_step.size() - 1; }
  // At most two lane slots a nonzero: beyond that the windows read more than the rows.
  bool worthwhile(std::size_t nnz) const { return val.size() <= 2 * std::max<std::size_t>(nnz, 1); }
};

// Slices s0..s1 of y += A x; x holds kWidth readable floats beyond its last column.
inline void windows_portable(const Windows& w, const float* x, double* y, std::size_t s0, std::size_t s1) {
  constexpr std::size_t L = Windows::kLanes, U = Windows::kUnroll;
  for (std::size_t s = s0; s < s1; ++s) {
    float acc[U][L] = {};
    for (std::size_t t = w.slice_step[s]; t < w.slice_step[s + 1]; ++t)
      for (std::size_t l = 0; l < L; ++l)
        if (w.lanes[t] >> l & 1u)
          acc[t % U][l] = std::fma(w.val[t * L + l], x[w.base[t] + w.offset[t * L + l]], acc[t % U][l]);
    for (std::size_t l = 0; l < L && s * L + l < w.rows; ++l)
      y[s * L + l] += (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
  }
}

#ifdef RANSIM_HAVE_WINDOW512
// The same with AVX-512 (compiled for it whatever the build's flags; run where the CPU has it).
__attribute__((target("avx512f"))) inline void windows512(const Windows& w, const float* x, double* y,
                                                          std::size_t s0, std::size_t s1) {
  constexpr std::size_t L = Windows::kLanes;
  const std::uint32_t* base = w.base.data();
  const std::uint16_t* lanes = w.lanes.data();
  const std::uint8_t* offset = w.offset.data();
  const float* val = w.val.data();
  for (std::size_t s = s0; s < s1; ++s) {
    __m512 acc[Windows::kUnroll] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                                    _mm512_setzero_ps()};
    for (std::size_t t = w.slice_step[s]; t < w.slice_step[s + 1]; t += Windows::kUnroll)
#pragma GCC unroll 4
      for (std::size_t u = 0; u < Windows::kUnroll; ++u) {  // unrolled, acc stays in registers
        const float* window = x + base[t + u];
        // The masked form with a zero start: GCC 12 warns that the unmasked one reads an undefined vector.
        const __m512i picks = _mm512_maskz_cvtepu8_epi32(
            0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i*>(offset + (t + u) * L)));
        const __m512 xv =
            _mm512_permutex2var_ps(_mm512_loadu_ps(window), picks, _mm512_loadu_ps(window + 16));
        acc[u] = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(val + (t + u) * L), xv, acc[u], lanes[t + u]);
      }
    alignas(64) float sum[L];
    _mm512_store_ps(sum, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
    for (std::size_t l = 0; l < L && s * L + l < w.rows; ++l) y[s * L + l] += sum[l];
  }
}
#endif

}  // namespace ransim::one_lane
