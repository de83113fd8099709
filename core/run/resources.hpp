#pragma once
// What a run takes from the machine: memory, checked before anything is allocated, and the
// BLAS threads, held while the run keeps the cores busy itself.
#include <cstddef>

#include "scenario/scenario.hpp"

namespace ransim {

class Task;

// Tokens of a bounded stream read at a time (Session, docs/tasks.md "A bounded stream").
inline constexpr std::size_t kStreamPieceTokens = 4096;

// Whether a session asked to run bounded (SessionOptions::bounded) does: a stream task that
// reads its sequence in pieces (task.kind = "file") with the ridge readout.
bool runs_bounded(const Scenario& sc, const Task& task);

// Rough memory need of a scenario in bytes (state, weights, task data, features); runs that
// cannot fit are refused as bad input before anything is allocated. `bounded`: the run is
// asked to run bounded (`ransim run`, `ransim compare`); a stream that then runs bounded is
// estimated as it runs, holding one piece of the sequence and one block of features, not
// every token's.
double estimate_memory(const Scenario& sc, bool bounded = false);

// One population's share: its model's PopulationInfo::memory_bytes, or 8 bytes x 12 copies
// (state, stepper stages, drive) of units x dim per lane when the model declares none.
double population_memory_bytes(const PopulationDecl& p, std::size_t lanes, std::size_t tokens);

// Refuses (InputError) a scenario whose estimated memory exceeds 80 % of the machine's.
void check_memory(const Scenario& sc, bool bounded = false);

// OpenBLAS's idle threads spin (sched_yield) for a while after every call, taking the cores
// from a run's own threads; a run that keeps the cores busy itself holds BLAS to one thread
// while it lasts. No effect with another BLAS.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int saved_ = 0;
};

}  // namespace ransim
