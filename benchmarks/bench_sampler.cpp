// Sampler benchmark (issue 6): ratio sampling over many θ sets on WH-simulator events, against
// MadMiner's algorithm (recompute every event weight at θ, cumulative sum, binary search per draw)
// re-implemented here in C++ and timed in the same run, so the ratio does not depend on the machine.
// MadMiner itself (Python) needed 480 s for the first workload on this machine (issue 6).
//
// Usage: bench_sampler [events=1000000] [samples=1000000] [thetas=2000] [threads=1] [what=all] [repeats=3]
//   what: all, sbi (both statistics settings, no MadMiner), off or on (one statistics setting only,
//   e.g. under callgrind), madminer. Each sbi setting is timed cold (the first call builds the
//   partition's alias tables) and warm (best of `repeats`).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"
#include "sbi/sampler.hpp"
#include "sbi/wh_simulator.hpp"

using namespace sbi;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// MadMiner's _sample_set for one θ: all N weights, cumulative sum, searchsorted per draw. Returns
// a checksum so the work is not optimised away.
double madminer_algorithm(const RowMatrix& weights, const Morphing& morphing, const Vector& theta, Index n_draws,
                          std::mt19937_64& rng) {
  const Vector w_theta = morphing.weights(theta);
  Vector w = weights * w_theta;
  const double sigma = w.sum();
  std::vector<double> cumulative(static_cast<std::size_t>(w.size()));
  double running = 0;
  for (Index i = 0; i < w.size(); ++i) cumulative[static_cast<std::size_t>(i)] = running += std::max(w(i), 0.0) / sigma;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double checksum = 0;
  for (Index k = 0; k < n_draws; ++k)
    checksum += static_cast<double>(std::lower_bound(cumulative.begin(), cumulative.end(), uniform(rng)) - cumulative.begin());
  return checksum;
}

}  // namespace

int main(int argc, char** argv) {
  const Index n_events = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const Index n_samples = argc > 2 ? std::atoll(argv[2]) : 1000000;
  const Index n_thetas = argc > 3 ? std::atoll(argv[3]) : 2000;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
  const std::string what = argc > 5 ? argv[5] : "all";
  const int repeats = argc > 6 ? std::max(1, std::atoi(argv[6])) : 3;
  if (what != "all" && what != "sbi" && what != "off" && what != "on" && what != "madminer") {
    fmt::print(stderr, "what = '{}': must be all, sbi, off, on or madminer\n", what);
    return 2;
  }

  // Events are generated once and cached beside the binary's working directory.
  const std::string cache = fmt::format("bench_sampler_wh_{}.h5", n_events);
  auto start = Clock::now();
  MadMinerFile file;
  if (std::filesystem::exists(cache)) {
    file = read_madminer_file(cache);
    fmt::print("read {} cached WH events from {} in {:.1f} s\n", file.events->size(), cache, since(start));
  } else {
    WHOptions options;
    options.threads = 2;
    const WHSimulator simulator(options);
    WHSample sample = simulator.generate(n_events, 7);
    fmt::print("generated {} WH events (6 benchmarks) in {:.1f} s (2 threads)\n", n_events, since(start));
    file.setup = sample.setup;
    file.events = sample.events;
    write_madminer_file(cache, file);
  }

  const ParameterPrior prior{ParameterPrior::Kind::Gaussian, 0.0, 0.4};
  SamplerOptions sampling;
  sampling.n_samples = n_samples;
  sampling.threads = threads;
  sampling.partition = Partition::Train;
  std::vector<bool> settings;
  if (what == "all" || what == "sbi" || what == "off") settings.push_back(false);
  if (what == "all" || what == "sbi" || what == "on") settings.push_back(true);
  for (bool statistics : settings) {
    sampling.exact_statistics = statistics;
    // A fresh sampler per setting, so the first call is cold (it builds the partition's alias
    // tables); then the best of `repeats` warm calls.
    start = Clock::now();
    Sampler fresh(file);
    fmt::print("sampler set-up (copies the events): {:.3f} s\n", since(start));
    double best_warm = std::numeric_limits<double>::infinity();
    for (int repeat = 0; repeat <= repeats; ++repeat) {
      start = Clock::now();
      const SamplingResult result =
          fresh.ratio(ThetaSpec::random(n_thetas, {prior, prior}), ThetaSpec::benchmark("sm"), sampling);
      const double seconds = since(start);
      if (repeat > 0) best_warm = std::min(best_warm, seconds);
      if (repeat == 0 || repeat == repeats)
        fmt::print("sbi ratio sampling: {} samples over {} θ sets ({} θ points with both halves), {} thread(s), exact "
                   "per-θ statistics {}, {}: {:.3f} s (acceptance {:.3f}, min n_eff {:.4g})\n",
                   result.samples.size(), n_thetas, result.reports.size(), threads, statistics ? "on" : "off",
                   repeat == 0 ? "cold" : fmt::format("warm, best of {}", repeats), repeat == 0 ? seconds : best_warm,
                   result.reports[0].acceptance, result.min_n_eff());
    }
  }
  if (what != "all" && what != "madminer") return 0;

  // MadMiner's algorithm on the same events for a subset of θ points, extrapolated linearly (its
  // cost is exactly linear in the number of θ points: one O(N) pass each).
  const Morphing morphing = Morphing::from_setup(file.setup);
  const RowMatrix train_weights = file.events->weights.topRows(static_cast<Index>(0.6 * static_cast<double>(n_events)));
  std::mt19937_64 rng(1);
  std::normal_distribution<double> gauss(0.0, 0.4);
  const Index measured = std::min<Index>(40, 2 * n_thetas);
  const Index draws_per_theta = n_samples / (2 * n_thetas);
  double checksum = 0;
  start = Clock::now();
  for (Index t = 0; t < measured; ++t) {
    Vector theta(2);
    theta << gauss(rng), gauss(rng);
    checksum += madminer_algorithm(train_weights, morphing, theta, draws_per_theta, rng);
  }
  const double per_theta = since(start) / static_cast<double>(measured);
  fmt::print("MadMiner's algorithm in C++ (1 thread): {:.4f} s per θ point -> {:.1f} s for {} θ points "
             "(checksum {:.0f})\n",
             per_theta, per_theta * static_cast<double>(2 * n_thetas), 2 * n_thetas, checksum);
  return 0;
}
