// Morphing throughput (benchmarks/RESULTS.md, "Morphing"):
//  1. weights w(θ) for 10⁶ θ points: Φ (T × C) then Φ M (T × B),
//  2. morphed event weights for 10⁶ events × 10³ θ points: W (N × B) · w(θ)ᵀ (B × T), one GEMM
//     per block of events into a reused N_block × T buffer (the full 10⁶ × 10³ result is 8 GB).
// Usage: bench_morphing [threads] [n_parameters]. Prints time, GFLOP/s and the fraction of the
// machine's fp64 peak (peak_per_core, default 56 GFLOP/s = AVX-512 FMA at the VM's clock, per core).
#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>

#include "sbi/morphing.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

sbi::RowMatrix uniform(sbi::Index rows, sbi::Index cols, double low, double high, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(low, high);
  sbi::RowMatrix x(rows, cols);
  for (sbi::Index i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
  return x;
}

/// Best of `repeats` wall times of f().
template <typename F>
double best_time(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int n_parameters = argc > 2 ? std::atoi(argv[2]) : 5;
  const double peak_per_core = std::getenv("SBI_PEAK_GFLOPS") ? std::atof(std::getenv("SBI_PEAK_GFLOPS")) : 56.0;
  Eigen::setNbThreads(threads);
  const double peak = peak_per_core * threads;
#ifdef EIGEN_USE_BLAS
  const char* gemm = "OpenBLAS (EIGEN_USE_BLAS)";
#else
  const char* gemm = "Eigen";
#endif
  fmt::print("bench_morphing: {} parameter(s), quadratic; GEMM: {}; Eigen threads {} (OpenMP {}); SIMD {}\n",
             n_parameters, gemm, Eigen::nbThreads(),
#ifdef _OPENMP
             "on",
#else
             "off",
#endif
             Eigen::SimdInstructionSetsInUse());

  const sbi::IntRowMatrix components =
      sbi::morphing_components(std::vector<int>(static_cast<std::size_t>(n_parameters), 2), 2);
  const sbi::Index C = components.rows();
  // A well-conditioned basis: the optimised one (SM fixed), as a user would have.
  sbi::RowMatrix ranges(n_parameters, 2);
  ranges.col(0).setConstant(-1.0);
  ranges.col(1).setConstant(1.0);
  sbi::BasisOptimisationOptions options;
  options.n_evaluation_points = 0;
  const auto basis = sbi::optimise_basis(components, ranges, sbi::RowMatrix::Zero(1, n_parameters), options);
  const sbi::Morphing morphing(components, basis.benchmarks);
  const sbi::Index B = morphing.n_benchmarks();
  fmt::print("  {} components, {} benchmarks, κ = {:.3g}\n", C, B, morphing.condition_number());

  // 1. Weights for 10⁶ θ points.
  {
    const sbi::Index T = 1'000'000;
    const sbi::RowMatrix thetas = uniform(T, n_parameters, -1.0, 1.0, 1);
    sbi::RowMatrix w;
    const double total = best_time(3, [&] { w = morphing.weights_at_points(thetas); });
    const sbi::RowMatrix phi = sbi::component_values(components, thetas);
    sbi::RowMatrix product(T, B);
    const double gemm_time = best_time(3, [&] { product.noalias() = phi * morphing.matrix(); });
    const double flops = 2.0 * static_cast<double>(T) * static_cast<double>(C) * static_cast<double>(B);
    fmt::print("  weights, T = 1e6:            total {:.4f} s ({:.1f} M points/s); GEMM part {:.4f} s = {:.1f} GFLOP/s "
               "= {:.1f} % of {:.0f} GFLOP/s\n",
               total, T / total / 1e6, gemm_time, flops / gemm_time / 1e9, 100 * flops / gemm_time / 1e9 / peak, peak);
    if (w.rows() != T) return 1;
  }

  // 2. Morphed event weights, 10⁶ events × 10³ θ, in blocks of 10⁴ events (an 80 MB buffer).
  {
    const sbi::Index N = 1'000'000, T = 1'000, block = 10'000;
    const sbi::RowMatrix event_weights = uniform(N, B, 0.0, 1.0, 2);
    const sbi::RowMatrix thetas = uniform(T, n_parameters, -1.0, 1.0, 3);
    sbi::RowMatrix out(block, T);
    double checksum = 0.0;
    const double time = best_time(3, [&] {
      for (sbi::Index start = 0; start < N; start += block) {
        morphing.morphed_event_weights(event_weights.middleRows(start, block), thetas, out);
        checksum += out(0, 0);
      }
    });
    const double flops = 2.0 * static_cast<double>(N) * static_cast<double>(T) * static_cast<double>(B);
    const double bytes = 8.0 * static_cast<double>(N) * static_cast<double>(T);
    fmt::print("  event weights, 1e6 × 1e3:    {:.3f} s = {:.1f} GFLOP/s = {:.1f} % of {:.0f} GFLOP/s; output written "
               "at {:.1f} GB/s (checksum {:.3g})\n",
               time, flops / time / 1e9, 100 * flops / time / 1e9 / peak, peak, bytes / time / 1e9, checksum);
  }
  return 0;
}
