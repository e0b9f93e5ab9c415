#pragma once
/// @file truth.hpp
/// The exact likelihood of the built-in simulators for every event or sample of a file — what
/// `sbi truth` writes, and what estimators and limits are checked against (DESIGN.md §4 "Ground
/// truth"):
///
/// * a parton-level WH events file (`sbi generate wh --parton-level`, read_wh_events): log p(x|θ),
///   log r(x|θ, θ1) and t(x|θ) from WHSimulator::truth, for the signal events (background rows
///   are NaN: the background models have no density in this parametrisation);
/// * a Galton samples file (`sbi generate galton`, the sampler's samples format with source
///   "galton"): log p(x|θ), log r(x|θ, θ1) = log p(x|θ) − log p(x|θ1) and t(x|θ) from
///   GaltonBoard::exact, for the board recorded in the file's settings (the paper's board when it
///   records none). Without an explicit θ each sample's own θ0 (and θ1 for ratio samples) is used.
///
/// The results file (HDF5, written atomically): `log_p` (N), `log_r` (N), `t` (N × n_p),
/// `theta0`, `theta1` (N × n_p: the θ and θ1 of every row), `process_ids` (N, int64; 0 = signal),
/// `parameter_names` (S256) and `metadata/{kind = "truth", source, input, sbi_version}`.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sbi/types.hpp"

namespace sbi {

/// The exact truth for every row of a file. Unreachable Galton outcomes have log p = −∞ and a NaN
/// score; WH background rows are NaN.
struct TruthTable {
  /// "wh" or "galton".
  std::string source;
  /// The file the rows come from.
  std::string input;
  std::vector<std::string> parameter_names;
  /// N × n_p: the θ of log p and t, and the θ1 of log r, per row.
  RowMatrix theta0, theta1;
  /// log p(x|θ0), log r(x|θ0, θ1), N each.
  Vector log_p, log_r;
  /// t(x|θ0) = ∇_θ log p(x|θ) at θ0, N × n_p.
  RowMatrix t;
  /// 0 for signal (Galton: every sample), ≥ 1 for a WH background process.
  IntVector process_ids;

  Index size() const { return log_p.size(); }
};

/// Which θ to evaluate at. Unset `theta`: WH needs it (InvalidArgument); Galton uses each sample's
/// theta0. Unset `theta1`: the SM (0, 0) for WH; for Galton each ratio sample's theta1, else 0.
struct TruthPoints {
  std::optional<Vector> theta;
  std::optional<Vector> theta1;
};

/// The truth for a parton-level WH events file or a Galton samples file (recognised by its
/// datasets). FileNotFound for a missing file; FormatError naming the file for one that is neither
/// (or a WH file without sbi's truth datasets); InvalidArgument naming the file and the value for
/// a detector-level WH file, a θ with the wrong number of entries (the file's parameters are
/// named) or a non-finite θ; DataError naming the file, sample and value for a Galton x that is
/// not an outcome of the board.
TruthTable truth_from_file(const std::filesystem::path& path, const TruthPoints& points = {});

/// Writes the table (atomically; see the file comment for the layout). InvalidArgument when its
/// arrays disagree in shape.
void write_truth(const std::filesystem::path& path, const TruthTable& table);
/// Reads a file written by write_truth; FormatError naming the file and dataset otherwise.
TruthTable read_truth(const std::filesystem::path& path);

}  // namespace sbi
