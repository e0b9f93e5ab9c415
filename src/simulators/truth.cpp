// The exact truth of the built-in simulators for a file's events or samples. See include/sbi/truth.hpp.
#include "sbi/truth.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <map>

#include "../io/hdf5_handles.hpp"
#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"
#include "sbi/galton.hpp"
#include "sbi/samples.hpp"
#include "sbi/version.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_theta(const std::filesystem::path& path, const char* option, const Vector& theta,
                 const std::vector<std::string>& names) {
  if (theta.size() != static_cast<Index>(names.size()))
    throw InvalidArgument(fmt::format("'{}': {} has {} value{}; the file has {} parameter{} ({})", path.string(), option,
                                      theta.size(), theta.size() == 1 ? "" : "s", names.size(), names.size() == 1 ? "" : "s",
                                      fmt::join(names, ", ")));
  for (Index p = 0; p < theta.size(); ++p)
    if (!std::isfinite(theta(p)))
      throw InvalidArgument(fmt::format("'{}': {} {} = {} must be finite", path.string(), option, names[static_cast<std::size_t>(p)],
                                        theta(p)));
}

TruthTable wh_truth(const std::filesystem::path& path, const TruthPoints& points) {
  const WHSample sample = read_wh_events(path);
  const std::vector<std::string> names = {"c_HWtil", "c_HW"};
  if (!sample.options.parton_level)
    throw InvalidArgument(fmt::format("'{}' holds detector-level events (generated without --parton-level); the exact truth "
                                      "needs parton-level events (x = z): sbi generate wh --parton-level",
                                      path.string()));
  if (!points.theta)
    throw InvalidArgument(fmt::format("'{}': a WH events file needs --theta with {} values ({})", path.string(), names.size(),
                                      fmt::join(names, ", ")));
  const Vector theta0 = *points.theta;
  const Vector theta1 = points.theta1 ? *points.theta1 : Vector(Vector::Zero(2));
  check_theta(path, "--theta", theta0, names);
  check_theta(path, "--theta1", theta1, names);

  const Index n = sample.events.size();
  TruthTable table;
  table.source = "wh";
  table.input = path.string();
  table.parameter_names = names;
  table.theta0 = theta0.transpose().replicate(n, 1);
  table.theta1 = theta1.transpose().replicate(n, 1);
  table.process_ids.resize(n);
  for (Index i = 0; i < n; ++i) table.process_ids(i) = sample.events.process_of(i);
  table.log_p = Vector::Constant(n, kNaN);
  table.log_r = Vector::Constant(n, kNaN);
  table.t = RowMatrix::Constant(n, 2, kNaN);

  // The signal rows, as a signal-only sample (all of it when there is no background).
  std::vector<Index> signal;
  for (Index i = 0; i < n; ++i)
    if (table.process_ids(i) == 0) signal.push_back(i);
  const WHSimulator simulator(sample.options);
  if (static_cast<Index>(signal.size()) == n) {
    const WHTruth truth = simulator.truth(sample, theta0, theta1);
    table.log_p = truth.log_p;
    table.log_r = truth.log_r;
    table.t = truth.t;
    return table;
  }
  WHSample part;
  part.options = sample.options;
  part.sigma_components = sample.sigma_components;
  const Index m = static_cast<Index>(signal.size());
  part.events.observations.resize(m, sample.events.observations.cols());
  part.events.weights.resize(m, sample.events.weights.cols());
  part.events.sampling_benchmarks.resize(m);
  part.events.process_ids = IntVector::Zero(m);
  part.momenta.resize(m, 24);
  part.components.resize(m, 6);
  for (Index k = 0; k < m; ++k) {
    const Index i = signal[static_cast<std::size_t>(k)];
    part.events.observations.row(k) = sample.events.observations.row(i);
    part.events.weights.row(k) = sample.events.weights.row(i);
    part.events.sampling_benchmarks(k) = sample.events.sampling_benchmarks(i);
    part.momenta.row(k) = sample.momenta.row(i);
    part.components.row(k) = sample.components.row(i);
  }
  const WHTruth truth = simulator.truth(part, theta0, theta1);
  for (Index k = 0; k < m; ++k) {
    const Index i = signal[static_cast<std::size_t>(k)];
    table.log_p(i) = truth.log_p(k);
    table.log_r(i) = truth.log_r(k);
    table.t.row(i) = truth.t.row(k);
  }
  return table;
}

// The board of a Galton samples file: "levels=…; nails=…; start=…; steepness=…" in its settings
// (galton_local_samples / galton_ratio_samples record them), the paper's board for keys absent.
GaltonOptions board_of(const std::filesystem::path& path, const std::string& settings) {
  GaltonOptions o;
  std::size_t begin = 0;
  while (begin < settings.size()) {
    std::size_t end = settings.find(';', begin);
    if (end == std::string::npos) end = settings.size();
    std::string item = settings.substr(begin, end - begin);
    begin = end + 1;
    const auto first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    item = item.substr(first);
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    auto number = [&] {
      try {
        std::size_t used = 0;
        const double v = std::stod(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
        return v;
      } catch (const std::exception&) {
        throw FormatError(fmt::format("'{}', metadata/settings: {} = '{}' is not a number", path.string(), key, value));
      }
    };
    if (key == "levels") o.levels = static_cast<int>(number());
    else if (key == "nails") o.nails = static_cast<int>(number());
    else if (key == "start") o.start = static_cast<int>(number());
    else if (key == "steepness") o.steepness = number();
  }
  try {
    o.validate();
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("'{}', metadata/settings: {}", path.string(), e.what()));
  }
  return o;
}

TruthTable galton_truth(const std::filesystem::path& path, const TruthPoints& points) {
  const AugmentedSamples samples = read_samples(path);
  if (samples.source != "galton")
    throw FormatError(fmt::format("'{}' holds samples from '{}', not from the Galton board (sbi generate galton); the exact "
                                  "truth is known for the Galton board's samples and parton-level WH events files",
                                  path.string(), samples.source));
  if (samples.parameter_names.size() != 1 || samples.x.cols() != 1)
    throw FormatError(fmt::format("'{}': Galton samples have one parameter and one observable; this file has {} and {}",
                                  path.string(), samples.parameter_names.size(), samples.x.cols()));
  const GaltonBoard board(board_of(path, samples.settings));
  const Index n = samples.size();
  const bool has_theta1 = samples.theta1.rows() == n && samples.theta1.cols() == 1;
  TruthTable table;
  table.source = "galton";
  table.input = path.string();
  table.parameter_names = samples.parameter_names;
  if (points.theta) {
    check_theta(path, "--theta", *points.theta, samples.parameter_names);
    table.theta0 = RowMatrix::Constant(n, 1, (*points.theta)(0));
  } else {
    table.theta0 = samples.theta0;
  }
  if (points.theta1) {
    check_theta(path, "--theta1", *points.theta1, samples.parameter_names);
    table.theta1 = RowMatrix::Constant(n, 1, (*points.theta1)(0));
  } else {
    table.theta1 = has_theta1 ? samples.theta1 : RowMatrix(RowMatrix::Zero(n, 1));
  }
  table.process_ids = IntVector::Zero(n);
  table.log_p.resize(n);
  table.log_r.resize(n);
  table.t.resize(n, 1);
  // The exact distribution once per distinct θ.
  std::map<double, GaltonExact> cache;
  auto exact = [&](double theta) -> const GaltonExact& {
    auto it = cache.find(theta);
    if (it == cache.end()) it = cache.emplace(theta, board.exact(theta)).first;
    return it->second;
  };
  for (Index i = 0; i < n; ++i) {
    const double xv = samples.x(i, 0);
    if (!(xv >= 0.0 && xv <= board.options().nails) || xv != std::floor(xv))
      throw DataError(fmt::format("'{}': sample {} has x = {}; the board's outcomes are the integers 0 … {}", path.string(), i, xv,
                                  board.options().nails));
    const auto x = static_cast<Index>(xv);
    const GaltonExact& e0 = exact(table.theta0(i, 0));
    const GaltonExact& e1 = exact(table.theta1(i, 0));
    table.log_p(i) = std::log(e0.p(x));
    table.log_r(i) = (e0.p(x) == 0.0 && e1.p(x) == 0.0) ? kNaN : std::log(e0.p(x)) - std::log(e1.p(x));
    table.t(i, 0) = e0.t(x);
  }
  return table;
}

}  // namespace

TruthTable truth_from_file(const std::filesystem::path& path, const TruthPoints& points) {
  bool samples_file = false, events_file = false;
  {
    const h5::File file = h5::File::open_read(path);
    samples_file = file.has("metadata/kind") && file.has("x");
    events_file = file.has("samples/observations");
  }
  if (samples_file) return galton_truth(path, points);
  if (events_file) return wh_truth(path, points);
  throw FormatError(fmt::format("'{}' is neither an events file (no samples/observations) nor a samples file (no metadata/kind); "
                                "sbi truth reads parton-level WH events (sbi generate wh --parton-level) and Galton samples "
                                "(sbi generate galton)",
                                path.string()));
}

void write_truth(const std::filesystem::path& path, const TruthTable& table) {
  const Index n = table.size(), n_p = static_cast<Index>(table.parameter_names.size());
  if (table.log_r.size() != n || table.t.rows() != n || table.t.cols() != n_p || table.theta0.rows() != n ||
      table.theta0.cols() != n_p || table.theta1.rows() != n || table.theta1.cols() != n_p || table.process_ids.size() != n)
    throw InvalidArgument(fmt::format("write_truth '{}': {} rows of log_p but log_r {}, t {} × {}, theta0 {} × {}, theta1 {} × {}, "
                                      "process_ids {} for {} parameters",
                                      path.string(), n, table.log_r.size(), table.t.rows(), table.t.cols(), table.theta0.rows(),
                                      table.theta0.cols(), table.theta1.rows(), table.theta1.cols(), table.process_ids.size(), n_p));
  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temporary_path());
  file.write_vector("log_p", table.log_p);
  file.write_vector("log_r", table.log_r);
  file.write_matrix("t", table.t);
  file.write_matrix("theta0", table.theta0);
  file.write_matrix("theta1", table.theta1);
  file.write_int_vector("process_ids", std::vector<std::int64_t>(table.process_ids.data(), table.process_ids.data() + n));
  file.write_strings("parameter_names", table.parameter_names);
  file.write_strings("metadata/kind", {"truth"});
  file.write_strings("metadata/source", {table.source});
  file.write_strings("metadata/input", {table.input}, std::max<std::size_t>(256, table.input.size()));
  file.write_strings("metadata/sbi_version", {sbi::version});
  file.close();
  output.commit();
}

TruthTable read_truth(const std::filesystem::path& path) {
  const h5::File file = h5::File::open_read(path);
  for (const char* required : {"metadata/kind", "log_p", "log_r", "t", "theta0", "theta1", "parameter_names"})
    if (!file.has(required))
      throw FormatError(fmt::format("'{}' has no dataset {}; it is not a truth file (sbi truth writes them)", path.string(), required));
  auto single = [&](const char* name) {
    const auto v = file.read_strings(name);
    if (v.size() != 1) throw FormatError(fmt::format("'{}', dataset {}: expected one string", path.string(), name));
    return v[0];
  };
  if (single("metadata/kind") != "truth")
    throw FormatError(fmt::format("'{}', metadata/kind = '{}': not a truth file", path.string(), single("metadata/kind")));
  TruthTable table;
  if (file.has("metadata/source")) table.source = single("metadata/source");
  if (file.has("metadata/input")) table.input = single("metadata/input");
  table.parameter_names = file.read_strings("parameter_names");
  auto column = [&](const char* name) -> Vector {
    const RowMatrix m = file.read_matrix(name);
    if (m.cols() != 1) throw FormatError(fmt::format("'{}', dataset {}: expected a list", path.string(), name));
    return m.col(0);
  };
  table.log_p = column("log_p");
  table.log_r = column("log_r");
  table.t = file.read_matrix("t");
  table.theta0 = file.read_matrix("theta0");
  table.theta1 = file.read_matrix("theta1");
  const Index n = table.size(), n_p = static_cast<Index>(table.parameter_names.size());
  if (file.has("process_ids")) {
    const IntRowMatrix ids = file.read_int_matrix("process_ids");
    table.process_ids = Eigen::Map<const IntVector>(ids.data(), ids.size());
  } else {
    table.process_ids = IntVector::Zero(n);
  }
  auto check = [&](const char* name, Index rows, Index cols, Index want_cols) {
    if (rows != n || cols != want_cols)
      throw FormatError(fmt::format("'{}', dataset {} has shape ({}, {}); expected ({}, {})", path.string(), name, rows, cols, n, want_cols));
  };
  check("log_r", table.log_r.size(), 1, 1);
  check("t", table.t.rows(), table.t.cols(), n_p);
  check("theta0", table.theta0.rows(), table.theta0.cols(), n_p);
  check("theta1", table.theta1.rows(), table.theta1.cols(), n_p);
  check("process_ids", table.process_ids.size(), 1, 1);
  return table;
}

}  // namespace sbi
