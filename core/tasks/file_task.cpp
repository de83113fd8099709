// task.kind = "file" (docs/tasks.md): input and target from the user's own arrays (HDF5, .npy,
// CSV; datasets/arrays.hpp), as one long stream [T, dims] or as episodes [episodes, T, dims]
// (or an HDF5 group of [T_i, dims] datasets, episodes of their own lengths), split into
// consecutive train, validation and test parts. Episodes are read a batch at a time; a stream
// is read in chunks of rows, whole (generate) or a piece at a time (read: `ransim run`).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "ransim/error.hpp"
#include "ransim/weights.hpp"  // shape_text
#include "tasks/data_tasks.hpp"
#include "tasks/datasets/arrays.hpp"
#include "tasks/file_task.hpp"

namespace ransim {

namespace file_data {

namespace {

Columns parse_columns(const std::string& key, const std::string& text, std::size_t available,
                      const std::string& file) {
  if (text.empty()) return {0, available};
  const std::size_t colon = text.find(':');
  auto number = [&](std::string_view s, std::size_t fallback) {
    if (s.empty()) return fallback;
    std::size_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
      throw InputError("task." + key + ": '" + text +
                       "' is not a column range (\"a:b\", columns a to b - 1, or \"a\")");
    return v;
  };
  const std::string_view t(text);
  Columns c;
  c.first = number(t.substr(0, colon), 0);
  c.last = colon == std::string::npos ? c.first + 1 : number(t.substr(colon + 1), available);
  if (c.first >= c.last || c.last > available)
    throw InputError("task." + key + ": columns " + text + " of " + file + ", which has " +
                     std::to_string(available) + " (0 to " + std::to_string(available - 1) + ")");
  return c;
}

}  // namespace

// A split key: below 1 a fraction of `available`, else a count.
std::size_t part(const Params& p, const char* key, std::size_t available) {
  const double v = p.real(key);
  if (v < 1) return static_cast<std::size_t>(std::floor(v * static_cast<double>(available)));
  if (v != std::floor(v))
    throw InputError(std::string("task.") + key + ": " + std::to_string(v) +
                     " is neither a fraction below 1 nor a whole count");
  return static_cast<std::size_t>(v);
}

Metric metric_of(const std::string& name) {
  if (name == "mse") return Metric::Mse;
  if (name == "accuracy") return Metric::Accuracy;
  if (name == "error_rate") return Metric::ErrorRate;
  return Metric::Nrmse;
}

Sources::Sources(const Params& p) {
  const std::string file = p.string("input"), set = p.string("input_dataset");
  std::string target_file, target_set;
  if (file.empty())
    throw InputError("task.input: empty; expected the input file (.h5 with input_dataset, .npy or .csv)");
  target_file = p.string("target").empty() ? file : p.string("target");
  target_set = p.string("target_dataset").empty() ? set : p.string("target_dataset");
  if (target_file == file && target_set == set && p.string("input_columns").empty() &&
      p.string("target_columns").empty())
    throw InputError("task.target: the target would be the input itself (" + file +
                     "); name a target file or dataset, or split the columns with input_columns and "
                     "target_columns");
  if (is_hdf5_group(file, set)) inputs = open_array_group(file, set);
  else input = open_array(file, set);
  if (is_hdf5_group(target_file, target_set)) targets = open_array_group(target_file, target_set);
  else target = open_array(target_file, target_set);
  const ArraySource& a = input ? *input : *inputs[0];
  const ArraySource& b = target ? *target : *targets[0];
  in = parse_columns("input_columns", p.string("input_columns"), a.shape().size() > 1 ? a.shape().back() : 1,
                     a.name());
  out = parse_columns("target_columns", p.string("target_columns"),
                      b.shape().size() > 1 ? b.shape().back() : 1, b.name());
}

void wrong_shape(const ArraySource& a, const std::string& expected) {
  throw InputError(a.name() + ": expected " + expected + ", found shape [" + shape_text(a.shape(), ", ") +
                   "]");
}

// Rows [first, first + count) of `a` with columns `c` of each row's tokens (rows of `tokens`
// tokens of a.shape().back() values) into out, `c.size()` values per token.
void read_columns(const ArraySource& a, std::size_t first, std::size_t count, std::size_t tokens, Columns c,
                  double* out) {
  const std::size_t width = a.shape().size() > 1 ? a.shape().back() : 1;
  if (c.first == 0 && c.size() == width) return a.read_rows(first, count, out);
  std::vector<double> rows(count * a.row_size());
  a.read_rows(first, count, rows.data());
  for (std::size_t r = 0; r < count * tokens; ++r)
    std::copy_n(rows.data() + r * width + c.first, c.size(), out + r * c.size());
}

std::vector<ParamSpec> specs(bool episodes) {
  auto text = [](const char* key, const char* what) {
    return param::string(key).defaults_to("").describe(what);
  };
  const char* rows = episodes ? "episodes" : "tokens";
  std::vector<ParamSpec> s{
      text("input", "input file: .h5 / .hdf5 / .nwb (with input_dataset), .npy or .csv"),
      text("input_dataset", episodes
                                ? "HDF5: the input dataset [episodes, T, dims], or a group of [T_i, dims] "
                                  "datasets (one episode each, in name order)"
                                : "HDF5: the input dataset [T, dims] or [T]"),
      text("input_columns",
           "columns of the last axis taken as input, \"a:b\" (a to b - 1) or \"a\"; \"\": all"),
      text("target", "target file; \"\": the input file"),
      text("target_dataset", "HDF5: the target dataset (or group); \"\": input_dataset"),
      text("target_columns", "columns of the last axis taken as target; \"\": all"),
      param::choice("metric", {"nrmse", "mse", "accuracy", "error_rate"})
          .describe("how the parts are scored"),
      param::integer("start").unit(rows).range(0, 1e15).defaults_to(0).describe("rows skipped at the start"),
      param::real("train").at_least(0).defaults_to(0.8).describe(
          "training part: below 1 a fraction of the rows after start (and warmup), else a count"),
      param::real("validation")
          .at_least(0)
          .defaults_to(0)
          .describe("validation part after the training part (chooses readout.ridge): fraction or count"),
      param::real("test").at_least(0).defaults_to(0.2).describe(
          "test part after the validation part: fraction or count"),
  };
  if (episodes)
    s.push_back(
        param::choice("read", {"last", "every"})
            .describe("the readout reads the state after each episode's last token, or after every token"));
  else
    s.push_back(param::integer("warmup").unit("tokens").range(0, 1e15).defaults_to(0).describe(
        "tokens run before the training part, not fitted"));
  return s;
}

}  // namespace file_data

namespace {

using namespace file_data;

constexpr std::size_t kChunkRows = 1 << 14;  // rows per read of a stream

// One long sequence [T, dims] (or [T], or [T, 1, dims]: a ransim recording's one-lane input or
// target series, /acquisition/input/data): warm-up, train, validation and test tokens from row
// `start` on; every lane runs the same sequence.
class FileStreamTask : public Task {
 public:
  explicit FileStreamTask(const Params& p) : src_(p) {
    if (!src_.input || !src_.target)
      throw InputError(
          "task.input_dataset: an HDF5 group holds episodes, one dataset each; use kind = \"file_episodes\"");
    for (const ArraySource* a : {src_.input.get(), src_.target.get()})
      if (a->shape().size() > 2 &&
          !(a->shape().size() == 3 && a->shape()[1] == 1))  // [T, 1, dims]: a recording's
        wrong_shape(
            *a, "[T, dims], [T] or [T, 1, dims] for kind = \"file\" (episodes: kind = \"file_episodes\")");
    const std::size_t rows = src_.input->shape()[0];
    if (src_.target->shape()[0] != rows)
      throw InputError(src_.target->name() + ": " + std::to_string(src_.target->shape()[0]) +
                       " rows, the input " + src_.input->name() + " has " + std::to_string(rows) +
                       " (one target row per input row)");
    start_ = static_cast<std::size_t>(p.integer("start"));
    protocol.warmup = static_cast<std::size_t>(p.integer("warmup"));
    if (start_ + protocol.warmup >= rows)
      throw InputError("task.start + task.warmup (" + std::to_string(start_ + protocol.warmup) +
                       ") leaves no rows of " + src_.input->name() + " (" + std::to_string(rows) + " rows)");
    const std::size_t left = rows - start_ - protocol.warmup;
    protocol.train = part(p, "train", left);
    protocol.validation = part(p, "validation", left);
    protocol.test = part(p, "test", left);
    if (protocol.train == 0 || protocol.test == 0 ||
        protocol.train + protocol.validation + protocol.test > left)
      throw InputError("task.train, validation, test: " + std::to_string(protocol.train) + " + " +
                       std::to_string(protocol.validation) + " + " + std::to_string(protocol.test) +
                       " tokens; " + src_.input->name() + " has " + std::to_string(left) +
                       " after start and warmup (train and test must not be empty)");
    input_dim = src_.in.size();
    metric = metric_of(p.string("metric"));
  }

  Sequences generate(std::size_t lanes, Rng&) const override { return read(0, protocol.total(), lanes); }
  bool reads_in_chunks() const override { return true; }

  // Tokens [first, first + count): rows start + first on, read kChunkRows at a time.
  Sequences read(std::size_t first, std::size_t count, std::size_t lanes) const override {
    if (first + count > protocol.total()) throw std::logic_error("FileStreamTask::read: past the last token");
    Sequences s;
    s.steps = count;
    s.lanes = lanes;
    s.input_dim = src_.in.size();
    s.target_dim = src_.out.size();
    s.input.resize(s.steps * lanes * s.input_dim);
    s.target.resize(s.steps * lanes * s.target_dim);
    const std::size_t rows = std::min(kChunkRows, count);
    std::vector<double> in(rows * s.input_dim), out(rows * s.target_dim);
    for (std::size_t k0 = 0; k0 < s.steps; k0 += kChunkRows) {
      const std::size_t n = std::min(kChunkRows, s.steps - k0);
      read_columns(*src_.input, start_ + first + k0, n, 1, src_.in, in.data());
      read_columns(*src_.target, start_ + first + k0, n, 1, src_.out, out.data());
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t b = 0; b < lanes; ++b) {
          std::copy_n(in.data() + k * s.input_dim, s.input_dim,
                      s.input.data() + ((k0 + k) * lanes + b) * s.input_dim);
          std::copy_n(out.data() + k * s.target_dim, s.target_dim,
                      s.target.data() + ((k0 + k) * lanes + b) * s.target_dim);
        }
    }
    return s;
  }

 private:
  Sources src_;
  std::size_t start_ = 0;
};

}  // namespace

std::vector<TaskInfo> file_tasks() {
  TaskInfo stream;
  stream.kind = "file";
  stream.description = "the user's own arrays (HDF5, .npy, CSV) as one long stream [T, dims]";
  stream.params = file_data::specs(false);
  stream.create = [](const Params& p) -> std::unique_ptr<Task> {
    return std::make_unique<FileStreamTask>(p);
  };
  TaskInfo episodes;
  episodes.kind = "file_episodes";
  episodes.description =
      "the user's own arrays (HDF5, .npy) as episodes [episodes, T, dims] or one dataset each";
  episodes.params = file_data::specs(true);
  episodes.create_episodes = [](const Params& p) { return file_episode_task(p); };
  return {stream, episodes};
}

}  // namespace ransim
