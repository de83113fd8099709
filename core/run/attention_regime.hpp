#pragma once
// Which regime the attention populations of a network are in: the mean of each one's
// "attention_entropy" recordable (1: uniform weights, the window as a moving average; near 0:
// one row) over the tokens after warm-up, sampled every kStride tokens so that the extra
// attention pass costs little. Reported as the metric attention_entropy_<population> by
// sessions and episode runs alike.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "engine/network.hpp"

namespace ransim {

class AttentionRegime {
 public:
  static constexpr std::size_t kStride = 8;

  explicit AttentionRegime(const Network& net) {
    for (std::size_t p = 0; p < net.populations().size(); ++p)
      for (auto& r : net.populations()[p].model->recordables())
        if (r.name == "attention_entropy") pops_.push_back({p});
  }
  bool empty() const { return pops_.empty(); }

  // Samples the entropies in state x under input u (the network's drive is computed here),
  // over the first `used` lanes of the block (lanes beyond them carry no sequence).
  void observe(Network& net, const double* x, const double* u, std::size_t used) {
    net.compute_drive(x, u);
    for (auto& p : pops_) {
      sample_.clear();
      net.populations()[p.pop].model->sample("attention_entropy", net.block(x, p.pop), net.drive(p.pop),
                                             sample_);
      const std::size_t n = sample_.size() / net.lanes() * used;  // lane-major: [lanes, units]
      for (std::size_t i = 0; i < n; ++i) p.sum += sample_[i];
      p.count += n;
    }
  }

  // Adds another observer's samples of the same network (e.g. one batch of episodes).
  void merge(const AttentionRegime& other) {
    for (std::size_t i = 0; i < pops_.size(); ++i) {
      pops_[i].sum += other.pops_[i].sum;
      pops_[i].count += other.pops_[i].count;
    }
  }

  void add_metrics(const Network& net, std::map<std::string, double>& metrics) const {
    for (auto& p : pops_)
      if (p.count > 0) metrics["attention_entropy_" + net.populations()[p.pop].name] = p.sum / p.count;
  }

 private:
  struct Pop {
    std::size_t pop;
    double sum = 0;
    std::size_t count = 0;
  };
  std::vector<Pop> pops_;
  std::vector<double> sample_;
};

}  // namespace ransim
