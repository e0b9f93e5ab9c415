"""Type stub of pysbi's compiled module (bindings/*.cpp). Units: weights and cross sections in pb,
parameter values dimensionless, observables in the units of their definitions."""

import os
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

_ArrayLike = npt.ArrayLike
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_Path = Union[str, "os.PathLike[str]"]

# ---- errors: each derives from SbiError and from the builtin named beside it ----
class SbiError(Exception): ...
class Error(SbiError, RuntimeError): ...
class InvalidArgument(SbiError, ValueError): ...
class NotFound(SbiError, KeyError): ...
class FileError(SbiError, OSError): ...
class FileNotFound(FileError, FileNotFoundError): ...
class FormatError(FileError): ...
class DataError(SbiError, ValueError): ...
class NumericalError(SbiError, ArithmeticError): ...

# ---- set-up ----
class Parameter:
    name: str
    lha_block: str
    lha_id: int
    max_power: int
    range: Tuple[float, float]
    transform: str
    def __init__(
        self,
        name: str,
        lha_block: str = "",
        lha_id: int = 0,
        max_power: int = 2,
        range: Tuple[float, float] = (-1.0, 1.0),
        transform: str = "",
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Parameter": ...
    def __deepcopy__(self, memo: dict) -> "Parameter": ...

class ParameterSpace:
    def __init__(self, parameters: Sequence[Parameter] = ...) -> None: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> Parameter: ...
    @overload
    def __getitem__(self, name: str) -> Parameter: ...
    def __iter__(self) -> Iterator[Parameter]: ...
    def __contains__(self, name: str) -> bool: ...
    def names(self) -> List[str]: ...
    def index_of(self, name: str) -> int: ...
    @property
    def parameters(self) -> List[Parameter]: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "ParameterSpace": ...
    def __deepcopy__(self, memo: dict) -> "ParameterSpace": ...

class Benchmark:
    name: str
    is_nuisance: bool
    is_reference: bool
    def __init__(self, name: str, values: _ArrayLike, is_nuisance: bool = False, is_reference: bool = False) -> None: ...
    @property
    def values(self) -> _FloatArray: ...
    @values.setter
    def values(self, values: _ArrayLike) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Benchmark": ...
    def __deepcopy__(self, memo: dict) -> "Benchmark": ...

class StoredMorphing:
    def __init__(self, components: _ArrayLike, matrix: _ArrayLike) -> None: ...
    @property
    def components(self) -> _IntArray: ...
    @components.setter
    def components(self, components: _ArrayLike) -> None: ...
    @property
    def matrix(self) -> _FloatArray: ...
    @matrix.setter
    def matrix(self, matrix: _ArrayLike) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "StoredMorphing": ...
    def __deepcopy__(self, memo: dict) -> "StoredMorphing": ...

class Observable:
    name: str
    definition: str
    def __init__(self, name: str, definition: str = "") -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Observable": ...
    def __deepcopy__(self, memo: dict) -> "Observable": ...

class NuisanceParameter:
    name: str
    systematic: str
    benchmark_positive: str
    benchmark_negative: str
    def __init__(
        self, name: str, systematic: str = "", benchmark_positive: str = "", benchmark_negative: str = ""
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "NuisanceParameter": ...
    def __deepcopy__(self, memo: dict) -> "NuisanceParameter": ...

class Systematic:
    name: str
    type: str
    value: str
    scale: str
    def __init__(self, name: str, type: str, value: str = "", scale: str = "") -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Systematic": ...
    def __deepcopy__(self, memo: dict) -> "Systematic": ...

class FiniteDifferences:
    base_benchmarks: List[str]
    shifted_benchmarks: List[List[str]]
    epsilon: float
    def __init__(
        self,
        base_benchmarks: Sequence[str] = ...,
        shifted_benchmarks: Sequence[Sequence[str]] = ...,
        epsilon: float = 0.0,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "FiniteDifferences": ...
    def __deepcopy__(self, memo: dict) -> "FiniteDifferences": ...

class Setup:
    def __init__(
        self,
        parameters: Union[ParameterSpace, Sequence[Parameter]] = ...,
        benchmarks: Sequence[Benchmark] = ...,
        morphing: Optional[StoredMorphing] = None,
        observables: Sequence[Observable] = ...,
        nuisance_parameters: Sequence[NuisanceParameter] = ...,
        systematics: Sequence[Systematic] = ...,
        finite_differences: Optional[FiniteDifferences] = None,
    ) -> None: ...
    @property
    def parameters(self) -> ParameterSpace: ...
    @parameters.setter
    def parameters(self, parameters: Union[ParameterSpace, Sequence[Parameter]]) -> None: ...
    @property
    def benchmarks(self) -> List[Benchmark]: ...
    @benchmarks.setter
    def benchmarks(self, benchmarks: Sequence[Benchmark]) -> None: ...
    morphing: Optional[StoredMorphing]
    @property
    def observables(self) -> List[Observable]: ...
    @observables.setter
    def observables(self, observables: Sequence[Observable]) -> None: ...
    @property
    def nuisance_parameters(self) -> List[NuisanceParameter]: ...
    @nuisance_parameters.setter
    def nuisance_parameters(self, nuisance_parameters: Sequence[NuisanceParameter]) -> None: ...
    @property
    def systematics(self) -> List[Systematic]: ...
    @systematics.setter
    def systematics(self, systematics: Sequence[Systematic]) -> None: ...
    finite_differences: Optional[FiniteDifferences]
    def benchmark_values(self) -> _FloatArray: ...
    def benchmark_names(self) -> List[str]: ...
    def observable_names(self) -> List[str]: ...
    def benchmark_index(self, name: str) -> int: ...
    def n_physical_benchmarks(self) -> int: ...
    def reference_benchmark(self) -> Optional[int]: ...
    def validate(self) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Setup": ...
    def __deepcopy__(self, memo: dict) -> "Setup": ...

# ---- events ----
class SampleSummary:
    signal_events: List[int]
    background_events: int
    def __init__(self, signal_events: Sequence[int] = ..., background_events: int = 0) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "SampleSummary": ...
    def __deepcopy__(self, memo: dict) -> "SampleSummary": ...

class Events:
    process_names: List[str]
    def __init__(
        self,
        observations: Optional[_ArrayLike] = None,
        weights: Optional[_ArrayLike] = None,
        sampling_benchmarks: Optional[_ArrayLike] = None,
        process_ids: Optional[_ArrayLike] = None,
        process_names: Sequence[str] = ...,
    ) -> None: ...
    @property
    def observations(self) -> _FloatArray: ...
    @observations.setter
    def observations(self, observations: _ArrayLike) -> None: ...
    @property
    def weights(self) -> _FloatArray: ...
    @weights.setter
    def weights(self, weights: _ArrayLike) -> None: ...
    @property
    def sampling_benchmarks(self) -> _IntArray: ...
    @sampling_benchmarks.setter
    def sampling_benchmarks(self, sampling_benchmarks: _ArrayLike) -> None: ...
    @property
    def process_ids(self) -> _IntArray: ...
    @process_ids.setter
    def process_ids(self, process_ids: _ArrayLike) -> None: ...
    @property
    def n_events(self) -> int: ...
    def __len__(self) -> int: ...
    def process_of(self, event: int) -> int: ...
    def sampling_factors(self, summary: Optional[SampleSummary] = None) -> _FloatArray: ...
    def cross_sections(self, summary: Optional[SampleSummary] = None) -> _FloatArray: ...
    def validate(self, setup: Setup, where: str = "events") -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "Events": ...
    def __deepcopy__(self, memo: dict) -> "Events": ...

# ---- files ----
class MadMinerFile:
    setup: Setup
    events: Optional[Events]
    sample_summary: Optional[SampleSummary]
    def __init__(
        self,
        setup: Optional[Setup] = None,
        events: Optional[Events] = None,
        sample_summary: Optional[SampleSummary] = None,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "MadMinerFile": ...
    def __deepcopy__(self, memo: dict) -> "MadMinerFile": ...

def read_madminer_file(path: _Path, load_events: bool = True, validate: bool = True) -> MadMinerFile: ...
def write_madminer_file(path: _Path, file: MadMinerFile) -> None: ...

# ---- morphing (bindings/morphing.cpp) ----
from . import lhe as lhe

class Prior:
    flat: "Prior"
    gaussian: "Prior"
    name: str
    value: int

class BasisCriterion:
    expected_squared_weights: "BasisCriterion"
    cross_section_dilution: "BasisCriterion"
    cross_section_dilution_equal_events: "BasisCriterion"
    name: str
    value: int

class TerminationReason:
    converged_function: "TerminationReason"
    converged_gradient: "TerminationReason"
    max_iterations: "TerminationReason"
    line_search_stalled: "TerminationReason"
    no_free_benchmarks: "TerminationReason"
    name: str
    value: int

def morphing_components(max_powers: Union[ParameterSpace, Sequence[int]], max_overall_power: int) -> _IntArray: ...
def component_values(components: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...
def component_gradients(components: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...
def component_hessians(components: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...

class MorphingOptions:
    max_condition_number: float
    benchmark_names: List[str]
    def __init__(self, *, max_condition_number: float = 1e8, benchmark_names: Sequence[str] = ...) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class Morphing:
    def __init__(
        self,
        components: _ArrayLike,
        benchmark_points: _ArrayLike,
        options: Optional[MorphingOptions] = None,
        *,
        max_condition_number: float = 1e8,
        benchmark_names: Sequence[str] = ...,
    ) -> None: ...
    @staticmethod
    def from_matrix(components: _ArrayLike, matrix: _ArrayLike, benchmark_points: Optional[_ArrayLike] = None) -> "Morphing": ...
    @staticmethod
    def from_setup(setup: Setup) -> "Morphing": ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def n_components(self) -> int: ...
    @property
    def n_benchmarks(self) -> int: ...
    @property
    def components(self) -> _IntArray: ...
    @property
    def matrix(self) -> _FloatArray: ...
    @property
    def benchmark_points(self) -> _FloatArray: ...
    @property
    def condition_number(self) -> float: ...
    @property
    def equilibrated_condition_number(self) -> float: ...
    def to_stored(self) -> StoredMorphing: ...
    def component_values(self, theta: _ArrayLike) -> _FloatArray: ...
    def weights(self, theta: _ArrayLike) -> _FloatArray: ...
    def weight_gradients(self, theta: _ArrayLike) -> _FloatArray: ...
    def weight_hessians(self, theta: _ArrayLike) -> _FloatArray: ...
    def weights_at_points(self, thetas: _ArrayLike) -> _FloatArray: ...
    def weight_gradients_at_points(self, thetas: _ArrayLike) -> _FloatArray: ...
    def weight_hessians_at_points(self, thetas: _ArrayLike) -> _FloatArray: ...
    def morphed_event_weights(
        self, event_weights: _ArrayLike, thetas: _ArrayLike, out: Optional[_FloatArray] = None
    ) -> _FloatArray: ...
    def cross_section(self, benchmark_cross_sections: _ArrayLike, theta: _ArrayLike) -> float: ...
    def cross_section_gradient(self, benchmark_cross_sections: _ArrayLike, theta: _ArrayLike) -> _FloatArray: ...
    def cross_sections(self, benchmark_cross_sections: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...
    def cross_section_gradients(self, benchmark_cross_sections: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...
    def component_cross_sections(self, benchmark_cross_sections: _ArrayLike) -> _FloatArray: ...
    def __copy__(self) -> "Morphing": ...
    def __deepcopy__(self, memo: dict) -> "Morphing": ...

class DerivativeCheckOptions:
    relative_step: float
    relative_floor: float
    tolerance: float
    def __init__(self, *, relative_step: float = 1e-5, relative_floor: float = 1e-6, tolerance: float = 1e-6) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class DerivativeCheckResult:
    max_gradient_relative_error: float
    max_hessian_relative_error: float
    worst_gradient_point: int
    worst_gradient_output: int
    worst_gradient_parameter: int
    worst_hessian_point: int
    worst_hessian_output: int
    worst_hessian_parameter_p: int
    worst_hessian_parameter_q: int
    tolerance: float
    def passed(self) -> bool: ...
    def report(self) -> str: ...

def check_morphing_derivatives(
    morphing: Morphing, thetas: _ArrayLike, options: Optional[DerivativeCheckOptions] = None, **kwargs: float
) -> DerivativeCheckResult: ...
def check_derivatives(
    value: Callable[[_FloatArray], _ArrayLike],
    gradient: Callable[[_FloatArray], _ArrayLike],
    thetas: _ArrayLike,
    hessian: Optional[Callable[[_FloatArray], _ArrayLike]] = None,
    options: Optional[DerivativeCheckOptions] = None,
    **kwargs: float,
) -> DerivativeCheckResult: ...

class BasisOptimisationOptions:
    prior: Prior
    gaussian_mean: _FloatArray
    gaussian_width: _FloatArray
    criterion: BasisCriterion
    n_overcomplete: int
    benchmark_range_scale: float
    n_random_candidates: int
    n_restarts: int
    max_iterations: int
    lbfgs_memory: int
    function_tolerance: float
    gradient_tolerance: float
    n_quadrature_points: int
    max_condition_number: float
    compare_with_madminer: bool
    madminer_trials: int
    madminer_test_thetas: int
    n_evaluation_points: int
    seed: int
    def __init__(
        self,
        *,
        prior: Union[Prior, str] = ...,
        gaussian_mean: _ArrayLike = ...,
        gaussian_width: _ArrayLike = ...,
        criterion: Union[BasisCriterion, str] = ...,
        n_overcomplete: int = 0,
        benchmark_range_scale: float = 1.0,
        n_random_candidates: int = 1000,
        n_restarts: int = 16,
        max_iterations: int = 500,
        lbfgs_memory: int = 10,
        function_tolerance: float = 1e-12,
        gradient_tolerance: float = 1e-10,
        n_quadrature_points: int = 4096,
        max_condition_number: float = 1e8,
        compare_with_madminer: bool = False,
        madminer_trials: int = 100,
        madminer_test_thetas: int = 100,
        n_evaluation_points: int = 100000,
        seed: int = 1,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class BasisOptimisationResult:
    benchmarks: _FloatArray
    n_fixed: int
    morphing_matrix: _FloatArray
    condition_number: float
    objective: float
    best_random_objective: float
    madminer_objective: Optional[float]
    madminer_benchmarks: _FloatArray
    evaluation_objective: Optional[float]
    madminer_evaluation_objective: Optional[float]
    restarts: int
    iterations: int
    function_evaluations: int
    termination: TerminationReason
    def report(self) -> str: ...

def optimise_basis(
    components: _ArrayLike,
    ranges: _ArrayLike,
    fixed_benchmarks: Optional[_ArrayLike] = None,
    component_cross_sections: Optional[_ArrayLike] = None,
    options: Optional[BasisOptimisationOptions] = None,
    **kwargs: object,
) -> BasisOptimisationResult: ...
def basis_objective(
    components: _ArrayLike,
    ranges: _ArrayLike,
    benchmarks: _ArrayLike,
    component_cross_sections: Optional[_ArrayLike] = None,
    options: Optional[BasisOptimisationOptions] = None,
    **kwargs: object,
) -> float: ...
def basis_objective_and_gradient(
    components: _ArrayLike,
    ranges: _ArrayLike,
    benchmarks: _ArrayLike,
    component_cross_sections: Optional[_ArrayLike] = None,
    options: Optional[BasisOptimisationOptions] = None,
    **kwargs: object,
) -> Tuple[float, _FloatArray]: ...
def sampled_basis_objective(
    components: _ArrayLike,
    benchmarks: _ArrayLike,
    thetas: _ArrayLike,
    criterion: Union[BasisCriterion, str] = "expected_squared_weights",
    component_cross_sections: Optional[_ArrayLike] = None,
) -> float: ...
def madminer_random_basis(
    components: _ArrayLike,
    ranges: _ArrayLike,
    fixed_benchmarks: Optional[_ArrayLike],
    n_free: int,
    n_trials: int = 100,
    n_test_thetas: int = 100,
    seed: int = 1,
) -> _FloatArray: ...
def sample_prior(
    ranges: _ArrayLike, n_points: int, seed: int = 1, options: Optional[BasisOptimisationOptions] = None, **kwargs: object
) -> _FloatArray: ...

# ---- augmented samples (bindings/samples.cpp) ----
class SampleKind:
    Plain: "SampleKind"
    Local: "SampleKind"
    Density: "SampleKind"
    Ratio: "SampleKind"
    MoreRatios: "SampleKind"
    Test: "SampleKind"
    name: str
    value: int
    @property
    def label(self) -> str: ...

class Partition:
    Train: "Partition"
    Validation: "Partition"
    Test: "Partition"
    All: "Partition"
    name: str
    value: int
    @property
    def label(self) -> str: ...

def parse_sample_kind(name: str) -> SampleKind: ...
def parse_partition(name: str) -> Partition: ...

class AugmentedSamples:
    kind: SampleKind
    partition: Partition
    parameter_names: List[str]
    observable_names: List[str]
    seed: int
    source: str
    def __init__(
        self,
        *,
        kind: Union[SampleKind, str] = "plain",
        partition: Union[Partition, str] = "train",
        parameter_names: Sequence[str] = ...,
        observable_names: Sequence[str] = ...,
        x: Optional[_ArrayLike] = None,
        theta0: Optional[_ArrayLike] = None,
        theta1: Optional[_ArrayLike] = None,
        y: Optional[_ArrayLike] = None,
        r_xz: Optional[_ArrayLike] = None,
        t_xz0: Optional[_ArrayLike] = None,
        t_xz1: Optional[_ArrayLike] = None,
        seed: int = 0,
        source: str = "",
    ) -> None: ...
    @property
    def x(self) -> _FloatArray: ...
    @x.setter
    def x(self, value: _ArrayLike) -> None: ...
    @property
    def theta0(self) -> _FloatArray: ...
    @theta0.setter
    def theta0(self, value: _ArrayLike) -> None: ...
    @property
    def theta1(self) -> _FloatArray: ...
    @theta1.setter
    def theta1(self, value: _ArrayLike) -> None: ...
    @property
    def y(self) -> _FloatArray: ...
    @y.setter
    def y(self, value: _ArrayLike) -> None: ...
    @property
    def r_xz(self) -> _FloatArray: ...
    @r_xz.setter
    def r_xz(self, value: _ArrayLike) -> None: ...
    @property
    def t_xz0(self) -> _FloatArray: ...
    @t_xz0.setter
    def t_xz0(self, value: _ArrayLike) -> None: ...
    @property
    def t_xz1(self) -> _FloatArray: ...
    @t_xz1.setter
    def t_xz1(self, value: _ArrayLike) -> None: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def n_parameters(self) -> int: ...
    def __len__(self) -> int: ...
    def validate(self) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> "AugmentedSamples": ...
    def __deepcopy__(self, memo: dict) -> "AugmentedSamples": ...

def write_samples(path: _Path, samples: AugmentedSamples) -> None: ...
def read_samples(path: _Path) -> AugmentedSamples: ...
def export_madminer_npy(samples: AugmentedSamples, folder: _Path, name: str) -> List["os.PathLike[str]"]: ...

# ---- sampler (bindings/sampler.cpp) ----
class ParameterPrior:
    class Kind:
        Flat: "ParameterPrior.Kind"
        Gaussian: "ParameterPrior.Kind"
        name: str
        value: int
    kind: "ParameterPrior.Kind"
    a: float
    b: float
    @overload
    def __init__(self, text: str) -> None: ...
    @overload
    def __init__(self, kind: Union["ParameterPrior.Kind", str], a: float, b: float) -> None: ...
    @staticmethod
    def parse(text: str) -> "ParameterPrior": ...
    def __eq__(self, other: object) -> bool: ...

_Prior = Union[ParameterPrior, str]

class ThetaSpec:
    class Kind:
        Benchmark: "ThetaSpec.Kind"
        Benchmarks: "ThetaSpec.Kind"
        MorphingPoint: "ThetaSpec.Kind"
        MorphingPoints: "ThetaSpec.Kind"
        Random: "ThetaSpec.Kind"
        name: str
        value: int
    kind: "ThetaSpec.Kind"
    benchmarks: List[str]
    points: _FloatArray
    n_random: int
    priors: List[ParameterPrior]
    @staticmethod
    def benchmark(name: str) -> "ThetaSpec": ...
    @staticmethod
    def benchmark_list(names: Sequence[str]) -> "ThetaSpec": ...
    @staticmethod
    def point(theta: _ArrayLike) -> "ThetaSpec": ...
    @staticmethod
    def point_list(thetas: _ArrayLike) -> "ThetaSpec": ...
    @staticmethod
    def random(n_points: int, priors: Sequence[_Prior]) -> "ThetaSpec": ...

_Theta = Union[ThetaSpec, str, Sequence[str], _ArrayLike]

class SamplerOptions:
    n_samples: int
    partition: Partition
    test_split: float
    validation_split: float
    sample_only_from_closest_benchmark: bool
    n_eff_forced: float
    seed: int
    threads: int
    shuffle: bool
    exact_statistics: bool
    def __init__(
        self,
        *,
        n_samples: int = 10000,
        partition: Union[Partition, str] = ...,
        test_split: float = 0.2,
        validation_split: float = 0.2,
        sample_only_from_closest_benchmark: bool = True,
        n_eff_forced: float = 0.0,
        seed: int = 42,
        threads: int = 0,
        shuffle: bool = True,
        exact_statistics: bool = True,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class ThetaDrawReport:
    theta: _FloatArray
    cross_section: float
    cross_section_uncertainty: float
    n_eff: float
    clipped_fraction: float
    acceptance: float
    redrawn: int
    n_samples: int

class SamplingResult:
    samples: AugmentedSamples
    reports: List[ThetaDrawReport]
    def min_n_eff(self) -> float: ...
    def brief_report(self) -> str: ...

class Sampler:
    def __init__(self, file: Union[MadMinerFile, _Path]) -> None: ...
    @property
    def setup(self) -> Setup: ...
    @property
    def events(self) -> Events: ...
    def plain(self, theta: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object) -> SamplingResult: ...
    def local(self, theta: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object) -> SamplingResult: ...
    def density(self, theta: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object) -> SamplingResult: ...
    def test(self, theta: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object) -> SamplingResult: ...
    def ratio(
        self, theta0: _Theta, theta1: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object
    ) -> SamplingResult: ...
    def more_ratios(
        self, theta0: _Theta, theta1: _Theta, options: Optional[SamplerOptions] = None, **kwargs: object
    ) -> SamplingResult: ...
    def cross_sections(
        self,
        thetas: _ArrayLike,
        partition: Union[Partition, str] = "all",
        test_split: float = 0.2,
        validation_split: float = 0.2,
    ) -> Tuple[_FloatArray, _FloatArray]: ...

# ---- simulators (bindings/simulators.cpp) ----
class GaltonOptions:
    levels: int
    nails: int
    start: int
    steepness: float
    def __init__(self, *, levels: int = 20, nails: int = 31, start: int = 15, steepness: float = 10.0) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class GaltonRun:
    x: int
    positions: List[int]
    directions: List[int]
    log_p_xz: float
    t_xz: float
    log_r_xz: float

class GaltonSample:
    theta: float
    theta1: float
    x: _IntArray
    z: _IntArray
    t_xz: _FloatArray
    log_r_xz: _FloatArray
    def __len__(self) -> int: ...

class GaltonExact:
    theta: float
    p: _FloatArray
    dp_dtheta: _FloatArray
    t: _FloatArray

class GaltonBoard:
    def __init__(
        self, options: Optional[GaltonOptions] = None, *, levels: int = 20, nails: int = 31, start: int = 15, steepness: float = 10.0
    ) -> None: ...
    @property
    def options(self) -> GaltonOptions: ...
    @property
    def n_outcomes(self) -> int: ...
    def p_left(self, level: int, position: int, theta: float) -> float: ...
    def dp_left(self, level: int, position: int, theta: float) -> float: ...
    def run(self, theta: float, theta1: float, uniforms: _ArrayLike) -> GaltonRun: ...
    def simulate(self, theta: float, n: int, seed: int, theta1: float = 0.0) -> GaltonSample: ...
    def joint_log_likelihood(self, positions: _ArrayLike, x: int, theta: float) -> float: ...
    def joint_score(self, positions: _ArrayLike, x: int, theta: float) -> float: ...
    def exact(self, theta: float) -> GaltonExact: ...
    def exact_log_ratio(self, theta0: float, theta1: float) -> _FloatArray: ...

class WHOptions:
    sqrt_s: float
    m_w: float
    gamma_w: float
    m_h: float
    m_b: float
    g_fermi: float
    lambda_: float
    br_h_bb: float
    lepton_flavours: int
    bw_cutoff: float
    parton_level: bool
    apply_cuts: bool
    lepton_resolution: float
    jet_stochastic: float
    jet_constant: float
    met_noise: float
    unweighted: bool
    warmup: int
    max_weight_excess: float
    threads: int
    ttbar_cross_section: float
    wbb_cross_section: float
    def __init__(self, **kwargs: Union[float, int, bool]) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class WHPartonEvent:
    lepton: _FloatArray
    neutrino: _FloatArray
    b: _FloatArray
    bbar: _FloatArray
    parton1: _FloatArray
    parton2: _FloatArray
    charge: int
    def __init__(
        self,
        lepton: _ArrayLike,
        neutrino: _ArrayLike,
        b: _ArrayLike,
        bbar: _ArrayLike,
        parton1: _ArrayLike,
        parton2: _ArrayLike,
        charge: int = 1,
    ) -> None: ...

class WHSample:
    setup: Setup
    events: Events
    components: _FloatArray
    sigma_components: _FloatArray
    momenta: _FloatArray
    @property
    def options(self) -> WHOptions: ...
    candidates: int
    warmup_candidates: int
    accepted: int
    overweight: int
    def to_madminer_file(self) -> MadMinerFile: ...
    def shuffle(self, seed: int) -> None: ...
    def __len__(self) -> int: ...
    def __copy__(self) -> "WHSample": ...
    def __deepcopy__(self, memo: dict) -> "WHSample": ...

class WHTruth:
    log_p: _FloatArray
    log_r: _FloatArray
    t: _FloatArray

class PartonDensities:
    u: float
    d: float
    ubar: float
    dbar: float
    s: float
    c: float
    g: float

def grv94_lo(x: float, q2: float) -> PartonDensities: ...
def wh_monomials(theta: _ArrayLike) -> _FloatArray: ...
def wh_monomial_gradients(theta: _ArrayLike) -> _FloatArray: ...

class WHSimulator:
    def __init__(self, options: Optional[WHOptions] = None, **kwargs: Union[float, int, bool]) -> None: ...
    @property
    def options(self) -> WHOptions: ...
    @staticmethod
    def parameter_space() -> ParameterSpace: ...
    @staticmethod
    def default_benchmarks() -> List[Benchmark]: ...
    @staticmethod
    def observable_names() -> List[str]: ...
    def kappa(self) -> float: ...
    def couplings(self, theta: _ArrayLike) -> Tuple[float, float, float]: ...
    def matrix_element_pieces(self, quark: _ArrayLike, antiquark: _ArrayLike, event: WHPartonEvent) -> _FloatArray: ...
    def matrix_element_squared(self, event: WHPartonEvent, theta: _ArrayLike, quark_in_beam1: bool = True) -> float: ...
    def dsigma_components(self, event: WHPartonEvent) -> _FloatArray: ...
    def parton_observables(self, event: WHPartonEvent) -> _FloatArray: ...
    def generate(
        self, n: int, seed: int, benchmarks: Optional[Sequence[Benchmark]] = None, sampling_benchmark: int = 0
    ) -> WHSample: ...
    def add_background(self, sample: WHSample, n_ttbar: int, n_wbb: int, seed: int) -> None: ...
    def truth(self, sample: WHSample, theta0: _ArrayLike, theta1: _ArrayLike) -> WHTruth: ...
    @staticmethod
    def cross_section(sample: WHSample, theta: _ArrayLike) -> float: ...
    @staticmethod
    def cross_sections(sample: WHSample, thetas: _ArrayLike) -> _FloatArray: ...

def write_wh_lhe(path: _Path, sample: WHSample, simulator: WHSimulator) -> None: ...
def write_wh_events(path: _Path, sample: WHSample) -> None: ...
def read_wh_events(path: _Path) -> WHSample: ...

class WHBenchmarks:
    benchmarks: List[Benchmark]
    sampling_benchmark: int
    morphing: Optional[StoredMorphing]

def read_wh_benchmarks(path: _Path) -> WHBenchmarks: ...
def generate_wh(
    out: Optional[_Path] = None,
    *,
    events: int = 10000,
    background: int = 0,
    ttbar: int = 0,
    wbb: int = 0,
    benchmarks: Optional[_Path] = None,
    seed: int = 1,
    options: Optional[WHOptions] = None,
    **kwargs: Union[float, int, bool],
) -> WHSample: ...
def galton_local_samples(board: GaltonBoard, theta: float, n: int, seed: int) -> AugmentedSamples: ...
def galton_ratio_samples(
    board: GaltonBoard, theta0_low: float, theta0_high: float, theta1: float, n: int, seed: int
) -> AugmentedSamples: ...
def generate_galton(
    out: Optional[_Path] = None,
    *,
    events: int = 10000,
    theta: Optional[float] = None,
    prior: Union[None, str, ParameterPrior] = None,
    theta1: Optional[float] = None,
    seed: int = 1,
) -> AugmentedSamples: ...

class TruthTable:
    source: str
    input: str
    parameter_names: List[str]
    log_p: _FloatArray
    log_r: _FloatArray
    t: _FloatArray
    theta0: _FloatArray
    theta1: _FloatArray
    process_ids: _IntArray
    def __len__(self) -> int: ...

def truth_from_file(path: _Path, theta: Optional[_ArrayLike] = None, theta1: Optional[_ArrayLike] = None) -> TruthTable: ...
def write_truth(path: _Path, table: TruthTable) -> None: ...
def read_truth(path: _Path) -> TruthTable: ...

# ---- neural estimators (bindings/estimators.cpp) ----
_Method = Union["EstimatorMethod", str]

class EstimatorMethod:
    Sally: "EstimatorMethod"
    Sallino: "EstimatorMethod"
    Carl: "EstimatorMethod"
    Rolr: "EstimatorMethod"
    Alice: "EstimatorMethod"
    Alices: "EstimatorMethod"
    Cascal: "EstimatorMethod"
    Rascal: "EstimatorMethod"
    @property
    def label(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Activation:
    Tanh: "Activation"
    Sigmoid: "Activation"
    Relu: "Activation"
    Softplus: "Activation"
    LeakyRelu: "Activation"
    Elu: "Activation"
    @property
    def label(self) -> str: ...

class OptimizerKind:
    Amsgrad: "OptimizerKind"
    Adam: "OptimizerKind"
    Sgd: "OptimizerKind"
    @property
    def label(self) -> str: ...

class Device:
    Cpu: "Device"
    Cuda: "Device"
    @property
    def label(self) -> str: ...

class Backend:
    Auto: "Backend"
    Native: "Backend"
    Torch: "Backend"
    @property
    def label(self) -> str: ...

class StopReason:
    Completed: "StopReason"
    EarlyStopping: "StopReason"
    NonFinite: "StopReason"
    Interrupted: "StopReason"
    @property
    def label(self) -> str: ...

def parse_estimator_method(name: str) -> EstimatorMethod: ...
def parse_activation(name: str) -> Activation: ...
def parse_optimizer(name: str) -> OptimizerKind: ...
def parse_device(name: str) -> Device: ...
def parse_backend(name: str) -> Backend: ...
def is_score_method(method: _Method) -> bool: ...
def has_score_term(method: _Method) -> bool: ...
def training_sample_kind(method: _Method) -> SampleKind: ...
def default_thread_count() -> int: ...

class NetworkOptions:
    hidden: List[int]
    activation: Activation
    def __init__(self, *, hidden: Sequence[int] = ..., activation: Union[Activation, str] = "tanh") -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class TrainingOptions:
    epochs: int
    batch_size: int
    optimizer: OptimizerKind
    initial_lr: float
    final_lr: float
    nesterov_momentum: float
    validation_split: float
    early_stopping: bool
    early_stopping_patience: int
    clip_gradient: float
    alpha: float
    log_r_clip: float
    scale_inputs: bool
    limit_samplesize: int
    seed: int
    threads: int
    device: Device
    backend: Backend
    progress: int
    def __init__(
        self,
        *,
        epochs: int = 50,
        batch_size: int = 128,
        optimizer: Union[OptimizerKind, str] = "amsgrad",
        initial_lr: float = 1e-3,
        final_lr: float = 1e-4,
        nesterov_momentum: float = 0.0,
        validation_split: float = 0.25,
        early_stopping: bool = True,
        early_stopping_patience: int = 0,
        clip_gradient: float = 0.0,
        alpha: float = 1.0,
        log_r_clip: float = 10.0,
        scale_inputs: bool = True,
        limit_samplesize: int = 0,
        seed: int = 1,
        threads: int = 0,
        device: Union[Device, str] = "cpu",
        backend: Union[Backend, str] = "auto",
        progress: int = -1,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class EnsembleOptions:
    members: int
    bootstrap: bool
    def __init__(self, *, members: int = 5, bootstrap: bool = False) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class EpochRecord:
    epoch: int
    learning_rate: float
    train_loss: float
    train_loss_terms: List[float]
    validation_loss: float
    validation_loss_terms: List[float]
    seconds: float

class TrainingSummary:
    history: List[EpochRecord]
    loss_terms: List[str]
    best_epoch: int
    best_validation_loss: float
    reason: StopReason
    message: str
    n_train: int
    n_validation: int
    seconds: float
    samples_per_second: float
    backend: str
    threads: int
    @property
    def epochs(self) -> _IntArray: ...
    @property
    def learning_rates(self) -> _FloatArray: ...
    @property
    def train_losses(self) -> _FloatArray: ...
    @property
    def validation_losses(self) -> _FloatArray: ...
    @property
    def train_loss_terms_array(self) -> _FloatArray: ...
    @property
    def validation_loss_terms_array(self) -> _FloatArray: ...
    @property
    def epoch_seconds(self) -> _FloatArray: ...
    def brief_report(self) -> str: ...
    def full_report(self) -> str: ...

class RatioEvaluation:
    @property
    def log_r(self) -> _FloatArray: ...  # (T, E)
    @property
    def score(self) -> Optional[_FloatArray]: ...  # (T, E, P)

class EnsembleScore:
    @property
    def mean(self) -> _FloatArray: ...  # (E, P)
    @property
    def variance(self) -> _FloatArray: ...

class EnsembleRatio:
    @property
    def mean(self) -> _FloatArray: ...  # (T, E)
    @property
    def variance(self) -> _FloatArray: ...
    @property
    def score_mean(self) -> Optional[_FloatArray]: ...  # (T, E, P)
    @property
    def score_variance(self) -> Optional[_FloatArray]: ...

_EpochCallback = Callable[[EpochRecord], Optional[bool]]

class Estimator:
    def __init__(
        self,
        method: _Method,
        n_observables: int,
        n_parameters: int,
        network: Optional[NetworkOptions] = None,
        seed: int = 1,
        **kwargs: object,
    ) -> None: ...
    @property
    def method(self) -> EstimatorMethod: ...
    @property
    def network(self) -> NetworkOptions: ...
    @property
    def n_observables(self) -> int: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def is_score_estimator(self) -> bool: ...
    @property
    def observable_names(self) -> List[str]: ...
    @property
    def parameter_names(self) -> List[str]: ...
    @property
    def reference_theta(self) -> _FloatArray: ...
    @property
    def x_means(self) -> _FloatArray: ...
    @property
    def x_stds(self) -> _FloatArray: ...
    @property
    def theta_means(self) -> _FloatArray: ...
    @property
    def theta_stds(self) -> _FloatArray: ...
    def scalings(self) -> dict: ...
    @property
    def training_summary(self) -> TrainingSummary: ...
    def train(
        self,
        samples: AugmentedSamples,
        options: Optional[TrainingOptions] = None,
        *,
        validation: Optional[AugmentedSamples] = None,
        callback: Optional[_EpochCallback] = None,
        **kwargs: object,
    ) -> TrainingSummary: ...
    def evaluate_score(self, x: _ArrayLike, threads: int = 0) -> _FloatArray: ...
    def evaluate_log_ratio(
        self, x: _ArrayLike, thetas: _ArrayLike, with_score: bool = False, threads: int = 0
    ) -> RatioEvaluation: ...
    def save(self, path: _Path) -> None: ...
    @staticmethod
    def load(path: _Path) -> "Estimator": ...
    def export_madminer(self, prefix: _Path) -> List["os.PathLike[str]"]: ...
    def __copy__(self) -> "Estimator": ...
    def __deepcopy__(self, memo: dict) -> "Estimator": ...

class Ensemble:
    @overload
    def __init__(self, members: Sequence[Estimator]) -> None: ...
    @overload
    def __init__(
        self,
        method: _Method,
        n_observables: int,
        n_parameters: int,
        options: Optional[EnsembleOptions] = None,
        network: Optional[NetworkOptions] = None,
        seed: int = 1,
        **kwargs: object,
    ) -> None: ...
    def __len__(self) -> int: ...
    @property
    def size(self) -> int: ...
    def __getitem__(self, index: int) -> Estimator: ...
    @property
    def members(self) -> List[Estimator]: ...
    @property
    def method(self) -> EstimatorMethod: ...
    @property
    def is_score_estimator(self) -> bool: ...
    @property
    def training_summaries(self) -> List[TrainingSummary]: ...
    def train(
        self,
        samples: Union[AugmentedSamples, Sequence[AugmentedSamples]],
        options: Optional[TrainingOptions] = None,
        *,
        bootstrap: bool = False,
        validation: Optional[AugmentedSamples] = None,
        callback: Optional[_EpochCallback] = None,
        **kwargs: object,
    ) -> List[TrainingSummary]: ...
    def evaluate_score(self, x: _ArrayLike, threads: int = 0) -> EnsembleScore: ...
    def evaluate_log_ratio(
        self, x: _ArrayLike, thetas: _ArrayLike, with_score: bool = False, threads: int = 0
    ) -> EnsembleRatio: ...
    def save(self, path: _Path) -> None: ...
    @staticmethod
    def load(path: _Path) -> "Ensemble": ...
    def export_madminer(self, prefix: _Path) -> List["os.PathLike[str]"]: ...
    def __copy__(self) -> "Ensemble": ...
    def __deepcopy__(self, memo: dict) -> "Ensemble": ...

_AnyEstimator = Union[Estimator, Ensemble]

class RatioCalibration:
    @property
    def thetas(self) -> _FloatArray: ...
    @property
    def expectation(self) -> _FloatArray: ...
    @property
    def expectation_error(self) -> _FloatArray: ...
    @property
    def log_correction(self) -> _FloatArray: ...

class ReferenceCheck:
    mean: float
    std: float
    max_abs: float

def expectation_calibration(
    estimator: _AnyEstimator, x_from_theta1: _ArrayLike, thetas: _ArrayLike, weights: Optional[_ArrayLike] = None
) -> RatioCalibration: ...
def reference_hypothesis_check(estimator: _AnyEstimator, x: _ArrayLike) -> ReferenceCheck: ...

class EvaluationResult:
    method: EstimatorMethod
    parameter_names: List[str]
    observable_names: List[str]
    thetas: _FloatArray
    log_r: _FloatArray
    log_r_variance: _FloatArray
    t: _FloatArray
    t_variance: _FloatArray
    n_members: int
    model: str
    input: str
    def __init__(self, **kwargs: object) -> None: ...
    def __copy__(self) -> "EvaluationResult": ...
    def __deepcopy__(self, memo: dict) -> "EvaluationResult": ...

def evaluate(
    estimator: _AnyEstimator, x: _ArrayLike, thetas: Optional[_ArrayLike] = None, with_score: bool = False, threads: int = 0
) -> EvaluationResult: ...
def write_evaluation(path: _Path, result: EvaluationResult) -> None: ...
def read_evaluation(path: _Path) -> EvaluationResult: ...

# ---- limits (bindings/limits.cpp) ----
class LimitMode:
    Rate: "LimitMode"
    Histo: "LimitMode"
    Sally: "LimitMode"
    Sallino: "LimitMode"
    AdaptiveSally: "LimitMode"
    Ml: "LimitMode"
    @property
    def label(self) -> str: ...

class BinningReference:
    Auto: "BinningReference"
    Grid: "BinningReference"
    Center: "BinningReference"
    PerPoint: "BinningReference"
    @property
    def label(self) -> str: ...

class FisherKind:
    Truth: "FisherKind"
    Rate: "FisherKind"
    Histogram: "FisherKind"
    Score: "FisherKind"
    @property
    def label(self) -> str: ...

def parse_limit_mode(name: str) -> LimitMode: ...
def is_binned(mode: Union[LimitMode, str]) -> bool: ...
def needs_score(mode: Union[LimitMode, str]) -> bool: ...

class AxisBinning:
    edges: List[float]
    n_bins: int
    def __init__(self, spec: Union[int, Sequence[float]]) -> None: ...
    @staticmethod
    def fixed(edges: Sequence[float]) -> "AxisBinning": ...
    @staticmethod
    def adaptive(n_bins: int) -> "AxisBinning": ...
    @property
    def is_adaptive(self) -> bool: ...
    @property
    def size(self) -> int: ...
    def __len__(self) -> int: ...
    def validate(self, what: str = "binning") -> None: ...

_Binning = Union[int, AxisBinning, Sequence[Union[int, Sequence[float], AxisBinning]]]

class GridAxis:
    low: float
    high: float
    n_points: int
    def __init__(self, low: float, high: float, n_points: int) -> None: ...
    @staticmethod
    def range(low: float, high: float, n_points: int) -> "GridAxis": ...
    @staticmethod
    def fixed(value: float) -> "GridAxis": ...
    def values(self) -> _FloatArray: ...

_Axis = Union[GridAxis, float, Tuple[float, float, int]]

class ScanGrid:
    @staticmethod
    def regular(axes: Sequence[_Axis]) -> "ScanGrid": ...
    @staticmethod
    def points(thetas: _ArrayLike) -> "ScanGrid": ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def size(self) -> int: ...
    def __len__(self) -> int: ...
    @property
    def thetas(self) -> _FloatArray: ...
    @property
    def is_regular(self) -> bool: ...
    @property
    def axes(self) -> List[GridAxis]: ...
    def axis_values(self, p: int) -> _FloatArray: ...
    def scanned_parameters(self) -> List[int]: ...
    @property
    def shape(self) -> List[int]: ...
    def centre(self) -> _FloatArray: ...

_Grid = Union[ScanGrid, Sequence[_Axis], _FloatArray]

class LimitOptions:
    mode: LimitMode
    include_rate: bool
    luminosity: float
    round_observed_count: bool
    observables: List[str]
    score_components: List[int]
    binning: List[AxisBinning]
    binning_reference: BinningReference
    template_partition: Partition
    rate_partition: Partition
    theta_ref: _FloatArray
    empty_bin_floor: float
    test_split: float
    validation_split: float
    asimov_from_closest_benchmark: bool
    dof: int
    confidence_levels: List[float]
    refine_best_fit: bool
    refine_crossings: bool
    profile_nuisance_parameters: bool
    theta_batch_size: int
    def __init__(
        self,
        *,
        mode: Union[LimitMode, str] = "rate",
        include_rate: bool = True,
        luminosity: float = 300000.0,
        round_observed_count: bool = True,
        observables: Sequence[str] = ...,
        score_components: Sequence[int] = ...,
        binning: Optional[_Binning] = None,
        binning_reference: Union[BinningReference, str] = "auto",
        template_partition: Union[Partition, str] = "train",
        rate_partition: Union[Partition, str] = "test",
        theta_ref: Optional[_ArrayLike] = None,
        empty_bin_floor: float = 1e-12,
        test_split: float = 0.2,
        validation_split: float = 0.2,
        asimov_from_closest_benchmark: bool = True,
        dof: int = 0,
        confidence_levels: Sequence[float] = (0.68, 0.95),
        refine_best_fit: bool = True,
        refine_crossings: bool = True,
        profile_nuisance_parameters: bool = True,
        theta_batch_size: int = 32,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class FisherOptions:
    kind: FisherKind
    luminosity: float
    include_rate: bool
    partition: Partition
    test_split: float
    validation_split: float
    observables: List[str]
    binning: List[AxisBinning]
    def __init__(self, **kwargs: object) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class PlotOptions:
    width: int
    height: int
    formats: List[str]
    title: str
    q_max: float
    def __init__(self, **kwargs: object) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class IntervalSegment:
    low: float
    high: float
    low_open: bool
    high_open: bool

class ParameterInterval:
    parameter: str
    parameter_index: int
    confidence_level: float
    q_threshold: float
    profiled: bool
    refined: bool
    segments: List[IntervalSegment]

class ParameterProfile:
    parameter: str
    parameter_index: int
    values: _FloatArray
    q: _FloatArray
    profiled: bool

class ContourLine:
    points: _FloatArray  # (n, 2)
    closed: bool

class Contour:
    confidence_level: float
    q_threshold: float
    parameter_x: int
    parameter_y: int
    lines: List[ContourLine]

class LimitResult:
    label: str
    mode: LimitMode
    include_rate: bool
    expected: bool
    parameter_names: List[str]
    luminosity: float
    n_events: float
    dof: int
    confidence_levels: List[float]
    grid: ScanGrid
    best_index: int
    best_fit_log_likelihood: float
    best_fit_on_boundary: bool
    best_fit_method: str
    nuisance_names: List[str]
    profiles: List[ParameterProfile]
    intervals: List[ParameterInterval]
    contours: List[Contour]
    histogram_axes: List[str]
    bin_edges: List[List[float]]
    notes: List[str]
    n_evaluations: int
    seconds: float
    @property
    def thetas(self) -> _FloatArray: ...
    @property
    def theta_true(self) -> _FloatArray: ...
    @property
    def log_likelihood_kinematic(self) -> _FloatArray: ...
    @property
    def log_likelihood_rate(self) -> _FloatArray: ...
    @property
    def log_likelihood_constraint(self) -> _FloatArray: ...
    @property
    def log_likelihood(self) -> _FloatArray: ...
    @property
    def q(self) -> _FloatArray: ...
    @property
    def p_values(self) -> _FloatArray: ...
    @property
    def best_fit(self) -> _FloatArray: ...
    @property
    def nuisance_values(self) -> _FloatArray: ...
    def interval(self, parameter: str, confidence_level: float = 0.68) -> ParameterInterval: ...
    def brief_report(self) -> str: ...
    def full_report(self) -> str: ...
    def report(self, kind: str = "full") -> str: ...
    def to_json(self, indent: int = 2) -> str: ...
    def to_dict(self) -> dict: ...
    def __copy__(self) -> "LimitResult": ...
    def __deepcopy__(self, memo: dict) -> "LimitResult": ...

class FisherInformation:
    @property
    def kind(self) -> FisherKind: ...
    theta: _FloatArray
    luminosity: float
    include_rate: bool
    information: _FloatArray
    n_skipped: int
    def interval_half_widths(self, confidence_level: float = 0.68) -> _FloatArray: ...

def chi2_quantile(confidence_level: float, dof: int) -> float: ...
def asymptotic_p_value(q: float, dof: int) -> float: ...
def asymptotic_p_values(q: _ArrayLike, dof: int) -> _FloatArray: ...
def poisson_log_likelihood(k: float, mu: float) -> float: ...
def interval_segments(x: _ArrayLike, q: _ArrayLike, threshold: float) -> List[IntervalSegment]: ...

class ScoreFunction:
    def __call__(self, x: _ArrayLike) -> _FloatArray: ...

class LogRatioFunction:
    def __call__(self, x: _ArrayLike, thetas: _ArrayLike) -> _FloatArray: ...

def score_function(estimator: _AnyEstimator, threads: int = 0) -> ScoreFunction: ...
def log_ratio_function(estimator: _AnyEstimator, threads: int = 0) -> LogRatioFunction: ...
def calibrated_log_ratio_function(
    estimator: _AnyEstimator,
    x_from_theta1: _ArrayLike,
    weights: Optional[_ArrayLike] = None,
    subtract_reference: bool = True,
    threads: int = 0,
) -> LogRatioFunction: ...

class PartitionEvents:
    begin: int
    end: int
    @property
    def rows(self) -> _IntArray: ...
    @property
    def factors(self) -> _FloatArray: ...
    def __len__(self) -> int: ...

def partition_events(
    setup: Setup,
    events: Events,
    partition: Union[Partition, str] = "test",
    test_split: float = 0.2,
    validation_split: float = 0.2,
    run: int = -1,
) -> PartitionEvents: ...
def closest_generation_run(setup: Setup, events: Events, theta: Union[_ArrayLike, str]) -> int: ...

_ScoreCallable = Union[ScoreFunction, Callable[[_FloatArray], _ArrayLike]]
_LogRatioCallable = Union[LogRatioFunction, Callable[[_FloatArray, _FloatArray], _ArrayLike]]

class AsymptoticLimits:
    @overload
    def __init__(self, file: Union[MadMinerFile, _Path]) -> None: ...
    @overload
    def __init__(self, setup: Setup, events: Events) -> None: ...
    @property
    def setup(self) -> Setup: ...
    @property
    def events(self) -> Events: ...
    def nuisance_parameter_names(self) -> List[str]: ...
    def expected_limits(
        self,
        theta_true: Union[_ArrayLike, str],
        grid: _Grid,
        options: Optional[LimitOptions] = None,
        *,
        estimator: Optional[_AnyEstimator] = None,
        score: Optional[_ScoreCallable] = None,
        log_ratio: Optional[_LogRatioCallable] = None,
        label: Optional[str] = None,
        **kwargs: object,
    ) -> LimitResult: ...
    def observed_limits(
        self,
        x_observed: _ArrayLike,
        grid: _Grid,
        options: Optional[LimitOptions] = None,
        *,
        estimator: Optional[_AnyEstimator] = None,
        score: Optional[_ScoreCallable] = None,
        log_ratio: Optional[_LogRatioCallable] = None,
        label: Optional[str] = None,
        **kwargs: object,
    ) -> LimitResult: ...
    def cross_sections(
        self,
        thetas: _ArrayLike,
        partition: Union[Partition, str] = "test",
        test_split: float = 0.2,
        validation_split: float = 0.2,
    ) -> _FloatArray: ...
    def fisher_information(
        self,
        theta: Union[_ArrayLike, str],
        options: Optional[FisherOptions] = None,
        *,
        estimator: Optional[_AnyEstimator] = None,
        score: Optional[_ScoreCallable] = None,
        **kwargs: object,
    ) -> FisherInformation: ...

def write_limit_results_json(path: _Path, results: Sequence[LimitResult]) -> None: ...
def limits_table(results: Sequence[LimitResult]) -> str: ...
def plot_limit_scans(
    results: Sequence[LimitResult], parameter: str, stem: _Path, options: Optional[PlotOptions] = None, **kwargs: object
) -> List["os.PathLike[str]"]: ...
def plot_limit_contours(
    results: Sequence[LimitResult], stem: _Path, options: Optional[PlotOptions] = None, **kwargs: object
) -> List["os.PathLike[str]"]: ...
