"""policy: model a diplomatic crisis as an extensive-form game, solve it, compare leaders.

The word means foreign policy. The functions most people want are here, at
the top (they live in :mod:`policy.api`)::

    import policy

    game = policy.load("games/diplomacy_1939.toml")
    policy.solve(game, leader="stalin")
    policy.compare(leaders=["stalin", "tukhachevsky"])

The drawing function is ``policy.draw``: ``policy.render`` is the package of
writers (tables, data and pictures), which Python binds to that name once it
is imported.

Modules: ``model`` (the game tree), ``expr`` (safe parameter expressions),
``gamefile`` (our TOML format), ``leaders`` (profiles), ``claims`` (the
sources catalogue), ``solvers`` (equilibria, each verified), ``analysis``
(comparisons), ``render`` (tables, data and pictures). Everything is imported
on first use, so ``import policy`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Checked",
    "Comparison",
    "Drawing",
    "Game",
    "GameBuilder",
    "Note",
    "Regions",
    "Solution",
    "SolveResult",
    "Stopped",
    "Sweep",
    "__version__",
    "bimatrix",
    "compare",
    "convert",
    "decompose",
    "draw",
    "explain",
    "find_claims",
    "from_dict",
    "from_matrices",
    "leader",
    "load",
    "record",
    "regions",
    "report",
    "solve",
    "sweep",
    "validate",
    "values",
]
#: Where the exported names live: the game type, the solvers' result type, and the rest in policy.api.
_ELSEWHERE = {"Game": "policy.model", "SolveResult": "policy.solvers.result"}

if TYPE_CHECKING:
    from policy.api import (
        Checked,
        Comparison,
        Drawing,
        GameBuilder,
        Note,
        Regions,
        Solution,
        Stopped,
        Sweep,
        bimatrix,
        compare,
        convert,
        decompose,
        draw,
        explain,
        find_claims,
        from_dict,
        from_matrices,
        leader,
        load,
        record,
        regions,
        report,
        solve,
        sweep,
        validate,
        values,
    )
    from policy.model import Game
    from policy.solvers.result import SolveResult


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562), keeping ``import policy`` cheap."""
    import importlib

    if name not in __all__:
        raise AttributeError(f"module 'policy' has no attribute {name!r}")
    module = _ELSEWHERE.get(name, "policy.api")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
