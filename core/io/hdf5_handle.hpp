#pragma once
// One owner for an HDF5 identifier (not installed: plugins read HDF5 through
// ransim/hdf5_read.hpp). Used by the recorder and the readers alike.
#include <hdf5.h>

#include <utility>

namespace ransim {

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Hdf5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Hdf5Handle() = default;
  Hdf5Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Hdf5Handle(Hdf5Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Hdf5Handle& operator=(Hdf5Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  hid_t release() { return std::exchange(id_, -1); }  // the caller closes it

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

}  // namespace ransim
