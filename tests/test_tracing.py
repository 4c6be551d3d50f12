"""The tracing procedure for normal-form perfect equilibria (:mod:`policy.solvers.tracing`).

von Stengel, van den Elzen and Talman (2002), *Econometrica* 70, 693-715.
Checks: the textbook game where a Nash equilibrium is not perfect; Kuhn
poker (value -1/18 to the first player, Kuhn 1950), far beyond enumeration
of perfect equilibria; and on random small two-player games, the traced
equilibrium passes the enumeration-based test of :mod:`policy.solvers.perfect`
(neither player's mixed strategy in the reduced strategic form is weakly
dominated, van Damme 1991, Theorem 3.2.2), which is independent of the
tracing's own sequence-form witness.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from policy.model import Game
from policy.representations.normal import reduced_normal_form
from policy.solvers import SolverError, solve
from policy.solvers.perfect import dominating, perfect_solve
from policy.solvers.tracing import tracing_solve
from tests.games import battle_of_the_sexes, kuhn_poker, selten_horse, table_game, two_player_games

F = Fraction


def _undominated(game: Game, probabilities: list[F]) -> bool:
    form = reduced_normal_form(game, {}, exact=True)
    a = [[F(v) for v in row] for row in form.payoffs[0].tolist()]
    b = [[F(v) for v in row] for row in form.payoffs[1].tolist()]
    columns = [list(c) for c in zip(*b, strict=True)]
    mixed = form.mixed_from_behavior(probabilities)
    return all(dominating(rows, [F(v) for v in sigma]) is None for rows, sigma in ((a, mixed[0]), (columns, mixed[1])))


def test_the_weakly_dominated_equilibrium_is_not_traced():
    # Selten (1975); Fudenberg and Tirole, Game Theory (1991), section 8.4:
    # in [[1, 0], [0, 0]] for both players (D, R) is Nash but not perfect.
    game = table_game([[[1, 1], [0, 0]], [[0, 0], [0, 0]]])
    eq = tracing_solve(game, {}).equilibria[0]
    assert list(eq.probabilities) == [1, 0, 1, 0]
    assert eq.refinement == "normal-form perfect"


def test_selten_horse_traces_a_perfect_equilibrium():
    # Selten (1975), Figure 1: (C, c, R-at-3 with probability >= 3/4) ... the
    # perfect equilibria are those where players 1 and 2 continue; tracing is
    # two-player only, so the three-player horse is refused.
    with pytest.raises(SolverError, match="two-player|2-player"):
        tracing_solve(selten_horse(), {})


def test_kuhn_poker_finishes_with_the_value_of_the_game():
    # Kuhn (1950): the value of his three-card poker to the first player is -1/18.
    result = tracing_solve(kuhn_poker(), {})
    eq = result.equilibria[0]
    assert eq.max_regret == 0
    assert eq.payoffs["P1"] == F(-1, 18)
    assert min(result.details["witness"]) > 0


def test_perfect_falls_back_to_tracing_when_enumeration_is_too_big():
    # Kuhn poker's 27 x 64 form has more extreme equilibria than the budget lists.
    result = solve(kuhn_poker(), {}, method="perfect", max_bases=200)
    assert result.details["algorithm"] == "tracing"
    assert "by tracing" in result.warnings[0]
    assert result.equilibria[0].payoffs["P1"] == F(-1, 18)


def test_battle_of_the_sexes_every_equilibrium_is_perfect_and_one_is_traced():
    result = tracing_solve(battle_of_the_sexes(), {})
    kept = perfect_solve(battle_of_the_sexes(), {})
    assert result.equilibria[0].reach in [e.reach for e in kept.equilibria]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(max_nodes=16, max_depth=3))
def test_traced_equilibrium_passes_the_enumeration_test(game):
    eq = tracing_solve(game, {}).equilibria[0]
    assert eq.max_regret == 0
    assert _undominated(game, list(eq.probabilities))
    kept = perfect_solve(game, {})
    # The traced outcome is that of some perfect equilibrium; when the
    # enumeration keeps a single outcome, the traced one is it.
    outcomes = {e.reach for e in kept.equilibria}
    if len(outcomes) == 1:
        assert eq.reach in outcomes


def test_a_traced_result_does_not_claim_to_be_the_only_one():
    from policy.solvers.count import count_for

    result = solve(kuhn_poker(), {}, method="perfect", max_bases=200)
    count = count_for(result, {})
    assert count.unique is None
    assert "traced from one prior" in count.text
