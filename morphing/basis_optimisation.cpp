// Basis optimisation (morphing.hpp, "Basis optimisation"): random candidates + L-BFGS refinement
// of the free benchmark points with the analytic gradient of the criterion, and MadMiner's
// random search as a baseline.
#include <fmt/format.h>

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numbers>
#include <random>

#include "morphing_internal.hpp"
#include "sbi/error.hpp"
#include "sbi/morphing.hpp"

namespace sbi {

// ---- names ----

std::string to_string(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::converged_function: return "converged_function";
    case TerminationReason::converged_gradient: return "converged_gradient";
    case TerminationReason::max_iterations: return "max_iterations";
    case TerminationReason::line_search_stalled: return "line_search_stalled";
    case TerminationReason::no_free_benchmarks: return "no_free_benchmarks";
  }
  return "unknown";
}

std::string to_string(Prior prior) { return prior == Prior::flat ? "flat" : "gaussian"; }

Prior prior_from_string(const std::string& name) {
  if (name == "flat") return Prior::flat;
  if (name == "gaussian") return Prior::gaussian;
  throw InvalidArgument(fmt::format("prior = '{}': must be one of flat, gaussian", name));
}

std::string to_string(BasisCriterion criterion) {
  switch (criterion) {
    case BasisCriterion::expected_squared_weights: return "expected_squared_weights";
    case BasisCriterion::cross_section_dilution: return "cross_section_dilution";
    case BasisCriterion::cross_section_dilution_equal_events: return "cross_section_dilution_equal_events";
  }
  return "unknown";
}

BasisCriterion basis_criterion_from_string(const std::string& name) {
  for (auto c : {BasisCriterion::expected_squared_weights, BasisCriterion::cross_section_dilution,
                 BasisCriterion::cross_section_dilution_equal_events})
    if (name == to_string(c)) return c;
  throw InvalidArgument(fmt::format("criterion = '{}': must be one of expected_squared_weights, cross_section_dilution, "
                                    "cross_section_dilution_equal_events",
                                    name));
}

// ---- options and report ----

void BasisOptimisationOptions::validate() const {
  auto positive = [](const char* field, Index value, Index minimum) {
    if (value < minimum) throw InvalidArgument(fmt::format("{} = {}: must be ≥ {}", field, value, minimum));
  };
  positive("n_overcomplete", n_overcomplete, 0);
  positive("n_restarts", n_restarts, 1);
  positive("max_iterations", max_iterations, 1);
  positive("lbfgs_memory", lbfgs_memory, 1);
  positive("n_quadrature_points", n_quadrature_points, 1);
  positive("madminer_trials", madminer_trials, 1);
  positive("madminer_test_thetas", madminer_test_thetas, 1);
  positive("n_evaluation_points", n_evaluation_points, 0);
  if (n_random_candidates < n_restarts)
    throw InvalidArgument(fmt::format("n_random_candidates = {}: must be ≥ n_restarts = {}", n_random_candidates,
                                      n_restarts));
  if (!(benchmark_range_scale > 0.0 && std::isfinite(benchmark_range_scale)))
    throw InvalidArgument(fmt::format("benchmark_range_scale = {}: must be finite and > 0", benchmark_range_scale));
  if (!(function_tolerance >= 0.0))
    throw InvalidArgument(fmt::format("function_tolerance = {}: must be ≥ 0", function_tolerance));
  if (!(gradient_tolerance >= 0.0))
    throw InvalidArgument(fmt::format("gradient_tolerance = {}: must be ≥ 0", gradient_tolerance));
  if (!(max_condition_number > 1.0))
    throw InvalidArgument(fmt::format("max_condition_number = {}: must be > 1", max_condition_number));
  for (Index p = 0; p < gaussian_width.size(); ++p)
    if (!(gaussian_width(p) > 0.0 && std::isfinite(gaussian_width(p))))
      throw InvalidArgument(fmt::format("gaussian_width[{}] = {}: must be finite and > 0", p, gaussian_width(p)));
  if (!gaussian_mean.allFinite()) throw InvalidArgument("gaussian_mean: must be finite");
}

std::string BasisOptimisationResult::report() const {
  std::string out = fmt::format(
      "basis optimisation: {} benchmarks ({} fixed), objective {:.6g} (best random candidate {:.6g}), condition number "
      "{:.4g}, {} restarts, {} iterations, {} evaluations, termination {}",
      benchmarks.rows(), n_fixed, objective, best_random_objective, condition_number, restarts, iterations,
      function_evaluations, to_string(termination));
  if (madminer_objective) out += fmt::format("; MadMiner random search {:.6g}", *madminer_objective);
  if (evaluation_objective) out += fmt::format("; on the evaluation sample {:.6g}", *evaluation_objective);
  if (madminer_evaluation_objective) out += fmt::format(" vs MadMiner {:.6g}", *madminer_evaluation_objective);
  return out;
}

namespace {

// ---- random numbers, portable across standard libraries (no std::*_distribution) ----

std::mt19937_64 stream(std::uint64_t seed, std::uint32_t purpose) {
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), purpose};
  return std::mt19937_64(sequence);
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double standard_normal(std::mt19937_64& rng) {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const double u = 1.0 - uniform01(rng), v = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

enum StreamPurpose : std::uint32_t { candidates = 1, quadrature = 2, evaluation = 3, madminer = 4 };

void check_ranges(const RowMatrix& ranges, Index n_p) {
  if (ranges.rows() != n_p || ranges.cols() != 2)
    throw InvalidArgument(fmt::format("ranges: shape {} × {}: must be {} × 2 (low, high per parameter)", ranges.rows(),
                                      ranges.cols(), n_p));
  for (Index p = 0; p < n_p; ++p)
    if (!(std::isfinite(ranges(p, 0)) && std::isfinite(ranges(p, 1)) && ranges(p, 0) < ranges(p, 1)))
      throw InvalidArgument(fmt::format("ranges[{}] = [{}, {}]: must be finite with low < high", p, ranges(p, 0),
                                        ranges(p, 1)));
}

Vector prior_mean(const RowMatrix& ranges, const BasisOptimisationOptions& options) {
  if (options.gaussian_mean.size() > 0) return options.gaussian_mean;
  return 0.5 * (ranges.col(0) + ranges.col(1));
}

Vector prior_width(const RowMatrix& ranges, const BasisOptimisationOptions& options) {
  if (options.gaussian_width.size() > 0) return options.gaussian_width;
  return 0.5 * (ranges.col(1) - ranges.col(0));
}

void check_prior(const RowMatrix& ranges, const BasisOptimisationOptions& options) {
  const Index n_p = ranges.rows();
  if (options.gaussian_mean.size() != 0 && options.gaussian_mean.size() != n_p)
    throw InvalidArgument(fmt::format("gaussian_mean: {} values: must be {} (one per parameter) or none",
                                      options.gaussian_mean.size(), n_p));
  if (options.gaussian_width.size() != 0 && options.gaussian_width.size() != n_p)
    throw InvalidArgument(fmt::format("gaussian_width: {} values: must be {} (one per parameter) or none",
                                      options.gaussian_width.size(), n_p));
}

RowMatrix uniform_points(const Vector& low, const Vector& high, Index n, std::mt19937_64& rng) {
  RowMatrix points(n, low.size());
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < low.size(); ++p) points(i, p) = low(p) + (high(p) - low(p)) * uniform01(rng);
  return points;
}

/// E[θ_p^k] for k = 0..K under the prior.
Vector prior_moments(const RowMatrix& ranges, const BasisOptimisationOptions& options, Index p, Index K) {
  Vector m(K + 1);
  if (options.prior == Prior::flat) {
    // (b^{k+1} − a^{k+1}) / ((k+1)(b − a)), evaluated as the mean of a^i b^{k−i} to avoid cancellation.
    const double a = ranges(p, 0), b = ranges(p, 1);
    for (Index k = 0; k <= K; ++k) {
      double sum = 0.0;
      for (Index i = 0; i <= k; ++i) sum += std::pow(a, static_cast<double>(i)) * std::pow(b, static_cast<double>(k - i));
      m(k) = sum / static_cast<double>(k + 1);
    }
  } else {
    // Normal(μ, s²): m_k = μ m_{k−1} + (k − 1) s² m_{k−2}.
    const double mu = prior_mean(ranges, options)(p), s = prior_width(ranges, options)(p);
    m(0) = 1.0;
    if (K >= 1) m(1) = mu;
    for (Index k = 2; k <= K; ++k) m(k) = mu * m(k - 1) + static_cast<double>(k - 1) * s * s * m(k - 2);
  }
  return m;
}

/// The criterion of morphing.hpp as a function of all benchmark points, with its gradient.
class Objective {
 public:
  Objective(const IntRowMatrix& components, const RowMatrix& ranges, const BasisOptimisationOptions& options,
            const std::optional<Vector>& component_cross_sections)
      : components_(components), criterion_(options.criterion), max_condition_(options.max_condition_number) {
    const Index C = components.rows(), P = components.cols();
    if (criterion_ == BasisCriterion::expected_squared_weights) {
      // H = G = E[φφᵀ], exact: G_cd = Π_p E[θ_p^{α_cp + α_dp}] for independent parameters.
      std::vector<Vector> moments;
      for (Index p = 0; p < P; ++p) moments.push_back(prior_moments(ranges, options, p, 2 * components.col(p).maxCoeff()));
      h_.resize(C, C);
      for (Index c = 0; c < C; ++c)
        for (Index d = 0; d < C; ++d) {
          double g = 1.0;
          for (Index p = 0; p < P; ++p) g *= moments[static_cast<std::size_t>(p)](components(c, p) + components(d, p));
          h_(c, d) = g;
        }
      return;
    }
    if (!component_cross_sections)
      throw InvalidArgument(fmt::format("criterion = {}: needs the component cross sections (σ(θ) = φ(θ)ᵀ s); pass "
                                        "Morphing::component_cross_sections(benchmark cross sections)",
                                        to_string(criterion_)));
    if (component_cross_sections->size() != C)
      throw InvalidArgument(fmt::format("component cross sections: {} values: must be {} (one per component)",
                                        component_cross_sections->size(), C));
    s_ = *component_cross_sections;
    // H = E[φφᵀ ρ(θ)] on a fixed sample from the prior, ρ = 1/σ(θ) or 1/σ(θ)².
    const RowMatrix thetas = sample_prior(ranges, options, options.n_quadrature_points,
                                          options.seed ^ 0x9e3779b97f4a7c15ULL);
    const detail::ColMatrix phi = detail::values(components, thetas);
    const Vector sigma = phi * s_;
    Vector rho(thetas.rows());
    for (Index t = 0; t < thetas.rows(); ++t) {
      if (!(sigma(t) > 0.0))
        throw InvalidArgument(fmt::format("component cross sections give σ(θ) = {} ≤ 0 at θ = ({}) inside the prior; the "
                                          "cross-section criteria need a positive cross section everywhere",
                                          sigma(t), fmt::join(thetas.row(t), ", ")));
      rho(t) = criterion_ == BasisCriterion::cross_section_dilution ? 1.0 / sigma(t) : 1.0 / (sigma(t) * sigma(t));
    }
    h_ = phi.transpose() * rho.asDiagonal() * phi / static_cast<double>(thetas.rows());
  }

  /// J(points) for all B benchmark points (B × P); with `gradient`, also ∂J/∂points (B × P).
  /// +∞ for a basis whose condition estimate exceeds the bound or with σ_b ≤ 0.
  double evaluate(const RowMatrix& points, RowMatrix* gradient) const {
    constexpr double infinity = std::numeric_limits<double>::infinity();
    const Index B = points.rows();
    const detail::ColMatrix theta = detail::values(components_, points);  // B × C
    const Vector scale = theta.colwise().norm().cwiseInverse().transpose();
    if (!scale.allFinite()) return infinity;
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(theta * scale.asDiagonal());
    const Vector r = qr.matrixQR().diagonal().cwiseAbs();
    // |R_11|/|R_CC| of a column-pivoted QR: a cheap lower estimate of κ; the final basis gets the SVD.
    if (!(r.maxCoeff() <= max_condition_ * r.minCoeff())) return infinity;
    const Eigen::MatrixXd m = scale.asDiagonal() * qr.solve(Eigen::MatrixXd::Identity(B, B));  // C × B

    Vector g = Vector::Ones(B), g_prime = Vector::Zero(B);
    if (criterion_ != BasisCriterion::expected_squared_weights) {
      const Vector sigma = theta * s_;
      for (Index b = 0; b < B; ++b) {
        if (!(sigma(b) > 0.0)) return infinity;
        if (criterion_ == BasisCriterion::cross_section_dilution) {
          g(b) = sigma(b);
          g_prime(b) = 1.0;
        } else {
          g(b) = static_cast<double>(B) * sigma(b) * sigma(b);
          g_prime(b) = 2.0 * static_cast<double>(B) * sigma(b);
        }
      }
    }
    const Eigen::MatrixXd k = m.transpose() * (h_ * m);  // B × B, K = Mᵀ H M
    const double value = g.dot(k.diagonal());
    if (!std::isfinite(value)) return infinity;
    if (gradient) {
      // ∂J/∂Θ = −2 K D Mᵀ + 2 (1 − ΘM) D K Mᵀ (morphing.hpp, optimise_basis); the second term is
      // zero for D = 1 but not for the cross-section criteria of an over-complete basis.
      const Eigen::MatrixXd mt = m.transpose();
      const Eigen::MatrixXd dkmt = g.asDiagonal() * (k * mt);
      const Eigen::MatrixXd d_theta = -2.0 * (k * g.asDiagonal()) * mt + 2.0 * (dkmt - theta * (m * dkmt));
      gradient->resize(B, points.cols());
      const Vector dg = g_prime.cwiseProduct(k.diagonal());
      detail::for_each_gradient(components_, points, [&](Index q, const detail::ColMatrix& d_phi) {
        gradient->col(q) = d_theta.cwiseProduct(d_phi).rowwise().sum();
        if (criterion_ != BasisCriterion::expected_squared_weights) gradient->col(q) += dg.cwiseProduct(d_phi * s_);
      });
    }
    return value;
  }

 private:
  IntRowMatrix components_;
  BasisCriterion criterion_;
  double max_condition_;
  Eigen::MatrixXd h_;
  Vector s_;
};

struct LbfgsOutcome {
  Vector x;
  double value = 0.0;
  Index iterations = 0;
  Index evaluations = 0;
  TerminationReason reason = TerminationReason::max_iterations;
};

/// L-BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4 and 7.5) with Armijo backtracking.
LbfgsOutcome minimise_lbfgs(const std::function<double(const Vector&, Vector*)>& f, Vector x,
                            const BasisOptimisationOptions& options) {
  LbfgsOutcome out;
  Vector g;
  double value = f(x, &g);
  out.evaluations = 1;
  std::deque<Vector> s_history, y_history;
  std::deque<double> rho_history;
  out.reason = TerminationReason::max_iterations;
  for (Index iteration = 0; iteration < options.max_iterations; ++iteration) {
    if (g.lpNorm<Eigen::Infinity>() <= options.gradient_tolerance) {
      out.reason = TerminationReason::converged_gradient;
      break;
    }
    // Two-loop recursion: d = −H_k g.
    Vector q = g;
    std::vector<double> alpha(s_history.size());
    for (std::size_t i = s_history.size(); i-- > 0;) {
      alpha[i] = rho_history[i] * s_history[i].dot(q);
      q -= alpha[i] * y_history[i];
    }
    const double first_step = 0.1 / std::max(g.lpNorm<Eigen::Infinity>(), 1e-300);  // 0.1 rad at most at first
    const double gamma = s_history.empty() ? first_step
                                           : s_history.back().dot(y_history.back()) / y_history.back().squaredNorm();
    Vector direction = gamma * q;
    for (std::size_t i = 0; i < s_history.size(); ++i) {
      const double beta = rho_history[i] * y_history[i].dot(direction);
      direction += (alpha[i] - beta) * s_history[i];
    }
    direction = -direction;
    double slope = g.dot(direction);
    if (!(slope < 0.0)) {  // not a descent direction: restart from steepest descent
      s_history.clear();
      y_history.clear();
      rho_history.clear();
      direction = -first_step * g;
      slope = g.dot(direction);
    }
    double step = 1.0;
    bool accepted = false;
    Vector x_new, g_new;
    double value_new = 0.0;
    for (int trial = 0; trial < 60; ++trial) {
      x_new = x + step * direction;
      value_new = f(x_new, &g_new);
      ++out.evaluations;
      if (std::isfinite(value_new) && value_new <= value + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      out.reason = TerminationReason::line_search_stalled;
      break;
    }
    const Vector s = x_new - x, y = g_new - g;
    const double sy = s.dot(y);
    if (sy > 1e-12 * s.norm() * y.norm()) {
      s_history.push_back(s);
      y_history.push_back(y);
      rho_history.push_back(1.0 / sy);
      if (static_cast<Index>(s_history.size()) > options.lbfgs_memory) {
        s_history.pop_front();
        y_history.pop_front();
        rho_history.pop_front();
      }
    }
    const double change = value - value_new;
    x = x_new;
    g = g_new;
    value = value_new;
    ++out.iterations;
    if (std::abs(change) <= options.function_tolerance * std::max(std::abs(value), 1e-300)) {
      out.reason = TerminationReason::converged_function;
      break;
    }
  }
  out.x = x;
  out.value = value;
  return out;
}

RowMatrix stack(const RowMatrix& fixed, const RowMatrix& free) {
  RowMatrix all(fixed.rows() + free.rows(), std::max(fixed.cols(), free.cols()));
  if (fixed.rows() > 0) all.topRows(fixed.rows()) = fixed;
  if (free.rows() > 0) all.bottomRows(free.rows()) = free;
  return all;
}

}  // namespace

RowMatrix sample_prior(const RowMatrix& ranges, const BasisOptimisationOptions& options, Index n_points,
                       std::uint64_t seed) {
  check_ranges(ranges, ranges.rows());
  check_prior(ranges, options);
  auto rng = stream(seed, quadrature);
  if (options.prior == Prior::flat) return uniform_points(ranges.col(0), ranges.col(1), n_points, rng);
  const Vector mean = prior_mean(ranges, options), width = prior_width(ranges, options);
  RowMatrix points(n_points, ranges.rows());
  for (Index i = 0; i < n_points; ++i)
    for (Index p = 0; p < ranges.rows(); ++p) points(i, p) = mean(p) + width(p) * standard_normal(rng);
  return points;
}

double basis_objective(const IntRowMatrix& components, const RowMatrix& ranges, const RowMatrix& benchmarks,
                       const BasisOptimisationOptions& options,
                       const std::optional<Vector>& component_cross_sections, RowMatrix* gradient) {
  options.validate();
  detail::check_components(components);
  check_ranges(ranges, components.cols());
  check_prior(ranges, options);
  if (benchmarks.cols() != components.cols() || benchmarks.rows() < components.rows())
    throw InvalidArgument(fmt::format("benchmarks: shape {} × {}: must be ≥ {} × {}", benchmarks.rows(),
                                      benchmarks.cols(), components.rows(), components.cols()));
  const Objective objective(components, ranges, options, component_cross_sections);
  return objective.evaluate(benchmarks, gradient);
}

double sampled_basis_objective(const IntRowMatrix& components, const RowMatrix& benchmarks, const RowMatrix& thetas,
                               BasisCriterion criterion, const std::optional<Vector>& component_cross_sections) {
  std::optional<Morphing> morphing;
  try {
    morphing.emplace(components, benchmarks);
  } catch (const NumericalError&) {
    return std::numeric_limits<double>::infinity();
  }
  const RowMatrix w = morphing->weights_at_points(thetas);  // T × B
  if (criterion == BasisCriterion::expected_squared_weights) return w.rowwise().squaredNorm().mean();
  if (!component_cross_sections || component_cross_sections->size() != components.rows())
    throw InvalidArgument(fmt::format("criterion = {}: needs one component cross section per component",
                                      to_string(criterion)));
  const Vector sigma_b = detail::values(components, benchmarks) * *component_cross_sections;
  const Vector sigma = detail::values(components, thetas) * *component_cross_sections;
  const double B = static_cast<double>(benchmarks.rows());
  double sum = 0.0;
  for (Index t = 0; t < thetas.rows(); ++t) {
    const auto row = w.row(t).array();
    if (criterion == BasisCriterion::cross_section_dilution)
      sum += (row.square() * sigma_b.transpose().array()).sum() / sigma(t);
    else
      sum += B * (row.square() * sigma_b.transpose().array().square()).sum() / (sigma(t) * sigma(t));
  }
  return sum / static_cast<double>(thetas.rows());
}

RowMatrix madminer_random_basis(const IntRowMatrix& components, const RowMatrix& ranges,
                                const RowMatrix& fixed_benchmarks, Index n_free, Index n_trials, Index n_test_thetas,
                                std::uint64_t seed) {
  check_ranges(ranges, components.cols());
  auto rng = stream(seed, madminer);
  RowMatrix best;
  double best_score = std::numeric_limits<double>::infinity();
  for (Index trial = 0; trial < n_trials; ++trial) {
    const RowMatrix basis = stack(fixed_benchmarks, uniform_points(ranges.col(0), ranges.col(1), n_free, rng));
    const RowMatrix thetas = uniform_points(ranges.col(0), ranges.col(1), n_test_thetas, rng);
    try {
      const Morphing morphing(components, basis);
      const double score = morphing.weights_at_points(thetas).rowwise().squaredNorm().mean();
      if (score < best_score) {
        best_score = score;
        best = basis;
      }
    } catch (const NumericalError&) {
      continue;
    }
  }
  if (best.rows() == 0) throw NumericalError("MadMiner random search: every random basis was degenerate");
  return best;
}

BasisOptimisationResult optimise_basis(const IntRowMatrix& components, const RowMatrix& ranges,
                                       const RowMatrix& fixed_benchmarks, const BasisOptimisationOptions& options,
                                       const std::optional<Vector>& component_cross_sections) {
  options.validate();
  detail::check_components(components);
  const Index C = components.rows(), P = components.cols();
  check_ranges(ranges, P);
  check_prior(ranges, options);
  const Index B = C + options.n_overcomplete;
  const Index F = fixed_benchmarks.rows();
  if (F > 0 && fixed_benchmarks.cols() != P)
    throw InvalidArgument(fmt::format("fixed benchmarks: {} columns: must be {} (one per parameter)",
                                      fixed_benchmarks.cols(), P));
  if (F > B)
    throw InvalidArgument(fmt::format("fixed benchmarks: {} rows: at most {} (components + n_overcomplete)", F, B));
  if (!fixed_benchmarks.allFinite()) throw InvalidArgument("fixed benchmarks: not all finite");
  const RowMatrix fixed = F > 0 ? fixed_benchmarks : RowMatrix(0, P);
  const Index n_free = B - F;

  const Objective objective(components, ranges, options, component_cross_sections);
  BasisOptimisationResult result;
  result.n_fixed = F;

  const Vector centre = 0.5 * (ranges.col(0) + ranges.col(1));
  const Vector half = 0.5 * options.benchmark_range_scale * (ranges.col(1) - ranges.col(0));
  const Vector low = centre - half, high = centre + half;

  RowMatrix best_points;
  if (n_free == 0) {
    best_points = fixed;
    result.objective = objective.evaluate(best_points, nullptr);
    result.best_random_objective = result.objective;
    result.termination = TerminationReason::no_free_benchmarks;
  } else {
    // 1. MadMiner-style random candidates, scored exactly; keep the best n_restarts.
    auto rng = stream(options.seed, candidates);
    std::vector<std::pair<double, RowMatrix>> starts;
    for (Index i = 0; i < options.n_random_candidates; ++i) {
      RowMatrix free = uniform_points(low, high, n_free, rng);
      const double value = objective.evaluate(stack(fixed, free), nullptr);
      ++result.function_evaluations;
      if (!std::isfinite(value)) continue;
      starts.emplace_back(value, std::move(free));
      std::sort(starts.begin(), starts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      if (static_cast<Index>(starts.size()) > options.n_restarts) starts.pop_back();
    }
    if (starts.empty())
      throw NumericalError(fmt::format("basis optimisation: all {} random bases were degenerate (condition number above "
                                       "{:.3g}); widen the ranges or lower the number of benchmarks",
                                       options.n_random_candidates, options.max_condition_number));
    result.best_random_objective = starts.front().first;

    // 2. L-BFGS refinement in u, x = centre + half·sin(u).
    auto to_points = [&](const Vector& u) {
      RowMatrix free(n_free, P);
      for (Index f = 0; f < n_free; ++f)
        for (Index p = 0; p < P; ++p) free(f, p) = centre(p) + half(p) * std::sin(u(f * P + p));
      return free;
    };
    auto f = [&](const Vector& u, Vector* gradient_u) {
      const RowMatrix free = to_points(u);
      RowMatrix gradient_points;
      const double value = objective.evaluate(stack(fixed, free), &gradient_points);
      gradient_u->resize(u.size());
      if (!std::isfinite(value)) return value;
      for (Index i = 0; i < n_free; ++i)
        for (Index p = 0; p < P; ++p)
          (*gradient_u)(i * P + p) = gradient_points(F + i, p) * half(p) * std::cos(u(i * P + p));
      return value;
    };
    double best_value = std::numeric_limits<double>::infinity();
    for (const auto& [value0, free0] : starts) {
      Vector u(n_free * P);
      for (Index i = 0; i < n_free; ++i)
        for (Index p = 0; p < P; ++p)
          u(i * P + p) = std::asin(std::clamp((free0(i, p) - centre(p)) / half(p), -1.0, 1.0));
      const LbfgsOutcome outcome = minimise_lbfgs(f, u, options);
      ++result.restarts;
      result.iterations += outcome.iterations;
      result.function_evaluations += outcome.evaluations;
      if (outcome.value < best_value) {
        best_value = outcome.value;
        best_points = stack(fixed, to_points(outcome.x));
        result.termination = outcome.reason;
      }
    }
    result.objective = best_value;
    // The sin map reaches the box faces only asymptotically; put points within 1e-8 of a face on
    // it when that does not raise the objective (optima of design criteria often lie on faces).
    RowMatrix snapped = best_points;
    for (Index i = F; i < snapped.rows(); ++i)
      for (Index p = 0; p < P; ++p) {
        if (snapped(i, p) - low(p) <= 1e-8 * half(p)) snapped(i, p) = low(p);
        if (high(p) - snapped(i, p) <= 1e-8 * half(p)) snapped(i, p) = high(p);
      }
    const double snapped_value = objective.evaluate(snapped, nullptr);
    if (snapped_value <= best_value * (1.0 + 1e-12)) {
      best_points = snapped;
      result.objective = snapped_value;
    }
  }

  result.benchmarks = best_points;
  MorphingOptions morphing_options;
  morphing_options.max_condition_number = options.max_condition_number;
  const Morphing morphing(components, best_points, morphing_options);
  result.morphing_matrix = morphing.matrix();
  result.condition_number = morphing.condition_number();

  if (options.compare_with_madminer && F <= C) {  // MadMiner's bases are square
    result.madminer_benchmarks = madminer_random_basis(components, ranges, fixed, C - F, options.madminer_trials,
                                                       options.madminer_test_thetas, options.seed);
    result.madminer_objective = objective.evaluate(result.madminer_benchmarks, nullptr);
  }
  if (options.n_evaluation_points > 0) {
    const RowMatrix thetas = sample_prior(ranges, options, options.n_evaluation_points, options.seed ^ 0x5851f42d4c957f2dULL);
    result.evaluation_objective =
        sampled_basis_objective(components, best_points, thetas, options.criterion, component_cross_sections);
    if (result.madminer_objective)
      result.madminer_evaluation_objective = sampled_basis_objective(components, result.madminer_benchmarks, thetas,
                                                                     options.criterion, component_cross_sections);
  }
  return result;
}

}  // namespace sbi
