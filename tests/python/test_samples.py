"""pysbi: augmented samples from Python — NumPy views of the arrays, the kinds and partitions as
enums or strings, HDF5 round trips (against h5py's view of the same file and against a file written
by `sbi augment`), MadMiner's .npy export, validation messages and every error type."""

import subprocess

import h5py
import numpy as np
import pytest

import pysbi
from support import assert_bits_equal, decode


def ratio_samples(n=50, seed=1):
    rng = np.random.default_rng(seed)
    return pysbi.AugmentedSamples(
        kind="ratio",
        partition="validation",
        parameter_names=["cHWtil", "cHW"],
        observable_names=["pt_l", "m_bb", "q_l"],
        x=rng.normal(size=(n, 3)) * 100,
        theta0=rng.uniform(-1, 1, size=(n, 2)),
        theta1=np.zeros((n, 2)),
        y=rng.integers(0, 2, size=n).astype(float),
        r_xz=rng.uniform(0.2, 5.0, size=n),
        t_xz0=rng.normal(size=(n, 2)),
        seed=2**64 - 3,
        source="toy events.h5",
    )


def test_fields_are_views_and_assignments_copy_once():
    s = ratio_samples()
    s.validate()
    assert (len(s), s.n_samples, s.n_parameters) == (50, 50, 2)
    assert s.kind == pysbi.SampleKind.Ratio and s.partition == pysbi.Partition.Validation
    x = s.x
    assert np.shares_memory(x, s.x) and x.flags.writeable
    x[0, 0] = 123.0  # writes into the C++ object
    assert s.x[0, 0] == 123.0
    replacement = np.arange(150.0).reshape(50, 3)
    s.x = replacement  # same shape: copied into the existing buffer, earlier views see it
    assert_bits_equal(x, replacement)
    assert not np.shares_memory(s.x, replacement)
    s.y = np.ones(50)
    assert_bits_equal(s.y, np.ones(50))
    assert s.t_xz1.shape == (0, 0)  # not used by the ratio kind
    with pytest.raises(ValueError, match=r"AugmentedSamples.x has shape \(50,\) \(1-D\)"):
        s.x = np.zeros(50)
    with pytest.raises(ValueError, match=r"AugmentedSamples.x has shape \(4, 2\); it must have 3 columns"):
        pysbi.AugmentedSamples(observable_names=["a", "b", "c"], x=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"AugmentedSamples.theta0 has dtype <U1"):
        pysbi.AugmentedSamples(parameter_names=["a"], theta0=[["a"]])


def test_kinds_and_partitions_as_strings():
    assert pysbi.parse_sample_kind("more-ratios") == pysbi.parse_sample_kind("more_ratios") == pysbi.SampleKind.MoreRatios
    assert [k.label for k in (pysbi.SampleKind.Plain, pysbi.SampleKind.MoreRatios, pysbi.SampleKind.Test)] == [
        "plain",
        "more-ratios",
        "test",
    ]
    assert pysbi.parse_partition("all") == pysbi.Partition.All and pysbi.Partition.Train.label == "train"
    s = pysbi.AugmentedSamples()
    s.kind = "local"
    s.partition = pysbi.Partition.Test
    assert (s.kind, s.partition) == (pysbi.SampleKind.Local, pysbi.Partition.Test)
    with pytest.raises(ValueError, match="sample kind 'ratios' is unknown; use one of plain, local"):
        s.kind = "ratios"
    with pytest.raises(ValueError, match="partition 'training' is unknown"):
        pysbi.AugmentedSamples(partition="training")
    with pytest.raises(TypeError, match="must be a SampleKind or its name"):
        s.kind = 3


def test_validation_names_the_field_the_sample_and_the_value():
    s = ratio_samples()
    s.y[7] = 0.5
    with pytest.raises(ValueError, match=r"y.*7.*0\.5") as info:
        s.validate()
    assert isinstance(info.value, pysbi.DataError)
    s = ratio_samples()
    s.r_xz[3] = -1.0
    with pytest.raises(pysbi.DataError, match=r"r_xz.*3"):
        s.validate()
    s = ratio_samples()
    s.t_xz1 = np.zeros((50, 2))
    with pytest.raises(pysbi.InvalidArgument, match="have no t_xz1"):
        s.validate()
    s = ratio_samples()
    s.theta1 = np.zeros((49, 2))
    with pytest.raises(pysbi.InvalidArgument, match=r"theta1 has shape \(49, 2\); expected \(50, 2\)"):
        s.validate()


def test_hdf5_round_trip_is_bit_exact_and_matches_h5py(tmp_path):
    s = ratio_samples()
    path = tmp_path / "samples.h5"
    pysbi.write_samples(path, s)
    back = pysbi.read_samples(path)
    assert back == s
    for name in ("x", "theta0", "theta1", "y", "r_xz", "t_xz0"):
        assert_bits_equal(getattr(back, name), getattr(s, name))
    assert back.seed == 2**64 - 3 and back.source == "toy events.h5"
    with h5py.File(path, "r") as h:
        assert set(h) == {"x", "theta0", "theta1", "y", "r_xz", "t_xz0", "parameter_names", "observable_names", "metadata"}
        assert_bits_equal(h["x"][()], s.x)
        assert_bits_equal(h["r_xz"][()], s.r_xz)
        assert decode(h["parameter_names"][()]) == ["cHWtil", "cHW"]
        assert decode(h["metadata/kind"][()]) == ["ratio"] and decode(h["metadata/partition"][()]) == ["validation"]
    # Equality sees every field.
    other = pysbi.read_samples(path)
    other.r_xz[0] = np.nextafter(other.r_xz[0], 10.0)
    assert other != s


def test_madminer_npy_export(tmp_path):
    s = ratio_samples()
    written = pysbi.export_madminer_npy(s, tmp_path / "npy", "train")
    names = sorted(p.name for p in written)
    assert names == sorted(f"{f}_train.npy" for f in ("theta0", "theta1", "x", "y", "r_xz", "t_xz"))
    loaded = {p.name.rsplit("_", 1)[0]: np.load(p) for p in written}
    assert_bits_equal(loaded["x"], s.x)
    assert_bits_equal(loaded["theta0"], s.theta0)
    assert_bits_equal(loaded["y"], s.y.reshape(-1, 1))  # MadMiner's (N, 1) columns
    assert_bits_equal(loaded["r_xz"], s.r_xz.reshape(-1, 1))
    assert_bits_equal(loaded["t_xz"], s.t_xz0)
    local = pysbi.AugmentedSamples(kind="local", parameter_names=["a"], x=np.ones((3, 1)), theta0=np.zeros((3, 1)), t_xz0=np.ones((3, 1)))
    assert sorted(p.name for p in pysbi.export_madminer_npy(local, tmp_path, "l")) == ["t_xz_l.npy", "theta_l.npy", "x_l.npy"]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="cannot create folder"):
        pysbi.export_madminer_npy(s, blocker / "sub", "x")


def test_reads_what_the_command_writes(madminer_dir, sbi_cli, tmp_path):
    events = tmp_path / "events.h5"
    subprocess.run([str(sbi_cli), "simulate", "wh", "--events", "300", "--seed", "3", "--out", str(events)], check=True, capture_output=True)
    out = tmp_path / "local.h5"
    subprocess.run(
        [str(sbi_cli), "augment", "local", str(events), "--theta", "sm", "--samples", "200", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    s = pysbi.read_samples(out)
    assert (s.kind, s.partition, len(s), s.seed, s.source) == (pysbi.SampleKind.Local, pysbi.Partition.Train, 200, 42, str(events))
    with h5py.File(out, "r") as h:
        assert_bits_equal(s.x, h["x"][()])
        assert_bits_equal(s.t_xz0, h["t_xz0"][()])
        assert decode(h["observable_names"][()]) == s.observable_names == pysbi.WHSimulator.observable_names()
    s.validate()


def test_file_errors(tmp_path, madminer_dir):
    with pytest.raises(FileNotFoundError):
        pysbi.read_samples(tmp_path / "missing.h5")
    with pytest.raises(pysbi.FormatError, match="madminer_example_with_data_1.h5"):
        pysbi.read_samples(madminer_dir / "madminer_example_with_data_1.h5")
    with pytest.raises(OSError):
        pysbi.write_samples(tmp_path / "no" / "such" / "dir.h5", ratio_samples())
    bad = ratio_samples()
    bad.x[0, 0] = np.nan
    with pytest.raises(ValueError):
        pysbi.write_samples(tmp_path / "nan.h5", bad)
    assert not (tmp_path / "nan.h5").exists()
