"""games/barbarossa_1941.toml: the 1941 signalling game, solved, cross-checked and probed.

The game's payoffs are rebuilt here by hand from the formulas in the file's
header (:func:`hand_payoffs`), independently of the expressions in its nodes,
so a slip in a node's expression fails :func:`test_payoffs_follow_the_header_formulas`.
The equilibria are found with ``lcp`` and ``enummixed`` (exact) under both
bundled leaders, checked for zero regret, and compared with Gambit's exact
``enummixed_solve`` on the same game. Two properties are derived by hand from
the formulas (see the comments above the tests): when a ready army strikes
first whatever Germany does, and when Germany waits until 1942 to attack a USSR
that avoids provocation.

The leaders' values for this game's own parameters live in
games/leaders/{stalin,tukhachevsky}.toml once merged.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction as F
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policy.gamefile import load_game
from policy.leaders import load_leader, resolve
from policy.model import Game
from policy.solvers import solve
from tests.conftest import FLOAT_TOL, REPO, pygambit_profile, to_pygambit
from tests.games import signature

GAME = REPO / "games" / "barbarossa_1941.toml"
LEADERS = ("stalin", "tukhachevsky")
TYPES = ("ready", "unready")


@cache
def game() -> Game:
    return load_game(GAME)


@cache
def leader_values(leader: str) -> dict[str, F]:
    return resolve(game(), load_leader(leader))


def fact(node: str) -> str:
    """The year the Soviet-German war starts at a terminal ("none" if it does not)."""
    outcome = game().nodes[node].outcome
    assert outcome is not None
    return dict(outcome.facts)["war_with_germany"]


def path(eq: Any) -> tuple[str | None, str | None]:
    """The postures of the ready and the unready army (None where mixed)."""
    return eq.choice("posture_ready"), eq.choice("posture_unready")


# ---------------------------------------------------------------------------------
# The header's formulas, by hand
# ---------------------------------------------------------------------------------
def value_functions(v: dict[str, F]) -> tuple[Callable[[F], F], Callable[[F], F]]:
    """V (the USSR's value of a war won with chance p) and G (Germany's)."""

    def soviet(p: F) -> F:
        return p - v["loss_weight"] * (1 - p)

    def german(p: F) -> F:
        return 1 - p - v["german_war_cost"]

    return soviet, german


def hand_payoffs(v: dict[str, F]) -> dict[str, tuple[F, F]]:
    """Every terminal's (USSR, Germany) payoff, from the formulas in the file's header."""
    V, G = value_functions(v)
    w, m, g = v["britain_drain"], v["mobilisation_cost"], v["german_pact_gain"]
    e, s, k, y = v["preempt_edge"], v["surprise_loss"], v["crisis_loss"], v["year_gain"]
    out: dict[str, tuple[F, F]] = {}
    for t, q in (("ready", F(1, 2) + w), ("unready", w)):
        later = 1 - (1 - y) * (1 - q)
        strike = 1 - (1 - e) * (1 - q) if t == "ready" else q * (1 - e)
        out[f"preempt_{t}"] = (V(strike) - m, G(strike))
        out[f"war41_mobilised_{t}"] = (V(q) - m, G(q))
        out[f"war42_mobilised_{t}"] = (V(later) - m, G(later))
        out[f"peace_mobilised_{t}"] = (-m, F(0))
        for year, base, deliveries in (("41", q, F(0)), ("42", later, g / 2)):
            for state, factor in (("steady", F(1)), ("crisis", 1 - k)):
                p = base * (1 - s) * factor
                out[f"surprise{year}_{t}_{state}"] = (V(p), G(p) + deliveries)
        out[f"pact_kept_{t}"] = (F(0), g)
    return out


def after_surprise(v: dict[str, F], t: str, year: str) -> tuple[F, F]:
    """Expected (USSR, Germany) payoffs of a surprise attack, over the leadership crisis."""
    pay = hand_payoffs(v)
    c = v["p_leadership_crisis"]
    steady, crisis = pay[f"surprise{year}_{t}_steady"], pay[f"surprise{year}_{t}_crisis"]
    return (1 - c) * steady[0] + c * crisis[0], (1 - c) * steady[1] + c * crisis[1]


def test_payoffs_follow_the_header_formulas():
    for leader in LEADERS:
        v = leader_values(leader)
        numbers = game().numbers(v, exact=True)
        names = game().node_names
        got = {names[t]: tuple(numbers.leaf_payoff[k])
               for k, t in enumerate(game().terminals.tolist())}
        assert got == hand_payoffs(v), leader


def test_every_terminal_says_when_the_war_starts():
    for node in hand_payoffs(leader_values("stalin")):
        expected = ("1941" if node.startswith(("preempt", "war41", "surprise41"))
                    else "1942" if node.startswith(("war42", "surprise42")) else "none")
        assert fact(node) == expected, node


# ---------------------------------------------------------------------------------
# Solved under each leader
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("leader", LEADERS)
def test_lcp_finds_the_appeasement_path(leader):
    v = leader_values(leader)
    assert solve(game(), v).method == "lcp"  # what `auto` runs here
    result = solve(game(), v, method="lcp", exact=True)
    assert result.exact
    eq = result.equilibria[0]
    assert eq.max_regret == 0
    # The ready army strikes first; the unready one avoids provocation, and
    # Germany, seeing only unready armies do that, takes a year's deliveries first.
    assert path(eq) == ("pre_empt", "appease")
    assert eq.choice("sees_appeasement") == "attack_1942"
    r, c = v["readiness"], v["p_leadership_crisis"]
    assert {k: p for k, p in eq.outcomes.items() if p} == {
        "preempt_ready": r,
        "surprise42_unready_steady": (1 - r) * (1 - c),
        "surprise42_unready_crisis": (1 - r) * c,
    }
    strike = hand_payoffs(v)["preempt_ready"]
    later = after_surprise(v, "unready", "42")
    assert eq.values == tuple(r * a + (1 - r) * b for a, b in zip(strike, later, strict=True))


@pytest.mark.parametrize("leader", LEADERS)
def test_enummixed_lists_two_separating_paths(leader):
    v = leader_values(leader)
    result = solve(game(), v, method="enummixed", exact=True)
    assert result.exact and result.equilibria
    assert all(eq.max_regret == 0 for eq in result.equilibria)
    # No pooling at the leaders' values: Germany only ever sees the unready
    # army, which either avoids provocation (war in 1942) or mobilises (1941).
    assert {path(eq) for eq in result.equilibria} == {("pre_empt", "appease"),
                                                      ("pre_empt", "mobilise")}
    lcp = solve(game(), v, method="lcp").equilibria[0]
    assert signature(lcp) in {signature(eq) for eq in result.equilibria}


@pytest.mark.parametrize("leader", LEADERS)
def test_the_mobilisation_path_rests_on_a_threat_germany_would_not_carry_out(leader):
    # The unready army mobilises only if Germany would attack an appeaser in
    # 1941; but against either type, attacking an appeaser in 1942 pays Germany
    # more at these values, so that threat is not sequentially rational.
    v = leader_values(leader)
    for t in TYPES:
        assert after_surprise(v, t, "42")[1] > after_surprise(v, t, "41")[1], t
    for eq in solve(game(), v, method="enummixed").equilibria:
        if eq.choice("posture_unready") == "mobilise":
            assert eq.choice("sees_mobilisation") == "attack_1941"
            assert eq.behavior["sees_appeasement"]["attack_1941"] > 0


def gambit_signatures(leader: str, rational: bool) -> tuple[set[Any], Any, Any]:
    """Payoffs and terminal reach of every equilibrium of Gambit's ``enummixed_solve``."""
    pygambit = pytest.importorskip("pygambit")
    v = leader_values(leader)
    g, actions = to_pygambit(game(), v)
    nodes = {n.label: n for n in g.nodes}
    terminals = [nodes[game().node_names[t]] for t in game().terminals.tolist()]
    number = F if rational else float
    found = set()
    for eq in pygambit.nash.enummixed_solve(g, rational=rational).equilibria:
        behavior = eq.as_behavior()
        found.add((
            tuple(number(behavior.payoff(p)) for p in g.players),
            tuple(number(behavior.realiz_prob(n)) for n in terminals),
        ))
    return found, g, actions


def flat(sig: tuple[Any, ...]) -> list[float]:
    return [float(x) for part in sig for x in part]


@pytest.mark.parametrize("leader", LEADERS)
def test_enummixed_matches_gambit_in_floating_point(leader):
    # Gambit's exact enummixed takes about a minute on this game (see the slow
    # test below); its float version agrees with our exact answers to FLOAT_TOL.
    ours = [signature(eq) for eq in solve(game(), leader_values(leader),
                                          method="enummixed", exact=True).equilibria]
    theirs, g, actions = gambit_signatures(leader, rational=False)
    assert len(theirs) == len({tuple(flat(sig)) for sig in ours})
    for sig in theirs:
        assert any(flat(sig) == pytest.approx(flat(mine), abs=FLOAT_TOL) for mine in ours)
    for eq in solve(game(), leader_values(leader), method="enummixed").equilibria:
        assert pygambit_profile(g, actions, eq.behavior).max_regret() == 0


@pytest.mark.slow
def test_enummixed_matches_gambit_exactly():
    ours = solve(game(), leader_values("stalin"), method="enummixed", exact=True)
    theirs, _, _ = gambit_signatures("stalin", rational=True)
    assert {signature(eq) for eq in ours.equilibria} == theirs


# ---------------------------------------------------------------------------------
# Properties that follow from the formulas
# ---------------------------------------------------------------------------------
# A ready army strikes first in every equilibrium when (by hand):
#   (a) preempt_edge > 0, so striking beats mobilising and being attacked in
#       1941 (1 - (1 - e)(1 - q_s) > q_s);
#   (b) U = V(p_strike) - mobilisation_cost > 0, so striking beats mobilising
#       and being left alone (-mobilisation_cost) and the kept pact (0);
#   (c) U beats the expected value of being surprised in 1941 and in 1942.
# After a mobilisation that happens in equilibrium, Germany never waits until
# 1942: G(1 - (1 - y)(1 - q)) < G(q) for either type when year_gain > 0, so
# the ready army's mobilising is worth at most max(V(q_s), 0) - mobilisation_cost
# < U; appeasing is worth at most the largest of 0 and the two surprise values
# < U. So in any Nash equilibrium the ready army (reached: readiness > 0) puts
# probability 1 on pre_empt.
def ready_army_strikes_first(v: dict[str, F]) -> bool:
    V, _ = value_functions(v)
    strike = hand_payoffs(v)["preempt_ready"][0]
    worst_case = max(F(0), after_surprise(v, "ready", "41")[0], after_surprise(v, "ready", "42")[0])
    return v["preempt_edge"] > 0 and v["year_gain"] > 0 and strike > worst_case


def in_range(name: str) -> st.SearchStrategy[F]:
    bounds = game().parameters[name].range
    assert bounds is not None
    low, high = bounds
    return st.integers(0, 20).map(lambda k: low + (high - low) * F(k, 20))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_ready_army_that_expects_to_win_strikes_first(data):
    v = {name: data.draw(in_range(name), label=name) for name in game().parameters}
    assume(ready_army_strikes_first(v))
    result = solve(game(), v, method="enummixed")
    assert result.equilibria
    for eq in result.equilibria:
        assert eq.behavior["posture_ready"]["pre_empt"] == 1


def test_without_an_edge_from_striking_first_a_ready_army_may_pool():
    # preempt_edge = 0 breaks (a): striking first and mobilising then tie for a
    # ready army that Germany attacks in 1941, and both types may mobilise.
    v = dict(leader_values("stalin"), preempt_edge=F(0))
    assert not ready_army_strikes_first(v)
    paths = {path(eq) for eq in solve(game(), v, method="enummixed").equilibria}
    assert ("mobilise", "mobilise") in paths


# Germany, believing it faces the unready army, attacks an appeaser in 1942
# rather than 1941 when half a year's deliveries outweigh what a year adds to
# the USSR's chance against a surprise attack (by hand, from G):
#   german_pact_gain/2 > (1 - surprise_loss)(1 - p_leadership_crisis*crisis_loss)
#                        * year_gain * (1 - britain_drain)
# Solving for year_gain gives the threshold below; above it the unready army
# gains nothing by appeasing (it would be surprised in 1941), mobilises, and
# the war starts in 1941 in every equilibrium.
@pytest.mark.parametrize("leader", LEADERS)
def test_germany_waits_for_1942_only_while_deliveries_outweigh_soviet_growth(leader):
    v = leader_values(leader)
    growth = (1 - v["surprise_loss"]) * (1 - v["p_leadership_crisis"] * v["crisis_loss"]) \
        * (1 - v["britain_drain"])
    threshold = v["german_pact_gain"] / 2 / growth
    assert v["year_gain"] < threshold  # the leaders' values: Germany waits
    below = dict(v, year_gain=threshold - F(1, 100))
    assert ("pre_empt", "appease") in {path(eq) for eq in
                                       solve(game(), below, method="enummixed").equilibria}
    above = dict(v, year_gain=threshold + F(1, 100))
    for eq in solve(game(), above, method="enummixed").equilibria:
        assert path(eq) == ("pre_empt", "mobilise")
        assert sum(p for node, p in eq.outcomes.items() if fact(node) == "1941") == 1
