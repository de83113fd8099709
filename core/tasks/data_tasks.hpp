#pragma once
// The tasks that read the user's data files (docs/tasks.md): sequential Fashion-MNIST and
// MNIST and the STREAM benchmark's sequential MNIST (image_tasks.cpp), Japanese Vowels
// (japanese_vowels_task.cpp) and `file` / `file_episodes`, the user's own arrays.
#include <memory>
#include <vector>

#include "tasks/tasks.hpp"

namespace ransim {

std::vector<TaskInfo> image_tasks();  // fashion_mnist, mnist, stream_sequential_mnist
TaskInfo japanese_vowels_task();
std::vector<TaskInfo> file_tasks();  // file (a stream), file_episodes (file_task.cpp, file_episodes.cpp)
// The episode half of file_tasks().
std::unique_ptr<EpisodeTask> file_episode_task(const Params& p);

}  // namespace ransim
