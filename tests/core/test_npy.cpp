// .npy files: NumPy-written reference data, round trips, NumPy reading sbi's files, broken files.
#include <cstdlib>
#include <fstream>

#include "sbi/error.hpp"
#include "sbi/npy.hpp"
#include "test_support.hpp"

using namespace sbi;

TEST_CASE("NumPy-written arrays (the Galton board data) read with the right shape and values") {
  const auto x_path = test::shared_file("toy/galton/x.npy");
  if (!x_path) return;
  const NpyArray x = read_npy(*x_path);
  REQUIRE(x.shape == std::vector<std::int64_t>{21, 10000});
  for (double v : x.values) {
    REQUIRE(v >= 0);
    REQUIRE(v <= 31);
    REQUIRE(v == std::floor(v));
  }
  const auto nails = read_npy(*test::shared_file("toy/galton/nail_positions.npy"));
  REQUIRE(nails.shape == std::vector<std::int64_t>{21, 20, 31});
  // P(left) at level l, position n for θ_i = linspace(-1, 0, 21)[i] (data README §5), an interior nail.
  const int i = 4, level = 6, pos = 20;
  const double theta = -1.0 + 0.05 * i, l = level / 19.0, n = 2.0 * pos / 30.0 - 1.0;
  const double expected = (1 - std::sin(M_PI * l)) / 2 + std::sin(M_PI * l) / (1 + std::exp(-10 * theta * n));
  CHECK(nails.values[static_cast<std::size_t>((i * 20 + level) * 31 + pos)] == doctest::Approx(expected).epsilon(1e-14));
  CHECK_THROWS_AS((void)nails.matrix(), InvalidArgument);
  const RowMatrix p0 = read_npy(*test::shared_file("toy/galton/p0_x.npy")).matrix();
  CHECK(p0.rows() == 32);
  CHECK(p0.sum() == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("Round trips and NumPy reading sbi's files") {
  RowMatrix m(3, 2);
  m << 1.5, -0.0, 1e-310, 2.0, 3.0, 5.5;
  const auto matrix_path = test::temp_path("m.npy");
  write_npy(matrix_path, m);
  const NpyArray back = read_npy(matrix_path);
  CHECK(back.shape == std::vector<std::int64_t>{3, 2});
  CHECK(back.matrix() == m);
  CHECK(std::signbit(back.values[1]));

  Vector v(4);
  v << 1, 2, 3, 4;
  const auto vector_path = test::temp_path("v.npy");
  write_npy(vector_path, v);
  CHECK(read_npy(vector_path).shape == std::vector<std::int64_t>{4});

  std::vector<std::int64_t> ints = {-3, 9007199254740993LL, 7};
  const auto int_path = test::temp_path("i.npy");
  write_npy(int_path, {3}, ints.data());
  CHECK(read_npy(int_path).values[0] == -3.0);

  // NumPy itself reads them (Debian's python3-numpy is a declared dependency).
  const std::string command = "/usr/bin/python3 -c \"import numpy as np, sys; "
                              "m = np.load(sys.argv[1]); v = np.load(sys.argv[2]); i = np.load(sys.argv[3]); "
                              "assert m.dtype == np.float64 and m.shape == (3, 2) and m[2, 1] == 5.5 and np.signbit(m[0, 1]); "
                              "assert v.shape == (4,) and v[3] == 4; "
                              "assert i.dtype == np.int64 and i[1] == 9007199254740993\" " +
                              matrix_path.string() + " " + vector_path.string() + " " + int_path.string();
  CHECK(std::system(command.c_str()) == 0);
}

TEST_CASE("Broken .npy files give FormatError naming the file") {
  CHECK_THROWS_AS(read_npy(test::temp_path("missing.npy")), FileNotFound);
  const auto text = test::temp_path("text.npy");
  std::ofstream(text) << "not numpy";
  CHECK_THROWS_AS(read_npy(text), FormatError);

  RowMatrix m = RowMatrix::Ones(100, 3);
  const auto good = test::temp_path("good.npy");
  write_npy(good, m);
  const auto size = std::filesystem::file_size(good);
  const auto truncated = test::temp_path("truncated.npy");
  std::filesystem::copy_file(good, truncated);
  std::filesystem::resize_file(truncated, size - 8);
  try {
    read_npy(truncated);
    FAIL("expected FormatError");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find("truncated.npy") != std::string::npos);
    CHECK(std::string(e.what()).find("2400 bytes") != std::string::npos);
  }
  for (std::uintmax_t cut : {std::uintmax_t{3}, std::uintmax_t{9}, std::uintmax_t{40}}) {
    std::filesystem::resize_file(truncated, cut);
    CHECK_THROWS_AS(read_npy(truncated), FormatError);
  }
}
