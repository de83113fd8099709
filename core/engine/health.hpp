#pragma once
// Health checks run after every token: divergence and saturation, named by population,
// unit, lane and time.
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/network.hpp"

namespace ransim {

inline std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Stops a run whose state has left the useful regime: any non-finite value (diverged), or
// a population with most of its units pinned at their bound for many tokens (saturated).
class Health {
 public:
  static constexpr double kPinned = 1e-9;      // |x| >= level * (1 - kPinned)
  static constexpr double kFraction = 0.9;     // of a population's units
  static constexpr std::size_t kTokens = 100;  // consecutive tokens

  explicit Health(std::size_t populations) : streak_(populations, 0) {}

  std::optional<std::pair<std::string, std::string>> check(const Network& net, const double* x, double t,
                                                           std::size_t token) {
    const std::size_t lanes = net.lanes();
    for (std::size_t p = 0; p < net.populations().size(); ++p) {
      const auto& pop = net.populations()[p];
      const ConstBlock blk = net.block(x, p);
      const double bound = pop.model->saturation_level() * (1.0 - kPinned);
      const std::size_t dim = pop.model->unit_dim(), units = pop.model->units();
      std::size_t pinned = 0, first_pinned = units;
      for (std::size_t u = 0; u < units; ++u) {
        // Counts rather than early exits, so that the loop vectorizes (it runs every token).
        const double* v = blk.var(u * dim);
        const std::size_t n = dim * lanes;
        std::size_t nonfinite = 0, at_bound = 0;
        for (std::size_t i = 0; i < n; ++i) {
          const double a = std::abs(v[i]);
          nonfinite += !(a <= std::numeric_limits<double>::max());  // inf or NaN
          at_bound += a >= bound;
        }
        if (nonfinite > 0) {
          std::size_t i = 0;
          while (std::isfinite(v[i])) ++i;
          return std::make_pair(std::string("diverged"),
                                "the state diverged (non-finite) in population '" + pop.name + "', unit " +
                                    std::to_string(u) + ", lane " + std::to_string(i % lanes) +
                                    ", at t = " + num(t) + " s (token " + std::to_string(token) + ")");
        }
        if (bound > 0 && at_bound == n && pinned++ == 0) first_pinned = u;
      }
      streak_[p] = bound > 0 && static_cast<double>(pinned) >= kFraction * static_cast<double>(units)
                       ? streak_[p] + 1
                       : 0;
      if (streak_[p] >= kTokens)
        return std::make_pair(std::string("saturated"),
                              "population '" + pop.name + "' is saturated: " + std::to_string(pinned) +
                                  " of " + std::to_string(units) + " units (first: unit " +
                                  std::to_string(first_pinned) + ") have sat at +-" +
                                  num(pop.model->saturation_level()) + " for " + std::to_string(kTokens) +
                                  " tokens, at t = " + num(t) + " s (token " + std::to_string(token) +
                                  "); reduce the input scale, biases or recurrent gain");
    }
    return std::nullopt;
  }

 private:
  std::vector<std::size_t> streak_;
};

}  // namespace ransim
