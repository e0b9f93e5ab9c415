// pysbi: the physics set-up (include/sbi/setup.hpp): parameters, benchmarks, stored morphing,
// observables, nuisance parameters, systematics.
//
// Ownership: a Setup's list-valued fields (benchmarks, observables, ...) and its morphing are
// returned as copies, so `setup.benchmarks.append(b)` changes nothing; assign a new list instead
// (`setup.benchmarks = setup.benchmarks + [b]`). Arrays inside a Python-side object
// (Benchmark.values, StoredMorphing.matrix) are NumPy views of that object's memory.
#include <fmt/ranges.h>

#include "common.hpp"
#include "sbi/setup.hpp"

namespace sbi::python {

namespace {

template <typename A>
bool same_shape(const A& a, const A& b) {
  return a.rows() == b.rows() && a.cols() == b.cols();
}

std::string values_string(const Vector& values) {
  std::vector<std::string> v;
  for (Index i = 0; i < values.size(); ++i) v.push_back(float_repr(values(i)));
  return fmt::format("[{}]", fmt::join(v, ", "));
}

std::pair<double, double> to_range(py::handle object) {
  const std::string error = fmt::format("range = {}: must be a pair (low, high) of numbers",
                                        py::repr(object).cast<std::string>());
  if (!py::isinstance<py::sequence>(object) || py::isinstance<py::str>(object)) throw InvalidArgument(error);
  const auto sequence = py::reinterpret_borrow<py::sequence>(object);
  if (sequence.size() != 2) throw InvalidArgument(error);
  try {
    return {sequence[0].cast<double>(), sequence[1].cast<double>()};
  } catch (const py::cast_error&) {
    throw InvalidArgument(error);
  }
}

ParameterSpace to_parameter_space(py::handle object) {
  if (py::isinstance<ParameterSpace>(object)) return object.cast<ParameterSpace>();
  return ParameterSpace(to_object_list<Parameter>(object, "parameters", "Parameter"));
}

Index normalise_index(Index i, Index size, const char* what) {
  const Index j = i < 0 ? i + size : i;
  if (j < 0 || j >= size) throw py::index_error(fmt::format("{} index {} out of range for {} {}s", what, i, size, what));
  return j;
}

std::string repr(const Parameter& p) {
  return fmt::format("Parameter(name={}, lha_block={}, lha_id={}, max_power={}, range=({}, {}), transform={})",
                     quoted(p.name), quoted(p.lha_block), p.lha_id, p.max_power, float_repr(p.range_low), float_repr(p.range_high),
                     quoted(p.transform));
}

std::string repr(const Benchmark& b) {
  return fmt::format("Benchmark(name={}, values={}, is_nuisance={}, is_reference={})", quoted(b.name),
                     values_string(b.values), b.is_nuisance ? "True" : "False", b.is_reference ? "True" : "False");
}

std::string repr(const Setup& s) {
  std::string out = fmt::format("Setup(parameters={}, benchmarks={}", join_quoted(s.parameters.names()),
                                join_quoted(s.benchmark_names()));
  if (s.morphing) out += fmt::format(", morphing=<{} components>", s.morphing->components.rows());
  if (!s.observables.empty()) out += fmt::format(", observables={}", join_quoted(s.observable_names()));
  if (!s.nuisance_parameters.empty()) out += fmt::format(", {} nuisance parameters", s.nuisance_parameters.size());
  if (!s.systematics.empty()) out += fmt::format(", {} systematics", s.systematics.size());
  if (s.finite_differences) out += ", finite_differences=<...>";
  return out + ")";
}

}  // namespace

bool safe_equal(const Benchmark& a, const Benchmark& b) { return same_shape(a.values, b.values) && a == b; }

bool safe_equal(const StoredMorphing& a, const StoredMorphing& b) {
  return same_shape(a.components, b.components) && same_shape(a.matrix, b.matrix) && a == b;
}

bool safe_equal(const Setup& a, const Setup& b) {
  if (a.benchmarks.size() != b.benchmarks.size()) return false;
  for (std::size_t i = 0; i < a.benchmarks.size(); ++i)
    if (!same_shape(a.benchmarks[i].values, b.benchmarks[i].values)) return false;
  if (a.morphing.has_value() != b.morphing.has_value()) return false;
  if (a.morphing && !safe_equal(*a.morphing, *b.morphing)) return false;
  return a == b;
}

void add_setup(py::module_& m) {
  // ---- Parameter ----
  py::class_<Parameter> parameter(m, "Parameter", R"doc(
One model parameter: a Wilson coefficient or any quantity that enters |M|^2 polynomially.

Parameter values (benchmark values, ranges, theta points) are dimensionless numbers in the
convention of the model (e.g. SMEFTsim's c_i at Lambda = 1 TeV); `transform` maps them to the
param-card value.

Fields:
    name (str): unique within the set-up ("cHW", "CWL2").
    lha_block (str): param-card block ("SMEFT", "dim6"); "" when not from MadGraph.
    lha_id (int): entry of the param-card block.
    max_power (int): highest power of this parameter in the squared matrix element (>= 1);
        2 for one dimension-six insertion interfering with the SM and squared.
    range (tuple[float, float]): range of interest (low, high), low < high, in the parameter's
        units; used for basis optimisation and priors.
    transform (str): param-card expression of theta ("16.52*theta"); "" means theta itself.
)doc");
  parameter
      .def(py::init([](std::string name, std::string lha_block, std::int64_t lha_id, int max_power, py::object range,
                       std::string transform) {
             const auto [low, high] = to_range(range);
             return Parameter{std::move(name), std::move(lha_block), lha_id, max_power, low, high, std::move(transform)};
           }),
           py::arg("name"), py::arg("lha_block") = "", py::arg("lha_id") = 0, py::arg("max_power") = 2,
           py::arg("range") = py::make_tuple(-1.0, 1.0), py::arg("transform") = "",
           "Creates a parameter. The values are checked when it joins a ParameterSpace.")
      .def_readwrite("name", &Parameter::name, "Name (str), unique within the set-up.")
      .def_readwrite("lha_block", &Parameter::lha_block, "Param-card block (str); empty when not from MadGraph.")
      .def_readwrite("lha_id", &Parameter::lha_id, "Entry of the param-card block (int).")
      .def_readwrite("max_power", &Parameter::max_power, "Highest power in the squared matrix element (int, >= 1).")
      .def_property(
          "range", [](const Parameter& p) { return py::make_tuple(p.range_low, p.range_high); },
          [](Parameter& p, py::object range) { std::tie(p.range_low, p.range_high) = to_range(range); },
          "Range of interest (low, high) in the parameter's units (dimensionless Wilson coefficient).")
      .def_readwrite("transform", &Parameter::transform,
                     "Param-card expression of theta, e.g. '16.52*theta'; '' means theta itself.")
      .def("__eq__", [](const Parameter& a, const Parameter& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const Parameter& p) { return repr(p); });
  add_copy(parameter);

  // ---- ParameterSpace ----
  py::class_<ParameterSpace> space(m, "ParameterSpace", R"doc(
The ordered, immutable list of parameters; the order defines the components of every theta
vector. Behaves like a read-only list: len(space), space[0], space[-1], space["cHW"], iteration,
"cHW" in space. Items are returned as copies.
)doc");
  space
      .def(py::init([](py::object parameters) { return to_parameter_space(parameters); }),
           py::arg("parameters") = py::list(),
           "Creates the space from a list of Parameter. Raises ValueError (pysbi.InvalidArgument) for an empty or "
           "duplicate name, max_power < 1, or a range that is not finite with low < high.")
      .def("__len__", [](const ParameterSpace& s) { return s.size(); })
      .def(
          "__getitem__",
          [](const ParameterSpace& s, Index i) { return s[normalise_index(i, s.size(), "parameter")]; },
          py::arg("index"), "The parameter at this position (negative counts from the end); IndexError if none.")
      .def(
          "__getitem__", [](const ParameterSpace& s, const std::string& name) { return s.at(name); }, py::arg("name"),
          "The parameter with this name; KeyError (pysbi.NotFound) if none.")
      .def(
          "__iter__", [](const ParameterSpace& s) { return py::iter(py::cast(s.parameters())); })
      .def("__contains__",
           [](const ParameterSpace& s, const std::string& name) {
             const auto names = s.names();
             return std::find(names.begin(), names.end(), name) != names.end();
           })
      .def("names", &ParameterSpace::names, "Parameter names (list[str]) in order.")
      .def("index_of", &ParameterSpace::index_of, py::arg("name"),
           "Position of the parameter with this name (int); KeyError (pysbi.NotFound) if none.")
      .def_property_readonly("parameters", &ParameterSpace::parameters, "The parameters (list[Parameter], a copy).")
      .def("__eq__", [](const ParameterSpace& a, const ParameterSpace& b) { return a == b; }, py::is_operator())
      .def("__repr__",
           [](const ParameterSpace& s) { return fmt::format("ParameterSpace({})", join_quoted(s.names(), 100)); });
  add_copy(space);

  // ---- Benchmark ----
  py::class_<Benchmark> benchmark(m, "Benchmark", R"doc(
A named point theta_b in parameter space.

Physical benchmarks come first in a set-up, in the column order of the morphing matrix; nuisance
benchmarks (systematic weight variations) follow.

Fields:
    name (str): unique within the set-up.
    values (ndarray float64, shape (n_parameters,)): theta_b in ParameterSpace order, in the
        parameters' units (dimensionless Wilson coefficients). A view of this object's memory.
    is_nuisance (bool): a nuisance benchmark (weight variation) rather than a physical one.
    is_reference (bool): the reference benchmark (at most one per set-up).
)doc");
  benchmark
      .def(py::init([](std::string name, py::object values, bool is_nuisance, bool is_reference) {
             return Benchmark{std::move(name), to_vector(values, "Benchmark.values"), is_nuisance, is_reference};
           }),
           py::arg("name"), py::arg("values"), py::arg("is_nuisance") = false, py::arg("is_reference") = false,
           "Creates a benchmark; `values` is a 1-D array-like with one value per parameter.")
      .def_readwrite("name", &Benchmark::name, "Name (str), unique within the set-up.")
      .def_property(
          "values", [](Benchmark& b) -> Vector& { return b.values; },
          [](Benchmark& b, py::object values) { set_vector(b.values, values, "Benchmark.values"); },
          "theta_b (ndarray float64, shape (n_parameters,)), dimensionless parameter values; a view.")
      .def_readwrite("is_nuisance", &Benchmark::is_nuisance, "True for a nuisance (weight-variation) benchmark.")
      .def_readwrite("is_reference", &Benchmark::is_reference, "True for the reference benchmark.")
      .def("__eq__", [](const Benchmark& a, const Benchmark& b) { return safe_equal(a, b); }, py::is_operator())
      .def("__repr__", [](const Benchmark& b) { return repr(b); });
  add_copy(benchmark);

  // ---- StoredMorphing ----
  py::class_<StoredMorphing> morphing(m, "StoredMorphing", R"doc(
The morphing stored in a file: components and the morphing matrix M with
w(theta) = M^T phi(theta), phi_c(theta) = prod_p theta_p ** components[c, p].

Fields:
    components (ndarray int64, shape (n_components, n_parameters)): powers of each component.
    matrix (ndarray float64, shape (n_components, n_physical_benchmarks)): dimensionless
        morphing matrix in MadMiner's orientation.
)doc");
  morphing
      .def(py::init([](py::object components, py::object matrix) {
             return StoredMorphing{to_int_row_matrix(components, "StoredMorphing.components"),
                                   to_row_matrix(matrix, "StoredMorphing.matrix")};
           }),
           py::arg("components"), py::arg("matrix"))
      .def_property(
          "components", [](StoredMorphing& s) -> IntRowMatrix& { return s.components; },
          [](StoredMorphing& s, py::object c) { s.components = to_int_row_matrix(c, "StoredMorphing.components"); },
          "Powers (ndarray int64, shape (n_components, n_parameters)); a view.")
      .def_property(
          "matrix", [](StoredMorphing& s) -> RowMatrix& { return s.matrix; },
          [](StoredMorphing& s, py::object x) { set_matrix(s.matrix, x, "StoredMorphing.matrix"); },
          "Morphing matrix M (ndarray float64, shape (n_components, n_physical_benchmarks)); a view.")
      .def("__eq__", [](const StoredMorphing& a, const StoredMorphing& b) { return safe_equal(a, b); },
           py::is_operator())
      .def("__repr__", [](const StoredMorphing& s) {
        return fmt::format("StoredMorphing(components: {}, matrix: {})", shape_string(s.components.rows(), s.components.cols()),
                           shape_string(s.matrix.rows(), s.matrix.cols()));
      });
  add_copy(morphing);

  // ---- Observable ----
  py::class_<Observable> observable(m, "Observable", R"doc(
An observable: a name and the definition it was computed from (an expression; "" when it was a
callable). Its values are in the units of the definition (MadMiner: GeV for momenta and masses,
radians for angles).
)doc");
  observable
      .def(py::init([](std::string name, std::string definition) {
             return Observable{std::move(name), std::move(definition)};
           }),
           py::arg("name"), py::arg("definition") = "")
      .def_readwrite("name", &Observable::name, "Name (str), unique within the set-up.")
      .def_readwrite("definition", &Observable::definition, "Expression (str), e.g. 'j[0].pt'; '' when unknown.")
      .def("__eq__", [](const Observable& a, const Observable& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const Observable& o) {
        return fmt::format("Observable(name={}, definition={})", quoted(o.name), quoted(o.definition));
      });
  add_copy(observable);

  // ---- NuisanceParameter ----
  py::class_<NuisanceParameter> nuisance(m, "NuisanceParameter", R"doc(
A nuisance parameter (dimensionless, in units of its 1-sigma variation) and the benchmarks of its
+1 sigma / -1 sigma weight variations ("" = none).
)doc");
  nuisance
      .def(py::init([](std::string name, std::string systematic, std::string positive, std::string negative) {
             return NuisanceParameter{std::move(name), std::move(systematic), std::move(positive), std::move(negative)};
           }),
           py::arg("name"), py::arg("systematic") = "", py::arg("benchmark_positive") = "",
           py::arg("benchmark_negative") = "")
      .def_readwrite("name", &NuisanceParameter::name, "Name (str).")
      .def_readwrite("systematic", &NuisanceParameter::systematic, "Name of the systematic it belongs to (str).")
      .def_readwrite("benchmark_positive", &NuisanceParameter::benchmark_positive,
                     "Benchmark of the +1 sigma variation (str); '' = none.")
      .def_readwrite("benchmark_negative", &NuisanceParameter::benchmark_negative,
                     "Benchmark of the -1 sigma variation (str); '' = none.")
      .def("__eq__", [](const NuisanceParameter& a, const NuisanceParameter& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const NuisanceParameter& n) {
        return fmt::format("NuisanceParameter(name={}, systematic={}, benchmark_positive={}, benchmark_negative={})",
                           quoted(n.name), quoted(n.systematic), quoted(n.benchmark_positive),
                           quoted(n.benchmark_negative));
      });
  add_copy(nuisance);

  // ---- Systematic ----
  py::class_<Systematic> systematic(m, "Systematic", R"doc(
A systematic uncertainty as MadMiner stores it. `type` is "norm" (value: relative normalisation
uncertainty, dimensionless, e.g. "0.1"), "scale" (value: which scale, e.g. "mu"; scale: the factor
by which it is varied, e.g. "2.0") or "pdf" (value: the PDF set). Values are kept as the strings
of the file; scale "" = none.
)doc");
  systematic
      .def(py::init([](std::string name, std::string type, std::string value, std::string scale) {
             return Systematic{std::move(name), std::move(type), std::move(value), std::move(scale)};
           }),
           py::arg("name"), py::arg("type"), py::arg("value") = "", py::arg("scale") = "")
      .def_readwrite("name", &Systematic::name, "Name (str).")
      .def_readwrite("type", &Systematic::type, "'norm', 'scale' or 'pdf' (str).")
      .def_readwrite("value", &Systematic::value, "Value as stored (str).")
      .def_readwrite("scale", &Systematic::scale, "Scale factor as stored (str); '' = none.")
      .def("__eq__", [](const Systematic& a, const Systematic& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const Systematic& s) {
        return fmt::format("Systematic(name={}, type={}, value={}, scale={})", quoted(s.name), quoted(s.type),
                           quoted(s.value), quoted(s.scale));
      });
  add_copy(systematic);

  // ---- FiniteDifferences ----
  py::class_<FiniteDifferences> differences(m, "FiniteDifferences", R"doc(
MadMiner's finite-difference benchmarks: for each base benchmark, one benchmark shifted by
`epsilon` (in the parameters' units) along each parameter.
)doc");
  differences
      .def(py::init([](std::vector<std::string> base, std::vector<std::vector<std::string>> shifted, double epsilon) {
             return FiniteDifferences{std::move(base), std::move(shifted), epsilon};
           }),
           py::arg("base_benchmarks") = std::vector<std::string>{},
           py::arg("shifted_benchmarks") = std::vector<std::vector<std::string>>{}, py::arg("epsilon") = 0.0)
      .def_readwrite("base_benchmarks", &FiniteDifferences::base_benchmarks, "Base benchmark names (list[str]).")
      .def_readwrite("shifted_benchmarks", &FiniteDifferences::shifted_benchmarks,
                     "Shifted benchmark names, one list of n_parameters per base benchmark (list[list[str]]).")
      .def_readwrite("epsilon", &FiniteDifferences::epsilon, "Shift (float) in the parameters' units.")
      .def("__eq__", [](const FiniteDifferences& a, const FiniteDifferences& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const FiniteDifferences& f) {
        return fmt::format("FiniteDifferences(base_benchmarks={}, epsilon={})", join_quoted(f.base_benchmarks),
                           float_repr(f.epsilon));
      });
  add_copy(differences);

  // ---- Setup ----
  py::class_<Setup> setup(m, "Setup", R"doc(
Everything in a MadMiner file except the events: parameters, benchmarks (physical first, then
nuisance), the stored morphing, observables, nuisance parameters, systematics and
finite-difference benchmarks.

List-valued fields and `morphing` return copies: `setup.benchmarks.append(b)` changes nothing;
assign a new list (`setup.benchmarks = setup.benchmarks + [b]`). Nothing is checked on
assignment; call validate() (write_madminer_file does).
)doc");
  setup
      .def(py::init([](py::object parameters, py::object benchmarks, std::optional<StoredMorphing> morphing,
                       py::object observables, py::object nuisance_parameters, py::object systematics,
                       std::optional<FiniteDifferences> finite_differences) {
             Setup s;
             s.parameters = to_parameter_space(parameters);
             s.benchmarks = to_object_list<Benchmark>(benchmarks, "benchmarks", "Benchmark");
             s.morphing = std::move(morphing);
             s.observables = to_object_list<Observable>(observables, "observables", "Observable");
             s.nuisance_parameters =
                 to_object_list<NuisanceParameter>(nuisance_parameters, "nuisance_parameters", "NuisanceParameter");
             s.systematics = to_object_list<Systematic>(systematics, "systematics", "Systematic");
             s.finite_differences = std::move(finite_differences);
             return s;
           }),
           py::arg("parameters") = py::list(), py::arg("benchmarks") = py::list(), py::arg("morphing") = py::none(),
           py::arg("observables") = py::list(), py::arg("nuisance_parameters") = py::list(),
           py::arg("systematics") = py::list(), py::arg("finite_differences") = py::none(),
           "Creates a set-up; `parameters` is a ParameterSpace or a list of Parameter (checked at once), the other "
           "lists hold Benchmark, Observable, NuisanceParameter, Systematic objects.")
      .def_property(
          "parameters", [](const Setup& s) { return s.parameters; },
          [](Setup& s, py::object p) { s.parameters = to_parameter_space(p); },
          "The parameters (ParameterSpace); assign a ParameterSpace or a list of Parameter.")
      .def_property(
          "benchmarks", [](const Setup& s) { return s.benchmarks; },
          [](Setup& s, py::object b) { s.benchmarks = to_object_list<Benchmark>(b, "benchmarks", "Benchmark"); },
          "Benchmarks (list[Benchmark], a copy), physical first then nuisance.")
      .def_property(
          "morphing", [](const Setup& s) { return s.morphing; },
          [](Setup& s, std::optional<StoredMorphing> x) { s.morphing = std::move(x); },
          "The stored morphing (StoredMorphing, a copy) or None.")
      .def_property(
          "observables", [](const Setup& s) { return s.observables; },
          [](Setup& s, py::object o) { s.observables = to_object_list<Observable>(o, "observables", "Observable"); },
          "Observables (list[Observable], a copy), in the column order of Events.observations.")
      .def_property(
          "nuisance_parameters", [](const Setup& s) { return s.nuisance_parameters; },
          [](Setup& s, py::object o) {
            s.nuisance_parameters = to_object_list<NuisanceParameter>(o, "nuisance_parameters", "NuisanceParameter");
          },
          "Nuisance parameters (list[NuisanceParameter], a copy).")
      .def_property(
          "systematics", [](const Setup& s) { return s.systematics; },
          [](Setup& s, py::object o) { s.systematics = to_object_list<Systematic>(o, "systematics", "Systematic"); },
          "Systematics (list[Systematic], a copy).")
      .def_property(
          "finite_differences", [](const Setup& s) { return s.finite_differences; },
          [](Setup& s, std::optional<FiniteDifferences> f) { s.finite_differences = std::move(f); },
          "Finite-difference benchmarks (FiniteDifferences, a copy) or None.")
      .def("benchmark_values", &Setup::benchmark_values,
           "Benchmark values (ndarray float64, shape (n_benchmarks, n_parameters)), dimensionless parameter values.")
      .def("benchmark_names", &Setup::benchmark_names, "Benchmark names (list[str]) in order.")
      .def("observable_names", &Setup::observable_names, "Observable names (list[str]) in order.")
      .def("benchmark_index", &Setup::benchmark_index, py::arg("name"),
           "Position of the benchmark with this name (int); KeyError (pysbi.NotFound) if none.")
      .def("n_physical_benchmarks", &Setup::n_physical_benchmarks,
           "Number of physical (non-nuisance) benchmarks (int); they come first.")
      .def(
          "reference_benchmark",
          [](const Setup& s) -> std::optional<Index> {
            const Index r = s.reference_benchmark();
            return r < 0 ? std::nullopt : std::optional<Index>(r);
          },
          "Index (int) of the benchmark flagged as reference, or None when none is flagged.")
      .def("validate", &Setup::validate,
           "Checks internal consistency (unique names, benchmark dimensions, physical benchmarks first, at most one "
           "reference, morphing shapes, finite values). Raises ValueError (pysbi.InvalidArgument) naming the field.")
      .def("__eq__", [](const Setup& a, const Setup& b) { return safe_equal(a, b); }, py::is_operator())
      .def("__repr__", [](const Setup& s) { return repr(s); });
  add_copy(setup);
}

}  // namespace sbi::python
