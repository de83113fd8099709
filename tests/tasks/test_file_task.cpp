// The file tasks (docs/tasks.md): the array readers on files written here (.npy in every
// dtype read, CSV with and without a header, HDF5 datasets and groups), every refusal naming
// the file, the dataset and the shape; `file` scores exactly what the task it was written from
// scores (Mackey-Glass written out and read back: the same metrics); `file_episodes` lays out the
// rows it reads, and variable-length episodes from an HDF5 group give the same outputs on one
// lane as on 64 (padding changes nothing).
#include <hdf5.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "io/layout.hpp"
#include "ransim/hdf5_read.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "tasks/datasets/arrays.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::test::input_error;
using ransim::test::task_params;
using testing::HasSubstr;

// A .npy file (format 1.0) of `descr` with the raw little-endian bytes of `data`.
template <class T>
std::string write_npy(const std::string& name, const std::string& descr, const std::string& shape,
                      const std::vector<T>& data, const std::string& order = "False") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  const std::string path = ransim::test::tmp_path(name);
  std::ofstream f(path, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  f.write(len, 2);
  f << header;
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)));
  return path;
}

// Adds dataset `name` (double, shape `dims`) holding `data` to the HDF5 file `path`.
void write_h5(const std::string& path, const std::string& name, const std::vector<hsize_t>& dims,
              const std::vector<double>& data) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t d = H5Dcreate2(f, name.c_str(), H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
  H5Dclose(d);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(f);
}

std::vector<double> rows(const ransim::ArraySource& a, std::size_t first, std::size_t count) {
  std::vector<double> out(count * a.row_size());
  a.read_rows(first, count, out.data());
  return out;
}

// ---------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------

TEST(ArrayFiles, NpyInEveryDtypeItReads) {
  // Values 0..11 in a [4, 3] array: rows 1..2 are 3..8 whatever the dtype.
  const std::vector<double> expected{3, 4, 5, 6, 7, 8};
  std::vector<double> f8(12);
  std::vector<float> f4(12);
  std::vector<std::int32_t> i4(12);
  std::vector<std::int64_t> i8(12);
  for (int i = 0; i < 12; ++i) f8[i] = f4[i] = i4[i] = i8[i] = i;
  for (const std::string& path :
       {write_npy("f8.npy", "<f8", "(4, 3)", f8), write_npy("f4.npy", "<f4", "(4, 3)", f4),
        write_npy("i4.npy", "<i4", "(4, 3)", i4), write_npy("i8.npy", "<i8", "(4, 3)", i8)}) {
    const auto a = ransim::open_array(path, "");
    EXPECT_EQ(a->shape(), (std::vector<std::size_t>{4, 3})) << path;
    EXPECT_EQ(rows(*a, 1, 2), expected) << path;
  }
  const auto one = ransim::open_array(write_npy("one.npy", "<f8", "(12,)", f8), "");
  EXPECT_EQ(one->shape(), (std::vector<std::size_t>{12}));
  EXPECT_EQ(rows(*one, 11, 1), (std::vector<double>{11}));
}

TEST(ArrayFiles, NpyRefusalsNameTheFileAndWhatIsRead) {
  const std::vector<double> v(12);
  const std::string big = write_npy("big.npy", ">f8", "(4, 3)", v),
                    u1 = write_npy("u1.npy", "|u1", "(12,)", v);
  EXPECT_THAT(
      input_error([&] { ransim::open_array(big, ""); }),
      HasSubstr(big + ": .npy dtype '>f8' is not read (little-endian '<f8', '<f4', '<i4' or '<i8' are"));
  EXPECT_THAT(input_error([&] { ransim::open_array(u1, ""); }), HasSubstr("dtype '|u1' is not read"));
  const std::string fortran = write_npy("f.npy", "<f8", "(4, 3)", v, "True");
  EXPECT_THAT(input_error([&] { ransim::open_array(fortran, ""); }),
              HasSubstr(fortran + ": a Fortran-order .npy array"));
  const std::string truncated = write_npy("t.npy", "<f8", "(5, 3)", v);
  EXPECT_THAT(input_error([&] { ransim::open_array(truncated, ""); }),
              HasSubstr(truncated +
                        ": shape 5 x 3 needs 248 bytes, the file has 224 (truncated)"));  // a 128-byte header
  const std::string text = ransim::test::write_file(ransim::test::tmp_path("x.npy"), "hello");
  EXPECT_THAT(input_error([&] { ransim::open_array(text, ""); }),
              HasSubstr(text + ": not a NumPy .npy file"));
  EXPECT_THAT(input_error([&] { ransim::open_array("/nonexistent/a.npy", ""); }),
              HasSubstr("/nonexistent/a.npy: cannot open"));
  EXPECT_THAT(input_error([&] { ransim::open_array(ransim::test::tmp_path("a.parquet"), ""); }),
              HasSubstr("unknown file type '.parquet'"));
}

TEST(ArrayFiles, CsvWithHeaderAndItsErrors) {
  // 600 rows: the line-offset index (every 256th row) is used for rows 300..301.
  std::string text = "u,y\n";
  for (int i = 0; i < 600; ++i)
    text += std::to_string(i) + ", " + std::to_string(2 * i) + (i % 2 ? "\r\n" : "\n");
  const auto a = ransim::open_array(ransim::test::write_file(ransim::test::tmp_path("a.csv"), text), "");
  EXPECT_EQ(a->shape(), (std::vector<std::size_t>{600, 2}));
  EXPECT_EQ(rows(*a, 300, 2), (std::vector<double>{300, 600, 301, 602}));
  EXPECT_EQ(rows(*a, 0, 1), (std::vector<double>{0, 0}));
  const std::string ragged = ransim::test::write_file(ransim::test::tmp_path("r.csv"), "1,2\n3,4\n5\n");
  EXPECT_THAT(input_error([&] { ransim::open_array(ragged, ""); }),
              HasSubstr(ragged + ":3: 1 columns, the first row has 2"));
  const std::string word = ransim::test::write_file(ransim::test::tmp_path("w.csv"), "1,2\n3,x4\n");
  EXPECT_THAT(input_error([&] { ransim::open_array(word, ""); }),
              HasSubstr(word + ":2:3: 'x4' is not a number"));
}

TEST(ArrayFiles, Hdf5DatasetsAndGroups) {
  const std::string path = ransim::test::tmp_path("d.h5");
  write_h5(path, "/x", {3, 2}, {0, 1, 2, 3, 4, 5});
  write_h5(path, "/episodes/b", {2, 1}, {7, 8});
  write_h5(path, "/episodes/a", {3, 1}, {4, 5, 6});
  const auto x = ransim::open_array(path, "/x");
  EXPECT_EQ(rows(*x, 1, 2), (std::vector<double>{2, 3, 4, 5}));
  EXPECT_TRUE(ransim::is_hdf5_group(path, "/episodes"));
  const auto group = ransim::open_array_group(path, "/episodes");  // name order: a, b
  ASSERT_EQ(group.size(), 2u);
  EXPECT_EQ(rows(*group[0], 0, 3), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(rows(*group[1], 0, 2), (std::vector<double>{7, 8}));
  EXPECT_THAT(input_error([&] { ransim::open_array(path, "/y"); }),
              HasSubstr(path + ": no dataset '/y' in the file"));
  EXPECT_THAT(input_error([&] { ransim::open_array(path, "/episodes"); }),
              HasSubstr("no dataset '/episodes' (it is a group)"));
  EXPECT_THAT(input_error([&] { ransim::open_array(path, ""); }),
              HasSubstr("an HDF5 file; name the dataset"));
}

// ---------------------------------------------------------------------------------------
// The tasks
// ---------------------------------------------------------------------------------------

const char* kReservoir =
    "[population.res]\nkind = \"leaky\"\nsize = 30\ntau = 1.5\n"
    "[[projection]]\nfrom = \"res\"\nto = \"res\"\nspectral_radius = 0.9\n"
    "[[projection]]\nfrom = \"input\"\nto = \"res\"\ndensity = 1.0\n[readout]\nridge = 1e-6\n";

TEST(FileTask, ScoresWhatTheTaskItWasWrittenFromScores) {
  // Mackey-Glass as the session generates it (seed 3, stream "task"), written to an HDF5 file
  // as [T, 1] input and target; `file` with the same protocol must give the same metrics.
  const std::string task =
      "[task]\nkind = \"mackey_glass\"\nwarmup = 50\ntrain = 400\nvalidation = 100\ntest = 200\n";
  const auto mg = ransim::find_task("mackey_glass")
                      ->create(ransim::parse_scenario("seed = 3\n" + task + kReservoir, "<mg>").task);
  ransim::Rng rng = ransim::make_rng(3, "task");
  const ransim::Sequences s = mg->generate(1, rng);
  const std::string path = ransim::test::tmp_path("mg.h5");
  write_h5(path, "/u", {s.steps, 1}, s.input);
  write_h5(path, "/y", {s.steps, 1}, s.target);
  const std::string file_task =
      "[task]\nkind = \"file\"\ninput = \"" + path +
      "\"\ninput_dataset = \"/u\"\ntarget_dataset = \"/y\"\nwarmup = 50\ntrain = 400\n"
      "validation = 100\ntest = 200\n";
  const auto a = ransim::run(ransim::parse_scenario("seed = 3\n" + task + kReservoir, "<mg>"), {});
  const auto b = ransim::run(ransim::parse_scenario("seed = 3\n" + file_task + kReservoir, "<file>"), {});
  ASSERT_EQ(b.status, ransim::RunStatus::Complete) << b.message;
  // `ransim run` of a file is bounded (test_file_stream.cpp): the test part is predicted block
  // by block, the train and validation metrics come from the readout's statistics. Summed
  // block by block the statistics round differently, and the ridge solve amplifies that: the
  // bound is the one test_file_stream.cpp states (1e-8; measured 1.1e-9 in a sanitizer build).
  EXPECT_NEAR(b.metrics.at("nrmse_test"), a.metrics.at("nrmse_test"), 1e-8 * a.metrics.at("nrmse_test"));
  for (const char* m : {"nrmse_train", "nrmse_validation"})
    EXPECT_NEAR(b.metrics.at(m), a.metrics.at(m), 1e-5 * a.metrics.at(m)) << m;
  EXPECT_LT(b.metrics.at("nrmse_test"), 0.5);
}

TEST(FileTask, ColumnsFractionsAndShapeErrors) {
  // A CSV of 100 rows (t, 2t, 3t): input columns 0:2, target column 2; fractions 0.5 / 0.1 / 0.3.
  std::string text;
  for (int t = 0; t < 100; ++t)
    text += std::to_string(t) + "," + std::to_string(2 * t) + "," + std::to_string(3 * t) + "\n";
  const std::string csv = ransim::test::write_file(ransim::test::tmp_path("s.csv"), text);
  auto params = [&](std::vector<std::pair<std::string, ransim::Value>> more) {
    more.insert(
        more.begin(),
        {{"input", csv}, {"input_columns", std::string("0:2")}, {"target_columns", std::string("2")}});
    return task_params("file", more);
  };
  const auto t = ransim::find_task("file")->create(params({{"start", std::int64_t{10}},
                                                           {"warmup", std::int64_t{10}},
                                                           {"train", 0.5},
                                                           {"validation", 0.1},
                                                           {"test", 0.3}}));
  EXPECT_EQ(t->protocol.warmup, 10u);
  EXPECT_EQ(t->protocol.train, 40u);  // of the 80 rows after start and warm-up
  EXPECT_EQ(t->protocol.validation, 8u);
  EXPECT_EQ(t->protocol.test, 24u);
  ransim::Rng rng = ransim::make_rng(0, "task");
  const ransim::Sequences s = t->generate(2, rng);
  ASSERT_EQ(s.input_dim, 2u);
  EXPECT_EQ(s.input_at(5, 1)[1], 2.0 * 15);  // token 5 is row 15, both lanes
  EXPECT_EQ(s.target_at(5, 0)[0], 3.0 * 15);
  EXPECT_THAT(input_error([&] {
                ransim::find_task("file")->create(params({{"test", 61.0}}));
              }),
              HasSubstr("task.train, validation, test: 80 + 0 + 61 tokens; " + csv +
                        " has 100 after start and warmup"));
  EXPECT_THAT(input_error([&] {
                ransim::find_task("file")->create(
                    task_params("file", {{"input", csv}, {"target_columns", std::string("1:4")}}));
              }),
              HasSubstr("task.target_columns: columns 1:4 of " + csv + ", which has 3 (0 to 2)"));
  EXPECT_THAT(input_error([&] {
                ransim::find_task("file")->create(task_params("file", {{"input", csv}}));
              }),
              HasSubstr("task.target: the target would be the input itself"));
  const std::string cube = write_npy("cube.npy", "<f8", "(2, 2, 2)", std::vector<double>(8));
  EXPECT_THAT(
      input_error([&] {
        ransim::find_task("file")->create(task_params("file", {{"input", cube}, {"target", csv}}));
      }),
      HasSubstr(cube + ": expected [T, dims], [T] or [T, 1, dims] for kind = \"file\" (episodes: kind = "
                       "\"file_episodes\"), found shape [2, 2, 2]"));
}

TEST(FileEpisodes, RowsLaidOutAsEpisodesWithPerEpisodeTargets) {
  // x[e, k, d] = 100 e + 10 k + d, [6, 4, 2]; y[e] = (e, -e): the readout after token 3.
  std::vector<double> x(6 * 4 * 2), y(6 * 2);
  for (int e = 0; e < 6; ++e) {
    for (int k = 0; k < 4; ++k)
      for (int d = 0; d < 2; ++d) x[(e * 4 + k) * 2 + d] = 100 * e + 10 * k + d;
    y[e * 2] = e, y[e * 2 + 1] = -e;
  }
  const std::string xs = write_npy("x.npy", "<f8", "(6, 4, 2)", x),
                    ys = write_npy("y.npy", "<f8", "(6, 2)", y);
  const auto task = ransim::find_task("file_episodes")
                        ->create_episodes(task_params("file_episodes", {{"input", xs},
                                                                        {"target", ys},
                                                                        {"start", std::int64_t{1}},
                                                                        {"train", 3.0},
                                                                        {"validation", 1.0},
                                                                        {"test", 1.0}}));
  EXPECT_EQ(task->train, 4u);  // train + validation
  EXPECT_EQ(task->validation, 1u);
  EXPECT_EQ(task->points, (std::vector<std::vector<std::size_t>>{{3}}));
  const ransim::EpisodeBatch b = task->episodes(ransim::Split::Train, 1, 2, 0);  // file episodes 2, 3
  EXPECT_EQ(b.input[(3 * 2 + 1) * 2 + 1], 100 * 3 + 10 * 3 + 1);                 // token 3, episode 3, dim 1
  EXPECT_EQ(b.target[1 * 2 + 1], -3);
  const ransim::EpisodeBatch t = task->episodes(ransim::Split::Test, 0, 1, 0);  // file episode 5
  EXPECT_EQ(t.input[0], 500);
  EXPECT_EQ(t.target[0], 5);
  EXPECT_THAT(
      input_error([&] {
        ransim::find_task("file_episodes")
            ->create_episodes(task_params("file_episodes",
                                          {{"input", xs}, {"target", ys}, {"read", std::string("every")}}));
      }),
      HasSubstr(ys + ": expected [episodes, T, dims] targets for read = \"every\", found shape [6, 2]"));
  const std::string y5 = write_npy("y5.npy", "<f8", "(5, 2)", std::vector<double>(10));
  EXPECT_THAT(input_error([&] {
                ransim::find_task("file_episodes")
                    ->create_episodes(task_params("file_episodes", {{"input", xs}, {"target", y5}}));
              }),
              HasSubstr(y5 + ": expected [6, dims] (one target per episode) or [6, 4, dims] (one per token), "
                             "found shape [5, 2]"));
}

// 40 episodes of 3 + e % 9 tokens, one input channel and a class target: the sign of the
// episode's last input (a two-class problem whose answer is in the last token).
std::string write_variable_episodes() {
  const std::string path = ransim::test::tmp_path("var.h5");
  for (int e = 0; e < 40; ++e) {
    const int T = 3 + e % 9;
    std::vector<double> u(T), y(2 * T, 0.0);
    for (int k = 0; k < T; ++k)
      u[k] = ((e * 7 + k * 3) % 5 - 2) * 0.5 + (k + 1 == T ? (e % 2 ? 0.8 : -0.8) : 0);
    y[2 * (T - 1) + (e % 2)] = 1;
    char name[16];
    std::snprintf(name, sizeof name, "%02d", e);
    write_h5(path, std::string("/u/") + name, {hsize_t(T), 1}, u);
    write_h5(path, std::string("/y/") + name, {hsize_t(T), 2}, y);
  }
  return path;
}

ransim::RunResult run_variable(const std::string& path, int lanes, const std::string& out) {
  const std::string text = "seed = 1\n[simulation]\nlanes = " + std::to_string(lanes) +
                           "\n[task]\nkind = \"file_episodes\"\ninput = \"" + path +
                           "\"\ninput_dataset = \"/u\"\ntarget_dataset = \"/y\"\nmetric = \"accuracy\"\n"
                           "train = 25\ntest = 15\n" +
                           kReservoir;
  ransim::RunOptions opts;
  opts.out = out;
  return ransim::run(ransim::parse_scenario(text, "<var>"), opts);
}

TEST(FileEpisodes, VariableLengthGroupPaddingChangesNoOutput) {
  const std::string path = write_variable_episodes();
  const auto task =
      ransim::find_task("file_episodes")
          ->create_episodes(task_params("file_episodes", {{"input", path},
                                                          {"input_dataset", std::string("/u")},
                                                          {"target_dataset", std::string("/y")}}));
  EXPECT_EQ(task->length, 11u);
  const ransim::EpisodeBatch b = task->episodes(ransim::Split::Train, 0, 3, 0);
  EXPECT_EQ(b.lengths, (std::vector<std::size_t>{3, 4, 5}));
  EXPECT_EQ(b.tokens, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(b.target[1 * 2 + 1], 1.0);  // episode 1: odd, class 1 at its last token
  const std::string one_h5 = ransim::test::tmp_path("one.h5"), many_h5 = ransim::test::tmp_path("many.h5");
  const auto one = run_variable(path, 1, one_h5), many = run_variable(path, 64, many_h5);
  ASSERT_EQ(one.status, ransim::RunStatus::Complete) << one.message;
  namespace a = ransim::layout::analysis;
  EXPECT_LT(ransim::test::rel_dev(ransim::read_hdf5_array(many_h5, a::kTestOutput).values,
                                  ransim::read_hdf5_array(one_h5, a::kTestOutput).values),
            1e-9);
  EXPECT_EQ(one.tokens, many.tokens);
}

TEST(FileEpisodes, TenMillionSamplesRunInBoundedMemory) {
  // 10^5 episodes of 100 tokens (10^7 samples, 80 MB of float64) written 1000 episodes at a
  // time; the target is each episode's last input. The run must stay far below the file's
  // size in resident memory: it reads one batch of episodes at a time.
  const hsize_t E = 100000, T = 100, block = 1000;
  const std::string path = ransim::test::tmp_path("big.h5");
  {
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t xdims[3] = {E, T, 1}, ydims[2] = {E, 1};
    const hid_t xs = H5Screate_simple(3, xdims, nullptr), ys = H5Screate_simple(2, ydims, nullptr);
    const hid_t x = H5Dcreate2(f, "/x", H5T_IEEE_F64LE, xs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t y = H5Dcreate2(f, "/y", H5T_IEEE_F64LE, ys, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<double> xb(block * T), yb(block);
    for (hsize_t e0 = 0; e0 < E; e0 += block) {
      for (hsize_t i = 0; i < block * T; ++i) xb[i] = std::sin(0.001 * double(e0 * T + i));
      for (hsize_t e = 0; e < block; ++e) yb[e] = xb[e * T + T - 1];
      const hsize_t xstart[3] = {e0, 0, 0}, xcount[3] = {block, T, 1}, ystart[2] = {e0, 0},
                    ycount[2] = {block, 1};
      const hid_t xm = H5Screate_simple(3, xcount, nullptr), ym = H5Screate_simple(2, ycount, nullptr);
      H5Sselect_hyperslab(xs, H5S_SELECT_SET, xstart, nullptr, xcount, nullptr);
      H5Sselect_hyperslab(ys, H5S_SELECT_SET, ystart, nullptr, ycount, nullptr);
      H5Dwrite(x, H5T_NATIVE_DOUBLE, xm, xs, H5P_DEFAULT, xb.data());
      H5Dwrite(y, H5T_NATIVE_DOUBLE, ym, ys, H5P_DEFAULT, yb.data());
      H5Sclose(xm);
      H5Sclose(ym);
    }
    for (hid_t d : {x, y}) H5Dclose(d);
    for (hid_t s : {xs, ys}) H5Sclose(s);
    H5Fclose(f);
  }
  const std::size_t before = ransim::test::proc_status_bytes("VmRSS");
  const std::string text =
      "seed = 1\n[simulation]\nintegrator = \"euler\"\ndt = 1.0\ntoken_period = 1.0\n"
      "lanes = 64\nthreads = 2\n[task]\nkind = \"file_episodes\"\ninput = \"" +
      path + "\"\ninput_dataset = \"/x\"\ntarget_dataset = \"/y\"\nmetric = \"nrmse\"\n" + kReservoir;
  const ransim::RunResult r = ransim::run(ransim::parse_scenario(text, "<big>"), {});
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  EXPECT_EQ(r.tokens, E * T);
  const std::size_t grew =
      ransim::test::proc_status_bytes("VmHWM") - std::min(before, ransim::test::proc_status_bytes("VmHWM"));
  std::cout << "peak resident memory grew by " << grew / 1048576.0 << " MiB reading a "
            << std::filesystem::file_size(path) / 1048576.0 << " MiB file in " << r.wall_seconds << " s\n";
  EXPECT_LT(grew, std::size_t{20} << 20);      // the file: 76 MiB
  EXPECT_LT(r.metrics.at("nrmse_test"), 0.5);  // the last input is in the state after the last token
}

}  // namespace
