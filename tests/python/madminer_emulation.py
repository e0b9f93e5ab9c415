"""A stand-in for MadMiner v0.9's HDF5 interface (madminer/utils/interfaces/hdf5.py), written with
h5py, for the compatibility tests. MadMiner itself cannot be installed here.

This is an independent re-implementation of the *behaviour* documented in DESIGN.md section 7,
not MadMiner's code:

* reading: every dataset is read whole with ``[()]``; strings are bytes decoded with
  ``.decode("ascii")`` (strict: a non-ASCII byte raises UnicodeDecodeError); "None" means absent;
  ``int(max_power)`` per parameter (so the old (n_p, 1) layout works); ``tuple(range)``;
  morphing components as an int array and the matrix as a float array, used as stored;
* writing: ``create_dataset(name, data=[s.encode("ascii") ...], dtype="S256")`` for strings,
  ``str(None)`` = "None" for absent ones, plain int64 / float64 NumPy arrays otherwise, no
  attributes, no compression.

The reader also records the raw dtype and shape of every dataset it touched (``raw``), so that the
tests can check the layout a file presents to MadMiner, not only the decoded values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import h5py
import numpy as np

NONE_STRING = str(None)  # MadMiner stores absent strings as "None"


def _decode(raw: bytes) -> str:
    return raw.decode("ascii")  # strict, as MadMiner does


def _optional(text: str) -> Optional[str]:
    return None if text == NONE_STRING else text


@dataclass
class EmulatedParameter:
    name: str
    lha_block: str
    lha_id: int
    max_power: int
    val_range: Tuple[float, float]
    transform: Optional[str]


@dataclass
class EmulatedNuisance:
    name: str
    systematic: str
    benchmark_positive: Optional[str]
    benchmark_negative: Optional[str]


@dataclass
class EmulatedSystematic:
    name: str
    type: str
    value: str
    scale: Optional[str]


@dataclass
class EmulatedContent:
    """What the emulated loader returns (MadMiner returns these as a tuple)."""

    parameters: List[EmulatedParameter]
    benchmark_names: List[str]
    benchmark_values: np.ndarray  # (n_b, n_p) float
    benchmark_is_nuisance: List[bool]
    reference_benchmark: Optional[str]
    morphing_components: Optional[np.ndarray]  # (n_c, n_p) int
    morphing_matrix: Optional[np.ndarray]  # (n_c, n_b_phys) float
    observables: Dict[str, Optional[str]]  # name -> definition (insertion order = column order)
    n_samples: int
    observations: Optional[np.ndarray]
    weights: Optional[np.ndarray]
    sampling_benchmarks: Optional[np.ndarray]
    signal_events: Optional[np.ndarray]
    background_events: Optional[int]
    systematics: List[EmulatedSystematic]
    nuisance_parameters: List[EmulatedNuisance]
    finite_difference_benchmarks: Optional[Dict[str, List[str]]]
    finite_difference_epsilon: Optional[float]
    raw: Dict[str, Tuple[np.dtype, tuple]] = field(default_factory=dict)


class _Reader:
    def __init__(self, f: h5py.File):
        self.f = f
        self.raw: Dict[str, Tuple[np.dtype, tuple]] = {}

    def has(self, name: str) -> bool:
        return name in self.f

    def get(self, name: str):
        dataset = self.f[name]
        self.raw[name] = (dataset.dtype, dataset.shape)
        return dataset[()]

    def strings(self, name: str) -> List[str]:
        return [_decode(s) for s in self.get(name)]


def load_madminer_settings(path, load_events: bool = True) -> EmulatedContent:
    """Reads a file the way MadMiner v0.9's loader does."""
    with h5py.File(path, "r") as f:
        r = _Reader(f)

        names = r.strings("parameters/names")
        blocks = r.strings("parameters/lha_blocks")
        ids = [int(i) for i in r.get("parameters/lha_ids")]
        max_powers = [int(p) for p in r.get("parameters/max_power")]
        ranges_name = "parameters/val_ranges" if r.has("parameters/val_ranges") else "parameters/ranges"
        ranges = [tuple(rg) for rg in r.get(ranges_name)]
        transforms = (
            [_optional(t) for t in r.strings("parameters/transforms")]
            if r.has("parameters/transforms")
            else [None] * len(names)
        )
        parameters = [
            EmulatedParameter(n, b, i, p, (float(rg[0]), float(rg[1])), t)
            for n, b, i, p, rg, t in zip(names, blocks, ids, max_powers, ranges, transforms)
        ]

        benchmark_names = r.strings("benchmarks/names")
        benchmark_values = np.asarray(r.get("benchmarks/values"), dtype=float)
        is_nuisance = (
            [bool(x) for x in r.get("benchmarks/is_nuisance")]
            if r.has("benchmarks/is_nuisance")
            else [False] * len(benchmark_names)
        )
        reference = None
        if r.has("benchmarks/is_reference"):
            for name, flag in zip(benchmark_names, r.get("benchmarks/is_reference")):
                if flag:
                    reference = name

        components = matrix = None
        if r.has("morphing/components"):
            components = np.asarray(r.get("morphing/components"), dtype=int)
            matrix = np.asarray(r.get("morphing/morphing_matrix"), dtype=float)

        observables: Dict[str, Optional[str]] = {}
        if r.has("observables/names"):
            for name, definition in zip(r.strings("observables/names"), r.strings("observables/definitions")):
                observables[name] = _optional(definition)

        n_samples = 0
        observations = weights = sampling = None
        if r.has("samples/observations"):
            n_samples = int(f["samples/observations"].shape[0])
            if load_events:
                observations = r.get("samples/observations")
                weights = r.get("samples/weights")
                if r.has("samples/sampling_benchmarks"):
                    sampling = r.get("samples/sampling_benchmarks")

        signal_events = background_events = None
        if r.has("sample_summary/signal_events"):
            signal_events = r.get("sample_summary/signal_events")
            background_events = int(r.get("sample_summary/background_events"))

        systematics = []
        if r.has("systematics/names"):
            for n, t, v, s in zip(
                r.strings("systematics/names"),
                r.strings("systematics/types"),
                r.strings("systematics/values"),
                r.strings("systematics/scales"),
            ):
                systematics.append(EmulatedSystematic(n, t, v, _optional(s)))

        nuisance = []
        if r.has("nuisance_parameters/names"):
            for n, s, p, m in zip(
                r.strings("nuisance_parameters/names"),
                r.strings("nuisance_parameters/systematics"),
                r.strings("nuisance_parameters/benchmark_positive"),
                r.strings("nuisance_parameters/benchmark_negative"),
            ):
                nuisance.append(EmulatedNuisance(n, s, _optional(p), _optional(m)))

        fd_benchmarks = fd_epsilon = None
        if r.has("finite_differences/base_benchmarks"):
            base = r.strings("finite_differences/base_benchmarks")
            shifted = r.get("finite_differences/shifted_benchmarks")
            fd_benchmarks = {b: [_decode(s) for s in row] for b, row in zip(base, shifted)}
            fd_epsilon = float(r.get("finite_differences/epsilon"))

        return EmulatedContent(
            parameters=parameters,
            benchmark_names=benchmark_names,
            benchmark_values=benchmark_values,
            benchmark_is_nuisance=is_nuisance,
            reference_benchmark=reference,
            morphing_components=components,
            morphing_matrix=matrix,
            observables=observables,
            n_samples=n_samples,
            observations=observations,
            weights=weights,
            sampling_benchmarks=sampling,
            signal_events=signal_events,
            background_events=background_events,
            systematics=systematics,
            nuisance_parameters=nuisance,
            finite_difference_benchmarks=fd_benchmarks,
            finite_difference_epsilon=fd_epsilon,
            raw=r.raw,
        )


def _write_strings(f: h5py.File, name: str, strings) -> None:
    f.create_dataset(name, data=[str(s).encode("ascii") for s in strings], dtype="S256")


def save_madminer_file(
    path,
    parameters: List[EmulatedParameter],
    benchmark_names: List[str],
    benchmark_values,
    benchmark_is_nuisance: List[bool],
    reference_benchmark: Optional[str] = None,
    morphing_components=None,
    morphing_matrix=None,
    observables: Optional[Dict[str, Optional[str]]] = None,
    systematics: Optional[List[EmulatedSystematic]] = None,
    nuisance_parameters: Optional[List[EmulatedNuisance]] = None,
    observations=None,
    weights=None,
    sampling_benchmarks=None,
    signal_events=None,
    background_events: int = 0,
) -> None:
    """Writes a file the way MadMiner v0.9's writer does (settings, then nuisance set-up, then events)."""
    with h5py.File(path, "w") as f:
        _write_strings(f, "parameters/names", [p.name for p in parameters])
        _write_strings(f, "parameters/lha_blocks", [p.lha_block for p in parameters])
        f.create_dataset("parameters/lha_ids", data=np.array([p.lha_id for p in parameters], dtype=int))
        f.create_dataset("parameters/max_power", data=np.array([p.max_power for p in parameters], dtype=int))
        f.create_dataset("parameters/val_ranges", data=np.array([p.val_range for p in parameters], dtype=float))
        _write_strings(f, "parameters/transforms", [str(p.transform) for p in parameters])

        _write_strings(f, "benchmarks/names", benchmark_names)
        f.create_dataset("benchmarks/values", data=np.asarray(benchmark_values, dtype=float))
        f.create_dataset("benchmarks/is_nuisance", data=np.array([int(x) for x in benchmark_is_nuisance], dtype=int))
        f.create_dataset(
            "benchmarks/is_reference", data=np.array([int(n == reference_benchmark) for n in benchmark_names], dtype=int)
        )

        if morphing_components is not None:
            f.create_dataset("morphing/components", data=np.asarray(morphing_components, dtype=int))
            f.create_dataset("morphing/morphing_matrix", data=np.asarray(morphing_matrix, dtype=float))

        if observables:
            _write_strings(f, "observables/names", list(observables))
            _write_strings(f, "observables/definitions", [str(d) for d in observables.values()])

        if systematics:
            _write_strings(f, "systematics/names", [s.name for s in systematics])
            _write_strings(f, "systematics/types", [s.type for s in systematics])
            _write_strings(f, "systematics/values", [str(s.value) for s in systematics])
            _write_strings(f, "systematics/scales", [str(s.scale) for s in systematics])

        if nuisance_parameters:
            _write_strings(f, "nuisance_parameters/names", [n.name for n in nuisance_parameters])
            _write_strings(f, "nuisance_parameters/systematics", [n.systematic for n in nuisance_parameters])
            _write_strings(
                f, "nuisance_parameters/benchmark_positive", [str(n.benchmark_positive) for n in nuisance_parameters]
            )
            _write_strings(
                f, "nuisance_parameters/benchmark_negative", [str(n.benchmark_negative) for n in nuisance_parameters]
            )

        if observations is not None:
            f.create_dataset("samples/observations", data=np.asarray(observations, dtype=float))
            f.create_dataset("samples/weights", data=np.asarray(weights, dtype=float))
            f.create_dataset("samples/sampling_benchmarks", data=np.asarray(sampling_benchmarks, dtype=int))
            f.create_dataset("sample_summary/signal_events", data=np.asarray(signal_events, dtype=int))
            f.create_dataset("sample_summary/background_events", data=np.int64(background_events))
