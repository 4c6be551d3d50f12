"""Float tolerances are relative, per player and per comparison (policy/tolerances.py).

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
from policy.solvers.errors import SolverError
from policy.solvers.verify import (
    VerificationError,
    regret_tolerance,
    subgame_check,
    verified_equilibrium,
)
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


@settings(max_examples=300, deadline=None)
@given(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-12, 1e-9, 1e-6, 0.5]),
)
def test_one_scale_gets_the_same_tolerance_as_in_an_array(scale, relative):
    # A single float takes a path in Python (no numpy calls); an array of one
    # takes numpy's np.maximum and np.spacing. The two must agree to the bit.
    with np.errstate(all="ignore"):  # 0 * inf, and the spacing of the largest floats
        alone = tolerances.tolerance(relative, scale)
        in_array = float(tolerances.tolerance(relative, np.array([scale]))[0])
        as_numpy = tolerances.tolerance(relative, np.float64(scale))
    assert type(alone) is float
    assert alone == in_array or (np.isnan(alone) and np.isnan(in_array))
    assert as_numpy == alone or np.isnan(alone)


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


# ---------------------------------------------------------------------------------
# Players, and payoffs, of different sizes: tolerances per player and per comparison
# ---------------------------------------------------------------------------------
ENTRY_MIXED = str(HOSTILE / "entry_mixed_scales.toml")


def entry_game(entrant: list[str], incumbent: list[str]) -> Game:
    """Selten's entry game with the given payoffs at (out, war, shared), as expressions."""
    text = f"""
[game]
title = "Entry"
players = ["Entrant", "Incumbent"]

[nodes.entry]
player = "Entrant"
actions = {{ enter = "response", stay_out = "out" }}

[nodes.response]
player = "Incumbent"
actions = {{ fight = "war", accommodate = "shared" }}

[nodes.out]
outcome = "out"
payoffs = {{ Entrant = "{entrant[0]}", Incumbent = "{incumbent[0]}" }}

[nodes.war]
outcome = "war"
payoffs = {{ Entrant = "{entrant[1]}", Incumbent = "{incumbent[1]}" }}

[nodes.shared]
outcome = "shared"
payoffs = {{ Entrant = "{entrant[2]}", Incumbent = "{incumbent[2]}" }}
"""
    return loads_game(text, "entry.toml", known_claims=[])


ZERO_SUM_TWO_SIZES = """
[game]
title = "Zero-sum, payoffs of two sizes"
players = ["Row", "Col"]

[nodes.root]
player = "Row"
actions = { big = "ruin", small = "s" }

[nodes.s]
player = "Row"
infoset = "row_small"
actions = { up = "su", down = "sd" }

[nodes.su]
player = "Col"
infoset = "col_small"
actions = { left = "sul", right = "sur" }

[nodes.sd]
player = "Col"
infoset = "col_small"
actions = { left = "sdl", right = "sdr" }

[nodes.ruin]
outcome = "ruin"
payoffs = { Row = "-10**12", Col = "10**12" }

[nodes.sul]
outcome = "up, left"
payoffs = { Row = "3/10**12", Col = "-3/10**12" }

[nodes.sur]
outcome = "up, right"
payoffs = { Row = "-1/10**12", Col = "1/10**12" }

[nodes.sdl]
outcome = "down, left"
payoffs = { Row = "-2/10**12", Col = "2/10**12" }

[nodes.sdr]
outcome = "down, right"
payoffs = { Row = "1/10**12", Col = "-1/10**12" }
"""

#: Games where one player's payoffs, or payoffs at some terminals, are far from
#: the rest. Under one tolerance per game (the largest |payoff|) every float
#: method but lcp and enummixed returned non-equilibria on them as verified.
MIXED_SCALES = {
    # The entrant has 1e200 at the price war, 0 and 1 elsewhere.
    "entrant-1e200": lambda: entry_game(["0", "1e200", "1"], ["2", "-1", "1"]),
    # The same at 1e12 beside payoffs of 1e-12 for the incumbent.
    "entrant-1e12": lambda: entry_game(["0", "10**12", "1"], ["2/10**12", "-1/10**12", "1/10**12"]),
    # Each player on a scale of its own: the entrant's 1e12, the incumbent's 1e-12.
    "players-1e12-1e-12": lambda: entry_game(
        ["0", "-10**12", "10**12"], ["2/10**12", "-1/10**12", "1/10**12"]
    ),
}


def assert_same_equilibria(flt, exact) -> None:
    assert len(flt.equilibria) == len(exact.equilibria)
    for f, e in zip(flt.equilibria, exact.equilibria, strict=True):
        assert list(f.probabilities) == pytest.approx([float(p) for p in e.probabilities], abs=1e-9)
        for i, v in enumerate(e.values):
            assert f.values[i] == pytest.approx(float(v), rel=1e-9, abs=1e-300)


def test_entry_game_with_a_huge_payoff_for_the_entrant_solves_exactly_in_floats():
    # The case that set one tolerance for the whole game aside: the war pays
    # the entrant 1e200, so the old tolerance was 1e191 for every choice. Float
    # spe printed (enter, fight), "max regret 2" and an indifference warning;
    # enumpure listed (enter, fight) and (stay_out, accommodate) besides the
    # one equilibrium, (enter, accommodate).
    exact = solve_json(ENTRY_MIXED)
    for method in ("spe", "enumpure", "lcp", "enummixed"):
        flt = solve_json(ENTRY_MIXED, "--float", "--method", method)
        assert len(flt["equilibria"]) == 1, method
        (eq,) = flt["equilibria"]
        assert eq["behavior"] == {"entry": {"enter": 1.0, "stay_out": 0.0},
                                  "response": {"fight": 0.0, "accommodate": 1.0}}, method
        assert eq["max_regret"] == 0
    assert [e["behavior"]["response"] for e in exact["equilibria"]] == [{"fight": "0", "accommodate": "1"}]
    code, out, _ = invoke("solve", ENTRY_MIXED, "--float")
    assert code == 0 and "indifferent" not in out and "accommodate" in out and "max regret 0" in out


@pytest.mark.parametrize("name", list(MIXED_SCALES))
@pytest.mark.parametrize("method", ["spe", "enumpure", "lcp", "enummixed"])
def test_mixed_scales_float_equals_exact(name, method):
    game = MIXED_SCALES[name]()
    exact = solve(game, {}, method=method, exact=True)
    flt = solve(game, {}, method=method, exact=False)
    assert_same_equilibria(flt, exact)
    assert not flt.ties and not any("indifferent" in w for w in flt.warnings)


def test_logit_with_players_of_different_scales_finds_the_exact_equilibrium():
    # The common precision cannot resolve the incumbent's payoffs of 1e-12
    # beside the entrant's 1e12; the branch with each player's payoffs in its
    # own range does, and says so. The old tolerance let (enter, fight 1/2)
    # pass with regret 1e-12.
    game = MIXED_SCALES["players-1e12-1e-12"]()
    result = solve(game, {}, method="logit", exact=False)
    (eq,) = result.equilibria
    assert eq.probabilities == pytest.approx([1.0, 0.0, 0.0, 1.0], abs=1e-9)
    assert any("each player's payoffs divided by that player's range" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["entrant-1e200", "entrant-1e12"])
def test_logit_refuses_rather_than_returns_a_non_equilibrium(name):
    # The entrant's choice turns on payoffs 1e12 (or 1e200) times smaller than
    # its range: no logit precision reaches it. The old tolerance returned
    # (enter, fight 1/2), whose incumbent regret is 1 (or 1e-12).
    with pytest.raises(SolverError, match="did not converge"):
        solve(MIXED_SCALES[name](), {}, method="logit", exact=False)


def test_scaled_matching_pennies_per_player_solves_in_floats():
    # Row's payoffs times 1e12, Col's times 1e-12 (the same game): lcp in one
    # common unit saw Col's payoffs as 0 and failed.
    factor = Fraction(10) ** 12
    game = table_game(([[v * factor for v in r] for r in MATCHING_PENNIES[0]],
                       [[v / factor for v in r] for r in MATCHING_PENNIES[1]]))
    for method in ("lcp", "enummixed", "logit", "spe"):
        (eq,) = solve(game, {}, method=method, exact=False).equilibria
        assert eq.probabilities == pytest.approx([0.5] * 4, abs=1e-9), method
    assert solve(game, {}, method="enumpure", exact=False).equilibria == ()


@pytest.mark.parametrize("method", ["spe", "enummixed", "lcp", "lp", "logit"])
def test_zero_sum_with_payoffs_of_two_sizes_is_exact_or_refused(method):
    # Row avoids the ruin (-1e12) and mixes 3/7 : 4/7 in a small game worth
    # about 1e-12. Under one tolerance per game (1e3 here) float lcp, lp and
    # logit returned pure or half-half profiles there as verified. Now each
    # method returns the exact equilibrium or refuses; spe (which solves the
    # small subgame on its own) and enummixed return it.
    game = loads_game(ZERO_SUM_TWO_SIZES, "zs.toml", known_claims=[])
    (exact,) = solve(game, {}, method="lp", exact=True).equilibria
    assert list(exact.probabilities) == [0, 1, Fraction(3, 7), Fraction(4, 7), Fraction(2, 7), Fraction(5, 7)]
    try:
        result = solve(game, {}, method=method, exact=False)
    except SolverError:
        assert method in ("lcp", "lp", "logit")
        return
    (eq,) = result.equilibria
    assert list(eq.probabilities) == pytest.approx([float(p) for p in exact.probabilities], abs=1e-9)


def test_per_player_units_only_for_players_far_below_the_largest():
    assert tolerances.payoff_units([3.0, 1.0]) == [4.0, 4.0]
    assert tolerances.payoff_units([1e12, 1e-12]) == [tolerances.payoff_unit(1e12), tolerances.payoff_unit(1e-12)]
    assert tolerances.payoff_units([0.0, 5.0]) == [4.0, 4.0]
    assert tolerances.payoff_scales([[0, 1e200], [-3, 1]]).tolist() == [3.0, 1e200]


def test_magnitudes_judge_a_regret_at_the_size_of_the_values_compared():
    # The entrant's payoffs 1e200 at the war do not excuse the incumbent's
    # regret of 2 at (enter, fight), nor the entrant's regret of 1 at
    # (stay_out, accommodate).
    game = loads_game(Path(ENTRY_MIXED).read_text(), "e.toml", known_claims=[])
    numbers = game.numbers({}, exact=False)
    for probs in ([1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]):
        with pytest.raises(VerificationError):
            verified_equilibrium(game, numbers, probs)
        with pytest.raises(VerificationError):
            verified_equilibrium(game, numbers, probs, check=subgame_check)
    assert verified_equilibrium(game, numbers, [1.0, 0.0, 0.0, 1.0]).max_regret == 0


# ---------------------------------------------------------------------------------
# Sweeps of games whose players have different scales
# ---------------------------------------------------------------------------------
def entry_two_units(entrant: str, incumbent: str) -> Game:
    """The entry game of :func:`entry_with_threshold`, each player's payoffs in a unit of its own."""
    text = doc_example()
    text = text.replace("Entrant = 0, Incumbent = 2", f'Entrant = 0, Incumbent = "2*{incumbent}"')
    text = text.replace('Entrant = "-fight_cost", Incumbent = "-fight_cost"',
                        f'Entrant = "-{entrant}", Incumbent = "(1 - fight_cost)*{incumbent}"')
    text = text.replace("Entrant = 1, Incumbent = 1", f'Entrant = "{entrant}", Incumbent = "0*{incumbent}"')
    return loads_game(text, "entry.toml", known_claims=[])


@pytest.mark.parametrize(("entrant", "incumbent"), [("10**12", "10**-12"), ("10**-12", "10**12")])
def test_a_sweep_with_players_of_different_scales_takes_the_exact_paths(entrant, incumbent):
    # With one scale per sample (the largest |payoff|) the small player's
    # choices were all ties, and the sweep reported its first action on every
    # sample (100% of one path, a wrong one on half the samples).
    samples = {"fight_cost": np.linspace(0.0, 2.0, 40)}
    plain = run_sweep(entry_two_units("1", "1"), samples)
    mixed = run_sweep(entry_two_units(entrant, incumbent), samples)
    assert mixed.path_shares() == plain.path_shares()
    assert not mixed.tie.any()
    by_sample = run_sweep(entry_two_units(entrant, incumbent), {"fight_cost": np.linspace(0.0, 2.0, 8)},
                          method="lcp", workers=1)
    assert by_sample.path_shares() == run_sweep(
        entry_two_units("1", "1"), {"fight_cost": np.linspace(0.0, 2.0, 8)}, method="lcp", workers=1
    ).path_shares()


# ---------------------------------------------------------------------------------
# A property: scaling one player's payoffs by 10**k changes no float equilibrium
# ---------------------------------------------------------------------------------
def scaled_player(game: Game, values: dict, player: int, factor: Fraction) -> Game:
    """The same tree with one player's payoffs multiplied by ``factor``, exactly."""
    numbers = game.numbers(values, exact=True)
    chance = {
        int(n): [numbers.edge_prob[c] for c in game.children_of(int(n))]
        for n in np.flatnonzero(game.kind == NodeKind.CHANCE).tolist()
    }
    payoffs = [[p * factor if i == player else p for i, p in enumerate(row)]
               for row in numbers.leaf_payoff.tolist()]
    return game_from_arrays(
        "scaled", list(game.players), game.num_children, game.kind, game.player, payoffs,
        probabilities=chance, node_names=list(game.node_names),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(interior_payoffs=True), st.integers(-12, 12), st.data())
def test_scaling_one_players_payoffs_keeps_float_equilibria_exact(game_values, power, data):
    game, values = game_values
    player = data.draw(st.integers(0, len(game.players) - 1))
    exact = solve(game, values, method="spe").equilibria[0]
    if near_tie(game, values, exact.probabilities):
        return  # floats may then legitimately choose otherwise
    factor = Fraction(10) ** power
    one_scaled = scaled_player(game, values, player, factor)
    (flt,) = solve(one_scaled, {}, method="spe", exact=False).equilibria
    assert list(flt.probabilities) == [float(p) for p in exact.probabilities]
    assert flt.reach == pytest.approx([float(r) for r in exact.reach], abs=1e-12)
    expected = [float(v * factor) if i == player else float(v) for i, v in enumerate(exact.values)]
    # Each value to a few rounding errors of the size of that player's payoffs: a
    # value of 0 reached as a sum of chance-weighted payoffs may come out as 4e-17.
    sizes = [max(abs(float(row[i])) for row in one_scaled.numbers({}, exact=True).leaf_payoff.tolist())
             for i in range(len(game.players))]
    for got, want, size in zip(flt.values, expected, sizes, strict=True):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12 * size)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                 st.sampled_from([0.7071067811865476, 0.7071067811865475, 1.7976931348623157e308, 5e-324])))
def test_payoff_unit_is_numpys_frexp_and_ldexp(scale):
    # payoff_unit works in Python's math (math.frexp/ldexp): the same power
    # of two as numpy's frexp and ldexp, inf where ldexp overflows.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not scale > 0 or not np.isfinite(scale):
            want = 1.0
        else:
            mantissa, exponent = np.frexp(scale)
            want = float(np.ldexp(1.0, int(exponent) - (1 if mantissa < 0.7071067811865476 else 0)))
    assert tolerances.payoff_unit(scale) == want


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(1, 4), st.data())
def test_payoff_scales_of_a_float_table_are_each_columns_scale(rows, players, data):
    values = data.draw(st.lists(st.floats(allow_nan=False, width=64), min_size=rows * players,
                                max_size=rows * players))
    table = np.array(values, dtype=np.float64).reshape(rows, players)
    want = np.array([tolerances.payoff_scale(table[:, i]) for i in range(players)], dtype=np.float64)
    assert tolerances.payoff_scales(table).tobytes() == want.tobytes()
