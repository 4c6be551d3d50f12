"""All pure-strategy Nash equilibria of the reduced normal form (Gambit's ``enumpure``).

A pure strategy profile of the strategic form is a Nash equilibrium exactly
when each player's strategy is a best response to the others' (Nash 1951;
Osborne and Rubinstein, *A Course in Game Theory*, 1994, Definition 14.1), so
all of them are found by one pass over the payoff table:

1. build the reduced normal form (:func:`policy.representations.normal.reduced_normal_form`),
   an array ``payoffs[i][s_1, ..., s_n]``;
2. for each player ``i``, mark the cells where ``payoffs[i]`` equals its maximum
   along axis ``i`` (the player's best responses to each profile of the others);
   exact comparisons with ``Fraction``; in float mode within
   :data:`policy.tolerances.TIE` relative to the magnitude of the payoffs
   compared, for that player (the largest expected absolute payoff along the
   axis, :func:`policy.representations.normal.magnitude_tables`), so that one
   player's large payoffs blur no other player's choices, nor small
   differences beside large payoffs elsewhere in the table;
3. the equilibria are the cells marked for every player;
4. each is turned into a behaviour profile (Kuhn's theorem; the reduced
   strategy leaves the sets its own moves exclude open, and the normal form
   fills those, uniformly by default) and checked in the tree with
   :func:`policy.solvers.verify.verified_equilibrium` before it is returned.

Works for any number of players, with chance, and for games of perfect
information (whose pure equilibria include, but are not only, the subgame-perfect
ones of ``spe``). :func:`distinct_sorted` is shared with
:mod:`policy.solvers.enummixed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    PROFILE_TOLERANCE,
    VerificationError,
    as_numbers,
    verified_equilibrium,
)

#: Two float payoffs of a player within this times their magnitude are both best responses.
FLOAT_TIE_TOLERANCE = tolerances.TIE


def enumpure_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    *,
    max_profiles: int | None = None,
    fill: Any = "uniform",
) -> SolveResult:
    """Every pure-strategy Nash equilibrium of the reduced strategic form.

    Parameters
    ----------
    game
        Any game with perfect recall, any number of players.
    values
        The value of every parameter the game uses.
    exact
        ``Fraction`` arithmetic if True, float64 otherwise.
    all_equilibria
        Accepted for a uniform signature; every pure equilibrium is always returned.
    max_profiles
        Refuse games whose reduced normal form has more pure profiles than
        this (default: the normal form's own limit, ``normal.MAX_PROFILES``).
    fill
        What a behaviour profile puts at information sets a player's own
        strategy makes unreachable: ``"uniform"`` (default, as Gambit),
        ``"first"``, or a function (see :data:`policy.representations.sequence.Fill`).
        Such sets are never reached, so the choice does not affect payoffs.

    Returns
    -------
    SolveResult
        Method ``"enumpure"``; the equilibria as behaviour profiles, sorted (a
        profile putting weight on earlier actions first), each verified to
        have zero Nash regret (exact) or each player's regret within
        ``tolerances.REGRET`` times the magnitude of the values compared (float). ``details``
        holds ``strategies`` (per equilibrium, each player's reduced strategy
        label) and ``shape`` (strategies per player).

    Raises
    ------
    SolverError
        If the reduced normal form is too large, or (internal error) a profile
        found fails verification in exact mode.
    """
    del all_equilibria  # enumeration always finds all
    from policy.representations.normal import MAX_PROFILES, magnitude_tables, reduced_normal_form

    form = reduced_normal_form(
        game, values, exact=exact, max_profiles=MAX_PROFILES if max_profiles is None else max_profiles
    )
    numbers = game.numbers(values, exact=exact)
    cells = pure_equilibrium_cells(form.payoffs, exact, None if exact else magnitude_tables(form, numbers))
    warnings: list[str] = []
    found: list[tuple[Equilibrium, tuple[str, ...]]] = []
    one: Number = Fraction(1) if exact else 1.0
    zero: Number = Fraction(0) if exact else 0.0
    for cell in cells:
        mixed = [
            [one if k == s else zero for k in range(len(strategies))]
            for s, strategies in zip(cell, form.strategies, strict=True)
        ]
        labels = tuple(strategies[s].label for s, strategies in zip(cell, form.strategies, strict=True))
        probs = as_numbers(form.behavior_from_mixed(mixed, fill=fill), exact)
        try:
            eq = verified_equilibrium(game, numbers, probs)
        except VerificationError:
            message = f"pure profile ({', '.join(labels)}) failed verification in the tree"
            if exact:
                raise SolverError(f"internal error: {message}; please report this game") from None
            warnings.append(f"dropped: {message} (float rounding)")
            continue
        found.append((eq, labels))
    kept = distinct_sorted(found, exact)
    if not kept:
        warnings.append("no pure-strategy equilibrium: every equilibrium of this game mixes")
    return SolveResult(
        game=game,
        method="enumpure",
        exact=exact,
        parameters=dict(values),
        equilibria=tuple(eq for eq, _ in kept),
        warnings=tuple(warnings),
        details={
            "shape": form.shape,
            "strategies": tuple(labels for _, labels in kept),
        },
    )


def pure_equilibrium_cells(
    payoffs: npt.NDArray[Any], exact: bool, sizes: npt.NDArray[np.float64] | None = None
) -> list[tuple[int, ...]]:
    """Index tuples of the pure Nash equilibria of a payoff table, in row-major order.

    ``payoffs`` has shape ``(n, |S_1|, ..., |S_n|)``. A cell is an equilibrium
    when, for every player ``i``, ``payoffs[i]`` there equals the maximum of
    ``payoffs[i]`` along axis ``i`` (exactly, or within the float tie tolerance:
    ``TIE`` relative to the largest magnitude of player ``i``'s payoffs along
    that axis). ``sizes``, the shape of ``payoffs``, are those magnitudes
    (:func:`policy.representations.normal.magnitude_tables`); by default the
    absolute payoffs, which they are for a table without chance.
    """
    n = payoffs.shape[0]
    if sizes is None:
        sizes = tolerances.magnitude(payoffs) if not exact else np.zeros(payoffs.shape)
    ok = np.ones(payoffs.shape[1:], dtype=bool)
    for i in range(n):
        own = payoffs[i]
        best = np.max(own, axis=i, keepdims=True)
        if exact:
            ok &= np.asarray(own == best, dtype=bool)
        else:
            scale = np.max(sizes[i], axis=i, keepdims=True)
            ok &= own >= best - tolerances.tolerance(FLOAT_TIE_TOLERANCE, scale)
    return [tuple(int(v) for v in cell) for cell in np.argwhere(ok)]


_SHORT = 256
"""Up to this many probabilities in all, :func:`distinct_sorted` compares float profiles in Python."""


def distinct_sorted(
    found: Sequence[tuple[Equilibrium, Any]], exact: bool
) -> list[tuple[Equilibrium, Any]]:
    """Equilibria (each with a tag) without repeated behaviour profiles, in a fixed order.

    Profiles are the same as :func:`policy.solvers.verify.same_profile` says
    (equal, or within ``tolerances.PROFILE`` in float mode); the first found is
    kept. Sorted by the behaviour vector, larger probabilities of earlier
    actions first.
    """
    kept: list[tuple[Equilibrium, Any]] = []
    if exact:
        seen: set[tuple[Number, ...]] = set()
        for eq, tag in found:
            if eq.probabilities not in seen:
                seen.add(eq.probabilities)
                kept.append((eq, tag))
    elif found and len(found) * len(found[0][0].probabilities) <= _SHORT:
        # Few numbers: compared in Python, the same float differences and the
        # same outcome as the array path below (a NaN difference is no match
        # in both), without its numpy calls per profile.
        chosen_rows: list[list[float]] = []
        for eq, tag in found:
            vector = [float(p) for p in eq.probabilities]
            if not any(
                all(abs(c - v) <= PROFILE_TOLERANCE for c, v in zip(row, vector, strict=True))
                for row in chosen_rows
            ):
                chosen_rows.append(vector)
                kept.append((eq, tag))
    elif found:
        # same_profile against every kept profile at once: one array operation per profile.
        vectors = np.array([eq.probabilities for eq, _ in found], dtype=np.float64)
        chosen = np.empty_like(vectors)
        for k, (eq, tag) in enumerate(found):
            gaps = np.abs(chosen[: len(kept)] - vectors[k]).max(axis=1, initial=0.0)
            if not (gaps <= PROFILE_TOLERANCE).any():
                chosen[len(kept)] = vectors[k]
                kept.append((eq, tag))
    kept.sort(key=lambda item: tuple(-p for p in item[0].probabilities))
    return kept
