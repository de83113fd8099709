// Japanese Vowels (docs/tasks.md): nine speakers, one utterance of /ae/ per episode, 12 LPC
// cepstrum coefficients per token, 7 to 29 tokens; the readout reads the state after an
// utterance's last token and names the speaker.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "ransim/error.hpp"
#include "tasks/data_tasks.hpp"
#include "tasks/datasets/japanese_vowels.hpp"
#include "tasks/episodic_tasks.hpp"
#include "tasks/stream_benchmark.hpp"

namespace ransim {

namespace {

constexpr const char* kSource = "https://archive.ics.uci.edu/dataset/128/japanese+vowels (ae.train, ae.test)";
constexpr std::size_t kSpeakers = 9;

// Each file is read once per process (comparisons run the task many times).
std::shared_ptr<const Utterances> cached(const std::string& path, const std::vector<std::size_t>& blocks) {
  static std::mutex m;
  static std::map<std::string, std::shared_ptr<const Utterances>> cache;
  std::lock_guard<std::mutex> lock(m);
  auto& slot = cache[path];
  if (!slot) slot = std::make_shared<Utterances>(read_japanese_vowels(path, blocks));
  return slot;
}

std::string data_file(const std::string& dir, const char* name) {
  std::error_code ec;
  const std::string path = dir + "/" + name;
  if (dir.empty() || !std::filesystem::exists(path, ec))
    throw InputError("task.data_dir: " + (dir.empty() ? std::string("empty") : dir + " has no " + name) +
                     "; expected the UCI Japanese Vowels files ae.train and ae.test there (get them from " +
                     kSource + ")");
  return path;
}

// Training episodes are the training file's utterances in an order drawn from the seed, so
// that the validation episodes (the last ones) are a random draw over the speakers rather than
// the file's last speaker; test episodes are the test file's utterances in file order.
class JapaneseVowelsTask : public EpisodeTask {
 public:
  explicit JapaneseVowelsTask(const Params& p) {
    const std::string dir = p.string("data_dir");
    train_ = cached(data_file(dir, "ae.train"), japanese_vowels_train_blocks());
    test_ = cached(data_file(dir, "ae.test"), japanese_vowels_test_blocks());
    input_dim = kJapaneseVowelsCoefficients;
    target_dim = kSpeakers;
    length = std::max(train_->longest, test_->longest);
    read_split(p, *this);
    if (train > train_->frames.size() || test > test_->frames.size())
      throw InputError("japanese_vowels: asked for " + std::to_string(train) + " training and " +
                       std::to_string(test) + " test utterances, the files have " +
                       std::to_string(train_->frames.size()) + " and " +
                       std::to_string(test_->frames.size()));
    points = {{0}};  // one point; its token is each episode's last (EpisodeBatch::tokens)
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                        std::uint64_t seed) const override {
    const Utterances& d = split == Split::Train ? *train_ : *test_;
    std::vector<std::size_t> order;
    if (split == Split::Train) {
      Rng rng = make_rng(seed, "task.shuffle");
      order = stream_benchmark::choose(rng, d.frames.size(), train);
    }
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.assign(count * target_dim, 0.0);
    for (std::size_t e = 0; e < count; ++e) {
      const std::size_t u = order.empty() ? first + e : order[first + e];
      const std::vector<double>& frames = d.frames[u];
      const std::size_t T = frames.size() / input_dim;
      for (std::size_t k = 0; k < T; ++k)
        std::copy_n(frames.data() + k * input_dim, input_dim, b.input.data() + (k * count + e) * input_dim);
      b.lengths.push_back(T);
      b.tokens.push_back(T - 1);
      b.target[e * target_dim + d.speaker[u]] = 1.0;
    }
    return b;
  }

 private:
  std::shared_ptr<const Utterances> train_, test_;
};

}  // namespace

TaskInfo japanese_vowels_task() {
  TaskInfo t;
  t.kind = "japanese_vowels";
  t.description = "Japanese Vowels (UCI): name the speaker (1 of 9) after an utterance of 7-29 frames";
  t.params = {param::string("data_dir")
                  .defaults_to("data/japanese_vowels")
                  .describe("directory with the UCI files ae.train and ae.test")};
  for (auto& s : episode_split_specs(270, 370)) t.params.push_back(s);
  t.create_episodes = [](const Params& p) { return std::make_unique<JapaneseVowelsTask>(p); };
  return t;
}

}  // namespace ransim
