"""Plain tables drawn without rich (policy.render.text._plain_table) against rich itself.

The fast path must give the text rich gives, byte for byte: each check draws
the same tables twice, once as ``policy.render.text._render`` does and once
with the fast path switched off (every table through rich's own layout), and
compares.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich.text import Text

import policy.render.text as text
from policy.api import solve

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["a", "bb", "ccc", "appeal_west", "(unreached;", "sequential)", "x" * 30, "y" * 70, "1/2",
         "~0.333333", "romania-2.fallen", "Germany", "the", "[bold]", "50%"]


def _both(make, width: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    fast = text._render(make(), width, False)
    with monkeypatch.context() as m:
        m.setattr(text, "_plain_table", lambda table, width, console=None: None)
        slow = text._render(make(), width, False)
    return fast, slow


@pytest.mark.parametrize("seed", range(60))
def test_random_tables_match_rich(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    for _ in range(10):
        columns = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 5))]
        title = rng.choice([None, "Equilibrium (max regret 0)", "T " * rng.randint(1, 60)])
        rows = []
        for _ in range(rng.randint(0, 12)):
            row: list[str | Text] = []
            for _ in columns:
                cell = rng.choice(["  ", " "]).join(rng.choice(WORDS) for _ in range(rng.randint(0, 5)))
                row.append(text._player(cell, 1) if rng.random() < 0.3 else cell)
            rows.append(row)

        def make(columns=columns, title=title, rows=rows) -> list[object]:
            table = text._table(title.strip() if title else None, *columns)
            for row in rows:
                text._row(table, *row)
            return [Text("before"), table, Text("after")]

        fast, slow = _both(make, rng.choice([40, 60, 80, 100, 140]), monkeypatch)
        assert fast == slow


def test_the_campaign_table_matches_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bundled campaign: 4,000 information sets, choices too wide for 100 columns (wrapped).
    solution = solve(ROOT / "games" / "ussr_1937_1941.toml", "stalin", "spe")
    for width in (80, 100):
        fast = text.solve_table(solution.result, solution.leader, width=width, colour=False)
        with monkeypatch.context() as m:
            m.setattr(text, "_plain_table", lambda table, width, console=None: None)
            slow = text.solve_table(solution.result, solution.leader, width=width, colour=False)
        assert fast == slow
        assert "(unreached; sequential)" in fast
