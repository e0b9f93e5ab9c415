"""pysbi.lhe: LHE files from Python — the streaming reader against an independent pure-Python parse
of the same bytes, the set-up from MadGraph's reweighting header and the conversion to MadMiner
events bit for bit against the `sbi lhe` command, the published cross sections of the real SMEFTsim
VBF files, Python callables as observables and cuts (values, undefined events, exceptions, the GIL),
and every error type."""

import gzip
import json
import re
import subprocess
import threading

import numpy as np
import pytest

import pysbi
from pysbi import lhe
from conftest import shared_data_dir
from support import assert_bits_equal, assert_files_bit_equal


def lhe_file(*parts):
    path = shared_data_dir().joinpath("lhe", *parts)
    if not path.is_file():
        pytest.skip(f"real LHE file not available: {path} (set SBI_SHARED_DATA)")
    return path


@pytest.fixture(scope="module")
def vbf():
    return lhe_file("event2vec", "smeftsim_VBFH-1.lhe.gz")


@pytest.fixture(scope="module")
def vbf_setup(vbf):
    return lhe.setup_from_header(lhe.read_header(vbf))


def python_parse(path, n_events):
    """The first n_events of an LHE file parsed with the standard library: (weight, particle rows,
    {weight id: value}) per event; a particle row is (id, status, px, py, pz, e, m)."""
    events = []
    with gzip.open(path, "rt") as f:
        text = f.read()
    for block in re.findall(r"<event>\n(.*?)</event>", text, re.S)[:n_events]:
        lines = block.split("\n")
        head = lines[0].split()
        n = int(head[0])
        particles = []
        for line in lines[1 : n + 1]:
            v = line.split()
            particles.append((int(v[0]), int(v[1]), float(v[6]), float(v[7]), float(v[8]), float(v[9]), float(v[10])))
        weights = {m.group(1): float(m.group(2)) for m in re.finditer(r"<wgt id='([^']+)'>\s*(\S+)\s*</wgt>", block)}
        events.append((float(head[2]), particles, weights))
    return events


# ---------------------------------------------------------------------------------------------
# the reader


def test_reader_matches_a_python_parse_bit_for_bit(vbf):
    expected = python_parse(vbf, 200)
    with lhe.Reader(vbf) as reader:
        header = reader.header
        assert header.version == "3.0" and reader.event_norm == lhe.EventNorm.average
        assert header.run_card_nevents == 10000 and header.init.beam_energy_gev == (6500.0, 6500.0)
        ids = reader.weight_ids
        assert len(ids) == 21 and ids[0] == "SM" and [w.id for w in header.weights] == ids
        assert header.weights[ids.index("cHW_0p1")].text.startswith("set param_card smeft 7 0.1")
        for i, event in zip(range(200), reader):
            weight, particles, weights = expected[i]
            assert event.index == i and event.weight == weight
            assert event.pdg_ids.tolist() == [p[0] for p in particles]
            assert event.statuses.tolist() == [p[1] for p in particles]
            assert_bits_equal(event.momenta, np.array([p[2:6] for p in particles]))
            assert [p.m for p in event.particles] == [p[6] for p in particles]
            assert_bits_equal(event.named_weights, np.array([weights[w] for w in ids]))
        # The rest of the file: every event is there, and the file ends properly.
        rest = sum(1 for _ in reader)
        assert rest == 9800 and reader.events_read == 10000 and reader.next() is None
    with pytest.raises(ValueError, match="closed"):
        reader.weight_ids


def test_robustness_files_from_other_generators():
    counts = {
        "pylhe-testfile-madgraph-2.0.0-wbj.lhe": 59,
        "pylhe-testlhef3.lhe": 59,
        "pylhe-testfile-powheg-box-v2-W.lhe": 100,
        "pylhe-testfile-powheg-box-v2-hvq.lhe": 6,
        "pylhe-testfile-pr180.lhe": 10,
        "pylhe-testfile-sherpa-3.0.1-eejjj.lhe": 100,
        "pylhe-testfile-whizard-3.1.4-eeWW.lhe": 10,
        "pylhe-testfile-madgraph5-3.5.8-pp_to_jj.lhe.gz": 1000,
    }
    for name, n in counts.items():
        reader = lhe.Reader(lhe_file("skhep", name))
        events = list(reader)
        assert len(events) == n, name
    powheg = list(lhe.Reader(lhe_file("skhep", "pylhe-testfile-powheg-box-v2-W.lhe")))
    assert sum(e.weight < 0 for e in powheg) == 1
    attributes = next(iter(lhe.Reader(lhe_file("skhep", "pylhe-testlhef3.lhe")))).attributes
    assert dict(attributes) == {"npLO": "-1", "npNLO": "1"}


def test_reader_errors(tmp_path, vbf):
    with pytest.raises(FileNotFoundError):
        lhe.Reader(tmp_path / "missing.lhe")
    truncated = tmp_path / "truncated.lhe.gz"
    truncated.write_bytes(vbf.read_bytes()[:200000])
    reader = lhe.Reader(truncated)
    with pytest.raises(OSError, match="truncated.lhe.gz") as info:
        for _ in reader:
            pass
    assert isinstance(info.value, pysbi.FormatError)
    text = tmp_path / "text.lhe"
    text.write_text("not an LHE file\n")
    with pytest.raises(pysbi.FormatError):
        lhe.Reader(text)
    with pytest.raises(ValueError, match="max_particles = 0"):
        lhe.Reader(vbf, max_particles=0)
    assert lhe.ReaderOptions(event_norm="sum").event_norm == lhe.EventNorm.sum
    with pytest.raises(ValueError, match="median"):
        lhe.ReaderOptions(event_norm="median")


# ---------------------------------------------------------------------------------------------
# the set-up from the header


def test_setup_from_header_equals_the_command(vbf, vbf_setup, sbi_cli, tmp_path):
    out = tmp_path / "setup.h5"
    subprocess.run([str(sbi_cli), "lhe", "--setup-from-header", str(vbf), "--out", str(out)], check=True, capture_output=True)
    written = pysbi.read_madminer_file(out).setup
    assert written == vbf_setup
    assert_bits_equal(written.morphing.matrix, vbf_setup.morphing.matrix)
    assert vbf_setup.parameters.names() == ["chbox", "chdd", "chw", "chb", "chwb"]
    assert [p.lha_id for p in vbf_setup.parameters] == [4, 5, 7, 8, 9]
    assert len(vbf_setup.benchmarks) == 21 and vbf_setup.reference_benchmark() == 0
    cHW = vbf_setup.benchmarks[vbf_setup.benchmark_index("cHW_0p1_cHbox_0p1")]
    assert_bits_equal(cHW.values, np.array([0.1, 0.0, 0.1, 0.0, 0.0]))
    # Parameters given explicitly are matched to the texts by block and id; their order defines theta.
    header = lhe.read_header(vbf)
    order = [("cHW", 7), ("cHbox", 4), ("cHDD", 5), ("cHB", 8), ("cHWB", 9)]
    chosen = [pysbi.Parameter(name, "SMEFT", lha_id, range=(-2.0, 2.0)) for name, lha_id in order]
    mine = lhe.setup_from_header(header, parameters=chosen, build_morphing=False)
    assert mine.parameters.names() == [name for name, _ in order] and mine.morphing is None
    assert mine.parameters["cHW"].range == (-2.0, 2.0)
    assert_bits_equal(mine.benchmarks[mine.benchmark_index("cHW_0p1_cHbox_0p1")].values, np.array([0.1, 0.1, 0, 0, 0]))
    with pytest.raises(KeyError, match="smeft 5"):
        lhe.setup_from_header(header, parameters=chosen[:2])
    assert lhe.map_benchmarks_to_weights(vbf_setup, lhe.Reader(vbf).weight_ids) == list(range(21))
    with pytest.raises(KeyError, match="cHB_0p1"):
        lhe.map_benchmarks_to_weights(vbf_setup, ["SM"])
    with pytest.raises(KeyError):
        lhe.setup_from_header(lhe.read_header(lhe_file("madminer", "background_ud_udaa_unweighted_events.lhe.gz")))


def test_reweight_texts_and_param_cards(vbf):
    (change,) = lhe.parse_reweight_text("set param_card smeft 7 0.1 # orig: 0.0")
    assert (change.block, change.lha_id, change.value, change.original) == ("smeft", 7, 0.1, 0.0)
    assert lhe.parse_reweight_text("") == []
    assert lhe.parse_reweight_text("change rwgt_dir ./x") is None
    with pytest.raises(ValueError):
        lhe.parse_reweight_text("set param_card smeft 7 zero")
    card = lhe.read_header(vbf).param_card
    block = re.search(r"BLOCK SMEFT\s*#?[^\n]*\n(.*?)(?=\nBLOCK|\Z)", card, re.S | re.I).group(1)
    value, comment = re.search(r"^\s*7\s+(\S+)\s+#\s*(\S+)", block, re.M).groups()
    assert lhe.param_card_entry(card, "smeft", 7) == (float(value), comment)
    assert lhe.param_card_entry(card, "SMEFT", 999) is None


# ---------------------------------------------------------------------------------------------
# conversion


OBSERVABLES = {"pt_j1": "pt_j1", "dphi_jj": "dphi_jj_signed", "m_jj": "m_jj", "deta": "abs(eta_j1 - eta_j2)"}


def test_conversion_equals_the_command_bit_for_bit(vbf, vbf_setup, sbi_cli, tmp_path):
    out = tmp_path / "events.h5"
    command = [str(sbi_cli), "lhe", "--setup-from-header", str(vbf), "--out", str(out), "--json", "--cut", "m_jj > 200"]
    for name, expression in OBSERVABLES.items():
        command += ["--observable", f"{name}={expression}"]
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    file, reports = lhe.convert(vbf_setup, [vbf], observables=OBSERVABLES, cuts=["m_jj > 200"])
    assert_files_bit_equal(file, pysbi.read_madminer_file(out))
    assert file.sample_summary == pysbi.read_madminer_file(out).sample_summary
    (r,) = reports
    expected = report["files"][0]
    assert (r.events_read, r.events_kept, r.failed_cuts) == (expected["events_read"], expected["events_kept"], expected["failed_cuts"])
    assert r.cross_section_pb == expected["cross_section_pb"] and r.event_norm == lhe.EventNorm.average
    assert file.setup.observable_names() == list(OBSERVABLES)
    assert [o.definition for o in file.setup.observables] == list(OBSERVABLES.values())


def test_published_cross_sections_of_the_vbf_file(vbf, vbf_setup):
    file, (report,) = lhe.convert(vbf_setup, [lhe.LheSample(vbf)], observables={"pt_j1": "pt_j1"})
    assert report.events_read == report.events_kept == 10000
    sigma = file.events.cross_sections(file.sample_summary)
    published = {"SM": 3.343019, "cHB_0p1": 3.344680, "cHDD_0p1": 3.339431, "cHW_0p1": 3.379944, "cHW_0p2": 3.424958}
    published.update({"cHWB_0p1": 3.356174, "cHbox_0p1": 3.383675, "cHW_0p1_cHbox_0p1": 3.420800})
    for name, value in published.items():
        assert sigma[vbf_setup.benchmark_index(name)] == pytest.approx(value, rel=2e-7), name
    # event_norm = average: every stored weight is XWGTUP / N, so they sum to the mean weight.
    assert np.all(file.events.sampling_benchmarks == 0)
    assert report.cross_section_pb == pytest.approx(3.343019, rel=2e-7)


def test_background_without_benchmark_weights(vbf_setup):
    path = lhe_file("madminer", "background_ud_udaa_unweighted_events.lhe.gz")
    file, (report,) = lhe.convert(vbf_setup, [lhe.LheSample(path, is_background=True)], observables={"pt_a1": "pt_a1"})
    w = file.events.weights
    assert np.all(w == w[:, :1]) and np.all(file.events.sampling_benchmarks == -1)
    assert report.cross_section_pb == pytest.approx(0.02385195, rel=1e-12)
    assert w[:, 0].sum() == pytest.approx(report.cross_section_pb, rel=1e-12)
    assert file.sample_summary.background_events == len(file.events)


# ---------------------------------------------------------------------------------------------
# Python observables and cuts


def test_python_callables_give_the_same_bits_as_expressions(vbf, vbf_setup):
    expressions, _ = lhe.convert(vbf_setup, [vbf], observables=OBSERVABLES, cuts=["m_jj > 200"])
    calls = []

    def pt_j1(k):
        calls.append(1)
        return k.jets[0].p.pt() if k.jets else None

    def dphi(k):
        return k.value("dphi_jj_signed")

    callables = {
        "pt_j1": pt_j1,
        "dphi_jj": dphi,
        "m_jj": lhe.builtin_variable("m_jj"),
        "deta": lambda k: abs(k.jets[0].p.eta() - k.jets[1].p.eta()),
    }
    cut = lambda k: len(k.jets) >= 2 and (k.jets[0].p + k.jets[1].p).m() > 200  # noqa: E731
    python, (report,) = lhe.convert(vbf_setup, [vbf], observables=callables, cuts=[cut])
    assert_bits_equal(python.events.observations, expressions.events.observations)
    assert_bits_equal(python.events.weights, expressions.events.weights)
    assert len(calls) == report.events_kept  # observables run only for events that pass the cuts
    assert [o.definition for o in python.setup.observables] == ["None"] * 4
    # A NumPy computation on the collection's momenta: the same numbers to rounding.
    numpy_pt = lhe.convert(
        vbf_setup, [vbf], observables={"pt": lambda k: float(np.hypot(*k.momenta("j")[0, :2]))}, cuts=["m_jj > 200"]
    )[0]
    np.testing.assert_allclose(numpy_pt.events.observations[:, 0], expressions.events.observations[:, 0], rtol=1e-15)


def test_undefined_observables_and_defaults(vbf, vbf_setup):
    leptons = lambda k: k.leptons[0].p.pt() if k.leptons else float("nan")  # noqa: E731  (VBF H -> no leptons)
    specs = [lhe.ObservableSpec("pt_j1", "pt_j1"), lhe.ObservableSpec("pt_l1", function=leptons)]
    dropped, (report,) = lhe.convert(vbf_setup, [vbf], observables=specs)
    assert len(dropped.events) == 0 and report.undefined_observables == 10000 and report.events_kept == 0
    specs[1] = lhe.ObservableSpec("pt_l1", "my leptons", function=leptons, required=False, default_value=-1.0)
    file, (report,) = lhe.convert(vbf_setup, [vbf], observables=specs)
    assert report.events_kept == 10000 and np.all(file.events.observations[:, 1] == -1.0)
    assert file.setup.observables[1].definition == "my leptons"
    assert specs[1].function is leptons
    # A cut that is undefined drops the event unless pass_if_undefined.
    undefined = lhe.CutSpec(function=lambda k: None)
    assert lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, cuts=[lhe.CutSpec("n_j >= 2"), lhe.CutSpec(function=lambda k: True)])[1][0].events_kept == 10000
    assert lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, cuts=[undefined])[1][0].failed_cuts == 10000
    undefined.pass_if_undefined = True
    assert lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, cuts=[undefined])[1][0].events_kept == 10000


def test_exceptions_in_callables_reach_the_caller(vbf, vbf_setup):
    def broken(k):
        return 1 / len(k.leptons)

    with pytest.raises(ZeroDivisionError):
        lhe.convert(vbf_setup, [vbf], observables={"x": broken})
    with pytest.raises(ValueError, match=r"observable 'x' returned 'text': it must return a number"):
        lhe.convert(vbf_setup, [vbf], observables={"x": lambda k: "text"})
    kept = []
    lhe.convert(vbf_setup, [vbf], observables={"x": lambda k: kept.append(k) or 1.0}, cuts=["pt_j1 > 500"])
    with pytest.raises(ValueError, match="only valid during the call"):
        kept[0].jets
    with pytest.raises(TypeError, match="must be a callable"):
        lhe.ObservableSpec("x", function=3)
    with pytest.raises(ValueError, match="unknown variable 'pt_q1'"):
        lhe.convert(vbf_setup, [vbf], observables={"x": "pt_q1"})
    with pytest.raises(KeyError, match="pt_q1"):
        lhe.builtin_variable("pt_q1")


def test_conversion_releases_the_gil_and_reacquires_it_for_callables(vbf, vbf_setup):
    # Two conversions with Python observables in two threads: both finish, with identical results.
    results = [None, None]

    def work(i):
        results[i] = lhe.convert(vbf_setup, [vbf], observables={"pt": lambda k: k.value("pt_j1"), "m": "m_jj"})[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert_files_bit_equal(results[0], results[1])


def test_kinematics_of_one_event(vbf):
    event = next(iter(lhe.Reader(vbf)))
    k = lhe.Kinematics.from_event(event)
    final = [p for p in event.particles if p.status == 1 and p.pdg_id in (1, 2, 3, 4, 5, -1, -2, -3, -4, -5, 21)]
    by_pt = sorted(final, key=lambda p: -np.hypot(p.px, p.py))
    assert_bits_equal(k.momenta("jets"), np.array([[p.px, p.py, p.pz, p.e] for p in by_pt]))
    assert_bits_equal(k.momenta("j"), k.momenta("jets"))
    assert k.pdg_ids("j").tolist() == [p.pdg_id for p in by_pt]
    assert len(k.higgs) == 1 and k.leptons == [] and k.momenta("l").shape == (0, 4)
    assert k.value("n_j") == 2.0 and k.value("pt_j1") == k.jets[0].p.pt()
    assert np.isnan(k.value("pt_j3"))
    with pytest.raises(KeyError, match="quarks"):
        k.momenta("quarks")
    calculator = lhe.ObservableCalculator([("pt", "pt_j1"), ("m", lambda k: k.value("m_jj"))], ["n_j >= 2"])
    outcome, values, failed = calculator.evaluate(event)
    assert outcome == lhe.ObservableCalculator.Outcome.kept and failed == -1
    assert_bits_equal(values, np.array([k.value("pt_j1"), k.value("m_jj")]))
    outcome, _, failed = lhe.ObservableCalculator({"pt": "pt_j1"}, ["pt_j1 > 1e6"]).evaluate(event)
    assert outcome == lhe.ObservableCalculator.Outcome.failed_cut and failed == 0
    a, b = lhe.FourMomentum(1.0, 0.0, 0.0, 2.0), lhe.FourMomentum(0.0, 1.0, 0.0, 2.0)
    assert (a + b).m() == pytest.approx(np.sqrt(16.0 - 2.0), rel=1e-15)
    assert lhe.delta_phi(3.0, -3.0) == pytest.approx(6.0 - 2 * np.pi, rel=1e-15)


def test_conversion_options_and_errors(vbf, vbf_setup, tmp_path):
    options = lhe.ConvertOptions(observables=[("pt_j1", "pt_j1")], shuffle=True, seed=7)
    assert options.observables[0].name == "pt_j1" and options.seed == 7 and options.reader.max_particles == 100000
    options.reader.event_norm = "sum"  # a reference into the options
    assert options.reader.event_norm == lhe.EventNorm.sum
    shuffled, _ = lhe.convert(vbf_setup, [vbf], options)
    plain, _ = lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"})
    assert not np.array_equal(shuffled.events.observations, plain.events.observations)
    assert_bits_equal(np.sort(shuffled.events.observations[:, 0]), np.sort(plain.events.observations[:, 0]))
    # The override was not asked for: the run card's 'average' still wins over event_norm = sum.
    assert shuffled.events.weights.sum() == pytest.approx(plain.events.weights.sum(), rel=1e-12)
    with pytest.raises(TypeError, match="not both"):
        lhe.convert(vbf_setup, [vbf], options, seed=3)
    with pytest.raises(ValueError, match="observables is empty"):
        lhe.convert(vbf_setup, [vbf])
    with pytest.raises(ValueError, match="k_factor = -1"):
        lhe.convert(vbf_setup, [lhe.LheSample(vbf, k_factor=-1.0)], observables={"pt_j1": "pt_j1"})
    with pytest.raises(FileNotFoundError):
        lhe.convert(vbf_setup, [tmp_path / "none.lhe"], observables={"pt_j1": "pt_j1"})
    with pytest.raises(ValueError, match=r"samples = 'x.lhe'"):
        lhe.convert(vbf_setup, "x.lhe", observables={"pt_j1": "pt_j1"})
    # Weight ids that differ from the benchmark names are mapped explicitly.
    renamed = pysbi.Setup(
        parameters=vbf_setup.parameters,
        benchmarks=[pysbi.Benchmark("sm" if b.name == "SM" else b.name, b.values, is_reference=b.is_reference) for b in vbf_setup.benchmarks],
    )
    file, _ = lhe.convert(renamed, [vbf], observables={"pt_j1": "pt_j1"}, weight_for_benchmark={"sm": "SM"})
    assert_bits_equal(file.events.weights, plain.events.weights)


def test_efficiencies_as_expressions_and_callables(vbf, vbf_setup, sbi_cli, tmp_path):
    efficiency = "pt_j1 > 100 ? 0.9 : 0.5"
    out = tmp_path / "efficiency.h5"
    command = [str(sbi_cli), "lhe", "--setup-from-header", str(vbf), "--out", str(out), "--observable", "pt_j1=pt_j1"]
    subprocess.run(command + ["--efficiency", efficiency], check=True, capture_output=True)
    expression, _ = lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, efficiencies=[efficiency])
    assert_files_bit_equal(expression, pysbi.read_madminer_file(out))
    python, _ = lhe.convert(
        vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, efficiencies=[lambda k: 0.9 if k.value("pt_j1") > 100 else 0.5]
    )
    assert_bits_equal(python.events.weights, expression.events.weights)
    plain, _ = lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"})
    factor = np.where(plain.events.observations[:, 0] > 100, 0.9, 0.5)
    np.testing.assert_allclose(expression.events.weights, plain.events.weights * factor[:, None], rtol=1e-15)
    # Undefined (no third jet) -> default_value; several efficiencies multiply.
    spec = lhe.EfficiencySpec(function=lambda k: None if len(k.jets) < 3 else 1.0, default_value=0.25)
    both, _ = lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, efficiencies=[spec, efficiency])
    np.testing.assert_allclose(both.events.weights, expression.events.weights * 0.25, rtol=1e-15)
    with pytest.raises(pysbi.FormatError, match="pt_j1 - 200"):
        lhe.convert(vbf_setup, [vbf], observables={"pt_j1": "pt_j1"}, efficiencies=["pt_j1 - 200"])
    with pytest.raises(ValueError, match=r"efficiencies\[0\] = 3"):
        lhe.ConvertOptions(efficiencies=[3])
