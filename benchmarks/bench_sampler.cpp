// Sampler benchmark (issue 6): ratio sampling over many θ sets on WH-simulator events, against
// MadMiner's algorithm (recompute every event weight at θ, cumulative sum, binary search per draw)
// re-implemented here in C++ and timed in the same run, so the ratio does not depend on the machine.
// MadMiner itself (Python) needed 480 s for the first workload on this machine (issue 6).
//
// Usage: bench_sampler [events=1000000] [samples=1000000] [thetas=2000] [threads=1]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

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

  start = Clock::now();
  Sampler sampler(file);
  fmt::print("sampler set-up: {:.3f} s\n", since(start));

  const ParameterPrior prior{ParameterPrior::Kind::Gaussian, 0.0, 0.4};
  SamplerOptions sampling;
  sampling.n_samples = n_samples;
  sampling.threads = threads;
  sampling.partition = Partition::Train;
  for (bool statistics : {false, true}) {
    sampling.exact_statistics = statistics;
    // First call builds the alias tables of the partition: time a warm call as well.
    for (int repeat = 0; repeat < 2; ++repeat) {
      start = Clock::now();
      const SamplingResult result =
          sampler.ratio(ThetaSpec::random(n_thetas, {prior, prior}), ThetaSpec::benchmark("sm"), sampling);
      const double seconds = since(start);
      fmt::print("sbi ratio sampling: {} samples over {} θ sets ({} θ points with both halves), {} thread(s), exact "
                 "per-θ statistics {}, {}: {:.3f} s (acceptance {:.3f})\n",
                 result.samples.size(), n_thetas, result.reports.size(), threads, statistics ? "on" : "off",
                 repeat == 0 ? "cold" : "warm", seconds, result.reports[0].acceptance);
    }
  }

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
