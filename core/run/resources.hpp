#pragma once
// What a run takes from the machine: memory, checked before anything is allocated, and the
// BLAS threads, held while the run keeps the cores busy itself.
#include "scenario/scenario.hpp"

namespace ransim {

// Rough memory need of a scenario in bytes (state, weights, task data, features); runs that
// cannot fit are refused as bad input before anything is allocated.
double estimate_memory(const Scenario& sc);

// One population's share: its model's PopulationInfo::memory_bytes, or 8 bytes x 12 copies
// (state, stepper stages, drive) of units x dim per lane when the model declares none.
double population_memory_bytes(const PopulationDecl& p, std::size_t lanes, std::size_t tokens);

// Refuses (InputError) a scenario whose estimated memory exceeds 80 % of the machine's.
void check_memory(const Scenario& sc);

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
