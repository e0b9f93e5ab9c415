// The native MLP engine: see mlp.hpp for the maths of the tangent and reverse passes.
#include "mlp.hpp"

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>

#include "sbi/error.hpp"

// Fortran BLAS, exported by every BLAS implementation (OpenBLAS, reference BLAS, BLIS).
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);

namespace sbi::detail {

double MlpShape::macs_per_row() const {
  double macs = 0;
  for (Index l = 0; l < n_layers(); ++l) macs += static_cast<double>(fan_in(l)) * static_cast<double>(fan_out(l));
  return macs;
}

// ---------------------------------------------------------------------------------------------
// Parameters

MlpParameters MlpParameters::zeros(const MlpShape& shape) {
  MlpParameters p;
  for (Index l = 0; l < shape.n_layers(); ++l) {
    p.weights.push_back(FMatrix::Zero(shape.fan_out(l), shape.fan_in(l)));
    p.biases.push_back(FVector::Zero(shape.fan_out(l)));
  }
  return p;
}

MlpParameters MlpParameters::initial(const MlpShape& shape, std::uint64_t seed) {
  MlpParameters p = zeros(shape);
  std::mt19937_64 rng(seed ^ 0x5bd1e9955bd1e995ULL);
  // 53-bit uniform in [0, 1), mapped to U(−bound, bound) (torch.nn.Linear.reset_parameters).
  auto uniform = [&rng](double bound) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    return static_cast<float>((2.0 * u - 1.0) * bound);
  };
  for (Index l = 0; l < shape.n_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(shape.fan_in(l)));
    auto& w = p.weights[static_cast<std::size_t>(l)];
    for (Index i = 0; i < w.size(); ++i) w.data()[i] = uniform(bound);
    auto& b = p.biases[static_cast<std::size_t>(l)];
    for (Index i = 0; i < b.size(); ++i) b(i) = uniform(bound);
  }
  return p;
}

Index MlpParameters::count() const {
  Index n = 0;
  for (std::size_t l = 0; l < weights.size(); ++l) n += weights[l].size() + biases[l].size();
  return n;
}

void MlpParameters::set_zero() {
  for (auto& w : weights) w.setZero();
  for (auto& b : biases) b.setZero();
}

double MlpParameters::squared_norm() const {
  double s = 0;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    s += weights[l].cast<double>().squaredNorm();
    s += biases[l].cast<double>().squaredNorm();
  }
  return s;
}

bool MlpParameters::all_finite() const {
  for (std::size_t l = 0; l < weights.size(); ++l)
    if (!weights[l].allFinite() || !biases[l].allFinite()) return false;
  return true;
}

void MlpParameters::scale(float factor) {
  for (auto& w : weights) w *= factor;
  for (auto& b : biases) b *= factor;
}

// ---------------------------------------------------------------------------------------------
// Vectorised activations. Plain loops over floats, cloned per instruction set so GCC vectorises
// them for AVX-512, AVX2 or the SSE2 baseline, chosen at load time (no -march needed).

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SBI_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SBI_VECTOR_CLONES
#endif

namespace {

// e^y for y ≤ 0 (clamped at −87, where e^y is still a normal float). Cody–Waite reduction
// y = n ln 2 + r, |r| ≤ ln2/2, degree-7 Taylor polynomial for e^r (truncation error < 6e-9
// relative), 2^n assembled in the exponent bits. Relative error ≈ 1 ulp.
[[gnu::always_inline]] inline float exp_nonpositive(float y) {
  y = std::max(y, -87.0f);
  // Round y/ln2 to the nearest integer with the 1.5·2^23 trick (exact for |y/ln2| < 2^22).
  const float shifted = y * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  const float r = (y - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// The kernels below are branch-free (selects written as arithmetic blends, signs with copysign) so
// that GCC if-converts and vectorises them for AVX2 and SSE2 too, not only with AVX-512's masks.

[[gnu::always_inline]] inline float tanh_kernel(float x) {
  const float ax = std::fabs(x);
  const float e = exp_nonpositive(-2.0f * ax);
  const float t = (1.0f - e) / (1.0f + e);
  // Near zero 1 − e cancels: the odd Taylor series to x⁷ is exact to float precision there.
  const float x2 = ax * ax;
  const float series = ax * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
  const float small = static_cast<float>(ax < 0.0625f);
  return std::copysign(small * series + (1.0f - small) * t, x);
}

[[gnu::always_inline]] inline float sigmoid_kernel(float x) {
  const float e = exp_nonpositive(-std::fabs(x));
  const float s = 1.0f / (1.0f + e);
  // σ(x) = 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) for x < 0, with e = e^−|x|.
  const float positive = static_cast<float>(x >= 0.0f);
  return s * (positive + (1.0f - positive) * e);
}

SBI_VECTOR_CLONES void tanh_loop(const float* z, float* a, Index n) {
  for (Index i = 0; i < n; ++i) a[i] = tanh_kernel(z[i]);
}
SBI_VECTOR_CLONES void sigmoid_loop(const float* z, float* a, Index n) {
  for (Index i = 0; i < n; ++i) a[i] = sigmoid_kernel(z[i]);
}
SBI_VECTOR_CLONES void relu_loop(const float* z, float* a, Index n) {
  for (Index i = 0; i < n; ++i) a[i] = std::max(z[i], 0.0f);
}
SBI_VECTOR_CLONES void lrelu_loop(const float* z, float* a, Index n) {
  for (Index i = 0; i < n; ++i) a[i] = std::max(z[i], 0.0f) + 0.01f * std::min(z[i], 0.0f);
}
SBI_VECTOR_CLONES void tanh_derivatives(const float* a, float* d1, float* d2, Index n) {
  if (d2) {
    for (Index i = 0; i < n; ++i) {
      const float g = 1.0f - a[i] * a[i];
      d1[i] = g;
      d2[i] = -2.0f * a[i] * g;
    }
  } else {
    for (Index i = 0; i < n; ++i) d1[i] = 1.0f - a[i] * a[i];
  }
}
SBI_VECTOR_CLONES void sigmoid_derivatives(const float* a, float* d1, float* d2, Index n) {
  for (Index i = 0; i < n; ++i) {
    const float g = a[i] * (1.0f - a[i]);
    d1[i] = g;
    if (d2) d2[i] = g * (1.0f - 2.0f * a[i]);
  }
}

// Elementwise pieces of the tangent and reverse passes.
SBI_VECTOR_CLONES void multiply(const float* a, const float* b, float* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
// out += d2 ⊙ ż ⊙ ḡȧ and out_k = d1 ⊙ ḡȧ (one tangent's share of ḡz, and ḡż_k).
SBI_VECTOR_CLONES void tangent_backward(const float* d1, const float* d2, const float* zk, const float* gk, float* out,
                                        float* out_k, Index n) {
  for (Index i = 0; i < n; ++i) {
    out[i] += d2[i] * zk[i] * gk[i];
    out_k[i] = d1[i] * gk[i];
  }
}
SBI_VECTOR_CLONES void add_row(const float* row, float* target, Index n) {
  for (Index j = 0; j < n; ++j) target[j] += row[j];
}
SBI_VECTOR_CLONES void relu_derivatives(const float* z, float* d1, float* d2, Index n, float negative_slope) {
  for (Index i = 0; i < n; ++i) {
    const float positive = static_cast<float>(z[i] > 0.0f);
    d1[i] = positive + (1.0f - positive) * negative_slope;
  }
  if (d2)
    for (Index i = 0; i < n; ++i) d2[i] = 0.0f;
}

}  // namespace

void activation_forward(Activation activation, const float* z, float* a, Index n) {
  switch (activation) {
    case Activation::Tanh: tanh_loop(z, a, n); return;
    case Activation::Sigmoid: sigmoid_loop(z, a, n); return;
    case Activation::Relu: relu_loop(z, a, n); return;
    case Activation::LeakyRelu: lrelu_loop(z, a, n); return;
    case Activation::Softplus:
      // log(1 + e^z) = max(z, 0) + log1p(e^−|z|), stable for any z.
      for (Index i = 0; i < n; ++i) a[i] = std::max(z[i], 0.0f) + std::log1p(std::exp(-std::fabs(z[i])));
      return;
    case Activation::Elu:
      for (Index i = 0; i < n; ++i) a[i] = z[i] > 0.0f ? z[i] : std::expm1(z[i]);
      return;
  }
}

void activation_derivatives(Activation activation, const float* z, const float* a, float* d1, float* d2, Index n) {
  switch (activation) {
    case Activation::Tanh: tanh_derivatives(a, d1, d2, n); return;
    case Activation::Sigmoid: sigmoid_derivatives(a, d1, d2, n); return;
    case Activation::Relu: relu_derivatives(z, d1, d2, n, 0.0f); return;
    case Activation::LeakyRelu: relu_derivatives(z, d1, d2, n, 0.01f); return;
    case Activation::Softplus:
      for (Index i = 0; i < n; ++i) {
        const float s = sigmoid_kernel(z[i]);
        d1[i] = s;
        if (d2) d2[i] = s * (1.0f - s);
      }
      return;
    case Activation::Elu:
      for (Index i = 0; i < n; ++i) {
        const float e = z[i] > 0.0f ? 1.0f : std::exp(z[i]);
        d1[i] = e;
        if (d2) d2[i] = z[i] > 0.0f ? 0.0f : e;
      }
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// BLAS

void gemm(bool transpose_a, bool transpose_b, Index m, Index n, Index k, float alpha, const float* a, Index lda,
          const float* b, Index ldb, float beta, float* c, Index ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (Index i = 0; i < m; ++i)
      for (Index j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  // Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: swap the operands, keep the flags.
  const char ta = transpose_b ? 'T' : 'N';
  const char tb = transpose_a ? 'T' : 'N';
  const int mi = static_cast<int>(n), ni = static_cast<int>(m), ki = static_cast<int>(k);
  const int ldai = static_cast<int>(ldb), ldbi = static_cast<int>(lda), ldci = static_cast<int>(ldc);
  sgemm_(&ta, &tb, &mi, &ni, &ki, &alpha, b, &ldai, a, &ldbi, &beta, c, &ldci);
}

namespace {
using SetThreads = void (*)(int);
using GetThreads = int (*)();
SetThreads blas_set_threads() {
  static const auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return f;
}
GetThreads blas_get_threads() {
  static const auto f = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return f;
}
}  // namespace

namespace {
struct BlasScopes {
  std::mutex mutex;
  int open = 0;
  int saved = -1;
};
BlasScopes& blas_scopes() {
  static BlasScopes scopes;
  return scopes;
}
}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  if (!blas_set_threads() || !blas_get_threads()) return;
  BlasScopes& s = blas_scopes();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (s.open++ == 0) {
    s.saved = blas_get_threads()();
    blas_set_threads()(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (!blas_set_threads() || !blas_get_threads()) return;
  BlasScopes& s = blas_scopes();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (--s.open == 0 && s.saved > 0) blas_set_threads()(s.saved);
}

int SingleThreadedBlas::current() { return blas_get_threads() ? blas_get_threads()() : 1; }

// ---------------------------------------------------------------------------------------------
// Forward, tangent and reverse passes

namespace {

void add_bias(float* z, Index rows, const FVector& bias) {
  const Index n = bias.size();
  for (Index r = 0; r < rows; ++r) add_row(bias.data(), z + r * n, n);
}

// Σ over `rows` rows of a row-major block with n columns, added to `out`.
void add_column_sums(const float* m, Index rows, Index n, float* out) {
  for (Index r = 0; r < rows; ++r) add_row(m + r * n, out, n);
}

// First-layer tangents: ż_k = W[:, k] in every row of block k.
void first_layer_tangents(const FMatrix& w, Index batch, Index tangents, float* z_stack) {
  const Index n = w.rows();
  for (Index k = 0; k < tangents; ++k) {
    float* block = z_stack + (1 + k) * batch * n;
    for (Index j = 0; j < n; ++j) block[j] = w(j, k);
    for (Index r = 1; r < batch; ++r) std::memcpy(block + r * n, block, sizeof(float) * static_cast<std::size_t>(n));
  }
}

// Activation of hidden layer l from its stacked pre-activations ws.z[l] (primal rows complete
// with bias, tangent rows as ż): fills ws.a[l] (and d1, d2).
void activate_layer(const MlpShape& shape, Index l, Index batch, Index tangents, MlpWorkspace& ws,
                    bool keep_for_backward) {
  const auto li = static_cast<std::size_t>(l);
  const Index n = shape.fan_out(l);
  const Index primal = batch * n;
  FMatrix& z = ws.z[li];
  FMatrix& a = ws.a[li];
  a.resize((1 + tangents) * batch, n);
  activation_forward(shape.activation, z.data(), a.data(), primal);
  if (tangents == 0 && !keep_for_backward) return;
  FMatrix& d1 = ws.d1[li];
  d1.resize(batch, n);
  float* d2 = nullptr;
  if (keep_for_backward && tangents > 0) {
    ws.d2[li].resize(batch, n);
    d2 = ws.d2[li].data();
  }
  activation_derivatives(shape.activation, z.data(), a.data(), d1.data(), d2, primal);
  for (Index k = 0; k < tangents; ++k) multiply(d1.data(), z.data() + (1 + k) * primal, a.data() + (1 + k) * primal, primal);
}

// Layers 1 … L−1 given ws.z[0] (stacked, complete).
void forward_from_first_layer(const MlpShape& shape, const MlpParameters& p, Index batch, Index tangents,
                              MlpWorkspace& ws, bool keep_for_backward) {
  const Index n_layers = shape.n_layers();
  const Index rows = (1 + tangents) * batch;
  activate_layer(shape, 0, batch, tangents, ws, keep_for_backward);
  for (Index l = 1; l < n_layers; ++l) {
    const auto li = static_cast<std::size_t>(l);
    const Index n_in = shape.fan_in(l), n_out = shape.fan_out(l);
    const FMatrix& previous = ws.a[li - 1];
    FMatrix& target = l == n_layers - 1 ? ws.output : ws.z[li];
    target.resize(rows, n_out);
    gemm(false, true, rows, n_out, n_in, 1.0f, previous.data(), n_in, p.weights[li].data(), n_in, 0.0f, target.data(),
         n_out);
    add_bias(target.data(), batch, p.biases[li]);
    if (l < n_layers - 1) activate_layer(shape, l, batch, tangents, ws, keep_for_backward);
  }
}

void prepare_workspace(const MlpShape& shape, Index batch, Index tangents, MlpWorkspace& ws) {
  const auto hidden = static_cast<std::size_t>(shape.n_layers() - 1);
  ws.batch = batch;
  ws.tangents = tangents;
  ws.z.resize(hidden);
  ws.a.resize(hidden);
  ws.d1.resize(hidden);
  ws.d2.resize(hidden);
}

}  // namespace

void mlp_forward(const MlpShape& shape, const MlpParameters& p, const float* input, Index batch, Index tangents,
                 MlpWorkspace& ws, bool keep_for_backward) {
  if (shape.hidden.empty()) throw InvalidArgument("MLP without hidden layers: hidden must have at least one layer");
  prepare_workspace(shape, batch, tangents, ws);
  const Index n_in = shape.n_inputs, n1 = shape.fan_out(0);
  FMatrix& z0 = ws.z[0];
  z0.resize((1 + tangents) * batch, n1);
  gemm(false, true, batch, n1, n_in, 1.0f, input, n_in, p.weights[0].data(), n_in, 0.0f, z0.data(), n1);
  add_bias(z0.data(), batch, p.biases[0]);
  first_layer_tangents(p.weights[0], batch, tangents, z0.data());
  forward_from_first_layer(shape, p, batch, tangents, ws, keep_for_backward);
}

void mlp_backward(const MlpShape& shape, const MlpParameters& p, const float* input, MlpWorkspace& ws,
                  MlpParameters& gradient) {
  const Index batch = ws.batch, tangents = ws.tangents;
  const Index rows = (1 + tangents) * batch;
  const Index n_layers = shape.n_layers();
  ws.grad_a.resize(static_cast<std::size_t>(n_layers - 1));
  ws.grad_z.resize(static_cast<std::size_t>(n_layers - 1));
  if (gradient.weights.size() != p.weights.size()) gradient = MlpParameters::zeros(shape);

  // Output layer (linear).
  {
    const Index l = n_layers - 1;
    const auto li = static_cast<std::size_t>(l);
    const Index n_in = shape.fan_in(l), n_out = shape.fan_out(l);
    const FMatrix& a_prev = ws.a[li - 1];
    const float* g = ws.grad_output.data();
    gemm(true, false, n_out, n_in, rows, 1.0f, g, n_out, a_prev.data(), n_in, 0.0f, gradient.weights[li].data(), n_in);
    gradient.biases[li].setZero();
    add_column_sums(g, batch, n_out, gradient.biases[li].data());
    FMatrix& ga = ws.grad_a[li - 1];
    ga.resize(rows, n_in);
    gemm(false, false, rows, n_in, n_out, 1.0f, g, n_out, p.weights[li].data(), n_in, 0.0f, ga.data(), n_in);
  }
  for (Index l = n_layers - 2; l >= 0; --l) {
    const auto li = static_cast<std::size_t>(l);
    const Index n = shape.fan_out(l), n_in = shape.fan_in(l);
    const Index primal = batch * n;
    const FMatrix& ga = ws.grad_a[li];
    FMatrix& gz = ws.grad_z[li];
    gz.resize(rows, n);
    const float* d1 = ws.d1[li].data();
    multiply(d1, ga.data(), gz.data(), primal);
    for (Index k = 0; k < tangents; ++k)
      tangent_backward(d1, ws.d2[li].data(), ws.z[li].data() + (1 + k) * primal, ga.data() + (1 + k) * primal, gz.data(),
                       gz.data() + (1 + k) * primal, primal);
    gradient.biases[li].setZero();
    add_column_sums(gz.data(), batch, n, gradient.biases[li].data());
    if (l > 0) {
      const FMatrix& a_prev = ws.a[li - 1];
      gemm(true, false, n, n_in, rows, 1.0f, gz.data(), n, a_prev.data(), n_in, 0.0f, gradient.weights[li].data(), n_in);
      FMatrix& ga_prev = ws.grad_a[li - 1];
      ga_prev.resize(rows, n_in);
      gemm(false, false, rows, n_in, n, 1.0f, gz.data(), n, p.weights[li].data(), n_in, 0.0f, ga_prev.data(), n_in);
    } else {
      FMatrix& gw = gradient.weights[0];
      gemm(true, false, n, n_in, batch, 1.0f, gz.data(), n, input, n_in, 0.0f, gw.data(), n_in);
      // Input tangent k is the unit vector e_k: ḡW[:, k] += Σ_rows ḡż_k.
      FVector column_sum(n);
      for (Index k = 0; k < tangents; ++k) {
        column_sum.setZero();
        add_column_sums(gz.data() + (1 + k) * primal, batch, n, column_sum.data());
        for (Index j = 0; j < n; ++j) gw(j, k) += column_sum(j);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

namespace {
constexpr Index evaluation_chunk = 2048;

int chunk_threads(int threads, Index chunks) {
  return static_cast<int>(std::max<Index>(1, std::min<Index>(threads, chunks)));
}
}  // namespace

void mlp_evaluate(const MlpShape& shape, const MlpParameters& p, const FMatrix& input, FMatrix& out, int threads) {
  const Index n_rows = input.rows();
  out.resize(n_rows, shape.n_outputs);
  const Index chunks = (n_rows + evaluation_chunk - 1) / evaluation_chunk;
  // Small GEMMs: parallel over chunks of events, single-threaded BLAS inside.
  const SingleThreadedBlas single;
#pragma omp parallel num_threads(chunk_threads(threads, chunks))
  {
    MlpWorkspace ws;
#pragma omp for schedule(dynamic)
    for (Index c = 0; c < chunks; ++c) {
      const Index first = c * evaluation_chunk;
      const Index rows = std::min(evaluation_chunk, n_rows - first);
      mlp_forward(shape, p, input.data() + first * input.cols(), rows, 0, ws, false);
      std::memcpy(out.data() + first * shape.n_outputs, ws.output.data(),
                  sizeof(float) * static_cast<std::size_t>(rows * shape.n_outputs));
    }
  }
}

void mlp_evaluate_grid(const MlpShape& shape, const MlpParameters& p, Index n_theta_inputs, const FMatrix& x_scaled,
                       const FMatrix& theta_scaled, FMatrix& out, FMatrix* score, int threads) {
  if (shape.hidden.empty()) throw InvalidArgument("MLP without hidden layers: hidden must have at least one layer");
  const Index n_events = x_scaled.rows(), n_thetas = theta_scaled.rows();
  const Index n_x = x_scaled.cols(), n1 = shape.fan_out(0), n_in = shape.n_inputs;
  const Index tangents = score ? n_theta_inputs : 0;
  out.resize(n_thetas, n_events);
  if (score) score->resize(n_thetas * n_events, n_theta_inputs);
  const FMatrix& w0 = p.weights[0];
  // W_θ θ' + b for every θ at once: T × n1.
  const FMatrix theta_part =
      (theta_scaled * w0.leftCols(n_theta_inputs).transpose()).rowwise() + p.biases[0].transpose();
  const Index chunks = (n_events + evaluation_chunk - 1) / evaluation_chunk;
  const SingleThreadedBlas single;
#pragma omp parallel num_threads(chunk_threads(threads, chunks))
  {
    MlpWorkspace ws;
    FMatrix u;
#pragma omp for schedule(dynamic)
    for (Index c = 0; c < chunks; ++c) {
      const Index first = c * evaluation_chunk;
      const Index rows = std::min(evaluation_chunk, n_events - first);
      // U = x' W_xᵀ, once per event (W_x: the columns of W after the θ columns).
      u.resize(rows, n1);
      gemm(false, true, rows, n1, n_x, 1.0f, x_scaled.data() + first * n_x, n_x, w0.data() + n_theta_inputs, n_in,
           0.0f, u.data(), n1);
      prepare_workspace(shape, rows, tangents, ws);
      for (Index t = 0; t < n_thetas; ++t) {
        FMatrix& z0 = ws.z[0];
        z0.resize((1 + tangents) * rows, n1);
        z0.topRows(rows) = u.rowwise() + theta_part.row(t);
        first_layer_tangents(w0, rows, tangents, z0.data());
        forward_from_first_layer(shape, p, rows, tangents, ws, false);
        for (Index e = 0; e < rows; ++e) out(t, first + e) = ws.output(e, 0);
        if (score)
          for (Index k = 0; k < tangents; ++k)
            for (Index e = 0; e < rows; ++e) (*score)(t * n_events + first + e, k) = ws.output((1 + k) * rows + e, 0);
      }
    }
  }
}

}  // namespace sbi::detail
