#pragma once
/// @file lhe.hpp
/// Reading Les Houches Event files (LHE, plain or gzip) into sbi's data model (DESIGN.md §3).
///
/// Four layers, each usable on its own:
///  1. lhe::Reader streams one file: the header (run card, param card, `<initrwgt>` weight
///     declarations), the `<init>` block, and one event at a time (HEPEUP particle records,
///     XWGTUP, MadGraph `<rwgt><wgt id=…>` weights, LHEF3 `<weights>` lists, event attributes).
///     Memory is constant in the number of events: one reused line buffer and one reused Event.
///  2. lhe::setup_from_header turns MadGraph reweighting texts (`set param_card smeft 7 0.1`)
///     into parameters and benchmarks, so the set-up can come from the LHE file itself.
///  3. lhe::Kinematics + lhe::ObservableCalculator compute observables and cuts: built-in
///     variables (`pt_j1`, `m_jj`, …; see "Variable names" below), muparser expressions over them,
///     and C++ callables.
///  4. lhe::convert reads several files (signal at a sampling benchmark, or background) into a
///     MadMinerFile (write it with sbi::write_madminer_file).
///
/// Errors: anything malformed in a file (truncated gzip, broken tags, a missing or non-numeric
/// weight, fewer particle lines than NUP declares, an unknown weight id) throws sbi::FormatError
/// whose message names the file, the line and the event index. Option misuse throws
/// sbi::InvalidArgument ("field = value: what it must be").
///
/// ## Weight normalisation (what "pb per event" means)
/// MadMiner stores per-event weights whose sum over the events of a sample is the cross section.
/// MadGraph's run card says how its weights are normalised (`event_norm`): with `average` every
/// weight is of order σ and σ = mean weight, so MadMiner divides every weight by the number of
/// events; with `sum` the weights already sum to σ. sbi does the same, with one difference: it
/// divides by the number of events actually read from the file, where MadMiner divides by the run
/// card's `nevents` (identical for complete files; for a cut or merged file sbi's σ stays right).
///
/// ## Variable names (for expressions and lhe::builtin_variable)
/// Collections of final-state (status 1) particles, each ordered by decreasing p_T:
///   `l` leptons (e, μ), `e` electrons, `mu` muons, `ta` taus, `a` photons, `j` jets = partons
///   (d u s c b quarks and gluons), `b` b quarks, `v` neutrinos (and the
///   KinematicsOptions::invisible_pdg_ids), `h` Higgs bosons (status 1 or 2), `vis` all visible.
/// Per object k = 1, 2, … (1 = leading):
///   `pt_X{k}`, `eta_X{k}`, `y_X{k}` (rapidity), `phi_X{k}`, `e_X{k}` (energy), `m_X{k}`,
///   `px_X{k}`, `py_X{k}`, `pz_X{k}`, `charge_X{k}` (sign of the PDG id's charge, ±1; 0 for neutral)
///   e.g. `pt_j1`, `eta_l2`, `m_h1`.
/// Pairs of the two leading objects of one collection XX ∈ {jj, ll, ee, mumu, aa, bb}:
///   `m_XX`, `pt_XX`, `y_XX`, `deta_XX` (|Δη|), `dphi_XX` (|Δφ| in [0, π]), `dr_XX` (ΔR),
///   and `dphi_jj_signed`: φ(forward jet) − φ(backward jet) in (−π, π], the jet with the larger
///   η taken as forward (the CP-sensitive signed Δφ_jj of VBF studies; MadMiner's delta_phi_jj).
/// Counts and sums: `n_X` (number of objects in collection X), `ht` (Σ p_T of jets),
///   `met`, `phi_met` (missing transverse momentum = the neutrinos' and invisible particles' p_T),
///   `mt_l1` (transverse mass of the leading lepton and the missing momentum),
///   `m_vis`, `pt_vis` (all visible final-state particles together), `weight` (XWGTUP).
/// Cross-collection ΔR / Δφ between leading objects: `dr_X1Y1`, `dphi_X1Y1` for X ≠ Y among
///   {l, e, mu, a, j, b, h} (e.g. `dr_l1j1`, `dphi_a1j1`).
/// A variable whose object does not exist in the event (`pt_j2` with one jet) is *undefined*:
/// an expression that uses it is undefined, and the observable's policy applies (drop the event
/// or store a default, see ObservableSpec). Counts, `met`, `ht` and `weight` are always defined.

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
#include "sbi/setup.hpp"

namespace sbi::lhe {

// ------------------------------------------------------------------------------------------------
// 1. Reading files
// ------------------------------------------------------------------------------------------------

/// One particle of an event (the Les Houches HEPEUP record; names as in the accord).
struct Particle {
  int pdg_id = 0;        ///< IDUP
  int status = 0;        ///< ISTUP: −1 incoming, 1 outgoing final state, 2 intermediate resonance
  int mother1 = 0;       ///< MOTHUP(1), 1-based index into the event's particles, 0 = none
  int mother2 = 0;       ///< MOTHUP(2)
  int color1 = 0;        ///< ICOLUP(1)
  int color2 = 0;        ///< ICOLUP(2)
  double px = 0, py = 0, pz = 0, e = 0;  ///< PUP(1..4) in GeV
  double m = 0;          ///< PUP(5), the generated mass in GeV
  double lifetime = 0;   ///< VTIMUP in mm
  double spin = 0;       ///< SPINUP: cosine of the angle between spin and momentum; 9 = unknown
};

/// One process of the `<init>` block (HEPRUP: XSECUP, XERRUP, XMAXUP, LPRUP).
struct ProcessInfo {
  double cross_section_pb = 0;
  double cross_section_error_pb = 0;
  double max_weight = 0;
  int process_id = 0;
};

/// The `<init>` block (HEPRUP).
struct InitBlock {
  int beam_pdg_id[2] = {0, 0};          ///< IDBMUP
  double beam_energy_gev[2] = {0, 0};   ///< EBMUP
  int pdf_group[2] = {0, 0};            ///< PDFGUP
  int pdf_set[2] = {0, 0};              ///< PDFSUP
  int weighting_strategy = 0;           ///< IDWTUP (−4 … 4)
  std::vector<ProcessInfo> processes;   ///< NPRUP entries
  /// Everything after the process lines up to `</init>` (generator tags, LHEF3 extras).
  std::string extra;
};

/// A named weight declared in `<initrwgt>`: `<weight id='cHW_0p1'>set param_card smeft 7 0.1</weight>`.
struct WeightInfo {
  std::string id;
  /// The element's text, trimmed (MadGraph: the param-card changes of a reweighting point).
  std::string text;
  /// The enclosing `<weightgroup>`'s name (or its `type` when it has no name); empty when none.
  std::string group;
};

/// How the events' weights are normalised (MadGraph's run-card entry `event_norm`).
enum class EventNorm {
  unknown,  ///< No run card entry: see ReaderOptions::event_norm.
  average,  ///< σ = mean weight (MadGraph's default at LO): weights are divided by the number of events.
  sum,      ///< σ = sum of the weights: weights are used as they are.
  unity,    ///< Treated like average (σ = mean weight): divided by the number of events.
  bias,     ///< Biased generation; weights are used as they are (sum = σ).
};
/// "average", "sum", "unity", "bias", "unknown" ↔ EventNorm; InvalidArgument for anything else.
std::string_view to_string(EventNorm norm);
EventNorm event_norm_from_string(std::string_view text);

/// Everything before the first event.
struct Header {
  /// The `version` attribute of `<LesHouchesEvents>` ("1.0", "2.0", "3.0").
  std::string version;
  /// Everything between the `<LesHouchesEvents …>` line and `<init>` (the `<header>` element).
  std::string text;
  /// The `<init>` block.
  InitBlock init;
  /// Weights declared in `<initrwgt>` (in the header or, LHEF3 as edited by pylhe, in `<init>`), in
  /// file order, each id once.
  std::vector<WeightInfo> weights;
  /// MadGraph run card (content of `<MGRunCard>`), empty when absent.
  std::string run_card;
  /// Param card (content of `<slha>`), empty when absent.
  std::string param_card;
  /// `event_norm` from the run card; unknown when absent.
  EventNorm event_norm = EventNorm::unknown;
  /// `nevents` from the run card, when present.
  std::optional<std::int64_t> run_card_nevents;
  /// The "Number of Events" of `<MGGenerationInfo>`, when present.
  std::optional<std::int64_t> generated_events;
};

/// One event. Reader::next fills it in place, reusing its buffers.
struct Event {
  /// 0-based index of the event in the file.
  std::int64_t index = 0;
  /// Line number (1-based) of its `<event>` tag, for messages.
  std::int64_t line = 0;
  int process_id = 0;          ///< IDPRUP
  double weight = 0;           ///< XWGTUP, as in the file (no normalisation)
  double scale = 0;            ///< SCALUP in GeV
  double alpha_qed = 0;        ///< AQEDUP
  double alpha_qcd = 0;        ///< AQCDUP
  std::vector<Particle> particles;
  /// Named weights (`<rwgt><wgt id=…>`), in the order of Reader::weight_ids(); as in the file. An
  /// event without `<wgt>` entries whose LHEF3 `<weights>` list has one value per declared id
  /// (POWHEG-BOX) gets that list here, in declaration order.
  std::vector<double> named_weights;
  /// LHEF3 `<weights>` list (unnamed weights), as in the file.
  std::vector<double> weight_list;
  /// Attributes of the `<event …>` tag (`npLO`, `trials`, …), values trimmed.
  std::vector<std::pair<std::string, std::string>> attributes;
};

/// Options of Reader.
struct ReaderOptions {
  /// Weight normalisation used when the file's run card has no `event_norm` (POWHEG, Sherpa,
  /// WHIZARD files): unknown means "decide from IDWTUP": |IDWTUP| = 3 or 4 → average (the
  /// accord's mean-weight convention), anything else → sum. Set it to override the header too
  /// (see override_header_event_norm).
  EventNorm event_norm = EventNorm::unknown;
  /// When true, event_norm (if not unknown) wins over the run card's entry. Default false.
  bool override_header_event_norm = false;
  /// Longest accepted line in bytes; a longer "line" (binary junk, a missing newline in a huge
  /// file) is a FormatError instead of unbounded memory. Default 16 MiB; must be ≥ 1024.
  std::size_t max_line_bytes = std::size_t{16} << 20;
  /// Largest accepted NUP (particles per event). Default 100000; must be ≥ 1.
  int max_particles = 100000;
  /// Throws InvalidArgument ("field = value: what it must be").
  void validate() const;
};

/// Streams one LHE file (plain or gzip, detected from the content, not the name).
///
/// Usage:
///   lhe::Reader reader("events.lhe.gz");
///   lhe::Event event;
///   while (reader.next(event)) { use(event); }
///
/// The constructor reads the header and the `<init>` block; next() reads one event. Named
/// weights are matched by id to Reader::weight_ids(): the ids declared in the header's
/// `<initrwgt>`, or, without declarations, the ids of the first event's `<rwgt>` block. Every
/// event must carry exactly these ids (in any order); a missing, unknown or non-numeric one is
/// a FormatError. Not thread-safe; one Reader per thread.
class Reader {
 public:
  /// Opens the file and reads the header. Throws FileNotFound, FileError, FormatError.
  explicit Reader(const std::filesystem::path& path, const ReaderOptions& options = {});
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  const Header& header() const;
  const std::filesystem::path& path() const;
  /// Ids of the named weights, in the order of Event::named_weights (see the class comment).
  /// Before the first next() of a file without `<initrwgt>` this may be empty.
  const std::vector<std::string>& weight_ids() const;
  /// The normalisation in force (header's, or the option's, or from IDWTUP; never unknown).
  EventNorm event_norm() const;
  /// Reads the next event into `event`; false at the end of the file (after checking that the
  /// file ends properly with `</LesHouchesEvents>` and, for gzip, a complete stream).
  bool next(Event& event);
  /// Events read so far.
  std::int64_t events_read() const;
  /// Bytes of uncompressed LHE text consumed so far.
  std::int64_t bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads only the header of a file (Reader's constructor, then close).
Header read_header(const std::filesystem::path& path, const ReaderOptions& options = {});

// ------------------------------------------------------------------------------------------------
// 2. Benchmarks from the file: MadGraph reweighting texts
// ------------------------------------------------------------------------------------------------

/// One param-card change: `set param_card smeft 7 0.1 # orig: 0.0` → {"smeft", 7, 0.1, 0.0}.
struct ParamCardChange {
  std::string block;   ///< as written in the text (compare case-insensitively)
  std::int64_t lha_id = 0;
  double value = 0;
  std::optional<double> original;  ///< the `# orig:` value when present
};

/// Parses a reweighting text: one `set [param_card] BLOCK ID VALUE [# orig: X]` per line; empty
/// lines and `#` comment lines are skipped. Returns nullopt when the text has any other content
/// (a scale or PDF variation: not a parameter point). An empty text is a valid point (no change).
/// Throws InvalidArgument for a `set` line that is malformed (non-numeric value, multi-index ids).
std::optional<std::vector<ParamCardChange>> parse_reweight_text(std::string_view text);

/// Value of a param-card entry: the line `ID VALUE # comment` inside `BLOCK name`; block names are
/// case-insensitive. Returns {value, comment} or nullopt.
std::optional<std::pair<double, std::string>> param_card_entry(std::string_view param_card, std::string_view block,
                                                               std::int64_t lha_id);

/// Options of setup_from_header.
struct SetupFromHeaderOptions {
  /// Maximal power of every parameter in |M|² (2: one dimension-six insertion). Must be ≥ 1.
  int max_power = 2;
  /// Parameters to use instead of the detected ones (matched to the texts' block/id case-
  /// insensitively; their order defines θ). Empty = detect: one parameter per (block, id) that
  /// any reweighting text changes, ordered by block then id, named after the param card's comment
  /// for that entry (`7 0.000000e+00 # chw` → "chw") or, without one, "BLOCK_ID".
  std::vector<Parameter> parameters;
  /// Range of a detected parameter: [−r, r] with r = max |θ| over the benchmarks times this
  /// factor (r = 1 when every benchmark has 0). Must be > 0. Default 1.
  double range_factor = 1.0;
  /// Store the morphing the benchmarks determine: components with every power ≤ max_power and
  /// total ≤ max_power (the quadratic morphing of dimension-six operators for max_power 2), and
  /// the morphing matrix of the physical benchmarks (square, or minimum-norm when over-complete).
  /// Left out, without error, when there are fewer benchmarks than components or they are
  /// degenerate; `sbi morphing optimize` can then make a basis.
  bool build_morphing = true;
};

/// The set-up described by a file's reweighting weights: one benchmark per weight whose text
/// parses as param-card changes (parse_reweight_text), named by the weight id, in file order.
/// A parameter that a weight does not change takes its original value (the `# orig:` of another
/// text, else the param card's value, else 0). The first benchmark whose values are all original
/// is flagged as reference. Weights of groups without any `set` line (scale, PDF variations) are
/// skipped. Throws NotFound when no weight describes a parameter point, InvalidArgument for bad
/// options.
Setup setup_from_header(const Header& header, const SetupFromHeaderOptions& options = {});

/// For every benchmark of `setup` (in order), the index into `weight_ids` of its weight: the id
/// given for it in `weight_for_benchmark` (pairs benchmark name → weight id), else the id equal
/// to the benchmark's name, else the one equal ignoring case. Throws NotFound naming the
/// benchmark and listing the ids when one has no weight.
std::vector<int> map_benchmarks_to_weights(const Setup& setup, const std::vector<std::string>& weight_ids,
                                           const std::vector<std::pair<std::string, std::string>>& weight_for_benchmark = {});

// ------------------------------------------------------------------------------------------------
// 3. Observables and cuts
// ------------------------------------------------------------------------------------------------

/// A four-momentum (px, py, pz, E) in GeV with the usual derived quantities.
struct FourMomentum {
  double px = 0, py = 0, pz = 0, e = 0;
  double pt() const;
  /// Pseudorapidity; ±1e10 along the beam (p_T = 0).
  double eta() const;
  /// Rapidity ½ ln((E + p_z)/(E − p_z)); ±1e10 when E = |p_z|.
  double rapidity() const;
  /// Azimuth in (−π, π].
  double phi() const;
  /// Invariant mass; negative m² (rounding) gives −√(−m²).
  double m() const;
  FourMomentum& operator+=(const FourMomentum& o) {
    px += o.px, py += o.py, pz += o.pz, e += o.e;
    return *this;
  }
};
FourMomentum operator+(FourMomentum a, const FourMomentum& b);
/// Δφ wrapped to (−π, π].
double delta_phi(double phi1, double phi2);
/// ΔR = √(Δη² + Δφ²).
double delta_r(const FourMomentum& a, const FourMomentum& b);

/// A final-state object: momentum and PDG id.
struct PhysicsObject {
  FourMomentum p;
  int pdg_id = 0;
};

/// Options of Kinematics.
struct KinematicsOptions {
  /// PDG ids (absolute values) of invisible particles besides the neutrinos (e.g. 1000022 for
  /// the lightest neutralino); they count towards the missing momentum and not towards `vis`.
  std::vector<int> invisible_pdg_ids;
};

/// The particle collections of one event (see "Variable names" at the top), each ordered by
/// decreasing p_T. Reused between events (clear() keeps the memory).
struct Kinematics {
  std::vector<PhysicsObject> leptons, electrons, muons, taus, photons, jets, b_quarks, neutrinos, higgs, visible;
  FourMomentum missing;  ///< Σ of neutrinos and invisible particles (only its p_T is physical)
  const Event* event = nullptr;
  /// Fills the collections from an event.
  void fill(const Event& event, const KinematicsOptions& options = {});
};

/// A C++ observable: returns the value, or NaN when undefined for this event.
using ObservableFunction = std::function<double(const Kinematics&)>;

/// The built-in variable of this name (see "Variable names"), NaN when undefined. Throws
/// NotFound (with examples of valid names) for an unknown name.
ObservableFunction builtin_variable(std::string_view name);
/// True when `name` is a built-in variable.
bool is_builtin_variable(std::string_view name);

/// An observable to compute for every event.
struct ObservableSpec {
  /// Name stored in the file (`observables/names`). Must be non-empty and unique.
  std::string name;
  /// muparser expression over the built-in variables (`pt_j1`, `abs(eta_j1 - eta_j2)`,
  /// `m_jj > 500 ? 1 : 0`); stored as the definition. Ignored when `function` is set.
  std::string expression;
  /// C++ callable (NaN = undefined). When set, `expression` is only the stored definition
  /// (empty → "None").
  ObservableFunction function;
  /// Undefined for an event (uses a missing object, or the value is NaN or infinite): when true (the
  /// default) the event is dropped; when false `default_value` is stored instead.
  bool required = true;
  double default_value = 0.0;
};

/// A cut: the event passes when the expression is non-zero (or the callable returns non-zero).
struct CutSpec {
  std::string expression;
  ObservableFunction function;
  /// Whether an event for which the cut is undefined passes. Default false (dropped).
  bool pass_if_undefined = false;
};

/// A per-event efficiency (MadMiner's LHEReader.add_efficiency): every weight of a kept event is
/// multiplied by its value — a trigger, b-tagging or isolation efficiency as a function of the
/// kinematics (`pt_l1 > 30 ? 0.95 : 0.7`). Several efficiencies multiply. The value must be finite
/// and ≥ 0; where it is undefined (a missing object), `default_value` is used (MadMiner's
/// value_if_not_parsed).
struct EfficiencySpec {
  std::string expression;
  ObservableFunction function;
  double default_value = 1.0;
};

/// Compiles observables and cuts once and evaluates them per event. Expression errors (syntax,
/// unknown variables) throw InvalidArgument naming the expression and the problem.
class ObservableCalculator {
 public:
  ObservableCalculator(std::vector<ObservableSpec> observables, std::vector<CutSpec> cuts,
                       KinematicsOptions kinematics = {});
  ~ObservableCalculator();
  ObservableCalculator(const ObservableCalculator&) = delete;
  ObservableCalculator& operator=(const ObservableCalculator&) = delete;
  ObservableCalculator(ObservableCalculator&&) noexcept;
  ObservableCalculator& operator=(ObservableCalculator&&) noexcept;

  /// Why an event was kept or not.
  enum class Outcome { kept, failed_cut, undefined_observable };
  /// Computes the observables of `event` into `values` (size = number of observables) and
  /// applies the cuts; cuts are checked first, so `values` is only complete when kept. On
  /// failed_cut `failed_index` is the index of the first failing cut; on undefined_observable
  /// the index of the observable.
  Outcome evaluate(const Event& event, double* values, int* failed_index = nullptr);
  std::size_t n_observables() const;
  /// The set-up's Observable entries (name + definition) for these observables.
  std::vector<Observable> observables() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ------------------------------------------------------------------------------------------------
// 4. Samples → events in MadMiner's layout
// ------------------------------------------------------------------------------------------------

/// One LHE file of a run.
struct LheSample {
  std::filesystem::path path;
  /// Benchmark the events were generated at (a name in the set-up). Empty: the set-up's
  /// reference benchmark. Ignored for background.
  std::string sampling_benchmark;
  /// Background: no benchmark weights are needed; the weight `background_weight_id` (default:
  /// XWGTUP) is copied to every benchmark and sampling_benchmarks = −1.
  bool is_background = false;
  /// For background files with named weights: which one to use; empty = XWGTUP.
  std::string background_weight_id;
  /// Multiplies every weight of the file (a k-factor). Must be finite and > 0. Default 1.
  double k_factor = 1.0;
};

/// Options of convert.
struct ConvertOptions {
  /// Observables (at least one) and cuts, see ObservableSpec / CutSpec.
  std::vector<ObservableSpec> observables;
  std::vector<CutSpec> cuts;
  /// Efficiencies applied to the weights of the events that pass the cuts (EfficiencySpec).
  std::vector<EfficiencySpec> efficiencies;
  KinematicsOptions kinematics;
  /// Reading options (normalisation fallback, limits).
  ReaderOptions reader;
  /// Benchmark name → weight id, for benchmarks whose weight id differs from their name.
  std::vector<std::pair<std::string, std::string>> weight_for_benchmark;
  /// Signal files: a named weight that maps to no benchmark of the set-up is a FormatError
  /// (default), or ignored when true (systematics weights you do not need).
  bool ignore_unmapped_weights = false;
  /// Shuffle the events of all files together (MadMiner's combine_and_shuffle). Default false:
  /// file order, then event order.
  bool shuffle = false;
  /// Seed of the shuffle. Default 1234.
  std::uint64_t seed = 1234;
  /// Throws InvalidArgument ("field = value: what it must be").
  void validate() const;
};

/// Per-file counts of convert.
struct SampleReport {
  std::filesystem::path path;
  std::int64_t events_read = 0;
  std::int64_t events_kept = 0;
  std::int64_t failed_cuts = 0;
  std::int64_t undefined_observables = 0;
  std::int64_t negative_weight_events = 0;
  EventNorm event_norm = EventNorm::unknown;
  /// Σ of the stored weights of the kept events at the sampling benchmark (background: at any).
  double cross_section_pb = 0;
};

/// Reads every sample into one MadMinerFile: the given set-up with the observables' names and
/// definitions, the events (observations, weights in pb per event normalised per file as the
/// top of this header says, times k_factor and the efficiencies), sampling_benchmarks, and the sample summary (events
/// kept per physical benchmark and background). Several signal files generated at the same
/// benchmark are one sample in pieces: each file's weights are further multiplied by
/// N_file / N_benchmark (events read), so that together they sum to σ once, not once per file.
/// Background files are separate processes and add up (use k_factor to combine pieces of one).
/// Events dropped by cuts or undefined observables still count in N (they were generated), so
/// the kept weights sum to the fiducial σ. `reports`, when given, receives one entry per file;
/// its cross_section_pb is that file's own estimate (before the N_file / N_benchmark share).
/// Throws FormatError for malformed files or an efficiency that is negative or not finite for an
/// event (naming the file, the event and the expression), NotFound when a benchmark has no weight
/// in a signal file, InvalidArgument for bad options.
MadMinerFile convert(const Setup& setup, const std::vector<LheSample>& samples, const ConvertOptions& options,
                     std::vector<SampleReport>* reports = nullptr);

}  // namespace sbi::lhe
