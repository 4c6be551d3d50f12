"""The result types: :class:`policy.solvers.result.Equilibrium` and what reads it."""

from __future__ import annotations

import json

import pytest

from policy.render.data import result_data
from policy.render.text import solve_table
from policy.solvers import solve
from policy.solvers.result import Equilibrium
from tests.games import chain


def test_behavior_matches_the_probability_vector():
    game = chain(4)
    eq = solve(game, {}).equilibria[0]
    for s in game.infosets.values():
        assert eq.behavior[s.name] == {
            a: eq.probabilities[s.offset + k] for k, a in enumerate(s.actions)
        }
    assert eq.choice("d0") == "stop"


def test_table_builds_the_behavior_once(monkeypatch):
    # The hardening issue: the table looked up eq.behavior[...] per information
    # set, rebuilding the whole mapping each time (19 s for a 3,000-node chain,
    # against 1.1 s as JSON). It is now built once per equilibrium.
    calls = []
    build = Equilibrium._build_behavior

    def counted(self: Equilibrium) -> dict[str, dict[str, object]]:
        calls.append(1)
        return build(self)

    monkeypatch.setattr(Equilibrium, "_build_behavior", counted)
    game = chain(1500)
    assert game.num_nodes == 3001
    result = solve(game, {})
    table = solve_table(result, width=100, colour=False)
    assert table.count("(unreached; sequential)") == 1499
    data = result_data(result)
    assert len(json.loads(json.dumps(data, default=str))["equilibria"][0]["behavior"]) == 1500
    assert len(calls) == len(result.equilibria) == 1


@pytest.mark.slow
def test_table_of_a_long_chain_finishes():
    # 10^5 nodes: did not finish in 300 s before.
    result = solve(chain(50_000), {})
    assert solve_table(result, width=100, colour=False).count("(unreached; sequential)") == 49_999
