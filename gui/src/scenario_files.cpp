#include "scenario_files.hpp"

#include <fstream>
#include <regex>
#include <vector>

#include "scenario/scenario.hpp"
#include "tasks/tasks.hpp"

namespace ransim::gui {

namespace {
// Length of the UTF-8 sequence that starts with byte c (0: not a valid start byte).
int utf8_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}
}  // namespace

bool looks_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;  // the loader reports a missing file
  std::vector<char> buf(4096);
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  const std::size_t n = static_cast<std::size_t>(in.gcount());
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(buf[i]);
    if (c == 0 || c == 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) return true;
    const int len = utf8_length(c);
    if (len == 0) return true;
    if (i + static_cast<std::size_t>(len) > n) break;  // a sequence cut by the 4 KiB window
    for (int j = 1; j < len; ++j)
      if ((static_cast<unsigned char>(buf[i + static_cast<std::size_t>(j)]) & 0xC0) != 0x80) return true;
    i += static_cast<std::size_t>(len);
  }
  return false;
}

ScenarioFileInfo classify_scenario_file(const std::string& path) {
  if (looks_binary(path))
    return {ScenarioFileKind::NotToml, path + ": not a TOML scenario (the file holds binary data)"};
  std::string scenario_error;
  try {
    const Scenario sc = load_scenario(path, {});
    if (const TaskInfo* t = find_task(sc.task_kind); t && t->episodic())
      return {ScenarioFileKind::Episodes, path + ": task '" + sc.task_kind +
                                              "' runs in episodes; `ransim run` and `ransim compare` run "
                                              "it, the GUI steps stream tasks (docs/tasks.md)"};
    return {ScenarioFileKind::Runnable, {}};
  } catch (const std::exception& e) {
    scenario_error = e.what();
  }
  // A compare config (docs/compare.md) names its networks in [model.NAME] tables, where a
  // scenario has [population.NAME] ones.
  std::ifstream in(path);
  static const std::regex model_table(R"(^\s*\[\[?\s*model\.)");
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, model_table))
      return {ScenarioFileKind::Compare,
              path + ": a compare config, not a scenario: run it with `ransim compare " + path +
                  "` (docs/compare.md)"};
  return {ScenarioFileKind::Invalid, scenario_error};
}

}  // namespace ransim::gui
