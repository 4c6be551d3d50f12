"""Compare leaders: solve each game under each leader profile, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policy.leaders import Leader, load_leader, resolve
from policy.model import Game, NodeKind, Number
from policy.solvers import SolveResult, solve
from policy.solvers.result import Equilibrium
from policy.solvers.verify import edge_weights, reach_probabilities

#: The leaders ``policy compare`` uses when none are named.
DEFAULT_LEADERS = ("stalin", "tukhachevsky")


@dataclass(frozen=True)
class Decision:
    """A decision reached with positive probability in an equilibrium."""

    node: str
    player: str
    infoset: str
    reach: Number
    behavior: dict[str, Number]

    @property
    def choice(self) -> str | None:
        """The action taken for sure, or None when the mover mixes."""
        return next((a for a, p in self.behavior.items() if p == 1), None)


@dataclass(frozen=True)
class GameComparison:
    """One game solved under several leaders (``results[k]`` for ``leaders[k]``)."""

    game: Game
    file: str
    leaders: tuple[Leader, ...]
    results: tuple[SolveResult, ...]


def path_decisions(result: SolveResult, eq: Equilibrium) -> list[Decision]:
    """The decisions an equilibrium reaches, in tree order (breadth-first)."""
    game = result.game
    numbers = game.numbers(result.parameters, exact=result.exact)
    reach = reach_probabilities(game, edge_weights(game, numbers, eq.probabilities))
    behavior = eq.behavior
    out = []
    for n in np.flatnonzero((game.kind == NodeKind.DECISION) & (reach > 0)).tolist():
        s = game.infosets.at(int(game.infoset[n]))
        out.append(Decision(game.node_names[n], s.player.label, s.name, reach[n], behavior[s.name]))
    return out


def compare(
    games: Sequence[tuple[str | Path, Game]],
    leaders: Sequence[str | Path] = DEFAULT_LEADERS,
    method: str = "auto",
    exact: bool | None = None,
    **options: Any,
) -> list[GameComparison]:
    """Solve every game under every leader.

    Parameters
    ----------
    games
        ``(file, game)`` pairs, as read by :func:`policy.gamefile.load_game`.
    leaders
        Bundled leader keys or profile paths.
    """
    profiles = tuple(load_leader(name) for name in leaders)
    out = []
    for file, game in games:
        results = tuple(
            solve(game, resolve(game, leader), method=method, exact=exact, **options)
            for leader in profiles
        )
        out.append(GameComparison(game, display_path(file), profiles, results))
    return out


def display_path(file: str | Path) -> str:
    """A file as a reader wants to see it: relative to the working directory or the project."""
    from policy.bundled import PROJECT

    path = Path(file).resolve()
    for base in (Path.cwd(), PROJECT):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(file)
