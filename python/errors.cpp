// InputError (a bad scenario, key, value or file) and RunError (a run that could not finish)
// as Python exceptions carrying the C++ message. InputError is a ValueError and RunError a
// RuntimeError, so code that catches the built-in kinds keeps working. Also the check of count
// arguments.
#include <string>

#include "ransim/error.hpp"

#include "bindings.hpp"

namespace ransim::python {

std::size_t count(std::int64_t value, const char* what) {
  if (value < 0) throw InputError(std::string(what) + " must be >= 0, found " + std::to_string(value));
  return static_cast<std::size_t>(value);
}

void bind_errors(py::module_& m) {
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<RunError>(m, "RunError", PyExc_RuntimeError);
}

}  // namespace ransim::python
