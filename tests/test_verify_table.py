"""The Nash check of bimatrix tables on their payoff matrices (``verify_table``),
and the direct mixed-to-behaviour conversion of games with one information set
a player.

Both are shortcuts of general code: each is compared with the general path
(the walk of the tree in ``verify.verified_equilibrium``, and
``sequence.behavior_from_plans``) on random games and profiles, and the
regrets with nashpy's payoff evaluation, an independent implementation.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import nashpy
import numpy as np
import pytest

from policy import from_matrices
from policy.representations.normal import reduced_normal_form
from policy.representations.sequence import behavior_from_plans
from policy.solvers.verify import VerificationError, verified_equilibrium
from policy.solvers.verify_table import table_of, verified_table_equilibrium
from tests.games import table_game


def _random_profile(rng: np.random.Generator, size: int, exact: bool) -> list:
    w = rng.integers(0, 4, size)
    if not w.any():
        w[rng.integers(size)] = 1
    w = w * (rng.random(size) < 0.7) if rng.random() < 0.5 else w
    if not w.any():
        w[0] = 1
    total = int(w.sum())
    return [Fraction(int(v), total) for v in w] if exact else [int(v) / total for v in w]


def _outcome(fn, *args):
    try:
        return fn(*args)
    except VerificationError as err:
        return ("refused", err.regret)


@pytest.mark.parametrize("exact", [True, False])
def test_matches_the_tree_walk(exact: bool) -> None:
    rng = np.random.default_rng(7)
    passed = refused = 0
    for trial in range(60):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        a, b = rng.integers(-5, 6, (m, n)), rng.integers(-5, 6, (m, n))
        game = table_game([a.tolist(), b.tolist()], title=f"t{trial}")
        table = table_of(game)
        assert table is not None and table.cell.shape == (m, n)
        numbers = game.numbers({}, exact=exact)
        for _ in range(6):
            if rng.random() < 0.5:  # a pure profile: often an equilibrium in small games
                x = [Fraction(int(i == rng.integers(m))) for i in range(m)]
                y = [Fraction(int(j == rng.integers(n))) for j in range(n)]
                x = x if any(x) else [Fraction(1)] + [Fraction(0)] * (m - 1)
                y = y if any(y) else [Fraction(1)] + [Fraction(0)] * (n - 1)
                if not exact:
                    x, y = [float(v) for v in x], [float(v) for v in y]
            else:
                x, y = _random_profile(rng, m, exact), _random_profile(rng, n, exact)
            probs = [*x, *y]
            tree = _outcome(verified_equilibrium, game, numbers, probs)
            fast = _outcome(verified_table_equilibrium, game, numbers, table, probs)
            if isinstance(tree, tuple):
                refused += 1
                assert isinstance(fast, tuple)
                if exact:
                    assert fast[1] == tree[1]
                else:
                    assert fast[1] == pytest.approx(tree[1], rel=1e-12, abs=1e-12)
                continue
            passed += 1
            assert not isinstance(fast, tuple)
            assert fast.probabilities == tree.probabilities
            assert fast.reach == tree.reach
            # The general placement of the products (terminals in any order) agrees.
            general = verified_table_equilibrium(game, numbers, dataclasses.replace(table, in_order=False), probs)
            assert table.in_order and general.reach == fast.reach
            if exact:
                assert fast.values == tree.values and fast.max_regret == tree.max_regret
            else:
                assert fast.values == pytest.approx(tree.values, rel=1e-12, abs=1e-12)
            # nashpy's expected payoffs: an independent evaluation of the same table.
            expected = nashpy.Game(a.astype(float), b.astype(float))[np.array(x, float), np.array(y, float)]
            assert [float(v) for v in fast.values] == pytest.approx(list(expected), abs=1e-9)
    assert passed and refused  # both branches were exercised


def test_matching_pennies_and_other_trees() -> None:
    game = table_game([[[1, 0], [0, 1]], [[0, 1], [1, 0]]], title="mp")
    table = table_of(game)
    assert table is not None and table.row_player == 0
    # Matching pennies (von Neumann and Morgenstern 1944): the unique equilibrium is (1/2, 1/2) each.
    numbers = game.numbers({}, exact=True)
    half = Fraction(1, 2)
    eq = verified_table_equilibrium(game, numbers, table, [half, half, half, half])
    assert eq.max_regret == 0 and eq.values == (half, half)
    with pytest.raises(VerificationError):
        verified_table_equilibrium(game, numbers, table, [Fraction(1), Fraction(0), half, half])
    # A three-player table is not a bimatrix table.
    three = table_game([np.zeros((2, 2, 2), int)] * 3, title="three")
    assert table_of(three) is None


def test_from_matrices_is_recognised() -> None:
    game = from_matrices([[3, 0], [5, 1]], [[3, 5], [0, 1]])
    table = table_of(game)
    assert table is not None
    # Prisoner's dilemma: (defect, defect) with payoffs (1, 1) is the equilibrium.
    eq = verified_table_equilibrium(game, game.numbers({}, exact=True), table, [0, 1, 0, 1])
    assert eq.values == (1, 1) and eq.max_regret == 0


@pytest.mark.parametrize("exact", [True, False])
def test_one_set_behaviour_matches_the_plans(exact: bool) -> None:
    rng = np.random.default_rng(3)
    for trial in range(30):
        m, n = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        game = table_game([rng.integers(0, 3, (m, n)).tolist()] * 2, title=f"b{trial}")
        form = reduced_normal_form(game, {}, exact=exact)
        mixed = [_random_profile(rng, m, exact), _random_profile(rng, n, exact)]
        plans = [[sum(sigma), *sigma] for sigma in mixed]
        assert form.behavior_from_mixed(mixed) == behavior_from_plans(game, plans)
    # Not normalised: both divide by the total.
    form = reduced_normal_form(table_game([[[1, 2]], [[2, 1]]]), {}, exact=True)
    assert form.behavior_from_mixed([[Fraction(1)], [Fraction(1), Fraction(3)]]) == [
        Fraction(1), Fraction(1, 4), Fraction(3, 4)
    ]


@pytest.mark.parametrize("exact", [True, False])
def test_table_normal_form_matches_the_general_construction(exact: bool) -> None:
    rng = np.random.default_rng(11)
    for trial in range(20):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        payoffs = [rng.integers(-9, 10, (m, n)).tolist(), rng.integers(-9, 10, (m, n)).tolist()]
        fast = reduced_normal_form(table_game(payoffs, title=f"f{trial}"), {}, exact=exact)
        plain_game = table_game(payoffs, title=f"g{trial}")
        plain_game._cache["strategic table"] = None  # as if not recognised: plan products
        plain = reduced_normal_form(plain_game, {}, exact=exact)
        assert fast.shape == plain.shape == (m, n)
        assert [[(s.label, dict(s.actions)) for s in p] for p in fast.strategies] == [
            [(s.label, dict(s.actions)) for s in p] for p in plain.strategies
        ]
        assert fast.payoffs.dtype == plain.payoffs.dtype
        assert fast.payoffs.tolist() == plain.payoffs.tolist()
        assert all((x == y).all() for x, y in zip(fast.plans, plain.plans, strict=True))
