// STREAM's tasks on manipulating what was retained (stream_benchmark.hpp; docs/tasks.md): the
// adding problem, the sorting problem and bracket matching, as Naowak/STREAM-benchmark's
// stream_benchmark/tasks.py generates them. One scored token each but sorting (L tokens).
#include <algorithm>

#include "ransim/error.hpp"
#include "tasks/stream_benchmark.hpp"

namespace ransim {

namespace {

using stream_benchmark::choose;
using stream_benchmark::draw;
using stream_benchmark::Episode;
using stream_benchmark::EpisodeGenerator;
using stream_benchmark::whole;

// Adding: L numbers 0..M-1 (one-hot), two of them marked (channel M), the trigger (channel
// M + 1) at token L; at token L + 1 the class of (a + 1) + (b + 1) - 2, one of 2M - 1.
class AddingTask : public EpisodeGenerator {
 public:
  explicit AddingTask(const Params& p) : L_(whole(p, "sequence_length")), M_(whole(p, "max_number")) {
    if (L_ < 2)
      throw InputError("task.sequence_length: the adding problem marks 2 numbers, so it needs at least 2");
    length = L_ + 2;
    input_dim = M_ + 2;
    target_dim = 2 * M_ - 1;
    stream_benchmark::read_split(p, *this);
    score_tokens(L_ + 1, L_ + 2);
    metric = Metric::ErrorRate;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    std::vector<std::size_t> seq(L_);
    for (std::size_t k = 0; k < L_; ++k) ep.input[k * input_dim + (seq[k] = draw(rng, M_))] = 1.0;
    const std::vector<std::size_t> marked = choose(rng, L_, 2);
    for (std::size_t k : marked) ep.input[k * input_dim + M_] = 1.0;
    ep.input[L_ * input_dim + M_ + 1] = 1.0;
    ep.target[seq[marked[0]] + seq[marked[1]]] = 1.0;  // (a + 1) + (b + 1) - 2
  }
  std::size_t L_, M_;
};

// Sorting: L symbols (one-hot, n_symbols channels), each with a distinct position 0..L-1
// (one-hot over the next L + 1 channels; the last of them is the trigger, at token L); after
// the trigger, token L + 1 + j must output the symbol whose position is j.
class SortingTask : public EpisodeGenerator {
 public:
  explicit SortingTask(const Params& p) : L_(whole(p, "sequence_length")), S_(whole(p, "n_symbols")) {
    length = 2 * L_ + 1;
    input_dim = S_ + L_ + 1;
    target_dim = S_;
    stream_benchmark::read_split(p, *this);
    score_tokens(L_ + 1, length);
    metric = Metric::ErrorRate;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    std::vector<std::size_t> seq(L_);
    for (auto& s : seq) s = draw(rng, S_);
    const std::vector<std::size_t> order = choose(rng, L_, L_);  // a random permutation
    for (std::size_t k = 0; k < L_; ++k) {
      ep.input[k * input_dim + seq[k]] = 1.0;
      ep.input[k * input_dim + S_ + order[k]] = 1.0;
      ep.target[order[k] * target_dim + seq[k]] = 1.0;
    }
    ep.input[L_ * input_dim + S_ + L_] = 1.0;
  }
  std::size_t L_, S_;
};

// Bracket matching: a balanced sequence of L brackets of depth at most max_depth, then, with
// probability 1/2, int(0.35 L) distinct brackets replaced by a fair coin's; channels '(' 0,
// ')' 1, trigger 2 (token L); at token L + 1 the class 1 if the sequence is balanced, else 0.
class BracketMatchingTask : public EpisodeGenerator {
 public:
  explicit BracketMatchingTask(const Params& p)
      : L_(whole(p, "sequence_length")), depth_(whole(p, "max_depth")) {
    length = L_ + 2;
    input_dim = 3;
    target_dim = 2;
    stream_benchmark::read_split(p, *this);
    score_tokens(L_ + 1, L_ + 2);
    metric = Metric::ErrorRate;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    std::vector<bool> open(L_);  // true: '('
    std::size_t depth = 0;
    for (std::size_t k = 0; k < L_; ++k) {
      const std::size_t remaining = L_ - k;
      // Open when nothing is open, else, while there is room to close and depth to spare, on a
      // coin flip (drawn only then, as the benchmark's short-circuit does).
      open[k] = depth == 0 || (remaining > depth && depth < depth_ && uniform(rng) > 0.5);
      depth = open[k] ? depth + 1 : depth - 1;
    }
    if (!(uniform(rng) < 0.5)) {
      const std::vector<std::size_t> at =
          choose(rng, L_, static_cast<std::size_t>(static_cast<double>(L_) * 0.35));
      for (std::size_t k : at) open[k] = uniform(rng) > 0.5;
    }
    long long level = 0;
    bool valid = true;
    for (std::size_t k = 0; k < L_; ++k) {
      ep.input[k * input_dim + (open[k] ? 0 : 1)] = 1.0;
      if (open[k]) ++level;
      else if (level == 0) valid = false;
      else --level;
    }
    ep.input[L_ * input_dim + 2] = 1.0;
    ep.target[valid && level == 0 ? 1 : 0] = 1.0;
  }
  std::size_t L_, depth_;
};

TaskInfo info(const char* kind, const char* description, std::vector<ParamSpec> params,
              std::function<std::unique_ptr<EpisodeTask>(const Params&)> create) {
  TaskInfo t;
  t.kind = kind;
  t.description = description;
  t.params = std::move(params);
  for (auto& s : stream_benchmark::split_specs()) t.params.push_back(s);
  t.create_episodes = std::move(create);
  return t;
}

ParamSpec length_spec(std::int64_t v, const char* what) {
  return param::integer("sequence_length").unit("tokens").range(1, 1e6).defaults_to(v).describe(what);
}

}  // namespace

std::vector<TaskInfo> stream_manipulation_tasks() {
  return {
      info("stream_bracket_matching", "STREAM bracket matching: is the bracket sequence balanced?",
           {length_spec(50, "sequence_length: brackets per sequence"),
            param::integer("max_depth")
                .range(1, 1e6)
                .defaults_to(5)
                .describe("max_depth: deepest nesting of the balanced sequences before mutation")},
           [](const Params& p) { return std::make_unique<BracketMatchingTask>(p); }),
      info("stream_adding_problem", "STREAM adding problem: the sum of the two marked numbers, as a class",
           {length_spec(10, "sequence_length: numbers per sequence"),
            param::integer("max_number")
                .range(1, 1e4)
                .defaults_to(3)
                .describe(
                    "max_number: numbers are 0..max_number-1 (one-hot); the sum of the two, each plus 1, is "
                    "one of 2 max_number - 1 classes")},
           [](const Params& p) { return std::make_unique<AddingTask>(p); }),
      info("stream_sorting_problem",
           "STREAM sorting problem: output the symbols in the order of their positions",
           {length_spec(10, "sequence_length: symbols to sort"),
            param::integer("n_symbols")
                .unit("symbols")
                .range(2, 1e4)
                .defaults_to(3)
                .describe("n_symbols: alphabet size (one-hot)")},
           [](const Params& p) { return std::make_unique<SortingTask>(p); }),
  };
}

}  // namespace ransim
