#pragma once
// Training internals shared by the native and the LibTorch backends (private to estimators/):
// the prepared training data, the losses, the backend interface and the training loop.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mlp.hpp"
#include "sbi/estimators.hpp"

namespace sbi::detail {

/// Input scalings (MadMiner's x_scaling_means/stds and theta_scaling_means/stds).
struct Scalings {
  Vector x_means, x_stds, theta_means, theta_stds;
};

/// Training samples converted once to the network's standardised fp32 inputs and targets.
struct TrainingData {
  EstimatorMethod method = EstimatorMethod::Sally;
  /// θ input columns (P for the ratio methods, 0 for the score methods); they come first.
  Index n_theta = 0;
  /// N × (n_theta + n_x): (θ0', x') or x'.
  FMatrix inputs;
  /// Ratio methods: labels y, s(x,z) = 1/(1 + r(x,z)) and r(x,z) clipped to e^{±log_r_clip}.
  FVector y, s_true, r_clipped;
  /// Score targets, N × P: t(x,z) for the score methods; t(x,z|θ0)·θ_std for the ratio methods (the
  /// derivative with respect to the standardised θ').
  FMatrix t;
  /// Whether the rows carry t (needed for sally and for the score term).
  bool has_score = false;

  Index size() const { return inputs.rows(); }
};

/// The loss of a method with its settings.
struct LossSpec {
  EstimatorMethod method = EstimatorMethod::Sally;
  double alpha = 1.0;
  double log_r_clip = 10.0;

  /// Names of the unweighted loss terms, in the order the backends return them.
  std::vector<std::string> term_names() const;
  /// Total = Σ weight_k · term_k.
  double total(const std::vector<double>& terms) const;
  /// Number of θ tangents the forward pass needs (P with a score term, else 0).
  Index tangents(Index n_parameters) const { return has_score_term(method) ? n_parameters : 0; }
};

/// Computes the loss terms of one batch from the network outputs (ws.output, stacked primal and
/// tangent rows) and, when `gradient` is true, fills ws.grad_output with ∂total/∂output.
/// `rows` are the batch's rows of `data` in the order of the network's input. Means are taken over
/// `batch_total` samples (default: rows.size()), so that a batch evaluated in chunks sums exactly.
std::vector<double> native_loss(const LossSpec& loss, const TrainingData& data, std::span<const Index> rows,
                                Index n_parameters, MlpWorkspace& ws, bool gradient, Index batch_total = 0);

/// Rows per chunk of the native engine: a batch is processed in chunks of this many rows (in
/// parallel when there are threads to spare) and their gradients are summed in chunk order, so the
/// result is the same for any thread count; chunks also keep the working set in the L2 cache.
inline constexpr Index native_chunk_rows = 256;

/// Prepares standardised fp32 data. `scalings` are applied (computed by compute_scalings).
TrainingData prepare_training_data(EstimatorMethod method, const AugmentedSamples& samples, const Scalings& scalings,
                                   const TrainingOptions& options);
/// Means and standard deviations (floor 1e-6, MadMiner's) of x and θ0 of the samples; identity
/// scalings when `scale_inputs` is false.
Scalings compute_scalings(EstimatorMethod method, const AugmentedSamples& samples, bool scale_inputs);

/// One optimizer step's outcome.
struct StepResult {
  std::vector<double> terms;
  bool finite = true;
  /// "loss" or "gradient" when not finite.
  std::string what_not_finite;
};

/// A way to run the network: the native fp32 engine or LibTorch.
class TrainingBackend {
 public:
  virtual ~TrainingBackend() = default;
  /// "native" or "torch (cpu)" / "torch (cuda)".
  virtual std::string name() const = 0;
  /// Loss and gradient on the rows, gradient clipping, then one optimizer step with learning rate
  /// `lr`. When the loss or the gradient is not finite, nothing is updated.
  virtual StepResult train_step(const TrainingData& data, std::span<const Index> rows, double lr) = 0;
  /// Loss terms on the rows without gradients (validation), in large chunks.
  virtual std::vector<double> loss(const TrainingData& data, std::span<const Index> rows) = 0;
  virtual void read_parameters(MlpParameters& out) = 0;
  virtual void write_parameters(const MlpParameters& in) = 0;
};

/// The native backend: mlp.hpp's engine, AMSGrad/Adam/SGD written out as in torch.optim.
std::unique_ptr<TrainingBackend> make_native_backend(const MlpShape& shape, const MlpParameters& initial,
                                                     const LossSpec& loss, const TrainingOptions& options,
                                                     Index n_parameters);
/// The LibTorch backend (torch_backend.cpp, the only translation unit that includes torch).
std::unique_ptr<TrainingBackend> make_torch_backend(const MlpShape& shape, const MlpParameters& initial,
                                                    const LossSpec& loss, const TrainingOptions& options,
                                                    Index n_parameters);
/// Whether LibTorch sees a CUDA device.
bool torch_cuda_available();
/// Loss terms and gradient of one batch by LibTorch's autograd (double backward for the score
/// term): the reference the native engine is tested against.
std::vector<double> torch_loss_and_gradient(const MlpShape& shape, const MlpParameters& parameters,
                                            const LossSpec& loss, const TrainingData& data,
                                            std::span<const Index> rows, Index n_parameters, MlpParameters& gradient);
/// A state dict {"layers.K.weight", "layers.K.bias"} as the bytes of a file Python's torch.load
/// reads (torch::pickle_save).
std::vector<char> torch_state_dict_bytes(const MlpParameters& parameters);

/// Runs the training loop (epochs, learning-rate decay, batches, validation, early stopping with a
/// deep copy of the best parameters, NaN/Inf stop, progress bar, callback). Leaves the chosen
/// parameters in `parameters`.
TrainingSummary run_training(TrainingBackend& backend, const LossSpec& loss, const TrainingData& train,
                             std::span<const Index> train_rows, const TrainingData* validation,
                             std::span<const Index> validation_rows, const TrainingOptions& options,
                             const EpochCallback& on_epoch, MlpParameters& parameters);

}  // namespace sbi::detail
