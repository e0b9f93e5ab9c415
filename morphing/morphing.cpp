// The Morphing class: morphing matrix from benchmark points (Eq. (2) of morphing.hpp), weights,
// gradients, Hessians, morphed event weights and cross sections.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>

#include "morphing_internal.hpp"
#include "sbi/error.hpp"
#include "sbi/morphing.hpp"

namespace sbi {

void MorphingOptions::validate() const {
  if (!(max_condition_number > 1.0))
    throw InvalidArgument(fmt::format("max_condition_number = {}: must be > 1", max_condition_number));
}

namespace {

std::string benchmark_label(const MorphingOptions& options, Index b) {
  if (!options.benchmark_names.empty()) return fmt::format("'{}'", options.benchmark_names[static_cast<std::size_t>(b)]);
  return fmt::format("benchmark {}", b);
}

std::string monomial_name(const IntRowMatrix& components, Index c) {
  std::string term;
  for (Index p = 0; p < components.cols(); ++p) {
    const auto a = components(c, p);
    if (a == 0) continue;
    if (!term.empty()) term += "*";
    term += a == 1 ? fmt::format("θ{}", p) : fmt::format("θ{}^{}", p, a);
  }
  return term.empty() ? "1" : term;
}

double condition_of(const RowMatrix& matrix) {
  Eigen::BDCSVD<Eigen::MatrixXd> svd(matrix);
  const auto& s = svd.singularValues();
  if (s.size() == 0) return std::numeric_limits<double>::infinity();
  const double smallest = s(s.size() - 1);
  return smallest > 0.0 ? s(0) / smallest : std::numeric_limits<double>::infinity();
}

}  // namespace

Morphing::Morphing(IntRowMatrix components, RowMatrix benchmark_points, const MorphingOptions& options)
    : components_(std::move(components)), benchmark_points_(std::move(benchmark_points)) {
  options.validate();
  detail::check_components(components_);
  const Index C = components_.rows(), P = components_.cols(), B = benchmark_points_.rows();
  if (benchmark_points_.cols() != P)
    throw InvalidArgument(fmt::format("benchmark points: {} columns: must be {} (one per parameter)",
                                      benchmark_points_.cols(), P));
  if (B < C)
    throw InvalidArgument(fmt::format("benchmark points: {} benchmarks for {} components: a morphing needs at least as "
                                      "many benchmarks as components",
                                      B, C));
  if (!options.benchmark_names.empty() && static_cast<Index>(options.benchmark_names.size()) != B)
    throw InvalidArgument(fmt::format("benchmark_names: {} names for {} benchmarks: give one name per benchmark or none",
                                      options.benchmark_names.size(), B));
  if (!benchmark_points_.allFinite())
    throw InvalidArgument("benchmark points: not all finite; every benchmark needs finite parameter values");

  // Identical points are the commonest degenerate basis; name them directly.
  for (Index a = 0; a < B; ++a)
    for (Index b = a + 1; b < B; ++b)
      if (benchmark_points_.row(a) == benchmark_points_.row(b))
        throw NumericalError(fmt::format("degenerate morphing basis: {} and {} are the same point ({}); every "
                                         "benchmark must be a distinct point",
                                         benchmark_label(options, a), benchmark_label(options, b),
                                         fmt::join(benchmark_points_.row(a), ", ")));

  const RowMatrix theta_matrix = detail::values(components_, benchmark_points_);  // Θ, B × C
  // A component that vanishes at every benchmark (no benchmark moves its parameters off 0) is a
  // zero column of Θ: nothing resolves it, and the equilibration below would divide by 0.
  std::vector<std::string> vanishing;
  for (Index c = 0; c < C; ++c)
    if (!(theta_matrix.col(c).cwiseAbs().maxCoeff() > 0.0)) vanishing.push_back(monomial_name(components_, c));
  if (!vanishing.empty())
    throw NumericalError(fmt::format("degenerate morphing basis: the components [{}] vanish at every benchmark; add "
                                     "benchmarks where their parameters are not 0",
                                     fmt::join(vanishing, ", ")));
  // Column equilibration: Θ̃ = Θ S with unit-norm columns. Θ⁺ = S Θ̃⁺ for full column rank, so the
  // solve is unchanged in exact arithmetic, but κ(Θ̃) measures the real loss of precision.
  const Eigen::VectorXd scale = theta_matrix.colwise().norm().cwiseInverse().transpose();
  const Eigen::MatrixXd equilibrated = theta_matrix * scale.asDiagonal();

  Eigen::BDCSVD<Eigen::MatrixXd> svd(equilibrated, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const auto& s = svd.singularValues();
  const double smallest = s(C - 1);
  equilibrated_condition_number_ = smallest > 0.0 ? s(0) / smallest : std::numeric_limits<double>::infinity();
  condition_number_ = condition_of(theta_matrix);
  if (!(equilibrated_condition_number_ <= options.max_condition_number)) {
    // The left singular vector of the smallest singular value is the combination of benchmark
    // rows that (nearly) vanishes; its large entries are the benchmarks that are degenerate.
    // For an over-complete basis with a rank deficit, the right singular vector names the
    // component combination no benchmark resolves.
    const Eigen::VectorXd u = svd.matrixU().col(C - 1);
    const Eigen::VectorXd v = svd.matrixV().col(C - 1);
    std::vector<std::string> involved;
    const double u_max = u.cwiseAbs().maxCoeff();
    for (Index b = 0; b < B; ++b)
      if (std::abs(u(b)) >= 0.1 * u_max) involved.push_back(benchmark_label(options, b));
    std::vector<std::string> unresolved;
    const double v_max = v.cwiseAbs().maxCoeff();
    for (Index c = 0; c < C; ++c)
      if (std::abs(v(c)) >= 0.1 * v_max) unresolved.push_back(monomial_name(components_, c));
    throw NumericalError(fmt::format(
        "degenerate morphing basis: condition number {:.3g} of the (column-equilibrated) component matrix exceeds {:.3g}; "
        "benchmarks involved: [{}]; poorly determined components: [{}]. Move or replace these benchmarks",
        equilibrated_condition_number_, options.max_condition_number, fmt::join(involved, ", "),
        fmt::join(unresolved, ", ")));
  }

  // Least-squares solve Θ̃ X = 1_B (X = Θ̃⁺ for full column rank), M = S X.
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(equilibrated);
  const Eigen::MatrixXd x = qr.solve(Eigen::MatrixXd::Identity(B, B));
  matrix_ = scale.asDiagonal() * x;
  if (!matrix_.allFinite())
    throw NumericalError("morphing matrix: the solve produced non-finite values; the basis is degenerate");
}

Morphing Morphing::from_matrix(IntRowMatrix components, RowMatrix matrix, RowMatrix benchmark_points) {
  detail::check_components(components);
  if (matrix.rows() != components.rows())
    throw InvalidArgument(fmt::format("morphing matrix: {} rows: must be {} (one per component; MadMiner's orientation "
                                      "is n_components × n_benchmarks)",
                                      matrix.rows(), components.rows()));
  if (!matrix.allFinite()) throw InvalidArgument("morphing matrix: not all finite");
  Morphing m;
  m.components_ = std::move(components);
  m.matrix_ = std::move(matrix);
  m.condition_number_ = std::numeric_limits<double>::quiet_NaN();
  m.equilibrated_condition_number_ = std::numeric_limits<double>::quiet_NaN();
  if (benchmark_points.size() > 0) {
    if (benchmark_points.rows() != m.matrix_.cols() || benchmark_points.cols() != m.components_.cols())
      throw InvalidArgument(fmt::format("benchmark points: shape {} × {}: must be {} × {} (benchmarks × parameters)",
                                        benchmark_points.rows(), benchmark_points.cols(), m.matrix_.cols(),
                                        m.components_.cols()));
    const RowMatrix theta_matrix = detail::values(m.components_, benchmark_points);
    m.condition_number_ = condition_of(theta_matrix);
    const Eigen::VectorXd scale = theta_matrix.colwise().norm().cwiseInverse().transpose();
    m.equilibrated_condition_number_ = condition_of(theta_matrix * scale.asDiagonal());
    m.benchmark_points_ = std::move(benchmark_points);
  }
  return m;
}

Morphing Morphing::from_setup(const Setup& setup) {
  if (!setup.morphing)
    throw InvalidArgument(fmt::format("the set-up has no stored morphing (benchmarks [{}]); build one with "
                                      "Morphing(morphing_components(parameters, max_overall_power), benchmark points)",
                                      fmt::join(setup.benchmark_names(), ", ")));
  const Index n_phys = setup.n_physical_benchmarks();
  if (setup.morphing->matrix.cols() != n_phys)
    throw InvalidArgument(fmt::format("morphing matrix: {} columns: must be {} (one per physical benchmark)",
                                      setup.morphing->matrix.cols(), n_phys));
  if (setup.morphing->components.cols() != setup.parameters.size())
    throw InvalidArgument(fmt::format("morphing components: {} columns: must be {} (one per parameter)",
                                      setup.morphing->components.cols(), setup.parameters.size()));
  const RowMatrix points = setup.benchmark_values().topRows(n_phys);
  return from_matrix(setup.morphing->components, setup.morphing->matrix, points);
}

void Morphing::check_theta_columns(Index columns, const char* what) const {
  if (columns != n_parameters())
    throw InvalidArgument(fmt::format("{}: {} parameter values: must be {} (one per parameter)", what, columns,
                                      n_parameters()));
}

// ---- one θ ----

Vector Morphing::component_values(const Vector& theta) const {
  check_theta_columns(theta.size(), "θ");
  return detail::values(components_, theta.transpose()).row(0).transpose();
}

Vector Morphing::weights(const Vector& theta) const {
  check_theta_columns(theta.size(), "θ");
  return weights_at_points(RowMatrix(theta.transpose())).row(0).transpose();
}

RowMatrix Morphing::weight_gradients(const Vector& theta) const {
  check_theta_columns(theta.size(), "θ");
  return weight_gradients_at_points(RowMatrix(theta.transpose()));
}

RowMatrix Morphing::weight_hessians(const Vector& theta) const {
  check_theta_columns(theta.size(), "θ");
  return weight_hessians_at_points(RowMatrix(theta.transpose()));
}

// ---- T points ----

RowMatrix Morphing::weights_at_points(const RowMatrix& thetas) const {
  check_theta_columns(thetas.cols(), "θ points");
  // In blocks of θ points, so that Φ (block × C) stays in cache and only the output goes to
  // memory: for 10⁶ points this halves the time against building the whole T × C matrix first.
  constexpr Index block = 4096;
  const Index T = thetas.rows();
  RowMatrix out(T, n_benchmarks());
  for (Index start = 0; start < T; start += block) {
    const Index rows = std::min(block, T - start);
    out.middleRows(start, rows).noalias() = detail::values(components_, thetas.middleRows(start, rows)) * matrix_;
  }
  return out;
}

RowMatrix Morphing::weight_gradients_at_points(const RowMatrix& thetas) const {
  check_theta_columns(thetas.cols(), "θ points");
  const Index T = thetas.rows(), P = n_parameters();
  RowMatrix out(T * P, n_benchmarks());
  detail::for_each_gradient(components_, thetas, [&](Index q, const detail::ColMatrix& d) {
    detail::strided_rows(out, q, P, T).noalias() = d * matrix_;
  });
  return out;
}

RowMatrix Morphing::weight_hessians_at_points(const RowMatrix& thetas) const {
  check_theta_columns(thetas.cols(), "θ points");
  const Index T = thetas.rows(), P = n_parameters();
  RowMatrix out(T * P * P, n_benchmarks());
  detail::for_each_hessian(components_, thetas, [&](Index q, Index r, const detail::ColMatrix& d) {
    detail::strided_rows(out, q * P + r, P * P, T).noalias() = d * matrix_;
    if (r != q) detail::strided_rows(out, r * P + q, P * P, T) = detail::strided_rows(out, q * P + r, P * P, T);
  });
  return out;
}

// ---- events and cross sections ----

RowMatrix Morphing::morphed_event_weights(const RowMatrix& event_weights, const RowMatrix& thetas) const {
  RowMatrix out(event_weights.rows(), thetas.rows());
  morphed_event_weights(event_weights, thetas, out);
  return out;
}

void Morphing::morphed_event_weights(const Eigen::Ref<const RowMatrix>& event_weights, const RowMatrix& thetas,
                                     Eigen::Ref<RowMatrix> out) const {
  if (event_weights.cols() != n_benchmarks())
    throw InvalidArgument(fmt::format("event weights: {} columns: must be {} (one per benchmark of the morphing)",
                                      event_weights.cols(), n_benchmarks()));
  if (out.rows() != event_weights.rows() || out.cols() != thetas.rows())
    throw InvalidArgument(fmt::format("output: shape {} × {}: must be {} × {} (events × θ points)", out.rows(),
                                      out.cols(), event_weights.rows(), thetas.rows()));
  const RowMatrix w = weights_at_points(thetas);  // T × B
  out.noalias() = event_weights * w.transpose();
}

Vector Morphing::component_cross_sections(const Vector& benchmark_cross_sections) const {
  if (benchmark_cross_sections.size() != n_benchmarks())
    throw InvalidArgument(fmt::format("benchmark cross sections: {} values: must be {} (one per benchmark)",
                                      benchmark_cross_sections.size(), n_benchmarks()));
  return matrix_ * benchmark_cross_sections;
}

double Morphing::cross_section(const Vector& benchmark_cross_sections, const Vector& theta) const {
  return cross_sections(benchmark_cross_sections, RowMatrix(theta.transpose()))(0);
}

Vector Morphing::cross_section_gradient(const Vector& benchmark_cross_sections, const Vector& theta) const {
  return cross_section_gradients(benchmark_cross_sections, RowMatrix(theta.transpose())).row(0).transpose();
}

Vector Morphing::cross_sections(const Vector& benchmark_cross_sections, const RowMatrix& thetas) const {
  // σ(θ) = φ(θ)ᵀ (M σ_bench): one product with the C component cross sections.
  const Vector s = component_cross_sections(benchmark_cross_sections);
  check_theta_columns(thetas.cols(), "θ points");
  return detail::values(components_, thetas) * s;
}

RowMatrix Morphing::cross_section_gradients(const Vector& benchmark_cross_sections, const RowMatrix& thetas) const {
  const Vector s = component_cross_sections(benchmark_cross_sections);
  check_theta_columns(thetas.cols(), "θ points");
  RowMatrix out(thetas.rows(), n_parameters());
  detail::for_each_gradient(components_, thetas, [&](Index q, const detail::ColMatrix& d) { out.col(q) = d * s; });
  return out;
}

}  // namespace sbi
