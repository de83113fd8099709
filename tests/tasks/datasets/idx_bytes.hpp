#pragma once
// IDX files built byte by byte for the tests (the format: http://yann.lecun.com/exdb/mnist/,
// "FILE FORMATS"): the IDX reader's tests and the image tasks' tests share it.
#include <cstdint>
#include <vector>

namespace ransim::test {

using Bytes = std::vector<std::uint8_t>;

// An IDX file: magic 00 00 TYPE RANK, big-endian 32-bit dims, then `data` as given.
inline Bytes idx_bytes(const std::vector<std::uint32_t>& shape, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<std::uint8_t>(shape.size())};
  for (std::uint32_t d : shape)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

}  // namespace ransim::test
