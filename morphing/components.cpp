// Morphing components φ_c(θ) = Π_p θ_p^{α_cp} and their derivatives, for many θ at once.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "morphing_internal.hpp"
#include "sbi/error.hpp"
#include "sbi/morphing.hpp"

namespace sbi {

IntRowMatrix morphing_components(const std::vector<int>& max_powers, int max_overall_power) {
  if (max_powers.empty()) throw InvalidArgument("max_powers = []: need at least one parameter");
  for (std::size_t p = 0; p < max_powers.size(); ++p)
    if (max_powers[p] < 0)
      throw InvalidArgument(fmt::format("max_powers[{}] = {}: must be ≥ 0", p, max_powers[p]));
  if (max_overall_power < 0)
    throw InvalidArgument(fmt::format("max_overall_power = {}: must be ≥ 0", max_overall_power));

  // itertools.product order: an odometer whose last digit turns fastest.
  const std::size_t n_p = max_powers.size();
  std::vector<std::vector<std::int64_t>> rows;
  std::vector<std::int64_t> powers(n_p, 0);
  while (true) {
    std::int64_t total = 0;
    for (auto a : powers) total += a;
    if (total <= max_overall_power) rows.push_back(powers);
    std::size_t p = n_p;
    while (p > 0) {
      --p;
      if (powers[p] < max_powers[p]) {
        ++powers[p];
        break;
      }
      powers[p] = 0;
      if (p == 0) goto done;
    }
  }
done:
  IntRowMatrix components(static_cast<Index>(rows.size()), static_cast<Index>(n_p));
  for (std::size_t c = 0; c < rows.size(); ++c)
    for (std::size_t p = 0; p < n_p; ++p) components(static_cast<Index>(c), static_cast<Index>(p)) = rows[c][p];
  return components;
}

IntRowMatrix morphing_components(const ParameterSpace& parameters, int max_overall_power) {
  std::vector<int> max_powers;
  for (const auto& p : parameters) max_powers.push_back(p.max_power);
  return morphing_components(max_powers, max_overall_power);
}

namespace detail {

void check_components(const IntRowMatrix& components) {
  if (components.rows() == 0 || components.cols() == 0)
    throw InvalidArgument(fmt::format("components: shape {} × {}: need at least one component and one parameter",
                                      components.rows(), components.cols()));
  for (Index c = 0; c < components.rows(); ++c)
    for (Index p = 0; p < components.cols(); ++p)
      if (components(c, p) < 0 || components(c, p) > 64)
        throw InvalidArgument(
            fmt::format("components({}, {}) = {}: powers must be in [0, 64]", c, p, components(c, p)));
}

PowerTable::PowerTable(const IntRowMatrix& components, const RowMatrix& thetas) {
  const Index n_p = components.cols();
  if (thetas.cols() != n_p)
    throw InvalidArgument(fmt::format("θ points have {} columns: must be {} (one per parameter)", thetas.cols(), n_p));
  powers.resize(static_cast<std::size_t>(n_p));
  for (Index p = 0; p < n_p; ++p) {
    const Index max_power = components.col(p).maxCoeff();
    ColMatrix& table = powers[static_cast<std::size_t>(p)];
    table.resize(thetas.rows(), max_power + 1);
    table.col(0).setOnes();
    for (Index k = 1; k <= max_power; ++k) table.col(k) = table.col(k - 1).cwiseProduct(thetas.col(p));
  }
}

void PowerTable::monomial(const std::int64_t* exponents, Index n_p, double coefficient,
                          Eigen::Ref<Eigen::VectorXd> out) const {
  // The first non-trivial factor initialises the column; the rest multiply in, so a constant
  // monomial costs one fill and a degree-d monomial d − 1 vector products.
  bool started = false;
  for (Index p = 0; p < n_p; ++p) {
    const auto e = exponents[p];
    if (e < 0) {
      out.setZero();
      return;
    }
    if (e == 0) continue;
    const auto& column = powers[static_cast<std::size_t>(p)].col(e);
    if (!started) {
      out = coefficient * column;
      started = true;
    } else {
      out.array() *= column.array();
    }
  }
  if (!started) out.setConstant(coefficient);
}

ColMatrix values(const IntRowMatrix& components, const RowMatrix& thetas) {
  const PowerTable table(components, thetas);
  ColMatrix phi(thetas.rows(), components.rows());
  for (Index c = 0; c < components.rows(); ++c) table.monomial(components.row(c).data(), components.cols(), 1.0, phi.col(c));
  return phi;
}

ColMatrix gradients_for(const IntRowMatrix& components, const PowerTable& table, Index T, Index q) {
  const Index n_p = components.cols();
  ColMatrix d(T, components.rows());
  std::vector<std::int64_t> e(static_cast<std::size_t>(n_p));
  for (Index c = 0; c < components.rows(); ++c) {
    const auto a = components(c, q);
    if (a == 0) {
      d.col(c).setZero();
      continue;
    }
    for (Index p = 0; p < n_p; ++p) e[static_cast<std::size_t>(p)] = components(c, p);
    e[static_cast<std::size_t>(q)] -= 1;
    table.monomial(e.data(), n_p, static_cast<double>(a), d.col(c));
  }
  return d;
}

ColMatrix hessians_for(const IntRowMatrix& components, const PowerTable& table, Index T, Index q, Index r) {
  const Index n_p = components.cols();
  ColMatrix d(T, components.rows());
  std::vector<std::int64_t> e(static_cast<std::size_t>(n_p));
  for (Index c = 0; c < components.rows(); ++c) {
    const auto aq = components(c, q);
    const auto ar = components(c, r) - (q == r ? 1 : 0);
    if (aq <= 0 || ar <= 0) {
      d.col(c).setZero();
      continue;
    }
    for (Index p = 0; p < n_p; ++p) e[static_cast<std::size_t>(p)] = components(c, p);
    e[static_cast<std::size_t>(q)] -= 1;
    e[static_cast<std::size_t>(r)] -= 1;
    table.monomial(e.data(), n_p, static_cast<double>(aq * ar), d.col(c));
  }
  return d;
}

void for_each_gradient(const IntRowMatrix& components, const RowMatrix& thetas,
                       const std::function<void(Index q, const ColMatrix&)>& f) {
  const PowerTable table(components, thetas);
  for (Index q = 0; q < components.cols(); ++q) f(q, gradients_for(components, table, thetas.rows(), q));
}

void for_each_hessian(const IntRowMatrix& components, const RowMatrix& thetas,
                      const std::function<void(Index q, Index r, const ColMatrix&)>& f) {
  const PowerTable table(components, thetas);
  for (Index q = 0; q < components.cols(); ++q)
    for (Index r = q; r < components.cols(); ++r) f(q, r, hessians_for(components, table, thetas.rows(), q, r));
}

}  // namespace detail

RowMatrix component_values(const IntRowMatrix& components, const RowMatrix& thetas) {
  detail::check_components(components);
  return detail::values(components, thetas);
}

RowMatrix component_gradients(const IntRowMatrix& components, const RowMatrix& thetas) {
  detail::check_components(components);
  const Index T = thetas.rows(), P = components.cols(), C = components.rows();
  RowMatrix out(T * P, C);
  detail::for_each_gradient(components, thetas, [&](Index q, const detail::ColMatrix& d) {
    for (Index t = 0; t < T; ++t) out.row(t * P + q) = d.row(t);
  });
  return out;
}

RowMatrix component_hessians(const IntRowMatrix& components, const RowMatrix& thetas) {
  detail::check_components(components);
  const Index T = thetas.rows(), P = components.cols(), C = components.rows();
  RowMatrix out(T * P * P, C);
  detail::for_each_hessian(components, thetas, [&](Index q, Index r, const detail::ColMatrix& d) {
    for (Index t = 0; t < T; ++t) {
      out.row((t * P + q) * P + r) = d.row(t);
      out.row((t * P + r) * P + q) = d.row(t);
    }
  });
  return out;
}

}  // namespace sbi
