// STREAM's memory tasks (stream_benchmark.hpp; docs/tasks.md): discrete and continuous
// postcasting, discrete and continuous pattern completion, simple copy and selective copy, as
// Naowak/STREAM-benchmark's stream_benchmark/tasks.py generates them.
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

ParamSpec length_spec(std::int64_t v) {
  return param::integer("sequence_length")
      .unit("tokens")
      .range(1, 1e6)
      .defaults_to(v)
      .describe("sequence_length: tokens of the sequence to remember");
}
ParamSpec symbols_spec(std::int64_t v) {
  return param::integer("n_symbols")
      .unit("symbols")
      .range(2, 1e4)
      .defaults_to(v)
      .describe("n_symbols: alphabet size (one-hot)");
}
ParamSpec delay_spec(std::int64_t v, const char* what) {
  return param::integer("delay").unit("tokens").range(1, 1e6).defaults_to(v).describe(what);
}

// Postcasting: the target at token t is the input at t - delay; tokens delay..L-1 are scored.
class PostcastingTask : public EpisodeGenerator {
 public:
  PostcastingTask(const Params& p, bool discrete)
      : discrete_(discrete), delay_(whole(p, "delay")), symbols_(discrete ? whole(p, "n_symbols") : 1) {
    length = whole(p, "sequence_length");
    if (delay_ >= length)
      throw InputError("task.delay (" + std::to_string(delay_) +
                       ") must be less than task.sequence_length (" + std::to_string(length) + ")");
    input_dim = target_dim = symbols_;
    stream_benchmark::read_split(p, *this);
    score_tokens(delay_, length);
    metric = discrete ? Metric::ErrorRate : Metric::Mse;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    for (std::size_t k = 0; k < length; ++k) {
      double* in = ep.input.data() + k * input_dim;
      if (discrete_) in[draw(rng, symbols_)] = 1.0;
      else in[0] = uniform(rng, -0.8, 0.8);
    }
    for (std::size_t k = delay_; k < length; ++k)
      std::copy_n(ep.input.data() + (k - delay_) * input_dim, input_dim,
                  ep.target.data() + (k - delay_) * target_dim);
  }
  bool discrete_;
  std::size_t delay_, symbols_;
};

// Pattern completion: a random base pattern tiled over the sequence; int(L * mask_ratio)
// distinct tokens masked (discrete: the extra channel n_symbols; continuous: the value -1);
// the masked tokens are scored, so they differ between episodes.
class PatternCompletionTask : public EpisodeGenerator {
 public:
  PatternCompletionTask(const Params& p, bool discrete)
      : discrete_(discrete), base_(whole(p, "base_length")), symbols_(discrete ? whole(p, "n_symbols") : 1) {
    length = whole(p, "sequence_length");
    masked_ = static_cast<std::size_t>(static_cast<double>(length) * p.real("mask_ratio"));
    if (masked_ == 0)
      throw InputError("task.mask_ratio: int(sequence_length * mask_ratio) is 0, so nothing would be scored");
    input_dim = discrete ? symbols_ + 1 : 1;
    target_dim = symbols_;
    stream_benchmark::read_split(p, *this);
    points.assign(masked_, {0});  // placeholders: each episode names its masked tokens
    tokens_vary_ = true;
    metric = discrete ? Metric::ErrorRate : Metric::Mse;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    std::vector<double> pattern(base_);
    for (auto& v : pattern) v = discrete_ ? static_cast<double>(draw(rng, symbols_)) : uniform(rng, 0.0, 1.0);
    ep.tokens = choose(rng, length, masked_);
    std::sort(ep.tokens.begin(), ep.tokens.end());
    std::vector<bool> mask(length, false);
    for (std::size_t k : ep.tokens) mask[k] = true;
    for (std::size_t k = 0; k < length; ++k) {
      const double v = pattern[k % base_];
      double* in = ep.input.data() + k * input_dim;
      if (discrete_) in[mask[k] ? symbols_ : static_cast<std::size_t>(v)] = 1.0;
      else in[0] = mask[k] ? -1.0 : v;
    }
    for (std::size_t j = 0; j < masked_; ++j) {
      const double v = pattern[ep.tokens[j] % base_];
      if (discrete_) ep.target[j * target_dim + static_cast<std::size_t>(v)] = 1.0;
      else ep.target[j] = v;
    }
  }
  bool discrete_;
  std::size_t base_, symbols_, masked_ = 0;
};

// Simple copy: L one-hot symbols, `delay` silent tokens, the trigger (channel n_symbols), then
// L silent tokens during which the L symbols are scored in order.
class SimpleCopyTask : public EpisodeGenerator {
 public:
  explicit SimpleCopyTask(const Params& p)
      : L_(whole(p, "sequence_length")), delay_(whole(p, "delay")), symbols_(whole(p, "n_symbols")) {
    length = 2 * L_ + delay_ + 1;
    input_dim = symbols_ + 1;
    target_dim = symbols_;
    stream_benchmark::read_split(p, *this);
    score_tokens(L_ + delay_ + 1, length);
    metric = Metric::ErrorRate;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    for (std::size_t k = 0; k < L_; ++k) {
      const std::size_t s = draw(rng, symbols_);
      ep.input[k * input_dim + s] = 1.0;
      ep.target[k * target_dim + s] = 1.0;
    }
    ep.input[(L_ + delay_) * input_dim + symbols_] = 1.0;
  }
  std::size_t L_, delay_, symbols_;
};

// Selective copy: L one-hot symbols, n_markers of them marked (channel n_symbols), `delay`
// silent tokens, the trigger (channel n_symbols + 1) and n_markers silent tokens during which
// the marked symbols are scored in order.
class SelectiveCopyTask : public EpisodeGenerator {
 public:
  explicit SelectiveCopyTask(const Params& p)
      : L_(whole(p, "sequence_length")),
        delay_(whole(p, "delay")),
        markers_(whole(p, "n_markers")),
        symbols_(whole(p, "n_symbols")) {
    if (markers_ > L_)
      throw InputError("task.n_markers (" + std::to_string(markers_) +
                       ") must be at most task.sequence_length (" + std::to_string(L_) + ")");
    length = L_ + delay_ + 1 + markers_;
    input_dim = symbols_ + 2;
    target_dim = symbols_;
    stream_benchmark::read_split(p, *this);
    score_tokens(L_ + delay_ + 1, length);
    metric = Metric::ErrorRate;
  }

 private:
  void sample(Rng& rng, Episode& ep) const override {
    std::vector<std::size_t> seq(L_);
    for (std::size_t k = 0; k < L_; ++k) ep.input[k * input_dim + (seq[k] = draw(rng, symbols_))] = 1.0;
    std::vector<std::size_t> marked = choose(rng, L_, markers_);
    std::sort(marked.begin(), marked.end());
    for (std::size_t j = 0; j < markers_; ++j) {
      ep.input[marked[j] * input_dim + symbols_] = 1.0;
      ep.target[j * target_dim + seq[marked[j]]] = 1.0;
    }
    ep.input[(L_ + delay_) * input_dim + symbols_ + 1] = 1.0;
  }
  std::size_t L_, delay_, markers_, symbols_;
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

}  // namespace

std::vector<TaskInfo> stream_memory_tasks() {
  const char* postcast_delay = "delay: the target is the input this many tokens earlier";
  ParamSpec ratio = param::real("mask_ratio")
                        .range(0, 1)
                        .defaults_to(0.2)
                        .describe("mask_ratio: share of the tokens masked and scored");
  ParamSpec base = param::integer("base_length")
                       .unit("tokens")
                       .range(1, 1e6)
                       .defaults_to(4)
                       .describe("base_length: length of the repeated pattern");
  return {
      info("stream_discrete_postcasting",
           "STREAM discrete postcasting: output the one-hot symbol `delay` tokens back",
           {length_spec(50), delay_spec(5, postcast_delay), symbols_spec(3)},
           [](const Params& p) { return std::make_unique<PostcastingTask>(p, true); }),
      info("stream_continuous_postcasting",
           "STREAM continuous postcasting: output the U(-0.8, 0.8) input `delay` back",
           {length_spec(50), delay_spec(5, postcast_delay)},
           [](const Params& p) { return std::make_unique<PostcastingTask>(p, false); }),
      info("stream_discrete_pattern_completion",
           "STREAM discrete pattern completion: fill in the masked symbols of a repeated pattern",
           {length_spec(60), symbols_spec(3), base, ratio},
           [](const Params& p) { return std::make_unique<PatternCompletionTask>(p, true); }),
      info("stream_continuous_pattern_completion",
           "STREAM continuous pattern completion: fill in the masked (-1) values of a repeated U(0, 1) "
           "pattern",
           {length_spec(60), base, ratio},
           [](const Params& p) { return std::make_unique<PatternCompletionTask>(p, false); }),
      info("stream_simple_copy", "STREAM simple copy: reproduce L symbols after a delay and a trigger",
           {length_spec(22), delay_spec(5, "delay: silent tokens between the symbols and the trigger"),
            symbols_spec(3)},
           [](const Params& p) { return std::make_unique<SimpleCopyTask>(p); }),
      info("stream_selective_copy",
           "STREAM selective copy: reproduce the marked symbols, in order, after a trigger",
           {length_spec(40), delay_spec(5, "delay: silent tokens between the symbols and the trigger"),
            param::integer("n_markers")
                .unit("tokens")
                .range(1, 1e6)
                .defaults_to(5)
                .describe("n_markers: symbols marked to remember"),
            symbols_spec(3)},
           [](const Params& p) { return std::make_unique<SelectiveCopyTask>(p); }),
  };
}

}  // namespace ransim
