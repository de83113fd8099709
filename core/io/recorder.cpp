// HDF5 recorder (docs/file-format.md), on the HDF5 C API.
//
// Crash safety rests on two rules: (1) every public call that writes the file ends with
// H5Fflush, and append() makes no HDF5 call at all, so between calls the file on disk is
// complete and consistent; (2) the file uses the default (earliest) format, whose superblock
// has no "open for writing" flag, so a file left by a killed process opens in h5py without
// h5clear. (libver latest / SWMR would set that flag.) The same two rules let a reader open
// the live file between flushes: the recorder takes no HDF5 file lock (RecordingFile's own
// lock keeps a second writer out).
#include "io/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/huge_pages.hpp"
#include "io/hdf5_handle.hpp"
#include "io/layout.hpp"
#include "io/recording_file.hpp"
#include "ransim/error.hpp"

namespace ransim {

namespace {

using Handle = Hdf5Handle;

// The reason for the last HDF5 failure: the operating system's message when a system call
// failed (e.g. "No such file or directory", "No space left on device"), else the innermost
// (most specific) message on HDF5's error stack.
std::string hdf5_reason() {
  std::string innermost;
  std::string os_error;
  std::pair<std::string*, std::string*> out(&innermost, &os_error);
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* found = static_cast<std::pair<std::string*, std::string*>*>(data);
        if (!e->desc || !*e->desc) return 0;
        const std::string desc = e->desc;
        *found->first = desc;
        // The sec2 driver reports "..., errno = 2, error message = 'No such file ...', ...".
        const std::string key = "error message = '";
        if (auto i = desc.find(key); i != std::string::npos) {
          i += key.size();
          *found->second = desc.substr(i, desc.find('\'', i) - i);
        }
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  if (!os_error.empty()) return os_error;
  return innermost.empty() ? "HDF5 error" : innermost;
}

// A variable-length UTF-8 string type: h5py reads such attributes as str.
Handle vlen_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

// Errors become exceptions carrying hdf5_reason(); no error stack dumps on stderr.
void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace

struct Recorder::Impl {
  struct Series {
    std::string group;
    std::vector<std::size_t> shape;
    std::size_t sample_size = 1;  // prod(shape)
    std::size_t written = 0;      // samples in the file
    std::size_t chunk_bytes = 0;  // uncompressed: a flush allocates at most one new chunk more
    std::vector<double> buffer;   // samples appended since the last flush
    Handle data;                  // the `data` dataset, kept open between flushes
  };

  std::string path;
  std::unique_ptr<RecordingFile> target;  // declared first: its lock outlives the HDF5 file
  Handle file;                            // declared before series: closed after the datasets
  std::vector<Series> series;
  Handle lcpl;  // link creation: create intermediate groups
  std::chrono::steady_clock::time_point last_flush;
  bool finished = false;
  bool wrote_samples = false;   // a flush has written samples (the first comes early)
  mutable bool broken = false;  // a write failed: nothing more is written but the status

  [[noreturn]] void fail(const std::string& what) const {
    broken = true;
    throw RunError("recording '" + path + "': " + what + ": " + hdf5_reason());
  }
  // Refuses a write the disk cannot take before HDF5 buffers it (see RecordingFile::room_for):
  // `bytes` of data, plus room for the metadata HDF5 adds and the final status.
  void ensure_room(std::size_t bytes, const std::string& what) const {
    constexpr std::size_t kMetadataRoom = std::size_t{1} << 20;
    if (const int err = target->room_for(bytes + bytes / 8 + kMetadataRoom)) {
      broken = true;
      throw RunError("recording '" + path + "': " + what + ": " + std::strerror(err));
    }
  }
  hid_t check(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }
  void check_not_finished(const char* call) const {
    if (finished) throw RunError("recording '" + path + "': " + call + " after finish()");
    if (broken) throw RunError("recording '" + path + "': " + call + " after a failed write");
  }
  // Every public entry point that calls HDF5 starts here. Debian's HDF5 is a thread-safe build,
  // where automatic error printing is a per-thread setting (the GUI may record from a worker
  // thread). append() and maybe_flush() skip this: H5Eset_auto2 takes HDF5's global lock.
  void check_open(const char* call) const {
    quiet_hdf5();
    check_not_finished(call);
    ensure_room(0, std::string("cannot ") + call);
  }

  // True if every component of `p` exists (H5Lexists fails on a missing intermediate).
  bool exists(const std::string& p) const {
    std::string prefix;
    for (const auto& part : split_path(p)) {
      prefix += "/" + part;
      if (H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    return true;
  }

  Handle open_or_create_group(const std::string& g) {
    if (split_path(g).empty() || exists(g)) {
      const char* name = split_path(g).empty() ? "/" : g.c_str();
      return Handle(check(H5Gopen2(file.get(), name, H5P_DEFAULT), "cannot open group " + g), H5Gclose);
    }
    return Handle(check(H5Gcreate2(file.get(), g.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                        "cannot create group " + g),
                  H5Gclose);
  }

  // Any object (group or dataset); a missing path is created as a group, so attributes can be
  // set before the group's contents are written.
  Handle open_object(const std::string& p) {
    if (!exists(p)) return open_or_create_group(p);
    const char* name = split_path(p).empty() ? "/" : p.c_str();
    return Handle(check(H5Oopen(file.get(), name, H5P_DEFAULT), "cannot open " + p), H5Oclose);
  }

  // A new dataset at `p` (replacing any existing one), contiguous, with intermediate groups.
  Handle create_dataset(const std::string& p, hid_t file_type, const std::vector<hsize_t>& dims,
                        hid_t dcpl = H5P_DEFAULT, hid_t dapl = H5P_DEFAULT) {
    if (exists(p)) check(H5Ldelete(file.get(), p.c_str(), H5P_DEFAULT), "cannot replace " + p);
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    check(space.get(), "cannot create dataspace for " + p);
    return Handle(check(H5Dcreate2(file.get(), p.c_str(), file_type, space.get(), lcpl.get(), dcpl, dapl),
                        "cannot create dataset " + p),
                  H5Dclose);
  }

  void write_all(const Handle& d, hid_t mem_type, const void* buf, const std::string& p) {
    const Handle space(H5Dget_space(d.get()), H5Sclose);
    ensure_room(H5Tget_size(mem_type) * static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())),
                "cannot write " + p);
    check(H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "cannot write " + p);
  }

  // Attribute helpers on an open object; an existing attribute of that name is replaced.
  hid_t new_attribute(hid_t obj, const std::string& name, hid_t type, hid_t space, const std::string& where) {
    if (H5Aexists(obj, name.c_str()) > 0)
      check(H5Adelete(obj, name.c_str()), "cannot replace attribute " + name + " of " + where);
    return check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                 "cannot create attribute " + name + " of " + where);
  }
  void attr_string(hid_t obj, const std::string& name, const std::string& value, const std::string& where) {
    Handle type = vlen_string_type();
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(new_attribute(obj, name, type.get(), space.get(), where), H5Aclose);
    const char* s = value.c_str();
    check(H5Awrite(a.get(), type.get(), &s), "cannot write attribute " + name + " of " + where);
  }
  void attr_double(hid_t obj, const std::string& name, double value, const std::string& where) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(new_attribute(obj, name, H5T_IEEE_F64LE, space.get(), where), H5Aclose);
    check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value), "cannot write attribute " + name + " of " + where);
  }
  void attr_int(hid_t obj, const std::string& name, int value, const std::string& where) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(new_attribute(obj, name, H5T_STD_I32LE, space.get(), where), H5Aclose);
    check(H5Awrite(a.get(), H5T_NATIVE_INT, &value), "cannot write attribute " + name + " of " + where);
  }
  void attr_int64_array(hid_t obj, const std::string& name, const std::vector<std::int64_t>& v,
                        const std::string& where) {
    hsize_t n = v.size();
    Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Handle a(new_attribute(obj, name, H5T_STD_I64LE, space.get(), where), H5Aclose);
    check(H5Awrite(a.get(), H5T_NATIVE_INT64, v.data()), "cannot write attribute " + name + " of " + where);
  }
  void unit_description(hid_t obj, const std::string& unit, const std::string& description,
                        const std::string& where) {
    if (!unit.empty()) attr_string(obj, layout::kUnit, unit, where);
    if (!description.empty()) attr_string(obj, layout::kDescription, description, where);
  }

  void flush_file() { check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "cannot flush the file"); }

  // After a failed write: the buffered samples are dropped, and the root attributes are
  // rewritten in place (no new object, so a full disk most likely still takes them).
  void mark_failed() {
    for (auto& s : series) s.buffer.clear();
    Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    Handle status(H5Aopen(root.get(), layout::kStatus, H5P_DEFAULT), H5Aclose);
    Handle type = vlen_string_type();
    const char* failed = to_string(RunStatus::Failed);
    H5Awrite(status.get(), type.get(), &failed);
    H5Fflush(file.get(), H5F_SCOPE_GLOBAL);
    H5Eclear2(H5E_DEFAULT);
  }

  // Closes the datasets and the file, then renames PATH.part to PATH. With `report`, a
  // failure throws RunError; without (a destructor), it is silent and PATH.part stays.
  void close_and_publish(bool report) {
    series.clear();
    const bool closed = H5Fclose(file.release()) >= 0;
    const std::string why = closed ? "" : hdf5_reason();
    if (!closed && !broken) {
      broken = true;
      if (report) throw RunError("recording '" + path + "': cannot close the file: " + why);
      return;
    }
    if (!report) {
      try {
        target->publish();
      } catch (const RunError&) {  // PATH.part keeps the recording
      }
      return;
    }
    target->publish();
  }

  // Writes the buffered samples of every series, then flushes the file.
  void flush_all() {
    std::size_t pending = 0;
    for (auto& s : series)
      if (!s.buffer.empty()) pending += s.buffer.size() * sizeof(double) + s.chunk_bytes;
    ensure_room(pending, pending ? "cannot write the samples" : "cannot flush the file");
    for (auto& s : series) {
      if (s.buffer.empty()) continue;
      const std::size_t n = s.buffer.size() / s.sample_size;
      const std::string p = layout::series_data(s.group);
      std::vector<hsize_t> dims{static_cast<hsize_t>(s.written + n)};
      for (auto d : s.shape) dims.push_back(d);
      check(H5Dset_extent(s.data.get(), dims.data()), "cannot extend " + p);
      Handle fspace(check(H5Dget_space(s.data.get()), "cannot get dataspace of " + p), H5Sclose);
      std::vector<hsize_t> start(dims.size(), 0), count = dims;
      start[0] = s.written;
      count[0] = n;
      check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "cannot select rows of " + p);
      Handle mspace(check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                          "cannot create memory dataspace for " + p),
                    H5Sclose);
      check(
          H5Dwrite(s.data.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, s.buffer.data()),
          "cannot write " + p);
      // Count the rows only once written: a failed flush can be retried with the same buffer.
      s.written += n;
      s.buffer.clear();
      wrote_samples = true;
    }
    flush_file();
    last_flush = std::chrono::steady_clock::now();
  }
};

Recorder::Recorder(RecorderOptions opts) : opts_(std::move(opts)), impl_(std::make_unique<Impl>()) {
  quiet_hdf5();
  Impl& im = *impl_;
  im.path = opts_.path;
  im.target = std::make_unique<RecordingFile>(opts_.path, opts_.overwrite);
  // Earliest format, no SWMR, no HDF5 file lock: see the note at the top of this file.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), false, true);
  hid_t f = H5Fcreate(im.target->partial().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (f < 0) throw RunError("cannot create the recording '" + im.target->partial() + "': " + hdf5_reason());
  im.file = Handle(f, H5Fclose);
  im.lcpl = Handle(im.check(H5Pcreate(H5P_LINK_CREATE), "cannot create property list"), H5Pclose);
  H5Pset_create_intermediate_group(im.lcpl.get(), 1);
  H5Pset_char_encoding(im.lcpl.get(), H5T_CSET_UTF8);

  Handle root = im.open_or_create_group(layout::kRoot);
  im.attr_int(root.get(), layout::kComplete, 0, layout::kRoot);
  im.attr_string(root.get(), layout::kStatus, to_string(RunStatus::Running), layout::kRoot);
  im.attr_string(root.get(), layout::kFormat, layout::kFormatVersion, layout::kRoot);
  im.flush_file();
  im.last_flush = std::chrono::steady_clock::now();
}

Recorder::~Recorder() {
  if (!impl_ || impl_->finished) return;
  quiet_hdf5();
  try {
    if (impl_->broken) impl_->mark_failed();
    else impl_->flush_all();
  } catch (...) {
    // Never throw from a destructor; what was flushed before stays readable.
  }
  impl_->close_and_publish(false);
}

Recorder::SeriesId Recorder::add_series(const std::string& group, std::vector<std::size_t> shape,
                                        const std::string& unit, const std::string& description,
                                        double starting_time, double rate) {
  Impl& im = *impl_;
  im.check_open("add_series");
  Impl::Series s;
  s.group = group;
  s.shape = std::move(shape);
  for (auto d : s.shape) s.sample_size *= d;

  const std::size_t rank = 1 + s.shape.size();
  std::vector<hsize_t> dims(rank, 0), maxdims(rank), chunk(rank);
  maxdims[0] = H5S_UNLIMITED;
  // chunk_samples time rows, fewer if one chunk would exceed 4 MiB (large samples).
  const std::size_t sample_bytes = std::max<std::size_t>(1, s.sample_size) * sizeof(double);
  chunk[0] = std::clamp<std::size_t>((std::size_t{4} << 20) / sample_bytes, 1,
                                     std::max<std::size_t>(1, opts_.chunk_samples));
  for (std::size_t i = 0; i < s.shape.size(); ++i) {
    dims[i + 1] = s.shape[i];
    // A chunk dimension must be >= 1 and <= a fixed maximum, so a 0 extent gets no maximum.
    maxdims[i + 1] = s.shape[i] ? s.shape[i] : H5S_UNLIMITED;
    chunk[i + 1] = std::max<std::size_t>(1, s.shape[i]);
  }

  Handle g = im.open_or_create_group(group);
  const std::string p = layout::series_data(group);
  if (im.exists(p)) im.check(H5Ldelete(im.file.get(), p.c_str(), H5P_DEFAULT), "cannot replace " + p);
  Handle space(im.check(H5Screate_simple(static_cast<int>(rank), dims.data(), maxdims.data()),
                        "cannot create dataspace for " + p),
               H5Sclose);
  Handle dcpl(im.check(H5Pcreate(H5P_DATASET_CREATE), "cannot create property list"), H5Pclose);
  im.check(H5Pset_chunk(dcpl.get(), static_cast<int>(rank), chunk.data()), "cannot chunk " + p);
  if (opts_.compression > 0) {
    H5Pset_shuffle(dcpl.get());
    im.check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(opts_.compression, 9))),
             "cannot compress " + p);
  }
  // A chunk cache that holds the chunk being filled, so each flush does not re-read and
  // decompress it.
  std::size_t chunk_bytes = sizeof(double);
  for (auto c : chunk) chunk_bytes *= c;
  s.chunk_bytes = chunk_bytes;
  Handle dapl(im.check(H5Pcreate(H5P_DATASET_ACCESS), "cannot create property list"), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 521, std::max<std::size_t>(1 << 20, 2 * chunk_bytes),
                     H5D_CHUNK_CACHE_W0_DEFAULT);
  s.data = Handle(im.check(H5Dcreate2(im.file.get(), p.c_str(), H5T_IEEE_F64LE, space.get(), im.lcpl.get(),
                                      dcpl.get(), dapl.get()),
                           "cannot create dataset " + p),
                  H5Dclose);
  im.unit_description(s.data.get(), unit, description, p);
  im.attr_double(s.data.get(), layout::kConversion, 1.0, p);
  im.attr_double(s.data.get(), layout::kResolution, -1.0, p);
  im.unit_description(g.get(), unit, description, group);

  const std::string st = layout::series_starting_time(group);
  Handle t0 = im.create_dataset(st, H5T_IEEE_F64LE, {});
  im.write_all(t0, H5T_NATIVE_DOUBLE, &starting_time, st);
  im.attr_double(t0.get(), layout::kRate, rate, st);
  im.attr_string(t0.get(), layout::kUnit, layout::kSeconds, st);

  // Room for a flush's worth of samples, reserved once: pages that are never written cost
  // nothing, while growing by doubling copies the samples and pages in fresh memory again
  // at every step (slow where fresh pages are costly: docs/performance.md).
  s.buffer.reserve(std::max<std::size_t>(1, opts_.flush_bytes / sample_bytes) * s.sample_size);
  prefer_huge_pages(s.buffer.data(), s.buffer.capacity() * sizeof(double));
  im.series.push_back(std::move(s));
  im.flush_file();
  return im.series.size() - 1;
}

void Recorder::append(SeriesId id, const double* sample) {
  Impl& im = *impl_;
  im.check_not_finished("append");
  auto& s = im.series.at(id);
  // Buffer only: no HDF5 call here (see the crash-safety note at the top).
  s.buffer.insert(s.buffer.end(), sample, sample + s.sample_size);
}

std::size_t Recorder::samples(SeriesId id) const {
  const auto& s = impl_->series.at(id);
  return s.written + (s.sample_size ? s.buffer.size() / s.sample_size : 0);
}

void Recorder::write_string(const std::string& path, const std::string& value) {
  Impl& im = *impl_;
  im.check_open("write_string");
  Handle type = vlen_string_type();
  Handle d = im.create_dataset(path, type.get(), {});
  const char* s = value.c_str();
  im.write_all(d, type.get(), &s, path);
  im.flush_file();
}

void Recorder::write_scalar(const std::string& path, double value) {
  Impl& im = *impl_;
  im.check_open("write_scalar");
  Handle d = im.create_dataset(path, H5T_IEEE_F64LE, {});
  im.write_all(d, H5T_NATIVE_DOUBLE, &value, path);
  im.flush_file();
}

void Recorder::write_integer(const std::string& path, std::int64_t value) {
  Impl& im = *impl_;
  im.check_open("write_integer");
  Handle d = im.create_dataset(path, H5T_STD_I64LE, {});
  im.write_all(d, H5T_NATIVE_INT64, &value, path);
  im.flush_file();
}

void Recorder::write_matrix(const std::string& path, const arma::mat& m, const std::string& unit,
                            const std::string& description) {
  Impl& im = *impl_;
  im.check_open("write_matrix");
  Handle d = im.create_dataset(path, H5T_IEEE_F64LE, {m.n_rows, m.n_cols});
  // Armadillo is column-major; the transpose's memory is m in row-major order, so the file
  // shows m(i, j) at [i][j].
  const arma::mat row_major = m.t();
  if (!m.is_empty()) im.write_all(d, H5T_NATIVE_DOUBLE, row_major.memptr(), path);
  im.unit_description(d.get(), unit, description, path);
  im.flush_file();
}

void Recorder::write_vector(const std::string& path, const std::vector<double>& v, const std::string& unit,
                            const std::string& description) {
  Impl& im = *impl_;
  im.check_open("write_vector");
  Handle d = im.create_dataset(path, H5T_IEEE_F64LE, {v.size()});
  if (!v.empty()) im.write_all(d, H5T_NATIVE_DOUBLE, v.data(), path);
  im.unit_description(d.get(), unit, description, path);
  im.flush_file();
}

void Recorder::write_integers(const std::string& path, const std::vector<std::int64_t>& v) {
  Impl& im = *impl_;
  im.check_open("write_integers");
  Handle d = im.create_dataset(path, H5T_STD_I64LE, {v.size()});
  if (!v.empty()) im.write_all(d, H5T_NATIVE_INT64, v.data(), path);
  im.flush_file();
}

void Recorder::write_strings(const std::string& path, const std::vector<std::string>& v) {
  Impl& im = *impl_;
  im.check_open("write_strings");
  Handle type = vlen_string_type();
  Handle d = im.create_dataset(path, type.get(), {v.size()});
  std::vector<const char*> pointers;
  for (const auto& s : v) pointers.push_back(s.c_str());
  if (!v.empty()) im.write_all(d, type.get(), pointers.data(), path);
  im.flush_file();
}

void Recorder::write_csr(const std::string& group, const Csr& m, const std::string& description) {
  Impl& im = *impl_;
  im.check_open("write_csr");
  Handle g = im.open_or_create_group(group);
  // scipy.sparse.csr_matrix((data, indices, indptr), shape) order; signed 64-bit indices as
  // anndata writes them, so scipy, anndata and MATLAB read them without conversion.
  const std::vector<std::int64_t> indices(m.col.begin(), m.col.end());
  const std::vector<std::int64_t> indptr(m.row_ptr.begin(), m.row_ptr.end());
  const std::string pd = group + "/" + layout::kCsrData, pi = group + "/" + layout::kCsrIndices,
                    pp = group + "/" + layout::kCsrIndptr;
  Handle d = im.create_dataset(pd, H5T_IEEE_F64LE, {m.val.size()});
  if (!m.val.empty()) im.write_all(d, H5T_NATIVE_DOUBLE, m.val.data(), pd);
  Handle i = im.create_dataset(pi, H5T_STD_I64LE, {indices.size()});
  if (!indices.empty()) im.write_all(i, H5T_NATIVE_INT64, indices.data(), pi);
  Handle p = im.create_dataset(pp, H5T_STD_I64LE, {indptr.size()});
  if (!indptr.empty()) im.write_all(p, H5T_NATIVE_INT64, indptr.data(), pp);
  im.attr_int64_array(g.get(), layout::kCsrShape,
                      {static_cast<std::int64_t>(m.rows), static_cast<std::int64_t>(m.cols)}, group);
  // anndata's sparse encoding markers: anndata.experimental.read_elem reads the group as is.
  im.attr_string(g.get(), layout::kEncodingType, "csr_matrix", group);
  im.attr_string(g.get(), layout::kEncodingVersion, "0.1.0", group);
  if (!description.empty()) im.attr_string(g.get(), layout::kDescription, description, group);
  im.flush_file();
}

void Recorder::set_attribute(const std::string& object_path, const std::string& name,
                             const std::string& value) {
  Impl& im = *impl_;
  im.check_open("set_attribute");
  Handle o = im.open_object(object_path);
  im.attr_string(o.get(), name, value, object_path);
  im.flush_file();
}

void Recorder::set_attribute(const std::string& object_path, const std::string& name, double value) {
  Impl& im = *impl_;
  im.check_open("set_attribute");
  Handle o = im.open_object(object_path);
  im.attr_double(o.get(), name, value, object_path);
  im.flush_file();
}

void Recorder::set_attribute(const std::string& object_path, const std::string& name,
                             const std::vector<std::int64_t>& values) {
  Impl& im = *impl_;
  im.check_open("set_attribute");
  Handle o = im.open_object(object_path);
  im.attr_int64_array(o.get(), name, values, object_path);
  im.flush_file();
}

void Recorder::flush() {
  impl_->check_open("flush");
  impl_->flush_all();
}

void Recorder::maybe_flush() {
  Impl& im = *impl_;
  im.check_not_finished("maybe_flush");
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - im.last_flush;
  const bool full = std::any_of(im.series.begin(), im.series.end(), [&](const Impl::Series& s) {
    return s.buffer.size() * sizeof(double) >= opts_.flush_bytes;
  });
  // The first samples go to disk at once (a small, quick flush), so that even a run killed
  // within a second keeps some and a reader sees the series fill.
  const double interval = im.wrote_samples ? opts_.flush_interval : 0.0;
  if (full || since.count() >= interval) flush();
}

bool Recorder::broken() const { return impl_->broken; }

void Recorder::finish(RunStatus status) {
  Impl& im = *impl_;
  quiet_hdf5();
  if (im.broken && !im.finished) {  // a write failed: the file says "failed", nothing more
    im.finished = true;
    im.mark_failed();
    im.close_and_publish(true);
    return;
  }
  im.check_open("finish");
  // Data first, then the status: a crash in between leaves complete = 0.
  im.flush_all();
  Handle root = im.open_or_create_group(layout::kRoot);
  im.attr_string(root.get(), layout::kStatus, to_string(status), layout::kRoot);
  im.attr_int(root.get(), layout::kComplete, status == RunStatus::Complete ? 1 : 0, layout::kRoot);
  im.flush_file();
  root.reset();
  im.finished = true;
  im.close_and_publish(true);
}

}  // namespace ransim
