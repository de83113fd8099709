#pragma once
// The largest Lyapunov exponent per token, the echo-state check: two copies of a system driven
// by the same input, the second started `separation` away in a random direction; after every
// token their distance d is measured, log(d / separation) added up and the second copy pulled
// back to `separation` along the same direction (Benettin's method). The mean over the measured
// tokens is the exponent: < 0, nearby states converge (echo states); > 0, they separate.
// `ransim analyze --lyapunov` and bench/echo_state.cpp both call it.
#include <cstddef>
#include <cstdint>
#include <functional>

#include <armadillo>

#include "scenario/scenario.hpp"

namespace ransim::analysis {

struct LyapunovOptions {
  std::size_t settle = 300;  // tokens run first, onto the driven attractor
  std::size_t tokens = 500;  // tokens measured
  double separation = 1e-8;  // the distance kept between the copies
  std::uint64_t seed = 1;    // the perturbation's direction: make_rng(seed, "perturbation")
};

// Benettin's method on states a and b of n values each; step(k) advances both by token k.
// Returns -inf if the copies meet exactly (a contraction to a point).
double largest_lyapunov(double* a, double* b, std::size_t n, const std::function<void(std::size_t)>& step,
                        const LyapunovOptions& options);

// Of a scenario's network (one lane) driven by its stream task's input (repeated from the
// start if the task has fewer tokens). Throws InputError for an episode task.
double largest_lyapunov(const Scenario& scenario, const LyapunovOptions& options = {});

// Of the linear map x -> map * x (square): log of its spectral radius when the largest
// eigenvalue is unique in modulus.
double largest_lyapunov(const arma::mat& map, const LyapunovOptions& options = {});

}  // namespace ransim::analysis
