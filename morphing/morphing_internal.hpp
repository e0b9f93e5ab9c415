#pragma once
// Private helpers of the morphing module (not installed).
#include <Eigen/Core>
#include <functional>
#include <vector>

#include "sbi/types.hpp"

namespace sbi::detail {

/// Column-major matrices: one component per contiguous column, so that building a monomial for
/// T points is a vectorised product of T-vectors.
using ColMatrix = Eigen::MatrixXd;

/// θ_p^k for every point and k = 0..max power of p (one T × (K_p + 1) table per parameter).
struct PowerTable {
  PowerTable(const IntRowMatrix& components, const RowMatrix& thetas);
  /// out = coefficient · Π_p θ_p^{exponents[p]} for all T points; a negative exponent gives 0
  /// (the derivative of a power that is absent).
  void monomial(const std::int64_t* exponents, Index n_p, double coefficient, Eigen::Ref<Eigen::VectorXd> out) const;
  std::vector<ColMatrix> powers;
};

void check_components(const IntRowMatrix& components);
/// T × C component values.
ColMatrix values(const IntRowMatrix& components, const RowMatrix& thetas);
/// Calls f(q, ∂_q Φ) with the T × C matrix of ∂φ_c/∂θ_q, for q = 0..P−1.
void for_each_gradient(const IntRowMatrix& components, const RowMatrix& thetas,
                       const std::function<void(Index q, const ColMatrix&)>& f);
/// Calls f(q, r, ∂_q∂_r Φ) for q ≤ r.
void for_each_hessian(const IntRowMatrix& components, const RowMatrix& thetas,
                      const std::function<void(Index q, Index r, const ColMatrix&)>& f);

/// A strided view of every P-th row block of a row-major (T·stride) × B matrix, starting at row
/// `first`: rows first, first + stride, … as a T × B matrix, so one GEMM writes them in place.
inline Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> strided_rows(RowMatrix& out, Index first, Index stride, Index T) {
  return {out.data() + first * out.cols(), T, out.cols(), Eigen::OuterStride<>(stride * out.cols())};
}

}  // namespace sbi::detail
