"""pysbi: simulation-based inference for particle physics.

The Python face of the sbi C++ library: the physics set-up (parameters, benchmarks, morphing),
weighted events and MadMiner-compatible HDF5 files, morphing bases and their optimisation, LHE
reading (pysbi.lhe), the built-in simulators (Galton board, WH), the sampler, and plots
(pysbi.plotting), with NumPy arrays in and out.

    >>> import pysbi
    >>> f = pysbi.read_madminer_file("setup_and_events.h5")
    >>> f.setup.parameters.names()
    ['CWL2', 'CPWL2']
    >>> f.events.weights.shape            # (N, n_benchmarks), pb per event
    (926, 6)
    >>> f.events.cross_sections(f.sample_summary)   # pb per benchmark

Units: weights and cross sections in pb, luminosities in pb^-1, parameter values dimensionless
(the model's convention), observables in the units of their definitions (GeV for momenta).

Errors: every error derives from pysbi.SbiError and from the matching builtin exception
(ValueError, KeyError, OSError, FileNotFoundError, ArithmeticError, RuntimeError).
"""

from ._pysbi import (
    # errors
    SbiError,
    Error,
    InvalidArgument,
    NotFound,
    FileError,
    FileNotFound,
    FormatError,
    DataError,
    NumericalError,
    # set-up
    Parameter,
    ParameterSpace,
    Benchmark,
    StoredMorphing,
    Observable,
    NuisanceParameter,
    Systematic,
    FiniteDifferences,
    Setup,
    # events
    SampleSummary,
    Events,
    # files
    MadMinerFile,
    read_madminer_file,
    write_madminer_file,
    __version__,
)
from ._pysbi import (
    # morphing
    morphing_components,
    component_values,
    component_gradients,
    component_hessians,
    MorphingOptions,
    Morphing,
    DerivativeCheckOptions,
    DerivativeCheckResult,
    check_derivatives,
    check_morphing_derivatives,
    Prior,
    BasisCriterion,
    TerminationReason,
    BasisOptimisationOptions,
    BasisOptimisationResult,
    optimise_basis,
    basis_objective,
    basis_objective_and_gradient,
    sampled_basis_objective,
    madminer_random_basis,
    sample_prior,
    # LHE files (a submodule, as sbi::lhe)
    lhe,
    # augmented samples
    SampleKind,
    Partition,
    parse_sample_kind,
    parse_partition,
    AugmentedSamples,
    read_samples,
    write_samples,
    export_madminer_npy,
    # sampler
    ParameterPrior,
    ThetaSpec,
    SamplerOptions,
    ThetaDrawReport,
    SamplingResult,
    Sampler,
    # simulators
    GaltonOptions,
    GaltonRun,
    GaltonSample,
    GaltonExact,
    GaltonBoard,
    WHOptions,
    WHPartonEvent,
    WHSample,
    WHTruth,
    WHSimulator,
    PartonDensities,
    grv94_lo,
    wh_monomials,
    wh_monomial_gradients,
    write_wh_lhe,
)
from . import plotting

# `import pysbi.lhe` and `from pysbi.lhe import Reader` work like a package module.
import sys as _sys

_sys.modules[__name__ + ".lhe"] = lhe
del _sys

__all__ = [
    "SbiError",
    "Error",
    "InvalidArgument",
    "NotFound",
    "FileError",
    "FileNotFound",
    "FormatError",
    "DataError",
    "NumericalError",
    "Parameter",
    "ParameterSpace",
    "Benchmark",
    "StoredMorphing",
    "Observable",
    "NuisanceParameter",
    "Systematic",
    "FiniteDifferences",
    "Setup",
    "SampleSummary",
    "Events",
    "MadMinerFile",
    "read_madminer_file",
    "write_madminer_file",
    "__version__",
    "morphing_components",
    "component_values",
    "component_gradients",
    "component_hessians",
    "MorphingOptions",
    "Morphing",
    "DerivativeCheckOptions",
    "DerivativeCheckResult",
    "check_derivatives",
    "check_morphing_derivatives",
    "Prior",
    "BasisCriterion",
    "TerminationReason",
    "BasisOptimisationOptions",
    "BasisOptimisationResult",
    "optimise_basis",
    "basis_objective",
    "basis_objective_and_gradient",
    "sampled_basis_objective",
    "madminer_random_basis",
    "sample_prior",
    "lhe",
    "SampleKind",
    "Partition",
    "parse_sample_kind",
    "parse_partition",
    "AugmentedSamples",
    "read_samples",
    "write_samples",
    "export_madminer_npy",
    "ParameterPrior",
    "ThetaSpec",
    "SamplerOptions",
    "ThetaDrawReport",
    "SamplingResult",
    "Sampler",
    "GaltonOptions",
    "GaltonRun",
    "GaltonSample",
    "GaltonExact",
    "GaltonBoard",
    "WHOptions",
    "WHPartonEvent",
    "WHSample",
    "WHTruth",
    "WHSimulator",
    "PartonDensities",
    "grv94_lo",
    "wh_monomials",
    "wh_monomial_gradients",
    "write_wh_lhe",
    "plotting",
]
