#pragma once
// What a file offered to the GUI is, before it is opened: a scenario the GUI can run, a
// scenario of an episode task (ransim run / ransim compare run it), a compare config, a
// file that is not TOML text at all, or a TOML file that does not load (docs/gui.md).
// Threading: any thread (reads the file, no Qt widgets).
#include <string>

namespace ransim::gui {

enum class ScenarioFileKind { Runnable, Episodes, Compare, NotToml, Invalid };

struct ScenarioFileInfo {
  ScenarioFileKind kind = ScenarioFileKind::Invalid;
  std::string message;  // why it cannot be run here (empty for Runnable)
};

// True when the first 4 KiB hold a NUL byte or bytes that are not UTF-8: not a text file.
bool looks_binary(const std::string& path);

// Loads the file as a scenario; one that does not load is a compare config when it has
// [model.NAME] tables. Says which it is.
ScenarioFileInfo classify_scenario_file(const std::string& path);

}  // namespace ransim::gui
