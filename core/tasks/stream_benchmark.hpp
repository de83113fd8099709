#pragma once
// The STREAM benchmark's tasks (Bendi-Ouis and Hinaut, the public repository
// Naowak/STREAM-benchmark, stream_benchmark/tasks.py and __init__.py's compute_score), generated
// here as its generator defines them, with its metrics and its `small` sizes as defaults
// (docs/tasks.md). Sequential MNIST, the twelfth, reads the user's MNIST files (image_tasks.cpp).
//
// Episode tasks (stream_benchmark_memory.cpp, stream_benchmark_manipulation.cpp; what they
// share in stream_benchmark.cpp): the benchmark's n_train, n_valid and n_test
// episodes map onto task.train = n_train + n_valid (the last n_valid held out to choose
// readout.ridge on), task.validation = n_valid and task.test = n_test. Its prediction timesteps
// are the readout points, one token each. Forecasting (stream_benchmark_forecast.cpp): one
// sequence split in time, as ransim's stream tasks are.
#include <cstdint>
#include <string>
#include <vector>

#include "ransim/rng.hpp"
#include "tasks/episodic_tasks.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

std::vector<TaskInfo> stream_benchmark_tasks();     // every STREAM task, in the benchmark's order
std::vector<TaskInfo> stream_forecast_tasks();      // stream_sinus_forecasting, stream_chaotic_forecasting
std::vector<TaskInfo> stream_memory_tasks();        // postcasting, pattern completion, copies
std::vector<TaskInfo> stream_manipulation_tasks();  // adding, sorting, bracket matching

namespace stream_benchmark {

// The episode split keys (train, validation, test) with the benchmark's small sizes.
std::vector<ParamSpec> split_specs();
using ransim::draw;         // uniform on 0..n-1 (numpy's randint(0, n))
using ransim::episode_rng;  // episode `index` of a split draws from its own stream
using ransim::read_split;   // (episodic_tasks.hpp) the split, as ransim's other episode tasks
// k distinct values of 0..n-1, in the order drawn (numpy's choice(n, k, replace=False)).
std::vector<std::size_t> choose(Rng& rng, std::size_t n, std::size_t k);

// An integer key (validated >= 0 by its spec) as a size.
inline std::size_t whole(const Params& p, const char* key) {
  return static_cast<std::size_t>(p.integer(key));
}

// One episode as the benchmark lays it out: input [length][input_dim], target
// [points][target_dim] (the scored timesteps only), and the scored tokens when they differ
// between episodes.
struct Episode {
  std::vector<double> input, target;
  std::vector<std::size_t> tokens;
};

// An episode task that generates one episode at a time; the batch layout is done here.
class EpisodeGenerator : public EpisodeTask {
 public:
  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count, std::uint64_t seed) const override;

 protected:
  // Fills an episode whose input and target are zeros of the right size.
  virtual void sample(Rng& rng, Episode& episode) const = 0;
  // Points as fixed tokens (the same in every episode).
  void score_tokens(std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) points.push_back({k});
  }
  bool tokens_vary_ = false;  // sample() fills Episode::tokens
};

}  // namespace stream_benchmark

}  // namespace ransim
