// Which one-lane kernel a CsrProduct runs (engine/csr_product.hpp): the kernels' names, which
// of them this CPU runs, and the choice made once per process and precision (the environment's,
// the window layout's, or the fastest row kernel timed at start-up).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/csr_one_lane.hpp"
#include "engine/csr_product.hpp"
#include "ransim/error.hpp"

namespace ransim {

const char* kernel_name(OneLaneKernel kernel) {
  switch (kernel) {
    case OneLaneKernel::Insert: return "insert";
    case OneLaneKernel::InsertPacked: return "insert_packed";
    case OneLaneKernel::Gather256: return "gather256";
    case OneLaneKernel::Gather512: return "gather512";
    case OneLaneKernel::Window: return "window";
    case OneLaneKernel::Window512: return "window512";
  }
  return "?";
}

bool is_window_kernel(OneLaneKernel kernel) {
  return kernel == OneLaneKernel::Window || kernel == OneLaneKernel::Window512;
}

constexpr OneLaneKernel kOneLaneKernels[] = {OneLaneKernel::Insert,    OneLaneKernel::InsertPacked,
                                             OneLaneKernel::Gather256, OneLaneKernel::Gather512,
                                             OneLaneKernel::Window,    OneLaneKernel::Window512};

bool CsrProduct::supported(OneLaneKernel kernel) {
#ifdef RANSIM_HAVE_GATHER_KERNELS
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  switch (kernel) {
    case OneLaneKernel::Insert:
    case OneLaneKernel::InsertPacked:
    case OneLaneKernel::Window: return true;
    case OneLaneKernel::Gather256: return avx2;
    case OneLaneKernel::Gather512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    case OneLaneKernel::Window512: return __builtin_cpu_supports("avx512f");
  }
  return false;
#else
  return kernel == OneLaneKernel::Insert || kernel == OneLaneKernel::InsertPacked ||
         kernel == OneLaneKernel::Window;
#endif
}

namespace {
struct OneLaneChoice {
  OneLaneKernel kernel = OneLaneKernel::Insert;
  std::string how;
};

// n x n at density 0.1, 16-bit indices: one random column in each run of ten.
struct TimingMatrix {
  std::vector<std::uint32_t> row_ptr{0};
  std::vector<std::uint16_t> col;
  std::vector<double> val;
  std::vector<float> single_val;
  TimingMatrix(std::size_t n, std::mt19937_64& gen) {
    col.reserve(n * (n / 10));  // grown instead, the copies took more time than the timing
    val.reserve(col.capacity());
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j + 10 <= n; j += 10) col.push_back(static_cast<std::uint16_t>(j + gen() % 10));
      row_ptr.push_back(static_cast<std::uint32_t>(col.size()));
    }
    for (std::size_t k = 0; k < col.size(); ++k) val.push_back(static_cast<double>(gen() % 2001) / 1000 - 1);
    single_val.assign(val.begin(), val.end());
  }
};

// Seconds of one single-thread product of m in `kernel`.
template <class T>
double time_product(OneLaneKernel kernel, const TimingMatrix& m, const std::vector<T>& val, const T* x,
                    double* y) {
  const auto start = std::chrono::steady_clock::now();
  one_lane::rows_in(kernel,
                    one_lane::Rows<T, std::uint16_t>{m.row_ptr.data(), m.col.data(), val.data(), x, y}, 0,
                    m.row_ptr.size() - 1);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The fastest supported kernel: each timed on a matrix within a core's L2 (1000 units, 1.2 MB)
// and one beyond it on most (2000 units, 4 MB), kernels alternating, best of five.
OneLaneChoice measured_choice(Precision precision) {
  std::vector<OneLaneKernel> kernels;
  for (OneLaneKernel k : kOneLaneKernels)
    if (CsrProduct::supported(k) && !is_window_kernel(k)) kernels.push_back(k);
  if (kernels.size() == 1) return {kernels[0], "the only kernel this CPU runs"};
  std::mt19937_64 gen(1);
  const TimingMatrix small(1000, gen), large(2000, gen);
  std::vector<double> x(2000), y(2000);
  for (auto& v : x) v = static_cast<double>(gen() % 2001) / 1000 - 1;
  const std::vector<float> x_single(x.begin(), x.end());
  std::vector<double> best(kernels.size(), 1e300);
  for (int round = 0; round < 6; ++round)  // round 0 warms the caches and is not counted
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      double t = 0;
      for (const TimingMatrix* m : {&small, &large})
        t += precision == Precision::Double
                 ? time_product(kernels[i], *m, m->val, x.data(), y.data())
                 : time_product(kernels[i], *m, m->single_val, x_single.data(), y.data());
      if (round > 0) best[i] = std::min(best[i], t);
    }
  const std::size_t fastest =
      static_cast<std::size_t>(std::min_element(best.begin(), best.end()) - best.begin());
  std::string how = "timed at start-up (products of 1000 + 2000 units, best of 5):";
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s %s %.1f us", i ? "," : "", kernel_name(kernels[i]),
                  best[i] * 1e6);
    how += buffer;
  }
  return {kernels[fastest], how};
}

// Without RANSIM_ONE_LANE_KERNEL, or with a window kernel named there for double precision.
OneLaneChoice default_choice(Precision precision) {
  if (precision == Precision::Single && CsrProduct::supported(OneLaneKernel::Window512))
    return {OneLaneKernel::Window512, "the window layout on a CPU with AVX-512F, not timed"};
  return measured_choice(precision);
}

OneLaneChoice choose_one_lane_kernel(Precision precision) {
  const char* forced = std::getenv("RANSIM_ONE_LANE_KERNEL");
  if (!forced || !*forced) return default_choice(precision);
  for (OneLaneKernel k : kOneLaneKernels)
    if (kernel_name(k) == std::string(forced)) {
      if (!CsrProduct::supported(k))
        throw InputError(std::string("RANSIM_ONE_LANE_KERNEL=") + forced +
                         ": this CPU lacks its instructions");
      if (is_window_kernel(k) && precision == Precision::Double) return default_choice(precision);
      return {k, "set by RANSIM_ONE_LANE_KERNEL"};
    }
  throw InputError(std::string("RANSIM_ONE_LANE_KERNEL=") + forced +
                   ": unknown kernel (insert, insert_packed, gather256, gather512, window or window512)");
}

const OneLaneChoice& one_lane_choice(Precision precision) {
  static const OneLaneChoice double_choice = choose_one_lane_kernel(Precision::Double);
  if (precision == Precision::Double) return double_choice;
  static const OneLaneChoice single_choice = choose_one_lane_kernel(Precision::Single);
  return single_choice;
}
}  // namespace

OneLaneKernel CsrProduct::one_lane_kernel(Precision precision) { return one_lane_choice(precision).kernel; }

std::string CsrProduct::one_lane_kernel_report() {
  const OneLaneChoice &d = one_lane_choice(Precision::Double), &s = one_lane_choice(Precision::Single);
  return std::string("double ") + kernel_name(d.kernel) + " (" + d.how + "); single " +
         kernel_name(s.kernel) + " (" + s.how + "); 16-bit column indices up to 65536 columns";
}

}  // namespace ransim
