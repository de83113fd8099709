// The sparse product y += A x over lanes-fastest blocks (CsrProduct): the many-lane kernels
// (whole rows, and panel by panel), and the one-lane products in the kernel chosen by
// one_lane_choice.cpp.
#include "engine/csr_product.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <unistd.h>

#include "engine/csr_one_lane.hpp"
#include "engine/csr_window.hpp"
#include "ransim/simd.hpp"
#include "ransim/thread_pool.hpp"

namespace ransim {

arma::sp_mat Csr::to_arma() const {
  // Armadillo stores CSC; the transpose of our CSR is that CSC.
  arma::uvec ptr(row_ptr.size()), idx(col.size());
  for (std::size_t i = 0; i < row_ptr.size(); ++i) ptr[i] = row_ptr[i];
  for (std::size_t i = 0; i < col.size(); ++i) idx[i] = col[i];
  arma::sp_mat t(idx, ptr, arma::vec(val), cols, rows);
  return t.t();
}

Csr Csr::from_arma(const arma::sp_mat& m) {
  const arma::sp_mat t = m.t();  // CSC of the transpose = CSR of m
  Csr c;
  c.rows = m.n_rows;
  c.cols = m.n_cols;
  c.row_ptr.assign(t.col_ptrs, t.col_ptrs + t.n_cols + 1);
  c.col.assign(t.row_indices, t.row_indices + t.n_nonzero);
  c.val.assign(t.values, t.values + t.n_nonzero);
  return c;
}

// The kernels are written once for the scalar T the product runs in: double, or float for
// single-precision projections. Sums run in T and are added onto the double drive.

// The kernels' vectors are ransim/simd.hpp's: Vector<T, bytes>, filled with simd::load.
using simd::kRegisterBytes;

// Many lanes: each nonzero is an axpy over contiguous lanes. A chunk of up to kMaxVectors
// vectors of lanes is kept in registers, with two accumulator sets so that consecutive
// nonzeros do not wait on each other's FMA latency (four sets for a one-vector chunk, whose
// two would leave the core waiting on that latency). With AVX-512 a chunk is 64 doubles (or
// 128 floats) in 8 of its 32 registers, so a row's nonzeros are read once for 64 lanes; on
// line-aligned x (ransim/lanes.hpp) that made the 64-lane double product 1.4x faster than 16-lane
// chunks of 32-byte vectors. Reading x whole, it is then bound by filling L1 from L2 (eight
// lines of x per nonzero in double, one line a cycle), hence the panels of CsrProduct below.
// A chunk takes a quarter of the registers per accumulator set: 8 of AVX-512's 32, 4 of 16.
constexpr std::size_t kMaxVectors = simd::kRegisters / 4;

// Lane counts that do not fill whole vectors: x is copied with its lanes padded (with zeros) to
// a whole number of vectors, so that every lane runs in a vector kernel and every variable's
// lanes start a vector; only the lanes that exist are added onto y. Fewer lanes than a
// register take the narrowest vector that holds them (16 or 32 bytes). A lane left to a
// scalar loop made 2-7 lanes cost twice one lane per sequence, and 9 lanes twice 8.
template <class T> static std::size_t lane_vector_bytes(std::size_t lanes) {
  std::size_t bytes = 16;
  while (bytes < kRegisterBytes && bytes < lanes * sizeof(T)) bytes *= 2;
  return bytes;
}
template <class T> static std::size_t padded_lanes(std::size_t lanes) {
  if (lanes == 1) return 1;  // the dot-product kernel reads x as it is
  const std::size_t width = lane_vector_bytes<T>(lanes) / sizeof(T);
  return (lanes + width - 1) / width * width;
}
// Lanes per lane block of the panels: one chunk of kMaxVectors registers (64 doubles with
// AVX-512). With more lanes, each panel runs block by block, and a panel is sized for one
// block's x, so that it stays within L1 at any lane count (256 lanes in whole rows of x left
// panels of 32 columns, each piece of a row reading and writing 2 KB of y).
template <class T> constexpr std::size_t kBlockLanes = (kMaxVectors * kRegisterBytes) / sizeof(T);
// The end of the lane block from b0 (of `stride` padded lanes): lanes short of a whole block
// join the last one, so that they share its pass over the nonzeros.
template <class T> static std::size_t lane_block_end(std::size_t b0, std::size_t stride) {
  if (stride <= 2 * kBlockLanes<T>) return stride;  // 128 lanes in blocks of 64 were 10% slower
  return stride - b0 < 2 * kBlockLanes<T> ? stride : b0 + kBlockLanes<T>;
}

namespace {
template <class T, std::size_t Bytes> struct Lanes {
  using Vec = simd::Vector<T, Bytes>;
  static constexpr std::size_t kWidth = Bytes / sizeof(T);
  // One vector at p (returned by value: no wider than a register, so the ABI holds).
  static Vec load(const T* p) {
    Vec v;
    simd::load(v, p);
    return v;
  }
  // y[0..valid) += sum_k val[k] * x[col[k] * stride + 0..valid): one chunk of V vectors of one
  // row; x holds V kWidth lanes (padded), y the `valid` that exist. Kept small so that the
  // compiler holds everything in registers, and inlined: with panels a call per piece of a row
  // (~13 nonzeros) made the product 1.8x slower.
  template <std::size_t V>
  [[gnu::always_inline]] static void chunk(const std::uint32_t* __restrict col, const T* __restrict val,
                                           std::size_t n, const T* __restrict x, std::size_t stride,
                                           double* __restrict y, std::size_t valid) {
    constexpr std::size_t kSets = V >= 2 ? 2 : 4;
    Vec acc[kSets][V] = {};
    std::size_t k = 0;
    for (; k + kSets <= n; k += kSets)
      for (std::size_t s = 0; s < kSets; ++s) {
        const T* p = x + col[k + s] * stride;
        for (std::size_t v = 0; v < V; ++v) acc[s][v] += val[k + s] * load(p + v * kWidth);
      }
    for (; k < n; ++k)
      for (std::size_t v = 0; v < V; ++v) acc[0][v] += val[k] * load(x + col[k] * stride + v * kWidth);
    for (std::size_t s = 1; s < kSets; ++s)
      for (std::size_t v = 0; v < V; ++v) acc[0][v] += acc[s][v];
    add_to(acc[0], y, valid);
  }
  // y[0..valid) += the first `valid` lanes of V vectors.
  template <std::size_t V>
  [[gnu::always_inline]] static void add_to(const Vec (&sum_vectors)[V], double* __restrict y,
                                            std::size_t valid) {
    // Straight onto y from two vectors on (64-256 lanes 3-5% faster than through sum[]; one
    // vector, 8 lanes, was 3% slower).
    if constexpr (std::is_same_v<T, double> && V >= 2) {
      if (valid == V * kWidth) {
        for (std::size_t v = 0; v < V; ++v)
          simd::store(y + v * kWidth, load(y + v * kWidth) + sum_vectors[v]);
        return;
      }
    }
    T sum[V * kWidth];
    for (std::size_t v = 0; v < V; ++v) simd::store(sum + v * kWidth, sum_vectors[v]);
    if (valid == V * kWidth) {
      for (std::size_t l = 0; l < V * kWidth; ++l) y[l] += sum[l];
    } else {
      for (std::size_t l = 0; l < valid; ++l) y[l] += sum[l];
    }
  }
  // The lanes b0..b1 (whole vectors of x's stride), in chunks of V vectors while they fit, then
  // of V/2, ..., 1 vector; y has `lanes` lanes.
  template <std::size_t V>
  [[gnu::always_inline]] static void row(const std::uint32_t* col, const T* val, std::size_t n, const T* x,
                                         std::size_t stride, double* y, std::size_t lanes, std::size_t b0,
                                         std::size_t b1) {
    for (; b0 + V * kWidth <= b1; b0 += V * kWidth)
      chunk<V>(col, val, n, x + b0, stride, y + b0, std::min(V * kWidth, lanes - b0));
    if constexpr (V > 1) row<V / 2>(col, val, n, x, stride, y, lanes, b0, b1);
  }
};

// Segments s0..s1 of nonzeros, segment s added to the lanes b0..b1 of row row_of(s): the rows
// of a Csr whole, or the rows' pieces within one panel of columns. x.lanes is the padded
// stride, `lanes` those of y.
template <class T, std::size_t Bytes, std::size_t V, class RowOf>
void segments_of_width(const std::uint32_t* seg_ptr, RowOf row_of, const std::uint32_t* col, const T* val,
                       BasicBlock<const T> x, Block y, std::size_t s0, std::size_t s1, std::size_t b0,
                       std::size_t b1) {
  for (std::size_t s = s0; s < s1; ++s) {
    const std::size_t k0 = seg_ptr[s];
    Lanes<T, Bytes>::template row<V>(col + k0, val + k0, seg_ptr[s + 1] - k0, x.data, x.lanes,
                                     y.var(row_of(s)), y.lanes, b0, b1);
  }
}
}  // namespace

template <class T, class RowOf>
static void segments_lanes(const std::uint32_t* seg_ptr, RowOf row_of, const std::uint32_t* col, const T* val,
                           BasicBlock<const T> x, Block y, std::size_t s0, std::size_t s1, std::size_t b0,
                           std::size_t b1) {
  // A stride narrower than a register is one vector of 16 or 32 bytes (padded_lanes).
  const std::size_t bytes = x.lanes * sizeof(T);
  if (bytes == kRegisterBytes)  // one vector: a kernel without the loops over wider chunks
    segments_of_width<T, kRegisterBytes, 1>(seg_ptr, row_of, col, val, x, y, s0, s1, b0, b1);
  else if (bytes % kRegisterBytes == 0)
    segments_of_width<T, kRegisterBytes, kMaxVectors>(seg_ptr, row_of, col, val, x, y, s0, s1, b0, b1);
  else if constexpr (kRegisterBytes > 32) {
    if (bytes == 32) segments_of_width<T, 32, 1>(seg_ptr, row_of, col, val, x, y, s0, s1, b0, b1);
    else segments_of_width<T, 16, 1>(seg_ptr, row_of, col, val, x, y, s0, s1, b0, b1);
  } else {
    segments_of_width<T, 16, 1>(seg_ptr, row_of, col, val, x, y, s0, s1, b0, b1);
  }
}

// The nonzeros of a Csr regrouped by panels of `width` columns: in each panel, the pieces of the
// rows that fall in it (segments), in increasing row order.
struct CsrProduct::Panels {
  std::size_t lanes = 0;                 // built for this many lanes
  std::vector<std::uint32_t> panel_ptr;  // panels + 1, into the segments
  std::vector<std::uint32_t> row;        // each segment's row
  std::vector<std::uint32_t> seg_ptr;    // segments + 1, into col and val
  std::vector<std::uint32_t> col;
  std::vector<double> val;
  std::vector<float> single_val;  // in single precision, instead of val

  Panels(const Csr& a, const std::vector<float>& a_single_val, std::size_t lanes_, std::size_t width)
      : lanes(lanes_) {
    const std::size_t panels = (a.cols + width - 1) / width;
    // A counting sort of the nonzeros by panel, row by row: each panel's nonzeros stay in row
    // order, and each row's in its own order.
    std::vector<std::size_t> next(panels + 1, 0);
    for (std::uint32_t j : a.col) ++next[j / width + 1];
    std::partial_sum(next.begin(), next.end(), next.begin());
    const std::vector<std::size_t> panel_begin = next;
    std::vector<std::uint32_t> nz_row(a.nnz());
    std::vector<std::size_t> from(a.nnz());  // where each regrouped nonzero was in a
    for (std::size_t i = 0; i < a.rows; ++i)
      for (std::size_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
        const std::size_t to = next[a.col[k] / width]++;
        nz_row[to] = static_cast<std::uint32_t>(i);
        from[to] = k;
      }
    const auto gather = [&from](const auto& v, auto& out) {
      out.resize(from.size());
      for (std::size_t t = 0; t < from.size(); ++t) out[t] = v[from[t]];
    };
    gather(a.col, col);
    if (a_single_val.empty()) gather(a.val, val);
    else gather(a_single_val, single_val);
    panel_ptr.push_back(0);
    seg_ptr.push_back(0);
    for (std::size_t p = 0; p < panels; ++p) {
      for (std::size_t k = panel_begin[p]; k < panel_begin[p + 1]; ++k)
        if (k + 1 == panel_begin[p + 1] || nz_row[k + 1] != nz_row[k]) {
          row.push_back(nz_row[k]);
          seg_ptr.push_back(static_cast<std::uint32_t>(k + 1));
        }
      panel_ptr.push_back(static_cast<std::uint32_t>(row.size()));
    }
  }

  // Rows r0..r1, panel by panel and, in each panel, lane block by lane block: a thread's rows
  // keep their split, and each block's x in a panel is read into the thread's L1 once.
  template <class T>
  void multiply_add(const T* v, BasicBlock<const T> x, Block y, std::size_t r0, std::size_t r1) const {
    const auto row_of = [this](std::size_t s) { return row[s]; };
    for (std::size_t p = 0; p + 1 < panel_ptr.size(); ++p) {
      const auto first = row.begin() + panel_ptr[p], last = row.begin() + panel_ptr[p + 1];
      const auto segment = [&](std::size_t r) {
        return static_cast<std::size_t>(std::lower_bound(first, last, r) - row.begin());
      };
      const std::size_t s0 = segment(r0), s1 = segment(r1);
      for (std::size_t b0 = 0; b0 < x.lanes;) {
        const std::size_t b1 = lane_block_end<T>(b0, x.lanes);
        segments_lanes(seg_ptr.data(), row_of, col.data(), v, x, y, s0, s1, b0, b1);
        b0 = b1;
      }
    }
  }
};

// x.lanes is the padded stride of x (padded_lanes), y.lanes the lanes themselves.
template <class T, class Panels>
static void multiply_add(const Csr& a, const T* val, const Panels* panels, const T* panel_val,
                         BasicBlock<const T> x, Block y, ThreadPool& pool) {
  // Rows are split over threads only when a share is worth a synchronisation (~1 us).
  const std::size_t per_row = (a.nnz() / std::max<std::size_t>(a.rows, 1) + 1) * x.lanes;
  const std::size_t min_rows = 20000 / per_row + 1;
  const auto itself = [](std::size_t s) { return s; };
  pool.parallel_for(
      a.rows,
      [&](std::size_t r0, std::size_t r1) {
        if (panels) panels->multiply_add(panel_val, x, y, r0, r1);
        else segments_lanes(a.row_ptr.data(), itself, a.col.data(), val, x, y, r0, r1, 0, x.lanes);
      },
      min_rows);
}

// Many lanes, rows of at most one nonzero (the projection of a one-dimensional input, one-to-one
// routing): y's lanes += the value times x's lanes, one short loop a row. The chunk kernels
// spent far more on their loops and accumulator sets than on such a row's one vector of
// arithmetic (docs/performance.md, "Lane counts").
template <class T>
static void rows_of_one(const Csr& a, const T* val, BasicBlock<const T> x, Block y, ThreadPool& pool) {
  pool.parallel_for(
      a.rows,
      [&](std::size_t r0, std::size_t r1) {
        for (std::size_t i = r0; i < r1; ++i) {
          const std::size_t k = a.row_ptr[i];
          if (k == a.row_ptr[i + 1]) continue;
          const T v = val[k];
          const T* __restrict xr = x.var(a.col[k]);
          double* __restrict yr = y.var(i);
          for (std::size_t l = 0; l < y.lanes; ++l) yr[l] += static_cast<double>(v * xr[l]);
        }
      },
      20000 / (y.lanes + 1) + 1);
}

// out = x with each variable's lanes padded with zeros to `stride` (and rounded to T).
template <class T>
static void copy_padded(ConstBlock x, LaneVector<T>& out, std::size_t stride, ThreadPool& pool) {
  out.resize(x.vars * stride);
  T* o = out.data();
  if (stride == 1) {  // one lane (in single precision): one flat loop, not one per variable
    std::copy(x.data, x.data + x.vars * stride, o);
    return;
  }
  pool.parallel_for(  // a copy is worth a synchronisation only when large
      x.vars,
      [&](std::size_t v0, std::size_t v1) {
        for (std::size_t v = v0; v < v1; ++v) {
          std::copy(x.var(v), x.var(v) + x.lanes, o + v * stride);
          std::fill(o + v * stride + x.lanes, o + (v + 1) * stride, T(0));
        }
      },
      40000 / stride + 1);
}

// One lane ------------------------------------------------------------------------------------

// The split of a one-lane product: f(i0, i1) over n items (rows, or slices of `rows_per_item`
// rows) in one share per thread, sized by the threads' measured speeds
// (ThreadPool::parallel_for_shares): the product of a 1000-unit reservoir is ~12 us a thread,
// short enough that chunk claims across the cores and a fixed half on a core that runs slower
// both show, and a worker that has not started (a busy machine) has its share run by the caller
// instead of awaited. Products too short to be worth a fork and join (~1 us) stay on the calling
// thread. Each share first asks for x's lines (a.cols values), which another core wrote last
// (the state update), rather than missing them one by one; only when x fits in L1.
template <class T, class F>
static void one_lane_shares(const Csr& a, std::size_t n, std::size_t rows_per_item, const T* x,
                            ThreadPool& pool, F&& f) {
  const std::size_t min_rows = 20000 / (a.nnz() / std::max<std::size_t>(a.rows, 1) + 1) + 1;
  const bool prefetch_x = pool.size() > 1 && a.cols * sizeof(T) <= 32768;
  pool.parallel_for_shares(
      n,
      [&](std::size_t i0, std::size_t i1) {
        if (prefetch_x)
          for (std::size_t j = 0; j < a.cols; j += 64 / sizeof(T)) __builtin_prefetch(x + j, 0, 3);
        f(i0, i1);
      },
      true, (min_rows + rows_per_item - 1) / rows_per_item);
}

// y += A x for one lane; col16 empty: 32-bit indices.
template <class T>
static void one_lane_product(OneLaneKernel kernel, const Csr& a, const std::vector<std::uint16_t>& col16,
                             const T* val, const T* x, double* y, ThreadPool& pool) {
  one_lane_shares(a, a.rows, 1, x, pool, [&](std::size_t r0, std::size_t r1) {
    if (!col16.empty())
      one_lane::rows_in(kernel, one_lane::Rows<T, std::uint16_t>{a.row_ptr.data(), col16.data(), val, x, y},
                        r0, r1);
    else
      one_lane::rows_in(kernel, one_lane::Rows<T, std::uint32_t>{a.row_ptr.data(), a.col.data(), val, x, y},
                        r0, r1);
  });
}

void CsrProduct::use_one_lane_kernel(OneLaneKernel kernel) {
  if (!supported(kernel))
    throw std::invalid_argument(std::string("one-lane kernel ") + kernel_name(kernel) +
                                " needs instructions this CPU lacks");
  if (is_window_kernel(kernel) && precision_ == Precision::Double)
    throw std::invalid_argument(std::string("one-lane kernel ") + kernel_name(kernel) +
                                " runs in single precision only");
  one_lane_ = kernel;
}

CsrProduct::CsrProduct(Csr a, Precision precision, std::size_t cache_bytes)
    : a_(std::move(a)), precision_(precision), cache_bytes_(cache_bytes) {
  if (precision_ == Precision::Single) {
    // Round once, here, so that the weights recorded are the weights used.
    single_val_.assign(a_.val.begin(), a_.val.end());
    a_.val.assign(single_val_.begin(), single_val_.end());
  }
  rows_of_one_ = true;
  for (std::size_t i = 0; i < a_.rows && rows_of_one_; ++i)
    rows_of_one_ = a_.row_ptr[i + 1] - a_.row_ptr[i] <= 1;
}
CsrProduct::CsrProduct(CsrProduct&&) noexcept = default;
CsrProduct& CsrProduct::operator=(CsrProduct&&) noexcept = default;
CsrProduct::~CsrProduct() = default;

std::size_t CsrProduct::l1_data_cache_bytes() {
  static const std::size_t bytes = [] {
    const long b = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    return b > 0 ? static_cast<std::size_t>(b) : std::size_t{32768};
  }();
  return bytes;
}

std::size_t CsrProduct::panel_width(std::size_t lanes) const {
  // One lane reads 8 bytes of x per column, and panels would only cut its dot products short.
  if (lanes == 1) return 0;
  const bool single = precision_ == Precision::Single;
  const std::size_t stride = single ? padded_lanes<float>(lanes) : padded_lanes<double>(lanes);
  const std::size_t value_bytes = single ? sizeof(float) : sizeof(double);
  // A panel's x fits in 7/8 of L1 (the rest for y and the matrix), unless its pieces of rows
  // would then hold fewer than ~16 nonzeros: each piece reads and writes its row's y, and with
  // 64 lanes (density 0.1) 64 KB of x a panel beat 48 KB and 80-192 KB, in double and single.
  // Panels never hold more than 4/3 of L1. With 16 lanes, panels of 42 KB were 12% faster than
  // 64 KB ones (docs/performance.md, "Lane counts").
  const std::size_t fit_bytes = cache_bytes_ * 7 / 8, most_bytes = cache_bytes_ * 4 / 3;
  // Worth it only when x is beyond a panel (N = 100 and 64 lanes: 51 KB of x, panels no faster).
  if (a_.cols * stride * value_bytes <= most_bytes) return 0;
  // A panel holds the x of one lane block (the widest: the last).
  const std::size_t block_lanes = single ? kBlockLanes<float> : kBlockLanes<double>;
  const std::size_t block = stride <= 2 * block_lanes ? stride : block_lanes + stride % block_lanes;
  const std::size_t column_bytes = block * value_bytes;
  const std::size_t sixteen_nonzeros = 16 * a_.rows * a_.cols / std::max<std::size_t>(a_.nnz(), 1);
  const std::size_t width = std::max(fit_bytes / column_bytes, sixteen_nonzeros);
  return std::clamp<std::size_t>(width, 1, std::max<std::size_t>(1, most_bytes / column_bytes));
}

bool CsrProduct::windows_worthwhile() {
  if (!windows_)
    windows_ =
        std::make_unique<one_lane::Windows>(a_.rows, a_.row_ptr.data(), a_.col.data(), single_val_.data());
  return windows_->worthwhile(a_.nnz());
}

// y += A x for one lane in single precision, in the window layout: slices split over the pool
// as one_lane_product splits rows.
void CsrProduct::window_product(OneLaneKernel kernel, ConstBlock x, Block y, ThreadPool& pool) {
  // x in float, with the zeros a window reaching past the last column reads.
  x_single_.resize(x.vars + one_lane::Windows::kWidth);
  std::copy(x.data, x.data + x.vars, x_single_.data());
  std::fill(x_single_.data() + x.vars, x_single_.data() + x_single_.size(), 0.0f);
  const one_lane::Windows& w = *windows_;
  const float* xs = x_single_.data();
  one_lane_shares(a_, w.slices(), one_lane::Windows::kLanes, xs, pool, [&](std::size_t s0, std::size_t s1) {
#ifdef RANSIM_HAVE_WINDOW512
    if (kernel == OneLaneKernel::Window512) return one_lane::windows512(w, xs, y.data, s0, s1);
#endif
    one_lane::windows_portable(w, xs, y.data, s0, s1);
  });
}

void CsrProduct::multiply_add(ConstBlock x, Block y, ThreadPool& pool) {
  if (x.lanes == 1) {
    if (!one_lane_) one_lane_ = one_lane_kernel(precision_);
    // The gathers take signed 32-bit indices.
    const OneLaneKernel kernel = a_.cols <= 0x7fffffffu ? *one_lane_ : OneLaneKernel::Insert;
    // A window kernel on a matrix too scattered for windows: the row kernel that reads fewest indices.
    const OneLaneKernel row_kernel = is_window_kernel(kernel) ? OneLaneKernel::InsertPacked : kernel;
    if (a_.cols <= 65536 && col16_.size() != a_.nnz()) col16_.assign(a_.col.begin(), a_.col.end());
    if (precision_ == Precision::Double) {
      one_lane_product(row_kernel, a_, col16_, a_.val.data(), x.data, y.data, pool);
    } else if (is_window_kernel(kernel) && windows_worthwhile()) {
      window_product(kernel, x, y, pool);
    } else {
      copy_padded(x, x_single_, 1, pool);
      one_lane_product(row_kernel, a_, col16_, single_val_.data(), x_single_.data(), y.data, pool);
    }
    return;
  }
  if (rows_of_one_) {
    if (precision_ == Precision::Double) return rows_of_one(a_, a_.val.data(), x, y, pool);
    copy_padded(x, x_single_, x.lanes, pool);
    return rows_of_one(a_, single_val_.data(), BasicBlock<const float>{x_single_.data(), x.vars, x.lanes}, y,
                       pool);
  }
  const std::size_t width = panel_width(x.lanes);
  if (!width) panels_.reset();
  else if (!panels_ || panels_->lanes != x.lanes)
    panels_ = std::make_unique<Panels>(a_, single_val_, x.lanes, width);
  const Panels* panels = panels_.get();
  if (precision_ == Precision::Double) {
    const std::size_t stride = padded_lanes<double>(x.lanes);
    if (stride != x.lanes) {
      copy_padded(x, x_padded_, stride, pool);
      x = {x_padded_.data(), x.vars, stride};
    }
    ransim::multiply_add(a_, a_.val.data(), panels, panels ? panels->val.data() : nullptr, x, y, pool);
    return;
  }
  const std::size_t stride = padded_lanes<float>(x.lanes);
  copy_padded(x, x_single_, stride, pool);
  ransim::multiply_add(a_, single_val_.data(), panels, panels ? panels->single_val.data() : nullptr,
                       BasicBlock<const float>{x_single_.data(), x.vars, stride}, y, pool);
}

}  // namespace ransim
