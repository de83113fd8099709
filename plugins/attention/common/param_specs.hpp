#pragma once
// The parameters the attention models share: the unit shape and where weights come from
// (every model), cortex attention (cortex_qkv, attention_block) and the key-value memory
// (hippocampus_memory, attention_block). Each model's README lists them with its own.
#include <cstdint>
#include <string>
#include <vector>

#include <ransim/params.hpp>

namespace ransim::attn {

// Every model: the unit shape, the time constant, where weights come from.
inline std::vector<ParamSpec> unit_specs() {
  return {
      param::integer("units").range(1, 1e7).defaults_to(16).describe("number of units U"),
      param::integer("dim").range(1, 4096).defaults_to(8).describe("values per unit D (the token dimension)"),
      param::real("tau").unit("s").greater_than(0).defaults_to(1.0).describe(
          "time constant: tau dh/dt = -h + phi (leak a = dt / tau)"),
      param::boolean("shared_weights")
          .describe("one set of matrices for the whole population instead of one per unit"),
      param::string("weights_file")
          .describe("HDF5 file holding the weights, one dataset per weight named as in the recording (see "
                    "the model's README); empty: random weights"),
      param::string("weights_group")
          .defaults_to("/")
          .describe("group of weights_file holding the datasets, e.g. /network/populations/NAME to reuse the "
                    "weights of a ransim recording"),
      param::real("initial_state")
          .at_least(0)
          .describe("initial state h(0) ~ U(-s, s) per value, the same in every lane (recorded as x0; read "
                    "from weights_file when one is given); 0: h(0) = 0"),
  };
}

// Cortex attention (cortex_qkv, attention_block).
inline std::vector<ParamSpec> attention_specs() {
  return {
      param::integer("context").range(1, 4096).defaults_to(8).describe(
          "working-memory rows c: the last c-1 token-tick samples of z plus the live z"),
      param::integer("heads").range(1, 4096).defaults_to(1).describe(
          "attention heads h per unit, each on dim / h values (must divide dim): head i uses rows "
          "i*dim/h .. (i+1)*dim/h - 1 of W_q, W_k, W_v; the heads' reads are concatenated, then W_o"),
      param::choice("scores", {"scaled", "standardised"})
          .describe("attention scores: scaled as in a transformer, a = softmax(K q / (sqrt(D/h) T)); or "
                    "standardised over the rows attended (mean 0, standard deviation sharpness), "
                    "a = softmax(beta (s - mean) / sd) with s = K q"),
      param::real("sharpness")
          .greater_than(0)
          .defaults_to(2.0)
          .describe("beta: standard deviation of the standardised scores over the rows (scores "
                    "\"standardised\"); larger is more selective"),
      param::real("position_bias")
          .at_least(0)
          .defaults_to(0.0)
          .describe("sigma of the relative-position biases: a fixed logit N(0, sigma^2) per unit, head and "
                    "row age (0 = the newest row) added to the scores before the softmax, so that each unit "
                    "prefers some delays; 0: none (docs/models.md, \"The attention regime\")"),
      param::real("temperature")
          .greater_than(0)
          .defaults_to(1.0)
          .describe("softmax temperature T of the scaled scores: a = softmax(K q / (sqrt(D/h) T)) (scores "
                    "\"scaled\")"),
      param::real("wq_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("query matrix W_q entries ~ N(0, s^2 / D)"),
      param::real("wk_scale").at_least(0).defaults_to(1.0).describe("key matrix W_k entries ~ N(0, s^2 / D)"),
      param::real("wv_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("value matrix W_v entries ~ N(0, s^2 / D)"),
      param::real("wo_scale")
          .at_least(0)
          .defaults_to(0.15)
          .describe("output matrix W_o entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
                    "recurrent projection contracting: echo state property)"),
  };
}

// The rest of the seed's unit inside a cortex unit (cortex_qkv): biases and the feed-forward.
inline std::vector<ParamSpec> cortex_unit_specs() {
  return {
      param::boolean("bias").describe(
          "biases b_q, b_k, b_v, b_o of the attention (and b_1, b_2 of the feed-forward), each ~ U(-s, s) "
          "with s = bias_scale"),
      param::real("bias_scale").at_least(0).defaults_to(0.1).describe("s of the biases (bias = true)"),
      param::boolean("feed_forward")
          .describe("after the attention read o: r = o + W_2 f(W_1 o + b_1) + b_2 (dim -> 4 dim -> dim), "
                    "then tau dh/dt = -h + tanh(r)"),
      param::choice("activation", {"relu", "gelu"})
          .describe("feed-forward activation f (gelu: the exact erf form)"),
      param::real("ff_in_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("feed-forward W_1 (4 dim x dim) entries ~ N(0, s^2 / dim)"),
      param::real("ff_out_scale")
          .at_least(0)
          .defaults_to(0.25)
          .describe("feed-forward W_2 (dim x 4 dim) entries ~ N(0, s^2 / (4 dim)) (the default keeps a "
                    "reservoir with a default recurrent projection contracting: echo state property)"),
  };
}

// Key-value memory (hippocampus_memory, attention_block).
inline std::vector<ParamSpec> memory_specs() {
  return {
      param::integer("slots").range(1, 1e6).defaults_to(32).describe("memory slots S (keys k_s, values v_s)"),
      param::choice("activation", {"relu", "gelu", "softmax"})
          .describe("slot activation f: m_s = f(k_s . z + b_s); softmax is taken over the slots"),
      param::real("key_scale")
          .at_least(0)
          .defaults_to(1.0)
          .describe("memory keys k_s entries ~ N(0, s^2 / D)"),
      param::real("value_scale")
          .at_least(0)
          .defaults_to(0.25)
          .describe("memory values v_s entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
                    "recurrent projection contracting: echo state property)"),
      param::real("bias_scale").at_least(0).describe("memory biases b_s ~ U(-s, s)"),
      param::boolean("shared_store")
          .describe(
              "one memory store (keys, values, biases) for the whole population instead of one per unit"),
  };
}

inline std::vector<ParamSpec> concat(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace ransim::attn
