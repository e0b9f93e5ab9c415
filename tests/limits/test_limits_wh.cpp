// The limits module on the built-in WH → ℓν bb̄ simulator at parton level, where the exact
// likelihood is known (x = z): the ml mode with the exact log r and the sally modes with the exact
// score against the exact-likelihood intervals, the rate-only blindness to the CP-odd c_HWtil, and
// the Fisher information against the curvature of the Asimov likelihood.
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "sbi/error.hpp"
#include "sbi/limits.hpp"
#include "sbi/wh_simulator.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

// A parton-level SM sample and perfect estimators: the exact log r(x|θ, SM) and t(x|SM) of every
// event, found from its observables (a hash of the row's bytes).
struct WHStudy {
  WHSimulator simulator;
  WHSample sample;
  std::unordered_map<std::string, Index> index_of;

  static WHOptions options() {
    WHOptions o;
    o.parton_level = true;
    o.threads = 2;
    o.warmup = 20000;
    return o;
  }

  WHStudy(Index n, std::uint64_t seed) : simulator(options()), sample(simulator.generate(n, seed)) {
    for (Index i = 0; i < sample.events.size(); ++i) index_of.emplace(key(sample.events.observations.row(i)), i);
    REQUIRE(static_cast<Index>(index_of.size()) == sample.events.size());
  }

  template <typename Row>
  static std::string key(const Row& row) {
    std::string k(static_cast<std::size_t>(row.size()) * sizeof(double), '\0');
    for (Index j = 0; j < row.size(); ++j) {
      const double v = row(j);
      std::memcpy(k.data() + j * sizeof(double), &v, sizeof(double));
    }
    return k;
  }

  Index lookup(const RowMatrix& x, Index e) const {
    const auto it = index_of.find(key(x.row(e)));
    REQUIRE(it != index_of.end());
    return it->second;
  }

  static RowMatrix monomials(const RowMatrix& thetas) {
    RowMatrix phi(thetas.rows(), 6);
    for (Index t = 0; t < thetas.rows(); ++t) {
      const auto m = wh_monomials(thetas.row(t).transpose());
      for (int c = 0; c < 6; ++c) phi(t, c) = m[static_cast<std::size_t>(c)];
    }
    return phi;
  }

  // log r(x_e|θ_t, SM) = log[φ(θ)·D_e / φ(0)·D_e] − log[σ(θ)/σ(0)] (T × E), σ(θ) = φ(θ)·s with the
  // cross-section components s (the simulator's integral; or another normalisation).
  RowMatrix log_r(const RowMatrix& x, const RowMatrix& thetas, const Vector& s) const {
    RowMatrix d(x.rows(), 6);
    for (Index e = 0; e < x.rows(); ++e) d.row(e) = sample.components.row(lookup(x, e));
    const RowMatrix phi = monomials(thetas);
    const Vector sigma = phi * s;
    const double sigma_sm = s(0);
    RowMatrix out = phi * d.transpose();
    for (Index t = 0; t < out.rows(); ++t)
      for (Index e = 0; e < out.cols(); ++e) out(t, e) = std::log(out(t, e) / d(e, 0)) - std::log(sigma(t) / sigma_sm);
    return out;
  }

  // t(x_e|SM) = ∇φ(0)·D_e / φ(0)·D_e − ∇σ(0)/σ(0): ∂/∂c_HWtil picks component 1, ∂/∂c_HW component 2.
  RowMatrix score(const RowMatrix& x) const {
    RowMatrix out(x.rows(), 2);
    const Vector& s = sample.sigma_components;
    for (Index e = 0; e < x.rows(); ++e) {
      const auto d = sample.components.row(lookup(x, e));
      out(e, 0) = d(1) / d(0) - s(1) / s(0);
      out(e, 1) = d(2) / d(0) - s(2) / s(0);
    }
    return out;
  }

  LimitEstimators estimators() const { return estimators(sample.sigma_components); }
  LimitEstimators estimators(const Vector& normalisation) const {
    return {[this](const RowMatrix& x) { return score(x); },
            [this, normalisation](const RowMatrix& x, const RowMatrix& thetas) { return log_r(x, thetas, normalisation); }};
  }
};

const WHStudy& study() {
  static const WHStudy s(20000, 2024);
  return s;
}

// The exact expected log-likelihood, computed here from the simulator's truth (WHSimulator::truth,
// which evaluates the matrix element afresh from the momenta): the Asimov data are the test events
// (the last 20 %) weighted to θ_true, n = L σ_test(θ_true), and
//   log L(θ) = n Σ_e w̄_e log p(x_e|θ) + log Pois(round(n) | L σ_test(θ)).
struct ExactLikelihood {
  const WHStudy& s;
  WHSample test;
  Vector weights;  // w̄_e
  double n = 0, luminosity = 0, factor = 1;

  ExactLikelihood(const WHStudy& study_, const Vector& theta_true, double lumi) : s(study_), luminosity(lumi) {
    const Index n_all = s.sample.events.size(), n_test = static_cast<Index>(std::llround(0.2 * n_all));
    test = s.sample;
    const Index begin = n_all - n_test;
    test.events.observations = s.sample.events.observations.bottomRows(n_test);
    test.events.weights = s.sample.events.weights.bottomRows(n_test);
    test.events.sampling_benchmarks = s.sample.events.sampling_benchmarks.tail(n_test);
    if (s.sample.events.process_ids.size()) test.events.process_ids = s.sample.events.process_ids.tail(n_test);
    test.components = s.sample.components.bottomRows(n_test);
    test.momenta = s.sample.momenta.bottomRows(n_test);
    (void)begin;
    factor = static_cast<double>(n_all) / static_cast<double>(n_test);
    const RowMatrix phi = WHStudy::monomials(theta_true.transpose());
    weights = test.components * phi.row(0).transpose();
    n = luminosity * factor * weights.sum();
    weights /= weights.sum();
  }

  double sigma_test(const Vector& theta) const {
    return factor * (test.components * WHStudy::monomials(theta.transpose()).row(0).transpose()).sum();
  }

  double operator()(const Vector& theta) const {
    const WHTruth truth = s.simulator.truth(test, theta, test::vector_of({0, 0}));
    return n * weights.dot(truth.log_p) + poisson_log_likelihood(std::round(n), luminosity * sigma_test(theta));
  }
};

// Golden-section maximum of a 1-D function on [lo, hi].
template <typename F>
std::pair<double, double> maximise(F f, double lo, double hi) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 120; ++it) {
    const double c = hi - r * (hi - lo), d = lo + r * (hi - lo);
    if (f(c) > f(d)) hi = d;
    else lo = c;
  }
  const double x = 0.5 * (lo + hi);
  return {x, f(x)};
}

double width(const ParameterInterval& i) {
  REQUIRE(!i.segments.empty());
  return i.segments.back().high - i.segments.front().low;
}

const ParameterInterval& interval(const LimitResult& r, const std::string& parameter, double cl) {
  for (const auto& i : r.intervals)
    if (i.parameter == parameter && std::abs(i.confidence_level - cl) < 1e-12) return i;
  FAIL("no interval for " << parameter << " at " << cl);
  return r.intervals.front();
}

// The segment containing x (rate-only fits have two minima in c_HW).
IntervalSegment segment_around(const ParameterInterval& i, double x) {
  for (const auto& s : i.segments)
    if (s.low <= x && x <= s.high) return s;
  FAIL("no segment of " << i.parameter << " contains " << x);
  return {};
}

}  // namespace

TEST_CASE("WH: the exact log r of the test equals the simulator's truth") {
  const WHStudy& s = study();
  const RowMatrix x = s.sample.events.observations.topRows(300);
  RowMatrix thetas(3, 2);
  thetas << 0.4, -0.2, -0.8, 0.3, 0.0, 0.6;
  const RowMatrix fast = s.log_r(x, thetas, s.sample.sigma_components);
  WHSample head = s.sample;
  head.events.observations = x;
  head.momenta = s.sample.momenta.topRows(300);
  head.events.sampling_benchmarks = s.sample.events.sampling_benchmarks.head(300);
  head.events.weights = s.sample.events.weights.topRows(300);
  if (s.sample.events.process_ids.size()) head.events.process_ids = s.sample.events.process_ids.head(300);
  double worst = 0;
  for (Index t = 0; t < 3; ++t) {
    const WHTruth truth = s.simulator.truth(head, thetas.row(t).transpose(), test::vector_of({0, 0}));
    worst = std::max(worst, (fast.row(t).transpose() - truth.log_r).cwiseAbs().maxCoeff());
  }
  const WHTruth at_sm = s.simulator.truth(head, test::vector_of({0, 0}), test::vector_of({0.5, 0.5}));
  const RowMatrix score = s.score(x);
  worst = std::max(worst, (score - at_sm.t).cwiseAbs().maxCoeff());
  MESSAGE("largest |Δ| between the perfect estimators and WHSimulator::truth: " << worst);
  CHECK(worst < 1e-9);
}

TEST_CASE("WH rate-only limits leave the CP-odd c_HWtil unconstrained at linear order; c_HW is constrained") {
  const WHStudy& s = study();
  const AsymptoticLimits limits(s.sample.setup, s.sample.events);
  // The rate's linear term in c_HWtil vanishes (CP-odd interference integrates to zero): its Monte
  // Carlo estimate Σ_i D_i,c_HWtil is compatible with zero within its statistical error
  // √Σ_i D_i,c_HWtil², while the c_HW term is many standard errors away. The library's σ(θ) over all
  // events has exactly these odd parts.
  const RowMatrix& d = s.sample.components;  // columns 1, c_HWtil, c_HW, …
  const double odd_cp = d.col(1).sum(), error_cp = std::sqrt(d.col(1).squaredNorm());
  const double odd_hw = d.col(2).sum(), error_hw = std::sqrt(d.col(2).squaredNorm());
  MESSAGE("linear terms of σ: c_HWtil " << odd_cp << " ± " << error_cp << " pb, c_HW " << odd_hw << " ± " << error_hw << " pb");
  CHECK(std::abs(odd_cp) < 4 * error_cp);
  CHECK(std::abs(odd_hw) > 20 * error_hw);
  RowMatrix t(4, 2);
  t << 0.5, 0, -0.5, 0, 0, 0.5, 0, -0.5;
  const Vector sigma = limits.cross_sections(t, Partition::All);
  CHECK((sigma(0) - sigma(1)) == doctest::Approx(odd_cp).epsilon(1e-9));
  CHECK((sigma(2) - sigma(3)) == doctest::Approx(odd_hw).epsilon(1e-9));
  FisherOptions fo;
  fo.kind = FisherKind::Rate;
  const FisherInformation rate = limits.fisher_information(test::vector_of({0, 0}), fo);
  MESSAGE("rate Fisher information at the SM: " << rate.information(0, 0) << ", " << rate.information(1, 1));
  CHECK(rate.information(0, 0) < 1e-3 * rate.information(1, 1));

  // Intervals shrink like L^(−1/4) for c_HWtil (q ∝ c⁴: the quadratic term only) but like L^(−1/2)
  // for c_HW; a histogram of Q_ℓ cos δ⁺ restores the linear sensitivity to c_HWtil.
  auto scan = [&](Index p, double lumi, LimitMode mode) {
    LimitOptions o;
    o.mode = mode;
    o.luminosity = lumi;
    o.round_observed_count = false;
    if (mode == LimitMode::Histo) {
      o.observables = {"ql_cos_deltaplus"};
      o.binning = {AxisBinning::adaptive(12)};
      o.template_partition = Partition::Test;
    }
    const double range = p == 0 ? 1.5 : 0.2;
    const ScanGrid g = ScanGrid::regular({p == 0 ? GridAxis::range(-range, range, 61) : GridAxis::fixed(0),
                                          p == 1 ? GridAxis::range(-range, range, 61) : GridAxis::fixed(0)});
    return limits.expected_limits(test::vector_of({0, 0}), g, o);
  };
  const double lumi = 3e5;
  const LimitResult cp1 = scan(0, lumi, LimitMode::Rate), cp16 = scan(0, 16 * lumi, LimitMode::Rate);
  const LimitResult hw1 = scan(1, lumi, LimitMode::Rate), hw16 = scan(1, 16 * lumi, LimitMode::Rate);
  const auto w_cp1 = segment_around(interval(cp1, "c_HWtil", 0.68), 0), w_cp16 = segment_around(interval(cp16, "c_HWtil", 0.68), 0);
  const auto w_hw1 = segment_around(interval(hw1, "c_HW", 0.68), 0), w_hw16 = segment_around(interval(hw16, "c_HW", 0.68), 0);
  const double ratio_cp = (w_cp16.high - w_cp16.low) / (w_cp1.high - w_cp1.low);
  const double ratio_hw = (w_hw16.high - w_hw16.low) / (w_hw1.high - w_hw1.low);
  MESSAGE("rate only, 68 % CL at L = 300/fb: c_HWtil [" << w_cp1.low << ", " << w_cp1.high << "], c_HW [" << w_hw1.low << ", "
                                                         << w_hw1.high << "]; width ratio 16 L / L: c_HWtil " << ratio_cp
                                                         << " (L^-1/4 = 0.5), c_HW " << ratio_hw << " (L^-1/2 = 0.25)");
  CHECK(ratio_cp == doctest::Approx(0.5).epsilon(0.06));
  CHECK(ratio_hw == doctest::Approx(0.25).epsilon(0.06));
  CHECK((w_cp1.high - w_cp1.low) > 3 * (w_hw1.high - w_hw1.low));
  const LimitResult h1 = scan(0, lumi, LimitMode::Histo), h16 = scan(0, 16 * lumi, LimitMode::Histo);
  const auto hs1 = segment_around(interval(h1, "c_HWtil", 0.68), 0), hs16 = segment_around(interval(h16, "c_HWtil", 0.68), 0);
  const double ratio_histo = (hs16.high - hs16.low) / (hs1.high - hs1.low);
  MESSAGE("histo Q_l cos δ+: c_HWtil 68 % CL [" << hs1.low << ", " << hs1.high << "], width ratio 16 L / L " << ratio_histo);
  CHECK((hs1.high - hs1.low) < 0.8 * (w_cp1.high - w_cp1.low));
  CHECK(ratio_histo < 0.4);
}

TEST_CASE("WH expected limits: ml with the exact log r reproduces the exact-likelihood intervals; sally with the exact score is close") {
  const WHStudy& s = study();
  const AsymptoticLimits limits(s.sample.setup, s.sample.events);
  const double lumi = 3e5;
  const ExactLikelihood exact(s, test::vector_of({0, 0}), lumi);
  for (Index p : {Index{0}, Index{1}}) {
    const std::string name = p == 0 ? "c_HWtil" : "c_HW";
    CAPTURE(name);
    const double range = p == 0 ? 0.6 : 0.3;
    const ScanGrid g = ScanGrid::regular({p == 0 ? GridAxis::range(-range, range, 25) : GridAxis::fixed(0),
                                          p == 1 ? GridAxis::range(-range, range, 25) : GridAxis::fixed(0)});
    LimitOptions o;
    o.mode = LimitMode::Ml;
    o.luminosity = lumi;
    const LimitResult ml = limits.expected_limits(test::vector_of({0, 0}), g, o, s.estimators());
    // The exact likelihood on the grid, its maximum and intervals (refined on the exact function).
    auto along = [&](double v) { return p == 0 ? test::vector_of({v, 0}) : test::vector_of({0, v}); };
    const auto [best, best_value] = maximise([&](double v) { return exact(along(v)); }, -range, range);
    const Vector axis = g.axis_values(p);
    Vector q(axis.size());
    for (Index j = 0; j < axis.size(); ++j) q(j) = -2 * (exact(along(axis(j))) - best_value);
    double worst_q = 0;
    for (Index j = 0; j < axis.size(); ++j) worst_q = std::max(worst_q, std::abs(ml.q(j) - q(j)) / std::max(1.0, q(j)));
    MESSAGE(name << ": exact best fit " << best << ", ml " << ml.best_fit(p) << "; largest relative q difference " << worst_q);
    CHECK(worst_q < 1e-7);
    CHECK(ml.best_fit(p) == doctest::Approx(best).epsilon(1e-5));
    const BatchFunction refine = [&](const Vector& v) {
      Vector out(v.size());
      for (Index k = 0; k < v.size(); ++k) out(k) = -2 * (exact(along(v(k))) - best_value);
      return out;
    };
    for (double cl : {0.68, 0.95}) {
      const auto reference = interval_segments(axis, q, chi2_quantile(cl, 1), refine);
      const auto& got = interval(ml, name, cl).segments;
      REQUIRE(reference.size() == 1);
      REQUIRE(got.size() == 1);
      MESSAGE(name << " " << cl << " CL: exact [" << reference[0].low << ", " << reference[0].high << "], ml [" << got[0].low << ", "
                   << got[0].high << "]");
      CHECK(got[0].low == doctest::Approx(reference[0].low).epsilon(1e-6));
      CHECK(got[0].high == doctest::Approx(reference[0].high).epsilon(1e-6));
      CHECK_FALSE(got[0].low_open);
      CHECK_FALSE(got[0].high_open);
    }
    // SALLY: histograms of the exact score component (MadMiner's 25 adaptive bins). The score is
    // sufficient near the SM, so the intervals are close to the exact ones and not narrower.
    LimitOptions so;
    so.mode = LimitMode::Sally;
    so.luminosity = lumi;
    so.score_components = {p};
    // Templates from the Asimov events themselves: a binned statistic of x then carries at most the
    // information of x (the data-processing inequality for the Asimov q = 2n KL), free of the
    // train/test fluctuations that 14 000 expected events resolve in 4 000 test events.
    so.template_partition = Partition::Test;
    const LimitResult sally = limits.expected_limits(test::vector_of({0, 0}), g, so, s.estimators());
    for (double cl : {0.68, 0.95}) {
      const double w_exact = width(interval(ml, name, cl)), w_sally = width(interval(sally, name, cl));
      MESSAGE(name << " " << cl << " CL widths: exact " << w_exact << ", sally " << w_sally << " (ratio " << w_sally / w_exact << ")");
      // Equal-count bins lump the informative tails of the score into the outer bins: information is
      // lost (for the heavy-tailed CP-odd score about a third with 25 bins), none can be gained.
      CHECK(w_sally / w_exact > 0.98);
      CHECK(w_sally / w_exact < 1.4);
    }
    // SALLINO and adaptive SALLY on one score component: the projection on Δθ/|Δθ| (a sign) with
    // per-point binning — MadMiner's density estimate p_b/V_b.
    for (LimitMode mode : {LimitMode::Sallino, LimitMode::AdaptiveSally}) {
      LimitOptions po = so;
      po.mode = mode;
      const LimitResult r = limits.expected_limits(test::vector_of({0, 0}), g, po, s.estimators());
      const double w_exact = width(interval(ml, name, 0.68)), w = width(interval(r, name, 0.68));
      MESSAGE(name << " " << to_string(mode) << " 68 % CL width " << w << " (exact " << w_exact << ", ratio " << w / w_exact << ")");
      CHECK(w / w_exact > 0.98);
      CHECK(w / w_exact < 1.5);
    }
  }
}

TEST_CASE("WH 2-D scans: contours from every mode, Fisher information near the SM, plots") {
  const WHStudy& s = study();
  const AsymptoticLimits limits(s.sample.setup, s.sample.events);
  const double lumi = 3e5;
  const ScanGrid g = ScanGrid::regular({GridAxis::range(-0.1, 0.16, 27), GridAxis::range(-0.04, 0.06, 26)});
  std::vector<LimitResult> results;
  for (LimitMode mode : {LimitMode::Rate, LimitMode::Histo, LimitMode::Sally, LimitMode::AdaptiveSally, LimitMode::Ml}) {
    LimitOptions o;
    o.mode = mode;
    o.luminosity = lumi;
    if (mode == LimitMode::Histo) o.observables = {"ql_cos_deltaplus", "mt_lvbb"};
    results.push_back(limits.expected_limits(test::vector_of({0, 0}), g, o, s.estimators()));
    MESSAGE(results.back().brief_report());
  }
  const LimitResult& ml = results.back();
  REQUIRE(ml.contours.size() == 2);
  // The contours of the exact likelihood: closed, around the best fit, the 68 % inside the 95 %.
  auto inside = [](const RowMatrix& polygon, double x, double y) {
    bool in = false;
    for (Index i = 0, j = polygon.rows() - 1; i < polygon.rows(); j = i++)
      if ((polygon(i, 1) > y) != (polygon(j, 1) > y) &&
          x < (polygon(j, 0) - polygon(i, 0)) * (y - polygon(i, 1)) / (polygon(j, 1) - polygon(i, 1)) + polygon(i, 0))
        in = !in;
    return in;
  };
  REQUIRE(ml.contours[0].lines.size() == 1);
  REQUIRE(ml.contours[1].lines.size() == 1);
  const auto& c68 = ml.contours[0].lines[0].points;
  const auto& c95 = ml.contours[1].lines[0].points;
  CHECK(ml.contours[0].lines[0].closed);
  CHECK(inside(c68, ml.best_fit(0), ml.best_fit(1)));
  for (Index k = 0; k < c68.rows(); ++k) CHECK(inside(c95, c68(k, 0), c68(k, 1)));
  // The refined vertices lie on q = threshold of the true likelihood.
  const LimitResult on = limits.expected_limits(
      test::vector_of({0, 0}), ScanGrid::points(RowMatrix(c68.topRows(std::min<Index>(12, c68.rows())))),
      [&] {
        LimitOptions o;
        o.mode = LimitMode::Ml;
        o.luminosity = lumi;
        o.refine_best_fit = false;
        return o;
      }(),
      s.estimators());
  for (Index k = 0; k < on.log_likelihood.size(); ++k)
    CHECK(-2 * (on.log_likelihood(k) - ml.best_fit_log_likelihood) == doctest::Approx(chi2_quantile(0.68, 2)).epsilon(1e-7));

  // Fisher information at the SM. (1) The truth information of the weighted test events equals
  // the curvature of the Asimov log-likelihood of the exact log r normalised on the same events
  // (the Asimov identity −∂² log L(θ_true) = I(θ_true)); (2) the histogram information equals the
  // curvature of the histo-mode Asimov likelihood with the same bins; (3) the information of the
  // exact score (normalised by the simulator's integral) plus the rate is the truth up to Monte
  // Carlo differences between the two normalisations.
  FisherOptions fo;
  fo.luminosity = lumi;
  const FisherInformation truth = limits.fisher_information(test::vector_of({0, 0}), fo);
  fo.kind = FisherKind::Score;
  const FisherInformation score = limits.fisher_information(test::vector_of({0, 0}), fo, s.estimators());
  const Index n_test = static_cast<Index>(std::llround(0.2 * s.sample.events.size()));
  const Vector test_sigma = s.sample.components.bottomRows(n_test).colwise().sum().transpose();
  const double h = 1e-3;
  RowMatrix stencil(9, 2);
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 3; ++j) stencil.row(3 * i + j) << (i - 1) * h, (j - 1) * h;
  auto minus_hessian = [&](const Vector& f) {
    // Stencil row 3i + j holds θ = ((i − 1) h, (j − 1) h).
    RowMatrix hessian(2, 2);
    hessian(0, 0) = -(f(7) - 2 * f(4) + f(1)) / (h * h);
    hessian(1, 1) = -(f(5) - 2 * f(4) + f(3)) / (h * h);
    hessian(0, 1) = hessian(1, 0) = -(f(8) - f(6) - f(2) + f(0)) / (4 * h * h);
    return hessian;
  };
  LimitOptions o;
  o.mode = LimitMode::Ml;
  o.luminosity = lumi;
  o.round_observed_count = false;
  o.refine_best_fit = false;
  const RowMatrix ml_hessian =
      minus_hessian(limits.expected_limits(test::vector_of({0, 0}), ScanGrid::points(stencil), o, s.estimators(test_sigma)).log_likelihood);
  LimitOptions ho = o;
  ho.mode = LimitMode::Histo;
  ho.observables = {"ql_cos_deltaplus", "mt_lvbb"};
  ho.template_partition = Partition::Test;
  const std::vector<double> e_cos = {-1, -0.6, -0.3, 0, 0.3, 0.6, 1}, e_mt = {0, 250, 300, 350, 400, 500, 700, 1000};
  ho.binning = {AxisBinning::fixed(e_cos), AxisBinning::fixed(e_mt)};
  const RowMatrix histo_hessian = minus_hessian(limits.expected_limits(test::vector_of({0, 0}), ScanGrid::points(stencil), ho).log_likelihood);
  FisherOptions fh;
  fh.kind = FisherKind::Histogram;
  fh.luminosity = lumi;
  fh.observables = ho.observables;
  fh.binning = ho.binning;
  const FisherInformation histogram = limits.fisher_information(test::vector_of({0, 0}), fh);
  MESSAGE("Fisher information at the SM: truth\n" << truth.information << "\n−Hessian of the Asimov log L (exact log r)\n" << ml_hessian
                                                  << "\nscore + rate\n" << score.information << "\nhistogram\n" << histogram.information
                                                  << "\n−Hessian of the histo Asimov log L\n" << histo_hessian);
  for (Index i = 0; i < 2; ++i)
    for (Index j = 0; j < 2; ++j) {
      const double scale = std::sqrt(truth.information(i, i) * truth.information(j, j));
      const double scale_h = std::sqrt(histogram.information(i, i) * histogram.information(j, j));
      CHECK(std::abs(ml_hessian(i, j) - truth.information(i, j)) < 1e-4 * scale);
      CHECK(std::abs(histo_hessian(i, j) - histogram.information(i, j)) < 1e-4 * scale_h);
      CHECK(std::abs(score.information(i, j) - truth.information(i, j)) < 0.01 * scale);
    }
  // The histogram of two observables holds less information than the full kinematics.
  CHECK(histogram.information(0, 0) < truth.information(0, 0));
  CHECK(histogram.information(1, 1) < truth.information(1, 1));
  const Vector half = truth.interval_half_widths(0.68);
  for (Index p = 0; p < 2; ++p) {
    const auto& i = interval(ml, p == 0 ? "c_HWtil" : "c_HW", 0.68);
    REQUIRE(i.profiled);
    const double w = 0.5 * width(i);
    MESSAGE(std::string(p == 0 ? "c_HWtil" : "c_HW") << ": profiled 68 % half-width " << w << ", Fisher " << half(p));
    CHECK(w == doctest::Approx(half(p)).epsilon(0.15));
  }

  // Plots of all modes: the profile of each parameter and the contours.
  const auto scans = plot_limit_scans(results, "c_HWtil", test::temp_path("wh_limits_c_HWtil"));
  const auto contours = plot_limit_contours(results, test::temp_path("wh_limits_contours"));
  for (const auto& file : scans) CHECK(std::filesystem::file_size(file) > 10000);
  for (const auto& file : contours) CHECK(std::filesystem::file_size(file) > 10000);
  MESSAGE(limits_table(results));
}
