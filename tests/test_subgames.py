"""``spe`` through proper subgames: roots, extraction, literature games, Gambit, properties.

The Nash method for imperfect-information subgames is passed in as a callable.
Until the library's own ``lcp`` is registered, the tests use ``tiny_solve`` below:
an exact Lemke–Howson on the reduced normal form of a (small) 2-player subgame,
written here and independent of the code under test.
"""

from __future__ import annotations

import importlib
import itertools
from collections import deque
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import Game, NodeKind, NodeSpec, Numbers, Outcome, build_game, own_sequences
from policy.solvers import METHODS, SolverError
from policy.solvers.backward import spe_solve
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.subgames import (
    replace_subtrees,
    spe_subgames_solve,
    subgame_perfection_regret,
    subgame_roots,
    subtree,
)
from policy.solvers.verify import behavior_regret, edge_weights, subgame_regret, subgame_values
from tests.conftest import (
    FLOAT_TOL,
    chance,
    decision,
    games_with_values,
    needs_pygambit,
    profile_vector,
    pygambit_profile,
    reference_reach,
    reference_values,
    terminal,
    to_pygambit,
)


# ---------------------------------------------------------------------------------
# A tiny exact Nash solver for 2-player subgames (test helper)
# ---------------------------------------------------------------------------------
def own_history(game: Game, infoset: int) -> list[tuple[int, int]]:
    """(infoset, action index) of the owner's own earlier moves on the way to ``infoset``."""
    owner = game.infosets.at(infoset).player.index
    node = game.infosets.at(infoset).members[0]
    out = []
    while node:
        parent = int(game.parent[node])
        if game.kind[parent] == NodeKind.DECISION and game.player[parent] == owner:
            out.append((int(game.infoset[parent]), node - int(game.first_child[parent])))
        node = parent
    return out[::-1]


def reduced_strategies(game: Game, player: int) -> list[dict[int, int]]:
    """Pure strategies that choose only where the player's own choices allow reaching."""
    mine = [s.index for s in game.infosets.values() if s.player.index == player]
    history = {k: own_history(game, k) for k in mine}
    plans: list[dict[int, int]] = [{}]
    for k in sorted(mine, key=lambda k: len(history[k])):
        grown = []
        for plan in plans:
            if all(plan.get(j) == a for j, a in history[k]):
                grown.extend({**plan, k: a} for a in range(len(game.infosets.at(k).actions)))
            else:
                grown.append(plan)
        plans = grown
    return plans


def lemke_howson(A, B, label):
    """Exact Lemke–Howson with lexicographic ratio test (von Stengel 2002, section 3.5).

    ``A``, ``B`` are m x n lists of Fractions, all positive. Returns (x, y).
    """
    m, n = len(A), len(A[0])
    # System P: B^T x + s = 1 (variables x_0..x_{m-1} then s_0..s_{n-1}); label of x_i is i,
    # of s_j is m + j. System Q: r + A y = 1 (variables r_0..r_{m-1} then y_0..y_{n-1});
    # label of r_i is i, of y_j is m + j. Both keep their columns in label order.
    one = Fraction(1)
    P = [[B[i][j] for i in range(m)] + [one if k == j else 0 for k in range(n)] + [one]
         for j in range(n)]
    Q = [[one if k == i else 0 for k in range(m)] + [A[i][j] for j in range(n)] + [one]
         for i in range(m)]
    basis = {"P": [m + j for j in range(n)], "Q": [i for i in range(m)]}
    slack = {"P": list(range(m, m + n)), "Q": list(range(m))}
    tables = {"P": P, "Q": Q}
    system = "P" if label < m else "Q"
    entering = label
    for _ in range(10_000):
        T, rows = tables[system], basis[system]
        candidates = [r for r in range(len(T)) if T[r][entering] > 0]
        row = min(candidates, key=lambda r: [T[r][-1] / T[r][entering]]
                  + [T[r][c] / T[r][entering] for c in slack[system]])
        pivot = T[row][entering]
        T[row] = [v / pivot for v in T[row]]
        for r in range(len(T)):
            if r != row and T[r][entering]:
                f = T[r][entering]
                T[r] = [a - f * b for a, b in zip(T[r], T[row], strict=True)]
        leaving = rows[row]
        rows[row] = entering
        if leaving == label:
            break
        system = "Q" if system == "P" else "P"
        entering = leaving
    else:  # pragma: no cover
        raise AssertionError("Lemke-Howson did not end")
    x = [Fraction(0)] * m
    y = [Fraction(0)] * n
    for r, v in enumerate(basis["P"]):
        if v < m:
            x[v] = P[r][-1]
    for r, v in enumerate(basis["Q"]):
        if v >= m:
            y[v - m] = Q[r][-1]
    return [v / sum(x) for v in x], [v / sum(y) for v in y]


def behaviour_from_mixed(game, plans, mixes):
    """Kuhn's map from mixed strategies over reduced plans to a behaviour vector."""
    probs = [Fraction(0)] * game.num_actions
    for s in game.infosets.values():
        p = s.player.index
        reach = [(plan, w) for plan, w in zip(plans[p], mixes[p], strict=True)
                 if all(plan.get(j) == a for j, a in own_history(game, s.index))]
        total = sum(w for _, w in reach)
        for a in range(len(s.actions)):
            if total:
                probs[s.offset + a] = sum(w for plan, w in reach if plan[s.index] == a) / total
            else:  # the player's own moves exclude this set: any behaviour will do
                probs[s.offset + a] = Fraction(int(a == 0))
    return probs


def tiny_solve(game, values, method="lcp", exact=True, all_equilibria=False):
    """Nash equilibria of a small 2-player game: Lemke–Howson from every label (``all``) or one."""
    assert len(game.players) == 2
    numbers = game.numbers(values, exact=exact)
    exact_numbers = numbers
    if not exact:  # our test payoffs are small rationals: recover them exactly
        def rational(v):
            return Fraction(v).limit_denominator(10**6)

        leaf = np.array([[rational(v) for v in row] for row in numbers.leaf_payoff.tolist()],
                        dtype=object).reshape(numbers.leaf_payoff.shape)
        edge = np.array([rational(v) for v in numbers.edge_prob.tolist()], dtype=object)
        exact_numbers = Numbers(True, leaf, edge)
    plans = [reduced_strategies(game, p) for p in range(2)]
    payoff = {}
    for i, j in itertools.product(range(len(plans[0])), range(len(plans[1]))):
        chosen = {**plans[0][i], **plans[1][j]}
        probs = [Fraction(0)] * game.num_actions
        for s in game.infosets.values():
            probs[s.offset + chosen.get(s.index, 0)] = Fraction(1)
        payoff[i, j] = reference_values(game, exact_numbers, probs)[0]
    low = min(min(v) for v in payoff.values())
    m, n = len(plans[0]), len(plans[1])
    A = [[payoff[i, j][0] - low + 1 for j in range(n)] for i in range(m)]
    B = [[payoff[i, j][1] - low + 1 for j in range(n)] for i in range(m)]
    found = []
    for label in range(m + n) if all_equilibria else [0]:
        x, y = lemke_howson(A, B, label)
        probs = behaviour_from_mixed(game, plans, [x, y])
        if probs not in found:
            found.append(probs)
    equilibria = []
    for probs in found:
        vals = reference_values(game, exact_numbers, probs)[0]
        reach = reference_reach(game, exact_numbers, probs)
        if not exact:
            probs, vals, reach = ([float(v) for v in seq] for seq in (probs, vals, reach))
        equilibria.append(Equilibrium(game, tuple(probs), tuple(vals), tuple(reach), 0))
    return SolveResult(game, method, exact, dict(values), tuple(equilibria))


def test_tiny_solver_finds_the_mixed_equilibrium_of_matching_pennies():
    game, _ = pennies_after_outside_option()
    sub = subtree(game, game.numbers({}), game.node("pennies").index)
    (eq,) = tiny_solve(sub, {}).equilibria
    assert eq.behavior["guess"] == {"heads": Fraction(1, 2), "tails": Fraction(1, 2)}
    assert behavior_regret(sub, sub.numbers({}), eq.probabilities)[0] == 0


# ---------------------------------------------------------------------------------
# Games
# ---------------------------------------------------------------------------------
def entry_with_simultaneous_competition():
    """Selten's entry game with a simultaneous-move stage after entry.

    A textbook variant of Selten (1965, 1975) in which, once in, entrant and
    incumbent choose fight or accommodate without seeing each other's choice
    (as in Mas-Colell, Whinston and Green, *Microeconomic Theory*, 1995, section
    9.B). Payoffs (entrant, incumbent) ours: after entry, accommodating is
    dominant for the entrant and the incumbent's best reply to it is to
    accommodate, so the subgame's only equilibrium is (accommodate,
    accommodate), worth (3, 1) > (0, 2) of staying out. (Out; accommodate;
    fight) is a Nash equilibrium of the whole game that is not subgame-perfect:
    the threat to fight is never tested.
    """
    game = build_game("Entry with simultaneous competition", ["Entrant", "Incumbent"], [
        decision("entry", "Entrant", out="stay_out", enter="post"),
        terminal("stay_out", 0, 2),
        decision("post", "Entrant", fight="e_fights", accommodate="e_accommodates"),
        decision("e_fights", "Incumbent", infoset="incumbent", fight="ff", accommodate="fa"),
        decision("e_accommodates", "Incumbent", infoset="incumbent", fight="af",
                 accommodate="aa"),
        terminal("ff", -3, -1),
        terminal("fa", 1, -2),
        terminal("af", -2, -1),
        terminal("aa", 3, 1),
    ])
    return game, {}


#: Gibbons (1992), *Game Theory for Applied Economists*, section 2.3.A: the
#: prisoners' dilemma with L = defect, R = cooperate, payoffs (P1, P2).
PD = {("L", "L"): (1, 1), ("L", "R"): (5, 0), ("R", "L"): (0, 5), ("R", "R"): (4, 4)}


def repeated_prisoners_dilemma(stages: int = 2) -> Game:
    """The prisoners' dilemma played ``stages`` times, each stage a simultaneous move.

    Gibbons (1992), section 2.3.A, and Osborne and Rubinstein (1994), *A Course
    in Game Theory*, chapter 8 (finitely repeated games): a stage game with a unique Nash equilibrium
    repeated finitely often has a unique subgame-perfect equilibrium, the stage
    equilibrium after every history. Here: defect (L) everywhere, worth 1 per
    stage to each.
    """
    specs: list[NodeSpec] = []

    def stage(name: str, history: str, k: int, total: tuple[int, int]) -> None:
        if k == stages:
            specs.append(terminal(name, *total))
            return
        specs.append(decision(name, "P1", infoset=f"p1{history}", L=f"{name}L", R=f"{name}R"))
        for a in "LR":
            specs.append(decision(f"{name}{a}", "P2", infoset=f"p2{history}",
                                  L=f"{name}{a}L", R=f"{name}{a}R"))
            for b in "LR":
                gain = PD[a, b]
                stage(f"{name}{a}{b}", f"{history}{a}{b}", k + 1,
                      (total[0] + gain[0], total[1] + gain[1]))

    stage("s", "", 0, (0, 0))
    return build_game(f"Prisoners' dilemma x{stages}", ["P1", "P2"], specs)


def pennies_after_outside_option():
    """P1 may take -1/2 or play matching pennies (worth 0 to P1 at the 1/2-1/2 equilibrium)."""
    game = build_game("Pennies", ["P1", "P2"], [
        decision("root", "P1", out="o", play="pennies"),
        terminal("o", "-1/2", "1/2"),
        decision("pennies", "P1", heads="h", tails="t"),
        decision("h", "P2", infoset="guess", heads="hh", tails="ht"),
        decision("t", "P2", infoset="guess", heads="th", tails="tt"),
        terminal("hh", 1, -1), terminal("ht", -1, 1),
        terminal("th", -1, 1), terminal("tt", 1, -1),
    ])
    return game, {}


def battle_after_outside_option():
    """P1 may take 3/2 or play the battle of the sexes (equilibria worth 2, 1 or 2/3 to P1)."""
    game = build_game("Battle", ["P1", "P2"], [
        decision("root", "P1", out="o", play="battle"),
        terminal("o", "3/2", 0),
        decision("battle", "P1", top="t", bottom="b"),
        decision("t", "P2", infoset="p2", left="tl", right="tr"),
        decision("b", "P2", infoset="p2", left="bl", right="br"),
        terminal("tl", 2, 1), terminal("tr", 0, 0),
        terminal("bl", 0, 0), terminal("br", 1, 2),
    ])
    return game, {}


def choices(eq):
    return {s: eq.choice(s) for s in eq.game.infosets}


# ---------------------------------------------------------------------------------
# subgame_roots
# ---------------------------------------------------------------------------------
def naive_roots(game: Game) -> list[int]:
    """Proper subgame roots straight from the definition (a set per node)."""
    roots = []
    for r in range(game.num_nodes):
        if game.kind[r] == NodeKind.TERMINAL:
            continue
        below, queue = set(), [r]
        while queue:
            v = queue.pop()
            below.add(v)
            queue.extend(game.children_of(v))
        if all(set(s.members) <= below or not set(s.members) & below
               for s in game.infosets.values()) and (
                game.kind[r] != NodeKind.DECISION
                or len(game.infosets.at(int(game.infoset[r])).members) == 1):
            roots.append(r)
    return roots


def names(game, nodes):
    return [game.node_names[n] for n in nodes]


def test_roots_of_a_simultaneous_move_game_are_only_the_root():
    game, _ = pennies_after_outside_option()
    assert names(game, subgame_roots(game)) == ["root", "pennies"]


def test_a_node_whose_subtree_an_information_set_cuts_is_not_a_root():
    # P2 cannot tell v1 (below u) from v2 (beside u): the set cuts u's subtree,
    # so u does not start a subgame, though the perfect-information w does.
    game = build_game("cut", ["P1", "P2"], [
        chance("root", {"a": "1/2", "b": "1/2"}, a="u", b="v2"),
        decision("u", "P1", left="v1", right="w"),
        decision("v1", "P2", infoset="h", x="t1", y="t2"),
        decision("v2", "P2", infoset="h", x="t3", y="t4"),
        decision("w", "P2", x="t5", y="t6"),
        *(terminal(f"t{k}", k, -k) for k in range(1, 7)),
    ])
    assert names(game, subgame_roots(game)) == ["root", "w"]
    assert subgame_roots(game) == naive_roots(game)


def test_roots_of_the_entry_game_and_the_repeated_dilemma():
    game, _ = entry_with_simultaneous_competition()
    assert names(game, subgame_roots(game)) == ["entry", "post"]
    pd = repeated_prisoners_dilemma(2)
    assert names(pd, subgame_roots(pd)) == ["s", "sLL", "sLR", "sRL", "sRR"]


def test_every_inner_node_of_a_perfect_information_game_is_a_root():
    game = build_game("pi", ["A", "B"], [
        decision("r", "A", x="c", y="t1"),
        chance("c", {"u": "1/3", "v": "2/3"}, u="d", v="t2"),
        decision("d", "B", p="t3", q="t4"),
        *(terminal(f"t{k}", k, k) for k in range(1, 5)),
    ])
    assert names(game, subgame_roots(game)) == ["r", "c", "d"]


def test_a_lone_terminal_has_no_subgame():
    game = build_game("one", ["A"], [terminal("end", 1)])
    assert subgame_roots(game) == []


# ---------------------------------------------------------------------------------
# subtree and replace_subtrees
# ---------------------------------------------------------------------------------
def test_subtree_keeps_names_labels_and_payoffs():
    game, values = entry_with_simultaneous_competition()
    sub = subtree(game, game.numbers(values), game.node("post").index)
    assert sub.node_names == ("post", "e_fights", "e_accommodates", "ff", "fa", "af", "aa")
    assert list(sub.infosets) == ["post", "incumbent"]
    assert sub.infosets["incumbent"].members == (1, 2)
    assert sub.node("e_fights").children["accommodate"].name == "fa"
    payoff = dict(zip(sub.terminals.tolist(), sub.numbers({}).leaf_payoff.tolist(), strict=True))
    assert payoff[sub.node("fa").index] == [1, -2]


def test_replace_subtrees_puts_given_payoffs_at_a_terminal():
    game, values = entry_with_simultaneous_competition()
    post = game.node("post").index
    reduced = replace_subtrees(game, game.numbers(values), {post: (Fraction(3), Fraction(1))})
    assert reduced.node_names == ("entry", "stay_out", "post")
    assert reduced.is_perfect_information
    (eq,) = spe_solve(reduced, {}).equilibria
    assert eq.choice("entry") == "enter" and eq.values == (3, 1)


def test_float_subtree_has_float_payoffs():
    game, values = entry_with_simultaneous_competition()
    sub = subtree(game, game.numbers(values, exact=False), game.node("post").index)
    leaf = sub.numbers({}, exact=False).leaf_payoff
    assert leaf.dtype.kind == "f" and leaf.tolist()[0] == [-3.0, -1.0]


def test_subtree_refuses_a_node_that_starts_no_subgame():
    game, values = entry_with_simultaneous_competition()
    with pytest.raises(SolverError, match="does not start a proper subgame"):
        subtree(game, game.numbers(values), game.node("e_fights").index)


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
def test_entry_game_spe_has_the_subgame_equilibrium():
    game, values = entry_with_simultaneous_competition()
    result = spe_subgames_solve(game, values, solve=tiny_solve)
    assert result.method == "spe" and result.exact
    (eq,) = result.equilibria
    assert choices(eq) == {"entry": "enter", "post": "accommodate", "incumbent": "accommodate"}
    assert eq.payoffs == {"Entrant": 3, "Incumbent": 1}
    assert eq.outcomes["aa"] == 1 and eq.max_regret == 0
    assert result.details["subgames"] == ("post", "entry")


def test_entry_game_nash_equilibrium_with_an_empty_threat_is_not_subgame_perfect():
    game, values = entry_with_simultaneous_competition()
    numbers = game.numbers(values)
    threat = profile_vector(game, {"entry": "out", "post": "accommodate", "incumbent": "fight"})
    assert behavior_regret(game, numbers, threat)[0] == 0  # Nash ...
    # ... but in the subgame after entry the incumbent gains 1 - (-1) by accommodating.
    assert subgame_perfection_regret(game, numbers, threat) == 2


@pytest.mark.parametrize("stages", [2, 3])
def test_repeated_prisoners_dilemma_defect_after_every_history(stages):
    game = repeated_prisoners_dilemma(stages)
    (eq,) = spe_subgames_solve(game, {}, solve=tiny_solve).equilibria
    assert set(choices(eq).values()) == {"L"}
    assert eq.values == (stages, stages)
    assert len(subgame_roots(game)) == sum(4**k for k in range(stages))


def test_pennies_subgame_is_mixed_and_p1_enters():
    game, values = pennies_after_outside_option()
    (eq,) = spe_subgames_solve(game, values, solve=tiny_solve).equilibria
    half = Fraction(1, 2)
    assert eq.behavior == {"root": {"out": 0, "play": 1},
                           "pennies": {"heads": half, "tails": half},
                           "guess": {"heads": half, "tails": half}}
    assert eq.values == (0, 0)


@pytest.mark.parametrize("make", [entry_with_simultaneous_competition,
                                  pennies_after_outside_option, battle_after_outside_option])
def test_float_agrees_with_exact(make):
    game, values = make()
    exact = spe_subgames_solve(game, values, solve=tiny_solve).equilibria[0]
    floats = spe_subgames_solve(game, values, exact=False, solve=tiny_solve).equilibria[0]
    assert isinstance(floats.values[0], float) and isinstance(exact.values[0], Fraction)
    assert floats.probabilities == pytest.approx([float(p) for p in exact.probabilities],
                                                 abs=FLOAT_TOL)
    assert floats.values == pytest.approx([float(v) for v in exact.values], abs=FLOAT_TOL)


# ---------------------------------------------------------------------------------
# all_equilibria
# ---------------------------------------------------------------------------------
def test_all_equilibria_combine_the_subgame_equilibria():
    # Lemke–Howson from every label finds the two pure equilibria of the battle:
    # after (top, left) P1 plays (2 > 3/2); after (bottom, right) P1 stays out.
    game, values = battle_after_outside_option()
    result = spe_subgames_solve(game, values, all_equilibria=True, solve=tiny_solve)
    found = sorted((tuple(choices(eq).values()), eq.values) for eq in result.equilibria)
    assert found == [(("out", "bottom", "right"), (Fraction(3, 2), 0)),
                     (("play", "top", "left"), (2, 1))]
    assert len(spe_subgames_solve(game, values, solve=tiny_solve).equilibria) == 1


def test_all_equilibria_over_the_limit_is_a_clear_error():
    game, values = battle_after_outside_option()
    with pytest.raises(SolverError, match="more than 1 subgame-perfect equilibria"):
        spe_subgames_solve(game, values, all_equilibria=True, solve=tiny_solve, max_equilibria=1)


def test_all_equilibria_with_ties_in_a_perfect_information_part():
    # Below the battle, a perfect-information tie: P2 indifferent at 'z'.
    game = build_game("tie", ["P1", "P2"], [
        decision("root", "P1", left="battle", right="z"),
        decision("z", "P2", a="za", b="zb"),
        terminal("za", 0, 1), terminal("zb", 5, 1),
        decision("battle", "P1", top="t", bottom="b"),
        decision("t", "P2", infoset="p2", left="tl", right="tr"),
        decision("b", "P2", infoset="p2", left="bl", right="br"),
        terminal("tl", 2, 1), terminal("tr", 0, 0),
        terminal("bl", 0, 0), terminal("br", 1, 2),
    ])
    result = spe_subgames_solve(game, {}, all_equilibria=True, solve=tiny_solve)
    # z: a or b; battle: 2 pure equilibria; P1 chooses right when z plays b, else
    # the battle: 2 x 2 = 4 profiles.
    assert len(result.equilibria) == 4
    assert "z" in result.ties
    for eq in result.equilibria:
        assert subgame_perfection_regret(game, game.numbers({}), eq.probabilities) == 0


# ---------------------------------------------------------------------------------
# Decision problems, delegation, errors
# ---------------------------------------------------------------------------------
def refuse(*args, **kwargs):
    raise AssertionError("no Nash method is needed here")


def test_a_subgame_where_one_player_moves_is_solved_exactly_without_a_nash_method():
    # Three players. Nature picks the weather, unseen by A; B and C then move
    # with perfect information (subgames of their own). A's expected values:
    # go = 1/3 * 3 + 2/3 * (-1) = 1/3; stay = 0. So A goes.
    game = build_game("weather", ["A", "B", "C"], [
        chance("sky", {"sun": "1/3", "rain": "2/3"}, sun="a_sun", rain="a_rain"),
        decision("a_sun", "A", infoset="a", go="b_sun", stay="s1"),
        decision("a_rain", "A", infoset="a", go="c_rain", stay="s2"),
        decision("b_sun", "B", yes="y1", no="n1"),
        decision("c_rain", "C", yes="y2", no="n2"),
        terminal("s1", 0, 0, 0), terminal("s2", 0, 0, 0),
        terminal("y1", 3, 1, 0), terminal("n1", -5, 0, 0),
        terminal("y2", -1, 0, 0), terminal("n2", 4, 0, 2),
    ])
    # C prefers no (2 > 0): rain gives A 4. go = 1/3*3 + 2/3*4 = 11/3.
    result = spe_subgames_solve(game, {}, solve=refuse)
    (eq,) = result.equilibria
    assert choices(eq) == {"a": "go", "b_sun": "yes", "c_rain": "no"}
    assert eq.values == (Fraction(11, 3), Fraction(1, 3), Fraction(4, 3))


def test_perfect_information_goes_to_backward_induction():
    game = build_game("pi", ["A", "B"], [
        decision("r", "A", x="d", y="t1"),
        decision("d", "B", p="t2", q="t3"),
        terminal("t1", 1, 1), terminal("t2", 0, 2), terminal("t3", 2, 0),
    ])
    ours = spe_subgames_solve(game, {}, solve=refuse)
    theirs = spe_solve(game, {})
    assert ours.equilibria[0].probabilities == theirs.equilibria[0].probabilities


def test_a_subgame_method_that_returns_a_non_equilibrium_is_caught():
    game, values = entry_with_simultaneous_competition()

    def bad(sub, vals, method, exact, all_equilibria):
        probs = [Fraction(1, 2)] * sub.num_actions
        return SolveResult(sub, method, exact, {}, (Equilibrium(sub, tuple(probs), (), (), 0),))

    with pytest.raises(SolverError, match="subgame at 'post'.*no equilibrium that passes"):
        spe_subgames_solve(game, values, solve=bad)


def test_float_probabilities_in_exact_mode_are_refused():
    game, values = entry_with_simultaneous_competition()

    def floaty(sub, vals, method, exact, all_equilibria):
        return tiny_solve(sub, vals, method, False, all_equilibria)

    with pytest.raises(SolverError, match="floating-point probabilities"):
        spe_subgames_solve(game, values, solve=floaty)


def test_a_failing_subgame_method_is_named_with_the_subgame():
    game, values = entry_with_simultaneous_competition()

    def failing(sub, vals, method, exact, all_equilibria):
        raise SolverError(f"method {method!r} is not available")

    with pytest.raises(SolverError, match="subgame at 'post': method 'enumpure'"):
        spe_subgames_solve(game, values, subgame_method="enumpure", solve=failing)


def direct_solver(name):
    """``policy.solvers.<name>.<name>_solve`` in the registry's call shape, or None if absent."""
    try:
        module = importlib.import_module(f"policy.solvers.{name}")
    except ImportError:
        return None
    solver = getattr(module, f"{name}_solve", None)
    if solver is None:
        return None

    def call(game, values, method=name, exact=True, all_equilibria=False):
        return solver(game, values, exact=exact, all_equilibria=all_equilibria)

    return call


@pytest.mark.parametrize("name", ["lcp", "enummixed"])
@pytest.mark.parametrize("make", [entry_with_simultaneous_competition,
                                  pennies_after_outside_option, battle_after_outside_option,
                                  lambda: (repeated_prisoners_dilemma(2), {})],
                         ids=["entry", "pennies", "battle", "pd2"])
def test_with_the_libraries_own_nash_methods(name, make):
    nash = direct_solver(name)
    if nash is None:
        pytest.skip(f"policy.solvers.{name} is not there yet")
    game, values = make()
    numbers = game.numbers(values)
    result = spe_subgames_solve(game, values, all_equilibria=True, solve=nash)
    for eq in result.equilibria:
        assert eq.max_regret == 0
        assert subgame_perfection_regret(game, numbers, eq.probabilities) == 0
    ours = spe_subgames_solve(game, values, all_equilibria=True, solve=tiny_solve).equilibria
    if len(ours) == 1:  # a unique subgame-perfect equilibrium: the same one
        assert [eq.probabilities for eq in result.equilibria] == [ours[0].probabilities]
    else:  # the battle: every one tiny_solve finds is found (enummixed adds the mixed one)
        assert {eq.probabilities for eq in ours} <= {eq.probabilities for eq in result.equilibria}


@pytest.mark.skipif("lcp" not in METHODS, reason="the registry has no lcp yet")
@pytest.mark.parametrize("make", [entry_with_simultaneous_competition,
                                  pennies_after_outside_option, battle_after_outside_option])
def test_with_the_registry_lcp(make):
    game, values = make()
    (eq,) = spe_subgames_solve(game, values).equilibria  # the registry's lcp by default
    assert eq.max_regret == 0
    ours = spe_subgames_solve(game, values, solve=tiny_solve).equilibria[0]
    if make is not battle_after_outside_option:  # unique SPE
        assert eq.probabilities == ours.probabilities


# ---------------------------------------------------------------------------------
# Gambit
# ---------------------------------------------------------------------------------
def assert_gambit_agrees_everywhere(game, values, eq):
    """Gambit's max_regret is 0 in the whole game and in every proper subgame."""
    numbers = game.numbers(values)
    for r in subgame_roots(game):
        sub = subtree(game, numbers, r) if r else game
        g, actions = to_pygambit(sub, {} if r else values)
        behavior = {s: eq.behavior[s] for s in sub.infosets}
        assert pygambit_profile(g, actions, behavior).max_regret() == 0, game.node_names[r]


@needs_pygambit
@pytest.mark.parametrize("make", [entry_with_simultaneous_competition,
                                  pennies_after_outside_option, battle_after_outside_option,
                                  lambda: (repeated_prisoners_dilemma(2), {})],
                         ids=["entry", "pennies", "battle", "pd2"])
def test_gambit_finds_no_regret_in_any_subgame(make):
    game, values = make()
    for eq in spe_subgames_solve(game, values, all_equilibria=True, solve=tiny_solve).equilibria:
        assert_gambit_agrees_everywhere(game, values, eq)


@needs_pygambit
def test_gambit_sees_the_empty_threat():
    game, values = entry_with_simultaneous_competition()
    threat = profile_vector(game, {"entry": "out", "post": "accommodate", "incumbent": "fight"})
    g, actions = to_pygambit(game, values)
    behavior = {s.name: {a: threat[s.offset + k] for k, a in enumerate(s.actions)}
                for s in game.infosets.values()}
    assert pygambit_profile(g, actions, behavior).max_regret() == 0
    sub = subtree(game, game.numbers(values), game.node("post").index)
    g, actions = to_pygambit(sub, {})
    sub_behavior = {s: behavior[s] for s in sub.infosets}
    assert pygambit_profile(g, actions, sub_behavior).max_regret() == 2


# ---------------------------------------------------------------------------------
# Hypothesis
# ---------------------------------------------------------------------------------
_KIND = st.sampled_from(["decision", "decision", "decision", "chance", "terminal"])
_WIDTH = st.sampled_from([2, 2, 2, 3])
_PAYOFF = st.integers(-6, 6)
_DENOMINATOR = st.integers(1, 3)
_GROUP = st.integers(0, 1)
_MOVER = st.integers(0, 1)
_WEIGHT = st.integers(1, 3)


@st.composite
def games_with_infosets(draw, max_nodes=24, max_depth=4):
    """A random 2-player game in which some decision nodes share information sets.

    A random tree is drawn; then decision nodes of one player with as many
    actions and the same own history are grouped at random into information
    sets (that keeps perfect recall).
    """
    shape = []  # (name, kind, player, children)
    queue = deque([("n0", 0)])
    count = 1
    while queue:
        name, depth = queue.popleft()
        kind = "terminal"
        if depth < max_depth and max_nodes - count >= 2:
            kind = draw(_KIND) if depth else "decision"
        if kind == "terminal":
            shape.append((name, kind, -1, []))
            continue
        k = min(draw(_WIDTH), max_nodes - count)
        kids = [f"n{count + j}" for j in range(k)]
        count += k
        queue.extend((kid, depth + 1) for kid in kids)
        shape.append((name, kind, draw(_MOVER) if kind == "decision" else -1, kids))
    labels = ["l", "r", "m"]

    def specs(infoset_of):
        out = []
        for name, kind, player, kids in shape:
            acts = tuple(zip(labels, kids, strict=False))
            if kind == "terminal":
                out.append(NodeSpec(name, NodeKind.TERMINAL, outcome=payoffs[name]))
            elif kind == "chance":
                weights = weights_of[name]
                out.append(NodeSpec(name, NodeKind.CHANCE, actions=acts, probabilities=tuple(
                    parse(Fraction(w, sum(weights))) for w in weights)))
            else:
                out.append(NodeSpec(name, NodeKind.DECISION, player=f"P{player + 1}",
                                    actions=acts, infoset=infoset_of.get(name)))
        return out

    payoffs = {
        name: Outcome(name, tuple(parse(Fraction(draw(_PAYOFF), draw(_DENOMINATOR)))
                                  for _ in range(2)))
        for name, kind, _, _ in shape if kind == "terminal"
    }
    weights_of = {name: [draw(_WEIGHT) for _ in kids] for name, kind, _, kids in shape
                  if kind == "chance"}
    plain = build_game("random", ["P1", "P2"], specs({}))
    history = own_sequences(plain)
    groups: dict[tuple[int, int, int], list[str]] = {}
    for node in range(plain.num_nodes):
        if plain.kind[node] == NodeKind.DECISION:
            p = int(plain.player[node])
            key = (p, int(plain.num_children[node]), int(history[node, p]))
            groups.setdefault(key, []).append(plain.node_names[node])
    infoset_of = {}
    for key, members in groups.items():
        for name in members:
            infoset_of[name] = f"h{key[0]}_{key[1]}_{key[2]}_{draw(_GROUP)}"
    return build_game("random", ["P1", "P2"], specs(infoset_of))


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(games_with_infosets())
def test_subgame_roots_match_the_definition(game):
    assert subgame_roots(game) == naive_roots(game)


@SETTINGS
@given(games_with_infosets())
def test_random_games_spe_has_zero_regret_in_every_proper_subgame(game):
    result = spe_subgames_solve(game, {}, solve=tiny_solve)
    (eq,) = result.equilibria
    numbers = game.numbers({})
    for r in naive_roots(game):
        sub = subtree(game, numbers, r)
        probs = [eq.behavior[s.name][a] for s in sub.infosets.values() for a in s.actions]
        assert behavior_regret(sub, sub.numbers({}), probs)[0] == 0, game.node_names[r]
    assert eq.max_regret == 0
    assert list(eq.values) == reference_values(game, numbers, eq.probabilities)[0]
    floats = spe_subgames_solve(game, {}, exact=False, solve=tiny_solve).equilibria[0]
    assert floats.values == pytest.approx([float(v) for v in eq.values], abs=FLOAT_TOL)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=30), st.data())
def test_perfection_regret_is_subgame_regret_under_perfect_information(drawn, data):
    game, values = drawn
    numbers = game.numbers(values)
    probs = []
    for s in game.infosets.values():
        weights = [data.draw(st.integers(0, 3)) for _ in s.actions]
        weights[0] += not any(weights)
        probs.extend(Fraction(w, sum(weights)) for w in weights)
    weight = edge_weights(game, numbers, probs)
    expected, _ = subgame_regret(game, subgame_values(game, numbers, weight))
    assert subgame_perfection_regret(game, numbers, probs) == expected


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(games_with_infosets(), st.data())
def test_perfection_regret_is_zero_exactly_when_every_subgame_is_nash(game, data):
    # A profile drawn at random, or the SPE with one information set changed to a
    # random action (often still subgame-perfect, often not), judged against the
    # definition: Nash regret 0 in every proper subgame, each extracted.
    numbers = game.numbers({})
    if data.draw(st.booleans()):
        picks = {s.name: s.actions[data.draw(st.integers(0, len(s.actions) - 1))]
                 for s in game.infosets.values()}
        probs = profile_vector(game, picks)
    else:
        probs = list(spe_subgames_solve(game, {}, solve=tiny_solve).equilibria[0].probabilities)
        s = game.infosets.at(data.draw(st.integers(0, len(game.infosets) - 1)))
        pick = data.draw(st.integers(0, len(s.actions) - 1))
        probs[s.offset : s.offset + len(s.actions)] = [Fraction(int(k == pick))
                                                       for k in range(len(s.actions))]
    by_definition = all(
        behavior_regret(sub, sub.numbers({}), [probs[game.infosets[s.name].offset + k]
                                               for s in sub.infosets.values()
                                               for k in range(len(s.actions))])[0] == 0
        for sub in (subtree(game, numbers, r) for r in naive_roots(game))
    )
    assert (subgame_perfection_regret(game, numbers, probs) == 0) == by_definition


@needs_pygambit
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(games_with_infosets(max_nodes=16))
def test_random_games_gambit_finds_no_regret_in_any_subgame(game):
    (eq,) = spe_subgames_solve(game, {}, solve=tiny_solve).equilibria
    assert_gambit_agrees_everywhere(game, {}, eq)


# ---------------------------------------------------------------------------------
# Subgames as games of their movers; identical subgames solved once
# ---------------------------------------------------------------------------------
def four_players_two_movers():
    """Four players; C picks one of two simultaneous-move subgames, each played by two others.

    Left (A and B, not constant-sum): A's payoffs [[3, 0], [0, 1]], B's
    [[0, 1], [2, 0]]; the only equilibrium mixes, A up with 2/3, B left with
    1/4, and is worth 7/12 to C. Right (D and B, zero-sum matching pennies,
    1/2-1/2) is worth 1/2 to C. So C goes left; the SPE is unique.
    """
    game = build_game("Four players", ["A", "B", "C", "D"], [
        decision("root", "C", left="l", right="r"),
        decision("l", "A", up="lu", down="ld"),
        decision("lu", "B", infoset="b_l", left="lul", right="lur"),
        decision("ld", "B", infoset="b_l", left="ldl", right="ldr"),
        terminal("lul", 3, 0, 1, 2), terminal("lur", 0, 1, 0, 0),
        terminal("ldl", 0, 2, 2, 1), terminal("ldr", 1, 0, 1, 1),
        decision("r", "D", heads="rh", tails="rt"),
        decision("rh", "B", infoset="b_r", heads="rhh", tails="rht"),
        decision("rt", "B", infoset="b_r", heads="rth", tails="rtt"),
        terminal("rhh", 5, 1, 0, -1), terminal("rht", 5, -1, 1, 1),
        terminal("rth", 5, -1, 1, 1), terminal("rtt", 5, 1, 0, -1),
    ])
    return game, {}


class CountingSolve:
    """The registry's solve, counting calls and recording each game's players and the method."""

    def __init__(self):
        from policy.solvers import _subgame_solver

        self.inner = _subgame_solver
        self.calls = []

    def __call__(self, game, values, method, exact, all_equilibria=False):
        self.calls.append((tuple(game.players), method))
        return self.inner(game, values, method=method, exact=exact, all_equilibria=all_equilibria)


def test_two_movers_among_four_players_go_to_the_two_player_methods_exactly():
    # Before, a 4-player game's subgames went to logit, which is float only:
    # exact spe failed with "floating-point probabilities".
    game, values = four_players_two_movers()
    counting = CountingSolve()
    result = spe_subgames_solve(game, values, exact=True, solve=counting)
    assert sorted(counting.calls) == [(("A", "B"), "qpe"), (("B", "D"), "lp")]
    assert result.details["subgame_methods"] == {"l": "qpe", "r": "lp", "root": "backward induction"}
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    assert subgame_perfection_regret(game, game.numbers(values), eq.probabilities) == 0
    assert eq.behavior["l"] == {"up": Fraction(2, 3), "down": Fraction(1, 3)}
    assert eq.behavior["b_l"] == {"left": Fraction(1, 4), "right": Fraction(3, 4)}
    assert eq.behavior["r"] == {"heads": Fraction(1, 2), "tails": Fraction(1, 2)}
    assert eq.behavior["b_r"] == {"heads": Fraction(1, 2), "tails": Fraction(1, 2)}
    assert eq.choice("root") == "left"
    # The others' payoffs are carried up: A and B from the left subgame,
    # C's 7/12 and D's from the left subgame's play.
    assert eq.values == (Fraction(2, 3) * Fraction(1, 4) * 3 + Fraction(1, 3) * Fraction(3, 4),
                         Fraction(2, 3) * Fraction(3, 4) + Fraction(1, 3) * Fraction(1, 4) * 2,
                         Fraction(7, 12),
                         Fraction(2, 3) * Fraction(1, 4) * 2 + Fraction(1, 3) * Fraction(1, 4)
                         + Fraction(1, 3) * Fraction(3, 4))


@needs_pygambit
def test_four_players_two_movers_agree_with_gambit():
    import pygambit

    game, values = four_players_two_movers()
    (eq,) = spe_subgames_solve(game, values, exact=True).equilibria
    assert_gambit_agrees_everywhere(game, values, eq)
    # Gambit's own lcp on the left subgame, as a game of its two movers.
    two = build_game("left", ["A", "B"], [
        decision("l", "A", up="lu", down="ld"),
        decision("lu", "B", infoset="b_l", left="lul", right="lur"),
        decision("ld", "B", infoset="b_l", left="ldl", right="ldr"),
        terminal("lul", 3, 0), terminal("lur", 0, 1), terminal("ldl", 0, 2), terminal("ldr", 1, 0),
    ])
    g, actions = to_pygambit(two, {})
    (theirs,) = pygambit.nash.lcp_solve(g, rational=True).equilibria
    for s in ("l", "b_l"):
        assert {a: Fraction(theirs[actions[(s, a)]]) for a in eq.behavior[s]} == eq.behavior[s]


def test_a_forced_subgame_method_is_used_for_every_subgame():
    game, values = four_players_two_movers()
    counting = CountingSolve()
    result = spe_subgames_solve(game, values, subgame_method="enummixed", solve=counting)
    assert sorted(counting.calls) == [(("A", "B"), "enummixed"), (("B", "D"), "enummixed")]
    assert result.details["subgame_method"] == "enummixed"
    assert result.details["subgame_methods"]["l"] == "enummixed"
    (eq,) = result.equilibria
    assert eq.max_regret == 0 and eq.choice("root") == "left"


def copies_of_one_subgame(copies: int = 3, big: int = 1):
    """Chance picks one of ``copies`` plays of the left subgame above, each with its own payoffs added.

    Copy k adds ``k * big`` to every payoff of every player (as a campaign
    adds what earlier stages paid): the same subgame up to a constant per player.
    """
    specs = [chance("root", {f"c{k}": f"1/{copies}" for k in range(copies)},
                    **{f"c{k}": f"k{k}" for k in range(copies)})]
    base = {"ul": (3, 0, 1, 2), "ur": (0, 1, 0, 0), "dl": (0, 2, 2, 1), "dr": (1, 0, 1, 1)}
    for k in range(copies):
        specs += [
            decision(f"k{k}", "A", infoset=f"a{k}", up=f"k{k}u", down=f"k{k}d"),
            decision(f"k{k}u", "B", infoset=f"b{k}", left=f"k{k}ul", right=f"k{k}ur"),
            decision(f"k{k}d", "B", infoset=f"b{k}", left=f"k{k}dl", right=f"k{k}dr"),
        ]
        specs += [terminal(f"k{k}{leaf}", *(x + k * big for x in pay)) for leaf, pay in base.items()]
    return build_game("Copies", ["A", "B", "C", "D"], specs), {}


@pytest.mark.parametrize("big", [1, 10**12], ids=["small", "beyond-int64-products"])
def test_identical_subgames_are_solved_once_with_the_answer_of_each_alone(big):
    game, values = copies_of_one_subgame(3, big)
    counting = CountingSolve()
    result = spe_subgames_solve(game, values, solve=counting)
    assert counting.calls == [(("A", "B"), "qpe")]
    assert result.details["solver_calls"] == 1
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    numbers = game.numbers(values)
    assert subgame_perfection_regret(game, numbers, eq.probabilities) == 0
    for k in range(3):  # each copy solved as a game of its own
        alone = subtree(game, numbers, game.node(f"k{k}").index)
        (own,) = spe_subgames_solve(alone, {}).equilibria
        assert {s: eq.behavior[s] for s in alone.infosets} == own.behavior
        assert eq.behavior[f"a{k}"] == {"up": Fraction(2, 3), "down": Fraction(1, 3)}


def test_copies_that_differ_are_solved_apart():
    game, values = copies_of_one_subgame(2)
    # The second copy's B payoff after (down, left) changes: another subgame.
    specs_game = build_game("Different", ["A", "B", "C", "D"], [
        chance("root", {"c0": "1/2", "c1": "1/2"}, c0="k0", c1="k1"),
        *[spec for name in ("k0", "k1") for spec in (
            decision(name, "A", infoset=f"a{name}", up=f"{name}u", down=f"{name}d"),
            decision(f"{name}u", "B", infoset=f"b{name}", left=f"{name}ul", right=f"{name}ur"),
            decision(f"{name}d", "B", infoset=f"b{name}", left=f"{name}dl", right=f"{name}dr"),
            terminal(f"{name}ul", 3, 0, 1, 2), terminal(f"{name}ur", 0, 1, 0, 0),
            terminal(f"{name}dl", 0, 2 if name == "k0" else 3, 2, 1), terminal(f"{name}dr", 1, 0, 1, 1),
        )],
    ])
    counting = CountingSolve()
    result = spe_subgames_solve(specs_game, {}, solve=counting)
    assert len(counting.calls) == 2
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    assert eq.behavior["ak0"]["up"] == Fraction(2, 3)
    assert eq.behavior["ak1"]["up"] == Fraction(3, 4)  # B indifferent: 3(1 - p) = p


def test_one_mover_among_four_players_is_a_decision_problem():
    # A alone moves below chance, not seeing it: a decision problem, no Nash method.
    game = build_game("One mover", ["A", "B", "C", "D"], [
        decision("root", "C", play="sky", stop="s0"),
        terminal("s0", 0, 0, 0, 0),
        chance("sky", {"sun": "1/3", "rain": "2/3"}, sun="a_sun", rain="a_rain"),
        decision("a_sun", "A", infoset="a", go="g1", stay="t1"),
        decision("a_rain", "A", infoset="a", go="g2", stay="t2"),
        terminal("g1", 3, 1, 1, 0), terminal("t1", 0, 0, -1, 0),
        terminal("g2", 1, 0, 1, 5), terminal("t2", 1, 0, -1, 0),
    ])
    result = spe_subgames_solve(game, {}, solve=refuse)
    assert result.details["subgame_methods"]["sky"] == "decision problem"
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    assert choices(eq) == {"root": "play", "a": "go"}
    assert eq.values == (Fraction(5, 3), Fraction(1, 3), Fraction(1), Fraction(10, 3))


@pytest.mark.parametrize("make", [four_players_two_movers, copies_of_one_subgame])
def test_float_mode_of_subgames_of_their_movers_agrees_with_exact(make):
    game, values = make()
    (exact,) = spe_subgames_solve(game, values, exact=True).equilibria
    result = spe_subgames_solve(game, values, exact=False)
    (floats,) = result.equilibria
    assert floats.max_regret <= FLOAT_TOL
    assert np.allclose([float(p) for p in exact.probabilities], floats.probabilities, atol=FLOAT_TOL)
    assert result.details["solver_calls"] == (2 if make is four_players_two_movers else 1)


def test_every_copy_of_a_subgame_reports_its_own_ties():
    # Three copies of one decision problem in which A is indifferent (go and
    # stay are both worth 1 in expectation): one solve, three tied places.
    specs = [chance("root", {f"c{k}": "1/3" for k in range(3)}, **{f"c{k}": f"sky{k}" for k in range(3)})]
    for k in range(3):
        specs += [
            chance(f"sky{k}", {"sun": "1/2", "rain": "1/2"}, sun=f"sun{k}", rain=f"rain{k}"),
            decision(f"sun{k}", "A", infoset=f"a{k}", go=f"g{k}s", stay=f"t{k}s"),
            decision(f"rain{k}", "A", infoset=f"a{k}", go=f"g{k}r", stay=f"t{k}r"),
            terminal(f"g{k}s", 2 + k, 0), terminal(f"t{k}s", 1 + k, 0),
            terminal(f"g{k}r", 0 + k, 0), terminal(f"t{k}r", 1 + k, 0),
        ]
    game = build_game("Tied copies", ["A", "B"], specs)
    result = spe_subgames_solve(game, {}, solve=refuse)
    assert result.details["distinct"] == 2  # the copies, and the root
    assert set(result.ties) == {"a0", "a1", "a2"}
    assert any("not unique" in w for w in result.warnings)
    (eq,) = result.equilibria
    assert eq.max_regret == 0
