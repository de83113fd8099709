// Episode tasks (docs/tasks.md): copy, selective copy and in-context linear regression.
#include <algorithm>

#include "ransim/error.hpp"
#include "tasks/episodic_tasks.hpp"

namespace ransim {

std::vector<ParamSpec> episode_split_specs(std::int64_t train, std::int64_t test) {
  return {
      param::integer("train")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(train)
          .describe("episodes the readout is fitted on"),
      param::integer("validation")
          .unit("episodes")
          .range(0, 1e9)
          .defaults_to(0)
          .describe("the last of the train episodes, held out of the fit to choose readout.ridge on"),
      param::integer("test")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(test)
          .describe("episodes it is evaluated on"),
  };
}

namespace {

// Symbol tasks: one-hot symbols 0..M-1 plus two marker channels, blank (M) and go (M + 1);
// the last `recall` tokens are readout points whose targets are the symbols to reproduce.
class SymbolTask : public EpisodeTask {
 public:
  SymbolTask(const Params& p, std::size_t length_, std::size_t recall)
      : M_(static_cast<std::size_t>(p.integer("alphabet"))), recall_(recall) {
    length = length_;
    input_dim = M_ + 2;
    target_dim = M_;
    read_split(p, *this);
    for (std::size_t j = 0; j < recall; ++j) points.push_back({length - recall + j});
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                        std::uint64_t seed) const override {
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.assign(recall_ * count * target_dim, 0.0);
    std::vector<std::size_t> tokens(length), wanted(recall_);
    for (std::size_t e = 0; e < count; ++e) {
      Rng rng = episode_rng(seed, split, first + e);
      layout(rng, tokens, wanted);
      for (std::size_t k = 0; k < length; ++k) b.input[(k * count + e) * input_dim + tokens[k]] = 1.0;
      for (std::size_t j = 0; j < recall_; ++j) b.target[(j * count + e) * target_dim + wanted[j]] = 1.0;
    }
    return b;
  }

 protected:
  std::size_t blank() const { return M_; }
  std::size_t go() const { return M_ + 1; }
  // The input token of every step and the symbols to recall, for one episode.
  virtual void layout(Rng& rng, std::vector<std::size_t>& tokens, std::vector<std::size_t>& wanted) const = 0;
  std::size_t M_, recall_;
};

// Copy (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): L symbols, `delay` blanks, a
// go marker, L - 1 blanks; the readout reproduces the L symbols from the go marker on.
class CopyTask : public SymbolTask {
 public:
  explicit CopyTask(const Params& p)
      : SymbolTask(
            p,
            2 * static_cast<std::size_t>(p.integer("symbols")) + static_cast<std::size_t>(p.integer("delay")),
            static_cast<std::size_t>(p.integer("symbols"))),
        delay_(static_cast<std::size_t>(p.integer("delay"))) {}

 private:
  void layout(Rng& rng, std::vector<std::size_t>& tokens, std::vector<std::size_t>& wanted) const override {
    const std::size_t L = recall_;
    std::fill(tokens.begin(), tokens.end(), blank());
    for (std::size_t j = 0; j < L; ++j) tokens[j] = wanted[j] = draw(rng, M_);
    tokens[L + delay_] = go();
  }
  std::size_t delay_;
};

// Selective copy (Gu & Dao 2023): L symbols at random positions among `span` blank tokens,
// then the go marker and L - 1 blanks; the readout reproduces the symbols in order.
class SelectiveCopyTask : public SymbolTask {
 public:
  explicit SelectiveCopyTask(const Params& p)
      : SymbolTask(p, static_cast<std::size_t>(p.integer("span") + p.integer("symbols")),
                   static_cast<std::size_t>(p.integer("symbols"))),
        span_(static_cast<std::size_t>(p.integer("span"))) {
    if (span_ < recall_)
      throw InputError("selective_copy: span (" + std::to_string(span_) + ") must be at least symbols (" +
                       std::to_string(recall_) + ")");
  }

 private:
  void layout(Rng& rng, std::vector<std::size_t>& tokens, std::vector<std::size_t>& wanted) const override {
    std::fill(tokens.begin(), tokens.end(), blank());
    std::vector<std::size_t> pos(span_);
    for (std::size_t i = 0; i < span_; ++i) pos[i] = i;
    for (std::size_t i = 0; i < recall_; ++i)
      std::swap(pos[i], pos[i + draw(rng, span_ - i)]);  // partial Fisher-Yates
    std::sort(pos.begin(), pos.begin() + static_cast<std::ptrdiff_t>(recall_));
    for (std::size_t j = 0; j < recall_; ++j) tokens[pos[j]] = wanted[j] = draw(rng, M_);
    tokens[span_] = go();
  }
  std::size_t span_;
};

// In-context linear regression (Garg et al. 2022; von Oswald et al. 2023): per episode
// w ~ N(0, I_d); N context tokens (x_i, y_i) with x_i ~ N(0, I_d), y_i = w.x_i + noise; then the
// query token (x_q, 0). One readout point, after the query; target y_q = w.x_q (noise-free).
class InContextRegressionTask : public EpisodeTask {
 public:
  explicit InContextRegressionTask(const Params& p)
      : d_(static_cast<std::size_t>(p.integer("dim"))), noise_(p.real("noise")) {
    length = static_cast<std::size_t>(p.integer("context")) + 1;
    input_dim = d_ + 1;
    target_dim = 1;
    read_split(p, *this);
    metric = Metric::Mse;
    points = {{length - 1}};
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                        std::uint64_t seed) const override {
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.resize(count);
    std::vector<double> w(d_);
    for (std::size_t e = 0; e < count; ++e) {
      Rng rng = episode_rng(seed, split, first + e);
      for (auto& v : w) v = normal(rng);
      for (std::size_t k = 0; k < length; ++k) {
        double* z = b.input.data() + (k * count + e) * input_dim;
        double y = 0;
        for (std::size_t i = 0; i < d_; ++i) y += w[i] * (z[i] = normal(rng));
        if (k + 1 < length) z[d_] = y + noise_ * normal(rng);
        else b.target[e] = y;
      }
    }
    return b;
  }

 private:
  std::size_t d_;
  double noise_;
};

}  // namespace

std::vector<TaskInfo> episode_tasks() {
  auto symbol_specs = [](std::int64_t symbols) {
    return std::vector<ParamSpec>{
        param::integer("alphabet")
            .unit("symbols")
            .range(2, 1e4)
            .defaults_to(8)
            .describe("alphabet size M (one-hot, plus blank and go channels)"),
        param::integer("symbols").unit("tokens").range(1, 1e4).defaults_to(symbols).describe(
            "symbols to remember and reproduce"),
    };
  };
  TaskInfo copy;
  copy.kind = "copy";
  copy.description = "copy: reproduce L symbols after a delay and a go marker";
  copy.params = symbol_specs(5);
  copy.params.push_back(param::integer("delay").unit("tokens").range(0, 1e5).defaults_to(10).describe(
      "blanks between the symbols and the go marker"));
  for (auto& s : episode_split_specs(2000, 500)) copy.params.push_back(s);
  copy.create_episodes = [](const Params& p) { return std::make_unique<CopyTask>(p); };

  TaskInfo sel;
  sel.kind = "selective_copy";
  sel.description = "selective copy: reproduce L symbols scattered among blanks, in order";
  sel.params = symbol_specs(4);
  sel.params.push_back(param::integer("span").unit("tokens").range(1, 1e5).defaults_to(16).describe(
      "tokens over which the symbols are scattered"));
  for (auto& s : episode_split_specs(2000, 500)) sel.params.push_back(s);
  sel.create_episodes = [](const Params& p) { return std::make_unique<SelectiveCopyTask>(p); };

  TaskInfo icl;
  icl.kind = "in_context_regression";
  icl.description = "in-context linear regression: N pairs (x, w.x), then predict w.x_q (w new per episode)";
  icl.params = {
      param::integer("dim").range(1, 1e4).defaults_to(4).describe("dimension d of x"),
      param::integer("context").unit("tokens").range(1, 1e5).defaults_to(16).describe(
          "context pairs N before the query"),
      param::real("noise").at_least(0).describe("std of the noise on the context targets"),
  };
  for (auto& s : episode_split_specs(4000, 1000)) icl.params.push_back(s);
  icl.create_episodes = [](const Params& p) { return std::make_unique<InContextRegressionTask>(p); };
  return {copy, sel, icl};
}

void read_split(const Params& p, EpisodeTask& task) {
  task.train = static_cast<std::size_t>(p.integer("train"));
  task.validation = static_cast<std::size_t>(p.integer("validation"));
  task.test = static_cast<std::size_t>(p.integer("test"));
  if (task.validation >= task.train)
    throw InputError("task.validation (" + std::to_string(task.validation) +
                     " episodes) must be less than task.train (" + std::to_string(task.train) +
                     "): the validation episodes are held out of the training episodes");
}

Rng episode_rng(std::uint64_t seed, Split split, std::size_t index) {
  return make_rng(seed, (split == Split::Train ? "task.train." : "task.test.") + std::to_string(index));
}

std::size_t draw(Rng& rng, std::size_t n) {
  return std::min(n - 1, static_cast<std::size_t>(uniform(rng, 0.0, static_cast<double>(n))));
}

}  // namespace ransim
