"""gnm (global Newton method): literature values and random 3- and 4-player games against pygambit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from policy.solvers import solve
from policy.solvers.enumpoly import enumpoly_solve
from policy.solvers.gnm import gnm_solve, project
from policy.solvers.verify import nash_regret_check
from tests.games import (
    CATALOG_MAX_PROFILES,
    battle_of_the_sexes,
    catalog_slugs,
    mixed_of,
    table_game,
    tables,
)
from tests.test_enumpoly import (
    GAMBIT_REGRET,
    as_float_mixed,
    assert_confirmed_by_gambit,
    contains,
    gambit_in_child,
    jordan_game,
    random_table,
)

pygambit = pytest.importorskip("pygambit")


def test_projection_onto_the_simplex():
    # Euclidean projection: max(z - v, 0) summing to 1 (by hand).
    p, v = project(np.array([0.5, 0.2, -1.0]))
    assert np.allclose(p, [0.65, 0.35, 0.0]) and v == pytest.approx(-0.15)
    p, _ = project(np.array([3.0, 0.0]))
    assert np.allclose(p, [1.0, 0.0])


def test_jordan_game_exact_one_half():
    # Jordan (1993): the unique equilibrium mixes 1/2-1/2 for every player
    # (see tests/test_enumpoly.py). gnm finds it; exact mode turns it into
    # fractions that verify exactly.
    result = gnm_solve(table_game(jordan_game()), {}, exact=True)
    half = Fraction(1, 2)
    assert result.exact
    assert [mixed_of(eq) for eq in result.equilibria] == [((half, half),) * 3]
    assert result.equilibria[0].max_regret == 0


def test_battle_of_the_sexes_all_three_on_one_path():
    # Osborne and Rubinstein (1994), Example 15.3: two pure equilibria and
    # one mixed (2/3, 1/3), (1/3, 2/3); a path of a generic perturbation
    # through a game with three equilibria meets all of them (index +1, -1, +1).
    result = gnm_solve(battle_of_the_sexes(), {}, all_equilibria=True, exact=True)
    mixed = sorted(mixed_of(eq) for eq in result.equilibria)
    third = Fraction(1, 3)
    assert mixed == sorted([
        ((1, 0), (1, 0)),
        ((0, 1), (0, 1)),
        ((2 * third, third), (third, 2 * third)),
    ])


CASES = [(seed, (2, 2, 2)) for seed in range(3)] + [(10, (3, 2, 2)), (11, (3, 3, 2)), (20, (2, 2, 2, 2)),
                                                   (21, (2, 2, 2, 2))]


@pytest.mark.parametrize(("seed", "shape"), CASES, ids=[f"{s}-{'x'.join(map(str, t))}" for s, t in CASES])
def test_random_tables_against_gambit(seed, shape):
    payoffs = random_table(seed, shape)
    game = table_game(payoffs)
    first = gnm_solve(game, {}, seed=seed)
    every = gnm_solve(game, {}, seed=seed, all_equilibria=True)
    assert len(first.equilibria) == 1
    assert len(every.equilibria) % 2 == 1  # the path meets an odd number (generic game)
    numbers = game.numbers({}, exact=False)
    for eq in every.equilibria:
        assert nash_regret_check(game, numbers, eq.probabilities).excess <= 0
    assert_confirmed_by_gambit(payoffs, every.equilibria)
    # Every equilibrium on our path, and on Gambit's gnm path, is one of the
    # isolated equilibria that enumpoly lists.
    pool = [as_float_mixed(eq) for eq in enumpoly_solve(game, {}).equilibria]
    assert all(contains(pool, as_float_mixed(eq)) for eq in every.equilibria)
    assert contains([as_float_mixed(eq) for eq in every.equilibria], as_float_mixed(first.equilibria[0]))
    theirs = gambit_in_child("gnm_solve", payoffs)
    if theirs is None:
        pytest.skip("pygambit's gnm crashed or did not finish on this game")
    assert all(contains(pool, m) for m in theirs)


def test_seed_is_reported_and_changes_the_direction():
    payoffs = random_table(0, (2, 2, 2))
    a = gnm_solve(table_game(payoffs), {}, seed=1)
    assert a.details["seed"] == 1
    assert a.method == "gnm" and not a.exact


def test_extensive_game_through_the_dispatcher():
    # A 3-player tree with imperfect information (Selten's horse, Gambit
    # catalogue journals/ijgt/selten1975/fig1): the dispatcher passes --seed
    # on, and the equilibrium is verified in the tree.
    import pygambit.catalog as catalog

    from tests.conftest import gambit_regret
    from tests.games import from_pygambit

    game = from_pygambit(catalog.load("journals/ijgt/selten1975/fig1"))
    result = solve(game, {}, method="gnm", seed=3, all_equilibria=True)
    assert result.equilibria
    for eq in result.equilibria:
        assert float(gambit_regret(game, eq.behavior)) <= 1e-9


def test_command_line_methods_and_seed(tmp_path):
    from policy.gambit import write_nfg
    from tests.conftest import invoke

    path = tmp_path / "jordan.nfg"
    path.write_text(write_nfg(table_game(jordan_game())))
    for method in ("gnm", "simpdiv", "enumpoly"):
        code, out, err = invoke("solve", str(path), "-m", method, "--format", "json")
        assert code == 0, err
        assert f'"method": "{method}"' in out
    code, out, err = invoke("solve", str(path), "-m", "gnm", "--seed", "7", "--all")
    assert code == 0, err
    code, out, err = invoke("solve", str(path), "-m", "enumpoly", "--seed", "7")
    assert code == 1 and "--seed does not apply to method 'enumpoly'" in err


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(players=3, low=2, high=3))
def test_degenerate_small_tables_give_verified_equilibria(payoffs):
    # Payoffs in [-4, 4]: ties and continua of equilibria; the whole path's
    # equilibria are each verified, by us and by Gambit.
    game = table_game(payoffs)
    result = gnm_solve(game, {}, all_equilibria=True)
    numbers = game.numbers({}, exact=False)
    for eq in result.equilibria:
        assert nash_regret_check(game, numbers, eq.probabilities).excess <= 0
    assert_confirmed_by_gambit(payoffs, result.equilibria)


@pytest.mark.parametrize("slug", catalog_slugs(max_profiles=CATALOG_MAX_PROFILES))
def test_catalog_games_give_equilibria_gambit_confirms(slug):
    # Every game of Gambit's catalogue ours can read (2 to 4 players, trees
    # and tables; several with continua of equilibria): the whole path.
    import pygambit.catalog as catalog

    from tests.conftest import gambit_regret
    from tests.games import from_pygambit

    game = from_pygambit(catalog.load(slug))
    result = gnm_solve(game, {}, all_equilibria=True)
    scale = max(1.0, float(abs(game.numbers({}, exact=False).leaf_payoff).max()))
    for eq in result.equilibria:
        assert float(gambit_regret(game, eq.behavior)) <= GAMBIT_REGRET * scale


def test_a_path_that_runs_off_prints_no_numpy_warning():
    # user30, finding 6: at these values the first direction's path runs off
    # towards an infinite lambda until its numbers overflow (212 warnings).
    import warnings

    from tests.test_logit import near_tie

    game = near_tie()
    values = {"cost": Fraction(1, 2), "gain": Fraction(7, 5)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = gnm_solve(game, values)
    assert [str(w.message) for w in caught] == []
    numbers = game.numbers(values, exact=False)
    assert nash_regret_check(game, numbers, result.equilibria[0].probabilities).excess <= 0
