"""TOML games whose numbers are all constants are held as arrays, and solve as the expression form does.

A TOML game whose payoffs and chance probabilities are plain numbers keeps
them as :class:`policy.model.ConstantOutcomes` and
:class:`policy.model.ConstantProbabilities` (as games read from Gambit files
do); :func:`policy.model.build_game` without ``constant_arrays`` keeps one
expression per payoff. The same text read both ways must give the same
equilibria, exactly and in floats.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import games_with_values
from hypothesis import HealthCheck, given, settings

import policy.gamefile as gamefile
import policy.toml_arrays as toml_arrays
from games import two_player_games
from policy.gamefile import dump_game, loads_game
from policy.model import ConstantOutcomes, ConstantProbabilities, Game
from policy.solvers import solve


def read_both(text: str) -> tuple[Game, Game]:
    """The game of ``text`` held as arrays (as read), and held as expressions."""
    arrays = loads_game(text)
    real = gamefile.build_game

    def expressions(*args: Any, **kwargs: Any) -> Game:
        return real(*args, **{**kwargs, "constant_arrays": False})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gamefile, "build_game", expressions)
        # The whole-file reader builds arrays itself: the usual reader builds through build_game.
        patch.setattr(toml_arrays, "read_toml_arrays", lambda *args: None)
        exprs = loads_game(text)
    return arrays, exprs


def answers(game: Game, method: str, exact: bool) -> list[tuple[Any, ...]]:
    result = solve(game, {}, method=method, exact=exact)
    return [(tuple(eq.probabilities), tuple(eq.values), tuple(eq.reach)) for eq in result.equilibria]


def test_constant_payoffs_are_held_as_arrays_and_expressions_only_where_a_parameter_appears():
    text = """
[game]
title = "entry"
players = ["Entrant", "Incumbent"]

[parameters.c]
description = "cost of a fight"
default = 2

[nodes.root]
player = "Entrant"
actions = { in = "fight_or_not", out = "stay_out" }

[nodes.fight_or_not]
player = "Incumbent"
actions = { fight = "war", accommodate = "share" }

[nodes.stay_out]
payoffs = { Entrant = 0, Incumbent = 4 }

[nodes.war]
payoffs = { Entrant = -1, Incumbent = "-c" }

[nodes.share]
payoffs = { Entrant = 1.5, Incumbent = "3/2" }
facts = { market = "shared" }
"""
    game = loads_game(text)
    assert not isinstance(game.outcomes, ConstantOutcomes)  # a parameter appears
    constant = loads_game(text.replace('"-c"', "-2").replace("[parameters.c]", "[parameters.unused]"))
    assert isinstance(constant.outcomes, ConstantOutcomes)
    assert isinstance(constant.chance_probability, ConstantProbabilities)
    # What a reader of the game sees is unchanged: labels, facts, payoff texts.
    _, exprs = read_both(text.replace('"-c"', "-2").replace("[parameters.c]", "[parameters.unused]"))
    assert list(constant.outcomes) == list(exprs.outcomes)
    assert [o.facts for o in constant.outcomes] == [o.facts for o in exprs.outcomes]
    assert [[e.text for e in o.payoffs] for o in constant.outcomes] == [
        [e.text for e in o.payoffs] for o in exprs.outcomes
    ]
    assert dump_game(constant) == dump_game(exprs)


def test_numbers_show_as_written():
    # "0.5" in quotes and 1e3 keep their text beside the arrays.
    text = """
[game]
title = "t"
players = ["A"]

[nodes.root]
chance = true
actions = { x = "l", y = "r" }
probabilities = { x = "0.25", y = "3/4" }

[nodes.l]
payoffs = { A = "0.5" }

[nodes.r]
payoffs = { A = "1e3" }
"""
    game, exprs = read_both(text)
    assert isinstance(game.outcomes, ConstantOutcomes)
    assert [e.text for o in game.outcomes for e in o.payoffs] == ["0.5", "1e3"]
    assert [e.text for e in game.chance_probability if e is not None] == ["0.25", "3/4"]
    assert list(game.outcomes) == list(exprs.outcomes)
    assert dump_game(game) == dump_game(exprs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=40, interior_payoffs=True))
def test_spe_is_the_same_on_arrays_and_expressions(game_values):
    game, _ = game_values
    arrays, exprs = read_both(dump_game(game))
    assert isinstance(arrays.outcomes, ConstantOutcomes)
    assert not isinstance(exprs.outcomes, ConstantOutcomes)
    for exact in (True, False):
        assert answers(arrays, "spe", exact) == answers(exprs, "spe", exact)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(max_nodes=24))
def test_nash_methods_are_the_same_on_arrays_and_expressions(game):
    arrays, exprs = read_both(dump_game(game))
    assert isinstance(arrays.outcomes, ConstantOutcomes)
    for method, exact in (("lcp", True), ("lcp", False), ("enumpure", True)):
        assert answers(arrays, method, exact) == answers(exprs, method, exact)
