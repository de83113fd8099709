#pragma once
// The attention population models (cortex_qkv, hippocampus_memory, attention_block) written
// with plain loops over std::vector, straight from the equations of their READMEs
// (q = W_q z + b_q, K = Z W_k^T + b_k, V = Z W_v^T + b_v per head, the scaled or standardised
// scores plus the position biases, softmax, W_o [V_i^T a_i] + b_o, the feed-forward, the memory sum), with
// their own working-memory bookkeeping (a list of every tick sample), their own drive (dense copies of the
// projections' weights) and their own Euler and RK4 steps: the independent reference for
// tests/plugins/attention/test_attention.cpp. The plugins compute the attention in a
// factored order (W_k^T W_q, W_o W_v), so the two agree to round-off, not bitwise.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace naive {

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;  // row-major: Mat[i][j]

inline Vec matvec(const Mat& w, const Vec& x) {
  Vec y(w.size(), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) y[i] += w[i][j] * x[j];
  return y;
}

inline double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline Vec softmax(const Vec& s) {
  double m = s[0];
  for (double v : s) m = std::max(m, v);
  Vec e(s.size());
  double sum = 0;
  for (std::size_t i = 0; i < s.size(); ++i) sum += (e[i] = std::exp(s[i] - m));
  for (auto& v : e) v /= sum;
  return e;
}

inline Vec slice(const Vec& v, std::size_t first, std::size_t n) {
  return Vec(v.begin() + static_cast<std::ptrdiff_t>(first),
             v.begin() + static_cast<std::ptrdiff_t>(first + n));
}

// Scores standardised over the rows: beta (s - mean) / sd with sd^2 = var + 1e-12 mean(s^2)
// (the floor of 1e-6 of the scores' RMS).
inline Vec standardise(const Vec& s, double beta) {
  double mean = 0, sq = 0, var = 0;
  for (double v : s) {
    mean += v;
    sq += v * v;
  }
  mean /= static_cast<double>(s.size());
  sq /= static_cast<double>(s.size());
  for (double v : s) var += (v - mean) * (v - mean);
  var /= static_cast<double>(s.size());
  const double sd = std::sqrt(var + 1e-12 * sq);
  Vec out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = beta * (s[i] - mean) / sd;
  return out;
}

inline double activation(const std::string& f, double x) {
  if (f == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  return x > 0 ? x : 0.0;  // relu
}

// The weights of one population, per unit (shared ones repeated), as the test reads them from
// the plugin's recorded weights. Biases left empty are 0.
struct RefModel {
  std::string kind;
  std::size_t U = 0, D = 0, c = 1, k = 0, S = 0, heads = 1;
  double tau = 1, temperature = 1, sharpness = 2;
  bool units_mode = false, standardised = false, feed_forward = false;
  std::string activation, ff_activation;
  std::vector<Mat> Wq, Wk, Wv, Wo, Km, Vm, W1, W2;  // per unit (shared ones repeated)
  std::vector<Vec> bq, bk, bv, bo, bm, b1, b2;
  std::vector<Mat> position;  // per unit: heads x rows, position[u][i][j] for the row j tokens old
  std::vector<std::vector<std::size_t>> pre;

  bool attention() const { return kind != "hippocampus_memory"; }
  bool memory() const { return kind != "cortex_qkv"; }
  std::size_t att_rows() const { return units_mode ? k + 1 : c; }
};

struct UnitOut {
  Vec phi, attention, memory;  // attention: per head, the masked rows (0) first, then the rows
};

inline Vec plus_bias(Vec v, const std::vector<Vec>& b, std::size_t u) {
  if (!b.empty())
    for (std::size_t i = 0; i < v.size(); ++i) v[i] += b[u][i];
  return v;
}

// Multi-head attention of unit u: query from z, keys/values from the rows Z (oldest first);
// head i on components i*D/h .. (i+1)*D/h - 1 of q, K, V. a[i] gets head i's weights.
inline Vec naive_attention(const RefModel& m, std::size_t u, const Vec& z, const Mat& Z,
                           std::vector<Vec>& a) {
  const std::size_t Dh = m.D / m.heads;
  const Vec q = plus_bias(matvec(m.Wq[u], z), m.bq, u);
  Mat K(Z.size()), V(Z.size());
  for (std::size_t r = 0; r < Z.size(); ++r) {
    K[r] = plus_bias(matvec(m.Wk[u], Z[r]), m.bk, u);  // row r of K = Z W_k^T + b_k
    V[r] = plus_bias(matvec(m.Wv[u], Z[r]), m.bv, u);  // row r of V = Z W_v^T + b_v
  }
  a.assign(m.heads, Vec{});
  Vec heads_out(m.D, 0.0);  // [V_1^T a_1; ...; V_h^T a_h]
  for (std::size_t i = 0; i < m.heads; ++i) {
    Vec s(Z.size(), 0.0);
    for (std::size_t r = 0; r < Z.size(); ++r)
      for (std::size_t j = i * Dh; j < (i + 1) * Dh; ++j) s[r] += K[r][j] * q[j];
    if (m.standardised) s = standardise(s, m.sharpness);
    else
      for (auto& v : s) v /= std::sqrt(static_cast<double>(Dh)) * m.temperature;
    if (!m.position.empty())  // the newest row (last) is 0 tokens old
      for (std::size_t r = 0; r < Z.size(); ++r) s[r] += m.position[u][i][Z.size() - 1 - r];
    a[i] = softmax(s);
    for (std::size_t r = 0; r < Z.size(); ++r)
      for (std::size_t j = i * Dh; j < (i + 1) * Dh; ++j) heads_out[j] += V[r][j] * a[i][r];
  }
  return plus_bias(matvec(m.Wo[u], heads_out), m.bo, u);
}

// Memory read of unit u: sum_s f(k_s . y + b_s) v_s; the activations go to `mem`.
inline Vec naive_memory(const RefModel& m, std::size_t u, const Vec& y, Vec& mem) {
  mem.assign(m.S, 0.0);
  for (std::size_t s = 0; s < m.S; ++s) mem[s] = dot(m.Km[u][s], y) + m.bm[u][s];
  if (m.activation == "softmax") mem = softmax(mem);
  else
    for (auto& v : mem) v = activation(m.activation, v);
  Vec r(m.D, 0.0);
  for (std::size_t s = 0; s < m.S; ++s)
    for (std::size_t d = 0; d < m.D; ++d) r[d] += mem[s] * m.Vm[u][s][d];
  return r;
}

// The feed-forward of a cortex unit: W_2 f(W_1 o + b_1) + b_2.
inline Vec naive_feed_forward(const RefModel& m, std::size_t u, const Vec& o) {
  Vec hidden = plus_bias(matvec(m.W1[u], o), m.b1, u);
  for (auto& v : hidden) v = activation(m.ff_activation, v);
  return plus_bias(matvec(m.W2[u], hidden), m.b2, u);
}

// r of unit u (phi = tanh(r)) for its query z and rows Z (attention models; the recorded
// attention and memory go to `out`): the attention read o, then o + FF(o) (cortex_qkv with
// feed_forward) or o + the memory read (attention_block).
inline Vec naive_r(const RefModel& m, std::size_t u, const Vec& z, const Mat& Z, UnitOut& out) {
  std::vector<Vec> a;
  Vec r = naive_attention(m, u, z, Z, a);
  out.attention.clear();
  for (const Vec& ai : a) {
    out.attention.insert(out.attention.end(), m.att_rows() - ai.size(), 0.0);  // masked rows first
    out.attention.insert(out.attention.end(), ai.begin(), ai.end());
  }
  if (m.feed_forward) {
    const Vec f = naive_feed_forward(m, u, r);
    for (std::size_t d = 0; d < m.D; ++d) r[d] += f[d];  // residual
  }
  if (m.memory()) {
    const Vec read = naive_memory(m, u, r, out.memory);
    for (std::size_t d = 0; d < m.D; ++d) r[d] += read[d];  // residual
  }
  return r;
}

// phi of unit u given its input z, the population state h (units mode) and the past tick
// samples of the whole population's drive (oldest first; time mode).
inline UnitOut naive_unit(const RefModel& m, std::size_t u, const Vec& z, const Vec& h,
                          const std::vector<Vec>& past) {
  UnitOut out;
  Vec r;
  if (m.attention()) {
    Mat Z;
    if (m.units_mode) {
      for (std::size_t j : m.pre[u]) Z.push_back(slice(h, j * m.D, m.D));
      Z.push_back(z);  // the unit's own input, last
    } else {
      const std::size_t n = std::min(past.size(), m.c - 1);
      for (std::size_t i = past.size() - n; i < past.size(); ++i) Z.push_back(slice(past[i], u * m.D, m.D));
      Z.push_back(z);
    }
    r = naive_r(m, u, z, Z, out);
  } else {
    r = naive_memory(m, u, z, out.memory);
  }
  out.phi.resize(m.D);
  for (std::size_t d = 0; d < m.D; ++d) out.phi[d] = std::tanh(r[d]);
  return out;
}

// dh/dt = (-h + phi) / tau for the whole population.
inline Vec naive_dhdt(const RefModel& m, const Vec& h, const Vec& z, const std::vector<Vec>& past) {
  Vec f(h.size());
  for (std::size_t u = 0; u < m.U; ++u) {
    const UnitOut o = naive_unit(m, u, slice(z, u * m.D, m.D), h, past);
    for (std::size_t d = 0; d < m.D; ++d) f[u * m.D + d] = (-h[u * m.D + d] + o.phi[d]) / m.tau;
  }
  return f;
}

// The network of one population: z = W_in u + W_rec h (dense copies of the projections).
struct RefNet {
  RefModel m;
  Mat w_in, w_rec;  // w_rec empty without a recurrent projection

  Vec drive(const Vec& h, const Vec& u) const {
    Vec z = matvec(w_in, u);
    if (!w_rec.empty()) {
      const Vec r = matvec(w_rec, h);
      for (std::size_t i = 0; i < z.size(); ++i) z[i] += r[i];
    }
    return z;
  }
};

// One lane simulated token by token with the integrator's own steps (Euler or classic RK4).
// During token k the past rows are the tick samples z(t_{k-1}), ..., z(t_{k-c+1}); with
// `end_samples` they are instead z at the END of tokens (a deliberately wrong variant).
struct NaiveLane {
  const RefNet& net;
  Vec h;
  std::vector<Vec> ticks;  // every tick sample so far, oldest first

  std::vector<Vec> past() const {
    return ticks.empty() ? ticks : std::vector<Vec>(ticks.begin(), ticks.end() - 1);
  }
  void token(const Vec& u, const std::string& method, std::size_t substeps, double T,
             bool end_samples = false) {
    if (!end_samples) ticks.push_back(net.drive(h, u));
    const std::vector<Vec> p = end_samples ? ticks : past();
    auto f = [&](const Vec& x) { return naive_dhdt(net.m, x, net.drive(x, u), p); };
    const double dt = T / static_cast<double>(substeps);
    for (std::size_t s = 0; s < substeps; ++s) {
      if (method == "euler") {
        const Vec k1 = f(h);
        for (std::size_t i = 0; i < h.size(); ++i) h[i] += dt * k1[i];
      } else {
        const Vec k1 = f(h);
        Vec x(h.size());
        for (std::size_t i = 0; i < h.size(); ++i) x[i] = h[i] + 0.5 * dt * k1[i];
        const Vec k2 = f(x);
        for (std::size_t i = 0; i < h.size(); ++i) x[i] = h[i] + 0.5 * dt * k2[i];
        const Vec k3 = f(x);
        for (std::size_t i = 0; i < h.size(); ++i) x[i] = h[i] + dt * k3[i];
        const Vec k4 = f(x);
        for (std::size_t i = 0; i < h.size(); ++i) h[i] += dt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      }
    }
    if (end_samples) ticks.push_back(net.drive(h, u));
  }
  // Attention / memory as recorded after the token: drive at the end of the token, same rows.
  UnitOut unit_after(std::size_t u, const Vec& input) const {
    const Vec z = net.drive(h, input);
    return naive_unit(net.m, u, slice(z, u * net.m.D, net.m.D), h, past());
  }
};

}  // namespace naive
