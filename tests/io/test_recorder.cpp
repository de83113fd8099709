// Recorder tests. Everything is read back with the HDF5 C API directly (an independent
// reader, not the Recorder), and once with h5py when it is installed.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/recorder.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"

using ransim::Recorder;
using ransim::RecorderOptions;

namespace {

// ---- an independent reader -------------------------------------------------------------

struct File {
  hid_t id;
  explicit File(const std::string& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {}
  ~File() {
    if (id >= 0) H5Fclose(id);
  }
};

// A file this process is recording: HDF5 refuses to open one file twice in a process with
// different file-locking settings, and the recorder turns locking off.
hid_t open_live(const std::string& path) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_file_locking(fapl, false, true);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  return f;
}

std::vector<hsize_t> dims_of(hid_t dset) {
  hid_t space = H5Dget_space(dset);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  H5Sclose(space);
  return dims;
}

template <class T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t mem_type,
                        std::vector<hsize_t>* dims = nullptr) {
  hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << path;
  if (d < 0) return {};
  auto ds = dims_of(d);
  std::size_t n = 1;
  for (auto x : ds) n *= x;
  std::vector<T> v(n);
  if (n) {
    EXPECT_GE(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0) << path;
  }
  H5Dclose(d);
  if (dims) *dims = ds;
  return v;
}

std::vector<double> read_doubles(hid_t f, const std::string& p, std::vector<hsize_t>* dims = nullptr) {
  return read_all<double>(f, p, H5T_NATIVE_DOUBLE, dims);
}

// A string from a scalar attribute or dataset, variable-length or fixed.
std::string read_string_from(hid_t obj, bool attribute) {
  hid_t ftype = attribute ? H5Aget_type(obj) : H5Dget_type(obj);
  EXPECT_EQ(H5Tget_class(ftype), H5T_STRING);
  std::string out;
  if (H5Tis_variable_str(ftype) > 0) {
    hid_t mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));  // HDF5 does not convert ASCII <-> UTF-8
    char* s = nullptr;
    herr_t rc = attribute ? H5Aread(obj, mtype, &s) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s);
    EXPECT_GE(rc, 0);
    if (s) out = s;
    H5free_memory(s);
    H5Tclose(mtype);
  } else {
    std::vector<char> buf(H5Tget_size(ftype) + 1, '\0');
    herr_t rc = attribute ? H5Aread(obj, ftype, buf.data())
                          : H5Dread(obj, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    EXPECT_GE(rc, 0);
    out = buf.data();
  }
  H5Tclose(ftype);
  return out;
}

std::string attr_string(hid_t file, const std::string& obj, const std::string& name) {
  hid_t a = H5Aopen_by_name(file, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(a, 0) << obj << " @" << name;
  if (a < 0) return "<missing>";
  std::string s = read_string_from(a, true);
  H5Aclose(a);
  return s;
}

template <class T> T attr_value(hid_t file, const std::string& obj, const std::string& name, hid_t mem_type) {
  T v{};
  hid_t a = H5Aopen_by_name(file, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(a, 0) << obj << " @" << name;
  if (a < 0) return v;
  EXPECT_GE(H5Aread(a, mem_type, &v), 0);
  H5Aclose(a);
  return v;
}
double attr_double(hid_t f, const std::string& o, const std::string& n) {
  return attr_value<double>(f, o, n, H5T_NATIVE_DOUBLE);
}
int attr_int(hid_t f, const std::string& o, const std::string& n) {
  return attr_value<int>(f, o, n, H5T_NATIVE_INT);
}

std::string dataset_string(hid_t file, const std::string& path) {
  hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << path;
  if (d < 0) return "<missing>";
  std::string s = read_string_from(d, false);
  H5Dclose(d);
  return s;
}

// ---- fixtures ------------------------------------------------------------------------------

// Value (t, i, j) of the test series: distinct and exactly representable.
double value(std::size_t t, std::size_t i, std::size_t j) { return 100.0 * t + 10.0 * i + j + 0.25; }

std::vector<double> sample(std::size_t t) {  // shape [2, 3], row-major
  std::vector<double> s;
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) s.push_back(value(t, i, j));
  return s;
}

const char* kState = "/processing/res/state";

class RecorderTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "ransim_recorder_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  // Forks; the child runs `body`, which must end in raise(SIGKILL) while its Recorder is
  // still alive (no destructors, no atexit handlers: what a killed run leaves behind).
  static void run_and_kill(const std::function<void()>& body) {
    std::fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        body();
      } catch (...) {
        _exit(3);
      }
      _exit(4);  // the body returned instead of killing itself
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
  }

  // The crash scenario: 10 samples flushed, 5 more appended, then SIGKILL.
  void make_killed_file(const std::string& path) {
    run_and_kill([&] {
      Recorder rec(RecorderOptions{path, 1e9, 4, 4});
      auto id = rec.add_series(kState, {2, 3}, "a.u.", "reservoir state", 1.0, 1.0);
      for (std::size_t t = 0; t < 10; ++t) rec.append(id, sample(t).data());
      rec.flush();
      for (std::size_t t = 10; t < 15; ++t) rec.append(id, sample(t).data());
      rec.maybe_flush();  // interval 1e9 s: must not write
      raise(SIGKILL);
    });
  }

  std::string dir_;
};

// ---- tests ---------------------------------------------------------------------------------

TEST_F(RecorderTest, SeriesRoundTrip) {
  const std::string path = file("series.h5");
  {
    Recorder rec(RecorderOptions{path, 2.0, 4, 256});
    EXPECT_EQ(rec.path(), path);
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "reservoir state", 0.5, 2.0);
    for (std::size_t t = 0; t < 3; ++t) rec.append(id, sample(t).data());
    rec.flush();
    for (std::size_t t = 3; t < 7; ++t) rec.append(id, sample(t).data());
    EXPECT_EQ(rec.samples(id), 7u);
    rec.finish(ransim::RunStatus::Complete);
  }
  File f(path);
  ASSERT_GE(f.id, 0);
  std::vector<hsize_t> dims;
  auto v = read_doubles(f.id, std::string(kState) + "/data", &dims);
  ASSERT_EQ(dims, (std::vector<hsize_t>{7, 2, 3}));
  for (std::size_t t = 0; t < 7; ++t)
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(v[(t * 2 + i) * 3 + j], value(t, i, j));

  // starting_time and rate.
  auto t0 = read_doubles(f.id, std::string(kState) + "/starting_time", &dims);
  EXPECT_TRUE(dims.empty());  // scalar
  ASSERT_EQ(t0.size(), 1u);
  EXPECT_EQ(t0[0], 0.5);
  EXPECT_EQ(attr_double(f.id, std::string(kState) + "/starting_time", "rate"), 2.0);
  EXPECT_EQ(attr_string(f.id, std::string(kState) + "/starting_time", "unit"), "seconds");

  // unit and description on the data and the group, NWB's conversion and resolution.
  const std::string data = std::string(kState) + "/data";
  EXPECT_EQ(attr_string(f.id, data, "unit"), "a.u.");
  EXPECT_EQ(attr_string(f.id, data, "description"), "reservoir state");
  EXPECT_EQ(attr_string(f.id, kState, "unit"), "a.u.");
  EXPECT_EQ(attr_string(f.id, kState, "description"), "reservoir state");
  EXPECT_EQ(attr_double(f.id, data, "conversion"), 1.0);
  EXPECT_EQ(attr_double(f.id, data, "resolution"), -1.0);
}

TEST_F(RecorderTest, SeriesStorageIsChunkedExtendibleCompressed) {
  const std::string path = file("storage.h5");
  {
    Recorder rec(RecorderOptions{path, 2.0, 4, 16});
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 0, 1);
    rec.add_series("/processing/plain/state", {5}, "", "", 0, 1);
    rec.append(id, sample(0).data());
    rec.finish(ransim::RunStatus::Complete);
  }
  File f(path);
  hid_t d = H5Dopen2(f.id, (std::string(kState) + "/data").c_str(), H5P_DEFAULT);
  ASSERT_GE(d, 0);
  hid_t space = H5Dget_space(d);
  hsize_t cur[3], max[3];
  ASSERT_EQ(H5Sget_simple_extent_dims(space, cur, max), 3);
  EXPECT_EQ(max[0], H5S_UNLIMITED);
  EXPECT_EQ(max[1], 2u);
  EXPECT_EQ(max[2], 3u);
  H5Sclose(space);
  hid_t dcpl = H5Dget_create_plist(d);
  EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
  hsize_t chunk[3];
  ASSERT_EQ(H5Pget_chunk(dcpl, 3, chunk), 3);
  EXPECT_EQ(chunk[0], 16u);
  EXPECT_EQ(chunk[1], 2u);
  EXPECT_EQ(chunk[2], 3u);
  bool deflate = false, shuffle = false;
  for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
    unsigned flags = 0, level = 0;
    size_t n = 1;
    H5Z_filter_t filter =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, &level, 0, nullptr, nullptr);
    if (filter == H5Z_FILTER_DEFLATE) {
      deflate = true;
      EXPECT_EQ(level, 4u);
    }
    if (filter == H5Z_FILTER_SHUFFLE) shuffle = true;
  }
  EXPECT_TRUE(deflate);
  EXPECT_TRUE(shuffle);
  H5Pclose(dcpl);
  H5Dclose(d);

  // An empty series is a valid [0, 5] dataset; no unit/description when none was given.
  std::vector<hsize_t> dims;
  read_doubles(f.id, "/processing/plain/state/data", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{0, 5}));
  EXPECT_EQ(H5Aexists_by_name(f.id, "/processing/plain/state/data", "unit", H5P_DEFAULT), 0);
}

TEST_F(RecorderTest, SmallDatasetsAndIntermediateGroups) {
  const std::string path = file("general.h5");
  {
    Recorder rec(RecorderOptions{path});
    rec.write_string("/general/scenario", "seed = 42\n[population.res]\nkind = \"leaky\"\n");
    rec.write_integer("/general/seed", 42);
    rec.write_string("/general/integrator/method", "euler");
    rec.write_scalar("/general/integrator/dt", 0.125);
    rec.write_scalar("/general/integrator/dt", 0.25);  // replaces the first
    rec.write_vector("/network/populations/res/bias", {1.5, -2.0, 0.0}, "a.u.", "bias");
    rec.set_attribute("/network/populations/res", "kind", "leaky");
    rec.set_attribute("/network/readout", "ridge", 1e-6);  // creates the group
    rec.set_attribute("/", "note", "root attribute");
    rec.finish(ransim::RunStatus::Complete);
  }
  File f(path);
  EXPECT_EQ(dataset_string(f.id, "/general/scenario"), "seed = 42\n[population.res]\nkind = \"leaky\"\n");
  auto seed = read_all<long long>(f.id, "/general/seed", H5T_NATIVE_LLONG);
  ASSERT_EQ(seed.size(), 1u);
  EXPECT_EQ(seed[0], 42);
  EXPECT_EQ(dataset_string(f.id, "/general/integrator/method"), "euler");
  EXPECT_EQ(read_doubles(f.id, "/general/integrator/dt"), std::vector<double>{0.25});
  EXPECT_EQ(read_doubles(f.id, "/network/populations/res/bias"), (std::vector<double>{1.5, -2.0, 0.0}));
  EXPECT_EQ(attr_string(f.id, "/network/populations/res/bias", "unit"), "a.u.");
  EXPECT_EQ(attr_string(f.id, "/network/populations/res", "kind"), "leaky");
  EXPECT_EQ(attr_double(f.id, "/network/readout", "ridge"), 1e-6);
  EXPECT_EQ(attr_string(f.id, "/", "note"), "root attribute");
}

TEST_F(RecorderTest, MatrixIsRowsByColumns) {
  const std::string path = file("matrix.h5");
  arma::mat m = {{1, 2, 3}, {4, 5, 6}};  // 2 x 3, not symmetric
  {
    Recorder rec(RecorderOptions{path});
    rec.write_matrix("/network/readout/weights", m, "", "readout weights");
    rec.finish(ransim::RunStatus::Complete);
  }
  File f(path);
  std::vector<hsize_t> dims;
  auto v = read_doubles(f.id, "/network/readout/weights", &dims);
  ASSERT_EQ(dims, (std::vector<hsize_t>{2, 3}));
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(v[i * 3 + j], m(i, j)) << i << "," << j;
  EXPECT_EQ(attr_string(f.id, "/network/readout/weights", "description"), "readout weights");
}

TEST_F(RecorderTest, CsrArrays) {
  const std::string path = file("csr.h5");
  // [[0, 0.5, 0, -1], [0, 0, 0, 0], [2, 0, 0, 0]]
  ransim::Csr w;
  w.rows = 3;
  w.cols = 4;
  w.row_ptr = {0, 2, 2, 3};
  w.col = {1, 3, 0};
  w.val = {0.5, -1.0, 2.0};
  {
    Recorder rec(RecorderOptions{path});
    rec.write_csr("/network/projections/res->res/weights", w, "recurrent weights");
    rec.set_attribute("/network/projections/res->res", "source", "res");
    rec.finish(ransim::RunStatus::Complete);
  }
  File f(path);
  const std::string g = "/network/projections/res->res/weights";
  EXPECT_EQ(read_doubles(f.id, g + "/data"), (std::vector<double>{0.5, -1.0, 2.0}));
  EXPECT_EQ(read_all<long long>(f.id, g + "/indices", H5T_NATIVE_LLONG), (std::vector<long long>{1, 3, 0}));
  EXPECT_EQ(read_all<long long>(f.id, g + "/indptr", H5T_NATIVE_LLONG), (std::vector<long long>{0, 2, 2, 3}));
  hid_t a = H5Aopen_by_name(f.id, g.c_str(), "shape", H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(a, 0);
  long long shape[2] = {0, 0};
  EXPECT_GE(H5Aread(a, H5T_NATIVE_LLONG, shape), 0);
  H5Aclose(a);
  EXPECT_EQ(shape[0], 3);
  EXPECT_EQ(shape[1], 4);
  EXPECT_EQ(attr_string(f.id, g, "description"), "recurrent weights");
  EXPECT_EQ(attr_string(f.id, "/network/projections/res->res", "source"), "res");
}

TEST_F(RecorderTest, StatusBeforeAndAfterFinish) {
  const std::string path = file("status.h5");
  Recorder rec(RecorderOptions{path});
  {
    // The recorder flushes after setup; the file (PATH.part until it ends) already says
    // "running" and incomplete.
    const hid_t live = open_live(ransim::partial_path(path));
    ASSERT_GE(live, 0);
    EXPECT_EQ(attr_int(live, "/", "complete"), 0);
    EXPECT_EQ(attr_string(live, "/", "status"), "running");
    EXPECT_EQ(attr_string(live, "/", "ransim_format"), "1");
    H5Fclose(live);
    EXPECT_FALSE(std::filesystem::exists(path));  // renamed into place only at the end
  }
  rec.finish(ransim::RunStatus::Complete);
  File f(path);
  EXPECT_EQ(attr_int(f.id, "/", "complete"), 1);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "complete");
  EXPECT_EQ(attr_string(f.id, "/", "ransim_format"), "1");
}

TEST_F(RecorderTest, OtherFinishStatusesAreIncomplete) {
  const std::string path = file("interrupted.h5");
  {
    Recorder rec(RecorderOptions{path});
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
    rec.append(id, sample(0).data());
    rec.finish(ransim::RunStatus::Interrupted);  // writes the buffered sample too
  }
  File f(path);
  EXPECT_EQ(attr_int(f.id, "/", "complete"), 0);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "interrupted");
  std::vector<hsize_t> dims;
  read_doubles(f.id, std::string(kState) + "/data", &dims);
  EXPECT_EQ(dims[0], 1u);
}

TEST_F(RecorderTest, DestructorWithoutFinishFlushesAndStaysRunning) {
  const std::string path = file("unfinished.h5");
  {
    Recorder rec(RecorderOptions{path});
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
    for (std::size_t t = 0; t < 3; ++t) rec.append(id, sample(t).data());
  }
  File f(path);
  std::vector<hsize_t> dims;
  auto v = read_doubles(f.id, std::string(kState) + "/data", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{3, 2, 3}));
  EXPECT_EQ(attr_int(f.id, "/", "complete"), 0);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "running");
}

TEST_F(RecorderTest, CallsAfterFinishAreErrors) {
  Recorder rec(RecorderOptions{file("after.h5")});
  auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
  rec.finish(ransim::RunStatus::Complete);
  EXPECT_THROW(rec.append(id, sample(0).data()), ransim::RunError);
  EXPECT_THROW(rec.flush(), ransim::RunError);
  EXPECT_THROW(rec.write_scalar("/x", 1.0), ransim::RunError);
  EXPECT_THROW(rec.finish(ransim::RunStatus::Complete), ransim::RunError);
}

TEST_F(RecorderTest, MaybeFlushHonoursTheInterval) {
  const std::string path = file("maybe.h5");
  run_and_kill([&] {
    Recorder rec(RecorderOptions{path, 0.0, 4, 256});  // interval 0: every call flushes
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
    for (std::size_t t = 0; t < 4; ++t) rec.append(id, sample(t).data());
    rec.maybe_flush();
    raise(SIGKILL);
  });
  File f(ransim::partial_path(path));  // a killed run leaves PATH.part
  ASSERT_GE(f.id, 0);
  std::vector<hsize_t> dims;
  read_doubles(f.id, std::string(kState) + "/data", &dims);
  EXPECT_EQ(dims[0], 4u);
}

TEST_F(RecorderTest, MaybeFlushWritesOnceABufferHoldsFlushBytes) {
  // flush_bytes = 3 samples of 2 x 3 doubles, interval 1e9 s: after the first sample (which
  // is flushed at once), only a full buffer flushes. Flushed at 2 more samples (too early),
  // the file would hold 3; never flushed again, 1.
  const std::string path = file("full.h5");
  run_and_kill([&] {
    Recorder rec(RecorderOptions{path, 1e9, 4, 256, 3 * 6 * sizeof(double)});  // 4: gzip level
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
    for (std::size_t t = 0; t < 5; ++t) {
      rec.append(id, sample(t).data());
      rec.maybe_flush();  // the first sample at once, then full after the fourth
    }
    raise(SIGKILL);
  });
  File f(ransim::partial_path(path));
  ASSERT_GE(f.id, 0);
  std::vector<hsize_t> dims;
  auto v = read_doubles(f.id, std::string(kState) + "/data", &dims);
  ASSERT_EQ(dims, (std::vector<hsize_t>{4, 2, 3}));
  EXPECT_EQ(v[3 * 6 + 5], value(3, 1, 2));
}

TEST_F(RecorderTest, KilledRunKeepsEverythingUpToTheLastFlush) {
  const std::string path = file("killed.h5");
  make_killed_file(path);
  EXPECT_FALSE(std::filesystem::exists(path));  // never renamed into place
  File f(ransim::partial_path(path));           // opens without h5clear
  ASSERT_GE(f.id, 0);
  std::vector<hsize_t> dims;
  auto v = read_doubles(f.id, std::string(kState) + "/data", &dims);
  ASSERT_EQ(dims, (std::vector<hsize_t>{10, 2, 3}));
  for (std::size_t t = 0; t < 10; ++t)
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(v[(t * 2 + i) * 3 + j], value(t, i, j));
  EXPECT_EQ(attr_int(f.id, "/", "complete"), 0);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "running");
}

TEST_F(RecorderTest, KilledFileOpensInH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with h5py is not available";
  const std::string path = file("killed_py.h5");
  make_killed_file(path);
  const std::string cmd =
      "/usr/bin/python3 -c \""
      "import sys, h5py\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "d = f['/processing/res/state/data']\n"
      "s = f.attrs['status']\n"
      "print(d.shape, int(f.attrs['complete']), s, type(s).__name__, d.attrs['unit'])\n"
      "\" '" +
      ransim::partial_path(path) + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out, "(10, 2, 3) 0 running str a.u.\n");
}

TEST_F(RecorderTest, MissingDirectoryIsAnInputErrorNamingThePath) {
  const std::string path = file("no/such/dir/run.h5");
  try {
    Recorder rec(RecorderOptions{path});
    FAIL() << "expected InputError";
  } catch (const ransim::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot create recording '" + path + "'"), std::string::npos) << msg;
  }
}

TEST_F(RecorderTest, HdfFailureDuringARunIsARunErrorNamingThePath) {
  Recorder rec(RecorderOptions{file("clash.h5")});
  rec.write_scalar("/general/seed", 1.0);
  // A group below a dataset cannot exist.
  try {
    rec.add_series("/general/seed/state", {2}, "", "", 0, 1);
    FAIL() << "expected RunError";
  } catch (const ransim::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("/general/seed/state"), std::string::npos) << e.what();
  }
}

// ---- the file on disk: PATH.part, the rename, the lock, a full disk ------------------------

// A finished recording of `path` holding `rows` samples of the test series.
void write_recording(const std::string& path, std::size_t rows, bool overwrite = true) {
  RecorderOptions o{path};
  o.overwrite = overwrite;
  Recorder rec(o);
  auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
  for (std::size_t t = 0; t < rows; ++t) rec.append(id, sample(t).data());
  rec.finish(ransim::RunStatus::Complete);
}

hsize_t rows_in(const std::string& path) {
  File f(path);
  if (f.id < 0) return 0;
  std::vector<hsize_t> dims;
  read_doubles(f.id, std::string(kState) + "/data", &dims);
  return dims.empty() ? 0 : dims[0];
}

TEST_F(RecorderTest, AnExistingRecordingStaysWholeUntilTheNewOneIsFinished) {
  const std::string path = file("keep.h5");
  write_recording(path, 5);
  {
    Recorder rec(RecorderOptions{path});  // overwrite: replaces it, but only at the end
    auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
    rec.append(id, sample(0).data());
    rec.flush();
    EXPECT_EQ(rows_in(path), 5u);
    File old(path);
    EXPECT_EQ(attr_string(old.id, "/", "status"), "complete");
    rec.finish(ransim::RunStatus::Complete);
  }
  EXPECT_EQ(rows_in(path), 1u);
  EXPECT_FALSE(std::filesystem::exists(ransim::partial_path(path)));
}

// The issue's reproducer: a second run with the same --out truncated the first's file.
TEST_F(RecorderTest, ASecondRecorderOfTheSamePathIsRefusedAndDamagesNothing) {
  const std::string path = file("twice.h5");
  Recorder first(RecorderOptions{path});
  auto id = first.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
  for (std::size_t t = 0; t < 3; ++t) first.append(id, sample(t).data());
  first.flush();
  try {
    Recorder second(RecorderOptions{path});
    FAIL() << "expected RunError";
  } catch (const ransim::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("another run is writing it now"), std::string::npos) << e.what();
  }
  first.append(id, sample(3).data());
  first.finish(ransim::RunStatus::Complete);
  EXPECT_EQ(rows_in(path), 4u);
  File f(path);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "complete");
}

TEST_F(RecorderTest, WithoutOverwriteAnExistingFileIsRefusedUntouched) {
  const std::string path = file("exists.h5");
  write_recording(path, 2);
  try {
    write_recording(path, 7, false);
    FAIL() << "expected InputError";
  } catch (const ransim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already exists; pass --overwrite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rows_in(path), 2u);
  EXPECT_FALSE(std::filesystem::exists(ransim::partial_path(path)));
}

TEST_F(RecorderTest, APartFileLeftByAKilledRunIsKeptWithoutOverwrite) {
  const std::string path = file("stale.h5");
  make_killed_file(path);
  EXPECT_THROW(write_recording(path, 1, false), ransim::InputError);
  EXPECT_EQ(rows_in(ransim::partial_path(path)), 10u);  // the killed run's samples
  write_recording(path, 1, true);                       // --overwrite takes it over
  EXPECT_EQ(rows_in(path), 1u);
}

TEST_F(RecorderTest, ADeviceIsNotARecordingTarget) {
  EXPECT_THROW(ransim::check_recording_target("/dev/null", true), ransim::RunError);
  EXPECT_THROW(ransim::check_recording_target(dir_, true), ransim::InputError);
}

// Another process opens the live file with HDF5's default settings (file locking on), as
// h5py does: the recorder holds no HDF5 lock. (A forked child would share this process's
// HDF5 state, so the reader is a fresh python3.)
TEST_F(RecorderTest, ALiveRecordingOpensInH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with h5py is not available";
  const std::string path = file("live.h5");
  Recorder rec(RecorderOptions{path});
  auto id = rec.add_series(kState, {2, 3}, "a.u.", "state", 1, 1);
  for (std::size_t t = 0; t < 6; ++t) rec.append(id, sample(t).data());
  rec.flush();
  const std::string cmd =
      "env -u HDF5_USE_FILE_LOCKING /usr/bin/python3 -c \""
      "import sys, h5py\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "print(f['/processing/res/state/data'].shape, f.attrs['status'])\n"
      "\" '" +
      ransim::partial_path(path) + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out, "(6, 2, 3) running\n");
  rec.finish(ransim::RunStatus::Complete);
}

// A full disk, made by a file-size limit (RLIMIT_FSIZE: write() then fails as on a full
// disk, without a mount): the failed flush is a RunError naming the reason, finish() marks
// the file "failed" and renames it into place, and the process ends normally (HDF5's exit
// handlers used to crash on the file left half-flushed).
TEST_F(RecorderTest, AFullDiskEndsTheRecordingAsFailedWithoutACrash) {
  const std::string path = file("full_disk.h5");
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    int code = 20;
    {
      Recorder rec(RecorderOptions{path, 1e9, 0, 64});  // no compression: the size is the data
      auto id = rec.add_series(kState, {64, 64}, "a.u.", "state", 1, 1);
      rec.flush();
      struct rlimit limit {};
      limit.rlim_cur = limit.rlim_max =
          static_cast<rlim_t>(std::filesystem::file_size(ransim::partial_path(path))) + (6 << 20);
      setrlimit(RLIMIT_FSIZE, &limit);
      std::vector<double> big(64 * 64, 1.5);
      try {
        for (int t = 0; t < 100000; ++t) {
          rec.append(id, big.data());
          if (t % 16 == 15) rec.flush();
        }
      } catch (const ransim::RunError& e) {
        code = std::string(e.what()).find("File too large") != std::string::npos ? 0 : 21;
      }
      if (!rec.broken()) code = 22;
      try {
        rec.write_scalar("/analysis/metrics/x", 1.0);  // refused: nothing after a failed write
        code = 23;
      } catch (const ransim::RunError&) {
      }
      try {
        rec.finish(ransim::RunStatus::Failed);
      } catch (const ransim::RunError&) {
        code = code ? code : 24;
      }
    }
    std::exit(code);  // runs HDF5's exit handlers
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0) << "21: wrong reason, 22: not broken, 23: wrote after, 24: finish threw";
  File f(path);
  ASSERT_GE(f.id, 0);
  EXPECT_EQ(attr_string(f.id, "/", "status"), "failed");
  EXPECT_EQ(attr_int(f.id, "/", "complete"), 0);
  EXPECT_EQ(H5Lexists(f.id, "/analysis", H5P_DEFAULT), 0);
  EXPECT_GT(rows_in(path), 0u);
}

// Issue reproducer: an unreadable weights file was "not an HDF5 file". The read runs in a
// child that is not root (root reads every file).
TEST_F(RecorderTest, AnUnreadableFileSaysPermissionDenied) {
  const std::string path = file("weights.h5");
  write_recording(path, 1);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
  std::filesystem::permissions(path, std::filesystem::perms::none);
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && setuid(65534) != 0) _exit(3);
    try {
      ransim::read_hdf5_array(path, std::string(kState) + "/data");
    } catch (const ransim::InputError& e) {
      const std::string msg = e.what();
      std::fprintf(stderr, "%s\n", msg.c_str());
      _exit(msg.rfind(path + ": ", 0) == 0 &&
                    msg.find("cannot open the file: Permission denied") != std::string::npos
                ? 0
                : 2);
    }
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: read it, 2: another message, 3: setuid failed";
}

}  // namespace
