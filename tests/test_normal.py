"""The reduced normal form: hand examples, Gambit's catalogue, Kuhn's theorem.

Payoff tables are compared with pygambit's reduced strategic form, strategy by
strategy: Gambit's strategies are matched to ours by the actions they take
(``Strategy.action(infoset)``), never by position or label. Expected payoffs
of behaviour profiles come from the reference loop of tests/conftest.py.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import Game, build_game
from policy.representations.normal import MAX_PROFILES, reduced_normal_form
from policy.solvers.errors import SolverError
from tests.conftest import (
    FLOAT_TOL,
    HAVE_PYGAMBIT,
    decision,
    needs_pygambit,
    pygambit,
    reference_values,
    terminal,
    to_pygambit,
)
from tests.games import (
    CATALOG_MAX_PROFILES,
    ENTRY_VALUES,
    behaviors,
    catalog_slugs,
    entry_deterrence,
    from_pygambit,
    imperfect_games,
    kuhn_poker,
    two_stage,
)

F = Fraction

# ---------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------
def table(nf, player):
    """A player's payoff table as nested lists."""
    return nf.payoffs[player].tolist()


def labels(nf):
    return [[s.label for s in mine] for mine in nf.strategies]


def assert_same_as_gambit(game: Game, g, infoset_of) -> None:
    """Our reduced normal form equals Gambit's, strategies matched by their actions.

    ``infoset_of(gambit_infoset) -> our infoset index``; actions are matched by
    position within the set.
    """
    nf = reduced_normal_form(game, {}, exact=True)
    tables = g.to_arrays(dtype=Fraction)
    assert nf.shape == tables[0].shape
    position = []  # per player: gambit strategy number -> our strategy index
    for i, player in enumerate(g.players):
        ours = {tuple(sorted(s.actions.items())): k for k, s in enumerate(nf.strategies[i])}
        mapping = []
        for strategy in player.strategies:
            key = []
            for infoset in player.infosets:
                action = strategy.action(infoset)
                if action is not None:
                    key.append((infoset_of(infoset), list(infoset.actions).index(action)))
            mapping.append(ours[tuple(sorted(key))])
        assert sorted(mapping) == list(range(len(nf.strategies[i])))
        position.append(mapping)
    for profile in itertools.product(*(range(n) for n in nf.shape)):
        mine = tuple(position[i][s] for i, s in enumerate(profile))
        for j in range(len(g.players)):
            assert nf.payoffs[j][mine] == tables[j][profile], (profile, j)


def pure_behavior(game: Game, strategies) -> list[Fraction]:
    """The flat behaviour vector of a pure profile (irrelevant sets: first action)."""
    probs = [F(0)] * game.num_actions
    for s in game.infosets.values():
        probs[s.offset] = F(1)
    for strategy in strategies:
        for k, a in strategy.actions.items():
            s = game.infosets.at(k)
            probs[s.offset : s.offset + len(s.actions)] = [F(int(j == a)) for j in range(len(s.actions))]
    return probs


@st.composite
def mixed_profiles(draw: st.DrawFn, shape: tuple[int, ...]) -> list[list[Fraction]]:
    out = []
    for n in shape:
        weights = [draw(st.integers(0, 3)) for _ in range(n)]
        if not any(weights):
            weights[0] = 1
        out.append([F(w, sum(weights)) for w in weights])
    return out


# ---------------------------------------------------------------------------------
# Hand examples
# ---------------------------------------------------------------------------------
def test_entry_game_is_two_by_two():
    # Selten (1978): the entrant enters or stays out; the incumbent, asked only
    # after entry, fights (-c, -c) or accommodates (1, 1); out gives (0, 2).
    game = entry_deterrence()
    nf = reduced_normal_form(game, ENTRY_VALUES)
    assert labels(nf) == [["enter", "stay_out"], ["fight", "accommodate"]]
    #               fight    accommodate
    assert table(nf, 0) == [[-1, 1],    # enter
                            [0, 0]]     # stay_out
    assert table(nf, 1) == [[-1, 1],
                            [2, 2]]
    assert nf.payoffs.dtype == object and all(type(v) is Fraction for v in nf.payoffs.ravel())
    flt = reduced_normal_form(game, {"fight_cost": F(3)}, exact=False)
    assert flt.payoffs.dtype == np.float64
    assert flt.payoffs.tolist() == [[[-3.0, 1.0], [0.0, 0.0]], [[-3.0, 1.0], [2.0, 2.0]]]


def reduction_game():
    """P1 moves L or R; after L, P2 moves x or y; after R, P1 moves again, l or r."""
    specs = [
        decision("root", "P1", L="p2", R="again"),
        decision("p2", "P2", x="Lx", y="Ly"),
        decision("again", "P1", l="Rl", r="Rr"),
        terminal("Lx", 3, 1),
        terminal("Ly", 0, 0),
        terminal("Rl", 1, 2),
        terminal("Rr", 2, "1/2"),
    ]
    return build_game("reduction", ["P1", "P2"], specs)


def test_reduction_merges_strategies_that_differ_only_where_unreachable():
    nf = reduced_normal_form(reduction_game(), {})
    # Unreduced, P1 has 2 x 2 = 4 strategies, but (L, l) and (L, r) are the same
    # plan: after L, the second move never comes. Reduced: L*, Rl, Rr.
    assert labels(nf) == [["L,*", "R,l", "R,r"], ["x", "y"]]
    assert [s.actions for s in nf.strategies[0]] == [{0: 0}, {0: 1, 2: 0}, {0: 1, 2: 1}]
    assert nf.strategies[0][1].action_labels(nf.game) == {"root": "R", "again": "l"}
    assert table(nf, 0) == [[3, 0], [1, 1], [2, 2]]
    assert table(nf, 1) == [[1, 0], [2, 2], [F(1, 2), F(1, 2)]]
    assert nf.strategy_index("P1", "R,r") == 2 and nf.strategy_index(1, "y") == 1
    with pytest.raises(KeyError, match="no strategy 'L,l'"):
        nf.strategy_index(0, "L,l")
    assert nf.plans[0].tolist() == [[1, 1, 0, 0, 0], [1, 0, 1, 1, 0], [1, 0, 1, 0, 1]]


def test_two_stage_game_with_chance_and_an_information_set():
    nf = reduced_normal_form(two_stage(), {})
    # P1's sets: left (a, b), right (c, d), again (e, f, only after c):
    # 2 x (1 + 2) = 6 strategies. P2 has one set: x or y.
    assert labels(nf) == [
        ["a,c,e", "a,c,f", "a,d,*", "b,c,e", "b,c,f", "b,d,*"],
        ["x", "y"],
    ]
    # (a, d, *) against y: 1/3 * Lay (0) + 2/3 * Rd (2) = 4/3.
    assert nf.payoffs[0][2, 1] == F(4, 3)
    # (b, c, e) against y: 1/3 * Lb (1) + 2/3 * Rcye (6) = 13/3; P2: 2/3 * 0 + 1/3 * 0.
    assert nf.payoffs[0][3, 1] == F(13, 3) and nf.payoffs[1][3, 1] == 0


def test_three_players_and_a_player_without_moves():
    specs = [
        decision("a", "A", go="b", stop="t1"),
        decision("b", "B", go="t2", stop="t3"),
        terminal("t1", 1, 0, 5),
        terminal("t2", 2, 2, 5),
        terminal("t3", 0, 3, 5),
    ]
    nf = reduced_normal_form(build_game("three", ["A", "B", "C"], specs), {})
    assert nf.shape == (2, 2, 1)
    assert labels(nf)[2] == ["-"]
    assert nf.payoffs[:, :, :, 0].tolist() == [
        [[2, 0], [1, 1]],
        [[2, 3], [0, 0]],
        [[5, 5], [5, 5]],
    ]


def test_too_many_profiles_is_refused_with_the_counts():
    game = kuhn_poker()
    with pytest.raises(SolverError, match=r"27 x 64 = 1728 pure strategy profiles \(P1: 27, P2: 64\)"):
        reduced_normal_form(game, {}, max_profiles=1000)
    assert MAX_PROFILES == 10**6


def test_kuhn_poker_value_from_the_normal_form():
    # Kuhn (1950): player 1's optimal strategies include "bluff with J with
    # probability 1/3, never bet first with Q, bet with K; call a bet with Q
    # with probability 2/3 (after checking)"; with P2's optimal strategy the value
    # is -1/18. Checked here through Kuhn's theorem: the mixed strategies built
    # from the behaviour profile give the same payoff as the tree.
    game = kuhn_poker()
    nf = reduced_normal_form(game, {})
    assert nf.shape == (27, 64)  # P1: 3 per card (bet, check-fold, check-call); P2: 2^6
    third = F(1, 3)
    behavior = {
        "P1_J": [1 - third, third], "P1_Q": [1, 0], "P1_K": [0, 1],
        "P1_J_cb": [1, 0], "P1_Q_cb": [1 - 2 * third, 2 * third], "P1_K_cb": [0, 1],
        # P2: call a bet with K, with Q w.p. 1/3; after a check bet with K, bluff with J w.p. 1/3.
        "P2_J_bet": [1, 0], "P2_Q_bet": [1 - third, third], "P2_K_bet": [0, 1],
        "P2_J_check": [1 - third, third], "P2_Q_check": [1, 0], "P2_K_check": [0, 1],
    }
    probs = [F(0)] * game.num_actions
    for name, dist in behavior.items():
        s = game.infosets[name]
        probs[s.offset : s.offset + 2] = dist
    mixed = nf.mixed_from_behavior(probs)
    assert [sum(m) for m in mixed] == [1, 1]
    assert nf.expected_payoffs(mixed) == [F(-1, 18), F(1, 18)]  # Kuhn 1950
    # Back to behaviour: the same, except where P1 never gets (check with K, then
    # a bet): unreached by P1's own plan, so uniform.
    back = nf.behavior_from_mixed(mixed)
    k_cb = game.infosets["P1_K_cb"].offset
    assert back[k_cb : k_cb + 2] == [F(1, 2), F(1, 2)]
    assert back[:k_cb] + back[k_cb + 2 :] == probs[:k_cb] + probs[k_cb + 2 :]


# ---------------------------------------------------------------------------------
# Cross-checks with Gambit
# ---------------------------------------------------------------------------------
@needs_pygambit
@pytest.mark.parametrize("slug", catalog_slugs(trees_only=True, max_profiles=CATALOG_MAX_PROFILES))
def test_catalog_games_match_gambit(slug):
    g = pygambit.catalog.load(slug)
    game = from_pygambit(g)

    def ours(infoset):
        return game.infosets.index(f"{infoset.player.label}:{infoset.number}")

    assert_same_as_gambit(game, g, ours)
    # Float mode gives the same numbers.
    exact = reduced_normal_form(game, {}, exact=True)
    flt = reduced_normal_form(game, {}, exact=False)
    np.testing.assert_allclose(flt.payoffs, exact.payoffs.astype(float), atol=FLOAT_TOL)


def test_the_catalog_is_covered():
    if not HAVE_PYGAMBIT:
        pytest.skip("pygambit is not installed")
    slugs = catalog_slugs(trees_only=True, max_profiles=CATALOG_MAX_PROFILES)
    assert len(slugs) >= 25
    assert sum(len(pygambit.catalog.load(s).players) == 2 for s in slugs) >= 20


def gambit_infosets(game: Game, actions):
    """For games sent with ``to_pygambit``: gambit infoset -> our infoset index."""
    by_key = {}
    for (name, _), action in actions.items():
        by_key[(action.infoset.player.label, action.infoset.number)] = game.infosets.index(name)

    def ours(infoset):
        return by_key[(infoset.player.label, infoset.number)]

    return ours


@needs_pygambit
def test_kuhn_poker_matches_gambit():
    game = kuhn_poker()
    g, actions = to_pygambit(game, {})
    assert_same_as_gambit(game, g, gambit_infosets(game, actions))


@needs_pygambit
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game=imperfect_games(players=(2, 3), max_nodes=25))
def test_random_games_match_gambit(game):
    g, actions = to_pygambit(game, {})
    assert_same_as_gambit(game, g, gambit_infosets(game, actions))


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pure_profiles_are_worth_what_the_tree_says(data):
    game = data.draw(imperfect_games(players=(1, 2, 3), max_nodes=25))
    nf = reduced_normal_form(game, {})
    numbers = game.numbers({}, exact=True)
    for profile in itertools.islice(itertools.product(*(range(n) for n in nf.shape)), 30):
        strategies = [nf.strategies[i][s] for i, s in enumerate(profile)]
        value = reference_values(game, numbers, pure_behavior(game, strategies))[0]
        assert [nf.payoffs[j][profile] for j in range(len(game.players))] == value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_behavior_from_mixed_is_payoff_equivalent(data):
    # Kuhn (1953): with perfect recall, the behaviour strategy made from a
    # mixed strategy gives the same outcome distribution, hence payoffs.
    game = data.draw(imperfect_games(players=(1, 2, 3), max_nodes=25))
    nf = reduced_normal_form(game, {})
    mixed = data.draw(mixed_profiles(nf.shape))
    probs = nf.behavior_from_mixed(mixed)
    for s in game.infosets.values():
        assert sum(probs[s.offset : s.offset + len(s.actions)]) == 1
    tree = reference_values(game, game.numbers({}, exact=True), probs)[0]
    assert nf.expected_payoffs(mixed) == tree
    # Float inputs give float behaviour, close to the exact one.
    floats = nf.behavior_from_mixed([[float(p) for p in m] for m in mixed])
    np.testing.assert_allclose(floats, [float(p) for p in probs], atol=FLOAT_TOL)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mixed_from_behavior_is_payoff_equivalent(data):
    game = data.draw(imperfect_games(players=(1, 2, 3), max_nodes=25))
    probs = data.draw(behaviors(game))
    nf = reduced_normal_form(game, {})
    mixed = nf.mixed_from_behavior(probs)
    assert all(sum(m) == 1 and min(m) >= 0 for m in mixed)
    tree = reference_values(game, game.numbers({}, exact=True), probs)[0]
    assert nf.expected_payoffs(mixed) == tree
    flt = reduced_normal_form(game, {}, exact=False)
    np.testing.assert_allclose(
        flt.expected_payoffs(nf.mixed_from_behavior([float(p) for p in probs])),
        [float(v) for v in tree],
        atol=FLOAT_TOL,
    )


def test_big_exact_payoffs_fall_back_to_python_integers():
    # Denominators whose common multiple is huge: int64 would overflow.
    primes = [1_000_003, 1_000_033, 1_000_037, 1_000_039]
    specs = [decision("r", "P1", a="s", b="t3"), decision("s", "P2", c="t1", d="t2")]
    for k, p in enumerate(primes[:3]):
        specs.append(terminal(f"t{k + 1}", f"{10**12}/{p}", f"1/{primes[3]}"))
    nf = reduced_normal_form(build_game("big", ["P1", "P2"], specs), {})
    assert nf.payoffs[0][0, 1] == F(10**12, primes[1])
    assert nf.payoffs[1][1, 0] == F(1, primes[3])


def _numpy_one_set_behavior(size, positions, vectors):
    """The float behaviour of one-set players as numpy computes it (the reference)."""
    out = np.zeros(size)
    for where, sigma in zip(positions, vectors, strict=True):
        moves = np.asarray(sigma, dtype=np.float64)
        if moves.min() < 0:
            return None
        total = np.add.reduceat(moves, [0])[0]
        if not total > 0.5:
            return None
        out[list(where)] = moves / total
    return out.tolist()


_weights = st.one_of(
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=-1e-3, max_value=1e3),
    st.sampled_from([0.0, -0.0, 1 / 3, 0.1, 0.7, 1e-17]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_weights, min_size=1, max_size=10), min_size=1, max_size=2))
def test_float_behaviour_of_one_set_players_is_numpys_to_the_bit(strategies):
    # Strategies of fewer than 8 entries are normalised on Python floats, as
    # numpy adds them up (first + the rest from -0.0); the result must be the
    # same floats numpy's reduction and division give, or None as there.
    from policy.representations.normal import _one_set_behavior, _one_set_behavior_float

    positions, start = [], 0
    for sigma in strategies:
        positions.append(tuple(range(start, start + len(sigma))))
        start += len(sigma)
    vectors = [np.asarray(sigma, dtype=np.float64) for sigma in strategies]
    with np.errstate(all="ignore"):
        got = _one_set_behavior(start + 1, positions, vectors, exact=False)
        expected = _numpy_one_set_behavior(start + 1, positions, vectors)
        # Python lists of floats (enummixed's answers, passed on without arrays).
        from_lists = _one_set_behavior_float(start + 1, positions, [[float(p) for p in s] for s in strategies])
    if expected is None:
        assert got is None and from_lists is None
    else:
        assert got is not None and all(type(v) is float for v in got)
        assert np.array_equal(np.array(got), np.array(expected), equal_nan=True)
        assert [np.signbit(v) for v in got] == [np.signbit(v) for v in expected]
        assert from_lists is not None and np.array_equal(np.array(from_lists), np.array(got), equal_nan=True)
        assert [np.signbit(v) for v in from_lists] == [np.signbit(v) for v in got]


def test_table_behaviour_from_python_floats_equals_the_array_path():
    # behavior_from_mixed takes lists of Python floats straight to the one-set
    # normalisation; the answer must be the same floats as from numpy arrays,
    # and wrong lengths are still refused.
    from tests.games import table_game

    rng = np.random.default_rng(18)
    game = table_game([rng.integers(-9, 10, (3, 4)).tolist(), rng.integers(-9, 10, (3, 4)).tolist()])
    nf = reduced_normal_form(game, {}, exact=False)
    for _ in range(50):
        x, y = rng.random(3) ** 3, rng.random(4) ** 3
        x, y = x / x.sum(), y / y.sum()
        fast = nf.behavior_from_mixed([x.tolist(), tuple(y.tolist())])
        assert fast == nf.behavior_from_mixed([x, y])
        assert all(type(v) is float for v in fast)
    with pytest.raises(ValueError, match="strategies"):
        nf.behavior_from_mixed([[0.5, 0.5], [0.25] * 4])
