// NumPy's .npy format (numpy/lib/format.py, NEP 1): magic "\x93NUMPY", major and minor version,
// a little-endian header length (uint16 for 1.0, uint32 for 2.0/3.0), an ASCII Python-dict header
// {'descr': ..., 'fortran_order': ..., 'shape': (...)} padded with spaces to a multiple of 64
// bytes and ending in '\n', then the raw data.
#include "sbi/npy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <fstream>

#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"

namespace sbi {

namespace {

[[noreturn]] void bad(const std::filesystem::path& path, const std::string& what) {
  throw FormatError(fmt::format("'{}' is not a readable .npy file: {}", path.string(), what));
}

// Value of key `key` in the header dict, as the raw text up to the next top-level comma or brace.
std::string header_value(const std::string& header, const std::string& key, const std::filesystem::path& path) {
  const std::string quoted1 = "'" + key + "'", quoted2 = "\"" + key + "\"";
  std::size_t at = header.find(quoted1);
  std::size_t length = quoted1.size();
  if (at == std::string::npos) {
    at = header.find(quoted2);
    length = quoted2.size();
  }
  if (at == std::string::npos) bad(path, fmt::format("header has no '{}'", key));
  std::size_t colon = header.find(':', at + length);
  if (colon == std::string::npos) bad(path, fmt::format("header entry '{}' has no value", key));
  std::size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos) bad(path, fmt::format("header entry '{}' has no value", key));
  std::size_t end = begin;
  if (header[begin] == '(') {
    end = header.find(')', begin);
    if (end == std::string::npos) bad(path, "unterminated shape tuple");
    return header.substr(begin, end - begin + 1);
  }
  if (header[begin] == '\'' || header[begin] == '"') {
    end = header.find(header[begin], begin + 1);
    if (end == std::string::npos) bad(path, fmt::format("unterminated string for '{}'", key));
    return header.substr(begin + 1, end - begin - 1);
  }
  end = header.find_first_of(",}", begin);
  return header.substr(begin, end - begin);
}

template <typename T>
T load(const char* p, bool swap) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  if (swap && sizeof(T) > 1) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
    std::memcpy(&value, bytes, sizeof(T));
  }
  return value;
}

}  // namespace

RowMatrix NpyArray::matrix() const {
  if (shape.size() > 2)
    throw InvalidArgument(fmt::format("array of shape ({}) has rank {}; a matrix needs rank ≤ 2", fmt::join(shape, ", "),
                                      shape.size()));
  const Index rows = shape.empty() ? 1 : shape[0];
  const Index cols = shape.size() < 2 ? 1 : shape[1];
  return Eigen::Map<const RowMatrix>(values.data(), rows, cols);
}

NpyArray read_npy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) throw FileNotFound(fmt::format("'{}' does not exist", path.string()));
    throw FileError(fmt::format("cannot open '{}'", path.string()));
  }
  char preamble[8];
  if (!in.read(preamble, 8) || std::memcmp(preamble, "\x93NUMPY", 6) != 0) bad(path, "no \\x93NUMPY magic string");
  const int major = static_cast<unsigned char>(preamble[6]);
  std::uint32_t header_length = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) bad(path, "truncated header");
    header_length = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) bad(path, "truncated header");
    header_length = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    bad(path, fmt::format("format version {} is not supported", major));
  }
  if (header_length > (1u << 24)) bad(path, fmt::format("header length {} is not plausible", header_length));
  std::string header(header_length, '\0');
  if (!in.read(header.data(), header_length)) bad(path, "truncated header");

  const std::string descr = header_value(header, "descr", path);
  const std::string fortran = header_value(header, "fortran_order", path);
  const std::string shape_text = header_value(header, "shape", path);
  if (descr.size() < 3) bad(path, fmt::format("dtype '{}' is not a simple numeric type", descr));
  const char order = descr[0];
  const char kind = descr[1];
  int width = 0;
  std::from_chars(descr.data() + 2, descr.data() + descr.size(), width);
  const bool swap = (order == '>' && std::endian::native == std::endian::little) ||
                    (order == '<' && std::endian::native == std::endian::big);
  const bool supported = (kind == 'f' && (width == 4 || width == 8)) ||
                         ((kind == 'i' || kind == 'u') && (width == 1 || width == 2 || width == 4 || width == 8)) ||
                         (kind == 'b' && width == 1);
  if (!supported || (order != '<' && order != '>' && order != '|' && order != '='))
    bad(path, fmt::format("dtype '{}' is not supported (numeric: float32/64, (u)int8–64, bool)", descr));

  NpyArray array;
  for (std::size_t i = 1; i < shape_text.size();) {
    const std::size_t next = shape_text.find_first_of(",)", i);
    std::string token = shape_text.substr(i, next - i);
    token.erase(0, token.find_first_not_of(' '));
    if (!token.empty()) {
      std::int64_t n = -1;
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
      while (ptr != token.data() + token.size() && (*ptr == ' ' || *ptr == 'L')) ++ptr;
      if (ec != std::errc() || ptr != token.data() + token.size() || n < 0)
        bad(path, fmt::format("shape {} is not a tuple of sizes", shape_text));
      array.shape.push_back(n);
    }
    if (next == std::string::npos) break;
    i = next + 1;
  }
  std::uint64_t count = 1;
  for (auto n : array.shape) {
    count *= static_cast<std::uint64_t>(n);
    if (count > (std::uint64_t{1} << 36)) bad(path, fmt::format("shape {} is too large", shape_text));
  }
  std::vector<char> raw(count * static_cast<std::uint64_t>(width));
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    bad(path, fmt::format("truncated data: shape {} of {} needs {} bytes, the file has {}", shape_text, descr, raw.size(),
                          in.gcount()));

  array.values.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const char* p = raw.data() + i * static_cast<std::uint64_t>(width);
    double v = 0;
    if (kind == 'f') v = width == 8 ? load<double>(p, swap) : static_cast<double>(load<float>(p, swap));
    else if (kind == 'b') v = *p != 0 ? 1.0 : 0.0;
    else if (kind == 'i') {
      switch (width) {
        case 1: v = static_cast<double>(load<std::int8_t>(p, swap)); break;
        case 2: v = static_cast<double>(load<std::int16_t>(p, swap)); break;
        case 4: v = static_cast<double>(load<std::int32_t>(p, swap)); break;
        default: v = static_cast<double>(load<std::int64_t>(p, swap)); break;
      }
    } else {
      switch (width) {
        case 1: v = static_cast<double>(load<std::uint8_t>(p, swap)); break;
        case 2: v = static_cast<double>(load<std::uint16_t>(p, swap)); break;
        case 4: v = static_cast<double>(load<std::uint32_t>(p, swap)); break;
        default: v = static_cast<double>(load<std::uint64_t>(p, swap)); break;
      }
    }
    array.values[i] = v;
  }

  const bool fortran_order = fortran.find("True") != std::string::npos;
  if (fortran_order && array.shape.size() > 1) {
    // Column-major on disk: transpose into row-major (C) order.
    std::vector<double> c_order(count);
    const auto rank = array.shape.size();
    std::vector<std::int64_t> index(rank, 0);
    for (std::uint64_t f = 0; f < count; ++f) {
      // f enumerates column-major: index[0] fastest.
      std::uint64_t c = 0;
      for (std::size_t d = 0; d < rank; ++d) c = c * static_cast<std::uint64_t>(array.shape[d]) + static_cast<std::uint64_t>(index[d]);
      c_order[c] = array.values[f];
      for (std::size_t d = 0; d < rank; ++d) {
        if (++index[d] < array.shape[d]) break;
        index[d] = 0;
      }
    }
    array.values = std::move(c_order);
  }
  return array;
}

namespace {

void write_npy_raw(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const char* descr,
                   const void* data, std::size_t element_size) {
  std::uint64_t count = 1;
  for (auto n : shape) {
    if (n < 0) throw InvalidArgument(fmt::format("write_npy('{}'): shape entry {} is negative", path.string(), n));
    count *= static_cast<std::uint64_t>(n);
  }
  std::string shape_text = "(";
  for (auto n : shape) shape_text += fmt::format("{}, ", n);
  // NumPy writes "(a, b)" for rank 2 and "(a,)" for rank 1.
  if (shape.size() > 1) shape_text.erase(shape_text.size() - 2);
  if (shape.size() == 1) shape_text.erase(shape_text.size() - 1);
  shape_text += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_text);
  // Pad so that the data starts at a multiple of 64 bytes (10-byte preamble for version 1.0).
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(static_cast<const char*>(data), count * element_size);
  write_text_file_atomically(path, bytes);
}

}  // namespace

void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const double* values) {
  static_assert(std::endian::native == std::endian::little, "sbi writes little-endian .npy files");
  write_npy_raw(path, shape, "<f8", values, sizeof(double));
}

void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const std::int64_t* values) {
  write_npy_raw(path, shape, "<i8", values, sizeof(std::int64_t));
}

void write_npy(const std::filesystem::path& path, const RowMatrix& matrix) {
  write_npy(path, {matrix.rows(), matrix.cols()}, matrix.data());
}

void write_npy(const std::filesystem::path& path, const Vector& vector) { write_npy(path, {vector.size()}, vector.data()); }

}  // namespace sbi
