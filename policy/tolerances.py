"""Every floating-point tolerance of the library, in one place.

Exact (``Fraction``) results need none: ties are ties and regret is 0. Float
results are judged against these. Tolerances on payoffs (ties, regret) are
*relative*, and relative to the payoffs being compared, player by player:

* **Per player.** A comparison of player ``i``'s payoffs (two actions at ``i``'s
  node, ``i``'s best response against ``i``'s profile value) is never judged at
  another player's scale: a player whose payoffs are about 1 is not called
  indifferent, nor let off a regret of 2, because another player's payoffs are
  about 1e200 (an equilibrium does not change when one player's payoffs are
  scaled, so neither may a float answer).
* **Per comparison.** The scale of a comparison is the :func:`magnitude` of the
  values compared: each value is an expectation ``sum_t P(t) u_i(t)`` over
  terminals (pure choices, chance, mixed behaviour), and its magnitude is the
  same expectation of ``|u_i(t)|``; the largest magnitude among the compared
  values is the scale. A float expectation is wrong by at most a few float64
  spacings of its magnitude (Higham, *Accuracy and Stability of Numerical
  Algorithms*, 2nd ed., 2002, section 3.1: the rounding error of a sum of
  products is bounded by ``gamma_n sum |x_k y_k|``), so the tolerance is as
  tight as float64 allows and no tighter: a choice between 0 and 1 is decided
  even when the same player has 1e200 at a terminal elsewhere, and a value of
  about 0 that results from 1e200 - 1e200 is not mistaken for an exact 0.
  The magnitude is at most the player's :func:`payoff_scales` entry, the
  largest ``|u_i|`` over the game's terminals.

So a game and the same game with any one player's payoffs multiplied by
10**12 or 10**-12 get the same float answers. :func:`tolerance` turns a relative
tolerance into an absolute one, never below what float64 can tell apart at that
scale. Probabilities need no scale: they lie in [0, 1] whatever the payoffs.
Payoffs are taken as the floats their expressions evaluate to: a payoff such
as ``0.3 - 0.1 - 0.2`` that is 0 exactly is a tiny non-zero number in float
mode, and float solvers see it as such.

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
#: Two float payoffs of a player within this times their :func:`magnitude`
#: count as a tie.
TIE = 1e-9
#: A float equilibrium is accepted when each player's regret is at most this
#: times the magnitude of the values compared (the best response's and the
#: profile's, for that player).
REGRET = 1e-9
#: Behaviour probabilities that differ by less than this are the same profile
#: (when merging duplicate equilibria).
PROFILE = 1e-7
#: A player whose payoff scale is below the largest player's by more than this
#: factor has payoffs measured in a unit of its own (:func:`payoff_units`):
#: in the common unit they would lose more than 10 of float64's 53 bits
#: beside numbers of about 1 (Lemke's shift, HiGHS's tolerances).
OWN_UNIT_RATIO = 2.0**10
#: A payoff tolerance is never below this many float64 spacings (units in the
#: last place) at the payoff scale: sums of a few products carry about that much
#: rounding error, and below it two numbers cannot be told apart.
RESOLUTION_ULPS = 64


def payoff_scale(payoffs: npt.ArrayLike) -> float:
    """The largest absolute payoff among ``payoffs`` (0 when there is none).

    Over whatever it is given: one player's payoffs make that player's scale
    (:func:`payoff_scales`). No tolerance is taken at the scale of the whole
    game: choices and regrets are judged per player and per comparison
    (:func:`magnitude`).

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


def payoff_scales(payoffs: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Each player's payoff scale: the largest absolute payoff of that player.

    ``payoffs`` has the players on its last axis (terminals x players, as
    :attr:`policy.model.Numbers.leaf_payoff`); exact payoffs beyond float64's
    range give ``inf``. A player without payoffs has scale 0.
    """
    a = np.asarray(payoffs)
    if a.ndim == 0:
        return np.array([payoff_scale(a)])
    flat = a.reshape(-1, a.shape[-1])
    if flat.dtype == np.float64 and flat.shape[0]:  # every column at once: the same maxima
        return np.abs(flat).max(axis=0)
    return np.array([payoff_scale(flat[:, i]) for i in range(flat.shape[1])], dtype=np.float64)


def magnitude(payoffs: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``|u|`` in float64: the terminal payoffs whose expectations are magnitudes.

    The same expectation as a value's, taken of these, is that value's
    magnitude: the scale at which it is judged (see the module docstring).
    Exact payoffs beyond float64's range become ``inf``.
    """
    a = np.asarray(payoffs)
    if a.dtype == object:
        out = np.empty(a.shape, dtype=np.float64)
        flat = out.reshape(-1)
        for k, v in enumerate(a.ravel().tolist()):
            try:
                flat[k] = float(abs(v))
            except OverflowError:
                flat[k] = math.inf
        return out
    return np.abs(a.astype(np.float64))


@overload
def tolerance(relative: float, scale: float) -> float: ...


@overload
def tolerance(relative: float, scale: npt.NDArray[Any]) -> npt.NDArray[np.float64]: ...


def tolerance(relative: float, scale: float | npt.NDArray[Any]) -> float | npt.NDArray[np.float64]:
    """An absolute payoff tolerance: ``relative`` times ``scale``, at least ``RESOLUTION_ULPS`` spacings.

    ``scale`` is a payoff scale (a :func:`magnitude` of the values compared,
    or :func:`payoff_scales`) or an array of them (per node, player or sample
    of a sweep); the result has its shape.
    """
    if isinstance(scale, float) and abs(scale) < 1e300:
        # One number (the common case in checks): the same arithmetic in
        # Python, without four numpy calls (math.ulp is np.spacing for
        # nonnegative floats well inside the range; numpy's overflows to inf
        # next to the largest float, and NaN is left to numpy too).
        size = abs(float(scale))
        return float(max(relative * size, RESOLUTION_ULPS * math.ulp(size)))
    s = np.abs(np.asarray(scale, dtype=np.float64))
    out = np.maximum(relative * s, RESOLUTION_ULPS * np.spacing(s))
    return float(out) if out.ndim == 0 else out


def payoff_unit(scale: float) -> float:
    """The power of two nearest to ``scale`` (1 when it is 0): a unit to measure payoffs in.

    Solvers whose own tolerances are absolute (HiGHS, a pivoting tableau)
    divide each player's payoffs by the unit of that player's scale
    (:func:`payoff_scales`), which is exact in float64 and changes no
    equilibrium (one player's payoffs times a positive number), so that the
    game they see has payoffs of about 1 for every player whatever the scales.
    """
    if not scale > 0 or not math.isfinite(scale):
        return 1.0
    mantissa, exponent = math.frexp(scale)  # scale = mantissa * 2**exponent, mantissa in [0.5, 1)
    try:
        return math.ldexp(1.0, exponent - (1 if mantissa < 0.7071067811865476 else 0))
    except OverflowError:  # 2**1024 (numpy's ldexp gives inf)
        return math.inf


def payoff_units(scales: npt.ArrayLike) -> list[float]:
    """One :func:`payoff_unit` per player, from the players' :func:`payoff_scales`.

    Every player is measured in the unit of the largest scale, except a player
    whose scale is smaller than that by more than ``OWN_UNIT_RATIO``, who gets
    the unit of its own scale. Players of comparable scales thus share one
    unit, and a game solves with exactly the arithmetic it had before units
    were per player; only a player whose payoffs would drown beside the
    others' is rescaled on its own (exact, and no equilibrium changes: one
    player's payoffs times a positive number).
    """
    s = [float(v) for v in np.asarray(scales, dtype=np.float64).ravel().tolist()]
    finite = [v for v in s if math.isfinite(v)]
    common = payoff_unit(max(s, default=0.0))
    largest = max(finite, default=0.0)
    return [payoff_unit(v) if 0 < v and v * OWN_UNIT_RATIO < largest else common for v in s]
