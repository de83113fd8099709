// The classic leaky unit of echo state networks:  tau dx/dt = -x + f(drive + b).
// With explicit Euler at dt = token period this is x[k+1] = (1-a) x[k] + a f(...), a = dt/tau.
#include <algorithm>
#include <cmath>

#include "ransim/differentiable.hpp"
#include "ransim/error.hpp"
#include "ransim/registry.hpp"
#include "ransim/thread_pool.hpp"
#include "ransim/vector_math.hpp"

namespace ransim {
namespace {

enum class Activation { Tanh, Identity, Relu, Sigmoid };

class Leaky : public Population, public Differentiable {
 public:
  explicit Leaky(const PopulationContext& c)
      : n_(static_cast<std::size_t>(c.params.integer("size"))),
        inv_tau_(1.0 / c.params.real("tau")),
        init_scale_(c.params.real("initial_state")),
        bias_(n_) {
    const std::string& f = c.params.string("activation");
    act_ = f == "tanh"       ? Activation::Tanh
           : f == "identity" ? Activation::Identity
           : f == "relu"     ? Activation::Relu
                             : Activation::Sigmoid;
    Rng rng = make_rng(c.seed, "population." + c.name);
    const double s = c.params.real("bias_scale");
    for (auto& b : bias_) b = uniform(rng, -s, s);
    init_ = arma::vec(n_);
    for (auto& v : init_) v = uniform(rng, -init_scale_, init_scale_);
  }

  std::size_t state_size() const override { return n_; }
  std::size_t input_size() const override { return n_; }
  std::size_t units() const override { return n_; }

  void initial_state(Block x) const override {
    for (std::size_t v = 0; v < n_; ++v)
      for (std::size_t b = 0; b < x.lanes; ++b) x(v, b) = init_[v];
  }

  void derivative(ConstBlock x, ConstBlock drive, Block dxdt, double, ThreadPool& pool) const override {
    const std::size_t lanes = x.lanes;
    // One lane on several threads: the other threads' product has just read every line of x,
    // and the integrator writes x next, on this thread (a state this small is updated without
    // a fork). Each store would wait for the other core to drop its copy; asked for now, for
    // writing, those waits overlap the activation.
    if (lanes == 1 && pool.size() > 1)
      for (std::size_t v = 0; v < n_; v += 8) __builtin_prefetch(x.data + v, 1);
    pool.parallel_for(
        n_,
        [&](std::size_t v0, std::size_t v1) {
          switch (act_) {
            case Activation::Tanh: apply_tanh(v0, v1, lanes, x, drive, dxdt); break;
            case Activation::Identity:
              apply(v0, v1, lanes, x, drive, dxdt, [](double z) { return z; });
              break;
            case Activation::Relu:
              apply(v0, v1, lanes, x, drive, dxdt, [](double z) { return z > 0 ? z : 0.0; });
              break;
            case Activation::Sigmoid:
              apply(v0, v1, lanes, x, drive, dxdt, [](double z) { return 1.0 / (1.0 + std::exp(-z)); });
              break;
          }
        },
        4096 / lanes + 1);
  }

  std::vector<std::string> live_parameters() const override { return {"tau"}; }
  void set_live_parameter(const std::string& name, const Value& v) override {
    if (name != "tau") Population::set_live_parameter(name, v);
    inv_tau_ = 1.0 / as_real(v);
  }

  double saturation_level() const override {
    return act_ == Activation::Tanh || act_ == Activation::Sigmoid ? 1.0 : 0.0;
  }

  std::map<std::string, arma::mat> weights() const override {
    return {{"bias", arma::mat(bias_)}, {"x0", arma::mat(init_)}};
  }

  Differentiable* differentiable() override { return this; }
  std::vector<TrainableWeight> trainable_weights() override { return {{"bias", &bias_}}; }

  // dx/dt = (f(z) - x) / tau, z = drive + b: g_x -= g / tau, g_z = g f'(z) / tau to the drive
  // and (summed over lanes) to the bias.
  void derivative_vjp(ConstBlock x, ConstBlock drive, ConstBlock g_dxdt, Block g_x, Block g_drive, Block,
                      WeightGradients& g_weights) const override {
    arma::mat& g_bias = g_weights.at(0);
    for (std::size_t v = 0; v < n_; ++v) {
      const double* g = g_dxdt.var(v);
      const double* dv = drive.var(v);
      double* gx = g_x.var(v);
      double* gd = g_drive.var(v);
      double sum = 0;
      for (std::size_t l = 0; l < x.lanes; ++l) {
        const double gz = g[l] * slope(dv[l] + bias_[v]) * inv_tau_;
        gx[l] -= g[l] * inv_tau_;
        gd[l] += gz;
        sum += gz;
      }
      g_bias[v] += sum;
    }
  }

 private:
  // tanh over units v0 .. v1 as one flat range of (v1 - v0) lanes values, a block of whole units
  // at a time (in L1): z = drive + b, then tanh_values (8 values a vector call, whatever the lane
  // count: 2-7 lanes cost no more per value than 8), then (f - x) / tau. Each value takes the
  // same vector code wherever the range is cut, so the thread count does not change results.
  void apply_tanh(std::size_t v0, std::size_t v1, std::size_t lanes, ConstBlock x, ConstBlock drive,
                  Block dxdt) const {
    const std::size_t units_per_block = std::max<std::size_t>(1, 512 / lanes);
    const double* b = bias_.memptr();
    for (std::size_t u0 = v0; u0 < v1; u0 += units_per_block) {
      const std::size_t u1 = std::min(v1, u0 + units_per_block), first = u0 * lanes, n = (u1 - u0) * lanes;
      double* out = dxdt.data + first;
      const double* d = drive.data + first;
      const double* xv = x.data + first;
      if (lanes == 1) {
        for (std::size_t i = 0; i < n; ++i) out[i] = d[i] + b[u0 + i];
      } else {
        for (std::size_t v = u0; v < u1; ++v)
          for (std::size_t l = 0; l < lanes; ++l) out[(v - u0) * lanes + l] = d[(v - u0) * lanes + l] + b[v];
      }
      tanh_values(out, n);
      for (std::size_t i = 0; i < n; ++i) out[i] = (out[i] - xv[i]) * inv_tau_;
    }
  }

  template <class F>
  void apply(std::size_t v0, std::size_t v1, std::size_t lanes, ConstBlock x, ConstBlock drive, Block dxdt,
             F f) const {
    if (lanes == 1) {  // one flat loop, so that f vectorises across units
      const double* b = bias_.memptr();
      for (std::size_t v = v0; v < v1; ++v) dxdt.data[v] = (f(drive.data[v] + b[v]) - x.data[v]) * inv_tau_;
      return;
    }
    for (std::size_t v = v0; v < v1; ++v) {
      const double b = bias_[v];
      const double* xv = x.var(v);
      const double* dv = drive.var(v);
      double* out = dxdt.var(v);
      for (std::size_t l = 0; l < lanes; ++l) out[l] = (f(dv[l] + b) - xv[l]) * inv_tau_;
    }
  }

  // f'(z)
  double slope(double z) const {
    switch (act_) {
      case Activation::Tanh: {
        const double t = std::tanh(z);
        return 1.0 - t * t;
      }
      case Activation::Identity: return 1.0;
      case Activation::Relu: return z > 0 ? 1.0 : 0.0;
      case Activation::Sigmoid: {
        const double s = 1.0 / (1.0 + std::exp(-z));
        return s * (1.0 - s);
      }
    }
    return 0.0;
  }

  std::size_t n_;
  double inv_tau_;
  double init_scale_;
  Activation act_ = Activation::Tanh;
  arma::vec bias_;
  arma::vec init_;
};

}  // namespace

void register_builtin_models(Registry& r) {
  PopulationInfo leaky;
  leaky.kind = "leaky";
  leaky.description = "leaky rate units (echo state network): tau dx/dt = -x + f(W x + W_in u + b)";
  leaky.params = {
      param::integer("size").range(1, 1e8).defaults_to(100).describe("number of units"),
      param::real("tau").unit("s").greater_than(0).defaults_to(1.0).describe(
          "membrane time constant (leak a = dt / tau)"),
      param::choice("activation", {"tanh", "identity", "relu", "sigmoid"}).describe("activation f"),
      param::real("bias_scale").at_least(0).describe("biases b ~ U(-s, s)"),
      param::real("initial_state").at_least(0).describe("initial state x(0) ~ U(-s, s)"),
  };
  // One state variable per unit and nothing derived: the GUI shows it as traces and a heatmap.
  leaky.layout.state = {
      {.name = "state", .axes = {"units"}, .description = "unit state h (dimensionless activity)"}};
  leaky.colour = "#55a868";  // green in the network graph
  leaky.create = [](const PopulationContext& c) { return std::make_unique<Leaky>(c); };
  r.add(std::move(leaky));
}

}  // namespace ransim
