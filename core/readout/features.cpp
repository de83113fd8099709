#include "readout/features.hpp"

#include <algorithm>

namespace ransim {

FeatureSelection::FeatureSelection(const Scenario& sc, const Network& net, std::size_t input_dim)
    : with_input_(sc.readout.boolean("include_input")), input_dim_(input_dim) {
  const auto& from = sc.readout_from;
  for (std::size_t i = 0; i < net.populations().size(); ++i)
    if (from.empty() || std::find(from.begin(), from.end(), net.populations()[i].name) != from.end()) {
      populations_.push_back(i);
      size_ += net.populations()[i].model->state_size();
    }
  if (with_input_) size_ += input_dim_;
}

std::string FeatureSelection::names(const Network& net) const {
  std::string out;
  for (auto i : populations_) out += (out.empty() ? "" : " ") + net.populations()[i].name + ".state";
  if (with_input_) out += out.empty() ? "input" : " input";
  return out;
}

}  // namespace ransim
