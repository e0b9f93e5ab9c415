// The calculator: the likelihood of every mode at any θ (morphed templates, Asimov or observed
// data, profiled nuisance parameters), the scan, the continuous best fit, profiles, intervals and
// contours (include/sbi/limits.hpp has the maths).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "limits_internal.hpp"
#include "sbi/error.hpp"
#include "sbi/sampler.hpp"

namespace sbi {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Morphing checked_morphing(const Setup& setup) {
  if (!setup.morphing)
    throw InvalidArgument("limits need a morphing set-up (morphing/components and morphing_matrix); this file has none "
                          "(sbi morphing optimize adds one)");
  return Morphing::from_setup(setup);
}

std::string point_text(const Vector& theta) { return fmt::format("({})", fmt::join(theta, ", ")); }

}  // namespace

// ------------------------------------------------------------------------------------------------
// The events
// ------------------------------------------------------------------------------------------------

AsymptoticLimits::Impl::Impl(Setup s, Events e)
    : setup(std::move(s)), events(std::move(e)), morphing(checked_morphing(setup)) {
  if (events.size() == 0) throw InvalidArgument("limits need weighted events; the events are empty");
  events.validate(setup, "events");
  n_physical = setup.n_physical_benchmarks();
  if (morphing.n_benchmarks() != n_physical)
    throw InvalidArgument(fmt::format("the morphing has {} benchmarks but the set-up {} physical ones", morphing.n_benchmarks(), n_physical));
  for (Index c = 0; c < morphing.n_components(); ++c)
    if ((morphing.components().row(c).array() == 0).all()) constant_component = c;
  nuisance_reference = std::max<Index>(0, setup.reference_benchmark());
  for (const auto& np : setup.nuisance_parameters) {
    NuisanceBenchmarks nb;
    nb.name = np.name;
    if (np.benchmark_positive.empty() || np.benchmark_positive == "None") continue;
    nb.positive = setup.benchmark_index(np.benchmark_positive);
    if (!np.benchmark_negative.empty() && np.benchmark_negative != "None") nb.negative = setup.benchmark_index(np.benchmark_negative);
    nuisance.push_back(nb);
  }
}

Index AsymptoticLimits::Impl::observable_index(const std::string& name, const std::string& what) const {
  const auto names = setup.observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Index>(i);
  throw NotFound(fmt::format("{} = '{}': no such observable; the events have {}", what, name, fmt::join(names, ", ")));
}

WeightedEvents AsymptoticLimits::Impl::weighted(Partition partition, double test_split, double validation_split, int run,
                                                bool with_nuisance) const {
  const PartitionEvents part = partition_events(setup, events, partition, test_split, validation_split, run);
  WeightedEvents out;
  out.rows = part.rows;
  const Index n = static_cast<Index>(part.rows.size());
  RowMatrix w(n, n_physical);
  for (Index r = 0; r < n; ++r) w.row(r) = part.factors(r) * events.weights.row(part.rows[static_cast<std::size_t>(r)]).head(n_physical);
  out.a.noalias() = w * morphing.matrix().transpose();
  // Background events (equal weights at every benchmark) are exactly constant in θ: put their
  // weight into the constant component instead of relying on Σ_b w_b(θ) = 1 to rounding.
  if (constant_component >= 0)
    for (Index r = 0; r < n; ++r) {
      if (events.sampling_benchmarks(part.rows[static_cast<std::size_t>(r)]) >= 0) continue;
      if ((w.row(r).array() == w(r, 0)).all()) {
        out.a.row(r).setZero();
        out.a(r, constant_component) = w(r, 0);
      }
    }
  if (with_nuisance && !nuisance.empty()) {
    const Index k = static_cast<Index>(nuisance.size());
    out.nuisance_a.setZero(n, k);
    out.nuisance_b.setZero(n, k);
    for (Index r = 0; r < n; ++r) {
      const Index i = part.rows[static_cast<std::size_t>(r)];
      const double w0 = events.weights(i, nuisance_reference);
      for (Index j = 0; j < k; ++j) {
        const auto& nb = nuisance[static_cast<std::size_t>(j)];
        const double wp = events.weights(i, nb.positive);
        double a_ij, b_ij = 0;
        if (nb.negative < 0) {
          a_ij = std::log(wp / w0);
        } else {
          const double wn = events.weights(i, nb.negative);
          a_ij = 0.5 * std::log(wp / wn);
          b_ij = 0.5 * std::log(wp * wn / (w0 * w0));
        }
        // MadMiner sanitises the coefficients to [−10, 10].
        auto sanitise = [](double v) { return std::isfinite(v) ? std::clamp(v, -10.0, 10.0) : 0.0; };
        out.nuisance_a(r, j) = sanitise(a_ij);
        out.nuisance_b(r, j) = sanitise(b_ij);
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// The likelihood at any θ
// ------------------------------------------------------------------------------------------------

namespace {

struct ObservedData {
  RowMatrix x;     // E × n_o
  Vector weights;  // E, Σ = 1
  double n = 0;    // n of Eq. (3)
};

struct Evaluation {
  Vector kinematic, rate, constraint;
  RowMatrix nuisance;  // T × K
  Vector total() const { return kinematic + rate + constraint; }
};

// Σ_b n_b log p_b with p_b = ν_b / Σ ν, probabilities floored at `floor` (Eq. 3 for histograms).
double shape_log_likelihood(const Vector& counts, const Vector& nu, double floor) {
  const double total = nu.sum();
  if (!(total > 0)) return -kInf;
  double f = 0;
  for (Index b = 0; b < counts.size(); ++b) {
    if (counts(b) == 0) continue;
    double p = nu(b) / total;
    if (!(p > floor)) p = floor;
    f += counts(b) * std::log(p);
  }
  return f;
}

// The profile over nuisance parameters ν of  shape(ν) + rate(ν) − ½|ν|²  at one θ (Eq. 1), by
// Newton's method with exact derivatives of the per-event factors exp(A ν + B ν²) and a
// Levenberg shift where the Hessian is not negative definite.
struct ProfileTerms {
  // Shape term (optional): bin of every template event, template weights at θ, counts per bin.
  const std::vector<Index>* bins = nullptr;
  const Vector* counts = nullptr;
  Vector template_weights;
  const RowMatrix* template_a = nullptr;
  const RowMatrix* template_b = nullptr;
  double floor = 1e-12;
  // Rate term (optional): rate-partition weights at θ, observed count k, luminosity.
  bool with_rate = false;
  Vector rate_weights;
  const RowMatrix* rate_a = nullptr;
  const RowMatrix* rate_b = nullptr;
  double k = 0, luminosity = 0;
};

struct ProfileValue {
  double shape = 0, rate = 0, constraint = 0;
  double total() const { return shape + rate + constraint; }
};

// Accumulates Σ_i w_i g_i, its gradient and Hessian in ν, per group (bins or a single group).
void accumulate(const Vector& w, const RowMatrix& a, const RowMatrix& b, const Vector& nu, const std::vector<Index>* groups,
                Index n_groups, Vector& value, RowMatrix& gradient, std::vector<RowMatrix>& hessian) {
  const Index k = nu.size();
  value.setZero(n_groups);
  gradient.setZero(n_groups, k);
  hessian.assign(static_cast<std::size_t>(n_groups), RowMatrix::Zero(k, k));
  Vector d(k);
  for (Index i = 0; i < w.size(); ++i) {
    if (w(i) == 0) continue;
    double exponent = 0;
    for (Index j = 0; j < k; ++j) {
      exponent += a(i, j) * nu(j) + b(i, j) * nu(j) * nu(j);
      d(j) = a(i, j) + 2.0 * b(i, j) * nu(j);
    }
    const double wg = w(i) * std::exp(exponent);
    const Index g = groups ? (*groups)[static_cast<std::size_t>(i)] : 0;
    value(g) += wg;
    gradient.row(g) += wg * d.transpose();
    RowMatrix& h = hessian[static_cast<std::size_t>(g)];
    h.noalias() += wg * d * d.transpose();
    for (Index j = 0; j < k; ++j) h(j, j) += 2.0 * wg * b(i, j);
  }
}

ProfileValue profile_value(const ProfileTerms& t, const Vector& nu, Vector* grad, RowMatrix* hess) {
  const Index k = nu.size();
  ProfileValue v;
  v.constraint = -0.5 * nu.squaredNorm();
  Vector g = -nu;
  RowMatrix h = -RowMatrix::Identity(k, k);
  Vector value;
  RowMatrix gradient;
  std::vector<RowMatrix> hessian;
  if (t.bins) {
    const Index n_bins = t.counts->size();
    accumulate(t.template_weights, *t.template_a, *t.template_b, nu, t.bins, n_bins, value, gradient, hessian);
    const double total = value.sum();
    if (!(total > 0)) {
      v.shape = -kInf;
    } else {
      const Vector total_gradient = gradient.colwise().sum().transpose();
      RowMatrix total_hessian = RowMatrix::Zero(k, k);
      for (const auto& hb : hessian) total_hessian += hb;
      v.shape = 0;
      for (Index b = 0; b < n_bins; ++b) {
        const double c = (*t.counts)(b);
        if (c == 0) continue;
        const double p = value(b) / total;
        if (!(p > t.floor)) {
          v.shape += c * std::log(t.floor);  // a floored bin: constant, no derivatives
          continue;
        }
        v.shape += c * std::log(p);
        g += c * gradient.row(b).transpose() / value(b);
        h += c * (hessian[static_cast<std::size_t>(b)] / value(b) -
                  gradient.row(b).transpose() * gradient.row(b) / (value(b) * value(b)));
      }
      // − n log Σ ν_b with n = Σ of the counts in unfloored and floored bins alike.
      const double n_all = t.counts->sum();
      g -= n_all * total_gradient / total;
      h -= n_all * (total_hessian / total - total_gradient * total_gradient.transpose() / (total * total));
    }
  }
  if (t.with_rate) {
    accumulate(t.rate_weights, *t.rate_a, *t.rate_b, nu, nullptr, 1, value, gradient, hessian);
    const double sigma = value(0);
    const double mu = t.luminosity * sigma;
    v.rate = poisson_log_likelihood(t.k, mu);
    if (mu > 0) {
      const Vector ds = gradient.row(0).transpose();
      const double factor = t.k / sigma - t.luminosity;
      g += factor * ds;
      h += factor * hessian[0] - (t.k / (sigma * sigma)) * ds * ds.transpose();
    }
  }
  if (grad) *grad = g;
  if (hess) *hess = h;
  return v;
}

ProfileValue newton_profile(const ProfileTerms& terms, Vector& nu) {
  const Index k = nu.size();
  Vector g;
  RowMatrix h;
  ProfileValue current = profile_value(terms, nu, &g, &h);
  if (!std::isfinite(current.total())) {
    nu.setZero();
    current = profile_value(terms, nu, &g, &h);
  }
  for (int iteration = 0; iteration < 100 && std::isfinite(current.total()); ++iteration) {
    // Newton step on −f, shifted until −H + λ1 is positive definite.
    RowMatrix a = -h;
    double lambda = 0;
    Eigen::LLT<RowMatrix> llt(a);
    while (llt.info() != Eigen::Success && lambda < 1e12) {
      lambda = lambda == 0 ? 1e-6 * std::max(1.0, a.diagonal().cwiseAbs().maxCoeff()) : 10 * lambda;
      llt.compute(a + lambda * RowMatrix::Identity(k, k));
    }
    Vector step = llt.solve(g);
    double scale = 1.0;
    bool improved = false;
    for (int halving = 0; halving < 40; ++halving, scale *= 0.5) {
      Vector trial = nu + scale * step;
      Vector tg;
      RowMatrix th;
      const ProfileValue tv = profile_value(terms, trial, &tg, &th);
      if (tv.total() >= current.total()) {
        nu = trial, g = tg, h = th, current = tv;
        improved = true;
        break;
      }
    }
    if (!improved || scale * step.lpNorm<Eigen::Infinity>() < 1e-12) break;
  }
  return current;
}

// MadMiner's factors exp(A ν + B ν²) make the profiled function non-concave when B < 0, so a
// warm start (the previous θ's ν̂) can end in another local maximum: start from ν = 0 as well and
// keep the better of the two.
ProfileValue profile(const ProfileTerms& terms, Vector& nu) {
  Vector from_warm = nu;
  ProfileValue best = newton_profile(terms, from_warm);
  nu = from_warm;
  if (from_warm.lpNorm<Eigen::Infinity>() > 0) {
    Vector from_zero = Vector::Zero(nu.size());
    const ProfileValue v = newton_profile(terms, from_zero);
    if (v.total() > best.total() || !std::isfinite(best.total())) best = v, nu = from_zero;
  }
  return best;
}

// Summary statistic transformations of sallino and adaptive-sally (MadMiner's
// _make_score_processor): Δθ = θ − θ_ref over the used components.
RowMatrix project_scores(LimitMode mode, const RowMatrix& scores, const Vector& delta) {
  const Index d = scores.cols();
  const double norm = delta.norm();
  const bool along = norm > 1e-6;
  if (mode == LimitMode::Sallino) {
    if (!along) return scores.col(0);
    return scores * (delta / norm);
  }
  // adaptive-sally
  if (d == 1) return scores;
  if (d == 2) {
    if (!along) return scores;
    RowMatrix rotation(2, 2);
    rotation << delta(0), -delta(1), delta(1), delta(0);
    return scores * (rotation / norm);
  }
  RowMatrix out(scores.rows(), d + 1);
  out.col(0) = along ? Vector(scores * (delta / norm)) : Vector(scores.col(0));
  out.rightCols(d) = scores;
  return out;
}

class Model {
 public:
  Model(const AsymptoticLimits::Impl& impl, const LimitOptions& options, const LimitEstimators& estimators,
        ObservedData data, const ScanGrid& grid, std::vector<std::string>& notes)
      : impl_(impl), o_(options), estimators_(estimators), data_(std::move(data)) {
    k_ = (options.profile_nuisance_parameters && !impl.nuisance.empty()) ? static_cast<Index>(impl.nuisance.size()) : 0;
    observed_count_ = options.round_observed_count ? std::round(data_.n) : data_.n;
    if (options.include_rate || k_ > 0) {
      rate_events_ = impl.weighted(options.rate_partition, options.test_split, options.validation_split, -1, k_ > 0);
      rate_sums_ = rate_events_.a.colwise().sum().transpose();
    }
    if (is_binned(options.mode)) prepare_histograms(grid, notes);
    if (options.mode == LimitMode::Ml) {
      if (!estimators.log_ratio)
        throw InvalidArgument("mode ml needs a log-ratio estimator (LimitEstimators::log_ratio; in YAML: model)");
      if (k_ > 0) {
        std::vector<std::string> names;
        for (const auto& nb : impl.nuisance) names.push_back(nb.name);
        notes.push_back(fmt::format("nuisance parameters ({}) are profiled in the rate term only: the ratio estimator "
                                    "r̂(x|θ) does not model their effect on the kinematics",
                                    fmt::join(names, ", ")));
      }
    }
  }

  Index n_nuisance() const { return k_; }
  Index evaluations() const { return evaluations_; }
  const std::vector<std::string>& axis_names() const { return axis_names_; }
  const std::vector<std::vector<double>>& fixed_edges() const { return fixed_edges_; }
  Index excluded_events() const { return static_cast<Index>(std::count(ml_mask_.begin(), ml_mask_.end(), false)); }

  // log L parts at every row of `thetas`. `grid_pass`: the first evaluation of the scan, which
  // fixes the ml events left out for non-finite log r̂.
  Evaluation evaluate(const RowMatrix& thetas, bool grid_pass = false) {
    const Index t_count = thetas.rows();
    evaluations_ += t_count;
    Evaluation e;
    e.kinematic = Vector::Zero(t_count);
    e.rate = Vector::Zero(t_count);
    e.constraint = Vector::Zero(t_count);
    e.nuisance = RowMatrix::Zero(t_count, k_);
    if (o_.mode == LimitMode::Ml) e.kinematic = ml_kinematic(thetas, grid_pass);
    Vector nu = Vector::Zero(k_);
    for (Index t = 0; t < t_count; ++t) {
      const Vector theta = thetas.row(t).transpose();
      const Vector phi = impl_.component_values(theta);
      if (k_ == 0) {
        if (is_binned(o_.mode)) e.kinematic(t) = binned_kinematic(theta, phi);
        if (o_.include_rate) e.rate(t) = poisson_log_likelihood(observed_count_, o_.luminosity * phi.dot(rate_sums_));
        continue;
      }
      // Profile ν at this θ, warm-started from the previous point.
      ProfileTerms terms;
      terms.floor = o_.empty_bin_floor;
      std::vector<Index> bins;
      Vector counts;
      double reference_term = 0;
      if (is_binned(o_.mode)) {
        binned_inputs(theta, phi, bins, counts, reference_term);
        terms.bins = &bins;
        terms.counts = &counts;
        terms.template_weights = templates_.weights(phi);
        terms.template_a = &templates_.nuisance_a;
        terms.template_b = &templates_.nuisance_b;
      }
      if (o_.include_rate) {
        terms.with_rate = true;
        terms.rate_weights = rate_events_.weights(phi);
        terms.rate_a = &rate_events_.nuisance_a;
        terms.rate_b = &rate_events_.nuisance_b;
        terms.k = observed_count_;
        terms.luminosity = o_.luminosity;
      }
      if (!std::isfinite(nu.sum())) nu.setZero();
      const ProfileValue v = profile(terms, nu);
      if (is_binned(o_.mode)) e.kinematic(t) = v.shape + reference_term;
      e.rate(t) = v.rate;
      e.constraint(t) = v.constraint;
      e.nuisance.row(t) = nu.transpose();
    }
    return e;
  }

 private:
  // ---- histograms ----
  void prepare_histograms(const ScanGrid& grid, std::vector<std::string>& notes) {
    const LimitMode mode = o_.mode;
    templates_ = impl_.weighted(o_.template_partition, o_.test_split, o_.validation_split, -1, k_ > 0);
    RowMatrix x_templates(templates_.size(), impl_.events.observations.cols());
    for (Index r = 0; r < templates_.size(); ++r)
      x_templates.row(r) = impl_.events.observations.row(templates_.rows[static_cast<std::size_t>(r)]);
    const auto parameter_names = impl_.setup.parameters.names();
    if (mode == LimitMode::Histo) {
      std::vector<Index> columns;
      for (std::size_t i = 0; i < o_.observables.size(); ++i) {
        columns.push_back(impl_.observable_index(o_.observables[i], fmt::format("observables[{}]", i)));
        axis_names_.push_back(o_.observables[i]);
      }
      summary_templates_.resize(x_templates.rows(), static_cast<Index>(columns.size()));
      summary_observed_.resize(data_.x.rows(), static_cast<Index>(columns.size()));
      for (std::size_t a = 0; a < columns.size(); ++a) {
        summary_templates_.col(static_cast<Index>(a)) = x_templates.col(columns[a]);
        summary_observed_.col(static_cast<Index>(a)) = data_.x.col(columns[a]);
      }
    } else {
      if (!estimators_.score)
        throw InvalidArgument(fmt::format("mode {} needs a score estimator (LimitEstimators::score; in YAML: model)", to_string(mode)));
      components_ = o_.score_components;
      if (components_.empty())
        for (Index p = 0; p < impl_.n_parameters(); ++p) components_.push_back(p);
      summary_templates_ = scores(x_templates, "template");
      summary_observed_ = scores(data_.x, "observed");
      if (mode != LimitMode::Sally) {
        for (Index p : components_)
          if (p >= impl_.n_parameters())
            throw InvalidArgument(fmt::format("score_components: component {} has no parameter (the set-up has {}); sallino and "
                                              "adaptive-sally project the score on θ − θ_ref",
                                              p, impl_.n_parameters()));
      }
      const Index d = static_cast<Index>(components_.size());
      if (mode == LimitMode::Sallino) axis_names_ = {"h"};
      else if (mode == LimitMode::AdaptiveSally && d == 2) axis_names_ = {"h", "h_orthogonal"};
      else {
        if (mode == LimitMode::AdaptiveSally && d > 2) axis_names_.push_back("h");
        for (Index p : components_)
          axis_names_.push_back(p < impl_.n_parameters() ? fmt::format("t_{}", parameter_names[static_cast<std::size_t>(p)])
                                                         : fmt::format("t_{}", p));
      }
    }
    reference_ = o_.theta_ref.size() ? o_.theta_ref : Vector::Zero(impl_.n_parameters());
    if (reference_.size() != impl_.n_parameters())
      throw InvalidArgument(fmt::format("theta_ref has {} values; the set-up has {} parameters ({})", reference_.size(),
                                        impl_.n_parameters(), fmt::join(parameter_names, ", ")));
    reference_weights_ = templates_.weights(impl_.component_values(reference_));
    theta_dependent_ = mode == LimitMode::Sallino || (mode == LimitMode::AdaptiveSally && components_.size() >= 2);
    const Index n_axes = static_cast<Index>(axis_names_.size());
    binning_ = detail::expand_binning(o_.binning, n_axes, mode);
    bool all_fixed = true;
    for (const auto& b : binning_) all_fixed = all_fixed && !b.is_adaptive();
    BinningReference reference = o_.binning_reference;
    if (reference == BinningReference::Auto) reference = theta_dependent_ ? BinningReference::PerPoint : BinningReference::Grid;
    if (theta_dependent_ && !all_fixed && reference != BinningReference::PerPoint)
      throw InvalidArgument(fmt::format("binning_reference = {}: the {} summary depends on θ, so its adaptive edges are computed "
                                        "at every point; use per-point (or auto), or give fixed edges",
                                        to_string(reference), to_string(mode)));
    per_point_ = theta_dependent_ || (reference == BinningReference::PerPoint && !all_fixed);
    if (per_point_) return;
    // Edges fixed over the scan: from the options, or adaptive at the grid / centre weights.
    Vector phi_reference;
    if (reference == BinningReference::Center) phi_reference = impl_.component_values(grid.centre());
    else {
      const RowMatrix phis = component_values(impl_.morphing.components(), grid.thetas());
      phi_reference = phis.colwise().mean().transpose();
    }
    const Vector w_reference = templates_.weights(phi_reference);
    for (Index a = 0; a < n_axes; ++a) {
      const AxisBinning& b = binning_[static_cast<std::size_t>(a)];
      fixed_edges_.push_back(b.is_adaptive() ? detail::adaptive_edges(summary_templates_.col(a), w_reference, b.n_bins) : b.edges);
      if (b.is_adaptive() && static_cast<Index>(fixed_edges_.back().size()) - 1 < b.n_bins)
        notes.push_back(fmt::format("axis {}: {} of the {} adaptive bins had zero width (ties) and were merged", axis_names_[static_cast<std::size_t>(a)],
                                    b.n_bins - static_cast<Index>(fixed_edges_.back().size()) + 1, b.n_bins));
    }
    Index n_bins = 0;
    template_bins_ = detail::bin_indices(summary_templates_, fixed_edges_, &n_bins);
    const std::vector<Index> observed_bins = detail::bin_indices(summary_observed_, fixed_edges_, nullptr);
    observed_counts_.setZero(n_bins);
    for (std::size_t e = 0; e < observed_bins.size(); ++e)
      observed_counts_(observed_bins[e]) += data_.n * data_.weights(static_cast<Index>(e));
    bin_components_.setZero(n_bins, impl_.n_components());
    for (Index r = 0; r < templates_.size(); ++r) bin_components_.row(template_bins_[static_cast<std::size_t>(r)]) += templates_.a.row(r);
    Index empty = 0;
    for (Index b = 0; b < n_bins; ++b)
      if (observed_counts_(b) > 0 && bin_components_.row(b).cwiseAbs().sum() == 0) ++empty;
    // Template statistics: the effective number of template events per bin, (Σw)²/Σw², against the
    // expected count. MadMiner's likelihood (and this one) ignores the templates' Monte Carlo
    // uncertainty; where it exceeds the statistical one, fluctuations between the template and the
    // Asimov events can dominate the scan.
    Vector sum_w = Vector::Zero(n_bins), sum_w2 = Vector::Zero(n_bins);
    for (Index r = 0; r < templates_.size(); ++r) {
      const double w = w_reference(r);
      sum_w(template_bins_[static_cast<std::size_t>(r)]) += w;
      sum_w2(template_bins_[static_cast<std::size_t>(r)]) += w * w;
    }
    Index thin = 0;
    for (Index b = 0; b < n_bins; ++b)
      if (observed_counts_(b) > 0 && sum_w2(b) > 0 && sum_w(b) * sum_w(b) / sum_w2(b) < observed_counts_(b)) ++thin;
    if (thin > 0)
      notes.push_back(fmt::format("in {} of {} bins the expected count exceeds the effective number of template events "
                                  "((Σw)²/Σw²): the templates' Monte Carlo fluctuations are not in the likelihood and may "
                                  "dominate the scan{}",
                                  thin, n_bins,
                                  o_.template_partition != Partition::Test && data_.weights.size() && data_.n > 0
                                      ? " (for expected limits, template_partition = test removes the train/test difference)"
                                      : ""));
    if (empty > 0)
      notes.push_back(fmt::format("{} of {} bins hold observed events but no template events; their probability is floored at {}",
                                  empty, n_bins, o_.empty_bin_floor));
  }

  RowMatrix scores(const RowMatrix& x, const char* which) const {
    const RowMatrix t = estimators_.score(x);
    Index needed = 0;
    for (Index p : components_) needed = std::max(needed, p + 1);
    if (t.rows() != x.rows() || t.cols() < needed)
      throw InvalidArgument(fmt::format("the score estimator returned {} × {} for {} {} events; expected {} rows and at least {} "
                                        "columns (one per score component)",
                                        t.rows(), t.cols(), x.rows(), which, x.rows(), needed));
    RowMatrix out(t.rows(), static_cast<Index>(components_.size()));
    for (std::size_t a = 0; a < components_.size(); ++a) out.col(static_cast<Index>(a)) = t.col(components_[a]);
    if (!out.allFinite()) {
      for (Index i = 0; i < out.rows(); ++i)
        if (!out.row(i).allFinite())
          throw DataError(fmt::format("the score estimator returned a non-finite score for {} event {}", which, i));
    }
    return out;
  }

  Vector delta(const Vector& theta) const {
    Vector d(static_cast<Index>(components_.size()));
    for (std::size_t a = 0; a < components_.size(); ++a) d(static_cast<Index>(a)) = theta(components_[a]) - reference_(components_[a]);
    return d;
  }

  // Bins of the template events and observed counts at θ (per-point binning or θ-dependent
  // summaries), or the fixed ones.
  // `reference_term` receives −Σ_b n_b log p_b(θ_ref) for per-point binnings (0 otherwise).
  void binned_inputs(const Vector& theta, const Vector& phi, std::vector<Index>& bins, Vector& counts,
                     double& reference_term) const {
    reference_term = 0;
    if (!per_point_) {
      bins = template_bins_;
      counts = observed_counts_;
      return;
    }
    const RowMatrix st = theta_dependent_ ? project_scores(o_.mode, summary_templates_, delta(theta)) : summary_templates_;
    const RowMatrix so = theta_dependent_ ? project_scores(o_.mode, summary_observed_, delta(theta)) : summary_observed_;
    const Vector w = templates_.weights(phi);
    std::vector<std::vector<double>> edges;
    for (Index a = 0; a < st.cols(); ++a) {
      const AxisBinning& b = binning_[static_cast<std::size_t>(a)];
      edges.push_back(b.is_adaptive() ? detail::adaptive_edges(st.col(a), w, b.n_bins) : b.edges);
    }
    Index n_bins = 0;
    bins = detail::bin_indices(st, edges, &n_bins);
    const std::vector<Index> observed = detail::bin_indices(so, edges, nullptr);
    counts.setZero(n_bins);
    for (std::size_t e = 0; e < observed.size(); ++e) counts(observed[e]) += data_.n * data_.weights(static_cast<Index>(e));
    // The binning (or the summary) changes with θ: compare like with like, the bin probabilities at
    // θ against those at θ_ref in the same bins (the SALLINO ratio p̂(h|θ)/p̂(h|θ_ref) of
    // arXiv:1805.00020 §4.3.2; MadMiner uses p̂(h|θ) alone, whose bin volumes change with θ).
    Vector nu_reference = Vector::Zero(n_bins);
    for (std::size_t i = 0; i < bins.size(); ++i) nu_reference(bins[i]) += reference_weights_(static_cast<Index>(i));
    reference_term = -shape_log_likelihood(counts, nu_reference, o_.empty_bin_floor);
  }

  double binned_kinematic(const Vector& theta, const Vector& phi) const {
    if (!per_point_) return shape_log_likelihood(observed_counts_, bin_components_ * phi, o_.empty_bin_floor);
    std::vector<Index> bins;
    Vector counts;
    double reference_term = 0;
    binned_inputs(theta, phi, bins, counts, reference_term);
    const Vector w = templates_.weights(phi);
    Vector nu = Vector::Zero(counts.size());
    for (std::size_t i = 0; i < bins.size(); ++i) nu(bins[i]) += w(static_cast<Index>(i));
    return shape_log_likelihood(counts, nu, o_.empty_bin_floor) + reference_term;
  }

  // ---- ml ----
  Vector ml_kinematic(const RowMatrix& thetas, bool grid_pass) {
    const Index n_events = data_.x.rows();
    if (grid_pass) ml_mask_.assign(static_cast<std::size_t>(n_events), true);
    bool late_exclusion = false;
    Vector out(thetas.rows());
    for (Index start = 0; start < thetas.rows(); start += o_.theta_batch_size) {
      const Index count = std::min(o_.theta_batch_size, thetas.rows() - start);
      const RowMatrix batch = thetas.middleRows(start, count);
      const RowMatrix r = estimators_.log_ratio(data_.x, batch);
      if (r.rows() != count || r.cols() != n_events)
        throw InvalidArgument(fmt::format("the log-ratio estimator returned {} × {} for {} θ points and {} events; expected {} × {}",
                                          r.rows(), r.cols(), count, n_events, count, n_events));
      Vector sums = Vector::Zero(count);
      for (Index e = 0; e < n_events; ++e) {
        if (!ml_mask_[static_cast<std::size_t>(e)]) continue;
        const auto column = r.col(e);
        if (!column.allFinite()) {
          if (grid_pass) {
            ml_mask_[static_cast<std::size_t>(e)] = false;
            if (start > 0) late_exclusion = true;
            continue;
          }
          for (Index t = 0; t < count; ++t)
            if (!std::isfinite(column(t))) sums(t) = -kInf;
        }
        sums += data_.weights(e) * column;
      }
      out.segment(start, count) = data_.n * sums;
    }
    // An event excluded after the first batch already contributed to earlier points: once the
    // set of excluded events is known, evaluate again with it.
    if (late_exclusion) return ml_kinematic(thetas, false);
    return out;
  }

  const AsymptoticLimits::Impl& impl_;
  const LimitOptions& o_;
  const LimitEstimators& estimators_;
  ObservedData data_;
  Index k_ = 0;
  double observed_count_ = 0;
  Index evaluations_ = 0;
  // rate
  WeightedEvents rate_events_;
  Vector rate_sums_;
  // histograms
  WeightedEvents templates_;
  RowMatrix summary_templates_, summary_observed_;
  std::vector<Index> components_;
  Vector reference_;            // θ_ref
  Vector reference_weights_;    // template weights at θ_ref
  std::vector<std::string> axis_names_;
  std::vector<AxisBinning> binning_;
  bool theta_dependent_ = false, per_point_ = false;
  std::vector<std::vector<double>> fixed_edges_;
  std::vector<Index> template_bins_;
  Vector observed_counts_;
  RowMatrix bin_components_;
  // ml
  std::vector<bool> ml_mask_;
};

// ------------------------------------------------------------------------------------------------
// The continuous best fit
// ------------------------------------------------------------------------------------------------

// Least-squares fit f ≈ c + gᵀu + ½ uᵀHu to points u (M × d); the maximum u* = −H⁻¹g when H is
// negative definite.
std::optional<Vector> quadratic_maximum(const RowMatrix& u, const Vector& f) {
  const Index d = u.cols(), m = u.rows();
  const Index n_coefficients = 1 + d + d * (d + 1) / 2;
  if (m < n_coefficients) return std::nullopt;
  RowMatrix design(m, n_coefficients);
  for (Index r = 0; r < m; ++r) {
    Index k = 0;
    design(r, k++) = 1.0;
    for (Index i = 0; i < d; ++i) design(r, k++) = u(r, i);
    for (Index i = 0; i < d; ++i)
      for (Index j = i; j < d; ++j) design(r, k++) = (i == j ? 0.5 : 1.0) * u(r, i) * u(r, j);
  }
  const Eigen::ColPivHouseholderQR<RowMatrix> qr(design);
  if (qr.rank() < n_coefficients) return std::nullopt;
  const Vector coefficients = qr.solve(f);
  Vector g = coefficients.segment(1, d);
  RowMatrix h(d, d);
  Index k = 1 + d;
  for (Index i = 0; i < d; ++i)
    for (Index j = i; j < d; ++j) h(i, j) = h(j, i) = coefficients(k++);
  const Eigen::LLT<RowMatrix> llt(-h);
  if (llt.info() != Eigen::Success) return std::nullopt;
  return Vector(llt.solve(g));
}

// Stencil offsets (in units of the stencil step) that determine a quadratic in d dimensions:
// the 3^d grid for d ≤ 3, a minimal composite design (centre, ±axes, one diagonal per pair) above.
RowMatrix stencil_offsets(Index d) {
  if (d <= 3) {
    Index m = 1;
    for (Index i = 0; i < d; ++i) m *= 3;
    RowMatrix out(m, d);
    for (Index r = 0; r < m; ++r) {
      Index rest = r;
      for (Index i = d - 1; i >= 0; --i) out(r, i) = static_cast<double>(rest % 3) - 1.0, rest /= 3;
    }
    return out;
  }
  std::vector<Vector> rows = {Vector::Zero(d)};
  for (Index i = 0; i < d; ++i) {
    Vector v = Vector::Zero(d);
    v(i) = 1, rows.push_back(v), v(i) = -1, rows.push_back(v);
  }
  for (Index i = 0; i < d; ++i)
    for (Index j = i + 1; j < d; ++j) {
      Vector v = Vector::Zero(d);
      v(i) = v(j) = 1;
      rows.push_back(v);
    }
  RowMatrix out(static_cast<Index>(rows.size()), d);
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Index>(r)) = rows[r].transpose();
  return out;
}

struct BestFit {
  Vector theta;
  double log_likelihood = -kInf;
  std::string method = "grid";
};

// The scanned region and a natural length per scanned parameter (the grid spacing).
struct ScanBox {
  std::vector<Index> scanned;
  Vector low, high, spacing;
};

ScanBox scan_box(const ScanGrid& grid) {
  ScanBox box;
  box.scanned = grid.scanned_parameters();
  const Index d = static_cast<Index>(box.scanned.size());
  box.low.resize(d), box.high.resize(d), box.spacing.resize(d);
  for (Index s = 0; s < d; ++s) {
    const Vector values = grid.axis_values(box.scanned[static_cast<std::size_t>(s)]);
    box.low(s) = values.minCoeff();
    box.high(s) = values.maxCoeff();
    box.spacing(s) = (box.high(s) - box.low(s)) / static_cast<double>(values.size() - 1);
  }
  return box;
}

BestFit refine_best_fit(Model& model, const ScanGrid& grid, const Vector& totals, Index best_index, const ScanBox& box) {
  BestFit best;
  best.theta = grid.thetas().row(best_index).transpose();
  best.log_likelihood = totals(best_index);
  const Index d = static_cast<Index>(box.scanned.size());
  if (d == 0) return best;
  auto to_u = [&](const Vector& theta, const Vector& centre, const Vector& step) {
    Vector u(d);
    for (Index s = 0; s < d; ++s) {
      const Index p = box.scanned[static_cast<std::size_t>(s)];
      u(s) = (theta(p) - centre(p)) / step(s);
    }
    return u;
  };
  auto clamp_to_box = [&](Vector theta) {
    for (Index s = 0; s < d; ++s) {
      const Index p = box.scanned[static_cast<std::size_t>(s)];
      theta(p) = std::clamp(theta(p), box.low(s), box.high(s));
    }
    return theta;
  };

  // 1. A quadratic through the best point's neighbourhood on the scan.
  std::vector<Index> neighbours;
  if (grid.is_regular()) {
    const auto shape = grid.shape();
    std::vector<Index> index(shape.size());
    Index rest = best_index;
    for (Index p = static_cast<Index>(shape.size()) - 1; p >= 0; --p) index[static_cast<std::size_t>(p)] = rest % shape[static_cast<std::size_t>(p)], rest /= shape[static_cast<std::size_t>(p)];
    for (Index s = 0; s < d; ++s)
      if (shape[static_cast<std::size_t>(box.scanned[static_cast<std::size_t>(s)])] < 3) return best;  // a line needs 3 points
    const RowMatrix offsets = stencil_offsets(std::min<Index>(d, 3));
    if (d <= 3)
      for (Index r = 0; r < offsets.rows(); ++r) {
        Index flat = 0;
        for (Index p = 0; p < static_cast<Index>(shape.size()); ++p) {
          Index i = index[static_cast<std::size_t>(p)];
          const auto it = std::find(box.scanned.begin(), box.scanned.end(), p);
          if (it != box.scanned.end()) {
            const Index n = shape[static_cast<std::size_t>(p)];
            const Index centre = std::clamp<Index>(i, 1, n - 2);  // shift inward at the boundary
            i = centre + static_cast<Index>(offsets(r, it - box.scanned.begin()));
          }
          flat = flat * shape[static_cast<std::size_t>(p)] + i;
        }
        neighbours.push_back(flat);
      }
  }
  if (neighbours.empty()) {
    // Scattered points (or d > 3): the nearest ones in units of the spacing.
    const Index n_coefficients = 1 + d + d * (d + 1) / 2;
    std::vector<std::pair<double, Index>> distance;
    for (Index t = 0; t < grid.size(); ++t)
      distance.push_back({to_u(grid.thetas().row(t).transpose(), best.theta, box.spacing).squaredNorm(), t});
    std::sort(distance.begin(), distance.end());
    for (Index r = 0; r < std::min<Index>(grid.size(), 2 * n_coefficients + 1); ++r) neighbours.push_back(distance[static_cast<std::size_t>(r)].second);
  }
  std::vector<Index> finite;
  for (Index t : neighbours)
    if (std::isfinite(totals(t))) finite.push_back(t);
  RowMatrix u(static_cast<Index>(finite.size()), d);
  Vector f(static_cast<Index>(finite.size()));
  for (std::size_t r = 0; r < finite.size(); ++r) {
    u.row(static_cast<Index>(r)) = to_u(grid.thetas().row(finite[r]).transpose(), best.theta, box.spacing).transpose();
    f(static_cast<Index>(r)) = totals(finite[r]) - best.log_likelihood;
  }
  Vector centre = best.theta;
  if (const auto maximum = quadratic_maximum(u, f); maximum && maximum->lpNorm<Eigen::Infinity>() <= 2.0) {
    for (Index s = 0; s < d; ++s) centre(box.scanned[static_cast<std::size_t>(s)]) += (*maximum)(s) * box.spacing(s);
    centre = clamp_to_box(centre);
    best.method = "quadratic";
  }

  // 2. Refinement: quadratic fits to new evaluations on shrinking stencils around the estimate.
  const RowMatrix offsets = stencil_offsets(d);
  double step_fraction = 0.25;
  for (int iteration = 0; iteration < 8; ++iteration, step_fraction *= 0.25) {
    const Vector step = box.spacing * step_fraction;
    // Shift the stencil inward where it would leave the box.
    Vector stencil_centre = centre;
    for (Index s = 0; s < d; ++s) {
      const Index p = box.scanned[static_cast<std::size_t>(s)];
      stencil_centre(p) = std::clamp(centre(p), box.low(s) + step(s), box.high(s) - step(s));
    }
    RowMatrix points(offsets.rows(), grid.n_parameters());
    for (Index r = 0; r < offsets.rows(); ++r) {
      Vector theta = stencil_centre;
      for (Index s = 0; s < d; ++s) theta(box.scanned[static_cast<std::size_t>(s)]) += offsets(r, s) * step(s);
      points.row(r) = theta.transpose();
    }
    const Vector values = model.evaluate(points).total();
    Index best_r = -1;
    for (Index r = 0; r < values.size(); ++r)
      if (std::isfinite(values(r)) && values(r) > best.log_likelihood) best.log_likelihood = values(r), best_r = r;
    if (best_r >= 0) best.theta = points.row(best_r).transpose(), best.method = "refined";
    std::vector<Index> ok;
    for (Index r = 0; r < values.size(); ++r)
      if (std::isfinite(values(r))) ok.push_back(r);
    RowMatrix us(static_cast<Index>(ok.size()), d);
    Vector fs(static_cast<Index>(ok.size()));
    for (std::size_t r = 0; r < ok.size(); ++r) {
      us.row(static_cast<Index>(r)) = to_u(points.row(ok[r]).transpose(), stencil_centre, step).transpose();
      fs(static_cast<Index>(r)) = values(ok[r]) - values.maxCoeff();
    }
    const auto maximum = quadratic_maximum(us, fs);
    Vector next = best.theta;
    if (maximum && maximum->lpNorm<Eigen::Infinity>() <= 2.0) {
      next = stencil_centre;
      for (Index s = 0; s < d; ++s) next(box.scanned[static_cast<std::size_t>(s)]) += (*maximum)(s) * step(s);
      next = clamp_to_box(next);
    }
    const double moved = to_u(next, centre, box.spacing).lpNorm<Eigen::Infinity>();
    centre = next;
    if (moved < 1e-10 && iteration >= 2) break;
  }
  // The final estimate itself.
  RowMatrix last(1, grid.n_parameters());
  last.row(0) = centre.transpose();
  const double value = model.evaluate(last).total()(0);
  if (std::isfinite(value) && value >= best.log_likelihood) best.log_likelihood = value, best.theta = centre, best.method = "refined";
  return best;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// The scan
// ------------------------------------------------------------------------------------------------

namespace {

// Step between neighbouring values of parameter p in the flattened "ij" grid.
Index grid_stride(const std::vector<Index>& shape, Index p) {
  Index stride = 1;
  for (Index r = p + 1; r < static_cast<Index>(shape.size()); ++r) stride *= shape[static_cast<std::size_t>(r)];
  return stride;
}

// Records a profile and its intervals at every confidence level (threshold F⁻¹_χ²_dof(cl)).
void add_profile(LimitResult& result, ParameterProfile profile, Index dof, bool refined, const BatchFunction& refine) {
  for (double cl : result.confidence_levels) {
    ParameterInterval interval;
    interval.parameter = profile.parameter;
    interval.parameter_index = profile.parameter_index;
    interval.confidence_level = cl;
    interval.q_threshold = chi2_quantile(cl, dof);
    interval.profiled = profile.profiled;
    interval.refined = refined;
    interval.segments = interval_segments(profile.values, profile.q, interval.q_threshold, refine);
    result.intervals.push_back(interval);
  }
  result.profiles.push_back(std::move(profile));
}

LimitResult run_scan(const AsymptoticLimits::Impl& impl, const LimitOptions& options, const LimitEstimators& estimators,
                     ObservedData data, const ScanGrid& grid, LimitResult result) {
  const auto start = std::chrono::steady_clock::now();
  if (grid.n_parameters() != impl.n_parameters())
    throw InvalidArgument(fmt::format("grid: {} parameters per point; the set-up has {} ({})", grid.n_parameters(), impl.n_parameters(),
                                      fmt::join(impl.setup.parameters.names(), ", ")));
  result.label = result.label.empty() ? std::string(to_string(options.mode)) : result.label;
  result.mode = options.mode;
  result.include_rate = options.include_rate;
  result.parameter_names = impl.setup.parameters.names();
  result.luminosity = options.luminosity;
  result.n_events = data.n;
  result.confidence_levels = options.confidence_levels;
  result.grid = grid;
  const ScanBox box = scan_box(grid);
  const Index d = static_cast<Index>(box.scanned.size());
  result.dof = options.dof > 0 ? options.dof : std::max<Index>(1, d);

  Model model(impl, options, estimators, std::move(data), grid, result.notes);
  const Evaluation e = model.evaluate(grid.thetas(), true);
  result.log_likelihood_kinematic = e.kinematic;
  result.log_likelihood_rate = e.rate;
  result.log_likelihood_constraint = e.constraint;
  result.log_likelihood = e.total();
  result.nuisance_values = e.nuisance;
  if (model.n_nuisance() > 0)
    for (const auto& nb : impl.nuisance) result.nuisance_names.push_back(nb.name);
  result.histogram_axes = model.axis_names();
  result.bin_edges = model.fixed_edges();
  if (model.excluded_events() > 0)
    result.notes.push_back(fmt::format("{} events with a non-finite log r̂ at some scan point were left out (their weight is not "
                                       "redistributed, as in MadMiner)",
                                       model.excluded_events()));

  const Vector& totals = result.log_likelihood;
  Index best_index = -1;
  for (Index t = 0; t < totals.size(); ++t)
    if (std::isfinite(totals(t)) && (best_index < 0 || totals(t) > totals(best_index))) best_index = t;
  if (best_index < 0)
    throw NumericalError(fmt::format("the {} likelihood is not finite at any of the {} scan points (is σ(θ) > 0 there?)",
                                     to_string(options.mode), grid.size()));
  result.best_index = best_index;
  BestFit best;
  best.theta = grid.thetas().row(best_index).transpose();
  best.log_likelihood = totals(best_index);
  if (options.refine_best_fit) best = refine_best_fit(model, grid, totals, best_index, box);
  result.best_fit = best.theta;
  result.best_fit_log_likelihood = best.log_likelihood;
  result.best_fit_method = best.method;
  for (Index s = 0; s < d; ++s) {
    const Index p = box.scanned[static_cast<std::size_t>(s)];
    if (std::abs(best.theta(p) - box.low(s)) <= 1e-6 * box.spacing(s) || std::abs(best.theta(p) - box.high(s)) <= 1e-6 * box.spacing(s))
      result.best_fit_on_boundary = true;
  }
  if (result.best_fit_on_boundary)
    result.notes.push_back("the best fit lies on the boundary of the scan: the maximum may be outside; widen the grid");

  result.q = (-2.0 * (totals.array() - best.log_likelihood)).matrix();
  for (Index t = 0; t < totals.size(); ++t)
    if (!std::isfinite(totals(t))) result.q(t) = kInf;
  result.p_values = asymptotic_p_values(result.q, result.dof);

  // q at arbitrary points (for the refinement of crossings).
  auto q_at = [&](const RowMatrix& points) {
    return Vector((-2.0 * (model.evaluate(points).total().array() - best.log_likelihood)).matrix());
  };

  if (grid.is_regular() && d >= 1) {
    const auto shape = grid.shape();
    auto values_of = [&](Index p) { return grid.axis_values(p); };
    if (d == 1) {
      const Index p = box.scanned[0];
      BatchFunction refine;
      if (options.refine_crossings)
        refine = [&, p](const Vector& values) {
          RowMatrix points = grid.thetas().topRows(1).replicate(values.size(), 1);
          points.col(p) = values;
          return q_at(points);
        };
      add_profile(result, {result.parameter_names[static_cast<std::size_t>(p)], p, values_of(p), result.q, false}, result.dof,
                  options.refine_crossings, refine);
    } else {
      // Profiles: q minimised over the other scanned parameters.
      for (Index s = 0; s < d; ++s) {
        const Index p = box.scanned[static_cast<std::size_t>(s)];
        const Vector values = values_of(p);
        Vector q_profile = Vector::Constant(values.size(), kInf);
        const Index stride = grid_stride(shape, p);
        for (Index t = 0; t < grid.size(); ++t) {
          const Index i = (t / stride) % shape[static_cast<std::size_t>(p)];
          q_profile(i) = std::min(q_profile(i), result.q(t));
        }
        if (d == 2) {
          // Along each line of constant θ_p: the minimum of the spline through q over the other axis.
          const Index other = box.scanned[static_cast<std::size_t>(1 - s)];
          const Vector other_values = values_of(other);
          const Index other_stride = grid_stride(shape, other);
          for (Index i = 0; i < values.size(); ++i) {
            Vector line(other_values.size());
            for (Index j = 0; j < other_values.size(); ++j) line(j) = result.q(i * stride + j * other_stride);
            if (!line.allFinite() || line.size() < 3) continue;
            const CubicSpline spline(other_values, line);
            for (Index j = 0; j + 1 < line.size(); ++j) q_profile(i) = std::min(q_profile(i), spline.segment_minimum(j).second);
          }
        }
        // One parameter of interest: the χ²₁ threshold.
        add_profile(result, {result.parameter_names[static_cast<std::size_t>(p)], p, values, q_profile, true}, 1, false, {});
      }
      if (d == 2) {
        const Index px = box.scanned[0], py = box.scanned[1];
        const Vector xs = values_of(px), ys = values_of(py);
        const Index stride_x = grid_stride(shape, px), stride_y = grid_stride(shape, py);
        RowMatrix q_grid(xs.size(), ys.size());
        for (Index i = 0; i < xs.size(); ++i)
          for (Index j = 0; j < ys.size(); ++j) q_grid(i, j) = result.q(i * stride_x + j * stride_y);
        for (double cl : options.confidence_levels) {
          Contour contour;
          contour.confidence_level = cl;
          contour.q_threshold = chi2_quantile(cl, result.dof);
          contour.parameter_x = px;
          contour.parameter_y = py;
          BatchFunction2D refine;
          if (options.refine_crossings)
            refine = [&, px, py](const RowMatrix& xy) {
              RowMatrix points = grid.thetas().topRows(1).replicate(xy.rows(), 1);
              points.col(px) = xy.col(0);
              points.col(py) = xy.col(1);
              return q_at(points);
            };
          contour.lines = contour_lines(xs, ys, q_grid, contour.q_threshold, refine);
          result.contours.push_back(contour);
        }
        result.notes.push_back("1-D intervals of a 2-D scan use the profile along the grid lines (spline minima), not refined");
      } else {
        result.notes.push_back(fmt::format("{}-D scan: profiles are grid minima over the other parameters; no contours", d));
      }
    }
  } else if (!grid.is_regular()) {
    result.notes.push_back("scan over given points: no intervals or contours (they need a regular grid)");
  }
  result.n_evaluations = model.evaluations();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// The public calculator
// ------------------------------------------------------------------------------------------------

AsymptoticLimits::AsymptoticLimits(Setup setup, Events events)
    : impl_(std::make_unique<Impl>(std::move(setup), std::move(events))) {}

AsymptoticLimits::AsymptoticLimits(MadMinerFile file)
    : impl_([&] {
        if (!file.events) throw InvalidArgument("limits need weighted events; this file has none (samples/observations)");
        return std::make_unique<Impl>(std::move(file.setup), std::move(*file.events));
      }()) {}

AsymptoticLimits::~AsymptoticLimits() = default;
AsymptoticLimits::AsymptoticLimits(AsymptoticLimits&&) noexcept = default;
AsymptoticLimits& AsymptoticLimits::operator=(AsymptoticLimits&&) noexcept = default;

const Setup& AsymptoticLimits::setup() const { return impl_->setup; }
const Events& AsymptoticLimits::events() const { return impl_->events; }

std::vector<std::string> AsymptoticLimits::nuisance_parameter_names() const {
  std::vector<std::string> out;
  for (const auto& n : impl_->nuisance) out.push_back(n.name);
  return out;
}

Vector AsymptoticLimits::cross_sections(const RowMatrix& thetas, Partition partition, double test_split,
                                        double validation_split) const {
  if (thetas.cols() != impl_->n_parameters())
    throw InvalidArgument(fmt::format("thetas have {} columns; the set-up has {} parameters", thetas.cols(), impl_->n_parameters()));
  const WeightedEvents w = impl_->weighted(partition, test_split, validation_split, -1, false);
  const Vector sums = w.a.colwise().sum().transpose();
  return component_values(impl_->morphing.components(), thetas) * sums;
}

LimitResult AsymptoticLimits::expected_limits(const Vector& theta_true, const ScanGrid& grid, const LimitOptions& options,
                                              const LimitEstimators& estimators) const {
  options.validate();
  if (theta_true.size() != impl_->n_parameters() || !theta_true.allFinite())
    throw InvalidArgument(fmt::format("theta_true = {}: needs {} finite values ({})", point_text(theta_true), impl_->n_parameters(),
                                      fmt::join(impl_->setup.parameters.names(), ", ")));
  // Asimov data (Cowan et al. §3.2): the test events weighted to θ_true, n = L σ(θ_true).
  const int run = options.asimov_from_closest_benchmark ? closest_generation_run(impl_->setup, impl_->events, theta_true) : -1;
  const WeightedEvents asimov = impl_->weighted(Partition::Test, options.test_split, options.validation_split, run, false);
  const Vector phi = impl_->component_values(theta_true);
  ObservedData data;
  data.weights = asimov.weights(phi);
  const double total = data.weights.sum();
  if (!(total > 0))
    throw NumericalError(fmt::format("theta_true = {}: the test events' weights sum to {} pb; no Asimov data", point_text(theta_true), total));
  data.weights /= total;
  data.x.resize(asimov.size(), impl_->events.observations.cols());
  for (Index r = 0; r < asimov.size(); ++r) data.x.row(r) = impl_->events.observations.row(asimov.rows[static_cast<std::size_t>(r)]);
  const WeightedEvents rate = impl_->weighted(options.rate_partition, options.test_split, options.validation_split, -1, false);
  const double sigma = phi.dot(rate.a.colwise().sum().transpose());
  if (!(sigma > 0)) throw NumericalError(fmt::format("theta_true = {}: σ = {} pb ≤ 0", point_text(theta_true), sigma));
  data.n = options.luminosity * sigma;
  LimitResult result;
  result.expected = true;
  result.theta_true = theta_true;
  const Index negative = (data.weights.array() < 0).count();
  result = run_scan(*impl_, options, estimators, std::move(data), grid, std::move(result));
  if (negative > 0)
    result.notes.push_back(fmt::format("{} Asimov events have negative weights at θ_true (morphing); they are kept", negative));
  return result;
}

LimitResult AsymptoticLimits::observed_limits(const RowMatrix& x_observed, const ScanGrid& grid, const LimitOptions& options,
                                              const LimitEstimators& estimators) const {
  options.validate();
  if (x_observed.rows() < 1 || x_observed.cols() != impl_->events.observations.cols())
    throw InvalidArgument(fmt::format("observed events: {} × {}; need at least one event with the set-up's {} observables", x_observed.rows(),
                                      x_observed.cols(), impl_->events.observations.cols()));
  for (Index i = 0; i < x_observed.rows(); ++i)
    if (!x_observed.row(i).allFinite()) throw DataError(fmt::format("observed event {} has a non-finite observable", i));
  ObservedData data;
  data.x = x_observed;
  data.weights = Vector::Constant(x_observed.rows(), 1.0 / static_cast<double>(x_observed.rows()));
  data.n = static_cast<double>(x_observed.rows());
  LimitResult result;
  result.expected = false;
  return run_scan(*impl_, options, estimators, std::move(data), grid, std::move(result));
}

}  // namespace sbi
