#include "scenario/toml_nesting.hpp"

#include "ransim/error.hpp"

namespace ransim {

namespace {

// Walks the text outside strings and comments, counting the dots of the current run of key
// characters and the open brackets.
class NestingScanner {
 public:
  NestingScanner(std::string_view text, const std::string& where, bool with_position)
      : text_(text), where_(where), with_position_(with_position) {}

  void scan() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') advance();
      } else if (c == '"' || c == '\'') {
        skip_string(c);  // a quoted key part: the dotted run goes on
      } else if (c == '.') {
        if (dots_ == 0) run_line_ = line_, run_col_ = col_;
        if (++dots_ + 1 > kMaxTomlNesting)
          fail(run_line_, run_col_,
               "a dotted key of more than " + std::to_string(kMaxTomlNesting) + " parts");
        advance();
      } else if (c == '[' || c == '{') {
        if (++depth_ > kMaxTomlNesting)
          fail(line_, col_, "more than " + std::to_string(kMaxTomlNesting) + " nested arrays or tables");
        dots_ = 0;
        advance();
      } else {
        if (c == ']' || c == '}') depth_ -= depth_ > 0;
        if (!is_key_char(c) && c != ' ' && c != '\t') dots_ = 0;
        advance();
      }
    }
  }

 private:
  static bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }

  void advance() {
    if (text_[i_] == '\n') ++line_, col_ = 1;
    else ++col_;
    ++i_;
  }

  // A basic ("...", with escapes) or literal ('...') string, single- or multi-line; an
  // unterminated one is the parser's to report.
  void skip_string(char quote) {
    const bool triple = text_.substr(i_, 3) == std::string(3, quote);
    for (int k = 0; k < (triple ? 3 : 1); ++k) advance();
    while (i_ < text_.size()) {
      if (quote == '"' && text_[i_] == '\\') {
        advance();
        if (i_ < text_.size()) advance();
        continue;
      }
      if (!triple && text_[i_] == '\n') return;
      if (text_[i_] == quote && (!triple || text_.substr(i_, 3) == std::string(3, quote))) {
        for (int k = 0; k < (triple ? 3 : 1); ++k) advance();
        return;
      }
      advance();
    }
  }

  [[noreturn]] void fail(std::size_t line, std::size_t col, const std::string& what) const {
    const std::string at =
        with_position_ ? where_ + ":" + std::to_string(line) + ":" + std::to_string(col) : where_;
    throw InputError(at + ": " + what + " (the nesting limit of ransim's TOML reader is " +
                     std::to_string(kMaxTomlNesting) + ")");
  }

  std::string_view text_;
  const std::string& where_;
  bool with_position_;
  std::size_t i_ = 0, line_ = 1, col_ = 1;
  std::size_t dots_ = 0, depth_ = 0, run_line_ = 1, run_col_ = 1;
};

}  // namespace

void check_toml_nesting(std::string_view text, const std::string& where, bool with_position) {
  NestingScanner(text, where, with_position).scan();
}

std::string shorten(std::string_view s, std::size_t keep) {
  if (s.size() <= keep) return std::string(s);
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) --keep;  // a whole UTF-8 character
  return std::string(s.substr(0, keep)) + "... (" + std::to_string(s.size()) + " characters)";
}

}  // namespace ransim
