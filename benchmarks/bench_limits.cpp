// Limits benchmark (issue 8): (1) the histogram modes' cost per θ does not grow with the number of
// events (one pass bins the events, then every θ costs O(bins × components)); (2) the ml mode over
// 303 θ points × 2·10⁵ Asimov events with a log-ratio callback, against MadMiner's 12 µs per θ-event
// pair (its network evaluation builds one tensor per event; DESIGN.md §7).
//
// Synthetic events with exact quadratic weights in two parameters on the WH simulator's benchmarks
// (the statistics are those of a real study; generating them takes a second, not minutes).
// The callback evaluates log r(x|θ, 0) = log[φ(θ)·A(x)] − log[φ(0)·A(x)] − log[σ(θ)/σ(0)] from
// per-event components looked up by event: one T × 6 × E GEMM plus logs — the cost a cheap
// estimator would have, so the table separates the module's own time from the callback's.
//
// Usage: bench_limits [asimov_events=200000] [thetas=303]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "sbi/limits.hpp"
#include "sbi/morphing.hpp"
#include "sbi/wh_simulator.hpp"

using namespace sbi;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Study {
  Setup setup;
  Events events;
  RowMatrix components;  // N × 6, in the order of the morphing components
};

// N signal events at the SM with per-event quadratic components (positive at every θ) and two
// observables that carry the kinematic dependence; the event index is the third observable so the
// callback can find the components of any event.
Study make_study(Index n, std::uint64_t seed) {
  Study s;
  s.setup.parameters = WHSimulator::parameter_space();
  s.setup.benchmarks = WHSimulator::default_benchmarks();
  s.setup.benchmarks.front().is_reference = true;
  const IntRowMatrix comps = morphing_components(s.setup.parameters, 2);
  const Morphing morphing(comps, s.setup.benchmark_values());
  s.setup.morphing = morphing.to_stored();
  s.setup.observables = {{"x1", "x1"}, {"x2", "x2"}, {"index", "index"}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  s.components.resize(n, comps.rows());
  s.events.observations.resize(n, 3);
  for (Index i = 0; i < n; ++i) {
    const double x1 = normal(rng), x2 = normal(rng);
    // dσ(θ) = (1 + a·θ)² + (b·θ)² with a, b depending on x: positive everywhere.
    const double a0 = 0.3 * x1, a1 = 0.5 + 0.2 * x2, b0 = 0.2 * x2, b1 = 0.1 * x1;
    for (Index c = 0; c < comps.rows(); ++c) {
      const auto p0 = comps(c, 0), p1 = comps(c, 1);
      double v = 0;
      if (p0 == 0 && p1 == 0) v = 1;
      else if (p0 == 1 && p1 == 0) v = 2 * a0;
      else if (p0 == 0 && p1 == 1) v = 2 * a1;
      else if (p0 == 2) v = a0 * a0 + b0 * b0;
      else if (p1 == 2) v = a1 * a1 + b1 * b1;
      else v = 2 * (a0 * a1 + b0 * b1);
      s.components(i, c) = 1e-6 * v;
    }
    s.events.observations.row(i) << x1, x2, static_cast<double>(i);
  }
  // Benchmark weights from the components: w_ib = Σ_c φ_c(θ_b) A_ic.
  s.events.weights = s.components * component_values(comps, s.setup.benchmark_values()).transpose();
  s.events.sampling_benchmarks = IntVector::Zero(n);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Index n_asimov = argc > 1 ? std::atoll(argv[1]) : 200000;
  const Index n_thetas = argc > 2 ? std::atoll(argv[2]) : 303;

  // Set-up (partitions, summaries, bin edges, one pass to bin the events) from a one-point scan;
  // the cost per θ from a scan over many points (evaluation, q, p, the intervals' spline).
  const Index n_many = 200000;
  fmt::print("## Histogram modes (2-D histogram, 10 × 10 adaptive bins): cost against the number of events\n\n");
  fmt::print("| events | Asimov events | set-up (one-point scan) | per θ ({} points) |\n|---|---|---|---|\n", n_many);
  for (Index n : {Index{20000}, Index{200000}, Index{2000000}}) {
    const Study s = make_study(n, 1);
    const AsymptoticLimits limits(s.setup, s.events);
    LimitOptions o;
    o.mode = LimitMode::Histo;
    o.observables = {"x1", "x2"};
    o.binning = {AxisBinning::adaptive(10)};
    o.refine_best_fit = false;
    o.refine_crossings = false;
    RowMatrix one = RowMatrix::Zero(1, 2);
    auto start = Clock::now();
    (void)limits.expected_limits(Vector::Zero(2), ScanGrid::points(one), o);
    const double setup = since(start);
    start = Clock::now();
    (void)limits.expected_limits(Vector::Zero(2), ScanGrid::regular({GridAxis::range(-1, 1, n_many), GridAxis::fixed(0)}), o);
    const double per_theta = (since(start) - setup) / static_cast<double>(n_many);
    fmt::print("| {} | {} | {:.3f} s | {:.2f} µs |\n", n, static_cast<Index>(std::llround(0.2 * n)), setup, 1e6 * per_theta);
  }

  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-1, 1, n_thetas), GridAxis::fixed(0)});
  fmt::print("\n## ml mode: {} θ × {} Asimov events with a log-ratio callback\n\n", n_thetas, n_asimov);
  const Index n_events = 5 * n_asimov;  // the test partition is the last 20 %
  const Study s = make_study(n_events, 2);
  const AsymptoticLimits limits(s.setup, s.events);
  const RowMatrix& comps_values = s.components;
  const IntRowMatrix comps = s.setup.morphing->components;
  const Vector sigma_components = s.components.colwise().sum().transpose();
  double callback_seconds = 0;
  Index callback_pairs = 0;
  const LogRatioFunction log_r = [&](const RowMatrix& x, const RowMatrix& thetas) {
    const auto start = Clock::now();
    RowMatrix a(x.rows(), comps_values.cols());
    for (Index e = 0; e < x.rows(); ++e) a.row(e) = comps_values.row(static_cast<Index>(x(e, 2)));
    const RowMatrix phi = component_values(comps, thetas);
    const Vector sigma = phi * sigma_components;
    const double sigma_0 = sigma_components(0);
    RowMatrix out = phi * a.transpose();  // T × E
    const Eigen::ArrayXd log_reference = a.col(0).array().log();
    for (Index t = 0; t < out.rows(); ++t)
      out.row(t) = (out.row(t).array().log() - log_reference.transpose() - std::log(sigma(t) / sigma_0)).matrix();
    callback_seconds += since(start);
    callback_pairs += x.rows() * thetas.rows();
    return out;
  };
  LimitOptions o;
  o.mode = LimitMode::Ml;
  o.luminosity = 1e5;
  const auto start = Clock::now();
  const LimitResult r = limits.expected_limits(Vector::Zero(2), grid, o, {{}, log_r});
  const double total = since(start);
  const double pairs = static_cast<double>(n_thetas) * static_cast<double>(n_asimov);
  fmt::print("| what | time |\n|---|---|\n");
  fmt::print("| whole scan ({} likelihood evaluations incl. best fit and interval refinement) | {:.2f} s |\n", r.n_evaluations, total);
  fmt::print("| of which in the callback ({:.3g} θ-event pairs) | {:.2f} s |\n", static_cast<double>(callback_pairs), callback_seconds);
  fmt::print("| the module's own time | {:.2f} s ({:.1f} ns per θ-event pair) |\n", total - callback_seconds,
             1e9 * (total - callback_seconds) / static_cast<double>(callback_pairs));
  fmt::print("| MadMiner's network evaluation alone at 12 µs per θ-event pair | {:.0f} s |\n", 12e-6 * pairs);
  fmt::print("\n{}", r.brief_report());
  return 0;
}
