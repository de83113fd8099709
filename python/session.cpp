// ransim.Session: one scenario stepped token by token from Python. A population's state is a
// numpy view of the simulator's own memory (no copy) that keeps the Session alive; derived
// variables (attention, memory, ...) are computed on request into a new array.

#include "run/session.hpp"
#include "io/recorder.hpp"
#include "ransim/error.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

std::size_t population_index(const Session& s, const std::string& name) {
  const std::size_t p = s.network().find(name);
  if (p == static_cast<std::size_t>(-1)) {
    std::string names;
    for (auto& slot : s.network().populations()) names += (names.empty() ? "" : ", ") + slot.name;
    throw InputError("no population named '" + name + "' (populations: " + names + ")");
  }
  return p;
}

// The population's block of the global state (lanes fastest: variable v of lane b at
// v * lanes + b) seen as [lanes, units, dim] without copying; read-only, the Session its owner.
py::array state_view(py::object self, const std::string& population) {
  const Session& s = self.cast<const Session&>();
  const std::size_t p = population_index(s, population);
  const Population& model = *s.network().populations()[p].model;
  const std::size_t lanes = s.network().lanes(), dim = model.unit_dim(), units = model.units();
  if (units * dim != model.state_size())
    throw InputError(population + ": its state (" + std::to_string(model.state_size()) +
                     " values per lane) is not units x dim; read it with variable('" + population +
                     "', 'state')");
  const ConstBlock block = s.network().block(s.simulator().state().data(), p);
  const auto d = static_cast<py::ssize_t>(sizeof(double));
  py::array view(
      py::dtype::of<double>(),
      {static_cast<py::ssize_t>(lanes), static_cast<py::ssize_t>(units), static_cast<py::ssize_t>(dim)},
      {d, static_cast<py::ssize_t>(dim * lanes) * d, static_cast<py::ssize_t>(lanes) * d}, block.data, self);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

// A recordable of a population after the last token, [lanes, shape...] as recorded.
py::array variable(Session& s, const std::string& population, const std::string& name) {
  const std::size_t p = population_index(s, population);
  const auto recordables = s.network().populations()[p].model->recordables();
  std::string names;
  for (auto& r : recordables) {
    if (r.name == name) {
      std::vector<std::size_t> shape{s.network().lanes()};
      shape.insert(shape.end(), r.shape.begin(), r.shape.end());
      return owned_array(s.sample(p, name), shape);
    }
    names += (names.empty() ? "" : ", ") + r.name;
  }
  throw InputError(population + ": no variable named '" + name + "' (it has: " + names + ")");
}

Value to_value(py::handle v, const std::string& key) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::hasattr(v, "__float__")) return v.attr("__float__")().cast<double>();
  throw InputError(key + ": expected a number, bool or string, found a " +
                   std::string(py::str(py::type::of(v).attr("__name__"))));
}

// Steps up to n tokens with the GIL released; Ctrl-C stops between tokens (KeyboardInterrupt,
// the session intact at the token reached). Returns the tokens done.
std::size_t step(Session& s, std::int64_t tokens) {
  const std::size_t n = count(tokens, "step: n");
  std::size_t done = 0;
  InterruptGuard interrupt;
  {
    py::gil_scoped_release release;
    while (done < n && !interrupt.requested() && s.step()) ++done;
  }
  interrupt.raise_if_requested();
  return done;
}

py::array_t<double> matrix_array(const arma::mat& m) {  // (rows, cols), a copy
  py::array_t<double> out({m.n_rows, m.n_cols});
  auto a = out.mutable_unchecked<2>();
  for (arma::uword i = 0; i < m.n_rows; ++i)
    for (arma::uword j = 0; j < m.n_cols; ++j) a(i, j) = m(i, j);
  return out;
}

// A 2-d array, or a 1-d one as a column (a bias vector).
arma::mat to_matrix(const py::array_t<double, py::array::forcecast>& w, const std::string& what) {
  if (w.ndim() == 1) {
    auto v = w.unchecked<1>();
    arma::mat m(v.shape(0), 1);
    for (py::ssize_t i = 0; i < v.shape(0); ++i) m(i, 0) = v(i);
    return m;
  }
  if (w.ndim() != 2)
    throw InputError(what + ": expected a 1-d or 2-d array, found " + std::to_string(w.ndim()) + "-d");
  auto a = w.unchecked<2>();
  arma::mat m(a.shape(0), a.shape(1));
  for (py::ssize_t i = 0; i < a.shape(0); ++i)
    for (py::ssize_t j = 0; j < a.shape(1); ++j) m(i, j) = a(i, j);
  return m;
}

std::unique_ptr<Session> make_session(py::handle scenario, const std::string& out, bool overwrite,
                                      py::handle set, py::kwargs overrides) {
  py::dict sets;
  if (!set.is_none()) sets = py::dict(py::reinterpret_borrow<py::object>(set));
  for (auto [k, v] : overrides) sets[k] = v;
  const Scenario sc = scenario_from(scenario, sets);
  const std::string target = out.empty() ? sc.record.string("file") : out;
  if (!target.empty()) check_recording_target(target, overwrite);
  return std::make_unique<Session>(sc, SessionOptions{out, "ransim.Session (Python)", nullptr});
}

}  // namespace

void bind_session(py::module_& m) {
  py::class_<Session>(m, "Session", R"(One scenario stepped token by token (docs/python.md).

Session(scenario, out="", overwrite=False, set=None, **overrides): scenario and overrides as
for run(); out (or the scenario's record.file) records the session.)")
      .def(py::init(&make_session), py::arg("scenario"), py::arg("out") = "", py::arg("overwrite") = false,
           py::arg("set") = py::none())
      .def("step", &step, py::arg("n") = 1,
           "Advances up to n tokens (fewer once the run ends); returns how many were done. Ctrl-C "
           "stops between tokens with KeyboardInterrupt.")
      .def(
          "finish",
          [](Session& s) {
            s.finish();
            return s.metrics();
          },
          "Ends the run: computes the metrics (returned) and finishes the recording.")
      .def_property_readonly("token", &Session::token, "tokens done")
      .def_property_readonly("total", &Session::total, "tokens of the whole run")
      .def_property_readonly("done", &Session::done)
      .def_property_readonly("status", [](const Session& s) { return std::string(to_string(s.status())); })
      .def_property_readonly("message", &Session::message)
      .def_property_readonly("metrics", &Session::metrics)
      .def_property_readonly(
          "time", [](const Session& s) { return s.simulator().time(); }, "s of simulated time")
      .def_property_readonly("lanes", [](const Session& s) { return s.network().lanes(); })
      .def_property_readonly("populations",
                             [](const Session& s) {
                               std::vector<std::string> names;
                               for (auto& slot : s.network().populations()) names.push_back(slot.name);
                               return names;
                             })
      .def("state", &state_view, py::arg("population"),
           "The population's state as a read-only numpy view [lanes, units, dim] of the simulator's "
           "memory (no copy; it follows the session as it steps and keeps the session alive).")
      .def("variable", &variable, py::arg("population"), py::arg("name"),
           "A recordable variable after the last token, [lanes, shape...], computed into a new array.")
      .def(
          "attention", [](Session& s, const std::string& p) { return variable(s, p, "attention"); },
          py::arg("population"), "variable(population, 'attention')")
      .def(
          "memory", [](Session& s, const std::string& p) { return variable(s, p, "memory"); },
          py::arg("population"), "variable(population, 'memory')")
      .def(
          "variables",
          [](const Session& s, const std::string& p) {
            std::vector<std::string> names;
            for (auto& r : s.network().populations()[population_index(s, p)].model->recordables())
              names.push_back(r.name);
            return names;
          },
          py::arg("population"), "The names of a population's recordable variables.")
      .def(
          "input",
          [](const Session& s) {
            std::vector<double> u = s.input();
            const std::size_t lanes = s.network().lanes(), inputs = u.size() / lanes;
            return owned_array(std::move(u), {inputs, lanes});
          },
          "The input presented at the last token, [input_dim, lanes].")
      .def(
          "set_parameter",
          [](Session& s, const std::string& population, const std::string& name, py::handle value) {
            s.set_parameter(population, name, to_value(value, population + "." + name));
          },
          py::arg("population"), py::arg("name"), py::arg("value"),
          "Changes a live parameter (e.g. a leaky population's tau) from the next step on; "
          "InputError for a bad value or a parameter that cannot change.")
      .def(
          "live_parameters",
          [](const Session& s, const std::string& p) {
            return s.network().populations()[population_index(s, p)].model->live_parameters();
          },
          py::arg("population"))
      .def(
          "weights",
          [](const Session& s, const std::string& p) {
            py::dict out;
            for (auto& [name, w] : s.network().populations()[population_index(s, p)].model->weights())
              out[py::str(name)] = matrix_array(w);
            return out;
          },
          py::arg("population"), "A population's fixed weights (name: 2-d array, a copy).")
      .def("settable_weights", &Session::settable_weights,
           "The weights set_weight takes: 'POP.WEIGHT' and sparse projections' names.")
      .def(
          "set_weight",
          [](Session& s, const std::string& name, const py::array_t<double, py::array::forcecast>& w) {
            s.set_weight(name, to_matrix(w, "set_weight"));
          },
          py::arg("name"), py::arg("value"),
          "Replaces a population's trainable weight ('POP.WEIGHT', e.g. 'res.bias', shaped as weights() "
          "shows it) or a sparse projection's matrix (its name; zeros outside the sparsity), from the next "
          "step on.")
      .def_property_readonly("readout_trained", &Session::readout_trained)
      .def(
          "readout", [](const Session& s) { return matrix_array(s.readout()); },
          "The ridge readout's weights, (features + 1, outputs) with the bias last (a copy; empty "
          "until fitted).")
      .def(
          "set_readout",
          [](Session& s, const py::array_t<double, py::array::forcecast>& w) { s.set_readout(to_matrix(w, "set_readout")); },
          py::arg("weights"), "Replaces the readout's weights (same shape as readout()).")
      .def(
          "fit_readout",
          [](Session& s, double ridge) {
            py::gil_scoped_release release;
            s.fit_readout(ridge);
          },
          py::arg("ridge"), "Fits the ridge readout again on the training tokens with this ridge.")
      .def(
          "prediction",
          [](Session& s) -> py::object {
            auto y = s.prediction();
            if (!y) return py::none();
            const std::size_t lanes = s.network().lanes(), outputs = y->size() / lanes;
            return owned_array(std::move(*y), {outputs, lanes});
          },
          "The readout's output for the last token, [outputs, lanes]; None before it is fitted.")
      .def("start_recording", &Session::start_recording, py::arg("path"))
      .def("stop_recording", &Session::stop_recording)
      .def_property_readonly("recording", &Session::recording);
}

}  // namespace ransim::python
