// The `sbi` command line: thin subcommands over the public API (STYLE.md §15).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sbi: simulation-based inference for particle physics (morphing, sampling, neural estimators, limits)",
               "sbi"};
  app.set_version_flag("--version", std::string("sbi ") + sbi::version);
  app.require_subcommand(1);
  app.fallthrough(false);

  sbi::cli::add_info_command(app);
  sbi::cli::add_demo_command(app);
  sbi::cli::add_morphing_command(app);
  sbi::cli::add_lhe_command(app);
  sbi::cli::add_augment_command(app);
  sbi::cli::add_xsec_command(app);
  sbi::cli::add_simulate_command(app);
  sbi::cli::add_truth_command(app);
  sbi::cli::add_train_command(app);
  sbi::cli::add_evaluate_command(app);
  sbi::cli::add_limits_command(app);

  // CLI11 reports an unknown first word only as "a subcommand is required": name it.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* command : app.get_subcommands({})) known = known || command->check_name(argv[1]);  // aliases too
    if (!known) {
      std::fprintf(stderr, "sbi: unknown command '%s'\n\n%s", argv[1], app.help().c_str());
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Unknown commands and bad arguments: say what is wrong, print usage, exit non-zero.
    std::fprintf(stderr, "sbi: %s\n\n%s", e.what(), app.help().c_str());
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  } catch (const sbi::Error& e) {
    std::fprintf(stderr, "sbi: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sbi: internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
