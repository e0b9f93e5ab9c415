#pragma once
// The native MLP engine (private to estimators/): a fully connected network in fp32 whose forward
// pass, forward-mode derivative with respect to the leading inputs (θ) and reverse pass through
// both are written out as GEMMs on the machine's BLAS, with vectorised activations. No LibTorch.
//
// Notation for one hidden layer (W: n_out × n_in, row-major as torch.nn.Linear):
//   z = a_prev Wᵀ + b,   a = φ(z)                       (primal, B rows)
//   ż_k = ȧ_prev,k Wᵀ,    ȧ_k = φ'(z) ⊙ ż_k              (tangent k = ∂/∂θ_k, B rows each)
// Rows are stacked [primal; tangent 1; …; tangent T] so each layer costs one GEMM of (1+T)·B rows.
// The reverse pass of this extended graph ("double backward"): with ḡ the gradient of the loss,
//   ḡz   = φ'(z) ⊙ ḡa + Σ_k φ''(z) ⊙ ż_k ⊙ ḡȧ_k,     ḡż_k = φ'(z) ⊙ ḡȧ_k,
//   ḡW   = [ḡz; ḡż_1; …]ᵀ [a_prev; ȧ_prev,1; …],     ḡb = Σ_rows ḡz,
//   [ḡa_prev; ḡȧ_prev,k] = [ḡz; ḡż_k] W.
// At the first layer the input tangents are unit vectors e_k (θ_k is input column k), so
// ż_k = W[:, k] for every row and ḡW[:, k] += Σ_rows ḡż_k.

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "sbi/estimators.hpp"
#include "sbi/types.hpp"

namespace sbi::detail {

using FMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using FVector = Eigen::Matrix<float, Eigen::Dynamic, 1>;

/// An index in [0, n) from a 64-bit random number (Lemire's multiply-shift: the same on every
/// platform, unlike std::uniform_int_distribution).
inline std::uint64_t random_index(std::uint64_t random, std::uint64_t n) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<u128>(random) * n) >> 64);
}

/// Layer sizes and activation of an MLP.
struct MlpShape {
  Index n_inputs = 0;
  std::vector<Index> hidden;
  Index n_outputs = 1;
  Activation activation = Activation::Tanh;

  Index n_layers() const { return static_cast<Index>(hidden.size()) + 1; }
  Index fan_in(Index layer) const { return layer == 0 ? n_inputs : hidden[static_cast<std::size_t>(layer - 1)]; }
  Index fan_out(Index layer) const {
    return layer == n_layers() - 1 ? n_outputs : hidden[static_cast<std::size_t>(layer)];
  }
  /// Multiply-adds of one forward pass for one row.
  double macs_per_row() const;
};

/// Weights (n_out × n_in) and biases of every layer.
struct MlpParameters {
  std::vector<FMatrix> weights;
  std::vector<FVector> biases;

  /// Zero parameters of the given shape.
  static MlpParameters zeros(const MlpShape& shape);
  /// PyTorch's default nn.Linear initialisation: weights and biases U(−1/√fan_in, 1/√fan_in).
  static MlpParameters initial(const MlpShape& shape, std::uint64_t seed);
  Index count() const;
  void set_zero();
  /// Σ of squares of all entries (double accumulation).
  double squared_norm() const;
  bool all_finite() const;
  void scale(float factor);
};

/// Vectorised activation kernels on n contiguous floats (target_clones for AVX-512 / AVX2 / SSE2).
/// `forward`: a = φ(z). `derivatives`: d1 = φ'(z), d2 = φ''(z) (d2 may be null), from z and a.
void activation_forward(Activation activation, const float* z, float* a, Index n);
void activation_derivatives(Activation activation, const float* z, const float* a, float* d1, float* d2, Index n);

/// Row-major single-precision GEMM on the machine's BLAS: C = α op(A) op(B) + β C with
/// op(A) M × K, op(B) K × N, C M × N, leading dimensions in elements.
void gemm(bool transpose_a, bool transpose_b, Index m, Index n, Index k, float alpha, const float* a, Index lda,
          const float* b, Index ldb, float beta, float* c, Index ldc);

/// Makes the BLAS library single-threaded while at least one of these objects lives, then restores
/// its thread count (OpenBLAS's openblas_set_num_threads when the loaded BLAS has it; a no-op
/// otherwise). The engine's GEMMs are small: it parallelises over chunks of rows itself. The setting
/// is process-wide, so the scopes are counted under a lock: concurrent scopes (Python threads,
/// ensemble members) agree, and the last one restores the count the first one found.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
  /// Threads the BLAS library uses now (1 when it cannot be told).
  static int current();
};

/// Forward (and optionally tangent) activations of one batch, kept for the reverse pass.
struct MlpWorkspace {
  Index batch = 0;
  Index tangents = 0;
  /// Per hidden layer: stacked pre-activations Z ((1+T)·B × n), stacked activations A, and φ', φ''
  /// of the primal rows (B × n).
  std::vector<FMatrix> z, a, d1, d2;
  /// Stacked outputs ((1+T)·B × n_outputs): primal outputs, then ∂output/∂input_k per tangent.
  FMatrix output;
  /// Reverse-pass buffers.
  FMatrix grad_output;  // (1+T)·B × n_outputs, filled by the caller
  std::vector<FMatrix> grad_a, grad_z;
};

/// Forward pass for the B rows of `input` (B × n_inputs), with T = `tangents` derivatives with
/// respect to input columns 0 … T−1. Fills ws.z, ws.a, ws.d1, ws.d2 and ws.output.
void mlp_forward(const MlpShape& shape, const MlpParameters& parameters, const float* input, Index batch,
                 Index tangents, MlpWorkspace& ws, bool keep_for_backward);

/// Reverse pass: with ws.grad_output set to ∂loss/∂ws.output, writes ∂loss/∂parameters into
/// `gradient` (overwritten). Requires a preceding mlp_forward with keep_for_backward.
void mlp_backward(const MlpShape& shape, const MlpParameters& parameters, const float* input, MlpWorkspace& ws,
                  MlpParameters& gradient);

/// Evaluation of a θ-parameterised network on a grid: E events × T values of θ, inputs (θ', x')
/// already standardised. The first layer is split: U = x' W_xᵀ once per event, W_θ θ' + b once per
/// θ. Writes out(t, e) = output 0 and, when `score` is not null, score((t·E + e), k) = ∂output/∂θ'_k.
/// Runs `threads` chunks of events in parallel, each with single-threaded BLAS.
void mlp_evaluate_grid(const MlpShape& shape, const MlpParameters& parameters, Index n_theta_inputs,
                       const FMatrix& x_scaled, const FMatrix& theta_scaled, FMatrix& out, FMatrix* score,
                       int threads);

/// Plain evaluation (no tangents) of E rows of standardised inputs → E × n_outputs, in parallel
/// chunks as above.
void mlp_evaluate(const MlpShape& shape, const MlpParameters& parameters, const FMatrix& input, FMatrix& out,
                  int threads);

}  // namespace sbi::detail
