// pysbi: unweighted, augmented samples (include/sbi/samples.hpp): AugmentedSamples with NumPy views
// of its arrays, the HDF5 sample files and the export to MadMiner's .npy files.
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <mutex>

#include "common.hpp"
#include "sbi/samples.hpp"

namespace sbi::python {

namespace {

SampleKind kind_from(py::handle v) {
  return enum_from<SampleKind>(v, [](const std::string& s) { return parse_sample_kind(s); }, "kind");
}
Partition partition_from(py::handle v) {
  return enum_from<Partition>(v, [](const std::string& s) { return parse_partition(s); }, "partition");
}

// A read-write NumPy view of a matrix member, assigned by copying into the member (set_matrix).
template <RowMatrix AugmentedSamples::*member>
void matrix_property(py::class_<AugmentedSamples>& cls, const char* name, const char* doc) {
  const std::string field = std::string("AugmentedSamples.") + name;
  cls.def_property(
      name, [](AugmentedSamples& s) -> RowMatrix& { return s.*member; },
      [field](AugmentedSamples& s, py::object value) { set_matrix(s.*member, value, field); }, doc);
}
template <Vector AugmentedSamples::*member>
void vector_property(py::class_<AugmentedSamples>& cls, const char* name, const char* doc) {
  const std::string field = std::string("AugmentedSamples.") + name;
  cls.def_property(
      name, [](AugmentedSamples& s) -> Vector& { return s.*member; },
      [field](AugmentedSamples& s, py::object value) { set_vector(s.*member, value, field); }, doc);
}

std::string samples_repr(const AugmentedSamples& s) {
  return fmt::format("AugmentedSamples(kind='{}', partition='{}', n_samples={}, parameters={}, observables=<{}>, seed={})",
                     to_string(s.kind), to_string(s.partition), s.size(), join_quoted(s.parameter_names),
                     s.observable_names.size(), s.seed);
}

}  // namespace

void add_samples(py::module_& m) {
  py::enum_<SampleKind>(m, "SampleKind", R"doc(
What a sample holds, with MadMiner's names (strings "plain", "local", "density", "ratio",
"more-ratios", "test" are accepted wherever a SampleKind is).
)doc")
      .value("Plain", SampleKind::Plain, "x ~ p(x|theta): x, theta0.")
      .value("Local", SampleKind::Local, "SALLY / SALLINO: x, theta0, t_xz0.")
      .value("Density", SampleKind::Density, "theta from a prior: x, theta0, t_xz0.")
      .value("Ratio", SampleKind::Ratio, "CARL, ROLR, ALICE(S), CASCAL, RASCAL: x, theta0, theta1, y, r_xz, t_xz0.")
      .value("MoreRatios", SampleKind::MoreRatios, "As Ratio plus t_xz1.")
      .value("Test", SampleKind::Test, "Evaluation sample from the test partition: x, theta0.")
      .def_property_readonly("label", [](SampleKind k) { return std::string(to_string(k)); },
                             "The name used by files and the CLI ('more-ratios').");
  py::enum_<Partition>(m, "Partition", "Slice of the weighted events a sample is drawn from ('train', 'validation', 'test', 'all').")
      .value("Train", Partition::Train)
      .value("Validation", Partition::Validation)
      .value("Test", Partition::Test)
      .value("All", Partition::All)
      .def_property_readonly("label", [](Partition p) { return std::string(to_string(p)); }, "The name ('train', ...).");
  m.def("parse_sample_kind", [](const std::string& name) { return parse_sample_kind(name); }, py::arg("name"),
        "SampleKind from its name ('plain', 'local', 'density', 'ratio', 'more-ratios' or 'more_ratios', 'test'); "
        "ValueError listing the names otherwise.");
  m.def("parse_partition", [](const std::string& name) { return parse_partition(name); }, py::arg("name"),
        "Partition from its name ('train', 'validation', 'test', 'all').");

  py::class_<AugmentedSamples> samples(m, "AugmentedSamples", R"doc(
N unweighted samples with their augmented data (MadMiner's conventions, arXiv:1805.12244 Eqs. 6-9):
y = 0 for samples drawn from theta0, 1 for samples drawn from theta1;
r_xz = p(x,z|theta0) / p(x,z|theta1); t_xz0 = grad_theta log p(x,z|theta) at theta0.

Arrays are NumPy views of the object's memory (float64, row-major); fields a kind does not use
are empty (0 rows). Observables x in the units of their definitions (GeV), parameters
dimensionless, r_xz dimensionless, scores per unit parameter.
)doc");
  samples.def(py::init([](py::object kind, py::object partition, std::vector<std::string> parameter_names,
                          std::vector<std::string> observable_names, py::object x, py::object theta0, py::object theta1,
                          py::object y, py::object r_xz, py::object t_xz0, py::object t_xz1, std::uint64_t seed,
                          std::string source) {
                AugmentedSamples s;
                s.kind = kind_from(kind);
                s.partition = partition_from(partition);
                s.parameter_names = std::move(parameter_names);
                s.observable_names = std::move(observable_names);
                const auto n_p = static_cast<Index>(s.parameter_names.size());
                auto matrix = [&](py::object v, const char* name, Index cols) {
                  return v.is_none() ? RowMatrix(0, 0) : to_row_matrix(v, std::string("AugmentedSamples.") + name, cols);
                };
                s.x = matrix(x, "x", s.observable_names.empty() ? -1 : static_cast<Index>(s.observable_names.size()));
                s.theta0 = matrix(theta0, "theta0", n_p);
                s.theta1 = matrix(theta1, "theta1", n_p);
                s.t_xz0 = matrix(t_xz0, "t_xz0", n_p);
                s.t_xz1 = matrix(t_xz1, "t_xz1", n_p);
                if (!y.is_none()) s.y = to_vector(y, "AugmentedSamples.y");
                if (!r_xz.is_none()) s.r_xz = to_vector(r_xz, "AugmentedSamples.r_xz");
                s.seed = seed;
                s.source = std::move(source);
                return s;
              }),
              py::kw_only(), py::arg("kind") = "plain", py::arg("partition") = "train",
              py::arg("parameter_names") = std::vector<std::string>{}, py::arg("observable_names") = std::vector<std::string>{},
              py::arg("x") = py::none(), py::arg("theta0") = py::none(), py::arg("theta1") = py::none(),
              py::arg("y") = py::none(), py::arg("r_xz") = py::none(), py::arg("t_xz0") = py::none(),
              py::arg("t_xz1") = py::none(), py::arg("seed") = 0, py::arg("source") = "",
              "Keyword arguments named as the C++ fields; arrays are copied once. Call validate() to check the kind's "
              "fields.")
      .def_property(
          "kind", [](const AugmentedSamples& s) { return s.kind; },
          [](AugmentedSamples& s, py::object v) { s.kind = kind_from(v); }, "SampleKind (or its name).")
      .def_property(
          "partition", [](const AugmentedSamples& s) { return s.partition; },
          [](AugmentedSamples& s, py::object v) { s.partition = partition_from(v); }, "Partition (or its name).")
      .def_readwrite("parameter_names", &AugmentedSamples::parameter_names, "list[str] (a copy).")
      .def_readwrite("observable_names", &AugmentedSamples::observable_names, "list[str] (a copy).")
      .def_readwrite("seed", &AugmentedSamples::seed, "Seed the samples were drawn with.")
      .def_readwrite("source", &AugmentedSamples::source, "Events file or simulator they came from.");
  matrix_property<&AugmentedSamples::x>(samples, "x", "Observables (ndarray (N, n_observables)), a view.");
  matrix_property<&AugmentedSamples::theta0>(samples, "theta0",
                                             "theta each sample was drawn at (theta0 for the ratio kinds), (N, P), a view.");
  matrix_property<&AugmentedSamples::theta1>(samples, "theta1", "Denominator hypothesis theta1 (N, P) (ratio kinds), a view.");
  vector_property<&AugmentedSamples::y>(samples, "y", "Labels (N,): 0 = drawn from theta0, 1 = from theta1, a view.");
  vector_property<&AugmentedSamples::r_xz>(samples, "r_xz", "Joint likelihood ratios r(x,z|theta0,theta1) (N,), a view.");
  matrix_property<&AugmentedSamples::t_xz0>(samples, "t_xz0", "Joint scores t(x,z|theta0) (N, P), a view.");
  matrix_property<&AugmentedSamples::t_xz1>(samples, "t_xz1", "Joint scores t(x,z|theta1) (N, P) (more-ratios), a view.");
  samples.def("__len__", &AugmentedSamples::size, "N.")
      .def_property_readonly("n_samples", &AugmentedSamples::size, "N (int).")
      .def_property_readonly("n_parameters", &AugmentedSamples::n_parameters, "P (int).")
      .def("validate", &AugmentedSamples::validate,
           "Checks shapes for the kind, finite values, y in {0, 1}, r_xz > 0: ValueError naming the field, sample and value.")
      .def("__eq__", [](const AugmentedSamples& a, const AugmentedSamples& b) { return a == b; }, py::is_operator())
      .def("__repr__", &samples_repr);
  add_copy(samples);

  m.def(
      "write_samples",
      [](const std::filesystem::path& path, const AugmentedSamples& samples) {
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        write_samples(path, samples);
      },
      py::arg("path"), py::arg("samples"), py::call_guard<py::gil_scoped_release>(),
      "Writes samples to an HDF5 file, atomically (temporary file + rename): the kind's datasets, names and "
      "metadata/{kind, partition, seed, source, sbi_version}. The GIL is released.");
  m.def(
      "read_samples",
      [](const std::filesystem::path& path) {
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_samples(path);
      },
      py::arg("path"), py::call_guard<py::gil_scoped_release>(),
      "Reads a file written by write_samples (or `sbi augment`). FileNotFoundError, OSError (pysbi.FormatError) naming "
      "the file and dataset.");
  m.def(
      "export_madminer_npy",
      [](const AugmentedSamples& samples, const std::filesystem::path& folder, const std::string& name) {
        try {
          return export_madminer_npy(samples, folder, name);
        } catch (const std::filesystem::filesystem_error& e) {
          throw FileError(fmt::format("export_madminer_npy: cannot create folder '{}': {}", folder.string(), e.what()));
        }
      },
      py::arg("samples"), py::arg("folder"), py::arg("name"), py::call_guard<py::gil_scoped_release>(),
      "Writes <field>_<name>.npy files as MadMiner's SampleAugmenter names them (theta0, theta1, x, y (N, 1), r_xz "
      "(N, 1), t_xz for ratio samples; theta, x, t_xz for local ones; ...) into folder; returns the paths written.");
}

}  // namespace sbi::python
