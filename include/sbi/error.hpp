#pragma once
/// @file error.hpp
/// The exception hierarchy of sbi. Every error the library raises derives from sbi::Error, so a
/// caller can catch one type; the subclasses say what kind of failure it was, and pysbi maps each
/// to the matching Python exception (InvalidArgument → ValueError, NotFound → KeyError,
/// FileNotFound → FileNotFoundError, FileError/FormatError → OSError, DataError → ValueError,
/// NumericalError → ArithmeticError).
///
/// Message shape (STYLE.md §4): "what is wrong (the value, the file and dataset, the event); what
/// to do". Construct messages with fmt at the throw site so they carry the offending value.

#include <stdexcept>
#include <string>

namespace sbi {

/// Base of every exception thrown by sbi.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// An argument or option has an invalid value or shape ("field = value: what it must be").
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A name (parameter, benchmark, observable, dataset) that does not exist.
class NotFound : public Error {
 public:
  using Error::Error;
};

/// A file could not be opened, read, written or renamed.
class FileError : public Error {
 public:
  using Error::Error;
};

/// The file does not exist.
class FileNotFound : public FileError {
 public:
  using FileError::FileError;
};

/// The file exists but its content is not what it must be: truncated, corrupt, foreign, or a
/// dataset with the wrong type or shape. The message names the file and the dataset.
class FormatError : public FileError {
 public:
  using FileError::FileError;
};

/// Data values that cannot be used: NaN or infinite weights or observables, negative counts.
/// The message names the dataset, the event (row) index and the value.
class DataError : public Error {
 public:
  using Error::Error;
};

/// A numerical failure: a singular morphing basis, a solve that lost all precision.
class NumericalError : public Error {
 public:
  using Error::Error;
};

}  // namespace sbi
