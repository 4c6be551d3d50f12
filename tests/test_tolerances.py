"""Float tolerances are relative to the game's payoff scale (policy/tolerances.py).

The cases come from an adversarial run: with tolerances of 1e-9 times
max(1, |payoff|), a game whose payoffs are all about 1e-12 was all ties in float
mode, and float solvers printed non-equilibria as verified. Every float answer
here must be the exact answer, whatever power of ten the payoffs are scaled by.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import tolerances
from policy.analysis.sweep import run_sweep
from policy.gamefile import loads_game
from policy.model import Game, NodeKind, game_from_arrays
from policy.solvers import solve
from policy.solvers.verify import regret_tolerance, verified_equilibrium
from tests.conftest import NEAR_TIE, doc_example, games_with_values, invoke, reference_values
from tests.games import MATCHING_PENNIES, table_game

HOSTILE = Path(__file__).parent / "data" / "hostile"
ENTRY_TINY = str(HOSTILE / "entry_tiny_payoffs.toml")
PENNIES_TINY = str(HOSTILE / "pennies_tiny_payoffs.efg")


def solve_json(*args: str) -> dict:
    code, out, err = invoke("solve", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------------------
# The definitions
# ---------------------------------------------------------------------------------
def test_scale_is_the_largest_absolute_payoff_and_zero_without_payoffs():
    assert tolerances.payoff_scale([[1e-12, -3e-12], [2e-12, 0.0]]) == 3e-12
    assert tolerances.payoff_scale(np.array([[Fraction(-7, 2)]], dtype=object)) == 3.5
    assert tolerances.payoff_scale(np.zeros((0, 2))) == 0.0
    assert tolerances.payoff_scale(np.zeros((3, 2))) == 0.0
    assert tolerances.payoff_scale(np.array([Fraction(10**400), Fraction(1)], dtype=object)) == np.inf
    assert tolerances.payoff_unit(np.inf) == 1.0


@pytest.mark.parametrize("scale", [1e-300, 1e-12, 1.0, 3.0, 1e12, 1e300])
def test_tolerances_are_relative_to_the_scale(scale):
    assert tolerances.tolerance(1e-9, scale) == pytest.approx(1e-9 * scale)


def test_tolerances_never_go_below_float_resolution():
    # At scale 0 (every payoff 0) and among subnormals the relative tolerance
    # would be 0 or below one spacing; it stays at a few spacings.
    assert tolerances.tolerance(1e-9, 0.0) == tolerances.RESOLUTION_ULPS * np.spacing(0.0) > 0
    tiny = 1e-320
    assert tolerances.tolerance(1e-9, tiny) == tolerances.RESOLUTION_ULPS * np.spacing(tiny)
    per_sample = tolerances.tolerance(1e-9, np.array([0.0, 1.0, 1e-12]))
    assert per_sample.shape == (3,) and per_sample[1] == 1e-9


@pytest.mark.parametrize(("scale", "unit"), [(0.0, 1.0), (1.0, 1.0), (3.0, 4.0), (0.7, 0.5), (1e-12, 2.0**-40)])
def test_payoff_unit_is_the_nearest_power_of_two(scale, unit):
    assert tolerances.payoff_unit(scale) == unit


def test_a_game_whose_payoffs_are_all_zero_accepts_every_profile():
    game = table_game(([[0, 0], [0, 0]], [[0, 0], [0, 0]]))
    numbers = game.numbers({}, exact=False)
    assert regret_tolerance(0.0) > 0  # no division by the scale 0
    for probs in ([1.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.25, 0.75]):
        assert verified_equilibrium(game, numbers, probs).max_regret == 0
    result = solve(game, {}, method="enumpure", exact=False)
    assert len(result.equilibria) == 4


# ---------------------------------------------------------------------------------
# The adversarial cases, through the command line
# ---------------------------------------------------------------------------------
def test_entry_game_with_tiny_payoffs_float_gives_the_exact_path():
    # Selten's entry game, payoffs in units of 1e-12. The old tolerance made
    # every payoff a tie: float printed (enter, fight), "max regret 2e-12" and
    # an indifference warning; exact says (enter, accommodate).
    exact = solve_json(ENTRY_TINY)
    flt = solve_json(ENTRY_TINY, "--float")
    (e_eq,), (f_eq,) = exact["equilibria"], flt["equilibria"]
    assert e_eq["behavior"] == {"entry": {"enter": "1", "stay_out": "0"},
                                "response": {"fight": "0", "accommodate": "1"}}
    assert f_eq["behavior"] == {"entry": {"enter": 1.0, "stay_out": 0.0},
                                "response": {"fight": 0.0, "accommodate": 1.0}}
    assert f_eq["max_regret"] == 0
    code, out, _ = invoke("solve", ENTRY_TINY, "--float")
    assert code == 0 and "indifferent" not in out and "accommodate" in out


def test_matching_pennies_with_tiny_payoffs_has_no_pure_equilibrium_in_floats():
    # The old tolerance listed all four pure profiles as equilibria.
    assert solve_json(PENNIES_TINY, "--method", "enumpure", "--float")["equilibria"] == []
    assert solve_json(PENNIES_TINY, "--method", "enumpure")["equilibria"] == []


@pytest.mark.parametrize("method", ["lcp", "lp", "enummixed", "logit"])
def test_matching_pennies_with_tiny_payoffs_mixes_half_half_in_floats(method):
    # lcp and lp returned pure profiles: their shift and HiGHS's tolerances are
    # absolute, so payoffs of 1e-12 were noise to them.
    (eq,) = solve_json(PENNIES_TINY, "--method", method, "--float")["equilibria"]
    for probs in eq["behavior"].values():
        assert probs == pytest.approx({"H": 0.5, "T": 0.5}, abs=1e-9)
    assert eq["max_regret"] <= 1e-21


@pytest.mark.parametrize("power", [-12, 12, 100])
@pytest.mark.parametrize("method", ["enumpure", "lcp", "lp", "enummixed", "logit"])
def test_scaled_matching_pennies_solve_like_the_original(method, power):
    # The other direction too: large payoffs must not be refused by a
    # tolerance that is too tight for them.
    factor = Fraction(10) ** power
    game = table_game([[[v * factor for v in row] for row in t] for t in MATCHING_PENNIES])
    result = solve(game, {}, method=method, exact=False)
    if method == "enumpure":
        assert result.equilibria == ()
        return
    (eq,) = result.equilibria
    assert eq.probabilities == pytest.approx([0.5] * 4, abs=1e-9)
    assert 0 <= eq.max_regret <= 1e-9 * float(factor)


# ---------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------
def entry_with_threshold(unit: str) -> Game:
    """The entry game with the incumbent fighting when ``fight_cost`` < 1; payoffs times ``unit``."""
    text = doc_example()
    text = text.replace("Entrant = 0, Incumbent = 2", f'Entrant = 0, Incumbent = "2*{unit}"')
    text = text.replace('Entrant = "-fight_cost", Incumbent = "-fight_cost"',
                        f'Entrant = "-{unit}", Incumbent = "(1 - fight_cost)*{unit}"')
    text = text.replace("Entrant = 1, Incumbent = 1", f'Entrant = "{unit}", Incumbent = "0*{unit}"')
    return loads_game(text, "entry.toml", known_claims=[])


@pytest.mark.parametrize("unit", ["10**-12", "10**12"])
def test_a_sweep_of_a_scaled_game_takes_the_paths_of_the_original(unit):
    samples = {"fight_cost": np.linspace(0.0, 2.0, 40)}
    plain = run_sweep(entry_with_threshold("1"), samples)
    scaled = run_sweep(entry_with_threshold(unit), samples)
    assert dict(plain.path_shares()) == {"entry=stay_out": 0.5, "entry=enter, response=accommodate": 0.5}
    assert scaled.path_shares() == plain.path_shares()
    assert not scaled.tie.any()


def test_the_sweep_command_on_tiny_payoffs_reports_the_exact_path():
    # The old tolerance reported 100% of (enter, fight), a path no sample takes.
    code, out, _ = invoke("sweep", ENTRY_TINY, "--vary", "fight_cost=0:5:11")
    assert code == 0
    assert "100.0%   entry=enter, response=accommodate" in out
    assert "response=fight" not in out


def test_a_sweep_solved_sample_by_sample_is_scale_free_too():
    samples = {"fight_cost": np.linspace(0.0, 2.0, 8)}
    plain = run_sweep(entry_with_threshold("1"), samples, method="lcp", workers=1)
    scaled = run_sweep(entry_with_threshold("10**-12"), samples, method="lcp", workers=1)
    assert scaled.path_shares() == plain.path_shares()


# ---------------------------------------------------------------------------------
# A property: scaling every payoff by 10**k changes no float equilibrium path
# ---------------------------------------------------------------------------------
def scaled(game: Game, values: dict, factor: Fraction) -> Game:
    """The same tree with every (leaf) payoff multiplied by ``factor``, exactly."""
    numbers = game.numbers(values, exact=True)
    chance = {
        int(n): [numbers.edge_prob[c] for c in game.children_of(int(n))]
        for n in np.flatnonzero(game.kind == NodeKind.CHANCE).tolist()
    }
    return game_from_arrays(
        "scaled",
        list(game.players),
        game.num_children,
        game.kind,
        game.player,
        [[p * factor for p in row] for row in numbers.leaf_payoff.tolist()],
        probabilities=chance,
        node_names=list(game.node_names),
    )


def near_tie(game: Game, values: dict, probabilities) -> bool:
    """Whether a mover has two actions worth different but nearly equal amounts (exactly)."""
    numbers = game.numbers(values, exact=True)
    value = reference_values(game, numbers, probabilities)
    for i in np.flatnonzero(game.kind == NodeKind.DECISION).tolist():
        own = sorted(value[c][int(game.player[i])] for c in game.children_of(i))
        if any(0 < b - a < NEAR_TIE for a, b in zip(own, own[1:], strict=False)):
            return True
    return False


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(interior_payoffs=True), st.integers(-12, 12))
def test_scaling_payoffs_by_a_power_of_ten_keeps_float_paths_exact(game_values, power):
    game, values = game_values
    exact = solve(game, values, method="spe").equilibria[0]
    big_or_small = scaled(game, values, Fraction(10) ** power)
    result = solve(big_or_small, {}, method="spe", exact=False)
    (flt,) = result.equilibria
    if near_tie(game, values, exact.probabilities):
        return  # floats may then legitimately choose otherwise
    assert list(flt.probabilities) == [float(p) for p in exact.probabilities]
    assert flt.reach == pytest.approx([float(r) for r in exact.reach], abs=1e-12)
    assert flt.max_regret <= 1e-9 * float(Fraction(10) ** power) * 12
