#pragma once
// Sparse matrices (Csr) and the product y += A x over lanes-fastest blocks (CsrProduct), the
// kernel under every sparse projection (engine/projection.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <armadillo>

#include "ransim/lanes.hpp"

namespace ransim {

class ThreadPool;
namespace one_lane {
struct Windows;
}

// Compressed sparse rows over (target slot, source variable), with 32-bit indices: the
// weights and indices of a 1000-unit reservoir at density 0.1 then fit in L2.
struct Csr {
  std::size_t rows = 0, cols = 0;
  std::vector<std::uint32_t> row_ptr;  // rows + 1
  std::vector<std::uint32_t> col;
  std::vector<double> val;
  std::size_t nnz() const { return val.size(); }
  arma::sp_mat to_arma() const;
  static Csr from_arma(const arma::sp_mat& m);
};

// The arithmetic of a sparse product.
enum class Precision { Double, Single };

// How the one-lane product fetches the x of a row's nonzeros. The row kernels
// (engine/csr_one_lane.hpp), all summing in the same order: loads into a vector one by one (with
// the column indices read one by one, or a word at a time), AVX2 gathers, AVX-512 gathers. The
// window kernels (engine/csr_window.hpp, single precision only), sixteen rows side by side and x
// fetched 32 columns at a time, in their own order: portable, and with AVX-512 permutes.
enum class OneLaneKernel { Insert, InsertPacked, Gather256, Gather512, Window, Window512 };
// "insert", "insert_packed", "gather256", "gather512", "window", "window512"
const char* kernel_name(OneLaneKernel kernel);
bool is_window_kernel(OneLaneKernel kernel);

// y(i, :) += sum_j A(i, j) x(j, :) over lanes-fastest blocks, for one matrix A; rows split over
// the pool.
// - Single precision: the weights are rounded to float once, here; x to float per product;
//   sums run in float and are added onto the double y. With many lanes the product is bound by
//   reading x, and float halves that.
// - Many lanes: when x is beyond 4/3 of the L1 data cache, the nonzeros are regrouped (on the
//   first product with that many lanes) into panels of columns whose x fits in L1 (up to 4/3
//   of it where pieces of rows would be short), and the product runs panel by panel: x is then
//   read mostly from L1, not L2.
// - One lane: a dot product per row, with 16-bit column indices when the matrix has at most
//   65 536 columns (10 bytes a nonzero in double, 6 in single, instead of 12 and 8: beyond L2
//   the product is bound by reading them), in the kernel timed fastest on this CPU at start-up
//   (one_lane_kernel) unless use_one_lane_kernel() sets one. In single precision on a CPU with
//   AVX-512, the window kernel instead (built on first use), unless the matrix's columns are
//   too scattered for it (then insert_packed).
// - Many lanes, no row with more than one nonzero (a one-dimensional input): a loop over the
//   lanes a row, without the chunk kernels.
// - Lane counts that do not fill whole vectors: x is copied with its lanes padded to whole
//   vectors, so that every lane runs in the vector kernels.
// docs/performance.md has the measurements behind each.
class CsrProduct {
 public:
  // `cache_bytes`: the L1 data cache a panel's x is sized for (tests pass other sizes).
  explicit CsrProduct(Csr a, Precision precision = Precision::Double,
                      std::size_t cache_bytes = l1_data_cache_bytes());
  CsrProduct(CsrProduct&&) noexcept;
  CsrProduct& operator=(CsrProduct&&) noexcept;
  ~CsrProduct();
  const Csr& matrix() const { return a_; }  // in single precision, the rounded weights
  void multiply_add(ConstBlock x, Block y, ThreadPool& pool);
  // Columns per panel with `lanes` lanes; 0 when the product runs the rows whole.
  std::size_t panel_width(std::size_t lanes) const;
  static std::size_t l1_data_cache_bytes();  // of this machine (32 KiB if it cannot tell)

  // Whether this CPU runs `kernel` (Insert, InsertPacked, Window: any).
  static bool supported(OneLaneKernel kernel);
  // The one-lane kernel of products in `precision`: the one named by the environment variable
  // RANSIM_ONE_LANE_KERNEL if set (InputError if unknown or not supported here; a window kernel
  // named there sets single precision only), otherwise in single precision Window512 where the
  // CPU has AVX-512F (not timed: a choice that varied with the machine's load would change the
  // summation order from run to run), else the fastest of the supported row kernels on random
  // matrices of 1000 and 2000 units at density 0.1, timed once per process.
  static OneLaneKernel one_lane_kernel(Precision precision);
  // Both choices and how they were made, one line (for `ransim info`).
  static std::string one_lane_kernel_report();
  // This product's one-lane kernel from now on (std::invalid_argument if not supported here, or
  // a window kernel in double precision).
  void use_one_lane_kernel(OneLaneKernel kernel);

 private:
  struct Panels;
  Csr a_;
  Precision precision_;
  std::size_t cache_bytes_;
  std::vector<float> single_val_;               // a_.val as float, in single precision
  std::vector<std::uint16_t> col16_;            // a_.col in 16 bits, for one lane (built on first use)
  std::optional<OneLaneKernel> one_lane_;       // set by use_one_lane_kernel
  bool rows_of_one_ = false;                    // no row holds more than one nonzero
  LaneVector<float> x_single_;                  // x rounded to float (lanes padded), per product
  LaneVector<double> x_padded_;                 // x with its lanes padded to whole vectors, per product
  std::unique_ptr<Panels> panels_;              // for the lanes of the last product, if it used panels
  std::unique_ptr<one_lane::Windows> windows_;  // the window layout, single precision (first use)
  bool windows_worthwhile();                    // builds windows_ on first use
  void window_product(OneLaneKernel kernel, ConstBlock x, Block y, ThreadPool& pool);
};

}  // namespace ransim
