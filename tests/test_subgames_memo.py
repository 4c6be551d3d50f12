"""Parts kept between exact spe solves, and the games made for parts from a kept template.

A search over parameters solves one game many times, each time at numbers
that differ from the last in one parameter. What is kept on the game between
solves (solved parts, Nash regrets, and the game of each part, whose numbers
are replaced) must never change an answer: each solve gives what a solve of
a fresh copy of the game gives, whatever was solved before and in whatever
order, and a part whose numbers differ in any way is solved again.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest

import policy.solvers.subgames as subgames
from policy.expr import parse
from policy.model import NodeKind, NodeSpec, Outcome, Parameter, build_game
from policy.solvers import solve as registry_solve
from policy.solvers.verify import behavior_regret
from tests.conftest import decision
from tests.test_subgames_kept import same_result

NAMES = ["left_top", "right_top", "q"]


def twin_game():
    """Chance picks one of two bimatrix games of A and B (B does not see A's move in either).

    In the left game one outcome is a lottery (win with probability ``q``), so
    its part holds a chance node. A fee to A at the root (an outcome above
    terminals, as a campaign's earlier stages pay) makes the game's exact
    numbers come as integer arrays, as the campaign's do; ``left_top`` and ``right_top`` are A's
    payoffs at (up, left) in each. Neither game is constant-sum, so each part
    goes to qpe.
    """

    def terminal(name, a, b):
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse(a, NAMES), parse(b, NAMES))))

    def pennies(side, top):
        return [
            decision(f"{side}g", "A", infoset=f"{side}a", up=f"{side}u", down=f"{side}d"),
            decision(f"{side}u", "B", infoset=f"{side}b", left=f"{side}ul", right=f"{side}ur"),
            decision(f"{side}d", "B", infoset=f"{side}b", left=f"{side}dl", right=f"{side}dr"),
            terminal(f"{side}ul", top, "0"),
            terminal(f"{side}ur", "0", "1"),
            terminal(f"{side}dl", "0", "2"),
        ]

    specs = [
        NodeSpec("nature", NodeKind.CHANCE, actions=(("l", "Lg"), ("r", "Rg")),
                 probabilities=(parse("1/3"), parse("2/3")), outcome=Outcome("fee", (parse("1"), parse("0")))),
        *pennies("L", "left_top"),
        *pennies("R", "right_top"),
        NodeSpec("Ldr", NodeKind.CHANCE, actions=(("win", "Lwin"), ("lose", "Llose")),
                 probabilities=(parse("q", NAMES), parse("1 - q", NAMES))),
        terminal("Lwin", "2", "0"),
        terminal("Llose", "0", "1"),
        terminal("Rdr", "1", "0"),
    ]
    parameters = {
        "left_top": Parameter("left_top", "A's payoff at up, left (left game)", Fraction(3), (Fraction(1), Fraction(5))),
        "right_top": Parameter("right_top", "A's payoff at up, left (right game)", Fraction(2), (Fraction(1), Fraction(5))),
        "q": Parameter("q", "the lottery's chance of a win", Fraction(1, 2), (Fraction(0), Fraction(1))),
    }
    return build_game("twins", ["A", "B"], specs, parameters=parameters)


def values(**changed):
    out = {"left_top": Fraction(3), "right_top": Fraction(2), "q": Fraction(1, 2)}
    out.update({k: Fraction(v) for k, v in changed.items()})
    return out


LONG = Fraction(1, 2**61 - 1)
POINTS = [
    values(),
    values(q="1/3"),
    values(left_top=3 + LONG),  # the left game's mixed equilibrium in long rationals
    values(left_top=3 + LONG, q=Fraction(1, 2) + LONG),
    values(right_top=2 - LONG, q="1/3"),
    values(left_top=4, right_top=4),
]


def solve(game, v):
    return registry_solve(game, v, method="spe")


@pytest.fixture
def solved_parts(monkeypatch):
    """The names of the parts :func:`spe_subgames_solve` solves (not finds kept)."""
    names: list[str] = []
    inner = subgames._solve_part

    def counting(game, shape, part, name, *args, **kwargs):
        names.append(name)
        return inner(game, shape, part, name, *args, **kwargs)

    monkeypatch.setattr(subgames, "_solve_part", counting)
    return names


def test_the_game_has_two_nash_parts_one_with_a_lottery():
    game = twin_game()
    assert game.numbers(values()).ratios is not None
    structure = subgames._structure(game)
    assert sorted(game.node_names[r] for r in np.flatnonzero(structure.nash)) == ["Lg", "Rg"]
    (eq,) = solve(game, values()).equilibria
    # Left (no pure equilibrium; the lottery at (down, right) is worth (2q, 1 - q) = (1, 1/2)):
    # B's left-probability l makes A indifferent, 3 l = 1 - l, so l = 1/4; A's up-probability u
    # makes B indifferent, 2 (1 - u) = u + (1 - u) / 2, so u = 3/5.
    assert eq.behavior["Lb"]["left"] == Fraction(1, 4)
    assert eq.behavior["La"]["up"] == Fraction(3, 5)
    # Right: 2 l = 1 - l, l = 1/3; B: 2 (1 - u) = u, u = 2/3.
    assert eq.behavior["Rb"]["left"] == Fraction(1, 3)
    assert eq.behavior["Ra"]["up"] == Fraction(2, 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_answer_is_the_cold_one_whatever_was_solved_before(seed):
    order = list(range(len(POINTS)))
    random.Random(seed).shuffle(order)
    game = twin_game()
    for k in [*order, *order[::-1]]:
        warm = solve(game, POINTS[k])
        cold = solve(twin_game(), POINTS[k])
        same_result(warm, cold)
        for eq in warm.equilibria:
            assert behavior_regret(game, game.numbers(POINTS[k]), eq.probabilities)[0] == 0


def test_a_part_that_differs_in_one_number_is_solved_again(solved_parts):
    game = twin_game()
    solve(game, values(q=Fraction(1, 2) + LONG))
    solved_parts.clear()
    # q sits in the left part only: the right one is found, the left solved again.
    moved = solve(game, values(q=Fraction(1, 2) + LONG + Fraction(1, 2**90)))
    assert "Lg" in solved_parts and "Rg" not in solved_parts
    same_result(moved, solve(twin_game(), values(q=Fraction(1, 2) + LONG + Fraction(1, 2**90))))
    solved_parts.clear()
    solve(game, values(q=Fraction(1, 2) + LONG, right_top=2 + Fraction(1, 2**70)))
    assert "Lg" not in solved_parts and "Rg" in solved_parts


def test_a_long_rational_in_one_part_leaves_the_other_parts_checks_kept(monkeypatch):
    # The left part's equilibrium is in long rationals, the right part's is not:
    # the check of the assembled profile reads both parts' regrets, found when
    # each part's equilibrium was verified, rather than checking them again.
    checks: list[int] = []
    inner = subgames.nash_regret_check
    monkeypatch.setattr(subgames, "nash_regret_check", lambda *a: checks.append(1) or inner(*a))
    game = twin_game()
    result = solve(game, values(left_top=3 + LONG))
    assert not checks
    probabilities = result.equilibria[0].probabilities
    assert max(p.denominator for p in probabilities) >= 2**61 - 1


@pytest.mark.parametrize("k", range(len(POINTS)))
def test_a_part_game_from_the_template_is_the_one_built_from_arrays(k):
    game = twin_game()
    solve(game, POINTS[(k + 1) % len(POINTS)])  # templates made at other numbers
    numbers = game.numbers(POINTS[k])
    parts = subgames._Parts(game, subgames._structure(game), numbers)
    for root in (game.node("Lg").index, game.node("Rg").index):
        shape = parts.shape(root)
        part = parts.numbers_of(root, [])
        assert part.integers is not None
        for players in (None, [0, 1]):
            keep = [0, 1]
            assert (root, tuple(keep)) in game._cache["spe_part_games"]
            made = subgames._part_game(game, shape, part, players)
            built = subgames._built_part_game(game, shape, part, keep, players is not None)
            assert made is not built
            assert list(made.node_names) == list(built.node_names)
            assert list(made.players) == list(built.players)
            assert [s.name for s in made.infosets.values()] == [s.name for s in built.infosets.values()]
            assert list(made.action_label) == list(built.action_label)
            a, b = made.numbers({}), built.numbers({})
            assert (a.leaf_payoff == b.leaf_payoff).all() and (a.edge_prob == b.edge_prob).all()
            if players is None:
                same_result(registry_solve(made, {}, method="qpe"), registry_solve(built, {}, method="qpe"))


def test_long_numbers_past_the_plain_bound_build_the_part_afresh():
    game = twin_game()
    solve(game, values())
    huge = Fraction(3) + Fraction(1, 2**1100)  # more bits than every number check lets through unread
    numbers = game.numbers(values(left_top=huge))
    parts = subgames._Parts(game, subgames._structure(game), numbers)
    root = game.node("Lg").index
    part = parts.numbers_of(root, [])
    assert part.integers is not None and not subgames._plain_numbers(part.integers)
    assert subgames._plain_numbers(parts.numbers_of(game.node("Rg").index, []).integers)
    template = game._cache["spe_part_games"][(root, (0, 1))]
    made = subgames._part_game(game, parts.shape(root), part)
    assert game._cache["spe_part_games"][(root, (0, 1))] is template  # built afresh, not from it
    assert made.outcomes is not template.outcomes
    assert (made.numbers({}).leaf_payoff == part.payoff).all()
    assert part.shift[0] == huge + 1  # the first terminal, (up, left), with the fee


def test_every_order_of_three_points_gives_the_same_answers():
    points = [POINTS[0], POINTS[2], POINTS[4]]
    cold = [solve(twin_game(), p) for p in points]
    for order in itertools.permutations(range(3)):
        game = twin_game()
        for k in order:
            same_result(solve(game, points[k]), cold[k])


def test_a_solver_other_than_the_registry_has_its_answers_checked_in_the_part():
    # Only the registry's methods, which verify what they return, are taken at
    # their word; any other solver's profile is checked in the part. This one
    # claims a pure profile of the pennies-like games (A up, B left) has regret 0.
    from policy.solvers import SolverError
    from policy.solvers.result import Equilibrium, SolveResult

    def claims_zero_regret(game, values, method, exact, all_equilibria=False):
        probs = tuple(Fraction(1) if k % 2 == 0 else Fraction(0) for k in range(game.num_actions))
        eq = Equilibrium(game=game, probabilities=probs, values=(Fraction(0),) * len(game.players),
                         reach=(), max_regret=Fraction(0))
        return SolveResult(game=game, method=method, exact=True, parameters={}, equilibria=(eq,))

    with pytest.raises(SolverError, match="passes verification"):
        subgames.spe_subgames_solve(twin_game(), values(), solve=claims_zero_regret)
