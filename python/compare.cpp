// ransim.compare(): `ransim compare` from Python. The table comes back as a list of dicts
// whose keys are the CSV's columns, read from the CSV text itself, so the two cannot differ.

#include "study/compare.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

// A CSV field as a Python value: true/false, an integer, a real number ("null": NaN), or the text.
py::object field_value(const std::string& text) {
  if (text == "true" || text == "false") return py::bool_(text == "true");
  if (text == "null") return py::float_(NAN);
  if (text.empty()) return py::str(text);
  std::size_t used = 0;
  try {
    if (text.find_first_not_of("+-0123456789") == std::string::npos) {
      const long long v = std::stoll(text, &used);
      if (used == text.size()) return py::int_(v);
    }
    const double v = std::stod(text, &used);
    if (used == text.size()) return py::float_(v);
  } catch (const std::exception&) {  // not a number: the text
  }
  return py::str(text);
}

py::list csv_rows(const std::string& csv) {
  const py::object reader =
      py::module_::import("csv").attr("DictReader")(py::module_::import("io").attr("StringIO")(csv));
  py::list rows;
  for (auto record : reader) {
    py::dict row;
    for (auto [column, text] : record.cast<py::dict>()) {
      const std::string name = py::str(column);
      const bool label = name == "task" || name == "metric" || name == "model";
      row[column] = label ? py::reinterpret_borrow<py::object>(text) : field_value(text.cast<std::string>());
    }
    rows.append(row);
  }
  return rows;
}

py::list compare(const std::string& config, bool quick, const std::string& out, py::handle set,
                 py::kwargs overrides) {
  py::dict sets;
  if (!set.is_none()) sets = py::dict(py::reinterpret_borrow<py::object>(set));
  for (auto [k, v] : overrides) sets[k] = v;
  const CompareConfig cfg = load_compare(config, quick, set_strings(sets));
  InterruptGuard interrupt;
  CompareResult result;
  {
    py::gil_scoped_release release;
    result = run_compare(cfg, interrupt.flag());
    if (!out.empty() && !interrupt.requested()) write_compare_outputs(cfg, result, out);
  }
  interrupt.raise_if_requested();
  return csv_rows(compare_csv(cfg, result));
}

}  // namespace

void bind_compare(py::module_& m) {
  m.def("compare", &compare, py::arg("config"), py::arg("quick") = false, py::arg("out") = "",
        py::arg("set") = py::none(),
        R"(Runs a comparison config as `ransim compare` does (docs/compare.md) and returns its table:
a list of dicts, one per row, keyed by the CSV's columns (task, metric, higher_is_better,
model, the swept keys, mean, std, completed, runs, ...; numbers as int or float, an empty
value as NaN). quick: the config's --quick selection; out: a prefix to also write the
markdown, CSV, JSON, HDF5 and figures; overrides (keyword arguments with dotted keys, or
set=) apply to every run, like --set. Ctrl-C stops it with KeyboardInterrupt.)");
}

}  // namespace ransim::python
