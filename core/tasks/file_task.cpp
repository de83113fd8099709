// task.kind = "file" (docs/tasks.md): input and target from the user's own arrays (HDF5, .npy,
// CSV; datasets/arrays.hpp), as one long stream [T, dims] or as episodes [episodes, T, dims]
// (or an HDF5 group of [T_i, dims] datasets, episodes of their own lengths), split into
// consecutive train, validation and test parts. Episodes are read a batch at a time; a stream
// is read in chunks of rows, whole (generate) or a piece at a time (read: `ransim run`).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "io/hdf5_file.hpp"
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

// An HDF5 dataset stored contiguously (Hdf5File::raw_layout), read with pread at its byte
// offset and converted here: an open HDF5 file keeps a metadata cache of about 0.5 MiB whatever
// it reads, more than a small network's readout statistics, so the file is closed once the
// layout is known (docs/tasks.md, "A bounded stream").
class RawHdf5Source : public ArraySource {
 public:
  RawHdf5Source(const ArraySource& opened, const std::string& path, const Hdf5File::RawLayout& layout)
      : layout_(layout), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
    shape_ = opened.shape();
    name_ = opened.name();
  }
  ~RawHdf5Source() override { ::close(fd_); }
  RawHdf5Source(const RawHdf5Source&) = delete;
  RawHdf5Source& operator=(const RawHdf5Source&) = delete;

  void read_rows(std::size_t first, std::size_t count, double* out) const override {
    const std::size_t n = count * row_size(), e = layout_.element, bytes = n * e;
    const std::uint64_t at = layout_.offset + static_cast<std::uint64_t>(first) * row_size() * e;
    auto* raw = reinterpret_cast<unsigned char*>(out);  // e <= sizeof(double): the values fit
    for (std::size_t done = 0; done < bytes;) {
      const ssize_t got = ::pread(fd_, raw + done, bytes - done, static_cast<off_t>(at + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw InputError(name_ + ": cannot read rows " + std::to_string(first) + ".." +
                         std::to_string(first + count - 1) + " (the file ends before byte " +
                         std::to_string(at + bytes) + "?)");
      done += static_cast<std::size_t>(got);
    }
    const bool swap = layout_.big_endian != (std::endian::native == std::endian::big);
    if (layout_.floating && e == sizeof(double) && !swap) return;  // already doubles
    // In place from the last value back: value i's bytes end at or before out[i + 1].
    for (std::size_t i = n; i-- > 0;) out[i] = value(raw + i * e, swap);
  }

 private:
  double value(const unsigned char* p, bool swap) const {
    const std::size_t e = layout_.element;
    unsigned char b[8] = {};
    for (std::size_t k = 0; k < e && k < sizeof b; ++k) b[k] = p[swap ? e - 1 - k : k];
    auto as = [&]<class T>(T v) {
      std::memcpy(&v, b, sizeof v);
      return static_cast<double>(v);
    };
    if (layout_.floating) return e == 4 ? as(float{}) : as(double{});
    switch (e) {
      case 1: return layout_.is_signed ? as(std::int8_t{}) : as(std::uint8_t{});
      case 2: return layout_.is_signed ? as(std::int16_t{}) : as(std::uint16_t{});
      case 4: return layout_.is_signed ? as(std::int32_t{}) : as(std::uint32_t{});
      default: return layout_.is_signed ? as(std::int64_t{}) : as(std::uint64_t{});
    }
  }

  Hdf5File::RawLayout layout_;
  int fd_;
};

// `opened` as open_array opened it, or read without HDF5 when it is a contiguous HDF5 dataset.
std::unique_ptr<ArraySource> without_hdf5_if_contiguous(std::unique_ptr<ArraySource> opened,
                                                        const std::string& path, const std::string& set) {
  if (set.empty() || H5Fis_hdf5(path.c_str()) <= 0) return opened;
  const auto layout = Hdf5File(path).raw_layout(set);
  if (!layout) return opened;
  return std::make_unique<RawHdf5Source>(*opened, path, *layout);
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
  else input = without_hdf5_if_contiguous(open_array(file, set), file, set);
  if (is_hdf5_group(target_file, target_set)) targets = open_array_group(target_file, target_set);
  else target = without_hdf5_if_contiguous(open_array(target_file, target_set), target_file, target_set);
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
    // One lane reads straight into the sequence; more read a chunk and copy it to every lane.
    const std::size_t rows = lanes == 1 ? 0 : std::min(kChunkRows, count);
    std::vector<double> in(rows * s.input_dim), out(rows * s.target_dim);
    for (std::size_t k0 = 0; k0 < s.steps; k0 += kChunkRows) {
      const std::size_t n = std::min(kChunkRows, s.steps - k0);
      if (lanes == 1) {
        read_columns(*src_.input, start_ + first + k0, n, 1, src_.in, s.input.data() + k0 * s.input_dim);
        read_columns(*src_.target, start_ + first + k0, n, 1, src_.out, s.target.data() + k0 * s.target_dim);
        continue;
      }
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
