#include "sbi/setup.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include "sbi/error.hpp"

namespace sbi {

bool operator==(const Parameter& a, const Parameter& b) {
  return a.name == b.name && a.lha_block == b.lha_block && a.lha_id == b.lha_id && a.max_power == b.max_power &&
         a.range_low == b.range_low && a.range_high == b.range_high && a.transform == b.transform;
}

ParameterSpace::ParameterSpace(std::vector<Parameter> parameters) : parameters_(std::move(parameters)) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    if (p.name.empty()) throw InvalidArgument(fmt::format("parameter {}: name is empty; every parameter needs a unique name", i));
    if (!seen.insert(p.name).second)
      throw InvalidArgument(fmt::format("parameter '{}' appears twice; parameter names must be unique", p.name));
    if (p.max_power < 1)
      throw InvalidArgument(fmt::format("parameter '{}': max_power = {}: must be at least 1", p.name, p.max_power));
    if (!std::isfinite(p.range_low) || !std::isfinite(p.range_high) || !(p.range_low < p.range_high))
      throw InvalidArgument(fmt::format("parameter '{}': range = [{}, {}]: must be finite with low < high", p.name,
                                        p.range_low, p.range_high));
  }
}

Index ParameterSpace::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    if (parameters_[i].name == name) return static_cast<Index>(i);
  throw NotFound(fmt::format("no parameter named '{}'; the parameters are [{}]", name, fmt::join(names(), ", ")));
}

std::vector<std::string> ParameterSpace::names() const {
  std::vector<std::string> out;
  out.reserve(parameters_.size());
  for (const auto& p : parameters_) out.push_back(p.name);
  return out;
}

Index Setup::benchmark_index(std::string_view name) const {
  for (std::size_t i = 0; i < benchmarks.size(); ++i)
    if (benchmarks[i].name == name) return static_cast<Index>(i);
  throw NotFound(fmt::format("no benchmark named '{}'; the benchmarks are [{}]", name, fmt::join(benchmark_names(), ", ")));
}

Index Setup::n_physical_benchmarks() const {
  Index n = 0;
  for (const auto& b : benchmarks) n += b.is_nuisance ? 0 : 1;
  return n;
}

Index Setup::reference_benchmark() const {
  for (std::size_t i = 0; i < benchmarks.size(); ++i)
    if (benchmarks[i].is_reference) return static_cast<Index>(i);
  return -1;
}

std::vector<std::string> Setup::benchmark_names() const {
  std::vector<std::string> out;
  for (const auto& b : benchmarks) out.push_back(b.name);
  return out;
}

std::vector<std::string> Setup::observable_names() const {
  std::vector<std::string> out;
  for (const auto& o : observables) out.push_back(o.name);
  return out;
}

RowMatrix Setup::benchmark_values() const {
  RowMatrix values(static_cast<Index>(benchmarks.size()), parameters.size());
  for (std::size_t b = 0; b < benchmarks.size(); ++b) values.row(static_cast<Index>(b)) = benchmarks[b].values.transpose();
  return values;
}

void Setup::validate() const {
  // Re-run the parameter checks: a default-constructed ParameterSpace filled by assignment is fine,
  // but a set-up read from a file must satisfy them too.
  ParameterSpace checked(parameters.parameters());
  const Index n_p = parameters.size();

  std::set<std::string> names;
  bool seen_nuisance = false;
  Index n_reference = 0;
  for (std::size_t b = 0; b < benchmarks.size(); ++b) {
    const Benchmark& bm = benchmarks[b];
    if (bm.name.empty()) throw InvalidArgument(fmt::format("benchmark {}: name is empty", b));
    if (!names.insert(bm.name).second)
      throw InvalidArgument(fmt::format("benchmark '{}' appears twice; benchmark names must be unique", bm.name));
    if (bm.values.size() != n_p)
      throw InvalidArgument(fmt::format("benchmark '{}' has {} values; the set-up has {} parameters", bm.name,
                                        bm.values.size(), n_p));
    for (Index p = 0; p < n_p; ++p)
      if (!std::isfinite(bm.values(p)))
        throw InvalidArgument(fmt::format("benchmark '{}': {} = {}: benchmark values must be finite", bm.name,
                                          parameters[p].name, bm.values(p)));
    if (bm.is_nuisance) seen_nuisance = true;
    else if (seen_nuisance)
      throw InvalidArgument(fmt::format("benchmark '{}' is physical but follows a nuisance benchmark; physical "
                                        "benchmarks must come first (the morphing matrix's column order)",
                                        bm.name));
    n_reference += bm.is_reference ? 1 : 0;
  }
  if (n_reference > 1)
    throw InvalidArgument(fmt::format("{} benchmarks are flagged as reference; at most one may be", n_reference));

  if (morphing) {
    const auto& m = *morphing;
    if (m.components.cols() != n_p)
      throw InvalidArgument(fmt::format("morphing/components has {} columns; the set-up has {} parameters",
                                        m.components.cols(), n_p));
    for (Index c = 0; c < m.components.rows(); ++c)
      for (Index p = 0; p < n_p; ++p)
        if (m.components(c, p) < 0)
          throw InvalidArgument(fmt::format("morphing/components[{}, {}] = {}: powers must be non-negative", c, p,
                                            m.components(c, p)));
    const Index n_phys = n_physical_benchmarks();
    if (m.matrix.rows() != m.components.rows() || m.matrix.cols() != n_phys)
      throw InvalidArgument(fmt::format(
          "morphing/morphing_matrix has shape ({}, {}); it must be (n_components, n_physical_benchmarks) = ({}, {})",
          m.matrix.rows(), m.matrix.cols(), m.components.rows(), n_phys));
    for (Index i = 0; i < m.matrix.rows(); ++i)
      for (Index j = 0; j < m.matrix.cols(); ++j)
        if (!std::isfinite(m.matrix(i, j)))
          throw InvalidArgument(fmt::format("morphing/morphing_matrix[{}, {}] = {}: must be finite", i, j, m.matrix(i, j)));
  }

  std::set<std::string> observable_names_seen;
  for (const auto& o : observables)
    if (!observable_names_seen.insert(o.name).second)
      throw InvalidArgument(fmt::format("observable '{}' appears twice; observable names must be unique", o.name));

  for (const auto& nu : nuisance_parameters)
    for (const auto* ref : {&nu.benchmark_positive, &nu.benchmark_negative})
      if (!ref->empty() && !names.count(*ref))
        throw InvalidArgument(fmt::format("nuisance parameter '{}' refers to benchmark '{}', which does not exist",
                                          nu.name, *ref));
}

}  // namespace sbi
