#pragma once
// The presynaptic units of cortex_qkv's context_mode "units": k distinct units out of U for
// every unit, drawn from the population's stream or read from the weight "presynaptic" [U, k].
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <armadillo>

#include <ransim/error.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

namespace ransim::attn {

// U x k unit indices, row-major: unit i reads units out[i*k .. i*k+k-1].
inline std::vector<std::uint32_t> presynaptic_units(const std::string& population, const WeightFile& wf,
                                                    Rng& rng, std::size_t U, std::size_t k) {
  if (k > U)
    throw InputError("population '" + population + "': k (" + std::to_string(k) + ") must be <= units (" +
                     std::to_string(U) + ") in context_mode \"units\"");
  std::vector<std::uint32_t> presyn(U * k);
  if (wf.used()) {
    const std::string what = "one row of k = " + std::to_string(k) + " unit indices per unit";
    const std::vector<double> p = wf.load_stacked("presynaptic", U, 1, k, what);
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] < 0 || p[i] >= static_cast<double>(U) || p[i] != std::floor(p[i]))
        wf.fail("presynaptic", "value " + std::to_string(i) + " (" + std::to_string(p[i]) +
                                   ") is not a unit index in [0, " + std::to_string(U) + ")");
      presyn[i] = static_cast<std::uint32_t>(p[i]);
    }
    return presyn;
  }
  // A partial Fisher-Yates shuffle per unit on our own uniform.
  std::vector<std::uint32_t> pool(U);
  for (std::size_t i = 0; i < U; ++i) {
    for (std::size_t j = 0; j < U; ++j) pool[j] = static_cast<std::uint32_t>(j);
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t pick =
          r + std::min(U - r - 1, static_cast<std::size_t>(uniform(rng) * static_cast<double>(U - r)));
      std::swap(pool[r], pool[pick]);
      presyn[i * k + r] = pool[r];
    }
  }
  return presyn;
}

// The recorded weight "presynaptic" [U, k].
inline arma::mat presynaptic_matrix(const std::vector<std::uint32_t>& presyn, std::size_t U, std::size_t k) {
  arma::mat p(U, k);
  for (std::size_t i = 0; i < U; ++i)
    for (std::size_t r = 0; r < k; ++r) p(i, r) = presyn[i * k + r];
  return p;
}

}  // namespace ransim::attn
