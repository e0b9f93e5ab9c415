// The limits module on analytic cases: χ² p-values and quantiles in closed form, the spline and
// interval ends on parabolas, contours of a quadratic form, and the binned modes against an
// independent closed-form binned Poisson Asimov likelihood (Cowan, Cranmer, Gross, Vitells 2011)
// on a toy with known per-event polynomial weights, with and without a profiled nuisance parameter.
#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "sbi/error.hpp"
#include "sbi/limits.hpp"
#include "sbi/morphing.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

// ---- a toy with exact per-event polynomial weights ----
// One parameter θ (max power 2), benchmarks θ_b = 0, 1, −1 and two more for an over-complete
// check; events with observables (x1, x2, s1, s2) and components A_i = (A0, A1, A2) so that
// dσ_i(θ) = A0 + A1 θ + A2 θ² exactly. Background events (sampling benchmark −1) have equal
// weights at every benchmark. Optionally a nuisance parameter "bkg_norm" scaling the background by
// 1.2 (+1σ) and 0.85 (−1σ).
struct Toy {
  Setup setup;
  Events events;
  RowMatrix components;  // N × 3
  Index n_signal = 0, n_background = 0;
};

Toy make_toy(Index n_signal, Index n_background, bool with_nuisance, std::uint64_t seed) {
  Toy toy;
  toy.n_signal = n_signal;
  toy.n_background = n_background;
  std::vector<Parameter> params(1);
  params[0].name = "theta";
  params[0].max_power = 2;
  params[0].range_low = -2;
  params[0].range_high = 2;
  toy.setup.parameters = ParameterSpace(params);
  const std::vector<double> points = {0.0, 1.0, -1.0};
  for (std::size_t b = 0; b < points.size(); ++b)
    toy.setup.benchmarks.push_back({b == 0 ? "sm" : fmt::format("b{}", b), test::vector_of({points[b]}), false, b == 0});
  if (with_nuisance) {
    toy.setup.benchmarks.push_back({"bkg_up", test::vector_of({0.0}), true, false});
    toy.setup.benchmarks.push_back({"bkg_down", test::vector_of({0.0}), true, false});
    toy.setup.nuisance_parameters.push_back({"bkg_norm", "norm", "bkg_up", "bkg_down"});
  }
  const IntRowMatrix comps = morphing_components(toy.setup.parameters, 2);
  RowMatrix bench(3, 1);
  bench << 0.0, 1.0, -1.0;
  toy.setup.morphing = Morphing(comps, bench).to_stored();
  toy.setup.observables = {{"x1", "x1"}, {"x2", "x2"}, {"s1", "s1"}, {"s2", "s2"}};
  const Index n = n_signal + n_background;
  const Index nb = static_cast<Index>(toy.setup.benchmarks.size());
  toy.events.observations.resize(n, 4);
  toy.events.weights.resize(n, nb);
  toy.events.sampling_benchmarks.resize(n);
  toy.components.resize(n, 3);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  // Interleave signal and background so every partition holds both.
  for (Index i = 0; i < n; ++i) {
    const bool background = (i % (n / std::max<Index>(1, n_background))) == 0 && n_background > 0 &&
                            (i / (n / std::max<Index>(1, n_background))) < n_background;
    const double x1 = normal(rng), x2 = uniform(rng) * 2 - 1;
    double a0, a1, a2;
    if (background) {
      a0 = 0.02 * (1.0 + 0.5 * x2 * x2), a1 = 0, a2 = 0;
    } else {
      a0 = 0.01 * std::exp(-0.5 * x1 * x1) + 0.002;
      a1 = 0.006 * x1 + 0.002 * x2;  // a CP-odd-like linear term (odd in x1) plus a small even part
      a2 = 0.004 * (1.0 + x1 * x1) * (0.5 + x2 * x2);
    }
    toy.components.row(i) << a0, a1, a2;
    toy.events.observations.row(i) << x1, x2, x1 + 0.3 * normal(rng), x2 * x1;
    for (Index b = 0; b < 3; ++b) toy.events.weights(i, b) = a0 + a1 * points[static_cast<std::size_t>(b)] + a2 * points[static_cast<std::size_t>(b)] * points[static_cast<std::size_t>(b)];
    if (with_nuisance) {
      toy.events.weights(i, 3) = background ? 1.2 * a0 : a0;
      toy.events.weights(i, 4) = background ? 0.85 * a0 : a0;
    }
    toy.events.sampling_benchmarks(i) = background ? -1 : 0;
  }
  toy.n_background = (toy.events.sampling_benchmarks.array() < 0).count();
  toy.n_signal = n - toy.n_background;
  return toy;
}

// The test partition (the last round(0.2 n) events) and its per-run factors, written out here
// independently of the library: signal events count N_signal / N_signal,test, background likewise.
struct Slice {
  std::vector<Index> rows;
  Vector factor;
};

Slice test_slice(const Toy& toy, double test_split = 0.2, double validation_split = 0.2, bool train = false) {
  const Index n = toy.events.size();
  const Index n_test = static_cast<Index>(std::llround(test_split * n)), n_val = static_cast<Index>(std::llround(validation_split * n));
  const Index begin = train ? 0 : n - n_test, end = train ? n - n_test - n_val : n;
  Slice s;
  Index sig_here = 0, bkg_here = 0;
  for (Index i = begin; i < end; ++i) {
    s.rows.push_back(i);
    (toy.events.sampling_benchmarks(i) < 0 ? bkg_here : sig_here)++;
  }
  s.factor.resize(static_cast<Index>(s.rows.size()));
  for (std::size_t r = 0; r < s.rows.size(); ++r)
    s.factor(static_cast<Index>(r)) = toy.events.sampling_benchmarks(s.rows[r]) < 0
                                          ? static_cast<double>(toy.n_background) / static_cast<double>(bkg_here)
                                          : static_cast<double>(toy.n_signal) / static_cast<double>(sig_here);
  return s;
}

double toy_weight(const Toy& toy, Index i, double theta) {
  return toy.components(i, 0) + toy.components(i, 1) * theta + toy.components(i, 2) * theta * theta;
}

// Bin of a value with interior edges e[1..m−1] (outer bins open), written independently.
Index bin_of(const std::vector<double>& edges, double v) {
  Index b = 0;
  for (std::size_t k = 1; k + 1 < edges.size(); ++k)
    if (v >= edges[k]) b = static_cast<Index>(k);
  return b;
}

// Cowan et al. 2011, Eq. (5) for Asimov (or any) counts n_b and expectations ν_b(θ):
// −2 log λ(θ) = 2 Σ_b [ν_b(θ) − n_b + n_b log(n_b / ν_b(θ))], relative to the saturated model.
double cowan_q(const Vector& n, const Vector& nu) {
  double q = 0;
  for (Index b = 0; b < n.size(); ++b) q += 2 * (nu(b) - n(b) + (n(b) > 0 ? n(b) * std::log(n(b) / nu(b)) : 0.0));
  return q;
}

}  // namespace

// ------------------------------------------------------------------------------------------------

TEST_CASE("limit options: defaults valid, names round-trip, bad fields named") {
  LimitOptions o;
  CHECK_NOTHROW(o.validate());
  FisherOptions f;
  CHECK_NOTHROW(f.validate());
  PlotOptions p;
  CHECK_NOTHROW(p.validate());
  for (LimitMode m : {LimitMode::Rate, LimitMode::Histo, LimitMode::Sally, LimitMode::Sallino, LimitMode::AdaptiveSally, LimitMode::Ml})
    CHECK(parse_limit_mode(to_string(m)) == m);
  CHECK(parse_limit_mode("ADAPTIVE_SALLY") == LimitMode::AdaptiveSally);
  CHECK_THROWS_WITH_AS(parse_limit_mode("alices"), doctest::Contains("mode 'alices' is not a limit mode"), InvalidArgument);
  for (BinningReference r : {BinningReference::Auto, BinningReference::Grid, BinningReference::Center, BinningReference::PerPoint})
    CHECK(parse_binning_reference(to_string(r)) == r);
  for (FisherKind k : {FisherKind::Truth, FisherKind::Rate, FisherKind::Histogram, FisherKind::Score})
    CHECK(parse_fisher_kind(to_string(k)) == k);
  o.luminosity = -3;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("luminosity = -3"), InvalidArgument);
  o = {};
  o.include_rate = false;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("include_rate = false"), InvalidArgument);
  o = {};
  o.mode = LimitMode::Histo;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("observables = []"), InvalidArgument);
  o.observables = {"x1"};
  o.binning = {AxisBinning{{1.0, 0.5}, 0}};
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("binning[0] = [1, 0.5]: edges must be strictly increasing"), InvalidArgument);
  o = {};
  o.confidence_levels = {0.68, 1.2};
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("confidence_levels[1] = 1.2"), InvalidArgument);
  CHECK_THROWS_WITH_AS(ScanGrid::regular({GridAxis::range(1, 0, 5)}), doctest::Contains("low must be < high"), InvalidArgument);
  p.formats = {"svg"};
  CHECK_THROWS_WITH_AS(p.validate(), doctest::Contains("formats[0] = 'svg'"), InvalidArgument);
}

TEST_CASE("scan grids: MadMiner's meshgrid order, axes, centre, scanned parameters") {
  const ScanGrid g = ScanGrid::regular({GridAxis::range(-1, 1, 3), GridAxis::fixed(0.5), GridAxis::range(0, 2, 2)});
  REQUIRE(g.size() == 6);
  // indexing "ij": the last parameter varies fastest.
  CHECK(g.thetas()(0, 0) == -1);
  CHECK(g.thetas()(0, 2) == 0);
  CHECK(g.thetas()(1, 2) == 2);
  CHECK(g.thetas()(2, 0) == 0);
  CHECK(g.thetas()(5, 0) == 1);
  CHECK((g.thetas().col(1).array() == 0.5).all());
  CHECK(g.scanned_parameters() == std::vector<Index>{0, 2});
  CHECK(g.centre()(0) == 0);
  CHECK(g.centre()(2) == 1);
  RowMatrix pts(3, 2);
  pts << 0, 1, 0, 2, 0, 3;
  const ScanGrid p = ScanGrid::points(pts);
  CHECK(p.scanned_parameters() == std::vector<Index>{1});
  CHECK(p.axis_values(1).size() == 3);
}

TEST_CASE("p-values and thresholds against closed forms of the χ² distribution") {
  // k = 1: p = erfc(√(q/2)); k = 2: p = exp(−q/2); k = 3: p = erfc(√(q/2)) + √(2q/π) exp(−q/2).
  for (double q : {0.01, 0.5, 1.0, 2.7, 4.0, 9.0, 25.0, 60.0}) {
    CHECK(asymptotic_p_value(q, 1) == doctest::Approx(std::erfc(std::sqrt(q / 2))).epsilon(1e-13));
    CHECK(asymptotic_p_value(q, 2) == doctest::Approx(std::exp(-q / 2)).epsilon(1e-13));
    CHECK(asymptotic_p_value(q, 3) ==
          doctest::Approx(std::erfc(std::sqrt(q / 2)) + std::sqrt(2 * q / M_PI) * std::exp(-q / 2)).epsilon(1e-12));
  }
  CHECK(asymptotic_p_value(0.0, 1) == 1.0);
  CHECK(asymptotic_p_value(-1e-12, 2) == 1.0);
  CHECK(asymptotic_p_value(std::numeric_limits<double>::infinity(), 1) == 0.0);
  // Thresholds: k = 2 has F⁻¹(cl) = −2 log(1 − cl); k = 1 the square of the normal quantile.
  CHECK(chi2_quantile(0.95, 2) == doctest::Approx(-2 * std::log(0.05)).epsilon(1e-13));
  CHECK(chi2_quantile(0.68, 2) == doctest::Approx(-2 * std::log(0.32)).epsilon(1e-13));
  CHECK(chi2_quantile(0.95, 1) == doctest::Approx(1.959963984540054 * 1.959963984540054).epsilon(1e-13));
  CHECK(chi2_quantile(std::erf(1 / std::sqrt(2.0)), 1) == doctest::Approx(1.0).epsilon(1e-12));
  for (double cl : {0.3, 0.68, 0.95, 0.999}) CHECK(asymptotic_p_value(chi2_quantile(cl, 4), 4) == doctest::Approx(1 - cl).epsilon(1e-12));
  CHECK(poisson_log_likelihood(3, 2.5) == doctest::Approx(3 * std::log(2.5) - 2.5 - std::log(6.0)).epsilon(1e-15));
  CHECK(poisson_log_likelihood(0, 2.5) == -2.5);
  CHECK(std::isinf(poisson_log_likelihood(2, 0)));
}

TEST_CASE("not-a-knot spline reproduces cubics; interval ends of parabolas are exact") {
  const Vector x = Vector::LinSpaced(7, -1.0, 2.0);
  Vector y(7);
  auto cubic = [](double t) { return 0.3 - 1.2 * t + 0.7 * t * t - 0.25 * t * t * t; };
  for (Index j = 0; j < 7; ++j) y(j) = cubic(x(j));
  const CubicSpline s(x, y);
  for (double t : {-0.93, -0.2, 0.41, 1.37, 1.99}) {
    CHECK(s(t) == doctest::Approx(cubic(t)).epsilon(1e-13));
    CHECK(s.derivative(t) == doctest::Approx(-1.2 + 1.4 * t - 0.75 * t * t).epsilon(1e-12));
  }
  // q(θ) = ((θ − 0.3)/0.2)² on a coarse grid: the ends are 0.3 ± 0.2 √threshold exactly.
  const Vector grid = Vector::LinSpaced(9, -1.0, 1.0);
  Vector q(9);
  auto parabola = [](double t) { return (t - 0.3) * (t - 0.3) / 0.04; };
  for (Index j = 0; j < 9; ++j) q(j) = parabola(grid(j));
  for (double cl : {0.68, 0.95}) {
    const double threshold = chi2_quantile(cl, 1);
    const auto segments = interval_segments(grid, q, threshold);
    REQUIRE(segments.size() == 1);
    CHECK(segments[0].low == doctest::Approx(0.3 - 0.2 * std::sqrt(threshold)).epsilon(1e-12));
    CHECK(segments[0].high == doctest::Approx(0.3 + 0.2 * std::sqrt(threshold)).epsilon(1e-12));
    CHECK_FALSE(segments[0].low_open);
    CHECK_FALSE(segments[0].high_open);
  }
  // A quartic is not reproduced by the spline; the refinement on the true curve makes it exact,
  // evaluating all ends together.
  auto quartic = [](double t) { return 40 * std::pow(t - 0.1, 4) + 2 * (t - 0.1) * (t - 0.1); };
  for (Index j = 0; j < 9; ++j) q(j) = quartic(grid(j));
  int calls = 0;
  const BatchFunction refine = [&](const Vector& points) {
    ++calls;
    Vector out(points.size());
    for (Index k = 0; k < points.size(); ++k) out(k) = quartic(points(k));
    return out;
  };
  const double threshold = 3.84;
  const auto coarse = interval_segments(grid, q, threshold);
  const auto refined = interval_segments(grid, q, threshold, refine);
  REQUIRE(refined.size() == 1);
  CHECK(quartic(refined[0].low) == doctest::Approx(threshold).epsilon(1e-10));
  CHECK(quartic(refined[0].high) == doctest::Approx(threshold).epsilon(1e-10));
  CHECK(std::abs(coarse[0].high - refined[0].high) < 0.02);  // the spline alone is close
  CHECK(calls < 30);
  // Two minima (a rate-only fit of a quadratic σ(θ)): two segments; a curve below the threshold at
  // the scan's end is open there.
  for (Index j = 0; j < 9; ++j) q(j) = 30 * std::pow(grid(j) * grid(j) - 0.36, 2);
  const auto two = interval_segments(grid, q, 1.0);
  REQUIRE(two.size() == 2);
  CHECK(two[0].low == doctest::Approx(-std::sqrt(0.36 + std::sqrt(1 / 30.0))).epsilon(1e-3));
  CHECK(two[1].high == doctest::Approx(std::sqrt(0.36 + std::sqrt(1 / 30.0))).epsilon(1e-3));
  for (Index j = 0; j < 9; ++j) q(j) = 0.5 * (grid(j) + 1);
  const auto open = interval_segments(grid, q, 0.5);
  REQUIRE(open.size() == 1);
  CHECK(open[0].low_open);
  CHECK(open[0].low == -1.0);
  CHECK(open[0].high == doctest::Approx(0.0).epsilon(1e-12));
  // Non-finite values are outside.
  for (Index j = 0; j < 9; ++j) q(j) = parabola(grid(j));
  q(8) = std::numeric_limits<double>::infinity();
  CHECK(interval_segments(grid, q, 1.0).size() == 1);
}

TEST_CASE("contours of a quadratic form lie on the exact ellipse") {
  // q(u) = uᵀ A u with correlated A; along every grid line q is a parabola, so the spline crossings
  // are exact, and the refined ones too.
  RowMatrix a(2, 2);
  a << 36.0, 16.0, 16.0, 24.0;
  auto q_at = [&](double x, double y) {
    const Vector u = test::vector_of({x - 0.1, y + 0.05});
    return u.dot(a * u);
  };
  const Vector xs = Vector::LinSpaced(21, -1.0, 1.0), ys = Vector::LinSpaced(17, -1.0, 1.0);
  RowMatrix q(21, 17);
  for (Index i = 0; i < 21; ++i)
    for (Index j = 0; j < 17; ++j) q(i, j) = q_at(xs(i), ys(j));
  const double threshold = chi2_quantile(0.95, 2);
  for (bool refine : {false, true}) {
    BatchFunction2D f;
    if (refine)
      f = [&](const RowMatrix& p) {
        Vector out(p.rows());
        for (Index k = 0; k < p.rows(); ++k) out(k) = q_at(p(k, 0), p(k, 1));
        return out;
      };
    const auto lines = contour_lines(xs, ys, q, threshold, f);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].closed);
    CHECK(lines[0].points.rows() > 20);
    double worst = 0;
    for (Index k = 0; k < lines[0].points.rows(); ++k)
      worst = std::max(worst, std::abs(q_at(lines[0].points(k, 0), lines[0].points(k, 1)) - threshold));
    CHECK(worst < 1e-10 * threshold);
  }
  // A region cut by the grid boundary gives an open line.
  for (Index i = 0; i < 21; ++i)
    for (Index j = 0; j < 17; ++j) q(i, j) = q_at(xs(i) - 0.9, ys(j));
  const auto open = contour_lines(xs, ys, q, threshold);
  REQUIRE(open.size() == 1);
  CHECK_FALSE(open[0].closed);
}

// ------------------------------------------------------------------------------------------------

TEST_CASE("binned modes equal the closed-form binned Poisson Asimov likelihood (Cowan et al. 2011) to 1e-10") {
  const Toy toy = make_toy(6000, 1500, false, 7);
  const AsymptoticLimits limits(toy.setup, toy.events);
  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-1.5, 1.5, 31)});
  const double theta_true = 0.2, lumi = 2.0e5;
  const Slice test = test_slice(toy);

  // The per-event summary statistics used by each mode (fake "score estimator": s1, s2 columns).
  const LimitEstimators fake{[](const RowMatrix& x) { return RowMatrix(x.rightCols(2)); }, {}};
  struct Case {
    LimitMode mode;
    std::vector<std::string> observables;
    std::vector<AxisBinning> binning;
  };
  const std::vector<double> e1 = {-2.0, -1.0, -0.4, 0.0, 0.4, 1.0, 2.0}, e2 = {-1.0, -0.5, 0.0, 0.5, 1.0};
  const std::vector<Case> cases = {
      {LimitMode::Histo, {"x1"}, {AxisBinning::fixed(e1)}},
      {LimitMode::Histo, {"x1", "x2"}, {AxisBinning::fixed(e1), AxisBinning::fixed(e2)}},
      {LimitMode::Sally, {}, {AxisBinning::fixed(e1), AxisBinning::fixed(e2)}},
      {LimitMode::Sallino, {}, {AxisBinning::fixed(e1)}},
      {LimitMode::AdaptiveSally, {}, {AxisBinning::fixed(e1)}},
  };
  for (const auto& c : cases) {
    CAPTURE(to_string(c.mode));
    CAPTURE(c.observables.size());
    LimitOptions o;
    o.mode = c.mode;
    o.observables = c.observables;
    o.binning = c.binning;
    o.luminosity = lumi;
    o.round_observed_count = false;
    o.template_partition = Partition::Test;
    o.theta_ref = test::vector_of({0.0});
    if (c.mode == LimitMode::Sally) o.score_components = {};
    const LimitEstimators& est = c.mode == LimitMode::Histo ? LimitEstimators{} : fake;
    // Sally with two score components for one parameter: the fake estimator returns 2 columns.
    if (c.mode == LimitMode::Sally) o.score_components = {0, 1};
    if (c.mode == LimitMode::Sallino || c.mode == LimitMode::AdaptiveSally) o.score_components = {0};
    const LimitResult r = limits.expected_limits(test::vector_of({theta_true}), grid, o, est);

    // The summary of event i at θ, in the test's own words.
    auto summary = [&](Index i, double) {
      const auto& x = toy.events.observations.row(i);
      std::vector<double> s;
      if (c.mode == LimitMode::Histo) {
        s.push_back(x(0));
        if (c.observables.size() == 2) s.push_back(x(1));
      } else if (c.mode == LimitMode::Sally) {
        s = {x(2), x(3)};
      } else {
        s = {x(2)};  // one component: projection on Δθ/|Δθ| = ±1 flips the sign for θ < 0
      }
      return s;
    };
    const std::vector<std::vector<double>> edges = c.binning.size() == 2 ? std::vector<std::vector<double>>{e1, e2}
                                                                         : std::vector<std::vector<double>>{e1};
    auto flat_bin = [&](const std::vector<double>& s) {
      Index b = 0;
      for (std::size_t a = 0; a < s.size(); ++a) b = b * static_cast<Index>(edges[a].size() - 1) + bin_of(edges[a], s[a]);
      return b;
    };
    Index n_bins = 1;
    for (const auto& e : edges) n_bins *= static_cast<Index>(e.size() - 1);
    auto expected_counts = [&](double theta, double theta_summary) {
      Vector nu = Vector::Zero(n_bins);
      for (std::size_t r_ = 0; r_ < test.rows.size(); ++r_) {
        const Index i = test.rows[r_];
        std::vector<double> s = summary(i, theta_summary);
        if (c.mode == LimitMode::Sallino && theta_summary < -1e-6) s[0] = -s[0];
        nu(flat_bin(s)) += lumi * test.factor(static_cast<Index>(r_)) * toy_weight(toy, i, theta);
      }
      return nu;
    };
    double worst = 0;
    const double theta0 = grid.thetas()(0, 0);
    const double q0 = cowan_q(expected_counts(theta_true, theta0), expected_counts(theta0, theta0));
    for (Index t = 0; t < grid.size(); ++t) {
      const double theta = grid.thetas()(t, 0);
      // For θ-dependent summaries the Asimov counts change with θ (the projection's sign).
      const Vector n_b = expected_counts(theta_true, theta);
      const double q_closed = cowan_q(n_b, expected_counts(theta, theta));
      const double q_closed_0 = c.mode == LimitMode::Sallino ? cowan_q(n_b, expected_counts(theta0, theta)) : q0;
      // Library: −2 [log L(θ) − log L(θ0)]; closed form: q(θ) − q(θ0) (θ-independent terms cancel)
      // — for θ-dependent summaries compare within the same summary, i.e. the full Cowan q
      // against −2 [log L(θ) − log L_saturated], done through log L + ½ q_closed = const.
      const double library = -2 * (r.log_likelihood(t) - r.log_likelihood(0));
      const double closed = q_closed - q_closed_0;
      if (c.mode == LimitMode::Sallino) {
        // log L(θ) + ½ q_closed(θ) = Σ_b [n_b log n_b − n_b] − const: independent of θ only when the
        // Asimov counts do not depend on θ; here check the identity point by point instead.
        // The summary changes with θ, so the library's kinematic term is the ratio against θ_ref = 0
        // in the same bins: add Σ_b n_b log p_b(θ_ref) back.
        const Vector nu_ref = expected_counts(0.0, theta);
        double saturated = 0, reference = 0;
        for (Index b = 0; b < n_b.size(); ++b)
          if (n_b(b) > 0) {
            saturated += n_b(b) * std::log(n_b(b)) - n_b(b);
            reference += n_b(b) * std::log(nu_ref(b) / nu_ref.sum());
          }
        const double n_total = n_b.sum();
        const double library_full = r.log_likelihood(t) + std::lgamma(n_total + 1) + reference;  // the Poisson constant
        worst = std::max(worst, std::abs((library_full + 0.5 * q_closed) - saturated) / std::max(1.0, std::abs(saturated)));
      } else {
        worst = std::max(worst, std::abs(library - closed) / std::max(1.0, std::abs(closed)));
      }
    }
    MESSAGE(to_string(c.mode) << " (" << edges.size() << "-D): largest relative difference to the closed form " << worst);
    CHECK(worst < 1e-10);
    // The Asimov minimum is at θ_true, the refined best fit finds it between grid points.
    CHECK(r.best_fit(0) == doctest::Approx(theta_true).epsilon(1e-6));
    CHECK(r.best_fit_method == "refined");
  }
}

TEST_CASE("MadMiner's rounding of the observed count, and observed limits from given events") {
  const Toy toy = make_toy(4000, 800, false, 11);
  const AsymptoticLimits limits(toy.setup, toy.events);
  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-1.0, 1.0, 21)});
  LimitOptions o;  // rate mode, rounding on (MadMiner)
  o.luminosity = 3.3e4;
  const LimitResult r = limits.expected_limits(test::vector_of({0.0}), grid, o);
  const Slice test = test_slice(toy);
  auto sigma = [&](double theta) {
    double s = 0;
    for (std::size_t k = 0; k < test.rows.size(); ++k) s += test.factor(static_cast<Index>(k)) * toy_weight(toy, test.rows[k], theta);
    return s;
  };
  CHECK(r.n_events == doctest::Approx(o.luminosity * sigma(0.0)).epsilon(1e-12));
  CHECK(std::round(r.n_events) != r.n_events);
  for (Index t = 0; t < grid.size(); ++t) {
    const double theta = grid.thetas()(t, 0);
    const double k = std::round(r.n_events), mu = o.luminosity * sigma(theta);
    // Terms of size k log μ ≈ 3·10⁴ cancel to ≈ −150: compare relative to them.
    CHECK(std::abs(r.log_likelihood_rate(t) - (k * std::log(mu) - mu - std::lgamma(k + 1))) < 1e-13 * k * std::log(mu));
  }
  // Observed histo limits: counts of the given events in the bins, n = number of events.
  RowMatrix x_obs = toy.events.observations.topRows(700);
  LimitOptions h;
  h.mode = LimitMode::Histo;
  h.observables = {"x1"};
  const std::vector<double> edges = {-1.5, -0.5, 0.0, 0.5, 1.5};
  h.binning = {AxisBinning::fixed(edges)};
  h.round_observed_count = false;
  h.template_partition = Partition::Test;
  h.luminosity = 2e4;
  const LimitResult obs = limits.observed_limits(x_obs, grid, h);
  CHECK_FALSE(obs.expected);
  CHECK(obs.n_events == 700);
  Vector counts = Vector::Zero(4);
  for (Index i = 0; i < x_obs.rows(); ++i) counts(bin_of(edges, x_obs(i, 0))) += 1;
  auto nu = [&](double theta) {
    Vector v = Vector::Zero(4);
    for (std::size_t k = 0; k < test.rows.size(); ++k)
      v(bin_of(edges, toy.events.observations(test.rows[k], 0))) += h.luminosity * test.factor(static_cast<Index>(k)) * toy_weight(toy, test.rows[k], theta);
    return v;
  };
  double worst = 0;
  for (Index t = 0; t < grid.size(); ++t) {
    const double closed = cowan_q(counts, nu(grid.thetas()(t, 0))) - cowan_q(counts, nu(grid.thetas()(0, 0)));
    const double library = -2 * (obs.log_likelihood(t) - obs.log_likelihood(0));
    worst = std::max(worst, std::abs(library - closed) / std::max(1.0, std::abs(closed)));
  }
  CHECK(worst < 1e-10);
}

TEST_CASE("a profiled normalisation nuisance parameter equals an independent profile of the closed form") {
  const Toy toy = make_toy(5000, 2500, true, 3);
  const AsymptoticLimits limits(toy.setup, toy.events);
  REQUIRE(limits.nuisance_parameter_names() == std::vector<std::string>{"bkg_norm"});
  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-1.0, 1.0, 21)});
  const Slice test = test_slice(toy);
  const double lumi = 5e4, theta_true = 0.1;
  // Background factor exp(a ν + b ν²) with a = ½ log(1.2/0.85), b = ½ log(1.2 · 0.85) (MadMiner's
  // NuisanceMorpher); signal unaffected.
  const double a = 0.5 * std::log(1.2 / 0.85), b = 0.5 * std::log(1.2 * 0.85);
  const std::vector<double> edges = {-2.0, -1.0, -0.3, 0.3, 1.0, 2.0};
  auto split_counts = [&](double theta, Vector& signal, Vector& background) {
    signal = Vector::Zero(5), background = Vector::Zero(5);
    for (std::size_t k = 0; k < test.rows.size(); ++k) {
      const Index i = test.rows[k];
      const double w = lumi * test.factor(static_cast<Index>(k)) * toy_weight(toy, i, theta);
      (toy.events.sampling_benchmarks(i) < 0 ? background : signal)(bin_of(edges, toy.events.observations(i, 0))) += w;
    }
  };
  Vector s_true, b_true;
  split_counts(theta_true, s_true, b_true);
  const Vector n_obs = s_true + b_true;
  // max over ν of Σ_b [n_b log ν_b − ν_b] − ν²/2 by golden-section search (independent of the
  // library's Newton iteration), for the histogram and for the rate alone.
  auto profile = [&](const Vector& s, const Vector& bg, bool binned) {
    auto f = [&](double nu) {
      const double g = std::exp(a * nu + b * nu * nu);
      double v = -0.5 * nu * nu;
      if (binned) {
        for (Index k = 0; k < s.size(); ++k) v += n_obs(k) * std::log(s(k) + g * bg(k)) - (s(k) + g * bg(k));
      } else {
        const double mu = s.sum() + g * bg.sum(), n = n_obs.sum();
        v += n * std::log(mu) - mu;
      }
      return v;
    };
    // A dense scan over [−30, 30] finds the global maximum (the factor is not log-concave for
    // b < 0), golden-section search refines it.
    double best_nu = 0;
    for (double nu = -30; nu <= 30; nu += 0.01)
      if (f(nu) > f(best_nu)) best_nu = nu;
    double lo = best_nu - 0.01, hi = best_nu + 0.01;
    const double r = (std::sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 200; ++it) {
      const double c = hi - r * (hi - lo), d = lo + r * (hi - lo);
      (f(c) > f(d) ? hi : lo) = f(c) > f(d) ? d : c;
    }
    return std::pair{f(0.5 * (lo + hi)), 0.5 * (lo + hi)};
  };
  for (bool binned : {false, true}) {
    CAPTURE(binned);
    LimitOptions o;
    o.luminosity = lumi;
    o.round_observed_count = false;
    if (binned) {
      o.mode = LimitMode::Histo;
      o.observables = {"x1"};
      o.binning = {AxisBinning::fixed(edges)};
      o.template_partition = Partition::Test;
    }
    const LimitResult r = limits.expected_limits(test::vector_of({theta_true}), grid, o);
    REQUIRE(r.nuisance_names == std::vector<std::string>{"bkg_norm"});
    LimitOptions fixed = o;
    fixed.profile_nuisance_parameters = false;
    const LimitResult f = limits.expected_limits(test::vector_of({theta_true}), grid, fixed);
    double worst = 0, worst_nu = 0;
    Vector s0, b0;
    split_counts(grid.thetas()(0, 0), s0, b0);
    const auto ref0 = profile(s0, b0, binned);
    for (Index t = 0; t < grid.size(); ++t) {
      Vector s, bg;
      split_counts(grid.thetas()(t, 0), s, bg);
      const auto ref = profile(s, bg, binned);
      const double closed = -2 * (ref.first - ref0.first);
      const double library = -2 * (r.log_likelihood(t) - r.log_likelihood(0));
      worst = std::max(worst, std::abs(library - closed) / std::max(1.0, std::abs(closed)));
      worst_nu = std::max(worst_nu, std::abs(r.nuisance_values(t, 0) - ref.second));
      // Profiling can only lower q.
      CHECK(r.q(t) <= f.q(t) + 1e-7 * std::max(1.0, f.q(t)));
    }
    MESSAGE(std::string(binned ? "histo" : "rate") << " with a profiled nuisance parameter: largest relative q difference " << worst
                                        << ", largest |Δν̂| " << worst_nu);
    CHECK(worst < 1e-8);
    CHECK(worst_nu < 1e-5);
    // At θ_true the Asimov data need no pull.
    CHECK(std::abs(r.best_fit(0) - theta_true) < 1e-5);
    // The profiled interval is wider than the one with ν fixed at 0.
    REQUIRE(!r.intervals.empty());
    REQUIRE(!f.intervals.empty());
    const auto& wide = r.intervals[0].segments, & narrow = f.intervals[0].segments;
    REQUIRE(!wide.empty());
    REQUIRE(!narrow.empty());
    CHECK(wide.front().low <= narrow.front().low);
    CHECK(wide.back().high >= narrow.back().high);
  }
}

TEST_CASE("bad configurations fail naming the field") {
  const Toy toy = make_toy(500, 100, false, 5);
  const AsymptoticLimits limits(toy.setup, toy.events);
  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-1.0, 1.0, 5)});
  LimitOptions o;
  o.mode = LimitMode::Histo;
  o.observables = {"x1", "mt_lvb"};
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, o), doctest::Contains("observables[1] = 'mt_lvb': no such observable"),
                       NotFound);
  o.observables = {"x1"};
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0, 1.0}), grid, o), doctest::Contains("theta_true = (0, 1): needs 1 finite values"),
                       InvalidArgument);
  const ScanGrid two = ScanGrid::regular({GridAxis::range(-1.0, 1.0, 5), GridAxis::fixed(0)});
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), two, o), doctest::Contains("grid: 2 parameters per point; the set-up has 1"),
                       InvalidArgument);
  LimitOptions s;
  s.mode = LimitMode::Sally;
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, s), doctest::Contains("mode sally needs a score estimator"), InvalidArgument);
  LimitOptions m;
  m.mode = LimitMode::Ml;
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, m), doctest::Contains("mode ml needs a log-ratio estimator"),
                       InvalidArgument);
  // Estimators that return the wrong shape are named.
  const LimitEstimators wrong{[](const RowMatrix& x) { return RowMatrix::Zero(x.rows(), 0).eval(); },
                              [](const RowMatrix& x, const RowMatrix& t) { return RowMatrix::Zero(t.rows(), x.rows() + 1).eval(); }};
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, s, wrong), doctest::Contains("the score estimator returned"), InvalidArgument);
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, m, wrong), doctest::Contains("the log-ratio estimator returned"),
                       InvalidArgument);
  LimitOptions sal;
  sal.mode = LimitMode::Sallino;
  sal.binning_reference = BinningReference::Grid;
  const LimitEstimators score{[](const RowMatrix& x) { return RowMatrix(x.col(2)); }, {}};
  CHECK_THROWS_WITH_AS(limits.expected_limits(test::vector_of({0.0}), grid, sal, score), doctest::Contains("binning_reference = grid"), InvalidArgument);
  // No morphing.
  Setup bare = toy.setup;
  bare.morphing.reset();
  CHECK_THROWS_WITH_AS(AsymptoticLimits(bare, toy.events), doctest::Contains("limits need a morphing set-up"), InvalidArgument);
}

TEST_CASE("ml mode: events with a non-finite log r̂ are left out and reported; results as JSON and plots") {
  const Toy toy = make_toy(3000, 600, false, 9);
  const AsymptoticLimits limits(toy.setup, toy.events);
  // The exact log r(x|θ, 0) needs z; a "ratio estimator" of x1 alone is enough here: a Gaussian
  // shift model, NaN for the first Asimov event.
  Index calls = 0;
  const LogRatioFunction log_r = [&](const RowMatrix& x, const RowMatrix& thetas) {
    ++calls;
    RowMatrix out(thetas.rows(), x.rows());
    for (Index t = 0; t < thetas.rows(); ++t)
      for (Index e = 0; e < x.rows(); ++e) {
        const double th = thetas(t, 0);
        out(t, e) = th * x(e, 0) - 0.5 * th * th;
      }
    out(thetas.rows() - 1, 0) = std::numeric_limits<double>::quiet_NaN();
    return out;
  };
  LimitOptions o;
  o.mode = LimitMode::Ml;
  o.luminosity = 1e3;
  o.theta_batch_size = 8;
  const ScanGrid grid = ScanGrid::regular({GridAxis::range(-0.5, 0.5, 21)});
  const LimitResult r = limits.expected_limits(test::vector_of({0.0}), grid, o, {{}, log_r});
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.find("1 events with a non-finite log r̂") != std::string::npos;
  CHECK(noted);
  CHECK(r.intervals.size() == 2);
  // The refinement evaluates in batches: a handful of calls, not one per point.
  MESSAGE("log-ratio callback calls: " << calls << " for " << r.n_evaluations << " θ points");
  CHECK(calls < 80);

  const auto json = nlohmann::json::parse(r.to_json());
  CHECK(json["mode"] == "ml");
  CHECK(json["kind"] == "expected");
  CHECK(json["parameters"][0] == "theta");
  CHECK(json["grid"]["thetas"].size() == 21);
  CHECK(json["q"].size() == 21);
  CHECK(json["intervals"][0]["confidence_level"] == 0.68);
  CHECK(json["intervals"][0]["segments"][0]["low"].get<double>() == doctest::Approx(r.intervals[0].segments[0].low));
  CHECK(json["best_fit"]["theta"][0].get<double>() == doctest::Approx(r.best_fit(0)));
  for (const char* key : {"label", "include_rate", "theta_true", "luminosity_pb", "n_events", "dof", "confidence_levels", "grid",
                          "log_likelihood", "p_values", "best_fit", "nuisance", "profiles", "contours", "histogram", "notes",
                          "n_evaluations", "seconds"})
    CHECK_MESSAGE(json.contains(key), key);
  const auto path = test::temp_path("limits_results.json");
  write_limit_results_json(path, {r, r});
  std::ifstream in(path);
  const auto file = nlohmann::json::parse(in);
  CHECK(file["results"].size() == 2);
  CHECK(file.contains("sbi_version"));
  CHECK(r.brief_report().find("theta: 68 % CL [") != std::string::npos);
  CHECK(r.full_report().find("log L_kin") != std::string::npos);
  CHECK(limits_table({r}).find("95 % CL") != std::string::npos);

  // Plots: headless PNG and PDF.
  const auto stem = test::temp_path("limits_scan");
  const auto files = plot_limit_scans({r}, "theta", stem);
  REQUIRE(files.size() == 2);
  for (const auto& f : files) {
    std::ifstream p(f, std::ios::binary);
    std::string magic(4, '\0');
    p.read(magic.data(), 4);
    CHECK((magic == "\x89PNG" || magic == "%PDF"));
    CHECK(std::filesystem::file_size(f) > 5000);
  }
  CHECK_THROWS_WITH_AS(plot_limit_scans({r}, "c_HW", stem), doctest::Contains("no result scanned the parameter 'c_HW'"), InvalidArgument);
  CHECK_THROWS_AS(plot_limit_contours({r}, stem), InvalidArgument);
}
