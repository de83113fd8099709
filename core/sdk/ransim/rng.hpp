#pragma once
// Reproducible random streams: every model instance draws from its own stream, derived from
// the scenario seed and the instance's name, so adding a population does not change the
// numbers of the others.
#include <cstdint>
#include <random>
#include <string_view>

namespace ransim {

using Rng = std::mt19937_64;

inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

inline Rng make_rng(std::uint64_t seed, std::string_view stream) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(fnv1a(stream)),
                    static_cast<std::uint32_t>(fnv1a(stream) >> 32)};
  return Rng(seq);
}

// Distributions written out so the numbers do not depend on the standard library's choice
// of algorithm: uniform on [lo, hi) from 53 random bits, normal by Box-Muller.
inline double uniform(Rng& r, double lo = 0.0, double hi = 1.0) {
  return lo + (hi - lo) * static_cast<double>(r() >> 11) * 0x1.0p-53;
}
double normal(Rng& r);

}  // namespace ransim
