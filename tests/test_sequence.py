"""The sequence form: a hand-computed example, Kuhn poker, and properties.

Payoffs of realization plans (``x^T A y``) are checked against the reference
evaluation of tests/conftest.py (a plain loop over the tree), never against
anything built on the sequence form itself. Random games with information sets
come from :func:`tests.games.imperfect_games`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import build_game
from policy.representations.sequence import (
    behavior_from_plans,
    game_sequences,
    realization_plans,
    sequence_form,
)
from policy.solvers.errors import SolverError
from tests.conftest import (
    FLOAT_TOL,
    chance,
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
def tree_value(game, probs, exact=True):
    """Expected payoffs at the root by the reference loop of tests/conftest.py."""
    return reference_values(game, game.numbers({}, exact=exact), probs)[0]


# ---------------------------------------------------------------------------------
# Hand-computed example
# ---------------------------------------------------------------------------------
def test_two_stage_sequence_form_by_hand():
    form = sequence_form(two_stage(), {}, exact=True)
    # Sequences follow the behaviour vector: P1's sets in game order are
    # left (a, b), right (c, d), again (e, f); P2 has guess (x, y).
    assert form.sequences == (
        (None, (0, 0), (0, 1), (1, 0), (1, 1), (3, 0), (3, 1)),
        (None, (2, 0), (2, 1)),
    )
    labels = [form.sequence_label(0, q) for q in range(7)]
    assert labels == ["(empty)", "left:a", "left:b", "right:c", "right:d", "again:e", "again:f"]
    # Each terminal adds chance(t) * u(t) at its sequence pair (s1, s2):
    #   Lb   (b, -)   1/3 * ( 1,  0)  -> A[2,0] = 1/3
    #   Lax  (a, x)   1/3 * ( 3, -1)  -> A[1,1] = 1,    B[1,1] = -1/3
    #   Lay  (a, y)   1/3 * ( 0,  2)  ->                B[1,2] = 2/3
    #   Rd   (d, -)   2/3 * ( 2,  1)  -> A[4,0] = 4/3,  B[4,0] = 2/3
    #   Rcx  (c, x)   2/3 * (-3,  3)  -> A[3,1] = -2,   B[3,1] = 2
    #   Rcye (e, y)   2/3 * ( 6,  0)  -> A[5,2] = 4
    #   Rcyf (f, y)   2/3 * ( 0, 3/2) ->                B[6,2] = 1
    #          -    x     y
    A = [[0,       0,  0],   # empty
         [0,       1,  0],   # a
         [F(1, 3), 0,  0],   # b
         [0,      -2,  0],   # c
         [F(4, 3), 0,  0],   # d
         [0,       0,  4],   # e
         [0,       0,  0]]   # f
    B = [[0,       0,        0],
         [0,       F(-1, 3), F(2, 3)],
         [0,       0,        0],
         [0,       2,        0],
         [F(2, 3), 0,        0],
         [0,       0,        0],
         [0,       0,        1]]
    # Rows: x(empty) = 1; left: -x0 + xa + xb = 0; right: -x0 + xc + xd = 0;
    # again (reached after c): -xc + xe + xf = 0.
    E = [[1, 0, 0, 0, 0, 0, 0],
         [-1, 1, 1, 0, 0, 0, 0],
         [-1, 0, 0, 1, 1, 0, 0],
         [0, 0, 0, -1, 0, 1, 1]]
    Fm = [[1, 0, 0],
          [-1, 1, 1]]
    assert form.A_dense().tolist() == A
    assert form.B_dense().tolist() == B
    assert form.E_dense().tolist() == E
    assert form.F_dense().tolist() == Fm
    assert form.e.tolist() == [1, 0, 0, 0]
    assert form.f.tolist() == [1, 0]
    # Exact containers hold the non-zeros only, as Fractions.
    assert form.A == {(1, 1): 1, (2, 0): F(1, 3), (3, 1): -2, (4, 0): F(4, 3), (5, 2): 4}
    assert all(type(v) is Fraction for v in [*form.A.values(), *form.E.values()])
    assert all(type(v) is Fraction for v in form.A_dense().ravel())
    # Float mode: the same numbers, as CSR matrices on request (the form holds
    # their entries, so that lcp does not import scipy).
    flt = sequence_form(two_stage(), {}, exact=False)
    assert flt.A_csr().format == "csr" and flt.A_csr().nnz == 5 and flt.B_csr().nnz == 5
    np.testing.assert_allclose(flt.A.toarray(), np.array(A, dtype=float))
    np.testing.assert_allclose(flt.B_dense(), np.array(B, dtype=float))
    np.testing.assert_array_equal(flt.E_csr().toarray(), E)
    np.testing.assert_array_equal(flt.F_dense(), Fm)
    assert flt.e.dtype == np.float64 and flt.e.tolist() == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(form.A_csr().toarray(), flt.A_dense())


def test_two_stage_payoff_of_a_hand_profile():
    form = sequence_form(two_stage(), {}, exact=True)
    # P1 plays a, c, e; P2 mixes x and y half-half.
    x = [1, 1, 0, 1, 0, 1, 0]
    y = [1, F(1, 2), F(1, 2)]
    # Tree: L (1/3): a, then 3 or 0 -> 3/2; R (2/3): c, then -3 or (y, e) 6 -> 3/2.
    # So 1/3 * 3/2 + 2/3 * 3/2 = 3/2 for P1; P2: 1/3 * 1/2 + 2/3 * 3/2 = 7/6.
    assert form.expected_payoffs(x, y) == (F(3, 2), F(7, 6))
    assert form.behavior_from_realization(x, y) == [1, 0, 1, 0, F(1, 2), F(1, 2), 1, 0]


def test_unreached_sets_get_the_fill():
    form = sequence_form(two_stage(), {}, exact=True)
    x = [1, 0, 1, 0, 1, 0, 0]  # b and d: "again" (after c) is never reached
    y = [1, 1, 0]
    assert form.behavior_from_realization(x, y) == [0, 1, 0, 1, 1, 0, F(1, 2), F(1, 2)]
    assert form.behavior_from_realization(x, y, fill="first") == [0, 1, 0, 1, 1, 0, 1, 0]
    by_hand = form.behavior_from_realization(x, y, fill=lambda s: [0, 1] if s.name == "again" else [1, 0])
    assert by_hand == [0, 1, 0, 1, 1, 0, 0, 1]
    floats = form.behavior_from_realization([float(v) for v in x], [1.0, 1.0, 0.0])
    assert floats == [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.5, 0.5]
    assert all(type(v) is float for v in floats)


def test_float_plans_with_solver_noise_are_cleaned():
    form = sequence_form(two_stage(), {}, exact=False)
    x = [1.0, 1e-13, 1.0 - 1e-13, 0.5, 0.5, -1e-14, 0.5]
    probs = form.behavior_from_realization(x, [1.0, 0.3, 0.7])
    assert probs[0] == pytest.approx(1e-13) and probs[1] == pytest.approx(1.0)
    assert probs[6] == 0.0 and probs[7] == 1.0
    assert all(p >= 0 for p in probs)
    # A parent weight at the noise level: the set counts as unreached.
    probs = form.behavior_from_realization([1.0, 0.0, 1.0, 1e-12, 1.0, 1e-12, 0.0], [1.0, 1.0, 0.0])
    assert probs[6:] == [0.5, 0.5]


def test_exact_plans_are_checked():
    form = sequence_form(two_stage(), {}, exact=True)
    with pytest.raises(ValueError, match="not a realization plan.*'left'"):
        form.behavior_from_realization([1, F(1, 2), F(1, 3), 1, 0, 1, 0], [1, 1, 0])
    with pytest.raises(ValueError, match="'again'"):
        form.behavior_from_realization([1, 1, 0, 1, 0, 2, -1], [1, 1, 0])
    with pytest.raises(ValueError, match="P2 has 3 sequences"):
        form.behavior_from_realization([1, 1, 0, 1, 0, 1, 0], [1, 1])
    with pytest.raises(ValueError, match="8 entries"):
        form.realization_from_behavior([1, 0])
    with pytest.raises(ValueError, match="fill"):
        form.behavior_from_realization([1, 0, 1, 0, 1, 0, 0], [1, 1, 0], fill="centroid")


def test_realization_plans_of_a_hand_profile():
    form = sequence_form(two_stage(), {}, exact=True)
    probs = [F(1, 4), F(3, 4), 1, 0, F(1, 2), F(1, 2), F(1, 3), F(2, 3)]
    x, y = form.realization_from_behavior(probs)
    assert x.tolist() == [1, F(1, 4), F(3, 4), 1, 0, F(1, 3), F(2, 3)]
    assert y.tolist() == [1, F(1, 2), F(1, 2)]
    xf, yf = form.realization_from_behavior([float(p) for p in probs])
    assert xf.dtype == np.float64
    np.testing.assert_allclose(xf, [float(v) for v in x])


# ---------------------------------------------------------------------------------
# Kuhn poker
# ---------------------------------------------------------------------------------
def test_kuhn_poker_sizes():
    game = kuhn_poker()
    form = sequence_form(game, {}, exact=True)
    # P1: 6 information sets (first move with J, Q, K; after check-bet with J, Q,
    # K) x 2 actions + the empty sequence = 13. P2: 6 sets (after check, after
    # bet, for each card) x 2 + 1 = 13.
    assert form.sizes == (13, 13)
    assert len(game.terminals) == 30  # 6 deals x (cc, cbf, cbc, bf, bc)
    assert form.E_dense().shape == (7, 13) and form.F_dense().shape == (7, 13)
    # Every terminal has its own sequence pair here: 30 non-zeros (no payoff is 0).
    assert len(form.A) == 30 and len(form.B) == 30
    # Zero-sum: B = -A.
    assert form.B == {k: -v for k, v in form.A.items()}
    # Linear in the tree: E has 1 + 6 parents + 12 actions = 19 non-zeros.
    assert len(form.E) == 19
    flt = sequence_form(game, {}, exact=False)
    assert flt.A_csr().nnz == 30 and flt.E_csr().nnz == 19


def test_kuhn_poker_value_by_linear_programming():
    """Kuhn (1950): the value of the game to player 1 is -1/18.

    Solved here with the sequence-form LP of Koller, Megiddo and von Stengel
    (1996) and von Stengel (1996), with scipy's HiGHS: max f.q over x, q with
    E x = e, x >= 0, F^T q <= A^T x.
    """
    from scipy.optimize import linprog
    from scipy.sparse import hstack

    form = sequence_form(kuhn_poker(), {}, exact=False)
    n1, n2 = form.sizes
    m2 = len(form.f)
    c = np.concatenate([np.zeros(n1), -form.f])
    a_ub = hstack([-form.A_csr().T, form.F_csr().T]).tocsr()
    a_eq = hstack([form.E_csr(), np.zeros((len(form.e), m2))]).tocsr()
    bounds = [(0, None)] * n1 + [(None, None)] * m2
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(n2), A_eq=a_eq, b_eq=form.e, bounds=bounds, method="highs")
    assert res.status == 0
    assert -res.fun == pytest.approx(-1 / 18, abs=1e-9)  # Kuhn 1950
    # The optimal plan is a realization plan; its behaviour is a distribution.
    x = res.x[:n1]
    np.testing.assert_allclose(form.E_csr() @ x, form.e, atol=1e-9)
    _, uniform = form.realization_from_behavior([0.5] * form.game.num_actions)
    probs = form.behavior_from_realization(x, uniform)
    for s in form.game.infosets.values():
        assert sum(probs[s.offset : s.offset + len(s.actions)]) == pytest.approx(1.0)
    # Kuhn's family of optimal strategies for player 1: with the J, bet (bluff)
    # with some probability alpha <= 1/3; with the Q, never bet first; with the K,
    # bet with probability 3 alpha.
    bet = {card: probs[form.game.infosets[f"P1_{card}"].offset + 1] for card in "JQK"}
    assert bet["J"] <= 1 / 3 + 1e-6 and bet["Q"] == pytest.approx(0, abs=1e-6)
    assert bet["K"] == pytest.approx(3 * bet["J"], abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_kuhn_poker_bilinear_payoff_matches_the_tree(data):
    game = kuhn_poker()
    probs = data.draw(behaviors(game))
    form = sequence_form(game, {}, exact=True)
    x, y = form.realization_from_behavior(probs)
    assert list(form.expected_payoffs(x, y)) == tree_value(game, probs)
    assert (form.A_dense().dot(y)).dot(x) == tree_value(game, probs)[0]
    # Round trip: behaviour -> plans -> behaviour -> the same plans.
    back = form.behavior_from_realization(x, y)
    assert [p.tolist() for p in form.realization_from_behavior(back)] == [x.tolist(), y.tolist()]
    flt = sequence_form(game, {}, exact=False)
    xf, yf = flt.realization_from_behavior([float(p) for p in probs])
    assert xf @ (flt.A_csr() @ yf) == pytest.approx(float(tree_value(game, probs)[0]), abs=FLOAT_TOL)
    assert flt.expected_payoffs(xf, yf)[1] == pytest.approx(float(tree_value(game, probs)[1]), abs=FLOAT_TOL)


@needs_pygambit
def test_kuhn_poker_sequences_match_gambit():
    game = kuhn_poker()
    g, actions = to_pygambit(game, {})
    ours_of = {(a.infoset.player.label, a.infoset.number, a.label): key for key, a in actions.items()}
    for player, ps in zip(g.players, game_sequences(game).players, strict=True):
        theirs = {
            tuple(ours_of[(player.label, a.infoset.number, a.label)] for a in seq.actions)
            for seq in player.sequences
        }
        mine = set()
        for q in range(ps.size):
            chain = []
            while q:
                k, a = ps.sequences[q]
                s = game.infosets.at(k)
                chain.append((s.name, s.actions[a]))
                q = int(ps.seq_parent[q])
            mine.add(tuple(reversed(chain)))
        assert len(mine) == ps.size == 13
        assert mine == theirs


@needs_pygambit
@pytest.mark.parametrize(
    "slug", catalog_slugs(players=(2,), trees_only=True, max_profiles=CATALOG_MAX_PROFILES)
)
def test_catalog_games_match_gambit(slug):
    # Gambit's own sequences, and its payoffs of a behaviour profile, against
    # ours and x^T A y (Gambit computes payoffs in the tree, not in a sequence form).
    g = pygambit.catalog.load(slug)
    game = from_pygambit(g)
    form = sequence_form(game, {}, exact=True)
    assert form.sizes == tuple(len(p.sequences) for p in g.players)
    rng = np.random.default_rng(7)
    probs: list[Fraction] = []
    profile = g.mixed_behavior_profile(rational=True)
    for s in game.infosets.values():
        weights = rng.integers(0, 4, len(s.actions)).tolist()
        if not any(weights):
            weights[0] = 1
        dist = [F(w, sum(weights)) for w in weights]
        probs += dist
        player = g.players[s.player.label]
        theirs = next(i for i in player.infosets if f"{player.label}:{i.number}" == s.name)
        for action, p in zip(theirs.actions, dist, strict=True):
            profile[action] = p
    x, y = form.realization_from_behavior(probs)
    u1, u2 = form.expected_payoffs(x, y)
    assert (u1, u2) == tuple(F(str(profile.payoff(p))) for p in g.players)


# ---------------------------------------------------------------------------------
# Properties on random games with information sets
# ---------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bilinear_payoff_matches_the_tree(data):
    game = data.draw(imperfect_games())
    probs = data.draw(behaviors(game))
    form = sequence_form(game, {}, exact=True)
    x, y = form.realization_from_behavior(probs)
    # Realization plans satisfy E x = e, F y = f, x, y >= 0.
    assert form.E_dense().dot(x).tolist() == form.e.tolist()
    assert form.F_dense().dot(y).tolist() == form.f.tolist()
    assert min(x) >= 0 and min(y) >= 0
    value = tree_value(game, probs)
    assert list(form.expected_payoffs(x, y)) == value
    flt = sequence_form(game, {}, exact=False)
    xf, yf = flt.realization_from_behavior([float(p) for p in probs])
    np.testing.assert_allclose(flt.expected_payoffs(xf, yf), [float(v) for v in value], atol=FLOAT_TOL)
    np.testing.assert_allclose(flt.A_dense(), form.A_dense().astype(float), atol=FLOAT_TOL)
    np.testing.assert_allclose(flt.B_csr().toarray(), form.B_dense().astype(float), atol=FLOAT_TOL)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_realization_and_behavior_round_trip(data):
    game = data.draw(imperfect_games(players=(1, 2, 3)))
    probs = data.draw(behaviors(game))
    plans = realization_plans(game, probs)
    back = behavior_from_plans(game, plans)
    for ps, x in zip(game_sequences(game).players, plans, strict=True):
        for k, i in enumerate(ps.infosets):
            s = game.infosets.at(i)
            here = slice(s.offset, s.offset + len(s.actions))
            if x[ps.parent[k]] > 0:
                assert back[here] == probs[here]
            else:
                assert back[here] == [F(1, len(s.actions))] * len(s.actions)
    # Behaviour -> plan -> behaviour -> plan is the same plan.
    again = realization_plans(game, back)
    assert [p.tolist() for p in again] == [p.tolist() for p in plans]
    floats = behavior_from_plans(game, [p.astype(float) for p in plans])
    np.testing.assert_allclose(floats, [float(v) for v in back], atol=FLOAT_TOL)


# ---------------------------------------------------------------------------------
# Errors, parameters, caching
# ---------------------------------------------------------------------------------
def test_needs_two_players():
    specs = [
        decision("a", "A", x="b", y="t1"),
        decision("b", "B", x="c", y="t2"),
        decision("c", "C", x="t3", y="t4"),
        terminal("t1", 1, 0, 0),
        terminal("t2", 0, 1, 0),
        terminal("t3", 0, 0, 1),
        terminal("t4", 1, 1, 1),
    ]
    game = build_game("three", ["A", "B", "C"], specs)
    with pytest.raises(SolverError, match="2-player games; 'three' has 3 players"):
        sequence_form(game, {})
    # The per-player structure works for any number of players.
    assert [ps.size for ps in game_sequences(game).players] == [3, 3, 3]


def test_parameters_and_cache():
    game = entry_deterrence()
    one = sequence_form(game, ENTRY_VALUES)
    assert sequence_form(game, {"fight_cost": F(1)}) is one
    three = sequence_form(game, {"fight_cost": F(3)})
    # Entrant: enter (1), stay_out (2); Incumbent: fight (1), accommodate (2).
    assert one.A == {(1, 1): -1, (1, 2): 1}
    assert three.A == {(1, 1): -3, (1, 2): 1}
    assert one.B == {(1, 1): -1, (1, 2): 1, (2, 0): 2}
    assert sequence_form(game, {"fight_cost": F(1)}, exact=False).A_dense().tolist() == [
        [0, 0, 0], [0, -1, 1], [0, 0, 0]
    ]


def test_a_player_without_moves():
    specs = [
        chance("c", {"h": "1/2", "t": "1/2"}, h="m", t="u"),
        decision("m", "P1", x="t1", y="t2"),
        terminal("u", 4, 4),
        terminal("t1", 2, 0),
        terminal("t2", 0, 6),
    ]
    form = sequence_form(build_game("solo", ["P1", "P2"], specs), {})
    assert form.sizes == (3, 1)
    assert form.F_dense().tolist() == [[1]]
    assert form.A_dense().tolist() == [[2], [1], [0]]
    assert form.behavior_from_realization([1, 0, 1], [1]) == [0, 1]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game=imperfect_games(players=(1, 2, 3)))
def test_sequence_levels_in_python_are_the_array_ones(game):
    # Players with few sequences have them grouped by length in Python: the
    # same groups, in the same order, as the array computation (and the
    # same entries of their constraint matrices).
    import policy.representations.sequence as sequence_module

    small = sequence_module._build_sequences(game)
    entries = [sequence_module._constraint_entries(ps) for ps in small.players]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sequence_module, "SMALL_LEVELS", -1)
        arrays = sequence_module._build_sequences(game)
        # And the constraint matrices' entries, also made from lists when small.
        for ps, got in zip(small.players, entries, strict=True):
            for x, y in zip(got, sequence_module._constraint_entries(ps), strict=True):
                assert x.dtype == y.dtype == np.int64 and x.tolist() == y.tolist()
    for a, b in zip(small.players, arrays.players, strict=True):
        assert len(a.levels) == len(b.levels)
        for x, y in zip(a.levels, b.levels, strict=True):
            assert x.dtype == y.dtype == np.int64 and not x.flags.writeable
            assert x.tolist() == y.tolist()
