#pragma once
/// @file limits.hpp
/// Asymptotic limits: expected (Asimov) and observed likelihood scans in every MadMiner mode, with
/// p-values, a continuous best fit, interpolated intervals and contours, and the Fisher
/// information as a cross-check (DESIGN.md §4 "Limits").
///
/// ## The likelihood (MadMiner's AsymptoticLimits, arXiv:1907.10621 §3.4 / §5)
/// For data with n events (x_e with weights w̄_e, Σ_e w̄_e = 1) and a luminosity L (pb⁻¹):
///
///     log L(θ, ν) = log L_kin(θ, ν) + log L_rate(θ, ν) − ½ |ν|²                            (1)
///     log L_rate  = log Pois(k | L σ(θ, ν)),  k = round(n) (MadMiner) or n                   (2)
///     log L_kin   = n Σ_e w̄_e log p̂(x_e|θ, ν)                                              (3)
///
/// with the kinematic density p̂ from
/// * rate: nothing (L_kin = 1);
/// * histo, sally, sallino, adaptive-sally: a histogram of a summary statistic s(x) — observables
///   (histo), the estimated score t̂(x) (sally), its projection h = t̂·Δθ/|Δθ| on Δθ = θ − θ_ref
///   (sallino), or the score rotated so its first axis is h (adaptive-sally, 2 components; with
///   more, h is added as an extra axis). The bin probabilities p_b(θ, ν) = ν_b(θ, ν)/Σ_b' ν_b'
///   are morphed from weighted template events, so (3) is Σ_b n_b log p_b with n_b = n Σ_{e∈b} w̄_e.
///   Where the binning changes with θ (per-point adaptive edges, or the θ-dependent sallino and
///   adaptive-sally summaries) the kinematic term is the binned likelihood ratio
///   Σ_b n_b log[p_b(θ)/p_b(θ_ref)] in the bins of that θ — the SALLINO estimator
///   p̂(h|θ)/p̂(h|θ_ref) of Brehmer, Cranmer, Louppe, Pavez, arXiv:1805.00020 §4.3.2. (MadMiner uses
///   p̂(h|θ) alone, a density whose variable and bin volumes change with θ: its values at different
///   θ are not comparable, and its scans are noisy.) With one binning for the whole scan the
///   denominator is a constant and (3) is as above.
///   With k = n (no rounding) the sum of (2) and (3) is the extended binned Poisson likelihood
///   Σ_b [n_b log ν_b − ν_b] up to a θ-independent constant (the Poisson × multinomial
///   factorisation), the likelihood of Cowan, Cranmer, Gross, Vitells, "Asymptotic formulae for
///   likelihood-based tests of new physics", EPJC 71 (2011) 1554, arXiv:1007.1727, Eq. (5) up to
///   the parameterisation;
/// * ml: a parameterised ratio estimator, log p̂(x|θ) = log r̂(x|θ, θ_ref) + const.
///
/// Expected limits use the Asimov data set (Cowan et al. §3.2): the test-partition events with
/// weights ∝ dσ(x_e|θ_true) and n = L σ(θ_true). Observed limits take given events, w̄_e = 1/n.
/// The test statistic is q(θ) = −2 [log L(θ, ν̂(θ)) − log L(θ̂, ν̂)] (Cowan et al. Eq. 7, the profile
/// likelihood ratio), asymptotically χ²_k distributed (Wilks): p(θ) = 1 − F_χ²_k(q(θ)) with k the
/// number of scanned parameters unless overridden.
///
/// ## Beyond MadMiner (its shortcomings listed in DESIGN.md §7)
/// * The best fit θ̂ is the maximum of the likelihood itself, not the best grid point: a quadratic
///   fit to the best grid point's neighbourhood, then refined by batched quadratic fits to new
///   likelihood evaluations on shrinking stencils (so ml-mode refinement costs a few callback calls).
/// * Interval ends and contour vertices are interpolated between grid points with a not-a-knot
///   cubic spline (exact for q polynomial of degree ≤ 3), then refined on the true q(θ) by a
///   bracketed root search (Illinois regula falsi) along the grid line.
/// * Nuisance parameters of the set-up (MadMiner's NuisanceMorpher convention: per event
///   dσ(x|θ, ν)/dσ(x|θ, 0) = exp Σ_k (a_k(x) ν_k + b_k(x) ν_k²) from the ±1σ nuisance benchmarks,
///   relative to the reference benchmark) are profiled with unit Gaussian constraints in the
///   rate and the binned modes. The ml mode's estimator r̂(x|θ) does not model ν: there only the
///   rate term is profiled, and the result says so in its notes.
/// * Histogram templates are morphed per bin from component sums: with binning fixed over the
///   scan (histo, sally) each θ costs O(bins × components), whatever the number of events.
///
/// ## Conventions
/// θ points are rows of T × P matrices (types.hpp). Grids are MadMiner's: numpy.meshgrid with
/// indexing "ij", the last parameter varying fastest. Luminosity in pb⁻¹, cross sections in pb.
/// Partitions are the Sampler's (sampler.hpp: contiguous slices of the file order, the test slice
/// at the end, weights rescaled per generation run).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sbi/events.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/samples.hpp"
#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi {

// ---------------------------------------------------------------------------------------------
// Modes, estimators, binning
// ---------------------------------------------------------------------------------------------

/// The kinematic part of the likelihood, with MadMiner's names.
enum class LimitMode { Rate, Histo, Sally, Sallino, AdaptiveSally, Ml };
/// "rate", "histo", "sally", "sallino", "adaptive-sally", "ml".
std::string_view to_string(LimitMode mode);
/// The names above (also "adaptive_sally"); InvalidArgument listing them otherwise.
LimitMode parse_limit_mode(std::string_view name);
/// histo, sally, sallino, adaptive-sally.
bool is_binned(LimitMode mode);
/// sally, sallino, adaptive-sally (need a ScoreFunction).
bool needs_score(LimitMode mode);

/// The estimated score t̂(x) at the estimator's reference point for E events: E × P.
using ScoreFunction = std::function<RowMatrix(const RowMatrix& x)>;
/// log r̂(x_e | θ_t, θ_ref) for E events and T parameter points: T × E.
using LogRatioFunction = std::function<RowMatrix(const RowMatrix& x, const RowMatrix& thetas)>;

/// The estimators a mode needs, as callbacks (so this module does not depend on LibTorch;
/// estimators.hpp's Ensemble provides both).
struct LimitEstimators {
  /// sally, sallino, adaptive-sally and the score Fisher information.
  ScoreFunction score;
  /// ml.
  LogRatioFunction log_ratio;
};

/// The binning of one histogram axis.
struct AxisBinning {
  /// Fixed bin edges, strictly increasing, at least two; empty = adaptive. The outer bins are open:
  /// values below edges.front() count in the first bin, values above edges.back() in the last, so
  /// every event is in a bin and the histogram total is the cross section.
  std::vector<double> edges;
  /// Adaptive binning: this many bins with equal expected content (weighted quantiles of the
  /// template events at the binning reference, see BinningReference). Ignored with fixed edges.
  Index n_bins = 0;

  bool is_adaptive() const { return edges.empty(); }
  Index size() const { return is_adaptive() ? n_bins : static_cast<Index>(edges.size()) - 1; }
  static AxisBinning fixed(std::vector<double> edges);
  static AxisBinning adaptive(Index n_bins);
  /// "what = value: what it must be" naming `what` (e.g. "binning[1]").
  void validate(const std::string& what) const;
};

/// Where adaptive bin edges are computed (MadMiner's fix_adaptive_binning).
enum class BinningReference {
  /// grid for histo and sally, per-point for sallino and adaptive-sally (MadMiner's "auto-grid").
  Auto,
  /// Once, from the template weights averaged over all scan points (MadMiner's "grid").
  Grid,
  /// Once, at the centre of the scan (the mean of the scan points; MadMiner's "center").
  Center,
  /// At every θ, from the template weights at θ (the only choice for θ-dependent summaries with
  /// adaptive binning).
  PerPoint,
};
/// "auto", "grid", "center", "per-point".
std::string_view to_string(BinningReference reference);
BinningReference parse_binning_reference(std::string_view name);

// ---------------------------------------------------------------------------------------------
// The scan
// ---------------------------------------------------------------------------------------------

/// One parameter's values in a regular grid: n_points equally spaced values in [low, high]
/// (numpy.linspace), or a fixed value (n_points = 1, low = high).
struct GridAxis {
  double low = 0.0;
  double high = 0.0;
  Index n_points = 1;
  static GridAxis range(double low, double high, Index n_points);
  static GridAxis fixed(double value);
  Vector values() const;
};

/// Where the likelihood is evaluated: a regular grid (one axis per parameter) or given points.
class ScanGrid {
 public:
  ScanGrid() = default;
  /// The product grid of the axes, one per parameter, "ij" order (last parameter fastest).
  /// InvalidArgument for an empty list, n_points < 1, low > high, or low ≠ high with one point.
  static ScanGrid regular(std::vector<GridAxis> axes);
  /// Given points (T × P, T ≥ 1). Intervals and contours need a regular grid; with points only the
  /// best fit, q and p are computed.
  static ScanGrid points(RowMatrix thetas);

  Index n_parameters() const { return thetas_.cols(); }
  Index size() const { return thetas_.rows(); }
  const RowMatrix& thetas() const { return thetas_; }
  bool is_regular() const { return !axes_.empty(); }
  const std::vector<GridAxis>& axes() const { return axes_; }
  /// Regular: the values of axis p. Points: the sorted distinct values of column p.
  Vector axis_values(Index p) const;
  /// Parameters with more than one value (the scanned ones), in order.
  std::vector<Index> scanned_parameters() const;
  /// Regular grid: points per axis. Points: empty.
  std::vector<Index> shape() const;
  /// The scan centre: mean of the points (MadMiner's _find_theta_middle; the grid centre for a
  /// regular grid).
  Vector centre() const;

 private:
  std::vector<GridAxis> axes_;
  RowMatrix thetas_;
};

/// Options of one limit calculation. Defaults are MadMiner's AsymptoticLimits defaults unless said.
struct LimitOptions {
  /// The kinematic likelihood.
  LimitMode mode = LimitMode::Rate;
  /// Include the Poisson term (2) (MadMiner's include_xsec). Rate mode requires it.
  bool include_rate = true;
  /// Integrated luminosity in pb⁻¹ (MadMiner's default 300 fb⁻¹). > 0.
  double luminosity = 300000.0;
  /// The observed count in (2) is round(n), as MadMiner; false uses n itself (then rate + binned
  /// kinematics is exactly the extended binned Poisson likelihood).
  bool round_observed_count = true;

  /// histo: names of the observables to histogram (1 or 2 for the 1-D and 2-D histograms; more
  /// are allowed and binned as a product grid).
  std::vector<std::string> observables;
  /// sally, adaptive-sally, sallino: which score components to use (indices into t̂); empty = all.
  std::vector<Index> score_components;
  /// One binning per histogram axis; empty = MadMiner's defaults: one axis 25 adaptive bins, two
  /// 8 × 8, more 5 each; adaptive-sally (15, 5) for two components, 12 then 5 each for more.
  /// A single entry is used for every axis.
  std::vector<AxisBinning> binning;
  /// Where adaptive edges are computed.
  BinningReference binning_reference = BinningReference::Auto;
  /// Events the histogram templates are filled from (MadMiner: train). The Asimov data always come
  /// from the test partition.
  Partition template_partition = Partition::Train;
  /// Events the predicted rate L σ(θ) is computed from (MadMiner: test).
  Partition rate_partition = Partition::Test;
  /// θ_ref (MadMiner's thetaref): the point of Δθ = θ − θ_ref in sallino and adaptive-sally (the
  /// score estimator's reference point), and the denominator of the binned likelihood ratio where
  /// the binning changes with θ; empty = the origin, as MadMiner.
  Vector theta_ref;
  /// Predicted bin probabilities below this fraction of the total are raised to it, so an empty
  /// template bin with observed events gives a large but finite penalty (MadMiner's epsilon 1e-12).
  /// In (0, 1e-3].
  double empty_bin_floor = 1e-12;

  /// Partition fractions (sampler.hpp).
  double test_split = 0.2;
  double validation_split = 0.2;
  /// Asimov data from the events generated at the benchmark closest to θ_true (plus background)
  /// only, as MadMiner's sample_only_from_closest_benchmark.
  bool asimov_from_closest_benchmark = true;

  /// Degrees of freedom k of the χ² for p-values and contours; 0 = the number of scanned
  /// parameters (MadMiner uses the number of parameters of the set-up even for a slice in which
  /// some are fixed; for a slice, the scanned count is the right k).
  Index dof = 0;
  /// Confidence levels of intervals and contours, each in (0, 1).
  std::vector<double> confidence_levels = {0.68, 0.95};
  /// Maximise the likelihood continuously (else θ̂ is the best scan point, as MadMiner).
  bool refine_best_fit = true;
  /// Refine interval ends and contour vertices on the true q(θ) (else: spline interpolation only).
  bool refine_crossings = true;
  /// Profile the set-up's nuisance parameters (when it has any).
  bool profile_nuisance_parameters = true;
  /// θ points per log-ratio callback call in the ml mode (bounds the T × E buffer). ≥ 1.
  Index theta_batch_size = 32;

  /// Throws InvalidArgument("field = value: what it must be") for the first invalid field.
  void validate() const;
};

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// One piece [low, high] of {θ_p : q ≤ threshold}. `low_open` (`high_open`): q stays below the
/// threshold up to the first (last) scan value, so the interval extends beyond the scan.
struct IntervalSegment {
  double low = 0.0;
  double high = 0.0;
  bool low_open = false;
  bool high_open = false;
};

/// The confidence interval of one parameter at one confidence level (possibly several segments,
/// e.g. the two degenerate minima of a rate-only fit).
struct ParameterInterval {
  std::string parameter;
  Index parameter_index = 0;
  double confidence_level = 0.0;
  /// The χ²₁ quantile the (profiled) q is compared with.
  double q_threshold = 0.0;
  /// True when the other scanned parameters were profiled (multi-dimensional scans).
  bool profiled = false;
  /// True when the ends were refined on the true likelihood.
  bool refined = false;
  std::vector<IntervalSegment> segments;
};

/// q along one parameter: the scan itself (1-D scans) or the profile over the other scanned
/// parameters (min over them, along each grid line the minimum of a cubic spline in 2-D scans).
struct ParameterProfile {
  std::string parameter;
  Index parameter_index = 0;
  Vector values;
  Vector q;
  bool profiled = false;
};

/// One contour line, a polyline of n × 2 points (the two scanned parameters), closed when its
/// last point joins its first.
struct ContourLine {
  RowMatrix points;
  bool closed = false;
};

/// The contour q = threshold of a 2-D regular scan at one confidence level.
struct Contour {
  double confidence_level = 0.0;
  double q_threshold = 0.0;
  /// The two scanned parameters (x, y).
  Index parameter_x = 0;
  Index parameter_y = 1;
  std::vector<ContourLine> lines;
};

/// Everything a limit calculation produced (one struct, whatever the mode; STYLE.md §13).
struct LimitResult {
  /// A name for tables, plots and JSON ("sally", "histo mT"); defaults to the mode's name.
  std::string label;
  LimitMode mode = LimitMode::Rate;
  bool include_rate = true;
  /// True for Asimov (expected) limits, false for observed ones.
  bool expected = true;
  std::vector<std::string> parameter_names;
  /// θ_true of the Asimov data (empty for observed limits).
  Vector theta_true;
  double luminosity = 0.0;
  /// n of (3): L σ(θ_true) (expected) or the number of observed events.
  double n_events = 0.0;
  /// The k of the χ².
  Index dof = 0;
  std::vector<double> confidence_levels;

  /// The scan points, T × P, and the grid they came from.
  ScanGrid grid;
  /// log L parts at every scan point (T each; at the profiled ν̂(θ) when there are nuisance
  /// parameters): kinematic (3) (up to a θ-independent constant: with log r̂ for ml, relative to
  /// θ_ref for per-point binnings), rate (2), Gaussian constraint −½|ν̂|², and their sum (1).
  Vector log_likelihood_kinematic;
  Vector log_likelihood_rate;
  Vector log_likelihood_constraint;
  Vector log_likelihood;
  /// q(θ) relative to the best fit (≥ 0 up to rounding) and p(θ) = 1 − F_χ²_k(q).
  Vector q;
  Vector p_values;

  /// The best scan point and the best fit.
  Index best_index = 0;
  Vector best_fit;
  double best_fit_log_likelihood = 0.0;
  /// The best fit is at the edge of the scanned region (the maximum may lie outside).
  bool best_fit_on_boundary = false;
  /// How θ̂ was found: "grid", "quadratic", "refined".
  std::string best_fit_method;

  /// Nuisance parameters profiled (names) and ν̂ at every scan point (T × K; 0 columns if none).
  std::vector<std::string> nuisance_names;
  RowMatrix nuisance_values;

  /// Per scanned parameter: q along it (scan or profile), and its intervals per confidence level.
  std::vector<ParameterProfile> profiles;
  std::vector<ParameterInterval> intervals;
  /// 2-D regular scans: the contours per confidence level.
  std::vector<Contour> contours;

  /// Histogram modes: the axis names and the bin edges used (fixed and grid/centre-adaptive
  /// binnings; empty for per-point binning), one vector per axis. Adaptive outer edges are the
  /// smallest and largest template value; either way the outer bins are open.
  std::vector<std::string> histogram_axes;
  std::vector<std::vector<double>> bin_edges;

  /// Things a reader should know: events dropped for non-finite log r̂, empty bins, a best fit at
  /// the boundary, nuisance parameters not modelled by the estimator, and so on.
  std::vector<std::string> notes;
  /// Likelihood evaluations (θ points) and wall time.
  Index n_evaluations = 0;
  double seconds = 0.0;

  /// One line per interval: "sally: c_HWtil ∈ [−0.31, 0.29] (68 % CL), …".
  std::string brief_report() const;
  /// The brief report, the set-up of the calculation, the best fit, the table of the scan (θ,
  /// log L parts, q, p) and the notes.
  std::string full_report() const;
  /// JSON with stable keys (docs/limits.md): non-finite numbers are written as null.
  std::string to_json(int indent = 2) const;
};

/// Writes results as one JSON document {"sbi_version", "results": [...]} atomically.
void write_limit_results_json(const std::filesystem::path& path, const std::vector<LimitResult>& results);

/// A table of intervals: one row per result and parameter, one column per confidence level.
std::string limits_table(const std::vector<LimitResult>& results);

// ---------------------------------------------------------------------------------------------
// Test statistics and interval setting (pure functions; pyhf's infer/ in C++)
// ---------------------------------------------------------------------------------------------

/// The χ²_k quantile F⁻¹(cl): the q threshold of a confidence level (Boost.Math).
double chi2_quantile(double confidence_level, Index dof);
/// p = 1 − F_χ²_k(q) (Boost.Math, the complement computed directly so small p keep their digits);
/// 1 for q ≤ 0, 0 for q = +∞.
double asymptotic_p_value(double q, Index dof);
Vector asymptotic_p_values(const Vector& q, Index dof);

/// log Pois(k | μ) = k log μ − μ − log Γ(k + 1) for real k ≥ 0 (−∞ for μ ≤ 0 < k).
double poisson_log_likelihood(double k, double mu);

/// The not-a-knot cubic spline through (x_j, y_j), x strictly increasing, n ≥ 2 (n = 2: the line,
/// n = 3: the parabola). Reproduces polynomials of degree ≤ 3 exactly.
class CubicSpline {
 public:
  CubicSpline(Vector x, Vector y);
  double operator()(double x) const;
  double derivative(double x) const;
  /// The minimum on [x_j, x_{j+1}] of segment j: (where, value) — a stationary point or an end.
  std::pair<double, double> segment_minimum(Index j) const;
  /// The stationary points of segment j strictly inside (x_j, x_{j+1}), increasing.
  std::vector<double> stationary_points(Index j) const;
  const Vector& x() const { return x_; }

 private:
  Index segment(double x) const;
  Vector x_, y_, b_, c_, d_;
};

/// A function of one parameter for refinement: values of q at several points at once (so a
/// costly likelihood is evaluated in batches).
using BatchFunction = std::function<Vector(const Vector& points)>;

/// The set {x : q(x) ≤ threshold} of a curve sampled at increasing x (n ≥ 2), as segments. Ends
/// between samples are the roots of the cubic spline through the finite samples on the bracketing
/// interval, then (with `refine`) roots of the true q by Illinois regula falsi in that bracket to
/// |Δx| ≤ 1e-10 · (x_{j+1} − x_j), all roots iterated together in one batch per step. Non-finite
/// q counts as above any threshold.
std::vector<IntervalSegment> interval_segments(const Vector& x, const Vector& q, double threshold,
                                               const BatchFunction& refine = {});

/// The contour q = threshold on a regular grid (q row-major nx × ny, q(i, j) at (x_i, y_j)) by
/// marching squares, with cell-edge crossings interpolated by the cubic spline along the grid line
/// and (with `refine`, evaluating q at n × 2 points) refined on the true q along that line.
/// Saddle cells are resolved with the mean of the four corners.
using BatchFunction2D = std::function<Vector(const RowMatrix& points)>;
std::vector<ContourLine> contour_lines(const Vector& x, const Vector& y, const RowMatrix& q, double threshold,
                                       const BatchFunction2D& refine = {});

// ---------------------------------------------------------------------------------------------
// Fisher information
// ---------------------------------------------------------------------------------------------

/// Which information (Brehmer, Cranmer, Kling, Plehn, "Better Higgs boson measurements through
/// information geometry", PRD 95 (2017) 073002, arXiv:1612.05261, Eqs. 9–14; MadMiner's
/// FisherInformation).
enum class FisherKind {
  /// The full information of the weighted events: I = L Σ_i ∇w_i ∇w_iᵀ / w_i (Eq. 14 with the
  /// event weights as the truth; at parton level the exact information), rate included.
  Truth,
  /// The rate alone: I = L ∇σ ∇σᵀ / σ.
  Rate,
  /// A histogram of observables: I = L Σ_b ∇σ_b ∇σ_bᵀ / σ_b (includes the rate information).
  Histogram,
  /// The estimated score (SALLY): I = L Σ_i w_i t̂_i t̂_iᵀ, valid at the estimator's reference
  /// point; plus the rate information when include_rate.
  Score,
};
std::string_view to_string(FisherKind kind);
FisherKind parse_fisher_kind(std::string_view name);

struct FisherOptions {
  FisherKind kind = FisherKind::Truth;
  /// pb⁻¹, > 0.
  double luminosity = 300000.0;
  /// Include the rate information (false: subtract L ∇σ∇σᵀ/σ of the same events, the kinematic
  /// information alone).
  bool include_rate = true;
  /// The events used (MadMiner uses the test partition for the truth and score information).
  Partition partition = Partition::Test;
  double test_split = 0.2;
  double validation_split = 0.2;
  /// Histogram: observables and binning (as LimitOptions; adaptive edges at θ).
  std::vector<std::string> observables;
  std::vector<AxisBinning> binning;

  void validate() const;
};

struct FisherInformation {
  FisherKind kind = FisherKind::Truth;
  Vector theta;
  double luminosity = 0.0;
  bool include_rate = true;
  /// P × P.
  RowMatrix information;
  /// Events with w_i(θ) ≤ 0 left out of the Truth information (1/w undefined).
  Index n_skipped = 0;
  /// The linearised 1-D interval half-widths √(F⁻¹_χ²₁(cl) / I_p|rest), I_p|rest = I_pp − I_pr I_rr⁺ I_rp
  /// the information on θ_p with the others profiled (= 1/(I⁻¹)_pp when I is invertible); NaN for a
  /// parameter the information does not constrain.
  Vector interval_half_widths(double confidence_level) const;
};

// ---------------------------------------------------------------------------------------------
// The calculator
// ---------------------------------------------------------------------------------------------

/// Limits from the weighted events of a study (MadMiner's AsymptoticLimits). Built once per file;
/// each call is independent and deterministic.
class AsymptoticLimits {
 public:
  /// The set-up needs a stored morphing; the events signal (generated at physical benchmarks) and
  /// background (sampling benchmark −1, equal weights at every benchmark). Throws InvalidArgument
  /// for no events or no morphing, and as Events::validate.
  AsymptoticLimits(Setup setup, Events events);
  explicit AsymptoticLimits(MadMinerFile file);
  ~AsymptoticLimits();
  AsymptoticLimits(AsymptoticLimits&&) noexcept;
  AsymptoticLimits& operator=(AsymptoticLimits&&) noexcept;

  const Setup& setup() const;
  const Events& events() const;
  /// Names of the nuisance parameters that are profiled (those with a positive benchmark).
  std::vector<std::string> nuisance_parameter_names() const;

  /// Expected limits: Asimov data at θ_true (a P-vector). InvalidArgument for wrong shapes,
  /// unknown observables, missing estimators or invalid options (naming the field).
  LimitResult expected_limits(const Vector& theta_true, const ScanGrid& grid, const LimitOptions& options = {},
                              const LimitEstimators& estimators = {}) const;
  /// Observed limits from events x (E × n_o, the set-up's observables), each of weight 1, n = E.
  LimitResult observed_limits(const RowMatrix& x_observed, const ScanGrid& grid, const LimitOptions& options = {},
                              const LimitEstimators& estimators = {}) const;

  /// σ(θ) in pb at each row of `thetas` over a partition (the Sampler's weights).
  Vector cross_sections(const RowMatrix& thetas, Partition partition = Partition::Test, double test_split = 0.2,
                        double validation_split = 0.2) const;

  /// The Fisher information at θ (P-vector).
  FisherInformation fisher_information(const Vector& theta, const FisherOptions& options = {},
                                       const LimitEstimators& estimators = {}) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Plots (PLplot, cairo devices: headless PNG and PDF)
// ---------------------------------------------------------------------------------------------

struct PlotOptions {
  /// Page size in pixels (PNG) — the PDF gets the same aspect ratio. ≥ 200 each.
  int width = 1000;
  int height = 750;
  /// Formats to write: "png" (pngcairo) and/or "pdf" (pdfcairo).
  std::vector<std::string> formats = {"png", "pdf"};
  /// Title over the plot; empty = none.
  std::string title;
  /// 1-D plots: the largest q shown (0 = automatic: 1.5 × the largest threshold, at least 5).
  double q_max = 0.0;

  void validate() const;
};

/// q(θ_p) of every result along parameter `parameter` (its profile when the scan is
/// multi-dimensional), one colour per result, horizontal lines at the χ²₁ thresholds of the
/// confidence levels, a legend with the labels. Writes <stem>.png / <stem>.pdf atomically and
/// returns the paths. InvalidArgument when no result scanned that parameter.
std::vector<std::filesystem::path> plot_limit_scans(const std::vector<LimitResult>& results, const std::string& parameter,
                                                    const std::filesystem::path& stem, const PlotOptions& options = {});

/// The 2-D contours of every result with a 2-D regular scan (solid: first confidence level,
/// dashed: second, dotted: further), one colour per result, best fits (×) and θ_true (+).
std::vector<std::filesystem::path> plot_limit_contours(const std::vector<LimitResult>& results,
                                                       const std::filesystem::path& stem, const PlotOptions& options = {});

}  // namespace sbi
