// Statistical acceptance tests of the estimators against exact likelihoods (the slow suite, its own
// ctest entry): the Galton board of "Mining gold" (arXiv:1805.12244, §4.1 and Fig. 4: log r̂ MSE at
// θ0 = −0.8 vs θ1 = −0.6 with 10⁴ training samples — CARL ≈ 0.020, ROLR ≈ 0.003, RASCAL ≈ 0.002)
// and the WH simulator at parton level, where x = z and the simulator's truth gives the exact
// t(x|θ) and log r(x|θ0, θ1).
#include <cmath>
#include <map>
#include <random>

#include "sbi/estimators.hpp"
#include "sbi/galton.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/sampler.hpp"
#include "sbi/wh_simulator.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

constexpr double galton_theta1 = -0.6;

/// Σ_x p(x|θ0) (f̂(x) − f(x))² over the reachable outcomes.
double expected_squared_error(const Vector& p, const Vector& estimate, const Vector& truth) {
  double sum = 0;
  for (Index x = 0; x < p.size(); ++x)
    if (p(x) > 0) sum += p(x) * std::pow(estimate(x) - truth(x), 2);
  return sum;
}

RowMatrix outcomes(const GaltonBoard& board) {
  RowMatrix x(board.n_outcomes(), 1);
  for (Index i = 0; i < x.rows(); ++i) x(i, 0) = static_cast<double>(i);
  return x;
}

}  // namespace

TEST_CASE("Galton board: log r̂ at θ0 = −0.8 vs θ1 = −0.6 from 10⁴ samples, against the exact ratio") {
  const GaltonBoard board;
  // θ0 ~ U(−1, 0), half the runs at θ0 (y = 0), half at θ1 = −0.6 (y = 1), joint r and t from the path.
  const AugmentedSamples train = galton_ratio_samples(board, -1.0, 0.0, galton_theta1, 10000, 1);
  const GaltonExact exact = board.exact(-0.8);
  const Vector log_r = board.exact_log_ratio(-0.8, galton_theta1);
  const RowMatrix x = outcomes(board);
  RowMatrix theta(1, 1);
  theta << -0.8;
  // "Mining gold" Fig. 4 (10⁴ samples): CARL ≈ 0.020, ROLR ≈ 0.003, RASCAL ≈ 0.002 (MSE of log r̂).
  struct Case {
    EstimatorMethod method;
    double paper;
  };
  for (const Case c : {Case{EstimatorMethod::Carl, 0.020}, Case{EstimatorMethod::Rolr, 0.003},
                       Case{EstimatorMethod::Rascal, 0.002}, Case{EstimatorMethod::Alice, 0.020},
                       Case{EstimatorMethod::Alices, 0.002}}) {
    CAPTURE(to_string(c.method));
    Estimator e(c.method, 1, 1, NetworkOptions{{100, 100}, Activation::Tanh}, 3);
    TrainingOptions o;
    o.epochs = 50;
    o.batch_size = 128;
    o.progress = 0;
    // The score term's weight: the joint scores here are O(1), like the cross-entropy.
    o.alpha = c.method == EstimatorMethod::Rascal ? 10.0 : 1.0;
    const TrainingSummary summary = e.train(train, o);
    REQUIRE(summary.reason == StopReason::Completed);
    const Vector estimate = e.evaluate_log_ratio(x, theta).log_r.row(0).transpose();
    const double mse = expected_squared_error(exact.p, estimate, log_r);
    MESSAGE(to_string(c.method) << ": E_x~p(x|-0.8)[(log r_hat - log r)^2] = " << mse << " (Mining gold: ~" << c.paper
                                << "), " << summary.seconds << " s");
    CHECK(mse <= c.paper);
  }
}

TEST_CASE("Galton board: SALLY's t̂(x) at θ = −0.8 against the exact score") {
  const GaltonBoard board;
  const AugmentedSamples train = galton_local_samples(board, -0.8, 10000, 5);
  Estimator e(EstimatorMethod::Sally, 1, 1, NetworkOptions{{100, 100}, Activation::Tanh}, 2);
  TrainingOptions o;
  o.epochs = 50;
  o.progress = 0;
  e.train(train, o);
  const GaltonExact exact = board.exact(-0.8);
  const Vector estimate = e.evaluate_score(outcomes(board)).col(0);
  double scale = 0;
  for (Index x = 0; x < exact.p.size(); ++x)
    if (exact.p(x) > 0) scale += exact.p(x) * exact.t(x) * exact.t(x);
  Vector t = exact.t;
  for (Index x = 0; x < t.size(); ++x)
    if (!std::isfinite(t(x))) t(x) = 0;
  const double mse = expected_squared_error(exact.p, estimate, t);
  MESSAGE("SALLY on the Galton board: E[(t_hat - t)^2] = " << mse << " against the Fisher information E[t^2] = " << scale);
  CHECK(mse < 0.02 * scale);
}

namespace {

struct WHTruthFixture {
  WHSimulator simulator;
  WHSample sample;
  MadMinerFile file;

  static WHOptions options() {
    WHOptions o;
    o.parton_level = true;
    o.warmup = 100000;
    o.threads = 2;
    return o;
  }
  WHTruthFixture() : simulator(options()), sample(simulator.generate(60000, 2024)) {
    file.setup = sample.setup;
    file.events = sample.events;
  }
};

}  // namespace

TEST_CASE("WH at parton level: SALLY's t̂ and ALICES' log r̂ against the exact truth; ensemble spread of the MLE") {
  static const WHTruthFixture f;  // generated once for both subcases
  Sampler sampler(f.file);
  SamplerOptions sampling;
  sampling.n_samples = 100000;
  sampling.seed = 3;
  TrainingOptions o;
  o.epochs = 50;
  o.progress = 0;
  o.threads = 2;

  // Test events: the test partition, unweighted at the SM (the sample is generated there).
  const SamplingResult test = sampler.test(ThetaSpec::benchmark("sm"), [&] {
    SamplerOptions t = sampling;
    t.n_samples = 5000;
    return t;
  }());
  // The truth for the test sample's events: find them by their (unique) observables.
  WHSample test_sample = f.sample;
  {
    // Rebuild a parton-level sample restricted to the drawn test events (x = z: observables and
    // momenta identify the event).
    std::map<std::pair<double, double>, Index> index;
    for (Index i = 0; i < f.sample.events.size(); ++i)
      index[{f.sample.events.observations(i, 0), f.sample.events.observations(i, 1)}] = i;
    const Index n = test.samples.size();
    test_sample.events.observations.resize(n, f.sample.events.observations.cols());
    test_sample.events.weights.resize(n, f.sample.events.weights.cols());
    test_sample.events.sampling_benchmarks.resize(n);
    test_sample.components.resize(n, f.sample.components.cols());
    test_sample.momenta.resize(n, f.sample.momenta.cols());
    for (Index i = 0; i < n; ++i) {
      const Index j = index.at({test.samples.x(i, 0), test.samples.x(i, 1)});
      test_sample.events.observations.row(i) = f.sample.events.observations.row(j);
      test_sample.events.weights.row(i) = f.sample.events.weights.row(j);
      test_sample.events.sampling_benchmarks(i) = f.sample.events.sampling_benchmarks(j);
      test_sample.components.row(i) = f.sample.components.row(j);
      test_sample.momenta.row(i) = f.sample.momenta.row(j);
    }
    test_sample.events.process_ids.resize(0);
  }
  const RowMatrix& x_test = test.samples.x;

  SUBCASE("SALLY") {
    const SamplingResult local = sampler.local(ThetaSpec::benchmark("sm"), sampling);
    Estimator e(EstimatorMethod::Sally, x_test.cols(), 2, NetworkOptions{{100, 100}, Activation::Tanh}, 1);
    const TrainingSummary summary = e.train(local.samples, o);
    const RowMatrix t_hat = e.evaluate_score(x_test);
    const WHTruth truth = f.simulator.truth(test_sample, test::vector_of({0, 0}), test::vector_of({0, 0}));
    // The fraction of the exact score's variance SALLY reproduces, R² = 1 − E[(t̂ − t)²]/Var[t], and
    // the Fisher information of the estimated score against the exact one, E[t̂²]/E[t²] (what the
    // sally limit mode and MadMiner's Fisher information use). The CP-odd c_HWtil score is an
    // angular function the network learns well; the CP-even c_HW score grows with the energy and is
    // dominated by rare high-p_T events, which 10⁵ samples cover sparsely.
    // Measured with these settings: R² = 0.93 and 0.62, information ratios 1.01 and 0.73.
    const double r2_minimum[2] = {0.85, 0.5};
    const double information_tolerance[2] = {0.15, 0.4};
    for (Index p = 0; p < 2; ++p) {
      const double mse = (t_hat.col(p) - truth.t.col(p)).squaredNorm() / static_cast<double>(x_test.rows());
      const double var = (truth.t.col(p).array() - truth.t.col(p).mean()).square().mean();
      const double information = t_hat.col(p).squaredNorm() / truth.t.col(p).squaredNorm();
      MESSAGE("SALLY t_" << p << ": R^2 = " << 1 - mse / var << ", E[t_hat^2]/E[t^2] = " << information << " ("
                         << summary.seconds << " s)");
      CHECK(1 - mse / var > r2_minimum[p]);
      CHECK(std::abs(information - 1) < information_tolerance[p]);
    }
  }

  SUBCASE("ALICES: log r̂ and the spread of the MLE over an ensemble") {
    const ParameterPrior prior{ParameterPrior::Kind::Gaussian, 0.0, 0.5};
    std::vector<AugmentedSamples> samples;
    constexpr Index members = 3;
    for (Index m = 0; m < members; ++m) {
      SamplerOptions s = sampling;
      s.seed = 100 + static_cast<std::uint64_t>(m);
      samples.push_back(sampler.ratio(ThetaSpec::random(1000, {prior, prior}), ThetaSpec::benchmark("sm"), s).samples);
    }
    EnsembleOptions eo;
    eo.members = members;
    Ensemble ensemble(EstimatorMethod::Alices, x_test.cols(), 2, eo, NetworkOptions{{100, 100}, Activation::Tanh}, 11);
    o.alpha = 1.0;
    const auto summaries = ensemble.train(samples, o);
    for (const auto& s : summaries) MESSAGE("ALICES member: " << s.brief_report());

    // log r̂(x|θ0, SM) against the truth at three θ0, on events from the SM.
    RowMatrix thetas(3, 2);
    thetas << 0.5, 0.0, 0.0, 0.5, -0.4, -0.3;
    const EnsembleRatio r = ensemble.evaluate_log_ratio(x_test, thetas);
    for (Index t = 0; t < thetas.rows(); ++t) {
      const WHTruth truth = f.simulator.truth(test_sample, thetas.row(t).transpose(), test::vector_of({0, 0}));
      const double mse = (r.mean.row(t).transpose() - truth.log_r).squaredNorm() / static_cast<double>(x_test.rows());
      const double var = (truth.log_r.array() - truth.log_r.mean()).square().mean();
      MESSAGE("ALICES log r at theta0 = (" << thetas(t, 0) << ", " << thetas(t, 1) << "): R^2 = " << 1 - mse / var
                                           << " (E[(log r_hat - log r)^2] = " << mse << ")");
      CHECK(1 - mse / var > 0.65);  // measured 0.86, 0.76, 0.80
    }

    // 1-D expected-likelihood scan in c_HW (c_HWtil = 0) on the SM test events: the maximum of
    // Σ_e log r̂(x_e|θ, SM) per member. The truth's maximum is at the SM up to the test sample's
    // fluctuation; the members must agree with each other (the seed talk saw σ up to 0.23).
    constexpr Index grid = 81;
    RowMatrix scan(grid, 2);
    for (Index g = 0; g < grid; ++g) scan.row(g) << 0.0, -0.4 + 0.8 * static_cast<double>(g) / (grid - 1);
    auto best = [&](const Vector& log_l) {
      Index g = 0;
      log_l.maxCoeff(&g);
      // Quadratic interpolation through the best grid point and its neighbours.
      if (g == 0 || g == grid - 1) return scan(g, 1);
      const double a = log_l(g - 1), b = log_l(g), c = log_l(g + 1), h = scan(1, 1) - scan(0, 1);
      return scan(g, 1) + 0.5 * h * (a - c) / (a - 2 * b + c);
    };
    std::vector<double> mle;
    for (Index m = 0; m < members; ++m) {
      const RowMatrix lr = ensemble[m].evaluate_log_ratio(x_test, scan).log_r;
      mle.push_back(best(lr.rowwise().sum()));
    }
    Vector truth_log_l(grid);
    for (Index g = 0; g < grid; ++g) truth_log_l(g) = f.simulator.truth(test_sample, scan.row(g).transpose(), test::vector_of({0, 0})).log_r.sum();
    const double truth_mle = best(truth_log_l);
    double mean = 0;
    for (double v : mle) mean += v / members;
    double spread = 0;
    for (double v : mle) spread += (v - mean) * (v - mean) / (members - 1);
    spread = std::sqrt(spread);
    MESSAGE("MLE of c_HW from " << x_test.rows() << " SM events: truth " << truth_mle << ", ALICES members " << mle[0]
                                << ", " << mle[1] << ", " << mle[2] << " (spread " << spread << "; the seed talk: up to 0.23)");
    CHECK(spread < 0.1);
    CHECK(std::abs(mean - truth_mle) < 0.1);
  }
}
