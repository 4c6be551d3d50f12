"""Float spe: copies of one stage reached along different paths are solved once.

In float mode a part's payoffs are totals from the root, shifted by the
first terminal's; two copies of a stage that an earlier outcome reaches with
different running totals differ, after the shift, by the rounding of those
totals. :func:`policy.solvers.subgames._float_key` rounds them to a grid far
finer than the tie tolerance, so such copies share one key (as their exact
numbers do in exact mode), and numbers that differ by more than rounding do not.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import policy.solvers.subgames as subgames
from policy.expr import parse
from policy.model import NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import solve
from tests.conftest import decision

#: Running totals before each copy (as a campaign's earlier stages pay): 0.1 + 0.2 is not 0.3 in floats.
FEES = ("1/10", "7/10", "13/10")


def copies_game(tops=("3/10", "3/10", "3/10")):
    """Chance picks one of three copies of one bimatrix game of A and B, each after a fee to A.

    Copy k pays A ``FEES[k]`` before it and ``tops[k]`` at (up, left); B does not
    see A's move, and the game is not constant-sum, so each copy goes to qpe.
    """

    def terminal(name, a, b):
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse(a), parse(b))))

    specs = [NodeSpec("nature", NodeKind.CHANCE, actions=tuple((f"c{k}", f"g{k}") for k in range(3)),
                      probabilities=tuple(parse("1/3") for _ in range(3)))]
    leaves = []
    for k, (fee, top) in enumerate(zip(FEES, tops, strict=True)):
        specs += [
            NodeSpec(f"g{k}", NodeKind.CHANCE, actions=(("go", f"a{k}"),), probabilities=(parse("1"),),
                     outcome=Outcome(f"fee{k}", (parse(fee), parse("0")))),
            decision(f"a{k}", "A", infoset=f"A{k}", up=f"u{k}", down=f"d{k}"),
            decision(f"u{k}", "B", infoset=f"B{k}", left=f"ul{k}", right=f"ur{k}"),
            decision(f"d{k}", "B", infoset=f"B{k}", left=f"dl{k}", right=f"dr{k}"),
        ]
        leaves += [terminal(f"ul{k}", top, "0"), terminal(f"ur{k}", "1/10", "1/5"),
                   terminal(f"dl{k}", "1/10", "3/10"), terminal(f"dr{k}", "1/5", "1/10")]
    return build_game("copies", ["A", "B"], specs + leaves)


def _behaviour(result):
    return np.array([float(p) for p in result.equilibria[0].probabilities])


def test_copies_differing_by_rounding_are_solved_once(monkeypatch):
    game = copies_game()
    exact = solve(game, {}, method="spe")
    floats = solve(game, {}, method="spe", exact=False)
    assert exact.details["distinct"] == 2  # the root's part, and the three copies as one
    assert floats.details["distinct"] == exact.details["distinct"]
    assert np.allclose(_behaviour(floats), _behaviour(exact), rtol=0, atol=1e-12)
    assert abs(float(floats.equilibria[0].values[0]) - float(exact.equilibria[0].values[0])) < 1e-12

    # The copies' float numbers do differ in their bytes: keyed by bytes, each is solved.
    monkeypatch.setattr(subgames, "_float_key", lambda payoff, chances: payoff.tobytes() + chances.tobytes())
    game = copies_game()
    by_bytes = solve(game, {}, method="spe", exact=False)
    assert by_bytes.details["distinct"] > floats.details["distinct"]
    assert np.allclose(_behaviour(by_bytes), _behaviour(floats), rtol=0, atol=1e-12)


def test_copies_that_really_differ_keep_their_own_keys():
    # 3/10 against 3/10 plus a millionth of it: far above rounding, and solved apart.
    top = Fraction(3, 10)
    game = copies_game(tops=(str(top), str(top * (1 + Fraction(1, 10**6))), str(top)))
    floats = solve(game, {}, method="spe", exact=False)
    exact = solve(game, {}, method="spe")
    assert floats.details["distinct"] == exact.details["distinct"] == 3
    assert np.allclose(_behaviour(floats), _behaviour(exact), rtol=0, atol=1e-9)


def test_float_key_grid():
    payoff = np.array([[0.0, 0.0], [0.1 + 0.2 - 0.3, 1.0], [0.5, -2.0]])
    chances = np.array([0.25, 0.75])
    key = subgames._float_key(payoff, chances)
    # A rounding-sized change gives the same key, one of a millionth of the largest does not.
    assert subgames._float_key(payoff + np.array([[0, 0], [0, 4e-16], [1e-16, 0]]), chances) == key
    assert subgames._float_key(payoff + np.array([[0, 0], [0, 2e-6], [0, 0]]), chances) != key
    # Scaling a player's payoffs by a power of two moves only that player's exponent.
    assert subgames._float_key(payoff * np.array([1, 8]), chances) != key
    # Non-finite numbers keep their bytes.
    odd = payoff.copy()
    odd[2, 1] = np.inf
    assert subgames._float_key(odd, chances) == odd.tobytes() + chances.tobytes()
