// Built-in simulator throughput (issue 4: at least 10⁵ WH events per second per core).
//
// Cases (each timed end to end: warm-up — maximum weight and σ components — included, output in
// memory, no file written):
//   wh-detector    unweighted detector-level signal events at the SM (the default sample)
//   wh-parton      unweighted parton-level signal events (x = z, the exact-truth sample)
//   wh-background  detector-level signal plus as many background events (half tt̄-like, half W+bb̄-like)
//   galton         runs of the Galton board with joint score and joint log ratio
// The WH cases run on 1 and on 2 threads (the events are identical for both; the test suite checks
// that), the Galton board on one.
//
// Usage: bench_simulators [events=200000] [case ...]     (default: every case)
// For instruction counts per event, independent of the machine's load:
//   valgrind --tool=callgrind bench_simulators 20000 wh-detector-1
// and divide the total Ir by the events (the warm-up's 10⁵ candidates are part of the cost).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>

#include "sbi/galton.hpp"
#include "sbi/wh_simulator.hpp"

using namespace sbi;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void wh_case(const std::string& label, Index n, bool parton_level, bool background, int threads) {
  WHOptions options;
  options.parton_level = parton_level;
  options.threads = threads;
  const WHSimulator simulator(options);
  const auto start = Clock::now();
  WHSample sample = simulator.generate(n, 7);
  if (background) simulator.add_background(sample, (n + 1) / 2, n / 2, 8);
  const double seconds = since(start);
  const Index events = sample.events.size();
  fmt::print("{:<16} {:>2} thread{} {:>9} events in {:7.3f} s: {:9.3g} events/s ({:.3g} per core); "
             "{} signal candidates ({:.1f} per signal event), {} over the maximum\n",
             label, threads, threads == 1 ? " " : "s", events, seconds, events / seconds, events / seconds / threads,
             sample.candidates, static_cast<double>(sample.candidates) / static_cast<double>(sample.accepted),
             sample.overweight);
}

void galton_case(Index n) {
  const GaltonBoard board;
  const auto start = Clock::now();
  const GaltonSample sample = board.simulate(-0.5, n, 7, 0.0);
  const double seconds = since(start);
  fmt::print("{:<16}  1 thread  {:>9} runs in {:7.3f} s: {:9.3g} runs/s (mean t_xz {:.4f})\n", "galton", sample.size(),
             seconds, sample.size() / seconds, sample.t_xz.mean());
}

}  // namespace

int main(int argc, char** argv) {
  const Index n = argc > 1 ? std::atoll(argv[1]) : 200000;
  if (n < 1) {
    fmt::print(stderr, "bench_simulators: events = {}: must be a positive number\n", argv[1]);
    return 2;
  }
  std::set<std::string> wanted;
  for (int i = 2; i < argc; ++i) wanted.insert(argv[i]);
  // "wh-detector" selects both thread counts, "wh-detector-1" only one.
  auto run = [&](const std::string& name, int threads) {
    return wanted.empty() || wanted.count(name) || wanted.count(fmt::format("{}-{}", name, threads));
  };
  for (int threads : {1, 2}) {
    if (run("wh-detector", threads)) wh_case("wh-detector", n, false, false, threads);
    if (run("wh-parton", threads)) wh_case("wh-parton", n, true, false, threads);
    if (run("wh-background", threads)) wh_case("wh-background", n / 2, false, true, threads);
  }
  if (wanted.empty() || wanted.count("galton")) galton_case(10 * n);
  return 0;
}
