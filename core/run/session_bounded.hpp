#pragma once
// The bounded path of a Session (SessionOptions::bounded; docs/tasks.md, "A bounded stream"):
// a stream read a piece at a time, whose readout keeps statistics instead of every token's
// features. Private to run/session*.cpp.
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "readout/ridge.hpp"
#include "run/session.hpp"

namespace ransim {

// A bounded run's readout (SessionOptions::bounded): features_ holds the block of tokens from
// `first` on, their targets in `y`: as many samples as features (64 at least), so that the
// block costs no more memory than the statistics it feeds. A full block, or one that reaches the end of its
// part, goes to the training or validation statistics, or (test tokens, after the fit) is predicted, scored
// and recorded at once. The train and validation metrics then come from the statistics.
struct Session::Bounded {
  std::size_t first = 0, tokens = 0;  // tokens: the block's capacity
  arma::mat y, last;                  // last: the features of the last token, per lane
  RidgeAccumulator train, validation;
  // The test part as it runs: the residual sum of squares and the target's sums (shifted by
  // its first value, against cancellation) for nrmse and mse; the rows read right for accuracy.
  double sse = 0, shift = NAN, sum_y = 0, sum_yy = 0, hits = 0;
  std::size_t rows = 0, entries = 0;
  std::optional<std::size_t> output;  // the recording's /analysis/readout_output series, once started

  Bounded(std::size_t features, std::size_t outputs, std::size_t lanes)
      : tokens(std::max<std::size_t>(1, std::max<std::size_t>(64, features) / lanes)),
        y(outputs, tokens * lanes),
        last(features, lanes),
        train(features, outputs),
        validation(features, outputs) {}

  // Targets and predictions, one column per sample.
  void score_test(const arma::mat& yt, const arma::mat& yhat_t) {
    if (std::isnan(shift)) shift = yt(0, 0);
    for (std::size_t c = 0; c < yt.n_cols; ++c) {
      for (std::size_t o = 0; o < yt.n_rows; ++o) {
        const double e = yt(o, c) - yhat_t(o, c), d = yt(o, c) - shift;
        sse += e * e;
        sum_y += d;
        sum_yy += d * d;
      }
      hits += yt.col(c).index_max() == yhat_t.col(c).index_max() ? 1 : 0;
    }
    rows += yt.n_cols;
    entries += yt.n_elem;
  }
  // The test metric as score() gives it on the whole test part.
  double test_score(Metric metric) const {
    const double n = static_cast<double>(entries);
    switch (metric) {
      case Metric::Mse: return sse / n;
      case Metric::Nrmse: return nrmse_from_sums(sse, sum_y, sum_yy, n);
      case Metric::Accuracy: return hits / static_cast<double>(rows);
      case Metric::ErrorRate: return 1.0 - hits / static_cast<double>(rows);
      default: throw std::logic_error(std::string("bounded session: no streamed ") + metric_name(metric));
    }
  }
};

}  // namespace ransim
