// `sbi simulate wh …`: events from the built-in WH -> l nu b b simulator, in MadMiner's layout.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "commands.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi::cli {

void add_simulate_command(CLI::App& app) {
  auto* command = app.add_subcommand("simulate", "Generate events with a built-in simulator");
  command->require_subcommand(1);
  auto* wh = command->add_subcommand(
      "wh", "q q' -> W H -> l nu b b at leading order with anomalous HWW couplings (c_HWtil, c_HW at Lambda = 1 TeV); "
            "weights at the seed talk's six benchmarks");
  struct Arguments {
    Index events = 10000, ttbar = 0, wbb = 0;
    std::uint64_t seed = 1;
    std::string out, lhe;
    bool parton_level = false, no_cuts = false;
    int threads = 0;
  };
  auto a = std::make_shared<Arguments>();
  wh->add_option("--events", a->events, "Signal events (unweighted at the SM)")->capture_default_str();
  wh->add_option("--out", a->out, "Events file to write (MadMiner layout)")->required();
  wh->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  wh->add_flag("--parton-level", a->parton_level, "No detector smearing: x = z, so the joint quantities are exact");
  wh->add_flag("--no-cuts", a->no_cuts, "Do not apply the seed talk's selection cuts");
  wh->add_option("--ttbar", a->ttbar, "Background events from the tt-like model")->capture_default_str();
  wh->add_option("--wbb", a->wbb, "Background events from the W+bb-like model")->capture_default_str();
  wh->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  wh->add_option("--lhe", a->lhe, "Also write the signal events as an LHE file with reweighting weights");
  wh->callback([a] {
    WHOptions options;
    options.parton_level = a->parton_level;
    options.apply_cuts = !a->no_cuts;
    options.threads = a->threads > 0 ? a->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const WHSimulator simulator(options);
    const auto start = std::chrono::steady_clock::now();
    WHSample sample = simulator.generate(a->events, a->seed);
    if (a->ttbar > 0 || a->wbb > 0) simulator.add_background(sample, a->ttbar, a->wbb, a->seed + 1);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MadMinerFile file;
    file.setup = sample.setup;
    file.events = sample.events;
    write_madminer_file(a->out, file);
    if (!a->lhe.empty()) write_wh_lhe(a->lhe, sample, simulator);
    const Vector sigma = sample.events.cross_sections();
    fmt::print("generated {} events ({} background) in {:.2f} s: sigma(SM) = {:.5g} pb after {}; written to {}\n",
               sample.events.size(), a->ttbar + a->wbb, seconds, sigma(0),
               options.apply_cuts ? "the seed talk's cuts" : "no cuts", a->out);
  });
}

}  // namespace sbi::cli
