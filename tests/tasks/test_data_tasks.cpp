// The tasks that read the user's files (docs/tasks.md): sequential MNIST and the STREAM
// benchmark's sequential MNIST on tiny IDX files written here, and Japanese Vowels on a
// synthetic ae.train / ae.test of the UCI layout written here (nine speakers, 30 training
// utterances each, the test file's uneven counts, 7 to 29 frames). Expected values come from
// the files' own bytes (which pixel goes to which token), the task definitions (the STREAM
// trigger, the last token read), and the same run done another way (one lane against 64, so
// that padding shorter episodes is seen to change no output).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>

#include "io/layout.hpp"
#include "ransim/hdf5_read.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "tasks/datasets/idx_bytes.hpp"
#include "tasks/datasets/japanese_vowels.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::EpisodeBatch;
using ransim::Split;
using ransim::test::argmax;
using ransim::test::input_error;
using ransim::test::task_params;
using testing::HasSubstr;

// ---------------------------------------------------------------------------------------
// MNIST from IDX files
// ---------------------------------------------------------------------------------------

// Images of 4 x 3 pixels numbered g = n (training file) or 20 + n (test file): pixel (row r,
// column c) = g * 7 + r * 3 + c, label g % 10; the first pixel names the image.
void write_images(const std::string& dir, const std::string& prefix, std::uint32_t n) {
  ransim::test::Bytes px, labels;
  const std::uint32_t first = prefix == "train" ? 0 : 20;
  for (std::uint32_t g = first; g < first + n; ++g) {
    for (std::uint32_t r = 0; r < 4; ++r)
      for (std::uint32_t c = 0; c < 3; ++c) px.push_back(static_cast<std::uint8_t>(g * 7 + r * 3 + c));
    labels.push_back(static_cast<std::uint8_t>(g % 10));
  }
  auto put = [&](const std::string& name, const ransim::test::Bytes& b) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), b.size());
  };
  put(prefix + "-images-idx3-ubyte", ransim::test::idx_bytes({n, 4, 3}, px));
  put(prefix + "-labels-idx1-ubyte", ransim::test::idx_bytes({n}, labels));
}

std::string mnist_dir(std::uint32_t train = 12, std::uint32_t test = 5) {
  const std::string dir = ransim::test::test_dir();
  write_images(dir, "train", train);
  write_images(dir, "t10k", test);
  return dir;
}

double pixel(std::size_t g, std::size_t r, std::size_t c) { return double(g * 7 + r * 3 + c) / 255.0; }

TEST(MnistTask, RowsFromTheFilesBytes) {
  auto task = ransim::find_task("mnist")->create_episodes(task_params(
      "mnist", {{"data_dir", mnist_dir()}, {"train", std::int64_t{12}}, {"test", std::int64_t{5}}}));
  ASSERT_EQ(task->length, 4u);
  ASSERT_EQ(task->input_dim, 3u);
  const EpisodeBatch b = task->episodes(Split::Test, 2, 3, 0);  // test images 2, 3, 4: g = 22, 23, 24
  for (std::size_t e = 0; e < 3; ++e) {
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(b.input[(r * 3 + e) * 3 + c], pixel(22 + e, r, c));
    EXPECT_EQ(argmax(&b.target[e * 10], 10), (22 + e) % 10);
  }
  EXPECT_THAT(input_error([&] {
                ransim::find_task("mnist")->create_episodes(
                    task_params("mnist", {{"data_dir", mnist_dir()}, {"train", std::int64_t{13}}}));
              }),
              HasSubstr("mnist: asked for 13 training and 10000 test images, the data have 12 and 5"));
}

TEST(MnistTask, MissingFilesNameTheFilesTheDirectoryAndTheSource) {
  const std::string dir = ransim::test::test_dir();
  write_images(dir, "train", 3);  // no t10k files
  const std::string e = input_error([&] {
    ransim::find_task("mnist")->create_episodes(task_params("mnist", {{"data_dir", dir}}));
  });
  EXPECT_THAT(e, HasSubstr("task.data_dir: " + dir +
                           " has neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte"));
  EXPECT_THAT(e, HasSubstr("train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]"));
  EXPECT_THAT(e, HasSubstr("https://yann.lecun.com/exdb/mnist/"));
  EXPECT_THAT(input_error([&] {
                ransim::find_task("stream_sequential_mnist")
                    ->create_episodes(task_params("stream_sequential_mnist", {{"data_dir", dir + "/none"}}));
              }),
              HasSubstr(dir + "/none has neither train-images-idx3-ubyte.gz"));
}

TEST(StreamSequentialMnist, ColumnsThenTriggerFromThePooledShuffledImages) {
  // generate_sequential_mnist: X transposed (token c = column c), / 255, a 29th channel that
  // is 1 at token 28 only, token 29 silent; the class is read after token 29.
  auto task = ransim::find_task("stream_sequential_mnist")
                  ->create_episodes(task_params("stream_sequential_mnist", {{"data_dir", mnist_dir()},
                                                                            {"train", std::int64_t{10}},
                                                                            {"validation", std::int64_t{2}},
                                                                            {"test", std::int64_t{7}}}));
  ASSERT_EQ(task->length, 3u + 2u);  // 3 columns, trigger, silent
  ASSERT_EQ(task->input_dim, 4u + 1u);
  EXPECT_EQ(task->points, (std::vector<std::vector<std::size_t>>{{4}}));
  EXPECT_EQ(task->metric, ransim::Metric::ErrorRate);
  // Every image of the pool (12 + 5) is named by its first pixel g * 7 / 255.
  std::set<std::size_t> seen;
  for (Split split : {Split::Train, Split::Test}) {
    const std::size_t n = split == Split::Train ? 10 : 7;
    const EpisodeBatch b = task->episodes(split, 0, n, 42);
    for (std::size_t e = 0; e < n; ++e) {
      const std::size_t g = static_cast<std::size_t>(std::lround(b.input[e * 5] * 255)) / 7;
      EXPECT_TRUE(seen.insert(g).second) << "image " << g << " drawn twice";
      for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(b.input[(c * n + e) * 5 + r], pixel(g, r, c));
      for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(b.input[(k * n + e) * 5 + 4], k == 3 ? 1.0 : 0.0);
      for (std::size_t r = 0; r < 4; ++r) EXPECT_EQ(b.input[(4 * n + e) * 5 + r], 0.0);
      EXPECT_EQ(argmax(&b.target[e * 10], 10), g % 10);
    }
  }
  EXPECT_EQ(seen.size(), 17u);  // train and test disjoint, all 17 images used
  // Another seed, another order.
  EXPECT_NE(task->episodes(Split::Train, 0, 10, 43).input, task->episodes(Split::Train, 0, 10, 42).input);
}

// ---------------------------------------------------------------------------------------
// Japanese Vowels
// ---------------------------------------------------------------------------------------

// ae.train / ae.test in the UCI layout: utterance j of speaker s has 7 + (j * 5 + s) % 23
// frames; coefficient i of a frame is sin(1.3 s + 0.7 i) + 0.3 * noise (a fixed LCG), so the
// speakers are separable from one frame.
std::string write_vowels() {
  const std::string dir = ransim::test::test_dir();
  std::uint64_t lcg = 12345;
  auto noise = [&] {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(lcg >> 11) / double(1ULL << 53) - 0.5;
  };
  auto write = [&](const std::string& name, const std::vector<std::size_t>& blocks) {
    std::ofstream f(dir + "/" + name);
    for (std::size_t s = 0; s < blocks.size(); ++s)
      for (std::size_t j = 0; j < blocks[s]; ++j) {
        for (std::size_t k = 0; k < 7 + (j * 5 + s) % 23; ++k) {
          for (std::size_t i = 0; i < 12; ++i) f << std::sin(1.3 * s + 0.7 * i) + 0.3 * noise() << ' ';
          f << '\n';
        }
        f << '\n';
      }
  };
  write("ae.train", ransim::japanese_vowels_train_blocks());
  write("ae.test", ransim::japanese_vowels_test_blocks());
  return dir;
}

TEST(JapaneseVowelsTask, VariableLengthEpisodesReadAtTheirLastToken) {
  const std::string dir = write_vowels();
  auto task = ransim::find_task("japanese_vowels")
                  ->create_episodes(task_params("japanese_vowels", {{"data_dir", dir}}));
  EXPECT_EQ(task->length, 29u);
  EXPECT_EQ(task->input_dim, 12u);
  EXPECT_EQ(task->target_dim, 9u);
  const EpisodeBatch b = task->episodes(Split::Test, 29, 4, 0);  // test utterances 29, 30 (speaker 0), 31, 32
  ASSERT_EQ(b.lengths.size(), 4u);
  for (std::size_t e = 0; e < 4; ++e) {
    const std::size_t j = 29 + e, s = j < 31 ? 0 : 1, in_speaker = j < 31 ? j : j - 31;
    EXPECT_EQ(b.lengths[e], 7 + (in_speaker * 5 + s) % 23);
    EXPECT_EQ(b.tokens[e], b.lengths[e] - 1);
    EXPECT_EQ(argmax(&b.target[e * 9], 9), s);
    for (std::size_t k = b.lengths[e]; k < 29; ++k)
      for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(b.input[(k * 4 + e) * 12 + i], 0.0);  // padding
  }
  // Training episodes: the file's 270 utterances in an order drawn from the seed; the 54 held
  // out for validation cover several speakers (the file order would give speaker 8 alone).
  const EpisodeBatch tr = task->episodes(Split::Train, 216, 54, 3);
  std::set<std::size_t> speakers;
  for (std::size_t e = 0; e < 54; ++e) speakers.insert(argmax(&tr.target[e * 9], 9));
  EXPECT_GT(speakers.size(), 5u);
  EXPECT_THAT(input_error([&] {
                ransim::find_task("japanese_vowels")
                    ->create_episodes(task_params("japanese_vowels", {{"data_dir", dir + "/nowhere"}}));
              }),
              HasSubstr("task.data_dir: " + dir +
                        "/nowhere has no ae.train; expected the UCI Japanese Vowels "
                        "files ae.train and ae.test there (get them from https://archive.ics.uci.edu/"));
}

ransim::RunResult run_vowels(const std::string& dir, int lanes, const std::string& out) {
  const std::string text = "seed = 5\n[simulation]\nlanes = " + std::to_string(lanes) +
                           "\n[task]\nkind = \"japanese_vowels\"\ndata_dir = \"" + dir +
                           "\"\nvalidation = 54\n"
                           "[population.res]\nkind = \"leaky\"\nsize = 40\ntau = 1.5\n"
                           "[[projection]]\nfrom = \"res\"\nto = \"res\"\nspectral_radius = 0.9\n"
                           "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n"
                           "[readout]\nridge = 1e-4\n";
  ransim::RunOptions opts;
  opts.out = out;
  return ransim::run(ransim::parse_scenario(text, "<vowels>"), opts);
}

TEST(JapaneseVowelsTask, PaddingChangesNoOutput) {
  // One lane runs every utterance alone, to its own last token; 64 lanes pad the shorter ones
  // to the batch's longest. The readout outputs of all 370 test utterances must agree (only the
  // summation order of the ridge statistics differs between the two).
  const std::string dir = write_vowels();
  const std::string one_h5 = ransim::test::tmp_path("one.h5"), many_h5 = ransim::test::tmp_path("many.h5");
  const ransim::RunResult one = run_vowels(dir, 1, one_h5), many = run_vowels(dir, 64, many_h5);
  ASSERT_EQ(one.status, ransim::RunStatus::Complete) << one.message;
  ASSERT_EQ(many.status, ransim::RunStatus::Complete) << many.message;
  std::size_t tokens = 0;  // the utterances' own frames, without padding
  for (std::size_t s = 0; s < 9; ++s) {
    for (std::size_t j = 0; j < 30; ++j) tokens += 7 + (j * 5 + s) % 23;
    for (std::size_t j = 0; j < ransim::japanese_vowels_test_blocks()[s]; ++j) tokens += 7 + (j * 5 + s) % 23;
  }
  EXPECT_EQ(one.tokens, tokens);
  EXPECT_EQ(many.tokens, tokens);
  namespace a = ransim::layout::analysis;
  const ransim::Array y1 = ransim::read_hdf5_array(one_h5, a::kTestOutput),
                      y64 = ransim::read_hdf5_array(many_h5, a::kTestOutput);
  EXPECT_EQ(y1.shape, (std::vector<std::size_t>{370, 9}));
  EXPECT_LT(ransim::test::rel_dev(y64.values, y1.values), 1e-8);
  EXPECT_DOUBLE_EQ(one.metrics.at("accuracy_test"), many.metrics.at("accuracy_test"));
  EXPECT_DOUBLE_EQ(one.metrics.at("accuracy_validation"), many.metrics.at("accuracy_validation"));
  // Speakers 1.3 rad apart in every coefficient, noise 0.3 wide: far above chance (1/9).
  EXPECT_GT(one.metrics.at("accuracy_test"), 0.9);
}

// `ransim info` lists every task's keys from its registry entry: the new tasks are there, each
// with the keys docs/tasks.md names.
TEST(DataTasks, RegisteredWithTheirKeys) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected{
      {"mnist", {"mode", "snapshots", "data_dir", "train", "validation", "test"}},
      {"stream_sequential_mnist", {"data_dir", "train", "validation", "test"}},
      {"japanese_vowels", {"data_dir", "train", "validation", "test"}},
      {"file",
       {"input", "input_dataset", "input_columns", "target", "target_dataset", "target_columns", "metric",
        "start", "warmup", "train", "validation", "test"}},
      {"file_episodes",
       {"input", "input_dataset", "target", "target_dataset", "read", "metric", "start", "train",
        "validation", "test"}},
  };
  for (const auto& [kind, keys] : expected) {
    const ransim::TaskInfo* t = ransim::find_task(kind);
    ASSERT_NE(t, nullptr) << kind;
    EXPECT_EQ(t->episodic(), kind != "file") << kind;
    for (const auto& key : keys)
      EXPECT_TRUE(
          std::any_of(t->params.begin(), t->params.end(), [&](const auto& s) { return s.name == key; }))
          << kind << "." << key;
  }
}

}  // namespace
