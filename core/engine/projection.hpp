#pragma once
// Projections sum weighted source values into a target population's input slots.
// Sources are the external input ("input") or a population's state.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/csr_product.hpp"
#include "ransim/lanes.hpp"
#include "ransim/rng.hpp"

namespace ransim {

class ThreadPool;

// Where one source vector lives: the held input or a block of the global state.
struct SourceRef {
  std::string name;  // "input" or a population name
  bool is_input = true;
  std::size_t offset = 0;  // first state variable (for populations)
  std::size_t size = 0;    // variables per lane
};

class Projection {
 public:
  virtual ~Projection() = default;
  std::string name;                      // "input_to_res" unless named in the scenario
  std::size_t target = 0;                // population index
  virtual std::string kind() const = 0;  // "sparse" | "identity"
  virtual void apply(ConstBlock input, ConstBlock state, Block drive, ThreadPool& pool) const = 0;
  // Weights saved with recordings: a sparse matrix per source.
  virtual std::vector<std::pair<SourceRef, Csr>> matrices() const = 0;

  // Training (docs/training.md). Backward pass of apply(): given g_drive, the cotangent of
  // the target's drive, add the source's share into g_state (the global state's cotangent;
  // the input takes none) and, if `g_values` is given, the gradient of each trainable value
  // (summed over lanes, in the order of trainable_values()).
  virtual void apply_vjp(ConstBlock input, ConstBlock state, ConstBlock g_drive, Block g_state,
                         std::vector<double>* g_values) const = 0;
  // The values training may change (a sparse projection's nonzeros; its sparsity stays), or
  // null: fixed (identity routing). set_trainable_values() installs changed ones.
  virtual const std::vector<double>* trainable_values() const { return nullptr; }
  virtual void set_trainable_values(const std::vector<double>& /*values*/) {}
};

// W (target_size x source_size), drawn once: density or fixed fan-in, a weight distribution,
// optional spectral-radius rescaling (recurrent projections), then a scale. In single
// precision the weights are rounded to float once, when built.
class SparseProjection : public Projection {
 public:
  SparseProjection(SourceRef source, Csr w, Precision precision = Precision::Double);
  std::string kind() const override { return "sparse"; }
  void apply(ConstBlock input, ConstBlock state, Block drive, ThreadPool& pool) const override;
  std::vector<std::pair<SourceRef, Csr>> matrices() const override { return {{source_, product_.matrix()}}; }
  const Csr& weights() const { return product_.matrix(); }
  void apply_vjp(ConstBlock input, ConstBlock state, ConstBlock g_drive, Block g_state,
                 std::vector<double>* g_values) const override;
  const std::vector<double>* trainable_values() const override { return &product_.matrix().val; }
  void set_trainable_values(const std::vector<double>& values) override;

 private:
  SourceRef source_;
  Precision precision_;
  mutable CsrProduct product_;  // its scratch and panels change per product
};

// Identity routing: every target slot receives exactly one source value (an input dimension
// or one state variable of some population), times a gain.
class RoutingProjection : public Projection {
 public:
  struct Route {
    std::uint32_t source;  // index into sources()
    std::uint32_t var;     // variable within that source
  };
  RoutingProjection(std::vector<SourceRef> sources, std::vector<Route> routes, double gain)
      : sources_(std::move(sources)), routes_(std::move(routes)), gain_(gain) {}
  std::string kind() const override { return "identity"; }
  void apply(ConstBlock input, ConstBlock state, Block drive, ThreadPool& pool) const override;
  std::vector<std::pair<SourceRef, Csr>> matrices() const override;
  const std::vector<Route>& routes() const { return routes_; }
  void apply_vjp(ConstBlock input, ConstBlock state, ConstBlock g_drive, Block g_state,
                 std::vector<double>* g_values) const override;

 private:
  std::vector<SourceRef> sources_;
  std::vector<Route> routes_;
  double gain_;
};

enum class WeightDistribution { Uniform, Normal, Bernoulli };

struct SparseSpec {
  std::size_t rows = 0, cols = 0;
  double density = 0.1;    // used when fan_in == 0
  std::size_t fan_in = 0;  // exactly this many nonzeros per row, if > 0
  WeightDistribution distribution = WeightDistribution::Normal;
  double spectral_radius = 0;  // rescale to this radius if > 0 (square matrices only)
  double scale = 1.0;          // multiply all weights (applied after spectral rescaling)
};

Csr random_sparse(const SparseSpec& spec, Rng& rng);
// Largest |eigenvalue| of a square sparse matrix (ARPACK through Armadillo, dense fallback).
double spectral_radius(const Csr& w);

// The spectral radius by Arnoldi's method from a fixed random start: the largest |Ritz value|
// once the residual of its Ritz pair, ||W z - theta z|| / |theta| for unit z, is at most
// `tolerance` (or the space is invariant), checked every 20 steps from 40 on; after
// `max_steps` steps, the last Ritz value with its residual. Memory: max_steps + 1 vectors.
struct SpectralEstimate {
  double radius = 0, residual = 0;
  std::size_t steps = 0;
};
SpectralEstimate arnoldi_spectral_radius(const Csr& w, double tolerance, std::size_t max_steps);
// The residual an Arnoldi estimate is accepted at.
inline constexpr double kSpectralResidualTolerance = 1e-2;

// The circular law's spectral radius of an n x n matrix of independent zero-mean entries: the
// eigenvalues fill the disc of radius sqrt(sum of squares / n) as n grows, and the largest
// modulus lies beyond it by sqrt(gamma / 4n) + 0.3665 / sqrt(4 n gamma), gamma = log(n / 2 pi)
// - 2 log log n (Rider 2003, for Gaussian matrices: the centre and the median of the Gumbel
// fluctuations). One pass over the weights.
double circular_law_radius(const Csr& w);
// Up to this many units random_sparse rescales by the exact radius (spectral_radius).
inline constexpr std::size_t kExactRadiusUpTo = 2000;
// Beyond them, with at least this many nonzeros a row on average and a mean row sum inside the
// disc, by circular_law_radius: within kCircularLawTolerance of the largest |eigenvalue| for
// random_sparse's weights (tests/engine/test_spectral_estimate.cpp; docs/performance.md). Other
// matrices take arnoldi_spectral_radius, or spectral_radius if it does not converge.
inline constexpr std::size_t kCircularLawRowNonzeros = 150;
inline constexpr double kCircularLawTolerance = 0.015;
double random_matrix_spectral_radius(const Csr& w);
// Slot i receives value i of the concatenated sources, wrapping around.
std::vector<RoutingProjection::Route> ordered_routing(std::size_t slots,
                                                      const std::vector<SourceRef>& sources);
// Routing without loss: the slots are shared between the sources in proportion to `share`
// (default: the sources' sizes), at least one slot each (InputError naming the source that
// would get none). Within a source, a random choice of distinct values when it has at least
// as many values as slots; otherwise every value, each used as evenly as possible. The slots
// then take the chosen values in random order.
std::vector<RoutingProjection::Route> random_routing(std::size_t slots, const std::vector<SourceRef>& sources,
                                                     Rng& rng, const std::vector<double>& share = {});
// Each slot draws its source value independently of the others: values may repeat or be
// left out (map = "independent").
std::vector<RoutingProjection::Route> independent_routing(std::size_t slots,
                                                          const std::vector<SourceRef>& sources, Rng& rng);

}  // namespace ransim
