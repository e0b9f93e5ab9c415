// pysbi: asymptotic limits (include/sbi/limits.hpp): expected (Asimov) and observed likelihood scans
// in every MadMiner mode (rate, histo, sally, sallino, adaptive-sally, ml), p-values, best fits,
// intervals, contours, the Fisher information, reports, JSON and the PLplot figures.
//
// The estimators a mode needs come as
// * estimator=: a pysbi.Ensemble or pysbi.Estimator, adapted here in C++ (its mean over members),
//   so the scan never calls into Python (no GIL per event or per θ point); for the score modes
//   theta_ref defaults to the estimator's reference point, as in `sbi limits`;
// * score= / log_ratio=: Python callables, score(x) -> (E, P) and log_ratio(x, thetas) -> (T, E),
//   called with the GIL taken back for each batch the scan asks for; or the C++ callbacks
//   ScoreFunction / LogRatioFunction made by score_function, log_ratio_function and
//   calibrated_log_ratio_function (estimators.hpp's adapters), run without Python.
// Every calculation releases the GIL.
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "common.hpp"
#include "sbi/estimators.hpp"
#include "sbi/limits.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/sampler.hpp"

namespace sbi::python {

namespace {

LimitMode mode_from(py::handle v) {
  return enum_from<LimitMode>(v, [](const std::string& s) { return parse_limit_mode(s); }, "mode");
}
BinningReference reference_from(py::handle v) {
  return enum_from<BinningReference>(v, [](const std::string& s) { return parse_binning_reference(s); },
                                     "binning_reference");
}
Partition partition_from(py::handle v, const char* field) {
  return enum_from<Partition>(v, [](const std::string& s) { return parse_partition(s); }, field);
}
FisherKind fisher_kind_from(py::handle v) {
  return enum_from<FisherKind>(v, [](const std::string& s) { return parse_fisher_kind(s); }, "kind");
}

// ---- binning and grids from Python shorthands ----

/// One axis: an AxisBinning, an int (that many adaptive bins) or a sequence of edges.
AxisBinning axis_binning_from(py::handle item, const std::string& field) {
  if (py::isinstance<AxisBinning>(item)) return item.cast<AxisBinning>();
  if (py::isinstance<py::bool_>(item))
    throw InvalidArgument(fmt::format("{} = {}: must be a number of adaptive bins, a list of edges or an AxisBinning", field,
                                      py::repr(item).cast<std::string>()));
  if (py::isinstance<py::int_>(item) || py::isinstance(item, py::module_::import("numpy").attr("integer")))
    return AxisBinning::adaptive(item.cast<Index>());
  if (ndim_of(item) == 1) {
    const Vector edges = to_vector(item, field);
    return AxisBinning::fixed(std::vector<double>(edges.data(), edges.data() + edges.size()));
  }
  throw InvalidArgument(fmt::format("{} = {}: must be a number of adaptive bins (int), a list of edges or an AxisBinning",
                                    field, py::repr(item).cast<std::string>()));
}

/// A binning: one entry (int or AxisBinning: used for every axis) or a list with one entry per axis.
std::vector<AxisBinning> binning_from(py::handle object) {
  if (object.is_none()) return {};
  if (py::isinstance<AxisBinning>(object) || py::isinstance<py::int_>(object)) return {axis_binning_from(object, "binning")};
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("binning = {}: must be an int, an AxisBinning, or a list with one entry per axis "
                                      "(int = adaptive bins, list of edges, AxisBinning)",
                                      py::repr(object).cast<std::string>()));
  std::vector<AxisBinning> out;
  std::size_t i = 0;
  for (py::handle item : object) out.push_back(axis_binning_from(item, fmt::format("binning[{}]", i++)));
  return out;
}

/// One grid axis: a GridAxis, a number (fixed value) or (low, high, n_points).
GridAxis grid_axis_from(py::handle item, std::size_t p) {
  if (py::isinstance<GridAxis>(item)) return item.cast<GridAxis>();
  if (py::isinstance<py::float_>(item) || py::isinstance<py::int_>(item)) return GridAxis::fixed(item.cast<double>());
  if ((py::isinstance<py::tuple>(item) || py::isinstance<py::list>(item)) && py::len(item) == 3) {
    auto s = py::reinterpret_borrow<py::sequence>(item);
    return GridAxis::range(s[0].cast<double>(), s[1].cast<double>(), s[2].cast<Index>());
  }
  throw InvalidArgument(fmt::format("grid[{}] = {}: must be a GridAxis, a number (a fixed value) or (low, high, n_points)", p,
                                    py::repr(item).cast<std::string>()));
}

/// A ScanGrid, a list of axes (one per parameter: GridAxis, number or (low, high, n_points)) or a
/// 2-D NumPy array of points (T, P).
ScanGrid grid_from(py::handle object) {
  if (py::isinstance<ScanGrid>(object)) return object.cast<ScanGrid>();
  if (py::isinstance<py::array>(object)) return ScanGrid::points(to_row_matrix(object, "grid"));
  if ((py::isinstance<py::list>(object) || py::isinstance<py::tuple>(object)) && py::len(object) > 0) {
    std::vector<GridAxis> axes;
    std::size_t p = 0;
    for (py::handle item : object) axes.push_back(grid_axis_from(item, p++));
    return ScanGrid::regular(std::move(axes));
  }
  throw InvalidArgument(fmt::format("grid = {}: must be a ScanGrid, a list with one axis per parameter (GridAxis, a fixed "
                                    "number or (low, high, n_points)), or a NumPy array of points (T, P)",
                                    py::repr(object).cast<std::string>()));
}

// ---- estimators as callbacks ----

/// A Python object released with the GIL held, wherever its last copy dies.
std::shared_ptr<py::object> gil_safe(py::object f) {
  return std::shared_ptr<py::object>(new py::object(std::move(f)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

py::array copy_to_numpy(const RowMatrix& m) { return to_numpy(RowMatrix(m)); }

struct PythonScore {
  std::shared_ptr<py::object> f;
  RowMatrix operator()(const RowMatrix& x) const {
    py::gil_scoped_acquire gil;
    py::object out = (*f)(copy_to_numpy(x));
    RowMatrix t = to_row_matrix(out, "score(x) (the value it returned)");
    if (t.rows() != x.rows())
      throw InvalidArgument(fmt::format("score(x) returned shape {} for x of shape {}: it must be (E, P) with E = {}",
                                        shape_string(t.rows(), t.cols()), shape_string(x.rows(), x.cols()), x.rows()));
    return t;
  }
};

struct PythonLogRatio {
  std::shared_ptr<py::object> f;
  RowMatrix operator()(const RowMatrix& x, const RowMatrix& thetas) const {
    py::gil_scoped_acquire gil;
    py::object out = (*f)(copy_to_numpy(x), copy_to_numpy(thetas));
    RowMatrix r = to_row_matrix(out, "log_ratio(x, thetas) (the value it returned)");
    if (r.rows() != thetas.rows() || r.cols() != x.rows())
      throw InvalidArgument(fmt::format("log_ratio(x, thetas) returned shape {} for {} events and {} theta points: it must "
                                        "be (T, E) = {}",
                                        shape_string(r.rows(), r.cols()), x.rows(), thetas.rows(),
                                        shape_string(thetas.rows(), x.rows())));
    return r;
  }
};

/// C++ callbacks handed to Python as objects (ScoreFunction, LogRatioFunction): callable from Python,
/// and passed back to a scan as they are, so the scan never calls into Python.
struct ScoreCallback {
  ScoreFunction f;
  std::string description;
};
struct LogRatioCallback {
  LogRatioFunction f;
  std::string description;
};

struct Estimators {
  LimitEstimators callbacks;
  bool from_score_estimator = false;
  Vector reference_theta;  // of an Ensemble / Estimator given as estimator=
};

/// The estimators of a call: estimator= (an Ensemble or Estimator, adapted in C++), or the Python
/// callables score= and log_ratio=.
Estimators estimators_from(py::handle estimator, py::handle score, py::handle log_ratio, const Setup& setup) {
  Estimators out;
  if (!estimator.is_none()) {
    if (!score.is_none() || !log_ratio.is_none())
      throw py::type_error("give either estimator= (an Ensemble or Estimator) or the callables score= / log_ratio=, not both");
    std::shared_ptr<const Ensemble> ensemble;
    if (py::isinstance<Ensemble>(estimator))
      ensemble = std::make_shared<const Ensemble>(estimator.cast<Ensemble>());
    else if (py::isinstance<Estimator>(estimator))
      ensemble = std::make_shared<const Ensemble>(Ensemble({estimator.cast<Estimator>()}));
    else
      throw py::type_error(fmt::format("estimator = {}: must be a pysbi.Ensemble or pysbi.Estimator",
                                       py::repr(estimator).cast<std::string>()));
    if (ensemble->size() == 0) throw InvalidArgument("estimator: the ensemble is empty");
    const Estimator& first = (*ensemble)[0];
    const auto parameters = setup.parameters.names();
    const auto observables = setup.observable_names();
    if (first.n_parameters() != static_cast<Index>(parameters.size()))
      throw InvalidArgument(fmt::format("estimator has {} parameters; the events have {}", first.n_parameters(),
                                        parameters.size()));
    if (!first.parameter_names().empty() && first.parameter_names() != parameters)
      throw InvalidArgument(fmt::format("estimator was trained for the parameters {}; the events have {}",
                                        join_quoted(first.parameter_names()), join_quoted(parameters)));
    if (first.n_observables() != static_cast<Index>(observables.size()))
      throw InvalidArgument(fmt::format("estimator takes {} observables; the events have {}", first.n_observables(),
                                        observables.size()));
    if (!first.observable_names().empty() && first.observable_names() != observables)
      throw InvalidArgument(fmt::format("estimator was trained on the observables {}; the events have {}",
                                        join_quoted(first.observable_names()), join_quoted(observables)));
    out.from_score_estimator = ensemble->is_score_estimator();
    out.reference_theta = first.reference_theta();
    // estimators.hpp's adapters (the ensemble mean), as `sbi limits` evaluates a model file.
    if (out.from_score_estimator)
      out.callbacks.score = score_function(*ensemble);
    else
      out.callbacks.log_ratio = log_ratio_function(*ensemble);
    return out;
  }
  auto callable = [](py::handle f, const char* name) {
    if (!PyCallable_Check(f.ptr()))
      throw py::type_error(fmt::format("{} = {}: must be a callable", name, py::repr(f).cast<std::string>()));
    return gil_safe(py::reinterpret_borrow<py::object>(f));
  };
  if (py::isinstance<ScoreCallback>(score))
    out.callbacks.score = score.cast<const ScoreCallback&>().f;
  else if (!score.is_none())
    out.callbacks.score = PythonScore{callable(score, "score")};
  if (py::isinstance<LogRatioCallback>(log_ratio))
    out.callbacks.log_ratio = log_ratio.cast<const LogRatioCallback&>().f;
  else if (!log_ratio.is_none())
    out.callbacks.log_ratio = PythonLogRatio{callable(log_ratio, "log_ratio")};
  return out;
}

/// The options of a limits call, with the estimator's reference point as theta_ref for the score
/// modes when none is given (as `sbi limits`).
LimitOptions limit_options_for(py::handle options, const py::kwargs& kwargs, const Estimators& estimators) {
  LimitOptions o = options_from<LimitOptions>(options, kwargs);
  if (needs_score(o.mode) && o.theta_ref.size() == 0 && estimators.from_score_estimator)
    o.theta_ref = estimators.reference_theta;
  return o;
}

Vector theta_from(py::handle object, const Setup& setup, const char* field) {
  if (py::isinstance<py::str>(object)) {
    const auto name = object.cast<std::string>();
    for (const auto& b : setup.benchmarks)
      if (b.name == name) return b.values;
    throw NotFound(fmt::format("{} = '{}': not a benchmark of the set-up ({})", field, name, join_quoted(setup.benchmark_names())));
  }
  const Vector v = to_vector(object, field);
  check_size(v.size(), setup.parameters.size(), field, "one value per parameter, or a benchmark name");
  return v;
}

// ---- result views ----

py::array vector_view(const Vector& v, py::handle self) {
  return view_of(const_cast<double*>(v.data()), {static_cast<py::ssize_t>(v.size())}, self);
}
py::array matrix_view(const RowMatrix& m, py::handle self) {
  return view_of(const_cast<double*>(m.data()), {static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())},
                 self);
}

template <Vector LimitResult::*member>
void result_vector(py::class_<LimitResult>& cls, const char* name, const char* doc) {
  cls.def_property_readonly(name, [](py::object self) { return vector_view(self.cast<const LimitResult&>().*member, self); },
                            doc);
}

/// expected_limits (theta_true = data) or observed_limits (x_observed = data) with Python arguments:
/// the estimators, options and grid converted with the GIL held, the scan without it.
LimitResult run_scan(const AsymptoticLimits& l, bool expected, py::handle data, py::handle grid, py::handle options,
                     py::handle estimator, py::handle score, py::handle log_ratio, py::handle label,
                     const py::kwargs& kwargs) {
  const Estimators e = estimators_from(estimator, score, log_ratio, l.setup());
  const LimitOptions o = limit_options_for(options, kwargs, e);
  const ScanGrid g = grid_from(grid);
  LimitResult r;
  if (expected) {
    const Vector theta = theta_from(data, l.setup(), "theta_true");
    py::gil_scoped_release release;
    r = l.expected_limits(theta, g, o, e.callbacks);
  } else {
    const RowMatrix x = to_row_matrix(data, "x_observed", static_cast<Index>(l.setup().observable_names().size()));
    py::gil_scoped_release release;
    r = l.observed_limits(x, g, o, e.callbacks);
  }
  if (!label.is_none()) r.label = label.cast<std::string>();
  return r;
}

std::string segment_repr(const IntervalSegment& s) {
  return fmt::format("{}{}, {}{}", s.low_open ? "(<" : "[", float_repr(s.low), float_repr(s.high), s.high_open ? ">)" : "]");
}

}  // namespace

void add_limits(py::module_& m) {
  // ---- enums ----
  py::enum_<LimitMode>(m, "LimitMode", R"doc(
The kinematic part of the likelihood, with MadMiner's names (strings "rate", "histo", "sally",
"sallino", "adaptive-sally", "ml" are accepted wherever a LimitMode is).
)doc")
      .value("Rate", LimitMode::Rate, "Poisson rate term only.")
      .value("Histo", LimitMode::Histo, "Binned Poisson over histograms of observables.")
      .value("Sally", LimitMode::Sally, "Histograms of the estimated score.")
      .value("Sallino", LimitMode::Sallino, "Histogram of the score projected on theta - theta_ref.")
      .value("AdaptiveSally", LimitMode::AdaptiveSally, "The score rotated so its first axis is that projection.")
      .value("Ml", LimitMode::Ml, "The parameterised ratio estimator, sum_e log r_hat(x_e|theta, theta_ref).")
      .def_property_readonly("label", [](LimitMode v) { return std::string(to_string(v)); }, "The name ('adaptive-sally').");
  m.def("parse_limit_mode", [](const std::string& s) { return parse_limit_mode(s); }, py::arg("name"),
        "LimitMode from its name (also 'adaptive_sally'); ValueError listing the names otherwise.");
  m.def("is_binned", [](py::object v) { return is_binned(mode_from(v)); }, py::arg("mode"),
        "True for histo, sally, sallino, adaptive-sally.");
  m.def("needs_score", [](py::object v) { return needs_score(mode_from(v)); }, py::arg("mode"),
        "True for sally, sallino, adaptive-sally (they need a score estimator).");
  py::enum_<BinningReference>(m, "BinningReference",
                              "Where adaptive bin edges are computed ('auto', 'grid', 'center', 'per-point').")
      .value("Auto", BinningReference::Auto, "grid for histo and sally, per-point for sallino and adaptive-sally.")
      .value("Grid", BinningReference::Grid, "Once, from the template weights averaged over the scan points.")
      .value("Center", BinningReference::Center, "Once, at the centre of the scan.")
      .value("PerPoint", BinningReference::PerPoint, "At every theta.")
      .def_property_readonly("label", [](BinningReference v) { return std::string(to_string(v)); }, "The name.");
  py::enum_<FisherKind>(m, "FisherKind", "Which Fisher information ('truth', 'rate', 'histogram', 'score').")
      .value("Truth", FisherKind::Truth, "L sum_i grad w_i grad w_i^T / w_i (the weighted events' full information).")
      .value("Rate", FisherKind::Rate, "L grad sigma grad sigma^T / sigma.")
      .value("Histogram", FisherKind::Histogram, "A histogram of observables (rate included).")
      .value("Score", FisherKind::Score, "L sum_i w_i t_hat_i t_hat_i^T from an estimated score.")
      .def_property_readonly("label", [](FisherKind v) { return std::string(to_string(v)); }, "The name.");

  // ---- binning and grids ----
  py::class_<AxisBinning>(m, "AxisBinning", R"doc(
The binning of one histogram axis: fixed edges (strictly increasing, the outer bins open so every
event counts) or n_bins adaptive bins of equal expected content. Wherever a binning is expected,
an int (adaptive bins) or a list of edges also works.
)doc")
      .def(py::init([](py::object spec) { return axis_binning_from(spec, "AxisBinning"); }), py::arg("spec"),
           "From an int (adaptive bins) or a list of edges.")
      .def_static("fixed", [](std::vector<double> edges) { return AxisBinning::fixed(std::move(edges)); }, py::arg("edges"),
                  "Fixed edges (at least two, strictly increasing), in the axis variable's units.")
      .def_static("adaptive", &AxisBinning::adaptive, py::arg("n_bins"), "n_bins bins with equal expected content.")
      .def_readwrite("edges", &AxisBinning::edges, "list[float]; empty = adaptive.")
      .def_readwrite("n_bins", &AxisBinning::n_bins, "Adaptive bins (ignored with fixed edges).")
      .def_property_readonly("is_adaptive", &AxisBinning::is_adaptive, "No fixed edges.")
      .def("__len__", &AxisBinning::size, "Number of bins.")
      .def_property_readonly("size", &AxisBinning::size, "Number of bins.")
      .def("validate", &AxisBinning::validate, py::arg("what") = "binning", "ValueError naming `what` when invalid.")
      .def("__repr__", [](const AxisBinning& b) {
        if (b.is_adaptive()) return fmt::format("AxisBinning.adaptive({})", b.n_bins);
        std::string e;
        for (double v : b.edges) e += (e.empty() ? "" : ", ") + float_repr(v);
        return fmt::format("AxisBinning.fixed([{}])", e);
      });

  py::class_<GridAxis>(m, "GridAxis", "One parameter's values in a regular grid: numpy.linspace(low, high, n_points).")
      .def(py::init([](double low, double high, Index n_points) { return GridAxis::range(low, high, n_points); }),
           py::arg("low"), py::arg("high"), py::arg("n_points"), "The range [low, high] with n_points values.")
      .def_static("range", &GridAxis::range, py::arg("low"), py::arg("high"), py::arg("n_points"),
                  "n_points equally spaced values in [low, high] (dimensionless parameter units).")
      .def_static("fixed", &GridAxis::fixed, py::arg("value"), "A fixed value (one point).")
      .def_readonly("low", &GridAxis::low)
      .def_readonly("high", &GridAxis::high)
      .def_readonly("n_points", &GridAxis::n_points)
      .def("values", &GridAxis::values, "The values (n_points,).")
      .def("__repr__", [](const GridAxis& a) {
        return a.n_points == 1 ? fmt::format("GridAxis.fixed({})", float_repr(a.low))
                               : fmt::format("GridAxis.range({}, {}, {})", float_repr(a.low), float_repr(a.high), a.n_points);
      });

  py::class_<ScanGrid>(m, "ScanGrid", R"doc(
Where the likelihood is evaluated: a regular grid (one axis per parameter, numpy.meshgrid
"ij" order, last parameter fastest) or given points. Wherever a grid is expected, a list of axes
(GridAxis, a number for a fixed value, or (low, high, n_points)) or a 2-D NumPy array of points
(T, P) also works.
)doc")
      .def_static(
          "regular",
          [](py::object axes) {
            if (py::isinstance<py::str>(axes) || !py::isinstance<py::iterable>(axes))
              throw InvalidArgument("ScanGrid.regular: axes must be a list with one axis per parameter");
            std::vector<GridAxis> out;
            std::size_t p = 0;
            for (py::handle item : axes) out.push_back(grid_axis_from(item, p++));
            return ScanGrid::regular(std::move(out));
          },
          py::arg("axes"),
          "The product grid of the axes, one per parameter (GridAxis, a number = fixed, or (low, high, n_points)).")
      .def_static(
          "points", [](py::object thetas) { return ScanGrid::points(to_row_matrix(thetas, "thetas")); }, py::arg("thetas"),
          "Given points (T, P). Intervals and contours need a regular grid.")
      .def_property_readonly("n_parameters", &ScanGrid::n_parameters, "P.")
      .def("__len__", &ScanGrid::size, "T, the number of points.")
      .def_property_readonly("size", &ScanGrid::size, "T.")
      .def_property_readonly(
          "thetas", [](py::object self) { return matrix_view(self.cast<const ScanGrid&>().thetas(), self); },
          "The points (T, P), a view.")
      .def_property_readonly("is_regular", &ScanGrid::is_regular, "Made by regular().")
      .def_property_readonly("axes", &ScanGrid::axes, "The axes (regular grids), list[GridAxis].")
      .def("axis_values", &ScanGrid::axis_values, py::arg("p"),
           "Regular: the values of axis p; points: the sorted distinct values of column p.")
      .def("scanned_parameters", &ScanGrid::scanned_parameters, "Indices of the parameters with more than one value.")
      .def_property_readonly("shape", &ScanGrid::shape, "Points per axis (regular), [] for points.")
      .def("centre", &ScanGrid::centre, "The mean of the points (P,).")
      .def("__repr__", [](const ScanGrid& g) {
        return fmt::format("ScanGrid({}, size={}, n_parameters={})", g.is_regular() ? "regular" : "points", g.size(),
                           g.n_parameters());
      });

  // ---- options ----
  OptionsBinder<LimitOptions>(m, "LimitOptions",
                              "Options of one limit calculation; defaults are MadMiner's AsymptoticLimits defaults.")
      .property(
          "mode", [](const LimitOptions& o) { return o.mode; }, [](LimitOptions& o, py::object v) { o.mode = mode_from(v); },
          "LimitMode or its name ('rate').")
      .field("include_rate", &LimitOptions::include_rate, "Include the Poisson rate term (MadMiner's include_xsec; True).")
      .field("luminosity", &LimitOptions::luminosity, "Integrated luminosity in pb^-1 (300000 = 300 fb^-1).")
      .field("round_observed_count", &LimitOptions::round_observed_count, "The observed count is round(n), as MadMiner.")
      .field("observables", &LimitOptions::observables, "histo: names of the observables to histogram (list[str]).")
      .field("score_components", &LimitOptions::score_components, "sally modes: score components to use (empty = all).")
      .property(
          "binning", [](const LimitOptions& o) { return o.binning; },
          [](LimitOptions& o, py::object v) { o.binning = binning_from(v); },
          "list[AxisBinning], one per axis (a single entry for every axis); also an int (adaptive bins), or a list of "
          "ints / edge lists. Empty = MadMiner's defaults (25 adaptive bins in 1-D, 8 x 8 in 2-D, ...).")
      .property(
          "binning_reference", [](const LimitOptions& o) { return o.binning_reference; },
          [](LimitOptions& o, py::object v) { o.binning_reference = reference_from(v); },
          "BinningReference or its name ('auto').")
      .property(
          "template_partition", [](const LimitOptions& o) { return o.template_partition; },
          [](LimitOptions& o, py::object v) { o.template_partition = partition_from(v, "template_partition"); },
          "Events the histogram templates are filled from (Partition or name; 'train' as MadMiner).")
      .property(
          "rate_partition", [](const LimitOptions& o) { return o.rate_partition; },
          [](LimitOptions& o, py::object v) { o.rate_partition = partition_from(v, "rate_partition"); },
          "Events the predicted rate L sigma(theta) comes from ('test').")
      .property(
          "theta_ref", [](const LimitOptions& o) { return o.theta_ref; },
          [](LimitOptions& o, py::object v) { o.theta_ref = v.is_none() ? Vector() : to_vector(v, "theta_ref"); },
          "theta_ref (P,) of sallino / adaptive-sally and of the binned likelihood ratio; empty = the origin (with "
          "estimator= a score estimator's reference point).")
      .field("empty_bin_floor", &LimitOptions::empty_bin_floor, "Floor of the predicted bin probabilities (1e-12).")
      .field("test_split", &LimitOptions::test_split, "Partition fractions, as the sampler's (0.2).")
      .field("validation_split", &LimitOptions::validation_split, "(0.2).")
      .field("asimov_from_closest_benchmark", &LimitOptions::asimov_from_closest_benchmark,
             "Asimov data from the events generated at the benchmark closest to theta_true (plus background) only.")
      .field("dof", &LimitOptions::dof, "Degrees of freedom of the chi^2 (0 = the number of scanned parameters).")
      .field("confidence_levels", &LimitOptions::confidence_levels, "Confidence levels of intervals and contours ([0.68, 0.95]).")
      .field("refine_best_fit", &LimitOptions::refine_best_fit, "Maximise the likelihood continuously (True).")
      .field("refine_crossings", &LimitOptions::refine_crossings, "Refine interval ends and contours on the true q (True).")
      .field("profile_nuisance_parameters", &LimitOptions::profile_nuisance_parameters,
             "Profile the set-up's nuisance parameters (True).")
      .field("theta_batch_size", &LimitOptions::theta_batch_size, "theta points per log-ratio call in the ml mode (32).")
      .finish();

  OptionsBinder<FisherOptions>(m, "FisherOptions", "Options of a Fisher information.")
      .property(
          "kind", [](const FisherOptions& o) { return o.kind; }, [](FisherOptions& o, py::object v) { o.kind = fisher_kind_from(v); },
          "FisherKind or its name ('truth').")
      .field("luminosity", &FisherOptions::luminosity, "pb^-1 (300000).")
      .field("include_rate", &FisherOptions::include_rate, "Include the rate information (True).")
      .property(
          "partition", [](const FisherOptions& o) { return o.partition; },
          [](FisherOptions& o, py::object v) { o.partition = partition_from(v, "partition"); }, "Events used ('test').")
      .field("test_split", &FisherOptions::test_split, "(0.2).")
      .field("validation_split", &FisherOptions::validation_split, "(0.2).")
      .field("observables", &FisherOptions::observables, "Histogram: observables (list[str]).")
      .property(
          "binning", [](const FisherOptions& o) { return o.binning; },
          [](FisherOptions& o, py::object v) { o.binning = binning_from(v); }, "Histogram: binning (as LimitOptions).")
      .finish();

  OptionsBinder<PlotOptions>(m, "PlotOptions", "Options of the PLplot figures (plot_limit_scans, plot_limit_contours).")
      .field("width", &PlotOptions::width, "Page width in pixels (1000).")
      .field("height", &PlotOptions::height, "Page height in pixels (750).")
      .field("formats", &PlotOptions::formats, "'png' and/or 'pdf'.")
      .field("title", &PlotOptions::title, "Title; empty = none.")
      .field("q_max", &PlotOptions::q_max, "1-D plots: the largest q shown (0 = automatic).")
      .finish();

  // ---- results ----
  py::class_<IntervalSegment>(m, "IntervalSegment",
                              "One piece [low, high] of {theta_p : q <= threshold}; *_open: it extends beyond the scan.")
      .def_readonly("low", &IntervalSegment::low)
      .def_readonly("high", &IntervalSegment::high)
      .def_readonly("low_open", &IntervalSegment::low_open)
      .def_readonly("high_open", &IntervalSegment::high_open)
      .def("__repr__", [](const IntervalSegment& s) { return "IntervalSegment(" + segment_repr(s) + ")"; });
  py::class_<ParameterInterval>(m, "ParameterInterval", "The confidence interval of one parameter at one confidence level.")
      .def_readonly("parameter", &ParameterInterval::parameter)
      .def_readonly("parameter_index", &ParameterInterval::parameter_index)
      .def_readonly("confidence_level", &ParameterInterval::confidence_level)
      .def_readonly("q_threshold", &ParameterInterval::q_threshold, "The chi^2_1 quantile q is compared with.")
      .def_readonly("profiled", &ParameterInterval::profiled, "The other scanned parameters were profiled.")
      .def_readonly("refined", &ParameterInterval::refined, "The ends were refined on the true likelihood.")
      .def_readonly("segments", &ParameterInterval::segments, "list[IntervalSegment].")
      .def("__repr__", [](const ParameterInterval& i) {
        std::string s;
        for (const auto& seg : i.segments) s += (s.empty() ? "" : " u ") + segment_repr(seg);
        return fmt::format("ParameterInterval({} in {} at {} CL)", i.parameter, s.empty() ? "{}" : s, float_repr(i.confidence_level));
      });
  py::class_<ParameterProfile>(m, "ParameterProfile", "q along one parameter (the scan, or the profile over the others).")
      .def_readonly("parameter", &ParameterProfile::parameter)
      .def_readonly("parameter_index", &ParameterProfile::parameter_index)
      .def_readonly("values", &ParameterProfile::values, "Parameter values (n,).")
      .def_readonly("q", &ParameterProfile::q, "q at them (n,).")
      .def_readonly("profiled", &ParameterProfile::profiled);
  py::class_<ContourLine>(m, "ContourLine", "A polyline (n, 2) in the two scanned parameters.")
      .def_readonly("points", &ContourLine::points, "(n, 2).")
      .def_readonly("closed", &ContourLine::closed);
  py::class_<Contour>(m, "Contour", "The contour q = threshold of a 2-D regular scan at one confidence level.")
      .def_readonly("confidence_level", &Contour::confidence_level)
      .def_readonly("q_threshold", &Contour::q_threshold)
      .def_readonly("parameter_x", &Contour::parameter_x)
      .def_readonly("parameter_y", &Contour::parameter_y)
      .def_readonly("lines", &Contour::lines, "list[ContourLine].");

  py::class_<LimitResult> result(m, "LimitResult", R"doc(
Everything a limit calculation produced, whatever the mode: the scan (log L parts, q, p at every
grid point, as NumPy views), the best fit, profiles, intervals, contours, the notes; report() and
to_json() as `sbi limits` writes them.
)doc");
  result.def_readwrite("label", &LimitResult::label, "Name for tables, plots and JSON (default: the mode's name).")
      .def_readonly("mode", &LimitResult::mode, "LimitMode.")
      .def_readonly("include_rate", &LimitResult::include_rate)
      .def_readonly("expected", &LimitResult::expected, "True for Asimov (expected) limits.")
      .def_readonly("parameter_names", &LimitResult::parameter_names)
      .def_readonly("luminosity", &LimitResult::luminosity, "pb^-1.")
      .def_readonly("n_events", &LimitResult::n_events, "L sigma(theta_true) (expected) or the observed events.")
      .def_readonly("dof", &LimitResult::dof, "k of the chi^2.")
      .def_readonly("confidence_levels", &LimitResult::confidence_levels)
      .def_readonly("grid", &LimitResult::grid, "The ScanGrid.")
      .def_property_readonly(
          "thetas", [](py::object self) { return matrix_view(self.cast<const LimitResult&>().grid.thetas(), self); },
          "The scan points (T, P) (grid.thetas).")
      .def_readonly("best_index", &LimitResult::best_index, "Index of the best scan point.")
      .def_readonly("best_fit_log_likelihood", &LimitResult::best_fit_log_likelihood)
      .def_readonly("best_fit_on_boundary", &LimitResult::best_fit_on_boundary)
      .def_readonly("best_fit_method", &LimitResult::best_fit_method, "'grid', 'quadratic' or 'refined'.")
      .def_readonly("nuisance_names", &LimitResult::nuisance_names)
      .def_property_readonly(
          "nuisance_values", [](py::object self) { return matrix_view(self.cast<const LimitResult&>().nuisance_values, self); },
          "Profiled nu_hat at every scan point (T, K).")
      .def_readonly("profiles", &LimitResult::profiles, "list[ParameterProfile], one per scanned parameter.")
      .def_readonly("intervals", &LimitResult::intervals, "list[ParameterInterval] per scanned parameter and CL.")
      .def_readonly("contours", &LimitResult::contours, "2-D scans: list[Contour] per CL.")
      .def_readonly("histogram_axes", &LimitResult::histogram_axes)
      .def_readonly("bin_edges", &LimitResult::bin_edges, "list[list[float]] per axis.")
      .def_readonly("notes", &LimitResult::notes, "Things a reader should know (list[str]).")
      .def_readonly("n_evaluations", &LimitResult::n_evaluations, "Likelihood evaluations (theta points).")
      .def_readonly("seconds", &LimitResult::seconds, "Wall time, s.");
  result_vector<&LimitResult::theta_true>(result, "theta_true", "theta_true of the Asimov data (P,), empty for observed.");
  result_vector<&LimitResult::log_likelihood_kinematic>(result, "log_likelihood_kinematic", "Kinematic log L (T,).");
  result_vector<&LimitResult::log_likelihood_rate>(result, "log_likelihood_rate", "Poisson rate log L (T,).");
  result_vector<&LimitResult::log_likelihood_constraint>(result, "log_likelihood_constraint", "-|nu_hat|^2 / 2 (T,).");
  result_vector<&LimitResult::log_likelihood>(result, "log_likelihood", "Their sum (T,).");
  result_vector<&LimitResult::q>(result, "q", "q(theta) = -2 [log L(theta) - log L(theta_hat)] (T,).");
  result_vector<&LimitResult::p_values>(result, "p_values", "p(theta) = 1 - F_chi2_k(q) (T,).");
  result_vector<&LimitResult::best_fit>(result, "best_fit", "theta_hat (P,).");
  result
      .def(
          "interval",
          [](const LimitResult& r, const std::string& parameter, double cl) {
            for (const auto& i : r.intervals)
              if (i.parameter == parameter && std::abs(i.confidence_level - cl) < 1e-12) return i;
            std::vector<std::string> have;
            for (const auto& i : r.intervals) have.push_back(fmt::format("{} at {}", i.parameter, float_repr(i.confidence_level)));
            throw NotFound(fmt::format("no interval for parameter '{}' at CL {} (the result has: {})", parameter,
                                       float_repr(cl), have.empty() ? std::string("none") : join_quoted(have, 16)));
          },
          py::arg("parameter"), py::arg("confidence_level") = 0.68, "The ParameterInterval of a parameter at a CL.")
      .def("brief_report", &LimitResult::brief_report, "One line per interval.")
      .def("full_report", &LimitResult::full_report, "The brief report, the set-up, the best fit, the scan table, the notes.")
      .def(
          "report",
          [](const LimitResult& r, const std::string& kind) {
            if (kind == "brief") return r.brief_report();
            if (kind == "full") return r.full_report();
            throw InvalidArgument(fmt::format("kind = '{}': must be 'brief' or 'full'", kind));
          },
          py::arg("kind") = "full", "The report `sbi limits --report KIND` prints: 'brief' or 'full'.")
      .def("to_json", &LimitResult::to_json, py::arg("indent") = 2,
           "JSON with stable keys (non-finite numbers as null), as in `sbi limits`' JSON file.")
      .def(
          "to_dict", [](const LimitResult& r) { return py::module_::import("json").attr("loads")(r.to_json(-1)); },
          "to_json() parsed into Python objects.")
      .def("__str__", &LimitResult::brief_report)
      .def("__repr__", [](const LimitResult& r) {
        return fmt::format("LimitResult(label={}, mode='{}', {}, points={}, best_fit={})", quoted(r.label), to_string(r.mode),
                           r.expected ? "expected" : "observed", r.grid.size(),
                           py::repr(py::cast(r.best_fit)).cast<std::string>());
      });
  add_copy(result);

  py::class_<FisherInformation>(m, "FisherInformation", "A Fisher information at theta (MadMiner's FisherInformation).")
      .def_property_readonly("kind", [](const FisherInformation& f) { return f.kind; }, "FisherKind.")
      .def_readonly("theta", &FisherInformation::theta, "Where (P,).")
      .def_readonly("luminosity", &FisherInformation::luminosity, "pb^-1.")
      .def_readonly("include_rate", &FisherInformation::include_rate)
      .def_readonly("information", &FisherInformation::information, "I (P, P), per unit parameter squared.")
      .def_readonly("n_skipped", &FisherInformation::n_skipped, "Events with w_i(theta) <= 0 left out (truth).")
      .def("interval_half_widths", &FisherInformation::interval_half_widths, py::arg("confidence_level") = 0.68,
           "Linearised 1-D interval half-widths with the other parameters profiled (P,); NaN where unconstrained.")
      .def("__repr__", [](const FisherInformation& f) {
        return fmt::format("FisherInformation(kind='{}', information={})", to_string(f.kind),
                           py::repr(py::cast(f.information)).cast<std::string>());
      });

  // ---- statistics ----
  m.def("chi2_quantile", &chi2_quantile, py::arg("confidence_level"), py::arg("dof"),
        "The chi^2_k quantile: the q threshold of a confidence level.");
  m.def("asymptotic_p_value", &asymptotic_p_value, py::arg("q"), py::arg("dof"), "p = 1 - F_chi2_k(q).");
  m.def(
      "asymptotic_p_values", [](py::object q, Index dof) { return asymptotic_p_values(to_vector(q, "q"), dof); },
      py::arg("q"), py::arg("dof"), "p for each q (n,).");
  m.def("poisson_log_likelihood", &poisson_log_likelihood, py::arg("k"), py::arg("mu"),
        "log Pois(k | mu) = k log mu - mu - log Gamma(k + 1), real k >= 0.");
  m.def(
      "interval_segments",
      [](py::object x, py::object q, double threshold) {
        return interval_segments(to_vector(x, "x"), to_vector(q, "q"), threshold);
      },
      py::arg("x"), py::arg("q"), py::arg("threshold"),
      "{x : q(x) <= threshold} of a curve sampled at increasing x, as IntervalSegments (cubic-spline ends).");

  // ---- estimators as C++ callbacks (estimators.hpp's adapters) ----
  py::class_<ScoreCallback>(m, "ScoreFunction", R"doc(
A C++ score callback t_hat(x) -> (E, P) (from score_function). Call it from Python, or pass it as
score= to a limits call: the scan then runs it without Python.
)doc")
      .def(
          "__call__",
          [](const ScoreCallback& c, py::object x) {
            const RowMatrix xs = to_row_matrix(x, "x");
            RowMatrix out;
            {
              py::gil_scoped_release release;
              out = c.f(xs);
            }
            return to_numpy(std::move(out));
          },
          py::arg("x"), "t_hat for events x (E, n_observables): ndarray (E, P).")
      .def("__repr__", [](const ScoreCallback& c) { return "ScoreFunction(" + c.description + ")"; });
  py::class_<LogRatioCallback>(m, "LogRatioFunction", R"doc(
A C++ log-ratio callback log r_hat(x|theta_t) -> (T, E) (from log_ratio_function or
calibrated_log_ratio_function). Call it from Python, or pass it as log_ratio= to a limits call: the
scan then runs it without Python.
)doc")
      .def(
          "__call__",
          [](const LogRatioCallback& c, py::object x, py::object thetas) {
            const RowMatrix xs = to_row_matrix(x, "x");
            const RowMatrix ts = to_row_matrix(thetas, "thetas");
            RowMatrix out;
            {
              py::gil_scoped_release release;
              out = c.f(xs, ts);
            }
            return to_numpy(std::move(out));
          },
          py::arg("x"), py::arg("thetas"), "log r_hat for events x (E, n_observables) at thetas (T, P): ndarray (T, E).")
      .def("__repr__", [](const LogRatioCallback& c) { return "LogRatioFunction(" + c.description + ")"; });
  auto ensemble_arg = [](py::handle object) {
    if (py::isinstance<Ensemble>(object)) return object.cast<Ensemble>();
    if (py::isinstance<Estimator>(object)) return Ensemble({object.cast<Estimator>()});
    throw py::type_error(fmt::format("estimator = {}: must be a pysbi.Ensemble or pysbi.Estimator",
                                     py::repr(object).cast<std::string>()));
  };
  auto describe = [](const Ensemble& e) {
    return fmt::format("{} ensemble of {}", to_string(e.method()), e.size());
  };
  m.def(
      "score_function",
      [ensemble_arg, describe](py::object estimator, int threads) {
        const Ensemble e = ensemble_arg(estimator);
        return ScoreCallback{score_function(e, threads), describe(e)};
      },
      py::arg("estimator"), py::arg("threads") = 0,
      "The ensemble mean of t_hat(x) as a ScoreFunction (holds a copy of the ensemble). ValueError for a ratio "
      "estimator.");
  m.def(
      "log_ratio_function",
      [ensemble_arg, describe](py::object estimator, int threads) {
        const Ensemble e = ensemble_arg(estimator);
        return LogRatioCallback{log_ratio_function(e, threads), describe(e)};
      },
      py::arg("estimator"), py::arg("threads") = 0,
      "The ensemble mean of log r_hat(x|theta, theta1) as a LogRatioFunction. ValueError for a score estimator.");
  m.def(
      "calibrated_log_ratio_function",
      [ensemble_arg, describe](py::object estimator, py::object x_from_theta1, py::object weights, bool subtract_reference,
                               int threads) {
        const Ensemble e = ensemble_arg(estimator);
        RowMatrix x = to_row_matrix(x_from_theta1, "x_from_theta1", e.size() ? e[0].n_observables() : -1);
        Vector w = weights.is_none() ? Vector() : to_vector(weights, "weights");
        LogRatioFunction f;
        {
          py::gil_scoped_release release;
          f = calibrated_log_ratio_function(e, std::move(x), std::move(w), subtract_reference, threads);
        }
        return LogRatioCallback{std::move(f), describe(e) + ", calibrated"};
      },
      py::arg("estimator"), py::arg("x_from_theta1"), py::arg("weights") = py::none(), py::arg("subtract_reference") = true,
      py::arg("threads") = 0,
      R"doc(
The calibrated log-ratio estimator for likelihood scans over many events (estimators.hpp):
log r~(x|theta) = [log r_hat(x|theta, theta1) - log r_hat(x|theta1, theta1)] - log R~(theta), with
R~(theta) the weighted mean of r~ over events x_from_theta1 (E, n_observables) drawn from theta1
(weights (E,) optional), so that r~ p(x|theta1) integrates to one at every theta. With the Asimov
events at theta_true = theta1 as calibration events (partition_events(..., "test") and their
weights at theta1), the maximum of the expected kinematic likelihood is exactly at theta1 — the
cure for ALICES' MLEs away from the SM in the seed talk. Returns a LogRatioFunction for log_ratio=.
)doc");

  // ---- the events a calculation uses (sampler.hpp; the limits take their Asimov data from them) ----
  py::class_<PartitionEvents>(m, "PartitionEvents", R"doc(
The events of one partition with the per-event factors that make their weighted sums estimate the
cross sections of the whole file: the events the Sampler draws from and the limits take their
templates, rates and Asimov data from (the Asimov weights at theta_true are factors * dsigma(x|theta_true)).
)doc")
      .def_readonly("begin", &PartitionEvents::begin, "First event of the slice (file order).")
      .def_readonly("end", &PartitionEvents::end, "One past the last.")
      .def_property_readonly(
          "rows",
          [](const PartitionEvents& p) {
            IntVector rows(static_cast<Index>(p.rows.size()));
            for (std::size_t i = 0; i < p.rows.size(); ++i) rows(static_cast<Index>(i)) = p.rows[i];
            return to_numpy(std::move(rows));
          },
          "Indices into Events (int64 (n,)), in file order.")
      .def_property_readonly(
          "factors", [](py::object self) { return vector_view(self.cast<const PartitionEvents&>().factors, self); },
          "One factor per row (n,): MadMiner's k-factor times the per-run partition correction.")
      .def("__len__", [](const PartitionEvents& p) { return p.rows.size(); })
      .def("__repr__", [](const PartitionEvents& p) {
        return fmt::format("PartitionEvents(begin={}, end={}, rows=<{}>)", p.begin, p.end, p.rows.size());
      });
  m.def(
      "partition_events",
      [](const Setup& setup, const Events& events, py::object partition, double test_split, double validation_split,
         int run) {
        return partition_events(setup, events, partition_from(partition, "partition"), test_split, validation_split, run);
      },
      py::arg("setup"), py::arg("events"), py::arg("partition") = "test", py::arg("test_split") = 0.2,
      py::arg("validation_split") = 0.2, py::arg("run") = -1,
      "The events of a partition ('train', 'validation', 'test', 'all'; with run >= 0 only those generated at that "
      "physical benchmark plus the background) and their factors, as the Sampler and AsymptoticLimits use them.");
  m.def(
      "closest_generation_run",
      [](const Setup& setup, const Events& events, py::object theta) {
        return closest_generation_run(setup, events, theta_from(theta, setup, "theta"));
      },
      py::arg("setup"), py::arg("events"), py::arg("theta"),
      "The physical benchmark with events closest to theta (MadMiner's sample_only_from_closest_benchmark; the run "
      "the Asimov data come from), or -1 when none has events.");

  // ---- the calculator ----
  py::class_<AsymptoticLimits> limits(m, "AsymptoticLimits", R"doc(
Limits from the weighted events of a study (MadMiner's AsymptoticLimits): a set-up with a stored
morphing and its signal and background events. Built once; each call is independent and
deterministic, and releases the GIL.

Estimators for the modes that need one: estimator= (an Ensemble or Estimator, evaluated in C++,
its mean over members; for the score modes theta_ref defaults to its reference point); or
score= / log_ratio=: a ScoreFunction / LogRatioFunction (score_function, log_ratio_function,
calibrated_log_ratio_function: run in C++), or any Python callable score(x) -> (E, P),
log_ratio(x, thetas) -> (T, E) (called once per batch of events and theta points).

    limits = pysbi.AsymptoticLimits("events.h5")
    r = limits.expected_limits("sm", [(-1, 1, 41), 0.0], mode="sally", estimator=sally)
    print(r.report("brief"))
)doc");
  limits
      .def(py::init([](py::object file) {
             if (py::isinstance<MadMinerFile>(file)) {
               MadMinerFile copy = file.cast<MadMinerFile>();
               py::gil_scoped_release release;
               return std::make_unique<AsymptoticLimits>(std::move(copy));
             }
             const std::string path = path_string(file, "file");
             py::gil_scoped_release release;
             MadMinerFile read;
             {
               const std::lock_guard<std::mutex> lock(hdf5_mutex());
               read = read_madminer_file(path);
             }
             return std::make_unique<AsymptoticLimits>(std::move(read));
           }),
           py::arg("file"), "From a MadMinerFile (copied) or its path. ValueError without events or morphing.")
      .def(py::init([](const Setup& setup, const Events& events) {
             Setup s = setup;
             Events e = events;
             py::gil_scoped_release release;
             return std::make_unique<AsymptoticLimits>(std::move(s), std::move(e));
           }),
           py::arg("setup"), py::arg("events"), "From a set-up with a morphing and its events (copied).")
      .def_property_readonly("setup", [](const AsymptoticLimits& l) { return l.setup(); }, "The set-up (a copy).")
      .def_property_readonly("events", [](const AsymptoticLimits& l) { return l.events(); }, "The events (a copy).")
      .def("nuisance_parameter_names", &AsymptoticLimits::nuisance_parameter_names,
           "Names of the nuisance parameters that are profiled.")
      .def(
          "expected_limits",
          [](const AsymptoticLimits& l, py::object theta_true, py::object grid, py::object options, py::object estimator,
             py::object score, py::object log_ratio, py::object label, const py::kwargs& kwargs) {
            return run_scan(l, true, theta_true, grid, options, estimator, score, log_ratio, label, kwargs);
          },
          py::arg("theta_true"), py::arg("grid"), py::arg("options") = py::none(), py::kw_only(),
          py::arg("estimator") = py::none(), py::arg("score") = py::none(), py::arg("log_ratio") = py::none(),
          py::arg("label") = py::none(),
          R"doc(
Expected limits: the Asimov data set at theta_true.

Args:
    theta_true: a point (P,) or a benchmark name ("sm").
    grid: ScanGrid, a list of axes (GridAxis, a fixed number or (low, high, n_points)), or a NumPy
        array of points (T, P).
    options (LimitOptions) or its fields as keyword arguments (mode="histo", observables=[...],
        binning=12, luminosity=3e5 pb^-1, ...).
    estimator / score / log_ratio: see the class.
    label (str, optional): the result's label (default: the mode's name).

Returns a LimitResult. ValueError naming the field for wrong shapes, unknown observables, a
missing estimator or invalid options.
)doc")
      .def(
          "observed_limits",
          [](const AsymptoticLimits& l, py::object x_observed, py::object grid, py::object options, py::object estimator,
             py::object score, py::object log_ratio, py::object label, const py::kwargs& kwargs) {
            return run_scan(l, false, x_observed, grid, options, estimator, score, log_ratio, label, kwargs);
          },
          py::arg("x_observed"), py::arg("grid"), py::arg("options") = py::none(), py::kw_only(),
          py::arg("estimator") = py::none(), py::arg("score") = py::none(), py::arg("log_ratio") = py::none(),
          py::arg("label") = py::none(),
          "Observed limits from events x_observed (E, n_observables), each of weight 1; arguments as expected_limits.")
      .def(
          "cross_sections",
          [](const AsymptoticLimits& l, py::object thetas, py::object partition, double test_split, double validation_split) {
            const RowMatrix t = ndim_of(thetas) == 1 ? RowMatrix(theta_from(thetas, l.setup(), "thetas").transpose())
                                                     : to_row_matrix(thetas, "thetas", l.setup().parameters.size());
            const Partition p = partition_from(partition, "partition");
            py::gil_scoped_release release;
            return l.cross_sections(t, p, test_split, validation_split);
          },
          py::arg("thetas"), py::arg("partition") = "test", py::arg("test_split") = 0.2, py::arg("validation_split") = 0.2,
          "sigma(theta) in pb at each row of thetas (T, P) (or one point (P,)) over a partition.")
      .def(
          "fisher_information",
          [](const AsymptoticLimits& l, py::object theta, py::object options, py::object estimator, py::object score,
             const py::kwargs& kwargs) {
            const Estimators e = estimators_from(estimator, score, py::none(), l.setup());
            const FisherOptions o = options_from<FisherOptions>(options, kwargs);
            const Vector t = theta_from(theta, l.setup(), "theta");
            py::gil_scoped_release release;
            return l.fisher_information(t, o, e.callbacks);
          },
          py::arg("theta"), py::arg("options") = py::none(), py::kw_only(), py::arg("estimator") = py::none(),
          py::arg("score") = py::none(),
          "The FisherInformation at theta (P,) or a benchmark name. options: FisherOptions or its fields (kind='truth', "
          "luminosity=..., ...); kind 'score' needs estimator= (a score Ensemble/Estimator) or score=.");

  // ---- outputs ----
  m.def(
      "write_limit_results_json",
      [](py::object path, const std::vector<LimitResult>& results) {
        const std::string p = path_string(path, "path");
        py::gil_scoped_release release;
        write_limit_results_json(p, results);
      },
      py::arg("path"), py::arg("results"), "Writes {\"sbi_version\", \"results\": [...]} atomically, as `sbi limits`.");
  m.def("limits_table", &limits_table, py::arg("results"),
        "A table of intervals: one row per result and parameter, one column per confidence level.");
  m.def(
      "plot_limit_scans",
      [](const std::vector<LimitResult>& results, const std::string& parameter, py::object stem, py::object options,
         const py::kwargs& kwargs) {
        const PlotOptions o = options_from<PlotOptions>(options, kwargs);
        const std::string s = path_string(stem, "stem");
        // PLplot keeps global state: the GIL stays held, so two threads never plot at once.
        return plot_limit_scans(results, parameter, s, o);
      },
      py::arg("results"), py::arg("parameter"), py::arg("stem"), py::arg("options") = py::none(),
      "The PLplot figure of `sbi limits`: q along `parameter` for every result with the CL lines; writes <stem>.png / "
      ".pdf and returns the paths. (pysbi.plotting.plot_limit_scans draws the same with matplotlib.)");
  m.def(
      "plot_limit_contours",
      [](const std::vector<LimitResult>& results, py::object stem, py::object options, const py::kwargs& kwargs) {
        const PlotOptions o = options_from<PlotOptions>(options, kwargs);
        const std::string s = path_string(stem, "stem");
        // PLplot keeps global state: the GIL stays held, so two threads never plot at once.
        return plot_limit_contours(results, s, o);
      },
      py::arg("results"), py::arg("stem"), py::arg("options") = py::none(),
      "The PLplot contour figure of `sbi limits` for the results with 2-D scans; writes <stem>.png / .pdf.");
}

}  // namespace sbi::python
