#pragma once
// The episode tasks' registry entries (episodic_tasks.cpp), listed by tasks().
#include <vector>

#include "tasks/tasks.hpp"

namespace ransim {

std::vector<TaskInfo> episode_tasks();

}  // namespace ransim
