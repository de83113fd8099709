// Reproducers found while writing fuzz/fuzz_weights (fuzz/README.md): reads of one value (a
// string dataset, a string or integer attribute) from an object holding several overflowed
// the one-element buffer they read into (AddressSanitizer: stack-buffer-overflow in H5Dread).
// They are no answer now, as a missing object is; one element still reads.
#include <hdf5.h>

#include <cstdint>
#include <string>

#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"

#include "io/hdf5_file.hpp"
#include "support/test_support.hpp"

namespace {

using ransim::Hdf5File;

// A file with dataset `name` of `count` fixed-length strings of 8 characters, carrying a
// string attribute "status" and an int64 attribute "lanes" of `count` elements each.
std::string write_strings(const std::string& path, const std::string& name, hsize_t count) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 8);
  const hid_t space = H5Screate_simple(1, &count, nullptr);
  const std::string text = std::string("abcdefghijklmnopqrstuvwx").substr(0, 8 * count);
  const hid_t d = H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
  const hid_t status = H5Acreate2(d, "status", type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(status, type, text.data());
  const std::int64_t lanes[3] = {4, 5, 6};
  const hid_t ints = H5Acreate2(d, "lanes", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(ints, H5T_NATIVE_INT64, lanes);
  for (hid_t a : {status, ints}) H5Aclose(a);
  H5Dclose(d);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(f);
  return path;
}

TEST(Hdf5Read, SingleValueReadsRefuseSeveralElements) {
  const Hdf5File f(write_strings(ransim::test::tmp_path("three.h5"), "s", 3));
  EXPECT_FALSE(f.string_dataset("s").has_value());
  EXPECT_FALSE(f.string_attribute("s", "status").has_value());
  EXPECT_FALSE(f.integer_attribute("s", "lanes").has_value());
  EXPECT_EQ(f.shape("s"), std::vector<std::size_t>{3});
}

TEST(Hdf5Read, SingleValueReadsReadOneElement) {
  const Hdf5File f(write_strings(ransim::test::tmp_path("one.h5"), "s", 1));
  EXPECT_EQ(f.string_dataset("s"), "abcdefgh");
  EXPECT_EQ(f.string_attribute("s", "status"), "abcdefgh");
  EXPECT_EQ(f.integer_attribute("s", "lanes"), 4);
}

// A chunked dataset of 2^40 values never written: the file is a few kB, the values would
// take 8 TB. Found by fuzz_weights as an out-of-memory in read_hdf5_array (a mutated shape).
TEST(Hdf5Read, ADatasetLargerThanMemoryIsRefusedBeforeAllocating) {
  const std::string path = ransim::test::tmp_path("huge.h5");
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims = hsize_t{1} << 40, chunk = 1024;
  const hid_t space = H5Screate_simple(1, &dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  H5Dclose(H5Dcreate2(f, "w", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  try {
    ransim::read_hdf5_array(path, "w");
    FAIL() << "no error";
  } catch (const ransim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset 'w': shape [1099511627776] needs"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("of this machine's memory"), std::string::npos) << e.what();
  }
}

}  // namespace
