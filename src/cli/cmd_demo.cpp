// `sbi demo [--out DIR]`: the main job on the built-in default, for a newcomer's first command —
// the seed talk's WH -> l nu b b study with two Wilson coefficients (c_HWtil, c_HW at Λ = 1 TeV).
// It grows with the library: events from the built-in simulator, the MadMiner-layout file, the
// morphing, cross sections and the SALLY and ALICES training samples; trained estimators and
// limits join when those modules land.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "commands.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"
#include "sbi/sampler.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi::cli {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

void add_demo_command(CLI::App& app) {
  auto* command = app.add_subcommand("demo", "Run the built-in default study (the seed talk's WH -> l nu b b with "
                                             "anomalous HWW couplings) and print a summary");
  struct Arguments {
    std::string out = "sbi-demo";
    Index events = 50000, samples = 200000;
    std::uint64_t seed = 1;
    int threads = 0;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("--out", a->out, "Directory for the demo's files")->capture_default_str();
  command->add_option("--events", a->events, "Signal events to generate")->capture_default_str();
  command->add_option("--samples", a->samples, "Training samples per method")->capture_default_str();
  command->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  command->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  command->callback([a] {
    namespace fs = std::filesystem;
    fs::create_directories(a->out);
    const fs::path dir(a->out);
    fmt::print("sbi demo: WH -> l nu b b with anomalous HWW couplings (c_HWtil, c_HW at Lambda = 1 TeV), 13 TeV\n\n");

    // 1. Events from the built-in simulator, weighted at the seed talk's six benchmarks.
    WHOptions options;
    options.threads = a->threads > 0 ? a->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const WHSimulator simulator(options);
    auto start = std::chrono::steady_clock::now();
    WHSample sample = simulator.generate(a->events, a->seed);
    simulator.add_background(sample, a->events / 10, a->events / 10, a->seed + 1);
    shuffle(sample.events, a->seed + 2);  // the sampler's partitions are slices of the file order
    MadMinerFile file;
    file.setup = sample.setup;
    file.events = sample.events;
    const fs::path events_path = dir / "events.h5";
    write_madminer_file(events_path, file);
    fmt::print("1. simulated {} signal + {} background events at detector level with the seed talk's cuts in {:.2f} s\n",
               a->events, sample.events.size() - a->events, seconds_since(start));
    fmt::print("   -> {} (MadMiner's layout; `sbi info` shows it)\n\n", events_path.string());

    // 2. The morphing of the stored basis.
    const Morphing morphing = Morphing::from_setup(file.setup);
    fmt::print("2. morphing: {} components, {} benchmarks, condition number {:.3g}\n", morphing.n_components(),
               morphing.n_benchmarks(), morphing.condition_number());

    // 3. Cross sections with their statistical uncertainties.
    Sampler sampler(read_madminer_file(events_path));
    RowMatrix thetas(5, 2);
    thetas << 0, 0, 0.5, 0, -0.5, 0, 0, 0.5, 0, -0.5;
    const auto [sigma, uncertainty] = sampler.cross_sections(thetas);
    // Signal alone: background weights are the same at every benchmark.
    Vector signal_benchmark_sigma = Vector::Zero(morphing.n_benchmarks());
    for (Index i = 0; i < sample.events.size(); ++i)
      if (sample.events.sampling_benchmarks(i) >= 0)
        signal_benchmark_sigma += sample.events.weights.row(i).head(morphing.n_benchmarks()).transpose();
    const Vector signal_sigma = morphing.cross_sections(signal_benchmark_sigma, thetas);
    fmt::print("\n3. cross sections after cuts, signal and signal + background (tt-like and W+bb-like models):\n");
    for (Index t = 0; t < thetas.rows(); ++t)
      fmt::print("   c_HWtil = {:+.1f}, c_HW = {:+.1f}:  signal {:.5f} pb, total {:.4f} +- {:.4f} pb\n", thetas(t, 0),
                 thetas(t, 1), signal_sigma(t), sigma(t), uncertainty(t));

    // 4. Training samples for SALLY (score at the SM) and ALICES (θ0 from a prior, θ1 = SM).
    SamplerOptions sampling;
    sampling.n_samples = a->samples;
    sampling.seed = a->seed;
    sampling.threads = a->threads;
    start = std::chrono::steady_clock::now();
    SamplingResult local = sampler.local(ThetaSpec::benchmark("sm"), sampling);
    write_samples(dir / "train_local.h5", local.samples);
    const double local_seconds = seconds_since(start);
    const ParameterPrior prior{ParameterPrior::Kind::Gaussian, 0.0, 0.4};
    start = std::chrono::steady_clock::now();
    SamplingResult ratio = sampler.ratio(ThetaSpec::random(1000, {prior, prior}), ThetaSpec::benchmark("sm"), sampling);
    write_samples(dir / "train_ratio.h5", ratio.samples);
    const double ratio_seconds = seconds_since(start);
    SamplingResult test = sampler.test(ThetaSpec::benchmark("sm"), sampling);
    write_samples(dir / "test.h5", test.samples);
    fmt::print("\n4. training samples (exact unweighting, joint score and joint likelihood ratio):\n");
    fmt::print("   SALLY  (local at the SM): {} samples in {:.2f} s, n_eff = {:.0f} -> {}\n", local.samples.size(),
               local_seconds, local.min_n_eff(), (dir / "train_local.h5").string());
    fmt::print("   ALICES (ratio, theta0 ~ N(0, 0.4^2) at 2x1000 points, theta1 = SM): {} samples in {:.2f} s -> {}\n",
               ratio.samples.size(), ratio_seconds, (dir / "train_ratio.h5").string());
    fmt::print("   test sample at the SM: {} samples -> {}\n", test.samples.size(), (dir / "test.h5").string());
    const Vector mean_score = local.samples.t_xz0.colwise().mean().transpose();
    fmt::print("   mean joint score at the SM: ({:+.4f}, {:+.4f}) (zero in expectation)\n", mean_score(0), mean_score(1));
    fmt::print("\nNext: neural estimators (sbi train) and limits (sbi limits) run on these files once those modules land.\n");
  });
}

}  // namespace sbi::cli
