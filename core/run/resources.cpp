#include "run/resources.hpp"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "readout/online.hpp"
#include "tasks/tasks.hpp"

// OpenBLAS's thread control, when OpenBLAS is the BLAS in the process (weak: absent otherwise).
extern "C" {
int openblas_get_num_threads() __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace ransim {

SingleThreadedBlas::SingleThreadedBlas() {
  if (openblas_get_num_threads && openblas_set_num_threads) {
    saved_ = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

namespace {

double integer_or(const Params& p, const char* name, double otherwise) {
  return p.has(name) ? static_cast<double>(p.integer(name)) : otherwise;
}

// State values per lane as the parameters say (units x dim), for the features.
double declared_size(const PopulationDecl& p) {
  return integer_or(p.params, "size", integer_or(p.params, "units", 1.0)) * integer_or(p.params, "dim", 1.0);
}

}  // namespace

double population_memory_bytes(const PopulationDecl& p, std::size_t lanes, std::size_t tokens) {
  const PopulationInfo* info = Registry::global().find(p.kind);
  if (info && info->memory_bytes) return info->memory_bytes(p.params, lanes, tokens);
  return 8.0 * 12 * declared_size(p) * static_cast<double>(lanes);  // state, stepper stages, drive
}

bool runs_bounded(const Scenario& sc, const Task& task) {
  return task.reads_in_chunks() && parse_readout_kind(sc.readout.string("kind")) == ReadoutKind::Ridge;
}

double estimate_memory(const Scenario& sc, bool bounded) {
  const TaskInfo* task = find_task(sc.task_kind);
  const double lanes = static_cast<double>(sc.lanes);
  double state = 0;
  std::map<std::string, double> size;
  for (auto& p : sc.populations) state += size[p.name] = declared_size(p);
  size["input"] = 1;
  double weights = 0;
  for (auto& pj : sc.projections) {
    const double rows = size[pj.to];
    if (pj.kind == "sparse") {
      const double cols = size[pj.from[0]];
      const double fan = static_cast<double>(pj.params.integer("fan_in"));
      weights += 12.0 * (fan > 0 ? rows * fan : pj.params.real("density") * rows * cols);
    } else {
      weights += 8.0 * rows;
    }
  }
  // Every population as its model estimates it, for sequences of `tokens` tokens.
  auto populations = [&](std::size_t tokens) {
    double bytes = 0;
    for (auto& p : sc.populations) bytes += population_memory_bytes(p, sc.lanes, tokens);
    return bytes;
  };
  if (task->episodic()) {  // a network per thread, a few waves of features, the normal equations
    const auto ep = task->create_episodes(sc.task);
    const double copies = sc.threads ? static_cast<double>(sc.threads) : std::thread::hardware_concurrency();
    const double points = static_cast<double>(ep->points.size());
    const double features =
        (state + static_cast<double>(ep->input_dim)) * static_cast<double>(ep->points[0].size()) + 1;
    const double samples = lanes * points;
    const double batch = 8.0 * static_cast<double>(ep->length) * lanes * static_cast<double>(ep->input_dim);
    const double test_outputs =
        8.0 * 4 * static_cast<double>(ep->target_dim) * static_cast<double>(ep->test) * points;
    return copies * (populations(ep->length) + weights + 2 * batch) + 8.0 * features * features * 3 +
           8.0 * features * (std::max(512.0, samples) + 8 * copies * samples) + test_outputs;
  }
  const auto stream = task->create(sc.task);
  const double steps = static_cast<double>(stream->protocol.total());
  const double features = state + 1;
  const double system = 8.0 * features * features * 3;  // normal equations
  if (bounded && runs_bounded(sc, *stream)) {
    // One piece of the sequence (and the next while it is read), one block of as many samples
    // as features (64 at least), the training and validation statistics and the fit's system.
    const double piece = 8.0 * 4 * static_cast<double>(kStreamPieceTokens) * lanes;
    const double block = 8.0 * std::max(64.0, features) * features;
    return populations(static_cast<std::size_t>(steps)) + weights + piece + block + system;
  }
  return populations(static_cast<std::size_t>(steps)) + weights +
         8.0 * 4 * steps * lanes           // task input and target (with copies)
         + 8.0 * steps * lanes * features  // readout features
         + system;
}

void check_memory(const Scenario& sc, bool bounded) {
  const double need = estimate_memory(sc, bounded);
  const double have =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  auto gib = [](double b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024.0 * 1024.0));
    return std::string(buf);
  };
  if (need > 0.8 * have)
    throw InputError(sc.path + ": this scenario needs about " + gib(need) +
                     " of memory (population sizes, projection densities, lanes, task length) "
                     "but the machine has " +
                     gib(have));
}

}  // namespace ransim
