#include "common.hpp"

#include <cstring>

namespace sbi::python {

namespace {

using FloatArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

std::string short_repr(py::handle object) {
  std::string s = py::repr(object).cast<std::string>();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// np.asarray(object), checked for the number of dimensions and the dtype's kind.
py::array checked_array(py::handle object, const std::string& field, py::ssize_t ndim, bool integer) {
  const char* expected = integer ? "integers (int64)" : "real numbers (float64)";
  if (object.is_none())
    throw InvalidArgument(fmt::format("{} = None: must be a {}-D array of {}", field, ndim, expected));
  py::array array = py::array::ensure(object);
  if (!array)
    throw InvalidArgument(fmt::format("{} = {}: cannot be converted to a {}-D array of {}", field, short_repr(object),
                                      ndim, expected));
  if (array.ndim() != ndim)
    throw InvalidArgument(fmt::format("{} has shape {} ({}-D); it must be a {}-D array of {}", field,
                                      py::str(array.attr("shape")).cast<std::string>(), array.ndim(), ndim, expected));
  // An empty list arrives as float64; accept it for integer fields too.
  if (array.size() > 0) {
    const char kind = array.dtype().kind();
    const bool is_int = kind == 'i' || kind == 'u';
    if (integer ? !is_int : !(is_int || kind == 'f'))
      throw InvalidArgument(fmt::format("{} has dtype {}; it must hold {}", field,
                                        py::str(array.dtype()).cast<std::string>(), expected));
  }
  return array;
}

void check_cols(const std::string& field, py::ssize_t cols, Index expected_cols, py::handle shape) {
  if (expected_cols >= 0 && cols != expected_cols)
    throw InvalidArgument(fmt::format("{} has shape {}; it must have {} columns", field,
                                      py::str(shape).cast<std::string>(), expected_cols));
}

}  // namespace

RowMatrix to_row_matrix(py::handle object, const std::string& field, Index expected_cols) {
  const auto array = FloatArray::ensure(checked_array(object, field, 2, false));
  check_cols(field, array.shape(1), expected_cols, array.attr("shape"));
  return Eigen::Map<const RowMatrix>(array.data(), array.shape(0), array.shape(1));
}

Vector to_vector(py::handle object, const std::string& field) {
  const auto array = FloatArray::ensure(checked_array(object, field, 1, false));
  return Eigen::Map<const Vector>(array.data(), array.shape(0));
}

IntVector to_int_vector(py::handle object, const std::string& field) {
  const auto array = IntArray::ensure(checked_array(object, field, 1, true));
  return Eigen::Map<const IntVector>(array.data(), array.shape(0));
}

IntRowMatrix to_int_row_matrix(py::handle object, const std::string& field, Index expected_cols) {
  const auto array = IntArray::ensure(checked_array(object, field, 2, true));
  check_cols(field, array.shape(1), expected_cols, array.attr("shape"));
  return Eigen::Map<const IntRowMatrix>(array.data(), array.shape(0), array.shape(1));
}

namespace {

// Shared body of the set_* functions: copy into the existing buffer when the size is unchanged.
template <typename Target, typename Array>
void assign_from(Target& target, const Array& array, Index rows, Index cols) {
  using Scalar = typename Target::Scalar;
  const Scalar* data = array.data();
  if (target.rows() == rows && target.cols() == cols) {
    if (data == target.data()) return;  // a view of the member assigned to itself
    std::memmove(target.data(), data, sizeof(Scalar) * static_cast<std::size_t>(rows * cols));
  } else {
    Target copy = Eigen::Map<const Target>(data, rows, cols);
    target = std::move(copy);
  }
}

}  // namespace

void set_matrix(RowMatrix& target, py::handle object, const std::string& field, Index expected_cols) {
  const auto array = FloatArray::ensure(checked_array(object, field, 2, false));
  check_cols(field, array.shape(1), expected_cols, array.attr("shape"));
  assign_from(target, array, array.shape(0), array.shape(1));
}

void set_vector(Vector& target, py::handle object, const std::string& field) {
  const auto array = FloatArray::ensure(checked_array(object, field, 1, false));
  assign_from(target, array, array.shape(0), 1);
}

void set_int_vector(IntVector& target, py::handle object, const std::string& field) {
  const auto array = IntArray::ensure(checked_array(object, field, 1, true));
  assign_from(target, array, array.shape(0), 1);
}

RowMatrixView row_matrix_view(py::handle object, const std::string& field, Index expected_cols) {
  auto array = FloatArray::ensure(checked_array(object, field, 2, false));
  check_cols(field, array.shape(1), expected_cols, array.attr("shape"));
  return RowMatrixView{std::move(array)};
}

void check_size(Index size, Index expected, const std::string& field, const std::string& what) {
  if (size != expected)
    throw InvalidArgument(fmt::format("{} has {} values; it must have {} ({})", field, size, expected, what));
}

std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<py::ssize_t> c_strides(const std::vector<py::ssize_t>& shape, py::ssize_t item_size) {
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = item_size;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<py::ssize_t>(shape[i], 1);
  }
  return strides;
}

int ndim_of(py::handle object) {
  if (object.is_none()) return -1;
  if (py::isinstance<py::array>(object)) return static_cast<int>(py::reinterpret_borrow<py::array>(object).ndim());
  try {
    py::array array = py::module_::import("numpy").attr("asarray")(object);
    return static_cast<int>(array.ndim());
  } catch (const py::error_already_set&) {
    return -1;
  }
}

std::string path_string(py::handle object, const std::string& field) {
  if (py::isinstance<py::str>(object)) return object.cast<std::string>();
  if (py::hasattr(object, "__fspath__")) {
    py::object p = object.attr("__fspath__")();
    if (py::isinstance<py::str>(p)) return p.cast<std::string>();
  }
  throw InvalidArgument(fmt::format("{} = {}: must be a path (str or os.PathLike)", field, short_repr(object)));
}

std::string quoted(const std::string& s) { return py::repr(py::str(s)).cast<std::string>(); }

std::string float_repr(double x) { return py::repr(py::float_(x)).cast<std::string>(); }

std::string shape_string(Index rows, Index cols) { return fmt::format("({}, {})", rows, cols); }

std::string join_quoted(const std::vector<std::string>& items, std::size_t max_items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? ", " : "") + quoted(items[i]);
  if (items.size() > max_items) out += fmt::format(", ... ({} in all)", items.size());
  return out + "]";
}

}  // namespace sbi::python
