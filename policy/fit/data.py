"""Observed cases: a CSV table turned into design matrices and observed outcomes.

Each row is one case. Covariates are numbers, or categories when the spec lists
the column under ``factors`` (one 0/1 column per level but the first, in sorted
order, as R's ``model.matrix`` makes them). The outcome is a column of terminal
names (or outcome labels), or one column per decision node holding the action
taken. Rows with a missing value (empty or ``NA``) in a column the fit uses are
left out and counted, as R's ``na.omit`` does. Every other problem is an error
naming the file, line and column.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from policy.files import InputError, read_text
from policy.fit.spec import FitError, FitSpec
from policy.model import Game, NodeKind

MISSING = frozenset({"", "NA"})


@dataclass(frozen=True)
class Table:
    """Columns of text by name, with the file line of each row (for errors)."""

    columns: Mapping[str, Sequence[str]]
    lines: Sequence[int]
    file: str = ""

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def where(self, row: int) -> str:
        line = self.lines[row]
        return f"{self.file}:{line}" if self.file else f"row {line}"

    @staticmethod
    def from_columns(columns: Mapping[str, Sequence[object]]) -> Table:
        """A table from Python data (numbers, strings; ``None`` or NaN for missing)."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise FitError("data", "columns have different lengths")
        n = lengths.pop() if lengths else 0
        text = {k: [_as_text(x) for x in v] for k, v in columns.items()}
        return Table(text, list(range(1, n + 1)))


def _as_text(x: object) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return str(x)


def read_csv(path: str | Path) -> Table:
    """Read a CSV file with a header row; errors name the file and line."""
    file = str(path)
    try:
        text = read_text(path)
    except InputError as err:
        raise FitError(f"{file}:{err.line}" if err.line else file, err.message) from None
    except OSError as err:
        raise FitError(file, f"cannot read: {err.strerror or err}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise FitError(file, "empty file (expected a header row of column names)") from None
    except csv.Error as err:
        raise FitError(f"{file}:1", f"not valid CSV: {err}") from None
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FitError(f"{file}:1", f'column "{name}" appears twice in the header')
        seen.add(name)
    cols: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise FitError(f"{file}:{reader.line_num}",
                               f"{len(row)} fields, but the header has {len(header)}")
            for c, v in zip(cols, row, strict=True):
                c.append(v.strip())
            lines.append(reader.line_num)
    except csv.Error as err:
        raise FitError(f"{file}:{reader.line_num}", f"not valid CSV: {err}") from None
    return Table(dict(zip(header, cols, strict=True)), lines, file)


@dataclass(frozen=True)
class Design:
    """Design matrices of the kept rows, and what the fit observed in them."""

    matrices: tuple[npt.NDArray[np.float64], ...]
    """One (n, k) matrix per estimated payoff term, in the spec's order."""
    names: tuple[tuple[str, ...], ...]
    """Column names of each matrix ("(Intercept)", "balanc", "regime1=dem")."""
    scale_matrices: tuple[npt.NDArray[np.float64], ...]
    scale_names: tuple[tuple[str, ...], ...]
    terminal: npt.NDArray[np.int64] | None
    """Per kept row: position in ``game.terminals`` of the observed outcome."""
    rows: npt.NDArray[np.int64]
    """Positions in the table of the kept rows."""
    dropped: int
    levels: Mapping[str, tuple[str, ...]]

    @property
    def num_cases(self) -> int:
        return len(self.rows)


def used_columns(spec: FitSpec) -> list[str]:
    cols: list[str] = []
    for term in spec.terms:
        cols.extend(term.covariates or ())
    if spec.scale is not None:
        cols.extend(spec.scale.covariates)
    return list(dict.fromkeys(cols))


def _column(table: Table, name: str, where: str) -> Sequence[str]:
    try:
        return table.columns[name]
    except KeyError:
        names = list(table.columns)
        have = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise FitError(table.file or "data", f'no column "{name}", named as {where} (columns: {have})') from None


def _check_spelling(table: Table, spec: FitSpec) -> None:
    """A covariate that is no column of the data but close to one (or to a factor) is
    taken for a typo in the spec, and reported at the payoff (or scale) that names it."""
    known = list(dict.fromkeys([*table.columns, *spec.factors]))
    named = [(f"fit.payoffs.{t.node}.{t.player}", c) for t in spec.terms for c in t.covariates or ()]
    if spec.scale is not None:
        named += [("fit.scale.covariates", c) for c in spec.scale.covariates]
    for key, name in named:
        if name in table.columns:
            continue
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
        if close:
            data = f"of {table.file}" if table.file else "in the data"
            raise FitError(spec.file, f'{key}: "{name}" is not a column {data} '
                           f"(near misses: {', '.join(close)})")


def build_design(
    table: Table,
    game: Game,
    spec: FitSpec,
    *,
    with_outcome: bool = True,
    levels: Mapping[str, tuple[str, ...]] | None = None,
) -> Design:
    """Check the table against the spec and game; make the matrices of the usable rows."""
    covariates = used_columns(spec)
    if with_outcome:
        _check_spelling(table, spec)
    for name in spec.factors:
        if name not in covariates:
            raise FitError(spec.file, f'fit.factors: "{name}" is not a covariate of any payoff')
    n = table.num_rows
    keep = np.ones(n, dtype=bool)
    raw = {c: _column(table, c, "a covariate") for c in covariates}
    for values in raw.values():
        for r, v in enumerate(values):
            if v in MISSING:
                keep[r] = False

    terminal = None
    if with_outcome:
        terminal = _outcomes(table, game, spec, keep)

    rows = np.flatnonzero(keep)
    kept_rows = rows.tolist()
    if rows.size == 0:
        raise FitError(table.file or "data", "no usable rows (every row has a missing value)")
    found_levels: dict[str, tuple[str, ...]] = dict(levels or {})
    columns: dict[str, tuple[npt.NDArray[np.float64], tuple[str, ...]]] = {}
    for c in covariates:
        values = raw[c]
        if c in spec.factors:
            kept = [values[r] for r in kept_rows]
            if c not in found_levels:
                found_levels[c] = tuple(sorted(set(kept)))
            lv = found_levels[c]
            index = {v: i for i, v in enumerate(lv)}
            codes = np.empty(len(rows), dtype=np.int64)
            for i, r in enumerate(kept_rows):
                code = index.get(values[r])
                if code is None:
                    raise FitError(table.where(r), f'column "{c}": level "{values[r]}" was not in '
                                   f"the fitted data ({', '.join(lv)})")
                codes[i] = code
            dummies = (codes[:, None] == np.arange(1, len(lv))[None, :]).astype(np.float64)
            columns[c] = (dummies, tuple(f"{c}={v}" for v in lv[1:]))
        else:
            out = np.empty(len(rows))
            for i, r in enumerate(kept_rows):
                try:
                    out[i] = float(values[r])
                except ValueError:
                    raise FitError(table.where(r), f'column "{c}": "{values[r]}" is not a number '
                                   "(list the column under fit.factors to use it as categories)") from None
                if not np.isfinite(out[i]):
                    raise FitError(table.where(r), f'column "{c}": "{values[r]}" is not a finite number')
            columns[c] = (out[:, None], (c,))

    def matrix(covs: Sequence[str], intercept: bool) -> tuple[npt.NDArray[np.float64], tuple[str, ...]]:
        parts = [np.ones((len(rows), 1))] if intercept else []
        names = ["(Intercept)"] if intercept else []
        for c in covs:
            parts.append(columns[c][0])
            names.extend(columns[c][1])
        return np.hstack(parts) if parts else np.zeros((len(rows), 0)), tuple(names)

    mats, names = [], []
    for term in spec.terms:
        if term.covariates is not None:
            m, nm = matrix(term.covariates, term.intercept)
            mats.append(m)
            names.append(nm)
    smats, snames = [], []
    if spec.scale is not None:
        count = len(game.players) if spec.scale.by_player else 1
        for _ in range(count):
            m, nm = matrix(spec.scale.covariates, spec.scale.intercept)
            smats.append(m)
            snames.append(nm)
    return Design(tuple(mats), tuple(names), tuple(smats), tuple(snames),
                  None if terminal is None else terminal[rows], rows, n - len(rows),
                  found_levels)


def _terminal_names(game: Game) -> dict[str, int]:
    """Terminal node names, and outcome labels that name one terminal only."""
    names: dict[str, int] = {}
    labels: dict[str, list[int]] = {}
    for t, node in enumerate(game.terminals.tolist()):
        names[game.node_names[node]] = t
        o = int(game.outcome[node])
        if o >= 0:
            labels.setdefault(game.outcomes[o].label, []).append(t)
    for label, ts in labels.items():
        if len(ts) == 1 and label not in names:
            names[label] = ts[0]
    return names


def _outcomes(table: Table, game: Game, spec: FitSpec, keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    n = table.num_rows
    terminal = np.full(n, -1, dtype=np.int64)
    if spec.outcome is not None:
        names = _terminal_names(game)
        values = _column(table, spec.outcome, "fit.outcome")
        for r, v in enumerate(values):
            if v in MISSING:
                keep[r] = False
                continue
            t = names.get(v)
            if t is None:
                raise FitError(table.where(r), f'column "{spec.outcome}": "{v}" is not a terminal '
                               f"of the game (terminals: {', '.join(sorted(names))})")
            terminal[r] = t
        return terminal
    by_node: dict[int, tuple[Sequence[str], dict[str, int], str, bool]] = {}
    groups: dict[str, tuple[set[int], list[str], list[bool]]] = {}
    """Per column: the nodes recorded in it (an information set's members share one), their
    names in the spec, and whether each accepts values where it was not reached."""
    for ac in spec.actions:
        try:
            nodes = [game.node(ac.node).index]
        except KeyError:
            infoset = next((s for s in game.infosets.values() if s.name == ac.node), None)
            if infoset is None:
                raise FitError(spec.file, f"fit.actions.{ac.node}: no node or information set of "
                               "that name in the game") from None
            nodes = [int(m) for m in infoset.members]
        node = nodes[0]
        if game.kind[node] == NodeKind.TERMINAL:
            raise FitError(spec.file, f"fit.actions.{ac.node}: a terminal node has no action")
        labels = game.nodes.at(node).actions
        mapping: dict[str, int] = {}
        for value, action in ac.values.items():
            if action not in labels:
                raise FitError(spec.file, f"fit.actions.{ac.node}.values: no action {action!r} "
                               f"at this node (actions: {', '.join(labels)})")
            mapping[value] = labels.index(action)
        if not ac.values:
            mapping = {a: i for i, a in enumerate(labels)}
        entry = (_column(table, ac.column, f"fit.actions.{ac.node}"), mapping, ac.column,
                 ac.ignore_unreached)
        for member in nodes:
            by_node[member] = entry
        group = groups.setdefault(ac.column, (set(), [], []))
        group[0].update(nodes)
        group[1].append(ac.node)
        group[2].append(ac.ignore_unreached)
    term_pos = {int(t): i for i, t in enumerate(game.terminals.tolist())}
    for r in range(n):
        node = 0
        visited: set[int] = set()
        while game.kind[node] != NodeKind.TERMINAL:
            found = by_node.get(node)
            if found is None:
                raise FitError(spec.file, f"fit.actions: the data cannot say what happened at node "
                               f"{game.node_names[node]} (add a column for it)")
            values, mapping, column, _ = found
            v = values[r]
            if v in MISSING:
                keep[r] = False
                break
            a = mapping.get(v)
            if a is None:
                raise FitError(table.where(r), f'column "{column}": "{v}" is not an action at '
                               f"{game.node_names[node]} (expected {', '.join(mapping)})")
            visited.add(node)
            node = int(game.first_child[node]) + a
        else:
            terminal[r] = term_pos[node]
        if not keep[r]:
            continue
        for column, (members, spec_names, ignore) in groups.items():
            recorded = by_node[next(iter(members))][0]
            if not (members & visited) and not any(ignore) and recorded[r] not in MISSING:
                where = " or ".join(spec_names)
                raise FitError(table.where(r), f'column "{column}": an action ("{recorded[r]}") at '
                               f"{where}, where this case never went (leave it empty or NA, or set "
                               'unreached = "ignore")')
    return terminal
