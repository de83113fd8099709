#pragma once
// Reading IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/,
// "FILE FORMATS"), plain or gzip-compressed (detected by the magic bytes 1f 8b).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ransim {

// An IDX array: unsigned bytes (type code 0x08) only — what (Fashion-)MNIST uses; other type
// codes are refused with a clear error.
struct IdxArray {
  std::vector<std::size_t> shape;  // e.g. {60000, 28, 28} or {60000}
  std::vector<std::uint8_t> data;  // row-major, size = product of shape
};

// Reads the whole file. Throws InputError "PATH: what is wrong" when it cannot be opened, is
// not a valid gzip stream, is not an unsigned-byte IDX file of 1 to 4 non-zero dimensions
// (at most 2^32 elements), or holds fewer or more data bytes than its header says.
// `expected_rank` (when not 0): a magic number giving another dimension count is refused
// as such. A path that is not a regular file (a FIFO, a directory) is refused unopened; a
// gzip stream is inflated only a little past the size its header gives.
IdxArray read_idx(const std::string& path, std::size_t expected_rank = 0);

// Images and labels of one split, checked against each other (same count; labels < classes).
struct LabelledImages {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels, labels;  // pixels: count x rows x cols, row-major
};

// Reads a 3-D images file and a 1-D labels file. Throws InputError (besides read_idx's) when
// the ranks are wrong, the counts differ (naming both files and both counts), or a label is
// not below `classes`.
LabelledImages read_idx_images(const std::string& images_path, const std::string& labels_path,
                               std::size_t classes = 10);

}  // namespace ransim
