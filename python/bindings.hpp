#pragma once
// The Python module `ransim` (docs/python.md). One file per concept, each adding its part to
// the module through its bind_* function; module.cpp calls them in order.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // in every file: pybind11 needs the same conversions in all of them

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace ransim::python {

namespace py = pybind11;

void bind_errors(py::module_& m);   // errors.cpp: InputError, RunError
void bind_plugins(py::module_& m);  // plugins.cpp: the bundled plugins at import, load_plugins()
void bind_run(py::module_& m);      // run.cpp: run()
void bind_analysis(py::module_& m);  // analysis.cpp: ransim.analysis, analyze()
void bind_session(py::module_& m);  // session.cpp: Session
void bind_compare(py::module_& m);  // compare.cpp: compare()

// errors.cpp. A count argument (tokens, heads, a segment's length, a seed) as std::size_t.
// pybind11 refuses a negative int for std::size_t with a bare "incompatible function
// arguments", so counts are bound as int64 and checked here: InputError "WHAT must be >= 0".
std::size_t count(std::int64_t value, const char* what);

// scenario.cpp. A scenario given as a path, a TOML string or a dict, with overrides as
// `--set` gives them: `sets` a dict of dotted keys to values (Python values or TOML text).
// Throws InputError naming the key.
Scenario scenario_from(py::handle scenario, py::handle sets);
// The overrides as `--set` strings ("key=value", the value as TOML).
std::vector<std::string> set_strings(py::handle sets);

// arrays.cpp. A numpy array that takes over `values` (no copy), shaped `shape` (C order).
py::array_t<double> owned_array(std::vector<double>&& values, const std::vector<std::size_t>& shape);

// interrupt.cpp. While a guard lives (around C++ work that runs with the GIL released), Ctrl-C
// (SIGINT) sets flag() instead of reaching Python's handler, which could not run before the
// work returns. raise_if_requested() (GIL held) puts the handler back and hands a caught
// signal to Python: KeyboardInterrupt, or whatever the program's own SIGINT handler does.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard() { restore(); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  const std::atomic<int>* flag() const;
  bool requested() const { return flag()->load() != 0; }
  void raise_if_requested();

 private:
  void restore();
  bool active_ = false;
};

}  // namespace ransim::python
