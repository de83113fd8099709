#pragma once
// The teacher of the gated-RNN teacher-student experiment (Zucchet et al. 2023, arXiv
// 2309.01775; docs/tasks.md): i.i.d. Gaussian tokens and, as target, the causal linear
// self-attention of a fixed random teacher.
#include "tasks/tasks.hpp"

namespace ransim {

// The teacher's weights, from make_rng(teacher_seed, "lsa." + teacher_stream): W_Q, W_K, W_V
// in that order, each d x d row by row with entries N(0, scale^2 / d) — the draw of a
// linear_attention population with `seed = teacher_seed` and `weights_stream = teacher_stream`.
struct TeacherWeights {
  arma::mat WQ, WK, WV;
};
TeacherWeights teacher_weights(const Params& task_params);

TaskInfo linear_self_attention_info();

}  // namespace ransim
