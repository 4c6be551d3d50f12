"""Likelihood profiles: the best log-likelihood with one coefficient held at each of a grid of values.

The other coefficients are re-maximised at each point (from the neighbouring
point's optimum, walking out from the estimate). A profile that is far from a
parabola, or that rises away from the estimate, shows a weakly identified
coefficient or another maximum (the R package ``games`` offers the same as
``profile.game``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from policy.fit.estimate import GRADIENT_TOLERANCE, FitResult, Objective, _bfgs
from policy.fit.spec import FitError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Profile:
    """Profile log-likelihood of one coefficient."""

    name: str
    values: FloatArray
    loglik: FloatArray
    estimate: float
    max_loglik: float


def profile(result: FitResult, name: str, points: int = 21, width: float = 3.0) -> Profile:
    """Profile ``name`` over ``estimate +- width`` standard errors, at ``points`` values."""
    if name not in result.names:
        raise FitError("profile", f"no coefficient {name!r} (coefficients: {', '.join(result.names)})")
    if points < 3:
        raise FitError("profile", "at least 3 points")
    assert result._model is not None and result._design is not None
    i = result.names.index(name)
    se = float(result.std_errors[i])
    half = width * se if np.isfinite(se) and se > 0 else width * max(1.0, abs(result.estimates[i]))
    grid = np.linspace(result.estimates[i] - half, result.estimates[i] + half, points)
    others = np.array([k for k in range(result.num_params) if k != i], dtype=np.int64)
    centre = int(np.argmin(np.abs(grid - result.estimates[i])))
    out = np.empty(points)
    for order in (range(centre, points), range(centre - 1, -1, -1)):
        theta = result.estimates.copy()
        for p in order:
            theta[i] = grid[p]
            if others.size:
                objective = Objective(result._model, result._design, free=others, base=theta)
                best = _bfgs(objective, theta[others], GRADIENT_TOLERANCE, 500)
                theta[others] = best.x
            out[p] = Objective(result._model, result._design).value(theta)
    return Profile(name, grid, out, float(result.estimates[i]), result.loglik)


def plot_profile(prof: Profile, out: str | Path) -> Path:
    """Draw a profile (PNG or SVG by suffix), with the estimate and the 95% line marked."""
    from policy.render.plot import _pyplot, plot_format, save

    plot_format(out)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(prof.values, prof.loglik, marker="o", markersize=3)
    ax.axvline(prof.estimate, color="grey", linestyle=":")
    ax.axhline(prof.max_loglik - 1.92, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(prof.name)
    ax.set_ylabel("profile log-likelihood")
    ax.set_title("dashed: 1.92 below the maximum (95% interval)", fontsize=9)
    fig.tight_layout()
    return save(fig, out)
