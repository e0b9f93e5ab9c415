#include "hdf5_handles.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <mutex>

#include "sbi/error.hpp"

namespace sbi::h5 {

namespace {

// HDF5 prints its error stack to stderr by default; sbi reports errors itself.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// Largest dataset sbi agrees to allocate for (2^36 elements = 512 GiB of doubles): a corrupt
// header claiming more gives a clear error instead of an allocation failure.
constexpr hsize_t max_elements = hsize_t{1} << 36;

herr_t collect_innermost(unsigned n, const H5E_error2_t* error, void* data) {
  if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
  return 0;
}

}  // namespace

std::string last_hdf5_error() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Handle discard(id_);
    id_ = other.id_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
}

hsize_t DatasetInfo::elements() const {
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

File File::open_read(const std::filesystem::path& path) {
  silence_hdf5();
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw FileNotFound(fmt::format("'{}' does not exist", path.string()));
  if (std::filesystem::is_directory(path, error))
    throw FileError(fmt::format("'{}' is a directory, not an HDF5 file", path.string()));
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0)
    throw FormatError(fmt::format("'{}' is not an HDF5 file (no HDF5 signature found); expected a MadMiner/sbi HDF5 file",
                                  path.string()));
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0)
    throw FormatError(fmt::format("'{}' cannot be opened as HDF5 (truncated or corrupt?): {}", path.string(),
                                  last_hdf5_error()));
  return File(Handle(id), path);
}

File File::create(const std::filesystem::path& path) {
  silence_hdf5();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) throw FileError(fmt::format("cannot create HDF5 file '{}': {}", path.string(), last_hdf5_error()));
  return File(Handle(id), path);
}

void File::close() {
  if (!handle_.valid()) return;
  // Close explicitly so that a failure to flush is reported, not swallowed by a destructor.
  if (H5Fclose(handle_.release()) < 0)
    throw FileError(fmt::format("cannot finish writing '{}': {}", path_.string(), last_hdf5_error()));
}

void File::fail(const std::string& name, const std::string& what) const {
  throw FormatError(fmt::format("'{}', dataset {}: {}", path_.string(), name, what));
}

bool File::has(const std::string& name) const {
  // H5Lexists fails (rather than returning false) when an intermediate group is missing, so check
  // each prefix of the path in turn.
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = name.find('/', start);
    const std::string prefix = name.substr(0, slash);
    const htri_t exists = H5Lexists(handle_.get(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  Handle object(H5Oopen(handle_.get(), name.c_str(), H5P_DEFAULT));
  if (!object.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return H5Iget_type(object.get()) == H5I_DATASET;
}

Handle File::open_dataset(const std::string& name) const {
  if (!has(name)) fail(name, "is missing");
  hid_t id = H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT);
  if (id < 0) fail(name, fmt::format("cannot be opened (corrupt file?): {}", last_hdf5_error()));
  return Handle(id);
}

DatasetInfo File::info(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.get()));
  Handle space(H5Dget_space(dataset.get()));
  if (!type.valid() || !space.valid()) fail(name, fmt::format("unreadable type or shape: {}", last_hdf5_error()));
  DatasetInfo result;
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: result.kind = Kind::Integer; break;
    case H5T_FLOAT: result.kind = Kind::Float; break;
    case H5T_STRING: result.kind = Kind::String; break;
    default: result.kind = Kind::Other; break;
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(name, fmt::format("unreadable shape: {}", last_hdf5_error()));
  result.dims.resize(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), result.dims.data(), nullptr) < 0)
    fail(name, fmt::format("unreadable shape: {}", last_hdf5_error()));
  if (result.elements() > max_elements) fail(name, fmt::format("claims {} elements (corrupt header?)", result.elements()));
  return result;
}

namespace {
// rows × cols of a rank ≤ 2 dataset.
std::pair<Index, Index> matrix_shape(const DatasetInfo& info) {
  if (info.dims.empty()) return {1, 1};
  if (info.dims.size() == 1) return {static_cast<Index>(info.dims[0]), 1};
  return {static_cast<Index>(info.dims[0]), static_cast<Index>(info.dims[1])};
}
}  // namespace

RowMatrix File::read_matrix(const std::string& name) const {
  const DatasetInfo information = info(name);
  if (information.kind != Kind::Integer && information.kind != Kind::Float)
    fail(name, "holds non-numeric data; expected numbers");
  if (information.dims.size() > 2) fail(name, fmt::format("has rank {}; expected at most 2", information.dims.size()));
  const auto [rows, cols] = matrix_shape(information);
  RowMatrix data;
  try {
    data.resize(rows, cols);
  } catch (const std::bad_alloc&) {
    fail(name, fmt::format("shape ({}, {}) does not fit in memory", rows, cols));
  }
  if (data.size() == 0) return data;
  Handle dataset = open_dataset(name);
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    fail(name, fmt::format("cannot be read (truncated or corrupt file?): {}", last_hdf5_error()));
  return data;
}

IntRowMatrix File::read_int_matrix(const std::string& name) const {
  const DatasetInfo information = info(name);
  if (information.kind == Kind::Float) {
    const RowMatrix values = read_matrix(name);
    for (Index i = 0; i < values.size(); ++i)
      if (!std::isfinite(values.data()[i]) || values.data()[i] != std::floor(values.data()[i]))
        fail(name, fmt::format("element {} = {} is not an integer", i, values.data()[i]));
    return values.cast<std::int64_t>();
  }
  if (information.kind != Kind::Integer) fail(name, "holds non-numeric data; expected integers");
  if (information.dims.size() > 2) fail(name, fmt::format("has rank {}; expected at most 2", information.dims.size()));
  const auto [rows, cols] = matrix_shape(information);
  IntRowMatrix data(rows, cols);
  if (data.size() == 0) return data;
  Handle dataset = open_dataset(name);
  if (H5Dread(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    fail(name, fmt::format("cannot be read (truncated or corrupt file?): {}", last_hdf5_error()));
  return data;
}

std::vector<std::string> File::read_strings(const std::string& name) const {
  const DatasetInfo information = info(name);
  if (information.kind != Kind::String) fail(name, "does not hold strings");
  const hsize_t n = information.elements();
  std::vector<std::string> result;
  if (n == 0) return result;
  Handle dataset = open_dataset(name);
  Handle file_type(H5Dget_type(dataset.get()));
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) fail(name, fmt::format("unreadable string type: {}", last_hdf5_error()));
  result.reserve(n);
  if (variable > 0) {
    Handle memory_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    H5Tset_cset(memory_type.get(), H5Tget_cset(file_type.get()));
    std::vector<char*> pointers(n, nullptr);
    if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0)
      fail(name, fmt::format("cannot be read (truncated or corrupt file?): {}", last_hdf5_error()));
    for (char* p : pointers) result.emplace_back(p ? p : "");
    Handle space(H5Dget_space(dataset.get()));
    H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, pointers.data());
  } else {
    const std::size_t width = H5Tget_size(file_type.get());
    if (width == 0 || width > (1u << 20)) fail(name, fmt::format("string width {} is not plausible", width));
    // Read with the file's own string type: no padding or character-set conversion.
    Handle memory_type(H5Tcopy(file_type.get()));
    std::vector<char> buffer(n * width);
    if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0)
      fail(name, fmt::format("cannot be read (truncated or corrupt file?): {}", last_hdf5_error()));
    for (hsize_t i = 0; i < n; ++i) {
      const char* begin = buffer.data() + i * width;
      result.emplace_back(begin, strnlen(begin, width));
    }
  }
  return result;
}

void File::write_raw(const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<hsize_t>& dims,
                     const void* data) {
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(link_properties.get(), 1);
  Handle dataset(H5Dcreate2(handle_.get(), name.c_str(), file_type, space.get(), link_properties.get(), H5P_DEFAULT,
                            H5P_DEFAULT));
  if (!dataset.valid())
    throw FileError(fmt::format("cannot create dataset {} in '{}': {}", name, path_.string(), last_hdf5_error()));
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  if (n == 0) return;
  if (H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw FileError(fmt::format("cannot write dataset {} in '{}': {}", name, path_.string(), last_hdf5_error()));
}

void File::write_matrix(const std::string& name, const RowMatrix& data) {
  write_raw(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
            {static_cast<hsize_t>(data.rows()), static_cast<hsize_t>(data.cols())}, data.data());
}

void File::write_vector(const std::string& name, const Vector& data) {
  write_raw(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {static_cast<hsize_t>(data.size())}, data.data());
}

void File::write_int_matrix(const std::string& name, const IntRowMatrix& data) {
  write_raw(name, H5T_STD_I64LE, H5T_NATIVE_INT64,
            {static_cast<hsize_t>(data.rows()), static_cast<hsize_t>(data.cols())}, data.data());
}

void File::write_int_vector(const std::string& name, const std::vector<std::int64_t>& data) {
  write_raw(name, H5T_STD_I64LE, H5T_NATIVE_INT64, {static_cast<hsize_t>(data.size())}, data.data());
}

void File::write_int_scalar(const std::string& name, std::int64_t value) {
  write_raw(name, H5T_STD_I64LE, H5T_NATIVE_INT64, {}, &value);
}

void File::write_double_scalar(const std::string& name, double value) {
  write_raw(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
}

namespace {
std::vector<char> pack_strings(const std::string& name, const std::vector<const std::string*>& strings,
                               std::size_t width) {
  std::vector<char> buffer(strings.size() * width, '\0');
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = *strings[i];
    if (s.size() > width)
      throw InvalidArgument(fmt::format("{}[{}] = '{}' is {} bytes long; MadMiner's string datasets hold at most {}",
                                        name, i, s, s.size(), width));
    for (unsigned char c : s)
      if (c == 0 || c > 127)
        throw InvalidArgument(fmt::format("{}[{}] = '{}' contains a non-ASCII or NUL byte; MadMiner's files hold ASCII",
                                          name, i, s));
    std::memcpy(buffer.data() + i * width, s.data(), s.size());
  }
  return buffer;
}
}  // namespace

void File::write_strings(const std::string& name, const std::vector<std::string>& strings, std::size_t width) {
  std::vector<const std::string*> pointers;
  for (const auto& s : strings) pointers.push_back(&s);
  const std::vector<char> buffer = pack_strings(name, pointers, width);
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_ASCII);
  write_raw(name, type.get(), type.get(), {static_cast<hsize_t>(strings.size())}, buffer.data());
}

void File::write_string_matrix(const std::string& name, const std::vector<std::vector<std::string>>& strings,
                               std::size_t width) {
  const std::size_t cols = strings.empty() ? 0 : strings.front().size();
  std::vector<const std::string*> pointers;
  for (const auto& row : strings) {
    if (row.size() != cols) throw InvalidArgument(fmt::format("{}: rows of different lengths ({} and {})", name, cols, row.size()));
    for (const auto& s : row) pointers.push_back(&s);
  }
  const std::vector<char> buffer = pack_strings(name, pointers, width);
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_ASCII);
  write_raw(name, type.get(), type.get(), {static_cast<hsize_t>(strings.size()), static_cast<hsize_t>(cols)},
            buffer.data());
}

}  // namespace sbi::h5
