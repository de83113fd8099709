#pragma once
// A Network is populations plus projections over one global state vector (docs/architecture.md).
#include <memory>
#include <string>
#include <vector>

#include "engine/projection.hpp"
#include "ransim/population.hpp"
#include "ransim/thread_pool.hpp"

namespace ransim {

struct PopulationSlot {
  std::string name;
  std::string kind;
  std::unique_ptr<Population> model;
  std::size_t offset = 0;    // first variable in the global state
  LaneVector<double> drive;  // input_size() x lanes, lanes fastest
};

class Network {
 public:
  Network(std::size_t input_size, std::size_t lanes, std::size_t threads = 1);

  // Adds a population; its state follows those added before. Returns its index.
  std::size_t add_population(std::string name, std::string kind, std::unique_ptr<Population> p);
  void add_projection(std::unique_ptr<Projection> p);

  std::size_t input_size() const { return input_size_; }
  std::size_t lanes() const { return lanes_; }
  std::size_t state_size() const { return state_size_; }  // variables per lane
  const std::vector<PopulationSlot>& populations() const { return pops_; }
  std::vector<PopulationSlot>& populations() { return pops_; }
  const std::vector<std::unique_ptr<Projection>>& projections() const { return projections_; }
  std::size_t find(const std::string& population) const;  // npos if absent
  SourceRef source(const std::string& name) const;        // "input" or a population
  ThreadPool& pool() { return pool_; }

  ConstBlock block(const double* x, std::size_t pop) const {
    return {x + pops_[pop].offset * lanes_, pops_[pop].model->state_size(), lanes_};
  }
  Block block(double* x, std::size_t pop) const {
    return {x + pops_[pop].offset * lanes_, pops_[pop].model->state_size(), lanes_};
  }
  ConstBlock drive(std::size_t pop) const {
    return {pops_[pop].drive.data(), pops_[pop].model->input_size(), lanes_};
  }

  // Sum the projections into every population's drive, for state x and held input u.
  void compute_drive(const double* x, const double* u);
  // dx/dt of the whole network (drive computed inside).
  void derivative(const double* x, double* dxdt, double t, const double* u);
  void initial_state(double* x) const;
  // Token tick: drive for the new input, then each population's on_tick.
  void tick(const double* x, const double* u);

 private:
  std::size_t input_size_, lanes_, state_size_ = 0;
  std::vector<PopulationSlot> pops_;
  std::vector<std::unique_ptr<Projection>> projections_;
  ThreadPool pool_;
};

// Projection and population weights of a network (the untrained parameters).
std::size_t fixed_weights(const Network& net);

}  // namespace ransim
