// The generalised Galton board of "Mining gold" (arXiv:1805.12244): simulation with joint
// quantities and the exact marginal likelihood by forward recursion. See include/sbi/galton.hpp.
#include "sbi/galton.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "sbi/error.hpp"

namespace sbi {

void GaltonOptions::validate() const {
  if (levels < 2) throw InvalidArgument(fmt::format("GaltonOptions.levels = {}: must be at least 2", levels));
  if (nails < 2) throw InvalidArgument(fmt::format("GaltonOptions.nails = {}: must be at least 2", nails));
  if (start < 0 || start > nails - 1)
    throw InvalidArgument(fmt::format("GaltonOptions.start = {}: must be in [0, nails - 1 = {}]", start, nails - 1));
  if (!std::isfinite(steepness))
    throw InvalidArgument(fmt::format("GaltonOptions.steepness = {}: must be finite", steepness));
}

GaltonBoard::GaltonBoard(GaltonOptions options) : options_(options) { options_.validate(); }

namespace {
bool is_wall(int level, int position, int nails) { return level % 2 == 1 && (position == 0 || position == nails); }

void check_theta(double theta, const char* name) {
  if (!std::isfinite(theta)) throw InvalidArgument(fmt::format("{} = {}: must be finite", name, theta));
}
}  // namespace

double GaltonBoard::p_left(int level, int position, double theta) const {
  const int nails = options_.nails;
  if (level < 0 || level >= options_.levels || position < 0 || position > nails)
    throw InvalidArgument(fmt::format("Galton board (level, position) = ({}, {}): must be in [0, {}] × [0, {}]", level,
                                      position, options_.levels - 1, nails));
  if (level % 2 == 1) {
    if (position == 0) return 0.0;      // wall: always right
    if (position == nails) return 1.0;  // wall: always left
  } else if (position == nails) {
    throw InvalidArgument(fmt::format("Galton board position {} at even level {}: there is no nail there", position, level));
  }
  const double l = static_cast<double>(level) / (options_.levels - 1);
  const double n = 2.0 * position / (nails - 1) - 1.0;
  const double s = std::sin(std::numbers::pi * l);
  const double sigma = 1.0 / (1.0 + std::exp(-options_.steepness * theta * n));
  return (1.0 - s) / 2.0 + s * sigma;
}

double GaltonBoard::dp_left(int level, int position, double theta) const {
  const int nails = options_.nails;
  if (is_wall(level, position, nails)) return 0.0;
  (void)p_left(level, position, theta);  // range checks
  const double l = static_cast<double>(level) / (options_.levels - 1);
  const double n = 2.0 * position / (nails - 1) - 1.0;
  const double s = std::sin(std::numbers::pi * l);
  const double sigma = 1.0 / (1.0 + std::exp(-options_.steepness * theta * n));
  return s * sigma * (1.0 - sigma) * options_.steepness * n;
}

int GaltonBoard::move(int level, int position, int direction) const {
  if (level % 2 == 0) return direction == 0 ? position : position + 1;
  return direction == 0 ? position - 1 : position;
}

GaltonRun GaltonBoard::run(double theta, double theta1, std::span<const double> uniforms) const {
  check_theta(theta, "theta");
  check_theta(theta1, "theta1");
  if (static_cast<int>(uniforms.size()) != options_.levels)
    throw InvalidArgument(fmt::format("GaltonBoard::run uniforms.size() = {}: must equal levels = {}", uniforms.size(),
                                      options_.levels));
  GaltonRun r;
  r.positions.resize(static_cast<std::size_t>(options_.levels));
  r.directions.resize(static_cast<std::size_t>(options_.levels));
  int pos = options_.start;
  for (int level = 0; level < options_.levels; ++level) {
    r.positions[static_cast<std::size_t>(level)] = pos;
    const double p = p_left(level, pos, theta);
    const bool left = uniforms[static_cast<std::size_t>(level)] < p || p == 1.0;
    if (!is_wall(level, pos, options_.nails)) {
      const double p1 = p_left(level, pos, theta1);
      const double dp = dp_left(level, pos, theta);
      if (left) {
        r.log_p_xz += std::log(p);
        r.log_r_xz += std::log(p) - std::log(p1);
        r.t_xz += dp / p;
      } else {
        r.log_p_xz += std::log1p(-p);
        r.log_r_xz += std::log1p(-p) - std::log1p(-p1);
        r.t_xz -= dp / (1.0 - p);
      }
    }
    r.directions[static_cast<std::size_t>(level)] = left ? 0 : 1;
    pos = move(level, pos, left ? 0 : 1);
  }
  r.x = pos;
  return r;
}

GaltonSample GaltonBoard::simulate(double theta, Index n, std::uint64_t seed, double theta1) const {
  if (n < 0) throw InvalidArgument(fmt::format("GaltonBoard::simulate n = {}: must be ≥ 0", n));
  check_theta(theta, "theta");
  check_theta(theta1, "theta1");
  GaltonSample s;
  s.theta = theta;
  s.theta1 = theta1;
  s.x.resize(n);
  s.z.resize(n, options_.levels);
  s.t_xz.resize(n);
  s.log_r_xz.resize(n);
  std::mt19937_64 rng(seed);
  std::vector<double> u(static_cast<std::size_t>(options_.levels));
  for (Index i = 0; i < n; ++i) {
    for (double& v : u) v = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    const GaltonRun r = run(theta, theta1, u);
    s.x(i) = r.x;
    for (int level = 0; level < options_.levels; ++level) s.z(i, level) = r.positions[static_cast<std::size_t>(level)];
    s.t_xz(i) = r.t_xz;
    s.log_r_xz(i) = r.log_r_xz;
  }
  return s;
}

namespace {
// Walks a path, calling f(level, position, direction) for every step; checks it is a path.
template <typename F>
void walk(const GaltonOptions& o, std::span<const int> positions, int x, F&& f) {
  if (static_cast<int>(positions.size()) != o.levels)
    throw InvalidArgument(
        fmt::format("Galton path length = {}: must equal levels = {}", positions.size(), o.levels));
  if (positions[0] != o.start)
    throw InvalidArgument(fmt::format("Galton path positions[0] = {}: must be the start position {}", positions[0], o.start));
  for (int level = 0; level < o.levels; ++level) {
    const int pos = positions[static_cast<std::size_t>(level)];
    const int next = level + 1 < o.levels ? positions[static_cast<std::size_t>(level + 1)] : x;
    int direction;
    if (level % 2 == 0) {
      if (next == pos) direction = 0;
      else if (next == pos + 1) direction = 1;
      else throw InvalidArgument(fmt::format("Galton path: {} → {} at even level {} is not a move", pos, next, level));
    } else {
      if (next == pos - 1) direction = 0;
      else if (next == pos) direction = 1;
      else throw InvalidArgument(fmt::format("Galton path: {} → {} at odd level {} is not a move", pos, next, level));
    }
    f(level, pos, direction);
  }
}
}  // namespace

double GaltonBoard::joint_log_likelihood(std::span<const int> positions, int x, double theta) const {
  double log_p = 0.0;
  walk(options_, positions, x, [&](int level, int pos, int direction) {
    const double p = p_left(level, pos, theta);
    log_p += direction == 0 ? std::log(p) : std::log1p(-p);
  });
  return log_p;
}

double GaltonBoard::joint_score(std::span<const int> positions, int x, double theta) const {
  double t = 0.0;
  walk(options_, positions, x, [&](int level, int pos, int direction) {
    const double p = p_left(level, pos, theta);
    const double dp = dp_left(level, pos, theta);
    if (direction == 0) t += p > 0 ? dp / p : std::numeric_limits<double>::quiet_NaN();
    else t -= p < 1 ? dp / (1.0 - p) : std::numeric_limits<double>::quiet_NaN();
  });
  return t;
}

GaltonExact GaltonBoard::exact(double theta) const {
  check_theta(theta, "theta");
  const int m = n_outcomes();
  Vector p = Vector::Zero(m), dp = Vector::Zero(m);
  p(options_.start) = 1.0;
  for (int level = 0; level < options_.levels; ++level) {
    Vector q = Vector::Zero(m), dq = Vector::Zero(m);
    for (int pos = 0; pos < m; ++pos) {
      if (p(pos) == 0.0 && dp(pos) == 0.0) continue;
      const double pl = p_left(level, pos, theta), dpl = dp_left(level, pos, theta);
      const int l = move(level, pos, 0), r = move(level, pos, 1);
      if (pl > 0.0) {
        q(l) += p(pos) * pl;
        dq(l) += dp(pos) * pl + p(pos) * dpl;
      }
      if (pl < 1.0) {
        q(r) += p(pos) * (1.0 - pl);
        dq(r) += dp(pos) * (1.0 - pl) - p(pos) * dpl;
      }
    }
    p = std::move(q);
    dp = std::move(dq);
  }
  GaltonExact e;
  e.theta = theta;
  e.p = p;
  e.dp_dtheta = dp;
  e.t.resize(m);
  for (int x = 0; x < m; ++x) e.t(x) = p(x) > 0 ? dp(x) / p(x) : std::numeric_limits<double>::quiet_NaN();
  return e;
}

Vector GaltonBoard::exact_log_ratio(double theta0, double theta1) const {
  const GaltonExact a = exact(theta0), b = exact(theta1);
  Vector out(a.p.size());
  for (Index x = 0; x < out.size(); ++x)
    out(x) = (a.p(x) == 0.0 && b.p(x) == 0.0) ? std::numeric_limits<double>::quiet_NaN()
                                               : std::log(a.p(x)) - std::log(b.p(x));
  return out;
}

namespace {

AugmentedSamples galton_samples_frame(SampleKind kind, Index n, std::uint64_t seed) {
  AugmentedSamples s;
  s.kind = kind;
  s.partition = Partition::Train;
  s.parameter_names = {"theta"};
  s.observable_names = {"x"};
  s.seed = seed;
  s.source = "galton";
  s.x.resize(n, 1);
  s.theta0.resize(n, 1);
  s.t_xz0.resize(n, 1);
  return s;
}

double uniform53(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// The geometry, so that a samples file says which board its exact truth belongs to (sbi truth).
std::string board_settings(const GaltonBoard& board) {
  const GaltonOptions& o = board.options();
  return fmt::format("levels={}; nails={}; start={}; steepness={}", o.levels, o.nails, o.start, o.steepness);
}

}  // namespace

AugmentedSamples galton_local_samples(const GaltonBoard& board, double theta, Index n, std::uint64_t seed) {
  const GaltonSample runs = board.simulate(theta, n, seed, theta);
  AugmentedSamples s = galton_samples_frame(SampleKind::Local, n, seed);
  s.x.col(0) = runs.x.cast<double>();
  s.theta0.setConstant(theta);
  s.t_xz0.col(0) = runs.t_xz;
  s.settings = fmt::format("galton_local_samples; theta={}; n={}; seed={}; {}", theta, n, seed, board_settings(board));
  return s;
}

AugmentedSamples galton_ratio_samples(const GaltonBoard& board, double theta0_low, double theta0_high, double theta1,
                                      Index n, std::uint64_t seed) {
  if (n < 2) throw InvalidArgument(fmt::format("galton_ratio_samples n = {}: ratio samples need at least 2 (one per class)", n));
  check_theta(theta1, "theta1");
  if (!std::isfinite(theta0_low) || !std::isfinite(theta0_high) || !(theta0_low < theta0_high))
    throw InvalidArgument(fmt::format("galton_ratio_samples prior [{}, {}): must be finite with low < high", theta0_low,
                                      theta0_high));
  AugmentedSamples s = galton_samples_frame(SampleKind::Ratio, n, seed);
  s.theta1 = RowMatrix::Constant(n, 1, theta1);
  s.y.resize(n);
  s.r_xz.resize(n);
  std::mt19937_64 rng(seed);
  std::vector<double> u(static_cast<std::size_t>(board.options().levels));
  const Index n0 = n / 2;
  for (Index i = 0; i < n; ++i) {
    const bool from_theta1 = i >= n0;
    const double theta0 = theta0_low + (theta0_high - theta0_low) * uniform53(rng);
    for (double& v : u) v = uniform53(rng);
    s.theta0(i, 0) = theta0;
    s.y(i) = from_theta1 ? 1.0 : 0.0;
    if (!from_theta1) {
      const GaltonRun r = board.run(theta0, theta1, u);  // drawn at θ0: t and log r as the run computes them
      s.x(i, 0) = r.x;
      s.t_xz0(i, 0) = r.t_xz;
      s.r_xz(i) = std::exp(r.log_r_xz);
    } else {
      const GaltonRun r = board.run(theta1, theta0, u);  // drawn at θ1: log r(x,z|θ1,θ0) = −log r(x,z|θ0,θ1)
      s.x(i, 0) = r.x;
      s.t_xz0(i, 0) = board.joint_score(r.positions, r.x, theta0);
      s.r_xz(i) = std::exp(-r.log_r_xz);
    }
  }
  s.settings = fmt::format("galton_ratio_samples; theta0=flat:{},{}; theta1={}; n={}; seed={}; {}", theta0_low, theta0_high,
                           theta1, n, seed, board_settings(board));
  s.validate();
  return s;
}

}  // namespace sbi
