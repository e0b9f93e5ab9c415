// pysbi: morphing (include/sbi/morphing.hpp): components, square and over-complete bases, weights,
// gradients and Hessians at one θ or T points, morphed event weights, cross sections, the derivative
// checker and the basis optimisation.
//
// Shapes (row-major float64 NumPy arrays, C++ layouts reshaped without copies):
//   θ: (P,) for one point, (T, P) for T points; weights (B,) / (T, B);
//   gradients (P, B) / (T, P, B), [t, p, b] = ∂w_b/∂θ_p at point t;
//   Hessians (P, P, B) / (T, P, P, B), [t, p, q, b] = ∂²w_b/∂θ_p∂θ_q.
// Results are moved into NumPy arrays (no copy); the arrays of a Morphing (components, matrix,
// benchmark_points) are read-only views of the object's memory.
#include <string_view>

#include <cmath>

#include "common.hpp"
#include "sbi/morphing.hpp"

namespace sbi::python {

namespace {

using Shape = std::vector<py::ssize_t>;

py::ssize_t ss(Index i) { return static_cast<py::ssize_t>(i); }

Vector theta_of(const Morphing& morphing, py::handle theta, const char* field = "theta") {
  Vector v = to_vector(theta, field);
  check_size(v.size(), morphing.n_parameters(), field, "one value per parameter");
  return v;
}

RowMatrix thetas_of(const Morphing& morphing, py::handle thetas, const char* field = "thetas") {
  return to_row_matrix(thetas, field, morphing.n_parameters());
}

Vector benchmark_xs_of(const Morphing& morphing, py::handle sigma) {
  Vector v = to_vector(sigma, "benchmark_cross_sections");
  check_size(v.size(), morphing.n_benchmarks(), "benchmark_cross_sections", "one cross section in pb per benchmark");
  return v;
}

std::optional<Vector> optional_vector(py::handle object, const char* field) {
  if (object.is_none()) return std::nullopt;
  return to_vector(object, field);
}

RowMatrix points_or_empty(py::handle object, const char* field) {
  if (object.is_none()) return RowMatrix();
  return to_row_matrix(object, field);
}

py::object optional_float(const std::optional<double>& x) { return x ? py::object(py::float_(*x)) : py::object(py::none()); }

// max_powers for morphing_components: a ParameterSpace, a Setup's parameters or a list of ints.
IntRowMatrix components_for(py::handle powers, int max_overall_power) {
  if (py::isinstance<ParameterSpace>(powers)) return morphing_components(powers.cast<const ParameterSpace&>(), max_overall_power);
  if (py::isinstance<py::str>(powers) || !py::isinstance<py::iterable>(powers))
    throw InvalidArgument(fmt::format("max_powers = {}: must be a ParameterSpace or a list of int",
                                      py::repr(powers).cast<std::string>()));
  const IntVector p = to_int_vector(powers, "max_powers");
  return morphing_components(std::vector<int>(p.data(), p.data() + p.size()), max_overall_power);
}

// A Python callable of θ (ndarray (P,)) returning an array-like, as a C++ function; called with
// the GIL held (check_derivatives runs with the GIL).
VectorFunction python_vector_function(py::function f, const char* name) {
  return [f, name](const Vector& theta) { return to_vector(f(theta), name); };
}
JacobianFunction python_jacobian_function(py::function f, const char* name, Index n_rows) {
  return [f, name, n_rows](const Vector& theta) {
    py::array out = py::array::ensure(f(theta));
    if (!out) throw InvalidArgument(fmt::format("{}(theta) did not return an array", name));
    // Accept (P, n_out) / (P, P, n_out) as well as the C++ layout (n_rows, n_out).
    if (out.ndim() > 2) out = py::array::ensure(out.attr("reshape")(n_rows, -1));
    RowMatrix m = to_row_matrix(out, std::string(name) + "(theta)");
    if (m.rows() != n_rows)
      throw InvalidArgument(fmt::format("{}(theta) has {} rows; it must have {}", name, m.rows(), n_rows));
    return m;
  };
}

// f(thetas) for the (T, P) points, computed with the GIL released and returned with shape (T, inner...).
template <typename F>
py::array at_points(const Morphing& morphing, py::object thetas, F&& f, Shape inner) {
  const RowMatrix t = thetas_of(morphing, thetas);
  RowMatrix out;
  {
    py::gil_scoped_release release;
    out = f(t);
  }
  inner.insert(inner.begin(), ss(t.rows()));
  return to_numpy(std::move(out), std::move(inner));
}

// The arguments shared by optimise_basis and basis_objective(_and_gradient). `benchmarks` may be
// None (no fixed benchmarks) when `field` is "fixed_benchmarks".
struct BasisProblem {
  BasisOptimisationOptions options;
  IntRowMatrix components;
  RowMatrix ranges, benchmarks;
  std::optional<Vector> component_cross_sections;
};
BasisProblem basis_problem(py::object components, py::object ranges, py::object benchmarks, const char* field,
                           py::object component_cross_sections, py::object options, const py::kwargs& kwargs) {
  BasisProblem p;
  p.options = options_from<BasisOptimisationOptions>(options, kwargs);
  p.components = to_int_row_matrix(components, "components");
  p.ranges = to_row_matrix(ranges, "ranges", 2);
  const bool none_allowed = std::string_view(field) == "fixed_benchmarks";
  p.benchmarks = benchmarks.is_none() && none_allowed ? RowMatrix(0, p.components.cols())
                                                      : to_row_matrix(benchmarks, field, p.components.cols());
  p.component_cross_sections = optional_vector(component_cross_sections, "component_cross_sections");
  return p;
}

std::string morphing_repr(const Morphing& m) {
  return fmt::format("Morphing(n_parameters={}, n_components={}, n_benchmarks={}, condition_number={})", m.n_parameters(),
                     m.n_components(), m.n_benchmarks(), float_repr(m.condition_number()));
}

}  // namespace

void add_morphing(py::module_& m) {
  // ---- components ----
  m.def(
      "morphing_components", [](py::object max_powers, int max_overall_power) { return components_for(max_powers, max_overall_power); },
      py::arg("max_powers"), py::arg("max_overall_power"), R"doc(
All power tuples alpha with alpha_p <= max_powers[p] and sum_p alpha_p <= max_overall_power, in
MadMiner's order (lexicographic, last parameter fastest): for two parameters with powers 2 and
overall 2, (0,0) (0,1) (0,2) (1,0) (1,1) (2,0).

Args:
    max_powers (ParameterSpace or list[int]): highest power per parameter (a ParameterSpace uses
        each parameter's max_power).
    max_overall_power (int): highest total power (2 for dimension-six operators at 1/Lambda^4).

Returns:
    ndarray int64, shape (n_components, n_parameters).

Raises ValueError for no parameters, a negative power or max_overall_power < 0.
)doc");
  m.def(
      "component_values",
      [](py::object components, py::object thetas) {
        const IntRowMatrix c = to_int_row_matrix(components, "components");
        return component_values(c, to_row_matrix(thetas, "thetas", c.cols()));
      },
      py::arg("components"), py::arg("thetas"),
      "phi_c(theta_t) = prod_p theta_tp ** components[c, p] for T points: components (C, P) int, thetas (T, P) "
      "dimensionless -> ndarray (T, C); 0**0 = 1.");
  m.def(
      "component_gradients",
      [](py::object components, py::object thetas) {
        const IntRowMatrix c = to_int_row_matrix(components, "components");
        const RowMatrix t = to_row_matrix(thetas, "thetas", c.cols());
        return to_numpy(component_gradients(c, t), Shape{ss(t.rows()), ss(c.cols()), ss(c.rows())});
      },
      py::arg("components"), py::arg("thetas"),
      "d phi_c / d theta_p for T points -> ndarray (T, P, C), exact at theta_p = 0.");
  m.def(
      "component_hessians",
      [](py::object components, py::object thetas) {
        const IntRowMatrix c = to_int_row_matrix(components, "components");
        const RowMatrix t = to_row_matrix(thetas, "thetas", c.cols());
        return to_numpy(component_hessians(c, t), Shape{ss(t.rows()), ss(c.cols()), ss(c.cols()), ss(c.rows())});
      },
      py::arg("components"), py::arg("thetas"), "d^2 phi_c / d theta_p d theta_q for T points -> ndarray (T, P, P, C).");

  // ---- MorphingOptions ----
  OptionsBinder<MorphingOptions>(m, "MorphingOptions", "Options for building a Morphing from benchmark points.")
      .field("max_condition_number", &MorphingOptions::max_condition_number,
             "Largest accepted condition number of the column-equilibrated component matrix (> 1; default 1e8). The "
             "weights lose about log10(kappa) of a double's 16 digits; above it the basis is rejected as degenerate.")
      .field("benchmark_names", &MorphingOptions::benchmark_names,
             "Benchmark names for error messages (list[str], one per benchmark, or empty for 'benchmark 0', ...).")
      .finish();

  // ---- Morphing ----
  py::class_<Morphing> morphing(m, "Morphing", R"doc(
A morphing (arXiv:1907.10621 section 3.1): components alpha_c, benchmark points theta_b and the
morphing matrix M (C x B, MadMiner's orientation) with

    dsigma(z|theta) = sum_b w_b(theta) dsigma_b(z),   w(theta) = M^T phi(theta).

Built from B >= C benchmark points by a column-pivoted QR solve of M Theta = 1: a square basis
(B = C) gives M = Theta^-1, an over-complete one (B > C) the pseudo-inverse, whose weights have the
smallest sum_b w_b(theta)^2 at every theta. Parameter values are dimensionless (the model's
Wilson coefficients); weights are dimensionless factors on the benchmark weights (pb).

Immutable: components, matrix and benchmark_points are read-only NumPy views of its memory.
)doc");
  morphing
      .def(py::init([](py::object components, py::object benchmark_points, py::object options, const py::kwargs& kwargs) {
             const MorphingOptions o = options_from<MorphingOptions>(options, kwargs);
             IntRowMatrix c = to_int_row_matrix(components, "components");
             RowMatrix points = to_row_matrix(benchmark_points, "benchmark_points", c.cols());
             return Morphing(std::move(c), std::move(points), o);
           }),
           py::arg("components"), py::arg("benchmark_points"), py::arg("options") = py::none(), R"doc(
Builds the morphing of the benchmark points.

Args:
    components (array-like int, (C, P)): powers, e.g. morphing_components(...).
    benchmark_points (array-like float, (B, P)), B >= C: theta_b, dimensionless.
    options (MorphingOptions) or keyword arguments max_condition_number=..., benchmark_names=[...].

Raises ValueError (pysbi.InvalidArgument) for shapes and non-finite values, ArithmeticError
(pysbi.NumericalError) for a (nearly) degenerate basis, naming the benchmarks involved.
)doc")
      .def_static(
          "from_matrix",
          [](py::object components, py::object matrix, py::object benchmark_points) {
            IntRowMatrix c = to_int_row_matrix(components, "components");
            return Morphing::from_matrix(std::move(c), to_row_matrix(matrix, "matrix"),
                                         points_or_empty(benchmark_points, "benchmark_points"));
          },
          py::arg("components"), py::arg("matrix"), py::arg("benchmark_points") = py::none(),
          "A morphing with a given matrix M (C, B), used as given (as MadMiner uses a stored matrix); benchmark_points "
          "(B, P) are optional and give the condition number.")
      .def_static("from_setup", &Morphing::from_setup, py::arg("setup"),
                  "The morphing stored in a Setup (columns = its physical benchmarks). ValueError when it has none.")
      .def_property_readonly("n_parameters", &Morphing::n_parameters, "P (int).")
      .def_property_readonly("n_components", &Morphing::n_components, "C (int).")
      .def_property_readonly("n_benchmarks", &Morphing::n_benchmarks, "B (int).")
      .def_property_readonly("components", &Morphing::components, py::return_value_policy::reference_internal,
                             "Powers (ndarray int64, (C, P)), read-only view.")
      .def_property_readonly("matrix", &Morphing::matrix, py::return_value_policy::reference_internal,
                             "Morphing matrix M (ndarray float64, (C, B)), w(theta) = M^T phi(theta); read-only view.")
      .def_property_readonly("benchmark_points", &Morphing::benchmark_points, py::return_value_policy::reference_internal,
                             "Benchmark points (ndarray float64, (B, P)); (0, 0) when built from a matrix alone.")
      .def_property_readonly("condition_number", &Morphing::condition_number,
                             "2-norm condition number of the component matrix Theta (numpy.linalg.cond); NaN without "
                             "benchmark points.")
      .def_property_readonly("equilibrated_condition_number", &Morphing::equilibrated_condition_number,
                             "Condition number after scaling Theta's columns to unit norm (the degeneracy test's number).")
      .def("to_stored", &Morphing::to_stored, "The components and matrix as a StoredMorphing (for a Setup).")
      // one θ
      .def(
          "component_values", [](const Morphing& self, py::object theta) { return self.component_values(theta_of(self, theta)); },
          py::arg("theta"), "phi(theta) for one theta (P,) -> ndarray (C,).")
      .def(
          "weights", [](const Morphing& self, py::object theta) { return self.weights(theta_of(self, theta)); }, py::arg("theta"),
          "Morphing weights w(theta) = M^T phi(theta) for one theta (P,) -> ndarray (B,), dimensionless.")
      .def(
          "weight_gradients",
          [](const Morphing& self, py::object theta) { return self.weight_gradients(theta_of(self, theta)); },
          py::arg("theta"), "dw_b/dtheta_p for one theta (P,) -> ndarray (P, B).")
      .def(
          "weight_hessians",
          [](const Morphing& self, py::object theta) {
            const Index P = self.n_parameters();
            return to_numpy(self.weight_hessians(theta_of(self, theta)), Shape{ss(P), ss(P), ss(self.n_benchmarks())});
          },
          py::arg("theta"), "d^2 w_b / dtheta_p dtheta_q for one theta (P,) -> ndarray (P, P, B).")
      // T points
      .def(
          "weights_at_points",
          [](const Morphing& self, py::object thetas) {
            return at_points(self, thetas, [&](const RowMatrix& t) { return self.weights_at_points(t); },
                             Shape{ss(self.n_benchmarks())});
          },
          py::arg("thetas"), "w(theta_t) for T points (T, P) -> ndarray (T, B); one matrix product.")
      .def(
          "weight_gradients_at_points",
          [](const Morphing& self, py::object thetas) {
            return at_points(self, thetas, [&](const RowMatrix& t) { return self.weight_gradients_at_points(t); },
                             Shape{ss(self.n_parameters()), ss(self.n_benchmarks())});
          },
          py::arg("thetas"), "dw_b/dtheta_p for T points (T, P) -> ndarray (T, P, B).")
      .def(
          "weight_hessians_at_points",
          [](const Morphing& self, py::object thetas) {
            const py::ssize_t P = ss(self.n_parameters());
            return at_points(self, thetas, [&](const RowMatrix& t) { return self.weight_hessians_at_points(t); },
                             Shape{P, P, ss(self.n_benchmarks())});
          },
          py::arg("thetas"), "d^2 w_b / dtheta_p dtheta_q for T points (T, P) -> ndarray (T, P, P, B).")
      // events and cross sections
      .def(
          "morphed_event_weights",
          [](const Morphing& self, py::object event_weights, py::object thetas, py::object out) -> py::object {
            const RowMatrixView w = row_matrix_view(event_weights, "event_weights", self.n_benchmarks());
            const RowMatrix t = thetas_of(self, thetas);
            const Index N = w.map().rows(), T = t.rows();
            if (out.is_none()) {
              RowMatrix result(N, T);
              {
                py::gil_scoped_release release;
                self.morphed_event_weights(w.map(), t, result);
              }
              return to_numpy(std::move(result));
            }
            const bool float64 = py::isinstance<py::array_t<double>>(out);
            auto target = float64 ? py::reinterpret_borrow<py::array_t<double>>(out) : py::array_t<double>();
            if (!float64 || target.ndim() != 2 || target.shape(0) != N || target.shape(1) != T ||
                !(target.flags() & py::array::c_style) || !target.writeable())
              throw InvalidArgument(fmt::format("out must be a writable C-contiguous float64 array of shape ({}, {}) "
                                                "(events x theta points)",
                                                N, T));
            Eigen::Map<RowMatrix> map(target.mutable_data(), N, T);
            {
              py::gil_scoped_release release;
              self.morphed_event_weights(w.map(), t, map);
            }
            return out;
          },
          py::arg("event_weights"), py::arg("thetas"), py::arg("out") = py::none(), R"doc(
Morphed event weights dsigma(z_i|theta_t) = sum_b event_weights[i, b] w_b(theta_t), in pb.

Args:
    event_weights (array-like float64, (N, B)): benchmark weights per event in pb (e.g.
        Events.weights[:, :B]); a C-contiguous float64 array is read in place, without a copy.
    thetas (array-like, (T, P)): parameter points.
    out (ndarray float64, (N, T), C-contiguous, optional): written in place and returned, to
        reuse memory over blocks of events.

Returns ndarray (N, T). One matrix product, with the GIL released.
)doc")
      .def(
          "cross_section",
          [](const Morphing& self, py::object sigma, py::object theta) {
            return self.cross_section(benchmark_xs_of(self, sigma), theta_of(self, theta));
          },
          py::arg("benchmark_cross_sections"), py::arg("theta"),
          "sigma(theta) = sum_b w_b(theta) sigma_b in pb, for benchmark cross sections sigma_b (B,) in pb and one theta.")
      .def(
          "cross_section_gradient",
          [](const Morphing& self, py::object sigma, py::object theta) {
            return self.cross_section_gradient(benchmark_xs_of(self, sigma), theta_of(self, theta));
          },
          py::arg("benchmark_cross_sections"), py::arg("theta"), "grad sigma(theta) in pb per unit theta -> ndarray (P,).")
      .def(
          "cross_sections",
          [](const Morphing& self, py::object sigma, py::object thetas) {
            return self.cross_sections(benchmark_xs_of(self, sigma), thetas_of(self, thetas));
          },
          py::arg("benchmark_cross_sections"), py::arg("thetas"), "sigma(theta_t) in pb for T points (T, P) -> ndarray (T,).")
      .def(
          "cross_section_gradients",
          [](const Morphing& self, py::object sigma, py::object thetas) {
            return self.cross_section_gradients(benchmark_xs_of(self, sigma), thetas_of(self, thetas));
          },
          py::arg("benchmark_cross_sections"), py::arg("thetas"), "grad sigma(theta_t) in pb for T points -> ndarray (T, P).")
      .def(
          "component_cross_sections",
          [](const Morphing& self, py::object sigma) { return self.component_cross_sections(benchmark_xs_of(self, sigma)); },
          py::arg("benchmark_cross_sections"),
          "Component cross sections s = M sigma_b in pb (C,), so that sigma(theta) = phi(theta) . s at any theta.")
      .def("__repr__", &morphing_repr);
  add_copy(morphing);

  // ---- derivative checker ----
  OptionsBinder<DerivativeCheckOptions>(m, "DerivativeCheckOptions", "Options of the finite-difference derivative check.")
      .field("relative_step", &DerivativeCheckOptions::relative_step,
             "Central-difference step relative_step * max(1, |theta_p|) (> 0; default 1e-5).")
      .field("relative_floor", &DerivativeCheckOptions::relative_floor,
             "Entries compared relative to max(|analytic|, |numeric|, floor), floor = relative_floor * largest entry "
             "(in [0, 1); default 1e-6).")
      .field("tolerance", &DerivativeCheckOptions::tolerance, "Tolerance of DerivativeCheckResult.passed() (default 1e-6).")
      .finish();

  py::class_<DerivativeCheckResult> check(m, "DerivativeCheckResult",
                                          "Outcome of a derivative check: the largest relative errors and where they occurred.");
  check.def_readonly("max_gradient_relative_error", &DerivativeCheckResult::max_gradient_relative_error,
                     "Largest relative error of the gradient over points, outputs and parameters.")
      .def_readonly("max_hessian_relative_error", &DerivativeCheckResult::max_hessian_relative_error,
                    "Largest relative error of the Hessian (NaN when no Hessian was checked).")
      .def_readonly("worst_gradient_point", &DerivativeCheckResult::worst_gradient_point, "Row of theta (int).")
      .def_readonly("worst_gradient_output", &DerivativeCheckResult::worst_gradient_output, "Output (benchmark) index.")
      .def_readonly("worst_gradient_parameter", &DerivativeCheckResult::worst_gradient_parameter, "Parameter index.")
      .def_readonly("worst_hessian_point", &DerivativeCheckResult::worst_hessian_point, "Row of theta (int).")
      .def_readonly("worst_hessian_output", &DerivativeCheckResult::worst_hessian_output, "Output index.")
      .def_readonly("worst_hessian_parameter_p", &DerivativeCheckResult::worst_hessian_parameter_p, "Parameter p.")
      .def_readonly("worst_hessian_parameter_q", &DerivativeCheckResult::worst_hessian_parameter_q, "Parameter q.")
      .def_readonly("tolerance", &DerivativeCheckResult::tolerance, "The tolerance of the options.")
      .def("passed", &DerivativeCheckResult::passed, "Both largest errors <= tolerance (a NaN Hessian error: not checked).")
      .def("report", &DerivativeCheckResult::report, "One line with the numbers and where they occurred.")
      .def("__repr__", [](const DerivativeCheckResult& r) { return "<DerivativeCheckResult " + r.report() + ">"; });

  m.def(
      "check_morphing_derivatives",
      [](const Morphing& morphing, py::object thetas, py::object options, const py::kwargs& kwargs) {
        const DerivativeCheckOptions o = options_from<DerivativeCheckOptions>(options, kwargs);
        const RowMatrix t = thetas_of(morphing, thetas);
        py::gil_scoped_release release;
        return check_morphing_derivatives(morphing, t, o);
      },
      py::arg("morphing"), py::arg("thetas"), py::arg("options") = py::none(),
      "Checks Morphing.weight_gradients and weight_hessians against central finite differences of Morphing.weights at "
      "every row of thetas (T, P). Options as DerivativeCheckOptions or its fields as keyword arguments.");
  m.def(
      "check_derivatives",
      [](py::function value, py::function gradient, py::object thetas, py::object hessian, py::object options,
         const py::kwargs& kwargs) {
        const DerivativeCheckOptions o = options_from<DerivativeCheckOptions>(options, kwargs);
        const RowMatrix t = to_row_matrix(thetas, "thetas");
        const Index P = t.cols();
        JacobianFunction h;
        if (!hessian.is_none()) h = python_jacobian_function(hessian.cast<py::function>(), "hessian", P * P);
        return check_derivatives(python_vector_function(value, "value"), python_jacobian_function(gradient, "gradient", P), h,
                                 t, o);
      },
      py::arg("value"), py::arg("gradient"), py::arg("thetas"), py::arg("hessian") = py::none(), py::arg("options") = py::none(),
      R"doc(
Compares analytic derivatives of a vector function with central finite differences (in the
spirit of Ceres' GradientChecker).

Args:
    value (callable): theta (ndarray (P,)) -> array (n_out,).
    gradient (callable): theta -> array (P, n_out), row p = d value / d theta_p.
    thetas (array-like, (T, P)): points to check.
    hessian (callable or None): theta -> array (P, P, n_out) or (P*P, n_out); None skips it.
    options (DerivativeCheckOptions) or its fields as keyword arguments.

The callables run with the GIL held. Returns a DerivativeCheckResult.
)doc");

  // ---- basis optimisation ----
  py::enum_<Prior>(m, "Prior", "Distribution of theta over which a morphing basis is judged.")
      .value("flat", Prior::flat, "Uniform in the parameter ranges (MadMiner's choice).")
      .value("gaussian", Prior::gaussian, "Independent normal distributions per parameter.");
  py::enum_<BasisCriterion>(m, "BasisCriterion", "What a morphing basis minimises (see include/sbi/morphing.hpp).")
      .value("expected_squared_weights", BasisCriterion::expected_squared_weights,
             "E[sum_b w_b(theta)^2], MadMiner's criterion, exact from the prior's moments.")
      .value("cross_section_dilution", BasisCriterion::cross_section_dilution,
             "E[sum_b w_b^2 sigma_b / sigma(theta)]: variance inflation for equal luminosity per benchmark.")
      .value("cross_section_dilution_equal_events", BasisCriterion::cross_section_dilution_equal_events,
             "B E[sum_b w_b^2 sigma_b^2 / sigma(theta)^2]: the same for equal event counts per benchmark.");
  py::enum_<TerminationReason>(m, "TerminationReason", "Why the basis optimiser stopped.")
      .value("converged_function", TerminationReason::converged_function)
      .value("converged_gradient", TerminationReason::converged_gradient)
      .value("max_iterations", TerminationReason::max_iterations)
      .value("line_search_stalled", TerminationReason::line_search_stalled)
      .value("no_free_benchmarks", TerminationReason::no_free_benchmarks);

  using BO = BasisOptimisationOptions;
  OptionsBinder<BO>(m, "BasisOptimisationOptions",
                    "Options of optimise_basis (defaults: a MadMiner-like square basis optimisation with a real optimiser).")
      .property(
          "prior", [](const BO& o) { return o.prior; },
          [](BO& o, py::object v) { o.prior = enum_from<Prior>(v, prior_from_string, "prior"); },
          "Prior (or 'flat' / 'gaussian'): distribution of theta the criterion averages over. Default flat.")
      .property(
          "gaussian_mean", [](const BO& o) { return o.gaussian_mean; },
          [](BO& o, py::object v) { o.gaussian_mean = to_vector(v, "gaussian_mean"); },
          "Gaussian prior means per parameter (ndarray (P,); empty = centres of the ranges).")
      .property(
          "gaussian_width", [](const BO& o) { return o.gaussian_width; },
          [](BO& o, py::object v) { o.gaussian_width = to_vector(v, "gaussian_width"); },
          "Gaussian prior standard deviations (ndarray (P,); empty = half the range widths). Positive.")
      .property(
          "criterion", [](const BO& o) { return o.criterion; },
          [](BO& o, py::object v) { o.criterion = enum_from<BasisCriterion>(v, basis_criterion_from_string, "criterion"); },
          "BasisCriterion (or its name). The cross-section criteria need component cross sections.")
      .field("n_overcomplete", &BO::n_overcomplete, "Benchmarks beyond the number of components (0 = square basis).")
      .field("benchmark_range_scale", &BO::benchmark_range_scale,
             "Free benchmarks within centre +- scale * half-width of each range (> 0; default 1).")
      .field("n_random_candidates", &BO::n_random_candidates, "Random bases scored before refinement (>= n_restarts).")
      .field("n_restarts", &BO::n_restarts, "Local L-BFGS refinements from the best candidates (>= 1).")
      .field("max_iterations", &BO::max_iterations, "Iterations per refinement (>= 1).")
      .field("lbfgs_memory", &BO::lbfgs_memory, "L-BFGS history length (>= 1).")
      .field("function_tolerance", &BO::function_tolerance, "Stop when |dJ| <= tol * |J| over an iteration (>= 0).")
      .field("gradient_tolerance", &BO::gradient_tolerance, "Stop when the gradient's infinity norm is below this (>= 0).")
      .field("n_quadrature_points", &BO::n_quadrature_points, "theta sample for the cross-section criteria (>= 1).")
      .field("max_condition_number", &BO::max_condition_number, "Reject bases worse conditioned than this (> 1).")
      .field("compare_with_madminer", &BO::compare_with_madminer, "Also run MadMiner's random search and report it.")
      .field("madminer_trials", &BO::madminer_trials, "MadMiner's number of random bases.")
      .field("madminer_test_thetas", &BO::madminer_test_thetas, "MadMiner's theta points per basis score.")
      .field("n_evaluation_points", &BO::n_evaluation_points, "Independent evaluation sample size (0 = skip).")
      .field("seed", &BO::seed, "Seed of everything random (int >= 0).")
      .finish();

  using BR = BasisOptimisationResult;
  py::class_<BR>(m, "BasisOptimisationResult", "Outcome of optimise_basis (numbers, not just a verdict).")
      .def_readonly("benchmarks", &BR::benchmarks, "All benchmarks (B, P): the fixed ones first, then the optimised ones.")
      .def_readonly("n_fixed", &BR::n_fixed, "Number of fixed benchmarks at the top of benchmarks.")
      .def_readonly("morphing_matrix", &BR::morphing_matrix, "Morphing matrix of the optimised basis (C, B).")
      .def_readonly("condition_number", &BR::condition_number, "Condition number of the optimised component matrix.")
      .def_readonly("objective", &BR::objective, "The criterion at the optimum.")
      .def_readonly("best_random_objective", &BR::best_random_objective, "The criterion of the best random candidate.")
      .def_property_readonly(
          "madminer_objective", [](const BR& r) { return optional_float(r.madminer_objective); },
          "MadMiner's method on the same problem, same criterion (float or None).")
      .def_readonly("madminer_benchmarks", &BR::madminer_benchmarks, "MadMiner's chosen basis (B, P); empty unless asked.")
      .def_property_readonly(
          "evaluation_objective", [](const BR& r) { return optional_float(r.evaluation_objective); },
          "The optimised basis on the independent evaluation sample (float or None).")
      .def_property_readonly(
          "madminer_evaluation_objective", [](const BR& r) { return optional_float(r.madminer_evaluation_objective); },
          "MadMiner's basis on the evaluation sample (float or None).")
      .def_readonly("restarts", &BR::restarts, "Restarts run.")
      .def_readonly("iterations", &BR::iterations, "L-BFGS iterations summed over restarts.")
      .def_readonly("function_evaluations", &BR::function_evaluations, "Objective evaluations summed over restarts.")
      .def_readonly("termination", &BR::termination, "TerminationReason of the best refinement.")
      .def("report", &BR::report, "A short human-readable summary.")
      .def("__repr__", [](const BR& r) {
        return fmt::format("BasisOptimisationResult(n_benchmarks={}, n_fixed={}, objective={}, termination='{}')",
                           r.benchmarks.rows(), r.n_fixed, float_repr(r.objective), to_string(r.termination));
      });

  m.def(
      "optimise_basis",
      [](py::object components, py::object ranges, py::object fixed_benchmarks, py::object component_cross_sections,
         py::object options, const py::kwargs& kwargs) {
        const BasisProblem p = basis_problem(components, ranges, fixed_benchmarks, "fixed_benchmarks",
                                             component_cross_sections, options, kwargs);
        py::gil_scoped_release release;
        return optimise_basis(p.components, p.ranges, p.benchmarks, p.options, p.component_cross_sections);
      },
      py::arg("components"), py::arg("ranges"), py::arg("fixed_benchmarks") = py::none(),
      py::arg("component_cross_sections") = py::none(), py::arg("options") = py::none(), R"doc(
Chooses the free benchmarks that minimise the criterion (BasisCriterion) over the prior.

Args:
    components (array-like int, (C, P)).
    ranges (array-like, (P, 2)): (low, high) per parameter, dimensionless.
    fixed_benchmarks (array-like, (F, P), optional): kept as they are (e.g. the SM [[0, ...]]).
    component_cross_sections (array-like (C,), pb, optional): s with sigma(theta) = phi(theta) . s
        (Morphing.component_cross_sections); required by the cross-section criteria.
    options (BasisOptimisationOptions) or its fields as keyword arguments (prior='gaussian', ...).

Returns a BasisOptimisationResult. Deterministic given the seed; the GIL is released.
Raises ValueError for inconsistent shapes or options, ArithmeticError when no candidate is usable.
)doc");
  m.def(
      "basis_objective",
      [](py::object components, py::object ranges, py::object benchmarks, py::object component_cross_sections,
         py::object options, const py::kwargs& kwargs) {
        const BasisProblem p =
            basis_problem(components, ranges, benchmarks, "benchmarks", component_cross_sections, options, kwargs);
        py::gil_scoped_release release;
        return basis_objective(p.components, p.ranges, p.benchmarks, p.options, p.component_cross_sections);
      },
      py::arg("components"), py::arg("ranges"), py::arg("benchmarks"), py::arg("component_cross_sections") = py::none(),
      py::arg("options") = py::none(),
      "The criterion of options.criterion for a basis (B, P) (pseudo-inverse morphing), with the same moments / "
      "quadrature sample as optimise_basis with the same options. inf for a degenerate basis.");
  m.def(
      "basis_objective_and_gradient",
      [](py::object components, py::object ranges, py::object benchmarks, py::object component_cross_sections,
         py::object options, const py::kwargs& kwargs) {
        const BasisProblem p =
            basis_problem(components, ranges, benchmarks, "benchmarks", component_cross_sections, options, kwargs);
        RowMatrix gradient;
        double value = 0;
        {
          py::gil_scoped_release release;
          value = basis_objective(p.components, p.ranges, p.benchmarks, p.options, p.component_cross_sections, &gradient);
        }
        return py::make_tuple(value, to_numpy(std::move(gradient)));
      },
      py::arg("components"), py::arg("ranges"), py::arg("benchmarks"), py::arg("component_cross_sections") = py::none(),
      py::arg("options") = py::none(),
      "(J, dJ/dtheta_bp): basis_objective and its analytic gradient (B, P), the one the optimiser uses.");
  m.def(
      "sampled_basis_objective",
      [](py::object components, py::object benchmarks, py::object thetas, py::object criterion,
         py::object component_cross_sections) {
        const IntRowMatrix c = to_int_row_matrix(components, "components");
        const RowMatrix b = to_row_matrix(benchmarks, "benchmarks", c.cols());
        const RowMatrix t = to_row_matrix(thetas, "thetas", c.cols());
        const BasisCriterion k = enum_from<BasisCriterion>(criterion, basis_criterion_from_string, "criterion");
        const std::optional<Vector> s = optional_vector(component_cross_sections, "component_cross_sections");
        py::gil_scoped_release release;
        return sampled_basis_objective(c, b, t, k, s);
      },
      py::arg("components"), py::arg("benchmarks"), py::arg("thetas"), py::arg("criterion") = "expected_squared_weights",
      py::arg("component_cross_sections") = py::none(),
      "Monte-Carlo estimate of the criterion on an explicit theta sample (T, P): the mean of its integrand.");
  m.def(
      "madminer_random_basis",
      [](py::object components, py::object ranges, py::object fixed_benchmarks, Index n_free, Index n_trials,
         Index n_test_thetas, std::uint64_t seed) {
        const IntRowMatrix c = to_int_row_matrix(components, "components");
        const RowMatrix r = to_row_matrix(ranges, "ranges", 2);
        const RowMatrix fixed = fixed_benchmarks.is_none() ? RowMatrix(0, c.cols())
                                                           : to_row_matrix(fixed_benchmarks, "fixed_benchmarks", c.cols());
        py::gil_scoped_release release;
        return madminer_random_basis(c, r, fixed, n_free, n_trials, n_test_thetas, seed);
      },
      py::arg("components"), py::arg("ranges"), py::arg("fixed_benchmarks"), py::arg("n_free"), py::arg("n_trials") = 100,
      py::arg("n_test_thetas") = 100, py::arg("seed") = 1,
      "MadMiner's basis optimisation (v0.9): the best of n_trials random bases by the mean sum of w_b^2 over "
      "n_test_thetas uniform points. Returns the benchmarks (B, P), fixed first.");
  m.def(
      "sample_prior",
      [](py::object ranges, Index n_points, std::uint64_t seed, py::object options, const py::kwargs& kwargs) {
        const BO o = options_from<BO>(options, kwargs);
        return sample_prior(to_row_matrix(ranges, "ranges", 2), o, n_points, seed);
      },
      py::arg("ranges"), py::arg("n_points"), py::arg("seed") = 1, py::arg("options") = py::none(),
      "theta points (n_points, P) drawn from the prior of the options (prior, gaussian_mean, gaussian_width).");
}

}  // namespace sbi::python
