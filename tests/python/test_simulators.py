"""pysbi: the built-in simulators from Python.

Galton board: the exact p(x|theta) against the values of the data README, runs driven by NumPy's
RandomState against the "Mining gold" authors' own samples and nail probabilities, joint quantities
against the path likelihood, the sampled x against the exact distribution.
WH simulator: events bit for bit against `sbi simulate wh` with the same seed (another thread
count), the exact quadratic dependence on theta (components, morphing, cross sections), the
parton-level truth against its closed form, the LHE export read back, options and errors."""

import math
import subprocess

import numpy as np
import pytest

import pysbi
from conftest import shared_data_dir
from support import assert_bits_equal

AUTHORS_THETAS = np.linspace(-1.0, 0.0, 21)  # the authors' grid; theta1 = thetas[8] = -0.6


def galton_data(name):
    path = shared_data_dir() / "toy" / "galton" / name
    if not path.is_file():
        pytest.skip(f"Galton board data not available: {path} (set SBI_SHARED_DATA)")
    return np.load(path)


# ---------------------------------------------------------------------------------------------
# Galton board


def test_exact_distribution_equals_the_readme_values():
    listed = [0.001098, 0.006537, 0.018737, 0.035224, 0.050121, 0.059202, 0.062187, 0.061345, 0.059371, 0.058284, 0.059267]
    listed += [0.062792, 0.068618, 0.075520, 0.080850, 0.080534, 0.070636, 0.050906, 0.027496, 0.009656, 0.001621]
    board = pysbi.GaltonBoard()
    exact = board.exact(-0.8)
    assert board.n_outcomes == 32 and exact.p.shape == (32,) and exact.theta == -0.8
    np.testing.assert_allclose(exact.p[5:26], listed, rtol=0, atol=5.01e-7)
    assert np.all(exact.p[:5] == 0) and np.all(exact.p[26:] == 0)
    assert exact.p.sum() == pytest.approx(1.0, abs=1e-14)
    reachable = exact.p > 0
    assert_bits_equal(exact.t[reachable], exact.dp_dtheta[reachable] / exact.p[reachable])
    assert np.all(np.isnan(exact.t[~reachable]))
    assert abs(np.sum(exact.p[reachable] * exact.t[reachable])) < 1e-12  # E[t(x|theta)] = 0
    h = 1e-5
    numeric = (np.log(board.exact(-0.8 + h).p[reachable]) - np.log(board.exact(-0.8 - h).p[reachable])) / (2 * h)
    np.testing.assert_allclose(exact.t[reachable], numeric, rtol=1e-6, atol=1e-7)
    log_r = board.exact_log_ratio(-0.8, -0.6)
    np.testing.assert_allclose(log_r[reachable], np.log(exact.p[reachable] / board.exact(-0.6).p[reachable]), rtol=1e-13)
    assert np.isnan(log_r[0])


def test_nails_equal_the_formula_and_the_authors_array():
    board = pysbi.GaltonBoard()
    nails = galton_data("nail_positions.npy")
    assert nails.shape == (21, 20, 31)
    for i in (0, 8, 13, 20):
        theta = AUTHORS_THETAS[i]
        for level in range(20):
            l = level / 19
            for position in range(31):
                if level % 2 == 1 and position == 0:
                    assert board.p_left(level, position, theta) == 0.0  # the wall: always right
                    continue
                nu = 2 * position / 30 - 1
                formula = (1 - math.sin(math.pi * l)) / 2 + math.sin(math.pi * l) / (1 + math.exp(-10 * theta * nu))
                assert board.p_left(level, position, theta) == pytest.approx(formula, abs=3e-16)
                assert board.p_left(level, position, theta) == pytest.approx(nails[i, level, position], abs=3e-16)
    with pytest.raises(ValueError):
        board.p_left(20, 0, 0.0)


def test_runs_driven_by_numpy_reproduce_the_authors_samples():
    x, t_xz, log_r_xz = galton_data("x.npy"), galton_data("t_xz.npy"), galton_data("logr_xz.npy")
    board = pysbi.GaltonBoard()
    theta1 = AUTHORS_THETAS[8]
    for i in (0, 8, 15, 20):
        rng = np.random.RandomState(1234 + i)
        for k in range(400):
            run = board.run(AUTHORS_THETAS[i], theta1, rng.rand(20))
            assert run.x == x[i, k]
            assert run.t_xz == pytest.approx(t_xz[i, k], abs=1e-12)
            assert run.log_r_xz == pytest.approx(log_r_xz[i, k], abs=1e-12)
            assert len(run.positions) == len(run.directions) == 20 and run.positions[0] == 15
    with pytest.raises(ValueError, match="uniforms has 19 values; it must have 20"):
        board.run(0.0, 0.0, np.zeros(19))


def test_simulated_runs_are_consistent_and_follow_the_exact_distribution():
    board = pysbi.GaltonBoard()
    theta, theta1 = -0.45, -0.6
    sample = board.simulate(theta, 40000, seed=17, theta1=theta1)
    assert (len(sample), sample.z.shape, sample.theta, sample.theta1) == (40000, (40000, 20), theta, theta1)
    assert sample.x.dtype == np.int64 and not sample.x.flags.writeable
    for i in range(200):
        positions, x = sample.z[i], int(sample.x[i])
        assert sample.t_xz[i] == pytest.approx(board.joint_score(positions, x, theta), rel=1e-13, abs=1e-13)
        log_r = board.joint_log_likelihood(positions, x, theta) - board.joint_log_likelihood(positions, x, theta1)
        assert sample.log_r_xz[i] == pytest.approx(log_r, rel=1e-12, abs=1e-12)
    p = board.exact(theta).p
    counts = np.bincount(sample.x, minlength=32)
    bins = p * len(sample) >= 5
    chi2 = np.sum((counts[bins] - p[bins] * len(sample)) ** 2 / (p[bins] * len(sample)))
    dof = bins.sum() - 1
    assert chi2 < dof + 5 * math.sqrt(2 * dof), chi2
    assert np.all(counts[~(p > 0)] == 0)
    # The joint score averages to the marginal score: E[t(x,z)|x] = t(x) (checked on the mean).
    assert abs(sample.t_xz.mean()) < 5 * sample.t_xz.std() / math.sqrt(len(sample))
    again = board.simulate(theta, 40000, seed=17, theta1=theta1)
    assert_bits_equal(again.x, sample.x)
    assert_bits_equal(again.t_xz, sample.t_xz)
    # Staying at the wall beyond the last nail has probability 0; a jump is not a path at all.
    small = pysbi.GaltonBoard(levels=4, nails=3, start=1)
    assert small.joint_log_likelihood([1, 2, 2, 3], 3, 0.3) == -math.inf
    assert math.isnan(small.joint_score([1, 2, 2, 3], 3, 0.3))
    with pytest.raises(ValueError, match="is not a move"):
        board.joint_log_likelihood([15, 15, 17] + [17] * 17, 17, 0.3)


def test_galton_options():
    assert pysbi.GaltonOptions().to_dict() == {"levels": 20, "nails": 31, "start": 15, "steepness": 10.0}
    small = pysbi.GaltonBoard(levels=6, nails=7, start=3)
    assert small.n_outcomes == 8 and small.options.levels == 6
    assert small.exact(0.2).p.sum() == pytest.approx(1.0, abs=1e-14)
    with pytest.raises(ValueError, match="levels = 1"):
        pysbi.GaltonBoard(levels=1)
    with pytest.raises(ValueError, match="start = 40"):
        pysbi.GaltonBoard(pysbi.GaltonOptions(start=40))
    with pytest.raises(ValueError):
        pysbi.GaltonBoard().simulate(0.0, -1, seed=1)
    with pytest.raises(ValueError):
        pysbi.GaltonBoard().joint_log_likelihood([15] * 3, 15, 0.0)


# ---------------------------------------------------------------------------------------------
# WH simulator


def simulate(sbi_cli, out, *arguments):
    subprocess.run([str(sbi_cli), "simulate", "wh", "--out", str(out), *arguments], check=True, capture_output=True)
    return pysbi.read_madminer_file(out)


def assert_same_events(sample, written, any_order=False):
    """The set-up and every event array of a WHSample equal those of a file, bit for bit (the file
    also has the sample summary that writing derives). any_order: the file may hold the events in
    another order (the command mixes background runs into the signal)."""
    assert sample.setup == written.setup
    assert sample.events.process_names == written.events.process_names

    def order(events):
        return np.lexsort(events.observations.T[::-1]) if any_order else np.arange(len(events))

    mine, theirs = order(sample.events), order(written.events)
    for name in ("observations", "weights", "sampling_benchmarks", "process_ids"):
        assert_bits_equal(getattr(sample.events, name)[mine], getattr(written.events, name)[theirs])


def test_events_equal_the_command_bit_for_bit(sbi_cli, tmp_path):
    parton = simulate(sbi_cli, tmp_path / "parton.h5", "--events", "400", "--seed", "5", "--parton-level")
    sample = pysbi.WHSimulator(parton_level=True, threads=2).generate(400, 5)
    assert_same_events(sample, parton)
    detector = simulate(sbi_cli, tmp_path / "detector.h5", "--events", "300", "--seed", "5", "--ttbar", "40", "--wbb", "30")
    simulator = pysbi.WHSimulator(pysbi.WHOptions(threads=1))
    with_background = simulator.generate(300, 5)
    simulator.add_background(with_background, 40, 30, 6)
    assert_same_events(with_background, detector, any_order=True)
    copy = tmp_path / "copy.h5"
    pysbi.write_madminer_file(copy, with_background.to_madminer_file())
    assert pysbi.read_madminer_file(copy).sample_summary == detector.sample_summary
    events = with_background.events
    assert len(events) == 370 and events.process_names == ["signal", "ttbar", "wbb"]
    assert np.sum(events.process_ids == 1) == 40 and np.sum(events.process_ids == 2) == 30
    background = events.sampling_benchmarks == -1
    assert np.all(events.weights[background] == events.weights[background, :1])


def test_samples_do_not_depend_on_the_thread_count():
    # Regression: the number of generation blocks was rounded up to a multiple of the thread count,
    # and every block run enters the cross-section integral, so the weights depended on it.
    for parton_level in (True, False):
        one = pysbi.WHSimulator(parton_level=parton_level, threads=1).generate(300, 5)
        three = pysbi.WHSimulator(parton_level=parton_level, threads=3).generate(300, 5)
        assert_bits_equal(one.sigma_components, three.sigma_components)
        assert_bits_equal(one.events.weights, three.events.weights)
        assert_bits_equal(one.events.observations, three.events.observations)
        assert one.candidates == three.candidates


def test_weights_are_exactly_quadratic_in_theta():
    simulator = pysbi.WHSimulator(parton_level=True, threads=2)
    sample = simulator.generate(300, 8)
    setup, events = sample.setup, sample.events
    assert setup.parameters.names() == ["c_HWtil", "c_HW"] and setup.benchmark_names()[0] == "sm"
    assert_bits_equal(pysbi.wh_monomials([0.5, -2.0]), np.array([1.0, 0.5, -2.0, 0.25, -1.0, 4.0]))
    assert_bits_equal(pysbi.wh_monomial_gradients([0.5, -2.0]), np.array([[0, 1, 0, 1.0, -2.0, 0], [0, 0, 1, 0, 0.5, -4.0]]))
    # Benchmark weights are the components at the benchmarks ...
    phi_b = np.array([pysbi.wh_monomials(b) for b in setup.benchmark_values()])
    np.testing.assert_allclose(events.weights, sample.components @ phi_b.T, rtol=1e-12)
    # ... so the stored morphing reproduces the weights at any theta.
    morphing = pysbi.Morphing.from_setup(setup)
    thetas = np.array([[0.7, -0.3], [-1.1, 0.9], [3.0, 2.0]])
    phi = np.array([pysbi.wh_monomials(t) for t in thetas])
    np.testing.assert_allclose(morphing.morphed_event_weights(events.weights, thetas), sample.components @ phi.T, rtol=1e-9)
    sigma = pysbi.WHSimulator.cross_sections(sample, thetas)
    assert_bits_equal(sigma, np.array([pysbi.WHSimulator.cross_section(sample, t) for t in thetas]))
    np.testing.assert_allclose(sigma, phi @ sample.sigma_components, rtol=1e-14)
    # c_HW > 0 raises the rate (destructive a2 interference); the CP-odd c_HWtil enters squared only.
    assert pysbi.WHSimulator.cross_section(sample, [0, 0.5]) > pysbi.WHSimulator.cross_section(sample, [0, 0])
    assert sample.sigma_components[1] == pytest.approx(0.0, abs=0.05 * sample.sigma_components[0])
    # Unweighted at the SM: equal weights there, apart from events above the unweighting maximum.
    w_sm = events.weights[:, 0]
    heavier = w_sm > np.min(w_sm) * (1 + 1e-9)
    assert np.sum(heavier) == sample.overweight and sample.accepted == 300
    assert np.ptp(w_sm[~heavier]) <= 1e-12 * np.min(w_sm)
    kappa = simulator.kappa()
    assert kappa == pytest.approx(1.0 / (math.sqrt(2.0) * 1.166379e-5 * 1000.0**2), rel=1e-15)
    assert simulator.couplings([0.3, -0.4]) == pytest.approx((1.0, 0.4 * kappa, -0.3 * kappa), rel=1e-15)


def test_parton_level_truth_equals_its_closed_form():
    simulator = pysbi.WHSimulator(parton_level=True, threads=2)
    sample = simulator.generate(250, 21)
    theta0, theta1 = np.array([0.4, -0.6]), np.array([0.0, 0.0])
    truth = simulator.truth(sample, theta0, theta1)
    phi0, phi1 = pysbi.wh_monomials(theta0), pysbi.wh_monomials(theta1)
    w0, w1 = sample.components @ phi0, sample.components @ phi1
    s0, s1 = sample.sigma_components @ phi0, sample.sigma_components @ phi1
    np.testing.assert_allclose(truth.log_r, np.log(w0 / s0) - np.log(w1 / s1), rtol=1e-10, atol=1e-12)
    grad = pysbi.wh_monomial_gradients(theta0)
    t = (sample.components @ grad.T) / w0[:, None] - (grad @ sample.sigma_components) / s0
    np.testing.assert_allclose(truth.t, t, rtol=1e-9, atol=1e-12)
    back = simulator.truth(sample, theta1, theta0)
    np.testing.assert_allclose(truth.log_p - back.log_p, truth.log_r, rtol=1e-12, atol=1e-12)
    # The matrix element of one event: |M|^2 = a^T P a with the pieces, and D_c proportional to the stored components.
    names = pysbi.WHSimulator.observable_names()
    m, x = sample.momenta[0], sample.events.observations[0]
    event = pysbi.WHPartonEvent(m[0:4], m[4:8], m[8:12], m[12:16], m[16:20], m[20:24], charge=int(x[names.index("q_l")]))
    assert_bits_equal(simulator.parton_observables(event), x)
    a = np.array(simulator.couplings(theta0))
    pieces = simulator.matrix_element_pieces(event.parton1, event.parton2, event)
    assert simulator.matrix_element_squared(event, theta0, True) == pytest.approx(a @ pieces @ a, rel=1e-12)
    ratio = simulator.dsigma_components(event) / sample.components[0]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    # The truth follows the sample's own options: a detector-level sample has none.
    detector_sample = pysbi.WHSimulator(threads=2).generate(20, 5)
    with pytest.raises(ValueError, match="parton_level = false"):
        simulator.truth(detector_sample, theta0, theta1)
    with pytest.raises(ValueError, match=r"theta0 has 3 values; it must have 2"):
        simulator.truth(sample, [0, 0, 0], theta1)


def test_lhe_export_reads_back(tmp_path):
    simulator = pysbi.WHSimulator(threads=2)
    sample = simulator.generate(200, 3)
    path = tmp_path / "wh.lhe"
    pysbi.write_wh_lhe(path, sample, simulator)
    header = pysbi.lhe.read_header(path)
    setup = pysbi.lhe.setup_from_header(header)
    assert len(setup.benchmarks) == 6 and len(list(pysbi.lhe.Reader(path))) == 200
    file, (report,) = pysbi.lhe.convert(setup, [path], observables={"pt_l1": "pt_l1", "m_bb": "m_bb"})
    np.testing.assert_allclose(file.events.weights, sample.events.weights, rtol=1e-9)  # 10 significant digits
    assert report.event_norm == pysbi.lhe.EventNorm.sum
    assert report.cross_section_pb == pytest.approx(sample.events.cross_sections()[0], rel=1e-9)


def test_wh_options_and_errors():
    options = pysbi.WHOptions()
    assert (options.sqrt_s, options.lambda_, options.m_h, options.parton_level, options.warmup) == (13000.0, 1000.0, 125.09, False, 100000)
    assert pysbi.WHSimulator(lambda_=2000.0).kappa() == pytest.approx(pysbi.WHSimulator().kappa() / 4, rel=1e-15)
    with pytest.raises(ValueError, match="warmup = 10: must be at least 1000"):
        pysbi.WHSimulator(warmup=10)
    with pytest.raises(TypeError, match="unexpected keyword argument 'lambda'"):
        pysbi.WHOptions(**{"lambda": 2000.0})
    with pytest.raises(ValueError):
        pysbi.WHSimulator().generate(-1, 1)
    with pytest.raises(ValueError):
        pysbi.WHSimulator().generate(10, 1, sampling_benchmark=6)
    with pytest.raises(ValueError, match=r"lepton has 3 values; it must have 4"):
        pysbi.WHPartonEvent([1, 2, 3], [0] * 4, [0] * 4, [0] * 4, [0] * 4, [0] * 4)
    custom = pysbi.WHSimulator(threads=2).generate(50, 1, benchmarks=pysbi.WHSimulator.default_benchmarks()[:3])
    assert custom.setup.benchmark_names() == ["sm", "morphing_basis_vector_1", "morphing_basis_vector_2"]
    assert custom.setup.morphing is None  # three points cannot morph six components
    densities = pysbi.grv94_lo(0.1, 100.0)
    assert densities.u > densities.d > densities.dbar > 0 and densities.g > densities.u
