"""Results as plain data for JSON: exact numbers as strings (``"2/3"``), floats as numbers."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from policy.analysis.compare import GameComparison
from policy.leaders import Leader
from policy.model import Number
from policy.solvers.result import SolveResult, show_number


def number(x: Number) -> str | float:
    """One number as JSON wants it: exact as ``"p/q"``, float as a float."""
    if isinstance(x, Fraction):
        return show_number(x)
    return float(x)


def result_data(result: SolveResult, leader: Leader | None = None) -> dict[str, Any]:
    """The JSON object of one solve, as DESIGN.md specifies it."""
    game = result.game
    return {
        "game": {"title": game.title, "players": list(game.players)},
        "leader": leader.key if leader else None,
        "parameters": {k: number(v) for k, v in sorted(result.parameters.items())},
        "method": result.method,
        "exact": result.exact,
        "equilibria": [
            {
                "payoffs": {p: number(v) for p, v in eq.payoffs.items()},
                "behavior": {
                    s: {a: number(p) for a, p in acts.items()} for s, acts in eq.behavior.items()
                },
                "outcomes": {t: number(p) for t, p in eq.outcomes.items()},
                "max_regret": number(eq.max_regret),
            }
            for eq in result.equilibria
        ],
        "ties": list(result.ties),
        "warnings": list(result.warnings),
    }


def comparison_data(comparisons: list[GameComparison]) -> dict[str, Any]:
    """The JSON object of ``policy compare``: per game, one solve object per leader."""
    return {
        "leaders": [
            {"key": leader.key, "name": leader.name}
            for leader in (comparisons[0].leaders if comparisons else ())
        ],
        "games": [
            {
                "file": c.file,
                "title": c.game.title,
                "results": {
                    leader.key: result_data(r, leader)
                    for leader, r in zip(c.leaders, c.results, strict=True)
                },
            }
            for c in comparisons
        ],
    }


def dumps(data: dict[str, Any]) -> str:
    """Pretty, stable JSON text."""
    return json.dumps(data, indent=2, ensure_ascii=False)
