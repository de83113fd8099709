#include "engine/network.hpp"

#include <algorithm>

#include "ransim/error.hpp"

namespace ransim {

Network::Network(std::size_t input_size, std::size_t lanes, std::size_t threads)
    : input_size_(input_size), lanes_(lanes), pool_(threads) {}

std::size_t Network::add_population(std::string name, std::string kind, std::unique_ptr<Population> p) {
  p->set_lanes(lanes_);
  PopulationSlot slot{std::move(name), std::move(kind), std::move(p), state_size_, {}};
  slot.drive.assign(slot.model->input_size() * lanes_, 0.0);
  state_size_ += slot.model->state_size();
  pops_.push_back(std::move(slot));
  return pops_.size() - 1;
}

void Network::add_projection(std::unique_ptr<Projection> p) { projections_.push_back(std::move(p)); }

std::size_t Network::find(const std::string& population) const {
  for (std::size_t i = 0; i < pops_.size(); ++i)
    if (pops_[i].name == population) return i;
  return static_cast<std::size_t>(-1);
}

SourceRef Network::source(const std::string& name) const {
  if (name == "input") return {"input", true, 0, input_size_};
  const std::size_t i = find(name);
  if (i == static_cast<std::size_t>(-1)) throw InputError("no population named '" + name + "'");
  return {name, false, pops_[i].offset, pops_[i].model->state_size()};
}

void Network::compute_drive(const double* x, const double* u) {
  for (auto& p : pops_) {  // on the pool: each thread clears the drive it will sum into
    double* d = p.drive.data();
    pool_.parallel_for(
        p.drive.size(), [&](std::size_t b, std::size_t e) { std::fill(d + b, d + e, 0.0); }, 4096);
  }
  const ConstBlock input{u, input_size_, lanes_};
  const ConstBlock state{x, state_size_, lanes_};
  for (auto& proj : projections_) {
    auto& t = pops_[proj->target];
    proj->apply(input, state, Block{t.drive.data(), t.model->input_size(), lanes_}, pool_);
  }
}

void Network::derivative(const double* x, double* dxdt, double t, const double* u) {
  compute_drive(x, u);
  for (std::size_t i = 0; i < pops_.size(); ++i)
    pops_[i].model->derivative(block(x, i), drive(i), block(dxdt, i), t, pool_);
}

void Network::initial_state(double* x) const {
  for (std::size_t i = 0; i < pops_.size(); ++i) pops_[i].model->initial_state(block(x, i));
}

void Network::tick(const double* x, const double* u) {
  const bool any =
      std::any_of(pops_.begin(), pops_.end(), [](const PopulationSlot& p) { return p.model->uses_ticks(); });
  if (!any) return;
  compute_drive(x, u);
  for (std::size_t i = 0; i < pops_.size(); ++i)
    if (pops_[i].model->uses_ticks()) pops_[i].model->on_tick(block(x, i), drive(i));
}

std::size_t fixed_weights(const Network& net) {
  std::size_t n = 0;
  for (auto& proj : net.projections())
    for (auto& [src, m] : proj->matrices()) n += m.nnz();
  for (auto& p : net.populations())
    for (auto& [name, m] : p.model->weights()) n += m.n_elem;
  return n;
}

}  // namespace ransim
