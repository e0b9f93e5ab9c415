// pysbi: weighted events and the sample summary (include/sbi/events.hpp).
//
// The arrays of an Events object are NumPy views of its C++ memory (no copy): `ev.weights[0, 1] = x`
// and `ev.weights *= 2` change the events. Assigning an array of the same shape copies into the
// existing buffer (earlier views stay valid); assigning one of another size reallocates, after which
// views taken earlier must not be used.
#include <fmt/ranges.h>

#include "common.hpp"
#include "sbi/events.hpp"

namespace sbi::python {

bool safe_equal(const Events& a, const Events& b) {
  auto same = [](const auto& x, const auto& y) { return x.rows() == y.rows() && x.cols() == y.cols(); };
  return same(a.observations, b.observations) && same(a.weights, b.weights) &&
         same(a.sampling_benchmarks, b.sampling_benchmarks) && same(a.process_ids, b.process_ids) && a == b;
}

void add_events(py::module_& m) {
  // ---- SampleSummary ----
  py::class_<SampleSummary> summary(m, "SampleSummary", R"doc(
MadMiner's sample summary: how many events were generated at each physical benchmark (for the
k-factors of samples generated at several benchmarks) and how many background events.

Fields:
    signal_events (list[int]): events generated per physical benchmark (counts).
    background_events (int): number of background events (count).
)doc");
  summary
      .def(py::init([](std::vector<std::int64_t> signal_events, std::int64_t background_events) {
             return SampleSummary{std::move(signal_events), background_events};
           }),
           py::arg("signal_events") = std::vector<std::int64_t>{}, py::arg("background_events") = 0)
      .def_readwrite("signal_events", &SampleSummary::signal_events,
                     "Events generated per physical benchmark (list[int], a copy; assign a new list to change).")
      .def_readwrite("background_events", &SampleSummary::background_events, "Number of background events (int).")
      .def("__eq__", [](const SampleSummary& a, const SampleSummary& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const SampleSummary& s) {
        return fmt::format("SampleSummary(signal_events=[{}], background_events={})", fmt::join(s.signal_events, ", "),
                           s.background_events);
      });
  add_copy(summary);

  // ---- Events ----
  py::class_<Events> events(m, "Events", R"doc(
N weighted events (DESIGN.md section 3).

Fields (NumPy views of the object's memory, no copies):
    observations (ndarray float64, shape (N, n_observables)): observables x, in the units of
        their definitions (MadMiner: GeV for momenta and masses).
    weights (ndarray float64, shape (N, n_benchmarks)): benchmark weights dsigma_b at each event,
        in pb; the sum over events of column b is the cross section at benchmark b.
    sampling_benchmarks (ndarray int64, shape (N,)): benchmark each event was generated at
        (index into the set-up's benchmarks); -1 = background.
    process_ids (ndarray int64, shape (N,) or (0,)): process label per event, 0 = signal,
        k >= 1 = background process k; empty = derive from sampling_benchmarks.
    process_names (list[str]): names indexed by process_ids; empty = ["signal", "background"].

Shapes are checked against a set-up by validate(setup) (write_madminer_file does); arrays with
the wrong number of dimensions or a non-numeric dtype are rejected on assignment (ValueError).
)doc");
  events
      .def(py::init([](py::object observations, py::object weights, py::object sampling_benchmarks,
                       py::object process_ids, std::vector<std::string> process_names) {
             Events e;
             if (!weights.is_none()) e.weights = to_row_matrix(weights, "Events.weights");
             if (!observations.is_none())
               e.observations = to_row_matrix(observations, "Events.observations");
             else
               e.observations.resize(e.weights.rows(), 0);  // a set-up without observables
             if (!sampling_benchmarks.is_none())
               e.sampling_benchmarks = to_int_vector(sampling_benchmarks, "Events.sampling_benchmarks");
             if (!process_ids.is_none()) e.process_ids = to_int_vector(process_ids, "Events.process_ids");
             e.process_names = std::move(process_names);
             return e;
           }),
           py::arg("observations") = py::none(), py::arg("weights") = py::none(),
           py::arg("sampling_benchmarks") = py::none(), py::arg("process_ids") = py::none(),
           py::arg("process_names") = std::vector<std::string>{},
           "Creates events from array-likes: observations (N, n_observables) in the observables' units "
           "(omitted: no observables, shape (N, 0)), weights (N, n_benchmarks) in pb, sampling_benchmarks (N,) "
           "int, optional process_ids (N,) int and process_names. The data are copied once.")
      .def_property(
          "observations", [](Events& e) -> RowMatrix& { return e.observations; },
          [](Events& e, py::object x) { set_matrix(e.observations, x, "Events.observations"); },
          "Observables x (ndarray float64, shape (N, n_observables)), in the observables' units; a view.")
      .def_property(
          "weights", [](Events& e) -> RowMatrix& { return e.weights; },
          [](Events& e, py::object x) { set_matrix(e.weights, x, "Events.weights"); },
          "Benchmark weights dsigma_b (ndarray float64, shape (N, n_benchmarks)) in pb; a view.")
      .def_property(
          "sampling_benchmarks", [](Events& e) -> IntVector& { return e.sampling_benchmarks; },
          [](Events& e, py::object x) { set_int_vector(e.sampling_benchmarks, x, "Events.sampling_benchmarks"); },
          "Benchmark index each event was generated at (ndarray int64, shape (N,)); -1 = background; a view.")
      .def_property(
          "process_ids", [](Events& e) -> IntVector& { return e.process_ids; },
          [](Events& e, py::object x) { set_int_vector(e.process_ids, x, "Events.process_ids"); },
          "Process label per event (ndarray int64, shape (N,), or empty); 0 = signal; a view.")
      .def_readwrite("process_names", &Events::process_names,
                     "Process names (list[str], a copy) indexed by process_ids; empty = ['signal', 'background'].")
      .def("__len__", &Events::size, "Number of events N.")
      .def_property_readonly("n_events", &Events::size, "Number of events N (int).")
      .def(
          "process_of",
          [](const Events& e, Index i) {
            if (i < 0 || i >= e.size())
              throw py::index_error(fmt::format("event index {} out of range for {} events", i, e.size()));
            return e.process_of(i);
          },
          py::arg("event"), "Process label (int) of event `event`: 0 = signal, k >= 1 = background process k.")
      .def("sampling_factors", &Events::sampling_factors, py::arg("summary") = py::none(),
           "Per-event k-factors (ndarray float64, shape (N,), dimensionless) for samples generated at several "
           "benchmarks: n_b / sum_b' n_b' from the summary's signal_events for an event generated at benchmark b, 1 "
           "for background; all 1 without a summary or with a single run.")
      .def("cross_sections", &Events::cross_sections, py::arg("summary") = py::none(),
           "Cross section per benchmark in pb (ndarray float64, shape (n_benchmarks,)): sum_i k_i w_ib with the "
           "k-factors of sampling_factors(summary).")
      .def("validate", &Events::validate, py::arg("setup"), py::arg("where") = "events",
           "Checks the events against a set-up: n_observables columns of observations, n_benchmarks columns of "
           "weights, N rows everywhere, finite values, sampling benchmarks in [-1, n_benchmarks). Raises ValueError "
           "(pysbi.InvalidArgument for shapes, pysbi.DataError for values, naming the dataset and event index). "
           "`where` names the source in the messages.")
      .def("__eq__", [](const Events& a, const Events& b) { return safe_equal(a, b); }, py::is_operator())
      .def("__repr__", [](const Events& e) {
        return fmt::format("Events(n_events={}, observations: {}, weights: {} pb)", e.size(),
                           shape_string(e.observations.rows(), e.observations.cols()),
                           shape_string(e.weights.rows(), e.weights.cols()));
      });
  add_copy(events);
}

}  // namespace sbi::python
