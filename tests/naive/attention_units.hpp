#pragma once
// The attention population models (cortex_qkv, hippocampus_memory, attention_block) written
// with plain loops over std::vector, straight from the equations of their READMEs
// (q = W_q z, K = Z W_k^T, V = Z W_v^T, softmax, W_o V^T a, the memory sum), with their own
// working-memory bookkeeping (a list of every tick sample), their own drive (dense copies of
// the projections' weights) and their own Euler and RK4 steps: the independent reference for
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

// The weights of one population, per unit (shared ones repeated), as the test reads them from
// the plugin's recorded weights.
struct RefModel {
  std::string kind;
  std::size_t U = 0, D = 0, c = 1, k = 0, S = 0;
  double tau = 1, temperature = 1;
  bool units_mode = false;
  std::string activation;
  std::vector<Mat> Wq, Wk, Wv, Wo, Km, Vm;  // per unit (shared ones repeated)
  std::vector<Vec> bm;
  std::vector<std::vector<std::size_t>> pre;

  bool attention() const { return kind != "hippocampus_memory"; }
  bool memory() const { return kind != "cortex_qkv"; }
  std::size_t att_rows() const { return units_mode ? k + 1 : c; }
};

struct UnitOut {
  Vec phi, attention, memory;
};

// Attention of unit u: query from z, keys/values from the rows Z (oldest first).
inline Vec naive_attention(const RefModel& m, std::size_t u, const Vec& z, const Mat& Z, Vec& a) {
  const Vec q = matvec(m.Wq[u], z);
  Vec s(Z.size());
  Mat V(Z.size());
  for (std::size_t r = 0; r < Z.size(); ++r) {
    const Vec k = matvec(m.Wk[u], Z[r]);  // row r of K = Z W_k^T
    V[r] = matvec(m.Wv[u], Z[r]);         // row r of V = Z W_v^T
    s[r] = dot(k, q) / (std::sqrt(static_cast<double>(m.D)) * m.temperature);
  }
  a = softmax(s);
  Vec vta(m.D, 0.0);  // V^T a
  for (std::size_t r = 0; r < Z.size(); ++r)
    for (std::size_t d = 0; d < m.D; ++d) vta[d] += V[r][d] * a[r];
  return matvec(m.Wo[u], vta);
}

// Memory read of unit u: sum_s f(k_s . y + b_s) v_s; the activations go to `mem`.
inline Vec naive_memory(const RefModel& m, std::size_t u, const Vec& y, Vec& mem) {
  mem.assign(m.S, 0.0);
  for (std::size_t s = 0; s < m.S; ++s) mem[s] = dot(m.Km[u][s], y) + m.bm[u][s];
  if (m.activation == "relu")
    for (auto& v : mem) v = v > 0 ? v : 0.0;
  else if (m.activation == "gelu")
    for (auto& v : mem) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  else mem = softmax(mem);
  Vec r(m.D, 0.0);
  for (std::size_t s = 0; s < m.S; ++s)
    for (std::size_t d = 0; d < m.D; ++d) r[d] += mem[s] * m.Vm[u][s][d];
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
    Vec a;
    r = naive_attention(m, u, z, Z, a);
    out.attention.assign(m.att_rows() - a.size(), 0.0);  // masked rows first
    out.attention.insert(out.attention.end(), a.begin(), a.end());
    if (m.memory()) {
      const Vec read = naive_memory(m, u, r, out.memory);
      for (std::size_t d = 0; d < m.D; ++d) r[d] += read[d];  // residual
    }
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
