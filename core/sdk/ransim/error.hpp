#pragma once
// Two kinds of failure, mapped to the CLI's exit codes (0 ok, 1 run failed, 2 bad input).
#include <stdexcept>
#include <string>

namespace ransim {

// Bad input: a scenario, CLI flag, data file or plugin that cannot be used as given.
// The message says where (file:line:col, flag, path) and what was expected and found.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run that started from valid input but could not finish (divergence, I/O, signal).
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ransim
