#pragma once
/// @file wh_simulator.hpp
/// Built-in leading-order simulator of p p → W± H → ℓ± ν b b̄ at √s = 13 TeV with anomalous HWW
/// couplings: the process of the seed talk "Searching for HWW anomalous couplings with
/// simulation-based inference" (Silva, Ochoa, Muño, Barrué, 2024), with its two Wilson coefficients
/// θ = (c_HWtil, c_HW) at Λ = 1 TeV. It needs no MadGraph: a newcomer's first sample, and — at
/// parton level — a ground truth with exact p(x|θ), r(x|θ0,θ1) and t(x|θ).
///
/// ## Physics (DESIGN.md §4)
/// * Process: q q̄′ → W*± → W± H, W → ℓ ν (ℓ = e, μ, massless), H → b b̄ isotropic in the H rest
///   frame (a scalar decay; θ-independent) with BR(H → bb̄) = `br_h_bb`, H on shell (narrow width).
///   Channels u d̄, c s̄ → W+ and d ū, s c̄ → W−, each with the quark from either beam; unit CKM as
///   in SMEFTsim's U(3)/topU3l flavour models. Every event's weight is summed over all channels and
///   beam orientations that give its final state, so at parton level the weight is dσ(x|θ) itself.
/// * HWW vertex (JHUGen convention; Gritsan, Röntsch, Schulze, Xiao, "Constraining anomalous Higgs
///   boson couplings to the heavy flavor fermions using matrix element techniques",
///   arXiv:1606.03107, Eq. 1 / the JHUGen manual; the "Anomalous couplings in HVV" slide of seed
///   003):  A = (2/v)[a1 m_W² ε1·ε2 + a2 f⁽¹⁾_μν f⁽²⁾μν + a3 f⁽¹⁾_μν f̃⁽²⁾μν],
///   f⁽ⁱ⁾μν = εⁱμ qⁱν − εⁱν qⁱμ, f̃_μν = ½ ε_μνρσ f^ρσ, ε₀₁₂₃ = +1, with q1 = −p_W* (the
///   s-channel W momentum, flipped) and q2 = p_W; ε1 is the quark current, ε2 the lepton current.
/// * Wilson coefficients (SMEFTsim, Warsaw basis, Λ = `lambda`): a1 = 1,
///   a2 = −(v²/Λ²) c_HW, a3 = −(v²/Λ²) c_HWtil, v² = 1/(√2 G_F) (v²/Λ² = 0.0606 at 1 TeV).
///   c_HW > 0 raises the rate. |M|² is exactly quadratic in θ: per event sbi stores the six
///   components D_c of dσ(θ) = Σ_c φ_c(θ) D_c with φ(θ) = (1, c_HWtil, c_HW, c_HWtil², c_HWtil·c_HW,
///   c_HW²), so weights at any θ — any benchmarks, any morphing basis — are exact.
/// * Amplitudes: massless Weyl spinors, the left-handed quark and lepton currents
///   v̄(q̄) γ^μ P_L u(q) and ū(f) γ^μ P_L v(f̄) (Peskin–Schroeder conventions, P_L = (1 − γ5)/2),
///   s-channel and decay W propagators with fixed width (Breit–Wigner), gauge couplings
///   g = 2 m_W/v. Inputs as SMEFTsim's cards: m_W = 80.387, Γ_W = 2.085, m_H = 125.09 GeV,
///   G_F = 1.166379e-5 GeV⁻².
/// * Parton densities: the GRV94 leading-order parametrisation (M. Glück, E. Reya, A. Vogt,
///   Z. Phys. C67 (1995) 433), an analytic formula — APPROXIMATE: it predates the HERA/LHC data
///   that modern sets fit, so rates differ from a modern LO set by O(10–20 %) (LHAPDF is not
///   available here). Factorisation scale μ_F = (m_T(W) + m_T(H))/2 = H_T/2.
/// * The SM rate is checked in the tests against σ_LO(pp → W±H, 13 TeV) = 1.195 pb of
///   MadGraph5_aMC@NLO (Alwall et al., JHEP 07 (2014) 079, arXiv:1405.0301, Table 7, process c.2),
///   within ±30 %.
///
/// ## Detector model (ignored with `parton_level`)
/// Lepton p_T smeared by a Gaussian of relative width `lepton_resolution` (direction kept); each
/// b-jet's four-momentum scaled by 1 + N(0, σ_E/E) with σ_E/E = `jet_stochastic`/√(E/GeV) ⊕
/// `jet_constant`; missing transverse momentum = neutrino p_T + N(0, `met_noise`) per component.
/// The neutrino p_z is reconstructed from the W mass constraint (the smaller |p_z| solution; the
/// real part when there is none). b-jets are ordered by p_T (b1 leading).
///
/// ## Selection (the seed talk's generator-level cuts, applied to the observed objects)
/// p_T,ℓ > 10 GeV, E_T^miss > 25 GeV, p_T,b > 35 GeV, |η_ℓ,b| < 2.5, ΔR(b,b), ΔR(b,ℓ) > 0.4,
/// 80 < m_bb < 160 GeV; for the tt̄-like background also a veto on light quarks with p_T > 30 GeV
/// and |η| < 2.5 (the talk's p_T,j < 30 GeV).
///
/// ## Backgrounds (θ-independent MODELS, not predictions; process ids 1 and 2)
/// * "ttbar": semileptonic tt̄-like: m_tt̄ = 2 m_t + Gamma(2, 60 GeV), y_tt̄ ~ N(0, 1), isotropic
///   production and isotropic t → bW, W → ℓν / qq̄′ decays (Breit–Wigner W), normalised to
///   σ = 831.76 pb (NNLO+NNLL, m_t = 172.5 GeV) × BR(ℓ = e, μ semileptonic) = 243.6 pb before cuts.
/// * "wbb": W + bb̄-like: m_bb = 20 GeV + Exp(50 GeV), m_Wbb = m_W + m_bb + Exp(120 GeV),
///   y ~ N(0, 1.2), isotropic two-body production and decays, 60 % W+; normalised to a model
///   σ = 20 pb (ℓ = e, μ, m_bb > 20 GeV) before cuts.
/// Their weights are equal at every benchmark and their sampling benchmark is −1.
///
/// ## Observables (names, in this order; GeV, radians)
/// e_l px_l py_l pz_l pt_l eta_l phi_l, the same for b1 and b2, met met_x met_y pz_nu (reconstructed
/// ν p_z; the true one at parton level), pt_w y_w (W = ℓ + ν), m_bb pt_bb y_bb, mt_w (m_T of ℓ and
/// p_T^miss), mt_lvbb (DESIGN §4: √(E² − p_z²) of ℓ + b1 + b2 + (|p_T^miss|, p_T^miss, 0)),
/// m_lvbb, delta_phi_l_met, delta_phi_b1_b2, delta_phi_l_b1, delta_phi_w_bb, delta_r_b1_b2,
/// delta_r_l_b1, delta_r_l_b2, delta_r_w_bb, q_l (lepton charge ±1), ql_cos_deltaplus,
/// ql_cos_deltaminus (Q_ℓ cos δ±, DESIGN §4: cos δ⁺ = p⃗_ℓ^W·(p⃗_H × p⃗_W)/(|p⃗_ℓ^W||p⃗_H × p⃗_W|) with
/// p⃗_ℓ^W the lepton in the W rest frame and H = b1 + b2; cos δ⁻ from ℓ and ν boosted by +β⃗_H,
/// (p⃗_ℓ′ × p⃗_ν′)·p⃗_W/(|p⃗_ℓ′ × p⃗_ν′||p⃗_W|)). Δφ ∈ [−π, π] is signed (first minus second).
///
/// ## Generation
/// Candidates are drawn from a fixed proposal (Breit–Wigner in m_ℓν, 1/τ² in τ = x1 x2, flat
/// rapidity and decay angles) with P(W+) set in the first warm-up block so that the two charges'
/// largest weights are equal. Candidates failing the angular cuts are rejected before smearing,
/// the others failing any cut before the matrix element is evaluated. The rest are unweighted
/// against w_max (`max_weight_excess`): an event above it is kept with its larger weight, so the
/// sample stays unbiased (with the default about 1 % of the events weigh up to ≈ 1.3 times the
/// others; 0 makes all weights equal up to events above the warm-up's largest weight). Adaptive
/// VEGAS grids on the proposal's variables were tried and raise the largest weight: the cuts make
/// the integrand's peaks non-separable.
///
/// ## Determinism
/// Work is cut into blocks of candidates, block k drawing from xoshiro256** seeded with a hash of
/// (seed, k); blocks run on `threads` threads and are merged in block order, so a seed gives the same
/// events for every thread count.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sbi/events.hpp"
#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi {

/// Options of the WH simulator. Every field has a documented default; validate() names a bad one.
struct WHOptions {
  /// Collider energy √s in GeV.
  double sqrt_s = 13000.0;
  /// W mass and width, Higgs mass, b mass (GeV), Fermi constant (GeV⁻²).
  double m_w = 80.387;
  double gamma_w = 2.085;
  double m_h = 125.09;
  double m_b = 4.7;
  double g_fermi = 1.166379e-5;
  /// New-physics scale Λ in GeV: a2 = −(v²/Λ²) c_HW, a3 = −(v²/Λ²) c_HWtil.
  double lambda = 1000.0;
  /// BR(H → bb̄) (LHC Higgs WG, m_H = 125.09 GeV).
  double br_h_bb = 0.5809;
  /// Number of massless lepton flavours summed (2 = e, μ).
  int lepton_flavours = 2;
  /// The ℓν mass is generated within m_W ± bw_cutoff · Γ_W (MadGraph's bwcutoff). > 0.
  double bw_cutoff = 15.0;
  /// True: observables from the parton-level momenta (x = z, true ν p_z, no smearing) so the exact
  /// truth applies; false: the detector model.
  bool parton_level = false;
  /// Apply the seed talk's selection (see the file comment).
  bool apply_cuts = true;
  /// Relative Gaussian lepton p_T resolution.
  double lepton_resolution = 0.02;
  /// b-jet energy resolution σ_E/E = jet_stochastic/√E ⊕ jet_constant.
  double jet_stochastic = 1.0;
  double jet_constant = 0.05;
  /// Gaussian noise on each missing-p_T component (GeV).
  double met_noise = 10.0;
  /// True: events unweighted at the sampling benchmark (equal weights there, as MadGraph's); false:
  /// weighted events from `n` candidates (only those passing the cuts are returned).
  bool unweighted = true;
  /// Weighted candidates used to tune the proposal, to find the unweighting maximum and to
  /// integrate the cross-section components before generation (in blocks of 8192). ≥ 1000.
  Index warmup = 100000;
  /// Unweighting maximum (see "Generation" in the file comment): the smallest w_max for which the
  /// warm-up weights above it carry at most this fraction of the cross section in excess of it,
  /// Σ max(0, w − w_max) ≤ ε Σ w. 0 = the largest warm-up weight. In [0, 0.1).
  double max_weight_excess = 1e-3;
  /// Threads (≥ 1). The result does not depend on it.
  int threads = 1;
  /// Background normalisations before cuts, pb (see the file comment). ≥ 0.
  double ttbar_cross_section = 243.6;
  double wbb_cross_section = 20.0;

  void validate() const;
};

/// Parton-level kinematics of one signal event: lab-frame four-momenta (E, px, py, pz) in GeV.
struct WHPartonEvent {
  std::array<double, 4> lepton{}, neutrino{}, b{}, bbar{};
  /// Incoming partons along +z (beam 1) and −z (beam 2); massless.
  std::array<double, 4> parton1{}, parton2{};
  /// Lepton charge ±1 (= W charge).
  int charge = 1;
};

/// A generated sample: the set-up, the events, and what the truth needs.
struct WHSample {
  /// Parameters (c_HWtil: SMEFTcpv 4, c_HW: SMEFT 7; max power 2, ranges [−1.2, 1.2], [−1, 1]),
  /// the benchmarks, the morphing (components and matrix, when there are exactly 6 physical
  /// benchmarks forming an invertible basis), the observables.
  Setup setup;
  /// Observations, weights at the benchmarks (pb; Σ over events = σ after cuts), sampling benchmark
  /// (−1 for background), process ids (0 signal, 1 ttbar, 2 wbb) and names.
  Events events;
  /// N × 6: the components D_c of every event's weight, dσ_i(θ) = Σ_c φ_c(θ) D_ic (pb), in the
  /// order of wh_monomials(); background rows are (w, 0, 0, 0, 0, 0).
  RowMatrix components;
  /// The six integrated signal cross-section components σ_c (pb, after cuts), from all candidates
  /// (warm-up and generation): σ(θ) = Σ_c φ_c(θ) σ_c. Used by the exact truth.
  Vector sigma_components;
  /// Parton-level momenta per event, N × 24: lepton, neutrino, b1, b2 (p_T-ordered), parton1,
  /// parton2, each (E, px, py, pz) (backgrounds: zeros for the partons).
  RowMatrix momenta;
  /// The options the sample was generated with (what the exact truth checks, e.g. parton_level).
  WHOptions options;
  /// Weighted candidates tried (warm-up included), of them in the warm-up, accepted events, and
  /// events whose weight exceeded the unweighting maximum (kept with a larger weight, so the sample
  /// stays unbiased).
  Index candidates = 0;
  Index warmup_candidates = 0;
  Index accepted = 0;
  Index overweight = 0;
};

/// Parton densities x·f(x, Q²) → f(x, Q²) of the proton (not x·f), GRV94 LO (see the file comment).
/// Valid for 1e-5 ≤ x < 1 and 0.4 ≤ Q² ≤ 1e6 GeV² (Q² is clamped to that range; 0 for x ≥ 1).
struct PartonDensities {
  double u = 0, d = 0, ubar = 0, dbar = 0, s = 0, c = 0, g = 0;  ///< s = s̄, c = c̄
};
PartonDensities grv94_lo(double x, double q2);

/// φ(θ) = (1, c_HWtil, c_HW, c_HWtil², c_HWtil·c_HW, c_HW²) for θ = (c_HWtil, c_HW).
std::array<double, 6> wh_monomials(const Vector& theta);
/// ∂φ/∂θ_p for p = 0 (c_HWtil), 1 (c_HW).
std::array<std::array<double, 6>, 2> wh_monomial_gradients(const Vector& theta);

/// The exact truth at parton level (x = z): for every event of a parton-level sample,
/// log p(x|θ) (density with respect to dx1 dx2 dΦ₃(ℓ, ν, H) dΩ_b/4π, i.e. dσ(x|θ)/σ(θ) in those
/// variables), log r(x|θ0, θ1) and t(x|θ0). Exact up to the Monte Carlo precision of σ(θ)
/// (sigma_components), a θ-smooth normalisation common to all events.
struct WHTruth {
  Vector log_p;
  Vector log_r;
  RowMatrix t;  ///< N × 2
};

/// The WH simulator.
class WHSimulator {
 public:
  explicit WHSimulator(WHOptions options = {});
  const WHOptions& options() const { return options_; }

  /// The two parameters (c_HWtil, c_HW).
  static ParameterSpace parameter_space();
  /// "sm" and the seed talk's optimised 2-D basis: (−0.902, 0.420), (−0.234, 0.970),
  /// (−1.120, −0.764), (0.720, −0.873), (1.150, 0.630) — six points for six components.
  static std::vector<Benchmark> default_benchmarks();
  /// Observable names in the order of Events::observations (see the file comment).
  static std::vector<std::string> observable_names();
  /// v²/Λ².
  double kappa() const;
  /// (a1, a2, a3) at θ.
  std::array<double, 3> couplings(const Vector& theta) const;

  /// Spin- and colour-summed/averaged |M|² pieces for one orientation: the 3 × 3 Hermitian
  /// products Re(A_i A_j*) of the amplitude pieces A_1,2,3 multiplying a1, a2, a3, including
  /// couplings, propagators and the average 1/4 · 1/3; units GeV⁻² (a 2 → 3 amplitude q q̄′ → ℓ ν H
  /// squared; no parton densities, no BR(H → bb̄)).
  /// `quark` and `antiquark` are the incoming momenta.
  std::array<std::array<double, 3>, 3> matrix_element_pieces(const std::array<double, 4>& quark,
                                                             const std::array<double, 4>& antiquark,
                                                             const WHPartonEvent& event) const;
  /// |M|²(θ) for one orientation (quark = parton1 when quark_in_beam1).
  double matrix_element_squared(const WHPartonEvent& event, const Vector& theta, bool quark_in_beam1) const;
  /// The six components D_c of dσ(x|θ) (pb, density w.r.t. dx1 dx2 dΦ₃ dΩ_b/4π), summed over
  /// channels and orientations.
  std::array<double, 6> dsigma_components(const WHPartonEvent& event) const;

  /// Observables of a parton-level event (no smearing).
  Vector parton_observables(const WHPartonEvent& event) const;

  /// Generates `n` signal events (unweighted mode: exactly n; weighted: those of n candidates that
  /// pass the cuts) at `benchmarks[sampling_benchmark]`, with weights at every benchmark.
  /// Empty `benchmarks` means default_benchmarks(). InvalidArgument for a bad index or n < 0.
  WHSample generate(Index n, std::uint64_t seed, const std::vector<Benchmark>& benchmarks = {},
                    Index sampling_benchmark = 0) const;
  /// Appends background events (n_ttbar tt̄-like, n_wbb W+bb̄-like, unweighted) to a sample.
  void add_background(WHSample& sample, Index n_ttbar, Index n_wbb, std::uint64_t seed) const;

  /// Exact parton-level truth for every event of a parton-level signal-only sample (momenta and
  /// σ components from the sample, dσ(x|θ) recomputed with this simulator). InvalidArgument when
  /// the sample was not generated at parton level (its `options.parton_level`, not this
  /// simulator's), holds background, or was generated with other physics options (√s, masses,
  /// widths, couplings, BR, lepton flavours) than this simulator's.
  WHTruth truth(const WHSample& sample, const Vector& theta0, const Vector& theta1) const;

  /// σ(θ) in pb after cuts from a sample's integrated components.
  static double cross_section(const WHSample& sample, const Vector& theta);

 private:
  WHOptions options_;
};

/// Permutes the events of a sample — observations, weights, sampling benchmarks, process ids,
/// components and momenta together — with the permutation sbi::shuffle(Events&, seed) applies.
/// InvalidArgument when the per-event arrays disagree in length.
void shuffle(WHSample& sample, std::uint64_t seed);

/// Writes a sample as an events file in MadMiner's layout (atomically, write_madminer_file) with
/// the truth inputs as sbi-only datasets that MadMiner ignores (docs/file-formats.md):
/// `sbi_wh/momenta` (N × 24), `sbi_wh/components` (N × 6), `sbi_wh/sigma_components` (6),
/// `sbi_wh/option_names` + `sbi_wh/option_values` (every WHOptions field; bools 0/1) and
/// `sbi_wh/generation` (candidates, warm-up candidates, accepted, overweight).
/// InvalidArgument when the sample's arrays disagree in shape.
void write_wh_events(const std::filesystem::path& path, const WHSample& sample);

/// Reads a file written by write_wh_events back into a WHSample (set-up, events, components,
/// momenta, σ components, options, generation counts). FormatError naming the file and dataset
/// when a truth dataset is missing (a file of another generator, or one rewritten by a tool that
/// drops sbi's datasets), has the wrong shape, or holds an unknown or missing option; for a
/// parton-level file also when an event's observations differ from those of its momenta (events
/// reordered or edited elsewhere).
WHSample read_wh_events(const std::filesystem::path& path);

/// Benchmarks to generate at, read from a set-up file in MadMiner's layout (e.g. one written by
/// `sbi morphing optimize` from a WH events file): its physical benchmarks, the one to sample at
/// (the reference benchmark, else one at θ = 0, else the first) and its stored morphing.
struct WHBenchmarks {
  std::vector<Benchmark> benchmarks;
  Index sampling_benchmark = 0;
  std::optional<StoredMorphing> morphing;
};
/// InvalidArgument (naming the file) when its parameters are not (c_HWtil, c_HW) in that order or
/// it has no physical benchmark; the read errors of read_madminer_file otherwise.
WHBenchmarks read_wh_benchmarks(const std::filesystem::path& path);

/// What `sbi generate wh` does, as one call: options of the run (the physics and detector options
/// are the simulator's).
struct WHGenerateOptions {
  /// Signal events (unweighted at the sampling benchmark). ≥ 0.
  Index events = 10000;
  /// Background events, split ⌈N/2⌉ tt̄-like and ⌊N/2⌋ W+bb̄-like; `ttbar` and `wbb` add to them. ≥ 0.
  Index background = 0;
  Index ttbar = 0;
  Index wbb = 0;
  /// Set-up file whose physical benchmarks the events carry weights at (read_wh_benchmarks); empty:
  /// WHSimulator::default_benchmarks().
  std::filesystem::path benchmarks;
  /// Seed of the signal; the background uses seed + 1 and the shuffle of signal and background
  /// (the partitions are slices of the file order) seed + 2.
  std::uint64_t seed = 1;

  /// InvalidArgument("field = value: …") for a negative count.
  void validate() const;
};
/// Signal (and background, shuffled in) with weights at the benchmarks; a stored morphing of the
/// benchmarks file is kept when the benchmarks do not form a square basis the simulator inverts.
WHSample generate_wh_sample(const WHSimulator& simulator, const WHGenerateOptions& options);

/// Writes a sample as a MadGraph-shaped LHE 3.0 file (atomically): `<MGRunCard>` with
/// `event_norm = sum` (XWGTUP is the event's weight in pb at its sampling benchmark; Σ = σ), a
/// `<slha>` param card with blocks SMEFT (7 chw) and SMEFTcpv (4 chwtil), an `<initrwgt>`
/// weightgroup 'mg_reweighting' with one `<weight id='benchmark name'>set param_card smeftcpv 4 …`
/// per benchmark, and per event `<rwgt><wgt id='…'>` with the benchmark weights. Signal events:
/// q q̄′ (−1), W± and H (2), ℓ, ν, b, b̄ (1); incoming flavours u d̄ / d ū in the orientation with
/// the larger luminosity × |M|²_SM, lepton flavour alternating e, μ. Background events (no parton
/// record): two gluons carrying the final state's (E ± p_z)/2, then ℓ, ν, b, b̄. 10 significant
/// digits. Throws FileError when the file cannot be written.
void write_wh_lhe(const std::filesystem::path& path, const WHSample& sample, const WHSimulator& simulator);

}  // namespace sbi
