#pragma once
/// @file galton.hpp
/// The generalised Galton board of "Mining gold": a simulator whose latent process is explicit and
/// whose marginal likelihood p(x|θ) is exactly computable — the ground truth every estimator in sbi
/// is tested against.
///
/// Reference: J. Brehmer, G. Louppe, J. Pavez, K. Cranmer, "Mining gold from implicit models to
/// improve likelihood-free inference", PNAS 117 (2020) 5242, arXiv:1805.12244, §"Generalized
/// Galton board" and the authors' notebook `galton.ipynb` (johannbrehmer/simulator-mining-example),
/// whose data sbi's tests reproduce bit for bit (../shared/data/README.md §5).
///
/// The board (default options): `levels` = 20 rows of nails (level 0 … 19), `nails` = 31 nails per
/// row (position 0 … 30), the ball starts at position `start` = 15 in front of level 0. At an
/// interior nail (level L, position n) the ball goes left with probability
///
///   P_left(L, n | θ) = (1 − sin πl)/2 + sin πl · σ(k θ ν),   l = L/(levels − 1),
///   ν = 2n/(nails − 1) − 1,   σ(u) = 1/(1 + e^{−u}),   k = `steepness` = 10.
///
/// Moves: on even levels "left" keeps the position and "right" goes to position + 1; on odd levels
/// "left" goes to position − 1 and "right" keeps it. Odd levels have walls: at position 0 the ball
/// always goes right (stays at 0), at position `nails` (31) always left (to 30); walls do not
/// depend on θ. The observation is the final position x ∈ {0, …, nails} (32 values; with the
/// defaults only 5 … 25 are reachable). The latent z is the path: the position in front of every
/// level and the direction taken there.
///
/// Joint quantities (arXiv:1805.12244 Eqs. 3–5), exact per run because every step's probability
/// is known:  log p(x, z|θ) = Σ_L log P(direction_L | L, n_L, θ),
///   t(x, z|θ) = ∂_θ log p(x, z|θ),   log r(x, z|θ0, θ1) = log p(x, z|θ0) − log p(x, z|θ1).
/// Marginal quantities by a forward recursion over the rows (the distribution of the position
/// after each level and its θ-derivative): p(x|θ), t(x|θ) = ∂_θ log p(x|θ), log r(x|θ0, θ1).
///
/// Everything is deterministic: simulate() takes its seed explicitly and uses no global state.

#include <cstdint>
#include <span>
#include <vector>

#include "sbi/samples.hpp"
#include "sbi/types.hpp"

namespace sbi {

/// Geometry of the board. Plain struct; defaults are the paper's board.
struct GaltonOptions {
  /// Number of rows of nails (levels 0 … levels − 1). Must be ≥ 2.
  int levels = 20;
  /// Nails per row (positions 0 … nails − 1); the outcome x takes nails + 1 values. Must be ≥ 2.
  int nails = 31;
  /// Position of the ball in front of level 0. Must be in [0, nails − 1].
  int start = 15;
  /// k in σ(k θ ν): how strongly θ tilts the nails. Must be finite.
  double steepness = 10.0;

  /// Throws InvalidArgument("field = value: what it must be") for an invalid field.
  void validate() const;
};

/// One run of the board with its joint quantities.
struct GaltonRun {
  /// Final position x.
  int x = 0;
  /// Position in front of each level (size levels); the latent path z.
  std::vector<int> positions;
  /// Direction taken at each level: 0 = left, 1 = right (size levels).
  std::vector<int> directions;
  /// log p(x, z|θ) at the θ of the run.
  double log_p_xz = 0.0;
  /// t(x, z|θ) = ∂_θ log p(x, z|θ) at the θ of the run.
  double t_xz = 0.0;
  /// log r(x, z|θ, θ1) = log p(x, z|θ) − log p(x, z|θ1).
  double log_r_xz = 0.0;
};

/// N runs at one θ: x, the latent paths, and the joint score and joint log ratio.
struct GaltonSample {
  /// θ the runs were simulated at.
  double theta = 0.0;
  /// Denominator hypothesis θ1 of log_r_xz.
  double theta1 = 0.0;
  /// Final positions, N entries in 0 … nails.
  IntVector x;
  /// Latent paths, N × levels: z(i, L) is the position of run i in front of level L.
  IntRowMatrix z;
  /// Joint scores t(x, z|θ), N entries.
  Vector t_xz;
  /// Joint log ratios log r(x, z|θ, θ1), N entries.
  Vector log_r_xz;

  Index size() const { return x.size(); }
};

/// The exact marginal distribution of x at one θ (nails + 1 entries, indexed by x).
struct GaltonExact {
  double theta = 0.0;
  /// p(x|θ); sums to 1.
  Vector p;
  /// ∂_θ p(x|θ).
  Vector dp_dtheta;
  /// t(x|θ) = ∂_θ log p(x|θ); NaN where p(x|θ) = 0 (x not reachable).
  Vector t;
};

/// The generalised Galton board.
class GaltonBoard {
 public:
  /// Validates the options (InvalidArgument on a bad field).
  explicit GaltonBoard(GaltonOptions options = {});

  const GaltonOptions& options() const { return options_; }
  /// Number of possible outcomes, nails + 1.
  int n_outcomes() const { return options_.nails + 1; }

  /// Probability of going left at (level, position) for θ, walls included (0 or 1 there).
  /// InvalidArgument for a level or position outside the board.
  double p_left(int level, int position, double theta) const;
  /// ∂_θ P_left(level, position | θ) (0 at the walls and where sin πl = 0).
  double dp_left(int level, int position, double theta) const;

  /// One run driven by the given uniforms in [0, 1), one per level (`uniforms.size()` must equal
  /// levels): the ball goes left at level L iff u_L < P_left or P_left = 1 (the authors' rule).
  /// With NumPy's RandomState stream this reproduces the authors' data exactly. log_r_xz is
  /// relative to θ1.
  GaltonRun run(double theta, double theta1, std::span<const double> uniforms) const;

  /// N runs at θ with joint score at θ and joint log ratio against θ1. Uniforms come from
  /// std::mt19937_64 seeded with `seed` (53-bit doubles, levels per run); the same seed gives the
  /// same sample on every platform and thread count. InvalidArgument for n < 0 or non-finite θ.
  GaltonSample simulate(double theta, Index n, std::uint64_t seed, double theta1 = 0.0) const;

  /// log p(x, z|θ) of a path given as the positions in front of each level and the final x.
  /// Returns −∞ when the path is impossible; InvalidArgument when it is not a path of the board.
  double joint_log_likelihood(std::span<const int> positions, int x, double theta) const;
  /// t(x, z|θ) of a path (as joint_log_likelihood). NaN for an impossible path.
  double joint_score(std::span<const int> positions, int x, double theta) const;

  /// Exact p(x|θ), ∂_θ p and t(x|θ) by forward recursion over the rows (O(levels · nails)).
  GaltonExact exact(double theta) const;
  /// Exact log r(x|θ0, θ1) = log p(x|θ0) − log p(x|θ1) for every x (NaN where both are 0).
  Vector exact_log_ratio(double theta0, double theta1) const;

 private:
  /// Position after `level` when the ball at `position` goes in `direction` (0 left, 1 right).
  int move(int level, int position, int direction) const;
  GaltonOptions options_;
};

/// Training samples from the board in the format the sampler writes (samples.hpp), so that the
/// estimators train on simulator samples exactly as on samples unweighted from events: parameter
/// "theta", observable "x" (the final position), source "galton", partition train; `settings`
/// records the arguments and the board's geometry ("…; levels=20; nails=31; start=15;
/// steepness=10"), which `sbi truth` (truth.hpp) reads back.
///
/// Local (SALLY-type) samples: n runs at θ with x, theta0 = θ and t_xz0 = t(x, z|θ).
AugmentedSamples galton_local_samples(const GaltonBoard& board, double theta, Index n, std::uint64_t seed);

/// Ratio samples with MadMiner's conventions (sample_train_ratio): n/2 runs (rounded down) drawn at
/// θ0 with y = 0, the rest drawn at θ1 with y = 1; every sample has its own θ0, uniform in
/// [theta0_low, theta0_high) and drawn independently for the two halves, and carries
/// theta1 = θ1, r_xz = r(x, z|θ0, θ1) = p(x, z|θ0)/p(x, z|θ1) and t_xz0 = t(x, z|θ0), both
/// evaluated on the run's own path (for y = 1 runs, drawn at θ1). Deterministic for a seed.
/// InvalidArgument for n < 2, a non-finite θ1 or an empty or non-finite prior range.
AugmentedSamples galton_ratio_samples(const GaltonBoard& board, double theta0_low, double theta0_high, double theta1,
                                      Index n, std::uint64_t seed);

}  // namespace sbi
