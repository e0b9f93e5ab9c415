// pysbi: MadMiner-layout HDF5 files (include/sbi/madminer_file.hpp).
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "common.hpp"
#include "sbi/madminer_file.hpp"

namespace sbi::python {

// File access runs with the GIL released, so Python threads may read and write files at once.
// HDF5 built without --enable-threadsafe must not be entered from two threads, and a thread-safe
// build serialises every call on its own global lock anyway: one lock (hdf5_mutex(), common.hpp,
// shared with samples.cpp and sampler.cpp) costs nothing and is safe with either build.

void add_io(py::module_& m) {
  py::class_<MadMinerFile> file(m, "MadMinerFile", R"doc(
The content of a MadMiner HDF5 file.

Fields:
    setup (Setup): parameters, benchmarks, morphing, observables, ...
    events (Events or None): present when the file has samples/observations and samples/weights
        (weights in pb).
    sample_summary (SampleSummary or None): present when the file has sample_summary (current
        layout). When writing events without one, it is derived from the sampling benchmarks.

`setup`, `events` and `sample_summary` are references into this object (no copies): changes
through them change the file object. Setting `events` or `sample_summary` to None destroys the
object held there; do not use references to it obtained earlier.
)doc");
  file.def(py::init([](std::optional<Setup> setup, std::optional<Events> events,
                       std::optional<SampleSummary> summary) {
             return MadMinerFile{setup ? std::move(*setup) : Setup{}, std::move(events), std::move(summary), {}};
           }),
           py::arg("setup") = py::none(), py::arg("events") = py::none(), py::arg("sample_summary") = py::none(),
           "Creates a file object (setup defaults to an empty Setup). Setup and events are copied in.")
      .def_property(
          "setup", [](MadMinerFile& f) -> Setup& { return f.setup; },
          [](MadMinerFile& f, const Setup& s) { f.setup = s; }, "The set-up (Setup), a reference into this object.")
      .def_property(
          "events", [](MadMinerFile& f) -> Events* { return f.events ? &*f.events : nullptr; },
          [](MadMinerFile& f, py::object value) {
            if (value.is_none()) return f.events.reset();
            if (!py::isinstance<Events>(value))
              throw py::type_error("MadMinerFile.events must be an Events object or None");
            const Events& e = value.cast<const Events&>();
            if (f.events && &e == &*f.events) return;
            // Copy-assign into the held object: references to it, and views of its arrays when the
            // shapes agree, stay valid.
            if (f.events) *f.events = e;
            else f.events = e;
          },
          "The events (Events, weights in pb) or None; a reference into this object.")
      .def_property(
          "sample_summary", [](MadMinerFile& f) -> SampleSummary* { return f.sample_summary ? &*f.sample_summary : nullptr; },
          [](MadMinerFile& f, py::object value) {
            if (value.is_none()) return f.sample_summary.reset();
            if (!py::isinstance<SampleSummary>(value))
              throw py::type_error("MadMinerFile.sample_summary must be a SampleSummary object or None");
            const SampleSummary& s = value.cast<const SampleSummary&>();
            if (f.sample_summary && &s == &*f.sample_summary) return;
            if (f.sample_summary) *f.sample_summary = s;
            else f.sample_summary = s;
          },
          "The sample summary (SampleSummary) or None; a reference into this object.")
      .def("__eq__",
           [](const MadMinerFile& a, const MadMinerFile& b) {
             if (a.events.has_value() != b.events.has_value()) return false;
             if (a.events && !safe_equal(*a.events, *b.events)) return false;
             return safe_equal(a.setup, b.setup) && a.sample_summary == b.sample_summary;
           },
           py::is_operator())
      .def("__repr__", [](const MadMinerFile& f) {
        return fmt::format("MadMinerFile(parameters={}, benchmarks={}, events={}, sample_summary={})",
                           join_quoted(f.setup.parameters.names()), join_quoted(f.setup.benchmark_names()),
                           f.events ? fmt::format("<{} events>", f.events->size()) : "None",
                           f.sample_summary ? "<SampleSummary>" : "None");
      });
  add_copy(file);

  m.def(
      "read_madminer_file",
      [](const std::filesystem::path& path, bool load_events, bool validate) {
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_madminer_file(path, ReadOptions{load_events, validate, {}});
      },
      py::arg("path"), py::arg("load_events") = true, py::arg("validate") = true,
      py::call_guard<py::gil_scoped_release>(), R"doc(
Reads a MadMiner HDF5 file (current layout, and the older one with parameters/ranges and no
sample_summary) and returns a MadMinerFile. Weights are in pb.

Args:
    path (str or os.PathLike): the file.
    load_events (bool): read samples/* (the events); False reads only the set-up and summary.
    validate (bool): check what was read (shapes, NaN/Inf weights or observables); turn off only
        to inspect a broken file.

Raises:
    FileNotFoundError (pysbi.FileNotFound): the path does not exist.
    OSError (pysbi.FormatError): not an HDF5 file, truncated or corrupt, a mandatory dataset is
        missing or has the wrong type or shape (the message names the file and dataset).
    ValueError (pysbi.DataError): invalid values, e.g. a NaN weight (the message names the event).

The GIL is released while the file is read (file access itself is serialised: HDF5 runs one
call at a time).
)doc");

  m.def(
      "write_madminer_file",
      [](const std::filesystem::path& path, const MadMinerFile& file) {
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        write_madminer_file(path, file);
      },
      py::arg("path"), py::arg("file"), py::call_guard<py::gil_scoped_release>(), R"doc(
Writes a MadMinerFile in MadMiner's HDF5 layout (float64, int64 and S256 datasets, "None" for
absent strings), atomically: the content goes to a temporary file beside `path`, renamed onto
`path` only when complete. Weights are written as given, in pb.

Raises:
    ValueError (pysbi.InvalidArgument): invalid set-up or event shapes.
    ValueError (pysbi.DataError): NaN or infinite weights or observables (the message names the
        dataset and the event index).
    OSError (pysbi.FileError): the file cannot be written (e.g. the directory does not exist).

The GIL is released while the file is written; do not modify `file` from another thread
meanwhile.
)doc");
}

}  // namespace sbi::python
