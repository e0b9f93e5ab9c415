"""pysbi: the neural estimators from Python — training bit for bit against `sbi train` with the same
seed and samples, evaluation bit for bit against `sbi evaluate`, shapes and views of the outputs,
the epoch callback and Ctrl-C, the GIL, model files, the MadMiner export read back with PyTorch
(MadMiner's network rebuilt here in plain torch), the diagnostics, and every error type.

Toy (as tests/estimators/test_estimators.cpp): x ~ N(A theta, 1) in three dimensions, so
t(x|theta) = A^T (x - A theta) and log r(x|theta0, theta1) = -|x - A theta0|^2/2 + |x - A theta1|^2/2
exactly; x = z, so the joint quantities are the true ones."""

import copy
import json
import os
import signal
import subprocess
import threading

import h5py
import numpy as np
import pytest

import pysbi
from support import assert_bits_equal, assert_releases_the_gil

A = np.array([[0.9, -0.3], [0.2, 0.7], [-0.5, 0.4]])
NAMES_X = ["x0", "x1", "x2"]
NAMES_P = ["a", "b"]


def local_samples(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pysbi.AugmentedSamples(
        kind="local",
        parameter_names=NAMES_P,
        observable_names=NAMES_X,
        x=x,
        theta0=np.zeros((n, 2)),
        t_xz0=x @ A,
        seed=seed,
        source="toy",
    )


def ratio_samples(n=2000, seed=4):
    rng = np.random.default_rng(seed)
    theta0 = rng.uniform(-1, 1, size=(n, 2))
    y = (np.arange(n) % 2).astype(np.float64)
    mean = np.where(y[:, None] == 0, theta0 @ A.T, 0.0)
    x = mean + rng.normal(size=(n, 3))
    log_r = -0.5 * np.sum((x - theta0 @ A.T) ** 2, axis=1) + 0.5 * np.sum(x**2, axis=1)
    t = (x - theta0 @ A.T) @ A
    return pysbi.AugmentedSamples(
        kind="ratio",
        parameter_names=NAMES_P,
        observable_names=NAMES_X,
        x=x,
        theta0=theta0,
        theta1=np.zeros((n, 2)),
        y=y,
        r_xz=np.exp(log_r),
        t_xz0=t,
        seed=seed,
        source="toy",
    )


@pytest.fixture(scope="module")
def local():
    return local_samples()


@pytest.fixture(scope="module")
def ratio():
    return ratio_samples()


@pytest.fixture(scope="module")
def sally(local):
    est = pysbi.Estimator("sally", 3, 2, hidden=[16, 16], seed=2)
    est.train(local, epochs=4, batch_size=64, seed=2, threads=1)
    return est


@pytest.fixture(scope="module")
def alices(ratio):
    est = pysbi.Estimator("alices", 3, 2, hidden=[16], activation="tanh", seed=5)
    est.train(ratio, epochs=4, batch_size=64, seed=5, alpha=0.5, threads=1)
    return est


def layers(path, member=0):
    """The weights and biases of a model file, by dataset name."""
    out = {}
    with h5py.File(path, "r") as f:
        group = f[f"members/{member}/layers"]
        for layer in group:
            for name in ("weight", "bias"):
                out[f"{layer}/{name}"] = group[layer][name][()]
    return out


def run(sbi_cli, *arguments):
    return subprocess.run([str(sbi_cli), *map(str, arguments)], check=True, capture_output=True, text=True)


# ---- enums and options ----


def test_enums_accept_their_names():
    assert pysbi.parse_estimator_method("ALICES") == pysbi.EstimatorMethod.Alices
    assert pysbi.EstimatorMethod.Alices.label == "alices"
    assert pysbi.parse_activation("lrelu") == pysbi.Activation.LeakyRelu
    assert pysbi.parse_optimizer("sgd") == pysbi.OptimizerKind.Sgd
    assert pysbi.parse_device("cuda") == pysbi.Device.Cuda and pysbi.parse_backend("native") == pysbi.Backend.Native
    assert pysbi.is_score_method("sallino") and not pysbi.is_score_method(pysbi.EstimatorMethod.Carl)
    assert pysbi.has_score_term("rascal") and not pysbi.has_score_term("alice")
    assert pysbi.training_sample_kind("sally") == pysbi.SampleKind.Local
    assert pysbi.training_sample_kind("cascal") == pysbi.SampleKind.Ratio
    assert pysbi.StopReason.EarlyStopping.label == "early_stopping"
    with pytest.raises(pysbi.InvalidArgument, match="sally.*rascal"):
        pysbi.parse_estimator_method("nde")
    with pytest.raises(ValueError, match="tanh"):
        pysbi.Estimator("sally", 3, 2, activation="swish")
    with pytest.raises(TypeError, match="EstimatorMethod or its name"):
        pysbi.Estimator(3, 3, 2)
    assert pysbi.default_thread_count() >= 1


def test_options_have_the_cpp_names_and_defaults():
    o = pysbi.TrainingOptions()
    assert o.to_dict() == {
        "epochs": 50,
        "batch_size": 128,
        "optimizer": pysbi.OptimizerKind.Amsgrad,
        "initial_lr": 1e-3,
        "final_lr": 1e-4,
        "nesterov_momentum": 0.0,
        "validation_split": 0.25,
        "early_stopping": True,
        "early_stopping_patience": 0,
        "clip_gradient": 0.0,
        "alpha": 1.0,
        "log_r_clip": 10.0,
        "scale_inputs": True,
        "limit_samplesize": 0,
        "seed": 1,
        "threads": 0,
        "device": pysbi.Device.Cpu,
        "backend": pysbi.Backend.Auto,
        "progress": -1,
    }
    o.validate()
    n = pysbi.NetworkOptions()
    assert n.hidden == [100, 100] and n.activation == pysbi.Activation.Tanh
    e = pysbi.EnsembleOptions()
    assert (e.members, e.bootstrap) == (5, False)
    assert pysbi.TrainingOptions(optimizer="adam", backend="torch").backend == pysbi.Backend.Torch
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'.*epochs"):
        pysbi.TrainingOptions(epoch=3)
    with pytest.raises(ValueError, match="epochs = 0"):
        pysbi.TrainingOptions(epochs=0).validate()
    with pytest.raises(ValueError, match="hidden"):
        pysbi.NetworkOptions(hidden=[10, 0]).validate()
    with pytest.raises(ValueError, match=r"hidden\[1\] = 0"):
        pysbi.Estimator("sally", 3, 2, hidden=[10, 0])
    with pytest.raises(ValueError, match="members = 0"):
        pysbi.EnsembleOptions(members=0).validate()


# ---- bit for bit against the command line ----


@pytest.mark.parametrize(
    "method, make, extra",
    [
        ("sally", local_samples, {}),
        ("alices", ratio_samples, {"alpha": 0.5}),
        ("rascal", ratio_samples, {"alpha": 2.0, "optimizer": "adam"}),
    ],
)
def test_training_equals_sbi_train_bit_for_bit(sbi_cli, tmp_path, method, make, extra):
    samples = make(n=900, seed=11)
    pysbi.write_samples(tmp_path / "samples.h5", samples)
    flags = ["--alpha", str(extra["alpha"])] if "alpha" in extra else []
    if "optimizer" in extra:
        flags += ["--optimizer", extra["optimizer"]]
    run(sbi_cli, "train", method, tmp_path / "samples.h5", "--out", tmp_path / "cli.h5", "--hidden", "12,8",
        "--activation", "relu", "--epochs", "3", "--batch-size", "50", "--seed", "7", "--threads", "1", "--quiet", *flags)

    est = pysbi.Estimator(method, 3, 2, hidden=[12, 8], activation="relu", seed=7)
    summary = est.train(pysbi.read_samples(tmp_path / "samples.h5"), epochs=3, batch_size=50, seed=7, threads=1, **extra)
    est.save(tmp_path / "python.h5")
    cli, ours = layers(tmp_path / "cli.h5"), layers(tmp_path / "python.h5")
    assert sorted(cli) == sorted(ours) and len(cli) == 6
    for name in cli:
        assert_bits_equal(ours[name], cli[name])

    loaded = pysbi.Estimator.load(tmp_path / "cli.h5")
    assert loaded.training_summary.best_epoch == summary.best_epoch
    assert_bits_equal(loaded.training_summary.train_losses, summary.train_losses)
    x = samples.x[:50]
    if est.is_score_estimator:
        assert_bits_equal(est.evaluate_score(x), loaded.evaluate_score(x))
    else:
        a = est.evaluate_log_ratio(x, [[0.3, -0.2]], with_score=True)
        b = loaded.evaluate_log_ratio(x, [[0.3, -0.2]], with_score=True)
        assert_bits_equal(a.log_r, b.log_r)
        assert_bits_equal(a.score, b.score)


def test_ensemble_training_equals_sbi_train_bit_for_bit(sbi_cli, tmp_path):
    samples = local_samples(n=800, seed=12)
    pysbi.write_samples(tmp_path / "samples.h5", samples)
    run(sbi_cli, "train", "sally", tmp_path / "samples.h5", "--out", tmp_path / "cli.h5", "--hidden", "10",
        "--epochs", "2", "--batch-size", "40", "--seed", "3", "--ensemble", "3", "--bootstrap", "--threads", "2", "--quiet")
    ensemble = pysbi.Ensemble("sally", 3, 2, members=3, hidden=[10], seed=3)
    summaries = ensemble.train(samples, epochs=2, batch_size=40, seed=3, bootstrap=True, threads=2)
    assert len(summaries) == 3 and len(ensemble) == 3
    ensemble.save(tmp_path / "python.h5")
    for member in range(3):
        cli, ours = layers(tmp_path / "cli.h5", member), layers(tmp_path / "python.h5", member)
        for name in cli:
            assert_bits_equal(ours[name], cli[name])
    # The members differ (seeds 3, 4, 5 and their bootstrap resamples).
    assert not np.array_equal(layers(tmp_path / "python.h5", 0)["0/weight"], layers(tmp_path / "python.h5", 1)["0/weight"])


def test_validation_sample_equals_sbi_train_validation(sbi_cli, tmp_path):
    train, validation = local_samples(n=600, seed=21), local_samples(n=200, seed=22)
    pysbi.write_samples(tmp_path / "train.h5", train)
    pysbi.write_samples(tmp_path / "validation.h5", validation)
    run(sbi_cli, "train", "sally", tmp_path / "train.h5", "--validation", tmp_path / "validation.h5", "--out",
        tmp_path / "cli.h5", "--hidden", "8", "--epochs", "3", "--seed", "9", "--ensemble", "2", "--threads", "1", "--quiet")
    ensemble = pysbi.Ensemble("sally", 3, 2, members=2, hidden=[8], seed=9)
    summaries = ensemble.train(train, validation=validation, epochs=3, seed=9, threads=1)
    assert [s.n_validation for s in summaries] == [200, 200]
    ensemble.save(tmp_path / "python.h5")
    for member in range(2):
        cli, ours = layers(tmp_path / "cli.h5", member), layers(tmp_path / "python.h5", member)
        for name in cli:
            assert_bits_equal(ours[name], cli[name])
    with pytest.raises(ValueError, match="bootstrap"):
        ensemble.train(train, validation=validation, bootstrap=True, epochs=1)


def test_cli_models_evaluate_to_what_sbi_evaluate_wrote(sbi_cli, tmp_path):
    local, ratio = local_samples(n=700, seed=31), ratio_samples(n=700, seed=32)
    pysbi.write_samples(tmp_path / "local.h5", local)
    pysbi.write_samples(tmp_path / "ratio.h5", ratio)
    common = ["--hidden", "10", "--epochs", "2", "--seed", "4", "--threads", "1", "--quiet"]
    run(sbi_cli, "train", "sally", tmp_path / "local.h5", "--out", tmp_path / "sally.h5", "--ensemble", "2", *common)
    run(sbi_cli, "train", "alice", tmp_path / "ratio.h5", "--out", tmp_path / "alice.h5", *common)
    run(sbi_cli, "evaluate", tmp_path / "sally.h5", tmp_path / "ratio.h5", "--out", tmp_path / "t.h5")
    run(sbi_cli, "evaluate", tmp_path / "alice.h5", tmp_path / "local.h5", "--theta", "0,0", "--theta", "0.5,-0.25",
        "--theta", "-1,1", "--score", "--out", tmp_path / "r.h5")

    sally = pysbi.Ensemble.load(tmp_path / "sally.h5")
    score = sally.evaluate_score(ratio.x)
    written = pysbi.read_evaluation(tmp_path / "t.h5")
    assert written.method == pysbi.EstimatorMethod.Sally and written.n_members == 2
    assert_bits_equal(score.mean, written.t)
    assert_bits_equal(score.variance, written.t_variance)
    with h5py.File(tmp_path / "t.h5", "r") as f:
        assert_bits_equal(f["t_hat"][()], score.mean)

    alice = pysbi.Estimator.load(tmp_path / "alice.h5")
    thetas = np.array([[0, 0], [0.5, -0.25], [-1, 1]], dtype=np.float64)
    r = alice.evaluate_log_ratio(local.x, thetas, with_score=True)
    written = pysbi.read_evaluation(tmp_path / "r.h5")
    assert_bits_equal(written.thetas, thetas)
    assert_bits_equal(r.log_r, written.log_r)
    assert_bits_equal(r.score, written.t.reshape(3, len(local), 2))
    # pysbi.evaluate is what the command computes.
    ours = pysbi.evaluate(alice, local.x, thetas, with_score=True)
    assert_bits_equal(ours.log_r, written.log_r)
    assert_bits_equal(ours.t, written.t)
    ours.model, ours.input = written.model, written.input
    pysbi.write_evaluation(tmp_path / "again.h5", ours)
    again = pysbi.read_evaluation(tmp_path / "again.h5")
    for name in ("thetas", "log_r", "log_r_variance", "t", "t_variance"):
        assert_bits_equal(getattr(again, name), getattr(written, name))
    assert (again.parameter_names, again.observable_names) == (NAMES_P, NAMES_X)


# ---- outputs ----


def test_outputs_have_the_documented_shapes_and_are_views(sally, alices, local):
    x = local.x[:37]
    t = sally.evaluate_score(x)
    assert t.shape == (37, 2) and t.dtype == np.float64 and t.flags.c_contiguous and not t.flags.owndata
    thetas = np.array([[0.0, 0.0], [0.4, -0.3], [-0.7, 0.2], [0.1, 0.9]])
    r = alices.evaluate_log_ratio(x, thetas, with_score=True)
    assert r.log_r.shape == (4, 37) and r.score.shape == (4, 37, 2)
    # Views of the result object's memory: the (T*E, P) C++ matrix reshaped without a copy.
    assert r.score.base is r and r.log_r.base is r and not r.score.flags.owndata
    assert alices.evaluate_log_ratio(x, thetas).score is None
    one = alices.evaluate_log_ratio(x, [0.4, -0.3])
    assert one.log_r.shape == (1, 37)
    assert_bits_equal(one.log_r[0], r.log_r[1])
    # Rows of the grid equal separate evaluations (the split first layer changes nothing).
    for k in range(4):
        single = alices.evaluate_log_ratio(x, thetas[k : k + 1], with_score=True)
        np.testing.assert_allclose(single.log_r[0], r.log_r[k], rtol=0, atol=1e-6)
        np.testing.assert_allclose(single.score[0], r.score[k], rtol=0, atol=1e-5)
    # The score is the derivative of log r: central differences (float32 network, h = 1e-2).
    h = 1e-2
    for p in range(2):
        up, down = thetas.copy(), thetas.copy()
        up[:, p] += h
        down[:, p] -= h
        numeric = (alices.evaluate_log_ratio(x, up).log_r - alices.evaluate_log_ratio(x, down).log_r) / (2 * h)
        np.testing.assert_allclose(r.score[:, :, p], numeric, rtol=0, atol=2e-3)

    ensemble = pysbi.Ensemble([alices, copy.deepcopy(alices)])
    er = ensemble.evaluate_log_ratio(x, thetas, with_score=True)
    assert er.mean.shape == (4, 37) and er.score_mean.shape == (4, 37, 2) and er.score_variance.shape == (4, 37, 2)
    assert_bits_equal(er.mean, r.log_r)
    assert np.all(er.variance == 0)
    es = pysbi.Ensemble([sally]).evaluate_score(x)
    assert es.mean.shape == (37, 2) and es.mean.base is es
    assert_bits_equal(es.mean, t)


def test_training_summary(sally, alices):
    s = sally.training_summary
    assert len(s.history) == 4 and s.loss_terms == ["mse_score"] and s.reason == pysbi.StopReason.Completed
    assert_bits_equal(s.epochs, np.arange(4, dtype=np.int64))
    assert_bits_equal(s.train_losses, np.array([r.train_loss for r in s.history]))
    assert_bits_equal(s.validation_losses, np.array([r.validation_loss for r in s.history]))
    assert s.best_epoch == int(np.argmin(s.validation_losses))
    assert s.learning_rates[0] == pytest.approx(1e-3) and s.learning_rates[-1] == pytest.approx(1e-4)
    assert s.n_train == 1500 and s.n_validation == 500 and s.backend.startswith("native")
    a = alices.training_summary
    assert a.loss_terms == ["improved_xe", "mse_score"]
    terms = a.train_loss_terms_array
    assert terms.shape == (4, 2)
    assert_bits_equal(terms, np.array([r.train_loss_terms for r in a.history]))
    # The total is the alpha-weighted sum of the terms (alpha = 0.5).
    np.testing.assert_allclose(a.train_losses, terms[:, 0] + 0.5 * terms[:, 1], rtol=1e-6)
    assert "best" in a.brief_report() and len(a.full_report().splitlines()) > 4
    assert repr(a).startswith("TrainingSummary(epochs=4")


def test_estimator_properties(sally, alices):
    assert sally.method == pysbi.EstimatorMethod.Sally and sally.is_score_estimator
    assert (sally.n_observables, sally.n_parameters) == (3, 2)
    assert sally.network.hidden == [16, 16] and sally.network.activation == pysbi.Activation.Tanh
    assert sally.observable_names == NAMES_X and sally.parameter_names == NAMES_P
    assert_bits_equal(sally.reference_theta, np.zeros(2))
    sc = alices.scalings()
    assert sorted(sc) == ["theta_means", "theta_stds", "x_means", "x_stds"]
    assert sc["x_means"].shape == (3,) and sc["theta_stds"].shape == (2,)
    assert np.all(sc["theta_stds"] > 0.4) and np.all(sc["theta_stds"] < 0.7)  # U(-1, 1) and theta1 = 0
    fresh = pysbi.Estimator("carl", 3, 2, pysbi.NetworkOptions(hidden=[4]))
    assert fresh.reference_theta.size == 0 and fresh.training_summary.best_epoch == -1
    assert_bits_equal(fresh.x_stds, np.ones(3))
    assert "method='carl'" in repr(fresh) and "trained=False" in repr(fresh)


# ---- callbacks, Ctrl-C, the GIL ----


def test_callback_sees_every_epoch_and_can_stop(local):
    seen = []
    est = pysbi.Estimator("sally", 3, 2, hidden=[8], seed=1)
    summary = est.train(local, epochs=5, seed=1, callback=lambda r: seen.append((r.epoch, r.train_loss)))
    assert [e for e, _ in seen] == [0, 1, 2, 3, 4]
    assert [loss for _, loss in seen] == list(summary.train_losses)

    stopper = pysbi.Estimator("sally", 3, 2, hidden=[8], seed=1)
    summary = stopper.train(local, epochs=5, seed=1, callback=lambda r: r.epoch < 1)
    assert summary.reason == pysbi.StopReason.Interrupted and len(summary.history) == 2

    def fail(record):
        raise ZeroDivisionError(f"stop at {record.epoch}")

    failing = pysbi.Estimator("sally", 3, 2, hidden=[8], seed=1)
    with pytest.raises(ZeroDivisionError, match="stop at 0"):
        failing.train(local, epochs=5, seed=1, callback=fail)
    assert failing.training_summary.reason == pysbi.StopReason.Interrupted
    assert len(failing.training_summary.history) == 1
    with pytest.raises(TypeError, match="callable"):
        failing.train(local, epochs=1, callback=3)


def test_ctrl_c_stops_training_keeps_the_best_state_and_raises(local):
    # A helper thread sends SIGINT to the process after the first epoch, while the C++ training
    # runs with the GIL released; the epoch callback sees it at the end of the epoch in progress.
    first_epoch = threading.Event()

    def interrupt():
        first_epoch.wait(30)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=interrupt)
    helper.start()
    est = pysbi.Estimator("sally", 3, 2, hidden=[32, 32], seed=6)
    big = local_samples(n=20000, seed=8)
    try:
        with pytest.raises(KeyboardInterrupt):
            est.train(big, epochs=200, seed=6, threads=1, callback=lambda r: first_epoch.set())
    finally:
        helper.join()
    s = est.training_summary
    assert s.reason == pysbi.StopReason.Interrupted and 1 <= len(s.history) < 200
    assert s.best_epoch == int(np.argmin(s.validation_losses))
    # The interrupted model is the one a clean stop after the same epochs gives (the best state
    # restored, whatever interrupted it).
    n = len(s.history)
    again = pysbi.Estimator("sally", 3, 2, hidden=[32, 32], seed=6)
    again.train(big, epochs=200, seed=6, threads=1, callback=lambda r: r.epoch < n - 1)
    assert len(again.training_summary.history) == n
    assert_bits_equal(est.evaluate_score(local.x[:100]), again.evaluate_score(local.x[:100]))


def test_training_and_evaluation_release_the_gil(local):
    big = local_samples(n=30000, seed=9)
    est = pysbi.Estimator("sally", 3, 2, hidden=[64, 64], seed=1)
    assert_releases_the_gil(lambda: est.train(big, epochs=3, seed=1, threads=1))


# ---- model files ----


def test_save_load_round_trip(tmp_path, sally, alices, local):
    sally.save(tmp_path / "sally.h5")
    loaded = pysbi.Estimator.load(str(tmp_path / "sally.h5"))
    assert_bits_equal(loaded.evaluate_score(local.x), sally.evaluate_score(local.x))
    assert loaded.network.hidden == [16, 16] and loaded.observable_names == NAMES_X
    assert_bits_equal(loaded.training_summary.validation_losses, sally.training_summary.validation_losses)
    for name in ("x_means", "x_stds", "theta_means", "theta_stds", "reference_theta"):
        assert_bits_equal(getattr(loaded, name), getattr(sally, name))
    ensemble = pysbi.Ensemble([alices, alices])
    ensemble.save(tmp_path / "ensemble.h5")
    back = pysbi.Ensemble.load(tmp_path / "ensemble.h5")
    assert len(back) == 2 and back.method == pysbi.EstimatorMethod.Alices and not back.is_score_estimator
    assert_bits_equal(back[1].evaluate_log_ratio(local.x, [0.2, 0.1]).log_r, alices.evaluate_log_ratio(local.x, [0.2, 0.1]).log_r)
    assert back[-1].method == pysbi.EstimatorMethod.Alices and len(back.members) == 2
    with pytest.raises(IndexError):
        back[2]
    # A single-estimator file loads as a one-member ensemble.
    assert len(pysbi.Ensemble.load(tmp_path / "sally.h5")) == 1
    deep = copy.deepcopy(sally)
    assert_bits_equal(deep.evaluate_score(local.x[:5]), sally.evaluate_score(local.x[:5]))


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        pysbi.Estimator.load(tmp_path / "missing.h5")
    (tmp_path / "junk.h5").write_bytes(b"not an HDF5 file at all" * 10)
    with pytest.raises(pysbi.FormatError) as error:
        pysbi.Estimator.load(tmp_path / "junk.h5")
    assert isinstance(error.value, OSError) and "junk.h5" in str(error.value)
    pysbi.write_samples(tmp_path / "samples.h5", local_samples(n=10))
    with pytest.raises(pysbi.FormatError, match="samples.h5"):
        pysbi.Ensemble.load(tmp_path / "samples.h5")
    with pytest.raises(FileNotFoundError):
        pysbi.read_evaluation(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="path"):
        pysbi.Estimator.load(3)


# ---- errors ----


def test_wrong_inputs_are_rejected_with_clear_messages(sally, alices, local, ratio):
    with pytest.raises(pysbi.InvalidArgument, match=r"x has shape \(5, 2\); it must have 3 columns"):
        sally.evaluate_score(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"x has shape \(3,\) \(1-D\); it must be a 2-D array"):
        sally.evaluate_score(np.zeros(3))
    with pytest.raises(ValueError, match="x has dtype <U1"):
        sally.evaluate_score(np.array([["a", "b", "c"]]))
    with pytest.raises(pysbi.DataError, match=r"x\[1, 2\] = nan"):
        x = np.zeros((2, 3))
        x[1, 2] = np.nan
        sally.evaluate_score(x)
    with pytest.raises(ValueError, match=r"thetas has shape \(2, 3\); it must have 2 columns"):
        alices.evaluate_log_ratio(local.x[:4], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="thetas has 3 values; it must have 2"):
        alices.evaluate_log_ratio(local.x[:4], [0.0, 0.1, 0.2])
    with pytest.raises(ValueError, match="use evaluate_log_ratio"):
        alices.evaluate_score(local.x[:4])
    with pytest.raises(ValueError, match="use evaluate_score"):
        sally.evaluate_log_ratio(local.x[:4], [[0.0, 0.0]])
    fresh = pysbi.Estimator("alices", 3, 2, hidden=[4])
    with pytest.raises(pysbi.InvalidArgument, match="kind local.*ratio samples"):
        fresh.train(local, epochs=1)
    with pytest.raises(TypeError, match="AugmentedSamples"):
        fresh.train(local.x, epochs=1)
    with pytest.raises(TypeError, match="give either options"):
        fresh.train(ratio, pysbi.TrainingOptions(), epochs=1)
    with pytest.raises(ValueError, match="batch_size = 0"):
        fresh.train(ratio, batch_size=0)
    with pytest.raises(ValueError, match="observables but the network takes 4"):
        pysbi.Estimator("sally", 4, 2, hidden=[4]).train(local, epochs=1)
    with pytest.raises(ValueError, match="n_observables = 0"):
        pysbi.Estimator("sally", 0, 2)
    with pytest.raises(ValueError, match="differs from member 0"):
        pysbi.Ensemble([sally, alices])
    with pytest.raises(ValueError, match=r"members\[1\]"):
        pysbi.Ensemble([sally, 3])
    with pytest.raises(TypeError, match="Ensemble or pysbi.Estimator"):
        pysbi.reference_hypothesis_check("alices", local.x)
    with pytest.raises(ValueError, match="not been trained"):
        pysbi.reference_hypothesis_check(fresh, local.x)
    with pytest.raises(ValueError, match="sample sets for 3 ensemble members"):
        pysbi.Ensemble("sally", 3, 2, members=3, hidden=[4]).train([local, local], epochs=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'member'"):
        pysbi.Ensemble("sally", 3, 2, member=3)


# ---- diagnostics ----


def test_calibration_and_reference_check_equal_their_definition(alices, ratio):
    x1 = ratio.x[ratio.y == 1]
    thetas = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, 0.3]])
    calibration = pysbi.expectation_calibration(alices, x1, thetas)
    r = np.exp(alices.evaluate_log_ratio(x1, thetas).log_r)
    np.testing.assert_allclose(calibration.expectation, r.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(calibration.expectation_error, r.std(axis=1) / np.sqrt(x1.shape[0]), rtol=1e-10)
    np.testing.assert_allclose(calibration.log_correction, np.log(calibration.expectation), rtol=1e-14)
    assert_bits_equal(calibration.thetas, thetas)
    weights = np.linspace(0.5, 1.5, x1.shape[0])
    weighted = pysbi.expectation_calibration(pysbi.Ensemble([alices]), x1, thetas, weights)
    np.testing.assert_allclose(weighted.expectation, r @ weights / weights.sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="weights has 3 entries"):
        pysbi.expectation_calibration(alices, x1, thetas, [1.0, 2.0, 3.0])

    check = pysbi.reference_hypothesis_check(alices, x1)
    at_theta1 = alices.evaluate_log_ratio(x1, alices.reference_theta).log_r[0]
    assert check.mean == pytest.approx(at_theta1.mean(), rel=1e-12, abs=1e-15)
    assert check.std == pytest.approx(at_theta1.std(), rel=1e-10)
    assert check.max_abs == np.abs(at_theta1).max()


# ---- the MadMiner export, read back with PyTorch ----


class MadMinerNetwork:
    """MadMiner's DenseLocalScoreModel / DenseSingleParameterizedRatioModel rebuilt in plain PyTorch:
    `layers`, a ModuleList of nn.Linear; the activation before every layer but the first; the
    ratio model's input is cat(theta, x). Inputs are standardised as MadMiner's estimators do it
    (x and theta with the means and standard deviations of the .npy files)."""

    def __init__(self, torch, prefix):
        import torch.nn as nn

        self.torch = torch
        self.settings = json.loads(open(f"{prefix}_settings.json").read())
        n_in = self.settings["n_observables"]
        self.ratio = self.settings["estimator_type"] == "parameterized_ratio"
        if self.ratio:
            n_in += self.settings["n_parameters"]
        n_out = 1 if self.ratio else self.settings["n_parameters"]
        sizes = [n_in, *self.settings["n_hidden"], n_out]
        self.layers = nn.ModuleList([nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
        state = torch.load(f"{prefix}_state_dict.pt")
        self.layers_state = state
        module = nn.Module()
        module.layers = self.layers
        module.load_state_dict(state)
        self.activation = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[self.settings["activation"]]
        self.x_means = torch.tensor(np.load(f"{prefix}_x_means.npy"))
        self.x_stds = torch.tensor(np.load(f"{prefix}_x_stds.npy"))
        if self.ratio:
            self.theta_means = torch.tensor(np.load(f"{prefix}_theta_means.npy"))
            self.theta_stds = torch.tensor(np.load(f"{prefix}_theta_stds.npy"))

    def forward(self, h):
        for i, layer in enumerate(self.layers):
            if i > 0:
                h = self.activation(h)
            h = layer(h)
        return h

    def score(self, x):
        torch = self.torch
        x = ((torch.tensor(x) - self.x_means) / self.x_stds).float()
        with torch.no_grad():
            return self.forward(x).double().numpy()

    def log_ratio(self, x, theta):
        """log r_hat (E,) and t_hat = d log r_hat / d theta (E, P) at one theta (unscaled)."""
        torch = self.torch
        xs = ((torch.tensor(x) - self.x_means) / self.x_stds).float()
        theta = torch.tensor(np.tile(theta, (x.shape[0], 1)), dtype=torch.float64, requires_grad=True)
        ts = ((theta - self.theta_means) / self.theta_stds).float()
        log_r = self.forward(torch.cat((ts, xs), 1))[:, 0]
        (t,) = torch.autograd.grad(log_r.sum(), theta)
        return log_r.detach().double().numpy(), t.numpy()


def test_madminer_export_reads_back_in_pytorch(tmp_path, sally, alices, local):
    torch = pytest.importorskip("torch")
    paths = sally.export_madminer(tmp_path / "sally")
    assert sorted(p.name for p in paths) == [
        "sally_settings.json",
        "sally_state_dict.pt",
        "sally_x_means.npy",
        "sally_x_stds.npy",
    ]
    net = MadMinerNetwork(torch, tmp_path / "sally")
    assert net.settings["estimator_type"] == "score" and net.settings["n_hidden"] == [16, 16]
    assert sorted(net.layers_state) == [f"layers.{i}.{k}" for i in range(3) for k in ("bias", "weight")]
    assert net.layers_state["layers.0.weight"].dtype == torch.float32
    x = local.x[:300]
    np.testing.assert_allclose(net.score(x), sally.evaluate_score(x), rtol=0, atol=1e-6)

    paths = alices.export_madminer(tmp_path / "alices")
    assert len(paths) == 6
    net = MadMinerNetwork(torch, tmp_path / "alices")
    assert net.settings["estimator_type"] == "parameterized_ratio" and net.settings["n_parameters"] == 2
    for theta in ([0.0, 0.0], [0.6, -0.4]):
        log_r, t = net.log_ratio(x, np.array(theta))
        ours = alices.evaluate_log_ratio(x, [theta], with_score=True)
        np.testing.assert_allclose(log_r, ours.log_r[0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(t, ours.score[0], rtol=0, atol=1e-6)

    # An ensemble exports every member, as `sbi train --export-madminer`.
    files = pysbi.Ensemble([sally, sally]).export_madminer(tmp_path / "ens")
    assert sorted({p.name.split("_")[1] for p in files}) == ["0", "1"] and len(files) == 8


# ---- plots ----


def test_training_and_evaluation_plots(sally, alices, local):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from pysbi import plotting

    ensemble = pysbi.Ensemble([sally, sally])
    fig = plotting.plot_training_history(ensemble)
    ax = fig.axes[0]
    s = sally.training_summary
    assert len(ax.lines) == 6
    assert_bits_equal(np.asarray(ax.lines[0].get_xdata(), dtype=np.int64), np.arange(1, 5))
    assert_bits_equal(np.asarray(ax.lines[0].get_ydata()), s.train_losses)
    assert_bits_equal(np.asarray(ax.lines[1].get_ydata()), s.validation_losses)
    assert ax.lines[2].get_xdata()[0] == s.best_epoch + 1 and ax.lines[2].get_ydata()[0] == s.best_validation_loss
    fig = plotting.plot_training_history(alices, terms=True)
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "mse_score"
    assert_bits_equal(np.asarray(fig.axes[1].lines[0].get_ydata()), alices.training_summary.train_loss_terms_array[:, 0])

    x = local.x[:400]
    estimated, true = sally.evaluate_score(x), x @ A
    fig = plotting.plot_estimated_vs_true(estimated, true, names=NAMES_P)
    assert len(fig.axes) == 2
    offsets = fig.axes[1].collections[0].get_offsets()
    assert_bits_equal(np.asarray(offsets[:, 0]), true[:, 1])
    assert_bits_equal(np.asarray(offsets[:, 1]), estimated[:, 1])
    assert fig.axes[0].get_title() == f"MSE = {np.mean((estimated[:, 0] - true[:, 0]) ** 2):.3g}"
    fig = plotting.plot_estimated_vs_true(np.zeros(6000), np.linspace(-1, 1, 6000), kind="log_r")
    assert type(fig.axes[0].collections[0]).__name__ == "QuadMesh"
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_estimated_vs_true(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(TypeError, match="TrainingSummary"):
        plotting.plot_training_history("sally")
