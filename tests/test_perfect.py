"""Normal-form perfect equilibria of two-player games (:mod:`policy.solvers.perfect`).

Selten (1975), IJGT 4: perfect equilibria are limits of equilibria of games
where every strategy is played with a small probability; for two players they
are the equilibria in weakly undominated strategies (van Damme, *Stability
and Perfection of Nash Equilibria*, 1991, Theorem 3.2.2). Cross-check:
pygambit's ``enummixed_solve`` lists the extreme equilibria of random
bimatrix games, and SciPy's HiGHS decides dominance apart from our exact
simplex.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from policy.solvers import SolverError, solve
from policy.solvers.perfect import dominating, simplex_max
from tests.conftest import needs_pygambit
from tests.games import (
    ENTRY_VALUES,
    beer_quiche,
    entry_deterrence,
    gambit_mixed,
    gambit_table,
    mixed_of,
    selten_horse,
    table_game,
)

F = Fraction


def test_the_textbook_imperfect_equilibrium_is_discarded():
    # Selten (1975), and e.g. Fudenberg and Tirole, Game Theory (1991), section
    # 8.4: in [[1, 0], [0, 0]] for both players, (D, R) is Nash but each of D
    # and R is weakly dominated; only (U, L) is perfect.
    a = [[1, 0], [0, 0]]
    result = solve(table_game([a, a]), {}, method="perfect")
    assert [mixed_of(eq) for eq in result.equilibria] == [((1, 0), (1, 0))]
    assert result.equilibria[0].refinement == "normal-form perfect"
    [(mixed, why)] = result.details["discarded"]
    assert why.text == "P1's s0_1 is weakly dominated by s0_0"


def test_entry_deterrence_the_threat_is_not_perfect():
    # Selten's chain-store stage: (out, fight) is Nash; fighting is weakly
    # dominated by accommodating, so only (enter, accommodate) is perfect.
    result = solve(entry_deterrence(), ENTRY_VALUES, method="perfect")
    [eq] = result.equilibria
    assert eq.choice("entry") == "enter" and eq.choice("response") == "accommodate"
    assert eq.max_regret == 0
    assert all("Incumbent" in why.text for _, why in result.details["discarded"])


def test_beer_quiche_both_pooling_outcomes_have_a_perfect_equilibrium():
    # Perfection does not pick between the two pooling outcomes (Cho and Kreps
    # 1987 needed the Intuitive Criterion for that): each has an extreme
    # equilibrium with a strictly mixed reply off the path that is perfect.
    result = solve(beer_quiche(), {}, method="perfect")
    sent = {(eq.choice("s"), eq.choice("w")) for eq in result.equilibria}
    assert sent == {("beer", "beer"), ("quiche", "quiche")}


def test_float_mode_gives_the_same_equilibria():
    exact = solve(entry_deterrence(), ENTRY_VALUES, method="perfect")
    floats = solve(entry_deterrence(), ENTRY_VALUES, method="perfect", exact=False)
    assert [eq.choice("entry") for eq in floats.equilibria] == [eq.choice("entry") for eq in exact.equilibria]


def test_more_than_two_players_is_refused():
    with pytest.raises(SolverError, match="two-player"):
        solve(selten_horse(), {}, method="perfect")


def test_simplex_on_small_programs():
    # max x + y subject to x + 2y + s = 4, 3x + y + t = 6: optimum at (8/5, 6/5), value 14/5.
    value, z = simplex_max([F(1), F(1), F(0), F(0)], [[F(1), F(2), F(1), F(0)], [F(3), F(1), F(0), F(1)]],
                           [F(4), F(6)])
    assert value == F(14, 5) and z[:2] == [F(8, 5), F(6, 5)]
    # x + y = 1 and x + y = 2 at once: infeasible.
    assert simplex_max([F(1), F(0)], [[F(1), F(1)], [F(1), F(1)]], [F(1), F(2)]) is None
    # A redundant row (stated twice) is dropped after phase one.
    value, _ = simplex_max([F(1), F(0)], [[F(1), F(1)], [F(1), F(1)]], [F(1), F(1)])
    assert value == 1


def _dominated_by_highs(rows: np.ndarray, sigma: np.ndarray) -> bool:
    """Weak dominance of the mixture ``sigma`` of ``rows``, by SciPy's HiGHS in floating point."""
    from scipy.optimize import linprog

    m, n = rows.shape
    target = sigma @ rows
    # max sum(s): rows^T t - s = target, sum t = 1.
    a_eq = np.vstack([np.hstack([rows.T, -np.eye(n)]), np.hstack([np.ones(m), np.zeros(n)])])
    res = linprog(-np.r_[np.zeros(m), np.ones(n)], A_eq=a_eq, b_eq=np.r_[target, 1.0],
                  bounds=[(0, None)] * (m + n), method="highs")
    assert res.success
    return -res.fun > 1e-9


@needs_pygambit
def test_random_bimatrix_games_against_pygambit_and_highs():
    import pygambit

    rng = random.Random(7)
    seen = {"kept": 0, "dropped": 0}
    for _ in range(40):
        m, n = rng.choice([(2, 2), (2, 3), (3, 3), (3, 4)])
        # Few distinct payoffs, so that ties (and weakly dominated strategies) are common.
        a = [[rng.randint(0, 2) for _ in range(n)] for _ in range(m)]
        b = [[rng.randint(0, 2) for _ in range(n)] for _ in range(m)]
        g = gambit_table([a, b])
        expected = set()
        for eq in pygambit.nash.enummixed_solve(g, rational=True).equilibria:
            x, y = gambit_mixed(g, eq)
            if not (_dominated_by_highs(np.array(a, float), np.array(x, float))
                    or _dominated_by_highs(np.array(b, float).T, np.array(y, float))):
                expected.add((x, y))
            else:
                seen["dropped"] += 1
        got = {mixed_of(eq) for eq in solve(table_game([a, b]), {}, method="perfect").equilibria}
        assert got == expected, (a, b)
        seen["kept"] += len(got)
    assert seen["kept"] and seen["dropped"], seen


def test_dominating_finds_a_mixture_when_no_pure_strategy_dominates():
    # The middle row is dominated by the half-half mixture of the others only.
    rows = [[F(3), F(0)], [F(1), F(1)], [F(0), F(3)]]
    by = dominating(rows, [F(0), F(1), F(0)])
    assert by is not None and by[1] == 0 and by[0] > 0 and by[2] > 0
    assert dominating(rows, [F(1), F(0), F(0)]) is None
