// Plugin loading: each failure gives its documented message (plugins/example_unit/README.md).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "models/plugin_loader.hpp"
#include "ransim/error.hpp"
#include "support/test_support.hpp"

using namespace ransim;

namespace {

const std::string kDir = RANSIM_FIXTURE_DIR;

std::string load_error(const std::string& file, Registry& r) {
  PluginLoader loader;
  try {
    loader.load(kDir + "/" + file, r, {"/searched/a", "/searched/b"});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Plugin, LoadsAndRegistersWithOrigin) {
  Registry r;
  PluginLoader loader;
  loader.load(kDir + "/fixture_ok.so", r);
  ASSERT_NE(r.find("fixture_unit"), nullptr);
  EXPECT_EQ(r.find("fixture_unit")->origin, kDir + "/fixture_ok.so");
  ASSERT_EQ(loader.loaded().size(), 1u);
  EXPECT_EQ(loader.loaded()[0].models, std::vector<std::string>{"fixture_unit"});
  PopulationContext ctx{"p", defaults(r.find("fixture_unit")->params), 1};
  auto pop = r.find("fixture_unit")->create(ctx);
  EXPECT_EQ(pop->state_size(), 1u);
}

// What a plugin declares (parameters by builder, layout, display hints) reads the same on
// this side of the ABI: the reason the ABI version was bumped when these fields came.
TEST(Plugin, DeclaredLayoutCrossesThePluginBoundary) {
  Registry r;
  PluginLoader loader;
  loader.load(kDir + "/fixture_ok.so", r);
  const PopulationInfo* info = r.find("fixture_unit");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->params.size(), 1u);
  EXPECT_EQ(info->params[0].name, "rate");
  EXPECT_EQ(info->params[0].expectation(), "a real number (1/s)");
  EXPECT_EQ(info->colour, "#17becf");
  ASSERT_EQ(info->layout.derived.size(), 1u);
  const VariableSpec* glow = info->layout.find("glow");
  ASSERT_NE(glow, nullptr);
  EXPECT_EQ(glow->axes, std::vector<std::string>{"units"});
  auto pop = info->create({"p", defaults(info->params), 1});
  const auto recordables = pop->recordables();
  ASSERT_EQ(recordables.size(), 2u);
  const Display d = declared_display(info, recordables[1]);
  EXPECT_EQ(d.view, ViewKind::Heatmap);
  EXPECT_EQ(d.colour, "#d62728");
  EXPECT_EQ(declared_display(info, recordables[0]).view, ViewKind::Auto);
}

TEST(Plugin, ParameterBuildersMakeTheSpecsOfThePositionalForm) {
  const ParamSpec tau = param::real("tau").unit("s").greater_than(0).defaults_to(1).describe("time");
  EXPECT_EQ(tau.type, ParamType::Real);
  EXPECT_EQ(std::get<double>(tau.default_value), 1.0);
  EXPECT_EQ(tau.expectation(), "a real number > 0 (s)");
  EXPECT_TRUE(tau.check(0.0).has_value());
  const ParamSpec size = param::integer("size").range(1, 1e8).defaults_to(100);
  EXPECT_EQ(size.expectation(), "an integer in [1, 1e+08]");
  EXPECT_EQ(std::get<std::int64_t>(size.default_value), 100);
  const ParamSpec f = param::choice("f", {"tanh", "relu"});
  EXPECT_EQ(std::get<std::string>(f.default_value), "tanh");
  EXPECT_EQ(f.expectation(), "one of \"tanh\" | \"relu\"");
  EXPECT_FALSE(param::boolean("b").spec().check(true).has_value());
  // A default outside the declared range is the model's bug, caught when it registers.
  EXPECT_THROW((void)param::integer("size").range(1, 10).spec(), std::logic_error);
}

TEST(Plugin, MissingFileNamesFileReasonAndSearchedDirectories) {
  Registry r;
  const std::string msg = load_error("nope.so", r);
  EXPECT_NE(msg.find("plugin '" + kDir + "/nope.so': cannot load:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("directories searched: /searched/a, /searched/b"), std::string::npos) << msg;
}

TEST(Plugin, NotASharedLibrary) {
  const std::string bogus = ransim::test::tmp_path("bogus.so");
  std::ofstream(bogus) << "not an ELF file";
  Registry r;
  PluginLoader loader;
  try {
    loader.load(bogus, r);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load"), std::string::npos) << e.what();
  }
}

TEST(Plugin, MissingSymbol) {
  Registry r;
  const std::string msg = load_error("fixture_nosymbol.so", r);
  EXPECT_NE(msg.find("not a ransim plugin: missing symbol ransim_plugin_abi_version"), std::string::npos)
      << msg;
}

TEST(Plugin, AbiMismatchIsRefusedBeforeRegistering) {
  Registry r;
  const std::string msg = load_error("fixture_badabi.so", r);
  EXPECT_NE(msg.find("built for plugin ABI 999, but this ransim has ABI " +
                     std::to_string(RANSIM_PLUGIN_ABI_VERSION) + "; rebuild it"),
            std::string::npos)
      << msg;
  EXPECT_EQ(r.find("fixture_bad"), nullptr);
}

TEST(Plugin, DuplicateNameIsRejectedAndAddsNothing) {
  Registry r;
  register_builtin_models(r);
  const std::string msg = load_error("fixture_dup.so", r);
  EXPECT_NE(msg.find("population model 'leaky' is already registered by built-in"), std::string::npos) << msg;
  EXPECT_EQ(r.find("leaky")->origin, "built-in");
}

TEST(Plugin, LoadAllSkipsMissingDirectoriesAndLoadsEachFileOnce) {
  const std::string dir = ransim::test::tmp_path("plugins_once");
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kDir + "/fixture_ok.so", dir + "/fixture_ok.so",
                             std::filesystem::copy_options::overwrite_existing);
  Registry r;
  PluginLoader loader;
  loader.load_all({"/no/such/dir", dir, dir}, r);
  EXPECT_EQ(loader.loaded().size(), 1u);
  EXPECT_NE(r.find("fixture_unit"), nullptr);
}

TEST(Plugin, SearchPathOrder) {
  setenv("RANSIM_PLUGIN_PATH", "/env/one:/env/two", 1);
  const auto dirs = PluginLoader::search_path({"/flag"});
  unsetenv("RANSIM_PLUGIN_PATH");
  ASSERT_GE(dirs.size(), 4u);
  EXPECT_EQ(dirs[0], "/flag");
  EXPECT_EQ(dirs[1], "/env/one");
  EXPECT_EQ(dirs[2], "/env/two");
  EXPECT_EQ(dirs[3], default_plugin_dir());
}

}  // namespace

namespace {

TEST(Plugin, ARegistrationThatThrowsNamesThePluginFile) {
  Registry r;
  const std::string msg = load_error("fixture_throws.so", r);
  EXPECT_NE(msg.find("plugin '" + kDir + "/fixture_throws.so': its registration failed: boom from plugin"),
            std::string::npos)
      << msg;
}

// A second copy of a plugin further along the search path (an installed one beside a
// build's): the first found wins, a warning names both files, and nothing fails.
TEST(Plugin, ASecondCopyOnTheSearchPathIsSkippedWithAWarning) {
  const std::string first = ransim::test::tmp_path("plugins_first"),
                    second = ransim::test::tmp_path("plugins_second");
  for (const auto& d : {first, second}) {
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(kDir + "/fixture_ok.so", d + "/fixture_ok.so",
                               std::filesystem::copy_options::overwrite_existing);
  }
  Registry r;
  PluginLoader loader;
  loader.load_all({first, second}, r);
  ASSERT_EQ(loader.loaded().size(), 1u);
  EXPECT_EQ(r.find("fixture_unit")->origin, first + "/fixture_ok.so");
  ASSERT_EQ(loader.warnings().size(), 1u);
  const std::string& w = loader.warnings()[0];
  EXPECT_NE(w.find("plugin '" + second +
                   "/fixture_ok.so': skipped: population model 'fixture_unit' is "
                   "already registered by " +
                   first + "/fixture_ok.so"),
            std::string::npos)
      << w;
}

TEST(Plugin, AnUnreadablePluginDirectoryIsAnErrorNamingIt) {
  const std::string dir = ransim::test::tmp_path("plugins_unreadable");
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::none);
  // Root reads every directory: the check runs in a child that is not root.
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && setuid(65534) != 0) _exit(3);
    Registry r;
    PluginLoader loader;
    try {
      loader.load_all({dir}, r);
    } catch (const InputError& e) {
      const std::string msg = e.what();
      _exit(msg.find("plugin directory '" + dir + "': cannot read it: Permission denied") != std::string::npos
                ? 0
                : 2);
    }
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: another message, 3: setuid failed";
}

}  // namespace
