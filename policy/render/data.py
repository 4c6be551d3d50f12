"""Results as plain data for JSON: exact numbers as strings (``"2/3"``), floats as numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

from policy.analysis.compare import (
    Behavior,
    GameComparison,
    Swap,
    fact_probabilities,
    instances_named,
    on_path,
    shared_beliefs,
)
from policy.analysis.explain import CitedClaim, Explanation, describe
from policy.analysis.flip import FlipSearch
from policy.claims import Claim
from policy.leaders import Leader
from policy.model import Number
from policy.solvers.count import count_data
from policy.solvers.result import Equilibrium, SolveResult, show_number
from policy.solvers.sequential import check_equilibrium, off_path_reason


def number(x: Number) -> str | float:
    """One number as JSON wants it: exact as ``"p/q"``, float as a float."""
    if isinstance(x, Fraction):
        return show_number(x)
    return float(x)


def _optional(x: Number | None) -> str | float | None:
    return None if x is None else number(x)


def _behavior(b: Behavior | None) -> dict[str, str | float] | None:
    return None if b is None else {a: number(p) for a, p in b.items()}


class _Streamed(dict[str, Any]):
    """A mapping whose items are made while :mod:`json` writes them, never held together.

    Python's JSON encoder with ``indent`` asks a dict only for its length and
    its items, so this writes exactly what the equivalent dict writes.
    """

    def __init__(self, size: int, make: Callable[[], Iterator[tuple[str, Any]]]) -> None:
        super().__init__()
        self._size = size
        self._make = make

    def __len__(self) -> int:
        return self._size

    def items(self) -> Any:
        return self._make()


def _streamed_behavior(eq: Equilibrium) -> _Streamed:
    """``behavior`` of :func:`result_data`, set by set as it is written (the order of ``eq.behavior``)."""
    game, probabilities = eq.game, eq.probabilities

    def sets() -> Iterator[tuple[str, Any]]:
        for s in game.infosets.values():
            yield s.name, {a: number(probabilities[s.offset + k]) for k, a in enumerate(s.actions)}

    return _Streamed(len(game.infosets), sets)


def _streamed_outcomes(eq: Equilibrium) -> _Streamed:
    """``outcomes`` of :func:`result_data`, terminal by terminal as it is written."""
    names = eq.game.node_names

    def terminals() -> Iterator[tuple[str, Any]]:
        for t, r in zip(eq.game.terminals.tolist(), eq.reach, strict=True):
            yield names[t], number(r)

    return _Streamed(len(eq.reach), terminals)


def write_result(
    result: SolveResult, leader: Leader | None, count: dict[str, Any] | None, write: Callable[[str], Any]
) -> None:
    """Write :func:`dumps` of :func:`result_data` (with ``count`` when given) piece by piece.

    The same text, but the per-set and per-terminal parts are made while they
    are written and the text goes out in blocks of about a megabyte, so a
    game of a million nodes never holds its whole answer as dictionaries or
    as one string.
    """
    data = result_data(result, leader, streamed=True)
    if count is not None:
        data["count"] = count
    block: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data):
        block.append(chunk)
        size += len(chunk)
        if size >= 1 << 20:
            write("".join(block))
            block, size = [], 0
    block.append("\n")
    write("".join(block))


def result_data(result: SolveResult, leader: Leader | None = None, streamed: bool = False) -> dict[str, Any]:
    """The JSON object of one solve, as DESIGN.md specifies it.

    Each equilibrium also has ``beliefs``: for the information sets with
    several nodes that it reaches, node -> probability of being there;
    and :func:`off_path_data`: ``reached``, ``off_path``, ``refinement`` and
    ``sequential``. With ``streamed`` the parts that grow with the tree
    (``behavior``, ``outcomes``, ``reached``, ``off_path``) are made only while
    :mod:`json` writes them (for :func:`write_result`).
    """
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
                "behavior": _streamed_behavior(eq) if streamed else {
                    s: {a: number(p) for a, p in acts.items()} for s, acts in eq.behavior.items()
                },
                "outcomes": _streamed_outcomes(eq) if streamed else {
                    t: number(p) for t, p in eq.outcomes.items()
                },
                "beliefs": {
                    s: {n: number(p) for n, p in members.items()}
                    for s, members in shared_beliefs(result, eq).items()
                },
                "facts": {
                    key: {v: number(p) for v, p in values.items()}
                    for key, values in fact_probabilities(game, eq).items()
                },
                "max_regret": number(eq.max_regret),
                **off_path_data(result, eq, streamed),
            }
            for eq in result.equilibria
        ],
        "ties": list(result.ties),
        "warnings": list(result.warnings),
        **_refinement_data(result),
    }


def _refinement_data(result: SolveResult) -> dict[str, Any]:
    """``--refine intuitive``: the refinement, each kept equilibrium's check and the discarded ones.

    ``refine`` names it; ``intuitive`` holds one check per equilibrium, in
    order (:func:`policy.solvers.intuitive.details_data`); ``discarded`` the
    equilibria it rules out, each with ``behavior`` and ``intuitive``.
    """
    if result.details.get("refine") != "intuitive":
        return {}
    from policy.solvers.intuitive import details_data

    kept = result.details.get("intuitive", ())
    gone = result.details.get("discarded", ())
    assert isinstance(kept, tuple) and isinstance(gone, tuple)
    return {
        "refine": "intuitive",
        "intuitive": [details_data(c, number) for c in kept],
        "discarded": [
            {
                "behavior": {s: {a: number(p) for a, p in acts.items()} for s, acts in eq.behavior.items()},
                "payoffs": {p: number(v) for p, v in eq.payoffs.items()},
                "intuitive": details_data(c, number),
            }
            for eq, c in gone
        ],
    }


def off_path_data(result: SolveResult, eq: Equilibrium, streamed: bool = False) -> dict[str, Any]:
    """What an equilibrium does off its path, for JSON.

    ``reached``: information set -> whether the equilibrium reaches it with
    positive probability. ``off_path``: for each set it does not reach, why
    its ``behavior`` there can be read as a choice (``"quasi-perfect"``,
    ``"sequential"``), or null when nothing justifies it: then ``behavior``
    holds what the verified profile has there (a filler when the owner's own
    moves avoid the set, else a threat that need not be credible), not a
    choice. ``refinement``: what the solver promises beyond Nash, or null.
    ``sequential``: the sequential check (:mod:`policy.solvers.sequential`),
    ``verdict`` ``"yes"``, ``"no"`` or ``"not shown"``, with the ``infoset``
    and ``reason`` of a failure, and ``beliefs`` (consistent ones, node ->
    probability) at the unreached sets of several nodes when the verdict is
    yes.
    """
    check = check_equilibrium(result, eq)
    why = off_path_reason(eq, check)
    unreached = eq.unreached
    verdict = {True: "yes", False: "no", None: "not shown"}[check.verdict]
    names = result.game.infosets
    reached: dict[str, Any]
    off_path: dict[str, Any]
    if streamed:
        reached = _Streamed(len(names), lambda: ((s, s not in unreached) for s in names))
        off = sum(1 for s in names if s in unreached)
        off_path = _Streamed(off, lambda: ((s, why) for s in names if s in unreached))
    else:
        reached = {s: s not in unreached for s in names}
        off_path = {s: why for s in names if s in unreached}
    return {
        "reached": reached,
        "off_path": off_path,
        "refinement": eq.refinement or None,
        "sequential": {
            "verdict": verdict,
            "infoset": check.infoset,
            "reason": check.reason or None,
            "beliefs": {
                s: {n: number(p) for n, p in members.items()}
                for s, members in check.beliefs.items()
                if s in unreached and check.verdict
            },
        },
    }


def swap_data(swap: Swap) -> dict[str, Any]:
    """One swap of ``policy compare`` (see :class:`policy.analysis.compare.Swap`)."""
    data: dict[str, Any] = {
        "leader": swap.leader,
        "other": swap.other,
        "parameter": swap.parameter,
        "from": number(swap.before),
        "to": number(swap.after),
        "path_changes": swap.path_changes,
        "same_as_other": swap.same_as_other,
        "outcomes_change": swap.outcomes_change,
        "changes": [
            {"infoset": c.infoset, "player": c.player, "from": _behavior(c.before), "to": _behavior(c.after)}
            for c in swap.changes
        ],
        "path": None,
        "outcomes": None,
        "error": swap.error or None,
    }
    if swap.result is not None:
        eq = swap.result.equilibria[0]
        data["path"] = {s: _behavior(b) for s, b in on_path(swap.result, eq).items()}
        data["outcomes"] = {t: number(p) for t, p in eq.outcomes.items() if p != 0}
    return data


def comparison_data(comparisons: list[GameComparison]) -> dict[str, Any]:
    """The JSON object of ``policy compare``.

    Per game: ``results`` (leader key -> solve object, or null where the
    game could not be solved at the leader's values; then ``failures``,
    leader key -> why), ``path`` (leader key
    -> information set -> behaviour, for the sets the first equilibrium
    reaches, or null), ``facts`` (leader key -> fact -> value -> probability) and
    ``swaps`` (a list of :func:`swap_data` objects) and ``flips`` (leader
    key -> :func:`flip_data`), ``counts`` (leader key -> whether the equilibrium
    is the only one, :func:`policy.solvers.count.count_data`, with
    ``other_paths`` when several were listed); for a campaign, ``yardstick`` says in words what
    the facts add up (its end states), and ``instances`` lists the stage instances the paths and
    flips name, each with the stage outcomes before it (``after``) and the state variables it is
    played under where they differ from the start (``state``).
    """
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
                    leader.key: result_data(r, leader) if r is not None else None
                    for leader, r in zip(c.leaders, c.results, strict=True)
                },
                "path": {
                    leader.key: {s: _behavior(b) for s, b in on_path(r, r.equilibria[0]).items()}
                    if r is not None else None
                    for leader, r in zip(c.leaders, c.results, strict=True)
                },
                "facts": {
                    leader.key: {
                        fact: {v: number(p) for v, p in values.items()} for fact, values in facts.items()
                    }
                    for leader, facts in zip(c.leaders, c.facts, strict=True)
                },
                "swaps": [swap_data(s) for s in c.swaps],
                "flips": {
                    leader.key: flip_data(search)
                    for leader, search in zip(c.leaders, c.flips, strict=True)
                },
                "counts": {
                    leader.key: {**count_data(count), "other_paths": c.other_paths(k)}
                    for k, (leader, count) in enumerate(zip(c.leaders, c.counts, strict=True))
                },
                **_yardstick(c),
                **_failures(c),
            }
            for c in comparisons
        ],
    }


def _failures(c: GameComparison) -> dict[str, dict[str, str]]:
    """``failures`` (leader key -> why the game could not be solved at its values), when any did not."""
    failed = {leader.key: c.failure(k) for k, leader in enumerate(c.leaders) if c.failure(k)}
    return {"failures": failed} if failed else {}


def _yardstick(c: GameComparison) -> dict[str, Any]:
    """``yardstick`` (what the facts add up, in words) for a campaign, and ``seats`` (leader key ->
    whose seat their values fill, :meth:`policy.campaign.Campaign.seat`) when a leader stands in
    for the campaign's first profile, and ``instances`` (see :func:`comparison_data`); nothing for a
    plain game."""
    from policy.campaign import campaign_of

    campaign = campaign_of(c.game)
    if campaign is None:
        return {}
    seats = {leader.key: note for leader in c.leaders if (note := campaign.seat(leader.key, leader.name))}
    instances = []
    for k in instances_named(c):
        steps, state = campaign.story(k)
        instances.append({
            "name": campaign.instances[k].name,
            "stage": campaign.instances[k].stage,
            "after": [{"instance": inst, "terminal": terminal} for inst, terminal in steps],
            "state": {name: number(v) if isinstance(v, Fraction) else v for name, v in state.items()},
        })
    return {"yardstick": campaign.yardstick, **({"seats": seats} if seats else {}), "instances": instances}


def _digits(x: float, significant: int = 8) -> float:
    return float(f"{x:.{significant}g}")


def _supported(x: float, width: float) -> float:
    """``x`` known to within ``width``: rounded at the decimal place of ``width``'s first digit
    (so the bracket is at most one unit of the last digit kept), and to 8 significant digits at most."""
    if not (math.isfinite(width) and width > 0) or x == 0:
        return _digits(x)
    places = -math.floor(math.log10(width))
    return _digits(round(x, places))


def flip_data(search: FlipSearch) -> dict[str, Any]:
    """One leader's distances to a flip: the path, each parameter's nearest flip, the stable ones."""
    return {
        "path": search.path,
        "nearest": [
            {
                "parameter": f.parameter,
                "value": f.value,
                # Only the digits the search's final bracket supports (``Flip.tolerance``, its
                # width: about a millionth of the range, see policy.analysis.flip.RELATIVE_TOLERANCE,
                # for the flips confirmed; a big game's others are left at a wider bracket),
                # to the decimal place of the width's first digit; share_of_range likewise with
                # the width as a share of the range.
                "flips_at": _supported(f.boundary, f.tolerance),
                "change": _supported(f.change, f.tolerance),
                "share_of_range": _supported(f.share_of_range, f.tolerance / (f.high - f.low)),
                "to_path": f.path_after,
                "confirmed": f.confirmed,
            }
            for f in search.flips
        ],
        "stable": list(search.stable),
        "failed": dict(search.failed),
        # Only when the search was not run, so that earlier output keeps its shape.
        **({"skipped": search.skipped} if search.skipped else {}),
    }


def claim_data(claim: Claim) -> dict[str, Any]:
    """One claim of the catalogue, every field (absent ones as null)."""
    return {
        "id": claim.id,
        "kind": claim.kind,
        "status": claim.status,
        "summary": claim.summary,
        "post": claim.post,
        "author": claim.author,
        "quote": claim.quote,
        "source": claim.source,
        "bears_on": list(claim.bears_on),
        "why": claim.why,
    }


def claims_data(claims: Sequence[Claim], catalogue: str) -> dict[str, Any]:
    """The JSON object of ``policy claims``."""
    return {"catalogue": catalogue, "claims": [claim_data(c) for c in claims]}


def _cited(claims: Sequence[CitedClaim]) -> list[dict[str, Any]]:
    out = []
    for c in claims:
        item: dict[str, Any] = {"id": c.id, "cited_by": list(c.cited_by), "known": c.claim is not None}
        if c.claim is not None:
            item.update(
                {"status": c.claim.status, "kind": c.claim.kind, "summary": c.claim.summary, "why": c.claim.why}
            )
        out.append(item)
    return out


def _range(r: tuple[Fraction, Fraction] | None) -> list[str | float] | None:
    return None if r is None else [number(r[0]), number(r[1])]


def explanation_data(e: Explanation) -> dict[str, Any]:
    """The JSON object of ``policy explain``."""
    s = e.structure
    names: Mapping[str, str] = {leader.key: leader.name for leader in e.leaders}
    return {
        "file": e.file,
        "game": {"title": e.game.title, "players": list(e.game.players)},
        "description": e.description,
        "left_out": e.left_out,
        "catalogue": e.catalogue,
        "claims": _cited(e.game_claims),
        "leaders": [
            {
                "key": leader.key,
                "name": leader.name,
                "description": leader.description,
                "claims": _cited(claims),
            }
            for leader, (_, claims) in zip(e.leaders, e.leader_claims, strict=True)
        ],
        "parameters": {
            p.name: {
                "description": p.description,
                "default": _optional(p.default),
                "range": _range(p.range),
                "used": p.used,
                "values": {
                    v.leader: {
                        "value": _optional(v.value),
                        "given": v.given,
                        "range": _range(v.range),
                        "note": v.note or None,
                        "sources": list(v.sources),
                    }
                    for v in p.values
                },
                "claims": _cited(p.claims),
            }
            for p in e.parameters
        },
        "structure": {
            "summary": describe(s, names),
            "players": list(s.players),
            "root": s.root,
            "first": s.first or None,
            "perfect_information": s.perfect_information,
            "nodes": s.num_nodes,
            "terminals": s.num_terminals,
            "chance_nodes": s.num_chance,
            "chance": [
                {
                    "node": c.node,
                    "after": list(c.history),
                    "probabilities": dict(c.probabilities),
                    "values": {
                        key: {a: _optional(v) for (a, _), v in zip(c.probabilities, vals, strict=True)}
                        for key, vals in c.values
                    },
                }
                for c in s.chance
            ],
            "information_sets": [
                {
                    "name": d.infoset,
                    "player": d.player,
                    "actions": list(d.actions),
                    "nodes": list(d.nodes),
                    "after": list(d.history) if len(d.nodes) == 1 else None,
                    "unknown": [{"mover": m, "actions": list(a)} for m, a in d.unknown],
                }
                for d in s.decisions
            ],
            "facts": {k: list(v) for k, v in s.facts},
        },
    }


def dumps(data: dict[str, Any]) -> str:
    """Pretty, stable JSON text."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def regions_data(result: Any) -> dict[str, Any]:
    """``policy regions --format json``: each region with its path and exact bounds, and the boundaries.

    Exact numbers are strings (``"9/25"``, ``"sqrt(2)"``); each also has a
    float under ``approx``. ``result`` is a :class:`policy.analysis.regions.RegionsResult`.
    """

    def point(p: Any) -> dict[str, Any]:
        return {"value": p.text if p.exact else None, "approx": float(p), "exact": bool(p.exact)}

    def end(e: Any) -> dict[str, Any] | None:
        return None if e is None else {**point(e.point), "closed": bool(e.closed)}

    return {
        "game": {"title": result.game.title, "players": list(result.game.players)},
        "parameters": list(result.parameters),
        "box": {n: [str(lo), str(hi)] for n, (lo, hi) in zip(result.parameters, result.box, strict=True)},
        "fixed": {k: str(v) for k, v in result.fixed.items()},
        "exact": result.exact,
        "complete": result.complete,
        "warnings": list(result.warnings),
        "regions": [
            {
                "path": list(r.path),
                "text": r.text,
                "undefined": r.undefined or None,
                "parts": [
                    {
                        "profile": list(part.profile.choices),
                        "low": end(part.low),
                        "high": end(part.high),
                        "inequalities": [q.text for q in part.inequalities],
                        "sample": {k: str(v) for k, v in part.sample.items()},
                    }
                    for part in r.parts
                ],
            }
            for r in result.regions
        ],
        "boundaries": [
            {
                "parameter": b.parameter,
                **point(b.point),
                "kind": b.kind,
                "left_path": None if b.left_path is None else list(b.left_path),
                "right_path": None if b.right_path is None else list(b.right_path),
                "at_point": None if b.at_point is None else list(b.at_point),
                "text": b.text,
            }
            for b in result.boundaries
        ],
    }
