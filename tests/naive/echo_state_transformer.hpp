#pragma once
// One token of the Echo State Transformer (arXiv 2507.02917) for one sequence, as plain loops
// over the tensors in the authors' shapes (libs/EST.py: EST.forward, ESTLayer.forward,
// Memory.forward), in inference mode (no dropout): the independent reference for the
// echo_state_transformer plugin (tests/plugins/attention/test_echo_state_transformer.cpp).
//
//   e = x fc_in
//   per layer, with S the layer's previous reservoir states [M][R]:
//     P_j = S_j Wout_j                                   previous unit outputs [M][D]
//     q_m = e Wq_m, k_mj = P_j Wk_m, v_mj = P_j Wv_m
//     a_mj = softmax_j(q_m . k_mj / sqrt(D)),   u_m = RMSNorm1(sum_j a_mj v_mj + e)
//     lr = softmax_m((u_m . adaptive_lr_m) / temperature)
//     S'_m = (1 - lr_m) S_m + lr_m tanh(u_m Win_m + S_m (sr_m W_m) + bias_m)
//     O_m = S'_m Wout_m;  c_mj = softmax_j(O_m SWq . O_j SWk / sqrt(D))
//     n_m = RMSNorm2(sum_j c_mj O_j SWv + O_m)
//     r = Wreduce [n_0 .. n_{M-1}] + b;  out = RMSNorm3(ff_out gelu(ff_in r + b_in) + b_out + r)
//     e = out (the next layer's input)
//   RMSNorm(x) = x / sqrt(mean(x^2) + 1e-8) * gain;  gelu(x) = x (1 + erf(x / sqrt 2)) / 2.
#include <cmath>
#include <cstddef>
#include <vector>

namespace naive {

struct EstLayerWeights {
  // Row-major, the authors' shapes.
  std::vector<double> W;     // [M, R, R]  (normalised; the update uses sr_m W_m)
  std::vector<double> Win;   // [M, D, R]
  std::vector<double> bias;  // [M, R]
  std::vector<double> Wout;  // [M, R, D]
  std::vector<double> sr;    // [M]
  std::vector<double> alr;   // [M, D]
  double temperature = 1;
  std::vector<double> Wq, Wk, Wv;             // [M, D, D]
  std::vector<double> SWq, SWk, SWv;          // [D, D]
  std::vector<double> norm1, norm2, norm3;    // [D]
  std::vector<double> Wreduce, Wreduce_bias;  // [D, M*D], [D]
  std::vector<double> ff_in, ff_in_bias;      // [4D, D], [4D]
  std::vector<double> ff_out, ff_out_bias;    // [D, 4D], [D]
};

struct EstWeights {
  std::size_t I = 1, M = 1, R = 1, D = 1;
  std::vector<double> fc_in;  // [I, D]
  std::vector<EstLayerWeights> layers;
};

struct EstToken {                        // what one token produced
  std::vector<double> out;               // last layer output [D]
  std::vector<double> leak;              // [L][M]
  std::vector<double> previous_weights;  // [L][M][M]
  std::vector<double> current_weights;   // [L][M][M]
};

namespace est_detail {

inline std::vector<double> softmax(std::vector<double> s) {
  double mx = s[0];
  for (double v : s) mx = v > mx ? v : mx;
  double sum = 0;
  for (double& v : s) sum += (v = std::exp(v - mx));
  for (double& v : s) v /= sum;
  return s;
}

inline std::vector<double> rms(const std::vector<double>& x, const std::vector<double>& gain) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + 1e-8);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * gain[i];
  return y;
}

// y = x A with A[rows][cols] at offset `at` of a row-major tensor.
inline std::vector<double> vec_mat(const std::vector<double>& x, const std::vector<double>& A, std::size_t at,
                                   std::size_t cols) {
  std::vector<double> y(cols, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < cols; ++j) y[j] += x[i] * A[at + i * cols + j];
  return y;
}

// y = A x + b with A[rows][cols] (PyTorch's Linear).
inline std::vector<double> linear(const std::vector<double>& A, const std::vector<double>& b,
                                  const std::vector<double>& x) {
  std::vector<double> y(b);
  for (std::size_t i = 0; i < b.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) y[i] += A[i * x.size() + j] * x[j];
  return y;
}

}  // namespace est_detail

// One token for one sequence: S (layers x M x R, updated in place) and x [I].
inline EstToken est_step(const EstWeights& w, std::vector<std::vector<std::vector<double>>>& S,
                         const std::vector<double>& x) {
  using namespace est_detail;
  const std::size_t M = w.M, R = w.R, D = w.D;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  EstToken tok;
  std::vector<double> e = vec_mat(x, w.fc_in, 0, D);
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const EstLayerWeights& y = w.layers[l];
    auto& s = S[l];
    std::vector<std::vector<double>> P(M), u(M);
    for (std::size_t j = 0; j < M; ++j) P[j] = vec_mat(s[j], y.Wout, j * R * D, D);
    std::vector<double> z(M);
    for (std::size_t m = 0; m < M; ++m) {
      const auto q = vec_mat(e, y.Wq, m * D * D, D);
      std::vector<double> scores(M);
      std::vector<std::vector<double>> v(M);
      for (std::size_t j = 0; j < M; ++j) {
        const auto k = vec_mat(P[j], y.Wk, m * D * D, D);
        v[j] = vec_mat(P[j], y.Wv, m * D * D, D);
        double dot = 0;
        for (std::size_t i = 0; i < D; ++i) dot += q[i] * k[i];
        scores[j] = dot * scale;
      }
      const auto a = softmax(scores);
      std::vector<double> sum(e);
      for (std::size_t j = 0; j < M; ++j)
        for (std::size_t i = 0; i < D; ++i) sum[i] += a[j] * v[j][i];
      u[m] = rms(sum, y.norm1);
      tok.previous_weights.insert(tok.previous_weights.end(), a.begin(), a.end());
      z[m] = 0;
      for (std::size_t i = 0; i < D; ++i) z[m] += u[m][i] * y.alr[m * D + i];
      z[m] /= y.temperature;
    }
    const auto lr = softmax(z);
    tok.leak.insert(tok.leak.end(), lr.begin(), lr.end());
    for (std::size_t m = 0; m < M; ++m) {
      const auto feed = vec_mat(u[m], y.Win, m * D * R, R);
      const auto echo = vec_mat(s[m], y.W, m * R * R, R);
      std::vector<double> next(R);
      for (std::size_t r = 0; r < R; ++r)
        next[r] = (1 - lr[m]) * s[m][r] + lr[m] * std::tanh(feed[r] + y.sr[m] * echo[r] + y.bias[m * R + r]);
      s[m] = next;
    }
    std::vector<std::vector<double>> O(M), SQ(M), SK(M), SV(M);
    for (std::size_t j = 0; j < M; ++j) {
      O[j] = vec_mat(s[j], y.Wout, j * R * D, D);
      SQ[j] = vec_mat(O[j], y.SWq, 0, D);
      SK[j] = vec_mat(O[j], y.SWk, 0, D);
      SV[j] = vec_mat(O[j], y.SWv, 0, D);
    }
    std::vector<double> flat;
    for (std::size_t m = 0; m < M; ++m) {
      std::vector<double> scores(M);
      for (std::size_t j = 0; j < M; ++j) {
        double dot = 0;
        for (std::size_t i = 0; i < D; ++i) dot += SQ[m][i] * SK[j][i];
        scores[j] = dot * scale;
      }
      const auto c = softmax(scores);
      tok.current_weights.insert(tok.current_weights.end(), c.begin(), c.end());
      std::vector<double> sum(O[m]);
      for (std::size_t j = 0; j < M; ++j)
        for (std::size_t i = 0; i < D; ++i) sum[i] += c[j] * SV[j][i];
      const auto n = rms(sum, y.norm2);
      flat.insert(flat.end(), n.begin(), n.end());
    }
    const auto red = linear(y.Wreduce, y.Wreduce_bias, flat);
    auto hidden = linear(y.ff_in, y.ff_in_bias, red);
    for (double& h : hidden) h = 0.5 * h * (1.0 + std::erf(h / std::sqrt(2.0)));
    auto o = linear(y.ff_out, y.ff_out_bias, hidden);
    for (std::size_t i = 0; i < D; ++i) o[i] += red[i];
    e = rms(o, y.norm3);
  }
  tok.out = e;
  return tok;
}

}  // namespace naive
