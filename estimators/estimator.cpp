// Estimators and ensembles: names and options, training (backend choice, data checks), evaluation,
// ensembles trained side by side, and the calibration diagnostics (estimators.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include "estimator_impl.hpp"
#include "sbi/error.hpp"
#include "sbi/version.hpp"

namespace sbi {

// ---------------------------------------------------------------------------------------------
// Names

namespace {

template <typename E, std::size_t N>
std::string_view name_of(E value, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <typename E, std::size_t N>
E parse_name(std::string_view text, const std::pair<E, std::string_view> (&table)[N], std::string_view what) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [v, name] : table)
    if (name == lower) return v;
  std::string valid;
  for (const auto& [v, name] : table) valid += (valid.empty() ? "" : ", ") + std::string(name);
  throw InvalidArgument(fmt::format("{} '{}' is unknown; use one of {}", what, text, valid));
}

constexpr std::pair<EstimatorMethod, std::string_view> method_names[] = {
    {EstimatorMethod::Sally, "sally"}, {EstimatorMethod::Sallino, "sallino"}, {EstimatorMethod::Carl, "carl"},
    {EstimatorMethod::Rolr, "rolr"},   {EstimatorMethod::Alice, "alice"},     {EstimatorMethod::Alices, "alices"},
    {EstimatorMethod::Cascal, "cascal"}, {EstimatorMethod::Rascal, "rascal"}};
constexpr std::pair<Activation, std::string_view> activation_names[] = {
    {Activation::Tanh, "tanh"},         {Activation::Sigmoid, "sigmoid"},  {Activation::Relu, "relu"},
    {Activation::Softplus, "softplus"}, {Activation::LeakyRelu, "lrelu"}, {Activation::Elu, "elu"}};
constexpr std::pair<OptimizerKind, std::string_view> optimizer_names[] = {
    {OptimizerKind::Amsgrad, "amsgrad"}, {OptimizerKind::Adam, "adam"}, {OptimizerKind::Sgd, "sgd"}};
constexpr std::pair<Device, std::string_view> device_names[] = {{Device::Cpu, "cpu"}, {Device::Cuda, "cuda"}};
constexpr std::pair<Backend, std::string_view> backend_names[] = {
    {Backend::Auto, "auto"}, {Backend::Native, "native"}, {Backend::Torch, "torch"}};
constexpr std::pair<StopReason, std::string_view> reason_names[] = {
    {StopReason::Completed, "completed"},
    {StopReason::EarlyStopping, "early_stopping"},
    {StopReason::NonFinite, "non_finite"},
    {StopReason::Interrupted, "interrupted"}};

}  // namespace

std::string_view to_string(EstimatorMethod method) { return name_of(method, method_names); }
EstimatorMethod parse_estimator_method(std::string_view name) { return parse_name(name, method_names, "method"); }
bool is_score_method(EstimatorMethod m) { return m == EstimatorMethod::Sally || m == EstimatorMethod::Sallino; }
bool has_score_term(EstimatorMethod m) {
  return m == EstimatorMethod::Alices || m == EstimatorMethod::Cascal || m == EstimatorMethod::Rascal;
}
SampleKind training_sample_kind(EstimatorMethod m) { return is_score_method(m) ? SampleKind::Local : SampleKind::Ratio; }

std::string_view to_string(Activation a) { return name_of(a, activation_names); }
Activation parse_activation(std::string_view name) { return parse_name(name, activation_names, "activation"); }
std::string_view to_string(OptimizerKind o) { return name_of(o, optimizer_names); }
OptimizerKind parse_optimizer(std::string_view name) { return parse_name(name, optimizer_names, "optimizer"); }
std::string_view to_string(Device d) { return name_of(d, device_names); }
Device parse_device(std::string_view name) { return parse_name(name, device_names, "device"); }
std::string_view to_string(Backend b) { return name_of(b, backend_names); }
Backend parse_backend(std::string_view name) { return parse_name(name, backend_names, "backend"); }
std::string_view to_string(StopReason r) { return name_of(r, reason_names); }

int default_thread_count() {
  // omp_get_num_procs honours the process's CPU affinity (taskset, cgroups).
  return std::max(1, omp_get_num_procs());
}

// ---------------------------------------------------------------------------------------------
// Options

void NetworkOptions::validate() const {
  if (hidden.empty()) throw InvalidArgument("hidden = []: a network needs at least one hidden layer");
  for (std::size_t i = 0; i < hidden.size(); ++i)
    if (hidden[i] < 1 || hidden[i] > 100000)
      throw InvalidArgument(fmt::format("hidden[{}] = {}: units per layer must be in [1, 100000]", i, hidden[i]));
}

void TrainingOptions::validate() const {
  auto fail = [](const std::string& m) { throw InvalidArgument(m); };
  if (epochs < 1) fail(fmt::format("epochs = {}: must be >= 1", epochs));
  if (batch_size < 1) fail(fmt::format("batch_size = {}: must be >= 1", batch_size));
  if (!(initial_lr > 0) || !std::isfinite(initial_lr)) fail(fmt::format("initial_lr = {}: must be > 0", initial_lr));
  if (!(final_lr > 0) || !std::isfinite(final_lr)) fail(fmt::format("final_lr = {}: must be > 0", final_lr));
  if (!(nesterov_momentum >= 0 && nesterov_momentum < 1))
    fail(fmt::format("nesterov_momentum = {}: must be in [0, 1)", nesterov_momentum));
  if (!(validation_split >= 0 && validation_split < 1))
    fail(fmt::format("validation_split = {}: must be in [0, 1)", validation_split));
  if (early_stopping_patience < 0) fail(fmt::format("early_stopping_patience = {}: must be >= 0", early_stopping_patience));
  if (!(clip_gradient >= 0) || !std::isfinite(clip_gradient))
    fail(fmt::format("clip_gradient = {}: must be >= 0 (0 = off)", clip_gradient));
  if (!(alpha >= 0) || !std::isfinite(alpha)) fail(fmt::format("alpha = {}: must be >= 0", alpha));
  if (!(log_r_clip > 0) || !std::isfinite(log_r_clip)) fail(fmt::format("log_r_clip = {}: must be > 0", log_r_clip));
  if (limit_samplesize < 0) fail(fmt::format("limit_samplesize = {}: must be >= 0 (0 = all)", limit_samplesize));
  if (threads < 0) fail(fmt::format("threads = {}: must be >= 0 (0 = all cores)", threads));
  if (progress < -1 || progress > 1) fail(fmt::format("progress = {}: must be -1 (auto), 0 or 1", progress));
  if (device == Device::Cuda && backend == Backend::Native)
    fail("backend = native with device = cuda: the native engine runs on the CPU; use backend = torch or auto");
}

void EnsembleOptions::validate() const {
  if (members < 1) throw InvalidArgument(fmt::format("members = {}: an ensemble needs at least one member", members));
}

// ---------------------------------------------------------------------------------------------
// Summaries

std::string TrainingSummary::brief_report() const {
  std::string best = best_epoch >= 0 ? fmt::format("epoch {}", best_epoch + 1) : std::string("none");
  if (best_epoch >= 0 && std::isfinite(best_validation_loss)) best += fmt::format(" (validation loss {:.6g})", best_validation_loss);
  return fmt::format("{} epochs, best {}, {}: {}; {} train / {} validation samples, {:.2f} s, {:.3g} samples/s, {}, {} thread{}",
                     history.size(), best, to_string(reason), message, n_train, n_validation, seconds,
                     samples_per_second, backend, threads, threads == 1 ? "" : "s");
}

std::string TrainingSummary::full_report() const {
  std::string out = brief_report() + "\n";
  std::string header = fmt::format("{:>6} {:>10} {:>13} {:>13}", "epoch", "lr", "train", "validation");
  for (const auto& term : loss_terms) header += fmt::format(" {:>13}", "t:" + term);
  for (const auto& term : loss_terms) header += fmt::format(" {:>13}", "v:" + term);
  out += header + fmt::format(" {:>8}\n", "seconds");
  for (const auto& r : history) {
    std::string line = fmt::format("{:>6} {:>10.3e} {:>13.6g} {:>13.6g}", r.epoch + 1, r.learning_rate, r.train_loss,
                                   r.validation_loss);
    for (std::size_t k = 0; k < loss_terms.size(); ++k)
      line += fmt::format(" {:>13.6g}", k < r.train_loss_terms.size() ? r.train_loss_terms[k] : NAN);
    for (std::size_t k = 0; k < loss_terms.size(); ++k)
      line += fmt::format(" {:>13.6g}", k < r.validation_loss_terms.size() ? r.validation_loss_terms[k] : NAN);
    out += line + fmt::format(" {:>8.2f}{}\n", r.seconds, r.epoch == best_epoch ? "  *" : "");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Estimator

Estimator::Estimator(EstimatorMethod method, Index n_observables, Index n_parameters, NetworkOptions network,
                     std::uint64_t seed)
    : impl_(std::make_unique<Impl>()) {
  if (n_observables < 1) throw InvalidArgument(fmt::format("n_observables = {}: must be >= 1", n_observables));
  if (n_parameters < 1) throw InvalidArgument(fmt::format("n_parameters = {}: must be >= 1", n_parameters));
  network.validate();
  impl_->method = method;
  impl_->network = std::move(network);
  impl_->n_observables = n_observables;
  impl_->n_parameters = n_parameters;
  impl_->shape = Impl::shape_for(method, n_observables, n_parameters, impl_->network);
  impl_->parameters = detail::MlpParameters::initial(impl_->shape, seed);
  impl_->seed = seed;
  impl_->set_identity_scalings();
  impl_->created_by = version;
}

Estimator::Estimator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Estimator::~Estimator() = default;
Estimator::Estimator(const Estimator& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Estimator& Estimator::operator=(const Estimator& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Estimator::Estimator(Estimator&&) noexcept = default;
Estimator& Estimator::operator=(Estimator&&) noexcept = default;

EstimatorMethod Estimator::method() const { return impl_->method; }
const NetworkOptions& Estimator::network() const { return impl_->network; }
Index Estimator::n_observables() const { return impl_->n_observables; }
Index Estimator::n_parameters() const { return impl_->n_parameters; }
const std::vector<std::string>& Estimator::observable_names() const { return impl_->observable_names; }
const std::vector<std::string>& Estimator::parameter_names() const { return impl_->parameter_names; }
const Vector& Estimator::reference_theta() const { return impl_->reference_theta; }
const Vector& Estimator::x_means() const { return impl_->scalings.x_means; }
const Vector& Estimator::x_stds() const { return impl_->scalings.x_stds; }
const Vector& Estimator::theta_means() const { return impl_->scalings.theta_means; }
const Vector& Estimator::theta_stds() const { return impl_->scalings.theta_stds; }
const TrainingSummary& Estimator::training_summary() const { return impl_->summary; }

namespace {

/// The constant row of a θ matrix (the reference point of a local sample, θ1 of a ratio sample);
/// InvalidArgument naming the field and the first differing sample otherwise.
Vector constant_row(const RowMatrix& m, const char* field, EstimatorMethod method) {
  if (m.rows() == 0) throw InvalidArgument(fmt::format("samples.{} is empty: {} needs it", field, to_string(method)));
  for (Index i = 1; i < m.rows(); ++i)
    for (Index k = 0; k < m.cols(); ++k)
      if (m(i, k) != m(0, k))
        throw InvalidArgument(fmt::format(
            "samples.{}: sample {} has {}[{}] = {} but sample 0 has {}: {} learns against one fixed {} (draw the "
            "samples with a single {} point)",
            field, i, field, k, m(i, k), m(0, k), to_string(method),
            std::string(field) == "theta1" ? "denominator theta1" : "reference point", field));
  return m.row(0).transpose();
}

void check_samples(const Estimator::Impl& e, const AugmentedSamples& s, const char* which) {
  const std::string method(to_string(e.method));
  if (s.size() == 0) throw InvalidArgument(fmt::format("{} samples are empty", which));
  if (s.x.cols() != e.n_observables)
    throw InvalidArgument(fmt::format("{} samples have {} observables but the network takes {}", which, s.x.cols(),
                                      e.n_observables));
  if (s.n_parameters() != e.n_parameters)
    throw InvalidArgument(fmt::format("{} samples have {} parameters but the network has {}", which, s.n_parameters(),
                                      e.n_parameters));
  if (!e.observable_names.empty() && !s.observable_names.empty() && s.observable_names != e.observable_names)
    throw InvalidArgument(fmt::format("{} samples' observables differ from the network's (first: '{}' vs '{}')", which,
                                      s.observable_names.front(), e.observable_names.front()));
  if (!e.parameter_names.empty() && !s.parameter_names.empty() && s.parameter_names != e.parameter_names)
    throw InvalidArgument(fmt::format("{} samples' parameters differ from the network's", which));
  if (is_score_method(e.method)) {
    if (s.t_xz0.rows() != s.size())
      throw InvalidArgument(fmt::format("{} samples (kind {}) have no t_xz0: {} trains on local samples with the joint "
                                        "score (sbi augment local)",
                                        which, to_string(s.kind), method));
  } else {
    if (s.kind != SampleKind::Ratio && s.kind != SampleKind::MoreRatios)
      throw InvalidArgument(fmt::format("{} samples are of kind {}: {} trains on ratio samples (sbi augment ratio)", which,
                                        to_string(s.kind), method));
    if (has_score_term(e.method) && s.t_xz0.rows() != s.size())
      throw InvalidArgument(fmt::format("{} samples have no t_xz0: {} needs the joint score", which, method));
  }
  s.validate();
}

}  // namespace

TrainingSummary Estimator::train(const AugmentedSamples& samples, const TrainingOptions& options,
                                 const AugmentedSamples* validation, const EpochCallback& on_epoch) {
  options.validate();
  Impl& e = *impl_;
  check_samples(e, samples, "training");
  if (validation) check_samples(e, *validation, "validation");

  const Vector reference = is_score_method(e.method) ? constant_row(samples.theta0, "theta0", e.method)
                                                     : constant_row(samples.theta1, "theta1", e.method);
  if (e.reference_theta.size() > 0 && !same_values(e.reference_theta, reference))
    throw InvalidArgument(fmt::format("the samples' {} ({}) differs from the one this network was trained at",
                                      is_score_method(e.method) ? "reference point" : "theta1",
                                      fmt::join(reference.data(), reference.data() + reference.size(), ", ")));
  if (validation) {
    const Vector v = is_score_method(e.method) ? constant_row(validation->theta0, "theta0", e.method)
                                               : constant_row(validation->theta1, "theta1", e.method);
    if (!same_values(v, reference))
      throw InvalidArgument("validation samples: their reference point / theta1 differs from the training samples'");
  }

  if (!e.scaled) {
    e.scalings = detail::compute_scalings(e.method, samples, options.scale_inputs);
    e.scaled = true;
  }
  e.reference_theta = reference;
  if (e.observable_names.empty()) e.observable_names = samples.observable_names;
  if (e.parameter_names.empty()) e.parameter_names = samples.parameter_names;

  const detail::TrainingData data = detail::prepare_training_data(e.method, samples, e.scalings, options);
  detail::TrainingData validation_data;
  std::vector<Index> train_rows, validation_rows;
  if (validation) {
    TrainingOptions all = options;
    all.limit_samplesize = 0;
    validation_data = detail::prepare_training_data(e.method, *validation, e.scalings, all);
    train_rows.resize(static_cast<std::size_t>(data.size()));
    std::iota(train_rows.begin(), train_rows.end(), Index{0});
    validation_rows.resize(static_cast<std::size_t>(validation_data.size()));
    std::iota(validation_rows.begin(), validation_rows.end(), Index{0});
  } else {
    // A random validation subset (MadMiner's SubsetRandomSampler split), from the seed.
    std::vector<Index> all(static_cast<std::size_t>(data.size()));
    std::iota(all.begin(), all.end(), Index{0});
    std::mt19937_64 rng(options.seed * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
    for (std::size_t i = all.size(); i > 1; --i)
      std::swap(all[i - 1], all[static_cast<std::size_t>(detail::random_index(rng(), i))]);
    const auto n_validation =
        static_cast<std::size_t>(std::floor(options.validation_split * static_cast<double>(all.size())));
    validation_rows.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_validation));
    train_rows.assign(all.begin() + static_cast<std::ptrdiff_t>(n_validation), all.end());
    std::sort(validation_rows.begin(), validation_rows.end());
    if (train_rows.empty())
      throw InvalidArgument(fmt::format("validation_split = {} leaves no training samples of {}", options.validation_split,
                                        data.size()));
  }

  TrainingOptions run = options;
  run.threads = options.threads > 0 ? options.threads : default_thread_count();
  const bool use_torch = options.backend == Backend::Torch || options.device == Device::Cuda;
  const detail::LossSpec loss{e.method, options.alpha, options.log_r_clip};
  std::unique_ptr<detail::TrainingBackend> backend;
  std::optional<detail::SingleThreadedBlas> blas;
  if (use_torch) {
    backend = detail::make_torch_backend(e.shape, e.parameters, loss, run, e.n_parameters);
  } else {
    // The native engine parallelises over chunks of a batch (and over ensemble members), each with
    // single-threaded BLAS: small GEMMs gain nothing from BLAS threads.
    blas.emplace();
    backend = detail::make_native_backend(e.shape, e.parameters, loss, run, e.n_parameters);
  }
  TrainingSummary summary =
      detail::run_training(*backend, loss, data, train_rows, validation ? &validation_data : &data, validation_rows,
                           run, on_epoch, e.parameters);
  summary.threads = run.threads;
  e.training_options = options;
  e.summary = summary;
  return summary;
}

namespace {

detail::FMatrix scaled_x(const Estimator::Impl& e, const RowMatrix& x) {
  if (x.cols() != e.n_observables)
    throw InvalidArgument(fmt::format("x has {} columns but the network takes {} observables", x.cols(), e.n_observables));
  detail::FMatrix out(x.rows(), x.cols());
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < x.cols(); ++j) {
      const double v = x(i, j);
      if (!std::isfinite(v)) throw DataError(fmt::format("x[{}, {}] = {}: observables must be finite", i, j, v));
      out(i, j) = static_cast<float>((v - e.scalings.x_means(j)) / e.scalings.x_stds(j));
    }
  return out;
}

int resolve_threads(int threads) { return threads > 0 ? threads : default_thread_count(); }

}  // namespace

RowMatrix Estimator::evaluate_score(const RowMatrix& x, int threads) const {
  const Impl& e = *impl_;
  if (!is_score_method(e.method))
    throw InvalidArgument(fmt::format("evaluate_score: a {} estimator learns log r(x|theta0, theta1); use "
                                      "evaluate_log_ratio (with_score = true for its score)",
                                      to_string(e.method)));
  const detail::FMatrix input = scaled_x(e, x);
  detail::FMatrix out;
  detail::mlp_evaluate(e.shape, e.parameters, input, out, resolve_threads(threads));
  return out.cast<double>();
}

RatioEvaluation Estimator::evaluate_log_ratio(const RowMatrix& x, const RowMatrix& thetas, bool with_score,
                                              int threads) const {
  const Impl& e = *impl_;
  if (is_score_method(e.method))
    throw InvalidArgument(fmt::format("evaluate_log_ratio: a {} estimator learns the score t(x); use evaluate_score",
                                      to_string(e.method)));
  if (thetas.cols() != e.n_parameters)
    throw InvalidArgument(
        fmt::format("thetas has {} columns but the network has {} parameters", thetas.cols(), e.n_parameters));
  const detail::FMatrix xs = scaled_x(e, x);
  detail::FMatrix ts(thetas.rows(), thetas.cols());
  for (Index t = 0; t < thetas.rows(); ++t)
    for (Index k = 0; k < thetas.cols(); ++k) {
      if (!std::isfinite(thetas(t, k)))
        throw InvalidArgument(fmt::format("thetas[{}, {}] = {}: must be finite", t, k, thetas(t, k)));
      ts(t, k) = static_cast<float>((thetas(t, k) - e.scalings.theta_means(k)) / e.scalings.theta_stds(k));
    }
  detail::FMatrix log_r, score;
  detail::mlp_evaluate_grid(e.shape, e.parameters, e.n_parameters, xs, ts, log_r, with_score ? &score : nullptr,
                            resolve_threads(threads));
  RatioEvaluation result;
  result.log_r = log_r.cast<double>();
  if (with_score) {
    // t̂ = ∂ log r̂/∂θ = (∂ log r̂/∂θ')/σ_θ.
    result.score = score.cast<double>();
    for (Index k = 0; k < e.n_parameters; ++k) result.score.col(k) /= e.scalings.theta_stds(k);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Ensemble

Ensemble::Ensemble(std::vector<Estimator> members) : members_(std::move(members)) {
  if (members_.empty()) throw InvalidArgument("an ensemble needs at least one member");
  for (std::size_t i = 1; i < members_.size(); ++i) {
    const auto& a = members_[0];
    const auto& b = members_[i];
    if (a.method() != b.method() || a.n_observables() != b.n_observables() || a.n_parameters() != b.n_parameters())
      throw InvalidArgument(fmt::format("ensemble member {} ({}, {} observables, {} parameters) differs from member 0 "
                                        "({}, {} observables, {} parameters)",
                                        i, to_string(b.method()), b.n_observables(), b.n_parameters(),
                                        to_string(a.method()), a.n_observables(), a.n_parameters()));
  }
}

Ensemble::Ensemble(EstimatorMethod method, Index n_observables, Index n_parameters, const EnsembleOptions& options,
                   NetworkOptions network, std::uint64_t seed) {
  options.validate();
  for (Index i = 0; i < options.members; ++i)
    members_.emplace_back(method, n_observables, n_parameters, network, seed + static_cast<std::uint64_t>(i));
}

EstimatorMethod Ensemble::method() const {
  if (members_.empty()) throw InvalidArgument("the ensemble is empty");
  return members_.front().method();
}
bool Ensemble::is_score_estimator() const { return is_score_method(method()); }

namespace {

/// A bootstrap resample (with replacement) of the samples, from `seed`.
AugmentedSamples bootstrap_resample(const AugmentedSamples& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 0xA24BAED4963EE407ULL + 0x9FB21C651E98DF25ULL);
  const Index n = s.size();
  std::vector<Index> rows(static_cast<std::size_t>(n));
  for (auto& r : rows) r = static_cast<Index>(detail::random_index(rng(), static_cast<std::uint64_t>(n)));
  AugmentedSamples out = s;
  auto take = [&](const auto& m, auto& target) {
    if (m.rows() == 0) return;
    for (Index i = 0; i < n; ++i) target.row(i) = m.row(rows[static_cast<std::size_t>(i)]);
  };
  take(s.x, out.x);
  take(s.theta0, out.theta0);
  take(s.theta1, out.theta1);
  take(s.t_xz0, out.t_xz0);
  take(s.t_xz1, out.t_xz1);
  if (s.y.size() > 0)
    for (Index i = 0; i < n; ++i) out.y(i) = s.y(rows[static_cast<std::size_t>(i)]);
  if (s.r_xz.size() > 0)
    for (Index i = 0; i < n; ++i) out.r_xz(i) = s.r_xz(rows[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace

std::vector<TrainingSummary> Ensemble::train(const std::vector<AugmentedSamples>& samples,
                                             const TrainingOptions& options, bool bootstrap,
                                             const EpochCallback& on_epoch) {
  options.validate();
  const auto n = static_cast<std::size_t>(size());
  if (n == 0) throw InvalidArgument("the ensemble is empty");
  if (samples.size() != 1 && samples.size() != n)
    throw InvalidArgument(fmt::format("{} sample sets for {} ensemble members: give one per member or one for all",
                                      samples.size(), n));
  const int threads = options.threads > 0 ? options.threads : default_thread_count();
  const bool torch = options.backend == Backend::Torch || options.device == Device::Cuda;
  // Members side by side, one thread each, when there are at least two threads and two members;
  // the native engine's results do not depend on the number of BLAS threads.
  const bool parallel = !torch && threads > 1 && n > 1;
  std::vector<TrainingSummary> summaries(n);
  std::vector<std::exception_ptr> errors(n);
  auto train_member = [&](std::size_t i, const TrainingOptions& member_options, const EpochCallback& callback) {
    try {
      TrainingOptions o = member_options;
      o.seed = options.seed + static_cast<std::uint64_t>(i);
      const AugmentedSamples* s = &samples[samples.size() == 1 ? 0 : i];
      AugmentedSamples resampled;
      if (bootstrap && samples.size() == 1) {
        resampled = bootstrap_resample(*s, o.seed);
        s = &resampled;
      }
      summaries[i] = members_[i].train(*s, o, nullptr, callback);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  if (parallel) {
    TrainingOptions member = options;
    member.threads = 1;
    member.progress = 0;
    const detail::SingleThreadedBlas single;
#pragma omp parallel for schedule(dynamic) num_threads(static_cast<int>(std::min<std::size_t>(threads, n)))
    for (std::size_t i = 0; i < n; ++i) train_member(i, member, on_epoch);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      train_member(i, options, on_epoch);
      if (errors[i]) break;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (errors[i]) {
      try {
        std::rethrow_exception(errors[i]);
      } catch (const Error& e) {
        throw InvalidArgument(fmt::format("ensemble member {}: {}", i, e.what()));
      }
    }
  return summaries;
}

namespace {
/// Running mean and unbiased variance over members (Welford).
struct MeanVariance {
  RowMatrix mean, m2;
  Index count = 0;
  void add(const RowMatrix& v) {
    if (count == 0) {
      mean = RowMatrix::Zero(v.rows(), v.cols());
      m2 = RowMatrix::Zero(v.rows(), v.cols());
    }
    ++count;
    const RowMatrix delta = v - mean;
    mean += delta / static_cast<double>(count);
    m2.array() += delta.array() * (v - mean).array();
  }
  RowMatrix variance() const { return count > 1 ? RowMatrix(m2 / static_cast<double>(count - 1)) : RowMatrix::Zero(mean.rows(), mean.cols()); }
};
}  // namespace

EnsembleScore Ensemble::evaluate_score(const RowMatrix& x, int threads) const {
  if (members_.empty()) throw InvalidArgument("the ensemble is empty");
  MeanVariance mv;
  for (const auto& m : members_) mv.add(m.evaluate_score(x, threads));
  return {mv.mean, mv.variance()};
}

EnsembleRatio Ensemble::evaluate_log_ratio(const RowMatrix& x, const RowMatrix& thetas, bool with_score,
                                           int threads) const {
  if (members_.empty()) throw InvalidArgument("the ensemble is empty");
  MeanVariance log_r, score;
  for (const auto& m : members_) {
    RatioEvaluation r = m.evaluate_log_ratio(x, thetas, with_score, threads);
    log_r.add(r.log_r);
    if (with_score) score.add(r.score);
  }
  EnsembleRatio out;
  out.mean = log_r.mean;
  out.variance = log_r.variance();
  if (with_score) {
    out.score_mean = score.mean;
    out.score_variance = score.variance();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

RatioCalibration expectation_calibration(const Ensemble& estimator, const RowMatrix& x_from_theta1,
                                         const RowMatrix& thetas, const Vector& weights) {
  const Index n = x_from_theta1.rows();
  if (n == 0) throw InvalidArgument("expectation_calibration: no events");
  if (weights.size() != 0 && weights.size() != n)
    throw InvalidArgument(fmt::format("weights has {} entries for {} events", weights.size(), n));
  const Vector w = weights.size() ? weights : Vector::Ones(n);
  const double sum_w = w.sum(), sum_w2 = w.squaredNorm();
  if (!(sum_w > 0)) throw InvalidArgument("expectation_calibration: the weights sum to zero");
  const EnsembleRatio r = estimator.evaluate_log_ratio(x_from_theta1, thetas);
  RatioCalibration out;
  out.thetas = thetas;
  out.expectation.resize(thetas.rows());
  out.expectation_error.resize(thetas.rows());
  out.log_correction.resize(thetas.rows());
  for (Index t = 0; t < thetas.rows(); ++t) {
    const Vector ratio = r.mean.row(t).transpose().array().exp();
    const double mean = w.dot(ratio) / sum_w;
    // Weighted variance of r̂ and the standard error with n_eff = (Σw)²/Σw².
    const double var = w.dot((ratio.array() - mean).square().matrix()) / sum_w;
    out.expectation(t) = mean;
    out.expectation_error(t) = std::sqrt(var * sum_w2) / sum_w;
    out.log_correction(t) = std::log(mean);
  }
  return out;
}

ReferenceCheck reference_hypothesis_check(const Ensemble& estimator, const RowMatrix& x) {
  if (estimator.size() == 0) throw InvalidArgument("reference_hypothesis_check: the ensemble is empty");
  const Vector& theta1 = estimator[0].reference_theta();
  if (theta1.size() == 0) throw InvalidArgument("reference_hypothesis_check: the estimator has not been trained (no theta1)");
  const RowMatrix thetas = theta1.transpose();
  const EnsembleRatio r = estimator.evaluate_log_ratio(x, thetas);
  ReferenceCheck out;
  const Eigen::ArrayXd v = r.mean.row(0).transpose().array();
  out.mean = v.mean();
  out.std = std::sqrt((v - out.mean).square().mean());
  out.max_abs = v.abs().maxCoeff();
  return out;
}

std::function<RowMatrix(const RowMatrix& x)> score_function(const Ensemble& estimator, int threads) {
  if (!estimator.is_score_estimator())
    throw InvalidArgument(fmt::format("score_function: a {} ensemble estimates log r, not the score",
                                      to_string(estimator.method())));
  return [e = estimator, threads](const RowMatrix& x) { return e.evaluate_score(x, threads).mean; };
}

std::function<RowMatrix(const RowMatrix& x, const RowMatrix& thetas)> log_ratio_function(const Ensemble& estimator,
                                                                                          int threads) {
  if (estimator.is_score_estimator())
    throw InvalidArgument(fmt::format("log_ratio_function: a {} ensemble estimates the score, not log r",
                                      to_string(estimator.method())));
  return [e = estimator, threads](const RowMatrix& x, const RowMatrix& thetas) {
    return e.evaluate_log_ratio(x, thetas, false, threads).mean;
  };
}

std::function<RowMatrix(const RowMatrix& x, const RowMatrix& thetas)> calibrated_log_ratio_function(
    const Ensemble& estimator, RowMatrix x_from_theta1, Vector weights, bool subtract_reference, int threads) {
  if (estimator.is_score_estimator())
    throw InvalidArgument(fmt::format("calibrated_log_ratio_function: a {} ensemble estimates the score, not log r",
                                      to_string(estimator.method())));
  const Index n = x_from_theta1.rows();
  if (n == 0) throw InvalidArgument("calibrated_log_ratio_function: no calibration events");
  if (weights.size() != 0 && weights.size() != n)
    throw InvalidArgument(fmt::format("calibrated_log_ratio_function: {} weights for {} calibration events", weights.size(), n));
  if (weights.size() == 0) weights = Vector::Ones(n);
  if (!(weights.sum() > 0)) throw InvalidArgument("calibrated_log_ratio_function: the calibration weights sum to zero");
  const Vector& theta1 = estimator[0].reference_theta();
  if (subtract_reference && theta1.size() == 0)
    throw InvalidArgument("calibrated_log_ratio_function: the estimator has not been trained (no theta1 to subtract)");
  RowMatrix reference_c;
  if (subtract_reference) reference_c = estimator.evaluate_log_ratio(x_from_theta1, theta1.transpose(), false, threads).mean;
  return [e = estimator, xc = std::move(x_from_theta1), w = std::move(weights), reference_c, subtract_reference,
          theta1, threads](const RowMatrix& x, const RowMatrix& thetas) {
    RowMatrix log_r = e.evaluate_log_ratio(x, thetas, false, threads).mean;
    RowMatrix log_rc = e.evaluate_log_ratio(xc, thetas, false, threads).mean;
    if (subtract_reference) {
      const RowMatrix reference = e.evaluate_log_ratio(x, theta1.transpose(), false, threads).mean;
      log_r.rowwise() -= reference.row(0);
      log_rc.rowwise() -= reference_c.row(0);
    }
    const double sum_w = w.sum();
    for (Index t = 0; t < thetas.rows(); ++t) {
      // log Σ w e^{l} / Σ w, with the largest l factored out (no overflow for large log r).
      const double top = log_rc.row(t).maxCoeff();
      const double mean = w.dot((log_rc.row(t).array() - top).exp().matrix().transpose()) / sum_w;
      log_r.row(t).array() -= top + std::log(mean);
    }
    return log_r;
  };
}

}  // namespace sbi
