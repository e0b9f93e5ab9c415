// The WH → ℓν bb̄ simulator (include/sbi/wh_simulator.hpp): amplitudes against an independent
// Dirac-trace evaluation, Lorentz invariance, the SM rate against a published LO value, the exact
// quadratic structure (morphing closure), CP structure, the parton-level truth, backgrounds.
#include <chrono>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include <Eigen/Dense>

#include "sbi/error.hpp"
#include "sbi/wh_simulator.hpp"
#include "stat_tests.hpp"
#include "test_support.hpp"

using namespace sbi;
using P4 = std::array<double, 4>;

namespace {

WHPartonEvent event_from_sample(const WHSample& s, Index i) {
  WHPartonEvent ev;
  std::array<double, 4>* parts[6] = {&ev.lepton, &ev.neutrino, &ev.b, &ev.bbar, &ev.parton1, &ev.parton2};
  for (int p = 0; p < 6; ++p)
    for (int c = 0; c < 4; ++c) (*parts[p])[static_cast<std::size_t>(c)] = s.momenta(i, 4 * p + c);
  const auto names = WHSimulator::observable_names();
  const Index q = std::find(names.begin(), names.end(), "q_l") - names.begin();
  ev.charge = s.events.observations(i, q) > 0 ? 1 : -1;
  return ev;
}

Index column(const std::string& name) {
  const auto names = WHSimulator::observable_names();
  return std::find(names.begin(), names.end(), name) - names.begin();
}

// Lorentz transformation of every momentum of an event.
template <typename F>
WHPartonEvent transform(WHPartonEvent ev, F&& f) {
  for (auto* p : {&ev.lepton, &ev.neutrino, &ev.b, &ev.bbar, &ev.parton1, &ev.parton2}) *p = f(*p);
  return ev;
}

// ---- independent Dirac-trace evaluation of Σ|J1^μ T_μα J2^α|² -------------------------------
using cd = std::complex<double>;
using M4 = Eigen::Matrix<cd, 4, 4>;

struct Dirac {
  M4 g[4], g5, pl;
  Dirac() {
    const cd i(0, 1);
    M4 z = M4::Zero();
    Eigen::Matrix2cd one = Eigen::Matrix2cd::Identity(), sx, sy, sz;
    sx << 0, 1, 1, 0;
    sy << 0, -i, i, 0;
    sz << 1, 0, 0, -1;
    auto block = [&](const Eigen::Matrix2cd& ur, const Eigen::Matrix2cd& ll) {
      M4 m = z;
      m.topRightCorner<2, 2>() = ur;
      m.bottomLeftCorner<2, 2>() = ll;
      return m;
    };
    g[0] = block(one, one);
    g[1] = block(sx, -sx);
    g[2] = block(sy, -sy);
    g[3] = block(sz, -sz);
    g5 = i * g[0] * g[1] * g[2] * g[3];
    pl = 0.5 * (M4::Identity() - g5);
  }
  M4 slash(const P4& p) const { return g[0] * p[0] - g[1] * p[1] - g[2] * p[2] - g[3] * p[3]; }
  // L^{μν} = Tr[p̸a γ^μ p̸b γ^ν P_L]
  std::array<std::array<cd, 4>, 4> tensor(const P4& a, const P4& b) const {
    std::array<std::array<cd, 4>, 4> l{};
    const M4 sa = slash(a), sb = slash(b);
    for (int mu = 0; mu < 4; ++mu)
      for (int nu = 0; nu < 4; ++nu) l[mu][nu] = (sa * g[mu] * sb * g[nu] * pl).trace();
    return l;
  }
};

int levi(int a, int b, int c, int d) {  // ε_{abcd}, ε_{0123} = +1
  int p[4] = {a, b, c, d}, sign = 1;
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) {
      if (p[i] == p[j]) return 0;
      if (p[i] > p[j]) sign = -sign;
    }
  return sign;
}

double trace_matrix_element(const Dirac& dirac, const P4& q, const P4& qbar, const P4& f, const P4& fbar, double mw,
                            const std::array<double, 3>& a) {
  const double metric[4] = {1, -1, -1, -1};
  const P4 q1 = {-(q[0] + qbar[0]), -(q[1] + qbar[1]), -(q[2] + qbar[2]), -(q[3] + qbar[3])};
  const P4 q2 = {f[0] + fbar[0], f[1] + fbar[1], f[2] + fbar[2], f[3] + fbar[3]};
  const double q12 = q1[0] * q2[0] - q1[1] * q2[1] - q1[2] * q2[2] - q1[3] * q2[3];
  double t[4][4];
  for (int mu = 0; mu < 4; ++mu)
    for (int al = 0; al < 4; ++al) {
      const double g = mu == al ? metric[mu] : 0.0;
      double eps = 0.0;
      for (int nu = 0; nu < 4; ++nu)
        for (int si = 0; si < 4; ++si) eps += levi(mu, nu, al, si) * q1[nu] * q2[si];
      t[mu][al] = a[0] * mw * mw * g + 2 * a[1] * (g * q12 - metric[mu] * q2[mu] * metric[al] * q1[al]) + 2 * a[2] * eps;
    }
  const auto lq = dirac.tensor(qbar, q), ll = dirac.tensor(f, fbar);
  cd sum = 0;
  for (int mu = 0; mu < 4; ++mu)
    for (int nu = 0; nu < 4; ++nu)
      for (int al = 0; al < 4; ++al)
        for (int be = 0; be < 4; ++be) sum += lq[mu][nu] * t[mu][al] * t[nu][be] * ll[al][be];
  return sum.real();
}

}  // namespace

TEST_CASE("WH options: defaults valid, bad fields named") {
  CHECK_NOTHROW(WHOptions{}.validate());
  WHOptions o;
  o.gamma_w = -1;
  CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains("WHOptions.gamma_w = -1"), InvalidArgument);
  o = {};
  o.threads = 0;
  CHECK_THROWS_AS(WHSimulator{o}, InvalidArgument);
  const WHSimulator sim;
  CHECK_THROWS_AS((void)sim.generate(10, 1, {}, 6), InvalidArgument);
  CHECK(sim.kappa() == doctest::Approx(0.0606241).epsilon(1e-5));
  const auto a = sim.couplings(test::vector_of({1.0, 0.5}));
  CHECK(a[0] == 1.0);
  CHECK(a[1] == doctest::Approx(-0.5 * sim.kappa()));
  CHECK(a[2] == doctest::Approx(-sim.kappa()));
  const ParameterSpace ps = WHSimulator::parameter_space();
  CHECK(ps[0].name == "c_HWtil");
  CHECK(ps[0].lha_block == "SMEFTcpv");
  CHECK(ps[0].lha_id == 4);
  CHECK(ps[1].lha_id == 7);
}

TEST_CASE("GRV94 LO parton densities: valence and momentum sum rules") {
  // ∫u_v = 2, ∫d_v = 1, ∫x Σ(q + q̄) + x g = 1 (the parametrisation holds them to a few per mille; 2 %).
  for (double q2 : {1e2, 1e4}) {
    double uv = 0, dv = 0, mom = 0;
    const int n = 20000;
    for (int k = 0; k < n; ++k) {  // x = e^{−u}, u ∈ (0, ln 1e5): midpoint rule in ln x
      const double lmin = std::log(1e-5), lx = lmin * (1.0 - (k + 0.5) / n), x = std::exp(lx), dx = x * (-lmin / n);
      const PartonDensities f = grv94_lo(x, q2);
      uv += (f.u - f.ubar) * dx;
      dv += (f.d - f.dbar) * dx;
      mom += x * (f.u + f.ubar + f.d + f.dbar + 2 * f.s + 2 * f.c + f.g) * dx;
    }
    MESSAGE("Q² = " << q2 << ": ∫u_v = " << uv << ", ∫d_v = " << dv << ", momentum sum (no b) = " << mom);
    CHECK(uv == doctest::Approx(2.0).epsilon(0.02));
    CHECK(dv == doctest::Approx(1.0).epsilon(0.02));
    CHECK(mom == doctest::Approx(1.0).epsilon(0.03));
  }
  CHECK(grv94_lo(1.0, 1e4).u == 0.0);
}

TEST_CASE("WH amplitudes: helicity amplitudes equal an independent Dirac-trace evaluation, any θ") {
  WHOptions o;
  o.parton_level = true;
  o.warmup = 2000;
  const WHSimulator sim(o);
  const WHSample s = sim.generate(40, 3);
  const Dirac dirac;
  const double v = 1.0 / std::sqrt(std::sqrt(2.0) * o.g_fermi), g = 2 * o.m_w / v, c = g * g / v;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-3, 3);
  double worst = 0.0;
  for (Index i = 0; i < s.events.size(); ++i) {
    const WHPartonEvent ev = event_from_sample(s, i);
    const Vector th = test::vector_of({u(rng), u(rng)});
    const auto a = sim.couplings(th);
    for (bool beam1 : {true, false}) {
      const P4& q = beam1 ? ev.parton1 : ev.parton2;
      const P4& qbar = beam1 ? ev.parton2 : ev.parton1;
      const P4& f = ev.charge > 0 ? ev.neutrino : ev.lepton;
      const P4& fbar = ev.charge > 0 ? ev.lepton : ev.neutrino;
      const P4 pw = {q[0] + qbar[0], q[1] + qbar[1], q[2] + qbar[2], q[3] + qbar[3]};
      const P4 pl = {f[0] + fbar[0], f[1] + fbar[1], f[2] + fbar[2], f[3] + fbar[3]};
      const double s_hat = pw[0] * pw[0] - pw[1] * pw[1] - pw[2] * pw[2] - pw[3] * pw[3];
      const double m2 = pl[0] * pl[0] - pl[1] * pl[1] - pl[2] * pl[2] - pl[3] * pl[3];
      const double mg = o.m_w * o.gamma_w, mw2 = o.m_w * o.m_w;
      const double prop = 1.0 / (((s_hat - mw2) * (s_hat - mw2) + mg * mg) * ((m2 - mw2) * (m2 - mw2) + mg * mg));
      const double expected = c * c * prop / 12.0 * trace_matrix_element(dirac, q, qbar, f, fbar, o.m_w, a);
      const double got = sim.matrix_element_squared(ev, th, beam1);
      worst = std::max(worst, std::abs(got - expected) / std::abs(expected));
    }
  }
  MESSAGE("largest relative difference helicity vs trace |M|²: " << worst);
  CHECK(worst < 1e-10);
}

TEST_CASE("WH |M|² is Lorentz invariant (beam boosts, azimuthal rotations, transverse boosts) and quadratic in θ") {
  WHOptions o;
  o.parton_level = true;
  o.warmup = 2000;
  const WHSimulator sim(o);
  const WHSample s = sim.generate(30, 4);
  double worst = 0.0, worst_quad = 0.0;
  for (Index i = 0; i < s.events.size(); ++i) {
    const WHPartonEvent ev = event_from_sample(s, i);
    const auto boost_z = [](const P4& p) {
      const double y = 0.83, ch = std::cosh(y), sh = std::sinh(y);
      return P4{ch * p[0] + sh * p[3], p[1], p[2], sh * p[0] + ch * p[3]};
    };
    const auto rotate = [](const P4& p) {
      const double a = 1.1, c = std::cos(a), sn = std::sin(a);
      return P4{p[0], c * p[1] - sn * p[2], sn * p[1] + c * p[2], p[3]};
    };
    const auto boost_x = [](const P4& p) {
      const double y = 0.4, ch = std::cosh(y), sh = std::sinh(y);
      return P4{ch * p[0] + sh * p[1], sh * p[0] + ch * p[1], p[2], p[3]};
    };
    for (const Vector& th : {test::vector_of({0, 0}), test::vector_of({1.0, 0}), test::vector_of({0, 1.0}), test::vector_of({-0.7, 0.4})}) {
      const double ref = sim.matrix_element_squared(ev, th, true);
      for (const WHPartonEvent& moved : {transform(ev, boost_z), transform(ev, rotate), transform(ev, boost_x)}) {
        // matrix_element_squared takes parton1/parton2 as the incoming momenta whatever their direction.
        worst = std::max(worst, std::abs(sim.matrix_element_squared(moved, th, true) - ref) / ref);
      }
    }
    // Exact quadratic structure: |M|²(θ) along a line is a parabola (third differences vanish).
    const auto m = [&](double t) { return sim.matrix_element_squared(ev, test::vector_of({0.3 * t, -0.2 + 0.5 * t}), false); };
    const double third = m(3) - 3 * m(2) + 3 * m(1) - m(0);
    worst_quad = std::max(worst_quad, std::abs(third) / m(0));
  }
  MESSAGE("largest relative |M|² change under Lorentz transformations: " << worst << "; third difference " << worst_quad);
  CHECK(worst < 1e-10);
  CHECK(worst_quad < 1e-10);
}

TEST_CASE("WH SM cross section against the published LO σ(pp → W±H) at 13 TeV") {
  // Parton level, no cuts, weighted: σ(pp → W±H → ℓν bb̄) / [BR(W → ℓν)·n_ℓ·BR(H → bb̄)] against
  // σ_LO = 1.195 pb (MadGraph5_aMC@NLO, arXiv:1405.0301, Table 7, c.2), tolerance ±30 % for the
  // approximate GRV94 densities and scale choice. BR(W → ℓν) = G_F m_W³/(6√2π)/Γ_W per flavour.
  WHOptions o;
  o.parton_level = true;
  o.apply_cuts = false;
  o.unweighted = false;
  o.warmup = 1000;
  const WHSimulator sim(o);
  const WHSample s = sim.generate(200000, 21);
  const double sigma = WHSimulator::cross_section(s, test::vector_of({0, 0}));
  const double br_lnu = o.g_fermi * std::pow(o.m_w, 3) / (6 * std::sqrt(2.0) * std::numbers::pi) / o.gamma_w;
  const double sigma_wh = sigma / (br_lnu * o.lepton_flavours * o.br_h_bb);
  // Monte Carlo error from the weights.
  const Vector w = s.events.weights.col(0);
  const double n = static_cast<double>(s.candidates - s.warmup_candidates);
  const double err = std::sqrt((w.array().square().sum() * n - w.sum() * w.sum()) / n);
  MESSAGE("σ(pp → W±H → ℓνbb̄, ℓ = e, μ) = " << sigma << " pb (MC error ≈ " << err << " pb); BR(W→ℓν) = " << br_lnu
                                              << "; σ(pp → W±H) = " << sigma_wh << " pb vs LO 1.195 pb");
  CHECK(sigma_wh == doctest::Approx(1.195).epsilon(0.30));
  CHECK(err < 0.01 * sigma);
  // The rate grows with c_HW (DESIGN.md §4: destructive a2 interference flips with the sign).
  CHECK(WHSimulator::cross_section(s, test::vector_of({0, 0.5})) > sigma);
  CHECK(WHSimulator::cross_section(s, test::vector_of({0, -0.2})) < sigma);
  CHECK(WHSimulator::cross_section(s, test::vector_of({0.5, 0})) > sigma);
}

TEST_CASE("WH detector-level sample: set-up, validation, morphing closure to 1e-10, speed, determinism") {
  WHOptions o;
  o.warmup = 20000;
  const WHSimulator sim(o);
  const auto t0 = std::chrono::steady_clock::now();
  const WHSample s = sim.generate(20000, 5);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("20 000 unweighted detector-level WH events in " << seconds << " s (" << 20000 / seconds << " events/s, "
                                                           << s.candidates / seconds << " candidates/s, one thread); "
                                                           << s.overweight << " over the maximum");
  REQUIRE(s.events.size() == 20000);
  CHECK_NOTHROW(s.setup.validate());
  CHECK_NOTHROW(s.events.validate(s.setup, "wh"));
  REQUIRE(s.setup.morphing.has_value());
  const double sigma_sm = s.events.weights.col(0).sum();
  MESSAGE("σ_SM after cuts (detector level) = " << sigma_sm << " pb; from the integrated components "
                                                 << WHSimulator::cross_section(s, test::vector_of({0, 0})) << " pb");
  CHECK(sigma_sm == doctest::Approx(WHSimulator::cross_section(s, test::vector_of({0, 0}))).epsilon(1e-10));
  // Morphing closure: w_i(θ) = Σ_b w_b(θ) w_ib with w(θ) = Mᵀ φ_MadMiner(θ) against φ(θ)·D_i.
  const StoredMorphing& m = *s.setup.morphing;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-2, 2);
  double worst = 0.0;
  for (int k = 0; k < 20; ++k) {
    const Vector th = test::vector_of({u(rng), u(rng)});
    Vector phi_mm(6);
    for (Index c = 0; c < 6; ++c)
      phi_mm(c) = std::pow(th(0), static_cast<double>(m.components(c, 0))) * std::pow(th(1), static_cast<double>(m.components(c, 1)));
    const Vector wb = m.matrix.transpose() * phi_mm;
    const Vector morphed = s.events.weights * wb;
    const auto phi = wh_monomials(th);
    for (Index i = 0; i < s.events.size(); ++i) {
      double direct = 0;
      for (int c = 0; c < 6; ++c) direct += phi[c] * s.components(i, c);
      worst = std::max(worst, std::abs(morphed(i) - direct) / std::abs(direct));
    }
  }
  MESSAGE("morphing closure, largest relative difference: " << worst);
  CHECK(worst < 1e-10);
  // Same events for one and two threads.
  WHOptions o2 = o;
  o2.threads = 2;
  o2.warmup = 8192;
  WHOptions o1 = o2;
  o1.threads = 1;
  const WHSample a = WHSimulator(o1).generate(3000, 8), b = WHSimulator(o2).generate(3000, 8);
  CHECK(a.events.observations == b.events.observations);
  CHECK(a.events.weights == b.events.weights);
  CHECK(WHSimulator(o1).generate(3000, 9).events.observations != a.events.observations);
}

TEST_CASE("WH generation shortcuts: the cuts applied inside equal the cuts applied to the observables afterwards") {
  // The generator rejects candidates early (lepton |η| before the H decay, the angular cuts before
  // smearing, the rest before the matrix element) and evaluates the cuts with shortcuts (|p_z| vs
  // p_T sinh 2.5, ΔR without atan2 when Δφ or Δη decide). Reference: weighted detector-level events
  // without cuts, the seed talk's selection applied here to the stored observables in the plain way.
  WHOptions no_cuts;
  no_cuts.apply_cuts = false;
  no_cuts.unweighted = false;
  no_cuts.warmup = 1000;
  const WHSample all = WHSimulator(no_cuts).generate(600000, 41);
  auto col = [&](const char* name) { return all.events.observations.col(column(name)); };
  const auto eta_l = col("eta_l"), eta_1 = col("eta_b1"), eta_2 = col("eta_b2");
  const auto phi_l = col("phi_l"), phi_1 = col("phi_b1"), phi_2 = col("phi_b2");
  auto dr = [](double e1, double p1, double e2, double p2) {
    double d = p1 - p2;
    while (d > std::numbers::pi) d -= 2 * std::numbers::pi;
    while (d < -std::numbers::pi) d += 2 * std::numbers::pi;
    return std::hypot(e1 - e2, d);
  };
  double sum = 0, sum2 = 0;
  for (Index i = 0; i < all.events.size(); ++i) {
    const bool pass = col("pt_l")(i) > 10 && col("met")(i) > 25 && col("pt_b1")(i) > 35 && col("pt_b2")(i) > 35 &&
                      std::abs(eta_l(i)) < 2.5 && std::abs(eta_1(i)) < 2.5 && std::abs(eta_2(i)) < 2.5 &&
                      dr(eta_1(i), phi_1(i), eta_2(i), phi_2(i)) > 0.4 && dr(eta_l(i), phi_l(i), eta_1(i), phi_1(i)) > 0.4 &&
                      dr(eta_l(i), phi_l(i), eta_2(i), phi_2(i)) > 0.4 && col("m_bb")(i) > 80 && col("m_bb")(i) < 160;
    if (!pass) continue;
    const double w = all.events.weights(i, 0);
    sum += w;
    sum2 += w * w;
  }
  const double n_all = static_cast<double>(all.candidates - all.warmup_candidates);
  const double err_ref = std::sqrt(sum2 - sum * sum / n_all);
  WHOptions cuts = no_cuts;
  cuts.apply_cuts = true;
  const WHSample cut = WHSimulator(cuts).generate(600000, 42);
  const Vector w = cut.events.weights.col(0);
  const double n_cut = static_cast<double>(cut.candidates - cut.warmup_candidates);
  const double sigma = w.sum(), err = std::sqrt(w.array().square().sum() - sigma * sigma / n_cut);
  MESSAGE("σ_SM after the cuts: applied inside " << sigma << " ± " << err << " pb, applied to the observables " << sum
                                                 << " ± " << err_ref << " pb (pull " << (sigma - sum) / std::hypot(err, err_ref) << ")");
  CHECK(std::abs(sigma - sum) < 4 * std::hypot(err, err_ref));
  CHECK(err < 0.01 * sigma);
}

TEST_CASE("WH unweighting maximum: the events above it are few, carry little of σ, and keep the sample unbiased") {
  WHOptions o;
  o.parton_level = true;
  const WHSample s = WHSimulator(o).generate(20000, 43);
  const Vector w = s.events.weights.col(0);
  const double unit = w.minCoeff(), sigma = w.sum();
  double excess = 0;
  Index heavier = 0;
  for (Index i = 0; i < w.size(); ++i)
    if (w(i) > unit * (1 + 1e-12)) {
      ++heavier;
      excess += w(i) - unit;
    }
  MESSAGE("max_weight_excess = 1e-3: " << heavier << " of 20000 events heavier than the rest (largest " << w.maxCoeff() / unit
                                       << " units), carrying " << excess / sigma << " of σ in excess; "
                                       << static_cast<double>(s.candidates - s.warmup_candidates) / 20000.0
                                       << " candidates per event");
  CHECK(heavier == s.overweight);
  CHECK(heavier < 600);             // ≈ 1.5 % expected
  CHECK(excess / sigma < 0.004);    // ε = 1e-3 of the warm-up's σ, with Monte Carlo slack
  CHECK(w.maxCoeff() / unit < 3.0);
  // ε = 0: the largest warm-up weight; almost no event above it, at the cost of more candidates.
  o.max_weight_excess = 0.0;
  const WHSample strict = WHSimulator(o).generate(20000, 43);
  MESSAGE("max_weight_excess = 0: " << strict.overweight << " heavier events; "
                                    << static_cast<double>(strict.candidates - strict.warmup_candidates) / 20000.0
                                    << " candidates per event");
  CHECK(strict.overweight < 20);
  CHECK(strict.candidates > s.candidates);
  // The unweighted sample's σ is the integrated one (no bias from the heavier events).
  CHECK(sigma == doctest::Approx(WHSimulator::cross_section(s, test::vector_of({0, 0}))).epsilon(1e-10));
  WHOptions bad;
  bad.max_weight_excess = 0.2;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("WHOptions.max_weight_excess = 0.2"), InvalidArgument);
}

TEST_CASE("WH CP structure: the linear c_HWtil term vanishes in the rate and CP-even observables; Q_ℓ cos δ⁺ asymmetry") {
  WHOptions o;
  o.parton_level = false;
  o.warmup = 20000;
  const WHSimulator sim(o);
  const WHSample s = sim.generate(60000, 12);
  const Index n = s.events.size();
  const double sigma_sm = s.events.weights.col(0).sum();
  // (1) Rate: Σ_i D_i,c_HWtil against its statistical error.
  const Vector lin = s.components.col(1);
  const double rate_err = std::sqrt(lin.array().square().sum());
  MESSAGE("linear c_HWtil term of the rate: " << lin.sum() / sigma_sm << " ± " << rate_err / sigma_sm
                                              << " (relative to σ_SM); quadratic term " << s.components.col(3).sum() / sigma_sm);
  CHECK(std::abs(lin.sum()) < 4 * rate_err);
  // (2) CP-even observables: the linear term per bin (10 quantile bins) is consistent with zero (χ²).
  for (const char* name : {"pt_w", "mt_lvbb", "pt_l", "m_bb", "met", "delta_r_b1_b2"}) {
    const Index col = column(name);
    std::vector<double> values(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = s.events.observations(i, col);
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> edges;
    for (int q = 1; q < 10; ++q) edges.push_back(sorted[static_cast<std::size_t>(q * n / 10)]);
    std::vector<double> sum(10, 0.0), sum2(10, 0.0);
    for (Index i = 0; i < n; ++i) {
      const auto bin = std::upper_bound(edges.begin(), edges.end(), values[static_cast<std::size_t>(i)]) - edges.begin();
      sum[static_cast<std::size_t>(bin)] += lin(i);
      sum2[static_cast<std::size_t>(bin)] += lin(i) * lin(i);
    }
    double chi2 = 0;
    for (int b = 0; b < 10; ++b) chi2 += sum[b] * sum[b] / sum2[b];
    const double p = test::chi2_sf(chi2, 10);
    CHECK_MESSAGE(p > 1e-3, name << ": linear c_HWtil term per bin χ² = " << chi2 << " / 10, p = " << p);
  }
  // (3) Q_ℓ cos δ⁺ asymmetry A(θ) = [σ(x > 0) − σ(x < 0)]/σ follows the sign of c_HWtil, for W+ and W−.
  const Index cp = column("ql_cos_deltaplus"), ql = column("q_l");
  for (int charge : {1, -1, 0}) {
    double lin_asym = 0, lin_err2 = 0, sm = 0;
    for (Index i = 0; i < n; ++i) {
      if (charge != 0 && s.events.observations(i, ql) != charge) continue;
      const double sg = s.events.observations(i, cp) > 0 ? 1.0 : -1.0;
      lin_asym += sg * lin(i);
      lin_err2 += lin(i) * lin(i);
      sm += s.components(i, 0);
    }
    const auto asym = [&](double c) {
      double num = 0, den = 0;
      const auto phi = wh_monomials(test::vector_of({c, 0}));
      for (Index i = 0; i < n; ++i) {
        if (charge != 0 && s.events.observations(i, ql) != charge) continue;
        double w = 0;
        for (int k = 0; k < 6; ++k) w += phi[k] * s.components(i, k);
        num += (s.events.observations(i, cp) > 0 ? w : -w);
        den += w;
      }
      return num / den;
    };
    MESSAGE("charge " << charge << ": A(Q_ℓ cos δ⁺) linear coefficient " << lin_asym / sm << " ± " << std::sqrt(lin_err2) / sm
                      << " per unit c_HWtil; A(c_HWtil = +0.5) = " << asym(0.5) << ", A(−0.5) = " << asym(-0.5)
                      << ", A(0) = " << asym(0.0));
    CHECK(lin_asym > 5 * std::sqrt(lin_err2));
    CHECK(asym(0.5) > 0);
    CHECK(asym(-0.5) < 0);
  }
}

TEST_CASE("WH parton-level truth: exact r(x|θ0,θ1), t(x|θ), consistent with the joint quantities") {
  WHOptions o;
  o.parton_level = true;
  o.warmup = 200000;
  const WHSimulator sim(o);
  const WHSample s = sim.generate(20000, 31);
  const Vector sm = test::vector_of({0, 0}), bsm = test::vector_of({0.6, -0.4});
  const WHTruth truth = sim.truth(s, bsm, sm);
  // Joint log ratio from the weights (x = z at parton level: the same up to a constant, σ(θ) from
  // the sample instead of the integrated components).
  const Vector w0 = s.components * Eigen::Map<const Eigen::Matrix<double, 6, 1>>(wh_monomials(bsm).data());
  const Vector w1 = s.components * Eigen::Map<const Eigen::Matrix<double, 6, 1>>(wh_monomials(sm).data());
  const Eigen::ArrayXd diff = truth.log_r.array() - ((w0.array() / w1.array()).log() - std::log(w0.sum() / w1.sum()));
  const double spread = std::sqrt((diff - diff.mean()).square().mean());
  MESSAGE("truth − joint log r: mean " << diff.mean() << ", spread " << spread);
  CHECK(spread < 1e-10);
  CHECK(std::abs(diff.mean()) < 0.02);
  // E[r(x|θ0, θ1)] under θ1 = SM is 1; E[t(x|SM)] under SM is 0 (4σ).
  const Eigen::ArrayXd r = truth.log_r.array().exp();
  const double n = static_cast<double>(r.size());
  const double r_err = std::sqrt((r - r.mean()).square().mean() / n);
  MESSAGE("E[r(x|θ0,SM)]_SM = " << r.mean() << " ± " << r_err);
  CHECK(std::abs(r.mean() - 1.0) < 4 * r_err + 0.005);
  const WHTruth at_sm = sim.truth(s, sm, bsm);
  for (int p = 0; p < 2; ++p) {
    const Eigen::ArrayXd t = at_sm.t.col(p).array();
    const double err = std::sqrt((t - t.mean()).square().mean() / n);
    MESSAGE("E[t_" << p << "(x|SM)]_SM = " << t.mean() << " ± " << err);
    CHECK(std::abs(t.mean()) < 4 * err + 1e-3);
  }
  // The truth's score is the θ-derivative of its log p.
  const double h = 1e-6;
  const WHTruth up = sim.truth(s, test::vector_of({h, 0}), sm), down = sim.truth(s, test::vector_of({-h, 0}), sm);
  for (Index i = 0; i < 20; ++i)
    CHECK(test::close(at_sm.t(i, 0), (up.log_p(i) - down.log_p(i)) / (2 * h), 1e-5, 1e-6));
  // The sample's generation options decide whether the truth applies, not the simulator's: a
  // simulator with the same physics and another detector gives the same truth; a detector-level
  // sample is refused whatever the simulator (test_truth.cpp).
  WHOptions det;
  const WHTruth same = WHSimulator(det).truth(s, bsm, sm);
  CHECK(same.log_r == truth.log_r);
  CHECK(sim.parton_observables(event_from_sample(s, 0)).size() == static_cast<Index>(WHSimulator::observable_names().size()));
}

TEST_CASE("WH backgrounds: θ-independent weights, sampling benchmark −1, process labels") {
  WHOptions o;
  o.warmup = 8192;
  const WHSimulator sim(o);
  WHSample s = sim.generate(2000, 41);
  const double sigma_signal = s.events.weights.col(0).sum();
  sim.add_background(s, 2000, 2000, 42);
  REQUIRE(s.events.size() == 6000);
  CHECK_NOTHROW(s.events.validate(s.setup, "wh+bkg"));
  double sigma_tt = 0, sigma_wbb = 0;
  for (Index i = 2000; i < 6000; ++i) {
    CHECK(s.events.sampling_benchmarks(i) == -1);
    CHECK(s.events.process_of(i) == (i < 4000 ? 1 : 2));
    CHECK((s.events.weights.row(i).array() == s.events.weights(i, 0)).all());
    (i < 4000 ? sigma_tt : sigma_wbb) += s.events.weights(i, 0);
  }
  MESSAGE("after cuts: signal (SM) " << sigma_signal << " pb, ttbar-like " << sigma_tt << " pb, Wbb-like " << sigma_wbb << " pb");
  CHECK(sigma_tt > 0);
  CHECK(sigma_wbb > 0);
  const Vector xs = s.events.cross_sections();
  CHECK(xs(0) == doctest::Approx(sigma_signal + sigma_tt + sigma_wbb).epsilon(1e-12));
}

#include "sbi/lhe.hpp"

TEST_CASE("WH LHE output: MadGraph-shaped file with <rwgt> weights, read back by sbi's LHE reader") {
  WHOptions o;
  o.parton_level = true;
  o.warmup = 8192;
  const WHSimulator sim(o);
  WHSample s = sim.generate(300, 51);
  sim.add_background(s, 50, 50, 52);
  const auto path = test::temp_path("wh.lhe");
  write_wh_lhe(path, s, sim);
  lhe::Reader reader(path);
  CHECK(reader.event_norm() == lhe::EventNorm::sum);
  REQUIRE(reader.weight_ids() == s.setup.benchmark_names());
  lhe::Event event;
  Index i = 0;
  double worst = 0.0;
  while (reader.next(event)) {
    REQUIRE(i < s.events.size());
    REQUIRE(event.named_weights.size() == 6);
    for (Index b = 0; b < 6; ++b)
      worst = std::max(worst, std::abs(event.named_weights[static_cast<std::size_t>(b)] - s.events.weights(i, b)) /
                                  std::abs(s.events.weights(i, b)));
    REQUIRE(event.particles.size() == 8);
    CHECK(event.particles[4].e == doctest::Approx(s.momenta(i, 0)).epsilon(1e-9));
    ++i;
  }
  CHECK(i == s.events.size());
  CHECK(worst < 1e-9);
}
