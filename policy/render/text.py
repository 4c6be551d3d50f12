"""Results as aligned text tables (drawn with rich), for the terminal."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable
from fractions import Fraction

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from policy.analysis.compare import GameComparison, path_decisions
from policy.leaders import Leader
from policy.model import Number
from policy.solvers.result import SolveResult, show_number

#: Exact numbers longer than this are shown as decimals (with ~), in tables only.
MAX_FRACTION_WIDTH = 9


def fmt(x: Number) -> str:
    """A number for a table: short fractions as they are, long ones as ~decimals."""
    text = show_number(x)
    if isinstance(x, Fraction) and len(text) > MAX_FRACTION_WIDTH:
        return f"~{float(x):.6g}"
    return text


def _render(tables: Iterable[object], width: int | None = None) -> str:
    out = io.StringIO()
    if width is None:
        width = max(80, min(shutil.get_terminal_size((100, 24)).columns, 140))
    console = Console(file=out, width=width, color_system=None, force_terminal=False, highlight=False)
    for t in tables:
        console.print(t)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _table(title: str | None, *columns: str) -> Table:
    t = Table(
        title=escape(title) if title else None, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for c in columns:
        t.add_column(escape(c), justify="left")
    return t


def _row(t: Table, *cells: str, style: str | None = None) -> None:
    """Add a row of plain text (no rich markup is read from game labels)."""
    t.add_row(*(escape(c) for c in cells), style=style)


def _mix(behavior: dict[str, Number]) -> str:
    """A choice as text: the action when pure, else each action with its probability."""
    sure = [a for a, p in behavior.items() if p == 1]
    if sure:
        return sure[0]
    return ", ".join(f"{a} {fmt(p)}" for a, p in behavior.items() if p > 0)


def solve_table(result: SolveResult, leader: Leader | None = None, width: int | None = None) -> str:
    """``policy solve`` as tables: behaviour, payoffs, outcome probabilities."""
    game = result.game
    mode = "exact" if result.exact else "float"
    head = [f"{game.title}", f"method {result.method} ({mode})" + (f", leader {leader.name}" if leader else "")]
    if result.parameters:
        head.append("parameters: " + ", ".join(f"{k} = {fmt(v)}" for k, v in sorted(result.parameters.items())))
    parts: list[object] = [Text("\n".join(head))]
    total = len(result.equilibria)
    for k, eq in enumerate(result.equilibria, 1):
        label = f"Equilibrium {k} of {total}" if total > 1 else "Equilibrium"
        t = _table(f"{label} (max regret {fmt(eq.max_regret)})", "information set", "player", "choice")
        reached = {d.infoset for d in path_decisions(result, eq)}
        for s in game.infosets.values():
            mark = "" if s.name in reached else "  (off path)"
            _row(t, s.name + mark, s.player.label, _mix(eq.behavior[s.name]))
        parts.append(t)
        pay = _table(None, "player", "expected payoff")
        for p, v in eq.payoffs.items():
            _row(pay, p, fmt(v))
        parts.append(pay)
        out = _table(None, "outcome", "probability")
        for t_index, (name, prob) in zip(game.terminals.tolist(), eq.outcomes.items(), strict=True):
            if prob > 0:
                _row(out, _outcome_label(result, t_index, name), fmt(prob))
        parts.append(out)
    for w in result.warnings:
        parts.append(Text(f"warning: {w}"))
    return _render(parts, width)


def _outcome_label(result: SolveResult, terminal: int, name: str) -> str:
    game = result.game
    o = int(game.outcome[terminal])
    label = game.outcomes[o].label if o >= 0 else ""
    return label if label == name else f"{label} [{name}]" if label else name


def compare_table(comparisons: list[GameComparison], markdown: bool = False, width: int | None = None) -> str:
    """``policy compare``: per game, each leader's path, outcome chances and payoffs side by side."""
    parts: list[str | Table | Text] = []
    for c in comparisons:
        names = [leader.name for leader in c.leaders]
        rows: list[tuple[str, list[str]]] = []
        first = [r.equilibria[0] for r in c.results]
        decisions = [
            {d.infoset: d for d in path_decisions(r, eq)} for r, eq in zip(c.results, first, strict=True)
        ]
        rows.append(("Decisions on the equilibrium path", []))
        for s in c.game.infosets.values():
            if any(s.name in d for d in decisions):
                cells = [_mix(d[s.name].behavior) if s.name in d else "-" for d in decisions]
                rows.append((f"{s.player.label}: {s.name}", cells))
        rows.append(("Outcome probabilities", []))
        for i, t in enumerate(c.game.terminals.tolist()):
            probs = [eq.reach[i] for eq in first]
            if any(p > 0 for p in probs):
                rows.append((_outcome_label(c.results[0], t, c.game.node_names[t]), [fmt(p) for p in probs]))
        rows.append(("Expected payoffs", []))
        for k, p in enumerate(c.game.players):
            rows.append((p, [fmt(eq.values[k]) for eq in first]))
        notes = []
        for leader, r in zip(c.leaders, c.results, strict=True):
            mode = "exact" if r.exact else "float"
            notes.append(f"{leader.name}: method {r.method} ({mode}), max regret {fmt(r.equilibria[0].max_regret)}")
            notes += [f"{leader.name}: {w}" for w in r.warnings]
        if markdown:
            parts.append(_markdown(c, names, rows, notes))
        else:
            t = _table(f"{c.game.title}  [{c.file}]", "", *names)
            for label, cells in rows:
                if cells:
                    _row(t, "  " + label, *cells)
                else:
                    _row(t, label, *([""] * len(names)), style="bold")
            parts.append(t)
            parts.append(Text("\n".join(notes) + "\n"))
    if markdown:
        return "\n".join(str(p) for p in parts)
    return _render(parts, width)


def _markdown(c: GameComparison, names: list[str], rows: list[tuple[str, list[str]]], notes: list[str]) -> str:
    lines = [f"### {c.game.title}", "", f"`{c.file}`", "", "| | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for label, cells in rows:
        if cells:
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        else:
            lines.append(f"| **{label}** |" + " |" * len(names))
    lines.append("")
    lines += [f"- {n}" for n in notes]
    lines.append("")
    return "\n".join(lines)
