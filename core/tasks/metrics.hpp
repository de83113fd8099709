#pragma once
// Task metrics over readout samples (rows) and outputs (columns).
#include <armadillo>
#include <string>

namespace ransim {

enum class Metric {
  Nrmse,           // sqrt(mean (y - yhat)^2) / std(y), over all entries
  MemoryCapacity,  // sum over output columns (delays) of the squared correlation
  Accuracy,        // share of rows whose largest output is the target's largest entry
  Mse,             // mean (y - yhat)^2
  ErrorRate,       // 1 - Accuracy: the STREAM benchmark's score of its classification tasks
  LabelError,      // share of (row, column) entries where (yhat >= 0.5) != (y >= 0.5): multi-label
};

// "nrmse", "memory_capacity", "accuracy", "mse", "error_rate", "label_error"
const char* metric_name(Metric m);
bool higher_is_better(Metric m);
double nrmse(const arma::mat& y, const arma::mat& yhat);
// nrmse from sums over n entries: of the squared errors, of the targets and of their squares
// (the targets may be shifted by a constant first, against cancellation). For readouts that
// keep statistics instead of every sample.
double nrmse_from_sums(double sse, double sum_y, double sum_yy, double n);
// Per column d, the squared Pearson correlation of yhat's column with y's (0 for a column
// without variance): the memory curve, whose sum is MemoryCapacity.
arma::vec squared_correlations(const arma::mat& y, const arma::mat& yhat);
double score(Metric m, const arma::mat& y, const arma::mat& yhat);

}  // namespace ransim
