// The teacher-student pieces (docs/training.md, docs/models.md): a loss on a recordable
// (readout.from = "POP.RECORDABLE", Differentiable::sample_vjp), gated_linear's random student
// and its trainable output gating, the linear_self_attention teacher task, train.batches.
//
// Expected numbers: the gradients against central finite differences
// (tests/support/gradient_check.hpp, on the student's `output`); the teacher's target against a naive
// triple loop over s <= t; readout features against the session's own sample of the
// recordable and its fitted readout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "run/session.hpp"
#include "scenario/build_network.hpp"
#include "scenario/scenario.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"
#include "tasks/teacher_task.hpp"
#include "train/trainable_network.hpp"
#include "train/trainer.hpp"

namespace ransim {
namespace {

// A random student (d = 2, 5 neurons, 3 products) on identity-routed input, Euler or RK4.
std::string student(const std::string& simulation, std::size_t lanes) {
  return "seed = 4\n[simulation]\n" + simulation + "lanes = " + std::to_string(lanes) +
         "\n[task]\nkind = \"linear_self_attention\"\ndim = 2\n"
         "[population.s]\nkind = \"gated_linear\"\ndim = 2\ninit = \"random\"\nneurons = 5\nproducts = 3\n"
         "lambda_min = 0.3\nlambda_max = 0.9\n"
         "[[projection]]\nfrom = \"input\"\nto = \"s\"\nkind = \"identity\"\nmap = \"ordered\"\n";
}

TEST(SampleVjp, StudentOutputMatchesFiniteDifferences) {
  test::load_plugins();
  for (const std::string simulation : {"integrator = \"euler\"\n", "integrator = \"rk4\"\ndt = 0.5\n"}) {
    SCOPED_TRACE(simulation);
    test::GradientCheck check({student(simulation, 3), {"s"}, 5, 2, "output"});
    EXPECT_EQ(check.network().names(),
              (std::vector<std::string>{"s.lambda", "s.G_in", "s.X_in", "s.G_out", "s.X_out", "s.D"}));
    EXPECT_LT(check.worst_relative_error(), 1e-6);
  }
}

TEST(SampleVjp, ARecordableWithoutABackwardPassIsNamed) {
  test::load_plugins();
  const Scenario sc = parse_scenario(student("", 1), "<student>");
  auto net = build_network(sc, 2);
  TrainableNetwork tn(*net, {"s"});
  const std::string msg =
      test::input_error([&] { tn.require_sample_vjp(0, "state", "train: readout.from"); });
  EXPECT_NE(msg.find("train: readout.from: the recordable 's.state' (gated_linear) has no backward pass"),
            std::string::npos)
      << msg;
}

TEST(GatedLinearStudent, RandomInitDrawsLambdaInItsRangeAndTheDocumentedShapes) {
  test::load_plugins();
  const Scenario sc = parse_scenario(student("", 1), "<student>");
  auto net = build_network(sc, 2);
  const auto w = net->populations()[0].model->weights();
  EXPECT_EQ(w.count("W_Q"), 0u);  // a random student is not built from attention weights
  EXPECT_EQ(w.at("lambda").n_elem, 5u);
  EXPECT_GE(w.at("lambda").min(), 0.3);
  EXPECT_LE(w.at("lambda").max(), 0.9);
  EXPECT_EQ(w.at("G_in").n_rows, 5u);
  EXPECT_EQ(w.at("G_in").n_cols, 3u);
  EXPECT_EQ(w.at("G_out").n_rows, 3u);
  EXPECT_EQ(w.at("D").n_rows, 2u);
  EXPECT_EQ(w.at("D").n_cols, 3u);
}

// y_t(i) = sum_{s<=t} (W_V x_s)_i (W_K x_s . W_Q x_t), every product written out.
TEST(LinearSelfAttentionTask, TargetIsTheCausalLinearAttentionOfTheTeacher) {
  const Params p = test::task_params(
      "linear_self_attention",
      {{"dim", std::int64_t{3}}, {"train", std::int64_t{6}}, {"test", std::int64_t{3}}, {"wq_scale", 0.8}});
  const auto task = find_task("linear_self_attention")->create(p);
  Rng rng = make_rng(5, "teacher_test");
  const Sequences s = task->generate(2, rng);
  ASSERT_EQ(s.steps, 9u);
  ASSERT_EQ(s.input_dim, 3u);
  const TeacherWeights w = teacher_weights(p);
  const auto apply = [](const arma::mat& m, const double* x, std::size_t i) {
    double sum = 0;
    for (std::size_t j = 0; j < 3; ++j) sum += m(i, j) * x[j];
    return sum;
  };
  double worst = 0;
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < s.steps; ++t)
      for (std::size_t i = 0; i < 3; ++i) {
        double y = 0;
        for (std::size_t r = 0; r <= t; ++r) {
          double score = 0;
          for (std::size_t a = 0; a < 3; ++a)
            score += apply(w.WK, s.input_at(r, b), a) * apply(w.WQ, s.input_at(t, b), a);
          y += apply(w.WV, s.input_at(r, b), i) * score;
        }
        worst = std::max(worst, std::abs(s.target_at(t, b)[i] - y) / std::max(1.0, std::abs(y)));
      }
  EXPECT_LT(worst, 1e-12);
}

// The teacher's weights are a linear_attention population's with seed = teacher_seed.
TEST(LinearSelfAttentionTask, TeacherWeightsAreLinearAttentionsDraw) {
  test::load_plugins();
  const Params p = test::task_params("linear_self_attention", {{"teacher_seed", std::int64_t{9}}});
  const Scenario sc = parse_scenario(
      "seed = 9\n[task]\nkind = \"narma10\"\n[population.a]\nkind = \"linear_attention\"\ndim = 4\n"
      "weights_stream = \"teacher\"\n[[projection]]\nfrom = \"input\"\nto = \"a\"\nkind = \"identity\"\n",
      "<lsa>");
  const auto w = build_network(sc, 1)->populations()[0].model->weights();
  const TeacherWeights t = teacher_weights(p);
  EXPECT_TRUE(arma::approx_equal(w.at("W_Q"), t.WQ, "absdiff", 0.0));
  EXPECT_TRUE(arma::approx_equal(w.at("W_V"), t.WV, "absdiff", 0.0));
}

// The session's readout reads `output` as Population::sample gives it: its prediction is the
// fitted readout applied to the sampled output.
TEST(ReadoutFromRecordable, SessionFeaturesAreTheSampledRecordable) {
  test::load_plugins();
  Session s(parse_scenario(student("", 2) + "[readout]\nfrom = [\"s.output\"]\n", "<student>"));
  while (!s.done()) s.step();
  ASSERT_TRUE(s.readout_trained());
  const std::vector<double> y = s.sample(0, "output"), predicted = *s.prediction();
  const arma::mat& w = s.readout();  // (features + 1) x outputs
  ASSERT_EQ(w.n_rows, 3u);
  std::vector<double> expected(predicted.size());
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t o = 0; o < 2; ++o)
      expected[o * 2 + b] = w(0, o) * y[b * 2] + w(1, o) * y[b * 2 + 1] + w(2, o);
  EXPECT_LT(test::rel_dev(predicted, expected), 1e-12);
}

TEST(ReadoutFromRecordable, UnknownOrDriveReadingRecordablesAreRefused) {
  test::load_plugins();
  std::string msg = test::input_error(
      [] { Session s(parse_scenario(student("", 1) + "[readout]\nfrom = [\"s.nope\"]\n", "<student>")); });
  EXPECT_NE(
      msg.find(
          "readout.from: population 's' (gated_linear) has no recordable 'nope' (it has: state, output)"),
      std::string::npos)
      << msg;
  msg =
      test::input_error([] { parse_scenario(student("", 1) + "[readout]\nfrom = [\"t.output\"]\n", "<s>"); });
  EXPECT_NE(msg.find("no population named 't.output'"), std::string::npos) << msg;
}

// A tiny teacher-student (d = 2, sequences of 6 tokens) for a few epochs of 4 mini-batches.
std::string tiny_teacher_student(std::size_t epochs) {
  return "seed = 2\n[simulation]\nintegrator = \"euler\"\n[task]\nkind = \"linear_self_attention\"\ndim = 2\n"
         "warmup = 0\ntrain = 6\ntest = 6\n"
         "[population.s]\nkind = \"gated_linear\"\ndim = 2\ninit = \"random\"\nneurons = 8\nproducts = 4\n"
         "[[projection]]\nfrom = \"input\"\nto = \"s\"\nkind = \"identity\"\nmap = \"ordered\"\n"
         "[readout]\nfrom = [\"s.output\"]\n"
         "[train]\ntrainable = [\"s\"]\nepochs = " +
         std::to_string(epochs) +
         "\nwindow = 6\nbatch = 16\nbatches = 4\nlr = 0.01\nclip = 0\npatience = 0\n";
}

TEST(TeacherStudent, TrainingLowersTheValidationLoss) {
  test::load_plugins();
  Trainer trainer(parse_scenario(tiny_teacher_student(8), "<ts>"));
  TrainState st;
  EXPECT_EQ(trainer.run(st, nullptr, nullptr, nullptr), TrainEnd::Epochs);
  ASSERT_EQ(st.validation_loss.size(), 8u);
  EXPECT_LT(st.validation_loss.back(), 0.8 * st.validation_loss.front());
  EXPECT_GT(st.validation_target_variance, 0.0);
  EXPECT_EQ(st.trainable.size(), 6u);  // every weight of the student
}

// The bar on the scenario itself, shortened to 80 epochs (docs/models.md: the relative
// loss first fell below 1e-3 at epoch 39 of the full run): relative validation loss <= 1e-3
// and most learned lambda within 0.05 of 0 or 1.
TEST(TeacherStudentSlow, ScenarioReachesTheTarget) {
  test::load_plugins();
  Scenario sc = load_scenario(std::string(RANSIM_SOURCE_DIR) + "/scenarios/train_teacher_student.toml",
                              {"train.epochs=80"});
  Trainer trainer(sc);
  TrainState st;
  ASSERT_EQ(trainer.run(st, nullptr, nullptr, nullptr), TrainEnd::Epochs);
  const double relative = st.validation_loss[st.best_epoch - 1] / st.validation_target_variance;
  std::printf("best epoch %zu: relative validation loss %.3g\n", st.best_epoch, relative);
  EXPECT_LE(relative, 1e-3);
  const arma::mat lambda = trainer.network().populations()[0].model->weights().at("lambda");
  const auto near = arma::accu(arma::min(arma::abs(lambda), arma::abs(lambda - 1.0)) <= 0.05);
  std::printf("lambda within 0.05 of 0 or 1: %llu of %llu\n", static_cast<unsigned long long>(near),
              static_cast<unsigned long long>(lambda.n_elem));
  EXPECT_GE(static_cast<double>(near), 0.75 * static_cast<double>(lambda.n_elem));
}

// `ransim info` lists what docs/training.md and docs/tasks.md document.
TEST(TeacherStudent, InfoListsTheNewKeys) {
  const std::string out = test::tmp_path("info.txt");
  ASSERT_EQ(std::system((std::string(RANSIM_CLI) + " info > " + out).c_str()), 0);
  std::ifstream in(out);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (const char* key : {"linear_self_attention", "teacher_seed", "teacher_stream", "input_scale", "batches",
                          "lambda_min", "lambda_max", "init_scale", "neurons", "products"})
    EXPECT_NE(text.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace ransim
