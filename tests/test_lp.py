"""lp: the sequence-form linear program for constant-sum games (Koller, Megiddo and von Stengel 1996).

Literature values (Kuhn poker's -1/18), a cross-check of the value with
Gambit's own ``lp_solve`` on random zero-sum games with chance and information
sets, agreement of exact and float modes and of ``lcp``, and the errors.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from policy.model import NodeKind, build_game, game_from_arrays
from policy.solvers import lp as lp_module
from policy.solvers.errors import SolverError
from policy.solvers.lcp import lcp_solve
from policy.solvers.lp import lp_solve
from policy.solvers.verify import behavior_regret
from tests.conftest import chance, decision, terminal, to_pygambit
from tests.games import kuhn_poker, matching_pennies, table_game, two_player_games

F = Fraction
FLOAT_TOL = 1e-7


def gambit_value(game, method: str = "lp") -> Fraction:
    """The value to player 1 by pygambit's rational sequence-form LP (or LCP)."""
    import pygambit

    g, _ = to_pygambit(game, {})
    solve = pygambit.nash.lp_solve if method == "lp" else pygambit.nash.lcp_solve
    eq = solve(g, rational=True).equilibria[0]
    return F(eq.payoff(list(g.players)[0]))


def has_impossible_chance_moves(game) -> bool:
    """Whether some chance move has probability 0 (Gambit's lp_solve errs there)."""
    numbers = game.numbers({}, exact=True)
    return any(
        numbers.edge_prob[c] == 0
        for n in range(game.num_nodes)
        if game.kind[n] == NodeKind.CHANCE
        for c in game.children_of(n)
    )


# ---------------------------------------------------------------------------------
# Literature values
# ---------------------------------------------------------------------------------
def test_kuhn_poker_value():
    # Kuhn (1950), "A simplified two-person poker": the value to player 1 is -1/18.
    game = kuhn_poker()
    result = lp_solve(game, {})
    assert result.method == "lp" and result.exact
    assert result.details["value"] == F(-1, 18)
    assert result.details["lp_value"] == F(-1, 18)
    (eq,) = result.equilibria
    assert eq.values == (F(-1, 18), F(1, 18))
    assert eq.max_regret == 0
    assert behavior_regret(game, game.numbers({}), eq.probabilities)[0] == 0


def test_kuhn_poker_value_float():
    game = kuhn_poker()
    result = lp_solve(game, {}, exact=False)
    assert result.details["value"] == pytest.approx(-1 / 18, abs=1e-12)
    (eq,) = result.equilibria
    # Verified before it is returned: regret at machine precision, unlike the
    # tolerance-sized error HiGHS leaves (about 1e-7).
    assert 0 <= eq.max_regret <= 1e-9
    probs = [F(p) for p in eq.probabilities]
    assert float(behavior_regret(game, game.numbers({}), probs)[0]) <= 1e-12


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_matching_pennies(exact):
    # von Neumann and Morgenstern (1944): value 0, both mix 1/2.
    result = lp_solve(matching_pennies(), {}, exact=exact)
    assert result.details["value"] == pytest.approx(0, abs=FLOAT_TOL)
    assert list(result.equilibria[0].probabilities) == pytest.approx([0.5] * 4, abs=FLOAT_TOL)


def test_constant_sum_not_zero():
    # Payoffs add up to 3 everywhere: still solved; A's value is 0, B's 3.
    result = lp_solve(matching_pennies(bonus=3), {})
    assert result.details["value"] == 0
    assert result.details["constant"] == 3
    assert result.equilibria[0].values == (0, 3)


def test_a_game_with_chance():
    # Chance deals A a high card (1/4) or a low one; A sees it and raises or
    # folds (-1); B, not seeing the card, calls (A wins 2 when high, loses 2
    # when low) or folds (+1 to A). Solved by hand: A always raises high and
    # bluffs low with p; B calls with q. B is indifferent when
    # -2/4 + 2 (3/4) p = -(1/4 + (3/4) p), so p = 1/9; A low is indifferent
    # when 1 - 3q = -1, so q = 2/3. Value: (1/4)(1 + q) + (3/4)(-1) = -1/3.
    game = build_game("bluff", ["A", "B"], [
        chance("deal", {"high": "1/4", "low": "3/4"}, high="ah", low="al"),
        decision("ah", "A", "A high", raise_="bh", fold="fh"),
        decision("al", "A", "A low", raise_="bl", fold="fl"),
        decision("bh", "B", "B", call="ch", fold="dh"),
        decision("bl", "B", "B", call="cl", fold="dl"),
        terminal("fh", -1, 1), terminal("fl", -1, 1),
        terminal("ch", 2, -2), terminal("dh", 1, -1),
        terminal("cl", -2, 2), terminal("dl", 1, -1),
    ])
    result = lp_solve(game, {})
    eq = result.equilibria[0]
    assert eq.behavior["A high"]["raise_"] == 1
    assert eq.behavior["A low"]["raise_"] == F(1, 9)
    assert eq.behavior["B"]["call"] == F(2, 3)
    assert result.details["value"] == F(-1, 3) == gambit_value(game)


# ---------------------------------------------------------------------------------
# Errors and options
# ---------------------------------------------------------------------------------
def test_not_constant_sum_names_two_terminals():
    coordination = [[1, 0], [0, 1]]
    game = table_game((coordination, coordination), "coordination")
    with pytest.raises(SolverError, match=r"add up to 2 at terminal 'n0_0' and to 0 at 'n0_1'.*lcp"):
        lp_solve(game, {})
    with pytest.raises(SolverError, match=r"'n0_0'.*'n0_1'.*lcp"):
        lp_solve(game, {}, exact=False)


def test_needs_two_players():
    game = build_game("three", ["A", "B", "C"], [
        decision("a", "A", x="z1", y="z2"), terminal("z1", 1, -1, 0), terminal("z2", 0, 0, 0),
    ])
    with pytest.raises(SolverError, match="2-player"):
        lp_solve(game, {})


def test_all_equilibria_gives_one_with_a_warning():
    result = lp_solve(kuhn_poker(), {}, all_equilibria=True)
    assert len(result.equilibria) == 1
    assert any("one pair of optimal strategies" in w for w in result.warnings)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_a_wrong_float_solution_is_never_returned(monkeypatch, exact):
    # If HiGHS's answer were wrong, recovery finds no verified solution and says so.
    def wrong(program, player):
        n, m = program.G.shape[0], program.F.shape[0]
        vector = np.zeros(n + m)
        vector[0] = 1.0
        vector[1] = 1.0  # the first action of the first set, whatever it is worth
        return vector

    monkeypatch.setattr(lp_module, "_solve_float", wrong)
    if not exact:
        with pytest.raises(SolverError, match="could not recover a verified solution"):
            lp_solve(kuhn_poker(), {}, exact=False)
        return
    # Exact mode says so too, and gets the verified answer from Lemke instead:
    # Kuhn (1950), the first player's value is -1/18.
    result = lp_solve(kuhn_poker(), {}, exact=True)
    assert result.details["value"] == Fraction(-1, 18)
    assert result.equilibria[0].max_regret == 0
    assert any("could not recover a verified solution" in w for w in result.warnings)


# ---------------------------------------------------------------------------------
# Random zero-sum games
# ---------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(zero_sum=True))
def test_value_matches_gambit_and_lcp(game):
    result = lp_solve(game, {})
    value = result.details["value"]
    assert result.equilibria[0].max_regret == 0
    # Any Nash equilibrium of a zero-sum game has the value, so Gambit's exact
    # lcp_solve is an independent reference. (Its lp_solve is not always: it
    # returns invalid profiles when a chance move has probability 0, see
    # test_gambit_lp_errs_on_impossible_chance_moves, and hypothesis found
    # another game where it reported 0 against a verified -1/4.)
    assert value == gambit_value(game, "lcp")
    # Every equilibrium of a zero-sum game has the same value.
    for eq in lcp_solve(game, {}).equilibria:
        assert eq.values[0] == value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(zero_sum=True))
def test_exact_and_float_agree(game):
    exact = lp_solve(game, {})
    flt = lp_solve(game, {}, exact=False)
    assert flt.details["value"] == pytest.approx(float(exact.details["value"]), abs=FLOAT_TOL)
    (eq,) = flt.equilibria
    numbers = game.numbers({}, exact=True)
    regret = behavior_regret(game, numbers, [F(p) for p in eq.probabilities])[0]
    assert float(regret) <= 1e-9


def test_gambit_lp_errs_on_impossible_chance_moves():
    # Found by the property test above. P1 moves first (a0/a1); P2 does not see
    # it. After (a0, a0) and (a0, a1) chance moves, some branches having
    # probability 0, and P1 moves again not knowing where. Against P2's a1 P1
    # gets -1 whatever P1 does, and P2's a1 is never worse for P2: value -1.
    counts = [2, 2, 2, 2, 3, 0, 0, 2, 2, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]
    kinds = [0, 0, 0, 1, 1, 2, 2, 0, 0, 0, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2]
    movers = [0, 1, 1, -1, -1, -1, -1, 0, 0, 0, -1, 0] + [-1] * 8
    u1 = [0, -1, 0, 0, 0, 0, 0, 0, 0, -1, -1]
    probabilities = {3: [0, 1], 4: [0, 0, 1]}
    sets: list[str | None] = [None] * 20
    sets[0], sets[1], sets[2] = "first", "guess", "guess"
    for n in (7, 8, 9, 11):
        sets[n] = "again"
    game = game_from_arrays(
        "zero chance", ["P1", "P2"], counts, kinds, movers, [[F(u), F(-u)] for u in u1],
        probabilities, infoset_names=sets,
    )
    result = lp_solve(game, {})
    assert result.details["value"] == -1
    assert result.equilibria[0].max_regret == 0
    assert gambit_value(game, "lcp") == -1
    # Gambit's lp_solve reports value 0 with a profile whose probabilities at
    # P1's first set add up to 0 (not a behaviour strategy at all).
    import pygambit

    g, _ = to_pygambit(game, {})
    eq = pygambit.nash.lp_solve(g, rational=True).equilibria[0]
    first = list(list(g.players)[0].infosets)[0]
    assert sum(eq[a] for a in first.actions) == 0
    assert F(eq.payoff(list(g.players)[0])) == 0


def test_exact_lp_falls_back_to_lemke_when_highs_basis_is_not_exact():
    # Within 1e-12 of a degenerate matching-pennies variant HiGHS's float basis
    # is not the exact one; the exact answer must still come, verified.
    from policy.gamefile import loads_game
    from tests.test_sweep import GUESS

    game = loads_game(GUESS, "guess.toml", known_claims=[])
    bonus = Fraction(-1) + Fraction(1, 10**12)
    result = lp_solve(game, {"bonus": bonus}, exact=True)
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    assert any("solved instead by lcp" in w for w in result.warnings)
    # Value to the hider when both mix: (bonus + 1 ... ) solved by indifference:
    # hider left with q: seeker's left pays q*bonus - (1 - q), right pays -q + (1 - q);
    # equal at q = 2/(bonus + 3); the hider's value is then -(q*bonus - (1 - q)).
    q = 2 / (bonus + 3)
    assert result.details["value"] == -(q * bonus - (1 - q))


@pytest.mark.parametrize("which", ["kuhn 3", "kuhn 7", "leduc 2", "leduc 3"])
def test_poker_like_games_float_value_matches_exact_and_gambit(which):
    # The benchmark's poker-like games (benchmarks/bench_lp.py): the float
    # LP, whose active system is now polished with sparse solves only, gives
    # the exact LP's value and pygambit's; Kuhn poker's is -1/18 (Kuhn 1950).
    import pygambit as gbt

    from benchmarks.bench_lp import kuhn_like, leduc_like

    kind, size = which.split()
    game = kuhn_like(int(size)) if kind == "kuhn" else leduc_like(int(size))
    exact = lp_solve(game, {}, exact=True).details["value"]
    floats = lp_solve(game, {}, exact=False)
    assert float(floats.details["value"]) == pytest.approx(float(exact), abs=1e-9)
    if which == "kuhn 3":
        assert exact == Fraction(-1, 18)
    g, _ = to_pygambit(game, {})
    theirs = gbt.nash.lp_solve(g, rational=False).equilibria[0]
    assert float(exact) == pytest.approx(float(theirs.payoff(list(g.players)[0])), abs=1e-9)
