#pragma once
// Scale-out of `ransim compare` (docs/compare.md, "Scale-out"): a journal of the runs done,
// appended as each run ends, from which a killed comparison resumes, shards of a SLURM job
// array are merged and the ranks of `mpirun` report to rank 0.
//
// The journal is TOML (PREFIX.runs.toml, or PREFIX.shard-I-of-K.runs.toml): a [journal]
// header naming the config and a digest of all its runs, then one [[run]] per run with its
// index, id, the digest of its scenario and every RunResult field the outputs use, numbers
// with 17 significant digits (they read back bit for bit).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "study/compare.hpp"

namespace ransim {

// A slice of a comparison: the runs whose index in cfg.runs is `index` modulo `count`.
struct Shard {
  std::size_t index = 0, count = 1;
};

// "I/K" with 0 <= I < K; throws InputError naming `flag`.
Shard parse_shard(const std::string& text, const std::string& flag = "--shard");
// The indices of cfg.runs in the shard, in config order.
std::vector<std::size_t> shard_runs(std::size_t runs, Shard shard);

// PREFIX.runs.toml, or PREFIX.shard-I-of-K.runs.toml for a shard of K > 1.
std::string journal_path(const std::string& prefix, Shard shard);

// FNV-1a 64 of a run's scenario text without the config's path (a config reached by another
// relative path is the same config), as 16 hex digits.
std::string run_digest(const CompareConfig& cfg, const CompareRun& run);
// Of every run's id and digest in order: another model, task, seed, --quick or --set changes it.
std::string config_digest(const CompareConfig& cfg);

// The journal's text: its header, and one run's entry.
std::string journal_header(const CompareConfig& cfg, const std::vector<std::string>& sets, Shard shard);
std::string journal_entry(const CompareConfig& cfg, std::size_t index, const RunResult& result);

struct JournalEntry {
  std::size_t index = 0;
  std::string id, digest;
  RunResult result;
  std::uint32_t line = 0;  // where it starts in its journal
};

struct Journal {
  std::string path, config, digest;
  std::size_t runs = 0;
  bool quick = false;
  std::vector<std::string> sets;
  Shard shard;
  std::vector<JournalEntry> entries;  // in the order written
};

// `text` as a journal (`path` names it in errors); throws InputError naming path:line:col.
Journal parse_journal(const std::string& text, const std::string& path);
Journal read_journal(const std::string& path);
// Throws InputError unless the journal is of this comparison: the same runs, each entry's id and
// scenario digest those of the run at its index.
void check_journal(const Journal& journal, const CompareConfig& cfg);

// The outcomes of the journals' entries in config order, and the runs in none. Of several
// entries of one run the last one that did not fail counts (a failed run tried again).
struct Gathered {
  CompareResult result;
  std::vector<std::size_t> missing;
};
Gathered gather_journals(const CompareConfig& cfg, const std::vector<Journal>& journals);

// The journal of one process (a whole comparison, a shard, or rank 0 of mpirun): opened at the
// start, appended to after each run, and the outcomes for the outputs at the end.
class CompareJournal {
 public:
  // Without `resume` a journal already at the path is moved aside (PREFIX.runs.toml.~N~, never
  // deleted) and a new one begun; with `resume` it is read, checked against cfg (InputError if
  // it is another comparison's) and its runs are not run again, except those that failed.
  CompareJournal(const CompareConfig& cfg, const std::string& prefix, Shard shard, bool resume,
                 const std::vector<std::string>& sets);
  ~CompareJournal();
  CompareJournal(const CompareJournal&) = delete;
  CompareJournal& operator=(const CompareJournal&) = delete;

  const std::string& path() const { return path_; }
  const std::string& moved_aside() const { return moved_aside_; }       // empty if nothing was
  std::size_t resumed() const { return resumed_; }                      // runs taken from the journal
  std::size_t shard_size() const { return shard_size_; }                // runs of this shard in all
  const std::vector<std::size_t>& pending() const { return pending_; }  // in config order

  // Appends a run's entry (written and flushed at once) unless it was interrupted: an
  // interrupted run is in the outputs of this process but is run again on resume.
  const CompareOutcome& record(std::size_t index, const RunResult& result);
  // An entry made by journal_entry elsewhere (another rank): checked against cfg, then recorded.
  const CompareOutcome& record_entry(const std::string& entry_text, const std::string& from);
  // Every outcome recorded or resumed, in config order, with its rows.
  CompareResult result() const;

 private:
  void append(const std::string& text);
  const CompareConfig& cfg_;
  std::string path_, moved_aside_;
  int fd_ = -1;
  std::size_t resumed_ = 0, shard_size_ = 0;
  std::vector<std::size_t> pending_;
  std::map<std::size_t, CompareOutcome> outcomes_;
};

}  // namespace ransim
