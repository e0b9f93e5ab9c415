// `sbi demo [--quick] [--out DIR]`: the main job on the built-in default, for a newcomer's first
// command — the seed talk's study ("Searching for HWW anomalous couplings with simulation-based
// inference", seed 002) on the built-in WH → ℓν bb̄ simulator with backgrounds, two Wilson
// coefficients θ = (c_HWtil, c_HW) at Λ = 1 TeV: optimise the morphing basis, generate events with
// weights at it, draw SALLY and ALICES training samples, train both ensembles, and compute expected
// limits at the SM in the modes rate, histo (Q_ℓ cos δ⁺ ⊗ m_T^{ℓνbb̄}), sally and ml, with the
// Fisher information as a cross-check; print the table of 68 %/95 % intervals and write the plots.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "commands.hpp"
#include "sbi/estimators.hpp"
#include "sbi/limits.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"
#include "sbi/sampler.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The demo's size: the default study and the --quick one.
struct DemoSize {
  Index signal_events, background_events;
  Index local_samples, ratio_samples;
  Index members, epochs;
  std::vector<Index> hidden;
  Index scan_points_1d, scan_points_2d;
};

DemoSize demo_size(bool quick) {
  if (quick) return {30000, 6000, 40000, 60000, 2, 10, {50}, 101, 21};
  // The seed talk's S+B set-up: [100, 100] tanh, α = 10, 5 members, 303-point 1-D and 35 × 35
  // 2-D scans; three members and 30 epochs keep the default under ten minutes on two cores.
  return {150000, 30000, 150000, 200000, 3, 30, {100, 100}, 303, 35};
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "demo", "Run the built-in default study: the seed talk's WH -> l nu b b search for anomalous HWW couplings "
              "(basis optimisation, events with backgrounds, SALLY and ALICES ensembles, expected limits in the modes "
              "rate, histo, sally and ml, plots)");
  struct Arguments {
    std::string out = "sbi-demo";
    bool quick = false;
    std::uint64_t seed = 1;
    int threads = 0;
    double luminosity = 300000.0;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("--out", a->out, "Directory for the demo's files")->capture_default_str();
  command->add_flag("--quick", a->quick, "A smaller study (under two minutes)");
  command->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  command->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  command->add_option("--luminosity", a->luminosity, "Integrated luminosity in pb^-1 (300000 = 300 fb^-1)")
      ->capture_default_str();
  command->callback([a] {
    namespace fs = std::filesystem;
    using Clock = std::chrono::steady_clock;
    const auto total_start = Clock::now();
    const DemoSize size = demo_size(a->quick);
    const int threads = a->threads > 0 ? a->threads : default_thread_count();
    fs::create_directories(a->out);
    const fs::path dir(a->out);
    fmt::print("sbi demo{}: p p -> W H -> l nu b b at 13 TeV with anomalous HWW couplings (c_HWtil, c_HW at Lambda = 1 "
               "TeV),\nthe study of the seed talk, on the built-in simulator; {} thread{}\n\n",
               a->quick ? " --quick" : "", threads, threads == 1 ? "" : "s");

    // 1. The morphing basis: the SM plus five points minimising E[Σ w²] over the scan ranges.
    auto start = Clock::now();
    const ParameterSpace parameters = WHSimulator::parameter_space();
    const IntRowMatrix components = morphing_components(parameters, 2);
    RowMatrix ranges(parameters.size(), 2);
    for (Index p = 0; p < parameters.size(); ++p) ranges.row(p) << parameters[p].range_low, parameters[p].range_high;
    BasisOptimisationOptions basis_options;
    basis_options.seed = a->seed;
    basis_options.compare_with_madminer = true;
    const BasisOptimisationResult basis = optimise_basis(components, ranges, RowMatrix::Zero(1, 2), basis_options);
    std::vector<Benchmark> benchmarks;
    for (Index b = 0; b < basis.benchmarks.rows(); ++b)
      benchmarks.push_back({b == 0 ? "sm" : fmt::format("morphing_basis_vector_{}", b), basis.benchmarks.row(b).transpose(),
                            false, b == 0});
    fmt::print("1. morphing basis: SM + {} optimised points, E[sum w^2] = {:.3f} (MadMiner's random search: {:.3f}), "
               "condition number {:.3g} ({:.2f} s)\n",
               basis.benchmarks.rows() - 1, basis.objective, basis.madminer_objective.value_or(NAN),
               basis.condition_number, seconds_since(start));

    // 2. Events at detector level with the seed talk's cuts, weights at the optimised basis, and
    //    the tt-like and W+bb-like backgrounds.
    start = Clock::now();
    WHOptions options;
    options.threads = threads;
    const WHSimulator simulator(options);
    WHSample sample = simulator.generate(size.signal_events, a->seed, benchmarks);
    simulator.add_background(sample, size.background_events / 2, size.background_events / 2, a->seed + 1);
    shuffle(sample.events, a->seed + 2);  // the sampler's partitions are slices of the file order
    MadMinerFile file;
    file.setup = sample.setup;
    file.events = sample.events;
    const fs::path events_path = dir / "events.h5";
    write_madminer_file(events_path, file);
    const Morphing morphing = Morphing::from_setup(file.setup);
    Sampler sampler(file);
    const auto [sigma, sigma_error] = sampler.cross_sections(RowMatrix::Zero(1, 2));
    fmt::print("2. events: {} signal + {} background at detector level (seed talk's cuts), sigma(SM) = {:.4f} +- {:.4f} "
               "pb ({:.1f} s) -> {}\n",
               size.signal_events, sample.events.size() - size.signal_events, sigma(0), sigma_error(0),
               seconds_since(start), events_path.string());

    // 3. Training samples (exact unweighting, joint score and joint likelihood ratio).
    start = Clock::now();
    SamplerOptions sampling;
    sampling.seed = a->seed;
    sampling.threads = threads;
    sampling.exact_statistics = false;
    std::vector<AugmentedSamples> local_samples, ratio_samples;
    const ParameterPrior prior{ParameterPrior::Kind::Gaussian, 0.0, 0.4};  // the seed talk's prior
    for (Index m = 0; m < size.members; ++m) {
      sampling.seed = a->seed + 100 + static_cast<std::uint64_t>(m);
      sampling.n_samples = size.local_samples;
      local_samples.push_back(sampler.local(ThetaSpec::benchmark("sm"), sampling).samples);
      sampling.n_samples = size.ratio_samples;
      ratio_samples.push_back(sampler.ratio(ThetaSpec::random(1000, {prior, prior}), ThetaSpec::benchmark("sm"), sampling).samples);
    }
    write_samples(dir / "train_local.h5", local_samples[0]);
    write_samples(dir / "train_ratio.h5", ratio_samples[0]);
    fmt::print("3. samples: {} x {} SALLY (local at the SM) and {} x {} ALICES (theta0 ~ N(0, 0.4^2) at 1000 points, "
               "theta1 = SM), one set per ensemble member ({:.2f} s)\n",
               size.members, size.local_samples, size.members, size.ratio_samples, seconds_since(start));

    // 4. Ensembles: SALLY and ALICES (α = 10, the seed talk's S+B choice), [100, 100] tanh.
    TrainingOptions training;
    training.epochs = size.epochs;
    training.threads = threads;
    training.seed = a->seed;
    training.progress = 0;
    const Index n_observables = sample.events.observations.cols();
    const NetworkOptions network{size.hidden, Activation::Tanh};
    start = Clock::now();
    Ensemble sally(EstimatorMethod::Sally, n_observables, 2, EnsembleOptions{size.members, false}, network, a->seed);
    const auto sally_summaries = sally.train(local_samples, training);
    sally.save(dir / "sally.h5");
    const double sally_seconds = seconds_since(start);
    start = Clock::now();
    training.alpha = 10.0;
    Ensemble alices(EstimatorMethod::Alices, n_observables, 2, EnsembleOptions{size.members, false}, network, a->seed + 50);
    const auto alices_summaries = alices.train(ratio_samples, training);
    alices.save(dir / "alices.h5");
    const double alices_seconds = seconds_since(start);
    fmt::print("4. estimators: {} x SALLY and {} x ALICES, [{}] tanh, {} epochs\n", size.members, size.members,
               fmt::join(size.hidden, ", "), size.epochs);
    for (std::size_t m = 0; m < sally_summaries.size(); ++m)
      fmt::print("   SALLY  {}: best epoch {}, validation loss {:.5f}\n", m, sally_summaries[m].best_epoch + 1,
                 sally_summaries[m].best_validation_loss);
    for (std::size_t m = 0; m < alices_summaries.size(); ++m)
      fmt::print("   ALICES {}: best epoch {}, validation loss {:.5f}\n", m, alices_summaries[m].best_epoch + 1,
                 alices_summaries[m].best_validation_loss);
    fmt::print("   trained in {:.1f} s (SALLY) and {:.1f} s (ALICES) -> {}, {}\n", sally_seconds, alices_seconds,
               (dir / "sally.h5").string(), (dir / "alices.h5").string());

    // 5. Expected limits at the SM, 1-D scans (the other coupling at 0) and the 2-D scan.
    start = Clock::now();
    const AsymptoticLimits limits(file);
    // ALICES' log r̂ with the expectation-value calibration (estimators.hpp): R̂(θ) = E[r̂(x|θ, SM)]
    // over the test events weighted at the SM (θ1), so that p̂(x|θ) = r̂ p(x|SM) is normalised.
    const PartitionEvents test_events = partition_events(file.setup, *file.events, Partition::Test);
    RowMatrix x_calibration(static_cast<Index>(test_events.rows.size()), n_observables);
    Vector w_calibration(x_calibration.rows());
    for (Index i = 0; i < x_calibration.rows(); ++i) {
      const Index row = test_events.rows[static_cast<std::size_t>(i)];
      x_calibration.row(i) = file.events->observations.row(row);
      w_calibration(i) = test_events.factors(i) * file.events->weights(row, 0);  // benchmark 0 = SM
    }
    LimitEstimators estimators;
    estimators.score = score_function(sally, threads);
    estimators.log_ratio = calibrated_log_ratio_function(alices, x_calibration, w_calibration, true, threads);
    struct Mode {
      std::string label;
      LimitOptions options;
    };
    std::vector<Mode> modes;
    LimitOptions base;
    base.luminosity = a->luminosity;
    base.theta_batch_size = 64;
    // Expected limits: histogram templates from the same test events as the Asimov data (the seed
    // talk built them from the whole sample), so finite Monte Carlo statistics do not fake a
    // signal at 10⁶ expected events (MadMiner's default, train templates, does).
    base.template_partition = Partition::Test;
    {
      Mode m{"rate", base};
      m.options.mode = LimitMode::Rate;
      modes.push_back(m);
    }
    {
      // The seed talk's best histogram: Q_l cos δ+ (8 equal-content bins) ⊗ m_T^{lvbb} (0–400,
      // 400–800, > 800 GeV).
      Mode m{"histo cosd+ x mT", base};
      m.options.mode = LimitMode::Histo;
      m.options.observables = {"ql_cos_deltaplus", "mt_lvbb"};
      m.options.binning = {AxisBinning::adaptive(8), AxisBinning::fixed({0.0, 400.0, 800.0, 1.0e5})};
      modes.push_back(m);
    }
    {
      Mode m{"sally", base};
      m.options.mode = LimitMode::Sally;
      modes.push_back(m);
    }
    {
      Mode m{"ml (alices, calibrated)", base};
      m.options.mode = LimitMode::Ml;
      modes.push_back(m);
    }
    const Vector sm = Vector::Zero(2);
    std::vector<LimitResult> scans_1d, scans_2d;
    for (const auto& mode : modes) {
      for (Index p = 0; p < 2; ++p) {
        std::vector<GridAxis> axes(2, GridAxis::fixed(0.0));
        axes[static_cast<std::size_t>(p)] =
            GridAxis::range(parameters[p].range_low, parameters[p].range_high, size.scan_points_1d);
        LimitResult r = limits.expected_limits(sm, ScanGrid::regular(axes), mode.options, estimators);
        r.label = mode.label;
        scans_1d.push_back(std::move(r));
      }
      const ScanGrid grid = ScanGrid::regular({GridAxis::range(parameters[0].range_low, parameters[0].range_high, size.scan_points_2d),
                                               GridAxis::range(parameters[1].range_low, parameters[1].range_high, size.scan_points_2d)});
      LimitResult r = limits.expected_limits(sm, grid, mode.options, estimators);
      r.label = mode.label;
      scans_2d.push_back(std::move(r));
    }
    const double limits_seconds = seconds_since(start);
    fmt::print("\n5. expected limits at the SM, L = {:g} fb^-1 ({:.1f} s): 1-D scans, the other coupling at 0\n\n{}\n",
               a->luminosity / 1000.0, limits_seconds, limits_table(scans_1d));
    fmt::print("   2-D scan ({} x {} points), each coupling with the other profiled:\n\n{}\n", size.scan_points_2d,
               size.scan_points_2d, limits_table(scans_2d));

    // 6. The Fisher information at the SM: linearised 68 % CL half-widths, a cross-check of the
    //    scans near the SM (equal to second order for a well-trained SALLY).
    FisherOptions fisher;
    fisher.luminosity = a->luminosity;
    fmt::print("6. Fisher information at the SM, linearised 68 % CL half-widths (other coupling profiled):\n");
    for (auto kind : {FisherKind::Truth, FisherKind::Rate, FisherKind::Score}) {
      fisher.kind = kind;
      const FisherInformation info = limits.fisher_information(sm, fisher, estimators);
      const Vector half = info.interval_half_widths(0.68);
      // A singular information (the rate alone has no linear c_HWtil term): unconstrained at
      // second order.
      auto text = [](double h) { return std::isfinite(h) ? fmt::format("+- {:.4g}", h) : std::string("unconstrained"); };
      fmt::print("   {:<6} c_HWtil {:<16} c_HW {}\n", to_string(kind), text(half(0)), text(half(1)));
    }

    // 7. Results and plots.
    std::vector<LimitResult> all = scans_1d;
    all.insert(all.end(), scans_2d.begin(), scans_2d.end());
    write_limit_results_json(dir / "limits.json", all);
    std::vector<fs::path> plots;
    for (Index p = 0; p < 2; ++p) {
      std::vector<LimitResult> along;
      for (const auto& r : scans_1d)
        if (r.grid.scanned_parameters() == std::vector<Index>{p}) along.push_back(r);
      PlotOptions plot;
      plot.title = fmt::format("Expected limits at the SM, {:g} fb^-1", a->luminosity / 1000.0);
      const auto files = plot_limit_scans(along, parameters[p].name, dir / fmt::format("scan_{}", parameters[p].name), plot);
      plots.insert(plots.end(), files.begin(), files.end());
    }
    {
      PlotOptions plot;
      plot.title = fmt::format("Expected 68 % and 95 % CL contours, {:g} fb^-1", a->luminosity / 1000.0);
      const auto files = plot_limit_contours(scans_2d, dir / "contours", plot);
      plots.insert(plots.end(), files.begin(), files.end());
    }
    std::vector<std::string> plot_names;
    for (const auto& f : plots) plot_names.push_back(f.string());
    fmt::print("\n7. results -> {}\n   plots   -> {}\n", (dir / "limits.json").string(), fmt::join(plot_names, ", "));
    fmt::print("\nsbi demo finished in {:.1f} s.\n", seconds_since(total_start));
  });
}

}  // namespace sbi::cli
