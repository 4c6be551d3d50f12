"""Sweep results as a table, JSON, or CSV of samples."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from policy.analysis.sweep import ROW_TERMINALS, SweepResult, fact_columns
from policy.model import Game
from policy.render.text import _render, _row, _table


def _pct(x: float) -> str:
    if 0 < x < 0.0005:
        return "<0.1%"
    if 0.9995 < x < 1:
        return ">99.9%"
    return f"{100 * x:.1f}%"


def outcome_names(result: SweepResult) -> dict[str, str]:
    """Terminal node name -> outcome label."""
    game = result.game
    out = {}
    for t in game.terminals.tolist():
        o = int(game.outcome[t])
        out[game.node_names[t]] = game.outcomes[o].label if o >= 0 else game.node_names[t]
    return out


def runs(result: SweepResult) -> list[tuple[float, float, str]]:
    """For a one-parameter grid: consecutive stretches of the grid with the same equilibrium path."""
    if len(result.varied) != 1 or not result.done:
        return []
    x = result.samples[result.varied[0]][: result.done]
    order = np.argsort(x, kind="stable")
    out: list[tuple[float, float, str]] = []
    for k in order.tolist():
        path = result.path_words[int(result.path_index[k])]
        if out and out[-1][2] == path:
            out[-1] = (out[-1][0], float(x[k]), path)
        else:
            out.append((float(x[k]), float(x[k]), path))
    return out


def sweep_table(results: Sequence[SweepResult], width: int | None = None) -> str:
    """Paths, outcomes (with 95% intervals) and facts of one or more sweeps."""
    tables: list[object] = []
    for r in results:
        grid = bool(r.varied)
        head = f"{r.game.title}\n{r.leader or 'defaults'}: {r.done} "
        head += f"grid points over {', '.join(r.varied)}" if grid else "Monte Carlo samples"
        head += f", method {r.method}"
        if r.error:
            head += f" (stopped by an error after {r.done} of {r.requested}: {r.error})"
        elif r.interrupted:
            head += f" (interrupted: {r.done} of {r.requested} solved)"
        if r.failed:
            head += f"\n{len(r.failed)} of them failed to solve (listed below); the means are over the {r.solved} solved"
        tables.append(head + "\n")
        if len(r.varied) == 1:
            t = _table("Equilibrium path along the grid", r.varied[0], "path")
            for lo, hi, path in runs(r):
                _row(t, f"{lo:.6g}" if lo == hi else f"{lo:.6g} to {hi:.6g}", path)
            tables.append(t)
        shares = r.path_shares()
        t = _table("Equilibrium paths", "share", "path")
        for path, share in shares[:PATHS_SHOWN]:
            _row(t, _pct(share), path)
        if len(shares) > PATHS_SHOWN:
            rest = sum(share for _, share in shares[PATHS_SHOWN:])
            _row(t, _pct(rest), f"{len(shares) - PATHS_SHOWN:,} other paths (all in --format json or csv)")
        tables.append(t)
        names = outcome_names(r)
        if grid:
            t = _table("Outcomes (mean over the grid)", "probability", "outcome")
        else:
            t = _table("Outcomes (mean, 95% interval)", "probability", "interval", "outcome")
        ranked = [(node, m) for node, m in sorted(r.outcome_probabilities().items(), key=lambda kv: -kv[1][0])
                  if m[0] > 0]
        # A label several terminals share (a campaign's stage in many states) gets its node.
        shared = {label for label, k in Counter(names[node] for node, _ in ranked).items() if k > 1}
        for node, (mean, lo, hi) in ranked[:OUTCOMES_SHOWN]:
            label = f"{names[node]} [{node}]" if names[node] in shared and names[node] != node else names[node]
            _row(t, _pct(mean), *(() if grid else (f"{_pct(lo)} to {_pct(hi)}",)), label)
        if len(ranked) > OUTCOMES_SHOWN:
            rest = sum(m[0] for _, m in ranked[OUTCOMES_SHOWN:])
            _row(t, _pct(rest), *(() if grid else ("",)),
                      f"{len(ranked) - OUTCOMES_SHOWN:,} other outcomes (all in --format json or csv"
                      + ("; the facts below add them up)" if r.facts.shape[1] else ")"))
        tables.append(t)
        facts = r.fact_probabilities()
        if facts:
            t = _table("Facts", "fact", "value", "probability", *(() if grid else ("interval",)))
            for key, values in facts.items():
                for value, (mean, lo, hi) in sorted(values.items(), key=lambda kv: -kv[1][0]):
                    if mean > 0:
                        _row(t, key, value, _pct(mean), *(() if grid else (f"{_pct(lo)} to {_pct(hi)}",)))
            tables.append(t)
        if r.failed:
            tables.append(_failures_table(r))
        if r.tie.any():
            tables.append(
                f"Ties: in {_pct(r.tie_share())} of samples a mover on the path is indifferent\n"
                "(a boundary between regions); the first best action is shown.\n"
            )
        note = selection_note(r.method, r.game)
        if note is not None:
            tables.append(note)
    return _render(tables, width)


#: Paths listed in the text table (a campaign's sweep may take thousands).
PATHS_SHOWN = 20
#: Outcomes listed in the text table, likeliest first (a campaign has tens of thousands).
OUTCOMES_SHOWN = 40
#: Failed samples listed in the text table and in the JSON.
FAILURES_SHOWN = 5
FAILURES_IN_JSON = 1000


def failures(result: SweepResult, most: int | None = None) -> list[tuple[int, dict[str, float], str]]:
    """The failed samples, first ``most`` of them: (position, values of the varied parameters, why)."""
    names = result.varied or tuple(sorted(result.samples))
    found = sorted(result.failed)[:most]
    return [(k, {n: float(result.samples[n][k]) for n in names}, result.failed[k]) for k in found]


def _failures_table(result: SweepResult) -> object:
    t = _table("Samples that failed to solve", "sample", "values", "why")
    for k, values, why in failures(result, FAILURES_SHOWN):
        _row(t, str(k), ", ".join(f"{n} = {x:.6g}" for n, x in values.items()), why)
    if len(result.failed) > FAILURES_SHOWN:
        _row(t, "", "", f"and {len(result.failed) - FAILURES_SHOWN:,} more (all in --format csv)")
    return t

#: How each method picks among several equilibria, for the note under a sweep.
SELECTIONS = {
    "spe": "the first best action at a tie, and in each proper subgame with imperfect information "
           "the one its method selects (qpe's in a two-player one)",
    "qpe": "a quasi-perfect equilibrium, the end of Lemke's path on the perturbed problem from its fixed start",
    "lcp": "the end of Lemke's path from its fixed start",
    "lp": "the solution the linear program finds (all give the game's value)",
    "logit": "the limit of the logit quantal response path from uniform play",
    "gnm": "the first equilibrium on the global Newton path of its seeded perturbation",
    "simpdiv": "the end of simplicial subdivision from its fixed start",
}


def selection_note(method: str, game: Game) -> str | None:
    """Which equilibrium a sweep counts where a sample's game has several, or None
    where only one can be met (backward induction on a game of perfect information)."""
    if method == "spe" and game.is_perfect_information:
        return None
    rule = SELECTIONS.get(method, "the first one it lists (policy solve lists them all)")
    return (
        f"Where a sample's game has several equilibria, the one counted is the one {method} "
        f"selects: {rule}, as policy solve --method {method} --float returns it.\n"
    )


def sweep_data(result: SweepResult, seed: int | None = None) -> dict[str, Any]:
    """A sweep's summary as one JSON-ready object."""
    names = outcome_names(result)
    data: dict[str, Any] = {
        "game": {"title": result.game.title, "players": list(result.game.players)},
        "leader": result.leader or None,
        "method": result.method,
        "samples": result.requested,
        "done": result.done,
        "interrupted": result.interrupted,
        "varied": list(result.varied),
        "seed": seed,
        "paths": [{"path": p, "share": s} for p, s in result.path_shares()],
        "choices": result.choice_shares(),
        "outcomes": {
            node: {"label": names[node], "probability": m, "low": lo, "high": hi}
            for node, (m, lo, hi) in result.outcome_probabilities().items()
        },
        "facts": {
            key: {v: {"probability": m, "low": lo, "high": hi} for v, (m, lo, hi) in values.items()}
            for key, values in result.fact_probabilities().items()
        },
        "payoffs": dict(zip(result.game.players, result.mean_payoffs(), strict=True)),
        "tie_share": result.tie_share(),
        "solved": result.solved,
        "failed": len(result.failed),
        "failures": [{"sample": k, "values": v, "reason": why}
                     for k, v, why in failures(result, FAILURES_IN_JSON)],
        "error": result.error or None,
    }
    if len(result.varied) == 1:
        data["runs"] = [{"from": lo, "to": hi, "path": p} for lo, hi, p in runs(result)]
    return data


def sweeps_json(results: Sequence[SweepResult], seed: int | None = None) -> str:
    data: Any = sweep_data(results[0], seed) if len(results) == 1 else [sweep_data(r, seed) for r in results]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


#: Rows of CSV made at a time: output is written, and Ctrl-C can stop it, between chunks.
CSV_ROWS = 4096


def _csv_cell(text: str) -> str:
    """``text`` as one CSV cell, quoted as :mod:`csv` quotes it when it must be."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([text])
    return out.getvalue()


def sweep_csv_chunks(results: Sequence[SweepResult]) -> Iterator[str]:
    """The CSV of :func:`sweep_csv` in pieces of at most :data:`CSV_ROWS` rows, the header first.

    A sweep of millions of samples makes gigabytes of CSV; written chunk by
    chunk it never has to be held in memory whole. The rows are made column
    by column (numbers as ``repr`` of the float, so they read back exactly;
    text cells quoted as :mod:`csv` would), which is several times faster
    than a ``csv.writer`` row by row.

    A game of at most :data:`policy.analysis.sweep.ROW_TERMINALS` terminals
    gets one column per terminal. A bigger one (a spliced campaign: tens of thousands of
    terminals, nearly all unreached in a given sample) gets instead one
    column per value of each fact, headed ``fact=value``: the probability
    of that end state in the sample.
    """
    first = results[0]
    params = sorted(first.samples)
    per_terminal = all(r.rows is not None and len(r.game.terminals) <= ROW_TERMINALS for r in results)
    if per_terminal:
        outcomes = [first.game.node_names[t] for t in first.game.terminals.tolist()]
    else:
        outcomes = [f"{key}={value}" for key, value in fact_columns(first.game)[0]]
    header = ["leader", "sample", *params, "path", *outcomes, *(f"payoff_{p}" for p in first.game.players), "tie"]
    yield ",".join(map(_csv_cell, header)) + "\n"
    for r in results:
        leader = _csv_cell(r.leader)
        words = [_csv_cell(w) for w in r.path_words]
        for start in range(0, r.done, CSV_ROWS):
            stop = min(r.done, start + CSV_ROWS)
            columns: list[Iterable[str]] = [
                itertools.repeat(leader, stop - start),
                map(str, range(start, stop)),
                *(map(repr, r.samples[p][start:stop].tolist()) for p in params),
                (words[k] for k in r.path_index[start:stop].tolist()),
                *(map(repr, col) for col in _outcome_rows(r, per_terminal, start, stop).T.tolist()),
                *(map(repr, col) for col in r.payoffs[start:stop].T.tolist()),
                map(str, r.tie[start:stop].astype(np.int8).tolist()),
            ]
            lines = [",".join(row) + "\n" for row in zip(*columns, strict=True)]
            for k in (k for k in r.failed if start <= k < stop):  # no outcome, no payoffs: the reason
                cells = [leader, str(k), *(repr(float(r.samples[p][k])) for p in params)]
                lines[k - start] = ",".join(
                    [*cells, _csv_cell(f"failed: {r.failed[k]}"), *[""] * (len(header) - len(cells) - 2), "0"]
                ) + "\n"
            yield "".join(lines)


def _outcome_rows(result: SweepResult, per_terminal: bool, start: int, stop: int) -> np.ndarray:
    if per_terminal:
        assert result.rows is not None
        return result.rows.rows(start, stop)
    return result.facts[start:stop]


def sweep_csv(results: Sequence[SweepResult]) -> str:
    """One row per sample: leader, parameter values, path, outcome probabilities, payoffs, tie."""
    return "".join(sweep_csv_chunks(results))
