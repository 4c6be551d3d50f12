"""The exact sequential check on integers gives what the set-by-set test in ``Fraction`` objects gives.

:func:`policy.solvers.sequential.sequential_check` tests every information
set at once on integer numerators and denominators (:mod:`policy.rational`);
``_check(..., integers=False)`` is the same check made set by set in
``Fraction`` objects. Every field of the answer must agree: the verdict, the
set and the reason of a failure (its gain printed exactly), the beliefs (the
same sets, members, order and values) and the trembles behind them.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import api, rational
from policy.model import ExactArrays, Game, Numbers, build_game
from policy.solvers import solve
from policy.solvers.result import Trembles
from policy.solvers.sequential import _check, sequential_check
from tests.conftest import chance, decision, terminal
from tests.games import behaviors, imperfect_games, kuhn_poker, selten_horse

F = Fraction
GAMES = Path(__file__).resolve().parent.parent / "games"


def as_integers(game: Game, numbers: Numbers) -> Numbers:
    """The same exact numbers held as integer arrays (as games read from arrays hold them)."""
    players = len(game.players)
    lnum, lden = rational.split(numbers.leaf_payoff.ravel().tolist())
    leaf_num, leaf_den = rational.common_rows(lnum.reshape(-1, players), lden.reshape(-1, players))
    prob_num, prob_den = rational.split(numbers.edge_prob.tolist())
    return Numbers(True, ratios=ExactArrays(leaf_num, leaf_den, prob_num, prob_den))


def assert_same(game: Game, numbers: Numbers, probs: list[Fraction], trembles: Trembles | None = None,
                max_tries: int = 200) -> None:
    new = _check(game, numbers, probs, trembles, max_tries)
    old = _check(game, numbers, probs, trembles, max_tries, integers=False)
    assert (new.verdict, new.infoset, new.reason) == (old.verdict, old.infoset, old.reason)
    assert new.trembles == old.trembles
    # The same sets and members in the same order, and equal exact values.
    assert [(k, list(v.items())) for k, v in new.beliefs.items()] == [
        (k, list(v.items())) for k, v in old.beliefs.items()
    ]
    assert all(type(b) is Fraction for v in new.beliefs.values() for b in v.values())


@st.composite
def certificates(draw: st.DrawFn, probs: list[Fraction]) -> Trembles:
    """Trembles on some of the unused actions: orders and coefficients, some of them fractions."""
    unused = [a for a, p in enumerate(probs) if p == 0]
    given_ = draw(st.lists(st.sampled_from(unused), unique=True)) if unused else []
    order = {a: draw(st.sampled_from([F(1), F(2), F(3, 2), F(1, 3)])) for a in given_}
    coefficient = {a: draw(st.sampled_from([F(1), F(2), F(1, 7), 3])) for a in given_}
    return Trembles(order, coefficient)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_integers_and_fractions_agree_on_random_games(data):
    game = data.draw(imperfect_games(players=(2, 3), max_nodes=30))
    probs = data.draw(behaviors(game))
    numbers = game.numbers({}, exact=True)
    trembles = data.draw(st.none() | certificates(probs))
    assert_same(game, numbers, probs, trembles)
    assert_same(game, as_integers(game, numbers), probs, trembles)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_integers_and_fractions_agree_with_one_try(data):
    # One structure only: many answers are "not shown" or fail at an unreached set.
    game = data.draw(imperfect_games(players=(2,), max_nodes=30))
    probs = data.draw(behaviors(game))
    assert_same(game, game.numbers({}, exact=True), probs, max_tries=1)


@pytest.mark.parametrize(
    ("game", "behavior"),
    [
        (selten_horse(), {"p1": [1, 0], "p2": [1, 0], "three": [0, 1]}),  # sequential (Selten 1975)
        (selten_horse(), {"p1": [0, 1], "p2": [1, 0], "three": [1, 0]}),  # Nash, not sequential
        (kuhn_poker(), None),  # lcp's answer, with the centroid off the path
    ],
    ids=["horse-perfect", "horse-threat", "kuhn-lcp"],
)
def test_integers_and_fractions_agree_on_textbook_games(game, behavior):
    if behavior is None:
        result = solve(game, {}, method="lcp", exact=True)
        probs = list(result.equilibria[0].probabilities)
    else:
        probs = [F(p) for s in game.infosets.values() for p in behavior[s.name]]
    numbers = game.numbers({}, exact=True)
    assert_same(game, numbers, probs)
    assert_same(game, as_integers(game, numbers), probs, max_tries=1)


@pytest.mark.parametrize(
    ("stem", "leader"),
    [("barbarossa_1941", "stalin"), ("ussr_1939_1941_stalin", "stalin"),
     ("ussr_1939_1941_tukhachevsky", "tukhachevsky")],
)
def test_integers_and_fractions_agree_on_bundled_games(stem, leader):
    # A stage with information sets, and the two branch campaigns (10,613
    # nodes, 345 sets; sequential, with beliefs at 292 sets of several members).
    result = api.solve(GAMES / f"{stem}.toml", leader=leader, exact=True)
    game = result.game
    numbers = game.numbers(result.parameters, exact=True)
    for eq in result.equilibria:
        assert_same(game, numbers, list(eq.probabilities), eq.trembles)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=24))
def test_integers_and_fractions_agree_on_solved_games(game):
    # Equilibria that lcp returns: mostly sequential, or not shown off the path.
    result = solve(game, {}, method="lcp", exact=True)
    numbers = game.numbers({}, exact=True)
    for eq in result.equilibria:
        assert_same(game, numbers, list(eq.probabilities), eq.trembles)
        assert_same(game, as_integers(game, numbers), list(eq.probabilities), eq.trembles)


def test_the_public_check_is_the_integer_one():
    game = selten_horse()
    probs = [F(p) for p in (1, 0, 1, 0, 0, 1)]
    got = sequential_check(game, game.numbers({}, exact=True), probs)
    assert got == _check(game, game.numbers({}, exact=True), probs)


def test_sets_that_no_fully_mixed_profile_reaches_need_some_belief():
    # Chance never plays "never" (probability 0), so neither member of the set
    # behind it is reached by any fully mixed profile and no consistent belief is
    # defined there. The behaviour must still be a best reply under some belief:
    # P2's r loses 1 at both members (l gives 1, r 0), so no belief saves it.
    specs = [
        chance("root", {"go": "1", "never": "0"}, go="end", never="p1"),
        terminal("end", 0, 0),
        decision("p1", "P1", a="x", b="y"),
        decision("x", "P2", "blind", l="xl", r="xr"),
        decision("y", "P2", "blind", l="yl", r="yr"),
        terminal("xl", 1, 1), terminal("xr", 1, 0), terminal("yl", 0, 1), terminal("yr", 0, 0),
    ]
    game = build_game("Cut off", ["P1", "P2"], specs)
    numbers = game.numbers({}, exact=True)
    worse = [F(1), F(0), F(0), F(1)]
    check = sequential_check(game, numbers, worse)
    assert check.verdict is False and check.infoset == "blind"
    assert "whatever the beliefs (behind a chance move of probability 0)" in check.reason
    # A solver checking only what trembles reach (its own promise) passes it.
    assert sequential_check(game, numbers, worse, cut_off=False).verdict is True
    better = [F(1), F(0), F(1), F(0)]
    assert sequential_check(game, numbers, better).verdict is True
    assert_same(game, numbers, better)
    assert_same(game, as_integers(game, numbers), better)
    assert_same(game, numbers, worse)
