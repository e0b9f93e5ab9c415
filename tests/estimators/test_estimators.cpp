// Fast behavioural tests of the estimators: the native engine's gradients against LibTorch's
// autograd (double backward for the score term), losses against hand-computed values, short
// trainings that must reach a stated loss on problems with a known answer, early stopping, NaN
// stops, evaluation paths, ensembles, thread-count independence, and model files.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "estimator_impl.hpp"
#include "hdf5_handles.hpp"
#include "mlp.hpp"
#include "sbi/error.hpp"
#include "sbi/estimators.hpp"
#include "test_support.hpp"
#include "training.hpp"

using namespace sbi;
using detail::FMatrix;
using detail::MlpParameters;
using detail::MlpShape;

namespace {

constexpr EstimatorMethod all_methods[] = {EstimatorMethod::Sally, EstimatorMethod::Sallino, EstimatorMethod::Carl,
                                           EstimatorMethod::Rolr,  EstimatorMethod::Alice,   EstimatorMethod::Alices,
                                           EstimatorMethod::Cascal, EstimatorMethod::Rascal};

// Linear-Gaussian toy with an exact answer: x ~ N(θ·a, 1) in d dimensions with a fixed direction
// matrix A (d × P), so log p(x|θ) = −|x − Aθ|²/2 + const, t(x|θ) = Aᵀ(x − Aθ) and
// log r(x|θ0, θ1) = −|x − Aθ0|²/2 + |x − Aθ1|²/2. Here x = z (no latent), so the joint
// quantities are the true ones.
struct Gaussian {
  RowMatrix a;  // d × P
  explicit Gaussian(Index d = 3, Index p = 2) : a(d, p) {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> n;
    for (Index i = 0; i < a.size(); ++i) a.data()[i] = 0.8 * n(rng);
  }
  Vector mean(const Vector& theta) const { return a * theta; }
  double log_p(const Vector& x, const Vector& theta) const { return -0.5 * (x - mean(theta)).squaredNorm(); }
  Vector score(const Vector& x, const Vector& theta) const { return a.transpose() * (x - mean(theta)); }

  RowMatrix draw(const Vector& theta, Index n, std::mt19937_64& rng) const {
    std::normal_distribution<double> g;
    RowMatrix x(n, a.rows());
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < a.rows(); ++j) x(i, j) = mean(theta)(j) + g(rng);
    return x;
  }

  // Local samples at θ = 0. `latent_noise` > 0 adds a Gaussian latent to the joint score,
  // t(x,z) = t(x) + noise, so that E[t(x,z)|x] = t(x) is learned from noisy targets.
  AugmentedSamples local(Index n, std::uint64_t seed, double latent_noise = 0.0) const {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise;
    AugmentedSamples s;
    s.kind = SampleKind::Local;
    s.parameter_names = {"a", "b"};
    for (Index j = 0; j < a.rows(); ++j) s.observable_names.push_back("x" + std::to_string(j));
    const Vector theta = Vector::Zero(a.cols());
    s.x = draw(theta, n, rng);
    s.theta0 = RowMatrix::Zero(n, a.cols());
    s.t_xz0.resize(n, a.cols());
    for (Index i = 0; i < n; ++i) {
      s.t_xz0.row(i) = score(s.x.row(i).transpose(), theta).transpose();
      if (latent_noise > 0)
        for (Index k = 0; k < a.cols(); ++k) s.t_xz0(i, k) += latent_noise * noise(rng);
    }
    return s;
  }

  // Ratio samples: θ0 ~ U(−1, 1)², θ1 = 0; half y = 0 from θ0, half y = 1 from θ1.
  AugmentedSamples ratio(Index n, std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    AugmentedSamples s;
    s.kind = SampleKind::Ratio;
    s.parameter_names = {"a", "b"};
    for (Index j = 0; j < a.rows(); ++j) s.observable_names.push_back("x" + std::to_string(j));
    const Index p = a.cols();
    s.x.resize(n, a.rows());
    s.theta0.resize(n, p);
    s.theta1 = RowMatrix::Zero(n, p);
    s.y.resize(n);
    s.r_xz.resize(n);
    s.t_xz0.resize(n, p);
    const Vector theta1 = Vector::Zero(p);
    for (Index i = 0; i < n; ++i) {
      Vector theta0(p);
      for (Index k = 0; k < p; ++k) theta0(k) = u(rng);
      const bool from_theta1 = i % 2 == 1;
      const RowMatrix x = draw(from_theta1 ? theta1 : theta0, 1, rng);
      s.x.row(i) = x.row(0);
      s.theta0.row(i) = theta0.transpose();
      s.y(i) = from_theta1 ? 1.0 : 0.0;
      const Vector xi = x.row(0).transpose();
      s.r_xz(i) = std::exp(log_p(xi, theta0) - log_p(xi, theta1));
      s.t_xz0.row(i) = score(xi, theta0).transpose();
    }
    return s;
  }
};

// Random standardised training data for gradient comparisons.
detail::TrainingData random_training_data(EstimatorMethod method, Index n, Index n_x, Index p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0.05f, 3.0f);
  detail::TrainingData d;
  d.method = method;
  d.n_theta = is_score_method(method) ? 0 : p;
  d.inputs.resize(n, d.n_theta + n_x);
  for (Index i = 0; i < d.inputs.size(); ++i) d.inputs.data()[i] = g(rng);
  d.t.resize(n, p);
  for (Index i = 0; i < d.t.size(); ++i) d.t.data()[i] = g(rng);
  d.has_score = true;
  d.y.resize(n);
  d.s_true.resize(n);
  d.r_clipped.resize(n);
  for (Index i = 0; i < n; ++i) {
    d.y(i) = static_cast<float>(i % 2);
    const float r = u(rng);
    d.r_clipped(i) = r;
    d.s_true(i) = 1.0f / (1.0f + r);
  }
  return d;
}

MlpShape shape_for(EstimatorMethod method, Index n_x, Index p, std::vector<Index> hidden, Activation activation) {
  NetworkOptions network;
  network.hidden = std::move(hidden);
  network.activation = activation;
  return Estimator::Impl::shape_for(method, n_x, p, network);
}

double max_relative(const MlpParameters& a, const MlpParameters& b) {
  double scale = 0, worst = 0;
  for (std::size_t l = 0; l < a.weights.size(); ++l) {
    scale = std::max({scale, static_cast<double>(b.weights[l].cwiseAbs().maxCoeff()),
                      static_cast<double>(b.biases[l].cwiseAbs().maxCoeff())});
  }
  for (std::size_t l = 0; l < a.weights.size(); ++l) {
    worst = std::max(worst, static_cast<double>((a.weights[l] - b.weights[l]).cwiseAbs().maxCoeff()));
    worst = std::max(worst, static_cast<double>((a.biases[l] - b.biases[l]).cwiseAbs().maxCoeff()));
  }
  return worst / scale;
}

// Mean squared difference of two vectors.
double mse(const Eigen::ArrayXd& a, const Eigen::ArrayXd& b) { return (a - b).square().mean(); }

}  // namespace

TEST_CASE("names, parsing and option validation") {
  for (auto m : all_methods) CHECK(parse_estimator_method(to_string(m)) == m);
  CHECK(parse_estimator_method("ALICES") == EstimatorMethod::Alices);
  CHECK_THROWS_WITH_AS(parse_estimator_method("scandal"), doctest::Contains("use one of sally"), InvalidArgument);
  CHECK(parse_activation("lrelu") == Activation::LeakyRelu);
  CHECK(is_score_method(EstimatorMethod::Sallino));
  CHECK(has_score_term(EstimatorMethod::Rascal));
  CHECK_FALSE(has_score_term(EstimatorMethod::Alice));
  CHECK(training_sample_kind(EstimatorMethod::Carl) == SampleKind::Ratio);
  TrainingOptions o;
  CHECK_NOTHROW(o.validate());
  CHECK_NOTHROW(NetworkOptions{}.validate());
  o.batch_size = 0;
  CHECK_THROWS_WITH_AS(o.validate(), "batch_size = 0: must be >= 1", InvalidArgument);
  o = {};
  o.validation_split = 1.0;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("validation_split = 1"), InvalidArgument);
  o = {};
  o.device = Device::Cuda;
  o.backend = Backend::Native;
  CHECK_THROWS_AS(o.validate(), InvalidArgument);
  NetworkOptions n;
  n.hidden = {10, 0};
  CHECK_THROWS_WITH_AS(n.validate(), "hidden[1] = 0: units per layer must be in [1, 100000]", InvalidArgument);
  CHECK_THROWS_AS(Estimator(EstimatorMethod::Sally, 0, 2), InvalidArgument);
}

TEST_CASE("native gradients equal LibTorch's autograd (double backward for the score term)") {
  const Index n = 37, n_x = 4, p = 2;
  const std::vector<std::pair<std::vector<Index>, Activation>> networks = {
      {{8}, Activation::Tanh},        {{7, 5}, Activation::Tanh},     {{6, 6}, Activation::Sigmoid},
      {{9, 4}, Activation::Relu},     {{5, 5}, Activation::Softplus}, {{6, 3}, Activation::LeakyRelu},
      {{4, 4, 3}, Activation::Elu}};
  double worst = 0;
  for (auto method : all_methods)
    for (const auto& [hidden, activation] : networks) {
      CAPTURE(to_string(method));
      CAPTURE(to_string(activation));
      const MlpShape shape = shape_for(method, n_x, p, hidden, activation);
      const MlpParameters parameters = MlpParameters::initial(shape, 5);
      const detail::TrainingData data = random_training_data(method, n, n_x, p, 9);
      std::vector<Index> rows(n);
      for (Index i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = (i * 7) % n;  // a shuffled batch
      const detail::LossSpec loss{method, 0.7, 10.0};

      MlpParameters torch_gradient;
      const auto torch_terms = detail::torch_loss_and_gradient(shape, parameters, loss, data, rows, p, torch_gradient);

      detail::MlpWorkspace ws;
      FMatrix batch(n, data.inputs.cols());
      for (Index i = 0; i < n; ++i) batch.row(i) = data.inputs.row(rows[static_cast<std::size_t>(i)]);
      detail::mlp_forward(shape, parameters, batch.data(), n, loss.tangents(p), ws, true);
      const auto native_terms = detail::native_loss(loss, data, rows, p, ws, true);
      MlpParameters native_gradient;
      detail::mlp_backward(shape, parameters, batch.data(), ws, native_gradient);

      REQUIRE(native_terms.size() == torch_terms.size());
      for (std::size_t k = 0; k < native_terms.size(); ++k) CHECK(test::close(native_terms[k], torch_terms[k], 2e-5, 1e-7));
      const double rel = max_relative(native_gradient, torch_gradient);
      worst = std::max(worst, rel);
      CHECK(rel < 2e-5);
    }
  MESSAGE("largest gradient difference native vs autograd, relative to the largest entry: " << worst);
}

TEST_CASE("losses equal hand-computed values on fixed outputs") {
  // A network whose weights are zero and whose output bias is c outputs log r̂ = c everywhere
  // with zero score, so every loss has a closed form.
  const Index n = 6, n_x = 2, p = 2;
  const double c = 0.4;
  for (auto method : {EstimatorMethod::Carl, EstimatorMethod::Rolr, EstimatorMethod::Alice, EstimatorMethod::Alices,
                      EstimatorMethod::Cascal, EstimatorMethod::Rascal}) {
    CAPTURE(to_string(method));
    const MlpShape shape = shape_for(method, n_x, p, {3}, Activation::Tanh);
    MlpParameters parameters = MlpParameters::zeros(shape);
    parameters.biases.back()(0) = static_cast<float>(c);
    const detail::TrainingData data = random_training_data(method, n, n_x, p, 4);
    std::vector<Index> rows = {0, 1, 2, 3, 4, 5};
    detail::MlpWorkspace ws;
    const detail::LossSpec loss{method, 2.0, 10.0};
    detail::mlp_forward(shape, parameters, data.inputs.data(), n, loss.tangents(p), ws, false);
    const auto terms = detail::native_loss(loss, data, rows, p, ws, false);
    const double s_hat = 1.0 / (1.0 + std::exp(c));
    double main = 0, score = 0;
    for (Index i = 0; i < n; ++i) {
      const double y = data.y(i), s = data.s_true(i), r = data.r_clipped(i);
      if (method == EstimatorMethod::Carl || method == EstimatorMethod::Cascal)
        main += -(y * std::log(s_hat) + (1 - y) * std::log(1 - s_hat));
      else if (method == EstimatorMethod::Alice || method == EstimatorMethod::Alices)
        main += -(s * std::log(s_hat) + (1 - s) * std::log(1 - s_hat));
      else
        main += (1 - y) * std::pow(std::exp(-c) - 1 / r, 2) + y * std::pow(std::exp(c) - r, 2);
      for (Index k = 0; k < p; ++k) score += (1 - y) * std::pow(static_cast<double>(data.t(i, k)), 2);
    }
    CHECK(test::close(terms[0], main / n, 1e-6));
    if (has_score_term(method)) {
      REQUIRE(terms.size() == 2);
      CHECK(test::close(terms[1], score / (n * p), 1e-6));
      CHECK(test::close(loss.total(terms), main / n + 2.0 * score / (n * p), 1e-6));
    }
  }
  // SALLY: output = bias vector b, loss = mean over samples and components of (b_k − t_ik)².
  const MlpShape shape = shape_for(EstimatorMethod::Sally, 3, 2, {4}, Activation::Tanh);
  MlpParameters parameters = MlpParameters::zeros(shape);
  parameters.biases.back() << 0.5f, -1.0f;
  const detail::TrainingData data = random_training_data(EstimatorMethod::Sally, 5, 3, 2, 8);
  std::vector<Index> rows = {0, 1, 2, 3, 4};
  detail::MlpWorkspace ws;
  detail::mlp_forward(shape, parameters, data.inputs.data(), 5, 0, ws, false);
  const auto terms = detail::native_loss({EstimatorMethod::Sally, 1, 10}, data, rows, 2, ws, false);
  double expected = 0;
  for (Index i = 0; i < 5; ++i) expected += std::pow(0.5 - data.t(i, 0), 2) + std::pow(-1.0 - data.t(i, 1), 2);
  CHECK(test::close(terms[0], expected / 10, 1e-6));
}

TEST_CASE("grid evaluation equals full forward passes, and its score equals finite differences") {
  const Index n_x = 3, p = 2;
  Estimator e(EstimatorMethod::Alices, n_x, p, NetworkOptions{{12, 9}, Activation::Tanh}, 3);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g;
  RowMatrix x(5000, n_x), thetas(4, p);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = g(rng);
  for (Index i = 0; i < thetas.size(); ++i) thetas.data()[i] = 0.5 * g(rng);
  const RatioEvaluation grid = e.evaluate_log_ratio(x, thetas, true, 2);
  REQUIRE(grid.log_r.rows() == 4);
  REQUIRE(grid.log_r.cols() == 5000);
  REQUIRE(grid.score.rows() == 4 * 5000);
  // Reference: the unsplit forward pass on the concatenated (θ, x) input.
  const auto& impl = e.impl();
  for (Index t = 0; t < thetas.rows(); ++t) {
    FMatrix input(x.rows(), p + n_x);
    for (Index i = 0; i < x.rows(); ++i) {
      for (Index k = 0; k < p; ++k) input(i, k) = static_cast<float>(thetas(t, k));
      for (Index j = 0; j < n_x; ++j) input(i, p + j) = static_cast<float>(x(i, j));
    }
    detail::MlpWorkspace ws;
    detail::mlp_forward(impl.shape, impl.parameters, input.data(), x.rows(), p, ws, false);
    for (Index i = 0; i < x.rows(); i += 97) {
      CHECK(std::abs(grid.log_r(t, i) - ws.output(i, 0)) < 2e-6);
      for (Index k = 0; k < p; ++k) CHECK(std::abs(grid.score(t * x.rows() + i, k) - ws.output((1 + k) * x.rows() + i, 0)) < 2e-6);
    }
  }
  // ∂ log r̂/∂θ by central differences of the evaluated log r̂ (in double from float outputs: step 1e-2).
  const double h = 1e-2;
  for (Index k = 0; k < p; ++k) {
    RowMatrix plus = thetas, minus = thetas;
    plus.col(k).array() += h;
    minus.col(k).array() -= h;
    const RowMatrix lp = e.evaluate_log_ratio(x.topRows(200), plus).log_r;
    const RowMatrix lm = e.evaluate_log_ratio(x.topRows(200), minus).log_r;
    const RatioEvaluation at = e.evaluate_log_ratio(x.topRows(200), thetas, true);
    for (Index t = 0; t < thetas.rows(); ++t)
      for (Index i = 0; i < 200; ++i) CHECK(std::abs((lp(t, i) - lm(t, i)) / (2 * h) - at.score(t * 200 + i, k)) < 2e-3);
  }
  // One thread and two give the same numbers.
  const RatioEvaluation one = e.evaluate_log_ratio(x, thetas, true, 1);
  CHECK(same_values(one.log_r, grid.log_r));
  CHECK(same_values(one.score, grid.score));
  CHECK_THROWS_WITH_AS(e.evaluate_score(x), doctest::Contains("use evaluate_log_ratio"), InvalidArgument);
  CHECK_THROWS_WITH_AS(e.evaluate_log_ratio(x.leftCols(2), thetas), doctest::Contains("x has 2 columns"), InvalidArgument);
}

TEST_CASE("SALLY learns the score of a linear Gaussian") {
  const Gaussian toy;
  const AugmentedSamples train = toy.local(20000, 1);
  Estimator e(EstimatorMethod::Sally, 3, 2, NetworkOptions{{32}, Activation::Tanh}, 7);
  TrainingOptions o;
  o.epochs = 12;
  o.batch_size = 128;
  o.threads = 1;
  o.progress = 0;
  const TrainingSummary summary = e.train(train, o);
  CHECK(summary.reason == StopReason::Completed);
  CHECK(summary.history.size() == 12);
  CHECK(summary.n_train == 15000);
  CHECK(summary.n_validation == 5000);
  CHECK(summary.backend == "native");
  CHECK(summary.history.back().train_loss < summary.history.front().train_loss);
  // Test: the true score is t(x) = Aᵀx at θ = 0; E|t(x,z)|²/P ≈ 1 sets the scale.
  const AugmentedSamples test = toy.local(5000, 99);
  const RowMatrix t_hat = e.evaluate_score(test.x);
  const double error = (t_hat - test.t_xz0).array().square().mean();
  const double scale = test.t_xz0.array().square().mean();
  MESSAGE("SALLY on the linear Gaussian: MSE " << error << " against E[t^2] = " << scale);
  CHECK(error < 0.01 * scale);
}

TEST_CASE("every ratio method learns a linear Gaussian's log r") {
  const Gaussian toy;
  const AugmentedSamples train = toy.ratio(20000, 3);
  // Test points: x from θ1 = 0, log r(x|θ0, 0) at a few θ0.
  std::mt19937_64 rng(5);
  const RowMatrix x = toy.draw(Vector::Zero(2), 2000, rng);
  RowMatrix thetas(3, 2);
  thetas << 0.5, 0.0, -0.3, 0.4, 0.2, -0.6;
  RowMatrix truth(3, 2000);
  for (Index t = 0; t < 3; ++t)
    for (Index i = 0; i < 2000; ++i)
      truth(t, i) = toy.log_p(x.row(i).transpose(), thetas.row(t).transpose()) - toy.log_p(x.row(i).transpose(), Vector::Zero(2));
  const double scale = truth.array().square().mean();
  for (auto method : {EstimatorMethod::Carl, EstimatorMethod::Rolr, EstimatorMethod::Alice, EstimatorMethod::Alices,
                      EstimatorMethod::Cascal, EstimatorMethod::Rascal}) {
    CAPTURE(to_string(method));
    Estimator e(method, 3, 2, NetworkOptions{{32, 32}, Activation::Tanh}, 2);
    TrainingOptions o;
    o.epochs = 20;
    o.threads = 1;
    o.progress = 0;
    o.alpha = 1.0;
    const TrainingSummary summary = e.train(train, o);
    CHECK(summary.reason == StopReason::Completed);
    const RowMatrix log_r = e.evaluate_log_ratio(x, thetas).log_r;
    const double error = (log_r - truth).array().square().mean();
    MESSAGE(to_string(method) << ": MSE(log r) = " << error << " against E[log r^2] = " << scale);
    // Thresholds ≈ 1.5 × what these 20 epochs reach: the score term helps the most, ALICE's improved
    // cross-entropy beats CARL's, and the r-regression losses (ROLR, RASCAL) are the hardest to fit.
    const std::map<EstimatorMethod, double> threshold = {
        {EstimatorMethod::Carl, 0.2},   {EstimatorMethod::Rolr, 0.2},    {EstimatorMethod::Alice, 0.05},
        {EstimatorMethod::Alices, 0.01}, {EstimatorMethod::Cascal, 0.05}, {EstimatorMethod::Rascal, 0.15}};
    CHECK(error < threshold.at(method) * scale);
  }
}

TEST_CASE("early stopping restores a deep copy of the best epoch") {
  // A small training set and a large learning rate overfit: the validation loss rises again.
  const Gaussian toy;
  const AugmentedSamples train = toy.local(300, 21, 1.0);
  const AugmentedSamples validation = toy.local(3000, 22, 1.0);
  Estimator e(EstimatorMethod::Sally, 3, 2, NetworkOptions{{64, 64}, Activation::Tanh}, 4);
  TrainingOptions o;
  o.epochs = 60;
  o.batch_size = 16;
  o.initial_lr = 5e-3;
  o.final_lr = 5e-3;
  o.threads = 1;
  o.progress = 0;
  const TrainingSummary summary = e.train(train, o, &validation);
  REQUIRE(summary.best_epoch >= 0);
  const double last = summary.history.back().validation_loss;
  MESSAGE("best epoch " << summary.best_epoch + 1 << " of " << summary.history.size() << ", validation loss "
                        << summary.best_validation_loss << " (last epoch " << last << ")");
  CHECK(summary.best_epoch + 1 < static_cast<Index>(summary.history.size()));
  CHECK(summary.best_validation_loss < last);
  // The model holds the best epoch's parameters: its validation MSE is the recorded best loss.
  const RowMatrix t_hat = e.evaluate_score(validation.x);
  const double now = (t_hat - validation.t_xz0).array().square().mean();
  CHECK(test::close(now, summary.best_validation_loss, 1e-5));
  // Patience stops early.
  Estimator f(EstimatorMethod::Sally, 3, 2, NetworkOptions{{64, 64}, Activation::Tanh}, 4);
  o.early_stopping_patience = 3;
  const TrainingSummary stopped = f.train(train, o, &validation);
  CHECK(stopped.reason == StopReason::EarlyStopping);
  CHECK(static_cast<Index>(stopped.history.size()) == stopped.best_epoch + 1 + 3);
}

TEST_CASE("a NaN or infinite loss or gradient stops training with a clear message") {
  const Gaussian toy;
  AugmentedSamples train = toy.local(2000, 31);
  // Targets beyond the fp32 range are refused before training.
  train.t_xz0(17, 0) = 1e300;
  Estimator big(EstimatorMethod::Sally, 3, 2, NetworkOptions{{8}, Activation::Tanh}, 1);
  CHECK_THROWS_WITH_AS(big.train(train), doctest::Contains("t_xz0[17, 0] = 1e+300"), InvalidArgument);
  train.t_xz0(17, 0) = 0.0;
  // An absurd learning rate makes the weights overflow fp32 within a few steps.
  Estimator e(EstimatorMethod::Sally, 3, 2, NetworkOptions{{8}, Activation::Relu}, 1);
  TrainingOptions o;
  o.epochs = 3;
  o.threads = 1;
  o.progress = 0;
  o.validation_split = 0;
  o.initial_lr = o.final_lr = 1e38;
  const TrainingSummary summary = e.train(train, o);
  CHECK(summary.reason == StopReason::NonFinite);
  CHECK(summary.message.find("epoch 1") != std::string::npos);
  CHECK(summary.message.find("NaN or infinite") != std::string::npos);
  // The parameters stay finite (the offending step was not applied).
  CHECK(e.impl().parameters.all_finite());
  MESSAGE(summary.message);
  // Interrupting through the callback.
  Estimator f(EstimatorMethod::Sally, 3, 2, NetworkOptions{{8}, Activation::Tanh}, 1);
  o.initial_lr = 1e-3;
  o.final_lr = 1e-4;
  const TrainingSummary interrupted = f.train(train, o, nullptr, [](const EpochRecord& r) { return r.epoch < 1; });
  CHECK(interrupted.reason == StopReason::Interrupted);
  CHECK(interrupted.history.size() == 2);
}

TEST_CASE("training checks its samples") {
  const Gaussian toy;
  AugmentedSamples local = toy.local(100, 1);
  Estimator ratio(EstimatorMethod::Alices, 3, 2);
  CHECK_THROWS_WITH_AS(ratio.train(local), doctest::Contains("trains on ratio samples"), InvalidArgument);
  Estimator sally(EstimatorMethod::Sally, 4, 2);
  CHECK_THROWS_WITH_AS(sally.train(local), doctest::Contains("3 observables but the network takes 4"), InvalidArgument);
  AugmentedSamples moving = local;
  moving.theta0(5, 1) = 0.1;
  Estimator s3(EstimatorMethod::Sally, 3, 2);
  CHECK_THROWS_WITH_AS(s3.train(moving), doctest::Contains("sample 5 has theta0[1] = 0.1"), InvalidArgument);
  AugmentedSamples r = toy.ratio(100, 2);
  r.theta1(3, 0) = 0.5;
  Estimator carl(EstimatorMethod::Carl, 3, 2);
  CHECK_THROWS_WITH_AS(carl.train(r), doctest::Contains("theta1"), InvalidArgument);
}

TEST_CASE("results do not depend on the thread count; native and torch backends agree") {
  const Gaussian toy;
  const AugmentedSamples train = toy.ratio(4000, 8);
  TrainingOptions o;
  o.epochs = 3;
  o.progress = 0;
  o.threads = 1;
  o.batch_size = 600;  // three chunks of the native engine, run in parallel with two threads
  Estimator one(EstimatorMethod::Alices, 3, 2, NetworkOptions{{40, 40}, Activation::Tanh}, 6);
  Estimator two = one;
  one.train(train, o);
  o.threads = 2;
  two.train(train, o);
  CHECK(max_relative(one.impl().parameters, two.impl().parameters) == 0.0);

  // The same initial weights, batches and update rule: LibTorch (one GEMM per layer over the whole
  // batch) follows the native trajectory (chunks of 256 rows) up to fp32 rounding.
  Estimator torch_model(EstimatorMethod::Alices, 3, 2, NetworkOptions{{40, 40}, Activation::Tanh}, 6);
  o.backend = Backend::Torch;
  const TrainingSummary ts = torch_model.train(train, o);
  CHECK(ts.backend == "torch (cpu)");
  const double diff = max_relative(torch_model.impl().parameters, one.impl().parameters);
  MESSAGE("native vs torch after 3 epochs: largest parameter difference (relative) " << diff);
  CHECK(diff < 1e-3);
  CHECK(test::close(ts.history.back().train_loss, one.training_summary().history.back().train_loss, 1e-3));
  if (!detail::torch_cuda_available()) {
    o.device = Device::Cuda;
    Estimator cuda(EstimatorMethod::Alices, 3, 2);
    CHECK_THROWS_WITH_AS(cuda.train(train, o), doctest::Contains("LibTorch sees no CUDA device"), InvalidArgument);
  }
}

TEST_CASE("ensembles: members differ, mean and variance are the members' moments, parallel = sequential") {
  const Gaussian toy;
  const AugmentedSamples train = toy.local(3000, 12);
  TrainingOptions o;
  o.epochs = 2;
  o.progress = 0;
  o.threads = 2;
  EnsembleOptions eo;
  eo.members = 3;
  Ensemble parallel(EstimatorMethod::Sally, 3, 2, eo, NetworkOptions{{16}, Activation::Tanh}, 1);
  Ensemble sequential = parallel;
  parallel.train({train}, o, true);
  o.threads = 1;
  sequential.train({train}, o, true);
  for (Index i = 0; i < 3; ++i)
    CHECK(max_relative(parallel[i].impl().parameters, sequential[i].impl().parameters) == 0.0);
  CHECK(max_relative(parallel[0].impl().parameters, parallel[1].impl().parameters) > 1e-3);
  const RowMatrix x = toy.local(50, 4).x;
  const EnsembleScore s = parallel.evaluate_score(x);
  RowMatrix mean = RowMatrix::Zero(50, 2), m2 = RowMatrix::Zero(50, 2);
  std::vector<RowMatrix> outs;
  for (Index i = 0; i < 3; ++i) outs.push_back(parallel[i].evaluate_score(x));
  for (const auto& v : outs) mean += v / 3.0;
  for (const auto& v : outs) m2.array() += (v - mean).array().square() / 2.0;
  SBI_CHECK_ARRAYS_CLOSE(s.mean, mean, 1e-12);
  SBI_CHECK_ARRAYS_CLOSE(s.variance, m2, 1e-9);
  CHECK_THROWS_WITH_AS(parallel.train({train, train}, o), doctest::Contains("2 sample sets for 3 ensemble members"),
                       InvalidArgument);
}

TEST_CASE("calibration and reference-hypothesis diagnostics") {
  const Gaussian toy;
  const AugmentedSamples train = toy.ratio(20000, 13);
  EnsembleOptions eo;
  eo.members = 1;
  Ensemble e(EstimatorMethod::Alices, 3, 2, eo, NetworkOptions{{32, 32}, Activation::Tanh}, 3);
  TrainingOptions o;
  o.epochs = 10;
  o.progress = 0;
  e.train({train}, o);
  std::mt19937_64 rng(17);
  const RowMatrix x1 = toy.draw(Vector::Zero(2), 20000, rng);
  RowMatrix thetas(2, 2);
  thetas << 0.3, 0.0, 0.0, -0.3;
  const RatioCalibration c = expectation_calibration(e, x1, thetas);
  MESSAGE("E[r_hat] at theta = (0.3, 0), (0, -0.3): " << c.expectation(0) << " +- " << c.expectation_error(0) << ", "
                                                      << c.expectation(1) << " +- " << c.expectation_error(1));
  for (Index t = 0; t < 2; ++t) {
    CHECK(std::abs(c.expectation(t) - 1.0) < 0.05);
    CHECK(c.log_correction(t) == doctest::Approx(std::log(c.expectation(t))));
  }
  const ReferenceCheck r = reference_hypothesis_check(e, x1);
  MESSAGE("log r_hat(x|theta1, theta1): mean " << r.mean << ", std " << r.std << ", max " << r.max_abs);
  CHECK(std::abs(r.mean) < 0.05);
  CHECK(r.std < 0.1);
}

TEST_CASE("model files round-trip exactly; corrupt and foreign files give clear errors") {
  const Gaussian toy;
  const AugmentedSamples train = toy.ratio(2000, 14);
  Estimator e(EstimatorMethod::Rascal, 3, 2, NetworkOptions{{10, 7}, Activation::Relu}, 9);
  TrainingOptions o;
  o.epochs = 2;
  o.progress = 0;
  e.train(train, o);
  const auto path = test::temp_path("rascal.h5");
  e.save(path);
  const Estimator loaded = Estimator::load(path);
  CHECK(loaded.method() == EstimatorMethod::Rascal);
  CHECK(loaded.network() == e.network());
  CHECK(loaded.observable_names() == e.observable_names());
  CHECK(loaded.parameter_names() == std::vector<std::string>{"a", "b"});
  CHECK(same_values(loaded.reference_theta(), e.reference_theta()));
  CHECK(same_values(loaded.x_stds(), e.x_stds()));
  CHECK(loaded.training_summary().history.size() == 2);
  CHECK(loaded.training_summary().loss_terms == std::vector<std::string>{"mse_r", "mse_score"});
  CHECK(loaded.training_summary().history[1].validation_loss == e.training_summary().history[1].validation_loss);
  CHECK(max_relative(loaded.impl().parameters, e.impl().parameters) == 0.0);
  const RowMatrix x = train.x.topRows(100);
  const RowMatrix thetas = train.theta0.topRows(3);
  const RatioEvaluation a = e.evaluate_log_ratio(x, thetas, true), b = loaded.evaluate_log_ratio(x, thetas, true);
  CHECK(same_values(a.log_r, b.log_r));
  CHECK(same_values(a.score, b.score));

  // Ensembles: one file with every member.
  Ensemble ensemble({e, loaded});
  const auto ensemble_path = test::temp_path("ensemble.h5");
  ensemble.save(ensemble_path);
  CHECK(Ensemble::load(ensemble_path).size() == 2);
  CHECK(Ensemble::load(path).size() == 1);
  CHECK_THROWS_WITH_AS(Estimator::load(ensemble_path), doctest::Contains("ensemble of 2 estimators"), FormatError);

  // A truncated file.
  const auto truncated = test::temp_path("truncated.h5");
  std::filesystem::copy_file(path, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
  CHECK_THROWS_AS(Estimator::load(truncated), FormatError);
  // Not a model: a samples file.
  const auto samples_path = test::temp_path("samples.h5");
  write_samples(samples_path, train);
  CHECK_THROWS_WITH_AS(Estimator::load(samples_path), doctest::Contains("is not an sbi estimator file"), FormatError);
  // Another format version.
  const auto future = test::temp_path("future.h5");
  {
    h5::File f = h5::File::create(future);
    f.write_strings("format", {"sbi-estimator"});
    f.write_int_scalar("format_version", 7);
    f.write_strings("sbi_version", {"9.0.0"});
    f.write_int_scalar("n_members", 1);
    f.close();
  }
  CHECK_THROWS_WITH_AS(Estimator::load(future), doctest::Contains("format version 7 (written by sbi 9.0.0)"), FormatError);
  CHECK_THROWS_AS(Estimator::load(test::temp_path("missing.h5")), FileNotFound);
}

TEST_CASE("MadMiner export writes the files MadMiner's Estimator.load reads") {
  const Gaussian toy;
  Estimator e(EstimatorMethod::Sally, 3, 2, NetworkOptions{{5}, Activation::Tanh}, 1);
  TrainingOptions o;
  o.epochs = 1;
  o.progress = 0;
  e.train(toy.local(500, 1), o);
  const auto dir = test::temp_path("madminer_export");
  const auto files = e.export_madminer(dir / "sally");
  REQUIRE(files.size() == 4);
  for (const auto& f : files) CHECK(std::filesystem::exists(f));
  std::ifstream settings(dir / "sally_settings.json");
  const std::string text((std::istreambuf_iterator<char>(settings)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"estimator_type\":\"score\"") != std::string::npos);
  CHECK(text.find("\"n_hidden\":[5]") != std::string::npos);
  // The state dict is a zip archive (torch.save's format since PyTorch 1.6).
  std::ifstream pt(dir / "sally_state_dict.pt", std::ios::binary);
  char magic[2] = {0, 0};
  pt.read(magic, 2);
  CHECK(magic[0] == 'P');
  CHECK(magic[1] == 'K');
  Estimator elu(EstimatorMethod::Sally, 3, 2, NetworkOptions{{5}, Activation::Elu}, 1);
  CHECK_THROWS_WITH_AS(elu.export_madminer(dir / "elu"), doctest::Contains("MadMiner knows the activations"), InvalidArgument);
}
