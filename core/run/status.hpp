#pragma once
// How a run ended (or that it is still going). One spelling per status, used for the
// recording's root attribute `status`, the CLI's JSON and its messages.
#include <optional>
#include <ostream>
#include <string_view>

namespace ransim {

enum class RunStatus {
  Running,      // not ended yet; a recording killed mid-run keeps this
  Complete,     // every token (or episode) done
  Interrupted,  // SIGINT / SIGTERM
  Diverged,     // a state became non-finite
  Saturated,    // a population sat at its bound (engine/health.hpp)
  Failed,       // stopped by an error
  Partial,      // a recording stopped (from the GUI) before the run ended
};

const char* to_string(RunStatus s);
// The status a name spells (to_string's inverse); nullopt for any other text.
std::optional<RunStatus> parse_run_status(std::string_view name);

inline std::ostream& operator<<(std::ostream& out, RunStatus s) { return out << to_string(s); }

}  // namespace ransim
