#pragma once
// Views over the lanes-fastest state layout. Element (variable v, lane b) of a block lives
// at data[v * lanes + b]: B sequences run in lockstep, and the inner loop of every product
// runs over contiguous lanes, so one lane and 64 lanes share the same code.
#include <armadillo>
#include <cstddef>
#include <new>
#include <vector>

namespace ransim {

template <class T> struct BasicBlock {
  T* data = nullptr;
  std::size_t vars = 0;
  std::size_t lanes = 1;

  T& operator()(std::size_t v, std::size_t b) const { return data[v * lanes + b]; }
  T* var(std::size_t v) const { return data + v * lanes; }  // the lanes of variable v
  std::size_t size() const { return vars * lanes; }
  BasicBlock sub(std::size_t first_var, std::size_t n) const { return {data + first_var * lanes, n, lanes}; }
};

// Storage for blocks, aligned to a cache line. With lanes a multiple of a vector (8 doubles,
// 16 floats), every variable's lanes then start a line, and no 64-byte load of a lane chunk
// straddles two: from malloc's 16-byte alignment the 64-lane sparse product ran 1.5x slower.
template <class T> struct LineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  LineAllocator() = default;
  template <class U> LineAllocator(const LineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlignment); }
  template <class U> bool operator==(const LineAllocator<U>&) const { return true; }
};
template <class T> using LaneVector = std::vector<T, LineAllocator<T>>;

using Block = BasicBlock<double>;
using ConstBlock = BasicBlock<const double>;

inline ConstBlock as_const(Block b) { return {b.data, b.vars, b.lanes}; }

// Armadillo views (lanes x vars, column v = variable v) that alias the block's memory.
inline arma::mat mat_view(Block b) { return arma::mat(b.data, b.lanes, b.vars, false, true); }
inline const arma::mat mat_view(ConstBlock b) {
  return arma::mat(const_cast<double*>(b.data), b.lanes, b.vars, false, true);
}

}  // namespace ransim
