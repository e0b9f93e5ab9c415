#pragma once
// Exact per-θ statistics of the morphed weights w_i(θ) = a_i·φ(θ) without visiting every event.
//
// The sampler reports, per θ point, the clipped weight Σ_i max(−w_i, 0) and the largest weight
// max_i w_i (n_eff = Σ_i max(w_i, 0) / max_i w_i, with Σ_i max(w_i, 0) = σ + Σ_i max(−w_i, 0)).
// Both are O(N·C) per θ by brute force. Here the points a_i ∈ R^C sit in a k-d tree (median
// splits along the widest coordinate, 32 points per leaf) whose nodes store their bounding box and
// the sum of their points. For a box, a·φ lies in [c·φ − h·|φ|, c·φ + h·|φ|] (c the centre, h the
// half-widths), so a query skips every node that is entirely negative (its Σ a_i·φ is added at once),
// and every node that is entirely positive and cannot beat the largest weight found so far
// (branch and bound). Only nodes that straddle w = 0 or may hold the maximum are opened. The
// results are those of the brute-force pass up to rounding: the bounds carry a margin of a few
// ulps of Σ_c |a_c φ_c|, so no node is skipped because of rounding.
//
// Many θ points are answered in one traversal: each node filters the list of points still
// interested in it, so its data is read once per block of points.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "sbi/types.hpp"

namespace sbi::detail {

class WeightTree {
 public:
  static constexpr Index leaf_size = 32;

  /// Tree over the rows of `a` (n × C).
  explicit WeightTree(const RowMatrix& a) : n_(a.rows()), c_(a.cols()), points_(a) {
    if (n_ == 0) return;
    while (((n_ + (Index{1} << depth_) - 1) >> depth_) > leaf_size) ++depth_;
    nodes_.assign(static_cast<std::size_t>(((Index{1} << (depth_ + 1)) - 1) * 4 * c_), 0.0);
    build(0, 0, n_);
  }

  /// For each row φ of `phi` (m × C): negative[k] = Σ_i max(−a_i·φ, 0) and largest[k] =
  /// max(max_i a_i·φ, 0).
  void statistics(const RowMatrix& phi, double* negative, double* largest) const {
    const Index m = phi.rows();
    std::fill(negative, negative + m, 0.0);
    std::fill(largest, largest + m, 0.0);
    if (n_ == 0 || m == 0) return;
    Query q{phi, phi.cwiseAbs(), negative, largest, std::vector<std::uint32_t>(static_cast<std::size_t>((depth_ + 2) * m))};
    // A good first guess of the largest weight makes the branch and bound prune early: follow the
    // child with the larger upper bound down to a leaf.
    for (Index t = 0; t < m; ++t) {
      Index k = 0, begin = 0, end = n_;
      while (end - begin > leaf_size) {
        const Index mid = begin + (end - begin) / 2;
        if (upper(2 * k + 1, q, t) >= upper(2 * k + 2, q, t)) {
          k = 2 * k + 1;
          end = mid;
        } else {
          k = 2 * k + 2;
          begin = mid;
        }
      }
      for (Index i = begin; i < end; ++i) largest[t] = std::max(largest[t], weight(i, q.phi.row(t).data()));
    }
    std::uint32_t* all = q.lists.data();
    for (Index t = 0; t < m; ++t) all[t] = static_cast<std::uint32_t>(t);
    visit(0, 0, n_, 0, all, m, q);
  }

 private:
  struct Query {
    const RowMatrix& phi;
    RowMatrix abs_phi;
    double* negative;
    double* largest;
    std::vector<std::uint32_t> lists;  // (depth + 2) × m: the points still interested, per level
  };

  // Relative margin on the bounds: the rounding of c·φ ± h·|φ| and of a_i·φ, in units of
  // Σ_c max(|lo_c|, |hi_c|) |φ_c| ≥ Σ_c |a_ic φ_c|.
  double margin_factor() const { return 4.0 * static_cast<double>(c_ + 2) * std::numeric_limits<double>::epsilon(); }

  // Node k: centre, half-widths, largest magnitude and sum of its points, C values each.
  double* node(Index k) { return nodes_.data() + k * 4 * c_; }
  const double* node(Index k) const { return nodes_.data() + k * 4 * c_; }

  double weight(Index i, const double* phi) const {
    const double* p = points_.data() + i * c_;
    double w = 0;
    for (Index c = 0; c < c_; ++c) w += p[c] * phi[c];
    return w;
  }

  // a·φ over a node's box lies in centre ± half; `scale` (Σ_c max|a_c| |φ_c|) sizes the rounding margin.
  struct Bound {
    double centre = 0, half = 0, scale = 0;
  };
  Bound bound(const double* nd, const Query& q, Index t) const {
    const double* f = q.phi.data() + t * c_;
    const double* af = q.abs_phi.data() + t * c_;
    Bound b;
    for (Index c = 0; c < c_; ++c) {
      b.centre += nd[c] * f[c];
      b.half += nd[c_ + c] * af[c];
      b.scale += nd[2 * c_ + c] * af[c];
    }
    return b;
  }

  double upper(Index k, const Query& q, Index t) const {
    const Bound b = bound(node(k), q, t);
    return b.centre + b.half + margin_factor() * b.scale;
  }

  void visit(Index k, Index begin, Index end, Index level, const std::uint32_t* active, Index count, Query& q) const {
    const Index m = q.phi.rows();
    std::uint32_t* kept = q.lists.data() + (level + 1) * m;
    Index n_kept = 0;
    const double* nd = node(k);
    const double margin = margin_factor();
    for (Index a = 0; a < count; ++a) {
      const std::uint32_t t = active[a];
      const auto [centre, half, scale] = bound(nd, q, t);
      const double slack = half + margin * scale;
      if (centre + slack < 0) {  // every weight in the node is negative
        const double* f = q.phi.data() + t * c_;
        double sum = 0;
        for (Index c = 0; c < c_; ++c) sum += nd[3 * c_ + c] * f[c];
        q.negative[t] -= sum;
        continue;
      }
      if (centre - slack > 0 && centre + slack <= q.largest[t]) continue;  // positive, none larger
      kept[n_kept++] = t;
    }
    if (n_kept == 0) return;
    if (end - begin <= leaf_size) {
      for (Index a = 0; a < n_kept; ++a) {
        const std::uint32_t t = kept[a];
        const double* f = q.phi.data() + t * c_;
        double negative = 0, largest = q.largest[t];
        for (Index i = begin; i < end; ++i) {
          const double w = weight(i, f);
          if (w < 0) negative -= w;
          else largest = std::max(largest, w);
        }
        q.negative[t] += negative;
        q.largest[t] = largest;
      }
      return;
    }
    const Index mid = begin + (end - begin) / 2;
    visit(2 * k + 1, begin, mid, level + 1, kept, n_kept, q);
    visit(2 * k + 2, mid, end, level + 1, kept, n_kept, q);
  }

  void build(Index k, Index begin, Index end) {
    std::vector<double> lo(static_cast<std::size_t>(c_), std::numeric_limits<double>::infinity());
    std::vector<double> hi(static_cast<std::size_t>(c_), -std::numeric_limits<double>::infinity());
    for (Index i = begin; i < end; ++i) {
      const double* p = points_.data() + i * c_;
      for (Index c = 0; c < c_; ++c) {
        lo[static_cast<std::size_t>(c)] = std::min(lo[static_cast<std::size_t>(c)], p[c]);
        hi[static_cast<std::size_t>(c)] = std::max(hi[static_cast<std::size_t>(c)], p[c]);
      }
    }
    double* nd = node(k);
    for (Index c = 0; c < c_; ++c) {
      const double l = lo[static_cast<std::size_t>(c)], h = hi[static_cast<std::size_t>(c)];
      nd[c] = 0.5 * l + 0.5 * h;
      nd[c_ + c] = 0.5 * h - 0.5 * l;
      nd[2 * c_ + c] = std::max(std::abs(l), std::abs(h));
    }
    if (end - begin <= leaf_size) {
      for (Index i = begin; i < end; ++i)
        for (Index c = 0; c < c_; ++c) nd[3 * c_ + c] += points_(i, c);
      return;
    }
    Index widest = 0;
    for (Index c = 1; c < c_; ++c)
      if (hi[static_cast<std::size_t>(c)] - lo[static_cast<std::size_t>(c)] >
          hi[static_cast<std::size_t>(widest)] - lo[static_cast<std::size_t>(widest)])
        widest = c;
    const Index mid = begin + (end - begin) / 2;
    select(begin, mid, end, widest);
    build(2 * k + 1, begin, mid);
    build(2 * k + 2, mid, end);
    const double* left = node(2 * k + 1);
    const double* right = node(2 * k + 2);
    for (Index c = 0; c < c_; ++c) nd[3 * c_ + c] = left[3 * c_ + c] + right[3 * c_ + c];
  }

  // Rearranges rows [begin, end) so that the row at `nth` is the one of that rank in column d, the
  // rows before it are ≤ and those after ≥ (std::nth_element on rows). Quickselect with
  // median-of-three pivots and Hoare partitions, swapping whole rows so that the memory accesses
  // stay sequential; a full sort when it takes too many rounds.
  void select(Index begin, Index nth, Index end, Index d) {
    double* p = points_.data();
    const Index C = c_;
    auto key = [&](Index i) { return p[i * C + d]; };
    auto swap_rows = [&](Index i, Index j) { std::swap_ranges(p + i * C, p + i * C + C, p + j * C); };
    int rounds = 2 * static_cast<int>(std::log2(static_cast<double>(end - begin) + 1)) + 8;
    while (end - begin > 16) {
      if (rounds-- == 0) {
        sort_rows(begin, end, d);
        return;
      }
      const Index middle = begin + (end - begin) / 2;
      const double x = key(begin), y = key(middle), z = key(end - 1);
      const double pivot = std::max(std::min(x, y), std::min(std::max(x, y), z));
      Index i = begin - 1, j = end;
      while (true) {
        do ++i;
        while (key(i) < pivot);
        do --j;
        while (key(j) > pivot);
        if (i >= j) break;
        swap_rows(i, j);
      }
      // Rows [begin, j] are ≤ pivot, rows (j, end) ≥ pivot; both are non-empty.
      if (nth <= j) end = j + 1;
      else begin = j + 1;
    }
    for (Index i = begin + 1; i < end; ++i)
      for (Index j = i; j > begin && key(j) < key(j - 1); --j) swap_rows(j, j - 1);
  }

  void sort_rows(Index begin, Index end, Index d) {
    std::vector<Index> order(static_cast<std::size_t>(end - begin));
    std::iota(order.begin(), order.end(), begin);
    std::sort(order.begin(), order.end(), [&](Index i, Index j) { return points_(i, d) < points_(j, d); });
    RowMatrix sorted(end - begin, c_);
    for (std::size_t r = 0; r < order.size(); ++r) sorted.row(static_cast<Index>(r)) = points_.row(order[r]);
    points_.middleRows(begin, end - begin) = sorted;
  }

  Index n_ = 0, c_ = 0;
  Index depth_ = 0;   // depth of the deepest leaf
  RowMatrix points_;  // the rows of a, in tree order
  std::vector<double> nodes_;
};

}  // namespace sbi::detail
