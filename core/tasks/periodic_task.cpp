#include "tasks/periodic_task.hpp"

#include <cmath>
#include <numbers>

namespace ransim {

double sum_of_sines(double k, double period, double amplitude) {
  const double w = 2 * std::numbers::pi / period;
  return amplitude / 1.5 *
         (std::sin(w * k) + std::sin(2 * w * k) / 2 + std::sin(3 * w * k) / 6 + std::sin(4 * w * k) / 3);
}

namespace {

// Input s(k), target s(k + horizon); every lane the same series (FORCE's lanes then learn
// one pattern together, their shared readout fed back into each).
class SumOfSinesTask : public Task {
 public:
  explicit SumOfSinesTask(const Params& p) : period_(p.real("period")), amplitude_(p.real("amplitude")) {
    horizon_ = read_forecast(p, protocol, "sum_of_sines");
  }
  Sequences generate(std::size_t lanes, Rng&) const override {
    Sequences s;
    s.steps = protocol.total();
    s.lanes = lanes;
    s.input.resize(s.steps * lanes);
    s.target.resize(s.steps * lanes);
    for (std::size_t k = 0; k < s.steps; ++k)
      for (std::size_t b = 0; b < lanes; ++b) {
        s.input[k * lanes + b] = sum_of_sines(static_cast<double>(k), period_, amplitude_);
        s.target[k * lanes + b] = sum_of_sines(static_cast<double>(k + horizon_), period_, amplitude_);
      }
    return s;
  }

 private:
  double period_, amplitude_;
  std::size_t horizon_ = 1;
};

}  // namespace

TaskInfo sum_of_sines_info() {
  TaskInfo t;
  t.kind = "sum_of_sines";
  t.description = "periodic sum of four sines (the target of FORCE learning), predicted or generated";
  t.params = forecast_specs();
  t.params.insert(t.params.end(),
                  {
                      param::real("period").unit("tokens").greater_than(1).defaults_to(60.0).describe(
                          "period of the slowest sine (the others have 1/2, 1/3, 1/4 of it)"),
                      param::real("amplitude")
                          .greater_than(0)
                          .defaults_to(1.3)
                          .describe("overall amplitude (the sum is divided by 1.5)"),
                  });
  for (auto& s : protocol_specs(100, 2000, 1000)) t.params.push_back(s);
  t.create = [](const Params& p) { return std::make_unique<SumOfSinesTask>(p); };
  return t;
}

}  // namespace ransim
