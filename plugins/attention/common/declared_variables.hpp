#pragma once
// What the attention units declare about their variables (ransim/population.hpp's
// ModelLayout): front ends draw views and colours from it, never from the models' names.
#include <ransim/population.hpp>

namespace ransim::attn {

inline const char* const kCortexColour = "#4c72b0";
inline const char* const kHippocampusColour = "#dd8452";

inline VariableSpec unit_state() {
  return {.name = "state", .axes = {"units", "dim"}, .description = "unit state h"};
}

inline VariableSpec attention_map() {
  return {.name = "attention",
          .axes = {"units", "context"},
          .description = "attention weights over the window (rows sum to 1)",
          .display = {.view = ViewKind::Map}};
}

inline VariableSpec attention_entropy() {
  return {.name = "attention_entropy",
          .description = "attention entropy over log(rows attended): 1 uniform, near 0 one row",
          .display = {.view = ViewKind::Heatmap}};
}

inline VariableSpec memory_map() {
  return {.name = "memory",
          .axes = {"units", "slots"},
          .description = "memory activations per slot",
          .display = {.view = ViewKind::Map}};
}

}  // namespace ransim::attn
