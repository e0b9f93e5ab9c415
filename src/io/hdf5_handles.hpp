#pragma once
// Private RAII layer over the HDF5 C API, used by the MadMiner reader and writer (and later the
// sample files). Every failure becomes an sbi::FormatError / FileError that names the file and
// the dataset; HDF5's own error printing is switched off.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sbi/types.hpp"

namespace sbi::h5 {

/// Owns one HDF5 identifier and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  ~Handle();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Gives up ownership without closing.
  hid_t release() {
    hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// What a dataset holds.
enum class Kind { Integer, Float, String, Other };

struct DatasetInfo {
  Kind kind = Kind::Other;
  std::vector<hsize_t> dims;  // empty for a scalar dataset
  hsize_t elements() const;
};

/// An open HDF5 file with typed, checked dataset access. Dataset paths are like "samples/weights".
class File {
 public:
  /// Opens for reading. FileNotFound if missing; FormatError if not a readable HDF5 file.
  static File open_read(const std::filesystem::path& path);
  /// Creates (truncating) for writing. FileError on failure.
  static File create(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  /// True when the dataset (and every group on its path) exists.
  bool has(const std::string& name) const;
  DatasetInfo info(const std::string& name) const;

  /// Reads a numeric dataset of rank ≤ 2 as a rows × cols matrix (a rank-1 dataset is n × 1,
  /// a scalar 1 × 1). Integer data is converted to double exactly (|v| < 2^53).
  RowMatrix read_matrix(const std::string& name) const;
  /// Reads an integer dataset of rank ≤ 2; float data is accepted only when every value is integral.
  IntRowMatrix read_int_matrix(const std::string& name) const;
  /// Reads a rank-1 dataset of fixed- or variable-length strings; trailing NULs are stripped.
  std::vector<std::string> read_strings(const std::string& name) const;

  void write_matrix(const std::string& name, const RowMatrix& data);
  void write_vector(const std::string& name, const Vector& data);
  void write_int_matrix(const std::string& name, const IntRowMatrix& data);
  void write_int_vector(const std::string& name, const std::vector<std::int64_t>& data);
  void write_int_scalar(const std::string& name, std::int64_t value);
  void write_double_scalar(const std::string& name, double value);
  /// Fixed-length, NUL-padded ASCII strings of `width` bytes (NumPy "S256"), MadMiner's encoding.
  void write_strings(const std::string& name, const std::vector<std::string>& strings, std::size_t width = 256);
  /// A rank-2 (rows × cols) array of fixed-length strings.
  void write_string_matrix(const std::string& name, const std::vector<std::vector<std::string>>& strings,
                           std::size_t width = 256);
  /// Flushes and closes; errors surface here rather than in a destructor.
  void close();

 private:
  File(Handle handle, std::filesystem::path path) : handle_(std::move(handle)), path_(std::move(path)) {}
  Handle open_dataset(const std::string& name) const;
  void write_raw(const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<hsize_t>& dims,
                 const void* data);
  [[noreturn]] void fail(const std::string& name, const std::string& what) const;

  Handle handle_;
  std::filesystem::path path_;
};

/// The innermost message of HDF5's current error stack ("" if none), for error messages.
std::string last_hdf5_error();

}  // namespace sbi::h5
