// `sbi augment KIND EVENTS.h5 --out SAMPLES.h5 …` and `sbi xsec EVENTS.h5 --theta …`: the sampler
// from the command line.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/sampler.hpp"

namespace sbi::cli {

namespace {

// A --theta value: a benchmark name, or comma-separated parameter values.
std::optional<Vector> parse_point(const std::string& text, Index n_parameters) {
  std::vector<double> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string token = text.substr(start, comma - start);
    try {
      std::size_t used = 0;
      values.push_back(std::stod(token, &used));
      if (used != token.size()) return std::nullopt;
    } catch (const std::logic_error&) {
      return std::nullopt;
    }
    start = comma + 1;
  }
  if (static_cast<Index>(values.size()) != n_parameters)
    throw InvalidArgument(fmt::format("--theta {}: {} values given; the set-up has {} parameters", text, values.size(),
                                      n_parameters));
  return Eigen::Map<Vector>(values.data(), static_cast<Index>(values.size()));
}

// --theta values (benchmark names or points) or --prior values with --n-thetas into a ThetaSpec.
ThetaSpec theta_spec(const Setup& setup, const std::vector<std::string>& thetas, const std::vector<std::string>& priors,
                     Index n_thetas, const std::string& flag) {
  if (!thetas.empty() && !priors.empty())
    throw InvalidArgument(fmt::format("give either {} or --prior, not both", flag));
  if (!priors.empty()) {
    if (static_cast<Index>(priors.size()) != setup.parameters.size())
      throw InvalidArgument(fmt::format("--prior given {} times; one per parameter ({}) is needed, in order", priors.size(),
                                        fmt::join(setup.parameters.names(), ", ")));
    std::vector<ParameterPrior> parsed;
    for (const auto& p : priors) parsed.push_back(ParameterPrior::parse(p));
    return ThetaSpec::random(n_thetas, parsed);
  }
  if (thetas.empty()) throw InvalidArgument(fmt::format("{} or --prior is required", flag));
  bool all_names = true;
  for (const auto& t : thetas) all_names = all_names && !parse_point(t, setup.parameters.size()).has_value();
  if (all_names) return thetas.size() == 1 ? ThetaSpec::benchmark(thetas[0]) : ThetaSpec::benchmark_list(thetas);
  RowMatrix points(static_cast<Index>(thetas.size()), setup.parameters.size());
  for (std::size_t i = 0; i < thetas.size(); ++i) {
    auto point = parse_point(thetas[i], setup.parameters.size());
    if (!point) point = setup.benchmarks[static_cast<std::size_t>(setup.benchmark_index(thetas[i]))].values;
    points.row(static_cast<Index>(i)) = point->transpose();
  }
  return points.rows() == 1 ? ThetaSpec::point(points.row(0).transpose()) : ThetaSpec::point_list(points);
}

nlohmann::ordered_json report_json(const SamplingResult& result, const std::string& out) {
  nlohmann::ordered_json j;
  j["output"] = out;
  j["kind"] = std::string(to_string(result.samples.kind));
  j["partition"] = std::string(to_string(result.samples.partition));
  j["n_samples"] = result.samples.size();
  j["seed"] = result.samples.seed;
  j["thetas"] = nlohmann::ordered_json::array();
  for (const auto& r : result.reports)
    j["thetas"].push_back({{"theta", std::vector<double>(r.theta.data(), r.theta.data() + r.theta.size())},
                           {"n_samples", r.n_samples},
                           {"cross_section_pb", r.cross_section},
                           {"cross_section_uncertainty_pb", r.cross_section_uncertainty},
                           {"n_eff", r.n_eff},
                           {"clipped_fraction", r.clipped_fraction},
                           {"acceptance", r.acceptance},
                           {"redrawn", r.redrawn}});
  return j;
}

}  // namespace

void add_augment_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "augment", "Draw unweighted training or test samples with joint ratio and score (MadMiner's SampleAugmenter)");
  struct Arguments {
    std::string kind, events, out, npy_dir, partition = "train";
    std::vector<std::string> thetas, priors, thetas1;
    Index n_thetas = 1000;
    SamplerOptions options;
    bool all_runs = false, json = false, no_statistics = false;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("KIND", a->kind, "plain, local, density, ratio, more-ratios or test")
      ->required()
      ->check(CLI::IsMember({"plain", "local", "density", "ratio", "more-ratios", "test"}));
  command->add_option("EVENTS", a->events, "Weighted events in MadMiner's layout, with a morphing")->required();
  command->add_option("--out", a->out, "Samples file to write (HDF5)")->required();
  command->add_option("--theta", a->thetas,
                      "Parameter point 'a,b,…' or benchmark name; repeat for several (θ0 for ratio kinds)");
  command->add_option("--prior", a->priors, "Per-parameter prior flat:LOW,HIGH or gaussian:MEAN,STD, in parameter order");
  command->add_option("--n-thetas", a->n_thetas, "Number of θ points drawn from the priors")->capture_default_str();
  command->add_option("--theta1", a->thetas1,
                      "Denominator hypothesis for ratio kinds (default: the reference benchmark)");
  command->add_option("--samples", a->options.n_samples, "Number of samples")->capture_default_str();
  command->add_option("--partition", a->partition, "train, validation, test or all (test samples: always test)")
      ->check(CLI::IsMember({"train", "validation", "test", "all"}))
      ->capture_default_str();
  command->add_option("--test-split", a->options.test_split, "Fraction of events reserved for testing")->capture_default_str();
  command->add_option("--validation-split", a->options.validation_split, "Fraction reserved for validation")
      ->capture_default_str();
  command->add_flag("--all-runs", a->all_runs,
                    "Use events of every generation run (default: only the run closest to θ, as MadMiner)");
  command->add_option("--n-eff-forced", a->options.n_eff_forced, "Trimmed sampling: ignore events with p > 1/N (0 = off)");
  command->add_option("--seed", a->options.seed, "Random seed")->capture_default_str();
  command->add_option("--threads", a->options.threads, "Threads (0 = all cores)")->capture_default_str();
  command->add_flag("--no-statistics", a->no_statistics, "Skip the exact per-θ n_eff and clipped fraction (O(N) per θ)");
  command->add_option("--npy", a->npy_dir, "Also write MadMiner-named .npy files (x_<name>.npy, …) into this folder");
  command->add_flag("--json", a->json, "Print the report as JSON");
  command->callback([a] {
    Sampler sampler(read_madminer_file(a->events));
    const Setup& setup = sampler.setup();
    SamplerOptions options = a->options;
    options.partition = parse_partition(a->partition);
    options.sample_only_from_closest_benchmark = !a->all_runs;
    options.exact_statistics = !a->no_statistics;
    const SampleKind kind = parse_sample_kind(a->kind);
    const ThetaSpec theta = theta_spec(setup, a->thetas, a->priors, a->n_thetas, "--theta");
    SamplingResult result;
    switch (kind) {
      case SampleKind::Plain: result = sampler.plain(theta, options); break;
      case SampleKind::Local: result = sampler.local(theta, options); break;
      case SampleKind::Density: result = sampler.density(theta, options); break;
      case SampleKind::Test: result = sampler.test(theta, options); break;
      case SampleKind::Ratio:
      case SampleKind::MoreRatios: {
        ThetaSpec theta1;
        if (a->thetas1.empty()) {
          const Index reference = setup.reference_benchmark();
          theta1 = reference >= 0 ? ThetaSpec::benchmark(setup.benchmarks[static_cast<std::size_t>(reference)].name)
                                  : ThetaSpec::point(Vector::Zero(setup.parameters.size()));
        } else {
          theta1 = theta_spec(setup, a->thetas1, {}, 1, "--theta1");
        }
        result = kind == SampleKind::Ratio ? sampler.ratio(theta, theta1, options) : sampler.more_ratios(theta, theta1, options);
        break;
      }
    }
    result.samples.source = a->events;
    write_samples(a->out, result.samples);
    if (!a->npy_dir.empty()) export_madminer_npy(result.samples, a->npy_dir, std::filesystem::path(a->out).stem().string());
    if (a->json)
      std::cout << report_json(result, a->out).dump(2) << "\n";
    else
      fmt::print("{}samples written to {}\n", result.brief_report(), a->out);
  });
}

void add_xsec_command(CLI::App& app) {
  auto* command = app.add_subcommand("xsec", "Cross sections with their statistical uncertainty at parameter points");
  struct Arguments {
    std::string events, partition = "all";
    std::vector<std::string> thetas;
    bool json = false;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("EVENTS", a->events, "Weighted events in MadMiner's layout, with a morphing")->required();
  command->add_option("--theta", a->thetas, "Parameter point 'a,b,…' or benchmark name; repeat for several")->required();
  command->add_option("--partition", a->partition, "train, validation, test or all")
      ->check(CLI::IsMember({"train", "validation", "test", "all"}))
      ->capture_default_str();
  command->add_flag("--json", a->json, "Print JSON");
  command->callback([a] {
    Sampler sampler(read_madminer_file(a->events));
    const Setup& setup = sampler.setup();
    RowMatrix points(static_cast<Index>(a->thetas.size()), setup.parameters.size());
    for (std::size_t i = 0; i < a->thetas.size(); ++i) {
      auto point = parse_point(a->thetas[i], setup.parameters.size());
      if (!point) point = setup.benchmarks[static_cast<std::size_t>(setup.benchmark_index(a->thetas[i]))].values;
      points.row(static_cast<Index>(i)) = point->transpose();
    }
    const auto [sigma, uncertainty] = sampler.cross_sections(points, parse_partition(a->partition));
    if (a->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (Index t = 0; t < points.rows(); ++t)
        j.push_back({{"theta", std::vector<double>(points.row(t).data(), points.row(t).data() + points.cols())},
                     {"cross_section_pb", sigma(t)},
                     {"uncertainty_pb", uncertainty(t)}});
      std::cout << j.dump(2) << "\n";
      return;
    }
    fmt::print("{:<32} {:>16} {:>16}\n", fmt::format("({})", fmt::join(setup.parameters.names(), ", ")), "sigma [pb]",
               "stat. unc. [pb]");
    for (Index t = 0; t < points.rows(); ++t)
      fmt::print("{:<32} {:>16.8g} {:>16.3g}\n", fmt::format("({})", fmt::join(points.row(t), ", ")), sigma(t),
                 uncertainty(t));
  });
}

}  // namespace sbi::cli
