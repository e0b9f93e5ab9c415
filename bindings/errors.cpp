// Python exception classes for sbi's exception hierarchy (include/sbi/error.hpp) and the translator
// that raises them. Each class derives from pysbi.SbiError *and* from the builtin exception a
// Python user would expect, so both `except pysbi.SbiError` and `except OSError` (etc.) work:
//
//   sbi::InvalidArgument → pysbi.InvalidArgument(SbiError, ValueError)
//   sbi::NotFound        → pysbi.NotFound(SbiError, KeyError)
//   sbi::FileError       → pysbi.FileError(SbiError, OSError)
//   sbi::FileNotFound    → pysbi.FileNotFound(FileError, FileNotFoundError)
//   sbi::FormatError     → pysbi.FormatError(FileError)            (an OSError)
//   sbi::DataError       → pysbi.DataError(SbiError, ValueError)
//   sbi::NumericalError  → pysbi.NumericalError(SbiError, ArithmeticError)
//   other sbi::Error     → pysbi.Error(SbiError, RuntimeError)
//
// The message of the C++ exception is kept unchanged as the exception's single argument.
#include <pybind11/eval.h>

#include "common.hpp"

namespace sbi::python {

namespace {

// The classes are defined in Python: multiple inheritance from builtin exceptions is plain there.
constexpr const char* exception_classes = R"py(
class SbiError(Exception):
    """Base class of every error raised by sbi. Each subclass also derives from the matching
    builtin exception (ValueError, KeyError, OSError, ...)."""
    def __str__(self):
        # Keep the message as written, also for the KeyError subclass (whose str() would quote it).
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()

class Error(SbiError, RuntimeError):
    """An sbi error of no more specific kind."""

class InvalidArgument(SbiError, ValueError):
    """An argument or option has an invalid value or shape ("field = value: what it must be")."""

class NotFound(SbiError, KeyError):
    """A name (parameter, benchmark, observable, dataset) that does not exist."""

class FileError(SbiError, OSError):
    """A file could not be opened, read, written or renamed."""

class FileNotFound(FileError, FileNotFoundError):
    """The file does not exist."""

class FormatError(FileError):
    """The file is not what it must be: not HDF5, truncated, corrupt, or a dataset is missing or has
    the wrong type or shape. The message names the file and the dataset."""

class DataError(SbiError, ValueError):
    """Data values that cannot be used (NaN or infinite weights, negative counts). The message
    names the dataset, the event index and the value."""

class NumericalError(SbiError, ArithmeticError):
    """A numerical failure: a singular morphing basis, a solve that lost all precision."""
)py";

constexpr const char* class_names[] = {"SbiError",  "Error",       "InvalidArgument", "NotFound",      "FileError",
                                       "FileNotFound", "FormatError", "DataError",      "NumericalError"};

// The classes live as long as the process (like pybind11's own py::exception statics).
struct Classes {
  PyObject *error, *invalid_argument, *not_found, *file_error, *file_not_found, *format_error, *data_error,
      *numerical_error;
};
Classes classes{};

PyObject* keep(const py::dict& scope, const char* name) { return py::object(scope[name]).release().ptr(); }

}  // namespace

void add_errors(py::module_& m) {
  py::dict scope;
  scope["__builtins__"] = py::module_::import("builtins");
  scope["__name__"] = "pysbi";
  py::exec(exception_classes, scope);
  for (const char* name : class_names) {
    py::object cls = scope[name];
    cls.attr("__module__") = "pysbi";
    m.attr(name) = cls;
  }
  classes = {keep(scope, "Error"),     keep(scope, "InvalidArgument"), keep(scope, "NotFound"),
             keep(scope, "FileError"), keep(scope, "FileNotFound"),    keep(scope, "FormatError"),
             keep(scope, "DataError"), keep(scope, "NumericalError")};

  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const FileNotFound& e) {
      PyErr_SetString(classes.file_not_found, e.what());
    } catch (const FormatError& e) {
      PyErr_SetString(classes.format_error, e.what());
    } catch (const FileError& e) {
      PyErr_SetString(classes.file_error, e.what());
    } catch (const InvalidArgument& e) {
      PyErr_SetString(classes.invalid_argument, e.what());
    } catch (const NotFound& e) {
      PyErr_SetString(classes.not_found, e.what());
    } catch (const DataError& e) {
      PyErr_SetString(classes.data_error, e.what());
    } catch (const NumericalError& e) {
      PyErr_SetString(classes.numerical_error, e.what());
    } catch (const Error& e) {
      PyErr_SetString(classes.error, e.what());
    }
  });
}

}  // namespace sbi::python
