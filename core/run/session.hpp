#pragma once
// A Session is one scenario being simulated token by token: the task's input, the network,
// the readout, the health checks, the comparisons and (optionally) the recording. `ransim run`
// steps it to the end; the GUI steps it on a worker thread. Stepping N times is the same
// code path as running N tokens, so both give the same state.
//
// Threading: a Session is used from one thread at a time.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/simulator.hpp"
#include "io/setup.hpp"  // ParameterEdit
#include "readout/features.hpp"
#include "readout/online.hpp"
#include "readout/ridge.hpp"
#include "run/status.hpp"
#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"
#include "train/trainable_network.hpp"

namespace ransim {

class Recorder;
class Health;
class AttentionRegime;

struct SessionOptions {
  std::string out;           // HDF5 path; empty: the scenario's record.file (may be empty)
  std::string command_line;  // stored in the recording
  // Non-zero (a signal number) stops the run, read before every integrator step: a token
  // interrupted half-way is not counted (status Interrupted); null: only stop() stops it.
  const std::atomic<int>* stop = nullptr;
  // A stream task read from a file in pieces (task.kind = "file") with the ridge readout runs
  // bounded: one piece of the sequence is held at a time, and the readout's statistics instead
  // of every token's features (docs/tasks.md, "Memory"); `ransim run` sets this. Off, or for
  // another task, the session holds the whole sequence and every token's features.
  bool bounded = false;
};

// /analysis/ridge_selection: the candidates and their validation scores (docs/file-format.md).
void record_ridge_selection(Recorder& rec, const RidgeSelection& selection, Metric metric);

class Session {
 public:
  // Builds everything; throws InputError for a scenario that cannot run (memory, sizes).
  explicit Session(const Scenario& sc, const SessionOptions& opts = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Advances one token. Returns false (and does nothing) once the run has ended: all tokens
  // done, or stopped by a health check (status() says which).
  bool step();
  // Ends the run early with `status` (e.g. RunStatus::Interrupted) and `message`.
  void stop(RunStatus status, const std::string& message);
  // Metrics, readout output and the final status written to the recording (idempotent).
  void finish();

  std::size_t token() const { return k_; }  // tokens done
  std::size_t total() const { return steps_; }
  bool done() const { return k_ >= steps_ || status_ != RunStatus::Running; }
  bool bounded() const { return bounded_ != nullptr; }
  RunStatus status() const { return status_; }
  const std::string& message() const { return message_; }
  const std::map<std::string, double>& metrics() const { return metrics_; }

  const Scenario& scenario() const { return sc_; }
  const Network& network() const { return *net_; }
  const Simulator& simulator() const { return *sim_; }
  // The task's sequence; in a bounded run only the piece that holds the last token (its first
  // token is sequence_first()).
  const Sequences& sequences() const { return seq_; }
  std::size_t sequence_first() const { return seq_first_; }
  const Protocol& protocol() const { return protocol_; }
  // The input presented at the last token (input_dim x lanes, lanes fastest).
  const std::vector<double>& input() const { return u_; }

  // Samples of a population's recordable after the last token (lane-major, as recorded).
  std::vector<double> sample(std::size_t population, const std::string& variable);
  // The readout's output for the last token (target_dim x lanes), once it is trained.
  std::optional<std::vector<double>> prediction();
  // Ridge: once fitted; rls and force: from the first token (W starts at zero).
  bool readout_trained() const { return !w_.empty() || online_; }
  std::size_t readout_weights() const { return online_ ? online_->rls().weights().n_elem : w_.n_elem; }
  ReadoutKind readout_kind() const { return online_ ? online_->kind() : ReadoutKind::Ridge; }
  // Online readouts learn on the training tokens while learning is on (default); switched off,
  // W stays as it is and FORCE runs free. Applied before the next step, like a live parameter;
  // InputError for the ridge readout, which learns once.
  void set_learning(bool on);
  bool learning() const { return online_ && (learning_request_ ? *learning_request_ : online_->learning()); }
  const OnlineReadout* online_readout() const { return online_.get(); }  // null for ridge
  Metric metric() const { return metric_; }
  // The ridge readout's weights ((features + 1) x outputs, the bias last; empty until fitted),
  // a replacement of that shape (InputError otherwise) used from the next prediction on, and a
  // new fit on the training tokens with another ridge (InputError before they are done).
  const arma::mat& readout() const { return w_; }
  void set_readout(const arma::mat& w);
  // A population's trainable weight ("POP.WEIGHT") or a sparse projection's matrix (by its name),
  // replaced from the next token on (train/trainable_network.hpp: set_weight).
  void set_weight(const std::string& name, const arma::mat& value);
  std::vector<std::string> settable_weights() { return ransim::settable_weights(*net_); }
  void fit_readout(double lambda);

  // Live parameters: validated now (InputError on a bad value or a parameter that cannot
  // change), applied before the next step, never mid-step.
  void set_parameter(const std::string& population, const std::string& name, const Value& value);
  // The edits applied so far, in order (a recording holds them: /general/parameter_edits).
  const std::vector<ParameterEdit>& parameter_edits() const { return edits_; }

  // Recording can start and stop at any token; series then start at the current time.
  void start_recording(const std::string& path);
  void stop_recording();
  bool recording() const { return rec_ != nullptr; }
  const std::string& recording_path() const { return out_; }

 private:
  struct Recorded;
  struct Comparison;
  struct Bounded;
  void fit(std::optional<double> lambda = std::nullopt);  // nullopt: readout.ridge
  arma::mat targets(std::size_t k0, std::size_t k1) const;
  const double* target_at(std::size_t k, std::size_t b) const { return seq_.target_at(k - seq_first_, b); }
  void load_piece(std::size_t k);                  // a bounded run's piece of the sequence holding token k
  void bounded_token(std::size_t k);               // token k's features and target into the block
  void flush_block(std::size_t end);               // the block's tokens [first, end) to their part
  void bounded_metrics();                          // the metrics of a bounded run
  void fit_bounded(std::optional<double> lambda);  // fit() of a bounded run
  void record_token();
  void record_readout(const arma::mat& predictions);
  void record_readout_weights();
  std::size_t column(std::size_t k) const;  // features_'s column of token k, lane 0

  Scenario sc_;
  SessionOptions opts_;
  Protocol protocol_;
  Metric metric_ = Metric::Nrmse;
  Sequences seq_;  // tokens [seq_first_, seq_first_ + seq_.steps) of steps_
  std::size_t steps_ = 0, seq_first_ = 0;
  std::unique_ptr<Task> task_;  // kept to read the pieces of a bounded run
  std::unique_ptr<Network> net_;
  std::unique_ptr<Simulator> sim_;
  std::size_t k_ = 0;
  RunStatus status_ = RunStatus::Running;
  std::string message_;
  std::map<std::string, double> metrics_;
  std::vector<double> u_, prediction_, sample_;

  // Readout: features of every token (one column per (token, lane)), weights once trained.
  bool has_readout_ = false;
  FeatureSelection readout_features_;
  arma::mat features_, w_;
  double lambda_ = 0;                        // the ridge the readout was fitted with
  std::optional<RidgeSelection> selection_;  // readout.ridge = "auto" or [..]
  std::unique_ptr<OnlineReadout> online_;    // readout.kind = "rls" | "force"; features_ then holds one token
  std::unique_ptr<Bounded> bounded_;         // SessionOptions::bounded: features_ then holds one block
  std::optional<bool> learning_request_;     // set_learning, applied before the next step
  void online_step(std::size_t k);

  std::vector<std::pair<std::size_t, std::pair<std::string, Value>>> pending_;  // live edits
  std::vector<ParameterEdit> edits_;  // the live edits applied so far (recorded)
  std::vector<Comparison> compares_;
  std::unique_ptr<AttentionRegime> regime_;  // the attention entropy metrics
  std::unique_ptr<Health> health_;
  bool compare_needs_drive_ = false;

  std::unique_ptr<Recorder> rec_;
  std::string out_;
  std::vector<Recorded> recorded_;
  std::size_t input_id_ = 0, target_id_ = 0, first_recorded_ = 0;
  bool any_needs_drive_ = false, finished_ = false;
};

}  // namespace ransim
