#pragma once
// Tasks generate inputs and targets and name their protocol and metric (docs/tasks.md).
// Two kinds:
// - stream tasks: one long sequence per lane, split in time into warm-up, train and test
//   (Mackey-Glass, NARMA-10, Lorenz, memory capacity, delayed recall), with an optional
//   validation part between train and test;
// - episode tasks: many independent sequences (of equal length, or each its own), the
//   network restarting from its initial state for each; the readout reads the states after
//   chosen tokens and the split is over episodes (sequential (Fashion-)MNIST, copy, selective
//   copy, in-context regression, Japanese Vowels, the user's files).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ransim/params.hpp"
#include "ransim/rng.hpp"
#include "tasks/metrics.hpp"

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

// Tokens in order: warm-up (discarded), train (the fit), validation (readout.ridge chosen on it;
// 0: none) and test (scored once, with the chosen lambda).
struct Protocol {
  std::size_t warmup = 100, train = 1000, validation = 0, test = 1000;
  // Free-running test: after training, the input of each test step is the readout's
  // previous output (the task's input and target must be the same signal one step apart).
  bool free_run = false;
  std::size_t fit_at() const { return warmup + train + validation; }  // the readout is trained here
  std::size_t total() const { return warmup + train + validation + test; }
};

class Task {
 public:
  virtual ~Task() = default;
  // Called once before generate() with the network's state variables per lane (tasks whose
  // size follows the network's, such as memory capacity up to 2N delays, adapt here).
  virtual void set_state_size(std::size_t /*n*/) {}
  virtual Sequences generate(std::size_t lanes, Rng& rng) const = 0;
  // Tasks that read their sequence from a file (task.kind = "file") also give it in pieces:
  // read(first, count, lanes) is tokens [first, first + count) of what generate() gives, so a
  // long run need not hold the whole sequence. Generated tasks give it whole only.
  virtual bool reads_in_chunks() const { return false; }
  virtual Sequences read(std::size_t /*first*/, std::size_t /*count*/, std::size_t /*lanes*/) const {
    throw std::logic_error("Task::read: this task generates its sequence whole (reads_in_chunks() is false)");
  }
  Protocol protocol;
  Metric metric = Metric::Nrmse;
  std::size_t input_dim = 1;
};

enum class Split { Train, Test };

// Episodes [first, first + count) of a split: input [token][episode][input_dim] and target
// [point][episode][target_dim].
struct EpisodeBatch {
  std::size_t count = 0;
  std::vector<double> input, target;
  // Tasks whose scored tokens differ between episodes (a random mask): the token read for
  // (episode e, point p) at [e * points + p], overriding the task's `points` (which then each
  // list one token, a placeholder). Empty: every episode uses `points`.
  std::vector<std::size_t> tokens;
  // Tasks whose episodes differ in length (Japanese Vowels): episode e runs lengths[e] <=
  // `length` tokens; its input after them is zero and no readout token lies there (the runner
  // pads shorter episodes, lanes being independent). Empty: every episode runs `length`.
  std::vector<std::size_t> lengths;
};

class EpisodeTask {
 public:
  virtual ~EpisodeTask() = default;
  // Each episode derives from (seed, split, index) alone, so the data do not depend on how
  // many lanes a batch has.
  virtual EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                                std::uint64_t seed) const = 0;
  std::size_t length = 0, input_dim = 1, target_dim = 1;  // length: the longest episode's
  // Episodes: the readout is fitted on train episodes 0 .. train - validation - 1; the last
  // `validation` train episodes are held out to choose readout.ridge on.
  std::size_t train = 0, validation = 0, test = 0;
  std::size_t fit_episodes() const { return train - validation; }
  // Readout points: each concatenates the states after the listed tokens (0-based) into one
  // feature vector; every (episode, point) pair is one readout sample. All points list the
  // same number of tokens.
  std::vector<std::vector<std::size_t>> points;
  Metric metric = Metric::Accuracy;
};

struct TaskInfo {
  std::string kind;
  std::string description;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Task>(const Params&)> create;                  // stream tasks
  std::function<std::unique_ptr<EpisodeTask>(const Params&)> create_episodes;  // episode tasks
  bool episodic() const { return static_cast<bool>(create_episodes); }
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

// Lorenz-63: dx/dt = sigma (y - x), dy/dt = x (rho - z) - y, dz/dt = x y - beta z, with
// classic RK4 at step h; returns `samples` (x, y, z) triples spaced `sample_every` apart
// after `transient` time.
struct Lorenz {
  double sigma = 10, rho = 28, beta = 8.0 / 3.0, h = 0.01, sample_every = 0.02, transient = 10;
  std::vector<double> series(std::size_t samples, std::array<double, 3> start) const;
};

}  // namespace ransim
