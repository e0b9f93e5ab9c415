// Histogram binning: adaptive edges (weighted quantiles), bin lookup, MadMiner's default bins.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "limits_internal.hpp"
#include "sbi/error.hpp"

namespace sbi::detail {

std::vector<double> adaptive_edges(const Eigen::Ref<const Vector>& values, const Vector& weights, Index n_bins) {
  const Index n = values.size();
  if (n == 0) throw InvalidArgument("adaptive binning: no events to place the edges");
  if (weights.size() != n) throw InvalidArgument(fmt::format("adaptive binning: {} values but {} weights", n, weights.size()));
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return values(a) < values(b); });
  double total = 0;
  for (Index i = 0; i < n; ++i) total += std::max(weights(i), 0.0);
  std::vector<double> edges = {values(order.front())};
  if (total > 0 && n_bins > 1) {
    // Edge k at the first value where the cumulative weight reaches k/n_bins of the total.
    double cumulative = 0;
    Index k = 1;
    for (std::size_t r = 0; r < order.size() && k < n_bins; ++r) {
      cumulative += std::max(weights(order[r]), 0.0);
      while (k < n_bins && cumulative >= total * static_cast<double>(k) / static_cast<double>(n_bins)) {
        // Between this value and the next one, so that ties stay in one bin.
        const double v = values(order[r]);
        const double next = r + 1 < order.size() ? values(order[r + 1]) : v;
        edges.push_back(0.5 * (v + next));
        ++k;
      }
    }
  }
  edges.push_back(values(order.back()));
  // Remove zero-width bins (ties, discrete observables), as MadMiner does.
  std::vector<double> unique = {edges.front()};
  for (std::size_t i = 1; i < edges.size(); ++i)
    if (edges[i] > unique.back()) unique.push_back(edges[i]);
  if (unique.size() < 2) unique.push_back(unique.back());  // one value only: a single bin
  return unique;
}

std::vector<Index> bin_indices(const RowMatrix& values, const std::vector<std::vector<double>>& edges, Index* n_bins_total) {
  const Index n = values.rows(), d = values.cols();
  if (static_cast<Index>(edges.size()) != d)
    throw InvalidArgument(fmt::format("histogram: {} axes of values but {} binnings", d, edges.size()));
  std::vector<Index> sizes(static_cast<std::size_t>(d));
  Index total = 1;
  for (Index a = 0; a < d; ++a) {
    sizes[static_cast<std::size_t>(a)] = std::max<Index>(1, static_cast<Index>(edges[static_cast<std::size_t>(a)].size()) - 1);
    total *= sizes[static_cast<std::size_t>(a)];
  }
  if (n_bins_total) *n_bins_total = total;
  std::vector<Index> out(static_cast<std::size_t>(n), 0);
  for (Index i = 0; i < n; ++i) {
    Index flat = 0;
    for (Index a = 0; a < d; ++a) {
      const auto& e = edges[static_cast<std::size_t>(a)];
      const Index m = sizes[static_cast<std::size_t>(a)];
      const double v = values(i, a);
      if (std::isnan(v)) throw DataError(fmt::format("histogram: the value of axis {} at event {} is NaN", a, i));
      // Interior edges e[1..m−1]: the bin is the number of them ≤ v (outer bins open).
      const auto it = std::upper_bound(e.begin() + 1, e.begin() + m, v);
      const Index bin = static_cast<Index>(it - (e.begin() + 1));
      flat = flat * m + bin;
    }
    out[static_cast<std::size_t>(i)] = flat;
  }
  return out;
}

std::vector<AxisBinning> expand_binning(const std::vector<AxisBinning>& binning, Index n_axes, LimitMode mode) {
  if (binning.size() == 1) return std::vector<AxisBinning>(static_cast<std::size_t>(n_axes), binning.front());
  if (!binning.empty()) {
    if (static_cast<Index>(binning.size()) != n_axes)
      throw InvalidArgument(fmt::format("binning: {} entries for a histogram with {} axes; give one per axis, or one for all",
                                        binning.size(), n_axes));
    return binning;
  }
  // MadMiner's defaults (AsymptoticLimits._find_bins).
  std::vector<AxisBinning> out;
  if (mode == LimitMode::AdaptiveSally && n_axes == 2) return {AxisBinning::adaptive(15), AxisBinning::adaptive(5)};
  if (mode == LimitMode::AdaptiveSally && n_axes > 2) {
    out.push_back(AxisBinning::adaptive(12));
    for (Index a = 1; a < n_axes; ++a) out.push_back(AxisBinning::adaptive(5));
    return out;
  }
  const Index per_axis = n_axes == 1 ? 25 : n_axes == 2 ? 8 : 5;
  for (Index a = 0; a < n_axes; ++a) out.push_back(AxisBinning::adaptive(per_axis));
  return out;
}

}  // namespace sbi::detail
