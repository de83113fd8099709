#pragma once
// Vectors of doubles or floats for the hand-written kernels (the sparse product, the attention
// kernels, Aaren's scan), one idiom for all of them: a GCC/Clang vector type, filled and
// emptied through memcpy.
//
// Why spell vectors out at all: in a kernel that keeps a block of accumulators in registers,
// naming the vectors keeps the compiler from vectorising along the wrong loop, and the widths
// below are what the kernels are tuned for. Arithmetic is the compiler's (+, *, a > b ? a : b,
// v[i]); a scalar in an expression is broadcast (x * v).
//
//   using V = simd::Vector<double, 32>;   // 4 doubles
//   V v;
//   simd::load(v, p);                     // p[0..3], any alignment
//   simd::store(q, v * 2.0);
#include <cstddef>
#include <cstring>

namespace ransim::simd {

namespace detail {
// GCC takes the vector_size attribute on a dependent type in a typedef, not in an
// alias-declaration: hence the struct.
template <class T, std::size_t bytes> struct VectorType {
  typedef T type __attribute__((vector_size(bytes)));
};
}  // namespace detail

// bytes / sizeof(T) values of T in one value.
template <class T, std::size_t bytes> using Vector = typename detail::VectorType<T, bytes>::type;

// Eight doubles: one AVX-512 register, two AVX ones (the attention kernels and Aaren's scan
// work on groups of eight lanes or values).
using Double8 = Vector<double, 64>;

// The widest vector register of the target, in bytes, and how many there are. A kernel that
// returns vectors, or keeps arrays of them in registers, stays within these: wider vectors
// would be emulated in pairs, and returning one changes the ABI (GCC warns, -Wpsabi).
#if defined(__AVX512F__)
inline constexpr std::size_t kRegisterBytes = 64, kRegisters = 32;
#elif defined(__AVX__)
inline constexpr std::size_t kRegisterBytes = 32, kRegisters = 16;
#else
inline constexpr std::size_t kRegisterBytes = 16, kRegisters = 16;
#endif

// v = the values at p (sizeof v bytes, any alignment). The vector is passed by reference, not
// returned: a 64-byte vector returned by value changes the ABI where AVX-512 is off. Both
// compile to one vector move (two without AVX-512 for a Double8).
template <class V, class T> inline void load(V& v, const T* p) { std::memcpy(&v, p, sizeof v); }
template <class V, class T> inline void store(T* p, const V& v) { std::memcpy(p, &v, sizeof v); }

}  // namespace ransim::simd
