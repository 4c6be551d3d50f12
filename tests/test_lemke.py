"""Lemke's method on plain linear complementarity problems, exact and float.

Solutions are checked against the definition (``z >= 0``, ``w = q + M z >= 0``,
``w . z = 0``); random problems are built around a known solution so that one
exists, degenerate ones (zeros on both sides) included.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.solvers.errors import SolverError
from policy.solvers.lemke import default_max_pivots, lemke

FLOAT_TOL = 1e-9


def assert_solves(M, q, z, exact=True):
    """``z`` solves the LCP ``(q, M)`` (exactly, or within FLOAT_TOL)."""
    n = len(q)
    if exact:
        w = [Fraction(q[i]) + sum(Fraction(M[i][j]) * z[j] for j in range(n)) for i in range(n)]
        assert all(isinstance(v, Fraction) for v in z)
        assert min(z, default=0) >= 0
        assert min(w, default=0) >= 0
        assert sum(a * b for a, b in zip(w, z, strict=True)) == 0
    else:
        Mf = np.asarray(M, dtype=float)
        w = np.asarray(q, dtype=float) + Mf @ z
        scale = max(1.0, float(np.abs(Mf).max(initial=0)), float(np.abs(q).max(initial=0)))
        assert (z >= -FLOAT_TOL * scale).all()
        assert (w >= -FLOAT_TOL * scale).all()
        assert abs(float(w @ z)) <= FLOAT_TOL * scale * max(1.0, float(np.abs(z).sum()))


def test_a_small_positive_definite_problem():
    # w1 = -5 + 2 z1 + z2, w2 = -6 + z1 + 2 z2: both w = 0 at z = (4/3, 7/3),
    # by hand (M is positive definite, so this is the only solution).
    M = [[2, 1], [1, 2]]
    q = [-5, -6]
    got = lemke(M, q)
    assert list(got.z) == [Fraction(4, 3), Fraction(7, 3)]
    assert got.pivots >= 2
    fgot = lemke(M, q, exact=False)
    assert fgot.z.tolist() == pytest.approx([4 / 3, 7 / 3], abs=FLOAT_TOL)


def test_nonnegative_q_is_solved_by_zero():
    got = lemke([[1, -1], [-1, 1]], [0, 3])
    assert list(got.z) == [0, 0]
    assert got.pivots == 0


def test_rational_data_and_covering_vector():
    M = [[Fraction(1, 2), Fraction(1, 3)], [Fraction(1, 7), 1]]
    q = [Fraction(-1, 5), Fraction(-2, 3)]
    for d in ([1, 1], [Fraction(1, 3), 5]):
        got = lemke(M, q, d)
        assert_solves(M, q, list(got.z))


def test_ray_termination_is_an_error():
    # w = -1 - z has no non-negative solution: the path ends on a ray.
    with pytest.raises(SolverError, match="ray"):
        lemke([[-1]], [-1])
    with pytest.raises(SolverError, match="ray"):
        lemke([[-1.0]], [-1.0], exact=False)


def test_pivot_bound():
    M = [[2, 1], [1, 2]]
    with pytest.raises(SolverError, match=r"no equilibrium found after 1 pivots"):
        lemke(M, [-5, -6], max_pivots=1)
    with pytest.raises(SolverError, match=r"no equilibrium found after 1 pivots"):
        lemke(M, [-5, -6], exact=False, max_pivots=1)
    assert default_max_pivots(10) > 10


def test_bad_input():
    with pytest.raises(ValueError, match="positive"):
        lemke([[1]], [-1], [0])
    with pytest.raises(ValueError, match="matrix"):
        lemke([[1, 2]], [-1])


def test_degenerate_first_step_needs_the_lexicographic_rule():
    # Every row limits z0 at once (q = -1 everywhere, d = 1): the ordinary ratio
    # test ties in every row, and the ties go on along the path.
    M = [[1, 1, 0], [0, 1, 1], [1, 0, 1]]
    q = [-1, -1, -1]
    got = lemke(M, q)
    assert got.lexicographic > 0
    assert_solves(M, q, list(got.z))
    fgot = lemke(M, q, exact=False)
    assert fgot.lexicographic == got.lexicographic
    assert fgot.z.tolist() == pytest.approx([float(v) for v in got.z], abs=FLOAT_TOL)


@st.composite
def monotone_lcps(draw):
    """A monotone LCP (``M`` = ``P P^T`` + skew-symmetric) with a known solution.

    Small integers make many ties; ``z*`` and ``w*`` are complementary and both
    zero in some coordinates (degenerate), and ``q = w* - M z*``.
    """
    n = draw(st.integers(1, 6))
    ints = st.integers(-3, 3)
    P = np.array([[draw(ints) for _ in range(n)] for _ in range(n)], dtype=object)
    S = np.array([[draw(ints) for _ in range(n)] for _ in range(n)], dtype=object)
    M = P.dot(P.T) + S - S.T
    z = []
    w = []
    for _ in range(n):
        kind = draw(st.integers(0, 2))
        value = draw(st.integers(1, 4))
        z.append(value if kind == 0 else 0)
        w.append(value if kind == 1 else 0)
    q = [w[i] - sum(M[i, j] * z[j] for j in range(n)) for i in range(n)]
    return M.tolist(), q


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_lcps())
def test_monotone_problems_are_solved(problem):
    # A positive semidefinite M is copositive-plus, and a feasible LCP with
    # such an M is processed by Lemke's method (Cottle, Pang and Stone 1992,
    # section 4.4).
    M, q = problem
    got = lemke(M, q)
    assert_solves(M, q, list(got.z))
    fgot = lemke(np.array(M, dtype=float), np.array(q, dtype=float), exact=False)
    assert_solves(M, q, fgot.z, exact=False)


def _signalling_lcp(size, seed):
    from policy.representations.sequence import sequence_form
    from policy.solvers.lcp import SequenceLCP
    from tests.games import random_signalling

    game = random_signalling(size, size, size, seed)
    return SequenceLCP(sequence_form(game, {}, exact=True), game.numbers({}, exact=True))


@pytest.mark.parametrize(("size", "seed"), [(2, 0), (3, 1), (4, 2), (4, 7)])
def test_float_path_is_the_exact_path_on_degenerate_game_lcps(size, seed, monkeypatch):
    # The sequence-form LCP of a signalling game is degenerate at nearly every
    # step. Exact Lemke follows the path in floats and solves the last basis in
    # rationals; integer pivoting all the way (the crossover switched off) must
    # take the same pivots, make the same lexicographic decisions and end at
    # the same solution.
    import policy.solvers.lemke as lemke_module

    lcp = _signalling_lcp(size, seed)
    crossed = lemke(lcp.M, lcp.c)
    assert crossed.float_path and crossed.lexicographic > crossed.pivots // 2
    assert_solves(lcp.M.tolist(), lcp.c.tolist(), list(crossed.z))
    monkeypatch.setattr(lemke_module, "_crossover", lambda *args: None)
    pivoted = lemke(lcp.M, lcp.c)
    assert not pivoted.float_path
    assert (pivoted.pivots, pivoted.lexicographic, pivoted.basis) == (
        crossed.pivots, crossed.lexicographic, crossed.basis)
    assert list(pivoted.z) == list(crossed.z)


def test_a_float_basis_that_is_not_a_solution_is_not_taken(monkeypatch):
    # If the float path ends in a basis whose exact solution is infeasible, the
    # exact answer comes from integer pivoting instead.
    import policy.solvers.lemke as lemke_module

    lcp = _signalling_lcp(3, 1)
    honest = lemke(lcp.M, lcp.c)
    n = len(lcp.c)
    wrong = lemke_module.LemkeResult(np.zeros(n), 1, tuple(range(n)))  # all w basic: z = 0, w = q has negatives
    monkeypatch.setattr(lemke_module, "_lemke_float", lambda *args: wrong)
    got = lemke(lcp.M, lcp.c)
    assert not got.float_path
    assert list(got.z) == list(honest.z)


def test_float_refactorization_matches_a_dense_solve():
    # The float tableau is recomputed from the data without LAPACK, using that
    # most basic variables are w's (unit columns); it must be B^-1 [I, -M, -d, q].
    import policy.solvers.lemke as lemke_module

    rng = np.random.default_rng(3)
    n = 9
    M = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.4)
    M += np.eye(n) * 3
    original = np.hstack([np.eye(n), -M, -np.ones((n, 1)), rng.standard_normal((n, 1))])
    for basis in ([*range(n)], [0, n + 1, 2, n + 3, 2 * n, 5, n + 6, 7, n + 8], [n + i for i in range(n)]):
        got = lemke_module._refactored(original, basis, None)
        want = np.linalg.solve(original[:, basis], original)
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert (got[:, basis] == np.eye(n)).all()


def _reference_gauss_jordan(aug, least):
    """Gauss-Jordan elimination with partial pivoting, written plainly: whole rows, every row."""
    k = aug.shape[0]
    for c in range(k):
        p = c + int(np.argmax(np.abs(aug[c:, c])))
        if abs(aug[p, c]) <= least:
            return None
        aug[[c, p]] = aug[[p, c]]
        aug[c] = aug[c] / aug[c, c]
        for i in range(k):
            if i != c:
                aug[i] = aug[i] - aug[i, c] * aug[c]
    return aug


def _reference_refactored(original, basis):
    """The tableau of ``basis`` computed the plain way, in the arithmetic the float path uses.

    The rows whose w is not basic, restricted to the basic z's columns (in
    the order of their rows) and every other column not 0 in them, are
    solved by Gauss-Jordan elimination; each row of a basic w_i is its data
    row less, for each basic z in that order, its coefficient times that z's
    solved row; the basic variables' columns are unit vectors.
    """
    import policy.solvers.lemke as lemke_module

    n = len(basis)
    z_rows = [i for i, v in enumerate(basis) if v >= n]
    columns = [basis[i] for i in z_rows]
    w = {basis[i] for i in range(n) if basis[i] < n}
    system = original[[i for i in range(n) if i not in w]]
    if not all(system[:, j].any() for j in columns):
        return None
    live = columns + [j for j in range(original.shape[1]) if j not in columns and system[:, j].any()]
    scale = max(1.0, float(np.abs(system[:, columns]).max(initial=0.0)))
    solved = _reference_gauss_jordan(system[:, live].copy(), lemke_module.FLOAT_PIVOT * scale)
    if solved is None:
        return None
    fresh = np.zeros_like(original)
    for i, v in enumerate(basis):
        if v < n:
            row = original[v].copy()
            for pos, j in enumerate(columns):
                if original[v, j] != 0:
                    row[live] = row[live] - original[v, j] * solved[pos]
            fresh[i] = row
    for pos, i in enumerate(z_rows):
        fresh[i, live] = solved[pos]
    for i, v in enumerate(basis):
        fresh[:, v] = 0.0
        fresh[i, v] = 1.0
    return fresh


def _bits(array):
    """The bytes of a float array, -0.0 read as 0.0 (no decision looks at the sign of a zero)."""
    return (np.asarray(array, dtype=float) + 0.0).tobytes()


@st.composite
def sparse_bases(draw):
    """A float LCP tableau ``[I, -M, -d, q]`` with a sparse ``M`` of awkward entries, and a basis.

    Row ``i`` of the basis holds ``w_i`` or a ``z`` (a permutation decides
    which), one row maybe ``z0``: the kind of basis Lemke's path meets.
    """
    n = draw(st.integers(1, 7))
    entries = st.sampled_from([0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0, -3.0, 0.5, 1 / 3, -7 / 3, 1e-3, 40.0])
    M = np.array([[draw(entries) for _ in range(n)] for _ in range(n)])
    q = np.array([draw(entries) for _ in range(n)])
    original = np.hstack([np.eye(n), -M, -np.ones((n, 1)), q[:, None]])
    sigma = draw(st.permutations(range(n)))
    basis = [n + sigma[i] if draw(st.booleans()) else i for i in range(n)]
    if draw(st.booleans()):
        basis[draw(st.integers(0, n - 1))] = 2 * n
    return original, basis


@settings(max_examples=300, deadline=None)
@given(sparse_bases())
def test_float_refactorization_is_the_plain_computation_bit_for_bit(case):
    # The refactorization skips the work on exact zeros and batches the
    # substitution: every number must still be the plain computation's, to
    # the last bit, since the float path's decisions depend on them.
    import policy.solvers.lemke as lemke_module

    original, basis = case
    want = _reference_refactored(original, basis)
    got = lemke_module._refactored(original, basis, None)
    assert (got is None) == (want is None)
    if want is not None:
        assert _bits(got) == _bits(want)


@settings(max_examples=300, deadline=None)
@given(sparse_bases())
def test_float_refactorization_of_the_stored_columns_is_the_full_one_bit_for_bit(case):
    # The float path stores only the nonbasic columns and the right-hand
    # side; their refactorization, computed for those columns alone, must
    # be the full refactorization's columns to the last bit.
    import policy.solvers.lemke as lemke_module

    original, basis = case
    n = len(basis)
    held = np.array(sorted(set(range(2 * n + 1)) - set(basis)) + [2 * n + 1])
    want = _reference_refactored(original, basis)
    got = lemke_module._refactored_held(original, basis, held, None)
    assert (got is None) == (want is None)
    if want is not None:
        assert _bits(got) == _bits(want[:, held])


@settings(max_examples=300, deadline=None)
@given(sparse_bases(), st.sampled_from([0.25, -1.0]))
def test_final_values_on_sparse_rows_are_the_refactorization_bit_for_bit(case, fill):
    # Small problems solve their final basis on dictionaries of the entries
    # that are not 0: the values must be the array refactorization's right-hand
    # side to the last bit (and the values given, for both, when the basis is singular).
    import policy.solvers.lemke as lemke_module

    original, basis = case
    n = len(basis)
    values = np.full(n, fill)
    want = lemke_module._refactored_held(original, basis, np.array([2 * n + 1]), values[:, None])[:, 0]
    got = lemke_module._basis_values(original, basis, values)
    assert _bits(got) == _bits(want)


@settings(max_examples=300, deadline=None)
@given(sparse_bases())
def test_float_gauss_jordan_is_the_plain_elimination_bit_for_bit(case):
    # Gauss-Jordan steps touch only the rows with a non-zero in the pivot
    # column and the columns from the pivot on; the result is the plain
    # elimination's, bit for bit (or None for both).
    import policy.solvers.lemke as lemke_module

    original, basis = case
    n = len(basis)
    aug = original[:, n:].copy()  # the z columns as the system, the rest carried along
    least = lemke_module.FLOAT_PIVOT * max(1.0, float(np.abs(aug[:, :n]).max(initial=0.0)))
    want = _reference_gauss_jordan(aug.copy(), least)
    got = lemke_module._gauss_jordan(aug.copy())
    assert (got is None) == (want is None)
    if want is not None:
        assert _bits(got) == _bits(want)


# The float path recorded before the per-pivot work of the float tableau was
# made sparse and vectorized (commit "lemke: record float paths"): size, seed,
# refactorization period, then (pivots, lexicographic, first 16 hex digits of
# the sha256 of repr(basis)), or the start of the error message. Speed-ups must
# not change a single decision, so these must stay exactly as they are.
RECORDED_FLOAT_PATHS = [
    (2, 0, 100, (23, 14, "ad2ad02cbd5d2831")),
    (2, 1, 100, (17, 11, "160abe484272ec7f")),
    (2, 2, 10, (17, 10, "3cadd7008fa81f50")),
    (3, 1, 100, (41, 35, "7fb86cca219d2347")),
    (3, 3, 10, (45, 39, "f64dbc5e11f2536a")),
    (4, 0, 100, (31, 27, "3c18889ed76726cc")),
    (4, 3, 10, (95, 86, "5f09f9bc0d1eb6a1")),
    (5, 0, 100, (79, 74, "fbd6b730d4e39602")),
    (5, 1, 10, (71, 66, "fc1ba16a7b631504")),
    (5, 3, 100, (81, 76, "049aa89c31f50847")),
    (6, 0, 100, (107, 102, "8fcc9d9d2d79b224")),
    (6, 1, 10, (109, 104, "31f30f6a49abac3f")),
    (6, 3, 100, (135, 130, "41e0191bfaca2e4a")),
    # 7, seed 0: the two periods round differently and end in different bases.
    (7, 0, 100, (1101, 1095, "fed4cfd976ce9879")),
    (7, 0, 10, (1113, 1105, "8c2c9d8d211f8b41")),
    (7, 1, 10, (233, 225, "8b27d7fef73dd916")),
    (7, 2, 100, (947, 930, "9fac550a515f6629")),
    (7, 3, 10, (79, 73, "72cb132b340c4989")),
    (8, 0, 100, (135, 129, "76132ba7e01c8fc5")),
    (8, 0, 10, (135, 129, "76132ba7e01c8fc5")),
    (8, 1, 100, "float Lemke met the same basis twice"),
    (8, 2, 10, (1311, 1302, "fa05dd9e04bcb138")),
]


# Small LCPs (at most policy.solvers.lemke.SMALL_LCP) take _lemke_small: every
# row updated at each pivot, noise levels computed only where their bounds
# leave an entry undecided, the ratio tests and ties with few entries
# (SMALL_TIE_ENTRIES) decided in Python, the final basis solved on sparse
# rows. Larger ones take the array code. Large tied blocks (SMALL_BLOCK) are
# compared in numpy, as byte strings.
# These force one way or the other throughout.
DECISIONS = {
    "small": {"SMALL_LCP": 10**9},
    "small, array ties": {"SMALL_LCP": 10**9, "SMALL_TIE_ENTRIES": -1, "SMALL_BLOCK": -1},
    "small, list ties": {"SMALL_LCP": 10**9, "SMALL_TIE_ENTRIES": 10**9, "SMALL_BLOCK": 10**9},
    "arrays": {"SMALL_LCP": -1, "SMALL_BLOCK": -1},
    "arrays, list blocks": {"SMALL_LCP": -1, "SMALL_BLOCK": 10**9},
}


def _decided(monkeypatch, how):
    import policy.solvers.lemke as lemke_module

    for name, value in DECISIONS[how].items():
        monkeypatch.setattr(lemke_module, name, value)


@pytest.mark.parametrize("how", [None, *DECISIONS])
@pytest.mark.parametrize(("size", "seed", "period", "recorded"), RECORDED_FLOAT_PATHS)
def test_float_path_decisions_are_as_recorded(size, seed, period, recorded, how, monkeypatch):
    # Every pivot of the float path (its lexicographic decisions, the
    # refactorizations, the doubt checks) is as it was: same pivot count, same
    # number of lexicographic decisions, same final basis row by row, whichever
    # way the ratio tests are computed.
    import hashlib

    import policy.solvers.lemke as lemke_module

    if how is not None:
        _decided(monkeypatch, how)
    lcp = _signalling_lcp(size, seed)
    run = lambda: lemke_module._lemke_float(  # noqa: E731
        lcp.M, lcp.c, np.ones(lcp.n), default_max_pivots(lcp.n), period)
    if isinstance(recorded, str):
        with pytest.raises(SolverError, match=recorded):
            run()
        return
    got = run()
    digest = hashlib.sha256(repr(got.basis).encode()).hexdigest()[:16]
    assert (got.pivots, got.lexicographic, digest) == recorded


@pytest.mark.slow
def test_the_long_float_path_is_as_recorded(monkeypatch):
    # Random 8x8x8 signalling game, seed 1: the default period meets a basis
    # twice; the careful one takes a path of 11,911 pivots (recorded as above).
    test_float_path_decisions_are_as_recorded(8, 1, 10, (11911, 11889, "c9fe3c6fd09f1873"), None, monkeypatch)


def _float_path(M, q, how, period):
    """The float path's result (or its error message) with the ratio tests decided one way."""
    import policy.solvers.lemke as lemke_module

    with pytest.MonkeyPatch.context() as patch:
        _decided(patch, how)
        try:
            got = lemke_module._lemke_float(M, q, np.ones(len(q)), default_max_pivots(len(q)), period)
        except SolverError as err:
            return str(err)
    return got.pivots, got.lexicographic, got.basis, got.z.tobytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    monotone_lcps().map(lambda p: (np.array(p[0], dtype=float), np.array(p[1], dtype=float))),
    st.tuples(st.integers(2, 4), st.integers(0, 10**6)).map(lambda a: _signalling_lcp(*a)).map(
        lambda lcp: (lcp.M.astype(float), lcp.c.astype(float)))),
    st.sampled_from([100, 10, 3]))
def test_ratio_tests_in_python_and_in_numpy_give_the_same_path(problem, period):
    # The two ways of deciding a ratio test make the same decisions bit for
    # bit: the same pivots, lexicographic decisions, final basis and z.
    M, q = problem
    paths = {how: _float_path(M, q, how, period) for how in DECISIONS}
    assert len(set(paths.values())) == 1, paths


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4).flatmap(lambda width: st.lists(
    st.lists(st.sampled_from([0.0, -0.0, 1.0, 1.0 + 1e-13, 1.0 - 1e-13, 2.0, -1.0, -1.0 - 1e-12, 1e-300]),
             min_size=width, max_size=width), min_size=1, max_size=6)))
def test_lexicographic_least_row_is_the_column_by_column_rule(rows):
    # The fast lexicographic choice (list comparison for small blocks, byte
    # strings of the columns that differ for large ones, checked for close
    # calls) picks the row that the tie rule applied one column at a time
    # keeps first, near-ties (within FLOAT_RATIO_TIE but not equal) included.
    import policy.solvers.lemke as lemke_module

    block = np.array(rows).reshape(len(rows), -1)
    tied = np.arange(len(rows))
    for col in range(block.shape[1]):
        keep = lemke_module._ties(block[tied, col])
        tied = tied[keep]
        if tied.size == 1:
            break
    assert lemke_module._lex_least(block) == tied[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lemke_module, "SMALL_BLOCK", -1)  # every block counts as large
        assert lemke_module._lex_least(block) == tied[0]
    # The small path's ties: each row a dictionary of its entries that are
    # not 0, keyed by column (zeros of either sign left out).
    sparse = [{j: v for j, v in enumerate(row) if v != 0.0} for row in rows]
    assert lemke_module._sparse_column_rule(sparse) == tied[0]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.data())
def test_rank_one_product_by_dot_is_the_outer_product(rows, cols, data):
    # _lemke_small forms the rank-one update with np.dot on an n x 1 and a
    # 1 x m matrix: every entry must be the single rounded product that
    # np.multiply.outer gives, bit for bit up to the sign of a zero (which
    # no decision of the path looks at).
    entries = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1 / 3, -7 / 3, 1e-3, 40.0, 1e-160, 3e-170, 1e300, 2.0**-1000])
    f = np.array(data.draw(st.lists(entries, min_size=rows, max_size=rows)))
    g = np.array(data.draw(st.lists(entries, min_size=cols, max_size=cols)))
    out = np.full((rows, cols), np.nan)  # the product must not read its output
    with np.errstate(over="ignore", under="ignore"):  # 1e300 * 40, 1e-160 * 3e-170 on both sides
        got = np.dot(f[:, None], g[None, :], out=out)
        want = np.multiply.outer(f, g)
    assert _bits(got) == _bits(want)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    monotone_lcps().map(lambda p: (np.array(p[0], dtype=float), np.array(p[1], dtype=float))),
    st.tuples(st.integers(2, 5), st.integers(0, 10**6)).map(lambda a: _signalling_lcp(*a)).map(
        lambda lcp: (lcp.M.astype(float), lcp.c.astype(float)))),
    st.sampled_from([100, 10, 3]))
def test_small_path_bounds_every_noise_level(problem, period):
    # _lemke_small decides most entries by a bound on the rows' noise
    # levels, kept up to date from the pivot row and column: at every ratio
    # test it must be at least FLOAT_ZERO times the tableau's largest entry
    # (and 1), whatever rounding and refactorization did.
    import policy.solvers.lemke as lemke_module

    M, q = problem
    real = lemke_module._small_ratio_test

    def checking(C, *args):
        top = args[-1]
        assert top >= lemke_module.FLOAT_ZERO * max(1.0, float(np.abs(C).max(initial=0.0)))
        return real(C, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lemke_module, "_small_ratio_test", checking)
        try:
            lemke_module._lemke_float(M, q, np.ones(len(q)), default_max_pivots(len(q)), period)
        except SolverError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10), st.data())
def test_first_pivot_row_in_python_is_the_tableau_rule(n, data):
    # Small LCPs take their first pivot row (z0 entering) from the data, in
    # Python: the row and tie flag of the rule on the first tableau.
    import policy.solvers.lemke as lemke_module

    scale = data.draw(st.sampled_from([1e-12, 1e-6, 1.0, 1e6, 1e12]))
    M = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n * n, max_size=n * n)), dtype=float)
    M = M.reshape(n, n) * scale
    q = np.array(data.draw(st.lists(st.sampled_from([-2.0, -1.0, -1e-11, 0.0, -0.0, 1.0]), min_size=n,
                                    max_size=n)))
    q[0] = -1.0  # something to solve
    d = np.array(data.draw(st.lists(st.sampled_from([1.0, 0.5, 3.0]), min_size=n, max_size=n)))
    original = np.hstack([np.eye(n), -M, -d[:, None], q[:, None]])
    T = original.copy()
    T[:, 2 * n] = d
    r, tie, _ = lemke_module._lex_min_rows_float(T, np.arange(n), n, 2 * n, -1, lemke_module._row_zero(T))
    assert lemke_module._first_row_small(M, q, d) == (int(r), bool(tie))
