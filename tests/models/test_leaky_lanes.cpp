// The leaky population's tanh activation over any lane count (core/models/leaky.cpp): every
// value goes through the same 8-wide vector code (ransim/vector_math.hpp, tanh_values), the
// tail of a range padded, whatever the lane count and the split of the units over threads.
//
// Where the expected numbers come from:
//  - NAIVE: dx/dt = (tanh(drive + b) - x) / tau from glibc's scalar std::tanh and the biases
//    the model reports (weights()["bias"]); agreement within 8 epsilon of |tanh| + |x|: libmvec's
//    documented 4 ulp for expm1, the few roundings of tanh = -e / (e + 2) and of (f - x) / tau.
//  - IDENTITY: one thread and two, and lane b of a batch against one lane, bitwise.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ransim/lanes.hpp"
#include "ransim/registry.hpp"
#include "ransim/rng.hpp"
#include "ransim/thread_pool.hpp"

namespace ransim {
namespace {

constexpr std::size_t kUnits = 1003;  // not a multiple of 8, nor of a block
constexpr double kTau = 2.0;

std::unique_ptr<Population> leaky(std::size_t lanes) {
  const PopulationInfo* info = Registry::global().find("leaky");
  Params p = defaults(info->params);
  p.set("size", std::int64_t{kUnits});
  p.set("tau", kTau);
  p.set("bias_scale", 0.5);
  auto pop = info->create(PopulationContext{"res", p, 7});
  pop->set_lanes(lanes);
  return pop;
}

// State and drive of unit v, lane b: the same in every batch, so that lane b can be compared
// with a one-lane run of lane b's values. Drives span tanh's range, from linear to saturated.
double state_of(std::size_t v, std::size_t b) { return std::sin(0.37 * static_cast<double>(v + 11 * b)); }
double drive_of(std::size_t v, std::size_t b) {
  return 6.0 * std::sin(0.013 * static_cast<double>(v * v) + static_cast<double>(b));
}

std::vector<double> derivative(std::size_t lanes, std::size_t threads, std::size_t only_lane = SIZE_MAX) {
  auto pop = leaky(lanes);
  LaneVector<double> x(kUnits * lanes), drive(kUnits * lanes), dxdt(kUnits * lanes);
  for (std::size_t v = 0; v < kUnits; ++v)
    for (std::size_t b = 0; b < lanes; ++b) {
      const std::size_t src = only_lane == SIZE_MAX ? b : only_lane;
      x[v * lanes + b] = state_of(v, src);
      drive[v * lanes + b] = drive_of(v, src);
    }
  ThreadPool pool(threads);
  pop->derivative({x.data(), kUnits, lanes}, {drive.data(), kUnits, lanes}, {dxdt.data(), kUnits, lanes}, 0.0,
                  pool);
  return {dxdt.begin(), dxdt.end()};
}

TEST(LeakyLanes, TanhMatchesScalarTanhForEveryLaneCount) {
  const arma::mat bias = leaky(1)->weights().at("bias");
  const double ulp = std::numeric_limits<double>::epsilon();
  for (std::size_t lanes : {1u, 2u, 3u, 5u, 7u, 8u, 9u, 16u, 17u}) {
    SCOPED_TRACE(lanes);
    const std::vector<double> got = derivative(lanes, 1);
    double worst = 0;
    for (std::size_t v = 0; v < kUnits; ++v)
      for (std::size_t b = 0; b < lanes; ++b) {
        const double f = std::tanh(drive_of(v, b) + bias(v, 0)), x = state_of(v, b);
        const double want = (f - x) / kTau;
        // tanh's error is relative to |f|, the subtraction's to |f - x| <= |f| + |x|.
        worst = std::max(worst, std::abs(got[v * lanes + b] - want) / (std::abs(f) + std::abs(x) + ulp));
      }
    EXPECT_LE(worst, 8 * ulp) << "8 epsilon";
  }
}

TEST(LeakyLanes, ThreadCountAndBatchDoNotChangeBits) {
  for (std::size_t lanes : {1u, 3u, 7u, 9u}) {
    SCOPED_TRACE(lanes);
    EXPECT_EQ(derivative(lanes, 1), derivative(lanes, 2));
  }
  // Lane 2 of a 3-lane batch against a one-lane run of the same values: different lane
  // counts cut the flat range at different places, and each value must not care.
  const std::vector<double> batch = derivative(3, 1), one = derivative(1, 1, 2);
  for (std::size_t v = 0; v < kUnits; ++v) ASSERT_EQ(batch[v * 3 + 2], one[v]) << v;
}

}  // namespace
}  // namespace ransim
