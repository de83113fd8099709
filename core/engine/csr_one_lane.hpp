#pragma once
// The one-lane kernels of CsrProduct (engine/csr_product.hpp): y(i) += sum_k val[k] x[col[k]] for
// rows r0..r1, a dot product per row. Included by csr_product.cpp (the products) and
// one_lane_choice.cpp (their timing at start-up) only.
//
// Four ways to fetch the x of a row's nonzeros, one kernel each, all summing in the same order:
// - insert: x loaded one value at a time into a 32-byte vector, multiplied by one vector load
//   of val (any x86-64 CPU, any build);
// - insert_packed: the same, with the column indices read 8 bytes (four 16-bit or two 32-bit
//   indices) at a time and taken apart in integer registers: fewer loads per nonzero;
// - gather256: AVX2 gather instructions, 32-byte vectors;
// - gather512: AVX-512 gather instructions, one 64-byte vector holding both accumulators.
// Which is fastest depends on the CPU (docs/performance.md): the gather kernels are compiled
// for their instruction sets whatever the build's flags, and CsrProduct calls them only on a
// CPU that has those (__builtin_cpu_supports), after timing them at start-up. Single-precision
// products on a CPU with AVX-512 run in another layout (csr_window.hpp).
//
// The order: the nonzeros of a row in groups of 2W (W = 4 doubles or 8 floats), nonzero k + c W
// + j of a group added to lane j of accumulator c; then the leftover nonzeros into a scalar
// sum, then accumulator 1 added to accumulator 0, then its lanes 0..W-1 to the sum. The gather
// kernels keep both accumulators as the halves of one vector (gather512) or as two (gather256),
// so with the same contraction into FMAs (a build with FMA) the four give the same bits. A row
// shorter than a group has only the scalar sum; adding the empty accumulators' zeros to it
// changes nothing but a -0 into +0, so such a row adds sum + 0 directly (short_row).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/csr_product.hpp"
#include "ransim/simd.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RANSIM_HAVE_GATHER_KERNELS 1
#endif

namespace ransim::one_lane {

// Arguments of every kernel: the rows' pointers into col and val, the source x, the target y.
template <class T, class Index> struct Rows {
  const std::uint32_t* row_ptr;
  const Index* col;
  const T* val;
  const T* x;
  double* y;
};

// The scalar sum of the leftover nonzeros k..end, the same in every kernel. With FMA the fused
// form is spelled out: left to the compiler, it was fused in one loop and not in another.
template <class T, class Index>
[[gnu::always_inline]] inline T leftover(const Rows<T, Index>& a, std::size_t k, std::size_t end) {
  T sum = 0;
#ifdef __FMA__
  for (; k < end; ++k) sum = std::fma(a.val[k], a.x[a.col[k]], sum);
#else
  for (; k < end; ++k) sum += a.val[k] * a.x[a.col[k]];
#endif
  return sum;
}

// Row i when it is shorter than a group of 2W nonzeros: what the kernels below add for it, without
// their vectors (a 1000 x 1 input projection took 1.1 us a product in insert, 0.6 us so).
template <class T, class Index>
[[gnu::always_inline]] inline bool short_row(const Rows<T, Index>& a, std::size_t i) {
  constexpr std::size_t kGroup = 64 / sizeof(T);
  const std::size_t k = a.row_ptr[i], end = a.row_ptr[i + 1];
  if (end - k >= kGroup) return false;
  a.y[i] += leftover(a, k, end) + T(0);
  return true;
}

// x at the 8 bytes of column indices from c, into xv[first..] (four 16-bit or two 32-bit indices).
template <class V, class T, class Index>
[[gnu::always_inline]] inline void packed_columns(V& xv, std::size_t first, const T* x, const Index* c) {
  std::uint64_t w;
  std::memcpy(&w, c, sizeof w);
  constexpr std::size_t kPerWord = sizeof w / sizeof(Index), kBits = 8 * sizeof(Index);
  for (std::size_t j = 0; j < kPerWord; ++j) xv[first + j] = x[static_cast<Index>(w >> (kBits * j))];
}

// A scalar loop needs two floating-point loads per nonzero (val and x), which holds cores that
// do two loads per cycle to one nonzero per cycle; here 1.25 loads (double) per nonzero. The
// vectorizer is kept out: it would turn the loads of x into gathers, which is gather256's job.
// Packed: the column indices read a word at a time (insert_packed), one load per four 16-bit
// indices instead of four; otherwise one by one (insert).
template <bool Packed, class T, class Index>
__attribute__((optimize("no-tree-vectorize", "no-tree-slp-vectorize"))) void insert_rows(Rows<T, Index> a,
                                                                                         std::size_t r0,
                                                                                         std::size_t r1) {
  using V = simd::Vector<T, 32>;  // two 16-byte registers without AVX: the same order everywhere
  constexpr std::size_t kWidth = 32 / sizeof(T), kPerWord = 8 / sizeof(Index);
  for (std::size_t i = r0; i < r1; ++i) {
    if (short_row(a, i)) continue;
    std::size_t k = a.row_ptr[i];
    const std::size_t end = a.row_ptr[i + 1];
    V s[2] = {};
    for (; k + 2 * kWidth <= end; k += 2 * kWidth)
      for (std::size_t c = 0; c < 2; ++c) {
        V xv, v;
        const Index* col = a.col + k + c * kWidth;
        if constexpr (Packed)
          for (std::size_t j = 0; j < kWidth; j += kPerWord) packed_columns(xv, j, a.x, col + j);
        else
          for (std::size_t j = 0; j < kWidth; ++j) xv[j] = a.x[col[j]];
        simd::load(v, a.val + k + c * kWidth);
        s[c] += v * xv;
      }
    T sum = leftover(a, k, end);
    s[0] += s[1];
    for (std::size_t j = 0; j < kWidth; ++j) sum += s[0][j];
    a.y[i] += sum;
  }
}
template <class T, class Index> void insert(Rows<T, Index> a, std::size_t r0, std::size_t r1) {
  insert_rows<false>(a, r0, r1);
}
template <class T, class Index> void insert_packed(Rows<T, Index> a, std::size_t r0, std::size_t r1) {
  insert_rows<true>(a, r0, r1);
}

#ifdef RANSIM_HAVE_GATHER_KERNELS
// The vectorizer is kept out of these too: it would sum the leftover nonzeros with gathers and
// separate multiplications (not FMAs), in another rounding than insert's.
#define RANSIM_NO_VECTORIZER optimize("no-tree-vectorize", "no-tree-slp-vectorize")
#define RANSIM_TARGET_AVX2 __attribute__((target("avx2,fma"), RANSIM_NO_VECTORIZER))
#define RANSIM_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma"), RANSIM_NO_VECTORIZER))

// Eight column indices as 32-bit integers, and sixteen.
RANSIM_TARGET_AVX2 inline __m256i indices8(const std::uint16_t* c) {
  return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c)));
}
RANSIM_TARGET_AVX2 inline __m256i indices8(const std::uint32_t* c) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
}
RANSIM_TARGET_AVX512 inline __m512i indices16(const std::uint16_t* c) {
  return _mm512_maskz_cvtepu16_epi32(0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c)));
}
RANSIM_TARGET_AVX512 inline __m512i indices16(const std::uint32_t* c) { return _mm512_loadu_si512(c); }

// Four column indices as 32-bit integers.
RANSIM_TARGET_AVX2 inline __m128i indices4(const std::uint16_t* c) {
  return _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c)));
}
RANSIM_TARGET_AVX2 inline __m128i indices4(const std::uint32_t* c) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
}

// x at the given columns. The masked forms with a zero start: GCC 12 warns that the unmasked
// ones read an undefined vector.
RANSIM_TARGET_AVX2 inline __m256d gather(const double* x, __m128i columns) {
  return _mm256_mask_i32gather_pd(_mm256_setzero_pd(), x, columns,
                                  _mm256_castsi256_pd(_mm256_set1_epi64x(-1)), 8);
}
RANSIM_TARGET_AVX2 inline __m256 gather(const float* x, __m256i columns) {
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, columns, _mm256_castsi256_ps(_mm256_set1_epi32(-1)),
                                  4);
}
RANSIM_TARGET_AVX512 inline __m512d gather(const double* x, __m256i columns) {
  return _mm512_mask_i32gather_pd(_mm512_setzero_pd(), 0xff, columns, x, 8);
}
RANSIM_TARGET_AVX512 inline __m512 gather(const float* x, __m512i columns) {
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xffff, columns, x, 4);
}

// The column indices of one vector of T, 32 or 64 bytes.
template <class T, class Index> RANSIM_TARGET_AVX2 inline auto columns256(const Index* c) {
  if constexpr (sizeof(T) == 8) return indices4(c);
  else return indices8(c);
}
template <class T, class Index> RANSIM_TARGET_AVX512 inline auto columns512(const Index* c) {
  if constexpr (sizeof(T) == 8) return indices8(c);
  else return indices16(c);
}

// Vectors of val, and their stores, by scalar type.
RANSIM_TARGET_AVX2 inline __m256d load256(const double* p) { return _mm256_loadu_pd(p); }
RANSIM_TARGET_AVX2 inline __m256 load256(const float* p) { return _mm256_loadu_ps(p); }
RANSIM_TARGET_AVX2 inline void store256(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
RANSIM_TARGET_AVX2 inline void store256(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
RANSIM_TARGET_AVX512 inline __m512d load512(const double* p) { return _mm512_loadu_pd(p); }
RANSIM_TARGET_AVX512 inline __m512 load512(const float* p) { return _mm512_loadu_ps(p); }
RANSIM_TARGET_AVX512 inline void store512(double* p, __m512d v) { _mm512_storeu_pd(p, v); }
RANSIM_TARGET_AVX512 inline void store512(float* p, __m512 v) { _mm512_storeu_ps(p, v); }

// The accumulators' lanes j and W + j (2 W values at `lanes`) added, then onto sum, j = 0..W-1.
template <class T> [[gnu::always_inline]] inline void add_lanes(T& sum, const T* lanes) {
  constexpr std::size_t kWidth = 32 / sizeof(T);
  for (std::size_t j = 0; j < kWidth; ++j) sum += lanes[j] + lanes[kWidth + j];
}

// Two accumulators of 32 bytes (W values each), filled by AVX2 gathers.
template <class T, class Index>
RANSIM_TARGET_AVX2 void gather256(Rows<T, Index> a, std::size_t r0, std::size_t r1) {
  constexpr std::size_t kWidth = 32 / sizeof(T);
  for (std::size_t i = r0; i < r1; ++i) {
    if (short_row(a, i)) continue;
    std::size_t k = a.row_ptr[i];
    const std::size_t end = a.row_ptr[i + 1];
    decltype(load256(a.val)) s[2] = {};
    for (; k + 2 * kWidth <= end; k += 2 * kWidth)
      for (std::size_t c = 0; c < 2; ++c)
        s[c] += load256(a.val + k + c * kWidth) * gather(a.x, columns256<T>(a.col + k + c * kWidth));
    T sum = leftover(a, k, end), lanes[2 * kWidth];
    store256(lanes, s[0]);
    store256(lanes + kWidth, s[1]);
    add_lanes(sum, lanes);
    a.y[i] += sum;
  }
}

// Both accumulators in one 64-byte vector (accumulator c in its half c), filled by AVX-512
// gathers: half the instructions of gather256.
template <class T, class Index>
RANSIM_TARGET_AVX512 void gather512(Rows<T, Index> a, std::size_t r0, std::size_t r1) {
  constexpr std::size_t kGroup = 64 / sizeof(T);
  for (std::size_t i = r0; i < r1; ++i) {
    if (short_row(a, i)) continue;
    std::size_t k = a.row_ptr[i];
    const std::size_t end = a.row_ptr[i + 1];
    decltype(load512(a.val)) s = {};
    for (; k + kGroup <= end; k += kGroup) s += load512(a.val + k) * gather(a.x, columns512<T>(a.col + k));
    T sum = leftover(a, k, end), lanes[kGroup];
    store512(lanes, s);
    add_lanes(sum, lanes);
    a.y[i] += sum;
  }
}
#undef RANSIM_TARGET_AVX2
#undef RANSIM_TARGET_AVX512
#undef RANSIM_NO_VECTORIZER
#endif

// Rows r0..r1 in `kernel`, a row kernel that this CPU runs (CsrProduct::supported).
template <class T, class Index>
void rows_in(OneLaneKernel kernel, Rows<T, Index> rows, std::size_t r0, std::size_t r1) {
#ifdef RANSIM_HAVE_GATHER_KERNELS
  if (kernel == OneLaneKernel::Gather256) return gather256(rows, r0, r1);
  if (kernel == OneLaneKernel::Gather512) return gather512(rows, r0, r1);
#endif
  if (kernel == OneLaneKernel::InsertPacked) return insert_packed(rows, r0, r1);
  insert(rows, r0, r1);
}

}  // namespace ransim::one_lane
