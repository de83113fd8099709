#pragma once
// What the two file tasks share (file_task.cpp: `file`, one long stream; file_episodes.cpp:
// `file_episodes`): the keys, the input and target arrays they name, column ranges and the
// split into consecutive parts.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ransim/params.hpp"
#include "tasks/datasets/arrays.hpp"
#include "tasks/tasks.hpp"

namespace ransim::file_data {

// Columns [first, last) of an array's last axis.
struct Columns {
  std::size_t first = 0, last = 0;
  std::size_t size() const { return last - first; }
};

// The input and target arrays as the task's keys name them (input, input_dataset,
// input_columns, target, ...): one array each, or (an HDF5 group) one array per episode.
struct Sources {
  std::unique_ptr<ArraySource> input, target;
  std::vector<std::unique_ptr<ArraySource>> inputs, targets;
  Columns in, out;
  explicit Sources(const Params& p);
};

std::vector<ParamSpec> specs(bool episodes);
// A split key (train, validation, test): below 1 a fraction of `available`, else a count.
std::size_t part(const Params& p, const char* key, std::size_t available);
Metric metric_of(const std::string& name);
[[noreturn]] void wrong_shape(const ArraySource& a, const std::string& expected);
// Rows [first, first + count) of `a`, each `tokens` tokens of a.shape().back() values, keeping
// columns `c` of every token: count * tokens * c.size() values into out.
void read_columns(const ArraySource& a, std::size_t first, std::size_t count, std::size_t tokens, Columns c,
                  double* out);

}  // namespace ransim::file_data
