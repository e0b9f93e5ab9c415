// `sbi lhe`: LHE files → a MadMiner events file (with a given set-up or one read from the header).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"
#include "sbi/madminer_file.hpp"

namespace sbi::cli {

namespace {

struct LheArguments {
  std::vector<std::string> inputs;
  std::vector<std::string> backgrounds;
  std::vector<std::string> observables;
  std::vector<std::string> cuts;
  std::vector<std::string> efficiencies;
  std::vector<std::string> defaults;
  std::vector<std::string> weight_map;
  std::string benchmark;
  std::string out;
  bool setup_from_header = false;
  bool ignore_unmapped = false;
  bool shuffle = false;
  std::uint64_t seed = 1234;
  int max_power = 2;
  bool json = false;
};

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InvalidArgument(fmt::format("{} '{}': must be NAME=VALUE", option, text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void run_lhe(const LheArguments& a) {
  if (a.inputs.empty()) throw InvalidArgument("no input files: give SETUP.h5 and LHE files, or LHE files with --setup-from-header");
  std::vector<std::string> lhe_files;
  Setup setup;
  if (a.setup_from_header) {
    lhe_files = a.inputs;
    lhe::SetupFromHeaderOptions options;
    options.max_power = a.max_power;
    setup = lhe::setup_from_header(lhe::read_header(lhe_files.front()), options);
  } else {
    if (a.inputs.size() < 2 && a.backgrounds.empty())
      throw InvalidArgument("give SETUP.h5 and at least one LHE file (or --setup-from-header to take the set-up from the LHE header)");
    ReadOptions read;
    read.load_events = false;
    setup = read_madminer_file(a.inputs.front(), read).setup;
    lhe_files.assign(a.inputs.begin() + 1, a.inputs.end());
  }

  nlohmann::ordered_json out;
  out["output"] = a.out;
  out["parameters"] = setup.parameters.names();
  out["benchmarks"] = setup.benchmark_names();

  if (a.observables.empty()) {
    if (!a.setup_from_header) throw InvalidArgument("no --observable given: give at least one NAME=EXPR (e.g. --observable pt_j1=pt_j1)");
    MadMinerFile file;
    file.setup = setup;
    write_madminer_file(a.out, file);
    out["n_events"] = 0;
    if (a.json)
      std::cout << out.dump(2) << "\n";
    else
      fmt::print("set-up from '{}' written to {}: {} parameters ({}), {} benchmarks\n", lhe_files.front(), a.out,
                 setup.parameters.size(), fmt::join(setup.parameters.names(), ", "), setup.benchmarks.size());
    return;
  }

  lhe::ConvertOptions options;
  for (const auto& text : a.observables) {
    auto [name, expression] = split_assignment(text, "--observable");
    lhe::ObservableSpec spec;
    spec.name = name;
    spec.expression = expression;
    options.observables.push_back(std::move(spec));
  }
  for (const auto& text : a.defaults) {
    auto [name, value] = split_assignment(text, "--default");
    auto it = std::find_if(options.observables.begin(), options.observables.end(), [&](const auto& o) { return o.name == name; });
    if (it == options.observables.end()) throw InvalidArgument(fmt::format("--default '{}': no observable named '{}'", text, name));
    try {
      std::size_t used = 0;
      it->default_value = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw InvalidArgument(fmt::format("--default '{}': the value '{}' is not a number", text, value));
    }
    it->required = false;
  }
  for (const auto& text : a.cuts) {
    lhe::CutSpec cut;
    cut.expression = text;
    options.cuts.push_back(std::move(cut));
  }
  for (const auto& text : a.efficiencies) {
    lhe::EfficiencySpec efficiency;
    efficiency.expression = text;
    options.efficiencies.push_back(std::move(efficiency));
  }
  for (const auto& text : a.weight_map) options.weight_for_benchmark.push_back(split_assignment(text, "--weight"));
  options.ignore_unmapped_weights = a.ignore_unmapped;
  options.shuffle = a.shuffle;
  options.seed = a.seed;

  std::vector<lhe::LheSample> samples;
  for (const auto& f : lhe_files) {
    lhe::LheSample sample;
    sample.path = f;
    sample.sampling_benchmark = a.benchmark;
    samples.push_back(std::move(sample));
  }
  for (const auto& f : a.backgrounds) {
    lhe::LheSample sample;
    sample.path = f;
    sample.is_background = true;
    samples.push_back(std::move(sample));
  }
  std::vector<lhe::SampleReport> reports;
  const MadMinerFile file = lhe::convert(setup, samples, options, &reports);
  write_madminer_file(a.out, file);

  out["n_events"] = file.events->size();
  out["observables"] = file.setup.observable_names();
  out["files"] = nlohmann::ordered_json::array();
  for (const auto& r : reports)
    out["files"].push_back({{"path", r.path.string()},
                            {"events_read", r.events_read},
                            {"events_kept", r.events_kept},
                            {"failed_cuts", r.failed_cuts},
                            {"undefined_observables", r.undefined_observables},
                            {"negative_weight_events", r.negative_weight_events},
                            {"event_norm", std::string(lhe::to_string(r.event_norm))},
                            {"cross_section_pb", r.cross_section_pb}});
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  fmt::print("{:<60} {:>9} {:>9} {:>9} {:>9} {:>8} {:>14}\n", "file", "read", "kept", "cut", "undefined", "norm", "sigma [pb]");
  for (const auto& r : reports)
    fmt::print("{:<60} {:>9} {:>9} {:>9} {:>9} {:>8} {:>14.7g}\n", r.path.filename().string(), r.events_read, r.events_kept,
               r.failed_cuts, r.undefined_observables, lhe::to_string(r.event_norm), r.cross_section_pb);
  fmt::print("wrote {} events ({} benchmarks, {} observables: {}) to {}\n", file.events->size(), file.setup.benchmarks.size(),
             file.setup.observables.size(), fmt::join(file.setup.observable_names(), ", "), a.out);
}

}  // namespace

void add_lhe_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "lhe", "Read LHE files (plain or .gz) into a MadMiner events file: observables and cuts as expressions over "
             "built-in variables (pt_j1, eta_l1, m_jj, deta_jj, dphi_jj_signed, n_j, met, ...; see include/sbi/lhe.hpp)");
  auto a = std::make_shared<LheArguments>();
  command->add_option("INPUTS", a->inputs,
                      "SETUP.h5 then LHE files; with --setup-from-header only LHE files (the first one's header gives the set-up)")
      ->required();
  command->add_option("--out", a->out, "Output HDF5 file (MadMiner layout), written atomically")->required();
  command->add_flag("--setup-from-header", a->setup_from_header,
                    "Build parameters and benchmarks from the MadGraph reweighting weights of the first LHE file's header");
  command->add_option("--observable", a->observables, "NAME=EXPR, repeatable (muparser expression, e.g. m_jj=m_jj)")
      ->allow_extra_args(false);
  command->add_option("--cut", a->cuts, "EXPR that must be non-zero, repeatable (e.g. 'pt_j1 > 30')")->allow_extra_args(false);
  command->add_option("--efficiency", a->efficiencies,
                      "EXPR multiplying every weight of an event that passes the cuts (e.g. 'pt_l1 > 30 ? 0.95 : 0.7'; "
                      "1 where undefined), repeatable")
      ->allow_extra_args(false);
  command->add_option("--default", a->defaults,
                      "NAME=VALUE: store VALUE where observable NAME is undefined instead of dropping the event")
      ->allow_extra_args(false);
  command->add_option("--background", a->backgrounds, "Background LHE file (XWGTUP copied to every benchmark), repeatable")
      ->allow_extra_args(false);
  command->add_option("--benchmark", a->benchmark, "Benchmark the signal files were generated at (default: the reference)");
  command->add_option("--weight", a->weight_map, "BENCHMARK=WEIGHT_ID for benchmarks named unlike their weight, repeatable")
      ->allow_extra_args(false);
  command->add_flag("--ignore-unmapped-weights", a->ignore_unmapped, "Ignore weights that map to no benchmark (default: error)");
  command->add_flag("--shuffle", a->shuffle, "Shuffle the events of all files together");
  command->add_option("--seed", a->seed, "Seed of --shuffle")->capture_default_str();
  command->add_option("--max-power", a->max_power, "With --setup-from-header: maximal power of each parameter")
      ->capture_default_str();
  command->add_flag("--json", a->json, "Print JSON with stable keys instead of a table");
  command->callback([a] { run_lhe(*a); });
}

}  // namespace sbi::cli
