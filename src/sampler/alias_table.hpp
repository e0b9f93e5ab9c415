#pragma once
// Walker's alias method (A. J. Walker, ACM TOMS 3 (1977) 253; M. D. Vose, IEEE TSE 17 (1991) 972):
// O(n) construction, O(1) draws from a fixed discrete distribution.

#include <cstdint>
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
    entries_.assign(n, Entry{});
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
      entries_[s] = Entry{scaled[s], l};
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What remains has probability 1 up to rounding.
    for (auto i : large) entries_[i] = Entry{1.0, i};
    for (auto i : small) entries_[i] = Entry{1.0, i};
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

  /// A draw in two steps, so that callers can prefetch the column's entry between them: a
  /// uniform column in [0, size()), then `coin`, uniform in [0, 1), keeps it or takes its alias.
  const void* address(std::uint64_t column) const { return &entries_[column]; }
  std::uint32_t resolve(std::uint64_t column, double coin) const {
    const Entry& entry = entries_[column];
    return coin < entry.probability ? static_cast<std::uint32_t>(column) : entry.alias;
  }

 private:
  // Probability and alias side by side: one cache line per draw.
  struct Entry {
    double probability = 1.0;
    std::uint32_t alias = 0;
  };
  std::vector<Entry> entries_;
};

}  // namespace sbi::detail
