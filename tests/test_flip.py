"""Distance to a flip: the nearest parameter change that changes the equilibrium path."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policy.analysis.compare import path_text
from policy.analysis.flip import distances_to_flip
from policy.gamefile import loads_game
from policy.leaders import load_leader, resolve

# This module's hand-computed values were derived from the scenario as it stood
# before the review (tests/conftest.py SCENARIO_V1), so it keeps using it.
pytestmark = pytest.mark.usefixtures("scenario_v1")


GAMBLE = """
[game]
title = "Gamble"
players = ["A", "B"]

[parameters.p]
description = "Chance that the risky venture pays"
default = "1/2"
range = [0, 1]

[parameters.bonus]
description = "A payoff to B that changes nothing A cares about"
default = 1
range = [0, 10]

[parameters.stake]
description = "What the safe option pays A"
default = 1
range = [0, 4]

[nodes.start]
player = "A"
actions = { risky = "venture", safe = "kept" }

[nodes.venture]
chance = true
actions = { pays = "won", fails = "lost" }
probabilities = { pays = "p", fails = "1 - p" }

[nodes.won]
payoffs = { A = 3, B = "bonus" }

[nodes.lost]
payoffs = { A = 0, B = "bonus" }

[nodes.kept]
payoffs = { A = "stake", B = 0 }
"""


@pytest.fixture
def gamble():
    return loads_game(GAMBLE, "gamble.toml", known_claims=[])


def test_nearest_flip_is_where_the_expected_values_cross(gamble):
    # risky is worth 3p, safe is worth stake: at p = 1/2, stake = 1 the switch points
    # are p = stake/3 = 1/3 (distance 1/6 of p's range [0, 1]) and stake = 3p = 3/2
    # (distance 1/2 of stake's range [0, 4], i.e. 1/8).
    search = distances_to_flip(gamble, {"p": Fraction(1, 2), "bonus": 1, "stake": 1})
    assert search.path == "start=risky"
    assert [f.parameter for f in search.flips] == ["stake", "p"]
    stake, p = search.flips
    assert stake.boundary == pytest.approx(1.5, abs=1e-8)  # ties are judged within 1e-9 relative
    assert stake.share_of_range == pytest.approx(1 / 8, abs=1e-9)
    assert p.boundary == pytest.approx(1 / 3, abs=1e-8)
    assert p.change == pytest.approx(-1 / 6, abs=1e-8)
    assert p.path_after == "start=safe"
    assert p.tolerance < 1e-9
    assert search.stable == ("bonus",)


def test_no_flip_inside_the_range(gamble):
    # With stake = 0 the venture is never worse than keeping nothing.
    search = distances_to_flip(gamble, {"p": Fraction(1, 2), "bonus": 1, "stake": 0},
                               parameters=["p", "bonus"])
    assert search.flips == ()
    assert set(search.stable) == {"p", "bonus"}


def test_mixed_equilibria_flip_only_when_the_support_changes():
    from tests.test_sweep import GUESS

    game = loads_game(GUESS.replace('default = 1\n', 'default = 1\nrange = [-5, 5]\n', 1),
                      "guess.toml", known_claims=[])
    search = distances_to_flip(game, {"bonus": Fraction(1)})
    # For bonus > -1 both players mix; at bonus < -1 the seeker always seeks right
    # (left pays it at most -1 against 1) and the hider hides left.
    assert search.path == "hide=left/right, seek=left/right"
    (flip,) = search.flips
    assert abs(flip.boundary + 1) <= flip.tolerance < 1e-4


def test_bundled_flip_agrees_with_exact_solving():
    from policy.bundled import games_dir
    from policy.gamefile import load_game
    from policy.solvers import solve

    game = load_game(games_dir() / "diplomacy_1939.toml")
    values = resolve(game, load_leader("stalin"))
    search = distances_to_flip(game, values)
    for flip in search.flips:
        step = 1e-6 * (flip.high - flip.low)
        beyond = flip.boundary + (step if flip.change > 0 else -step)
        before = flip.boundary - (step if flip.change > 0 else -step)
        for x, expected in ((beyond, flip.path_after), (before, flip.path_before)):
            v = dict(values, **{flip.parameter: Fraction(x)})
            result = solve(game, v, method="spe")
            assert path_text(result, result.equilibria[0]) == expected, (flip.parameter, x)
