#pragma once
/// @file atomic_file.hpp
/// Atomic file output: write to a temporary file beside the target, rename onto the target when
/// complete. An interrupted or failed write never leaves a half-written file where a good one was
/// (DESIGN.md §3). Every file sbi writes goes through this.

#include <filesystem>
#include <string>

namespace sbi {

class AtomicOutput {
 public:
  /// Prepares a temporary path in the target's directory (so the rename stays on one file
  /// system). Throws FileError when the directory does not exist.
  explicit AtomicOutput(std::filesystem::path target);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicOutput();

  /// Where to write the content.
  const std::filesystem::path& temporary_path() const { return temporary_; }
  const std::filesystem::path& target_path() const { return target_; }
  /// Renames the temporary file onto the target. Throws FileError on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically (text outputs: JSON, reports).
void write_text_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace sbi
