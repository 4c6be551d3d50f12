"""Results as aligned text tables (drawn with rich), for the terminal.

Every function returns plain text unless asked for colour: ``colour=True``,
or ``colour=None`` (the default) under the ``policy`` command when it has
decided that its output is a terminal that wants colour (it sets click's
``Context.color``; see :func:`colour_wanted`). Coloured output has each
player's name in the player's colour (the palette of the tree drawings) and
the equilibrium's choices in bold; apart from the escape codes it is the
same text, so plain output does not depend on whether colour was possible.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import cast

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.padding import Padding
from rich.style import StyleType
from rich.table import Column, Table
from rich.text import Text

from policy.analysis.compare import (
    GameComparison,
    Swap,
    fact_probabilities,
    instances_named,
    on_path,
    path_decisions,
    same_behavior,
    shared_beliefs,
)
from policy.analysis.explain import CitedClaim, Explanation, describe
from policy.campaign import campaign_of
from policy.claims import Claim
from policy.leaders import Leader
from policy.model import Game, Number
from policy.render.tree import player_colour
from policy.solvers.count import Count, settled
from policy.solvers.result import Equilibrium, SolveResult, show_number
from policy.solvers.sequential import check_equilibrium, off_path_reason

#: Exact numbers longer than this are shown as decimals (with ~), in tables only.
MAX_FRACTION_WIDTH = 9


def fmt(x: Number) -> str:
    """A number for a table: short fractions as they are, long ones as ~decimals."""
    if isinstance(x, Fraction) and max(abs(x.numerator), x.denominator).bit_length() > 4 * MAX_FRACTION_WIDTH:
        return _approximately(x)  # more than MAX_FRACTION_WIDTH digits: no need to write them out
    text = show_number(x)
    if isinstance(x, Fraction) and len(text) > MAX_FRACTION_WIDTH:
        return _approximately(x)
    return text


def _approximately(x: Fraction) -> str:
    """``~`` and 6 significant digits, also beyond float's range (an exact 3**-1000 is not ~0)."""
    try:
        f = float(x)
    except OverflowError:
        f = math.inf
    if (f == 0) == (x == 0) and math.isfinite(f) and (f == 0 or abs(f) >= sys.float_info.min):
        return f"~{f:.6g}"
    with localcontext() as context:
        context.prec = 6
        return f"~{(Decimal(x.numerator) / Decimal(x.denominator)).normalize():g}"


def colour_wanted(colour: bool | None = None) -> bool:
    """Whether to colour: ``colour`` when given, else what the running ``policy`` command asks.

    The command line sets click's ``Context.color`` to True when its output
    is a terminal (or ``FORCE_COLOR`` is set) and to False for ``--no-color``
    or ``NO_COLOR``; outside a command, and when it has not decided, output
    is plain.
    """
    if colour is not None:
        return colour
    import click

    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.color)


#: Trailing blanks of a line, with any escape codes among them.
_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$")


def _rstrip(line: str) -> str:
    """A line without trailing blanks; a colour reset is kept if escape codes were trimmed."""
    if "\x1b" not in line:
        return line.rstrip(" \t")
    found = _TRAILING.search(line)
    if found is None:
        return line
    return line[: found.start()] + ("\x1b[0m" if "\x1b[" in found.group(0) else "")


def _render(tables: Iterable[object], width: int | None = None, colour: bool | None = None) -> str:
    return "".join(_render_parts(tables, width, colour)) or "\n"


def _render_parts(tables: Iterable[object], width: int | None = None, colour: bool | None = None) -> Iterator[str]:
    """:func:`_render`'s text in pieces of whole lines, each table drawn when its turn comes.

    Joined (``"\\n"`` when there are none), the pieces are :func:`_render`'s
    text: every piece ends with a newline, and its lines lose their trailing
    blanks as the whole text's would. A big plain table comes in blocks of
    lines, so that its text is never held whole.
    """
    out = io.StringIO()
    if width is None:
        width = max(80, min(shutil.get_terminal_size((100, 24)).columns, 140))
    coloured = colour_wanted(colour)
    if coloured:
        console = Console(file=out, width=width, color_system="auto", force_terminal=True, highlight=False)
    else:
        console = Console(file=out, width=width, color_system=None, force_terminal=False, highlight=False)
    for t in tables:
        plain = None if coloured else _plain_table(t, width, console)
        if plain is None:
            console.print(t)
            drawn = out.getvalue()
            out.seek(0)
            out.truncate()
            blocks: Iterable[str] = (drawn,)
        else:
            blocks = plain
        for block in blocks:
            if block:
                yield "\n".join(_rstrip(line) for line in block.splitlines()) + "\n"


class _Rows(Table):
    """A rich table that keeps its title, headers and cells as plain text (see :func:`_plain_table`).

    Rows added with :func:`_row` are kept as plain text and the style of each
    cell (of each distinct mix of styles, once), and given to rich only when
    rich draws the table: a rich cell (a :class:`Text` or a string of markup)
    costs some hundreds of bytes, and the table of a big game's equilibrium
    has hundreds of thousands of them, which the plain path never draws.
    Rows added with ``add_row`` go to rich at once (the table is then drawn
    by rich).
    """

    def __init__(self, title: str | None, columns: Sequence[str]) -> None:
        super().__init__(
            title=escape(title) if title else None, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
        )
        self.plain_title = title or None
        self.plain_rows: list[tuple[str, ...]] = [tuple(columns)]
        #: Whether every row came through :func:`_row` (else rich draws the table).
        self.all_plain = True
        # The look of each plain row rich does not have yet: (False, each cell's
        # style or None for a string, the row's style), one shared tuple per
        # distinct look; or (True, the row's own cells, the row's style) when a
        # Text cell has more than a style.
        self._looks: list[tuple[bool, tuple[object, ...], object]] = []
        self._known_looks: dict[object, tuple[bool, tuple[object, ...], object]] = {}
        self._given = 1  # plain_rows[:_given] are rich's rows too (the header is its columns)
        for c in columns:
            self.add_column(escape(c), justify="left")

    def add_plain(self, cells: Sequence[str | Text], style: str | None) -> None:
        """A row of plain text (a string cell) or styled text (a :class:`Text` cell), for rich later."""
        self.plain_rows.append(tuple(c.plain if isinstance(c, Text) else c for c in cells))
        if all(not isinstance(c, Text) or _style_only(c) for c in cells):
            look: tuple[bool, tuple[object, ...], object] = (
                False, tuple(c.style if isinstance(c, Text) else None for c in cells), style
            )
            look = self._known_looks.setdefault(look, look)
        else:
            look = (True, tuple(cells), style)
        self._looks.append(look)
        if len(cells) > len(self.columns):
            self._give()  # rich adds the columns
            self.all_plain = False

    def _give(self) -> None:
        """Hand the plain rows rich does not have yet to rich."""
        rows, looks = self.plain_rows, self._looks
        for k, (whole, cells, style) in enumerate(looks, self._given):
            given: list[RenderableType]
            if whole:
                given = [c if isinstance(c, Text) else escape(str(c)) for c in cells]
            else:
                given = [
                    escape(text) if look is None else Text(text, style=cast(StyleType, look))
                    for text, look in zip(rows[k], cells, strict=True)
                ]
            super().add_row(*given, style=cast(StyleType | None, style))
        self._given += len(looks)
        looks.clear()

    def add_row(self, *renderables: RenderableType | None, style: StyleType | None = None,
                end_section: bool = False) -> None:
        self._give()
        self.all_plain = False
        super().add_row(*renderables, style=style, end_section=end_section)

    @property
    def row_count(self) -> int:
        self._give()
        return super().row_count

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self._give()
        return super().__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        self._give()
        return super().__rich_measure__(console, options)


def _style_only(cell: Text) -> bool:
    """Whether ``Text(cell.plain, style=cell.style)`` is the same cell."""
    return (
        not cell.spans and cell.justify is None and cell.overflow is None and cell.no_wrap is None
        and cell.end == "\n" and cell.tab_size is None
    )


#: ``:name:`` in a string cell: rich may draw it as an emoji.
_EMOJI_CODE = re.compile(r":\S+:")


def _simple(text: str) -> bool:
    """Whether rich draws ``text`` in a table cell as it is: printable, one column a character, no emoji code."""
    return (
        text.isprintable()
        and cell_len(text) == len(text)
        and not text[:1].isspace()
        and _EMOJI_CODE.search(text) is None
    )


def _plain_table(table: object, width: int, console: Console | None = None) -> Iterator[str] | None:
    """A plain-text table drawn as rich draws it without colour (in blocks of lines), or None to leave it to rich.

    rich measures and lays out every cell as a renderable, about 0.1 ms a cell:
    seconds for the thousands of rows of a campaign's equilibrium. When every
    cell is plain text that rich shows as it is, the layout is simple: the
    ``SIMPLE_HEAD`` box (blank top and bottom edges, a rule under the
    header), the title above, flush left, one space of padding inside the
    edges between columns (none at the outer edges, ``pad_edge=False``), each
    column as wide as its widest cell when the table fits the width. When it
    does not, rich's own layout decides the widths, from a table of the few
    cells that set them (the longest line and the longest word of each
    column), and rich wraps each cell too long for its column; the other
    cells are padded here. The text is the same as rich's.
    """
    if not isinstance(table, _Rows) or not table.all_plain:
        return None
    rows = table.plain_rows
    if not all(_simple(c) or not c for row in rows for c in row):
        return None
    last = len(table.columns) - 1
    pads = [(int(i > 0), int(i < last)) for i in range(last + 1)]
    widths = [max(len(row[i]) for row in rows) + sum(pads[i]) for i in range(last + 1)]
    total = sum(widths) + last + 2  # the two edges and a divider between columns
    if total > width:
        if console is None:
            return None
        fitted = _rich_widths(table, width, console)
        if fitted is None:
            return None
        widths = fitted
        total = sum(widths) + last + 2
    title = table.plain_title
    if title is not None and (not _simple(title) or len(title) > total):
        return None
    return _plain_lines(table, title, widths, pads, console)


#: Lines of a plain table drawn before they are handed on.
_BLOCK = 4096


def _plain_lines(
    table: _Rows, title: str | None, widths: list[int], pads: list[tuple[int, int]], console: Console | None
) -> Iterator[str]:
    """:func:`_plain_table`'s text at ``widths``, :data:`_BLOCK` lines or so at a time."""
    lines = [] if title is None else [title]
    lines.append("")  # the top edge: blank
    columns = table.columns
    for k, row in enumerate(table.plain_rows):
        cells = [_cell_lines(c, widths[i], pads[i], columns[i], console) for i, c in enumerate(row)]
        height = max(len(c) for c in cells)
        for i, c in enumerate(cells):
            blank = [" " * widths[i]] * (height - len(c))
            cells[i] = blank + c if k == 0 else c + blank  # the header sits at the bottom of its row
        for j in range(height):
            lines.append((" " + " ".join(c[j] for c in cells)).rstrip())
        if k == 0:
            lines.append(" " + "─".join("─" * w for w in widths))
        if len(lines) >= _BLOCK:
            yield "\n".join(lines) + "\n"
            lines.clear()
    lines.append("")  # the bottom edge
    yield "\n".join(lines) + "\n"


def _cell_lines(text: str, width: int, pad: tuple[int, int], column: Column, console: Console | None) -> list[str]:
    """A cell's lines at its column's ``width`` (padding included), as rich lays them out."""
    left, right = pad
    if len(text) <= width - left - right or console is None:
        return [" " * left + text.ljust(width - left - right) + " " * right]
    options = console.options.update(
        width=width, justify=column.justify, no_wrap=column.no_wrap, overflow=column.overflow, height=None,
        highlight=column.highlight,
    )
    drawn = console.render_lines(Padding(Text(text), (0, right, 0, left)), options)
    return ["".join(segment.text for segment in line) for line in drawn]


def _rich_widths(table: _Rows, width: int, console: Console) -> list[int] | None:
    """The column widths rich gives ``table`` at ``width``, found from the cells that set them.

    A column's measure is the longest line and the longest word among its
    cells; rich's layout depends on nothing else, so a table of the header
    and, for each column, the row with its longest cell and the row with its
    longest word, is laid out with the same widths.
    """
    rows = table.plain_rows
    keep = {0}
    for i in range(len(table.columns)):
        keep.add(max(range(1, len(rows)), key=lambda k: len(rows[k][i]), default=0))
        keep.add(max(range(1, len(rows)), key=lambda k: max(map(len, rows[k][i].split()), default=0), default=0))
    few = _Rows(None, rows[0])
    for mine, theirs in zip(few.columns, table.columns, strict=True):
        # What a caller set on a column (a least width, no wrapping) shapes the layout too.
        mine.min_width, mine.max_width, mine.no_wrap, mine.ratio = (
            theirs.min_width, theirs.max_width, theirs.no_wrap, theirs.ratio)
    for k in sorted(keep - {0}):
        few.add_row(*(escape(c) for c in rows[k]))
    try:
        return list(few._calculate_column_widths(console, console.options.update_width(width - few._extra_width)))
    except AttributeError:  # another version of rich: leave the table to it
        return None


def _player(label: str, index: int, bold: bool = False) -> Text:
    """A player's name in the player's colour (shown only when colour is on)."""
    return Text(label, style=("bold " if bold else "") + player_colour(index))


def _table(title: str | None, *columns: str) -> Table:
    return _Rows(title, columns)


def _row(t: Table, *cells: str | Text, style: str | None = None) -> None:
    """Add a row of plain text (no rich markup is read from game labels); Text cells keep their style."""
    if isinstance(t, _Rows):
        t.add_plain(cells, style)
    else:
        t.add_row(*(c if isinstance(c, Text) else escape(c) for c in cells), style=style)


def _mix(behavior: dict[str, Number]) -> str:
    """A choice as text: the action when pure, else each action with its probability."""
    sure = [a for a, p in behavior.items() if p == 1]
    if sure:
        return sure[0]
    return ", ".join(f"{a} {fmt(p)}" for a, p in behavior.items() if p > 0)


#: The choice shown at an information set the equilibrium never reaches when
#: nothing justifies the behaviour there (see :func:`solve_table`).
UNREACHED = "unreached"


def solve_table(
    result: SolveResult, leader: Leader | None = None, width: int | None = None, colour: bool | None = None
) -> str:
    """``policy solve`` as tables: behaviour, payoffs, outcome probabilities.

    The text of :func:`solve_table_blocks`, joined.
    """
    return "".join(solve_table_blocks(result, leader, width, colour))


def solve_table_blocks(
    result: SolveResult, leader: Leader | None = None, width: int | None = None, colour: bool | None = None,
    count: Count | None = None,
) -> Iterator[str]:
    """``policy solve`` as tables, in blocks of whole lines: behaviour, payoffs, outcome probabilities.

    Each equilibrium's heading has its max regret and the sequential check
    (:mod:`policy.solvers.sequential`). An information set the equilibrium
    never reaches shows ``unreached`` instead of a choice, unless the profile
    is shown to be sequential (or the solver's refinement, such as
    quasi-perfect, says so and the check agrees): then its behaviour there is
    shown with the reason, and the consistent beliefs at such sets of several
    nodes are listed with the others. In colour, players are in their colours
    and the choices on the path in bold.

    Each table is made when the one before it has been drawn, and a big
    table comes in blocks of lines (see :func:`_render_parts`): the table of
    a big game's equilibrium (hundreds of thousands of information sets) is
    never held whole as text.
    """
    drawn = False
    for block in _render_parts(_solve_parts(result, leader, count), width, colour):
        drawn = True
        yield block
    if not drawn:
        yield "\n"  # as _render


def _solve_parts(result: SolveResult, leader: Leader | None, count: Count | None = None) -> Iterator[object]:
    """What :func:`solve_table_blocks` draws, one table or line at a time (``count``: what the
    count of equilibria found, which answers a warning that the game may have others)."""
    game = result.game
    mode = "exact" if result.exact else "float"
    head = [f"{game.title}", f"method {result.method} ({mode})" + (f", leader {leader.name}" if leader else "")]
    if result.parameters:
        head.append("parameters: " + ", ".join(f"{k} = {fmt(v)}" for k, v in sorted(result.parameters.items())))
    if result.details.get("refine") == "intuitive":
        gone = result.details.get("discarded", ())
        head.append(
            "refined: perfect Bayesian equilibria that pass the Intuitive Criterion (Cho and Kreps 1987)"
            + (f"; {len(gone)} discarded (see the warnings)" if isinstance(gone, tuple) and gone else "")
        )
    yield Text("\n".join(head))
    total = len(result.equilibria)
    if game.origin == "nfg":
        yield from _strategic_tables(result)
        for w in result.warnings:
            yield Text(f"warning: {settled(w, count)}")
        return
    for k, eq in enumerate(result.equilibria, 1):
        label = f"Equilibrium {k} of {total}" if total > 1 else "Equilibrium"
        check = check_equilibrium(result, eq)
        why = off_path_reason(eq, check)
        t = _table(f"{label} (max regret {fmt(eq.max_regret)})", "information set", "player", "choice")
        unreached = eq.unreached
        for s in game.infosets.values():
            on = s.name not in unreached
            choice = _mix(eq.behavior[s.name])
            if on:
                cell: str | Text = _player(choice, s.player.index, bold=True)
            else:
                cell = f"{choice}  (unreached; {why})" if why else UNREACHED
            _row(t, s.name, _player(s.player.label, s.player.index), cell)
        yield t
        del t  # drawn: not kept while the rest is made
        yield Text(f"sequential: {check.text}")
        off_beliefs = check.beliefs
        intuitive = result.details.get("intuitive")
        if isinstance(intuitive, tuple) and len(intuitive) == total:
            yield Text(f"intuitive criterion (Cho-Kreps): {intuitive[k - 1].text}")
            if eq.refinement == "intuitive criterion":  # beliefs the criterion allows
                off_beliefs = {**off_beliefs, **intuitive[k - 1].beliefs}
        held = dict(shared_beliefs(result, eq))
        for name, members in off_beliefs.items():
            if name in unreached and why:
                held[name + "  (unreached)"] = dict(members)
        if held:
            b = _table(None, "information set", "player", "node", "belief")
            for name, members in held.items():
                who = game.infosets[name.removesuffix("  (unreached)")].player
                for k, (node, belief) in enumerate(members.items()):
                    _row(b, name if k == 0 else "", _player(who.label, who.index) if k == 0 else "", node,
                         fmt(belief))
            yield b
        pay = _table(None, "player", "expected payoff")
        for k, (p, v) in enumerate(eq.payoffs.items()):
            _row(pay, _player(p, k), fmt(v))
        yield pay
        out = _table(None, "outcome", "probability")
        for t_index, (name, prob) in zip(game.terminals.tolist(), eq.outcomes.items(), strict=True):
            if prob > 0:
                _row(out, _outcome_label(result, t_index, name), fmt(prob))
        yield out
        stated = fact_probabilities(game, eq)
        if stated:
            # What the outcomes state, added up (a campaign's end states): the yardstick of compare.
            ends = _table("End states: the facts the outcomes state, with their probabilities", "fact", "value", "probability")
            for key, values in stated.items():
                shown = [(value, chance) for value, chance in values.items() if chance > 0]
                for k, (value, chance) in enumerate(shown):
                    _row(ends, key if k == 0 else "", value, fmt(chance))
            yield ends
    for w in result.warnings:
        yield Text(f"warning: {settled(w, count)}")


def _strategic_tables(result: SolveResult) -> list[object]:
    """A game read from an .nfg file, shown as it was written: strategies and profiles, not a tree.

    Each player has one information set (the tree is only how the table is
    held), so each equilibrium is each player's mixture over strategies, the
    expected payoffs, and the probability of each cell (strategy profile).
    """
    game = result.game
    parts: list[object] = []
    total = len(result.equilibria)
    for k, eq in enumerate(result.equilibria, 1):
        label = f"Equilibrium {k} of {total}" if total > 1 else "Equilibrium"
        t = _table(f"{label} (max regret {fmt(eq.max_regret)})", "player", "strategy", "probability")
        for s in game.infosets.values():
            shown = [(a, q) for a, q in eq.behavior[s.name].items() if q > 0]
            for j, (action, q) in enumerate(shown):
                _row(t, _player(s.player.label, s.player.index) if j == 0 else "", action, fmt(q))
        parts.append(t)
        pay = _table(None, "player", "expected payoff")
        for j, (p, v) in enumerate(eq.payoffs.items()):
            _row(pay, _player(p, j), fmt(v))
        parts.append(pay)
        cells = _table(None, "strategy profile", "probability")
        for t_index, prob in zip(game.terminals.tolist(), eq.reach, strict=True):
            if prob > 0:
                _row(cells, "(" + ", ".join(_actions_to(game, t_index)) + ")", fmt(prob))
        parts.append(cells)
    return parts


def _actions_to(game: Game, node: int) -> list[str]:
    """The actions on the path from the root to ``node``, in order."""
    out = []
    while node:
        out.append(game.action_label[node])
        node = int(game.parent[node])
    return out[::-1]


def _outcome_label(result: SolveResult, terminal: int, name: str) -> str:
    return _terminal_label(result.game, terminal, name)


def _terminal_label(game: Game, terminal: int, name: str) -> str:
    o = int(game.outcome[terminal])
    label = game.outcomes[o].label if o >= 0 else ""
    return label if label == name else f"{label} [{name}]" if label else name


def compare_table(
    comparisons: list[GameComparison], markdown: bool = False, width: int | None = None, colour: bool | None = None
) -> str:
    """``policy compare``: per game, each leader side by side, then what drives the differences.

    The side-by-side part has the decisions on the equilibrium path, the
    probability of each outcome and of each value of each outcome fact, and
    the expected payoffs; then, per other leader, one row per swapped
    parameter saying whether the first leader's path changes, and to what.
    In colour, players are in their colours and the decisions in bold.
    """
    parts: list[str | Table | Text | Padding] = []
    for c in comparisons:
        names = [leader.name for leader in c.leaders]
        rows = compare_rows(c)
        notes = []
        campaign = campaign_of(c.game)
        if campaign is not None:
            notes.append(campaign.yardstick)
            notes += [n for n in (campaign.seat(leader.key, leader.name) for leader in c.leaders) if n]
        for k, (leader, r) in enumerate(zip(c.leaders, c.results, strict=True)):
            if r is None:
                notes.append(f"{leader.name}: cannot solve: {c.failure(k)}")
                continue
            mode = "exact" if r.exact else "float"
            notes.append(f"{leader.name}: method {r.method} ({mode}), max regret {fmt(r.equilibria[0].max_regret)}")
            if k < len(c.counts):
                notes.append(f"{leader.name}: {c.counts[k].text}")
                notes += [f"  another equilibrium path: {p}" for p in c.other_paths(k)]
            known = c.counts[k] if k < len(c.counts) else None
            notes += [f"{leader.name}: {settled(w, known)}" for w in r.warnings]
        swaps = swap_rows(c)
        flips = flip_rows(c)
        failed = flip_failures(c)
        where = instance_rows(c)
        if markdown:
            parts.append(_markdown(c, names, rows, notes, swaps, flips, failed, where))
            continue
        t = _table(f"{c.game.title}  [{c.file}]", "", *names)
        movers = {f"{s.player.label}: {s.name}": s.player.index for s in c.game.infosets.values()}
        section = ""
        for label, cells in rows:
            if cells:
                head, body = Text(label), [Text(x) for x in cells]
                if section == SECTION_DECISIONS and label in movers:
                    k = movers[label]
                    head.stylize(player_colour(k), 0, label.index(":"))
                    body = [_player(x, k, bold=True) if x != "-" else Text(x) for x in cells]
                elif section == SECTION_PAYOFFS and label in c.game.players:
                    head = _player(label, c.game.players.index(label))
                # Labels that wrap keep their indent.
                t.add_row(Padding(head, (0, 0, 0, 2)), *body)
            else:
                section = label
                _row(t, label, *([""] * len(names)), style="bold")
        parts.append(t)
        for title, lines, note in swaps:
            parts.append(Text("What drives the difference", style="bold"))
            parts.append(Text(title + ":"))
            sw = _table(None, "parameter", "value", "equilibrium path")
            for cells in lines:
                _row(sw, *cells)
            parts.append(sw)
            if note:
                parts.append(Text(note + "\n"))
        if flips or failed:
            parts.append(Text(FLIP_TITLE, style="bold"))
            parts.append(Text(flip_note(c) + "\n"))
            for who, parameter, moves, share, path in flips:
                if who:
                    parts.append(Text(f" {who}", style="bold"))
                if parameter == "-":
                    parts.append(Padding(Text(moves), (0, 0, 0, 3)))
                    continue
                parts.append(Padding(Text(f"{parameter}: {moves} ({share} of its range)"), (0, 0, 0, 3)))
                parts.append(Padding(Text(f"then {path}"), (0, 0, 0, 5)))
            for line in failed:
                parts.append(Padding(Text(line), (0, 0, 0, 1)))
            parts.append(Text(""))
        if where:
            parts.append(Text(WHERE_TITLE, style="bold"))
            parts.append(Text(WHERE_NOTE))
            wt = _table(None, "instance", "played after, in the state (where it differs from the start)")
            for name, story in where:
                _row(wt, name, story)
            parts.append(wt)
            parts.append(Text(""))
        parts.append(Text("\n".join(notes) + "\n"))
    if markdown:
        return "\n".join(str(p) for p in parts)
    return _render(parts, width, colour)


WHERE_TITLE = "Where the stage instances named above are played"
WHERE_NOTE = (
    "A stage played at several points of the campaign is named stage-1, stage-2, ...; each named\n"
    "above, with the stage outcomes that lead to it and the state variables it is played under:"
)


def instance_rows(c: GameComparison) -> list[tuple[str, str]]:
    """For a campaign, one row per stage instance the table and the flips shown name: its name,
    and the stage outcomes before it with the state it is played in (empty for a plain game)."""
    campaign = campaign_of(c.game)
    if campaign is None:
        return []
    rows = []
    for k in instances_named(c, FLIPS_SHOWN):
        steps, state = campaign.story(k)
        after = ", ".join(f"{inst}: {terminal}" for inst, terminal in steps) or "the start of the campaign"
        held = "; " + ", ".join(f"{name} = {fmt(v) if isinstance(v, Fraction) else v}" for name, v in state.items())
        rows.append((campaign.instances[k].name, after + (held if state else "")))
    return rows


FLIP_TITLE = "Distance to a flip"
def flip_note(c: GameComparison) -> str:
    """The note above the flips: what a flip is, and the rule by which the method each leader's
    solve used selects an equilibrium (:data:`policy.render.sweep.SELECTIONS`)."""
    from policy.render.sweep import SELECTIONS

    methods = list(dict.fromkeys(r.method for r in c.results if r is not None))
    rules = []
    for m in methods:
        rule = SELECTIONS.get(m, "the first equilibrium it lists")
        if m == "spe" and c.game.is_perfect_information:
            rule = "the first best action at a tie"
        rules.append(f"{m} selects {rule}.")
    return (
        "The nearest change of one parameter, within its declared range, that changes the leader's "
        "equilibrium path (as a share of the range), and the path it changes to. Where a game has "
        "several equilibria, a flip is a change in the path of the one the method selects"
        + (": " + " ".join(rules) if rules else ".")
    )


FLIP_COLUMNS = ("leader", "parameter", "moves", "share", "path after the flip")
#: Flips shown per leader.
FLIPS_SHOWN = 3


def flip_failures(c: GameComparison) -> list[str]:
    """One line per parameter whose search for a flip failed, with the reason
    (or per leader, when the search was not run)."""
    out = []
    for leader, search in zip(c.leaders, c.flips, strict=True):
        if search.skipped:
            out.append(f"{leader.name}: distances to a flip {search.skipped}")
        out += [f"{leader.name}: {name}: the search for a flip failed: {why}" for name, why in search.failed.items()]
    return out


def flip_rows(c: GameComparison) -> list[list[str]]:
    rows = []
    for leader, search in zip(c.leaders, c.flips, strict=True):
        if search.skipped:
            continue
        if not search.flips:
            rows.append([leader.name, "-", "no flip within the ranges", "", ""])
            continue
        for k, f in enumerate(search.flips[:FLIPS_SHOWN]):
            rows.append([
                leader.name if k == 0 else "",
                f.parameter,
                f"{f.value:.4g} -> {f.boundary:.4g}",
                f"{100 * f.share_of_range:.1f}%",
                _path_change(search.path, f.path_after),
            ])
    return rows


#: Paths longer than this are shown by what changes, not whole.
LONG_PATH = 160


def _path_change(before: str, after: str) -> str:
    """The path after a flip: whole when short, else only the choices that change.

    Paths are ``set=action`` words joined by ", "; a campaign's runs to
    hundreds of them, of which a flip changes a few.
    """
    if len(after) <= LONG_PATH or not before:
        return after
    old = set(before.split(", "))
    changed = [w for w in after.split(", ") if w not in old]
    if not changed:
        return after
    return ", ".join(changed) + " (the rest as before)"


#: Headings of the side-by-side table's sections that are coloured by player.
SECTION_DECISIONS = "Decisions on the equilibrium path"
SECTION_PAYOFFS = "Expected payoffs"


def compare_rows(c: GameComparison) -> list[tuple[str, list[str]]]:
    """The side-by-side rows: (label, one cell per leader), or (heading, [])."""
    rows: list[tuple[str, list[str]]] = []
    first = [r.equilibria[0] if r is not None else None for r in c.results]
    decisions = [{d.infoset: d for d in path_decisions(r, eq)} if r is not None and eq is not None else {}
                 for r, eq in zip(c.results, first, strict=True)]

    def cells(values: list[str]) -> list[str]:
        """A row's cells, a leader whose solve failed marked in its place."""
        return [FAILED_CELL if eq is None else x for x, eq in zip(values, first, strict=True)]

    rows.append((SECTION_DECISIONS, []))
    for s in c.game.infosets.values():
        if any(s.name in d for d in decisions):
            rows.append((f"{s.player.label}: {s.name}",
                         cells([_mix(d[s.name].behavior) if s.name in d else "-" for d in decisions])))
    if not any(decisions) and any(eq is None for eq in first):
        rows.append(("(every decision)", cells(["-"] * len(first))))
    rows.append(("Outcome probabilities", []))
    terminals = c.game.terminals
    for i in _reached_terminals(c.results, first):
        t = int(terminals[i])
        probs = [eq.reach[i] if eq is not None else 0 for eq in first]
        rows.append((_terminal_label(c.game, t, c.game.node_names[t]), cells([fmt(p) for p in probs])))
    if c.facts and any(c.facts):
        rows.append(("End states" if campaign_of(c.game) is not None else "Outcome facts", []))
        shown = next(f for f in c.facts if f)
        for fact, values in shown.items():
            for value in values:
                probs = [f[fact][value] if f else 0 for f in c.facts]
                if any(p > 0 for p in probs):
                    rows.append((f"{fact} = {value}", cells([fmt(p) for p in probs])))
    rows.append((SECTION_PAYOFFS, []))
    for k, p in enumerate(c.game.players):
        rows.append((p, cells([fmt(eq.values[k]) if eq is not None else "" for eq in first])))
    return rows


def _reached_terminals(results: Sequence[SolveResult | None], first: Sequence[Equilibrium | None]) -> list[int]:
    """The terminals (rows of ``reach``, ascending) some leader's first equilibrium reaches with positive probability.

    An exact reach is a product of probabilities, never negative, so its
    truth says whether it is positive (no ``Fraction`` comparison for each of
    a campaign's 70,000 terminals); a float one is compared with 0.
    """
    hit: set[int] = set()
    for r, eq in zip(results, first, strict=True):
        if r is None or eq is None:
            continue
        if r.exact:
            hit.update(i for i, p in enumerate(eq.reach) if p)
        else:
            hit.update(i for i, p in enumerate(eq.reach) if p > 0)
    return sorted(hit)


#: The cell of a leader under whom the game could not be solved (the notes say why).
FAILED_CELL = "cannot solve"


def swap_rows(c: GameComparison) -> list[tuple[str, list[list[str]], str]]:
    """Per other leader: a title, rows (parameter, values, what happens to the path) and a note."""
    by_leader = {leader.key: leader.name for leader in c.leaders}
    out: list[tuple[str, list[list[str]], str]] = []
    head = c.results[0]
    if head is None:
        return out
    base = on_path(head, head.equilibria[0])
    for k, other in enumerate(c.leaders[1:], 1):
        mine = [s for s in c.swaps if s.other == other.key]
        result = c.results[k]
        if not mine or result is None:
            continue
        a = by_leader[mine[0].leader]
        title = f"{a}, given one value of {other.name}'s at a time"
        rows = [[s.parameter, f"{fmt(s.before)} -> {fmt(s.after)}", _swap_effect(s, other.name)] for s in mine]
        note = ""
        if same_behavior(base, on_path(result, result.equilibria[0])):
            note = f"{a} and {other.name} make the same choices on the path."
        elif not any(s.same_as_other for s in mine):
            note = f"No single value gives {other.name}'s path: the values act together."
        out.append((title, rows, note))
    return out


def _swap_effect(s: Swap, other: str) -> str:
    """What a swap does to the path, in a few words."""
    if s.error:
        return f"cannot solve: {s.error}"
    if not s.changes:
        return "same choices, other outcome odds" if s.outcomes_change else "no change"
    parts = []
    for ch in s.changes:
        if ch.after is None:
            continue
        if ch.before is None:
            parts.append(f"{ch.infoset}: {_mix(ch.after)}")
        else:
            parts.append(f"{ch.infoset}: {_mix(ch.before)} -> {_mix(ch.after)}")
    text = "; ".join(parts) if parts else "fewer decisions reached"
    return text + (f" (= {other}'s path)" if s.same_as_other else "")


def _markdown(
    c: GameComparison,
    names: list[str],
    rows: list[tuple[str, list[str]]],
    notes: list[str],
    swaps: list[tuple[str, list[list[str]], str]],
    flips: list[list[str]],
    failed: Sequence[str] = (),
    where: Sequence[tuple[str, str]] = (),
) -> str:
    lines = [f"### {c.game.title}", "", f"`{c.file}`", "", "| | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for label, cells in rows:
        if cells:
            lines.append(f"| {markdown_cell(label)} | " + " | ".join(markdown_cell(x) for x in cells) + " |")
        else:
            lines.append(f"| **{markdown_cell(label)}** |" + " |" * len(names))
    for title, table, note in swaps:
        lines += ["", f"**What drives the difference.** {markdown_cell(title)}:", "", "| parameter | value | equilibrium path |", "|---|---|---|"]
        lines += ["| " + " | ".join(markdown_cell(x) for x in cells) + " |" for cells in table]
        if note:
            lines += ["", note]
    if flips or failed:
        lines += ["", f"**{FLIP_TITLE}.** " + flip_note(c), ""]
        if flips:
            lines += ["| " + " | ".join(FLIP_COLUMNS) + " |", "|---|---|---|---|---|"]
            lines += ["| " + " | ".join(markdown_cell(x) for x in cells) + " |" for cells in flips]
        if failed:
            lines.append("")
            lines += [f"- {markdown_cell(x)}" for x in failed]
    if where:
        lines += ["", f"**{WHERE_TITLE}.** " + " ".join(WHERE_NOTE.split()), "",
                  "| instance | played after, in the state (where it differs from the start) |", "|---|---|"]
        lines += [f"| {markdown_cell(name)} | {markdown_cell(story)} |" for name, story in where]
    lines.append("")
    lines += [f"- {markdown_cell(n)}" for n in notes]
    lines.append("")
    return "\n".join(lines)


def markdown_cell(text: str) -> str:
    """A table cell for markdown: pipes escaped."""
    return text.replace("|", "\\|")


# -- explain -------------------------------------------------------------------------

#: Indentation of text under a heading.
INDENT = 2


def show_value(x: Number | None) -> str:
    """A parameter value as people write it: a short decimal when exact (0.35), else a fraction."""
    if x is None:
        return "-"
    if isinstance(x, Fraction):
        den = x.denominator
        while den % 2 == 0:
            den //= 2
        while den % 5 == 0:
            den //= 5
        if den == 1:
            text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
            if len(text) <= MAX_FRACTION_WIDTH:
                return text
    return fmt(x)


def show_range(r: tuple[Fraction, Fraction] | None) -> str:
    return "-" if r is None else f"[{show_value(r[0])}, {show_value(r[1])}]"


def _para(text: str, indent: int = INDENT, style: str | None = None) -> Padding:
    """A wrapped paragraph with a left margin (continuation lines keep it)."""
    return Padding(Text(text, style=style or ""), (0, 0, 0, indent))


def _item(text: str, indent: int, bullet: str = "-") -> Padding:
    """A list item: a bullet, then text whose continuation lines hang under the text."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(bullet, Text(text))
    return Padding(grid, (0, 0, 0, indent))


def _heading(text: str) -> Text:
    return Text("\n" + text, style="bold")


def _claim_text(c: CitedClaim) -> str:
    if c.claim is None:
        return f"{c.id} [not in the catalogue]"
    mark = "" if c.claim.status == "accepted" else f" [{c.claim.status.upper()}]"
    text = f"{c.id}{mark}: {c.claim.summary}"
    if c.disputed and c.claim.why:
        text += f"\nwhy: {c.claim.why}"
    return text


def _cited_lines(claims: tuple[CitedClaim, ...], indent: int) -> list[object]:
    return [_item(_claim_text(c), indent) for c in claims]


def explain_text(e: Explanation, width: int | None = None, colour: bool | None = None) -> str:
    """``policy explain``: the game in words, then each parameter with its values and claims."""
    parts: list[object] = [Text(f"{e.game.title}  [{e.file}]", style="bold")]
    if e.description:
        parts += [_heading("What the game models"), *(_para(p) for p in paragraphs(e.description))]
    if e.left_out:
        parts += [_heading("Left out"), *(_para(p) for p in paragraphs(e.left_out))]
    names = {leader.key: leader.name for leader in e.leaders}
    parts.append(_heading("Structure"))
    for line in describe(e.structure, names):
        depth = (len(line) - len(line.lstrip(" "))) // 2
        if depth:
            parts.append(_item(line.strip(), INDENT * (depth + 1) - 2))
        else:
            parts.append(_para(line))
    if e.game_claims:
        parts.append(_heading("Claims behind the game"))
        parts += _cited_lines(e.game_claims, INDENT)
    if e.leaders and e.parameters:
        parts.append(_heading("Leaders"))
        for leader, (_, claims) in zip(e.leaders, e.leader_claims, strict=True):
            head = f"{leader.name} ({leader.key})" + (f": {' '.join(leader.description.split())}" if leader.description else "")
            parts.append(_item(head + ("\ncites " + ", ".join(c.id for c in claims) if claims else ""), INDENT))
    if e.parameters:
        parts.append(_heading("Parameters"))
    else:
        parts.append(_heading("Parameters: none (every payoff and probability is a number)"))
    for p in e.parameters:
        parts.append(Text(""))
        parts.append(_para(p.name + ("" if p.used else "  (used by no payoff or probability)"), INDENT, "bold"))
        if p.description:
            parts.append(_para(" ".join(p.description.split()), INDENT * 2))
        parts.append(_para(f"range {show_range(p.range)}, default {show_value(p.default)}", INDENT * 2))
        for v in p.values:
            head = f"{v.name}: {show_value(v.value)}"
            if v.given == "leader":
                head += f", range {show_range(v.range)}" if v.range else ""
                lines = [" ".join(v.note.split())] if v.note else []
                if v.sources:
                    lines.append("sources: " + ", ".join(v.sources))
            elif v.given == "default":
                lines = ["not set by the profile: the game's default"]
            else:
                head = f"{v.name}: no value"
                lines = ["neither the profile nor the game gives one"]
            parts.append(_item("\n".join([head, *lines]), INDENT * 2))
        if p.claims:
            parts.append(_para("claims behind it:", INDENT * 2))
            parts += _cited_lines(p.claims, INDENT * 2)
    return _render(parts, width, colour)


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a description, each joined into one line for wrapping."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


# -- claims --------------------------------------------------------------------------


def claims_text(claims: list[Claim], width: int | None = None, colour: bool | None = None) -> str:
    """``policy claims``: each claim's id, status and origin, then its summary and what it bears on."""
    parts: list[object] = []
    for c in claims:
        where = f"thread, post {c.post}" + (f" ({c.author})" if c.author else "") if c.kind == "thread" else "external"
        status = c.status if c.status == "accepted" else c.status.upper()
        parts.append(Text(f"{c.id}  [{status}]  {where}", style="bold"))
        parts.append(_para(c.summary))
        if c.quote:
            parts.append(_para(f'quote: "{c.quote}"'))
        if c.source:
            parts.append(_para(f"source: {c.source}"))
        if c.bears_on:
            parts.append(_para("bears on: " + ", ".join(c.bears_on)))
        if c.why:
            parts.append(_para(f"why: {c.why}"))
        parts.append(Text(""))
    total = len(claims)
    counts = [f"{sum(c.status == s for c in claims)} {s}" for s in ("accepted", "contested", "wrong")]
    parts.append(Text(f"{total} claim{'s' if total != 1 else ''} ({', '.join(counts)})"))
    return _render(parts, width, colour)
