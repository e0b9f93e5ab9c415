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

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
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
void add_morphing(py::module_& m);
void add_lhe(py::module_& m);
void add_samples(py::module_& m);
void add_sampler(py::module_& m);
void add_simulators(py::module_& m);
void add_estimators(py::module_& m);
void add_limits(py::module_& m);

/// The one lock around HDF5 calls made with the GIL released (HDF5 built without
/// --enable-threadsafe must not be entered from two threads; a thread-safe build serialises anyway).
std::mutex& hdf5_mutex();

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

// ---- NumPy outputs without copies ----

/// C-order strides (bytes) of an array of this shape.
std::vector<py::ssize_t> c_strides(const std::vector<py::ssize_t>& shape, py::ssize_t item_size);

/// Moves an Eigen matrix or vector (or a std::vector) to the heap and returns a NumPy array of the
/// given shape over its memory, owned by a capsule: no copy. The shape's product must equal the
/// container's size; an empty shape means the container's own shape (rows, cols) / (size,).
template <typename Container>
py::array to_numpy(Container&& container, std::vector<py::ssize_t> shape = {}) {
  using C = std::decay_t<Container>;
  using Scalar = typename C::value_type;
  auto* heap = new C(std::forward<Container>(container));
  py::capsule owner(heap, [](void* p) { delete static_cast<C*>(p); });
  if (shape.empty()) {
    if constexpr (requires { heap->rows(); heap->cols(); C::IsVectorAtCompileTime; }) {
      if constexpr (C::IsVectorAtCompileTime)
        shape = {static_cast<py::ssize_t>(heap->size())};
      else
        shape = {static_cast<py::ssize_t>(heap->rows()), static_cast<py::ssize_t>(heap->cols())};
    } else {
      shape = {static_cast<py::ssize_t>(heap->size())};
    }
  }
  return py::array(py::dtype::of<Scalar>(), shape, c_strides(shape, sizeof(Scalar)), heap->data(), owner);
}

/// A NumPy view of memory owned by the Python object `base` (which keeps it alive).
template <typename Scalar>
py::array view_of(Scalar* data, std::vector<py::ssize_t> shape, py::handle base) {
  return py::array(py::dtype::of<Scalar>(), shape, c_strides(shape, sizeof(Scalar)), data, base);
}

/// Number of dimensions of an array-like (np.asarray(object).ndim); -1 when it is not one.
int ndim_of(py::handle object);

/// Converts a path-like (str, bytes-free os.PathLike) to a std::filesystem::path, with a clear
/// ValueError for anything else.
std::string path_string(py::handle object, const std::string& field);

// ---- options structs as keyword arguments ----

/// Binds a plain options struct the Acts/Ceres way: fields as read-write attributes (the C++
/// names), a keyword-only constructor whose defaults are the C++ in-class defaults, __repr__,
/// to_dict() and, when the struct has one, validate(). Usage:
///   OptionsBinder<Foo>(m, "Foo", doc).field("a", &Foo::a, "doc").finish();
template <typename T>
class OptionsBinder {
 public:
  OptionsBinder(py::handle scope, const char* name, const char* doc)
      : cls_(scope, name, doc), name_(name), fields_(std::make_shared<std::vector<std::string>>()) {}

  template <typename M>
  OptionsBinder& field(const char* name, M T::*member, const char* doc) {
    cls_.def_readwrite(name, member, doc);
    fields_->push_back(name);
    return *this;
  }
  template <typename Getter, typename Setter>
  OptionsBinder& property(const char* name, Getter&& getter, Setter&& setter, const char* doc) {
    cls_.def_property(name, std::forward<Getter>(getter), std::forward<Setter>(setter), doc);
    fields_->push_back(name);
    return *this;
  }
  py::class_<T>& cls() { return cls_; }

  py::class_<T>& finish() {
    auto fields = fields_;
    const std::string type_name = name_;
    cls_.def(py::init([fields, type_name](const py::kwargs& kwargs) {
               py::object self = py::cast(T{});
               for (const auto& [key, value] : kwargs) {
                 const auto name = py::cast<std::string>(key);
                 if (std::find(fields->begin(), fields->end(), name) == fields->end()) {
                   std::string valid;
                   for (const auto& f : *fields) valid += (valid.empty() ? "" : ", ") + f;
                   throw py::type_error(fmt::format("{}() got an unexpected keyword argument '{}' (valid: {})",
                                                    type_name, name, valid));
                 }
                 py::setattr(self, key, value);
               }
               return py::cast<T>(self);
             }),
             "Keyword arguments only, named as the C++ fields; omitted fields keep the C++ defaults.");
    cls_.def("__repr__", [fields, type_name](py::handle self) {
      std::string out = type_name + "(";
      for (std::size_t i = 0; i < fields->size(); ++i)
        out += (i ? ", " : "") + (*fields)[i] + "=" + py::repr(self.attr((*fields)[i].c_str())).template cast<std::string>();
      return out + ")";
    });
    cls_.def(
        "to_dict",
        [fields](py::handle self) {
          py::dict d;
          for (const auto& f : *fields) d[py::str(f)] = self.attr(f.c_str());
          return d;
        },
        "The fields as a dict (keyword arguments that rebuild this object).");
    cls_.def("__copy__", [](const T& self) { return T(self); });
    cls_.def("__deepcopy__", [](const T& self, py::dict) { return T(self); }, py::arg("memo"));
    if constexpr (requires(const T& t) { t.validate(); })
      cls_.def("validate", [](const T& self) { self.validate(); },
               "Raises ValueError (pysbi.InvalidArgument: 'field = value: what it must be') for the first invalid "
               "field.");
    return cls_;
  }

 private:
  py::class_<T> cls_;
  std::string name_;
  std::shared_ptr<std::vector<std::string>> fields_;
};

/// The options of a call: `options` (an instance of T) or keyword arguments naming T's fields,
/// not both. TypeError for an unknown keyword or a wrong type.
template <typename T>
T options_from(py::handle options, const py::kwargs& kwargs) {
  if (!options.is_none()) {
    if (kwargs.size() > 0)
      throw py::type_error("give either options=... or keyword arguments for the option fields, not both");
    if (!py::isinstance<T>(options))
      throw py::type_error(fmt::format("options must be a {}, not {}", py::type::of<T>().attr("__name__").template cast<std::string>(),
                                       py::repr(py::type::of(options)).template cast<std::string>()));
    return options.cast<T>();
  }
  return py::type::of<T>()(**kwargs).template cast<T>();
}

// ---- inputs without copies, enums from strings, sizes ----

/// A read-only view of a 2-D array-like as a row-major float64 matrix. No copy when the input is
/// already a C-contiguous float64 array (the view then reads the caller's buffer); one conversion
/// otherwise. `array` keeps the memory alive while map() is used (also with the GIL released).
struct RowMatrixView {
  py::array_t<double, py::array::c_style | py::array::forcecast> array;
  Eigen::Map<const RowMatrix> map() const {
    return {array.data(), static_cast<Index>(array.shape(0)), static_cast<Index>(array.shape(1))};
  }
};
/// Checks as to_row_matrix (ValueError naming `field` and the shape) and returns the view.
RowMatrixView row_matrix_view(py::handle object, const std::string& field, Index expected_cols = -1);

/// ValueError (pysbi.InvalidArgument) "field has N values; it must have M (what)" unless size == expected.
void check_size(Index size, Index expected, const std::string& field, const std::string& what);

/// An enum argument given as the bound enum or as its name (str): the name goes through the C++
/// parse function (whose InvalidArgument lists the valid names). TypeError for anything else.
template <typename E, typename Parse>
E enum_from(py::handle value, Parse&& parse, const char* field) {
  if (py::isinstance<py::str>(value)) return parse(value.cast<std::string>());
  if (py::isinstance<E>(value)) return value.cast<E>();
  throw py::type_error(fmt::format("{} = {}: must be a {} or its name (str)", field, py::repr(value).cast<std::string>(),
                                   py::type::of<E>().attr("__name__").template cast<std::string>()));
}

/// "name='x'" style helpers for __repr__.
std::string quoted(const std::string& s);
std::string shape_string(Index rows, Index cols);
/// Python's repr of a float ("-10.0", "1e-300").
std::string float_repr(double x);
std::string join_quoted(const std::vector<std::string>& items, std::size_t max_items = 8);

}  // namespace sbi::python
