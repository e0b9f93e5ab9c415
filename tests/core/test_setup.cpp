// The core data model: parameter space, set-up and event validation, cross sections.
#include <cmath>
#include <limits>

#include "sbi/error.hpp"
#include "sbi/events.hpp"
#include "sbi/setup.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

Setup two_parameter_setup() {
  Setup setup;
  setup.parameters = ParameterSpace({Parameter{"cHW", "SMEFT", 7, 2, -1, 1, ""}, Parameter{"cHB", "SMEFT", 8, 2, -2, 2, ""}});
  setup.benchmarks = {{"sm", test::vector_of({0, 0}), false, true}, {"a", test::vector_of({1, 0}), false, false},
                      {"b", test::vector_of({0, 1}), false, false}};
  setup.observables = {{"pt_j1", "j[0].pt"}, {"m_jj", ""}};
  return setup;
}

Events three_events(const Setup& setup) {
  Events events;
  events.observations = RowMatrix::Zero(3, static_cast<Index>(setup.observables.size()));
  events.weights = RowMatrix::Ones(3, static_cast<Index>(setup.benchmarks.size()));
  events.sampling_benchmarks = IntVector::Zero(3);
  return events;
}

template <typename Exception, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return {};
}

}  // namespace

TEST_CASE("ParameterSpace rejects bad parameters with the field and value") {
  CHECK(message_of<InvalidArgument>([] { ParameterSpace({Parameter{"a"}, Parameter{"a"}}); }).find("'a' appears twice") !=
        std::string::npos);
  CHECK(message_of<InvalidArgument>([] { ParameterSpace({Parameter{"a", "", 0, 0}}); }).find("max_power = 0") !=
        std::string::npos);
  CHECK(message_of<InvalidArgument>([] { ParameterSpace({Parameter{"a", "", 0, 2, 1.0, -1.0}}); }).find("[1, -1]") !=
        std::string::npos);
  CHECK_THROWS_AS(ParameterSpace({Parameter{""}}), InvalidArgument);
  CHECK_THROWS_AS(ParameterSpace({Parameter{"a", "", 0, 2, 0.0, std::numeric_limits<double>::infinity()}}),
                  InvalidArgument);
}

TEST_CASE("ParameterSpace looks up names and lists the known ones when a name is unknown") {
  const ParameterSpace space({Parameter{"cHW"}, Parameter{"cHB"}});
  CHECK(space.size() == 2);
  CHECK(space.index_of("cHB") == 1);
  CHECK(space.at("cHW").name == "cHW");
  const std::string message = message_of<NotFound>([&] { (void)space.index_of("cHWB"); });
  CHECK(message.find("'cHWB'") != std::string::npos);
  CHECK(message.find("cHW, cHB") != std::string::npos);
  // NotFound is an sbi::Error: one catch suffices.
  CHECK_THROWS_AS((void)space.index_of("x"), Error);
}

TEST_CASE("Setup validation") {
  Setup setup = two_parameter_setup();
  CHECK_NOTHROW(setup.validate());
  CHECK(setup.n_physical_benchmarks() == 3);
  CHECK(setup.reference_benchmark() == 0);
  CHECK(setup.benchmark_index("b") == 2);
  CHECK_THROWS_AS((void)setup.benchmark_index("c"), NotFound);
  CHECK(setup.benchmark_values()(1, 0) == 1.0);

  SUBCASE("benchmark with the wrong number of values") {
    setup.benchmarks[1].values = test::vector_of({1, 2, 3});
    CHECK(message_of<InvalidArgument>([&] { setup.validate(); }).find("'a' has 3 values") != std::string::npos);
  }
  SUBCASE("physical benchmark after a nuisance benchmark") {
    setup.benchmarks[1].is_nuisance = true;
    CHECK(message_of<InvalidArgument>([&] { setup.validate(); }).find("'b' is physical") != std::string::npos);
  }
  SUBCASE("two reference benchmarks") {
    setup.benchmarks[2].is_reference = true;
    CHECK_THROWS_AS(setup.validate(), InvalidArgument);
  }
  SUBCASE("duplicate benchmark names") {
    setup.benchmarks[2].name = "a";
    CHECK_THROWS_AS(setup.validate(), InvalidArgument);
  }
  SUBCASE("non-finite benchmark value") {
    setup.benchmarks[1].values(1) = std::nan("");
    CHECK(message_of<InvalidArgument>([&] { setup.validate(); }).find("cHB = nan") != std::string::npos);
  }
  SUBCASE("morphing matrix of the wrong shape") {
    setup.morphing = StoredMorphing{IntRowMatrix::Zero(3, 2), RowMatrix::Zero(3, 2)};
    CHECK(message_of<InvalidArgument>([&] { setup.validate(); }).find("(3, 2)") != std::string::npos);
  }
  SUBCASE("negative morphing power") {
    setup.morphing = StoredMorphing{IntRowMatrix::Constant(3, 2, -1), RowMatrix::Zero(3, 3)};
    CHECK_THROWS_AS(setup.validate(), InvalidArgument);
  }
  SUBCASE("nuisance parameter pointing at an unknown benchmark") {
    setup.nuisance_parameters = {{"nu", "scale", "up", ""}};
    CHECK(message_of<InvalidArgument>([&] { setup.validate(); }).find("'up'") != std::string::npos);
  }
}

TEST_CASE("Events validation names the dataset, the event and the value") {
  const Setup setup = two_parameter_setup();
  Events events = three_events(setup);
  CHECK_NOTHROW(events.validate(setup));

  SUBCASE("NaN weight") {
    events.weights(2, 1) = std::nan("");
    const std::string message = message_of<DataError>([&] { events.validate(setup, "f.h5"); });
    CHECK(message.find("f.h5") != std::string::npos);
    CHECK(message.find("samples/weights[2, 1]") != std::string::npos);
    CHECK(message.find("'a'") != std::string::npos);
    CHECK(message.find("nan") != std::string::npos);
  }
  SUBCASE("infinite observable") {
    events.observations(1, 1) = -std::numeric_limits<double>::infinity();
    const std::string message = message_of<DataError>([&] { events.validate(setup); });
    CHECK(message.find("m_jj") != std::string::npos);
    CHECK(message.find("-inf") != std::string::npos);
    CHECK(message.find("event 1") != std::string::npos);
  }
  SUBCASE("weights with the wrong number of benchmarks") {
    events.weights = RowMatrix::Ones(3, 2);
    CHECK_THROWS_AS(events.validate(setup), InvalidArgument);
  }
  SUBCASE("weights with the wrong number of events") {
    events.weights = RowMatrix::Ones(4, 3);
    CHECK_THROWS_AS(events.validate(setup), InvalidArgument);
  }
  SUBCASE("sampling benchmark out of range") {
    events.sampling_benchmarks(0) = 3;
    CHECK(message_of<DataError>([&] { events.validate(setup); }).find("sampling_benchmarks[0] = 3") != std::string::npos);
  }
  SUBCASE("process labels") {
    events.sampling_benchmarks(2) = -1;
    CHECK(events.process_of(0) == 0);
    CHECK(events.process_of(2) == 1);
    events.process_ids = IntVector::Constant(3, 5);
    CHECK_THROWS_AS(events.validate(setup), DataError);
  }
}

TEST_CASE("Cross sections use MadMiner's k-factors for events from several benchmarks") {
  const Setup setup = two_parameter_setup();
  Events events = three_events(setup);
  // Two events generated at benchmark 0, one at benchmark 1; weights are σ-normalised per run.
  events.weights << 1.0, 2.0, 3.0,  //
      1.0, 2.0, 3.0,                //
      4.0, 5.0, 6.0;
  events.sampling_benchmarks << 0, 0, 1;
  CHECK(events.cross_sections()(0) == doctest::Approx(6.0));
  const SampleSummary summary{{2, 1, 0}, 0};
  const Vector sigma = events.cross_sections(summary);
  // k = 2/3 for the first two events, 1/3 for the third.
  CHECK(sigma(0) == doctest::Approx(2.0 / 3 + 2.0 / 3 + 4.0 / 3).epsilon(1e-15));
  CHECK(sigma(2) == doctest::Approx(2.0 + 2.0 + 2.0).epsilon(1e-15));
  // Background events keep factor 1.
  events.sampling_benchmarks(2) = -1;
  CHECK(events.sampling_factors(summary)(2) == 1.0);
}
