#include "readout/online.hpp"

#include <stdexcept>

#include "ransim/error.hpp"

namespace ransim {

ReadoutKind parse_readout_kind(const std::string& kind) {
  if (kind == "rls") return ReadoutKind::Rls;
  if (kind == "force") return ReadoutKind::Force;
  if (kind == "ridge") return ReadoutKind::Ridge;
  throw std::logic_error("parse_readout_kind: unknown kind '" + kind + "'");
}

const char* readout_kind_name(ReadoutKind kind) {
  switch (kind) {
    case ReadoutKind::Rls: return "rls";
    case ReadoutKind::Force: return "force";
    default: return "ridge";
  }
}

RecursiveLeastSquares::RecursiveLeastSquares(std::size_t features, std::size_t outputs, double forgetting,
                                             double alpha)
    : forgetting_(forgetting),
      w_(features + 1, outputs, arma::fill::zeros),
      p_(arma::eye(features + 1, features + 1) / alpha) {}

namespace {

arma::mat augmented(const arma::mat& features) {  // [s; 1] as columns
  arma::mat a(features.n_rows + 1, features.n_cols, arma::fill::none);
  a.rows(0, features.n_rows - 1) = features;
  a.row(features.n_rows).ones();
  return a;
}

}  // namespace

void RecursiveLeastSquares::update(const arma::mat& features, const arma::mat& targets) {
  if (features.n_rows + 1 != w_.n_rows || targets.n_rows != w_.n_cols || features.n_cols != targets.n_cols)
    throw std::logic_error("RecursiveLeastSquares::update: shape mismatch");
  const arma::mat a = augmented(features);
  const arma::mat pa = p_ * a;  // P A, (features + 1) x samples
  arma::mat s = a.t() * pa;     // lambda I + A^T P A, samples x samples
  s.diag() += forgetting_;
  arma::mat gain_t;  // K^T = S^-1 (P A)^T, S symmetric positive definite
  if (!arma::solve(gain_t, s, pa.t(), arma::solve_opts::likely_sympd))
    throw RunError("rls readout: the gain's system is singular (raise readout.alpha)");
  const arma::mat error = targets - w_.t() * a;  // outputs x samples, before the update
  w_ += gain_t.t() * error.t();
  p_ -= gain_t.t() * pa.t();
  p_ = 0.5 * (p_ + p_.t());  // P stays symmetric against rounding
  if (forgetting_ != 1.0) p_ /= forgetting_;
  ++updates_;
}

arma::mat RecursiveLeastSquares::predict(const arma::mat& features) const {
  arma::mat y = w_.rows(0, features.n_rows - 1).t() * features;
  y.each_col() += w_.row(features.n_rows).t();
  return y;
}

OnlineReadout::OnlineReadout(ReadoutKind kind, const Params& readout, std::size_t features,
                             std::size_t outputs, std::size_t lanes, std::size_t tokens,
                             std::size_t train_begin, std::size_t train_end)
    : kind_(kind),
      forgetting_(readout.real("forgetting")),
      alpha_(readout.real("alpha")),
      learn_every_(static_cast<std::size_t>(readout.integer("learn_every"))),
      lanes_(lanes),
      train_begin_(train_begin),
      train_end_(train_end),
      rls_(features, outputs, forgetting_, alpha_),
      outputs_(outputs, tokens * lanes, arma::fill::zeros) {}

arma::mat OnlineReadout::step(std::size_t k, const arma::mat& features, const arma::mat& targets) {
  if (learns_at(k)) rls_.update(features, targets);
  arma::mat z = rls_.predict(features);
  outputs_.cols(k * lanes_, (k + 1) * lanes_ - 1) = z;
  return z;
}

}  // namespace ransim
