#pragma once
// HDF5 recording in an NWB-shaped layout (docs/file-format.md).
//
// Crash safety: samples are buffered in memory and written to the file only inside flush(),
// which then calls H5Fflush. Between flushes the library touches the file not at all, so a
// process killed at any other moment leaves a file that opens with everything up to the last
// flush. The root attribute `complete` is 0 until finish() writes the final status.
//
// No existing file is damaged: a recording is written to PATH.part (partial_path) and renamed
// to PATH when it ends, so PATH keeps its old contents until the new file is whole. A lock on
// PATH.part keeps a second recorder of the same PATH out; readers are not locked out (the
// recorder turns HDF5's own file locking off), so a live PATH.part opens in h5py.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <armadillo>

#include "engine/projection.hpp"
#include "run/status.hpp"

namespace ransim {

struct RecorderOptions {
  std::string path;
  double flush_interval = 2.0;  // s of wall time between flushes
  int compression = 4;          // gzip level 0..9 (0: none)
  std::size_t chunk_samples = 256;
  // A flush also comes once a series has buffered this many bytes: it bounds the memory a
  // fast run with large samples holds between flushes.
  std::size_t flush_bytes = std::size_t{64} << 20;
  // Whether an existing PATH (or a PATH.part left by a run that was killed) may be replaced.
  bool overwrite = true;
};

// Where a recording of `path` is written until it ends: PATH.part.
std::string partial_path(const std::string& path);
// The checks the Recorder makes before it writes anything: throws InputError if `path` is a
// directory, or exists (or PATH.part exists, left by a run that did not end) and !overwrite;
// RunError if `path` exists and is not a regular file (a device cannot take a recording) or
// another recorder is writing PATH.part now.
void check_recording_target(const std::string& path, bool overwrite);

class Recorder {
 public:
  // Creates PATH.part after check_recording_target; throws InputError naming the path if
  // the target is refused, RunError if the file system refuses the file.
  explicit Recorder(RecorderOptions opts);
  // Flushes, closes and renames the file into place; the status stays Running (incomplete)
  // unless finish()ed.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  using SeriesId = std::size_t;
  // A TimeSeries group at `group` (e.g. layout::processing::variable("res", "state")) with `data` of shape
  // [T, shape...] (chunked, extendible, compressed), dataset `starting_time` (attrs `rate`,
  // `unit`="seconds"), and attributes `unit` and `description` on `data` and the group.
  SeriesId add_series(const std::string& group, std::vector<std::size_t> shape, const std::string& unit,
                      const std::string& description, double starting_time, double rate);
  // One time sample: prod(shape) values in row-major order.
  void append(SeriesId id, const double* sample);
  std::size_t samples(SeriesId id) const;

  // Small datasets and attributes, written at once (paths create intermediate groups).
  void write_string(const std::string& path, const std::string& value);
  void write_scalar(const std::string& path, double value);
  void write_integer(const std::string& path, std::int64_t value);
  void write_matrix(const std::string& path, const arma::mat& m, const std::string& unit = "",
                    const std::string& description = "");  // shape [rows, cols]
  void write_vector(const std::string& path, const std::vector<double>& v, const std::string& unit = "",
                    const std::string& description = "");
  // One-dimensional datasets [n] (n may be 0): int64, variable-length UTF-8 strings.
  void write_integers(const std::string& path, const std::vector<std::int64_t>& v);
  void write_strings(const std::string& path, const std::vector<std::string>& v);
  // Group with `data`, `indices`, `indptr` (CSR, scipy.sparse.csr_matrix order), attr `shape`.
  void write_csr(const std::string& group, const Csr& m, const std::string& description = "");
  void set_attribute(const std::string& object_path, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object_path, const std::string& name, double value);
  void set_attribute(const std::string& object_path, const std::string& name,
                     const std::vector<std::int64_t>& values);  // int64 [n]

  // Writes buffered samples and flushes the file to disk.
  void flush();
  // Flushes if flush_interval has elapsed since the last flush or a series' buffer holds
  // flush_bytes.
  void maybe_flush();
  // Final write: root attributes `status` (to_string(status)) and `complete` (1 only for
  // RunStatus::Complete), then flush, close and rename PATH.part to PATH. Further calls are
  // errors. After a failed write (e.g. a full disk) the recorder is broken: every later
  // write throws again, and finish() only marks the file "failed" (if the disk takes that
  // much), closes and renames it.
  void finish(RunStatus status);
  // True once a write has failed.
  bool broken() const;

  const std::string& path() const { return opts_.path; }

 private:
  struct Impl;
  RecorderOptions opts_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ransim
