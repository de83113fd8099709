#pragma once
// Tasks generate input and target sequences for B lanes and name their protocol
// (warm-up, train and test lengths in tokens). Metrics are computed by the run.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ransim/params.hpp"
#include "ransim/rng.hpp"

namespace ransim {

// Time-first sequences: value (step k, lane b, dim i) at [(k * lanes + b) * dim + i],
// the layout of the recorded [T, lanes, dim] series.
struct Sequences {
  std::size_t steps = 0, lanes = 1, input_dim = 1, target_dim = 1;
  std::vector<double> input, target;
  const double* input_at(std::size_t k, std::size_t b) const {
    return input.data() + (k * lanes + b) * input_dim;
  }
  const double* target_at(std::size_t k, std::size_t b) const {
    return target.data() + (k * lanes + b) * target_dim;
  }
};

struct Protocol {
  std::size_t warmup = 100, train = 1000, test = 1000;
  // Free-running test: after training, the input of each test step is the readout's
  // previous output (the task's input and target must be the same signal one step apart).
  bool free_run = false;
  std::size_t total() const { return warmup + train + test; }
};

class Task {
 public:
  virtual ~Task() = default;
  virtual Sequences generate(std::size_t lanes, Rng& rng) const = 0;
  Protocol protocol;
};

struct TaskInfo {
  std::string kind;
  std::string description;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Task>(const Params&)> create;
};

const std::vector<TaskInfo>& tasks();
const TaskInfo* find_task(const std::string& kind);

// Mackey-Glass delay equation dx/dt = beta x(t-tau) / (1 + x(t-tau)^n) - gamma x(t), from a
// constant history x0, integrated with classic RK4 at step h (tau / h must be whole; the
// delayed value at half steps is cubic-interpolated from the history buffer). Returns
// `samples` values spaced `sample_every` apart, after discarding `transient` time.
struct MackeyGlass {
  double tau = 17, beta = 0.2, gamma = 0.1, n = 10, h = 0.1, sample_every = 1.0;
  double x0 = 1.2, transient = 500;
  std::vector<double> series(std::size_t samples) const;
};

// NARMA-10: y[k+1] = 0.3 y[k] + 0.05 y[k] sum_{i<10} y[k-i] + 1.5 u[k-9] u[k] + 0.1,
// u ~ U(0, 0.5). Returns (u, y) with y[k] the target for input u[k] (i.e. y(k+1) above).
std::pair<std::vector<double>, std::vector<double>> narma10(std::size_t samples, Rng& rng);

}  // namespace ransim
