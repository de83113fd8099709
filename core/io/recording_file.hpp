#pragma once
// The file a Recorder writes (recorder.hpp): PATH.part while the run goes on, locked against a
// second writer, renamed to PATH when it ends. Not installed; used by the recorder only.
#include <string>

namespace ransim {

class RecordingFile {
 public:
  // Claims PATH.part after check_recording_target(path, overwrite): creates it (or takes
  // over one left by a killed run when `overwrite`) and holds a lock on it until publish()
  // or destruction. Throws InputError / RunError as check_recording_target does.
  RecordingFile(std::string path, bool overwrite);
  ~RecordingFile();  // releases the lock; the file stays where it is
  RecordingFile(const RecordingFile&) = delete;
  RecordingFile& operator=(const RecordingFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& partial() const { return partial_; }
  // Renames PATH.part to PATH (the HDF5 file must be closed). Without `overwrite` a PATH
  // that appeared during the run is kept, and so is PATH.part: throws RunError saying so.
  void publish();
  bool published() const { return published_; }
  // 0 if the file can grow by `bytes` (the free space of its file system, and the process's
  // file-size limit), else the errno a write would meet (ENOSPC or EFBIG). HDF5 cannot close
  // a file whose buffered writes failed (and crashes at exit on it), so the recorder asks
  // before it writes.
  int room_for(unsigned long long bytes) const;

 private:
  std::string path_, partial_;
  bool overwrite_ = true, published_ = false;
  int lock_fd_ = -1;
};

}  // namespace ransim
