// libFuzzer target: the IDX reader (tasks/datasets/idx), plain and gzip. The input is
// written to a file and read as an array of any rank, then as a split of images and labels
// (both from the same file: at least one of the rank checks refuses it). Bad input must end
// in an InputError; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "ransim/error.hpp"
#include "tasks/datasets/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ransim::fuzz::write_input("input-ubyte", data, size);
  try {
    const ransim::IdxArray a = ransim::read_idx(path);
    (void)a;
  } catch (const ransim::InputError&) {
  }
  try {
    const ransim::LabelledImages split = ransim::read_idx_images(path, path);
    (void)split;
  } catch (const ransim::InputError&) {
  }
  return 0;
}
