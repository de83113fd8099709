// task.kind = "file" run bounded (docs/tasks.md, "Memory"): `ransim run` reads the stream a
// piece at a time and keeps the ridge readout's statistics instead of every token's features.
// Its metrics are those of the whole run on the same data generated inside ransim (the test
// part's to rounding, the train and validation parts' from the statistics); an interrupted
// run leaves a valid recording; 10^7 samples run with peak memory below twice what the
// network and the readout's statistics need.
#include <hdf5.h>
#include <malloc.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>

#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "ransim/error.hpp"
#include "ransim/hdf5_read.hpp"
#include "run/resources.hpp"
#include "run/run.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "tasks/tasks.hpp"

namespace {

// Writes datasets /u and /y, [rows, 1] each, to a new HDF5 file, `block` rows at a time:
// value(k, u, y) fills row k.
std::string write_stream(const std::string& name, hsize_t rows,
                         const std::function<void(hsize_t, double&, double&)>& value) {
  const std::string path = ransim::test::tmp_path(name);
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[2] = {rows, 1}, block = std::min<hsize_t>(rows, 1 << 16);
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t u = H5Dcreate2(f, "/u", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t y = H5Dcreate2(f, "/y", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<double> ub(block), yb(block);
  for (hsize_t r0 = 0; r0 < rows; r0 += block) {
    const hsize_t n = std::min(block, rows - r0), start[2] = {r0, 0}, count[2] = {n, 1};
    for (hsize_t i = 0; i < n; ++i) value(r0 + i, ub[i], yb[i]);
    const hid_t mem = H5Screate_simple(2, count, nullptr);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    H5Dwrite(u, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, ub.data());
    H5Dwrite(y, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, yb.data());
    H5Sclose(mem);
  }
  H5Dclose(u);
  H5Dclose(y);
  H5Sclose(space);
  H5Fclose(f);
  return path;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

const char* kReservoir =
    "[population.res]\nkind = \"leaky\"\nsize = 30\ntau = 1.5\n"
    "[[projection]]\nfrom = \"res\"\nto = \"res\"\nspectral_radius = 0.9\n"
    "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n";

const char* kProtocol = "warmup = 50\ntrain = 2000\nvalidation = 500\ntest = 1500\n";

// Mackey-Glass as a session generates it (seed 3), written as the file /u, /y.
std::string mackey_glass_file(const std::string& name) {
  const auto mg =
      ransim::find_task("mackey_glass")
          ->create(
              ransim::parse_scenario(
                  std::string("seed = 3\n[task]\nkind = \"mackey_glass\"\n") + kProtocol + kReservoir, "<mg>")
                  .task);
  ransim::Rng rng = ransim::make_rng(3, "task");
  const ransim::Sequences s = mg->generate(1, rng);
  return write_stream(name, s.steps, [&](hsize_t k, double& u, double& y) {
    u = s.input[k];
    y = s.target[k];
  });
}

std::string file_scenario(const std::string& path, const std::string& readout) {
  return "seed = 3\n[task]\nkind = \"file\"\ninput = \"" + path +
         "\"\ninput_dataset = \"/u\"\ntarget_dataset = \"/y\"\n" + kProtocol + kReservoir + "[readout]\n" +
         readout;
}

TEST(FileStream, BoundedRunScoresWhatTheGeneratedTaskScores) {
  // The whole run of the generated task (every token's features kept) against `ransim run` of
  // the same data from a file (bounded), with lambda chosen on the validation part.
  const std::string path = mackey_glass_file("mg.h5");
  const std::string readout = "ridge = \"auto\"\n";
  const auto whole =
      ransim::run(ransim::parse_scenario(std::string("seed = 3\n[task]\nkind = \"mackey_glass\"\n") +
                                             kProtocol + kReservoir + "[readout]\n" + readout,
                                         "<mg>"),
                  {});
  const auto bounded = ransim::run(ransim::parse_scenario(file_scenario(path, readout), "<file>"), {});
  ASSERT_EQ(bounded.status, ransim::RunStatus::Complete) << bounded.message;
  EXPECT_EQ(bounded.metrics.at("ridge_selected"), whole.metrics.at("ridge_selected"));
  // The fit differs only in how the sums were blocked (rounding, amplified by the condition of
  // X^T X + lambda I at the lambda chosen); the test part is predicted per block.
  EXPECT_LT(rel(bounded.metrics.at("nrmse_test"), whole.metrics.at("nrmse_test")), 1e-8);
  // sum y^2 - 2 w.X^T y + w.X^T X w: rounding relative to sum y^2, ~1e-16 / nrmse^2.
  for (const char* m : {"nrmse_train", "nrmse_validation"})
    EXPECT_LT(rel(bounded.metrics.at(m), whole.metrics.at(m)), 1e-5) << m;
  EXPECT_LT(bounded.metrics.at("nrmse_test"), 0.05);
  std::cout << "nrmse_test whole " << whole.metrics.at("nrmse_test") << ", bounded "
            << bounded.metrics.at("nrmse_test") << " (relative difference "
            << rel(bounded.metrics.at("nrmse_test"), whole.metrics.at("nrmse_test")) << ")\n";
}

TEST(FileStream, InterruptedBoundedRunLeavesAValidRecording) {
  // Ctrl-C 700 tokens into the test part (blocks of 512): the recording says "interrupted" and
  // holds the input and target of every token done, the readout weights and the readout output
  // of the 700 test tokens, the same as a whole session's complete run gives for them.
  const std::string path = mackey_glass_file("mg_stop.h5");
  const ransim::Scenario sc = ransim::parse_scenario(file_scenario(path, "ridge = 1e-6\n"), "<file>");
  const std::size_t fit_at = 50 + 2000 + 500, stop_at = fit_at + 700;
  const std::string a = ransim::test::tmp_path("bounded.h5"), b = ransim::test::tmp_path("whole.h5");
  {
    std::atomic<int> stop{0};
    ransim::Session s(sc, ransim::SessionOptions{a, "test", &stop, true});
    EXPECT_TRUE(s.bounded());
    while (s.token() < stop_at) s.step();
    stop = 2;
    EXPECT_FALSE(s.step());
    s.finish();
    EXPECT_EQ(s.status(), ransim::RunStatus::Interrupted);
  }
  {
    ransim::Session s(sc, ransim::SessionOptions{b, "test", nullptr, false});
    EXPECT_FALSE(s.bounded());
    while (s.step()) {
    }
    s.finish();
    EXPECT_EQ(s.status(), ransim::RunStatus::Complete);
  }
  const ransim::Hdf5File f(a);
  EXPECT_EQ(f.string_attribute(ransim::layout::kRoot, ransim::layout::kStatus).value_or("?"), "interrupted");
  EXPECT_EQ(ransim::read_hdf5_array(a, "/acquisition/target/data").shape[0], stop_at);
  const std::string output = std::string(ransim::layout::analysis::kReadoutOutput) + "/data";
  const auto part = ransim::read_hdf5_array(a, output), whole = ransim::read_hdf5_array(b, output);
  ASSERT_EQ(part.shape[0], 700u);
  const std::vector<double> same(whole.values.begin() + fit_at, whole.values.begin() + stop_at);
  EXPECT_LT(ransim::test::rel_dev(part.values, same), 1e-9);
  const auto w = ransim::read_hdf5_array(a, ransim::layout::network::kReadoutWeights);
  EXPECT_LT(ransim::test::rel_dev(
                w.values, ransim::read_hdf5_array(b, ransim::layout::network::kReadoutWeights).values),
            1e-6);
}

TEST(FileStream, ContiguousDatasetsReadWithoutHdf5AsHdf5ConvertsThem) {
  // A contiguous dataset is read at its byte offset and converted by the task (no HDF5 cache
  // held open); every stored type must give the doubles HDF5's own conversion (H5Dread into
  // native double) gives, and so must a chunked dataset, which HDF5 still reads. Columns 1..2
  // of [rows, 3] inputs, rows from `start` on.
  const std::string path = ransim::test::tmp_path("types.h5");
  const hsize_t rows = 300, dims[2] = {rows, 3};
  std::vector<double> written(rows * 3);
  for (std::size_t i = 0; i < written.size(); ++i)
    written[i] = static_cast<double>(i % 200) - 90.25 * (i % 2);
  const std::vector<std::pair<std::string, hid_t>> types = {
      {"/f64le", H5T_IEEE_F64LE},  {"/f64be", H5T_IEEE_F64BE}, {"/f32le", H5T_IEEE_F32LE},
      {"/f32be", H5T_IEEE_F32BE},  {"/i8", H5T_STD_I8LE},      {"/u8", H5T_STD_U8LE},
      {"/i16be", H5T_STD_I16BE},   {"/u32le", H5T_STD_U32LE},  {"/i64be", H5T_STD_I64BE},
      {"/chunked", H5T_IEEE_F32BE}};
  {
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t chunked = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[2] = {64, 3};
    H5Pset_chunk(chunked, 2, chunk);
    H5Pset_deflate(chunked, 4);
    for (auto& [name, type] : types) {
      const hid_t d = H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT,
                                 name == "/chunked" ? chunked : H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, written.data());  // clipped to the type
      H5Dclose(d);
    }
    H5Pclose(chunked);
    H5Sclose(space);
    H5Fclose(f);
  }
  for (auto& [name, type] : types) {
    const ransim::Array stored = ransim::read_hdf5_array(path, name);  // HDF5's conversion
    const auto task = ransim::find_task("file")->create(
        ransim::parse_scenario("[task]\nkind = \"file\"\ninput = \"" + path + "\"\ninput_dataset = \"" +
                                   name +
                                   "\"\ntarget_dataset = \"/f64le\"\ninput_columns = \"1:3\"\n"
                                   "target_columns = \"0\"\nstart = 7\ntrain = 200\ntest = 50\n"
                                   "[population.res]\nkind = \"leaky\"\nsize = 2\n",
                               "<types>")
            .task);
    const ransim::Sequences s = task->read(13, 230, 1);
    ASSERT_EQ(s.input.size(), 2u * 230) << name;
    for (std::size_t k = 0; k < 230; ++k)
      for (std::size_t c = 0; c < 2; ++c)
        ASSERT_EQ(s.input[k * 2 + c], stored.values[(7 + 13 + k) * 3 + 1 + c]) << name << " row " << k;
    EXPECT_EQ(s.target[0], written[(7 + 13) * 3]) << name;
  }
}

TEST(FileStream, MemoryCheckEstimatesTheBoundedRun) {
  // 10^10 rows declared in an HDF5 file and never written (the task reads only the shape when
  // it opens, and the file stays small), through 1000 units: every token's features would be
  // 10^10 x 1001 x 8 bytes, more than any machine has; the bounded run holds the statistics,
  // the fit's system and one block, each about 1001^2 x 8 bytes.
  const std::string path = ransim::test::tmp_path("declared.h5");
  {
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[2] = {10'000'000'000ull, 1};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    for (const char* name : {"/u", "/y"})
      H5Dclose(H5Dcreate2(f, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
    H5Fclose(f);
  }
  auto scenario = [&](const std::string& readout) {
    return ransim::parse_scenario("[task]\nkind = \"file\"\ninput = \"" + path +
                                      "\"\ninput_dataset = \"/u\"\ntarget_dataset = \"/y\"\n"
                                      "[population.res]\nkind = \"leaky\"\nsize = 1000\n"
                                      "[[projection]]\nfrom = \"input\"\nto = \"res\"\n[readout]\n" +
                                      readout,
                                  "declared.toml");
  };
  const ransim::Scenario ridge = scenario("ridge = 1e-6\n"), rls = scenario("kind = \"rls\"\n");
  const double features = 1001, square = 8 * features * features;
  EXPECT_GE(ransim::estimate_memory(ridge, true), 3 * square);
  EXPECT_LT(ransim::estimate_memory(ridge, true), 5 * square);
  EXPECT_NO_THROW(ransim::check_memory(ridge, true));
  // Held whole (a session stepped by the GUI or from Python), and rls, which never runs
  // bounded: refused before anything is built.
  EXPECT_GE(ransim::estimate_memory(ridge), 8 * 1e10 * features);
  EXPECT_THROW(ransim::check_memory(ridge), ransim::InputError);
  EXPECT_THROW(ransim::check_memory(rls, true), ransim::InputError);
  EXPECT_THROW(ransim::Session(ridge, ransim::SessionOptions{}), ransim::InputError);
}

TEST(FileStream, SlowTenMillionSamplesRunInBoundedMemory) {
  // 10^7 rows (153 MiB of float64 input and target): a quasi-periodic signal, the target its
  // next value. A short run first loads the libraries' code and caches, malloc_trim returns
  // what it freed; the peak is then reset (/proc/self/clear_refs 5) and measured over the long
  // run against the resident size before it.
  const hsize_t rows = 10'000'000;
  auto signal = [](hsize_t k) { return std::sin(0.05 * double(k)) + 0.5 * std::sin(0.0123 * double(k)); };
  const std::string path = write_stream("long.h5", rows, [&](hsize_t k, double& u, double& y) {
    u = signal(k);
    y = signal(k + 1);
  });
  const std::string reservoir =
      "[population.res]\nkind = \"leaky\"\nsize = 200\ntau = 1.5\n"
      "[[projection]]\nfrom = \"res\"\nto = \"res\"\ndensity = 0.05\nspectral_radius = 0.9\n"
      "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n[readout]\nridge = 1e-6\n";
  auto scenario = [&](const std::string& parts) {
    return ransim::parse_scenario(
        "seed = 1\n[simulation]\nintegrator = \"euler\"\ndt = 1.0\n"
        "token_period = 1.0\n[task]\nkind = \"file\"\ninput = \"" +
            path + "\"\ninput_dataset = \"/u\"\ntarget_dataset = \"/y\"\n" + parts + reservoir,
        "<long>");
  };
  ASSERT_EQ(ransim::run(scenario("warmup = 100\ntrain = 2000\nvalidation = 500\ntest = 1000\n"), {}).status,
            ransim::RunStatus::Complete);
  malloc_trim(0);                                 // the short run's freed memory back to the system
  std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
  const std::size_t before = ransim::test::proc_status_bytes("VmRSS");
  const ransim::RunResult r =
      ransim::run(scenario("warmup = 1000\ntrain = 0.7\nvalidation = 0.1\ntest = 0.2\n"), {});
  const std::size_t peak = ransim::test::proc_status_bytes("VmHWM");
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  EXPECT_GE(r.tokens, rows - 3);  // the fractions of the rows after warm-up, rounded down
  const double grew = static_cast<double>(peak - std::min(before, peak));
  // What the run needs: the network (state and fixed weights) and the readout's statistics,
  // X^T X, X^T 1, [X 1]^T Y and Y^2 for the training and the validation part, and the normal
  // equations' (F + 1)^2 system the fit solves.
  const double features = static_cast<double>(r.readout_weights) - 1;  // one output
  const double statistics = 2 * (features * features + 2 * (features + 1) + 1);
  const double need = 8 * (static_cast<double>(r.state_size + r.fixed_weights) + statistics +
                           (features + 1) * (features + 1));
  std::cout << "peak resident memory grew by " << grew / 1048576.0 << " MiB; the network and the readout "
            << "statistics need " << need / 1048576.0 << " MiB; " << r.tokens << " tokens in "
            << r.wall_seconds << " s; nrmse_test " << r.metrics.at("nrmse_test") << "\n";
  // Measured: 1.4 MiB against 0.95 MiB needed (docs/tasks.md): besides the need, one block of
  // features and one piece of the stream; the file is read without HDF5's caches.
  EXPECT_LT(grew, 2 * need);
  EXPECT_LT(r.metrics.at("nrmse_test"), 0.1);
}

}  // namespace
