#pragma once
// SimulationController: drives one ransim::Session on a worker thread.
//
// Threading rules (docs/gui.md):
//  - The controller is a QObject of the GUI thread. Every public member function and every
//    signal belongs to that thread; commands are queued to the worker and run there in the
//    order they were given.
//  - The Session is created, stepped, edited and destroyed on the worker thread only.
//  - The worker never waits for the GUI: it publishes frames into frames() (a FrameRing,
//    oldest dropped when full) at most frameRate() times per second, and the GUI pulls them
//    on its own timer. Status reaches the GUI as queued signals.
//  - Running and stepping are the same loop around Session::step(): step(n) gives exactly
//    the state that run() gives after n tokens.
//  - Parameter edits go through Session::set_parameter on the worker: validated at once
//    (parameterResult says accepted or why not), applied before the next step, never mid-step.
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

#include "frame_ring.hpp"
#include "scenario/scenario.hpp"
#include "token_history.hpp"

namespace ransim::gui {

class SimulationController : public QObject {
  Q_OBJECT

 public:
  enum class State { Empty, Building, Paused, Running, Done, Failed };
  Q_ENUM(State)

  explicit SimulationController(QObject* parent = nullptr);
  ~SimulationController() override;  // stops the worker; the Session is finished there

  // (Re)builds the Session for `sc` on the worker; sessionReady() follows, or errorOccurred()
  // with the reason (InputError text: file:line:col, what and why).
  void setScenario(const Scenario& sc);
  void reset();  // rebuild the Session from the same scenario
  void close();  // drop the Session and the scenario (a failed open leaves nothing behind)
  void run();    // step until paused or done
  void pause();
  void step(std::size_t n = 1);      // pause, then exactly n more tokens (fewer if the run ends)
  void setSpeed(double factor);      // <= 0: as fast as possible; else simulated s per wall s
  void setFrameRate(double hz);      // publish at most hz frames per second; <= 0: every token
  void setDerivedSampling(bool on);  // sample the variables beyond the state into frames
  void setParameter(const QString& population, const QString& name, const Value& value);
  // Online readouts (readout.kind = "rls" | "force"): learning on or off from the next step
  // (Session::set_learning); learningResult says accepted or why not.
  void setLearning(bool on);
  void startRecording(const QString& path);
  void stopRecording();

  FrameRing& frames() { return ring_; }
  // Every token's rows of the shown variables, in chunks; each chunk is pushed before the
  // frame that shows its last token, so a frame's history is complete when it arrives.
  TokenChannel& tokens() { return tokens_; }
  State state() const { return state_; }
  std::shared_ptr<const NetworkDesc> network() const { return network_; }
  bool hasScenario() const { return scenario_ != nullptr; }
  const Scenario* scenario() const { return scenario_.get(); }
  bool recording() const { return recording_; }
  double speed() const { return speed_; }
  double frameRate() const { return frame_rate_; }
  // Tokens done (any thread; updated by the worker after every step).
  std::size_t token() const { return token_.load(std::memory_order_relaxed); }
  // Wall time the worker took for the last step(n) batch, from the command to its last
  // token (before the end-of-run readout fit; --benchmark).
  double lastBatchSeconds() const { return batch_seconds_.load(std::memory_order_relaxed); }

 signals:
  void sessionReady();  // network() describes the new Session; its frames follow
  void stateChanged(ransim::gui::SimulationController::State state);
  void stepsDone(qulonglong token);                                           // a step(n) batch ended
  void progress(qulonglong token, qulonglong total, double tokensPerSecond);  // ~10 Hz while running
  // The run ended: status complete | diverged | saturated | interrupted; metrics "name=value" lines.
  void finished(const QString& status, const QString& message, const QString& metrics);
  void errorOccurred(const QString& message);
  // A parameter edit: accepted (applied before the step after `token`) or refused with why.
  void parameterResult(const QString& population, const QString& name, bool accepted, const QString& message,
                       qulonglong token);
  // A learning switch: accepted (applied before the step after `token`) or refused with why.
  void learningResult(bool on, bool accepted, const QString& message, qulonglong token);
  // Recording started (on) or stopped; `path` is the file (also when stopped, if known).
  void recordingChanged(bool on, const QString& path);

 private:
  struct Worker;
  void setState(State s);
  std::unique_ptr<Worker> w_;
  FrameRing ring_;
  TokenChannel tokens_;
  std::shared_ptr<const Scenario> scenario_;
  std::shared_ptr<const NetworkDesc> network_;
  State state_ = State::Empty;
  bool recording_ = false;
  double speed_ = 0, frame_rate_ = 60;
  std::atomic<std::size_t> token_{0};
  std::atomic<double> batch_seconds_{0};
  std::uint64_t next_session_ = 1;
};

const char* state_name(SimulationController::State s);

}  // namespace ransim::gui
