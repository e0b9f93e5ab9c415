"""MadMiner compatibility in both directions, with an emulation of MadMiner v0.9's HDF5 reader and
writer (madminer_emulation.py; MadMiner itself cannot be installed here), and the `sbi` command on
the real files."""

import json
import subprocess

import h5py
import numpy as np
import pytest

import pysbi
from madminer_emulation import (
    EmulatedNuisance,
    EmulatedParameter,
    EmulatedSystematic,
    load_madminer_settings,
    save_madminer_file,
)
from support import assert_bits_equal, make_file

S256 = np.dtype("S256")
INT64 = np.dtype("int64")
FLOAT64 = np.dtype("float64")

# ---------------------------------------------------------------------------------------------
# (a) written by sbi, read by (emulated) MadMiner


def test_sbi_file_reads_in_madminer(tmp_path):
    sbi_file = make_file(n_events=123)
    path = tmp_path / "from_sbi.h5"
    pysbi.write_madminer_file(path, sbi_file)
    mm = load_madminer_settings(path)
    setup, events, summary = sbi_file.setup, sbi_file.events, sbi_file.sample_summary
    n_p, n_b, n_phys, n_c, n = 2, 5, 3, 3, 123

    # Layout: MadMiner's dtypes and shapes, dataset by dataset.
    expected_layout = {
        "parameters/names": (S256, (n_p,)),
        "parameters/lha_blocks": (S256, (n_p,)),
        "parameters/lha_ids": (INT64, (n_p,)),
        "parameters/max_power": (INT64, (n_p,)),
        "parameters/val_ranges": (FLOAT64, (n_p, 2)),
        "parameters/transforms": (S256, (n_p,)),
        "benchmarks/names": (S256, (n_b,)),
        "benchmarks/values": (FLOAT64, (n_b, n_p)),
        "benchmarks/is_nuisance": (INT64, (n_b,)),
        "benchmarks/is_reference": (INT64, (n_b,)),
        "morphing/components": (INT64, (n_c, n_p)),
        "morphing/morphing_matrix": (FLOAT64, (n_c, n_phys)),  # (n_components, n_physical_benchmarks)
        "observables/names": (S256, (3,)),
        "observables/definitions": (S256, (3,)),
        "samples/observations": (FLOAT64, (n, 3)),
        "samples/weights": (FLOAT64, (n, n_b)),
        "samples/sampling_benchmarks": (INT64, (n,)),
        "sample_summary/signal_events": (INT64, (n_phys,)),
        "sample_summary/background_events": (INT64, ()),
        "systematics/names": (S256, (2,)),
        "systematics/types": (S256, (2,)),
        "systematics/values": (S256, (2,)),
        "systematics/scales": (S256, (2,)),
        "nuisance_parameters/names": (S256, (2,)),
        "nuisance_parameters/systematics": (S256, (2,)),
        "nuisance_parameters/benchmark_positive": (S256, (2,)),
        "nuisance_parameters/benchmark_negative": (S256, (2,)),
        "finite_differences/base_benchmarks": (S256, (1,)),
        "finite_differences/shifted_benchmarks": (S256, (1, n_p)),
        "finite_differences/epsilon": (FLOAT64, ()),
    }
    assert mm.raw == expected_layout
    with h5py.File(path, "r") as h:
        datasets = []
        h.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
        # Only sbi's own extra datasets (which MadMiner ignores) come on top; no attributes anywhere.
        assert set(datasets) - set(expected_layout) == {"samples/process_ids", "samples/process_names"}
        for name in datasets:
            assert len(h[name].attrs) == 0 and h[name].compression is None

    # Contents.
    assert [p.name for p in mm.parameters] == ["cHWtil", "cHW"]
    assert [p.lha_block for p in mm.parameters] == ["SMEFTcpv", "SMEFT"]
    assert [p.lha_id for p in mm.parameters] == [4, 7]
    assert [p.max_power for p in mm.parameters] == [2, 4]
    assert [p.val_range for p in mm.parameters] == [(-1.5, 1.25), (-0.1, 3.0e-7)]
    # MadMiner v0.9 cannot write a missing transform; sbi writes the identity "theta".
    assert [p.transform for p in mm.parameters] == ["theta", "16.52*theta"]
    assert mm.benchmark_names == setup.benchmark_names()
    assert_bits_equal(mm.benchmark_values, setup.benchmark_values())
    assert mm.benchmark_is_nuisance == [False, False, False, True, True]
    assert mm.reference_benchmark == "sm"
    assert mm.morphing_components.dtype.kind == "i"
    np.testing.assert_array_equal(mm.morphing_components, setup.morphing.components)
    assert_bits_equal(mm.morphing_matrix, setup.morphing.matrix)
    assert mm.observables == {"pt_l": "l[0].pt", "cos_delta_plus": None, "met": "met.pt"}
    assert mm.n_samples == n
    assert_bits_equal(mm.observations, events.observations)
    assert_bits_equal(mm.weights, events.weights)
    assert_bits_equal(mm.sampling_benchmarks, events.sampling_benchmarks)
    assert mm.signal_events.tolist() == summary.signal_events
    assert mm.background_events == summary.background_events
    assert [(s.name, s.type, s.value, s.scale) for s in mm.systematics] == [
        ("scale_unc", "scale", "mu", "2.0"),
        ("norm_unc", "norm", "0.1", None),
    ]
    assert [(x.name, x.systematic, x.benchmark_positive, x.benchmark_negative) for x in mm.nuisance_parameters] == [
        ("nu_scale", "scale_unc", "nuisance_up", "nuisance_down"),
        ("nu_norm", "norm_unc", None, None),
    ]
    assert mm.finite_difference_benchmarks == {"sm": ["b1", "b2"]}
    assert mm.finite_difference_epsilon == 0.01


def test_sbi_derives_the_sample_summary_madminer_needs(tmp_path):
    f = make_file(n_events=50)
    f.sample_summary = None
    path = tmp_path / "no_summary.h5"
    pysbi.write_madminer_file(path, f)
    mm = load_madminer_settings(path)
    sampling = f.events.sampling_benchmarks
    assert mm.signal_events.tolist() == [int(np.sum(sampling == b)) for b in range(3)]
    assert mm.background_events == int(np.sum(sampling == -1))


def test_sbi_setup_only_file_reads_in_madminer(madminer_dir, tmp_path):
    # A real current-layout set-up, through sbi, still presents MadMiner's layout.
    original = madminer_dir / "dihiggs_nsbi_setup_rmastand.h5"
    path = tmp_path / "rewritten.h5"
    pysbi.write_madminer_file(path, pysbi.read_madminer_file(original))
    before, after = load_madminer_settings(original), load_madminer_settings(path)
    assert after.parameters == before.parameters  # val_ranges were int64 in the original: same values
    assert after.raw["parameters/val_ranges"] == (FLOAT64, (3, 2))
    assert after.benchmark_names == before.benchmark_names
    assert_bits_equal(after.benchmark_values, before.benchmark_values)
    np.testing.assert_array_equal(after.morphing_components, before.morphing_components)
    assert_bits_equal(after.morphing_matrix, before.morphing_matrix)
    assert after.n_samples == 0 and after.signal_events is None


def test_strings_madminer_cannot_read_are_refused(tmp_path):
    # MadMiner decodes with .decode("ascii") from 256-byte fields: sbi refuses anything else.
    for bad in ("\u03b8", "x" * 257):
        f = pysbi.MadMinerFile(setup=pysbi.Setup(parameters=[pysbi.Parameter(bad)], benchmarks=[pysbi.Benchmark("sm", [0.0])]))
        with pytest.raises(ValueError, match="parameters/names"):
            pysbi.write_madminer_file(tmp_path / "bad.h5", f)
        assert not (tmp_path / "bad.h5").exists()


# ---------------------------------------------------------------------------------------------
# (b) written by (emulated) MadMiner, read by sbi


def madminer_written_file(path, n=400, seed=11):
    rng = np.random.default_rng(seed)
    parameters = [
        EmulatedParameter("cHW", "SMEFT", 7, 2, (-1.0, 1.0), None),
        EmulatedParameter("cHWtil", "SMEFTcpv", 8, 2, (-0.5, 0.75), "16.52*theta"),
    ]
    names = ["sm", "b1", "b2", "b3", "scale_up", "scale_down"]
    values = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 0.5], [0.3, -0.4], [0.0, 0.0], [0.0, 0.0]])
    nuisance_flags = [False, False, False, False, True, True]
    components = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    matrix = rng.normal(size=(4, 4))
    observables = {"pt_h": "h.pt", "custom": None}
    systematics = [EmulatedSystematic("scale_unc", "scale", "mu", "2.0"), EmulatedSystematic("lumi", "norm", "0.02", None)]
    nuisance = [EmulatedNuisance("nu_scale", "scale_unc", "scale_up", "scale_down"), EmulatedNuisance("nu_lumi", "lumi", None, None)]
    sampling = rng.choice([0, 1, 2, -1], size=n, p=[0.4, 0.3, 0.2, 0.1])
    observations = rng.normal(size=(n, 2)) * 50
    weights = np.exp(rng.normal(size=(n, 6))) * 1e-4
    weights[sampling == -1] = weights[sampling == -1][:, :1]  # background: the same weight at every benchmark
    signal_events = np.array([np.sum(sampling == b) for b in range(4)])
    background = int(np.sum(sampling == -1))
    save_madminer_file(
        path,
        parameters,
        names,
        values,
        nuisance_flags,
        reference_benchmark="sm",
        morphing_components=components,
        morphing_matrix=matrix,
        observables=observables,
        systematics=systematics,
        nuisance_parameters=nuisance,
        observations=observations,
        weights=weights,
        sampling_benchmarks=sampling,
        signal_events=signal_events,
        background_events=background,
    )
    return dict(
        parameters=parameters,
        names=names,
        values=values,
        nuisance_flags=nuisance_flags,
        components=components,
        matrix=matrix,
        observables=observables,
        systematics=systematics,
        nuisance=nuisance,
        sampling=sampling,
        observations=observations,
        weights=weights,
        signal_events=signal_events,
        background=background,
    )


def test_madminer_file_reads_in_sbi(tmp_path):
    path = tmp_path / "from_madminer.h5"
    truth = madminer_written_file(path)
    f = pysbi.read_madminer_file(path)
    s = f.setup

    assert s.parameters.names() == ["cHW", "cHWtil"]
    assert [(p.lha_block, p.lha_id, p.max_power, p.range) for p in s.parameters] == [
        ("SMEFT", 7, 2, (-1.0, 1.0)),
        ("SMEFTcpv", 8, 2, (-0.5, 0.75)),
    ]
    assert [p.transform for p in s.parameters] == ["", "16.52*theta"]  # "None" = no transform
    assert s.benchmark_names() == truth["names"]
    assert_bits_equal(s.benchmark_values(), truth["values"])
    assert [b.is_nuisance for b in s.benchmarks] == truth["nuisance_flags"]
    assert s.n_physical_benchmarks() == 4 and s.reference_benchmark() == 0
    assert_bits_equal(s.morphing.components, truth["components"].astype(np.int64))
    assert_bits_equal(s.morphing.matrix, truth["matrix"])
    assert [(o.name, o.definition) for o in s.observables] == [("pt_h", "h.pt"), ("custom", "")]
    assert [(x.name, x.type, x.value, x.scale) for x in s.systematics] == [
        ("scale_unc", "scale", "mu", "2.0"),
        ("lumi", "norm", "0.02", ""),
    ]
    assert [(x.name, x.systematic, x.benchmark_positive, x.benchmark_negative) for x in s.nuisance_parameters] == [
        ("nu_scale", "scale_unc", "scale_up", "scale_down"),
        ("nu_lumi", "lumi", "", ""),
    ]
    assert s.finite_differences is None

    ev = f.events
    assert_bits_equal(ev.observations, truth["observations"])
    assert_bits_equal(ev.weights, truth["weights"])
    assert_bits_equal(ev.sampling_benchmarks, truth["sampling"].astype(np.int64))
    assert f.sample_summary == pysbi.SampleSummary(truth["signal_events"].tolist(), truth["background"])
    background = truth["sampling"] == -1
    assert [ev.process_of(i) for i in range(len(ev))] == background.astype(int).tolist()

    # MadMiner's k-factors for events generated at several benchmarks.
    n_b = truth["signal_events"]
    k = np.where(background, 1.0, n_b[np.maximum(truth["sampling"], 0)] / n_b.sum())
    np.testing.assert_allclose(ev.sampling_factors(f.sample_summary), k, rtol=1e-15)
    np.testing.assert_allclose(ev.cross_sections(f.sample_summary), k @ truth["weights"], rtol=1e-12)

    # And back: sbi writes what it read so that MadMiner reads the same again.
    path2 = tmp_path / "again.h5"
    pysbi.write_madminer_file(path2, f)
    first, second = load_madminer_settings(path), load_madminer_settings(path2)
    # The one intended difference: a transform MadMiner stored as "None" comes back as the identity
    # "theta" (both mean "no transform"; sbi always writes an expression).
    assert [p.transform for p in second.parameters] == ["theta", "16.52*theta"]
    for p in first.parameters:
        p.transform = p.transform or "theta"
    for name in ("parameters", "benchmark_names", "benchmark_is_nuisance", "reference_benchmark", "observables",
                 "systematics", "nuisance_parameters", "n_samples", "background_events"):
        assert getattr(second, name) == getattr(first, name), name
    for name in ("benchmark_values", "morphing_matrix", "observations", "weights"):
        assert_bits_equal(getattr(second, name), getattr(first, name))
    for name in ("morphing_components", "sampling_benchmarks", "signal_events"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name))
    assert second.raw == {k: v for k, v in first.raw.items()}


# ---------------------------------------------------------------------------------------------
# (c) the sbi command


def run_cli(cli, *args):
    return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, timeout=60)


def test_cli_info_json_on_real_files(sbi_cli, real_file):
    result = run_cli(sbi_cli, "info", "--json", real_file)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    with h5py.File(real_file, "r") as h:
        names = [s.decode("ascii") for s in h["parameters/names"][()]]
        benchmark_names = [s.decode("ascii") for s in h["benchmarks/names"][()]]
        values = h["benchmarks/values"][()]
        n_events = h["samples/weights"].shape[0] if "samples/weights" in h else 0
    assert [p["name"] for p in info["parameters"]] == names
    assert [b["name"] for b in info["benchmarks"]] == benchmark_names
    for b, row in zip(info["benchmarks"], values):
        assert [b["values"][p] for p in names] == row.tolist()  # JSON doubles round-trip exactly
    assert info["n_events"] == n_events
    assert info["sbi_version"] == pysbi.__version__
    f = pysbi.read_madminer_file(real_file)
    assert [p["range"] for p in info["parameters"]] == [list(p.range) for p in f.setup.parameters]
    if f.events is not None:
        sigma = f.events.cross_sections(f.sample_summary)
        np.testing.assert_allclose([b["cross_section_pb"] for b in info["benchmarks"]], sigma, rtol=1e-14)


def test_cli_info_json_on_a_madminer_written_file(sbi_cli, tmp_path):
    path = tmp_path / "from_madminer.h5"
    truth = madminer_written_file(path)
    info = json.loads(run_cli(sbi_cli, "info", "--json", path).stdout)
    assert [b["name"] for b in info["benchmarks"]] == truth["names"]
    assert [b["is_nuisance"] for b in info["benchmarks"]] == truth["nuisance_flags"]
    assert info["sample_summary"] == {
        "signal_events": truth["signal_events"].tolist(),
        "background_events": truth["background"],
    }
    assert [n["name"] for n in info["nuisance_parameters"]] == ["nu_scale", "nu_lumi"]


def test_cli_version(sbi_cli):
    result = run_cli(sbi_cli, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sbi {pysbi.__version__}"


def test_cli_unknown_command_prints_usage(sbi_cli):
    result = run_cli(sbi_cli, "frobnicate")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Usage: sbi" in output and "Subcommands:" in output and "info" in output


def test_cli_missing_file_fails_cleanly(sbi_cli, tmp_path):
    result = run_cli(sbi_cli, "info", tmp_path / "no_such_file.h5")
    assert result.returncode == 1 and "does not exist" in result.stderr
