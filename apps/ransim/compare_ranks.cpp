#include "compare_ranks.hpp"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <string>
#include <vector>

#include "ransim/error.hpp"

#ifdef RANSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace ransim {

namespace {

// The world size mpirun (Open MPI, or a PMI launcher such as MPICH's or srun) announces, 0 if none.
int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return 0;
}

#ifdef RANSIM_HAVE_MPI
constexpr int kEntryTag = 1, kDoneTag = 2;

// Rank 0: one message from another rank (waiting for it if `wait`); false if none was pending.
// A run's entry is recorded in the journal and reported; a done message counts a rank finished.
bool receive_one(CompareJournal& journal, bool wait, std::size_t& done, std::size_t total, int& finished,
                 const RunReport& report) {
  MPI_Status status;
  int pending = 1;
  if (wait) MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
  else MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &pending, &status);
  if (!pending) return false;
  int size = 0;
  MPI_Get_count(&status, MPI_CHAR, &size);
  std::string text(static_cast<std::size_t>(size), '\0');
  MPI_Recv(text.data(), size, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (status.MPI_TAG == kDoneTag) {
    ++finished;
    return true;
  }
  const CompareOutcome& o = journal.record_entry(text, "rank " + std::to_string(status.MPI_SOURCE));
  if (report) report(o, ++done, total, status.MPI_SOURCE);
  return true;
}

void run_on_root(const Ranks& ranks, const CompareConfig& cfg, CompareJournal& journal,
                 const std::vector<std::size_t>& pending, const std::atomic<int>* stop,
                 const RunReport& report) {
  std::size_t done = 0;
  int finished = 1;  // this rank
  for (std::size_t j = 0; j < pending.size(); j += static_cast<std::size_t>(ranks.size)) {
    if (stop && stop->load()) break;
    const CompareOutcome& o = journal.record(pending[j], run_one(cfg.runs[pending[j]], stop).result);
    if (report) report(o, ++done, pending.size(), 0);
    while (receive_one(journal, false, done, pending.size(), finished, report)) {
    }
  }
  while (finished < ranks.size) receive_one(journal, true, done, pending.size(), finished, report);
}

void run_on_worker(const Ranks& ranks, const CompareConfig& cfg, const std::vector<std::size_t>& pending,
                   const std::atomic<int>* stop) {
  std::deque<std::string> sent;  // each buffer lives until its send completes
  std::vector<MPI_Request> requests;
  auto send = [&](std::string text, int tag) {
    sent.push_back(std::move(text));
    requests.emplace_back();
    MPI_Isend(sent.back().data(), static_cast<int>(sent.back().size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD,
              &requests.back());
  };
  for (std::size_t j = static_cast<std::size_t>(ranks.rank); j < pending.size();
       j += static_cast<std::size_t>(ranks.size)) {
    if (stop && stop->load()) break;
    send(journal_entry(cfg, pending[j], run_one(cfg.runs[pending[j]], stop).result), kEntryTag);
  }
  send(std::string(), kDoneTag);
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
}
#endif

}  // namespace

Ranks join_ranks() {
  Ranks ranks;
  const int announced = launcher_size();
#ifdef RANSIM_HAVE_MPI
  if (announced > 0) {
    MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &ranks.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks.size);
    ranks.mpi = true;
  }
#else
  if (announced > 1)
    throw InputError("started by mpirun with " + std::to_string(announced) +
                     " ranks, but this ransim was built without MPI: each rank would run the whole "
                     "comparison and write the same outputs (build with libopenmpi-dev installed, or use "
                     "--shard I/K and ransim merge; docs/compare.md, \"Scale-out\")");
#endif
  return ranks;
}

void leave_ranks(const Ranks& ranks) {
#ifdef RANSIM_HAVE_MPI
  if (ranks.mpi) MPI_Finalize();
#else
  (void)ranks;
#endif
}

bool share_outcome_of_root(const Ranks& ranks, bool opened) {
#ifdef RANSIM_HAVE_MPI
  if (ranks.size > 1) {
    int flag = opened ? 1 : 0;
    MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return flag != 0;
  }
#else
  (void)ranks;
#endif
  return opened;
}

void run_over_ranks(const Ranks& ranks, const CompareConfig& cfg, CompareJournal* journal,
                    const std::atomic<int>* stop, const RunReport& report) {
  if (ranks.size == 1) {
    std::size_t done = 0;
    for (std::size_t i : journal->pending()) {
      if (stop && stop->load()) break;
      const CompareOutcome& o = journal->record(i, run_one(cfg.runs[i], stop).result);
      if (report) report(o, ++done, journal->pending().size(), 0);
    }
    return;
  }
#ifdef RANSIM_HAVE_MPI
  try {
    std::vector<unsigned long long> pending;
    if (ranks.rank == 0) pending.assign(journal->pending().begin(), journal->pending().end());
    unsigned long long count = pending.size();
    MPI_Bcast(&count, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    pending.resize(count);
    MPI_Bcast(pending.data(), static_cast<int>(count), MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    const std::vector<std::size_t> runs(pending.begin(), pending.end());
    if (ranks.rank == 0) run_on_root(ranks, cfg, *journal, runs, stop, report);
    else run_on_worker(ranks, cfg, runs, stop);
  } catch (const std::exception& e) {
    // Mid-exchange the other ranks may be waiting for this one: the whole job ends.
    std::fprintf(stderr, "ransim: rank %d: run failed: %s\n", ranks.rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
#endif
}

}  // namespace ransim
