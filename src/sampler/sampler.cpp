// The sampler: exact unweighting at any θ through per-component alias tables and an envelope
// (see include/sbi/sampler.hpp for the maths and the conventions).
#include "sbi/sampler.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include <sys/mman.h>

#include "alias_table.hpp"
#include "../random.hpp"
#include "weight_tree.hpp"
#include "sbi/error.hpp"
#include "sbi/morphing.hpp"

namespace sbi {

// ------------------------------------------------------------------------------------------------
// Specifications and options
// ------------------------------------------------------------------------------------------------

ParameterPrior ParameterPrior::parse(std::string_view text) {
  const auto colon = text.find(':');
  const auto comma = text.find(',', colon == std::string_view::npos ? 0 : colon);
  auto fail = [&] {
    throw InvalidArgument(fmt::format("prior '{}' is not of the form flat:LOW,HIGH or gaussian:MEAN,STD", text));
  };
  if (colon == std::string_view::npos || comma == std::string_view::npos) fail();
  const std::string_view kind = text.substr(0, colon);
  const std::string first(text.substr(colon + 1, comma - colon - 1)), second(text.substr(comma + 1));
  ParameterPrior prior;
  if (kind == "flat") prior.kind = Kind::Flat;
  else if (kind == "gaussian") prior.kind = Kind::Gaussian;
  else fail();
  try {
    std::size_t used_a = 0, used_b = 0;
    prior.a = std::stod(first, &used_a);
    prior.b = std::stod(second, &used_b);
    if (used_a != first.size() || used_b != second.size()) fail();
  } catch (const std::logic_error&) {
    fail();
  }
  if (!std::isfinite(prior.a) || !std::isfinite(prior.b)) fail();
  if (prior.kind == Kind::Flat && !(prior.a < prior.b))
    throw InvalidArgument(fmt::format("prior '{}': a flat prior needs LOW < HIGH", text));
  if (prior.kind == Kind::Gaussian && !(prior.b > 0))
    throw InvalidArgument(fmt::format("prior '{}': a Gaussian prior needs STD > 0", text));
  return prior;
}

ThetaSpec ThetaSpec::benchmark(std::string name) {
  ThetaSpec spec;
  spec.kind = Kind::Benchmark;
  spec.benchmarks = {std::move(name)};
  return spec;
}
ThetaSpec ThetaSpec::benchmark_list(std::vector<std::string> names) {
  ThetaSpec spec;
  spec.kind = Kind::Benchmarks;
  spec.benchmarks = std::move(names);
  return spec;
}
ThetaSpec ThetaSpec::point(const Vector& theta) {
  ThetaSpec spec;
  spec.kind = Kind::MorphingPoint;
  spec.points = theta.transpose();
  return spec;
}
ThetaSpec ThetaSpec::point_list(RowMatrix thetas) {
  ThetaSpec spec;
  spec.kind = Kind::MorphingPoints;
  spec.points = std::move(thetas);
  return spec;
}
ThetaSpec ThetaSpec::random(Index n_points, std::vector<ParameterPrior> priors) {
  ThetaSpec spec;
  spec.kind = Kind::Random;
  spec.n_random = n_points;
  spec.priors = std::move(priors);
  return spec;
}

void SamplerOptions::validate() const {
  if (n_samples < 1) throw InvalidArgument(fmt::format("n_samples = {}: must be at least 1", n_samples));
  if (!(test_split >= 0 && test_split < 1))
    throw InvalidArgument(fmt::format("test_split = {}: must be in [0, 1)", test_split));
  if (!(validation_split >= 0 && validation_split < 1 && test_split + validation_split < 1))
    throw InvalidArgument(fmt::format("validation_split = {}: must be in [0, 1) with test_split + validation_split < 1",
                                      validation_split));
  if (!(n_eff_forced >= 0)) throw InvalidArgument(fmt::format("n_eff_forced = {}: must be ≥ 0 (0 = off)", n_eff_forced));
  if (threads < 0) throw InvalidArgument(fmt::format("threads = {}: must be ≥ 0 (0 = all cores)", threads));
}

double SamplingResult::min_n_eff() const {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& r : reports) best = std::min(best, r.n_eff);
  return best;
}

std::string SamplingResult::brief_report() const {
  double min_eff = std::numeric_limits<double>::infinity(), max_eff = 0, worst_clip = 0, acceptance = 0;
  Index redrawn = 0;
  for (const auto& r : reports) {
    min_eff = std::min(min_eff, r.n_eff);
    max_eff = std::max(max_eff, r.n_eff);
    worst_clip = std::max(worst_clip, r.clipped_fraction);
    acceptance += r.acceptance;
    redrawn += r.redrawn;
  }
  acceptance /= std::max<std::size_t>(reports.size(), 1);
  return fmt::format(
      "{} {} samples from the {} partition at {} θ points\n"
      "  effective number of events per θ: {:.4g} to {:.4g}\n"
      "  largest clipped (negative) weight fraction: {:.3g}\n"
      "  mean envelope acceptance: {:.3f}; samples redrawn for an undefined joint ratio: {}\n",
      samples.size(), to_string(samples.kind), to_string(samples.partition), reports.size(), min_eff, max_eff, worst_clip,
      acceptance, redrawn);
}

// ------------------------------------------------------------------------------------------------
// Implementation
// ------------------------------------------------------------------------------------------------

namespace {

// The stream for the random θ points of a call (std:: distributions, as before; the draws
// themselves use detail::Xoshiro256).
std::mt19937_64 stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
  using detail::splitmix64;
  std::seed_seq sequence{static_cast<std::uint32_t>(splitmix64(seed)), static_cast<std::uint32_t>(splitmix64(seed) >> 32),
                         static_cast<std::uint32_t>(purpose), static_cast<std::uint32_t>(index),
                         static_cast<std::uint32_t>(index >> 32)};
  return std::mt19937_64(sequence);
}

int thread_count(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

template <typename F>
void parallel_for(Index n, int threads, F&& body) {
  threads = static_cast<int>(std::min<Index>(threads, n));
  if (threads <= 1) {
    for (Index i = 0; i < n; ++i) body(i);
    return;
  }
  std::vector<std::thread> workers;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<Index> next{0};
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      try {
        for (Index i = next++; i < n; i = next++) body(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = n;
      }
    });
  for (auto& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Partitions (shared with the limits module)
// ------------------------------------------------------------------------------------------------

std::pair<Index, Index> partition_bounds(Index n_events, Partition partition, double test_split,
                                         double validation_split) {
  const auto n_test = static_cast<Index>(std::llround(test_split * static_cast<double>(n_events)));
  const auto n_validation = static_cast<Index>(std::llround(validation_split * static_cast<double>(n_events)));
  const Index n_train = n_events - n_test - n_validation;
  switch (partition) {
    case Partition::Train: return {0, n_train};
    case Partition::Validation: return {n_train, n_train + n_validation};
    case Partition::Test: return {n_train + n_validation, n_events};
    case Partition::All: return {0, n_events};
  }
  return {0, n_events};
}

namespace {

// Events generated per physical benchmark and background events, counted from the events.
std::pair<std::vector<std::int64_t>, std::int64_t> generation_run_sizes(const Setup& setup, const Events& events) {
  const Index n_physical = setup.n_physical_benchmarks();
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(n_physical), 0);
  std::int64_t background = 0;
  for (Index i = 0; i < events.size(); ++i) {
    const auto b = events.sampling_benchmarks(i);
    if (b < 0) ++background;
    else if (b < n_physical) ++sizes[static_cast<std::size_t>(b)];
    else
      throw InvalidArgument(fmt::format("event {} was generated at benchmark {} ('{}'), a nuisance benchmark; the sampler "
                                        "needs events generated at physical benchmarks or background (−1)",
                                        i, b, setup.benchmarks[static_cast<std::size_t>(b)].name));
  }
  return {sizes, background};
}

}  // namespace

int closest_generation_run(const Setup& setup, const Events& events, const Vector& theta) {
  const auto [sizes, background] = generation_run_sizes(setup, events);
  (void)background;
  int best = -1;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t b = 0; b < sizes.size(); ++b) {
    if (sizes[b] == 0) continue;
    const double d = (setup.benchmarks[b].values - theta).squaredNorm();
    if (d < best_distance) best_distance = d, best = static_cast<int>(b);
  }
  return best;
}

PartitionEvents partition_events(const Setup& setup, const Events& events, Partition partition, double test_split,
                                 double validation_split, int run) {
  SamplerOptions check;
  check.test_split = test_split;
  check.validation_split = validation_split;
  check.validate();
  if (events.size() == 0) throw InvalidArgument("there are no events to partition");
  const Index n_physical = setup.n_physical_benchmarks();
  if (run >= n_physical)
    throw InvalidArgument(fmt::format("run = {}: must be −1 (all runs) or a physical benchmark index < {}", run, n_physical));
  const auto [run_sizes, n_background] = generation_run_sizes(setup, events);
  PartitionEvents out;
  std::tie(out.begin, out.end) = partition_bounds(events.size(), partition, test_split, validation_split);
  const Index begin = out.begin, end = out.end;
  const bool one_run = run >= 0;
  // Events per generation run inside the slice, for the per-run partition correction.
  std::vector<std::int64_t> in_slice(static_cast<std::size_t>(n_physical), 0);
  std::int64_t background_in_slice = 0;
  for (Index i = begin; i < end; ++i) {
    const auto b = events.sampling_benchmarks(i);
    if (one_run && b >= 0 && b != run) continue;
    out.rows.push_back(i);
    if (b < 0) ++background_in_slice;
    else ++in_slice[static_cast<std::size_t>(b)];
  }
  if (out.rows.empty())
    throw InvalidArgument(fmt::format("the partition [{}, {}) holds no events{}", begin, end,
                                      one_run ? fmt::format(" generated at benchmark '{}'", setup.benchmarks[static_cast<std::size_t>(run)].name) : ""));
  std::int64_t signal_total = 0;
  for (auto n : run_sizes) signal_total += n;
  std::vector<double> factor(static_cast<std::size_t>(n_physical), 0.0);
  for (Index b = 0; b < n_physical; ++b) {
    const auto total = run_sizes[static_cast<std::size_t>(b)], here = in_slice[static_cast<std::size_t>(b)];
    if (total == 0 || (one_run && b != run)) continue;
    if (here == 0)
      throw InvalidArgument(fmt::format(
          "the partition [{}, {}) holds none of the {} events generated at benchmark '{}': the file is ordered by "
          "generation run; shuffle it (sbi lhe --shuffle) so every partition sees every run",
          begin, end, total, setup.benchmarks[static_cast<std::size_t>(b)].name));
    // MadMiner's k-factor n_b / Σ n (only when several runs are combined) times the partition
    // correction n_b / n_b_in_slice.
    const double k = one_run ? 1.0 : static_cast<double>(total) / static_cast<double>(signal_total);
    factor[static_cast<std::size_t>(b)] = k * static_cast<double>(total) / static_cast<double>(here);
  }
  if (n_background > 0 && background_in_slice == 0)
    throw InvalidArgument(fmt::format("the partition [{}, {}) holds none of the {} background events: shuffle the file",
                                      begin, end, n_background));
  const double background_factor =
      background_in_slice > 0 ? static_cast<double>(n_background) / static_cast<double>(background_in_slice) : 0.0;
  out.factors.resize(static_cast<Index>(out.rows.size()));
  for (std::size_t r = 0; r < out.rows.size(); ++r) {
    const auto b = events.sampling_benchmarks(out.rows[r]);
    out.factors(static_cast<Index>(r)) = b < 0 ? background_factor : factor[static_cast<std::size_t>(b)];
  }
  return out;
}

// Events of one partition, optionally restricted to one generation run (plus background), with
// their component weights, alias tables and cross-section moments.
struct EventSubset {
  std::vector<Index> rows;  // indices into Events
  RowMatrix a;              // n × C: k_i Σ_b M_cb w_ib
  Vector component_sigma;   // C: Σ_i a_ic, so σ(θ) = φ(θ)·component_sigma
  RowMatrix gram;           // C × C: Σ_i a_ic a_id, so Σ_i w_i(θ)² = φᵀ G φ
  Vector component_abs;     // C: S_c = Σ_i |a_ic|
  std::vector<detail::AliasTable> tables;  // per component, over |a_ic|

  /// The k-d tree over the rows of a for the exact per-θ statistics, built on first use.
  const detail::WeightTree& tree() const {
    std::call_once(tree_built_, [&] { tree_ = std::make_unique<detail::WeightTree>(a); });
    return *tree_;
  }

 private:
  mutable std::once_flag tree_built_;
  mutable std::unique_ptr<detail::WeightTree> tree_;
};

struct Sampler::Impl {
  MadMinerFile file;
  Morphing morphing;
  Index n_physical = 0;
  std::vector<std::int64_t> run_sizes;  // events generated per physical benchmark (from the events)
  std::int64_t n_background = 0;
  // Cached per (slice begin, slice end, generation run or −1 for all runs).
  std::map<std::tuple<Index, Index, int>, std::unique_ptr<EventSubset>> subsets;
  std::mutex subsets_mutex;

  explicit Impl(MadMinerFile f) : file(std::move(f)), morphing(check_and_build(file)) {
    n_physical = file.setup.n_physical_benchmarks();
    std::tie(run_sizes, n_background) = generation_run_sizes(file.setup, *file.events);
  }

  static Morphing check_and_build(const MadMinerFile& f) {
    if (!f.events || f.events->size() == 0)
      throw InvalidArgument("the sampler needs weighted events; this file has none (sbi lhe or a simulator makes them)");
    if (!f.setup.morphing)
      throw InvalidArgument("the sampler needs a morphing set-up (morphing/components and morphing_matrix); this file has "
                            "none (sbi morphing optimize adds one)");
    return Morphing::from_setup(f.setup);
  }

  std::pair<Index, Index> slice(Partition partition, double test_split, double validation_split) const {
    return partition_bounds(file.events->size(), partition, test_split, validation_split);
  }

  // The physical benchmark with events that is closest to θ (Euclidean distance), as MadMiner.
  int closest_run(const Vector& theta) const {
    int best = -1;
    double best_distance = std::numeric_limits<double>::infinity();
    for (Index b = 0; b < n_physical; ++b) {
      if (run_sizes[static_cast<std::size_t>(b)] == 0) continue;
      const double d = (file.setup.benchmarks[static_cast<std::size_t>(b)].values - theta).squaredNorm();
      if (d < best_distance) best_distance = d, best = static_cast<int>(b);
    }
    return best;
  }

  const EventSubset& subset(Partition partition, int run, double test_split, double validation_split) {
    const auto [begin, end] = slice(partition, test_split, validation_split);
    std::lock_guard lock(subsets_mutex);
    auto& slot = subsets[std::make_tuple(begin, end, run)];
    if (!slot) slot = build_subset(partition, test_split, validation_split, run);
    return *slot;
  }

  std::unique_ptr<EventSubset> build_subset(Partition partition, double test_split, double validation_split,
                                            int run) const {
    const Events& events = *file.events;
    auto subset = std::make_unique<EventSubset>();
    PartitionEvents part = partition_events(file.setup, events, partition, test_split, validation_split, run);
    subset->rows = std::move(part.rows);
    const Index n = static_cast<Index>(subset->rows.size());
    const Index n_b = n_physical;
    RowMatrix weights(n, n_b);
    for (Index r = 0; r < n; ++r) {
      const Index i = subset->rows[static_cast<std::size_t>(r)];
      weights.row(r) = part.factors(r) * events.weights.row(i).head(n_b);
    }
    // a = W Mᵀ: per-event polynomial coefficients of w_i(θ) in the components φ_c(θ).
    subset->a.noalias() = weights * morphing.matrix().transpose();
    subset->component_sigma = subset->a.colwise().sum().transpose();
    subset->gram.noalias() = subset->a.transpose() * subset->a;
    subset->component_abs = subset->a.cwiseAbs().colwise().sum().transpose();
    const Index n_c = subset->a.cols();
    subset->tables.resize(static_cast<std::size_t>(n_c));
    Vector column(n);
    for (Index c = 0; c < n_c; ++c) {
      column = subset->a.col(c).cwiseAbs();
      subset->tables[static_cast<std::size_t>(c)] = detail::AliasTable(column);
    }
    return subset;
  }
};

Sampler::Sampler(MadMinerFile file) : impl_(std::make_unique<Impl>(std::move(file))) {}
Sampler::~Sampler() = default;
Sampler::Sampler(Sampler&&) noexcept = default;
Sampler& Sampler::operator=(Sampler&&) noexcept = default;
const Setup& Sampler::setup() const { return impl_->file.setup; }
const Events& Sampler::events() const { return *impl_->file.events; }

namespace {

// θ points of a specification (T × P); random ones come from `rng`.
RowMatrix resolve(const ThetaSpec& spec, const Setup& setup, std::mt19937_64& rng) {
  const Index n_p = setup.parameters.size();
  RowMatrix points;
  switch (spec.kind) {
    case ThetaSpec::Kind::Benchmark:
    case ThetaSpec::Kind::Benchmarks: {
      if (spec.benchmarks.empty()) throw InvalidArgument("theta: no benchmark named");
      if (spec.kind == ThetaSpec::Kind::Benchmark && spec.benchmarks.size() != 1)
        throw InvalidArgument(fmt::format("theta: a single benchmark is needed, {} given", spec.benchmarks.size()));
      points.resize(static_cast<Index>(spec.benchmarks.size()), n_p);
      for (std::size_t i = 0; i < spec.benchmarks.size(); ++i)
        points.row(static_cast<Index>(i)) =
            setup.benchmarks[static_cast<std::size_t>(setup.benchmark_index(spec.benchmarks[i]))].values.transpose();
      break;
    }
    case ThetaSpec::Kind::MorphingPoint:
    case ThetaSpec::Kind::MorphingPoints:
      points = spec.points;
      if (points.rows() < 1) throw InvalidArgument("theta: no parameter point given");
      if (spec.kind == ThetaSpec::Kind::MorphingPoint && points.rows() != 1)
        throw InvalidArgument(fmt::format("theta: one point is needed, {} given", points.rows()));
      if (points.cols() != n_p)
        throw InvalidArgument(fmt::format("theta: points have {} values; the set-up has {} parameters ({})", points.cols(),
                                          n_p, fmt::join(setup.parameters.names(), ", ")));
      break;
    case ThetaSpec::Kind::Random: {
      if (spec.n_random < 1) throw InvalidArgument(fmt::format("theta: n_random = {}: must be ≥ 1", spec.n_random));
      if (static_cast<Index>(spec.priors.size()) != n_p)
        throw InvalidArgument(fmt::format("theta: {} priors given; one per parameter ({}) is needed", spec.priors.size(), n_p));
      points.resize(spec.n_random, n_p);
      // Parameter by parameter, as MadMiner draws them.
      for (Index p = 0; p < n_p; ++p) {
        const auto& prior = spec.priors[static_cast<std::size_t>(p)];
        std::uniform_real_distribution<double> flat(prior.a, prior.b);
        std::normal_distribution<double> gauss(prior.a, prior.b);
        for (Index t = 0; t < spec.n_random; ++t)
          points(t, p) = prior.kind == ParameterPrior::Kind::Flat ? flat(rng) : gauss(rng);
      }
      break;
    }
  }
  for (Index i = 0; i < points.size(); ++i)
    if (!std::isfinite(points.data()[i])) throw InvalidArgument("theta: parameter points must be finite");
  return points;
}

// n samples split over `sets` as evenly as possible (MadMiner rounds n / sets per set).
std::vector<Index> split_counts(Index n, Index sets) {
  std::vector<Index> counts(static_cast<std::size_t>(sets), n / sets);
  for (Index s = 0; s < n % sets; ++s) ++counts[static_cast<std::size_t>(s)];
  return counts;
}

}  // namespace

namespace {

// One half of a sampling call: draws at sampling θ (index `sampling` among the set's points) and
// computes the requested augmented data.
struct HalfRequest {
  std::vector<RowMatrix> points;  // per hypothesis h: T_h × P (cyclic over sets)
  int sampling = 0;               // which hypothesis events are drawn from
  bool ratio = false;             // r(x,z|θ0,θ1)
  bool score0 = false, score1 = false;
  double label = 0.0;             // y of these samples (ratio kinds)
};

// The samples of one call in their final order. The shuffle is a permutation drawn before any
// sample, and each draw is written straight into its final row, so nothing is copied or permuted
// afterwards; x is gathered once at the end.
struct SampleSink {
  std::vector<Index> event;  // row of Events behind each final row
  RowMatrix theta0, theta1, t0, t1;
  Vector r, y;
  std::vector<Index> position;  // sample number (in drawing order) → final row; empty: no shuffle
  Index row(Index sample) const { return position.empty() ? sample : position[static_cast<std::size_t>(sample)]; }
};

// The output arrays are large and written once in scattered order (the shuffle): with 4 KiB pages
// a fifth of the sampling time went to page faults. Transparent huge pages (2 MiB) cut the gather
// of x from 0.26 s to 0.14 s for 10^6 samples (bench_sampler). Advice only: ignored where the
// kernel has them off.
void advise_huge_pages(void* data, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void advise_huge_pages(RowMatrix& m) { advise_huge_pages(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double)); }

SampleSink make_sink(SampleKind kind, Index n, Index n_p, const SamplerOptions& options) {
  SampleSink sink;
  sink.event.resize(static_cast<std::size_t>(n));
  sink.theta0.resize(n, n_p);
  if (kind == SampleKind::Ratio || kind == SampleKind::MoreRatios) {
    sink.theta1.resize(n, n_p);
    sink.r.resize(n);
    sink.y.resize(n);
  }
  if (kind != SampleKind::Plain && kind != SampleKind::Test) sink.t0.resize(n, n_p);
  if (kind == SampleKind::MoreRatios) sink.t1.resize(n, n_p);
  for (RowMatrix* m : {&sink.theta0, &sink.theta1, &sink.t0, &sink.t1}) advise_huge_pages(*m);
  if (options.shuffle) {
    // Fisher–Yates with unbiased bounded draws: a uniform permutation, the same on every platform.
    sink.position.resize(static_cast<std::size_t>(n));
    std::iota(sink.position.begin(), sink.position.end(), Index{0});
    detail::Xoshiro256 rng(options.seed, 0xffff, 0);
    for (Index i = n - 1; i > 0; --i)
      std::swap(sink.position[static_cast<std::size_t>(i)],
                sink.position[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i) + 1))]);
  }
  return sink;
}

// Per-θ exact statistics (n_eff and the clipped fraction) for the sets of one half: one tree query
// per distinct (event subset, sampling θ) — sets that sample at the same θ share it — in blocks of
// θ points that share a subset.
void exact_statistics(const HalfRequest& request, const RowMatrix& phi_sampling,
                      const std::vector<const EventSubset*>& subset_of_set, std::vector<ThetaDrawReport>& reports,
                      int threads) {
  const RowMatrix& points = request.points[static_cast<std::size_t>(request.sampling)];
  const auto n_sets = static_cast<Index>(reports.size());
  std::map<std::pair<const EventSubset*, std::vector<double>>, Index> index_of;
  std::vector<std::pair<const EventSubset*, Index>> distinct;  // subset, row of `points`
  std::vector<Index> distinct_of_set(static_cast<std::size_t>(n_sets));
  for (Index s = 0; s < n_sets; ++s) {
    const Index i = s % points.rows();
    const EventSubset* subset = subset_of_set[static_cast<std::size_t>(s)];
    auto [it, inserted] = index_of.try_emplace({subset, std::vector<double>(points.row(i).begin(), points.row(i).end())},
                                               static_cast<Index>(distinct.size()));
    if (inserted) distinct.emplace_back(subset, i);
    distinct_of_set[static_cast<std::size_t>(s)] = it->second;
  }
  struct Block {
    const EventSubset* subset;
    std::vector<Index> members;  // indices into `distinct`
  };
  std::vector<Block> blocks;
  {
    std::map<const EventSubset*, std::vector<Index>> by_subset;
    for (std::size_t d = 0; d < distinct.size(); ++d) by_subset[distinct[d].first].push_back(static_cast<Index>(d));
    constexpr std::size_t block_size = 64;
    for (auto& [subset, members] : by_subset)
      for (std::size_t first = 0; first < members.size(); first += block_size)
        blocks.push_back({subset, std::vector<Index>(members.begin() + static_cast<std::ptrdiff_t>(first),
                                                     members.begin() + static_cast<std::ptrdiff_t>(
                                                                           std::min(first + block_size, members.size())))});
  }
  std::vector<double> negative(distinct.size()), largest(distinct.size());
  parallel_for(static_cast<Index>(blocks.size()), threads, [&](Index b) {
    const Block& block = blocks[static_cast<std::size_t>(b)];
    const auto m = static_cast<Index>(block.members.size());
    RowMatrix phi(m, phi_sampling.cols());
    for (Index k = 0; k < m; ++k)
      phi.row(k) = phi_sampling.row(distinct[static_cast<std::size_t>(block.members[static_cast<std::size_t>(k)])].second);
    std::vector<double> block_negative(static_cast<std::size_t>(m)), block_largest(static_cast<std::size_t>(m));
    block.subset->tree().statistics(phi, block_negative.data(), block_largest.data());
    for (Index k = 0; k < m; ++k) {
      const auto d = static_cast<std::size_t>(block.members[static_cast<std::size_t>(k)]);
      negative[d] = block_negative[static_cast<std::size_t>(k)];
      largest[d] = block_largest[static_cast<std::size_t>(k)];
    }
  });
  for (Index s = 0; s < n_sets; ++s) {
    ThetaDrawReport& report = reports[static_cast<std::size_t>(s)];
    const auto d = static_cast<std::size_t>(distinct_of_set[static_cast<std::size_t>(s)]);
    // Σ max(w, 0) = σ + Σ max(−w, 0).
    const double positive = report.cross_section + negative[d];
    report.clipped_fraction = negative[d] / std::max(positive + negative[d], std::numeric_limits<double>::min());
    report.n_eff = largest[d] > 0 ? positive / largest[d] : 0.0;
  }
}

// The heart: draws and augments one half, writing samples first, first + 1, … into the sink.
std::vector<ThetaDrawReport> draw_half(Sampler::Impl& impl, const HalfRequest& request, const SamplerOptions& options,
                                       std::uint64_t purpose, SampleSink& sink, Index first) {
  const Morphing& morphing = impl.morphing;
  const Index n_p = morphing.n_parameters();
  const Index n_c = morphing.n_components();
  Index n_sets = 0;
  for (const auto& p : request.points) n_sets = std::max(n_sets, p.rows());
  const std::vector<Index> counts = split_counts(options.n_samples, n_sets);
  std::vector<Index> offsets(static_cast<std::size_t>(n_sets) + 1, 0);
  for (Index s = 0; s < n_sets; ++s)
    offsets[static_cast<std::size_t>(s) + 1] = offsets[static_cast<std::size_t>(s)] + counts[static_cast<std::size_t>(s)];

  // φ(θ) and ∇φ(θ) at every point of every hypothesis, once.
  const std::size_t n_h = request.points.size();
  const auto hs = static_cast<std::size_t>(request.sampling);
  std::vector<RowMatrix> phi_all(n_h), gradient_all(n_h);  // T_h × C, (T_h·P) × C
  for (std::size_t h = 0; h < n_h; ++h) {
    phi_all[h] = component_values(morphing.components(), request.points[h]);
    if ((h == 0 && request.score0) || (h == 1 && request.score1))
      gradient_all[h] = component_gradients(morphing.components(), request.points[h]);
  }
  std::vector<ThetaDrawReport> reports(static_cast<std::size_t>(n_sets));
  std::vector<const EventSubset*> subset_of_set(static_cast<std::size_t>(n_sets), nullptr);
  RowMatrix* const score_target[2] = {&sink.t0, &sink.t1};
  const bool score_wanted[2] = {request.score0, request.score1};
  const double max_probability = options.n_eff_forced > 0 ? 1.0 / options.n_eff_forced : 2.0;

  parallel_for(n_sets, thread_count(options.threads), [&](Index s) {
    Index point[2] = {0, 0};  // row of each hypothesis' points
    for (std::size_t h = 0; h < n_h; ++h) point[h] = s % request.points[h].rows();
    const Vector theta_sampling = request.points[hs].row(point[hs]).transpose();
    const int run = options.sample_only_from_closest_benchmark ? impl.closest_run(theta_sampling) : -1;
    const EventSubset& subset = impl.subset(options.partition, run, options.test_split, options.validation_split);
    subset_of_set[static_cast<std::size_t>(s)] = &subset;

    // φ, σ and ∇σ at every hypothesis of this set.
    const double* phi[2] = {nullptr, nullptr};
    const double* gradient[2] = {nullptr, nullptr};  // P × C
    double sigma[2] = {0, 0};
    Vector sigma_gradient[2];
    for (std::size_t h = 0; h < n_h; ++h) {
      phi[h] = phi_all[h].row(point[h]).data();
      for (Index c = 0; c < n_c; ++c) sigma[h] += phi[h][c] * subset.component_sigma(c);
      if (score_wanted[h]) {
        gradient[h] = gradient_all[h].row(point[h] * n_p).data();
        sigma_gradient[h] = gradient_all[h].middleRows(point[h] * n_p, n_p) * subset.component_sigma;
      }
    }
    const double sigma_s = sigma[hs];
    if (!(sigma_s > 0))
      throw NumericalError(fmt::format("the cross section at θ = ({}) is {} pb over the {} partition: nothing to sample",
                                       fmt::join(theta_sampling, ", "), sigma_s, to_string(options.partition)));
    const Eigen::Map<const Vector> phi_s(phi[hs], n_c);
    ThetaDrawReport& report = reports[static_cast<std::size_t>(s)];
    report.theta = theta_sampling;
    report.cross_section = sigma_s;
    report.cross_section_uncertainty = std::sqrt(std::max(0.0, phi_s.dot(subset.gram * phi_s)));
    const Index count = counts[static_cast<std::size_t>(s)];
    report.n_samples = count;

    // Mixture over components: c with probability ∝ |φ_c| S_c. Normalised by the running sum
    // itself, so the last entry is exactly 1 and a component of weight zero is never chosen.
    std::vector<double> cumulative(static_cast<std::size_t>(n_c)), abs_phi(static_cast<std::size_t>(n_c));
    double running = 0;
    for (Index c = 0; c < n_c; ++c) {
      abs_phi[static_cast<std::size_t>(c)] = std::abs(phi_s(c));
      cumulative[static_cast<std::size_t>(c)] = running += abs_phi[static_cast<std::size_t>(c)] * subset.component_abs(c);
    }
    for (auto& value : cumulative) value /= running;

    // Proposals in batches: each takes four words of the θ set's stream (component, column, alias
    // coin, acceptance), and the alias entries and then the event rows of a batch are prefetched
    // before they are used, so that the cache misses of a batch overlap instead of queueing. The
    // proposals are still examined in stream order, so the result does not depend on the batch.
    detail::Xoshiro256 rng(options.seed, purpose, static_cast<std::uint64_t>(s));
    const auto n_rows = static_cast<std::uint64_t>(subset.rows.size());
    const double* a = subset.a.data();
    constexpr int batch = 16;
    std::uint32_t component[batch], event[batch];
    std::uint64_t column[batch];
    double coin[batch], acceptance[batch];
    Index proposals = 0, accepted = 0;
    const Index limit_without_success = 1000000 + 1000 * count;
    for (Index k = 0; k < count;) {
      if (proposals - accepted > limit_without_success && accepted * 1000 < proposals)
        throw NumericalError(fmt::format("sampling at θ = ({}) accepts fewer than 1 in 1000 proposals: the morphed weights "
                                         "are almost all negative or trimmed away",
                                         fmt::join(theta_sampling, ", ")));
      for (int b = 0; b < batch; ++b) {
        const double u = rng.uniform();
        std::uint32_t c = 0;
        while (u >= cumulative[c]) ++c;
        component[b] = c;
        column[b] = rng.below(n_rows);
        coin[b] = rng.uniform();
        acceptance[b] = rng.uniform();
        __builtin_prefetch(subset.tables[c].address(column[b]));
      }
      for (int b = 0; b < batch; ++b) {
        event[b] = subset.tables[component[b]].resolve(column[b], coin[b]);
        const double* row = a + static_cast<Index>(event[b]) * n_c;
        __builtin_prefetch(row);
        __builtin_prefetch(row + n_c - 1);
      }
      for (int b = 0; b < batch && k < count; ++b) {
        ++proposals;
        const Index j = event[b];
        const double* a_j = a + j * n_c;
        double w = 0, envelope = 0;
        for (Index c = 0; c < n_c; ++c) {
          w += a_j[c] * phi_s(c);
          envelope += std::abs(a_j[c]) * abs_phi[static_cast<std::size_t>(c)];
        }
        if (!(w > 0) || acceptance[b] * envelope >= w) continue;
        if (w / sigma_s > max_probability) continue;  // trimmed sampling (MadMiner's n_eff_forced)
        ++accepted;
        double w_h[2] = {w, w};
        for (std::size_t h = 0; h < n_h; ++h)
          if (h != hs) {
            w_h[h] = 0;
            for (Index c = 0; c < n_c; ++c) w_h[h] += a_j[c] * phi[h][c];
          }
        // Augmented data at the hypotheses, written straight into the final row.
        const Index row = sink.row(first + offsets[static_cast<std::size_t>(s)] + k);
        if (request.ratio) {
          const double r = (w_h[0] / sigma[0]) / (w_h[1] / sigma[1]);
          if (!(w_h[0] > 0) || !(w_h[1] > 0) || !std::isfinite(r)) {
            ++report.redrawn;
            continue;
          }
          sink.r(row) = r;
          sink.y(row) = request.label;
        }
        // t(x,z|θ) = ∇φ(θ)·a_j / w_j(θ) − ∇σ(θ)/σ(θ).
        for (std::size_t h = 0; h < n_h; ++h) {
          if (!score_wanted[h]) continue;
          RowMatrix& target = *score_target[h];
          for (Index p = 0; p < n_p; ++p) {
            const double* g = gradient[h] + p * n_c;
            double dw = 0;
            for (Index c = 0; c < n_c; ++c) dw += g[c] * a_j[c];
            target(row, p) = dw / w_h[h] - sigma_gradient[h](p) / sigma[h];
          }
        }
        sink.event[static_cast<std::size_t>(row)] = subset.rows[static_cast<std::size_t>(j)];
        sink.theta0.row(row) = request.points[0].row(point[0]);
        if (n_h > 1) sink.theta1.row(row) = request.points[1].row(point[1]);
        ++k;
      }
    }
    report.acceptance = proposals > 0 ? static_cast<double>(accepted) / static_cast<double>(proposals) : 0.0;
  });

  if (options.exact_statistics) {
    exact_statistics(request, phi_all[hs], subset_of_set, reports, thread_count(options.threads));
  } else {
    for (auto& report : reports) report.clipped_fraction = report.n_eff = std::numeric_limits<double>::quiet_NaN();
  }
  return reports;
}

AugmentedSamples assemble(SampleKind kind, const Sampler::Impl& impl, const SamplerOptions& options, SampleSink& sink) {
  AugmentedSamples samples;
  samples.kind = kind;
  samples.partition = options.partition;
  samples.parameter_names = impl.file.setup.parameters.names();
  samples.observable_names = impl.file.setup.observable_names();
  samples.seed = options.seed;
  // x in the final order: one pass over the events' rows, a few rows ahead in the cache.
  const RowMatrix& observations = impl.file.events->observations;
  const auto n = static_cast<Index>(sink.event.size());
  const Index n_o = observations.cols();
  samples.x.resize(n, n_o);
  advise_huge_pages(samples.x);
  const double* from = observations.data();
  double* to = samples.x.data();
  constexpr Index ahead = 8;
  for (Index f = 0; f < n; ++f) {
    if (f + ahead < n) {
      const auto* begin = reinterpret_cast<const char*>(from + sink.event[static_cast<std::size_t>(f + ahead)] * n_o);
      for (const char* line = begin; line < begin + n_o * Index(sizeof(double)); line += 64) __builtin_prefetch(line);
      __builtin_prefetch(begin + n_o * Index(sizeof(double)) - 1);
    }
    std::copy_n(from + sink.event[static_cast<std::size_t>(f)] * n_o, n_o, to + f * n_o);
  }
  samples.theta0 = std::move(sink.theta0);
  samples.theta1 = std::move(sink.theta1);
  samples.y = std::move(sink.y);
  samples.r_xz = std::move(sink.r);
  samples.t_xz0 = std::move(sink.t0);
  samples.t_xz1 = std::move(sink.t1);
  samples.source = "sbi sampler";
  return samples;
}

std::string describe(const ThetaSpec& spec) {
  switch (spec.kind) {
    case ThetaSpec::Kind::Benchmark:
    case ThetaSpec::Kind::Benchmarks: return fmt::format("benchmarks [{}]", fmt::join(spec.benchmarks, ", "));
    case ThetaSpec::Kind::MorphingPoint:
    case ThetaSpec::Kind::MorphingPoints: {
      std::vector<std::string> rows;
      for (Index t = 0; t < spec.points.rows(); ++t) rows.push_back(fmt::format("({})", fmt::join(spec.points.row(t), ", ")));
      return fmt::format("points [{}]", fmt::join(rows, ", "));
    }
    case ThetaSpec::Kind::Random: {
      std::vector<std::string> priors;
      for (const auto& p : spec.priors)
        priors.push_back(fmt::format("{}:{},{}", p.kind == ParameterPrior::Kind::Flat ? "flat" : "gaussian", p.a, p.b));
      return fmt::format("{} random points from [{}]", spec.n_random, fmt::join(priors, ", "));
    }
  }
  return "?";
}

// The samples' settings record: every option that shapes the draw, then the θ specifications.
std::string settings_text(const SamplerOptions& o, const std::string& thetas) {
  return fmt::format("sampler; n_samples={}; partition={}; test_split={}; validation_split={}; "
                     "sample_only_from_closest_benchmark={}; n_eff_forced={}; seed={}; shuffle={}; {}",
                     o.n_samples, to_string(o.partition), o.test_split, o.validation_split,
                     o.sample_only_from_closest_benchmark, o.n_eff_forced, o.seed, o.shuffle, thetas);
}

}  // namespace

SamplingResult Sampler::plain(const ThetaSpec& theta, const SamplerOptions& options) {
  options.validate();
  std::mt19937_64 rng = stream(options.seed, 1, 0);
  HalfRequest request;
  request.points = {resolve(theta, impl_->file.setup, rng)};
  SampleSink sink = make_sink(SampleKind::Plain, options.n_samples, impl_->morphing.n_parameters(), options);
  SamplingResult result;
  result.reports = draw_half(*impl_, request, options, 10, sink, 0);
  result.samples = assemble(SampleKind::Plain, *impl_, options, sink);
  result.samples.settings = settings_text(options, "theta=" + describe(theta));
  return result;
}

SamplingResult Sampler::test(const ThetaSpec& theta, SamplerOptions options) {
  options.partition = Partition::Test;
  SamplingResult result = plain(theta, options);
  result.samples.kind = SampleKind::Test;
  return result;
}

SamplingResult Sampler::local(const ThetaSpec& theta, const SamplerOptions& options) {
  options.validate();
  std::mt19937_64 rng = stream(options.seed, 1, 0);
  HalfRequest request;
  request.points = {resolve(theta, impl_->file.setup, rng)};
  request.score0 = true;
  SampleSink sink = make_sink(SampleKind::Local, options.n_samples, impl_->morphing.n_parameters(), options);
  SamplingResult result;
  result.reports = draw_half(*impl_, request, options, 10, sink, 0);
  result.samples = assemble(SampleKind::Local, *impl_, options, sink);
  result.samples.settings = settings_text(options, "theta=" + describe(theta));
  return result;
}

SamplingResult Sampler::density(const ThetaSpec& theta, const SamplerOptions& options) {
  SamplingResult result = local(theta, options);
  result.samples.kind = SampleKind::Density;
  return result;
}

namespace {
SamplingResult ratio_like(Sampler::Impl& impl, const ThetaSpec& theta0, const ThetaSpec& theta1,
                          const SamplerOptions& options, bool more) {
  options.validate();
  if (options.n_samples < 2) throw InvalidArgument("n_samples = 1: ratio samples need at least one sample per class");
  const SampleKind kind = more ? SampleKind::MoreRatios : SampleKind::Ratio;
  SampleSink sink = make_sink(kind, options.n_samples, impl.morphing.n_parameters(), options);
  SamplingResult result;
  Index first = 0;
  for (int half = 0; half < 2; ++half) {
    // θ0 and θ1 are resolved afresh for each half: random points are drawn independently, as in
    // MadMiner's sample_train_ratio.
    std::mt19937_64 rng = stream(options.seed, 2 + static_cast<std::uint64_t>(half), 0);
    HalfRequest request;
    request.points = {resolve(theta0, impl.file.setup, rng), resolve(theta1, impl.file.setup, rng)};
    request.sampling = half;
    request.ratio = true;
    request.score0 = true;
    request.score1 = more;
    request.label = half;
    SamplerOptions half_options = options;
    half_options.n_samples = half == 0 ? options.n_samples / 2 : options.n_samples - options.n_samples / 2;
    std::vector<ThetaDrawReport> reports =
        draw_half(impl, request, half_options, 20 + static_cast<std::uint64_t>(half), sink, first);
    result.reports.insert(result.reports.end(), reports.begin(), reports.end());
    first += half_options.n_samples;
  }
  result.samples = assemble(kind, impl, options, sink);
  result.samples.settings = settings_text(options, "theta0=" + describe(theta0) + "; theta1=" + describe(theta1));
  return result;
}
}  // namespace

SamplingResult Sampler::ratio(const ThetaSpec& theta0, const ThetaSpec& theta1, const SamplerOptions& options) {
  return ratio_like(*impl_, theta0, theta1, options, false);
}

SamplingResult Sampler::more_ratios(const ThetaSpec& theta0, const ThetaSpec& theta1, const SamplerOptions& options) {
  return ratio_like(*impl_, theta0, theta1, options, true);
}

std::pair<Vector, Vector> Sampler::cross_sections(const RowMatrix& thetas, Partition partition, double test_split,
                                                  double validation_split) const {
  SamplerOptions check;
  check.test_split = test_split;
  check.validation_split = validation_split;
  check.validate();
  if (thetas.cols() != impl_->morphing.n_parameters())
    throw InvalidArgument(fmt::format("thetas have {} columns; the set-up has {} parameters", thetas.cols(),
                                      impl_->morphing.n_parameters()));
  const EventSubset& subset = impl_->subset(partition, -1, test_split, validation_split);
  const RowMatrix phi = component_values(impl_->morphing.components(), thetas);  // T × C
  Vector sigma = phi * subset.component_sigma;
  Vector uncertainty(thetas.rows());
  for (Index t = 0; t < thetas.rows(); ++t)
    uncertainty(t) = std::sqrt(std::max(0.0, phi.row(t).dot(phi.row(t) * subset.gram)));
  return {sigma, uncertainty};
}

}  // namespace sbi
