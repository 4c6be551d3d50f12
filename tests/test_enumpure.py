"""``enumpure``: literature values, Gambit cross-checks, hypothesis properties.

Strategic-form games are written as trees by ``tests.games.table_game``
(player 1 moves, player 2 moves in one information set not knowing player 1's
move, and so on), so that our reduced normal form is exactly the table.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import GameError, NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import SolverError
from policy.solvers.backward import spe_solve
from policy.solvers.enumpure import enumpure_solve, pure_equilibrium_cells
from tests.conftest import games_with_values, pygambit_profile, to_pygambit
from tests.games import (
    ENTRY_VALUES,
    PRISONERS,
    battle_of_the_sexes,
    catalog_slugs,
    entry_deterrence,
    from_pygambit,
    gambit_mixed,
    gambit_signature,
    gambit_table,
    gambit_table_signature,
    matching_pennies,
    pure_cell,
    signature,
    table_game,
    table_signature,
    tables,
)

pygambit = pytest.importorskip("pygambit")

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ---------------------------------------------------------------------------------
# Literature (Osborne and Rubinstein 1994, chapter 2; tables in tests/games.py)
# ---------------------------------------------------------------------------------
def test_prisoners_dilemma_both_fink():
    result = enumpure_solve(table_game(PRISONERS), {})
    assert result.method == "enumpure" and result.exact
    assert [pure_cell(eq) for eq in result.equilibria] == [(1, 1)]
    assert result.equilibria[0].values == (1, 1)
    assert result.details["strategies"] == (("s0_1", "s1_1"),)


def test_battle_of_the_sexes_two_pure_equilibria_in_order():
    result = enumpure_solve(battle_of_the_sexes(), {})
    assert [pure_cell(eq) for eq in result.equilibria] == [(0, 0), (1, 1)]
    assert [eq.values for eq in result.equilibria] == [(2, 1), (1, 2)]
    assert all(eq.max_regret == 0 for eq in result.equilibria)
    assert not result.warnings


def test_matching_pennies_has_no_pure_equilibrium():
    result = enumpure_solve(matching_pennies(), {})
    assert result.equilibria == ()
    assert any("no pure-strategy equilibrium" in w for w in result.warnings)


def test_entry_deterrence_has_two_pure_nash_equilibria_one_subgame_perfect():
    # Selten (1978), "The chain store paradox", Theory and Decision 9: in one
    # stage, (enter, accommodate) is the subgame-perfect equilibrium; (stay out,
    # fight) is Nash too, held up by a threat that is not credible.
    game = entry_deterrence()
    result = enumpure_solve(game, ENTRY_VALUES)
    found = {(eq.choice("entry"), eq.choice("response")) for eq in result.equilibria}
    assert found == {("enter", "accommodate"), ("stay_out", "fight")}
    (spe,) = spe_solve(game, ENTRY_VALUES).equilibria
    assert spe.probabilities in {eq.probabilities for eq in result.equilibria}


def test_three_player_coordination():
    # Each player gets 1 when all three choose alike, else 0: exactly the two
    # unanimous profiles are equilibria (checked by hand: from any split, the odd
    # one out gains by joining the other two).
    same = np.zeros((2, 2, 2), dtype=object)
    same[0, 0, 0] = same[1, 1, 1] = 1
    result = enumpure_solve(table_game([same, same, same]), {})
    assert [pure_cell(eq) for eq in result.equilibria] == [(0, 0, 0), (1, 1, 1)]


def test_irrelevant_sets_are_filled_uniformly_or_as_asked():
    # P1 decides to stop (out) or go on and then chooses again; the second set
    # is irrelevant to the strategy 'out', so its behaviour there is filled.
    game = build_game("fill", ["P1", "P2"], [
        NodeSpec("a", NodeKind.DECISION, player="P1", actions=(("out", "t0"), ("in", "b"))),
        NodeSpec("b", NodeKind.DECISION, player="P1", actions=(("x", "t1"), ("y", "t2"))),
        NodeSpec("t0", NodeKind.TERMINAL, outcome=Outcome("t0", (parse(2), parse(0)))),
        NodeSpec("t1", NodeKind.TERMINAL, outcome=Outcome("t1", (parse(1), parse(0)))),
        NodeSpec("t2", NodeKind.TERMINAL, outcome=Outcome("t2", (parse(0), parse(0)))),
    ])
    (eq,) = enumpure_solve(game, {}).equilibria
    assert eq.behavior == {"a": {"out": 1, "in": 0}, "b": {"x": Fraction(1, 2), "y": Fraction(1, 2)}}
    (eq,) = enumpure_solve(game, {}, fill="first").equilibria
    assert eq.behavior["b"] == {"x": 1, "y": 0}


def test_too_many_profiles_is_a_solver_error():
    with pytest.raises(SolverError, match="pure strategy profiles"):
        enumpure_solve(battle_of_the_sexes(), {}, max_profiles=3)


def test_float_mode_gives_floats_and_the_same_profiles():
    exact = enumpure_solve(battle_of_the_sexes(), {})
    floats = enumpure_solve(battle_of_the_sexes(), {}, exact=False)
    assert not floats.exact
    assert [pure_cell(e) for e in floats.equilibria] == [pure_cell(e) for e in exact.equilibria]
    assert all(isinstance(v, float) for eq in floats.equilibria for v in eq.values)


def test_cells_follow_the_definition_on_a_hand_table():
    # Player 1's best responses are the column maxima of A, player 2's the row maxima of B.
    a = np.array([[1, 1], [0, 2]], dtype=object)
    b = np.array([[0, 0], [1, 1]], dtype=object)
    assert pure_equilibrium_cells(np.array([a, b]), exact=True) == [(0, 0), (1, 1)]
    assert pure_equilibrium_cells(np.array([a, b], dtype=np.float64), exact=False) == [(0, 0), (1, 1)]


# ---------------------------------------------------------------------------------
# Cross-checks with Gambit
# ---------------------------------------------------------------------------------
def gambit_pure_cells(payoffs: Any) -> set[tuple[int, ...]]:
    g = gambit_table(payoffs)
    cells = set()
    for eq in pygambit.nash.enumpure_solve(g).equilibria:
        mixed = gambit_mixed(g, eq)
        cells.add(tuple(sigma.index(Fraction(1)) for sigma in mixed))
    return cells


@SETTINGS
@given(tables(players=2))
def test_two_player_tables_match_gambit(payoffs):
    ours = enumpure_solve(table_game(payoffs), {})
    cells = [pure_cell(eq) for eq in ours.equilibria]
    assert len(cells) == len(set(cells))
    assert set(cells) == gambit_pure_cells(payoffs)


@SETTINGS
@given(tables(players=3, high=3))
def test_three_player_tables_match_gambit(payoffs):
    ours = enumpure_solve(table_game(payoffs), {})
    assert {pure_cell(eq) for eq in ours.equilibria} == gambit_pure_cells(payoffs)


@pytest.mark.parametrize("slug", catalog_slugs(players=range(2, 10)))
def test_catalog_games_match_gambit(slug):
    import pygambit.catalog as catalog

    g = catalog.load(slug)
    game = from_pygambit(g)
    ours = enumpure_solve(game, {})
    theirs = pygambit.nash.enumpure_solve(g).equilibria
    assert len(ours.equilibria) == len(theirs)
    if g.is_tree:
        assert {signature(eq) for eq in ours.equilibria} == {
            gambit_signature(game, eq) for eq in theirs
        }
    else:
        assert {table_signature(eq) for eq in ours.equilibria} == {
            gambit_table_signature(g, eq) for eq in theirs
        }


def test_imperfect_recall_catalog_games_are_refused_by_the_model():
    import pygambit.catalog as catalog

    g = catalog.load("books/shohamleytonbrown2008/fig5_12")
    assert not g.is_perfect_recall
    with pytest.raises(GameError, match="imperfect recall"):
        from_pygambit(g)


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@SETTINGS
@given(tables(players=2, high=3))
def test_equilibria_have_zero_regret_in_gambit(payoffs):
    game = table_game(payoffs)
    g, actions = to_pygambit(game, {})
    for eq in enumpure_solve(game, {}).equilibria:
        assert pygambit_profile(g, actions, eq.behavior).max_regret() == 0


@SETTINGS
@given(tables(players=3, high=3))
def test_exact_and_float_agree_on_integer_tables(payoffs):
    game = table_game(payoffs)
    exact = enumpure_solve(game, {})
    floats = enumpure_solve(game, {}, exact=False)
    assert [pure_cell(e) for e in floats.equilibria] == [pure_cell(e) for e in exact.equilibria]
    for e, f in zip(exact.equilibria, floats.equilibria, strict=True):
        assert f.values == pytest.approx([float(v) for v in e.values])


@SETTINGS
@given(games_with_values(max_nodes=14, max_depth=4))
def test_perfect_information_subgame_perfect_play_is_among_pure_equilibria(drawn):
    # Every subgame-perfect equilibrium is a Nash equilibrium; its reduced
    # strategies agree with it wherever they are defined, so its outcome and
    # payoffs are those of one of enumpure's equilibria.
    game, values = drawn
    try:
        result = enumpure_solve(game, values, max_profiles=20_000)
    except SolverError:
        assume(False)
    assert result.equilibria
    (spe,) = spe_solve(game, values).equilibria
    assert signature(spe) in {signature(eq) for eq in result.equilibria}
    for eq in result.equilibria:
        assert eq.max_regret == 0
        for s in game.infosets.values():
            assert sum(eq.behavior[s.name].values()) == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 0.5 + 5e-8, 0.5 + 2e-7, float("nan")]),
                 min_size=3, max_size=3),
        max_size=12,
    )
)
def test_float_dedupe_keeps_the_first_of_each_near_group(vectors):
    # distinct_sorted compares each profile with all kept ones at once; the rule
    # is still the pairwise one: keep a profile unless same_profile says it
    # equals a profile kept before it (entries within PROFILE_TOLERANCE, 1e-7).
    from types import SimpleNamespace

    from policy.solvers.enumpure import distinct_sorted
    from policy.solvers.verify import same_profile

    found = [(SimpleNamespace(probabilities=tuple(v)), k) for k, v in enumerate(vectors)]
    want: list[Any] = []
    for eq, tag in found:
        if not any(same_profile(eq.probabilities, other.probabilities, False) for other, _ in want):
            want.append((eq, tag))
    got = distinct_sorted(found, exact=False)
    assert sorted(tag for _, tag in got) == [tag for _, tag in want]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        # Around the tolerance (1e-7) too, where a rounding would tell.
        st.lists(
            st.sampled_from(
                [0.0, -0.0, 1e-12, 1e-7, 2e-7, 0.25, 0.5, 0.5 + 1e-7, 0.5 + 5e-7, 1.0, float("nan")]
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1, max_size=8,
    )
)
def test_distinct_float_profiles_in_python_as_in_numpy(profiles):
    # Short float profiles are compared in Python; the array path (forced
    # here by a threshold of 0) must keep the same ones in the same order.
    from types import SimpleNamespace

    from policy.solvers import enumpure

    found = [(SimpleNamespace(probabilities=tuple(p)), k) for k, p in enumerate(profiles)]
    short = [tag for _, tag in enumpure.distinct_sorted(found, exact=False)]
    saved = enumpure._SHORT
    enumpure._SHORT = 0
    try:
        long = [tag for _, tag in enumpure.distinct_sorted(found, exact=False)]
    finally:
        enumpure._SHORT = saved
    assert short == long
