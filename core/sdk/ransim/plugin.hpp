#pragma once
// Population models in shared libraries, loaded at run time (plugins/example_unit/README.md).
//
// A plugin defines one registration function and exports it with RANSIM_PLUGIN:
//
//   void register_models(ransim::Registry& r) { r.add({...}); }
//   RANSIM_PLUGIN(register_models)
//
// The loader checks the plugin's ABI version before calling anything else in it.
#include "ransim/registry.hpp"

// Bumped whenever Population, PopulationInfo, Registry or the types they use change
// layout or meaning: a plugin built against another version is refused, not run.
// 2: Recordable::display, PopulationInfo::layout and PopulationInfo::colour.
// 3: PopulationInfo::memory_bytes.
// 4: Population::differentiable() (ransim/differentiable.hpp).
// 5: Differentiable::has_sample_vjp and sample_vjp (a loss on a recordable).
#define RANSIM_PLUGIN_ABI_VERSION 5

#define RANSIM_PLUGIN(register_function)                                              \
  extern "C" __attribute__((visibility("default"))) int ransim_plugin_abi_version() { \
    return RANSIM_PLUGIN_ABI_VERSION;                                                 \
  }                                                                                   \
  extern "C" __attribute__((visibility("default"))) void ransim_plugin_register(      \
      ransim::Registry& registry) {                                                   \
    register_function(registry);                                                      \
  }
