#pragma once
// `ransim analyze FILE.h5`: the options, and the outputs of a RecordingAnalysis (a markdown
// report, JSON, one figure as PNG and SVG drawn with the comparison charts' line plots).
#include <string>
#include <vector>

#include "analysis/recording_analysis.hpp"

namespace ransim::analysis {

// Parses the words after `ransim analyze`; InputError naming the flag for anything it does
// not know or a value it cannot take. The default prefix is FILE's name without .h5 +
// "_analysis", in the current directory.
AnalyzeOptions parse_analyze_options(const std::vector<std::string>& args);

// The report; `figure` is the PNG it shows (empty: none).
std::string analysis_markdown(const RecordingAnalysis& r, const std::string& figure);
std::string analysis_json(const RecordingAnalysis& r, const std::vector<std::string>& written);
// Draws the panels the analysis has data for; false (and no file) if it has none.
bool write_analysis_figure(const RecordingAnalysis& r, const std::string& png, const std::string& svg);

// Analyses options.file, writes PREFIX.md, PREFIX.json and (if there is anything to draw)
// PREFIX.png and PREFIX.svg; returns what to print: the markdown, the JSON with --json,
// nothing with --quiet.
std::string run_analyze(const AnalyzeOptions& options);

}  // namespace ransim::analysis
