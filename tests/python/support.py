"""Helpers shared by the pysbi test modules: bit-exact comparisons, a check that long calls release
the GIL, and a MadMinerFile that uses every feature of the format."""

import threading
import time

import numpy as np

import pysbi


def assert_bits_equal(actual, expected):
    """Same shape, equal values, and the same bit patterns (tells -0.0 from 0.0)."""
    actual = np.ascontiguousarray(actual)
    expected = np.ascontiguousarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    assert np.array_equal(actual, expected)
    if actual.dtype == np.float64:
        assert np.array_equal(actual.view(np.uint64), expected.view(np.uint64))


def assert_releases_the_gil(work):
    """Runs work() in a thread while this one keeps running Python code: the longest pause between
    two of its steps stays far below the call's duration (with the GIL held it would be all of it)."""
    done = threading.Event()
    duration = []

    def run():
        start = time.perf_counter()
        work()
        duration.append(time.perf_counter() - start)
        done.set()

    thread = threading.Thread(target=run)
    last, longest = time.perf_counter(), 0.0
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    thread.join()
    assert duration[0] > 0.1 and longest < 0.5 * duration[0], (longest, duration[0])


def decode(strings):
    return [s.decode("ascii") for s in strings]


def make_file(n_events=257, seed=7):
    """A MadMinerFile using every feature: nuisance benchmarks, systematics, finite differences,
    process labels, and awkward doubles (-0.0, denormals, 1e300)."""
    rng = np.random.default_rng(seed)
    parameters = [
        pysbi.Parameter("cHWtil", lha_block="SMEFTcpv", lha_id=4, max_power=2, range=(-1.5, 1.25)),
        pysbi.Parameter("cHW", lha_block="SMEFT", lha_id=7, max_power=4, range=(-0.1, 3.0e-7), transform="16.52*theta"),
    ]
    benchmarks = [
        pysbi.Benchmark("sm", [0.0, -0.0], is_reference=True),
        pysbi.Benchmark("b1", [0.1, 1.0 / 3.0]),
        pysbi.Benchmark("b2", [-1e-300, 1e300]),
        pysbi.Benchmark("nuisance_up", [0.0, 0.0], is_nuisance=True),
        pysbi.Benchmark("nuisance_down", [0.0, 0.0], is_nuisance=True),
    ]
    morphing = pysbi.StoredMorphing(
        components=[[0, 0], [0, 1], [1, 0]],
        matrix=[[1.0, 0.0, 0.0], [-1.0 / 3.0, 0.5, 5e-324], [7e-17, -2.0, 1e10]],
    )
    setup = pysbi.Setup(
        parameters=parameters,
        benchmarks=benchmarks,
        morphing=morphing,
        observables=[pysbi.Observable("pt_l", "l[0].pt"), pysbi.Observable("cos_delta_plus"), pysbi.Observable("met", "met.pt")],
        nuisance_parameters=[
            pysbi.NuisanceParameter("nu_scale", "scale_unc", "nuisance_up", "nuisance_down"),
            pysbi.NuisanceParameter("nu_norm", "norm_unc"),
        ],
        systematics=[pysbi.Systematic("scale_unc", "scale", "mu", "2.0"), pysbi.Systematic("norm_unc", "norm", "0.1")],
        finite_differences=pysbi.FiniteDifferences(["sm"], [["b1", "b2"]], 0.01),
    )
    observations = rng.normal(size=(n_events, 3)) * 100
    observations[0, 0] = -0.0
    observations[1, 1] = 5e-324
    weights = np.exp(rng.normal(size=(n_events, 5))) * 1e-3
    weights[2, 3] = -0.0
    sampling = rng.integers(-1, 3, size=n_events)
    process_ids = np.where(sampling < 0, rng.integers(1, 3, size=n_events), 0)
    events = pysbi.Events(
        observations=observations,
        weights=weights,
        sampling_benchmarks=sampling,
        process_ids=process_ids,
        process_names=["signal", "ttbar", "wjets"],
    )
    summary = pysbi.SampleSummary(
        signal_events=[int(np.sum(sampling == b)) for b in range(3)], background_events=int(np.sum(sampling < 0))
    )
    return pysbi.MadMinerFile(setup=setup, events=events, sample_summary=summary)


def assert_files_bit_equal(a, b):
    assert a == b
    assert a.setup.parameters.names() == b.setup.parameters.names()
    for pa, pb in zip(a.setup.parameters, b.setup.parameters):
        assert_bits_equal(np.array(pa.range), np.array(pb.range))
    assert_bits_equal(a.setup.benchmark_values(), b.setup.benchmark_values())
    if a.setup.morphing is not None:
        assert_bits_equal(a.setup.morphing.components, b.setup.morphing.components)
        assert_bits_equal(a.setup.morphing.matrix, b.setup.morphing.matrix)
    if a.events is not None:
        for name in ("observations", "weights", "sampling_benchmarks", "process_ids"):
            assert_bits_equal(getattr(a.events, name), getattr(b.events, name))
