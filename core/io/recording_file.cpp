// PATH.part, its lock and its rename: what keeps an existing recording whole (recorder.hpp).
#include "io/recording_file.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/recorder.hpp"
#include "ransim/error.hpp"

namespace ransim {

namespace {

std::string os_error(int err) { return std::strerror(err); }

// An open-file-description lock (Linux): independent of the flock() HDF5 readers take and
// released only when this descriptor closes, whatever else the process opens and closes.
bool try_lock(int fd) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

// True if another process holds the lock on `partial` (a run is writing it now).
bool in_use(const std::string& partial) {
  const int fd = open(partial.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool locked = !try_lock(fd);
  close(fd);
  return locked;
}

[[noreturn]] void refuse_in_use(const std::string& path, const std::string& partial) {
  throw RunError("recording '" + path + "': another run is writing it now ('" + partial +
                 "' is in use); wait for it or choose another --out");
}

}  // namespace

std::string partial_path(const std::string& path) { return path + ".part"; }

void check_recording_target(const std::string& path, bool overwrite) {
  // A folder that does not exist is a mistyped argument; what the system refuses later
  // (permissions, a full disk) is an I/O error.
  const std::string folder = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  struct stat st {};
  if (stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("cannot create recording '" + path + "': no folder '" + folder + "'");
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw InputError("recording '" + path + "': is a directory");
    if (!S_ISREG(st.st_mode))
      throw RunError("cannot write the recording '" + path +
                     "': not a regular file (a recording is written beside it and renamed into place)");
    if (!overwrite)
      throw InputError("recording '" + path + "' already exists; pass --overwrite to replace it");
  }
  const std::string partial = partial_path(path);
  if (access(partial.c_str(), F_OK) == 0) {
    if (in_use(partial)) refuse_in_use(path, partial);
    if (!overwrite)
      throw InputError("recording '" + path + "': '" + partial +
                       "' exists, left by a run that did not end (killed?); it holds that run's "
                       "samples: move it away, or pass --overwrite to replace it");
  }
}

RecordingFile::RecordingFile(std::string path, bool overwrite)
    : path_(std::move(path)), partial_(partial_path(path_)), overwrite_(overwrite) {
  check_recording_target(path_, overwrite_);
  int fd = open(partial_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST && overwrite_) fd = open(partial_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) refuse_in_use(path_, partial_);  // created between the check and now
    throw RunError("cannot create the recording '" + partial_ + "': " + os_error(err));
  }
  if (!try_lock(fd)) {
    close(fd);
    refuse_in_use(path_, partial_);
  }
  lock_fd_ = fd;
}

RecordingFile::~RecordingFile() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

void RecordingFile::publish() {
  if (published_) return;
  if (overwrite_) {
    if (rename(partial_.c_str(), path_.c_str()) != 0)
      throw RunError("recording kept in '" + partial_ + "': cannot rename it to '" + path_ +
                     "': " + os_error(errno));
  } else if (link(partial_.c_str(), path_.c_str()) == 0) {
    unlink(partial_.c_str());
  } else {
    if (errno == EEXIST)
      throw RunError("recording kept in '" + partial_ + "': '" + path_ +
                     "' appeared during the run and is not replaced (no --overwrite)");
    // A file system without hard links: no atomic "rename unless it exists", so check first.
    if (access(path_.c_str(), F_OK) == 0)
      throw RunError("recording kept in '" + partial_ + "': '" + path_ +
                     "' appeared during the run and is not replaced (no --overwrite)");
    if (rename(partial_.c_str(), path_.c_str()) != 0)
      throw RunError("recording kept in '" + partial_ + "': cannot rename it to '" + path_ +
                     "': " + os_error(errno));
  }
  published_ = true;
  close(lock_fd_);
  lock_fd_ = -1;
}

int RecordingFile::room_for(unsigned long long bytes) const {
  struct stat st {};
  if (lock_fd_ < 0 || fstat(lock_fd_, &st) != 0) return 0;  // nothing to go by: let HDF5 try
  struct rlimit limit {};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      static_cast<unsigned long long>(st.st_size) + bytes > limit.rlim_cur)
    return EFBIG;
  struct statvfs fs {};
  if (fstatvfs(lock_fd_, &fs) == 0 && static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < bytes)
    return ENOSPC;
  return 0;
}

}  // namespace ransim
