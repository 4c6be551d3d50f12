"""Whether a large game with imperfect information has one subgame-perfect equilibrium, decided part by part.

Listing every subgame-perfect equilibrium of a campaign (tens of thousands of
nodes) is out of reach, but its proper subgames repeat: the same stage in the
same state along many paths. :func:`policy.solvers.subgames.spe_subgames_solve`
solves each distinct reduced subgame (its *part*) once. The subgame-perfect
equilibrium is unique when

* every distinct part in which two players move has exactly one extreme Nash
  equilibrium (``enummixed`` lists them all; the equilibria of a two-player
  game are the convex hulls of sets of extreme ones, so one extreme
  equilibrium is the only equilibrium), and
* every choice made by backward induction (perfect-information regions, and
  parts where one player alone moves) is strict: no tie.

By induction from the deepest subgames up, each subgame then has one
equilibrium and so one value, and every part above sees the same payoffs.
If some part has several equilibria, or some choice is a tie, the game has
several subgame-perfect equilibria (the alternatives below combine with the
fixed choices elsewhere; different values below could change parts above,
so the count of the whole is not attempted: the count line says how many
parts have several). Parts where three or more players move cannot be
decided here. Bounded by :data:`COUNT_PARTS_SECONDS` of CPU time in all
(the process's, not the clock's, so that the verdict does not depend on how
busy the machine is) and the enumeration budget of :mod:`policy.solvers.count`
per part.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import SolveResult

#: Bound of the part-by-part count (seconds of the process's CPU time, all parts together).
COUNT_PARTS_SECONDS = 60.0


class _Undecided(SolverError):
    pass


def count_by_parts(
    game: Game, values: Mapping[str, Number], exact: bool = True, max_seconds: float = COUNT_PARTS_SECONDS
) -> Any:
    """A :class:`policy.solvers.count.Count` of the subgame-perfect equilibria, decided part by part."""
    from policy.solvers import solve
    from policy.solvers.count import COUNT_BASES, COUNT_SECONDS, Count
    from policy.solvers.sizes import too_big
    from policy.solvers.subgames import spe_subgames_solve

    kind = "subgame-perfect equilibria"
    deadline = time.process_time() + max_seconds
    counts: list[int] = []
    why: list[str] = []  # the reason a part stopped the count (the solver wraps the error)

    def counting(sub: Game, vals: Mapping[str, Number], method: str, exact: bool, all_equilibria: bool) -> SolveResult:
        del all_equilibria
        left = deadline - time.process_time()
        if left <= 0:
            raise SolverError("out of time")
        if len(sub.players) == 2:
            problem = too_big("enummixed", sub, exact)
            if problem:
                why.append(f"enummixed could not list a subgame's equilibria: {problem}")
                raise _Undecided(why[-1])
            try:
                every = solve(sub, vals, method="enummixed", exact=exact, all_equilibria=True,
                              max_bases=COUNT_BASES, max_seconds=min(COUNT_SECONDS, left))
            except SolverError as err:
                why.append(f"enummixed could not list a subgame's equilibria ({err})")
                raise _Undecided(why[-1]) from None
            counts.append(len(every.equilibria))
            return every
        why.append(f"{len(sub.players)} players move in one subgame")
        raise _Undecided(why[-1])

    try:
        result = spe_subgames_solve(game, values, exact, subgame_method="enummixed", solve=counting)
    except SolverError as err:
        if why:
            return Count(kind, None, f"undecided: {why[-1]}")
        if time.process_time() >= deadline:
            return Count(kind, None, f"the distinct subgames could not all be solved within {max_seconds:g} s of CPU")
        return Count(kind, None, f"a subgame could not be solved ({err})")
    parts = len(counts)
    several = sum(1 for c in counts if c > 1)
    ties = result.ties
    bound = f"decided part by part within {max_seconds:g} s of CPU"
    below = (f"{several} of the {parts} distinct two-mover subgames have several equilibria by enummixed"
             if several else f"each of the {parts} distinct two-mover subgames has one equilibrium by enummixed")
    if several or ties:
        bits = [below]
        if ties:
            bits.insert(0, f"movers are indifferent at {len(ties)} place{'s' if len(ties) != 1 else ''}, "
                           f"e.g. {ties[0]!r}")
        return Count(kind, False, "; ".join(bits) + f"; {bound}")
    return Count("subgame-perfect equilibrium", True, f"{below}, and every other choice is strict; {bound}", 1, 1)
