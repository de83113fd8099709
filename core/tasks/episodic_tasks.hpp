#pragma once
// The episode tasks' registry entries (episodic_tasks.cpp), listed by tasks(), and what every
// episode task shares (the STREAM tasks too).
#include <cstdint>
#include <vector>

#include "ransim/params.hpp"
#include "ransim/rng.hpp"
#include "tasks/tasks.hpp"

namespace ransim {

std::vector<TaskInfo> episode_tasks();

// task.train, task.validation (default 0) and task.test, with these defaults.
std::vector<ParamSpec> episode_split_specs(std::int64_t train, std::int64_t test);
// task.train, task.validation and task.test; validation must be less than train.
void read_split(const Params& p, EpisodeTask& task);
// Every episode draws from its own stream, so the data do not depend on the batch size.
Rng episode_rng(std::uint64_t seed, Split split, std::size_t index);
std::size_t draw(Rng& rng, std::size_t n);  // uniform on 0..n-1

}  // namespace ransim
