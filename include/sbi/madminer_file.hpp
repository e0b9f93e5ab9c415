#pragma once
/// @file madminer_file.hpp
/// Reading and writing HDF5 files in MadMiner's layout (v0.9, DESIGN.md §7), so that sbi and
/// MadMiner read each other's files. Also reads the older layout (parameters/ranges,
/// max_power of shape (n_p, 1), no sample_summary).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sbi/events.hpp"
#include "sbi/setup.hpp"

namespace sbi {

/// Datasets only sbi reads, kept beside MadMiner's (its reader opens the datasets it knows by name
/// and ignores the rest): float64 arrays and S256 string lists by full dataset name, e.g. the WH
/// simulator's truth inputs under `sbi_wh/` (docs/file-formats.md). Names must start with "sbi" so
/// that they cannot clash with MadMiner's groups. A matrix with one column is written as a list
/// (shape (n,)) and reads back as one column.
struct ExtraDatasets {
  std::map<std::string, RowMatrix> matrices;
  std::map<std::string, std::vector<std::string>> strings;

  bool empty() const { return matrices.empty() && strings.empty(); }
  bool operator==(const ExtraDatasets& o) const;
};

/// The content of a MadMiner file.
struct MadMinerFile {
  Setup setup;
  /// Present when the file has samples/observations and samples/weights.
  std::optional<Events> events;
  /// Present when the file has sample_summary (current layout).
  std::optional<SampleSummary> sample_summary;
  /// sbi-only datasets: written as given; read only those named in ReadOptions::extra_datasets.
  ExtraDatasets extra;

  bool operator==(const MadMinerFile&) const = default;
};

/// Options for read_madminer_file.
struct ReadOptions {
  /// Load the events (samples/*). When false, only the set-up and the summary are read and
  /// `events` stays empty; use it for large files when only the set-up is needed.
  bool load_events = true;
  /// Validate what was read (Setup::validate, Events::validate): NaN/Inf weights or
  /// observables, shape mismatches. Turn off only to inspect a broken file.
  bool validate = true;
  /// sbi-only datasets to read when present (numbers into MadMinerFile::extra.matrices, strings
  /// into extra.strings); absent ones are left out. Default: none.
  std::vector<std::string> extra_datasets;
};

/// Reads a MadMiner HDF5 file. Throws FileNotFound when the path does not exist, FormatError
/// (naming the file and dataset) when it is not an HDF5 file, is truncated or corrupt, lacks a
/// mandatory dataset or has one of the wrong type or shape, and DataError for invalid values.
MadMinerFile read_madminer_file(const std::filesystem::path& path, const ReadOptions& options = {});

/// Writes a MadMiner HDF5 file atomically: the content goes to a temporary file beside `path`,
/// which is renamed onto `path` only when complete. Validates first; writes plain datasets with
/// MadMiner's names, dtypes (float64, int64, S256 strings) and orientation, "None" for absent
/// strings. Throws InvalidArgument for invalid content and FileError when writing fails.
void write_madminer_file(const std::filesystem::path& path, const MadMinerFile& file);

}  // namespace sbi
