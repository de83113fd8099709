#pragma once
// Vectorisable math for the hot loops of populations (core and plugins).
//
// glibc's libmvec has vector versions of these functions (<= 4 ulp). glibc declares them only
// under -ffast-math, which we do not want for the rest of the arithmetic; declaring them here
// lets the compiler vectorise loops that call them (8 values a call with AVX-512, about 8x
// faster than scalar calls). `const` says that the calls have no side effect (ransim never
// reads errno); without it GCC keeps them scalar.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <ransim/simd.hpp>

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define RANSIM_LIBMVEC 1
extern "C" {
__attribute__((simd("notinbranch"), const)) double exp(double) noexcept;
__attribute__((simd("notinbranch"), const)) double expm1(double) noexcept;
__attribute__((simd("notinbranch"), const)) double erf(double) noexcept;
}
#endif

namespace ransim {

// tanh(r) = -e / (e + 2) with e = expm1(-2 |r|), and the sign of r: no cancellation for
// small |r|, the limits +-1 exact, NaN stays NaN. Through libmvec's vector expm1 it costs
// about 0.7 of libmvec's vector tanh, within 4.2 ulp of glibc's tanh where libmvec's tanh
// is within 3.8 (test TanhByExpm1MatchesStdTanh).
inline double tanh_by_expm1(double r) {
  const double e = ::expm1(-2.0 * std::fabs(r));
  return std::copysign(-e / (e + 2.0), r);
}

// exp_values and tanh_values: p[i] <- exp(p[i]) or tanh_by_expm1(p[i]) for n contiguous
// values, through libmvec's 8-wide AVX-512 variants wherever the CPU has AVX-512 (chosen at
// compile time in a native build, at run time otherwise). GCC's vectoriser alone calls the
// 4-wide AVX2 ones on CPUs it tunes for 256-bit vectors (most Intel Xeons). Every value,
// the tail included (padded to 8), goes through the same vector code, so a value's result
// does not depend on n or on how a range is split over threads.
namespace vector_math_detail {
#ifdef RANSIM_LIBMVEC
#pragma GCC push_options
#pragma GCC target("avx512f")
using simd::Double8;
using Bits8 = simd::Vector<std::int64_t, 64>;
extern "C" Double8 _ZGVeN8v_exp(Double8) noexcept __attribute__((const));
extern "C" Double8 _ZGVeN8v_expm1(Double8) noexcept __attribute__((const));

inline Double8 exp8(Double8 v) { return _ZGVeN8v_exp(v); }
// tanh_by_expm1 on eight values: the sign moved by bits, so that -0 and NaN keep theirs.
inline Double8 tanh8(Double8 r) {
  const Bits8 sign = Bits8{} + static_cast<std::int64_t>(UINT64_C(0x8000000000000000));
  const Double8 e = _ZGVeN8v_expm1(-2.0 * reinterpret_cast<Double8>(reinterpret_cast<Bits8>(r) & ~sign));
  const Double8 t = -e / (e + 2.0);
  return reinterpret_cast<Double8>((reinterpret_cast<Bits8>(t) & ~sign) |
                                   (reinterpret_cast<Bits8>(r) & sign));
}
template <Double8 (*F)(Double8)> inline void values_avx512(double* p, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Double8 v;
    simd::load(v, p + i);
    simd::store(p + i, F(v));
  }
  if (i == n) return;
  Double8 v{};
  std::memcpy(&v, p + i, (n - i) * sizeof(double));
  v = F(v);
  std::memcpy(p + i, &v, (n - i) * sizeof(double));
}
inline void exp_avx512(double* p, std::size_t n) { values_avx512<exp8>(p, n); }
inline void tanh_avx512(double* p, std::size_t n) { values_avx512<tanh8>(p, n); }
#pragma GCC pop_options

inline bool has_avx512() {
#ifdef __AVX512F__
  return true;
#else
  return __builtin_cpu_supports("avx512f");
#endif
}
#endif
}  // namespace vector_math_detail

inline void exp_values(double* p, std::size_t n) {
#ifdef RANSIM_LIBMVEC
  if (vector_math_detail::has_avx512()) return vector_math_detail::exp_avx512(p, n);
#endif
  for (std::size_t i = 0; i < n; ++i) p[i] = ::exp(p[i]);
}

inline void tanh_values(double* p, std::size_t n) {
#ifdef RANSIM_LIBMVEC
  if (vector_math_detail::has_avx512()) return vector_math_detail::tanh_avx512(p, n);
#endif
  for (std::size_t i = 0; i < n; ++i) p[i] = tanh_by_expm1(p[i]);
}

}  // namespace ransim
