#pragma once
/// @file stat_tests.hpp
/// Small statistical tests for the simulator suite (Boost.Math is not available): the χ² survival
/// function and the two-sample Kolmogorov–Smirnov test with its asymptotic distribution.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace sbi::test {

/// Regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): series for x < a + 1,
/// Lentz's continued fraction otherwise (Abramowitz & Stegun 6.5.29 and 6.5.31).
inline double gamma_q(double a, double x) {
  if (x <= 0.0) return 1.0;
  const double log_prefactor = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-16) break;
    }
    return 1.0 - sum * std::exp(log_prefactor);
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-16) break;
  }
  return std::exp(log_prefactor) * h;
}

/// P(χ²_dof ≥ chi2).
inline double chi2_sf(double chi2, double dof) { return gamma_q(dof / 2.0, chi2 / 2.0); }

/// Result of a two-sample Kolmogorov–Smirnov test.
struct KsResult {
  double d = 0.0;        ///< sup |F1 − F2|
  double p_value = 1.0;  ///< asymptotic p-value
};

/// Kolmogorov's asymptotic survival function Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²).
inline double kolmogorov_sf(double lambda) {
  if (lambda < 0.2) return 1.0;
  double sum = 0.0;
  for (int k = 1; k < 200; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    sum += (k % 2 == 1 ? term : -term);
    if (term < 1e-17) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

/// Two-sample KS test with Stephens' finite-size correction λ = (√n_e + 0.12 + 0.11/√n_e)·D,
/// n_e = n1 n2/(n1 + n2). With ties (discrete data) the test is conservative.
inline KsResult ks_two_sample(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double d = 0.0;
  while (i < a.size() && j < b.size()) {
    const double v = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    d = std::max(d, std::abs(i / n1 - j / n2));
  }
  const double ne = n1 * n2 / (n1 + n2), sq = std::sqrt(ne);
  return {d, kolmogorov_sf((sq + 0.12 + 0.11 / sq) * d)};
}

}  // namespace sbi::test
