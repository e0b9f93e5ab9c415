#pragma once
/// @file common.hpp
/// Shared pieces of the pysbi bindings: the per-module registration functions called from
/// module.cpp, and the conversions between NumPy arrays and sbi's Eigen types.
///
/// Array conventions (DESIGN.md §3): event-indexed arrays are row-major float64 (RowMatrix) or
/// int64 (IntVector). Inputs are accepted from anything NumPy can turn into a numeric array of the
/// right number of dimensions; a C-contiguous float64 input is read in place (no intermediate
/// copy) and copied once into the C++ object that owns the data. Outputs of large arrays
/// (Events.observations, Events.weights, ...) are NumPy views of the C++ memory, no copy.

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "sbi/error.hpp"
#include "sbi/events.hpp"
#include "sbi/setup.hpp"
#include "sbi/types.hpp"

namespace sbi::python {

namespace py = pybind11;

// One registration function per bound module (Acts' layout); module.cpp calls them in order.
void add_errors(py::module_& m);
void add_setup(py::module_& m);
void add_events(py::module_& m);
void add_io(py::module_& m);

/// Converts an array-like of shape (rows, cols) to a float64 matrix. `field` names the argument in
/// error messages. Throws sbi::InvalidArgument (→ pysbi.InvalidArgument, a ValueError) for a
/// non-numeric dtype, a wrong number of dimensions, or a column count other than
/// `expected_cols` (when ≥ 0).
RowMatrix to_row_matrix(py::handle object, const std::string& field, Index expected_cols = -1);
/// Converts a 1-D array-like of numbers to a float64 vector.
Vector to_vector(py::handle object, const std::string& field);
/// Converts a 1-D array-like of integers to an int64 vector; floating-point input is rejected.
IntVector to_int_vector(py::handle object, const std::string& field);
/// Converts a 2-D array-like of integers to an int64 matrix; floating-point input is rejected.
IntRowMatrix to_int_row_matrix(py::handle object, const std::string& field, Index expected_cols = -1);

/// Assigns an array-like to a member matrix with one copy. When the shape is unchanged the data are
/// copied into the existing buffer, so NumPy views of the member handed out earlier stay valid and
/// show the new values; assigning a view of the member to itself is a no-op.
void set_matrix(RowMatrix& target, py::handle object, const std::string& field, Index expected_cols = -1);
void set_vector(Vector& target, py::handle object, const std::string& field);
void set_int_vector(IntVector& target, py::handle object, const std::string& field);

/// Converts a Python iterable of bound C++ objects (e.g. a list of Benchmark) to a std::vector,
/// naming `field` and the offending position when an item has the wrong type.
template <typename T>
std::vector<T> to_object_list(py::handle iterable, const std::string& field, const char* type_name) {
  if (!py::isinstance<py::iterable>(iterable) || py::isinstance<py::str>(iterable))
    throw InvalidArgument(fmt::format("{} = {}: must be a list of {}", field, py::repr(iterable).cast<std::string>(), type_name));
  std::vector<T> out;
  std::size_t position = 0;
  for (py::handle item : iterable) {
    if (!py::isinstance<T>(item))
      throw InvalidArgument(fmt::format("{}[{}] = {}: must be a {}", field, position,
                                        py::repr(item).cast<std::string>(), type_name));
    out.push_back(item.cast<T>());
    ++position;
  }
  return out;
}

/// Equality that first compares the shapes of every Eigen member: the defaulted C++ operator== of
/// the sbi structs compares Eigen matrices element-wise and must not see different shapes.
bool safe_equal(const Benchmark& a, const Benchmark& b);
bool safe_equal(const StoredMorphing& a, const StoredMorphing& b);
bool safe_equal(const Setup& a, const Setup& b);
bool safe_equal(const Events& a, const Events& b);

/// Adds __copy__ and __deepcopy__ (both deep: the C++ objects own their data).
template <typename Class>
void add_copy(Class& cls) {
  using T = typename Class::type;
  cls.def("__copy__", [](const T& self) { return T(self); });
  cls.def("__deepcopy__", [](const T& self, py::dict) { return T(self); }, py::arg("memo"));
}

/// "name='x'" style helpers for __repr__.
std::string quoted(const std::string& s);
std::string shape_string(Index rows, Index cols);
/// Python's repr of a float ("-10.0", "1e-300").
std::string float_repr(double x);
std::string join_quoted(const std::vector<std::string>& items, std::size_t max_items = 8);

}  // namespace sbi::python
