#pragma once
/// @file events.hpp
/// Weighted events: observables, per-benchmark weights, the benchmark each event was generated
/// at, and the process it belongs to (DESIGN.md §3).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi {

/// MadMiner's sample summary: how many events were generated at each physical benchmark
/// (for the k-factors of events generated at several benchmarks) and how many background events.
struct SampleSummary {
  std::vector<std::int64_t> signal_events;
  std::int64_t background_events = 0;

  bool operator==(const SampleSummary&) const = default;
};

/// N weighted events.
struct Events {
  /// Observables x, N × n_o.
  RowMatrix observations;
  /// Benchmark weights dσ_b at each event in pb, N × n_b; the sum over events of column b is the
  /// cross section at benchmark b.
  RowMatrix weights;
  /// Benchmark each event was generated at (index into the set-up's benchmarks); −1 = background.
  IntVector sampling_benchmarks;
  /// Optional process label per event: 0 = signal, k ≥ 1 = background process k. Empty means
  /// "derive from sampling_benchmarks" (−1 → 1, else 0). Stored as sbi's extra dataset
  /// samples/process_ids, which MadMiner ignores.
  IntVector process_ids;
  /// Names of the processes indexed by process_ids (process_names[0] is the signal). Empty means
  /// {"signal", "background"}.
  std::vector<std::string> process_names;

  Index size() const { return observations.rows(); }
  /// Process label of event i (see process_ids).
  std::int64_t process_of(Index i) const;
  /// Per-event factors for samples generated at several benchmarks (MadMiner's k-factors): an
  /// event generated at physical benchmark b gets n_b / Σ_b' n_b' with n from the summary's
  /// signal_events, so that the weighted sum over all runs counts the cross section once;
  /// background events get 1. Without a summary (or with one run) every factor is 1.
  Vector sampling_factors(const std::optional<SampleSummary>& summary) const;
  /// Cross section per benchmark in pb: Σ_i k_i w_ib with the sampling factors above.
  Vector cross_sections(const std::optional<SampleSummary>& summary = std::nullopt) const;

  /// Checks shapes against the set-up (n_o observables, n_b benchmarks, N rows everywhere),
  /// finite observables and weights, sampling benchmarks in [−1, n_b). Throws DataError or
  /// InvalidArgument naming the dataset, the event index and the value. `where` names the
  /// source (a file name) for the messages.
  void validate(const Setup& setup, const std::string& where = "events") const;

  bool operator==(const Events& other) const {
    return same_values(observations, other.observations) && same_values(weights, other.weights) &&
           same_values(sampling_benchmarks, other.sampling_benchmarks) && same_values(process_ids, other.process_ids) &&
           process_names == other.process_names;
  }
};

/// A seeded uniform permutation of 0 … n−1: Fisher–Yates with std::mt19937_64 (whose output the
/// standard fixes) and unbiased bounded draws by rejection (not std::uniform_int_distribution or
/// std::shuffle, whose algorithms each standard library chooses), so it is the same on every
/// platform. Row i of a shuffled array is row order[i] of the original.
std::vector<Index> shuffle_order(Index n, std::uint64_t seed);

/// Shuffles the events (all per-event arrays alike) with shuffle_order(size(), seed). The
/// sampler's partitions are contiguous slices of the file order, so files assembled from several
/// runs (signal benchmarks, backgrounds) must be shuffled once before sampling.
void shuffle(Events& events, std::uint64_t seed);

}  // namespace sbi
