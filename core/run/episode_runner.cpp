// The episode runner (docs/tasks.md): episodes go through the network B at a time, one per
// lane, each batch starting from the initial state; with several threads, each runs whole
// batches on its own copy of the network. Training batches add their features to
// the ridge statistics and are dropped; the validation episodes (the last task.validation
// training episodes) are kept to choose readout.ridge on; then the readout is solved and the
// test episodes are scored with it. No run ever holds all training states. Episodes of
// different lengths share a batch padded to its longest: a shorter one's lane runs on zero
// input after its last token, where nothing is read (lanes are independent), so the padding
// changes no feature.
#include "run/episode_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <numeric>
#include <optional>
#include <thread>

#include "engine/health.hpp"
#include "engine/simulator.hpp"
#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "io/setup.hpp"
#include "ransim/error.hpp"
#include "readout/features.hpp"
#include "readout/ridge.hpp"
#include "run/attention_regime.hpp"
#include "run/resources.hpp"
#include "run/session.hpp"
#include "scenario/build_network.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

namespace {

// Fills readout samples: one column per (episode, point), the states after the point's
// tokens stacked (each snapshot: the readout's feature selection).
class Features {
 public:
  Features(const Scenario& sc, const Network& net, const EpisodeTask& task)
      : net_(net), task_(task), selection_(sc, net, task.input_dim) {
    at_.resize(task.length);
    for (std::size_t p = 0; p < task.points.size(); ++p) {
      if (task.points[p].size() != task.points[0].size() || task.points[p].empty())
        throw std::logic_error("episode task: every readout point must list the same number of tokens");
      for (std::size_t s = 0; s < task.points[p].size(); ++s) at_.at(task.points[p][s]).push_back({p, s});
    }
  }
  std::size_t size() const { return selection_.size() * task_.points[0].size(); }
  const FeatureSelection& selection() const { return selection_; }

  // Tasks that choose each episode's tokens (EpisodeBatch::tokens): the snapshot of episode e
  // into column `column` of x.
  void take_one(const double* state, const double* u, std::size_t e, arma::mat& x, std::size_t column) const {
    selection_.copy(net_, state, u, e, x.colptr(column));
  }

  // After token k of a batch of n episodes: copy the snapshots taken at k into columns
  // first + e * points + p of x.
  void take(std::size_t k, const double* state, const double* u, std::size_t n, arma::mat& x,
            std::size_t first) const {
    const std::size_t P = task_.points.size();
    for (auto [p, s] : at_[k])
      for (std::size_t e = 0; e < n; ++e)
        selection_.copy(net_, state, u, e, x.colptr(first + e * P + p) + s * selection_.size());
  }

 private:
  const Network& net_;
  const EpisodeTask& task_;
  FeatureSelection selection_;
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> at_;  // token -> (point, snapshot)
};

// One thread's copy of the network and its scratch.
struct Worker {
  std::unique_ptr<Network> net;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Features> features;
  std::unique_ptr<Health> health;
  std::vector<double> u;
};

// A batch's readout samples (one column per (episode, point)), its attention entropies and how
// its run ended.
struct Batch {
  arma::mat x, y;
  std::optional<AttentionRegime> regime;
  RunStatus status = RunStatus::Complete;
  std::string message;
  std::size_t steps = 0, tokens = 0;  // tokens: the episodes' own, without padding
};

// One run of an episode task, phase by phase: setup (constructor), the training split in
// waves of batches, the fit, the test split, the record.
class EpisodeRunner {
 public:
  EpisodeRunner(const Scenario& sc, const RunOptions& opts);
  RunResult run();

 private:
  using Consume = std::function<void(std::size_t first, Batch&)>;
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void open_recording();
  void run_batch(Worker& wk, Split split, std::size_t first, std::size_t n, Batch& out) const;
  // Episodes [offset, offset + count) of a split; consume() sees them numbered from 0.
  bool run_split(Split split, std::size_t offset, std::size_t count, const Consume& consume);
  void simulate_wave(Split split, std::size_t offset, std::size_t count, std::size_t b0,
                     std::vector<Batch>& out, std::atomic<std::size_t>& next, Worker& wk) const;
  bool drain_wave(std::size_t count, std::size_t b0, std::vector<Batch>& in, const Consume& consume);
  bool train();
  bool validate();
  void fit();
  bool test();
  void record(bool ok);

  const Scenario& sc_;
  const RunOptions& opts_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::unique_ptr<EpisodeTask> task_;
  std::optional<SingleThreadedBlas> blas_;
  std::size_t B_ = 0, L_ = 0, P_ = 0, D_ = 0, F_ = 0;
  std::size_t threads_ = 1, wave_ = 1, total_ = 0;
  std::vector<Worker> workers_;
  std::optional<AttentionRegime> regime_;  // every batch's, merged in order
  RunResult res_;
  std::unique_ptr<Recorder> rec_;
  double last_report_ = 0;

  // Training samples collect in x_ until a few hundred are there, so that the ridge
  // statistics grow by matrix products rather than rank-one updates.
  std::size_t block_ = 0, filled_ = 0;
  arma::mat x_, y_;
  std::optional<RidgeAccumulator> acc_;
  arma::mat w_, test_y_, test_yhat_;
  arma::mat val_x_, val_y_;  // the validation episodes' samples, one column each
  double lambda_ = 0;
  std::optional<RidgeSelection> selection_;
};

EpisodeRunner::EpisodeRunner(const Scenario& sc, const RunOptions& opts) : sc_(sc), opts_(opts) {
  check_memory(sc);
  blas_.emplace();
  task_ = find_task(sc.task_kind)->create_episodes(sc.task);
  B_ = sc.lanes;
  L_ = task_->length;
  P_ = task_->points.size();
  D_ = task_->target_dim;
  threads_ = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  wave_ = threads_ > 1 ? 4 * threads_ : 1;
  total_ = (task_->train + task_->test) * L_;
  if (!sc.readout_ridge_candidates.empty() && task_->validation == 0)
    throw InputError(
        sc.path +
        ": readout.ridge: a list or \"auto\" chooses lambda on the validation split, "
        "but task.validation = 0 (set task.validation, training episodes held out of the fit, e.g. " +
        std::to_string(std::max<std::size_t>(1, task_->train / 5)) + ")");

  // Threads work on different batches, each with its own copy of the network (the same
  // seed builds the same weights); inside a batch the network runs on one thread.
  Scenario one = sc;
  one.threads = 1;
  workers_.resize(threads_);
  for (auto& w : workers_) {
    w.net = build_network(one, task_->input_dim);
    w.sim = std::make_unique<Simulator>(*w.net, sc.integrator);
    w.sim->set_stop_flag(opts.stop);  // a long token stops within one integrator step
    w.features = std::make_unique<Features>(sc, *w.net, *task_);
    w.health = std::make_unique<Health>(w.net->populations().size());
    w.u.assign(task_->input_dim * B_, 0.0);
  }
  F_ = workers_[0].features->size();
  regime_.emplace(*workers_[0].net);

  res_.state_size = workers_[0].net->state_size();
  res_.fixed_weights = fixed_weights(*workers_[0].net);
  res_.metric = task_->metric;
  res_.lanes = B_;
  open_recording();

  block_ = std::max<std::size_t>(512, B_ * P_);
  x_.set_size(F_, block_);
  y_.set_size(D_, block_);
  acc_.emplace(F_, D_);
  acc_->set_single_precision(sc.readout.string("statistics") == "single");
  test_y_.set_size(D_, task_->test * P_);
  test_yhat_.set_size(D_, task_->test * P_);
}

void EpisodeRunner::open_recording() {
  const std::string out = opts_.out.empty() ? sc_.record.string("file") : opts_.out;
  if (out.empty()) return;
  rec_ = std::make_unique<Recorder>(RecorderOptions{out, sc_.record.real("flush_interval"),
                                                    static_cast<int>(sc_.record.integer("compression"))});
  write_setup(*rec_, sc_, opts_.command_line, *workers_[0].net);
  // Each split's episodes, [first, end) in the split's own numbering.
  namespace a = layout::analysis;
  rec_->set_attribute(a::kSplit, a::kSplitUnit, std::string("episode"));
  auto episodes = [](std::size_t n) { return std::vector<std::int64_t>{0, static_cast<std::int64_t>(n)}; };
  // The validation episodes are training episodes: the split's numbering runs on.
  rec_->set_attribute(a::kSplit, a::kTrain, episodes(task_->fit_episodes()));
  if (task_->validation)
    rec_->set_attribute(a::kSplit, a::kValidation,
                        std::vector<std::int64_t>{static_cast<std::int64_t>(task_->fit_episodes()),
                                                  static_cast<std::int64_t>(task_->train)});
  rec_->set_attribute(a::kSplit, a::kTest, episodes(task_->test));
  rec_->flush();
  res_.out = out;
}

// One batch of n <= B episodes through a worker's network into its own x and y.
void EpisodeRunner::run_batch(Worker& wk, Split split, std::size_t first, std::size_t n, Batch& out) const {
  const EpisodeBatch eb = task_->episodes(split, first, n, sc_.seed);
  const std::size_t input_dim = task_->input_dim;
  out.x.set_size(F_, n * P_);
  out.y.set_size(D_, n * P_);
  // Per-episode readout tokens: which (episode, point) pairs are read after each token.
  std::vector<std::vector<std::size_t>> read_at;
  if (!eb.tokens.empty()) {
    if (eb.tokens.size() != n * P_) throw std::logic_error("episode task: one token per (episode, point)");
    read_at.resize(L_);
    for (std::size_t c = 0; c < eb.tokens.size(); ++c) {
      if (!eb.lengths.empty() && eb.tokens[c] >= eb.lengths.at(c / P_))
        throw std::logic_error("episode task: a readout token after the episode's end");
      read_at.at(eb.tokens[c]).push_back(c);
    }
  }
  // Variable-length episodes: the batch runs to its longest; the attention regime is sampled
  // only while every episode of the batch still runs, so that padding never enters it.
  std::size_t L = L_, all_run = L_;
  if (!eb.lengths.empty()) {
    if (eb.lengths.size() != n) throw std::logic_error("episode task: one length per episode");
    L = *std::max_element(eb.lengths.begin(), eb.lengths.end());
    all_run = *std::min_element(eb.lengths.begin(), eb.lengths.end());
    if (L > L_ || all_run == 0) throw std::logic_error("episode task: a length is 0 or above the task's");
  }
  out.tokens =
      eb.lengths.empty() ? n * L_ : std::accumulate(eb.lengths.begin(), eb.lengths.end(), std::size_t{0});
  wk.sim->reset();
  out.regime.emplace(*wk.net);
  std::fill(wk.u.begin(), wk.u.end(), 0.0);  // lanes beyond n stay silent
  for (std::size_t k = 0; k < L; ++k) {
    if (opts_.stop && opts_.stop->load()) {
      out.status = RunStatus::Interrupted;
      out.message = "interrupted by signal " + std::to_string(opts_.stop->load());
      return;
    }
    for (std::size_t e = 0; e < n; ++e)
      for (std::size_t i = 0; i < input_dim; ++i) wk.u[i * B_ + e] = eb.input[(k * n + e) * input_dim + i];
    if (!wk.sim->step_token(wk.u.data())) {  // stopped inside the token
      out.status = RunStatus::Interrupted;
      out.message = "interrupted by signal " + std::to_string(opts_.stop->load()) + " inside a token";
      return;
    }
    if (auto stop = wk.health->check(*wk.net, wk.sim->state().data(), wk.sim->time(), k)) {
      out.status = parse_run_status(stop->first).value_or(RunStatus::Failed);
      out.message = stop->second + " in " + (split == Split::Train ? "training" : "test") + " episode " +
                    std::to_string(first) + ".." + std::to_string(first + n - 1);
      return;
    }
    if (read_at.empty()) wk.features->take(k, wk.sim->state().data(), wk.u.data(), n, out.x, 0);
    else
      for (std::size_t c : read_at[k])
        wk.features->take_one(wk.sim->state().data(), wk.u.data(), c / P_, out.x, c);
    // Every kStride-th token and the last, so that short episodes count too.
    if (!out.regime->empty() && k < all_run && ((k + 1) % AttentionRegime::kStride == 0 || k + 1 == all_run))
      out.regime->observe(*wk.net, wk.sim->state().data(), wk.u.data(), n);
  }
  for (std::size_t e = 0; e < n; ++e)
    for (std::size_t p = 0; p < P_; ++p)
      for (std::size_t o = 0; o < D_; ++o) out.y(o, e * P_ + p) = eb.target[(p * n + e) * D_ + o];
  out.steps = wk.sim->steps();
}

// A worker's share of the wave of batches from b0: it takes the next batch not yet taken.
void EpisodeRunner::simulate_wave(Split split, std::size_t offset, std::size_t count, std::size_t b0,
                                  std::vector<Batch>& out, std::atomic<std::size_t>& next, Worker& wk) const {
  const std::size_t batches = (count + B_ - 1) / B_, nb = std::min(wave_, batches - b0);
  for (std::size_t i = next++; i < nb; i = next++) {
    out[i] = Batch{};
    const std::size_t first = (b0 + i) * B_;
    try {  // an exception must not leave a worker thread (std::terminate)
      run_batch(wk, split, offset + first, std::min(B_, count - first), out[i]);
    } catch (const std::exception& e) {
      out[i].status = RunStatus::Failed;
      out[i].message = e.what();
    }
  }
}

// Hands a simulated wave to `consume`, batch by batch in order; false if a batch stopped.
bool EpisodeRunner::drain_wave(std::size_t count, std::size_t b0, std::vector<Batch>& in,
                               const Consume& consume) {
  const std::size_t batches = (count + B_ - 1) / B_;
  for (std::size_t i = 0; i < std::min(wave_, batches - b0); ++i) {
    Batch& bt = in[i];
    if (bt.status != RunStatus::Complete) {
      res_.status = bt.status;
      res_.message = bt.message + " after " + std::to_string(res_.tokens) + " of " + std::to_string(total_) +
                     " episode tokens";
      return false;
    }
    const std::size_t first = (b0 + i) * B_;
    res_.tokens += bt.tokens;
    res_.steps += bt.steps;
    regime_->merge(*bt.regime);
    consume(first, bt);
  }
  if (opts_.progress && elapsed() - last_report_ > 0.2) {
    last_report_ = elapsed();
    opts_.progress({res_.tokens, total_, res_.steps, last_report_});
  }
  return true;
}

// The episodes of a split in waves of a few batches per thread. While the threads simulate
// one wave, this thread drains the previous one. Batches are consumed in order whatever
// thread ran them, so the result does not depend on the thread count. Returns false when
// the run must stop.
bool EpisodeRunner::run_split(Split split, std::size_t offset, std::size_t count, const Consume& consume) {
  const std::size_t batches = (count + B_ - 1) / B_;
  std::vector<Batch> slots[2] = {std::vector<Batch>(wave_), std::vector<Batch>(wave_)};
  bool fine = true;
  for (std::size_t w = 0, b0 = 0; b0 < batches && fine; ++w, b0 += wave_) {
    std::atomic<std::size_t> next{0};
    std::vector<Batch>& out = slots[w % 2];
    if (threads_ == 1) {
      simulate_wave(split, offset, count, b0, out, next, workers_[0]);
    } else {
      std::vector<std::jthread> threads;
      for (std::size_t t = 0; t < threads_; ++t)
        threads.emplace_back([&, t] { simulate_wave(split, offset, count, b0, out, next, workers_[t]); });
      if (w > 0) fine = drain_wave(count, b0 - wave_, slots[(w - 1) % 2], consume);
    }  // the threads join here
    if (threads_ == 1) fine = drain_wave(count, b0, out, consume);
    else if (fine && b0 + wave_ >= batches) fine = drain_wave(count, b0, out, consume);
  }
  return fine;
}

bool EpisodeRunner::train() {
  auto add_filled = [&] {  // the filled columns, in place: x_.cols(...) would be a copy
    acc_->add_columns(arma::mat(x_.memptr(), F_, filled_, false, true),
                      arma::mat(y_.memptr(), D_, filled_, false, true), threads_);
    filled_ = 0;
  };
  const bool ok = run_split(Split::Train, 0, task_->fit_episodes(), [&](std::size_t, Batch& bt) {
    if (filled_ + bt.x.n_cols > block_) add_filled();
    x_.cols(filled_, filled_ + bt.x.n_cols - 1) = bt.x;
    y_.cols(filled_, filled_ + bt.y.n_cols - 1) = bt.y;
    filled_ += bt.x.n_cols;
  });
  if (ok && filled_) add_filled();
  return ok;
}

// The held-out training episodes, kept whole: every candidate lambda is scored on them.
bool EpisodeRunner::validate() {
  val_x_.set_size(F_, task_->validation * P_);
  val_y_.set_size(D_, task_->validation * P_);
  return run_split(Split::Train, task_->fit_episodes(), task_->validation, [&](std::size_t first, Batch& bt) {
    val_x_.cols(first * P_, first * P_ + bt.x.n_cols - 1) = bt.x;
    val_y_.cols(first * P_, first * P_ + bt.y.n_cols - 1) = bt.y;
  });
}

void EpisodeRunner::fit() {
  try {
    lambda_ = sc_.readout.real("ridge");
    if (!sc_.readout_ridge_candidates.empty()) {
      selection_ = acc_->select(sc_.readout_ridge_candidates, val_x_, val_y_, task_->metric);
      lambda_ = selection_->lambda;
      res_.metrics["ridge_selected"] = lambda_;
    }
    w_ = acc_->solve(lambda_);
  } catch (...) {
    if (rec_) rec_->finish(RunStatus::Failed);  // the recording says why it has no readout
    throw;
  }
  res_.readout_weights = w_.n_elem;
}

bool EpisodeRunner::test() {
  return run_split(Split::Test, 0, task_->test, [&](std::size_t first, Batch& bt) {
    test_y_.cols(first * P_, first * P_ + bt.y.n_cols - 1) = bt.y;
    test_yhat_.cols(first * P_, first * P_ + bt.x.n_cols - 1) = ridge_predict(w_, bt.x.t()).t();
  });
}

void EpisodeRunner::record(bool ok) {
  if (ok) {
    namespace nw = layout::network;
    namespace a = layout::analysis;
    rec_->write_matrix(nw::kReadoutWeights, w_, "1", "[features + 1, outputs]; the last row is the bias");
    rec_->set_attribute(nw::kReadout, nw::kRidge, lambda_);
    if (selection_) record_ridge_selection(*rec_, *selection_, task_->metric);
    rec_->write_string(nw::kReadoutFeatures, workers_[0].features->selection().names(*workers_[0].net));
    rec_->write_matrix(a::kTestOutput, test_yhat_.t(), "1",
                       "readout output per (test episode, readout point), episode-major");
    rec_->write_matrix(a::kTestTarget, test_y_.t(), "1", "target per (test episode, readout point)");
  }
  for (auto& [m, v] : res_.metrics) rec_->write_scalar(layout::analysis::metric(m), v);
  rec_->finish(res_.status);
}

RunResult EpisodeRunner::run() {
  bool ok = train() && validate();
  if (ok) {
    fit();
    ok = test();
  }
  if (opts_.progress) opts_.progress({res_.tokens, total_, res_.steps, elapsed()});
  const std::string name = metric_name(task_->metric);
  if (ok && task_->validation)
    res_.metrics[name + "_validation"] = score(task_->metric, val_y_.t(), ridge_predict(w_, val_x_.t()));
  if (ok) res_.metrics[name + "_test"] = score(task_->metric, test_y_.t(), test_yhat_.t());
  regime_->add_metrics(*workers_[0].net, res_.metrics);
  res_.wall_seconds = elapsed();
  if (rec_) record(ok);
  return res_;
}

}  // namespace

RunResult run_episodes(const Scenario& sc, const RunOptions& opts) { return EpisodeRunner(sc, opts).run(); }

}  // namespace ransim
