// InputError (a bad scenario, key, value or file) and RunError (a run that could not finish)
// as Python exceptions carrying the C++ message. InputError is a ValueError and RunError a
// RuntimeError, so code that catches the built-in kinds keeps working.
#include "ransim/error.hpp"

#include "bindings.hpp"

namespace ransim::python {

void bind_errors(py::module_& m) {
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<RunError>(m, "RunError", PyExc_RuntimeError);
}

}  // namespace ransim::python
