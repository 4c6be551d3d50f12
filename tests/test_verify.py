"""Checking behaviour profiles: values, reach, subgame regret and Nash regret,
and the gate every solver's equilibrium passes (``verified_equilibrium``).

Profiles are written by hand as flat behaviour vectors; random ones are compared
with the reference evaluation of tests/conftest.py.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import tolerances
from policy.model import build_game
from policy.solvers.backward import spe_solve
from policy.solvers.verify import (
    VerificationError,
    acceptable,
    behavior_regret,
    beliefs,
    edge_weights,
    evaluate_profile,
    nash_regret,
    reach_probabilities,
    same_profile,
    subgame_check,
    subgame_check_array,
    subgame_regret,
    subgame_values,
    verified_equilibrium,
    verified_subgame_perfect,
)
from tests.conftest import (
    FLOAT_TOL,
    chance,
    games_with_values,
    profile_vector,
    pygambit_profile,
    reference_gains,
    reference_reach,
    reference_values,
    terminal,
    to_pygambit,
)
from tests.games import ENTRY_VALUES, entry_deterrence, matching_pennies, signalling_game


@pytest.fixture
def entry():
    return entry_deterrence()


VALUES = ENTRY_VALUES


def check(game, choices, exact=True):
    """(numbers, weights, values) of a pure profile given as infoset -> action."""
    numbers = game.numbers(VALUES, exact=exact)
    probs = profile_vector(game, choices)
    if not exact:
        probs = [float(p) for p in probs]
    weight = edge_weights(game, numbers, probs)
    return numbers, weight, subgame_values(game, numbers, weight)


def test_edge_weights_and_values_of_a_hand_profile(entry):
    numbers, weight, values = check(entry, {"entry": "enter", "response": "fight"})
    by_name = dict(zip(entry.node_names, weight.tolist(), strict=True))
    assert by_name == {"entry": 1, "response": 1, "out": 0, "war": 1, "shared": 0}
    assert values[entry.nodes["response"].index].tolist() == [-1, -1]
    assert values[0].tolist() == [-1, -1]
    reach = reach_probabilities(entry, weight)
    assert reach[entry.terminals].tolist() == [0, 1, 0]


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_subgame_regret_finds_the_incredible_threat(entry, exact):
    # Entrant stays out because the incumbent would fight: at 'response' the
    # incumbent would get 1 by accommodating instead of -1, a regret of 2.
    numbers, weight, values = check(entry, {"entry": "stay_out", "response": "fight"}, exact)
    regret, where = subgame_regret(entry, values)
    assert regret == 2
    assert entry.node_names[where] == "response"


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_nash_but_not_subgame_perfect(entry, exact):
    # (stay out, fight) is a Nash equilibrium: fighting is never tested, and
    # entering against it would cost the entrant -1 < 0. It is not subgame-perfect.
    numbers, weight, values = check(entry, {"entry": "stay_out", "response": "fight"}, exact)
    assert nash_regret(entry, numbers, weight, values) == 0
    assert subgame_regret(entry, values)[0] > 0


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_not_even_nash(entry, exact):
    # (enter, fight): the incumbent gains 2 by accommodating, the entrant 1 by staying out.
    numbers, weight, values = check(entry, {"entry": "enter", "response": "fight"}, exact)
    assert nash_regret(entry, numbers, weight, values) == 2


def test_the_subgame_perfect_profile_has_no_regret(entry):
    numbers, weight, values = check(entry, {"entry": "enter", "response": "accommodate"})
    assert subgame_regret(entry, values)[0] == 0
    assert nash_regret(entry, numbers, weight, values) == 0
    assert values[0].tolist() == [1, 1]


def test_mixed_profile_values(entry):
    # Incumbent fights with probability 1/4: entering is worth 1/4*(-1) + 3/4*1 = 1/2.
    numbers = entry.numbers(VALUES)
    probs = [Fraction(1), Fraction(0), Fraction(1, 4), Fraction(3, 4)]
    weight = edge_weights(entry, numbers, probs)
    values = subgame_values(entry, numbers, weight)
    assert values[0].tolist() == [Fraction(1, 2), Fraction(1, 2)]
    # The incumbent would get 1 by accommodating for sure, not 1/2: regret 1/2.
    assert subgame_regret(entry, values) == (Fraction(1, 2), entry.nodes["response"].index)
    reach = reach_probabilities(entry, weight)[entry.terminals]
    assert reach.tolist() == [0, Fraction(1, 4), Fraction(3, 4)]


def test_no_decision_nodes():
    game = build_game("lottery", ["A"], [
        chance("root", {"win": "1/3", "lose": "2/3"}, win="w", lose="l"),
        terminal("w", 3), terminal("l", 0),
    ])
    numbers = game.numbers({})
    weight = edge_weights(game, numbers, [])
    values = subgame_values(game, numbers, weight)
    assert values[0].tolist() == [1]
    regret, where = subgame_regret(game, values)
    assert (regret, where) == (0, -1)
    assert nash_regret(game, numbers, weight, values) == 0


@st.composite
def games_and_profiles(draw):
    """A random game and a random (mixed) behaviour profile for it."""
    game, values = draw(games_with_values(max_nodes=30, symbolic=True, interior_payoffs=True))
    probs = []
    for s in game.infosets.values():
        weights = draw(st.lists(st.integers(0, 3), min_size=len(s.actions),
                                max_size=len(s.actions)))
        if not any(weights):
            weights[draw(st.integers(0, len(weights) - 1))] = 1
        probs += [Fraction(w, sum(weights)) for w in weights]
    return game, values, probs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_and_profiles())
def test_verify_agrees_with_the_reference_evaluation(case):
    game, values, probs = case
    numbers = game.numbers(values, exact=True)
    weight = edge_weights(game, numbers, probs)
    got = subgame_values(game, numbers, weight)
    assert got.tolist() == reference_values(game, numbers, probs)
    reach = reach_probabilities(game, weight)[game.terminals]
    assert reach.tolist() == reference_reach(game, numbers, probs)
    gains = reference_gains(game, numbers, probs)
    assert nash_regret(game, numbers, weight, got) == max(gains[0])
    # One-node deviations find a regret exactly when some subgame has one.
    regret, where = subgame_regret(game, got)
    assert (regret == 0) == (max(max(row) for row in gains) == 0)
    if where >= 0:
        best = max(got[c][game.player[where]] for c in game.children_of(where))
        assert regret == best - got[where][game.player[where]]
    # Float mode gives the same numbers.
    fnumbers = game.numbers(values, exact=False)
    fweight = edge_weights(game, fnumbers, [float(p) for p in probs])
    fgot = subgame_values(game, fnumbers, fweight)
    assert fgot.ravel().tolist() == pytest.approx(
        [float(x) for x in got.ravel()], abs=FLOAT_TOL
    )
    assert float(nash_regret(game, fnumbers, fweight, fgot)) == pytest.approx(
        float(max(gains[0])), abs=FLOAT_TOL
    )


# ---------------------------------------------------------------------------------
# Nash regret with information sets (behavior_regret) and beliefs
# ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("profile", "regrets"),
    [
        # The unique equilibrium: both mix 1/2 (von Neumann and Morgenstern 1944).
        ((Fraction(1, 2),) * 4, [0, 0]),
        # A plays H for sure; B at 1/2 loses 0 where T would win 1.
        ((1, 0, Fraction(1, 2), Fraction(1, 2)), [0, 1]),
        # Both H: B should play T and win 1 instead of losing 1.
        ((1, 0, 1, 0), [0, 2]),
        # A mixes 1/4 on H, B plays H: A's best reply H gives 1 instead of -1/2.
        ((Fraction(1, 4), Fraction(3, 4), 1, 0), [Fraction(3, 2), 0]),
    ],
    ids=["equilibrium", "b-mixes", "both-heads", "a-mixes"],
)
def test_behavior_regret_matching_pennies(profile, regrets):
    game = matching_pennies()
    numbers = game.numbers({}, exact=True)
    worst, per_player = behavior_regret(game, numbers, [Fraction(p) for p in profile])
    assert per_player == regrets
    assert worst == max(regrets)


def test_beliefs_follow_bayes_rule():
    game = matching_pennies()
    numbers = game.numbers({}, exact=True)
    got = beliefs(game, numbers, [Fraction(1, 3), Fraction(2, 3), Fraction(1), Fraction(0)])
    # Player 2's nodes after player 1's heads (n0) and tails (n1).
    assert got["P2"] == {"n0": Fraction(1, 3), "n1": Fraction(2, 3)}
    # A set reached with probability 0 has no beliefs.
    entry = entry_deterrence()
    numbers = entry.numbers(VALUES, exact=True)
    assert "response" not in beliefs(entry, numbers, profile_vector(entry, {"entry": "stay_out", "response": "fight"}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=30), st.data())
def test_behavior_regret_equals_nash_regret_with_perfect_information(game_values, data):
    game, values = game_values
    numbers = game.numbers(values, exact=True)
    probs: list[Fraction] = []
    for s in game.infosets.values():
        weights = [data.draw(st.integers(0, 4)) for _ in s.actions]
        if not any(weights):
            weights[0] = 1
        probs += [Fraction(w, sum(weights)) for w in weights]
    weight = edge_weights(game, numbers, probs)
    values_ = subgame_values(game, numbers, weight)
    assert behavior_regret(game, numbers, probs)[0] == nash_regret(game, numbers, weight, values_)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_behavior_regret_equals_gambits_max_regret(data):
    # Gambit computes regret through the strategic form; we work in the tree.
    pytest.importorskip("pygambit")
    types, messages, replies = (data.draw(st.integers(2, 3)) for _ in range(3))
    size = types * messages * replies * 2
    payoffs = [Fraction(data.draw(st.integers(-5, 5))) for _ in range(size)]
    weights = [data.draw(st.integers(1, 4)) for _ in range(types)]
    priors = [Fraction(w, sum(weights)) for w in weights]
    game = signalling_game(types, messages, replies, payoffs, priors)
    numbers = game.numbers({}, exact=True)
    probs: list[Fraction] = []
    for s in game.infosets.values():
        w = [data.draw(st.integers(0, 3)) for _ in s.actions]
        if not any(w):
            w[-1] = 1
        probs += [Fraction(x, sum(w)) for x in w]
    ours, _ = behavior_regret(game, numbers, probs)
    g, actions = to_pygambit(game, {})
    behavior = {
        s.name: {a: probs[s.offset + k] for k, a in enumerate(s.actions)} for s in game.infosets.values()
    }
    assert ours == pygambit_profile(g, actions, behavior).max_regret()


# ---------------------------------------------------------------------------------
# verified_equilibrium: the one gate every solver's answer passes
# ---------------------------------------------------------------------------------
def test_a_verified_equilibrium_carries_what_the_profile_implies(entry):
    numbers = entry.numbers(VALUES)
    eq = verified_equilibrium(entry, numbers, profile_vector(entry, {"entry": "enter",
                                                                    "response": "accommodate"}))
    assert eq.max_regret == 0
    assert eq.payoffs == {"Entrant": 1, "Incumbent": 1}
    assert eq.outcomes == {"out": 0, "war": 0, "shared": 1}
    assert eq.behavior == {"entry": {"enter": 1, "stay_out": 0},
                           "response": {"fight": 0, "accommodate": 1}}


def test_the_gate_refuses_a_profile_that_is_not_nash(entry):
    # (enter, fight): the incumbent gains 2 by accommodating.
    numbers = entry.numbers(VALUES)
    with pytest.raises(VerificationError, match="internal error: lcp said so with regret 2;") as info:
        verified_equilibrium(entry, numbers, profile_vector(entry, {"entry": "enter", "response": "fight"}),
                             what="lcp said so")
    assert (info.value.regret, info.value.node) == (2, -1)


def test_the_gate_checks_what_it_is_told_to(entry):
    # (stay out, fight) is Nash, so it passes the default check, but its threat
    # is not credible: the subgame check names the node and the regret.
    numbers = entry.numbers(VALUES)
    threat = profile_vector(entry, {"entry": "stay_out", "response": "fight"})
    assert verified_equilibrium(entry, numbers, threat).max_regret == 0
    with pytest.raises(VerificationError, match="regret 2 at node 'response'") as info:
        verified_equilibrium(entry, numbers, threat, check=subgame_check)
    assert entry.node_names[info.value.node] == "response"


@pytest.mark.parametrize(("shift", "passes"), [(1e-13, True), (1e-6, False)])
def test_float_profiles_pass_within_the_regret_tolerance(shift, passes):
    # Matching pennies with player 1 slightly off 1/2: player 2's regret is
    # 2 * shift, against the tolerance 1e-9 times the payoff scale 1.
    game = matching_pennies()
    numbers = game.numbers({}, exact=False)
    probs = [0.5 + shift, 0.5 - shift, 0.5, 0.5]
    if passes:
        eq = verified_equilibrium(game, numbers, probs)
        assert 0 <= eq.max_regret <= 1e-9
        assert isinstance(eq.values[0], float)
    else:
        with pytest.raises(VerificationError) as info:
            verified_equilibrium(game, numbers, probs)
        assert info.value.regret == pytest.approx(2 * shift)


def test_evaluate_profile_reports_the_regret_it_is_given(entry):
    # For profiles that are not equilibria (a QRE): nothing is checked.
    numbers = entry.numbers(VALUES, exact=False)
    probs = [0.5, 0.5, 0.5, 0.5]
    record = evaluate_profile(entry, numbers, probs, 0.75)
    assert record.max_regret == 0.75
    # Entrant: 1/2 * 0 + 1/2 * (1/2 * -1 + 1/2 * 1) = 0; incumbent: 1/2 * 2 + 0 = 1.
    assert record.values == pytest.approx((0.0, 1.0))
    assert record.reach == pytest.approx((0.5, 0.25, 0.25))


def test_same_profile_exact_and_within_the_float_tolerance():
    half = (Fraction(1, 2), Fraction(1, 2))
    assert same_profile(half, half, exact=True)
    assert not same_profile(half, (Fraction(1, 2) + Fraction(1, 10**9), Fraction(1, 2)), exact=True)
    assert same_profile((0.5, 0.5), (0.5 + 1e-8, 0.5), exact=False)
    assert not same_profile((0.5, 0.5), (0.5 + 1e-6, 0.5), exact=False)


# ---------------------------------------------------------------------------------
# The array check of spe answers (subgame_check_array, verified_subgame_perfect)
# ---------------------------------------------------------------------------------

def _gate(check, *args):
    """The gate's verdict: its Equilibrium, or the regret and node of its refusal."""
    try:
        return check(*args)
    except VerificationError as e:
        return ("refused", e.regret, e.node)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_and_profiles(), st.booleans())
def test_the_array_check_agrees_with_the_subgame_check(case, spe):
    game, values, probs = case
    if spe and game.is_perfect_information:  # a profile that passes, as well as arbitrary ones
        probs = list(spe_solve(game, values, exact=True).equilibria[0].probabilities)
    for exact in (True, False):
        numbers = game.numbers(values, exact=exact)
        given_probs = probs if exact else [float(p) for p in probs]
        vector = np.array(given_probs, dtype=object if exact else np.float64)
        weight = edge_weights(game, numbers, given_probs)
        old = subgame_check(game, numbers, given_probs, weight, subgame_values(game, numbers, weight))
        new = subgame_check_array(game, numbers, vector)[0]
        assert acceptable(new.excess) == acceptable(old.excess)
        if exact:
            assert new == old
        else:
            assert (new.node, float(new.regret)) == (old.node, pytest.approx(float(old.regret), abs=FLOAT_TOL))
        before = _gate(verified_equilibrium, game, numbers, given_probs, subgame_check)
        after = _gate(verified_subgame_perfect, game, numbers, vector)
        if exact or isinstance(before, tuple):
            assert after == before
        else:
            assert after.probabilities == before.probabilities
            assert after.reach == before.reach
            assert after.values == pytest.approx(before.values, abs=FLOAT_TOL)
            assert after.max_regret == pytest.approx(before.max_regret, abs=FLOAT_TOL)


# ---------------------------------------------------------------------------------
# The float best response on Python lists is the numpy computation, bit for bit
# ---------------------------------------------------------------------------------
def _reference_best_response_float(game, numbers, weight, player):
    """The float best response computed node by node on numpy arrays (the code before lists)."""
    n = game.num_nodes
    first, count, mover = game.first_child, game.num_children, game.player
    others = weight.copy()
    own_edge = np.zeros(n, dtype=bool)
    own_edge[1:] = mover[game.parent[1:]] == player
    others[own_edge] = 1
    reach = reach_probabilities(game, others)
    value = np.zeros(n)
    value[game.terminals] = numbers.leaf_payoff[:, player]
    size = np.zeros(n)
    size[game.terminals] = tolerances.magnitude(numbers.leaf_payoff[:, player])
    pending = {s.index: len(s.members) for s in game.infosets.values() if s.player.index == player}
    waiting = np.asarray(count, dtype=np.int64).copy()
    ready = [int(t) for t in game.terminals.tolist()]
    while ready:
        node = ready.pop()
        parent = int(game.parent[node]) if node else -1
        if parent < 0:
            continue
        waiting[parent] -= 1
        if waiting[parent]:
            continue
        if mover[parent] == player:
            k = int(game.infoset[parent])
            pending[k] -= 1
            if pending[k]:
                continue
            s = game.infosets.at(k)
            totals = [sum((reach[m] * value[int(first[m]) + a] for m in s.members), start=value[0] * 0)
                      for a in range(len(s.actions))]
            top = max(range(len(totals)), key=totals.__getitem__)
            for m in s.members:
                value[m] = value[int(first[m]) + top]
                size[m] = size[int(first[m]) + top]
                ready.append(m)
        else:
            kids = slice(int(first[parent]), int(first[parent]) + int(count[parent]))
            value[parent] = (weight[kids] * value[kids]).sum()
            size[parent] = (weight[kids] * size[kids]).sum()
            ready.append(parent)
    return value[0], float(size[0])


@st.composite
def float_games_and_profiles(draw):
    """A random perfect-information game or signalling game (up to 10 types: a chance
    node with many children, information sets with many members), and a random
    float behaviour profile with some zeros."""
    if draw(st.booleans()):
        game, values = draw(games_with_values(max_nodes=40, interior_payoffs=True))
    else:
        types, messages, replies = draw(st.integers(2, 10)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        payoffs = [Fraction(draw(st.integers(-7, 7)), draw(st.integers(1, 5)))
                   for _ in range(types * messages * replies * 2)]
        weights = [draw(st.integers(1, 9)) for _ in range(types)]
        game = signalling_game(types, messages, replies, payoffs, [Fraction(w, sum(weights)) for w in weights])
        values = {}
    probs: list[float] = []
    for s in game.infosets.values():
        w = [draw(st.sampled_from([0.0, 0.1, 0.3, 1.0, 1.7, 2.0])) for _ in s.actions]
        if not any(w):
            w[0] = 1.0
        probs += [x / sum(w) for x in w]
    return game, values, probs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(float_games_and_profiles())
def test_float_best_response_on_lists_is_the_array_computation_bit_for_bit(case):
    # The float best response works node by node on Python lists, summing
    # nodes with few children in a Python loop: value and magnitude must be
    # the numpy computation's to the last bit (the regret is printed).
    from policy.solvers.verify import _best_response_value

    game, values, probs = case
    numbers = game.numbers(values, exact=False)
    weight = edge_weights(game, numbers, probs)
    for player in range(len(game.players)):
        got = _best_response_value(game, numbers, weight, player)
        want = _reference_best_response_float(game, numbers, weight, player)
        assert np.float64(got[0]).tobytes() == np.float64(want[0]).tobytes()
        assert np.float64(got[1]).tobytes() == np.float64(want[1]).tobytes()
        assert type(got[0]) is type(want[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 1e-300, -1e16, 1e16]),
                          st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=7))
def test_numpy_sums_a_few_floats_one_after_the_other_from_zero(numbers):
    # What _best_response_float relies on (SEQUENTIAL_SUM): numpy's sum of
    # fewer than 8 float64 numbers is the plain running sum from 0.0.
    from policy.solvers.verify import SEQUENTIAL_SUM

    assert len(numbers) < SEQUENTIAL_SUM
    total = 0.0
    for x in numbers:
        total += x
    assert np.array(numbers, dtype=np.float64).sum().tobytes() == np.float64(total).tobytes()


def _reference_expectations_float(game, leaf, weight):
    """Float expectations on numpy arrays (the code before lists): narrow levels node by node."""
    from policy.solvers.verify import NARROW_LEVEL

    values = np.zeros((game.num_nodes, leaf.shape[1]))
    values[game.terminals] = leaf
    for inner, cstart, cstop in game.levels_bottom_up():
        if inner.size <= NARROW_LEVEL:
            for n in inner.tolist():
                k0 = int(game.first_child[n])
                k1 = k0 + int(game.num_children[n])
                values[n] = (weight[k0:k1, None] * values[k0:k1]).sum(axis=0)
            continue
        offsets = game.first_child[inner] - cstart
        values[inner] = np.add.reduceat(weight[cstart:cstop, None] * values[cstart:cstop], offsets, axis=0)
    return values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(float_games_and_profiles())
def test_float_expectations_on_lists_are_the_array_computation_bit_for_bit(case):
    # Small trees (every level narrow) are evaluated on Python lists: node
    # values, magnitudes and both side by side must be numpy's to the last bit.
    from policy.solvers.verify import _expectations

    game, values, probs = case
    numbers = game.numbers(values, exact=False)
    weight = edge_weights(game, numbers, probs)
    pay = numbers.leaf_payoff
    for leaf in (pay, tolerances.magnitude(pay), np.concatenate([pay, -pay], axis=1)):
        got = _expectations(game, leaf, weight, False)
        want = _reference_expectations_float(game, leaf, weight)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(float_games_and_profiles())
def test_values_and_magnitudes_in_one_pass_are_each_alone_bit_for_bit(case):
    # verified_equilibrium (float, Nash check) computes the node values and
    # their magnitudes side by side: each must be what it is alone, and the
    # regret and record those of the check on its own.
    from policy.solvers.verify import magnitudes, nash_check, values_and_magnitudes

    game, values, probs = case
    numbers = game.numbers(values, exact=False)
    weight = edge_weights(game, numbers, probs)
    both, sizes = values_and_magnitudes(game, numbers, weight)
    alone = subgame_values(game, numbers, weight)
    assert np.ascontiguousarray(both).tobytes() == alone.tobytes()
    assert np.ascontiguousarray(sizes).tobytes() == magnitudes(game, numbers, weight).tobytes()
    found = nash_check(game, numbers, probs, weight, alone)
    try:
        eq = verified_equilibrium(game, numbers, probs)
    except VerificationError as err:
        assert not acceptable(found.excess)
        assert err.regret == found.regret
        return
    assert acceptable(found.excess)
    assert eq.max_regret == max(float(found.regret), 0.0)
    assert eq.values == tuple(alone[0].tolist())


def _wide_random_efg(seed: int, games: int = 40) -> str:
    """An .efg text: chance picks one of ``games`` two-player games (P1 then, after "b", a chance
    move then P2), payoffs random integers; wide enough for the array steps of the checks."""
    rng = np.random.default_rng(seed)
    lines = ['EFG 2 R "wide random" { "P1" "P2" }', '""', ""]
    lines.append('c "" 1 "" { ' + " ".join(f'"g{j}" 1/{games}' for j in range(games)) + " } 0")
    outcome = event = 1

    def leaf() -> str:
        nonlocal outcome
        outcome += 1
        a, b = rng.integers(-9, 10, 2)
        return f't "" {outcome} "" {{ {a}, {b} }}'

    for j in range(games):
        lines.append(f'p "" 1 {j + 1} "" {{ "a" "b" }} 0')
        lines.append(leaf())
        event += 1
        lines.append(f'c "" {event} "" {{ "h" 1/3 "t" 2/3 }} 0')
        for k in range(2):
            lines.append(f'p "" 2 {2 * j + k + 1} "" {{ "l" "r" }} 0')
            lines.append(leaf())
            lines.append(leaf())
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_float_values_of_a_pure_profile_are_those_of_the_weighted_sums(seed, monkeypatch):
    """The checks' values under a pure float profile (decision nodes take their chosen child's)
    equal the weighted sums over every child, and a mixed profile takes the sums. Byte for byte
    here: with integer payoffs no zero is negative (the shortcut makes every zero positive)."""
    from policy.gambit import read_efg
    from policy.solvers import verify

    game = read_efg(_wide_random_efg(seed))
    numbers = game.numbers({}, exact=False)
    (eq,) = spe_solve(game, {}, exact=False).equilibria
    pure = np.array(eq.probabilities, dtype=np.float64)
    mixed = pure.copy()
    mixed[:2] = 0.5  # P1's first set mixes: no pure choice there
    for profile in (pure, mixed):
        weight = verify.edge_weights(game, numbers, profile)
        fast = verify.values_and_magnitudes(game, numbers, weight)
        assert (verify._pure_choices(game, weight) is not None) == (profile is pure)
        monkeypatch.setattr(verify, "_pure_choices", lambda game, weight: None)
        slow = verify.values_and_magnitudes(game, numbers, weight)
        monkeypatch.undo()
        assert fast[0].tobytes() == slow[0].tobytes()
        assert fast[1].tobytes() == slow[1].tobytes()
