"""qpe: a quasi-perfect equilibrium by the sequence-form LCP with a symbolic perturbation.

Miltersen and Sørensen (2010), "Computing a quasi-perfect equilibrium of a
two-player game", Economic Theory 42. Quasi-perfect equilibria (van Damme 1984)
are sequential, so every answer must pass the sequential check, and Nash,
which pygambit confirms on the same game written as a Gambit file.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from policy.cli import main
from policy.gambit import write_efg
from policy.model import Game
from policy.solvers import SolverError, solve
from policy.solvers.sequential import check_equilibrium
from tests.games import (
    ENTRY_VALUES,
    beer_quiche,
    entry_deterrence,
    imperfect_games,
    kuhn_poker,
    random_signalling,
    selten_horse,
    two_stage,
)
from tests.test_sequential import entry_with_two_ways_in

F = Fraction


def gambit_max_regret(game: Game, behavior, tmp_path, values=None) -> Fraction:
    """pygambit's max regret of our profile, the game converted by policy.gambit.write_efg."""
    pygambit = pytest.importorskip("pygambit")
    path = tmp_path / "game.efg"
    path.write_text(write_efg(game, values), encoding="utf-8")
    g = pygambit.read_efg(str(path))
    profile = g.mixed_behavior_profile(rational=True)
    for player in g.players:
        for s in player.infosets:
            for action in s.actions:
                profile[action] = F(behavior[s.label][action.label])
    return F(profile.max_regret())


def qpe(game: Game, values=None):
    result = solve(game, values or {}, method="qpe")
    assert result.method == "qpe" and result.exact
    (eq,) = result.equilibria
    assert eq.max_regret == 0
    assert eq.refinement == "quasi-perfect"
    assert check_equilibrium(result, eq).verdict is True
    return result, eq


def test_kuhn_poker(tmp_path):
    result, eq = qpe(kuhn_poker())
    # Kuhn (1950): the value of the game to P1 is -1/18.
    assert eq.payoffs == {"P1": F(-1, 18), "P2": F(1, 18)}
    # Off the path P1 holding the king calls a bet after checking: with the
    # best card calling wins 2 where folding loses 1 (lcp's centroid folds half the time).
    assert "P1_K_cb" in eq.unreached
    assert eq.behavior["P1_K_cb"] == {"fold": 0, "call": 1}
    assert gambit_max_regret(kuhn_poker(), eq.behavior, tmp_path) == 0


def test_entry_with_two_ways_in_returns_the_sequential_equilibrium(tmp_path):
    # After Mas-Colell, Whinston and Green (1995), Example 9.C.1 (see
    # tests/test_sequential.py): (in1, accommodate) is the only sequential
    # equilibrium; (out, fight) is Nash only.
    game = entry_with_two_ways_in()
    _, eq = qpe(game)
    assert eq.choice("start") == "in1" and eq.choice("entered") == "accommodate"
    assert eq.payoffs == {"Entrant": 3, "Incumbent": 0}
    assert gambit_max_regret(game, eq.behavior, tmp_path) == 0


def test_chain_store_stage():
    # Selten (1978): the subgame-perfect (enter, accommodate).
    _, eq = qpe(entry_deterrence(), ENTRY_VALUES)
    assert eq.choice("entry") == "enter" and eq.choice("response") == "accommodate"


def test_beer_quiche_is_a_sequential_pooling_equilibrium(tmp_path):
    # Cho and Kreps (1987): with a surly sender 9 times in 10 every equilibrium
    # pools; the breakfast not eaten is met with a duel at least half the time
    # (else the type that prefers it would switch: 1 + 2 (1 - d) <= 2).
    game = beer_quiche()
    result, eq = qpe(game)
    food = eq.choice("s")
    assert food in ("beer", "quiche") and eq.choice("w") == food
    other = "quiche" if food == "beer" else "beer"
    assert f"after_{other}" in eq.unreached
    assert eq.behavior[f"after_{other}"]["duel"] >= F(1, 2) and eq.choice(f"after_{food}") == "leave"
    # The sender's payoff is 2 plus the prior of the type that likes the breakfast.
    assert eq.payoffs["Sender"] == (F(29, 10) if food == "beer" else F(21, 10))
    beliefs = check_equilibrium(result, eq).beliefs[f"after_{other}"]
    assert beliefs[f"w{other[0]}"] >= F(1, 2)
    assert gambit_max_regret(game, eq.behavior, tmp_path) == 0


def test_chance_and_a_second_move(tmp_path):
    # A hand example with chance and a player moving twice; cross-checked only.
    game = two_stage()
    _, eq = qpe(game)
    assert gambit_max_regret(game, eq.behavior, tmp_path) == 0


def test_the_exact_path_agrees_with_the_float_path(monkeypatch):
    # The float path's basis is checked exactly; without it, integer pivoting
    # follows the same lexicographic path to the same equilibrium.
    import policy.solvers.qpe as qpe_module

    fast = solve(kuhn_poker(), {}, method="qpe")
    assert fast.details["float_path"]
    monkeypatch.setattr(qpe_module, "_crossover", lambda M, Q, limit: None)
    slow = solve(kuhn_poker(), {}, method="qpe")
    assert not slow.details["float_path"]
    assert slow.equilibria[0].probabilities == fast.equilibria[0].probabilities
    assert slow.details["pivots"] == fast.details["pivots"]


def test_random_signalling_games_are_verified():
    # Random integer payoffs and rational priors (tests/games.py): whatever qpe
    # returns must be Nash (regret 0) and pass the sequential check (qpe()).
    for size, seed in [(3, 0), (4, 1), (5, 2)]:
        qpe(random_signalling(size, size, size, seed))


def test_float_mode_is_the_exact_equilibrium_in_floats():
    # The float run follows the exact path and reads its end in floats
    # (tests/test_qpe_float.py compares the two on many games).
    exact = solve(kuhn_poker(), {}, method="qpe")
    floats = solve(kuhn_poker(), {}, method="qpe", exact=False)
    assert not floats.exact and floats.equilibria[0].refinement == "quasi-perfect"
    assert floats.details["arithmetic"] == "float"
    assert floats.equilibria[0].probabilities == pytest.approx(
        [float(p) for p in exact.equilibria[0].probabilities], abs=1e-12)
    assert check_equilibrium(floats, floats.equilibria[0]).verdict is True


def test_float_mode_falls_back_to_the_exact_solve(monkeypatch):
    # Where the float run cannot vouch for its end, the exact equilibrium in floats.
    import policy.solvers.qpe as qpe_module

    monkeypatch.setattr(qpe_module, "_float_solve", lambda game, values, max_pivots: None)
    exact = solve(kuhn_poker(), {}, method="qpe")
    floats = solve(kuhn_poker(), {}, method="qpe", exact=False)
    assert floats.details["arithmetic"] == "exact"
    assert floats.equilibria[0].probabilities == tuple(float(p) for p in exact.equilibria[0].probabilities)
    assert check_equilibrium(floats, floats.equilibria[0]).verdict is True


def test_refusals():
    with pytest.raises(SolverError, match="2-player"):
        solve(selten_horse(), {}, method="qpe")
    with pytest.raises(SolverError, match="--all"):
        solve(kuhn_poker(), {}, method="qpe", all_equilibria=True)


def test_cli_json_marks_the_justified_off_path_behaviour(tmp_path):
    path = tmp_path / "kuhn.efg"
    path.write_text(write_efg(kuhn_poker()), encoding="utf-8")
    out = CliRunner().invoke(main, ["solve", str(path), "--method", "qpe", "--format", "json"])
    assert out.exit_code == 0, out.output
    (eq,) = json.loads(out.output)["equilibria"]
    assert eq["refinement"] == "quasi-perfect"
    assert eq["sequential"]["verdict"] == "yes"
    unreached = [s for s, hit in eq["reached"].items() if not hit]
    assert unreached and all(eq["off_path"][s] == "quasi-perfect" for s in unreached)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=25))
def test_random_games_quasi_perfect_and_verified(game):
    # Chance (probabilities 0 included), information sets, perfect recall:
    # whatever qpe returns is Nash with regret exactly 0 and passes the
    # sequential check with its own trembles (both asserted by qpe()).
    qpe(game)


@pytest.mark.parametrize("seed", range(20))
def test_one_elimination_for_every_power_of_eps_solves_each_column(seed):
    # The crossover solves the basis for all the columns of the perturbed right-hand
    # side at once; each column's solution is the one lemke's own solver finds alone
    # (and A x = b holds exactly), and a singular A is found either way.
    import random

    import numpy as np

    from policy.solvers.lemke import _solve_rational
    from policy.solvers.qpe import _solve_columns

    rng = random.Random(seed)
    k, width = rng.randint(1, 6), rng.randint(1, 4)
    system = np.empty((k, k + width), dtype=object)
    for i in range(k):
        for j in range(k + width):
            system[i, j] = Fraction(rng.randint(-9, 9), rng.randint(1, 7)) if rng.random() < 0.8 else Fraction(0)
    if seed % 5 == 4 and k > 1:
        system[k - 1, :k] = system[0, :k] * 2  # singular
    got = _solve_columns(system, k)
    for c in range(width):
        alone = np.empty((k, k + 1), dtype=object)
        alone[:, :k] = system[:, :k]
        alone[:, k] = system[:, k + c]
        expected = _solve_rational(alone)
        if expected is None:
            assert got is None
            continue
        assert got is not None
        column = [row[c] for row in got]
        assert column == expected
        for i in range(k):
            assert sum(system[i, j] * column[j] for j in range(k)) == system[i, k + c]
