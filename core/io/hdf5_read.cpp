// Reading HDF5 files (weights trained elsewhere, recordings), on the HDF5 C API. Every
// failure to read an array is an InputError "FILE: dataset 'NAME': reason".
#include "ransim/hdf5_read.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "io/hdf5_file.hpp"
#include "ransim/error.hpp"
#include "ransim/weights.hpp"  // shape_text

namespace ransim {

namespace {

// Why `file` cannot be opened as HDF5, or an open handle; `fail` turns a reason into the
// caller's exception.
template <class Fail> Hdf5Handle open_read_only(const std::string& file, const Fail& fail) {
  // Errors are reported through our exceptions, not printed by the library.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  // The system's reason first (e.g. "Permission denied"): H5Fis_hdf5 would call any file it
  // cannot read "not an HDF5 file".
  struct stat st {};
  if (stat(file.c_str(), &st) != 0)
    throw fail(std::string("cannot open the file: ") +
               (errno == ENOENT ? "no such file" : std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw fail("cannot open the file: it is a directory");
  if (std::FILE* probe = std::fopen(file.c_str(), "rb")) std::fclose(probe);
  else throw fail(std::string("cannot open the file: ") + std::strerror(errno));
  if (H5Fis_hdf5(file.c_str()) <= 0) throw fail("cannot open the file: not an HDF5 file");
  Hdf5Handle f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.valid()) throw fail("cannot open the file (unreadable or locked)");
  return f;
}

// True if every link of `path` exists: H5Lexists fails (rather than saying no) when an
// intermediate group is missing, so the path is walked one link at a time. `missing`, if
// given, receives the first missing prefix, and `last` whether it is the whole path.
bool links_exist(hid_t file, const std::string& path, std::string* missing = nullptr, bool* last = nullptr) {
  std::string prefix = !path.empty() && path[0] == '/' ? "/" : "";
  std::size_t start = prefix.size();
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      prefix.append(path, start, end - start);
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
        if (missing) *missing = prefix;
        if (last) *last = end == path.size();
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

// True if the dataspace `space` (an id it closes) holds exactly one element: the reads of
// single values below fill a buffer of one element (a longer array would overflow it).
bool one_element(hid_t space) {
  const Hdf5Handle s(space, H5Sclose);
  return s.valid() && H5Sget_simple_extent_npoints(s.get()) == 1;
}

// The string a variable- or fixed-length string type holds; `read` fills a buffer of the
// given memory type with the one element of a dataspace checked by one_element.
template <class Read> std::optional<std::string> read_string(hid_t type, const Read& read) {
  if (H5Tget_class(type) != H5T_STRING) return std::nullopt;
  if (H5Tis_variable_str(type) > 0) {
    const Hdf5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type));
    char* buf = nullptr;
    if (read(mem.get(), static_cast<void*>(&buf)) < 0 || !buf) return std::nullopt;
    std::string s(buf);
    H5free_memory(buf);
    return s;
  }
  std::string s(H5Tget_size(type), '\0');
  if (read(type, static_cast<void*>(s.data())) < 0) return std::nullopt;
  return s.substr(0, s.find('\0'));
}

// The checks and the read of read_hdf5_array, on an open file.
Array read_array(hid_t file, const std::string& dataset, const std::function<InputError(std::string)>& fail) {
  if (dataset.empty()) throw fail("no dataset name given");
  std::string missing;
  bool last = false;
  if (!links_exist(file, dataset, &missing, &last))
    throw fail(last ? "no such dataset in the file"
                    : "no such dataset in the file (no group '" + missing + "')");
  // H5Oopen + H5Iget_type rather than H5Oget_info, whose signature changed in HDF5 1.12.
  const Hdf5Handle obj(H5Oopen(file, dataset.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.valid()) throw fail("no such dataset in the file (a dangling link?)");
  if (H5Iget_type(obj.get()) != H5I_DATASET) throw fail("is not a dataset (a group or a named type)");

  const Hdf5Handle d(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) throw fail("cannot open the dataset");
  const Hdf5Handle type(H5Dget_type(d.get()), H5Tclose);
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

  const Hdf5Handle space(H5Dget_space(d.get()), H5Sclose);
  if (!space.valid()) throw fail("cannot read the dataspace");
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) throw fail("has no data (null dataspace)");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw fail("cannot read the dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    throw fail("cannot read the dataspace");

  Array a;
  std::size_t n = 1;
  a.shape.assign(dims.begin(), dims.end());
  for (hsize_t v : dims) {  // the product must not wrap (a smaller buffer than HDF5 fills)
    if (v != 0 && n > std::numeric_limits<std::size_t>::max() / sizeof(double) / v)
      throw fail("shape " + shape_text(a.shape) + " has too many values to hold in memory");
    n *= static_cast<std::size_t>(v);
  }
  // A corrupt or crafted header can declare any size; beyond 80 % of the machine's memory (as
  // run/resources checks scenarios) the values are refused before anything is allocated.
  const double bytes = static_cast<double>(n) * sizeof(double);
  const double memory =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (memory > 0 && bytes > 0.8 * memory)
    throw fail("shape " + shape_text(a.shape) + " needs " + std::to_string(bytes / 1e9) +
               " GB as double, more than 80 % of this machine's memory (" + std::to_string(memory / 1e9) +
               " GB)");
  a.values.resize(n);
  if (n > 0 && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
    throw fail("cannot read " + shape_text(a.shape) + " values as double");
  return a;
}

}  // namespace

Array read_hdf5_array(const std::string& file, const std::string& dataset) {
  auto fail = [&](const std::string& reason) {
    return InputError(file + ": dataset '" + dataset + "': " + reason);
  };
  const Hdf5Handle f = open_read_only(file, fail);
  return read_array(f.get(), dataset, fail);
}

Hdf5File::Hdf5File(const std::string& path)
    : path_(path),
      file_(open_read_only(path, [&](const std::string& why) { return InputError(path + ": " + why); })) {}

bool Hdf5File::exists(const std::string& object) const { return links_exist(file_.get(), object); }

std::vector<std::string> Hdf5File::children(const std::string& group) const {
  std::vector<std::string> out;
  if (!exists(group)) return out;
  const Hdf5Handle g(H5Gopen2(file_.get(), group.c_str(), H5P_DEFAULT), H5Gclose);
  H5G_info_t info;
  if (!g.valid() || H5Gget_info(g.get(), &info) < 0) return out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) continue;
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(n));
    out.push_back(name);
  }
  return out;
}

std::optional<std::string> Hdf5File::string_attribute(const std::string& object,
                                                      const std::string& name) const {
  if (!exists(object) || H5Aexists_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    return std::nullopt;
  const Hdf5Handle a(H5Aopen_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose);
  if (!a.valid() || !one_element(H5Aget_space(a.get()))) return std::nullopt;
  const Hdf5Handle type(H5Aget_type(a.get()), H5Tclose);
  return read_string(type.get(), [&](hid_t mem, void* buf) { return H5Aread(a.get(), mem, buf); });
}

std::optional<std::int64_t> Hdf5File::integer_attribute(const std::string& object,
                                                        const std::string& name) const {
  if (!exists(object) || H5Aexists_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    return std::nullopt;
  const Hdf5Handle a(H5Aopen_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose);
  std::int64_t v = 0;
  if (!a.valid() || !one_element(H5Aget_space(a.get())) || H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    return std::nullopt;
  return v;
}

std::optional<std::vector<std::int64_t>> Hdf5File::integers_attribute(const std::string& object,
                                                                      const std::string& name) const {
  if (!exists(object) || H5Aexists_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    return std::nullopt;
  const Hdf5Handle a(H5Aopen_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose);
  const Hdf5Handle space(a.valid() ? H5Aget_space(a.get()) : -1, H5Sclose);
  const Hdf5Handle type(a.valid() ? H5Aget_type(a.get()) : -1, H5Tclose);
  if (!space.valid() || !type.valid() || H5Tget_class(type.get()) != H5T_INTEGER) return std::nullopt;
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) return std::nullopt;
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  if (n > 0 && H5Aread(a.get(), H5T_NATIVE_INT64, v.data()) < 0) return std::nullopt;
  return v;
}

std::optional<std::string> Hdf5File::string_dataset(const std::string& dataset) const {
  if (!exists(dataset)) return std::nullopt;
  const Hdf5Handle d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid() || !one_element(H5Dget_space(d.get()))) return std::nullopt;
  const Hdf5Handle type(H5Dget_type(d.get()), H5Tclose);
  return read_string(type.get(), [&](hid_t mem, void* buf) {
    return H5Dread(d.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  });
}

std::optional<std::vector<std::size_t>> Hdf5File::shape(const std::string& dataset) const {
  if (!exists(dataset)) return std::nullopt;
  const Hdf5Handle d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) return std::nullopt;
  const Hdf5Handle space(H5Dget_space(d.get()), H5Sclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) return std::nullopt;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

std::optional<Hdf5File::RawLayout> Hdf5File::raw_layout(const std::string& dataset) const {
  if (!exists(dataset)) return std::nullopt;
  const Hdf5Handle d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) return std::nullopt;
  const Hdf5Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  if (!dcpl.valid() || H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || H5Pget_external_count(dcpl.get()) != 0)
    return std::nullopt;
  const haddr_t offset = H5Dget_offset(d.get());  // from the file's start, user block included
  const Hdf5Handle type(H5Dget_type(d.get()), H5Tclose);
  if (offset == HADDR_UNDEF || !type.valid()) return std::nullopt;
  RawLayout r;
  r.offset = offset;
  r.element = H5Tget_size(type.get());
  r.big_endian = H5Tget_order(type.get()) == H5T_ORDER_BE;
  if (H5Tget_order(type.get()) != H5T_ORDER_LE && !r.big_endian) return std::nullopt;
  if (H5Tget_class(type.get()) == H5T_FLOAT) {
    r.floating = true;
    for (hid_t ieee : {H5T_IEEE_F32LE, H5T_IEEE_F32BE, H5T_IEEE_F64LE, H5T_IEEE_F64BE})
      if (H5Tequal(type.get(), ieee) > 0) return r;
    return std::nullopt;
  }
  const bool whole_bytes = H5Tget_precision(type.get()) == 8 * r.element && H5Tget_offset(type.get()) == 0;
  if (H5Tget_class(type.get()) != H5T_INTEGER || !whole_bytes ||
      (r.element != 1 && r.element != 2 && r.element != 4 && r.element != 8))
    return std::nullopt;
  r.is_signed = H5Tget_sign(type.get()) == H5T_SGN_2;
  return r;
}

Array Hdf5File::array(const std::string& dataset) const {
  return read_array(file_.get(), dataset, [&](const std::string& reason) {
    return InputError(path_ + ": dataset '" + dataset + "': " + reason);
  });
}

}  // namespace ransim
