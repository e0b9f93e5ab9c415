"""pysbi.plotting: figures for the steps of an sbi analysis (matplotlib).

Every function returns the matplotlib Figure it drew on (a new one, or the figure of the `ax`
given), so it works the same in a notebook, a script and a test. matplotlib is imported only when
a function is called; without a display (no DISPLAY / WAYLAND_DISPLAY on Linux, no MPLBACKEND) the
non-interactive Agg backend is selected, so figures can be saved in batch jobs.

Morphing and event-level plots:
    plot_morphing_basis   sum_b w_b(theta)^2 of a morphing basis: a curve in one parameter or a
                          map in two, with the benchmark points.
    plot_distributions    an observable's distribution at several theta, from morphed weights.

Units: parameter values dimensionless (the model's convention), cross sections in pb,
observables in the units of their definitions (GeV for momenta and masses).
"""

import os
import sys

import numpy as np

from . import _pysbi

__all__ = ["plot_morphing_basis", "plot_distributions"]


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
