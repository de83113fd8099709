// Reading whole datasets from HDF5 files (weights trained elsewhere, recordings), on the
// HDF5 C API. Every failure is an InputError "FILE: dataset 'NAME': reason".
#include "ransim/hdf5_read.hpp"

#include <hdf5.h>

#include <filesystem>
#include <string>
#include <utility>

#include "ransim/error.hpp"
#include "ransim/weights.hpp"  // shape_text

namespace ransim {

namespace {

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id(hid_t id, Closer close) : id_(id), close_(close) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

}  // namespace

Array read_hdf5_array(const std::string& file, const std::string& dataset) {
  // Errors are reported through our exceptions, not printed by the library.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  auto fail = [&](const std::string& reason) -> InputError {
    return InputError(file + ": dataset '" + dataset + "': " + reason);
  };

  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw fail("cannot open the file: no such file");
  if (std::filesystem::is_directory(file, ec)) throw fail("cannot open the file: it is a directory");
  if (H5Fis_hdf5(file.c_str()) <= 0) throw fail("cannot open the file: not an HDF5 file");
  const Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.valid()) throw fail("cannot open the file (unreadable or locked)");

  // Walk the path one link at a time: H5Lexists fails (rather than saying no) when an
  // intermediate group is missing.
  if (dataset.empty()) throw fail("no dataset name given");
  std::string prefix;
  std::size_t start = dataset[0] == '/' ? 1 : 0;
  if (start == 1) prefix = "/";
  while (start <= dataset.size()) {
    std::size_t end = dataset.find('/', start);
    if (end == std::string::npos) end = dataset.size();
    if (end > start) {
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      prefix.append(dataset, start, end - start);
      if (H5Lexists(f.get(), prefix.c_str(), H5P_DEFAULT) <= 0)
        throw fail(end == dataset.size() ? "no such dataset in the file"
                                         : "no such dataset in the file (no group '" + prefix + "')");
    }
    start = end + 1;
  }
  // H5Oopen + H5Iget_type rather than H5Oget_info, whose signature changed in HDF5 1.12.
  const Id obj(H5Oopen(f.get(), dataset.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.valid()) throw fail("no such dataset in the file (a dangling link?)");
  if (H5Iget_type(obj.get()) != H5I_DATASET) throw fail("is not a dataset (a group or a named type)");

  const Id d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) throw fail("cannot open the dataset");
  const Id type(H5Dget_type(d.get()), H5Tclose);
  if (!type.valid()) throw fail("cannot read the datatype");
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
    const char* what = cls == H5T_STRING     ? "strings"
                       : cls == H5T_COMPOUND ? "a compound type"
                       : cls == H5T_ENUM     ? "an enumeration"
                       : cls == H5T_ARRAY    ? "an array type"
                                             : "a non-numeric type";
    throw fail(std::string("expected numbers (integer or floating point), found ") + what);
  }

  const Id space(H5Dget_space(d.get()), H5Sclose);
  if (!space.valid()) throw fail("cannot read the dataspace");
  const H5S_class_t sclass = H5Sget_simple_extent_type(space.get());
  if (sclass == H5S_NULL) throw fail("has no data (null dataspace)");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw fail("cannot read the dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    throw fail("cannot read the dataspace");

  Array a;
  std::size_t n = 1;
  for (hsize_t v : dims) {
    a.shape.push_back(static_cast<std::size_t>(v));
    n *= static_cast<std::size_t>(v);
  }
  a.values.resize(n);
  if (n > 0 &&
      H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
    throw fail("cannot read " + shape_text(a.shape) + " values as double");
  return a;
}

}  // namespace ransim
