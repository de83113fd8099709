// The episode runner (docs/tasks.md): episodes go through the network B at a time, one per
// lane, each batch starting from the initial state; with several threads, each runs whole
// batches on its own copy of the network. Training batches add their features to
// the ridge statistics and are dropped; once all training episodes are in, the readout is
// solved and the test episodes are scored with it. No run ever holds all states.
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "ransim/error.hpp"
#include "io/recorder.hpp"
#include "readout/ridge.hpp"
#include "engine/simulator.hpp"
#include "tasks/tasks.hpp"
#include "engine/health.hpp"
#include "io/setup.hpp"
#include "run/resources.hpp"
#include "scenario/build_network.hpp"
#include "run/episode_runner.hpp"

namespace ransim {

namespace {

// Fills readout samples: one column per (episode, point), the states after the point's
// tokens stacked (each snapshot: the chosen populations' states, then the input if asked).
class Features {
 public:
  Features(const Scenario& sc, const Network& net, const EpisodeTask& task) : net_(net), task_(task) {
    for (std::size_t i = 0; i < net.populations().size(); ++i)
      if (sc.readout_from.empty() || std::find(sc.readout_from.begin(), sc.readout_from.end(),
                                               net.populations()[i].name) != sc.readout_from.end()) {
        pops_.push_back(i);
        per_snapshot_ += net.populations()[i].model->state_size();
      }
    with_input_ = sc.readout.boolean("include_input");
    if (with_input_) per_snapshot_ += task.input_dim;
    at_.resize(task.length);
    for (std::size_t p = 0; p < task.points.size(); ++p) {
      if (task.points[p].size() != task.points[0].size() || task.points[p].empty())
        throw std::logic_error("episode task: every readout point must list the same number of tokens");
      for (std::size_t s = 0; s < task.points[p].size(); ++s) at_.at(task.points[p][s]).push_back({p, s});
    }
  }
  std::size_t size() const { return per_snapshot_ * task_.points[0].size(); }

  // After token k of a batch of n episodes: copy the snapshots taken at k into columns
  // first + e * points + p of x.
  void take(std::size_t k, const double* state, const double* u, std::size_t n, arma::mat& x, std::size_t first) const {
    const std::size_t lanes = net_.lanes(), P = task_.points.size();
    for (auto [p, s] : at_[k])
      for (std::size_t e = 0; e < n; ++e) {
        double* col = x.colptr(first + e * P + p) + s * per_snapshot_;
        for (auto i : pops_) {
          const ConstBlock blk = net_.block(state, i);
          for (std::size_t v = 0; v < blk.vars; ++v) *col++ = blk(v, e);
        }
        if (with_input_)
          for (std::size_t i = 0; i < task_.input_dim; ++i) *col++ = u[i * lanes + e];
      }
  }

 private:
  const Network& net_;
  const EpisodeTask& task_;
  std::vector<std::size_t> pops_;
  std::size_t per_snapshot_ = 0;
  bool with_input_ = false;
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

// A batch's readout samples (one column per (episode, point)) and how its run ended.
struct Batch {
  arma::mat x, y;
  std::string status = "complete", message;
  std::size_t steps = 0;
};

}  // namespace

RunResult run_episodes(const Scenario& sc, const RunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  check_memory(sc);
  const SingleThreadedBlas blas;
  const std::unique_ptr<EpisodeTask> task = find_task(sc.task_kind)->create_episodes(sc.task);
  const std::size_t B = sc.lanes, L = task->length, P = task->points.size(), D = task->target_dim;
  const std::size_t T = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());

  // Threads work on different batches, each with its own copy of the network (the same
  // seed builds the same weights); inside a batch the network runs on one thread.
  Scenario one = sc;
  one.threads = 1;
  std::vector<Worker> workers(T);
  for (auto& w : workers) {
    w.net = build_network(one, task->input_dim);
    w.sim = std::make_unique<Simulator>(*w.net, sc.integrator);
    w.features = std::make_unique<Features>(sc, *w.net, *task);
    w.health = std::make_unique<Health>(w.net->populations().size());
    w.u.assign(task->input_dim * B, 0.0);
  }
  const Network& net = *workers[0].net;
  const std::size_t F = workers[0].features->size();

  RunResult res;
  res.state_size = net.state_size();
  res.fixed_weights = fixed_weights(net);
  res.metric = task->metric;
  res.lanes = B;
  const std::string out = opts.out.empty() ? sc.record.string("file") : opts.out;
  std::unique_ptr<Recorder> rec;
  if (!out.empty()) {
    rec = std::make_unique<Recorder>(RecorderOptions{out, sc.record.real("flush_interval"),
                                                     static_cast<int>(sc.record.integer("compression"))});
    write_setup(*rec, sc, opts.command_line, net);
    rec->flush();
    res.out = out;
  }

  // Training samples collect in x until a few hundred are there, so that the ridge
  // statistics grow by matrix products rather than rank-one updates. Batches are consumed
  // in order whatever thread ran them, so the result does not depend on the thread count.
  const std::size_t block = std::max<std::size_t>(512, B * P);
  arma::mat x(F, block), y(D, block);
  std::size_t filled = 0;
  RidgeAccumulator acc(F, D);
  arma::mat w, test_y(D, task->test * P), test_yhat(D, task->test * P);
  const std::size_t total = (task->train + task->test) * L;
  double last_report = 0;
  bool ok = true;

  // One batch of n <= B episodes through a worker's network into its own x and y.
  auto run_batch = [&](Worker& wk, Split split, std::size_t first, std::size_t n, Batch& out) {
    const EpisodeBatch eb = task->episodes(split, first, n, sc.seed);
    out.x.set_size(F, n * P);
    out.y.set_size(D, n * P);
    wk.sim->reset();
    std::fill(wk.u.begin(), wk.u.end(), 0.0);  // lanes beyond n stay silent
    for (std::size_t k = 0; k < L; ++k) {
      if (opts.stop && opts.stop->load()) {
        out.status = "interrupted";
        out.message = "interrupted by signal " + std::to_string(opts.stop->load());
        return;
      }
      for (std::size_t e = 0; e < n; ++e)
        for (std::size_t i = 0; i < task->input_dim; ++i)
          wk.u[i * B + e] = eb.input[(k * n + e) * task->input_dim + i];
      wk.sim->step_token(wk.u.data());
      if (auto stop = wk.health->check(*wk.net, wk.sim->state().data(), wk.sim->time(), k)) {
        out.status = stop->first;
        out.message = stop->second + " in " + (split == Split::Train ? "training" : "test") + " episode " +
                      std::to_string(first) + ".." + std::to_string(first + n - 1);
        return;
      }
      wk.features->take(k, wk.sim->state().data(), wk.u.data(), n, out.x, 0);
    }
    for (std::size_t e = 0; e < n; ++e)
      for (std::size_t p = 0; p < P; ++p)
        for (std::size_t o = 0; o < D; ++o) out.y(o, e * P + p) = eb.target[(p * n + e) * D + o];
    out.steps = wk.sim->steps();
  };

  // The episodes of a split in waves of a few batches per thread. While the threads
  // simulate one wave, this thread hands the previous one to `consume` (the ridge
  // statistics), batch by batch in order. Returns false when the run must stop.
  auto run_split = [&](Split split, std::size_t count, const std::function<void(std::size_t, Batch&)>& consume) {
    const std::size_t batches = (count + B - 1) / B, wave = T > 1 ? 4 * T : 1;
    std::vector<Batch> slots[2] = {std::vector<Batch>(wave), std::vector<Batch>(wave)};
    auto simulate = [&](std::size_t b0, std::vector<Batch>& out, std::atomic<std::size_t>& next, Worker& wk) {
      const std::size_t nb = std::min(wave, batches - b0);
      for (std::size_t i = next++; i < nb; i = next++) {
        out[i] = Batch{};
        const std::size_t first = (b0 + i) * B;
        try {  // an exception must not leave a worker thread (std::terminate)
          run_batch(wk, split, first, std::min(B, count - first), out[i]);
        } catch (const std::exception& e) {
          out[i].status = "failed";
          out[i].message = e.what();
        }
      }
    };
    auto drain = [&](std::size_t b0, std::vector<Batch>& in) {
      for (std::size_t i = 0; i < std::min(wave, batches - b0); ++i) {
        Batch& bt = in[i];
        if (bt.status != "complete") {
          res.status = bt.status;
          res.message = bt.message + " after " + std::to_string(res.tokens) + " of " + std::to_string(total) +
                        " episode tokens";
          return false;
        }
        const std::size_t first = (b0 + i) * B;
        res.tokens += std::min(B, count - first) * L;
        res.steps += bt.steps;
        consume(first, bt);
      }
      if (opts.progress && elapsed() - last_report > 0.2) {
        last_report = elapsed();
        opts.progress({res.tokens, total, res.steps, last_report});
      }
      return true;
    };
    bool fine = true;
    for (std::size_t w = 0, b0 = 0; b0 < batches && fine; ++w, b0 += wave) {
      std::atomic<std::size_t> next{0};
      std::vector<Batch>& out = slots[w % 2];
      if (T == 1) {
        simulate(b0, out, next, workers[0]);
      } else {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < T; ++t) threads.emplace_back([&, t] { simulate(b0, out, next, workers[t]); });
        if (w > 0) fine = drain(b0 - wave, slots[(w - 1) % 2]);
      }  // the threads join here
      if (T == 1) fine = drain(b0, out);
      else if (fine && b0 + wave >= batches) fine = drain(b0, out);
    }
    return fine;
  };

  auto add_filled = [&] {  // the filled columns, in place: x.cols(...) would be a copy
    acc.add_columns(arma::mat(x.memptr(), F, filled, false, true),
                    arma::mat(y.memptr(), D, filled, false, true), T);
    filled = 0;
  };
  ok = run_split(Split::Train, task->train, [&](std::size_t, Batch& bt) {
    if (filled + bt.x.n_cols > block) add_filled();
    x.cols(filled, filled + bt.x.n_cols - 1) = bt.x;
    y.cols(filled, filled + bt.y.n_cols - 1) = bt.y;
    filled += bt.x.n_cols;
  });
  if (ok) {
    if (filled) add_filled();
    try {
      w = acc.solve(sc.readout.real("ridge"));
    } catch (...) {
      if (rec) rec->finish("failed");  // the recording says why it has no readout
      throw;
    }
    res.readout_weights = w.n_elem;
    ok = run_split(Split::Test, task->test, [&](std::size_t first, Batch& bt) {
      test_y.cols(first * P, first * P + bt.y.n_cols - 1) = bt.y;
      test_yhat.cols(first * P, first * P + bt.x.n_cols - 1) = ridge_predict(w, bt.x.t()).t();
    });
  }
  if (opts.progress) opts.progress({res.tokens, total, res.steps, elapsed()});
  if (ok) res.metrics[std::string(metric_name(task->metric)) + "_test"] = score(task->metric, test_y.t(), test_yhat.t());
  res.wall_seconds = elapsed();
  if (rec) {
    if (ok) {
      rec->write_matrix("/network/readout/weights", w, "1", "[features + 1, outputs]; the last row is the bias");
      rec->set_attribute("/network/readout", "ridge", sc.readout.real("ridge"));
      rec->write_matrix("/analysis/readout/test_output", test_yhat.t(), "1",
                        "readout output per (test episode, readout point), episode-major");
      rec->write_matrix("/analysis/readout/test_target", test_y.t(), "1", "target per (test episode, readout point)");
    }
    for (auto& [m, v] : res.metrics) rec->write_scalar("/analysis/metrics/" + m, v);
    rec->finish(res.status);
  }
  return res;
}

}  // namespace ransim
