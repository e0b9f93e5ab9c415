"""pysbi: morphing from Python — components, square and over-complete bases, weights and their
derivatives, morphed event weights and cross sections, the derivative checker and the basis
optimisation, checked bit for bit against the `sbi` command, against analytic truths (the cHbox
rescaling of the real SMEFTsim VBF files, minimum-norm weights), and for every error type. Also the
morphing plots of pysbi.plotting."""

import itertools
import json
import math
import subprocess

import numpy as np
import pytest

import pysbi
from conftest import shared_data_dir
from support import assert_bits_equal

def toy_morphing():
    """Six benchmarks for the quadratic morphing of two parameters."""
    components = pysbi.morphing_components([2, 2], 2)
    points = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]], dtype=np.float64)
    return pysbi.Morphing(components, points), points


@pytest.fixture(scope="module")
def vbf_events():
    """The first SMEFTsim VBF file converted with one observable (5 parameters, 21 benchmarks)."""
    path = shared_data_dir() / "lhe" / "event2vec" / "smeftsim_VBFH-1.lhe.gz"
    if not path.is_file():
        pytest.skip(f"real SMEFTsim VBF LHE file not available: {path} (set SBI_SHARED_DATA)")
    setup = pysbi.lhe.setup_from_header(pysbi.lhe.read_header(path))
    file, _ = pysbi.lhe.convert(setup, [path], observables={"pt_j1": "pt_j1"})
    return file


# ---------------------------------------------------------------------------------------------
# components


def test_components_in_madminer_order():
    assert_bits_equal(
        pysbi.morphing_components([2, 2], 2),
        np.array([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0]], dtype=np.int64),
    )
    # A power limit per parameter and an overall one: (2, 1) with total <= 2 has no (2, 1), no (0, 2).
    assert pysbi.morphing_components([2, 1], 2).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]]
    for p in range(1, 6):
        assert pysbi.morphing_components([2] * p, 2).shape == ((p + 2) * (p + 1) // 2, p)
    space = pysbi.ParameterSpace([pysbi.Parameter("a", max_power=4), pysbi.Parameter("b", max_power=2)])
    assert pysbi.morphing_components(space, 4).shape == (5 * 3 - 3, 2)


def test_component_values_and_derivatives_are_the_monomials():
    components = pysbi.morphing_components([2, 2], 2)
    thetas = np.array([[0.0, 0.0], [1.5, -2.0], [-0.3, 0.7]])
    phi = pysbi.component_values(components, thetas)
    grad = pysbi.component_gradients(components, thetas)
    hess = pysbi.component_hessians(components, thetas)
    assert phi.shape == (3, 6) and grad.shape == (3, 2, 6) and hess.shape == (3, 2, 2, 6)
    for t, (a, b) in enumerate(thetas):
        assert_bits_equal(phi[t], np.array([1.0, b, b * b, a, a * b, a * a]))
        np.testing.assert_allclose(grad[t, 0], [0, 0, 0, 1, b, 2 * a], rtol=0, atol=1e-15)
        np.testing.assert_allclose(grad[t, 1], [0, 1, 2 * b, 0, a, 0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(hess[t, 0, 1], [0, 0, 0, 0, 1, 0], rtol=0, atol=0)
        np.testing.assert_allclose(hess[t, 0, 0], [0, 0, 0, 0, 0, 2], rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# weights, gradients, Hessians


def test_weights_and_gradients_equal_the_command_bit_for_bit(madminer_dir, sbi_cli):
    path = madminer_dir / "madminer_example_with_data_1.h5"
    setup = pysbi.read_madminer_file(path, load_events=False).setup
    morphing = pysbi.Morphing.from_setup(setup)
    for theta in ([0.5, -0.2], [7.25, -9.0], [0.0, 0.0]):
        out = subprocess.run(
            [str(sbi_cli), "morphing", str(path), "--theta", ",".join(repr(v) for v in theta), "--json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        expected = json.loads(out)
        assert_bits_equal(morphing.weights(theta), np.array(expected["weights"]))
        assert_bits_equal(morphing.weight_gradients(theta), np.array(expected["gradients"]))
        assert morphing.condition_number == expected["condition_number"]
        assert morphing.n_components == expected["n_components"] == 6
        assert sum(w * w for w in expected["weights"]) == pytest.approx(expected["sum_of_squared_weights"], rel=1e-15)


def test_stored_morphing_reproduces_its_benchmarks(real_file):
    setup = pysbi.read_madminer_file(real_file, load_events=False).setup
    stored = pysbi.Morphing.from_setup(setup)
    points = setup.benchmark_values()[: stored.n_benchmarks]
    # Rebuilt from the points: the same matrix as MadMiner stored (to its precision), and w(theta_b) = e_b.
    rebuilt = pysbi.Morphing(setup.morphing.components, points, benchmark_names=setup.benchmark_names()[: len(points)])
    np.testing.assert_allclose(rebuilt.matrix, setup.morphing.matrix, rtol=0, atol=1e-10 * np.abs(setup.morphing.matrix).max())
    np.testing.assert_allclose(stored.weights_at_points(points), np.eye(len(points)), rtol=0, atol=1e-9)
    theta_matrix = pysbi.component_values(setup.morphing.components, points)
    assert rebuilt.condition_number == pytest.approx(np.linalg.cond(theta_matrix), rel=1e-9)
    assert math.isnan(pysbi.Morphing.from_matrix(setup.morphing.components, setup.morphing.matrix).condition_number)


def test_one_and_many_points_agree_and_layouts():
    morphing, _ = toy_morphing()
    rng = np.random.default_rng(1)
    thetas = rng.uniform(-2, 2, size=(7, 2))
    w = morphing.weights_at_points(thetas)
    g = morphing.weight_gradients_at_points(thetas)
    h = morphing.weight_hessians_at_points(thetas)
    assert (w.shape, g.shape, h.shape) == ((7, 6), (7, 2, 6), (7, 2, 2, 6))
    for t, theta in enumerate(thetas):
        np.testing.assert_allclose(w[t], morphing.weights(theta), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(g[t], morphing.weight_gradients(theta), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(h[t], morphing.weight_hessians(theta), rtol=1e-14, atol=1e-15)
        assert_bits_equal(h[t, 0, 1], h[t, 1, 0])
        # sum_b w_b(theta) = phi_(0,0)(theta) = 1: the constant component is in every basis.
        assert w[t].sum() == pytest.approx(1.0, abs=1e-14)
    # Results own their memory; the morphing's arrays are read-only views.
    assert w.flags.owndata or w.base is not None
    assert not morphing.matrix.flags.writeable and not morphing.components.flags.writeable


def test_gradients_and_hessians_against_numpy_finite_differences():
    morphing, _ = toy_morphing()
    theta = np.array([0.37, -1.21])
    h = 1e-6
    for p in range(2):
        step = np.zeros(2)
        step[p] = h
        numeric = (morphing.weights(theta + step) - morphing.weights(theta - step)) / (2 * h)
        np.testing.assert_allclose(morphing.weight_gradients(theta)[p], numeric, rtol=1e-7, atol=1e-8)
        numeric_h = (morphing.weight_gradients(theta + step) - morphing.weight_gradients(theta - step)) / (2 * h)
        np.testing.assert_allclose(morphing.weight_hessians(theta)[p], numeric_h, rtol=1e-7, atol=1e-8)


def test_derivative_checker():
    morphing, _ = toy_morphing()
    thetas = np.random.default_rng(2).uniform(-2, 2, size=(5, 2))
    result = pysbi.check_morphing_derivatives(morphing, thetas)
    assert result.passed(), result.report()
    assert result.max_gradient_relative_error < 1e-6 and result.max_hessian_relative_error < 1e-6
    assert result.tolerance == 1e-6

    # The generic checker with Python callables: a wrong gradient entry (x 1.01) is found and located.
    def value(t):
        return morphing.weights(t)

    def wrong_gradient(t):
        g = morphing.weight_gradients(t).copy()
        g[0, 2] *= 1.01
        return g

    bad = pysbi.check_derivatives(value, wrong_gradient, thetas, tolerance=1e-6)
    assert not bad.passed()
    assert bad.max_gradient_relative_error == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert (bad.worst_gradient_output, bad.worst_gradient_parameter) == (2, 0)
    assert math.isnan(bad.max_hessian_relative_error)
    good = pysbi.check_derivatives(value, morphing.weight_gradients, thetas, hessian=morphing.weight_hessians)
    assert good.passed() and good.max_hessian_relative_error < 1e-6
    with pytest.raises(ValueError, match="gradient"):
        pysbi.check_derivatives(value, lambda t: np.ones((3, 6)), thetas)
    with pytest.raises(ValueError, match="relative_step = 0"):
        pysbi.check_morphing_derivatives(morphing, thetas, relative_step=0.0)


# ---------------------------------------------------------------------------------------------
# events and cross sections


def test_morphed_event_weights_and_cross_sections():
    morphing, points = toy_morphing()
    rng = np.random.default_rng(3)
    event_weights = np.exp(rng.normal(size=(500, 6))) * 1e-3
    thetas = rng.uniform(-1.5, 1.5, size=(4, 2))
    morphed = morphing.morphed_event_weights(event_weights, thetas)
    assert morphed.shape == (500, 4)
    np.testing.assert_allclose(morphed, event_weights @ morphing.weights_at_points(thetas).T, rtol=1e-13, atol=1e-18)
    # Fortran order and a list of lists are converted; the values are the same bits.
    assert_bits_equal(morphing.morphed_event_weights(np.asfortranarray(event_weights), thetas), morphed)
    # out=: filled in place and returned as the same object.
    out = np.empty((500, 4))
    assert morphing.morphed_event_weights(event_weights, thetas, out=out) is out
    assert_bits_equal(out, morphed)
    with pytest.raises(ValueError, match=r"out must be .* \(500, 4\)"):
        morphing.morphed_event_weights(event_weights, thetas, out=np.empty((4, 500)))
    with pytest.raises(ValueError, match=r"out must be"):
        morphing.morphed_event_weights(event_weights, thetas, out=np.empty((500, 4), dtype=np.float32))

    sigma_b = event_weights.sum(axis=0)
    sigma = morphing.cross_sections(sigma_b, thetas)
    np.testing.assert_allclose(sigma, morphed.sum(axis=0), rtol=1e-12)
    gradients = morphing.cross_section_gradients(sigma_b, thetas)
    s = morphing.component_cross_sections(sigma_b)
    phi = pysbi.component_values(morphing.components, thetas)
    for t, theta in enumerate(thetas):
        assert morphing.cross_section(sigma_b, theta) == pytest.approx(sigma[t], rel=1e-14)
        np.testing.assert_allclose(morphing.cross_section_gradient(sigma_b, theta), gradients[t], rtol=1e-13)
        np.testing.assert_allclose(gradients[t], morphing.weight_gradients(theta) @ sigma_b, rtol=1e-12)
        assert phi[t] @ s == pytest.approx(sigma[t], rel=1e-12)
    # At a benchmark point sigma is that benchmark's cross section.
    np.testing.assert_allclose(morphing.cross_sections(sigma_b, points), sigma_b, rtol=1e-12)


def test_chbox_closure_on_the_real_vbf_file(vbf_events):
    """SMEFTsim's cHbox only rescales the hVV coupling: w(cHbox = c)/w_SM = (1 + kappa c)^2 per event."""
    setup, events = vbf_events.setup, vbf_events.events
    assert setup.parameters.names() == ["chbox", "chdd", "chw", "chb", "chwb"]
    morphing = pysbi.Morphing.from_setup(setup)
    assert (morphing.n_components, morphing.n_benchmarks) == (21, 21)
    assert morphing.condition_number == pytest.approx(2.1e3, rel=0.05)
    values = np.array([-3.0, -1.0, 0.5, 1.0, 2.5])
    thetas = np.zeros((values.size, 5))
    thetas[:, 0] = values
    morphed = morphing.morphed_event_weights(events.weights, thetas)
    w_sm = events.weights[:, setup.benchmark_index("SM")]
    # The generator's ratios at cHbox = 0.1 and 0.2 are the same in every event ...
    r1 = events.weights[:, setup.benchmark_index("cHbox_0p1")] / w_sm
    r2 = events.weights[:, setup.benchmark_index("cHbox_0p2")] / w_sm
    assert np.ptp(r1) < 1e-14 and np.ptp(r2) < 1e-14
    # ... so every event's morphed weight is w_SM times the one parabola through (0, 1), (0.1, r1),
    # (0.2, r2), at any cHbox, although all 21 benchmarks enter the morphing ...
    a, b = np.linalg.solve([[0.1, 0.01], [0.2, 0.04]], [r1[0] - 1.0, r2[0] - 1.0])
    parabola = 1.0 + a * values + b * values**2
    np.testing.assert_allclose(morphed, w_sm[:, None] * parabola[None, :], rtol=1e-10, atol=0)
    # ... which is (1 + kappa c)^2, kappa = v^2/Lambda^2 = 0.0606241, to the 8 digits MadGraph writes
    # (their error grows as c^2 away from the benchmarks at c <= 0.2).
    assert np.all(np.abs(parabola / (1.0 + 0.0606241 * values) ** 2 - 1.0) <= 1e-6 * values**2)
    sigma_b = events.cross_sections(vbf_events.sample_summary)
    assert morphing.cross_section(sigma_b, [1.0, 0, 0, 0, 0]) == pytest.approx(3.760639, rel=2e-7)
    assert morphing.cross_section(sigma_b, np.zeros(5)) == pytest.approx(3.343019, rel=2e-7)
    # A generic point: the morphed cross section is the event sum of the morphed weights.
    generic = np.array([[0.3, -0.2, 0.5, 0.1, -0.4]])
    np.testing.assert_allclose(morphing.cross_sections(sigma_b, generic), morphing.morphed_event_weights(events.weights, generic).sum(axis=0), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# over-complete and degenerate bases


def test_overcomplete_basis_gives_the_minimum_norm_weights():
    components = pysbi.morphing_components([2, 2], 2)
    rng = np.random.default_rng(4)
    points = np.vstack([[0, 0], rng.uniform(-1, 1, size=(7, 2))])
    over = pysbi.Morphing(components, points)
    assert (over.n_components, over.n_benchmarks) == (6, 8)
    theta_matrix = pysbi.component_values(components, points)
    np.testing.assert_allclose(over.matrix, np.linalg.pinv(theta_matrix), rtol=0, atol=1e-10 * np.abs(over.matrix).max())
    thetas = rng.uniform(-1, 1, size=(20, 2))
    w_over = over.weights_at_points(thetas)
    squares = np.sum(w_over**2, axis=1)
    compared = 0
    for subset in itertools.combinations(range(8), 6):
        try:
            square = pysbi.Morphing(components, points[list(subset)])
        except ArithmeticError:
            continue
        assert np.all(squares <= np.sum(square.weights_at_points(thetas) ** 2, axis=1) * (1 + 1e-12))
        compared += 1
    assert compared > 20
    # Both reproduce the same morphed weights of any quadratic dsigma.
    coefficients = rng.normal(size=6)
    dsigma_b = theta_matrix @ coefficients
    np.testing.assert_allclose(w_over @ dsigma_b, pysbi.component_values(components, thetas) @ coefficients, rtol=1e-10)


def test_degenerate_bases_raise_arithmetic_error_naming_the_benchmarks():
    components = pysbi.morphing_components([2, 2], 2)
    points = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 0]], dtype=np.float64)
    names = ["sm", "a", "b", "c", "d", "e"]
    with pytest.raises(ArithmeticError, match="'a' and 'e' are the same point") as info:
        pysbi.Morphing(components, points, benchmark_names=names)
    assert isinstance(info.value, pysbi.NumericalError)
    # All six points on the line theta_1 = theta_0: too large a condition number, the benchmarks named.
    line = np.array([[0, 0], [1, 1], [2, 2], [-1, -1], [-2, -2], [3, 3]], dtype=np.float64)
    with pytest.raises(pysbi.NumericalError, match=r"degenerate morphing basis: condition number .*'sm'"):
        pysbi.Morphing(components, line, pysbi.MorphingOptions(benchmark_names=names))
    # Two points 1e-9 apart: both named, the others not.
    close = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [-1, 0], [1, 1e-9]], dtype=np.float64)
    with pytest.raises(pysbi.NumericalError, match=r"degenerate morphing basis: condition number") as info:
        pysbi.Morphing(components, close, benchmark_names=names)
    assert "'a'" in str(info.value) and "'e'" in str(info.value) and "'b'" not in str(info.value)
    # All points on one axis leave the theta_1 components at 0 everywhere: named as such.
    collinear = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0]], dtype=np.float64)
    with pytest.raises(pysbi.NumericalError, match=r"components \[θ1, θ1\^2, θ0\*θ1\] vanish at every benchmark"):
        pysbi.Morphing(components, collinear, benchmark_names=names)
    with pytest.raises(ValueError, match="5 benchmarks for 6 components"):
        pysbi.Morphing(components, points[:5])


# ---------------------------------------------------------------------------------------------
# arguments: shapes, dtypes, options


def test_wrong_shapes_and_dtypes_are_value_errors_naming_the_argument():
    morphing, _ = toy_morphing()
    with pytest.raises(ValueError, match=r"theta has 3 values; it must have 2"):
        morphing.weights([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"theta has shape \(1, 2\) \(2-D\); it must be a 1-D array"):
        morphing.weights([[0.1, 0.2]])
    with pytest.raises(ValueError, match=r"thetas has shape \(2,\) \(1-D\); it must be a 2-D array"):
        morphing.weights_at_points([0.1, 0.2])
    with pytest.raises(ValueError, match=r"thetas has shape \(4, 3\); it must have 2 columns"):
        morphing.weights_at_points(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"thetas has dtype <U1"):
        morphing.weights_at_points([["a", "b"]])
    with pytest.raises(ValueError, match=r"event_weights has shape \(10, 5\); it must have 6 columns"):
        morphing.morphed_event_weights(np.ones((10, 5)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"benchmark_cross_sections has 5 values; it must have 6"):
        morphing.cross_section(np.ones(5), [0, 0])
    with pytest.raises(ValueError, match=r"components has dtype float64; it must hold integers"):
        pysbi.Morphing(np.zeros((6, 2)), np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"benchmark_points has shape \(6, 3\); it must have 2 columns"):
        pysbi.Morphing(pysbi.morphing_components([2, 2], 2), np.zeros((6, 3)))
    with pytest.raises(ValueError, match=r"max_powers\[1\] = -1"):
        pysbi.morphing_components([2, -1], 2)
    with pytest.raises(ValueError, match="no stored morphing"):
        pysbi.Morphing.from_setup(pysbi.Setup(parameters=[pysbi.Parameter("a")]))


def test_options_as_keyword_arguments():
    assert pysbi.MorphingOptions().max_condition_number == 1e8
    o = pysbi.BasisOptimisationOptions()
    assert (o.prior, o.criterion, o.n_restarts, o.n_random_candidates, o.seed) == (
        pysbi.Prior.flat,
        pysbi.BasisCriterion.expected_squared_weights,
        16,
        1000,
        1,
    )
    o.validate()
    g = pysbi.BasisOptimisationOptions(prior="gaussian", criterion="cross_section_dilution", gaussian_width=[0.5, 2])
    assert g.prior == pysbi.Prior.gaussian and g.criterion == pysbi.BasisCriterion.cross_section_dilution
    assert_bits_equal(g.gaussian_width, np.array([0.5, 2.0]))
    assert pysbi.BasisOptimisationOptions(**g.to_dict()).to_dict().keys() == g.to_dict().keys()
    with pytest.raises(ValueError, match="prior = 'cauchy'"):
        pysbi.BasisOptimisationOptions(prior="cauchy")
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_restart'"):
        pysbi.BasisOptimisationOptions(n_restart=3)
    with pytest.raises(TypeError, match="must be a Prior or its name"):
        pysbi.BasisOptimisationOptions(prior=3)
    with pytest.raises(ValueError, match="n_restarts = 0"):
        pysbi.BasisOptimisationOptions(n_restarts=0).validate()
    with pytest.raises(ValueError, match="max_condition_number = 0.5"):
        pysbi.MorphingOptions(max_condition_number=0.5).validate()
    points = toy_morphing()[1]
    with pytest.raises(TypeError, match="not both"):
        pysbi.Morphing(pysbi.morphing_components([2, 2], 2), points, pysbi.MorphingOptions(), max_condition_number=1e9)


# ---------------------------------------------------------------------------------------------
# basis optimisation


def test_basis_optimisation_equals_the_command_bit_for_bit(madminer_dir, sbi_cli, tmp_path):
    path = madminer_dir / "dihiggs_nsbi_setup_rmastand.h5"
    out = tmp_path / "optimised.h5"
    report = json.loads(
        subprocess.run(
            [str(sbi_cli), "morphing", "optimize", str(path), "--out", str(out), "--json", "--seed", "3", "--restarts", "2"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    setup = pysbi.read_madminer_file(path, load_events=False).setup
    ranges = np.array([p.range for p in setup.parameters])
    result = pysbi.optimise_basis(
        setup.morphing.components, ranges, [[0.0, 0.0, 0.0]], seed=3, n_restarts=2, compare_with_madminer=True
    )
    assert_bits_equal(result.benchmarks, np.array([b["values"] for b in report["benchmarks"]]))
    assert result.objective == report["objective"]
    assert result.madminer_objective == report["madminer_objective"]
    assert result.evaluation_objective == report["evaluation_objective"]
    assert result.condition_number == report["condition_number"]
    assert (result.restarts, result.iterations) == (report["restarts"], report["iterations"])
    assert result.termination.name == report["termination"]
    written = pysbi.read_madminer_file(out, load_events=False).setup
    assert_bits_equal(written.benchmark_values(), result.benchmarks)
    assert_bits_equal(written.morphing.matrix, result.morphing_matrix)
    # The optimum beats MadMiner's random search and the file's own basis, and is what basis_objective says.
    assert result.objective < result.madminer_objective and result.objective < report["file_basis_objective"]
    options = pysbi.BasisOptimisationOptions(seed=3)
    assert pysbi.basis_objective(setup.morphing.components, ranges, result.benchmarks, options=options) == pytest.approx(
        result.objective, rel=1e-12
    )
    assert result.n_fixed == 1 and np.all(result.benchmarks[0] == 0)
    assert "objective" in result.report()


def test_basis_objective_gradient_and_criteria():
    components = pysbi.morphing_components([2, 2], 2)
    ranges = [[-1.0, 1.0], [-2.0, 2.0]]
    rng = np.random.default_rng(5)
    benchmarks = np.vstack([[0, 0], rng.uniform(-1, 1, size=(5, 2)) * [1, 2]])
    # The analytic gradient of the criterion against finite differences (flattened benchmarks).
    shape = benchmarks.shape

    def value(flat):
        return np.array([pysbi.basis_objective(components, ranges, flat.reshape(shape))])

    def gradient(flat):
        return pysbi.basis_objective_and_gradient(components, ranges, flat.reshape(shape))[1].reshape(-1, 1)

    check = pysbi.check_derivatives(value, gradient, benchmarks.reshape(1, -1), relative_floor=1e-4)
    assert check.max_gradient_relative_error < 1e-5, check.report()
    # Exact squared-weights criterion = Monte-Carlo mean on a large flat sample.
    exact = pysbi.basis_objective(components, ranges, benchmarks)
    thetas = pysbi.sample_prior(ranges, 200000, seed=9)
    assert thetas.shape == (200000, 2) and np.all(np.abs(thetas) <= [1, 2])
    assert pysbi.sampled_basis_objective(components, benchmarks, thetas) == pytest.approx(exact, rel=0.02)
    # Cross-section criteria need component cross sections (ValueError naming the argument otherwise).
    s = np.array([1.0, 0.1, 0.2, 0.05, 0.01, 0.3])
    assert pysbi.basis_objective(components, ranges, benchmarks, s, criterion="cross_section_dilution") > 0
    with pytest.raises(ValueError, match="component_cross_sections"):
        pysbi.basis_objective(components, ranges, benchmarks, criterion="cross_section_dilution")
    with pytest.raises(ValueError, match=r"ranges has shape \(2, 3\)"):
        pysbi.basis_objective(components, np.zeros((2, 3)), benchmarks)
    # MadMiner's random search returns a basis with the fixed point first, inside the ranges.
    madminer = pysbi.madminer_random_basis(components, ranges, [[0.0, 0.0]], n_free=5, seed=2)
    assert madminer.shape == (6, 2) and np.all(madminer[0] == 0) and np.all(np.abs(madminer) <= [1, 2])
    square = pysbi.optimise_basis(components, ranges, [[0.0, 0.0]], n_restarts=2, n_evaluation_points=0)
    over = pysbi.optimise_basis(components, ranges, [[0.0, 0.0]], n_restarts=2, n_overcomplete=3, n_evaluation_points=0)
    assert over.benchmarks.shape == (9, 2) and over.morphing_matrix.shape == (6, 9)
    assert over.objective < square.objective and square.evaluation_objective is None
    again = pysbi.optimise_basis(components, ranges, [[0.0, 0.0]], n_restarts=2, n_overcomplete=3, n_evaluation_points=0)
    assert_bits_equal(again.benchmarks, over.benchmarks)


# ---------------------------------------------------------------------------------------------
# plots


def test_morphing_basis_plots(madminer_dir):
    import matplotlib

    setup = pysbi.read_madminer_file(madminer_dir / "madminer_example_with_data_1.h5", load_events=False).setup
    morphing = pysbi.Morphing.from_setup(setup)
    fig = pysbi.plotting.plot_morphing_basis(setup, n_points=50)
    assert isinstance(fig, matplotlib.figure.Figure)
    mesh = fig.axes[0].collections[0]
    grid = np.linspace(-10.0, 10.0, 50)
    xx, yy = np.meshgrid(grid, grid)
    expected = np.log10(np.sum(morphing.weights_at_points(np.column_stack([xx.ravel(), yy.ravel()])) ** 2, axis=1))
    assert_bits_equal(np.asarray(mesh.get_array()).ravel(), expected)
    assert [t.get_text() for t in fig.axes[0].texts] == setup.benchmark_names()
    assert fig.axes[0].get_xlabel() == "CWL2" and fig.axes[0].get_ylabel() == "CPWL2"

    fig1 = pysbi.plotting.plot_morphing_basis(morphing, [[-10, 10], [-5, 5]], parameters=[1], n_points=30, log=False)
    line = fig1.axes[0].lines[0]
    thetas = np.column_stack([np.zeros(30), np.linspace(-5, 5, 30)])
    assert_bits_equal(line.get_xdata(), thetas[:, 1])
    assert_bits_equal(line.get_ydata(), np.sum(morphing.weights_at_points(thetas) ** 2, axis=1))
    with pytest.raises(ValueError, match="not a parameter"):
        pysbi.plotting.plot_morphing_basis(setup, parameters=["cHW"])
    with pytest.raises(TypeError, match="Setup or pysbi.Morphing"):
        pysbi.plotting.plot_morphing_basis("setup.h5")
    matplotlib.pyplot.close("all")


def test_distribution_plots(madminer_dir):
    import matplotlib

    file = pysbi.read_madminer_file(madminer_dir / "madminer_example_with_data_1.h5")
    thetas = np.array([[0.0, 0.0], [5.0, -5.0]])
    fig = pysbi.plotting.plot_distributions(file, "pt_j1", thetas, bins=20, range=(0, 500))
    morphing = pysbi.Morphing.from_setup(file.setup)
    weights = morphing.morphed_event_weights(file.events.weights, thetas)
    x = file.events.observations[:, 0]
    patches = fig.axes[0].patches
    assert len(patches) == 2
    for t in range(2):
        values, edges = np.histogram(x, bins=20, range=(0, 500), weights=weights[:, t])
        data = patches[t].get_data()
        assert_bits_equal(np.asarray(data.values), values)
        assert_bits_equal(np.asarray(data.edges), edges)
    # The SM histogram sums to the SM cross section inside the range (pb).
    inside = (x >= 0) & (x <= 500)
    assert np.sum(patches[0].get_data().values) == pytest.approx(file.events.weights[inside, 0].sum(), rel=1e-12)
    shapes = pysbi.plotting.plot_distributions(file.events, 1, thetas, morphing=morphing, density=True, bins=10)
    for patch in shapes.axes[0].patches:
        data = patch.get_data()
        assert np.sum(data.values * np.diff(data.edges)) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="morphing is required"):
        pysbi.plotting.plot_distributions(file.events, 0, thetas)
    with pytest.raises(ValueError, match="'m_jj' is not among the observables"):
        pysbi.plotting.plot_distributions(file, "m_jj", thetas)
    matplotlib.pyplot.close("all")
