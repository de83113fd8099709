#include "readout/features.hpp"

#include <algorithm>

#include "ransim/error.hpp"

namespace ransim {

namespace {

// The recordable `name` of population `pop`, or an InputError naming the readout.from entry.
std::size_t recordable_size(const Network& net, std::size_t pop, const std::string& name) {
  const auto& slot = net.populations()[pop];
  std::string known;
  for (const Recordable& r : slot.model->recordables()) {
    if (r.name == name) {
      if (r.needs_drive)
        throw InputError("readout.from: '" + slot.name + "." + name +
                         "' reads the population's drive, which the readout does not compute; read out "
                         "'" +
                         slot.name + "' or another recordable");
      return r.size();
    }
    known += (known.empty() ? "" : ", ") + r.name;
  }
  throw InputError("readout.from: population '" + slot.name + "' (" + slot.kind + ") has no recordable '" +
                   name + "' (it has: " + known + ")");
}

}  // namespace

FeatureSelection::FeatureSelection(const Scenario& sc, const Network& net, std::size_t input_dim)
    : with_input_(sc.readout.boolean("include_input")), input_dim_(input_dim) {
  const auto& from = sc.readout_from;
  for (std::size_t i = 0; i < net.populations().size(); ++i) {
    const auto& slot = net.populations()[i];
    if (from.empty()) entries_.push_back({i, "state", slot.model->state_size()});
    for (const std::string& f : from) {
      if (f == slot.name) entries_.push_back({i, "state", slot.model->state_size()});
      else if (f.size() > slot.name.size() && f.compare(0, slot.name.size(), slot.name) == 0 &&
               f[slot.name.size()] == '.') {
        const std::string name = f.substr(slot.name.size() + 1);
        entries_.push_back({i, name, recordable_size(net, i, name)});
      }
    }
  }
  for (const Entry& e : entries_) size_ += e.size;
  if (with_input_) size_ += input_dim_;
}

std::string FeatureSelection::names(const Network& net) const {
  std::string out;
  for (const Entry& e : entries_)
    out += (out.empty() ? "" : " ") + net.populations()[e.population].name + "." + e.recordable;
  if (with_input_) out += out.empty() ? "input" : " input";
  return out;
}

double* FeatureSelection::copy(const Network& net, const double* x, const double* u, std::size_t lane,
                               double* out) const {
  for (const Entry& e : entries_) {
    const ConstBlock blk = net.block(x, e.population);
    if (e.state()) {
      for (std::size_t v = 0; v < blk.vars; ++v) *out++ = blk(v, lane);
      continue;
    }
    sampled_.clear();
    net.populations()[e.population].model->sample(e.recordable, blk, net.drive(e.population), sampled_);
    out = std::copy_n(sampled_.begin() + static_cast<std::ptrdiff_t>(lane * e.size), e.size, out);
  }
  if (with_input_)
    for (std::size_t i = 0; i < input_dim_; ++i) *out++ = u[i * net.lanes() + lane];
  return out;
}

void FeatureSelection::copy_all(const Network& net, const double* x, const double* u, double* out) const {
  const std::size_t lanes = net.lanes();
  std::size_t row = 0;  // the first feature of the entry
  for (const Entry& e : entries_) {
    const ConstBlock blk = net.block(x, e.population);
    if (e.state()) {
      for (std::size_t b = 0; b < lanes; ++b)
        for (std::size_t v = 0; v < blk.vars; ++v) out[b * size_ + row + v] = blk(v, b);
    } else {
      sampled_.clear();
      net.populations()[e.population].model->sample(e.recordable, blk, net.drive(e.population), sampled_);
      for (std::size_t b = 0; b < lanes; ++b)
        std::copy_n(sampled_.begin() + static_cast<std::ptrdiff_t>(b * e.size), e.size,
                    out + b * size_ + row);
    }
    row += e.size;
  }
  if (with_input_)
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < input_dim_; ++i) out[b * size_ + row + i] = u[i * lanes + b];
}

}  // namespace ransim
