// The sampler: exact unweighting at any θ through per-component alias tables and an envelope
// (see include/sbi/sampler.hpp for the maths and the conventions).
#include "sbi/sampler.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <tuple>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include "alias_table.hpp"
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

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// An independent stream per (seed, purpose, index): the draws for θ point s do not depend on how
// the points are distributed over threads.
std::mt19937_64 stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
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
  double label = 0.0;
};

struct HalfOutput {
  std::vector<Index> source;  // event (row of Events) behind each sample; x is gathered at the end
  RowMatrix theta0, theta1, t0, t1;
  Vector r;
  std::vector<ThetaDrawReport> reports;
};

}  // namespace

// The heart: draw and augment for one half. Static helper with access to Impl.
static HalfOutput draw_half(Sampler::Impl& impl, const HalfRequest& request, const SamplerOptions& options,
                            std::uint64_t purpose) {
  const Events& events = *impl.file.events;
  const Morphing& morphing = impl.morphing;
  const Index n_p = morphing.n_parameters();
  const Index n_c = morphing.n_components();
  Index n_sets = 0;
  for (const auto& p : request.points) n_sets = std::max(n_sets, p.rows());
  const std::vector<Index> counts = split_counts(options.n_samples, n_sets);
  std::vector<Index> offsets(static_cast<std::size_t>(n_sets) + 1, 0);
  for (Index s = 0; s < n_sets; ++s) offsets[static_cast<std::size_t>(s) + 1] = offsets[static_cast<std::size_t>(s)] + counts[static_cast<std::size_t>(s)];
  const Index total = offsets.back();

  HalfOutput out;
  out.source.resize(static_cast<std::size_t>(total));
  out.theta0.resize(total, n_p);
  const bool two = request.points.size() > 1;
  if (two) out.theta1.resize(total, n_p);
  if (request.ratio) out.r.resize(total);
  if (request.score0) out.t0.resize(total, n_p);
  if (request.score1) out.t1.resize(total, n_p);
  out.reports.resize(static_cast<std::size_t>(n_sets));
  std::vector<const EventSubset*> subset_of_set(static_cast<std::size_t>(n_sets), nullptr);
  RowMatrix phi_of_set(n_sets, n_c);

  parallel_for(n_sets, thread_count(options.threads), [&](Index s) {
    std::vector<Vector> theta(request.points.size());
    for (std::size_t h = 0; h < request.points.size(); ++h)
      theta[h] = request.points[h].row(s % request.points[h].rows()).transpose();
    const Vector& theta_sampling = theta[static_cast<std::size_t>(request.sampling)];
    const int run = options.sample_only_from_closest_benchmark ? impl.closest_run(theta_sampling) : -1;
    const EventSubset& subset = impl.subset(options.partition, run, options.test_split, options.validation_split);

    // φ, ∇φ and σ, ∇σ at every hypothesis of this set.
    const std::size_t n_h = theta.size();
    std::vector<Vector> phi(n_h), sigma_gradient(n_h);
    std::vector<RowMatrix> phi_gradient(n_h);  // P × C
    std::vector<double> sigma(n_h);
    for (std::size_t h = 0; h < n_h; ++h) {
      phi[h] = morphing.component_values(theta[h]);
      phi_gradient[h] = component_gradients(morphing.components(), RowMatrix(theta[h].transpose()));
      sigma[h] = phi[h].dot(subset.component_sigma);
      sigma_gradient[h] = phi_gradient[h] * subset.component_sigma;
    }
    const std::size_t hs = static_cast<std::size_t>(request.sampling);
    const double sigma_s = sigma[hs];
    if (!(sigma_s > 0))
      throw NumericalError(fmt::format("the cross section at θ = ({}) is {} pb over the {} partition: nothing to sample",
                                       fmt::join(theta_sampling, ", "), sigma_s, to_string(options.partition)));

    ThetaDrawReport& report = out.reports[static_cast<std::size_t>(s)];
    report.theta = theta_sampling;
    report.cross_section = sigma_s;
    report.cross_section_uncertainty = std::sqrt(std::max(0.0, phi[hs].dot(subset.gram * phi[hs])));
    report.n_samples = counts[static_cast<std::size_t>(s)];

    // Mixture over components: c with probability ∝ |φ_c| S_c.
    Vector mixture = phi[hs].cwiseAbs().cwiseProduct(subset.component_abs);
    const double mixture_total = mixture.sum();
    std::vector<double> cumulative(static_cast<std::size_t>(n_c));
    double running = 0;
    for (Index c = 0; c < n_c; ++c) cumulative[static_cast<std::size_t>(c)] = (running += mixture(c)) / mixture_total;
    const double max_probability = options.n_eff_forced > 0 ? 1.0 / options.n_eff_forced : 2.0;

    std::mt19937_64 rng = stream(options.seed, purpose, static_cast<std::uint64_t>(s));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Index proposals = 0, accepted = 0;
    const Index limit_without_success = 1000000 + 1000 * counts[static_cast<std::size_t>(s)];
    for (Index k = 0; k < counts[static_cast<std::size_t>(s)];) {
      if (proposals - accepted > limit_without_success && accepted * 1000 < proposals)
        throw NumericalError(fmt::format("sampling at θ = ({}) accepts fewer than 1 in 1000 proposals: the morphed weights "
                                         "are almost all negative or trimmed away",
                                         fmt::join(theta_sampling, ", ")));
      ++proposals;
      const double u = uniform(rng);
      Index c = 0;
      while (c + 1 < n_c && cumulative[static_cast<std::size_t>(c)] < u) ++c;
      if (subset.tables[static_cast<std::size_t>(c)].empty()) continue;
      const Index j = subset.tables[static_cast<std::size_t>(c)].draw(rng);
      const auto a_j = subset.a.row(j);
      const double w = a_j.dot(phi[hs].transpose());
      const double envelope = a_j.cwiseAbs().dot(phi[hs].cwiseAbs().transpose());
      if (!(w > 0) || uniform(rng) * envelope >= w) continue;
      if (w / sigma_s > max_probability) continue;  // trimmed sampling (MadMiner's n_eff_forced)
      ++accepted;
      // Augmented data at the hypotheses.
      const Index row = offsets[static_cast<std::size_t>(s)] + k;
      double r = 1.0;
      if (request.ratio) {
        const double w0 = a_j.dot(phi[0].transpose()), w1 = a_j.dot(phi[1].transpose());
        r = (w0 / sigma[0]) / (w1 / sigma[1]);
        if (!(w0 > 0) || !(w1 > 0) || !std::isfinite(r)) {
          ++report.redrawn;
          continue;
        }
        out.r(row) = r;
      }
      // t(x,z|θ) = ∇φ(θ)·a_j / w_j(θ) − ∇σ(θ)/σ(θ), written straight into the output row.
      auto score = [&](std::size_t h, RowMatrix& target) {
        const double w_h = a_j.dot(phi[h].transpose());
        for (Index p = 0; p < n_p; ++p)
          target(row, p) = phi_gradient[h].row(p).dot(a_j) / w_h - sigma_gradient[h](p) / sigma[h];
      };
      if (request.score0) score(0, out.t0);
      if (request.score1) score(1, out.t1);
      out.source[static_cast<std::size_t>(row)] = subset.rows[static_cast<std::size_t>(j)];
      out.theta0.row(row) = theta[0].transpose();
      if (two) out.theta1.row(row) = theta[1].transpose();
      ++k;
    }
    report.acceptance = proposals > 0 ? static_cast<double>(accepted) / static_cast<double>(proposals) : 0.0;

    subset_of_set[static_cast<std::size_t>(s)] = &subset;
    phi_of_set.row(s) = phi[hs].transpose();
  });

  if (!options.exact_statistics) {
    for (auto& report : out.reports) report.clipped_fraction = report.n_eff = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  // Exact per-θ statistics need every event's weight at θ: W = A Φᵀ for blocks of θ points that
  // share an event subset, so A is read once per block rather than once per θ.
  std::map<const EventSubset*, std::vector<Index>> sets_by_subset;
  for (Index s = 0; s < n_sets; ++s) sets_by_subset[subset_of_set[static_cast<std::size_t>(s)]].push_back(s);
  struct Block {
    const EventSubset* subset;
    std::vector<Index> sets;
  };
  std::vector<Block> blocks;
  constexpr std::size_t block_size = 64;
  for (auto& [subset, sets] : sets_by_subset)
    for (std::size_t first = 0; first < sets.size(); first += block_size)
      blocks.push_back({subset, std::vector<Index>(sets.begin() + static_cast<std::ptrdiff_t>(first),
                                                   sets.begin() + static_cast<std::ptrdiff_t>(std::min(first + block_size, sets.size())))});
  parallel_for(static_cast<Index>(blocks.size()), thread_count(options.threads), [&](Index b) {
    const Block& block = blocks[static_cast<std::size_t>(b)];
    const auto m = static_cast<Index>(block.sets.size());
    RowMatrix phi_block(m, n_c);
    for (Index k = 0; k < m; ++k) phi_block.row(k) = phi_of_set.row(block.sets[static_cast<std::size_t>(k)]);
    Vector positive = Vector::Zero(m), negative = Vector::Zero(m), largest = Vector::Zero(m);
    constexpr Index rows_per_chunk = 8192;
    RowMatrix w;
    const RowMatrix& a_all = block.subset->a;
    for (Index start = 0; start < a_all.rows(); start += rows_per_chunk) {
      const Index rows = std::min(rows_per_chunk, a_all.rows() - start);
      w.noalias() = a_all.middleRows(start, rows) * phi_block.transpose();  // rows × m
      for (Index i = 0; i < rows; ++i)
        for (Index k = 0; k < m; ++k) {
          const double value = w(i, k);
          if (value > 0) {
            positive(k) += value;
            largest(k) = std::max(largest(k), value);
          } else {
            negative(k) -= value;
          }
        }
    }
    for (Index k = 0; k < m; ++k) {
      ThetaDrawReport& report = out.reports[static_cast<std::size_t>(block.sets[static_cast<std::size_t>(k)])];
      report.clipped_fraction = negative(k) / std::max(positive(k) + negative(k), std::numeric_limits<double>::min());
      report.n_eff = largest(k) > 0 ? positive(k) / largest(k) : 0.0;
    }
  });
  return out;
}
namespace {

AugmentedSamples assemble(SampleKind kind, const Sampler::Impl& impl, const SamplerOptions& options,
                          std::vector<HalfOutput>& halves, const std::vector<double>& labels) {
  AugmentedSamples samples;
  samples.kind = kind;
  samples.partition = options.partition;
  samples.parameter_names = impl.file.setup.parameters.names();
  samples.observable_names = impl.file.setup.observable_names();
  samples.seed = options.seed;
  Index n = 0;
  for (const auto& h : halves) n += static_cast<Index>(h.source.size());
  const Index n_p = samples.n_parameters();
  auto stack = [&](auto member, Index cols) {
    RowMatrix m(n, cols);
    Index at = 0;
    for (const auto& h : halves) {
      const RowMatrix& part = h.*member;
      m.middleRows(at, part.rows()) = part;
      at += part.rows();
    }
    return m;
  };
  std::vector<Index> source;
  source.reserve(static_cast<std::size_t>(n));
  for (const auto& h : halves) source.insert(source.end(), h.source.begin(), h.source.end());
  samples.theta0 = stack(&HalfOutput::theta0, n_p);
  const bool ratio_kind = kind == SampleKind::Ratio || kind == SampleKind::MoreRatios;
  if (ratio_kind) {
    samples.theta1 = stack(&HalfOutput::theta1, n_p);
    samples.r_xz.resize(n);
    samples.y.resize(n);
    Index at = 0;
    for (std::size_t h = 0; h < halves.size(); ++h) {
      samples.r_xz.segment(at, halves[h].r.size()) = halves[h].r;
      samples.y.segment(at, halves[h].r.size()).setConstant(labels[h]);
      at += halves[h].r.size();
    }
  }
  if (kind != SampleKind::Plain && kind != SampleKind::Test) samples.t_xz0 = stack(&HalfOutput::t0, n_p);
  if (kind == SampleKind::MoreRatios) samples.t_xz1 = stack(&HalfOutput::t1, n_p);

  // Final order (shuffled, as MadMiner does). The observables are gathered once, straight into
  // that order: one random-access pass over the events instead of two.
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  if (options.shuffle) {
    std::mt19937_64 rng = stream(options.seed, 0xffff, 0);
    std::shuffle(order.begin(), order.end(), rng);
  }
  const RowMatrix& observations = impl.file.events->observations;
  samples.x.resize(n, observations.cols());
  for (Index f = 0; f < n; ++f)
    samples.x.row(f) = observations.row(source[static_cast<std::size_t>(order[static_cast<std::size_t>(f)])]);
  if (options.shuffle) {
    auto permute_rows = [&](RowMatrix& m) {
      if (m.size() == 0) return;
      RowMatrix shuffled(m.rows(), m.cols());
      for (Index i = 0; i < n; ++i) shuffled.row(i) = m.row(order[static_cast<std::size_t>(i)]);
      m.swap(shuffled);
    };
    auto permute = [&](Vector& v) {
      if (v.size() == 0) return;
      Vector shuffled(v.size());
      for (Index i = 0; i < n; ++i) shuffled(i) = v(order[static_cast<std::size_t>(i)]);
      v.swap(shuffled);
    };
    permute_rows(samples.theta0);
    permute_rows(samples.theta1);
    permute_rows(samples.t_xz0);
    permute_rows(samples.t_xz1);
    permute(samples.r_xz);
    permute(samples.y);
  }
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
  std::vector<HalfOutput> halves{draw_half(*impl_, request, options, 10)};
  SamplingResult result;
  result.reports = halves[0].reports;
  result.samples = assemble(SampleKind::Plain, *impl_, options, halves, {0.0});
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
  std::vector<HalfOutput> halves{draw_half(*impl_, request, options, 10)};
  SamplingResult result;
  result.reports = halves[0].reports;
  result.samples = assemble(SampleKind::Local, *impl_, options, halves, {0.0});
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
  std::vector<HalfOutput> halves;
  SamplingResult result;
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
    SamplerOptions half_options = options;
    half_options.n_samples = half == 0 ? options.n_samples / 2 : options.n_samples - options.n_samples / 2;
    halves.push_back(draw_half(impl, request, half_options, 20 + static_cast<std::uint64_t>(half)));
    result.reports.insert(result.reports.end(), halves.back().reports.begin(), halves.back().reports.end());
  }
  result.samples = assemble(more ? SampleKind::MoreRatios : SampleKind::Ratio, impl, options, halves, {0.0, 1.0});
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
