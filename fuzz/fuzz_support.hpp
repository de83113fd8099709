#pragma once
// What the fuzz targets share: a scratch folder of the process's own (readers that take a
// path get the input written to a file there) and the split of an input into a TOML text
// and `--set` override lines.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ransim::fuzz {

// TMPDIR/ransim_fuzz_<pid>, created on first use and removed at exit: parallel fuzzers and
// ctest runs never share a file.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto d = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
             ("ransim_fuzz_" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the input to `name` in the scratch folder and returns its path.
inline std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// The marker line that ends the TOML text: every line after it is one `--set` override
// ("population.res.size=30"). A seed is a scenario file with the marker and overrides added.
inline constexpr std::string_view kSetMarker = "#--set\n";

struct TextWithSets {
  std::string text;
  std::vector<std::string> sets;
};

inline TextWithSets split_sets(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  TextWithSets out;
  std::size_t marker = all.substr(0, kSetMarker.size()) == kSetMarker ? 0 : std::string_view::npos;
  if (marker == std::string_view::npos) {
    const std::size_t at = all.find("\n" + std::string(kSetMarker));
    if (at != std::string_view::npos) marker = at + 1;
  }
  if (marker == std::string_view::npos) {
    out.text = all;
    return out;
  }
  out.text = all.substr(0, marker);
  std::string_view rest = all.substr(marker + kSetMarker.size());
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (!line.empty()) out.sets.emplace_back(line);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return out;
}

}  // namespace ransim::fuzz
