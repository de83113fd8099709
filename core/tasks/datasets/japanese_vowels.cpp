// Reading ae.train / ae.test (japanese_vowels.hpp): line by line, a blank line (or the end of
// the file) closing the current block.
#include "tasks/datasets/japanese_vowels.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <numeric>

#include "ransim/error.hpp"

namespace ransim {

std::vector<std::size_t> japanese_vowels_train_blocks() { return std::vector<std::size_t>(9, 30); }
std::vector<std::size_t> japanese_vowels_test_blocks() { return {31, 35, 88, 44, 29, 24, 40, 50, 29}; }

namespace {

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// The 12 numbers of one frame line appended to `out`.
void parse_frame(const std::string& path, std::size_t line_no, const std::string& line,
                 std::vector<double>& out) {
  std::size_t pos = 0, fields = 0;
  const auto where = [&](std::size_t col) {
    return path + ":" + std::to_string(line_no) + ":" + std::to_string(col + 1) + ": ";
  };
  for (;;) {
    pos = line.find_first_not_of(" \t\r", pos);
    if (pos == std::string::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t\r", pos), line.size());
    double v = 0;
    const char* first = line.data() + pos;
    const auto [ptr, ec] = std::from_chars(first, line.data() + end, v);
    if (ec != std::errc() || ptr != line.data() + end)
      throw InputError(where(pos) + "'" + line.substr(pos, end - pos) + "' is not a number");
    if (++fields > kJapaneseVowelsCoefficients)
      throw InputError(where(pos) + "more than " + std::to_string(kJapaneseVowelsCoefficients) +
                       " numbers on a line (one frame: 12 LPC cepstrum coefficients)");
    out.push_back(v);
    pos = end;
  }
  if (fields != kJapaneseVowelsCoefficients)
    throw InputError(where(line.size()) + "found " + std::to_string(fields) + " numbers, expected " +
                     std::to_string(kJapaneseVowelsCoefficients) +
                     " (one frame: 12 LPC cepstrum coefficients)");
}

}  // namespace

Utterances read_japanese_vowels(const std::string& path, const std::vector<std::size_t>& blocks_per_speaker) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  Utterances u;
  std::vector<double> block;
  const auto close_block = [&] {
    if (block.empty()) return;
    u.longest = std::max(u.longest, block.size() / kJapaneseVowelsCoefficients);
    u.frames.push_back(std::move(block));
    block.clear();
  };
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (blank(line)) close_block();
    else parse_frame(path, line_no, line, block);
  }
  if (in.bad()) throw InputError(path + ": cannot read: " + std::strerror(errno));
  close_block();
  const std::size_t expected =
      std::accumulate(blocks_per_speaker.begin(), blocks_per_speaker.end(), std::size_t{0});
  if (u.frames.size() != expected) {
    std::string counts;
    for (std::size_t c : blocks_per_speaker) {
      if (!counts.empty()) counts += ' ';
      counts += std::to_string(c);
    }
    throw InputError(path + ": " + std::to_string(u.frames.size()) +
                     " blocks (utterances separated by blank lines), expected " + std::to_string(expected) +
                     " (blocks per speaker: " + counts + ")");
  }
  for (std::size_t s = 0; s < blocks_per_speaker.size(); ++s)
    u.speaker.insert(u.speaker.end(), blocks_per_speaker[s], s);
  return u;
}

}  // namespace ransim
