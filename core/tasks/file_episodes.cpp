// task.kind = "file_episodes" (docs/tasks.md): episodes from the user's arrays, read a batch at
// a time: [episodes, T, dims] (all of one length), or an HDF5 group of [T_i, dims] datasets
// (one episode each, in name order, lengths of their own). Targets per token ([episodes, T,
// dims] or one [T_i, dims] per episode) or per episode ([episodes, dims], read after the
// last token).
#include <algorithm>

#include "ransim/error.hpp"
#include "tasks/data_tasks.hpp"
#include "tasks/file_task.hpp"

namespace ransim {

namespace {

using namespace file_data;

class FileEpisodeTask : public EpisodeTask {
 public:
  explicit FileEpisodeTask(const Params& p) : src_(p) {
    every_ = p.string("read") == "every";
    const std::size_t E = check_input();
    check_target(E);
    start_ = static_cast<std::size_t>(p.integer("start"));
    if (start_ >= E)
      throw InputError("task.start (" + std::to_string(start_) + ") leaves none of the " + std::to_string(E) +
                       " episodes of " + input_name());
    const std::size_t left = E - start_, fit = part(p, "train", left);
    validation = part(p, "validation", left);
    test = part(p, "test", left);
    train = fit + validation;
    if (fit == 0 || test == 0 || train + test > left)
      throw InputError("task.train, validation, test: " + std::to_string(fit) + " + " +
                       std::to_string(validation) + " + " + std::to_string(test) + " episodes; " +
                       input_name() + " has " + std::to_string(left) +
                       " after start (train and test must not be empty)");
    input_dim = src_.in.size();
    target_dim = src_.out.size();
    metric = metric_of(p.string("metric"));
    if (every_) {
      if (!src_.inputs.empty())
        throw InputError("task.read = \"every\": the episodes of " + input_name() +
                         " differ in length; \"every\" reads episodes of one length ([episodes, T, dims])");
      if (!per_token_target_) wrong_shape(*src_.target, "[episodes, T, dims] targets for read = \"every\"");
      for (std::size_t k = 0; k < length; ++k) points.push_back({k});
    } else {
      points = {{src_.inputs.empty() ? length - 1 : 0}};  // lists: each episode's last (EpisodeBatch::tokens)
    }
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count, std::uint64_t) const override {
    const std::size_t e0 = start_ + (split == Split::Train ? 0 : train) + first, P = points.size();
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.assign(P * count * target_dim, 0.0);
    std::vector<double> in, out;
    if (src_.inputs.empty()) {
      in.resize(count * length * input_dim);
      read_columns(*src_.input, e0, count, length, src_.in, in.data());
      for (std::size_t e = 0; e < count; ++e)
        for (std::size_t k = 0; k < length; ++k)
          std::copy_n(in.data() + (e * length + k) * input_dim, input_dim,
                      b.input.data() + (k * count + e) * input_dim);
    } else {
      for (std::size_t e = 0; e < count; ++e) {
        const ArraySource& a = *src_.inputs[e0 + e];
        const std::size_t T = a.shape()[0];
        in.resize(T * input_dim);
        read_columns(a, 0, T, 1, src_.in, in.data());
        for (std::size_t k = 0; k < T; ++k)
          std::copy_n(in.data() + k * input_dim, input_dim, b.input.data() + (k * count + e) * input_dim);
        b.lengths.push_back(T);
        b.tokens.push_back(T - 1);
      }
    }
    fill_targets(e0, count, b);
    return b;
  }

 private:
  std::string input_name() const {
    return src_.input ? src_.input->name() : src_.inputs[0]->name() + " (a group)";
  }

  // The episode count; sets `length` (the longest episode).
  std::size_t check_input() {
    if (src_.input) {
      if (src_.input->shape().size() != 3)
        wrong_shape(*src_.input,
                    "[episodes, T, dims] (or an HDF5 group of [T, dims] datasets) for file_episodes");
      length = src_.input->shape()[1];
      return src_.input->shape()[0];
    }
    for (const auto& a : src_.inputs) {
      if (a->shape().size() > 2) wrong_shape(*a, "[T, dims] or [T] (one episode of the group)");
      length = std::max(length, a->shape()[0]);
    }
    return src_.inputs.size();
  }

  void check_target(std::size_t E) {
    if (!src_.targets.empty()) {
      if (src_.targets.size() != E || src_.inputs.empty())
        throw InputError(src_.targets[0]->name() + ": a group of " + std::to_string(src_.targets.size()) +
                         " target datasets for " + std::to_string(E) + " episodes of " + input_name());
      for (std::size_t i = 0; i < E; ++i)
        if (src_.targets[i]->shape()[0] != src_.inputs[i]->shape()[0])
          throw InputError(src_.targets[i]->name() + ": " + std::to_string(src_.targets[i]->shape()[0]) +
                           " rows, its episode " + src_.inputs[i]->name() + " has " +
                           std::to_string(src_.inputs[i]->shape()[0]) + " tokens");
      per_token_target_ = true;
      return;
    }
    const auto& s = src_.target->shape();
    per_token_target_ = s.size() == 3;
    const bool fits = s[0] == E && (s.size() == 2 || (s.size() == 3 && src_.input && s[1] == length));
    if (fits) return;
    std::string expected = "[";
    expected += std::to_string(E);
    expected += ", dims] (one target per episode)";
    if (src_.input) {
      expected += " or [";
      expected += std::to_string(E);
      expected += ", ";
      expected += std::to_string(length);
      expected += ", dims] (one per token)";
    }
    wrong_shape(*src_.target, expected);
  }

  void fill_targets(std::size_t e0, std::size_t count, EpisodeBatch& b) const {
    std::vector<double> out;
    const std::size_t D = target_dim;
    if (!src_.targets.empty()) {  // one dataset per episode: its last row
      out.resize(D);
      for (std::size_t e = 0; e < count; ++e) {
        const ArraySource& a = *src_.targets[e0 + e];
        read_columns(a, a.shape()[0] - 1, 1, 1, src_.out, out.data());
        std::copy_n(out.data(), D, b.target.data() + e * D);
      }
      return;
    }
    const std::size_t T = per_token_target_ ? length : 1, P = points.size();
    out.resize(count * T * D);
    read_columns(*src_.target, e0, count, T, src_.out, out.data());
    for (std::size_t e = 0; e < count; ++e)
      for (std::size_t p = 0; p < P; ++p) {
        const std::size_t k = per_token_target_ ? points[p][0] : 0;
        std::copy_n(out.data() + (e * T + k) * D, D, b.target.data() + (p * count + e) * D);
      }
  }

  Sources src_;
  std::size_t start_ = 0;
  bool every_ = false, per_token_target_ = false;
};

}  // namespace

std::unique_ptr<EpisodeTask> file_episode_task(const Params& p) {
  return std::make_unique<FileEpisodeTask>(p);
}

}  // namespace ransim
