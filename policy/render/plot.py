"""Plots of sweeps with matplotlib: how outcomes and equilibria move with the parameters.

Three pictures, each written to a PNG or SVG file:

* :func:`plot_line`: outcome probabilities against one parameter (a 1-d grid), or for
  a game with many outcomes that states facts (a campaign), each fact's, a panel per fact;
* :func:`plot_regions`: for two parameters, the plane coloured by equilibrium path;
* :func:`plot_bars`: Monte Carlo outcome probabilities per leader, with 95% intervals.

Axis labels use the parameters' descriptions (their first sentence). Files are
written by :mod:`policy.output`: atomically, so a failed or interrupted plot
leaves no file behind, and with a command's other files when it hands its
:class:`~policy.output.Outputs` over.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from policy.analysis.sweep import FAILED_PATH, SweepResult
from policy.output import Outputs

#: Formats :func:`save` can write, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}


class PlotError(ValueError):
    """A plot that cannot be made as asked."""


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def axis_label(result: SweepResult, name: str, width: int = 60) -> str:
    """A parameter's name and the first sentence of its description, shortened."""
    p = result.game.parameters.get(name)
    text = " ".join((p.description if p else "").split())
    first = text.split(". ")[0].rstrip(".")
    if not first:
        return name
    if len(first) > width:
        first = first[: width - 1].rsplit(" ", 1)[0] + "…"
    return f"{name}: {first}"


def outcome_label(result: SweepResult, terminal: int) -> str:
    game = result.game
    o = int(game.outcome[terminal])
    return game.outcomes[o].label if o >= 0 else game.node_names[terminal]


#: At most this many outcome lines in one plot: a game with more that states facts
#: (a campaign's end states) is drawn by its facts, one panel per fact.
LINE_OUTCOMES = 12


def plot_line(result: SweepResult, out: str | Path, outputs: Outputs | None = None) -> Path:
    """Each outcome's probability against the one varied parameter (or, for a game with more
    than :data:`LINE_OUTCOMES` outcomes reached and facts on its terminals, each fact's)."""
    if len(result.varied) != 1:
        raise PlotError("a line plot needs a sweep over exactly one parameter (--vary p=LO:HI)")
    name = result.varied[0]
    x = result.samples[name][: result.done]
    order = np.argsort(x, kind="stable")
    # Reached at some point of the grid: a mean above 0 (no dense table of every sample's reach).
    reached = int(np.count_nonzero(np.asarray(result.outcome_mean) > 0)) if result.done else 0
    if reached > LINE_OUTCOMES and result.facts.shape[1]:
        return _plot_facts(result, x, order, out, outputs)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    shown = 0
    for k, t in enumerate(result.game.terminals.tolist()):
        y = result.reach[:, k]
        if not np.any(y > 0):
            continue
        if result.failed:  # a gap where a sample failed
            y = np.where(result.solved_mask(), y, np.nan)
        ax.plot(x[order], y[order], label=outcome_label(result, t), linewidth=1.8)
        shown += 1
    ax.set_xlabel(axis_label(result, name))
    ax.set_ylabel("probability of the outcome")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{result.game.title}" + (f" ({result.leader})" if result.leader else ""))
    if shown:
        ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, out, outputs)


def _plot_facts(result: SweepResult, x: Any, order: Any, out: str | Path, outputs: Outputs | None) -> Path:
    """One panel per fact the terminals state, a line per value: its probability against the parameter."""
    from policy.analysis.sweep import fact_columns

    pairs, _ = fact_columns(result.game)
    facts = np.asarray(result.facts, dtype=np.float64)
    if result.failed:
        facts = np.where(result.solved_mask()[:, None], facts, np.nan)
    keys = list(dict.fromkeys(key for key, _ in pairs))
    columns = 2 if len(keys) > 1 else 1
    rows = (len(keys) + columns - 1) // columns
    plt = _pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(6.0 * columns, 3.0 * rows + 0.8), squeeze=False, sharex=True)
    for ax, key in zip(axes.flat, keys, strict=False):
        for k, (fact, value) in enumerate(pairs):
            if fact != key or not np.nanmax(facts[:, k], initial=0.0) > 0:
                continue
            ax.plot(x[order], facts[order, k], label=value, linewidth=1.8)
        ax.set_title(key, fontsize="medium")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", loc="best")
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    for c in range(columns):  # the lowest panel of each column carries the axis
        lowest = axes[max(r for r in range(rows) if r * columns + c < len(keys)), c]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel(axis_label(result, result.varied[0], 45))
    fig.supylabel("probability of the end state")
    fig.suptitle(f"{result.game.title}" + (f" ({result.leader})" if result.leader else ""), fontsize="medium")
    fig.tight_layout()
    return save(fig, out, outputs)


def plot_regions(result: SweepResult, out: str | Path, outputs: Outputs | None = None) -> Path:
    """The plane of two varied parameters, coloured by equilibrium path."""
    if len(result.varied) != 2:
        raise PlotError("a region map needs a sweep over exactly two parameters (--vary p=... --vary q=...)")
    if result.interrupted:
        raise PlotError("the sweep was interrupted; a region map needs every grid point")
    xname, yname = result.varied
    xs = np.unique(result.samples[xname])
    ys = np.unique(result.samples[yname])
    if len(xs) * len(ys) != result.done:
        raise PlotError("a region map needs a full grid of samples")
    paths = list(dict.fromkeys(p for p, _ in result.path_shares()))
    index = {p: k for k, p in enumerate(paths)}
    codes = np.array([index[p] for p in result.paths]).reshape(len(xs), len(ys))
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = list(plt.get_cmap("tab10" if len(paths) <= 10 else "tab20").colors[: max(1, len(paths))])
    if FAILED_PATH in index:  # samples that could not be solved: grey, not a path's colour
        colours[index[FAILED_PATH]] = (0.85, 0.85, 0.85)
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.imshow(
        codes.T,
        origin="lower",
        aspect="auto",
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(colours) - 0.5,
        interpolation="nearest",
    )
    ax.set_xlabel(axis_label(result, xname))
    ax.set_ylabel(axis_label(result, yname, width=45))
    ax.set_title(f"Equilibrium paths: {result.game.title}" + (f" ({result.leader})" if result.leader else ""))
    handles = [Patch(color=colours[k], label=_wrap(p)) for k, p in enumerate(paths)]
    ax.legend(handles=handles, fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1)
    fig.tight_layout()
    return save(fig, out, outputs)


def plot_bars(results: Sequence[SweepResult], out: str | Path, outputs: Outputs | None = None) -> Path:
    """Monte Carlo outcome probabilities, one group of bars per outcome, one bar per leader."""
    if not results:
        raise PlotError("nothing to plot")
    game = results[0].game
    series = [r.outcome_probabilities() for r in results]
    labels = [
        game.node_names[t]
        for t in game.terminals.tolist()
        if any(s[game.node_names[t]][0] > 0 for s in series)
    ]
    names = {game.node_names[t]: outcome_label(results[0], t) for t in game.terminals.tolist()}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(labels) * len(results)), 4.8))
    width = 0.8 / len(results)
    x = np.arange(len(labels))
    for k, (r, s) in enumerate(zip(results, series, strict=True)):
        mean = np.array([s.get(n, (0.0, 0.0, 0.0))[0] for n in labels])
        lo = np.array([s.get(n, (0.0, 0.0, 0.0))[1] for n in labels])
        hi = np.array([s.get(n, (0.0, 0.0, 0.0))[2] for n in labels])
        ax.bar(x + (k - (len(results) - 1) / 2) * width, mean, width,
               yerr=np.vstack([mean - lo, hi - mean]), capsize=3, label=r.leader or f"run {k + 1}")
    ax.set_xticks(x, [_wrap(names.get(n, n), 18) for n in labels], fontsize="small")
    ax.set_ylabel("probability (mean over samples, 95% interval)")
    ax.set_ylim(0, 1)
    ax.set_title(f"{game.title}: {results[0].done} samples per leader")
    ax.legend()
    fig.tight_layout()
    return save(fig, out, outputs)


def _wrap(text: str, width: int = 70) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def plot_format(out: str | Path) -> str:
    """The format a plot at ``out`` is written in, by suffix.

    Raises
    ------
    PlotError
        For a suffix other than ``.png`` and ``.svg``.
    """
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise PlotError(f"{out}: a plot is written as .png or .svg")
    return fmt


def save(fig: Any, out: str | Path, outputs: Outputs | None = None) -> Path:
    """Write a figure to ``out`` (PNG or SVG by suffix) by the rules of :mod:`policy.output`, and close it.

    With ``outputs`` the figure is only prepared there, to be committed with
    the command's other files; without, it is written at once.
    """
    plt = _pyplot()
    try:
        fmt = plot_format(out)
        with Outputs() as alone:
            staging = alone if outputs is None else outputs
            with staging.open(out) as handle:
                fig.savefig(handle, format=fmt, dpi=120)
            alone.commit()
    finally:
        plt.close(fig)
    return Path(out)
