#include "tasks/teacher_task.hpp"

#include <cmath>

#include "ransim/weights.hpp"
#include "tasks/periodic_task.hpp"

namespace ransim {

TeacherWeights teacher_weights(const Params& p) {
  const auto d = static_cast<std::size_t>(p.integer("dim"));
  Rng rng =
      make_rng(static_cast<std::uint64_t>(p.integer("teacher_seed")), "lsa." + p.string("teacher_stream"));
  const double sd = 1.0 / std::sqrt(static_cast<double>(d));
  TeacherWeights w;
  w.WQ = random_matrix(rng, d, d, p.real("wq_scale") * sd);
  w.WK = random_matrix(rng, d, d, p.real("wk_scale") * sd);
  w.WV = random_matrix(rng, d, d, p.real("wv_scale") * sd);
  return w;
}

namespace {

// Input x_t ~ N(0, input_scale^2 I) i.i.d. (drawn token by token, lane by lane, entry by entry);
// target y_t = sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t) = M_t q_t, M_t = sum_{s<=t} v_s k_s^T,
// the sum over the lane's whole stream from token 0.
class LinearSelfAttentionTask : public Task {
 public:
  explicit LinearSelfAttentionTask(const Params& p)
      : d_(static_cast<std::size_t>(p.integer("dim"))),
        input_scale_(p.real("input_scale")),
        w_(teacher_weights(p)) {
    protocol = read_protocol(p);
    input_dim = d_;
  }

  Sequences generate(std::size_t lanes, Rng& rng) const override {
    Sequences s;
    s.steps = protocol.total();
    s.lanes = lanes;
    s.input_dim = s.target_dim = d_;
    s.input.resize(s.steps * lanes * d_);
    s.target.resize(s.steps * lanes * d_);
    for (double& v : s.input) v = input_scale_ * normal(rng);
    std::vector<arma::mat> memory(lanes, arma::mat(d_, d_, arma::fill::zeros));
    for (std::size_t k = 0; k < s.steps; ++k)
      for (std::size_t b = 0; b < lanes; ++b) {
        const arma::vec x(const_cast<double*>(s.input_at(k, b)), d_, false, true);
        memory[b] += (w_.WV * x) * (w_.WK * x).t();
        const arma::vec y = memory[b] * (w_.WQ * x);
        std::copy(y.begin(), y.end(), s.target.begin() + static_cast<std::ptrdiff_t>((k * lanes + b) * d_));
      }
    return s;
  }

 private:
  std::size_t d_;
  double input_scale_;
  TeacherWeights w_;
};

}  // namespace

TaskInfo linear_self_attention_info() {
  TaskInfo t;
  t.kind = "linear_self_attention";
  t.description =
      "teacher-student: i.i.d. Gaussian tokens x_t in R^d, target the causal linear self-attention "
      "sum_{s<=t} (W_V x_s)(W_K x_s)^T (W_Q x_t) of a random teacher";
  t.params = {
      param::integer("dim").range(1, 256).defaults_to(4).describe("token dimension d (input and target)"),
      param::real("input_scale")
          .greater_than(0)
          .defaults_to(1.0)
          .describe("x_t entries ~ N(0, input_scale^2)"),
      param::integer("teacher_seed")
          .range(0, 9e15)
          .defaults_to(1)
          .describe(
              "the teacher's W_Q, W_K, W_V come from make_rng(teacher_seed, \"lsa.\" + teacher_stream), as a "
              "linear_attention population's with seed = teacher_seed"),
      param::string("teacher_stream").defaults_to("teacher").describe("the stream of the teacher's weights"),
      param::real("wq_scale").at_least(0).defaults_to(1.0).describe("W_Q entries ~ N(0, wq_scale^2 / d)"),
      param::real("wk_scale").at_least(0).defaults_to(1.0).describe("W_K entries ~ N(0, wk_scale^2 / d)"),
      param::real("wv_scale").at_least(0).defaults_to(1.0).describe("W_V entries ~ N(0, wv_scale^2 / d)"),
  };
  for (auto& s : protocol_specs(0, 12, 12)) t.params.push_back(s);
  t.create = [](const Params& p) { return std::make_unique<LinearSelfAttentionTask>(p); };
  return t;
}

}  // namespace ransim
