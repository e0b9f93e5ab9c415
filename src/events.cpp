#include "sbi/events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sbi/error.hpp"

namespace sbi {

std::int64_t Events::process_of(Index i) const {
  if (process_ids.size() > 0) return process_ids(i);
  return sampling_benchmarks(i) < 0 ? 1 : 0;
}

Vector Events::sampling_factors(const std::optional<SampleSummary>& summary) const {
  Vector factors = Vector::Ones(size());
  if (!summary) return factors;
  std::int64_t total = 0, runs = 0;
  for (auto n : summary->signal_events) {
    total += n;
    runs += n > 0 ? 1 : 0;
  }
  if (runs <= 1) return factors;
  for (Index i = 0; i < size(); ++i) {
    const auto b = sampling_benchmarks(i);
    if (b >= 0 && b < static_cast<std::int64_t>(summary->signal_events.size()))
      factors(i) = static_cast<double>(summary->signal_events[static_cast<std::size_t>(b)]) / static_cast<double>(total);
  }
  return factors;
}

Vector Events::cross_sections(const std::optional<SampleSummary>& summary) const {
  return weights.transpose() * sampling_factors(summary);
}

void Events::validate(const Setup& setup, const std::string& where) const {
  const Index n = observations.rows();
  const auto n_o = static_cast<Index>(setup.observables.size());
  const auto n_b = static_cast<Index>(setup.benchmarks.size());

  if (!setup.observables.empty() && observations.cols() != n_o)
    throw InvalidArgument(fmt::format("{}: samples/observations has {} columns; the set-up defines {} observables",
                                      where, observations.cols(), n_o));
  if (weights.rows() != n)
    throw InvalidArgument(fmt::format("{}: samples/weights has {} rows but samples/observations has {}", where,
                                      weights.rows(), n));
  if (weights.cols() != n_b)
    throw InvalidArgument(fmt::format("{}: samples/weights has {} columns; the set-up has {} benchmarks", where,
                                      weights.cols(), n_b));
  if (sampling_benchmarks.size() != n)
    throw InvalidArgument(fmt::format("{}: samples/sampling_benchmarks has {} entries for {} events", where,
                                      sampling_benchmarks.size(), n));
  if (process_ids.size() != 0 && process_ids.size() != n)
    throw InvalidArgument(fmt::format("{}: samples/process_ids has {} entries for {} events", where,
                                      process_ids.size(), n));

  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < observations.cols(); ++j)
      if (!std::isfinite(observations(i, j)))
        throw DataError(fmt::format("{}: samples/observations[{}, {}] ({}) = {} at event {}: observables must be finite",
                                    where, i, j, j < n_o ? setup.observables[j].name : "?", observations(i, j), i));
    for (Index b = 0; b < weights.cols(); ++b)
      if (!std::isfinite(weights(i, b)))
        throw DataError(fmt::format("{}: samples/weights[{}, {}] (benchmark '{}') = {} at event {}: weights must be finite",
                                    where, i, b, setup.benchmarks[b].name, weights(i, b), i));
    if (sampling_benchmarks(i) < -1 || sampling_benchmarks(i) >= n_b)
      throw DataError(fmt::format("{}: samples/sampling_benchmarks[{}] = {}: must be −1 (background) or a benchmark "
                                  "index below {}",
                                  where, i, sampling_benchmarks(i), n_b));
    if (process_ids.size() != 0) {
      const auto n_proc = static_cast<std::int64_t>(process_names.empty() ? 2 : process_names.size());
      if (process_ids(i) < 0 || process_ids(i) >= n_proc)
        throw DataError(fmt::format("{}: samples/process_ids[{}] = {}: must be in [0, {})", where, i, process_ids(i), n_proc));
    }
  }
}

std::vector<Index> shuffle_order(Index n, std::uint64_t seed) {
  std::vector<Index> order(static_cast<std::size_t>(std::max<Index>(n, 0)));
  std::iota(order.begin(), order.end(), Index{0});
  std::mt19937_64 rng(seed);
  auto below = [&rng](std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound: draws below it are rejected
    while (true) {
      const std::uint64_t r = rng();
      if (r >= threshold) return r % bound;
    }
  };
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(i)]);
  return order;
}

void shuffle(Events& events, std::uint64_t seed) {
  const Index n = events.size();
  const std::vector<Index> order = shuffle_order(n, seed);
  auto permute_rows = [&](auto& m) {
    if (m.rows() != n) return;
    auto shuffled = m;
    for (Index i = 0; i < n; ++i) shuffled.row(i) = m.row(order[static_cast<std::size_t>(i)]);
    m.swap(shuffled);
  };
  permute_rows(events.observations);
  permute_rows(events.weights);
  permute_rows(events.sampling_benchmarks);
  permute_rows(events.process_ids);
}

}  // namespace sbi
