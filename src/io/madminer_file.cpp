// MadMiner's HDF5 layout (madminer/utils/interfaces/hdf5.py, v0.9; DESIGN.md §7): plain datasets,
// no attributes, no compression, fixed-length 256-byte ASCII strings, "None" for absent strings.
#include "sbi/madminer_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "hdf5_handles.hpp"
#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"

namespace sbi {

namespace {

// MadMiner writes str(None) = "None" where a string is absent (its EMPTY_EXPR, issue #501).
constexpr const char* none_string = "None";

std::string from_optional_string(const std::string& s) { return s == none_string ? std::string() : s; }
std::string to_optional_string(const std::string& s) { return s.empty() ? std::string(none_string) : s; }

// Parameter transforms: MadMiner v0.9's own writer fails on a missing transform, so sbi writes the
// identity "theta"; on reading, "", "None" and "theta" all mean "no transform".
std::string transform_from_file(const std::string& s) {
  return (s.empty() || s == none_string || s == "theta") ? std::string() : s;
}
std::string transform_to_file(const std::string& s) { return s.empty() ? std::string("theta") : s; }

[[noreturn]] void format_error(const h5::File& file, const std::string& dataset, const std::string& what) {
  throw FormatError(fmt::format("'{}', dataset {}: {}", file.path().string(), dataset, what));
}

void require(const h5::File& file, const std::string& dataset, const std::string& purpose) {
  if (!file.has(dataset))
    throw FormatError(fmt::format("'{}' has no dataset {} ({}); it is not a MadMiner file, or not a complete one",
                                  file.path().string(), dataset, purpose));
}

void check_length(const h5::File& file, const std::string& dataset, std::size_t length, std::size_t expected,
                  const std::string& of_what) {
  if (length != expected)
    format_error(file, dataset, fmt::format("has {} entries; expected {} (one per {})", length, expected, of_what));
}

std::vector<std::int64_t> read_int_list(const h5::File& file, const std::string& dataset) {
  const IntRowMatrix values = file.read_int_matrix(dataset);
  if (values.rows() != 1 && values.cols() != 1 && values.size() != 0)
    format_error(file, dataset, fmt::format("has shape ({}, {}); expected a list", values.rows(), values.cols()));
  return std::vector<std::int64_t>(values.data(), values.data() + values.size());
}

ParameterSpace read_parameters(const h5::File& file) {
  require(file, "parameters/names", "the parameter names");
  const auto names = file.read_strings("parameters/names");
  const std::size_t n = names.size();

  for (const char* dataset : {"parameters/lha_blocks", "parameters/lha_ids", "parameters/max_power"})
    require(file, dataset, "parameter definitions");
  const auto blocks = file.read_strings("parameters/lha_blocks");
  check_length(file, "parameters/lha_blocks", blocks.size(), n, "parameter");
  const auto ids = read_int_list(file, "parameters/lha_ids");
  check_length(file, "parameters/lha_ids", ids.size(), n, "parameter");

  // Older files store max_power with shape (n_p, 1).
  const IntRowMatrix max_power = file.read_int_matrix("parameters/max_power");
  if (max_power.rows() != static_cast<Index>(n) || max_power.cols() != 1)
    format_error(file, "parameters/max_power",
                 fmt::format("has shape ({}, {}); expected ({}) or ({}, 1)", max_power.rows(), max_power.cols(), n, n));

  // Current files: parameters/val_ranges (float64, or int64 as some real files have); older: parameters/ranges.
  const std::string ranges_name = file.has("parameters/val_ranges") ? "parameters/val_ranges" : "parameters/ranges";
  require(file, ranges_name, "the parameter ranges (parameters/val_ranges or, in older files, parameters/ranges)");
  const RowMatrix ranges = file.read_matrix(ranges_name);
  if (ranges.rows() != static_cast<Index>(n) || ranges.cols() != 2)
    format_error(file, ranges_name, fmt::format("has shape ({}, {}); expected ({}, 2)", ranges.rows(), ranges.cols(), n));

  std::vector<std::string> transforms(n);
  if (file.has("parameters/transforms")) {
    transforms = file.read_strings("parameters/transforms");
    check_length(file, "parameters/transforms", transforms.size(), n, "parameter");
  }

  std::vector<Parameter> parameters(n);
  for (std::size_t i = 0; i < n; ++i) {
    Parameter& p = parameters[i];
    p.name = names[i];
    p.lha_block = blocks[i];
    p.lha_id = ids[i];
    if (max_power(static_cast<Index>(i), 0) < 1 || max_power(static_cast<Index>(i), 0) > 1000)
      format_error(file, "parameters/max_power",
                   fmt::format("parameter '{}' has max_power = {}; it must be a positive power", p.name,
                               max_power(static_cast<Index>(i), 0)));
    p.max_power = static_cast<int>(max_power(static_cast<Index>(i), 0));
    p.range_low = ranges(static_cast<Index>(i), 0);
    p.range_high = ranges(static_cast<Index>(i), 1);
    p.transform = transform_from_file(transforms[i]);
  }
  try {
    return ParameterSpace(std::move(parameters));
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("'{}', parameters: {}", file.path().string(), e.what()));
  }
}

std::vector<Benchmark> read_benchmarks(const h5::File& file, Index n_parameters) {
  require(file, "benchmarks/names", "the benchmark names");
  require(file, "benchmarks/values", "the benchmark parameter values");
  const auto names = file.read_strings("benchmarks/names");
  const std::size_t n = names.size();
  RowMatrix values = file.read_matrix("benchmarks/values");
  // A one-parameter file may hold the values as a list.
  if (n_parameters == 1 && values.cols() == 1 && values.rows() == static_cast<Index>(n)) {
  } else if (values.rows() != static_cast<Index>(n) || values.cols() != n_parameters) {
    format_error(file, "benchmarks/values",
                 fmt::format("has shape ({}, {}); expected (n_benchmarks, n_parameters) = ({}, {})", values.rows(),
                             values.cols(), n, n_parameters));
  }
  std::vector<std::int64_t> nuisance(n, 0), reference(n, 0);
  if (file.has("benchmarks/is_nuisance")) {
    nuisance = read_int_list(file, "benchmarks/is_nuisance");
    check_length(file, "benchmarks/is_nuisance", nuisance.size(), n, "benchmark");
  }
  if (file.has("benchmarks/is_reference")) {
    reference = read_int_list(file, "benchmarks/is_reference");
    check_length(file, "benchmarks/is_reference", reference.size(), n, "benchmark");
  }
  std::vector<Benchmark> benchmarks(n);
  for (std::size_t b = 0; b < n; ++b) {
    benchmarks[b].name = names[b];
    benchmarks[b].values = values.row(static_cast<Index>(b)).transpose();
    benchmarks[b].is_nuisance = nuisance[b] != 0;
    benchmarks[b].is_reference = reference[b] != 0;
  }
  return benchmarks;
}

void read_optional_groups(const h5::File& file, Setup& setup) {
  const bool has_components = file.has("morphing/components"), has_matrix = file.has("morphing/morphing_matrix");
  if (has_components != has_matrix)
    throw FormatError(fmt::format("'{}' has {} but not {}; the morphing needs both", file.path().string(),
                                  has_components ? "morphing/components" : "morphing/morphing_matrix",
                                  has_components ? "morphing/morphing_matrix" : "morphing/components"));
  if (has_components) {
    StoredMorphing morphing;
    morphing.components = file.read_int_matrix("morphing/components");
    morphing.matrix = file.read_matrix("morphing/morphing_matrix");
    // One-parameter components may be stored as a list.
    if (setup.parameters.size() == 1 && morphing.components.cols() == 1) {
    } else if (morphing.components.cols() != setup.parameters.size()) {
      format_error(file, "morphing/components",
                   fmt::format("has {} columns; expected one per parameter ({})", morphing.components.cols(),
                               setup.parameters.size()));
    }
    setup.morphing = std::move(morphing);
  }

  if (file.has("observables/names")) {
    const auto names = file.read_strings("observables/names");
    std::vector<std::string> definitions(names.size());
    if (file.has("observables/definitions")) {
      definitions = file.read_strings("observables/definitions");
      check_length(file, "observables/definitions", definitions.size(), names.size(), "observable");
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      setup.observables.push_back({names[i], from_optional_string(definitions[i])});
  }

  if (file.has("nuisance_parameters/names")) {
    const auto names = file.read_strings("nuisance_parameters/names");
    auto read_column = [&](const std::string& dataset) {
      require(file, dataset, "nuisance parameter definitions");
      auto column = file.read_strings(dataset);
      check_length(file, dataset, column.size(), names.size(), "nuisance parameter");
      return column;
    };
    const auto systematics = read_column("nuisance_parameters/systematics");
    const auto positive = read_column("nuisance_parameters/benchmark_positive");
    const auto negative = read_column("nuisance_parameters/benchmark_negative");
    for (std::size_t i = 0; i < names.size(); ++i)
      setup.nuisance_parameters.push_back(
          {names[i], systematics[i], from_optional_string(positive[i]), from_optional_string(negative[i])});
  }

  if (file.has("systematics/names")) {
    const auto names = file.read_strings("systematics/names");
    auto read_column = [&](const std::string& dataset) {
      require(file, dataset, "systematics definitions");
      auto column = file.read_strings(dataset);
      check_length(file, dataset, column.size(), names.size(), "systematic");
      return column;
    };
    const auto types = read_column("systematics/types");
    const auto values = read_column("systematics/values");
    const auto scales = read_column("systematics/scales");
    for (std::size_t i = 0; i < names.size(); ++i)
      setup.systematics.push_back({names[i], types[i], values[i], from_optional_string(scales[i])});
  }

  if (file.has("finite_differences/base_benchmarks")) {
    FiniteDifferences differences;
    differences.base_benchmarks = file.read_strings("finite_differences/base_benchmarks");
    require(file, "finite_differences/shifted_benchmarks", "finite-difference benchmarks");
    const auto shifted = file.read_strings("finite_differences/shifted_benchmarks");
    const std::size_t n = differences.base_benchmarks.size();
    const auto n_p = static_cast<std::size_t>(setup.parameters.size());
    check_length(file, "finite_differences/shifted_benchmarks", shifted.size(), n * n_p,
                 "base benchmark and parameter");
    for (std::size_t i = 0; i < n; ++i)
      differences.shifted_benchmarks.emplace_back(shifted.begin() + static_cast<std::ptrdiff_t>(i * n_p),
                                                  shifted.begin() + static_cast<std::ptrdiff_t>((i + 1) * n_p));
    if (file.has("finite_differences/epsilon")) {
      const RowMatrix epsilon = file.read_matrix("finite_differences/epsilon");
      if (epsilon.size() != 1) format_error(file, "finite_differences/epsilon", "must be a single number");
      differences.epsilon = epsilon(0, 0);
    }
    setup.finite_differences = std::move(differences);
  }
}

Events read_events(const h5::File& file, const Setup& setup) {
  Events events;
  events.observations = file.read_matrix("samples/observations");
  require(file, "samples/weights", "the event weights");
  events.weights = file.read_matrix("samples/weights");
  const Index n = events.observations.rows();
  // A file without observables stores observations of shape (N,) or (N, 0).
  if (setup.observables.empty() && file.info("samples/observations").dims.size() == 1)
    events.observations.resize(n, 0);
  if (events.weights.rows() != n)
    format_error(file, "samples/weights",
                 fmt::format("has {} rows but samples/observations has {}; one row per event in both", events.weights.rows(), n));
  if (file.has("samples/sampling_benchmarks")) {
    const auto ids = read_int_list(file, "samples/sampling_benchmarks");
    check_length(file, "samples/sampling_benchmarks", ids.size(), static_cast<std::size_t>(n), "event");
    events.sampling_benchmarks = Eigen::Map<const IntVector>(ids.data(), static_cast<Index>(ids.size()));
  } else {
    // Older files do not record where events came from: attribute them to the reference benchmark
    // (or the first one), which is what a single-benchmark generation run means.
    const Index reference = setup.reference_benchmark();
    events.sampling_benchmarks = IntVector::Constant(n, reference >= 0 ? reference : 0);
  }
  if (file.has("samples/process_ids")) {
    const auto ids = read_int_list(file, "samples/process_ids");
    check_length(file, "samples/process_ids", ids.size(), static_cast<std::size_t>(n), "event");
    events.process_ids = Eigen::Map<const IntVector>(ids.data(), static_cast<Index>(ids.size()));
  }
  if (file.has("samples/process_names")) events.process_names = file.read_strings("samples/process_names");
  return events;
}

}  // namespace

bool ExtraDatasets::operator==(const ExtraDatasets& o) const {
  if (strings != o.strings || matrices.size() != o.matrices.size()) return false;
  for (auto a = matrices.begin(), b = o.matrices.begin(); a != matrices.end(); ++a, ++b)
    if (a->first != b->first || !same_values(a->second, b->second)) return false;
  return true;
}

MadMinerFile read_madminer_file(const std::filesystem::path& path, const ReadOptions& options) {
  const h5::File file = h5::File::open_read(path);
  MadMinerFile result;
  Setup& setup = result.setup;
  setup.parameters = read_parameters(file);
  setup.benchmarks = read_benchmarks(file, setup.parameters.size());
  read_optional_groups(file, setup);

  if (file.has("sample_summary/signal_events")) {
    SampleSummary summary;
    summary.signal_events = read_int_list(file, "sample_summary/signal_events");
    if (file.has("sample_summary/background_events")) {
      const IntRowMatrix background = file.read_int_matrix("sample_summary/background_events");
      if (background.size() != 1) format_error(file, "sample_summary/background_events", "must be a single number");
      summary.background_events = background(0, 0);
    }
    result.sample_summary = std::move(summary);
  }

  if (options.load_events && file.has("samples/observations")) result.events = read_events(file, setup);

  for (const std::string& name : options.extra_datasets) {
    if (!file.has(name)) continue;
    if (file.info(name).kind == h5::Kind::String) result.extra.strings[name] = file.read_strings(name);
    else result.extra.matrices[name] = file.read_matrix(name);
  }

  if (options.validate) {
    try {
      setup.validate();
    } catch (const InvalidArgument& e) {
      throw FormatError(fmt::format("'{}': {}", path.string(), e.what()));
    }
    if (result.events) {
      try {
        result.events->validate(setup, fmt::format("'{}'", path.string()));
      } catch (const InvalidArgument& e) {
        throw FormatError(e.what());
      }
    }
    if (result.sample_summary) {
      const auto& s = *result.sample_summary;
      if (static_cast<Index>(s.signal_events.size()) > static_cast<Index>(setup.benchmarks.size()))
        format_error(file, "sample_summary/signal_events",
                     fmt::format("has {} entries for {} benchmarks", s.signal_events.size(), setup.benchmarks.size()));
      for (std::size_t b = 0; b < s.signal_events.size(); ++b)
        if (s.signal_events[b] < 0)
          format_error(file, "sample_summary/signal_events", fmt::format("entry {} = {} is negative", b, s.signal_events[b]));
      if (s.background_events < 0)
        format_error(file, "sample_summary/background_events", fmt::format("= {} is negative", s.background_events));
    }
  }
  return result;
}

namespace {

SampleSummary summary_from_events(const Events& events, Index n_physical) {
  SampleSummary summary;
  summary.signal_events.assign(static_cast<std::size_t>(n_physical), 0);
  for (Index i = 0; i < events.size(); ++i) {
    const auto b = events.sampling_benchmarks(i);
    if (b < 0) ++summary.background_events;
    else if (b < n_physical) ++summary.signal_events[static_cast<std::size_t>(b)];
  }
  return summary;
}

void write_content(h5::File& file, const MadMinerFile& content) {
  const Setup& setup = content.setup;
  const auto n_p = static_cast<std::size_t>(setup.parameters.size());

  std::vector<std::string> names, blocks, transforms;
  std::vector<std::int64_t> ids, powers;
  RowMatrix ranges(static_cast<Index>(n_p), 2);
  for (std::size_t i = 0; i < n_p; ++i) {
    const Parameter& p = setup.parameters[static_cast<Index>(i)];
    names.push_back(p.name);
    blocks.push_back(p.lha_block);
    transforms.push_back(transform_to_file(p.transform));
    ids.push_back(p.lha_id);
    powers.push_back(p.max_power);
    ranges(static_cast<Index>(i), 0) = p.range_low;
    ranges(static_cast<Index>(i), 1) = p.range_high;
  }
  file.write_strings("parameters/names", names);
  file.write_strings("parameters/lha_blocks", blocks);
  file.write_int_vector("parameters/lha_ids", ids);
  file.write_int_vector("parameters/max_power", powers);
  file.write_matrix("parameters/val_ranges", ranges);
  file.write_strings("parameters/transforms", transforms);

  std::vector<std::int64_t> nuisance, reference;
  for (const auto& b : setup.benchmarks) {
    nuisance.push_back(b.is_nuisance ? 1 : 0);
    reference.push_back(b.is_reference ? 1 : 0);
  }
  file.write_strings("benchmarks/names", setup.benchmark_names());
  file.write_matrix("benchmarks/values", setup.benchmark_values());
  file.write_int_vector("benchmarks/is_nuisance", nuisance);
  file.write_int_vector("benchmarks/is_reference", reference);

  if (setup.morphing) {
    file.write_int_matrix("morphing/components", setup.morphing->components);
    file.write_matrix("morphing/morphing_matrix", setup.morphing->matrix);
  }

  if (!setup.observables.empty() || content.events) {
    std::vector<std::string> definitions;
    for (const auto& o : setup.observables) definitions.push_back(to_optional_string(o.definition));
    file.write_strings("observables/names", setup.observable_names());
    file.write_strings("observables/definitions", definitions);
  }

  if (content.events) {
    const Events& events = *content.events;
    file.write_matrix("samples/observations", events.observations);
    file.write_matrix("samples/weights", events.weights);
    file.write_int_vector("samples/sampling_benchmarks",
                          std::vector<std::int64_t>(events.sampling_benchmarks.data(),
                                                    events.sampling_benchmarks.data() + events.sampling_benchmarks.size()));
    if (events.process_ids.size() > 0)
      file.write_int_vector("samples/process_ids", std::vector<std::int64_t>(events.process_ids.data(),
                                                                             events.process_ids.data() + events.process_ids.size()));
    if (!events.process_names.empty()) file.write_strings("samples/process_names", events.process_names);
  }

  for (const auto& [name, matrix] : content.extra.matrices) {
    if (matrix.cols() == 1) file.write_vector(name, matrix.col(0));
    else file.write_matrix(name, matrix);
  }
  for (const auto& [name, strings] : content.extra.strings) file.write_strings(name, strings);

  // MadMiner's sampler needs the summary for its k-factors; derive it from the events when absent.
  std::optional<SampleSummary> summary = content.sample_summary;
  if (!summary && content.events) summary = summary_from_events(*content.events, setup.n_physical_benchmarks());
  if (summary) {
    file.write_int_vector("sample_summary/signal_events", summary->signal_events);
    file.write_int_scalar("sample_summary/background_events", summary->background_events);
  }

  if (!setup.nuisance_parameters.empty()) {
    std::vector<std::string> nu_names, systematics, positive, negative;
    for (const auto& nu : setup.nuisance_parameters) {
      nu_names.push_back(nu.name);
      systematics.push_back(nu.systematic);
      positive.push_back(to_optional_string(nu.benchmark_positive));
      negative.push_back(to_optional_string(nu.benchmark_negative));
    }
    file.write_strings("nuisance_parameters/names", nu_names);
    file.write_strings("nuisance_parameters/systematics", systematics);
    file.write_strings("nuisance_parameters/benchmark_positive", positive);
    file.write_strings("nuisance_parameters/benchmark_negative", negative);
  }

  if (!setup.systematics.empty()) {
    std::vector<std::string> s_names, types, values, scales;
    for (const auto& s : setup.systematics) {
      s_names.push_back(s.name);
      types.push_back(s.type);
      values.push_back(s.value);
      scales.push_back(to_optional_string(s.scale));
    }
    file.write_strings("systematics/names", s_names);
    file.write_strings("systematics/types", types);
    file.write_strings("systematics/values", values);
    file.write_strings("systematics/scales", scales);
  }

  if (setup.finite_differences) {
    file.write_strings("finite_differences/base_benchmarks", setup.finite_differences->base_benchmarks);
    file.write_string_matrix("finite_differences/shifted_benchmarks", setup.finite_differences->shifted_benchmarks);
    file.write_double_scalar("finite_differences/epsilon", setup.finite_differences->epsilon);
  }
}

}  // namespace

void write_madminer_file(const std::filesystem::path& path, const MadMinerFile& content) {
  content.setup.validate();
  if (content.events) content.events->validate(content.setup, "events to write");
  if (content.setup.finite_differences)
    for (const auto& row : content.setup.finite_differences->shifted_benchmarks)
      if (static_cast<Index>(row.size()) != content.setup.parameters.size())
        throw InvalidArgument(fmt::format("finite_differences: {} shifted benchmarks per base; expected one per parameter ({})",
                                          row.size(), content.setup.parameters.size()));
  auto check_extra_name = [](const std::string& name) {
    if (name.rfind("sbi", 0) != 0 || name.find('/') == std::string::npos)
      throw InvalidArgument(fmt::format("extra dataset '{}': sbi-only datasets live in a group whose name starts with "
                                        "'sbi' (e.g. 'sbi_wh/momenta'), apart from MadMiner's",
                                        name));
  };
  for (const auto& entry : content.extra.matrices) check_extra_name(entry.first);
  for (const auto& entry : content.extra.strings) check_extra_name(entry.first);

  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temporary_path());
  write_content(file, content);
  file.close();
  output.commit();
}

}  // namespace sbi
