"""A decomposition (:class:`policy.analysis.decompose.Decomposition`) as a table or as JSON data."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from policy.analysis.decompose import Decomposition, Part
from policy.render.data import number
from policy.render.text import _render, _row, _table, fmt

YARDSTICK = (
    "Yardstick: the probability of each end state (each value of each outcome fact); "
    "each part is a Shapley value over the contributors, so the parts add up to the difference."
)


def decomposition_table(d: Decomposition, width: int | None = None, colour: bool | None = None) -> str:
    """The differences, then their parts by group of parameters and by stage."""
    head = Text(
        f"{d.game.title}  [{d.file}]\n{d.second.name} minus {d.first.name}, "
        f"method {d.method} ({'exact' if d.exact else 'float'})\n{YARDSTICK}\n"
    )
    tables: list[object] = [head]
    rows = d.rows()
    if not rows:
        tables.append(Text("The leaders' end states have the same probabilities: nothing to decompose.\n"))
        return _render(tables, width=width, colour=colour)
    for title, parts in (("By group of parameters", d.groups), ("By stage", d.stages)):
        if not parts:
            continue
        t = _table(title, "end state", d.first.name, d.second.name, "difference", *(p.name for p in parts))
        for fact, value in rows:
            _row(
                t,
                f"{fact} = {value}",
                fmt(d.facts_first[fact][value]),
                fmt(d.facts_second[fact][value]),
                fmt(d.difference(fact, value)),
                *(fmt(p.share[fact][value]) for p in parts),
            )
        tables.append(t)
        tables.append(Text("\n".join(f"{p.name}: {', '.join(p.parameters)}" for p in parts) + "\n"))
    return _render(tables, width=width, colour=colour)


def _parts(items: tuple[Part, ...]) -> list[dict[str, Any]]:
    return [
        {
            "name": part.name,
            "parameters": list(part.parameters),
            "share": {f: {v: number(p) for v, p in vs.items()} for f, vs in part.share.items()},
        }
        for part in items
    ]


def decomposition_data(d: Decomposition) -> dict[str, Any]:
    """The decomposition as plain data for JSON (exact numbers as strings)."""
    return {
        "file": d.file,
        "title": d.game.title,
        "leaders": [d.first.key, d.second.key],
        "method": d.method,
        "exact": d.exact,
        "yardstick": YARDSTICK,
        "differences": [
            {
                "fact": f,
                "value": v,
                "first": number(d.facts_first[f][v]),
                "second": number(d.facts_second[f][v]),
                "difference": number(d.difference(f, v)),
            }
            for f, v in d.rows()
        ],
        "groups": _parts(d.groups),
        "stages": _parts(d.stages),
    }
