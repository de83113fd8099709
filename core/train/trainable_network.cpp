#include "train/trainable_network.hpp"

#include <algorithm>
#include <set>

#include "ransim/error.hpp"

namespace ransim {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

TrainableNetwork::TrainableNetwork(Network& net, const std::vector<std::string>& trainable) : net_(net) {
  std::set<std::string> wanted(trainable.begin(), trainable.end()), used;
  std::vector<std::string> available;
  for (auto& slot : net.populations()) {
    PopulationPart part;
    part.model = slot.model->differentiable();
    if (!part.model)
      throw InputError("population '" + slot.name + "' (" + slot.kind +
                       ") has no backward pass, so the network can neither be trained nor take trained "
                       "weights (docs/training.md lists the models that have one)");
    part.weights = part.model->trainable_weights();
    part.tick_offset = tick_total_;
    part.tick_size = part.model->tick_state_size();
    tick_total_ += part.tick_size;
    const bool whole = wanted.count(slot.name) > 0;
    if (whole) used.insert(slot.name);
    for (auto& w : part.weights) {
      const std::string name = slot.name + "." + w.name;
      available.push_back(name);
      const bool chosen = whole || wanted.count(name) > 0;
      if (wanted.count(name)) used.insert(name);
      part.selected.push_back(chosen);
      part.gradients.emplace_back(arma::zeros(w.value->n_rows, w.value->n_cols));
      if (chosen) {
        names_.push_back(name);
        sizes_.push_back(w.value->n_elem);
      }
    }
    pops_.push_back(std::move(part));
    g_drive_.emplace_back(slot.model->input_size() * net.lanes());
  }
  for (auto& proj : net.projections()) {
    ProjectionPart part;
    if (const auto* values = proj->trainable_values()) {
      available.push_back(proj->name);
      part.selected = wanted.count(proj->name) > 0;
      if (part.selected) {
        used.insert(proj->name);
        names_.push_back(proj->name);
        sizes_.push_back(values->size());
        part.gradient.assign(values->size(), 0.0);
      }
    }
    projs_.push_back(std::move(part));
  }
  for (auto& w : wanted)
    if (!used.count(w))
      throw InputError("train.trainable: '" + w + "' is not a trainable weight of this network (trainable: " +
                       joined(available) + ", or a population's name for all of its weights)");
  for (auto s : sizes_) total_ += s;
}

std::vector<double> TrainableNetwork::values() const {
  std::vector<double> out;
  out.reserve(total_);
  for (auto& part : pops_)
    for (std::size_t w = 0; w < part.weights.size(); ++w)
      if (part.selected[w])
        out.insert(out.end(), part.weights[w].value->begin(), part.weights[w].value->end());
  for (std::size_t p = 0; p < projs_.size(); ++p)
    if (projs_[p].selected) {
      const auto* v = net_.projections()[p]->trainable_values();
      out.insert(out.end(), v->begin(), v->end());
    }
  return out;
}

void TrainableNetwork::set_values(const std::vector<double>& values) {
  if (values.size() != total_)
    throw std::logic_error("TrainableNetwork::set_values: wrong size " + std::to_string(values.size()));
  const double* v = values.data();
  for (auto& part : pops_) {
    bool changed = false;
    for (std::size_t w = 0; w < part.weights.size(); ++w)
      if (part.selected[w]) {
        arma::mat& m = *part.weights[w].value;
        std::copy(v, v + m.n_elem, m.begin());
        v += m.n_elem;
        changed = true;
      }
    if (changed) part.model->weights_changed();
  }
  for (std::size_t p = 0; p < projs_.size(); ++p)
    if (projs_[p].selected) {
      auto& proj = *net_.projections()[p];
      const std::size_t n = proj.trainable_values()->size();
      proj.set_trainable_values(std::vector<double>(v, v + n));
      v += n;
    }
}

void TrainableNetwork::save_tick_state(double* out) const {
  const std::size_t lanes = net_.lanes();
  for (auto& part : pops_)
    if (part.tick_size)
      part.model->save_tick_state(Block{out + part.tick_offset * lanes, part.tick_size, lanes});
}

void TrainableNetwork::load_tick_state(const double* in) {
  const std::size_t lanes = net_.lanes();
  for (auto& part : pops_)
    if (part.tick_size)
      part.model->load_tick_state(ConstBlock{in + part.tick_offset * lanes, part.tick_size, lanes});
}

void TrainableNetwork::zero_gradient() {
  for (auto& part : pops_)
    for (auto& g : part.gradients) g.zeros();
  for (auto& part : projs_) std::fill(part.gradient.begin(), part.gradient.end(), 0.0);
}

std::vector<double> TrainableNetwork::gradient() const {
  std::vector<double> out;
  out.reserve(total_);
  for (auto& part : pops_)
    for (std::size_t w = 0; w < part.weights.size(); ++w)
      if (part.selected[w]) out.insert(out.end(), part.gradients[w].begin(), part.gradients[w].end());
  for (auto& part : projs_)
    if (part.selected) out.insert(out.end(), part.gradient.begin(), part.gradient.end());
  return out;
}

void TrainableNetwork::projections_vjp(const double* x, const double* u, double* g_x) {
  const std::size_t lanes = net_.lanes();
  const ConstBlock input{u, net_.input_size(), lanes}, state{x, net_.state_size(), lanes};
  const Block g_state{g_x, net_.state_size(), lanes};
  for (std::size_t p = 0; p < projs_.size(); ++p) {
    const auto& proj = *net_.projections()[p];
    const auto& target = net_.populations()[proj.target];
    const ConstBlock g_drive{g_drive_[proj.target].data(), target.model->input_size(), lanes};
    proj.apply_vjp(input, state, g_drive, g_state, projs_[p].selected ? &projs_[p].gradient : nullptr);
  }
}

void TrainableNetwork::derivative_vjp(const double* x, const double* u, const double* g_dxdt, double* g_x,
                                      double* g_tick) {
  net_.compute_drive(x, u);
  const std::size_t lanes = net_.lanes();
  for (std::size_t i = 0; i < pops_.size(); ++i) {
    auto& part = pops_[i];
    std::fill(g_drive_[i].begin(), g_drive_[i].end(), 0.0);
    const std::size_t offset = net_.populations()[i].offset * lanes;
    const ConstBlock g_out = net_.block(g_dxdt, i);
    part.model->derivative_vjp(net_.block(x, i), net_.drive(i), g_out, Block{g_x + offset, g_out.vars, lanes},
                               Block{g_drive_[i].data(), net_.drive(i).vars, lanes},
                               Block{g_tick + part.tick_offset * lanes, part.tick_size, lanes},
                               part.gradients);
  }
  projections_vjp(x, u, g_x);
}

void TrainableNetwork::tick_vjp(const double* x, const double* u, const double* g_after, double* g_x,
                                double* g_before) {
  bool any = false;
  for (auto& slot : net_.populations()) any = any || slot.model->uses_ticks();
  if (!any) return;
  net_.compute_drive(x, u);
  const std::size_t lanes = net_.lanes();
  for (std::size_t i = 0; i < pops_.size(); ++i) {
    auto& part = pops_[i];
    std::fill(g_drive_[i].begin(), g_drive_[i].end(), 0.0);
    if (!net_.populations()[i].model->uses_ticks()) continue;
    const std::size_t offset = net_.populations()[i].offset * lanes;
    const std::size_t tick = part.tick_offset * lanes;
    part.model->tick_vjp(net_.block(x, i), net_.drive(i), ConstBlock{g_after + tick, part.tick_size, lanes},
                         Block{g_x + offset, net_.block(x, i).vars, lanes},
                         Block{g_drive_[i].data(), net_.drive(i).vars, lanes},
                         Block{g_before + tick, part.tick_size, lanes}, part.gradients);
  }
  projections_vjp(x, u, g_x);
}

void TrainableNetwork::require_sample_vjp(std::size_t pop, const std::string& name,
                                          const std::string& what) const {
  if (pops_[pop].model->has_sample_vjp(name)) return;
  const auto& slot = net_.populations()[pop];
  throw InputError(
      what + ": the recordable '" + slot.name + "." + name + "' (" + slot.kind +
      ") has no backward pass, so a loss cannot be trained through it (read out the population's "
      "state, or a recordable whose model differentiates it: docs/training.md)");
}

void TrainableNetwork::sample_vjp(std::size_t pop, const std::string& name, const double* x, const double* u,
                                  const double* g_out, double* g_x) {
  require_sample_vjp(pop, name, "train");
  net_.compute_drive(x, u);
  for (auto& g : g_drive_) std::fill(g.begin(), g.end(), 0.0);
  const std::size_t lanes = net_.lanes(), offset = net_.populations()[pop].offset * lanes;
  const ConstBlock x_pop = net_.block(x, pop);
  pops_[pop].model->sample_vjp(name, x_pop, net_.drive(pop), g_out, Block{g_x + offset, x_pop.vars, lanes},
                               Block{g_drive_[pop].data(), net_.drive(pop).vars, lanes},
                               pops_[pop].gradients);
  projections_vjp(x, u, g_x);  // a recordable that reads the drive sends gradients through it
}

std::vector<std::string> settable_weights(Network& net) {
  std::vector<std::string> out;
  for (auto& slot : net.populations())
    if (Differentiable* d = slot.model->differentiable())
      for (auto& w : d->trainable_weights()) out.push_back(slot.name + "." + w.name);
  for (auto& proj : net.projections())
    if (proj->trainable_values()) out.push_back(proj->name);
  return out;
}

void set_weight(Network& net, const std::string& name, const arma::mat& value) {
  const auto shape = [](std::size_t r, std::size_t c) {
    return std::to_string(r) + " x " + std::to_string(c);
  };
  const auto unknown = [&] {
    return InputError("set_weight: no weight '" + name +
                      "' can be set (settable: " + joined(settable_weights(net)) + ")");
  };
  if (const std::size_t dot = name.find('.'); dot != std::string::npos) {
    const std::size_t pop = net.find(name.substr(0, dot));
    Differentiable* d =
        pop == static_cast<std::size_t>(-1) ? nullptr : net.populations()[pop].model->differentiable();
    if (!d) throw unknown();
    for (auto& w : d->trainable_weights())
      if (w.name == name.substr(dot + 1)) {
        if (w.value->n_rows != value.n_rows || w.value->n_cols != value.n_cols)
          throw InputError("set_weight: '" + name + "' is " + shape(w.value->n_rows, w.value->n_cols) +
                           ", found " + shape(value.n_rows, value.n_cols));
        *w.value = value;
        d->weights_changed();
        return;
      }
    throw unknown();
  }
  for (auto& proj : net.projections()) {
    if (proj->name != name || !proj->trainable_values()) continue;
    const Csr w = proj->matrices().at(0).second;
    if (value.n_rows != w.rows || value.n_cols != w.cols)
      throw InputError("set_weight: '" + name + "' is " + shape(w.rows, w.cols) + ", found " +
                       shape(value.n_rows, value.n_cols));
    std::vector<double> values(w.nnz());
    arma::mat rest = value;  // what is left once the sparsity's entries are taken
    for (std::size_t i = 0; i < w.rows; ++i)
      for (std::uint32_t k = w.row_ptr[i]; k < w.row_ptr[i + 1]; ++k) {
        values[k] = value(i, w.col[k]);
        rest(i, w.col[k]) = 0;
      }
    if (const arma::uvec off = arma::find(rest != 0, 1); !off.empty())
      throw InputError("set_weight: '" + name + "' has a non-zero value at (" +
                       std::to_string(off[0] % w.rows) + ", " + std::to_string(off[0] / w.rows) +
                       "), outside its sparsity");
    proj->set_trainable_values(values);
    return;
  }
  throw unknown();
}

}  // namespace ransim
