#pragma once
/// @file morphing.hpp
/// Morphing: benchmark weights → weights at any parameter point θ (DESIGN.md §4 "Morphing").
///
/// The squared matrix element is a polynomial in the parameters θ (Wilson coefficients):
///
///     dσ(z|θ) = Σ_c φ_c(θ) A_c(z),    φ_c(θ) = Π_p θ_p^{α_cp},                        (1)
///
/// one term per *component* c with multi-index α_c (Brehmer, Kling, Espejo, Cranmer, "MadMiner:
/// Machine learning-based inference for particle physics", arXiv:1907.10621, §3.1 "Morphing";
/// Brehmer, Cranmer, Louppe, Pavez, "Constraining Effective Field Theories with Machine Learning",
/// arXiv:1805.00013, §3.3). With B benchmarks θ_b the benchmark weights are dσ_b = Σ_c Θ_bc A_c,
/// Θ_bc = φ_c(θ_b) (the B × C "component matrix"), and
///
///     dσ(z|θ) = Σ_b w_b(θ) dσ_b(z),   w(θ) = Mᵀ φ(θ),   M = Θ⁺   (C × B),               (2)
///
/// the morphing matrix in MadMiner's orientation (stored as `morphing/morphing_matrix`, n_c × n_b).
/// M is the solution of M Θ = 1_C: for B = C (a square basis) M = Θ⁻¹; for B > C (an over-complete
/// basis, not offered by MadMiner) M = (ΘᵀΘ)⁻¹Θᵀ, the pseudo-inverse, which gives at every θ the
/// weights of smallest Euclidean norm among all w with Θᵀw = φ(θ) — hence the smallest
/// Σ_b w_b(θ)², the quantity that governs the statistical dilution of morphed weights (see
/// BasisCriterion). M is computed with a column-pivoted Householder QR of the column-equilibrated
/// Θ (backward stable; never an explicit inverse), and the basis is rejected with NumericalError
/// when Θ is singular or so ill-conditioned that the weights would lose their precision.
///
/// Everything that is evaluated at several θ points is one matrix product: the component values
/// of T points form a T × C matrix Φ and the weights are Φ M (T × B); gradients and Hessians are
/// (T·P) × C and (T·P·P) × C matrices of component derivatives times M.
///
/// Layouts (all row-major, see types.hpp):
///  * θ points: T × P, one point per row.
///  * weights: T × B.
///  * gradients: (T·P) × B, row t·P + p holds ∂w_b/∂θ_p at point t (for one θ: P × B).
///  * Hessians: (T·P·P) × B, row (t·P + p)·P + q holds ∂²w_b/∂θ_p∂θ_q at point t (one θ: P² × B).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi {

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

/// All power tuples α (one power per parameter) with α_p ≤ max_powers[p] and Σ_p α_p ≤
/// max_overall_power, in MadMiner's order: lexicographic with the last parameter varying fastest
/// (`itertools.product(range(max_power_0 + 1), …)` in MadMiner's `PhysicsMorpher.find_components`),
/// e.g. for two parameters with max power 2 and overall 2: (0,0) (0,1) (0,2) (1,0) (1,1) (2,0).
/// Returns a C × P matrix. Throws InvalidArgument when max_powers is empty, a power is negative,
/// or max_overall_power < 0. MadMiner's default max_overall_power is 4; dimension-six operators at
/// order 1/Λ⁴ (interference + square) need 2.
IntRowMatrix morphing_components(const std::vector<int>& max_powers, int max_overall_power);

/// The same with each parameter's max_power from the parameter space.
IntRowMatrix morphing_components(const ParameterSpace& parameters, int max_overall_power);

/// Component values φ_c(θ) = Π_p θ_p^{α_cp} for T points (T × P) → T × C. 0⁰ = 1.
RowMatrix component_values(const IntRowMatrix& components, const RowMatrix& thetas);
/// ∂φ_c/∂θ_p for T points → (T·P) × C (row t·P + p). Computed from the power table, without
/// dividing by θ, so exact at θ_p = 0.
RowMatrix component_gradients(const IntRowMatrix& components, const RowMatrix& thetas);
/// ∂²φ_c/∂θ_p∂θ_q for T points → (T·P·P) × C (row (t·P + p)·P + q).
RowMatrix component_hessians(const IntRowMatrix& components, const RowMatrix& thetas);

// ---------------------------------------------------------------------------------------------
// The morphing
// ---------------------------------------------------------------------------------------------

/// Options for building a Morphing from benchmark points.
struct MorphingOptions {
  /// Largest accepted condition number of the column-equilibrated component matrix Θ·S (S scales
  /// each column to unit norm, which removes the trivial ill-conditioning of monomials of very
  /// different sizes such as 1 and θ⁴ with θ ~ 10). The weights lose about log10(κ) of the 16
  /// digits of a double; above this bound the basis is reported as degenerate. Must be > 1.
  double max_condition_number = 1e8;
  /// Names of the benchmarks, used in error messages ("benchmark 'sm'"); empty means
  /// "benchmark 0", "benchmark 1", … . When given, one name per benchmark.
  std::vector<std::string> benchmark_names;

  /// Throws InvalidArgument("field = value: what it must be").
  void validate() const;
};

/// A morphing: components, benchmark points (optional when built from a stored matrix) and the
/// morphing matrix M (C × B) of Eq. (2). Immutable once built; cheap to copy for small C, B.
class Morphing {
 public:
  /// Builds the morphing for the benchmark points (B × P, B ≥ C) by a column-pivoted QR solve of
  /// M Θ = 1 (square basis: M = Θ⁻¹; over-complete: M = Θ⁺, the minimum-norm weights).
  /// Throws InvalidArgument for shape errors and non-finite values, NumericalError when the basis
  /// is (nearly) degenerate, naming the benchmarks involved: the ones with a large coefficient in
  /// the left singular vector of Θ's smallest singular value (a combination of benchmark rows
  /// that nearly vanishes), and identical points by name.
  Morphing(IntRowMatrix components, RowMatrix benchmark_points, const MorphingOptions& options = {});

  /// A morphing with a given (e.g. stored) matrix M (C × B), used as given, as MadMiner does.
  /// benchmark_points (B × P) may be empty; when present the condition number is computed.
  static Morphing from_matrix(IntRowMatrix components, RowMatrix matrix, RowMatrix benchmark_points = {});

  /// The morphing stored in a set-up (its components and matrix, columns = the physical
  /// benchmarks). Throws InvalidArgument when the set-up has no stored morphing (naming the set-up's
  /// benchmarks and saying how to build one) or the shapes disagree.
  static Morphing from_setup(const Setup& setup);

  Index n_parameters() const { return components_.cols(); }
  Index n_components() const { return components_.rows(); }
  Index n_benchmarks() const { return matrix_.cols(); }
  /// C × P powers.
  const IntRowMatrix& components() const { return components_; }
  /// C × B morphing matrix, w(θ) = Mᵀ φ(θ).
  const RowMatrix& matrix() const { return matrix_; }
  /// B × P benchmark points (empty if built from a matrix without points).
  const RowMatrix& benchmark_points() const { return benchmark_points_; }
  /// 2-norm condition number κ(Θ) = σ_max/σ_min of the component matrix as it is (the value
  /// `numpy.linalg.cond` gives); NaN when the benchmark points are unknown.
  double condition_number() const { return condition_number_; }
  /// The same after scaling Θ's columns to unit norm: the number the degeneracy test uses.
  double equilibrated_condition_number() const { return equilibrated_condition_number_; }
  /// The components and matrix in the form a Setup stores them.
  StoredMorphing to_stored() const { return {components_, matrix_}; }

  // ---- one θ (a P-vector) ----
  /// φ(θ), a C-vector.
  Vector component_values(const Vector& theta) const;
  /// w(θ) = Mᵀ φ(θ), a B-vector.
  Vector weights(const Vector& theta) const;
  /// ∂w_b/∂θ_p, P × B.
  RowMatrix weight_gradients(const Vector& theta) const;
  /// ∂²w_b/∂θ_p∂θ_q, (P·P) × B (row p·P + q).
  RowMatrix weight_hessians(const Vector& theta) const;

  // ---- T points at once (T × P), each one GEMM ----
  // (Separate names from the one-θ functions, so that an Eigen expression argument is never
  // ambiguous.)
  /// T × B.
  RowMatrix weights_at_points(const RowMatrix& thetas) const;
  /// (T·P) × B.
  RowMatrix weight_gradients_at_points(const RowMatrix& thetas) const;
  /// (T·P·P) × B.
  RowMatrix weight_hessians_at_points(const RowMatrix& thetas) const;

  // ---- events and cross sections ----
  /// Morphed event weights dσ(z_i|θ_t) = Σ_b w_ib w_b(θ_t) for an N × B event weight matrix at
  /// T points: the N × T matrix W · w(θ)ᵀ, one GEMM. B must equal n_benchmarks().
  RowMatrix morphed_event_weights(const RowMatrix& event_weights, const RowMatrix& thetas) const;
  /// The same into a preallocated N × T output (e.g. a block of a larger matrix, or a buffer
  /// reused over blocks of events, to bound memory: 10⁶ events × 10³ points are 8 GB).
  void morphed_event_weights(const Eigen::Ref<const RowMatrix>& event_weights, const RowMatrix& thetas,
                             Eigen::Ref<RowMatrix> out) const;
  /// σ(θ) = Σ_b w_b(θ) σ_b for benchmark cross sections σ_b (a B-vector).
  double cross_section(const Vector& benchmark_cross_sections, const Vector& theta) const;
  /// ∇σ(θ) = Σ_b ∇w_b(θ) σ_b, a P-vector.
  Vector cross_section_gradient(const Vector& benchmark_cross_sections, const Vector& theta) const;
  /// σ(θ_t) for T points, a T-vector.
  Vector cross_sections(const Vector& benchmark_cross_sections, const RowMatrix& thetas) const;
  /// ∇σ(θ_t) for T points, T × P.
  RowMatrix cross_section_gradients(const Vector& benchmark_cross_sections, const RowMatrix& thetas) const;
  /// Cross sections of the components, s = M σ_bench (a C-vector), so that σ(θ) = φ(θ)ᵀ s at any
  /// θ, including points that are not benchmarks (used by the cross-section-weighted basis
  /// criteria).
  Vector component_cross_sections(const Vector& benchmark_cross_sections) const;

 private:
  Morphing() = default;
  void check_theta_columns(Index columns, const char* what) const;

  IntRowMatrix components_;
  RowMatrix benchmark_points_;
  RowMatrix matrix_;
  double condition_number_ = 0.0;
  double equilibrated_condition_number_ = 0.0;
};

// ---------------------------------------------------------------------------------------------
// Derivative checker (in the spirit of Ceres' GradientChecker)
// ---------------------------------------------------------------------------------------------

/// Options for the finite-difference derivative check.
struct DerivativeCheckOptions {
  /// Central-difference step for parameter p: relative_step · max(1, |θ_p|). The truncation error
  /// of central differences is O(h²) and the rounding error O(ε/h); h ≈ ε^{1/3} ≈ 6e-6 balances
  /// them for gradients, the Hessian (differences of analytic gradients) uses the same h.
  double relative_step = 1e-5;
  /// Entries are compared relative to max(|analytic|, |numeric|, floor), floor = relative_floor ·
  /// (largest |entry| of that derivative array at that θ), so exact zeros (a component that does
  /// not depend on θ_p) are not compared against pure rounding noise. In [0, 1).
  double relative_floor = 1e-6;
  /// Tolerance used by DerivativeCheckResult::passed.
  double tolerance = 1e-6;

  void validate() const;
};

/// Outcome of a derivative check: the numbers, not just a verdict.
struct DerivativeCheckResult {
  /// Largest relative error of the gradient over all points, outputs and parameters.
  double max_gradient_relative_error = 0.0;
  /// Largest relative error of the Hessian (NaN when no Hessian was checked).
  double max_hessian_relative_error = 0.0;
  /// Where the largest gradient error occurred: point (row of θ), output (benchmark), parameter.
  Index worst_gradient_point = -1, worst_gradient_output = -1, worst_gradient_parameter = -1;
  /// Where the largest Hessian error occurred (parameters p, q).
  Index worst_hessian_point = -1, worst_hessian_output = -1, worst_hessian_parameter_p = -1,
        worst_hessian_parameter_q = -1;
  /// The tolerance of the options.
  double tolerance = 0.0;
  /// Both largest errors ≤ tolerance (a NaN Hessian error counts as "not checked").
  bool passed() const;
  /// One line with the numbers and where they occurred.
  std::string report() const;
};

/// A vector function of θ, its gradient (P × n_out, row p = ∂f/∂θ_p) and optionally its Hessian
/// ((P·P) × n_out).
using VectorFunction = std::function<Vector(const Vector&)>;
using JacobianFunction = std::function<RowMatrix(const Vector&)>;

/// Compares analytic derivatives with central finite differences of `value` (gradient) and of
/// `gradient` (Hessian; skipped when `hessian` is empty) at every row of `thetas` (T × P).
DerivativeCheckResult check_derivatives(const VectorFunction& value, const JacobianFunction& gradient,
                                        const JacobianFunction& hessian, const RowMatrix& thetas,
                                        const DerivativeCheckOptions& options = {});

/// Checks Morphing::weight_gradients and weight_hessians against finite differences of
/// Morphing::weights at the given points.
DerivativeCheckResult check_morphing_derivatives(const Morphing& morphing, const RowMatrix& thetas,
                                                 const DerivativeCheckOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Basis optimisation
// ---------------------------------------------------------------------------------------------

/// Distribution of θ over which a basis is judged.
enum class Prior {
  /// Uniform in the parameter ranges (MadMiner's choice).
  flat,
  /// Independent normal distributions per parameter (mean and width from the options).
  gaussian,
};

/// What a basis minimises. Let w(θ) be the morphing weights, σ_b the benchmark cross sections and
/// σ(θ) = Σ_b w_b(θ) σ_b (basis independent: σ(θ) = φ(θ)ᵀ s with s the component cross sections).
enum class BasisCriterion {
  /// J = E_θ[Σ_b w_b(θ)²], MadMiner's criterion (its `evaluate_morphing`, up to the sign). With
  /// G = E_θ[φ(θ)φ(θ)ᵀ] (C × C) it is J = tr(Mᵀ G M) = tr((ΘᵀΘ)⁻¹ G): the "I-optimal" (integrated
  /// prediction variance) design criterion of regression, exact from the prior's moments.
  expected_squared_weights,
  /// J = E_θ[Σ_b w_b(θ)² σ_b / σ(θ)]: the variance inflation of the morphed estimate when every
  /// benchmark is simulated with the same luminosity L (N_b = L σ_b unweighted events of weight
  /// 1/L each). Derivation: the morphed estimate of the rate in any phase-space region R is
  /// n̂_R(θ) = Σ_b w_b(θ) n_b,R / L with independent Poisson counts n_b,R of mean L σ_b,R, so
  /// Var n̂_R(θ) = Σ_b w_b(θ)² σ_b,R / L, while a sample simulated directly at θ with the same
  /// luminosity has Var = σ_R(θ)/L. The ratio Σ_b w_b² σ_b,R/σ_R(θ) is the factor by which
  /// morphing dilutes the statistics (1/(effective-events fraction)); taking R = the whole
  /// phase space gives the criterion. It corrects MadMiner's criterion for benchmarks with large
  /// cross sections (a large |w_b| on a benchmark with large σ_b costs more) and for θ regions
  /// where σ(θ) is small (MadMiner issue #120). Needs the component cross sections.
  cross_section_dilution,
  /// J = B · E_θ[Σ_b w_b(θ)² σ_b² / σ(θ)²]: the same for N/B events per benchmark (MadMiner's
  /// usual practice of equal event counts): weights σ_b B/N per event, Var n̂(θ) =
  /// Σ_b w_b² σ_b² B/N, relative to the 1/N of N events drawn at θ itself.
  cross_section_dilution_equal_events,
};

/// Why the optimiser stopped.
enum class TerminationReason {
  /// Relative change of the objective below function_tolerance.
  converged_function,
  /// Gradient norm below gradient_tolerance.
  converged_gradient,
  /// max_iterations reached in the best restart (the result is still the best point found).
  max_iterations,
  /// The line search could not decrease the objective further (at machine precision).
  line_search_stalled,
  /// Nothing to optimise (no free benchmarks).
  no_free_benchmarks,
};

/// Name of a termination reason ("converged_function", …).
std::string to_string(TerminationReason reason);
/// Name of a prior ("flat", "gaussian") and back; from_string throws InvalidArgument listing the
/// valid names.
std::string to_string(Prior prior);
Prior prior_from_string(const std::string& name);
std::string to_string(BasisCriterion criterion);
BasisCriterion basis_criterion_from_string(const std::string& name);

/// Options of optimise_basis. Defaults reproduce a MadMiner-like square basis optimisation with
/// a real optimiser.
struct BasisOptimisationOptions {
  /// Distribution of θ the criterion averages over.
  Prior prior = Prior::flat;
  /// Gaussian prior: means per parameter (empty = the centres of the ranges).
  Vector gaussian_mean;
  /// Gaussian prior: standard deviations per parameter (empty = half the width of each range, so
  /// the range is ±1σ). Positive.
  Vector gaussian_width;
  /// The criterion. The cross-section ones need component cross sections.
  BasisCriterion criterion = BasisCriterion::expected_squared_weights;
  /// Benchmarks beyond the number of components (B = C + n_overcomplete; 0 = square basis).
  /// Over-complete bases use the minimum-norm (pseudo-inverse) morphing.
  Index n_overcomplete = 0;
  /// Free benchmarks are confined to the box centre ± benchmark_range_scale · half-width of each
  /// parameter range (1 = the ranges themselves, as MadMiner's random proposals). Without a
  /// bound the squared-weights criterion prefers points far outside the ranges, where the
  /// simulated events no longer resemble the ones at θ of interest. > 0.
  double benchmark_range_scale = 1.0;
  /// Random bases drawn uniformly in the box; the best n_restarts of them (by the criterion) start
  /// a local refinement. ≥ n_restarts.
  Index n_random_candidates = 1000;
  /// Local refinements (L-BFGS with analytic gradients). ≥ 1.
  Index n_restarts = 16;
  /// Iterations per refinement. ≥ 1.
  Index max_iterations = 500;
  /// L-BFGS history length. ≥ 1.
  Index lbfgs_memory = 10;
  /// Stop a refinement when |ΔJ| ≤ function_tolerance · |J| over an iteration. ≥ 0.
  double function_tolerance = 1e-12;
  /// Stop a refinement when the gradient's infinity norm (in the internal variables) falls below
  /// this. ≥ 0.
  double gradient_tolerance = 1e-10;
  /// θ sample size for the expectations that have no closed form (the cross-section criteria);
  /// the squared-weights criterion is exact from the prior's moments. The sample is drawn once
  /// from `seed`, so the objective is a deterministic function of the benchmarks. ≥ 1.
  Index n_quadrature_points = 4096;
  /// Reject bases whose equilibrated component matrix is worse conditioned than this (> 1).
  double max_condition_number = 1e8;
  /// Also run MadMiner's method on the same problem (best of madminer_trials random bases, each
  /// scored on madminer_test_thetas uniform θ points, basis points uniform in the ranges) and
  /// report its basis' objective.
  bool compare_with_madminer = false;
  Index madminer_trials = 100;
  Index madminer_test_thetas = 100;
  /// Size of the independent θ sample (from the prior, a different seed stream) on which both the
  /// optimised and the MadMiner basis are evaluated for the comparison; 0 = skip. ≥ 0.
  Index n_evaluation_points = 100000;
  /// Seed of everything random (candidates, quadrature sample, MadMiner baseline, evaluation).
  std::uint64_t seed = 1;

  /// Throws InvalidArgument("field = value: what it must be").
  void validate() const;
};

/// The problem: which components, where θ lives and which benchmarks are fixed.
struct BasisOptimisationResult {
  /// All benchmarks, B × P: the fixed ones first (in the given order), then the optimised ones.
  RowMatrix benchmarks;
  /// Number of fixed benchmarks at the top of `benchmarks`.
  Index n_fixed = 0;
  /// The morphing matrix of the optimised basis (C × B).
  RowMatrix morphing_matrix;
  /// κ of the optimised basis' component matrix (as Morphing::condition_number).
  double condition_number = 0.0;
  /// The criterion at the optimum (exact for expected_squared_weights; on the fixed quadrature
  /// sample otherwise).
  double objective = 0.0;
  /// The criterion of the best random candidate before refinement.
  double best_random_objective = 0.0;
  /// MadMiner's method on the same problem, scored by the same criterion (when asked).
  std::optional<double> madminer_objective;
  /// MadMiner's chosen basis (when asked), B × P.
  RowMatrix madminer_benchmarks;
  /// The criterion of the optimised and the MadMiner basis on the independent evaluation sample
  /// (when n_evaluation_points > 0; MadMiner only when asked).
  std::optional<double> evaluation_objective;
  std::optional<double> madminer_evaluation_objective;
  /// Restarts run, L-BFGS iterations and objective evaluations summed over restarts.
  Index restarts = 0;
  Index iterations = 0;
  Index function_evaluations = 0;
  /// Why the refinement that produced the best basis stopped.
  TerminationReason termination = TerminationReason::converged_function;
  /// A short human-readable summary of the numbers above.
  std::string report() const;
};

/// Chooses the free benchmarks minimising the criterion (Eq. (2); BasisCriterion) over the
/// prior. components: C × P; ranges: P × 2 (low, high) per parameter; fixed_benchmarks: F × P
/// (e.g. the SM; may have 0 rows), F ≤ C + n_overcomplete; component_cross_sections: s with
/// σ(θ) = φ(θ)ᵀ s (Morphing::component_cross_sections), required by the cross-section criteria,
/// which also require σ(θ) > 0 at every quadrature point and at every benchmark.
///
/// Method: the free points are x = centre + half-width·scale·sin(u) (a smooth map of the box onto
/// ℝ, so the box constraint needs no projection); n_random_candidates MadMiner-style random bases
/// are scored, the best n_restarts are refined by L-BFGS (two-loop recursion, Armijo
/// backtracking) with the analytic gradient
///     ∂J/∂Θ = −2 Mᵀ H M D Mᵀ + 2 (1 − ΘM) D Mᵀ H M Mᵀ   (H = E[φφᵀ·ρ(θ)], D = diag(g(σ_b))),
/// chained through ∂Θ_bc/∂θ_bp = ∂_pφ_c(θ_b) (and ∂g(σ_b)/∂θ_b for the cross-section criteria);
/// for D = 1 the second term vanishes. Deterministic given options.seed.
/// Throws InvalidArgument for inconsistent shapes/options, NumericalError when no random
/// candidate gives a usable basis.
BasisOptimisationResult optimise_basis(const IntRowMatrix& components, const RowMatrix& ranges,
                                       const RowMatrix& fixed_benchmarks, const BasisOptimisationOptions& options = {},
                                       const std::optional<Vector>& component_cross_sections = std::nullopt);

/// The criterion of options.criterion for a given basis (B × P benchmarks, pseudo-inverse
/// morphing), with the same exact moments / quadrature sample as optimise_basis with the same
/// options. +∞ for a degenerate basis. With `gradient`, also ∂J/∂θ_bp (B × P), the analytic
/// gradient the optimiser uses (so it can be checked with check_derivatives).
double basis_objective(const IntRowMatrix& components, const RowMatrix& ranges, const RowMatrix& benchmarks,
                       const BasisOptimisationOptions& options = {},
                       const std::optional<Vector>& component_cross_sections = std::nullopt,
                       RowMatrix* gradient = nullptr);

/// Monte-Carlo estimate of the criterion on an explicit θ sample (T × P): the mean over the rows
/// of the integrand of BasisCriterion. Used to compare bases on one large independent sample.
double sampled_basis_objective(const IntRowMatrix& components, const RowMatrix& benchmarks, const RowMatrix& thetas,
                               BasisCriterion criterion = BasisCriterion::expected_squared_weights,
                               const std::optional<Vector>& component_cross_sections = std::nullopt);

/// MadMiner's method (PhysicsMorpher.optimize_basis, v0.9): n_trials bases with the free points
/// uniform in the ranges, each scored by the mean of Σ_b w_b² over n_test_thetas fresh uniform θ
/// points, the lowest score wins. Returns the winning B × P benchmarks (fixed first). Bases that
/// are singular are skipped (MadMiner would fail on them).
RowMatrix madminer_random_basis(const IntRowMatrix& components, const RowMatrix& ranges,
                                const RowMatrix& fixed_benchmarks, Index n_free, Index n_trials, Index n_test_thetas,
                                std::uint64_t seed);

/// θ points drawn from the prior (T × P), as used for quadrature and evaluation samples.
RowMatrix sample_prior(const RowMatrix& ranges, const BasisOptimisationOptions& options, Index n_points,
                       std::uint64_t seed);

}  // namespace sbi
