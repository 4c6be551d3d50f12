"""What spe through subgames keeps on a game between exact solves, and its check in integers.

A search that moves one parameter at a time (the distance to a flip) solves
one game many times. Parts (reduced subgames) already solved, and the Nash
regrets of reduced subgames under a behaviour, are kept on the game, keyed by
the exact numbers of the part: a solve that finds them gives the same answer
as a solve that does not, and a part whose numbers changed is solved again.
The check of the assembled profile runs on integer numerators and
denominators when the game's numbers come as integers; it must agree with the
check in ``Fraction`` objects on every profile, subgame-perfect or not.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policy.solvers.subgames as subgames
from policy import rational
from policy.expr import parse
from policy.model import ExactArrays, NodeKind, NodeSpec, Numbers, Outcome, Parameter, build_game
from policy.solvers import solve as registry_solve
from policy.solvers.verify import VerificationError, verified_equilibrium
from tests.conftest import decision, profile_vector
from tests.test_subgames import games_with_infosets, tiny_solve

NAMES = ["outside", "pennies", "toll"]


def staged_game():
    """A outside option (``outside``), then a pennies-like game of A and B.

    B sees nothing of A's move, so the pennies start the one Nash subgame. An
    outcome at the node where they start (``toll``, to A) is added to every
    payoff below it, as a campaign adds what earlier stages paid; it changes
    the part only by a constant per player. ``pennies`` is A's payoff at
    (up, left): it changes the part itself.
    """

    def terminal(name, a, b):
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse(a, NAMES), parse(b, NAMES))))

    specs = [
        decision("root", "A", play="g", stop="out"),
        terminal("out", "outside", "0"),
        NodeSpec("g", NodeKind.DECISION, player="A", infoset="a", actions=(("up", "gu"), ("down", "gd")),
                 outcome=Outcome("toll", (parse("toll", NAMES), parse("0", NAMES)))),
        decision("gu", "B", infoset="b", left="ul", right="ur"),
        decision("gd", "B", infoset="b", left="dl", right="dr"),
        terminal("ul", "pennies", "0"), terminal("ur", "0", "1"),
        terminal("dl", "0", "2"), terminal("dr", "1", "0"),
    ]
    parameters = {
        "outside": Parameter("outside", "A's outside option", Fraction(1, 2), (Fraction(-1), Fraction(1))),
        "pennies": Parameter("pennies", "A's payoff at up, left", Fraction(3), (Fraction(1), Fraction(5))),
        "toll": Parameter("toll", "paid to A where the pennies start", Fraction(0), (Fraction(-1), Fraction(1))),
    }
    return build_game("staged", ["A", "B"], specs, parameters=parameters)


def solve(game, v):
    """The registry's spe, as the distance-to-a-flip search calls it."""
    return registry_solve(game, v, method="spe")


def values(**changed):
    out = {"outside": Fraction(1, 2), "pennies": Fraction(3), "toll": Fraction(0)}
    out.update({k: Fraction(v) for k, v in changed.items()})
    return out


@pytest.fixture
def solved_parts(monkeypatch):
    """Every part :func:`spe_subgames_solve` solves (not finds kept), by the root's name."""
    names: list[str] = []
    inner = subgames._solve_part

    def counting(game, shape, part, name, *args, **kwargs):
        names.append(name)
        return inner(game, shape, part, name, *args, **kwargs)

    monkeypatch.setattr(subgames, "_solve_part", counting)
    return names


def same_result(a, b):
    assert a.equilibria == b.equilibria
    for x, y in zip(a.equilibria, b.equilibria, strict=True):
        assert (x.values, x.reach, x.max_regret) == (y.values, y.reach, y.max_regret)
    assert a.warnings == b.warnings and a.ties == b.ties and a.details == b.details


def test_the_game_has_integer_numbers_and_one_nash_subgame():
    game = staged_game()
    assert game.numbers(values()).ratios is not None  # the toll is an outcome above terminals
    structure = subgames._structure(game)
    assert [game.node_names[r] for r in np.flatnonzero(structure.nash)] == ["g"]


def test_a_part_whose_numbers_did_not_change_is_kept_and_the_answer_is_the_same(solved_parts):
    game = staged_game()
    solve(game, values())
    assert "g" in solved_parts
    solved_parts.clear()
    # The toll shifts every payoff of the part by the same amount for A, and the
    # outside option is not in the part: its numbers are the same as before.
    warm = solve(game, values(outside="1/4", toll="1/3"))
    assert "g" not in solved_parts
    cold = solve(staged_game(), values(outside="1/4", toll="1/3"))
    same_result(warm, cold)
    (eq,) = warm.equilibria
    # B mixes so that A is indifferent: 3q = 1 - q; A mixes so that B is: 2(1 - p) = p.
    assert eq.behavior["b"]["left"] == Fraction(1, 4) and eq.behavior["a"]["up"] == Fraction(2, 3)
    assert eq.values[0] == Fraction(3, 4) + Fraction(1, 3)  # A's value 3/4 in the pennies, plus the toll


def test_a_part_whose_numbers_changed_is_solved_again(solved_parts):
    game = staged_game()
    solve(game, values())
    solved_parts.clear()
    warm = solve(game, values(pennies=1))
    assert "g" in solved_parts
    cold = solve(staged_game(), values(pennies=1))
    same_result(warm, cold)
    (eq,) = warm.equilibria
    assert eq.behavior["b"]["left"] == Fraction(1, 2)  # q = 1 - q


def test_the_part_key_changes_with_a_number_of_the_part_and_not_with_a_shift():
    game = staged_game()
    root = game.node("g").index

    def key(v):
        numbers = game.numbers(v)
        parts = subgames._Parts(game, subgames._structure(game), numbers)
        shape = parts.shape(root)
        return shape.key, parts.numbers_of(root, []).key

    assert key(values()) == key(values(toll="1/3", outside=-1))
    assert key(values()) != key(values(pennies=2))


def test_kept_nash_regrets_give_the_same_check(monkeypatch):
    game = staged_game()
    solve(game, values())
    assert game._cache["spe_nash_regrets"]
    checks = []
    inner = subgames.nash_regret_check
    monkeypatch.setattr(subgames, "nash_regret_check", lambda *a: checks.append(1) or inner(*a))
    warm = solve(game, values(outside=0))
    assert not checks  # the pennies under the same behaviour: checked before
    same_result(warm, solve(staged_game(), values(outside=0)))


def test_the_registry_solver_keeps_parts_and_another_solver_does_not(solved_parts):
    game = staged_game()
    subgames.spe_subgames_solve(game, values(), solve=tiny_solve)
    subgames.spe_subgames_solve(game, values(), solve=tiny_solve)
    assert solved_parts == ["g", "root", "g", "root"]


# ---------------------------------------------------------------------------------
# The check in integers against the check in Fraction objects
# ---------------------------------------------------------------------------------
def as_integers(numbers: Numbers) -> Numbers:
    """The same exact numbers held as integer arrays (as a campaign's come)."""
    n_players = numbers.leaf_payoff.shape[1]
    num, den = rational.split(numbers.leaf_payoff.ravel().tolist())
    leaf_num, leaf_den = rational.common_rows(num.reshape(-1, n_players), den.reshape(-1, n_players))
    pnum, pden = rational.split(numbers.edge_prob.tolist())
    return Numbers(True, ratios=ExactArrays(leaf_num, leaf_den, pnum, pden))


def both_checks(game, numbers, probs):
    """(integer check's Equilibrium or None, Fraction check's Equilibrium or its VerificationError)."""
    structure = subgames._structure(game)
    integers = as_integers(numbers)
    fast = subgames._verified_integers(game, integers, probs, structure, subgames._Parts(game, structure, integers))
    check = functools.partial(subgames._perfection_regret, structure=structure,
                              parts=subgames._Parts(game, structure, numbers))
    try:
        slow = verified_equilibrium(game, numbers, probs, check=check)
    except VerificationError as err:
        return fast, err
    return fast, slow


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(games_with_infosets(), st.data())
def test_the_integer_check_passes_exactly_the_profiles_the_fraction_check_passes(game, data):
    numbers = game.numbers({})
    kind = data.draw(st.sampled_from(["spe", "changed", "random"]))
    if kind == "random":
        probs = []
        for s in game.infosets.values():
            weights = [data.draw(st.integers(0, 3)) for _ in s.actions]
            weights[0] += not any(weights)
            probs.extend(Fraction(w, sum(weights)) for w in weights)
    else:
        probs = list(subgames.spe_subgames_solve(game, {}, solve=tiny_solve).equilibria[0].probabilities)
        if kind == "changed":
            s = game.infosets.at(data.draw(st.integers(0, len(game.infosets) - 1)))
            pick = data.draw(st.integers(0, len(s.actions) - 1))
            probs[s.offset : s.offset + len(s.actions)] = [Fraction(int(k == pick)) for k in range(len(s.actions))]
    fast, slow = both_checks(game, numbers, probs)
    if isinstance(slow, VerificationError):
        assert fast is None
        return
    assert fast is not None
    assert fast == slow
    assert (fast.values, fast.reach, fast.max_regret) == (slow.values, slow.reach, slow.max_regret)


def test_a_profile_that_fails_is_reported_as_the_fraction_check_reports_it():
    game = staged_game()
    numbers = game.numbers(values())
    # A stops although playing on is worth 3 to A under this profile (up, left), more
    # than the outside 1/2: a gain of 5/2 at the root (B's regret of 1 at g is smaller).
    probs = profile_vector(game, {"root": "stop", "a": "up", "b": "left"})
    fast, slow = both_checks(game, numbers, probs)
    assert fast is None and isinstance(slow, VerificationError)
    structure = subgames._structure(game)
    parts = subgames._Parts(game, structure, numbers)
    log = subgames._Log()
    with pytest.raises(subgames.SolverError, match="regret 5/2 in the subgame at 'root'"):
        subgames._verified(game, numbers, [probs], structure, parts, "auto", False, log)


def test_numbers_too_large_for_int64_are_kept_and_told_apart(solved_parts):
    # A payoff at a long rational (as the flip search's confirmations put a
    # parameter): the part's key holds the numbers themselves, not int64 arrays.
    game = staged_game()
    long = Fraction(3) + Fraction(1, 2**40 + 15)
    parts = subgames._Parts(game, subgames._structure(game), game.numbers(values(pennies=long)))
    assert parts.ratios is not None  # kept for the parts whose own numbers are short
    g = game.nodes["g"].index
    assert isinstance(parts.numbers_of(g, []).key, subgames._Exact)
    # The root's part (the outside option, and g cut off) does not hold the long number:
    # int64, with the key it has when every number of the game is short, so it is found again.
    short = subgames._Parts(game, subgames._structure(game), game.numbers(values()))
    cut = [[Fraction(0), Fraction(0)]]
    assert isinstance(parts.numbers_of(0, cut).key, bytes)
    assert parts.numbers_of(0, cut).key == short.numbers_of(0, cut).key
    solve(game, values(pennies=long))
    solved_parts.clear()
    warm = solve(game, values(pennies=long, outside="1/4"))
    assert "g" not in solved_parts
    same_result(warm, solve(staged_game(), values(pennies=long, outside="1/4")))
    nearby = long + Fraction(1, 2**80)
    warm = solve(game, values(pennies=nearby))
    assert "g" in solved_parts
    same_result(warm, solve(staged_game(), values(pennies=nearby)))


def test_an_exact_key_is_equal_exactly_when_its_numbers_are():
    a = subgames._Exact((Fraction(1, 3), Fraction(2**70, 3)))
    assert a == subgames._Exact((Fraction(2, 6), Fraction(2**70, 3))) and hash(a) == hash(subgames._Exact(a.items))
    assert a != subgames._Exact((Fraction(1, 3), Fraction(2**70 + 1, 3)))
    assert a != (Fraction(1, 3), Fraction(2**70, 3))  # not the bare tuple
    assert {a: 1}.get(subgames._Exact((Fraction(1, 3), Fraction(2**70, 3)))) == 1
