#pragma once
/// @file samples.hpp
/// Unweighted, augmented samples: what the sampler draws from weighted events and what a simulator
/// can provide directly, in one format, so the estimators do not care where samples came from.
///
/// Conventions follow MadMiner (Brehmer, Kling, Espejo, Cranmer, "MadMiner: Machine learning-based
/// inference for particle physics", arXiv:1907.10621, §3; Brehmer, Louppe, Pavez, Cranmer,
/// "Mining gold from implicit models", arXiv:1805.12244, Eqs. 6–9): y = 0 for samples drawn from
/// θ0 and y = 1 for samples drawn from θ1; r_xz = r(x,z|θ0,θ1) = p(x,z|θ0)/p(x,z|θ1);
/// t_xz0 = ∇_θ log p(x,z|θ) at θ0.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sbi/types.hpp"

namespace sbi {

/// What a sample holds, with MadMiner's names.
enum class SampleKind {
  Plain,       ///< x ~ p(x|θ): x, θ (theta0)
  Local,       ///< SALLY / SALLINO: x, θ, t(x,z|θ)
  Density,     ///< SCANDAL-like: x, θ from a prior, t(x,z|θ)
  Ratio,       ///< CARL, ROLR, ALICE(S), CASCAL, RASCAL: x, θ0, θ1, y, r(x,z|θ0,θ1), t(x,z|θ0)
  MoreRatios,  ///< as Ratio plus t(x,z|θ1)
  Test,        ///< evaluation sample from the test partition: x, θ
};

/// "plain", "local", "density", "ratio", "more-ratios", "test".
std::string_view to_string(SampleKind kind);
/// Accepts the names above (and "more_ratios"); InvalidArgument listing the valid names otherwise.
SampleKind parse_sample_kind(std::string_view name);

/// Which slice of the weighted events a sample was drawn from.
enum class Partition { Train, Validation, Test, All };
std::string_view to_string(Partition partition);
Partition parse_partition(std::string_view name);

/// N unweighted samples with their augmented data. Fields a kind does not use are empty (0 rows).
struct AugmentedSamples {
  SampleKind kind = SampleKind::Plain;
  Partition partition = Partition::Train;
  std::vector<std::string> parameter_names;
  std::vector<std::string> observable_names;
  /// Observables, N × n_o.
  RowMatrix x;
  /// N × n_p: the θ each sample was drawn at (θ0 for the ratio kinds).
  RowMatrix theta0;
  /// N × n_p: the denominator hypothesis θ1 (Ratio, MoreRatios).
  RowMatrix theta1;
  /// N labels: 0 = drawn from θ0, 1 = drawn from θ1 (Ratio, MoreRatios).
  Vector y;
  /// N joint likelihood ratios r(x,z|θ0,θ1) (Ratio, MoreRatios).
  Vector r_xz;
  /// N × n_p joint scores t(x,z|θ0) (Local, Density, Ratio, MoreRatios).
  RowMatrix t_xz0;
  /// N × n_p joint scores t(x,z|θ1) (MoreRatios).
  RowMatrix t_xz1;
  /// Seed the samples were drawn with.
  std::uint64_t seed = 0;
  /// Where the samples came from: an events file or a simulator's name.
  std::string source;
  /// How they were made, as "key=value; key=value; …": the sampler's options and θ specification
  /// (n_samples, partition, splits, closest-benchmark and trimming settings, seed, the θ0/θ1
  /// points or priors), or the simulator's arguments. Empty when unknown.
  std::string settings;

  Index size() const { return x.rows(); }
  Index n_parameters() const { return static_cast<Index>(parameter_names.size()); }
  /// Checks that every field the kind needs has N rows and the right columns, the others are
  /// empty, values are finite, y ∈ {0, 1} and r_xz > 0. InvalidArgument / DataError naming the
  /// field, the sample index and the value.
  void validate() const;
  bool operator==(const AugmentedSamples& o) const {
    return kind == o.kind && partition == o.partition && parameter_names == o.parameter_names &&
           observable_names == o.observable_names && same_values(x, o.x) && same_values(theta0, o.theta0) &&
           same_values(theta1, o.theta1) && same_values(y, o.y) && same_values(r_xz, o.r_xz) &&
           same_values(t_xz0, o.t_xz0) && same_values(t_xz1, o.t_xz1) && seed == o.seed && source == o.source &&
           settings == o.settings;
  }
};

/// Writes samples to an HDF5 file (atomically): datasets x, theta0, theta1, y, r_xz, t_xz0, t_xz1
/// (those the kind uses), parameter_names and observable_names (S256), and
/// metadata/{kind, partition, seed, source, settings, sbi_version}.
void write_samples(const std::filesystem::path& path, const AugmentedSamples& samples);
/// Reads a file written by write_samples; FormatError naming the file and dataset when it is not one.
AugmentedSamples read_samples(const std::filesystem::path& path);

/// Writes the samples as .npy files with the names MadMiner's SampleAugmenter uses, so MadMiner's
/// trainers read them: `<field>_<name>.npy` in `folder` — plain/test: theta, x; local/density: theta,
/// x, t_xz; ratio: theta0, theta1, x, y (N × 1), r_xz (N × 1), t_xz (at θ0); more-ratios: theta0,
/// theta1, x, y, r_xz, t_xz0, t_xz1. Returns the paths written.
std::vector<std::filesystem::path> export_madminer_npy(const AugmentedSamples& samples,
                                                       const std::filesystem::path& folder, const std::string& name);

}  // namespace sbi
