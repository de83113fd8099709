#pragma once
// Numeric arrays in the user's files, read a slice of the first axis at a time so that a file
// larger than memory can feed a run (task.kind = "file", docs/tasks.md):
// - HDF5: a dataset of any numeric type (hyperslabs of rows, converted to double by HDF5);
// - NumPy .npy (format versions 1-3): little-endian float64, float32, int32 or int64, C order
//   (rows read at their byte offset); other types and Fortran order are refused;
// - CSV: numbers separated by commas, one row per line, an optional header line (a first line
//   that is not all numbers); rank 2. An index of every 256th line's offset is built in one pass
//   over the file, then rows are read from there.
// Every failure is an InputError naming the file (and the dataset).
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace ransim {

class ArraySource {
 public:
  virtual ~ArraySource() = default;
  const std::vector<std::size_t>& shape() const { return shape_; }
  // "FILE" or "FILE:DATASET", for messages.
  const std::string& name() const { return name_; }
  // Elements of one row (the product of the shape after the first axis).
  std::size_t row_size() const;
  // Rows [first, first + count) of the first axis into out (count * row_size() values, C
  // order). Safe to call from several threads.
  virtual void read_rows(std::size_t first, std::size_t count, double* out) const = 0;

 protected:
  std::vector<std::size_t> shape_;
  std::string name_;
};

// The file's format from its name: .h5 / .hdf5 / .nwb (then `dataset` names the dataset),
// .npy, .csv / .txt. Throws InputError naming the file when it is missing, of another
// extension, or malformed, and the dataset when HDF5 has no such (numeric) dataset.
std::unique_ptr<ArraySource> open_array(const std::string& path, const std::string& dataset);

// The datasets of an HDF5 group, in name order (variable-length episodes, one per dataset).
// Throws InputError when `group` is not a group of the file or holds no dataset.
std::vector<std::unique_ptr<ArraySource>> open_array_group(const std::string& path, const std::string& group);

// True if `dataset` of the HDF5 file `path` is a group.
bool is_hdf5_group(const std::string& path, const std::string& dataset);

}  // namespace ransim
