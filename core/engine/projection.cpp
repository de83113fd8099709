#include "engine/projection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "engine/huge_pages.hpp"
#include "ransim/error.hpp"

namespace ransim {

static ConstBlock source_block(const SourceRef& s, ConstBlock input, ConstBlock state) {
  // The held input may end with the readout's fed-back output (FORCE), a source of its own.
  if (s.is_input) return {input.data + s.offset * input.lanes, s.size, input.lanes};
  return {state.data + s.offset * state.lanes, s.size, state.lanes};
}

static Block source_block(const SourceRef& s, Block state) {
  return {state.data + s.offset * state.lanes, s.size, state.lanes};
}

SparseProjection::SparseProjection(SourceRef source, Csr w, Precision precision)
    : source_(std::move(source)), precision_(precision), product_(std::move(w), precision) {}

void SparseProjection::apply(ConstBlock input, ConstBlock state, Block drive, ThreadPool& pool) const {
  product_.multiply_add(source_block(source_, input, state), drive, pool);
}

// drive(i) += sum_j W(i, j) x(j): g_x(j) += W(i, j) g_drive(i), g_W(i, j) = sum_b g_drive(i, b) x(j, b).
void SparseProjection::apply_vjp(ConstBlock input, ConstBlock state, ConstBlock g_drive, Block g_state,
                                 std::vector<double>* g_values) const {
  const Csr& w = product_.matrix();
  const ConstBlock x = source_block(source_, input, state);
  const std::size_t lanes = g_drive.lanes;
  for (std::size_t i = 0; i < w.rows; ++i) {
    const double* g = g_drive.var(i);
    for (std::uint32_t k = w.row_ptr[i]; k < w.row_ptr[i + 1]; ++k) {
      if (!source_.is_input) {
        double* gx = source_block(source_, g_state).var(w.col[k]);
        for (std::size_t b = 0; b < lanes; ++b) gx[b] += w.val[k] * g[b];
      }
      if (g_values) {
        const double* xj = x.var(w.col[k]);
        double sum = 0;
        for (std::size_t b = 0; b < lanes; ++b) sum += g[b] * xj[b];
        (*g_values)[k] += sum;
      }
    }
  }
}

void SparseProjection::set_trainable_values(const std::vector<double>& values) {
  Csr w = product_.matrix();
  if (values.size() != w.val.size())
    throw std::logic_error("SparseProjection::set_trainable_values: " + std::to_string(values.size()) +
                           " values for " + std::to_string(w.val.size()) + " nonzeros");
  w.val = values;
  product_ = CsrProduct(std::move(w), precision_);  // its float copy and panels follow the values
}

void RoutingProjection::apply(ConstBlock input, ConstBlock state, Block drive, ThreadPool&) const {
  const std::size_t lanes = drive.lanes;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const double* src = source_block(sources_[routes_[i].source], input, state).var(routes_[i].var);
    double* d = drive.var(i);
    for (std::size_t b = 0; b < lanes; ++b) d[b] += gain_ * src[b];
  }
}

void RoutingProjection::apply_vjp(ConstBlock, ConstBlock, ConstBlock g_drive, Block g_state,
                                  std::vector<double>*) const {
  const std::size_t lanes = g_drive.lanes;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const SourceRef& s = sources_[routes_[i].source];
    if (s.is_input) continue;
    double* gx = source_block(s, g_state).var(routes_[i].var);
    const double* g = g_drive.var(i);
    for (std::size_t b = 0; b < lanes; ++b) gx[b] += gain_ * g[b];
  }
}

std::vector<std::pair<SourceRef, Csr>> RoutingProjection::matrices() const {
  std::vector<std::pair<SourceRef, Csr>> out;
  for (std::uint32_t s = 0; s < sources_.size(); ++s) {
    Csr c;
    c.rows = routes_.size();
    c.cols = sources_[s].size;
    c.row_ptr.push_back(0);
    for (auto& r : routes_) {
      if (r.source == s) {
        c.col.push_back(r.var);
        c.val.push_back(gain_);
      }
      c.row_ptr.push_back(static_cast<std::uint32_t>(c.val.size()));
    }
    out.emplace_back(sources_[s], std::move(c));
  }
  return out;
}

static double draw(WeightDistribution d, Rng& rng) {
  switch (d) {
    case WeightDistribution::Uniform: return uniform(rng, -1.0, 1.0);
    case WeightDistribution::Normal: return normal(rng);
    case WeightDistribution::Bernoulli: return uniform(rng) < 0.5 ? -1.0 : 1.0;
  }
  return 0.0;
}

// Room for the nonzeros expected (the mean and six standard deviations of the binomial count),
// so that the arrays are not copied as they grow: at 10^8 nonzeros each copy would hold three
// times the matrix at once.
static void reserve_nonzeros(Csr& c, const SparseSpec& spec) {
  double expected = static_cast<double>(spec.rows) * static_cast<double>(spec.fan_in);
  if (spec.fan_in == 0) {
    const double cells = static_cast<double>(spec.rows) * static_cast<double>(spec.cols);
    const double p = std::clamp(spec.density, 0.0, 1.0);
    expected = cells * p + 6.0 * std::sqrt(cells * p * (1.0 - p)) + 16.0;
  }
  const auto limit = static_cast<double>(std::numeric_limits<std::uint32_t>::max());
  if (expected > limit)
    throw InputError("a sparse projection of " + std::to_string(spec.rows) + " x " +
                     std::to_string(spec.cols) +
                     " would hold more than 2^32 nonzeros (lower density or fan_in)");
  c.col.reserve(static_cast<std::size_t>(expected));
  c.val.reserve(static_cast<std::size_t>(expected));
  // Written once, front to back: 2 MiB pages save most of the page faults.
  prefer_huge_pages(c.col.data(), c.col.capacity() * sizeof(std::uint32_t));
  prefer_huge_pages(c.val.data(), c.val.capacity() * sizeof(double));
}

Csr random_sparse(const SparseSpec& spec, Rng& rng) {
  Csr c;
  c.rows = spec.rows;
  c.cols = spec.cols;
  c.row_ptr.reserve(spec.rows + 1);
  c.row_ptr.push_back(0);
  reserve_nonzeros(c, spec);
  if (spec.fan_in > 0) {
    if (spec.fan_in > spec.cols)
      throw InputError("fan_in " + std::to_string(spec.fan_in) + " exceeds the source size " +
                       std::to_string(spec.cols));
    // A partial Fisher-Yates shuffle per row picks fan_in distinct columns in O(fan_in).
    std::vector<std::uint32_t> perm(spec.cols);
    std::iota(perm.begin(), perm.end(), 0u);
    for (std::size_t i = 0; i < spec.rows; ++i) {
      for (std::size_t k = 0; k < spec.fan_in; ++k) {
        const std::size_t j = k + static_cast<std::size_t>(uniform(rng) * (spec.cols - k));
        std::swap(perm[k], perm[std::min(j, spec.cols - 1)]);
      }
      std::vector<std::uint32_t> cols(perm.begin(), perm.begin() + spec.fan_in);
      std::sort(cols.begin(), cols.end());
      for (auto j : cols) {
        c.col.push_back(j);
        c.val.push_back(draw(spec.distribution, rng));
      }
      c.row_ptr.push_back(static_cast<std::uint32_t>(c.val.size()));
    }
  } else {
    // Each entry is present with probability `density`; gaps between present entries are
    // geometric, so drawing costs O(nnz) rather than O(rows * cols).
    const double p = spec.density;
    const double log_q = p < 1.0 ? std::log1p(-p) : 0.0;
    for (std::size_t i = 0; i < spec.rows; ++i) {
      if (p > 0.0) {
        for (std::size_t j = 0;; ++j) {
          if (p < 1.0) {
            const double u = 1.0 - uniform(rng);  // (0, 1]
            const double skip = std::floor(std::log(u) / log_q);
            if (skip >= static_cast<double>(spec.cols - j)) break;
            j += static_cast<std::size_t>(skip);
          }
          if (j >= spec.cols) break;
          c.col.push_back(static_cast<std::uint32_t>(j));
          c.val.push_back(draw(spec.distribution, rng));
        }
      }
      c.row_ptr.push_back(static_cast<std::uint32_t>(c.val.size()));
    }
  }
  if (spec.spectral_radius > 0.0) {
    if (spec.rows != spec.cols)
      throw InputError("spectral_radius needs a square (recurrent) projection, got " +
                       std::to_string(spec.rows) + " x " + std::to_string(spec.cols));
    // Beyond kExactRadiusUpTo units the exact radius costs seconds to minutes (ARPACK's restarts
    // on a spectrum that fills a disc), and the circular law is within kCircularLawTolerance
    // of it (docs/performance.md, "Building a network").
    const double rho = random_matrix_spectral_radius(c);
    if (rho <= 1e-300)
      throw InputError(
          "spectral_radius: the drawn matrix has no nonzero eigenvalue "
          "(increase density or fan_in)");
    for (auto& v : c.val) v *= spec.spectral_radius / rho;
  }
  for (auto& v : c.val) v *= spec.scale;
  return c;
}

double spectral_radius(const Csr& w) {
  if (w.rows != w.cols) throw std::logic_error("spectral_radius of a non-square matrix");
  if (w.nnz() == 0) return 0.0;
  const arma::sp_mat m = w.to_arma();
  if (w.rows > 200) {
    // ARPACK. The spectrum of a random matrix fills a disc, so many eigenvalues lie near the
    // largest modulus: asking for a handful converged to a set that missed the largest in 3
    // of 40 draws (N = 800, 1000). 24 eigenvalues in a 97-vector Krylov space found it in all
    // 40, to 1e-13, and is faster than the default subspace.
    const arma::uword k = std::min<arma::uword>(24, w.rows / 4);
    arma::cx_vec ev;
    arma::eigs_opts opts;
    opts.maxiter = 10000;
    opts.tol = 1e-10;
    opts.subdim = std::min<arma::uword>(w.rows - 1, 4 * k + 1);
    if (arma::eigs_gen(ev, m, k, "lm", opts) && ev.n_elem > 0) return arma::max(arma::abs(ev));
  }
  arma::cx_vec ev;
  if (!arma::eig_gen(ev, arma::mat(m))) throw RunError("eigenvalue computation failed");
  return arma::max(arma::abs(ev));
}

// w x, one dot product per row.
static void csr_times(const Csr& w, const double* x, double* y) {
  for (std::size_t i = 0; i < w.rows; ++i) {
    double s0 = 0, s1 = 0;
    std::size_t k = w.row_ptr[i];
    const std::size_t end = w.row_ptr[i + 1];
    for (; k + 2 <= end; k += 2) {
      s0 += w.val[k] * x[w.col[k]];
      s1 += w.val[k + 1] * x[w.col[k + 1]];
    }
    if (k < end) s0 += w.val[k] * x[w.col[k]];
    y[i] = s0 + s1;
  }
}

SpectralEstimate arnoldi_spectral_radius(const Csr& w, double tolerance, std::size_t max_steps) {
  if (w.rows != w.cols) throw std::logic_error("spectral radius of a non-square matrix");
  const std::size_t n = w.rows;
  if (w.nnz() == 0 || n == 0) return {0.0, 0.0, 0};
  const std::size_t m_max = std::min(max_steps, n);
  arma::mat basis(n, m_max + 1);  // the Krylov basis V, orthonormal columns
  arma::mat hessenberg(m_max + 1, m_max, arma::fill::zeros);
  Rng rng = make_rng(1, "spectral_radius.start");  // a fixed start: the same matrix, the same estimate
  for (std::size_t i = 0; i < n; ++i) basis(i, 0) = normal(rng);
  basis.col(0) /= arma::norm(basis.col(0));
  SpectralEstimate best;
  for (std::size_t k = 0; k < m_max; ++k) {
    double* next = basis.colptr(k + 1);
    csr_times(w, basis.colptr(k), next);
    // Classical Gram-Schmidt twice (two matrix-vector products with the basis so far) keeps
    // the basis orthogonal to working precision.
    const arma::mat v(basis.memptr(), n, k + 1, false, true);
    arma::vec u(next, n, false, true);
    for (int pass = 0; pass < 2; ++pass) {
      const arma::vec h = v.t() * u;
      u -= v * h;
      hessenberg.submat(0, k, k, k) += h;
    }
    const double beta = arma::norm(u);
    hessenberg(k + 1, k) = beta;
    const std::size_t m = k + 1;
    // Look at the Ritz values every 20 steps from 40 on, at the last step, and when the space
    // is (numerically) invariant: then they are eigenvalues.
    const bool invariant = beta <= 1e-12 * arma::norm(hessenberg.submat(0, 0, k, k), "fro");
    if (invariant || m == m_max || (m >= 40 && m % 20 == 0)) {
      arma::cx_vec values;
      arma::cx_mat vectors;
      if (!arma::eig_gen(values, vectors, arma::mat(hessenberg.submat(0, 0, k, k))))
        throw RunError("spectral radius: the eigenvalues of the Arnoldi matrix did not converge");
      const arma::uword top = arma::index_max(arma::abs(values));
      const double radius = std::abs(values(top));
      // ||W V y - theta V y|| = beta |y_m| for the Ritz vector V y (||y|| = 1).
      const double residual = invariant ? 0.0 : beta * std::abs(vectors(k, top)) / std::max(radius, 1e-300);
      best = {radius, residual, m};
      if (invariant || residual <= tolerance) return best;
    }
    u /= beta;
  }
  return best;
}

double circular_law_radius(const Csr& w) {
  const double n = static_cast<double>(w.rows);
  double squares = 0;
  for (double v : w.val) squares += v * v;
  if (w.rows < 3) return std::sqrt(squares);  // too small for the edge correction
  const double gamma = std::max(std::log(n / (2 * std::numbers::pi)) - 2 * std::log(std::log(n)), 1e-3);
  // The Gumbel median, -log log 2, at the scale of the fluctuations.
  const double edge = std::sqrt(gamma / (4 * n)) + 0.3665 / std::sqrt(4 * n * gamma);
  return std::sqrt(squares / n) * (1 + edge);
}

double random_matrix_spectral_radius(const Csr& w) {
  if (w.rows != w.cols) throw std::logic_error("spectral radius of a non-square matrix");
  if (w.rows <= kExactRadiusUpTo) return spectral_radius(w);
  // The circular law needs many nonzeros a row, and zero-mean weights: their mean mu would
  // add an eigenvalue near the mean row sum, sum(W) / n, outside the disc if large.
  const double radius = circular_law_radius(w);
  double sum = 0;
  for (double v : w.val) sum += v;
  const bool dense_enough = w.nnz() >= kCircularLawRowNonzeros * w.rows;
  if (dense_enough && std::abs(sum) / static_cast<double>(w.rows) < 0.25 * radius) return radius;
  // Otherwise Arnoldi (cheap when the rows are short), and the exact radius if it does not converge.
  const SpectralEstimate e = arnoldi_spectral_radius(w, kSpectralResidualTolerance, 300);
  if (e.residual <= kSpectralResidualTolerance) return e.radius;
  return spectral_radius(w);
}

static std::size_t total_size(const std::vector<SourceRef>& sources) {
  std::size_t total = 0;
  for (auto& s : sources) total += s.size;
  if (total == 0) throw InputError("identity routing has no source values to route");
  return total;
}

// The route to value k of the concatenated sources.
static RoutingProjection::Route route_to(std::size_t k, const std::vector<SourceRef>& sources) {
  std::uint32_t s = 0;
  while (k >= sources[s].size) k -= sources[s++].size;
  return {s, static_cast<std::uint32_t>(k)};
}

std::vector<RoutingProjection::Route> ordered_routing(std::size_t slots,
                                                      const std::vector<SourceRef>& sources) {
  const std::size_t total = total_size(sources);
  std::vector<RoutingProjection::Route> routes(slots);
  for (std::size_t i = 0; i < slots; ++i) routes[i] = route_to(i % total, sources);
  return routes;
}

std::vector<RoutingProjection::Route> independent_routing(std::size_t slots,
                                                          const std::vector<SourceRef>& sources, Rng& rng) {
  const std::size_t total = total_size(sources);
  std::vector<RoutingProjection::Route> routes(slots);
  for (auto& r : routes)
    r = route_to(std::min(static_cast<std::size_t>(uniform(rng) * total), total - 1), sources);
  return routes;
}

namespace {

// A uniform integer in [0, n), from the project's own uniform (portable across libraries).
std::size_t below(Rng& rng, std::size_t n) {
  return std::min(static_cast<std::size_t>(uniform(rng) * static_cast<double>(n)), n - 1);
}

// Fisher-Yates on the first `count` places: v[0, count) becomes a uniform random choice, in
// random order, of the values of v.
template <class T> void shuffle_prefix(std::vector<T>& v, std::size_t count, Rng& rng) {
  for (std::size_t i = 0; i < count && i + 1 < v.size(); ++i)
    std::swap(v[i], v[i + below(rng, v.size() - i)]);
}

// Slots per source: one each, the rest by largest remainder of the proportional quotas.
std::vector<std::size_t> slots_per_source(std::size_t slots, const std::vector<SourceRef>& sources,
                                          const std::vector<double>& share) {
  const std::size_t n = sources.size();
  if (!share.empty() && share.size() != n)
    throw InputError("share lists " + std::to_string(share.size()) + " numbers for " + std::to_string(n) +
                     " sources");
  if (slots < n)
    throw InputError("the target has " + std::to_string(slots) + " slots for " + std::to_string(n) +
                     " sources: source '" + sources[slots].name +
                     "' would reach none (list fewer sources, or give the target more slots)");
  for (auto& src : sources)
    if (src.size == 0) throw InputError("source '" + src.name + "' has no values to route");
  std::vector<double> quota(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += quota[i] = share.empty() ? static_cast<double>(sources[i].size) : share[i];
  std::vector<std::size_t> count(n);
  std::size_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    quota[i] *= static_cast<double>(slots) / sum;
    given += count[i] = std::max<std::size_t>(1, static_cast<std::size_t>(quota[i]));
  }
  // Largest remainder first when slots are left; smallest first when the minimum of one
  // slot each took too many. Ties go to the earlier source.
  while (given != slots) {
    const bool add = given < slots;
    std::size_t best = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (!add && count[i] <= 1) continue;
      const double rest = quota[i] - static_cast<double>(count[i]);
      if (best == n || (add ? rest > quota[best] - static_cast<double>(count[best])
                            : rest < quota[best] - static_cast<double>(count[best])))
        best = i;
    }
    add ? ++count[best] : --count[best];
    add ? ++given : --given;
  }
  return count;
}

}  // namespace

std::vector<RoutingProjection::Route> random_routing(std::size_t slots, const std::vector<SourceRef>& sources,
                                                     Rng& rng, const std::vector<double>& share) {
  const std::vector<std::size_t> count = slots_per_source(slots, sources, share);
  std::vector<RoutingProjection::Route> routes;
  routes.reserve(slots);
  for (std::uint32_t s = 0; s < sources.size(); ++s) {
    std::vector<std::uint32_t> values(sources[s].size);
    for (std::uint32_t v = 0; v < values.size(); ++v) values[v] = v;
    // Every value count / size times, then a random choice of distinct values for the rest.
    for (std::size_t round = 0; round < count[s] / values.size(); ++round)
      for (std::uint32_t v : values) routes.push_back({s, v});
    const std::size_t rest = count[s] % values.size();
    shuffle_prefix(values, rest, rng);
    for (std::size_t k = 0; k < rest; ++k) routes.push_back({s, values[k]});
  }
  shuffle_prefix(routes, routes.size(), rng);
  return routes;
}

}  // namespace ransim
