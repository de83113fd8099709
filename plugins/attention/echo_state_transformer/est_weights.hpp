#pragma once
// The weights of echo_state_transformer (README.md, "Weights"): drawn with the initialisations
// of the authors' code (libs/EST.py of the Echo State Transformer repository), or read from a
// weights_file, and stacked over layers and units for the recording. Every matrix is used as
// the authors use it: x W for the reservoir and attention matrices (rows: inputs), x W^T + b
// for the three linear layers (PyTorch's [out, in] orientation), so a state dict converts by
// stacking alone (scripts/est_from_pytorch.py).
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include <ransim/error.hpp>
#include <ransim/rng.hpp>
#include <ransim/weights.hpp>

namespace ransim::est {

struct Shape {
  std::size_t inputs = 1;     // I: input slots
  std::size_t layers = 1;     // L
  std::size_t units = 4;      // M: memory units per layer
  std::size_t neurons = 100;  // R: reservoir neurons per unit
  std::size_t dim = 3;        // D: attention dimension
  std::size_t outputs = 0;    // O: fc_out columns (0: none)
};

// How reservoir mode draws the fixed weights.
struct Init {
  double connectivity = 0.2;  // of W and W_in: max(1, floor(c n)) nonzeros per column
  double bias_probability = 0.5;
  double input_scaling = 1.0;
  double sr_min = 0.0, sr_max = 1.0;  // sr ~ U(sr_min, sr_max) per unit
  double leak_temperature = 1.0;
};

struct Layer {
  std::vector<arma::mat> W, Win, Wout, Wq, Wk, Wv;  // per unit: R x R, D x R, R x D, D x D
  std::vector<arma::mat> W_eff;                     // sr_m W_m, the matrix the update uses
  arma::mat bias;                                   // M x R
  arma::vec sr;                                     // M
  arma::mat adaptive_lr;                            // M x D (row m: unit m's leak-rate vector)
  double temperature = 1.0;
  arma::mat SWq, SWk, SWv;           // D x D
  arma::rowvec norm1, norm2, norm3;  // D (RMSNorm gains)
  arma::mat Wreduce, ff_in, ff_out;  // D x MD, 4D x D, D x 4D
  arma::rowvec Wreduce_bias, ff_in_bias, ff_out_bias;
};

struct Weights {
  arma::mat fc_in;   // I x D
  arma::mat fc_out;  // D x O (empty when O = 0)
  std::vector<Layer> layers;
};

// --- drawing (reservoir mode) ----------------------------------------------------------------

inline arma::mat uniform_matrix(Rng& rng, std::size_t rows, std::size_t cols, double lo, double hi) {
  arma::mat m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = uniform(rng, lo, hi);
  return m;
}

// The authors' fixed Bernoulli mask: in every column, max(1, floor(c rows)) ones at distinct
// rows chosen uniformly (a partial Fisher-Yates shuffle per column, columns in order).
inline arma::mat column_mask(Rng& rng, std::size_t rows, std::size_t cols, double connectivity) {
  const auto per_column = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::floor(connectivity * static_cast<double>(rows))));
  arma::mat mask(rows, cols, arma::fill::zeros);
  std::vector<std::size_t> index(rows);
  for (std::size_t j = 0; j < cols; ++j) {
    for (std::size_t i = 0; i < rows; ++i) index[i] = i;
    for (std::size_t i = 0; i < per_column; ++i) {
      const auto pick = i + static_cast<std::size_t>(uniform(rng) * static_cast<double>(rows - i));
      std::swap(index[i], index[pick]);
      mask(index[i], j) = 1.0;
    }
  }
  return mask;
}

inline double spectral_radius(const arma::mat& W) {
  arma::cx_vec eigenvalues;
  if (!arma::eig_gen(eigenvalues, W))
    throw RunError("echo_state_transformer: eigenvalues of W did not converge");
  return arma::max(arma::abs(eigenvalues));
}

// PyTorch's kaiming_uniform_(a = sqrt(5)) and nn.Linear's bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
inline arma::mat fan_in_uniform(Rng& rng, std::size_t rows, std::size_t cols, double fan_in) {
  const double bound = 1.0 / std::sqrt(fan_in);
  return uniform_matrix(rng, rows, cols, -bound, bound);
}

inline void draw_memory(Rng& rng, const Shape& s, const Init& init, Layer& l) {
  const std::size_t M = s.units, R = s.neurons, D = s.dim;
  for (std::size_t m = 0; m < M; ++m) {
    arma::mat W = random_matrix(rng, R, R, 1.0);     // values first, then the mask (two statements:
    W %= column_mask(rng, R, R, init.connectivity);  // the order of operands is unspecified)
    const double radius = spectral_radius(W);
    l.W.push_back(radius > 0 ? arma::mat(W / radius) : W);  // the authors scale W to radius 1
  }
  for (std::size_t m = 0; m < M; ++m)
    l.Win.push_back(init.input_scaling * column_mask(rng, D, R, init.connectivity));
  l.bias.set_size(M, R);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t r = 0; r < R; ++r) l.bias(m, r) = uniform(rng) < init.bias_probability ? 1.0 : 0.0;
  for (std::size_t m = 0; m < M; ++m) l.Wout.push_back(random_matrix(rng, R, D, 1.0));
  l.sr.set_size(M);
  for (std::size_t m = 0; m < M; ++m) l.sr(m) = uniform(rng, init.sr_min, init.sr_max);
  l.adaptive_lr = uniform_matrix(rng, M, D, 0.0, 1.0);
  l.temperature = init.leak_temperature;
}

inline void draw_attention(Rng& rng, const Shape& s, Layer& l) {
  const std::size_t M = s.units, D = s.dim;
  const double d = static_cast<double>(D);
  // kaiming_uniform_ of an [M, D, D] tensor: PyTorch's fan_in is D * D.
  for (auto* set : {&l.Wq, &l.Wk, &l.Wv})
    for (std::size_t m = 0; m < M; ++m) set->push_back(fan_in_uniform(rng, D, D, d * d));
  l.SWq = fan_in_uniform(rng, D, D, d);
  l.SWk = fan_in_uniform(rng, D, D, d);
  l.SWv = fan_in_uniform(rng, D, D, d);
  l.norm1 = l.norm2 = l.norm3 = arma::rowvec(D, arma::fill::ones);
  l.Wreduce = fan_in_uniform(rng, D, M * D, static_cast<double>(M) * d);
  l.Wreduce_bias = fan_in_uniform(rng, 1, D, static_cast<double>(M) * d);
  l.ff_in = fan_in_uniform(rng, 4 * D, D, d);
  l.ff_in_bias = fan_in_uniform(rng, 1, 4 * D, d);
  l.ff_out = fan_in_uniform(rng, D, 4 * D, 4 * d);
  l.ff_out_bias = fan_in_uniform(rng, 1, D, 4 * d);
}

// In the order of the README's weights table: fc_in, then per layer the memory and the
// attention weights, then fc_out.
inline Weights draw(Rng& rng, const Shape& s, const Init& init) {
  Weights w;
  w.fc_in = random_matrix(rng, s.inputs, s.dim, 1.0);
  w.layers.resize(s.layers);
  for (auto& l : w.layers) {
    draw_memory(rng, s, init, l);
    draw_attention(rng, s, l);
  }
  if (s.outputs > 0) w.fc_out = random_matrix(rng, s.dim, s.outputs, 1.0);
  return w;
}

// --- reading and stacking ----------------------------------------------------------------

// A weight `blocks x rows x cols` stacked over layers (and units): block b of the row-major
// values as a matrix.
inline arma::mat block_of(const std::vector<double>& rm, std::size_t b, std::size_t rows, std::size_t cols) {
  arma::mat m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = rm[(b * rows + i) * cols + j];
  return m;
}

inline Weights load(const WeightFile& wf, const Shape& s) {
  const std::size_t L = s.layers, M = s.units, R = s.neurons, D = s.dim;
  auto per_unit = [&](const std::string& name, std::size_t rows, std::size_t cols, const std::string& what) {
    const auto rm = wf.load_stacked(
        name, L * M, rows, cols,
        what + ", stacked over " + std::to_string(L) + " layer(s) x " + std::to_string(M) + " units");
    std::vector<arma::mat> out;
    for (std::size_t b = 0; b < L * M; ++b) out.push_back(block_of(rm, b, rows, cols));
    return out;
  };
  auto per_layer = [&](const std::string& name, std::size_t rows, std::size_t cols, const std::string& what) {
    const auto rm =
        wf.load_stacked(name, L, rows, cols, what + ", stacked over " + std::to_string(L) + " layer(s)");
    std::vector<arma::mat> out;
    for (std::size_t b = 0; b < L; ++b) out.push_back(block_of(rm, b, rows, cols));
    return out;
  };
  Weights w;
  w.fc_in = wf.load_matrix("fc_in", s.inputs, D);
  if (s.outputs > 0) w.fc_out = wf.load_matrix("fc_out", D, s.outputs);
  const auto W = per_unit("W", R, R, "reservoir matrix R x R"),
             Win = per_unit("Win", D, R, "input mask D x R"),
             Wout = per_unit("Wout", R, D, "unit output R x D"), bias = per_unit("bias", 1, R, "bias 1 x R"),
             sr = per_unit("sr", 1, 1, "spectral radius"),
             alr = per_unit("adaptive_lr", D, 1, "leak vector D"), Wq = per_unit("Wq", D, D, "query D x D"),
             Wk = per_unit("Wk", D, D, "key D x D"), Wv = per_unit("Wv", D, D, "value D x D");
  const auto temperature = per_layer("temperature", 1, 1, "leak temperature"),
             SWq = per_layer("SWq", D, D, "self-attention query D x D"),
             SWk = per_layer("SWk", D, D, "self-attention key D x D"),
             SWv = per_layer("SWv", D, D, "self-attention value D x D"),
             n1 = per_layer("norm1", 1, D, "RMSNorm gain D"), n2 = per_layer("norm2", 1, D, "RMSNorm gain D"),
             n3 = per_layer("norm3", 1, D, "RMSNorm gain D"),
             red = per_layer("Wreduce", D, M * D, "reduction D x MD"),
             red_b = per_layer("Wreduce_bias", 1, D, "reduction bias D"),
             fi = per_layer("ff_in", 4 * D, D, "feed-forward in 4D x D"),
             fi_b = per_layer("ff_in_bias", 1, 4 * D, "feed-forward in bias 4D"),
             fo = per_layer("ff_out", D, 4 * D, "feed-forward out D x 4D"),
             fo_b = per_layer("ff_out_bias", 1, D, "feed-forward out bias D");
  w.layers.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    Layer& y = w.layers[l];
    y.bias.set_size(M, R);
    y.sr.set_size(M);
    y.adaptive_lr.set_size(M, D);
    for (std::size_t m = 0; m < M; ++m) {
      const std::size_t b = l * M + m;
      y.W.push_back(W[b]);
      y.Win.push_back(Win[b]);
      y.Wout.push_back(Wout[b]);
      y.Wq.push_back(Wq[b]);
      y.Wk.push_back(Wk[b]);
      y.Wv.push_back(Wv[b]);
      y.bias.row(m) = bias[b];
      y.sr(m) = sr[b](0, 0);
      y.adaptive_lr.row(m) = alr[b].t();
    }
    y.temperature = temperature[l](0, 0);
    if (y.temperature == 0.0) wf.fail("temperature", "layer " + std::to_string(l) + " has temperature 0");
    y.SWq = SWq[l], y.SWk = SWk[l], y.SWv = SWv[l];
    y.norm1 = n1[l], y.norm2 = n2[l], y.norm3 = n3[l];
    y.Wreduce = red[l], y.Wreduce_bias = red_b[l];
    y.ff_in = fi[l], y.ff_in_bias = fi_b[l], y.ff_out = fo[l], y.ff_out_bias = fo_b[l];
  }
  return w;
}

inline void finish(Weights& w) {
  for (auto& l : w.layers) {
    l.W_eff.clear();
    for (std::size_t m = 0; m < l.W.size(); ++m) l.W_eff.push_back(l.sr(m) * l.W[m]);
  }
}

// Matrices stacked by rows, in block order.
inline arma::mat stack(const std::vector<arma::mat>& blocks) {
  arma::mat s;
  for (const auto& b : blocks) s = arma::join_cols(s, b);
  return s;
}

// The recorded datasets (README.md's table): the names and layouts weights_file reads.
inline std::map<std::string, arma::mat> recorded(const Weights& w) {
  std::map<std::string, std::vector<arma::mat>> s;
  for (const auto& l : w.layers) {
    for (std::size_t m = 0; m < l.W.size(); ++m) {
      s["W"].push_back(l.W[m]);
      s["Win"].push_back(l.Win[m]);
      s["Wout"].push_back(l.Wout[m]);
      s["Wq"].push_back(l.Wq[m]);
      s["Wk"].push_back(l.Wk[m]);
      s["Wv"].push_back(l.Wv[m]);
      s["bias"].push_back(l.bias.row(m));
      s["sr"].push_back(arma::mat{l.sr(m)});
      s["adaptive_lr"].push_back(l.adaptive_lr.row(m).t());
    }
    s["temperature"].push_back(arma::mat{l.temperature});
    s["SWq"].push_back(l.SWq);
    s["SWk"].push_back(l.SWk);
    s["SWv"].push_back(l.SWv);
    s["norm1"].push_back(l.norm1);
    s["norm2"].push_back(l.norm2);
    s["norm3"].push_back(l.norm3);
    s["Wreduce"].push_back(l.Wreduce);
    s["Wreduce_bias"].push_back(l.Wreduce_bias);
    s["ff_in"].push_back(l.ff_in);
    s["ff_in_bias"].push_back(l.ff_in_bias);
    s["ff_out"].push_back(l.ff_out);
    s["ff_out_bias"].push_back(l.ff_out_bias);
  }
  std::map<std::string, arma::mat> out;
  for (const auto& [name, blocks] : s) out[name] = stack(blocks);
  out["fc_in"] = w.fc_in;
  if (!w.fc_out.is_empty()) out["fc_out"] = w.fc_out;
  return out;
}

}  // namespace ransim::est
