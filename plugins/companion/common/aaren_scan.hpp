#pragma once
// Attention as an RNN (Aaren, docs/science.md): the many-to-many softmax attention of one fixed
// query over a stream of T (score, value) pairs,
//
//     o_t = sum_{i<=t} e^{s_i} v_i / sum_{i<=t} e^{s_i},      t = 1..T,
//
// computed three ways that must agree to round-off (tests/plugins/companion/test_companion.cpp):
//
//  - aaren_sequential: the running-max recurrence, O(1) state (m, u, w) per step,
//        m' = max(m, s),  u' = u e^{m-m'} + e^{s-m'},  w' = w e^{m-m'} + v e^{s-m'},  o = w'/u';
//  - aaren_scan: a parallel prefix scan with the associative operator
//        (mA,uA,wA) + (mB,uB,wB) = (m, uA e^{mA-m} + uB e^{mB-m}, wA e^{mA-m} + wB e^{mB-m}),
//        m = max(mA, mB),
//    block-wise: the tokens are cut into blocks of 1024; threads claim blocks in order, reduce
//    each to its total (m, u, w), take the exclusive prefix of the blocks before it (the scan
//    of the block totals, published block by block) and run the recurrence over the block
//    from that prefix. The blocks depend on T only, so the result is bitwise the same for any
//    number of threads, and a thread on a slower core just claims fewer blocks;
//  - softmax_attention_direct: the O(T^2) reference, a stable softmax over s_1..s_t for every t.
//
// aaren_gated is the form the `aaren` population integrates: o <- o + g (v - o) with the
// gate g = e^{s - lse'}, lse' = logaddexp(lse, s).
//
// Layout: s has T values; v and out are T x d, row-major (v[t*d + j]). Scores may be any
// finite numbers (|s| ~ 1e3 and beyond): every exponent is <= 0, nothing overflows.
#include <cstddef>
#include <span>
#include <vector>

namespace ransim {

class ThreadPool;

// One element of the scan: the softmax-weighted sum of a range of tokens, relative to the
// range's maximum score m: u = sum e^{s_i - m}, w = sum e^{s_i - m} v_i. The empty range
// (the identity of the operator) is m = -inf, u = 0, w = 0.
struct AarenPart {
  double m;
  double u;
  std::vector<double> w;
};
AarenPart aaren_identity(std::size_t d);
AarenPart aaren_token(double s, std::span<const double> v);  // one token: (s, 1, v)
AarenPart aaren_combine(const AarenPart& a, const AarenPart& b);

void aaren_sequential(std::span<const double> s, std::span<const double> v, std::size_t d,
                      std::span<double> out);
// `threads` threads: the calling thread and threads-1 created for the call (which costs
// 0.03-0.5 ms: use the pool overload in loops). 0 or 1: the calling thread alone, which does
// the reductions and the recurrence, ~1.3-1.6x the time of aaren_sequential.
void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out,
                std::size_t threads);
// The same on a persistent pool (one block per pool thread), as a simulation would call it.
void aaren_scan(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out,
                ThreadPool& pool);
void aaren_gated(std::span<const double> s, std::span<const double> v, std::size_t d, std::span<double> out);
void softmax_attention_direct(std::span<const double> s, std::span<const double> v, std::size_t d,
                              std::span<double> out);
// Row t (0-based) of the direct reference alone, O(t d): out has d values.
void softmax_attention_at(std::span<const double> s, std::span<const double> v, std::size_t d, std::size_t t,
                          std::span<double> out);

// logaddexp(a, b) = log(e^a + e^b) without overflow; a may be -inf.
double logaddexp(double a, double b);

}  // namespace ransim
