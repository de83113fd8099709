#include "run/session.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "engine/health.hpp"
#include "engine/huge_pages.hpp"
#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "io/setup.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "readout/ridge.hpp"
#include "run/attention_regime.hpp"
#include "run/resources.hpp"
#include "run/run.hpp"
#include "run/session_bounded.hpp"
#include "scenario/build_network.hpp"

namespace ransim {

struct Session::Recorded {
  std::size_t pop;
  std::string name;
  std::size_t id;
};

// max |a - b| and max |b| of two recordables over a run.
struct Session::Comparison {
  std::string name;
  std::size_t pop_a = 0, pop_b = 0;
  std::string var_a, var_b;
  bool needs_drive = false;
  double max_diff = 0, max_b = 0;
  std::vector<double> a, b;

  static Comparison resolve(const CompareDecl& d, const Network& net, const std::string& path) {
    Comparison c;
    c.name = d.name;
    std::size_t sizes[2] = {0, 0};
    for (int side = 0; side < 2; ++side) {
      const std::string& full = side == 0 ? d.a : d.b;
      const std::string pop = full.substr(0, full.find('.')), var = full.substr(full.find('.') + 1);
      const std::size_t p = net.find(pop);
      bool found = false;
      for (auto& r : net.populations()[p].model->recordables())
        if (r.name == var) {
          found = true;
          sizes[side] = r.size();
          c.needs_drive = c.needs_drive || r.needs_drive;
        }
      if (!found)
        throw InputError(path + ": compare '" + d.name + "': population '" + pop + "' records no variable '" +
                         var + "'");
      (side == 0 ? c.pop_a : c.pop_b) = p;
      (side == 0 ? c.var_a : c.var_b) = var;
    }
    if (sizes[0] != sizes[1])
      throw InputError(path + ": compare '" + d.name + "': '" + d.a + "' has " + std::to_string(sizes[0]) +
                       " values per lane but '" + d.b + "' has " + std::to_string(sizes[1]));
    return c;
  }

  void update(const Network& net, const double* x) {
    a.clear();
    b.clear();
    net.populations()[pop_a].model->sample(var_a, net.block(x, pop_a), net.drive(pop_a), a);
    net.populations()[pop_b].model->sample(var_b, net.block(x, pop_b), net.drive(pop_b), b);
    for (std::size_t i = 0; i < a.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(a[i] - b[i]));
      max_b = std::max(max_b, std::abs(b[i]));
    }
  }
};

// record.variables = ["pop.variable"]: a misspelled variable fails before the run, naming
// what the population records (the scenario checked the population names).
static void check_record_variables(const Scenario& sc, const Network& net) {
  for (auto& name : sc.record_variables) {
    const auto dot = name.find('.');
    if (dot == std::string::npos) continue;
    const std::string pop = name.substr(0, dot), var = name.substr(dot + 1);
    std::string known;
    bool found = false;
    for (auto& r : net.populations()[net.find(pop)].model->recordables()) {
      found = found || r.name == var;
      known += (known.empty() ? "" : ", ") + r.name;
    }
    if (!found)
      throw InputError(sc.path + ": record.variables: population '" + pop + "' records no variable '" + var +
                       "' (it records: " + known + ")");
  }
}

void record_ridge_selection(Recorder& rec, const RidgeSelection& selection, Metric metric) {
  namespace a = layout::analysis;
  rec.write_vector(a::kRidgeCandidates, selection.candidates, "1", "candidate ridge penalties lambda");
  rec.write_vector(
      a::kRidgeScores, selection.scores, "1",
      std::string(metric_name(metric)) + " on the validation split for each lambda (NaN: failed)");
  rec.set_attribute(a::kRidgeSelection, "metric", std::string(metric_name(metric)));
  rec.set_attribute(a::kRidgeSelection, "selected", selection.lambda);
}

Session::Session(const Scenario& sc, const SessionOptions& opts) : sc_(sc), opts_(opts) {
  check_memory(sc_, opts_.bounded);

  const TaskInfo* info = find_task(sc_.task_kind);
  if (info->episodic())
    throw InputError(sc_.path + ": task '" + sc_.task_kind +
                     "' runs in episodes: `ransim run` and `ransim compare` "
                     "run it; a session stepped token by token (the GUI) takes stream tasks only");
  task_ = info->create(sc_.task);
  protocol_ = task_->protocol;
  metric_ = task_->metric;
  net_ = build_network(sc_, task_->input_dim);
  task_->set_state_size(net_->state_size());
  const ReadoutKind readout_kind = parse_readout_kind(sc_.readout.string("kind"));
  const bool bounded = opts_.bounded && runs_bounded(sc_, *task_);
  steps_ = protocol_.total();
  if (bounded) {
    load_piece(0);
  } else {
    Rng task_rng = make_rng(sc_.seed, "task");
    seq_ = task_->generate(sc_.lanes, task_rng);
    steps_ = seq_.steps;
  }
  if (readout_kind == ReadoutKind::Force) {  // built again, its input widened by the fed-back output
    if (protocol_.free_run)
      throw InputError(sc_.path +
                       ": readout.kind = \"force\" feeds its output back through readout.feedback_to; "
                       "task mode = \"free_run\" would feed it as the input too (use mode = \"one_step\")");
    net_ = build_network(sc_, task_->input_dim, seq_.target_dim);
  }
  if (!bounded) task_.reset();  // the whole sequence is in seq_
  sim_ = std::make_unique<Simulator>(*net_, sc_.integrator);
  sim_->set_stop_flag(opts_.stop);
  const std::size_t lanes = sc_.lanes;
  u_.assign(net_->input_size() * lanes, 0.0);
  prediction_.assign(seq_.target_dim * lanes, 0.0);

  // Readout features: the chosen populations' states (and the input, if asked). Tasks
  // without a target (random_sequence) train no readout.
  has_readout_ = seq_.target_dim > 0 && protocol_.train > 0;
  if (has_readout_ && !sc_.readout_ridge_candidates.empty() && protocol_.validation == 0)
    throw InputError(sc_.path +
                     ": readout.ridge: a list or \"auto\" chooses lambda on the validation split, "
                     "but task.validation = 0 (set task.validation, tokens between train and test, e.g. " +
                     std::to_string(std::max<std::size_t>(1, protocol_.train / 4)) + ")");
  if (has_readout_) readout_features_ = FeatureSelection(sc_, *net_, seq_.input_dim);
  if (has_readout_ && bounded) {
    if (!sc_.readout_ridge_candidates.empty() && metric_ != Metric::Nrmse && metric_ != Metric::Mse)
      throw InputError(sc_.path +
                       ": readout.ridge: a list or \"auto\" on a stream read from a file chooses "
                       "lambda by nrmse or mse on the validation part (its statistics, not its samples); "
                       "task.metric is " +
                       metric_name(metric_) + " (give one readout.ridge)");
    bounded_ = std::make_unique<Bounded>(readout_features_.size(), seq_.target_dim, lanes);
  }
  // Ridge: every token; bounded: a block; online: the last token.
  const std::size_t kept = bounded_ ? bounded_->tokens : readout_kind == ReadoutKind::Ridge ? steps_ : 1;
  features_.set_size(readout_features_.size(), has_readout_ ? kept * lanes : 0);
  if (has_readout_ && readout_kind != ReadoutKind::Ridge)
    online_ =
        std::make_unique<OnlineReadout>(readout_kind, sc_.readout, features_.n_rows, seq_.target_dim, lanes,
                                        steps_, protocol_.warmup, protocol_.warmup + protocol_.train);
  prefer_huge_pages(features_.memptr(), features_.n_elem * sizeof(double));

  // [[compare]]: resolve both recordables of each pair now, so a typo fails before the run.
  for (auto& c : sc_.compares) {
    compares_.push_back(Comparison::resolve(c, *net_, sc_.path));
    compare_needs_drive_ = compare_needs_drive_ || compares_.back().needs_drive;
  }
  check_record_variables(sc_, *net_);
  health_ = std::make_unique<Health>(net_->populations().size());
  regime_ = std::make_unique<AttentionRegime>(*net_);

  const std::string out = opts_.out.empty() ? sc_.record.string("file") : opts_.out;
  if (!out.empty()) start_recording(out);
}

Session::~Session() {
  try {
    finish();
  } catch (...) {  // a destructor never throws; finish() already tried its best
  }
}

void Session::start_recording(const std::string& path) {
  if (rec_) stop_recording();
  const double T = sc_.integrator.token_period;
  const std::size_t lanes = sc_.lanes;
  auto rec = std::make_unique<Recorder>(RecorderOptions{path, sc_.record.real("flush_interval"),
                                                        static_cast<int>(sc_.record.integer("compression"))});
  write_setup(*rec, sc_, opts_.command_line, *net_);
  write_parameter_edits(*rec, edits_);  // the edits before this recording started too
  // Samples from now on: input k is held from k T, the state after it is at (k+1) T.
  const double t0 = static_cast<double>(k_) * T;
  input_id_ = rec->add_series(layout::acquisition::kInput, {lanes, seq_.input_dim}, "1",
                              "input sample k, held on [k T, (k+1) T)", t0, 1.0 / T);
  if (has_readout_) {
    target_id_ = rec->add_series(layout::acquisition::kTarget, {lanes, seq_.target_dim}, "1",
                                 "target for the state after input sample k", t0 + T, 1.0 / T);
    // The tokens each segment of the run covers, [first, end).
    namespace a = layout::analysis;
    auto range = [](std::size_t first, std::size_t end) {
      return std::vector<std::int64_t>{static_cast<std::int64_t>(first), static_cast<std::int64_t>(end)};
    };
    const std::size_t train_end = protocol_.warmup + protocol_.train, fit_at = protocol_.fit_at();
    rec->set_attribute(a::kSplit, a::kSplitUnit, std::string("token"));
    rec->set_attribute(a::kSplit, a::kWarmup, range(0, protocol_.warmup));
    rec->set_attribute(a::kSplit, a::kTrain, range(protocol_.warmup, train_end));
    if (protocol_.validation) rec->set_attribute(a::kSplit, a::kValidation, range(train_end, fit_at));
    rec->set_attribute(a::kSplit, a::kTest, range(fit_at, steps_));
  }
  recorded_.clear();
  if (bounded_) bounded_->output.reset();  // the readout output starts again in this recording
  any_needs_drive_ = false;
  for (std::size_t i = 0; i < net_->populations().size(); ++i) {
    const auto& p = net_->populations()[i];
    for (auto& r : p.model->recordables()) {
      const auto& vars = sc_.record_variables;
      if (!vars.empty() && std::find(vars.begin(), vars.end(), p.name) == vars.end() &&
          std::find(vars.begin(), vars.end(), p.name + "." + r.name) == vars.end())
        continue;
      std::vector<std::size_t> shape{lanes};
      shape.insert(shape.end(), r.shape.begin(), r.shape.end());
      any_needs_drive_ = any_needs_drive_ || r.needs_drive;
      const std::string group = layout::processing::variable(p.name, r.name);
      recorded_.push_back(
          {i, r.name,
           rec->add_series(group, shape, r.unit, r.description + " (" + p.kind + ")", t0 + T, 1.0 / T)});
    }
  }
  rec->flush();
  rec_ = std::move(rec);
  out_ = path;
  first_recorded_ = k_;
}

void Session::stop_recording() {
  if (!rec_) return;
  rec_->finish(done() ? (status_ == RunStatus::Running ? RunStatus::Complete : status_) : RunStatus::Partial);
  rec_.reset();
}

void Session::set_parameter(const std::string& population, const std::string& name, const Value& value) {
  const std::size_t p = net_->find(population);
  if (p == static_cast<std::size_t>(-1)) throw InputError("no population named '" + population + "'");
  const auto& slot = net_->populations()[p];
  const auto live = slot.model->live_parameters();
  if (std::find(live.begin(), live.end(), name) == live.end())
    throw InputError(population + "." + name + " cannot change during a run");
  const ParamSpec* spec = find_spec(Registry::global().find(slot.kind)->params, name);
  if (!spec) throw InputError(population + "." + name + ": no such parameter");
  if (auto why = spec->check(value))
    throw InputError(population + "." + name + ": expected " + spec->expectation() + ", found " +
                     to_string(value));
  pending_.push_back({p, {name, value}});
}

void Session::set_learning(bool on) {
  if (!online_)
    throw InputError(
        "readout.kind = \"ridge\" is fitted once, after the training tokens; learning can be "
        "switched on and off for kind = \"rls\" or \"force\"");
  learning_request_ = on;
}

// An online readout's token: learn (on training tokens), output z; FORCE holds z as the
// feedback input over the next token.
void Session::online_step(std::size_t k) {
  const std::size_t lanes = sc_.lanes, in = seq_.input_dim;
  const arma::mat z = online_->step(k, features_, targets(k, k + 1));
  const bool feedback = online_->kind() == ReadoutKind::Force;
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t o = 0; o < z.n_rows; ++o) {
      prediction_[o * lanes + b] = z(o, b);
      if (feedback) u_[(in + o) * lanes + b] = z(o, b);
    }
}

void Session::stop(RunStatus status, const std::string& message) {
  if (status_ != RunStatus::Running) return;
  status_ = status;
  message_ = message;
}

bool Session::step() {
  if (done()) return false;
  // Parameter edits land here, between steps.
  for (auto& [p, edit] : pending_) {
    net_->populations()[p].model->set_live_parameter(edit.first, edit.second);
    for (auto& decl : sc_.populations)
      if (decl.name == net_->populations()[p].name) decl.params.set(edit.first, edit.second);
    edits_.push_back({k_, static_cast<double>(k_) * sc_.integrator.token_period, net_->populations()[p].name,
                      edit.first, edit.second});
  }
  if (rec_ && !pending_.empty()) write_parameter_edits(*rec_, edits_);
  pending_.clear();
  if (learning_request_) online_->set_learning(*learning_request_);
  learning_request_.reset();

  const std::size_t lanes = sc_.lanes, k = k_;
  const std::size_t fit_at = protocol_.fit_at();  // W is trained after this many tokens
  const bool closed_loop = has_readout_ && protocol_.free_run && k >= fit_at;
  if (bounded_) load_piece(k);
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t i = 0; i < seq_.input_dim; ++i)
      u_[i * lanes + b] = closed_loop ? prediction_[i * lanes + b] : seq_.input_at(k - seq_first_, b)[i];
  if (!sim_->step_token(u_.data())) {
    stop(RunStatus::Interrupted, "interrupted by signal " + std::to_string(opts_.stop->load()) +
                                     " inside token " + std::to_string(k + 1) + " of " +
                                     std::to_string(steps_) + " (" + std::to_string(k) + " tokens done)");
    return false;
  }

  const auto& x = sim_->state();
  if (auto stop = health_->check(*net_, x.data(), sim_->time(), k)) {
    status_ = parse_run_status(stop->first).value_or(RunStatus::Failed);
    message_ = stop->second;
    return false;
  }
  ++k_;

  if (has_readout_) {
    for (std::size_t b = 0; b < lanes; ++b)
      readout_features_.copy(*net_, x.data(), u_.data(), b, features_.colptr(column(k) + b));
    if (bounded_) bounded_token(k);
  }
  if (rec_) record_token();
  if (!compares_.empty()) {
    if (compare_needs_drive_) net_->compute_drive(x.data(), u_.data());
    for (auto& c : compares_) c.update(*net_, x.data());
  }
  if (!regime_->empty() && k >= protocol_.warmup && (k - protocol_.warmup) % AttentionRegime::kStride == 0)
    regime_->observe(*net_, sim_->state().data(), u_.data(), sc_.lanes);
  if (online_) online_step(k);
  if (has_readout_ && !online_ && k + 1 == fit_at) fit();
  if (has_readout_ && protocol_.free_run && k + 1 >= fit_at) prediction();  // the next input
  if (k_ == steps_) status_ = RunStatus::Complete;
  return true;
}

void Session::record_token() {
  const std::size_t lanes = sc_.lanes;
  const auto& x = sim_->state();
  sample_.clear();
  for (std::size_t b = 0; b < lanes; ++b)
    for (std::size_t i = 0; i < seq_.input_dim; ++i) sample_.push_back(u_[i * lanes + b]);
  rec_->append(input_id_, sample_.data());
  if (has_readout_) rec_->append(target_id_, target_at(k_ - 1, 0));
  if (any_needs_drive_) net_->compute_drive(x.data(), u_.data());
  for (auto& r : recorded_) {
    sample_.clear();
    net_->populations()[r.pop].model->sample(r.name, net_->block(x.data(), r.pop), net_->drive(r.pop),
                                             sample_);
    rec_->append(r.id, sample_.data());
  }
  rec_->maybe_flush();
}

std::vector<double> Session::sample(std::size_t population, const std::string& variable) {
  const auto& x = sim_->state();
  net_->compute_drive(x.data(), u_.data());
  std::vector<double> out;
  net_->populations()[population].model->sample(variable, net_->block(x.data(), population),
                                                net_->drive(population), out);
  return out;
}

// The readout's samples of tokens [k0, k1), one column per (token, lane), and their targets.
arma::mat Session::targets(std::size_t k0, std::size_t k1) const {
  const std::size_t lanes = sc_.lanes;
  arma::mat yt(seq_.target_dim, (k1 - k0) * lanes);
  for (std::size_t k = k0; k < k1; ++k)
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t o = 0; o < seq_.target_dim; ++o) yt(o, (k - k0) * lanes + b) = target_at(k, b)[o];
  return yt;
}

std::size_t Session::column(std::size_t k) const {
  if (online_) return 0;
  return (bounded_ ? k - bounded_->first : k) * sc_.lanes;
}

void Session::fit(std::optional<double> lambda) {
  if (bounded_) return fit_bounded(lambda);
  const std::size_t lanes = sc_.lanes, samples = protocol_.train * lanes;
  const std::size_t train_end = protocol_.warmup + protocol_.train;
  // The training columns of features_ in place (one sample per column); a copy or a transpose
  // of a long run's states would page in as much fresh memory again.
  RidgeAccumulator acc(features_.n_rows, seq_.target_dim);
  const arma::mat train(features_.colptr(protocol_.warmup * lanes), features_.n_rows, samples, false, true);
  acc.add_columns(train, targets(protocol_.warmup, train_end));
  lambda_ = lambda.value_or(sc_.readout.real("ridge"));
  if (!lambda &&
      !sc_.readout_ridge_candidates.empty()) {  // chosen on the validation tokens, never the test's
    const arma::mat validation(features_.colptr(train_end * lanes), features_.n_rows,
                               protocol_.validation * lanes, false, true);
    selection_ =
        acc.select(sc_.readout_ridge_candidates, validation, targets(train_end, protocol_.fit_at()), metric_);
    lambda_ = selection_->lambda;
    metrics_["ridge_selected"] = lambda_;
  }
  w_ = acc.solve(lambda_);
}

void Session::fit_readout(double lambda) {
  if (!has_readout_ || online_) throw InputError("fit_readout: this run has no ridge readout to fit");
  if (!(lambda >= 0))
    throw InputError("fit_readout: expected a ridge >= 0, found " + to_string(Value{lambda}));
  if (k_ < protocol_.fit_at())
    throw InputError("fit_readout: the readout is fitted after token " + std::to_string(protocol_.fit_at()) +
                     " (warmup, train and validation); " + std::to_string(k_) + " done");
  fit(lambda);
}

void Session::set_weight(const std::string& name, const arma::mat& value) {
  ransim::set_weight(*net_, name, value);
}

void Session::set_readout(const arma::mat& w) {
  if (!has_readout_ || online_) throw InputError("set_readout: this run has no ridge readout");
  if (w.n_rows != features_.n_rows + 1 || w.n_cols != seq_.target_dim)
    throw InputError("set_readout: expected weights shaped (" + std::to_string(features_.n_rows + 1) + ", " +
                     std::to_string(seq_.target_dim) + ") (features + bias, outputs), found (" +
                     std::to_string(w.n_rows) + ", " + std::to_string(w.n_cols) + ")");
  w_ = w;
}

std::optional<std::vector<double>> Session::prediction() {
  if (online_ && k_ > 0) return prediction_;
  if (w_.empty() || k_ == 0) return std::nullopt;
  const std::size_t lanes = sc_.lanes, F = features_.n_rows;
  for (std::size_t b = 0; b < lanes; ++b) {
    const arma::rowvec y =
        (bounded_ ? bounded_->last.col(b) : features_.col(column(k_ - 1) + b)).t() * w_.rows(0, F - 1) +
        w_.row(F);
    for (std::size_t o = 0; o < seq_.target_dim; ++o) prediction_[o * lanes + b] = y[o];
  }
  return prediction_;
}

void Session::finish() {
  if (finished_) return;
  finished_ = true;
  regime_->add_metrics(*net_, metrics_);
  for (auto& c : compares_) {
    metrics_["max_abs_dev_" + c.name] = c.max_diff;
    metrics_["max_rel_dev_" + c.name] = c.max_diff / c.max_b;
  }
  const std::size_t lanes = sc_.lanes, T = steps_;
  if (bounded_) flush_block(k_);  // an interrupted run's last test tokens, for the recording
  if (status_ == RunStatus::Complete && bounded_) bounded_metrics();
  if (bounded_) {
    if (rec_ && !w_.empty()) record_readout_weights();  // stopped after the fit too: the output needs W
  } else if (status_ == RunStatus::Complete && has_readout_) {
    const arma::mat Yhat =  // rows (token, lane)
        online_ ? arma::mat(online_->outputs().t()) : ridge_predict(w_, features_.t());
    auto segment = [&](std::size_t k0, std::size_t k1, const std::string& name) {
      arma::mat y((k1 - k0) * lanes, seq_.target_dim), yh(y.n_rows, seq_.target_dim);
      for (std::size_t k = k0; k < k1; ++k)
        for (std::size_t b = 0; b < lanes; ++b)
          for (std::size_t o = 0; o < seq_.target_dim; ++o) {
            y((k - k0) * lanes + b, o) = seq_.target_at(k, b)[o];
            yh((k - k0) * lanes + b, o) = Yhat(k * lanes + b, o);
          }
      metrics_[name] = score(metric_, y, yh);
    };
    const std::size_t train_end = protocol_.warmup + protocol_.train, fit_at = protocol_.fit_at();
    const std::string name = metric_name(metric_);
    segment(protocol_.warmup, train_end, name + "_train");
    if (protocol_.validation) segment(train_end, fit_at, name + "_validation");
    segment(fit_at, T, name + "_test");
    if (rec_) record_readout(Yhat);
  }
  if (rec_) {
    for (auto& [m, v] : metrics_) rec_->write_scalar(layout::analysis::metric(m), v);
    rec_->finish(status_ == RunStatus::Running ? RunStatus::Failed : status_);
    rec_.reset();
  }
}

void Session::record_readout(const arma::mat& predictions) {
  const std::size_t lanes = sc_.lanes, T = steps_;
  const double Ttok = sc_.integrator.token_period;
  const auto id = rec_->add_series(layout::analysis::kReadoutOutput, {lanes, seq_.target_dim}, "1",
                                   "readout output [x 1] W for the state after each token",
                                   static_cast<double>(first_recorded_ + 1) * Ttok, 1.0 / Ttok);
  for (std::size_t k = first_recorded_; k < T; ++k) {
    sample_.clear();
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t o = 0; o < seq_.target_dim; ++o) sample_.push_back(predictions(k * lanes + b, o));
    rec_->append(id, sample_.data());
  }
  record_readout_weights();
}

void Session::record_readout_weights() {
  namespace nw = layout::network;
  rec_->write_matrix(nw::kReadoutWeights, online_ ? online_->rls().weights() : w_, "1",
                     "[features + 1, outputs]; the last row is the bias");
  rec_->set_attribute(nw::kReadout, layout::kKind, std::string(readout_kind_name(readout_kind())));
  if (online_) {
    rec_->set_attribute(nw::kReadout, nw::kForgetting, online_->forgetting());
    rec_->set_attribute(nw::kReadout, nw::kAlpha, online_->alpha());
    rec_->set_attribute(nw::kReadout, nw::kLearnEvery, static_cast<double>(online_->learn_every()));
    rec_->set_attribute(nw::kReadout, nw::kUpdates, static_cast<double>(online_->rls().updates()));
  } else {
    rec_->set_attribute(nw::kReadout, nw::kRidge, lambda_);
  }
  rec_->write_string(nw::kReadoutFeatures, readout_features_.names(*net_));
  if (selection_) record_ridge_selection(*rec_, *selection_, metric_);
}

}  // namespace ransim
