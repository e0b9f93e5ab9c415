// Benchmarks from LHE headers, the cHbox closure of the SMEFTsim VBF H files, and LHE samples →
// events in MadMiner's layout.
#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>
#include <map>

#include "lhe_test_files.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"
#include "sbi/madminer_file.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

const char* const vbfh_file = "lhe/event2vec/smeftsim_VBFH-1.lhe.gz";

/// All monomials θ^α with Σα ≤ 2 in n parameters, evaluated at θ (the quadratic morphing basis).
std::vector<double> quadratic_monomials(const Vector& theta) {
  std::vector<double> out{1.0};
  const Index n = theta.size();
  for (Index i = 0; i < n; ++i) out.push_back(theta(i));
  for (Index i = 0; i < n; ++i)
    for (Index j = i; j < n; ++j) out.push_back(theta(i) * theta(j));
  return out;
}

}  // namespace

TEST_CASE("reweighting texts: set lines, several per weight, case-insensitive blocks") {
  auto one = lhe::parse_reweight_text("set param_card smeft 7 0.1 # orig: 0.0\n");
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].block == "smeft");
  CHECK((*one)[0].lha_id == 7);
  CHECK((*one)[0].value == 0.1);
  CHECK((*one)[0].original == 0.0);
  auto two = lhe::parse_reweight_text("  set param_card SMEFT 4 0.1 # orig: 0.0\n# a comment\nset smeft 8 -2e-1\n");
  REQUIRE(two);
  REQUIRE(two->size() == 2);
  CHECK((*two)[1].block == "smeft");
  CHECK((*two)[1].lha_id == 8);
  CHECK((*two)[1].value == -0.2);
  CHECK_FALSE((*two)[1].original);
  auto empty = lhe::parse_reweight_text("");
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(lhe::parse_reweight_text("muR=0.10000E+01 muF=0.20000E+01"));
  CHECK_FALSE(lhe::parse_reweight_text("original ct10"));
  CHECK_THROWS_AS(lhe::parse_reweight_text("set param_card smeft 7 large"), InvalidArgument);
  CHECK_THROWS_AS(lhe::parse_reweight_text("set param_card yukawa 1 1 0.5"), InvalidArgument);

  const std::string card = "BLOCK MASS #\n  25 1.25e2 # mh\nBlock smeft #\n      7 0.5e+00 # chw\nDECAY 25 4.07e-03 # wh\n";
  auto entry = lhe::param_card_entry(card, "SMEFT", 7);
  REQUIRE(entry);
  CHECK(entry->first == 0.5);
  CHECK(entry->second == "chw");
  CHECK(lhe::param_card_entry(card, "decay", 25)->first == 4.07e-3);
  CHECK_FALSE(lhe::param_card_entry(card, "smeft", 8));
}

TEST_CASE("a generated header: parameters named from the param card, reference = unchanged point") {
  auto path = test::write_text("setup_small.lhe", test::small_lhe_text());
  const Setup setup = lhe::setup_from_header(lhe::read_header(path));
  REQUIRE(setup.parameters.size() == 1);
  CHECK(setup.parameters[0].name == "ca");
  CHECK(setup.parameters[0].lha_block == "NEWCOUP");
  CHECK(setup.parameters[0].lha_id == 3);
  CHECK(setup.parameters[0].max_power == 2);
  CHECK(setup.parameters[0].range_low == -2.0);
  CHECK(setup.parameters[0].range_high == 2.0);
  REQUIRE(setup.benchmarks.size() == 3);
  CHECK(setup.benchmarks[0].name == "SM");
  CHECK(setup.benchmarks[0].is_reference);
  CHECK(setup.benchmarks[2].values(0) == 2.0);
  CHECK(setup.reference_benchmark() == 0);

  lhe::SetupFromHeaderOptions options;
  options.parameters = {Parameter{"theta", "newcoup", 3, 4, -5, 5, ""}};
  const Setup given = lhe::setup_from_header(lhe::read_header(path), options);
  CHECK(given.parameters[0].name == "theta");
  CHECK(given.parameters[0].max_power == 4);
  CHECK(given.benchmarks[1].values(0) == 1.0);
  options.parameters = {Parameter{"other", "newcoup", 4, 2, -1, 1, ""}};
  CHECK_THROWS_AS(lhe::setup_from_header(lhe::read_header(path), options), NotFound);
  options = {};
  options.max_power = 0;
  CHECK_THROWS_WITH_AS(lhe::setup_from_header(lhe::read_header(path), options), doctest::Contains("max_power = 0"),
                       InvalidArgument);

  // Scale variations are not parameter points.
  if (auto hvq = test::shared_file("lhe/skhep/pylhe-testfile-powheg-box-v2-hvq.lhe"))
    CHECK_THROWS_AS(lhe::setup_from_header(lhe::read_header(*hvq)), NotFound);
}

TEST_CASE("benchmarks by name: exact, case-insensitive, or mapped") {
  Setup setup;
  setup.parameters = ParameterSpace({Parameter{"c", "b", 1, 2, -1, 1, ""}});
  setup.benchmarks = {{"sm", Vector::Zero(1), false, true}, {"cA_1", Vector::Ones(1), false, false}};
  const std::vector<std::string> ids{"SM", "cA_1", "cA_2"};
  CHECK(lhe::map_benchmarks_to_weights(setup, ids) == std::vector<int>{0, 1});
  CHECK(lhe::map_benchmarks_to_weights(setup, ids, {{"cA_1", "cA_2"}}) == std::vector<int>{0, 2});
  CHECK_THROWS_WITH_AS(lhe::map_benchmarks_to_weights(setup, ids, {{"sm", "nope"}}),
                       doctest::Contains("benchmark 'sm' has no weight"), NotFound);
}

TEST_CASE("smeftsim VBF H: the 21 header benchmarks form the square quadratic basis in 5 operators") {
  auto path = test::shared_file(vbfh_file);
  if (!path) return;
  const Setup setup = lhe::setup_from_header(lhe::read_header(*path));
  // Block SMEFT: cHbox 4, cHDD 5, cHW 7, cHB 8, cHWB 9 (names from the param card's comments).
  REQUIRE(setup.parameters.size() == 5);
  const std::vector<std::pair<std::string, std::int64_t>> expected{
      {"chbox", 4}, {"chdd", 5}, {"chw", 7}, {"chb", 8}, {"chwb", 9}};
  for (Index p = 0; p < 5; ++p) {
    CHECK(setup.parameters[p].name == expected[static_cast<std::size_t>(p)].first);
    CHECK(setup.parameters[p].lha_id == expected[static_cast<std::size_t>(p)].second);
    CHECK(setup.parameters[p].lha_block == "SMEFT");
    CHECK(setup.parameters[p].range_high == doctest::Approx(0.2));
  }
  REQUIRE(setup.benchmarks.size() == 21);
  CHECK(setup.benchmarks[0].name == "SM");
  CHECK(setup.benchmarks[0].is_reference);
  CHECK(setup.benchmarks[0].values.isZero());
  const auto& pair = setup.benchmarks[static_cast<std::size_t>(setup.benchmark_index("cHW_0p1_cHbox_0p1"))];
  CHECK(pair.values(0) == 0.1);
  CHECK(pair.values(2) == 0.1);
  CHECK(pair.values.sum() == doctest::Approx(0.2));
  CHECK(setup.benchmarks[static_cast<std::size_t>(setup.benchmark_index("cHB_0p2"))].values(3) == 0.2);

  // Square and invertible: the 21×21 matrix of quadratic monomials at the benchmarks has full
  // rank; the data README quotes condition number 2.1e3.
  Eigen::MatrixXd theta(21, 21);
  for (Index b = 0; b < 21; ++b) {
    auto row = quadratic_monomials(setup.benchmarks[static_cast<std::size_t>(b)].values);
    REQUIRE(row.size() == 21);
    for (Index c = 0; c < 21; ++c) theta(b, c) = row[static_cast<std::size_t>(c)];
  }
  Eigen::FullPivLU<Eigen::MatrixXd> lu(theta);
  CHECK(lu.rank() == 21);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(theta);
  const double condition = svd.singularValues()(0) / svd.singularValues()(20);
  CHECK(condition > 1e3);
  CHECK(condition < 1e4);
  MESSAGE("condition number of the 21 VBF H benchmarks' monomial matrix: " << condition);
}

TEST_CASE("smeftsim VBF H: cHbox closure, w(c)/w(SM) = (1 + v^2/Lambda^2 c)^2 event by event") {
  auto path = test::shared_file(vbfh_file);
  if (!path) return;
  lhe::Reader reader(*path);
  // v²/Λ² = 1/(√2 G_F Λ²) with G_F from the param card (SMINPUTS 2) and Λ = 1 TeV.
  auto gf = lhe::param_card_entry(reader.header().param_card, "sminputs", 2);
  REQUIRE(gf);
  CHECK(gf->first == 1.166379e-5);
  const double k = 1.0 / (std::sqrt(2.0) * gf->first * 1e6);
  CHECK(k == doctest::Approx(0.0606241).epsilon(1e-6));
  const auto& ids = reader.weight_ids();
  auto at = [&](const std::string& id) { return static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin()); };
  const std::size_t sm = at("SM"), c1 = at("cHbox_0p1"), c2 = at("cHbox_0p2");
  REQUIRE(c2 < ids.size());

  // Without the morphing module: the 1-D quadratic in cHbox through the SM, 0.1 and 0.2 weights
  // (Lagrange form), evaluated at c. The weights carry 8 significant digits, so the comparison
  // with the analytic square is limited by their rounding: |Σ L_i(c) δw_i| ≤ Σ |L_i(c)|·5e-8·|w_i|.
  // Separately, the morphed ratio must be the same for every event to 1e-9 (the closure the data
  // README states: cHbox only rescales the hVV coupling).
  const double nodes[3] = {0.0, 0.1, 0.2};
  std::map<double, double> worst_analytic, worst_spread, first_ratio;
  lhe::Event event;
  std::int64_t n = 0;
  while (reader.next(event)) {
    const double w[3] = {event.named_weights[sm], event.named_weights[c1], event.named_weights[c2]};
    for (double c : {-3.0, 0.7, 5.0}) {
      double morphed = 0, bound = 0;
      for (int i = 0; i < 3; ++i) {
        double lagrange = 1;
        for (int j = 0; j < 3; ++j)
          if (j != i) lagrange *= (c - nodes[j]) / (nodes[i] - nodes[j]);
        morphed += lagrange * w[i];
        bound += std::abs(lagrange) * 5e-8 * std::abs(w[i]);
      }
      const double analytic = (1 + k * c) * (1 + k * c) * w[0];
      const double error = std::abs(morphed - analytic) / analytic;
      REQUIRE_MESSAGE(std::abs(morphed - analytic) <= bound + 1e-12 * analytic,
                      "event " << event.index << " c = " << c << ": " << morphed << " vs " << analytic);
      worst_analytic[c] = std::max(worst_analytic[c], error);
      const double ratio = morphed / w[0];
      if (!first_ratio.count(c)) first_ratio[c] = ratio;
      worst_spread[c] = std::max(worst_spread[c], std::abs(ratio - first_ratio[c]) / first_ratio[c]);
    }
    ++n;
  }
  CHECK(n == 10000);
  for (double c : {-3.0, 0.7, 5.0}) {
    CHECK(worst_spread[c] < 1e-9);
    MESSAGE("cHbox = " << c << ": morphed/analytic − 1 = " << worst_analytic[c] << " (8-digit weights), spread over events "
                       << worst_spread[c]);
  }
}

TEST_CASE("convert: VBF H signal with the header's benchmarks plus the background file") {
  auto signal = test::shared_file(vbfh_file);
  auto background = test::shared_file("lhe/madminer/background_ud_udaa_unweighted_events.lhe.gz");
  if (!signal || !background) return;
  const Setup setup = lhe::setup_from_header(lhe::read_header(*signal));
  lhe::ConvertOptions options;
  options.observables = {{"pt_j1", "pt_j1"}, {"m_jj", "m_jj"}, {"dphi_jj", "dphi_jj_signed"}, {"pt_h", "pt_h1"}};
  options.observables[3].required = false;
  options.observables[3].default_value = -1.0;  // the background has no Higgs
  std::vector<lhe::SampleReport> reports;
  const MadMinerFile file = lhe::convert(
      setup, {lhe::LheSample{*signal, "SM"}, lhe::LheSample{*background, "", true}}, options, &reports);
  REQUIRE(file.events);
  const Events& events = *file.events;
  CHECK(events.size() == 20000);
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].events_read == 10000);
  CHECK(reports[0].events_kept == 10000);
  CHECK(reports[0].event_norm == lhe::EventNorm::average);
  CHECK(reports[0].cross_section_pb == doctest::Approx(3.343019).epsilon(1e-6));
  CHECK(reports[1].cross_section_pb == doctest::Approx(0.02385).epsilon(1e-3));
  REQUIRE(file.sample_summary);
  CHECK(file.sample_summary->signal_events[0] == 10000);
  CHECK(file.sample_summary->background_events == 10000);
  CHECK(file.setup.observables.size() == 4);
  CHECK(file.setup.observables[2].definition == "dphi_jj_signed");
  CHECK(events.sampling_benchmarks(0) == 0);
  CHECK(events.sampling_benchmarks(19999) == -1);
  CHECK(events.observations(19999, 3) == -1.0);
  CHECK(events.observations(0, 3) > 0);
  // Background: one weight for every benchmark.
  CHECK((events.weights.row(15000).array() == events.weights(15000, 0)).all());
  // σ at each benchmark = mean weight of the signal file (+ the background's σ, the same everywhere).
  Vector sigma = events.weights.topRows(10000).colwise().sum().transpose();
  const std::map<std::string, double> readme{{"SM", 3.343019}, {"cHB_0p1", 3.344680}, {"cHW_0p2", 3.424958},
                                             {"cHWB_0p1", 3.356174}, {"cHW_0p1_cHbox_0p1", 3.420800}};
  for (const auto& [name, value] : readme) CHECK(test::close(sigma(setup.benchmark_index(name)), value, 2e-7));

  // Written in MadMiner's layout and read back identically.
  auto out = test::temp_path("lhe_vbfh_events.h5");
  write_madminer_file(out, file);
  CHECK(read_madminer_file(out) == file);

  // Shuffled: same events, another order.
  options.shuffle = true;
  const MadMinerFile shuffled = lhe::convert(setup, {lhe::LheSample{*signal, "SM"}}, options);
  CHECK(shuffled.events->weights.colwise().sum().isApprox(events.weights.topRows(10000).colwise().sum(), 1e-12));
  CHECK(shuffled.events->observations.col(0) != events.observations.col(0).head(10000));
}

TEST_CASE("convert: cuts, undefined observables, unmapped weights, k-factors") {
  auto path = test::write_text("convert_small.lhe", test::small_lhe_text());
  const Setup setup = lhe::setup_from_header(lhe::read_header(path));
  lhe::ConvertOptions options;
  options.observables = {{"m_jj", "m_jj"}};
  auto file = lhe::convert(setup, {lhe::LheSample{path}}, options);
  REQUIRE(file.events->size() == 2);
  // event_norm = average: each weight divided by the 2 events.
  CHECK(file.events->weights(0, 0) == 1.0);
  CHECK(file.events->weights(0, 2) == 2.5);
  CHECK(file.events->sampling_benchmarks(0) == 0);  // the reference benchmark

  lhe::LheSample doubled{path};
  doubled.k_factor = 2.0;
  CHECK(lhe::convert(setup, {doubled}, options).events->weights(1, 1) == 3.0);

  options.cuts = {{"m_jj > 1e6"}};
  std::vector<lhe::SampleReport> reports;
  CHECK(lhe::convert(setup, {lhe::LheSample{path}}, options, &reports).events->size() == 0);
  CHECK(reports[0].failed_cuts == 2);
  options.cuts = {};

  options.observables = {{"pt_j3", "pt_j3"}};
  CHECK(lhe::convert(setup, {lhe::LheSample{path}}, options, &reports).events->size() == 0);
  CHECK(reports[0].undefined_observables == 2);
  options.observables[0].required = false;
  options.observables[0].default_value = -99;
  CHECK(lhe::convert(setup, {lhe::LheSample{path}}, options).events->observations(1, 0) == -99);

  // A set-up without the cA_2 benchmark: the file's weight cA_2 maps to no benchmark.
  Setup fewer = setup;
  fewer.benchmarks.pop_back();
  fewer.morphing.reset();  // the stored morphing belongs to the original benchmarks
  CHECK_THROWS_WITH_AS(lhe::convert(fewer, {lhe::LheSample{path}}, options),
                       doctest::Contains("weight id 'cA_2' maps to no benchmark"), FormatError);
  options.ignore_unmapped_weights = true;
  CHECK(lhe::convert(fewer, {lhe::LheSample{path}}, options).events->weights.cols() == 2);
  // A benchmark without a weight.
  Setup more = setup;
  more.morphing.reset();
  more.benchmarks.push_back({"cA_3", Vector::Constant(1, 3.0), false, false});
  CHECK_THROWS_WITH_AS(lhe::convert(more, {lhe::LheSample{path}}, options), doctest::Contains("convert_small.lhe"),
                       NotFound);

  lhe::ConvertOptions none;
  CHECK_THROWS_WITH_AS(lhe::convert(setup, {lhe::LheSample{path}}, none), doctest::Contains("observables is empty"),
                       InvalidArgument);
  options.observables = {{"x", "pt_j1 +"}};
  CHECK_THROWS_AS(lhe::convert(setup, {lhe::LheSample{path}}, options), InvalidArgument);
}

TEST_CASE("convert: the shuffled order is fixed by the seed alone (a platform-independent Fisher-Yates)") {
  // Eight copies of the small file: 16 events, tagged by their row in file order through the k-factor.
  auto path = test::write_text("shuffle_small.lhe", test::small_lhe_text());
  const Setup setup = lhe::setup_from_header(lhe::read_header(path));
  std::vector<lhe::LheSample> files;
  for (int f = 0; f < 8; ++f) {
    lhe::LheSample sample{path};
    sample.is_background = true;
    sample.k_factor = f + 1.0;  // file f's two events get weight (f + 1) · 1 pb
    files.push_back(sample);
  }
  lhe::ConvertOptions options;
  options.observables = {{"pt_j1", "pt_j1"}};
  options.shuffle = true;
  options.seed = 1234;
  const auto shuffled = lhe::convert(setup, files, options);
  std::vector<int> file_of_row;
  for (Index i = 0; i < shuffled.events->size(); ++i)
    file_of_row.push_back(static_cast<int>(std::lround(shuffled.events->weights(i, 0))) - 1);
  // The order std::mt19937_64(1234) gives with rejection-sampled bounded draws on any platform,
  // computed independently with a pure-Python mt19937_64 (checked against the standard's 10000th
  // output, 9981545732273789042).
  CHECK(file_of_row == std::vector<int>{1, 3, 0, 2, 7, 1, 4, 4, 2, 5, 7, 3, 6, 5, 6, 0});
  options.seed = 1235;
  CHECK(lhe::convert(setup, files, options).events->weights.col(0) != shuffled.events->weights.col(0));
}

TEST_CASE("convert: several files at one benchmark count the cross section once") {
  auto path = test::write_text("piece.lhe", test::small_lhe_text());
  const Setup setup = lhe::setup_from_header(lhe::read_header(path));
  lhe::ConvertOptions options;
  options.observables = {{"pt_j1", "pt_j1"}};
  std::vector<lhe::SampleReport> reports;
  const auto one = lhe::convert(setup, {lhe::LheSample{path}}, options);
  const auto three = lhe::convert(setup, {lhe::LheSample{path}, lhe::LheSample{path}, lhe::LheSample{path}}, options, &reports);
  CHECK(three.events->size() == 6);
  CHECK(three.events->cross_sections(three.sample_summary).isApprox(one.events->cross_sections(one.sample_summary), 1e-14));
  CHECK(reports[2].cross_section_pb == 2.0);
  CHECK(three.sample_summary->signal_events[0] == 6);
}

#include "sbi/morphing.hpp"

TEST_CASE("smeftsim VBF H: the header's 21-benchmark morphing of the converted events reproduces the cHbox rescaling") {
  // The whole pipeline: set-up and stored morphing from the header, lhe::convert to per-event
  // weights in pb, Morphing::from_setup, morphed weights at θ = (c, 0, 0, 0, 0). In SMEFTsim cHbox
  // only rescales the hVV coupling, so the morphed weight must be (1 + v²/Λ² c)² w_SM event by
  // event (data README §2.1). The file prints weights to 8 significant digits, so against the
  // analytic factor the morphing can only be as good as the three cHbox weights' rounding,
  // amplified by the extrapolation: |Σ_i L_i(c) δw_i| ≤ Σ_i |L_i(c)| · 5e-8 · w_i with the Lagrange
  // polynomials L_i through c = 0, 0.1, 0.2 (the only benchmarks that carry the pure-cHbox
  // components). Exactly (1e-10) it must equal that three-point interpolation, and the ratio to
  // w_SM must be the same for every event.
  auto path = test::shared_file(vbfh_file);
  if (!path) return;
  const Setup setup = lhe::setup_from_header(lhe::read_header(*path));
  REQUIRE(setup.morphing.has_value());
  REQUIRE(setup.parameters[0].name == "chbox");
  lhe::ConvertOptions options;
  options.observables = {{"pt_j1", "pt_j1"}};
  const MadMinerFile file = lhe::convert(setup, {lhe::LheSample{*path, "SM"}}, options);
  const Events& events = *file.events;
  const Morphing morphing = Morphing::from_setup(file.setup);
  const double k = 0.0606241;  // v²/Λ² = 1/(√2 G_F Λ²), G_F from the param card (previous test)
  const std::vector<double> cs{-3.0, 0.7, 1.0, 5.0};
  RowMatrix thetas = RowMatrix::Zero(static_cast<Index>(cs.size()), 5);
  for (std::size_t t = 0; t < cs.size(); ++t) thetas(static_cast<Index>(t), 0) = cs[t];
  const RowMatrix morphed = morphing.morphed_event_weights(events.weights, thetas);  // N × T

  const Index sm = setup.benchmark_index("SM"), c1 = setup.benchmark_index("cHbox_0p1"),
              c2 = setup.benchmark_index("cHbox_0p2");
  const double nodes[3] = {0.0, 0.1, 0.2};
  for (std::size_t t = 0; t < cs.size(); ++t) {
    const double c = cs[t];
    double lagrange[3];
    for (int a = 0; a < 3; ++a) {
      lagrange[a] = 1;
      for (int b = 0; b < 3; ++b)
        if (b != a) lagrange[a] *= (c - nodes[b]) / (nodes[a] - nodes[b]);
    }
    double worst_interpolation = 0, worst_analytic = 0, first_ratio = 0, worst_spread = 0;
    bool within_rounding = true;
    for (Index i = 0; i < events.size(); ++i) {
      const double w[3] = {events.weights(i, sm), events.weights(i, c1), events.weights(i, c2)};
      double interpolated = 0, bound = 0;
      for (int a = 0; a < 3; ++a) {
        interpolated += lagrange[a] * w[a];
        bound += std::abs(lagrange[a]) * 5e-8 * w[a];
      }
      const double m = morphed(i, static_cast<Index>(t)), analytic = (1 + k * c) * (1 + k * c) * w[0];
      worst_interpolation = std::max(worst_interpolation, std::abs(m - interpolated) / std::abs(interpolated));
      worst_analytic = std::max(worst_analytic, std::abs(m - analytic) / analytic);
      within_rounding = within_rounding && std::abs(m - analytic) <= bound + 1e-12 * analytic;
      const double ratio = m / w[0];
      if (i == 0) first_ratio = ratio;
      worst_spread = std::max(worst_spread, std::abs(ratio / first_ratio - 1));
    }
    const double sigma = morphed.col(static_cast<Index>(t)).sum();
    MESSAGE("cHbox = " << c << " through the 21-benchmark morphing: σ = " << sigma << " pb; morphed vs 3-point interpolation "
                       << worst_interpolation << ", vs analytic (1 + " << k << " c)² w_SM " << worst_analytic
                       << " (8-digit weights), spread of w(c)/w_SM over the events " << worst_spread);
    CHECK(worst_interpolation < 1e-10);
    CHECK(worst_spread < 1e-10);
    CHECK(within_rounding);
    if (c == 1.0) CHECK(test::close(sigma, 3.760639, 2e-7));  // data README §2.1
  }
}

TEST_CASE("convert: efficiencies multiply the weights of the kept events (MadMiner's add_efficiency)") {
  // The small file: two identical events with weights (2, 3, 5) under event_norm = average, so
  // 1, 1.5, 2.5 pb per event; jets at p_T = √(70² + 20²) = 72.80 GeV (leading) and 60 GeV.
  auto path = test::write_text("efficiency_small.lhe", test::small_lhe_text());
  const Setup setup = lhe::setup_from_header(lhe::read_header(path));
  lhe::ConvertOptions options;
  options.observables = {{"pt_j1", "pt_j1"}};
  const auto plain = lhe::convert(setup, {lhe::LheSample{path}}, options);
  REQUIRE(plain.events->size() == 2);
  CHECK(plain.events->weights(0, 2) == 2.5);

  // A constant, a kinematic expression, a callable and an undefined one (no third jet → default).
  options.efficiencies = {{"0.5"}, {"pt_j1 > 70 ? 0.9 : 0.4"}, {"", [](const lhe::Kinematics& k) { return k.jets.size() == 2 ? 0.8 : 0.0; }},
                          {"pt_j3 / 100", {}, 0.75}};
  std::vector<lhe::SampleReport> reports;
  const auto weighted = lhe::convert(setup, {lhe::LheSample{path}}, options, &reports);
  const double leading = plain.events->observations(0, 0);
  CHECK(leading == doctest::Approx(std::hypot(70.0, 20.0)).epsilon(1e-12));
  const double factor = 0.5 * (leading > 70 ? 0.9 : 0.4) * 0.8 * 0.75;
  MESSAGE("leading jet p_T " << leading << " GeV: efficiency product " << factor);
  for (Index i = 0; i < 2; ++i)
    for (Index b = 0; b < 3; ++b) CHECK(weighted.events->weights(i, b) == doctest::Approx(factor * plain.events->weights(i, b)).epsilon(1e-15));
  CHECK(reports[0].cross_section_pb == doctest::Approx(factor * 2.0).epsilon(1e-15));
  CHECK(weighted.events->observations == plain.events->observations);

  // A background file: the one weight copied to every benchmark carries the efficiency too.
  lhe::LheSample background{path};
  background.is_background = true;
  options.efficiencies = {{"0.25"}};
  const auto bkg = lhe::convert(setup, {background}, options);
  CHECK(bkg.events->weights(1, 0) == doctest::Approx(0.25 * 1.0).epsilon(1e-15));
  CHECK(bkg.events->weights(1, 2) == bkg.events->weights(1, 0));

  // A negative value is an error naming the file, the event and the expression.
  options.efficiencies = {{"pt_j1 - 100"}};
  CHECK_THROWS_WITH_AS(lhe::convert(setup, {lhe::LheSample{path}}, options),
                       doctest::Contains("efficiency_small.lhe' line 28, event 0: efficiency 'pt_j1 - 100' = -27.1989"), FormatError);
  options.efficiencies = {{"", {}, 1.0}};
  CHECK_THROWS_WITH_AS(lhe::convert(setup, {lhe::LheSample{path}}, options), doctest::Contains("efficiencies[0]"),
                       InvalidArgument);
  options.efficiencies = {{"0.5", {}, -1.0}};
  CHECK_THROWS_WITH_AS(lhe::convert(setup, {lhe::LheSample{path}}, options),
                       doctest::Contains("efficiencies[0].default_value = -1"), InvalidArgument);
}
