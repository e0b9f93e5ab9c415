// MadMiner-layout HDF5 files: bit-exact round trips, the three real files, and every error path
// (missing, foreign, truncated, corrupt, wrong types and shapes, atomic writes).
#include <Eigen/LU>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "hdf5_handles.hpp"
#include "sbi/error.hpp"
#include "sbi/madminer_file.hpp"
#include "test_support.hpp"

using namespace sbi;
namespace fs = std::filesystem;

namespace {

// Bitwise equality of two double arrays: distinguishes -0.0 from 0.0 and compares NaN payloads.
template <typename A, typename B>
bool bitwise_equal(const A& a, const B& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

MadMinerFile full_file() {
  MadMinerFile file;
  Setup& s = file.setup;
  s.parameters = ParameterSpace({Parameter{"cHWtil", "SMEFTcpv", 4, 2, -1.5, 1.25, ""},
                                 Parameter{"cHW", "SMEFT", 7, 4, -0.1, 3.0e-7, "16.52*theta"}});
  auto v = [](double a, double b) {
    Vector x(2);
    x << a, b;
    return x;
  };
  s.benchmarks = {{"sm", v(0.0, -0.0), false, true},
                  {"b1", v(0.1, 1.0 / 3.0), false, false},
                  {"b2", v(-1e-300, 1e300), false, false},
                  {"nuisance_up", v(0, 0), true, false},
                  {"nuisance_down", v(0, 0), true, false}};
  StoredMorphing morphing;
  morphing.components.resize(3, 2);
  morphing.components << 0, 0, 0, 1, 1, 0;
  morphing.matrix.resize(3, 3);
  morphing.matrix << 1, 0, 0, -1.0 / 3, 0.5, std::numeric_limits<double>::denorm_min(), 7e-17, -2, 1e10;
  s.morphing = morphing;
  s.observables = {{"pt_l", "l[0].pt"}, {"cos_delta_plus", ""}, {"met", "met.pt"}};
  s.nuisance_parameters = {{"nu_scale", "scale_unc", "nuisance_up", "nuisance_down"}, {"nu_norm", "norm_unc", "", ""}};
  s.systematics = {{"scale_unc", "scale", "mu", "2.0"}, {"norm_unc", "norm", "0.1", ""}};
  s.finite_differences = FiniteDifferences{{"sm"}, {{"b1", "b2"}}, 0.01};

  Events events;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> gauss;
  const Index n = 257;
  events.observations.resize(n, 3);
  events.weights.resize(n, 5);
  for (Index i = 0; i < events.observations.size(); ++i) events.observations.data()[i] = gauss(rng) * 100;
  for (Index i = 0; i < events.weights.size(); ++i) events.weights.data()[i] = std::exp(gauss(rng)) * 1e-3;
  events.observations(0, 0) = -0.0;
  events.weights(1, 1) = std::numeric_limits<double>::denorm_min();
  events.weights(2, 2) = -4.5e-3;  // negative weights exist (NLO) and survive
  events.sampling_benchmarks.resize(n);
  for (Index i = 0; i < n; ++i) events.sampling_benchmarks(i) = i % 4 == 3 ? -1 : i % 3;
  events.process_ids.resize(n);
  for (Index i = 0; i < n; ++i) events.process_ids(i) = events.sampling_benchmarks(i) < 0 ? 1 + i % 2 : 0;
  events.process_names = {"signal", "ttbar", "W+jets"};
  file.events = events;
  file.sample_summary = SampleSummary{{60, 60, 60}, 64};
  return file;
}

void copy_truncated(const fs::path& from, const fs::path& to, std::uintmax_t length) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> bytes(length);
  in.read(bytes.data(), static_cast<std::streamsize>(length));
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(length));
}

std::vector<char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Component matrix Θ_bc = Π_p θ_bp^α_cp (DESIGN.md §4).
RowMatrix component_matrix(const Setup& setup) {
  const auto& components = setup.morphing->components;
  const Index n_b = setup.n_physical_benchmarks();
  RowMatrix theta(n_b, components.rows());
  for (Index b = 0; b < n_b; ++b)
    for (Index c = 0; c < components.rows(); ++c) {
      double value = 1.0;
      for (Index p = 0; p < components.cols(); ++p)
        value *= std::pow(setup.benchmarks[static_cast<std::size_t>(b)].values(p), static_cast<double>(components(c, p)));
      theta(b, c) = value;
    }
  return theta;
}

std::vector<fs::path> temporary_leftovers(const fs::path& directory) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(entry.path());
  return found;
}

}  // namespace

TEST_CASE("A full file round-trips bit for bit") {
  const MadMinerFile original = full_file();
  const fs::path path = test::temp_path("roundtrip.h5");
  write_madminer_file(path, original);
  const MadMinerFile back = read_madminer_file(path);
  CHECK(back.setup == original.setup);
  REQUIRE(back.events.has_value());
  CHECK(bitwise_equal(back.events->observations, original.events->observations));
  CHECK(bitwise_equal(back.events->weights, original.events->weights));
  CHECK(back.events->sampling_benchmarks == original.events->sampling_benchmarks);
  CHECK(back.events->process_ids == original.events->process_ids);
  CHECK(back.events->process_names == original.events->process_names);
  CHECK(back.sample_summary == original.sample_summary);
  CHECK(bitwise_equal(back.setup.morphing->matrix, original.setup.morphing->matrix));
  CHECK(std::signbit(back.setup.benchmarks[0].values(1)));  // -0.0 kept
  CHECK(back == original);

  // Written again, the file is byte-identical content-wise: a second round trip changes nothing.
  const fs::path again = test::temp_path("roundtrip2.h5");
  write_madminer_file(again, back);
  CHECK(read_madminer_file(again) == original);
}

TEST_CASE("Files are written with MadMiner's names, dtypes and orientation") {
  const MadMinerFile original = full_file();
  const fs::path path = test::temp_path("layout.h5");
  write_madminer_file(path, original);
  const h5::File file = h5::File::open_read(path);
  using h5::Kind;
  struct Expected {
    const char* name;
    Kind kind;
    std::vector<hsize_t> dims;
  };
  const std::vector<Expected> expected = {
      {"parameters/names", Kind::String, {2}},        {"parameters/lha_blocks", Kind::String, {2}},
      {"parameters/lha_ids", Kind::Integer, {2}},     {"parameters/max_power", Kind::Integer, {2}},
      {"parameters/val_ranges", Kind::Float, {2, 2}}, {"parameters/transforms", Kind::String, {2}},
      {"benchmarks/names", Kind::String, {5}},        {"benchmarks/values", Kind::Float, {5, 2}},
      {"benchmarks/is_nuisance", Kind::Integer, {5}}, {"benchmarks/is_reference", Kind::Integer, {5}},
      {"morphing/components", Kind::Integer, {3, 2}}, {"morphing/morphing_matrix", Kind::Float, {3, 3}},
      {"observables/names", Kind::String, {3}},       {"observables/definitions", Kind::String, {3}},
      {"samples/observations", Kind::Float, {257, 3}}, {"samples/weights", Kind::Float, {257, 5}},
      {"samples/sampling_benchmarks", Kind::Integer, {257}}, {"sample_summary/signal_events", Kind::Integer, {3}},
      {"sample_summary/background_events", Kind::Integer, {}}, {"nuisance_parameters/names", Kind::String, {2}},
      {"nuisance_parameters/benchmark_negative", Kind::String, {2}}, {"systematics/scales", Kind::String, {2}},
      {"finite_differences/shifted_benchmarks", Kind::String, {1, 2}},
      {"finite_differences/epsilon", Kind::Float, {}},
  };
  for (const auto& e : expected) {
    CAPTURE(e.name);
    REQUIRE(file.has(e.name));
    const auto info = file.info(e.name);
    CHECK(info.kind == e.kind);
    CHECK(info.dims == e.dims);
  }
  // "None" for absent strings, "theta" for the identity transform (MadMiner's writer needs one).
  CHECK(file.read_strings("observables/definitions")[1] == "None");
  CHECK(file.read_strings("nuisance_parameters/benchmark_positive")[1] == "None");
  CHECK(file.read_strings("systematics/scales")[1] == "None");
  CHECK(file.read_strings("parameters/transforms")[0] == "theta");
  CHECK(file.read_strings("parameters/transforms")[1] == "16.52*theta");
}

TEST_CASE("The sample summary is derived from the events when absent") {
  MadMinerFile original = full_file();
  original.sample_summary.reset();
  const fs::path path = test::temp_path("summary.h5");
  write_madminer_file(path, original);
  const MadMinerFile back = read_madminer_file(path);
  REQUIRE(back.sample_summary.has_value());
  // 257 events: i % 4 == 3 are background (64), the others cycle over benchmarks i % 3.
  std::int64_t signal = 0;
  for (auto n : back.sample_summary->signal_events) signal += n;
  CHECK(back.sample_summary->background_events == 64);
  CHECK(signal == 257 - 64);
  CHECK(back.sample_summary->signal_events.size() == 3);
}

TEST_CASE("The real MadMiner files") {
  SUBCASE("dihiggs set-ups (current layout, written by MadMiner v0.9)") {
    for (const char* name : {"madminer/dihiggs_nsbi_setup_rmastand.h5", "madminer/dihiggs_nsbi_setup_umarsdq.h5"}) {
      CAPTURE(name);
      const auto path = test::shared_file(name);
      if (!path) return;
      const MadMinerFile file = read_madminer_file(*path);
      const Setup& s = file.setup;
      CHECK(s.parameters.names() == std::vector<std::string>{"cp", "cdp", "ctp"});
      CHECK(s.parameters[2].lha_block == "DIM62F");
      CHECK(s.parameters[2].lha_id == 19);
      CHECK(s.parameters[0].range_low == -16.0);  // stored as int64 in this file
      CHECK(s.parameters[0].range_high == 8.0);
      CHECK(s.parameters[1].max_power == 2);
      CHECK(s.parameters[0].transform.empty());  // "theta" = identity
      REQUIRE(s.benchmarks.size() == 10);
      CHECK(s.benchmarks[0].name == "sm");
      CHECK(s.benchmarks[9].name == "morphing_basis_vector_9");
      CHECK(s.benchmarks[0].values.isZero());
      REQUIRE(s.morphing.has_value());
      CHECK(s.morphing->components.rows() == 10);
      CHECK(s.morphing->matrix.rows() == 10);
      CHECK(s.morphing->matrix.cols() == 10);
      CHECK(!file.events.has_value());
      // The stored morphing matrix is the inverse of the component matrix.
      const RowMatrix theta = component_matrix(s);
      const RowMatrix inverse = theta.fullPivLu().inverse();
      const double scale = s.morphing->matrix.cwiseAbs().maxCoeff();
      CHECK((inverse - s.morphing->matrix).cwiseAbs().maxCoeff() / scale < 1e-12);
      CHECK((theta * s.morphing->matrix - RowMatrix::Identity(10, 10)).cwiseAbs().maxCoeff() < 1e-12);
    }
  }
  SUBCASE("WBF H->aa example (2019 layout: parameters/ranges, max_power (n, 1), no sample_summary)") {
    const auto path = test::shared_file("madminer/madminer_example_with_data_1.h5");
    if (!path) return;
    const MadMinerFile file = read_madminer_file(*path);
    const Setup& s = file.setup;
    CHECK(s.parameters.names() == std::vector<std::string>{"CWL2", "CPWL2"});
    CHECK(s.parameters[0].lha_block == "dim6");
    CHECK(s.parameters[0].lha_id == 2);
    CHECK(s.parameters[1].lha_id == 5);
    CHECK(s.parameters[0].max_power == 2);
    CHECK(s.parameters[0].range_low == -10.0);
    CHECK(s.parameters[0].transform == "16.52*theta");
    CHECK(s.benchmark_names() ==
          std::vector<std::string>{"sm", "w", "morphing_basis_vector_2", "morphing_basis_vector_3",
                                   "morphing_basis_vector_4", "morphing_basis_vector_5"});
    CHECK(s.benchmarks[1].values(0) == 10.0);
    CHECK(s.reference_benchmark() == 0);
    CHECK(s.observable_names() == std::vector<std::string>{"pt_j1", "delta_phi_jj"});
    REQUIRE(file.events.has_value());
    CHECK(file.events->size() == 926);
    CHECK(file.events->weights.cols() == 6);
    CHECK(!file.sample_summary.has_value());
    CHECK((file.events->sampling_benchmarks.array() == 0).all());  // attributed to the reference benchmark
    const RowMatrix theta = component_matrix(s);
    const RowMatrix inverse = theta.fullPivLu().inverse();
    CHECK((inverse - s.morphing->matrix).cwiseAbs().maxCoeff() / s.morphing->matrix.cwiseAbs().maxCoeff() < 1e-12);

    // Rewritten in the current layout, it reads back identically.
    const fs::path rewritten = test::temp_path("example_rewritten.h5");
    write_madminer_file(rewritten, file);
    MadMinerFile back = read_madminer_file(rewritten);
    CHECK(back.setup == file.setup);
    CHECK(bitwise_equal(back.events->weights, file.events->weights));
    CHECK(bitwise_equal(back.events->observations, file.events->observations));
    CHECK(h5::File::open_read(rewritten).has("parameters/val_ranges"));
  }
}

TEST_CASE("Missing, foreign and non-HDF5 files give clear errors") {
  CHECK_THROWS_AS(read_madminer_file(test::temp_path("does_not_exist.h5")), FileNotFound);

  const fs::path directory = test::temp_path("a_directory");
  fs::create_directories(directory);
  CHECK_THROWS_AS(read_madminer_file(directory), FileError);

  const fs::path text = test::temp_path("text.h5");
  std::ofstream(text) << "<LesHouchesEvents version=\"3.0\">\n";
  try {
    read_madminer_file(text);
    FAIL("expected FormatError");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find("not an HDF5 file") != std::string::npos);
    CHECK(std::string(e.what()).find("text.h5") != std::string::npos);
  }

  // A valid HDF5 file that is not a MadMiner file.
  const fs::path foreign = test::temp_path("foreign.h5");
  {
    h5::File file = h5::File::create(foreign);
    file.write_matrix("data/x", RowMatrix::Ones(2, 2));
    file.close();
  }
  try {
    read_madminer_file(foreign);
    FAIL("expected FormatError");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find("parameters/names") != std::string::npos);
  }
}

TEST_CASE("Datasets of the wrong type or shape are rejected naming the dataset") {
  const MadMinerFile original = full_file();
  auto write_with = [&](const std::string& name, auto&& edit, double range = 1.0) {
    const fs::path path = test::temp_path(name);
    h5::File file = h5::File::create(path);
    file.write_strings("parameters/names", {"a", "b"});
    file.write_strings("parameters/lha_blocks", {"X", "X"});
    file.write_int_vector("parameters/lha_ids", {1, 2});
    file.write_int_vector("parameters/max_power", {2, 2});
    RowMatrix ranges(2, 2);
    ranges << -range, range, -range, range;
    file.write_matrix("parameters/val_ranges", ranges);
    file.write_strings("benchmarks/names", {"sm"});
    file.write_matrix("benchmarks/values", RowMatrix::Zero(1, 2));
    edit(file);
    file.close();
    return path;
  };
  auto expect = [](const fs::path& path, const std::string& needle) {
    try {
      read_madminer_file(path);
      FAIL("expected FormatError mentioning " << needle);
    } catch (const FormatError& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
  };
  expect(write_with("bad_ranges.h5", [](h5::File&) {}, 0.0), "range = [-0, 0]");
  expect(write_with("float_names.h5", [&](h5::File& f) { f.write_matrix("benchmarks/is_nuisance", RowMatrix::Constant(1, 1, 0.5)); }),
         "benchmarks/is_nuisance");
  {
    // names stored as numbers
    const fs::path path = test::temp_path("numeric_names.h5");
    h5::File f = h5::File::create(path);
    f.write_matrix("parameters/names", RowMatrix::Zero(2, 1));
    f.close();
    expect(path, "parameters/names");
  }
  expect(write_with("short_ids.h5",
                    [&](h5::File& f) {
                      f.write_int_vector("benchmarks/is_reference", {1, 0, 0});
                     
                    }),
         "benchmarks/is_reference");
  expect(write_with("morphing_half.h5",
                    [&](h5::File& f) {
                      f.write_int_matrix("morphing/components", IntRowMatrix::Zero(1, 2));
                     
                    }),
         "morphing/morphing_matrix");
  expect(write_with("events_mismatch.h5",
                    [&](h5::File& f) {
                      f.write_matrix("samples/observations", RowMatrix::Zero(3, 0));
                      f.write_matrix("samples/weights", RowMatrix::Zero(4, 1));
                     
                    }),
         "samples/weights");
  const fs::path nan_file = write_with("nan_weight.h5",
                    [&](h5::File& f) {
                      f.write_matrix("samples/observations", RowMatrix::Zero(3, 0));
                      RowMatrix w = RowMatrix::Ones(3, 1);
                      w(2, 0) = std::numeric_limits<double>::quiet_NaN();
                      f.write_matrix("samples/weights", w);
                     
                    });
  try {
    read_madminer_file(nan_file);
    FAIL("expected DataError");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("samples/weights[2, 0]") != std::string::npos);
    CHECK(std::string(e.what()).find("nan_weight.h5") != std::string::npos);
  }
  CHECK_THROWS_AS(read_madminer_file(write_with("nan_weight2.h5",
                                                [&](h5::File& f) {
                                                  f.write_matrix("samples/observations", RowMatrix::Zero(1, 0));
                                                  f.write_matrix("samples/weights", RowMatrix::Constant(1, 1, std::numeric_limits<double>::infinity()));
                                                 
                                                })),
                  Error);
  (void)original;
}

TEST_CASE("Truncated files give an error, never a crash") {
  const fs::path good = test::temp_path("good_for_truncation.h5");
  write_madminer_file(good, full_file());
  std::vector<fs::path> sources = {good};
  if (auto real = test::shared_file("madminer/madminer_example_with_data_1.h5")) sources.push_back(*real);
  if (auto real = test::shared_file("madminer/dihiggs_nsbi_setup_rmastand.h5")) sources.push_back(*real);
  for (const auto& source : sources) {
    const auto size = fs::file_size(source);
    for (std::uintmax_t length : {std::uintmax_t{0}, std::uintmax_t{7}, std::uintmax_t{512}, std::uintmax_t{2048},
                                  size / 4, size / 2, size * 3 / 4, size - 100, size - 1}) {
      CAPTURE(source.string());
      CAPTURE(length);
      const fs::path truncated = test::temp_path("truncated.h5");
      copy_truncated(source, truncated, length);
      CHECK_THROWS_AS(read_madminer_file(truncated), FormatError);
    }
  }
}

TEST_CASE("Flipped bytes give an error or a valid read, never a crash or a hang") {
  std::vector<fs::path> sources;
  const fs::path good = test::temp_path("good_for_flips.h5");
  write_madminer_file(good, full_file());
  sources.push_back(good);
  if (auto real = test::shared_file("madminer/dihiggs_nsbi_setup_umarsdq.h5")) sources.push_back(*real);
  std::mt19937_64 rng(2024);
  int errors = 0, reads = 0;
  for (const auto& source : sources) {
    const std::vector<char> original = read_bytes(source);
    // The first 4 kB hold the superblock, object headers and B-trees: flip every 7th byte there, then
    // random bytes in the rest (data, heaps).
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < std::min<std::size_t>(4096, original.size()); i += 7) offsets.push_back(i);
    std::uniform_int_distribution<std::size_t> anywhere(0, original.size() - 1);
    for (int k = 0; k < 300; ++k) offsets.push_back(anywhere(rng));
    for (std::size_t offset : offsets) {
      std::vector<char> bytes = original;
      bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5a);
      const fs::path corrupt = test::temp_path("flipped.h5");
      write_bytes(corrupt, bytes);
      try {
        const MadMinerFile file = read_madminer_file(corrupt);
        ++reads;  // a flip in unused space or in data values that stay valid
        CHECK_NOTHROW(file.setup.validate());
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  MESSAGE("flipped-byte reads: " << errors << " clear errors, " << reads << " valid reads");
  CHECK(errors > 0);
}

TEST_CASE("Writes are atomic: a failed write leaves the old file and no temporary behind") {
  const fs::path directory = test::temp_path("atomic");
  fs::create_directories(directory);
  const fs::path target = directory / "events.h5";
  const MadMinerFile original = full_file();
  write_madminer_file(target, original);
  const auto bytes_before = read_bytes(target);

  MadMinerFile broken = original;
  broken.events->weights(10, 3) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(write_madminer_file(target, broken), DataError);
  MadMinerFile too_long = original;
  too_long.setup.observables[0].name = std::string(300, 'x');
  CHECK_THROWS_AS(write_madminer_file(target, too_long), InvalidArgument);
  MadMinerFile non_ascii = original;
  non_ascii.setup.observables[0].name = "p\xc3\xa9";
  CHECK_THROWS_AS(write_madminer_file(target, non_ascii), InvalidArgument);

  CHECK(read_bytes(target) == bytes_before);
  CHECK(temporary_leftovers(directory).empty());
  CHECK(read_madminer_file(target) == original);

  CHECK_THROWS_AS(write_madminer_file(directory / "no_such_dir" / "x.h5", original), FileError);
}

TEST_CASE("Set-up only reads skip the events") {
  const fs::path path = test::temp_path("setup_only.h5");
  write_madminer_file(path, full_file());
  ReadOptions options;
  options.load_events = false;
  const MadMinerFile file = read_madminer_file(path, options);
  CHECK(!file.events.has_value());
  CHECK(file.sample_summary.has_value());
  CHECK(file.setup == full_file().setup);
}
