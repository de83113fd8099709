#include "analysis/measures.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ransim/error.hpp"
#include "tasks/metrics.hpp"

namespace ransim::analysis {

arma::vec memory_curve(const arma::mat& target, const arma::mat& output) {
  if (target.n_rows != output.n_rows || target.n_cols != output.n_cols)
    throw InputError("memory curve: target is " + std::to_string(target.n_rows) + " x " +
                     std::to_string(target.n_cols) + " but output is " + std::to_string(output.n_rows) +
                     " x " + std::to_string(output.n_cols));
  return squared_correlations(target, output);
}

arma::vec normalised_entropy(const arma::mat& weights, std::size_t groups) {
  if (groups == 0 || weights.n_cols % groups != 0)
    throw InputError("normalised entropy: " + std::to_string(weights.n_cols) +
                     " columns cannot be cut into " + std::to_string(groups) + " equal groups");
  const std::size_t width = weights.n_cols / groups;
  arma::vec out(weights.n_rows, arma::fill::zeros);
  for (arma::uword r = 0; r < weights.n_rows; ++r) {
    double total = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      double sum = 0;
      std::size_t n = 0;
      for (std::size_t j = g * width; j < (g + 1) * width; ++j)
        if (weights(r, j) > 0) sum += weights(r, j), ++n;
      if (n < 2) continue;
      double h = 0;
      for (std::size_t j = g * width; j < (g + 1) * width; ++j)
        if (weights(r, j) > 0) h -= weights(r, j) / sum * std::log(weights(r, j) / sum);
      total += h / std::log(static_cast<double>(n));
    }
    out[r] = total / static_cast<double>(groups);
  }
  return out;
}

SlotUsage slot_usage(const arma::mat& activations, double threshold) {
  SlotUsage u;
  const arma::uword S = activations.n_cols, N = activations.n_rows;
  u.slot_share.zeros(S);
  u.sample_share.zeros(N);
  for (arma::uword i = 0; i < N; ++i) {
    const double top = S ? activations.row(i).max() : 0.0;
    if (!(top > 0)) continue;
    std::size_t active = 0;
    for (arma::uword s = 0; s < S; ++s)
      if (activations(i, s) > threshold * top) ++active, u.slot_share[s] += 1;
    u.sample_share[i] = static_cast<double>(active) / static_cast<double>(S);
  }
  for (arma::uword s = 0; s < S; ++s) u.dead += u.slot_share[s] == 0;
  if (N) {
    u.slot_share /= static_cast<double>(N);
    u.mean_share = arma::mean(u.sample_share);
  }
  return u;
}

std::size_t Pca::components_for(double share) const {
  double sum = 0;
  for (arma::uword i = 0; i < explained.n_elem; ++i)
    if ((sum += explained[i]) >= share - 1e-12) return i + 1;
  return explained.n_elem;
}

Pca pca(const arma::mat& samples, bool directions) {
  Pca p;
  if (samples.n_rows < 2 || samples.n_cols == 0) {
    p.variance.zeros(samples.n_cols);
    p.explained.zeros(samples.n_cols);
    if (directions) p.components.eye(samples.n_cols, samples.n_cols);
    return p;
  }
  arma::vec ascending;
  if (directions) {
    arma::eig_sym(ascending, p.components, arma::cov(samples));
    p.components = arma::fliplr(p.components);
  } else {
    ascending = arma::eig_sym(arma::cov(samples));
  }
  p.variance = arma::clamp(arma::reverse(ascending), 0.0, arma::datum::inf);
  const double total = arma::accu(p.variance), squares = arma::dot(p.variance, p.variance);
  p.explained = total > 0 ? arma::vec(p.variance / total) : arma::vec(p.variance.n_elem, arma::fill::zeros);
  p.participation_ratio = squares > 0 ? total * total / squares : 0.0;
  return p;
}

Spectrum power_spectrum(const arma::mat& series, double rate, std::size_t segment) {
  if (!(rate > 0)) throw InputError("power spectrum: the sampling rate must be > 0");
  const std::size_t N = series.n_rows;
  const std::size_t n = segment ? segment : std::min<std::size_t>(256, N);
  if (n < 2 || n > N)
    throw InputError("power spectrum: segments of " + std::to_string(n) +
                     " samples need at least 2 and at most " + std::to_string(N) + " (the signal's length)");
  arma::vec window(n);
  for (std::size_t j = 0; j < n; ++j) window[j] = 0.5 * (1 - std::cos(2 * M_PI * j / n));  // periodic Hann
  const double scale = rate * arma::dot(window, window);
  const std::size_t bins = n / 2 + 1, hop = std::max<std::size_t>(1, n / 2);
  Spectrum s;
  s.frequency = arma::regspace(0, bins - 1) * (rate / n);
  s.power.zeros(bins);
  std::size_t count = 0;
  for (std::size_t start = 0; start + n <= N; start += hop) {
    arma::mat block = series.rows(start, start + n - 1);
    block.each_row() -= arma::mean(block, 0);
    block.each_col() %= window;
    const arma::cx_mat X = arma::fft(block);
    const arma::mat density = arma::square(arma::abs(X.rows(0, bins - 1)));
    s.power += arma::sum(density, 1);
    count += block.n_cols;
  }
  s.power /= scale * static_cast<double>(count);
  // One-sided: the negative frequencies' share, except at 0 and (even n) at Nyquist.
  const std::size_t last = n % 2 == 0 ? bins - 1 : bins;
  for (std::size_t k = 1; k < last; ++k) s.power[k] *= 2;
  return s;
}

}  // namespace ransim::analysis
