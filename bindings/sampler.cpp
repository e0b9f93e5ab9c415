// pysbi: the sampler (include/sbi/sampler.hpp): exact unweighting of weighted events at any θ with
// the joint ratio and score, in every MadMiner sampling mode, and cross sections with their
// statistical uncertainties.
//
// Wherever a θ specification is expected, a ThetaSpec or a shorthand is accepted: a benchmark name
// (str), a list of names, one point (1-D array-like, one value per parameter) or several points
// (2-D array-like, one per row).
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "common.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/sampler.hpp"

namespace sbi::python {

namespace {

ParameterPrior prior_from(py::handle item, const std::string& field) {
  if (py::isinstance<ParameterPrior>(item)) return item.cast<ParameterPrior>();
  if (py::isinstance<py::str>(item)) return ParameterPrior::parse(item.cast<std::string>());
  throw InvalidArgument(fmt::format("{} = {}: must be a ParameterPrior or a string 'flat:LOW,HIGH' / 'gaussian:MEAN,STD'",
                                    field, py::repr(item).cast<std::string>()));
}

std::vector<ParameterPrior> priors_from(py::handle object) {
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("priors = {}: must be a list with one prior per parameter",
                                      py::repr(object).cast<std::string>()));
  std::vector<ParameterPrior> out;
  std::size_t i = 0;
  for (py::handle item : object) out.push_back(prior_from(item, fmt::format("priors[{}]", i++)));
  return out;
}

bool is_list_of_str(py::handle object) {
  if (!py::isinstance<py::list>(object) && !py::isinstance<py::tuple>(object)) return false;
  auto sequence = py::reinterpret_borrow<py::sequence>(object);
  if (sequence.size() == 0) return false;
  for (py::handle item : sequence)
    if (!py::isinstance<py::str>(item)) return false;
  return true;
}

ThetaSpec theta_spec_from(py::handle object, const char* field) {
  if (py::isinstance<ThetaSpec>(object)) return object.cast<ThetaSpec>();
  if (py::isinstance<py::str>(object)) return ThetaSpec::benchmark(object.cast<std::string>());
  if (is_list_of_str(object)) return ThetaSpec::benchmark_list(object.cast<std::vector<std::string>>());
  const int ndim = ndim_of(object);
  if (ndim == 1) return ThetaSpec::point(to_vector(object, field));
  if (ndim == 2) return ThetaSpec::point_list(to_row_matrix(object, field));
  throw InvalidArgument(fmt::format("{} = {}: must be a ThetaSpec, a benchmark name, a list of names, one point (P,) or "
                                    "points (T, P)",
                                    field, py::repr(object).cast<std::string>()));
}

Partition partition_from(py::handle v) {
  return enum_from<Partition>(v, [](const std::string& s) { return parse_partition(s); }, "partition");
}

std::string prior_repr(const ParameterPrior& p) {
  return p.kind == ParameterPrior::Kind::Flat ? fmt::format("ParameterPrior('flat:{},{}')", float_repr(p.a), float_repr(p.b))
                                              : fmt::format("ParameterPrior('gaussian:{},{}')", float_repr(p.a), float_repr(p.b));
}

constexpr const char* sampling_doc = R"doc(
Args:
    theta: ThetaSpec, benchmark name, list of names, point (P,) or points (T, P).
    options (SamplerOptions) or its fields as keyword arguments (n_samples=..., seed=..., ...).

Returns a SamplingResult (samples and one ThetaDrawReport per theta point). Exact, deterministic
for a seed and independent of the thread count; the GIL is released.
)doc";

constexpr const char* ratio_doc = R"doc(
Args:
    theta0: numerator hypotheses (ThetaSpec or shorthand, see the class).
    theta1: denominator hypotheses (ThetaSpec or shorthand), e.g. "sm".
    options (SamplerOptions) or its fields as keyword arguments.

Returns a SamplingResult. The GIL is released.
)doc";

}  // namespace

void add_sampler(py::module_& m) {
  // ---- ParameterPrior ----
  py::class_<ParameterPrior> prior(m, "ParameterPrior",
                                   "A prior for one parameter: flat on [a, b) or Gaussian with mean a and standard "
                                   "deviation b (dimensionless parameter units).");
  py::enum_<ParameterPrior::Kind>(prior, "Kind").value("Flat", ParameterPrior::Kind::Flat).value("Gaussian", ParameterPrior::Kind::Gaussian);
  prior
      .def(py::init([](const std::string& text) { return ParameterPrior::parse(text); }), py::arg("text"),
           "From the CLI / YAML spelling 'flat:LOW,HIGH' or 'gaussian:MEAN,STD'; ValueError otherwise.")
      .def(py::init([](py::object kind, double a, double b) {
             ParameterPrior p;
             if (py::isinstance<py::str>(kind)) {
               const auto k = kind.cast<std::string>();
               if (k != "flat" && k != "gaussian")
                 throw InvalidArgument(fmt::format("kind = '{}': must be 'flat' or 'gaussian'", k));
               p = ParameterPrior::parse(fmt::format("{}:{},{}", k, float_repr(a), float_repr(b)));
             } else {
               p.kind = kind.cast<ParameterPrior::Kind>();
               p.a = a;
               p.b = b;
             }
             return p;
           }),
           py::arg("kind"), py::arg("a"), py::arg("b"),
           "kind 'flat' (a = low, b = high) or 'gaussian' (a = mean, b = standard deviation), or a ParameterPrior.Kind.")
      .def_static("parse", &ParameterPrior::parse, py::arg("text"), "ParameterPrior from 'flat:LOW,HIGH' / 'gaussian:MEAN,STD'.")
      .def_readwrite("kind", &ParameterPrior::kind, "ParameterPrior.Kind: Flat or Gaussian.")
      .def_readwrite("a", &ParameterPrior::a, "Flat: low; Gaussian: mean.")
      .def_readwrite("b", &ParameterPrior::b, "Flat: high; Gaussian: standard deviation.")
      .def("__eq__", [](const ParameterPrior& x, const ParameterPrior& y) { return x.kind == y.kind && x.a == y.a && x.b == y.b; },
           py::is_operator())
      .def("__repr__", &prior_repr);
  add_copy(prior);

  // ---- ThetaSpec ----
  py::class_<ThetaSpec> spec(m, "ThetaSpec", R"doc(
Where to sample theta: MadMiner's benchmark(), benchmarks(), morphing_point(), morphing_points()
and random_morphing_points(). Make one with the static constructors.
)doc");
  py::enum_<ThetaSpec::Kind>(spec, "Kind")
      .value("Benchmark", ThetaSpec::Kind::Benchmark)
      .value("Benchmarks", ThetaSpec::Kind::Benchmarks)
      .value("MorphingPoint", ThetaSpec::Kind::MorphingPoint)
      .value("MorphingPoints", ThetaSpec::Kind::MorphingPoints)
      .value("Random", ThetaSpec::Kind::Random);
  spec.def_static("benchmark", &ThetaSpec::benchmark, py::arg("name"), "One benchmark, by name.")
      .def_static("benchmark_list", &ThetaSpec::benchmark_list, py::arg("names"), "Several benchmarks, by name.")
      .def_static(
          "point", [](py::object theta) { return ThetaSpec::point(to_vector(theta, "theta")); }, py::arg("theta"),
          "One parameter point (P,), dimensionless.")
      .def_static(
          "point_list", [](py::object thetas) { return ThetaSpec::point_list(to_row_matrix(thetas, "thetas")); },
          py::arg("thetas"), "Several parameter points (T, P), one per row.")
      .def_static(
          "random", [](Index n_points, py::object priors) { return ThetaSpec::random(n_points, priors_from(priors)); },
          py::arg("n_points"), py::arg("priors"),
          "n_points theta drawn from one prior per parameter (ParameterPrior or 'flat:LOW,HIGH' / 'gaussian:MEAN,STD').")
      .def_readonly("kind", &ThetaSpec::kind, "ThetaSpec.Kind: which of the constructors made it.")
      .def_readonly("benchmarks", &ThetaSpec::benchmarks, "Benchmark names (Benchmark, Benchmarks).")
      .def_readonly("points", &ThetaSpec::points, "Parameter points (T, P) (MorphingPoint, MorphingPoints).")
      .def_readonly("n_random", &ThetaSpec::n_random, "Number of random points (Random).")
      .def_readonly("priors", &ThetaSpec::priors, "One prior per parameter (Random).")
      .def("__repr__", [](const ThetaSpec& s) {
        switch (s.kind) {
          case ThetaSpec::Kind::Benchmark: return fmt::format("ThetaSpec.benchmark({})", quoted(s.benchmarks.at(0)));
          case ThetaSpec::Kind::Benchmarks: return fmt::format("ThetaSpec.benchmark_list({})", join_quoted(s.benchmarks));
          case ThetaSpec::Kind::MorphingPoint: return std::string("ThetaSpec.point(<1 point>)");
          case ThetaSpec::Kind::MorphingPoints: return fmt::format("ThetaSpec.point_list(<{} points>)", s.points.rows());
          case ThetaSpec::Kind::Random: return fmt::format("ThetaSpec.random({}, <{} priors>)", s.n_random, s.priors.size());
        }
        return std::string("ThetaSpec(?)");
      });
  add_copy(spec);

  // ---- SamplerOptions ----
  OptionsBinder<SamplerOptions>(m, "SamplerOptions", "Per-call sampling settings (defaults as MadMiner's SampleAugmenter).")
      .field("n_samples", &SamplerOptions::n_samples,
             "Samples in total, split evenly over the theta points (ratio kinds: half from theta0, half from theta1).")
      .property(
          "partition", [](const SamplerOptions& o) { return o.partition; },
          [](SamplerOptions& o, py::object v) { o.partition = partition_from(v); },
          "Partition (or 'train', 'validation', 'test', 'all') to draw from; test samples always use test.")
      .field("test_split", &SamplerOptions::test_split, "Fraction of events (at the end, in file order) for testing.")
      .field("validation_split", &SamplerOptions::validation_split, "Fraction (before the test slice) for validation.")
      .field("sample_only_from_closest_benchmark", &SamplerOptions::sample_only_from_closest_benchmark,
             "Use only the events of the generation run closest to theta (plus background), as MadMiner.")
      .field("n_eff_forced", &SamplerOptions::n_eff_forced,
             "Trimmed sampling: ignore events with probability > 1/n_eff_forced (0 = off; distorts distributions).")
      .field("seed", &SamplerOptions::seed, "Master seed; each theta point gets its own stream.")
      .field("threads", &SamplerOptions::threads, "Threads for drawing (0 = all cores); results do not depend on it.")
      .field("shuffle", &SamplerOptions::shuffle, "Shuffle the final samples (MadMiner does).")
      .field("exact_statistics", &SamplerOptions::exact_statistics,
             "Report exact n_eff and clipped weight fraction per theta (O(N C) per point); NaN when off.")
      .finish();

  // ---- results ----
  py::class_<ThetaDrawReport>(m, "ThetaDrawReport", "Statistics of one theta point's draw.")
      .def_readonly("theta", &ThetaDrawReport::theta, "The point (P,).")
      .def_readonly("cross_section", &ThetaDrawReport::cross_section, "Cross section at theta over the partition, pb.")
      .def_readonly("cross_section_uncertainty", &ThetaDrawReport::cross_section_uncertainty, "Its statistical uncertainty, pb.")
      .def_readonly("n_eff", &ThetaDrawReport::n_eff, "1 / max_i p_i: effective number of distinct events.")
      .def_readonly("clipped_fraction", &ThetaDrawReport::clipped_fraction,
                    "sum max(-w_i, 0) / sum |w_i|: weight clipped because the morphed weight is negative.")
      .def_readonly("acceptance", &ThetaDrawReport::acceptance, "Accepted / proposed (the envelope's efficiency).")
      .def_readonly("redrawn", &ThetaDrawReport::redrawn, "Samples redrawn because their joint ratio was undefined.")
      .def_readonly("n_samples", &ThetaDrawReport::n_samples, "Samples drawn at this point.")
      .def("__repr__", [](const ThetaDrawReport& r) {
        return fmt::format("ThetaDrawReport(n_samples={}, cross_section={} pb, n_eff={}, acceptance={})", r.n_samples,
                           float_repr(r.cross_section), float_repr(r.n_eff), float_repr(r.acceptance));
      });

  py::class_<SamplingResult>(m, "SamplingResult", "What a sampling call produced: samples and one report per theta point.")
      .def_readwrite("samples", &SamplingResult::samples, "The AugmentedSamples (a reference into this object).")
      .def_readonly("reports", &SamplingResult::reports, "One ThetaDrawReport per theta point (list).")
      .def("min_n_eff", &SamplingResult::min_n_eff, "Smallest n_eff over the theta points (what MadMiner returns).")
      .def("brief_report", &SamplingResult::brief_report, "A few lines: samples, theta points, n_eff range, clipping, acceptance.")
      .def("__repr__", [](const SamplingResult& r) {
        return fmt::format("SamplingResult(n_samples={}, kind='{}', theta_points={}, min_n_eff={})", r.samples.size(),
                           to_string(r.samples.kind), r.reports.size(), float_repr(r.min_n_eff()));
      });

  // ---- Sampler ----
  py::class_<Sampler> cls(m, "Sampler", R"doc(
Draws unweighted, augmented samples from the weighted events of a MadMiner file (a set-up with a
stored morphing), exactly (per-component alias tables and an envelope; see
include/sbi/sampler.hpp). Built once per file; event subsets are prepared lazily and reused.

theta arguments take a ThetaSpec or a shorthand: a benchmark name, a list of names, one point
(P,) or several points (T, P).
)doc");
  cls.def(py::init([](py::object file) {
             if (py::isinstance<MadMinerFile>(file)) {
               MadMinerFile copy = file.cast<MadMinerFile>();
               py::gil_scoped_release release;
               return std::make_unique<Sampler>(std::move(copy));
             }
             const std::string path = path_string(file, "file");
             py::gil_scoped_release release;
             MadMinerFile read;
             {
               const std::lock_guard<std::mutex> lock(hdf5_mutex());
               read = read_madminer_file(path);
             }
             return std::make_unique<Sampler>(std::move(read));
           }),
           py::arg("file"),
           "From a MadMinerFile (copied) or the path of one. ValueError when it has no events or no morphing.")
      .def_property_readonly(
          "setup", [](const Sampler& s) { return s.setup(); }, "The set-up (a copy).")
      .def_property_readonly(
          "events", [](const Sampler& s) { return s.events(); }, "The events (a copy; weights in pb).");

  auto bind_mode = [&cls](const char* name, SamplingResult (Sampler::*method)(const ThetaSpec&, const SamplerOptions&),
                      const std::string& summary) {
    cls.def(
        name,
        [method](Sampler& s, py::object theta, py::object options, const py::kwargs& kwargs) {
          const SamplerOptions o = options_from<SamplerOptions>(options, kwargs);
          const ThetaSpec t = theta_spec_from(theta, "theta");
          py::gil_scoped_release release;
          return (s.*method)(t, o);
        },
        py::arg("theta"), py::arg("options") = py::none(), (summary + sampling_doc).c_str());
  };
  bind_mode("plain", &Sampler::plain, "x ~ p(x|theta): MadMiner's sample_train_plain.\n");
  bind_mode("local", &Sampler::local, "x ~ p(x|theta) with t(x,z|theta): sample_train_local (SALLY, SALLINO).\n");
  bind_mode("density", &Sampler::density,
            "theta from a prior or list, x ~ p(x|theta), t(x,z|theta): sample_train_density.\n");
  cls.def(
      "test",
      [](Sampler& s, py::object theta, py::object options, const py::kwargs& kwargs) {
        const SamplerOptions o = options_from<SamplerOptions>(options, kwargs);
        const ThetaSpec t = theta_spec_from(theta, "theta");
        py::gil_scoped_release release;
        return s.test(t, o);
      },
      py::arg("theta"), py::arg("options") = py::none(),
      (std::string("Evaluation sample from the test partition: sample_test.\n") + sampling_doc).c_str());
  auto bind_ratio = [&cls](const char* name,
                           SamplingResult (Sampler::*method)(const ThetaSpec&, const ThetaSpec&, const SamplerOptions&),
                           const std::string& summary) {
    cls.def(
        name,
        [method](Sampler& s, py::object theta0, py::object theta1, py::object options, const py::kwargs& kwargs) {
          const SamplerOptions o = options_from<SamplerOptions>(options, kwargs);
          const ThetaSpec t0 = theta_spec_from(theta0, "theta0"), t1 = theta_spec_from(theta1, "theta1");
          py::gil_scoped_release release;
          return (s.*method)(t0, t1, o);
        },
        py::arg("theta0"), py::arg("theta1"), py::arg("options") = py::none(), (summary + ratio_doc).c_str());
  };
  bind_ratio("ratio", &Sampler::ratio,
             "Half from theta0 (y = 0), half from theta1 (y = 1), with r(x,z|theta0,theta1) and t(x,z|theta0); theta0 "
             "drawn independently for the two halves: sample_train_ratio (CARL, ROLR, ALICE(S), CASCAL, RASCAL).\n");
  bind_ratio("more_ratios", &Sampler::more_ratios, "As ratio, with t(x,z|theta1) too: sample_train_more_ratios.\n");
  cls.def(
      "cross_sections",
      [](const Sampler& s, py::object thetas, py::object partition, double test_split, double validation_split) {
        const RowMatrix t = to_row_matrix(thetas, "thetas", s.setup().parameters.size());
        const Partition p = partition_from(partition);
        std::pair<Vector, Vector> result;
        {
          py::gil_scoped_release release;
          result = s.cross_sections(t, p, test_split, validation_split);
        }
        return py::make_tuple(to_numpy(std::move(result.first)), to_numpy(std::move(result.second)));
      },
      py::arg("thetas"), py::arg("partition") = "all", py::arg("test_split") = 0.2, py::arg("validation_split") = 0.2,
      "(sigma, uncertainty): cross sections sigma(theta_t) in pb at each row of thetas (T, P) over a partition, and their "
      "statistical uncertainties sqrt(sum k_i^2 w_i(theta)^2) in pb; both ndarray (T,).");
}

}  // namespace sbi::python
