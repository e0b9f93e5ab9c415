// The exact truth from files (include/sbi/truth.hpp) and the WH events files that carry its inputs
// (write_wh_events / read_wh_events): bit for bit against WHSimulator::truth and GaltonBoard::exact,
// round trips, and the errors for files the truth does not apply to.
#include <cmath>

#include "sbi/error.hpp"
#include "sbi/galton.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/samples.hpp"
#include "sbi/truth.hpp"
#include "sbi/wh_simulator.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

Vector theta1d(double a) { return Vector::Constant(1, a); }

doctest::Contains contains(const std::string& text) { return doctest::Contains(text.c_str()); }

WHOptions parton_options() {
  WHOptions o;
  o.parton_level = true;
  o.warmup = 20000;
  return o;
}

// Bitwise equality that treats NaN as equal to NaN.
bool same_bits(const RowMatrix& a, const RowMatrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}
bool same_bits(const Vector& a, const Vector& b) { return same_bits(RowMatrix(a), RowMatrix(b)); }

}  // namespace

TEST_CASE("WH events file: the truth inputs round-trip bit for bit beside MadMiner's datasets") {
  const WHSimulator sim(parton_options());
  const WHSample s = sim.generate(1500, 11);
  const auto path = test::temp_path("truth_wh_roundtrip.h5");
  write_wh_events(path, s);
  const WHSample r = read_wh_events(path);
  CHECK(r.setup == s.setup);
  CHECK(r.events == s.events);
  CHECK(same_values(r.momenta, s.momenta));
  CHECK(same_values(r.components, s.components));
  CHECK(same_values(r.sigma_components, s.sigma_components));
  CHECK(r.options.parton_level);
  CHECK(r.options.m_w == s.options.m_w);
  CHECK(r.options.warmup == 20000);
  CHECK(r.options.max_weight_excess == s.options.max_weight_excess);
  CHECK(r.candidates == s.candidates);
  CHECK(r.warmup_candidates == s.warmup_candidates);
  CHECK(r.overweight == s.overweight);
  // MadMiner's reader sees an ordinary file: the datasets it knows, nothing else asked for.
  const MadMinerFile plain = read_madminer_file(path);
  CHECK(plain.extra.empty());
  CHECK(plain.events->size() == 1500);
}

TEST_CASE("sbi truth on a parton-level WH file equals WHSimulator::truth bit for bit; background rows NaN") {
  const WHSimulator sim(parton_options());
  const WHSample s = sim.generate(1500, 12);
  const auto path = test::temp_path("truth_wh_events.h5");
  write_wh_events(path, s);
  const Vector t0 = test::vector_of({0.4, -0.3}), t1 = test::vector_of({-0.2, 0.1});
  const TruthTable table = truth_from_file(path, {t0, t1});
  const WHTruth direct = sim.truth(s, t0, t1);
  REQUIRE(table.size() == 1500);
  CHECK(table.source == "wh");
  CHECK(table.parameter_names == std::vector<std::string>{"c_HWtil", "c_HW"});
  CHECK(same_bits(table.log_p, direct.log_p));
  CHECK(same_bits(table.log_r, direct.log_r));
  CHECK(same_bits(table.t, direct.t));
  CHECK(same_values(table.theta0.row(7), t0.transpose()));
  CHECK(same_values(table.theta1.row(7), t1.transpose()));
  CHECK((table.process_ids.array() == 0).all());
  // θ1 defaults to the SM.
  const TruthTable at_sm = truth_from_file(path, {t0, std::nullopt});
  CHECK(same_bits(at_sm.log_r, sim.truth(s, t0, Vector::Zero(2)).log_r));
  // The truth file round-trips bit for bit.
  const auto out = test::temp_path("truth_wh_table.h5");
  write_truth(out, table);
  const TruthTable back = read_truth(out);
  CHECK(back.source == "wh");
  CHECK(back.input == path.string());
  CHECK(same_bits(back.log_p, table.log_p));
  CHECK(same_bits(back.log_r, table.log_r));
  CHECK(same_bits(back.t, table.t));
  CHECK(same_bits(back.theta0, table.theta0));
  CHECK(same_bits(back.theta1, table.theta1));
  CHECK(back.process_ids == table.process_ids);

  // With background (shuffled in): the signal rows are the signal-only truth, the others NaN.
  WHSample mixed = s;
  sim.add_background(mixed, 200, 100, 13);
  shuffle(mixed, 14);
  const auto mixed_path = test::temp_path("truth_wh_mixed.h5");
  write_wh_events(mixed_path, mixed);
  const TruthTable m = truth_from_file(mixed_path, {t0, t1});
  REQUIRE(m.size() == 1800);
  CHECK((m.process_ids.array() != 0).count() == 300);
  Index matched = 0;
  for (Index i = 0; i < m.size(); ++i) {
    if (m.process_ids(i) != 0) {
      CHECK(std::isnan(m.log_p(i)));
      CHECK(std::isnan(m.t(i, 1)));
      continue;
    }
    // Find the event in the unshuffled sample by its momenta.
    for (Index j = 0; j < s.events.size(); ++j)
      if (same_values(s.momenta.row(j), mixed.momenta.row(i))) {
        matched += m.log_p(i) == direct.log_p(j) && m.log_r(i) == direct.log_r(j) && m.t(i, 0) == direct.t(j, 0) &&
                   m.t(i, 1) == direct.t(j, 1);
        break;
      }
  }
  CHECK(matched == 1500);
}

TEST_CASE("WH truth refuses detector-level samples and files, foreign files, reordered files, wrong θ") {
  WHOptions det = parton_options();
  det.parton_level = false;
  const WHSample detector = WHSimulator(det).generate(300, 15);
  // The sample's own generation options decide, not the simulator's (the gap the audit found).
  CHECK_THROWS_WITH_AS((void)WHSimulator(parton_options()).truth(detector, test::vector_of({0, 0}), test::vector_of({0.1, 0})),
                       doctest::Contains("generated at detector level"), InvalidArgument);
  const WHSample parton = WHSimulator(parton_options()).generate(300, 16);
  CHECK_NOTHROW((void)WHSimulator(det).truth(parton, test::vector_of({0, 0}), test::vector_of({0.1, 0})));  // same physics, other detector
  WHOptions heavier = parton_options();
  heavier.m_w = 81.0;
  CHECK_THROWS_WITH_AS((void)WHSimulator(heavier).truth(parton, test::vector_of({0, 0}), test::vector_of({0.1, 0})),
                       doctest::Contains("m_w = 80.387 in the sample, 81 in the simulator"), InvalidArgument);

  const auto det_path = test::temp_path("truth_wh_detector.h5");
  write_wh_events(det_path, detector);
  CHECK(read_wh_events(det_path).events.size() == 300);  // readable, for other uses
  CHECK_THROWS_WITH_AS((void)truth_from_file(det_path, {test::vector_of({0, 0}), std::nullopt}),
                       contains(fmt::format("'{}' holds detector-level events", det_path.string())), InvalidArgument);

  // A MadMiner file without sbi's datasets (e.g. rewritten by MadMiner).
  const auto plain_path = test::temp_path("truth_wh_plain.h5");
  write_madminer_file(plain_path, MadMinerFile{parton.setup, parton.events, std::nullopt, {}});
  CHECK_THROWS_WITH_AS((void)truth_from_file(plain_path, {test::vector_of({0, 0}), std::nullopt}),
                       contains(fmt::format("'{}': has no dataset sbi_wh/momenta", plain_path.string())), FormatError);

  // Events reordered by a tool that kept sbi's datasets as they were.
  const auto good_path = test::temp_path("truth_wh_good.h5");
  write_wh_events(good_path, parton);
  ReadOptions all;
  all.extra_datasets = {"sbi_wh/momenta", "sbi_wh/components", "sbi_wh/sigma_components", "sbi_wh/option_names",
                        "sbi_wh/option_values", "sbi_wh/generation"};
  MadMinerFile reordered = read_madminer_file(good_path, all);
  shuffle(*reordered.events, 3);
  const auto reordered_path = test::temp_path("truth_wh_reordered.h5");
  write_madminer_file(reordered_path, reordered);
  CHECK_THROWS_WITH_AS((void)read_wh_events(reordered_path), doctest::Contains("samples/observations do not match sbi_wh/momenta"),
                       FormatError);
  // A missing option.
  MadMinerFile no_option = read_madminer_file(good_path, all);
  no_option.extra.strings["sbi_wh/option_names"][3] = "m_top";
  const auto option_path = test::temp_path("truth_wh_option.h5");
  write_madminer_file(option_path, no_option);
  CHECK_THROWS_WITH_AS((void)read_wh_events(option_path), doctest::Contains("sbi_wh/option_names has no option 'm_h'"), FormatError);

  // θ with the wrong number of values, or none.
  CHECK_THROWS_WITH_AS((void)truth_from_file(good_path, {theta1d(0.3), std::nullopt}),
                       contains(fmt::format("'{}': --theta has 1 value; the file has 2 parameters (c_HWtil, c_HW)",
                                                     good_path.string())),
                       InvalidArgument);
  CHECK_THROWS_WITH_AS((void)truth_from_file(good_path, {test::vector_of({0, 0}), Vector::Zero(3)}),
                       doctest::Contains("--theta1 has 3 values"), InvalidArgument);
  CHECK_THROWS_WITH_AS((void)truth_from_file(good_path, {}), doctest::Contains("needs --theta with 2 values"), InvalidArgument);
  CHECK_THROWS_AS((void)truth_from_file(test::temp_path("truth_no_such_file.h5"), {test::vector_of({0, 0}), std::nullopt}), FileNotFound);
}

TEST_CASE("sbi truth on Galton samples equals GaltonBoard::exact bit for bit, at a given θ or each sample's own") {
  const GaltonBoard board;
  const AugmentedSamples local = galton_local_samples(board, -0.8, 3000, 5);
  const auto local_path = test::temp_path("truth_galton_local.h5");
  write_samples(local_path, local);
  const TruthTable t = truth_from_file(local_path, {theta1d(0.3), theta1d(-0.2)});
  const GaltonExact e0 = board.exact(0.3), e1 = board.exact(-0.2);
  REQUIRE(t.size() == 3000);
  CHECK(t.source == "galton");
  CHECK(t.parameter_names == std::vector<std::string>{"theta"});
  Index same = 0;
  for (Index i = 0; i < t.size(); ++i) {
    const auto x = static_cast<Index>(local.x(i, 0));
    same += t.log_p(i) == std::log(e0.p(x)) && t.log_r(i) == std::log(e0.p(x)) - std::log(e1.p(x)) && t.t(i, 0) == e0.t(x);
  }
  CHECK(same == 3000);
  // Without θ: each sample's θ0 (−0.8 here) and θ1 = 0.
  const TruthTable own = truth_from_file(local_path);
  const GaltonExact at = board.exact(-0.8), zero = board.exact(0.0);
  same = 0;
  for (Index i = 0; i < own.size(); ++i) {
    const auto x = static_cast<Index>(local.x(i, 0));
    same += own.theta0(i, 0) == -0.8 && own.theta1(i, 0) == 0.0 && own.log_p(i) == std::log(at.p(x)) &&
            own.log_r(i) == std::log(at.p(x)) - std::log(zero.p(x)) && own.t(i, 0) == at.t(x);
  }
  CHECK(same == 3000);
  // E[t(x|θ)] = 0 under θ for the exact score (within statistics).
  const double mean_t = own.t.col(0).mean();
  const double err = std::sqrt((own.t.col(0).array() - mean_t).square().mean() / 3000.0);
  MESSAGE("Galton: mean t(x|−0.8) over 3000 samples at −0.8 = " << mean_t << " ± " << err);
  CHECK(std::abs(mean_t) < 4 * err);

  // Ratio samples: each sample's own θ0 and the file's θ1.
  const AugmentedSamples ratio = galton_ratio_samples(board, -1.0, -0.4, -0.6, 2000, 6);
  const auto ratio_path = test::temp_path("truth_galton_ratio.h5");
  write_samples(ratio_path, ratio);
  const TruthTable r = truth_from_file(ratio_path);
  const GaltonExact e_theta1 = board.exact(-0.6);
  same = 0;
  for (Index i = 0; i < r.size(); ++i) {
    const auto x = static_cast<Index>(ratio.x(i, 0));
    const GaltonExact e = board.exact(ratio.theta0(i, 0));
    same += r.log_p(i) == std::log(e.p(x)) && r.log_r(i) == std::log(e.p(x)) - std::log(e_theta1.p(x)) && r.t(i, 0) == e.t(x);
  }
  CHECK(same == 2000);

  // Another board: its geometry is in the settings and the truth follows it.
  GaltonOptions small;
  small.levels = 10;
  small.nails = 15;
  small.start = 7;
  const GaltonBoard other(small);
  const AugmentedSamples s10 = galton_local_samples(other, 0.5, 500, 7);
  const auto small_path = test::temp_path("truth_galton_small.h5");
  write_samples(small_path, s10);
  const TruthTable t10 = truth_from_file(small_path);
  const GaltonExact e10 = other.exact(0.5);
  same = 0;
  for (Index i = 0; i < t10.size(); ++i) same += t10.log_p(i) == std::log(e10.p(static_cast<Index>(s10.x(i, 0))));
  CHECK(same == 500);
}

TEST_CASE("Galton truth errors name the file, the sample and the value") {
  const GaltonBoard board;
  AugmentedSamples s = galton_local_samples(board, 0.1, 20, 8);
  const auto path = test::temp_path("truth_galton_errors.h5");
  write_samples(path, s);
  CHECK_THROWS_WITH_AS((void)truth_from_file(path, {test::vector_of({0, 0}), std::nullopt}),
                       contains(fmt::format("'{}': --theta has 2 values; the file has 1 parameter (theta)", path.string())),
                       InvalidArgument);
  s.x(4, 0) = 40;
  write_samples(path, s);
  CHECK_THROWS_WITH_AS((void)truth_from_file(path), contains(fmt::format("'{}': sample 4 has x = 40", path.string())), DataError);
  s.x(4, 0) = 3.5;
  write_samples(path, s);
  CHECK_THROWS_WITH_AS((void)truth_from_file(path), doctest::Contains("sample 4 has x = 3.5"), DataError);
  s.x(4, 0) = 15;
  s.source = "sampler: events.h5";
  write_samples(path, s);
  CHECK_THROWS_WITH_AS((void)truth_from_file(path), doctest::Contains("holds samples from 'sampler: events.h5', not from the Galton board"),
                       FormatError);
  s.source = "galton";
  s.settings = "galton_local_samples; levels=x";
  write_samples(path, s);
  CHECK_THROWS_WITH_AS((void)truth_from_file(path), doctest::Contains("metadata/settings: levels = 'x' is not a number"), FormatError);
}

TEST_CASE("sbi generate wh --benchmarks: weights at a set-up file's benchmarks, exact in θ") {
  // A set-up in the WH parameters with seven benchmarks (over-complete, with its own morphing).
  const WHSimulator sim(parton_options());
  Setup setup;
  setup.parameters = WHSimulator::parameter_space();
  setup.benchmarks = WHSimulator::default_benchmarks();
  Benchmark extra;
  extra.name = "extra";
  extra.values = test::vector_of({0.3, 0.3});
  setup.benchmarks.insert(setup.benchmarks.begin(), extra);  // the SM is no longer first
  const auto setup_path = test::temp_path("truth_wh_benchmarks.h5");
  write_madminer_file(setup_path, MadMinerFile{setup, std::nullopt, std::nullopt, {}});
  const WHBenchmarks b = read_wh_benchmarks(setup_path);
  CHECK(b.benchmarks.size() == 7);
  CHECK(b.sampling_benchmark == 1);  // the reference benchmark "sm"
  WHGenerateOptions run;
  run.events = 500;
  run.benchmarks = setup_path;
  run.seed = 17;
  const WHSample s = generate_wh_sample(sim, run);
  REQUIRE(s.events.weights.cols() == 7);
  CHECK((s.events.sampling_benchmarks.array() == 1).all());
  double worst = 0;
  for (Index bm = 0; bm < 7; ++bm) {
    const auto phi = wh_monomials(setup.benchmarks[static_cast<std::size_t>(bm)].values);
    for (Index i = 0; i < s.events.size(); ++i) {
      double direct = 0;
      for (int c = 0; c < 6; ++c) direct += phi[c] * s.components(i, c);
      worst = std::max(worst, std::abs(s.events.weights(i, bm) - direct) / std::abs(direct));
    }
  }
  CHECK(worst < 1e-14);
  // Unweighted at the sampling benchmark: Σ weights there = σ(SM) from the components.
  CHECK(s.events.weights.col(1).sum() == doctest::Approx(WHSimulator::cross_section(s, test::vector_of({0, 0}))).epsilon(1e-10));

  // Background from the run options, split evenly, shuffled in.
  run.background = 5;
  run.ttbar = 2;
  const WHSample mixed = generate_wh_sample(sim, run);
  CHECK((mixed.events.process_ids.array() == 1).count() == 5);
  CHECK((mixed.events.process_ids.array() == 2).count() == 2);
  CHECK((mixed.events.process_ids.tail(7).array() == 0).count() > 0);  // not simply appended

  // Parameters that are not the simulator's.
  Setup foreign = setup;
  foreign.parameters = ParameterSpace({Parameter{"cHbox", "SMEFT", 1, 2, -1.0, 1.0, ""}, Parameter{"c_HW", "SMEFT", 7, 2, -1.0, 1.0, ""}});
  const auto foreign_path = test::temp_path("truth_wh_foreign_benchmarks.h5");
  write_madminer_file(foreign_path, MadMinerFile{foreign, std::nullopt, std::nullopt, {}});
  CHECK_THROWS_WITH_AS((void)read_wh_benchmarks(foreign_path),
                       contains(fmt::format("--benchmarks '{}': its parameters are (cHbox, c_HW); the WH simulator's are "
                                                     "(c_HWtil, c_HW)",
                                                     foreign_path.string())),
                       InvalidArgument);
  WHGenerateOptions bad;
  bad.background = -1;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("WHGenerateOptions.background = -1"), InvalidArgument);
}

TEST_CASE("sbi-only datasets in MadMiner files: written as given, read when asked, names kept apart") {
  MadMinerFile f;
  f.setup.parameters = WHSimulator::parameter_space();
  f.setup.benchmarks = WHSimulator::default_benchmarks();
  RowMatrix m(3, 2);
  m << 1, 2, 3, 4, 5, -0.0;
  f.extra.matrices["sbi_test/matrix"] = m;
  f.extra.matrices["sbi_test/list"] = Vector::LinSpaced(4, 0, 3);
  f.extra.strings["sbi_test/names"] = {"a", "b"};
  const auto path = test::temp_path("truth_extra.h5");
  write_madminer_file(path, f);
  ReadOptions read;
  read.extra_datasets = {"sbi_test/matrix", "sbi_test/list", "sbi_test/names", "sbi_test/absent"};
  const MadMinerFile r = read_madminer_file(path, read);
  CHECK(r.extra == f.extra);
  CHECK(r == f);
  CHECK(read_madminer_file(path).extra.empty());
  f.extra.matrices["samples/extra"] = m;
  CHECK_THROWS_WITH_AS(write_madminer_file(path, f), doctest::Contains("extra dataset 'samples/extra'"), InvalidArgument);
}
