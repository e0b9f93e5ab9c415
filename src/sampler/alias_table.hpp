#pragma once
// Walker's alias method (A. J. Walker, ACM TOMS 3 (1977) 253; M. D. Vose, IEEE TSE 17 (1991) 972):
// O(n) construction, O(1) draws from a fixed discrete distribution.

#include <cstdint>
#include <random>
#include <vector>

#include "sbi/types.hpp"

namespace sbi::detail {

class AliasTable {
 public:
  AliasTable() = default;
  /// Table for probabilities ∝ weights (non-negative, not all zero). Empty when the total is zero.
  template <typename Weights>
  explicit AliasTable(const Weights& weights) {
    const auto n = static_cast<std::size_t>(weights.size());
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += weights[static_cast<Index>(i)];
    if (n == 0 || !(total > 0)) return;
    probability_.assign(n, 0.0);
    alias_.assign(n, 0);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    small.reserve(n);
    large.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[static_cast<Index>(i)] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const auto s = small.back(), l = large.back();
      small.pop_back();
      probability_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What remains has probability 1 up to rounding.
    for (auto i : large) probability_[i] = 1.0, alias_[i] = i;
    for (auto i : small) probability_[i] = 1.0, alias_[i] = i;
  }

  bool empty() const { return probability_.empty(); }
  std::size_t size() const { return probability_.size(); }

  template <typename Rng>
  std::uint32_t draw(Rng& rng) const {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double u = uniform(rng) * static_cast<double>(probability_.size());
    auto column = static_cast<std::uint32_t>(u);
    if (column >= probability_.size()) column = static_cast<std::uint32_t>(probability_.size() - 1);
    return (u - column) < probability_[column] ? column : alias_[column];
  }

 private:
  std::vector<double> probability_;
  std::vector<std::uint32_t> alias_;
};

}  // namespace sbi::detail
