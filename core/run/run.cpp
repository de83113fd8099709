#include "run/run.hpp"

#include <chrono>

#include "engine/network.hpp"
#include "run/episode_runner.hpp"
#include "run/session.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

RunResult run(const Scenario& sc, const RunOptions& opts) {
  if (find_task(sc.task_kind)->episodic()) return run_episodes(sc, opts);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Session s(sc, SessionOptions{opts.out, opts.command_line, opts.stop, /*bounded=*/true});
  RunResult res;
  res.state_size = s.network().state_size();
  res.fixed_weights = fixed_weights(s.network());
  res.lanes = sc.lanes;
  res.out = s.recording_path();
  double last_report = 0;
  try {
    while (!s.done()) {
      if (opts.stop && opts.stop->load()) {
        s.stop(RunStatus::Interrupted, "interrupted by signal " + std::to_string(opts.stop->load()) +
                                           " after " + std::to_string(s.token()) + " of " +
                                           std::to_string(s.total()) +
                                           " tokens (t = " + to_string(Value{s.simulator().time()}) + " s)");
        break;
      }
      s.step();
      if (opts.progress && elapsed() - last_report > 0.2) {
        last_report = elapsed();
        opts.progress({s.token(), s.total(), s.simulator().steps(), last_report});
      }
    }
    if (opts.progress) opts.progress({s.token(), s.total(), s.simulator().steps(), elapsed()});
    s.finish();
  } catch (...) {
    s.stop(RunStatus::Failed, "");  // the destructor then closes the recording, marked failed
    throw;
  }
  res.status = s.status();
  res.message = s.message();
  res.metrics = s.metrics();
  res.readout_weights = s.readout_weights();
  res.metric = s.metric();
  res.tokens = s.token();
  res.steps = s.simulator().steps();
  res.wall_seconds = elapsed();
  return res;
}

}  // namespace ransim
