#pragma once
/// @file npy.hpp
/// NumPy .npy files (format versions 1.0–3.0): reading any numeric array, writing float64/int64
/// arrays. Used to exchange samples with MadMiner's trainers (x_train.npy, theta0_train.npy, …)
/// and to read reference data produced with NumPy.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "sbi/types.hpp"

namespace sbi {

/// A numeric array read from a .npy file, converted to double, in C (row-major) order.
struct NpyArray {
  std::vector<std::int64_t> shape;  ///< empty for a scalar
  std::vector<double> values;       ///< Π shape elements, row-major

  Index size() const { return static_cast<Index>(values.size()); }
  /// The array as a matrix: rank 0 → 1×1, rank 1 → n×1, rank 2 → rows×cols. InvalidArgument for
  /// rank > 2.
  RowMatrix matrix() const;
};

/// Reads a .npy file holding a numeric array (bool, int8–int64, uint8–uint64, float32/float64, either
/// byte order, C or Fortran order). Integers beyond 2^53 lose precision in the conversion. Throws
/// FileNotFound, and FormatError naming the file for a bad magic string, header, dtype or a
/// truncated payload.
NpyArray read_npy(const std::filesystem::path& path);

/// Writes a float64 array of the given shape (C order), atomically. `values.size()` must equal the
/// product of `shape`.
void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const double* values);
/// Writes an int64 array of the given shape (C order), atomically.
void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const std::int64_t* values);
/// Writes a matrix as a 2-D float64 array (rows × cols).
void write_npy(const std::filesystem::path& path, const RowMatrix& matrix);
/// Writes a vector as a 1-D float64 array.
void write_npy(const std::filesystem::path& path, const Vector& vector);

}  // namespace sbi
