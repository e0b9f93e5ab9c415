#pragma once
// Internal pieces of the limits module shared between its translation units (not installed).

#include <functional>
#include <limits>
#include <vector>

#include "sbi/limits.hpp"
#include "sbi/types.hpp"

namespace sbi::detail {

// A root of f = q − threshold bracketed by [a, b] (f(a) and f(b) on opposite sides of "≤ 0"),
// with a first guess (the spline's root) and tolerances.
struct RootBracket {
  double a = 0.0, b = 0.0, fa = 0.0, fb = 0.0;
  double guess = 0.0;
  double scale = 1.0;        // the bracket is solved to x_tolerance · scale
  double f_tolerance = 0.0;  // or to |f| ≤ f_tolerance
  int side = 0;              // Illinois bookkeeping: which end moved last
  double last = std::numeric_limits<double>::quiet_NaN();  // the previous candidate
  bool done = false;
  double root = 0.0;
};

// f at candidate points of the active brackets (indices into the bracket list, in order).
using BracketFunction = std::function<Vector(const std::vector<std::size_t>& which, const Vector& points)>;

// Illinois regula falsi on all brackets together: one call of g per iteration with every active
// bracket's candidate (first the guess), non-finite values counted as outside (f = +∞; those
// brackets bisect). Ends when every bracket is narrower than x_tolerance · scale or hits
// |f| ≤ f_tolerance, or after max_iterations (then the bracket's midpoint).
void solve_brackets(std::vector<RootBracket>& brackets, const BracketFunction& g, double x_tolerance, int max_iterations);

// ---- histograms (histograms.cpp) ----

// Bin edges with equal weighted content: the weighted quantiles k/n_bins (k = 1..n_bins−1) of
// `values` under max(weights, 0), duplicate edges (zero-width bins) removed. Returns all edges
// including the outer ones, which are the smallest and largest value (the outer bins are open).
std::vector<double> adaptive_edges(const Eigen::Ref<const Vector>& values, const Vector& weights, Index n_bins);

// Bin index of every row of `values` (E × D) in the product binning given by the edges per axis
// (outer bins open), flattened with the last axis fastest. n_bins_total receives the product.
std::vector<Index> bin_indices(const RowMatrix& values, const std::vector<std::vector<double>>& edges, Index* n_bins_total);

// Binnings per axis: the options' binning expanded (one entry for every axis; empty = MadMiner's
// defaults for `mode` with D axes).
std::vector<AxisBinning> expand_binning(const std::vector<AxisBinning>& binning, Index n_axes, LimitMode mode);

}  // namespace sbi::detail

// ---- the calculator's data (asymptotic_limits.cpp, fisher.cpp) ----

#include "sbi/morphing.hpp"

namespace sbi {

// Weighted events of one partition: per event the polynomial coefficients of its weight,
// w_i(θ) = a_i · φ(θ), including the partition factor (sampler.hpp), and the nuisance coefficients
// of MadMiner's NuisanceMorpher, dσ(x|θ, ν)/dσ(x|θ, 0) = exp Σ_k (A_ik ν_k + B_ik ν_k²).
struct WeightedEvents {
  std::vector<Index> rows;  // indices into Events
  RowMatrix a;              // n × C
  RowMatrix nuisance_a;     // n × K (K = 0: no nuisance parameters)
  RowMatrix nuisance_b;     // n × K
  Index size() const { return a.rows(); }
  // w_i(θ) for every event.
  Vector weights(const Vector& phi) const { return a * phi; }
};

struct AsymptoticLimits::Impl {
  struct NuisanceBenchmarks {
    std::string name;
    Index positive = -1;
    Index negative = -1;  // −1: one-sided
  };

  Setup setup;
  Events events;
  Morphing morphing;
  Index n_physical = 0;
  // The component with all powers zero (the constant), for the exact treatment of background
  // events; −1 if the morphing has none.
  Index constant_component = -1;
  std::vector<NuisanceBenchmarks> nuisance;
  // The benchmark the nuisance variations are relative to (the reference benchmark, else 0).
  Index nuisance_reference = 0;
  // Events whose nuisance coefficients were not finite (set to 0) or clipped to ±10.
  Index nuisance_sanitised = 0;

  Impl(Setup s, Events e);

  // The events of a partition (run ≥ 0: those generated at that benchmark plus background).
  WeightedEvents weighted(Partition partition, double test_split, double validation_split, int run,
                          bool with_nuisance) const;
  // Column of an observable; NotFound naming `what` and listing the observables otherwise.
  Index observable_index(const std::string& name, const std::string& what) const;
  Vector component_values(const Vector& theta) const { return morphing.component_values(theta); }
  Index n_parameters() const { return setup.parameters.size(); }
  Index n_components() const { return morphing.n_components(); }
};

}  // namespace sbi
