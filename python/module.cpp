// The Python module `ransim`: the parts are bound by one file per concept (bindings.hpp).
#include "bindings.hpp"

PYBIND11_MODULE(ransim, m) {
  namespace rp = ransim::python;
  m.doc() = "ransim: recurrent attention networks, simulated (docs/python.md)";
  rp::bind_errors(m);
  rp::bind_plugins(m);
  rp::bind_run(m);
  rp::bind_analysis(m);
  rp::bind_session(m);
  rp::bind_compare(m);
}
