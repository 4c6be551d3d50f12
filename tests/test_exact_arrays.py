"""The exact numbers on integer arrays equal the same sums made in ``Fraction`` objects.

:meth:`policy.model.Game.numbers` adds the outcomes along each path, and
:func:`policy.solvers.verify.subgame_values` the children of each node, on
integer numerators and denominators (:mod:`policy.rational`, int64 while it
surely fits, Python ints past that). Here both are compared with plain
``Fraction`` arithmetic on random games with parameters, at ordinary values and
at values large or fine enough that int64 cannot hold the sums.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.expr import evaluate
from policy.model import NodeKind
from policy.rational import add, common_rows, split, to_fractions
from policy.solvers.verify import _expectations, edge_weights, subgame_values
from tests.conftest import games_with_values

#: Factors for the payoff parameters: 1, then sizes past int64 (numerator or denominator).
SCALES = (Fraction(1), Fraction(2**70, 3), Fraction(5, 2**65 + 1), Fraction(2**40 + 7, 2**30 + 3))


@st.composite
def cases(draw):
    """A random game with outcomes at inner nodes, values for its parameters, and a mixed profile."""
    game, values = draw(games_with_values(max_nodes=30, symbolic=True, interior_payoffs=True))
    scale = draw(st.sampled_from(SCALES))
    values = {k: (v * scale if k in ("a", "b") else v) for k, v in values.items()}
    probs = []
    for s in game.infosets.values():
        weights = draw(st.lists(st.integers(0, 3), min_size=len(s.actions), max_size=len(s.actions)))
        if not any(weights):
            weights[draw(st.integers(0, len(weights) - 1))] = 1
        probs += [Fraction(w, sum(weights)) for w in weights]
    return game, values, probs


def path_sums(game, values):
    """Each terminal's payoffs: the outcomes from the root down to it, added as ``Fraction`` objects."""
    out = []
    for t in game.terminals.tolist():
        total = [Fraction(0)] * len(game.players)
        node = t
        while node >= 0:
            k = int(game.outcome[node])
            if k >= 0:
                payoffs = game.outcomes[k].payoffs
                total = [x + evaluate(e, values, exact=True) for x, e in zip(total, payoffs, strict=True)]
            node = int(game.parent[node]) if node else -1
        out.append(total)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_integer_arrays_equal_fraction_sums(case):
    game, values, probs = case
    numbers = game.numbers(values, exact=True)
    assert numbers.leaf_payoff.tolist() == path_sums(game, values)
    assert all(type(x) is Fraction for x in numbers.leaf_payoff.ravel().tolist())
    weight = edge_weights(game, numbers, probs)
    got = subgame_values(game, numbers, weight)
    # The Fraction path that the integer one replaced, node by node.
    assert got.tolist() == _expectations(game, numbers.leaf_payoff, weight, True).tolist()
    assert all(type(x) is Fraction for x in got.ravel().tolist())
    for i in range(game.num_nodes):
        if game.kind[i] != NodeKind.TERMINAL:
            kids = game.children_of(i)
            assert got[i].tolist() == [sum(weight[c] * got[c][p] for c in kids) for p in range(len(game.players))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.fractions(max_denominator=2**70), st.fractions(max_denominator=2**20)),
        min_size=1,
        max_size=80,
    ),
    st.integers(0, 2**80),
)
def test_rational_helpers_equal_fractions(pairs, big):
    a = [x + big * (k % 2) for k, (x, _) in enumerate(pairs)]
    b = [y for _, y in pairs]
    anum, aden = split(a)
    bnum, bden = split(b)
    snum, sden = add(anum, aden, bnum, bden)
    assert to_fractions(snum, sden).tolist() == [x + y for x, y in zip(a, b, strict=True)]
    # Two columns over one denominator per row.
    rnum, rden = common_rows(np.stack([anum, bnum], axis=1), np.stack([aden, bden], axis=1))
    assert to_fractions(rnum, rden).tolist() == [[x, y] for x, y in zip(a, b, strict=True)]
    # Many repeats: one object per distinct value, still the same values.
    rep = np.repeat(snum, 3), np.repeat(sden, 3)
    assert to_fractions(*rep).tolist() == [x + y for x, y in zip(a, b, strict=True) for _ in range(3)]
