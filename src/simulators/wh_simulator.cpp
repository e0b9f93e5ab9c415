// Leading-order p p → W± H → ℓ± ν b b̄ with anomalous HWW couplings. See include/sbi/wh_simulator.hpp.
#include "sbi/wh_simulator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <thread>
#include <type_traits>

#include "sbi/error.hpp"
#include "sbi/madminer_file.hpp"
#include "../random.hpp"

namespace sbi {

namespace {

using P4 = std::array<double, 4>;
using cd = std::complex<double>;
using C4 = std::array<cd, 4>;
constexpr double kPi = std::numbers::pi;
constexpr double kGeV2ToPb = 0.3893794e9;  // (ħc)² in pb GeV²
constexpr double kTopMass = 172.5;
constexpr double kSinhEtaMax = 6.0502044810397875;  // sinh(2.5): |η| < 2.5 ⇔ |p_z| < p_T sinh 2.5

double dot(const P4& a, const P4& b) { return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]; }
cd dot(const C4& a, const C4& b) { return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]; }
cd dot(const C4& a, const P4& b) { return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]; }
P4 add(const P4& a, const P4& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]}; }
// sqrt rather than std::hypot: no overflow is possible at collider scales and glibc's hypot costs
// ten times more (it was a tenth of the generation time).
double pt(const P4& p) { return std::sqrt(p[1] * p[1] + p[2] * p[2]); }
double mass(const P4& p) { return std::sqrt(std::max(0.0, dot(p, p))); }
double phi(const P4& p) { return std::atan2(p[2], p[1]); }
double eta(const P4& p) {
  const double ptv = pt(p);
  if (ptv == 0.0) return p[3] >= 0 ? 1e9 : -1e9;
  return std::asinh(p[3] / ptv);
}
double rapidity(const P4& p) { return 0.5 * std::log((p[0] + p[3]) / (p[0] - p[3])); }
double delta_phi(double a, double b) {
  double d = a - b;
  while (d > kPi) d -= 2 * kPi;
  while (d < -kPi) d += 2 * kPi;
  return d;
}
double delta_r(const P4& a, const P4& b) {
  const double de = eta(a) - eta(b), dp = delta_phi(phi(a), phi(b));
  return std::sqrt(de * de + dp * dp);
}

// Boost p by velocity β⃗ (from the frame where the system is at rest to the one where it moves with β⃗).
P4 boost(const P4& p, double bx, double by, double bz) {
  const double b2 = bx * bx + by * by + bz * bz;
  if (b2 <= 0.0) return p;
  const double gamma = 1.0 / std::sqrt(1.0 - b2);
  const double bp = bx * p[1] + by * p[2] + bz * p[3];
  const double g2 = (gamma - 1.0) / b2;
  return {gamma * (p[0] + bp), p[1] + g2 * bp * bx + gamma * bx * p[0], p[2] + g2 * bp * by + gamma * by * p[0],
          p[3] + g2 * bp * bz + gamma * bz * p[0]};
}
P4 boost_to_lab(const P4& p, const P4& system) {
  return boost(p, system[1] / system[0], system[2] / system[0], system[3] / system[0]);
}
P4 boost_to_rest(const P4& p, const P4& system) {
  return boost(p, -system[1] / system[0], -system[2] / system[0], -system[3] / system[0]);
}
// Boost along z by velocity β.
P4 boost_z(const P4& p, double beta) {
  const double gamma = 1.0 / std::sqrt(1.0 - beta * beta);
  return {gamma * (p[0] + beta * p[3]), p[1], p[2], gamma * (p[3] + beta * p[0])};
}

// Two-body decay of a system at rest with mass m into masses m1, m2, direction (cosθ, φ).
std::pair<P4, P4> two_body(double m, double m1, double m2, double cos_theta, double phi_angle) {
  const double lam = (m * m - (m1 + m2) * (m1 + m2)) * (m * m - (m1 - m2) * (m1 - m2));
  const double p = std::sqrt(std::max(0.0, lam)) / (2 * m);
  const double sin_theta = std::sqrt(std::max(0.0, 1 - cos_theta * cos_theta));
  const double px = p * sin_theta * std::cos(phi_angle), py = p * sin_theta * std::sin(phi_angle), pz = p * cos_theta;
  return {P4{std::sqrt(p * p + m1 * m1), px, py, pz}, P4{std::sqrt(p * p + m2 * m2), -px, -py, -pz}};
}

// √(2E) ξ₋(p̂): the upper (left-chiral) components of u(p) and v(p) for a massless momentum
// (Peskin–Schroeder chiral representation); the overall phase is irrelevant.
std::array<cd, 2> chi(const P4& p) {
  const double pa = std::sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3]);
  const double e = std::sqrt(2.0 * pa);
  if (p[3] >= 0) {
    const double n = std::sqrt(2 * pa * (pa + p[3]));
    return {e * cd(-p[1], p[2]) / n, cd(e * (pa + p[3]) / n, 0.0)};
  }
  const double n = std::sqrt(2 * pa * (pa - p[3]));
  return {cd(-e * (pa - p[3]) / n, 0.0), e * cd(p[1], p[2]) / n};
}

// J^μ = ψ̄_a γ^μ P_L ψ_b = a† σ̄^μ b with σ̄^μ = (1, −σ⃗) (contravariant components).
C4 current(const std::array<cd, 2>& a, const std::array<cd, 2>& b) {
  const cd a0 = std::conj(a[0]), a1 = std::conj(a[1]);
  const cd sx = a0 * b[1] + a1 * b[0];
  const cd sy = cd(0, -1) * a0 * b[1] + cd(0, 1) * a1 * b[0];
  const cd sz = a0 * b[0] - a1 * b[1];
  return {a0 * b[0] + a1 * b[1], -sx, -sy, -sz};
}

// ε_{μνρσ} a^μ b^ν c^ρ d^σ with ε_{0123} = +1: the determinant of the rows a, b, c, d, expanded
// along the complex rows a and c with the six real 2 × 2 minors m_{νσ} = b^ν d^σ − b^σ d^ν:
// Σ_{μ<ρ} (a^μ c^ρ − a^ρ c^μ) ε_{μνρσ} m_{νσ} over the complementary pair ν < σ.
cd levi_civita(const C4& a, const P4& b, const C4& c, const P4& d) {
  auto minor = [&](int i, int j) { return b[i] * d[j] - b[j] * d[i]; };
  auto pair = [&](int i, int j) { return a[i] * c[j] - a[j] * c[i]; };
  // (μ, ρ) → complement (ν, σ) and the sign of the permutation (μ, ν, ρ, σ).
  return pair(0, 1) * (-minor(2, 3)) + pair(0, 2) * minor(1, 3) + pair(0, 3) * (-minor(1, 2)) +
         pair(1, 2) * (-minor(0, 3)) + pair(1, 3) * minor(0, 2) + pair(2, 3) * (-minor(0, 1));
}

// SplitMix64 finaliser: independent seeds for the blocks.
std::uint64_t mix(std::uint64_t x) { return detail::splitmix64(x); }

// xoshiro256** (random.hpp): a quarter of std::mt19937_64's cost per number, which mattered here
// (a tenth of the generation time went to the engine).
using detail::Xoshiro256;

struct Rng {
  explicit Rng(std::uint64_t seed) : engine(seed) {}
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
  double normal() { return dist(engine); }
  Xoshiro256 engine;
  std::normal_distribution<double> dist{0.0, 1.0};
};

// GRV94 LO (Glück, Reya, Vogt, Z. Phys. C67 (1995) 433, Appendix): the coefficients of the
// parametrisation depend on Q² only through s = ln[ln(Q²/Λ²)/ln(μ²/Λ²)], so they are computed
// once per scale and the two beams' densities at that scale share them. The powers x^a, (1−x)^d,
// ln(1/x)^b and s^a are written as exponentials of logarithms computed once per x (or per scale):
// the same functions as the paper's, a few times cheaper than std::pow.
struct GrvValence {
  double n, ak, bk, a, b, c, d;
};
struct GrvSea {  // light sea and gluon
  double ak, bk, a, b, c, d, e, es_s_be, log_s_al;
};
struct GrvHeavy {  // s and c: zero below the threshold s_th
  bool active;
  double ak, ag, b, d, e, es_s_be, log_s_al;
};

struct Grv94Scale {
  GrvValence uv, dv, del;
  GrvSea udb, gl;
  GrvHeavy sb, cb;
};

Grv94Scale grv94_scale(double q2) {
  q2 = std::clamp(q2, 0.4, 1e6);
  const double mu2 = 0.23, lam2 = 0.2322 * 0.2322;
  const double s = std::log(std::log(q2 / lam2) / std::log(mu2 / lam2));
  const double ds = std::sqrt(s), s2 = s * s, s3 = s2 * s, log_s = std::log(s);
  auto sea = [&](double al, double be, double ak, double bk, double a, double b, double c, double d, double e, double es) {
    return GrvSea{ak, bk, a, b, c, d, e, es * std::exp(be * log_s), al * log_s};
  };
  auto heavy = [&](double sth, double al, double be, double ak, double ag, double b, double d, double e, double es) {
    if (s <= sth) return GrvHeavy{false, 0, 0, 0, 0, 0, 0, 0};
    return GrvHeavy{true, ak, ag, b, d, e, es * std::exp(be * log_s), al * std::log(s - sth)};
  };
  Grv94Scale g;
  g.uv = {2.284 + 0.802 * s + 0.055 * s2, 0.590 - 0.024 * s, 0.131 + 0.063 * s, -0.449 - 0.138 * s - 0.076 * s2,
          0.213 + 2.669 * s - 0.728 * s2, 8.854 - 9.135 * s + 1.979 * s2, 2.997 + 0.753 * s - 0.076 * s2};
  g.dv = {0.371 + 0.083 * s + 0.039 * s2, 0.376, 0.486 + 0.062 * s, -0.509 + 3.310 * s - 1.248 * s2,
          12.41 - 10.52 * s + 2.267 * s2, 6.373 - 6.208 * s + 1.418 * s2, 3.691 + 0.799 * s - 0.071 * s2};
  g.del = {0.082 + 0.014 * s + 0.008 * s2, 0.409 - 0.005 * s, 0.799 + 0.071 * s, -38.07 + 36.13 * s - 0.656 * s2,
           90.31 - 74.15 * s + 7.645 * s2, 0.0, 7.486 + 1.217 * s - 0.159 * s2};
  g.udb = sea(1.451, 0.271, 0.410 - 0.232 * s, 0.534 - 0.457 * s, 0.890 - 0.140 * s, -0.981, 0.320 + 0.683 * s,
              4.752 + 1.164 * s + 0.286 * s2, 4.119 + 1.713 * s, 0.682 + 2.978 * s);
  g.sb = heavy(0.0, 0.914, 0.577, 1.798 - 0.596 * s, -5.548 + 3.669 * ds - 0.616 * s, 18.92 - 16.73 * ds + 5.168 * s,
               6.379 - 0.350 * s + 0.142 * s2, 3.981 + 1.638 * s, 6.402);
  g.cb = heavy(0.888, 1.01, 0.37, 0.0, 0.0, 4.24 - 0.804 * s, 3.46 - 1.076 * s, 4.61 + 1.49 * s, 2.555 + 1.961 * s);
  g.gl = sea(0.524, 1.088, 1.742 - 0.930 * s, -0.399 * s2, 7.486 - 2.185 * s, 16.69 - 22.74 * s + 5.779 * s2,
             -25.59 + 29.71 * s - 7.296 * s2, 2.792 + 2.215 * s + 0.422 * s2 - 0.104 * s3, 0.807 + 2.005 * s,
             3.841 + 0.316 * s);
  return g;
}

// The logarithms one x needs: ln x, ln(1 − x), L = ln(1/x), ln L, √x.
struct GrvX {
  double x, log_x, log_1mx, big_l, log_big_l, sqrt_x;
};

GrvX grv_x(double x) {
  const double log_x = std::log(x);
  return {x, log_x, std::log1p(-x), -log_x, std::log(-log_x), std::sqrt(x)};
}

// N x^a (1 + A x^b + x (B + C √x)) (1 − x)^D
double grv_valence(const GrvX& v, const GrvValence& p) {
  return p.n * std::exp(p.ak * v.log_x + p.d * v.log_1mx) *
         (1.0 + p.a * std::exp(p.bk * v.log_x) + v.x * (p.b + p.c * v.sqrt_x));
}
// [x^a (A + B x + C x²) L^b + s^α exp(−E + √(E' s^β L))] (1 − x)^D
double grv_sea(const GrvX& v, const GrvSea& p) {
  return std::exp(p.ak * v.log_x + p.bk * v.log_big_l + p.d * v.log_1mx) * (p.a + v.x * (p.b + v.x * p.c)) +
         std::exp(p.log_s_al - p.e + std::sqrt(p.es_s_be * v.big_l) + p.d * v.log_1mx);
}
// (s − s_th)^α / L^a (1 + A √x + B x) (1 − x)^D exp(−E + √(E' s^β L))
double grv_heavy(const GrvX& v, const GrvHeavy& p) {
  if (!p.active) return 0.0;
  return (1.0 + p.ag * v.sqrt_x + p.b * v.x) *
         std::exp(p.log_s_al - p.ak * v.log_big_l + p.d * v.log_1mx - p.e + std::sqrt(p.es_s_be * v.big_l));
}

PartonDensities grv94_at(const Grv94Scale& g, double x) {
  PartonDensities f;
  if (!(x > 0.0) || x >= 1.0) return f;
  const GrvX v = grv_x(x);
  const double uv = grv_valence(v, g.uv), dv = grv_valence(v, g.dv), del = grv_valence(v, g.del);
  const double udb = grv_sea(v, g.udb), gl = grv_sea(v, g.gl);
  const double sb = grv_heavy(v, g.sb), cb = grv_heavy(v, g.cb);
  const double xubar = 0.5 * (udb - del), xdbar = 0.5 * (udb + del);
  const double inv_x = 1.0 / x;
  f.ubar = xubar * inv_x;
  f.dbar = xdbar * inv_x;
  f.u = (uv + xubar) * inv_x;
  f.d = (dv + xdbar) * inv_x;
  f.s = sb * inv_x;
  f.c = cb * inv_x;
  f.g = gl * inv_x;
  return f;
}

}  // namespace

PartonDensities grv94_lo(double x, double q2) { return grv94_at(grv94_scale(q2), x); }

std::array<double, 6> wh_monomials(const Vector& theta) {
  const double a = theta(0), b = theta(1);
  return {1.0, a, b, a * a, a * b, b * b};
}

std::array<std::array<double, 6>, 2> wh_monomial_gradients(const Vector& theta) {
  const double a = theta(0), b = theta(1);
  return {{{0.0, 1.0, 0.0, 2 * a, b, 0.0}, {0.0, 0.0, 1.0, 0.0, a, 2 * b}}};
}

void WHOptions::validate() const {
  auto positive = [](double v, const char* name) {
    if (!(v > 0.0) || !std::isfinite(v)) throw InvalidArgument(fmt::format("WHOptions.{} = {}: must be a positive number", name, v));
  };
  auto non_negative = [](double v, const char* name) {
    if (!(v >= 0.0) || !std::isfinite(v))
      throw InvalidArgument(fmt::format("WHOptions.{} = {}: must be a non-negative number", name, v));
  };
  positive(sqrt_s, "sqrt_s");
  positive(m_w, "m_w");
  positive(gamma_w, "gamma_w");
  positive(m_h, "m_h");
  non_negative(m_b, "m_b");
  if (2 * m_b >= m_h) throw InvalidArgument(fmt::format("WHOptions.m_b = {}: must be below m_h/2 = {}", m_b, m_h / 2));
  positive(g_fermi, "g_fermi");
  positive(lambda, "lambda");
  if (!(br_h_bb > 0.0 && br_h_bb <= 1.0)) throw InvalidArgument(fmt::format("WHOptions.br_h_bb = {}: must be in (0, 1]", br_h_bb));
  if (lepton_flavours < 1 || lepton_flavours > 3)
    throw InvalidArgument(fmt::format("WHOptions.lepton_flavours = {}: must be 1, 2 or 3", lepton_flavours));
  positive(bw_cutoff, "bw_cutoff");
  non_negative(lepton_resolution, "lepton_resolution");
  non_negative(jet_stochastic, "jet_stochastic");
  non_negative(jet_constant, "jet_constant");
  non_negative(met_noise, "met_noise");
  if (warmup < 1000) throw InvalidArgument(fmt::format("WHOptions.warmup = {}: must be at least 1000", warmup));
  if (!(max_weight_excess >= 0.0 && max_weight_excess < 0.1))
    throw InvalidArgument(fmt::format("WHOptions.max_weight_excess = {}: must be in [0, 0.1)", max_weight_excess));
  if (threads < 1) throw InvalidArgument(fmt::format("WHOptions.threads = {}: must be at least 1", threads));
  non_negative(ttbar_cross_section, "ttbar_cross_section");
  non_negative(wbb_cross_section, "wbb_cross_section");
  if (m_h + m_w + bw_cutoff * gamma_w >= sqrt_s)
    throw InvalidArgument(fmt::format("WHOptions.sqrt_s = {}: must exceed m_h + m_w + bw_cutoff·gamma_w", sqrt_s));
}

WHSimulator::WHSimulator(WHOptions options) : options_(options) { options_.validate(); }

ParameterSpace WHSimulator::parameter_space() {
  Parameter tilde{"c_HWtil", "SMEFTcpv", 4, 2, -1.2, 1.2, ""};
  Parameter even{"c_HW", "SMEFT", 7, 2, -1.0, 1.0, ""};
  return ParameterSpace({tilde, even});
}

std::vector<Benchmark> WHSimulator::default_benchmarks() {
  const double points[6][2] = {{0.0, 0.0}, {-0.902, 0.420}, {-0.234, 0.970}, {-1.120, -0.764}, {0.720, -0.873}, {1.150, 0.630}};
  std::vector<Benchmark> out;
  for (int b = 0; b < 6; ++b) {
    Benchmark bm;
    bm.name = b == 0 ? "sm" : fmt::format("morphing_basis_vector_{}", b);
    bm.values = Vector(2);
    bm.values << points[b][0], points[b][1];
    bm.is_reference = b == 0;
    out.push_back(bm);
  }
  return out;
}

std::vector<std::string> WHSimulator::observable_names() {
  std::vector<std::string> names;
  for (const char* obj : {"l", "b1", "b2"})
    for (const char* q : {"e", "px", "py", "pz", "pt", "eta", "phi"}) names.push_back(fmt::format("{}_{}", q, obj));
  for (const char* n : {"met", "met_x", "met_y", "pz_nu", "pt_w", "y_w", "m_bb", "pt_bb", "y_bb", "mt_w", "mt_lvbb",
                        "m_lvbb", "delta_phi_l_met", "delta_phi_b1_b2", "delta_phi_l_b1", "delta_phi_w_bb",
                        "delta_r_b1_b2", "delta_r_l_b1", "delta_r_l_b2", "delta_r_w_bb", "q_l", "ql_cos_deltaplus",
                        "ql_cos_deltaminus"})
    names.push_back(n);
  return names;
}

double WHSimulator::kappa() const {
  const double v2 = 1.0 / (std::sqrt(2.0) * options_.g_fermi);
  return v2 / (options_.lambda * options_.lambda);
}

std::array<double, 3> WHSimulator::couplings(const Vector& theta) const {
  if (theta.size() != 2) throw InvalidArgument(fmt::format("WH θ size = {}: must be 2 (c_HWtil, c_HW)", theta.size()));
  return {1.0, -kappa() * theta(1), -kappa() * theta(0)};
}

namespace {

using Pieces = std::array<std::array<double, 3>, 3>;

// One orientation's Re(A_i A_j*) from the quark current j1 (incoming momentum sum q) and the lepton
// current j2 (W momentum q2): see matrix_element_pieces.
Pieces orientation_pieces(const WHOptions& o, const C4& j1, const C4& j2, const P4& q, const P4& q2) {
  const P4 q1 = {-q[0], -q[1], -q[2], -q[3]};
  const cd jj = dot(j1, j2);
  const cd a[3] = {o.m_w * o.m_w * jj, 2.0 * (jj * dot(q1, q2) - dot(j1, q2) * dot(j2, q1)), 2.0 * levi_civita(j1, q1, j2, q2)};
  const double v = 1.0 / std::sqrt(std::sqrt(2.0) * o.g_fermi);
  const double g = 2.0 * o.m_w / v;
  const double coupling = g * g / 2.0 * 2.0 / v;  // (g/√2)² · (2/v)
  const double mg = o.m_w * o.gamma_w;
  const double s_hat = dot(q, q), m2 = dot(q2, q2);
  const double prop = 1.0 / (((s_hat - o.m_w * o.m_w) * (s_hat - o.m_w * o.m_w) + mg * mg) *
                             ((m2 - o.m_w * o.m_w) * (m2 - o.m_w * o.m_w) + mg * mg));
  const double norm = coupling * coupling * prop / 12.0;  // spin 1/4, colour 1/3
  Pieces out{};
  for (int i = 0; i < 3; ++i)
    for (int j = i; j < 3; ++j) out[i][j] = out[j][i] = norm * std::real(a[i] * std::conj(a[j]));
  return out;
}

// Lepton current ū(f) γ^ν P_L v(f̄): f = ν, f̄ = ℓ+ for W+; f = ℓ−, f̄ = ν̄ for W−.
C4 lepton_current(const WHPartonEvent& ev) {
  const P4& fermion = ev.charge > 0 ? ev.neutrino : ev.lepton;
  const P4& antifermion = ev.charge > 0 ? ev.lepton : ev.neutrino;
  return current(chi(fermion), chi(antifermion));
}

}  // namespace

std::array<std::array<double, 3>, 3> WHSimulator::matrix_element_pieces(const std::array<double, 4>& quark,
                                                                        const std::array<double, 4>& antiquark,
                                                                        const WHPartonEvent& ev) const {
  // Quark current v̄(q̄) γ^μ P_L u(q).
  const C4 j1 = current(chi(antiquark), chi(quark));
  return orientation_pieces(options_, j1, lepton_current(ev), add(quark, antiquark), add(ev.lepton, ev.neutrino));
}

double WHSimulator::matrix_element_squared(const WHPartonEvent& ev, const Vector& theta, bool quark_in_beam1) const {
  const auto m = quark_in_beam1 ? matrix_element_pieces(ev.parton1, ev.parton2, ev)
                                : matrix_element_pieces(ev.parton2, ev.parton1, ev);
  const auto a = couplings(theta);
  double sum = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) sum += a[i] * a[j] * m[i][j];
  return sum;
}

std::array<double, 6> WHSimulator::dsigma_components(const WHPartonEvent& ev) const {
  const WHOptions& o = options_;
  const double sqrt_s = o.sqrt_s;
  const double x1 = 2.0 * ev.parton1[0] / sqrt_s, x2 = 2.0 * ev.parton2[0] / sqrt_s;
  const P4 w = add(ev.lepton, ev.neutrino), h = add(ev.b, ev.bbar);
  const double mt_w = std::sqrt(dot(w, w) + pt(w) * pt(w)), mt_h = std::sqrt(dot(h, h) + pt(h) * pt(h));
  const double mu = 0.5 * (mt_w + mt_h);
  const Grv94Scale scale = grv94_scale(mu * mu);
  const PartonDensities f1 = grv94_at(scale, x1), f2 = grv94_at(scale, x2);
  // Luminosities with unit CKM: quark from beam 1 (A) or from beam 2 (B).
  double lum_a, lum_b;
  if (ev.charge > 0) {
    lum_a = f1.u * f2.dbar + f1.c * f2.s;
    lum_b = f2.u * f1.dbar + f2.c * f1.s;
  } else {
    lum_a = f1.d * f2.ubar + f1.s * f2.c;
    lum_b = f2.d * f1.ubar + f2.s * f1.c;
  }
  // The two orientations share the spinors, the lepton current and the momenta.
  const auto chi1 = chi(ev.parton1), chi2 = chi(ev.parton2);
  const C4 j2 = lepton_current(ev);
  const P4 q = add(ev.parton1, ev.parton2);
  // current(b, a) = current(a, b)* (σ̄^μ is Hermitian): the second orientation's quark current.
  const C4 j1a = current(chi2, chi1);
  const C4 j1b = {std::conj(j1a[0]), std::conj(j1a[1]), std::conj(j1a[2]), std::conj(j1a[3])};
  const Pieces ma = orientation_pieces(o, j1a, j2, q, w);
  const Pieces mb = orientation_pieces(o, j1b, j2, q, w);
  const double s_hat = x1 * x2 * sqrt_s * sqrt_s;
  const double factor = o.br_h_bb * o.lepton_flavours * kGeV2ToPb / (2.0 * s_hat);
  double g[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) g[i][j] = factor * (lum_a * ma[i][j] + lum_b * mb[i][j]);
  const double k = kappa();
  // dσ = Σ a_i a_j G_ij with a = (1, −κ c_HW, −κ c_HWtil).
  return {g[0][0], -2 * k * g[0][2], -2 * k * g[0][1], k * k * g[2][2], 2 * k * k * g[1][2], k * k * g[1][1]};
}

namespace {

// Observables and cuts from the observed objects.
struct Objects {
  P4 lepton, neutrino, b1, b2;  // neutrino: with reconstructed (or true) p_z
  double met_x = 0, met_y = 0;
  int charge = 1;
};

constexpr Index kObservables = 44;  // the length of WHSimulator::observable_names()

Vector compute_observables(const Objects& o) {
  Vector x(kObservables);
  Index k = 0;
  for (const P4* p : {&o.lepton, &o.b1, &o.b2}) {
    x(k++) = (*p)[0];
    x(k++) = (*p)[1];
    x(k++) = (*p)[2];
    x(k++) = (*p)[3];
    x(k++) = pt(*p);
    x(k++) = eta(*p);
    x(k++) = phi(*p);
  }
  const double met = std::sqrt(o.met_x * o.met_x + o.met_y * o.met_y);
  const P4 w = add(o.lepton, o.neutrino), h = add(o.b1, o.b2);
  x(k++) = met;
  x(k++) = o.met_x;
  x(k++) = o.met_y;
  x(k++) = o.neutrino[3];
  x(k++) = pt(w);
  x(k++) = rapidity(w);
  x(k++) = mass(h);
  x(k++) = pt(h);
  x(k++) = rapidity(h);
  const double ptl = pt(o.lepton);
  x(k++) = std::sqrt(std::max(0.0, 2.0 * (ptl * met - o.lepton[1] * o.met_x - o.lepton[2] * o.met_y)));
  const P4 sys = {o.lepton[0] + o.b1[0] + o.b2[0] + met, o.lepton[1] + o.b1[1] + o.b2[1] + o.met_x,
                  o.lepton[2] + o.b1[2] + o.b2[2] + o.met_y, o.lepton[3] + o.b1[3] + o.b2[3]};
  x(k++) = std::sqrt(std::max(0.0, sys[0] * sys[0] - sys[3] * sys[3]));
  x(k++) = mass(add(w, h));
  x(k++) = delta_phi(phi(o.lepton), std::atan2(o.met_y, o.met_x));
  x(k++) = delta_phi(phi(o.b1), phi(o.b2));
  x(k++) = delta_phi(phi(o.lepton), phi(o.b1));
  x(k++) = delta_phi(phi(w), phi(h));
  x(k++) = delta_r(o.b1, o.b2);
  x(k++) = delta_r(o.lepton, o.b1);
  x(k++) = delta_r(o.lepton, o.b2);
  x(k++) = delta_r(w, h);
  x(k++) = o.charge;
  // cos δ⁺: lepton in the W rest frame against p⃗_H × p⃗_W (lab).
  const P4 l_w = boost_to_rest(o.lepton, w);
  const double cx = h[2] * w[3] - h[3] * w[2], cy = h[3] * w[1] - h[1] * w[3], cz = h[1] * w[2] - h[2] * w[1];
  const double lw = std::sqrt(l_w[1] * l_w[1] + l_w[2] * l_w[2] + l_w[3] * l_w[3]), cn = std::sqrt(cx * cx + cy * cy + cz * cz);
  const double cos_plus = (lw > 0 && cn > 0) ? (l_w[1] * cx + l_w[2] * cy + l_w[3] * cz) / (lw * cn) : 0.0;
  // cos δ⁻: ℓ and ν boosted by +β⃗_H, (p⃗_ℓ′ × p⃗_ν′)·p⃗_W.
  const P4 lp = boost_to_lab(o.lepton, h), np = boost_to_lab(o.neutrino, h);
  const double dx = lp[2] * np[3] - lp[3] * np[2], dy = lp[3] * np[1] - lp[1] * np[3], dz = lp[1] * np[2] - lp[2] * np[1];
  const double dn = std::sqrt(dx * dx + dy * dy + dz * dz), wn = std::sqrt(w[1] * w[1] + w[2] * w[2] + w[3] * w[3]);
  const double cos_minus = (dn > 0 && wn > 0) ? (dx * w[1] + dy * w[2] + dz * w[3]) / (dn * wn) : 0.0;
  x(k++) = o.charge * cos_plus;
  x(k++) = o.charge * cos_minus;
  if (k != kObservables) throw std::logic_error("WH observables: the list and its names disagree");
  return x;
}

// ΔR(a, b) > 0.4 without a transcendental function for most pairs: Δφ > 0.4 (cos Δφ < cos 0.4)
// or |Δη| > 0.4 already decide; otherwise Δφ = atan2(|a⃗_T × b⃗_T|, a⃗_T·b⃗_T) and η from asinh.
bool separated(const P4& a, double pt_a, const P4& b, double pt_b) {
  constexpr double kCos04 = 0.92106099400288508;  // cos(0.4)
  const double dot_t = a[1] * b[1] + a[2] * b[2];
  if (dot_t < kCos04 * pt_a * pt_b) return true;
  const double de = std::asinh(a[3] / pt_a) - std::asinh(b[3] / pt_b);
  if (de * de > 0.16) return true;
  const double dp = std::atan2(std::abs(a[1] * b[2] - a[2] * b[1]), dot_t);
  return de * de + dp * dp > 0.16;
}

// The cheap cuts first; |η| < 2.5 as |p_z| < p_T sinh 2.5, so that the transcendental functions of
// η and φ are evaluated only for the ΔR cuts of candidates that passed everything else.
bool pass_cuts(const Objects& o) {
  const double met2 = o.met_x * o.met_x + o.met_y * o.met_y;
  const double ptl = pt(o.lepton), pt1 = pt(o.b1), pt2 = pt(o.b2);
  if (ptl <= 10.0 || met2 <= 25.0 * 25.0) return false;
  if (pt1 <= 35.0 || pt2 <= 35.0) return false;
  if (std::abs(o.lepton[3]) >= kSinhEtaMax * ptl || std::abs(o.b1[3]) >= kSinhEtaMax * pt1 ||
      std::abs(o.b2[3]) >= kSinhEtaMax * pt2)
    return false;
  const double mbb = mass(add(o.b1, o.b2));
  if (!(mbb > 80.0 && mbb < 160.0)) return false;
  return separated(o.b1, pt1, o.b2, pt2) && separated(o.lepton, ptl, o.b1, pt1) && separated(o.lepton, ptl, o.b2, pt2);
}

// The cuts that only need directions (|η| < 2.5 of ℓ, b, b̄; ΔR > 0.4 between them): the same tests
// as pass_cuts, which the detector model cannot change (it scales momenta), so a candidate failing
// them is rejected before it is smeared. The b-jet order does not matter for these.
bool pass_angular_cuts(const P4& lepton, const P4& b, const P4& bbar) {
  const double ptl = pt(lepton), pt1 = pt(b), pt2 = pt(bbar);
  if (std::abs(lepton[3]) >= kSinhEtaMax * ptl || std::abs(b[3]) >= kSinhEtaMax * pt1 || std::abs(bbar[3]) >= kSinhEtaMax * pt2)
    return false;
  return separated(lepton, ptl, b, pt1) && separated(lepton, ptl, bbar, pt2) && separated(b, pt1, bbar, pt2);
}

// The unweighting maximum: the smallest w_max with Σ max(0, w − w_max) ≤ ε Σ w over the warm-up
// weights (ε = 0: the largest weight). Descending w_1 ≥ w_2 ≥ …: with the k largest above w_max the
// excess is S_k − k w_max, so w_max = (S_k − εΣw)/k for the first k whose excess at w_{k+1} is too big.
double unweighting_maximum(std::vector<double> w, double epsilon) {
  if (w.empty()) return 0.0;
  std::sort(w.begin(), w.end(), std::greater<>());
  double total = 0;
  for (double v : w) total += v;
  const double allowed = epsilon * total;
  double top = 0;
  for (std::size_t k = 1; k <= w.size(); ++k) {
    top += w[k - 1];
    const double next = k < w.size() ? w[k] : 0.0;
    if (top - static_cast<double>(k) * next > allowed) return std::max(next, (top - allowed) / static_cast<double>(k));
  }
  return w.front();
}

// Neutrino p_z from the W mass constraint: the smaller-|p_z| root, the real part without a root.
double reconstruct_pz(const P4& l, double met_x, double met_y, double m_w) {
  const double ptl2 = l[1] * l[1] + l[2] * l[2];
  const double met2 = met_x * met_x + met_y * met_y;
  const double mu = 0.5 * m_w * m_w + l[1] * met_x + l[2] * met_y;
  const double a = mu * l[3] / ptl2;
  const double disc = a * a - (l[0] * l[0] * met2 - mu * mu) / ptl2;
  if (disc < 0) return a;
  const double r = std::sqrt(disc);
  return std::abs(a - r) < std::abs(a + r) ? a - r : a + r;
}

}  // namespace

Vector WHSimulator::parton_observables(const WHPartonEvent& ev) const {
  Objects o;
  o.lepton = ev.lepton;
  o.neutrino = ev.neutrino;
  o.b1 = pt(ev.b) >= pt(ev.bbar) ? ev.b : ev.bbar;
  o.b2 = pt(ev.b) >= pt(ev.bbar) ? ev.bbar : ev.b;
  o.met_x = ev.neutrino[1];
  o.met_y = ev.neutrino[2];
  o.charge = ev.charge;
  return compute_observables(o);
}

namespace {

// The observed objects of an event: parton level, or smeared by the detector model.
Objects observe(const WHOptions& opt, const P4& lepton, const P4& neutrino, const P4& b, const P4& bbar, int charge,
                Rng& rng) {
  Objects o;
  o.charge = charge;
  if (opt.parton_level) {
    o.lepton = lepton;
    o.neutrino = neutrino;
    o.b1 = pt(b) >= pt(bbar) ? b : bbar;
    o.b2 = pt(b) >= pt(bbar) ? bbar : b;
    o.met_x = neutrino[1];
    o.met_y = neutrino[2];
    return o;
  }
  const double sl = std::max(0.0, 1.0 + opt.lepton_resolution * rng.normal());
  o.lepton = {lepton[0] * sl, lepton[1] * sl, lepton[2] * sl, lepton[3] * sl};
  P4 jets[2];
  const P4* in[2] = {&b, &bbar};
  for (int k = 0; k < 2; ++k) {
    const double e = (*in[k])[0];
    const double rel = std::sqrt(opt.jet_stochastic * opt.jet_stochastic / e + opt.jet_constant * opt.jet_constant);
    const double sj = std::max(0.0, 1.0 + rel * rng.normal());
    jets[k] = {(*in[k])[0] * sj, (*in[k])[1] * sj, (*in[k])[2] * sj, (*in[k])[3] * sj};
  }
  o.b1 = pt(jets[0]) >= pt(jets[1]) ? jets[0] : jets[1];
  o.b2 = pt(jets[0]) >= pt(jets[1]) ? jets[1] : jets[0];
  o.met_x = neutrino[1] + opt.met_noise * rng.normal();
  o.met_y = neutrino[2] + opt.met_noise * rng.normal();
  const double pz = pt(o.lepton) > 0 ? reconstruct_pz(o.lepton, o.met_x, o.met_y, opt.m_w) : 0.0;
  o.neutrino = {std::sqrt(o.met_x * o.met_x + o.met_y * o.met_y + pz * pz), o.met_x, o.met_y, pz};
  return o;
}

// ---- The proposal ---------------------------------------------------------------------------
// Candidates come from a fixed proposal (Breit–Wigner in m_ℓν, 1/τ² in τ, flat rapidity, flat
// angles) except for the W charge, whose probability is set in the warm-up so that the largest
// weights of the two charges are equal. (Adaptive VEGAS grids on the continuous variables were
// tried and raise the largest weight: the cuts make the integrand's peaks non-separable.)
struct Proposal {
  explicit Proposal(const WHOptions& o)
      : mw2(o.m_w * o.m_w),
        mg(o.m_w * o.gamma_w),
        r_lo(std::atan((std::pow(std::max(1.0, o.m_w - o.bw_cutoff * o.gamma_w), 2) - mw2) / mg)),
        r_hi(std::atan((std::pow(o.m_w + o.bw_cutoff * o.gamma_w, 2) - mw2) / mg)) {}
  double p_plus = 0.5;
  // Breit–Wigner map of m_ℓν² = m_W² + m_W Γ_W tan ρ, ρ uniform in [r_lo, r_hi).
  double mw2, mg, r_lo, r_hi;
};

// A signal phase-space point from the proposal; returns the Jacobian over the proposal density
// (dx1 dx2 dΦ₃ dΩ_b/4π per unit of the uniform variables, times 1/P(charge)), or 0 for a candidate
// ended early by the cuts. The uniforms are drawn in a fixed order.
double sample_signal(const WHOptions& o, const Proposal& p, Rng& rng, WHPartonEvent& ev) {
  double jac = 1.0;
  const bool plus = rng.uniform() < p.p_plus;
  ev.charge = plus ? 1 : -1;
  jac /= plus ? p.p_plus : 1.0 - p.p_plus;
  const double mw2 = p.mw2, mg = p.mg, r_lo = p.r_lo, r_hi = p.r_hi;
  const double rho = r_lo + rng.uniform() * (r_hi - r_lo);
  const double m2 = mw2 + mg * std::tan(rho);
  jac *= (r_hi - r_lo) * ((m2 - mw2) * (m2 - mw2) + mg * mg) / mg / (2 * kPi);
  const double m = std::sqrt(m2);
  const double s = o.sqrt_s * o.sqrt_s;
  const double tau_min = (o.m_h + m) * (o.m_h + m) / s;
  const double inv = 1.0 / tau_min - rng.uniform() * (1.0 / tau_min - 1.0);
  const double tau = 1.0 / inv;
  jac *= tau * tau * (1.0 / tau_min - 1.0);
  const double y_max = -0.5 * std::log(tau);
  const double y = -y_max + 2 * y_max * rng.uniform();
  jac *= 2 * y_max;
  const double sqrt_tau = std::sqrt(tau), e_y = std::exp(y);
  const double sqrt_shat = sqrt_tau * o.sqrt_s;
  const double x1 = sqrt_tau * e_y, x2 = sqrt_tau / e_y;
  ev.parton1 = {0.5 * x1 * o.sqrt_s, 0, 0, 0.5 * x1 * o.sqrt_s};
  ev.parton2 = {0.5 * x2 * o.sqrt_s, 0, 0, -0.5 * x2 * o.sqrt_s};
  // W* → W H in the partonic rest frame.
  const double cos_star = 2 * rng.uniform() - 1, phi_star = 2 * kPi * rng.uniform();
  auto [w, h] = two_body(sqrt_shat, m, o.m_h, cos_star, phi_star);
  const double lam = (tau * s - (m + o.m_h) * (m + o.m_h)) * (tau * s - (m - o.m_h) * (m - o.m_h));
  jac *= std::sqrt(std::max(0.0, lam)) / (tau * s) / (8 * kPi);
  // W → ℓ ν (massless) and H → b b̄ (isotropic) in their rest frames.
  const double cos_l = 2 * rng.uniform() - 1, phi_l = 2 * kPi * rng.uniform();
  auto [l, nu] = two_body(m, 0.0, 0.0, cos_l, phi_l);
  jac *= 1.0 / (8 * kPi);
  const double beta_z = (e_y * e_y - 1.0) / (e_y * e_y + 1.0);  // tanh y
  const P4 w_lab = boost_z(w, beta_z);
  ev.lepton = boost_to_lab(l, w_lab);
  // With the cuts on, a lepton outside |η| < 2.5 ends the candidate here (the H decay is not drawn).
  if (o.apply_cuts && !(std::abs(ev.lepton[3]) < kSinhEtaMax * pt(ev.lepton))) return 0.0;
  ev.neutrino = boost_to_lab(nu, w_lab);
  const double cos_b = 2 * rng.uniform() - 1, phi_b = 2 * kPi * rng.uniform();
  auto [b, bb] = two_body(o.m_h, o.m_b, o.m_b, cos_b, phi_b);
  const P4 h_lab = boost_z(h, beta_z);
  ev.b = boost_to_lab(b, h_lab);
  ev.bbar = boost_to_lab(bb, h_lab);
  return jac;
}

struct SignalEvent {
  WHPartonEvent parton;
  Vector x;
  std::array<double, 6> d{};  // components × Jacobian (per candidate)
  double w_gen = 0.0;
};

struct BlockResult {
  std::array<double, 6> sums{};
  Index candidates = 0;
  double max_w = 0.0;
  std::vector<SignalEvent> events;
  std::vector<double> weights;  // warm-up: every passing candidate's weight at the sampling benchmark
  double max_w_plus = 0.0, max_w_minus = 0.0;
};

constexpr Index kBlock = 8192;

template <typename F>
std::vector<BlockResult> run_blocks(Index first, Index count, int threads, F&& f) {
  std::vector<BlockResult> out(static_cast<std::size_t>(count));
  const int t = std::max(1, std::min<int>(threads, static_cast<int>(count)));
  if (t == 1) {
    for (Index k = 0; k < count; ++k) out[static_cast<std::size_t>(k)] = f(first + k);
    return out;
  }
  std::vector<std::thread> pool;
  for (int id = 0; id < t; ++id)
    pool.emplace_back([&, id] {
      for (Index k = id; k < count; k += t) out[static_cast<std::size_t>(k)] = f(first + k);
    });
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace

WHSample WHSimulator::generate(Index n, std::uint64_t seed, const std::vector<Benchmark>& benchmarks_in,
                               Index sampling_benchmark) const {
  if (n < 0) throw InvalidArgument(fmt::format("WHSimulator::generate n = {}: must be ≥ 0", n));
  const std::vector<Benchmark> benchmarks = benchmarks_in.empty() ? default_benchmarks() : benchmarks_in;
  const Index nb = static_cast<Index>(benchmarks.size());
  if (sampling_benchmark < 0 || sampling_benchmark >= nb)
    throw InvalidArgument(fmt::format("WHSimulator::generate sampling_benchmark = {}: must be in [0, {})", sampling_benchmark, nb));
  for (const auto& b : benchmarks)
    if (b.values.size() != 2)
      throw InvalidArgument(fmt::format("benchmark '{}' has {} values: must have 2 (c_HWtil, c_HW)", b.name, b.values.size()));
  const WHOptions& o = options_;
  const auto phi_gen = wh_monomials(benchmarks[static_cast<std::size_t>(sampling_benchmark)].values);
  auto weight_at = [](const std::array<double, 6>& phi_v, const std::array<double, 6>& d) {
    double s = 0;
    for (int c = 0; c < 6; ++c) s += phi_v[c] * d[c];
    return s;
  };

  // One block of candidates from `proposal`: `mode` 0 = warm-up (integrate, record the weights),
  // 1 = unweighted generation with w_max, 2 = weighted generation (keep every event that passes).
  auto block = [&](Index k, int mode, const Proposal& proposal, double w_max, Index size) {
    BlockResult r;
    Rng rng(mix(seed ^ mix(static_cast<std::uint64_t>(k) * 4 + static_cast<std::uint64_t>(mode))));
    for (Index i = 0; i < size; ++i) {
      SignalEvent e;
      const double jac = sample_signal(o, proposal, rng, e.parton);
      ++r.candidates;
      // The detector model scales momenta, which keeps η and φ: the angular cuts can reject a
      // candidate before it is smeared.
      if (jac == 0.0) continue;  // the lepton failed |η| < 2.5
      if (o.apply_cuts && !pass_angular_cuts(e.parton.lepton, e.parton.b, e.parton.bbar)) continue;
      const Objects obs = observe(o, e.parton.lepton, e.parton.neutrino, e.parton.b, e.parton.bbar, e.parton.charge, rng);
      if (o.apply_cuts && !pass_cuts(obs)) continue;
      const auto d = dsigma_components(e.parton);
      for (int c = 0; c < 6; ++c) {
        e.d[c] = d[c] * jac;
        r.sums[c] += e.d[c];
      }
      e.w_gen = weight_at(phi_gen, e.d);
      if (mode == 0) {
        r.weights.push_back(e.w_gen);
        double& m = e.parton.charge > 0 ? r.max_w_plus : r.max_w_minus;
        m = std::max(m, e.w_gen);
        continue;
      }
      if (mode == 1 && !(rng.uniform() * w_max < e.w_gen)) continue;
      e.x = compute_observables(obs);
      r.events.push_back(std::move(e));
    }
    return r;
  };

  WHSample out;
  out.options = o;
  std::array<double, 6> sums{};
  Index candidates = 0;
  // Warm-up. Its first block (at P(W+) = 1/2) sets P(W+) so that the largest weights of the two
  // charges are equal; the others, with that proposal, give the unweighting maximum and the
  // acceptance estimate. Every warm-up candidate enters the integrated components (each is an
  // unbiased estimate, whatever proposal it came from).
  const Index warm_blocks = (o.warmup + kBlock - 1) / kBlock;
  Proposal proposal(o);
  Index first = 0;
  if (warm_blocks > 1) {
    const BlockResult r = block(0, 0, proposal, 0.0, kBlock);
    for (int c = 0; c < 6; ++c) sums[c] += r.sums[c];
    candidates += r.candidates;
    if (r.max_w_plus > 0 && r.max_w_minus > 0)
      proposal.p_plus = std::clamp(r.max_w_plus / (r.max_w_plus + r.max_w_minus), 0.2, 0.8);
    first = 1;
  }
  std::array<double, 6> final_sums{};
  Index final_candidates = 0;
  std::vector<double> warm_weights;
  for (auto& r : run_blocks(first, warm_blocks - first, o.threads, [&](Index k) { return block(k, 0, proposal, 0.0, kBlock); })) {
    for (int c = 0; c < 6; ++c) {
      sums[c] += r.sums[c];
      final_sums[c] += r.sums[c];
    }
    candidates += r.candidates;
    final_candidates += r.candidates;
    warm_weights.insert(warm_weights.end(), r.weights.begin(), r.weights.end());
  }
  out.warmup_candidates = candidates;
  const double w_max = unweighting_maximum(warm_weights, o.max_weight_excess);
  std::vector<SignalEvent> events;
  if (o.unweighted) {
    if (n > 0 && !(w_max > 0)) throw NumericalError("WH warm-up found no event passing the cuts; increase WHOptions.warmup");
    // The number of blocks of each round depends only on what was generated so far (the first round
    // on the warm-up's acceptance mean w / w_max with the final proposal), never on the thread
    // count: every block that is run enters sigma_components, so the sample must not depend on how
    // many ran in parallel. The first round aims a little short, later rounds a little long, so
    // that little beyond the last needed block is generated and thrown away.
    const double warm_acceptance = weight_at(phi_gen, final_sums) / (static_cast<double>(final_candidates) * w_max);
    Index next = 0;
    while (static_cast<Index>(events.size()) < n) {
      const double eff = std::max(1e-4, next == 0 ? warm_acceptance
                                                  : static_cast<double>(events.size() + 1) / static_cast<double>(next * kBlock));
      const Index missing = n - static_cast<Index>(events.size());
      const double wanted = static_cast<double>(missing) / (eff * static_cast<double>(kBlock));
      const Index count = std::max<Index>(1, next == 0 ? static_cast<Index>(0.97 * wanted) : static_cast<Index>(std::ceil(1.05 * wanted)));
      for (auto& r : run_blocks(next, count, o.threads, [&](Index k) { return block(k, 1, proposal, w_max, kBlock); })) {
        for (int c = 0; c < 6; ++c) sums[c] += r.sums[c];
        candidates += r.candidates;
        for (auto& e : r.events)
          if (static_cast<Index>(events.size()) < n) events.push_back(std::move(e));
      }
      next += count;
    }
  } else {
    const Index blocks = (n + kBlock - 1) / kBlock;
    auto results = run_blocks(0, blocks, o.threads, [&](Index k) {
      return block(k, 2, proposal, 0.0, std::min(kBlock, n - k * kBlock));
    });
    for (auto& r : results) {
      for (int c = 0; c < 6; ++c) sums[c] += r.sums[c];
      candidates += r.candidates;
      for (auto& e : r.events) events.push_back(std::move(e));
    }
  }
  out.candidates = candidates;
  out.sigma_components = Vector(6);
  for (int c = 0; c < 6; ++c) out.sigma_components(c) = sums[c] / static_cast<double>(candidates);

  const Index m = static_cast<Index>(events.size());
  const Index nobs = static_cast<Index>(observable_names().size());
  out.components.resize(m, 6);
  out.momenta.resize(m, 24);
  out.events.observations.resize(m, nobs);
  out.events.weights.resize(m, nb);
  out.events.sampling_benchmarks = IntVector::Constant(m, sampling_benchmark);
  out.events.process_ids = IntVector::Zero(m);
  out.events.process_names = {"signal", "ttbar", "wbb"};
  out.accepted = m;
  double sum_u = 0.0;
  if (o.unweighted)
    for (const auto& e : events) sum_u += std::max(e.w_gen, w_max);
  std::array<double, 6> sigma_arr{};
  for (int c = 0; c < 6; ++c) sigma_arr[c] = out.sigma_components(c);
  const double sigma_gen = weight_at(phi_gen, sigma_arr);
  for (Index i = 0; i < m; ++i) {
    const SignalEvent& e = events[static_cast<std::size_t>(i)];
    double scale;
    if (o.unweighted) {
      if (e.w_gen > w_max) ++out.overweight;
      scale = sigma_gen * std::max(e.w_gen, w_max) / sum_u / e.w_gen;
    } else {
      scale = 1.0 / static_cast<double>(candidates - out.warmup_candidates);
    }
    for (int c = 0; c < 6; ++c) out.components(i, c) = e.d[c] * scale;
    std::array<double, 6> comp{};
    for (int c = 0; c < 6; ++c) comp[c] = out.components(i, c);
    for (Index b = 0; b < nb; ++b) out.events.weights(i, b) = weight_at(wh_monomials(benchmarks[static_cast<std::size_t>(b)].values), comp);
    out.events.observations.row(i) = e.x.transpose();
    const P4* parts[6] = {&e.parton.lepton, &e.parton.neutrino, nullptr, nullptr, &e.parton.parton1, &e.parton.parton2};
    const bool b_first = pt(e.parton.b) >= pt(e.parton.bbar);
    parts[2] = b_first ? &e.parton.b : &e.parton.bbar;
    parts[3] = b_first ? &e.parton.bbar : &e.parton.b;
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 4; ++c) out.momenta(i, 4 * p + c) = (*parts[p])[static_cast<std::size_t>(c)];
  }

  // Set-up.
  Setup& setup = out.setup;
  setup.parameters = parameter_space();
  setup.benchmarks = benchmarks;
  for (const auto& name : observable_names())
    setup.observables.push_back({name, o.parton_level ? "sbi WH simulator, parton level" : "sbi WH simulator, detector model"});
  if (nb == 6) {
    // MadMiner's component order: power tuples (p_c_HWtil, p_c_HW) in lexicographic order.
    IntRowMatrix comps(6, 2);
    comps << 0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 2, 0;
    Eigen::Matrix<double, 6, 6> theta_matrix;
    for (Index b = 0; b < 6; ++b)
      for (Index c = 0; c < 6; ++c)
        theta_matrix(b, c) = std::pow(benchmarks[static_cast<std::size_t>(b)].values(0), static_cast<double>(comps(c, 0))) *
                             std::pow(benchmarks[static_cast<std::size_t>(b)].values(1), static_cast<double>(comps(c, 1)));
    Eigen::FullPivLU<Eigen::Matrix<double, 6, 6>> lu(theta_matrix);
    if (lu.isInvertible()) {
      StoredMorphing morph;
      morph.components = comps;
      morph.matrix = lu.inverse();
      setup.morphing = morph;
    }
  }
  return out;
}

void WHSimulator::add_background(WHSample& sample, Index n_ttbar, Index n_wbb, std::uint64_t seed) const {
  if (n_ttbar < 0 || n_wbb < 0)
    throw InvalidArgument(fmt::format("WHSimulator::add_background n_ttbar = {}, n_wbb = {}: must be ≥ 0", n_ttbar, n_wbb));
  const WHOptions& o = options_;
  const Index nb = sample.events.weights.cols();
  if (nb == 0) throw InvalidArgument("WHSimulator::add_background: the sample has no benchmarks; generate the signal first");
  auto bw_mass = [&](Rng& rng) {
    const double mw2 = o.m_w * o.m_w, mg = o.m_w * o.gamma_w;
    const double m_lo = std::max(1.0, o.m_w - o.bw_cutoff * o.gamma_w), m_hi = o.m_w + o.bw_cutoff * o.gamma_w;
    const double r_lo = std::atan((m_lo * m_lo - mw2) / mg), r_hi = std::atan((m_hi * m_hi - mw2) / mg);
    return std::sqrt(mw2 + mg * std::tan(r_lo + rng.uniform() * (r_hi - r_lo)));
  };
  auto iso = [&](Rng& rng, double m, double m1, double m2) {
    return two_body(m, m1, m2, 2 * rng.uniform() - 1, 2 * kPi * rng.uniform());
  };
  for (int process = 1; process <= 2; ++process) {
    const Index want = process == 1 ? n_ttbar : n_wbb;
    if (want == 0) continue;
    const double sigma = process == 1 ? o.ttbar_cross_section : o.wbb_cross_section;
    Rng rng(mix(seed ^ mix(0xb0b0ULL + static_cast<std::uint64_t>(process))));
    std::vector<std::pair<Vector, std::array<P4, 4>>> kept;
    std::vector<int> charges;
    Index tried = 0;
    while (static_cast<Index>(kept.size()) < want) {
      if (tried > 10000 * want + 10000000)
        throw NumericalError(fmt::format("WH background '{}': selection efficiency too small", process == 1 ? "ttbar" : "wbb"));
      ++tried;
      P4 lepton, nu, b, bbar;
      std::vector<P4> light;
      int charge;
      if (process == 1) {
        std::gamma_distribution<double> gam(2.0, 60.0);
        const double mtt = 2 * kTopMass + gam(rng.engine);
        const double y = 0.0 + 1.0 * rng.normal();
        auto [t1, t2] = iso(rng, mtt, kTopMass, kTopMass);
        const double bz = std::tanh(y);
        t1 = boost(t1, 0, 0, bz);
        t2 = boost(t2, 0, 0, bz);
        charge = rng.uniform() < 0.5 ? 1 : -1;  // the leptonic top's charge
        auto [w1, b1] = iso(rng, kTopMass, bw_mass(rng), o.m_b);
        auto [w2, b2] = iso(rng, kTopMass, bw_mass(rng), o.m_b);
        w1 = boost_to_lab(w1, t1);
        b1 = boost_to_lab(b1, t1);
        w2 = boost_to_lab(w2, t2);
        b2 = boost_to_lab(b2, t2);
        auto [l, n] = iso(rng, mass(w1), 0.0, 0.0);
        lepton = boost_to_lab(l, w1);
        nu = boost_to_lab(n, w1);
        auto [q1, q2] = iso(rng, mass(w2), 0.0, 0.0);
        light = {boost_to_lab(q1, w2), boost_to_lab(q2, w2)};
        b = b1;
        bbar = b2;
      } else {
        std::exponential_distribution<double> ebb(1.0 / 50.0), esys(1.0 / 120.0);
        const double mbb = 20.0 + ebb(rng.engine);
        const double mw = bw_mass(rng);
        const double msys = mw + mbb + esys(rng.engine);
        const double y = 1.2 * rng.normal();
        auto [w, x] = iso(rng, msys, mw, mbb);
        const double bz = std::tanh(y);
        w = boost(w, 0, 0, bz);
        x = boost(x, 0, 0, bz);
        charge = rng.uniform() < 0.6 ? 1 : -1;
        auto [l, n] = iso(rng, mw, 0.0, 0.0);
        lepton = boost_to_lab(l, w);
        nu = boost_to_lab(n, w);
        auto [bq, bb] = iso(rng, mbb, o.m_b, o.m_b);
        b = boost_to_lab(bq, x);
        bbar = boost_to_lab(bb, x);
      }
      const Objects obs = observe(o, lepton, nu, b, bbar, charge, rng);
      if (o.apply_cuts) {
        if (!pass_cuts(obs)) continue;
        bool veto = false;
        for (const P4& q : light)
          if (pt(q) > 30.0 && std::abs(eta(q)) < 2.5) veto = true;
        if (veto) continue;
      }
      kept.push_back({compute_observables(obs), {lepton, nu, pt(b) >= pt(bbar) ? b : bbar, pt(b) >= pt(bbar) ? bbar : b}});
    }
    const double w = sigma / static_cast<double>(tried);
    const Index old = sample.events.size(), add = static_cast<Index>(kept.size());
    Events& ev = sample.events;
    ev.observations.conservativeResize(old + add, ev.observations.cols() == 0 ? static_cast<Index>(observable_names().size()) : ev.observations.cols());
    ev.weights.conservativeResize(old + add, nb);
    ev.sampling_benchmarks.conservativeResize(old + add);
    ev.process_ids.conservativeResize(old + add);
    sample.components.conservativeResize(old + add, 6);
    sample.momenta.conservativeResize(old + add, 24);
    for (Index i = 0; i < add; ++i) {
      const auto& [x, p] = kept[static_cast<std::size_t>(i)];
      ev.observations.row(old + i) = x.transpose();
      ev.weights.row(old + i).setConstant(w);
      ev.sampling_benchmarks(old + i) = -1;
      ev.process_ids(old + i) = process;
      sample.components.row(old + i).setZero();
      sample.components(old + i, 0) = w;
      sample.momenta.row(old + i).setZero();
      for (int q = 0; q < 4; ++q)
        for (int c = 0; c < 4; ++c) sample.momenta(old + i, 4 * q + c) = p[static_cast<std::size_t>(q)][static_cast<std::size_t>(c)];
    }
  }
  if (sample.events.process_names.empty()) sample.events.process_names = {"signal", "ttbar", "wbb"};
}

double WHSimulator::cross_section(const WHSample& sample, const Vector& theta) {
  const auto phi_v = wh_monomials(theta);
  double s = 0;
  for (int c = 0; c < 6; ++c) s += phi_v[c] * sample.sigma_components(c);
  return s;
}

namespace {

// The options dσ(x|θ) depends on: a sample generated with other values has another truth.
std::string truth_option_mismatch(const WHOptions& a, const WHOptions& b) {
  const std::pair<const char*, std::pair<double, double>> fields[] = {
      {"sqrt_s", {a.sqrt_s, b.sqrt_s}},       {"m_w", {a.m_w, b.m_w}},
      {"gamma_w", {a.gamma_w, b.gamma_w}},    {"g_fermi", {a.g_fermi, b.g_fermi}},
      {"lambda", {a.lambda, b.lambda}},       {"br_h_bb", {a.br_h_bb, b.br_h_bb}},
      {"lepton_flavours", {a.lepton_flavours, b.lepton_flavours}}};
  for (const auto& [name, values] : fields)
    if (values.first != values.second) return fmt::format("{} = {} in the sample, {} in the simulator", name, values.first, values.second);
  return {};
}

}  // namespace

WHTruth WHSimulator::truth(const WHSample& sample, const Vector& theta0, const Vector& theta1) const {
  if (!sample.options.parton_level)
    throw InvalidArgument("WHSimulator::truth: the sample was generated at detector level (its options.parton_level = false); "
                          "the exact truth needs parton-level events (x = z)");
  if (const std::string mismatch = truth_option_mismatch(sample.options, options_); !mismatch.empty())
    throw InvalidArgument(fmt::format("WHSimulator::truth: {}; use a simulator with the sample's options", mismatch));
  if (theta0.size() != 2 || theta1.size() != 2)
    throw InvalidArgument(fmt::format("WHSimulator::truth: θ0 has {} and θ1 {} entries; each must have 2 (c_HWtil, c_HW)",
                                      theta0.size(), theta1.size()));
  if (sample.momenta.rows() != sample.events.size() || sample.momenta.cols() != 24 || sample.sigma_components.size() != 6)
    throw InvalidArgument(fmt::format("WHSimulator::truth: the sample has {} × {} momenta and {} σ components for {} events; "
                                      "expected N × 24 and 6",
                                      sample.momenta.rows(), sample.momenta.cols(), sample.sigma_components.size(),
                                      sample.events.size()));
  const Index n = sample.events.size();
  const Index q_col = static_cast<Index>(observable_names().size()) - 3;
  WHTruth t;
  t.log_p.resize(n);
  t.log_r.resize(n);
  t.t.resize(n, 2);
  const auto phi0 = wh_monomials(theta0), phi1 = wh_monomials(theta1);
  const auto grad = wh_monomial_gradients(theta0);
  const double sigma0 = cross_section(sample, theta0), sigma1 = cross_section(sample, theta1);
  double dsigma[2] = {0, 0};
  for (int p = 0; p < 2; ++p)
    for (int c = 0; c < 6; ++c) dsigma[p] += grad[p][c] * sample.sigma_components(c);
  for (Index i = 0; i < n; ++i) {
    if (sample.events.process_of(i) != 0)
      throw InvalidArgument(fmt::format("WHSimulator::truth: event {} is background; the truth covers the signal only", i));
    WHPartonEvent ev;
    std::array<double, 4>* parts[6] = {&ev.lepton, &ev.neutrino, &ev.b, &ev.bbar, &ev.parton1, &ev.parton2};
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 4; ++c) (*parts[p])[static_cast<std::size_t>(c)] = sample.momenta(i, 4 * p + c);
    ev.charge = sample.events.observations(i, q_col) > 0 ? 1 : -1;
    const auto d = dsigma_components(ev);
    double w0 = 0, w1 = 0, g0 = 0, g1 = 0;
    for (int c = 0; c < 6; ++c) {
      w0 += phi0[c] * d[c];
      w1 += phi1[c] * d[c];
      g0 += grad[0][c] * d[c];
      g1 += grad[1][c] * d[c];
    }
    t.log_p(i) = std::log(w0) - std::log(sigma0);
    t.log_r(i) = t.log_p(i) - (std::log(w1) - std::log(sigma1));
    t.t(i, 0) = g0 / w0 - dsigma[0] / sigma0;
    t.t(i, 1) = g1 / w0 - dsigma[1] / sigma0;
  }
  return t;
}

}  // namespace sbi

// ---- Events files with the truth inputs -----------------------------------------------------

namespace sbi {

namespace {

constexpr const char* kMomenta = "sbi_wh/momenta";
constexpr const char* kComponents = "sbi_wh/components";
constexpr const char* kSigmaComponents = "sbi_wh/sigma_components";
constexpr const char* kOptionNames = "sbi_wh/option_names";
constexpr const char* kOptionValues = "sbi_wh/option_values";
constexpr const char* kGeneration = "sbi_wh/generation";  // candidates, warm-up candidates, accepted, overweight

// Every WHOptions field by name, as a double (bools 0/1), for the file.
template <typename Options, typename F>
void for_each_option(Options& o, F&& f) {
  f("sqrt_s", o.sqrt_s);
  f("m_w", o.m_w);
  f("gamma_w", o.gamma_w);
  f("m_h", o.m_h);
  f("m_b", o.m_b);
  f("g_fermi", o.g_fermi);
  f("lambda", o.lambda);
  f("br_h_bb", o.br_h_bb);
  f("lepton_flavours", o.lepton_flavours);
  f("bw_cutoff", o.bw_cutoff);
  f("parton_level", o.parton_level);
  f("apply_cuts", o.apply_cuts);
  f("lepton_resolution", o.lepton_resolution);
  f("jet_stochastic", o.jet_stochastic);
  f("jet_constant", o.jet_constant);
  f("met_noise", o.met_noise);
  f("unweighted", o.unweighted);
  f("warmup", o.warmup);
  f("max_weight_excess", o.max_weight_excess);
  f("threads", o.threads);
  f("ttbar_cross_section", o.ttbar_cross_section);
  f("wbb_cross_section", o.wbb_cross_section);
}

[[noreturn]] void wh_format_error(const std::filesystem::path& path, const std::string& what) {
  throw FormatError(fmt::format("'{}': {}", path.string(), what));
}

}  // namespace

void shuffle(WHSample& sample, std::uint64_t seed) {
  const Index n = sample.events.size();
  if (sample.components.rows() != n || sample.momenta.rows() != n)
    throw InvalidArgument(fmt::format("shuffle(WHSample): {} events but {} component and {} momentum rows", n,
                                      sample.components.rows(), sample.momenta.rows()));
  // The permutation sbi::shuffle(Events&, seed) applies.
  const std::vector<Index> order = shuffle_order(n, seed);
  auto permute = [&](RowMatrix& m) {
    RowMatrix out(m.rows(), m.cols());
    for (Index i = 0; i < n; ++i) out.row(i) = m.row(order[static_cast<std::size_t>(i)]);
    m.swap(out);
  };
  permute(sample.components);
  permute(sample.momenta);
  shuffle(sample.events, seed);
}

void write_wh_events(const std::filesystem::path& path, const WHSample& sample) {
  const Index n = sample.events.size();
  if (sample.components.rows() != n || sample.components.cols() != 6 || sample.momenta.rows() != n ||
      sample.momenta.cols() != 24 || sample.sigma_components.size() != 6)
    throw InvalidArgument(fmt::format("write_wh_events '{}': the sample has {} events, {} × {} components, {} × {} momenta "
                                      "and {} σ components; expected N × 6, N × 24 and 6",
                                      path.string(), n, sample.components.rows(), sample.components.cols(),
                                      sample.momenta.rows(), sample.momenta.cols(), sample.sigma_components.size()));
  MadMinerFile file;
  file.setup = sample.setup;
  file.events = sample.events;
  file.extra.matrices[kMomenta] = sample.momenta;
  file.extra.matrices[kComponents] = sample.components;
  file.extra.matrices[kSigmaComponents] = sample.sigma_components;
  std::vector<std::string> names;
  std::vector<double> values;
  for_each_option(sample.options, [&](const char* name, const auto& value) {
    names.emplace_back(name);
    values.push_back(static_cast<double>(value));
  });
  file.extra.strings[kOptionNames] = names;
  file.extra.matrices[kOptionValues] = Eigen::Map<const Vector>(values.data(), static_cast<Index>(values.size()));
  Vector generation(4);
  generation << static_cast<double>(sample.candidates), static_cast<double>(sample.warmup_candidates),
      static_cast<double>(sample.accepted), static_cast<double>(sample.overweight);
  file.extra.matrices[kGeneration] = generation;
  write_madminer_file(path, file);
}

WHSample read_wh_events(const std::filesystem::path& path) {
  ReadOptions read;
  read.extra_datasets = {kMomenta, kComponents, kSigmaComponents, kOptionNames, kOptionValues, kGeneration};
  MadMinerFile file = read_madminer_file(path, read);
  if (!file.events) wh_format_error(path, "has no events (samples/observations)");
  for (const char* name : {kMomenta, kComponents, kSigmaComponents, kOptionNames, kOptionValues})
    if (!file.extra.matrices.count(name) && !file.extra.strings.count(name))
      wh_format_error(path, fmt::format("has no dataset {}: it is not an events file of sbi's WH simulator (`sbi generate wh`), "
                                        "or it was rewritten by a tool that drops sbi's datasets",
                                        name));
  if (!file.extra.strings.count(kOptionNames)) wh_format_error(path, fmt::format("dataset {} must hold strings", kOptionNames));
  if (file.setup.observable_names() != WHSimulator::observable_names())
    wh_format_error(path, "its observables are not the WH simulator's (WHSimulator::observable_names())");
  WHSample sample;
  sample.events = std::move(*file.events);
  sample.setup = std::move(file.setup);
  const Index n = sample.events.size();
  auto matrix = [&](const char* name, Index rows, Index cols) {
    const RowMatrix& m = file.extra.matrices.at(name);
    if (m.rows() != rows || m.cols() != cols)
      wh_format_error(path, fmt::format("dataset {} has shape ({}, {}); expected ({}, {})", name, m.rows(), m.cols(), rows, cols));
    return m;
  };
  sample.momenta = matrix(kMomenta, n, 24);
  sample.components = matrix(kComponents, n, 6);
  sample.sigma_components = matrix(kSigmaComponents, 6, 1).col(0);
  // Options by name: every field must be there (the truth depends on the physics ones).
  const auto& names = file.extra.strings.at(kOptionNames);
  const RowMatrix values = matrix(kOptionValues, static_cast<Index>(names.size()), 1);
  std::map<std::string, double> by_name;
  for (std::size_t i = 0; i < names.size(); ++i) by_name[names[i]] = values(static_cast<Index>(i), 0);
  for_each_option(sample.options, [&](const char* name, auto& value) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) wh_format_error(path, fmt::format("{} has no option '{}'", kOptionNames, name));
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, double>) {
      value = it->second;
    } else {
      if (it->second != std::floor(it->second))
        wh_format_error(path, fmt::format("{}: option '{}' = {} must be an integer", kOptionValues, name, it->second));
      if constexpr (std::is_same_v<T, bool>) value = it->second != 0.0;
      else value = static_cast<T>(it->second);
    }
    by_name.erase(it);
  });
  if (!by_name.empty()) wh_format_error(path, fmt::format("{} has the unknown option '{}'", kOptionNames, by_name.begin()->first));
  try {
    sample.options.validate();
  } catch (const InvalidArgument& e) {
    wh_format_error(path, fmt::format("{}: {}", kOptionValues, e.what()));
  }
  if (file.extra.matrices.count(kGeneration)) {
    const RowMatrix g = matrix(kGeneration, 4, 1);
    sample.candidates = static_cast<Index>(g(0, 0));
    sample.warmup_candidates = static_cast<Index>(g(1, 0));
    sample.accepted = static_cast<Index>(g(2, 0));
    sample.overweight = static_cast<Index>(g(3, 0));
  }
  // At parton level the observations are a function of the momenta: they must agree bit for bit,
  // or the rows were reordered or edited by a tool that does not know sbi_wh/.
  if (sample.options.parton_level) {
    const WHSimulator simulator(sample.options);
    const Index q_col = static_cast<Index>(WHSimulator::observable_names().size()) - 3;
    for (Index i = 0; i < n; ++i) {
      WHPartonEvent ev;
      std::array<double, 4>* parts[4] = {&ev.lepton, &ev.neutrino, &ev.b, &ev.bbar};
      for (int p = 0; p < 4; ++p)
        for (int c = 0; c < 4; ++c) (*parts[p])[static_cast<std::size_t>(c)] = sample.momenta(i, 4 * p + c);
      ev.charge = sample.events.observations(i, q_col) > 0 ? 1 : -1;
      const Vector x = simulator.parton_observables(ev);
      if (!same_values(x.transpose(), sample.events.observations.row(i)))
        wh_format_error(path, fmt::format("event {}: samples/observations do not match {} (were the events reordered or edited "
                                          "by a tool that does not know sbi's datasets?)",
                                          i, kMomenta));
    }
  }
  return sample;
}

WHBenchmarks read_wh_benchmarks(const std::filesystem::path& path) {
  ReadOptions read;
  read.load_events = false;
  const MadMinerFile file = read_madminer_file(path, read);
  const ParameterSpace expected = WHSimulator::parameter_space();
  std::vector<std::string> names, wanted;
  for (Index p = 0; p < file.setup.parameters.size(); ++p) names.push_back(file.setup.parameters[p].name);
  for (Index p = 0; p < expected.size(); ++p) wanted.push_back(expected[p].name);
  if (names != wanted)
    throw InvalidArgument(fmt::format("--benchmarks '{}': its parameters are ({}); the WH simulator's are ({}), in that order",
                                      path.string(), fmt::join(names, ", "), fmt::join(wanted, ", ")));
  WHBenchmarks out;
  for (const Benchmark& b : file.setup.benchmarks)
    if (!b.is_nuisance) out.benchmarks.push_back(b);
  if (out.benchmarks.empty()) throw InvalidArgument(fmt::format("--benchmarks '{}': the file has no physical benchmark", path.string()));
  Index at_zero = -1, reference = -1;
  for (Index b = 0; b < static_cast<Index>(out.benchmarks.size()); ++b) {
    const Benchmark& bm = out.benchmarks[static_cast<std::size_t>(b)];
    if (bm.is_reference && reference < 0) reference = b;
    if (at_zero < 0 && bm.values.isZero(0.0)) at_zero = b;
  }
  out.sampling_benchmark = reference >= 0 ? reference : at_zero >= 0 ? at_zero : 0;
  out.morphing = file.setup.morphing;
  return out;
}

void WHGenerateOptions::validate() const {
  const std::pair<const char*, Index> counts[] = {{"events", events}, {"background", background}, {"ttbar", ttbar}, {"wbb", wbb}};
  for (const auto& [name, value] : counts)
    if (value < 0) throw InvalidArgument(fmt::format("WHGenerateOptions.{} = {}: must be ≥ 0", name, value));
}

WHSample generate_wh_sample(const WHSimulator& simulator, const WHGenerateOptions& options) {
  options.validate();
  std::vector<Benchmark> benchmarks;
  Index sampling = 0;
  std::optional<StoredMorphing> stored;
  if (!options.benchmarks.empty()) {
    WHBenchmarks b = read_wh_benchmarks(options.benchmarks);
    benchmarks = std::move(b.benchmarks);
    sampling = b.sampling_benchmark;
    stored = std::move(b.morphing);
  }
  WHSample sample = simulator.generate(options.events, options.seed, benchmarks, sampling);
  if (!sample.setup.morphing && stored && stored->matrix.cols() == static_cast<Index>(sample.setup.benchmarks.size()))
    sample.setup.morphing = std::move(stored);
  const Index ttbar = (options.background + 1) / 2 + options.ttbar, wbb = options.background / 2 + options.wbb;
  if (ttbar > 0 || wbb > 0) {
    simulator.add_background(sample, ttbar, wbb, options.seed + 1);
    // Background runs are appended after the signal; the partitions (sampler, limits) are slices
    // of the file order, so mix the runs.
    shuffle(sample, options.seed + 2);
  }
  return sample;
}

}  // namespace sbi

// ---- LHE output ------------------------------------------------------------------------------
#include <fstream>

#include "sbi/atomic_file.hpp"

namespace sbi {

void write_wh_lhe(const std::filesystem::path& path, const WHSample& sample, const WHSimulator& simulator) {
  const WHOptions& o = simulator.options();
  const Setup& setup = sample.setup;
  const Events& ev = sample.events;
  const Index n = ev.size(), nb = ev.weights.cols();
  if (static_cast<Index>(setup.benchmarks.size()) != nb)
    throw InvalidArgument(fmt::format("write_wh_lhe: {} benchmarks in the set-up but {} weight columns", setup.benchmarks.size(), nb));
  AtomicOutput out(path);
  std::ofstream f(out.temporary_path());
  if (!f) throw FileError(fmt::format("write_wh_lhe: cannot open {} for writing", out.temporary_path().string()));
  const Vector xs = ev.cross_sections();
  f << "<LesHouchesEvents version=\"3.0\">\n<header>\n<!-- written by sbi's built-in WH simulator (LO, GRV94 LO "
       "densities; see sbi/wh_simulator.hpp) -->\n<MGVersion>\nsbi WH simulator\n</MGVersion>\n<MGRunCard>\n";
  f << fmt::format("  {} = nevents ! Number of events\n  {} = ebeam1\n  {} = ebeam2\n  sum = event_norm ! weights sum to σ\n",
                   n, o.sqrt_s / 2, o.sqrt_s / 2);
  f << "</MGRunCard>\n<slha>\nBLOCK SMEFT # \n      7 0.000000e+00 # chw\nBLOCK SMEFTCPV # \n      4 0.000000e+00 # chwtil\n"
    << fmt::format("BLOCK SMEFTCUTOFF # \n      1 {:.6e} # Lambda\n", o.lambda) << "</slha>\n";
  f << "<initrwgt>\n<weightgroup name='mg_reweighting' weight_name_strategy='includeIdInWeightName'>\n";
  for (const Benchmark& b : setup.benchmarks)
    f << fmt::format("<weight id='{}'>set param_card smeftcpv 4 {:.6e} # orig: 0.0\nset param_card smeft 7 {:.6e} # orig: 0.0 </weight>\n",
                     b.name, b.values(0), b.values(1));
  f << "</weightgroup>\n</initrwgt>\n</header>\n<init>\n";
  f << fmt::format("2212 2212 {:.10e} {:.10e} 0 0 0 0 3 1\n", o.sqrt_s / 2, o.sqrt_s / 2);
  f << fmt::format("{:.10e} 0.0000000000e+00 {:.10e} 1\n</init>\n", nb > 0 ? xs(0) : 0.0,
                   n > 0 ? ev.weights.col(0).maxCoeff() : 0.0);
  using P4 = std::array<double, 4>;
  auto line = [&](int id, int status, int m1, int m2, int c1, int c2, const P4& p, double m) {
    f << fmt::format(" {:>8d} {:>2d} {:>4d} {:>4d} {:>4d} {:>4d} {:+.10e} {:+.10e} {:+.10e} {:.10e} {:.10e} 0.0000e+00 9.0000e+00\n",
                     id, status, m1, m2, c1, c2, p[1], p[2], p[3], p[0], m);
  };
  const Index q_col = static_cast<Index>(WHSimulator::observable_names().size()) - 3;
  Vector sm = Vector::Zero(2);
  for (Index i = 0; i < n; ++i) {
    P4 mom[6];
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 4; ++c) mom[p][static_cast<std::size_t>(c)] = sample.momenta(i, 4 * p + c);
    const int charge = ev.observations(i, q_col) > 0 ? 1 : -1;
    const bool signal = ev.process_of(i) == 0;
    const Index sampled = ev.sampling_benchmarks(i) >= 0 ? ev.sampling_benchmarks(i) : 0;
    const double weight = ev.weights(i, sampled);
    const P4 w = add(mom[0], mom[1]), h = add(mom[2], mom[3]);
    f << "<event>\n";
    f << fmt::format(" 8 1 {:+.10e} {:.10e} 7.8186500e-03 1.1800000e-01\n", weight, 0.5 * (std::hypot(mass(w), pt(w)) + std::hypot(mass(h), pt(h))));
    int id1 = 21, id2 = 21, c1a = 501, c1b = 502, c2a = 502, c2b = 501;
    P4 in1 = mom[4], in2 = mom[5];
    if (signal) {
      WHPartonEvent pe;
      pe.lepton = mom[0];
      pe.neutrino = mom[1];
      pe.b = mom[2];
      pe.bbar = mom[3];
      pe.parton1 = mom[4];
      pe.parton2 = mom[5];
      pe.charge = charge;
      const double x1 = 2 * mom[4][0] / o.sqrt_s, x2 = 2 * mom[5][0] / o.sqrt_s, q2 = 1e4;
      const PartonDensities f1 = grv94_lo(x1, q2), f2 = grv94_lo(x2, q2);
      const double la = charge > 0 ? f1.u * f2.dbar : f1.d * f2.ubar, lb = charge > 0 ? f2.u * f1.dbar : f2.d * f1.ubar;
      const bool quark_first = la * simulator.matrix_element_squared(pe, sm, true) >= lb * simulator.matrix_element_squared(pe, sm, false);
      const int quark = charge > 0 ? 2 : 1, antiquark = charge > 0 ? -1 : -2;
      id1 = quark_first ? quark : antiquark;
      id2 = quark_first ? antiquark : quark;
      c1a = quark_first ? 501 : 0;
      c1b = quark_first ? 0 : 501;
      c2a = quark_first ? 0 : 501;
      c2b = quark_first ? 501 : 0;
    } else {
      const P4 total = add(w, h);
      in1 = {0.5 * (total[0] + total[3]), 0, 0, 0.5 * (total[0] + total[3])};
      in2 = {0.5 * (total[0] - total[3]), 0, 0, -0.5 * (total[0] - total[3])};
    }
    line(id1, -1, 0, 0, c1a, c1b, in1, 0.0);
    line(id2, -1, 0, 0, c2a, c2b, in2, 0.0);
    line(24 * charge, 2, 1, 2, 0, 0, w, mass(w));
    line(25, 2, 1, 2, 0, 0, h, mass(h));
    const int lep = (i % 2 == 0 ? 11 : 13);
    line(-lep * charge, 1, 3, 3, 0, 0, mom[0], 0.0);
    line((lep + 1) * charge, 1, 3, 3, 0, 0, mom[1], 0.0);
    line(5, 1, 4, 4, 503, 0, mom[2], o.m_b);
    line(-5, 1, 4, 4, 0, 503, mom[3], o.m_b);
    f << "<rwgt>\n";
    for (Index b = 0; b < nb; ++b)
      f << fmt::format("<wgt id='{}'> {:+.10e} </wgt>\n", setup.benchmarks[static_cast<std::size_t>(b)].name, ev.weights(i, b));
    f << "</rwgt>\n</event>\n";
  }
  f << "</LesHouchesEvents>\n";
  f.close();
  if (!f) throw FileError(fmt::format("write_wh_lhe: writing {} failed", out.temporary_path().string()));
  out.commit();
}

}  // namespace sbi
