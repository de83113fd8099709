// IDX reader tests: small fixtures written here (plain and gzip, via zlib's gzwrite), every
// refusal checked for an InputError naming the file and the problem, and the Fashion-MNIST
// test split when the dataset-fashion-mnist package is installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "ransim/error.hpp"
#include "support/test_support.hpp"
#include "tasks/datasets/idx.hpp"
#include "tasks/datasets/idx_bytes.hpp"
#include "tasks/tasks.hpp"

#include <sys/stat.h>

using ransim::read_idx;
using ransim::read_idx_images;
using testing::AllOf;
using testing::ElementsAre;
using testing::HasSubstr;

namespace {

using ransim::test::Bytes;
using ransim::test::idx_bytes;

Bytes iota_bytes(std::size_t n, std::uint8_t first = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

// The message of the InputError `f` throws; a test failure (and "") when it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ransim::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

class IdxTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "ransim_idx_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_plain(const std::string& name, const Bytes& b) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return path;
  }
  std::string write_gz(const std::string& name, const Bytes& b) const {
    const std::string path = dir_ + "/" + name;
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
    EXPECT_EQ(gzclose(f), Z_OK);
    return path;
  }
  // Both forms of the same content; the reader must not care which it gets.
  std::array<std::string, 2> write_both(const std::string& name, const Bytes& b) const {
    return {write_plain(name, b), write_gz(name + ".gz", b)};
  }

  std::string dir_;
};

TEST_F(IdxTest, RoundTripsA3DArrayPlainAndGzip) {
  const Bytes data = iota_bytes(12, 200);  // wraps past 255: every byte value is kept as is
  for (const std::string& path : write_both("images", idx_bytes({3, 2, 2}, data))) {
    SCOPED_TRACE(path);
    const ransim::IdxArray a = read_idx(path);
    EXPECT_THAT(a.shape, ElementsAre(3u, 2u, 2u));
    EXPECT_EQ(a.data, data);
  }
}

TEST_F(IdxTest, RoundTripsA1DLabelArrayPlainAndGzip) {
  const Bytes labels = {7, 0, 9, 3, 3};
  for (const std::string& path : write_both("labels", idx_bytes({5}, labels))) {
    SCOPED_TRACE(path);
    const ransim::IdxArray a = read_idx(path);
    EXPECT_THAT(a.shape, ElementsAre(5u));
    EXPECT_EQ(a.data, labels);
  }
}

TEST_F(IdxTest, ReadsImagesWithTheirLabels) {
  const auto images = write_both("images", idx_bytes({3, 2, 2}, iota_bytes(12)));
  const auto labels = write_both("labels", idx_bytes({3}, {4, 0, 9}));
  for (int i = 0; i < 2; ++i) {
    const ransim::LabelledImages s = read_idx_images(images[i], labels[1 - i]);
    EXPECT_EQ(s.count, 3u);
    EXPECT_EQ(s.rows, 2u);
    EXPECT_EQ(s.cols, 2u);
    EXPECT_EQ(s.pixels, iota_bytes(12));
    EXPECT_THAT(s.labels, ElementsAre(4, 0, 9));
  }
}

TEST_F(IdxTest, RefusesAWrongMagic) {
  for (const std::string& path : write_both("bad_magic", {0x00, 0x01, 0x08, 0x01, 0, 0, 0, 1, 5})) {
    EXPECT_THAT(error_of([&] { read_idx(path); }),
                AllOf(HasSubstr(path), HasSubstr("not an IDX file"), HasSubstr("magic bytes 00 01 08 01")));
  }
  const std::string tiny = write_plain("tiny", {0, 0});
  EXPECT_THAT(error_of([&] { read_idx(tiny); }), AllOf(HasSubstr(tiny), HasSubstr("not an IDX file")));
}

TEST_F(IdxTest, RefusesOtherTypeCodes) {
  const std::string path = write_plain("floats", idx_bytes({1}, {0, 0, 0, 0}, 0x0d));
  EXPECT_THAT(error_of([&] { read_idx(path); }),
              AllOf(HasSubstr(path), HasSubstr("unsupported IDX type code 0x0d"), HasSubstr("0x08")));
}

TEST_F(IdxTest, RefusesBadDimensions) {
  const std::string none = write_plain("rank0", idx_bytes({}, {}));
  EXPECT_THAT(error_of([&] { read_idx(none); }), AllOf(HasSubstr(none), HasSubstr("dimension count 0")));
  const std::string five = write_plain("rank5", idx_bytes({1, 1, 1, 1, 1}, {9}));
  EXPECT_THAT(error_of([&] { read_idx(five); }), AllOf(HasSubstr(five), HasSubstr("dimension count 5")));
  const std::string zero = write_plain("zero_dim", idx_bytes({3, 0, 2}, {}));
  EXPECT_THAT(error_of([&] { read_idx(zero); }), AllOf(HasSubstr(zero), HasSubstr("dimension 1 is 0")));
  const std::string huge = write_plain("huge", idx_bytes({65536, 65536, 2}, {}));
  EXPECT_THAT(error_of([&] { read_idx(huge); }),
              AllOf(HasSubstr(huge), HasSubstr("65536 x 65536 x 2"), HasSubstr("exceeds 2^32")));
  const std::string short_header = write_plain("short_header", {0, 0, 8, 3, 0, 0, 0, 1, 0, 0});
  EXPECT_THAT(error_of([&] { read_idx(short_header); }),
              AllOf(HasSubstr(short_header), HasSubstr("truncated header")));
}

TEST_F(IdxTest, RefusesTruncatedData) {
  for (const std::string& path : write_both("truncated", idx_bytes({3, 2, 2}, iota_bytes(10)))) {
    EXPECT_THAT(
        error_of([&] { read_idx(path); }),
        AllOf(HasSubstr(path), HasSubstr("truncated"), HasSubstr("3 x 2 x 2 = 12 bytes of data, found 10")));
  }
}

TEST_F(IdxTest, RefusesTrailingData) {
  for (const std::string& path : write_both("trailing", idx_bytes({4}, iota_bytes(7)))) {
    EXPECT_THAT(error_of([&] { read_idx(path); }),
                AllOf(HasSubstr(path), HasSubstr("trailing data"), HasSubstr("3 extra bytes")));
  }
}

TEST_F(IdxTest, RefusesATruncatedGzipStream) {
  // Cut once inside the trailer and once inside the deflate data of a larger file.
  const Bytes big = idx_bytes({100, 28, 28}, iota_bytes(100 * 28 * 28));
  for (const auto& [name, content, cut] :
       {std::tuple{"small.gz", idx_bytes({3, 2, 2}, iota_bytes(12)), 5}, std::tuple{"big.gz", big, -1}}) {
    const std::string path = write_gz(name, content);
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, cut > 0 ? size - static_cast<unsigned>(cut) : size / 2);
    EXPECT_THAT(error_of([&] { read_idx(path); }),
                AllOf(HasSubstr(path), HasSubstr("corrupt gzip stream"), HasSubstr("truncated")));
  }
}

TEST_F(IdxTest, RefusesACorruptGzipStream) {
  const std::string path = write_gz("corrupt.gz", idx_bytes({100, 28, 28}, iota_bytes(100 * 28 * 28)));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.write("\xff\xff\xff\xff", 4);
  }
  EXPECT_THAT(error_of([&] { read_idx(path); }), AllOf(HasSubstr(path), HasSubstr("corrupt gzip stream")));
}

TEST_F(IdxTest, ReadsConcatenatedGzipMembersButNotTrailingGarbage) {
  const Bytes whole = idx_bytes({3, 2, 2}, iota_bytes(12));
  const std::string head = write_gz("head.gz", Bytes(whole.begin(), whole.begin() + 10));
  const std::string tail = write_gz("tail.gz", Bytes(whole.begin() + 10, whole.end()));
  std::ofstream(head, std::ios::binary | std::ios::app) << std::ifstream(tail, std::ios::binary).rdbuf();
  EXPECT_EQ(read_idx(head).data, iota_bytes(12));  // what `cat a.gz b.gz` gives; gunzip reads it too

  std::ofstream(head, std::ios::binary | std::ios::app) << "junk";
  EXPECT_THAT(error_of([&] { read_idx(head); }),
              AllOf(HasSubstr(head), HasSubstr("corrupt gzip stream"), HasSubstr("trailing garbage")));
}

TEST_F(IdxTest, RefusesAMissingFile) {
  const std::string path = dir_ + "/no_such_file.gz";
  EXPECT_THAT(error_of([&] { read_idx(path); }),
              AllOf(HasSubstr(path), HasSubstr("cannot open"), HasSubstr("No such file")));
}

TEST_F(IdxTest, RefusesImagesAndLabelsThatDoNotMatch) {
  const std::string images = write_plain("images", idx_bytes({3, 2, 2}, iota_bytes(12)));
  const std::string labels = write_gz("labels.gz", idx_bytes({4}, {1, 2, 3, 4}));
  EXPECT_THAT(error_of([&] { read_idx_images(images, labels); }),
              AllOf(HasSubstr(images), HasSubstr(labels), HasSubstr("count mismatch"), HasSubstr("3 images"),
                    HasSubstr("4 labels")));

  const std::string bad_label = write_plain("bad_label", idx_bytes({3}, {1, 10, 2}));
  EXPECT_THAT(error_of([&] { read_idx_images(images, bad_label); }),
              AllOf(HasSubstr(bad_label), HasSubstr("label 10 at index 1"), HasSubstr("class count 10")));
  // Swapped arguments: the ranks are wrong, said by the magic numbers.
  const std::string good_labels = write_plain("good_labels", idx_bytes({3}, {1, 2, 3}));
  EXPECT_EQ(error_of([&] { read_idx_images(good_labels, images); }),
            good_labels + ": magic number 00 00 08 01 says 1-D data, expected 00 00 08 03 (3-D)");
  EXPECT_EQ(error_of([&] { read_idx_images(images, images); }),
            images + ": magic number 00 00 08 03 says 3-D data, expected 00 00 08 01 (1-D)");
}

TEST(IdxFashionMnist, TestSplitHas1000ImagesPerClass) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  const std::string labels = dir + "t10k-labels-idx1-ubyte.gz", images = dir + "t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(labels))
    GTEST_SKIP() << labels << " not found (package dataset-fashion-mnist)";
  const ransim::LabelledImages s = read_idx_images(images, labels);
  EXPECT_EQ(s.count, 10000u);
  EXPECT_EQ(s.rows, 28u);
  EXPECT_EQ(s.cols, 28u);
  EXPECT_EQ(s.pixels.size(), 10000u * 28 * 28);
  std::vector<std::size_t> per_class(10, 0);
  for (std::uint8_t l : s.labels) ++per_class.at(l);
  EXPECT_EQ(per_class, std::vector<std::size_t>(10, 1000));  // the published test split is balanced
}

// Issue 23: a FIFO in data_dir blocked open() for ever. Non-regular files are refused unopened.
TEST_F(IdxTest, AFifoOrADirectoryIsRefusedWithoutOpening) {
  const std::string fifo = dir_ + "/train-images-idx3-ubyte";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { read_idx(fifo); }),
            fifo + ": cannot read an IDX file from a FIFO (named pipe) (expected a regular file)");
  EXPECT_THAT(error_of([&] { read_idx(dir_); }), HasSubstr("from a directory"));
}

// Issue 23: a small gzip file inflating to gigabytes was inflated whole before "trailing
// data" was reported. Inflation stops about a chunk (1 MiB) past the size the header gives:
// 64 MiB of zeros after a 2 x 2 array is reported as more than 4 bytes, never inflated whole.
TEST_F(IdxTest, GzipInflationStopsAtTheHeadersSize) {
  const std::string path = write_gz("bomb.gz", idx_bytes({2, 2}, Bytes(std::size_t{64} << 20, 0)));
  EXPECT_LT(std::filesystem::file_size(path), std::uintmax_t{1} << 20);  // the bomb is small
  const std::string msg = error_of([&] { read_idx(path); });
  EXPECT_THAT(
      msg, HasSubstr("trailing data after the data (header says 2 x 2 = 4 bytes of data, found more than "));
  const std::size_t found = std::stoull(msg.substr(msg.find("found more than ") + 16));
  EXPECT_GT(found, 4u);
  EXPECT_LE(found, std::size_t{2} << 20);  // at most two inflate chunks, not 64 MiB
}

// Issue 23: a changed magic number (the dimension count) was reported as "trailing data".
TEST_F(IdxTest, AChangedDimensionCountIsReportedAsTheMagicNumber) {
  Bytes images = idx_bytes({2, 2, 2}, iota_bytes(8));
  images[3] = 1;  // "1-D": the remaining header bytes would be read as data
  const std::string img = write_plain("images", images), lab = write_plain("labels", idx_bytes({2}, {0, 1}));
  EXPECT_EQ(error_of([&] { read_idx_images(img, lab); }),
            img + ": magic number 00 00 08 01 says 1-D data, expected 00 00 08 03 (3-D)");
}

// fashion_mnist's data_dir: plain files are found as well as .gz ones; an empty data_dir names
// the key; test images of another size than the training images are refused (issue 23).
TEST_F(IdxTest, FashionMnistDataDirIsCheckedWholly) {
  const ransim::TaskInfo* fm = ransim::find_task("fashion_mnist");
  auto create = [&](const std::string& dir) {
    return fm->create_episodes(ransim::test::task_params(
        "fashion_mnist", {{"data_dir", dir}, {"train", std::int64_t{2}}, {"test", std::int64_t{2}}}));
  };
  const std::string files =
      "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
      "t10k-labels-idx1-ubyte[.gz]";
  const std::string source =
      "the Debian package dataset-fashion-mnist, or https://github.com/zalandoresearch/fashion-mnist "
      "(data/fashion)";
  EXPECT_EQ(error_of([&] { create(""); }),
            "task.data_dir: empty; expected the directory with the Fashion-MNIST IDX files (" + files +
                ", gzip or plain; from " + source + ")");
  EXPECT_EQ(error_of([&] { create(dir_); }),
            "task.data_dir: " + dir_ +
                " has neither train-images-idx3-ubyte.gz nor "
                "train-images-idx3-ubyte (the Fashion-MNIST IDX files, gzip or plain: " +
                files + "; get them from " + source + ")");
  write_plain("train-images-idx3-ubyte", idx_bytes({2, 28, 28}, Bytes(2 * 784, 255)));
  write_gz("train-labels-idx1-ubyte.gz", idx_bytes({2}, {3, 4}));
  write_plain("t10k-labels-idx1-ubyte", idx_bytes({2}, {5, 6}));
  write_plain("t10k-images-idx3-ubyte", idx_bytes({2, 14, 56}, Bytes(2 * 784, 0)));
  EXPECT_EQ(
      error_of([&] { create(dir_); }),
      "task.data_dir: the test images in " + dir_ +
          " are 14 x 56 pixels, the training images 28 x 28 (both splits must have the same image size)");
  // Right-sized test images in a folder of their own (the task keeps what it read per path).
  const std::string other = dir_ + "/other";
  std::filesystem::create_directories(other);
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"})
    std::filesystem::copy_file(dir_ + "/" + f, other + "/" + f);
  write_plain("other/t10k-images-idx3-ubyte", idx_bytes({2, 28, 28}, Bytes(2 * 784, 0)));
  const auto task = create(other);  // plain and gzip files side by side
  const ransim::EpisodeBatch b = task->episodes(ransim::Split::Train, 0, 2, 0);
  EXPECT_EQ(b.input[0], 1.0);   // pixel 255 / 255
  EXPECT_EQ(b.target[3], 1.0);  // label 3 of episode 0
}

}  // namespace
