"""Games whose numbers are held as arrays give the same answers as games of expressions.

Games read from Gambit files and built with ``game_from_arrays`` keep their
payoffs and chance probabilities as integer arrays (``ConstantOutcomes``,
``ConstantProbabilities``), and exact backward induction then runs on
numerators and denominators. The same random trees built node by node with
expressions (``build_game``) go through the expression path; both must give
the same equilibria, exactly and in floats. The whole-file ``.efg`` reader
must build the same game as the token-by-token reader.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.gambit import _read_efg, _Reader, assert_same_game, read_efg, write_efg
from policy.model import (
    ConstantOutcomes,
    NodeKind,
    NodeSpec,
    Outcome,
    build_game,
    game_from_arrays,
)
from policy.solvers.backward import spe_solve
from policy.solvers.verify import (
    VerificationError,
    acceptable,
    edge_weights,
    subgame_check,
    subgame_check_array,
    subgame_values,
    verified_equilibrium,
    verified_subgame_perfect,
)


@st.composite
def trees(draw: st.DrawFn) -> dict:
    """A random perfect-information tree, breadth-first, with chance and rational numbers."""
    players = draw(st.integers(2, 3))
    n_inner = draw(st.integers(1, 12))
    counts = [draw(st.integers(2, 3)) for _ in range(n_inner)]
    # Breadth-first: node i's children follow; the first n_inner nodes that exist are inner.
    num_children: list[int] = []
    total = 1
    for c in counts:
        if len(num_children) >= total:
            break
        num_children.append(c)
        total += c
    num_children += [0] * (total - len(num_children))
    kinds, movers, probabilities = [], [], {}
    for i, c in enumerate(num_children):
        if c == 0:
            kinds.append(NodeKind.TERMINAL)
            movers.append(-1)
        elif draw(st.booleans()) and draw(st.booleans()):
            kinds.append(NodeKind.CHANCE)
            movers.append(-1)
            weights = [draw(st.integers(1, 7)) for _ in range(c)]
            probabilities[i] = [Fraction(w, sum(weights)) for w in weights]
        else:
            kinds.append(NodeKind.DECISION)
            movers.append(draw(st.integers(0, players - 1)))
    small = st.integers(-4, 4) | st.fractions(min_value=-50, max_value=50, max_denominator=12)
    wide = st.integers(-(10**15), 10**15)
    values = draw(st.sampled_from([small, wide]))
    payoffs = [[Fraction(draw(values)) for _ in range(players)] for c in num_children if c == 0]
    return {
        "players": [f"P{k + 1}" for k in range(players)],
        "num_children": num_children,
        "kind": kinds,
        "player": movers,
        "payoffs": payoffs,
        "probabilities": probabilities,
    }


def expression_game(tree: dict):
    """The same tree node by node, every number an expression."""
    num_children = tree["num_children"]
    first = 1
    specs = []
    terminal = 0
    for i, c in enumerate(num_children):
        kind = tree["kind"][i]
        name = f"n{i}"
        if c == 0:
            outcome = Outcome(f"o{terminal}", tuple(parse(v) for v in tree["payoffs"][terminal]))
            terminal += 1
            specs.append(NodeSpec(name, NodeKind.TERMINAL, outcome=outcome))
            continue
        actions = tuple((f"a{k}", f"n{first + k}") for k in range(c))
        first += c
        if kind == NodeKind.CHANCE:
            probs = tuple(parse(p) for p in tree["probabilities"][i])
            specs.append(NodeSpec(name, NodeKind.CHANCE, actions=actions, probabilities=probs))
        else:
            player = tree["players"][tree["player"][i]]
            specs.append(NodeSpec(name, NodeKind.DECISION, player=player, actions=actions))
    return build_game("random tree", tree["players"], specs, root="n0", origin="built")


def array_game(tree: dict):
    return game_from_arrays(
        "random tree",
        tree["players"],
        tree["num_children"],
        tree["kind"],
        tree["player"],
        tree["payoffs"],
        tree["probabilities"],
    )


@settings(max_examples=150, deadline=None)
@given(trees())
def test_array_and_expression_paths_give_the_same_equilibria(tree):
    arrays, exprs = array_game(tree), expression_game(tree)
    assert isinstance(arrays.outcomes, ConstantOutcomes)
    assert not isinstance(exprs.outcomes, ConstantOutcomes)
    assert arrays.numbers({}, exact=True).ratios is not None
    for exact in (True, False):
        a = spe_solve(arrays, {}, exact=exact)
        b = spe_solve(exprs, {}, exact=exact)
        assert a.ties == b.ties
        assert a.warnings == b.warnings
        (x,), (y,) = a.equilibria, b.equilibria
        assert x.probabilities == y.probabilities
        if exact:
            assert x.values == y.values
            assert x.reach == y.reach
            assert x.max_regret == y.max_regret == 0
        else:
            assert x.values == pytest.approx(y.values, rel=1e-12, abs=1e-12)
            assert x.reach == pytest.approx(y.reach, rel=1e-12, abs=1e-12)
    assert arrays.is_constant_sum == exprs.is_constant_sum


@settings(max_examples=100, deadline=None)
@given(trees())
def test_whole_file_reader_builds_the_game_the_token_reader_builds(tree):
    text = write_efg(expression_game(tree))
    fast = read_efg(text)
    slow = _read_efg(_Reader(text, "<string>"))
    assert isinstance(fast.outcomes, ConstantOutcomes)  # the whole-file reader read it
    assert not isinstance(slow.outcomes, ConstantOutcomes)
    assert_same_game(fast, slow)
    for exact in (True, False):
        a, b = spe_solve(fast, {}, exact=exact), spe_solve(slow, {}, exact=exact)
        assert a.equilibria[0].probabilities == b.equilibria[0].probabilities
        assert a.ties == b.ties


def test_exact_induction_falls_back_to_python_integers_past_int64():
    # Payoffs beyond int64 (about 9.2e18), and products of them with probabilities.
    big = 10**19 + 7
    tree = {
        "players": ["P1", "P2"],
        "num_children": [2, 2, 0, 0, 0],
        "kind": [NodeKind.DECISION, NodeKind.CHANCE, NodeKind.TERMINAL, NodeKind.TERMINAL, NodeKind.TERMINAL],
        "player": [0, -1, -1, -1, -1],
        "payoffs": [[Fraction(big, 3), 1], [Fraction(big), 2], [Fraction(-big, 7), 3]],
        "probabilities": {1: [Fraction(1, 3), Fraction(2, 3)]},
    }
    arrays, exprs = array_game(tree), expression_game(tree)
    a, b = spe_solve(arrays, {}, exact=True), spe_solve(exprs, {}, exact=True)
    assert a.equilibria[0].values == b.equilibria[0].values
    assert a.equilibria[0].reach == b.equilibria[0].reach
    # By hand: the chance node is worth 1/3 * big + 2/3 * (-big/7) = 5 big / 21 < big / 3.
    chance = Fraction(1, 3) * big + Fraction(2, 3) * Fraction(-big, 7)
    assert chance == Fraction(5 * big, 21)
    assert a.equilibria[0].values == (Fraction(big, 3), Fraction(1))
    assert np.asarray(arrays.numbers({}, exact=True).ratios.leaf_num).dtype == object


@settings(max_examples=100, deadline=None)
@given(trees(), st.data())
def test_the_array_check_of_an_spe_answer_gives_the_existing_checks_verdict(tree, data):
    # The spe answer of an array-built game, and the same profile with one
    # decision switched to another action (often no longer subgame-perfect).
    game = array_game(tree)
    profile = np.array(spe_solve(game, {}, exact=True).equilibria[0].probabilities, dtype=object)
    if game.num_actions and data.draw(st.booleans()):
        s = game.infosets.at(data.draw(st.integers(0, len(game.infosets) - 1)))
        block = slice(int(game.infoset_offsets[s.index]), int(game.infoset_offsets[s.index]) + len(s.actions))
        profile[block] = Fraction(0)
        profile[int(game.infoset_offsets[s.index]) + data.draw(st.integers(0, len(s.actions) - 1))] = Fraction(1)
    for exact in (True, False):
        numbers = game.numbers({}, exact=exact)
        vector = profile if exact else profile.astype(np.float64)
        listed = vector.tolist()
        weight = edge_weights(game, numbers, listed)
        old = subgame_check(game, numbers, listed, weight, subgame_values(game, numbers, weight))
        new = subgame_check_array(game, numbers, vector)[0]
        assert acceptable(new.excess) == acceptable(old.excess)
        assert new.node == old.node
        assert new.regret == (old.regret if exact else pytest.approx(old.regret, rel=1e-12, abs=1e-12))
        try:
            before = verified_equilibrium(game, numbers, listed, check=subgame_check)
        except VerificationError:
            with pytest.raises(VerificationError):
                verified_subgame_perfect(game, numbers, vector)
            continue
        after = verified_subgame_perfect(game, numbers, vector)
        assert after.probabilities == before.probabilities
        assert after.reach == before.reach
        assert after.values == (before.values if exact else pytest.approx(before.values, rel=1e-12, abs=1e-12))
