"""``solve --format json`` writes its answer as it goes: the same bytes as the whole-text ``dumps``.

The streamed writer (:func:`policy.render.data.write_result`) must give
exactly the text of ``dumps(result_data(...))`` plus a newline, for every
kind of answer: exact and float, perfect information and information sets,
one and several equilibria, with and without the uniqueness count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policy.api import solve
from policy.render.data import dumps, result_data, write_result
from policy.solvers.count import count_data

DATA = Path(__file__).parent / "data"
GAMES = Path(__file__).parent.parent / "games"

CASES = [
    (GAMES / "diplomacy_1939.toml", "stalin", "spe", True),
    (GAMES / "diplomacy_1939.toml", "stalin", "spe", False),
    (GAMES / "coup_1937.toml", None, "spe", True),
    (DATA / "stages.efg", None, "spe", False),
    (DATA / "bayes.efg", None, "lcp", True),
    (DATA / "beer_quiche.toml", None, "enummixed", True),
    (DATA / "e02.nfg", None, "enumpure", True),
    (DATA / "three.nfg", None, "enumpure", False),
]


@pytest.mark.parametrize(("path", "leader", "method", "exact"), CASES, ids=lambda x: getattr(x, "name", str(x)))
@pytest.mark.parametrize("counted", [False, True])
def test_streamed_json_is_the_whole_text(path, leader, method, exact, counted):
    solution = solve(str(path), leader, method, {}, exact=exact)
    result, profile = solution.result, solution.leader
    count = count_data(solution.count()) if counted else None
    data = result_data(result, profile)
    if count is not None:
        data["count"] = count
    pieces: list[str] = []
    write_result(result, profile, count, pieces.append)
    assert "".join(pieces) == dumps(data) + "\n"
