// `sbi limits scan.yaml [flags]`: limit scans from a YAML configuration (docs/limits.md lists every
// key). A thin layer over include/sbi/limits.hpp: read and check the configuration, load the events
// and the models, run the scans, print the table, write JSON and plots.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "commands.hpp"
#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"
#include "sbi/limits.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"
#include "sbi/npy.hpp"
#include "sbi/sampler.hpp"
#include "sbi/version.hpp"

#ifdef SBI_CLI_HAVE_ESTIMATORS
#include "sbi/estimators.hpp"
#endif

namespace sbi::cli {

namespace {

namespace fs = std::filesystem;

// ---- the YAML document, with errors that name the file, line and key -------------------------

struct Document {
  std::string file;  // for messages
  fs::path base;     // relative paths in the YAML are relative to its folder
  YAML::Node root;
};

[[noreturn]] void fail(const Document& doc, const YAML::Node& node, const std::string& key, const std::string& message) {
  const auto mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  const std::string where = mark.is_null() ? doc.file : fmt::format("{}:{}", doc.file, mark.line + 1);
  throw InvalidArgument(fmt::format("{}: {}: {}", where, key, message));
}

void check_keys(const Document& doc, const YAML::Node& map, const std::string& where, const std::set<std::string>& known) {
  if (!map.IsMap()) fail(doc, map, where, "must be a mapping of keys to values");
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      const std::string path = where.empty() ? key : where + "." + key;
      fail(doc, kv.first, path, fmt::format("unknown key; known keys here: {}", fmt::join(known, ", ")));
    }
  }
}

template <typename T>
T get(const Document& doc, const YAML::Node& node, const std::string& key, const char* what) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(doc, node, key, fmt::format("'{}' is not {}", YAML::Dump(node), what));
  }
}

double get_number(const Document& doc, const YAML::Node& node, const std::string& key) {
  return get<double>(doc, node, key, "a number");
}

bool get_bool(const Document& doc, const YAML::Node& node, const std::string& key) {
  return get<bool>(doc, node, key, "true or false");
}

std::string get_string(const Document& doc, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(doc, node, key, "must be a string");
  return node.as<std::string>();
}

std::vector<double> get_numbers(const Document& doc, const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence()) fail(doc, node, key, "must be a list of numbers");
  std::vector<double> out;
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(get_number(doc, node[i], fmt::format("{}[{}]", key, i)));
  return out;
}

std::vector<std::string> get_strings(const Document& doc, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) return {node.as<std::string>()};
  if (!node.IsSequence()) fail(doc, node, key, "must be a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(get_string(doc, node[i], fmt::format("{}[{}]", key, i)));
  return out;
}

fs::path get_path(const Document& doc, const YAML::Node& node, const std::string& key, bool must_exist) {
  fs::path p = get_string(doc, node, key);
  if (p.is_relative()) p = doc.base / p;
  if (must_exist && !fs::exists(p)) fail(doc, node, key, fmt::format("'{}' does not exist", p.string()));
  return p;
}

// ---- keys --------------------------------------------------------------------------------------

// Options every scan takes, also allowed at the top level as defaults for all scans.
const std::set<std::string> kOptionKeys = {
    "include_rate",     "round_observed_count", "bins",          "binning_reference", "template_partition",
    "rate_partition",   "theta_ref",            "empty_bin_floor", "test_split",      "validation_split",
    "asimov_from_closest_benchmark", "dof",     "confidence_levels", "refine_best_fit", "refine_crossings",
    "profile_nuisance_parameters",   "theta_batch_size"};

std::set<std::string> with_options(std::set<std::string> keys) {
  keys.insert(kOptionKeys.begin(), kOptionKeys.end());
  return keys;
}

const std::set<std::string> kTopKeys =
    with_options({"events", "luminosity", "theta_true", "observed", "grid", "points", "models", "scans", "output", "fisher"});
const std::set<std::string> kScanKeys = with_options({"label", "mode", "model", "observables", "score_components"});
const std::set<std::string> kOutputKeys = {"directory", "json", "report", "plots", "plot_formats", "plot_width", "plot_height"};
const std::set<std::string> kFisherKeys = {"kinds", "theta", "model", "observables", "bins"};

Vector theta_value(const Document& doc, const YAML::Node& node, const std::string& key, const Setup& setup) {
  if (node.IsScalar()) {
    const std::string name = node.as<std::string>();
    for (const auto& b : setup.benchmarks)
      if (b.name == name) return b.values;
    fail(doc, node, key, fmt::format("'{}' is neither a list of {} numbers nor a benchmark ({})", name, setup.parameters.size(),
                                     fmt::join(setup.benchmark_names(), ", ")));
  }
  const std::vector<double> v = get_numbers(doc, node, key);
  if (static_cast<Index>(v.size()) != setup.parameters.size())
    fail(doc, node, key, fmt::format("{} values given; the events have {} parameters ({})", v.size(), setup.parameters.size(),
                                     fmt::join(setup.parameters.names(), ", ")));
  return Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size()));
}

std::vector<AxisBinning> binning_value(const Document& doc, const YAML::Node& node, const std::string& key) {
  // An integer (adaptive bins for every axis), or a list with one entry per axis: an integer or a
  // list of edges.
  auto axis = [&](const YAML::Node& n, const std::string& k) {
    AxisBinning b;
    if (n.IsSequence()) b.edges = get_numbers(doc, n, k);
    else b.n_bins = get<Index>(doc, n, k, "a number of bins or a list of edges");
    try {
      b.validate(k);
    } catch (const InvalidArgument& e) {
      fail(doc, n, k, e.what());
    }
    return b;
  };
  if (node.IsScalar()) return {axis(node, key)};
  if (!node.IsSequence()) fail(doc, node, key, "must be a number of bins or a list with one binning per axis");
  // A flat list of numbers with a non-integer is one axis's edges.
  bool all_numbers = true, any_fraction = false;
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) all_numbers = false;
    else {
      const double v = get_number(doc, node[i], key);
      if (v != std::floor(v)) any_fraction = true;
    }
  }
  if (all_numbers && any_fraction) return {axis(node, key)};
  std::vector<AxisBinning> out;
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(axis(node[i], fmt::format("{}[{}]", key, i)));
  return out;
}

// The options of one scan: defaults, then top-level keys, then the scan's own keys.
LimitOptions scan_options(const Document& doc, const YAML::Node& scan, const std::string& where, const Setup& setup) {
  LimitOptions o;
  for (const YAML::Node* level : {&doc.root, &scan}) {
    const YAML::Node& n = *level;
    const std::string prefix = level == &doc.root ? "" : where + ".";
    auto has = [&](const char* k) { return n[k].IsDefined() && !n[k].IsNull(); };
    auto key = [&](const char* k) { return prefix + k; };
    auto flag = [&](const char* k, bool& field) {
      if (has(k)) field = get_bool(doc, n[k], key(k));
    };
    auto number = [&](const char* k, double& field) {
      if (has(k)) field = get_number(doc, n[k], key(k));
    };
    auto integer = [&](const char* k, Index& field) {
      if (has(k)) field = get<Index>(doc, n[k], key(k), "an integer");
    };
    auto named = [&](const char* k, auto& field, auto parse) {
      if (!has(k)) return;
      try {
        field = parse(get_string(doc, n[k], key(k)));
      } catch (const InvalidArgument& e) {
        fail(doc, n[k], key(k), e.what());
      }
    };
    flag("include_rate", o.include_rate);
    flag("round_observed_count", o.round_observed_count);
    flag("asimov_from_closest_benchmark", o.asimov_from_closest_benchmark);
    flag("refine_best_fit", o.refine_best_fit);
    flag("refine_crossings", o.refine_crossings);
    flag("profile_nuisance_parameters", o.profile_nuisance_parameters);
    number("empty_bin_floor", o.empty_bin_floor);
    number("test_split", o.test_split);
    number("validation_split", o.validation_split);
    integer("dof", o.dof);
    integer("theta_batch_size", o.theta_batch_size);
    named("binning_reference", o.binning_reference, [](const std::string& t) { return parse_binning_reference(t); });
    named("template_partition", o.template_partition, [](const std::string& t) { return parse_partition(t); });
    named("rate_partition", o.rate_partition, [](const std::string& t) { return parse_partition(t); });
    if (has("bins")) o.binning = binning_value(doc, n["bins"], key("bins"));
    if (has("theta_ref")) o.theta_ref = theta_value(doc, n["theta_ref"], key("theta_ref"), setup);
    if (has("confidence_levels")) o.confidence_levels = get_numbers(doc, n["confidence_levels"], key("confidence_levels"));
  }
  if (doc.root["luminosity"].IsDefined()) o.luminosity = get_number(doc, doc.root["luminosity"], "luminosity");
  try {
    o.mode = parse_limit_mode(get_string(doc, scan["mode"], where + ".mode"));
  } catch (const InvalidArgument& e) {
    fail(doc, scan["mode"], where + ".mode", e.what());
  }
  if (scan["observables"].IsDefined()) o.observables = get_strings(doc, scan["observables"], where + ".observables");
  if (scan["score_components"].IsDefined()) {
    const YAML::Node& c = scan["score_components"];
    if (!c.IsSequence()) fail(doc, c, where + ".score_components", "must be a list of component indices or parameter names");
    for (std::size_t i = 0; i < c.size(); ++i) {
      const std::string text = get_string(doc, c[i], fmt::format("{}.score_components[{}]", where, i));
      Index index = -1;
      for (Index p = 0; p < setup.parameters.size(); ++p)
        if (setup.parameters[p].name == text) index = p;
      if (index < 0) index = get<Index>(doc, c[i], fmt::format("{}.score_components[{}]", where, i), "an index or a parameter name");
      o.score_components.push_back(index);
    }
  }
  try {
    o.validate();
  } catch (const InvalidArgument& e) {
    fail(doc, scan, where, e.what());
  }
  return o;
}

// ---- models ------------------------------------------------------------------------------------

// A model file adapted to the callbacks of limits.hpp. The adapter is the only code here that knows
// the estimators; without them (a build without LibTorch) the model modes say so.
struct Model {
  LimitEstimators estimators;
  bool is_score = false;
  Vector reference_theta;  // score estimators: the point of the training scores
  std::string description;
};

// The calibration events of a ratio model: the test partition of the events file weighted at the
// model's θ1 (its reference hypothesis), x and weights.
struct CalibrationEvents {
  RowMatrix x;
  Vector weights;
};

CalibrationEvents calibration_events(const MadMinerFile& file, const Vector& theta1, double test_split,
                                     double validation_split) {
  const PartitionEvents test = partition_events(file.setup, *file.events, Partition::Test, test_split, validation_split);
  const Morphing morphing = Morphing::from_setup(file.setup);
  const Vector w_theta = morphing.weights(theta1);
  const Index n_phys = morphing.n_benchmarks();
  CalibrationEvents c;
  c.x.resize(static_cast<Index>(test.rows.size()), file.events->observations.cols());
  c.weights.resize(c.x.rows());
  for (Index i = 0; i < c.x.rows(); ++i) {
    const Index row = test.rows[static_cast<std::size_t>(i)];
    c.x.row(i) = file.events->observations.row(row);
    c.weights(i) = test.factors(i) * file.events->weights.row(row).head(n_phys).dot(w_theta);
  }
  return c;
}

// A model entry: a file name, or {file: NAME, calibrate: BOOL}.
Model load_model(const Document& doc, const YAML::Node& entry, const std::string& key, const MadMinerFile& events_file,
                 double test_split, double validation_split) {
  const Setup& setup = events_file.setup;
  // (Constructed, not assigned: assigning a yaml-cpp node overwrites the node it refers to.)
  const YAML::Node node = entry.IsMap() ? entry["file"] : entry;
  bool calibrate = false;
  if (entry.IsMap()) {
    check_keys(doc, entry, key, {"file", "calibrate"});
    if (!node.IsDefined()) fail(doc, entry, key + ".file", "missing: the model file (sbi train output)");
    if (entry["calibrate"].IsDefined()) {
      try {
        calibrate = entry["calibrate"].as<bool>();
      } catch (const YAML::Exception&) {
        fail(doc, entry["calibrate"], key + ".calibrate", "must be true or false");
      }
    }
  }
  const fs::path path = get_path(doc, node, key, true);
#ifdef SBI_CLI_HAVE_ESTIMATORS
  auto ensemble = std::make_shared<Ensemble>(Ensemble::load(path));
  if (ensemble->size() == 0) fail(doc, node, key, fmt::format("'{}' holds no estimator", path.string()));
  const Estimator& first = (*ensemble)[0];
  const auto parameters = setup.parameters.names();
  const auto observables = setup.observable_names();
  if (!first.parameter_names().empty() && first.parameter_names() != parameters)
    fail(doc, node, key, fmt::format("'{}' was trained for the parameters ({}); the events have ({})", path.string(),
                                     fmt::join(first.parameter_names(), ", "), fmt::join(parameters, ", ")));
  if (first.n_parameters() != static_cast<Index>(parameters.size()))
    fail(doc, node, key, fmt::format("'{}' has {} parameters; the events have {}", path.string(), first.n_parameters(), parameters.size()));
  if (!first.observable_names().empty() && first.observable_names() != observables)
    fail(doc, node, key, fmt::format("'{}' was trained on the observables ({}); the events have ({})", path.string(),
                                     fmt::join(first.observable_names(), ", "), fmt::join(observables, ", ")));
  if (first.n_observables() != static_cast<Index>(observables.size()))
    fail(doc, node, key, fmt::format("'{}' takes {} observables; the events have {}", path.string(), first.n_observables(), observables.size()));
  Model m;
  m.is_score = ensemble->is_score_estimator();
  m.reference_theta = first.reference_theta();
  m.description = fmt::format("{} ensemble of {} from {}", to_string(ensemble->method()), ensemble->size(), path.string());
  if (calibrate && m.is_score)
    fail(doc, entry["calibrate"], key + ".calibrate", "applies to ratio models only (the score needs no normalisation)");
  if (m.is_score) {
    m.estimators.score = score_function(*ensemble);
  } else if (calibrate) {
    // Reference-subtracted and expectation-calibrated log r̂ (estimators.hpp) on the test events
    // weighted at the model's θ1.
    CalibrationEvents c = calibration_events(events_file, first.reference_theta(), test_split, validation_split);
    m.estimators.log_ratio = calibrated_log_ratio_function(*ensemble, std::move(c.x), std::move(c.weights), true);
    m.description += ", calibrated on the test events at its theta1";
  } else {
    m.estimators.log_ratio = log_ratio_function(*ensemble);
  }
  return m;
#else
  (void)setup;
  (void)calibrate;
  fail(doc, node, key,
       fmt::format("cannot load '{}': this sbi was built without the neural estimators (sbi::estimators, LibTorch); the modes "
                   "rate and histo need no model",
                   path.string()));
#endif
}

// ---- the command -------------------------------------------------------------------------------

struct Arguments {
  std::string config;
  std::string events, luminosity, theta_true, out, report;
  std::vector<std::string> only, sets;
  bool no_plots = false, json = false;
};

// --set a.b.c=VALUE: VALUE is parsed as YAML; numeric path parts index lists.
void apply_set(YAML::Node root, const std::string& assignment, const std::string& flag) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidArgument(fmt::format("{} '{}': expected KEY=VALUE (e.g. luminosity=3e6 or output.plots=false)", flag, assignment));
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(fmt::format("{} '{}': the value is not valid YAML: {}", flag, assignment, e.msg));
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto dot = std::min(path.find('.', start), path.size());
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  // yaml-cpp nodes are handles: walk down with copies, assign at the end.
  std::vector<YAML::Node> chain = {root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node current = chain.back();
    const bool index = !parts[i].empty() && parts[i].find_first_not_of("0123456789") == std::string::npos;
    if (index && current.IsSequence()) {
      const auto k = std::stoul(parts[i]);
      if (k >= current.size()) throw InvalidArgument(fmt::format("{} '{}': {} has only {} entries", flag, assignment, parts[i], current.size()));
      chain.push_back(current[k]);
    } else {
      chain.push_back(current[parts[i]]);
    }
  }
  YAML::Node last = chain.back();
  const std::string& leaf = parts.back();
  const bool index = !leaf.empty() && leaf.find_first_not_of("0123456789") == std::string::npos;
  if (index && last.IsSequence()) {
    const auto k = std::stoul(leaf);
    if (k >= last.size()) throw InvalidArgument(fmt::format("{} '{}': {} has only {} entries", flag, assignment, leaf, last.size()));
    last[k] = value;
  } else {
    last[leaf] = value;
  }
}

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  return out;
}

void run(const Arguments& a) {
  Document doc;
  doc.file = a.config;
  if (!fs::exists(a.config)) throw FileNotFound(fmt::format("'{}' does not exist", a.config));
  doc.base = fs::absolute(a.config).parent_path();
  try {
    doc.root = YAML::LoadFile(a.config);
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(fmt::format("{}:{}: not valid YAML: {}", a.config, e.mark.line + 1, e.msg));
  }
  if (!doc.root.IsMap()) throw InvalidArgument(fmt::format("{}: the configuration must be a mapping of keys to values", a.config));
  // Flags override the YAML (paths given on the command line are relative to the working folder).
  for (const auto& s : a.sets) apply_set(doc.root, s, "--set");
  if (!a.events.empty()) doc.root["events"] = fs::absolute(a.events).string();
  if (!a.luminosity.empty()) apply_set(doc.root, "luminosity=" + a.luminosity, "--luminosity");
  if (!a.theta_true.empty()) {
    doc.root.remove("observed");
    YAML::Node t = YAML::Load(a.theta_true.find(',') != std::string::npos || a.theta_true.find('[') != std::string::npos
                                  ? (a.theta_true.front() == '[' ? a.theta_true : "[" + a.theta_true + "]")
                                  : a.theta_true);
    doc.root["theta_true"] = t;
  }
  if (!a.out.empty()) doc.root["output"]["directory"] = fs::absolute(a.out).string();
  if (!a.report.empty()) doc.root["output"]["report"] = a.report;
  if (a.no_plots) doc.root["output"]["plots"] = false;
  check_keys(doc, doc.root, "", kTopKeys);

  // Events.
  if (!doc.root["events"].IsDefined()) fail(doc, doc.root, "events", "missing: the MadMiner file with the weighted events");
  const fs::path events_path = get_path(doc, doc.root["events"], "events", true);
  MadMinerFile file = read_madminer_file(events_path);
  if (!file.events) fail(doc, doc.root["events"], "events", fmt::format("'{}' holds no events", events_path.string()));
  const Setup setup = file.setup;
  const AsymptoticLimits limits(file);
  const Index n_p = setup.parameters.size();

  // Expected or observed.
  const bool has_true = doc.root["theta_true"].IsDefined(), has_observed = doc.root["observed"].IsDefined();
  if (has_true == has_observed)
    fail(doc, doc.root, has_true ? "observed" : "theta_true",
         "give exactly one of theta_true (expected limits, Asimov data) and observed (a file of observed events)");
  Vector theta_true;
  RowMatrix observed;
  if (has_true) theta_true = theta_value(doc, doc.root["theta_true"], "theta_true", setup);
  else {
    const fs::path p = get_path(doc, doc.root["observed"], "observed", true);
    if (p.extension() == ".npy") {
      observed = read_npy(p).matrix();
    } else {
      const MadMinerFile obs = read_madminer_file(p);
      if (!obs.events) fail(doc, doc.root["observed"], "observed", fmt::format("'{}' holds no events", p.string()));
      if (obs.setup.observable_names() != setup.observable_names())
        fail(doc, doc.root["observed"], "observed",
             fmt::format("'{}' has the observables ({}); the events file has ({})", p.string(), fmt::join(obs.setup.observable_names(), ", "),
                         fmt::join(setup.observable_names(), ", ")));
      observed = obs.events->observations;
    }
    if (observed.cols() != static_cast<Index>(setup.observables.size()))
      fail(doc, doc.root["observed"], "observed",
           fmt::format("{} columns; the events have {} observables ({})", observed.cols(), setup.observables.size(),
                       fmt::join(setup.observable_names(), ", ")));
  }

  // The scan grid.
  ScanGrid grid;
  const bool has_grid = doc.root["grid"].IsDefined(), has_points = doc.root["points"].IsDefined();
  if (has_grid == has_points) fail(doc, doc.root, "grid", "give exactly one of grid (an axis per parameter) and points (a list of θ)");
  if (has_grid) {
    const YAML::Node& g = doc.root["grid"];
    std::set<std::string> names;
    for (const auto& n : setup.parameters.names()) names.insert(n);
    check_keys(doc, g, "grid", names);
    std::vector<GridAxis> axes;
    for (Index p = 0; p < n_p; ++p) {
      const std::string name = setup.parameters[p].name, key = "grid." + name;
      const YAML::Node& axis = g[name];
      if (!axis.IsDefined()) fail(doc, g, key, "missing: give a range {range: [low, high], points: n} or a fixed value");
      if (axis.IsScalar()) {
        axes.push_back(GridAxis::fixed(get_number(doc, axis, key)));
        continue;
      }
      check_keys(doc, axis, key, {"range", "points"});
      const std::vector<double> range = get_numbers(doc, axis["range"], key + ".range");
      if (range.size() != 2) fail(doc, axis["range"], key + ".range", "must be [low, high]");
      const Index n = axis["points"].IsDefined() ? get<Index>(doc, axis["points"], key + ".points", "an integer") : 25;
      try {
        axes.push_back(GridAxis::range(range[0], range[1], n));
        ScanGrid::regular({axes.back()});
      } catch (const InvalidArgument& e) {
        fail(doc, axis, key, e.what());
      }
    }
    grid = ScanGrid::regular(axes);
  } else {
    const YAML::Node& pts = doc.root["points"];
    if (!pts.IsSequence() || pts.size() == 0) fail(doc, pts, "points", "must be a non-empty list of parameter points");
    RowMatrix thetas(static_cast<Index>(pts.size()), n_p);
    for (std::size_t i = 0; i < pts.size(); ++i) thetas.row(static_cast<Index>(i)) = theta_value(doc, pts[i], fmt::format("points[{}]", i), setup).transpose();
    grid = ScanGrid::points(thetas);
  }

  // Models, loaded once each.
  std::map<std::string, Model> models;
  if (doc.root["models"].IsDefined()) {
    const YAML::Node& m = doc.root["models"];
    if (!m.IsMap()) fail(doc, m, "models", "must map model names to model files");
    for (const auto& kv : m) {
      const std::string name = kv.first.as<std::string>();
      // The calibration uses the same partition fractions as the scans' defaults.
      double test_split = 0.2, validation_split = 0.2;
      if (doc.root["test_split"].IsDefined()) test_split = doc.root["test_split"].as<double>();
      if (doc.root["validation_split"].IsDefined()) validation_split = doc.root["validation_split"].as<double>();
      models.emplace(name, load_model(doc, kv.second, "models." + name, file, test_split, validation_split));
    }
  }
  auto model_for = [&](const YAML::Node& node, const std::string& key, bool score) -> const Model& {
    if (!node.IsDefined()) fail(doc, node, key, fmt::format("missing: this mode needs a {} model", score ? "score (sally)" : "ratio (ml)"));
    const std::string name = get_string(doc, node, key);
    const auto it = models.find(name);
    if (it == models.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : models) known.push_back(k);
      fail(doc, node, key, fmt::format("'{}' is not one of the models ({})", name, known.empty() ? "none defined" : fmt::format("{}", fmt::join(known, ", "))));
    }
    if (it->second.is_score != score)
      fail(doc, node, key, fmt::format("'{}' is a {} estimator; this mode needs a {} estimator", name, it->second.is_score ? "score" : "ratio",
                                       score ? "score (sally, sallino)" : "ratio (alices, alice, carl, …)"));
    return it->second;
  };

  // Output settings.
  fs::path out_dir = doc.base / "limits";
  std::string json_name = "limits.json", report = "brief";
  bool plots = true;
  PlotOptions plot_options;
  if (doc.root["output"].IsDefined()) {
    const YAML::Node& o = doc.root["output"];
    check_keys(doc, o, "output", kOutputKeys);
    if (o["directory"].IsDefined()) out_dir = get_path(doc, o["directory"], "output.directory", false);
    if (o["json"].IsDefined()) json_name = get_string(doc, o["json"], "output.json");
    if (o["report"].IsDefined()) report = get_string(doc, o["report"], "output.report");
    if (report != "brief" && report != "full") fail(doc, o["report"], "output.report", fmt::format("'{}': must be brief or full", report));
    if (o["plots"].IsDefined()) plots = get_bool(doc, o["plots"], "output.plots");
    if (o["plot_formats"].IsDefined()) plot_options.formats = get_strings(doc, o["plot_formats"], "output.plot_formats");
    if (o["plot_width"].IsDefined()) plot_options.width = get<int>(doc, o["plot_width"], "output.plot_width", "an integer");
    if (o["plot_height"].IsDefined()) plot_options.height = get<int>(doc, o["plot_height"], "output.plot_height", "an integer");
    try {
      plot_options.validate();
    } catch (const InvalidArgument& e) {
      fail(doc, o, "output", e.what());
    }
  }

  // The scans.
  const YAML::Node& scans = doc.root["scans"];
  if (!scans.IsDefined() || !scans.IsSequence() || scans.size() == 0)
    fail(doc, scans.IsDefined() ? scans : doc.root, "scans", "must be a non-empty list of scans, each with at least a mode");
  std::vector<LimitResult> results;
  std::set<std::string> labels;
  std::string text;  // the human-readable output (not printed with --json)
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const YAML::Node& scan = scans[i];
    const std::string where = fmt::format("scans[{}]", i);
    check_keys(doc, scan, where, kScanKeys);
    if (!scan["mode"].IsDefined()) fail(doc, scan, where + ".mode", "missing: rate, histo, sally, sallino, adaptive-sally or ml");
    LimitOptions options = scan_options(doc, scan, where, setup);
    const std::string label = scan["label"].IsDefined() ? get_string(doc, scan["label"], where + ".label") : std::string(to_string(options.mode));
    if (!labels.insert(label).second) fail(doc, scan, where + ".label", fmt::format("'{}' is used by an earlier scan; labels must differ", label));
    if (!a.only.empty() && std::find(a.only.begin(), a.only.end(), label) == a.only.end()) continue;
    LimitEstimators estimators;
    if (needs_score(options.mode) || options.mode == LimitMode::Ml) {
      const Model& m = model_for(scan["model"], where + ".model", needs_score(options.mode));
      estimators = m.estimators;
      if (needs_score(options.mode) && options.theta_ref.size() == 0 && m.reference_theta.size() == n_p) options.theta_ref = m.reference_theta;
    } else if (scan["model"].IsDefined()) {
      fail(doc, scan["model"], where + ".model", fmt::format("mode {} uses no model", to_string(options.mode)));
    }
    LimitResult r;
    try {
      r = has_true ? limits.expected_limits(theta_true, grid, options, estimators) : limits.observed_limits(observed, grid, options, estimators);
    } catch (const NotFound& e) {
      fail(doc, scan, where, e.what());
    }
    r.label = label;
    text += report == "full" ? r.full_report() : r.brief_report();
    results.push_back(std::move(r));
  }
  for (const auto& label : a.only)
    if (!labels.count(label)) throw InvalidArgument(fmt::format("--only {}: no scan has this label ({})", label, fmt::join(labels, ", ")));

  // Fisher information.
  std::vector<FisherInformation> fisher;
  if (doc.root["fisher"].IsDefined()) {
    const YAML::Node& f = doc.root["fisher"];
    check_keys(doc, f, "fisher", kFisherKeys);
    const Vector at = f["theta"].IsDefined() ? theta_value(doc, f["theta"], "fisher.theta", setup)
                                             : (has_true ? theta_true : Vector::Zero(n_p));
    const std::vector<std::string> kinds = f["kinds"].IsDefined() ? get_strings(doc, f["kinds"], "fisher.kinds")
                                                                  : std::vector<std::string>{"truth", "rate"};
    for (const auto& k : kinds) {
      FisherOptions fo;
      try {
        fo.kind = parse_fisher_kind(k);
      } catch (const InvalidArgument& e) {
        fail(doc, f["kinds"], "fisher.kinds", e.what());
      }
      if (doc.root["luminosity"].IsDefined()) fo.luminosity = get_number(doc, doc.root["luminosity"], "luminosity");
      LimitEstimators est;
      if (fo.kind == FisherKind::Score) est = model_for(f["model"], "fisher.model", true).estimators;
      if (fo.kind == FisherKind::Histogram) {
        if (!f["observables"].IsDefined()) fail(doc, f, "fisher.observables", "missing: the histogram information needs observables");
        fo.observables = get_strings(doc, f["observables"], "fisher.observables");
        if (f["bins"].IsDefined()) fo.binning = binning_value(doc, f["bins"], "fisher.bins");
      }
      fisher.push_back(limits.fisher_information(at, fo, est));
    }
  }

  // Output.
  fs::create_directories(out_dir);
  text += "\n" + limits_table(results);
  for (const auto& fi : fisher) {
    const Vector half = fi.interval_half_widths(results.empty() ? 0.68 : results.front().confidence_levels.front());
    std::vector<std::string> parts;
    for (Index p = 0; p < n_p; ++p)
      parts.push_back(std::isfinite(half(p)) ? fmt::format("{} ±{:.4g}", setup.parameters[p].name, half(p))
                                             : fmt::format("{} unconstrained with the others profiled (singular information)", setup.parameters[p].name));
    text += fmt::format("Fisher information ({}) at ({:.4g}): linearised {:g} % CL half-widths {}\n", to_string(fi.kind),
                        fmt::join(fi.theta, ", "), 100 * (results.empty() ? 0.68 : results.front().confidence_levels.front()),
                        fmt::join(parts, ", "));
  }
  const fs::path json_path = out_dir / json_name;
  write_limit_results_json(json_path, results);
  std::vector<fs::path> written = {json_path};
  if (plots && !results.empty()) {
    std::set<std::string> scanned;
    for (const auto& r : results)
      for (const auto& p : r.profiles) scanned.insert(p.parameter);
    for (const auto& p : scanned)
      for (const auto& f : plot_limit_scans(results, p, out_dir / ("scan_" + slug(p)), plot_options)) written.push_back(f);
    bool any_contour = false;
    for (const auto& r : results) any_contour = any_contour || !r.contours.empty();
    if (any_contour)
      for (const auto& f : plot_limit_contours(results, out_dir / "contours", plot_options)) written.push_back(f);
  }
  std::vector<std::string> names;
  for (const auto& w : written) names.push_back(w.string());
  if (a.json) {
    // The same document as the JSON file.
    std::ifstream in(json_path);
    std::cout << in.rdbuf();
  } else {
    fmt::print("{}wrote {}\n", text, fmt::join(names, ", "));
  }
}

}  // namespace

void add_limits_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "limits", "Expected or observed limits from a YAML configuration: likelihood scans in the modes rate, histo, sally, "
                "sallino, adaptive-sally and ml, with intervals, contours, JSON and plots (docs/limits.md)");
  auto a = std::make_shared<Arguments>();
  command->add_option("CONFIG", a->config, "The scan configuration (YAML; every key in docs/limits.md)")->required();
  command->add_option("--events", a->events, "Overrides events: the MadMiner file with the weighted events");
  command->add_option("--luminosity", a->luminosity, "Overrides luminosity (pb^-1)");
  command->add_option("--theta-true", a->theta_true, "Overrides theta_true: 'a,b,…' or a benchmark name (expected limits)");
  command->add_option("--out", a->out, "Overrides output.directory");
  command->add_option("--report", a->report, "Overrides output.report: brief or full");
  command->add_option("--only", a->only, "Run only the scans with this label (repeat for several)");
  command->add_option("--set", a->sets, "Overrides any key: KEY=VALUE with a dotted key (scans.0.bins=10) and a YAML value");
  command->add_flag("--no-plots", a->no_plots, "Overrides output.plots: write no plots");
  command->add_flag("--json", a->json, "Print the results as JSON (the document written to output.json) instead of the table");
  command->callback([a] { run(*a); });
}

}  // namespace sbi::cli
