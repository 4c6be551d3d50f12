"""``enummixed`` and exact vertex enumeration: literature, Gambit and nashpy, properties.

Strategic-form games are written as trees with :func:`tests.games.table_game`
(player 2 moves without seeing player 1's move), or read from the ``.nfg`` files
in tests/data_nfg/. Exact answers are compared with Gambit's exact ``enummixed``
as sets, float answers (nashpy) with exact ones within a tolerance.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import Game, NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import SolverError
from policy.solvers.enummixed import enummixed_solve
from policy.solvers.enumpure import enumpure_solve
from policy.solvers.vertex import (
    VertexLimitError,
    extreme_equilibria,
    integer_matrix,
    polytope_vertices,
)
from tests.conftest import pygambit_profile, to_pygambit
from tests.games import (
    BATTLE_OF_THE_SEXES,
    MATCHING_PENNIES,
    catalog_slugs,
    from_pygambit,
    gambit_mixed,
    gambit_signature,
    gambit_table,
    gambit_table_signature,
    kuhn_poker,
    mixed_of,
    signature,
    table_game,
    table_signature,
    tables,
)

pygambit = pytest.importorskip("pygambit")

DATA = Path(__file__).parent / "data_nfg"
F = Fraction
#: Float equilibria must match exact ones within this (probabilities and payoffs).
FLOAT_MATCH = 1e-6

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def solve_table(payoffs: Any, exact: bool = True, **options: Any) -> Any:
    return enummixed_solve(table_game(payoffs), {}, exact=exact, **options)


def gambit_enummixed(payoffs: Any) -> set[tuple[tuple[Fraction, ...], ...]]:
    g = gambit_table(payoffs)
    return {gambit_mixed(g, eq) for eq in pygambit.nash.enummixed_solve(g, rational=True).equilibria}


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
# von Stengel (2007), "Equilibrium computation for two-player games in strategic
# and extensive form", in Nisan, Roughgarden, Tardos and Vazirani (eds.),
# *Algorithmic Game Theory*, chapter 3, game (3.3): three equilibria, worked out
# there by labelled best-response polytopes.
VON_STENGEL = ([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]])
# The same game with player 2's top row (3, 3): degenerate (the pure strategy
# 'top' has two best responses). Player 1 keeps 'top' while player 2 plays left
# with probability at least 2/3, a segment of equilibria with two extreme points.
VON_STENGEL_DEGENERATE = ([[3, 3], [2, 5], [0, 6]], [[3, 3], [2, 6], [3, 1]])
RPS = (
    [[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
    [[0, 1, -1], [-1, 0, 1], [1, -1, 0]],
)


def test_battle_of_the_sexes_three_equilibria():
    # Osborne and Rubinstein, *A Course in Game Theory* (1994), chapter 3 (BoS,
    # payoffs (2, 1) and (1, 2)): the two pure equilibria and the mixed one where
    # player 1 plays Bach with probability 2/3 and player 2 with probability 1/3;
    # each then expects 2/3.
    result = solve_table(BATTLE_OF_THE_SEXES)
    assert result.method == "enummixed" and result.exact
    assert [mixed_of(eq) for eq in result.equilibria] == [
        ((1, 0), (1, 0)),
        ((F(2, 3), F(1, 3)), (F(1, 3), F(2, 3))),
        ((0, 1), (0, 1)),
    ]
    assert [eq.values for eq in result.equilibria] == [(2, 1), (F(2, 3), F(2, 3)), (1, 2)]
    assert all(eq.max_regret == 0 for eq in result.equilibria)
    assert result.details["degenerate"] is False and not result.warnings


def test_matching_pennies_unique_uniform():
    # Osborne and Rubinstein (1994), Example 17.1 and chapter 3: no pure
    # equilibrium; the unique mixed one is (1/2, 1/2) for both, value 0.
    (eq,) = solve_table(MATCHING_PENNIES).equilibria
    assert mixed_of(eq) == ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))
    assert eq.values == (0, 0)


def test_rock_paper_scissors_unique_uniform():
    # The symmetric zero-sum game Rock-Paper-Scissors has the unique equilibrium
    # in which both players mix uniformly; its value is 0.
    (eq,) = solve_table(RPS).equilibria
    assert mixed_of(eq) == ((F(1, 3),) * 3, (F(1, 3),) * 3)
    assert eq.values == (0, 0)


def test_von_stengel_three_by_two():
    result = solve_table(VON_STENGEL)
    assert [mixed_of(eq) for eq in result.equilibria] == [
        ((1, 0, 0), (1, 0)),
        ((F(4, 5), F(1, 5), 0), (F(2, 3), F(1, 3))),
        ((0, F(1, 3), F(2, 3)), (F(1, 3), F(2, 3))),
    ]
    # Payoffs by hand: x^T A y and x^T B y at each equilibrium.
    assert [eq.values for eq in result.equilibria] == [(3, 3), (3, F(14, 5)), (4, F(8, 3))]


def test_degenerate_game_lists_the_extreme_points_and_warns():
    result = solve_table(VON_STENGEL_DEGENERATE)
    assert [mixed_of(eq) for eq in result.equilibria] == [
        ((1, 0, 0), (1, 0)),
        ((1, 0, 0), (F(2, 3), F(1, 3))),
        ((0, F(1, 3), F(2, 3)), (F(1, 3), F(2, 3))),
    ]
    assert result.details["degenerate"] is True
    assert any("degenerate" in w for w in result.warnings)
    assert {mixed_of(eq) for eq in result.equilibria} == gambit_enummixed(VON_STENGEL_DEGENERATE)


NFG_EXPECTED = {
    "bos.nfg": [((1, 0), (1, 0)), ((F(2, 3), F(1, 3)), (F(1, 3), F(2, 3))), ((0, 1), (0, 1))],
    "matching_pennies.nfg": [((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))],
    "rock_paper_scissors.nfg": [((F(1, 3),) * 3, (F(1, 3),) * 3)],
    "von_stengel_3x2.nfg": [
        ((1, 0, 0), (1, 0)),
        ((F(4, 5), F(1, 5), 0), (F(2, 3), F(1, 3))),
        ((0, F(1, 3), F(2, 3)), (F(1, 3), F(2, 3))),
    ],
}


@pytest.mark.parametrize("name", sorted(NFG_EXPECTED))
def test_nfg_files(name):
    text = (DATA / name).read_text(encoding="utf-8")
    games = [from_pygambit(pygambit.read_nfg(DATA / name))]
    try:
        from policy.gambit import read_nfg  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        games.append(read_nfg(text))
    for game in games:
        result = enummixed_solve(game, {})
        got = [
            tuple(tuple(eq.behavior[s.name].values()) for s in game.infosets.values())
            for eq in result.equilibria
        ]
        assert got == NFG_EXPECTED[name]


# ---------------------------------------------------------------------------------
# Exact vertex enumeration on its own
# ---------------------------------------------------------------------------------
def test_integer_matrix_shifts_to_one_and_clears_denominators():
    assert integer_matrix([[F(-1, 2), F(1, 3)]]) == [[6, 11]]


def test_triangle_has_three_vertices():
    # {z >= 0 : z_1 + z_2 <= 1} is the triangle with vertices 0, e_1, e_2.
    triangle = polytope_vertices([[1, 1]])
    assert sorted(triangle.vertices) == [(0, 0), (0, 1), (1, 0)]
    assert not triangle.degenerate


def test_quadrilateral_is_simple_and_a_pyramid_apex_is_degenerate():
    # {z >= 0 : 2 z_1 + z_2 <= 1, z_1 + 2 z_2 <= 1}: vertices 0, (1/2, 0), (0, 1/2),
    # (1/3, 1/3), each on exactly two facets.
    quad = polytope_vertices([[2, 1], [1, 2]])
    assert sorted(quad.vertices) == [(0, 0), (0, F(1, 2)), (F(1, 3), F(1, 3)), (F(1, 2), 0)]
    assert not quad.degenerate
    # In 3-d, e_3 lies on the facets z_1 = 0, z_2 = 0 and all three rows: five > 3.
    apex = polytope_vertices([[1, 1, 1], [2, 1, 1], [1, 2, 1]])
    assert (0, 0, 1) in apex.vertices and apex.degenerate


def test_vertex_limit():
    with pytest.raises(VertexLimitError):
        polytope_vertices([[1, 2, 3], [3, 2, 1], [2, 3, 1]], limit=2)


def brute_force_vertices(matrix: list[list[int]]) -> set[tuple[Fraction, ...]]:
    """Vertices of {z >= 0 : M z <= 1} by trying every d of its k + d constraints as equations."""
    import itertools

    k, d = len(matrix), len(matrix[0])
    rows = [[F(int(i == j)) for j in range(d)] + [F(0)] for i in range(d)]  # z_i = 0
    rows += [[F(v) for v in row] + [F(1)] for row in matrix]  # row tight
    out = set()
    for chosen in itertools.combinations(range(d + k), d):
        system = [list(rows[c]) for c in chosen]
        for c in range(d):  # Gauss-Jordan in Fractions
            p = next((r for r in range(c, d) if system[r][c] != 0), None)
            if p is None:
                break
            system[c], system[p] = system[p], system[c]
            pivot = system[c][c]
            system[c] = [v / pivot for v in system[c]]
            for r in range(d):
                if r != c and system[r][c] != 0:
                    f = system[r][c]
                    system[r] = [v - f * w for v, w in zip(system[r], system[c], strict=True)]
        else:
            z = tuple(system[i][d] for i in range(d))
            if all(v >= 0 for v in z) and all(
                sum(F(a) * v for a, v in zip(row, z, strict=True)) <= 1 for row in matrix
            ):
                out.add(z)
    return out


@SETTINGS
@given(st.integers(1, 4).flatmap(lambda d: st.lists(
    st.lists(st.integers(1, 3), min_size=d, max_size=d), min_size=1, max_size=5)))
def test_reverse_search_finds_every_vertex_of_degenerate_polytopes(matrix):
    # Entries in 1..3 make ties (degenerate vertices) common; the reverse search
    # must still reach every vertex, which brute force over all choices of d
    # tight constraints lists independently.
    found = polytope_vertices(matrix)
    assert set(found.vertices) == brute_force_vertices(matrix)
    assert len(found.vertices) == len(set(found.vertices)) <= found.bases


def test_all_zero_game_every_pure_pair():
    # Every profile is an equilibrium; the extreme ones are the pure pairs.
    result = extreme_equilibria([[0, 0], [0, 0]], [[0, 0], [0, 0]])
    assert len(result.equilibria) == 4 and result.degenerate


# ---------------------------------------------------------------------------------
# Cross-checks: Gambit (exact), nashpy (float)
# ---------------------------------------------------------------------------------
@SETTINGS
@given(tables(players=2))
def test_exact_matches_gambit_enummixed(payoffs):
    result = solve_table(payoffs)
    ours = [mixed_of(eq) for eq in result.equilibria]
    assert len(ours) == len(set(ours))
    assert set(ours) == gambit_enummixed(payoffs)


_WIDE = st.integers(-60, 60)


@st.composite
def wide_tables(draw: st.DrawFn) -> list[Any]:
    """Bimatrix games with payoffs spread out, so that most are nondegenerate."""
    m, n = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    return [
        np.array(draw(st.lists(_WIDE, min_size=m * n, max_size=m * n)), dtype=object).reshape(m, n)
        for _ in range(2)
    ]


@SETTINGS
@given(wide_tables())
def test_float_nashpy_agrees_with_exact_on_nondegenerate_games(payoffs):
    exact = solve_table(payoffs)
    assume(not exact.details["degenerate"])
    floats = solve_table(payoffs, exact=False, use_nashpy=True)
    assert floats.details["backend"] == "nashpy" and not floats.warnings
    assert len(floats.equilibria) == len(exact.equilibria)
    for e, f in zip(exact.equilibria, floats.equilibria, strict=True):
        assert np.allclose(
            np.array(f.probabilities, dtype=float), np.array(e.probabilities, dtype=float),
            atol=FLOAT_MATCH,
        )
        assert f.values == pytest.approx([float(v) for v in e.values], abs=FLOAT_MATCH)


@SETTINGS
@given(tables(players=2))
def test_float_own_enumeration_agrees_with_exact(payoffs):
    exact = solve_table(payoffs)
    # Degenerate games: float rounding can split or merge extreme points of a
    # component, so only nondegenerate games are compared point by point.
    assume(not exact.details["degenerate"])
    floats = solve_table(payoffs, exact=False)  # the float enumeration (qhull) is the default
    assert floats.details["backend"] in ("bases", "qhull", "vertex")
    assert len(floats.equilibria) == len(exact.equilibria)
    for e, f in zip(exact.equilibria, floats.equilibria, strict=True):
        assert f.probabilities == pytest.approx([float(p) for p in e.probabilities], abs=FLOAT_MATCH)


def _float_and_exact_extreme_points(payoffs):
    exact = solve_table(payoffs)
    floats = solve_table(payoffs, exact=False)
    # Sorted on the probabilities rounded to 9 places: a last-place difference
    # (0.5000000000000001 against 0.5, from renormalising a behaviour) must
    # not change the order of the lists compared entry by entry.
    def key(probs):
        return tuple(round(p, 9) for p in probs)

    want = sorted((tuple(float(p) for p in eq.probabilities) for eq in exact.equilibria), key=key)
    got = sorted((tuple(eq.probabilities) for eq in floats.equilibria), key=key)
    return exact, floats, want, got


@SETTINGS
@given(st.integers(2, 5).flatmap(lambda m: st.integers(2, 5).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.integers(-2, 2), min_size=n, max_size=n), min_size=m, max_size=m),
    st.lists(st.lists(st.integers(-2, 2), min_size=n, max_size=n), min_size=m, max_size=m)))))
def test_float_enumeration_counts_equal_the_exact_ones(payoffs):
    # Payoffs in -2..2 tie often: many of these games are degenerate. The
    # float enumeration must list the same extreme equilibria as the exact
    # one, with the same count, whether it vouches for its own answer (made
    # exact from the supports) or hands over to the exact enumeration.
    exact, floats, want, got = _float_and_exact_extreme_points(payoffs)
    assert floats.details["extreme_points"] == exact.details["extreme_points"]
    assert len(got) == len(want)
    for w, g in zip(want, got, strict=True):
        assert g == pytest.approx(w, abs=1e-12)


def _small_tables() -> Any:
    """Games the float enumeration solves in integers alone (SMALL_WORK), payoffs in -2..2 (ties: degenerate)."""
    shapes = st.sampled_from([(2, 2), (2, 3), (3, 2), (2, 5), (3, 3), (3, 4), (4, 3), (4, 4), (3, 5), (6, 3), (2, 12)])
    return shapes.flatmap(lambda mn: st.tuples(*(
        st.lists(st.lists(st.integers(-2, 2), min_size=mn[1], max_size=mn[1]), min_size=mn[0], max_size=mn[0])
        for _ in range(2)
    )))


@SETTINGS
@given(_small_tables())
def test_small_games_in_integers_match_the_exact_enumeration_and_gambit(payoffs):
    # Every basis of both polytopes solved in integers (vertex_float's small
    # path): the same extreme equilibria as our exact reverse search and as
    # Gambit's exact enummixed, degenerate games included.
    from policy.solvers.vertex_float import SMALL_WORK, _ExactGame, _small_pairs, small_work

    a, b = (np.array(p, dtype=float) for p in payoffs)
    assert small_work(*a.shape) <= SMALL_WORK
    found = _small_pairs(_ExactGame(a, b))
    assert found is not None
    got = [pair.mixed() for pair in found]
    exact = extreme_equilibria(*payoffs)
    want = sorted((tuple(map(float, x)), tuple(map(float, y))) for x, y in exact.equilibria)
    assert sorted(got) == want
    gambit = sorted(tuple(tuple(map(float, s)) for s in pair) for pair in gambit_enummixed(payoffs))
    assert sorted(got) == gambit
    result = solve_table(payoffs, exact=False)
    assert result.details["backend"] == "bases" and not any("exact enumeration" in w for w in result.warnings)


@SETTINGS
@given(wide_tables())
def test_small_games_in_integers_match_nashpy_on_nondegenerate_games(payoffs):
    import nashpy

    from policy.solvers.vertex_float import _ExactGame, _small_pairs

    a, b = (np.array(p, dtype=float) for p in payoffs)
    assume(not extreme_equilibria(a.astype(int).tolist(), b.astype(int).tolist()).degenerate)
    got = sorted(pair.mixed() for pair in _small_pairs(_ExactGame(a, b)) or [])
    theirs = sorted(
        (tuple(map(float, x)), tuple(map(float, y)))
        for x, y in nashpy.Game(a - a.min() + 1, b - b.min() + 1).vertex_enumeration()
    )
    assert len(got) == len(theirs)
    for x, y in got:
        assert any(
            np.allclose(x, u, atol=FLOAT_MATCH) and np.allclose(y, v, atol=FLOAT_MATCH) for u, v in theirs
        )


def test_float_enumeration_is_exact_on_random_games_and_qhull_does_it():
    # Random integer 7x7 and 9x9 games (the benchmark's generator): the float
    # enumeration finds every extreme equilibrium itself, and the answers are
    # the exact ones rounded (they were solved in rationals from their supports).
    from benchmarks.bench_nash import bimatrix

    for n, seed in ((7, 0), (9, 3)):
        a, b = bimatrix(n, seed)
        payoffs = (a.astype(object), b.astype(object))
        exact, floats, want, got = _float_and_exact_extreme_points(payoffs)
        assert floats.details["backend"] == "qhull"
        assert got == want


def test_float_enumeration_exact_support_solution():
    # The support equations are solved exactly: von Stengel's game (3.3) has
    # the equilibrium x = (0, 1/3, 2/3), y = (1/3, 2/3) (Nisan et al. 2007, ch. 3).
    from policy.solvers.enummixed import _float_enumeration

    a, b = (np.array(m, dtype=float) for m in VON_STENGEL)
    found, _ = _float_enumeration(a, b)
    assert found is not None
    exact, scales = found
    assert len(exact) == 3 and scales == (1, 1)
    assert ((0.0, 1 / 3, 2 / 3), (1 / 3, 2 / 3)) in [pair.mixed() for pair in exact]
    # The integers it was checked in: x = (0, 2, 4) times 1/6, A y and x B at y = (1, 2).
    pair = next(p for p in exact if p.x[0] == 0)
    assert pair.ay == [sum(r * c for r, c in zip(row, pair.y, strict=True)) for row in VON_STENGEL[0]]
    assert pair.xb == [sum(pair.x[i] * VON_STENGEL[1][i][j] for i in range(3)) for j in range(2)]


def _fraction_solution(matrix: list[list[int]]) -> list[Fraction] | None:
    """``matrix x = 1`` by Gauss-Jordan elimination in ``Fraction`` (an independent check); None if singular."""
    k = len(matrix)
    rows = [[Fraction(v) for v in row] + [Fraction(1)] for row in matrix]
    for c in range(k):
        p = next((i for i in range(c, k) if rows[i][c]), None)
        if p is None:
            return None
        rows[c], rows[p] = rows[p], rows[c]
        for i in range(k):
            if i != c and rows[i][c]:
                f = rows[i][c] / rows[c][c]
                rows[i] = [v - f * w for v, w in zip(rows[i], rows[c], strict=True)]
    return [rows[i][k] / rows[i][i] for i in range(k)]


def _determinant(matrix: list[list[int]]) -> int:
    """The determinant by Laplace expansion along the first row (small matrices only)."""
    if len(matrix) == 1:
        return matrix[0][0]
    return sum(
        (-1) ** j * v * _determinant([row[:j] + row[j + 1 :] for row in matrix[1:]])
        for j, v in enumerate(matrix[0])
    )


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 7).flatmap(
        lambda k: st.lists(
            st.lists(st.one_of(st.integers(-3, 3), st.integers(-(10**12), 10**12)), min_size=k, max_size=k),
            min_size=k,
            max_size=k,
        )
    ),
    st.data(),
)
def test_integer_solves_are_the_determinant_times_the_solution(matrix, data):
    # The written-out Cramer's rule (1 to 4 unknowns) and Bareiss's elimination
    # both give |det M| x for M x = 1, checked against Gauss-Jordan in
    # fractions; singular systems (a row made a multiple of another) give None.
    from policy.solvers.vertex_float import _cramer, _solve_bareiss, _solve_integer

    k = len(matrix)
    if k > 1 and data.draw(st.booleans()):
        i, j = data.draw(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)))
        if i != j:
            factor = data.draw(st.integers(-2, 2))
            matrix[i] = [factor * v for v in matrix[j]]
    want = _fraction_solution(matrix)
    det = abs(_determinant(matrix))
    expected = None if want is None else [det * v for v in want]
    assert expected is None or all(v.denominator == 1 for v in expected)
    assert _solve_bareiss(matrix) == expected
    assert _solve_integer(matrix) == expected
    if k <= 4:
        assert _cramer(matrix) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.tuples(st.integers(2, 6), st.integers(2, 6), st.sampled_from([1, 2, 3, 100])).flatmap(
        lambda s: st.lists(
            st.lists(st.integers(-s[2], s[2]), min_size=s[1], max_size=s[1]), min_size=s[0], max_size=s[0]
        )
    )
)
def test_hull_vertices_are_the_exact_vertices_with_every_label(b):
    # qhull's vertices of P = {x >= 0 : B^T x <= 1} (payoffs shifted), each
    # with the mask of every constraint tight there, are the vertices found
    # exactly by solving every basis in integers (_small_vertices; the origin
    # added), degenerate polytopes (small payoff ranges: ties) included.
    from policy.solvers.vertex_float import _ExactGame, _small_vertices, hull_vertices

    payoff = np.array(b)
    m, n = payoff.shape
    game = _ExactGame(np.zeros((m, n), dtype=int), payoff)
    exact = set(_small_vertices(game.pb, game.b, m, n, False)) | {(1 << m) - 1}
    found = hull_vertices((payoff - payoff.min() + 1.0).astype(float), np.arange(m + n))
    assert found is not None
    assert set(found[0].tolist()) == exact


def _paths_taken(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count which step of the float enumeration answered (policy.solvers.vertex_float)."""
    from policy.solvers import vertex_float

    taken = {"small": 0, "solved": 0, "matched": 0}
    small = vertex_float._small_pairs
    solved, matched = vertex_float._solved_partners, vertex_float._matched_partners

    def count_small(*args: Any) -> Any:
        out = small(*args)
        taken["small"] += out is not None
        return out

    def count_solved(*args: Any) -> Any:
        out = solved(*args)
        taken["solved"] += out is not None
        return out

    def count_matched(*args: Any) -> Any:
        out = matched(*args)
        taken["matched"] += out is not None
        return out

    monkeypatch.setattr(vertex_float, "_small_pairs", count_small)
    monkeypatch.setattr(vertex_float, "_solved_partners", count_solved)
    monkeypatch.setattr(vertex_float, "_matched_partners", count_matched)
    return taken


def test_float_enumeration_solves_the_faces_of_a_degenerate_vertex(monkeypatch):
    # Player 2's payoffs are 0 against player 1's third row, so the pure strategy
    # x = e_3 has all three columns as best replies: a vertex of P with two
    # surplus labels, whose partners are the vertices of a 2-dimensional face of
    # Q. The float enumeration solves that face's vertices (one system per
    # choice of two more tight constraints) and must list the same extreme
    # equilibria as Gambit's exact enummixed, without enumerating Q.
    from policy.solvers import vertex_float

    payoffs = ([[6, 8, 0], [8, 4, 5], [6, 2, 9]], [[0, 2, 3], [5, 4, 1], [0, 0, 0]])
    small = solve_table(payoffs, exact=False)  # 3x3: every basis tried in integers
    assert small.details["backend"] == "bases"
    monkeypatch.setattr(vertex_float, "SMALL_WORK", 0)  # the qhull path, as for larger games
    taken = _paths_taken(monkeypatch)
    floats = solve_table(payoffs, exact=False)
    assert floats.details["backend"] == "qhull" and taken == {"small": 0, "solved": 1, "matched": 0}
    exact = solve_table(payoffs)
    assert exact.details["degenerate"]
    want = gambit_enummixed(payoffs)
    assert {mixed_of(eq) for eq in exact.equilibria} == want
    assert len(want) == 6
    got = sorted(tuple(p for s in mixed_of(eq) for p in s) for eq in floats.equilibria)
    for w, g in zip(sorted(tuple(float(p) for s in pair for p in s) for pair in want), got, strict=True):
        assert g == pytest.approx(w, abs=1e-12)
    assert [eq.probabilities for eq in small.equilibria] == [eq.probabilities for eq in floats.equilibria]


@pytest.mark.parametrize("low, high", [(-100, 100), (-3, 3), (0, 1)])
def test_float_enumeration_equals_the_exact_one_on_seeded_games(monkeypatch, low, high):
    # Random m x n games (2..7 strategies each), wide payoffs (mostly
    # nondegenerate) and narrow ones (mostly degenerate): whenever the float
    # enumeration vouches for its answer, it is exactly the exact enumeration's
    # set of extreme equilibria, rounded. With wide payoffs it always vouches,
    # nearly always by solving for partners (one qhull run).
    from policy.solvers.vertex import extreme_equilibria
    from policy.solvers.vertex_float import float_extreme_equilibria

    taken = _paths_taken(monkeypatch)
    vouched = 0
    for seed in range(60):
        rng = np.random.default_rng([seed, low + 100, high + 100])
        m, n = (int(v) for v in rng.integers(2, 8, 2))
        a, b = rng.integers(low, high + 1, (m, n)), rng.integers(low, high + 1, (m, n))
        got = float_extreme_equilibria(a.astype(float), b.astype(float))
        if got is None:
            continue
        vouched += 1
        exact = extreme_equilibria(a.tolist(), b.tolist())
        want = sorted((tuple(map(float, x)), tuple(map(float, y))) for x, y in exact.equilibria)
        assert sorted(got) == want, (seed, m, n)
    if low == -100:
        assert vouched == 60 and taken["small"] + taken["solved"] >= 55
    else:
        assert vouched >= 30 and taken["small"] + taken["solved"] >= 20
    assert taken["small"] and taken["solved"]  # both paths were tried


def test_float_enumeration_shortcuts_give_the_same_answer(monkeypatch):
    # The qhull path's shortcuts for few vertices or systems (the dominance
    # screen made per system, not through _beaten_on's table; exact solves
    # without the batched float screen; facets merged in Python, not by
    # np.unique; qhull's wrapper called directly, not through ConvexHull) must
    # give the same list, in the same order, as the general steps, which must
    # equal the exact enumeration's set where they vouch.
    from policy.solvers import vertex_float
    from policy.solvers.vertex import extreme_equilibria

    monkeypatch.setattr(vertex_float, "SMALL_WORK", 0)  # the qhull path for every size
    screened = vertex_float._may_have_partner
    batches = {"count": 0}

    def count(*args: Any) -> Any:
        batches["count"] += 1
        return screened(*args)

    monkeypatch.setattr(vertex_float, "_may_have_partner", count)
    general = {
        "DOMINANCE_DIRECT": 0, "EXACT_ONLY_SYSTEMS": 0, "UNIQUE_IN_PYTHON": 0, "QHULL_DIRECT": False,
        "PARTNERS_IN_PYTHON": -1,
    }
    shortcut_only = 0
    for seed in range(40):
        rng = np.random.default_rng([seed, 18])
        m, n = (int(v) for v in rng.integers(2, 9, 2))
        high = 100 if seed % 2 else 2  # narrow payoffs: degenerate games
        a, b = (rng.integers(-high, high + 1, (m, n)).astype(float) for _ in range(2))
        before = batches["count"]
        got = vertex_float.float_extreme_equilibria(a, b)
        shortcut_only += batches["count"] == before
        with monkeypatch.context() as patched:
            for name, value in general.items():
                patched.setattr(vertex_float, name, value)
            want = vertex_float.float_extreme_equilibria(a, b)
        assert got == want, (seed, m, n)
        if got is not None:
            exact = extreme_equilibria(a.astype(int).tolist(), b.astype(int).tolist())
            assert sorted(got) == sorted(
                (tuple(map(float, x)), tuple(map(float, y))) for x, y in exact.equilibria
            ), (seed, m, n)
    assert 0 < shortcut_only < 40  # both ways were taken


def test_qhull_called_directly_gives_convex_hulls_facets():
    # vertex_float._facets skips what scipy's ConvexHull adds (volume, area,
    # neighbours); the simplices and equations must be ConvexHull's.
    from scipy.spatial import ConvexHull

    from policy.solvers.vertex_float import _facets

    rng = np.random.default_rng(18)
    for d in (2, 3, 5, 8):
        points = rng.normal(size=(3 * d, d))
        options = "Qx Q5" if d >= 5 else "Q5"
        simplices, equations = _facets(ConvexHull, points, options)
        hull = ConvexHull(points, qhull_options=options)
        assert np.array_equal(simplices, hull.simplices) and np.array_equal(equations, hull.equations)


def test_float_falls_back_when_qhull_cannot_work():
    # A player with one strategy: nashpy's qhull needs dimension >= 2.
    result = solve_table(([[1, 3, 2]], [[2, 0, 2]]), exact=False, use_nashpy=True)
    assert result.details["backend"] == "vertex"
    assert any("nashpy" in w for w in result.warnings)
    assert [mixed_of(eq) for eq in result.equilibria] == [((1.0,), (1.0, 0.0, 0.0)),
                                                          ((1.0,), (0.0, 0.0, 1.0))]


@pytest.mark.parametrize("slug", catalog_slugs(players=(2,)))
def test_catalog_games_match_gambit(slug):
    import pygambit.catalog as catalog

    g = catalog.load(slug)
    game = from_pygambit(g)
    ours = enummixed_solve(game, {})
    theirs = pygambit.nash.enummixed_solve(g, rational=True).equilibria
    if g.is_tree:
        expected = {gambit_signature(game, eq) for eq in theirs}
        got = {signature(eq) for eq in ours.equilibria}
    else:
        expected = {gambit_table_signature(g, eq) for eq in theirs}
        got = {table_signature(eq) for eq in ours.equilibria}
    assert got == expected
    assert ours.details["extreme_points"] == len(theirs)


_SMALL = st.integers(-3, 3)
_WEIGHT = st.integers(1, 3)


@st.composite
def two_player_trees(draw: st.DrawFn, max_actions: int = 3) -> Game:
    """A random two-player game with imperfect information and perfect recall.

    Chance may deal one of two states; player 1 may or may not see it; player 2
    may or may not see player 1's move; after (first move, left) player 1 may
    move again (so the reduced normal form drops strategies). Player 1's first
    move has 2 to ``max_actions`` actions.
    """
    states = draw(st.integers(1, 2))
    p1_sees = draw(st.booleans())
    p2_sees = draw(st.booleans())
    again = draw(st.booleans())
    n1 = draw(st.integers(2, max_actions))
    specs: list[NodeSpec] = []

    def leaf(name: str) -> None:
        payoffs = (parse(draw(_SMALL)), parse(draw(_SMALL)))
        specs.append(NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, payoffs)))

    roots = [f"s{c}" for c in range(states)]
    if states > 1:
        weights = [draw(_WEIGHT) for _ in roots]
        probs = tuple(parse(F(w, sum(weights))) for w in weights)
        specs.append(NodeSpec("deal", NodeKind.CHANCE, actions=tuple((r, r) for r in roots),
                              probabilities=probs))
    for c, root in enumerate(roots):
        first = f"I{c}" if p1_sees else "I"
        moves = tuple((f"a{a}", f"{root}a{a}") for a in range(n1))
        specs.append(NodeSpec(root, NodeKind.DECISION, player="P1", actions=moves, infoset=first))
        for a in range(n1):
            node = f"{root}a{a}"
            kids = tuple((f"b{b}", f"{node}b{b}") for b in range(2))
            specs.append(NodeSpec(node, NodeKind.DECISION, player="P2", actions=kids,
                                  infoset=f"J{a}" if p2_sees else "J"))
            for b in range(2):
                below = f"{node}b{b}"
                if again and a == 0 and b == 0:
                    last = tuple((f"c{k}", f"{below}c{k}") for k in range(2))
                    specs.append(NodeSpec(below, NodeKind.DECISION, player="P1", actions=last,
                                          infoset=f"K{first}"))
                    for k in range(2):
                        leaf(f"{below}c{k}")
                else:
                    leaf(below)
    return build_game("random tree", ["P1", "P2"], specs)


def check_tree_against_gambit(game: Game) -> None:
    """Our equilibria do what Gambit's do (payoffs, outcome distribution) and have zero regret."""
    result = enummixed_solve(game, {})
    g, actions = to_pygambit(game, {})
    theirs = pygambit.nash.enummixed_solve(g, rational=True).equilibria
    nodes = {n.label: n for n in g.nodes}
    by_index = [nodes[name] for name in game.node_names]
    expected = set()
    for eq in theirs:
        behavior = eq.as_behavior()
        values = tuple(F(behavior.payoff(p)) for p in g.players)
        reach = tuple(F(behavior.realiz_prob(by_index[t])) for t in game.terminals.tolist())
        expected.add((values, reach))
    assert {signature(eq) for eq in result.equilibria} == expected
    for eq in result.equilibria:
        assert pygambit_profile(g, actions, eq.behavior).max_regret() == 0


@SETTINGS
@given(two_player_trees(max_actions=2))
def test_extensive_games_match_gambit_and_have_zero_regret(game):
    check_tree_against_gambit(game)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_trees(max_actions=3))
def test_larger_extensive_games_match_gambit(game):
    # Up to 16 x 8 reduced strategies; Gambit's exact enummixed takes seconds to
    # minutes on these (ours a fraction of a second).
    check_tree_against_gambit(game)


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@SETTINGS
@given(two_player_trees())
def test_pure_equilibria_are_extreme_equilibria(game):
    # A pure equilibrium is a pair of vertices of the best-response polytopes,
    # so enumpure's answers are among enummixed's (the same behaviour, as both
    # fill irrelevant information sets the same way).
    mixed = {eq.probabilities for eq in enummixed_solve(game, {}).equilibria}
    pure = {eq.probabilities for eq in enumpure_solve(game, {}).equilibria}
    assert pure <= mixed


@SETTINGS
@given(tables(players=2, high=3))
def test_equilibria_sum_to_one_and_order_is_stable(payoffs):
    first = solve_table(payoffs)
    again = solve_table(payoffs)
    assert [eq.probabilities for eq in first.equilibria] == [eq.probabilities for eq in again.equilibria]
    keys = [tuple(-p for p in eq.probabilities) for eq in first.equilibria]
    assert keys == sorted(keys)
    for eq in first.equilibria:
        assert all(sum(sigma) == 1 for sigma in mixed_of(eq))
        assert eq.max_regret == 0


# ---------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------
def test_three_players_are_refused():
    same = np.zeros((2, 2, 2), dtype=object)
    with pytest.raises(SolverError, match="two-player"):
        enummixed_solve(table_game([same, same, same]), {})


def test_enumeration_limit_is_a_solver_error():
    with pytest.raises(SolverError, match="max_bases"):
        solve_table(VON_STENGEL, max_bases=2)


# ---------------------------------------------------------------------------------
# Budgets (the hardening issue: a 123 x 44 normal form grew to 23.6 GB, because
# the breadth-first search kept a tableau for every basis waiting in its queue)
# ---------------------------------------------------------------------------------
def _random_payoffs(n: int, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 100, size=(n, n)).astype(object) for _ in range(2)]


def _random_table(n: int, seed: int) -> Game:
    return table_game(_random_payoffs(n, seed), title=f"random {n}x{n}")


def test_enumeration_over_budget_fails_fast_in_bounded_memory():
    # A random 15 x 15 game has far more than 3,000 bases per polytope. The old
    # queue of tableaux peaked at about 106 MiB before the limit stopped it; the
    # depth-first search stores one tableau and a key per basis met.
    import tracemalloc

    game = _random_table(15, seed=7)
    tracemalloc.start()
    try:
        with pytest.raises(SolverError, match=r"more than 3000 bases.*max_bases.*use lcp.*--max-bases"):
            enummixed_solve(game, {}, max_bases=3000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_vertex_search_keeps_no_frontier_of_tableaux():
    # Bases met are counted whether visited or waiting, so the limit bounds the keys stored.
    matrix = integer_matrix(np.random.default_rng(3).integers(0, 50, size=(12, 12)).tolist())
    with pytest.raises(VertexLimitError, match="more than 500 bases"):
        polytope_vertices(matrix, limit=500)
    full = polytope_vertices(matrix)
    assert full.bases >= len(full.vertices) > 500


def test_enumeration_time_budget():
    game = _random_table(30, seed=1)
    with pytest.raises(SolverError, match=r"within 0\.2 s \(max_seconds\).*use lcp.*--max-seconds"):
        enummixed_solve(game, {}, max_bases=10**9, max_seconds=0.2)


def test_depth_first_search_matches_gambit_on_larger_games():
    # 8 x 8: thousands of bases, so the search backtracks over several pivots.
    for seed in range(3):
        payoffs = _random_payoffs(8, seed)
        ours = [mixed_of(eq) for eq in solve_table(payoffs).equilibria]
        assert set(ours) == gambit_enummixed(payoffs)


def test_cli_budget_error_is_one_line(tmp_path):
    from policy.gambit import write_nfg
    from tests.conftest import invoke

    path = tmp_path / "big.nfg"
    path.write_text(write_nfg(_random_table(15, seed=7)))
    code, out, err = invoke("solve", str(path), "-m", "enummixed", "--max-bases", "3000")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "--max-bases" in err and "lcp" in err
    code, _, err = invoke("solve", str(path), "-m", "lcp", "--max-bases", "3000")
    assert code == 1 and "--max-bases does not apply to method 'lcp'" in err
    code, out, err = invoke("compare", str(path), "-m", "enummixed", "--max-bases", "3000")
    assert code == 1 and out == "" and err.count("\n") == 1 and "--max-bases" in err


def test_float_enumeration_hands_large_games_to_the_budgeted_exact_one():
    # qhull has no time budget, so games with more strategies a player than
    # QHULL_MAX_STRATEGIES go to the exact enumeration (which has one), with
    # a warning; Kuhn poker's 27 x 64 strategic form stops at a small budget.
    from policy.solvers.enummixed import QHULL_MAX_STRATEGIES

    assert QHULL_MAX_STRATEGIES < 27
    with pytest.raises(SolverError, match="max_bases"):
        enummixed_solve(kuhn_poker(), {}, exact=False, max_bases=50)


@pytest.mark.slow
def test_kuhn_poker_strategic_form_enumerates_exactly():
    # Kuhn (1950), "A simplified two-person poker": value -1/18 to player 1;
    # player 2's strategy is unique (with a J bet 1/3 after a check, with a Q
    # call a bet 1/3, with a K always bet or call, with a J fold to a bet);
    # player 1 bets a J with some alpha in [0, 1/3], a K with 3 alpha, never a
    # Q, and calls a bet after checking a Q with alpha + 1/3, a J never. The
    # 27 x 64 reduced strategic form is degenerate: its reverse search must
    # finish and every extreme equilibrium lie in that family, both ends
    # (alpha 0 and 1/3) among them. (Gambit's enummixed did not finish it
    # within 240 s here, so the count is not cross-checked.)
    result = enummixed_solve(kuhn_poker(), {}, exact=True, max_bases=10**9, max_seconds=3600)
    assert result.details["shape"] == (27, 64) and result.details["degenerate"]
    alphas = set()
    for eq in result.equilibria:
        assert eq.values == (F(-1, 18), F(1, 18)) and eq.max_regret == 0
        b = eq.behavior
        assert b["P2_J_check"]["bet"] == F(1, 3) and b["P2_Q_bet"]["call"] == F(1, 3)
        assert b["P2_K_check"]["bet"] == 1 and b["P2_K_bet"]["call"] == 1 and b["P2_J_bet"]["fold"] == 1
        alpha = b["P1_J"]["bet"]
        assert 0 <= alpha <= F(1, 3) and b["P1_K"]["bet"] == 3 * alpha and b["P1_Q"]["bet"] == 0
        assert b["P1_Q_cb"]["call"] == alpha + F(1, 3) and b["P1_J_cb"]["call"] == 0
        alphas.add(alpha)
    assert {F(0), F(1, 3)} <= alphas


@pytest.mark.parametrize("exact_only", [0, 20])
def test_partner_systems_in_python_equal_numpys(monkeypatch, exact_only):
    # Step 2 reads few vertices' masks into systems in Python (_systems_in_python)
    # and many with numpy (_systems_in_numpy): the same systems, in the same
    # order, the same flag, and the same refusals (None, or _Unsure raised),
    # degenerate games (narrow payoffs: vertices with surplus labels) included;
    # with exact_only 0 every system left goes through the batched float screen.
    from policy.solvers import vertex_float

    monkeypatch.setattr(vertex_float, "EXACT_ONLY_SYSTEMS", exact_only)

    def outcome(how: Any, *args: Any) -> Any:
        try:
            return how(*args)
        except vertex_float._Unsure:
            return "unsure"

    compared = surplus = 0
    for seed in range(60):
        rng = np.random.default_rng([seed, 1818])
        m = int(rng.integers(2, 7))
        n = int(rng.integers(m, 8))
        high = (1, 2, 100)[seed % 3]
        a, b = (rng.integers(-high, high + 1, (m, n)).astype(float) for _ in range(2))
        p = vertex_float.hull_vertices(b - b.min() + 1.0, np.arange(m + n))
        if p is None:
            continue
        game = vertex_float._ExactGame(a, b)
        got = outcome(vertex_float._systems_in_python, a, p[0].tolist(), game)
        want = outcome(vertex_float._systems_in_numpy, a, p[0], game)
        assert got == want, (seed, m, n)
        compared += 1
        surplus += isinstance(got, tuple) and got[1]
    assert compared >= 50 and surplus >= 5


def _second_mover_first(payoffs: Any) -> Game:
    """A bimatrix table whose root is player 2's (player index 1 moves first, player 1 answers unseen).

    ``payoffs[i][r][c]``: player ``i``'s payoff when player 1 plays ``r`` and player 2 ``c``.
    """
    a, b = (np.asarray(p, dtype=object) for p in payoffs)
    m, n = a.shape
    specs = [NodeSpec("root", NodeKind.DECISION, player="P2", infoset="P2",
                      actions=tuple((f"c{c}", f"n{c}") for c in range(n)))]
    for c in range(n):
        specs.append(NodeSpec(f"n{c}", NodeKind.DECISION, player="P1", infoset="P1",
                              actions=tuple((f"r{r}", f"t{c}_{r}") for r in range(m))))
    for c in range(n):
        for r in range(m):
            outcome = Outcome(f"t{c}_{r}", (parse(Fraction(a[r, c])), parse(Fraction(b[r, c]))))
            specs.append(NodeSpec(f"t{c}_{r}", NodeKind.TERMINAL, outcome=outcome))
    return build_game("second first", ["P1", "P2"], specs)


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (3, 5), (5, 3), (6, 6), (7, 4)])
@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize("second_first", [False, True])
def test_float_table_records_are_the_exact_answers_rounded(shape, halves, second_first):
    # enummixed --float on a bimatrix table makes each record from the integers
    # its answer was checked in (_table_answers): the same equilibria as the exact
    # method, each probability and value the correctly rounded float of the exact
    # one, regret 0, and a float regret within tolerance when checked again on the
    # table (verified_table_equilibrium, independently of the solver). Shapes on
    # both sides of the integer path (small_work) and with more rows than columns
    # (the players swapped inside); payoffs in halves and eighths (scales 2 and 8);
    # the root player 1's or player 2's.
    from policy.solvers.verify_table import table_of, verified_table_equilibrium

    m, n = shape
    rng = np.random.default_rng([m, n, halves, second_first])
    a, b = (rng.integers(-20, 21, (m, n)) for _ in range(2))
    # With halves, A in halves and B in eighths: different scales (2 and 8, so swapped scales
    # would show), and floats that hold the payoffs exactly (so the exact answers are the
    # float game's too).
    payoffs = [
        [[Fraction(int(v), d if halves else 1) for v in row] for row in p] for p, d in ((a, 2), (b, 8))
    ]
    game = _second_mover_first(payoffs) if second_first else table_game(payoffs)
    table = table_of(game)
    assert table is not None and table.row_player == (1 if second_first else 0)
    floats = enummixed_solve(game, {}, exact=False)
    exact = enummixed_solve(game, {}, exact=True)
    assert len(floats.equilibria) == len(exact.equilibria)
    numbers = game.numbers({}, exact=False)
    for got, want in zip(floats.equilibria, exact.equilibria, strict=True):
        assert got.probabilities == tuple(float(p) for p in want.probabilities)
        assert got.values == tuple(float(v) for v in want.values)
        assert got.reach == pytest.approx([float(r) for r in want.reach], abs=1e-15)
        assert got.max_regret == 0.0
        again = verified_table_equilibrium(game, numbers, table, got.probabilities)
        assert again.max_regret <= 1e-12
    assert floats.details["mixed"] == tuple(
        {player: {label: float(p) for label, p in sigma.items()} for player, sigma in mixed.items()}
        for mixed in exact.details["mixed"]
    )


def test_float_table_answers_agree_with_nashpy():
    # The same game's vertex enumeration by nashpy (an independent solver): the
    # same set of equilibria, within its float tolerance.
    import nashpy

    rng = np.random.default_rng(7)
    a, b = rng.integers(-50, 51, (6, 6)), rng.integers(-50, 51, (6, 6))
    ours = enummixed_solve(table_game([a.tolist(), b.tolist()]), {}, exact=False)
    theirs = sorted(
        tuple(np.round(np.concatenate([x, y]), 9)) for x, y in nashpy.Game(a, b).vertex_enumeration()
    )
    got = sorted(tuple(np.round(eq.probabilities, 9)) for eq in ours.equilibria)
    assert got == theirs
