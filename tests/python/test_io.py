"""pysbi: MadMiner-layout HDF5 files from Python — the three real files against h5py's view of the
same bytes, bit-exact round trips, the array conventions (shapes, dtypes, views) and every error
type."""

import concurrent.futures
import copy
import re
import shutil

import h5py
import numpy as np
import pytest

import pysbi
from support import assert_bits_equal, assert_files_bit_equal, decode, make_file


# ---------------------------------------------------------------------------------------------
# the real files, compared with h5py's reading of the same file


def test_real_file_matches_h5py(real_file):
    f = pysbi.read_madminer_file(real_file)
    s = f.setup
    with h5py.File(real_file, "r") as h:
        names = decode(h["parameters/names"][()])
        assert s.parameters.names() == names
        assert [p.lha_block for p in s.parameters] == decode(h["parameters/lha_blocks"][()])
        assert [p.lha_id for p in s.parameters] == [int(i) for i in h["parameters/lha_ids"][()]]
        assert [p.max_power for p in s.parameters] == [int(p) for p in np.ravel(h["parameters/max_power"][()])]
        ranges_name = "parameters/val_ranges" if "parameters/val_ranges" in h else "parameters/ranges"
        ranges = np.array([p.range for p in s.parameters])
        assert_bits_equal(ranges, h[ranges_name][()].astype(np.float64))
        # "theta" (the identity) and "None" mean "no transform".
        stored = decode(h["parameters/transforms"][()])
        assert [p.transform for p in s.parameters] == ["" if t in ("theta", "None") else t for t in stored]

        assert s.benchmark_names() == decode(h["benchmarks/names"][()])
        assert_bits_equal(s.benchmark_values(), h["benchmarks/values"][()])
        assert [b.is_nuisance for b in s.benchmarks] == [bool(x) for x in h["benchmarks/is_nuisance"][()]]
        assert [b.is_reference for b in s.benchmarks] == [bool(x) for x in h["benchmarks/is_reference"][()]]
        for b, row in zip(s.benchmarks, h["benchmarks/values"][()]):
            assert_bits_equal(b.values, row)

        assert_bits_equal(s.morphing.components, h["morphing/components"][()])
        assert_bits_equal(s.morphing.matrix, h["morphing/morphing_matrix"][()])

        if "observables/names" in h:
            assert s.observable_names() == decode(h["observables/names"][()])
            assert [o.definition for o in s.observables] == decode(h["observables/definitions"][()])
        else:
            assert s.observables == []

        if "samples/observations" in h:
            assert_bits_equal(f.events.observations, h["samples/observations"][()])
            assert_bits_equal(f.events.weights, h["samples/weights"][()])
            assert len(f.events) == h["samples/weights"].shape[0]
        else:
            assert f.events is None
        assert (f.sample_summary is None) == ("sample_summary/signal_events" not in h)
    s.validate()


def test_old_layout_file(madminer_dir):
    f = pysbi.read_madminer_file(madminer_dir / "madminer_example_with_data_1.h5")
    s = f.setup
    assert s.parameters.names() == ["CWL2", "CPWL2"]
    assert len(s.parameters) == 2 and s.parameters.index_of("CPWL2") == 1
    cwl2 = s.parameters["CWL2"]
    assert (cwl2.lha_block, cwl2.lha_id, cwl2.max_power, cwl2.range, cwl2.transform) == (
        "dim6",
        2,
        2,
        (-10.0, 10.0),
        "16.52*theta",
    )
    assert s.parameters[-1].name == "CPWL2" and s.parameters[1].lha_id == 5
    assert "CWL2" in s.parameters and "cHW" not in s.parameters
    assert [p.name for p in s.parameters] == ["CWL2", "CPWL2"]
    assert s.benchmark_names()[:2] == ["sm", "w"] and len(s.benchmarks) == 6
    assert s.n_physical_benchmarks() == 6 and s.reference_benchmark() == 0 and s.benchmark_index("w") == 1
    assert s.benchmark_values().shape == (6, 2) and s.benchmark_values()[1].tolist() == [10.0, 0.0]
    assert s.morphing.components.shape == (6, 2) and s.morphing.matrix.shape == (6, 6)
    assert s.observable_names() == ["pt_j1", "delta_phi_jj"]

    ev = f.events
    assert len(ev) == ev.n_events == 926
    assert ev.observations.shape == (926, 2) and ev.observations.dtype == np.float64
    assert ev.weights.shape == (926, 6) and ev.weights.dtype == np.float64
    # No samples/sampling_benchmarks in the old layout: every event comes from the reference benchmark.
    assert ev.sampling_benchmarks.dtype == np.int64 and ev.sampling_benchmarks.shape == (926,)
    assert np.all(ev.sampling_benchmarks == 0)
    assert ev.process_ids.shape == (0,) and ev.process_of(0) == 0
    assert f.sample_summary is None
    sigma = ev.cross_sections()
    assert sigma.shape == (6,)
    np.testing.assert_allclose(sigma, ev.weights.sum(axis=0), rtol=1e-13)
    np.testing.assert_array_equal(ev.sampling_factors(), np.ones(926))
    assert np.all(sigma > 0)

    setup_only = pysbi.read_madminer_file(madminer_dir / "madminer_example_with_data_1.h5", load_events=False)
    assert setup_only.events is None and setup_only.setup == s


@pytest.mark.parametrize("name", ["dihiggs_nsbi_setup_rmastand.h5", "dihiggs_nsbi_setup_umarsdq.h5"])
def test_current_layout_setup_files(madminer_dir, name):
    f = pysbi.read_madminer_file(str(madminer_dir / name))  # str and pathlib paths both work
    s = f.setup
    assert s.parameters.names() == ["cp", "cdp", "ctp"]
    assert [p.lha_block for p in s.parameters] == ["DIM6", "DIM6", "DIM62F"]
    assert [p.lha_id for p in s.parameters] == [5, 4, 19]
    # val_ranges is stored as int64 in these files.
    assert [p.range for p in s.parameters] == [(-16.0, 8.0), (-5.0, 6.0), (-6.0, 8.0)]
    assert all(isinstance(x, float) for p in s.parameters for x in p.range)
    assert [p.transform for p in s.parameters] == ["", "", ""]
    assert len(s.benchmarks) == 10 and s.benchmark_names()[0] == "sm"
    assert s.benchmark_names()[-1] == "morphing_basis_vector_9"
    assert s.benchmark_values().shape == (10, 3)
    assert s.reference_benchmark() is None
    assert s.morphing.components.shape == (10, 3) and s.morphing.matrix.shape == (10, 10)
    assert f.events is None and f.sample_summary is None and s.observables == []


def test_reading_is_thread_safe_and_releases_the_gil(madminer_dir):
    path = madminer_dir / "madminer_example_with_data_1.h5"
    reference = pysbi.read_madminer_file(path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: pysbi.read_madminer_file(path), range(8)))
    for r in results:
        assert_files_bit_equal(r, reference)


# ---------------------------------------------------------------------------------------------
# round trips


def test_round_trip_is_bit_exact(tmp_path):
    original = make_file()
    path = tmp_path / "full.h5"
    pysbi.write_madminer_file(path, original)
    again = pysbi.read_madminer_file(path)
    assert_files_bit_equal(again, original)
    # -0.0 and denormals survive.
    assert np.signbit(again.events.observations[0, 0]) and again.events.observations[1, 1] == 5e-324
    assert np.signbit(again.setup.benchmarks[0].values[1])
    assert again.setup.nuisance_parameters[1].benchmark_positive == ""
    assert again.setup.systematics[1].scale == ""
    assert again.setup.finite_differences == original.setup.finite_differences
    assert again.events.process_names == ["signal", "ttbar", "wjets"]
    # Writing what was read gives the same bytes per dataset.
    path2 = tmp_path / "again.h5"
    pysbi.write_madminer_file(path2, again)
    with h5py.File(path, "r") as h1, h5py.File(path2, "r") as h2:
        names1, names2 = [], []
        h1.visit(names1.append)
        h2.visit(names2.append)
        assert names1 == names2
        for name in names1:
            if isinstance(h1[name], h5py.Dataset):
                a, b = h1[name][()], h2[name][()]
                assert h1[name].dtype == h2[name].dtype and np.array_equal(a, b), name


def test_round_trip_of_real_files(real_file, tmp_path):
    original = pysbi.read_madminer_file(real_file)
    path = tmp_path / real_file.name
    pysbi.write_madminer_file(path, original)
    again = pysbi.read_madminer_file(path)
    if original.events is not None and original.sample_summary is None:
        # The writer derives the summary MadMiner needs from the sampling benchmarks.
        n_phys = original.setup.n_physical_benchmarks()
        counts = np.bincount(original.events.sampling_benchmarks, minlength=n_phys)
        assert again.sample_summary == pysbi.SampleSummary(counts.tolist(), 0)
        again.sample_summary = None
    assert_files_bit_equal(again, original)
    # The float datasets the original file holds come back bit for bit.
    with h5py.File(real_file, "r") as h0, h5py.File(path, "r") as h1:
        for name in ("benchmarks/values", "morphing/morphing_matrix", "samples/observations", "samples/weights"):
            if name in h0:
                assert_bits_equal(h1[name][()], h0[name][()])


def test_write_is_atomic_and_keeps_a_good_file(tmp_path):
    good = make_file(n_events=10)
    path = tmp_path / "target.h5"
    pysbi.write_madminer_file(path, good)
    bad = copy.deepcopy(good)
    bad.events.weights[7, 2] = np.nan
    with pytest.raises(ValueError):
        pysbi.write_madminer_file(path, bad)
    assert pysbi.read_madminer_file(path) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.h5"]  # no temporary left behind


# ---------------------------------------------------------------------------------------------
# arrays: views, shapes, dtypes


def test_event_arrays_are_views_without_copies():
    f = make_file(n_events=20)
    ev = f.events
    w = ev.weights
    assert np.shares_memory(w, f.events.weights)  # the same C++ buffer on every access
    assert w.flags["C_CONTIGUOUS"] and w.flags["WRITEABLE"]
    w[0, 0] = 42.0
    assert f.events.weights[0, 0] == 42.0
    ev.weights *= 2.0  # in place, then assigned to itself
    assert f.events.weights[0, 0] == 84.0
    # Same-shape assignment copies into the existing buffer: earlier views see the new values.
    ev.weights = np.full((20, 5), 3.0)
    assert np.all(w == 3.0)
    ev.observations = np.zeros((20, 3), dtype=np.int32)  # integer input is converted
    assert ev.observations.dtype == np.float64
    ev.observations = np.asfortranarray(np.ones((20, 3)))  # any layout in, row-major stored
    assert ev.observations.flags["C_CONTIGUOUS"] and np.all(ev.observations == 1.0)
    ev.sampling_benchmarks = [0] * 20
    assert ev.sampling_benchmarks.dtype == np.int64
    assert f.setup.benchmark_values().flags["OWNDATA"] or f.setup.benchmark_values().base is not None


def test_wrong_dimensions_and_dtypes_raise_at_once():
    ev = make_file(n_events=4).events
    with pytest.raises(ValueError, match=r"Events.weights has shape \(4, 5, 1\) \(3-D\); it must be a 2-D array"):
        ev.weights = np.zeros((4, 5, 1))
    with pytest.raises(ValueError, match="Events.weights has dtype <U1"):
        ev.weights = np.array([["a"]])
    with pytest.raises(ValueError, match="Events.observations has dtype complex128"):
        ev.observations = np.zeros((4, 3), dtype=complex)
    with pytest.raises(ValueError, match="Events.sampling_benchmarks has dtype float64; it must hold integers"):
        ev.sampling_benchmarks = np.zeros(4)
    with pytest.raises(ValueError, match=r"must be a 1-D array"):
        ev.sampling_benchmarks = np.zeros((4, 1), dtype=np.int64)
    with pytest.raises(ValueError, match="cannot be converted"):
        ev.weights = [[1.0, 2.0], [3.0]]
    with pytest.raises(ValueError, match="None"):
        ev.weights = None
    with pytest.raises(ValueError, match="Benchmark.values has shape"):
        pysbi.Benchmark("x", [[1.0, 2.0]])
    with pytest.raises(ValueError, match="range"):
        pysbi.Parameter("x", range=(1.0, 2.0, 3.0))
    # Failed assignments leave the data untouched.
    assert ev.weights.shape == (4, 5)
    # The pysbi classes are also pysbi.SbiError.
    with pytest.raises(pysbi.InvalidArgument):
        ev.weights = np.zeros(3)


def test_shape_mismatch_with_the_setup_is_caught_by_validate(tmp_path):
    f = make_file(n_events=6)  # 5 benchmarks
    f.events.weights = np.ones((6, 3))  # a valid 2-D array, but 3 benchmarks
    with pytest.raises(ValueError, match="samples/weights has 3 columns; the set-up has 5 benchmarks"):
        f.events.validate(f.setup)
    with pytest.raises(ValueError, match="3 columns"):
        pysbi.write_madminer_file(tmp_path / "x.h5", f)
    assert not (tmp_path / "x.h5").exists()
    f.events.weights = np.ones((5, 5))  # one row short
    with pytest.raises(ValueError, match="5 rows but samples/observations has 6"):
        f.events.validate(f.setup)


def test_nan_weight_is_rejected_on_write_with_the_event_index(tmp_path):
    f = make_file(n_events=10)
    f.events.weights[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"event 7") as error:
        pysbi.write_madminer_file(tmp_path / "nan.h5", f)
    assert isinstance(error.value, pysbi.DataError) and isinstance(error.value, pysbi.SbiError)
    assert "samples/weights[7, 2]" in str(error.value) and "'b2'" in str(error.value)
    f.events.weights[7, 2] = 1.0
    f.events.observations[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"observations\[3, 0\] \(pt_l\) = inf at event 3"):
        pysbi.write_madminer_file(tmp_path / "inf.h5", f)


def test_nan_weight_in_a_file(madminer_dir, tmp_path):
    path = tmp_path / "nan.h5"
    shutil.copyfile(madminer_dir / "madminer_example_with_data_1.h5", path)
    path.chmod(0o644)
    with h5py.File(path, "r+") as h:
        h["samples/weights"][3, 1] = np.nan
    with pytest.raises(pysbi.DataError, match="event 3"):
        pysbi.read_madminer_file(path)
    broken = pysbi.read_madminer_file(path, validate=False)  # to inspect a broken file
    assert np.isnan(broken.events.weights[3, 1])


def test_setup_validation_and_names():
    f = make_file(n_events=3)
    s = f.setup
    with pytest.raises(KeyError, match="no benchmark named 'nope'") as error:
        s.benchmark_index("nope")
    assert isinstance(error.value, pysbi.NotFound)
    assert str(error.value).startswith("no benchmark named")  # not quoted like a plain KeyError
    with pytest.raises(KeyError):
        s.parameters["nope"]
    with pytest.raises(IndexError):
        s.parameters[2]
    s.benchmarks = s.benchmarks + [pysbi.Benchmark("sm", [1.0, 2.0])]
    with pytest.raises(ValueError, match="benchmark 'sm' appears twice"):
        s.validate()
    with pytest.raises(ValueError, match="appears twice"):
        pysbi.ParameterSpace([pysbi.Parameter("a"), pysbi.Parameter("a")])
    with pytest.raises(ValueError, match=r"range = \[2, 1\]"):
        pysbi.Setup(parameters=[pysbi.Parameter("a", range=(2.0, 1.0))])
    with pytest.raises(ValueError, match=r"benchmarks\[1\]"):
        s.benchmarks = [s.benchmarks[0], "not a benchmark"]


def test_defaults_and_reprs():
    p = pysbi.Parameter("x")
    assert (p.name, p.lha_block, p.lha_id, p.max_power, p.range, p.transform) == ("x", "", 0, 2, (-1.0, 1.0), "")
    assert repr(p) == "Parameter(name='x', lha_block='', lha_id=0, max_power=2, range=(-1.0, 1.0), transform='')"
    assert pysbi.Parameter(name="y", range=[0, 3]).range == (0.0, 3.0)
    f = make_file(n_events=3)
    assert "cHWtil" in repr(f.setup) and "nuisance_up" in repr(f.setup)
    assert repr(f.setup.benchmarks[1]).startswith("Benchmark(name='b1', values=[0.1, 0.333")
    assert repr(f.events) == "Events(n_events=3, observations: (3, 3), weights: (3, 5) pb)"
    assert "events=<3 events>" in repr(f)
    assert repr(f.setup.parameters) == "ParameterSpace(['cHWtil', 'cHW'])"
    assert "signal_events=[" in repr(f.sample_summary)
    empty = pysbi.MadMinerFile()
    assert empty.events is None and empty.sample_summary is None and len(empty.setup.parameters) == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+", pysbi.__version__)
    for cls in (pysbi.Setup, pysbi.Events, pysbi.MadMinerFile, pysbi.read_madminer_file, pysbi.write_madminer_file):
        assert cls.__doc__ and len(cls.__doc__) > 40
    assert "pb" in pysbi.Events.weights.__doc__ and "pb" in pysbi.Events.cross_sections.__doc__


def test_copies_and_references():
    f = make_file(n_events=5)
    # List-valued set-up fields are copies: changing an item does not change the set-up.
    f.setup.benchmarks[0].name = "changed"
    assert f.setup.benchmarks[0].name == "sm"
    # setup / events / sample_summary are references into the file object.
    f.setup.observables = f.setup.observables[:2] + [pysbi.Observable("ht", "ht")]
    assert f.setup.observable_names() == ["pt_l", "cos_delta_plus", "ht"]
    f.sample_summary.background_events = 99
    assert f.sample_summary.background_events == 99
    g = copy.deepcopy(f)
    assert g == f and not np.shares_memory(g.events.weights, f.events.weights)
    g.events.weights[0, 0] = -1.0
    assert g != f
    f.events = None
    assert f.events is None
    f.events = g.events
    assert f.events == g.events and not np.shares_memory(f.events.weights, g.events.weights)


# ---------------------------------------------------------------------------------------------
# file errors


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as error:
        pysbi.read_madminer_file(tmp_path / "no_such_file.h5")
    assert isinstance(error.value, pysbi.FileNotFound) and isinstance(error.value, pysbi.SbiError)
    assert isinstance(error.value, OSError)


def test_text_file_is_os_error(tmp_path):
    path = tmp_path / "not_hdf5.h5"
    path.write_text("this is not an HDF5 file\n" * 10)
    with pytest.raises(OSError, match="not an HDF5 file") as error:
        pysbi.read_madminer_file(path)
    assert isinstance(error.value, pysbi.FormatError) and not isinstance(error.value, FileNotFoundError)


def test_truncated_file_is_os_error(tmp_path):
    path = tmp_path / "full.h5"
    pysbi.write_madminer_file(path, make_file(n_events=2000))
    data = path.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError) as error:
        pysbi.read_madminer_file(truncated)
    assert isinstance(error.value, pysbi.FormatError)
    assert "truncated.h5" in str(error.value)


def test_missing_dataset_is_os_error_naming_it(tmp_path):
    path = tmp_path / "incomplete.h5"
    pysbi.write_madminer_file(path, make_file(n_events=3))
    with h5py.File(path, "r+") as h:
        del h["benchmarks/values"]
    with pytest.raises(OSError, match="benchmarks/values"):
        pysbi.read_madminer_file(path)


def test_unwritable_destination_is_os_error(tmp_path):
    with pytest.raises(OSError) as error:
        pysbi.write_madminer_file(tmp_path / "no_such_dir" / "x.h5", make_file(n_events=3))
    assert isinstance(error.value, pysbi.FileError)


def test_exception_hierarchy():
    pairs = {
        pysbi.Error: RuntimeError,
        pysbi.InvalidArgument: ValueError,
        pysbi.NotFound: KeyError,
        pysbi.FileError: OSError,
        pysbi.FileNotFound: FileNotFoundError,
        pysbi.FormatError: OSError,
        pysbi.DataError: ValueError,
        pysbi.NumericalError: ArithmeticError,
    }
    for cls, builtin in pairs.items():
        assert issubclass(cls, pysbi.SbiError) and issubclass(cls, builtin), cls
        assert cls.__module__ == "pysbi"
    assert issubclass(pysbi.FileNotFound, pysbi.FileError) and issubclass(pysbi.FormatError, pysbi.FileError)


def test_events_without_observables_round_trip(tmp_path):
    setup = pysbi.Setup(parameters=[pysbi.Parameter("c")], benchmarks=[pysbi.Benchmark("sm", [0.0]), pysbi.Benchmark("c1", [1.0])])
    events = pysbi.Events(weights=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], sampling_benchmarks=[0, 1, -1])
    assert events.observations.shape == (3, 0)
    f = pysbi.MadMinerFile(setup=setup, events=events)
    pysbi.write_madminer_file(tmp_path / "no_observables.h5", f)
    again = pysbi.read_madminer_file(tmp_path / "no_observables.h5")
    assert again.events.observations.shape == (3, 0)
    assert_bits_equal(again.events.weights, events.weights)
    assert again.sample_summary == pysbi.SampleSummary([1, 1], 1)
    np.testing.assert_array_equal(again.events.cross_sections(again.sample_summary), [0.5 * 1 + 0.5 * 3 + 5, 0.5 * 2 + 0.5 * 4 + 6])


def test_equality_of_objects_with_different_shapes():
    # The C++ operator== compares Eigen matrices element-wise; pysbi checks shapes first.
    a = pysbi.Events(weights=np.ones((2, 2)), sampling_benchmarks=[0, 0])
    b = pysbi.Events(weights=np.ones((1000, 6)), sampling_benchmarks=np.zeros(1000, dtype=np.int64))
    assert a != b and not (a == b)
    assert pysbi.Benchmark("x", [1.0]) != pysbi.Benchmark("x", [1.0, 2.0])
    s1 = pysbi.Setup(parameters=[pysbi.Parameter("a")], benchmarks=[pysbi.Benchmark("x", [1.0])])
    s2 = pysbi.Setup(parameters=[pysbi.Parameter("a")], benchmarks=[pysbi.Benchmark("x", [1.0, 2.0])])
    assert s1 != s2
    m1 = pysbi.StoredMorphing([[0]], [[1.0]])
    m2 = pysbi.StoredMorphing([[0], [1]], [[1.0, 0.0], [0.0, 1.0]])
    assert m1 != m2
    assert pysbi.MadMinerFile(setup=s1, events=a) != pysbi.MadMinerFile(setup=s1, events=b)
