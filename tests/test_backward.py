"""Backward induction (``spe``): literature values, ties, properties, Gambit cross-checks.

Equilibria are checked with the reference evaluation of tests/conftest.py (a
plain loop over the nodes), never with policy.solvers.verify, and with Gambit.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings

from policy.gamefile import load_game, loads_game
from policy.model import NodeKind, build_game
from policy.solvers import SolverError, solve
from policy.solvers.backward import MAX_EQUILIBRIA, NARROW_LEVEL, spe_solve
from tests.conftest import (
    FLOAT_TOL,
    NEAR_TIE,
    chance,
    decision,
    doc_example,
    games_with_values,
    needs_pygambit,
    pygambit_profile,
    reference_max_gain,
    reference_reach,
    reference_values,
    terminal,
    to_pygambit,
)
from tests.games import ENTRY_VALUES, centipede, entry_deterrence, matching_pennies


def pure_choices(game, eq):
    """Infoset name -> chosen action of a pure equilibrium."""
    return {s: eq.choice(s) for s in game.infosets}


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
def entry():
    # Selten (1978), "The chain store paradox", Theory and Decision 9: one stage of
    # the chain-store game. Fighting hurts the incumbent, so once the entrant is in,
    # it accommodates; foreseeing that, the entrant enters.
    return entry_deterrence(), ENTRY_VALUES


def load_game_text(text):
    return loads_game(text, "test.toml", known_claims=[])


def six_leg_centipede():
    # Rosenthal (1981): whoever moves takes, so player 1 takes at the first node.
    return centipede(6), {}


APPEAL = """\
[game]
title = "Appeal to the West"
players = ["USSR", "Germany"]

[parameters.p_west]
description = "Chance that Britain and France honour the alliance"
default = "3/5"
range = [0, 1]

[nodes.start]
player = "USSR"
actions = { appeal = "west", deal = "pact" }

[nodes.west]
chance = true
actions = { honour = "honoured", refuse = "alone" }
probabilities = { honour = "p_west", refuse = "1 - p_west" }

[nodes.honoured]
player = "Germany"
actions = { attack = "big_war", back_down = "peace" }

[nodes.alone]
player = "Germany"
actions = { attack = "war_alone", back_down = "stand_off" }

[nodes.pact]
payoffs = { USSR = "1/2", Germany = 1 }

[nodes.big_war]
payoffs = { USSR = -2, Germany = -3 }

[nodes.peace]
payoffs = { USSR = 2, Germany = 0 }

[nodes.war_alone]
payoffs = { USSR = -1, Germany = 2 }

[nodes.stand_off]
payoffs = { USSR = 1, Germany = 0 }
"""


def appeal(p_west=Fraction(3, 5)):
    return load_game_text(APPEAL), {"p_west": p_west}


def test_entry_deterrence_entrant_enters_incumbent_accommodates():
    game, values = entry()
    result = solve(game, values)
    assert result.method == "spe" and result.exact and result.unique
    (eq,) = result.equilibria
    assert pure_choices(game, eq) == {"entry": "enter", "response": "accommodate"}
    assert eq.payoffs == {"Entrant": 1, "Incumbent": 1}
    assert eq.max_regret == 0


def test_centipede_player_one_takes_at_once():
    game, values = six_leg_centipede()
    (eq,) = solve(game, values).equilibria
    assert set(pure_choices(game, eq).values()) == {"take"}
    assert eq.payoffs == {"P1": Fraction(2, 5), "P2": Fraction(1, 10)}
    assert eq.outcomes["took1"] == 1


def test_chance_node_value_is_the_hand_computed_expectation():
    # Germany attacks only when the West stays out: 0 > -3 after 'honour', 2 > 0
    # after 'refuse'. So with p_west = 3/5:
    #   USSR:    appeal = 3/5 * 2 + 2/5 * (-1) = 6/5 - 2/5 = 4/5 > 1/2 = deal
    #   Germany: appeal = 3/5 * 0 + 2/5 * 2   = 4/5
    game, values = appeal()
    (eq,) = solve(game, values).equilibria
    assert pure_choices(game, eq) == {"start": "appeal", "honoured": "back_down",
                                      "alone": "attack"}
    assert eq.payoffs == {"USSR": Fraction(4, 5), "Germany": Fraction(4, 5)}
    assert eq.outcomes == {"pact": 0, "big_war": 0, "peace": Fraction(3, 5),
                           "war_alone": Fraction(2, 5), "stand_off": 0}


def test_chance_node_value_at_another_parameter_value():
    # p_west = 1/5: appeal = 1/5 * 2 + 4/5 * (-1) = -2/5 < 1/2, so the USSR deals.
    game, values = appeal(Fraction(1, 5))
    (eq,) = solve(game, values).equilibria
    assert eq.choice("start") == "deal"
    assert eq.payoffs == {"USSR": Fraction(1, 2), "Germany": 1}


LITERATURE = {"entry-deterrence": entry, "centipede": six_leg_centipede, "appeal": appeal}


@pytest.mark.parametrize("make", list(LITERATURE.values()), ids=list(LITERATURE))
def test_literature_games_float_agrees_with_exact(make):
    game, values = make()
    exact = solve(game, values).equilibria[0]
    floats = solve(game, values, exact=False).equilibria[0]
    assert pure_choices(game, floats) == pure_choices(game, exact)
    assert floats.values == pytest.approx([float(v) for v in exact.values], abs=FLOAT_TOL)
    assert isinstance(floats.values[0], float) and isinstance(exact.values[0], Fraction)


@pytest.mark.parametrize("make", list(LITERATURE.values()), ids=list(LITERATURE))
def test_literature_games_have_no_profitable_deviation_in_any_subgame(make):
    game, values = make()
    eq = solve(game, values).equilibria[0]
    assert reference_max_gain(game, game.numbers(values), eq.probabilities) == 0


# ---------------------------------------------------------------------------------
# Ties
# ---------------------------------------------------------------------------------
def tie_below_changes_choice_above():
    """P2 is indifferent at x; which way P2 breaks the tie decides P1's choice.

    If P2 plays l, P1 gets 2 from A and 0 from B: A. If P2 plays r, P1 gets 0 either
    way: A or B. So there are 3 pure SPEs, (A, l), (A, r), (B, r), not 2.
    """
    return build_game("tie", ["P1", "P2"], [
        decision("root", "P1", A="x", B="tb"),
        decision("x", "P2", l="tl", r="tr"),
        terminal("tb", 0, 0),
        terminal("tl", 2, 1),
        terminal("tr", 0, 1),
    ])


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_tie_is_reported_by_default(exact):
    game = tie_below_changes_choice_above()
    result = solve(game, {}, exact=exact)
    assert result.ties == ("x",)
    assert not result.unique
    (eq,) = result.equilibria
    assert pure_choices(game, eq) == {"root": "A", "x": "l"}  # first best action
    (warning,) = result.warnings
    assert "not unique" in warning and "x" in warning


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_all_equilibria_enumerates_every_pure_spe(exact):
    game = tie_below_changes_choice_above()
    result = solve(game, {}, exact=exact, all_equilibria=True)
    found = [tuple(pure_choices(game, eq).values()) for eq in result.equilibria]
    assert sorted(found) == [("A", "l"), ("A", "r"), ("B", "r")]
    assert "3 pure subgame-perfect equilibria" in result.warnings[0]
    for eq in result.equilibria:
        assert reference_max_gain(game, game.numbers({}), eq.probabilities) == 0


def independent_ties(k):
    """Chance picks one of ``k`` nodes; at each, P1 is indifferent between two actions."""
    specs = [chance("root", {f"c{i}": Fraction(1, k) for i in range(k)},
                    **{f"c{i}": f"d{i}" for i in range(k)})]
    for i in range(k):
        specs += [decision(f"d{i}", "P1", left=f"l{i}", right=f"r{i}"),
                  terminal(f"l{i}", i, 0), terminal(f"r{i}", i, 1)]
    return build_game("many ties", ["P1", "P2"], specs)


def test_independent_ties_multiply():
    game = independent_ties(9)
    result = solve(game, {}, all_equilibria=True)
    assert len(result.equilibria) == 2**9
    assert len({eq.probabilities for eq in result.equilibria}) == 2**9
    assert result.ties == tuple(f"d{i}" for i in range(9))


def test_too_many_equilibria_is_an_error():
    game = independent_ties(12)  # 2**12 = 4096 > 1000
    assert MAX_EQUILIBRIA == 1000
    with pytest.raises(SolverError, match="more than 1000 pure subgame-perfect equilibria"):
        solve(game, {}, all_equilibria=True)
    result = solve(game, {})  # without --all: one, with the ties named
    assert len(result.equilibria) == 1 and len(result.ties) == 12
    assert "12 node(s)" in result.warnings[0]


def brute_force_spes(game, numbers):
    """Every pure profile with no profitable deviation in any subgame, by enumeration."""
    sets = list(game.infosets.values())
    found = set()
    for combo in itertools.product(*(range(len(s.actions)) for s in sets)):
        probs = [Fraction(0)] * game.num_actions
        for s, k in zip(sets, combo, strict=True):
            probs[s.offset + k] = Fraction(1)
        if reference_max_gain(game, numbers, probs) == 0:
            found.add(tuple(probs))
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=16, max_depth=4, tie_prone=True))
def test_all_equilibria_matches_brute_force(game_values):
    game, values = game_values
    sizes = [len(s.actions) for s in game.infosets.values()]
    assume(len(list(itertools.product(*map(range, sizes)))) <= 512)
    result = spe_solve(game, values, all_equilibria=True)
    found = [eq.probabilities for eq in result.equilibria]
    assert len(set(found)) == len(found)  # no duplicates
    assert set(found) == brute_force_spes(game, game.numbers(values))


# ---------------------------------------------------------------------------------
# Imperfect information
# ---------------------------------------------------------------------------------
def test_backward_induction_refuses_imperfect_information_naming_the_set():
    with pytest.raises(SolverError) as info:
        spe_solve(matching_pennies(), {})
    message = str(info.value)
    assert "'P2'" in message
    for other in ("lcp", "lp", "enummixed", "enumpure", "logit"):
        assert other in message


@pytest.mark.parametrize(("method", "ran"), [("spe", "spe"), ("auto", "lp")])
def test_the_registry_sends_imperfect_information_to_a_nash_method(method, ran):
    # Matching pennies: the unique equilibrium mixes 1/2-1/2 (von Neumann and Morgenstern 1944).
    result = solve(matching_pennies(), {}, method=method)
    assert result.method == ran
    [eq] = result.equilibria
    assert eq.behavior["P2"] == {"H": Fraction(1, 2), "T": Fraction(1, 2)}
    assert eq.max_regret == 0


def test_unknown_method_is_refused():
    game, values = entry()
    with pytest.raises(SolverError, match="unknown method 'zermelo'"):
        solve(game, values, method="zermelo")


# ---------------------------------------------------------------------------------
# Properties of random games
# ---------------------------------------------------------------------------------
def exact_near_ties(game, numbers, probabilities):
    """Whether some mover has two actions worth different but nearly equal amounts."""
    value = reference_values(game, numbers, probabilities)
    for i in range(game.num_nodes):
        if game.kind[i] != NodeKind.DECISION:
            continue
        me = int(game.player[i])
        own = sorted(value[c][me] for c in game.children_of(i))
        if any(0 < b - a < NEAR_TIE for a, b in itertools.pairwise(own)):
            return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(symbolic=True, interior_payoffs=True))
def test_random_games_spe_properties(game_values):
    game, values = game_values
    numbers = game.numbers(values, exact=True)
    result = solve(game, values)
    (eq,) = result.equilibria
    # Zero regret in every subgame, by the independent evaluation above.
    assert reference_max_gain(game, numbers, eq.probabilities) == 0
    assert eq.max_regret == 0
    # Reach probabilities: as computed here, and summing to 1.
    assert list(eq.reach) == reference_reach(game, numbers, eq.probabilities)
    assert sum(eq.reach) == 1
    # Payoffs are the reach-weighted leaf payoffs.
    for p in range(len(game.players)):
        expected = sum(r * v[p] for r, v in zip(eq.reach, numbers.leaf_payoff, strict=True))
        assert eq.values[p] == expected
        assert isinstance(eq.values[p], Fraction)
    # Behaviour: one action with probability 1 at every information set.
    for probs in eq.behavior.values():
        assert sorted(probs.values()) == [0] * (len(probs) - 1) + [1]
    # Float agrees with exact: same values, and the same choices unless near-tied.
    floats = solve(game, values, exact=False).equilibria[0]
    assert floats.values == pytest.approx([float(v) for v in eq.values], abs=FLOAT_TOL)
    assert abs(sum(floats.reach) - 1) <= FLOAT_TOL
    if not exact_near_ties(game, numbers, eq.probabilities):
        assert pure_choices(game, floats) == pure_choices(game, eq)


# ---------------------------------------------------------------------------------
# Cross-check with pygambit 16.7
# ---------------------------------------------------------------------------------
def gambit_subgame_regret(g, profile):
    """The most a mover gains by switching action at one node, by Gambit's node values.

    By the one-shot deviation principle a profile of a perfect-information game
    is subgame-perfect exactly when this is 0.
    """
    worst = 0
    for node in g.nodes:
        if node.is_terminal or node.player.is_chance:
            continue
        here = profile.node_value(node.player, node)
        for child in node.children:
            worst = max(worst, profile.node_value(node.player, child) - here)
    return worst


def gambit_confirms_spe(game, values, eq):
    """Gambit's own regret of our profile is 0: in the whole game and at every node."""
    g, actions = to_pygambit(game, values)
    profile = pygambit_profile(g, actions, eq.behavior)
    assert profile.max_regret() == 0  # Nash, through the strategic form
    assert profile.agent_max_regret() == 0
    assert gambit_subgame_regret(g, profile) == 0
    assert [profile.payoff(p) for p in g.players] == list(eq.values)


@needs_pygambit
@pytest.mark.parametrize("make", list(LITERATURE.values()), ids=list(LITERATURE))
def test_pygambit_confirms_literature_equilibria(make):
    game, values = make()
    (eq,) = solve(game, values).equilibria
    gambit_confirms_spe(game, values, eq)
    g, _ = to_pygambit(game, values)
    assert [p.label for p in g.players] == list(game.players)
    assert len(list(g.nodes)) == game.num_nodes


@needs_pygambit
def test_pygambit_sees_non_equilibria():
    # The checks above can fail. Entrant enters, incumbent fights: no equilibrium
    # (the incumbent gains 2 by accommodating). Entrant stays out, incumbent
    # fights: a Nash equilibrium that is not subgame-perfect, which only the
    # node-by-node check catches.
    game, values = entry()
    g, actions = to_pygambit(game, values)
    fight = {"fight": 1, "accommodate": 0}
    enter = pygambit_profile(g, actions, {"entry": {"enter": 1, "stay_out": 0}, "response": fight})
    assert enter.max_regret() == 2
    stay = pygambit_profile(g, actions, {"entry": {"enter": 0, "stay_out": 1}, "response": fight})
    assert stay.max_regret() == 0
    assert gambit_subgame_regret(g, stay) == 2


@needs_pygambit
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=60, symbolic=True, interior_payoffs=True))
def test_pygambit_confirms_random_equilibria(game_values):
    game, values = game_values
    (eq,) = solve(game, values).equilibria
    gambit_confirms_spe(game, values, eq)


@needs_pygambit
def test_to_pygambit_keeps_information_sets():
    # Matching pennies: P2 cannot see P1's coin, so P2's two nodes are one set in
    # Gambit too, and only the half-half profile is an equilibrium.
    game = matching_pennies()
    g, actions = to_pygambit(game, {})
    (guess,) = [s for s in g.infosets if s.player.label == "P2"]
    assert len(guess.members) == 2
    assert actions[("P2", "T")] == list(guess.actions)[1]
    half = {"H": Fraction(1, 2), "T": Fraction(1, 2)}
    assert pygambit_profile(g, actions, {"P1": half, "P2": half}).max_regret() == 0
    heads = {"H": 1, "T": 0}
    assert pygambit_profile(g, actions, {"P1": half, "P2": heads}).max_regret() == 1


def test_solution_of_a_loaded_file_is_the_same_as_of_the_built_game(write_game):
    # The same entry game, from the docs file and from node specs.
    game, values = entry()
    built = build_game("Entry deterrence", ["Entrant", "Incumbent"], [
        decision("entry", "Entrant", enter="response", stay_out="out"),
        decision("response", "Incumbent", fight="war", accommodate="shared"),
        terminal("out", 0, 2), terminal("war", -1, -1), terminal("shared", 1, 1),
    ])
    from_file = load_game(write_game(doc_example()), known_claims=[])
    a = solve(built, {}).equilibria[0]
    b = solve(from_file, values).equilibria[0]
    assert (a.probabilities, a.values, a.reach) == (b.probabilities, b.values, b.reach)


def _wide_tie_game(gaps: list[str], big: str = "1000000000") -> str:
    """An .efg text: chance picks one of many one-move games for P1, each choosing between
    payoff 1 and ``1 + gap``; the first game's payoffs are ``big`` and 0, so the tie tolerance
    of that level's widest comparison is ``big`` times the relative one."""
    lines = ['EFG 2 R "wide ties" { "P1" "P2" }', '""', ""]
    k = len(gaps) + 1
    actions = " ".join(f'"g{j}" 1/{k}' for j in range(k))
    lines.append(f'c "" 1 "" {{ {actions} }} 0')
    outcome = 0
    for j, gap in enumerate(["big"] + gaps):
        lines.append(f'p "" 1 {j + 1} "" {{ "a" "b" }} 0')
        first, second = (big, "0") if gap == "big" else ("1", f"1{gap}")
        for payoff in (first, second):
            outcome += 1
            lines.append(f't "" {outcome} "" {{ {payoff}, 0 }}')
    return "\n".join(lines) + "\n"


def test_float_ties_are_judged_at_each_nodes_own_magnitude_on_wide_levels():
    """On a level wide enough for the array step, one large payoff elsewhere on the level must
    not make near values tie: a tie is judged at the magnitude of the values compared.

    The first half of the games differ by 1e-12 (a float tie at magnitude 1), the second half
    by 0.5 (no tie, though within the tie tolerance at the level's largest magnitude, 1e9).
    """
    from policy.gambit import read_efg

    n = 2 * NARROW_LEVEL
    gaps = [".000000000001"] * (n // 2) + [".5"] * (n // 2)
    game = read_efg(_wide_tie_game(gaps))
    result = solve(game, {}, exact=False, method="spe")
    (eq,) = result.equilibria
    chosen = pure_choices(game, eq)
    assert chosen["P1:1"] == "a"  # the big game: 1e9 over 0
    for j in range(n):
        assert chosen[f"P1:{j + 2}"] == ("a" if j < n // 2 else "b")
    assert len(result.ties) == n // 2  # only the games 1e-12 apart
    exact = solve(game, {}, exact=True, method="spe")
    assert not exact.ties  # exactly, 1 + 1e-12 is better than 1


def test_float_without_near_values_takes_the_best_child_on_wide_levels():
    """The same wide level with every gap far above any tie tolerance: no tie, the better child."""
    from policy.gambit import read_efg

    n = 2 * NARROW_LEVEL
    game = read_efg(_wide_tie_game(["5"] * n, big="3"))  # 1 against 15, and 3 against 0
    result = solve(game, {}, exact=False, method="spe")
    assert not result.ties
    (eq,) = result.equilibria
    chosen = pure_choices(game, eq)
    assert all(chosen[f"P1:{j + 2}"] == "b" for j in range(n))
    assert chosen["P1:1"] == "a"


def test_a_nan_value_elsewhere_on_a_wide_level_does_not_hide_a_tie():
    """Float sums that overflow (here +max and -max under chance) make a NaN value at one node; a
    tie at another node of the same wide level is still reported."""
    import numpy as np

    from policy.model import Numbers, game_from_arrays

    chance, decision, terminal = NodeKind.CHANCE, NodeKind.DECISION, NodeKind.TERMINAL
    # Root: chance over 18 nodes: a decision with two equal payoffs, a chance node whose
    # two chance children hold +max and -max, and 16 decisions with distinct payoffs.
    num = [18] + [2, 2] + [2] * 16 + [0, 0, 2, 0] + [0] * 32 + [2, 2] + [0] * 4
    kind = [chance] + [decision, chance] + [decision] * 16 + [terminal, terminal, chance, terminal]
    kind += [terminal] * 32 + [chance, chance] + [terminal] * 4
    mover = [-1 if k != decision else 0 for k in kind]
    n = len(num)
    probs = {0: [Fraction(1, 18)] * 18, 2: [Fraction(1, 2)] * 2, 21: [Fraction(1, 2)] * 2}
    probs |= {55: [Fraction(1, 2)] * 2, 56: [Fraction(1, 2)] * 2}
    game = game_from_arrays("nan", ["P1"], num, kind, mover, [[0]] * int(sum(x == 0 for x in num)), probs)
    big = 1.7976931348623157e308
    terminals = game.terminals.tolist()
    leaf = []
    for t in terminals:
        if t in terminals[-4:-2]:
            leaf.append([big])
        elif t in terminals[-2:]:
            leaf.append([-big])
        elif game.parent[t] == 1:
            leaf.append([1.0])  # node 1's two children tie exactly
        else:
            leaf.append([float(t)])
    # Chance probabilities a hair over 1/k (within the float tolerance on their sum): the
    # expectations of +max overflow to inf, and inf + (-inf) is NaN.
    prob = np.ones(n)
    for c in np.flatnonzero(game.kind == chance).tolist():
        k0, k = int(game.first_child[c]), int(game.num_children[c])
        prob[k0 : k0 + k] = 1.0 / k * (1 + 1e-9)
    numbers = Numbers(False, np.array(leaf), prob)
    from policy.solvers.backward import _induct

    with np.errstate(all="ignore"):
        _, ties = _induct(game, numbers)
    assert 1 in ties
