#pragma once
// Measures of recorded activity on plain matrices, samples as rows: what `ransim analyze`
// reports for a recording (analysis/recording_analysis.hpp) and what Python calls on its own
// arrays. docs/analysis.md defines each one.
#include <cstddef>

#include <armadillo>

namespace ransim::analysis {

// The memory curve r^2(d): per column d, the squared Pearson correlation of output column d with
// target column d, 0 for a column without variance; the memory_capacity metric is its sum
// (tasks/metrics.hpp, the same code).
arma::vec memory_curve(const arma::mat& target, const arma::mat& output);

// Normalised attention entropy of each row of `weights`, a row holding `groups` distributions
// (heads) side by side in equal column blocks: per block, the positive entries are scaled to sum
// 1 and H = -sum p log p / log(n) with n the block's positive entries (the rows a model
// attended; unfilled rows of its window are 0), 0 when n < 2; the row's value is the mean over
// its blocks. 1: uniform weights; near 0: one entry.
arma::vec normalised_entropy(const arma::mat& weights, std::size_t groups = 1);

// Memory-slot usage of one unit: `activations` holds one sample per row and one slot per
// column. A slot is active in a sample when its activation exceeds `threshold` times the
// sample's largest activation and that largest activation is positive (a sample whose
// activations are all <= 0 has no active slot). A dead slot is active in no sample.
struct SlotUsage {
  arma::vec slot_share;    // per slot: the share of samples in which it is active
  arma::vec sample_share;  // per sample: the share of slots active
  double mean_share = 0;   // the mean of sample_share
  std::size_t dead = 0;    // slots active in no sample
};
inline constexpr double kDefaultSlotThreshold = 0.01;
SlotUsage slot_usage(const arma::mat& activations, double threshold = kDefaultSlotThreshold);

// Principal components of `samples` (rows: samples, columns: variables): the eigenvalues of
// the covariance matrix (normalised by samples - 1), largest first and clamped at 0, their
// shares of the total variance, and the participation ratio (sum lambda)^2 / sum lambda^2, the
// number of dimensions the activity effectively spans (1 .. variables; 0 without variance).
struct Pca {
  arma::vec variance;
  arma::vec explained;
  arma::mat components;  // with `directions`: column k is component k's unit direction
  double participation_ratio = 0;
  // The fewest leading components whose shares add up to at least `share`.
  std::size_t components_for(double share) const;
};
Pca pca(const arma::mat& samples, bool directions = false);

// Power spectral density by Welch's method: each column is a signal sampled at `rate` (Hz),
// cut into segments of `segment` samples (0: min(256, rows)) overlapping by half, each
// segment's mean removed and a periodic Hann window applied; the one-sided density
// |FFT|^2 / (rate * sum w^2), doubled except at 0 and the Nyquist frequency, averaged over the
// segments and the columns. Its sum times the bin width is the windowed signals' mean square
// (Parseval): a sine of amplitude A on a bin gives A^2 / 2.
struct Spectrum {
  arma::vec frequency;  // Hz, 0 .. rate / 2, bin width rate / segment
  arma::vec power;      // signal units^2 / Hz
};
Spectrum power_spectrum(const arma::mat& series, double rate, std::size_t segment = 0);

}  // namespace ransim::analysis
