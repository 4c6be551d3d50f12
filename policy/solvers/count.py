"""How many equilibria a game has at given values: the only one, several, or cannot say.

A solver such as Lemke's returns one equilibrium; a reader needs to know
whether it is the only one before reading anything into it. This module
decides it where it can, with a stated bound, and says so where it cannot:

* two players: every extreme Nash equilibrium of the reduced strategic form
  (``enummixed``). The Nash equilibria form a finite union of polytopes whose
  vertices are extreme equilibria, so one extreme equilibrium means one
  equilibrium, and several extreme equilibria mean several;
* any number of players: every pure equilibrium (``enumpure``); two pure
  equilibria with different outcomes decide "several", but one pure
  equilibrium leaves mixed ones possible, so the answer is "cannot say"
  unless a method that lists all equilibria of the game applies;
* subgame-perfect equilibria of a game of perfect information: backward
  induction with ties listed (``spe --all``); without a tie there is exactly
  one, since each mover then has a unique best action at every node.

Equilibria are told apart by their outcome (the probability of each terminal)
as well as by their behaviour: several equilibria with the same outcome differ
only off the path, which matters less to a reader than a different path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import MAY_HAVE_OTHERS, Equilibrium, SolveResult

#: Budget of the exact enumeration behind a count (bases met per polytope, seconds).
COUNT_BASES = 20_000
COUNT_SECONDS = 5.0


@dataclass(frozen=True)
class Count:
    """What is known of the number of equilibria of one kind.

    ``unique`` is True when the equilibrium is the only one of its kind, False
    when there are several, None when it cannot be decided within the bound
    stated in ``how``. ``equilibria`` and ``outcomes`` count what was found
    (extreme or pure equilibria; distinct outcomes among them), or are None.
    """

    kind: str
    unique: bool | None
    how: str
    equilibria: int | None = None
    outcomes: int | None = None
    found: tuple[Equilibrium, ...] = field(default=(), compare=False, repr=False)
    """The equilibria listed, when several were (to show their paths)."""

    @property
    def text(self) -> str:
        """One sentence for a reader."""
        if self.unique is True:
            return f"the only {self.kind} ({self.how})"
        if self.unique is False:
            if self.outcomes == 1:
                paths = ", all with the same outcome (they differ only off the path)"
            elif self.outcomes is not None:
                paths = f", with {self.outcomes} different outcomes"
            else:
                paths = ""
            many = "several" if self.equilibria is None else str(self.equilibria)
            return f"one of {many} {self.kind}{paths} ({self.how})"
        return f"one of possibly several {self.kind} ({self.how})"


def settled(warning: str, count: Count | None) -> str:
    """``warning``, with its "the game may have others" answered when ``count`` found the only one."""
    if count is not None and count.unique is True and warning.endswith(MAY_HAVE_OTHERS):
        return warning[: -len(MAY_HAVE_OTHERS)] + f"the count finds no other ({count.kind})"
    return warning


def distinct_outcomes(equilibria: tuple[Equilibrium, ...] | list[Equilibrium]) -> int:
    """How many different outcomes (probabilities of reaching each terminal) the equilibria have."""
    return len({_key(eq.reach) for eq in equilibria})


def _key(reach: tuple[Number, ...]) -> tuple[object, ...]:
    return tuple(x if not isinstance(x, float) else round(x, 9) for x in reach)


def count_nash(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    *,
    max_bases: int = COUNT_BASES,
    max_seconds: float = COUNT_SECONDS,
) -> Count:
    """Whether the game has one Nash equilibrium at ``values``, several, or cannot be told."""
    from policy.solvers.sizes import too_big

    kind = "Nash equilibrium"
    if len(game.players) == 2:
        problem = too_big("enummixed", game, exact)
        if problem:
            return Count("Nash equilibria", None, f"too large to list them all: {problem}")
        from policy.solvers.enummixed import enummixed_solve

        try:
            found = enummixed_solve(game, values, exact, max_bases=max_bases, max_seconds=max_seconds)
        except SolverError:
            return Count(
                "Nash equilibria",
                None,
                f"enummixed could not list them within {max_seconds:g} s and {max_bases:,} bases",
            )
        n = len(found.equilibria)
        if n == 1:
            return Count(kind, True, "enummixed lists every extreme equilibrium of the reduced strategic form", 1, 1)
        return Count(
            "extreme Nash equilibria",
            False,
            "enummixed lists them; --method enummixed shows each",
            n,
            distinct_outcomes(found.equilibria),
            found.equilibria,
        )
    problem = too_big("enumpure", game, exact)
    if problem:
        return Count("Nash equilibria", None, f"too large to list the pure ones: {problem}")
    from policy.solvers.enumpure import enumpure_solve

    try:
        pure = enumpure_solve(game, values, exact)
    except SolverError as err:
        return Count("Nash equilibria", None, f"enumpure could not list the pure ones: {err}")
    n = len(pure.equilibria)
    if n >= 2:
        return Count(
            "pure Nash equilibria", False, "enumpure, on the reduced strategic form", n,
            distinct_outcomes(pure.equilibria), pure.equilibria,
        )
    found_text = "one pure equilibrium" if n == 1 else "no pure equilibrium"
    return Count(
        "Nash equilibria",
        None,
        f"enumpure finds {found_text}; with {len(game.players)} players mixed equilibria are not listed",
    )


def count_subgame_perfect(game: Game, values: Mapping[str, Number], exact: bool = True) -> Count:
    """Whether a game of perfect information has one pure subgame-perfect equilibrium, or several."""
    from policy.solvers.backward import spe_solve

    every = spe_solve(game, values, exact, all_equilibria=True)
    n = len(every.equilibria)
    if n == 1 and not every.ties:
        return Count("subgame-perfect equilibrium", True, "every mover has one best action at every node", 1, 1)
    how = f"movers are indifferent at {len(every.ties)} node{'s' if len(every.ties) != 1 else ''}"
    return Count(
        "pure subgame-perfect equilibria", False, how, n, distinct_outcomes(every.equilibria),
        every.equilibria,
    )


#: spe with imperfect information: the count lists every subgame-perfect equilibrium
#: (extreme ones in each Nash subgame) for games up to this many nodes.
COUNT_SPE_NODES = 2_000


def count_spe_subgames(
    game: Game, values: Mapping[str, Number], exact: bool = True, max_seconds: float | None = None
) -> Count:
    """Whether ``spe`` on a game with imperfect information has one subgame-perfect equilibrium.

    ``spe --all`` with every two-mover subgame solved by ``enummixed`` (all its
    extreme equilibria) lists the subgame-perfect equilibria built from
    extreme equilibria of the subgames; one, with no tie, means the only one
    (every equilibrium of a subgame is a combination of its extreme ones, so
    one extreme equilibrium per subgame is the only equilibrium of each).
    Run for games up to :data:`COUNT_SPE_NODES` nodes whose subgames have at
    most two movers (as ``auto`` chooses ``spe``); otherwise undecided, with
    the command that lists them. Bigger games are counted part by part
    (:func:`policy.solvers.count_parts.count_by_parts`) within ``max_seconds``
    (by default its own bound).
    """
    from policy.solvers import choose_method

    kind = "subgame-perfect equilibria"
    if len(game.players) > 2 and choose_method(game) != "spe":
        return Count(kind, None, "three or more players move in one subgame with imperfect information")
    if game.num_nodes > COUNT_SPE_NODES:
        from policy.solvers.count_parts import count_by_parts

        if max_seconds is None:
            return count_by_parts(game, values, exact)
        return count_by_parts(game, values, exact, max_seconds=max_seconds)
    from policy.solvers import solve

    try:
        every = solve(game, values, method="spe", exact=exact, all_equilibria=True, subgame_method="enummixed")
    except SolverError as err:
        return Count(kind, None, f"the subgames' equilibria could not all be listed ({err})")
    n = len(every.equilibria)
    how = "spe --all with enummixed in every subgame of two movers"
    if n == 1 and not every.ties:
        return Count("subgame-perfect equilibrium", True, how, 1, 1)
    return Count(kind, False, how, n, distinct_outcomes(every.equilibria), every.equilibria)


def count_for(result: SolveResult, values: Mapping[str, Number], max_seconds: float | None = None) -> Count:
    """What a solve's reader should know about how many equilibria there are.

    Methods that list every equilibrium of their kind answer from their own
    result; ``spe`` on a game of perfect information from its ties; methods that
    return one equilibrium (lcp, lp, logit, ...) by listing the game's
    equilibria within ``max_seconds`` (by default :data:`COUNT_SECONDS`; a big
    ``spe`` game counted part by part, by default its own longer bound).
    """
    game = result.game
    if result.details.get("refine") == "intuitive":
        return _count_intuitive(result)
    if result.method == "enummixed":
        n = len(result.equilibria)
        if n == 1:
            return Count("Nash equilibrium", True, "enummixed lists every extreme equilibrium", 1, 1)
        return Count(
            "extreme Nash equilibria", False, "all listed by enummixed", n,
            distinct_outcomes(result.equilibria), result.equilibria,
        )
    if result.method == "perfect" and result.details.get("algorithm") == "tracing":
        return Count(
            "normal-form perfect equilibria", None,
            "traced from one prior; the strategic form is too large to enumerate its equilibria",
        )
    if result.method == "perfect":
        n = len(result.equilibria)
        how = "perfect tests every extreme equilibrium of the reduced strategic form"
        if n == 1:
            return Count("normal-form perfect equilibrium among the extreme ones", True, how, 1, 1)
        return Count("normal-form perfect extreme equilibria", False, how, n,
                     distinct_outcomes(result.equilibria), result.equilibria)
    if result.method == "spe":
        if game.is_perfect_information:
            return count_subgame_perfect(game, values, result.exact)
        return count_spe_subgames(game, values, result.exact, max_seconds)
    if result.method == "enumpure" and len(result.equilibria) >= 2:
        return Count(
            "pure Nash equilibria", False, "all listed by enumpure", len(result.equilibria),
            distinct_outcomes(result.equilibria), result.equilibria,
        )
    return count_nash(game, values, result.exact, max_seconds=COUNT_SECONDS if max_seconds is None else max_seconds)


def _count_intuitive(result: SolveResult) -> Count:
    """How many equilibria pass the Intuitive Criterion, among those the method lists."""
    kind = "perfect Bayesian equilibria passing the Intuitive Criterion"
    if result.method not in ("enummixed", "enumpoly", "enumpure") or result.details.get("none_pass"):
        return Count(kind, None, f"{result.method} does not list every equilibrium; --method enummixed does")
    n = len(result.equilibria)
    extreme = {"enummixed": "extreme ", "enumpure": "pure "}.get(result.method, "")
    how = f"tested on every {extreme}equilibrium {result.method} lists"
    if n == 1:
        return Count(kind.replace("equilibria", "equilibrium"), True, how, 1, 1)
    return Count(kind, False, how, n, distinct_outcomes(result.equilibria), result.equilibria)


def count_data(count: Count) -> dict[str, object]:
    """The count as JSON: unique (true, false or null), kind, how, equilibria, outcomes, text."""
    return {
        "unique": count.unique,
        "kind": count.kind,
        "equilibria": count.equilibria,
        "outcomes": count.outcomes,
        "how": count.how,
        "text": count.text,
    }
