// The array readers of arrays.hpp: HDF5 by hyperslabs, .npy by byte offsets, CSV through an
// index of line offsets. One mutex per source serialises its reads (the HDF5 library of the
// distributions is not thread-safe; the episode runner reads from several threads).
#include "tasks/datasets/arrays.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>

#include "io/hdf5_file.hpp"
#include "io/hdf5_handle.hpp"
#include "ransim/error.hpp"
#include "ransim/weights.hpp"  // shape_text

namespace ransim {

std::size_t ArraySource::row_size() const {
  std::size_t n = 1;
  for (std::size_t d = 1; d < shape_.size(); ++d) n *= shape_[d];
  return n;
}

namespace {

// One mutex for every HDF5 call: the library's state is global.
std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": cannot open: it is a directory");
  File f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw InputError(path + ": cannot open: " + std::strerror(errno));
  return f;
}

// Reads exactly n bytes at `offset`, or says the file ends early.
void read_at(std::FILE* f, const std::string& name, std::uint64_t offset, void* out, std::size_t n) {
  if (fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(out, 1, n, f) != n)
    throw InputError(name + ": the file ends before byte " + std::to_string(offset + n) + " (truncated?)");
}

// Rows are read in order, so a chunked dataset's cache needs to hold only the chunk a read ends
// in, for the next read to start in: HDF5's default of 1 MiB per open dataset is more than a
// small run's readout needs (docs/tasks.md, "A bounded stream"). A chunk larger than the
// default bypasses the cache either way. The access list for that cache for the open dataset
// `d`; an invalid handle when `d` is not chunked.
Hdf5Handle chunk_cache_of_one_chunk(hid_t d) {
  const Hdf5Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  const Hdf5Handle type(H5Dget_type(d), H5Tclose);
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return {};
  std::vector<hsize_t> chunk(static_cast<std::size_t>(std::max(0, H5Pget_chunk(dcpl.get(), 0, nullptr))));
  H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  std::size_t bytes = H5Tget_size(type.get());
  for (hsize_t c : chunk) bytes *= static_cast<std::size_t>(c);
  Hdf5Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, std::min<std::size_t>(bytes, 1 << 20),
                     H5D_CHUNK_CACHE_W0_DEFAULT);
  return dapl;
}

class Hdf5Source : public ArraySource {
 public:
  Hdf5Source(const std::string& path, const std::string& dataset) {
    name_ = path + ":" + dataset;
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    const Hdf5File file(path);  // its errors name the file
    const auto shape = file.shape(dataset);
    if (!shape)
      throw InputError(path + ": no dataset '" + dataset + "'" +
                       (file.exists(dataset) ? " (it is a group)" : " in the file"));
    shape_ = *shape;
    file_ = Hdf5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    set_ = Hdf5Handle(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
    if (const Hdf5Handle dapl = chunk_cache_of_one_chunk(set_.get()); dapl.valid()) {
      set_.reset();  // the cache is set when the dataset is first opened
      set_ = Hdf5Handle(H5Dopen2(file_.get(), dataset.c_str(), dapl.get()), H5Dclose);
    }
    const Hdf5Handle type(H5Dget_type(set_.get()), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
      throw InputError(name_ + ": not a numeric dataset (integers or floating point expected)");
    if (shape_.empty()) throw InputError(name_ + ": a scalar; expected an array");
  }

  void read_rows(std::size_t first, std::size_t count, double* out) const override {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    const Hdf5Handle space(H5Dget_space(set_.get()), H5Sclose);
    std::vector<hsize_t> start(shape_.size(), 0), size(shape_.begin(), shape_.end());
    start[0] = first;
    size[0] = count;
    const Hdf5Handle mem(H5Screate_simple(static_cast<int>(size.size()), size.data(), nullptr), H5Sclose);
    if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr) < 0 ||
        H5Dread(set_.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), H5P_DEFAULT, out) < 0)
      throw InputError(name_ + ": cannot read rows " + std::to_string(first) + ".." +
                       std::to_string(first + count - 1));
  }

 private:
  Hdf5Handle file_, set_;
};

// .npy: "\x93NUMPY", version (1 byte major, 1 minor), header length (2 bytes little-endian in
// version 1, 4 in 2 and 3), a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}.
class NpySource : public ArraySource {
 public:
  explicit NpySource(const std::string& path) : file_(open_file(path)) {
    name_ = path;
    unsigned char magic[10];
    if (std::fread(magic, 1, 10, file_.get()) != 10 || std::memcmp(magic, "\x93NUMPY", 6) != 0)
      throw InputError(path + ": not a NumPy .npy file (it does not start with \\x93NUMPY)");
    const unsigned major = magic[6];
    if (major < 1 || major > 3)
      throw InputError(path + ": .npy format version " + std::to_string(major) + " (1 to 3 are read)");
    std::uint64_t header_len = magic[8] | magic[9] << 8;
    std::uint64_t at = 10;
    if (major >= 2) {
      unsigned char more[2];
      if (std::fread(more, 1, 2, file_.get()) != 2) throw InputError(path + ": truncated .npy header");
      header_len |= std::uint64_t{more[0]} << 16 | std::uint64_t{more[1]} << 24;
      at = 12;
    }
    if (header_len > (1u << 20))
      throw InputError(path + ": .npy header of " + std::to_string(header_len) + " bytes");
    std::string header(header_len, '\0');
    read_at(file_.get(), path, at, header.data(), header_len);
    data_at_ = at + header_len;
    parse_header(header);
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    std::uint64_t elements = 1;
    for (std::size_t d : shape_) elements *= d;
    const std::uint64_t expected = data_at_ + elements * item_;
    if (!ec && size < expected)
      throw InputError(path + ": shape " + shape_text(shape_, " x ") + " needs " + std::to_string(expected) +
                       " bytes, the file has " + std::to_string(size) + " (truncated)");
  }

  void read_rows(std::size_t first, std::size_t count, double* out) const override {
    const std::size_t n = count * row_size();
    std::vector<unsigned char> raw(n * item_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      read_at(file_.get(), name_, data_at_ + std::uint64_t{first} * row_size() * item_, raw.data(),
              raw.size());
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = convert_(raw.data() + i * item_);
  }

 private:
  // The value of `key` in the header dict, up to the next top-level comma or closing brace.
  static std::string value_of(const std::string& header, const std::string& key, const std::string& path) {
    const std::size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) throw InputError(path + ": .npy header has no '" + key + "': " + header);
    std::size_t v = header.find(':', k);
    if (v == std::string::npos) throw InputError(path + ": malformed .npy header: " + header);
    v = header.find_first_not_of(' ', v + 1);
    const std::size_t end = header[v] == '(' ? header.find(')', v) + 1 : header.find_first_of(",}", v);
    return header.substr(v, end - v);
  }

  template <class T> static double load(const unsigned char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);  // little-endian on every platform ransim builds on
    return static_cast<double>(v);
  }

  void parse_header(const std::string& header) {
    const std::string descr = value_of(header, "descr", name_);
    if (descr == "'<f8'") convert_ = load<double>, item_ = 8;
    else if (descr == "'<f4'") convert_ = load<float>, item_ = 4;
    else if (descr == "'<i4'") convert_ = load<std::int32_t>, item_ = 4;
    else if (descr == "'<i8'") convert_ = load<std::int64_t>, item_ = 8;
    else
      throw InputError(
          name_ + ": .npy dtype " + descr +
          " is not read (little-endian '<f8', '<f4', '<i4' or '<i8' are; numpy: a.astype('<f8'))");
    if (value_of(header, "fortran_order", name_) != "False")
      throw InputError(name_ + ": a Fortran-order .npy array; save it in C order (numpy.ascontiguousarray)");
    const std::string shape = value_of(header, "shape", name_);  // "(100, 3)", "(5,)", "()"
    for (std::size_t i = 1; i + 1 < shape.size();) {
      i = shape.find_first_not_of(", ", i);
      if (i >= shape.size() - 1) break;
      std::size_t d = 0;
      const auto [ptr, ec] = std::from_chars(shape.data() + i, shape.data() + shape.size() - 1, d);
      if (ec != std::errc()) throw InputError(name_ + ": malformed .npy shape " + shape);
      shape_.push_back(d);
      i = static_cast<std::size_t>(ptr - shape.data());
    }
    if (shape_.empty()) throw InputError(name_ + ": a scalar .npy file; expected an array");
  }

  File file_;
  mutable std::mutex mutex_;
  std::uint64_t data_at_ = 0;
  std::size_t item_ = 8;
  double (*convert_)(const unsigned char*) = nullptr;
};

// CSV: comma-separated numbers, one row per line.
class CsvSource : public ArraySource {
 public:
  static constexpr std::size_t kIndexEvery = 256;

  explicit CsvSource(const std::string& path) : file_(open_file(path)) {
    name_ = path;
    std::string line;
    std::vector<double> row;
    std::size_t line_no = 0, rows = 0, cols = 0;
    for (std::uint64_t at = 0; next_line(line, at);) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      row.clear();
      if (!parse(line, row, line_no, rows == 0 && !header_)) {  // a header line
        header_ = true;
        continue;
      }
      if (rows == 0) cols = row.size();
      else if (row.size() != cols)
        throw InputError(path + ":" + std::to_string(line_no) + ": " + std::to_string(row.size()) +
                         " columns, the first row has " + std::to_string(cols));
      if (rows % kIndexEvery == 0) index_.push_back({at_line_, line_no});
      ++rows;
    }
    if (rows == 0) throw InputError(path + ": no rows of numbers");
    shape_ = {rows, cols};
  }

  void read_rows(std::size_t first, std::size_t count, double* out) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto [offset, line_no0] = index_.at(first / kIndexEvery);
    std::uint64_t at = offset;
    std::size_t row = first / kIndexEvery * kIndexEvery, line_no = line_no0 - 1, got = 0;
    std::string line;
    std::vector<double> values;
    while (got < count && next_line(line, at)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (row++ < first) continue;
      values.clear();
      parse(line, values, line_no, false);
      std::copy(values.begin(), values.end(), out + got++ * shape_[1]);
    }
  }

 private:
  // The line starting at byte `at` (without its end), `at` moved past it; false at the end.
  bool next_line(std::string& line, std::uint64_t& at) const {
    if (fseeko(file_.get(), static_cast<off_t>(at), SEEK_SET) != 0) return false;
    at_line_ = at;
    line.clear();
    int c;
    while ((c = std::fgetc(file_.get())) != EOF && c != '\n') line.push_back(static_cast<char>(c));
    if (c == EOF && line.empty()) return false;
    at += line.size() + (c == '\n' ? 1 : 0);
    return true;
  }

  // The numbers of a line; false (when `header_ok`) if its first field is not a number.
  bool parse(const std::string& line, std::vector<double>& out, std::size_t line_no, bool header_ok) const {
    std::size_t pos = 0;
    while (pos <= line.size()) {
      std::size_t end = line.find(',', pos);
      if (end == std::string::npos) end = line.size();
      std::size_t a = line.find_first_not_of(" \t\r", pos), b = line.find_last_not_of(" \t\r", end - 1);
      if (a == std::string::npos || a >= end) a = b = end;  // an empty field
      double v = 0;
      const auto [ptr, ec] = std::from_chars(line.data() + a, line.data() + (a == end ? end : b + 1), v);
      if (ec != std::errc() || ptr != line.data() + (a == end ? end : b + 1)) {
        if (header_ok && out.empty()) return false;
        throw InputError(name_ + ":" + std::to_string(line_no) + ":" + std::to_string(a + 1) + ": '" +
                         line.substr(a, end - a) + "' is not a number");
      }
      out.push_back(v);
      pos = end + 1;
    }
    return true;
  }

  File file_;
  mutable std::mutex mutex_;
  mutable std::uint64_t at_line_ = 0;
  bool header_ = false;
  std::vector<std::pair<std::uint64_t, std::size_t>> index_;  // every kIndexEvery-th row: (offset, line)
};

std::string extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool hdf5_name(const std::string& path) {
  const std::string ext = extension(path);
  return ext == ".h5" || ext == ".hdf5" || ext == ".nwb";
}

}  // namespace

std::unique_ptr<ArraySource> open_array(const std::string& path, const std::string& dataset) {
  const std::string ext = extension(path);
  if (hdf5_name(path)) {
    if (dataset.empty()) throw InputError(path + ": an HDF5 file; name the dataset to read");
    return std::make_unique<Hdf5Source>(path, dataset);
  }
  if (ext == ".npy") return std::make_unique<NpySource>(path);
  if (ext == ".csv" || ext == ".txt") return std::make_unique<CsvSource>(path);
  throw InputError(path + ": unknown file type '" + ext +
                   "' (expected .h5 / .hdf5 / .nwb with a dataset, .npy, or .csv / .txt)");
}

bool is_hdf5_group(const std::string& path, const std::string& dataset) {
  if (!hdf5_name(path) || dataset.empty()) return false;
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  const Hdf5File file(path);
  return file.exists(dataset) && !file.shape(dataset);
}

std::vector<std::unique_ptr<ArraySource>> open_array_group(const std::string& path,
                                                           const std::string& group) {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    names = Hdf5File(path).children(group);
  }
  if (names.empty()) throw InputError(path + ": group '" + group + "' holds no dataset");
  std::vector<std::unique_ptr<ArraySource>> out;
  const std::string prefix = group.back() == '/' ? group : group + "/";
  for (const auto& n : names) out.push_back(std::make_unique<Hdf5Source>(path, prefix + n));
  return out;
}

}  // namespace ransim
