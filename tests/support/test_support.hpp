#pragma once
/// @file test_support.hpp
/// Shared helpers for sbi's doctest suites: where the real data lives, temporary paths, and
/// closeness checks with a documented meaning (STYLE.md §9).

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>

namespace sbi::test {

/// A vector from its entries: vector_of({0.3, -0.2}).
inline Eigen::VectorXd vector_of(std::initializer_list<double> values) {
  return Eigen::Map<const Eigen::VectorXd>(values.begin(), static_cast<Eigen::Index>(values.size()));
}

/// Directory of the shared real inputs (../shared/data), or nullopt with a message when this
/// checkout has none (a user's clone). Environment variable SBI_SHARED_DATA overrides.
inline std::optional<std::filesystem::path> shared_data() {
  std::filesystem::path dir = SBI_SHARED_DATA_DIR;
  if (const char* env = std::getenv("SBI_SHARED_DATA")) dir = env;
  if (std::filesystem::is_directory(dir)) return dir;
  return std::nullopt;
}

/// Path of a file in the shared data, or nullopt; prints why the calling test is skipped.
inline std::optional<std::filesystem::path> shared_file(const std::string& relative) {
  auto dir = shared_data();
  if (!dir) {
    MESSAGE("skipped: no shared data directory (" << SBI_SHARED_DATA_DIR << "); real-file checks run in CI");
    return std::nullopt;
  }
  auto path = *dir / relative;
  if (!std::filesystem::exists(path)) {
    MESSAGE("skipped: " << path.string() << " is absent");
    return std::nullopt;
  }
  return path;
}

/// A fresh path in the build tree's test_tmp directory (removed first if it exists).
inline std::filesystem::path temp_path(const std::string& name) {
  std::filesystem::path dir = SBI_TEST_TMP_DIR;
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove_all(path);
  return path;
}

/// Relative closeness: |a − b| ≤ rel · max(|a|, |b|) + abs. `abs` guards values near zero.
inline bool close(double a, double b, double rel, double abs = 0.0) {
  return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + abs;
}

/// Largest element-wise relative difference |a − b| / max(|a|, |b|, floor) between two arrays of
/// the same shape; `floor` keeps entries that are both tiny from dominating.
template <typename A, typename B>
double max_relative_difference(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b, double floor = 1e-300) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  double worst = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      const double x = a(i, j), y = b(i, j);
      const double scale = std::max({std::abs(x), std::abs(y), floor});
      worst = std::max(worst, std::abs(x - y) / scale);
    }
  return worst;
}

}  // namespace sbi::test

/// Checks that two Eigen arrays agree element-wise to relative tolerance `rel`, printing the worst
/// difference on failure.
#define SBI_CHECK_ARRAYS_CLOSE(a, b, rel)                                        \
  do {                                                                           \
    const double sbi_worst_ = ::sbi::test::max_relative_difference((a), (b));    \
    CHECK_MESSAGE(sbi_worst_ <= (rel), "largest relative difference " << sbi_worst_ << " > " << (rel)); \
  } while (0)
