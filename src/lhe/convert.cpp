// LHE samples → events in MadMiner's layout.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "sbi/error.hpp"
#include "sbi/lhe.hpp"

namespace sbi::lhe {

void ConvertOptions::validate() const {
  reader.validate();
  if (observables.empty())
    throw InvalidArgument("ConvertOptions::observables is empty: give at least one observable (e.g. pt_j1)");
  for (std::size_t i = 0; i < observables.size(); ++i)
    if (!observables[i].required && !std::isfinite(observables[i].default_value))
      throw InvalidArgument(fmt::format("observables[{}].default_value = {}: must be finite (it is stored in the file)", i,
                                        observables[i].default_value));
  for (std::size_t i = 0; i < efficiencies.size(); ++i) {
    if (efficiencies[i].expression.empty() && !efficiencies[i].function)
      throw InvalidArgument(fmt::format("efficiencies[{}]: neither an expression nor a function", i));
    if (!(efficiencies[i].default_value >= 0) || !std::isfinite(efficiencies[i].default_value))
      throw InvalidArgument(fmt::format("efficiencies[{}].default_value = {}: must be finite and ≥ 0", i,
                                        efficiencies[i].default_value));
  }
}

namespace {

// Efficiencies are evaluated as optional observables (undefined → their default) that are not stored.
ObservableCalculator efficiency_calculator(const ConvertOptions& options) {
  std::vector<ObservableSpec> specs;
  for (std::size_t i = 0; i < options.efficiencies.size(); ++i) {
    const EfficiencySpec& e = options.efficiencies[i];
    ObservableSpec spec;
    spec.name = fmt::format("efficiency {}", i);
    spec.expression = e.expression;
    spec.function = e.function;
    spec.required = false;
    spec.default_value = e.default_value;
    specs.push_back(std::move(spec));
  }
  return ObservableCalculator(std::move(specs), {}, options.kinematics);
}

}  // namespace

MadMinerFile convert(const Setup& setup, const std::vector<LheSample>& samples, const ConvertOptions& options,
                     std::vector<SampleReport>* reports) {
  options.validate();
  setup.validate();
  if (samples.empty()) throw InvalidArgument("samples is empty: give at least one LHE file");
  const auto n_b = static_cast<std::size_t>(setup.benchmarks.size());
  if (n_b == 0) throw InvalidArgument("the set-up has no benchmarks; the events' weights need at least one");
  for (std::size_t s = 0; s < samples.size(); ++s)
    if (!(samples[s].k_factor > 0) || !std::isfinite(samples[s].k_factor))
      throw InvalidArgument(fmt::format("samples[{}].k_factor = {}: must be finite and > 0", s, samples[s].k_factor));

  ObservableCalculator calculator(options.observables, options.cuts, options.kinematics);
  ObservableCalculator efficiencies = efficiency_calculator(options);
  std::vector<double> efficiency_values(options.efficiencies.size());
  const std::size_t n_o = calculator.n_observables();
  std::vector<double> observations, weights;
  std::vector<std::int64_t> sampling;
  std::vector<SampleReport> local_reports;
  struct FileRows {
    std::size_t begin, end;
    std::int64_t group;  // sampling benchmark; −2 = background (each file its own process)
    std::int64_t events_read;
  };
  std::vector<FileRows> file_rows;
  SampleSummary summary;
  summary.signal_events.assign(static_cast<std::size_t>(setup.n_physical_benchmarks()), 0);

  for (const LheSample& sample : samples) {
    Reader reader(sample.path, options.reader);
    SampleReport report;
    report.path = sample.path;
    report.event_norm = reader.event_norm();
    std::int64_t sampling_index = -1;
    if (!sample.is_background) {
      if (sample.sampling_benchmark.empty()) {
        sampling_index = setup.reference_benchmark();
        if (sampling_index < 0)
          throw InvalidArgument(fmt::format("'{}': no sampling benchmark given and the set-up has no reference benchmark; "
                                            "name the benchmark the events were generated at",
                                            sample.path.string()));
      } else {
        sampling_index = setup.benchmark_index(sample.sampling_benchmark);
      }
    }

    Event event;
    std::vector<int> weight_of_benchmark;  // signal: index into the named weights per benchmark
    int background_weight = -1;             // background: named weight index, −1 = XWGTUP
    bool mapped = false;
    const std::size_t first_row = sampling.size();
    std::vector<double> row(n_o);
    while (reader.next(event)) {
      if (!mapped) {
        const auto& ids = reader.weight_ids();
        if (!sample.is_background) {
          try {
            weight_of_benchmark = map_benchmarks_to_weights(setup, ids, options.weight_for_benchmark);
          } catch (const NotFound& e) {
            throw NotFound(fmt::format("'{}': {}", sample.path.string(), e.what()));
          }
          if (!options.ignore_unmapped_weights) {
            for (std::size_t k = 0; k < ids.size(); ++k)
              if (std::find(weight_of_benchmark.begin(), weight_of_benchmark.end(), static_cast<int>(k)) ==
                  weight_of_benchmark.end())
                throw FormatError(fmt::format("'{}': weight id '{}' maps to no benchmark of the set-up (benchmarks: [{}]); "
                                              "add the benchmark, map it (weight_for_benchmark) or set "
                                              "ignore_unmapped_weights",
                                              sample.path.string(), ids[k], fmt::join(setup.benchmark_names(), ", ")));
          }
        } else if (!sample.background_weight_id.empty()) {
          auto it = std::find(ids.begin(), ids.end(), sample.background_weight_id);
          if (it == ids.end())
            throw NotFound(fmt::format("'{}': background_weight_id '{}' is not among the weight ids [{}]", sample.path.string(),
                                       sample.background_weight_id, fmt::join(ids, ", ")));
          background_weight = static_cast<int>(it - ids.begin());
        }
        mapped = true;
      }
      int failed = -1;
      const auto outcome = calculator.evaluate(event, row.data(), &failed);
      if (outcome == ObservableCalculator::Outcome::failed_cut) {
        ++report.failed_cuts;
        continue;
      }
      if (outcome == ObservableCalculator::Outcome::undefined_observable) {
        ++report.undefined_observables;
        continue;
      }
      double efficiency = 1.0;
      if (!efficiency_values.empty()) {
        efficiencies.evaluate(event, efficiency_values.data());
        for (std::size_t k = 0; k < efficiency_values.size(); ++k) {
          const double e = efficiency_values[k];
          if (!(e >= 0) || !std::isfinite(e))
            throw FormatError(fmt::format("'{}' line {}, event {}: efficiency '{}' = {}: an efficiency must be finite and ≥ 0",
                                          sample.path.string(), event.line, event.index,
                                          options.efficiencies[k].expression.empty() ? std::string("(function)")
                                                                                     : options.efficiencies[k].expression,
                                          e));
          efficiency *= e;
        }
      }
      observations.insert(observations.end(), row.begin(), row.end());
      bool negative = false;
      if (sample.is_background) {
        const double w =
            efficiency * (background_weight < 0 ? event.weight : event.named_weights[static_cast<std::size_t>(background_weight)]);
        negative = w < 0;
        weights.insert(weights.end(), n_b, w);
      } else {
        for (std::size_t b = 0; b < n_b; ++b) {
          const double w = efficiency * event.named_weights[static_cast<std::size_t>(weight_of_benchmark[b])];
          negative |= w < 0;
          weights.push_back(w);
        }
      }
      report.negative_weight_events += negative ? 1 : 0;
      sampling.push_back(sampling_index);
      ++report.events_kept;
    }
    report.events_read = reader.events_read();

    // Per-event pb: divide by the events read for mean-normalised files (see lhe.hpp), times k.
    const EventNorm norm = reader.event_norm();
    const bool per_event_mean = norm == EventNorm::average || norm == EventNorm::unity;
    const double factor =
        sample.k_factor / (per_event_mean && report.events_read > 0 ? static_cast<double>(report.events_read) : 1.0);
    const std::size_t column = sample.is_background ? 0 : static_cast<std::size_t>(sampling_index);
    for (std::size_t i = first_row; i < sampling.size(); ++i) {
      for (std::size_t b = 0; b < n_b; ++b) weights[i * n_b + b] *= factor;
      report.cross_section_pb += weights[i * n_b + column];
    }
    file_rows.push_back({first_row, sampling.size(), sample.is_background ? -2 : sampling_index, report.events_read});
    if (sample.is_background)
      summary.background_events += report.events_kept;
    else if (sampling_index < static_cast<std::int64_t>(summary.signal_events.size()))
      summary.signal_events[static_cast<std::size_t>(sampling_index)] += report.events_kept;
    local_reports.push_back(std::move(report));
  }

  // Signal files generated at the same benchmark are one sample split in pieces: each file's
  // σ estimate gets the share N_file / N_benchmark, so that together they count σ once (the
  // statistically weighted mean of the files' estimates).
  std::map<std::int64_t, std::int64_t> events_per_group;
  for (const auto& f : file_rows)
    if (f.group >= 0) events_per_group[f.group] += f.events_read;
  for (const auto& f : file_rows) {
    if (f.group < 0 || events_per_group[f.group] == f.events_read || f.events_read == 0) continue;
    const double share = static_cast<double>(f.events_read) / static_cast<double>(events_per_group[f.group]);
    for (std::size_t i = f.begin * n_b; i < f.end * n_b; ++i) weights[i] *= share;
  }

  const auto n = static_cast<Index>(sampling.size());
  std::vector<Index> order(sampling.size());
  if (options.shuffle) {
    order = shuffle_order(n, options.seed);
  } else {
    std::iota(order.begin(), order.end(), Index{0});
  }
  Events events;
  events.observations.resize(n, static_cast<Index>(n_o));
  events.weights.resize(n, static_cast<Index>(n_b));
  events.sampling_benchmarks.resize(n);
  for (Index i = 0; i < n; ++i) {
    const auto src = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    for (std::size_t o = 0; o < n_o; ++o) events.observations(i, static_cast<Index>(o)) = observations[src * n_o + o];
    for (std::size_t b = 0; b < n_b; ++b) events.weights(i, static_cast<Index>(b)) = weights[src * n_b + b];
    events.sampling_benchmarks(i) = sampling[src];
  }

  MadMinerFile file;
  file.setup = setup;
  file.setup.observables = calculator.observables();
  events.validate(file.setup, "LHE conversion");
  file.events = std::move(events);
  file.sample_summary = std::move(summary);
  if (reports) *reports = std::move(local_reports);
  return file;
}

}  // namespace sbi::lhe
