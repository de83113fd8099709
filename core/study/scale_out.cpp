#include "study/scale_out.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "ransim/error.hpp"
#include "scenario/scenario_table.hpp"
#include "tasks/metrics.hpp"

namespace ransim {

namespace {

std::size_t parse_count(const std::string& text, const std::string& flag, const std::string& whole) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw InputError(flag + " " + whole + ": expected I/K with integers 0 <= I < K (e.g. 0/4)");
  return std::stoul(text);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t fnv1a(std::uint64_t h, std::string_view text) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}
constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

// A TOML basic string. Bytes that are not UTF-8 become U+FFFD (TOML text is UTF-8).
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
      else if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // The length of a well-formed UTF-8 sequence starting here (0: not one).
    std::size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n && i + n <= s.size()) {
      for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) n = 0;
      const auto c1 = n ? static_cast<unsigned char>(s[i + 1]) : 0;
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
          (c == 0xf4 && c1 > 0x8f))
        n = 0;  // overlong, a surrogate, or beyond U+10FFFF
    } else n = 0;
    if (n) out.append(s, i, n), i += n;
    else out += "\\ufffd", ++i;
  }
  return out + "\"";
}

// 17 significant digits read back to the same double; a float in TOML's syntax in every case.
std::string toml_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

[[noreturn]] void bad(const std::string& path, const toml::node& n, const std::string& what) {
  throw InputError(toml_where(path, n) + ": " + what +
                   " (not a ransim compare journal, or one edited by hand)");
}

const toml::node& need(const std::string& path, const toml::table& t, const std::string& key) {
  const toml::node* n = t.get(key);
  if (!n) bad(path, t, "missing '" + key + "'");
  return *n;
}

std::string get_string(const std::string& path, const toml::table& t, const std::string& key) {
  const toml::node& n = need(path, t, key);
  if (!n.is_string()) bad(path, n, "'" + key + "': expected a string");
  return std::string(*n.as_string());
}

std::size_t get_count(const std::string& path, const toml::table& t, const std::string& key) {
  const toml::node& n = need(path, t, key);
  if (!n.is_integer() || n.as_integer()->get() < 0) bad(path, n, "'" + key + "': expected an integer >= 0");
  return static_cast<std::size_t>(n.as_integer()->get());
}

double get_float(const std::string& path, const toml::node& n, const std::string& key) {
  if (n.is_floating_point()) return n.as_floating_point()->get();
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  bad(path, n, "'" + key + "': expected a number");
}

Metric parse_metric(const std::string& path, const toml::node& n, const std::string& name) {
  for (int i = 0; i < 64; ++i)  // every Metric has a name; "?" past the last one
    if (name == metric_name(static_cast<Metric>(i))) return static_cast<Metric>(i);
  bad(path, n, "'metric': unknown metric '" + name + "'");
}

JournalEntry parse_entry(const std::string& path, const toml::table& t) {
  JournalEntry e;
  e.line = t.source().begin.line;
  e.index = get_count(path, t, "index");
  e.id = get_string(path, t, "id");
  e.digest = get_string(path, t, "digest");
  RunResult& r = e.result;
  const std::string status = get_string(path, t, "status");
  const auto parsed = parse_run_status(status);
  if (!parsed) bad(path, need(path, t, "status"), "'status': unknown status '" + status + "'");
  r.status = *parsed;
  r.message = get_string(path, t, "message");
  r.metric = parse_metric(path, need(path, t, "metric"), get_string(path, t, "metric"));
  r.state_size = get_count(path, t, "state_size");
  r.fixed_weights = get_count(path, t, "fixed_weights");
  r.readout_weights = get_count(path, t, "readout_weights");
  r.lanes = get_count(path, t, "lanes");
  r.tokens = get_count(path, t, "tokens");
  r.steps = get_count(path, t, "steps");
  r.wall_seconds = get_float(path, need(path, t, "wall_seconds"), "wall_seconds");
  const toml::node& m = need(path, t, "metrics");
  if (!m.is_table()) bad(path, m, "'metrics': expected a table");
  for (auto&& [k, v] : *m.as_table())
    r.metrics[std::string(k.str())] = get_float(path, v, std::string(k.str()));
  if (get_count(path, t, "end") != e.index) bad(path, need(path, t, "end"), "'end': not the entry's index");
  return e;
}

}  // namespace

Shard parse_shard(const std::string& text, const std::string& flag) {
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    throw InputError(flag + " " + text + ": expected I/K with integers 0 <= I < K (e.g. 0/4)");
  Shard s{parse_count(text.substr(0, slash), flag, text), parse_count(text.substr(slash + 1), flag, text)};
  if (s.count == 0 || s.index >= s.count)
    throw InputError(flag + " " + text + ": expected I/K with integers 0 <= I < K (e.g. 0/4)");
  return s;
}

std::vector<std::size_t> shard_runs(std::size_t runs, Shard shard) {
  std::vector<std::size_t> out;
  for (std::size_t i = shard.index; i < runs; i += shard.count) out.push_back(i);
  return out;
}

std::string journal_path(const std::string& prefix, Shard shard) {
  if (shard.count <= 1) return prefix + ".runs.toml";
  return prefix + ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) +
         ".runs.toml";
}

std::string run_digest(const CompareConfig& cfg, const CompareRun& run) {
  // The first line names the config as it was given ("# PATH: model ..."): left out.
  const std::string head = "# " + cfg.path + ":";
  const std::string_view text = run.scenario.text;
  if (text.substr(0, head.size()) == head)
    return hex64(fnv1a(fnv1a(kFnvBasis, "#"), text.substr(head.size())));
  return hex64(fnv1a(kFnvBasis, text));
}

std::string config_digest(const CompareConfig& cfg) {
  std::uint64_t h = kFnvBasis;
  for (auto& run : cfg.runs) h = fnv1a(h, run.id() + "\n" + run_digest(cfg, run) + "\n");
  return hex64(h);
}

std::string journal_header(const CompareConfig& cfg, const std::vector<std::string>& sets, Shard shard) {
  std::ostringstream out;
  out << "# The runs of a ransim compare, one [[run]] each, appended as they end (docs/compare.md,\n"
      << "# \"Scale-out\"): ransim compare CONFIG --resume continues it, ransim merge reads it.\n"
      << "[journal]\nconfig = " << toml_string(cfg.path) << "\ndigest = " << toml_string(config_digest(cfg))
      << "\nruns = " << cfg.runs.size() << "\nquick = " << (cfg.quick ? "true" : "false") << "\nsets = [";
  for (std::size_t i = 0; i < sets.size(); ++i) out << (i ? ", " : "") << toml_string(sets[i]);
  out << "]\nshard = " << toml_string(std::to_string(shard.index) + "/" + std::to_string(shard.count))
      << "\n";
  return out.str();
}

std::string journal_entry(const CompareConfig& cfg, std::size_t index, const RunResult& r) {
  const CompareRun& run = cfg.runs.at(index);
  std::ostringstream out;
  out << "\n[[run]]\nindex = " << index << "\nid = " << toml_string(run.id())
      << "\ndigest = " << toml_string(run_digest(cfg, run))
      << "\nstatus = " << toml_string(to_string(r.status)) << "\nmessage = " << toml_string(r.message)
      << "\nmetric = " << toml_string(metric_name(r.metric)) << "\nstate_size = " << r.state_size
      << "\nfixed_weights = " << r.fixed_weights << "\nreadout_weights = " << r.readout_weights
      << "\nlanes = " << r.lanes << "\ntokens = " << r.tokens << "\nsteps = " << r.steps
      << "\nwall_seconds = " << toml_float(r.wall_seconds) << "\nmetrics = {";
  bool first = true;
  for (auto& [k, v] : r.metrics) {
    out << (first ? " " : ", ") << toml_string(k) << " = " << toml_float(v);
    first = false;
  }
  // The last line repeats the index: an entry cut short (a full disk, a crash) never reads as whole.
  out << " }\nend = " << index << "\n";
  return out.str();
}

Journal parse_journal(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = parse_toml(text, path);
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) +
                     " (a journal whose last [[run]] was cut short, e.g. by a full disk: remove that entry)");
  }
  Journal j;
  j.path = path;
  const toml::node* h = root.get("journal");
  if (!h || !h->is_table()) throw InputError(path + ": no [journal] table (not a ransim compare journal)");
  const toml::table& head = *h->as_table();
  j.config = get_string(path, head, "config");
  j.digest = get_string(path, head, "digest");
  j.runs = get_count(path, head, "runs");
  const toml::node& quick = need(path, head, "quick");
  if (!quick.is_boolean()) bad(path, quick, "'quick': expected true or false");
  j.quick = quick.as_boolean()->get();
  const toml::node& sets = need(path, head, "sets");
  if (!sets.is_array()) bad(path, sets, "'sets': expected an array of strings");
  for (auto& s : *sets.as_array()) {
    if (!s.is_string()) bad(path, s, "'sets': expected an array of strings");
    j.sets.emplace_back(*s.as_string());
  }
  try {
    j.shard = parse_shard(get_string(path, head, "shard"), "shard");
  } catch (const InputError& e) {
    bad(path, need(path, head, "shard"), e.what());
  }
  if (const toml::node* runs = root.get("run")) {
    if (!runs->is_array_of_tables()) bad(path, *runs, "'run': expected [[run]] tables");
    for (auto& t : *runs->as_array()) j.entries.push_back(parse_entry(path, *t.as_table()));
  }
  return j;
}

Journal read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the journal (" + std::strerror(errno) + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_journal(ss.str(), path);
}

void check_journal(const Journal& j, const CompareConfig& cfg) {
  const std::string advice =
      " Give the same config, --quick and --set as when it was written, or start afresh "
      "with another --out (the journal is kept).";
  if (j.runs != cfg.runs.size() || j.digest != config_digest(cfg))
    throw InputError(j.path + ": is the journal of another comparison (" + j.config + ", " +
                     std::to_string(j.runs) + " runs" + (j.quick ? ", --quick" : "") + ", digest " +
                     j.digest + "), not of " + cfg.path + " (" + std::to_string(cfg.runs.size()) + " runs" +
                     (cfg.quick ? ", --quick" : "") + ", digest " + config_digest(cfg) + ")." + advice);
  for (auto& e : j.entries) {
    const std::string at = j.path + ":" + std::to_string(e.line) + ": run " + std::to_string(e.index);
    if (e.index >= cfg.runs.size())
      throw InputError(at + ": there are " + std::to_string(cfg.runs.size()) + " runs");
    const CompareRun& run = cfg.runs[e.index];
    if (e.id != run.id())
      throw InputError(at + " is '" + e.id + "' here, '" + run.id() + "' in " + cfg.path + "." + advice);
    if (e.digest != run_digest(cfg, run))
      throw InputError(at + " ('" + e.id + "') was run from another scenario than " + cfg.path + " gives." +
                       advice);
  }
}

Gathered gather_journals(const CompareConfig& cfg, const std::vector<Journal>& journals) {
  std::map<std::size_t, const JournalEntry*> chosen;
  for (auto& j : journals)
    for (auto& e : j.entries) {
      auto [it, fresh] = chosen.try_emplace(e.index, &e);
      if (!fresh && (e.result.status != RunStatus::Failed || it->second->result.status == RunStatus::Failed))
        it->second = &e;
    }
  Gathered g;
  for (std::size_t i = 0; i < cfg.runs.size(); ++i) {
    auto it = chosen.find(i);
    if (it == chosen.end()) g.missing.push_back(i);
    else g.result.outcomes.push_back(CompareOutcome{&cfg.runs[i], it->second->result});
  }
  g.result.rows = summarise(cfg, g.result.outcomes);
  return g;
}

CompareJournal::CompareJournal(const CompareConfig& cfg, const std::string& prefix, Shard shard, bool resume,
                               const std::vector<std::string>& sets)
    : cfg_(cfg), path_(journal_path(prefix, shard)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(path_, ec);
  const auto mine = shard_runs(cfg.runs.size(), shard);
  shard_size_ = mine.size();
  if (exists && resume) {
    Journal j = read_journal(path_);
    check_journal(j, cfg);
    if (j.shard.index != shard.index || j.shard.count != shard.count)
      throw InputError(path_ + ": is the journal of shard " + std::to_string(j.shard.index) + "/" +
                       std::to_string(j.shard.count) + ", not " + std::to_string(shard.index) + "/" +
                       std::to_string(shard.count));
    for (auto& o : gather_journals(cfg, {j}).result.outcomes) {
      const auto index = static_cast<std::size_t>(o.run - cfg.runs.data());
      outcomes_.emplace(index, o);
      if (o.result.status != RunStatus::Failed) ++resumed_;
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  } else {
    if (exists) {  // kept under the first free backup name
      for (int n = 1; moved_aside_.empty(); ++n)
        if (!fs::exists(path_ + ".~" + std::to_string(n) + "~", ec))
          moved_aside_ = path_ + ".~" + std::to_string(n) + "~";
      fs::rename(path_, moved_aside_, ec);
      if (ec)
        throw RunError(path_ + ": cannot move the earlier journal to " + moved_aside_ + " (" + ec.message() +
                       ")");
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ >= 0) append(journal_header(cfg, sets, shard));
  }
  if (fd_ < 0) throw InputError(path_ + ": cannot write the journal (" + std::strerror(errno) + ")");
  for (std::size_t i : mine) {
    auto it = outcomes_.find(i);
    if (it == outcomes_.end() || it->second.result.status == RunStatus::Failed) pending_.push_back(i);
  }
}

CompareJournal::~CompareJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void CompareJournal::append(const std::string& text) {
  // One write per entry, then to the disk: a process killed at any moment leaves whole entries.
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RunError(path_ + ": cannot append to the journal (" + std::strerror(errno) + ")");
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0 && errno != EINVAL && errno != EROFS)
    throw RunError(path_ + ": cannot write the journal to disk (" + std::strerror(errno) + ")");
}

const CompareOutcome& CompareJournal::record(std::size_t index, const RunResult& result) {
  if (result.status != RunStatus::Interrupted) append(journal_entry(cfg_, index, result));
  auto& slot = outcomes_[index];
  slot = CompareOutcome{&cfg_.runs.at(index), result};
  return slot;
}

const CompareOutcome& CompareJournal::record_entry(const std::string& entry_text, const std::string& from) {
  Journal j = parse_journal(
      "[journal]\nconfig = \"\"\ndigest = \"\"\nruns = 0\nquick = false\nsets = []\n"
      "shard = \"0/1\"\n" +
          entry_text,
      from);
  if (j.entries.size() != 1) throw RunError(from + ": expected one run's entry");
  j.digest = config_digest(cfg_);
  j.runs = cfg_.runs.size();
  check_journal(j, cfg_);
  return record(j.entries[0].index, j.entries[0].result);
}

CompareResult CompareJournal::result() const {
  CompareResult r;
  for (auto& [index, o] : outcomes_) r.outcomes.push_back(o);
  r.rows = summarise(cfg_, r.outcomes);
  return r;
}

}  // namespace ransim
