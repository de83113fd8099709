// Writes the seed corpora of the fuzz targets (fuzz/README.md) into OUT/<target>/:
//
//   make_seeds OUT SCENARIO_OR_TEST_FILE...
//
// scenario, compare: every .toml file given, and every raw string literal R"(...)" in the
// given C++ test files that looks like one (a compare config has [model.*] tables), each
// also with overrides after the "#--set" marker; idx: small IDX files, plain and gzip;
// weights: small HDF5 files of the shapes, types and layouts weight files and recordings use.
#include <hdf5.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The raw string literals R"(...)" of a C++ source.
std::vector<std::string> raw_strings(const std::string& source) {
  std::vector<std::string> out;
  for (std::size_t at = source.find("R\"("); at != std::string::npos; at = source.find("R\"(", at)) {
    const std::size_t end = source.find(")\"", at + 3);
    if (end == std::string::npos) break;
    out.push_back(source.substr(at + 3, end - at - 3));
    at = end + 2;
  }
  return out;
}

bool is_compare(const std::string& text) { return text.find("[model.") != std::string::npos; }
bool is_scenario(const std::string& text) {
  return text.find("population") != std::string::npos || text.find("[task]") != std::string::npos;
}

void write_tomls(const fs::path& out, const std::vector<std::string>& inputs) {
  int n = 0;
  const std::string scenario_sets = "#--set\nsimulation.dt=0.5\nreadout.ridge=1e-6\nseed=3\n";
  const std::string compare_sets = "#--set\nreadout.ridge=1e-6\nsimulation.lanes=2\n";
  for (const auto& file : inputs) {
    std::vector<std::string> texts;
    if (fs::path(file).extension() == ".toml") texts.push_back(read(file));
    else texts = raw_strings(read(file));
    for (const auto& text : texts) {
      const std::string name = std::to_string(n++);
      if (is_compare(text)) {
        write(out / "compare" / (name + ".toml"), text);
        write(out / "compare" / (name + "_sets.toml"), text + "\n" + compare_sets);
        write(out / "compare" / (name + "_quick.toml"), "#quick\n" + text);
      } else if (is_scenario(text)) {
        write(out / "scenario" / (name + ".toml"), text);
        write(out / "scenario" / (name + "_sets.toml"), text + "\n" + scenario_sets);
      }
    }
  }
}

std::string idx(const std::vector<std::uint32_t>& shape) {
  std::string b{'\0', '\0', '\x08', static_cast<char>(shape.size())};
  std::size_t total = 1;
  for (auto d : shape) {
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((d >> s) & 0xff);
    total *= d;
  }
  for (std::size_t i = 0; i < total; ++i) b += static_cast<char>(i * 37 % 256);
  return b;
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write_idx(const fs::path& dir) {
  const std::string images = idx({3, 4, 5}), labels = idx({3});
  write(dir / "images-idx3-ubyte", images);
  write(dir / "labels-idx1-ubyte", labels);
  write(dir / "images-idx3-ubyte.gz", gzip(images));
  write(dir / "labels-idx1-ubyte.gz", gzip(labels));
  write(dir / "two-members.gz", gzip(images.substr(0, 10)) + gzip(images.substr(10)));
  write(dir / "idx2", idx({2, 7}));
  write(dir / "idx4.gz", gzip(idx({2, 2, 3, 2})));
}

// One dataset `name` of `dims` (values 0.5 i) in a new file, with a property list `dcpl`.
void h5_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims, hid_t type,
                hid_t dcpl = H5P_DEFAULT) {
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  std::vector<double> v(n);
  for (hsize_t i = 0; i < n; ++i) v[i] = 0.5 * static_cast<double>(i);
  const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t d = H5Dcreate2(file, name.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(d);
  H5Pclose(lcpl);
  H5Sclose(space);
}

void write_hdf5(const fs::path& dir) {
  auto create = [&](const char* name) {
    return H5Fcreate((dir / name).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  };
  hid_t f = create("matrix.h5");
  h5_dataset(f, "w", {2, 3}, H5T_IEEE_F64LE);
  h5_dataset(f, "g/w", {4}, H5T_IEEE_F32BE);
  H5Fclose(f);

  f = create("chunked.h5");  // chunked, shuffled, deflated, as the recorder writes
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[3] = {2, 2, 2};
  H5Pset_chunk(dcpl, 3, chunk);
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, 4);
  h5_dataset(f, "w", {3, 4, 2}, H5T_STD_I32LE, dcpl);
  H5Pclose(dcpl);
  const hid_t dcpl2 = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk2[2] = {2, 2};
  H5Pset_chunk(dcpl2, 2, chunk2);
  H5Pset_fletcher32(dcpl2);
  h5_dataset(f, "g/w", {5, 2}, H5T_IEEE_F64LE, dcpl2);
  H5Pclose(dcpl2);
  H5Fclose(f);

  f = create("scalar_and_links.h5");
  h5_dataset(f, "w", {}, H5T_STD_U8LE);
  H5Lcreate_soft("/nowhere", f, "g_dangling", H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Lcreate_soft("/w", f, "g/w", H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);

  f = create("strings.h5");  // a string dataset and attributes, as a recording's metadata
  const hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, H5T_VARIABLE);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t s = H5Dcreate2(f, "g/s", str, scalar, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  const char* text = "seed = 1";
  H5Dwrite(s, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text);
  const hid_t a = H5Acreate2(s, "status", str, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const char* status = "completed";
  H5Awrite(a, str, &status);
  H5Aclose(a);
  const hid_t lanes = H5Acreate2(s, "lanes", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const std::int64_t two = 2;
  H5Awrite(lanes, H5T_NATIVE_INT64, &two);
  H5Aclose(lanes);
  H5Dclose(s);
  // Fixed-length strings and integers, three of each: a reader of one value must refuse them.
  const hid_t fixed = H5Tcopy(H5T_C_S1);
  H5Tset_size(fixed, 4);
  const hsize_t three = 3;
  const hid_t space3 = H5Screate_simple(1, &three, nullptr);
  const hid_t s3 = H5Dcreate2(f, "s3", fixed, space3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(s3, fixed, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdefghijkl");
  const hid_t status3 = H5Acreate2(s3, "status", fixed, space3, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(status3, fixed, "abcdefghijkl");
  const std::int64_t ints[3] = {1, 2, 3};
  const hid_t lanes3 = H5Acreate2(s3, "lanes", H5T_STD_I64LE, space3, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(lanes3, H5T_NATIVE_INT64, ints);
  for (hid_t id : {status3, lanes3}) H5Aclose(id);
  H5Dclose(s3);
  H5Sclose(space3);
  H5Tclose(fixed);
  const hid_t null_space = H5Screate(H5S_NULL);
  H5Dclose(H5Dcreate2(f, "w", H5T_IEEE_F64LE, null_space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Sclose(null_space);
  H5Pclose(lcpl);
  H5Sclose(scalar);
  H5Tclose(str);
  H5Fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_seeds OUT [SCENARIO_OR_TEST_FILE...]\n";
    return 2;
  }
  const fs::path out = argv[1];
  for (const char* target : {"scenario", "compare", "idx", "weights"}) fs::create_directories(out / target);
  write_tomls(out, std::vector<std::string>(argv + 2, argv + argc));
  write_idx(out / "idx");
  write_hdf5(out / "weights");
  return 0;
}
