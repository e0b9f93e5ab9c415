// The morphing module: components, closure of square and over-complete bases, the stored morphings
// of real MadMiner files, derivatives against finite differences, degenerate bases, and the basis
// optimisation against MadMiner's random search.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sbi/error.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/morphing.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

RowMatrix random_points(Index n, Index P, double low, double high, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(low, high);
  RowMatrix x(n, P);
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < P; ++p) x(i, p) = u(rng);
  return x;
}

Vector random_vector(Index n, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, 1.0);
  Vector v(n);
  for (Index i = 0; i < n; ++i) v(i) = g(rng);
  return v;
}

RowMatrix box(Index P, double low, double high) {
  RowMatrix r(P, 2);
  for (Index p = 0; p < P; ++p) r.row(p) << low, high;
  return r;
}

template <typename Exception, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Largest |a − b| relative to the largest |b|: the closeness of two whole matrices.
double matrix_relative_difference(const RowMatrix& a, const RowMatrix& b) {
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("components come in MadMiner's order (last parameter fastest) with both power limits") {
  const IntRowMatrix two = morphing_components({2, 2}, 2);
  IntRowMatrix expected(6, 2);
  expected << 0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 2, 0;
  CHECK(two == expected);

  // The real files' components are exactly this list (3 parameters, max power 2, overall 2).
  const IntRowMatrix three = morphing_components({2, 2, 2}, 2);
  IntRowMatrix expected3(10, 3);
  expected3 << 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 2, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 2, 0, 0;
  CHECK(three == expected3);

  // Quadratic in P parameters: (P+2 choose 2) components; quartic: (P+4 choose 4).
  for (int P = 1; P <= 5; ++P) {
    CHECK(morphing_components(std::vector<int>(static_cast<std::size_t>(P), 2), 2).rows() == (P + 2) * (P + 1) / 2);
    CHECK(morphing_components(std::vector<int>(static_cast<std::size_t>(P), 4), 4).rows() ==
          (P + 4) * (P + 3) * (P + 2) * (P + 1) / 24);
  }
  // Per-parameter maxima: (2, 1) with overall 4 → 3 × 2 = 6 tuples; overall 2 drops (2, 1).
  CHECK(morphing_components({2, 1}, 4).rows() == 6);
  CHECK(morphing_components({2, 1}, 2).rows() == 5);
  // From a parameter space.
  ParameterSpace space({Parameter{"a", "", 0, 4}, Parameter{"b", "", 0, 2}});
  CHECK(morphing_components(space, 4).rows() == 5 * 3 - 3);

  CHECK(contains(message_of<InvalidArgument>([] { morphing_components({2, -1}, 2); }), "max_powers[1] = -1"));
  CHECK(contains(message_of<InvalidArgument>([] { morphing_components({2}, -1); }), "max_overall_power = -1"));
  CHECK_THROWS_AS(morphing_components(std::vector<int>{}, 2), InvalidArgument);
}

TEST_CASE("component values and derivatives are exact at θ = 0 and match the monomials") {
  const IntRowMatrix comps = morphing_components({3, 2}, 4);
  RowMatrix theta(2, 2);
  theta << 0.0, 0.0, 1.5, -2.0;
  const RowMatrix phi = component_values(comps, theta);
  const RowMatrix grad = component_gradients(comps, theta);
  for (Index c = 0; c < comps.rows(); ++c) {
    const auto a = comps(c, 0), b = comps(c, 1);
    CHECK(phi(0, c) == (a == 0 && b == 0 ? 1.0 : 0.0));
    CHECK(phi(1, c) == doctest::Approx(std::pow(1.5, a) * std::pow(-2.0, b)).epsilon(1e-15));
    // ∂/∂θ_0 at (1.5, −2): a·1.5^{a−1}(−2)^b
    const double expected = a == 0 ? 0.0 : a * std::pow(1.5, a - 1) * std::pow(-2.0, b);
    CHECK(grad(1 * 2 + 0, c) == doctest::Approx(expected).epsilon(1e-15));
    // At θ = 0 the only non-zero gradients are of the linear monomials.
    CHECK(grad(0, c) == ((a == 1 && b == 0) ? 1.0 : 0.0));
  }
}

TEST_CASE("closure: random quadratic and quartic polynomials in 1-5 parameters are reproduced to 1e-10") {
  std::mt19937_64 rng(20240611);
  for (int degree : {2, 4}) {
    for (int P = 1; P <= 5; ++P) {
      const IntRowMatrix comps = morphing_components(std::vector<int>(static_cast<std::size_t>(P), degree), degree);
      const Index C = comps.rows();
      for (Index extra : {Index{0}, Index{3}}) {  // square and over-complete bases
        // Benchmarks: the SM and random points, re-drawn until the basis is well conditioned
        // (a random quartic basis in 5 parameters can be arbitrarily bad, which is what the basis
        // optimisation is for).
        std::optional<Morphing> morphing;
        for (int attempt = 0; attempt < 50 && !morphing; ++attempt) {
          RowMatrix points = random_points(C + extra, P, -2.0, 2.0, rng);
          points.row(0).setZero();
          MorphingOptions options;
          options.max_condition_number = 1e6;
          try {
            morphing.emplace(comps, points, options);
          } catch (const NumericalError&) {
          }
        }
        REQUIRE(morphing);
        // A random polynomial f(θ) = Σ_c A_c φ_c(θ), its values at the benchmarks, morphed.
        const Vector coefficients = random_vector(C, rng);
        const Vector at_benchmarks = component_values(comps, morphing->benchmark_points()) * coefficients;
        const RowMatrix thetas = random_points(200, P, -3.0, 3.0, rng);
        const Vector truth = component_values(comps, thetas) * coefficients;
        const Vector scale = component_values(comps, thetas).cwiseAbs() * coefficients.cwiseAbs();
        const Vector morphed = morphing->weights_at_points(thetas) * at_benchmarks;
        const double worst = ((morphed - truth).cwiseAbs().array() / scale.array()).maxCoeff();
        INFO("degree ", degree, ", ", P, " parameters, ", C + extra, " benchmarks, κ = ",
             morphing->equilibrated_condition_number());
        CHECK(worst < 1e-10);
        // The morphing condition M Θ = 1.
        const RowMatrix theta_matrix = component_values(comps, morphing->benchmark_points());
        CHECK((morphing->matrix() * theta_matrix - RowMatrix::Identity(C, C)).cwiseAbs().maxCoeff() < 1e-9);
      }
    }
  }
}

TEST_CASE("one-θ and many-θ evaluations agree; morphed event weights and cross sections are one product") {
  std::mt19937_64 rng(7);
  const IntRowMatrix comps = morphing_components({2, 2, 2}, 2);
  RowMatrix points = random_points(comps.rows(), 3, -1.0, 1.0, rng);
  const Morphing morphing(comps, points);
  const RowMatrix thetas = random_points(5, 3, -2.0, 2.0, rng);
  const RowMatrix w = morphing.weights_at_points(thetas);
  const RowMatrix g = morphing.weight_gradients_at_points(thetas);
  const RowMatrix h = morphing.weight_hessians_at_points(thetas);
  CHECK(g.rows() == 5 * 3);
  CHECK(h.rows() == 5 * 9);
  for (Index t = 0; t < thetas.rows(); ++t) {
    const Vector theta = thetas.row(t).transpose();
    SBI_CHECK_ARRAYS_CLOSE(w.row(t), morphing.weights(theta).transpose(), 1e-14);
    SBI_CHECK_ARRAYS_CLOSE(g.middleRows(t * 3, 3), morphing.weight_gradients(theta), 1e-14);
    SBI_CHECK_ARRAYS_CLOSE(h.middleRows(t * 9, 9), morphing.weight_hessians(theta), 1e-14);
    // The Hessian is symmetric.
    const RowMatrix ht = morphing.weight_hessians(theta);
    for (Index p = 0; p < 3; ++p)
      for (Index q = 0; q < 3; ++q) CHECK(ht.row(p * 3 + q) == ht.row(q * 3 + p));
  }
  const RowMatrix events = random_points(40, comps.rows(), 0.0, 1.0, rng);
  const RowMatrix morphed = morphing.morphed_event_weights(events, thetas);
  REQUIRE(morphed.rows() == 40);
  REQUIRE(morphed.cols() == 5);
  for (Index i = 0; i < 40; ++i)
    for (Index t = 0; t < 5; ++t) CHECK(morphed(i, t) == doctest::Approx(events.row(i).dot(w.row(t))).epsilon(1e-13));

  const Vector sigma_b = events.colwise().sum().transpose();
  const Vector sigma = morphing.cross_sections(sigma_b, thetas);
  const RowMatrix sigma_gradient = morphing.cross_section_gradients(sigma_b, thetas);
  for (Index t = 0; t < 5; ++t) {
    const Vector theta = thetas.row(t).transpose();
    CHECK(sigma(t) == doctest::Approx(morphed.col(t).sum()).epsilon(1e-12));
    CHECK(morphing.cross_section(sigma_b, theta) == doctest::Approx(sigma(t)).epsilon(1e-13));
    SBI_CHECK_ARRAYS_CLOSE(sigma_gradient.row(t), (morphing.weight_gradients(theta) * sigma_b).transpose(), 1e-12);
    SBI_CHECK_ARRAYS_CLOSE(morphing.cross_section_gradient(sigma_b, theta), sigma_gradient.row(t).transpose(), 1e-14);
  }
  CHECK_THROWS_AS(morphing.weights(Vector::Zero(2)), InvalidArgument);
  CHECK_THROWS_AS(morphing.morphed_event_weights(RowMatrix::Ones(3, 4), thetas), InvalidArgument);
}

TEST_CASE("gradients and Hessians agree with finite differences (public derivative checker)") {
  std::mt19937_64 rng(11);
  for (int degree : {2, 4}) {
    const IntRowMatrix comps = morphing_components({degree, degree, degree}, degree);
    RowMatrix points = random_points(comps.rows(), 3, -1.5, 1.5, rng);
    MorphingOptions options;
    options.max_condition_number = 1e12;
    const Morphing morphing(comps, points, options);
    const RowMatrix thetas = random_points(10, 3, -2.0, 2.0, rng);
    const DerivativeCheckResult result = check_morphing_derivatives(morphing, thetas);
    MESSAGE("degree ", degree, ": ", result.report());
    CHECK(result.passed());
    CHECK(result.max_gradient_relative_error < 1e-6);
    CHECK(result.max_hessian_relative_error < 1e-6);
  }
  // The checker catches a wrong derivative and says where.
  const IntRowMatrix comps = morphing_components({2}, 2);
  RowMatrix points(3, 1);
  points << 0.0, 1.0, -1.0;
  const Morphing morphing(comps, points);
  auto wrong_gradient = [&](const Vector& theta) {
    RowMatrix g = morphing.weight_gradients(theta);
    g(0, 2) *= 1.01;
    return g;
  };
  const RowMatrix thetas = RowMatrix::Constant(1, 1, 0.3);
  const DerivativeCheckResult bad = check_derivatives([&](const Vector& t) { return morphing.weights(t); },
                                                      wrong_gradient, {}, thetas);
  CHECK_FALSE(bad.passed());
  CHECK(bad.max_gradient_relative_error == doctest::Approx(0.01 / 1.01).epsilon(1e-4));
  CHECK(bad.worst_gradient_output == 2);
  CHECK(std::isnan(bad.max_hessian_relative_error));
  DerivativeCheckOptions defaults;
  CHECK_NOTHROW(defaults.validate());
  defaults.relative_step = 0.0;
  CHECK(contains(message_of<InvalidArgument>([&] { defaults.validate(); }), "relative_step = 0"));
}

TEST_CASE("degenerate and near-degenerate bases are rejected, naming the benchmarks") {
  const IntRowMatrix comps = morphing_components({2, 2}, 2);
  MorphingOptions options;
  options.benchmark_names = {"sm", "a", "b", "c", "d", "e"};
  RowMatrix points(6, 2);
  points << 0, 0, 1, 0, 0, 1, 1, 1, -1, 0, 1, 0;  // "e" repeats "a"
  std::string message = message_of<NumericalError>([&] { Morphing(comps, points, options); });
  CHECK(contains(message, "'a' and 'e' are the same point"));

  // All six points on the line θ1 = θ0: the quadratic in two parameters is not determined.
  points << 0, 0, 1, 1, 2, 2, -1, -1, -2, -2, 3, 3;
  message = message_of<NumericalError>([&] { Morphing(comps, points, options); });
  CHECK(contains(message, "degenerate morphing basis"));
  CHECK(contains(message, "condition number"));
  CHECK(contains(message, "'sm'"));

  // Nearly degenerate: two points 1e-9 apart.
  points << 0, 0, 1, 0, 0, 1, 1, 1, -1, 0, 1, 1e-9;
  message = message_of<NumericalError>([&] { Morphing(comps, points, options); });
  CHECK(contains(message, "'a'"));
  CHECK(contains(message, "'e'"));
  CHECK_FALSE(contains(message, "'b'"));

  // Too few benchmarks; mismatched names; bad options.
  CHECK_THROWS_AS(Morphing(comps, points.topRows(5)), InvalidArgument);
  options.benchmark_names.pop_back();
  CHECK_THROWS_AS(Morphing(comps, points, options), InvalidArgument);
  MorphingOptions bad;
  bad.max_condition_number = 0.5;
  CHECK(contains(message_of<InvalidArgument>([&] { bad.validate(); }), "max_condition_number = 0.5"));
  CHECK_NOTHROW(MorphingOptions{}.validate());
}

TEST_CASE("over-complete basis: minimum-norm weights beat the best square sub-basis in E[Σ w²]") {
  for (int P : {1, 2}) {
    std::mt19937_64 rng(100 + static_cast<unsigned>(P));
    const IntRowMatrix comps = morphing_components(std::vector<int>(static_cast<std::size_t>(P), 2), 2);
    const Index C = comps.rows(), B = C + 2;
    RowMatrix points = random_points(B, P, -1.0, 1.0, rng);
    points.row(0).setZero();
    const RowMatrix ranges = box(P, -1.0, 1.0);
    BasisOptimisationOptions options;
    const double overcomplete = basis_objective(comps, ranges, points, options);

    // Every square sub-basis of C of the B points.
    std::vector<int> choose(static_cast<std::size_t>(B), 0);
    std::fill(choose.begin(), choose.begin() + C, 1);
    double best_square = std::numeric_limits<double>::infinity();
    int n_subsets = 0;
    do {
      RowMatrix sub(C, P);
      Index row = 0;
      for (Index b = 0; b < B; ++b)
        if (choose[static_cast<std::size_t>(b)]) sub.row(row++) = points.row(b);
      best_square = std::min(best_square, basis_objective(comps, ranges, sub, options));
      ++n_subsets;
    } while (std::prev_permutation(choose.begin(), choose.end()));
    MESSAGE(P, " parameters: E[Σw²] over-complete (", B, " benchmarks) = ", overcomplete, ", best of ", n_subsets,
            " square sub-bases = ", best_square);
    CHECK(overcomplete < best_square);

    // The exact objective agrees with a Monte-Carlo estimate on many θ.
    const RowMatrix thetas = sample_prior(ranges, options, 200000, 3);
    CHECK(sampled_basis_objective(comps, points, thetas) == doctest::Approx(overcomplete).epsilon(0.02));
    // And the over-complete morphing is the pseudo-inverse: M = Θ⁺.
    const Morphing morphing(comps, points);
    const RowMatrix theta_matrix = component_values(comps, points);
    const RowMatrix pinv = Eigen::MatrixXd(theta_matrix).completeOrthogonalDecomposition().pseudoInverse();
    CHECK(matrix_relative_difference(morphing.matrix(), pinv) < 1e-12);
  }
}

TEST_CASE("real MadMiner files: morphing matrices from the benchmarks equal the stored ones to 1e-10") {
  struct Case {
    const char* file;
    Index n_parameters, n_benchmarks;
    double condition;  // cond(Θ) from numpy (data/README.md §4), to 5 %
  };
  for (const Case& c : {Case{"madminer/dihiggs_nsbi_setup_rmastand.h5", 3, 10, 450.0},
                        Case{"madminer/dihiggs_nsbi_setup_umarsdq.h5", 3, 10, 370.0},
                        Case{"madminer/madminer_example_with_data_1.h5", 2, 6, 0.0}}) {
    const auto path = sbi::test::shared_file(c.file);
    if (!path) continue;
    ReadOptions read_options;
    read_options.load_events = false;
    const MadMinerFile file = read_madminer_file(*path, read_options);
    const Setup& setup = file.setup;
    REQUIRE(setup.morphing);
    CHECK(setup.parameters.size() == c.n_parameters);
    CHECK(setup.n_physical_benchmarks() == c.n_benchmarks);
    // The stored components are MadMiner's list for max power 2, overall 2.
    std::vector<int> max_powers;
    for (const auto& p : setup.parameters) max_powers.push_back(p.max_power);
    CHECK(setup.morphing->components == morphing_components(max_powers, 2));

    MorphingOptions options;
    options.benchmark_names = setup.benchmark_names();
    const Morphing computed(setup.morphing->components, setup.benchmark_values(), options);
    const double difference = matrix_relative_difference(computed.matrix(), setup.morphing->matrix);
    MESSAGE(std::string(c.file), ": max |M − M_stored| / max |M_stored| = ", difference, ", κ = ", computed.condition_number());
    CHECK(difference < 1e-10);
    if (c.condition > 0) CHECK(computed.condition_number() == doctest::Approx(c.condition).epsilon(0.05));

    // The stored morphing used as stored: weights at a benchmark are the unit vector.
    const Morphing stored = Morphing::from_setup(setup);
    for (Index b = 0; b < stored.n_benchmarks(); ++b) {
      const Vector w = stored.weights(Vector(setup.benchmarks[static_cast<std::size_t>(b)].values));
      CHECK((w - Vector::Unit(stored.n_benchmarks(), b)).cwiseAbs().maxCoeff() < 1e-9);
    }
    // Its derivatives against finite differences, at points across the ranges.
    std::mt19937_64 rng(5);
    RowMatrix thetas(8, setup.parameters.size());
    for (Index p = 0; p < setup.parameters.size(); ++p) {
      std::uniform_real_distribution<double> u(setup.parameters[p].range_low, setup.parameters[p].range_high);
      for (Index t = 0; t < 8; ++t) thetas(t, p) = u(rng);
    }
    const auto check = check_morphing_derivatives(stored, thetas);
    CHECK_MESSAGE(check.passed(), check.report());
  }
  Setup no_morphing;
  CHECK(contains(message_of<InvalidArgument>([&] { Morphing::from_setup(no_morphing); }), "no stored morphing"));
}

TEST_CASE("SMEFTsim VBF H set-up (data/README.md §2.1): 21 benchmarks reproduce the cHbox rescaling") {
  // Parameters cHbox, cHDD, cHW, cHB, cHWB; benchmarks SM, cX = 0.1, cX = 0.2, cX = cY = 0.1,
  // exactly the 21 components of a quadratic morphing in 5 parameters.
  const Index P = 5;
  std::vector<Vector> points{Vector::Zero(P)};
  for (Index p = 0; p < P; ++p)
    for (double value : {0.1, 0.2}) {
      Vector v = Vector::Zero(P);
      v(p) = value;
      points.push_back(v);
    }
  for (Index p = 0; p < P; ++p)
    for (Index q = p + 1; q < P; ++q) {
      Vector v = Vector::Zero(P);
      v(p) = v(q) = 0.1;
      points.push_back(v);
    }
  REQUIRE(points.size() == 21);
  RowMatrix benchmarks(21, P);
  for (Index b = 0; b < 21; ++b) benchmarks.row(b) = points[static_cast<std::size_t>(b)].transpose();
  const IntRowMatrix comps = morphing_components(std::vector<int>(P, 2), 2);
  const Morphing morphing(comps, benchmarks);
  MESSAGE("κ of the 21-benchmark component matrix = ", morphing.condition_number(), " (numpy: 2.1e3)");
  CHECK(morphing.condition_number() == doctest::Approx(2.1e3).epsilon(0.05));

  // Event weights of a quadratic model in which cHbox only rescales the hVV coupling:
  // dσ(θ) = w_SM (1 + a·cHbox)² + (random quadratic in the other four, no cHbox), a = v²/Λ².
  const double a = 0.0606241;
  std::mt19937_64 rng(21);
  const Index n_events = 50;
  RowMatrix event_weights(n_events, 21);
  Vector w_sm(n_events);
  std::vector<Vector> other(static_cast<std::size_t>(n_events));
  auto model = [&](Index i, const Vector& theta) {
    const Vector& coefficients = other[static_cast<std::size_t>(i)];
    const Vector phi = component_values(comps, theta.transpose()).row(0).transpose();
    double rest = 0.0;
    for (Index c = 0; c < comps.rows(); ++c)
      if (comps(c, 0) == 0 && comps.row(c).sum() > 0) rest += coefficients(c) * phi(c);
    return w_sm(i) * (1 + a * theta(0)) * (1 + a * theta(0)) + rest;
  };
  for (Index i = 0; i < n_events; ++i) {
    w_sm(i) = 1.0 + std::abs(random_vector(1, rng)(0));
    other[static_cast<std::size_t>(i)] = 0.1 * random_vector(comps.rows(), rng);
    for (Index b = 0; b < 21; ++b) event_weights(i, b) = model(i, benchmarks.row(b).transpose());
  }
  RowMatrix thetas = RowMatrix::Zero(4, P);
  thetas.col(0) << 1.0, 5.0, -3.0, 20.0;
  const RowMatrix morphed = morphing.morphed_event_weights(event_weights, thetas);
  for (Index t = 0; t < 4; ++t) {
    const double factor = (1 + a * thetas(t, 0)) * (1 + a * thetas(t, 0));
    SBI_CHECK_ARRAYS_CLOSE(morphed.col(t), (w_sm * factor), 1e-10);
  }
  // c = 0.1 and 0.2 give the README's ratios 1.0121616 and 1.0243967.
  CHECK((1 + a * 0.1) * (1 + a * 0.1) == doctest::Approx(1.0121616).epsilon(1e-7));
  CHECK((1 + a * 0.2) * (1 + a * 0.2) == doctest::Approx(1.0243967).epsilon(1e-7));
  // At arbitrary θ (all five parameters) the morphing is exact for the whole model.
  const RowMatrix generic = random_points(10, P, -2.0, 2.0, rng);
  const RowMatrix morphed_generic = morphing.morphed_event_weights(event_weights, generic);
  for (Index t = 0; t < 10; ++t)
    for (Index i = 0; i < n_events; ++i)
      CHECK(morphed_generic(i, t) == doctest::Approx(model(i, generic.row(t).transpose())).epsilon(1e-10));
}

TEST_CASE("basis objective: analytic gradient agrees with finite differences, every criterion") {
  std::mt19937_64 rng(3);
  const IntRowMatrix comps = morphing_components({2, 2}, 2);
  const RowMatrix ranges = box(2, -1.0, 1.0);
  // Component cross sections of a positive quadratic: σ(θ) = 1 + 0.3θ0 + 0.5θ0² + 0.2θ1² + 0.1θ0θ1.
  Vector s(6);
  s << 1.0, 0.0, 0.2, 0.3, 0.1, 0.5;
  for (auto criterion : {BasisCriterion::expected_squared_weights, BasisCriterion::cross_section_dilution,
                         BasisCriterion::cross_section_dilution_equal_events}) {
    for (Index extra : {Index{0}, Index{2}}) {
      BasisOptimisationOptions options;
      options.criterion = criterion;
      options.n_quadrature_points = 512;
      RowMatrix points = random_points(6 + extra, 2, -1.0, 1.0, rng);
      const Index B = points.rows();
      auto value = [&](const Vector& x) {
        const RowMatrix pts = Eigen::Map<const RowMatrix>(x.data(), B, 2);
        return Vector::Constant(1, basis_objective(comps, ranges, pts, options, s));
      };
      auto gradient = [&](const Vector& x) {
        const RowMatrix pts = Eigen::Map<const RowMatrix>(x.data(), B, 2);
        RowMatrix g;
        basis_objective(comps, ranges, pts, options, s, &g);
        return RowMatrix(Eigen::Map<const Vector>(g.data(), g.size()));
      };
      const RowMatrix x = Eigen::Map<const RowMatrix>(points.data(), 1, B * 2);
      const auto result = check_derivatives(value, gradient, {}, x);
      INFO(to_string(criterion), ", ", B, " benchmarks: ", result.report());
      CHECK(result.max_gradient_relative_error < 1e-5);
    }
  }
  // The cross-section criteria need the cross sections, and a positive σ(θ).
  BasisOptimisationOptions options;
  options.criterion = BasisCriterion::cross_section_dilution;
  RowMatrix points = random_points(6, 2, -1.0, 1.0, rng);
  CHECK(contains(message_of<InvalidArgument>([&] { basis_objective(comps, ranges, points, options); }),
                 "component cross sections"));
  Vector negative = -s;
  CHECK(contains(message_of<InvalidArgument>([&] { basis_objective(comps, ranges, points, options, negative); }),
                 "≤ 0"));
}

namespace {

/// Runs the optimiser and MadMiner's random search on a quadratic set-up with the SM fixed and
/// compares them on one large independent θ sample.
BasisOptimisationResult compare_with_madminer(int P, Prior prior, std::uint64_t seed) {
  const IntRowMatrix comps = morphing_components(std::vector<int>(static_cast<std::size_t>(P), 2), 2);
  const RowMatrix ranges = box(P, -1.0, 1.0);
  const RowMatrix sm = RowMatrix::Zero(1, P);
  BasisOptimisationOptions options;
  options.prior = prior;
  options.compare_with_madminer = true;
  options.seed = seed;
  options.n_evaluation_points = 200000;
  const BasisOptimisationResult result = optimise_basis(comps, ranges, sm, options);
  MESSAGE(P, " parameter(s), ", to_string(prior), " prior, seed ", seed, ": E[Σw²] optimised ", result.objective,
          " vs MadMiner ", *result.madminer_objective, " (exact); on 2e5 independent θ: ", *result.evaluation_objective,
          " vs ", *result.madminer_evaluation_objective, "; ", result.restarts, " restarts, ", result.iterations,
          " iterations, ", to_string(result.termination));
  return result;
}

}  // namespace

TEST_CASE("basis optimisation beats MadMiner's random search on 1-, 2- and 5-parameter quadratic set-ups") {
  for (int P : {1, 2, 5}) {
    for (std::uint64_t seed : {1u, 2u}) {
      const auto result = compare_with_madminer(P, Prior::flat, seed);
      CHECK(result.objective < *result.madminer_objective);
      CHECK(*result.evaluation_objective < *result.madminer_evaluation_objective);
      CHECK(result.objective <= result.best_random_objective);
      CHECK(result.benchmarks.rows() == morphing_components(std::vector<int>(static_cast<std::size_t>(P), 2), 2).rows());
      CHECK(result.benchmarks.row(0).isZero());  // the SM stays
      CHECK((result.benchmarks.array().abs() <= 1.0 + 1e-12).all());
      // The exact objective matches the independent Monte-Carlo estimate.
      CHECK(*result.evaluation_objective == doctest::Approx(result.objective).epsilon(0.02));
    }
  }
  // One parameter, flat prior on [−1, 1], SM fixed: the optimum puts the other two points at the
  // ends of the range (the weights are Lagrange polynomials; E[Σw²] = 8/5·… is smallest there).
  const auto one = compare_with_madminer(1, Prior::flat, 3);
  std::vector<double> free{one.benchmarks(1, 0), one.benchmarks(2, 0)};
  std::sort(free.begin(), free.end());
  CHECK(free[0] == doctest::Approx(-1.0).epsilon(1e-6));
  CHECK(free[1] == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("basis optimisation: Gaussian prior, over-complete bases, determinism, options") {
  for (int P : {1, 2}) {
    const auto result = compare_with_madminer(P, Prior::gaussian, 4);
    CHECK(result.objective < *result.madminer_objective);
    CHECK(*result.evaluation_objective < *result.madminer_evaluation_objective);
  }
  const IntRowMatrix comps = morphing_components({2, 2}, 2);
  const RowMatrix ranges = box(2, -1.0, 1.0);
  const RowMatrix sm = RowMatrix::Zero(1, 2);
  BasisOptimisationOptions options;
  options.n_evaluation_points = 0;
  const auto square = optimise_basis(comps, ranges, sm, options);
  options.n_overcomplete = 3;
  const auto overcomplete = optimise_basis(comps, ranges, sm, options);
  MESSAGE("2 parameters: optimised square basis E[Σw²] = ", square.objective, ", optimised with 3 extra benchmarks = ",
          overcomplete.objective);
  CHECK(overcomplete.benchmarks.rows() == 9);
  CHECK(overcomplete.morphing_matrix.cols() == 9);
  CHECK(overcomplete.objective < square.objective);
  // Deterministic given the seed.
  const auto again = optimise_basis(comps, ranges, sm, options);
  CHECK(again.benchmarks == overcomplete.benchmarks);
  CHECK(again.objective == overcomplete.objective);
  // No free benchmarks: the fixed basis is evaluated.
  RowMatrix all(6, 2);
  all << 0, 0, 1, 0, -1, 0, 0, 1, 0, -1, 1, 1;
  options.n_overcomplete = 0;
  const auto fixed_only = optimise_basis(comps, ranges, all, options);
  CHECK(fixed_only.termination == TerminationReason::no_free_benchmarks);
  CHECK(fixed_only.objective == doctest::Approx(basis_objective(comps, ranges, all, options)));

  CHECK_NOTHROW(BasisOptimisationOptions{}.validate());
  BasisOptimisationOptions bad;
  bad.n_restarts = 0;
  CHECK(contains(message_of<InvalidArgument>([&] { bad.validate(); }), "n_restarts = 0"));
  bad = {};
  bad.benchmark_range_scale = -1;
  CHECK(contains(message_of<InvalidArgument>([&] { bad.validate(); }), "benchmark_range_scale = -1"));
  bad = {};
  bad.n_random_candidates = 3;
  CHECK(contains(message_of<InvalidArgument>([&] { bad.validate(); }), "n_random_candidates = 3"));
  CHECK(contains(message_of<InvalidArgument>([&] { optimise_basis(comps, box(3, -1, 1), sm); }), "ranges: shape 3"));
  CHECK(contains(message_of<InvalidArgument>([&] { prior_from_string("cauchy"); }), "prior = 'cauchy'"));
  CHECK(prior_from_string(to_string(Prior::gaussian)) == Prior::gaussian);
  CHECK(basis_criterion_from_string("cross_section_dilution") == BasisCriterion::cross_section_dilution);
}

TEST_CASE("cross-section-weighted criterion: each optimum wins on its own criterion") {
  // σ(θ) grows strongly with θ0: benchmarks at large θ0 carry large cross sections, which the
  // dilution criterion penalises and MadMiner's criterion ignores.
  const IntRowMatrix comps = morphing_components({2, 2}, 2);
  const RowMatrix ranges = box(2, -1.0, 1.0);
  Vector s(6);  // components (0,0) (0,1) (0,2) (1,0) (1,1) (2,0)
  s << 1.0, 0.0, 0.1, 1.6, 0.0, 1.0;  // σ = 1 + 1.6θ0 + θ0² + 0.1θ1² > 0
  const RowMatrix sm = RowMatrix::Zero(1, 2);
  BasisOptimisationOptions plain;
  plain.n_evaluation_points = 0;
  BasisOptimisationOptions dilution = plain;
  dilution.criterion = BasisCriterion::cross_section_dilution;
  const auto by_weights = optimise_basis(comps, ranges, sm, plain, s);
  const auto by_dilution = optimise_basis(comps, ranges, sm, dilution, s);
  const double d_of_weights_basis = basis_objective(comps, ranges, by_weights.benchmarks, dilution, s);
  const double w_of_dilution_basis = basis_objective(comps, ranges, by_dilution.benchmarks, plain, s);
  MESSAGE("dilution criterion: its own optimum ", by_dilution.objective, ", the squared-weights optimum ",
          d_of_weights_basis, "; squared weights: own optimum ", by_weights.objective, ", dilution optimum ",
          w_of_dilution_basis);
  CHECK(by_dilution.objective < d_of_weights_basis);
  CHECK(by_weights.objective < w_of_dilution_basis);
  // The quadrature value agrees with a large independent sample.
  const RowMatrix thetas = sample_prior(ranges, dilution, 200000, 99);
  CHECK(sampled_basis_objective(comps, by_dilution.benchmarks, thetas, BasisCriterion::cross_section_dilution, s) ==
        doctest::Approx(by_dilution.objective).epsilon(0.02));
}
