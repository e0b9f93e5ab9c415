// The sampler against the weighted distribution it must reproduce, and the augmented data against
// finite differences and direct sums. Toy: N events with an exactly quadratic weight in two
// parameters, w_i(θ) = c_i (α_i + β_i θ1 + γ_i θ2)² + δ_i θ1, where δ_i ≠ 0 for one event in ten
// so that some morphed weights turn negative far from the SM. Observable 0 is the event index, so
// every sample can be traced back to its event.
#include <map>
#include <random>
#include <set>

#include "sbi/error.hpp"
#include "sbi/morphing.hpp"
#include "sbi/sampler.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

struct Toy {
  Vector c, alpha, beta, gamma, delta;
  double weight(Index i, const Vector& theta) const {
    const double amplitude = alpha(i) + beta(i) * theta(0) + gamma(i) * theta(1);
    return c(i) * amplitude * amplitude + delta(i) * theta(0);
  }
};

// Events generated in `runs` runs at benchmarks 0..runs-1 (interleaved, i.e. already shuffled),
// with a stored morphing from six benchmarks.
MadMinerFile toy_file(Index n, Toy& toy, int runs = 1, std::uint64_t seed = 3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss;
  std::uniform_real_distribution<double> uniform(0.5, 1.5);
  toy.c.resize(n), toy.alpha.resize(n), toy.beta.resize(n), toy.gamma.resize(n), toy.delta.resize(n);
  for (Index i = 0; i < n; ++i) {
    toy.c(i) = uniform(rng) * 1e-3;
    toy.alpha(i) = 1.0;
    toy.beta(i) = 0.5 * gauss(rng);
    toy.gamma(i) = 0.3 * gauss(rng);
    toy.delta(i) = i % 10 == 0 ? -2e-3 : 0.0;
  }
  MadMinerFile file;
  Setup& setup = file.setup;
  setup.parameters = ParameterSpace({Parameter{"cHWtil", "SMEFTcpv", 4, 2, -2, 2, ""}, Parameter{"cHW", "SMEFT", 7, 2, -2, 2, ""}});
  const std::vector<Vector> points = {test::vector_of({0, 0}), test::vector_of({1, 0}), test::vector_of({-1, 0}), test::vector_of({0, 1}), test::vector_of({0, -1}), test::vector_of({1, 1})};
  for (std::size_t b = 0; b < points.size(); ++b)
    setup.benchmarks.push_back({b == 0 ? "sm" : "b" + std::to_string(b), points[b], false, b == 0});
  RowMatrix benchmark_points(6, 2);
  for (Index b = 0; b < 6; ++b) benchmark_points.row(b) = points[static_cast<std::size_t>(b)].transpose();
  const Morphing morphing(morphing_components(setup.parameters, 2), benchmark_points);
  setup.morphing = morphing.to_stored();
  setup.observables = {{"event_index", ""}, {"z", ""}};
  Events events;
  events.observations.resize(n, 2);
  events.weights.resize(n, 6);
  events.sampling_benchmarks.resize(n);
  for (Index i = 0; i < n; ++i) {
    events.observations(i, 0) = static_cast<double>(i);
    events.observations(i, 1) = toy.beta(i);
    for (Index b = 0; b < 6; ++b) events.weights(i, b) = toy.weight(i, points[static_cast<std::size_t>(b)]);
    events.sampling_benchmarks(i) = i % runs;
  }
  // Several runs each estimate σ on their own: scale so that each run alone sums to σ.
  if (runs > 1) events.weights *= static_cast<double>(runs);
  file.events = events;
  return file;
}

// χ² of sampled counts against expected counts, over bins of consecutive events.
double chi2_per_dof(const AugmentedSamples& samples, const Vector& probabilities, Index bin_size, Index& dof) {
  const Index n = probabilities.size();
  const Index bins = (n + bin_size - 1) / bin_size;
  Vector observed = Vector::Zero(bins), expected = Vector::Zero(bins);
  for (Index s = 0; s < samples.size(); ++s) observed(static_cast<Index>(samples.x(s, 0)) / bin_size) += 1;
  for (Index i = 0; i < n; ++i) expected(i / bin_size) += probabilities(i) * static_cast<double>(samples.size());
  double chi2 = 0;
  dof = 0;
  for (Index b = 0; b < bins; ++b)
    if (expected(b) > 0) {
      chi2 += (observed(b) - expected(b)) * (observed(b) - expected(b)) / expected(b);
      ++dof;
    } else {
      REQUIRE(observed(b) == 0);
    }
  dof -= 1;
  return chi2 / static_cast<double>(dof);
}

SamplerOptions all_events(Index n_samples, std::uint64_t seed = 11) {
  SamplerOptions options;
  options.n_samples = n_samples;
  options.partition = Partition::All;
  options.sample_only_from_closest_benchmark = false;
  options.seed = seed;
  return options;
}

}  // namespace

TEST_CASE("Draws follow the clipped morphed weights, near and far from the SM") {
  Toy toy;
  const Index n = 2000;
  Sampler sampler(toy_file(n, toy));
  for (const Vector& theta : {test::vector_of({0, 0}), test::vector_of({0.7, -0.4}), test::vector_of({2.0, 1.5}), test::vector_of({-6.0, 4.0})}) {
    CAPTURE(theta.transpose());
    Vector p(n);
    double negative = 0, total_abs = 0;
    for (Index i = 0; i < n; ++i) {
      const double w = toy.weight(i, theta);
      p(i) = std::max(w, 0.0);
      negative += std::max(-w, 0.0);
      total_abs += std::abs(w);
    }
    p /= p.sum();
    const SamplingResult result = sampler.plain(ThetaSpec::point(theta), all_events(1000000));
    Index dof = 0;
    const double chi2 = chi2_per_dof(result.samples, p, 50, dof);
    // 39 degrees of freedom: χ²/dof < 2.0 has a false-alarm probability below 2e-4.
    MESSAGE("θ = (" << theta(0) << ", " << theta(1) << "): χ²/dof = " << chi2 << " (dof " << dof
                    << "), acceptance " << result.reports[0].acceptance << ", clipped " << result.reports[0].clipped_fraction);
    CHECK(chi2 < 2.0);
    // Reported statistics are the exact ones.
    CHECK(result.reports[0].n_eff == doctest::Approx(1.0 / p.maxCoeff()).epsilon(1e-10));
    CHECK(result.reports[0].clipped_fraction == doctest::Approx(negative / total_abs).epsilon(1e-10));
  }
}

TEST_CASE("Joint ratio and score equal direct sums and finite differences of the morphed weights") {
  Toy toy;
  const Index n = 500;
  Sampler sampler(toy_file(n, toy));
  auto sigma = [&](const Vector& theta) {
    double s = 0;
    for (Index i = 0; i < n; ++i) s += toy.weight(i, theta);
    return s;
  };
  auto log_p = [&](Index i, const Vector& theta) { return std::log(toy.weight(i, theta) / sigma(theta)); };

  ParameterPrior flat{ParameterPrior::Kind::Flat, -1.0, 1.0};
  const SamplingResult result =
      sampler.more_ratios(ThetaSpec::random(20, {flat, flat}), ThetaSpec::point(test::vector_of({0.2, 0.1})), all_events(2000));
  const AugmentedSamples& s = result.samples;
  REQUIRE(s.size() == 2000);
  CHECK(s.y.sum() == 1000);
  // The settings that made the samples travel with them (written as metadata/settings).
  CAPTURE(s.settings);
  for (const char* part : {"n_samples=2000", "partition=all", "sample_only_from_closest_benchmark=false", "seed=11",
                           "theta0=20 random points from [flat:-1,1, flat:-1,1]", "theta1=points [(0.2, 0.1)]"})
    CHECK(s.settings.find(part) != std::string::npos);
  // The sampler evaluates w_i(θ) = Σ_b w_b(θ) w_ib, which loses accuracy where the terms cancel:
  // errors are measured in units of the condition number κ_i(θ) = Σ_b |w_b(θ) w_ib| / |w_i(θ)|
  // (≈ 1 for most events; ~10⁷ for an event drawn near a zero of its amplitude), with the
  // tolerances that hold at κ = 1.
  const Morphing morphing = Morphing::from_setup(sampler.setup());
  auto kappa = [&](Index i, const Vector& theta) {
    return (morphing.weights(theta).cwiseAbs().transpose() * sampler.events().weights.row(i).cwiseAbs().transpose())(0) /
           std::abs(toy.weight(i, theta));
  };
  double worst_r = 0, worst_t_analytic = 0, worst_t_fd = 0, worst_kappa = 0;
  for (Index k = 0; k < s.size(); ++k) {
    const auto i = static_cast<Index>(s.x(k, 0));
    const Vector theta0 = s.theta0.row(k).transpose(), theta1 = s.theta1.row(k).transpose();
    const double r = std::exp(log_p(i, theta0) - log_p(i, theta1));
    const double kappa0 = kappa(i, theta0), kappa1 = kappa(i, theta1);
    worst_kappa = std::max({worst_kappa, kappa0, kappa1});
    worst_r = std::max(worst_r, std::abs(s.r_xz(k) / r - 1) / std::max(1.0, kappa0 + kappa1));
    for (int h = 0; h < 2; ++h) {
      const Vector& theta = h == 0 ? theta0 : theta1;
      const RowMatrix& t = h == 0 ? s.t_xz0 : s.t_xz1;
      // Analytic: ∇ log w_i − ∇ log σ, with ∇w_i from the toy's closed form.
      const double amplitude = toy.alpha(i) + toy.beta(i) * theta(0) + toy.gamma(i) * theta(1);
      Vector grad_w(2);
      grad_w << 2 * toy.c(i) * amplitude * toy.beta(i) + toy.delta(i), 2 * toy.c(i) * amplitude * toy.gamma(i);
      Vector grad_sigma = Vector::Zero(2);
      for (Index e = 0; e < n; ++e) {
        const double a_e = toy.alpha(e) + toy.beta(e) * theta(0) + toy.gamma(e) * theta(1);
        grad_sigma(0) += 2 * toy.c(e) * a_e * toy.beta(e) + toy.delta(e);
        grad_sigma(1) += 2 * toy.c(e) * a_e * toy.gamma(e);
      }
      const Vector expected = grad_w / toy.weight(i, theta) - grad_sigma / sigma(theta);
      for (Index p = 0; p < 2; ++p) {
        worst_t_analytic = std::max(worst_t_analytic, std::abs(t(k, p) - expected(p)) / (std::abs(expected(p)) + 1e-3) /
                                                          std::max(1.0, h == 0 ? kappa0 : kappa1));
        if (k < 200) {  // central finite differences of log p(x,z|θ)
          const double h_step = 1e-5;
          Vector up = theta, down = theta;
          up(p) += h_step;
          down(p) -= h_step;
          const double fd = (log_p(i, up) - log_p(i, down)) / (2 * h_step);
          worst_t_fd = std::max(worst_t_fd, std::abs(t(k, p) - fd) / (std::abs(fd) + 1e-3));
        }
      }
    }
  }
  MESSAGE("largest relative errors per unit of κ (largest κ " << worst_kappa << "): r " << worst_r << ", t analytic "
                                                              << worst_t_analytic << "; t finite differences " << worst_t_fd);
  CHECK(worst_r < 1e-10);
  CHECK(worst_t_analytic < 1e-9);
  CHECK(worst_t_fd < 1e-6);
  // θ0 was drawn independently for the two halves.
  std::set<double> theta0_y0, theta0_y1;
  for (Index k = 0; k < s.size(); ++k) (s.y(k) == 0 ? theta0_y0 : theta0_y1).insert(s.theta0(k, 0));
  CHECK(theta0_y0.size() == 20);
  CHECK(theta0_y1.size() == 20);
  CHECK(*theta0_y0.begin() != *theta0_y1.begin());
}

TEST_CASE("Cross sections equal the direct weighted sums, with partition corrections") {
  Toy toy;
  const Index n = 1000;
  Sampler sampler(toy_file(n, toy));
  RowMatrix thetas(4, 2);
  thetas << 0, 0, 0.3, -0.2, 1.7, 1.1, -5, 3;
  const auto [sigma, uncertainty] = sampler.cross_sections(thetas);
  for (Index t = 0; t < thetas.rows(); ++t) {
    double direct = 0, squares = 0;
    for (Index i = 0; i < n; ++i) {
      const double w = toy.weight(i, thetas.row(t).transpose());
      direct += w;
      squares += w * w;
    }
    CHECK(std::abs(sigma(t) - direct) <= 1e-12 * std::abs(direct));
    CHECK(uncertainty(t) == doctest::Approx(std::sqrt(squares)).epsilon(1e-10));
  }
  // The train partition (first 600 events) scaled by 1000/600 estimates the same σ.
  const auto [train_sigma, _] = sampler.cross_sections(thetas, Partition::Train);
  double direct_train = 0;
  for (Index i = 0; i < 600; ++i) direct_train += toy.weight(i, test::vector_of({0, 0}));
  CHECK(train_sigma(0) == doctest::Approx(direct_train * 1000.0 / 600.0).epsilon(1e-12));
}

TEST_CASE("Partitions are disjoint contiguous slices") {
  Toy toy;
  const Index n = 1000;
  Sampler sampler(toy_file(n, toy));
  SamplerOptions options;
  options.n_samples = 20000;
  options.sample_only_from_closest_benchmark = false;
  const auto train = sampler.local(ThetaSpec::benchmark("sm"), options).samples;
  CHECK(train.x.col(0).maxCoeff() <= 599);
  options.partition = Partition::Validation;
  const auto validation = sampler.plain(ThetaSpec::benchmark("b1"), options).samples;
  CHECK(validation.x.col(0).minCoeff() >= 600);
  CHECK(validation.x.col(0).maxCoeff() <= 799);
  const auto test = sampler.test(ThetaSpec::benchmark("sm"), options).samples;
  CHECK(test.kind == SampleKind::Test);
  CHECK(test.partition == Partition::Test);
  CHECK(test.x.col(0).minCoeff() >= 800);
  CHECK(test.x.col(0).maxCoeff() == 999);  // MadMiner drops the last event; sbi does not
}

TEST_CASE("The same seed gives the same samples for any thread count") {
  Toy toy;
  Sampler sampler(toy_file(800, toy));
  ParameterPrior gauss{ParameterPrior::Kind::Gaussian, 0.0, 0.5};
  SamplerOptions options = all_events(5000, 99);
  options.threads = 1;
  const auto one = sampler.ratio(ThetaSpec::random(37, {gauss, gauss}), ThetaSpec::benchmark("sm"), options).samples;
  options.threads = 2;
  const auto two = sampler.ratio(ThetaSpec::random(37, {gauss, gauss}), ThetaSpec::benchmark("sm"), options).samples;
  options.threads = 5;
  const auto five = sampler.ratio(ThetaSpec::random(37, {gauss, gauss}), ThetaSpec::benchmark("sm"), options).samples;
  CHECK(one == two);
  CHECK(one == five);
  options.seed = 100;
  CHECK(!(sampler.ratio(ThetaSpec::random(37, {gauss, gauss}), ThetaSpec::benchmark("sm"), options).samples == one));
}

TEST_CASE("Several generation runs: k-factors, closest benchmark, unshuffled files") {
  Toy toy;
  const Index n = 3000;
  MadMinerFile file = toy_file(n, toy, 3);
  Sampler sampler(file);
  // With k-factors 1/3 on weights scaled by 3, σ is the single-sample sum.
  const auto [sigma, _] = sampler.cross_sections(RowMatrix(test::vector_of({0.4, 0.4}).transpose()));
  double direct = 0;
  for (Index i = 0; i < n; ++i) direct += toy.weight(i, test::vector_of({0.4, 0.4}));
  CHECK(sigma(0) == doctest::Approx(direct).epsilon(1e-12));

  // Closest benchmark to (0.9, 0.1) among the runs at sm, b1, b2 is b1 = (1, 0): every sample comes
  // from the events of run 1.
  SamplerOptions options = all_events(3000);
  options.sample_only_from_closest_benchmark = true;
  const auto samples = sampler.plain(ThetaSpec::point(test::vector_of({0.9, 0.1})), options).samples;
  for (Index k = 0; k < samples.size(); ++k) REQUIRE(static_cast<Index>(samples.x(k, 0)) % 3 == 1);

  // A file ordered by run: the test partition holds no event of run 0.
  MadMinerFile ordered = file;
  for (Index i = 0; i < n; ++i) ordered.events->sampling_benchmarks(i) = i < 1000 ? 0 : i < 2000 ? 1 : 2;
  Sampler ordered_sampler(ordered);
  options.partition = Partition::Test;
  options.sample_only_from_closest_benchmark = false;
  try {
    (void)ordered_sampler.plain(ThetaSpec::benchmark("sm"), options);
    FAIL("expected InvalidArgument");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()).find("shuffle") != std::string::npos);
  }
}

TEST_CASE("Trimmed sampling and bad input") {
  Toy toy;
  Sampler sampler(toy_file(1000, toy));
  SamplerOptions options = all_events(20000);
  options.n_eff_forced = 900;  // ignore events with p > 1/900
  const Vector theta = test::vector_of({1.5, 1.0});
  double positive = 0;
  for (Index i = 0; i < 1000; ++i) positive += std::max(toy.weight(i, theta), 0.0);
  const auto [sigma, _] = sampler.cross_sections(RowMatrix(theta.transpose()));
  const auto samples = sampler.plain(ThetaSpec::point(theta), options).samples;
  REQUIRE(samples.size() == 20000);
  for (Index k = 0; k < samples.size(); ++k)
    REQUIRE(toy.weight(static_cast<Index>(samples.x(k, 0)), theta) / sigma(0) <= 1.0 / 900);
  CHECK(samples.settings.find("n_eff_forced=900") != std::string::npos);

  CHECK_THROWS_AS(sampler.plain(ThetaSpec::benchmark("nope"), options), NotFound);
  CHECK_THROWS_AS(sampler.plain(ThetaSpec::point(Vector::Zero(3)), options), InvalidArgument);
  options.n_samples = 0;
  CHECK_THROWS_AS(sampler.plain(ThetaSpec::benchmark("sm"), options), InvalidArgument);
  CHECK_THROWS_AS(ParameterPrior::parse("uniform:0,1"), InvalidArgument);
  CHECK_THROWS_AS(ParameterPrior::parse("flat:1,0"), InvalidArgument);
  CHECK_THROWS_AS(ParameterPrior::parse("gaussian:0,x"), InvalidArgument);
  CHECK(ParameterPrior::parse("gaussian:0,0.4").b == 0.4);
  MadMinerFile no_events = toy_file(10, toy);
  no_events.events.reset();
  CHECK_THROWS_AS(Sampler{no_events}, InvalidArgument);
}

#include "sbi/wh_simulator.hpp"

TEST_CASE("On the WH simulator at parton level, r(x,z) and t(x,z) equal the exact r(x|θ0,θ1) and t(x|θ)") {
  // At parton level x = z: the joint quantities the sampler computes from the benchmark weights and
  // the stored morphing must equal the simulator's exact truth, which recomputes dσ(x|θ) from the
  // event's momenta. The two normalise with different cross sections — the sampler with the sum
  // over the file's events σ_N(θ), the truth with the integrated σ_MC(θ) of all candidates — so
  // r_sampler = r_truth · [σ_MC(θ0)/σ_MC(θ1)] · [σ_N(θ1)/σ_N(θ0)] and
  // t_sampler = t_truth + ∇log σ_MC(θ) − ∇log σ_N(θ), exactly. Tolerance 1e-8 relative (issue 6).
  WHOptions o;
  o.parton_level = true;
  o.warmup = 20000;
  const WHSimulator simulator(o);
  const WHSample sample = simulator.generate(4000, 77);
  REQUIRE(sample.setup.morphing.has_value());

  // The sample as a file, with the event index as an extra observable so every draw is traced back.
  MadMinerFile file;
  file.setup = sample.setup;
  file.setup.observables.push_back({"event_index", ""});
  Events events = sample.events;
  const Index n = events.size(), n_obs = events.observations.cols();
  events.observations.conservativeResize(n, n_obs + 1);
  for (Index i = 0; i < n; ++i) events.observations(i, n_obs) = static_cast<double>(i);
  file.events = events;
  Sampler sampler(file);

  RowMatrix theta0(3, 2);
  theta0 << 0.6, -0.4, -1.1, 0.3, 0.2, 0.9;
  const Vector sm = Vector::Zero(2);
  const SamplingResult result =
      sampler.more_ratios(ThetaSpec::point_list(theta0), ThetaSpec::benchmark("sm"), all_events(3000, 5));
  const AugmentedSamples& s = result.samples;
  REQUIRE(s.size() == 3000);

  const Morphing morphing = Morphing::from_setup(file.setup);
  const Vector sigma_b = events.weights.colwise().sum().transpose();
  auto log_sigma_mc_gradient = [&](const Vector& theta) {
    const auto grad = wh_monomial_gradients(theta);
    Vector g = Vector::Zero(2);
    for (int p = 0; p < 2; ++p)
      for (int c = 0; c < 6; ++c) g(p) += grad[p][c] * sample.sigma_components(c);
    return Vector(g / WHSimulator::cross_section(sample, theta));
  };
  auto log_sigma_n_gradient = [&](const Vector& theta) {
    return Vector(morphing.cross_section_gradient(sigma_b, theta) / morphing.cross_section(sigma_b, theta));
  };
  const double sigma_n_sm = sampler.cross_sections(RowMatrix(sm.transpose()), Partition::All).first(0);
  CHECK(sigma_n_sm == doctest::Approx(sigma_b(0)).epsilon(1e-12));

  double worst_r = 0, worst_t0 = 0, worst_t1 = 0;
  std::vector<Index> per_point(3, 0);
  for (Index p = 0; p < 3; ++p) {
    const Vector th0 = theta0.row(p).transpose();
    const WHTruth at0 = simulator.truth(sample, th0, sm);  // log r(x|θ0, SM), t(x|θ0)
    const WHTruth at1 = simulator.truth(sample, sm, th0);  // t(x|SM)
    const double sigma_n0 = sampler.cross_sections(RowMatrix(th0.transpose()), Partition::All).first(0);
    const double normalisation = (WHSimulator::cross_section(sample, th0) / WHSimulator::cross_section(sample, sm)) *
                                 (sigma_n_sm / sigma_n0);
    const Vector shift0 = log_sigma_mc_gradient(th0) - log_sigma_n_gradient(th0);
    const Vector shift1 = log_sigma_mc_gradient(sm) - log_sigma_n_gradient(sm);
    for (Index k = 0; k < s.size(); ++k) {
      if (s.theta0.row(k) != theta0.row(p)) continue;
      ++per_point[static_cast<std::size_t>(p)];
      REQUIRE(s.theta1.row(k).isZero());
      const auto i = static_cast<Index>(s.x(k, n_obs));
      const double r_expected = std::exp(at0.log_r(i)) * normalisation;
      worst_r = std::max(worst_r, std::abs(s.r_xz(k) / r_expected - 1));
      for (Index q = 0; q < 2; ++q) {
        const double t0 = at0.t(i, q) + shift0(q), t1 = at1.t(i, q) + shift1(q);
        worst_t0 = std::max(worst_t0, std::abs(s.t_xz0(k, q) - t0) / std::max(std::abs(t0), 1e-2));
        worst_t1 = std::max(worst_t1, std::abs(s.t_xz1(k, q) - t1) / std::max(std::abs(t1), 1e-2));
      }
    }
  }
  MESSAGE("WH parton level, 3000 more-ratios samples at 3 θ0 against the SM: largest relative error of r(x,z) vs exact r(x) "
          << worst_r << ", of t(x,z|θ0) vs exact t(x|θ0) " << worst_t0 << ", of t(x,z|θ1) vs exact t(x|θ1) " << worst_t1
          << " (|t| floored at 0.01)");
  for (Index count : per_point) CHECK(count == 1000);
  CHECK(worst_r < 1e-8);
  CHECK(worst_t0 < 1e-8);
  CHECK(worst_t1 < 1e-8);
}

TEST_CASE("Density samples, benchmark lists and point lists: θ per sample, scores at that θ, even split") {
  Toy toy;
  const Index n = 600;
  Sampler sampler(toy_file(n, toy));
  auto expected_score = [&](Index i, const Vector& theta) {
    Vector grad_sigma = Vector::Zero(2);
    double sigma = 0;
    for (Index e = 0; e < n; ++e) {
      const double a_e = toy.alpha(e) + toy.beta(e) * theta(0) + toy.gamma(e) * theta(1);
      grad_sigma(0) += 2 * toy.c(e) * a_e * toy.beta(e) + toy.delta(e);
      grad_sigma(1) += 2 * toy.c(e) * a_e * toy.gamma(e);
      sigma += toy.weight(e, theta);
    }
    const double a_i = toy.alpha(i) + toy.beta(i) * theta(0) + toy.gamma(i) * theta(1);
    Vector grad_w(2);
    grad_w << 2 * toy.c(i) * a_i * toy.beta(i) + toy.delta(i), 2 * toy.c(i) * a_i * toy.gamma(i);
    return Vector(grad_w / toy.weight(i, theta) - grad_sigma / sigma);
  };

  // Density: θ from a Gaussian prior, one θ per sample row, the score at that row's θ.
  ParameterPrior gauss{ParameterPrior::Kind::Gaussian, 0.0, 0.5};
  const SamplingResult density = sampler.density(ThetaSpec::random(25, {gauss, gauss}), all_events(500, 8));
  const AugmentedSamples& d = density.samples;
  CHECK(d.kind == SampleKind::Density);
  REQUIRE(d.size() == 500);
  CHECK_NOTHROW(d.validate());
  CHECK(density.reports.size() == 25);
  std::set<std::pair<double, double>> distinct;
  double worst = 0;
  for (Index k = 0; k < d.size(); ++k) {
    const Vector theta = d.theta0.row(k).transpose();
    distinct.insert({theta(0), theta(1)});
    const Vector t = expected_score(static_cast<Index>(d.x(k, 0)), theta);
    for (Index p = 0; p < 2; ++p) worst = std::max(worst, std::abs(d.t_xz0(k, p) - t(p)) / (std::abs(t(p)) + 1e-3));
  }
  MESSAGE("density samples: 25 θ from N(0, 0.5²), largest relative score error " << worst);
  CHECK(distinct.size() == 25);
  CHECK(worst < 1e-9);
  for (const auto& report : density.reports) CHECK(report.n_samples == 20);

  // A list of benchmarks: each benchmark's values as θ, the samples split evenly (7 = 3 + 2 + 2).
  const SamplingResult listed = sampler.plain(ThetaSpec::benchmark_list({"sm", "b1", "b3"}), all_events(7, 9));
  REQUIRE(listed.reports.size() == 3);
  CHECK(listed.reports[0].theta == test::vector_of({0, 0}));
  CHECK(listed.reports[1].theta == test::vector_of({1, 0}));
  CHECK(listed.reports[2].theta == test::vector_of({0, 1}));
  CHECK(listed.reports[0].n_samples == 3);
  CHECK(listed.reports[2].n_samples == 2);
  std::map<std::pair<double, double>, int> count;
  for (Index k = 0; k < listed.samples.size(); ++k) ++count[{listed.samples.theta0(k, 0), listed.samples.theta0(k, 1)}];
  CHECK(count[{0.0, 0.0}] == 3);
  CHECK(count[{1.0, 0.0}] == 2);
  CHECK(count[{0.0, 1.0}] == 2);

  // A list of points, and a benchmark list that names an unknown benchmark.
  RowMatrix points(2, 2);
  points << 0.25, -0.5, -1.5, 0.75;
  const SamplingResult at_points = sampler.local(ThetaSpec::point_list(points), all_events(400, 10));
  REQUIRE(at_points.reports.size() == 2);
  CHECK(at_points.reports[1].theta == test::vector_of({-1.5, 0.75}));
  double sigma_direct = 0;
  for (Index i = 0; i < n; ++i) sigma_direct += toy.weight(i, test::vector_of({-1.5, 0.75}));
  CHECK(at_points.reports[1].cross_section == doctest::Approx(sigma_direct).epsilon(1e-12));
  CHECK_THROWS_WITH_AS(sampler.plain(ThetaSpec::benchmark_list({"sm", "b9"}), all_events(10)),
                       doctest::Contains("no benchmark named 'b9'"), NotFound);
}
