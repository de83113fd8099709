#pragma once
// Read access to an HDF5 file that stays open across reads: what the GUI's replay needs to
// walk a recording (groups, string and integer attributes, string datasets, shapes, arrays).
// Missing objects are answers (false, nullopt, empty), not errors, and so is a string or
// integer of more than one element; only opening the file and reading an array throw InputError.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/hdf5_handle.hpp"
#include "ransim/hdf5_read.hpp"

namespace ransim {

class Hdf5File {
 public:
  // Opens `path` read-only; throws InputError "PATH: cannot open the file: REASON".
  explicit Hdf5File(const std::string& path);

  const std::string& path() const { return path_; }
  // True if every link of `object` exists ("/" always does).
  bool exists(const std::string& object) const;
  // The names of a group's members in name order; empty if there is no such group.
  std::vector<std::string> children(const std::string& group) const;
  std::optional<std::string> string_attribute(const std::string& object, const std::string& name) const;
  std::optional<std::int64_t> integer_attribute(const std::string& object, const std::string& name) const;
  // An integer attribute of any length (e.g. a split's [first, end)); nullopt if absent.
  std::optional<std::vector<std::int64_t>> integers_attribute(const std::string& object,
                                                              const std::string& name) const;
  std::optional<std::string> string_dataset(const std::string& dataset) const;
  // The dataset's dimensions; nullopt if there is no such dataset.
  std::optional<std::vector<std::size_t>> shape(const std::string& dataset) const;
  // A numeric dataset as double; throws InputError "PATH: dataset 'NAME': reason".
  Array array(const std::string& dataset) const;
  // Where a dataset's values lie when they can be read without HDF5: contiguous storage in this
  // file (no external files; contiguous data has no filters), an integer type without padding
  // bits or an IEEE float of 4 or 8 bytes. nullopt otherwise (chunked, compact, unwritten, ...).
  struct RawLayout {
    std::uint64_t offset = 0;  // bytes from the start of the file
    std::size_t element = 0;   // bytes per value
    bool floating = false, is_signed = false, big_endian = false;
  };
  std::optional<RawLayout> raw_layout(const std::string& dataset) const;

 private:
  std::string path_;
  Hdf5Handle file_;
};

}  // namespace ransim
