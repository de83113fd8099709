// The Japanese Vowels reader (ae.train / ae.test): the small files shipped beside this test
// (tests/tasks/datasets/japanese_vowels/, written so that frame f of utterance j holds
// j + f / 10 + i / 100 in column i) read back value for value, and every malformation refused
// with an InputError naming the file, the line and the column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"
#include "tasks/datasets/japanese_vowels.hpp"

namespace {

using ransim::read_japanese_vowels;
using testing::HasSubstr;

std::string fixture(const std::string& name) {
  return std::string(RANSIM_SOURCE_DIR) + "/tests/tasks/datasets/japanese_vowels/" + name;
}

const std::vector<std::size_t> kBlocks{2, 1, 2};  // the fixtures' speakers: blocks 0-1, 2, 3-4

void expect_fixture_values(const ransim::Utterances& u) {
  ASSERT_EQ(u.frames.size(), 5u);
  EXPECT_EQ(u.speaker, (std::vector<std::size_t>{0, 0, 1, 2, 2}));
  EXPECT_EQ(u.longest, 4u);  // utterance j has 2 + j % 3 frames
  for (std::size_t j = 0; j < 5; ++j) {
    ASSERT_EQ(u.frames[j].size(), (2 + j % 3) * 12) << j;
    for (std::size_t f = 0; f < 2 + j % 3; ++f)
      for (std::size_t i = 0; i < 12; ++i)
        EXPECT_NEAR(u.frames[j][f * 12 + i], double(j) + f / 10.0 + i / 100.0, 1e-12)
            << j << " " << f << " " << i;
  }
}

TEST(JapaneseVowels, ReadsBlocksAndSpeakers) {
  expect_fixture_values(read_japanese_vowels(fixture("three_speakers.txt"), kBlocks));
}

TEST(JapaneseVowels, CrlfRunsOfBlankLinesAndNoFinalNewline) {
  expect_fixture_values(read_japanese_vowels(fixture("crlf_blank_runs.txt"), kBlocks));
}

TEST(JapaneseVowels, TheUciSpeakerCounts) {
  // The UCI description: 30 blocks per speaker in ae.train, 31 35 88 44 29 24 40 50 29 in ae.test.
  EXPECT_EQ(ransim::japanese_vowels_train_blocks(), std::vector<std::size_t>(9, 30));
  std::size_t test = 0;
  for (std::size_t c : ransim::japanese_vowels_test_blocks()) test += c;
  EXPECT_EQ(test, 370u);
}

TEST(JapaneseVowels, MalformedFilesAreNamedWithLineAndColumn) {
  using ransim::test::input_error;
  const std::string cols = fixture("eleven_columns.txt"), nan = fixture("not_a_number.txt");
  EXPECT_THAT(input_error([&] { read_japanese_vowels(cols, kBlocks); }),
              HasSubstr(cols + ":5:44: found 11 numbers, expected 12"));
  EXPECT_THAT(input_error([&] { read_japanese_vowels(nan, kBlocks); }),
              HasSubstr(nan + ":8:19: '7.02x' is not a number"));
  const std::string ok = fixture("three_speakers.txt");
  EXPECT_THAT(
      input_error([&] {
        read_japanese_vowels(ok, {30, 30});
      }),
      HasSubstr(ok +
                ": 5 blocks (utterances separated by blank lines), expected 60 (blocks per speaker: 30 30)"));
  EXPECT_THAT(input_error([&] { read_japanese_vowels(fixture("missing.txt"), kBlocks); }),
              HasSubstr("missing.txt: cannot open"));
  const std::string thirteen =
      ransim::test::write_file(ransim::test::tmp_path("thirteen"), "1 2 3 4 5 6 7 8 9 10 11 12 13\n");
  EXPECT_THAT(input_error([&] { read_japanese_vowels(thirteen, {1}); }),
              HasSubstr(thirteen + ":1:28: more than 12 numbers on a line"));
}

}  // namespace
