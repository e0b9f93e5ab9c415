// Kinematics, built-in variables, expressions and callables for LHE observables and cuts.
#include <cmath>
#include <numbers>

#include "sbi/error.hpp"
#include "sbi/lhe.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

lhe::Particle particle(int id, int status, double px, double py, double pz, double m = 0) {
  lhe::Particle p;
  p.pdg_id = id;
  p.status = status;
  p.px = px, p.py = py, p.pz = pz, p.m = m;
  p.e = std::sqrt(px * px + py * py + pz * pz + m * m);
  return p;
}

/// Two jets (the softer one forward), a Higgs, an electron, a neutrino, and incoming partons.
lhe::Event vbf_like_event() {
  lhe::Event e;
  e.weight = 0.5;
  e.particles = {particle(2, -1, 0, 0, 500), particle(1, -1, 0, 0, -400), particle(25, 1, 10, 20, -50, 125),
                 particle(2, 1, 60, 0, -200), particle(-1, 1, 0, -30, 150), particle(11, 1, 0, 40, 0),
                 particle(-12, 1, -40, 0, 0)};
  return e;
}

}  // namespace

TEST_CASE("four-momenta: pt, eta, rapidity, phi, mass, delta phi") {
  lhe::FourMomentum p{3, 4, 12, 13};
  CHECK(p.pt() == 5);
  CHECK(p.eta() == doctest::Approx(std::asinh(12.0 / 5.0)));
  CHECK(p.rapidity() == doctest::Approx(0.5 * std::log(25.0 / 1.0)));
  CHECK(p.phi() == doctest::Approx(std::atan2(4, 3)));
  CHECK(p.m() == doctest::Approx(0).epsilon(1e-12));
  CHECK(lhe::delta_phi(3.0, -3.0) == doctest::Approx(6.0 - 2 * std::numbers::pi));
  CHECK(lhe::delta_phi(-3.0, 3.0) == doctest::Approx(2 * std::numbers::pi - 6.0));
  CHECK(lhe::FourMomentum{0, 0, 5, 5}.eta() == 1e10);
}

TEST_CASE("kinematics: collections by type, ordered by pt") {
  lhe::Kinematics k;
  const lhe::Event e = vbf_like_event();
  k.fill(e);
  REQUIRE(k.jets.size() == 2);
  CHECK(k.jets[0].pdg_id == 2);  // pt 60 before pt 30
  CHECK(k.higgs.size() == 1);
  CHECK(k.electrons.size() == 1);
  CHECK(k.leptons.size() == 1);
  CHECK(k.neutrinos.size() == 1);
  CHECK(k.visible.size() == 4);
  CHECK(k.missing.pt() == 40);
  lhe::KinematicsOptions invisible_higgs;
  invisible_higgs.invisible_pdg_ids = {25};
  k.fill(e, invisible_higgs);
  CHECK(k.visible.size() == 3);
  CHECK(k.missing.pt() == doctest::Approx(std::hypot(-30, 20)));
}

TEST_CASE("built-in variables") {
  lhe::Kinematics k;
  const lhe::Event e = vbf_like_event();
  k.fill(e);
  auto v = [&](const char* name) { return lhe::builtin_variable(name)(k); };
  const lhe::FourMomentum j1{60, 0, -200, std::sqrt(60.0 * 60 + 200 * 200)}, j2{0, -30, 150, std::sqrt(30.0 * 30 + 150 * 150)};
  CHECK(v("pt_j1") == 60);
  CHECK(v("pt_j2") == 30);
  CHECK(std::isnan(v("pt_j3")));
  CHECK(v("eta_j1") == doctest::Approx(j1.eta()));
  CHECK(v("m_jj") == doctest::Approx((j1 + j2).m()));
  CHECK(v("deta_jj") == doctest::Approx(std::abs(j1.eta() - j2.eta())));
  CHECK(v("dphi_jj") == doctest::Approx(std::numbers::pi / 2));
  // Signed Δφ: φ(forward jet) − φ(backward jet); j2 is forward (η > 0), φ(j2) = −π/2, φ(j1) = 0.
  CHECK(v("dphi_jj_signed") == doctest::Approx(-std::numbers::pi / 2));
  CHECK(v("n_j") == 2);
  CHECK(v("n_mu") == 0);
  CHECK(v("n_vis") == 4);
  CHECK(v("pt_h1") == doctest::Approx(std::hypot(10, 20)));
  CHECK(v("m_h1") == doctest::Approx(125));
  CHECK(v("met") == 40);
  CHECK(v("mt_l1") == doctest::Approx(std::sqrt(2 * 40.0 * 40.0 * (1 - std::cos(std::numbers::pi / 2)))));
  CHECK(v("charge_e1") == -1);
  CHECK(v("ht") == 90);
  CHECK(v("weight") == 0.5);
  CHECK(v("dr_l1j1") == doctest::Approx(lhe::delta_r(lhe::FourMomentum{0, 40, 0, 40}, j1)));
  CHECK(std::isnan(v("m_ll")));
  CHECK(lhe::is_builtin_variable("eta_mu2"));
  CHECK(lhe::is_builtin_variable("dphi_a1j1"));
  CHECK_FALSE(lhe::is_builtin_variable("pt_x1"));
  CHECK_FALSE(lhe::is_builtin_variable("pt_j0"));
  CHECK_FALSE(lhe::is_builtin_variable("m_jl"));
  CHECK_THROWS_AS(lhe::builtin_variable("foo"), NotFound);
}

TEST_CASE("observable calculator: expressions, callables, undefined values, cuts") {
  const lhe::Event e = vbf_like_event();
  std::vector<lhe::ObservableSpec> observables{
      {"mjj_tev", "m_jj / 1000"},
      {"abs_deta", "abs(eta_j1 - eta_j2)"},
      {"third_jet", "pt_j3", {}, false, -1.0},
      {"callable", "", [](const lhe::Kinematics& k) { return static_cast<double>(k.jets.size() * 10); }}};
  lhe::ObservableCalculator calc(observables, {{"pt_j1 > 50 && n_j >= 2"}});
  double values[4];
  REQUIRE(calc.evaluate(e, values) == lhe::ObservableCalculator::Outcome::kept);
  lhe::Kinematics k;
  k.fill(e);
  CHECK(values[0] == doctest::Approx(lhe::builtin_variable("m_jj")(k) / 1000));
  CHECK(values[1] == doctest::Approx(lhe::builtin_variable("deta_jj")(k)));
  CHECK(values[2] == -1.0);
  CHECK(values[3] == 20.0);
  CHECK(calc.observables()[3].definition == "None");
  CHECK(calc.observables()[0].definition == "m_jj / 1000");

  int failed = -1;
  lhe::ObservableCalculator cut_out({{"x", "pt_j1"}}, {{"n_j >= 2"}, {"pt_j1 > 100"}});
  CHECK(cut_out.evaluate(e, values, &failed) == lhe::ObservableCalculator::Outcome::failed_cut);
  CHECK(failed == 1);
  lhe::ObservableCalculator required({{"x", "pt_j1"}, {"y", "pt_j3 * 2"}}, {});
  CHECK(required.evaluate(e, values, &failed) == lhe::ObservableCalculator::Outcome::undefined_observable);
  CHECK(failed == 1);
  // A cut on an undefined variable fails unless told otherwise.
  lhe::ObservableCalculator undefined_cut({{"x", "pt_j1"}}, {{"pt_j3 < 10"}});
  CHECK(undefined_cut.evaluate(e, values) == lhe::ObservableCalculator::Outcome::failed_cut);
  lhe::ObservableCalculator lenient_cut({{"x", "pt_j1"}}, {{"pt_j3 < 10", {}, true}});
  CHECK(lenient_cut.evaluate(e, values) == lhe::ObservableCalculator::Outcome::kept);

  CHECK_THROWS_WITH_AS(lhe::ObservableCalculator({{"x", "pt_q1"}}, {}), doctest::Contains("unknown variable 'pt_q1'"),
                       InvalidArgument);
  CHECK_THROWS_WITH_AS(lhe::ObservableCalculator({{"x", "pt_j1 +"}}, {}), doctest::Contains("observable 'x'"),
                       InvalidArgument);
  CHECK_THROWS_AS(lhe::ObservableCalculator({{"x", "pt_j1"}, {"x", "pt_j2"}}, {}), InvalidArgument);
  CHECK_THROWS_AS(lhe::ObservableCalculator({{"", "pt_j1"}}, {}), InvalidArgument);
}
