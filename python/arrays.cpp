// numpy arrays over C++ vectors: the vector moves into a capsule that the array owns, so
// values computed in C++ reach Python without a second copy.
#include "bindings.hpp"

namespace ransim::python {

py::array_t<double> owned_array(std::vector<double>&& values, const std::vector<std::size_t>& shape) {
  auto* owned = new std::vector<double>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<double>*>(p); });
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  return py::array_t<double>(dims, owned->data(), owner);
}

}  // namespace ransim::python
