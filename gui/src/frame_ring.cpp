#include "frame_ring.hpp"

#include <algorithm>

namespace ransim::gui {

FrameRing::FrameRing(std::size_t capacity) : slots_(std::max<std::size_t>(capacity, 1)) {}

std::uint64_t FrameRing::push(Frame&& f) {
  std::lock_guard<std::mutex> lock(m_);
  const std::uint64_t seq = next_++;
  f.seq = seq;
  slots_[seq % slots_.size()] = std::make_shared<const Frame>(std::move(f));
  if (next_ - oldest_ > slots_.size()) oldest_ = next_ - slots_.size();
  return seq;
}

std::vector<FramePtr> FrameRing::since(std::uint64_t after, std::uint64_t* dropped) const {
  std::lock_guard<std::mutex> lock(m_);
  const std::uint64_t first = std::max(after + 1, oldest_);
  if (dropped) *dropped = first > after + 1 && after + 1 < next_ ? first - (after + 1) : 0;
  std::vector<FramePtr> out;
  if (first >= next_) return out;
  out.reserve(next_ - first);
  for (std::uint64_t s = first; s < next_; ++s) out.push_back(slots_[s % slots_.size()]);
  return out;
}

FramePtr FrameRing::latest() const {
  std::lock_guard<std::mutex> lock(m_);
  return next_ > oldest_ ? slots_[(next_ - 1) % slots_.size()] : nullptr;
}

std::uint64_t FrameRing::last_seq() const {
  std::lock_guard<std::mutex> lock(m_);
  return next_ - 1;
}

void FrameRing::clear() {
  std::lock_guard<std::mutex> lock(m_);
  for (auto& s : slots_) s.reset();
  oldest_ = next_;
}

}  // namespace ransim::gui
