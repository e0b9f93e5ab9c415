// `sbi info FILE [--json]`: what a MadMiner/sbi file holds.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/version.hpp"

namespace sbi::cli {

namespace {

nlohmann::ordered_json info_json(const std::string& path, const MadMinerFile& file) {
  using json = nlohmann::ordered_json;
  const Setup& setup = file.setup;
  json out;
  out["file"] = path;
  out["sbi_version"] = sbi::version;
  out["parameters"] = json::array();
  for (const auto& p : setup.parameters)
    out["parameters"].push_back({{"name", p.name},
                                 {"lha_block", p.lha_block},
                                 {"lha_id", p.lha_id},
                                 {"max_power", p.max_power},
                                 {"range", {p.range_low, p.range_high}},
                                 {"transform", p.transform}});
  std::optional<Vector> sigma;
  if (file.events) sigma = file.events->cross_sections(file.sample_summary);
  out["benchmarks"] = json::array();
  for (std::size_t b = 0; b < setup.benchmarks.size(); ++b) {
    const auto& bm = setup.benchmarks[b];
    json values = json::object();
    for (Index p = 0; p < setup.parameters.size(); ++p) values[setup.parameters[p].name] = bm.values(p);
    json entry = {{"name", bm.name}, {"values", values}, {"is_nuisance", bm.is_nuisance}, {"is_reference", bm.is_reference}};
    entry["cross_section_pb"] = sigma ? json((*sigma)(static_cast<Index>(b))) : json(nullptr);
    out["benchmarks"].push_back(entry);
  }
  if (setup.morphing) {
    json components = json::array();
    for (Index c = 0; c < setup.morphing->components.rows(); ++c) {
      json row = json::array();
      for (Index p = 0; p < setup.morphing->components.cols(); ++p) row.push_back(setup.morphing->components(c, p));
      components.push_back(row);
    }
    out["morphing"] = {{"n_components", setup.morphing->components.rows()}, {"components", components}};
  } else {
    out["morphing"] = nullptr;
  }
  out["observables"] = json::array();
  for (const auto& o : setup.observables) out["observables"].push_back({{"name", o.name}, {"definition", o.definition}});
  out["n_events"] = file.events ? file.events->size() : 0;
  if (file.sample_summary)
    out["sample_summary"] = {{"signal_events", file.sample_summary->signal_events},
                             {"background_events", file.sample_summary->background_events}};
  else
    out["sample_summary"] = nullptr;
  out["nuisance_parameters"] = json::array();
  for (const auto& nu : setup.nuisance_parameters)
    out["nuisance_parameters"].push_back({{"name", nu.name},
                                          {"systematic", nu.systematic},
                                          {"benchmark_positive", nu.benchmark_positive},
                                          {"benchmark_negative", nu.benchmark_negative}});
  out["systematics"] = json::array();
  for (const auto& s : setup.systematics)
    out["systematics"].push_back({{"name", s.name}, {"type", s.type}, {"value", s.value}, {"scale", s.scale}});
  return out;
}

void print_info(const std::string& path, const MadMinerFile& file) {
  const Setup& setup = file.setup;
  fmt::print("{}\n", path);
  fmt::print("\nParameters ({}):\n", setup.parameters.size());
  fmt::print("  {:<16} {:<10} {:>6} {:>9}  {:<24} {}\n", "name", "LHA block", "id", "max power", "range", "transform");
  for (const auto& p : setup.parameters)
    fmt::print("  {:<16} {:<10} {:>6} {:>9}  [{:>9.4g}, {:>9.4g}]  {}\n", p.name, p.lha_block, p.lha_id, p.max_power,
               p.range_low, p.range_high, p.transform.empty() ? "-" : p.transform);

  std::optional<Vector> sigma;
  if (file.events) sigma = file.events->cross_sections(file.sample_summary);
  fmt::print("\nBenchmarks ({}, {} physical):\n", setup.benchmarks.size(), setup.n_physical_benchmarks());
  std::string header = fmt::format("  {:<28}", "name");
  for (const auto& p : setup.parameters) header += fmt::format(" {:>11}", p.name.substr(0, 11));
  if (sigma) header += fmt::format(" {:>14}", "sigma [pb]");
  fmt::print("{}\n", header);
  for (std::size_t b = 0; b < setup.benchmarks.size(); ++b) {
    const auto& bm = setup.benchmarks[b];
    std::string flags = bm.is_reference ? " (reference)" : bm.is_nuisance ? " (nuisance)" : "";
    std::string line = fmt::format("  {:<28}", bm.name + flags);
    for (Index p = 0; p < bm.values.size(); ++p) line += fmt::format(" {:>11.5g}", bm.values(p));
    if (sigma) line += fmt::format(" {:>14.7g}", (*sigma)(static_cast<Index>(b)));
    fmt::print("{}\n", line);
  }

  if (setup.morphing) {
    std::vector<std::string> monomials;
    for (Index c = 0; c < setup.morphing->components.rows(); ++c) {
      std::string term;
      for (Index p = 0; p < setup.morphing->components.cols(); ++p) {
        const auto power = setup.morphing->components(c, p);
        if (power == 0) continue;
        if (!term.empty()) term += "*";
        term += power == 1 ? setup.parameters[p].name : fmt::format("{}^{}", setup.parameters[p].name, power);
      }
      monomials.push_back(term.empty() ? "1" : term);
    }
    fmt::print("\nMorphing: {} components: {}\n", setup.morphing->components.rows(), fmt::join(monomials, ", "));
  } else {
    fmt::print("\nMorphing: none stored\n");
  }

  fmt::print("\nObservables ({}):\n", setup.observables.size());
  for (const auto& o : setup.observables)
    fmt::print("  {:<24} {}\n", o.name, o.definition.empty() ? "-" : o.definition);

  fmt::print("\nEvents: {}\n", file.events ? file.events->size() : 0);
  if (file.sample_summary)
    fmt::print("Sample summary: signal events per benchmark [{}], background events {}\n",
               fmt::join(file.sample_summary->signal_events, ", "), file.sample_summary->background_events);
  if (!setup.nuisance_parameters.empty()) {
    fmt::print("\nNuisance parameters ({}):\n", setup.nuisance_parameters.size());
    for (const auto& nu : setup.nuisance_parameters)
      fmt::print("  {:<20} systematic {}, +1 sigma: {}, -1 sigma: {}\n", nu.name, nu.systematic,
                 nu.benchmark_positive.empty() ? "-" : nu.benchmark_positive,
                 nu.benchmark_negative.empty() ? "-" : nu.benchmark_negative);
  }
  if (!setup.systematics.empty()) {
    fmt::print("\nSystematics ({}):\n", setup.systematics.size());
    for (const auto& s : setup.systematics)
      fmt::print("  {:<20} type {}, value {}, scale {}\n", s.name, s.type, s.value, s.scale.empty() ? "-" : s.scale);
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* command = app.add_subcommand("info", "Print what a MadMiner/sbi HDF5 file holds: parameters, benchmarks, "
                                             "morphing, observables, events and cross sections");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  command->add_option("FILE", *path, "MadMiner-format HDF5 file")->required();
  command->add_flag("--json", *as_json, "Print JSON with stable keys instead of tables");
  command->callback([path, as_json] {
    const MadMinerFile file = read_madminer_file(*path);
    if (*as_json)
      std::cout << info_json(*path, file).dump(2) << "\n";
    else
      print_info(*path, file);
  });
}

}  // namespace sbi::cli
