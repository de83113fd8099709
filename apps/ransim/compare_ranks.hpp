#pragma once
// The ranks of `mpirun -np K ransim compare` (docs/compare.md, "Scale-out"): every rank loads the
// config and runs its share of the runs; rank 0 keeps the journal, prints the progress and
// writes the outputs. One process (size 1) without mpirun, or in a build without MPI.
#include <atomic>
#include <cstddef>
#include <functional>

#include "study/scale_out.hpp"

namespace ransim {

struct Ranks {
  int rank = 0, size = 1;
  bool mpi = false;  // MPI_Init was called: leave_ranks must follow
};

// Joins the MPI world when mpirun started this process (OMPI_COMM_WORLD_SIZE or PMI_SIZE set).
// A build without MPI started by mpirun with K > 1 ranks throws InputError: K copies would
// each run everything and write the same outputs.
Ranks join_ranks();
// MPI_Finalize, after every rank is done with the others.
void leave_ranks(const Ranks& ranks);

// Rank 0 says whether it could open its journal (true on rank 0 when `opened`); every rank
// learns it, so that none waits for a rank 0 that stopped.
bool share_outcome_of_root(const Ranks& ranks, bool opened);

// Called on rank 0 for every run done, in the order they end: `done` of `total`, by `rank`.
using RunReport = std::function<void(const CompareOutcome&, std::size_t done, std::size_t total, int rank)>;

// The runs rank 0's journal->pending() names, run number j on rank j % size; every outcome is
// recorded in rank 0's journal (`journal` is null on the other ranks). A run's result does
// not depend on its rank: each run is a function of its scenario alone, and the numbers travel
// as journal entries, which read back bit for bit. Stops starting runs once `stop` is set.
void run_over_ranks(const Ranks& ranks, const CompareConfig& cfg, CompareJournal* journal,
                    const std::atomic<int>* stop, const RunReport& report);

}  // namespace ransim
