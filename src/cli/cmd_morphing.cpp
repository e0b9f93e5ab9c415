// `sbi morphing FILE --theta a,b,… [--json]`: morphing weights w(θ) and gradients ∇w(θ) from the
// file's stored morphing.
// `sbi morphing optimize FILE --out NEW.h5 [--prior flat|gaussian] [--overcomplete K] [--seed S] …`:
// an optimised morphing basis written as a MadMiner set-up.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"

namespace sbi::cli {

namespace {

using json = nlohmann::ordered_json;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(',', start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

/// Parses "--theta a,b,…" into one value per parameter of the set-up.
Vector parse_theta(const std::string& text, const ParameterSpace& parameters) {
  const auto parts = split_commas(text);
  if (static_cast<Index>(parts.size()) != parameters.size())
    throw InvalidArgument(fmt::format("--theta '{}' has {} value{}: the file has {} parameters ({}); give one value per "
                                      "parameter, comma-separated",
                                      text, parts.size(), parts.size() == 1 ? "" : "s", parameters.size(),
                                      fmt::join(parameters.names(), ", ")));
  Vector theta(parameters.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    char* end = nullptr;
    errno = 0;
    const double value = part.empty() ? 0.0 : std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || errno == ERANGE || !std::isfinite(value))
      throw InvalidArgument(fmt::format("--theta value '{}' for parameter '{}' (position {}) is not a finite number",
                                        part, parameters[static_cast<Index>(i)].name, i + 1));
    theta(static_cast<Index>(i)) = value;
  }
  return theta;
}

void run_weights(const std::string& path, const std::string& theta_text, bool as_json) {
  ReadOptions read_options;
  read_options.load_events = false;
  const MadMinerFile file = read_madminer_file(path, read_options);
  const Setup& setup = file.setup;
  if (!setup.morphing)
    throw InvalidArgument(fmt::format("'{}' has no morphing (no morphing/components and morphing/morphing_matrix); "
                                      "create one with `sbi morphing optimize`",
                                      path));
  const Vector theta = parse_theta(theta_text, setup.parameters);
  const Morphing morphing = Morphing::from_setup(setup);
  const Vector w = morphing.weights(theta);
  const RowMatrix gradient = morphing.weight_gradients(theta);  // P × B
  const auto names = setup.parameters.names();

  if (as_json) {
    json out;
    out["file"] = path;
    out["parameters"] = names;
    out["theta"] = std::vector<double>(theta.data(), theta.data() + theta.size());
    std::vector<std::string> benchmarks;
    for (Index b = 0; b < morphing.n_benchmarks(); ++b) benchmarks.push_back(setup.benchmarks[static_cast<std::size_t>(b)].name);
    out["benchmarks"] = benchmarks;
    out["weights"] = std::vector<double>(w.data(), w.data() + w.size());
    json gradients = json::array();
    for (Index p = 0; p < gradient.rows(); ++p) {
      std::vector<double> row(static_cast<std::size_t>(gradient.cols()));
      for (Index b = 0; b < gradient.cols(); ++b) row[static_cast<std::size_t>(b)] = gradient(p, b);
      gradients.push_back(row);
    }
    out["gradients"] = gradients;  // gradients[p][b] = ∂w_b/∂θ_p
    out["sum_of_squared_weights"] = w.squaredNorm();
    out["n_components"] = morphing.n_components();
    out["condition_number"] = std::isnan(morphing.condition_number()) ? json(nullptr) : json(morphing.condition_number());
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::string> assignment;
  for (Index p = 0; p < theta.size(); ++p) assignment.push_back(fmt::format("{} = {:g}", names[static_cast<std::size_t>(p)], theta(p)));
  fmt::print("{}\nmorphing weights at {} ({} components, {} benchmarks, condition number {:.4g})\n\n", path,
             fmt::join(assignment, ", "), morphing.n_components(), morphing.n_benchmarks(), morphing.condition_number());
  std::string header = fmt::format("  {:<28} {:>14}", "benchmark", "w");
  for (const auto& name : names) header += fmt::format(" {:>14}", "dw/d" + name.substr(0, 10));
  fmt::print("{}\n", header);
  for (Index b = 0; b < morphing.n_benchmarks(); ++b) {
    std::string line = fmt::format("  {:<28} {:>14.7g}", setup.benchmarks[static_cast<std::size_t>(b)].name, w(b));
    for (Index p = 0; p < gradient.rows(); ++p) line += fmt::format(" {:>14.7g}", gradient(p, b));
    fmt::print("{}\n", line);
  }
  fmt::print("\n  sum of squared weights {:.7g}\n", w.squaredNorm());
}

struct OptimizeArguments {
  std::string path;
  std::string out;
  std::string prior = "flat";
  std::string criterion = "expected_squared_weights";
  std::string fixed;  // comma-separated names; empty = default
  Index overcomplete = 0;
  std::uint64_t seed = 1;
  Index restarts = 16;
  int max_overall_power = -1;
  bool as_json = false;
};

void run_optimize(const OptimizeArguments& args) {
  BasisOptimisationOptions options;
  options.prior = prior_from_string(args.prior);
  options.criterion = basis_criterion_from_string(args.criterion);
  options.n_overcomplete = args.overcomplete;
  options.seed = args.seed;
  options.n_restarts = args.restarts;
  options.n_random_candidates = std::max<Index>(options.n_random_candidates, args.restarts);
  options.compare_with_madminer = true;
  options.validate();

  const bool need_events = options.criterion != BasisCriterion::expected_squared_weights;
  ReadOptions read_options;
  read_options.load_events = need_events;
  const MadMinerFile file = read_madminer_file(args.path, read_options);
  const Setup& setup = file.setup;
  const Index P = setup.parameters.size();
  const Index n_phys = setup.n_physical_benchmarks();

  IntRowMatrix components;
  if (args.max_overall_power >= 0)
    components = morphing_components(setup.parameters, args.max_overall_power);
  else if (setup.morphing)
    components = setup.morphing->components;
  else
    throw InvalidArgument(fmt::format("'{}' has no stored morphing: give --max-overall-power to define the components",
                                      args.path));

  // Fixed benchmarks: the named ones, or every physical benchmark MadMiner did not generate.
  std::vector<Index> fixed_indices;
  if (!args.fixed.empty()) {
    for (const auto& name : split_commas(args.fixed)) {
      const Index b = setup.benchmark_index(name);
      if (setup.benchmarks[static_cast<std::size_t>(b)].is_nuisance)
        throw InvalidArgument(fmt::format("--fixed '{}': a nuisance benchmark cannot be a morphing basis point", name));
      fixed_indices.push_back(b);
    }
  } else {
    for (Index b = 0; b < n_phys; ++b)
      if (setup.benchmarks[static_cast<std::size_t>(b)].name.rfind("morphing_basis_vector_", 0) != 0) fixed_indices.push_back(b);
  }
  RowMatrix fixed(static_cast<Index>(fixed_indices.size()), P);
  for (std::size_t i = 0; i < fixed_indices.size(); ++i)
    fixed.row(static_cast<Index>(i)) = setup.benchmarks[static_cast<std::size_t>(fixed_indices[i])].values.transpose();

  RowMatrix ranges(P, 2);
  for (Index p = 0; p < P; ++p) ranges.row(p) << setup.parameters[p].range_low, setup.parameters[p].range_high;

  std::optional<Vector> component_xs;
  if (need_events) {
    if (!file.events)
      throw InvalidArgument(fmt::format("--criterion {}: '{}' has no events to compute benchmark cross sections from",
                                        args.criterion, args.path));
    const Vector sigma = file.events->cross_sections(file.sample_summary).head(n_phys);
    const Morphing current = setup.morphing && setup.morphing->components == components
                                 ? Morphing::from_setup(setup)
                                 : Morphing(components, setup.benchmark_values().topRows(n_phys));
    component_xs = current.component_cross_sections(sigma);
  }

  const BasisOptimisationResult result = optimise_basis(components, ranges, fixed, options, component_xs);
  // The file's own basis under the same criterion, when it is a usable basis for these components.
  std::optional<double> file_objective;
  if (n_phys >= components.rows()) {
    try {
      const double value =
          basis_objective(components, ranges, setup.benchmark_values().topRows(n_phys), options, component_xs);
      if (std::isfinite(value)) file_objective = value;
    } catch (const Error&) {
    }
  }

  // The new set-up: fixed benchmarks first (names and flags kept), then the optimised points named
  // as MadMiner names them (morphing_basis_vector_<index>), then the nuisance benchmarks.
  Setup out = setup;
  out.benchmarks.clear();
  for (Index b : fixed_indices) out.benchmarks.push_back(setup.benchmarks[static_cast<std::size_t>(b)]);
  for (Index i = result.n_fixed; i < result.benchmarks.rows(); ++i) {
    Benchmark benchmark;
    benchmark.name = fmt::format("morphing_basis_vector_{}", i);
    benchmark.values = result.benchmarks.row(i).transpose();
    out.benchmarks.push_back(benchmark);
  }
  for (const auto& b : setup.benchmarks)
    if (b.is_nuisance) out.benchmarks.push_back(b);
  out.morphing = StoredMorphing{components, result.morphing_matrix};
  out.finite_differences.reset();  // they name benchmarks of the old basis
  MadMinerFile written;
  written.setup = out;
  write_madminer_file(args.out, written);

  if (args.as_json) {
    json j;
    j["file"] = args.path;
    j["out"] = args.out;
    j["prior"] = args.prior;
    j["criterion"] = args.criterion;
    j["seed"] = args.seed;
    j["n_components"] = components.rows();
    j["n_benchmarks"] = result.benchmarks.rows();
    j["n_fixed"] = result.n_fixed;
    json benchmarks = json::array();
    for (Index b = 0; b < static_cast<Index>(result.benchmarks.rows()); ++b) {
      const auto& bm = out.benchmarks[static_cast<std::size_t>(b)];
      benchmarks.push_back({{"name", bm.name}, {"values", std::vector<double>(bm.values.data(), bm.values.data() + P)}});
    }
    j["benchmarks"] = benchmarks;
    j["objective"] = result.objective;
    j["madminer_objective"] = result.madminer_objective ? json(*result.madminer_objective) : json(nullptr);
    j["evaluation_objective"] = result.evaluation_objective ? json(*result.evaluation_objective) : json(nullptr);
    j["madminer_evaluation_objective"] =
        result.madminer_evaluation_objective ? json(*result.madminer_evaluation_objective) : json(nullptr);
    j["file_basis_objective"] = file_objective ? json(*file_objective) : json(nullptr);
    j["condition_number"] = result.condition_number;
    j["restarts"] = result.restarts;
    j["iterations"] = result.iterations;
    j["termination"] = to_string(result.termination);
    std::cout << j.dump(2) << "\n";
    return;
  }
  fmt::print("{}\n", result.report());
  if (file_objective) fmt::print("the file's current basis: objective {:.6g}\n", *file_objective);
  fmt::print("\nbasis ({} prior, criterion {}):\n", args.prior, args.criterion);
  for (Index b = 0; b < result.benchmarks.rows(); ++b)
    fmt::print("  {:<28} ({:.6g})\n", out.benchmarks[static_cast<std::size_t>(b)].name, fmt::join(result.benchmarks.row(b), ", "));
  fmt::print("\nset-up with the optimised basis written to {}\n", args.out);
}

}  // namespace

void add_morphing_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "morphing", "Morphing weights w(theta) and gradients from a file's stored morphing; `morphing optimize` for a basis");
  command->require_subcommand(0, 1);
  auto path = std::make_shared<std::string>();
  auto theta = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  command->add_option("FILE", *path, "MadMiner-format HDF5 file with a stored morphing");
  command->add_option("--theta", *theta, "Parameter point, one value per parameter, comma-separated");
  command->add_flag("--json", *as_json, "Print JSON with stable keys instead of a table");

  auto args = std::make_shared<OptimizeArguments>();
  auto* optimize = command->add_subcommand(
      "optimize", "Optimise the morphing basis (fixed benchmarks kept) and write a set-up with it in MadMiner's layout");
  optimize->add_option("FILE", args->path, "MadMiner-format HDF5 file with the set-up")->required();
  optimize->add_option("--out", args->out, "Output HDF5 file (written atomically)")->required();
  optimize->add_option("--prior", args->prior, "Distribution of theta the criterion averages over: flat or gaussian")
      ->capture_default_str();
  optimize->add_option("--criterion", args->criterion,
                       "expected_squared_weights (MadMiner's), cross_section_dilution or "
                       "cross_section_dilution_equal_events (need events in FILE)")
      ->capture_default_str();
  optimize->add_option("--overcomplete", args->overcomplete, "Benchmarks beyond the number of components")
      ->capture_default_str();
  optimize->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  optimize->add_option("--restarts", args->restarts, "Local refinements from the best random bases")->capture_default_str();
  optimize->add_option("--fixed", args->fixed,
                       "Benchmarks to keep, comma-separated (default: every physical benchmark not named "
                       "morphing_basis_vector_*)");
  optimize->add_option("--max-overall-power", args->max_overall_power,
                       "Define the components as all powers up to this total (default: the stored components)");
  optimize->add_flag("--json", args->as_json, "Print JSON with stable keys");
  optimize->callback([args] { run_optimize(*args); });

  command->callback([command, optimize, path, theta, as_json] {
    if (optimize->parsed()) return;
    if (path->empty()) throw CLI::RequiredError("FILE");
    if (theta->empty()) throw CLI::RequiredError("--theta");
    run_weights(*path, *theta, *as_json);
  });
}

}  // namespace sbi::cli
