#pragma once
// Views over the lanes-fastest state layout. Element (variable v, lane b) of a block lives
// at data[v * lanes + b]: B sequences run in lockstep, and the inner loop of every product
// runs over contiguous lanes, so one lane and 64 lanes share the same code.
#include <armadillo>
#include <cstddef>

namespace ransim {

template <class T>
struct BasicBlock {
  T* data = nullptr;
  std::size_t vars = 0;
  std::size_t lanes = 1;

  T& operator()(std::size_t v, std::size_t b) const { return data[v * lanes + b]; }
  T* var(std::size_t v) const { return data + v * lanes; }  // the lanes of variable v
  std::size_t size() const { return vars * lanes; }
  BasicBlock sub(std::size_t first_var, std::size_t n) const {
    return {data + first_var * lanes, n, lanes};
  }
};

using Block = BasicBlock<double>;
using ConstBlock = BasicBlock<const double>;

inline ConstBlock as_const(Block b) { return {b.data, b.vars, b.lanes}; }

// Armadillo views (lanes x vars, column v = variable v) that alias the block's memory.
inline arma::mat mat_view(Block b) { return arma::mat(b.data, b.lanes, b.vars, false, true); }
inline const arma::mat mat_view(ConstBlock b) {
  return arma::mat(const_cast<double*>(b.data), b.lanes, b.vars, false, true);
}

}  // namespace ransim
