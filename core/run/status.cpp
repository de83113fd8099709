#include "run/status.hpp"

namespace ransim {

namespace {

constexpr RunStatus kAll[] = {RunStatus::Running,  RunStatus::Complete,  RunStatus::Interrupted,
                              RunStatus::Diverged, RunStatus::Saturated, RunStatus::Failed,
                              RunStatus::Partial};

}  // namespace

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::Running: return "running";
    case RunStatus::Complete: return "complete";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::Diverged: return "diverged";
    case RunStatus::Saturated: return "saturated";
    case RunStatus::Failed: return "failed";
    case RunStatus::Partial: return "partial";
  }
  return "failed";
}

std::optional<RunStatus> parse_run_status(std::string_view name) {
  for (RunStatus s : kAll)
    if (name == to_string(s)) return s;
  return std::nullopt;
}

}  // namespace ransim
