#pragma once
/// @file estimators.hpp
/// Neural estimators of the score t̂(x) and of the likelihood ratio r̂(x|θ0, θ1): the "mining gold"
/// family (SALLY, SALLINO, CARL, ROLR, ALICE, ALICES, CASCAL, RASCAL) with MadMiner's conventions.
/// This header does not include LibTorch; link sbi::estimators.
///
/// References: J. Brehmer, G. Louppe, J. Pavez, K. Cranmer, "Mining gold from implicit models to
/// improve likelihood-free inference", PNAS 117 (2020) 5242, arXiv:1805.12244 (Eqs. 10–18: the
/// losses); J. Brehmer, K. Cranmer, G. Louppe, J. Pavez, "Constraining effective field theories with
/// machine learning", PRL 121 (2018) 111801, arXiv:1805.00013, and "A guide to constraining
/// effective field theories with machine learning", PRD 98 (2018) 052004, arXiv:1805.00020 (SALLY,
/// SALLINO, RASCAL, CASCAL); M. Stoye, J. Brehmer, G. Louppe, J. Pavez, K. Cranmer, "Likelihood-free
/// inference with an improved cross-entropy estimator", arXiv:1808.00973 (ALICE, ALICES); MadMiner,
/// arXiv:1907.10621 §4.
///
/// ## Networks
/// A fully connected network (MLP). Score estimators map standardised x to t̂(x) ∈ R^P. Ratio
/// estimators are parameterised in the numerator: f(θ0', x') = log r̂(x|θ0, θ1) with the input
/// (θ0', x') in MadMiner's order (θ first), θ1 fixed at training; ŝ = 1/(1 + r̂) and the score
/// t̂(x|θ0) = ∇_θ0 log r̂ comes from differentiating the network (double backward in training).
/// Inputs are standardised with the training sample's means and standard deviations (floor 1e-6);
/// the score targets are rescaled by the θ standard deviations accordingly (MadMiner's
/// `_transform_score`), so losses are computed in the scaled space as MadMiner does.
///
/// ## Losses (mean over the batch; MadMiner's `ml/losses.py`; s = 1/(1 + r))
/// * sally, sallino: mean over samples and components of (t̂(x) − t(x,z))².
/// * carl:   binary cross-entropy of ŝ against y.
/// * rolr:   mean of (1 − y)(1/r̂ − 1/r)² + y(r̂ − r)², log r̂ and log r clipped to ±log_r_clip.
/// * alice:  cross-entropy of ŝ against s(x,z) = 1/(1 + r(x,z)).
/// * alices, cascal, rascal: alice, carl, rolr + α · mean over samples and components of
///   (1 − y)(t̂(x|θ0) − t(x,z|θ0))² (the score term only for y = 0, where t(x,z|θ0) is an unbiased
///   target; MadMiner's `ratio_score_mse_num`).
/// Cross-entropies are evaluated in the numerically stable form y·softplus(f) + (1 − y)·softplus(−f)
/// (torch's BCELoss on ŝ clamps log ŝ at −100 instead; they agree wherever that clamp is inactive).
///
/// ## Training
/// AMSGrad by default (Adam, SGD with optional Nesterov momentum), learning rate decaying
/// exponentially from initial_lr (first epoch) to final_lr (last epoch), mini-batches from a fresh
/// permutation every epoch, a validation split for early stopping, which restores a deep copy of
/// the best epoch's parameters (MadMiner restores the last epoch: its "best" state aliases the live
/// weights), optional gradient-norm clipping, and a stop with a clear message when a loss or a
/// gradient becomes NaN or infinite. Everything is deterministic for a seed.
///
/// ## Backends
/// * native: the CPU fast path. The MLP's forward pass, its derivative with respect to θ (forward-
///   mode tangents through the layers) and the reverse pass through both are written out as fp32
///   GEMMs on the machine's BLAS (OpenBLAS), with vectorised activations. It gives the same
///   gradients as LibTorch's autograd double backward (tested to float precision) several times
///   faster, and evaluates grids of θ with the first layer split into W_x·x (once per event) and
///   W_θ·θ (once per θ).
/// * torch: LibTorch modules and autograd (`torch::autograd::grad` with create_graph for the score
///   term), on the CPU or on a CUDA device.
/// `auto` picks native on the CPU and torch on CUDA. Both start from the same initial weights
/// (PyTorch's default Linear initialisation, U(−1/√fan_in, 1/√fan_in), drawn from the seed) and
/// produce the same model format.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sbi/samples.hpp"
#include "sbi/types.hpp"

namespace sbi {

/// The inference method, with MadMiner's names.
enum class EstimatorMethod { Sally, Sallino, Carl, Rolr, Alice, Alices, Cascal, Rascal };
/// "sally", "sallino", "carl", "rolr", "alice", "alices", "cascal", "rascal".
std::string_view to_string(EstimatorMethod method);
/// The names above (case-insensitive); InvalidArgument listing them otherwise.
EstimatorMethod parse_estimator_method(std::string_view name);
/// sally and sallino: the network maps x to t̂(x) at a fixed reference point.
bool is_score_method(EstimatorMethod method);
/// alices, cascal and rascal: the loss has the α-weighted score term.
bool has_score_term(EstimatorMethod method);
/// The sample kind a method trains on: Local for the score methods, Ratio for the others.
SampleKind training_sample_kind(EstimatorMethod method);

/// Activation of the hidden layers.
enum class Activation { Tanh, Sigmoid, Relu, Softplus, LeakyRelu, Elu };
/// "tanh", "sigmoid", "relu", "softplus", "lrelu" (slope 0.01), "elu" (α = 1).
std::string_view to_string(Activation activation);
Activation parse_activation(std::string_view name);

enum class OptimizerKind { Amsgrad, Adam, Sgd };
std::string_view to_string(OptimizerKind optimizer);
OptimizerKind parse_optimizer(std::string_view name);

enum class Device { Cpu, Cuda };
std::string_view to_string(Device device);
Device parse_device(std::string_view name);

enum class Backend { Auto, Native, Torch };
std::string_view to_string(Backend backend);
Backend parse_backend(std::string_view name);

/// The network architecture: a construction-time choice, stored in the model file.
struct NetworkOptions {
  /// Units per hidden layer, input to output. The seed talk used {50} and {100, 100}; MadMiner's
  /// default is {100}.
  std::vector<Index> hidden = {100, 100};
  /// Activation of every hidden layer (MadMiner's default tanh).
  Activation activation = Activation::Tanh;

  /// "field = value: what it must be" (InvalidArgument) for an empty or non-positive layer.
  void validate() const;
  bool operator==(const NetworkOptions&) const = default;
};

/// Per-call training settings; defaults are MadMiner's `train()` defaults unless said otherwise.
struct TrainingOptions {
  /// Passes over the training data.
  Index epochs = 50;
  /// Samples per mini-batch.
  Index batch_size = 128;
  OptimizerKind optimizer = OptimizerKind::Amsgrad;
  /// Learning rate in the first epoch; decays exponentially to final_lr in the last epoch.
  double initial_lr = 1e-3;
  double final_lr = 1e-4;
  /// Nesterov momentum for SGD (0 = plain SGD). Ignored by Adam and AMSGrad.
  double nesterov_momentum = 0.0;
  /// Fraction of the training samples held out for validation and early stopping (0 = none, and
  /// no early stopping). Ignored when a separate validation sample is given.
  double validation_split = 0.25;
  /// Restore the parameters of the epoch with the lowest validation loss at the end.
  bool early_stopping = true;
  /// Stop after this many epochs without a lower validation loss (0 = train all epochs, then
  /// restore the best).
  Index early_stopping_patience = 0;
  /// Clip the global L2 norm of the gradient to this value (0 = off; MadMiner's clip_gradient).
  double clip_gradient = 0.0;
  /// Weight α of the score term (alices, cascal, rascal).
  double alpha = 1.0;
  /// rolr and rascal clip log r̂ and log r(x,z) to ±log_r_clip (MadMiner's default 10).
  double log_r_clip = 10.0;
  /// Standardise x (and θ for the ratio methods) with the training sample's means and standard
  /// deviations.
  bool scale_inputs = true;
  /// Use at most this many training samples (0 = all; MadMiner's limit_samplesize).
  Index limit_samplesize = 0;
  /// Seed of the initial weights, the validation split and the batch order.
  std::uint64_t seed = 1;
  /// Threads (0 = all cores). The native engine runs the chunks of 256 samples of a batch in
  /// parallel (so batches > 256 use them) and, in an ensemble, members side by side; the result does
  /// not depend on the number. LibTorch uses them for its intra-op parallelism.
  int threads = 0;
  Device device = Device::Cpu;
  Backend backend = Backend::Auto;
  /// Progress bar (epoch, losses, time left) on stderr: 1 = on, 0 = off, −1 = only when stderr is a
  /// terminal.
  int progress = -1;

  /// "field = value: what it must be" (InvalidArgument) for the first invalid field.
  void validate() const;
};

/// One epoch of training.
struct EpochRecord {
  Index epoch = 0;
  double learning_rate = 0.0;
  /// Mean loss over the epoch's batches (weighted sum of the terms) and its terms (for example
  /// {cross-entropy, score MSE} for alices).
  double train_loss = 0.0;
  std::vector<double> train_loss_terms;
  /// Loss on the validation samples after the epoch (NaN without validation).
  double validation_loss = 0.0;
  std::vector<double> validation_loss_terms;
  double seconds = 0.0;
};

/// Why training ended.
enum class StopReason {
  Completed,      ///< all epochs ran
  EarlyStopping,  ///< early_stopping_patience epochs without improvement
  NonFinite,      ///< a loss or gradient became NaN or infinite; the best finite state is kept
  Interrupted,    ///< the epoch callback asked to stop (Ctrl-C in pysbi)
};
std::string_view to_string(StopReason reason);

/// What a training run did (Ceres-style summary: data, not a log).
struct TrainingSummary {
  std::vector<EpochRecord> history;
  /// Names of the loss terms ({"mse"}, {"xe"}, {"improved_xe", "score_mse"} ...).
  std::vector<std::string> loss_terms;
  /// Epoch (0-based) whose parameters the model holds after training; −1 if none finished.
  Index best_epoch = -1;
  double best_validation_loss = 0.0;
  StopReason reason = StopReason::Completed;
  /// One line saying why training stopped (with the offending epoch and batch for NonFinite).
  std::string message;
  Index n_train = 0;
  Index n_validation = 0;
  double seconds = 0.0;
  /// Training samples processed per second (forward + backward), over all epochs.
  double samples_per_second = 0.0;
  /// "native" or "torch", and the device.
  std::string backend;
  int threads = 1;

  /// One line: method, epochs, best epoch and loss, reason, time.
  std::string brief_report() const;
  /// The brief report and a table of the history.
  std::string full_report() const;
};

/// Called after every epoch; returning false stops training (reason Interrupted).
using EpochCallback = std::function<bool(const EpochRecord&)>;

/// Ratio-estimator outputs on a grid: T values of θ × E events.
struct RatioEvaluation {
  /// log r̂(x_e|θ_t, θ1), T × E (MadMiner's (n_thetas, n_x)).
  RowMatrix log_r;
  /// t̂(x_e|θ_t) = ∇_θ log r̂, (T·E) × P with row t·E + e; empty unless requested.
  RowMatrix score;
};

/// One trained (or freshly initialised) network with its input scalings and provenance.
class Estimator {
 public:
  /// A fresh network for `method` with `n_observables` inputs and `n_parameters` parameters,
  /// initialised from `seed` (PyTorch's default Linear initialisation). InvalidArgument for
  /// non-positive sizes or an invalid architecture.
  Estimator(EstimatorMethod method, Index n_observables, Index n_parameters, NetworkOptions network = {},
            std::uint64_t seed = 1);
  ~Estimator();
  Estimator(const Estimator&);
  Estimator& operator=(const Estimator&);
  Estimator(Estimator&&) noexcept;
  Estimator& operator=(Estimator&&) noexcept;

  EstimatorMethod method() const;
  const NetworkOptions& network() const;
  Index n_observables() const;
  Index n_parameters() const;
  bool is_score_estimator() const { return is_score_method(method()); }
  /// Names from the training samples (empty until trained or when not known).
  const std::vector<std::string>& observable_names() const;
  const std::vector<std::string>& parameter_names() const;
  /// Score estimators: the reference point of the training scores (θ of the local sample).
  /// Ratio estimators: the fixed denominator θ1. Empty until trained.
  const Vector& reference_theta() const;
  /// Means and standard deviations used to standardise x and θ (identity before training or with
  /// scale_inputs = false).
  const Vector& x_means() const;
  const Vector& x_stds() const;
  const Vector& theta_means() const;
  const Vector& theta_stds() const;
  /// Summary of the last training (empty history for a loaded model that was not trained here).
  const TrainingSummary& training_summary() const;

  /// Trains on `samples` (kind Local for the score methods, Ratio or MoreRatios for the others; a
  /// ratio sample must have one θ1 for all samples). `validation`, when given, replaces the
  /// validation split. InvalidArgument naming the field for a wrong sample kind, a missing field,
  /// observables or parameters that do not match the network, or invalid options.
  TrainingSummary train(const AugmentedSamples& samples, const TrainingOptions& options = {},
                        const AugmentedSamples* validation = nullptr, const EpochCallback& on_epoch = {});

  /// Score estimators: t̂(x) for E events, E × P. InvalidArgument for a ratio estimator or a wrong
  /// number of columns. `threads` 0 = all cores.
  RowMatrix evaluate_score(const RowMatrix& x, int threads = 0) const;
  /// Ratio estimators: log r̂(x_e|θ_t, θ1) for E events and T values of θ (rows of `thetas`), and
  /// the score t̂(x_e|θ_t) when `with_score`. The first layer is split, so a grid of T values costs
  /// far less than T independent passes. InvalidArgument for a score estimator or wrong shapes.
  RatioEvaluation evaluate_log_ratio(const RowMatrix& x, const RowMatrix& thetas, bool with_score = false,
                                     int threads = 0) const;

  /// Writes the model (architecture, weights, scalings, names, θ reference, training settings and
  /// history, sbi version) as one HDF5 file, atomically. Float32 weights round-trip bit for bit.
  void save(const std::filesystem::path& path) const;
  /// Reads a file written by save() (a one-member ensemble file also loads). FormatError naming
  /// the file and dataset for a corrupt file, another format version, or a file from a newer sbi.
  static Estimator load(const std::filesystem::path& path);
  /// Writes MadMiner's estimator files: `<prefix>_settings.json`, `<prefix>_x_means.npy`,
  /// `<prefix>_x_stds.npy`, (ratio) `<prefix>_theta_means.npy`, `<prefix>_theta_stds.npy`, and
  /// `<prefix>_state_dict.pt`, a state dict ("layers.K.weight", "layers.K.bias") in the pickle
  /// format that Python's torch.load reads, so MadMiner's ScoreEstimator / ParameterizedRatioEstimator
  /// .load(prefix) restores the same network. Returns the paths written.
  std::vector<std::filesystem::path> export_madminer(const std::filesystem::path& prefix) const;

  /// Opaque implementation (layers, scalings, provenance).
  struct Impl;
  const Impl& impl() const { return *impl_; }
  Impl& impl() { return *impl_; }

 private:
  friend class Ensemble;
  explicit Estimator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Mean and variance over the members of an ensemble.
struct EnsembleScore {
  RowMatrix mean;      ///< E × P
  RowMatrix variance;  ///< E × P (unbiased, over members; 0 for one member)
};
struct EnsembleRatio {
  RowMatrix mean;      ///< log r̂: T × E
  RowMatrix variance;  ///< T × E
  RowMatrix score_mean;      ///< (T·E) × P when requested
  RowMatrix score_variance;  ///< (T·E) × P when requested
};

/// How the members of an ensemble get their training data.
struct EnsembleOptions {
  /// Number of members. Each member gets seed = training seed + member index.
  Index members = 5;
  /// With one training sample for all members: true = each member trains on a bootstrap resample
  /// of it (drawn with replacement from the member's seed); false = each on the whole sample
  /// (differences then come from the initialisation and batch order only).
  bool bootstrap = false;

  void validate() const;
};

/// N estimators of the same method and architecture, trained with different seeds (and, ideally,
/// on independent samples), evaluated together (MadMiner's Ensemble; members train side by side
/// on the available cores, which MadMiner's do not, its issue #127).
class Ensemble {
 public:
  Ensemble() = default;
  explicit Ensemble(std::vector<Estimator> members);
  /// `options.members` fresh estimators (seeds seed, seed + 1, ...).
  Ensemble(EstimatorMethod method, Index n_observables, Index n_parameters, const EnsembleOptions& options,
           NetworkOptions network = {}, std::uint64_t seed = 1);

  Index size() const { return static_cast<Index>(members_.size()); }
  const std::vector<Estimator>& members() const { return members_; }
  std::vector<Estimator>& members() { return members_; }
  const Estimator& operator[](Index i) const { return members_[static_cast<std::size_t>(i)]; }
  EstimatorMethod method() const;
  bool is_score_estimator() const;

  /// Trains member i on samples[i] (one sample per member), or every member on samples[0] (with
  /// bootstrap resampling when `bootstrap`). With two or more threads the members train side by
  /// side, one thread each; otherwise one after the other; the result does not depend on which.
  /// `on_epoch` is called after every epoch of every member — from several threads at once when
  /// members train side by side, so it must be thread-safe; returning false stops that member.
  std::vector<TrainingSummary> train(const std::vector<AugmentedSamples>& samples, const TrainingOptions& options = {},
                                     bool bootstrap = false, const EpochCallback& on_epoch = {});

  EnsembleScore evaluate_score(const RowMatrix& x, int threads = 0) const;
  EnsembleRatio evaluate_log_ratio(const RowMatrix& x, const RowMatrix& thetas, bool with_score = false,
                                   int threads = 0) const;

  /// One HDF5 file with every member (as Estimator::save, under members/<i>/).
  void save(const std::filesystem::path& path) const;
  /// Reads an ensemble file or a single-estimator file (one member).
  static Ensemble load(const std::filesystem::path& path);

 private:
  std::vector<Estimator> members_;
};

/// The expectation-value calibration of the seed talk's "Calibration and diagnostics": for a
/// ratio estimator r̂(x|θ, θ1), E_{x ~ p(x|θ1)}[r̂(x|θ, θ1)] must be 1 for every θ. Given events
/// x_e drawn from θ1 (with optional weights), returns R̂(θ_t) = Σ_e w_e r̂(x_e|θ_t, θ1) / Σ_e w_e for
/// each row of `thetas`; the calibrated estimator is log r̂ − log R̂(θ).
struct RatioCalibration {
  RowMatrix thetas;
  /// R̂(θ_t), T entries (≈ 1 for a well-trained estimator).
  Vector expectation;
  /// Its Monte Carlo standard error.
  Vector expectation_error;
  /// log R̂(θ_t): subtract from log r̂(x|θ_t) to calibrate.
  Vector log_correction;
};
RatioCalibration expectation_calibration(const Ensemble& estimator, const RowMatrix& x_from_theta1,
                                         const RowMatrix& thetas, const Vector& weights = {});

/// Adapters to the limits module's callbacks (limits.hpp: ScoreFunction, LogRatioFunction). They
/// hold a copy of the ensemble, so they outlive the object they were made from.
/// t̂(x): the ensemble mean, E × P.
std::function<RowMatrix(const RowMatrix& x)> score_function(const Ensemble& estimator, int threads = 0);
/// log r̂(x_e|θ_t, θ1): the ensemble mean, T × E.
std::function<RowMatrix(const RowMatrix& x, const RowMatrix& thetas)> log_ratio_function(const Ensemble& estimator,
                                                                                          int threads = 0);
/// The calibrated log-ratio estimator for likelihood scans over many events, where the seed talk
/// found ALICES' maximum-likelihood estimates away from the SM:
///   log r̃(x|θ) = [log r̂(x|θ, θ1) − log r̂(x|θ1, θ1)] − log R̃(θ),   R̃(θ) = E_{x~θ1}[r̃ before the log],
/// i.e. the reference-hypothesis correction (the true log r(x|θ1, θ1) is 0 for every x; with
/// `subtract_reference`) and then the expectation-value calibration over events drawn from θ1
/// (x_from_theta1 with optional weights), so that p̂(x|θ) = r̃ p(x|θ1) integrates to one at every θ.
/// With the Asimov events at θ_true = θ1 as calibration events, Jensen's inequality puts the
/// maximum of the expected kinematic likelihood exactly at θ1. Costs two more evaluations per θ.
std::function<RowMatrix(const RowMatrix& x, const RowMatrix& thetas)> calibrated_log_ratio_function(
    const Ensemble& estimator, RowMatrix x_from_theta1, Vector weights = {}, bool subtract_reference = true,
    int threads = 0);

/// The reference-hypothesis check: at θ = θ1 a ratio estimator must give log r̂(x|θ1, θ1) = 0 for
/// every x. Returns the mean, standard deviation and largest |log r̂(x_e|θ1, θ1)| over the events.
struct ReferenceCheck {
  double mean = 0.0;
  double std = 0.0;
  double max_abs = 0.0;
};
ReferenceCheck reference_hypothesis_check(const Ensemble& estimator, const RowMatrix& x);

/// What `sbi evaluate` computes and writes: an ensemble's outputs on E events.
struct EvaluationResult {
  EstimatorMethod method = EstimatorMethod::Sally;
  std::vector<std::string> parameter_names;
  std::vector<std::string> observable_names;
  /// Ratio estimators: the T evaluated θ (T × P). Score estimators: the reference point (1 × P).
  RowMatrix thetas;
  /// Ratio estimators: log r̂(x_e|θ_t, θ1) and its variance over the members, T × E.
  RowMatrix log_r;
  RowMatrix log_r_variance;
  /// Score estimators: t̂(x_e), E × P. Ratio estimators with the score: t̂(x_e|θ_t), (T·E) × P.
  RowMatrix t;
  RowMatrix t_variance;
  Index n_members = 1;
  /// Where the model and the events came from.
  std::string model;
  std::string input;
};

/// Evaluates an ensemble on events x: t̂(x) for score estimators (thetas ignored), log r̂ at each row
/// of `thetas` (and t̂ when `with_score`) for ratio estimators.
EvaluationResult evaluate(const Ensemble& estimator, const RowMatrix& x, const RowMatrix& thetas = {},
                          bool with_score = false, int threads = 0);
/// Writes an evaluation as HDF5 (atomically): datasets thetas, log_r_hat, log_r_hat_variance,
/// t_hat, t_hat_variance (those that are set), parameter_names, observable_names and
/// metadata/{method, n_members, model, input, sbi_version}.
void write_evaluation(const std::filesystem::path& path, const EvaluationResult& result);
/// Reads a file written by write_evaluation; FormatError naming the file and dataset otherwise.
EvaluationResult read_evaluation(const std::filesystem::path& path);

/// Number of CPU threads a `threads` option of 0 means (the cores sbi may use).
int default_thread_count();

}  // namespace sbi
