// Fisher information: truth (weighted events), rate, histogram and estimated score
// (arXiv:1612.05261 Eqs. 9–14; MadMiner's FisherInformation), the cross-check of the scans near
// the reference point.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/QR>
#include <cmath>
#include <limits>

#include "limits_internal.hpp"
#include "sbi/error.hpp"

namespace sbi {

Vector FisherInformation::interval_half_widths(double confidence_level) const {
  // The information about θ_p with the others profiled is the Schur complement
  // I_pp − I_pr I_rr⁺ I_rp (a pseudo-inverse, so directions the data do not constrain at all, such
  // as c_HWtil in the rate, leave the others finite). Half-width √(F⁻¹_χ²₁(cl) / that).
  const Index n = information.rows();
  Vector out = Vector::Constant(n, std::numeric_limits<double>::quiet_NaN());
  const double threshold = chi2_quantile(confidence_level, 1);
  const double scale = n > 0 ? information.diagonal().cwiseAbs().maxCoeff() : 0.0;
  for (Index p = 0; p < n; ++p) {
    double profiled = information(p, p);
    if (n > 1) {
      std::vector<Index> rest;
      for (Index r = 0; r < n; ++r)
        if (r != p) rest.push_back(r);
      const Index m = static_cast<Index>(rest.size());
      RowMatrix i_rr(m, m);
      Vector i_rp(m);
      for (Index a = 0; a < m; ++a) {
        i_rp(a) = information(rest[static_cast<std::size_t>(a)], p);
        for (Index b = 0; b < m; ++b) i_rr(a, b) = information(rest[static_cast<std::size_t>(a)], rest[static_cast<std::size_t>(b)]);
      }
      Eigen::CompleteOrthogonalDecomposition<RowMatrix> cod(i_rr);
      cod.setThreshold(1e-12);
      profiled -= i_rp.dot(cod.solve(i_rp));
    }
    if (profiled > 1e-12 * scale) out(p) = std::sqrt(threshold / profiled);
  }
  return out;
}

FisherInformation AsymptoticLimits::fisher_information(const Vector& theta, const FisherOptions& options,
                                                       const LimitEstimators& estimators) const {
  options.validate();
  const Impl& impl = *impl_;
  const Index n_p = impl.n_parameters();
  if (theta.size() != n_p || !theta.allFinite())
    throw InvalidArgument(fmt::format("Fisher information at θ = ({}): needs {} finite values ({})", fmt::join(theta, ", "), n_p,
                                      fmt::join(impl.setup.parameters.names(), ", ")));
  const WeightedEvents events = impl.weighted(options.partition, options.test_split, options.validation_split, -1, false);
  const RowMatrix theta_row = theta.transpose();
  const Vector phi = impl.component_values(theta);
  const RowMatrix phi_gradient = component_gradients(impl.morphing.components(), theta_row);  // P × C
  const Vector w = events.weights(phi);                                                      // N
  const RowMatrix g = events.a * phi_gradient.transpose();                                  // N × P: ∇w_i
  const double sigma = w.sum();
  const Vector sigma_gradient = g.colwise().sum().transpose();
  if (!(sigma > 0))
    throw NumericalError(fmt::format("Fisher information at θ = ({}): σ = {} pb ≤ 0", fmt::join(theta, ", "), sigma));
  const double lumi = options.luminosity;
  const RowMatrix rate = lumi * sigma_gradient * sigma_gradient.transpose() / sigma;

  FisherInformation out;
  out.kind = options.kind;
  out.theta = theta;
  out.luminosity = lumi;
  out.include_rate = options.include_rate;
  out.information = RowMatrix::Zero(n_p, n_p);
  switch (options.kind) {
    case FisherKind::Truth: {
      // I = L Σ_i ∇w_i ∇w_iᵀ / w_i (the information of the weighted events about θ, rate included).
      for (Index i = 0; i < w.size(); ++i) {
        if (!(w(i) > 0)) {
          if (g.row(i).squaredNorm() > 0 || w(i) < 0) ++out.n_skipped;
          continue;
        }
        out.information.noalias() += g.row(i).transpose() * g.row(i) / w(i);
      }
      out.information *= lumi;
      if (!options.include_rate) out.information -= rate;
      break;
    }
    case FisherKind::Rate:
      out.information = rate;
      break;
    case FisherKind::Histogram: {
      // I = L Σ_b ∇σ_b ∇σ_bᵀ / σ_b over the bins of the chosen observables.
      RowMatrix values(events.size(), static_cast<Index>(options.observables.size()));
      for (std::size_t a = 0; a < options.observables.size(); ++a) {
        const Index column = impl.observable_index(options.observables[a], fmt::format("observables[{}]", a));
        for (Index r = 0; r < events.size(); ++r)
          values(r, static_cast<Index>(a)) = impl.events.observations(events.rows[static_cast<std::size_t>(r)], column);
      }
      const auto binning = detail::expand_binning(options.binning, values.cols(), LimitMode::Histo);
      std::vector<std::vector<double>> edges;
      for (Index a = 0; a < values.cols(); ++a) {
        const AxisBinning& b = binning[static_cast<std::size_t>(a)];
        edges.push_back(b.is_adaptive() ? detail::adaptive_edges(values.col(a), w, b.n_bins) : b.edges);
      }
      Index n_bins = 0;
      const std::vector<Index> bins = detail::bin_indices(values, edges, &n_bins);
      Vector sigma_b = Vector::Zero(n_bins);
      RowMatrix gradient_b = RowMatrix::Zero(n_bins, n_p);
      for (std::size_t i = 0; i < bins.size(); ++i) {
        sigma_b(bins[i]) += w(static_cast<Index>(i));
        gradient_b.row(bins[i]) += g.row(static_cast<Index>(i));
      }
      for (Index b = 0; b < n_bins; ++b)
        if (sigma_b(b) > 0) out.information.noalias() += gradient_b.row(b).transpose() * gradient_b.row(b) / sigma_b(b);
      out.information *= lumi;
      if (!options.include_rate) out.information -= rate;
      break;
    }
    case FisherKind::Score: {
      if (!estimators.score)
        throw InvalidArgument("the score Fisher information needs a score estimator (LimitEstimators::score)");
      RowMatrix x(events.size(), impl.events.observations.cols());
      for (Index r = 0; r < events.size(); ++r) x.row(r) = impl.events.observations.row(events.rows[static_cast<std::size_t>(r)]);
      const RowMatrix t = estimators.score(x);
      if (t.rows() != x.rows() || t.cols() < n_p)
        throw InvalidArgument(fmt::format("the score estimator returned {} × {} for {} events; expected {} × {}", t.rows(), t.cols(),
                                          x.rows(), x.rows(), n_p));
      // I = L Σ_i w_i t̂_i t̂_iᵀ = L σ E[t̂ t̂ᵀ] (the SALLY information, kinematics only).
      const RowMatrix tp = t.leftCols(n_p);
      out.information = lumi * tp.transpose() * w.asDiagonal() * tp;
      if (options.include_rate) out.information += rate;
      break;
    }
  }
  return out;
}

}  // namespace sbi
