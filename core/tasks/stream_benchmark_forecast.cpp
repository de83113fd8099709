// STREAM's forecasting tasks (stream_benchmark.hpp; docs/tasks.md): the frequency-modulated
// sine and the Lorenz system, one sequence each, as Naowak/STREAM-benchmark's
// stream_benchmark/tasks.py generates them. Both are deterministic (no random draw), and every
// lane gets the same sequence.
#include <cmath>
#include <numbers>

#include "ransim/error.hpp"
#include "tasks/stream_benchmark.hpp"

namespace ransim {

namespace {

// The benchmark's split of one sequence of L inputs, target f samples ahead: the training
// timesteps are f .. int(L r_train) - 1, the validation ones up to int(L (r_train + r_valid))
// - 1, the test ones up to L - 1. In ransim's protocol: warm-up f, then train, validation, test.
Protocol forecast_protocol(const Params& p, std::size_t& sequence_length, std::size_t& forecast_length) {
  sequence_length = static_cast<std::size_t>(p.integer("sequence_length"));
  forecast_length = static_cast<std::size_t>(p.integer("forecast_length"));
  const double r_train = p.real("training_ratio"), r_valid = p.real("validation_ratio");
  if (r_train + r_valid >= 1.0)
    throw InputError("task.training_ratio + task.validation_ratio (" + std::to_string(r_train + r_valid) +
                     ") must be below 1: the rest of the sequence is the test part");
  const auto train_end = static_cast<std::size_t>(static_cast<double>(sequence_length) * r_train);
  const auto valid_end = static_cast<std::size_t>(static_cast<double>(sequence_length) * (r_train + r_valid));
  if (train_end <= forecast_length || valid_end >= sequence_length)
    throw InputError("task: sequence_length " + std::to_string(sequence_length) + " with training_ratio " +
                     std::to_string(r_train) + " leaves no training timestep after the forecast_length " +
                     std::to_string(forecast_length) + ", or no test timestep");
  Protocol pr;
  pr.warmup = forecast_length;
  pr.train = train_end - forecast_length;
  pr.validation = valid_end - train_end;
  pr.test = sequence_length - valid_end;
  return pr;
}

// Input x[k] and target x[k + f] for k < L, from a series of L + f samples of `dim` values.
Sequences forecast_sequences(const std::vector<double>& x, std::size_t dim, std::size_t L, std::size_t f,
                             std::size_t lanes) {
  Sequences s;
  s.steps = L;
  s.lanes = lanes;
  s.input_dim = s.target_dim = dim;
  s.input.resize(L * lanes * dim);
  s.target.resize(L * lanes * dim);
  for (std::size_t k = 0; k < L; ++k)
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < dim; ++i) {
        s.input[(k * lanes + b) * dim + i] = x[k * dim + i];
        s.target[(k * lanes + b) * dim + i] = x[(k + f) * dim + i];
      }
  return s;
}

// sin(2 pi 10 t + sin(2 pi 0.5 t)) at L + f times evenly spaced over [0, (L + f) / 100].
class SinusForecastingTask : public Task {
 public:
  explicit SinusForecastingTask(const Params& p) {
    protocol = forecast_protocol(p, L_, f_);
    metric = Metric::Mse;
  }
  Sequences generate(std::size_t lanes, Rng&) const override {
    const std::size_t n = L_ + f_;
    const double stop = static_cast<double>(n) / 100.0, step = stop / static_cast<double>(n - 1);
    std::vector<double> x(n);
    for (std::size_t k = 0; k < n; ++k) {
      const double t = step * static_cast<double>(k), two_pi = 2.0 * std::numbers::pi;
      x[k] = std::sin(two_pi * 10.0 * t + std::sin(two_pi * 0.5 * t));
    }
    return forecast_sequences(x, 1, L_, f_, lanes);
  }

 private:
  std::size_t L_ = 0, f_ = 0;
};

// Lorenz-63 with sigma 10, rho 28, beta 2.667, explicit Euler at dt = 0.01 from (0, 1, 1.05),
// L + f samples; each coordinate minus its mean over them, divided by 3 standard deviations.
class ChaoticForecastingTask : public Task {
 public:
  explicit ChaoticForecastingTask(const Params& p) {
    protocol = forecast_protocol(p, L_, f_);
    metric = Metric::Mse;
    input_dim = 3;
  }
  Sequences generate(std::size_t lanes, Rng&) const override {
    const std::size_t n = L_ + f_;
    const double dt = 0.01, sigma = 10.0, rho = 28.0, beta = 2.667;
    std::vector<double> x(3 * n);
    x[0] = 0.0, x[1] = 1.0, x[2] = 1.05;
    for (std::size_t k = 0; k + 1 < n; ++k) {
      const double* v = &x[3 * k];
      x[3 * k + 3] = v[0] + sigma * (v[1] - v[0]) * dt;
      x[3 * k + 4] = v[1] + (rho * v[0] - v[1] - v[0] * v[2]) * dt;
      x[3 * k + 5] = v[2] + (v[0] * v[1] - beta * v[2]) * dt;
    }
    for (std::size_t c = 0; c < 3; ++c) {
      double mean = 0, var = 0;
      for (std::size_t k = 0; k < n; ++k) mean += x[3 * k + c];
      mean /= static_cast<double>(n);
      for (std::size_t k = 0; k < n; ++k) var += (x[3 * k + c] - mean) * (x[3 * k + c] - mean);
      const double sd = std::sqrt(var / static_cast<double>(n));  // numpy's std: population
      for (std::size_t k = 0; k < n; ++k) x[3 * k + c] = (x[3 * k + c] - mean) / (3.0 * sd);
    }
    return forecast_sequences(x, 3, L_, f_, lanes);
  }

 private:
  std::size_t L_ = 0, f_ = 0;
};

std::vector<ParamSpec> forecast_specs() {
  // The benchmark's small sizes.
  return {
      param::integer("sequence_length")
          .unit("samples")
          .range(2, 1e9)
          .defaults_to(200)
          .describe("sequence_length: input samples"),
      param::integer("forecast_length")
          .unit("samples")
          .range(1, 1e6)
          .defaults_to(5)
          .describe("forecast_length: the target is the sample this far ahead"),
      param::real("training_ratio")
          .range(0, 1)
          .defaults_to(0.45)
          .describe("training_ratio: share of the sequence for training (its first forecast_length samples "
                    "are warm-up)"),
      param::real("validation_ratio")
          .range(0, 1)
          .defaults_to(0.1)
          .describe(
              "validation_ratio: share for validation (readout.ridge chosen on it); the rest is the test"),
  };
}

}  // namespace

std::vector<TaskInfo> stream_forecast_tasks() {
  TaskInfo sine;
  sine.kind = "stream_sinus_forecasting";
  sine.description = "STREAM sine forecasting: a frequency-modulated sine, forecast_length samples ahead";
  sine.params = forecast_specs();
  sine.create = [](const Params& p) { return std::make_unique<SinusForecastingTask>(p); };
  TaskInfo lorenz;
  lorenz.kind = "stream_chaotic_forecasting";
  lorenz.description =
      "STREAM chaotic forecasting: Lorenz-63 (Euler, dt 0.01), forecast_length samples ahead";
  lorenz.params = forecast_specs();
  lorenz.create = [](const Params& p) { return std::make_unique<ChaoticForecastingTask>(p); };
  return {sine, lorenz};
}

}  // namespace ransim
