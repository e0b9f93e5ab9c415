#pragma once
/// @file sampler.hpp
/// Unweighting and augmentation: draws unweighted samples from weighted events at any parameter
/// point θ and augments them with the joint likelihood ratio and joint score ("mining gold").
///
/// For event i with benchmark weights w_ib and morphing weights w_b(θ) (DESIGN.md §4):
///   w_i(θ) = Σ_b w_b(θ) w_ib = Σ_c φ_c(θ) a_ic,   a_ic = Σ_b M_cb w_ib,   σ(θ) = Σ_i k_i w_i(θ),
///   r(x,z|θ0,θ1) = [w_i(θ0)/σ(θ0)] / [w_i(θ1)/σ(θ1)],
///   t(x,z|θ)     = ∇w_i(θ)/w_i(θ) − ∇σ(θ)/σ(θ)
/// (Brehmer, Louppe, Pavez, Cranmer, arXiv:1805.12244, Eqs. 12–15; MadMiner, arXiv:1907.10621 §3.3).
///
/// Exact drawing without an O(N) pass per θ: with per-component alias tables over |a_ic| (built
/// once per event subset, O(N·C)), a draw picks component c with probability ∝ |φ_c(θ)| S_c
/// (S_c = Σ_i k_i |a_ic|), then event i from table c, and accepts it with probability
/// max(w_i(θ), 0) / Σ_c |φ_c(θ) a_ic|. The accepted events follow p_i ∝ k_i max(w_i(θ), 0)
/// exactly (the envelope dominates the target event by event), at O(C) per proposal. The
/// acceptance is Σ_i max(w_i(θ), 0) / Σ_i Σ_c |φ_c(θ) a_ic| (reported per θ); it drops where the
/// components cancel strongly. (An envelope in the benchmark basis, Σ_b |w_b(θ)| |w_ib|, would be
/// tight at the benchmarks themselves; it is not implemented.)
///
/// Conventions that differ from MadMiner, on purpose:
/// * Partitions are exact contiguous slices (MadMiner drops one event at each boundary), and the
///   weights of a partition are rescaled per generation run (sampling benchmark, or background),
///   n_run / n_run_in_partition, so σ stays right even when a file is ordered by run (MadMiner's
///   single factor 1/fraction assumes a shuffled file).
/// * Negative morphed weights are clipped to zero for drawing, as MadMiner does, and the clipped
///   fraction Σ max(−w_i, 0) / Σ |w_i| is reported per θ. MadMiner's cumulative-sum sampler then
///   never reaches the events at the end of the file whenever Σ max(w_i, 0) > σ; this one is exact.
/// * Ratio samples whose joint ratio is undefined (w_i ≤ 0 at the other hypothesis) are redrawn
///   and counted, rather than written with r = ±∞.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sbi/events.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/samples.hpp"
#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi {

/// A prior for one parameter: flat on [a, b) or Gaussian with mean a and standard deviation b.
struct ParameterPrior {
  enum class Kind { Flat, Gaussian };
  Kind kind = Kind::Flat;
  double a = 0.0;
  double b = 1.0;
  /// "flat:LOW,HIGH" or "gaussian:MEAN,STD" (the CLI and YAML spelling). InvalidArgument otherwise.
  static ParameterPrior parse(std::string_view text);
};

/// Where to sample θ: MadMiner's benchmark(), benchmarks(), morphing_point(), morphing_points()
/// and random_morphing_points().
struct ThetaSpec {
  enum class Kind { Benchmark, Benchmarks, MorphingPoint, MorphingPoints, Random };
  Kind kind = Kind::MorphingPoint;
  /// Benchmark names (Benchmark: one; Benchmarks: several).
  std::vector<std::string> benchmarks;
  /// Parameter points, one per row (MorphingPoint: one row; MorphingPoints: several).
  RowMatrix points;
  /// Random: number of θ points and one prior per parameter.
  Index n_random = 1;
  std::vector<ParameterPrior> priors;

  static ThetaSpec benchmark(std::string name);
  static ThetaSpec benchmark_list(std::vector<std::string> names);
  static ThetaSpec point(const Vector& theta);
  static ThetaSpec point_list(RowMatrix thetas);
  static ThetaSpec random(Index n_points, std::vector<ParameterPrior> priors);
};

/// Per-call sampling settings (defaults as MadMiner's SampleAugmenter).
struct SamplerOptions {
  /// Number of samples to draw in total (split evenly over the θ points; for the ratio kinds, half
  /// from θ0 and half from θ1).
  Index n_samples = 10000;
  /// Event partition to draw from. Plain/local/density/ratio default to train, test samples to test.
  Partition partition = Partition::Train;
  /// Fraction of events (in file order, at the end) reserved for testing.
  double test_split = 0.2;
  /// Fraction of events (before the test slice) reserved for validation.
  double validation_split = 0.2;
  /// Use only the events generated at the benchmark closest to the sampling θ (plus background), as
  /// MadMiner's sample_only_from_closest_benchmark. Reduces the morphing's statistical dilution.
  bool sample_only_from_closest_benchmark = true;
  /// Trimmed sampling: when > 0, events whose probability exceeds 1 / n_eff_forced are ignored
  /// (MadMiner's n_eff_forced). Distorts distributions; for diagnosis.
  double n_eff_forced = 0.0;
  /// Master seed; every θ point gets its own stream derived from it, so results do not depend on
  /// the number of threads.
  std::uint64_t seed = 42;
  /// Threads for drawing (0 = all cores).
  int threads = 0;
  /// Shuffle the final samples (MadMiner does).
  bool shuffle = true;
  /// Report the exact n_eff and clipped weight fraction per θ. They need every event's weight at
  /// θ (one pass, O(N·C) per θ point), which dominates the cost for many θ points on large files;
  /// when off, both are reported as NaN and drawing stays O(C) per sample.
  bool exact_statistics = true;

  /// "field = value: what it must be" for the first invalid field.
  void validate() const;
};

/// Statistics of one θ point's draw.
struct ThetaDrawReport {
  Vector theta;
  /// Cross section at θ over the partition's events, pb, and its statistical uncertainty.
  double cross_section = 0.0;
  double cross_section_uncertainty = 0.0;
  /// 1 / max_i p_i: the effective number of distinct events behind the sample.
  double n_eff = 0.0;
  /// Σ max(−w_i, 0) / Σ |w_i|: weight clipped to zero because the morphed weight is negative.
  double clipped_fraction = 0.0;
  /// Accepted proposals / proposals (the envelope's efficiency).
  double acceptance = 0.0;
  /// Samples redrawn because their joint ratio was undefined.
  Index redrawn = 0;
  Index n_samples = 0;
};

/// What a sampling call produced: the samples and one report per θ point.
struct SamplingResult {
  AugmentedSamples samples;
  std::vector<ThetaDrawReport> reports;
  /// Smallest n_eff over the θ points (MadMiner returns this).
  double min_n_eff() const;
  /// A few lines: samples, θ points, n_eff range, clipped weight, acceptance.
  std::string brief_report() const;
};

/// [begin, end) of a partition of n events in file order: train, validation and test are contiguous
/// slices, the test slice (round(test_split · n) events) at the end and the validation slice
/// (round(validation_split · n)) before it. Exact slices: no event is dropped at a boundary.
std::pair<Index, Index> partition_bounds(Index n_events, Partition partition, double test_split = 0.2,
                                         double validation_split = 0.2);

/// The events of one partition with the per-event factors that make their weighted sums estimate
/// the cross sections of the whole file — the events and factors the Sampler draws from, public so
/// that other modules (limits) use the same events with the same weights.
struct PartitionEvents {
  /// [begin, end) in file order.
  Index begin = 0, end = 0;
  /// Indices into Events, in file order: every event of [begin, end), or (one run) the events
  /// generated at that physical benchmark plus the background events.
  std::vector<Index> rows;
  /// One factor per row: for signal events MadMiner's k-factor n_b / Σ_b' n_b' (when several runs
  /// are combined; 1 for one run) times the per-run partition correction n_b / n_b,in partition;
  /// for background events n_background / n_background,in partition. Run sizes n_b are counted
  /// from the events' sampling benchmarks.
  Vector factors;
};

/// The events of `partition` (and, with run ≥ 0, only those generated at physical benchmark
/// `run` plus the background). Throws InvalidArgument when there are no events, an event was
/// generated at a nuisance benchmark, or the slice holds none of a run's events (a file ordered by
/// generation run: shuffle it), with the same messages as the Sampler.
PartitionEvents partition_events(const Setup& setup, const Events& events, Partition partition, double test_split = 0.2,
                                 double validation_split = 0.2, int run = -1);

/// The physical benchmark with events closest to θ in Euclidean distance (MadMiner's
/// sample_only_from_closest_benchmark), or −1 when no physical benchmark has events.
int closest_generation_run(const Setup& setup, const Events& events, const Vector& theta);

/// Draws samples from the weighted events of a MadMiner file (set-up with a stored morphing).
/// Built once per file: component weights and alias tables are prepared lazily per event subset
/// (partition × closest benchmark) and reused across calls.
class Sampler {
 public:
  /// Throws InvalidArgument when the file has no events or no morphing.
  explicit Sampler(MadMinerFile file);
  ~Sampler();
  Sampler(Sampler&&) noexcept;
  Sampler& operator=(Sampler&&) noexcept;

  const Setup& setup() const;
  const Events& events() const;

  /// x ~ p(x|θ): MadMiner's sample_train_plain.
  SamplingResult plain(const ThetaSpec& theta, const SamplerOptions& options = {});
  /// x ~ p(x|θ) with t(x,z|θ): sample_train_local (SALLY, SALLINO).
  SamplingResult local(const ThetaSpec& theta, const SamplerOptions& options = {});
  /// θ from a prior or list, x ~ p(x|θ), t(x,z|θ): sample_train_density.
  SamplingResult density(const ThetaSpec& theta, const SamplerOptions& options = {});
  /// Half from θ0 (y = 0), half from θ1 (y = 1), with r(x,z|θ0,θ1) and t(x,z|θ0); θ0 is drawn
  /// independently for the two halves: sample_train_ratio (CARL, ROLR, ALICE(S), CASCAL, RASCAL).
  SamplingResult ratio(const ThetaSpec& theta0, const ThetaSpec& theta1, const SamplerOptions& options = {});
  /// As ratio, with t(x,z|θ1) too: sample_train_more_ratios (without additional θ).
  SamplingResult more_ratios(const ThetaSpec& theta0, const ThetaSpec& theta1, const SamplerOptions& options = {});
  /// Evaluation sample from the test partition: sample_test.
  SamplingResult test(const ThetaSpec& theta, SamplerOptions options = {});

  /// Cross sections σ(θ) (pb) at each row of `thetas` over a partition, with statistical
  /// uncertainties sqrt(Σ k_i² w_i(θ)²); both T-vectors. Uses all events of the partition.
  std::pair<Vector, Vector> cross_sections(const RowMatrix& thetas, Partition partition = Partition::All,
                                           double test_split = 0.2, double validation_split = 0.2) const;

  /// Opaque implementation (events, morphing, cached alias tables).
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbi
