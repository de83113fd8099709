#pragma once
// The backward pass of the general attention path (Attention::attend_heads: several heads,
// biases, standardised scores; the fused one-head path has its own, Attention::attend_vjp).
// Per head i of D/h values (rows o_i = i D/h .. of W_q, W_k, W_v), for one unit and lane:
//
//   q = W_q z + b_q,  qk_i = c W_k^iT q_i,  s_r,i = Z_r . qk_i + c b_k^i . q_i  (c: the softmax scale)
//   a_i = softmax(standardise(s_i) + p_i),  zbar_i = sum_r a_r,i Z_r,  read_i = W_v^i zbar_i + b_v^i
//   o = W_o read + b_o
//
// backwards: g_read = W_o^T g_o; g_zbar_i = W_v^iT g_read_i; g_a_r = Z_r . g_zbar_i;
// g_s' = a % (g_a - a . g_a); g_s = standardise_vjp(g_s') (or g_s'); g_Z_r += a_r g_zbar_i +
// g_s_r qk_i; g_qk_i = sum_r g_s_r Z_r; g_q_i = c W_k^i g_qk_i + c (sum_r g_s_r) b_k^i;
// g_z += W_q^T g_q; and the weights: G_W_o += g_o read^T, G_W_v^i += g_read_i zbar_i^T,
// G_W_k^i += c q_i g_qk_i^T, G_W_q += g_q z^T, the biases' gradients g_o, g_read, c (sum_r g_s_r)
// q_i, g_q. The term b_k^i . q_i is the same for every row: it cancels in the softmax and in
// the standardisation up to the latter's floor, and its gradient is as small as that.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <armadillo>

namespace ransim::attn {

// Of the scores standardised over the n rows as standardise_lanes computes them (one lane):
// s' = beta (s - m) / sd, sd^2 = v + eps (v + m^2) + 1e-300 with m, v the rows' mean and
// variance and eps = 1e-12 (the floor). Given g' = dL/ds' in g, replaces it by dL/ds:
//   g_s = beta / sd (g' - mean(g') - mean(g' % s_hat) ((1 + eps) s_hat + eps m / sd)),
// s_hat = (s - m) / sd (d sd / ds_r = ((1 + eps) (s_r - m) + eps m) / (n sd)).
inline void standardise_vjp(const double* s, double* g, std::size_t n, double beta) {
  const double inv_n = 1.0 / static_cast<double>(n), eps = 1e-12;
  double m = 0, v = 0;
  for (std::size_t r = 0; r < n; ++r) m += s[r];
  m *= inv_n;
  for (std::size_t r = 0; r < n; ++r) v += (s[r] - m) * (s[r] - m);
  v *= inv_n;
  const double sd = std::sqrt(v + eps * (v + m * m) + 1e-300);
  double mean_g = 0, mean_gs = 0;
  for (std::size_t r = 0; r < n; ++r) {
    mean_g += g[r];
    mean_gs += g[r] * (s[r] - m) / sd;
  }
  mean_g *= inv_n;
  mean_gs *= inv_n;
  for (std::size_t r = 0; r < n; ++r) {
    const double s_hat = (s[r] - m) / sd;
    g[r] = beta / sd * (g[r] - mean_g - mean_gs * ((1 + eps) * s_hat + eps * m / sd));
  }
}

// attend_heads' intermediates for one unit and L lanes (it writes them when given one).
struct HeadsTape {
  std::vector<double> q;       // D x L, with b_q
  std::vector<double> qk;      // h x D x L: c W_k^iT q_i
  std::vector<double> scores;  // h x n x L: s_i before the standardisation and position biases
  std::vector<double> zbar;    // h x D x L: sum_r a_r,i Z_r
  std::vector<double> read;    // D x L: [V_i^T a_i] + b_v, the input of W_o
  HeadsTape(std::size_t D, std::size_t heads, std::size_t n, std::size_t L)
      : q(D * L), qk(heads * D * L), scores(heads * n * L), zbar(heads * D * L), read(D * L) {}
};

// Unit u's weights as attend_heads uses them: W(i, j) at w[j * D + i] (column-major D x D);
// bk null without biases.
struct HeadsWeights {
  const double *wq, *wk, *wv, *wo, *bk;
  std::size_t D, heads;
  double scale, sharpness;  // c, and beta of the standardised scores
  bool standardised;
};

// One unit's weight gradients, summed over lanes.
struct HeadsGradients {
  arma::mat wq, wk, wv, wo;
  arma::vec bq, bk, bv, bo;
  explicit HeadsGradients(std::size_t D)
      : wq(D, D, arma::fill::zeros),
        wk(D, D, arma::fill::zeros),
        wv(D, D, arma::fill::zeros),
        wo(D, D, arma::fill::zeros),
        bq(D, arma::fill::zeros),
        bk(D, arma::fill::zeros),
        bv(D, arma::fill::zeros),
        bo(D, arma::fill::zeros) {}
};

namespace detail {

// Per-lane vectors of heads_vjp.
struct HeadsWork {
  std::vector<double> g_read, g_q, g_zbar, g_qk, g_s, s;
  HeadsWork(std::size_t D, std::size_t n) : g_read(D), g_q(D), g_zbar(D), g_qk(D), g_s(n), s(n) {}
};

// Head i of lane l: from g_read (its rows o_i ..) into g_q (its rows), the rows' cotangents and
// the gradients of W_v^i, W_k^i, b_k^i.
inline void head_vjp(const HeadsWeights& w, const HeadsTape& t, const double* a, std::size_t i,
                     const double* const* rows, std::size_t n, double* const* g_rows, HeadsGradients& g,
                     HeadsWork& k, std::size_t l, std::size_t L) {
  const std::size_t D = w.D, Dh = D / w.heads, o = i * Dh;
  const double* zbar = t.zbar.data() + i * D * L;
  const double* qk = t.qk.data() + i * D * L;
  const double* q = t.q.data();
  for (std::size_t d = 0; d < D; ++d) {  // read_i = W_v^i zbar_i
    double acc = 0;
    for (std::size_t j = o; j < o + Dh; ++j) {
      acc += w.wv[d * D + j] * k.g_read[j];
      g.wv(j, d) += k.g_read[j] * zbar[d * L + l];
    }
    k.g_zbar[d] = acc;
  }
  double dot = 0;  // zbar_i = sum_r a_r Z_r, a = softmax(s')
  for (std::size_t r = 0; r < n; ++r) {
    double acc = 0;
    for (std::size_t d = 0; d < D; ++d) acc += rows[r][d * L + l] * k.g_zbar[d];
    k.g_s[r] = acc;
    dot += a[r * L + l] * acc;
  }
  for (std::size_t r = 0; r < n; ++r) k.g_s[r] = a[r * L + l] * (k.g_s[r] - dot);
  if (w.standardised) {  // s' = standardise(s) + p (p fixed)
    for (std::size_t r = 0; r < n; ++r) k.s[r] = t.scores[(i * n + r) * L + l];
    standardise_vjp(k.s.data(), k.g_s.data(), n, w.sharpness);
  }
  std::fill(k.g_qk.begin(), k.g_qk.end(), 0.0);
  double g_shift = 0;  // of c b_k^i . q_i, added to every row
  for (std::size_t r = 0; r < n; ++r) {
    const double ar = a[r * L + l], g_s = k.g_s[r];
    g_shift += g_s;
    for (std::size_t d = 0; d < D; ++d) {
      g_rows[r][d * L + l] += ar * k.g_zbar[d] + g_s * qk[d * L + l];
      k.g_qk[d] += g_s * rows[r][d * L + l];
    }
  }
  for (std::size_t j = o; j < o + Dh; ++j) {  // qk_i = c W_k^iT q_i (+ c b_k^i . q_i on the scores)
    double acc = 0;
    for (std::size_t d = 0; d < D; ++d) {
      acc += w.wk[d * D + j] * k.g_qk[d];
      g.wk(j, d) += w.scale * q[j * L + l] * k.g_qk[d];
    }
    k.g_q[j] += w.scale * acc;
    if (!w.bk) continue;
    k.g_q[j] += w.scale * g_shift * w.bk[j];
    g.bk(j) += w.scale * g_shift * q[j * L + l];
  }
}

}  // namespace detail

// Backward of attend_heads for one unit: given g_o (D x L) and its tape and attention weights a
// (h x n x L), adds into g_z (D x L), g_rows[r] (D x L each; the newest may be g_z itself) and g.
inline void heads_vjp(const HeadsWeights& w, const HeadsTape& t, const double* a, const double* z,
                      const double* const* rows, std::size_t n, const double* g_o, double* g_z,
                      double* const* g_rows, HeadsGradients& g, std::size_t L) {
  const std::size_t D = w.D;
  detail::HeadsWork k(D, n);
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t j = 0; j < D; ++j) {  // o = W_o read + b_o
      double acc = 0;
      for (std::size_t i = 0; i < D; ++i) {
        acc += w.wo[j * D + i] * g_o[i * L + l];
        g.wo(i, j) += g_o[i * L + l] * t.read[j * L + l];
      }
      k.g_read[j] = acc;
      g.bo(j) += g_o[j * L + l];
      g.bv(j) += acc;
    }
    std::fill(k.g_q.begin(), k.g_q.end(), 0.0);
    for (std::size_t i = 0; i < w.heads; ++i)
      detail::head_vjp(w, t, a + i * n * L, i, rows, n, g_rows, g, k, l, L);
    for (std::size_t j = 0; j < D; ++j) {  // q = W_q z + b_q
      double acc = 0;
      for (std::size_t i = 0; i < D; ++i) {
        acc += w.wq[j * D + i] * k.g_q[i];
        g.wq(i, j) += k.g_q[i] * z[j * L + l];
      }
      g_z[j * L + l] += acc;
      g.bq(j) += k.g_q[j];
    }
  }
}

}  // namespace ransim::attn
