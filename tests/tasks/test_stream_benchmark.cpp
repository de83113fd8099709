// The STREAM benchmark's tasks (docs/tasks.md) against the benchmark's own definitions
// (Naowak/STREAM-benchmark, stream_benchmark/tasks.py and evals.py for the `small` sizes,
// __init__.py's compute_score for the metrics): shapes, alphabets, value ranges and the target
// rule, recomputed here from the generated inputs; the sine and the Lorenz series recomputed
// from their closed form and their Euler recurrence.
#include <gtest/gtest.h>

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "run/run.hpp"
#include "scenario/scenario.hpp"
#include "support/test_support.hpp"
#include "tasks/tasks.hpp"

namespace {

using ransim::EpisodeBatch;
using ransim::Split;
using ransim::test::argmax;
using ransim::test::task_params;

std::unique_ptr<ransim::EpisodeTask> episodes(
    const std::string& kind, const std::vector<std::pair<std::string, ransim::Value>>& set = {}) {
  const ransim::TaskInfo* info = ransim::find_task(kind);
  EXPECT_NE(info, nullptr) << kind;
  return info->create_episodes(task_params(kind, set));
}

// Views of a batch: the input vector of (token k, episode e) and the target of (point p, e).
struct View {
  const ransim::EpisodeTask& task;
  const EpisodeBatch& b;
  const double* in(std::size_t k, std::size_t e) const {
    return &b.input[(k * b.count + e) * task.input_dim];
  }
  const double* out(std::size_t p, std::size_t e) const {
    return &b.target[(p * b.count + e) * task.target_dim];
  }
  bool silent(std::size_t k, std::size_t e) const {
    return std::all_of(in(k, e), in(k, e) + task.input_dim, [](double v) { return v == 0.0; });
  }
  bool one_hot(std::size_t k, std::size_t e) const {
    std::size_t ones = 0, zeros = 0;
    for (std::size_t i = 0; i < task.input_dim; ++i) (in(k, e)[i] == 1.0 ? ones : zeros) += 1;
    return ones == 1 && zeros + 1 == task.input_dim;
  }
};

std::vector<std::size_t> fixed_tokens(const ransim::EpisodeTask& t) {
  std::vector<std::size_t> out;
  for (auto& p : t.points) {
    EXPECT_EQ(p.size(), 1u);
    out.push_back(p[0]);
  }
  return out;
}

std::vector<std::size_t> range(std::size_t from, std::size_t to) {
  std::vector<std::size_t> v;
  for (std::size_t k = from; k < to; ++k) v.push_back(k);
  return v;
}

// ---------------------------------------------------------------------------------------
// Every STREAM task is registered with the benchmark's small split: n_train 100, n_valid 20,
// n_test 100 (evals.py stream_small), the validation episodes being the last train ones.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, EpisodeTasksHaveTheSmallSplit) {
  for (const char* kind :
       {"stream_discrete_postcasting", "stream_continuous_postcasting", "stream_discrete_pattern_completion",
        "stream_continuous_pattern_completion", "stream_bracket_matching", "stream_simple_copy",
        "stream_selective_copy", "stream_adding_problem", "stream_sorting_problem"}) {
    auto t = episodes(kind);
    EXPECT_EQ(t->fit_episodes(), 100u) << kind;
    EXPECT_EQ(t->validation, 20u) << kind;
    EXPECT_EQ(t->test, 100u) << kind;
  }
}

// ---------------------------------------------------------------------------------------
// Postcasting (generate_discrete_postcasting / generate_continuous_postcasting): small sizes
// L = 50, delay 5, 3 symbols; target[t] = input[t - delay], timesteps delay..L-1 scored;
// error rate for the discrete one, MSE for the continuous one (U(-0.8, 0.8) inputs).
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, DiscretePostcasting) {
  auto t = episodes("stream_discrete_postcasting");
  ASSERT_EQ(t->length, 50u);
  ASSERT_EQ(t->input_dim, 3u);
  ASSERT_EQ(t->target_dim, 3u);
  EXPECT_EQ(fixed_tokens(*t), range(5, 50));
  EXPECT_EQ(t->metric, ransim::Metric::ErrorRate);
  const std::size_t E = 200;
  const EpisodeBatch b = t->episodes(Split::Train, 0, E, 4);
  const View v{*t, b};
  std::vector<double> count(3, 0.0);
  for (std::size_t e = 0; e < E; ++e) {
    for (std::size_t k = 0; k < 50; ++k) {
      ASSERT_TRUE(v.one_hot(k, e));
      count[argmax(v.in(k, e), 3)] += 1;
    }
    for (std::size_t p = 0; p < 45; ++p)
      for (std::size_t i = 0; i < 3; ++i) ASSERT_EQ(v.out(p, e)[i], v.in(p, e)[i]);  // token p + 5 - 5
  }
  // randint(0, 3): each symbol 1/3 of 10000 draws, binomial sd 47.
  for (double c : count) EXPECT_NEAR(c / (E * 50), 1.0 / 3, 0.02);
}

TEST(StreamBenchmark, ContinuousPostcasting) {
  auto t = episodes("stream_continuous_postcasting");
  ASSERT_EQ(t->length, 50u);
  ASSERT_EQ(t->input_dim, 1u);
  EXPECT_EQ(fixed_tokens(*t), range(5, 50));
  EXPECT_EQ(t->metric, ransim::Metric::Mse);
  const std::size_t E = 200;
  const EpisodeBatch b = t->episodes(Split::Test, 0, E, 4);
  const View v{*t, b};
  double sum = 0, sq = 0;
  for (std::size_t e = 0; e < E; ++e) {
    for (std::size_t k = 0; k < 50; ++k) {
      const double u = *v.in(k, e);
      ASSERT_GE(u, -0.8);
      ASSERT_LT(u, 0.8);
      sum += u;
      sq += u * u;
    }
    for (std::size_t p = 0; p < 45; ++p) ASSERT_EQ(*v.out(p, e), *v.in(p, e));
  }
  // U(-0.8, 0.8): mean 0, variance 0.8^2 / 3 (10000 draws: sd of the mean 0.005).
  EXPECT_NEAR(sum / (E * 50), 0.0, 0.02);
  EXPECT_NEAR(sq / (E * 50), 0.64 / 3, 0.01);
}

// ---------------------------------------------------------------------------------------
// Pattern completion (generate_*_pattern_completion): L = 60, base_length 4, mask_ratio 0.2:
// int(60 * 0.2) = 12 distinct masked tokens per episode, which are the scored ones; the
// unmasked tokens repeat with period 4, and the target at a masked token is the pattern's
// value at its phase, read here from an unmasked token of the same phase.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, DiscretePatternCompletion) {
  auto t = episodes("stream_discrete_pattern_completion");
  ASSERT_EQ(t->length, 60u);
  ASSERT_EQ(t->input_dim, 4u);  // 3 symbols + the mask
  ASSERT_EQ(t->target_dim, 3u);
  ASSERT_EQ(t->points.size(), 12u);
  EXPECT_EQ(t->metric, ransim::Metric::ErrorRate);
  const std::size_t E = 100;
  const EpisodeBatch b = t->episodes(Split::Train, 7, E, 9);
  const View v{*t, b};
  ASSERT_EQ(b.tokens.size(), E * 12);
  std::set<std::vector<std::size_t>> masks;
  for (std::size_t e = 0; e < E; ++e) {
    const std::vector<std::size_t> masked(b.tokens.begin() + e * 12, b.tokens.begin() + (e + 1) * 12);
    masks.insert(masked);
    ASSERT_EQ(std::set<std::size_t>(masked.begin(), masked.end()).size(), 12u);
    std::vector<long> phase(4, -1);
    for (std::size_t k = 0; k < 60; ++k) {
      ASSERT_TRUE(v.one_hot(k, e));
      const std::size_t s = argmax(v.in(k, e), 4);
      const bool is_masked = std::find(masked.begin(), masked.end(), k) != masked.end();
      ASSERT_EQ(s == 3, is_masked) << "token " << k;
      if (is_masked) continue;
      if (phase[k % 4] < 0) phase[k % 4] = static_cast<long>(s);
      ASSERT_EQ(phase[k % 4], static_cast<long>(s)) << "the unmasked tokens repeat the base pattern";
    }
    for (std::size_t p = 0; p < 12; ++p) {
      ASSERT_GE(phase[masked[p] % 4], 0);  // 15 tokens per phase, 12 masked at most
      ASSERT_EQ(static_cast<long>(argmax(v.out(p, e), 3)), phase[masked[p] % 4]);
    }
  }
  EXPECT_GT(masks.size(), E - 2) << "every episode draws its own mask";
}

TEST(StreamBenchmark, ContinuousPatternCompletion) {
  auto t = episodes("stream_continuous_pattern_completion");
  ASSERT_EQ(t->length, 60u);
  ASSERT_EQ(t->input_dim, 1u);
  ASSERT_EQ(t->points.size(), 12u);
  EXPECT_EQ(t->metric, ransim::Metric::Mse);
  const std::size_t E = 100;
  const EpisodeBatch b = t->episodes(Split::Test, 0, E, 9);
  const View v{*t, b};
  for (std::size_t e = 0; e < E; ++e) {
    const std::vector<std::size_t> masked(b.tokens.begin() + e * 12, b.tokens.begin() + (e + 1) * 12);
    std::vector<double> phase(4, -2.0);
    for (std::size_t k = 0; k < 60; ++k) {
      const double u = *v.in(k, e);
      const bool is_masked = std::find(masked.begin(), masked.end(), k) != masked.end();
      ASSERT_EQ(u == -1.0, is_masked);
      if (is_masked) continue;
      ASSERT_GE(u, 0.0);  // the base pattern is U(0, 1)
      ASSERT_LT(u, 1.0);
      if (phase[k % 4] < -1) phase[k % 4] = u;
      ASSERT_EQ(phase[k % 4], u);
    }
    for (std::size_t p = 0; p < 12; ++p) ASSERT_EQ(*v.out(p, e), phase[masked[p] % 4]);
  }
}

// ---------------------------------------------------------------------------------------
// Simple copy (generate_simple_copy): L = 22, delay 5, 3 symbols; input L one-hot symbols,
// `delay` silent tokens, the trigger (channel 3) at token L + delay, L silent tokens; the L
// symbols are scored at tokens L + delay + 1 .. 2L + delay.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, SimpleCopy) {
  auto t = episodes("stream_simple_copy");
  ASSERT_EQ(t->length, 50u);
  ASSERT_EQ(t->input_dim, 4u);
  ASSERT_EQ(t->target_dim, 3u);
  EXPECT_EQ(fixed_tokens(*t), range(28, 50));
  const EpisodeBatch b = t->episodes(Split::Train, 0, 50, 3);
  const View v{*t, b};
  for (std::size_t e = 0; e < 50; ++e) {
    for (std::size_t k = 0; k < 22; ++k) {
      ASSERT_TRUE(v.one_hot(k, e));
      ASSERT_LT(argmax(v.in(k, e), 4), 3u);
      ASSERT_EQ(argmax(v.out(k, e), 3), argmax(v.in(k, e), 4));
    }
    for (std::size_t k = 22; k < 50; ++k) ASSERT_EQ(v.silent(k, e), k != 27) << k;
    ASSERT_EQ(v.in(27, e)[3], 1.0);
  }
}

// ---------------------------------------------------------------------------------------
// Selective copy (generate_selective_copy): L = 40, delay 5, 5 markers, 3 symbols; every one
// of the L tokens carries a symbol, 5 distinct ones also the marker (channel 3); the trigger
// (channel 4) at token L + delay; the marked symbols, in order, scored at the last 5 tokens.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, SelectiveCopy) {
  auto t = episodes("stream_selective_copy");
  ASSERT_EQ(t->length, 51u);
  ASSERT_EQ(t->input_dim, 5u);
  ASSERT_EQ(t->target_dim, 3u);
  EXPECT_EQ(fixed_tokens(*t), range(46, 51));
  const EpisodeBatch b = t->episodes(Split::Train, 0, 50, 5);
  const View v{*t, b};
  for (std::size_t e = 0; e < 50; ++e) {
    std::vector<std::size_t> marked;
    for (std::size_t k = 0; k < 40; ++k) {
      ASSERT_EQ(std::count(v.in(k, e), v.in(k, e) + 3, 1.0), 1);
      ASSERT_EQ(v.in(k, e)[4], 0.0);
      if (v.in(k, e)[3] == 1.0) marked.push_back(argmax(v.in(k, e), 3));
    }
    ASSERT_EQ(marked.size(), 5u);
    for (std::size_t j = 0; j < 5; ++j) ASSERT_EQ(argmax(v.out(j, e), 3), marked[j]);
    for (std::size_t k = 40; k < 51; ++k) ASSERT_EQ(v.silent(k, e), k != 45);
    ASSERT_EQ(v.in(45, e)[4], 1.0);
  }
}

// ---------------------------------------------------------------------------------------
// Adding (generate_adding_problem): L = 10, max_number 3; numbers 0..2 one-hot, two marked
// (channel 3), the trigger (channel 4) at token L; at token L + 1 the class
// (a + 1) + (b + 1) - 2 = a + b of 2 * 3 - 1 = 5.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, AddingProblem) {
  auto t = episodes("stream_adding_problem");
  ASSERT_EQ(t->length, 12u);
  ASSERT_EQ(t->input_dim, 5u);
  ASSERT_EQ(t->target_dim, 5u);
  EXPECT_EQ(fixed_tokens(*t), std::vector<std::size_t>{11});
  const std::size_t E = 400;
  const EpisodeBatch b = t->episodes(Split::Train, 0, E, 6);
  const View v{*t, b};
  std::vector<int> classes(5, 0);
  for (std::size_t e = 0; e < E; ++e) {
    std::size_t sum = 0, marks = 0;
    for (std::size_t k = 0; k < 10; ++k) {
      ASSERT_EQ(std::count(v.in(k, e), v.in(k, e) + 3, 1.0), 1);
      if (v.in(k, e)[3] == 1.0) ++marks, sum += argmax(v.in(k, e), 3);
    }
    ASSERT_EQ(marks, 2u);
    ASSERT_TRUE(v.one_hot(10, e));
    ASSERT_EQ(v.in(10, e)[4], 1.0);
    ASSERT_TRUE(v.silent(11, e));
    ASSERT_EQ(argmax(v.out(0, e), 5), sum);
    ++classes[sum];
  }
  // a + b of two U{0, 1, 2}: 1, 2, 3, 2, 1 ninths.
  for (std::size_t c = 0; c < 5; ++c)
    EXPECT_NEAR(classes[c] / double(E), (c < 3 ? c + 1.0 : 5.0 - c) / 9.0, 0.06) << c;
}

// ---------------------------------------------------------------------------------------
// Sorting (generate_sorting_problem): L = 10, 3 symbols; input symbol one-hot (3 channels) and
// position one-hot (L + 1 channels, a permutation of 0..L-1), the trigger in the last channel
// at token L; token L + 1 + j must output the symbol whose position is j.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, SortingProblem) {
  auto t = episodes("stream_sorting_problem");
  ASSERT_EQ(t->length, 21u);
  ASSERT_EQ(t->input_dim, 14u);
  ASSERT_EQ(t->target_dim, 3u);
  EXPECT_EQ(fixed_tokens(*t), range(11, 21));
  const EpisodeBatch b = t->episodes(Split::Train, 0, 50, 8);
  const View v{*t, b};
  for (std::size_t e = 0; e < 50; ++e) {
    std::vector<long> at_position(10, -1);
    for (std::size_t k = 0; k < 10; ++k) {
      ASSERT_EQ(std::count(v.in(k, e), v.in(k, e) + 3, 1.0), 1);
      ASSERT_EQ(std::count(v.in(k, e) + 3, v.in(k, e) + 14, 1.0), 1);
      const std::size_t pos = argmax(v.in(k, e) + 3, 11);
      ASSERT_LT(pos, 10u);
      ASSERT_EQ(at_position[pos], -1) << "positions are a permutation";
      at_position[pos] = static_cast<long>(argmax(v.in(k, e), 3));
    }
    ASSERT_TRUE(v.one_hot(10, e));
    ASSERT_EQ(v.in(10, e)[13], 1.0);
    for (std::size_t j = 0; j < 10; ++j) {
      ASSERT_TRUE(v.silent(11 + j, e));
      ASSERT_EQ(static_cast<long>(argmax(v.out(j, e), 3)), at_position[j]);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Bracket matching (generate_bracket_matching): L = 50, max_depth 5; brackets '(' channel 0,
// ')' channel 1, the trigger (channel 2) at token L; at token L + 1 class 1 if the sequence is
// balanced (checked here with a counter), else 0. Half the sequences are left as generated
// (balanced, depth <= 5), half mutated (17 brackets redrawn), which are rarely balanced.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, BracketMatching) {
  auto t = episodes("stream_bracket_matching");
  ASSERT_EQ(t->length, 52u);
  ASSERT_EQ(t->input_dim, 3u);
  ASSERT_EQ(t->target_dim, 2u);
  EXPECT_EQ(fixed_tokens(*t), std::vector<std::size_t>{51});
  const std::size_t E = 1000;
  const EpisodeBatch b = t->episodes(Split::Train, 0, E, 10);
  const View v{*t, b};
  std::size_t balanced = 0, shallow = 0;
  for (std::size_t e = 0; e < E; ++e) {
    long level = 0, deepest = 0;
    bool ok = true;
    for (std::size_t k = 0; k < 50; ++k) {
      ASSERT_TRUE(v.one_hot(k, e));
      const std::size_t c = argmax(v.in(k, e), 3);
      ASSERT_LT(c, 2u);
      level += c == 0 ? 1 : -1;
      ok = ok && level >= 0;
      deepest = std::max(deepest, level);
    }
    ASSERT_EQ(v.in(50, e)[2], 1.0);
    ASSERT_TRUE(v.silent(51, e));
    const bool valid = ok && level == 0;
    ASSERT_EQ(argmax(v.out(0, e), 2), valid ? 1u : 0u);
    balanced += valid;
    shallow += valid && deepest <= 5;
  }
  // 1/2 unmutated, plus the few mutated ones that happen to balance.
  EXPECT_GT(balanced / double(E), 0.45);
  EXPECT_LT(balanced / double(E), 0.62);
  EXPECT_GT(shallow / double(balanced), 0.95);
}

// ---------------------------------------------------------------------------------------
// Forecasting (generate_sinus_forecasting / generate_chaotic_forecasting): small sizes
// sequence_length 200, forecast_length 5, ratios 0.45 / 0.1 / 0.45: training timesteps 5..89,
// validation 90..109, test 110..199: ransim's warm-up 5, train 85, validation 20, test 90.
// ---------------------------------------------------------------------------------------

ransim::Sequences forecast(const std::string& kind, std::size_t lanes = 2) {
  auto t = ransim::find_task(kind)->create(task_params(kind, {}));
  EXPECT_EQ(t->protocol.warmup, 5u);
  EXPECT_EQ(t->protocol.train, 85u);
  EXPECT_EQ(t->protocol.validation, 20u);
  EXPECT_EQ(t->protocol.test, 90u);
  EXPECT_EQ(t->metric, ransim::Metric::Mse);
  ransim::Rng rng = ransim::make_rng(1, "task");
  return t->generate(lanes, rng);
}

TEST(StreamBenchmark, SinusForecastingIsTheModulatedSine) {
  const ransim::Sequences s = forecast("stream_sinus_forecasting");
  ASSERT_EQ(s.steps, 200u);
  // t = linspace(0, 205 / 100, 205); x = sin(2 pi 10 t + sin(2 pi 0.5 t)).
  auto x = [](double k) {
    const double t = k * 2.05 / 204.0, w = 2.0 * std::numbers::pi;
    return std::sin(w * 10.0 * t + std::sin(w * 0.5 * t));
  };
  for (std::size_t k = 0; k < 200; ++k)
    for (std::size_t b = 0; b < 2; ++b) {
      EXPECT_NEAR(*s.input_at(k, b), x(double(k)), 1e-12) << k;
      EXPECT_NEAR(*s.target_at(k, b), x(double(k + 5)), 1e-12) << k;
    }
}

TEST(StreamBenchmark, ChaoticForecastingIsTheNormalisedEulerLorenz) {
  const ransim::Sequences s = forecast("stream_chaotic_forecasting");
  ASSERT_EQ(s.input_dim, 3u);
  // Euler at dt 0.01 from (0, 1, 1.05), sigma 10, rho 28, beta 2.667, 205 samples; each
  // coordinate (x - mean) / (3 std), numpy's population std.
  std::vector<std::array<double, 3>> raw{{0.0, 1.0, 1.05}};
  for (int k = 0; k < 204; ++k) {
    const auto [x, y, z] = raw.back();
    raw.push_back({x + 0.01 * 10 * (y - x), y + 0.01 * (28 * x - y - x * z), z + 0.01 * (x * y - 2.667 * z)});
  }
  for (std::size_t c = 0; c < 3; ++c) {
    arma::vec col(205);
    for (std::size_t k = 0; k < 205; ++k) col[k] = raw[k][c];
    const arma::vec z = (col - arma::mean(col)) / (3.0 * arma::stddev(col, 1));
    for (std::size_t k = 0; k < 200; ++k) {
      EXPECT_NEAR(s.input_at(k, 1)[c], z[k], 1e-12);
      EXPECT_NEAR(s.target_at(k, 0)[c], z[k + 5], 1e-12);
    }
  }
}

TEST(StreamBenchmark, ForecastRatiosMustLeaveATestPart) {
  EXPECT_THROW(ransim::find_task("stream_sinus_forecasting")
                   ->create(task_params("stream_sinus_forecasting",
                                        {{"training_ratio", 0.9}, {"validation_ratio", 0.1}})),
               ransim::InputError);
}

// ---------------------------------------------------------------------------------------
// The metrics (compute_score): classification = 1 - accuracy of the argmax at the scored
// timesteps; multi-label (STREAM-Dataset) = the share of wrong labels.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, ErrorRateAndLabelError) {
  const arma::mat y = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}};
  const arma::mat yhat = {{0.9, 0.2, 0.1}, {0.6, 0.5, 0.0}, {0.1, 0.2, 0.7}, {0.0, 0.8, 0.1}};
  EXPECT_DOUBLE_EQ(ransim::score(ransim::Metric::ErrorRate, y, yhat), 0.25);  // row 1 is wrong
  EXPECT_FALSE(ransim::higher_is_better(ransim::Metric::ErrorRate));
  // Thresholded at 0.5 (0.5 itself counts as 1): only entry (1, 0), 0.6 against 0, is wrong
  // of the 12.
  EXPECT_DOUBLE_EQ(ransim::score(ransim::Metric::LabelError, y, yhat), 1.0 / 12.0);
  EXPECT_STREQ(ransim::metric_name(ransim::Metric::LabelError), "label_error");
}

// ---------------------------------------------------------------------------------------
// The episode runner reads each episode's own scored tokens (EpisodeBatch::tokens). Pattern
// completion with a period of 2: the target at a masked token is the symbol two tokens back
// (or four), which a reservoir read there recalls; read at one fixed token instead, the
// features would be the same for every point of an episode while the targets alternate
// between the two phases, which no readout gets right more than about half the time.
// ---------------------------------------------------------------------------------------

TEST(StreamBenchmark, RunnerReadsEachEpisodesMaskedTokens) {
  const std::string text = R"(
seed = 3
[task]
kind = "stream_discrete_pattern_completion"
base_length = 2
n_symbols = 2
train = 220
validation = 20
[population.res]
kind = "leaky"
size = 60
tau = 1.2
[[projection]]
from = "res"
to = "res"
spectral_radius = 0.8
[[projection]]
from = "input"
to = "res"
density = 1.0
[readout]
ridge = "auto"
)";
  const ransim::RunResult r = ransim::run(ransim::parse_scenario(text, "<pattern>"));
  ASSERT_EQ(r.status, ransim::RunStatus::Complete) << r.message;
  EXPECT_LT(r.metrics.at("error_rate_test"), 0.15);
}

}  // namespace
