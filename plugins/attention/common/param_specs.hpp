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
      {"units", ParamType::Integer, std::int64_t{16}, "1", "number of units U", 1, 1e7},
      {"dim", ParamType::Integer, std::int64_t{8}, "1", "values per unit D (the token dimension)", 1, 4096},
      {"tau", ParamType::Real, 1.0, "s", "time constant: tau dh/dt = -h + phi (leak a = dt / tau)", 0, kInf, true},
      {"shared_weights", ParamType::Boolean, false, "",
       "one set of matrices for the whole population instead of one per unit"},
      {"weights_file", ParamType::String, std::string(""), "",
       "HDF5 file holding the weights, one dataset per weight named as in the recording "
       "(see the model's README); empty: random weights"},
      {"weights_group", ParamType::String, std::string("/"), "",
       "group of weights_file holding the datasets, e.g. /network/populations/NAME to reuse "
       "the weights of a ransim recording"},
      {"initial_state", ParamType::Real, 0.0, "1",
       "initial state h(0) ~ U(-s, s) per value, the same in every lane (recorded as x0; read "
       "from weights_file when one is given); 0: h(0) = 0",
       0, kInf},
  };
}

// Cortex attention (cortex_qkv, attention_block).
inline std::vector<ParamSpec> attention_specs() {
  return {
      {"context", ParamType::Integer, std::int64_t{8}, "1",
       "working-memory rows c: the last c-1 token-tick samples of z plus the live z", 1, 4096},
      {"temperature", ParamType::Real, 1.0, "1", "softmax temperature: a = softmax(K q / (sqrt(D) T))",
       0, kInf, true},
      {"wq_scale", ParamType::Real, 1.0, "1", "query matrix W_q entries ~ N(0, s^2 / D)", 0, kInf},
      {"wk_scale", ParamType::Real, 1.0, "1", "key matrix W_k entries ~ N(0, s^2 / D)", 0, kInf},
      {"wv_scale", ParamType::Real, 1.0, "1", "value matrix W_v entries ~ N(0, s^2 / D)", 0, kInf},
      {"wo_scale", ParamType::Real, 0.15, "1",
       "output matrix W_o entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
       "recurrent projection contracting: echo state property)",
       0, kInf},
  };
}

// Key-value memory (hippocampus_memory, attention_block).
inline std::vector<ParamSpec> memory_specs() {
  return {
      {"slots", ParamType::Integer, std::int64_t{32}, "1", "memory slots S (keys k_s, values v_s)", 1, 1e6},
      {"activation", ParamType::String, std::string("relu"), "",
       "slot activation f: m_s = f(k_s . z + b_s); softmax is taken over the slots", 0, 0, false,
       {"relu", "gelu", "softmax"}},
      {"key_scale", ParamType::Real, 1.0, "1", "memory keys k_s entries ~ N(0, s^2 / D)", 0, kInf},
      {"value_scale", ParamType::Real, 0.25, "1",
       "memory values v_s entries ~ N(0, s^2 / D) (the default keeps a reservoir with a default "
       "recurrent projection contracting: echo state property)",
       0, kInf},
      {"bias_scale", ParamType::Real, 0.0, "1", "memory biases b_s ~ U(-s, s)", 0, kInf},
      {"shared_store", ParamType::Boolean, false, "",
       "one memory store (keys, values, biases) for the whole population instead of one per unit"},
  };
}

inline std::vector<ParamSpec> concat(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace ransim::attn
