"""Tables whose rows reach rich only when rich draws them, and solve's text in blocks (policy.render.text).

``_row`` keeps a row of a ``_Rows`` table as plain text and the styles of its
cells; rich gets the row when it draws the table (in colour, or when the
plain path declines). Drawn by rich, such a table must be the table rich
draws from rows given to it at once; and ``solve_table_blocks`` must give,
joined, the text of ``solve_table``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

import policy.render.text as text
from policy.api import solve

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["a", "bb", "[bold]", "x" * 30, "1/2", ":smile:", "Germany", "é", "(unreached; sequential)"]


def _cell(rng: random.Random) -> str | Text:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))
    roll = rng.random()
    if roll < 0.3:
        return text._player(words, rng.randint(0, 3), bold=rng.random() < 0.5)
    if roll < 0.4:  # more than a style: the cell is kept as it is
        cell = Text(words, style="red")
        if words:
            cell.stylize("bold", 0, 1)
        return cell
    return words


def _at_once(title: str | None, columns: list[str], rows: list[tuple[list[str | Text], str | None]]) -> Table:
    """The table as rich would have it with every row given at once (what ``_row`` did before)."""
    t = Table(title=escape(title) if title else None, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        t.add_column(escape(c), justify="left")
    for cells, style in rows:
        t.add_row(*(c.copy() if isinstance(c, Text) else escape(c) for c in cells), style=style)
    return t


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("colour", [True, False])
def test_rows_given_late_draw_as_rows_given_at_once(seed: int, colour: bool) -> None:
    rng = random.Random(seed)
    columns = [rng.choice(WORDS) or "c" for _ in range(rng.randint(1, 4))]
    title = rng.choice([None, "Equilibrium (max regret 0)"])
    rows = [([_cell(rng) for _ in columns], rng.choice([None, None, "bold"])) for _ in range(rng.randint(0, 15))]
    late = text._table(title, *columns)
    for cells, style in rows:
        text._row(late, *cells, style=style)
    width = rng.choice([40, 80, 140])
    assert text._render([late], width, colour) == text._render([_at_once(title, columns, rows)], width, colour)


def test_rows_added_both_ways_keep_their_order() -> None:
    t = text._table("T", "a", "b")
    text._row(t, "1", text._player("one", 0))
    t.add_row("2", "two")  # straight to rich: rich draws the table
    text._row(t, "3", "three")
    assert not t.all_plain
    assert t.row_count == 3
    drawn = text._render([t], 80, False)
    assert drawn.index("one") < drawn.index("two") < drawn.index("three")
    same = Table(title="T", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    same.add_column("a", justify="left")
    same.add_column("b", justify="left")
    for row in (("1", "one"), ("2", "two"), ("3", "three")):
        same.add_row(*row)
    assert drawn == text._render([same], 80, False)


def test_solve_table_blocks_join_to_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bundled campaign: 4,000 information sets, drawn in blocks of 100 lines.
    monkeypatch.setattr(text, "_BLOCK", 100)
    solution = solve(ROOT / "games" / "ussr_1937_1941.toml", "stalin", "spe")
    for colour in (False, True):
        blocks = list(text.solve_table_blocks(solution.result, solution.leader, width=100, colour=colour))
        assert all(b.endswith("\n") for b in blocks)
        if not colour:
            assert len(blocks) > 40  # the big table came in pieces
        assert "".join(blocks) == text.solve_table(solution.result, solution.leader, width=100, colour=colour)
    with monkeypatch.context() as m:  # and the same text as rich's
        m.setattr(text, "_plain_table", lambda table, width, console=None: None)
        slow = text.solve_table(solution.result, solution.leader, width=100, colour=False)
    assert "".join(text.solve_table_blocks(solution.result, solution.leader, width=100, colour=False)) == slow


def test_nothing_drawn_is_one_newline() -> None:
    assert text._render([], 80, False) == "\n"
