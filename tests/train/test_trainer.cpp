// Trainer, its files and `ransim train` (core/train, apps/ransim/train_command.cpp).
//
// The expected facts come from the definitions in docs/training.md: a resumed training is the
// same computation as one that never stopped (each epoch's data derive from (seed, epoch)
// alone, and the checkpoint holds the values and Adam's state), the trained weights a scenario
// loads are the ones the file holds, and gradient steps lower the training loss of a network
// whose readout starts at zero.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/recorder.hpp"
#include "io/setup.hpp"
#include "ransim/error.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "train/train_file.hpp"
#include "train/trainable_network.hpp"
#include "train/trainer.hpp"

namespace ransim {
namespace {

std::string scenario(std::size_t epochs, const std::string& extra = "",
                     const std::string& trainable = R"(["res", "res_to_res"])") {
  test::SmallReservoir r;
  r.train = 200;
  r.test = 100;
  r.size = 12;
  r.population = "bias_scale = 0.1\n";
  return test::small_reservoir(r) + "[train]\ntrainable = " + trainable + "\nepochs = " +
         std::to_string(epochs) + "\nwindow = 10\nbatch = 4\nlr = 0.01\npatience = 0\n" + extra;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Trainer, LowersTheTrainingLoss) {
  const Scenario sc = parse_scenario(scenario(4), "<train>");
  Trainer trainer(sc);
  TrainState st;
  std::vector<TrainProgress> seen;
  EXPECT_EQ(trainer.run(st, [&](const TrainProgress& p) { seen.push_back(p); }, nullptr, nullptr),
            TrainEnd::Epochs);
  ASSERT_EQ(st.train_loss.size(), 4u);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_LT(st.train_loss.back(), st.train_loss.front());
  EXPECT_EQ(st.trainable, (std::vector<std::string>{"res.bias", "res_to_res"}));
  EXPECT_GE(st.best_epoch, 1u);
  for (std::size_t e = 0; e < 4; ++e)
    EXPECT_LE(st.validation_loss[st.best_epoch - 1], st.validation_loss[e]);  // the best is the lowest
}

TEST(Trainer, ResumedTrainingEqualsAnUninterruptedOne) {
  const Scenario sc = parse_scenario(scenario(3), "<train>");
  TrainState whole;
  Trainer(sc).run(whole, nullptr, nullptr, nullptr);

  const std::string ckpt = test::tmp_path("resume.checkpoint.h5");
  {
    const Scenario two = parse_scenario(scenario(2), "<train>");
    Trainer first(two);
    TrainState st;
    first.run(st, nullptr,
              [&](const TrainState& s) {
                Recorder rec({.path = ckpt, .overwrite = true});
                write_setup(rec, two, "", first.network());
                write_training(rec, s, TrainEnd::Epochs, true);
                rec.finish(RunStatus::Complete);
              },
              nullptr);
  }
  TrainState resumed = read_checkpoint(ckpt);
  ASSERT_EQ(resumed.train_loss.size(), 2u);
  Trainer(sc).run(resumed, nullptr, nullptr, nullptr);
  EXPECT_EQ(resumed.train_loss, whole.train_loss);
  EXPECT_EQ(resumed.validation_loss, whole.validation_loss);
  EXPECT_EQ(resumed.best_values, whole.best_values);
}

TEST(TrainedWeights, AScenarioLoadsWhatTheFileHolds) {
  const Scenario sc = parse_scenario(scenario(2), "<train>");
  Trainer trainer(sc);
  TrainState st;
  trainer.run(st, nullptr, nullptr, nullptr);
  const std::string file = test::tmp_path("trained.h5");
  {
    Recorder rec({.path = file});
    write_setup(rec, sc, "", trainer.network());
    write_training(rec, st, TrainEnd::Epochs, false);
    rec.finish(RunStatus::Complete);
  }
  Scenario loaded = sc;
  loaded.weights_file = file;
  auto net = build_network(loaded, 1);
  TrainableNetwork tn(*net, st.trainable);
  EXPECT_EQ(tn.values(), st.best_values);

  // Another seed draws another sparsity: refused, naming the projection.
  Scenario other = sc;
  other.seed = 99;
  other.weights_file = file;
  const std::string msg = test::input_error([&] { build_network(other, 1); });
  EXPECT_NE(msg.find("projection 'res_to_res' has another sparsity"), std::string::npos) << msg;
  const std::string none = test::input_error([&] {
    Scenario s = sc;
    s.weights_file = test::tmp_path("missing.h5");
    build_network(s, 1);
  });
  EXPECT_NE(none.find("missing.h5"), std::string::npos) << none;
}

TEST(TrainCommand, TrainsScoresAndResumes) {
  const std::string path = test::write_file(test::tmp_path("train.toml"), scenario(2));
  const std::string out = test::tmp_path("out.h5");
  const std::string cli = std::string(RANSIM_CLI) + " train " + path + " --out " + out + " --quiet";
  ASSERT_EQ(std::system((cli + " > " + test::tmp_path("stdout.txt")).c_str()), 0);
  const std::string text = read_text(test::tmp_path("stdout.txt"));
  EXPECT_NE(text.find("untrained"), std::string::npos) << text;
  EXPECT_NE(text.find("nrmse_test"), std::string::npos) << text;
  EXPECT_TRUE(std::filesystem::exists(test::tmp_path("out.checkpoint.h5")));
  // A second run without --overwrite or --resume keeps the first file.
  EXPECT_EQ(WEXITSTATUS(std::system((cli + " 2> /dev/null > /dev/null").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(std::system((cli + " --resume --set train.epochs=3 > /dev/null").c_str())), 0);
}

TEST(TrainCommand, RefusesBadTrainTables) {
  const std::string bad = test::input_error([] { parse_scenario(scenario(2, "rate = 3\n"), "<bad>"); });
  EXPECT_NE(bad.find("unknown key 'train.rate'"), std::string::npos) << bad;
  const std::string clip = test::input_error([] { parse_scenario(scenario(2, "clip = -1.0\n"), "<bad>"); });
  EXPECT_NE(clip.find("train.clip"), std::string::npos) << clip;
  const std::string name =
      test::input_error([] { Trainer(parse_scenario(scenario(2, "", R"(["res.tau"])"), "<t>")); });
  EXPECT_NE(name.find("train.trainable: 'res.tau' is not a trainable weight"), std::string::npos) << name;
}

}  // namespace
}  // namespace ransim
