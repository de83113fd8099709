// What the STREAM episode tasks share (stream_benchmark.hpp): the split, the per-episode
// random streams, and the layout of a batch.
#include "tasks/stream_benchmark.hpp"

#include <algorithm>
#include <numeric>

#include "ransim/error.hpp"

namespace ransim {

std::vector<TaskInfo> stream_benchmark_tasks() {
  // The benchmark's order (stream_benchmark/evals.py).
  std::vector<TaskInfo> all = stream_forecast_tasks();
  for (auto* group : {stream_memory_tasks, stream_manipulation_tasks})
    for (auto& t : group()) all.push_back(std::move(t));
  const std::vector<std::string> order{"stream_sinus_forecasting",
                                       "stream_chaotic_forecasting",
                                       "stream_discrete_postcasting",
                                       "stream_continuous_postcasting",
                                       "stream_discrete_pattern_completion",
                                       "stream_continuous_pattern_completion",
                                       "stream_bracket_matching",
                                       "stream_simple_copy",
                                       "stream_selective_copy",
                                       "stream_adding_problem",
                                       "stream_sorting_problem"};
  auto rank = [&](const TaskInfo& t) {
    return std::find(order.begin(), order.end(), t.kind) - order.begin();
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const TaskInfo& a, const TaskInfo& b) { return rank(a) < rank(b); });
  return all;
}

namespace stream_benchmark {

std::vector<ParamSpec> split_specs() {
  // The benchmark's small sizes: n_train 100, n_valid 20, n_test 100.
  return {
      param::integer("train")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(120)
          .describe("episodes for the readout: n_train fitted on, then the validation ones"),
      param::integer("validation")
          .unit("episodes")
          .range(0, 1e9)
          .defaults_to(20)
          .describe(
              "n_valid: the last of the train episodes, held out of the fit to choose readout.ridge on"),
      param::integer("test")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(100)
          .describe("n_test: episodes it is evaluated on"),
  };
}

std::vector<std::size_t> choose(Rng& rng, std::size_t n, std::size_t k) {
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  for (std::size_t i = 0; i < k; ++i) std::swap(all[i], all[i + draw(rng, n - i)]);  // partial Fisher-Yates
  all.resize(k);
  return all;
}

EpisodeBatch EpisodeGenerator::episodes(Split split, std::size_t first, std::size_t count,
                                        std::uint64_t seed) const {
  const std::size_t P = points.size();
  EpisodeBatch b;
  b.count = count;
  b.input.assign(length * count * input_dim, 0.0);
  b.target.assign(P * count * target_dim, 0.0);
  if (tokens_vary_) b.tokens.resize(count * P);
  Episode ep;
  for (std::size_t e = 0; e < count; ++e) {
    ep.input.assign(length * input_dim, 0.0);
    ep.target.assign(P * target_dim, 0.0);
    ep.tokens.clear();
    Rng rng = episode_rng(seed, split, first + e);
    sample(rng, ep);
    for (std::size_t k = 0; k < length; ++k)
      std::copy_n(ep.input.data() + k * input_dim, input_dim, b.input.data() + (k * count + e) * input_dim);
    for (std::size_t p = 0; p < P; ++p)
      std::copy_n(ep.target.data() + p * target_dim, target_dim,
                  b.target.data() + (p * count + e) * target_dim);
    if (tokens_vary_) std::copy_n(ep.tokens.data(), P, b.tokens.data() + e * P);
  }
  return b;
}

}  // namespace stream_benchmark

}  // namespace ransim
