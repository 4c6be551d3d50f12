"""Every node's exact value on integers, parent by parent in int64 or Python integers.

:func:`policy.rational.tree_values` sums each parent's children in int64
when that parent's sum surely fits and in Python integers otherwise
(``_tree_values_mixed``); the same values come from the pass made wholly in
Python integers (object arrays in) and from
:func:`policy.solvers.verify.subgame_values` in ``Fraction`` objects. Long
denominators on some terminals make some parents pass int64 and leave the
others in it.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import rational
from policy.model import Game, Numbers
from policy.solvers.verify import edge_weights, subgame_values
from tests.games import behaviors, imperfect_games

#: Primes near 2^31 and 2^40: two of them over one parent pass the int64 bound of a sum.
LONG = [2147483647, 2147483629, 1099511627791, 1099511627689]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Game, list[Fraction], dict[int, int]]:
    game = draw(imperfect_games(players=(2, 3), max_nodes=40))
    probs = draw(behaviors(game))
    # Some terminals' payoffs over a long prime (row by row: one denominator per terminal).
    stretched = {t: draw(st.sampled_from(LONG)) for t in range(len(game.terminals)) if draw(st.booleans())}
    return game, probs, stretched


def integer_numbers(game: Game, probs: list[Fraction], stretched: dict[int, int]) -> tuple:
    numbers = game.numbers({}, exact=True)
    leaf = numbers.leaf_payoff.copy()
    for t, p in stretched.items():
        leaf[t] = [x + Fraction(1, p) for x in leaf[t]]
    players = leaf.shape[1]
    lnum, lden = rational.split(leaf.ravel().tolist())
    leaf_num, leaf_den = rational.common_rows(lnum.reshape(-1, players), lden.reshape(-1, players))
    weight = edge_weights(game, numbers, probs)
    wnum, wden = rational.split(weight.tolist())
    return leaf, leaf_num, leaf_den, wnum, wden, numbers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_mixed_pass_gives_the_values_of_the_pass_in_python_integers_and_in_fractions(case):
    game, probs, stretched = case
    leaf, leaf_num, leaf_den, wnum, wden, numbers = integer_numbers(game, probs, stretched)
    if leaf_num.dtype == object:
        return  # past int64 already at the terminals: the pass in Python integers alone
    num, den = rational.tree_values(game, leaf_num, leaf_den, wnum, wden)
    onum, oden = rational.tree_values(game, rational.as_object(leaf_num), rational.as_object(leaf_den),
                                      rational.as_object(wnum), rational.as_object(wden))
    # Lowest terms either way: the same integers.
    assert num.tolist() == onum.tolist()
    assert den.tolist() == oden.tolist()
    # int64 exactly when every parent fitted: then no value needs more.
    if num.dtype != object:
        assert max(abs(x) for x in [*num.ravel().tolist(), *den.tolist()]) < rational.INT_LIMIT
    fraction_numbers = Numbers(True, leaf_payoff=leaf, edge_prob=numbers.edge_prob)
    values = subgame_values(game, fraction_numbers, edge_weights(game, fraction_numbers, probs))
    made = rational.to_fractions(num, den)
    assert made.tolist() == values.tolist()


def test_one_long_parent_leaves_its_siblings_in_int64():
    """Chance over two chance nodes over terminals: only the parents above the long payoffs pass int64."""
    from policy.model import NodeKind, game_from_arrays

    c, t = int(NodeKind.CHANCE), int(NodeKind.TERMINAL)
    p, q = LONG[2], LONG[3]
    payoffs = [[Fraction(1, p), 0], [Fraction(-1, q), 1], [Fraction(1, 5), 2], [Fraction(3, 7), 0]]
    halves, thirds = [Fraction(1, 2)] * 2, [Fraction(1, 3), Fraction(2, 3)]
    game = game_from_arrays("long", ["A", "B"], [2, 2, 2, 0, 0, 0, 0], [c, c, c, t, t, t, t],
                            [-1] * 7, payoffs, {0: halves, 1: thirds, 2: thirds})
    leaf, leaf_num, leaf_den, wnum, wden, numbers = integer_numbers(game, [], {})
    num, den = rational.tree_values(game, leaf_num, leaf_den, wnum, wden)
    onum, oden = rational.tree_values(game, rational.as_object(leaf_num), rational.as_object(leaf_den),
                                      rational.as_object(wnum), rational.as_object(wden))
    assert num.dtype == object
    assert num.tolist() == onum.tolist() and den.tolist() == oden.tolist()
    assert den[2] == 105 and den[1] > rational.INT_LIMIT
    values = subgame_values(game, numbers, edge_weights(game, numbers, []))
    assert rational.to_fractions(num, den).tolist() == values.tolist()
