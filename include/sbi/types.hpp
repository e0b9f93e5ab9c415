#pragma once
/// @file types.hpp
/// Matrix and vector types used across sbi's public interface.
///
/// Event-indexed arrays are row-major: one event is one contiguous row, the layout of HDF5
/// datasets and of NumPy arrays, so files and Python arrays map onto them without a transpose.

#include <Eigen/Core>
#include <cstdint>

namespace sbi {

using Index = Eigen::Index;

/// Dense row-major matrix of doubles (events × observables, events × benchmarks, θ points × P).
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Dense row-major matrix of 64-bit integers (morphing components: n_c × n_p powers).
using IntRowMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Column vector of doubles (a parameter point θ, one weight per benchmark).
using Vector = Eigen::VectorXd;
/// Column vector of 64-bit integers (sampling benchmark per event).
using IntVector = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

/// Equality of two Eigen arrays that is safe for different shapes (Eigen's operator== requires
/// equal shapes): same rows, same columns, same values.
template <typename A, typename B>
bool same_values(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && (a.size() == 0 || (a.derived().array() == b.derived().array()).all());
}

}  // namespace sbi
