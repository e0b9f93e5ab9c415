"""pysbi: simulation-based inference for particle physics.

The Python face of the sbi C++ library: the physics set-up (parameters, benchmarks, morphing),
weighted events and MadMiner-compatible HDF5 files, with NumPy arrays in and out.

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
]
