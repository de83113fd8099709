#include "simulation_controller.hpp"

#include <QMetaObject>
#include <QThread>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>

#include "describe.hpp"
#include "ransim/error.hpp"
#include "run/session.hpp"
#include "token_history.hpp"
#include "view_data.hpp"

namespace ransim::gui {

using Clock = std::chrono::steady_clock;

const char* state_name(SimulationController::State s) {
  switch (s) {
    case SimulationController::State::Empty: return "no scenario";
    case SimulationController::State::Building: return "building";
    case SimulationController::State::Paused: return "paused";
    case SimulationController::State::Running: return "running";
    case SimulationController::State::Done: return "done";
    case SimulationController::State::Failed: return "failed";
  }
  return "?";
}

// Everything the worker thread owns. Members under "shared" are guarded by m; the rest
// is touched by the worker thread only.
struct SimulationController::Worker {
  SimulationController* ctrl;
  FrameRing& ring;
  TokenChannel& channel;
  QThread* thread = nullptr;

  // shared
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool quit = false;
  std::atomic<bool> pending{false};

  // worker only
  std::unique_ptr<Session> session;
  std::shared_ptr<const Scenario> scenario;
  std::uint64_t session_id = 0;
  NetworkDesc desc;
  bool running = false;
  std::size_t steps_left = 0;
  double speed = 0;                  // <= 0: as fast as possible
  double frame_interval = 1.0 / 60;  // s; <= 0: every token
  bool derived = true;               // sample the variables beyond the state (setDerivedSampling)
  RunningNrmse nrmse;
  TokenChunk chunk;                // every token's rows since the last frame (token_history.hpp)
  std::vector<double> prediction;  // the readout's output for the last token (lane 0), empty: none
  std::vector<double> scratch;
  static constexpr double kDerivedShare = 0.01;
  Clock::time_point derived_t0{}, batch_t0{};  // the derived variables' time budget counts from here
  double derived_seconds = 0;
  Clock::time_point last_publish{}, pace_start{}, rate_t0{}, last_progress{};
  std::size_t pace_token = 0, rate_k0 = 0;
  double rate = 0;

  Worker(SimulationController* c, FrameRing& r, TokenChannel& t) : ctrl(c), ring(r), channel(t) {}

  template <class F> void post(F&& f) {
    QMetaObject::invokeMethod(ctrl, std::forward<F>(f), Qt::QueuedConnection);
  }

  void command(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lock(m);
      queue.push_back(std::move(f));
      pending.store(true, std::memory_order_release);
    }
    cv.notify_one();
  }

  bool active() const { return session && !session->done() && (running || steps_left > 0); }

  void postState(State s) {
    post([c = ctrl, s] { c->setState(s); });
  }

  void loop() {
    std::unique_lock<std::mutex> lk(m);
    for (;;) {
      while (!queue.empty()) {
        auto f = std::move(queue.front());
        queue.pop_front();
        lk.unlock();
        f();
        lk.lock();
      }
      pending.store(false, std::memory_order_relaxed);
      if (quit) break;
      if (!active()) {
        cv.wait(lk, [&] { return !queue.empty() || quit; });
        continue;
      }
      lk.unlock();
      // Step without touching the lock until a command arrives or the run stops.
      while (active() && !pending.load(std::memory_order_acquire)) {
        if (speed > 0 && !pace()) break;
        one_token();
      }
      lk.lock();
    }
    lk.unlock();
    destroy_session();
  }

  // Real-time pacing: waits until this token is due. False when a command arrived first.
  bool pace() {
    const double dt = desc.token_period / speed;
    const auto due = pace_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                      dt * static_cast<double>(session->token() - pace_token + 1)));
    const auto now = Clock::now();
    if (now > due + std::chrono::milliseconds(250)) {  // far behind: do not try to catch up
      restart_pace();
      return true;
    }
    if (now >= due) return true;
    std::unique_lock<std::mutex> lk(m);
    return !cv.wait_until(lk, due, [&] { return !queue.empty() || quit; });
  }

  void restart_pace() {
    pace_start = Clock::now();
    pace_token = session ? session->token() : 0;
  }

  void one_token() {
    const bool stepped = session->step();
    const std::size_t k = session->token();
    ctrl->token_.store(k, std::memory_order_relaxed);
    prediction.clear();
    if (stepped && desc.has_readout && k >= 1 && session->readout_trained()) {
      if (auto pred = session->prediction()) {
        const Sequences& seq = session->sequences();
        const std::size_t lanes = seq.lanes;
        prediction.resize(seq.target_dim);
        for (std::size_t o = 0; o < seq.target_dim; ++o) prediction[o] = (*pred)[o * lanes];
        if (k - 1 >= desc.readout_from)
          for (std::size_t b = 0; b < lanes; ++b)
            for (std::size_t o = 0; o < seq.target_dim; ++o)
              nrmse.add(seq.target_at(k - 1, b)[o], (*pred)[o * lanes + b]);
      }
    }
    if (stepped) capture_token();
    const auto now = Clock::now();
    bool batch_end = false;
    if (stepped && steps_left > 0 && --steps_left == 0) batch_end = true;
    if (batch_end || !stepped || session->done())
      ctrl->batch_seconds_.store(std::chrono::duration<double>(now - batch_t0).count());
    if (!stepped || session->done()) {
      end_run(batch_end || steps_left > 0);
      return;
    }
    if (batch_end || frame_interval <= 0 ||
        std::chrono::duration<double>(now - last_publish).count() >= frame_interval)
      publish(now);
    if (std::chrono::duration<double>(now - last_progress).count() >= 0.1) report_progress(now);
    if (batch_end) {
      report_progress(now);
      post([c = ctrl, k] {
        c->setState(State::Paused);
        emit c->stepsDone(k);
      });
    }
  }

  void report_progress(Clock::time_point now) {
    const std::size_t k = session->token();
    const double dt = std::chrono::duration<double>(now - rate_t0).count();
    if (dt > 0.05) {
      rate = static_cast<double>(k - rate_k0) / dt;
      rate_t0 = now;
      rate_k0 = k;
    }
    last_progress = now;
    const std::size_t total = session->total();
    post([c = ctrl, k, total, r = rate] { emit c->progress(k, total, r); });
  }

  void end_run(bool batch) {
    running = false;
    steps_left = 0;
    const auto now = Clock::now();
    publish(now);
    report_progress(now);
    std::string metrics;
    const QString rec_path =
        session->recording() ? QString::fromStdString(session->recording_path()) : QString();
    try {
      session->finish();
      std::ostringstream s;
      for (auto& [name, v] : session->metrics()) s << name << "=" << v << "\n";
      metrics = s.str();
    } catch (const std::exception& e) {
      post([c = ctrl, msg = QString::fromStdString(e.what())] { emit c->errorOccurred(msg); });
    }
    const std::size_t k = session->token();
    post([c = ctrl, status = QString::fromUtf8(to_string(session->status())),
          message = QString::fromStdString(session->message()), metrics = QString::fromStdString(metrics), k,
          batch, rec_path] {
      c->recording_ = false;
      c->setState(State::Done);
      emit c->recordingChanged(false, rec_path);
      emit c->finished(status, message, metrics);
      if (batch) emit c->stepsDone(k);
    });
  }

  // The rows of every shown variable after this token (lane 0) into `chunk`.
  void capture_token() {
    const std::size_t k = session->token();
    const Network& net = session->network();
    const auto& x = session->simulator().state();
    if (chunk.tracks.empty()) start_chunk();
    // Sampling the variables beyond the state recomputes the drive, which costs about as
    // much as a step: they are sampled while that takes at most kDerivedShare of the time
    // since the run (re)started (and at every frame, in publish), the state every token.
    const auto t0 = Clock::now();
    const double elapsed = std::chrono::duration<double>(t0 - derived_t0).count();
    const bool sample_derived = derived && derived_seconds <= kDerivedShare * elapsed;
    std::size_t t = 0;
    std::vector<double>& row = scratch;
    for (std::size_t p = 0; p < net.populations().size(); ++p) {
      const ConstBlock blk = net.block(x.data(), p);
      row.resize(blk.vars);
      for (std::size_t v = 0; v < blk.vars; ++v) row[v] = blk(v, 0);
      chunk.tracks[t++].add(k, row.data());
      const PopulationDesc& pd = desc.populations[p];
      for (const VariableDesc& var : pd.variables) {
        if (!sampled_into_frames(pd, var)) continue;
        TrackRows& tr = chunk.tracks[t++];
        if (!sample_derived || k == 0) continue;
        std::vector<double> s = session->sample(p, var.name);
        if (s.size() >= tr.width) tr.add(k, s.data());
      }
    }
    if (sample_derived) derived_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (desc.has_readout) {
      const Sequences& seq = session->sequences();
      if (k > 0) chunk.tracks[t].add(k, seq.target_at(k - 1, 0));
      if (prediction.size() == seq.target_dim && k > 0) chunk.tracks[t + 1].add(k, prediction.data());
    }
  }

  // An empty chunk with one track per shown variable, in the order capture_token fills them.
  void start_chunk() {
    chunk.session = session_id;
    chunk.tracks.clear();
    for (std::size_t p = 0; p < desc.populations.size(); ++p) {
      const PopulationDesc& pd = desc.populations[p];
      chunk.tracks.push_back({static_cast<int>(p), "state", pd.state_size(), {}, {}});
      for (const VariableDesc& var : pd.variables)
        if (sampled_into_frames(pd, var))
          chunk.tracks.push_back({static_cast<int>(p), var.name, var.size(), {}, {}});
    }
    if (desc.has_readout) {
      chunk.tracks.push_back({kReadoutTrack, "target", desc.target_dim, {}, {}});
      chunk.tracks.push_back({kReadoutTrack, "prediction", desc.target_dim, {}, {}});
    }
  }

  // A frame's sample of a variable, into the token rows if that token has none yet.
  void add_to_chunk(int pop, const std::string& name, std::size_t token, const std::vector<double>& v) {
    for (TrackRows& tr : chunk.tracks)
      if (tr.pop == pop && tr.variable == name) {
        if (v.size() == tr.width && (tr.tokens.empty() || tr.tokens.back() < token)) tr.add(token, v.data());
        return;
      }
  }

  // Hands the rows collected so far to the GUI (before the frame that shows their last token).
  void flush_tokens() {
    if (chunk.tracks.empty() || chunk.empty()) return;
    channel.push(std::make_shared<const TokenChunk>(std::move(chunk)));
    chunk = TokenChunk();
    start_chunk();
  }

  void publish(Clock::time_point now) {
    last_publish = now;
    Frame f;
    f.session = session_id;
    f.token = session->token();
    f.time = session->simulator().time();
    const Network& net = session->network();
    const auto& x = session->simulator().state();
    f.pops.resize(net.populations().size());
    for (std::size_t p = 0; p < net.populations().size(); ++p) {
      const ConstBlock blk = net.block(x.data(), p);
      auto& st = f.pops[p].state;
      st.resize(blk.vars);
      for (std::size_t v = 0; v < blk.vars; ++v) st[v] = blk(v, 0);
      if (!derived || f.token == 0) continue;
      const PopulationDesc& pd = desc.populations[p];
      for (const VariableDesc& var : pd.variables) {
        if (!sampled_into_frames(pd, var)) continue;
        std::vector<double> s = session->sample(p, var.name);
        s.resize(std::min(s.size(), var.size()));  // lane 0
        add_to_chunk(static_cast<int>(p), var.name, f.token, s);
        f.pops[p].series[var.name] = std::move(s);
      }
    }
    const Sequences& seq = session->sequences();
    const std::size_t lanes = seq.lanes;
    f.input.resize(seq.input_dim);
    if (f.token > 0)
      for (std::size_t i = 0; i < seq.input_dim; ++i) f.input[i] = session->input()[i * lanes];
    if (desc.has_readout && f.token > 0) {
      f.target.assign(seq.target_at(f.token - 1, 0), seq.target_at(f.token - 1, 0) + seq.target_dim);
      if (session->readout_trained())
        if (auto pred = session->prediction()) {
          f.prediction.resize(seq.target_dim);
          for (std::size_t o = 0; o < seq.target_dim; ++o) f.prediction[o] = (*pred)[o * lanes];
        }
    }
    flush_tokens();  // before the frame: its history is complete when it arrives
    f.nrmse = nrmse.value();
    f.nrmse_tokens =
        nrmse.count() / std::max<std::size_t>(1, lanes * std::max<std::size_t>(1, seq.target_dim));
    ring.push(std::move(f));
  }

  void destroy_session() {
    if (!session) return;
    // A recording cut short by Reset, Quit or another scenario is "partial", as when its
    // toggle stops it (the destructor alone would finish it as the run's status, "failed").
    const bool was_recording = session->recording();
    const QString path = QString::fromStdString(session->recording_path());
    try {
      session->stop_recording();
    } catch (const std::exception& e) {
      post([c = ctrl, msg = QString::fromStdString(e.what())] { emit c->errorOccurred(msg); });
    }
    if (was_recording)
      post([c = ctrl, path] {
        c->recording_ = false;
        emit c->recordingChanged(false, path);
      });
    try {
      session.reset();
    } catch (...) {
    }
  }

  void build(std::shared_ptr<const Scenario> sc) {
    const bool batch = steps_left > 0;
    running = false;
    steps_left = 0;
    destroy_session();
    scenario = std::move(sc);
    nrmse.reset();
    const std::uint64_t id = ++session_id;
    try {
      SessionOptions opts;
      opts.command_line = "ransim-gui " + scenario->path;
      session = std::make_unique<Session>(*scenario, opts);
      desc = describe(*session);
      desc.session = id;
    } catch (const std::exception& e) {
      session.reset();
      post([c = ctrl, msg = QString::fromStdString(e.what())] {
        c->network_.reset();
        c->setState(State::Failed);
        emit c->errorOccurred(msg);
      });
      return;
    }
    ctrl->token_.store(0);
    chunk = TokenChunk();
    prediction.clear();
    capture_token();
    auto d = std::make_shared<const NetworkDesc>(desc);
    const bool rec = session->recording();
    const QString path = QString::fromStdString(session->recording_path());
    const auto now = Clock::now();
    rate_t0 = now;
    rate_k0 = 0;
    rate = 0;
    publish(now);  // the initial state, in the ring before anyone hears of the session
    post([c = ctrl, d, rec, path, batch] {
      c->network_ = d;
      c->recording_ = rec;
      c->setState(State::Paused);
      emit c->sessionReady();
      emit c->recordingChanged(rec, rec ? path : QString());
      if (batch) emit c->stepsDone(0);
    });
  }
};

SimulationController::SimulationController(QObject* parent)
    : QObject(parent), w_(std::make_unique<Worker>(this, ring_, tokens_)) {
  w_->thread = QThread::create([w = w_.get()] { w->loop(); });
  w_->thread->setObjectName("ransim-simulation");
  w_->thread->start();
}

SimulationController::~SimulationController() {
  {
    std::lock_guard<std::mutex> lock(w_->m);
    w_->quit = true;
    w_->pending.store(true);
  }
  w_->cv.notify_one();
  w_->thread->wait();
  delete w_->thread;
}

void SimulationController::setState(State s) {
  if (s == state_) return;
  state_ = s;
  emit stateChanged(s);
}

void SimulationController::setScenario(const Scenario& sc) {
  scenario_ = std::make_shared<const Scenario>(sc);
  network_.reset();
  recording_ = false;
  token_.store(0);
  setState(State::Building);
  w_->command([w = w_.get(), s = scenario_] { w->build(s); });
}

void SimulationController::close() {
  scenario_.reset();
  network_.reset();
  recording_ = false;
  token_.store(0);
  setState(State::Empty);
  w_->command([w = w_.get()] {
    w->running = false;
    w->steps_left = 0;
    w->destroy_session();
    w->chunk = TokenChunk();
    ++w->session_id;  // frames still in flight belong to no session now
  });
}

void SimulationController::reset() {
  if (!scenario_) return;
  setScenario(*scenario_);
}

void SimulationController::run() {
  w_->command([w = w_.get()] {
    if (!w->session || w->session->done()) return;
    const bool batch = w->steps_left > 0;
    w->running = true;
    w->steps_left = 0;
    w->restart_pace();
    w->derived_t0 = Clock::now();
    w->derived_seconds = 0;
    w->last_progress = Clock::now();
    w->post([c = w->ctrl, batch, k = w->session->token()] {
      c->setState(State::Running);
      if (batch) emit c->stepsDone(k);
    });
  });
}

void SimulationController::pause() {
  w_->command([w = w_.get()] {
    if (!w->session || w->session->done()) return;
    const bool batch = w->steps_left > 0;
    w->running = false;
    w->steps_left = 0;
    const auto now = Clock::now();
    w->publish(now);
    w->report_progress(now);
    w->post([c = w->ctrl, batch, k = w->session->token()] {
      c->setState(State::Paused);
      if (batch) emit c->stepsDone(k);
    });
  });
}

void SimulationController::step(std::size_t n) {
  w_->command([w = w_.get(), n] {
    if (!w->session) return;
    if (w->session->done() || n == 0) {
      w->post([c = w->ctrl, k = w->session->token()] { emit c->stepsDone(k); });
      return;
    }
    w->running = false;
    if (w->steps_left == 0) w->batch_t0 = Clock::now();
    w->steps_left += n;
    w->restart_pace();
    w->derived_t0 = Clock::now();
    w->derived_seconds = 0;
    w->postState(State::Running);
  });
}

void SimulationController::setSpeed(double factor) {
  speed_ = factor;
  w_->command([w = w_.get(), factor] {
    w->speed = factor;
    w->restart_pace();
  });
}

void SimulationController::setFrameRate(double hz) {
  frame_rate_ = hz;
  w_->command([w = w_.get(), hz] { w->frame_interval = hz > 0 ? 1.0 / hz : 0.0; });
}

void SimulationController::setDerivedSampling(bool on) {
  w_->command([w = w_.get(), on] { w->derived = on; });
}

void SimulationController::setParameter(const QString& population, const QString& name, const Value& value) {
  w_->command([w = w_.get(), pop = population.toStdString(), n = name.toStdString(), value] {
    const QString qpop = QString::fromStdString(pop), qname = QString::fromStdString(n);
    if (!w->session) {
      w->post(
          [c = w->ctrl, qpop, qname] { emit c->parameterResult(qpop, qname, false, "no simulation", 0); });
      return;
    }
    const std::size_t k = w->session->token();
    if (w->session->done()) {
      w->post([c = w->ctrl, qpop, qname, k] {
        emit c->parameterResult(qpop, qname, false, "the run has ended (Reset to run again)", k);
      });
      return;
    }
    try {
      w->session->set_parameter(pop, n, value);
      w->post([c = w->ctrl, qpop, qname, k] { emit c->parameterResult(qpop, qname, true, QString(), k); });
    } catch (const std::exception& e) {
      w->post([c = w->ctrl, qpop, qname, k, msg = QString::fromStdString(e.what())] {
        emit c->parameterResult(qpop, qname, false, msg, k);
      });
    }
  });
}

void SimulationController::setLearning(bool on) {
  w_->command([w = w_.get(), on] {
    const std::size_t k = w->session ? w->session->token() : 0;
    QString why;
    if (!w->session)
      why = "no simulation";
    else if (w->session->done())
      why = "the run has ended (Reset to run again)";
    else
      try {
        w->session->set_learning(on);
      } catch (const std::exception& e) {
        why = QString::fromStdString(e.what());
      }
    w->post([c = w->ctrl, on, why, k] { emit c->learningResult(on, why.isEmpty(), why, k); });
  });
}

void SimulationController::startRecording(const QString& path) {
  w_->command([w = w_.get(), p = path.toStdString()] {
    if (!w->session) return;
    try {
      w->session->start_recording(p);
      w->post([c = w->ctrl, qp = QString::fromStdString(p)] {
        c->recording_ = true;
        emit c->recordingChanged(true, qp);
      });
    } catch (const std::exception& e) {
      w->post([c = w->ctrl, msg = QString::fromStdString(e.what())] {
        c->recording_ = false;
        emit c->errorOccurred(msg);
        emit c->recordingChanged(false, QString());
      });
    }
  });
}

void SimulationController::stopRecording() {
  w_->command([w = w_.get()] {
    if (!w->session) return;
    const QString path = QString::fromStdString(w->session->recording_path());
    try {
      w->session->stop_recording();
    } catch (const std::exception& e) {
      w->post([c = w->ctrl, msg = QString::fromStdString(e.what())] { emit c->errorOccurred(msg); });
    }
    w->post([c = w->ctrl, path] {
      c->recording_ = false;
      emit c->recordingChanged(false, path);
    });
  });
}

}  // namespace ransim::gui
