// The parameters of a scenario's fixed sections ([simulation], [readout], [record], [train],
// [[projection]]): validation reads them, `ransim info` and the docs list them.
#include "scenario/scenario.hpp"

namespace ransim {

const std::vector<ParamSpec>& simulation_specs() {
  static const std::vector<ParamSpec> s = {
      param::choice("integrator", {"euler", "rk4", "dopri5"}).describe("ODE integrator"),
      param::real("dt").unit("s").greater_than(0).defaults_to(1.0).describe(
          "fixed step (euler, rk4); first trial step (dopri5)"),
      param::real("token_period")
          .unit("s")
          .greater_than(0)
          .defaults_to(1.0)
          .describe("time each input sample is held"),
      param::real("abs_tol").greater_than(0).at_most(1).defaults_to(1e-8).describe(
          "dopri5 absolute tolerance"),
      param::real("rel_tol").greater_than(0).at_most(1).defaults_to(1e-8).describe(
          "dopri5 relative tolerance"),
      param::integer("lanes").range(1, 1e6).defaults_to(1).describe("independent sequences run in lockstep"),
      param::integer("threads").range(0, 1024).defaults_to(1).describe("worker threads (0: all cores)"),
  };
  return s;
}

const std::vector<ParamSpec>& readout_specs() {
  static const std::vector<ParamSpec> s = {
      param::real("ridge").at_least(0).defaults_to(1e-8).describe(
          "ridge penalty lambda (the bias is not penalised); \"auto\" or [a, b, ...]: chosen on the "
          "validation split (task.validation)"),
      param::boolean("include_input").describe("append the input to the features"),
      param::choice("statistics", {"double", "single"})
          .describe("episode tasks: the ridge statistics X^T X summed in double, or block by block in float "
                    "and added into double (faster with thousands of features; docs/tasks.md)"),
      param::choice("kind", {"ridge", "rls", "force"})
          .describe("ridge: fitted once after training; rls: recursive least squares while training; force: "
                    "rls with the output fed back into feedback_to (FORCE learning)"),
      param::real("forgetting")
          .greater_than(0)
          .at_most(1)
          .defaults_to(1.0)
          .describe("rls, force: forgetting factor lambda per update (1: none)"),
      param::real("alpha").greater_than(0).defaults_to(1.0).describe(
          "rls, force: P starts as I / alpha (the weights' penalty, bias included)"),
      param::integer("learn_every")
          .unit("tokens")
          .range(1, 1e9)
          .defaults_to(1)
          .describe("rls, force: tokens between updates while training"),
      param::string("feedback_to").describe("force: the population the output is fed back into"),
      param::real("feedback_scale").defaults_to(1.0).describe("force: feedback weights U(-1, 1) times this"),
      param::real("feedback_density")
          .greater_than(0)
          .at_most(1)
          .defaults_to(1.0)
          .describe("force: probability of each feedback connection"),
  };
  return s;
}

const std::vector<ParamSpec>& train_specs() {
  static const std::vector<ParamSpec> s = {
      param::choice("loss", {"mse", "cross_entropy"})
          .describe("mse: mean squared error of the linear readout; cross_entropy: of a softmax readout over "
                    "the target's classes (one-hot or probabilities)"),
      param::integer("epochs").range(1, 1e6).defaults_to(20).describe("passes over the training tokens"),
      param::integer("window").unit("tokens").range(1, 1e6).defaults_to(50).describe(
          "truncation of backpropagation through time: tokens per gradient step"),
      param::integer("batch").unit("lanes").range(1, 4096).defaults_to(8).describe(
          "sequences per mini-batch, run as lanes; each epoch draws new ones"),
      param::integer("batches").range(1, 1e6).defaults_to(1).describe(
          "mini-batches per epoch, each a fresh draw of `batch` sequences"),
      param::real("lr").greater_than(0).defaults_to(1e-3).describe("Adam's learning rate"),
      param::real("beta1").range(0, 0.9999).defaults_to(0.9).describe("Adam's first-moment decay"),
      param::real("beta2").range(0, 0.999999).defaults_to(0.999).describe("Adam's second-moment decay"),
      param::real("weight_decay").at_least(0).describe("decoupled weight decay (AdamW) per step, times lr"),
      param::real("clip").at_least(0).defaults_to(1.0).describe(
          "largest norm of the whole gradient (rescaled above it); 0: no clipping"),
      param::integer("patience")
          .unit("epochs")
          .range(0, 1e6)
          .defaults_to(5)
          .describe("stop after this many epochs without a better validation loss (0: run every epoch)"),
      param::integer("seed").range(0, 9e15).defaults_to(1).describe(
          "the training data's stream: epoch e draws its batch from (seed, e), validation from (seed)"),
  };
  return s;
}

const std::vector<ParamSpec>& record_specs() {
  static const std::vector<ParamSpec> s = {
      param::string("file").describe("HDF5 file to write (--out overrides; empty: none)"),
      param::real("flush_interval")
          .unit("s")
          .greater_than(0)
          .defaults_to(2.0)
          .describe("wall time between flushes to disk"),
      param::integer("compression").range(0, 9).defaults_to(4).describe("gzip level (0: none)"),
  };
  return s;
}

const std::vector<ParamSpec>& sparse_projection_specs() {
  static const std::vector<ParamSpec> s = {
      param::real("density").greater_than(0).at_most(1).defaults_to(0.1).describe(
          "probability of each connection"),
      param::integer("fan_in").range(0, 1e9).describe("exact inputs per target (0: use density)"),
      param::choice("distribution", {"normal", "uniform", "bernoulli"})
          .describe("weight distribution before scaling: normal N(0,1), uniform U(-1,1), bernoulli +-1"),
      param::real("spectral_radius")
          .at_least(0)
          .describe("rescale a recurrent matrix to this spectral radius (0: no rescaling)"),
      param::real("scale").defaults_to(1.0).describe("multiplies all weights (input scaling)"),
      param::choice("precision", {"double", "single"})
          .describe("arithmetic of the product: single rounds the weights (once) and the source values "
                    "(every step) to float32 and sums in float32, about 2x faster with many lanes"),
  };
  return s;
}

const std::vector<ParamSpec>& identity_projection_specs() {
  static const std::vector<ParamSpec> s = {
      param::real("scale").defaults_to(1.0).describe("gain of every routed value"),
      param::choice("map", {"random", "ordered", "independent"})
          .describe("random: the slots shared between the sources by size (or share), no source value "
                    "used twice while there are enough, none left out when there are fewer; ordered: slot i "
                    "receives source value i (sources concatenated, wrapping around); independent: each slot "
                    "draws one source value on its own (values may repeat or be left out)"),
  };
  return s;
}

}  // namespace ransim
