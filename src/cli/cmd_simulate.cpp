// `sbi generate wh …`: events from the built-in WH -> l nu b b simulator, in MadMiner's layout, with
// the truth inputs as sbi-only datasets (read back by `sbi truth`).
// `sbi generate galton …`: training samples from the Galton board, in the sampler's samples format.
// `sbi simulate …` is the same command under its older name.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/galton.hpp"
#include "sbi/sampler.hpp"
#include "sbi/samples.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi::cli {

void add_simulate_command(CLI::App& app) {
  auto* command = app.add_subcommand("generate", "Generate events or samples with a built-in simulator (alias: simulate)");
  command->alias("simulate");
  command->require_subcommand(1);
  auto* wh = command->add_subcommand(
      "wh", "q q' -> W H -> l nu b b at leading order with anomalous HWW couplings (c_HWtil, c_HW at Lambda = 1 TeV); "
            "weights at the seed talk's six benchmarks or at those of --benchmarks FILE");
  struct Arguments {
    WHGenerateOptions run;
    std::string out, lhe, benchmarks;
    bool parton_level = false, no_cuts = false;
    int threads = 0;
  };
  auto a = std::make_shared<Arguments>();
  wh->add_option("--events", a->run.events, "Signal events (unweighted at the sampling benchmark: the SM)")->capture_default_str();
  wh->add_option("--out", a->out, "Events file to write (MadMiner layout, plus sbi's truth datasets)")->required();
  wh->add_option("--seed", a->run.seed, "Random seed")->capture_default_str();
  wh->add_flag("--parton-level", a->parton_level, "No detector smearing: x = z, so the exact truth applies (sbi truth)");
  wh->add_flag("--no-cuts", a->no_cuts, "Do not apply the seed talk's selection cuts");
  wh->add_option("--background", a->run.background, "Background events, half tt-like, half W+bb-like")->capture_default_str();
  wh->add_option("--ttbar", a->run.ttbar, "Additional background events from the tt-like model")->capture_default_str();
  wh->add_option("--wbb", a->run.wbb, "Additional background events from the W+bb-like model")->capture_default_str();
  wh->add_option("--benchmarks", a->benchmarks,
                 "Set-up file (MadMiner layout, e.g. from sbi morphing optimize) whose physical benchmarks the events carry "
                 "weights at; sampled at its reference benchmark (else the SM)");
  wh->add_option("--threads", a->threads, "Threads (0 = all cores); the events do not depend on it")->capture_default_str();
  wh->add_option("--lhe", a->lhe, "Also write the events as an LHE file with reweighting weights");
  wh->callback([a] {
    WHOptions options;
    options.parton_level = a->parton_level;
    options.apply_cuts = !a->no_cuts;
    options.threads = a->threads > 0 ? a->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const WHSimulator simulator(options);
    a->run.benchmarks = a->benchmarks;
    const auto start = std::chrono::steady_clock::now();
    const WHSample sample = generate_wh_sample(simulator, a->run);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_wh_events(a->out, sample);
    if (!a->lhe.empty()) write_wh_lhe(a->lhe, sample, simulator);
    // σ(SM) after the cuts: the signal's integrated components (exact in θ, whatever the benchmarks)
    // plus the background's weights (equal at every benchmark).
    double sigma_sm = WHSimulator::cross_section(sample, Vector::Zero(2));
    Index background = 0;
    for (Index i = 0; i < sample.events.size(); ++i)
      if (sample.events.process_of(i) != 0) {
        ++background;
        sigma_sm += sample.events.weights(i, 0);
      }
    fmt::print("generated {} events ({} background) in {:.2f} s ({:.3g} signal events/s): sigma(SM) = {:.5g} pb after {}; "
               "weights at {} benchmarks{}; written to {}\n",
               sample.events.size(), background, seconds, static_cast<double>(a->run.events) / seconds, sigma_sm,
               options.apply_cuts ? "the seed talk's cuts" : "no cuts", sample.setup.benchmarks.size(),
               a->benchmarks.empty() ? "" : fmt::format(" from {}", a->benchmarks), a->out);
  });

  auto* galton = command->add_subcommand(
      "galton", "The generalised Galton board of 'Mining gold' (exact p(x|theta)): local samples at --theta, or ratio "
                "samples with theta0 from --prior flat:LO,HI against --theta1, in the sampler's samples format");
  struct GaltonArguments {
    Index events = 10000;
    std::optional<double> theta, theta1;
    std::string prior, out;
    std::uint64_t seed = 1;
  };
  auto g = std::make_shared<GaltonArguments>();
  galton->add_option("--events", g->events, "Number of samples (ratio: half at theta0, half at theta1)")->capture_default_str();
  galton->add_option("--theta", g->theta, "Local samples: x, theta and t(x,z|theta) at this theta");
  galton->add_option("--prior", g->prior, "Ratio samples: theta0 uniform in flat:LO,HI (each sample its own)");
  galton->add_option("--theta1", g->theta1, "Ratio samples: the denominator hypothesis theta1");
  galton->add_option("--seed", g->seed, "Random seed")->capture_default_str();
  galton->add_option("--out", g->out, "Samples file to write (HDF5, as sbi augment writes)")->required();
  galton->callback([g] {
    const bool local = g->theta.has_value();
    if (local == (!g->prior.empty() || g->theta1.has_value()))
      throw InvalidArgument("give either --theta (local samples) or --prior flat:LO,HI with --theta1 (ratio samples)");
    const GaltonBoard board;
    AugmentedSamples samples;
    std::string what;
    if (local) {
      samples = galton_local_samples(board, *g->theta, g->events, g->seed);
      what = fmt::format("{} local samples at theta = {:g}", samples.size(), *g->theta);
    } else {
      if (g->prior.empty() || !g->theta1) throw InvalidArgument("ratio samples need both --prior flat:LO,HI and --theta1");
      const ParameterPrior prior = ParameterPrior::parse(g->prior);
      if (prior.kind != ParameterPrior::Kind::Flat)
        throw InvalidArgument(fmt::format("--prior {}: the Galton ratio samples take a flat prior, flat:LO,HI", g->prior));
      samples = galton_ratio_samples(board, prior.a, prior.b, *g->theta1, g->events, g->seed);
      what = fmt::format("{} ratio samples, theta0 ~ U[{:g}, {:g}) against theta1 = {:g} ({} with y = 1)", samples.size(),
                         prior.a, prior.b, *g->theta1, static_cast<Index>(samples.y.sum()));
    }
    write_samples(g->out, samples);
    const double mean_t = samples.t_xz0.col(0).mean();
    fmt::print("galton: {}; mean x = {:.4f}, mean t_xz = {:.4f}; written to {}\n", what, samples.x.col(0).mean(), mean_t, g->out);
  });
}

}  // namespace sbi::cli
