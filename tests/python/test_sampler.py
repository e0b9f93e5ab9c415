"""pysbi: the sampler from Python — every sampling mode bit for bit against `sbi augment` with the
same seed, the joint ratio and score against their closed form on a toy whose weights are exact
polynomials, the sampled distribution against the weighted one, cross sections, determinism across
thread counts, the GIL, and every error type.

Toy (as tests/sampler/test_sampler.cpp): N events with w_i(theta) = c_i (1 + beta_i theta_0 +
gamma_i theta_1)^2 + delta_i theta_0 (delta_i != 0 for one event in ten, so some morphed weights turn
negative), six benchmarks and their morphing. Observable 0 is the event index, so every sample can
be traced back to its event."""

import json
import subprocess

import numpy as np
import pytest

import pysbi
from support import assert_bits_equal, assert_releases_the_gil

N = 3000
BENCHMARKS = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]], dtype=np.float64)


class Toy:
    def __init__(self, n=N, seed=3):
        rng = np.random.default_rng(seed)
        self.c = rng.uniform(0.5, 1.5, n) * 1e-3
        self.beta = 0.5 * rng.normal(size=n)
        self.gamma = 0.3 * rng.normal(size=n)
        self.delta = np.where(np.arange(n) % 10 == 0, -2e-3, 0.0)

    def weights(self, theta):
        a = 1.0 + self.beta * theta[0] + self.gamma * theta[1]
        return self.c * a * a + self.delta * theta[0]

    def gradients(self, theta):
        a = 1.0 + self.beta * theta[0] + self.gamma * theta[1]
        return np.column_stack([2 * self.c * a * self.beta + self.delta, 2 * self.c * a * self.gamma])

    def file(self):
        parameters = [pysbi.Parameter("cHWtil", "SMEFTcpv", 4, range=(-2, 2)), pysbi.Parameter("cHW", "SMEFT", 7, range=(-2, 2))]
        benchmarks = [pysbi.Benchmark("sm" if b == 0 else f"b{b}", BENCHMARKS[b], is_reference=b == 0) for b in range(6)]
        morphing = pysbi.Morphing(pysbi.morphing_components([2, 2], 2), BENCHMARKS)
        setup = pysbi.Setup(
            parameters=parameters,
            benchmarks=benchmarks,
            morphing=morphing.to_stored(),
            observables=[pysbi.Observable("event_index"), pysbi.Observable("beta")],
        )
        n = self.c.size
        events = pysbi.Events(
            observations=np.column_stack([np.arange(n, dtype=np.float64), self.beta]),
            weights=np.column_stack([self.weights(b) for b in BENCHMARKS]),
            sampling_benchmarks=np.zeros(n, dtype=np.int64),
        )
        return pysbi.MadMinerFile(setup=setup, events=events)


@pytest.fixture(scope="module")
def toy():
    return Toy()


@pytest.fixture(scope="module")
def toy_path(toy, tmp_path_factory):
    path = tmp_path_factory.mktemp("sampler") / "toy.h5"
    pysbi.write_madminer_file(path, toy.file())
    return path


@pytest.fixture(scope="module")
def sampler(toy_path):
    return pysbi.Sampler(toy_path)


def augment(sbi_cli, path, out, kind, *arguments):
    command = [str(sbi_cli), "augment", kind, str(path), "--out", str(out), "--json", *arguments]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


FIELDS = ("x", "theta0", "theta1", "y", "r_xz", "t_xz0", "t_xz1")


@pytest.mark.parametrize(
    "kind, arguments, call",
    [
        ("plain", ["--theta", "0.5,0.2", "--theta", "b3"], lambda s: s.plain([[0.5, 0.2], [0.0, 1.0]], n_samples=400, seed=9)),
        ("local", ["--theta", "sm"], lambda s: s.local("sm", n_samples=400, seed=9)),
        (
            "density",
            ["--prior", "flat:-1,1", "--prior", "gaussian:0,0.5", "--n-thetas", "20"],
            lambda s: s.density(pysbi.ThetaSpec.random(20, ["flat:-1,1", pysbi.ParameterPrior("gaussian", 0.0, 0.5)]), n_samples=400, seed=9),
        ),
        ("ratio", ["--theta", "0.5,0.2", "--theta1", "sm"], lambda s: s.ratio([0.5, 0.2], "sm", n_samples=400, seed=9)),
        ("more-ratios", ["--theta", "b1", "--theta", "b4"], lambda s: s.more_ratios(["b1", "b4"], "sm", n_samples=400, seed=9)),
        ("test", ["--theta", "-0.3,0.8"], lambda s: s.test(pysbi.ThetaSpec.point([-0.3, 0.8]), n_samples=400, seed=9)),
    ],
)
def test_every_mode_equals_the_command_bit_for_bit(sampler, toy_path, sbi_cli, tmp_path, kind, arguments, call):
    out = tmp_path / f"{kind}.h5"
    report = augment(sbi_cli, toy_path, out, kind, "--samples", "400", "--seed", "9", *arguments)
    expected = pysbi.read_samples(out)
    result = call(sampler)
    s = result.samples
    assert s.kind == pysbi.parse_sample_kind(kind) and len(s) == 400
    assert s.kind.label == report["kind"] and s.partition.label == report["partition"]
    for name in FIELDS:
        assert_bits_equal(getattr(s, name), getattr(expected, name))
    assert (s.parameter_names, s.observable_names, s.seed) == (expected.parameter_names, expected.observable_names, 9)
    assert len(result.reports) == len(report["thetas"])
    for r, e in zip(result.reports, report["thetas"]):
        assert_bits_equal(r.theta, np.array(e["theta"]))
        assert r.n_samples == e["n_samples"] and r.redrawn == e["redrawn"]
        for field, key in (("cross_section", "cross_section_pb"), ("n_eff", "n_eff"), ("acceptance", "acceptance")):
            assert getattr(r, field) == e[key], field
    assert result.min_n_eff() == min(e["n_eff"] for e in report["thetas"])
    assert f"{len(s)} {report['kind']} samples" in result.brief_report()


def test_joint_ratio_and_score_equal_their_closed_form(sampler, toy):
    theta0, theta1 = np.array([0.3, 0.2]), np.zeros(2)
    s = sampler.ratio(theta0, "sm", n_samples=4000, seed=5).samples
    events = s.x[:, 0].astype(int)
    n_train = int(0.6 * N)
    # Train partition: the first 60 % of the file, contiguous; theta1 is the SM for every sample.
    assert events.max() < n_train and np.all(s.theta1 == 0.0) and np.all(s.theta0 == theta0)
    assert set(np.unique(s.y)) == {0.0, 1.0} and np.sum(s.y == 0) == 2000
    train = slice(0, n_train)
    w0, w1 = toy.weights(theta0), toy.weights(theta1)
    sigma0, sigma1 = w0[train].sum(), w1[train].sum()
    r = (w0[events] / sigma0) / (w1[events] / sigma1)
    np.testing.assert_allclose(s.r_xz, r, rtol=1e-10)
    t = toy.gradients(theta0)[events] / w0[events, None] - toy.gradients(theta0)[train].sum(axis=0) / sigma0
    np.testing.assert_allclose(s.t_xz0, t, rtol=1e-9, atol=1e-12)
    # beta (observable 1) was carried along unchanged.
    assert_bits_equal(s.x[:, 1], toy.beta[events])


def test_samples_follow_the_weighted_distribution(sampler, toy):
    theta = np.array([0.8, -0.5])
    result = sampler.plain(theta, n_samples=30000, seed=11)
    events = result.samples.x[:, 0].astype(int)
    n_train = int(0.6 * N)
    w = toy.weights(theta)[:n_train]
    p = np.maximum(w, 0.0) / np.maximum(w, 0.0).sum()  # negative weights are clipped, as MadMiner
    assert np.all(w[events] > 0)
    bins = 60
    observed = np.bincount(events * bins // n_train, minlength=bins)
    expected = np.array([p[b * n_train // bins : (b + 1) * n_train // bins].sum() for b in range(bins)]) * len(events)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < (bins - 1) + 5 * np.sqrt(2 * (bins - 1)), chi2
    (report,) = result.reports
    assert report.clipped_fraction == pytest.approx(np.maximum(-w, 0).sum() / np.abs(w).sum(), rel=1e-12)
    assert report.n_eff == pytest.approx(1.0 / p.max(), rel=1e-12)
    assert report.cross_section == pytest.approx(w.sum() * N / n_train, rel=1e-12)


def test_cross_sections_with_uncertainties(sampler, toy):
    thetas = np.array([[0.0, 0.0], [0.5, -1.0], [1.5, 1.5]])
    sigma, uncertainty = sampler.cross_sections(thetas)
    assert sigma.shape == uncertainty.shape == (3,)
    for t, theta in enumerate(thetas):
        w = toy.weights(theta)
        assert sigma[t] == pytest.approx(w.sum(), rel=1e-12)
        assert uncertainty[t] == pytest.approx(np.sqrt(np.sum(w * w)), rel=1e-12)
    test_sigma, _ = sampler.cross_sections(thetas, partition=pysbi.Partition.Test)
    assert test_sigma[1] == pytest.approx(toy.weights(thetas[1])[int(0.8 * N) :].sum() * 5.0, rel=1e-12)
    with pytest.raises(ValueError, match=r"thetas has shape \(3, 3\); it must have 2 columns"):
        sampler.cross_sections(np.zeros((3, 3)))


def test_deterministic_for_every_thread_count(sampler):
    one = sampler.ratio([0.5, 0.2], "sm", n_samples=500, seed=4, threads=1).samples
    three = sampler.ratio([0.5, 0.2], "sm", pysbi.SamplerOptions(n_samples=500, seed=4, threads=3)).samples
    for name in FIELDS:
        assert_bits_equal(getattr(one, name), getattr(three, name))
    other = sampler.ratio([0.5, 0.2], "sm", n_samples=500, seed=5).samples
    assert not np.array_equal(one.x, other.x)


def test_theta_specs_and_priors():
    assert pysbi.ThetaSpec.benchmark("sm").kind == pysbi.ThetaSpec.Kind.Benchmark
    assert pysbi.ThetaSpec.benchmark_list(["a", "b"]).benchmarks == ["a", "b"]
    spec = pysbi.ThetaSpec.point_list([[0.1, 0.2], [0.3, 0.4]])
    assert spec.kind == pysbi.ThetaSpec.Kind.MorphingPoints and spec.points.shape == (2, 2)
    random = pysbi.ThetaSpec.random(7, ["flat:-1,1", "gaussian:0,2"])
    assert random.n_random == 7 and random.priors[1] == pysbi.ParameterPrior.parse("gaussian:0,2")
    flat = pysbi.ParameterPrior("flat:-1.5,2")
    assert (flat.kind, flat.a, flat.b) == (pysbi.ParameterPrior.Kind.Flat, -1.5, 2.0)
    assert pysbi.ParameterPrior(pysbi.ParameterPrior.Kind.Gaussian, 1.0, 0.5) == pysbi.ParameterPrior("gaussian", 1.0, 0.5)
    with pytest.raises(ValueError, match="a flat prior needs LOW < HIGH"):
        pysbi.ParameterPrior("flat:2,1")
    with pytest.raises(ValueError, match="not of the form flat:LOW,HIGH"):
        pysbi.ParameterPrior("uniform:0,1")
    with pytest.raises(ValueError, match=r"priors\[0\] = 3"):
        pysbi.ThetaSpec.random(3, [3])


def test_options_and_errors(sampler, toy, tmp_path):
    o = pysbi.SamplerOptions()
    assert (o.n_samples, o.partition, o.test_split, o.seed, o.threads, o.shuffle) == (10000, pysbi.Partition.Train, 0.2, 42, 0, True)
    assert pysbi.SamplerOptions(partition="validation").partition == pysbi.Partition.Validation
    with pytest.raises(ValueError, match="n_samples = 0: must be at least 1"):
        sampler.plain("sm", n_samples=0)
    with pytest.raises(ValueError, match="partition 'bogus'"):
        pysbi.SamplerOptions(partition="bogus")
    with pytest.raises(TypeError, match="unexpected keyword argument 'samples'"):
        sampler.plain("sm", samples=10)
    with pytest.raises(ValueError):
        sampler.plain([0.1, 0.2, 0.3], n_samples=10)
    with pytest.raises(KeyError, match="nowhere"):
        sampler.plain("nowhere", n_samples=10)
    with pytest.raises(ValueError, match=r"theta = \{\}: must be a ThetaSpec"):
        sampler.plain({}, n_samples=10)
    with pytest.raises(FileNotFoundError):
        pysbi.Sampler(tmp_path / "missing.h5")
    no_morphing = toy.file()
    no_morphing.setup.morphing = None
    with pytest.raises(ValueError, match="needs a morphing"):
        pysbi.Sampler(no_morphing)
    with pytest.raises(ValueError, match="needs weighted events"):
        pysbi.Sampler(pysbi.MadMinerFile(setup=toy.file().setup))
    assert sampler.setup.benchmark_names() == ["sm", "b1", "b2", "b3", "b4", "b5"] and len(sampler.events) == N


def test_sampling_releases_the_gil(sampler):
    assert_releases_the_gil(
        lambda: sampler.ratio([0.5, 0.2], "sm", n_samples=800000, seed=1, threads=1, exact_statistics=False))
