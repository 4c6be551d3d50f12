"""lcp: Lemke's method on the sequence form (Koller, Megiddo and von Stengel 1996).

Three kinds of test: values from the literature (Kuhn poker, matching pennies),
cross-checks with Gambit (every equilibrium we return has ``max_regret() == 0``
in pygambit, computed through its own strategic form), and properties of
random two-player games with chance and information sets (regret 0, exact and
float agree, ``all_equilibria`` returns distinct equilibria only).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import Game, build_game
from policy.solvers.errors import SolverError
from policy.solvers.lcp import lcp_solve
from policy.solvers.verify import behavior_regret, same_profile
from tests.conftest import chance, decision, gambit_regret, terminal
from tests.games import (
    ENTRY_VALUES,
    entry_deterrence,
    kuhn_poker,
    matching_pennies,
    random_signalling,
    signalling_game,
    table_game,
    two_player_games,
)

F = Fraction

#: Float answers must match exact ones within this (payoffs are small integers).
FLOAT_TOL = 1e-7


# ---------------------------------------------------------------------------------
# Games
# ---------------------------------------------------------------------------------
def lemons() -> Game:
    """A chance move the receiver does not see: the seller knows the quality.

    Chance makes the good high quality (prob 1/3) or low (2/3); the seller sees
    it and asks a high or low price; the buyer sees only the price and buys or
    walks away.
    """
    return build_game("Lemons", ["Seller", "Buyer"], [
        chance("nature", {"good": "1/3", "bad": "2/3"}, good="sg", bad="sb"),
        decision("sg", "Seller", "knows good", high="gh", low="gl"),
        decision("sb", "Seller", "knows bad", high="bh", low="bl"),
        decision("gh", "Buyer", "heard high", buy="ghb", walk="ghw"),
        decision("gl", "Buyer", "heard low", buy="glb", walk="glw"),
        decision("bh", "Buyer", "heard high", buy="bhb", walk="bhw"),
        decision("bl", "Buyer", "heard low", buy="blb", walk="blw"),
        terminal("ghb", 3, 2), terminal("ghw", 0, 0),
        terminal("glb", 1, 4), terminal("glw", 0, 0),
        terminal("bhb", 3, -2), terminal("bhw", 0, 0),
        terminal("blb", 1, 0), terminal("blw", 0, 0),
    ])


_NUMBER = st.integers(-4, 4)


# ---------------------------------------------------------------------------------
# Literature values
# ---------------------------------------------------------------------------------
def test_kuhn_poker():
    # Kuhn (1950): the value of the game to player 1 is -1/18; player 1 bets a
    # king, never bets a queen, bluffs a jack with some alpha in [0, 1/3].
    game = kuhn_poker()
    result = lcp_solve(game, {})
    assert result.method == "lcp" and result.exact
    (eq,) = result.equilibria
    assert eq.values == (F(-1, 18), F(1, 18))
    assert eq.max_regret == 0
    assert behavior_regret(game, game.numbers({}), eq.probabilities)[0] == 0
    assert eq.choice("P1_K") == "bet"
    assert eq.behavior["P1_J"]["bet"] <= F(1, 3)
    assert result.details["pivots"] > 0


def test_kuhn_poker_all_equilibria():
    game = kuhn_poker()
    result = lcp_solve(game, {}, all_equilibria=True)
    assert len(result.equilibria) >= 2
    for eq in result.equilibria:
        assert eq.values == (F(-1, 18), F(1, 18))
        assert eq.max_regret == 0
    # The bluffing frequency with a jack spans Kuhn's interval [0, 1/3].
    bluffs = {eq.behavior["P1_J"]["bet"] for eq in result.equilibria}
    assert {F(0), F(1, 3)} <= bluffs
    assert any("there may be others" in w for w in result.warnings)


def test_kuhn_poker_float():
    game = kuhn_poker()
    (eq,) = lcp_solve(game, {}, exact=False).equilibria
    assert eq.values[0] == pytest.approx(-1 / 18, abs=FLOAT_TOL)
    assert 0 <= eq.max_regret <= 1e-9
    (exact,) = lcp_solve(game, {}).equilibria
    assert eq.probabilities == pytest.approx([float(p) for p in exact.probabilities], abs=FLOAT_TOL)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
@pytest.mark.parametrize("bonus", [0, 3])
def test_matching_pennies(exact, bonus):
    # von Neumann and Morgenstern (1944): both players mix 1/2; value 0 to A.
    result = lcp_solve(matching_pennies(bonus), {}, exact=exact)
    (eq,) = result.equilibria
    assert list(eq.probabilities) == pytest.approx([0.5] * 4, abs=FLOAT_TOL)
    assert float(eq.values[0]) == pytest.approx(0, abs=FLOAT_TOL)
    assert float(eq.values[1]) == pytest.approx(bonus, abs=FLOAT_TOL)
    if exact:
        assert eq.probabilities == (F(1, 2),) * 4


def test_a_chance_move_the_receiver_does_not_see():
    # The seller always asks high (3 > 1), so the buyer hears "high" from both
    # types: buying is worth 1/3*2 + 2/3*(-2) = -2/3 < 0; the buyer walks away
    # after "high", the seller is then indifferent.
    game = lemons()
    result = lcp_solve(game, {}, all_equilibria=True)
    for eq in result.equilibria:
        assert eq.max_regret == 0
        assert gambit_regret(game, eq.behavior) == 0
    walks = [eq for eq in result.equilibria if eq.behavior["heard high"]["walk"] == 1]
    assert walks


def test_perfect_information_games_too():
    game = entry_deterrence()
    result = lcp_solve(game, ENTRY_VALUES, all_equilibria=True)
    assert all(eq.max_regret == 0 for eq in result.equilibria)
    # (enter, accommodate) is the subgame-perfect one; staying out against a fight is Nash too.
    choices = {(eq.choice("entry"), eq.choice("response")) for eq in result.equilibria}
    assert ("enter", "accommodate") in choices


def test_degenerate_game_with_duplicate_payoffs():
    # Every outcome pays the same: every profile is an equilibrium, and every
    # ratio test on Lemke's path ties (the lexicographic rule decides).
    flat = [[1, 1], [1, 1]]
    game = table_game((flat, flat), "flat")
    for exact in (True, False):
        result = lcp_solve(game, {}, exact=exact, all_equilibria=True)
        assert result.details["lexicographic"] > 0
        assert all(float(eq.max_regret) <= 1e-9 for eq in result.equilibria)


# ---------------------------------------------------------------------------------
# Options and errors
# ---------------------------------------------------------------------------------
def test_needs_two_players():
    game = build_game("three", ["A", "B", "C"], [
        decision("a", "A", x="z1", y="z2"), terminal("z1", 1, 2, 3), terminal("z2", 0, 0, 0),
    ])
    with pytest.raises(SolverError, match="2-player"):
        lcp_solve(game, {})


def test_pivot_bound():
    with pytest.raises(SolverError, match="no equilibrium found after 3 pivots"):
        lcp_solve(kuhn_poker(), {}, max_pivots=3)


def test_fill_at_sets_the_owner_never_reaches():
    # In Kuhn poker player 1 always bets a king, so "P1_K_cb" (after check-bet) is
    # never reached by player 1's own play.
    game = kuhn_poker()
    (uniform,) = lcp_solve(game, {}).equilibria
    (first,) = lcp_solve(game, {}, fill="first").equilibria
    assert uniform.behavior["P1_K_cb"] == {"fold": F(1, 2), "call": F(1, 2)}
    assert first.behavior["P1_K_cb"] == {"fold": 1, "call": 0}
    assert first.max_regret == 0
    assert first.values == uniform.values


def test_max_starts():
    result = lcp_solve(kuhn_poker(), {}, all_equilibria=True, max_starts=3)
    assert result.details["starts"] == 3


# ---------------------------------------------------------------------------------
# Random games: regret 0 here and in Gambit, exact and float agree
# ---------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games())
def test_random_games_are_solved_and_gambit_agrees(game):
    result = lcp_solve(game, {})
    (eq,) = result.equilibria
    numbers = game.numbers({}, exact=True)
    assert behavior_regret(game, numbers, eq.probabilities)[0] == 0
    assert gambit_regret(game, eq.behavior) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games())
def test_exact_and_float_agree(game):
    exact = lcp_solve(game, {})
    flt = lcp_solve(game, {}, exact=False)
    (e_eq,) = exact.equilibria
    (f_eq,) = flt.equilibria
    # Both follow the same path when the float ratio tests decide as the exact ones.
    if exact.details["pivots"] == flt.details["pivots"]:
        assert f_eq.probabilities == pytest.approx([float(p) for p in e_eq.probabilities], abs=FLOAT_TOL)
    # Either way the float answer is an equilibrium when checked exactly.
    numbers = game.numbers({}, exact=True)
    probs = [F(p) for p in f_eq.probabilities]
    assert float(behavior_regret(game, numbers, probs)[0]) <= FLOAT_TOL


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(max_nodes=20))
def test_all_equilibria_are_distinct_and_verified(game):
    result = lcp_solve(game, {}, all_equilibria=True)
    eqs = result.equilibria
    assert eqs
    for k, eq in enumerate(eqs):
        assert eq.max_regret == 0
        assert not any(same_profile(eq.probabilities, other.probabilities, True) for other in eqs[:k])
    assert gambit_regret(game, eqs[-1].behavior) == 0
    flt = lcp_solve(game, {}, exact=False, all_equilibria=True)
    for k, eq in enumerate(flt.equilibria):
        assert not any(
            same_profile(eq.probabilities, other.probabilities, False) for other in flt.equilibria[:k]
        )


# ---------------------------------------------------------------------------------
# Games in normal form (nashpy) and signalling games (Gambit)
# ---------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_bimatrix_games_agree_with_nashpy(data):
    nashpy = pytest.importorskip("nashpy")
    rows, cols = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    entries = st.lists(st.lists(_NUMBER, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    A, B = data.draw(entries), data.draw(entries)
    game = table_game((A, B))
    # Object arrays of Fractions make nashpy's comparisons exact.
    reference = nashpy.Game(np.array(A, dtype=object), np.array(B, dtype=object))
    for eq in lcp_solve(game, {}, all_equilibria=True, max_starts=8).equilibria:
        sigma_r = np.array(list(eq.behavior["P1"].values()), dtype=object)
        sigma_c = np.array(list(eq.behavior["P2"].values()), dtype=object)
        assert reference.is_best_response(sigma_r, sigma_c) == (True, True)
        assert list(eq.values) == list(reference[sigma_r, sigma_c])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_signalling_games_gambit_agrees(data):
    types, messages, replies = (data.draw(st.integers(2, 3)) for _ in range(3))
    payoffs = [F(data.draw(_NUMBER)) for _ in range(types * messages * replies * 2)]
    weights = [data.draw(st.integers(1, 4)) for _ in range(types)]
    game = signalling_game(types, messages, replies, payoffs, [F(w, sum(weights)) for w in weights])
    (eq,) = lcp_solve(game, {}).equilibria
    assert eq.max_regret == 0
    assert gambit_regret(game, eq.behavior) == 0


# ---------------------------------------------------------------------------------
# Random signalling games: float and exact both verified, float without fallback
# ---------------------------------------------------------------------------------
#: (T = M = A, seed). At (6, 4) the old float path (lexicographic ties decided
#: on rounding noise) wandered among degenerate bases until the 11,200-pivot
#: limit; exact Lemke takes 1,707 pivots there, and so must float.
SIGNALLING_CASES = [(n, seed) for n in range(2, 7) for seed in range(3)] + [(6, 4)]


def _gambit_regret(game, eq) -> float:
    """The Nash regret of our profile, from pygambit's information-set regrets.

    Each player moves at most once on every path of a signalling game, so a
    player's best deviation changes each of their sets independently: the
    player's regret is the sum over their sets of (probability of reaching
    the set) x (pygambit's regret there, conditional on reaching it).
    pygambit's ``max_regret()`` would go through the strategic form (6^6
    strategies a side at 6x6x6), and its ``agent_max_regret()`` is
    conditional: a set a float answer reaches with probability 1e-16 would
    weigh as much as one on the path.
    """
    from tests.conftest import pygambit_profile, to_pygambit

    g, actions = to_pygambit(game, {})
    return _reach_weighted_regret(g, pygambit_profile(g, actions, eq.behavior))


def _reach_weighted_regret(g, profile) -> float:
    return max(
        float(sum(profile.infoset_prob(s) * profile.infoset_regret(s) for s in player.infosets))
        for player in g.players
    )


@pytest.mark.parametrize(("size", "seed"), SIGNALLING_CASES, ids=[f"{n}x{n}x{n}-seed{s}" for n, s in SIGNALLING_CASES])
def test_random_signalling_games_float_and_exact_are_verified(size, seed):
    game = random_signalling(size, size, size, seed)
    floats = lcp_solve(game, {}, exact=False)
    # The float path itself succeeds: no fallback to exact arithmetic.
    assert floats.warnings == () and not floats.exact
    (f_eq,) = floats.equilibria
    assert f_eq.max_regret <= 1e-9 * 100
    exact = lcp_solve(game, {})
    (x_eq,) = exact.equilibria
    assert x_eq.max_regret == 0 and exact.details["float_paths"] == 1
    # Float mode's data are the game's numbers rounded to doubles (chance
    # probabilities such as 1/7 are not doubles), and these LCPs are degenerate
    # at nearly every step, so a lexicographic decision may go another way and
    # the path end at another equilibrium (6x6x6 seed 4 does, since payoffs are
    # measured in a power-of-two unit). Where the paths agree, so do the answers.
    if floats.details["pivots"] == exact.details["pivots"]:
        assert same_profile([float(p) for p in x_eq.probabilities], f_eq.probabilities, exact=False)
    assert _gambit_regret(game, x_eq) == 0
    assert _gambit_regret(game, f_eq) <= 1e-9 * 100


def test_random_signalling_gambit_float_lcp_agrees():
    # The same game through pygambit's float lcp_solve: an equilibrium too, with
    # the equilibrium payoffs of ours when both land on the same one, and in any
    # case both with regret ~0 by pygambit's own check.
    pygambit = pytest.importorskip("pygambit")
    from tests.conftest import to_pygambit

    game = random_signalling(4, 4, 4, 2)
    g, _ = to_pygambit(game, {})
    theirs = pygambit.nash.lcp_solve(g, rational=False).equilibria
    assert theirs and max(_reach_weighted_regret(g, eq) for eq in theirs) <= 1e-9 * 100
    (ours,) = lcp_solve(game, {}, exact=False).equilibria
    assert _gambit_regret(game, ours) <= 1e-7


def test_float_failure_falls_back_to_exact(monkeypatch):
    # However the float path fails, the answer comes from exact arithmetic,
    # shown in floats, and the warning says so (as lp's fallback to lcp does).
    import policy.solvers.lcp as lcp_module

    real = lcp_module.lemke

    def float_fails(M, q, d=None, *, exact=True, max_pivots=None):
        if not exact:
            raise SolverError("no equilibrium found after 3 pivots (the limit)")
        return real(M, q, d, exact=exact, max_pivots=max_pivots)

    monkeypatch.setattr(lcp_module, "lemke", float_fails)
    game = random_signalling(3, 3, 3, 5)
    result = lcp_solve(game, {}, exact=False)
    assert not result.exact
    (warning,) = result.warnings
    assert "float Lemke gave no verified equilibrium (no equilibrium found after 3 pivots" in warning
    assert "solved instead by lcp in exact arithmetic" in warning
    (eq,) = result.equilibria
    assert all(type(p) is float for p in eq.probabilities)
    (exact,) = lcp_solve(game, {}).equilibria
    assert list(eq.probabilities) == [float(p) for p in exact.probabilities]


def test_float_pivot_limit_still_reported_when_exact_also_fails():
    game = random_signalling(3, 3, 3, 5)
    with pytest.raises(SolverError, match="--max-pivots"):
        lcp_solve(game, {}, exact=False, max_pivots=2)
