"""Checking behaviour profiles: values, reach, subgame regret and Nash regret.

Profiles are written by hand as flat behaviour vectors; random ones are compared
with the reference evaluation of tests/conftest.py.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.gamefile import loads_game
from policy.model import build_game
from policy.solvers.verify import (
    edge_weights,
    nash_regret,
    reach_probabilities,
    subgame_regret,
    subgame_values,
)
from tests.conftest import (
    FLOAT_TOL,
    chance,
    doc_example,
    games_with_values,
    profile_vector,
    reference_gains,
    reference_reach,
    reference_values,
    terminal,
)


@pytest.fixture
def entry():
    return loads_game(doc_example(), known_claims=[])


VALUES = {"fight_cost": Fraction(1)}


def check(game, choices, exact=True):
    """(numbers, weights, values) of a pure profile given as infoset -> action."""
    numbers = game.numbers(VALUES, exact=exact)
    probs = profile_vector(game, choices)
    if not exact:
        probs = [float(p) for p in probs]
    weight = edge_weights(game, numbers, probs)
    return numbers, weight, subgame_values(game, numbers, weight)


def test_edge_weights_and_values_of_a_hand_profile(entry):
    numbers, weight, values = check(entry, {"entry": "enter", "response": "fight"})
    by_name = dict(zip(entry.node_names, weight.tolist(), strict=True))
    assert by_name == {"entry": 1, "response": 1, "out": 0, "war": 1, "shared": 0}
    assert values[entry.nodes["response"].index].tolist() == [-1, -1]
    assert values[0].tolist() == [-1, -1]
    reach = reach_probabilities(entry, weight)
    assert reach[entry.terminals].tolist() == [0, 1, 0]


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_subgame_regret_finds_the_incredible_threat(entry, exact):
    # Entrant stays out because the incumbent would fight: at 'response' the
    # incumbent would get 1 by accommodating instead of -1, a regret of 2.
    numbers, weight, values = check(entry, {"entry": "stay_out", "response": "fight"}, exact)
    regret, where = subgame_regret(entry, values)
    assert regret == 2
    assert entry.node_names[where] == "response"


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_nash_but_not_subgame_perfect(entry, exact):
    # (stay out, fight) is a Nash equilibrium: fighting is never tested, and
    # entering against it would cost the entrant -1 < 0. It is not subgame-perfect.
    numbers, weight, values = check(entry, {"entry": "stay_out", "response": "fight"}, exact)
    assert nash_regret(entry, numbers, weight, values) == 0
    assert subgame_regret(entry, values)[0] > 0


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_not_even_nash(entry, exact):
    # (enter, fight): the incumbent gains 2 by accommodating, the entrant 1 by staying out.
    numbers, weight, values = check(entry, {"entry": "enter", "response": "fight"}, exact)
    assert nash_regret(entry, numbers, weight, values) == 2


def test_the_subgame_perfect_profile_has_no_regret(entry):
    numbers, weight, values = check(entry, {"entry": "enter", "response": "accommodate"})
    assert subgame_regret(entry, values)[0] == 0
    assert nash_regret(entry, numbers, weight, values) == 0
    assert values[0].tolist() == [1, 1]


def test_mixed_profile_values(entry):
    # Incumbent fights with probability 1/4: entering is worth 1/4*(-1) + 3/4*1 = 1/2.
    numbers = entry.numbers(VALUES)
    probs = [Fraction(1), Fraction(0), Fraction(1, 4), Fraction(3, 4)]
    weight = edge_weights(entry, numbers, probs)
    values = subgame_values(entry, numbers, weight)
    assert values[0].tolist() == [Fraction(1, 2), Fraction(1, 2)]
    # The incumbent would get 1 by accommodating for sure, not 1/2: regret 1/2.
    assert subgame_regret(entry, values) == (Fraction(1, 2), entry.nodes["response"].index)
    reach = reach_probabilities(entry, weight)[entry.terminals]
    assert reach.tolist() == [0, Fraction(1, 4), Fraction(3, 4)]


def test_no_decision_nodes():
    game = build_game("lottery", ["A"], [
        chance("root", {"win": "1/3", "lose": "2/3"}, win="w", lose="l"),
        terminal("w", 3), terminal("l", 0),
    ])
    numbers = game.numbers({})
    weight = edge_weights(game, numbers, [])
    values = subgame_values(game, numbers, weight)
    assert values[0].tolist() == [1]
    regret, where = subgame_regret(game, values)
    assert (regret, where) == (0, -1)
    assert nash_regret(game, numbers, weight, values) == 0


@st.composite
def games_and_profiles(draw):
    """A random game and a random (mixed) behaviour profile for it."""
    game, values = draw(games_with_values(max_nodes=30, symbolic=True, interior_payoffs=True))
    probs = []
    for s in game.infosets.values():
        weights = draw(st.lists(st.integers(0, 3), min_size=len(s.actions),
                                max_size=len(s.actions)))
        if not any(weights):
            weights[draw(st.integers(0, len(weights) - 1))] = 1
        probs += [Fraction(w, sum(weights)) for w in weights]
    return game, values, probs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_and_profiles())
def test_verify_agrees_with_the_reference_evaluation(case):
    game, values, probs = case
    numbers = game.numbers(values, exact=True)
    weight = edge_weights(game, numbers, probs)
    got = subgame_values(game, numbers, weight)
    assert got.tolist() == reference_values(game, numbers, probs)
    reach = reach_probabilities(game, weight)[game.terminals]
    assert reach.tolist() == reference_reach(game, numbers, probs)
    gains = reference_gains(game, numbers, probs)
    assert nash_regret(game, numbers, weight, got) == max(gains[0])
    # One-node deviations find a regret exactly when some subgame has one.
    regret, where = subgame_regret(game, got)
    assert (regret == 0) == (max(max(row) for row in gains) == 0)
    if where >= 0:
        best = max(got[c][game.player[where]] for c in game.children_of(where))
        assert regret == best - got[where][game.player[where]]
    # Float mode gives the same numbers.
    fnumbers = game.numbers(values, exact=False)
    fweight = edge_weights(game, fnumbers, [float(p) for p in probs])
    fgot = subgame_values(game, fnumbers, fweight)
    assert fgot.ravel().tolist() == pytest.approx(
        [float(x) for x in got.ravel()], abs=FLOAT_TOL
    )
    assert float(nash_regret(game, fnumbers, fweight, fgot)) == pytest.approx(
        float(max(gains[0])), abs=FLOAT_TOL
    )
