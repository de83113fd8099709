// ransim.analysis: the measures of `ransim analyze` (core/analysis, docs/analysis.md) on numpy
// arrays, and ransim.analyze(file): the analysis of a recording as the dict of its JSON.
#include "analysis/lyapunov.hpp"
#include "analysis/measures.hpp"
#include "analysis/recording_analysis.hpp"
#include "analysis/report.hpp"
#include "ransim/error.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

using Matrix = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A 2-d array (samples as rows; a 1-d array is one column) as an Armadillo matrix.
arma::mat to_mat(const Matrix& a, const char* what) {
  if (a.ndim() != 1 && a.ndim() != 2)
    throw InputError(std::string(what) + ": expected a 1-d or 2-d array, found " + std::to_string(a.ndim()) +
                     " dimensions");
  const std::size_t rows = static_cast<std::size_t>(a.shape(0));
  const std::size_t cols = a.ndim() == 2 ? static_cast<std::size_t>(a.shape(1)) : 1;
  // C order [rows, cols] is Armadillo's column-major (cols x rows): transposed once.
  return arma::mat(const_cast<double*>(a.data()), cols, rows, false, true).t();
}

py::array_t<double> to_array(const arma::vec& v) {
  return owned_array(arma::conv_to<std::vector<double>>::from(v), {v.n_elem});
}

analysis::LyapunovOptions lyapunov_options(std::int64_t settle, std::int64_t tokens, double separation,
                                           std::int64_t seed) {
  if (tokens == 0) throw InputError("largest_lyapunov: tokens must be at least 1");
  if (!(separation > 0)) throw InputError("largest_lyapunov: separation must be > 0");
  return {count(settle, "largest_lyapunov: settle"), count(tokens, "largest_lyapunov: tokens"), separation,
          count(seed, "largest_lyapunov: seed")};
}

}  // namespace

void bind_analysis(py::module_& m) {
  py::module_ a = m.def_submodule("analysis", "measures of recorded activity (docs/analysis.md)");
  a.def(
      "memory_curve",
      [](const Matrix& target, const Matrix& output) {
        return to_array(analysis::memory_curve(to_mat(target, "target"), to_mat(output, "output")));
      },
      py::arg("target"), py::arg("output"),
      "r^2(d) per column d: the squared correlation of output[:, d] with target[:, d] (0 without variance)");
  a.def(
      "normalised_entropy",
      [](const Matrix& weights, std::int64_t groups) {
        return to_array(
            analysis::normalised_entropy(to_mat(weights, "weights"), count(groups, "normalised_entropy: groups")));
      },
      py::arg("weights"), py::arg("groups") = 1,
      "per row: the entropy of its positive entries (scaled to sum 1) over log(their number), "
      "the mean over `groups` equal column blocks (heads)");
  a.def(
      "slot_usage",
      [](const Matrix& activations, double threshold) {
        const auto u = analysis::slot_usage(to_mat(activations, "activations"), threshold);
        py::dict d;
        d["slot_share"] = to_array(u.slot_share);
        d["sample_share"] = to_array(u.sample_share);
        d["mean_share"] = u.mean_share;
        d["dead"] = u.dead;
        return d;
      },
      py::arg("activations"), py::arg("threshold") = analysis::kDefaultSlotThreshold,
      "samples x slots: a slot is active where it exceeds threshold x the sample's largest (positive) value");
  a.def(
      "pca",
      [](const Matrix& samples) {
        const auto p = analysis::pca(to_mat(samples, "samples"));
        py::dict d;
        d["variance"] = to_array(p.variance);
        d["explained"] = to_array(p.explained);
        d["participation_ratio"] = p.participation_ratio;
        return d;
      },
      py::arg("samples"),
      "eigenvalues of the covariance (largest first), their shares, the participation ratio");
  a.def(
      "power_spectrum",
      [](const Matrix& signals, double rate, std::int64_t segment) {
        const auto s =
            analysis::power_spectrum(to_mat(signals, "signals"), rate, count(segment, "power_spectrum: segment"));
        return py::make_tuple(to_array(s.frequency), to_array(s.power));
      },
      py::arg("signals"), py::arg("rate"), py::arg("segment") = 0,
      "(frequency, power): Welch's one-sided density, Hann window, half overlap, averaged over columns");
  a.def(
      "largest_lyapunov",
      [](py::handle system, py::handle sets, std::int64_t settle, std::int64_t tokens, double separation,
         std::int64_t seed) {
        const auto o = lyapunov_options(settle, tokens, separation, seed);
        if (py::isinstance<py::array>(system))
          return analysis::largest_lyapunov(to_mat(Matrix::ensure(system), "map"), o);
        const Scenario sc = scenario_from(system, sets);
        py::gil_scoped_release free;
        return analysis::largest_lyapunov(sc, o);
      },
      py::arg("system"), py::arg("sets") = py::none(), py::arg("settle") = 300, py::arg("tokens") = 500,
      py::arg("separation") = 1e-8, py::arg("seed") = 1,
      "the largest Lyapunov exponent per token of a scenario's network (path, TOML text or dict) or of "
      "the linear map x -> system @ x (a square numpy array)");
  m.def(
      "analyze",
      [](const std::string& file, bool lyapunov, double slot_threshold) {
        analysis::AnalyzeOptions o;
        o.file = file;
        o.lyapunov = lyapunov;
        o.slot_threshold = slot_threshold;
        std::string json;
        {
          py::gil_scoped_release free;
          json = analysis::analysis_json(analysis::analyze_recording(o), {});
        }
        return py::module_::import("json").attr("loads")(json);
      },
      py::arg("file"), py::arg("lyapunov") = false,
      py::arg("slot_threshold") = analysis::kDefaultSlotThreshold,
      "the analysis of a recording (ransim analyze FILE --json) as a dict; writes no file");
}

}  // namespace ransim::python
