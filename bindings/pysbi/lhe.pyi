"""Type stub of pysbi.lhe (bindings/lhe.cpp): LHE files, observables and cuts, conversion to MadMiner
events. Momenta in GeV, weights and cross sections in pb."""

import os
import pathlib
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._pysbi import MadMinerFile, Observable, Parameter, Setup

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_Path = Union[str, "os.PathLike[str]"]

class Particle:
    pdg_id: int
    status: int
    mother1: int
    mother2: int
    color1: int
    color2: int
    px: float
    py: float
    pz: float
    e: float
    m: float
    lifetime: float
    spin: float
    def __init__(self) -> None: ...

class ProcessInfo:
    cross_section_pb: float
    cross_section_error_pb: float
    max_weight: float
    process_id: int

class InitBlock:
    beam_pdg_id: Tuple[int, int]
    beam_energy_gev: Tuple[float, float]
    pdf_group: Tuple[int, int]
    pdf_set: Tuple[int, int]
    weighting_strategy: int
    processes: List[ProcessInfo]
    extra: str

class WeightInfo:
    id: str
    text: str
    group: str

class EventNorm:
    unknown: "EventNorm"
    average: "EventNorm"
    sum: "EventNorm"
    unity: "EventNorm"
    bias: "EventNorm"
    name: str
    value: int

class Header:
    version: str
    text: str
    init: InitBlock
    weights: List[WeightInfo]
    run_card: str
    param_card: str
    event_norm: EventNorm
    run_card_nevents: Optional[int]
    generated_events: Optional[int]

class Event:
    index: int
    line: int
    process_id: int
    weight: float
    scale: float
    alpha_qed: float
    alpha_qcd: float
    particles: List[Particle]
    attributes: List[Tuple[str, str]]
    def __init__(self) -> None: ...
    @property
    def named_weights(self) -> _FloatArray: ...
    @property
    def weight_list(self) -> _FloatArray: ...
    @property
    def momenta(self) -> _FloatArray: ...
    @property
    def pdg_ids(self) -> _IntArray: ...
    @property
    def statuses(self) -> _IntArray: ...

class ReaderOptions:
    event_norm: EventNorm
    override_header_event_norm: bool
    max_line_bytes: int
    max_particles: int
    def __init__(
        self,
        *,
        event_norm: Union[EventNorm, str] = ...,
        override_header_event_norm: bool = False,
        max_line_bytes: int = 16777216,
        max_particles: int = 100000,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class Reader:
    def __init__(self, path: _Path, options: Optional[ReaderOptions] = None, **kwargs: object) -> None: ...
    @property
    def header(self) -> Header: ...
    @property
    def path(self) -> pathlib.Path: ...
    @property
    def weight_ids(self) -> List[str]: ...
    @property
    def event_norm(self) -> EventNorm: ...
    @property
    def events_read(self) -> int: ...
    @property
    def bytes_read(self) -> int: ...
    def next(self) -> Optional[Event]: ...
    def __iter__(self) -> Iterator[Event]: ...
    def __next__(self) -> Event: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Reader": ...
    def __exit__(self, *args: object) -> None: ...

def read_header(path: _Path, options: Optional[ReaderOptions] = None, **kwargs: object) -> Header: ...

class ParamCardChange:
    block: str
    lha_id: int
    value: float
    original: Optional[float]

def parse_reweight_text(text: str) -> Optional[List[ParamCardChange]]: ...
def param_card_entry(param_card: str, block: str, lha_id: int) -> Optional[Tuple[float, str]]: ...

class SetupFromHeaderOptions:
    max_power: int
    parameters: List[Parameter]
    range_factor: float
    build_morphing: bool
    def __init__(
        self,
        *,
        max_power: int = 2,
        parameters: Sequence[Parameter] = ...,
        range_factor: float = 1.0,
        build_morphing: bool = True,
    ) -> None: ...
    def to_dict(self) -> dict: ...

def setup_from_header(header: Header, options: Optional[SetupFromHeaderOptions] = None, **kwargs: object) -> Setup: ...
def map_benchmarks_to_weights(
    setup: Setup, weight_ids: Sequence[str], weight_for_benchmark: Optional[Dict[str, str]] = None
) -> List[int]: ...

class FourMomentum:
    px: float
    py: float
    pz: float
    e: float
    def __init__(self, px: float = 0.0, py: float = 0.0, pz: float = 0.0, e: float = 0.0) -> None: ...
    def pt(self) -> float: ...
    def eta(self) -> float: ...
    def rapidity(self) -> float: ...
    def phi(self) -> float: ...
    def m(self) -> float: ...
    def __add__(self, other: "FourMomentum") -> "FourMomentum": ...

def delta_phi(phi1: float, phi2: float) -> float: ...
def delta_r(a: FourMomentum, b: FourMomentum) -> float: ...

class PhysicsObject:
    p: FourMomentum
    pdg_id: int

class KinematicsOptions:
    invisible_pdg_ids: List[int]
    def __init__(self, *, invisible_pdg_ids: Sequence[int] = ...) -> None: ...
    def to_dict(self) -> dict: ...

class Kinematics:
    leptons: List[PhysicsObject]
    electrons: List[PhysicsObject]
    muons: List[PhysicsObject]
    taus: List[PhysicsObject]
    photons: List[PhysicsObject]
    jets: List[PhysicsObject]
    b_quarks: List[PhysicsObject]
    neutrinos: List[PhysicsObject]
    higgs: List[PhysicsObject]
    visible: List[PhysicsObject]
    missing: FourMomentum
    event: Event
    particles: List[Particle]
    @staticmethod
    def from_event(event: Event, options: Optional[KinematicsOptions] = None, **kwargs: object) -> "Kinematics": ...
    def momenta(self, collection: str) -> _FloatArray: ...
    def pdg_ids(self, collection: str) -> _IntArray: ...
    def value(self, name: str) -> float: ...

_ObservableFunction = Callable[[Kinematics], Optional[float]]

def builtin_variable(name: str) -> Callable[[Kinematics], float]: ...
def is_builtin_variable(name: str) -> bool: ...

class ObservableSpec:
    name: str
    expression: str
    function: Optional[_ObservableFunction]
    required: bool
    default_value: float
    def __init__(
        self,
        name: str,
        expression: str = "",
        function: Optional[_ObservableFunction] = None,
        required: bool = True,
        default_value: float = 0.0,
    ) -> None: ...

class CutSpec:
    expression: str
    function: Optional[_ObservableFunction]
    pass_if_undefined: bool
    def __init__(
        self, expression: str = "", function: Optional[_ObservableFunction] = None, pass_if_undefined: bool = False
    ) -> None: ...

class EfficiencySpec:
    expression: str
    function: Optional[_ObservableFunction]
    default_value: float
    def __init__(
        self, expression: str = "", function: Optional[_ObservableFunction] = None, default_value: float = 1.0
    ) -> None: ...

_Observables = Union[
    Sequence[Union[ObservableSpec, Tuple[str, Union[str, _ObservableFunction]]]],
    Dict[str, Union[str, _ObservableFunction]],
]
_Cuts = Sequence[Union[CutSpec, str, _ObservableFunction]]
_Efficiencies = Sequence[Union[EfficiencySpec, str, _ObservableFunction]]

class ObservableCalculator:
    class Outcome:
        kept: "ObservableCalculator.Outcome"
        failed_cut: "ObservableCalculator.Outcome"
        undefined_observable: "ObservableCalculator.Outcome"
        name: str
        value: int
    def __init__(
        self, observables: _Observables, cuts: Optional[_Cuts] = None, kinematics: Optional[KinematicsOptions] = None
    ) -> None: ...
    def evaluate(self, event: Event) -> Tuple["ObservableCalculator.Outcome", _FloatArray, int]: ...
    @property
    def n_observables(self) -> int: ...
    def observables(self) -> List[Observable]: ...

class LheSample:
    path: pathlib.Path
    sampling_benchmark: str
    is_background: bool
    background_weight_id: str
    k_factor: float
    def __init__(
        self,
        path: _Path,
        sampling_benchmark: str = "",
        is_background: bool = False,
        background_weight_id: str = "",
        k_factor: float = 1.0,
    ) -> None: ...

class ConvertOptions:
    observables: List[ObservableSpec]
    cuts: List[CutSpec]
    efficiencies: List[EfficiencySpec]
    kinematics: KinematicsOptions
    reader: ReaderOptions
    weight_for_benchmark: List[Tuple[str, str]]
    ignore_unmapped_weights: bool
    shuffle: bool
    seed: int
    def __init__(
        self,
        *,
        observables: _Observables = ...,
        cuts: _Cuts = ...,
        efficiencies: _Efficiencies = ...,
        kinematics: KinematicsOptions = ...,
        reader: ReaderOptions = ...,
        weight_for_benchmark: Union[Dict[str, str], Sequence[Tuple[str, str]]] = ...,
        ignore_unmapped_weights: bool = False,
        shuffle: bool = False,
        seed: int = 1234,
    ) -> None: ...
    def to_dict(self) -> dict: ...
    def validate(self) -> None: ...

class SampleReport:
    path: pathlib.Path
    events_read: int
    events_kept: int
    failed_cuts: int
    undefined_observables: int
    negative_weight_events: int
    event_norm: EventNorm
    cross_section_pb: float

def convert(
    setup: Setup,
    samples: Sequence[Union[LheSample, _Path]],
    options: Optional[ConvertOptions] = None,
    **kwargs: object,
) -> Tuple[MadMinerFile, List[SampleReport]]: ...
