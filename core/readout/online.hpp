#pragma once
// Online readouts (docs/science.md section 5.1): recursive least squares (RLS) with a
// forgetting factor, the learning rule of `readout.kind = "rls"` and of FORCE learning
// (`"force"`, Sussillo & Abbott 2009), where the session also feeds the readout's output back
// into the network. The readout is the ridge readout's: y = [s 1] W, W (features + 1) x
// outputs with the bias in the last row.
#include <armadillo>
#include <string>

#include "ransim/params.hpp"

namespace ransim {

enum class ReadoutKind { Ridge, Rls, Force };
ReadoutKind parse_readout_kind(const std::string& kind);  // "ridge" | "rls" | "force"
const char* readout_kind_name(ReadoutKind kind);

// RLS on the augmented features a = [s 1]. Starting from W = 0 and P = I / alpha, an update
// with a block of samples taken at the same token (one per lane, the columns of A) does
//   S = lambda I + A^T P A,  K = P A S^-1,  W += K (Y - A^T W),  P = (P - K A^T P) / lambda,
// so that after updates t = 1..n
//   W = (lambda^n alpha I + sum_t lambda^(n-t) A_t A_t^T)^-1 sum_t lambda^(n-t) A_t Y_t^T
// (lambda = 1: the batch least squares with every weight, the bias too, penalised by alpha).
class RecursiveLeastSquares {
 public:
  RecursiveLeastSquares(std::size_t features, std::size_t outputs, double forgetting, double alpha);
  // One update: features x samples and outputs x samples, one column per lane.
  void update(const arma::mat& features, const arma::mat& targets);
  // [s 1] W for each column of `features`: outputs x samples.
  arma::mat predict(const arma::mat& features) const;
  const arma::mat& weights() const { return w_; }
  const arma::mat& inverse_correlation() const { return p_; }  // P
  std::size_t updates() const { return updates_; }

 private:
  double forgetting_;
  arma::mat w_, p_;
  std::size_t updates_ = 0;
};

// A session's online readout (readout.kind = "rls" | "force"): it learns on the training
// tokens [train_begin, train_end), every learn_every-th of them counted from train_begin and
// only while learning is on, and gives its output for every token after the update, which
// FORCE feeds back and the metrics score. All lanes update one W together.
class OnlineReadout {
 public:
  // `readout` holds the validated keys forgetting, alpha, learn_every (scenario readout table).
  OnlineReadout(ReadoutKind kind, const Params& readout, std::size_t features, std::size_t outputs,
                std::size_t lanes, std::size_t tokens, std::size_t train_begin, std::size_t train_end);
  // Token k's features (features x lanes) and targets (outputs x lanes): learns when k is a
  // learning token, then returns the output z = [s 1] W (outputs x lanes), also kept in outputs().
  arma::mat step(std::size_t k, const arma::mat& features, const arma::mat& targets);
  bool learns_at(std::size_t k) const {
    return learning_ && k >= train_begin_ && k < train_end_ && (k - train_begin_) % learn_every_ == 0;
  }
  void set_learning(bool on) { learning_ = on; }
  bool learning() const { return learning_; }
  ReadoutKind kind() const { return kind_; }
  // Every token's output, one column per (token, lane): outputs x (tokens * lanes).
  const arma::mat& outputs() const { return outputs_; }
  const RecursiveLeastSquares& rls() const { return rls_; }
  double forgetting() const { return forgetting_; }
  double alpha() const { return alpha_; }
  std::size_t learn_every() const { return learn_every_; }

 private:
  ReadoutKind kind_;
  double forgetting_, alpha_;
  std::size_t learn_every_, lanes_, train_begin_, train_end_;
  RecursiveLeastSquares rls_;
  arma::mat outputs_;
  bool learning_ = true;
};

}  // namespace ransim
