#pragma once
// Reading the UCI Japanese Vowels files ae.train and ae.test (Kudo, Toyama and Shimbo 1999;
// https://archive.ics.uci.edu/dataset/128/japanese+vowels). Each line is one analysis frame,
// 12 LPC cepstrum coefficients separated by spaces; the frames of one utterance of /ae/ (7 to
// 29 of them) form a block, and blocks are separated by blank lines. Speakers are runs of
// consecutive blocks: 30 each in ae.train, 31 35 88 44 29 24 40 50 29 in ae.test.
#include <cstddef>
#include <string>
#include <vector>

namespace ransim {

inline constexpr std::size_t kJapaneseVowelsCoefficients = 12;
// Blocks per speaker, in file order.
std::vector<std::size_t> japanese_vowels_train_blocks();  // 9 x 30 = 270
std::vector<std::size_t> japanese_vowels_test_blocks();   // 31 35 88 44 29 24 40 50 29 = 370

struct Utterances {
  // Utterance i: frames[i] holds its frames x 12 coefficients, row-major; speaker[i] is
  // 0-based.
  std::vector<std::vector<double>> frames;
  std::vector<std::size_t> speaker;
  std::size_t longest = 0;  // frames of the longest utterance
};

// Reads one file whose speakers own `blocks_per_speaker` consecutive blocks. Throws
// InputError naming PATH:LINE:COLUMN for a field that is not a number or a line without 12 of
// them, and PATH for a file that cannot be read or whose block count is not the sum of
// `blocks_per_speaker` (saying both counts).
Utterances read_japanese_vowels(const std::string& path, const std::vector<std::size_t>& blocks_per_speaker);

}  // namespace ransim
