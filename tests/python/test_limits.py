"""pysbi: asymptotic limits from Python — every mode bit for bit against `sbi limits` on the same
events and models (its JSON document and LimitResult.to_dict() compared key by key), an Ensemble
given directly against the same estimator as a Python callable, the Fisher information of the rate
against finite differences of the cross section, shorthands for grids and binnings, result views,
the plots, and the errors.

Events: the built-in WH -> l nu b b simulator at detector level with backgrounds (`sbi simulate
wh`, which shuffles the runs so the partitions mix them)."""

import json
import subprocess

import numpy as np
import pytest

import pysbi
from support import assert_bits_equal

GRID_1D = [(-1.0, 1.0, 17), 0.0]
GRID_2D = [(-1.0, 1.0, 9), (-0.5, 0.5, 9)]


def run(sbi_cli, *arguments):
    return subprocess.run([str(sbi_cli), *map(str, arguments)], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def study(tmp_path_factory, sbi_cli):
    """Events, a SALLY and an ALICES ensemble trained from Python, and their files."""
    folder = tmp_path_factory.mktemp("limits")
    events = folder / "events.h5"
    run(sbi_cli, "simulate", "wh", "--events", "5000", "--ttbar", "800", "--wbb", "200", "--seed", "3", "--out", events)
    sampler = pysbi.Sampler(events)
    local = sampler.local("sm", n_samples=6000, seed=1).samples
    ratio = sampler.ratio(
        pysbi.ThetaSpec.random(60, ["flat:-1,1", "flat:-0.5,0.5"]), "sm", n_samples=8000, seed=2
    ).samples
    sally = pysbi.Ensemble("sally", local.x.shape[1], 2, members=2, hidden=[24], seed=4)
    sally.train(local, epochs=3, seed=4)
    alices = pysbi.Ensemble("alices", ratio.x.shape[1], 2, members=1, hidden=[24], seed=5)
    alices.train(ratio, epochs=3, seed=5)
    sally.save(folder / "sally.h5")
    alices.save(folder / "alices.h5")
    return {"folder": folder, "events": events, "limits": pysbi.AsymptoticLimits(events), "sally": sally, "alices": alices}


def cli_results(sbi_cli, study, name, body):
    """Runs `sbi limits` on a YAML document and returns its JSON results, by label."""
    config = study["folder"] / f"{name}.yaml"
    config.write_text(
        f"events: {study['events']}\nmodels: {{sally: {study['folder'] / 'sally.h5'}, alices: {study['folder'] / 'alices.h5'}}}\n"
        f"output: {{directory: {study['folder'] / (name + '_out')}, plots: false}}\n" + body
    )
    document = json.loads(run(sbi_cli, "limits", config, "--json").stdout)
    return {r["label"]: r for r in document["results"]}


def without_timing(d):
    d = dict(d)
    d.pop("seconds")
    return d


def assert_same_result(result, cli):
    """Every key of the JSON document equal (numbers as written: shortest round-trip doubles)."""
    assert without_timing(result.to_dict()) == without_timing(cli)


GRID_1D_YAML = "grid: {c_HWtil: {range: [-1, 1], points: 17}, c_HW: 0.0}\n"
GRID_2D_YAML = "grid: {c_HWtil: {range: [-1, 1], points: 9}, c_HW: {range: [-0.5, 0.5], points: 9}}\n"


def test_rate_and_histograms_equal_sbi_limits(sbi_cli, study):
    cli = cli_results(
        sbi_cli,
        study,
        "binned",
        "theta_true: sm\nluminosity: 300000\ntemplate_partition: test\n" + GRID_1D_YAML + "scans:\n"
        "  - {label: rate, mode: rate}\n"
        "  - {label: h1, mode: histo, observables: [ql_cos_deltaplus], bins: 8}\n"
        "  - {label: h2, mode: histo, observables: [ql_cos_deltaplus, mt_lvbb], bins: [[-1, -0.5, 0, 0.5, 1], 4]}\n",
    )
    limits = study["limits"]
    rate = limits.expected_limits("sm", GRID_1D, mode="rate", template_partition="test", label="rate")
    h1 = limits.expected_limits(
        [0.0, 0.0], GRID_1D, pysbi.LimitOptions(mode="histo", observables=["ql_cos_deltaplus"], binning=8, template_partition="test")
    )
    h1.label = "h1"
    h2 = limits.expected_limits(
        "sm",
        pysbi.ScanGrid.regular([pysbi.GridAxis.range(-1, 1, 17), pysbi.GridAxis.fixed(0.0)]),
        mode="histo",
        observables=["ql_cos_deltaplus", "mt_lvbb"],
        binning=[[-1, -0.5, 0, 0.5, 1], 4],
        template_partition="test",
        label="h2",
    )
    for r in (rate, h1, h2):
        assert_same_result(r, cli[r.label])
    assert rate.mode == pysbi.LimitMode.Rate and h2.histogram_axes == ["ql_cos_deltaplus", "mt_lvbb"]
    assert h2.bin_edges[0][1:-1] == [-0.5, 0.0, 0.5]
    # The arrays are views of the result, shaped as documented.
    assert rate.q.shape == (17,) and rate.thetas.shape == (17, 2) and rate.q.base is rate
    # q is measured from the continuous best fit, which MadMiner's rounding of the observed count
    # moves slightly off the SM grid point: q there is ≥ 0 and tiny, and it is the grid's minimum.
    assert rate.best_index == int(np.argmin(rate.q)) == int(np.argmax(rate.p_values))
    assert 0.0 <= rate.q[rate.best_index] < 1e-3
    assert rate.p_values[rate.best_index] == pytest.approx(1.0, abs=1e-3)
    assert_bits_equal(rate.p_values, pysbi.asymptotic_p_values(rate.q, rate.dof))
    assert rate.report("brief") == rate.brief_report() and "q" in rate.report()
    interval = h1.interval("c_HWtil", 0.68)
    assert interval.q_threshold == pytest.approx(pysbi.chi2_quantile(0.68, 1))
    assert interval.segments[0].low < 0 < interval.segments[-1].high
    with pytest.raises(KeyError, match="c_HW' at CL 0.9"):
        h1.interval("c_HW", 0.9)


def test_two_dimensional_scans_and_contours_equal_sbi_limits(sbi_cli, study):
    cli = cli_results(
        sbi_cli,
        study,
        "contours",
        "theta_true: [0.0, 0.0]\ntemplate_partition: test\n" + GRID_2D_YAML + "scans:\n"
        "  - {label: h2, mode: histo, observables: [ql_cos_deltaplus, mt_lvbb], bins: 5}\n",
    )
    r = study["limits"].expected_limits(
        [0, 0], GRID_2D, mode="histo", observables=["ql_cos_deltaplus", "mt_lvbb"], binning=5, template_partition="test", label="h2"
    )
    assert_same_result(r, cli["h2"])
    assert r.grid.shape == [9, 9] and r.dof == 2 and len(r.contours) == 2
    line = r.contours[0].lines[0]
    assert line.points.shape[1] == 2 and line.points.shape[0] > 4


def test_score_and_ratio_modes_equal_sbi_limits(sbi_cli, study):
    cli = cli_results(
        sbi_cli,
        study,
        "models",
        "theta_true: sm\ntemplate_partition: test\n" + GRID_1D_YAML + "scans:\n"
        "  - {label: sally, mode: sally, model: sally, bins: 6}\n"
        "  - {label: sallino, mode: sallino, model: sally, bins: 6}\n"
        "  - {label: adaptive, mode: adaptive-sally, model: sally}\n"
        "  - {label: ml, mode: ml, model: alices}\n",
    )
    limits, sally, alices = study["limits"], study["sally"], study["alices"]
    common = dict(template_partition="test")
    results = {
        "sally": limits.expected_limits("sm", GRID_1D, mode="sally", binning=6, estimator=sally, label="sally", **common),
        "sallino": limits.expected_limits("sm", GRID_1D, mode="sallino", binning=6, estimator=sally, label="sallino", **common),
        "adaptive": limits.expected_limits("sm", GRID_1D, mode="adaptive-sally", estimator=sally, label="adaptive", **common),
        "ml": limits.expected_limits("sm", GRID_1D, mode="ml", estimator=alices, label="ml", **common),
    }
    for label, r in results.items():
        assert_same_result(r, cli[label])

    # The same estimators as Python callables give the same numbers; the scan calls them in batches.
    calls = {"score": [], "log_ratio": []}

    def score(x):
        calls["score"].append(x.shape)
        return sally.evaluate_score(x).mean

    def log_ratio(x, thetas):
        calls["log_ratio"].append((x.shape, thetas.shape))
        return alices.evaluate_log_ratio(x, thetas).mean

    by_callable = limits.expected_limits("sm", GRID_1D, mode="sally", binning=6, score=score, **common)
    assert_bits_equal(by_callable.q, results["sally"].q)
    by_callable = limits.expected_limits(
        "sm", GRID_1D, mode="sallino", binning=6, score=score, theta_ref=sally[0].reference_theta, **common
    )
    assert_bits_equal(by_callable.q, results["sallino"].q)
    by_callable = limits.expected_limits("sm", GRID_1D, mode="ml", log_ratio=log_ratio, **common)
    assert_bits_equal(by_callable.q, results["ml"].q)
    assert_bits_equal(by_callable.log_likelihood_kinematic, results["ml"].log_likelihood_kinematic)
    # Each call gets every event at once (and up to theta_batch_size = 32 points): a few dozen calls
    # for the scan and its refinement, never one per event.
    n_o = len(limits.setup.observables)
    assert 1 <= len(calls["score"]) <= 10 and all(shape[0] > 100 and shape[1] == n_o for shape in calls["score"])
    assert 1 <= len(calls["log_ratio"]) <= 60, len(calls["log_ratio"])
    assert all(x[0] > 100 and x[1] == n_o and 1 <= t[0] <= 32 and t[1] == 2 for x, t in calls["log_ratio"])
    # An Estimator (not an Ensemble) is a one-member ensemble.
    single = limits.expected_limits("sm", GRID_1D, mode="ml", estimator=alices[0], **common)
    assert_bits_equal(single.q, results["ml"].q)


def test_observed_limits_equal_sbi_limits(sbi_cli, study):
    observed = pysbi.read_madminer_file(study["events"]).events.observations[::7][:300]
    np.save(study["folder"] / "observed.npy", observed)
    cli = cli_results(
        sbi_cli,
        study,
        "observed",
        f"observed: {study['folder'] / 'observed.npy'}\nluminosity: 100\n" + GRID_1D_YAML + "scans:\n"
        "  - {label: histo, mode: histo, observables: [mt_lvbb], bins: 5}\n"
        "  - {label: ml, mode: ml, model: alices}\n",
    )
    limits = study["limits"]
    histo = limits.observed_limits(observed, GRID_1D, mode="histo", observables=["mt_lvbb"], binning=5, luminosity=100, label="histo")
    ml = limits.observed_limits(observed, GRID_1D, mode="ml", luminosity=100, estimator=study["alices"], label="ml")
    assert_same_result(histo, cli["histo"])
    assert_same_result(ml, cli["ml"])
    assert not histo.expected and histo.n_events == 300 and histo.theta_true.size == 0


def test_fisher_information(study):
    limits = study["limits"]
    rate = limits.fisher_information("sm", kind="rate", luminosity=3e5)
    assert rate.kind == pysbi.FisherKind.Rate and rate.information.shape == (2, 2)
    # sigma(theta) is quadratic in theta: central differences of the cross section are exact up
    # to rounding, so L grad sigma grad sigma^T / sigma follows from cross_sections().
    h = 0.1
    theta = np.zeros(2)
    sigma = limits.cross_sections(theta)[0]
    gradient = np.array(
        [(limits.cross_sections(theta + h * e)[0] - limits.cross_sections(theta - h * e)[0]) / (2 * h) for e in np.eye(2)]
    )
    np.testing.assert_allclose(rate.information, 3e5 * np.outer(gradient, gradient) / sigma, rtol=1e-9, atol=1e-9 * np.abs(rate.information).max())
    truth = limits.fisher_information([0.0, 0.0], pysbi.FisherOptions(kind="truth"))
    assert np.all(np.linalg.eigvalsh(truth.information - rate.information) > -1e-6 * np.abs(truth.information).max())
    half = truth.interval_half_widths(0.68)
    assert half.shape == (2,) and np.all(half > 0)
    by_estimator = limits.fisher_information("sm", kind="score", estimator=study["sally"])
    by_callable = limits.fisher_information("sm", kind="score", score=lambda x: study["sally"].evaluate_score(x).mean)
    assert_bits_equal(by_estimator.information, by_callable.information)


def test_shorthands_and_options(study):
    o = pysbi.LimitOptions(mode="adaptive_sally", binning=12, binning_reference="per-point", template_partition="test")
    assert o.mode == pysbi.LimitMode.AdaptiveSally and o.binning_reference == pysbi.BinningReference.PerPoint
    assert len(o.binning) == 1 and o.binning[0].is_adaptive and len(o.binning[0]) == 12
    o.binning = [[0, 1, 2], np.int64(4), pysbi.AxisBinning.adaptive(3)]
    assert [b.size for b in o.binning] == [2, 4, 3] and o.binning[0].edges == [0.0, 1.0, 2.0]
    assert o.luminosity == 300000.0 and o.confidence_levels == [0.68, 0.95] and o.theta_batch_size == 32
    assert o.theta_ref.size == 0
    o.theta_ref = [0.1, 0.0]
    assert_bits_equal(o.theta_ref, np.array([0.1, 0.0]))
    grid = pysbi.ScanGrid.regular([(-1, 1, 5), 0.25])
    assert grid.size == 5 and grid.shape == [5, 1] and grid.scanned_parameters() == [0] and grid.is_regular
    assert_bits_equal(grid.thetas[:, 0], np.linspace(-1, 1, 5))
    points = pysbi.ScanGrid.points([[0.0, 0.1], [0.2, 0.3]])
    assert not points.is_regular and points.size == 2
    r = study["limits"].expected_limits("sm", np.array([[0.0, 0.0], [0.3, 0.0], [-0.3, 0.1]]))
    assert not r.grid.is_regular and r.q.shape == (3,) and r.intervals == []
    assert pysbi.parse_limit_mode("adaptive-sally") == pysbi.LimitMode.AdaptiveSally
    assert pysbi.is_binned("sally") and not pysbi.is_binned("ml") and pysbi.needs_score("sallino")
    assert pysbi.chi2_quantile(0.68, 1) == pytest.approx(0.988946, abs=1e-6)
    assert pysbi.asymptotic_p_value(0.0, 1) == 1.0
    assert pysbi.poisson_log_likelihood(3, 2.0) == pytest.approx(3 * np.log(2) - 2 - np.log(6), rel=1e-14)
    segments = pysbi.interval_segments(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41) ** 2, 1.0)
    assert len(segments) == 1 and segments[0].low == pytest.approx(-1, abs=1e-9) and segments[0].high == pytest.approx(1, abs=1e-9)
    limits = study["limits"]
    assert limits.setup.parameters.names() == ["c_HWtil", "c_HW"] and len(limits.events) == 6000
    assert limits.nuisance_parameter_names() == []
    sigma = limits.cross_sections([[0.0, 0.0], [0.5, 0.0]], partition="all")
    assert sigma.shape == (2,) and sigma[1] > sigma[0] > 0


def test_results_files_and_reports(tmp_path, study):
    r = study["limits"].expected_limits("sm", GRID_1D, mode="rate", label="rate only")
    pysbi.write_limit_results_json(tmp_path / "limits.json", [r])
    document = json.loads((tmp_path / "limits.json").read_text())
    assert document["sbi_version"] == pysbi.__version__ and document["results"][0] == r.to_dict()
    assert json.loads(r.to_json(indent=-1)) == r.to_dict() and r.to_dict()["label"] == "rate only"
    assert "rate only" in pysbi.limits_table([r])
    assert str(r) == r.brief_report() and "rate only" in repr(r)
    with pytest.raises(ValueError, match="brief"):
        r.report("short")
    paths = pysbi.plot_limit_scans([r], "c_HWtil", tmp_path / "scan", formats=["png"])
    assert [p.name for p in paths] == ["scan.png"] and paths[0].stat().st_size > 1000


def test_errors(study):
    limits, sally, alices = study["limits"], study["sally"], study["alices"]
    with pytest.raises(ValueError, match="theta_true has 3 values; it must have 2"):
        limits.expected_limits([0, 0, 0], GRID_1D)
    with pytest.raises(KeyError, match="'nowhere': not a benchmark"):
        limits.expected_limits("nowhere", GRID_1D)
    with pytest.raises(ValueError, match="grid"):
        limits.expected_limits("sm", "everywhere")
    with pytest.raises(ValueError, match=r"grid\[1\]"):
        limits.expected_limits("sm", [(-1, 1, 5), "zero"])
    with pytest.raises(ValueError, match="score"):
        limits.expected_limits("sm", GRID_1D, mode="sally")
    with pytest.raises(KeyError, match="no_such_observable"):
        limits.expected_limits("sm", GRID_1D, mode="histo", observables=["no_such_observable"])
    with pytest.raises(TypeError, match="not both"):
        limits.expected_limits("sm", GRID_1D, mode="sally", estimator=sally, score=lambda x: x)
    with pytest.raises(TypeError, match="Ensemble or pysbi.Estimator"):
        limits.expected_limits("sm", GRID_1D, mode="sally", estimator="sally")
    with pytest.raises(ValueError, match=r"score\(x\) returned shape \(3, 2\)"):
        limits.expected_limits("sm", GRID_1D, mode="sally", score=lambda x: np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"log_ratio\(x, thetas\) returned shape"):
        limits.expected_limits("sm", GRID_1D, mode="ml", log_ratio=lambda x, t: np.zeros((x.shape[0], t.shape[0] + 1)))

    def broken(x):
        raise ZeroDivisionError("inside the estimator")

    with pytest.raises(ZeroDivisionError, match="inside the estimator"):
        limits.expected_limits("sm", GRID_1D, mode="sally", score=broken)
    with pytest.raises(ValueError, match="luminosity"):
        limits.expected_limits("sm", GRID_1D, luminosity=-1.0)
    n_o = len(limits.setup.observables)
    with pytest.raises(ValueError, match=rf"x_observed has shape \(4, 3\); it must have {n_o} columns"):
        limits.observed_limits(np.zeros((4, 3)), GRID_1D)
    with pytest.raises(ValueError, match="mode = 'fast'|rate, histo"):
        pysbi.LimitOptions(mode="fast")
    with pytest.raises(ValueError, match=r"binning\[1\]"):
        pysbi.LimitOptions(binning=[4, "many"])
    other = pysbi.Estimator("sally", 3, 2, hidden=[4])
    with pytest.raises(ValueError, match=f"takes 3 observables; the events have {n_o}"):
        limits.expected_limits("sm", GRID_1D, mode="sally", estimator=other)
    with pytest.raises(FileNotFoundError):
        pysbi.AsymptoticLimits(study["folder"] / "missing.h5")


def test_limit_plots(study):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    limits = study["limits"]
    rate = limits.expected_limits("sm", GRID_2D, mode="rate", label="rate")
    histo = limits.expected_limits("sm", GRID_2D, mode="histo", observables=["ql_cos_deltaplus"], binning=6, template_partition="test")
    fig = pysbi.plotting.plot_limit_scans([rate, histo], "c_HWtil")
    ax = fig.axes[0]
    assert_bits_equal(ax.lines[0].get_ydata(), rate.profiles[0].q)
    assert_bits_equal(ax.lines[1].get_xdata(), histo.profiles[0].values)
    thresholds = sorted(line.get_ydata()[0] for line in ax.lines if line.get_label().endswith("% CL"))
    assert thresholds == pytest.approx([pysbi.chi2_quantile(0.68, 1), pysbi.chi2_quantile(0.95, 1)])
    fig = pysbi.plotting.plot_limit_contours([rate, histo])
    labelled = [line.get_label() for line in fig.axes[0].lines if not line.get_label().startswith("_")]
    assert "rate 68 % CL" in labelled and "histo 95 % CL" in labelled
    first = fig.axes[0].lines[0]
    assert_bits_equal(np.asarray(first.get_xdata())[: rate.contours[0].lines[0].points.shape[0]], rate.contours[0].lines[0].points[:, 0])
    fig = pysbi.plotting.plot_limits([rate, histo])
    assert len(fig.axes) == 3  # c_HWtil, c_HW profiles and the contour panel
    with pytest.raises(ValueError, match="no result has contours"):
        pysbi.plotting.plot_limit_contours(limits.expected_limits("sm", GRID_1D))


def test_cpp_callbacks_and_the_calibrated_log_ratio(study):
    limits, sally, alices = study["limits"], study["sally"], study["alices"]
    events = limits.events
    x = events.observations[:500]
    score = pysbi.score_function(sally)
    assert_bits_equal(score(x), sally.evaluate_score(x).mean)
    log_ratio = pysbi.log_ratio_function(alices)
    thetas = np.array([[0.0, 0.0], [0.4, -0.1]])
    assert_bits_equal(log_ratio(x, thetas), alices.evaluate_log_ratio(x, thetas).mean)
    assert "sally ensemble of 2" in repr(score)
    with pytest.raises(ValueError, match="estimates log r, not the score"):
        pysbi.score_function(alices)
    with pytest.raises(ValueError, match="estimates the score, not log r"):
        pysbi.log_ratio_function(sally)
    # C++ callbacks passed back to a scan give what estimator= gives.
    common = dict(template_partition="test")
    by_estimator = limits.expected_limits("sm", GRID_1D, mode="sally", estimator=sally, **common)
    by_function = limits.expected_limits("sm", GRID_1D, mode="sally", score=score, theta_ref=[0.0, 0.0], **common)
    assert_bits_equal(by_function.q, by_estimator.q)
    by_function = limits.expected_limits("sm", GRID_1D, mode="ml", log_ratio=log_ratio, **common)
    assert_bits_equal(by_function.q, limits.expected_limits("sm", GRID_1D, mode="ml", estimator=alices, **common).q)

    # The events the limits use: the test slice at the end of the file, with per-run factors.
    test = pysbi.partition_events(limits.setup, events, "test")
    n = len(events)
    assert (test.begin, test.end) == (n - round(0.2 * n), n) and len(test) == test.end - test.begin
    assert_bits_equal(test.rows, np.arange(test.begin, test.end, dtype=np.int64))
    sm = limits.setup.benchmark_index("sm")
    sigma = limits.cross_sections([0.0, 0.0], partition="test")[0]
    assert np.sum(test.factors * events.weights[test.rows, sm]) == pytest.approx(sigma, rel=1e-12)
    assert pysbi.closest_generation_run(limits.setup, events, [0.1, 0.0]) == sm

    # The calibrated estimator, by its definition, with the Asimov events weighted at the SM.
    xc, wc = events.observations[test.rows], test.factors * events.weights[test.rows, sm]
    calibrated = pysbi.calibrated_log_ratio_function(alices, xc, wc)
    raw = alices.evaluate_log_ratio(x, thetas).mean - alices.evaluate_log_ratio(x, [0.0, 0.0]).mean
    rc = alices.evaluate_log_ratio(xc, thetas).mean - alices.evaluate_log_ratio(xc, [0.0, 0.0]).mean
    expected = raw - np.log(np.exp(rc) @ wc / wc.sum())[:, None]
    np.testing.assert_allclose(calibrated(x, thetas), expected, rtol=0, atol=1e-12)
    # Jensen: with the calibration events = the Asimov data, the expected kinematic log-likelihood
    # is <= 0 and vanishes at theta1 = SM, so the best grid point is the SM.
    r = limits.expected_limits("sm", GRID_1D, mode="ml", log_ratio=calibrated, include_rate=False, **common)
    centre = int(np.argmin(np.abs(r.thetas[:, 0])))
    assert r.thetas[centre, 0] == 0.0 and abs(r.log_likelihood_kinematic[centre]) < 1e-6
    assert np.all(r.log_likelihood_kinematic <= 1e-6) and r.best_index == centre
    with pytest.raises(ValueError, match="no calibration events"):
        pysbi.calibrated_log_ratio_function(alices, np.zeros((0, len(limits.setup.observables))))
