#pragma once
// The ransim-gui program: command line, plugin loading, and the three ways to run it
// (interactive, --screenshot, --benchmark).
#include <QStringList>

#include <optional>
#include <string>
#include <vector>

namespace ransim::gui {

struct Options {
  QString file;                     // scenario (.toml) or recording (.h5)
  QStringList sets;                 // --set key=value
  QStringList plugin_dirs;          // --plugin-dir
  QString screenshot;               // --screenshot out.png
  std::size_t tokens = 300;         // --tokens N (screenshot)
  std::size_t benchmark = 0;        // --benchmark N
  int repeat = 3;                   // --repeat R (benchmark)
  int width = 1600, height = 1000;  // --size WxH
  double frame_rate = -1;           // --frame-rate HZ (default: 60; screenshot: every token)
  QStringList raise;                // --raise DOCK (screenshot): docks brought to the front
  QString compare;                  // --compare CONFIG (screenshot): run in the Compare panel first
  bool help = false;
};

// Parses the arguments after the program name; on error returns the message.
std::optional<QString> parse_options(const QStringList& args, Options& o);
QString usage();

// Loads every plugin in the search path one by one, so that one bad plugin does not keep
// the others out; returns one message per failure (file, reason, directories searched).
QStringList load_plugins(const QStringList& explicit_dirs);

int run_app(int argc, char** argv);

}  // namespace ransim::gui
