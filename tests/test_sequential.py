"""The sequential-equilibrium check (:mod:`policy.solvers.sequential`) on games from the literature.

Kreps and Wilson (1982), "Sequential equilibria", Econometrica 50: an
assessment is sequential when its beliefs are consistent (limits of Bayes'
beliefs along fully mixed profiles converging to it) and every player's
behaviour is optimal at every information set, reached or not.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import Game, build_game
from policy.solvers import solve
from policy.solvers.sequential import check_equilibrium, sequential_check
from policy.solvers.verify import behavior_regret
from tests.conftest import decision, terminal
from tests.games import (
    ENTRY_VALUES,
    beer_quiche,
    behaviors,
    centipede,
    entry_deterrence,
    imperfect_games,
    kuhn_poker,
    selten_horse,
)

F = Fraction


def profile(game: Game, **behavior: list[object]) -> list[Fraction]:
    """A flat behaviour vector from information set -> action probabilities (in order)."""
    out: list[Fraction] = []
    for s in game.infosets.values():
        out += [F(p) for p in behavior[s.name]]
    return out


def check(game: Game, values: dict[str, Fraction] | None = None, exact: bool = True, **behavior: list[object]):
    probs = profile(game, **behavior)
    numbers = game.numbers(values or {}, exact=exact)
    return sequential_check(game, numbers, probs if exact else [float(p) for p in probs])


def entry_with_two_ways_in() -> Game:
    """An entrant with two ways in, after Mas-Colell, Whinston and Green (1995), Example 9.C.1.

    The entrant stays out (0, 2) or enters in one of two ways; the incumbent
    sees entry but not which way: fight (-1, -1) either way, accommodate
    (3, 0) after ``in1`` and (2, 1) after ``in2`` (the payoffs as we recall
    the textbook's figure; the claims tested follow from them directly).
    (out, fight) is a Nash equilibrium; fighting is worse for the incumbent
    at both nodes, so no belief justifies it, and the only sequential
    equilibrium is (in1, accommodate).
    """
    specs = [
        decision("start", "Entrant", out="o", in1="e1", in2="e2"),
        terminal("o", 0, 2),
        decision("e1", "Incumbent", "entered", fight="e1f", accommodate="e1a"),
        decision("e2", "Incumbent", "entered", fight="e2f", accommodate="e2a"),
        terminal("e1f", -1, -1), terminal("e1a", 3, 0),
        terminal("e2f", -1, -1), terminal("e2a", 2, 1),
    ]
    return build_game("Entry, two ways in", ["Entrant", "Incumbent"], specs)


# -- Selten's horse (3 players) --------------------------------------------------------
def test_selten_horse_perfect_equilibrium_is_sequential():
    # Selten (1975), IJGT 4: (C, c, R) is perfect. Player 3's set is unreached;
    # R is optimal when 3 believes it more likely that 2 deviated (node y) than
    # that 1 did, which independent trembles of 1 and 2 can give.
    got = check(selten_horse(), p1=[1, 0], p2=[1, 0], three=[0, 1])
    assert got.verdict is True
    belief = got.beliefs["three"]
    assert belief["y"] * 1 >= belief["x"] * 2  # R at least as good as L for player 3


def test_selten_horse_nash_equilibrium_that_is_not_sequential_is_rejected():
    # (D, c, L) is Nash (2's set is never reached) but 2 would play d there:
    # with 3 playing L, d pays 2 four against one for c, whatever the beliefs.
    got = check(selten_horse(), p1=[0, 1], p2=[1, 0], three=[1, 0])
    assert got.verdict is False
    assert got.infoset == "p2"
    assert "gains 3 by d" in got.reason


def test_selten_horse_mixed_behaviour_needs_an_interior_belief():
    # 3 mixing (1/4 L, 3/4 R) at the unreached set is optimal only when 3 is
    # indifferent: 2 * mu(x) = 1 * mu(y), mu = (1/3, 2/3), a consistent belief.
    got = check(selten_horse(), p1=[1, 0], p2=[1, 0], three=["1/4", "3/4"])
    assert got.verdict is True
    assert got.beliefs["three"] == {"x": F(1, 3), "y": F(2, 3)}


def test_selten_horse_logit_limit_is_sequential():
    # The logit path's limit is a sequential equilibrium (McKelvey and Palfrey
    # 1998); float mode, checked with the float tolerance.
    result = solve(selten_horse(), {}, method="logit")
    assert check_equilibrium(result, result.equilibria[0]).verdict is True


# -- entry with an information set (2 players) -----------------------------------------
def test_entry_two_ways_in_the_threat_is_not_sequential():
    # After Mas-Colell, Whinston and Green (1995), Example 9.C.1.
    game = entry_with_two_ways_in()
    threat = check(game, start=[1, 0, 0], entered=[1, 0])
    assert threat.verdict is False and threat.infoset == "entered"
    assert "whatever the beliefs" in threat.reason
    assert check(game, start=[0, 1, 0], entered=[0, 1]).verdict is True


def test_enumpure_lists_the_threat_and_the_check_rejects_only_it():
    game = entry_with_two_ways_in()
    result = solve(game, {}, method="enumpure", all_equilibria=True)
    verdicts = {eq.choice("start"): check_equilibrium(result, eq).verdict for eq in result.equilibria}
    assert verdicts == {"out": False, "in1": True}


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_chain_store_stage(exact):
    # Selten (1978), "The chain store paradox": (stay out, fight) is Nash, not sequential.
    game = entry_deterrence()
    assert check(game, ENTRY_VALUES, exact, entry=[0, 1], response=[1, 0]).verdict is False
    assert check(game, ENTRY_VALUES, exact, entry=[1, 0], response=[0, 1]).verdict is True


# -- beer-quiche --------------------------------------------------------------------------
def test_beer_quiche_both_pooling_equilibria_are_sequential():
    # Cho and Kreps (1987): both pooling equilibria are sequential, each with
    # off-path beliefs that the deviator is a wimp with probability at least
    # 1/2 (which the intuitive criterion then rejects for pooling on quiche).
    game = beer_quiche()
    beer = check(game, s=[1, 0], w=[1, 0], after_beer=[0, 1], after_quiche=[1, 0])
    assert beer.verdict is True
    assert beer.beliefs["after_quiche"]["wq"] >= F(1, 2)
    assert beer.beliefs["after_beer"] == {"sb": F(9, 10), "wb": F(1, 10)}  # Bayes on the path
    quiche = check(game, s=[0, 1], w=[0, 1], after_beer=[1, 0], after_quiche=[0, 1])
    assert quiche.verdict is True
    assert quiche.beliefs["after_beer"]["wb"] >= F(1, 2)


def test_beer_quiche_pooling_with_a_lenient_receiver_fails_on_the_path():
    # Not even Nash: if quiche is not punished, the wimp switches to it. The
    # failure is at a reached set, where beliefs are Bayes' and nothing can help.
    got = check(beer_quiche(), s=[1, 0], w=[1, 0], after_beer=[0, 1], after_quiche=[0, 1])
    assert got.verdict is False and got.infoset == "w"
    assert "reached" in got.reason


# -- perfect information and Kuhn poker ---------------------------------------------------
def test_perfect_information_is_subgame_perfection():
    # Every set is one node: sequential = subgame-perfect (backward induction).
    game = centipede(4)
    result = solve(game, {})
    assert check_equilibrium(result, result.equilibria[0]).verdict is True
    everyone_passes = check(game, **{s: [0, 1] for s in game.infosets})
    assert everyone_passes.verdict is False and everyone_passes.infoset == "leg4"


def test_kuhn_poker_lcp_centroid_is_rejected():
    # The centroid lcp puts at P1's set "K, check, bet" (never reached: P1 bets
    # with the king) folds half the time; calling with the best card wins 2
    # instead of losing 1, so P1 gains 3/2 there (Gambit's issue #636).
    result = solve(kuhn_poker(), {}, method="lcp")
    got = check_equilibrium(result, result.equilibria[0])
    assert got.verdict is False and got.infoset == "P1_K_cb"
    assert got.reason.startswith("P1 gains 3/2 by call")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_sequential_profile_is_a_nash_equilibrium(data):
    # Sequential rationality at every set, with consistent beliefs, implies
    # Nash (Kreps and Wilson 1982): a "yes" must come with Nash regret 0, and
    # a "no" proved at a reached set must come with positive Nash regret.
    game = data.draw(imperfect_games(players=(2, 3), max_nodes=20))
    probs = data.draw(behaviors(game))
    numbers = game.numbers({}, exact=True)
    got = sequential_check(game, numbers, probs)
    regret, _ = behavior_regret(game, numbers, probs)
    if got.verdict:
        assert regret == 0
    if got.verdict is False and "reached:" in got.reason:
        assert regret > 0


@settings(max_examples=30, deadline=None)
@given(imperfect_games(players=(2, 3), max_nodes=20))
def test_perfect_information_spe_is_sequential(game):
    if not game.is_perfect_information:
        return
    result = solve(game, {})
    assert check_equilibrium(result, result.equilibria[0]).verdict is True


def test_a_search_cut_short_says_not_shown():
    # With one tremble structure only (all deviations equally likely), player
    # 3 in Selten's horse believes 1/2-1/2 and R is not optimal; other beliefs
    # would do, so this is no proof either way.
    game = selten_horse()
    got = sequential_check(game, game.numbers({}, exact=True), profile(game, p1=[1, 0], p2=[1, 0], three=[0, 1]),
                           max_tries=1)
    assert got.verdict is None and got.infoset == "three"
    assert got.text.startswith("not shown (at three: 3 gains 1/2 by L under every consistent belief tried")
