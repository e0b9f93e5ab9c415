"""pysbi.plotting: figures for the steps of an sbi analysis (matplotlib).

Every function returns the matplotlib Figure it drew on (a new one, or the figure of the `ax`
given), so it works the same in a notebook, a script and a test. matplotlib is imported only when
a function is called; without a display (no DISPLAY / WAYLAND_DISPLAY on Linux, no MPLBACKEND) the
non-interactive Agg backend is selected, so figures can be saved in batch jobs.

Morphing and event-level plots:
    plot_morphing_basis   sum_b w_b(theta)^2 of a morphing basis: a curve in one parameter or a
                          map in two, with the benchmark points.
    plot_distributions    an observable's distribution at several theta, from morphed weights.

Estimators:
    plot_training_history    train and validation loss (and their terms) per epoch, the best
                             epoch marked, ensemble members overlaid.
    plot_estimated_vs_true   estimated against true score components or log r: a scatter plot
                             (or a 2-D histogram for many points) with the diagonal.

Limits (LimitResult objects of AsymptoticLimits):
    plot_limit_scans         q along one parameter for several results, with the CL lines.
    plot_limit_contours      2-D contours at each CL for several results, best fits and theta_true.
    plot_limits              both on one figure: one 1-D panel per scanned parameter and the
                             contour panel of the 2-D scans.

Units: parameter values dimensionless (the model's convention), cross sections in pb,
observables in the units of their definitions (GeV for momenta and masses), scores per unit
parameter.
"""

import os
import sys

import numpy as np

from . import _pysbi

__all__ = [
    "plot_morphing_basis",
    "plot_distributions",
    "plot_training_history",
    "plot_estimated_vs_true",
    "plot_limit_scans",
    "plot_limit_contours",
    "plot_limits",
]


def _pyplot():
    """matplotlib.pyplot, with the Agg backend when there is no display to draw on."""
    import matplotlib

    no_display = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND") and no_display:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure_and_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize)
    return fig, ax


def _parameter_index(names, parameter, n_parameters):
    if isinstance(parameter, str):
        if parameter not in names:
            raise ValueError(f"parameters: {parameter!r} is not a parameter of the morphing ({', '.join(names)})")
        return names.index(parameter)
    index = int(parameter)
    if not 0 <= index < n_parameters:
        raise ValueError(f"parameters: index {index} out of range for {n_parameters} parameters")
    return index


def plot_morphing_basis(
    basis,
    ranges=None,
    *,
    parameters=None,
    fixed=None,
    n_points=None,
    parameter_names=None,
    benchmark_names=None,
    log=True,
    ax=None,
    cmap="viridis",
):
    """Plots sum_b w_b(theta)^2 of a morphing basis: the factor by which morphing dilutes the
    statistics of the benchmark samples (DESIGN.md section 4; 1 at a basis point of a square basis).

    Args:
        basis (Setup or Morphing): a Setup with a stored morphing (its parameter ranges, names and
            benchmark names are used), or a Morphing (then `ranges` is needed unless it has
            benchmark points, whose span is used).
        ranges (array-like (P, 2), optional): (low, high) per parameter, dimensionless.
        parameters (list of 1 or 2 names or indices, optional): the parameters on the axes; the
            default is all parameters of a 1- or 2-parameter morphing, else the first two.
        fixed (array-like (P,), optional): values of the parameters not on the axes (default 0).
        n_points (int, optional): grid points per axis (default 400 for a curve, 120 for a map).
        parameter_names, benchmark_names (list[str], optional): labels (default from the Setup).
        log (bool): log10 colour scale for the map / log y axis for the curve.
        ax (matplotlib Axes, optional): draw into it.
        cmap (str): colour map of the 2-D map.

    Returns:
        matplotlib.figure.Figure. The curve is ax.lines[0] (x = theta_p, y = sum w^2); the map is
        ax.collections[0] (a QuadMesh of log10 sum w^2 when log, else sum w^2, over the grid
        ax.collections[0] was drawn on: theta_p on x, theta_q on y).
    """
    if isinstance(basis, _pysbi.Setup):
        setup = basis
        morphing = _pysbi.Morphing.from_setup(setup)
        if ranges is None:
            ranges = [p.range for p in setup.parameters]
        if parameter_names is None:
            parameter_names = setup.parameters.names()
        if benchmark_names is None:
            benchmark_names = setup.benchmark_names()[: morphing.n_benchmarks]
        points = setup.benchmark_values()[: morphing.n_benchmarks]
    elif isinstance(basis, _pysbi.Morphing):
        morphing = basis
        points = morphing.benchmark_points
    else:
        raise TypeError(f"basis must be a pysbi.Setup or pysbi.Morphing, not {type(basis).__name__}")

    n_parameters = morphing.n_parameters
    if parameter_names is None:
        parameter_names = [f"theta_{p}" for p in range(n_parameters)]
    if ranges is None:
        if points.shape[0] == 0:
            raise ValueError("ranges is required for a Morphing without benchmark points")
        ranges = np.stack([points.min(axis=0), points.max(axis=0)], axis=1)
    ranges = np.asarray(ranges, dtype=np.float64)
    if ranges.shape != (n_parameters, 2):
        raise ValueError(f"ranges has shape {ranges.shape}; it must be ({n_parameters}, 2) (low, high per parameter)")
    if parameters is None:
        parameters = list(range(min(n_parameters, 2)))
    axes = [_parameter_index(list(parameter_names), p, n_parameters) for p in parameters]
    if len(axes) not in (1, 2) or len(set(axes)) != len(axes):
        raise ValueError(f"parameters = {parameters!r}: give one or two different parameters")
    base = np.zeros(n_parameters) if fixed is None else np.asarray(fixed, dtype=np.float64)
    if base.shape != (n_parameters,):
        raise ValueError(f"fixed has shape {base.shape}; it must be ({n_parameters},)")

    fig, ax = _figure_and_axes(ax, (6.0, 4.5) if len(axes) == 1 else (6.0, 5.0))
    on_axes = points[:, axes] if points.shape[0] else np.zeros((0, len(axes)))
    if len(axes) == 1:
        (p,) = axes
        grid = np.linspace(ranges[p, 0], ranges[p, 1], n_points or 400)
        thetas = np.tile(base, (grid.size, 1))
        thetas[:, p] = grid
        squared = np.sum(morphing.weights_at_points(thetas) ** 2, axis=1)
        ax.plot(grid, squared, color="C0", label=r"$\sum_b w_b(\theta)^2$")
        if on_axes.shape[0]:
            marks = np.tile(base, (on_axes.shape[0], 1))
            marks[:, p] = on_axes[:, 0]
            at_points = np.sum(morphing.weights_at_points(marks) ** 2, axis=1)
            ax.plot(on_axes[:, 0], at_points, "o", color="C3", label="benchmarks")
            for name, x, y in zip(benchmark_names or [], on_axes[:, 0], at_points):
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(parameter_names[p])
        ax.set_ylabel(r"$\sum_b w_b(\theta)^2$")
        ax.legend(frameon=False)
    else:
        p, q = axes
        n = n_points or 120
        gx = np.linspace(ranges[p, 0], ranges[p, 1], n)
        gy = np.linspace(ranges[q, 0], ranges[q, 1], n)
        xx, yy = np.meshgrid(gx, gy)
        thetas = np.tile(base, (xx.size, 1))
        thetas[:, p] = xx.ravel()
        thetas[:, q] = yy.ravel()
        squared = np.sum(morphing.weights_at_points(thetas) ** 2, axis=1).reshape(xx.shape)
        values = np.log10(squared) if log else squared
        mesh = ax.pcolormesh(gx, gy, values, shading="nearest", cmap=cmap)
        fig.colorbar(mesh, ax=ax, label=r"$\log_{10} \sum_b w_b(\theta)^2$" if log else r"$\sum_b w_b(\theta)^2$")
        if on_axes.shape[0]:
            ax.plot(on_axes[:, 0], on_axes[:, 1], "o", color="white", markeredgecolor="black", label="benchmarks")
            for name, x, y in zip(benchmark_names or [], on_axes[:, 0], on_axes[:, 1]):
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8, color="white")
        ax.set_xlim(ranges[p])
        ax.set_ylim(ranges[q])
        ax.set_xlabel(parameter_names[p])
        ax.set_ylabel(parameter_names[q])
    return fig


def plot_distributions(
    source,
    observable,
    thetas,
    *,
    morphing=None,
    summary=None,
    observable_names=None,
    parameter_names=None,
    bins=40,
    range=None,
    density=False,
    labels=None,
    ax=None,
):
    """Plots the distribution of one observable at several parameter points, from the events'
    morphed weights dsigma(z_i|theta) = sum_b w_b(theta) dsigma_b(z_i) (times MadMiner's k-factors
    for samples generated at several benchmarks).

    Args:
        source (MadMinerFile or Events): the weighted events; a MadMinerFile also gives the
            morphing (from its set-up), the observable names and the sample summary.
        observable (str or int): the observable's name or column.
        thetas (array-like (T, P), or (P,) for one point): the parameter points.
        morphing (Morphing, optional): required when source is Events.
        summary (SampleSummary, optional): for the k-factors (default: the file's).
        observable_names, parameter_names (list[str], optional): for the labels.
        bins (int or array-like): histogram bins (numpy.histogram's argument).
        range ((low, high), optional): histogram range, in the observable's units.
        density (bool): normalise each histogram to unit area (shapes) instead of pb per bin.
        labels (list[str], optional): one legend label per theta.
        ax (matplotlib Axes, optional): draw into it.

    Returns:
        matplotlib.figure.Figure. Histogram t is drawn as ax.patches[t] (a StepPatch whose
        get_data() gives the values and edges: pb per bin, or densities).
    """
    if isinstance(source, _pysbi.MadMinerFile):
        if source.events is None:
            raise ValueError("the MadMinerFile has no events")
        events = source.events
        if morphing is None:
            morphing = _pysbi.Morphing.from_setup(source.setup)
        if summary is None:
            summary = source.sample_summary
        if observable_names is None:
            observable_names = source.setup.observable_names()
        if parameter_names is None:
            parameter_names = source.setup.parameters.names()
    elif isinstance(source, _pysbi.Events):
        events = source
        if morphing is None:
            raise ValueError("morphing is required when source is an Events object")
    else:
        raise TypeError(f"source must be a pysbi.MadMinerFile or pysbi.Events, not {type(source).__name__}")

    if isinstance(observable, str):
        if not observable_names or observable not in observable_names:
            raise ValueError(f"observable {observable!r} is not among the observables {observable_names}")
        column = list(observable_names).index(observable)
    else:
        column = int(observable)
        if not 0 <= column < events.observations.shape[1]:
            raise ValueError(f"observable column {column} out of range for {events.observations.shape[1]} observables")
    label_x = observable_names[column] if observable_names else f"observable {column}"

    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim == 1:
        thetas = thetas[np.newaxis, :]
    if parameter_names is None:
        parameter_names = [f"theta_{p}" for p in np.arange(morphing.n_parameters)]
    if labels is None:
        labels = [", ".join(f"{n} = {v:g}" for n, v in zip(parameter_names, t)) for t in thetas]
    if len(labels) != thetas.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries for {thetas.shape[0]} theta points")

    weights = morphing.morphed_event_weights(events.weights[:, : morphing.n_benchmarks], thetas)
    weights *= events.sampling_factors(summary)[:, np.newaxis]
    x = events.observations[:, column]

    fig, ax = _figure_and_axes(ax, (6.0, 4.5))
    for t in np.arange(thetas.shape[0]):
        values, edges = np.histogram(x, bins=bins, range=range, weights=weights[:, t], density=density)
        ax.stairs(values, edges, label=labels[t], color=f"C{t % 10}")
    ax.set_xlabel(label_x)
    ax.set_ylabel("normalised density" if density else r"$\sigma$ per bin [pb]")
    ax.legend(frameon=False, fontsize=8)
    return fig


# ---- estimators ----------------------------------------------------------------------------


def _summaries(source):
    """A list of TrainingSummary from a summary, an Estimator, an Ensemble or a list of them."""
    if isinstance(source, _pysbi.TrainingSummary):
        return [source]
    if isinstance(source, _pysbi.Estimator):
        return [source.training_summary]
    if isinstance(source, _pysbi.Ensemble):
        return source.training_summaries
    if isinstance(source, (list, tuple)):
        out = []
        for item in source:
            out.extend(_summaries(item))
        return out
    raise TypeError(
        f"source must be a TrainingSummary, Estimator, Ensemble or a list of them, not {type(source).__name__}"
    )


def plot_training_history(source, *, terms=False, labels=None, log=True, ax=None):
    """Plots the training history: training loss (solid) and validation loss (dashed) per epoch,
    the best epoch (the one whose parameters the model keeps) marked with a star; the members of an
    ensemble (or several summaries) overlaid in their own colours.

    Args:
        source: a TrainingSummary, an Estimator or an Ensemble (its members' summaries), or a list
            of these.
        terms (bool): also one panel per loss term (e.g. improved_xe and mse_score for alices),
            training and validation.
        labels (list[str], optional): one label per summary (default "member i", or the method).
        log (bool): logarithmic loss axis (switched off when a loss is not positive).
        ax (matplotlib Axes, optional): draw the total loss into it (terms=False only).

    Returns:
        matplotlib.figure.Figure. In the first axes, summary i draws lines[3 i] (training: x =
        epochs 1..n, y = train_losses), lines[3 i + 1] (validation) and lines[3 i + 2] (the best
        epoch, one point).
    """
    summaries = _summaries(source)
    if not summaries:
        raise ValueError("no training summaries to plot")
    if labels is None:
        labels = [f"member {i}" for i in range(len(summaries))] if len(summaries) > 1 else ["training"]
    if len(labels) != len(summaries):
        raise ValueError(f"labels has {len(labels)} entries for {len(summaries)} summaries")
    term_names = list(summaries[0].loss_terms) if terms else []
    if terms and ax is not None:
        raise ValueError("ax cannot be given with terms=True (the figure has one panel per term)")
    if ax is None:
        n_panels = 1 + len(term_names)
        fig, axes = _pyplot().subplots(1, n_panels, figsize=(5.5 * n_panels, 4.2), squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]

    def draw(axis, train, validation, best, colour, label):
        epochs = np.arange(1, train.size + 1)
        axis.plot(epochs, train, "-", color=colour, label=f"{label} (train)")
        axis.plot(epochs, validation, "--", color=colour, label=f"{label} (validation)")
        if 0 <= best < train.size:
            y = validation[best] if np.isfinite(validation[best]) else train[best]
            axis.plot([best + 1], [y], "*", color=colour, markersize=11, markeredgecolor="black")
        else:
            axis.plot([], [], "*", color=colour)

    positive = True
    for i, (summary, label) in enumerate(zip(summaries, labels)):
        colour = f"C{i % 10}"
        train = summary.train_losses
        validation = summary.validation_losses
        positive &= bool(np.all(train[np.isfinite(train)] > 0) and np.all(validation[np.isfinite(validation)] > 0))
        draw(axes[0], train, validation, summary.best_epoch, colour, label)
        if term_names:
            train_terms = summary.train_loss_terms_array
            validation_terms = summary.validation_loss_terms_array
            for k in range(min(len(term_names), train_terms.shape[1])):
                draw(axes[1 + k], train_terms[:, k], validation_terms[:, k], summary.best_epoch, colour, label)
                positive &= bool(np.all(train_terms[:, k][np.isfinite(train_terms[:, k])] > 0))
    titles = ["loss"] + term_names
    for axis, title in zip(axes, titles):
        axis.set_xlabel("epoch")
        axis.set_ylabel(title)
        if log and positive:
            axis.set_yscale("log")
    axes[0].legend(frameon=False, fontsize=8)
    if len(axes) > 1:
        for axis, title in zip(axes[1:], term_names):
            axis.set_title(title)
        axes[0].set_title("total loss")
    return fig


def plot_estimated_vs_true(estimated, true, *, kind="score", names=None, max_points=5000, bins=60, ax=None):
    """Plots estimated against true values with the diagonal: the score components t_hat(x) vs
    t(x) (one panel per component), or log r_hat vs log r (one panel). Up to max_points points are
    drawn as a scatter plot; more as a 2-D histogram (log colour scale). The MSE is in each title.

    Args:
        estimated, true (array-like): score: (E, P) (or (E,) for one component); log r: any shape
            (flattened), equal shapes.
        kind ("score" or "log_r"): the axis labels.
        names (list[str], optional): parameter names for the score panels.
        max_points (int): the largest number of points drawn as a scatter plot.
        bins (int): bins per axis of the 2-D histogram.
        ax (matplotlib Axes, optional): draw into it (one panel only).

    Returns:
        matplotlib.figure.Figure. In panel k, lines[0] is the diagonal; the points are
        collections[0] (a PathCollection for a scatter plot, a QuadMesh for a histogram).
    """
    if kind not in ("score", "log_r"):
        raise ValueError(f"kind = {kind!r}: must be 'score' or 'log_r'")
    estimated = np.asarray(estimated, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    if estimated.shape != true.shape:
        raise ValueError(f"estimated has shape {estimated.shape} but true has shape {true.shape}; they must be equal")
    if kind == "score":
        if estimated.ndim == 1:
            estimated, true = estimated[:, np.newaxis], true[:, np.newaxis]
        if estimated.ndim != 2:
            raise ValueError(f"score arrays must be (E, P); got shape {estimated.shape}")
    else:
        estimated, true = estimated.reshape(-1, 1), true.reshape(-1, 1)
    n_panels = estimated.shape[1]
    if names is None:
        names = [f"theta_{k}" for k in range(n_panels)]
    if ax is not None and n_panels != 1:
        raise ValueError(f"ax given but there are {n_panels} panels (one per score component)")
    if ax is None:
        fig, axes = _pyplot().subplots(1, n_panels, figsize=(4.6 * n_panels, 4.4), squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    from matplotlib.colors import LogNorm

    for k, axis in enumerate(axes):
        e, t = estimated[:, k], true[:, k]
        finite = np.isfinite(e) & np.isfinite(t)
        e, t = e[finite], t[finite]
        if e.size == 0:
            raise ValueError("no finite pairs of values to plot")
        low, high = float(min(e.min(), t.min())), float(max(e.max(), t.max()))
        pad = 0.02 * (high - low or 1.0)
        low, high = low - pad, high + pad
        axis.plot([low, high], [low, high], "-", color="black", linewidth=1, label="diagonal")
        if e.size <= max_points:
            axis.scatter(t, e, s=4, alpha=0.5, color="C0")
        else:
            axis.hist2d(t, e, bins=bins, range=[[low, high], [low, high]], norm=LogNorm(), cmap="viridis")
        axis.set_xlim(low, high)
        axis.set_ylim(low, high)
        mse = float(np.mean((e - t) ** 2))
        if kind == "score":
            axis.set_xlabel(f"true t ({names[k]})")
            axis.set_ylabel(f"estimated t ({names[k]})")
        else:
            axis.set_xlabel("true log r")
            axis.set_ylabel("estimated log r")
        axis.set_title(f"MSE = {mse:.3g}", fontsize=9)
        axis.set_aspect("equal")
    return fig


# ---- limits --------------------------------------------------------------------------------


def _results(results):
    if isinstance(results, _pysbi.LimitResult):
        return [results]
    results = list(results)
    for r in results:
        if not isinstance(r, _pysbi.LimitResult):
            raise TypeError(f"results must be LimitResult objects, not {type(r).__name__}")
    if not results:
        raise ValueError("no results to plot")
    return results


def _cl_label(cl):
    return f"{100 * cl:g} % CL"


def plot_limit_scans(results, parameter=None, *, q_max=None, ax=None):
    """Plots q along one parameter for every result that scanned it (the scan itself in 1-D, the
    profile over the other scanned parameters in more), one colour per result, the best fit
    marked, and horizontal lines at the chi^2_1 thresholds of the confidence levels.

    Args:
        results (LimitResult or list of them).
        parameter (str or int, optional): the parameter (default: the first scanned one).
        q_max (float, optional): the top of the q axis (default 1.5 x the largest threshold, >= 5).
        ax (matplotlib Axes, optional): draw into it.

    Returns:
        matplotlib.figure.Figure. Result i draws lines[i] (x = profile values, y = q), then the
        threshold lines (one per confidence level, labelled "68 % CL", ...).
    """
    results = _results(results)
    names = results[0].parameter_names
    if parameter is None:
        if not results[0].profiles:
            raise ValueError("the first result scanned no parameter")
        parameter = results[0].profiles[0].parameter
    if not isinstance(parameter, str):
        parameter = names[int(parameter)]
    fig, ax = _figure_and_axes(ax, (6.0, 4.5))
    drawn = 0
    levels = sorted({cl for r in results for cl in r.confidence_levels})
    markers = []
    for i, r in enumerate(results):
        profile = next((p for p in r.profiles if p.parameter == parameter), None)
        if profile is None:
            continue
        colour = f"C{i % 10}"
        ax.plot(profile.values, profile.q, "-", color=colour, label=r.label or r.mode.label)
        markers.append((r.best_fit[profile.parameter_index], colour))
        drawn += 1
    if drawn == 0:
        raise ValueError(f"no result scanned the parameter {parameter!r}")
    thresholds = [_pysbi.chi2_quantile(cl, 1) for cl in levels]
    for cl, threshold, style in zip(levels, thresholds, ["--", ":", "-."] * len(levels)):
        ax.axhline(threshold, linestyle=style, color="grey", linewidth=1, label=_cl_label(cl))
    for x, colour in markers:
        ax.plot([x], [0.0], "v", color=colour, markersize=7)
    top = q_max if q_max else max(5.0, 1.5 * max(thresholds))
    ax.set_ylim(0.0, top)
    ax.set_xlabel(parameter)
    ax.set_ylabel(r"$q(\theta) = -2\,\Delta \log L$")
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_limit_contours(results, *, ax=None, show_best_fit=True, show_theta_true=True):
    """Plots the 2-D contours of every result with a 2-D regular scan: one colour per result,
    solid for the first confidence level, dashed for the second, dotted for further ones; the
    best fit (x) and theta_true (+).

    Args:
        results (LimitResult or list of them); those without contours are skipped.
        ax (matplotlib Axes, optional): draw into it.
        show_best_fit, show_theta_true (bool): the markers.

    Returns:
        matplotlib.figure.Figure. Every contour line is one Line2D in ax.lines (x = points[:, 0],
        y = points[:, 1], closed lines repeat their first point) whose label is "<label> <CL>"
        for its first line at that CL.
    """
    results = _results(results)
    fig, ax = _figure_and_axes(ax, (6.0, 5.0))
    styles = ["-", "--", ":", "-."]
    drawn = 0
    axes_names = None
    for i, r in enumerate(results):
        if not r.contours:
            continue
        colour = f"C{i % 10}"
        label = r.label or r.mode.label
        for k, contour in enumerate(r.contours):
            if axes_names is None:
                axes_names = (r.parameter_names[contour.parameter_x], r.parameter_names[contour.parameter_y])
            for j, line in enumerate(contour.lines):
                pts = line.points
                if line.closed and pts.shape[0] > 0:
                    pts = np.vstack([pts, pts[:1]])
                ax.plot(
                    pts[:, 0],
                    pts[:, 1],
                    styles[min(k, len(styles) - 1)],
                    color=colour,
                    label=f"{label} {_cl_label(contour.confidence_level)}" if j == 0 else None,
                )
        px, py = r.contours[0].parameter_x, r.contours[0].parameter_y
        if show_best_fit:
            ax.plot([r.best_fit[px]], [r.best_fit[py]], "x", color=colour, markersize=8)
        if show_theta_true and r.theta_true.size:
            ax.plot([r.theta_true[px]], [r.theta_true[py]], "+", color="black", markersize=10)
        drawn += 1
    if drawn == 0:
        raise ValueError("no result has contours (they need a 2-D regular scan)")
    ax.set_xlabel(axes_names[0])
    ax.set_ylabel(axes_names[1])
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_limits(results, *, q_max=None):
    """One figure with every limit plot of the results: a 1-D panel per scanned parameter
    (plot_limit_scans: the scan or the profile, CL lines) and, when any result has a 2-D scan,
    the contour panel (plot_limit_contours). All modes overlaid, one colour per result.

    Returns:
        matplotlib.figure.Figure whose axes are the 1-D panels in parameter order, then the
        contour panel.
    """
    results = _results(results)
    scanned = []
    for r in results:
        for p in r.profiles:
            if p.parameter not in scanned:
                scanned.append(p.parameter)
    has_contours = any(r.contours for r in results)
    n_panels = len(scanned) + (1 if has_contours else 0)
    if n_panels == 0:
        raise ValueError("the results scanned no parameter")
    fig, axes = _pyplot().subplots(1, n_panels, figsize=(5.5 * n_panels, 4.6), squeeze=False)
    axes = list(axes[0])
    for axis, parameter in zip(axes, scanned):
        plot_limit_scans(results, parameter, q_max=q_max, ax=axis)
    if has_contours:
        plot_limit_contours(results, ax=axes[-1])
    fig.tight_layout()
    return fig
