// Armadillo would print a warning for every near-singular system; a tiny ridge makes those
// common and harmless (the approximate solution is what we want), so only errors are shown.
#define ARMA_WARN_LEVEL 1
#include "readout/ridge.hpp"

#include <cmath>
#include <limits>
#include <thread>

#include "engine/huge_pages.hpp"
#include "ransim/error.hpp"

namespace ransim {

RidgeAccumulator::RidgeAccumulator(std::size_t features, std::size_t outputs)
    : gram_(features, features, arma::fill::none),
      sum_(features, arma::fill::zeros),
      xty_(features + 1, outputs, arma::fill::zeros),
      yy_(outputs, arma::fill::zeros) {
  prefer_huge_pages(gram_.memptr(), gram_.n_elem * sizeof(double));  // 250 MB at 5600 features
  gram_.zeros();
}

void RidgeAccumulator::add(const arma::mat& x, const arma::mat& y, std::size_t threads) {
  if (x.n_rows != y.n_rows || x.n_cols != gram_.n_rows || y.n_cols != xty_.n_cols)
    throw std::logic_error("RidgeAccumulator::add: shape mismatch");
  if (x.n_rows == 0) return;
  add_gram(x.memptr(), x.n_rows, false, threads);
  sum_ += arma::sum(x, 0).t();
  xty_.rows(0, x.n_cols - 1) += x.t() * y;  // a transposed gemm, no copy of X
  xty_.row(x.n_cols) += arma::sum(y, 0);
  yy_ += arma::sum(arma::square(y), 0);
  n_ += x.n_rows;
}

void RidgeAccumulator::add_columns(const arma::mat& xt, const arma::mat& yt, std::size_t threads) {
  if (xt.n_cols != yt.n_cols || xt.n_rows != gram_.n_rows || yt.n_rows != xty_.n_cols)
    throw std::logic_error("RidgeAccumulator::add_columns: shape mismatch");
  if (xt.n_cols == 0) return;
  add_gram(xt.memptr(), xt.n_cols, true, threads);
  sum_ += arma::sum(xt, 1);
  xty_.rows(0, xt.n_rows - 1) += xt * yt.t();
  xty_.row(xt.n_rows) += arma::sum(yt, 1).t();
  yy_ += arma::sum(arma::square(yt), 1).t();
  n_ += xt.n_cols;
}

namespace {

// G (upper triangle, leading dimension F) = beta G + X^T X for `samples` samples of F features,
// in T = double or float, read in place. Many features: the triangle is cut at column
// c = F / sqrt(2) into two parts of equal work, the columns before c (a syrk) and those from
// c on (a gemm above the diagonal block, a syrk on it), computed on two threads when given.
// The same calls either way, so the same bits on one thread or two.
template <class T>
void rank_k_update(const T* x, std::size_t features, std::size_t samples, bool samples_in_columns,
                   std::size_t threads, T beta, T* g) {
  const arma::blas_int f = static_cast<arma::blas_int>(features), k = static_cast<arma::blas_int>(samples);
  const arma::blas_int c = features < RidgeAccumulator::kSplitFeatures
                               ? f
                               : static_cast<arma::blas_int>(static_cast<double>(f) / std::sqrt(2.0));
  const arma::blas_int rest = f - c;
  // Feature j's values: a row of X^T (stride f) or a column of X (contiguous).
  const arma::blas_int ld = samples_in_columns ? f : k;
  const T* x_c = x + (samples_in_columns ? std::size_t(c) : std::size_t(c) * samples);
  const char* syrk_trans = samples_in_columns ? "N" : "T";
  const char* left = samples_in_columns ? "N" : "T";
  const char* right = samples_in_columns ? "T" : "N";
  const T one = 1;
  auto leading = [&] { arma::blas::syrk<T>("U", syrk_trans, &c, &k, &one, x, &ld, &beta, g, &f); };
  auto trailing = [&] {
    if (rest == 0) return;
    T* g_c = g + static_cast<std::size_t>(c) * features;  // column c
    arma::blas::gemm<T>(left, right, &c, &rest, &k, &one, x, &ld, x_c, &ld, &beta, g_c, &f);
    arma::blas::syrk<T>("U", syrk_trans, &rest, &k, &one, x_c, &ld, &beta, g_c + c, &f);
  };
  if (threads > 1 && rest > 0) {
    std::jthread helper(trailing);
    leading();
  } else {
    leading();
    trailing();
  }
}

}  // namespace

void RidgeAccumulator::set_single_precision(bool single) {
  single_ = single;
  const std::size_t f = gram_.n_rows;
  if (!single || gram_single_.n_rows == f) return;
  gram_single_.set_size(f, f);
  prefer_huge_pages(gram_single_.memptr(), gram_single_.n_elem * sizeof(float));
}

void RidgeAccumulator::add_gram(const double* x, std::size_t samples, bool samples_in_columns,
                                std::size_t threads) {
  // X^T X by rank-k updates of the upper triangle in place: an expression such as
  // gram_ += xt * xt.t() would build (and page in) an F x F temporary for every block.
  const std::size_t f = gram_.n_rows;
  if (!single_) return rank_k_update<double>(x, f, samples, samples_in_columns, threads, 1.0, gram_.memptr());
  // Single precision: the block's products summed in float (relative error ~1e-7 times the
  // square root of the block's samples), then added into the double triangle, so that the
  // error does not grow with the number of blocks.
  const std::size_t count = f * samples;
  if (x_single_.n_elem < count) x_single_.set_size(count);
  float* xs = x_single_.memptr();
  for (std::size_t i = 0; i < count; ++i) xs[i] = static_cast<float>(x[i]);
  rank_k_update<float>(xs, f, samples, samples_in_columns, threads, 0.0f, gram_single_.memptr());
  const float* gs = gram_single_.memptr();
  double* g = gram_.memptr();
  for (std::size_t j = 0; j < f; ++j)
    for (std::size_t i = 0; i <= j; ++i) g[j * f + i] += gs[j * f + i];
}

arma::mat RidgeAccumulator::solve(double lambda) const {
  if (n_ == 0) throw RunError("ridge readout: no training samples");
  const std::size_t f = gram_.n_rows;
  // [X 1]^T [X 1] + lambda I from its upper triangle, mirrored in place: symmatu(gram_) would
  // build an F x F temporary (250 MB at 5600 features). Built again when a solver overwrote it.
  arma::mat a(f + 1, f + 1, arma::fill::none);
  prefer_huge_pages(a.memptr(), a.n_elem * sizeof(double));
  auto build = [&] {
    a.submat(0, 0, f - 1, f - 1) = gram_;
    a.submat(0, f, f - 1, f) = sum_;
    a(f, f) = static_cast<double>(n_);
    a = arma::symmatu(a);
    a.submat(0, 0, f - 1, f - 1).diag() += lambda;  // the bias is not regularised
  };
  build();
  // What arma::solve(w, a, xty_, solve_opts::likely_sympd) does, on `a` itself rather than on
  // a copy of it (one (F + 1)^2 matrix less at the fit): Cholesky; LU if `a` is not positive
  // definite; the least-squares solution by SVD when either is singular to working precision.
  arma::mat w;
  double rcond = 0;
  bool sympd = false;
  bool solved = arma::auxlib::solve_sympd_rcond(w, sympd, rcond, a, xty_);
  if (!solved && !sympd) {
    build();
    solved = arma::auxlib::solve_square_rcond(w, rcond, a, xty_);
  }
  if (solved && (rcond < std::numeric_limits<double>::epsilon() || std::isnan(rcond))) solved = false;
  if (!solved) {
    build();
    solved = arma::auxlib::solve_approx_svd(w, a, xty_);
  }
  if (!solved) throw RunError("ridge readout: the normal equations are singular (raise readout.ridge)");
  return w;
}

const std::vector<double>& ridge_auto_grid() {
  static const std::vector<double> grid = [] {
    std::vector<double> g;
    for (int k = 0; k <= 24; ++k) g.push_back(std::pow(10.0, -10.0 + 0.5 * k));
    return g;
  }();
  return grid;
}

namespace {

// LAPACK routines Armadillo does not wrap: the Householder reduction of a symmetric matrix to
// tridiagonal form, and the application of its orthogonal factor Q.
extern "C" {
void dsytrd_(const char* uplo, const arma::blas_int* n, double* a, const arma::blas_int* lda, double* d,
             double* e, double* tau, double* work, const arma::blas_int* lwork, arma::blas_int* info,
             arma::blas_len uplo_len);
void dormtr_(const char* side, const char* uplo, const char* trans, const arma::blas_int* m,
             const arma::blas_int* n, const double* a, const arma::blas_int* lda, const double* tau,
             double* c, const arma::blas_int* ldc, double* work, const arma::blas_int* lwork,
             arma::blas_int* info, arma::blas_len side_len, arma::blas_len uplo_len,
             arma::blas_len trans_len);
}

// C = Q T Q^T with T tridiagonal (diagonal d, off-diagonal e): Q is kept as reflectors in the
// upper triangle of `a` and `tau`.
struct Tridiagonal {
  arma::mat a;
  arma::vec d, e, tau;

  explicit Tridiagonal(arma::mat c) : a(std::move(c)), d(a.n_rows), e(a.n_rows), tau(a.n_rows) {
    const arma::blas_int n = static_cast<arma::blas_int>(a.n_rows), query = -1;
    arma::blas_int info = 0;
    double size = 0;
    dsytrd_("U", &n, a.memptr(), &n, d.memptr(), e.memptr(), tau.memptr(), &size, &query, &info, 1);
    arma::vec work(std::max<arma::uword>(1, static_cast<arma::uword>(size)));
    const arma::blas_int lwork = static_cast<arma::blas_int>(work.n_elem);
    dsytrd_("U", &n, a.memptr(), &n, d.memptr(), e.memptr(), tau.memptr(), work.memptr(), &lwork, &info, 1);
    if (info != 0)
      throw RunError("ridge readout: the reduction of X^T X failed (LAPACK dsytrd info " +
                     std::to_string(info) + ")");
  }
  // m := Q^T m ("T") or Q m ("N"), m with a.n_rows rows.
  void apply(const char* trans, arma::mat& m) const {
    if (m.n_cols == 0) return;
    const arma::blas_int rows = static_cast<arma::blas_int>(m.n_rows),
                         cols = static_cast<arma::blas_int>(m.n_cols);
    const arma::blas_int query = -1;
    arma::blas_int info = 0;
    double size = 0;
    dormtr_("L", "U", trans, &rows, &cols, a.memptr(), &rows, tau.memptr(), m.memptr(), &rows, &size, &query,
            &info, 1, 1, 1);
    arma::vec work(std::max<arma::uword>(1, static_cast<arma::uword>(size)));
    const arma::blas_int lwork = static_cast<arma::blas_int>(work.n_elem);
    dormtr_("L", "U", trans, &rows, &cols, a.memptr(), &rows, tau.memptr(), m.memptr(), &rows, work.memptr(),
            &lwork, &info, 1, 1, 1);
    if (info != 0) throw RunError("ridge readout: LAPACK dormtr info " + std::to_string(info));
  }
  // (T + lambda I)^-1 b, by Gaussian elimination with partial pivoting (T + lambda I may be
  // indefinite by rounding when lambda is tiny); empty when it is singular.
  arma::mat solve(double lambda, arma::mat b) const {
    arma::blas_int n = static_cast<arma::blas_int>(d.n_elem), nrhs = static_cast<arma::blas_int>(b.n_cols);
    arma::vec diag = d + lambda, lower = e, upper = e;  // e[0..n-2] is the off-diagonal
    arma::blas_int info = 0;
    arma::lapack::gtsv(&n, &nrhs, lower.memptr(), diag.memptr(), upper.memptr(), b.memptr(), &n, &info);
    return info == 0 ? b : arma::mat();
  }
};

}  // namespace

// The unpenalised bias is the same as centring: with the training means m and ybar,
// C = X^T X - n m m^T and R = X^T Y - n m ybar^T, W(lambda) = (C + lambda I)^-1 R and
// b = ybar - W^T m. One reduction C = Q T Q^T (T tridiagonal, a third of an eigen-
// decomposition's work) serves every lambda: W = Q (T + lambda I)^-1 Q^T R.
struct RidgeAccumulator::Reduced {
  arma::vec mean;
  arma::rowvec ybar;
  Tridiagonal tri;
  arma::mat q;  // Q^T R
};

RidgeAccumulator::Reduced RidgeAccumulator::reduce() const {
  const std::size_t f = gram_.n_rows;
  const double n = static_cast<double>(n_);
  const arma::vec mean = sum_ / n;
  const arma::rowvec ybar = xty_.row(f) / n;
  arma::mat centred = gram_;
  centred -= sum_ * mean.t();  // only the upper triangle is read
  Reduced r{mean, ybar, Tridiagonal(std::move(centred)), xty_.rows(0, f - 1) - sum_ * ybar};
  r.tri.apply("T", r.q);
  return r;
}

namespace {

// Keeps lambda in `sel` if its score s beats the best so far; ties go to the larger lambda.
void keep_best(RidgeSelection& sel, bool& found, double lambda, double s, Metric metric) {
  if (!std::isfinite(s)) s = NAN;
  sel.scores.push_back(s);
  if (std::isnan(s)) return;
  const bool higher = higher_is_better(metric);
  if (!found || (higher ? s > sel.score : s < sel.score) || (s == sel.score && lambda > sel.lambda)) {
    sel.lambda = lambda;
    sel.score = s;
    found = true;
  }
}

void check_found(bool found) {
  if (!found)
    throw RunError("ridge readout: no candidate lambda gave a finite validation score (diverged states?)");
}

}  // namespace

RidgeSelection RidgeAccumulator::select(const std::vector<double>& candidates, const arma::mat& xt_val,
                                        const arma::mat& yt_val, Metric metric) const {
  if (n_ == 0) throw RunError("ridge readout: no training samples");
  if (xt_val.n_rows != gram_.n_rows || yt_val.n_rows != xty_.n_cols || xt_val.n_cols != yt_val.n_cols)
    throw std::logic_error("RidgeAccumulator::select: shape mismatch");
  if (xt_val.n_cols == 0) throw RunError("ridge readout: no validation samples to choose lambda on");
  // With few outputs, one application of Q per candidate gives W; with many outputs the
  // validation samples are rotated by Q once instead.
  const Reduced r = reduce();
  const std::size_t outputs = r.q.n_cols, samples = xt_val.n_cols;
  const bool rotate_samples = outputs * candidates.size() > samples;
  arma::mat rotated;  // Q^T (X_val - m), when the samples are rotated
  if (rotate_samples) {
    rotated = xt_val;
    rotated.each_col() -= r.mean;
    r.tri.apply("T", rotated);
  }
  const arma::mat y_val = yt_val.t();

  RidgeSelection sel;
  sel.candidates = candidates;
  bool found = false;
  for (double lambda : candidates) {
    arma::mat z = r.tri.solve(lambda, r.q);  // (T + lambda I)^-1 Q^T R
    double s = NAN;
    if (!z.empty()) {
      arma::mat yhat;  // validation samples x outputs
      if (rotate_samples) {
        yhat = rotated.t() * z;
      } else {
        r.tri.apply("N", z);  // W
        yhat = xt_val.t() * z;
        yhat.each_row() -= r.mean.t() * z;
      }
      yhat.each_row() += r.ybar;
      s = ransim::score(metric, y_val, yhat);
    }
    keep_best(sel, found, lambda, s, metric);
  }
  check_found(found);
  return sel;
}

RidgeSelection RidgeAccumulator::select(const std::vector<double>& candidates,
                                        const RidgeAccumulator& validation, Metric metric) const {
  if (n_ == 0) throw RunError("ridge readout: no training samples");
  if (validation.gram_.n_rows != gram_.n_rows || validation.xty_.n_cols != xty_.n_cols)
    throw std::logic_error("RidgeAccumulator::select: shape mismatch");
  if (validation.n_ == 0) throw RunError("ridge readout: no validation samples to choose lambda on");
  const Reduced r = reduce();
  RidgeSelection sel;
  sel.candidates = candidates;
  bool found = false;
  for (double lambda : candidates) {
    arma::mat z = r.tri.solve(lambda, r.q);
    double s = NAN;
    if (!z.empty()) {
      r.tri.apply("N", z);  // W, and the bias below it
      s = validation.score(metric, arma::join_cols(z, r.ybar - r.mean.t() * z));
    }
    keep_best(sel, found, lambda, s, metric);
  }
  check_found(found);
  return sel;
}

double RidgeAccumulator::score(Metric metric, const arma::mat& w) const {
  if (metric != Metric::Mse && metric != Metric::Nrmse)
    throw std::logic_error(std::string("RidgeAccumulator::score: ") + metric_name(metric) +
                           " is not a function of the sums");
  const std::size_t f = gram_.n_rows;
  if (w.n_rows != f + 1 || w.n_cols != xty_.n_cols) throw std::logic_error("RidgeAccumulator::score: shape");
  if (n_ == 0) return NAN;
  const double n = static_cast<double>(n_), entries = n * static_cast<double>(xty_.n_cols);
  const arma::mat wx = w.rows(0, f - 1);
  const arma::rowvec bias = w.row(f);
  // X^T X wx from the upper triangle held (symmatu would build an F x F copy).
  arma::mat gw(f, wx.n_cols, arma::fill::zeros);
  for (std::size_t j = 0; j < f; ++j)
    for (std::size_t i = 0; i <= j; ++i) {
      gw.row(i) += gram_(i, j) * wx.row(j);
      if (i != j) gw.row(j) += gram_(i, j) * wx.row(i);
    }
  gw += sum_ * bias;                                     // X^T [X 1] w
  const arma::rowvec ones_w = sum_.t() * wx + n * bias;  // 1^T [X 1] w
  const double quadratic = arma::accu(wx % gw) + arma::accu(bias % ones_w);
  const double sse = std::max(0.0, arma::accu(yy_) - 2 * arma::accu(w % xty_) + quadratic);
  if (metric == Metric::Mse) return sse / entries;
  // The targets' sum is the bias row of X^T Y: over every entry, as nrmse() does.
  return nrmse_from_sums(sse, arma::accu(xty_.row(f)), arma::accu(yy_), entries);
}

arma::mat ridge_fit(const arma::mat& x, const arma::mat& y, double lambda) {
  RidgeAccumulator acc(x.n_cols, y.n_cols);
  acc.add(x, y);
  return acc.solve(lambda);
}

}  // namespace ransim
