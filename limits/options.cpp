// Names, binning specifications, scan grids and the validation of the limits options.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "sbi/error.hpp"
#include "sbi/limits.hpp"

namespace sbi {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// ---- modes -------------------------------------------------------------------------------------

std::string_view to_string(LimitMode mode) {
  switch (mode) {
    case LimitMode::Rate: return "rate";
    case LimitMode::Histo: return "histo";
    case LimitMode::Sally: return "sally";
    case LimitMode::Sallino: return "sallino";
    case LimitMode::AdaptiveSally: return "adaptive-sally";
    case LimitMode::Ml: return "ml";
  }
  return "?";
}

LimitMode parse_limit_mode(std::string_view name) {
  const std::string n = lower(name);
  if (n == "rate") return LimitMode::Rate;
  if (n == "histo") return LimitMode::Histo;
  if (n == "sally") return LimitMode::Sally;
  if (n == "sallino") return LimitMode::Sallino;
  if (n == "adaptive-sally" || n == "adaptive_sally") return LimitMode::AdaptiveSally;
  if (n == "ml") return LimitMode::Ml;
  throw InvalidArgument(
      fmt::format("mode '{}' is not a limit mode; use one of rate, histo, sally, sallino, adaptive-sally, ml", name));
}

bool is_binned(LimitMode mode) {
  return mode == LimitMode::Histo || mode == LimitMode::Sally || mode == LimitMode::Sallino ||
         mode == LimitMode::AdaptiveSally;
}

bool needs_score(LimitMode mode) {
  return mode == LimitMode::Sally || mode == LimitMode::Sallino || mode == LimitMode::AdaptiveSally;
}

std::string_view to_string(BinningReference reference) {
  switch (reference) {
    case BinningReference::Auto: return "auto";
    case BinningReference::Grid: return "grid";
    case BinningReference::Center: return "center";
    case BinningReference::PerPoint: return "per-point";
  }
  return "?";
}

BinningReference parse_binning_reference(std::string_view name) {
  const std::string n = lower(name);
  if (n == "auto" || n == "auto-grid") return BinningReference::Auto;
  if (n == "grid") return BinningReference::Grid;
  if (n == "center" || n == "centre") return BinningReference::Center;
  if (n == "per-point" || n == "per_point" || n == "point") return BinningReference::PerPoint;
  throw InvalidArgument(fmt::format("binning reference '{}' is not known; use one of auto, grid, center, per-point", name));
}

std::string_view to_string(FisherKind kind) {
  switch (kind) {
    case FisherKind::Truth: return "truth";
    case FisherKind::Rate: return "rate";
    case FisherKind::Histogram: return "histogram";
    case FisherKind::Score: return "score";
  }
  return "?";
}

FisherKind parse_fisher_kind(std::string_view name) {
  const std::string n = lower(name);
  if (n == "truth") return FisherKind::Truth;
  if (n == "rate") return FisherKind::Rate;
  if (n == "histogram" || n == "histo") return FisherKind::Histogram;
  if (n == "score" || n == "sally") return FisherKind::Score;
  throw InvalidArgument(fmt::format("Fisher information kind '{}' is not known; use one of truth, rate, histogram, score", name));
}

// ---- binning -----------------------------------------------------------------------------------

AxisBinning AxisBinning::fixed(std::vector<double> edges) {
  AxisBinning b;
  b.edges = std::move(edges);
  b.validate("binning");
  return b;
}

AxisBinning AxisBinning::adaptive(Index n_bins) {
  AxisBinning b;
  b.n_bins = n_bins;
  b.validate("binning");
  return b;
}

void AxisBinning::validate(const std::string& what) const {
  if (is_adaptive()) {
    if (n_bins < 1) throw InvalidArgument(fmt::format("{} = {} bins: an adaptive binning needs at least 1 bin", what, n_bins));
    return;
  }
  if (edges.size() < 2)
    throw InvalidArgument(fmt::format("{} = [{}]: fixed edges need at least two values", what, fmt::join(edges, ", ")));
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (std::isnan(edges[i]))
      throw InvalidArgument(fmt::format("{} = [{}]: edge {} is NaN", what, fmt::join(edges, ", "), i));
    if (i > 0 && !(edges[i] > edges[i - 1]))
      throw InvalidArgument(fmt::format("{} = [{}]: edges must be strictly increasing (edge {} = {} ≤ edge {} = {})", what,
                                        fmt::join(edges, ", "), i, edges[i], i - 1, edges[i - 1]));
  }
}

// ---- grids -------------------------------------------------------------------------------------

GridAxis GridAxis::range(double low, double high, Index n_points) {
  GridAxis a;
  a.low = low;
  a.high = high;
  a.n_points = n_points;
  return a;
}

GridAxis GridAxis::fixed(double value) { return range(value, value, 1); }

Vector GridAxis::values() const {
  if (n_points == 1) return Vector::Constant(1, low);
  return Vector::LinSpaced(n_points, low, high);
}

ScanGrid ScanGrid::regular(std::vector<GridAxis> axes) {
  if (axes.empty()) throw InvalidArgument("grid: no axes; give one axis (a range or a fixed value) per parameter");
  Index total = 1;
  for (std::size_t p = 0; p < axes.size(); ++p) {
    const GridAxis& a = axes[p];
    if (!std::isfinite(a.low) || !std::isfinite(a.high))
      throw InvalidArgument(fmt::format("grid axis {}: [{}, {}] must be finite", p, a.low, a.high));
    if (a.n_points < 1) throw InvalidArgument(fmt::format("grid axis {}: n_points = {}: must be ≥ 1", p, a.n_points));
    if (a.n_points == 1 && a.low != a.high)
      throw InvalidArgument(fmt::format("grid axis {}: one point but low = {} ≠ high = {}; use GridAxis::fixed", p, a.low, a.high));
    if (a.n_points > 1 && !(a.low < a.high))
      throw InvalidArgument(fmt::format("grid axis {}: [{}, {}] with {} points: low must be < high", p, a.low, a.high, a.n_points));
    total *= a.n_points;
  }
  ScanGrid grid;
  grid.axes_ = std::move(axes);
  const Index n_p = static_cast<Index>(grid.axes_.size());
  grid.thetas_.resize(total, n_p);
  std::vector<Vector> values;
  for (const auto& a : grid.axes_) values.push_back(a.values());
  // numpy.meshgrid(..., indexing="ij") flattened: the last parameter varies fastest.
  for (Index t = 0; t < total; ++t) {
    Index rest = t;
    for (Index p = n_p - 1; p >= 0; --p) {
      const Index n = grid.axes_[static_cast<std::size_t>(p)].n_points;
      grid.thetas_(t, p) = values[static_cast<std::size_t>(p)](rest % n);
      rest /= n;
    }
  }
  return grid;
}

ScanGrid ScanGrid::points(RowMatrix thetas) {
  if (thetas.rows() < 1 || thetas.cols() < 1)
    throw InvalidArgument(fmt::format("grid points: {} × {}: need at least one point and one parameter", thetas.rows(), thetas.cols()));
  if (!thetas.allFinite()) throw InvalidArgument("grid points: every value must be finite");
  ScanGrid grid;
  grid.thetas_ = std::move(thetas);
  return grid;
}

Vector ScanGrid::axis_values(Index p) const {
  if (p < 0 || p >= n_parameters()) throw InvalidArgument(fmt::format("axis_values({}): the grid has {} parameters", p, n_parameters()));
  if (is_regular()) return axes_[static_cast<std::size_t>(p)].values();
  std::set<double> distinct;
  for (Index t = 0; t < thetas_.rows(); ++t) distinct.insert(thetas_(t, p));
  Vector out(static_cast<Index>(distinct.size()));
  Index i = 0;
  for (double v : distinct) out(i++) = v;
  return out;
}

std::vector<Index> ScanGrid::scanned_parameters() const {
  std::vector<Index> out;
  for (Index p = 0; p < n_parameters(); ++p) {
    const bool varies = is_regular() ? axes_[static_cast<std::size_t>(p)].n_points > 1
                                     : (thetas_.col(p).array() != thetas_(0, p)).any();
    if (varies) out.push_back(p);
  }
  return out;
}

std::vector<Index> ScanGrid::shape() const {
  std::vector<Index> out;
  for (const auto& a : axes_) out.push_back(a.n_points);
  return out;
}

Vector ScanGrid::centre() const {
  if (is_regular()) {
    Vector c(n_parameters());
    for (Index p = 0; p < n_parameters(); ++p) {
      const auto& a = axes_[static_cast<std::size_t>(p)];
      c(p) = 0.5 * (a.low + a.high);
    }
    return c;
  }
  return thetas_.colwise().mean().transpose();
}

// ---- options -----------------------------------------------------------------------------------

void LimitOptions::validate() const {
  if (!(luminosity > 0) || !std::isfinite(luminosity))
    throw InvalidArgument(fmt::format("luminosity = {}: must be a positive number of pb⁻¹", luminosity));
  if (mode == LimitMode::Rate && !include_rate)
    throw InvalidArgument("include_rate = false: the rate mode has no other term; include the rate or choose another mode");
  if (mode == LimitMode::Histo && observables.empty())
    throw InvalidArgument("observables = []: the histo mode needs the names of 1 or 2 observables to histogram");
  if (mode != LimitMode::Histo && !observables.empty())
    throw InvalidArgument(fmt::format("observables = [{}]: only the histo mode histograms observables (mode = {})",
                                      fmt::join(observables, ", "), to_string(mode)));
  if (!needs_score(mode) && !score_components.empty())
    throw InvalidArgument(fmt::format("score_components = [{}]: only sally, sallino and adaptive-sally use score components",
                                      fmt::join(score_components, ", ")));
  std::set<Index> seen;
  for (std::size_t i = 0; i < score_components.size(); ++i) {
    if (score_components[i] < 0)
      throw InvalidArgument(fmt::format("score_components[{}] = {}: must be ≥ 0", i, score_components[i]));
    if (!seen.insert(score_components[i]).second)
      throw InvalidArgument(fmt::format("score_components[{}] = {}: listed twice", i, score_components[i]));
  }
  if (!is_binned(mode) && !binning.empty())
    throw InvalidArgument(fmt::format("binning: {} entries given but mode {} has no histogram", binning.size(), to_string(mode)));
  for (std::size_t i = 0; i < binning.size(); ++i) binning[i].validate(fmt::format("binning[{}]", i));
  if (!theta_ref.allFinite()) throw InvalidArgument("theta_ref: every value must be finite");
  if (!(empty_bin_floor > 0 && empty_bin_floor <= 1e-3))
    throw InvalidArgument(fmt::format("empty_bin_floor = {}: must be in (0, 1e-3]", empty_bin_floor));
  if (!(test_split > 0 && test_split < 1))
    throw InvalidArgument(fmt::format("test_split = {}: must be in (0, 1) (the Asimov data come from the test partition)", test_split));
  if (!(validation_split >= 0 && validation_split < 1 && test_split + validation_split < 1))
    throw InvalidArgument(fmt::format("validation_split = {}: must be in [0, 1) with test_split + validation_split < 1",
                                      validation_split));
  if (dof < 0) throw InvalidArgument(fmt::format("dof = {}: must be ≥ 1, or 0 for the number of scanned parameters", dof));
  if (confidence_levels.empty()) throw InvalidArgument("confidence_levels = []: give at least one level, e.g. [0.68, 0.95]");
  for (std::size_t i = 0; i < confidence_levels.size(); ++i)
    if (!(confidence_levels[i] > 0 && confidence_levels[i] < 1))
      throw InvalidArgument(fmt::format("confidence_levels[{}] = {}: must be in (0, 1)", i, confidence_levels[i]));
  if (theta_batch_size < 1) throw InvalidArgument(fmt::format("theta_batch_size = {}: must be ≥ 1", theta_batch_size));
}

void FisherOptions::validate() const {
  if (!(luminosity > 0) || !std::isfinite(luminosity))
    throw InvalidArgument(fmt::format("luminosity = {}: must be a positive number of pb⁻¹", luminosity));
  if (kind == FisherKind::Histogram && observables.empty())
    throw InvalidArgument("observables = []: the histogram Fisher information needs the observables to histogram");
  for (std::size_t i = 0; i < binning.size(); ++i) binning[i].validate(fmt::format("binning[{}]", i));
  if (!(test_split >= 0 && test_split < 1))
    throw InvalidArgument(fmt::format("test_split = {}: must be in [0, 1)", test_split));
  if (!(validation_split >= 0 && validation_split < 1 && test_split + validation_split < 1))
    throw InvalidArgument(fmt::format("validation_split = {}: must be in [0, 1) with test_split + validation_split < 1",
                                      validation_split));
}

void PlotOptions::validate() const {
  if (width < 200 || height < 200)
    throw InvalidArgument(fmt::format("plot size = {} × {} px: each side must be ≥ 200", width, height));
  if (formats.empty()) throw InvalidArgument("plot formats = []: give png and/or pdf");
  for (std::size_t i = 0; i < formats.size(); ++i)
    if (formats[i] != "png" && formats[i] != "pdf")
      throw InvalidArgument(fmt::format("plot formats[{}] = '{}': must be png or pdf", i, formats[i]));
  if (!(q_max >= 0) || !std::isfinite(q_max)) throw InvalidArgument(fmt::format("q_max = {}: must be ≥ 0 (0 = automatic)", q_max));
}

}  // namespace sbi
