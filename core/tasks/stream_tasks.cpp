#include "tasks/tasks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "ransim/error.hpp"
#include "tasks/csl.hpp"
#include "tasks/data_tasks.hpp"
#include "tasks/episodic_tasks.hpp"
#include "tasks/periodic_task.hpp"
#include "tasks/teacher_task.hpp"
#include "tasks/stream_benchmark.hpp"

namespace ransim {

std::vector<double> MackeyGlass::series(std::size_t samples) const {
  const double steps_per_tau = tau / h, steps_per_sample = sample_every / h;
  if (std::abs(steps_per_tau - std::round(steps_per_tau)) > 1e-9 ||
      std::abs(steps_per_sample - std::round(steps_per_sample)) > 1e-9)
    throw InputError("mackey_glass: tau and sample_every must be whole multiples of the step h");
  const std::size_t d = static_cast<std::size_t>(std::round(steps_per_tau));
  const std::size_t every = static_cast<std::size_t>(std::round(steps_per_sample));
  const std::size_t skip = static_cast<std::size_t>(std::ceil(transient / h));
  const std::size_t total = skip + samples * every;

  // hist[i] = x(i h - tau); the constant history covers t in [-tau, 0].
  std::vector<double> hist(d + 1, x0);
  hist.reserve(d + total + 1);
  auto f = [&](double x, double xd) { return beta * xd / (1.0 + std::pow(xd, n)) - gamma * x; };
  // x at t - tau + h/2, between grid points j and j+1, by cubic interpolation. The solution
  // has a kink at t = 0 (grid point d), where the constant history meets the integrated
  // part: a stencil must not straddle it, or RK4 drops to second order.
  auto mid = [&](std::size_t j) {
    if (j + 1 <= d) return x0;  // inside the constant history
    if (j == d) {               // one-sided: j .. j+3 (clamped for delays of fewer than 3 steps)
      auto at = [&](std::size_t i) { return hist[std::min(i, hist.size() - 1)]; };
      return (5.0 * at(j) + 15.0 * at(j + 1) - 5.0 * at(j + 2) + at(j + 3)) / 16.0;
    }
    const double e = hist[std::min(j + 2, hist.size() - 1)];
    return (-hist[j - 1] + 9.0 * hist[j] + 9.0 * hist[j + 1] - e) / 16.0;
  };
  std::vector<double> out;
  out.reserve(samples);
  for (std::size_t i = 0; i < total; ++i) {
    const std::size_t now = hist.size() - 1;  // index of x(t)
    const std::size_t j = now - d;            // index of x(t - tau)
    const double x = hist[now];
    // x(t + h - tau) is hist[j + 1], which exists since d >= 1.
    const double xd0 = hist[j], xd1 = mid(j), xd2 = hist[j + 1];
    const double k1 = f(x, xd0);
    const double k2 = f(x + 0.5 * h * k1, xd1);
    const double k3 = f(x + 0.5 * h * k2, xd1);
    const double k4 = f(x + h * k3, xd2);
    hist.push_back(x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4));
    if (i + 1 > skip && (i + 1 - skip) % every == 0) out.push_back(hist.back());
  }
  return out;
}

std::pair<std::vector<double>, std::vector<double>> narma10(std::size_t samples, Rng& rng) {
  const std::size_t n = samples + 10;
  std::vector<double> u(n), y(n + 1, 0.0);
  for (auto& v : u) v = uniform(rng, 0.0, 0.5);
  for (std::size_t k = 9; k < n; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < 10; ++i) s += y[k - i];
    y[k + 1] = 0.3 * y[k] + 0.05 * y[k] * s + 1.5 * u[k - 9] * u[k] + 0.1;
  }
  // Drop the first 10 steps, where the sum reached back before the start.
  return {std::vector<double>(u.begin() + 10, u.end()), std::vector<double>(y.begin() + 11, y.end())};
}

std::vector<double> Lorenz::series(std::size_t samples, std::array<double, 3> start) const {
  const double steps_per_sample = sample_every / h;
  if (std::abs(steps_per_sample - std::round(steps_per_sample)) > 1e-9)
    throw InputError("lorenz: sample_every must be a whole multiple of the step");
  const std::size_t every = static_cast<std::size_t>(std::round(steps_per_sample));
  const std::size_t skip = static_cast<std::size_t>(std::ceil(transient / h));
  using V = std::array<double, 3>;
  auto f = [&](const V& v) {
    return V{sigma * (v[1] - v[0]), v[0] * (rho - v[2]) - v[1], v[0] * v[1] - beta * v[2]};
  };
  auto axpy = [](const V& a, double s, const V& b) {
    return V{a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]};
  };
  std::vector<double> out;
  out.reserve(3 * samples);
  V v = start;
  for (std::size_t i = 0; out.size() < 3 * samples; ++i) {
    const V k1 = f(v), k2 = f(axpy(v, h / 2, k1)), k3 = f(axpy(v, h / 2, k2)), k4 = f(axpy(v, h, k3));
    for (int c = 0; c < 3; ++c) v[c] += h / 6 * (k1[c] + 2 * k2[c] + 2 * k3[c] + k4[c]);
    if (i + 1 > skip && (i + 1 - skip) % every == 0) out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<ParamSpec> protocol_specs(std::int64_t warmup, std::int64_t train, std::int64_t test) {
  return {
      param::integer("warmup").unit("tokens").range(0, 1e9).defaults_to(warmup).describe(
          "initial tokens discarded"),
      param::integer("train").unit("tokens").range(1, 1e9).defaults_to(train).describe(
          "tokens used to fit the readout"),
      param::integer("validation")
          .unit("tokens")
          .range(0, 1e9)
          .defaults_to(0)
          .describe("tokens between train and test on which readout.ridge = \"auto\" or [..] chooses lambda"),
      param::integer("test").unit("tokens").range(1, 1e9).defaults_to(test).describe(
          "tokens used to evaluate"),
  };
}

Protocol read_protocol(const Params& p) {
  Protocol pr;
  pr.warmup = static_cast<std::size_t>(p.integer("warmup"));
  pr.train = static_cast<std::size_t>(p.integer("train"));
  pr.validation = static_cast<std::size_t>(p.integer("validation"));
  pr.test = static_cast<std::size_t>(p.integer("test"));
  return pr;
}

// Forecasting tasks (Mackey-Glass, Lorenz): the protocol, and the horizon, which free-run
// mode needs to be 1 (the readout's output becomes the next input).
std::vector<ParamSpec> forecast_specs() {
  return {
      param::choice("mode", {"one_step", "free_run"})
          .describe("one_step: teacher-forced prediction `horizon` samples ahead; free_run: the readout's "
                    "output is fed back as the input over the test"),
      param::integer("horizon").unit("samples").range(1, 1e6).defaults_to(1).describe("prediction horizon"),
  };
}

std::size_t read_forecast(const Params& p, Protocol& protocol, const std::string& task) {
  const auto horizon = static_cast<std::size_t>(p.integer("horizon"));
  protocol = read_protocol(p);
  protocol.free_run = p.string("mode") == "free_run";
  if (protocol.free_run && horizon != 1)
    throw InputError(task +
                     ": mode = \"free_run\" needs horizon = 1 (the readout's output becomes the next input)");
  return horizon;
}

namespace {

// One-dimensional input and target per lane: lane(b, steps) returns (input, target).
template <class Lane> Sequences scalar_sequences(std::size_t steps, std::size_t lanes, Lane lane) {
  Sequences s;
  s.steps = steps;
  s.lanes = lanes;
  s.input.resize(steps * lanes);
  s.target.resize(steps * lanes);
  for (std::size_t b = 0; b < lanes; ++b) {
    const auto [u, y] = lane(b, steps);
    for (std::size_t k = 0; k < steps; ++k) {
      s.input[k * lanes + b] = u[k];
      s.target[k * lanes + b] = y[k];
    }
  }
  return s;
}

class MackeyGlassTask : public Task {
 public:
  explicit MackeyGlassTask(const Params& p) {
    mg_.tau = p.real("tau");
    mg_.beta = p.real("beta");
    mg_.gamma = p.real("gamma");
    mg_.n = p.real("n");
    mg_.h = p.real("step");
    mg_.sample_every = p.real("sample_every");
    mg_.x0 = p.real("x0");
    mg_.transient = p.real("transient");
    normalize_ = p.string("normalize");
    horizon_ = read_forecast(p, protocol, "mackey_glass");
  }

  Sequences generate(std::size_t lanes, Rng& rng) const override {
    return scalar_sequences(protocol.total(), lanes, [&](std::size_t b, std::size_t steps) {
      MackeyGlass mg = mg_;
      if (b > 0) mg.x0 += uniform(rng, -0.2, 0.2);  // lanes: other initial histories
      std::vector<double> x = mg.series(steps + horizon_);
      normalise(x);
      return std::make_pair(std::vector<double>(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(steps)),
                            std::vector<double>(x.begin() + static_cast<std::ptrdiff_t>(horizon_), x.end()));
    });
  }

 private:
  void normalise(std::vector<double>& x) const {
    if (normalize_ == "none") return;
    if (normalize_ == "tanh") {
      for (auto& v : x) v = std::tanh(v - 1.0);
      return;
    }
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
    double var = 0;
    for (double v : x) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / static_cast<double>(x.size()));
    const double a = *lo, b = *hi;
    for (auto& v : x) v = normalize_ == "minmax" ? 2.0 * (v - a) / (b - a) - 1.0 : (v - mean) / sd;
  }

  MackeyGlass mg_;
  std::size_t horizon_ = 1;
  std::string normalize_;
};

class Narma10Task : public Task {
 public:
  explicit Narma10Task(const Params& p) { protocol = read_protocol(p); }
  Sequences generate(std::size_t lanes, Rng& rng) const override {
    return scalar_sequences(protocol.total(), lanes,
                            [&](std::size_t, std::size_t steps) { return narma10(steps, rng); });
  }
};

// Inputs only: a random sequence drives the network, nothing is learned. For scenarios that
// compare populations ([[compare]]) rather than train a readout.
class RandomSequenceTask : public Task {
 public:
  explicit RandomSequenceTask(const Params& p)
      : dim_(static_cast<std::size_t>(p.integer("dim"))),
        scale_(p.real("scale")),
        uniform_(p.string("distribution") == "uniform") {
    input_dim = dim_;
    protocol.warmup = 0;
    protocol.train = 0;
    protocol.test = static_cast<std::size_t>(p.integer("steps"));
  }
  Sequences generate(std::size_t lanes, Rng& rng) const override {
    Sequences s;
    s.steps = protocol.total();
    s.lanes = lanes;
    s.input_dim = dim_;
    s.target_dim = 0;
    s.input.resize(s.steps * lanes * dim_);
    for (auto& v : s.input) v = scale_ * (uniform_ ? uniform(rng, -1.0, 1.0) : normal(rng));
    return s;
  }

 private:
  std::size_t dim_;
  double scale_;
  bool uniform_;
};

// Lorenz-63 forecasting: input the (x, y, z) sample, target the sample `horizon` later; each
// component z-scored with the mean and std of lane 0's series.
class LorenzTask : public Task {
 public:
  explicit LorenzTask(const Params& p) {
    lz_.sigma = p.real("sigma");
    lz_.rho = p.real("rho");
    lz_.beta = p.real("beta");
    lz_.h = p.real("step");
    lz_.sample_every = p.real("sample_every");
    lz_.transient = p.real("transient");
    horizon_ = read_forecast(p, protocol, "lorenz");
    input_dim = 3;
  }

  Sequences generate(std::size_t lanes, Rng& rng) const override {
    Sequences s;
    s.steps = protocol.total();
    s.lanes = lanes;
    s.input_dim = s.target_dim = 3;
    s.input.resize(s.steps * lanes * 3);
    s.target.resize(s.steps * lanes * 3);
    std::array<double, 6> moments{};  // mean and std per component, from lane 0
    for (std::size_t b = 0; b < lanes; ++b) {
      std::array<double, 3> start{1.0, 1.0, 1.0};
      if (b > 0)
        for (auto& c : start) c += uniform(rng, -1.0, 1.0);  // lanes: other initial conditions
      const std::vector<double> x = lz_.series(s.steps + horizon_, start);
      if (b == 0)
        for (std::size_t c = 0; c < 3; ++c) {
          double m = 0, v = 0;
          for (std::size_t k = c; k < x.size(); k += 3) m += x[k];
          m /= static_cast<double>(x.size() / 3);
          for (std::size_t k = c; k < x.size(); k += 3) v += (x[k] - m) * (x[k] - m);
          moments[c] = m;
          moments[3 + c] = std::sqrt(v / static_cast<double>(x.size() / 3));
        }
      for (std::size_t k = 0; k < s.steps; ++k)
        for (std::size_t c = 0; c < 3; ++c) {
          s.input[(k * lanes + b) * 3 + c] = (x[3 * k + c] - moments[c]) / moments[3 + c];
          s.target[(k * lanes + b) * 3 + c] = (x[3 * (k + horizon_) + c] - moments[c]) / moments[3 + c];
        }
    }
    return s;
  }

 private:
  Lorenz lz_;
  std::size_t horizon_ = 1;
};

// Memory capacity (Jaeger 2001): input u[k] ~ U(-a, a), targets u[k - d] for d = 1..D;
// the metric sums the squared correlation of each delay's output with its target.
class MemoryCapacityTask : public Task {
 public:
  explicit MemoryCapacityTask(const Params& p)
      : amplitude_(p.real("amplitude")), max_delay_(static_cast<std::size_t>(p.integer("max_delay"))) {
    protocol = read_protocol(p);
    metric = Metric::MemoryCapacity;
  }
  void set_state_size(std::size_t n) override {
    if (max_delay_ == 0) max_delay_ = 2 * n;
  }
  Sequences generate(std::size_t lanes, Rng& rng) const override {
    const std::size_t D = max_delay_ ? max_delay_ : 1, T = protocol.total();
    Sequences s;
    s.steps = T;
    s.lanes = lanes;
    s.target_dim = D;
    s.input.resize(T * lanes);
    s.target.resize(T * lanes * D);
    for (std::size_t b = 0; b < lanes; ++b) {
      std::vector<double> u(T + D);  // D samples before the first input, so every target exists
      for (auto& v : u) v = uniform(rng, -amplitude_, amplitude_);
      for (std::size_t k = 0; k < T; ++k) {
        s.input[k * lanes + b] = u[D + k];
        for (std::size_t d = 1; d <= D; ++d) s.target[(k * lanes + b) * D + d - 1] = u[D + k - d];
      }
    }
    return s;
  }

 private:
  double amplitude_;
  std::size_t max_delay_;
};

// Delayed recall (postcasting): a random symbol of M each token, one-hot; the target is the
// symbol `delay` tokens earlier. Accuracy over tokens.
class DelayedRecallTask : public Task {
 public:
  explicit DelayedRecallTask(const Params& p)
      : symbols_(static_cast<std::size_t>(p.integer("alphabet"))),
        delay_(static_cast<std::size_t>(p.integer("delay"))) {
    protocol = read_protocol(p);
    metric = Metric::Accuracy;
    input_dim = symbols_;
  }
  Sequences generate(std::size_t lanes, Rng& rng) const override {
    const std::size_t T = protocol.total(), M = symbols_;
    Sequences s;
    s.steps = T;
    s.lanes = lanes;
    s.input_dim = s.target_dim = M;
    s.input.assign(T * lanes * M, 0.0);
    s.target.assign(T * lanes * M, 0.0);
    for (std::size_t b = 0; b < lanes; ++b) {
      std::vector<std::size_t> sym(T + delay_);
      for (auto& v : sym) v = static_cast<std::size_t>(uniform(rng, 0.0, static_cast<double>(M)));
      for (std::size_t k = 0; k < T; ++k) {
        s.input[(k * lanes + b) * M + sym[delay_ + k]] = 1.0;
        s.target[(k * lanes + b) * M + sym[k]] = 1.0;
      }
    }
    return s;
  }

 private:
  std::size_t symbols_, delay_;
};

TaskInfo mackey_glass_info() {
  TaskInfo mg;
  mg.kind = "mackey_glass";
  mg.description = "Mackey-Glass time series prediction (delay equation, tau = 17 chaotic)";
  mg.params = forecast_specs();
  mg.params.insert(
      mg.params.end(),
      {
          param::real("tau").unit("time").greater_than(0).defaults_to(17.0).describe("delay"),
          param::real("beta").unit("1/time").at_least(0).defaults_to(0.2).describe("production rate"),
          param::real("gamma").unit("1/time").at_least(0).defaults_to(0.1).describe("decay rate"),
          param::real("n").range(0, 100).defaults_to(10.0).describe("nonlinearity exponent"),
          param::real("step").unit("time").greater_than(0).at_most(10).defaults_to(0.1).describe(
              "RK4 integration step h (tau / h whole)"),
          param::real("sample_every")
              .unit("time")
              .greater_than(0)
              .defaults_to(1.0)
              .describe("time between samples"),
          param::real("x0").at_least(0).defaults_to(1.2).describe("constant initial history"),
          param::real("transient")
              .unit("time")
              .at_least(0)
              .defaults_to(500.0)
              .describe("time discarded before sampling"),
          param::choice("normalize", {"minmax", "zscore", "tanh", "none"})
              .describe("minmax: to [-1, 1] by the series' min and max; zscore: zero mean, unit std; tanh: "
                        "tanh(x - 1); none"),
      });
  for (auto& s : protocol_specs(100, 2000, 2000)) mg.params.push_back(s);
  mg.create = [](const Params& p) { return std::make_unique<MackeyGlassTask>(p); };
  return mg;
}

TaskInfo narma10_info() {
  TaskInfo narma;
  narma.kind = "narma10";
  narma.description = "NARMA-10 system identification, u ~ U(0, 0.5)";
  narma.params = protocol_specs(200, 2000, 2000);
  narma.create = [](const Params& p) { return std::make_unique<Narma10Task>(p); };
  return narma;
}

TaskInfo random_sequence_info() {
  TaskInfo rs;
  rs.kind = "random_sequence";
  rs.description = "random input sequence, no target and no readout (for [[compare]] scenarios)";
  rs.params = {
      param::integer("dim").range(1, 1e6).defaults_to(1).describe("input dimensions"),
      param::integer("steps").unit("tokens").range(1, 1e9).defaults_to(100).describe("sequence length"),
      param::choice("distribution", {"normal", "uniform"})
          .describe("normal N(0, 1) or uniform U(-1, 1), times scale"),
      param::real("scale").at_least(0).defaults_to(1.0).describe("multiplies every input value"),
  };
  rs.create = [](const Params& p) { return std::make_unique<RandomSequenceTask>(p); };
  return rs;
}

TaskInfo lorenz_info() {
  TaskInfo lz;
  lz.kind = "lorenz";
  lz.description = "Lorenz-63 forecasting of (x, y, z), one-step or free-running";
  lz.params = forecast_specs();
  lz.params.insert(
      lz.params.end(),
      {
          param::real("sigma").unit("1/time").at_least(0).defaults_to(10.0).describe("Prandtl number"),
          param::real("rho").at_least(0).defaults_to(28.0).describe("Rayleigh number"),
          param::real("beta").at_least(0).defaults_to(8.0 / 3.0).describe("geometric factor"),
          param::real("step").unit("time").greater_than(0).at_most(1).defaults_to(0.01).describe(
              "RK4 integration step"),
          param::real("sample_every")
              .unit("time")
              .greater_than(0)
              .defaults_to(0.02)
              .describe("time between samples (a whole number of steps)"),
          param::real("transient")
              .unit("time")
              .at_least(0)
              .defaults_to(10.0)
              .describe("time discarded before sampling"),
      });
  for (auto& s : protocol_specs(100, 2000, 1000)) lz.params.push_back(s);
  lz.create = [](const Params& p) { return std::make_unique<LorenzTask>(p); };
  return lz;
}

TaskInfo memory_capacity_info() {
  TaskInfo mc;
  mc.kind = "memory_capacity";
  mc.description = "linear memory capacity: recall u[k - d] for d = 1..max_delay (Jaeger 2001)";
  mc.params = {
      param::integer("max_delay")
          .unit("tokens")
          .range(0, 1e5)
          .describe("largest delay D (0: twice the network's state variables per lane)"),
      param::real("amplitude")
          .greater_than(0)
          .defaults_to(0.5)
          .describe("input u ~ U(-amplitude, amplitude)"),
  };
  for (auto& s : protocol_specs(200, 2000, 1000)) mc.params.push_back(s);
  mc.create = [](const Params& p) { return std::make_unique<MemoryCapacityTask>(p); };
  return mc;
}

TaskInfo delayed_recall_info() {
  TaskInfo dr;
  dr.kind = "delayed_recall";
  dr.description = "postcasting: output the one-hot symbol seen `delay` tokens earlier";
  dr.params = {
      param::integer("alphabet")
          .unit("symbols")
          .range(2, 1e4)
          .defaults_to(8)
          .describe("alphabet size M (one-hot input)"),
      param::integer("delay").unit("tokens").range(0, 1e5).defaults_to(5).describe("how far back to recall"),
  };
  for (auto& s : protocol_specs(100, 2000, 1000)) dr.params.push_back(s);
  dr.create = [](const Params& p) { return std::make_unique<DelayedRecallTask>(p); };
  return dr;
}

std::vector<TaskInfo> make_tasks() {
  std::vector<TaskInfo> all{mackey_glass_info(),    narma10_info(),        lorenz_info(),
                            memory_capacity_info(), delayed_recall_info(), random_sequence_info()};
  all.push_back(sum_of_sines_info());
  all.push_back(linear_self_attention_info());
  std::vector<TaskInfo> images = image_tasks();  // fashion_mnist, mnist, stream_sequential_mnist
  all.push_back(images[0]);
  all.push_back(images[1]);
  for (auto& t : episode_tasks()) all.push_back(std::move(t));
  for (auto& t : stream_benchmark_tasks()) all.push_back(std::move(t));
  all.push_back(images[2]);  // the STREAM benchmark's twelfth
  all.push_back(csl_task());
  all.push_back(japanese_vowels_task());
  for (auto& t : file_tasks()) all.push_back(std::move(t));
  return all;
}

}  // namespace

const std::vector<TaskInfo>& tasks() {
  static const std::vector<TaskInfo> all = make_tasks();
  return all;
}

const TaskInfo* find_task(const std::string& kind) {
  for (auto& t : tasks())
    if (t.kind == kind) return &t;
  return nullptr;
}

}  // namespace ransim
