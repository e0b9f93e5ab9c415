#pragma once
/// @file setup.hpp
/// The physics set-up of a study: parameters (Wilson coefficients), benchmarks, the stored
/// morphing, observables, nuisance parameters and systematics, as in MadMiner's HDF5 layout
/// (DESIGN.md §3, §7).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sbi/types.hpp"

namespace sbi {

/// One parameter of the model: a Wilson coefficient or any quantity that enters |M|² polynomially.
struct Parameter {
  /// Name, unique within the set-up ("cHW", "CWL2").
  std::string name;
  /// Param-card block the parameter lives in ("SMEFT", "dim6"); empty when not from MadGraph.
  std::string lha_block;
  /// Entry of the param-card block.
  std::int64_t lha_id = 0;
  /// Highest power of this parameter in the squared matrix element: 2 for one insertion of a
  /// dimension-six operator interfering with the SM and squared, 4 when it enters the amplitude
  /// quadratically. Must be ≥ 1.
  int max_power = 2;
  /// Range of interest [low, high], used for basis optimisation and priors. low < high.
  double range_low = -1.0;
  double range_high = 1.0;
  /// Param-card expression that maps θ to the card value ("16.52*theta"); empty means θ itself.
  std::string transform;
};

/// The ordered list of parameters; the order defines the components of every θ vector.
class ParameterSpace {
 public:
  ParameterSpace() = default;
  /// Validates the parameters; throws InvalidArgument naming the offending field.
  explicit ParameterSpace(std::vector<Parameter> parameters);

  Index size() const { return static_cast<Index>(parameters_.size()); }
  bool empty() const { return parameters_.empty(); }
  const Parameter& operator[](Index i) const { return parameters_[static_cast<std::size_t>(i)]; }
  /// Index of the parameter with this name; NotFound (listing the known names) otherwise.
  Index index_of(std::string_view name) const;
  const Parameter& at(std::string_view name) const { return (*this)[index_of(name)]; }
  std::vector<std::string> names() const;
  const std::vector<Parameter>& parameters() const { return parameters_; }
  auto begin() const { return parameters_.begin(); }
  auto end() const { return parameters_.end(); }

  bool operator==(const ParameterSpace&) const = default;

 private:
  std::vector<Parameter> parameters_;
};

bool operator==(const Parameter& a, const Parameter& b);

/// A named point θ_b in parameter space. Physical benchmarks come first in a set-up, in the
/// column order of the morphing matrix; nuisance benchmarks (systematic variations) follow.
struct Benchmark {
  std::string name;
  /// θ_b, one value per parameter in ParameterSpace order.
  Vector values;
  /// True for a nuisance benchmark (weight variation), false for a physical one.
  bool is_nuisance = false;
  /// True for the reference benchmark (at most one).
  bool is_reference = false;

  bool operator==(const Benchmark& other) const {
    return name == other.name && same_values(values, other.values) && is_nuisance == other.is_nuisance &&
           is_reference == other.is_reference;
  }
};

/// The morphing stored in a file: components (n_c × n_p powers) and the morphing matrix M
/// (n_c × n_b_phys) with w(θ) = Mᵀ φ(θ), φ_c(θ) = Π_p θ_p^{components(c, p)}.
struct StoredMorphing {
  IntRowMatrix components;
  RowMatrix matrix;

  bool operator==(const StoredMorphing& other) const {
    return same_values(components, other.components) && same_values(matrix, other.matrix);
  }
};

/// An observable: a name and the definition it was computed from (an expression, or "None" when
/// it was a callable).
struct Observable {
  std::string name;
  std::string definition;

  bool operator==(const Observable&) const = default;
};

/// A nuisance parameter and the benchmarks of its ±1σ variations (empty = none).
struct NuisanceParameter {
  std::string name;
  std::string systematic;
  std::string benchmark_positive;
  std::string benchmark_negative;

  bool operator==(const NuisanceParameter&) const = default;
};

/// A systematic uncertainty as MadMiner stores it: type is "norm", "scale" or "pdf"; value and
/// scale are kept as the strings of the file (empty scale = none).
struct Systematic {
  std::string name;
  std::string type;
  std::string value;
  std::string scale;

  bool operator==(const Systematic&) const = default;
};

/// MadMiner's finite-difference benchmarks (base benchmark, one shifted benchmark per parameter).
struct FiniteDifferences {
  std::vector<std::string> base_benchmarks;
  std::vector<std::vector<std::string>> shifted_benchmarks;
  double epsilon = 0.0;

  bool operator==(const FiniteDifferences&) const = default;
};

/// Everything in a MadMiner file except the events.
struct Setup {
  ParameterSpace parameters;
  std::vector<Benchmark> benchmarks;
  std::optional<StoredMorphing> morphing;
  std::vector<Observable> observables;
  std::vector<NuisanceParameter> nuisance_parameters;
  std::vector<Systematic> systematics;
  std::optional<FiniteDifferences> finite_differences;

  /// Index of the benchmark with this name; NotFound (listing the known names) otherwise.
  Index benchmark_index(std::string_view name) const;
  /// Number of physical (non-nuisance) benchmarks; they come first.
  Index n_physical_benchmarks() const;
  /// Index of the reference benchmark, or −1 if none is flagged.
  Index reference_benchmark() const;
  std::vector<std::string> benchmark_names() const;
  std::vector<std::string> observable_names() const;
  /// Benchmark values as a n_b × n_p matrix.
  RowMatrix benchmark_values() const;

  /// Checks internal consistency: unique names, benchmark dimensions, physical benchmarks first,
  /// at most one reference, morphing shapes (n_c × n_p components with powers in range,
  /// n_c × n_b_phys matrix), finite values. Throws InvalidArgument naming the field and value.
  void validate() const;

  bool operator==(const Setup&) const = default;
};

}  // namespace sbi
