// A Session's bounded path (session_bounded.hpp): the pieces of the sequence, the blocks of
// features into the statistics of their part, the test part scored as it runs.
#include "run/session_bounded.hpp"

#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "run/resources.hpp"

namespace ransim {

void Session::load_piece(std::size_t k) {
  if (k >= seq_first_ && k < seq_first_ + seq_.steps) return;
  const std::size_t first = k - k % kStreamPieceTokens;
  // The old piece's memory goes before the next is read, rather than both held at once.
  seq_.steps = 0;
  std::vector<double>().swap(seq_.input);
  std::vector<double>().swap(seq_.target);
  seq_ = task_->read(first, std::min(kStreamPieceTokens, steps_ - first), sc_.lanes);
  seq_first_ = first;
}

// Token k's features (already in features_) and targets join the block; the block goes to its
// part when it is full or the part ends.
void Session::bounded_token(std::size_t k) {
  Bounded& b = *bounded_;
  const std::size_t lanes = sc_.lanes, col = column(k);
  for (std::size_t l = 0; l < lanes; ++l) {
    std::copy_n(features_.colptr(col + l), features_.n_rows, b.last.colptr(l));
    std::copy_n(target_at(k, l), seq_.target_dim, b.y.colptr(col + l));
  }
  const std::size_t train_end = protocol_.warmup + protocol_.train, fit_at = protocol_.fit_at();
  const std::size_t part_end = k < protocol_.warmup ? protocol_.warmup
                               : k < train_end      ? train_end
                               : k < fit_at         ? fit_at
                                                    : steps_;
  if (k + 1 == part_end || k + 1 - b.first == b.tokens) flush_block(k + 1);
}

void Session::flush_block(std::size_t end) {
  Bounded& b = *bounded_;
  const std::size_t k0 = b.first, lanes = sc_.lanes, n = (end - k0) * lanes;
  if (end <= k0) return;
  b.first = end;
  const arma::mat x(features_.memptr(), features_.n_rows, n, false, true),
      y(b.y.memptr(), b.y.n_rows, n, false, true);
  const std::size_t train_end = protocol_.warmup + protocol_.train;
  if (k0 < protocol_.warmup) return;
  if (k0 < train_end) return b.train.add_columns(x, y);
  if (k0 < protocol_.fit_at()) return b.validation.add_columns(x, y);
  if (w_.empty()) return;                           // the fit failed
  const arma::mat yhat = ridge_predict(w_, x.t());  // rows (token, lane)
  b.score_test(y, yhat.t());
  if (!rec_) return;
  const double T = sc_.integrator.token_period;
  for (std::size_t k = std::max(k0, first_recorded_); k < end; ++k) {
    if (!b.output)
      b.output = rec_->add_series(layout::analysis::kReadoutOutput, {lanes, seq_.target_dim}, "1",
                                  "readout output [x 1] W for the state after each test token",
                                  static_cast<double>(k + 1) * T, 1.0 / T);
    sample_.clear();
    for (std::size_t l = 0; l < lanes; ++l)
      for (std::size_t o = 0; o < seq_.target_dim; ++o) sample_.push_back(yhat((k - k0) * lanes + l, o));
    rec_->append(*b.output, sample_.data());
  }
}

// The readout from the training statistics, lambda chosen on the validation statistics when
// readout.ridge is a list or "auto" (and no lambda is given).
void Session::fit_bounded(std::optional<double> lambda) {
  lambda_ = lambda.value_or(sc_.readout.real("ridge"));
  if (!lambda && !sc_.readout_ridge_candidates.empty()) {
    selection_ = bounded_->train.select(sc_.readout_ridge_candidates, bounded_->validation, metric_);
    lambda_ = selection_->lambda;
    metrics_["ridge_selected"] = lambda_;
  }
  w_ = bounded_->train.solve(lambda_);
}

// A bounded run's metrics: the test part's as it ran, the train and validation parts' from their
// statistics (nrmse and mse are functions of them; accuracy is not, and is left out there).
void Session::bounded_metrics() {
  const std::string name = metric_name(metric_);
  if (metric_ == Metric::Nrmse || metric_ == Metric::Mse) {
    metrics_[name + "_train"] = bounded_->train.score(metric_, w_);
    if (protocol_.validation) metrics_[name + "_validation"] = bounded_->validation.score(metric_, w_);
  }
  metrics_[name + "_test"] = bounded_->test_score(metric_);
}

}  // namespace ransim
