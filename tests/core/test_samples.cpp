// Augmented samples: validation per kind, HDF5 round trips, MadMiner .npy export.
#include <random>

#include "sbi/error.hpp"
#include "sbi/npy.hpp"
#include "sbi/samples.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

AugmentedSamples make_samples(SampleKind kind, Index n = 50) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> gauss;
  auto random = [&](Index rows, Index cols) {
    RowMatrix m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = gauss(rng);
    return m;
  };
  AugmentedSamples s;
  s.kind = kind;
  s.partition = kind == SampleKind::Test ? Partition::Test : Partition::Train;
  s.parameter_names = {"cHWtil", "cHW"};
  s.observable_names = {"pt_l", "m_bb", "cos_delta_plus"};
  s.x = random(n, 3);
  s.theta0 = random(n, 2);
  s.seed = 1234;
  s.source = "unit-test";
  s.settings = "unit-test; n_samples=" + std::to_string(n) + "; a record longer than one 256-byte string: " + std::string(300, 'x');
  const bool ratio = kind == SampleKind::Ratio || kind == SampleKind::MoreRatios;
  if (ratio) {
    s.theta1 = RowMatrix::Zero(n, 2);
    s.y = Vector(n);
    for (Index i = 0; i < n; ++i) s.y(i) = i % 2;
    s.r_xz = random(n, 1).array().exp().matrix();
  }
  if (kind != SampleKind::Plain && kind != SampleKind::Test) s.t_xz0 = random(n, 2);
  if (kind == SampleKind::MoreRatios) s.t_xz1 = random(n, 2);
  return s;
}

}  // namespace

TEST_CASE("Every sample kind round-trips through its HDF5 file") {
  for (SampleKind kind : {SampleKind::Plain, SampleKind::Local, SampleKind::Density, SampleKind::Ratio,
                          SampleKind::MoreRatios, SampleKind::Test}) {
    CAPTURE(to_string(kind));
    const AugmentedSamples samples = make_samples(kind);
    CHECK_NOTHROW(samples.validate());
    const auto path = test::temp_path(fmt::format("samples_{}.h5", to_string(kind)));
    write_samples(path, samples);
    CHECK(read_samples(path) == samples);
    CHECK(parse_sample_kind(to_string(kind)) == kind);
  }
  CHECK(parse_sample_kind("more_ratios") == SampleKind::MoreRatios);
  CHECK_THROWS_AS(parse_sample_kind("alice"), InvalidArgument);
  CHECK(parse_partition("validation") == Partition::Validation);
  CHECK_THROWS_AS(parse_partition("training"), InvalidArgument);
}

TEST_CASE("Sample validation names the field and the sample") {
  AugmentedSamples s = make_samples(SampleKind::Ratio);
  SUBCASE("missing joint score") {
    s.t_xz0.resize(0, 0);
    CHECK_THROWS_AS(s.validate(), InvalidArgument);
  }
  SUBCASE("a field the kind does not have") {
    s.t_xz1 = RowMatrix::Zero(50, 2);
    CHECK_THROWS_AS(s.validate(), InvalidArgument);
  }
  SUBCASE("non-positive ratio") {
    s.r_xz(7) = 0.0;
    try {
      s.validate();
      FAIL("expected DataError");
    } catch (const DataError& e) {
      CHECK(std::string(e.what()).find("r_xz[7] = 0") != std::string::npos);
    }
  }
  SUBCASE("label other than 0 or 1") {
    s.y(3) = 0.5;
    CHECK_THROWS_AS(s.validate(), DataError);
  }
  SUBCASE("NaN observable") {
    s.x(4, 1) = std::nan("");
    CHECK_THROWS_AS(s.validate(), DataError);
  }
  SUBCASE("theta of the wrong width") {
    s.theta0 = RowMatrix::Zero(50, 3);
    CHECK_THROWS_AS(s.validate(), InvalidArgument);
  }
}

TEST_CASE("MadMiner .npy export uses SampleAugmenter's file names and shapes") {
  const auto folder = test::temp_path("npy_export");
  const AugmentedSamples ratio = make_samples(SampleKind::Ratio, 20);
  const auto written = export_madminer_npy(ratio, folder, "train_ratio");
  std::vector<std::string> names;
  for (const auto& p : written) names.push_back(p.filename().string());
  CHECK(names == std::vector<std::string>{"theta0_train_ratio.npy", "theta1_train_ratio.npy", "x_train_ratio.npy",
                                          "y_train_ratio.npy", "r_xz_train_ratio.npy", "t_xz_train_ratio.npy"});
  CHECK(read_npy(folder / "y_train_ratio.npy").shape == std::vector<std::int64_t>{20, 1});
  CHECK(read_npy(folder / "t_xz_train_ratio.npy").matrix() == ratio.t_xz0);

  const auto local = export_madminer_npy(make_samples(SampleKind::Local, 5), folder, "train_local");
  CHECK(local.size() == 3);
  CHECK(local[0].filename() == "theta_train_local.npy");
  CHECK(local[2].filename() == "t_xz_train_local.npy");
  const auto more = export_madminer_npy(make_samples(SampleKind::MoreRatios, 5), folder, "more");
  CHECK(more.back().filename() == "t_xz1_more.npy");
}

TEST_CASE("A file that is not a samples file is rejected") {
  const auto path = test::temp_path("not_samples.h5");
  const auto npy = test::temp_path("dummy.npy");
  write_npy(npy, RowMatrix(RowMatrix::Zero(1, 1)));
  CHECK_THROWS_AS(read_samples(npy), FormatError);
  CHECK_THROWS_AS(read_samples(path), FileNotFound);
}
