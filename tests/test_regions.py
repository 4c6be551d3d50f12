"""Exact regions: hand-computed boundaries, and agreement with a fine grid of solutions.

The grid reference is independent of policy.analysis.regions: the batch solver
(float, which flags near-ties) at every grid point, and exact backward
induction (``spe_solve``) wherever the batch solver sees a tie.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.analysis.batch import BatchGame
from policy.analysis.regions import RegionsError, regions, regions_text
from policy.gamefile import load_game, loads_game
from policy.leaders import load_leader, resolve
from policy.model import NodeKind
from policy.solvers.backward import spe_solve
from policy.solvers.errors import SolverError
from tests.conftest import SCENARIO_V1, games_with_values

# This module's hand-computed values were derived from the scenario as it stood
# before the review (tests/conftest.py SCENARIO_V1), so it keeps using it.
pytestmark = pytest.mark.usefixtures("scenario_v1")


F = Fraction
DIPLOMACY = SCENARIO_V1 / "diplomacy_1939.toml"
LEADERS = ("stalin", "tukhachevsky")
GRID_1D = 1000
GRID_2D = 40


# ---------------------------------------------------------------------------------
# The grid reference
# ---------------------------------------------------------------------------------
def exact_path(game, values):
    """The equilibrium path of exact backward induction: "infoset=action" on the path."""
    eq = spe_solve(game, values, exact=True).equilibria[0]
    reach = dict(zip(game.terminals.tolist(), eq.reach, strict=True))
    below = [Fraction(0)] * game.num_nodes
    for n in range(game.num_nodes - 1, -1, -1):
        if n in reach:
            below[n] = reach[n]
        else:
            below[n] = sum((below[c] for c in game.children_of(n)), Fraction(0))
    path = []
    for n in np.flatnonzero(game.kind == NodeKind.DECISION).tolist():
        if below[n] > 0:
            s = game.infosets.at(int(game.infoset[n]))
            path.append(f"{s.name}={eq.choice(s.name)}")
    return tuple(path)


def reference_paths(game, base, points):
    """The path at each point (a dict of varied values): batch solver, exact where it sees a tie."""
    names = list(points[0])
    samples = {k: float(v) for k, v in base.items() if k not in names}
    samples.update({n: np.array([float(p[n]) for p in points]) for n in names})
    batch = BatchGame(game).solve(samples)
    rows = batch.path_choices()
    tied = batch.tie.any(axis=1)
    out = []
    for i, point in enumerate(points):
        if tied[i]:
            out.append((exact_path(game, {**base, **point}), True))
            continue
        words = []
        for node, k in zip(batch.decision_nodes.tolist(), rows[i].tolist(), strict=True):
            if k >= 0:
                s = game.infosets.at(int(game.infoset[node]))
                words.append(f"{s.name}={s.actions[k]}")
        out.append((tuple(words), False))
    return out


def check_1d(game, base, name, low, high, points=GRID_1D):
    """Every grid point gets the path that exact backward induction gives there."""
    result = regions(game, base, [(name, low, high)])
    grid = [{name: low + (high - low) * F(k, points - 1)} for k in range(points)]
    boundary_values = {b.point.rational for b in result.boundaries}
    for point, (expected, _) in zip(grid, reference_paths(game, base, grid), strict=True):
        got = result.path_at(point)
        if point[name] in boundary_values and got is None:
            continue  # on a boundary whose own path is unknown
        assert got == expected, (name, point[name], got, expected)
    for b in result.boundaries:
        q = b.point.rational
        if q is not None and b.at_point is not None:
            assert b.at_point == exact_path(game, {**base, name: q}), (name, q)
    return result


def leader_values(game, leader):
    return resolve(game, load_leader(leader))


# ---------------------------------------------------------------------------------
# Hand-computed cases
# ---------------------------------------------------------------------------------
ENTRY = """
[game]
title = "Entry deterrence with a costly war"
players = ["Entrant", "Incumbent"]

[parameters.fight_cost]
description = "What a price war costs each side"
default = 1
range = [0, 5]

[nodes.entry]
player = "Entrant"
actions = {{ stay_out = "out", enter = "response" }}

[nodes.response]
player = "Incumbent"
actions = {{ fight = "war", accommodate = "shared" }}

[nodes.out]
payoffs = {{ Entrant = 0, Incumbent = 2 }}

[nodes.war]
payoffs = {{ Entrant = "-fight_cost", Incumbent = "{war}" }}

[nodes.shared]
payoffs = {{ Entrant = 1, Incumbent = 1 }}
"""

STAY_OUT = ("entry=stay_out",)
ENTER = ("entry=enter", "response=accommodate")


def entry(war: str):
    return loads_game(ENTRY.format(war=war), "entry.toml")


def test_entry_game_linear_cost_boundary_at_one():
    # The incumbent fights when 2 - c > 1, i.e. c < 1, and accommodates when c > 1.
    # Facing a fight the entrant gets -c <= 0 and stays out; facing accommodation
    # it gets 1 > 0 and enters. At c = 1 the incumbent is indifferent, backward
    # induction takes the first listed action (fight), so the entrant stays out:
    # [0, 1] stay out, (1, 5] enter. At c = 0 a fight costs the entrant nothing, so it
    # is indifferent between staying out and entering (and stays out, listed first).
    game = entry("2 - fight_cost")
    result = regions(game, {}, [("fight_cost", 0, 5)])
    assert [r.path for r in result.regions] == [STAY_OUT, ENTER]
    first, second = result.regions
    assert first.low.point.rational == 0 and first.low.closed
    assert first.high.point.rational == 1 and first.high.closed
    assert second.low.point.rational == 1 and not second.low.closed
    zero, b = result.boundaries
    assert (zero.point.rational, zero.kind, zero.at_point) == (F(0), "tie", STAY_OUT)
    assert [(t.node, t.action, t.alternative) for t in zero.ties] == [("entry", "stay_out", "enter")]
    assert (b.point.rational, b.kind, b.at_point) == (F(1), "path", STAY_OUT)
    assert [(t.node, t.action, t.alternative) for t in b.ties] == [("response", "fight", "accommodate")]
    assert result.path_at({"fight_cost": 1}) == STAY_OUT
    assert result.path_at({"fight_cost": F(1000001, 1000000)}) == ENTER
    assert result.exact and result.complete


def test_entry_game_quadratic_cost_boundary_at_sqrt_two():
    # The incumbent fights when 3 - c**2 >= 1, i.e. c <= sqrt(2) on c >= 0 (ties: fight first).
    game = entry("3 - fight_cost**2")
    result = regions(game, {}, [("fight_cost", 0, 5)])
    _, b = result.boundaries  # the first is the entrant's tie at c = 0
    assert sp.simplify(b.point.value - sp.sqrt(2)) == 0
    assert b.point.rational is None and b.point.exact
    assert b.at_point == STAY_OUT  # the tie is seen exactly at the irrational point
    assert [t.node for t in b.ties] == ["response"]
    assert [r.path for r in result.regions] == [STAY_OUT, ENTER]
    assert result.regions[0].high.closed and not result.regions[1].low.closed
    assert result.path_at({"fight_cost": F(141421, 100000)}) == STAY_OUT
    assert result.path_at({"fight_cost": F(141422, 100000)}) == ENTER
    assert "sqrt(2)" in regions_text(result)


def test_entry_game_transcendental_boundary_at_log_three():
    # Fighting is worth 3*exp(-c) to the incumbent: it fights while 3*exp(-c) >= 1, c <= log(3).
    game = entry("3*exp(-fight_cost)")
    result = regions(game, {}, [("fight_cost", 0, 5)])
    _, b = result.boundaries
    assert sp.simplify(b.point.value - sp.log(3)) == 0
    assert result.exact
    assert [r.path for r in result.regions] == [STAY_OUT, ENTER]


def test_min_switch_that_changes_nothing_is_not_a_boundary():
    # max(1/2, 2 - c) > 1 exactly when c < 1; the switch of max at c = 3/2 changes no choice.
    game = entry("max(1/2, 2 - fight_cost)")
    result = regions(game, {}, [("fight_cost", 0, 5)])
    assert [b.point.rational for b in result.boundaries] == [F(0), F(1)]
    assert [r.path for r in result.regions] == [STAY_OUT, ENTER]


def test_tie_over_an_interval_is_reported_and_first_action_taken():
    # min(c, 1) - min(c, 2) is 0 for c <= 1: the incumbent is indifferent there and fights
    # (listed first); above 1 accommodating is strictly better.
    game = entry("1 + min(fight_cost, 1) - min(fight_cost, 2)")
    result = regions(game, {}, [("fight_cost", 0, 3)])
    assert [r.path for r in result.regions] == [STAY_OUT, ENTER]
    ties = result.regions[0].parts[0].ties
    assert [(t.node, t.action, t.alternative) for t in ties] == [("response", "fight", "accommodate")]
    assert not result.regions[1].parts[0].ties
    assert result.regions[0].high.point.rational == 1


def test_two_parameters_hand_computed_line():
    # The incumbent fights when 2a - b >= 1 (tie: fight), so the entrant stays out there
    # and enters where b > 2a - 1.
    text = ENTRY.format(war="2*a - b").replace(
        "[parameters.fight_cost]",
        '[parameters.a]\ndescription = "a"\n[parameters.b]\ndescription = "b"\n[parameters.fight_cost]',
    )
    game = loads_game(text, "entry2.toml")
    result = regions(game, {"fight_cost": F(1)}, [("a", 0, 2), ("b", 0, 2)])
    by_path = {r.path: r for r in result.regions}
    assert set(by_path) == {STAY_OUT, ENTER}
    (part,) = by_path[STAY_OUT].parts
    (ineq,) = part.inequalities
    assert not ineq.strict and ineq.node == "response"
    assert sp.expand(ineq.expr - (2 * sp.Symbol("a") - sp.Symbol("b") - 1)) == 0
    assert ineq.text == "b <= 2*a - 1"
    (other,) = by_path[ENTER].parts[0].inequalities
    assert other.strict and sp.expand(other.expr + ineq.expr) == 0
    assert result.path_at({"a": 1, "b": 1}) == STAY_OUT  # on the line: a tie, fight
    assert result.path_at({"a": 1, "b": F(3, 2)}) == ENTER
    assert result.complete and not result.boundaries


def test_probability_out_of_range_is_an_undefined_region():
    text = """
[game]
title = "lottery"
players = ["P"]
[parameters.q]
description = "chance of the prize"
[nodes.pick]
player = "P"
actions = { safe = "s", gamble = "draw" }
[nodes.draw]
chance = true
actions = { win = "w", lose = "l" }
probabilities = { win = "q", lose = "1 - q" }
[nodes.s]
payoffs = { P = "1/2" }
[nodes.w]
payoffs = { P = 1 }
[nodes.l]
payoffs = { P = 0 }
"""
    game = loads_game(text, "lottery.toml")
    result = regions(game, {}, [("q", F(-1, 2), 1)])
    undefined, safe, gamble = result.regions
    assert undefined.undefined and "probabilities" in undefined.undefined and not undefined.path
    assert undefined.high.point.rational == 0 and not undefined.high.closed
    # The gamble is worth q: safe while q <= 1/2 (safe is listed first), gamble above.
    assert safe.path == ("pick=safe",) and safe.low.closed and safe.high.closed
    assert safe.high.point.rational == F(1, 2)
    assert gamble.path == ("pick=gamble",)
    assert [b.kind for b in result.boundaries] == ["undefined", "path"]
    assert result.path_at({"q": F(-1, 4)}) is None


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ([("nope", 0, 1)], "unknown parameter 'nope'"),
        ([("fight_cost", 1, 1)], "range of fight_cost is empty"),
        ([("fight_cost", 0, 1), ("fight_cost", 0, 2)], "given twice"),
        ([], "one or two"),
    ],
)
def test_bad_requests_are_refused_in_one_line(vary, message):
    with pytest.raises(RegionsError, match=message) as err:
        regions(entry("2 - fight_cost"), {}, vary)
    assert "\n" not in str(err.value)


def test_imperfect_information_is_refused():
    text = """
[game]
title = "pennies"
players = ["A", "B"]
[parameters.stake]
description = "stake"
[nodes.a]
player = "A"
actions = { heads = "bh", tails = "bt" }
[nodes.bh]
player = "B"
infoset = "guess"
actions = { heads = "hh", tails = "ht" }
[nodes.bt]
player = "B"
infoset = "guess"
actions = { heads = "th", tails = "tt" }
[nodes.hh]
payoffs = { A = "stake", B = "-stake" }
[nodes.ht]
payoffs = { A = "-stake", B = "stake" }
[nodes.th]
payoffs = { A = "-stake", B = "stake" }
[nodes.tt]
payoffs = { A = "stake", B = "-stake" }
"""
    with pytest.raises(SolverError, match="perfect information"):
        regions(loads_game(text, "pennies.toml"), {}, [("stake", 0, 1)])


def test_missing_fixed_value_is_refused():
    game = load_game(DIPLOMACY)
    with pytest.raises(RegionsError, match="no value for parameter"):
        regions(game, {"readiness": F(1, 2)}, [("loss_weight", 1, 2)])


# ---------------------------------------------------------------------------------
# The bundled game: one parameter at a time, each over its declared range
# ---------------------------------------------------------------------------------
def test_stalin_readiness_boundaries_hand_computed():
    # Stalin's USSR weighs a pact at buffer_gain - ideology_cost = 3/10 - 1/10 = 1/5 and a
    # two-front war at V = (1 + r)/2 - (3/2)(1 - r)/2 = 5r/4 - 1/4. Germany attacks a
    # turtling USSR while (1 - r)/2 - 3/10 >= 0, i.e. r <= 2/5 (attack listed first).
    # So: pact while 1/5 >= 5r/4 - 1/4 (r <= 9/25; pact listed before turtle), turtle on
    # (9/25, 2/5], and the pact again above 2/5, where Germany would not attack.
    game = load_game(DIPLOMACY)
    result = regions(game, leader_values(game, "stalin"), [("readiness", F(1, 10), F(9, 10))])
    assert [b.point.rational for b in result.boundaries] == [F(9, 25), F(2, 5)]
    assert [r.path[0] for r in result.regions] == ["start=deal_germany", "start=turtle", "start=deal_germany"]
    text = regions_text(result)
    assert "9/25 < readiness <= 2/5" in text


@pytest.mark.parametrize("leader", LEADERS)
def test_bundled_game_one_parameter_agrees_with_a_fine_grid(leader):
    game = load_game(DIPLOMACY)
    base = leader_values(game, leader)
    changes = 0
    for name, parameter in game.parameters.items():
        low, high = parameter.range
        result = check_1d(game, base, name, low, high)
        assert result.exact and result.complete
        changes += len(result.boundaries)
    assert changes >= 3  # the grid check is not vacuous


# ---------------------------------------------------------------------------------
# Random games with symbolic payoffs
# ---------------------------------------------------------------------------------
RANGES = {"a": (F(-4), F(4)), "b": (F(-4), F(4)), "q": (F(0), F(1))}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    games_with_values(symbolic=True, max_nodes=30, interior_payoffs=True),
    st.sampled_from(sorted(RANGES)),
)
def test_random_games_one_parameter_agree_with_a_fine_grid(case, name):
    game, base = case
    low, high = RANGES[name]
    result = check_1d(game, base, name, low, high)
    assert result.exact and result.complete


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    games_with_values(symbolic=True, max_nodes=20),
    st.sampled_from([("a", "b"), ("a", "q"), ("b", "q")]),
)
def test_random_games_two_parameters_agree_with_a_grid(case, pair):
    game, base = case
    x, y = pair
    (xlo, xhi), (ylo, yhi) = RANGES[x], RANGES[y]
    result = regions(game, base, [(x, xlo, xhi), (y, ylo, yhi)])
    assert result.complete and not result.warnings, result.warnings
    n = 25
    grid = [
        {x: xlo + (xhi - xlo) * F(i, n - 1), y: ylo + (yhi - ylo) * F(j, n - 1)}
        for i in range(n)
        for j in range(n)
    ]
    for point, (expected, tie) in zip(grid, reference_paths(game, base, grid), strict=True):
        if not tie:
            assert result.path_at(point) == expected, point


# ---------------------------------------------------------------------------------
# Two parameters
# ---------------------------------------------------------------------------------
PAIRS = [
    ("stalin", "readiness", "loss_weight"),
    ("tukhachevsky", "p_west_accepts", "ideology_cost"),
    ("tukhachevsky", "readiness", "p_west_accepts"),
]


@pytest.mark.parametrize(("leader", "x", "y"), PAIRS)
def test_bundled_game_two_parameters_agree_with_a_grid(leader, x, y):
    game = load_game(DIPLOMACY)
    base = leader_values(game, leader)
    (xlo, xhi), (ylo, yhi) = game.parameters[x].range, game.parameters[y].range
    result = regions(game, base, [(x, xlo, xhi), (y, ylo, yhi)])
    assert result.complete and not result.warnings
    assert len(result.regions) >= 3
    grid = [
        {x: xlo + (xhi - xlo) * F(i, GRID_2D - 1), y: ylo + (yhi - ylo) * F(j, GRID_2D - 1)}
        for i in range(GRID_2D)
        for j in range(GRID_2D)
    ]
    seen = set()
    for point, (expected, tie) in zip(grid, reference_paths(game, base, grid), strict=True):
        if tie:
            continue  # on a boundary curve
        assert result.path_at(point) == expected, point
        seen.add(expected)
    assert seen == {r.path for r in result.regions}


def test_two_parameter_inequalities_hand_computed():
    # Stalin's pact is worth 3/10 - ideology_cost against the two-front war's 5r/4 - 1/4 = 3/16
    # at r = 7/20: the pact holds while ideology_cost <= 3/10 - 3/16 = 9/80, whatever the West.
    game = load_game(DIPLOMACY)
    box = [("p_west_accepts", F(1, 20), F(1, 2)), ("ideology_cost", F(0), F(4, 5))]
    result = regions(game, leader_values(game, "stalin"), box)
    texts = {r.path[0]: r.text for r in result.regions}
    assert texts == {"start=deal_germany": "ideology_cost <= 9/80", "start=turtle": "ideology_cost > 9/80"}


# ---------------------------------------------------------------------------------
# Budgets (the hardening issue: sympy ran for minutes on high-degree expressions)
# ---------------------------------------------------------------------------------
def _war(expression: str):
    return entry(expression.replace("x", "fight_cost"))


@pytest.mark.parametrize(
    ("expression", "war"),
    [
        # Past 420 s inside sympy's minimal_polynomial before.
        ("x**64 - 3*x**31 + x", lambda x: x**64 - 3 * x**31 + x),
        # Past 120 s before (a pole at 2**(1/63), degree 63).
        ("(x**64+1)/(x**63-2)-1", lambda x: (x**64 + 1) / (x**63 - 2) - 1),
        ("x**(63/64)-x**(1/64)", lambda x: x ** (63 / 64) - x ** (1 / 64)),
    ],
    ids=["degree-64", "degree-64-over-63", "64th-roots"],
)
def test_high_degree_falls_back_to_floats_and_says_so(expression, war, monkeypatch):
    # What once ran for minutes is sympy's exact algebra (minimal polynomials, root
    # isolation, solveset) on numbers of degree 63 and 64. Rather than a clock: no call
    # into it made here may get a degree as high as those (none is run if one does).
    from policy.analysis import regions as module

    hard = 63
    degrees: list[int] = []

    def guarded(exact, degree):
        def call(*args, **kwargs):
            degrees.append(degree(*args))
            if degrees[-1] >= hard:
                raise AssertionError(f"exact algebra on degree {degrees[-1]}")
            return exact(*args, **kwargs)

        return call

    monkeypatch.setattr(sp, "minimal_polynomial", guarded(
        sp.minimal_polynomial, lambda value, *_: module._degree_bound(value)))
    monkeypatch.setattr(sp, "solveset", guarded(
        sp.solveset, lambda expr, gen, *_: module._expression_degree(expr, gen)))
    monkeypatch.setattr(sp.Poly, "real_roots", guarded(
        sp.Poly.real_roots, lambda poly, *_: int(poly.degree())))
    result = regions(_war(expression), {}, [("fight_cost", 0, 5)])
    assert all(d < hard for d in degrees), degrees  # solveset's errors are caught inside
    assert not result.exact and not result.complete
    assert any("not exact" in w and "located numerically" in w for w in result.warnings)
    text = regions_text(result)
    assert "~" in text and "not exact" in text
    # The incumbent is indifferent where the war pays 1 (accommodation pays 1):
    # every boundary that is not a pole is such a point, to the float's accuracy.
    assert result.boundaries
    for b in result.boundaries:
        x = float(b.point)
        assert not b.point.exact
        value = war(x)
        assert abs(value - 1) < 1e-6 * max(1.0, abs(x) ** 64) or abs(value) > 1e6


def test_degree_24_root_is_exact_and_fast():
    # x**24 - 3*x**11 + x = 1 at an algebraic number of degree 24: the sign of the
    # gap there took minimal_polynomial over a minute; reduced modulo the root's
    # polynomial it is exactly 0 (a tie), at once.
    result = regions(_war("x**24 - 3*x**11 + x"), {}, [("fight_cost", 0, 5)])
    assert result.exact
    (boundary,) = result.boundaries
    assert "CRootOf(x**24 - 3*x**11 + x - 1, 1)" in boundary.point.text
    assert boundary.ties


def test_time_budget_is_a_regions_error():
    with pytest.raises(RegionsError, match=r"not finished within 1e-09 s .*--max-seconds"):
        regions(_war("x**5 - x"), {}, [("fight_cost", 0, 5)], max_seconds=1e-9)


def test_high_degree_with_low_degree_factors_stays_exact():
    # Degree 30, but a product of linear factors: the budget is on irreducible factors.
    roots = [F(k, 7) for k in range(1, 31)]
    war = "*".join(f"(x-{r})" for r in roots) + "+1"
    result = regions(_war(war), {}, [("fight_cost", 0, 5)])
    assert result.exact
    assert set(roots) <= {b.point.rational for b in result.boundaries}
