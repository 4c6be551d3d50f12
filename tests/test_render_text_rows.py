"""The outcome rows of the side-by-side table (:func:`policy.render.text.compare_rows`).

The rows go through the terminals some leader reaches, found by the truth of
an exact reach (a product of probabilities, never negative) and by ``> 0``
for a float one; they must be the terminals, in order, where some reach is
positive, whatever the mix of exact, float and failed solves.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.analysis.compare import GameComparison
from policy.leaders import Leader
from policy.render.text import compare_rows, fmt
from policy.solvers import solve
from tests.games import imperfect_games


def outcome_rows(rows: list[tuple[str, list[str]]]) -> list[list[str]]:
    start = rows.index(("Outcome probabilities", []))
    out = []
    for _label, cells in rows[start + 1 :]:
        if not cells:
            break
        out.append(cells)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=30), st.lists(st.sampled_from(["exact", "float", "failed"]),
                                                             min_size=1, max_size=3))
def test_outcome_rows_are_the_terminals_some_leader_reaches(game, kinds):
    results = tuple(None if k == "failed" else solve(game, {}, method="lcp", exact=k == "exact") for k in kinds)
    leaders = tuple(Leader(key=f"l{k}", name=f"L{k}", description="", values={}) for k in range(len(kinds)))
    c = GameComparison(game, "g.toml", leaders, results, failures=tuple("no" if r is None else "" for r in results))
    first = [r.equilibria[0] if r is not None else None for r in results]
    expected = []
    for i in range(len(game.terminals)):
        probs = [eq.reach[i] if eq is not None else 0 for eq in first]
        if any(p > 0 for p in probs):
            expected.append([fmt(p) if eq is not None else "cannot solve" for p, eq in zip(probs, first, strict=True)])
    assert outcome_rows(compare_rows(c)) == expected
