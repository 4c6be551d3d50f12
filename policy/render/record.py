"""A scored record (:class:`policy.analysis.record.RecordScore`) as a table or as JSON data."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from policy.analysis.record import RecordScore
from policy.render.data import number
from policy.render.text import _render, _row, _table, fmt

#: Methods whose float solve selects the equilibrium their exact one does: qpe's float
#: run follows the exact path, spe takes qpe (or logit) in its subgames in both, and
#: logit and gnm solve in floats in both (exact mode only rounds their answer).
SELECT_ALIKE = frozenset({"spe", "qpe", "logit", "gnm"})


def _share(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def record_table(score: RecordScore, width: int | None = None, colour: bool | None = None) -> str:
    """The record move by move against the equilibrium, then Monte Carlo, parameters and QRE."""
    who = score.leader.name if score.leader else "the parameters' defaults"
    head = [
        f"{score.record.title}  [{score.record.file}]",
        f"{score.game.title}, under {who}; equilibrium by {score.method}",
        "Reproduced: the probability that the players make the recorded choices, "
        "given the recorded chance moves (1: the equilibrium path follows the record).",
        *[f"The recorded chance move {m.move.place} = {m.move.action} has probability 0 at these values: "
          "the record cannot happen here, and the moves after it are scored as if it had."
          for m in score.moves if m.impossible],
        "",
    ]
    moves = _table("Move by move", "move", "recorded", "equilibrium", "reproduced",
                   *(["Monte Carlo"] if score.samples else []))
    for m in score.moves:
        place = m.move.place + (f" [{', '.join(m.nodes)}]" if len(m.nodes) <= 2 else f" [{len(m.nodes)} nodes]")
        if m.chance:
            cells = [place, m.move.action, "(chance)", "given; probability 0 here" if m.impossible else "given"]
            if score.samples:
                cells.append("")
        else:
            eq = m.move.action if m.probability == 1 else (m.chosen or "mixed")
            cells = [place, m.move.action, eq, fmt(m.probability)]  # type: ignore[arg-type]
            if score.samples:
                cells.append(_share(m.monte_carlo))
        _row(moves, *cells)
    joint = _table("Jointly and by stage", "moves", "reproduced",
                   *(["Monte Carlo", "95% interval"] if score.samples else []))

    def drawn(key: str, mean: float | None) -> list[str]:
        if not score.samples:
            return []
        low, high = score.intervals_mc.get(key, (None, None))
        return [_share(mean), "-" if low is None or high is None else f"{_share(low)} to {_share(high)}"]

    _row(joint, "all", fmt(score.joint), *drawn("", score.joint_mc))
    for stage, p in score.by_stage.items():
        if stage:
            _row(joint, f"stage {stage}", fmt(p), *drawn(stage, score.by_stage_mc.get(stage)))
    tables: list[object] = [Text("\n".join(head)), moves, joint]
    if score.samples:
        tables.append(Text(f"Monte Carlo: {score.samples} draws from the profile's declared uncertainty (seed {score.seed}); "
                           "the interval is that of the mean over the draws.\n"))
        if score.method not in SELECT_ALIKE and not score.game.is_perfect_information:
            tables.append(Text(
                f"The draws are solved in floats, the point above exactly (method {score.method}). Where the\n"
                "game has several equilibria the two may count different ones (policy solve --float gives\n"
                "the draws' one; --method spe or qpe select alike in both).\n"))
    if score.effects:
        eff = _table("Parameters that most change it", "parameter", "value", "range", "nearest value that reproduces",
                     "distance", "share of range", "spread")
        # Names whole (the other columns wrap instead): two parameters may share a long
        # prefix (p_japan_joins_1939 and _1941).
        eff.columns[0].no_wrap = True
        for e in score.effects:
            _row(eff, e.name, f"{e.value:.6g}", f"[{e.low:.6g}, {e.high:.6g}]",
                 "none in range" if e.nearest is None else f"{e.nearest:.6g}",
                 _share(e.distance), _share(e.share), f"{e.spread:.3g}")
        tables.append(eff)
        tables.append(Text("distance: the change to the nearest value at which the equilibrium reproduces the record, "
                      "as a share of the range; share of range: where it does (the rest at the profile's values); "
                      "spread: how much the probability of the record moves over the range.\n"))
    if score.quantal is not None:
        q = score.quantal
        how = "fitted (the most likely)" if q.fitted else "given"
        text = (f"Logit QRE at lambda {q.lam:.6g} ({how}): likelihood of the recorded choices {q.likelihood:.6g} "
                f"(log {q.log_likelihood:.6g})")
        stages = "; ".join(f"{s}: {p:.6g}" for s, p in q.by_stage.items() if s)
        tables.append(Text(text + (f"; by stage {stages}" if stages else "") + "\n"))
    return _render(tables, width=width, colour=colour)


def record_data(score: RecordScore) -> dict[str, Any]:
    """The scored record as plain data for JSON (exact numbers as strings)."""
    return {
        "record": {"title": score.record.title, "file": score.record.file},
        "game": {"title": score.game.title, "players": list(score.game.players)},
        "leader": score.leader.key if score.leader else None,
        "parameters": {k: number(v) for k, v in sorted(score.parameters.items())},
        "method": score.method,
        "yardstick": "probability that the players make the recorded choices, given the recorded chance moves",
        "reproduced": score.reproduced,
        "joint": number(score.joint),
        "by_stage": {s: number(p) for s, p in score.by_stage.items() if s},
        "moves": [
            {
                "stage": m.move.stage,
                "infoset": m.move.infoset,
                "node": m.move.node,
                "action": m.move.action,
                "nodes": list(m.nodes),
                "chance": m.chance,
                "impossible": m.impossible,
                "reproduced": None if m.probability is None else number(m.probability),
                "equilibrium_choice": m.chosen,
                "monte_carlo": m.monte_carlo,
            }
            for m in score.moves
        ],
        "monte_carlo": None if not score.samples else {
            "samples": score.samples,
            "seed": score.seed,
            "joint": score.joint_mc,
            "joint_interval": list(score.intervals_mc[""]) if "" in score.intervals_mc else None,
            "by_stage": {s: p for s, p in score.by_stage_mc.items() if s},
            "by_stage_interval": {s: list(v) for s, v in score.intervals_mc.items() if s},
        },
        "parameters_effect": [
            {
                "name": e.name, "value": e.value, "range": [e.low, e.high], "nearest": e.nearest,
                "distance": e.distance, "share": e.share, "spread": e.spread,
            }
            for e in score.effects
        ],
        "quantal": None if score.quantal is None else {
            "lambda": score.quantal.lam,
            "fitted": score.quantal.fitted,
            "likelihood": score.quantal.likelihood,
            "log_likelihood": score.quantal.log_likelihood if math.isfinite(score.quantal.log_likelihood) else None,
            "by_stage": {s: p for s, p in score.quantal.by_stage.items() if s},
        },
    }
