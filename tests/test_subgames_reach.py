"""The reach of each terminal that an exact spe solve puts in its equilibrium.

``subgames._reach_of_terminals`` finds the nodes reached first and, when they
are few, multiplies out only their reach in ``Fraction`` objects; otherwise
it multiplies level by level on integer arrays. Both must give
:func:`policy.solvers.verify.reach_probabilities` at the terminals.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import rational
from policy.solvers import subgames
from policy.solvers.verify import edge_weights, reach_probabilities
from tests.games import behaviors, imperfect_games


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([0, 1, subgames._FEW_REACHED]))
def test_reach_of_terminals_is_the_reach_of_every_node_at_the_terminals(data, few):
    game = data.draw(imperfect_games(players=(2, 3), max_nodes=40))
    probs = data.draw(behaviors(game))
    numbers = game.numbers({}, exact=True)
    weight = edge_weights(game, numbers, probs)
    wnum, wden = rational.split(weight.tolist())
    expected = reach_probabilities(game, weight)[game.terminals].tolist()
    saved = subgames._FEW_REACHED
    subgames._FEW_REACHED = few
    try:
        got = subgames._reach_of_terminals(game, wnum, wden)
    finally:
        subgames._FEW_REACHED = saved
    assert list(got) == expected
    assert all(type(x) is Fraction for x in got)


@pytest.mark.parametrize("few", [0, subgames._FEW_REACHED])
def test_unreduced_weights_and_a_root_weight_below_one(few, monkeypatch):
    """Weights not in lowest terms (2/4) and the root's own weight count as their values."""
    from policy.model import NodeKind, game_from_arrays

    c, t = int(NodeKind.CHANCE), int(NodeKind.TERMINAL)
    game = game_from_arrays("g", ["A"], [2, 0, 2, 0, 0], [c, t, c, t, t], [-1] * 5,
                            [[1], [2], [3]], {0: [Fraction(1, 2)] * 2, 2: [Fraction(1, 3), Fraction(2, 3)]})
    wnum = np.array([3, 2, 2, 0, 4], dtype=np.int64)
    wden = np.array([4, 4, 2, 5, 6], dtype=np.int64)
    monkeypatch.setattr(subgames, "_FEW_REACHED", few)
    got = subgames._reach_of_terminals(game, wnum, wden)
    assert got == (Fraction(3, 8), Fraction(0), Fraction(3, 4) * Fraction(2, 3))
