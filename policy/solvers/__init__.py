"""Solvers: every method takes a game and parameter values and returns a :class:`SolveResult`.

Names follow Gambit's so its users feel at home. This version has ``spe``
(backward induction, perfect information); ``auto`` picks the method that fits
the game.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult

__all__ = ["METHODS", "Equilibrium", "SolveResult", "SolverError", "choose_method", "solve"]


def _spe(game: Game, values: Mapping[str, Number], exact: bool, all_equilibria: bool) -> SolveResult:
    from policy.solvers.backward import spe_solve

    return spe_solve(game, values, exact=exact, all_equilibria=all_equilibria)


Solver = Callable[[Game, Mapping[str, Number], bool, bool], SolveResult]

#: Method name -> (solver, one-line description).
METHODS: dict[str, tuple[Solver, str]] = {
    "spe": (_spe, "subgame-perfect equilibrium by backward induction (perfect information)"),
}


def choose_method(game: Game) -> str:
    """The method ``auto`` runs for this game."""
    if game.is_perfect_information:
        return "spe"
    from policy.solvers.backward import require_perfect_information

    require_perfect_information(game)  # raises, naming an information set
    raise AssertionError("unreachable")


def solve(
    game: Game,
    values: Mapping[str, Number],
    method: str = "auto",
    exact: bool = True,
    all_equilibria: bool = False,
) -> SolveResult:
    """Solve ``game`` at parameter ``values`` with ``method`` (``auto`` chooses).

    Raises
    ------
    SolverError
        For an unknown method or a game the method cannot handle.
    """
    if method == "auto":
        method = choose_method(game)
    if method not in METHODS:
        raise SolverError(f"unknown method {method!r} (available: auto, {', '.join(METHODS)})")
    solver, _ = METHODS[method]
    return solver(game, values, exact, all_equilibria)
