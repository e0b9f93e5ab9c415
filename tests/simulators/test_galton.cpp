// The generalised Galton board (include/sbi/galton.hpp) against the "Mining gold" authors' data
// (../shared/data/toy/galton, README §5) and against its own exact likelihood.
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "sbi/error.hpp"
#include "sbi/galton.hpp"
#include "sbi/npy.hpp"
#include "stat_tests.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {
// θ grid of the authors' data: linspace(-1, 0, 21); θ1 = thetas[8] = -0.6.
double data_theta(int i) { return -1.0 + 0.05 * i; }
constexpr double kDataTheta1 = -0.6;

// NumPy's RandomState(seed).rand(): MT19937 seeded by init_genrand(seed), 53-bit doubles from two
// 32-bit outputs, (a >> 5) * 2^26 + (b >> 6), divided by 2^53.
struct NumpyRandomState {
  explicit NumpyRandomState(std::uint32_t seed) : mt(seed) {}
  double rand() {
    const std::uint32_t a = static_cast<std::uint32_t>(mt()) >> 5, b = static_cast<std::uint32_t>(mt()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
  std::mt19937 mt;
};
}  // namespace

TEST_CASE("Galton options: defaults are valid, bad fields are named") {
  CHECK_NOTHROW(GaltonOptions{}.validate());
  GaltonOptions o;
  o.start = 31;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("GaltonOptions.start = 31"), InvalidArgument);
  o = {};
  o.levels = 1;
  CHECK_THROWS_AS(GaltonBoard{o}, InvalidArgument);
  o = {};
  o.steepness = NAN;
  CHECK_THROWS_AS(o.validate(), InvalidArgument);
  const GaltonBoard board;
  CHECK_THROWS_AS((void)board.simulate(0.1, -1, 1), InvalidArgument);
  CHECK_THROWS_AS((void)board.p_left(20, 3, 0.0), InvalidArgument);
  CHECK(board.p_left(1, 0, -0.5) == 0.0);   // wall: always right
  CHECK(board.p_left(1, 31, -0.5) == 1.0);  // wall: always left
}

TEST_CASE("Galton nails equal the authors' nail_positions.npy") {
  const auto path = test::shared_file("toy/galton/nail_positions.npy");
  if (!path) return;
  const NpyArray nails = read_npy(*path);
  REQUIRE(nails.shape == std::vector<std::int64_t>{21, 20, 31});
  const GaltonBoard board;
  double worst = 0.0;
  for (int i = 0; i < 21; ++i)
    for (int level = 0; level < 20; ++level)
      for (int pos = (level % 2 == 1 ? 1 : 0); pos < 31; ++pos)
        worst = std::max(worst, std::abs(board.p_left(level, pos, data_theta(i)) -
                                         nails.values[static_cast<std::size_t>((i * 20 + level) * 31 + pos)]));
  MESSAGE("largest |P_left − authors'| over interior nails: " << worst);
  CHECK(worst < 1e-14);
}

TEST_CASE("Galton runs driven by NumPy's stream reproduce the authors' 21 × 10 000 samples exactly") {
  const auto x_path = test::shared_file("toy/galton/x.npy");
  if (!x_path) return;
  const NpyArray x = read_npy(*x_path);
  const NpyArray t = read_npy(*test::shared_file("toy/galton/t_xz.npy"));
  const NpyArray r = read_npy(*test::shared_file("toy/galton/logr_xz.npy"));
  REQUIRE(x.shape == std::vector<std::int64_t>{21, 10000});
  const GaltonBoard board;
  std::vector<double> u(20);
  int x_mismatch = 0;
  double worst_t = 0.0, worst_r = 0.0;
  for (int i = 0; i < 21; ++i) {
    NumpyRandomState rng(static_cast<std::uint32_t>(1234 + i));
    for (int k = 0; k < 10000; ++k) {
      for (double& v : u) v = rng.rand();
      const GaltonRun run = board.run(data_theta(i), kDataTheta1, u);
      const auto idx = static_cast<std::size_t>(i * 10000 + k);
      if (run.x != static_cast<int>(x.values[idx])) ++x_mismatch;
      worst_t = std::max(worst_t, std::abs(run.t_xz - t.values[idx]));
      worst_r = std::max(worst_r, std::abs(run.log_r_xz - r.values[idx]));
    }
  }
  MESSAGE("x mismatches " << x_mismatch << ", largest |Δt_xz| " << worst_t << ", largest |Δlog r_xz| " << worst_r);
  CHECK(x_mismatch == 0);
  CHECK(worst_t < 1e-12);
  CHECK(worst_r < 1e-12);
}

TEST_CASE("Exact p(x|θ) equals the values listed in the data README at θ = −0.8") {
  const double listed[] = {0.001098, 0.006537, 0.018737, 0.035224, 0.050121, 0.059202, 0.062187,
                           0.061345, 0.059371, 0.058284, 0.059267, 0.062792, 0.068618, 0.075520,
                           0.080850, 0.080534, 0.070636, 0.050906, 0.027496, 0.009656, 0.001621};
  const GaltonExact e = GaltonBoard{}.exact(-0.8);
  for (int x = 5; x <= 25; ++x) CHECK(std::abs(e.p(x) - listed[x - 5]) <= 5.01e-7);  // 6 listed decimals
  for (int x = 0; x < 32; ++x)
    if (x < 5 || x > 25) CHECK(e.p(x) == 0.0);
  CHECK(e.p.sum() == doctest::Approx(1.0).epsilon(1e-14));
}

TEST_CASE("Exact score: finite differences of log p(x|θ), zero mean, log ratio consistency") {
  const GaltonBoard board;
  for (double theta : {-0.9, -0.45, 0.0, 0.3}) {
    const GaltonExact e = board.exact(theta);
    const double h = 1e-5;
    const GaltonExact up = board.exact(theta + h), down = board.exact(theta - h);
    double mean_t = 0.0;
    for (int x = 0; x < 32; ++x) {
      if (e.p(x) < 1e-12) continue;
      const double fd = (std::log(up.p(x)) - std::log(down.p(x))) / (2 * h);
      CHECK(test::close(e.t(x), fd, 1e-6, 1e-7));
      mean_t += e.p(x) * e.t(x);
    }
    CHECK(std::abs(mean_t) < 1e-12);  // E[t(x|θ)|θ] = 0
  }
  const Vector lr = board.exact_log_ratio(-0.8, -0.6);
  const GaltonExact a = board.exact(-0.8), b = board.exact(-0.6);
  for (int x = 5; x <= 25; ++x) CHECK(lr(x) == doctest::Approx(std::log(a.p(x) / b.p(x))).epsilon(1e-13));
  CHECK(std::isnan(lr(0)));
}

TEST_CASE("Authors' samples follow the exact p(x|θ): χ² per θ") {
  // Bins with expected count < 5 are merged into their inner neighbour; dof = bins − 1. Threshold:
  // p > 1e-4 for each of the 21 θ (family-wise false-alarm rate 0.2 %, as the KS test below), and
  // p > 1e-3 for the χ² summed over all θ. (The smallest single p, 5e-4 at θ = −0.7, is what the
  // minimum of 21 uniform p-values gives in ~1 % of data sets; the authors' samples are reproduced
  // bit for bit above, so it is their fluctuation, not a model difference.)
  const auto x_path = test::shared_file("toy/galton/x.npy");
  if (!x_path) return;
  const NpyArray x = read_npy(*x_path);
  const GaltonBoard board;
  double chi2_total = 0.0, dof_total = 0.0, p_min = 1.0;
  for (int i = 0; i < 21; ++i) {
    const GaltonExact e = board.exact(data_theta(i));
    Vector observed = Vector::Zero(32);
    for (int k = 0; k < 10000; ++k) observed(static_cast<Index>(x.values[static_cast<std::size_t>(i * 10000 + k)])) += 1;
    // Merge tails: accumulate from both ends until the expected count reaches 5.
    std::vector<double> obs, expc;
    double o_acc = 0, e_acc = 0;
    for (int b = 0; b < 32; ++b) {
      o_acc += observed(b);
      e_acc += 1e4 * e.p(b);
      if (e_acc >= 5.0) {
        obs.push_back(o_acc);
        expc.push_back(e_acc);
        o_acc = e_acc = 0;
      }
    }
    obs.back() += o_acc;
    expc.back() += e_acc;
    double chi2 = 0.0;
    for (std::size_t b = 0; b < obs.size(); ++b) chi2 += (obs[b] - expc[b]) * (obs[b] - expc[b]) / expc[b];
    const double dof = static_cast<double>(obs.size()) - 1;
    const double p = test::chi2_sf(chi2, dof);
    MESSAGE("θ = " << data_theta(i) << ": χ² = " << chi2 << " / " << dof << " dof, p = " << p);
    CHECK(p > 1e-4);
    chi2_total += chi2;
    dof_total += dof;
    p_min = std::min(p_min, p);
  }
  const double p_total = test::chi2_sf(chi2_total, dof_total);
  MESSAGE("all θ: χ² = " << chi2_total << " / " << dof_total << " dof, p = " << p_total << "; smallest p " << p_min);
  CHECK(p_total > 1e-3);
  CHECK(test::chi2_sf(30.0, 20.0) == doctest::Approx(0.06985).epsilon(1e-3));  // the χ² tail itself
}

TEST_CASE("Joint score and joint log ratio: same distributions as the authors' (two-sample KS)") {
  // 10 000 own runs per θ (seed 1000 + i) against the authors' 10 000; asymptotic KS p-value
  // (conservative with the ties of these discrete distributions). Threshold p > 1e-4 for each of the
  // 2 × 21 tests (family-wise false-alarm rate < 0.5 %).
  const auto t_path = test::shared_file("toy/galton/t_xz.npy");
  if (!t_path) return;
  const NpyArray t = read_npy(*t_path);
  const NpyArray r = read_npy(*test::shared_file("toy/galton/logr_xz.npy"));
  const GaltonBoard board;
  double p_min_t = 1.0, p_min_r = 1.0;
  for (int i = 0; i < 21; ++i) {
    const GaltonSample s = board.simulate(data_theta(i), 10000, 1000 + static_cast<std::uint64_t>(i), kDataTheta1);
    std::vector<double> mine_t(s.t_xz.data(), s.t_xz.data() + s.size()), mine_r(s.log_r_xz.data(), s.log_r_xz.data() + s.size());
    std::vector<double> theirs_t(t.values.begin() + i * 10000, t.values.begin() + (i + 1) * 10000);
    std::vector<double> theirs_r(r.values.begin() + i * 10000, r.values.begin() + (i + 1) * 10000);
    const test::KsResult kt = test::ks_two_sample(mine_t, theirs_t);
    const test::KsResult kr = test::ks_two_sample(mine_r, theirs_r);
    CHECK_MESSAGE(kt.p_value > 1e-4, "t_xz at θ = " << data_theta(i) << ": D = " << kt.d << ", p = " << kt.p_value);
    CHECK_MESSAGE(kr.p_value > 1e-4, "log r_xz at θ = " << data_theta(i) << ": D = " << kr.d << ", p = " << kr.p_value);
    p_min_t = std::min(p_min_t, kt.p_value);
    p_min_r = std::min(p_min_r, kr.p_value);
  }
  MESSAGE("smallest KS p-value: t_xz " << p_min_t << ", log r_xz " << p_min_r);
  CHECK(test::kolmogorov_sf(1.36) == doctest::Approx(0.0495).epsilon(0.01));  // the 5 % point
}

TEST_CASE("E[t(x,z)|x] equals the exact t(x|θ); E[r(x,z|θ0,θ1)|x] under θ1 equals r(x|θ0,θ1)") {
  // 200 000 runs per θ; every x with ≥ 200 runs checked: |mean − exact| ≤ 4.5 standard errors
  // (≈ 40 checks, two-sided 4.5σ: family-wise false-alarm rate < 3e-4).
  const GaltonBoard board;
  const Index n = 200000;
  for (double theta : {-0.8, -0.3}) {
    const double theta_other = -0.6;
    const GaltonSample s = board.simulate(theta, n, 77, theta_other);
    const GaltonExact e = board.exact(theta);
    const Vector exact_lr = board.exact_log_ratio(theta_other, theta);  // log r(x|θ_other, θ)
    Vector sum_t = Vector::Zero(32), sum_t2 = Vector::Zero(32), count = Vector::Zero(32);
    Vector sum_r = Vector::Zero(32), sum_r2 = Vector::Zero(32);
    for (Index i = 0; i < n; ++i) {
      const Index x = s.x(i);
      const double r = std::exp(-s.log_r_xz(i));  // r(x,z|θ_other, θ) for runs drawn at θ
      sum_t(x) += s.t_xz(i);
      sum_t2(x) += s.t_xz(i) * s.t_xz(i);
      sum_r(x) += r;
      sum_r2(x) += r * r;
      count(x) += 1;
    }
    double worst_pull_t = 0.0, worst_pull_r = 0.0;
    for (int x = 0; x < 32; ++x) {
      if (count(x) < 200) continue;
      const double m = sum_t(x) / count(x), var = sum_t2(x) / count(x) - m * m;
      const double se = std::sqrt(std::max(var, 1e-30) / count(x));
      // 1e-9 absolute slack: x = 5 and 25 have a single path, so t(x,z) is constant there.
      const double pull_t = (m - e.t(x)) / (se + 1e-9);
      CHECK_MESSAGE(std::abs(pull_t) < 4.5, "θ = " << theta << ", x = " << x << ": E[t(x,z)|x] = " << m
                                                   << ", t(x|θ) = " << e.t(x) << ", se " << se);
      const double mr = sum_r(x) / count(x), var_r = sum_r2(x) / count(x) - mr * mr;
      const double se_r = std::sqrt(std::max(var_r, 1e-30) / count(x));
      const double pull_r = (mr - std::exp(exact_lr(x))) / (se_r + 1e-9);
      CHECK_MESSAGE(std::abs(pull_r) < 4.5, "θ = " << theta << ", x = " << x << ": E[r(x,z)|x] = " << mr
                                                   << ", r(x) = " << std::exp(exact_lr(x)) << ", se " << se_r);
      worst_pull_t = std::max(worst_pull_t, std::abs(pull_t));
      worst_pull_r = std::max(worst_pull_r, std::abs(pull_r));
    }
    MESSAGE("θ = " << theta << ": largest pull, E[t(x,z)|x] vs t(x|θ): " << worst_pull_t
                   << "; E[r(x,z)|x] vs r(x): " << worst_pull_r);
  }
}

TEST_CASE("Galton samples: deterministic, paths consistent with the joint quantities") {
  const GaltonBoard board;
  const GaltonSample a = board.simulate(-0.4, 500, 5, -0.7), b = board.simulate(-0.4, 500, 5, -0.7);
  CHECK(a.x == b.x);
  CHECK(a.t_xz == b.t_xz);
  CHECK(a.z == b.z);
  CHECK(board.simulate(-0.4, 500, 6, -0.7).x != a.x);
  for (Index i = 0; i < 50; ++i) {
    std::vector<int> path(a.z.row(i).data(), a.z.row(i).data() + a.z.cols());
    const int x = static_cast<int>(a.x(i));
    const double lp0 = board.joint_log_likelihood(path, x, -0.4), lp1 = board.joint_log_likelihood(path, x, -0.7);
    CHECK(a.log_r_xz(i) == doctest::Approx(lp0 - lp1).epsilon(1e-12));
    CHECK(a.t_xz(i) == doctest::Approx(board.joint_score(path, x, -0.4)).epsilon(1e-12));
    const double h = 1e-6;
    const double fd = (board.joint_log_likelihood(path, x, -0.4 + h) - board.joint_log_likelihood(path, x, -0.4 - h)) / (2 * h);
    CHECK(test::close(a.t_xz(i), fd, 1e-6, 1e-6));
  }
  std::vector<int> bad(20, 15);
  CHECK_THROWS_AS((void)board.joint_log_likelihood(bad, 3, 0.0), InvalidArgument);
}

#include "sbi/samples.hpp"

namespace {
// χ² of observed counts (or weighted sums with their variances) against expectations, merging
// outcome bins from the low end until the expectation reaches 5; returns {χ², dof}.
std::pair<double, double> merged_chi2(const Vector& observed, const Vector& variance, const Vector& expected) {
  std::vector<double> o, v, e;
  double o_acc = 0, v_acc = 0, e_acc = 0;
  for (Index b = 0; b < observed.size(); ++b) {
    o_acc += observed(b), v_acc += variance(b), e_acc += expected(b);
    if (e_acc >= 5.0) {
      o.push_back(o_acc), v.push_back(v_acc), e.push_back(e_acc);
      o_acc = v_acc = e_acc = 0;
    }
  }
  o.back() += o_acc, v.back() += v_acc, e.back() += e_acc;
  double chi2 = 0;
  for (std::size_t b = 0; b < o.size(); ++b) chi2 += (o[b] - e[b]) * (o[b] - e[b]) / v[b];
  return {chi2, static_cast<double>(o.size()) - 1};
}
}  // namespace

TEST_CASE("Galton training samples in the sampler's format: local at θ, ratio with θ0 from a flat prior") {
  const GaltonBoard board;
  SUBCASE("local") {
    const Index n = 100000;
    const AugmentedSamples s = galton_local_samples(board, -0.8, n, 3);
    CHECK_NOTHROW(s.validate());
    CHECK(s.kind == SampleKind::Local);
    CHECK(s.parameter_names == std::vector<std::string>{"theta"});
    CHECK((s.theta0.array() == -0.8).all());
    CHECK(s.settings == "galton_local_samples; theta=-0.8; n=100000; seed=3; levels=20; nails=31; start=15; steepness=10");
    // The same runs as GaltonBoard::simulate with this seed.
    const GaltonSample runs = board.simulate(-0.8, 10, 3, -0.8);
    for (Index i = 0; i < 10; ++i) {
      CHECK(s.x(i, 0) == runs.x(i));
      CHECK(s.t_xz0(i, 0) == runs.t_xz(i));
    }
    const GaltonExact e = board.exact(-0.8);
    Vector counts = Vector::Zero(32);
    for (Index i = 0; i < n; ++i) counts(static_cast<Index>(s.x(i, 0))) += 1;
    const auto [chi2, dof] = merged_chi2(counts, Vector(n * e.p), Vector(n * e.p));
    const double p = test::chi2_sf(chi2, dof);
    const double mean_t = s.t_xz0.mean();
    const double se_t = std::sqrt((s.t_xz0.array() - mean_t).square().mean() / static_cast<double>(n));
    MESSAGE("local samples at θ = −0.8: χ² = " << chi2 << " / " << dof << " dof (p = " << p << ") against the exact p(x|θ); "
                                                << "E[t(x,z|θ)] = " << mean_t << " ± " << se_t);
    CHECK(p > 1e-4);
    CHECK(std::abs(mean_t) < 4 * se_t);
    // Written and read back as a samples file.
    const auto path = test::temp_path("galton_local.h5");
    write_samples(path, s);
    CHECK(read_samples(path) == s);
  }
  SUBCASE("ratio") {
    const Index n = 200000;
    const double low = -1.0, high = -0.4, theta1 = -0.6;
    const AugmentedSamples s = galton_ratio_samples(board, low, high, theta1, n, 4);
    CHECK_NOTHROW(s.validate());
    CHECK(s.kind == SampleKind::Ratio);
    CHECK(s.y.sum() == n / 2);
    CHECK((s.theta1.array() == theta1).all());
    CHECK(s.settings == "galton_ratio_samples; theta0=flat:-1,-0.4; theta1=-0.6; n=200000; seed=4; levels=20; nails=31; start=15; steepness=10");
    CHECK(s.theta0.minCoeff() >= low);
    CHECK(s.theta0.maxCoeff() < high);
    // θ0 is uniform on [low, high) in both halves: mean (low + high)/2, sd (high − low)/√12.
    for (double label : {0.0, 1.0}) {
      double sum = 0, count = 0;
      for (Index i = 0; i < n; ++i)
        if (s.y(i) == label) sum += s.theta0(i, 0), count += 1;
      CHECK(std::abs(sum / count - 0.5 * (low + high)) < 4 * (high - low) / std::sqrt(12.0 * count));
    }
    // x of the y = 0 half follows the prior mixture ∫ p(x|θ0) dθ0 / (high − low); reweighted by
    // r(x,z|θ0,θ1), the y = 1 half (drawn at θ1) follows it too — the identity ALICE and CARL rest on
    // — and unweighted it follows p(x|θ1). E[t(x,z|θ0)] = 0 under θ0, E[r(x,z|θ0,θ1)] = 1 under θ1.
    Vector mixture = Vector::Zero(32);
    const int nodes = 600;
    for (int k = 0; k < nodes; ++k) mixture += board.exact(low + (high - low) * (k + 0.5) / nodes).p / nodes;
    const Vector p1 = board.exact(theta1).p;
    Vector count0 = Vector::Zero(32), count1 = Vector::Zero(32), reweighted = Vector::Zero(32), reweighted2 = Vector::Zero(32);
    double t_sum = 0, t_sum2 = 0, r_sum = 0, r_sum2 = 0;
    for (Index i = 0; i < n; ++i) {
      const auto x = static_cast<Index>(s.x(i, 0));
      if (s.y(i) == 0) {
        count0(x) += 1;
        t_sum += s.t_xz0(i, 0), t_sum2 += s.t_xz0(i, 0) * s.t_xz0(i, 0);
      } else {
        count1(x) += 1;
        reweighted(x) += s.r_xz(i), reweighted2(x) += s.r_xz(i) * s.r_xz(i);
        r_sum += s.r_xz(i), r_sum2 += s.r_xz(i) * s.r_xz(i);
      }
    }
    const double half = static_cast<double>(n / 2);
    const Vector expected0 = half * mixture, expected1 = half * p1;
    const auto [chi2_0, dof_0] = merged_chi2(count0, expected0, expected0);
    const auto [chi2_1, dof_1] = merged_chi2(count1, expected1, expected1);
    const auto [chi2_w, dof_w] = merged_chi2(reweighted, reweighted2, expected0);
    const double t_mean = t_sum / half, t_se = std::sqrt((t_sum2 / half - t_mean * t_mean) / half);
    const double r_mean = r_sum / half, r_se = std::sqrt((r_sum2 / half - r_mean * r_mean) / half);
    MESSAGE("ratio samples, θ0 ~ U[−1, −0.4), θ1 = −0.6: y = 0 vs the prior mixture χ² = " << chi2_0 << " / " << dof_0
            << "; y = 1 vs p(x|θ1) χ² = " << chi2_1 << " / " << dof_1 << "; y = 1 reweighted by r(x,z) vs the mixture χ² = "
            << chi2_w << " / " << dof_w << "; E[t(x,z|θ0)]_θ0 = " << t_mean << " ± " << t_se << "; E[r(x,z)]_θ1 = " << r_mean
            << " ± " << r_se);
    CHECK(test::chi2_sf(chi2_0, dof_0) > 1e-4);
    CHECK(test::chi2_sf(chi2_1, dof_1) > 1e-4);
    CHECK(test::chi2_sf(chi2_w, dof_w) > 1e-4);
    CHECK(std::abs(t_mean) < 4 * t_se);
    CHECK(std::abs(r_mean - 1) < 4 * r_se);
    // Deterministic for a seed; another seed gives other samples.
    CHECK(galton_ratio_samples(board, low, high, theta1, 1000, 4) == galton_ratio_samples(board, low, high, theta1, 1000, 4));
    CHECK(!(galton_ratio_samples(board, low, high, theta1, 1000, 5) == galton_ratio_samples(board, low, high, theta1, 1000, 4)));
  }
  CHECK_THROWS_WITH_AS(galton_ratio_samples(board, -0.4, -1.0, -0.6, 100, 1), doctest::Contains("prior [-0.4, -1)"),
                       InvalidArgument);
  CHECK_THROWS_AS(galton_ratio_samples(board, -1.0, -0.4, -0.6, 1, 1), InvalidArgument);
  CHECK_THROWS_AS(galton_local_samples(board, NAN, 10, 1), InvalidArgument);
}
