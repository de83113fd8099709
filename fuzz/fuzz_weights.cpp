// libFuzzer target: the weight-file reader (read_hdf5_array, which WeightFile uses) and the
// other HDF5 reads of io/hdf5_read.cpp (Hdf5File: links, attributes, strings, shapes). The
// input is written to a file of a new name each time (the HDF5 library keeps a file open
// while any object in it is, so a name is never reused) and the datasets the seeds hold are
// read. Bad input must end in an InputError or an empty answer; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "fuzz_support.hpp"
#include "io/hdf5_file.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"

namespace {

void read_as_recording(const std::string& path) {
  const ransim::Hdf5File f(path);
  for (const std::string& name : f.children("/")) {
    (void)f.shape(name);
    (void)f.string_dataset(name);
    (void)f.string_attribute(name, "status");
    (void)f.integer_attribute(name, "lanes");
  }
  (void)f.array("g/w");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static unsigned long count = 0;
  const std::string path = ransim::fuzz::write_input("input_" + std::to_string(count++) + ".h5", data, size);
  for (const char* dataset : {"w", "/g/w", "g/s"}) {
    try {
      const ransim::Array a = ransim::read_hdf5_array(path, dataset);
      (void)a;
    } catch (const ransim::InputError&) {
    }
  }
  try {
    read_as_recording(path);
  } catch (const ransim::InputError&) {
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return 0;
}
