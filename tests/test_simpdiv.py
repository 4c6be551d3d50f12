"""simpdiv (simplicial subdivision with restarts): literature values and random games against pygambit."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from policy.solvers import SolverError, solve
from policy.solvers.enumpoly import enumpoly_solve
from policy.solvers.simpdiv import simpdiv_solve
from policy.solvers.verify import nash_regret_check
from tests.games import (
    CATALOG_MAX_PROFILES,
    catalog_slugs,
    from_pygambit,
    matching_pennies,
    mixed_of,
    table_game,
    tables,
)
from tests.test_enumpoly import (
    GAMBIT_REGRET,
    as_float_mixed,
    assert_confirmed_by_gambit,
    contains,
    gambit_regret_of,
    jordan_game,
    random_table,
)

pygambit = pytest.importorskip("pygambit")


def test_jordan_game_exact_one_half():
    # Jordan (1993): the unique equilibrium mixes 1/2-1/2 (see test_enumpoly).
    result = simpdiv_solve(table_game(jordan_game()), {})
    half = Fraction(1, 2)
    assert result.exact
    assert [mixed_of(eq) for eq in result.equilibria] == [((half, half),) * 3]


def test_matching_pennies():
    # von Neumann and Morgenstern (1944): the unique equilibrium mixes 1/2-1/2.
    result = simpdiv_solve(matching_pennies(), {})
    half = Fraction(1, 2)
    assert [mixed_of(eq) for eq in result.equilibria] == [((half, half), (half, half))]


CASES = [(0, (2, 2, 2)), (1, (3, 2, 2)), (2, (3, 3, 3)), (3, (2, 2, 2, 2)), (4, (3, 2, 2, 2)),
         (5, (4, 4, 4)), (7, (3, 3, 3, 3))]


@pytest.mark.parametrize(("seed", "shape"), CASES, ids=[f"{s}-{'x'.join(map(str, t))}" for s, t in CASES])
def test_random_tables_against_gambit(seed, shape):
    payoffs = random_table(seed, shape)
    game = table_game(payoffs)
    result = simpdiv_solve(game, {}, exact=False)
    (eq,) = result.equilibria
    assert nash_regret_check(game, game.numbers({}, exact=False), eq.probabilities).excess <= 0
    assert_confirmed_by_gambit(payoffs, result.equilibria)
    if sum(shape) - len(shape) <= 5:  # small enough for enumpoly: one of its equilibria
        pool = [as_float_mixed(e) for e in enumpoly_solve(game, {}).equilibria]
        assert contains(pool, as_float_mixed(eq))


def test_gambits_simpdiv_answer_is_an_equilibrium_ours_confirms():
    # The other direction: Gambit's simpdiv on the same table gives a profile
    # whose regret Gambit itself puts at (nearly) 0 and that enumpoly lists.
    payoffs = random_table(0, (2, 2, 2))
    from tests.games import gambit_table

    g = gambit_table(payoffs)
    theirs = pygambit.nash.simpdiv_solve(g.mixed_strategy_profile(rational=True)).equilibria[0]
    mixed = [[float(theirs[s]) for s in p.strategies] for p in g.players]
    assert gambit_regret_of(payoffs, mixed) <= 1e-3
    pool = [as_float_mixed(e) for e in enumpoly_solve(table_game(payoffs), {}).equilibria]
    assert any(
        all(abs(a - b) <= 1e-3 for x, y in zip(p, mixed, strict=True) for a, b in zip(x, y, strict=True))
        for p in pool
    )


def test_options_are_checked_and_reach_the_solver():
    game = table_game(random_table(1, (2, 2, 2)))
    with pytest.raises(SolverError, match="refine at least 2"):
        simpdiv_solve(game, {}, refine=1)
    loose = solve(game, {}, method="simpdiv", exact=False, max_regret=1e-3)
    assert loose.method == "simpdiv" and len(loose.equilibria) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(players=3, low=2, high=3))
def test_degenerate_small_tables_always_give_a_verified_equilibrium(payoffs):
    # Payoffs in [-4, 4]: ties everywhere, continua of equilibria, degenerate
    # ratio tests. The answer must still be an equilibrium by our check and
    # by Gambit's.
    game = table_game(payoffs)
    result = simpdiv_solve(game, {}, exact=False)
    (eq,) = result.equilibria
    assert nash_regret_check(game, game.numbers({}, exact=False), eq.probabilities).excess <= 0
    assert_confirmed_by_gambit(payoffs, result.equilibria)


@pytest.mark.parametrize("slug", catalog_slugs(max_profiles=CATALOG_MAX_PROFILES))
def test_catalog_games_give_an_equilibrium_gambit_confirms(slug):
    # Every game of Gambit's catalogue ours can read (2 to 4 players, trees
    # and tables; several with continua of equilibria).
    import pygambit.catalog as catalog

    from tests.conftest import gambit_regret

    game = from_pygambit(catalog.load(slug))
    result = simpdiv_solve(game, {}, exact=False)
    (eq,) = result.equilibria
    scale = max(1.0, float(abs(game.numbers({}, exact=False).leaf_payoff).max()))
    assert float(gambit_regret(game, eq.behavior)) <= GAMBIT_REGRET * scale
