// `ransim train`: train a scenario's units (core/train), write the trained network, and score
// it against the same network untrained with the task's own protocol (docs/training.md).
#include "train_command.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "io/json.hpp"
#include "io/recorder.hpp"
#include "io/setup.hpp"
#include "ransim/error.hpp"
#include "run/run.hpp"
#include "train/train_file.hpp"

namespace ransim {

namespace {

// The checkpoint beside the output: PREFIX.checkpoint.h5 for PREFIX.h5.
std::string checkpoint_path(const std::string& out) {
  const std::string stem = out.size() > 3 && out.substr(out.size() - 3) == ".h5" ? out.substr(0, out.size() - 3) : out;
  return stem + ".checkpoint.h5";
}

void write_file(const std::string& path, const Scenario& sc, const std::string& command_line, const Network& net,
                const TrainState& st, TrainEnd end, bool checkpoint) {
  Recorder rec({.path = path, .overwrite = true});
  write_setup(rec, sc, command_line, net);
  write_training(rec, st, end, checkpoint);
  rec.finish(end == TrainEnd::Interrupted ? RunStatus::Interrupted : RunStatus::Complete);
}

// The scenario as `ransim run` would score it, untrained or with the trained weights; no recording.
RunResult score(Scenario sc, const std::string& weights, const std::atomic<int>* stop) {
  sc.weights_file = weights;
  sc.record.set("file", std::string());
  RunOptions opts;
  opts.stop = stop;
  return run(sc, opts);
}

std::string json_list(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + json_number(v[i]);
  return out + "]";
}

std::string json_metrics(const std::map<std::string, double>& m) {
  std::string out = "{";
  for (auto& [k, v] : m) out += (out.size() > 1 ? ", \"" : "\"") + json_escape(k) + "\": " + json_number(v);
  return out + "}";
}

}  // namespace

int train_command(const Scenario& sc, const std::string& out, const TrainCommandOptions& o,
                  const std::string& command_line, const std::atomic<int>* stop) {
  Trainer trainer(sc);
  const std::string checkpoint = checkpoint_path(out);
  TrainState st;
  if (o.resume) st = read_checkpoint(checkpoint);
  const auto epochs = sc.train.integer("epochs");
  if (!o.quiet)
    std::fprintf(stderr, "training on %s%s; a checkpoint after each epoch in %s\n", sc.task_kind.c_str(),
                 o.resume ? (" from epoch " + std::to_string(st.train_loss.size() + 1)).c_str() : "",
                 checkpoint.c_str());
  const auto progress = [&](const TrainProgress& p) {
    if (o.quiet) return;
    std::fprintf(stderr, "epoch %zu/%lld  train loss %.6g  validation loss %.6g%s\n", p.epoch,
                 static_cast<long long>(epochs), p.train_loss, p.validation_loss, p.best ? "  (best)" : "");
  };
  const auto save = [&](const TrainState& s) {
    write_file(checkpoint, sc, command_line, trainer.network(), s, TrainEnd::Epochs, true);
  };
  const TrainEnd end = trainer.run(st, progress, save, stop);
  write_file(out, sc, command_line, trainer.network(), st, end, false);
  if (end == TrainEnd::Interrupted) {
    std::cerr << "ransim: training interrupted after " << st.train_loss.size() << " epochs; the best so far is in "
              << out << ", `ransim train --resume` goes on from " << checkpoint << "\n";
    return 1;
  }

  const RunResult before = score(sc, "", stop), after = score(sc, out, stop);
  if (o.json) {
    std::cout << "{\"scenario\": \"" << json_escape(sc.path) << "\", \"end\": \"" << to_string(end)
              << "\", \"epochs\": " << st.train_loss.size() << ", \"best_epoch\": " << st.best_epoch
              << ", \"trainable\": " << st.values.size() << ", \"loss_train\": " << json_list(st.train_loss)
              << ", \"loss_validation\": " << json_list(st.validation_loss) << ", \"recording\": \""
              << json_escape(out) << "\", \"metrics_untrained\": " << json_metrics(before.metrics)
              << ", \"metrics_trained\": " << json_metrics(after.metrics) << "}\n";
  } else {
    std::cout << "scenario    " << sc.path << "\n"
              << "training    " << st.train_loss.size() << " epochs (ended by "
              << (end == TrainEnd::Epochs ? "train.epochs" : to_string(end)) << "), best epoch "
              << st.best_epoch << " (validation loss " << std::setprecision(6)
              << st.validation_loss.at(st.best_epoch - 1) << ")\n"
              << "recording   " << out << "\n"
              << std::left;
    int width = 8;
    for (auto& [k, v] : after.metrics) width = std::max(width, static_cast<int>(k.size()) + 2);
    std::cout << std::setw(width) << "metric" << std::setw(14) << "untrained" << "trained\n";
    for (auto& [k, v] : after.metrics) {
      std::ostringstream untrained;
      if (auto b = before.metrics.find(k); b != before.metrics.end()) untrained << std::setprecision(4) << b->second;
      std::cout << std::setw(width) << k << std::setw(14) << untrained.str() << std::setprecision(4) << v << "\n";
    }
  }
  return before.status == RunStatus::Complete && after.status == RunStatus::Complete ? 0 : 1;
}

}  // namespace ransim
