// Scenario parsing and validation: one test per class of error, overrides, reproducibility.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "study/compare.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

// A small valid scenario; tests replace or append lines to make it invalid.
const std::string kValid = R"(seed = 7
[simulation]
integrator = "euler"
dt = 0.5
token_period = 1.0
[task]
kind = "narma10"
warmup = 20
train = 200
test = 100
[population.res]
kind = "leaky"
size = 40
tau = 2.0
[[projection]]
from = "res"
to = "res"
density = 0.2
spectral_radius = 0.9
[[projection]]
from = "input"
to = "res"
density = 1.0
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

// The message of the InputError thrown by parsing `text` (empty if none).
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_scenario(text, "s.toml", sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Scenario, ValidScenarioParses) {
  const Scenario sc = parse_scenario(kValid, "s.toml");
  EXPECT_EQ(sc.seed, 7u);
  EXPECT_EQ(sc.integrator.method, Method::Euler);
  EXPECT_DOUBLE_EQ(sc.integrator.dt, 0.5);
  ASSERT_EQ(sc.populations.size(), 1u);
  EXPECT_EQ(sc.populations[0].params.integer("size"), 40);
  EXPECT_DOUBLE_EQ(sc.populations[0].params.real("tau"), 2.0);
  ASSERT_EQ(sc.projections.size(), 2u);
  EXPECT_EQ(sc.projections[0].name, "res_to_res");
  EXPECT_EQ(sc.projections[1].name, "input_to_res");
}

TEST(Scenario, UnknownKeyNamesFileLineColumnAndKey) {
  const std::string msg = error_of(replace(kValid, "tau = 2.0", "tau = 2.0\ntaux = 1"));
  EXPECT_NE(msg.find("s.toml:15:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'population.res.taux'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tau"), std::string::npos) << msg;  // lists the known keys
}

TEST(Scenario, UnknownTopLevelSection) {
  const std::string msg = error_of(kValid + "[readuot]\nridge = 1\n");
  EXPECT_NE(msg.find("unknown key 'readuot'"), std::string::npos) << msg;
}

TEST(Scenario, WrongTypeSaysExpectedAndFound) {
  const std::string msg = error_of(replace(kValid, "size = 40", "size = \"forty\""));
  EXPECT_NE(msg.find("s.toml:13:8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("population.res.size"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected an integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found the string \"forty\""), std::string::npos) << msg;
}

TEST(Scenario, NegativeTauIsOutOfRange) {
  const std::string msg = error_of(replace(kValid, "tau = 2.0", "tau = -1.0"));
  EXPECT_NE(msg.find("s.toml:14:7: population.res.tau: expected a real number > 0 (s), found the number -1"),
            std::string::npos)
      << msg;
}

TEST(Scenario, NaNIsRejected) {
  const std::string msg = error_of(replace(kValid, "tau = 2.0", "tau = nan"));
  EXPECT_NE(msg.find("population.res.tau"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found the number nan"), std::string::npos) << msg;
  EXPECT_NE(error_of(replace(kValid, "dt = 0.5", "dt = inf")).find("simulation.dt"), std::string::npos);
}

TEST(Scenario, TomlSyntaxErrorHasLocation) {
  const std::string msg = error_of(replace(kValid, "tau = 2.0", "tau = = 2"));
  EXPECT_EQ(msg.rfind("s.toml:14:", 0), 0u) << msg;
}

TEST(Scenario, MissingFileIsInputError) {
  try {
    load_scenario("/nonexistent/dir/x.toml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.toml: cannot open"), std::string::npos)
        << e.what();
  }
}

TEST(Scenario, UnknownModelTaskAndPopulationReferences) {
  EXPECT_NE(error_of(replace(kValid, "kind = \"leaky\"", "kind = \"leeky\""))
                .find("unknown population model 'leeky' (known: leaky"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kValid, "kind = \"narma10\"", "kind = \"narma\"")).find("unknown task 'narma'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kValid, "from = \"res\"", "from = \"rez\""))
                .find("projection.0.from: no population named 'rez'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kValid, "kind = \"narma10\"\n", "")).find("task: missing required key 'kind'"),
            std::string::npos);
}

TEST(Scenario, DtMustDivideTokenPeriod) {
  const std::string msg = error_of(replace(kValid, "dt = 0.5", "dt = 0.3"));
  EXPECT_NE(msg.find("whole multiple of dt"), std::string::npos) << msg;
}

TEST(Scenario, ChoiceListsTheAlternatives) {
  const std::string msg = error_of(replace(kValid, "integrator = \"euler\"", "integrator = \"rk45\""));
  EXPECT_NE(msg.find("expected one of \"euler\" | \"rk4\" | \"dopri5\", found the string \"rk45\""),
            std::string::npos)
      << msg;
}

TEST(Scenario, PrecisionIsDoubleOrSingle) {
  const std::string msg =
      error_of(replace(kValid, "spectral_radius = 0.9", "spectral_radius = 0.9\nprecision = \"half\""));
  EXPECT_NE(msg.find("projection.0.precision"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected one of \"double\" | \"single\", found the string \"half\""), std::string::npos)
      << msg;
  const Scenario sc = parse_scenario(
      replace(kValid, "spectral_radius = 0.9", "spectral_radius = 0.9\nprecision = \"single\""), "s.toml");
  EXPECT_EQ(sc.projections[0].params.string("precision"), "single");
  EXPECT_EQ(sc.projections[1].params.string("precision"), "double");  // the default
}

TEST(Scenario, SetOverridesAnyValue) {
  const Scenario sc = parse_scenario(kValid, "s.toml",
                                     {"population.res.tau=0.5", "projection.1.scale=0.25",
                                      "simulation.integrator=rk4", "readout.ridge=1e-3", "seed=9"});
  EXPECT_DOUBLE_EQ(sc.populations[0].params.real("tau"), 0.5);
  EXPECT_DOUBLE_EQ(sc.projections[1].params.real("scale"), 0.25);
  EXPECT_EQ(sc.integrator.method, Method::Rk4);  // a bare word is taken as a string
  EXPECT_DOUBLE_EQ(sc.readout.real("ridge"), 1e-3);
  EXPECT_EQ(sc.seed, 9u);
}

TEST(Scenario, BadSetNamesTheFlag) {
  std::string msg = error_of(kValid, {"population.res.tau=-2"});
  EXPECT_NE(msg.find("--set population.res.tau=-2: population.res.tau: expected a real number > 0"),
            std::string::npos)
      << msg;
  msg = error_of(kValid, {"population.res.tua=2"});
  EXPECT_NE(msg.find("--set population.res.tua=2: unknown key 'population.res.tua'"), std::string::npos)
      << msg;
  EXPECT_NE(error_of(kValid, {"novalue"}).find("expected key=value"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"projection.7.scale=1"}).find("not an index"), std::string::npos);
}

TEST(Scenario, SizeThatCannotFitInMemoryIsRefusedBeforeAllocating) {
  // 5e7 units at density 0.1 would need 5e7^2 * 0.1 * 12 bytes = 3e15 bytes of weights.
  const Scenario sc = parse_scenario(replace(kValid, "size = 40", "size = 50000000"), "s.toml");
  try {
    run(sc);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("needs about"), std::string::npos) << e.what();
  }
}

TEST(Scenario, SameSeedSameNumbersOtherSeedOtherNumbers) {
  const Scenario a = parse_scenario(kValid, "s.toml");
  const RunResult r1 = run(a), r2 = run(a);
  ASSERT_EQ(r1.status, ransim::RunStatus::Complete);
  EXPECT_EQ(r1.metrics.at("nrmse_test"), r2.metrics.at("nrmse_test"));  // bitwise
  const RunResult r3 = run(parse_scenario(kValid, "s.toml", {"seed=8"}));
  EXPECT_NE(r1.metrics.at("nrmse_test"), r3.metrics.at("nrmse_test"));
}

// A [[compare]] of a variable with itself deviates by exactly 0; sizes and names are checked.
TEST(Scenario, CompareReportsDeviationAndChecksItsOperands) {
  const std::string text = replace(kValid, "kind = \"narma10\"\nwarmup = 20\ntrain = 200\ntest = 100",
                                   "kind = \"random_sequence\"\nsteps = 30") +
                           "[population.other]\nkind = \"leaky\"\nsize = 3\n"
                           "[[compare]]\nname = \"self\"\na = \"res.state\"\nb = \"res.state\"\n";
  const RunResult r = run(parse_scenario(text, "s.toml"));
  ASSERT_EQ(r.status, ransim::RunStatus::Complete);
  EXPECT_EQ(r.metrics.at("max_abs_dev_self"), 0.0);
  EXPECT_EQ(r.metrics.count("nrmse_test"), 0u);  // no target, no readout
  try {
    run(parse_scenario(replace(text, "b = \"res.state\"", "b = \"other.state\""), "s.toml"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'res.state' has 40 values per lane but 'other.state' has 3"),
              std::string::npos)
        << e.what();
  }
  try {
    run(parse_scenario(replace(text, "b = \"res.state\"", "b = \"res.nope\""), "s.toml"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("population 'res' records no variable 'nope'"), std::string::npos)
        << e.what();
  }
  EXPECT_NE(error_of(replace(text, "b = \"res.state\"", "b = \"zzz.state\"")).find("compare.0"),
            std::string::npos);
}

TEST(Scenario, PopulationsKeepTheFileOrder) {
  // The state vector, the readout's features and the recording follow the file, not the
  // alphabet (a TOML table iterates by key); a population added by --set comes last.
  const Scenario sc = parse_scenario(R"(
[task]
kind = "narma10"
[population.zeta]
kind = "leaky"
size = 3
[population.alpha]
kind = "leaky"
size = 2
)",
                                     "order.toml", {"population.beta.kind=leaky"});
  ASSERT_EQ(sc.populations.size(), 3u);
  EXPECT_EQ(sc.populations[0].name, "zeta");
  EXPECT_EQ(sc.populations[1].name, "alpha");
  EXPECT_EQ(sc.populations[2].name, "beta");
}

TEST(Scenario, BundledScenariosAreValid) {
  ransim::test::load_plugins();  // the plugin models the scenarios use, from this build
  std::size_t n = 0;
  for (auto& entry : std::filesystem::directory_iterator(std::string(RANSIM_SOURCE_DIR) + "/scenarios")) {
    // compare_*.toml and sweep_*.toml are `ransim compare` configs: every run they describe
    // must be valid.
    const std::string name = entry.path().filename().string();
    if (name.rfind("compare_", 0) == 0 || name.rfind("sweep_", 0) == 0) {
      EXPECT_NO_THROW(load_compare(entry.path().string(), false)) << entry.path();
      EXPECT_NO_THROW(load_compare(entry.path().string(), true)) << entry.path();
    } else {
      EXPECT_NO_THROW(load_scenario(entry.path().string())) << entry.path();
    }
    ++n;
  }
  EXPECT_GE(n, 7u);
}

// Identity routing without loss in the figure C scenario (its projections: cortex <- cortex +
// hippocampus, 256 values for 128 slots; hippocampus <- cortex + input, 129 values for 128
// slots): for seeds 1..20 every listed source reaches the target and no value is used twice.
TEST(Scenario, FigureCRoutingLosesNoSource) {
  ransim::test::load_plugins();
  const Scenario base = load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/ran_figure_c.toml");
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Scenario sc = base;
    sc.seed = seed;
    const auto net = build_network(sc, 1);
    std::size_t routings = 0;
    for (auto& proj : net->projections()) {
      if (proj->kind() != "identity") continue;
      ++routings;
      std::size_t values = 0, slots = 0;
      for (auto& [src, m] : proj->matrices()) {
        values += src.size;
        slots += m.nnz();
        EXPECT_GT(m.nnz(), 0u) << proj->name << ": source " << src.name << " reaches no slot, seed " << seed;
        std::vector<int> used(src.size, 0);
        for (std::size_t k = 0; k < m.nnz(); ++k) ++used[m.col[k]];
        for (std::size_t v = 0; v < src.size; ++v)
          EXPECT_LE(used[v], 1) << proj->name << ": " << src.name << "[" << v << "] twice, seed " << seed;
      }
      EXPECT_GE(values, slots) << proj->name;
    }
    EXPECT_EQ(routings, 2u);
  }
}

TEST(Scenario, RoutingShareIsOneNumberPerSource) {
  const std::string routed = kValid +
                             "[population.b]\nkind = \"leaky\"\nsize = 4\n[[projection]]\n"
                             "from = [\"res\", \"input\"]\nto = \"b\"\nkind = \"identity\"\n";
  EXPECT_EQ(error_of(routed + "share = [3, 1]\n"), "");
  EXPECT_NE(error_of(routed + "share = [1]\n").find("projection.2.share: expected an array of 2 numbers > 0"),
            std::string::npos)
      << error_of(routed + "share = [1]\n");
  EXPECT_NE(error_of(routed + "share = [1, 0]\n").find("expected a number > 0, found"), std::string::npos);
  // Three sources for two slots: the build names the source left out.
  const std::string crowded =
      kValid +
      "[population.b]\nkind = \"leaky\"\nsize = 2\n[population.c]\n"
      "kind = \"leaky\"\nsize = 3\n[[projection]]\nfrom = [\"res\", \"input\", \"c\"]\n"
      "to = \"b\"\nkind = \"identity\"\n";
  try {
    build_network(parse_scenario(crowded, "s.toml"), 1);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "s.toml: projection.2 ('res+input+c_to_b' into 'b'): the target has 2 slots "
                  "for 3 sources: source 'c' would reach none"),
              std::string::npos)
        << e.what();
  }
}

// Issue 23: a header or dotted key of 60 000 parts overflowed the parser's stack (SIGSEGV).
// The nesting limit (kMaxTomlNesting) is checked before parsing, with file:line:col.
TEST(Scenario, DeepKeysAndNestingHitALimitNotTheStack) {
  std::string deep_header = "[a";
  for (int i = 0; i < 60000; ++i) deep_header += ".a";
  EXPECT_NE(error_of(kValid + deep_header + "]\n").find("s.toml:24:3: a dotted key of more than 128 parts"),
            std::string::npos)
      << error_of(kValid + deep_header + "]\n").substr(0, 300);
  std::string deep_key = "b";
  for (int i = 0; i < 60000; ++i) deep_key += ".b";
  const std::string msg = error_of(deep_key + " = 1\n" + kValid);
  EXPECT_NE(msg.find("s.toml:1:2:"), std::string::npos) << msg.substr(0, 300);
  EXPECT_NE(msg.find("nesting limit"), std::string::npos);
  EXPECT_NE(
      error_of("v = " + std::string(60000, '[') + "\n" + kValid).find("s.toml:1:133: more than 128 nested"),
      std::string::npos);
  // The same check for --set overrides, blamed on the flag.
  EXPECT_EQ(error_of(kValid, {deep_key + "=1"}).rfind("--set b.b.b", 0), 0u);
  EXPECT_NE(error_of(kValid, {"seed=" + std::string(60000, '[')}).find("more than 128 nested"),
            std::string::npos);
  // Below the limit nothing changes: a dotted key of 100 parts is an ordinary unknown key.
  std::string fine = "c";
  for (int i = 0; i < 99; ++i) fine += ".c";
  EXPECT_NE(error_of(fine + " = 1\n" + kValid).find("unknown key 'c'"), std::string::npos);
  // Dots inside strings and comments are not key parts.
  EXPECT_EQ(error_of(kValid + "# " + deep_key + "\n[population.res2]\nkind = \"leaky\"\n"), "");
}

// Issue 23: `--set 'population.res.=1'` and `--set population..res.tau=1` were blamed on the
// scenario file at a location not in it.
TEST(Scenario, SetKeysWithEmptyPartsAreBlamedOnTheFlag) {
  for (const std::string flag : {"population.res.=1", "population..res.tau=1", ".seed=1"}) {
    const std::string msg = error_of(kValid, {flag});
    EXPECT_EQ(msg.rfind("--set " + flag + ": the key has an empty part", 0), 0u) << msg;
  }
  // A table a --set creates is blamed on that flag too, not on the file.
  EXPECT_EQ(error_of(kValid, {"population.x.kind=nope"}).rfind("--set population.x.kind=nope", 0), 0u)
      << error_of(kValid, {"population.x.kind=nope"});
}

// Issue 23: an error echoed a 100 kB bad value whole.
TEST(Scenario, LongBadValuesAreShortenedInMessages) {
  const std::string huge(100000, 'q');
  for (const std::string& msg : {error_of(replace(kValid, "kind = \"narma10\"", "kind = \"" + huge + "\"")),
                                 error_of(replace(kValid, "density = 1.0", "density = \"" + huge + "\"")),
                                 error_of(kValid, {"population.res.size=" + huge})}) {
    EXPECT_LT(msg.size(), 1000u) << msg.substr(0, 300);
    EXPECT_NE(msg.find("(100000 characters)"), std::string::npos) << msg.substr(0, 300);
  }
}

// Issue 23: `readout.from = []` silently meant every population; identity routing from no
// source failed without naming file or key.
TEST(Scenario, EmptySourceListsAreRefusedWithTheKey) {
  EXPECT_NE(
      error_of(kValid + "[readout]\nfrom = []\n").find("s.toml:25:8: readout.from: expected at least one"),
      std::string::npos)
      << error_of(kValid + "[readout]\nfrom = []\n");
  const std::string routed = kValid +
                             "[population.b]\nkind = \"leaky\"\nsize = 4\n[[projection]]\nfrom = []\nto = "
                             "\"b\"\nkind = \"identity\"\n";
  EXPECT_NE(error_of(routed).find("s.toml:28:8: projection.2.from: expected at least one source"),
            std::string::npos)
      << error_of(routed);
}

// Issue 23: token_period = 1e308 (or 2^63-1) with dt = 1 was accepted and never finished a
// token. token_period / dt is bounded by kMaxStepsPerToken (1e8).
TEST(Scenario, AbsurdStepsPerTokenAreRefused) {
  for (const std::string period : {"1e308", "9223372036854775807", "100000001"}) {
    const std::string msg = error_of(
        replace(replace(kValid, "dt = 0.5", "dt = 1"), "token_period = 1.0", "token_period = " + period));
    EXPECT_NE(msg.find("s.toml:2:1: simulation.token_period: token_period / dt = "), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("integrator steps per token; at most 1e+08"), std::string::npos) << msg;
  }
  EXPECT_EQ(error_of(replace(kValid, "token_period = 1.0", "token_period = 5e7")), "");  // 1e8 steps: allowed
  EXPECT_EQ(
      error_of(kValid, {"simulation.token_period=1e300"}).rfind("--set simulation.token_period=1e300", 0),
      0u);
  // Tiny periods print as numbers, not "0.000000".
  EXPECT_NE(error_of(replace(kValid, "token_period = 1.0", "token_period = 1e-300"))
                .find("token_period (1e-300 s)"),
            std::string::npos);
}

// Issue 23: a directory given as the scenario said "missing the [task] table".
TEST(Scenario, ADirectoryIsNotAScenario) {
  const std::string dir = test::test_dir();
  try {
    load_scenario(dir);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": is a directory, not a scenario file (expected a .toml file)");
  }
}

}  // namespace
