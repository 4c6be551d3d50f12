"""Every floating-point tolerance of the library, in one place.

Exact (``Fraction``) results need none: ties are ties and regret is 0. Float
results are judged against these. Tolerances on payoffs (ties, regret) are
*relative to the game's payoff scale*, the largest absolute payoff among the
numbers in use (:func:`payoff_scale`), so that a game and the same game with
every payoff multiplied by 10**12 or 10**-12 get the same answers: a float
solver must not call two payoffs tied because both are small, nor reject an
equilibrium because its payoffs are large. :func:`tolerance` turns a relative
tolerance into an absolute one, never below what float64 can tell apart at that
scale. Probabilities need no scale: they lie in [0, 1] whatever the payoffs.

A game whose payoffs are all 0 has scale 0; every profile of it is an
equilibrium, every two actions tie, and its tolerances are the float64
resolution at 0 (no division by the scale happens anywhere).
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
import numpy.typing as npt

#: Chance probabilities in float mode must sum to 1 within this.
PROBABILITY = 1e-9
#: Two float payoffs within this times the payoff scale count as a tie.
TIE = 1e-9
#: A float equilibrium is accepted when its max regret is at most this times
#: the payoff scale.
REGRET = 1e-9
#: Behaviour probabilities that differ by less than this are the same profile
#: (when merging duplicate equilibria).
PROFILE = 1e-7
#: A payoff tolerance is never below this many float64 spacings (units in the
#: last place) at the payoff scale: sums of a few products carry about that much
#: rounding error, and below it two numbers cannot be told apart.
RESOLUTION_ULPS = 64


def payoff_scale(payoffs: npt.ArrayLike) -> float:
    """The payoff scale of float tolerances: the largest absolute payoff (0 when there is none).

    ``payoffs`` is any array of the payoffs in use (exact or float); the
    largest exact one is converted to float64 (``inf`` beyond its range).
    """
    a = np.asarray(payoffs)
    if not a.size:
        return 0.0
    if a.dtype == object:
        try:
            return float(max(abs(v) for v in a.ravel().tolist()))
        except OverflowError:
            return math.inf
    return float(np.max(np.abs(a.astype(np.float64))))


@overload
def tolerance(relative: float, scale: float) -> float: ...


@overload
def tolerance(relative: float, scale: npt.NDArray[Any]) -> npt.NDArray[np.float64]: ...


def tolerance(relative: float, scale: float | npt.NDArray[Any]) -> float | npt.NDArray[np.float64]:
    """An absolute payoff tolerance: ``relative`` times ``scale``, at least ``RESOLUTION_ULPS`` spacings.

    ``scale`` is a payoff scale (:func:`payoff_scale`) or an array of them
    (one per sample of a sweep); the result has its shape.
    """
    s = np.abs(np.asarray(scale, dtype=np.float64))
    out = np.maximum(relative * s, RESOLUTION_ULPS * np.spacing(s))
    return float(out) if out.ndim == 0 else out


def payoff_unit(scale: float) -> float:
    """The power of two nearest to ``scale`` (1 when it is 0): a unit to measure payoffs in.

    Solvers whose own tolerances are absolute (HiGHS, a pivoting tableau)
    divide payoffs by it, which is exact in float64, so that the game they see
    has payoffs of about 1 whatever the scale of the game.
    """
    if not scale > 0 or not np.isfinite(scale):
        return 1.0
    mantissa, exponent = np.frexp(scale)  # scale = mantissa * 2**exponent, mantissa in [0.5, 1)
    return float(np.ldexp(1.0, int(exponent) - (1 if mantissa < 0.7071067811865476 else 0)))
