// ransim.run(): one scenario from start to finish, as `ransim run` does, with the GIL released
// while it simulates. With record=True the recorded series come back as numpy arrays, read
// from the recording the run wrote (a temporary file unless out= or record.file names one).
#include <cstdlib>
#include <filesystem>

#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "ransim/error.hpp"
#include "run/run.hpp"

#include "bindings.hpp"

namespace ransim::python {

namespace {

namespace fs = std::filesystem;

// A fresh directory for a recording nobody asked to keep; removed when this goes.
struct TemporaryDirectory {
  fs::path path;
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "ransim_python_XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw RunError("cannot create a temporary directory in " + fs::temp_directory_path().string());
    path = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Every series of a recording: "POP.VARIABLE" for /processing, "input" and "target".
py::dict read_series(const std::string& path) {
  const Hdf5File file(path);
  std::vector<std::pair<std::string, std::string>> series;  // name, group
  for (auto& pop : file.children(layout::processing::kGroup))
    for (auto& var : file.children(layout::processing::population(pop)))
      series.push_back({pop + "." + var, layout::processing::variable(pop, var)});
  series.push_back({"input", layout::acquisition::kInput});
  series.push_back({"target", layout::acquisition::kTarget});
  py::dict out;
  for (auto& [name, group] : series) {
    const std::string data = layout::series_data(group);
    if (!file.shape(data)) continue;
    Array a = file.array(data);
    out[py::str(name)] = owned_array(std::move(a.values), a.shape);
  }
  return out;
}

py::dict result_dict(const RunResult& r) {
  py::dict d;
  d["status"] = to_string(r.status);
  d["message"] = r.message;
  d["metrics"] = r.metrics;
  d["tokens"] = r.tokens;
  d["steps"] = r.steps;
  d["state_size"] = r.state_size;
  d["lanes"] = r.lanes;
  d["fixed_weights"] = r.fixed_weights;
  d["readout_weights"] = r.readout_weights;
  d["wall_seconds"] = r.wall_seconds;
  d["out"] = r.out;
  return d;
}

py::dict run_scenario(py::handle scenario, bool record, std::string out, bool overwrite, py::handle set,
                      py::kwargs overrides) {
  py::dict sets;
  if (!set.is_none()) {
    if (!py::isinstance<py::dict>(set)) throw InputError("set: expected a dict of dotted keys to values");
    sets = set.cast<py::dict>();
  }
  for (auto [k, v] : overrides) sets[k] = v;
  const Scenario sc = scenario_from(scenario, sets);

  std::optional<TemporaryDirectory> scratch;
  if (out.empty()) out = sc.record.string("file");
  if (!out.empty()) check_recording_target(out, overwrite);
  if (out.empty() && record) {
    scratch.emplace();
    out = (scratch->path / "run.h5").string();
  }

  InterruptGuard interrupt;
  RunOptions opts;
  opts.out = out;
  opts.command_line = "ransim.run (Python)";
  opts.stop = interrupt.flag();
  RunResult result;
  {
    py::gil_scoped_release release;
    result = run(sc, opts);
  }
  interrupt.raise_if_requested();
  py::dict d = result_dict(result);
  if (scratch) d["out"] = py::none();  // the temporary recording goes with this call
  if (record) d["series"] = read_series(result.out.empty() ? out : result.out);
  return d;
}

}  // namespace

void bind_run(py::module_& m) {
  m.def("run", &run_scenario, py::arg("scenario"), py::arg("record") = false, py::arg("out") = "",
        py::arg("overwrite") = false, py::arg("set") = py::none(),
        R"(Runs a scenario to the end, as `ransim run` does, and returns a dict: status, message,
metrics (a dict), tokens, steps, state_size, lanes, fixed_weights, readout_weights,
wall_seconds, out (the recording written, if any); with record=True also series, a dict of
numpy arrays ("POP.VARIABLE" [tokens, lanes, ...], "input", "target").

scenario: a path, TOML text or a dict of the scenario's tables. Overrides as --set gives
them: keyword arguments with dotted keys (**{"population.res.tau": 2.0}, seed=7) or a
set= dict. out: the recording (default: the scenario's record.file; with record=True and
neither, a temporary file); an existing file is replaced only with overwrite=True.
Raises InputError for bad input and KeyboardInterrupt on Ctrl-C (the recording is then
finished as interrupted); a run that diverges or saturates returns its status and message.)");
}

}  // namespace ransim::python
