// Finite-difference check of analytic derivatives (morphing.hpp, "Derivative checker").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sbi/error.hpp"
#include "sbi/morphing.hpp"

namespace sbi {

void DerivativeCheckOptions::validate() const {
  if (!(relative_step > 0.0 && relative_step < 1.0))
    throw InvalidArgument(fmt::format("relative_step = {}: must be in (0, 1)", relative_step));
  if (!(relative_floor >= 0.0 && relative_floor < 1.0))
    throw InvalidArgument(fmt::format("relative_floor = {}: must be in [0, 1)", relative_floor));
  if (!(tolerance > 0.0)) throw InvalidArgument(fmt::format("tolerance = {}: must be > 0", tolerance));
}

bool DerivativeCheckResult::passed() const {
  return max_gradient_relative_error <= tolerance &&
         (std::isnan(max_hessian_relative_error) || max_hessian_relative_error <= tolerance);
}

std::string DerivativeCheckResult::report() const {
  return fmt::format(
      "derivative check {}: gradient max rel. error {:.3g} (point {}, output {}, parameter {}); Hessian max rel. error "
      "{:.3g} (point {}, output {}, parameters {},{}); tolerance {:.3g}",
      passed() ? "passed" : "FAILED", max_gradient_relative_error, worst_gradient_point, worst_gradient_output,
      worst_gradient_parameter, max_hessian_relative_error, worst_hessian_point, worst_hessian_output,
      worst_hessian_parameter_p, worst_hessian_parameter_q, tolerance);
}

namespace {

/// Relative errors of `numeric` against `analytic` (same shape), each entry scaled by
/// max(|a|, |n|, floor · max|analytic|). Returns the largest and its (row, column).
double worst_relative_error(const RowMatrix& analytic, const RowMatrix& numeric, double relative_floor, Index* row,
                            Index* col) {
  const double floor = relative_floor * std::max(analytic.cwiseAbs().maxCoeff(), numeric.cwiseAbs().maxCoeff());
  double worst = 0.0;
  for (Index i = 0; i < analytic.rows(); ++i)
    for (Index j = 0; j < analytic.cols(); ++j) {
      const double a = analytic(i, j), n = numeric(i, j);
      const double scale = std::max({std::abs(a), std::abs(n), floor, std::numeric_limits<double>::min()});
      const double error = std::abs(a - n) / scale;
      if (!(error <= worst)) {  // also catches NaN
        worst = std::isnan(error) ? std::numeric_limits<double>::infinity() : error;
        *row = i;
        *col = j;
      }
    }
  return worst;
}

}  // namespace

DerivativeCheckResult check_derivatives(const VectorFunction& value, const JacobianFunction& gradient,
                                        const JacobianFunction& hessian, const RowMatrix& thetas,
                                        const DerivativeCheckOptions& options) {
  options.validate();
  if (!value || !gradient) throw InvalidArgument("check_derivatives: value and gradient functions are required");
  DerivativeCheckResult result;
  result.tolerance = options.tolerance;
  result.max_hessian_relative_error = hessian ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  const Index P = thetas.cols();
  for (Index t = 0; t < thetas.rows(); ++t) {
    const Vector theta = thetas.row(t).transpose();
    const RowMatrix analytic_gradient = gradient(theta);
    const Index n_out = analytic_gradient.cols();
    if (analytic_gradient.rows() != P)
      throw InvalidArgument(fmt::format("gradient: {} rows: must be {} (one per parameter)", analytic_gradient.rows(), P));
    RowMatrix numeric_gradient(P, n_out);
    RowMatrix analytic_hessian, numeric_hessian;
    if (hessian) {
      analytic_hessian = hessian(theta);
      if (analytic_hessian.rows() != P * P || analytic_hessian.cols() != n_out)
        throw InvalidArgument(fmt::format("Hessian: shape {} × {}: must be {} × {}", analytic_hessian.rows(),
                                          analytic_hessian.cols(), P * P, n_out));
      numeric_hessian.resize(P * P, n_out);
    }
    for (Index p = 0; p < P; ++p) {
      const double h = options.relative_step * std::max(1.0, std::abs(theta(p)));
      Vector plus = theta, minus = theta;
      plus(p) += h;
      minus(p) -= h;
      const double step = plus(p) - minus(p);  // the step actually taken, after rounding
      numeric_gradient.row(p) = ((value(plus) - value(minus)) / step).transpose();
      if (hessian) {
        const RowMatrix difference = (gradient(plus) - gradient(minus)) / step;  // row q = ∂_p ∂_q
        for (Index q = 0; q < P; ++q) numeric_hessian.row(p * P + q) = difference.row(q);
      }
    }
    Index row = -1, col = -1;
    const double gradient_error = worst_relative_error(analytic_gradient, numeric_gradient, options.relative_floor, &row, &col);
    if (gradient_error >= result.max_gradient_relative_error) {
      result.max_gradient_relative_error = gradient_error;
      result.worst_gradient_point = t;
      result.worst_gradient_parameter = row;
      result.worst_gradient_output = col;
    }
    if (hessian) {
      const double hessian_error = worst_relative_error(analytic_hessian, numeric_hessian, options.relative_floor, &row, &col);
      if (hessian_error >= result.max_hessian_relative_error) {
        result.max_hessian_relative_error = hessian_error;
        result.worst_hessian_point = t;
        result.worst_hessian_output = col;
        result.worst_hessian_parameter_p = row / P;
        result.worst_hessian_parameter_q = row % P;
      }
    }
  }
  return result;
}

DerivativeCheckResult check_morphing_derivatives(const Morphing& morphing, const RowMatrix& thetas,
                                                 const DerivativeCheckOptions& options) {
  return check_derivatives([&](const Vector& theta) { return morphing.weights(theta); },
                           [&](const Vector& theta) { return morphing.weight_gradients(theta); },
                           [&](const Vector& theta) { return morphing.weight_hessians(theta); }, thetas, options);
}

}  // namespace sbi
