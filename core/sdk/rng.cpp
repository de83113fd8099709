#include "ransim/rng.hpp"

#include <cmath>
#include <numbers>

namespace ransim {

double normal(Rng& r) {
  // Box-Muller; one of the pair is dropped so each call consumes a fixed two draws.
  double u1 = uniform(r);
  const double u2 = uniform(r);
  if (u1 <= 0.0) u1 = 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace ransim
