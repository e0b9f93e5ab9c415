// Training data preparation, the losses on the native engine, the native backend with torch.optim's
// update rules, and the training loop with early stopping (see estimators.hpp).
#include "training.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <random>

#include "sbi/error.hpp"

namespace sbi::detail {

// ---------------------------------------------------------------------------------------------
// Data

Scalings compute_scalings(EstimatorMethod method, const AugmentedSamples& samples, bool scale_inputs) {
  Scalings s;
  const Index n_x = samples.x.cols(), n_p = samples.n_parameters();
  auto mean_std = [&](const RowMatrix& m, Vector& means, Vector& stds) {
    const Index cols = m.cols();
    means = Vector::Zero(cols);
    stds = Vector::Ones(cols);
    if (!scale_inputs || m.rows() == 0) return;
    means = m.colwise().mean().transpose();
    for (Index j = 0; j < cols; ++j) {
      // Population standard deviation (NumPy's np.std), floored at 1e-6 as MadMiner does.
      const double var = (m.col(j).array() - means(j)).square().mean();
      stds(j) = std::max(std::sqrt(var), 1e-6);
    }
  };
  mean_std(samples.x, s.x_means, s.x_stds);
  if (is_score_method(method)) {
    s.theta_means = Vector::Zero(n_p);
    s.theta_stds = Vector::Ones(n_p);
  } else {
    mean_std(samples.theta0, s.theta_means, s.theta_stds);
  }
  (void)n_x;
  return s;
}

TrainingData prepare_training_data(EstimatorMethod method, const AugmentedSamples& samples, const Scalings& scalings,
                                   const TrainingOptions& options) {
  TrainingData d;
  d.method = method;
  const Index n_all = samples.size();
  const Index n = options.limit_samplesize > 0 ? std::min(options.limit_samplesize, n_all) : n_all;
  const Index n_x = samples.x.cols(), n_p = samples.n_parameters();
  const bool score_method = is_score_method(method);
  d.n_theta = score_method ? 0 : n_p;
  d.inputs.resize(n, d.n_theta + n_x);
  for (Index i = 0; i < n; ++i) {
    for (Index k = 0; k < d.n_theta; ++k)
      d.inputs(i, k) = static_cast<float>((samples.theta0(i, k) - scalings.theta_means(k)) / scalings.theta_stds(k));
    for (Index j = 0; j < n_x; ++j)
      d.inputs(i, d.n_theta + j) = static_cast<float>((samples.x(i, j) - scalings.x_means(j)) / scalings.x_stds(j));
  }
  // Values beyond the fp32 range would turn into ±inf in the network's arithmetic: refuse them here.
  constexpr double fp32_max = 3.0e38;
  auto check_range = [&](const RowMatrix& m, const char* field) {
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < m.cols(); ++j)
        if (std::abs(m(i, j)) > fp32_max)
          throw InvalidArgument(fmt::format("{}[{}, {}] = {} at sample {}: beyond the fp32 range of the networks (|v| < 3e38)",
                                            field, i, j, m(i, j), i));
  };
  check_range(samples.x, "x");
  check_range(samples.theta0, "theta0");
  if (samples.t_xz0.rows() == n_all) check_range(samples.t_xz0, "t_xz0");
  d.has_score = samples.t_xz0.rows() == n_all && n_all > 0;
  if (d.has_score) {
    d.t.resize(n, n_p);
    for (Index i = 0; i < n; ++i)
      for (Index k = 0; k < n_p; ++k)
        d.t(i, k) = static_cast<float>(score_method ? samples.t_xz0(i, k) : samples.t_xz0(i, k) * scalings.theta_stds(k));
  }
  if (!score_method) {
    d.y.resize(n);
    d.s_true.resize(n);
    d.r_clipped.resize(n);
    const double r_min = std::exp(-options.log_r_clip), r_max = std::exp(options.log_r_clip);
    for (Index i = 0; i < n; ++i) {
      const double r = samples.r_xz(i);
      d.y(i) = static_cast<float>(samples.y(i));
      d.s_true(i) = static_cast<float>(1.0 / (1.0 + r));
      d.r_clipped(i) = static_cast<float>(std::clamp(r, r_min, r_max));
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Losses

std::vector<std::string> LossSpec::term_names() const {
  // MadMiner's loss labels (ml/utils.py get_loss).
  switch (method) {
    case EstimatorMethod::Sally:
    case EstimatorMethod::Sallino: return {"mse_score"};
    case EstimatorMethod::Carl: return {"xe"};
    case EstimatorMethod::Rolr: return {"mse_r"};
    case EstimatorMethod::Alice: return {"improved_xe"};
    case EstimatorMethod::Alices: return {"improved_xe", "mse_score"};
    case EstimatorMethod::Cascal: return {"xe", "mse_score"};
    case EstimatorMethod::Rascal: return {"mse_r", "mse_score"};
  }
  return {};
}

double LossSpec::total(const std::vector<double>& terms) const {
  double sum = terms.empty() ? 0.0 : terms[0];
  if (terms.size() > 1) sum += alpha * terms[1];
  return sum;
}

namespace {
// softplus(x) = log(1 + e^x), stable for any x.
inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
inline double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
}  // namespace

std::vector<double> native_loss(const LossSpec& loss, const TrainingData& data, std::span<const Index> rows,
                                Index n_parameters, MlpWorkspace& ws, bool gradient, Index batch_total) {
  const auto batch = static_cast<Index>(rows.size());
  const double inv_batch = 1.0 / static_cast<double>(batch_total > 0 ? batch_total : batch);
  const FMatrix& out = ws.output;
  if (gradient) ws.grad_output.setZero(out.rows(), out.cols());
  if (is_score_method(loss.method)) {
    // MSE over samples and components (torch's MSELoss).
    const double norm = inv_batch / static_cast<double>(n_parameters);
    double sum = 0;
    for (Index i = 0; i < batch; ++i) {
      const Index r = rows[static_cast<std::size_t>(i)];
      for (Index k = 0; k < n_parameters; ++k) {
        const double diff = static_cast<double>(out(i, k)) - static_cast<double>(data.t(r, k));
        sum += diff * diff;
        if (gradient) ws.grad_output(i, k) = static_cast<float>(2.0 * diff * norm);
      }
    }
    return {sum * norm};
  }

  const double clip = loss.log_r_clip;
  double main_term = 0;
  for (Index i = 0; i < batch; ++i) {
    const Index r = rows[static_cast<std::size_t>(i)];
    const double f = out(i, 0);  // log r̂
    const double y = data.y(r);
    double value = 0, derivative = 0;
    switch (loss.method) {
      case EstimatorMethod::Carl:
      case EstimatorMethod::Cascal:
        // BCE(ŝ, y) with ŝ = 1/(1 + e^f) = σ(−f).
        value = y * softplus(f) + (1 - y) * softplus(-f);
        derivative = y * sigmoid(f) - (1 - y) * sigmoid(-f);
        break;
      case EstimatorMethod::Alice:
      case EstimatorMethod::Alices: {
        const double s = data.s_true(r);
        value = s * softplus(f) + (1 - s) * softplus(-f);
        derivative = s * sigmoid(f) - (1 - s) * sigmoid(-f);
        break;
      }
      case EstimatorMethod::Rolr:
      case EstimatorMethod::Rascal: {
        // (1 − y)(1/r̂ − 1/r)² + y(r̂ − r)², log r̂ clipped (zero gradient outside the clip).
        const double fc = std::clamp(f, -clip, clip);
        const bool inside = f >= -clip && f <= clip;
        const double r_true = data.r_clipped(r);
        const double inv_hat = std::exp(-fc), hat = std::exp(fc);
        const double a = inv_hat - 1.0 / r_true, b = hat - r_true;
        value = (1 - y) * a * a + y * b * b;
        derivative = inside ? (1 - y) * 2 * a * (-inv_hat) + y * 2 * b * hat : 0.0;
        break;
      }
      default: break;
    }
    main_term += value;
    if (gradient) ws.grad_output(i, 0) = static_cast<float>(derivative * inv_batch);
  }
  main_term *= inv_batch;
  if (!has_score_term(loss.method)) return {main_term};

  // α · MSE over samples and components of (1 − y)(t̂ − t), t̂ the tangent outputs.
  const double norm = inv_batch / static_cast<double>(n_parameters);
  double score_term = 0;
  for (Index k = 0; k < n_parameters; ++k)
    for (Index i = 0; i < batch; ++i) {
      const Index r = rows[static_cast<std::size_t>(i)];
      const double keep = 1.0 - data.y(r);
      const double diff = keep * (static_cast<double>(out((1 + k) * batch + i, 0)) - data.t(r, k));
      score_term += diff * diff;
      if (gradient) ws.grad_output((1 + k) * batch + i, 0) = static_cast<float>(loss.alpha * 2.0 * diff * norm);
    }
  return {main_term, score_term * norm};
}

// ---------------------------------------------------------------------------------------------
// The native backend

namespace {

/// torch.optim.Adam (with amsgrad) and torch.optim.SGD (with Nesterov momentum), update rules as
/// in PyTorch 1.13 with β = (0.9, 0.999), ε = 1e-8, no weight decay.
class NativeOptimizer {
 public:
  NativeOptimizer(OptimizerKind kind, double momentum, const MlpShape& shape) : kind_(kind), momentum_(momentum) {
    m_ = MlpParameters::zeros(shape);
    if (kind != OptimizerKind::Sgd) v_ = MlpParameters::zeros(shape);
    if (kind == OptimizerKind::Amsgrad) v_max_ = MlpParameters::zeros(shape);
  }

  void step(MlpParameters& p, const MlpParameters& g, double lr) {
    ++t_;
    if (kind_ == OptimizerKind::Sgd) {
      const auto mu = static_cast<float>(momentum_);
      const auto lrf = static_cast<float>(lr);
      for_each_tensor(p, g, [&](float* w, const float* grad, float* m, float*, float*, Index n) {
        for (Index i = 0; i < n; ++i) {
          float update = grad[i];
          if (mu != 0.0f) {
            m[i] = t_ == 1 ? grad[i] : mu * m[i] + grad[i];
            update = grad[i] + mu * m[i];  // Nesterov
          }
          w[i] -= lrf * update;
        }
      });
      return;
    }
    const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(t_));
    const double bias2 = 1.0 - std::pow(beta2, static_cast<double>(t_));
    const auto step_size = static_cast<float>(lr / bias1);
    const auto sqrt_bias2 = static_cast<float>(std::sqrt(bias2));
    const bool ams = kind_ == OptimizerKind::Amsgrad;
    const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
    for_each_tensor(p, g, [&](float* w, const float* grad, float* m, float* v, float* v_max, Index n) {
      for (Index i = 0; i < n; ++i) {
        m[i] = b1 * m[i] + (1.0f - b1) * grad[i];
        v[i] = b2 * v[i] + (1.0f - b2) * grad[i] * grad[i];
        float second = v[i];
        if (ams) second = v_max[i] = std::max(v_max[i], v[i]);
        const float denominator = std::sqrt(second) / sqrt_bias2 + static_cast<float>(epsilon);
        w[i] -= step_size * m[i] / denominator;
      }
    });
  }

 private:
  template <typename F>
  void for_each_tensor(MlpParameters& p, const MlpParameters& g, F&& f) {
    for (std::size_t l = 0; l < p.weights.size(); ++l) {
      f(p.weights[l].data(), g.weights[l].data(), m_.weights[l].data(), v_.weights.empty() ? nullptr : v_.weights[l].data(),
        v_max_.weights.empty() ? nullptr : v_max_.weights[l].data(), p.weights[l].size());
      f(p.biases[l].data(), g.biases[l].data(), m_.biases[l].data(), v_.biases.empty() ? nullptr : v_.biases[l].data(),
        v_max_.biases.empty() ? nullptr : v_max_.biases[l].data(), p.biases[l].size());
    }
  }
  static constexpr double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  OptimizerKind kind_;
  double momentum_;
  long t_ = 0;
  MlpParameters m_, v_, v_max_;
};

class NativeBackend final : public TrainingBackend {
 public:
  NativeBackend(const MlpShape& shape, const MlpParameters& initial, const LossSpec& loss,
                const TrainingOptions& options, Index n_parameters)
      : shape_(shape),
        parameters_(initial),
        gradient_(MlpParameters::zeros(shape)),
        loss_(loss),
        options_(options),
        n_parameters_(n_parameters),
        optimizer_(options.optimizer, options.nesterov_momentum, shape) {}

  std::string name() const override { return "native"; }

  StepResult train_step(const TrainingData& data, std::span<const Index> rows, double lr) override {
    StepResult result;
    const auto batch = static_cast<Index>(rows.size());
    const Index tangents = loss_.tangents(n_parameters_);
    // Each chunk: forward, its share of the batch-mean loss, backward into its own gradient.
    const Index chunks = for_each_chunk(rows, native_chunk_rows, [&](std::span<const Index> part, Chunk& chunk) {
      gather(data, part, chunk.inputs);
      mlp_forward(shape_, parameters_, chunk.inputs.data(), static_cast<Index>(part.size()), tangents, chunk.ws, true);
      chunk.terms = native_loss(loss_, data, part, n_parameters_, chunk.ws, true, batch);
      mlp_backward(shape_, parameters_, chunk.inputs.data(), chunk.ws, chunk.gradient);
    });
    // Sum in chunk order (independent of the threads that ran them).
    result.terms.assign(chunks_[0].terms.size(), 0.0);
    gradient_ = chunks_[0].gradient;
    for (Index c = 0; c < chunks; ++c) {
      const Chunk& chunk = chunks_[static_cast<std::size_t>(c)];
      for (std::size_t k = 0; k < chunk.terms.size(); ++k) result.terms[k] += chunk.terms[k];
      if (c > 0) add(gradient_, chunk.gradient);
    }
    for (double term : result.terms)
      if (!std::isfinite(term)) {
        result.finite = false;
        result.what_not_finite = "loss";
        return result;
      }
    if (!gradient_.all_finite()) {
      result.finite = false;
      result.what_not_finite = "gradient";
      return result;
    }
    if (options_.clip_gradient > 0) {
      // torch.nn.utils.clip_grad_norm_: scale by max_norm / (‖g‖ + 1e-6) when that is < 1.
      const double norm = std::sqrt(gradient_.squared_norm());
      const double coefficient = options_.clip_gradient / (norm + 1e-6);
      if (coefficient < 1.0) gradient_.scale(static_cast<float>(coefficient));
    }
    optimizer_.step(parameters_, gradient_, lr);
    return result;
  }

  std::vector<double> loss(const TrainingData& data, std::span<const Index> rows) override {
    constexpr Index rows_per_chunk = 4096;
    const auto n = static_cast<Index>(rows.size());
    if (n == 0) return {};
    const Index tangents = loss_.tangents(n_parameters_);
    const Index chunks = for_each_chunk(rows, rows_per_chunk, [&](std::span<const Index> part, Chunk& chunk) {
      gather(data, part, chunk.inputs);
      mlp_forward(shape_, parameters_, chunk.inputs.data(), static_cast<Index>(part.size()), tangents, chunk.ws, false);
      chunk.terms = native_loss(loss_, data, part, n_parameters_, chunk.ws, false, n);
    });
    std::vector<double> sum(chunks_[0].terms.size(), 0.0);
    for (Index c = 0; c < chunks; ++c)
      for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += chunks_[static_cast<std::size_t>(c)].terms[k];
    return sum;
  }

  void read_parameters(MlpParameters& out) override { out = parameters_; }
  void write_parameters(const MlpParameters& in) override { parameters_ = in; }

 private:
  struct Chunk {
    MlpWorkspace ws;
    FMatrix inputs;
    MlpParameters gradient;
    std::vector<double> terms;
  };

  // Cuts `rows` into consecutive chunks of `rows_per_chunk` (the last one shorter) and runs
  // f(part, chunk) for each with run_chunks; returns the number of chunks (chunks_[0 .. n)).
  template <typename F>
  Index for_each_chunk(std::span<const Index> rows, Index rows_per_chunk, F&& f) {
    const auto n = static_cast<Index>(rows.size());
    const Index chunks = (n + rows_per_chunk - 1) / rows_per_chunk;
    if (static_cast<Index>(chunks_.size()) < chunks) chunks_.resize(static_cast<std::size_t>(chunks));
    run_chunks(chunks, [&](Index c, Chunk& chunk) {
      const Index first = c * rows_per_chunk;
      f(rows.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(std::min(rows_per_chunk, n - first))), chunk);
    });
    return chunks;
  }

  // Runs f(c, chunk) for every chunk, on up to options_.threads threads (single-threaded BLAS
  // inside the parallel region) when there is more than one chunk.
  template <typename F>
  void run_chunks(Index chunks, F&& f) {
    const int threads = static_cast<int>(std::min<Index>(std::max(options_.threads, 1), chunks));
    if (threads > 1 && !omp_in_parallel()) {
      std::vector<std::exception_ptr> errors(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static) num_threads(threads)
      for (Index c = 0; c < chunks; ++c) {
        try {
          f(c, chunks_[static_cast<std::size_t>(c)]);
        } catch (...) {
          errors[static_cast<std::size_t>(c)] = std::current_exception();
        }
      }
      for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    } else {
      for (Index c = 0; c < chunks; ++c) f(c, chunks_[static_cast<std::size_t>(c)]);
    }
  }

  static void gather(const TrainingData& data, std::span<const Index> rows, FMatrix& out) {
    const Index cols = data.inputs.cols();
    out.resize(static_cast<Index>(rows.size()), cols);
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = data.inputs.row(rows[i]);
  }

  static void add(MlpParameters& target, const MlpParameters& other) {
    for (std::size_t l = 0; l < target.weights.size(); ++l) {
      target.weights[l] += other.weights[l];
      target.biases[l] += other.biases[l];
    }
  }

  MlpShape shape_;
  MlpParameters parameters_, gradient_;
  LossSpec loss_;
  TrainingOptions options_;
  Index n_parameters_;
  NativeOptimizer optimizer_;
  std::vector<Chunk> chunks_;
};

}  // namespace

std::unique_ptr<TrainingBackend> make_native_backend(const MlpShape& shape, const MlpParameters& initial,
                                                     const LossSpec& loss, const TrainingOptions& options,
                                                     Index n_parameters) {
  return std::make_unique<NativeBackend>(shape, initial, loss, options, n_parameters);
}

// ---------------------------------------------------------------------------------------------
// The training loop

namespace {

/// Fisher–Yates with a 128-bit multiply for the index (same permutation on every platform).
void permute(std::vector<Index>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(random_index(rng(), i));
    std::swap(v[i - 1], v[j]);
  }
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

class ProgressBar {
 public:
  explicit ProgressBar(int mode) : enabled_(mode > 0 || (mode < 0 && isatty(STDERR_FILENO) == 1)) {}
  void update(Index epoch, Index epochs, double train, double validation, double elapsed) {
    if (!enabled_) return;
    constexpr int width = 24;
    const double fraction = static_cast<double>(epoch + 1) / static_cast<double>(epochs);
    const int filled = static_cast<int>(fraction * width + 0.5);
    const double left = elapsed / fraction - elapsed;
    std::string line = fmt::format("\r\033[Kepoch {:>4}/{} [{}{}] train {:.5g}", epoch + 1, epochs,
                                   std::string(static_cast<std::size_t>(filled), '#'),
                                   std::string(static_cast<std::size_t>(width - filled), '.'), train);
    if (std::isfinite(validation)) line += fmt::format("  val {:.5g}", validation);
    line += fmt::format("  {} left", format_duration(left));
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }
  ~ProgressBar() {
    if (shown_) std::fputs("\n", stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

}  // namespace

TrainingSummary run_training(TrainingBackend& backend, const LossSpec& loss, const TrainingData& train,
                             std::span<const Index> train_rows, const TrainingData* validation,
                             std::span<const Index> validation_rows, const TrainingOptions& options,
                             const EpochCallback& on_epoch, MlpParameters& parameters) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  TrainingSummary summary;
  summary.loss_terms = loss.term_names();
  summary.n_train = static_cast<Index>(train_rows.size());
  summary.n_validation = validation ? static_cast<Index>(validation_rows.size()) : 0;
  summary.backend = backend.name();
  const bool validate = validation && !validation_rows.empty();
  const bool restore_best = validate && options.early_stopping;

  std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL);
  std::vector<Index> order(train_rows.begin(), train_rows.end());
  MlpParameters best;
  double best_loss = std::numeric_limits<double>::infinity();
  Index processed = 0;
  ProgressBar progress(options.progress);
  // The parameters at the end of the last completed epoch: what the model keeps when a later step
  // produces NaN or infinite values (an update can overflow even when its gradient was finite).
  MlpParameters last_good;
  backend.read_parameters(last_good);

  for (Index epoch = 0; epoch < options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    // MadMiner's schedule: initial_lr · (final_lr/initial_lr)^(epoch/(epochs − 1)).
    const double lr = options.epochs > 1
                          ? options.initial_lr * std::pow(options.final_lr / options.initial_lr,
                                                          static_cast<double>(epoch) / static_cast<double>(options.epochs - 1))
                          : options.initial_lr;
    permute(order, rng);
    std::vector<double> term_sums;
    bool stopped = false;
    for (std::size_t first = 0, batch_index = 0; first < order.size();
         first += static_cast<std::size_t>(options.batch_size), ++batch_index) {
      const std::size_t size = std::min(static_cast<std::size_t>(options.batch_size), order.size() - first);
      const auto rows = std::span<const Index>(order).subspan(first, size);
      const StepResult step = backend.train_step(train, rows, lr);
      if (!step.finite) {
        summary.reason = StopReason::NonFinite;
        std::string terms;
        for (std::size_t k = 0; k < step.terms.size(); ++k)
          terms += fmt::format("{}{} = {}", k ? ", " : "", summary.loss_terms[k], step.terms[k]);
        summary.message = fmt::format(
            "training stopped: the {} became NaN or infinite in epoch {} (1-based), batch {} ({}); "
            "lower initial_lr, enable clip_gradient, or check the samples for extreme r_xz / t_xz",
            step.what_not_finite, epoch + 1, batch_index + 1, terms.empty() ? "no loss" : terms);
        stopped = true;
        break;
      }
      if (term_sums.empty()) term_sums.assign(step.terms.size(), 0.0);
      for (std::size_t k = 0; k < step.terms.size(); ++k) term_sums[k] += step.terms[k] * static_cast<double>(size);
      processed += static_cast<Index>(size);
    }
    if (stopped) {
      backend.write_parameters(last_good);
      break;
    }

    EpochRecord record;
    record.epoch = epoch;
    record.learning_rate = lr;
    for (double s : term_sums) record.train_loss_terms.push_back(s / static_cast<double>(std::max<std::size_t>(order.size(), 1)));
    record.train_loss = loss.total(record.train_loss_terms);
    record.validation_loss = std::numeric_limits<double>::quiet_NaN();
    if (validate) {
      record.validation_loss_terms = backend.loss(*validation, validation_rows);
      record.validation_loss = loss.total(record.validation_loss_terms);
    }
    record.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    summary.history.push_back(record);
    progress.update(epoch, options.epochs, record.train_loss, record.validation_loss,
                    std::chrono::duration<double>(Clock::now() - start).count());

    if (!std::isfinite(record.train_loss) || (validate && !std::isfinite(record.validation_loss))) {
      summary.reason = StopReason::NonFinite;
      summary.message = fmt::format("training stopped: the {} loss of epoch {} is {}",
                                    std::isfinite(record.train_loss) ? "validation" : "training", epoch + 1,
                                    std::isfinite(record.train_loss) ? record.validation_loss : record.train_loss);
      summary.history.pop_back();
      backend.write_parameters(last_good);
      break;
    }
    backend.read_parameters(last_good);
    if (validate) {
      if (record.validation_loss < best_loss) {
        best_loss = record.validation_loss;
        summary.best_epoch = epoch;
        if (restore_best) backend.read_parameters(best);  // a deep copy, not an alias of the live weights
      } else if (options.early_stopping && options.early_stopping_patience > 0 &&
                 epoch - summary.best_epoch >= options.early_stopping_patience) {
        summary.reason = StopReason::EarlyStopping;
        summary.message = fmt::format("early stopping after epoch {}: no lower validation loss for {} epochs", epoch + 1,
                                      options.early_stopping_patience);
        break;
      }
    } else {
      summary.best_epoch = epoch;
    }
    if (on_epoch && !on_epoch(record)) {
      summary.reason = StopReason::Interrupted;
      summary.message = fmt::format("interrupted after epoch {}", epoch + 1);
      break;
    }
  }

  if (restore_best && summary.best_epoch >= 0) {
    backend.write_parameters(best);
    summary.best_validation_loss = best_loss;
  } else if (!summary.history.empty()) {
    // Without early stopping the model keeps the last epoch's parameters.
    summary.best_epoch = summary.history.back().epoch;
    summary.best_validation_loss = summary.history.back().validation_loss;
  } else {
    summary.best_epoch = -1;
    summary.best_validation_loss = std::numeric_limits<double>::quiet_NaN();
  }
  backend.read_parameters(parameters);
  if (summary.message.empty())
    summary.message = fmt::format("completed {} epochs", summary.history.size());
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.samples_per_second = summary.seconds > 0 ? static_cast<double>(processed) / summary.seconds : 0.0;
  return summary;
}

}  // namespace sbi::detail
