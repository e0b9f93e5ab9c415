#pragma once
/// @file commands.hpp
/// The `sbi` command's subcommands. Each lives in its own cmd_<name>.cpp, adds itself to the
/// CLI11 app, and is a thin layer over the public API: parse, call, print (a human-readable
/// table, or JSON with stable keys under --json).

#include <CLI/CLI.hpp>

namespace sbi::cli {

void add_info_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_morphing_command(CLI::App& app);
void add_lhe_command(CLI::App& app);
void add_augment_command(CLI::App& app);
void add_xsec_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_truth_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_limits_command(CLI::App& app);

}  // namespace sbi::cli
