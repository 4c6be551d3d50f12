"""enumpoly: literature values, Gambit's catalogue and random 3- and 4-player games against pygambit.

The helpers here (random tables, pygambit's regret of our profiles, Gambit
run in a child process) are shared with ``test_gnm`` and ``test_simpdiv``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from policy.solvers import SolverError, solve
from policy.solvers.enumpoly import enumpoly_solve, support_count
from policy.solvers.verify import behavior_regret
from tests.games import catalog_slugs, from_pygambit, gambit_table, mixed_of, table_game

pygambit = pytest.importorskip("pygambit")

#: pygambit's max_regret of our float equilibria, relative to the payoff range.
GAMBIT_REGRET = 1e-7
#: Two mixed profiles (ours, Gambit's) within this in every probability are the same.
SAME = 1e-6
#: Seconds a pygambit solver may run in its child process.
CHILD_SECONDS = 60


def random_table(seed: int, shape: Sequence[int]) -> list[Any]:
    """Per-player integer payoffs in [-99, 99] (generic with high probability)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-99, 100, size=tuple(shape)).astype(object) for _ in shape]


def gambit_regret_of(payoffs: list[Any], mixed: Sequence[Sequence[Any]]) -> float:
    """pygambit's max_regret of a mixed profile of the table game, in floating point."""
    g = gambit_table(payoffs)
    profile = g.mixed_strategy_profile(rational=False)
    for player, sigma in zip(g.players, mixed, strict=True):
        for strategy, p in zip(player.strategies, sigma, strict=True):
            profile[strategy] = float(p)
    return float(profile.max_regret())


def payoff_range(payoffs: list[Any]) -> float:
    return float(max(float(np.max(p)) - float(np.min(p)) for p in payoffs))


def _child(queue: Any, solver: str, payoffs: list[Any], kwargs: dict[str, Any]) -> None:
    g = gambit_table(payoffs)
    if solver == "gnm_solve":
        result = pygambit.nash.gnm_solve(g, **kwargs)
    else:
        result = getattr(pygambit.nash, solver)(g, **kwargs)
    queue.put(
        [[[float(e[s]) for s in p.strategies] for p in g.players] for e in result.equilibria]
    )


def gambit_in_child(solver: str, payoffs: list[Any], **kwargs: Any) -> list[Any] | None:
    """Run a pygambit solver on the table in a forked child (its gnm can crash the process).

    Returns its equilibria as mixed profiles (floats), or None if the child
    died or ran out of time.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue, solver, payoffs, kwargs))
    child.start()
    try:
        return list(queue.get(timeout=CHILD_SECONDS))
    except Exception:
        return None
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def as_float_mixed(eq: Any) -> list[list[float]]:
    return [[float(p) for p in sigma] for sigma in mixed_of(eq)]


def close(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> bool:
    return all(
        abs(x - y) <= SAME for sa, sb in zip(a, b, strict=True) for x, y in zip(sa, sb, strict=True)
    )


def contains(pool: Sequence[Sequence[Sequence[float]]], profile: Sequence[Sequence[float]]) -> bool:
    return any(close(p, profile) for p in pool)


def assert_confirmed_by_gambit(payoffs: list[Any], equilibria: Sequence[Any]) -> None:
    """Every equilibrium has (almost) no regret by pygambit's own computation."""
    scale = max(payoff_range(payoffs), 1.0)
    for eq in equilibria:
        assert gambit_regret_of(payoffs, mixed_of(eq)) <= GAMBIT_REGRET * scale


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
def jordan_game() -> list[Any]:
    """Jordan's three-player matching pennies.

    Jordan, "Three problems in learning mixed-strategy Nash equilibria",
    *Games and Economic Behavior* 5 (1993): player 1 wants to match player 2,
    player 2 to match player 3, player 3 to mismatch player 1. No pure
    profile is stable (each has a player who gains by switching), and the
    unique equilibrium has every player mix 1/2-1/2 (by hand: if player 1
    mixed unevenly, player 3's best reply is pure, then player 2's, then
    player 1's, which contradicts the mixing).
    """
    shape = (2, 2, 2)
    u = [np.zeros(shape, dtype=object) for _ in range(3)]
    for a in range(2):
        for b in range(2):
            for c in range(2):
                u[0][a, b, c] = 1 if a == b else 0
                u[1][a, b, c] = 1 if b == c else 0
                u[2][a, b, c] = 1 if c != a else 0
    return u


def test_jordan_game_has_the_one_half_equilibrium_only():
    result = enumpoly_solve(table_game(jordan_game()), {})
    assert result.exact
    half = Fraction(1, 2)
    assert [mixed_of(eq) for eq in result.equilibria] == [((half, half),) * 3]
    assert result.equilibria[0].max_regret == 0


def test_nau_unique_irrational_equilibrium_matches_gambit():
    # Nau, Gomez Canovas and Hansen, "On the geometry of Nash equilibria and
    # correlated equilibria", International Journal of Game Theory 32 (2004),
    # section 4: a 2x2x2 game whose unique equilibrium is in irrational
    # strategies (Gambit catalogue journals/ijgt/nau2004/sec4).
    import pygambit.catalog as catalog

    g = catalog.load("journals/ijgt/nau2004/sec4")
    result = enumpoly_solve(from_pygambit(g), {})
    assert not result.exact and len(result.equilibria) == 1
    assert any("irrational" in w for w in result.warnings)
    theirs = pygambit.nash.enumpoly_solve(g, use_strategic=True).equilibria
    assert len(theirs) == 1
    mine = as_float_mixed(result.equilibria[0])
    assert close(mine, [[float(theirs[0][s]) for s in p.strategies] for p in g.players])
    # Irrational: no fraction with a small denominator is that close.
    p = mine[0][0]
    assert abs(Fraction(p).limit_denominator(10_000) - Fraction(p)) > 1e-12


def test_nau_continuum_is_reported_and_the_isolated_pure_ones_found():
    # Nau et al. (2004), section 5: a 2x2x2 game with a continuum of
    # completely mixed equilibria beside isolated pure ones.
    import pygambit.catalog as catalog

    g = catalog.load("journals/ijgt/nau2004/sec5")
    result = enumpoly_solve(from_pygambit(g), {})
    assert any("continuum" in w for w in result.warnings)
    theirs = pygambit.nash.enumpoly_solve(g, use_strategic=True).equilibria
    gambit_set = [[[float(e[s]) for s in p.strategies] for p in g.players] for e in theirs]
    ours = [as_float_mixed(eq) for eq in result.equilibria]
    assert len(ours) == len(gambit_set)
    assert all(contains(gambit_set, m) for m in ours)


# ---------------------------------------------------------------------------------
# Random games against pygambit
# ---------------------------------------------------------------------------------
CASES = [(seed, (2, 2, 2)) for seed in range(4)] + [(10, (3, 2, 2)), (11, (2, 3, 2)), (20, (2, 2, 2, 2))]


@pytest.mark.parametrize(("seed", "shape"), CASES, ids=[f"{s}-{'x'.join(map(str, t))}" for s, t in CASES])
def test_random_tables_against_gambit(seed, shape):
    payoffs = random_table(seed, shape)
    result = enumpoly_solve(table_game(payoffs), {})
    assert_confirmed_by_gambit(payoffs, result.equilibria)
    ours = [as_float_mixed(eq) for eq in result.equilibria]
    theirs = gambit_in_child("enumpoly_solve", payoffs, use_strategic=True)
    if theirs is None:
        pytest.skip("pygambit's enumpoly did not finish")
    # Gambit 16.7's enumpoly sometimes misses equilibria of these games (it
    # returns an even number, where a generic game has an odd number: Wilson
    # 1971, Harsanyi 1973), so its set must be contained in ours, and every
    # one of ours is confirmed by Gambit's regret above.
    assert all(contains(ours, m) for m in theirs)
    if not result.warnings or all("irrational" in w for w in result.warnings):
        assert len(ours) % 2 == 1  # oddness on a generic game


def test_exact_when_every_equilibrium_is_rational():
    # Prisoner's dilemma among three: defect is strictly dominant.
    shape = (2, 2, 2)
    u = [np.zeros(shape, dtype=object) for _ in range(3)]
    for cell in np.ndindex(shape):
        defectors = sum(cell)
        for i in range(3):
            u[i][cell] = 6 - 2 * (defectors - cell[i]) + cell[i]
    result = enumpoly_solve(table_game(u), {})
    assert result.exact
    assert [mixed_of(eq) for eq in result.equilibria] == [((0, 1),) * 3]


def test_small_extensive_game_against_gambit_regret():
    # Selten's horse (Selten 1975, "Reexamination of the perfectness concept",
    # IJGT 4, figure 1; Gambit catalogue journals/ijgt/selten1975/fig1): its
    # isolated equilibria are found; each is an equilibrium by Gambit's regret
    # of the behaviour profile.
    import pygambit.catalog as catalog

    from tests.conftest import gambit_regret

    g = catalog.load("journals/ijgt/selten1975/fig1")
    game = from_pygambit(g)
    result = enumpoly_solve(game, {})
    assert result.equilibria
    for eq in result.equilibria:
        assert behavior_regret(game, game.numbers({}, exact=True), eq.probabilities)[0] == 0
        assert gambit_regret(game, eq.behavior) == 0


def test_dispatcher_refuses_games_too_big_and_names_methods_that_fit():
    payoffs = random_table(1, (4, 4, 4))
    assert support_count((4, 4, 4)) > 2_000
    with pytest.raises(SolverError, match="too big for enumpoly.*methods that fit: .*gnm"):
        solve(table_game(payoffs), {}, method="enumpoly")


def test_float_mode_gives_the_same_equilibria():
    payoffs = random_table(3, (2, 2, 2))
    exact = enumpoly_solve(table_game(payoffs), {}, exact=True)
    floats = enumpoly_solve(table_game(payoffs), {}, exact=False)
    assert not floats.exact
    assert len(exact.equilibria) == len(floats.equilibria)
    for a, b in zip(exact.equilibria, floats.equilibria, strict=True):
        assert close(as_float_mixed(a), as_float_mixed(b))


def test_systems_not_in_shape_position_are_separated():
    # x**2 = 1 and y**2 = 1: four solutions, two per value of y, so the lex
    # basis is not in shape position; a separating unknown finds all four.
    from sympy.polys.domains import QQ
    from sympy.polys.orderings import lex
    from sympy.polys.rings import ring

    from policy.solvers.enumpoly import _solutions

    R, x, y = ring("x,y", QQ, lex)
    got = _solutions([x**2 - 1, y**2 - 1], R)
    assert got is not None
    assert sorted(tuple(row) for row in got) == [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    assert all(isinstance(v, Fraction) for row in got for v in row)


def test_continuum_is_none():
    from sympy.polys.domains import QQ
    from sympy.polys.orderings import lex
    from sympy.polys.rings import ring

    from policy.solvers.enumpoly import _solutions

    R, x, y = ring("x,y", QQ, lex)
    assert _solutions([x * y - x, x * y - x], R) is None


def _catalog_child(queue: Any, slug: str) -> None:
    import pygambit.catalog as catalog

    g = catalog.load(slug)
    found = pygambit.nash.enumpoly_solve(g, use_strategic=True).equilibria
    queue.put([[float(e.payoff(p)) for p in g.players] for e in found])


#: Seconds Gambit's enumpoly may take on one catalogue game (on journals/ijgt/nau2004/sec6
#: it runs for minutes); past it the game is skipped.
CATALOG_SECONDS = 20


@pytest.mark.parametrize("slug", catalog_slugs(players=range(3, 10), max_profiles=500))
def test_catalogue_games_contain_every_equilibrium_gambits_enumpoly_finds(slug):
    # Gambit's catalogue, 3 players and more (Selten 1975's horse and figure 3,
    # Nau et al. 2004, Jakobsen et al. 2016): every equilibrium Gambit's
    # enumpoly lists has one of ours with the same payoffs, and each of ours is
    # verified (regret 0, or within the float tolerance when irrational).
    import pygambit.catalog as catalog

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_catalog_child, args=(queue, slug))
    child.start()
    try:
        theirs = queue.get(timeout=CATALOG_SECONDS)
    except Exception:
        theirs = None
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
    if theirs is None:
        pytest.skip(f"Gambit's enumpoly did not finish {slug} within {CATALOG_SECONDS} s")
    result = enumpoly_solve(from_pygambit(catalog.load(slug)), {})
    ours = [[float(v) for v in eq.values] for eq in result.equilibria]
    scale = max(1.0, max((abs(v) for pay in ours + theirs for v in pay), default=1.0))
    for pay in theirs:
        assert any(all(abs(x - y) <= SAME * scale for x, y in zip(pay, mine, strict=True)) for mine in ours), (
            slug, pay, ours)
    for eq in result.equilibria:
        assert float(eq.max_regret) <= GAMBIT_REGRET * scale
