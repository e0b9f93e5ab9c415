// Estimator benchmark (issue 7): training samples per second for the seed talk's architectures
// ([50] and [100, 100], tanh) at batch 128 and 1024, SALLY and ALICES (with the double backward), on
// 1 and 2 threads, native engine and LibTorch measured in the same run; the GEMM FLOPs each step
// performs against the machine's fp32 peak; MadMiner's workload (5 epochs of a (50, 50) network on
// 10⁶ samples); and ALICES grid evaluation (303 θ × 2×10⁵ events) and SALLY evaluation rates.
//
// Usage: bench_estimators [quick]   (quick: fewer samples, for a smoke run)
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "sbi/estimators.hpp"

using namespace sbi;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double peak_gflops_per_core = 112.0;  // fp32, AVX-512 FMA, this machine (DEVELOPERS.md)
constexpr Index n_observables = 40;             // about the WH simulator's detector-level observables
constexpr Index n_parameters = 2;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

AugmentedSamples make_samples(EstimatorMethod method, Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  AugmentedSamples s;
  s.kind = is_score_method(method) ? SampleKind::Local : SampleKind::Ratio;
  s.parameter_names = {"cHWtil", "cHW"};
  s.x.resize(n, n_observables);
  for (Index i = 0; i < s.x.size(); ++i) s.x.data()[i] = g(rng);
  s.t_xz0.resize(n, n_parameters);
  for (Index i = 0; i < s.t_xz0.size(); ++i) s.t_xz0.data()[i] = g(rng);
  if (is_score_method(method)) {
    s.theta0 = RowMatrix::Zero(n, n_parameters);
  } else {
    s.theta0.resize(n, n_parameters);
    for (Index i = 0; i < s.theta0.size(); ++i) s.theta0.data()[i] = 0.5 * g(rng);
    s.theta1 = RowMatrix::Zero(n, n_parameters);
    s.y.resize(n);
    s.r_xz.resize(n);
    for (Index i = 0; i < n; ++i) {
      s.y(i) = static_cast<double>(i % 2);
      s.r_xz(i) = std::exp(0.3 * g(rng));
    }
  }
  return s;
}

// GEMM FLOPs of one training step per sample: forward, weight gradient and input gradient of every
// layer, on 1 + T stacked rows (T = P tangents for the score term; the first layer's tangent rows
// are a broadcast, not a GEMM, and the first layer needs no input gradient).
double training_flops_per_sample(EstimatorMethod method, const std::vector<Index>& hidden) {
  const Index n_in = is_score_method(method) ? n_observables : n_observables + n_parameters;
  const Index n_out = is_score_method(method) ? n_parameters : 1;
  const double stacked = has_score_term(method) ? 1.0 + n_parameters : 1.0;
  std::vector<Index> sizes = {n_in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(n_out);
  double flops = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const double macs = static_cast<double>(sizes[l]) * static_cast<double>(sizes[l + 1]);
    const double rows = l == 0 ? 1.0 : stacked;
    flops += 2 * macs * rows;           // forward
    flops += 2 * macs * rows;           // ∂W
    if (l > 0) flops += 2 * macs * stacked;  // ∂input
  }
  return flops;
}

struct Run {
  double samples_per_second;
  double seconds;
};

Run train_once(EstimatorMethod method, const std::vector<Index>& hidden, Index batch, int threads, Backend backend,
               const AugmentedSamples& samples, Index epochs) {
  Estimator e(method, n_observables, n_parameters, NetworkOptions{hidden, Activation::Tanh}, 1);
  TrainingOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.threads = threads;
  o.backend = backend;
  o.progress = 0;
  o.validation_split = 0;  // time the training steps only
  const auto start = Clock::now();
  const TrainingSummary s = e.train(samples, o);
  return {s.samples_per_second, since(start)};
}

std::string arch(const std::vector<Index>& hidden) {
  std::string s = "[";
  for (std::size_t i = 0; i < hidden.size(); ++i) s += (i ? "," : "") + std::to_string(hidden[i]);
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
  const Index n = quick ? 20000 : 200000;
  fmt::print("bench_estimators: {} observables, {} parameters, tanh; {} samples per run; peak {} GFLOP/s fp32 per core\n\n",
             n_observables, n_parameters, n, peak_gflops_per_core);

  fmt::print("{:<8} {:<10} {:>6} {:>7} {:>8} {:>12} {:>10} {:>9} {:>12} {:>9}\n", "method", "network", "batch",
             "threads", "backend", "samples/s", "GFLOP/s", "of peak", "torch s/s", "speed-up");
  for (auto method : {EstimatorMethod::Sally, EstimatorMethod::Alices}) {
    const AugmentedSamples samples = make_samples(method, n, 3);
    for (const std::vector<Index>& hidden : {std::vector<Index>{50}, std::vector<Index>{100, 100}})
      for (Index batch : {Index{128}, Index{1024}})
        for (int threads : {1, 2}) {
          const double flops = training_flops_per_sample(method, hidden);
          const Run native = train_once(method, hidden, batch, threads, Backend::Native, samples, 1);
          const Run torch = train_once(method, hidden, batch, threads, Backend::Torch, samples, 1);
          const double gflops = native.samples_per_second * flops / 1e9;
          fmt::print("{:<8} {:<10} {:>6} {:>7} {:>8} {:>12.3g} {:>10.1f} {:>8.0f}% {:>12.3g} {:>8.1f}x\n",
                     to_string(method), arch(hidden), batch, threads, "native", native.samples_per_second, gflops,
                     100 * gflops / (peak_gflops_per_core * threads), torch.samples_per_second,
                     native.samples_per_second / torch.samples_per_second);
        }
  }

  // MadMiner's workload here: 5 epochs of a (50, 50) tanh network on 10⁶ samples, batch 128,
  // validation split 0.25 (MadMiner measured 112 s for SALLY and 233 s for ALICES on this machine).
  fmt::print("\nMadMiner's workload: 5 epochs, (50, 50), 10^6 samples, batch 128, validation split 0.25, 1 thread\n");
  const Index n_madminer = quick ? 100000 : 1000000;
  for (auto [method, madminer_seconds] : {std::pair{EstimatorMethod::Sally, 112.0}, std::pair{EstimatorMethod::Alices, 233.0}}) {
    const AugmentedSamples samples = make_samples(method, n_madminer, 5);
    Estimator e(method, n_observables, n_parameters, NetworkOptions{{50, 50}, Activation::Tanh}, 1);
    TrainingOptions o;
    o.epochs = 5;
    o.threads = 1;
    o.progress = 0;
    const auto start = Clock::now();
    e.train(samples, o);
    const double seconds = since(start) * static_cast<double>(1000000) / static_cast<double>(n_madminer);
    fmt::print("  {:<7} {:8.2f} s (MadMiner {:.0f} s): {:.1f}x faster\n", to_string(method), seconds, madminer_seconds,
               madminer_seconds / seconds);
  }

  // Evaluation.
  fmt::print("\nEvaluation, 1 thread:\n");
  {
    const Index events = quick ? 100000 : 1000000;
    const AugmentedSamples samples = make_samples(EstimatorMethod::Sally, events, 7);
    for (const std::vector<Index>& hidden : {std::vector<Index>{50}, std::vector<Index>{100, 100}}) {
      const Estimator e(EstimatorMethod::Sally, n_observables, n_parameters, NetworkOptions{hidden, Activation::Tanh}, 1);
      const auto start = Clock::now();
      const RowMatrix t = e.evaluate_score(samples.x, 1);
      const double s = since(start);
      fmt::print("  SALLY {:<10} t(x) for {} events: {:.3f} s, {:.3g} events/s (checksum {:.3g})\n", arch(hidden), events,
                 s, static_cast<double>(events) / s, t.sum());
    }
  }
  {
    const Index events = quick ? 20000 : 200000;
    const AugmentedSamples samples = make_samples(EstimatorMethod::Alices, events, 9);
    RowMatrix thetas(303, n_parameters);
    for (Index t = 0; t < 303; ++t) thetas.row(t) << -1.0 + 2.0 * t / 302.0, 0.0;
    for (const std::vector<Index>& hidden : {std::vector<Index>{50}, std::vector<Index>{100, 100}}) {
      const Estimator e(EstimatorMethod::Alices, n_observables, n_parameters, NetworkOptions{hidden, Activation::Tanh}, 1);
      for (int threads : {1, 2}) {
        const auto start = Clock::now();
        const RatioEvaluation r = e.evaluate_log_ratio(samples.x, thetas, false, threads);
        const double s = since(start);
        fmt::print("  ALICES {:<10} log r over 303 theta x {} events, {} thread{}: {:.2f} s ({:.3g} theta-event pairs/s; "
                   "MadMiner 12 us per pair: {:.0f} s) (checksum {:.3g})\n",
                   arch(hidden), events, threads, threads == 1 ? "" : "s", s, 303.0 * static_cast<double>(events) / s,
                   303.0 * static_cast<double>(events) * 12e-6, r.log_r.sum());
      }
    }
  }
  return 0;
}
