#pragma once
// Reading arrays from HDF5 files (weights trained elsewhere, recordings).
#include <cstddef>
#include <string>
#include <vector>

namespace ransim {

// A dataset of any rank, converted to double, in row-major (C) order.
struct Array {
  std::vector<std::size_t> shape;
  std::vector<double> values;
};

// Throws InputError naming the file and the dataset when either is missing or unreadable.
Array read_hdf5_array(const std::string& file, const std::string& dataset);

}  // namespace ransim
