#pragma once
// The hand-over from the simulation thread to the GUI: a fixed-capacity ring of frames
// behind a mutex. The producer never waits for the consumer: when the ring is full the
// oldest frame is dropped. Frames are immutable once pushed (shared_ptr<const Frame>), so
// the consumer reads them outside the lock.
//
// Threading: every member may be called from any thread. The lock is held only to move
// pointers, never while a frame is built or drawn.
#include <cstdint>
#include <mutex>
#include <vector>

#include "frame.hpp"

namespace ransim::gui {

class FrameRing {
 public:
  explicit FrameRing(std::size_t capacity = 2048);

  // Publishes a frame; assigns its seq (1, 2, ...). Returns the seq.
  std::uint64_t push(Frame&& f);
  // Frames with seq > after, oldest first (at most capacity()). `dropped`, if given, is
  // set to how many such frames were overwritten before they could be pulled.
  std::vector<FramePtr> since(std::uint64_t after, std::uint64_t* dropped = nullptr) const;
  FramePtr latest() const;
  std::uint64_t last_seq() const;
  std::size_t capacity() const { return slots_.size(); }
  // Forgets every frame (seq numbering continues).
  void clear();

 private:
  mutable std::mutex m_;
  std::vector<FramePtr> slots_;
  std::uint64_t next_ = 1;    // seq of the next push
  std::uint64_t oldest_ = 1;  // seq of the oldest frame held
};

}  // namespace ransim::gui
