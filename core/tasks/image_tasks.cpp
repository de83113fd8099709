// Sequential image classification from IDX files (docs/tasks.md): Fashion-MNIST and MNIST row
// by row or pixel by pixel, and the STREAM benchmark's sequential MNIST (column by column,
// then a trigger). The files are the user's, in task.data_dir; each is read once per process.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "ransim/error.hpp"
#include "tasks/data_tasks.hpp"
#include "tasks/datasets/idx.hpp"
#include "tasks/episodic_tasks.hpp"
#include "tasks/stream_benchmark.hpp"

namespace ransim {

namespace {

// A set of IDX files: its name in messages and where to get it.
struct ImageSet {
  const char* name;         // "Fashion-MNIST"
  const char* default_dir;  // task.data_dir's default
  const char* source;       // where the files come from
};

const ImageSet kFashionMnist{"Fashion-MNIST", "/usr/share/datasets/fashion-mnist",
                             "the Debian package dataset-fashion-mnist, or "
                             "https://github.com/zalandoresearch/fashion-mnist (data/fashion)"};
const ImageSet kMnist{"MNIST", "data/mnist",
                      "https://yann.lecun.com/exdb/mnist/ or its mirror "
                      "https://ossci-datasets.s3.amazonaws.com/mnist/"};

constexpr const char* kIdxNames[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

std::string expected_files() {
  std::string s;
  for (const char* n : kIdxNames) {
    if (!s.empty()) s += ", ";
    s += n;
    s += "[.gz]";
  }
  return s;
}

// DIR/NAME.gz, else DIR/NAME (either form is read).
std::string idx_file(const ImageSet& set, const std::string& dir, const std::string& name) {
  std::error_code ec;
  const std::string gz = dir + "/" + name + ".gz", plain = dir + "/" + name;
  if (std::filesystem::exists(gz, ec)) return gz;
  if (std::filesystem::exists(plain, ec)) return plain;
  throw InputError("task.data_dir: " + dir + " has neither " + name + ".gz nor " + name + " (the " +
                   set.name + " IDX files, gzip or plain: " + expected_files() + "; get them from " +
                   set.source + ")");
}

// Each images file is read once per process (comparisons run the task many times).
std::shared_ptr<const LabelledImages> cached_images(const std::string& images, const std::string& labels) {
  static std::mutex m;
  static std::map<std::string, std::shared_ptr<const LabelledImages>> cache;
  std::lock_guard<std::mutex> lock(m);
  auto& slot = cache[images];
  if (!slot) slot = std::make_shared<LabelledImages>(read_idx_images(images, labels, 10));
  return slot;
}

// Both splits of a set in task.data_dir, checked to have one image size.
struct ImageSplits {
  std::shared_ptr<const LabelledImages> train, test;
  ImageSplits(const ImageSet& set, const std::string& dir) {
    if (dir.empty())
      throw InputError(std::string("task.data_dir: empty; expected the directory with the ") + set.name +
                       " IDX files (" + expected_files() + ", gzip or plain; from " + set.source + ")");
    std::vector<std::string> paths;  // in this order, so that the first missing file is named
    for (const char* name : kIdxNames) paths.push_back(idx_file(set, dir, name));
    train = cached_images(paths[0], paths[1]);
    test = cached_images(paths[2], paths[3]);
    if (test->rows != train->rows || test->cols != train->cols)
      throw InputError("task.data_dir: the test images in " + dir + " are " + std::to_string(test->rows) +
                       " x " + std::to_string(test->cols) + " pixels, the training images " +
                       std::to_string(train->rows) + " x " + std::to_string(train->cols) +
                       " (both splits must have the same image size)");
  }
};

// An image presented row by row (28 tokens of 28 pixels) or pixel by pixel (784 tokens of 1),
// pixels scaled to [0, 1]; one readout point concatenating the states after K evenly spaced
// tokens (K = 1: the final state); one-hot class targets. Episode i of a split is image i.
class SequentialImageTask : public EpisodeTask {
 public:
  SequentialImageTask(const Params& p, const std::string& kind, const ImageSet& set)
      : data_(set, p.string("data_dir")) {
    const LabelledImages& tr = *data_.train;
    const bool rows = p.string("mode") == "rows";
    pixels_ = tr.rows * tr.cols;
    input_dim = rows ? tr.cols : 1;
    length = pixels_ / input_dim;
    target_dim = 10;
    read_split(p, *this);
    if (train > tr.count || test > data_.test->count)
      throw InputError(kind + ": asked for " + std::to_string(train) + " training and " +
                       std::to_string(test) + " test images, the data have " + std::to_string(tr.count) +
                       " and " + std::to_string(data_.test->count));
    const std::size_t K = static_cast<std::size_t>(p.integer("snapshots"));
    if (K > length)
      throw InputError(kind + ": snapshots (" + std::to_string(K) + ") exceeds the " +
                       std::to_string(length) + " tokens of an episode");
    points.resize(1);
    for (std::size_t i = 1; i <= K; ++i) points[0].push_back(i * length / K - 1);
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count, std::uint64_t) const override {
    const LabelledImages& d = split == Split::Train ? *data_.train : *data_.test;
    EpisodeBatch b;
    b.count = count;
    b.input.resize(length * count * input_dim);
    b.target.assign(count * 10, 0.0);
    for (std::size_t e = 0; e < count; ++e) {
      const std::uint8_t* img = d.pixels.data() + (first + e) * pixels_;
      for (std::size_t k = 0; k < length; ++k)
        for (std::size_t i = 0; i < input_dim; ++i)
          b.input[(k * count + e) * input_dim + i] = img[k * input_dim + i] / 255.0;
      b.target[e * 10 + d.labels[first + e]] = 1.0;
    }
    return b;
  }

 private:
  ImageSplits data_;
  std::size_t pixels_ = 0;
};

// The STREAM benchmark's sequential MNIST (generate_sequential_mnist): the training and test
// images pooled, shuffled by the seed, the first train + test taken; each image read column by
// column (28 tokens of 28 pixels / 255, channel 28 silent), then the trigger (channel 28 alone)
// and a silent token, after which the class is read (30 tokens).
class StreamSequentialMnistTask : public EpisodeTask {
 public:
  explicit StreamSequentialMnistTask(const Params& p) : data_(kMnist, p.string("data_dir")) {
    rows_ = data_.train->rows;
    cols_ = data_.train->cols;
    input_dim = rows_ + 1;
    length = cols_ + 2;
    target_dim = 10;
    metric = Metric::ErrorRate;
    read_split(p, *this);
    const std::size_t pool = data_.train->count + data_.test->count;
    if (train + test > pool)
      throw InputError("stream_sequential_mnist: asked for " + std::to_string(train) + " + " +
                       std::to_string(test) + " images, the two MNIST files have " + std::to_string(pool));
    points = {{cols_ + 1}};
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                        std::uint64_t seed) const override {
    const std::vector<std::size_t> order = shuffled(seed);
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.assign(count * 10, 0.0);
    for (std::size_t e = 0; e < count; ++e) {
      std::size_t i = order[(split == Split::Train ? 0 : train) + first + e];
      const LabelledImages& d = i < data_.train->count ? *data_.train : *data_.test;
      if (&d == data_.test.get()) i -= data_.train->count;
      const std::uint8_t* img = d.pixels.data() + i * rows_ * cols_;
      for (std::size_t c = 0; c < cols_; ++c)  // token c: column c, top to bottom
        for (std::size_t r = 0; r < rows_; ++r)
          b.input[(c * count + e) * input_dim + r] = img[r * cols_ + c] / 255.0;
      b.input[(cols_ * count + e) * input_dim + rows_] = 1.0;  // trigger
      b.target[e * 10 + d.labels[i]] = 1.0;
    }
    return b;
  }

 private:
  // The pooled images' order for this seed (numpy's permutation, here ransim's stream); the
  // split takes train episodes first, then test, so no image is in both.
  std::vector<std::size_t> shuffled(std::uint64_t seed) const {
    Rng rng = make_rng(seed, "task.shuffle");
    return stream_benchmark::choose(rng, data_.train->count + data_.test->count, train + test);
  }
  ImageSplits data_;
  std::size_t rows_ = 0, cols_ = 0;
};

ParamSpec data_dir_spec(const ImageSet& set) {
  return param::string("data_dir")
      .defaults_to(set.default_dir)
      .describe(std::string("directory with the ") + set.name +
                " IDX files (gzip or plain): train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-*");
}

TaskInfo sequential_image_info(const char* kind, const ImageSet& set) {
  TaskInfo t;
  t.kind = kind;
  t.description = std::string("sequential ") + set.name + " classification, row by row or pixel by pixel";
  t.params = {
      param::choice("mode", {"rows", "pixels"})
          .describe("rows: 28 tokens of 28 pixels; pixels: 784 tokens of 1"),
      param::integer("snapshots")
          .unit("tokens")
          .range(1, 1e4)
          .defaults_to(1)
          .describe("K states, after evenly spaced tokens ending with the last, concatenated into the "
                    "readout's features"),
      data_dir_spec(set),
  };
  for (auto& s : episode_split_specs(60000, 10000)) t.params.push_back(s);
  t.create_episodes = [kind, &set](const Params& p) {
    return std::make_unique<SequentialImageTask>(p, kind, set);
  };
  return t;
}

}  // namespace

std::vector<TaskInfo> image_tasks() {
  TaskInfo stream;
  stream.kind = "stream_sequential_mnist";
  stream.description =
      "STREAM sequential MNIST: images column by column, a trigger, the class (pooled, shuffled)";
  stream.params = {data_dir_spec(kMnist)};
  for (auto& s : stream_benchmark::split_specs()) stream.params.push_back(s);
  stream.create_episodes = [](const Params& p) { return std::make_unique<StreamSequentialMnistTask>(p); };
  return {sequential_image_info("fashion_mnist", kFashionMnist), sequential_image_info("mnist", kMnist),
          stream};
}

}  // namespace ransim
