// `ransim analyze` on real recordings (figure C on the memory capacity task, a leaky reservoir),
// its errors, and the parameter edits a session records.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/lyapunov.hpp"
#include "analysis/recording_analysis.hpp"
#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"

using namespace ransim;
using namespace ransim::analysis;

namespace {

const std::string kCli = RANSIM_CLI;
const std::string kPlugins = RANSIM_PLUGIN_DIR;
const std::string kFigureC = std::string(RANSIM_SOURCE_DIR) + "/scenarios/ran_figure_c.toml";
// Figure C shortened, on the memory capacity task (30 delays; a ridge that does not overfit 800 tokens).
const std::vector<std::string> kMemorySets = {
    "task.kind=memory_capacity", "task.max_delay=30", "task.warmup=50", "task.train=800", "task.test=300",
    "readout.ridge=1e-3"};

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `ransim COMMAND --plugin-dir PLUGINS ARGS` in the test's folder.
Result cli(const std::string& command_and_args) {
  const std::string dir = test::test_dir();
  const auto space = command_and_args.find(' ');
  const std::string command = command_and_args.substr(0, space);
  const std::string args = space == std::string::npos ? "" : command_and_args.substr(space);
  const std::string cmd = "cd '" + dir + "' && '" + kCli + "' " + command + " --plugin-dir '" + kPlugins +
                          "'" + args + " > cli.out 2> cli.err";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir + "/cli.out"), slurp(dir + "/cli.err")};
}

std::string figure_c_recording() {
  std::string sets;
  for (const auto& s : kMemorySets) sets += " --set " + s;
  const Result r = cli("run '" + kFigureC + "'" + sets + " --out fig_c.h5 --quiet");
  EXPECT_EQ(r.code, 0) << r.err;
  return test::tmp_path("fig_c.h5");
}

double json_value(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\": ");
  EXPECT_NE(at, std::string::npos) << key;
  return at == std::string::npos ? NAN : std::stod(json.substr(at + key.size() + 4));
}

// A dataset of variable-length strings, read with the HDF5 C API (Hdf5File reads one string).
std::vector<std::string> strings(const std::string& file, const std::string& dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t space = H5Dget_space(d);
  std::vector<char*> raw(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  if (!raw.empty()) H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
  std::vector<std::string> out(raw.begin(), raw.end());
  if (!raw.empty()) H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}

}  // namespace

TEST(AnalyzeRecording, FigureCMemoryCapacity) {
  test::load_plugins();
  AnalyzeOptions o;
  o.file = figure_c_recording();
  const RecordingAnalysis r = analyze_recording(o);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.task, "memory_capacity");
  EXPECT_EQ(r.samples, 1150u);
  // The memory curve over the test tokens sums to the run's own memory capacity: the same
  // rows and columns of the same numbers (tasks/metrics.cpp scores them).
  ASSERT_TRUE(r.memory.available) << r.memory.note;
  EXPECT_EQ(r.memory.r2.n_elem, 30u);
  EXPECT_EQ(r.memory.first, 850);
  EXPECT_EQ(r.memory.end, 1150);
  EXPECT_NEAR(r.memory.sum, r.memory.stored, 1e-12 * r.memory.stored);
  // Recent inputs are remembered better than old ones.
  EXPECT_GT(r.memory.r2[0], 0.2);
  EXPECT_GT(arma::mean(r.memory.r2.head(5)), 2 * arma::mean(r.memory.r2.tail(5)));
  ASSERT_EQ(r.populations.size(), 2u);
  const PopulationSection &cortex = r.populations[0], &hippocampus = r.populations[1];
  EXPECT_EQ(cortex.name, "cortex");
  EXPECT_EQ(cortex.variables, 128u);
  EXPECT_NEAR(arma::accu(cortex.pca.explained), 1.0, 1e-12);
  EXPECT_GE(cortex.pca.participation_ratio, 1.0);
  ASSERT_TRUE(cortex.entropy.available) << cortex.entropy.note;
  EXPECT_EQ(cortex.entropy.source, "attention_entropy");
  EXPECT_EQ(cortex.entropy.over_time.n_elem, 1150u);
  EXPECT_FALSE(cortex.slots.available);
  ASSERT_TRUE(hippocampus.slots.available) << hippocampus.slots.note;
  EXPECT_EQ(hippocampus.slots.units, 32u);
  EXPECT_EQ(hippocampus.slots.slots, 16u);
  EXPECT_GT(hippocampus.slots.mean_share, 0.0);
  EXPECT_LE(hippocampus.slots.mean_share, 1.0);
  EXPECT_FALSE(r.lyapunov.available);  // not asked for
}

TEST(AnalyzeRecording, EntropyOfTheMapsIsTheModelsOwn) {
  // normalised_entropy of the recorded attention maps against the cortex model's recorded
  // attention_entropy (unit_population.hpp computes it in its own loop).
  const std::string file = figure_c_recording();
  const Hdf5File f(file);
  const Array maps = f.array(layout::series_data(layout::processing::variable("cortex", "attention")));
  const Array model =
      f.array(layout::series_data(layout::processing::variable("cortex", "attention_entropy")));
  const std::size_t width = maps.shape.back(), rows = maps.values.size() / width;
  ASSERT_EQ(rows, model.values.size());
  arma::mat transposed(width, rows);
  std::copy(maps.values.begin(), maps.values.end(), transposed.begin());
  const arma::vec ours = normalised_entropy(transposed.t());
  EXPECT_LT(arma::abs(ours - arma::vec(model.values)).max(), 1e-12);
}

TEST(AnalyzeCli, WritesReportFiguresAndJson) {
  const std::string file = figure_c_recording();
  const Result r =
      cli("analyze fig_c.h5 --out report --json --lyapunov --lyapunov-settle 100 --lyapunov-tokens 200");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* ext : {".md", ".json", ".png", ".svg"})
    EXPECT_GT(std::filesystem::file_size(test::tmp_path(std::string("report") + ext)), 100u) << ext;
  EXPECT_EQ(slurp(test::tmp_path("report.png")).substr(1, 3), "PNG");
  EXPECT_EQ(r.out, slurp(test::tmp_path("report.json")));  // --json prints the JSON written
  const std::string md = slurp(test::tmp_path("report.md"));
  EXPECT_NE(md.find("## Memory curve"), std::string::npos);
  EXPECT_NE(md.find("![analysis](report.png)"), std::string::npos);
  // The exponent is the one the benchmark measures: one function, the same scenario.
  test::load_plugins();
  LyapunovOptions lo;
  lo.settle = 100, lo.tokens = 200;
  const double expected = largest_lyapunov(load_scenario(kFigureC, kMemorySets), lo);
  EXPECT_EQ(json_value(r.out, "exponent"), expected);
  EXPECT_LT(expected, 0.0);  // figure C is in the echo-state regime (its scenario's comment)
}

TEST(AnalyzeCli, SectionsWithoutDataSaySo) {
  // A leaky reservoir on NARMA-10: no memory curve, no attention, no memory slots; still exit 0.
  test::write_file(test::tmp_path("leaky.toml"), test::small_reservoir());
  ASSERT_EQ(cli("run leaky.toml --out leaky.h5 --quiet").code, 0);
  const Result r = cli("analyze leaky.h5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("this run's task is narma10: run it again with --set task.kind=memory_capacity"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("no attention maps recorded"), std::string::npos);
  EXPECT_NE(r.out.find("no memory activations recorded"), std::string::npos);
  EXPECT_NE(r.out.find("not measured (ransim analyze --lyapunov"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(test::tmp_path("leaky_analysis.md")));
}

TEST(AnalyzeCli, BadInputExits2) {
  struct Case {
    std::string args, message;
  };
  test::write_file(test::tmp_path("text.h5"), "not hdf5\n");
  const hid_t plain = H5Fcreate(test::tmp_path("plain.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(plain);
  const std::vector<Case> cases = {
      {"analyze missing.h5", "missing.h5: cannot open the file: no such file"},
      {"analyze text.h5", "text.h5: cannot open the file: not an HDF5 file"},
      {"analyze plain.h5", "plain.h5: not a ransim recording (no root attribute 'ransim_format')"},
      {"analyze", "analyze: no recording given"},
      {"analyze plain.h5 --frobnicate", "analyze: unknown option '--frobnicate'"},
      {"analyze plain.h5 --out", "analyze --out: missing value"},
      {"analyze plain.h5 --lyapunov-tokens 0", "analyze --lyapunov-tokens 0: expected a whole number from 1"},
      {"analyze plain.h5 --slot-threshold 2", "analyze --slot-threshold 2: expected a number in [0, 1)"},
      {"analyze a.h5 b.h5", "analyze: one recording at a time"},
  };
  for (const auto& c : cases) {
    const Result r = cli(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
  }
}

TEST(ParameterEdits, RecordedAndReplayedBitwise) {
  test::SmallReservoir reservoir;
  reservoir.train = 100, reservoir.test = 50;
  const Scenario sc = parse_scenario(test::small_reservoir(reservoir), "<string>");
  const std::string file = test::tmp_path("edited.h5");
  {
    Session s(sc);
    for (int k = 0; k < 10; ++k) s.step();
    s.set_parameter("res", "tau", Value{0.5});  // before the recording starts: recorded too
    for (int k = 0; k < 5; ++k) s.step();
    s.start_recording(file);
    for (int k = 0; k < 40; ++k) s.step();
    s.set_parameter("res", "tau", Value{0.25});  // mid-run, as the GUI's parameter panel does
    while (s.step()) {
    }
    s.finish();
  }
  const Hdf5File f(file);
  namespace g = layout::general;
  EXPECT_EQ(f.array(g::kEditToken).values, (std::vector<double>{10, 55}));
  const double T = sc.integrator.token_period;
  EXPECT_EQ(f.array(g::kEditTime).values, (std::vector<double>{10 * T, 55 * T}));
  EXPECT_EQ(strings(file, g::kEditPopulation), (std::vector<std::string>{"res", "res"}));
  EXPECT_EQ(strings(file, g::kEditKey), (std::vector<std::string>{"tau", "tau"}));
  EXPECT_EQ(strings(file, g::kEditValue), (std::vector<std::string>{"0.5", "0.25"}));

  // Recomputed from the file alone: the same edits at the recorded tokens give the same states.
  const auto values = strings(file, g::kEditValue);
  const auto tokens = f.array(g::kEditToken).values;
  const std::string again = test::tmp_path("replayed.h5");
  {
    Session s(sc);
    std::size_t next = 0;
    while (!s.done()) {
      if (s.token() == 15) s.start_recording(again);
      for (; next < tokens.size() && tokens[next] == static_cast<double>(s.token()); ++next)
        s.set_parameter("res", "tau", Value{std::stod(values[next])});
      s.step();
    }
    s.finish();
  }
  const std::string state = layout::series_data(layout::processing::variable("res", "state"));
  EXPECT_EQ(read_hdf5_array(again, state).values, f.array(state).values);
}

TEST(ParameterEdits, NoEditsNoRows) {
  test::SmallReservoir reservoir;
  reservoir.train = 20, reservoir.test = 10;
  const Scenario sc = parse_scenario(test::small_reservoir(reservoir), "<string>");
  const std::string file = test::tmp_path("plain_run.h5");
  {
    SessionOptions options;
    options.out = file;
    Session s(sc, options);
    while (s.step()) {
    }
    s.finish();
  }
  const Hdf5File f(file);
  for (const char* path :
       {layout::general::kEditToken, layout::general::kEditTime, layout::general::kEditValue})
    EXPECT_EQ(f.shape(path), std::vector<std::size_t>{0}) << path;
}
