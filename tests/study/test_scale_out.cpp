// Scale-out of `ransim compare` (docs/compare.md, "Scale-out"): the journal, resume, shards
// and their merge.
//
// Expected values come from a serial run of the same tiny config (the merged and resumed
// outputs must equal it, wall times aside) and from the values written (the journal reads
// them back bit for bit).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "study/compare.hpp"
#include "study/scale_out.hpp"
#include "support/test_support.hpp"

namespace {

using ransim::CompareConfig;
using ransim::CompareJournal;
using ransim::Shard;
using testing::HasSubstr;

// Two models x two tasks (a stream and an episode-free classification) x two seeds: 8 runs of
// a few hundred tokens.
const char* kConfig = R"(seeds = [1, 2]
[quick]
seeds = [3]
[task.narma]
kind = "narma10"
warmup = 10
train = 150
test = 60
quick = { train = 100 }
[task.recall]
kind = "copy"
symbols = 2
delay = 2
train = 120
test = 40
[model.small]
population.res = { kind = "leaky", size = 10, tau = 2.0 }
[[model.small.projection]]
from = "input"
to = "res"
density = 1.0
[model.recurrent]
population.res = { kind = "leaky", size = 14, tau = 2.0 }
[[model.recurrent.projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[model.recurrent.projection]]
from = "input"
to = "res"
density = 1.0
)";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string write_config(const std::string& name, const std::string& text) {
  return ransim::test::write_file(ransim::test::tmp_path(name), text);
}

// The CSV without its last column (wall_seconds, the one value that may differ).
std::string without_wall_times(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

// Runs the journal's pending runs in order, as one process does; returns how many ran.
std::size_t run_pending(const CompareConfig& cfg, CompareJournal& journal, std::size_t at_most = SIZE_MAX) {
  std::size_t ran = 0;
  for (std::size_t i : journal.pending()) {
    if (ran == at_most) break;
    journal.record(i, ransim::run_one(cfg.runs[i]).result);
    ++ran;
  }
  return ran;
}

std::string csv_of(const CompareConfig& cfg, const ransim::CompareResult& r, const std::string& prefix) {
  ransim::write_compare_outputs(cfg, r, prefix);
  return slurp(prefix + ".csv");
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

TEST(ScaleOut, JournalEntriesReadBackBitForBit) {
  const CompareConfig cfg = ransim::load_compare(write_config("c.toml", kConfig), false);
  ransim::RunResult r;
  r.status = ransim::RunStatus::Diverged;
  r.message = "a \"quoted\" \\ path\nline\ttab \x01 λ \xff end";
  r.metric = ransim::Metric::Accuracy;
  r.state_size = 128;
  r.fixed_weights = 123456789012ull;
  r.readout_weights = 4097;
  r.lanes = 16;
  r.tokens = 1000000;
  r.steps = 4000000;
  r.wall_seconds = 0.1 + 0.2;
  const double values[] = {1.0 / 3,
                           0.1,
                           -0.0,
                           1e300,
                           5e-324,
                           2.2250738585072014e-308,
                           42.0,
                           -7.25e-5,
                           1e22,
                           3.0,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::nan("")};
  for (std::size_t i = 0; i < std::size(values); ++i)
    r.metrics["m" + std::to_string(i) + " odd.key"] = values[i];
  const std::string text =
      ransim::journal_header(cfg, {"readout.ridge=1e-6"}, Shard{1, 3}) + ransim::journal_entry(cfg, 5, r);
  const ransim::Journal j = ransim::parse_journal(text, "j.toml");
  EXPECT_EQ(j.digest, ransim::config_digest(cfg));
  EXPECT_EQ(j.runs, 8u);
  EXPECT_EQ(j.sets, std::vector<std::string>{"readout.ridge=1e-6"});
  EXPECT_EQ(j.shard.index, 1u);
  EXPECT_EQ(j.shard.count, 3u);
  ASSERT_EQ(j.entries.size(), 1u);
  const auto& e = j.entries[0];
  EXPECT_EQ(e.index, 5u);
  EXPECT_EQ(e.id, cfg.runs[5].id());
  EXPECT_EQ(e.digest, ransim::run_digest(cfg, cfg.runs[5]));
  EXPECT_EQ(e.result.status, r.status);
  // Every byte back, but the one that is not UTF-8: U+FFFD (a journal is UTF-8 text).
  EXPECT_EQ(e.result.message, "a \"quoted\" \\ path\nline\ttab \x01 λ \xef\xbf\xbd end");
  EXPECT_EQ(e.result.metric, r.metric);
  EXPECT_EQ(e.result.state_size, r.state_size);
  EXPECT_EQ(e.result.fixed_weights, r.fixed_weights);
  EXPECT_EQ(e.result.readout_weights, r.readout_weights);
  EXPECT_EQ(e.result.lanes, r.lanes);
  EXPECT_EQ(e.result.tokens, r.tokens);
  EXPECT_EQ(e.result.steps, r.steps);
  EXPECT_EQ(bits(e.result.wall_seconds), bits(r.wall_seconds));
  ASSERT_EQ(e.result.metrics.size(), r.metrics.size());
  for (auto& [k, v] : r.metrics) {
    ASSERT_TRUE(e.result.metrics.count(k)) << k;
    const double back = e.result.metrics.at(k);
    if (std::isnan(v)) EXPECT_TRUE(std::isnan(back)) << k;
    else EXPECT_EQ(bits(back), bits(v)) << k << " " << v << " read back as " << back;
  }
  // The entry of another config's run is refused, naming its line.
  ransim::Journal tampered = j;
  tampered.entries[0].index = 4;
  try {
    ransim::check_journal(tampered, cfg);
    ADD_FAILURE() << "an entry under another run's index was accepted";
  } catch (const ransim::InputError& err) {
    EXPECT_THAT(err.what(), HasSubstr("j.toml:" + std::to_string(e.line) + ": run 4 is '"));
  }
}

TEST(ScaleOut, ShardsCoverEveryRunOnce) {
  for (std::size_t runs : {0u, 1u, 7u, 12u, 13u})
    for (std::size_t k = 1; k <= 5; ++k) {
      std::multiset<std::size_t> seen;
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t r : ransim::shard_runs(runs, Shard{i, k})) {
          EXPECT_EQ(r % k, i);
          seen.insert(r);
        }
      ASSERT_EQ(seen.size(), runs) << runs << " runs, " << k << " shards";
      for (std::size_t r = 0; r < runs; ++r) EXPECT_EQ(seen.count(r), 1u) << r;
    }
  const Shard s = ransim::parse_shard("3/4");
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ(s.count, 4u);
  for (const char* bad : {"4/4", "0/0", "1", "a/3", "-1/2", "1/", "/2", "1/2/3", "99999999999/1"})
    EXPECT_THROW(ransim::parse_shard(bad), ransim::InputError) << bad;
  EXPECT_EQ(ransim::journal_path("out/c", Shard{}), "out/c.runs.toml");
  EXPECT_EQ(ransim::journal_path("out/c", Shard{2, 3}), "out/c.shard-2-of-3.runs.toml");
}

TEST(ScaleOut, MergedShardsEqualASerialRun) {
  const std::string dir = ransim::test::test_dir();
  const CompareConfig cfg = ransim::load_compare(write_config("c.toml", kConfig), false);
  ASSERT_EQ(cfg.runs.size(), 8u);
  // Serial, as one process with its journal, and through run_compare (no journal).
  CompareJournal serial(cfg, dir + "/serial", Shard{}, false, {});
  EXPECT_EQ(run_pending(cfg, serial), 8u);
  const std::string serial_csv = csv_of(cfg, serial.result(), dir + "/serial");
  EXPECT_EQ(without_wall_times(serial_csv),
            without_wall_times(csv_of(cfg, ransim::run_compare(cfg), dir + "/plain")));
  // Three shards, each with its own journal, then merged from the files.
  std::vector<ransim::Journal> journals;
  for (std::size_t i = 0; i < 3; ++i) {
    CompareJournal shard(cfg, dir + "/c", Shard{i, 3}, false, {});
    EXPECT_EQ(run_pending(cfg, shard), ransim::shard_runs(8, Shard{i, 3}).size());
    journals.push_back(ransim::read_journal(shard.path()));
  }
  for (auto& j : journals) EXPECT_NO_THROW(ransim::check_journal(j, cfg));
  const ransim::Gathered merged = ransim::gather_journals(cfg, journals);
  EXPECT_TRUE(merged.missing.empty());
  const std::string merged_csv = csv_of(cfg, merged.result, dir + "/merged");
  EXPECT_EQ(std::count(merged_csv.begin(), merged_csv.end(), '\n'), 5);  // header + 2 tasks x 2 models
  EXPECT_EQ(without_wall_times(merged_csv), without_wall_times(serial_csv));
  EXPECT_NE(merged_csv.find("narma,nrmse_test,false,small,"), std::string::npos) << merged_csv;
  // A shard missing: its runs are named, not invented.
  const ransim::Gathered partial = ransim::gather_journals(cfg, {journals[0], journals[2]});
  EXPECT_EQ(partial.missing, ransim::shard_runs(8, Shard{1, 3}));
  EXPECT_EQ(partial.result.outcomes.size(), 8u - partial.missing.size());
}

TEST(ScaleOut, ResumeSkipsJournaledRunsAndRunsTheRest) {
  const std::string dir = ransim::test::test_dir();
  const CompareConfig cfg = ransim::load_compare(write_config("c.toml", kConfig), false);
  CompareJournal serial(cfg, dir + "/serial", Shard{}, false, {});
  run_pending(cfg, serial);
  const std::string serial_csv = csv_of(cfg, serial.result(), dir + "/serial");

  std::map<std::size_t, double> first_walls;
  {  // killed after three runs; the fourth failed (e.g. a data file), the fifth was interrupted
    CompareJournal first(cfg, dir + "/c", Shard{}, false, {});
    EXPECT_EQ(run_pending(cfg, first, 3), 3u);
    for (auto& o : first.result().outcomes) first_walls[o.run - cfg.runs.data()] = o.result.wall_seconds;
    ransim::RunResult failed, interrupted;
    failed.status = ransim::RunStatus::Failed;
    failed.message = "cannot read the data";
    interrupted.status = ransim::RunStatus::Interrupted;
    first.record(3, failed);
    first.record(4, interrupted);
  }
  EXPECT_EQ(ransim::read_journal(dir + "/c.runs.toml").entries.size(), 4u);  // not the interrupted one
  CompareJournal resumed(cfg, dir + "/c", Shard{}, true, {});
  EXPECT_EQ(resumed.resumed(), 3u);
  EXPECT_EQ(resumed.pending(), (std::vector<std::size_t>{3, 4, 5, 6, 7}));
  EXPECT_EQ(run_pending(cfg, resumed), 5u);
  const auto result = resumed.result();
  ASSERT_EQ(result.outcomes.size(), 8u);
  for (auto& [index, wall] : first_walls)  // taken from the journal, not run again
    EXPECT_EQ(bits(result.outcomes[index].result.wall_seconds), bits(wall)) << index;
  EXPECT_EQ(result.outcomes[3].result.status, ransim::RunStatus::Complete);
  EXPECT_EQ(without_wall_times(csv_of(cfg, result, dir + "/c")), without_wall_times(serial_csv));
  // Nothing recorded is lost: the failed entry stays, the run tried again follows it.
  EXPECT_EQ(ransim::read_journal(dir + "/c.runs.toml").entries.size(), 9u);
  // Resumed once more, nothing is left to run.
  CompareJournal again(cfg, dir + "/c", Shard{}, true, {});
  EXPECT_EQ(again.resumed(), 8u);
  EXPECT_TRUE(again.pending().empty());
}

TEST(ScaleOut, AForeignJournalIsRefusedAndKept) {
  const std::string dir = ransim::test::test_dir();
  const std::string path = write_config("c.toml", kConfig);
  const CompareConfig cfg = ransim::load_compare(path, false);
  {
    CompareJournal j(cfg, dir + "/c", Shard{}, false, {});
    run_pending(cfg, j, 1);
  }
  const std::string before = slurp(dir + "/c.runs.toml");
  std::string longer = kConfig;
  longer.replace(longer.find("train = 150"), 11, "train = 151");
  const std::vector<CompareConfig> others = {ransim::load_compare(write_config("longer.toml", longer), false),
                                             ransim::load_compare(path, true),
                                             ransim::load_compare(path, false, {"readout.ridge=1e-3"})};
  for (auto& other : others) {
    try {
      CompareJournal j(other, dir + "/c", Shard{}, true, {});
      ADD_FAILURE() << "a journal of another comparison was resumed";
    } catch (const ransim::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("c.runs.toml: is the journal of another comparison"));
    }
    EXPECT_EQ(slurp(dir + "/c.runs.toml"), before);
  }
}

TEST(ScaleOut, WithoutResumeAnEarlierJournalIsKeptAside) {
  const std::string dir = ransim::test::test_dir();
  const CompareConfig cfg = ransim::load_compare(write_config("c.toml", kConfig), false);
  {
    CompareJournal j(cfg, dir + "/c", Shard{}, false, {});
    run_pending(cfg, j, 1);
  }
  const std::string first = slurp(dir + "/c.runs.toml");
  for (int n = 1; n <= 2; ++n) {
    CompareJournal fresh(cfg, dir + "/c", Shard{}, false, {});
    EXPECT_EQ(fresh.moved_aside(), dir + "/c.runs.toml.~" + std::to_string(n) + "~");
    EXPECT_EQ(fresh.pending().size(), 8u);
  }
  EXPECT_EQ(slurp(dir + "/c.runs.toml.~1~"), first);
  EXPECT_EQ(ransim::read_journal(dir + "/c.runs.toml").entries.size(), 0u);
  // A journal cut short anywhere in its last entry is never read as whole.
  const std::size_t entry = first.find("\n[[run]]");
  ASSERT_NE(entry, std::string::npos);
  for (std::size_t cut = entry + 2; cut < first.size() - 1; ++cut) {
    std::ofstream(dir + "/cut.runs.toml", std::ios::binary | std::ios::trunc) << first.substr(0, cut);
    try {
      CompareJournal j(cfg, dir + "/cut", Shard{}, true, {});
      ADD_FAILURE() << "a journal cut after " << cut << " of " << first.size() << " bytes was resumed";
      break;
    } catch (const ransim::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("cut.runs.toml:"));
    }
  }
}

}  // namespace
