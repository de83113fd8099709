// cortex_qkv: the QKV attention unit of docs/science.md ("cortex"). Equations, parameters,
// recordables and the discrete-time form are in README.md; the math is shared with the
// other attention plugins in ../common/attention_math.hpp.
//
//   time mode:  Z = [z(t_{k-c+1}); ...; z(t_{k-1}); z(t)],  q = W_q z(t)
//   units mode: Z = [h_{j_1}; ...; h_{j_k}; z(t)] (current states of k presynaptic units, then
//               the unit's own live input, so that the unit is driven even from h = 0), q = W_q z
//   K = Z W_k^T, V = Z W_v^T, a = softmax(K q / (sqrt(D) T)), phi = tanh(W_o V^T a)
//   tau dh/dt = -h + phi
#include <ransim/plugin.hpp>

#include "common/attention_math.hpp"

namespace {

using namespace ransim;
using attn::UnitPopulation;

class CortexQkv : public UnitPopulation {
 public:
  explicit CortexQkv(const PopulationContext& c)
      : UnitPopulation(c),
        units_mode_(c.params.string("context_mode") == "units"),
        c_(static_cast<std::size_t>(c.params.integer("context"))),
        k_(static_cast<std::size_t>(c.params.integer("k"))),
        att_(c, U_, D_, rng_, wf_) {
    if (!units_mode_) return;
    if (k_ > U_)
      throw InputError("population '" + c.name + "': k (" + std::to_string(k_) +
                       ") must be <= units (" + std::to_string(U_) + ") in context_mode \"units\"");
    presyn_.resize(U_ * k_);
    if (wf_.used()) {
      const std::vector<double> p = wf_.load("presynaptic", U_, 1, k_,
                                             "one row of k = " + std::to_string(k_) + " unit indices per unit");
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] < 0 || p[i] >= static_cast<double>(U_) || p[i] != std::floor(p[i]))
          wf_.fail("presynaptic", "value " + std::to_string(i) + " (" + std::to_string(p[i]) +
                                      ") is not a unit index in [0, " + std::to_string(U_) + ")");
        presyn_[i] = static_cast<std::uint32_t>(p[i]);
      }
    } else {
      // k distinct units out of U for every unit (partial Fisher-Yates on our own uniform).
      std::vector<std::uint32_t> pool(U_);
      for (std::size_t i = 0; i < U_; ++i) {
        for (std::size_t j = 0; j < U_; ++j) pool[j] = static_cast<std::uint32_t>(j);
        for (std::size_t r = 0; r < k_; ++r) {
          const std::size_t pick = r + std::min(U_ - r - 1, static_cast<std::size_t>(
                                                                uniform(rng_) * static_cast<double>(U_ - r)));
          std::swap(pool[r], pool[pick]);
          presyn_[i * k_ + r] = pool[r];
        }
      }
    }
  }

  void set_lanes(std::size_t lanes) override {
    lanes_ = lanes;
    if (!units_mode_) window_.reset(c_, D_, U_ * D_, lanes);
    allocate_scratch(att_.scratch_size(lanes) + rows() * lanes, rows());
  }

  void restart() const override { window_.restart(); }

  bool uses_ticks() const override { return !units_mode_; }
  void on_tick(ConstBlock /*x*/, ConstBlock drive) override { window_.push(drive.data); }

  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double /*t*/,
                  ThreadPool& pool) const override {
    const std::size_t L = x.lanes, slab = D_ * L;
    const std::size_t n = units_mode_ ? k_ + 1 : window_.past() + 1;
    for_units(x, dxdt, pool, att_.work(n), [&](std::size_t u, double* scratch, const double** ptrs) {
      const std::size_t used = gather(u, x, drive, ptrs);
      att_.attend(u, drive.data + u * slab, ptrs, used, dxdt.data + u * slab, scratch + att_.scratch_size(L),
                  scratch, L);
    });
  }

  std::vector<Recordable> recordables() const override {
    return {state_recordable(),
            {"attention", "1",
             units_mode_ ? "attention weights a over the k presynaptic units (in the order of the weight "
                           "'presynaptic') and, last, the unit's own input; rows sum to 1"
                         : "attention weights a over the working memory, oldest to newest (the last is the "
                           "live input); rows not yet filled are 0; rows sum to 1",
             {U_, rows()}, true}};
  }

  void sample(const std::string& name, ConstBlock x, ConstBlock drive,
              std::vector<double>& out) const override {
    if (name != "attention") return Population::sample(name, x, drive, out);
    const std::size_t L = x.lanes, slab = D_ * L, R = rows();
    std::vector<double> vals(U_ * R * L, 0.0), scratch(att_.scratch_size(L)), o(slab), a(R * L);
    std::vector<const double*> ptrs(R);
    for (std::size_t u = 0; u < U_; ++u) {
      const std::size_t used = gather(u, x, drive, ptrs.data());
      att_.attend(u, drive.data + u * slab, ptrs.data(), used, o.data(), a.data(), scratch.data(), L);
      // Masked (not yet filled) rows come first and stay 0.
      std::copy(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(used * L),
                vals.begin() + static_cast<std::ptrdiff_t>((u * R + R - used) * L));
    }
    append_lane_major(vals, U_, R, L, out);
  }

  // tau and the softmax temperature may change during a run.
  std::vector<std::string> live_parameters() const override { return {"tau", "temperature"}; }
  void set_live_parameter(const std::string& name, const Value& v) override {
    if (name == "temperature") att_.set_temperature(as_real(v));
    else UnitPopulation::set_live_parameter(name, v);
  }

  std::map<std::string, arma::mat> weights() const override {
    std::map<std::string, arma::mat> w;
    add_x0(w);
    att_.add_weights(w);
    if (units_mode_) {
      arma::mat p(U_, k_);
      for (std::size_t i = 0; i < U_; ++i)
        for (std::size_t r = 0; r < k_; ++r) p(i, r) = presyn_[i * k_ + r];
      w["presynaptic"] = p;
    }
    return w;
  }

 private:
  std::size_t rows() const { return units_mode_ ? k_ + 1 : c_; }

  // Unit u's key/value rows (D x L slabs, oldest first): its window, or the states of its
  // presynaptic units followed by its own input. Returns how many.
  std::size_t gather(std::size_t u, ConstBlock x, ConstBlock drive, const double** ptrs) const {
    const std::size_t slab = D_ * x.lanes;
    if (!units_mode_) return window_.rows(u, drive.data + u * slab, ptrs);
    for (std::size_t r = 0; r < k_; ++r) ptrs[r] = x.data + presyn_[u * k_ + r] * slab;
    ptrs[k_] = drive.data + u * slab;
    return k_ + 1;
  }

  bool units_mode_;
  std::size_t c_, k_;
  attn::Attention att_;
  attn::TokenWindow window_;
  std::vector<std::uint32_t> presyn_;  // U x k
};

void register_models(Registry& r) {
  PopulationInfo info;
  info.kind = "cortex_qkv";
  info.description =
      "QKV attention units (cortex): phi = tanh(W_o V^T softmax(K q / (sqrt(D) T))) over a working "
      "memory of the last c token samples of the input (or the states of k presynaptic units), "
      "tau dh/dt = -h + phi";
  info.params = attn::concat(attn::unit_specs(), attn::attention_specs());
  info.params.push_back({"context_mode", ParamType::String, std::string("time"), "",
                         "keys and values from the last c token samples of the unit's input (time) or "
                         "from the current states of k presynaptic units plus the unit's own input (units)",
                         0, 0, false, {"time", "units"}});
  info.params.push_back({"k", ParamType::Integer, std::int64_t{4}, "1",
                         "presynaptic units per unit in context_mode \"units\" (<= units)", 1, 1e7});
  info.create = [](const PopulationContext& c) { return std::make_unique<CortexQkv>(c); };
  r.add(std::move(info));
}

}  // namespace

RANSIM_PLUGIN(register_models)
