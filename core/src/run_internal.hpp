#pragma once
// Pieces shared by the two ways a scenario runs: the stream Session and the episode runner.
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ransim/network.hpp"
#include "ransim/run.hpp"
#include "ransim/scenario.hpp"

namespace ransim {

class Recorder;

inline std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// The scenario, seed, version, integrator and every weight, under /general and /network.
void write_setup(Recorder& rec, const Scenario& sc, const std::string& command_line, const Network& net);

// Refuses (InputError) a scenario whose estimated memory exceeds 80 % of the machine's.
void check_memory(const Scenario& sc);

// OpenBLAS's idle threads spin (sched_yield) for a while after every call, taking the cores
// from a run's own threads; a run that keeps the cores busy itself holds BLAS to one thread
// while it lasts. No effect with another BLAS.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int saved_ = 0;
};

// Stream runs (Session) and episode runs share run(); this is the latter.
RunResult run_episodes(const Scenario& sc, const RunOptions& opts);

// Stops a run whose state has left the useful regime: any non-finite value (diverged), or
// a population with most of its units pinned at their bound for many tokens (saturated).
class Health {
 public:
  static constexpr double kPinned = 1e-9;        // |x| >= level * (1 - kPinned)
  static constexpr double kFraction = 0.9;       // of a population's units
  static constexpr std::size_t kTokens = 100;    // consecutive tokens

  explicit Health(std::size_t populations) : streak_(populations, 0) {}

  std::optional<std::pair<std::string, std::string>> check(const Network& net, const double* x,
                                                           double t, std::size_t token) {
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
                                    std::to_string(u) + ", lane " + std::to_string(i % lanes) + ", at t = " +
                                    num(t) + " s (token " + std::to_string(token) + ")");
        }
        if (bound > 0 && at_bound == n && pinned++ == 0) first_pinned = u;
      }
      streak_[p] = bound > 0 && static_cast<double>(pinned) >= kFraction * static_cast<double>(units)
                       ? streak_[p] + 1 : 0;
      if (streak_[p] >= kTokens)
        return std::make_pair(std::string("saturated"),
                              "population '" + pop.name + "' is saturated: " + std::to_string(pinned) + " of " +
                                  std::to_string(units) + " units (first: unit " + std::to_string(first_pinned) +
                                  ") have sat at +-" + num(pop.model->saturation_level()) + " for " +
                                  std::to_string(kTokens) + " tokens, at t = " + num(t) + " s (token " +
                                  std::to_string(token) + "); reduce the input scale, biases or recurrent gain");
    }
    return std::nullopt;
  }


 private:
  std::vector<std::size_t> streak_;
};


}  // namespace ransim
