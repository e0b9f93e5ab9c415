// Test statistics and interval setting: χ² p-values and quantiles, the Poisson log-likelihood, the
// not-a-knot cubic spline, interval ends and contour lines with batched root refinement.
#include <fmt/format.h>

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <limits>
#include <map>

#include "limits_internal.hpp"
#include "sbi/error.hpp"
#include "sbi/limits.hpp"

namespace sbi {

// ---- χ² and Poisson ----------------------------------------------------------------------------

double chi2_quantile(double confidence_level, Index dof) {
  if (!(confidence_level > 0 && confidence_level < 1))
    throw InvalidArgument(fmt::format("confidence level = {}: must be in (0, 1)", confidence_level));
  if (dof < 1) throw InvalidArgument(fmt::format("dof = {}: must be ≥ 1", dof));
  return boost::math::quantile(boost::math::chi_squared_distribution<double>(static_cast<double>(dof)), confidence_level);
}

double asymptotic_p_value(double q, Index dof) {
  if (dof < 1) throw InvalidArgument(fmt::format("dof = {}: must be ≥ 1", dof));
  if (std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) return 1.0;
  if (std::isinf(q)) return 0.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared_distribution<double>(static_cast<double>(dof)), q));
}

Vector asymptotic_p_values(const Vector& q, Index dof) {
  Vector p(q.size());
  for (Index i = 0; i < q.size(); ++i) p(i) = asymptotic_p_value(q(i), dof);
  return p;
}

double poisson_log_likelihood(double k, double mu) {
  if (!(k >= 0)) throw InvalidArgument(fmt::format("Poisson count k = {}: must be ≥ 0", k));
  if (k == 0) return mu >= 0 ? -mu : -std::numeric_limits<double>::infinity();
  if (!(mu > 0)) return -std::numeric_limits<double>::infinity();
  return k * std::log(mu) - mu - std::lgamma(k + 1.0);
}

// ---- the not-a-knot cubic spline ---------------------------------------------------------------

CubicSpline::CubicSpline(Vector x, Vector y) : x_(std::move(x)), y_(std::move(y)) {
  const Index n = x_.size();
  if (n < 2 || y_.size() != n)
    throw InvalidArgument(fmt::format("CubicSpline: {} x and {} y values; need at least 2 of each, as many y as x", n, y_.size()));
  for (Index j = 0; j < n; ++j)
    if (!std::isfinite(x_(j)) || !std::isfinite(y_(j)))
      throw InvalidArgument(fmt::format("CubicSpline: point {} = ({}, {}) is not finite", j, x_(j), y_(j)));
  for (Index j = 1; j < n; ++j)
    if (!(x_(j) > x_(j - 1)))
      throw InvalidArgument(fmt::format("CubicSpline: x must increase strictly (x[{}] = {} ≤ x[{}] = {})", j, x_(j), j - 1, x_(j - 1)));
  // Second derivatives M_j at the knots.
  Vector m = Vector::Zero(n);
  const Vector h = x_.tail(n - 1) - x_.head(n - 1);
  const Vector slope = (y_.tail(n - 1) - y_.head(n - 1)).cwiseQuotient(h);
  if (n == 3) {
    // The interpolating parabola (the two not-a-knot conditions coincide).
    m.setConstant(2.0 * (slope(1) - slope(0)) / (x_(2) - x_(0)));
  } else if (n >= 4) {
    // The banded system (tridiagonal but for the two not-a-knot rows), solved by sparse LU in O(n).
    std::vector<Eigen::Triplet<double>> entries;
    Vector rhs = Vector::Zero(n);
    // Not-a-knot: the third derivative is continuous at x_1 and x_{n−2}.
    entries.emplace_back(0, 0, h(1));
    entries.emplace_back(0, 1, -(h(0) + h(1)));
    entries.emplace_back(0, 2, h(0));
    entries.emplace_back(n - 1, n - 3, h(n - 2));
    entries.emplace_back(n - 1, n - 2, -(h(n - 3) + h(n - 2)));
    entries.emplace_back(n - 1, n - 1, h(n - 3));
    for (Index j = 1; j + 1 < n; ++j) {
      entries.emplace_back(j, j - 1, h(j - 1));
      entries.emplace_back(j, j, 2.0 * (h(j - 1) + h(j)));
      entries.emplace_back(j, j + 1, h(j));
      rhs(j) = 6.0 * (slope(j) - slope(j - 1));
    }
    Eigen::SparseMatrix<double> a(n, n);
    a.setFromTriplets(entries.begin(), entries.end());
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(a);
    if (lu.info() != Eigen::Success) throw NumericalError("CubicSpline: the not-a-knot system is singular");
    m = lu.solve(rhs);
  }
  b_.resize(n - 1), c_.resize(n - 1), d_.resize(n - 1);
  for (Index j = 0; j + 1 < n; ++j) {
    c_(j) = 0.5 * m(j);
    d_(j) = (m(j + 1) - m(j)) / (6.0 * h(j));
    b_(j) = slope(j) - h(j) * (2.0 * m(j) + m(j + 1)) / 6.0;
  }
}

Index CubicSpline::segment(double x) const {
  const Index n = x_.size();
  const auto it = std::upper_bound(x_.data(), x_.data() + n, x);
  return std::clamp<Index>(static_cast<Index>(it - x_.data()) - 1, 0, n - 2);
}

double CubicSpline::operator()(double x) const {
  const Index j = segment(x);
  const double t = x - x_(j);
  return y_(j) + t * (b_(j) + t * (c_(j) + t * d_(j)));
}

double CubicSpline::derivative(double x) const {
  const Index j = segment(x);
  const double t = x - x_(j);
  return b_(j) + t * (2.0 * c_(j) + 3.0 * t * d_(j));
}

std::vector<double> CubicSpline::stationary_points(Index j) const {
  if (j < 0 || j + 1 >= x_.size())
    throw InvalidArgument(fmt::format("stationary_points({}): the spline has {} segments", j, x_.size() - 1));
  // Roots of b + 2c t + 3d t² in (0, h), stably (no cancellation in the quadratic formula).
  const double h = x_(j + 1) - x_(j), b = b_(j), c = c_(j), d = d_(j);
  std::vector<double> roots;
  const double scale = std::abs(b) + std::abs(c) * h + std::abs(d) * h * h;
  if (scale == 0) return {};
  if (std::abs(d) * h * h <= 1e-14 * scale) {
    if (c != 0) roots.push_back(-b / (2.0 * c));
  } else {
    const double disc = 4.0 * c * c - 12.0 * d * b;
    if (disc >= 0) {
      const double qq = -0.5 * (2.0 * c + std::copysign(std::sqrt(disc), c));
      if (qq != 0) roots.push_back(b / qq);
      roots.push_back(qq / (3.0 * d));
    }
  }
  std::vector<double> out;
  for (double t : roots)
    if (t > 0 && t < h) out.push_back(x_(j) + t);
  std::sort(out.begin(), out.end());
  return out;
}

std::pair<double, double> CubicSpline::segment_minimum(Index j) const {
  if (j < 0 || j + 1 >= x_.size()) throw InvalidArgument(fmt::format("segment_minimum({}): the spline has {} segments", j, x_.size() - 1));
  double best_x = x_(j), best = y_(j);
  if (y_(j + 1) < best) best_x = x_(j + 1), best = y_(j + 1);
  for (double x : stationary_points(j)) {
    const double v = (*this)(x);
    if (v < best) best = v, best_x = x;
  }
  return {best_x, best};
}

// ---- batched root refinement -------------------------------------------------------------------

namespace detail {

void solve_brackets(std::vector<RootBracket>& brackets, const BracketFunction& g, double x_tolerance,
                    int max_iterations) {
  auto inside = [](double f) { return f <= 0; };  // f = q − threshold; NaN and +∞ are outside
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    std::vector<std::size_t> active;
    Vector candidates;
    std::vector<double> points;
    for (std::size_t r = 0; r < brackets.size(); ++r) {
      RootBracket& b = brackets[r];
      if (b.done) continue;
      const double width = std::abs(b.b - b.a);
      if (width <= x_tolerance * b.scale) {
        b.done = true;
        b.root = std::isfinite(b.fa) && std::isfinite(b.fb) && b.fb != b.fa ? b.a - b.fa * (b.b - b.a) / (b.fb - b.fa)
                                                                              : 0.5 * (b.a + b.b);
        continue;
      }
      double c;
      if (iteration == 0 && b.guess > std::min(b.a, b.b) && b.guess < std::max(b.a, b.b)) c = b.guess;
      else if (std::isfinite(b.fa) && std::isfinite(b.fb) && b.fa != b.fb) c = b.a - b.fa * (b.b - b.a) / (b.fb - b.fa);
      else c = 0.5 * (b.a + b.b);
      // Keep the candidate strictly inside the bracket (Illinois guarantees that it shrinks).
      const double lo = std::min(b.a, b.b), hi = std::max(b.a, b.b);
      if (!(c > lo && c < hi)) c = 0.5 * (b.a + b.b);
      active.push_back(r);
      points.push_back(c);
    }
    if (active.empty()) return;
    candidates = Eigen::Map<Vector>(points.data(), static_cast<Index>(points.size()));
    const Vector values = g(active, candidates);
    if (values.size() != candidates.size())
      throw InvalidArgument(fmt::format("root refinement: the function returned {} values for {} points", values.size(), candidates.size()));
    for (std::size_t k = 0; k < active.size(); ++k) {
      RootBracket& b = brackets[active[k]];
      const double c = candidates(static_cast<Index>(k));
      double fc = values(static_cast<Index>(k));
      if (std::isnan(fc)) fc = std::numeric_limits<double>::infinity();
      if (fc == 0 || std::abs(fc) <= b.f_tolerance || std::abs(c - b.last) <= x_tolerance * b.scale) {
        b.done = true;
        b.root = c;
        continue;
      }
      b.last = c;
      if (inside(fc) == inside(b.fa)) {
        b.a = c, b.fa = fc;
        if (b.side == -1 && std::isfinite(b.fb)) b.fb *= 0.5;  // Illinois: the same end moved twice
        b.side = -1;
      } else {
        b.b = c, b.fb = fc;
        if (b.side == +1 && std::isfinite(b.fa)) b.fa *= 0.5;
        b.side = +1;
      }
    }
  }
  for (auto& b : brackets)
    if (!b.done) b.done = true, b.root = 0.5 * (b.a + b.b);
}

}  // namespace detail

// ---- interval ends -----------------------------------------------------------------------------

namespace {

struct Transition {
  double x;          // where the state changes
  bool to_inside;    // the state after x
  // The grid interval it lies in and the spline guess, for refinement.
  Index interval = -1;
};

// Splines over the maximal runs of finite values; spline_of[j] = run index of node j or −1.
struct RunSplines {
  std::vector<CubicSpline> splines;
  std::vector<Index> run_of;
};

RunSplines run_splines(const Vector& x, const Vector& q) {
  RunSplines out;
  const Index n = x.size();
  out.run_of.assign(static_cast<std::size_t>(n), -1);
  Index j = 0;
  while (j < n) {
    if (!std::isfinite(q(j))) {
      ++j;
      continue;
    }
    Index k = j;
    while (k + 1 < n && std::isfinite(q(k + 1))) ++k;
    if (k > j) {
      out.splines.emplace_back(x.segment(j, k - j + 1), q.segment(j, k - j + 1));
      for (Index i = j; i <= k; ++i) out.run_of[static_cast<std::size_t>(i)] = static_cast<Index>(out.splines.size()) - 1;
    }
    j = k + 1;
  }
  return out;
}

// Where s − threshold changes between "≤ 0" and "> 0" inside [a, b] (monotone pieces between
// the spline's stationary points, bisection in each piece).
std::vector<Transition> spline_transitions(const CubicSpline& s, Index run_interval, double a, double b, double threshold,
                                           Index interval) {
  std::vector<double> knots = {a};
  for (double x : s.stationary_points(run_interval)) knots.push_back(x);
  knots.push_back(b);
  std::vector<Transition> out;
  auto inside_at = [&](double x) { return s(x) - threshold <= 0; };
  bool state = inside_at(a);
  for (std::size_t k = 0; k + 1 < knots.size(); ++k) {
    const bool next = k + 2 == knots.size() ? inside_at(b) : inside_at(knots[k + 1]);
    if (next != state) {
      double lo = knots[k], hi = knots[k + 1];
      for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::abs(lo) + std::abs(hi)); ++it) {
        const double mid = 0.5 * (lo + hi);
        (inside_at(mid) == state ? lo : hi) = mid;
      }
      out.push_back({0.5 * (lo + hi), next, interval});
      state = next;
    }
  }
  return out;
}

}  // namespace

std::vector<IntervalSegment> interval_segments(const Vector& x, const Vector& q, double threshold, const BatchFunction& refine) {
  const Index n = x.size();
  if (n < 2 || q.size() != n)
    throw InvalidArgument(fmt::format("interval_segments: {} x and {} q values; need at least 2, as many q as x", n, q.size()));
  for (Index j = 1; j < n; ++j)
    if (!(x(j) > x(j - 1))) throw InvalidArgument(fmt::format("interval_segments: x must increase strictly at {}", j));
  if (!std::isfinite(threshold)) throw InvalidArgument(fmt::format("interval_segments: threshold = {}: must be finite", threshold));
  auto inside = [&](Index j) { return std::isfinite(q(j)) && q(j) <= threshold; };
  const RunSplines runs = run_splines(x, q);

  // Transitions per grid interval, from the spline (or at the finite node next to a non-finite one).
  std::vector<std::vector<Transition>> per_interval(static_cast<std::size_t>(n - 1));
  for (Index j = 0; j + 1 < n; ++j) {
    const Index r0 = runs.run_of[static_cast<std::size_t>(j)], r1 = runs.run_of[static_cast<std::size_t>(j + 1)];
    auto& list = per_interval[static_cast<std::size_t>(j)];
    if (r0 >= 0 && r0 == r1) {
      const CubicSpline& s = runs.splines[static_cast<std::size_t>(r0)];
      const Index segment = static_cast<Index>(std::lower_bound(s.x().data(), s.x().data() + s.x().size(), x(j)) - s.x().data());
      list = spline_transitions(s, segment, x(j), x(j + 1), threshold, j);
    } else if (inside(j) != inside(j + 1)) {
      // One side is not finite (outside): the end is at the finite, inside node.
      list.push_back({inside(j) ? x(j) : x(j + 1), inside(j + 1), j});
    }
  }

  if (refine) {
    // Brackets on the true q: the grid nodes and, where the spline put several transitions into
    // one interval, the true q at the midpoints between them.
    std::vector<Index> probe_interval;
    std::vector<double> probe_x;
    for (Index j = 0; j + 1 < n; ++j) {
      const auto& list = per_interval[static_cast<std::size_t>(j)];
      for (std::size_t k = 0; k + 1 < list.size(); ++k) {
        probe_interval.push_back(j);
        probe_x.push_back(0.5 * (list[k].x + list[k + 1].x));
      }
    }
    Vector probe_q;
    if (!probe_x.empty()) probe_q = refine(Eigen::Map<Vector>(probe_x.data(), static_cast<Index>(probe_x.size())));
    std::map<Index, std::vector<std::pair<double, double>>> probes;  // interval → (x, q) inside it
    for (std::size_t k = 0; k < probe_x.size(); ++k) probes[probe_interval[k]].push_back({probe_x[k], probe_q(static_cast<Index>(k))});

    std::vector<detail::RootBracket> brackets;
    std::vector<std::pair<Index, bool>> bracket_info;  // interval, to_inside
    for (Index j = 0; j + 1 < n; ++j) {
      const auto& list = per_interval[static_cast<std::size_t>(j)];
      if (list.empty()) continue;
      std::vector<std::pair<double, double>> pts = {{x(j), q(j)}};
      for (const auto& p : probes[j]) pts.push_back(p);
      pts.push_back({x(j + 1), q(j + 1)});
      for (std::size_t k = 0; k + 1 < pts.size(); ++k) {
        const double fa = pts[k].second - threshold, fb = pts[k + 1].second - threshold;
        const bool ia = std::isfinite(fa) && fa <= 0, ib = std::isfinite(fb) && fb <= 0;
        if (ia == ib) continue;
        detail::RootBracket b;
        b.a = pts[k].first, b.b = pts[k + 1].first;
        b.fa = std::isnan(fa) ? std::numeric_limits<double>::infinity() : fa;
        b.fb = std::isnan(fb) ? std::numeric_limits<double>::infinity() : fb;
        b.scale = x(j + 1) - x(j);
        b.f_tolerance = 1e-12 * std::max(1.0, std::abs(threshold));
        b.guess = 0.5 * (b.a + b.b);
        for (const auto& t : list)
          if (t.x > b.a && t.x < b.b) b.guess = t.x;
        brackets.push_back(b);
        bracket_info.push_back({j, ib});
      }
    }
    detail::solve_brackets(
        brackets,
        [&](const std::vector<std::size_t>&, const Vector& points) { return (refine(points).array() - threshold).matrix().eval(); },
        1e-10, 100);
    for (auto& list : per_interval) list.clear();
    for (std::size_t r = 0; r < brackets.size(); ++r)
      per_interval[static_cast<std::size_t>(bracket_info[r].first)].push_back({brackets[r].root, bracket_info[r].second, bracket_info[r].first});
    for (auto& list : per_interval)
      std::sort(list.begin(), list.end(), [](const Transition& a, const Transition& b) { return a.x < b.x; });
  }

  std::vector<IntervalSegment> out;
  bool state = inside(0);
  IntervalSegment current;
  if (state) current.low = x(0), current.low_open = true;
  for (const auto& list : per_interval)
    for (const auto& t : list) {
      if (t.to_inside == state) continue;  // cannot happen with consistent transitions; be safe
      if (t.to_inside) {
        current = IntervalSegment{};
        current.low = t.x;
      } else {
        current.high = t.x;
        out.push_back(current);
      }
      state = t.to_inside;
    }
  if (state) {
    current.high = x(n - 1);
    current.high_open = true;
    out.push_back(current);
  }
  return out;
}

// ---- contour lines (marching squares) ----------------------------------------------------------

std::vector<ContourLine> contour_lines(const Vector& x, const Vector& y, const RowMatrix& q, double threshold,
                                       const BatchFunction2D& refine) {
  const Index nx = x.size(), ny = y.size();
  if (nx < 2 || ny < 2 || q.rows() != nx || q.cols() != ny)
    throw InvalidArgument(fmt::format("contour_lines: grid {} × {} with q {} × {}; need at least 2 × 2 and q of the grid's shape",
                                      nx, ny, q.rows(), q.cols()));
  if (!std::isfinite(threshold)) throw InvalidArgument(fmt::format("contour_lines: threshold = {}: must be finite", threshold));
  auto inside = [&](Index i, Index j) { return std::isfinite(q(i, j)) && q(i, j) <= threshold; };
  const Index n_h = (nx - 1) * ny;
  auto h_id = [&](Index i, Index j) { return j * (nx - 1) + i; };
  auto v_id = [&](Index i, Index j) { return n_h + i * (ny - 1) + j; };

  // Crossing points of every edge whose ends differ, from the spline along its grid line.
  std::map<Index, std::array<double, 2>> crossing;
  std::vector<RunSplines> rows_x(static_cast<std::size_t>(ny)), cols_y(static_cast<std::size_t>(nx));
  for (Index j = 0; j < ny; ++j) rows_x[static_cast<std::size_t>(j)] = run_splines(x, q.col(j));
  for (Index i = 0; i < nx; ++i) cols_y[static_cast<std::size_t>(i)] = run_splines(y, q.row(i).transpose());
  struct EdgeLine {
    Index id;
    bool along_x;
    Index fixed;  // j (row) for edges along x, i (column) for edges along y
    Index k;      // interval index along the line
  };
  std::vector<EdgeLine> edges;
  auto edge_point = [&](const RunSplines& runs, const Vector& axis, const Vector& values, Index k) {
    const Index r0 = runs.run_of[static_cast<std::size_t>(k)], r1 = runs.run_of[static_cast<std::size_t>(k + 1)];
    const bool ia = std::isfinite(values(k)) && values(k) <= threshold;
    if (r0 >= 0 && r0 == r1) {
      const CubicSpline& s = runs.splines[static_cast<std::size_t>(r0)];
      const Index segment = static_cast<Index>(std::lower_bound(s.x().data(), s.x().data() + s.x().size(), axis(k)) - s.x().data());
      const auto ts = spline_transitions(s, segment, axis(k), axis(k + 1), threshold, k);
      if (!ts.empty()) {
        // One crossing per edge: the transition nearest to the linear interpolation.
        const double linear = axis(k) + (threshold - values(k)) / (values(k + 1) - values(k)) * (axis(k + 1) - axis(k));
        double best = ts.front().x;
        for (const auto& t : ts)
          if (std::abs(t.x - linear) < std::abs(best - linear)) best = t.x;
        return best;
      }
      return axis(k) + (threshold - values(k)) / (values(k + 1) - values(k)) * (axis(k + 1) - axis(k));
    }
    return ia ? axis(k) : axis(k + 1);
  };
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i + 1 < nx; ++i)
      if (inside(i, j) != inside(i + 1, j)) {
        const double cx = edge_point(rows_x[static_cast<std::size_t>(j)], x, q.col(j), i);
        crossing[h_id(i, j)] = {cx, y(j)};
        edges.push_back({h_id(i, j), true, j, i});
      }
  for (Index i = 0; i < nx; ++i)
    for (Index j = 0; j + 1 < ny; ++j)
      if (inside(i, j) != inside(i, j + 1)) {
        const Vector column = q.row(i).transpose();
        const double cy = edge_point(cols_y[static_cast<std::size_t>(i)], y, column, j);
        crossing[v_id(i, j)] = {x(i), cy};
        edges.push_back({v_id(i, j), false, i, j});
      }

  if (refine && !edges.empty()) {
    std::vector<detail::RootBracket> brackets;
    for (const auto& e : edges) {
      detail::RootBracket b;
      if (e.along_x) {
        b.a = x(e.k), b.b = x(e.k + 1), b.fa = q(e.k, e.fixed) - threshold, b.fb = q(e.k + 1, e.fixed) - threshold;
        b.guess = crossing[e.id][0];
      } else {
        b.a = y(e.k), b.b = y(e.k + 1), b.fa = q(e.fixed, e.k) - threshold, b.fb = q(e.fixed, e.k + 1) - threshold;
        b.guess = crossing[e.id][1];
      }
      if (std::isnan(b.fa)) b.fa = std::numeric_limits<double>::infinity();
      if (std::isnan(b.fb)) b.fb = std::numeric_limits<double>::infinity();
      b.scale = b.b - b.a;
      b.f_tolerance = 1e-12 * std::max(1.0, std::abs(threshold));
      brackets.push_back(b);
    }
    auto g = [&](const std::vector<std::size_t>& which, const Vector& t) {
      RowMatrix points(t.size(), 2);
      for (Index k = 0; k < t.size(); ++k) {
        const auto& e = edges[which[static_cast<std::size_t>(k)]];
        if (e.along_x) points(k, 0) = t(k), points(k, 1) = y(e.fixed);
        else points(k, 0) = x(e.fixed), points(k, 1) = t(k);
      }
      return (refine(points).array() - threshold).matrix().eval();
    };
    detail::solve_brackets(brackets, g, 1e-10, 100);
    for (std::size_t r = 0; r < edges.size(); ++r) {
      auto& c = crossing[edges[r].id];
      (edges[r].along_x ? c[0] : c[1]) = brackets[r].root;
    }
  }

  // Marching squares: segments between edge crossings, cell by cell.
  std::vector<std::array<Index, 2>> segments;
  for (Index i = 0; i + 1 < nx; ++i)
    for (Index j = 0; j + 1 < ny; ++j) {
      const int c = (inside(i, j) ? 1 : 0) | (inside(i + 1, j) ? 2 : 0) | (inside(i + 1, j + 1) ? 4 : 0) |
                    (inside(i, j + 1) ? 8 : 0);
      const Index e0 = h_id(i, j), e1 = v_id(i + 1, j), e2 = h_id(i, j + 1), e3 = v_id(i, j);
      double centre = 0.25 * (q(i, j) + q(i + 1, j) + q(i + 1, j + 1) + q(i, j + 1));
      const bool centre_inside = std::isfinite(centre) && centre <= threshold;
      switch (c) {
        case 1: case 14: segments.push_back({e3, e0}); break;
        case 2: case 13: segments.push_back({e0, e1}); break;
        case 3: case 12: segments.push_back({e3, e1}); break;
        case 4: case 11: segments.push_back({e1, e2}); break;
        case 6: case 9: segments.push_back({e0, e2}); break;
        case 7: case 8: segments.push_back({e3, e2}); break;
        case 5:
          if (centre_inside) segments.push_back({e0, e1}), segments.push_back({e2, e3});
          else segments.push_back({e3, e0}), segments.push_back({e1, e2});
          break;
        case 10:
          if (centre_inside) segments.push_back({e3, e0}), segments.push_back({e1, e2});
          else segments.push_back({e0, e1}), segments.push_back({e2, e3});
          break;
        default: break;
      }
    }

  // Chain the segments into polylines through their shared edges.
  std::map<Index, std::vector<std::size_t>> at_edge;
  for (std::size_t s = 0; s < segments.size(); ++s)
    for (Index e : segments[s]) at_edge[e].push_back(s);
  std::vector<bool> used(segments.size(), false);
  std::vector<ContourLine> lines;
  auto walk = [&](std::size_t start, Index from_edge) {
    std::vector<Index> chain = {from_edge};
    std::size_t s = start;
    Index edge = from_edge;
    while (true) {
      used[s] = true;
      const Index other = segments[s][0] == edge ? segments[s][1] : segments[s][0];
      chain.push_back(other);
      edge = other;
      std::size_t next = segments.size();
      for (std::size_t t : at_edge[edge])
        if (!used[t]) next = t;
      if (next == segments.size()) break;
      s = next;
    }
    ContourLine line;
    line.closed = chain.size() > 2 && chain.front() == chain.back();
    if (line.closed) chain.pop_back();
    line.points.resize(static_cast<Index>(chain.size()), 2);
    for (std::size_t k = 0; k < chain.size(); ++k) {
      const auto& p = crossing.at(chain[k]);
      line.points(static_cast<Index>(k), 0) = p[0];
      line.points(static_cast<Index>(k), 1) = p[1];
    }
    lines.push_back(std::move(line));
  };
  // Open lines first (they start at an edge on the grid boundary, used by one segment only).
  for (const auto& [edge, list] : at_edge)
    if (list.size() == 1 && !used[list[0]]) walk(list[0], edge);
  for (std::size_t s = 0; s < segments.size(); ++s)
    if (!used[s]) walk(s, segments[s][0]);
  return lines;
}

}  // namespace sbi
